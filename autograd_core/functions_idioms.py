"""Module-level forms of Tensor methods that a torch user writes as ``torch.f(x)`` and ``ag`` lacked (a second
probe of everyday idioms found them): ``ag.amax(x, 1) ag.argsort ag.isinf ag.numel ag.nanmean ag.rsqrt ...``,
and a few of torch's elementwise functions composed from existing ops (``fmax fmin deg2rad trapezoid``). This
module also gathers into ``ag`` the joining functions of ``functions_stacking.py``, the method spellings of
``functions_methods*.py`` (``ag.select ag.gcd ag.cholesky_solve ...``) and the seeding functions of ``random.py``
(``ag.seed``, ``ag.get_rng_state``; ``ag.random`` is that module, as ``torch.random``), and ``ag.testing``
(``torch.testing.assert_close``).

>>> ag.amax(ag.tensor([[1.0, 4.0], [3.0, 2.0]]), dim=1).tolist()
[4.0, 3.0]
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np

from . import functions_methods, functions_methods_math, functions_stacking, random, testing
from .creation import _legacy
from .functions import as_tensor, where
from .functions_methods import *  # noqa: F403
from .functions_methods_math import *  # noqa: F403
from .functions_stacking import *  # noqa: F403
from .random import *  # noqa: F403
from .sampling import _rng, randint
from .tensor import Tensor
from .tensor_base import normalize_axes
from .tensor_torch import SortResult
from .types import Axis, DTypeLike, TensorLike


# --------------------------------------------------------------------------------- methods at module level
def numel(x: TensorLike) -> int:
    """The number of elements, as ``torch.numel``.

    >>> numel(Tensor(np.zeros((2, 3))))
    6
    """
    return int(as_tensor(x).size)


def is_floating_point(x: TensorLike) -> bool:
    """Whether the dtype is a float one, as ``torch.is_floating_point``.

    >>> is_floating_point(ag.tensor([1, 2])), is_floating_point(Tensor([1.0]))
    (False, True)
    """
    return as_tensor(x).is_floating_point()


def argwhere(x: TensorLike) -> Tensor:
    """The (N, ndim) indices of the nonzero elements (``x.nonzero()``), as ``torch.argwhere``.

    >>> argwhere(Tensor([0.0, 3.0, 0.0, 1.0])).tolist()
    [[1], [3]]
    """
    return cast(Tensor, as_tensor(x).nonzero())


def inner(x: TensorLike, other: TensorLike) -> Tensor:
    """The sum of products over the last axes of both, as ``torch.inner`` (``dot`` for vectors).

    >>> inner(Tensor([1.0, 2.0]), Tensor([3.0, 4.0]))
    Tensor(11.)
    """
    from .functions_jax import tensordot

    a, b = as_tensor(x), as_tensor(other)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(
            f"inner: the last dims must match, got shapes {a.shape} and {b.shape}; transpose one (x.mT) or use "
            "tensordot to contract other axes"
        )
    return tensordot(a, b, axes=([a.ndim - 1], [b.ndim - 1]))


def amax(x: TensorLike, dim: Axis = None, keepdim: bool = False) -> Tensor:
    """The max over ``dim`` (``x.amax``), ties sharing the gradient.

    >>> amax(Tensor([[1.0, 4.0], [3.0, 2.0]]), dim=1).tolist()
    [4.0, 3.0]
    """
    return as_tensor(x).amax(dim, keepdim)


def amin(x: TensorLike, dim: Axis = None, keepdim: bool = False) -> Tensor:
    """The min over ``dim`` (``x.amin``).

    >>> amin(Tensor([[1.0, 4.0], [3.0, 2.0]]), dim=0).tolist()
    [1.0, 2.0]
    """
    return as_tensor(x).amin(dim, keepdim)


def argsort(x: TensorLike, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Tensor:
    """The indices that sort along ``dim`` (``x.argsort``; always stable here, so ``stable`` is accepted).

    >>> argsort(ag.tensor([3, 1, 2]), descending=True).tolist()
    [0, 2, 1]
    """
    return as_tensor(x).argsort(dim, descending)


def msort(x: TensorLike) -> Tensor:
    """The values sorted along axis 0, as ``torch.msort``.

    >>> msort(Tensor([[2.0], [1.0]])).tolist()
    [[1.0], [2.0]]
    """
    return as_tensor(x).sort(0).values


def isinf(x: TensorLike) -> Tensor:
    """Where ``x`` is +-inf (a boolean tensor), as ``torch.isinf``.

    >>> isinf(Tensor([1.0, float("inf"), -float("inf")])).tolist()
    [False, True, True]
    """
    return as_tensor(x).isinf()


def isposinf(x: TensorLike) -> Tensor:
    """Where ``x`` is +inf, as ``torch.isposinf``.

    >>> isposinf(Tensor([float("inf"), -float("inf")])).tolist()
    [True, False]
    """
    return Tensor(np.isposinf(as_tensor(x).data))


def isneginf(x: TensorLike) -> Tensor:
    """Where ``x`` is -inf, as ``torch.isneginf``.

    >>> isneginf(Tensor([float("inf"), -float("inf")])).tolist()
    [False, True]
    """
    return Tensor(np.isneginf(as_tensor(x).data))


def fmax(x: TensorLike, other: TensorLike) -> Tensor:
    """Elementwise max that ignores NaN (NaN only where both are), as ``torch.fmax``.

    >>> fmax(Tensor([1.0, float("nan")]), Tensor([float("nan"), 2.0])).tolist()
    [1.0, 2.0]
    """
    a, b = as_tensor(x), as_tensor(other)
    return where(b.isnan().data, a, where(a.isnan().data, b, a.maximum(b)))


def fmin(x: TensorLike, other: TensorLike) -> Tensor:
    """Elementwise min that ignores NaN, as ``torch.fmin``.

    >>> fmin(Tensor([1.0, float("nan")]), Tensor([float("nan"), 2.0])).tolist()
    [1.0, 2.0]
    """
    a, b = as_tensor(x), as_tensor(other)
    return where(b.isnan().data, a, where(a.isnan().data, b, a.minimum(b)))


def clamp_min(x: TensorLike, min: TensorLike) -> Tensor:
    """``x.clamp(min=min)``, as ``torch.clamp_min``.

    >>> clamp_min(Tensor([-1.0, 2.0]), 0).tolist()
    [0.0, 2.0]
    """
    return as_tensor(x).clamp_min(min)


def clamp_max(x: TensorLike, max: TensorLike) -> Tensor:
    """``x.clamp(max=max)``, as ``torch.clamp_max``.

    >>> clamp_max(Tensor([-1.0, 2.0]), 0).tolist()
    [-1.0, 0.0]
    """
    return as_tensor(x).clamp_max(max)


def rsqrt(x: TensorLike) -> Tensor:
    """``1 / sqrt(x)`` (``x.rsqrt()``), as ``torch.rsqrt``.

    >>> rsqrt(Tensor([4.0])).tolist()
    [0.5]
    """
    return as_tensor(x).rsqrt()


def sgn(x: TensorLike) -> Tensor:
    """The sign (``x.sign()`` for real tensors), as ``torch.sgn``.

    >>> sgn(Tensor([-2.0, 0.0, 3.0])).tolist()
    [-1.0, 0.0, 1.0]
    """
    return as_tensor(x).sign()


def deg2rad(x: TensorLike) -> Tensor:
    """Degrees to radians, as ``torch.deg2rad``.

    >>> round(deg2rad(Tensor([180.0])).item(), 6)
    3.141593
    """
    return as_tensor(x) * (np.pi / 180)


def rad2deg(x: TensorLike) -> Tensor:
    """Radians to degrees, as ``torch.rad2deg``.

    >>> rad2deg(Tensor([np.pi])).tolist()
    [180.0]
    """
    return as_tensor(x) * (180 / np.pi)


def nanmean(x: TensorLike, dim: Axis = None, keepdim: bool = False) -> Tensor:
    """The mean over ``dim`` of the elements that are not NaN (``x.nanmean``), as ``torch.nanmean``.

    >>> nanmean(Tensor([1.0, float("nan"), 2.0]))
    Tensor(1.5)
    """
    return as_tensor(x).nanmean(dim, keepdim)


def trapezoid(y: TensorLike, x: TensorLike | None = None, *, dx: float = 1.0, dim: int = -1) -> Tensor:
    """The trapezoidal rule along ``dim`` (sample points ``x``, or spacing ``dx``), as ``torch.trapezoid``.

    >>> trapezoid(Tensor([1.0, 2.0, 3.0]))
    Tensor(4.)
    """
    return cumulative_trapezoid(y, x, dx=dx, dim=dim).narrow(dim, -1, 1).squeeze(dim)


def cumulative_trapezoid(y: TensorLike, x: TensorLike | None = None, *, dx: float = 1.0, dim: int = -1) -> Tensor:
    """The running trapezoidal integral along ``dim`` (one element fewer), as ``torch.cumulative_trapezoid``.

    >>> cumulative_trapezoid(Tensor([1.0, 2.0, 3.0])).tolist()
    [1.5, 4.0]
    """
    t = as_tensor(y)
    n = t.shape[dim]
    mids = (t.narrow(dim, 1, n - 1) + t.narrow(dim, 0, n - 1)) / 2
    widths = as_tensor(x).diff(dim=-1 if as_tensor(x).ndim == 1 else dim) if x is not None else dx
    if x is not None and as_tensor(x).ndim == 1 and t.ndim > 1:
        widths = cast(Tensor, widths).reshape([-1 if a == dim % t.ndim else 1 for a in range(t.ndim)])
    return (mids * widths).cumsum(dim)


def signbit(x: TensorLike) -> Tensor:
    """Where the sign bit is set (negative numbers and -0.0), as ``torch.signbit``.

    >>> signbit(Tensor([-1.0, 0.0, -0.0, 2.0])).tolist()
    [True, False, True, False]
    """
    return Tensor(np.signbit(as_tensor(x).data))


def copysign(x: TensorLike, other: TensorLike) -> Tensor:
    """``|x|`` with the sign of ``other`` (its sign bit: -0.0 counts as negative), as ``torch.copysign``;
    differentiable in ``x`` (``abs`` times a constant sign).

    >>> copysign(Tensor([1.0, -2.0]), Tensor([-1.0, 3.0])).tolist()
    [-1.0, 2.0]
    """
    signs = np.where(np.signbit(as_tensor(other).data), -1.0, 1.0)
    return as_tensor(x).abs() * signs


def kthvalue(x: TensorLike, k: int, dim: int = -1, keepdim: bool = False) -> SortResult:
    """The ``k``-th smallest value along ``dim`` and its index (``x.kthvalue``), as ``torch.kthvalue``.

    >>> kthvalue(Tensor([3.0, 1.0, 2.0]), 2)
    SortResult(values=Tensor(2.), indices=Tensor(2, dtype=int64))
    """
    return as_tensor(x).kthvalue(k, dim, keepdim)


def unique_consecutive(
    x: TensorLike, return_inverse: bool = False, return_counts: bool = False, dim: int | None = None
) -> Tensor | tuple[Tensor, ...]:
    """Each run of equal neighbours (of the flattened tensor, or of the slices along ``dim``) kept once, as
    ``torch.unique_consecutive``; ``return_inverse`` gives each element's (slice's) run, ``return_counts`` each
    run's length. No gradient.

    >>> unique_consecutive(ag.tensor([1, 1, 2, 2, 1]), return_counts=True)
    (Tensor([1, 2, 1], dtype=int64), Tensor([2, 2, 1], dtype=int64))
    """
    t = as_tensor(x)
    if dim is None:
        moved = t.data.reshape(-1)
    else:
        moved = np.moveaxis(t.data, normalize_axes("unique_consecutive", dim, t.ndim)[0], 0)
    rows = moved.reshape(len(moved), -1)
    changed = (rows[1:] != rows[:-1]).any(axis=1) if rows.shape[1] else np.zeros(max(len(rows) - 1, 0), bool)
    starts = np.flatnonzero(np.concatenate([[True], changed])) if len(rows) else np.zeros(0, int)
    values = moved[starts] if dim is None else np.moveaxis(moved[starts], 0, dim)
    out: list[Tensor] = [Tensor(values)]
    if return_inverse:
        runs = np.cumsum(np.isin(np.arange(len(rows)), starts)) - 1
        out.append(Tensor((runs.reshape(t.shape) if dim is None else runs).astype(np.int64)))
    if return_counts:
        out.append(Tensor(np.diff(np.append(starts, len(rows))).astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def randint_like(
    x: TensorLike, low: int = 0, high: int | None = None, *, dtype: DTypeLike | None = None, generator: Any = None
) -> Tensor:
    """Random integers in [low, high) (``randint_like(x, high)``: [0, high)) of ``x``'s shape and dtype, as
    ``torch.randint_like``.

    >>> randint_like(ag.zeros(3, dtype=ag.long), 5).dtype
    dtype('int64')
    """
    t = as_tensor(x)
    low, high = (0, low) if high is None else (low, high)
    return randint(low, high, t.shape, generator=generator).to(dtype or t.dtype)


def poisson(rates: TensorLike, generator: Any = None) -> Tensor:
    """Samples of Poisson(rate) for each rate, in ``rates``' dtype, as ``torch.poisson``; no gradient.

    >>> poisson(Tensor([0.0, 0.0])).tolist()
    [0.0, 0.0]
    """
    t = as_tensor(rates)
    if (t.data < 0).any() or not np.isfinite(t.data).all():
        raise ValueError(f"poisson: rates must be finite and >= 0, got min {t.data.min()}")
    return Tensor(_rng("poisson", generator).poisson(t.data).astype(t.dtype))


def DoubleTensor(*data_or_size: Any) -> Tensor:
    """torch's legacy ``DoubleTensor(data)`` (a float64 copy) or ``DoubleTensor(2, 3)`` (uninitialised).

    >>> DoubleTensor([1, 2]).dtype
    dtype('float64')
    """
    return _legacy("DoubleTensor", np.dtype(np.float64), data_or_size)


def IntTensor(*data_or_size: Any) -> Tensor:
    """torch's legacy ``IntTensor(data)`` (an int32 copy) or ``IntTensor(2, 3)``.

    >>> IntTensor([1, 2]).dtype
    dtype('int32')
    """
    return _legacy("IntTensor", np.dtype(np.int32), data_or_size)


def BoolTensor(*data_or_size: Any) -> Tensor:
    """torch's legacy ``BoolTensor(data)`` (a bool copy) or ``BoolTensor(2, 3)``.

    >>> BoolTensor([True, False]).tolist()
    [True, False]
    """
    return _legacy("BoolTensor", np.dtype(np.bool_), data_or_size)


__all__: list[str] = []  # ag's names, through its star import
__all__ += functions_stacking.__all__ + random.__all__ + functions_methods.__all__ + functions_methods_math.__all__
__all__ += ["numel", "is_floating_point", "argwhere", "inner", "amax", "amin"]
__all__ += ["argsort", "msort", "isinf", "isposinf", "isneginf", "fmax", "fmin", "clamp_min", "clamp_max", "rsqrt"]
__all__ += ["sgn", "deg2rad", "rad2deg", "nanmean", "trapezoid", "cumulative_trapezoid", "signbit", "copysign"]
__all__ += ["kthvalue", "unique_consecutive", "randint_like", "poisson", "DoubleTensor", "IntTensor", "BoolTensor"]
__all__ += ["testing"]  # the module: ag.testing.assert_close, as torch.testing's
