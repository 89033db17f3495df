"""The ``unfold`` primitive (im2col) beyond the shared case table: its vjp (col2im) against a naive
np.add.at scatter of every element, its copy semantics, dtypes, and its errors. (Gradcheck, second
order, torch and compile cases are in ``shape_cases.unfold_cases``.)"""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.primitives import Unfold

SETTINGS = [  # (input shape, kernel, dilation, padding ((top, bottom), (left, right)), stride)
    ((2, 3, 6, 5), (3, 2), (1, 1), ((1, 1), (0, 0)), (1, 2)),
    ((1, 2, 9, 7), (2, 3), (2, 1), ((2, 0), (1, 3)), (3, 2)),
    ((3, 1, 4, 4), (4, 4), (1, 1), ((0, 0), (0, 0)), (1, 1)),
    ((1, 1, 5, 5), (1, 1), (1, 1), ((2, 2), (2, 2)), (2, 2)),
]


def naive_unfold_vjp(g, x_shape, kernel, dilation, padding, stride):
    """col2im one element at a time: every column entry's gradient added (np.add.at) where it was read."""
    n, c, h, w = x_shape
    (kh, kw), (dh, dw), ((top, bottom), (left, right)), (sh, sw) = kernel, dilation, padding, stride
    out_h = (h + top + bottom - dh * (kh - 1) - 1) // sh + 1
    out_w = (w + left + right - dw * (kw - 1) - 1) // sw + 1
    ni, ci, ai, bi, yi, xi = np.indices((n, c, kh, kw, out_h, out_w)).reshape(6, -1)
    rows, cols = yi * sh + ai * dh, xi * sw + bi * dw
    padded = np.zeros((n, c, h + top + bottom, w + left + right))
    np.add.at(padded, (ni, ci, rows, cols), g.reshape(n, c, kh, kw, out_h, out_w)[ni, ci, ai, bi, yi, xi])
    return padded[:, :, top : top + h, left : left + w]


@pytest.mark.parametrize("shape, kernel, dilation, padding, stride", SETTINGS)
def test_the_vjp_equals_a_naive_scatter_of_every_element(shape, kernel, dilation, padding, stride):
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal(shape), requires_grad=True)
    out = ag.unfold(x, kernel, dilation=dilation, padding=padding, stride=stride)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    np.testing.assert_allclose(x.grad, naive_unfold_vjp(g, shape, kernel, dilation, padding, stride), rtol=1e-12)


@pytest.mark.parametrize("shape, kernel, dilation, padding, stride", SETTINGS)
def test_the_recorded_vjp_equals_the_plain_one(shape, kernel, dilation, padding, stride):
    """create_graph passes Tensors to the vjp, which then records a fold (col2im): the same numbers."""
    rng = np.random.default_rng(1)
    x = Tensor(rng.standard_normal(shape), requires_grad=True)
    out = ag.unfold(x, kernel, dilation=dilation, padding=padding, stride=stride)
    g = rng.standard_normal(out.shape)
    (recorded,) = ag.grad(out, [x], grad_outputs=Tensor(g, requires_grad=True), create_graph=True)
    assert recorded.requires_grad
    np.testing.assert_allclose(recorded.data, naive_unfold_vjp(g, shape, kernel, dilation, padding, stride))


def test_the_columns_are_a_copy_in_pytorch_order_and_float32_stays_float32():
    x = Tensor(np.arange(18, dtype=np.float32).reshape(1, 2, 3, 3), requires_grad=True)
    cols = ag.unfold(x, 2)
    assert cols.dtype == np.float32 and cols.shape == (1, 8, 4)
    assert not np.shares_memory(cols.data, x.data)
    # row (channel 1, kernel row 0, kernel column 1), window (row 1, column 0) reads x[0, 1, 1, 1]
    assert cols.data[0, 1 * 4 + 0 * 2 + 1, 1 * 2 + 0] == x.data[0, 1, 1, 1]
    cols.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad[0, 0], [[1, 2, 1], [2, 4, 2], [1, 2, 1]])
    one_by_one = ag.unfold(x, 1)  # every window a single element: still a copy, not a view of x
    assert not np.shares_memory(one_by_one.data, x.data)


def test_the_padding_takes_the_fill_and_gets_no_gradient():
    x = Tensor(np.ones((1, 1, 2, 2)), requires_grad=True)
    cols = ag.unfold(x, 2, padding=1, pad_value=-np.inf)
    assert np.isneginf(cols.data[0, :, 0]).sum() == 3  # the top-left window holds one element of x
    ag.unfold(x, 3, padding=1).sum().backward()
    np.testing.assert_array_equal(x.grad, np.full((1, 1, 2, 2), 4.0))  # each element in all 4 windows


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: ag.unfold(np.ones((4, 4)), 2),
            "unfold: expected a 4-d (N, C, H, W) input or a 3-d (C, H, W) one, got shape (4, 4); add the missing "
            "axes (x[None, None] for one 2-d image)",
        ),
        (lambda: ag.unfold(np.ones((1, 1, 4, 4)), 2, stride=0), "unfold: stride must be >= 1, got 0"),
        (
            lambda: ag.unfold(np.ones((1, 1, 4, 4), int), 2, padding=1, pad_value=-np.inf),
            "unfold: pad_value=-inf cannot fill the padding of an input of dtype int64; give a float input "
            "(x.astype(np.float64)) or a whole-number pad_value",
        ),
        (lambda: ag.unfold(np.ones((1, 1, 4, 4)), (2, 0)), "unfold: kernel_size must be >= 1, got (2, 0)"),
        (lambda: ag.unfold(np.ones((1, 1, 4, 4)), 2, padding=-1), "unfold: padding must be >= 0, got -1"),
        (
            lambda: ag.unfold(np.ones((1, 1, 4, 4)), 2.5),
            "unfold: kernel_size must be an int or a pair of ints (height, width), got 2.5",
        ),
        (
            lambda: ag.unfold(np.ones((1, 1, 4, 4)), 3, dilation=2),
            "unfold: cannot apply to shapes (1, 1, 4, 4): the kernel 3x3 (dilation 2x2) spans 5x5, more than the "
            "padded input's 4x4; give an (N, C, H, W) input whose padded height and width hold at least one window",
        ),
    ],
)
def test_errors_name_the_op_the_values_and_the_fix(call, message):
    with pytest.raises(ValueError) as caught:
        call()
    assert str(caught.value).startswith(message)


def test_a_3d_input_is_one_unbatched_image_as_in_pytorch():
    x = np.random.default_rng(2).standard_normal((2, 4, 5))
    np.testing.assert_array_equal(ag.unfold(x, 2, stride=(1, 2)).data, ag.unfold(x[None], 2, stride=(1, 2)).data[0])


def test_the_primitive_refuses_a_3d_input_itself():
    with pytest.raises(ValueError, match=r"unfold: cannot apply to shapes \(2, 4, 4\): expected a 4-d"):
        Tensor.apply(
            Unfold, np.ones((2, 4, 4)), kernel_size=(2, 2), dilation=(1, 1), padding=((0, 0),) * 2, stride=(1, 1)
        )
