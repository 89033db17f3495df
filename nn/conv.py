"""Convolution and pooling as functions (``F.conv2d``, ``F.conv3d``, ``F.max_pool2d``, ``F.avg_pool2d``, ``F.unfold``,
``F.fold``), composed from ``ag.unfold`` (im2col, the engine's ``unfold`` primitive; ``ag.fold`` its transpose)
and Tensor ops: no backward here. The 2-d forms of ``conv_nd.py``'s and ``pool_nd.py``'s one implementation
for 1, 2 and 3 spatial axes.

im2col, the textbook way (cs231n's convnet notes): ``unfold`` lays each kh x kw window of every channel
out as one column, (N, C*kh*kw, L); a convolution is then one matmul of the (out, C*kh*kw) weight with
those columns, a max pooling a max over each column's window, an average pooling a mean. Their
gradients are the matmul's, the max's (tied maxima share: ties split evenly) and the mean's, brought
back to the image by unfold's vjp (col2im), which adds up what overlapping windows send one pixel.
"""

from __future__ import annotations

from typing import Literal, overload

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.types import TensorLike
from autograd_core.windows import IntPair

from .conv_nd import convolution
from .pool_nd import avg_pool, max_pool
from .windows_nd import conv_padding, no_stride, spatial_input

#: padding as conv2d takes it: an int, an (height, width) pair, or "same" / "valid" (PyTorch's).
Padding = IntPair | str


def _images(op: str, input: TensorLike) -> tuple[Tensor, bool]:
    """``input`` as a float (N, C, H, W) tensor, and whether it was one unbatched (C, H, W) image."""
    return spatial_input(op, input, 2)


def _conv_padding(padding: Padding, kernel: tuple[int, int], dilation: tuple[int, int], stride: tuple[int, int]):
    """((top, bottom), (left, right)) for conv2d's padding; "same" pads d (k - 1) in all, the odd one
    after (bottom, right), as PyTorch."""
    return conv_padding("conv2d", padding, kernel, dilation, stride)


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
    return convolution("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(
    input: TensorLike,
    weight: TensorLike,
    bias: TensorLike | None = None,
    stride: int | tuple[int, int, int] = 1,
    padding: int | tuple[int, int, int] | str = 0,
    dilation: int | tuple[int, int, int] = 1,
    groups: int = 1,
) -> Tensor:
    """3-d convolution (cross-correlation), as PyTorch's ``F.conv3d``: input (N, C, D, H, W) (or one (C, D,
    H, W) volume), weight (out_channels, C / groups, kd, kh, kw), bias (out_channels,); ``padding`` an int, a
    triple, "same" or "valid". As ``conv2d``, one more axis: im2col (two 2-d unfolds) then one matmul.

    >>> conv3d(ag.arange(8.0).reshape(1, 1, 2, 2, 2), ag.ones(1, 1, 1, 2, 2))    # each depth slice summed
    Tensor([[[[[ 6.]],
    <BLANKLINE>
              [[22.]]]]])
    """
    return convolution("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


def _no_stride(stride: object) -> bool:
    """None or an empty tuple / list: PyTorch's pools then step by the kernel."""
    return no_stride(stride)


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
    return max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


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
    return avg_pool(
        "avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
    )


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
