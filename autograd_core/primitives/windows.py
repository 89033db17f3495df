"""Sliding windows: ``unfold`` (im2col), the one primitive under convolution and pooling, and its
transpose ``fold`` (col2im), each the other's vjp.

``F.conv2d`` is a matmul of the weight with the unfolded input, ``F.max_pool2d`` a max over each
column's window, ``F.avg_pool2d`` a mean: all composed, so unfold's vjp (col2im, ``Fold.forward``) is
their only hand-written derivative.
"""

import numpy as np

from . import Primitive, call


def window_output_size(size, kernel, dilation, before, after, stride):
    """How many windows fit along one axis of ``size`` (padded by before + after):
    floor((size + before + after - dilation (kernel - 1) - 1) / stride) + 1, as PyTorch's.

    >>> window_output_size(28, 3, 1, 1, 1, 1)
    28
    """
    return (size + before + after - dilation * (kernel - 1) - 1) // stride + 1


class Unfold(Primitive):
    """The kh x kw blocks of an (N, C, H, W) x, one column each: (N, C*kh*kw, L), L = out_h * out_w, rows
    ordered (channel, kernel row, kernel column) as PyTorch's ``F.unfold``. Params (pairs, as ``ag.unfold``
    spells them out): ``kernel_size`` (kh, kw), ``dilation`` (dh, dw), ``padding`` ((top, bottom), (left,
    right)), ``stride`` (sh, sw); ``pad_value`` fills the padding (-inf for max pooling).

    The vjp is col2im (``Fold``): each kernel offset's slice of g added back where its window reads, the
    padding cropped; an element read by k windows gets k gradients.

    >>> x = Tensor(np.arange(9.0).reshape(1, 1, 3, 3), requires_grad=True)
    >>> cols = Tensor.apply(Unfold, x, kernel_size=(2, 2), dilation=(1, 1), padding=((0, 0), (0, 0)), stride=(1, 1))
    >>> cols.shape
    (1, 4, 4)
    >>> cols.sum().backward()
    >>> x.grad[0, 0]
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    """

    hint = "give an (N, C, H, W) input whose padded height and width hold at least one window"

    @staticmethod
    def forward(x, kernel_size, dilation, padding, stride, pad_value=0.0):
        (kh, kw), (dh, dw), ((top, bottom), (left, right)), (sh, sw) = kernel_size, dilation, padding, stride
        if x.ndim != 4:
            raise ValueError(f"expected a 4-d (N, C, H, W) input, got {x.ndim}-d")
        n, c, h, w = x.shape
        out_h = window_output_size(h, kh, dh, top, bottom, sh)
        out_w = window_output_size(w, kw, dw, left, right, sw)
        if out_h < 1 or out_w < 1:
            raise ValueError(
                f"the kernel {kh}x{kw} (dilation {dh}x{dw}) spans {dh * (kh - 1) + 1}x{dw * (kw - 1) + 1}, more than "
                f"the padded input's {h + top + bottom}x{w + left + right}"
            )
        if top or bottom or left or right:
            x = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)), constant_values=pad_value)
        # every window as a view (N, C, H', W', span_h, span_w); strides and dilation are steps through it
        spans = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)
        windows = np.lib.stride_tricks.sliding_window_view(x, spans, axis=(2, 3))[:, :, ::sh, ::sw, ::dh, ::dw]
        columns = np.empty((n, c, kh, kw, out_h, out_w), x.dtype)  # a copy: the result never aliases x
        columns[...] = windows[:, :, :out_h, :out_w].transpose(0, 1, 4, 5, 2, 3)
        return columns.reshape(n, c * kh * kw, out_h * out_w)

    @staticmethod
    def vjp(i, g, out, x, kernel_size, dilation, padding, stride, pad_value=0.0):
        # col2im is fold: on arrays its forward, on Tensors (create_graph) a recorded fold, whose vjp is unfold
        size = tuple(x.shape[2:])
        return call(
            Fold, g, output_size=size, kernel_size=kernel_size, dilation=dilation, padding=padding, stride=stride
        )


