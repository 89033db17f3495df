"""The transposed convolutions (``F.conv_transpose1d`` .. ``3d``, ``nn.ConvTranspose1d`` .. ``3d``), as
PyTorch's: the upsampling layer of autoencoders' decoders and GAN generators. Composed, no backward here
(``conv_nd.transposed_convolution``): the convolution's adjoint, so where that is im2col then a matmul, this
is the transposed matmul then col2im, each input position spreading its weighted kernel over the output,
overlapping windows adding up.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from autograd_core import Tensor
from autograd_core.types import DTypeLike, TensorLike
from autograd_core.windows import IntPair

from . import init as nn_init
from .checks import positive_int
from .conv_nd import transposed_convolution, transposed_geometry
from .init import GeneratorLike
from .module import Module
from .windows_nd import AXES, sizes


def conv_transpose1d(
    input: TensorLike,
    weight: TensorLike,
    bias: TensorLike | None = None,
    stride: int | tuple[int] = 1,
    padding: int | tuple[int] = 0,
    output_padding: int | tuple[int] = 0,
    groups: int = 1,
    dilation: int | tuple[int] = 1,
) -> Tensor:
    """1-d transposed convolution, as PyTorch's ``F.conv_transpose1d``: input (N, C_in, L) (or one (C_in, L)
    signal), weight (C_in, C_out / groups, k), bias (C_out,); conv1d's adjoint, the output (L - 1) stride -
    2 padding + dilation (k - 1) + output_padding + 1 long. As ``conv_transpose2d``, one axis.

    >>> conv_transpose1d(ag.ones(1, 1, 3), ag.ones(1, 1, 2), stride=2)     # stamps side by side
    Tensor([[[1., 1., 1., 1., 1., 1.]]])
    """
    return transposed_convolution(
        "conv_transpose1d", 1, input, weight, bias, stride, padding, output_padding, groups, dilation
    )


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
    return transposed_convolution(
        "conv_transpose2d", 2, input, weight, bias, stride, padding, output_padding, groups, dilation
    )


def conv_transpose3d(
    input: TensorLike,
    weight: TensorLike,
    bias: TensorLike | None = None,
    stride: int | tuple[int, int, int] = 1,
    padding: int | tuple[int, int, int] = 0,
    output_padding: int | tuple[int, int, int] = 0,
    groups: int = 1,
    dilation: int | tuple[int, int, int] = 1,
) -> Tensor:
    """3-d transposed convolution, as PyTorch's ``F.conv_transpose3d``: input (N, C_in, D, H, W) (or one
    (C_in, D, H, W) volume), weight (C_in, C_out / groups, kd, kh, kw), bias (C_out,); conv3d's adjoint,
    each axis as ``conv_transpose2d``'s.

    >>> conv_transpose3d(ag.ones(1, 1, 2, 2, 2), ag.ones(1, 1, 2, 2, 2), stride=2).shape
    (1, 1, 4, 4, 4)
    """
    return transposed_convolution(
        "conv_transpose3d", 3, input, weight, bias, stride, padding, output_padding, groups, dilation
    )


class ConvTransposeNd(Module):
    """The transposed convolution layer over ``nd`` spatial axes (ConvTranspose1d, 2d, 3d): weight (in_channels,
    out_channels / groups, *kernel) and bias (out_channels,), drawn as PyTorch's: U(-1/sqrt(fan_in),
    1/sqrt(fan_in)), fan_in = out_channels / groups * prod(kernel) (so a torch state_dict loads as is).
    ``forward(x, output_size)`` picks the output_padding giving that size, as PyTorch's. Only
    ``padding_mode="zeros"`` (PyTorch's only one here); ``seed`` an int, a Generator or None."""

    nd = 2

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntPair | tuple[int, ...],
        stride: IntPair | tuple[int, ...] = 1,
        padding: IntPair | tuple[int, ...] = 0,
        output_padding: IntPair | tuple[int, ...] = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: IntPair | tuple[int, ...] = 1,
        padding_mode: str = "zeros",
        seed: GeneratorLike = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__()
        op = type(self).__name__
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
        self.kernel_size = sizes(op, "kernel_size", kernel_size, self.nd, 1)
        self.stride, self.padding, self.output_padding, self.dilation = transposed_geometry(
            op, self.nd, stride, padding, output_padding, dilation
        )
        shape = (self.in_channels, self.out_channels // self.groups) + self.kernel_size  # torch's layout
        self.weight, self.bias = nn_init.conv_parameters(op, shape, self.out_channels, bias, seed, dtype)

    def _output_padding(self, shape: tuple[int, ...], output_size: Sequence[int]) -> tuple[int, ...]:
        """The output_padding giving ``output_size`` (the spatial sizes, or a shape ending in them), as PyTorch's."""
        nd, name = self.nd, type(self).__name__
        wanted = [int(v) for v in output_size][-nd:]
        if len(list(output_size)) not in (nd, len(shape)) or len(shape) not in (nd + 1, nd + 2):
            raise ValueError(
                f"{name}: output_size must be ({', '.join(AXES[nd])}) or the full output shape, got "
                f"{tuple(output_size)} for an input of shape {shape}"
            )
        extras = []
        for a in range(nd):
            smallest = (
                (shape[-nd + a] - 1) * self.stride[a]
                - 2 * self.padding[a]
                + self.dilation[a] * (self.kernel_size[a] - 1)
                + 1
            )
            largest = smallest + self.stride[a] - 1
            if not smallest <= wanted[a] <= largest:
                raise ValueError(
                    f"{name}({self.extra_repr()}): output_size {tuple(wanted)} cannot come from an input "
                    f"of shape {shape}: axis {a} can be {smallest} to {largest}; ask for a size in that range"
                )
            extras.append(wanted[a] - smallest)
        return tuple(extras)

    def forward(self, x: TensorLike, output_size: Sequence[int] | None = None) -> Tensor:
        shape, nd = np.shape(x.data if isinstance(x, Tensor) else x), self.nd
        if len(shape) in (nd + 1, nd + 2) and shape[-nd - 1] != self.in_channels:
            raise ValueError(
                f"{type(self).__name__}({self.extra_repr()}): input of shape {tuple(shape)} has {shape[-nd - 1]} "
                f"channels (axis {-nd - 1}), expected {self.in_channels}; give (N, {self.in_channels}, "
                f"{', '.join(AXES[nd])})"
            )
        extras = self.output_padding if output_size is None else self._output_padding(tuple(shape), output_size)
        return transposed_convolution(
            f"conv_transpose{nd}d",
            nd,
            x,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            extras,
            self.groups,
            self.dilation,
        )

    def extra_repr(self) -> str:
        zeros, ones = (0,) * self.nd, (1,) * self.nd
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != zeros:
            text += f", padding={self.padding}"
        if self.output_padding != zeros:
            text += f", output_padding={self.output_padding}"
        if self.dilation != ones:
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


class ConvTranspose1d(ConvTransposeNd):
    """A 1-d transposed convolution over (N, C, L) signals, as PyTorch's ``nn.ConvTranspose1d``: weight
    (in_channels, out_channels / groups, k); otherwise as ``ConvTranspose2d``.

    >>> ConvTranspose1d(4, 2, 4, stride=2, padding=1, seed=0)(np.ones((3, 4, 5))).shape   # doubles the length
    (3, 2, 10)
    """

    nd = 1


class ConvTranspose2d(ConvTransposeNd):
    """A 2-d transposed convolution, as PyTorch's ``nn.ConvTranspose2d``: ``F.conv_transpose2d(x, weight,
    bias, ...)`` with weight (in_channels, out_channels / groups, kh, kw) and bias (out_channels,), drawn as
    PyTorch's: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = out_channels / groups * kh * kw (so a torch
    state_dict loads as is). ``forward(x, output_size)`` picks the output_padding giving that (H, W), as
    PyTorch's. Only ``padding_mode="zeros"`` (PyTorch's only one here); ``seed`` an int, a Generator or None.

    >>> up = ConvTranspose2d(8, 4, 4, stride=2, padding=1, seed=0)    # doubles the height and width
    >>> up(np.ones((2, 8, 5, 5))).shape
    (2, 4, 10, 10)
    """

    nd = 2


class ConvTranspose3d(ConvTransposeNd):
    """A 3-d transposed convolution over (N, C, D, H, W) volumes, as PyTorch's ``nn.ConvTranspose3d``: weight
    (in_channels, out_channels / groups, kd, kh, kw); otherwise as ``ConvTranspose2d``.

    >>> ConvTranspose3d(4, 2, 2, stride=2, seed=0)(np.ones((1, 4, 2, 3, 4))).shape
    (1, 2, 4, 6, 8)
    """

    nd = 3
