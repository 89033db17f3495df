"""Sliding windows over 1, 2 or 3 spatial axes, the one geometry under every convolution and pooling here
(``F.conv1d`` .. ``F.conv3d``, their transposes, the max / average / power-average pools): ``unfold_nd``
(im2col) and its transpose ``fold_nd`` (col2im), and the checked sizes, paddings and output sizes.

Composed, no backward here: 2-d is the engine's ``ag.unfold`` / ``ag.fold`` as they are (so the 2-d layers
keep their speed), 1-d is 2-d one row high, and 3-d is two 2-d unfolds, because a box window is separable:
(depth, height) windows with the width moved into the batch, then width windows of those columns. Each
step's gradient is a primitive's (unfold, fold, reshape, transpose), so the 3-d vjp is col2im twice.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.types import TensorLike
from autograd_core.windows import window_pair

#: the spatial axes' names for each count of them, as the messages spell shapes
AXES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}
#: a kernel's axes' names, as the weight's shape is spelled
KERNEL_AXES = {1: "k", 2: "kh, kw", 3: "kd, kh, kw"}
#: what one sample is called
NOUNS = {1: "signals", 2: "images", 3: "volumes"}


def sizes(op: str, name: str, value: object, nd: int, minimum: int) -> tuple[int, ...]:
    """``value`` (an int, a tuple of ``nd`` ints or a 1-tuple) as ``nd`` ints, each at least ``minimum``;
    else a ValueError naming ``op`` and ``name``.

    >>> sizes("conv3d", "stride", 2, 3, 1)
    (2, 2, 2)
    """
    if nd == 2:
        return window_pair(op, name, value, minimum)
    many = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    many = many * nd if len(many) == 1 else many
    if len(many) != nd or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in many):
        kinds = "a 1-tuple of one" if nd == 1 else f"a tuple of {nd} ints ({', '.join(AXES[nd])})"
        raise ValueError(f"{op}: {name} must be an int or {kinds}, got {value!r}")
    if min(many) < minimum:
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {value!r}")
    return tuple(int(v) for v in many)


def spatial_input(op: str, input: TensorLike, nd: int) -> tuple[Tensor, bool]:
    """``input`` as a float (N, C, *spatial) tensor with ``nd`` spatial axes, and whether it was one unbatched
    (C, *spatial) sample."""
    x = ag.as_tensor(input)
    if x.ndim not in (nd + 1, nd + 2):
        axes = ", ".join(AXES[nd])
        one = {1: "one (L,) signal", 2: "one (H, W) image", 3: "one (D, H, W) volume"}[nd]
        rows = {2: ", x.reshape(N, C, H, W) for rows of flattened images"}.get(nd, "")
        fix = {nd: f"x[None, None] for {one}{rows}", nd + 3: "merge the extra axes into the batch axis"}
        raise ValueError(
            f"{op}: expected a {nd + 2}-d (N, C, {axes}) input or a {nd + 1}-d (C, {axes}) one, got shape "
            f"{x.shape}; {fix.get(x.ndim, f'reshape it to (N, C, {axes})')}"
        )
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating-point input, got {x.dtype}; convert it with x.float()")
    return (x, False) if x.ndim == nd + 2 else (x[None], True)


def window_count(size: int, kernel: int, dilation: int, before: int, after: int, stride: int) -> int:
    """How many windows fit along one axis: floor((size + before + after - d (k - 1) - 1) / s) + 1, as PyTorch."""
    return (size + before + after - dilation * (kernel - 1) - 1) // stride + 1


def spans(kernel: tuple[int, ...], dilation: tuple[int, ...]) -> list[int]:
    """How far each axis's dilated window reaches: d (k - 1) + 1."""
    return [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]


