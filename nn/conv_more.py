"""The layers around a CNN's convolutions, as PyTorch names them: ``Conv1d``, with its ``nn.functional`` form,
composed from ``nn/conv.py``'s functions and Tensor ops: no backward here. (Adaptive pooling, once here, is
``nn/pool_adaptive.py``, 1-d to 3-d; the padding layers are ``nn/padding.py``'s.)
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.types import DTypeLike, TensorLike

from . import init as nn_init
from .conv import conv2d
from .init import GeneratorLike
from .module import Module
from .pool_adaptive import (  # noqa: F401  (re-exported: their home before the 1-d and 3-d forms)
    AdaptiveAvgPool2d,
    AdaptiveMaxPool2d,
    adaptive_avg_pool2d,
    adaptive_max_pool2d,
)


# ---------------------------------------------------------------------------------- Conv1d
def _single(op: str, name: str, value: object, minimum: int) -> int:
    """An int, or a 1-tuple of one (PyTorch's spelling), at least ``minimum``."""
    single = value[0] if isinstance(value, (tuple, list)) and len(value) == 1 else value
    if not isinstance(single, numbers.Integral) or isinstance(single, bool) or single < minimum:
        raise ValueError(f"{op}: {name} must be an int >= {minimum} (or a 1-tuple of one), got {value!r}")
    return int(single)


def _conv1d(op: str, input: TensorLike, weight: TensorLike, bias, stride, padding, dilation, groups) -> Tensor:
    x, w = ag.as_tensor(input), ag.as_tensor(weight)
    if x.ndim not in (2, 3):
        raise ValueError(
            f"{op}: expected a 3-d (N, C, L) input or a 2-d (C, L) one, got shape {x.shape}; "
            "an (N, L) batch of one-channel signals needs its channel axis: x[:, None]"
        )
    if w.ndim != 3:
        raise ValueError(f"{op}: the weight must be 3-d (out_channels, in_channels / groups, k), got shape {w.shape}")
    groups = _single(op, "groups", groups, 1)
    channels = x.shape[-2]
    if channels != w.shape[1] * groups or w.shape[0] % groups:
        raise ValueError(
            f"{op}: a weight of shape {w.shape} with groups={groups} expects {w.shape[1] * groups} input channels "
            f"(axis -2; and out_channels divisible by groups), the input of shape {x.shape} has {channels}"
        )
    if bias is not None and ag.as_tensor(bias).shape != (w.shape[0],):
        raise ValueError(f"{op}: the bias must have shape ({w.shape[0]},), got {ag.as_tensor(bias).shape}")
    s, d = _single(op, "stride", stride, 1), _single(op, "dilation", dilation, 1)
    p = padding if isinstance(padding, str) else _single(op, "padding", padding, 0)
    if isinstance(p, str) and (p not in ("same", "valid") or (p == "same" and s != 1)):
        raise ValueError(f"{op}: padding must be an int, 'valid', or 'same' (with stride 1), got {padding!r}")
    span = d * (w.shape[2] - 1) + 1
    if p != "same" and span > x.shape[-1] + 2 * (0 if p == "valid" else int(p)):
        raise ValueError(
            f"{op}: the kernel of size {w.shape[2]} (dilation {d}) spans {span}, longer than the padded input "
            f"(input shape {x.shape}, padding {padding!r}); use a smaller kernel or dilation, or more padding"
        )
    as_2d = conv2d(  # a row of height 1: (N, C, 1, L) with (out, C / groups, 1, k) filters
        x[..., None, :], w[:, :, None, :], bias, (1, s), p if isinstance(p, str) else (0, p), (1, d), groups
    )
    return as_2d[..., 0, :]


def conv1d(
    input: TensorLike,
    weight: TensorLike,
    bias: TensorLike | None = None,
    stride: int = 1,
    padding: int | str = 0,
    dilation: int = 1,
    groups: int = 1,
) -> Tensor:
    """1-d convolution (cross-correlation), as PyTorch's ``F.conv1d``: input (N, C, L) (or one (C, L)
    signal), weight (out_channels, C / groups, k), bias (out_channels,); ``padding`` an int, "same" or
    "valid". Composed: ``conv2d`` on images one row high.

    >>> conv1d(ag.arange(5.0).reshape(1, 1, 5), ag.ones(1, 1, 2))   # sums of neighbours
    Tensor([[[1., 3., 5., 7.]]])
    """
    return _conv1d("conv1d", input, weight, bias, stride, padding, dilation, groups)


class Conv1d(Module):
    """A 1-d convolution over (N, C, L) signals, as PyTorch's ``nn.Conv1d``: ``F.conv1d(x, weight, bias, ...)``
    with weight (out_channels, in_channels / groups, k) and bias (out_channels,), drawn as PyTorch's:
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = in_channels / groups * k. ``seed`` as Conv2d's.

    >>> Conv1d(2, 4, 3, padding="same", seed=0)(np.ones((5, 2, 10))).shape
    (5, 4, 10)
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int | str = 0,
        dilation: int = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        seed: GeneratorLike = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__()
        owner = "Conv1d"
        self.in_channels = _single(owner, "in_channels", in_channels, 1)
        self.out_channels = _single(owner, "out_channels", out_channels, 1)
        self.groups = _single(owner, "groups", groups, 1)
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise ValueError(
                f"Conv1d: in_channels ({in_channels}) and out_channels ({out_channels}) must both be divisible by "
                f"groups ({groups})"
            )
        if padding_mode != "zeros":
            raise ValueError(f"Conv1d: only padding_mode='zeros' is supported, got {padding_mode!r}")
        self.kernel_size = _single(owner, "kernel_size", kernel_size, 1)
        self.stride = _single(owner, "stride", stride, 1)
        self.dilation = _single(owner, "dilation", dilation, 1)
        if isinstance(padding, str) and (padding not in ("same", "valid") or (padding == "same" and self.stride != 1)):
            raise ValueError(f"Conv1d: padding must be an int, 'valid', or 'same' (with stride 1), got {padding!r}")
        self.padding: int | str = padding if isinstance(padding, str) else _single(owner, "padding", padding, 0)
        shape = (self.out_channels, self.in_channels // self.groups, self.kernel_size)
        self.weight, self.bias = nn_init.conv_parameters("Conv1d", shape, self.out_channels, bias, seed, dtype)

    def forward(self, x: TensorLike) -> Tensor:
        return _conv1d(
            f"Conv1d({self.extra_repr()})",
            x,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            self.dilation,
            self.groups,
        )

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size=({self.kernel_size},), stride=({self.stride},)"
        if self.padding != 0:
            text += f", padding={self.padding!r}" if isinstance(self.padding, str) else f", padding=({self.padding},)"
        if self.dilation != 1:
            text += f", dilation=({self.dilation},)"
        if self.groups != 1:
            text += f", groups={self.groups}"
        return text + ("" if self.bias is not None else ", bias=False")

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them; the weights load after)."""
        return {
            "in_channels": self.in_channels,
            "out_channels": self.out_channels,
            "kernel_size": self.kernel_size,
            "stride": self.stride,
            "padding": self.padding,
            "dilation": self.dilation,
            "groups": self.groups,
            "bias": self.bias is not None,
            "dtype": self.weight.dtype.name,
        }
