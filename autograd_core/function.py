"""``ag.Function``: PyTorch's ``torch.autograd.Function``, an op with a hand-written forward and backward.

A thin adapter on the engine's one mechanism, the Primitive (docs/tutorials/07-your-own-primitive.md): each
Function subclass gets its own Primitive, named after the class (graphs, viz and ``ag.walk`` show
``LegendrePolynomial3``). Its forward runs the user's ``forward(ctx, *args)`` on Tensors, recording nothing; its
vjp runs ``backward(ctx, *grad_outputs)`` once per node and incoming gradient (the engine asks input by input) and
hands input i its part. Under ``create_graph=True`` backward gets Tensors and records, so a backward written with
Tensor ops has derivatives of its own. Several outputs are one node holding them side by side (flattened,
concatenated); each returned Tensor is a recorded slice of it.

What a node needs besides arrays is its params' ``call`` (a ``_Call``): compared by value, so that ``ag.compile``'s
two traces agree, and each forward run (a replay's too) makes a fresh ctx, found again by the vjp through the
identity of the output array it produced.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, ClassVar

import numpy as np

from .function_ctx import FunctionCtx
from .grad_mode import no_grad
from .primitives import PRIMITIVES, Primitive
from .tensor import Tensor, _node
from .tensor_inputs import as_array

_NUMBERS = (bool, int, float, np.ndarray, np.generic)
_STATIC = (bool, int, float, str, type(None))  # compared by value between compile's traces (others: identity)


class _Call:
    """One application of a Function: its arguments other than the Tensors, where the Tensors go, which need a
    gradient; and the forward runs made (the node's own first, then the latest: a replay's) as (output, ctx)."""

    def __init__(self, function: type[Function], args: list[Any], kwargs: dict[str, Any], tensors: tuple) -> None:
        self.function, self.args, self.kwargs = function, args, kwargs
        self.positions = tuple(k for k, a in enumerate(args) if isinstance(a, Tensor))
        self.needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        for k in self.positions:
            args[k] = None  # the node's parents hold them; the first forward gets them from `originals`
        self.originals: tuple[Tensor, ...] | None = tensors
        self.first: tuple[Any, FunctionCtx, list[Any]] | None = None
        self.latest: tuple[Any, FunctionCtx, list[Any]] | None = None
        self.several = False  # forward returned a tuple (of one or more outputs)

    def key(self) -> tuple:
        statics = [(type(a), a if type(a) in _STATIC else id(a)) for a in [*self.args, *self.kwargs.values()]]
        return self.function, self.positions, self.needs, tuple(self.kwargs), tuple(statics)

    def __eq__(self, other: object) -> bool:  # compile's tapes compare params: equal when applied alike
        return isinstance(other, _Call) and self.key() == other.key()

    def __hash__(self) -> int:
        return hash((self.function, self.positions, self.needs))

    def __repr__(self) -> str:
        return f"<{self.function.__name__} call>"

    def run_of(self, data: Any) -> tuple[Any, FunctionCtx, list[Any]]:
        """The forward run that made the output array ``data``: (data, its ctx, its output layout)."""
        for run in (self.latest, self.first):
            if run is not None and run[0] is data:
                return run
        raise RuntimeError(
            f"{self.function.__name__}: this output's values are not the ones its forward made (replaced with "
            ".data = ...?), so backward has no ctx for them; run the forward pass again"
        )


def _forward(*arrays: Any, call: _Call) -> Any:
    """The Primitive's forward: the user's forward on Tensors, without recording; its output as one array."""
    function, tensors = call.function, call.originals
    if tensors is None:  # a later run (ag.compile's replay, viz's check): the arrays given, as constants
        tensors = tuple(_node(a) for a in arrays)
    call.originals = None
    args = list(call.args)
    for k, t in zip(call.positions, tensors):
        args[k] = t
    ctx = FunctionCtx(function.__name__, call.needs)
    with no_grad():
        if function._separate:  # PyTorch 2's style: forward(*args) without ctx, then setup_context fills it
            result = function.forward(*args, **call.kwargs)
            function.setup_context(ctx, tuple(args), result)
        else:
            result = function.forward(ctx, *args, **call.kwargs)
    ctx._inputs = tensors
    call.several = isinstance(result, (tuple, list))
    data, layout = _flatten(function.__name__, result, ctx, tensors)
    run = (data, ctx, layout)
    if call.first is None:
        call.first = run
    else:
        call.latest = run
    return data


def _flatten(name: str, result: Any, ctx: FunctionCtx, tensors: tuple[Tensor, ...]) -> tuple[Any, list[Any]]:
    """forward's result as the node's array, and the layout of its outputs: for each, its Tensor as forward
    returned it and either (start, stop, shape) in the node's array, or its array when it gets no gradient."""
    outputs = list(result) if isinstance(result, (tuple, list)) else [result]
    if not outputs:
        raise TypeError(f"{name}.forward returned an empty {type(result).__name__}; return a Tensor (or several)")
    given = {id(t._data) for t in tensors}
    pieces: list[Any] = []
    layout: list[Any] = []
    start = 0
    for k, out in enumerate(outputs):
        if isinstance(out, Tensor):
            array = out._data
            if id(array) in given:  # an input returned as it is: the output gets memory of its own
                array = array.copy()
        elif isinstance(out, _NUMBERS):
            array = as_array(out, None)
        else:
            where = f" (output {k})" if len(outputs) > 1 else ""
            raise TypeError(
                f"{name}.forward returned a {type(out).__name__}{where}, not a Tensor; return a Tensor (or a numpy "
                "array or number), computed from the inputs; keep other values on ctx (ctx.value = ...)"
            )
        array = np.asarray(array)
        marked = any(out is m for m in ctx._non_differentiable)
        if marked or array.dtype.kind not in "fc":  # (integers cannot carry a gradient: torch's rule too)
            layout.append((out, array))
            continue
        if pieces and array.dtype != pieces[0].dtype:
            raise TypeError(
                f"{name}.forward returned outputs of dtypes {pieces[0].dtype} and {array.dtype}; return the "
                "differentiable outputs in one dtype (.astype(...)), or mark_non_differentiable the others"
            )
        pieces.append(array)
        layout.append((out, (start, start + array.size, array.shape)))
        start += array.size
    if len(outputs) == 1:  # one output: the node is the output itself (or a constant, when not differentiable)
        return pieces[0] if pieces else layout[0][1], layout
    if not pieces:
        return np.zeros(0), layout
    return np.concatenate([p.ravel() for p in pieces]), layout


