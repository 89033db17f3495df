"""Sliding windows: ``unfold`` (im2col), the one primitive under convolution and pooling.

``F.conv2d`` is a matmul of the weight with the unfolded input, ``F.max_pool2d`` a max over each
column's window, ``F.avg_pool2d`` a mean: all composed, so this vjp (col2im) is their only
hand-written derivative.
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

    The vjp is col2im: each kernel offset's slice of g added back where its window reads, the padding
    cropped; an element read by k windows gets k gradients.

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
        (kh, kw), (dh, dw), ((top, bottom), (left, right)), (sh, sw) = kernel_size, dilation, padding, stride
        n, c, h, w = x.shape
        out_h = window_output_size(h, kh, dh, top, bottom, sh)
        out_w = window_output_size(w, kw, dw, left, right, sw)
        padded_shape = (n, c, h + top + bottom, w + left + right)
        blocks = g.reshape(n, c, kh, kw, out_h, out_w)
        crop = (slice(None), slice(None), slice(top, top + h), slice(left, left + w))

        def reads(a, b):  # where kernel offset (a, b) reads, over every window: a strided slice
            rows = slice(a * dh, a * dh + sh * (out_h - 1) + 1, sh)
            return (slice(None), slice(None), rows, slice(b * dw, b * dw + sw * (out_w - 1) + 1, sw))

        if isinstance(g, np.ndarray):  # plain backward: one strided add per kernel offset, over all N, C, windows
            padded = np.zeros(padded_shape, g.dtype)
            for a in range(kh):
                for b in range(kw):
                    padded[reads(a, b)] += blocks[:, :, a, b]
            return padded[crop].copy() if padded_shape != x.shape else padded
        # a Tensor g (create_graph): the same sum, recorded (each offset scattered, then added)
        total = None
        for a in range(kh):
            for b in range(kw):
                piece = call(ScatterAdd, blocks[:, :, a, b], shape=padded_shape, index=reads(a, b))
                total = piece if total is None else total + piece
        return total[crop] if padded_shape != x.shape else total


from .shape import ScatterAdd  # noqa: E402 (the recorded vjp's scatter; imported last: registration order)
