"""Adaptive pooling as PyTorch names it, 1-d to 3-d: ``F.adaptive_avg_pool1d`` .. ``3d``,
``F.adaptive_max_pool1d`` .. ``3d`` (and their ``_with_indices`` forms) and the layers ``AdaptiveAvgPool1d`` ..
``AdaptiveMaxPool3d``: each ``pool_nd.adaptive_pool`` with the axes fixed (composed, no backward here).

Adaptive pooling fixes the output's size instead of the window's: output row i averages (or takes the
max of) input rows floor(i H / out) to ceil((i + 1) H / out), PyTorch's rule, so windows may differ in
size by one and overlap. When out divides H (and W) they are the plain pooling's windows.
"""

from __future__ import annotations

from typing import Any

from autograd_core import Tensor
from autograd_core.types import TensorLike

from .module import Module
from .pool_nd import OutputSize, adaptive_pool, adaptive_sizes


def adaptive_avg_pool1d(input: TensorLike, output_size: OutputSize) -> Tensor:
    """The mean of each of ``output_size`` adaptive windows along the last axis of (N, C, L) signals, as
    PyTorch's ``F.adaptive_avg_pool1d``.

    >>> adaptive_avg_pool1d(ag.arange(5.0).reshape(1, 1, 5), 2)     # windows [0, 3) and [2, 5)
    Tensor([[[1., 3.]]])
    """
    return adaptive_pool("adaptive_avg_pool1d", 1, input, output_size, "mean")


def adaptive_avg_pool2d(input: TensorLike, output_size: OutputSize) -> Tensor:
    """The mean of each of out_h x out_w adaptive windows of (N, C, H, W) images, as PyTorch's
    ``F.adaptive_avg_pool2d`` (output_size 1: global average pooling, (N, C, 1, 1)).

    >>> adaptive_avg_pool2d(ag.arange(9.0).reshape(1, 1, 3, 3), 2)     # windows of rows 0-1 and 1-2
    Tensor([[[[2., 3.],
              [5., 6.]]]])
    """
    return adaptive_pool("adaptive_avg_pool2d", 2, input, output_size, "mean")


def adaptive_avg_pool3d(input: TensorLike, output_size: OutputSize) -> Tensor:
    """The mean of each of out_d x out_h x out_w adaptive windows of (N, C, D, H, W) volumes, as PyTorch's
    ``F.adaptive_avg_pool3d``.

    >>> adaptive_avg_pool3d(ag.ones(2, 3, 4, 5, 6), (1, None, 2)).shape
    (2, 3, 1, 5, 2)
    """
    return adaptive_pool("adaptive_avg_pool3d", 3, input, output_size, "mean")


def adaptive_max_pool1d(input: TensorLike, output_size: OutputSize, return_indices: bool = False) -> Any:
    """The max of each adaptive window along the last axis, as PyTorch's ``F.adaptive_max_pool1d`` (tied
    maxima share the gradient; ``return_indices`` also gives each max's position, the first one).

    >>> adaptive_max_pool1d(Tensor([[[1.0, 5.0, 2.0, 4.0]]]), 2, return_indices=True)
    (Tensor([[[5., 4.]]]), Tensor([[[1, 3]]], dtype=int64))
    """
    return adaptive_pool("adaptive_max_pool1d", 1, input, output_size, "max", return_indices)


def adaptive_max_pool2d(input: TensorLike, output_size: OutputSize, return_indices: bool = False) -> Any:
    """The max of each of out_h x out_w adaptive windows, as PyTorch's ``F.adaptive_max_pool2d`` (tied
    maxima share the gradient, as ``max_pool2d``'s; ``return_indices`` also gives each max's h * W + w).

    >>> adaptive_max_pool2d(ag.arange(9.0).reshape(1, 1, 3, 3), (1, None))    # each column's max
    Tensor([[[[6., 7., 8.]]]])
    """
    return adaptive_pool("adaptive_max_pool2d", 2, input, output_size, "max", return_indices)


def adaptive_max_pool3d(input: TensorLike, output_size: OutputSize, return_indices: bool = False) -> Any:
    """The max of each adaptive window of (N, C, D, H, W) volumes, as PyTorch's ``F.adaptive_max_pool3d``
    (``return_indices``: each max's d * H * W + h * W + w).

    >>> adaptive_max_pool3d(ag.arange(8.0).reshape(1, 1, 2, 2, 2), 1, return_indices=True)
    (Tensor([[[[[7.]]]]]), Tensor([[[[[7]]]]], dtype=int64))
    """
    return adaptive_pool("adaptive_max_pool3d", 3, input, output_size, "max", return_indices)