def _vjp(i: int, g: Any, out: Any, *inputs: Any, call: _Call) -> Any:
    """The Primitive's vjp: the gradient for input i (the i-th Tensor argument), from one backward per g."""
    _, ctx, layout = call.run_of(out._data if isinstance(out, Tensor) else out)
    pending = ctx._pending
    if pending is None or pending[0] is not g or i not in pending[1]:
        pending = ctx._pending = (g, _backward(call, ctx, layout, g, out, inputs))
    grads = pending[1]
    result = grads.pop(i)
    if not grads:
        ctx._pending = None  # all handed out: hold no gradient (nor reuse these for a later g at this address)
    return result


def _backward(call: _Call, ctx: FunctionCtx, layout: list[Any], g: Any, out: Any, inputs: tuple) -> dict[int, Any]:
    """Run the user's backward once; its gradients by input index, checked (None: none, left to the engine)."""
    function, name = call.function, call.function.__name__
    recording = isinstance(g, Tensor)  # create_graph: Tensors in, Tensors out (the engine records)
    single = len(layout) == 1
    grad_outputs, unpack = [], {}
    for forward_out, where in layout:
        if type(where) is not tuple:  # not differentiable: zeros (torch's), None without materialize
            zeros = np.zeros_like(where)
            grad_outputs.append(_node(zeros) if ctx._materialize else None)
            continue
        start, stop, shape = where
        part = g if single else g[start:stop].reshape(shape)
        array = part._data if recording else part
        if not ctx._materialize and not single and not np.any(array):
            grad_outputs.append(None)  # no gradient reached it (or only zeros: the same to backward)
        else:
            grad_outputs.append(part if recording else _node(part))
        if recording and isinstance(forward_out, Tensor):  # saved outputs, as recorded in the graph
            unpack[id(forward_out)] = out if single else out[start:stop].reshape(shape)
    ctx._unpack = unpack
    if function.backward is Function.backward:
        raise NotImplementedError(f"{name} has no backward: define backward(ctx, *grad_outputs) as a staticmethod")
    try:
        results = function.backward(ctx, *grad_outputs)
    finally:
        ctx._unpack = {}
    results = tuple(results) if isinstance(results, (tuple, list)) else (results,)
    count = len(call.args)
    if len(results) > count and all(r is None for r in results[count:]):  # extra Nones: allowed, as in torch
        results = results[:count]
    if len(results) != count:
        raise RuntimeError(
            f"{name}.backward returned {len(results)} gradient{'s' * (len(results) != 1)}, but forward took "
            f"{count} argument{'s' * (count != 1)}: return one per argument of forward, in order (None for one "
            "that needs no gradient, such as a number)"
        )
    for k, r in enumerate(results):
        if r is not None and k not in call.positions:
            raise RuntimeError(
                f"{name}.backward returned a gradient for argument {k}, a {type(call.args[k]).__name__}, not a "
                "Tensor: only Tensor arguments get gradients; return None there"
            )
    owned = {id(_owner(t._data)) for t in (*ctx._inputs, *ctx._saved) if t is not None}
    grads = {}
    for i, k in enumerate(call.positions):
        if call.needs[k]:
            grads[i] = _gradient(name, results[k], inputs[i], k, recording, owned)
    return grads


