"""Convolution layers as PyTorch names them: ``Conv2d``, ``Conv3d`` (one class over the spatial axes),
``Unfold``, ``Fold`` (the pools, once here, are ``nn/pool_layers.py``).
Each calls its functional form (``nn/conv_nd.py``: composed on im2col, no backward of its own);
``config()`` gives the constructor's arguments, so ``nn.save`` / ``nn.load`` rebuild a model holding them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd_core import Tensor, as_tensor
from autograd_core.types import DTypeLike, TensorLike
from autograd_core.windows import IntPair, window_pair

from . import functional as F
from . import init as nn_init
from .checks import positive_int
from .conv import Padding
from .conv_nd import convolution
from .init import GeneratorLike
from .module import Module
from .pool_layers import AvgPool2d, MaxPool2d  # noqa: F401  (re-exported: their home before MaxPool3d)
from .windows_nd import AXES, NOUNS, conv_padding, sizes

#: Conv2d's padding modes, as PyTorch's, each with the np.pad mode that maps an axis's indices the same way
_PADDING_MODES: dict[str, Any] = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _pad_images(x: Tensor, pads: tuple, mode: str, owner: str) -> Tensor:
    """x padded on its last len(pads) axes by (before, after) each with reflected, repeated or wrapped values:
    an index gather per axis (the getitem's gradient adds back what each position lent)."""
    for axis, (before, after) in zip(range(-len(pads), 0), pads):
        size = x.shape[axis]
        # what PyTorch allows: one reflection (no edge pixel twice), one wrap, any repeat of a pixel
        limit = {"reflect": size - 1, "circular": size}.get(mode, before + after if size else 0)
        if not (before or after):
            continue
        if max(before, after) > limit:
            raise ValueError(
                f"{owner}: padding_mode={mode!r} pads {max(before, after)} on an axis of {size} (input shape "
                f"{x.shape}); it allows at most {limit}: use a smaller padding or padding_mode='zeros'"
            )
        index = np.pad(np.arange(size), (before, after), mode=_PADDING_MODES[mode])
        x = x[(Ellipsis, index) + (slice(None),) * (-1 - axis)]
    return x


class ConvNd(Module):
    """The convolution layer over ``nd`` spatial axes (Conv2d, Conv3d): weight (out_channels, in_channels /
    groups, *kernel) and bias (out_channels,), both drawn as PyTorch's: U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
    fan_in = in_channels / groups * prod(kernel) (kaiming_uniform with a = sqrt(5)). ``padding`` is an int,
    one per axis, "same" or "valid", filled as ``padding_mode`` says: "zeros", "reflect", "replicate" or
    "circular" (PyTorch's); ``seed`` an int, a Generator or None (nn.init's default generator)."""

    nd = 2

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntPair | tuple[int, ...],
        stride: IntPair | tuple[int, ...] = 1,
        padding: Padding | tuple[int, ...] = 0,
        dilation: IntPair | tuple[int, ...] = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        seed: GeneratorLike = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__()
        name, nd = type(self).__name__, self.nd
        self.in_channels = positive_int(name, "in_channels", in_channels)
        self.out_channels = positive_int(name, "out_channels", out_channels)
        self.groups = positive_int(name, "groups", groups)
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise ValueError(
                f"{name}: in_channels ({in_channels}) and out_channels ({out_channels}) must both be divisible by "
                f"groups ({groups})"
            )
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"{name}: padding_mode must be one of {', '.join(map(repr, _PADDING_MODES))}, got {padding_mode!r}"
            )
        self.padding_mode = padding_mode
        self.kernel_size = sizes(name, "kernel_size", kernel_size, nd, 1)
        self.stride = sizes(name, "stride", stride, nd, 1)
        self.dilation = sizes(name, "dilation", dilation, nd, 1)
        conv_padding(f"conv{nd}d", padding, self.kernel_size, self.dilation, self.stride)  # checked now, not later
        self.padding: str | tuple[int, ...] = (
            padding if isinstance(padding, str) else sizes(name, "padding", padding, nd, 0)
        )
        shape = (self.out_channels, self.in_channels // self.groups) + self.kernel_size
        self.weight, self.bias = nn_init.conv_parameters(name, shape, self.out_channels, bias, seed, dtype)

    def forward(self, x: TensorLike) -> Tensor:
        channels, nd, op = np.shape(x.data if isinstance(x, Tensor) else x), self.nd, f"conv{self.nd}d"
        if len(channels) in (nd + 1, nd + 2) and channels[-nd - 1] != self.in_channels:
            axes = ", ".join(AXES[nd])
            raise ValueError(
                f"{type(self).__name__}({self.extra_repr()}): input of shape {tuple(channels)} has "
                f"{channels[-nd - 1]} channels (axis {-nd - 1}), expected {self.in_channels}; give (N, "
                f"{self.in_channels}, {axes})"
                + (
                    f" (an (N, {axes}) batch of one-channel {NOUNS[nd]} needs x[:, None])"
                    if self.in_channels == 1
                    else ""
                )
            )
        if self.padding_mode == "zeros" or len(channels) not in (nd + 1, nd + 2):  # (a wrong rank: refused by name)
            return convolution(op, nd, x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)
        pads = conv_padding(op, self.padding, self.kernel_size, self.dilation, self.stride)
        padded = _pad_images(as_tensor(x), pads, self.padding_mode, f"{type(self).__name__}({self.extra_repr()})")
        return convolution(op, nd, padded, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * self.nd:
            text += f", padding={self.padding!r}" if isinstance(self.padding, str) else f", padding={self.padding}"
        if self.dilation != (1,) * self.nd:
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        text += "" if self.bias is not None else ", bias=False"
        return text + (f", padding_mode={self.padding_mode}" if self.padding_mode != "zeros" else "")

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them; the weights load after)."""
        return {
            "in_channels": self.in_channels,
            "out_channels": self.out_channels,
            "kernel_size": list(self.kernel_size),
            "stride": list(self.stride),
            "padding": self.padding if isinstance(self.padding, str) else list(self.padding),
            "dilation": list(self.dilation),
            "groups": self.groups,
            "bias": self.bias is not None,
            "padding_mode": self.padding_mode,
            "dtype": self.weight.dtype.name,
        }


class Conv2d(ConvNd):
    """A 2-d convolution over (N, C, H, W) images, as PyTorch's ``nn.Conv2d``: ``F.conv2d(x, weight, bias,
    ...)`` with weight (out_channels, in_channels / groups, kh, kw) and bias (out_channels,), both drawn
    as PyTorch's: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = in_channels / groups * kh * kw (kaiming_uniform
    with a = sqrt(5)). ``padding`` is an int, a pair, "same" or "valid", filled as ``padding_mode`` says:
    "zeros", "reflect", "replicate" or "circular" (PyTorch's); ``seed`` an int, a Generator or None
    (nn.init's default generator).

    >>> layer = Conv2d(1, 4, 3, padding=1, seed=0)
    >>> layer(np.ones((2, 1, 8, 8))).shape
    (2, 4, 8, 8)
    """

    nd = 2


class Conv3d(ConvNd):
    """A 3-d convolution over (N, C, D, H, W) volumes (video clips, CT scans), as PyTorch's ``nn.Conv3d``:
    ``F.conv3d`` with weight (out_channels, in_channels / groups, kd, kh, kw); otherwise as ``Conv2d``
    (padding modes included).

    >>> Conv3d(2, 4, 3, padding="same", seed=0)(np.ones((1, 2, 4, 5, 6))).shape
    (1, 4, 4, 5, 6)
    """

    nd = 3


class Unfold(Module):
    """The sliding blocks as columns, (N, C*kh*kw, L): ``F.unfold`` (im2col).

    >>> Unfold(2)(np.ones((2, 3, 4, 4))).shape
    (2, 12, 9)
    """

    def __init__(self, kernel_size: IntPair, dilation: IntPair = 1, padding: IntPair = 0, stride: IntPair = 1) -> None:
        super().__init__()
        self.kernel_size = window_pair("Unfold", "kernel_size", kernel_size, 1)
        self.dilation = window_pair("Unfold", "dilation", dilation, 1)
        self.padding = window_pair("Unfold", "padding", padding, 0)
        self.stride = window_pair("Unfold", "stride", stride, 1)

    def forward(self, x: TensorLike) -> Tensor:
        return F.unfold(x, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, dilation={self.dilation}, padding={self.padding}, stride={self.stride}"

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        return {
            "kernel_size": list(self.kernel_size),
            "dilation": list(self.dilation),
            "padding": list(self.padding),
            "stride": list(self.stride),
        }


class Fold(Module):
    """Columns (N, C*kh*kw, L) summed back into (N, C, H, W) images of ``output_size``: ``F.fold`` (col2im),
    the inverse pair of ``Unfold``.

    >>> Fold(4, 2)(np.ones((2, 12, 9))).shape
    (2, 3, 4, 4)
    """

    def __init__(
        self,
        output_size: IntPair,
        kernel_size: IntPair,
        dilation: IntPair = 1,
        padding: IntPair = 0,
        stride: IntPair = 1,
    ) -> None:
        super().__init__()
        self.output_size = window_pair("Fold", "output_size", output_size, 1)
        self.kernel_size = window_pair("Fold", "kernel_size", kernel_size, 1)
        self.dilation = window_pair("Fold", "dilation", dilation, 1)
        self.padding = window_pair("Fold", "padding", padding, 0)
        self.stride = window_pair("Fold", "stride", stride, 1)

    def forward(self, x: TensorLike) -> Tensor:
        return F.fold(x, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        sizes = f"output_size={self.output_size}, kernel_size={self.kernel_size}, dilation={self.dilation}"
        return f"{sizes}, padding={self.padding}, stride={self.stride}"

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        return {
            "output_size": list(self.output_size),
            "kernel_size": list(self.kernel_size),
            "dilation": list(self.dilation),
            "padding": list(self.padding),
            "stride": list(self.stride),
        }
