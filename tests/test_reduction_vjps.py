"""Sum's vjp on numpy gradients (plain backward): g broadcast back over the summed axes, whatever form g
takes (kept axes, dropped axes, a numpy scalar for a full sum), a fresh writable array of g's dtype."""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core.primitives import Sum

CASES = [((32, 10), (1,)), ((32, 10), (0,)), ((4, 3, 2), (0, 2)), ((5,), (0,)), ((2, 3), (0, 1))]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape,axes", CASES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_sum_vjp_broadcasts_g_back_over_the_summed_axes(dtype, shape, axes, keepdims):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(dtype)
    out = Sum.forward(x, axes, keepdims)
    g = (rng.standard_normal(np.shape(out)) + 0 * out).astype(dtype)[()]  # [()]: a 0-d g is a numpy scalar
    got = Sum.vjp(0, g, out, x, axes, keepdims)
    kept = tuple(1 if i in axes else n for i, n in enumerate(shape))
    expected = np.broadcast_to(np.reshape(g, kept), shape)
    assert type(got) is np.ndarray and got.dtype == dtype and got.flags.writeable
    np.testing.assert_array_equal(got, expected)


def test_a_full_sum_backward_and_its_second_derivative():
    x = ag.Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, 2 * x.data)
    (g,) = ag.grad((x**3).sum(), [x], create_graph=True)  # the vjp on a Tensor: recorded
    (gg,) = ag.grad(g.sum(), [x])
    np.testing.assert_array_equal(gg, 6 * x.data)
