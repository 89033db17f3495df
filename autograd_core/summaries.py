"""Summaries of a tensor's values, with no gradient (as PyTorch's): ``ag.all``, ``ag.any`` and
``ag.histogram``, which also take the numpy arrays ``.grad`` holds (``ag.histogram(layer.out.grad)``).

>>> all(Tensor([1.0, 2.0]) > 0).item()
True
"""

from __future__ import annotations

import numbers
from typing import Any, NamedTuple

import numpy as np

from .functions import as_tensor
from .tensor import Tensor
from .types import Array, Axis, TensorLike


def all(  # noqa: A001 (torch.all's name; kept out of ag's __all__: a star import must not shadow Python's all)
    input: TensorLike, dim: Axis = None, keepdim: bool = False
) -> Tensor:
    """True where every element along ``dim`` (all by default) is nonzero, as ``torch.all``: a boolean Tensor.

    >>> all(Tensor([[1.0, 0.0], [2.0, 3.0]]), dim=1).tolist()
    [False, True]
    """
    return as_tensor(input).all(dim=dim, keepdim=keepdim)


def any(  # noqa: A001
    input: TensorLike, dim: Axis = None, keepdim: bool = False
) -> Tensor:
    """True where some element along ``dim`` (all by default) is nonzero, as ``torch.any``.

    >>> any(Tensor([0.0, 2.0]) > 1).item()
    True
    """
    return as_tensor(input).any(dim=dim, keepdim=keepdim)


class Histogram(NamedTuple):
    """What ``histogram`` returns: the counts (or densities) per bin, and the ``bins + 1`` bin edges."""

    hist: Tensor
    bin_edges: Tensor


def histogram(
    input: TensorLike,
    bins: int | TensorLike = 100,
    *,
    range: tuple[float, float] | None = None,
    weight: TensorLike | None = None,
    density: bool = False,
) -> Histogram:
    """Count ``input``'s values in ``bins`` equal bins over ``range`` (its min to max by default), or in the
    bins whose edges ``bins`` lists, as ``torch.histogram``; ``density=True`` scales the counts so the
    histogram integrates to 1. Returns ``(hist, bin_edges)`` in the input's float dtype, without a gradient.
    The activation histograms of makemore part 3: ``hy, hx = ag.histogram(t, density=True)``.

    >>> histogram(Tensor([0.0, 1.0, 1.0, 3.0]), bins=3).hist.tolist()
    [1.0, 2.0, 1.0]
    """
    values = _float_values("input", input)
    if isinstance(bins, numbers.Integral) and not isinstance(bins, bool):
        if bins < 1:
            raise ValueError(f"histogram: bins must be >= 1, got {bins}")
        edges: int | Array = int(bins)
    elif isinstance(bins, (Tensor, np.ndarray, list, tuple)):
        edges = np.asarray(bins._data if isinstance(bins, Tensor) else bins, dtype=np.float64)
        if edges.ndim != 1 or edges.size < 2 or not (np.diff(edges) > 0).all():
            raise ValueError(f"histogram: bin edges must be 1-d and increasing, at least 2 of them, got {edges}")
    else:
        raise TypeError(f"histogram: bins must be an int or a 1-d sequence of edges, got {type(bins).__name__}")
    if range is not None and (len(range) != 2 or not float(range[0]) < float(range[1])):
        raise ValueError(f"histogram: range must be (min, max) with min < max, got {range}")
    if range is None and isinstance(edges, int) and values.size and not np.isfinite(values).all():
        raise ValueError("histogram: the input holds NaN or inf, so it has no min-to-max range; give range=(lo, hi)")
    weights = None if weight is None else _float_values("weight", weight)
    if weights is not None and weights.shape != values.shape:
        raise ValueError(f"histogram: weight has shape {weights.shape}, the input {values.shape}; they must match")
    hist, bin_edges = np.histogram(
        values.ravel(), edges, range=range, weights=None if weights is None else weights.ravel(), density=density
    )
    return Histogram(Tensor(hist.astype(values.dtype)), Tensor(bin_edges.astype(values.dtype)))


def _float_values(name: str, x: TensorLike) -> Array:
    values: Any = np.asarray(x._data if isinstance(x, Tensor) else x)
    if values.dtype.kind != "f":
        raise TypeError(
            f"histogram: {name} must be floating point, got {values.dtype}; convert it first (t.float() or t.double())"
        )
    return values