def _gradient(name: str, r: Any, x: Any, k: int, recording: bool, owned: set[int]) -> Any:
    """backward's result for argument k (input array or Tensor x): an array, or a Tensor when recording; None
    stays None, the vjp's "no gradient": the engine delivers none (a leaf reached only so keeps .grad None)."""
    if r is None:
        return None
    if not isinstance(r, (Tensor, *_NUMBERS)):
        raise TypeError(
            f"{name}.backward returned a {type(r).__name__} for argument {k}; return a Tensor (or None) of the "
            f"argument's shape {x.shape}"
        )
    shape = np.shape(r._data if isinstance(r, Tensor) else r)
    if shape != x.shape and not _sums_to(shape, x.shape):
        raise RuntimeError(
            f"{name}.backward returned a gradient of shape {shape} for argument {k}, whose shape is {x.shape}; "
            f"return dL/d(argument {k}): the argument's own shape (or one that broadcasting made of it)"
        )
    if recording:
        return r if isinstance(r, Tensor) else _node(as_array(r, x.dtype))
    array = r._data if isinstance(r, Tensor) else np.asarray(r)
    # an input's or saved tensor's own memory may not become a .grad that later adds in place
    return array.copy() if id(_owner(array)) in owned else array


def _owner(array: Any) -> Any:
    base = getattr(array, "base", None)
    return array if base is None else base


def _sums_to(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    """Can a gradient of ``shape`` be summed to ``target`` (was target broadcast to it)?"""
    try:
        return np.broadcast_shapes(target, shape) == shape
    except ValueError:
        return False


def _primitive_for(function: type[Function]) -> type[Primitive]:
    """The Primitive recording ``function``'s applications, named after it."""
    doc = f"{function.__name__}, an ag.Function. {(function.__doc__ or '').strip()}"
    return _unregistered(function.__name__, _forward, _vjp, __module__=function.__module__, __doc__=doc)


def _unregistered(name: str, forward: Any, vjp: Any, **body: Any) -> type[Primitive]:
    """A Primitive kept out of ``PRIMITIVES`` (the engine's own set, by name: a user's class may share a name)."""
    previous = PRIMITIVES.get(name)
    body.update(name=name, forward=staticmethod(forward), vjp=staticmethod(vjp))
    prim = type(name, (Primitive,), body)
    if previous is None:
        del PRIMITIVES[name]
    else:
        PRIMITIVES[name] = previous
    return prim


class Function:
    """An op with its own forward and backward, written as in PyTorch (``torch.autograd.Function``).

    Subclass it with two staticmethods: ``forward(ctx, *args)`` computes the output from Tensors (its operations
    are not recorded) and may ``ctx.save_for_backward(...)``; ``backward(ctx, *grad_outputs)`` returns one
    gradient per argument of forward (None: none, e.g. for a number). Call it with ``F.apply(*args)``.

    >>> class Cube(Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x ** 3
    ...     @staticmethod
    ...     def backward(ctx, grad_output):
    ...         (x,) = ctx.saved_tensors
    ...         return grad_output * 3 * x ** 2
    >>> x = Tensor(2.0, requires_grad=True)
    >>> y = Cube.apply(x); y.backward(); y.op, x.grad
    ('Cube', array(12.))
    """

    _primitive: ClassVar[type[Primitive]]
    _signature: ClassVar[inspect.Signature | None] = None
    _separate: ClassVar[bool] = False  # setup_context defined: forward takes no ctx

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._primitive = _primitive_for(cls)
        cls._signature = None
        cls._separate = cls.setup_context is not Function.setup_context

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any, **kwargs: Any) -> Any:
        """Compute the output(s) from the arguments; override it (a staticmethod)."""
        raise NotImplementedError("define forward(ctx, *args) as a staticmethod of your Function subclass")

    @staticmethod
    def setup_context(ctx: FunctionCtx, inputs: tuple[Any, ...], output: Any) -> None:
        """PyTorch 2's other style, optional: define it to fill ctx from forward's arguments and output, and
        write ``forward(*args)`` without ctx."""
        raise NotImplementedError("setup_context(ctx, inputs, output) is defined by a Function subclass, if at all")

    @staticmethod
    def backward(ctx: FunctionCtx, *grad_outputs: Any) -> Any:
        """Return dL/d(argument) for each argument of forward, given dL/d(output); override it (a staticmethod)."""
        raise NotImplementedError("define backward(ctx, *grad_outputs) as a staticmethod of your Function subclass")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        """Run forward on ``args`` and record one node whose backward is this class's ``backward``: a Tensor, or
        a tuple of them when forward returns several. Keyword arguments of forward count as its arguments."""
        if cls.forward is Function.forward:
            raise NotImplementedError(f"{cls.__name__} has no forward: define forward(ctx, *args) as a staticmethod")
        if cls._signature is None:
            cls._signature = inspect.signature(cls.forward)
        try:
            bound = (
                cls._signature.bind(*args, **kwargs) if cls._separate else cls._signature.bind(None, *args, **kwargs)
            )
        except TypeError as error:
            raise TypeError(f"{cls.__name__}.apply: {error} (forward{cls._signature})") from None
        positional = list(bound.args[0 if cls._separate else 1 :])
        tensors = tuple(a for a in positional if isinstance(a, Tensor))
        call = _Call(cls, positional, dict(bound.kwargs), tensors)
        node = Tensor.apply(cls._primitive, *tensors, call=call)
        layout = call.first[2]  # type: ignore[index]
        if len(layout) == 1 and not call.several:  # the node is the output (a constant if not differentiable)
            differentiable = type(layout[0][1]) is tuple
            return node if differentiable or not node.requires_grad else node.detach()
        return tuple(_output(node, where) for _, where in layout)