def fold_layout(shape, output_size, kernel_size, dilation, padding, stride):
    """(C, out_h, out_w) for columns of ``shape`` (N, C*kh*kw, L) summed into an output_size (H, W) image, as
    PyTorch's ``F.fold`` reads them; a ValueError saying what does not fit (shared by ``ag.fold`` and ``Fold``).

    >>> fold_layout((2, 12, 9), (4, 4), (2, 2), (1, 1), ((0, 0), (0, 0)), (1, 1))
    (3, 3, 3)
    """
    (h, w), (kh, kw), (dh, dw), (sh, sw) = output_size, kernel_size, dilation, stride
    (top, bottom), (left, right) = padding
    rows, length = shape[-2:]
    if rows % (kh * kw):
        raise ValueError(
            f"the input of shape {tuple(shape)} has {rows} rows, not a multiple of the kernel's {kh}x{kw} = "
            f"{kh * kw} (C*kh*kw rows for C channels); give the kernel_size the columns were unfolded with"
        )
    out_h = window_output_size(h, kh, dh, top, bottom, sh)
    out_w = window_output_size(w, kw, dw, left, right, sw)
    if out_h < 1 or out_w < 1:
        raise ValueError(
            f"the kernel {kh}x{kw} (dilation {dh}x{dw}) spans {dh * (kh - 1) + 1}x{dw * (kw - 1) + 1}, more than "
            f"the padded output's {h + top + bottom}x{w + left + right} (output_size ({h}, {w})); give a larger "
            "output_size or padding, or a smaller kernel_size or dilation"
        )
    if length != out_h * out_w:
        raise ValueError(
            f"the input of shape {tuple(shape)} has {length} columns, but output_size ({h}, {w}) with kernel "
            f"{kh}x{kw}, dilation {dh}x{dw}, padding {padding} and stride {sh}x{sw} holds {out_h}x{out_w} = "
            f"{out_h * out_w} windows; give the settings the columns were unfolded with"
        )
    return rows // (kh * kw), out_h, out_w


class Fold(Primitive):
    """col2im, unfold's transpose: columns (N, C*kh*kw, L) summed back into an (N, C, H, W) image, each
    column's entries added where ``unfold`` would have read them, the padding cropped, as PyTorch's ``F.fold``.
    Params as ``Unfold``'s, plus ``output_size`` (H, W). Its vjp is unfold, and unfold's is this forward.

    >>> cols = Tensor(np.ones((1, 4, 4)), requires_grad=True)
    >>> image = Tensor.apply(Fold, cols, output_size=(3, 3), kernel_size=(2, 2), dilation=(1, 1),
    ...                      padding=((0, 0), (0, 0)), stride=(1, 1))
    >>> image.data[0, 0]                      # how many windows cover each pixel
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    """

    hint = "give the (N, C*kh*kw, L) columns of an unfold with these settings"

    @staticmethod
    def forward(columns, output_size, kernel_size, dilation, padding, stride):
        if columns.ndim != 3:
            raise ValueError(f"expected a 3-d (N, C*kh*kw, L) input, got {columns.ndim}-d")
        c, out_h, out_w = fold_layout(columns.shape, output_size, kernel_size, dilation, padding, stride)
        (h, w), (kh, kw), (dh, dw), (sh, sw) = output_size, kernel_size, dilation, stride
        (top, bottom), (left, right) = padding
        n = columns.shape[0]
        padded = np.zeros((n, c, h + top + bottom, w + left + right), columns.dtype)
        blocks = columns.reshape(n, c, kh, kw, out_h, out_w)
        # one strided add per kernel offset (a, b), over all N, C and windows: where that offset reads
        for a in range(kh):
            rows = slice(a * dh, a * dh + sh * (out_h - 1) + 1, sh)
            for b in range(kw):
                padded[:, :, rows, b * dw : b * dw + sw * (out_w - 1) + 1 : sw] += blocks[:, :, a, b]
        if top or bottom or left or right:
            return padded[:, :, top : top + h, left : left + w].copy()  # a copy: the padding is not kept alive
        return padded

    @staticmethod
    def vjp(i, g, out, columns, output_size, kernel_size, dilation, padding, stride):
        return call(Unfold, g, kernel_size=kernel_size, dilation=dilation, padding=padding, stride=stride)
