"""Module-level spellings of the scans and order statistics of ``tensor_scans.py`` (``ag.cumprod(x, 0)``,
``ag.median(x)``, ``ag.quantile(x, q)``, ...) and of ``max``/``min``, each the Tensor method of that name."""

from __future__ import annotations

from typing import Any

import numpy as np

from .functions import as_tensor, maximum, minimum
from .functions_more_torch import *  # noqa: F403  # (ag.igamma, ag.prelu, ..., through this module's __all__)
from .functions_more_torch import __all__ as _more_torch
from .summaries import searchsorted  # (ag.searchsorted, through this module's __all__)
from .tensor import Tensor
from .tensor_scans import MinMax
from .tensor_torch import SortResult
from .types import Axis, TensorLike


def max(  # noqa: A001 (numpy's name)
    x: TensorLike, dim: Axis | Tensor = None, keepdim: bool = False, *, axis: Axis = None, keepdims: bool | None = None
) -> Any:
    """``x.max(...)``: one ``dim`` gives ``(values, indices)`` as ``torch.max``, numpy's ``axis=`` the values; given a
    second tensor, the elementwise ``maximum`` as ``torch.max(input, other)`` (d2l's ``torch.max(X, zeros)``).

    >>> _, predicted = max(Tensor([[0.1, 0.9], [0.8, 0.2]]), 1)
    >>> predicted.tolist()
    [1, 0]
    >>> max(Tensor([-1.0, 2.0]), Tensor([0.0, 0.0]))
    Tensor([0., 2.])
    """
    if isinstance(dim, (Tensor, np.ndarray)):  # torch.max(input, other): a dim is never a tensor
        return maximum(x, dim)
    return as_tensor(x).max(dim, keepdim, axis=axis, keepdims=keepdims)


def min(  # noqa: A001 (numpy's name)
    x: TensorLike, dim: Axis | Tensor = None, keepdim: bool = False, *, axis: Axis = None, keepdims: bool | None = None
) -> Any:
    """``x.min(...)`` (one ``dim``: ``(values, indices)``; ``axis=``: the values), or the elementwise ``minimum``.

    >>> min(Tensor([-1.0, 2.0]), Tensor([0.0, 0.0]))
    Tensor([-1.,  0.])
    """
    if isinstance(dim, (Tensor, np.ndarray)):
        return minimum(x, dim)
    return as_tensor(x).min(dim, keepdim, axis=axis, keepdims=keepdims)


def cumprod(x: TensorLike, dim: int) -> Tensor:
    """Running product along ``dim`` (``x.cumprod(dim)``; exact gradients where an element is 0).

    >>> cumprod(Tensor([1.0, 2.0, 3.0]), 0)
    Tensor([1., 2., 6.])
    """
    return as_tensor(x).cumprod(dim)


def logcumsumexp(x: TensorLike, dim: int) -> Tensor:
    """log of the running sum of e**x along ``dim``, without overflow (``x.logcumsumexp(dim)``).

    >>> logcumsumexp(Tensor([0.0, 0.0]), 0)
    Tensor([0.    , 0.6931])
    """
    return as_tensor(x).logcumsumexp(dim)


def cummax(x: TensorLike, dim: int) -> SortResult:
    """``(values, indices)`` of the running maximum along ``dim`` (``x.cummax(dim)``).

    >>> cummax(Tensor([1.0, 3.0, 2.0]), 0).values
    Tensor([1., 3., 3.])
    """
    return as_tensor(x).cummax(dim)


def cummin(x: TensorLike, dim: int) -> SortResult:
    """``(values, indices)`` of the running minimum along ``dim`` (``x.cummin(dim)``).

    >>> cummin(Tensor([3.0, 1.0, 2.0]), 0).indices
    Tensor([0, 1, 1], dtype=int64)
    """
    return as_tensor(x).cummin(dim)


def diff(
    x: TensorLike, n: int = 1, dim: int = -1, prepend: TensorLike | None = None, append: TensorLike | None = None
) -> Tensor:
    """The ``n``-th forward difference along ``dim`` (``x.diff()``).

    >>> diff(Tensor([1.0, 4.0, 9.0]))
    Tensor([3., 5.])
    """
    return as_tensor(x).diff(n, dim, prepend, append)


