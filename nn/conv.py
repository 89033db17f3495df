"""Convolution and pooling as functions (``F.conv2d``, ``F.max_pool2d``, ``F.avg_pool2d``, ``F.unfold``,
``F.fold``), composed from ``ag.unfold`` (im2col, the engine's ``unfold`` primitive; ``ag.fold`` its transpose)
and Tensor ops: no backward here.

im2col, the textbook way (cs231n's convnet notes): ``unfold`` lays each kh x kw window of every channel
out as one column, (N, C*kh*kw, L); a convolution is then one matmul of the (out, C*kh*kw) weight with
those columns, a max pooling a max over each column's window, an average pooling a mean. Their
gradients are the matmul's, the max's (tied maxima share: ties split evenly) and the mean's, brought
back to the image by unfold's vjp (col2im), which adds up what overlapping windows send one pixel.
"""

from __future__ import annotations

import numbers
from typing import Literal, overload

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.types import TensorLike
from autograd_core.windows import IntPair, window_pair

from .checks import positive_int

#: padding as conv2d takes it: an int, an (height, width) pair, or "same" / "valid" (PyTorch's).
Padding = IntPair | str


def _images(op: str, input: TensorLike) -> tuple[Tensor, bool]:
    """``input`` as a float (N, C, H, W) tensor, and whether it was one unbatched (C, H, W) image."""
    x = ag.as_tensor(input)
    if x.ndim not in (3, 4):
        fix = {
            2: "x[None, None] for one (H, W) image, x.reshape(N, C, H, W) for rows of flattened images",
            5: "merge the extra axes into the batch axis",
        }
        raise ValueError(
            f"{op}: expected a 4-d (N, C, H, W) input or a 3-d (C, H, W) one, got shape {x.shape}; "
            f"{fix.get(x.ndim, 'reshape it to (N, C, H, W)')}"
        )
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating-point input, got {x.dtype}; convert it with x.float()")
    return (x, False) if x.ndim == 4 else (x[None], True)


def _check_fits(op: str, x: Tensor, kernel: tuple[int, int], dilation: tuple[int, int], pads: tuple) -> None:
    """Refuse a kernel wider than the padded input (PyTorch's 'Kernel size can't be greater than ...')."""
    spans = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    sizes = [x.shape[2] + sum(pads[0]), x.shape[3] + sum(pads[1])]
    if spans[0] > sizes[0] or spans[1] > sizes[1]:
        raise ValueError(
            f"{op}: the kernel {kernel[0]}x{kernel[1]} (dilation {dilation[0]}x{dilation[1]}) spans "
            f"{spans[0]}x{spans[1]}, larger than the padded input's {sizes[0]}x{sizes[1]} (input shape {x.shape}); "
            "use a smaller kernel or dilation, or more padding"
        )


def _output_size(x: Tensor, kernel: tuple[int, int], dilation, pads, stride) -> tuple[int, int]:
    """How many windows fit down and across: floor((size + padding - d (k - 1) - 1) / s) + 1, as PyTorch."""
    height, width = (
        (x.shape[2 + a] + sum(pads[a]) - dilation[a] * (kernel[a] - 1) - 1) // stride[a] + 1 for a in (0, 1)
    )
    return height, width