def adaptive_max_pool1d_with_indices(input: TensorLike, output_size: OutputSize, return_indices: bool = True) -> Any:
    """``adaptive_max_pool1d(..., return_indices=True)``: the maxima and their positions, PyTorch's spelling.

    >>> adaptive_max_pool1d_with_indices(Tensor([[[1.0, 5.0]]]), 1)[1]
    Tensor([[[1]]], dtype=int64)
    """
    return adaptive_pool("adaptive_max_pool1d_with_indices", 1, input, output_size, "max", return_indices)


def adaptive_max_pool2d_with_indices(input: TensorLike, output_size: OutputSize, return_indices: bool = True) -> Any:
    """``adaptive_max_pool2d(..., return_indices=True)``, PyTorch's spelling.

    >>> adaptive_max_pool2d_with_indices(ag.arange(4.0).reshape(1, 1, 2, 2), 1)[1]
    Tensor([[[[3]]]], dtype=int64)
    """
    return adaptive_pool("adaptive_max_pool2d_with_indices", 2, input, output_size, "max", return_indices)


def adaptive_max_pool3d_with_indices(input: TensorLike, output_size: OutputSize, return_indices: bool = True) -> Any:
    """``adaptive_max_pool3d(..., return_indices=True)``, PyTorch's spelling.

    >>> adaptive_max_pool3d_with_indices(ag.arange(8.0).reshape(1, 1, 2, 2, 2), 1)[1]
    Tensor([[[[[7]]]]], dtype=int64)
    """
    return adaptive_pool("adaptive_max_pool3d_with_indices", 3, input, output_size, "max", return_indices)


class AdaptivePoolNd(Module):
    """An adaptive pool over ``nd`` spatial axes: the mean (or, ``_reduce = "max"``, the max) of each adaptive
    window, the output's spatial size fixed by ``output_size``."""

    nd, _reduce = 2, "mean"

    def __init__(self, output_size: OutputSize, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size = adaptive_sizes(type(self).__name__, output_size, self.nd)
        self.return_indices = bool(return_indices)

    def forward(self, x: TensorLike) -> Any:
        return adaptive_pool(type(self).__name__, self.nd, x, self.output_size, self._reduce, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size[0] if self.nd == 1 else self.output_size}"

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        return {"output_size": list(self.output_size)}


class _AdaptiveMaxPoolNd(AdaptivePoolNd):
    _reduce = "max"

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        return {"output_size": list(self.output_size), "return_indices": self.return_indices}


class AdaptiveAvgPool1d(AdaptivePoolNd):
    """The mean of ``output_size`` adaptive windows along the last axis of (N, C, L) signals:
    ``F.adaptive_avg_pool1d``.

    >>> AdaptiveAvgPool1d(1)(np.ones((2, 3, 7))).shape
    (2, 3, 1)
    """

    nd = 1

    def __init__(self, output_size: OutputSize) -> None:
        super().__init__(output_size)


class AdaptiveAvgPool2d(AdaptivePoolNd):
    """The mean of out_h x out_w adaptive windows: ``F.adaptive_avg_pool2d``. ``AdaptiveAvgPool2d(1)``
    ends many CNNs: one average per channel, whatever the image size.

    >>> AdaptiveAvgPool2d(1)(np.ones((2, 3, 5, 7))).shape
    (2, 3, 1, 1)
    """

    nd = 2

    def __init__(self, output_size: OutputSize) -> None:
        super().__init__(output_size)


class AdaptiveAvgPool3d(AdaptivePoolNd):
    """The mean of out_d x out_h x out_w adaptive windows of volumes: ``F.adaptive_avg_pool3d``.

    >>> AdaptiveAvgPool3d(1)(np.ones((2, 3, 4, 5, 7))).shape
    (2, 3, 1, 1, 1)
    """

    nd = 3

    def __init__(self, output_size: OutputSize) -> None:
        super().__init__(output_size)


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """The max of ``output_size`` adaptive windows along the last axis: ``F.adaptive_max_pool1d``.

    >>> AdaptiveMaxPool1d(2)(Tensor([[[1.0, 5.0, 2.0, 4.0]]]))
    Tensor([[[5., 4.]]])
    """

    nd = 1


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """The max of out_h x out_w adaptive windows: ``F.adaptive_max_pool2d``.

    >>> AdaptiveMaxPool2d((2, None))(np.arange(12.0).reshape(1, 1, 3, 4))
    Tensor([[[[ 4.,  5.,  6.,  7.],
              [ 8.,  9., 10., 11.]]]])
    """

    nd = 2


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    """The max of out_d x out_h x out_w adaptive windows of volumes: ``F.adaptive_max_pool3d``.

    >>> AdaptiveMaxPool3d(1, return_indices=True)(np.arange(8.0).reshape(1, 1, 2, 2, 2))[1]
    Tensor([[[[[7]]]]], dtype=int64)
    """

    nd = 3
