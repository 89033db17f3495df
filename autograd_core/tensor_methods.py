"""The composed methods of ``Tensor``, which it inherits from ``TensorMethods``:

- composed, so differentiable with no rule of their own: ``mean var std min clamp sqrt minimum
  pow clone norm masked_fill`` and the softmax family ``logsumexp log_softmax softmax``;
- without a gradient, as in PyTorch: comparisons and ``& | ^ ~ any all`` (booleans), ``argmax/argmin`` (integers);
- in-place operators (``w -= ...`` under ``no_grad``) and ``t[i] = v``, outside the graph;
- gradient hooks, and numpy's override protocols, so ``np.exp(t)`` is ``t.exp()`` (numpy_interop.py).

Shape helpers, conversions, graph attributes: tensor_views.py; the hot operator path (``__add__`` ... ``_record``):
tensor.py. Axis arguments take numpy's ``axis=``/``keepdims=`` or PyTorch's ``dim=``/``keepdim=``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

import numpy as np

import autograd_core.tensor as _tensor  # still loading when this one is imported: read at call time

from .delivery import HookHandle
from .grad_mode import current_switches
from .graph_state import count_writes, structure_changed, watch
from .primitives import Add, Div, Matmul, Mul, Pow, Sub
from .tensor_base import Hook, TensorBase, reduction_axes, torch_axis
from .tensor_inputs import assigned, plain_index
from .types import Axis, Index, TensorLike

if TYPE_CHECKING:
    from .primitives import Primitive
    from .tensor import Tensor

_COMPARABLE = (numbers.Number, np.ndarray, np.generic)


class TensorMethods(TensorBase):
    """Composed and non-differentiable methods of ``Tensor`` (see the module docstring)."""

    # Identity hashing with an elementwise ``==``, as PyTorch: the engine keys dicts and sets
    # by tensors (which never calls ==), so defining __eq__ must not make tensors unhashable.
    __hash__ = object.__hash__

    # ------------------------------------------------------------ in-place operators (outside the graph)
    def _inplace(self, prim: type[Primitive], other: TensorLike, symbol: str) -> Tensor:
        # Under no_grad an in-place update is what PyTorch users write (`w -= lr * w.grad`);
        # with grad mode on it would silently fall back to `w = w - ...`, a new non-leaf.
        self._check_inplace(
            f"in-place '{symbol}='",
            "would silently rebind it to a new tensor outside the graph",
            f"`w.data {symbol}= ...` (e.g. `w.data -= lr * w.grad`)",
        )
        if isinstance(other, TensorBase) and other.requires_grad and current_switches().grad_enabled:
            raise RuntimeError(  # as t[...] = v: a silent copy would drop what v's gradient needs
                f"in-place '{symbol}=': the right side (shape {other.shape}) requires grad, but the write copies its "
                f"values only, so no gradient would reach what it was computed from; write y = y {symbol} v (a new "
                f"tensor in the graph), or y {symbol}= v.detach() for the values alone"
            )
        np.copyto(self.data, prim.forward(self._data, _tensor._lift(other, self)._data), casting="same_kind")
        count_writes((self,))
        return cast("Tensor", self)

    def _check_inplace(self, what: str, why: str, instead: str, new_tensor: str = "") -> None:
        # new_tensor: the out-of-place spelling of this very call, named first on a recorded tensor
        if self.requires_grad and current_switches().grad_enabled:
            if self._prim is None:
                raise RuntimeError(
                    f"{what} on a leaf tensor that requires grad {why}. Change its values without "
                    f"recording: {instead}, the same inside `with no_grad():`, or use an optimizer from nn.optim."
                )
            raise RuntimeError(
                f"{what} on a tensor that is part of a recorded graph; make a new tensor instead ({new_tensor}"
                "y = y + ..., y.at[i].set(v), ag.where(mask, value, y)), or, needing no gradient, work inside "
                "`with ag.no_grad():`"
            )

    def __setitem__(self, index: Index, value: TensorLike) -> None:
        """``t[index] = value`` in place, as PyTorch (for tensors outside a graph, or under ``no_grad``);
        a graph that saved ``t`` then refuses to backward, as after ``t += ...``.

        >>> t = Tensor([1.0, -2.0, 3.0])
        >>> t[t < 0] = 0.0
        >>> t
        Tensor([1., 0., 3.])
        """
        self._check_inplace("item assignment t[...] = v", "would change it outside the graph", "`w.data[...] = v`")
        self.data[plain_index(index)] = assigned(value)  # (refuses a value that requires grad: values only)
        count_writes((self,))

    def __iadd__(self, other: TensorLike) -> Tensor:
        return self._inplace(Add, other, "+")

    def __isub__(self, other: TensorLike) -> Tensor:
        return self._inplace(Sub, other, "-")

    def __imul__(self, other: TensorLike) -> Tensor:
        return self._inplace(Mul, other, "*")

    def __itruediv__(self, other: TensorLike) -> Tensor:
        return self._inplace(Div, other, "/")

    def __ipow__(self, other: TensorLike) -> Tensor:
        return self._inplace(Pow, other, "**")

    def __imatmul__(self, other: TensorLike) -> Tensor:
        return self._inplace(Matmul, other, "@")

    # ------------------------------------------------------------ gradient hooks
    def register_hook(self, hook: Hook) -> HookHandle:
        """Call ``hook(grad)`` each time backward has this tensor's complete gradient (a Tensor, as in
        PyTorch); a returned tensor or array replaces it, for ``.grad`` and everything upstream.
        Returns a handle whose ``remove()`` unregisters the hook. The hook must not change ``grad``
        in place (return a new one).

        >>> x = Tensor([1.0, 2.0], requires_grad=True)
        >>> handle = x.register_hook(lambda g: g * 10)
        >>> (x * x).sum().backward()
        >>> x.grad
        array([20., 40.])
        >>> handle.remove()
        """
        if not callable(hook):
            raise TypeError(f"register_hook: expected a function of the gradient, got {type(hook).__name__}")
        if not self.requires_grad:
            raise RuntimeError(
                "register_hook: this tensor does not require grad, so no gradient will reach "
                "the hook; create it with requires_grad=True (or call requires_grad_())"
            )
        if self._hooks is None:
            self._hooks = []
            watch(self)
        self._hooks.append(hook)
        structure_changed()  # a compiled step that reads this tensor traces again, and runs define-by-run
        return HookHandle(self._hooks, hook)

    # ------------------------------------------------------------ numpy calls: np.exp(t) is t.exp()
    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        from .numpy_interop import array_ufunc  # imports functions.py, which needs this module loaded

        return array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(
        self, func: Callable[..., Any], types: object, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        from .numpy_interop import array_function

        return array_function(func, args, kwargs)

    # ------------------------------------------------------------ comparisons: boolean, no gradient
    def _compare(self, ufunc: np.ufunc, other: object) -> Tensor:
        if isinstance(other, TensorMethods):
            other = other._data
        elif not isinstance(other, _COMPARABLE):
            return NotImplemented  # type: ignore[no-any-return]  # t == None is False and t < "a" a TypeError, as for numpy arrays
        return _tensor.Tensor(ufunc(self._data, other))

    def __eq__(self, other: object) -> Tensor:  # type: ignore[override]
        return self._compare(np.equal, other)

    def __ne__(self, other: object) -> Tensor:  # type: ignore[override]
        return self._compare(np.not_equal, other)

    def __lt__(self, other: object) -> Tensor:
        return self._compare(np.less, other)

    def __le__(self, other: object) -> Tensor:
        return self._compare(np.less_equal, other)

    def __gt__(self, other: object) -> Tensor:
        return self._compare(np.greater, other)

    def __ge__(self, other: object) -> Tensor:
        return self._compare(np.greater_equal, other)

    # ------------------------------------------------------------ logical: masks, no gradient
    def _logical(self, ufunc: np.ufunc, other: object, symbol: str) -> Tensor:
        values = other._data if isinstance(other, TensorMethods) else other
        if not isinstance(values, _COMPARABLE):
            return NotImplemented  # type: ignore[no-any-return]
        kinds = (self._data.dtype.kind, np.asarray(values).dtype.kind)
        if not set(kinds) <= set("biu"):
            raise TypeError(
                f"'{symbol}' needs boolean or integer tensors, got {self.dtype} {symbol} "
                f"{np.asarray(values).dtype}; combine comparisons in parentheses: (x > 0) {symbol} (x < 1)"
            )
        return _tensor.Tensor(ufunc(self._data, values))

    def __and__(self, other: object) -> Tensor:
        return self._logical(np.bitwise_and, other, "&")

    def __or__(self, other: object) -> Tensor:
        return self._logical(np.bitwise_or, other, "|")

    def __xor__(self, other: object) -> Tensor:
        return self._logical(np.bitwise_xor, other, "^")

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__  # all three are symmetric

    def __invert__(self) -> Tensor:
        """``~mask``: logical not of a boolean tensor (bitwise not of an integer one), as PyTorch."""
        if self.dtype.kind not in "biu":
            raise TypeError(f"'~' needs a boolean or integer tensor, got {self.dtype}; for a mask write ~(x > 0)")
        return _tensor.Tensor(np.invert(self._data))

    def any(
        self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: bool | None = None
    ) -> Tensor:
        """True where any element along ``axis`` is nonzero (all axes by default): boolean, no gradient.

        >>> (Tensor([1.0, -2.0]) > 0).any()
        Tensor(True, dtype=bool)
        """
        return self._boolean_reduce("any", np.any, axis, keepdims, dim, keepdim)

    def all(
        self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: bool | None = None
    ) -> Tensor:
        """True where every element along ``axis`` is nonzero: ``(pred == y).all()``; boolean, no gradient."""
        return self._boolean_reduce("all", np.all, axis, keepdims, dim, keepdim)

    def _boolean_reduce(
        self, op: str, reduce: Callable[..., Any], axis: Axis, keepdims: bool, dim: Axis, keepdim: bool | None
    ) -> Tensor:
        axis, keepdims = torch_axis(op, axis, keepdims, dim, keepdim)
        axes = reduction_axes(op, axis, self.ndim)
        return _tensor.Tensor(np.asarray(reduce(self._data, axis=axes, keepdims=keepdims)))

    # ------------------------------------------------------------ elementwise, composed
    def __abs__(self) -> Tensor:
        return self.abs()

    def sqrt(self) -> Tensor:
        """Square root, composed as ``self ** 0.5``."""
        return self**0.5

    def pow(self, exponent: TensorLike) -> Tensor:
        """``self ** exponent`` (a number or a tensor)."""
        return self**exponent

    def matmul(self, other: TensorLike) -> Tensor:
        return self @ other

    def minimum(self, other: TensorLike) -> Tensor:
        """Elementwise min, composed as -maximum(-a, -b) (so ties split the same way)."""
        return -(-self).maximum(-_tensor._lift(other, self))

    def clamp(
        self, min: TensorLike | None = None, max: TensorLike | None = None
    ) -> Tensor:  # min, max shadow the builtins: PyTorch's names
        """Limit values to [min, max] (either may be None), composed as maximum then minimum.

        At a bound the kink rule applies: x == min gives x half the gradient (PyTorch gives all).

        >>> Tensor([-2.0, 0.5, 3.0]).clamp(0, 1)
        Tensor([0. , 0.5, 1. ])
        """
        if min is None and max is None:
            raise ValueError("clamp: give min=, max= or both")
        out = cast("Tensor", self) if min is None else self.maximum(min)
        return out if max is None else out.minimum(max)

    def clip(self, min: TensorLike | None = None, max: TensorLike | None = None) -> Tensor:
        """numpy's name for ``clamp``."""
        return self.clamp(min, max)

    def clone(self) -> Tensor:
        """A copy in new memory that stays in the graph (the gradient passes through unchanged)."""
        if self.dtype.kind != "f":
            return _tensor.Tensor(self._data.copy())
        return self * 1  # x * 1 keeps -0.0, inf and nan as they are

    def masked_fill(self, mask: TensorLike, value: TensorLike) -> Tensor:
        """``value`` where the boolean ``mask`` holds, else this tensor's own: ``ag.masked_fill``."""
        from .functions import masked_fill  # functions.py needs this module loaded

        return masked_fill(cast("Tensor", self), mask, value)

    # ------------------------------------------------------------ reductions
    def min(self, dim: Axis = None, keepdim: bool = False, *, axis: Axis = None, keepdims: bool | None = None) -> Any:
        """Minimum, composed as -max(-x) (tied elements share the gradient equally), read as ``max``: one ``dim``
        gives ``(values, indices)`` (PyTorch's), numpy's ``axis=``/``keepdims=`` the values."""
        if axis is None and keepdims is None and isinstance(dim, (int, np.integer)):
            return self._with_indices("min", dim, keepdim)
        axis, keepdims = torch_axis("min", axis, keepdim if keepdims is None else keepdims, dim, None)
        if axis is not None and type(axis) is not int:
            reduction_axes("min", axis, self.ndim)  # a bad axis named as min's, not the max it is made of
        return -(-self).max(axis=axis, keepdims=keepdims)

    def var(
        self,
        axis: Axis = None,
        unbiased: bool = True,
        keepdims: bool = False,
        *,
        correction: int | None = None,
        dim: Axis = None,
        keepdim: bool | None = None,
    ) -> Tensor:
        """Variance over ``axis``: sum((x - mean)^2) / (N - correction), composed.

        As PyTorch, ``unbiased=True`` (the default) divides by N - 1; ``unbiased=False`` or
        ``correction=0`` by N (numpy's default; ``np.var(t)`` keeps numpy's meaning).

        >>> Tensor([1.0, 2.0, 3.0, 4.0]).var()
        Tensor(1.6667)
        """
        axis, keepdims = torch_axis("var", axis, keepdims, dim, keepdim)
        if correction is None:
            correction = 1 if unbiased else 0
        axes = reduction_axes("var", axis, self.ndim)
        count = math.prod([self.shape[a] for a in axes])
        deviation = self - cast("Tensor", self).mean(axes, keepdims=True)
        return (deviation * deviation).sum(axes, keepdims) / (count - correction)

    def std(
        self,
        axis: Axis = None,
        unbiased: bool = True,
        keepdims: bool = False,
        *,
        correction: int | None = None,
        dim: Axis = None,
        keepdim: bool | None = None,
    ) -> Tensor:
        """Standard deviation: ``var(...).sqrt()``, with the same arguments; where the values are all equal its
        gradient is 0 (PyTorch's subgradient), not sqrt's infinite slope at 0 times 0 = NaN.

        >>> x = Tensor([2.0, 2.0], requires_grad=True)
        >>> x.std().backward(); x.grad
        array([0., 0.])
        """
        from .functions import _at_zero

        var = self.var(axis, unbiased, keepdims, correction=correction, dim=dim, keepdim=keepdim)
        return _at_zero(var, lambda v: v.sqrt())

    def norm(self, p: float | str = 2, dim: Axis = None, keepdim: bool = False) -> Tensor:
        """The p-norm over ``dim`` (all elements by default), as PyTorch's ``t.norm()``: ``ag.norm``."""
        from .functions import norm

        return norm(cast("Tensor", self), p, dim, keepdim)

    def argmax(
        self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: bool | None = None
    ) -> Tensor:
        """Index of the maximum (of the flattened tensor when ``axis`` is None): int64, no gradient."""
        return self._arg("argmax", np.argmax, axis, keepdims, dim, keepdim)

    def argmin(
        self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: bool | None = None
    ) -> Tensor:
        """Index of the minimum: int64, no gradient."""
        return self._arg("argmin", np.argmin, axis, keepdims, dim, keepdim)

    def _arg(
        self, op: str, find: Callable[..., Any], axis: Axis, keepdims: bool, dim: Axis, keepdim: bool | None
    ) -> Tensor:
        axis, keepdims = torch_axis(op, axis, keepdims, dim, keepdim)
        if isinstance(axis, (tuple, list)):
            raise TypeError(f"{op}: axis must be one int or None, got {axis!r}")
        if axis is not None:
            axes = reduction_axes(op, axis, self.ndim)
            axis = axes[0] if axes else None  # a 0-d tensor's dim 0: the one element, index 0 (PyTorch's)
        return _tensor.Tensor(np.asarray(find(self._data, axis=axis, keepdims=keepdims), dtype=np.int64))

    # ------------------------------------------------------------ the softmax family, composed
    def logsumexp(
        self, axis: Axis = -1, keepdims: bool = False, dim: Axis = None, keepdim: bool | None = None
    ) -> Tensor:
        """log(sum(exp(x))) along ``axis`` (or ``dim``), stable for inputs of +-1000 (composed).
        -inf over an empty axis."""
        axis, keepdims = (axis if dim is None else dim), (keepdims if keepdim is None else keepdim)  # either spelling
        shifted, shift, axes = self._shifted("logsumexp", axis)
        if not self._data.size:  # the log of an empty sum: -inf (PyTorch's answer) without log(0)'s warning
            return self.sum(axes, keepdims) - np.inf
        result = shifted.exp().sum(axes, keepdims=True).log() + shift
        return result if keepdims else result.reshape(tuple(n for i, n in enumerate(result.shape) if i not in axes))

    def log_softmax(self, axis: Axis = -1, dim: Axis = None) -> Tensor:
        """log(softmax(x)) = x - logsumexp(x), computed as (x - c) - log(sum(exp(x - c))):
        stable for inputs of +-1000, and one op shorter than adding c back. ``dim=`` is ``axis``."""
        axis = axis if dim is None else dim
        shifted, _, axes = self._shifted("log_softmax", axis)
        if not self._data.size:  # nothing to normalise (and no log(0) warning over an empty axis)
            return shifted
        return shifted - shifted.exp().sum(axes, keepdims=True).log()

    def softmax(self, axis: Axis = -1, dim: Axis = None) -> Tensor:
        """exp(x) / sum(exp(x)) along ``axis`` (or ``dim``); the max is subtracted first, for stability."""
        axis = axis if dim is None else dim
        shifted, _, axes = self._shifted("softmax", axis)
        e = shifted.exp()
        return e / e.sum(axes, keepdims=True)