def _conv_padding(padding: Padding, kernel: tuple[int, int], dilation: tuple[int, int], stride: tuple[int, int]):
    """((top, bottom), (left, right)) for conv2d's padding; "same" pads d (k - 1) in all, the odd one
    after (bottom, right), as PyTorch."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0), (0, 0)
        if padding != "same":
            raise ValueError(f"conv2d: padding must be an int, a pair, 'same' or 'valid', got {padding!r}")
        if stride != (1, 1):
            raise ValueError(f"conv2d: padding='same' needs stride 1 (as PyTorch), got stride={stride}")
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return (totals[0] // 2, totals[0] - totals[0] // 2), (totals[1] // 2, totals[1] - totals[1] // 2)
    ph, pw = window_pair("conv2d", "padding", padding, 0)
    return (ph, ph), (pw, pw)


def conv2d(
    input: TensorLike,
    weight: TensorLike,
    bias: TensorLike | None = None,
    stride: IntPair = 1,
    padding: Padding = 0,
    dilation: IntPair = 1,
    groups: int = 1,
) -> Tensor:
    """2-d convolution (cross-correlation, as every deep-learning library), as PyTorch's ``F.conv2d``:
    input (N, C, H, W) (or one (C, H, W) image), weight (out_channels, C / groups, kh, kw), bias
    (out_channels,); out[n, o] = sum over c, i, j of weight[o, c, i, j] * x[n, c, s*y + d*i, s*x + d*j] + bias[o].
    Composed: ``ag.unfold`` (im2col) then one matmul, so its gradients are the matmul's.

    >>> x = ag.arange(16.0).reshape(1, 1, 4, 4)
    >>> conv2d(x, ag.ones(1, 1, 2, 2), stride=2)        # each 2x2 block summed
    Tensor([[[[10., 18.],
              [42., 50.]]]])
    """
    x, unbatched = _images("conv2d", input)
    w = ag.as_tensor(weight)
    if w.ndim != 4:
        raise ValueError(
            f"conv2d: the weight must be 4-d (out_channels, in_channels / groups, kh, kw), got shape {w.shape}"
        )
    groups = positive_int("conv2d", "groups", groups)
    out_channels, channels = w.shape[0], x.shape[1]
    if out_channels % groups or channels != w.shape[1] * groups:
        raise ValueError(
            f"conv2d: a weight of shape {w.shape} with groups={groups} expects {w.shape[1] * groups} input channels "
            f"(and out_channels divisible by groups), the input of shape {x.shape} has {channels}; "
            "an (N, H, W) batch of one-channel images needs its channel axis: x[:, None]"
        )
    kernel, strides = (w.shape[2], w.shape[3]), window_pair("conv2d", "stride", stride, 1)
    dilations = window_pair("conv2d", "dilation", dilation, 1)
    pads = _conv_padding(padding, kernel, dilations, strides)
    _check_fits("conv2d", x, kernel, dilations, pads)
    columns = ag.unfold(x, kernel, dilation=dilations, padding=pads, stride=strides)  # (N, C*kh*kw, L)
    n, rows, length = columns.shape  # sizes spelled out, not -1: an empty batch or weight reshapes too
    if groups == 1:
        y = w.reshape(out_channels, rows) @ columns  # (N, out, L): one batched matmul
    else:  # each group's filters see only its own channels' rows of the columns
        per_group = rows // groups
        grouped = w.reshape(groups, out_channels // groups, per_group) @ columns.reshape(n, groups, per_group, length)
        y = grouped.reshape(n, out_channels, length)
    y = y.reshape((n, out_channels) + _output_size(x, kernel, dilations, pads, strides))
    if bias is not None:
        b = ag.as_tensor(bias)
        if b.shape != (out_channels,):
            raise ValueError(
                f"conv2d: the bias must have shape ({out_channels},) (one per output channel), got {b.shape}"
            )
        y = y + b.reshape(out_channels, 1, 1)
    return y[0] if unbatched else y


def _no_stride(stride: object) -> bool:
    """None or an empty tuple / list: PyTorch's pools then step by the kernel."""
    return stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0)


