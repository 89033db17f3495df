"""``ag.unfold`` and ``ag.fold``: PyTorch's ``F.unfold`` (im2col) and ``F.fold`` (col2im) over the ``unfold``
and ``fold`` primitives, their arguments checked."""

from __future__ import annotations

import numbers

from .functions import as_tensor
from .primitives import Fold, Unfold
from .primitives.windows import fold_layout
from .tensor import Tensor
from .types import TensorLike

IntPair = int | tuple[int, int]


def window_pair(op: str, name: str, value: object, minimum: int) -> tuple[int, int]:
    """``value`` (an int, a pair of ints for height and width, or a 1-tuple) as a pair, each at least
    ``minimum``; else a ValueError naming ``op`` and ``name``.

    >>> window_pair("unfold", "stride", 2, 1)
    (2, 2)
    """
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    pair = pair * 2 if len(pair) == 1 else pair  # (2,) means (2, 2), as PyTorch's conv and pools read it
    if len(pair) != 2 or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in pair):
        raise ValueError(f"{op}: {name} must be an int or a pair of ints (height, width), got {value!r}")
    if min(pair) < minimum:
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {value!r}")
    return int(pair[0]), int(pair[1])


def _padding(op: str, value: object) -> tuple[tuple[int, int], tuple[int, int]]:
    """int, (ph, pw) or ((top, bottom), (left, right)) as ((top, bottom), (left, right))."""
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(isinstance(v, (tuple, list)) for v in value):
        top, bottom = window_pair(op, "padding", value[0], 0)
        left, right = window_pair(op, "padding", value[1], 0)
        return (top, bottom), (left, right)
    ph, pw = window_pair(op, "padding", value, 0)
    return (ph, ph), (pw, pw)


def unfold(
    input: TensorLike,
    kernel_size: IntPair,
    dilation: IntPair = 1,
    padding: IntPair | tuple[tuple[int, int], tuple[int, int]] = 0,
    stride: IntPair = 1,
    *,
    pad_value: float = 0.0,
) -> Tensor:
    """The sliding kh x kw blocks of an (N, C, H, W) input as columns, (N, C*kh*kw, L) with L the number
    of windows, as PyTorch's ``F.unfold`` (im2col): a convolution is then one matmul. A 3-d (C, H, W)
    input is one unbatched image, giving (C*kh*kw, L). Each argument is an
    int or an (height, width) pair; ``padding`` may also be ((top, bottom), (left, right)), filled with
    ``pad_value`` (0, as PyTorch; -inf suits max pooling). One recorded op, ``unfold``.

    >>> unfold(ag.arange(16.0).reshape(1, 1, 4, 4), 2, stride=2)[0]
    Tensor([[ 0.,  2.,  8., 10.],
            [ 1.,  3.,  9., 11.],
            [ 4.,  6., 12., 14.],
            [ 5.,  7., 13., 15.]])
    """
    x = as_tensor(input)
    kernel = window_pair("unfold", "kernel_size", kernel_size, 1)
    dilations = window_pair("unfold", "dilation", dilation, 1)
    strides = window_pair("unfold", "stride", stride, 1)
    pads = _padding("unfold", padding)
    if x.ndim not in (3, 4):
        raise ValueError(
            f"unfold: expected a 4-d (N, C, H, W) input or a 3-d (C, H, W) one, got shape {x.shape}; "
            "add the missing axes (x[None, None] for one 2-d image)"
        )
    if x.dtype.kind in "biu" and pads != ((0, 0), (0, 0)) and not float(pad_value).is_integer():
        raise ValueError(
            f"unfold: pad_value={pad_value!r} cannot fill the padding of an input of dtype {x.dtype}; "
            "give a float input (x.astype(np.float64)) or a whole-number pad_value"
        )
    columns = Tensor.apply(
        Unfold,
        x if x.ndim == 4 else x[None],
        kernel_size=kernel,
        dilation=dilations,
        padding=pads,
        stride=strides,
        pad_value=float(pad_value),
    )
    return columns if x.ndim == 4 else columns[0]


def fold(
    input: TensorLike,
    output_size: IntPair,
    kernel_size: IntPair,
    dilation: IntPair = 1,
    padding: IntPair | tuple[tuple[int, int], tuple[int, int]] = 0,
    stride: IntPair = 1,
) -> Tensor:
    """Columns (N, C*kh*kw, L) summed back into (N, C, H, W) images of ``output_size`` (H, W), as PyTorch's
    ``F.fold`` (col2im): each column's entries added where ``unfold`` with the same settings reads them, so
    overlapping windows add up and ``fold(unfold(x))`` is x times how many windows cover each pixel. A 2-d
    (C*kh*kw, L) input is one unbatched image, giving (C, H, W). The transpose of ``unfold`` (each is the
    other's gradient); arguments as ``unfold``'s. One recorded op, ``fold``.

    >>> fold(ag.ones(1, 4, 4), 3, 2)[0, 0]                # 2x2 windows over a 3x3 image: the cover count
    Tensor([[1., 2., 1.],
            [2., 4., 2.],
            [1., 2., 1.]])
    """
    columns = as_tensor(input)
    size = window_pair("fold", "output_size", output_size, 1)
    kernel = window_pair("fold", "kernel_size", kernel_size, 1)
    dilations = window_pair("fold", "dilation", dilation, 1)
    strides = window_pair("fold", "stride", stride, 1)
    pads = _padding("fold", padding)
    if columns.ndim not in (2, 3):
        raise ValueError(
            f"fold: expected a 3-d (N, C*kh*kw, L) input or a 2-d (C*kh*kw, L) one, got shape {columns.shape}; "
            "give the columns as unfold returns them"
        )
    try:
        fold_layout(columns.shape, size, kernel, dilations, pads, strides)
    except ValueError as error:
        raise ValueError(f"fold: {error}") from None
    params = dict(output_size=size, kernel_size=kernel, dilation=dilations, padding=pads, stride=strides)
    if columns.ndim == 3:
        return Tensor.apply(Fold, columns, **params)
    return Tensor.apply(Fold, columns[None], **params)[0]