def quantile(
    x: TensorLike, q: TensorLike, dim: int | None = None, keepdim: bool = False, *, interpolation: str = "linear"
) -> Tensor:
    """The ``q``-th quantiles over ``dim`` (``x.quantile(q)``), differentiable.

    >>> quantile(Tensor([1.0, 2.0, 3.0, 4.0]), 0.5)
    Tensor(2.5)
    """
    return as_tensor(x).quantile(q, dim, keepdim, interpolation=interpolation)


def nanquantile(
    x: TensorLike, q: TensorLike, dim: int | None = None, keepdim: bool = False, *, interpolation: str = "linear"
) -> Tensor:
    """``quantile`` of the values that are not NaN (``x.nanquantile(q)``).

    >>> nanquantile(Tensor([1.0, float('nan'), 3.0]), 0.5)
    Tensor(2.)
    """
    return as_tensor(x).nanquantile(q, dim, keepdim, interpolation=interpolation)


def median(x: TensorLike, dim: int | None = None, keepdim: bool = False) -> Tensor | SortResult:
    """The lower median (over ``dim``: ``(values, indices)``), as ``x.median()``.

    >>> median(Tensor([4.0, 1.0, 3.0, 2.0]))
    Tensor(2.)
    """
    return as_tensor(x).median(dim, keepdim)


def nanmedian(x: TensorLike, dim: int | None = None, keepdim: bool = False) -> Tensor | SortResult:
    """The lower median of the values that are not NaN (``x.nanmedian()``).

    >>> nanmedian(Tensor([4.0, float('nan'), 1.0]))
    Tensor(1.)
    """
    return as_tensor(x).nanmedian(dim, keepdim)


def mode(x: TensorLike, dim: int = -1, keepdim: bool = False) -> SortResult:
    """The most frequent value along ``dim`` and the index of its last occurrence (``x.mode()``).

    >>> mode(Tensor([2.0, 1.0, 2.0])).values
    Tensor(2.)
    """
    return as_tensor(x).mode(dim, keepdim)


def count_nonzero(x: TensorLike, dim: Axis = None) -> Tensor:
    """How many entries are nonzero over ``dim`` (``x.count_nonzero()``), int64.

    >>> count_nonzero(Tensor([0.0, 1.0, 2.0]))
    Tensor(2, dtype=int64)
    """
    return as_tensor(x).count_nonzero(dim)


def std_mean(
    x: TensorLike, dim: Axis = None, unbiased: bool | None = None, *, correction: int = 1, keepdim: bool = False
) -> tuple[Tensor, Tensor]:
    """``(std, mean)`` over ``dim`` in one call, as ``torch.std_mean``.

    >>> std_mean(Tensor([1.0, 3.0]))
    (Tensor(1.4142), Tensor(2.))
    """
    correction = correction if unbiased is None else int(unbiased)  # torch's older spelling
    return as_tensor(x).std_mean(dim, correction=correction, keepdim=keepdim)


def var_mean(
    x: TensorLike, dim: Axis = None, unbiased: bool | None = None, *, correction: int = 1, keepdim: bool = False
) -> tuple[Tensor, Tensor]:
    """``(var, mean)`` over ``dim`` in one call, as ``torch.var_mean``.

    >>> var_mean(Tensor([1.0, 3.0]), correction=0)
    (Tensor(1.), Tensor(2.))
    """
    correction = correction if unbiased is None else int(unbiased)  # torch's older spelling
    return as_tensor(x).var_mean(dim, correction=correction, keepdim=keepdim)


def aminmax(x: TensorLike, *, dim: int | None = None, keepdim: bool = False) -> MinMax:
    """``(min, max)`` over ``dim`` (``x.aminmax()``).

    >>> aminmax(Tensor([2.0, -1.0, 5.0]))
    MinMax(min=Tensor(-1.), max=Tensor(5.))
    """
    return as_tensor(x).aminmax(dim=dim, keepdim=keepdim)


__all__: list[str] = []  # ag's names, through its star import
__all__ += ["cumprod", "logcumsumexp", "cummax", "cummin", "diff", "quantile", "nanquantile", "median", "nanmedian"]
__all__ += ["max", "min", "mode", "count_nonzero", "std_mean", "var_mean", "aminmax", "searchsorted"]
__all__ += _more_torch