def check_fits(op: str, x: Tensor, kernel: tuple[int, ...], dilation: tuple[int, ...], pads) -> None:
    """Refuse a kernel wider than the padded input (PyTorch's 'Kernel size can't be greater than ...')."""
    reach = spans(kernel, dilation)
    room = [x.shape[2 + a] + sum(pads[a]) for a in range(len(kernel))]
    if any(r > s for r, s in zip(reach, room)):
        x_ = "x".join
        raise ValueError(
            f"{op}: the kernel {x_(map(str, kernel))} (dilation {x_(map(str, dilation))}) spans {x_(map(str, reach))}, "
            f"larger than the padded input's {x_(map(str, room))} (input shape {x.shape}); use a smaller kernel or "
            "dilation, or more padding"
        )


def output_size(x: Tensor, kernel, dilation, pads, stride) -> tuple[int, ...]:
    """How many windows fit along each spatial axis: floor((size + padding - d (k - 1) - 1) / s) + 1."""
    return tuple(
        window_count(x.shape[2 + a], kernel[a], dilation[a], pads[a][0], pads[a][1], stride[a])
        for a in range(len(kernel))
    )


def unfold_nd(x: Tensor, kernel, dilation, pads, stride, pad_value: float = 0.0) -> Tensor:
    """The windows of an (N, C, *spatial) x as columns (N, C * prod(kernel), prod(out)), rows ordered (channel,
    kernel offsets), PyTorch's ``F.unfold`` order; ``pads`` ((before, after) per axis) filled with ``pad_value``.

    >>> unfold_nd(ag.arange(8.0).reshape(1, 1, 2, 2, 2), (2, 2, 2), (1, 1, 1), ((0, 0),) * 3, (1, 1, 1)).shape
    (1, 8, 1)
    """
    nd = len(kernel)
    if nd == 2:
        return ag.unfold(x, kernel, dilation=dilation, padding=pads, stride=stride, pad_value=pad_value)
    if nd == 1:
        row = ((0, 0), pads[0])
        return ag.unfold(x[:, :, None, :], (1,) + kernel, (1,) + dilation, row, (1,) + stride, pad_value=pad_value)
    n, c, _, _, width = x.shape
    out_d, out_h, out_w = output_size(x, kernel, dilation, pads, stride)
    # (depth, height) windows, the width in the batch: (N*W, C*kd*kh, oD*oH)
    planes = x.transpose(0, 4, 1, 2, 3).reshape(n * width, c, x.shape[2], x.shape[3])
    first = ag.unfold(
        planes, kernel[:2], dilation=dilation[:2], padding=pads[:2], stride=stride[:2], pad_value=pad_value
    )
    rows = c * kernel[0] * kernel[1] * out_d * out_h
    along_w = first.reshape(n, width, rows).transpose(0, 2, 1).reshape(n, rows, 1, width)
    # then the width windows of every such column: (N, rows * kw, oW)
    second = ag.unfold(
        along_w, (1, kernel[2]), (1, dilation[2]), ((0, 0), pads[2]), (1, stride[2]), pad_value=pad_value
    )
    blocks = second.reshape(n, c, kernel[0], kernel[1], out_d, out_h, kernel[2], out_w)
    return blocks.transpose(0, 1, 2, 3, 6, 4, 5, 7).reshape(n, c * math.prod(kernel), out_d * out_h * out_w)


