"""PyTorch's scans and order statistics as ``Tensor`` methods, composed from Tensor ops (no vjp of their own):
``cumprod logcumsumexp`` (a log2(n)-step scan of products / log-sums: exact gradients, zeros included),
``cummax cummin median nanmedian mode`` (indices found with numpy, values gathered: the gradient goes to the
element picked, as PyTorch's), ``quantile nanquantile`` (sorted values, interpolated), ``diff aminmax
count_nonzero``.

>>> x = Tensor([2.0, 0.0, 3.0], requires_grad=True)
>>> x.cumprod(0).sum().backward()
>>> x.grad
array([1., 8., 0.])
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple, cast

import numpy as np

import autograd_core.tensor as _tensor  # still loading when this one is imported: read at call time

from .tensor_base import TensorBase, normalize_axes, reduction_axes, torch_axis
from .types import Axis, DTypeLike, TensorLike

if TYPE_CHECKING:
    from .tensor import Tensor
    from .tensor_torch import SortResult

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


class MinMax(NamedTuple):
    """``(min, max)``, as PyTorch's ``aminmax``."""

    min: Tensor
    max: Tensor


def _values_indices(values: Tensor, indices: Tensor) -> SortResult:
    from .tensor_torch import SortResult

    return SortResult(values, indices)


def _picked(values: Tensor, indices: np.ndarray, axis: int, keepdim: bool, ndim: int) -> SortResult:
    """Gathered values and their indices (both with ``axis`` kept), shaped as PyTorch returns them."""
    if not ndim:  # a 0-d input: 0-d results
        return _values_indices(values.reshape(()), _tensor.Tensor(indices.reshape(())))
    if keepdim:
        return _values_indices(values, _tensor.Tensor(indices))
    return _values_indices(values.squeeze(axis), _tensor.Tensor(indices.squeeze(axis)))


