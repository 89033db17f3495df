"""The transposed convolution (``F.conv_transpose2d``, ``nn.ConvTranspose2d``), as PyTorch's: the upsampling
layer of autoencoders' decoders and GAN generators. Composed, no backward here: it is conv2d's adjoint, so
where conv2d is im2col (``ag.unfold``) then a matmul, this is the transposed matmul then col2im (``ag.fold``),
each input pixel spreading its weighted kernel over the output, overlapping windows adding up.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.types import DTypeLike, TensorLike
from autograd_core.windows import IntPair, window_pair

from . import init as nn_init
from .checks import positive_int
from .conv import _images
from .init import GeneratorLike
from .module import Module


def _geometry(op: str, stride, padding, output_padding, dilation):
    """stride, padding, output_padding, dilation as checked (height, width) pairs; output_padding must be
    smaller than the stride or the dilation (PyTorch's rule: otherwise it would add rows no window reaches)."""
    strides = window_pair(op, "stride", stride, 1)
    pads = window_pair(op, "padding", padding, 0)
    extras = window_pair(op, "output_padding", output_padding, 0)
    dilations = window_pair(op, "dilation", dilation, 1)
    for extra, step, d in zip(extras, strides, dilations):
        if extra >= step and extra >= d:
            raise ValueError(
                f"{op}: output_padding {extras} must be smaller than the stride {strides} or the dilation "
                f"{dilations} on each axis; use a smaller output_padding (or a larger stride)"
            )
    return strides, pads, extras, dilations


def conv_transpose2d(
    input: TensorLike,
    weight: TensorLike,
    bias: TensorLike | None = None,
    stride: IntPair = 1,
    padding: IntPair = 0,
    output_padding: IntPair = 0,
    groups: int = 1,
    dilation: IntPair = 1,
) -> Tensor:
    """2-d transposed convolution, as PyTorch's ``F.conv_transpose2d``: input (N, C_in, H, W) (or one
    (C_in, H, W) image), weight (C_in, C_out / groups, kh, kw), bias (C_out,). The adjoint of ``conv2d``
    with the same stride, padding, dilation and groups; the output is H_out = (H - 1) stride - 2 padding +
    dilation (kh - 1) + output_padding + 1 high (likewise wide): ``padding`` crops, ``output_padding`` adds
    rows at the bottom and columns at the right. Composed: one (grouped) matmul, then ``ag.fold`` (col2im).

    >>> conv_transpose2d(ag.ones(1, 1, 2, 2), ag.ones(1, 1, 2, 2))   # overlapping 2x2 stamps add up
    Tensor([[[[1., 2., 1.],
              [2., 4., 2.],
              [1., 2., 1.]]]])
    """
    op = "conv_transpose2d"
    x, unbatched = _images(op, input)
    w = ag.as_tensor(weight)
    if w.ndim != 4:
        raise ValueError(f"{op}: the weight must be 4-d (in_channels, out_channels / groups, kh, kw), got {w.shape}")
    groups = positive_int(op, "groups", groups)
    channels = x.shape[1]
    if channels != w.shape[0] or channels % groups:
        raise ValueError(
            f"{op}: a weight of shape {w.shape} expects {w.shape[0]} input channels (divisible by groups={groups}), "
            f"the input of shape {x.shape} has {channels}; give (N, {w.shape[0]}, H, W) "
            "(the weight is (in_channels, out_channels / groups, kh, kw), conv2d's transposed)"
        )
    strides, pads, extras, dilations = _geometry(op, stride, padding, output_padding, dilation)
    n, (height, width), kernel = x.shape[0], x.shape[2:], (w.shape[2], w.shape[3])
    out_channels = w.shape[1] * groups
    size = [
        (x.shape[2 + a] - 1) * strides[a] - 2 * pads[a] + dilations[a] * (kernel[a] - 1) + extras[a] + 1 for a in (0, 1)
    ]
    if min(size) < 1:
        raise ValueError(
            f"{op}: the output would be {size[0]}x{size[1]} for input {x.shape}, kernel {kernel}, stride {strides}, "
            f"padding {pads}, dilation {dilations}: padding crops everything; use a smaller padding"
        )
    # each input pixel's column: its channels contracted with the weight, (N, C_out*kh*kw, H*W)
    per_group, rows = channels // groups, w.shape[1] * kernel[0] * kernel[1]
    pixels = x.reshape(n, groups, per_group, height * width)
    columns = w.reshape(groups, per_group, rows).transpose(0, 2, 1) @ pixels  # (N, groups, rows, H*W)
    columns = columns.reshape(n, groups * rows, height * width)
    # col2im into the output: fold's padding crops `padding` at the top / left, `padding - output_padding` at
    # the bottom / right; output_padding beyond the padding reaches rows no window touches: zeros, appended
    if all(extras[a] <= pads[a] for a in (0, 1)):
        crops = ((pads[0], pads[0] - extras[0]), (pads[1], pads[1] - extras[1]))
        y = ag.fold(columns, (size[0], size[1]), kernel, dilations, crops, strides)
    else:
        full = [size[a] + 2 * pads[a] - extras[a] for a in (0, 1)]  # every window's reach, uncropped
        y = ag.fold(columns, (full[0], full[1]), kernel, dilations, 0, strides)
        for axis, extra in ((2, extras[0]), (3, extras[1])):
            if extra:
                zeros = ag.zeros(y.shape[:axis] + (extra,) + y.shape[axis + 1 :], dtype=y.dtype)
                y = ag.concatenate([y, zeros], axis=axis)
        y = y[:, :, pads[0] : pads[0] + size[0], pads[1] : pads[1] + size[1]]
    if bias is not None:
        b = ag.as_tensor(bias)
        if b.shape != (out_channels,):
            raise ValueError(
                f"{op}: the bias must have shape ({out_channels},) (one per output channel), got {b.shape}"
            )
        y = y + b.reshape(out_channels, 1, 1)
    return y[0] if unbatched else y


class ConvTranspose2d(Module):
    """A 2-d transposed convolution, as PyTorch's ``nn.ConvTranspose2d``: ``F.conv_transpose2d(x, weight,
    bias, ...)`` with weight (in_channels, out_channels / groups, kh, kw) and bias (out_channels,), drawn as
    PyTorch's: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = out_channels / groups * kh * kw (so a torch
    state_dict loads as is). ``forward(x, output_size)`` picks the output_padding giving that (H, W), as
    PyTorch's. Only ``padding_mode="zeros"`` (PyTorch's only one here); ``seed`` an int, a Generator or None.

    >>> up = ConvTranspose2d(8, 4, 4, stride=2, padding=1, seed=0)    # doubles the height and width
    >>> up(np.ones((2, 8, 5, 5))).shape
    (2, 4, 10, 10)
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntPair,
        stride: IntPair = 1,
        padding: IntPair = 0,
        output_padding: IntPair = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: IntPair = 1,
        padding_mode: str = "zeros",
        seed: GeneratorLike = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__()
        op = "ConvTranspose2d"
        self.in_channels = positive_int(op, "in_channels", in_channels)
        self.out_channels = positive_int(op, "out_channels", out_channels)
        self.groups = positive_int(op, "groups", groups)
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise ValueError(
                f"{op}: in_channels ({in_channels}) and out_channels ({out_channels}) must both be divisible by "
                f"groups ({groups})"
            )
        if padding_mode != "zeros":
            raise ValueError(f"{op}: only padding_mode='zeros' is supported (as PyTorch), got {padding_mode!r}")
        self.padding_mode = padding_mode
        self.kernel_size = window_pair(op, "kernel_size", kernel_size, 1)
        self.stride, self.padding, self.output_padding, self.dilation = _geometry(
            op, stride, padding, output_padding, dilation
        )
        shape = (self.in_channels, self.out_channels // self.groups) + self.kernel_size  # torch's layout
        self.weight, self.bias = nn_init.conv_parameters(op, shape, self.out_channels, bias, seed, dtype)

    def _output_padding(self, shape: tuple[int, ...], output_size: Sequence[int]) -> tuple[int, int]:
        """The output_padding giving ``output_size`` ((H, W), or a shape ending in them), as PyTorch's."""
        wanted = [int(v) for v in output_size][-2:]
        if len(list(output_size)) not in (2, len(shape)) or len(shape) not in (3, 4):
            raise ValueError(
                f"ConvTranspose2d: output_size must be (H, W) or the full output shape, got {tuple(output_size)} "
                f"for an input of shape {shape}"
            )
        extras = []
        for a in (0, 1):
            smallest = (
                (shape[-2 + a] - 1) * self.stride[a]
                - 2 * self.padding[a]
                + self.dilation[a] * (self.kernel_size[a] - 1)
                + 1
            )
            largest = smallest + self.stride[a] - 1
            if not smallest <= wanted[a] <= largest:
                raise ValueError(
                    f"ConvTranspose2d({self.extra_repr()}): output_size {tuple(wanted)} cannot come from an input "
                    f"of shape {shape}: axis {a} can be {smallest} to {largest}; ask for a size in that range"
                )
            extras.append(wanted[a] - smallest)
        return extras[0], extras[1]

    def forward(self, x: TensorLike, output_size: Sequence[int] | None = None) -> Tensor:
        shape = np.shape(x.data if isinstance(x, Tensor) else x)
        if len(shape) in (3, 4) and shape[-3] != self.in_channels:
            raise ValueError(
                f"ConvTranspose2d({self.extra_repr()}): input of shape {tuple(shape)} has {shape[-3]} channels "
                f"(axis -3), expected {self.in_channels}; give (N, {self.in_channels}, H, W)"
            )
        extras = self.output_padding if output_size is None else self._output_padding(tuple(shape), output_size)
        return conv_transpose2d(
            x, self.weight, self.bias, self.stride, self.padding, extras, self.groups, self.dilation
        )

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.output_padding != (0, 0):
            text += f", output_padding={self.output_padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        return text + ("" if self.bias is not None else ", bias=False")

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them; the weights load after)."""
        return {
            "in_channels": self.in_channels,
            "out_channels": self.out_channels,
            "kernel_size": list(self.kernel_size),
            "stride": list(self.stride),
            "padding": list(self.padding),
            "output_padding": list(self.output_padding),
            "groups": self.groups,
            "bias": self.bias is not None,
            "dilation": list(self.dilation),
            "padding_mode": self.padding_mode,
            "dtype": self.weight.dtype.name,
        }
