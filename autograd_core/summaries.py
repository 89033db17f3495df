"""Summaries of a tensor's values, with no gradient (as PyTorch's): ``ag.all``, ``ag.any``,
``ag.histogram``, which also take the numpy arrays ``.grad`` holds (``ag.histogram(layer.out.grad)``), and the
integer ones, ``ag.bincount`` (how often each token was sampled) and ``ag.bucketize`` (a number's bin).

>>> all(Tensor([1.0, 2.0]) > 0).item()
True
"""

from __future__ import annotations

import numbers
from typing import Any, Literal, NamedTuple

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


def bincount(input: TensorLike, weights: TensorLike | None = None, minlength: int = 0) -> Tensor:
    """How often each of 0, 1, ..., max(input) occurs in the 1-d non-negative integer ``input`` (at least
    ``minlength`` counts), as ``torch.bincount``: int64 counts, or with ``weights`` the sum of each value's weights.

    >>> bincount(Tensor(np.array([0, 2, 2, 1, 2]))).tolist()
    [1, 1, 3]
    """
    values = np.asarray(input._data if isinstance(input, Tensor) else input)
    if values.ndim != 1 or values.dtype.kind not in "iub" or (values.size and values.min() < 0):
        raise ValueError(
            f"bincount: input must be a 1-d tensor of non-negative integers, got shape {values.shape} of "
            f"{values.dtype}; flatten it (t.flatten()) or convert it (t.long())"
        )
    w = None if weights is None else np.asarray(weights._data if isinstance(weights, Tensor) else weights)
    if w is not None and w.shape != values.shape:
        raise ValueError(f"bincount: weights has shape {w.shape}, the input {values.shape}; they must match")
    counts = np.bincount(values, weights=w, minlength=minlength)
    return Tensor(counts if w is None else counts.astype(np.result_type(w.dtype, np.float32)))


def bucketize(input: TensorLike, boundaries: TensorLike, *, right: bool = False) -> Tensor:
    """The index of the bucket each value of ``input`` falls in, as ``torch.bucketize``: ``i`` such that
    ``boundaries[i-1] < x <= boundaries[i]`` (``right=True``: ``boundaries[i-1] <= x < boundaries[i]``), for
    increasing 1-d ``boundaries``; int64, input's shape, no gradient.

    >>> bucketize(Tensor([1.0, 5.0, 9.0]), Tensor([1.0, 5.0]), right=True).tolist()
    [1, 2, 2]
    """
    edges = np.asarray(boundaries._data if isinstance(boundaries, Tensor) else boundaries)
    if edges.ndim != 1 or (edges.size > 1 and not (np.diff(edges) >= 0).all()):
        raise ValueError(
            f"bucketize: boundaries must be 1-d and sorted increasing, got {edges.tolist()}; sort them first (t.sort())"
        )
    return searchsorted(edges, input, right=right)


def searchsorted(
    sorted_sequence: TensorLike,
    input: TensorLike,
    *,
    out_int32: bool = False,
    right: bool = False,
    side: str | None = None,
) -> Tensor:
    """Where each value of ``input`` would go in ``sorted_sequence`` to keep it sorted, as ``torch.searchsorted``
    (``bucketize`` with the arguments swapped): the first such place, or with ``right=True`` (``side="right"``)
    the last. An n-d sequence is sorted along its last axis and searched row by row, the rows matching
    ``input``'s leading axes. int64 (``out_int32``: int32), no gradient.

    >>> searchsorted(Tensor([[1.0, 3.0], [2.0, 4.0]]), Tensor([[3.0], [3.0]])).tolist()
    [[1], [1]]
    """
    if side is not None:
        if side not in ("left", "right") or (right and side == "left"):
            raise ValueError(f"searchsorted: side must be 'left' or 'right' (and agree with right=), got {side!r}")
        right = side == "right"
    edges = np.asarray(sorted_sequence._data if isinstance(sorted_sequence, Tensor) else sorted_sequence)
    values = np.asarray(input._data if isinstance(input, Tensor) else input)
    how: Literal["left", "right"] = "right" if right else "left"
    if edges.ndim == 1:
        found = np.searchsorted(edges, values, side=how)
    elif edges.ndim == 0 or values.shape[:-1] != edges.shape[:-1]:
        raise ValueError(
            f"searchsorted: an n-d sorted_sequence (shape {edges.shape}) needs input with the same leading axes, "
            f"got shape {values.shape}; or give a 1-d sorted_sequence"
        )
    else:
        rows, lookups = edges.reshape(-1, edges.shape[-1]), values.reshape(-1, values.shape[-1])
        found = np.stack([np.searchsorted(r, v, side=how) for r, v in zip(rows, lookups)]).reshape(values.shape)
    return Tensor(np.asarray(found, dtype=np.int32 if out_int32 else np.int64))


def _float_values(name: str, x: TensorLike) -> Array:
    values: Any = np.asarray(x._data if isinstance(x, Tensor) else x)
    if values.dtype.kind != "f":
        raise TypeError(
            f"histogram: {name} must be floating point, got {values.dtype}; convert it first (t.float() or t.double())"
        )
    return values