def _output(node: Tensor, where: Any) -> Tensor:
    """One of several outputs: a recorded slice of the node, or a constant (no gradient)."""
    if type(where) is not tuple:
        return _node(where)
    start, stop, shape = where
    return node[start:stop].reshape(shape)


def once_differentiable(backward: Any) -> Any:
    """Decorate a Function's ``backward`` that is computed outside the graph (numpy, ``.data``), as PyTorch's: it
    runs without recording, and under ``create_graph=True`` differentiating its result again raises, instead of
    silently giving zero.

    >>> class Clip(Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.mask = x.data > 0
    ...         return x.clamp(min=0)
    ...     @staticmethod
    ...     @once_differentiable
    ...     def backward(ctx, g):
    ...         return g * ctx.mask
    >>> x = Tensor([-1.0, 2.0], requires_grad=True)
    >>> Clip.apply(x).sum().backward(); x.grad
    array([0., 1.])
    """

    @functools.wraps(backward)
    def wrapper(ctx: FunctionCtx, *grad_outputs: Any) -> Any:
        with no_grad():
            results = backward(ctx, *grad_outputs)
        live = tuple(g for g in grad_outputs if isinstance(g, Tensor) and g.requires_grad)
        if not live:
            return results  # nothing will differentiate it: the plain (or constant) result
        several = isinstance(results, (tuple, list))
        refused = tuple(_refusing(ctx._name, r, live) for r in (results if several else (results,)))
        return refused if several else refused[0]

    return wrapper


def _refusing(name: str, r: Any, live: tuple[Tensor, ...]) -> Any:
    """``r`` as the output of a node whose backward raises, hung on the grad_outputs that require grad (as
    torch's DelayedError): a path back to them through it, ag.jvp's double vjp too, raises, never gives zeros."""
    if not isinstance(r, Tensor):
        return r
    return Tensor.apply(_OnceDifferentiable, Tensor(r._data), *live, function=name)


def _refuse(i: int, g: Any, out: Any, *inputs: Any, function: str) -> Any:
    raise RuntimeError(
        f"{function}.backward is decorated with once_differentiable, so its result has no derivative: drop the "
        "decorator and write backward with Tensor ops to differentiate it again (create_graph=True)"
    )


_OnceDifferentiable = _unregistered("once_differentiable", lambda x, *live, function: x.copy(), _refuse)