class TensorScans(TensorBase):
    """Scans and order statistics (see the module docstring)."""

    def _axis(self, op: str, dim: int) -> int:
        if not self.ndim:
            reduction_axes(op, dim, 0)  # dims 0 and -1 only, and the message saying so
        return normalize_axes(op, dim, max(self.ndim, 1))[0]

    def _scan(self, op: str, dim: int, combine: Callable[[Tensor, Tensor], Tensor]) -> Tensor:
        """Hillis and Steele's inclusive scan along ``dim``: after the step with shift s, each entry combines the
        2s entries up to it, so log2(n) recorded steps (not n) make every prefix."""
        from .functions import concatenate

        x = cast("Tensor", self)
        if not self.ndim:
            return x.clone()
        axis, n, shift = self._axis(op, dim), self.shape[self._axis(op, dim)], 1
        lead = (slice(None),) * axis
        while shift < n:
            tail = combine(x[lead + (slice(shift, None),)], x[lead + (slice(None, n - shift),)])
            x = concatenate([x[lead + (slice(None, shift),)], tail], axis)
            shift *= 2
        return x

    def cumprod(self, dim: int) -> Tensor:
        """Running product along ``dim`` (``torch.cumprod``); each element's gradient is exact where others are 0
        (no division). Booleans and integers multiply in int64, as PyTorch.

        >>> Tensor([1.0, 2.0, 3.0, 4.0]).cumprod(0)
        Tensor([ 1.,  2.,  6., 24.])
        """
        x = cast("Tensor", self).to(np.int64) if self.dtype.kind in "biu" else cast("Tensor", self)
        return x._scan("cumprod", dim, lambda later, earlier: later * earlier)

    def logcumsumexp(self, dim: int) -> Tensor:
        """log of the running sum of e**x along ``dim``, without overflow (``torch.logcumsumexp``): a scan of
        ``logaddexp``.

        >>> Tensor([0.0, 0.0, 1000.0]).logcumsumexp(0) - Tensor([0.0, np.log(2), 1000.0])
        Tensor([0., 0., 0.])
        """
        if self.dtype.kind != "f":
            raise TypeError(f"logcumsumexp: needs a floating-point tensor, got {self.dtype}; convert it (t.double())")
        return self._scan("logcumsumexp", dim, lambda later, earlier: later.logaddexp(earlier))

    def cummax(self, dim: int) -> SortResult:
        """``(values, indices)`` of the running maximum along ``dim`` (``torch.cummax``): a tie moves the index to
        the later element, a NaN stays once met; the gradient goes to the element each index names.

        >>> Tensor([1.0, 3.0, 2.0, 3.0]).cummax(0).indices
        Tensor([0, 1, 1, 3], dtype=int64)
        """
        return self._running("cummax", dim, np.maximum)

    def cummin(self, dim: int) -> SortResult:
        """``(values, indices)`` of the running minimum along ``dim`` (``torch.cummin``)."""
        return self._running("cummin", dim, np.minimum)

    def _running(self, op: str, dim: int, ufunc: np.ufunc) -> SortResult:
        x = cast("Tensor", self)
        if not self.ndim:
            return _values_indices(x.clone(), _tensor.Tensor(np.zeros((), np.int64)))
        axis, data = self._axis(op, dim), np.asarray(self._data)
        best = ufunc.accumulate(data, axis=axis)  # (numpy's maximum carries a NaN on, as PyTorch's cummax)
        taken = (data == best) | (np.isnan(data) if data.dtype.kind == "f" else False)
        place = np.arange(data.shape[axis]).reshape((-1,) + (1,) * (data.ndim - axis - 1))
        indices = np.maximum.accumulate(np.where(taken, place, 0), axis=axis).astype(np.int64)
        return _values_indices(x.gather(axis, indices), _tensor.Tensor(indices))

    def diff(
        self, n: int = 1, dim: int = -1, prepend: TensorLike | None = None, append: TensorLike | None = None
    ) -> Tensor:
        """The ``n``-th forward difference along ``dim``, ``out[i] = x[i + 1] - x[i]`` (``torch.diff``), after
        joining ``prepend`` and ``append``; booleans give where neighbours differ.

        >>> Tensor([1.0, 4.0, 9.0, 16.0]).diff()
        Tensor([3., 5., 7.])
        """
        from .functions import concatenate

        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"diff: n must be a non-negative int, got {n!r}")
        if not self.ndim:
            raise ValueError("diff: a 0-d tensor has no dimension to difference; reshape(1) it first")
        axis, x = self._axis("diff", dim), cast("Tensor", self)
        if prepend is not None or append is not None:
            x = concatenate([p for p in (prepend, x, append) if p is not None], axis)
        lead = (slice(None),) * axis
        for _ in range(int(n)):
            later, earlier = x[lead + (slice(1, None),)], x[lead + (slice(None, -1),)]
            x = later != earlier if x.dtype == np.bool_ else later - earlier
        return x

    def mean(
        self,
        axis: Axis = None,
        keepdims: bool = False,
        *,
        dim: Axis = None,
        keepdim: bool | None = None,
        dtype: DTypeLike | None = None,
    ) -> Tensor:
        """Mean over ``axis``, composed as sum / count; ``dim=``/``keepdim=`` too, ``dtype=`` casts first.
        (Here, not in tensor_methods.py, which is full.)

        >>> ag.tensor([1, 2]).mean(dtype=ag.float32)
        Tensor(1.5, dtype=float32)
        """
        if dim is not None or keepdim is not None:
            axis, keepdims = torch_axis("mean", axis, keepdims, dim, keepdim)
        axes = reduction_axes("mean", axis, self.ndim)
        shape = self.shape
        count = math.prod([shape[a] for a in axes])  # np.prod of a list costs 3 us more
        return cast("Tensor", self).sum(axes, keepdims, dtype=dtype) / count

    def std_mean(
        self, dim: Axis = None, unbiased: bool | None = None, *, correction: int = 1, keepdim: bool = False
    ) -> tuple[Tensor, Tensor]:
        """``(std, mean)`` over ``dim`` in one call, as ``torch.std_mean`` (``correction=1``: divide by N - 1)."""
        x, correction = cast("Tensor", self), correction if unbiased is None else int(unbiased)
        return x.std(dim=dim, correction=correction, keepdim=keepdim), x.mean(dim=dim, keepdim=keepdim)

    def var_mean(
        self, dim: Axis = None, unbiased: bool | None = None, *, correction: int = 1, keepdim: bool = False
    ) -> tuple[Tensor, Tensor]:
        """``(var, mean)`` over ``dim``, as ``torch.var_mean``.

        >>> Tensor([1.0, 2.0, 3.0]).var_mean()
        (Tensor(1.), Tensor(2.))
        """
        x, correction = cast("Tensor", self), correction if unbiased is None else int(unbiased)
        return x.var(dim=dim, correction=correction, keepdim=keepdim), x.mean(dim=dim, keepdim=keepdim)

    def aminmax(self, *, dim: int | None = None, keepdim: bool = False) -> MinMax:
        """``(min, max)`` over ``dim`` (all elements by default), as ``torch.aminmax``.

        >>> Tensor([[1.0, 5.0], [3.0, 2.0]]).aminmax(dim=1)
        MinMax(min=Tensor([1., 2.]), max=Tensor([5., 3.]))
        """
        x = cast("Tensor", self)
        return MinMax(x.amin(dim, keepdim), x.amax(dim, keepdim))

    def count_nonzero(self, dim: Axis = None) -> Tensor:
        """How many entries are nonzero over ``dim`` (an int or a tuple; all by default), int64.

        >>> Tensor([[0.0, 1.0], [2.0, 3.0]]).count_nonzero(dim=0)
        Tensor([1, 2], dtype=int64)
        """
        axes = reduction_axes("count_nonzero", dim, self.ndim)
        return _tensor.Tensor(np.asarray(np.count_nonzero(self._data, axis=axes), dtype=np.int64))

    # ------------------------------------------------------------ order statistics
    def median(self, dim: int | None = None, keepdim: bool = False) -> Tensor | SortResult:
        """The lower median (the ``(n - 1) // 2``-th smallest: a value of the tensor, as ``torch.median``); over
        ``dim`` ``(values, indices)``. A NaN makes the result NaN.

        >>> Tensor([3.0, 1.0, 2.0, 2.0]).median(0)
        SortResult(values=Tensor(2.), indices=Tensor(2, dtype=int64))
        """
        return self._ranked("median", dim, keepdim, skip_nan=False)

    def nanmedian(self, dim: int | None = None, keepdim: bool = False) -> Tensor | SortResult:
        """``median`` of the values that are not NaN (NaN only where all are), as ``torch.nanmedian``."""
        return self._ranked("nanmedian", dim, keepdim, skip_nan=True)

    def _ranked(self, op: str, dim: int | None, keepdim: bool, skip_nan: bool) -> Tensor | SortResult:
        x = cast("Tensor", self)
        if dim is None:
            picked = x.reshape(-1)._ranked(op, 0, False, skip_nan)
            return cast("SortResult", picked).values
        y = x if self.ndim else x.reshape(1)
        axis, data = self._axis(op, dim), np.asarray(y._data)
        if not data.shape[axis]:
            raise ValueError(f"{op}: dim {dim} of shape {self.shape} is empty: there is no median to take")
        order = np.argsort(data, axis=axis, kind="stable")  # NaN last
        missing = np.isnan(data).sum(axis, keepdims=True) if data.dtype.kind == "f" else np.zeros((1,) * data.ndim)
        n = data.shape[axis]
        if skip_nan:  # the median of the values before the NaNs (the first NaN, where all are)
            place = np.where(missing < n, (n - missing - 1) // 2, 0)
        else:  # the first NaN: the result is NaN
            place = np.where(missing > 0, n - missing, (n - 1) // 2)
        indices = np.take_along_axis(order, place.astype(np.intp), axis).astype(np.int64)
        return _picked(y.gather(axis, indices), indices, axis, keepdim, self.ndim)

    def mode(self, dim: int = -1, keepdim: bool = False) -> SortResult:
        """The most frequent value along ``dim`` (the smallest, where several are) and the index of its last
        occurrence, as ``torch.mode``; the gradient goes to that element.

        >>> Tensor([1.0, 2.0, 2.0, 3.0, 3.0, 1.0]).mode()
        SortResult(values=Tensor(1.), indices=Tensor(5, dtype=int64))
        """
        x = cast("Tensor", self)
        axis, data = self._axis("mode", dim), np.atleast_1d(np.asarray(self._data))
        if not data.shape[axis]:
            raise ValueError(f"mode: dim {dim} of shape {self.shape} is empty: it has no most frequent value")
        rows = np.moveaxis(data, axis, -1)
        flat = rows.reshape(-1, rows.shape[-1])
        found = np.empty(len(flat), np.int64)
        for r, row in enumerate(flat):
            values, counts = np.unique(row, return_counts=True)
            found[r] = np.flatnonzero(row == values[np.argmax(counts)])[-1]
        indices = np.expand_dims(found.reshape(rows.shape[:-1]), axis)
        y = x if self.ndim else x.reshape(1)
        return _picked(y.gather(axis, indices), indices, axis, keepdim, self.ndim)

    def quantile(
        self, q: TensorLike, dim: int | None = None, keepdim: bool = False, *, interpolation: str = "linear"
    ) -> Tensor:
        """The ``q``-th quantiles (``q`` a number or a 1-d tensor in [0, 1]; a 1-d ``q`` adds a first axis) over
        ``dim`` (all elements by default), interpolated as ``torch.quantile`` (``linear lower higher midpoint
        nearest``); differentiable through the sorted values. A NaN makes its row's quantiles NaN.

        >>> Tensor([1.0, 2.0, 3.0, 4.0]).quantile(Tensor([0.25, 0.5]))
        Tensor([1.75, 2.5 ])
        """
        return self._quantile("quantile", q, dim, keepdim, interpolation, skip_nan=False)

    def nanquantile(
        self, q: TensorLike, dim: int | None = None, keepdim: bool = False, *, interpolation: str = "linear"
    ) -> Tensor:
        """``quantile`` of the values that are not NaN (NaN only where all are), as ``torch.nanquantile``."""
        return self._quantile("nanquantile", q, dim, keepdim, interpolation, skip_nan=True)

    def _quantile(
        self, op: str, q: TensorLike, dim: int | None, keepdim: bool, interpolation: str, skip_nan: bool
    ) -> Tensor:
        probs = np.asarray(q._data if isinstance(q, TensorBase) else q, dtype=np.float64)
        if probs.ndim > 1 or not np.all((probs >= 0) & (probs <= 1)):
            raise ValueError(f"{op}: q must be a number or a 1-d tensor of values in [0, 1], got {probs.tolist()}")
        if interpolation not in _INTERPOLATIONS:
            raise ValueError(f"{op}: interpolation must be one of {', '.join(_INTERPOLATIONS)}, got {interpolation!r}")
        if self.dtype.kind != "f":
            raise TypeError(f"{op}: needs a floating-point tensor, got {self.dtype}; convert it first (t.double())")
        x = cast("Tensor", self).reshape(-1) if dim is None else cast("Tensor", self)
        axis = 0 if dim is None else self._axis(op, dim)
        rows = x.movedim(axis, -1) if x.ndim else x.reshape(1)
        n = rows.shape[-1]
        if not n:
            raise ValueError(f"{op}: the input of shape {self.shape} is empty along dim {dim}: no quantile to take")
        ordered = rows.sort(-1).values  # NaN last
        missing = np.isnan(np.asarray(ordered._data)).sum(-1)
        count = n - missing if skip_nan else np.full(missing.shape, n)
        grid = probs.reshape(probs.shape + (1,) * missing.ndim)  # (len(q),) + rows, or rows alone
        place = grid * np.maximum(count - 1, 0)
        below, above = np.floor(place).astype(np.intp), np.ceil(place).astype(np.intp)
        if interpolation == "nearest":
            below = above = np.round(place).astype(np.intp)  # half to even, as PyTorch
        wide = ordered.expand(*(place.shape + (n,))) if probs.ndim else ordered

        def pick(i: np.ndarray) -> Tensor:
            return wide.gather(-1, i[..., None]).squeeze(-1)

        low, high = pick(below), pick(above)
        fraction = (place - below).astype(self.dtype)
        weights: dict[str, Any] = {"linear": fraction, "midpoint": 0.5, "lower": 0.0, "higher": 1.0}
        out = low.lerp(high, weights.get(interpolation, 0.0))
        empty = (count == 0) if skip_nan else (missing > 0)
        if empty.any():
            out = out.where(~np.broadcast_to(empty, out.shape), np.nan)
        if keepdim:
            kept = (1,) * self.ndim if dim is None else tuple(1 if i == axis else s for i, s in enumerate(self.shape))
            out = out.reshape(probs.shape + kept)
        return out
