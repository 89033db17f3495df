"""Pooling along one axis, as PyTorch names it: ``F.max_pool1d``, ``F.avg_pool1d`` and the layers
``MaxPool1d``, ``AvgPool1d``, over (N, C, L) signals (or one (C, L) signal). Composed as ``conv1d`` is: the
2-d pools on images one row high, so ties share a window's gradient evenly (the kink rule) and there is no
backward here. A text CNN's max over time (Kim 2014; minitorch's sentiment task) is
``F.max_pool1d(x, x.shape[-1])``.
"""

from __future__ import annotations

from typing import Any

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.types import TensorLike

from .conv import avg_pool2d, max_pool2d
from .conv_more import _single
from .module import Module


def _signals(op: str, input: TensorLike, kernel_size, stride, padding, dilation) -> tuple[Tensor, int, int, int, int]:
    """The input as (N, C, 1, L) rows and the checked kernel, stride, padding and dilation (ints), so an error
    names the 1-d op and its own arguments, not the 2-d pool underneath."""
    x = ag.as_tensor(input)
    if x.ndim not in (2, 3):
        raise ValueError(
            f"{op}: expected a 3-d (N, C, L) input or a 2-d (C, L) one, got shape {x.shape}; "
            "an (N, L) batch of one-channel signals needs its channel axis: x[:, None]"
        )
    k = _single(op, "kernel_size", kernel_size, 1)
    empty = stride is None or (isinstance(stride, (tuple, list)) and not stride)
    s = k if empty else _single(op, "stride", stride, 1)
    p, d = _single(op, "padding", padding, 0), _single(op, "dilation", dilation, 1)
    if p > k // 2:
        raise ValueError(f"{op}: padding must be at most half the kernel size (as PyTorch), got {p} for kernel {k}")
    span = d * (k - 1) + 1
    if span > x.shape[-1] + 2 * p:
        raise ValueError(
            f"{op}: the kernel of size {k} (dilation {d}) spans {span}, longer than the padded input "
            f"(input shape {x.shape}, padding {p}); use a smaller kernel or dilation, or more padding"
        )
    return x[..., None, :], k, s, p, d


def max_pool1d(
    input: TensorLike,
    kernel_size: int,
    stride: int | None = None,
    padding: int = 0,
    dilation: int = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """The max of each window of ``kernel_size`` along the last axis, as PyTorch's ``F.max_pool1d`` (stride
    defaults to the kernel; padding counts as -inf; ``return_indices`` also gives each max's position).

    >>> max_pool1d(Tensor([[[1.0, 5.0, 2.0, 0.0, 4.0]]]), 2)
    Tensor([[[5., 2.]]])
    """
    rows, k, s, p, d = _signals("max_pool1d", input, kernel_size, stride, padding, dilation)
    out = max_pool2d(rows, (1, k), (1, s), (0, p), (1, d), ceil_mode, return_indices)
    if isinstance(out, tuple):  # positions within a row of height 1 are the positions along L
        return out[0][..., 0, :], out[1][..., 0, :]
    return out[..., 0, :]


def avg_pool1d(
    input: TensorLike,
    kernel_size: int,
    stride: int | None = None,
    padding: int = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """The mean of each window of ``kernel_size`` along the last axis, as PyTorch's ``F.avg_pool1d`` (stride
    defaults to the kernel; padding counts as 0, and in the count unless ``count_include_pad=False``).

    >>> avg_pool1d(Tensor([[[1.0, 5.0, 2.0, 0.0, 4.0]]]), 2)
    Tensor([[[3., 1.]]])
    """
    rows, k, s, p, _ = _signals("avg_pool1d", input, kernel_size, stride, padding, 1)
    return avg_pool2d(rows, (1, k), (1, s), (0, p), ceil_mode, count_include_pad)[..., 0, :]


class MaxPool1d(Module):
    """The max of each window along the last axis of (N, C, L) signals: ``F.max_pool1d``.

    >>> MaxPool1d(3, stride=1)(Tensor([[[1.0, 5.0, 2.0, 0.0]]]))
    Tensor([[[5., 5.]]])
    """

    def __init__(
        self,
        kernel_size: int,
        stride: int | None = None,
        padding: int = 0,
        dilation: int = 1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        self.kernel_size = _single("MaxPool1d", "kernel_size", kernel_size, 1)
        self.stride = self.kernel_size if stride is None else _single("MaxPool1d", "stride", stride, 1)
        self.padding = _single("MaxPool1d", "padding", padding, 0)
        self.dilation = _single("MaxPool1d", "dilation", dilation, 1)
        self.return_indices, self.ceil_mode = bool(return_indices), bool(ceil_mode)

    def forward(self, x: TensorLike) -> Tensor | tuple[Tensor, Tensor]:
        return max_pool1d(
            x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode, self.return_indices
        )

    def extra_repr(self) -> str:
        text = f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, dilation={self.dilation}"
        return text + f", ceil_mode={self.ceil_mode}"  # (PyTorch's line)

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        return {
            "kernel_size": self.kernel_size,
            "stride": self.stride,
            "padding": self.padding,
            "dilation": self.dilation,
            "return_indices": self.return_indices,
            "ceil_mode": self.ceil_mode,
        }


class AvgPool1d(Module):
    """The mean of each window along the last axis of (N, C, L) signals: ``F.avg_pool1d``.

    >>> AvgPool1d(2)(Tensor([[[1.0, 5.0, 2.0, 0.0]]]))
    Tensor([[[3., 1.]]])
    """

    def __init__(
        self,
        kernel_size: int,
        stride: int | None = None,
        padding: int = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
    ) -> None:
        super().__init__()
        self.kernel_size = _single("AvgPool1d", "kernel_size", kernel_size, 1)
        self.stride = self.kernel_size if stride is None else _single("AvgPool1d", "stride", stride, 1)
        self.padding = _single("AvgPool1d", "padding", padding, 0)
        self.ceil_mode, self.count_include_pad = bool(ceil_mode), bool(count_include_pad)

    def forward(self, x: TensorLike) -> Tensor:
        return avg_pool1d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad)

    def extra_repr(self) -> str:
        text = f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
        return text + (", ceil_mode=True" if self.ceil_mode else "")

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        return {
            "kernel_size": self.kernel_size,
            "stride": self.stride,
            "padding": self.padding,
            "ceil_mode": self.ceil_mode,
            "count_include_pad": self.count_include_pad,
        }