def _pool_geometry(op: str, x: Tensor, kernel_size, stride, padding, dilation, ceil_mode: bool):
    """kernel, stride (None: the kernel), padding ((top, bottom), (left, right)), dilation; checked. The
    padding is at most half the kernel (as PyTorch); ``ceil_mode`` adds, after, what the last window overhangs
    (it may start in the padding, not after it: PyTorch's rule)."""
    kernel = window_pair(op, "kernel_size", kernel_size, 1)
    strides = kernel if _no_stride(stride) else window_pair(op, "stride", stride, 1)
    pads = window_pair(op, "padding", padding, 0)
    dilations = window_pair(op, "dilation", dilation, 1)
    if pads[0] > kernel[0] // 2 or pads[1] > kernel[1] // 2:
        raise ValueError(
            f"{op}: padding must be at most half the kernel size (as PyTorch), got padding={padding!r} "
            f"for kernel_size={kernel_size!r}"
        )
    full_pads = ((pads[0], pads[0]), (pads[1], pads[1]))
    if not ceil_mode:
        _check_fits(op, x, kernel, dilations, full_pads)
        return kernel, strides, full_pads, dilations
    overhangs = []
    for a in (0, 1):
        size, pad, span, step = x.shape[2 + a], pads[a], dilations[a] * (kernel[a] - 1) + 1, strides[a]
        count = -(-(size + 2 * pad - span) // step) + 1  # windows, rounding up
        if (count - 1) * step >= size + pad:  # the last one would start past the padding: dropped
            count -= 1
        if count < 1:
            _check_fits(op, x, kernel, dilations, full_pads)  # raises: the kernel spans more than the input
        overhangs.append(max(0, (count - 1) * step + span - size - 2 * pad))
    return kernel, strides, ((pads[0], pads[0] + overhangs[0]), (pads[1], pads[1] + overhangs[1])), dilations


@overload
def max_pool2d(
    input: TensorLike,
    kernel_size: IntPair,
    stride: IntPair | None = ...,
    padding: IntPair = ...,
    dilation: IntPair = ...,
    ceil_mode: bool = ...,
    return_indices: Literal[False] = ...,
) -> Tensor: ...
@overload
def max_pool2d(
    input: TensorLike,
    kernel_size: IntPair,
    stride: IntPair | None = ...,
    padding: IntPair = ...,
    dilation: IntPair = ...,
    ceil_mode: bool = ...,
    *,
    return_indices: Literal[True],
) -> tuple[Tensor, Tensor]: ...
@overload
def max_pool2d(
    input: TensorLike,
    kernel_size: IntPair,
    stride: IntPair | None,
    padding: IntPair,
    dilation: IntPair,
    ceil_mode: bool,
    return_indices: bool,
) -> Tensor | tuple[Tensor, Tensor]: ...
def max_pool2d(
    input: TensorLike,
    kernel_size: IntPair,
    stride: IntPair | None = None,
    padding: IntPair = 0,
    dilation: IntPair = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """The max of each kh x kw window, as PyTorch's ``F.max_pool2d`` (stride defaults to the kernel;
    padding counts as -inf; ``ceil_mode`` rounds the window count up, keeping a last window that overhangs
    the input if it starts inside it or its padding). Composed: ``ag.unfold`` then a max over each window.
    Tied maxima in a window share its gradient equally (the ties-split rule; PyTorch gives it all to one).
    ``return_indices=True`` also gives where each max sits, as PyTorch's: h * W + w in its (H, W) image
    (-1 for a window wholly in the padding, where PyTorch's points outside the image).

    >>> max_pool2d(ag.arange(16.0).reshape(1, 1, 4, 4), 2)
    Tensor([[[[ 5.,  7.],
              [13., 15.]]]])
    """
    x, unbatched = _images("max_pool2d", input)
    kernel, strides, pads, dilations = _pool_geometry(
        "max_pool2d", x, kernel_size, stride, padding, dilation, ceil_mode
    )
    columns = ag.unfold(x, kernel, dilation=dilations, padding=pads, stride=strides, pad_value=-np.inf)
    n, c = x.shape[:2]
    windows = columns.reshape(n, c, kernel[0] * kernel[1], columns.shape[2])
    y = windows.max(axis=2).reshape((n, c) + _output_size(x, kernel, dilations, pads, strides))
    if not return_indices:
        return y[0] if unbatched else y
    # each window's pixel positions (-1 in the padding), unfolded as the values were
    positions = np.arange(x.shape[2] * x.shape[3], dtype=np.float64).reshape((1, 1) + x.shape[2:])
    where = ag.unfold(positions, kernel, dilation=dilations, padding=pads, stride=strides, pad_value=-1).data[0]
    real, every_window = where >= 0, np.arange(where.shape[1])
    best = np.where(real, windows.data, -np.inf).argmax(axis=2)  # the first maximum, as PyTorch's loop finds it
    first_real = where[real.argmax(axis=0), every_window]  # a window of only -inf: its first pixel, as PyTorch
    indices = where[best, every_window]
    indices = Tensor(np.where(indices < 0, first_real, indices).astype(np.int64).reshape(y.shape))
    return (y[0], indices[0]) if unbatched else (y, indices)


def avg_pool2d(
    input: TensorLike,
    kernel_size: IntPair,
    stride: IntPair | None = None,
    padding: IntPair = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """The mean of each kh x kw window, as PyTorch's ``F.avg_pool2d`` (stride defaults to the kernel;
    padding counts as 0, and in the count unless ``count_include_pad=False``; ``divisor_override``
    divides every window's sum by itself; ``ceil_mode`` as max_pool2d's, the overhang never counted).
    Composed: ``ag.unfold`` then a sum and a division.

    >>> avg_pool2d(ag.arange(16.0).reshape(1, 1, 4, 4), 2)
    Tensor([[[[ 2.5,  4.5],
              [10.5, 12.5]]]])
    """
    x, unbatched = _images("avg_pool2d", input)
    kernel, strides, pads, dilations = _pool_geometry("avg_pool2d", x, kernel_size, stride, padding, 1, ceil_mode)
    columns = ag.unfold(x, kernel, padding=pads, stride=strides)
    n, c = x.shape[:2]
    out_size = _output_size(x, kernel, dilations, pads, strides)
    sums = columns.reshape(n, c, kernel[0] * kernel[1], columns.shape[2]).sum(axis=2).reshape((n, c) + out_size)
    if divisor_override is not None:
        if (
            not isinstance(divisor_override, numbers.Integral)
            or isinstance(divisor_override, bool)
            or divisor_override < 1
        ):
            raise ValueError(f"avg_pool2d: divisor_override must be a positive int or None, got {divisor_override!r}")
        y = sums / int(divisor_override)
    elif pads == ((0, 0), (0, 0)) or (count_include_pad and pads[0][0] == pads[0][1] and pads[1][0] == pads[1][1]):
        y = sums / (kernel[0] * kernel[1])
    else:  # each window's count of pixels (padding too if count_include_pad, never ceil_mode's overhang), a constant
        counted = np.pad(np.ones(x.shape[2:], x.dtype), [(p, p) for p, _ in pads], constant_values=count_include_pad)
        overhang = ((0, pads[0][1] - pads[0][0]), (0, pads[1][1] - pads[1][0]))
        counts = ag.unfold(counted[None, None], kernel, padding=overhang, stride=strides).data.sum(axis=1)
        y = sums / counts.reshape(out_size)
    return y[0] if unbatched else y


def unfold(
    input: TensorLike, kernel_size: IntPair, dilation: IntPair = 1, padding: IntPair = 0, stride: IntPair = 1
) -> Tensor:
    """The sliding kh x kw blocks as columns, (N, C*kh*kw, L), as PyTorch's ``F.unfold``: ``ag.unfold``.

    >>> unfold(ag.ones(2, 3, 4, 4), 2).shape
    (2, 12, 9)
    """
    return ag.unfold(input, kernel_size, dilation=dilation, padding=padding, stride=stride)


def fold(
    input: TensorLike,
    output_size: IntPair,
    kernel_size: IntPair,
    dilation: IntPair = 1,
    padding: IntPair = 0,
    stride: IntPair = 1,
) -> Tensor:
    """Columns (N, C*kh*kw, L) summed back into (N, C, H, W) images, as PyTorch's ``F.fold`` (col2im, the
    transpose of ``unfold``: overlapping windows add up): ``ag.fold``.

    >>> fold(unfold(ag.ones(2, 3, 4, 4), 2), 4, 2).shape
    (2, 3, 4, 4)
    """
    return ag.fold(input, output_size, kernel_size, dilation=dilation, padding=padding, stride=stride)