def fold_nd(columns: Tensor, size: Any, kernel, dilation, pads, stride) -> Tensor:
    """col2im, ``unfold_nd``'s transpose: columns (N, C * prod(kernel), L) summed back into (N, C, *size), each
    entry added where unfold_nd reads it (overlaps add up; the padding cropped).

    >>> fold_nd(ag.ones(1, 2, 3), (4,), (2,), (1,), ((0, 0),), (1,))
    Tensor([[[1., 2., 2., 1.]]])
    """
    nd = len(kernel)
    if nd == 2:
        return ag.fold(columns, size, kernel, dilation, pads, stride)
    if nd == 1:
        row = ((0, 0), pads[0])
        return ag.fold(columns, (1,) + size, (1,) + kernel, (1,) + dilation, row, (1,) + stride)[:, :, 0, :]
    n = columns.shape[0]
    c = columns.shape[1] // math.prod(kernel)
    out_d, out_h, out_w = (
        window_count(size[a], kernel[a], dilation[a], pads[a][0], pads[a][1], stride[a]) for a in range(3)
    )
    rows = c * kernel[0] * kernel[1] * out_d * out_h
    blocks = columns.reshape(n, c, kernel[0], kernel[1], kernel[2], out_d, out_h, out_w)
    by_width = blocks.transpose(0, 1, 2, 3, 5, 6, 4, 7).reshape(n, rows * kernel[2], out_w)
    along_w = ag.fold(by_width, (1, size[2]), (1, kernel[2]), (1, dilation[2]), ((0, 0), pads[2]), (1, stride[2]))
    planes = (
        along_w.reshape(n, rows, size[2])
        .transpose(0, 2, 1)
        .reshape(n * size[2], rows // (out_d * out_h), out_d * out_h)
    )
    image = ag.fold(planes, size[:2], kernel[:2], dilation[:2], pads[:2], stride[:2])  # (N*W, C, D, H)
    return image.reshape(n, size[2], c, size[0], size[1]).transpose(0, 2, 3, 4, 1)


def conv_padding(op: str, padding: object, kernel, dilation, stride) -> tuple[tuple[int, int], ...]:
    """(before, after) per spatial axis for a convolution's ``padding``: an int, one per axis, "valid" or
    "same" (d (k - 1) in all, the odd one after, as PyTorch)."""
    nd = len(kernel)
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * nd
        if padding != "same":
            kinds = "a pair" if nd == 2 else f"a tuple of {nd}"
            raise ValueError(f"{op}: padding must be an int, {kinds}, 'same' or 'valid', got {padding!r}")
        if any(s != 1 for s in stride):
            raise ValueError(f"{op}: padding='same' needs stride 1 (as PyTorch), got stride={stride}")
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return tuple((t // 2, t - t // 2) for t in totals)
    return tuple((p, p) for p in sizes(op, "padding", padding, nd, 0))


def no_stride(stride: object) -> bool:
    """None or an empty tuple / list: PyTorch's pools then step by the kernel."""
    return stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0)


def pool_geometry(op: str, x: Tensor, nd: int, kernel_size, stride, padding, dilation, ceil_mode: bool):
    """kernel, stride (None: the kernel), padding ((before, after) per axis), dilation; checked. The padding is
    at most half the kernel (as PyTorch); ``ceil_mode`` adds, after, what the last window overhangs (it may
    start in the padding, not after it: PyTorch's rule)."""
    kernel = sizes(op, "kernel_size", kernel_size, nd, 1)
    strides = kernel if no_stride(stride) else sizes(op, "stride", stride, nd, 1)
    pads = sizes(op, "padding", padding, nd, 0)
    dilations = sizes(op, "dilation", dilation, nd, 1)
    if any(p > k // 2 for p, k in zip(pads, kernel)):
        raise ValueError(
            f"{op}: padding must be at most half the kernel size (as PyTorch), got padding={padding!r} "
            f"for kernel_size={kernel_size!r}"
        )
    full_pads = tuple((p, p) for p in pads)
    if not ceil_mode:
        check_fits(op, x, kernel, dilations, full_pads)
        return kernel, strides, full_pads, dilations
    ceiled = []
    for size, pad, span, step in zip(x.shape[2:], pads, spans(kernel, dilations), strides):
        count = -(-(size + 2 * pad - span) // step) + 1  # windows, rounding up
        if (count - 1) * step >= size + pad:  # the last one would start past the padding: dropped
            count -= 1
        if count < 1:
            check_fits(op, x, kernel, dilations, full_pads)  # raises: the kernel spans more than the input
        ceiled.append((pad, pad + max(0, (count - 1) * step + span - size - 2 * pad)))
    return kernel, strides, tuple(ceiled), dilations
