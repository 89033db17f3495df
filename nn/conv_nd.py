"""The convolution and the transposed convolution over 1, 2 or 3 spatial axes, one implementation each:
``F.conv2d`` / ``F.conv3d`` and ``F.conv_transpose1d`` .. ``F.conv_transpose3d`` are these with ``nd`` fixed.
Composed on ``windows_nd`` (im2col and col2im) and one (grouped) matmul: no backward here.
"""

from __future__ import annotations

import math

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.types import TensorLike

from .checks import positive_int
from .windows_nd import (
    AXES,
    KERNEL_AXES,
    NOUNS,
    check_fits,
    conv_padding,
    fold_nd,
    output_size,
    sizes,
    spatial_input,
    unfold_nd,
)


def _with_bias(op: str, y: Tensor, bias: TensorLike | None, out_channels: int, nd: int) -> Tensor:
    if bias is None:
        return y
    b = ag.as_tensor(bias)
    if b.shape != (out_channels,):
        raise ValueError(f"{op}: the bias must have shape ({out_channels},) (one per output channel), got {b.shape}")
    return y + b.reshape((out_channels,) + (1,) * nd)


def convolution(op: str, nd: int, input: TensorLike, weight, bias, stride, padding, dilation, groups) -> Tensor:
    """``nd``-d convolution (cross-correlation), as PyTorch's ``F.conv{nd}d``: input (N, C, *spatial) (or one
    unbatched (C, *spatial)), weight (out_channels, C / groups, *kernel), bias (out_channels,); ``op`` names it
    in errors. im2col (``unfold_nd``) then one matmul per group, so its gradients are the matmul's.

    >>> convolution("conv3d", 3, ag.ones(1, 1, 2, 2, 2), ag.ones(1, 1, 2, 2, 2), None, 1, 0, 1, 1)
    Tensor([[[[[8.]]]]])
    """
    x, unbatched = spatial_input(op, input, nd)
    w = ag.as_tensor(weight)
    if w.ndim != nd + 2:
        raise ValueError(
            f"{op}: the weight must be {nd + 2}-d (out_channels, in_channels / groups, {KERNEL_AXES[nd]}), "
            f"got shape {w.shape}"
        )
    groups = positive_int(op, "groups", groups)
    out_channels, channels = w.shape[0], x.shape[1]
    if out_channels % groups or channels != w.shape[1] * groups:
        raise ValueError(
            f"{op}: a weight of shape {w.shape} with groups={groups} expects {w.shape[1] * groups} input channels "
            f"(and out_channels divisible by groups), the input of shape {x.shape} has {channels}; "
            f"an (N, {', '.join(AXES[nd])}) batch of one-channel {NOUNS[nd]} needs its channel axis: x[:, None]"
        )
    kernel, strides = tuple(w.shape[2:]), sizes(op, "stride", stride, nd, 1)
    dilations = sizes(op, "dilation", dilation, nd, 1)
    pads = conv_padding(op, padding, kernel, dilations, strides)
    check_fits(op, x, kernel, dilations, pads)
    columns = unfold_nd(x, kernel, dilations, pads, strides)  # (N, C * prod(kernel), L)
    n, rows, length = columns.shape  # sizes spelled out, not -1: an empty batch or weight reshapes too
    if groups == 1:
        y = w.reshape(out_channels, rows) @ columns  # (N, out, L): one batched matmul
    else:  # each group's filters see only its own channels' rows of the columns
        per_group = rows // groups
        grouped = w.reshape(groups, out_channels // groups, per_group) @ columns.reshape(n, groups, per_group, length)
        y = grouped.reshape(n, out_channels, length)
    y = _with_bias(
        op, y.reshape((n, out_channels) + output_size(x, kernel, dilations, pads, strides)), bias, out_channels, nd
    )
    return y[0] if unbatched else y


def transposed_geometry(op: str, nd: int, stride, padding, output_padding, dilation):
    """stride, padding, output_padding, dilation as ``nd`` checked ints each; output_padding must be smaller
    than the stride or the dilation (PyTorch's rule: otherwise it would add rows no window reaches)."""
    strides = sizes(op, "stride", stride, nd, 1)
    pads = sizes(op, "padding", padding, nd, 0)
    extras = sizes(op, "output_padding", output_padding, nd, 0)
    dilations = sizes(op, "dilation", dilation, nd, 1)
    for extra, step, d in zip(extras, strides, dilations):
        if extra >= step and extra >= d:
            raise ValueError(
                f"{op}: output_padding {extras} must be smaller than the stride {strides} or the dilation "
                f"{dilations} on each axis; use a smaller output_padding (or a larger stride)"
            )
    return strides, pads, extras, dilations


def transposed_convolution(
    op: str, nd: int, input: TensorLike, weight, bias, stride, padding, output_padding, groups, dilation
) -> Tensor:
    """``nd``-d transposed convolution, as PyTorch's ``F.conv_transpose{nd}d``: input (N, C_in, *spatial),
    weight (C_in, C_out / groups, *kernel), bias (C_out,). The adjoint of ``convolution`` with the same
    stride, padding, dilation and groups; each output axis is (size - 1) stride - 2 padding + dilation (k - 1)
    + output_padding + 1 long. One (grouped) matmul, then col2im (``fold_nd``).

    >>> transposed_convolution("conv_transpose1d", 1, ag.ones(1, 1, 2), ag.ones(1, 1, 2), None, 1, 0, 0, 1, 1)
    Tensor([[[1., 2., 1.]]])
    """
    x, unbatched = spatial_input(op, input, nd)
    w = ag.as_tensor(weight)
    if w.ndim != nd + 2:
        raise ValueError(
            f"{op}: the weight must be {nd + 2}-d (in_channels, out_channels / groups, {KERNEL_AXES[nd]}), "
            f"got {w.shape}"
        )
    groups = positive_int(op, "groups", groups)
    channels = x.shape[1]
    if channels != w.shape[0] or channels % groups:
        raise ValueError(
            f"{op}: a weight of shape {w.shape} expects {w.shape[0]} input channels (divisible by groups={groups}), "
            f"the input of shape {x.shape} has {channels}; give (N, {w.shape[0]}, {', '.join(AXES[nd])}) "
            f"(the weight is (in_channels, out_channels / groups, {KERNEL_AXES[nd]}), conv{nd}d's transposed)"
        )
    strides, pads, extras, dilations = transposed_geometry(op, nd, stride, padding, output_padding, dilation)
    n, spatial, kernel = x.shape[0], x.shape[2:], tuple(w.shape[2:])
    out_channels = w.shape[1] * groups
    size = [
        (spatial[a] - 1) * strides[a] - 2 * pads[a] + dilations[a] * (kernel[a] - 1) + extras[a] + 1 for a in range(nd)
    ]
    if min(size) < 1:
        raise ValueError(
            f"{op}: the output would be {'x'.join(map(str, size))} for input {x.shape}, kernel {kernel}, stride "
            f"{strides}, padding {pads}, dilation {dilations}: padding crops everything; use a smaller padding"
        )
    # each input position's column: its channels contracted with the weight, (N, C_out * prod(kernel), L)
    per_group, rows, length = channels // groups, w.shape[1] * math.prod(kernel), math.prod(spatial)
    pixels = x.reshape(n, groups, per_group, length)
    columns = (w.reshape(groups, per_group, rows).transpose(0, 2, 1) @ pixels).reshape(n, groups * rows, length)
    # col2im into the output: the padding crops `padding` before and `padding - output_padding` after; an
    # output_padding beyond the padding reaches rows no window touches: zeros, appended
    if all(extras[a] <= pads[a] for a in range(nd)):
        crops = tuple((pads[a], pads[a] - extras[a]) for a in range(nd))
        y = fold_nd(columns, tuple(size), kernel, dilations, crops, strides)
    else:
        full = tuple(size[a] + 2 * pads[a] - extras[a] for a in range(nd))  # every window's reach, uncropped
        y = fold_nd(columns, full, kernel, dilations, ((0, 0),) * nd, strides)
        for a in range(nd):
            if extras[a]:
                axis = 2 + a
                zeros = ag.zeros(y.shape[:axis] + (extras[a],) + y.shape[axis + 1 :], dtype=y.dtype)
                y = ag.concatenate([y, zeros], axis=axis)
        y = y[(slice(None), slice(None)) + tuple(slice(pads[a], pads[a] + size[a]) for a in range(nd))]
    y = _with_bias(op, y, bias, out_channels, nd)
    return y[0] if unbatched else y
