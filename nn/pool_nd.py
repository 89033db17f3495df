"""The pools over 1, 2 or 3 spatial axes, one implementation each: max (with the indices PyTorch's
``return_indices`` gives), average, power-average (``lp_pool``), adaptive average and max, and max_unpool,
``max_pool``'s partial inverse. ``F.max_pool2d``, ``F.max_pool3d``, ``F.lp_pool1d``, ... are these with ``nd``
fixed. Composed on ``windows_nd.unfold_nd`` and Tensor ops: no backward here; tied maxima share a window's
gradient evenly (the kink rule; PyTorch gives it all to the first).

Adaptive pooling fixes the output's size instead of the window's: output cell i of an axis of n reduces input
[floor(i n / out), ceil((i + 1) n / out)), PyTorch's rule, so windows may differ in size by one and overlap.
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Callable, Sequence

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.types import TensorLike

from .windows_nd import AXES, output_size, pool_geometry, sizes, spatial_input, unfold_nd

#: an adaptive pooling's output size: an int, or one per spatial axis, None keeping the input's size
OutputSize = int | None | Sequence[int | None]


def max_pool(op: str, nd: int, input: TensorLike, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    """The max of each window (padding counts as -inf); with ``return_indices`` also where each max sits, as
    PyTorch's: its flat position in the (*spatial) sample (the first maximum of a window; a window wholly in
    the padding points at its first real position, as PyTorch's).

    >>> max_pool("max_pool3d", 3, ag.arange(8.0).reshape(1, 1, 2, 2, 2), 2, None, 0, 1, False, True)
    (Tensor([[[[[7.]]]]]), Tensor([[[[[7]]]]], dtype=int64))
    """
    x, unbatched = spatial_input(op, input, nd)
    kernel, strides, pads, dilations = pool_geometry(op, x, nd, kernel_size, stride, padding, dilation, ceil_mode)
    columns = unfold_nd(x, kernel, dilations, pads, strides, pad_value=-np.inf)
    n, c = x.shape[:2]
    windows = columns.reshape(n, c, math.prod(kernel), columns.shape[2])
    y = windows.max(axis=2).reshape((n, c) + output_size(x, kernel, dilations, pads, strides))
    if not return_indices:
        return y[0] if unbatched else y
    # each window's positions (-1 in the padding), unfolded as the values were
    positions = Tensor(np.arange(math.prod(x.shape[2:]), dtype=np.float64).reshape((1, 1) + x.shape[2:]))
    where = unfold_nd(positions, kernel, dilations, pads, strides, pad_value=-1).data[0]
    real, every_window = where >= 0, np.arange(where.shape[1])
    best = np.where(real, windows.data, -np.inf).argmax(axis=2)  # the first maximum, as PyTorch's loop finds it
    first_real = where[real.argmax(axis=0), every_window]  # a window of only -inf: its first position, as PyTorch
    indices = where[best, every_window]
    indices = Tensor(np.where(indices < 0, first_real, indices).astype(np.int64).reshape(y.shape))
    return (y[0], indices[0]) if unbatched else (y, indices)


def _divisor(op: str, divisor_override: object) -> int | None:
    if divisor_override is None:
        return None
    if not isinstance(divisor_override, numbers.Integral) or isinstance(divisor_override, bool) or divisor_override < 1:
        raise ValueError(f"{op}: divisor_override must be a positive int or None, got {divisor_override!r}")
    return int(divisor_override)


def avg_pool(op: str, nd: int, input: TensorLike, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor):
    """The mean of each window: padding counts as 0, and in the count unless ``count_include_pad`` is False;
    ``divisor`` (divisor_override) divides every window's sum instead; ceil_mode's overhang never counts.

    >>> avg_pool("avg_pool1d", 1, ag.arange(4.0).reshape(1, 1, 4), 2, None, 0, False, True, None)
    Tensor([[[0.5, 2.5]]])
    """
    x, unbatched = spatial_input(op, input, nd)
    kernel, strides, pads, dilations = pool_geometry(op, x, nd, kernel_size, stride, padding, 1, ceil_mode)
    columns = unfold_nd(x, kernel, dilations, pads, strides)
    n, c = x.shape[:2]
    out = output_size(x, kernel, dilations, pads, strides)
    sums = columns.reshape(n, c, math.prod(kernel), columns.shape[2]).sum(axis=2).reshape((n, c) + out)
    divisor = _divisor(op, divisor)
    if divisor is not None:
        y = sums / divisor
    elif all(p == (0, 0) for p in pads) or (count_include_pad and all(b == a for b, a in pads)):
        y = sums / math.prod(kernel)
    else:  # each window's count of positions (padding too if count_include_pad, never ceil_mode's overhang)
        counted = np.pad(np.ones(x.shape[2:], x.dtype), [(p, p) for p, _ in pads], constant_values=count_include_pad)
        overhang = tuple((0, after - before) for before, after in pads)
        counts = unfold_nd(Tensor(counted[None, None]), kernel, dilations, overhang, strides).data.sum(axis=1)
        y = sums / counts.reshape(out)
    return y[0] if unbatched else y


def lp_pool(op: str, nd: int, input: TensorLike, norm_type: float, kernel_size, stride, ceil_mode) -> Tensor:
    """The power-average pool, as PyTorch's ``F.lp_pool{nd}d``: (sum of x^p over each window)^(1/p), computed
    as PyTorch does (``avg_pool`` of x^p times the kernel's size, so a ceil_mode overhang scales as theirs).
    p = 1 is sum pooling, large p approaches max pooling.

    >>> lp_pool("lp_pool1d", 1, Tensor([[[3.0, 4.0]]]), 2, 2, None, False)
    Tensor([[[5.]]])
    """
    if isinstance(norm_type, bool) or not isinstance(norm_type, numbers.Real) or not 0 < norm_type < math.inf:
        raise ValueError(f"{op}: norm_type must be a positive finite number (p of the p-norm), got {norm_type!r}")
    spatial_input(op, input, nd)  # the shape and dtype checked before x^p, so an error names this op
    kernel = sizes(op, "kernel_size", kernel_size, nd, 1)
    powered = avg_pool(op, nd, ag.as_tensor(input) ** norm_type, kernel, stride, 0, ceil_mode, True, None)
    return (powered * math.prod(kernel)) ** (1.0 / norm_type)


def adaptive_sizes(op: str, output_size: object, nd: int) -> tuple[int | None, ...]:
    """An adaptive pool's ``output_size`` as ``nd`` positive ints or None (keep the input's size)."""
    many = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size,) * nd
    if len(many) != nd or not all(
        s is None or (isinstance(s, numbers.Integral) and not isinstance(s, bool) and int(s) >= 1) for s in many
    ):
        kinds = {1: "", 2: " or a (height, width) pair of them", 3: " or a (depth, height, width) triple of them"}
        raise ValueError(
            f"{op}: output_size must be a positive int{kinds[nd]} (None keeps the input's size), got "
            f"{output_size!r}; e.g. 1 for global pooling"
        )
    return tuple(None if s is None else int(s) for s in many)  # type: ignore[arg-type]


def _bounds(n: int, out: int) -> list[tuple[int, int]]:
    """PyTorch's adaptive windows along an axis of n: [floor(i n / out), ceil((i + 1) n / out))."""
    return [(i * n // out, -(-(i + 1) * n // out)) for i in range(out)]


def _windows_along(x: Tensor, axis: int, out: int, reduce: Callable[[Tensor, int], Tensor]) -> Tensor:
    """``reduce`` over the adaptive windows of ``axis``."""
    n = x.shape[axis]
    if n % out == 0:  # equal windows, side by side: one reshape, one reduction
        return reduce(x.reshape(x.shape[:axis] + (out, n // out) + x.shape[axis + 1 :]), axis + 1)
    lead = (slice(None),) * axis
    return ag.stack([reduce(x[lead + (slice(a, b),)], axis) for a, b in _bounds(n, out)], axis=axis)


def adaptive_pool(op: str, nd: int, input: TensorLike, output_size: OutputSize, reduce: str, return_indices=False):
    """The mean (``reduce="mean"``) or max of each adaptive window; ``return_indices`` (max only) also gives
    each max's flat position in its sample, as PyTorch's (the first maximum).

    >>> adaptive_pool("adaptive_avg_pool1d", 1, ag.arange(3.0).reshape(1, 1, 3), 2, "mean")   # [0, 2) and [1, 3)
    Tensor([[[0.5, 1.5]]])
    """
    x, unbatched = spatial_input(op, input, nd)
    out = tuple(x.shape[2 + a] if s is None else s for a, s in enumerate(adaptive_sizes(op, output_size, nd)))
    spatial = x.shape[2:]
    if all(size % o == 0 for size, o in zip(spatial, out)) and not return_indices:  # the plain pooling, one unfold
        kernel = tuple(size // o for size, o in zip(spatial, out))
        if reduce == "mean":
            y = avg_pool(op, nd, x, kernel, None, 0, False, True, None)
        else:
            y = max_pool(op, nd, x, kernel, None, 0, 1, False, False)
    else:  # a window is a box, so reduce the windows of each axis in turn
        along: Callable[[Tensor, int], Tensor] = (
            (lambda t, a: t.mean(axis=a)) if reduce == "mean" else (lambda t, a: t.max(axis=a))
        )
        y = x
        for a, o in enumerate(out):
            y = _windows_along(y, 2 + a, o, along)
    if not return_indices:
        return y[0] if unbatched else y
    indices = Tensor(_adaptive_argmax(x.data, out))
    return (y[0], indices[0]) if unbatched else (y, indices)


def _adaptive_argmax(data: np.ndarray, out: tuple[int, ...]) -> np.ndarray:
    """Each adaptive window's first maximum (a NaN first, as PyTorch's), as a flat position in its sample."""
    n, c, *spatial = data.shape
    bounds = [_bounds(size, o) for size, o in zip(spatial, out)]
    indices = np.empty((n, c) + out, np.int64)
    for cell in itertools.product(*(range(o) for o in out)):
        box = [bounds[a][i] for a, i in enumerate(cell)]
        block = data[(slice(None), slice(None)) + tuple(slice(lo, hi) for lo, hi in box)]
        local = np.unravel_index(block.reshape(n, c, -1).argmax(axis=2), block.shape[2:])
        where = tuple(offset + lo for offset, (lo, _) in zip(local, box))
        indices[(slice(None), slice(None)) + cell] = np.ravel_multi_index(where, spatial)
    return indices


def max_unpool(op: str, nd: int, input: TensorLike, indices: TensorLike, kernel_size, stride, padding, output_size):
    """max_pool's partial inverse, as PyTorch's ``F.max_unpool{nd}d``: each value of ``input`` put at its
    ``indices`` (flat positions, from ``max_pool(..., return_indices=True)``) in zeros of (N, C, *out), each
    out (size - 1) stride - 2 padding + kernel unless ``output_size`` says. A scatter: the gradient of each
    value is the output's gradient at its index.

    >>> max_unpool("max_unpool1d", 1, Tensor([[[4.0]]]), np.array([[[1]]]), 2, None, 0, None)
    Tensor([[[0., 4.]]])
    """
    x = ag.as_tensor(input)
    where = np.asarray(indices.data if isinstance(indices, Tensor) else indices)
    axes = ", ".join(AXES[nd])
    if x.ndim not in (nd + 1, nd + 2) or where.shape != x.shape:
        raise ValueError(
            f"{op}: input (N, C, {axes}) or (C, {axes}) and indices of the same shape, got {x.shape} and "
            f"{where.shape}; pass the indices max_pool{nd}d(..., return_indices=True) gave with this input"
        )
    if where.dtype.kind not in "iu":
        raise TypeError(f"{op}: indices must be integers, got dtype {where.dtype}")
    kernel = sizes(op, "kernel_size", kernel_size, nd, 1)
    strides = kernel if stride is None else sizes(op, "stride", stride, nd, 1)
    pads = sizes(op, "padding", padding, nd, 0)
    default = tuple((x.shape[x.ndim - nd + a] - 1) * strides[a] - 2 * pads[a] + kernel[a] for a in range(nd))
    out = default if output_size is None else tuple(int(s) for s in list(output_size)[-nd:])
    if len(out) != nd or any(not d - s < o < d + s for o, d, s in zip(out, default, strides)):
        raise ValueError(
            f"{op}: output_size {output_size!r} must give ({axes}) within a stride of the default {default} "
            f"(strictly between {default[0] - strides[0]} and {default[0] + strides[0]} etc.)"
        )
    total = math.prod(out)
    if where.size and (where.min() < 0 or where.max() >= total):
        noun = {1: "signal", 2: "image", 3: "volume"}[nd]
        raise ValueError(
            f"{op}: indices must be in 0..{total - 1} for an output of {'x'.join(map(str, out))}, found "
            f"{where.min()}..{where.max()}; give the output_size of the {noun} max_pool{nd}d saw"
        )
    lead = x.shape[: x.ndim - nd]
    zeros = Tensor(np.zeros(lead + (total,), x.dtype))
    return zeros.scatter(-1, where.reshape(*lead, -1), x.reshape(*lead, -1)).reshape(*lead, *out)
