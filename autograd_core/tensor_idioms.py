"""PyTorch Tensor methods a second probe of everyday idioms found missing: ``take_along_dim reshape_as nanmean
nansum unfold`` (sliding windows), ``kthvalue is_floating_point new_empty get_device``, and the in-place forms of the
pointwise methods (``abs_ exp_ log_ neg_ pow_ sqrt_ relu_ sigmoid_ tanh_ ... addcmul_ addcdiv_ lerp_
index_fill_``). Composed from existing ops, so the out-of-place ones are differentiable; the in-place ones refuse
what ``add_`` refuses (a leaf that requires grad outside ``no_grad``, a tensor a recorded op still needs).
``Tensor`` inherits them through ``TensorInPlace``.

>>> w = Tensor([-1.0, 4.0])
>>> w.abs_().sqrt_()
Tensor([1., 2.])
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import numpy as np

import autograd_core.tensor as _tensor  # still loading when this one is imported: read at call time

from .tensor_base import TensorBase
from .types import Axis, DTypeLike, Number, Shape, TensorLike

if TYPE_CHECKING:
    from .tensor import Tensor
    from .tensor_torch import SortResult


class TensorIdioms(TensorBase):
    """``take_along_dim reshape_as nanmean nansum unfold`` and the in-place pointwise methods (module docstring)."""

    def take_along_dim(self, indices: TensorLike, dim: int | None = None) -> Tensor:
        """The values at ``indices`` along ``dim``, the other axes broadcast between the two (the flattened
        tensor when ``dim`` is None), as PyTorch's; differentiable in ``self`` (a gather).

        >>> Tensor([[1.0, 5.0], [7.0, 2.0]]).take_along_dim(ag.tensor([[1], [0]]), 1).tolist()
        [[5.0], [7.0]]
        """
        t = cast("Tensor", self)
        index = np.asarray(indices._data if isinstance(indices, TensorBase) else indices)
        if dim is None:
            return t.reshape(-1).gather(0, _tensor.Tensor(index.reshape(-1)))
        if index.ndim != t.ndim:
            raise ValueError(
                f"take_along_dim: indices must have as many axes as the input, got shape {index.shape} for input "
                f"shape {t.shape}; add size-1 axes (argmax(dim, keepdim=True)) or pass dim=None to flatten both"
            )
        axis = dim % t.ndim if t.ndim else 0
        try:
            common = list(np.broadcast_shapes(_without(t.shape, axis), _without(index.shape, axis)))
        except ValueError:
            raise ValueError(
                f"take_along_dim: input shape {t.shape} and indices shape {index.shape} do not broadcast outside "
                f"dim {dim}; make the other axes equal or 1"
            ) from None
        source = t.expand(*common[:axis], t.shape[axis], *common[axis:])
        wanted = np.broadcast_to(index, (*common[:axis], index.shape[axis], *common[axis:]))
        return source.gather(axis, _tensor.Tensor(np.ascontiguousarray(wanted)))

    def reshape_as(self, other: TensorLike) -> Tensor:
        """This tensor reshaped to ``other``'s shape, as PyTorch's.

        >>> Tensor([1.0, 2.0, 3.0, 4.0]).reshape_as(Tensor(np.zeros((2, 2)))).shape
        (2, 2)
        """
        return cast("Tensor", self).reshape(tuple(np.shape(other._data if isinstance(other, TensorBase) else other)))

    def nansum(self, dim: Axis = None, keepdim: bool = False) -> Tensor:
        """The sum over ``dim`` counting NaN as zero (``ag.nansum``).

        >>> Tensor([[1.0, float("nan")], [2.0, 3.0]]).nansum(1).tolist()
        [1.0, 5.0]
        """
        from .functions_torch import nansum

        return nansum(self, dim, keepdim)

    def nanmean(self, dim: Axis = None, keepdim: bool = False) -> Tensor:
        """The mean over ``dim`` of the elements that are not NaN (NaN where all are), as PyTorch's.

        >>> Tensor([[1.0, float("nan")], [2.0, 3.0]]).nanmean(dim=1).tolist()
        [1.0, 2.5]
        """
        kept = _tensor.Tensor(~np.isnan(self._data))
        with np.errstate(invalid="ignore"):  # an all-NaN slice is 0 / 0: NaN, as torch's, without numpy's warning
            return self.nansum(dim, keepdim) / kept.sum(dim, keepdim)

    def unfold(self, dimension: int, size: int, step: int) -> Tensor:
        """Every window of ``size`` along ``dimension``, ``step`` apart, as a new last axis, as PyTorch's
        ``Tensor.unfold`` (``F.unfold`` is the image patches); differentiable (an index).

        >>> Tensor([1.0, 2.0, 3.0, 4.0]).unfold(0, 2, 1).tolist()
        [[1.0, 2.0], [2.0, 3.0], [3.0, 4.0]]
        """
        t = cast("Tensor", self)
        length = t.shape[dimension] if t.ndim else 1
        if not (isinstance(size, int) and isinstance(step, int) and 0 <= size <= length and step > 0):
            raise ValueError(
                f"unfold: needs 0 <= size <= {length} (dimension {dimension} of shape {t.shape}) and step > 0, got "
                f"size={size!r}, step={step!r}"
            )
        windows = np.arange(0, length - size + 1, step)[:, None] + np.arange(size)[None, :]
        moved = t.reshape(1) if t.ndim == 0 else t.movedim(dimension, -1)
        return moved[..., windows].movedim(-2, dimension % max(t.ndim, 1))

    def kthvalue(self, k: int, dim: int = -1, keepdim: bool = False) -> SortResult:
        """The ``k``-th smallest value along ``dim`` (k from 1) and its index, as PyTorch's; the value is
        differentiable (a gather of the sort).

        >>> Tensor([[3.0, 1.0, 2.0]]).kthvalue(1, dim=1).indices.tolist()
        [1]
        """
        from .tensor_torch import SortResult  # (tensor_torch imports this module's class)

        t = cast("Tensor", self)
        n = t.shape[dim] if t.ndim else 1
        if not (isinstance(k, (int, np.integer)) and 1 <= k <= n):
            raise ValueError(f"kthvalue: k={k!r} must be an int in [1, {n}] (the size of dim {dim} of {t.shape})")
        if t.ndim == 0:
            return SortResult(t, _tensor.Tensor(np.zeros((), np.int64)))
        ordered = t.sort(dim)
        values, indices = (part.narrow(dim, k - 1, 1) for part in ordered)
        return SortResult(values if keepdim else values.squeeze(dim), indices if keepdim else indices.squeeze(dim))

    def is_floating_point(self) -> bool:
        """Whether the dtype is a float one, as PyTorch's.

        >>> ag.tensor([1, 2]).is_floating_point(), Tensor([1.0]).is_floating_point()
        (False, True)
        """
        return bool(self.dtype.kind == "f")

    def new_empty(self, *size: int | Shape | list[int], dtype: DTypeLike | None = None, **kwargs: Any) -> Tensor:
        """A tensor of ``size`` in this one's dtype, as PyTorch's (zeros here: numpy has no cheaper empty).

        >>> Tensor([1.0]).new_empty(2, 3).shape
        (2, 3)
        """
        return cast("Tensor", self).new_zeros(*size, dtype=dtype, **kwargs)

    def get_device(self) -> int:
        """-1: the CPU, as PyTorch's ``get_device()`` for a CPU tensor.

        >>> Tensor([1.0]).get_device()
        -1
        """
        return -1

    # ------------------------------------------------------------------- in place: the method's value, written
    def _write(self, method: str, compute: Any) -> Tensor:
        t = cast("Tensor", self)._in_place(method)  # the refusal first, then the value
        t[...] = np.asarray(compute(t)._data)
        return t

    def abs_(self) -> Tensor:
        """``abs`` in place."""
        return self._write("abs_", lambda t: t.abs())

    def neg_(self) -> Tensor:
        """``neg`` in place."""
        return self._write("neg_", lambda t: -t)

    def exp_(self) -> Tensor:
        """``exp`` in place."""
        return self._write("exp_", lambda t: t.exp())

    def log_(self) -> Tensor:
        """``log`` in place."""
        return self._write("log_", lambda t: t.log())

    def sqrt_(self) -> Tensor:
        """``sqrt`` in place."""
        return self._write("sqrt_", lambda t: t.sqrt())

    def pow_(self, exponent: TensorLike) -> Tensor:
        """``self ** exponent`` in place.

        >>> Tensor([2.0, 3.0]).pow_(2)
        Tensor([4., 9.])
        """
        return self._write("pow_", lambda t: t**exponent)

    def relu_(self) -> Tensor:
        """``relu`` in place (PyTorch's ``inplace=True`` activations)."""
        return self._write("relu_", lambda t: t.relu())

    def sigmoid_(self) -> Tensor:
        """``sigmoid`` in place."""
        return self._write("sigmoid_", lambda t: t.sigmoid())

    def tanh_(self) -> Tensor:
        """``tanh`` in place."""
        return self._write("tanh_", lambda t: t.tanh())

    def floor_(self) -> Tensor:
        """``floor`` in place."""
        return self._write("floor_", lambda t: t.floor())

    def ceil_(self) -> Tensor:
        """``ceil`` in place."""
        return self._write("ceil_", lambda t: t.ceil())

    def round_(self, decimals: int = 0) -> Tensor:
        """``round`` in place."""
        return self._write("round_", lambda t: t.round(decimals=decimals))

    def sign_(self) -> Tensor:
        """``sign`` in place."""
        return self._write("sign_", lambda t: t.sign())

    def reciprocal_(self) -> Tensor:
        """``1 / self`` in place."""
        return self._write("reciprocal_", lambda t: t.reciprocal())

    def addcmul_(self, tensor1: TensorLike, tensor2: TensorLike, *, value: Number = 1) -> Tensor:
        """``self += value * tensor1 * tensor2`` in place (Adam's second moment, as PyTorch writes it).

        >>> Tensor([1.0]).addcmul_(Tensor([2.0]), Tensor([3.0]), value=0.5)
        Tensor([4.])
        """
        return self._write("addcmul_", lambda t: t.addcmul(tensor1, tensor2, value=value))

    def addcdiv_(self, tensor1: TensorLike, tensor2: TensorLike, *, value: Number = 1) -> Tensor:
        """``self += value * tensor1 / tensor2`` in place (Adam's step, as PyTorch writes it)."""
        return self._write("addcdiv_", lambda t: t.addcdiv(tensor1, tensor2, value=value))

    def lerp_(self, end: TensorLike, weight: TensorLike) -> Tensor:
        """``self += weight * (end - self)`` in place (an exponential moving average of weights).

        >>> Tensor([0.0, 10.0]).lerp_(Tensor([10.0, 10.0]), 0.1)
        Tensor([ 1., 10.])
        """
        return self._write("lerp_", lambda t: t.lerp(end, weight))

    def index_fill_(self, dim: int, index: TensorLike, value: TensorLike) -> Tensor:
        """``index_fill`` in place: ``value`` at ``index`` along ``dim``.

        >>> Tensor([1.0, 2.0, 3.0]).index_fill_(0, ag.tensor([0, 2]), -1.0)
        Tensor([-1.,  2., -1.])
        """
        return self._write("index_fill_", lambda t: t.index_fill(dim, index, value))


def _without(shape: tuple[int, ...], axis: int) -> tuple[int, ...]:
    return shape[:axis] + shape[axis + 1 :]
