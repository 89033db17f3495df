"""The Tensor: a numpy array that remembers the primitive and the parents that made it.

Every operation runs the primitive's numpy forward and, when some input requires a gradient and grad mode is on,
records the op on the output: ``_record`` (``Tensor.apply`` for extensions), or for the operators and elementwise
methods the same steps written out per arity (``_binary_method``, ``_unary_method``). ``backward()`` (engine.py)
then walks those records in reverse.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from . import anomaly, engine
from .display import tensor_html
from .grad_mode import current_switches
from .graph_state import MutationClock, count_writes, op_numbers, unwritten
from .primitives import (
    Abs,
    Add,
    Div,
    Exp,
    Getitem,
    Log,
    Matmul,
    Max,
    Maximum,
    MaxShift,
    Mul,
    Neg,
    Pow,
    Relu,
    Reshape,
    Sigmoid,
    Sub,
    Sum,
    Tanh,
    Transpose,
)
from .tensor_base import Size, TensorBase, reduction_axes, torch_axis, transpose_order
from .tensor_inputs import as_array, plain_index, require_flag_and_float, require_float, weak_scalar  # (read by calls)
from .tensor_methods import TensorMethods
from .tensor_views import TensorViews
from .types import Array, ArrayLike, Axis, DTypeLike, Index, Shape, TensorLike

if TYPE_CHECKING:
    from .primitives import Primitive

_PYTHON_SCALARS = frozenset((bool, int, float, Size))  # by type(x): a hash, not ==; Size: t.size, an int
_ARRAYS = (np.ndarray, np.generic)
_FLOAT_SCALARS = frozenset((np.float16, np.float32, np.float64, np.longdouble))
_NO_PARAMS: dict[str, Any] = {}
_MATRIX_TRANSPOSE: dict[str, Any] = {"axes": (1, 0)}


def _lift(value: TensorLike, like: TensorBase) -> Tensor:
    """Make an operand a Tensor. A Python number takes the float dtype of the tensor it meets (numpy's weak-scalar
    rule). A numpy scalar keeps its own: np.float64(2) * float32 is float64 (np.float64 subclasses float: type())."""
    if isinstance(value, Tensor):
        return value
    data = like._data
    if type(value) in _PYTHON_SCALARS:
        # Match the container: numpy multiplies an array fastest by a 0-d array (258 ns vs 420 for a scalar, 16
        # floats), a numpy scalar by a numpy scalar (a 0-d value's own float type makes one: 2x cheaper).
        container: Any = type(data)  # (for the type checker: a numpy float type here, value a number)
        if container in _FLOAT_SCALARS:
            return _node(container(value))
        if container is np.ndarray and data.dtype.kind == "f":
            return _node(np.array(value, dtype=data.dtype))
    if isinstance(value, _ARRAYS) and value.dtype.kind in "biuf":
        return _node(value)  # already a numeric array: nothing for __init__ to convert or check
    return _node(weak_scalar(value, data)) if type(value) in _PYTHON_SCALARS else Tensor(value)  # (integer tensors)


# The operators' and elementwise methods' record path, written out per arity (an operator's two Tensors, an
# elementwise method's one, no params) and made once per method by a factory, as numpy's NDArrayOperatorsMixin
# makes its operators: the method IS the record path. Measured on the 16-float chain (benchmarks/chain.py), ~100 ns
# an op less than a method calling _record: one Python call instead of two, no list of arrays or params to unpack,
# no loop to find an input needing a gradient.
def _binary_method(prim: type[Primitive], name: str, reflected: bool = False) -> Callable[[Tensor, TensorLike], Tensor]:
    forward = prim.forward  # (read once: a closure's variable, not a class attribute per op)

    def method(self: Tensor, other: TensorLike) -> Tensor:
        if not isinstance(other, Tensor):  # a Tensor operand (the usual case) skips the call to _lift
            other = _lift(other, self)
        if reflected:  # (two assignments, not a conditional pair: no tuple built per op)
            x, y = other, self
        else:
            x, y = self, other
        try:
            data = forward(x._data, y._data)
        except (ValueError, IndexError, TypeError) as error:
            raise _forward_failed(prim, (x, y), error) from error
        switches = current_switches()  # read once per op
        if not (switches.grad_enabled and (x.requires_grad or y.requires_grad)):
            return _node(data)  # not recorded: a constant, as a leaf
        out = _new_tensor(Tensor)  # every slot set, as in __init__
        out._data = data
        out.requires_grad = True
        out.scope = switches.scope
        out._prim = prim
        out._parents = (x, y)
        out._params = _NO_PARAMS
        out._epoch, out._seq = MutationClock.now, next(op_numbers)
        if switches.anomaly:
            anomaly.check_forward(out)
        return out

    method.__name__ = name
    method.__qualname__ = f"Tensor.{name}"
    method.__doc__ = f"{prim.name}({'other, self' if reflected else 'self, other'}), recorded. {prim.__doc__}"
    return method


def _unary_method(prim: type[Primitive], name: str) -> Callable[[Tensor], Tensor]:
    forward = prim.forward

    def method(self: Tensor) -> Tensor:
        try:
            data = forward(self._data)
        except (ValueError, IndexError, TypeError) as error:
            raise _forward_failed(prim, (self,), error) from error
        switches = current_switches()
        if not (switches.grad_enabled and self.requires_grad):
            return _node(data)
        out = _new_tensor(Tensor)
        out._data = data
        out.requires_grad = True
        out.scope = switches.scope
        out._prim = prim
        out._parents = (self,)
        out._params = _NO_PARAMS
        out._epoch, out._seq = MutationClock.now, next(op_numbers)
        if switches.anomaly:
            anomaly.check_forward(out)
        return out

    method.__name__ = name
    method.__qualname__ = f"Tensor.{name}"
    method.__doc__ = f"{prim.name}(self), recorded. {prim.__doc__}"
    return method


_maximum = _binary_method(Maximum, "maximum")


class Tensor(TensorMethods, TensorViews):
    """An n-d array that records the operations applied to it, for reverse-mode autodiff.
    (Composed methods: tensor_methods.py; views, conversions, graph attributes: tensor_views.py.)

    >>> a = Tensor(2.0, requires_grad=True)
    >>> (a * a + 3 * a).backward()
    >>> a.grad
    array(7.)
    """

    # What every op sets is a slot (every way of making a Tensor sets them all: tests/test_tensor_slots.py): on
    # CPython 3.11 adding a key to a new object's __dict__ costs ~36 ns, storing a slot ~6 ns. The rest are rare,
    # so class-level defaults in __dict__ (set only where they differ).
    __slots__ = ("_data", "_epoch", "_params", "_parents", "_prim", "_seq", "requires_grad", "scope")
    _data: Array | np.generic  # an ndarray, or a numpy scalar for a 0-d value inside the engine
    requires_grad: bool
    scope: str | None
    _prim: type[Primitive] | None
    _parents: tuple[Tensor, ...]
    _params: dict[str, Any]
    # MutationClock's count when the op ran, or SPENT (-1) once a backward without retain_graph has spent its
    # graph: one field, so that backward asks both questions in one comparison (see engine._run)
    _epoch: int
    # An op's number in the order made (graph_state.op_numbers; a leaf's 0): backward runs the highest waiting first
    _seq: int
    grad: Array | None = None
    label: str | None = None
    _version = 0
    _retains_grad = False
    _watched = False  # hooks or retain_grad(): backward stops at this node (graph_state.watch)
    _origin: str | None = None
    _hooks: list[Callable[[Tensor], TensorLike | None]] | None = None  # register_hook's, once there is one
    _repr_html_ = tensor_html  # Jupyter: a small card (shape, dtype, op, values) instead of the text repr

    def __init__(
        self, data: TensorLike, requires_grad: bool = False, dtype: DTypeLike | None = None, label: str | None = None
    ) -> None:
        if type(data) is float and dtype is None:
            # A scalar leaf (micrograd's Value), the common case: nothing to convert or check. Kept as a
            # numpy scalar, as 0-d values are inside the engine, until .data is asked for.
            array: Array | np.generic = np.float64(data)
        else:
            array = as_array(data, dtype, requires_grad)
            if requires_grad:
                require_flag_and_float(data, requires_grad, array.dtype)
        # Every slot set (one never set would raise AttributeError when read), written out as in _node:
        # a scalar leaf is a tenth of the cs231n neuron's cost, and a call is a tenth of a leaf's.
        self._data = array
        self.requires_grad = requires_grad is True or bool(requires_grad)
        self.scope = current_switches().scope
        self._prim = None
        self._parents = ()
        self._params = _NO_PARAMS
        self._epoch = self._seq = 0
        if label is not None:
            self.label = label

    @classmethod
    def apply(cls, prim: type[Primitive], *inputs: TensorLike, **params: Any) -> Tensor:
        """Run primitive ``prim`` on ``inputs`` (Tensors or arrays) and record it when a gradient
        will be needed. Everything a Tensor computes goes through here.

        >>> Tensor.apply(Exp, Tensor([0.0, 1.0]))
        Tensor([1.    , 2.7183])
        """
        return _record(prim, tuple([x if isinstance(x, Tensor) else Tensor(x) for x in inputs]), params)

    # ------------------------------------------------------------ attributes
    @property
    def data(self) -> Array:
        """The values, always a numpy array. Assigning (or ``t.data -= ...``) counts as an
        in-place change: a graph that saved this tensor then refuses to backward."""
        data = self._data
        if type(data) is not np.ndarray:
            # Inside the engine a 0-d value travels as a numpy scalar, whose arithmetic is ~4x
            # cheaper than a 0-d array's (measured: 56 vs 251 ns a multiply). Asked for, it
            # becomes this tensor's own 0-d array for good, so writes through .data stick.
            data = self._data = unwritten(np.array(data))
        return data

    @data.setter
    def data(self, value: ArrayLike) -> None:
        if value is self._data:  # p.data -= ...: written in place (dtype kept), memory others may share too
            count_writes((self,))  # (~0.2 us: nn.optim counts a step's parameters in one call)
            return
        array = np.asarray(value)
        if self.requires_grad:  # an optimizer's update into integers would silently do nothing
            require_float("Tensor.data of a tensor that requires grad", array.dtype, "assign float values")
        self._data = array
        self._version = MutationClock.tick()

    # ------------------------------------------------------------ autodiff
    def backward(
        self,
        grad: TensorLike | None = None,
        retain_graph: bool = False,
        create_graph: bool = False,
        inputs: Tensor | Iterable[Tensor] | None = None,
        *,
        gradient: TensorLike | None = None,
    ) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (the chain rule, in reverse); with ``inputs``
        (PyTorch's: a tensor or a list) into those tensors' ``.grad`` only (no others; one it does not reach: none).

        ``grad`` (or ``gradient=``, PyTorch's name) is the seed dL/d(self), implied for a one-element tensor.
        Without ``retain_graph`` the graph is spent. ``create_graph=True`` records backward too (``ag.grad``).

        >>> w, b = Tensor(2.0, requires_grad=True), Tensor(3.0, requires_grad=True)
        >>> (w * b).backward(inputs=[w]); w.grad, b.grad
        (array(3.), None)
        """
        if gradient is not None:
            if grad is not None:
                raise TypeError("backward: the seed was given twice (grad= and gradient=); pass one of them")
            grad = gradient
        engine.backward((self,), (grad,), retain_graph, create_graph, inputs)

    def detach(self) -> Tensor:
        """The same values as a new leaf that is not part of any graph."""
        return Tensor(self._data, label=self.label)

    # ------------------------------------------------------------ operators
    # Made by _binary_method / _unary_method (below): each is the whole record path, one Python call per op.
    __add__, __radd__ = _binary_method(Add, "__add__"), _binary_method(Add, "__radd__", reflected=True)
    __sub__, __rsub__ = _binary_method(Sub, "__sub__"), _binary_method(Sub, "__rsub__", reflected=True)
    __mul__, __rmul__ = _binary_method(Mul, "__mul__"), _binary_method(Mul, "__rmul__", reflected=True)
    __truediv__, __rtruediv__ = _binary_method(Div, "__truediv__"), _binary_method(Div, "__rtruediv__", reflected=True)
    __pow__, __rpow__ = _binary_method(Pow, "__pow__"), _binary_method(Pow, "__rpow__", reflected=True)
    __matmul__ = _binary_method(Matmul, "__matmul__")
    __rmatmul__ = _binary_method(Matmul, "__rmatmul__", reflected=True)
    __neg__ = _unary_method(Neg, "__neg__")

    def __pos__(self) -> Tensor:
        return self

    # ------------------------------------------------------------ elementwise
    exp = _unary_method(Exp, "exp")
    log = _unary_method(Log, "log")
    sigmoid = _unary_method(Sigmoid, "sigmoid")
    tanh = _unary_method(Tanh, "tanh")
    relu = _unary_method(Relu, "relu")
    abs = _unary_method(Abs, "abs")

    def maximum(self, other: TensorLike) -> Tensor:
        """Elementwise max(self, other); where they tie, each side gets half the gradient."""
        return _maximum(self, other)

    # ------------------------------------------------------------ reductions
    def sum(
        self,
        axis: Axis = None,
        keepdims: bool = False,
        *,
        dim: Axis = None,
        keepdim: bool | None = None,
        dtype: DTypeLike | None = None,
    ) -> Tensor:
        """Sum over ``axis`` (None: all, an int, or a tuple); ``dim=``/``keepdim=`` too; ``dtype=`` casts first."""
        if dim is not None or keepdim is not None:
            axis, keepdims = torch_axis("sum", axis, keepdims, dim, keepdim)
        x = self if dtype is None else self.to(dtype)
        return _record(Sum, (x,), {"axes": reduction_axes("sum", axis, self.ndim), "keepdims": keepdims})

    def max(self, dim: Axis = None, keepdim: bool = False, *, axis: Axis = None, keepdims: bool | None = None) -> Any:
        """Maximum over one ``dim`` (PyTorch's: ``(values, indices)``, as ``torch.max``) or over ``axis=`` (numpy's
        keywords: the values, as ``amax``; also for several axes or none); tied elements share the gradient equally."""
        if axis is None and keepdims is None and isinstance(dim, (int, np.integer)):
            return self._with_indices("max", dim, keepdim)
        axis, keepdims = torch_axis("max", axis, keepdim if keepdims is None else keepdims, dim, None)
        return _record(Max, (self,), {"axes": reduction_axes("max", axis, self.ndim), "keepdims": keepdims})

    def _shifted(self, op: str, axis: Axis) -> tuple[Tensor, Tensor, tuple[int, ...]]:
        """(x - c, c, axes), c the max along ``axis`` recorded detached: it cancels in softmax; exp cannot overflow."""
        axes = reduction_axes(op, axis, self.ndim)
        shift = _record(MaxShift, (self,), {"axes": axes})
        shift.requires_grad = False  # a constant for backward; its recipe stays visible to viz and compile
        return self - shift, shift, axes

    # ------------------------------------------------------------ shape
    def reshape(self, *shape: int | Shape | list[int]) -> Tensor:
        """Same values, new shape: ``t.reshape(2, 3)`` or ``t.reshape((2, 3))``."""
        shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        return _record(Reshape, (self,), {"shape": shape})

    def transpose(self, *axes: int | Shape | list[int]) -> Tensor:
        """Swap two axes (``t.transpose(0, 1)``, PyTorch) or permute all (``t.transpose((2, 0, 1))``); none: ``.T``."""
        order = transpose_order(axes, self.shape)
        return self.T if order is None else _record(Transpose, (self,), {"axes": order})

    @property
    def T(self) -> Tensor:
        """Axes reversed (a matrix transpose for 2-d)."""
        ndim = self._data.ndim
        # A matrix's params are one shared dict (nothing mutates params): every nn.Linear's W.T per step
        params = _MATRIX_TRANSPOSE if ndim == 2 else {"axes": tuple(range(ndim - 1, -1, -1))}
        return _record(Transpose, (self,), params)

    def __getitem__(self, index: Index) -> Tensor:
        return _record(Getitem, (self,), {"index": plain_index(index)})


