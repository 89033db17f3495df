"""The pools PyTorch has beyond the 2-d ones, as functions: ``F.max_pool3d``, ``F.avg_pool3d``,
``F.max_pool1d_with_indices`` .. ``3d``, ``F.lp_pool1d`` .. ``3d`` and ``F.max_unpool1d`` / ``3d``; each is
``pool_nd.py``'s one implementation with the axes fixed (composed on ``windows_nd``, no backward here).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from autograd_core import Tensor
from autograd_core.types import TensorLike

from .pool_nd import avg_pool, lp_pool, max_pool, max_unpool

#: a 3-d pool's sizes: an int for all three axes, or a (depth, height, width) triple
Triple = int | tuple[int, int, int]


def max_pool3d(
    input: TensorLike,
    kernel_size: Triple,
    stride: Triple | None = None,
    padding: Triple = 0,
    dilation: Triple = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """The max of each kd x kh x kw window of (N, C, D, H, W) volumes, as PyTorch's ``F.max_pool3d`` (stride
    defaults to the kernel; padding counts as -inf; ``ceil_mode`` as ``max_pool2d``'s; tied maxima share the
    gradient evenly; ``return_indices`` also gives each max's d * H * W + h * W + w).

    >>> max_pool3d(ag.arange(8.0).reshape(1, 1, 2, 2, 2), 2)
    Tensor([[[[[7.]]]]])
    """
    return max_pool("max_pool3d", 3, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def avg_pool3d(
    input: TensorLike,
    kernel_size: Triple,
    stride: Triple | None = None,
    padding: Triple = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """The mean of each kd x kh x kw window, as PyTorch's ``F.avg_pool3d`` (options as ``avg_pool2d``'s).

    >>> avg_pool3d(ag.arange(8.0).reshape(1, 1, 2, 2, 2), 2)
    Tensor([[[[[3.5]]]]])
    """
    return avg_pool(
        "avg_pool3d", 3, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
    )


def max_pool1d_with_indices(
    input: TensorLike,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode=False,
    return_indices=True,
) -> Any:
    """``max_pool1d(..., return_indices=True)``: the maxima and their positions, PyTorch's spelling.

    >>> max_pool1d_with_indices(Tensor([[[1.0, 5.0, 2.0, 0.0]]]), 2)
    (Tensor([[[5., 2.]]]), Tensor([[[1, 2]]], dtype=int64))
    """
    return max_pool(
        "max_pool1d_with_indices", 1, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


def max_pool2d_with_indices(
    input: TensorLike,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode=False,
    return_indices=True,
) -> Any:
    """``max_pool2d(..., return_indices=True)``, PyTorch's spelling.

    >>> max_pool2d_with_indices(ag.arange(4.0).reshape(1, 1, 2, 2), 2)[1]
    Tensor([[[[3]]]], dtype=int64)
    """
    return max_pool(
        "max_pool2d_with_indices", 2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


def max_pool3d_with_indices(
    input: TensorLike,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode=False,
    return_indices=True,
) -> Any:
    """``max_pool3d(..., return_indices=True)``, PyTorch's spelling.

    >>> max_pool3d_with_indices(ag.arange(8.0).reshape(1, 1, 2, 2, 2), 2)[1]
    Tensor([[[[[7]]]]], dtype=int64)
    """
    return max_pool(
        "max_pool3d_with_indices", 3, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


def lp_pool1d(
    input: TensorLike, norm_type: float, kernel_size: int, stride: int | None = None, ceil_mode: bool = False
) -> Tensor:
    """The p-norm of each window along the last axis, (sum x^p)^(1/p), as PyTorch's ``F.lp_pool1d`` (p = 1:
    sum pooling; p -> inf: max pooling).

    >>> lp_pool1d(Tensor([[[3.0, 4.0, 1.0, 1.0]]]), 2, 2)
    Tensor([[[5.    , 1.4142]]])
    """
    return lp_pool("lp_pool1d", 1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(
    input: TensorLike, norm_type: float, kernel_size: Any, stride: Any = None, ceil_mode: bool = False
) -> Tensor:
    """The p-norm of each kh x kw window, as PyTorch's ``F.lp_pool2d``.

    >>> lp_pool2d(ag.ones(1, 1, 2, 2), 2, 2)
    Tensor([[[[2.]]]])
    """
    return lp_pool("lp_pool2d", 2, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(
    input: TensorLike, norm_type: float, kernel_size: Any, stride: Any = None, ceil_mode: bool = False
) -> Tensor:
    """The p-norm of each kd x kh x kw window, as PyTorch's ``F.lp_pool3d``.

    >>> lp_pool3d(ag.ones(1, 1, 2, 2, 2), 1, 2)
    Tensor([[[[[8.]]]]])
    """
    return lp_pool("lp_pool3d", 3, input, norm_type, kernel_size, stride, ceil_mode)


def max_unpool1d(
    input: TensorLike,
    indices: TensorLike,
    kernel_size: int,
    stride: int | None = None,
    padding: int = 0,
    output_size: Sequence[int] | None = None,
) -> Tensor:
    """max_pool1d's partial inverse, as PyTorch's ``F.max_unpool1d``: each value of ``input`` (N, C, L) put at
    its index in zeros of (N, C, L_out), L_out = (L - 1) stride - 2 padding + kernel unless ``output_size`` says.

    >>> y, i = max_pool1d_with_indices(Tensor([[[1.0, 5.0, 2.0, 0.0]]]), 2)
    >>> max_unpool1d(y, i, 2)
    Tensor([[[0., 5., 2., 0.]]])
    """
    return max_unpool("max_unpool1d", 1, input, indices, kernel_size, stride, padding, output_size)


def max_unpool3d(
    input: TensorLike,
    indices: TensorLike,
    kernel_size: Triple,
    stride: Triple | None = None,
    padding: Triple = 0,
    output_size: Sequence[int] | None = None,
) -> Tensor:
    """max_pool3d's partial inverse, as PyTorch's ``F.max_unpool3d`` (each value put at its d * H * W + h * W + w).

    >>> y, i = max_pool3d(ag.arange(8.0).reshape(1, 1, 2, 2, 2), 2, return_indices=True)
    >>> max_unpool3d(y, i, 2)[0, 0, 1]
    Tensor([[0., 0.],
            [0., 7.]])
    """
    return max_unpool("max_unpool3d", 3, input, indices, kernel_size, stride, padding, output_size)