def _node(data: Array | np.generic) -> Tensor:
    """A new Tensor around ``data`` (an ndarray), skipping the checks of ``__init__``."""
    t = _new_tensor(Tensor)  # every slot set, as in __init__
    t._data = data
    t.requires_grad = False
    t.scope = current_switches().scope
    t._prim = None
    t._parents = ()
    t._params = _NO_PARAMS
    t._epoch = t._seq = 0
    return t


def _record(prim: type[Primitive], parents: tuple[Tensor, ...], params: dict[str, Any] = _NO_PARAMS) -> Tensor:
    """Run ``prim`` on the parents' arrays; record the op on the output if a gradient will flow.
    (Any number of inputs and params; the operators and elementwise methods: _binary_method, _unary_method.)"""
    try:
        data = prim.forward(*[p._data for p in parents], **params)
    except (ValueError, IndexError, TypeError) as error:
        raise _forward_failed(prim, parents, error) from error
    switches = current_switches()  # read once per op
    if switches.grad_enabled:
        for p in parents:
            if p.requires_grad:
                break
        else:
            return _node(data)
    else:
        return _node(data)  # not recorded: a constant, as a leaf
    out = _new_tensor(Tensor)  # every slot set, as in __init__ (once per op: written out, as below)
    out._data = data
    out.requires_grad = True
    out.scope = switches.scope
    out._prim = prim
    out._parents = parents
    out._params = params
    out._epoch, out._seq = MutationClock.now, next(op_numbers)
    if switches.anomaly:
        anomaly.check_forward(out)
    return out


def _forward_failed(prim: type[Primitive], parents: tuple[Tensor, ...], error: Exception) -> Exception:
    """The forward's error, of the same kind, naming the op and the shapes (and what to do, if the op says)."""
    shapes = ", ".join(str(p.shape) for p in parents)
    said = prim.hint_for(*(p._data for p in parents)) if prim.hint_for else prim.hint
    kind = next(k for k in (IndexError, ValueError, TypeError) if isinstance(error, k))
    return kind(f"{prim.name}: cannot apply to shapes {shapes}: {error}" + (f"; {said}" if said else ""))


_new_tensor = object.__new__
