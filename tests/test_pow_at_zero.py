"""x ** y at base 0 (x ** 0, 0 ** y, 0 ** 0): finite gradients, equal to PyTorch's, to any order.

PyTorch's rule: d/dx x**y = 0 where y == 0, and d/dy x**y = 0 where x == 0 and y >= 0.
Elsewhere at base 0 the derivative is genuinely infinite (0 ** -1, d/dx x**0.5) and both
libraries say inf.
"""

import warnings

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor

EXPONENTS = [0.0, 1.0, 2.0, 3.0, 0.5, 1.5, -1.0, -0.5]  # integers >= 0 first: finite d/dx at 0


def grads(x, y, create_graph=False):
    xt, yt = Tensor(x, requires_grad=True), Tensor(y, requires_grad=True)
    return xt, yt, ag.grad((xt**yt).sum(), [xt, yt], create_graph=create_graph)


def test_the_issue_cases_have_finite_gradients():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not even a numpy warning on the way
        _, _, (dx, dy) = grads(np.array([0.0, 0.0, 0.0]), np.array([0.0, 2.0, 3.0]))
        assert dx.data.tolist() == [0.0, 0.0, 0.0] and dy.data.tolist() == [0.0, 0.0, 0.0]  # 0**0, 0**2, 0**3
        x = Tensor(np.zeros(3), requires_grad=True)
        (x**0).sum().backward()
        assert x.grad.tolist() == [0.0, 0.0, 0.0]
        y = Tensor(np.array([0.0, 1.0, 2.5]), requires_grad=True)
        (0.0**y).sum().backward()
        assert y.grad.tolist() == [0.0, 0.0, 0.0]


def test_float32_keeps_its_dtype_through_the_stand_ins():
    _x, _y, (dx, dy) = grads(np.float32([0, 0, 2]), np.float32([0, 3, 0]))
    assert dx.dtype == dy.dtype == np.float32 and dx.data.tolist() == [0, 0, 0]
    np.testing.assert_array_equal(dy.data, np.float32([0, 0, np.log(2)]))


@pytest.mark.parametrize("exponent", [0.0, 1.0, 2.0, 3.0])
def test_gradcheck_in_x_at_zero(exponent):
    # integer exponents: x**y is smooth through 0, so a central difference is exact
    points = Tensor(np.array([0.0, 0.0, 0.7, -1.2]), requires_grad=True)
    assert ag.gradcheck(lambda x: x**exponent, points, atol=1e-8, rtol=1e-6)
    assert ag.gradcheck(lambda x: x ** Tensor(np.full(4, exponent)), points, atol=1e-8, rtol=1e-6)


def test_gradcheck_in_y_at_base_zero():
    # 0 ** y is 0 for every y > 0, so its slope is 0; at y = 0 it jumps (no finite difference)
    y = Tensor(np.array([0.5, 1.0, 2.5, 3.0]), requires_grad=True)
    assert ag.gradcheck(lambda t: Tensor(np.zeros(4)) ** t, y)
    assert ag.gradcheck(lambda t: Tensor(np.array([0.0, 0.0, 1.5, 0.3])) ** t, y)


@pytest.mark.parametrize("exponent", [0.0, 1.0, 2.0, 3.0])
def test_second_derivatives_at_zero_are_finite_and_right(exponent):
    x = Tensor(np.array([0.0, 0.5]), requires_grad=True)
    (dx,) = ag.grad((x**exponent).sum(), x, create_graph=True)
    np.testing.assert_allclose(
        dx.data, [0.0 ** (exponent - 1) * exponent if exponent else 0.0, exponent * 0.5 ** (exponent - 1)]
    )
    if dx.requires_grad:
        (d2x,) = ag.grad(dx.sum(), x, allow_unused=True)
        d2x = np.zeros(2) if d2x is None else d2x.data
        expected = [2.0 if exponent == 2 else 0.0, exponent * (exponent - 1) * 0.5 ** (exponent - 2)]
        np.testing.assert_allclose(d2x, expected)
    assert ag.gradcheck(
        lambda t: ag.grad((t**exponent).sum(), t, create_graph=True)[0],
        Tensor(np.array([0.0, -0.4, 0.9]), requires_grad=True),
        atol=1e-7,
        rtol=1e-5,
    )


def test_second_derivative_in_y_at_base_zero():
    y = Tensor(np.array([0.5, 1.0, 2.0]), requires_grad=True)
    base = Tensor(np.zeros(3))
    (dy,) = ag.grad((base**y).sum(), y, create_graph=True)
    (d2y,) = ag.grad(dy.sum(), y)
    assert dy.data.tolist() == [0.0] * 3 and d2y.data.tolist() == [0.0] * 3


def test_matches_torch_at_base_zero_first_and_second_order():
    torch = pytest.importorskip("torch")
    x = np.array([0.0] * len(EXPONENTS) + [0.0, 2.0, -2.0, -2.0])
    y = np.array(EXPONENTS + [0.0, 0.0, 2.0, 3.0])
    with np.errstate(divide="ignore", invalid="ignore"):
        xt, yt, (dx, dy) = grads(x, y, create_graph=True)
        (dxx, dxy) = ag.grad(dx.sum(), [xt, yt], allow_unused=True)
    tx, ty = (torch.tensor(a, requires_grad=True) for a in (x, y))
    tdx, tdy = torch.autograd.grad((tx**ty).sum(), [tx, ty], create_graph=True)
    tdxx, tdxy = torch.autograd.grad(tdx.sum(), [tx, ty])
    np.testing.assert_array_equal(dx.data, tdx.detach().numpy())  # inf and nan included
    np.testing.assert_array_equal(dy.data, tdy.detach().numpy())
    assert np.isfinite(dx.data[:4]).all() and np.isfinite(dy.data[:6]).all()  # the exponents >= 0
    # second order: equal wherever torch's is finite (torch says nan at 0 ** 0), except that
    # torch's d2/dxdy of x**y at y = 0 is 0 (its masked_fill cuts y out); the true value is 1/x
    torch_quirk = (y == 0) & (x != 0)
    np.testing.assert_allclose(dxy.data[torch_quirk], 1 / x[torch_quirk], rtol=1e-12)
    for ours, theirs, skip in (
        (dxx.data, tdxx.numpy(), np.zeros_like(torch_quirk)),
        (dxy.data, tdxy.numpy(), torch_quirk),
    ):
        compared = np.isfinite(theirs) & ~skip
        np.testing.assert_allclose(ours[compared], theirs[compared], rtol=1e-12)


def test_the_mixed_second_derivative_at_a_zero_exponent_passes_gradcheck():
    x = Tensor(np.array([2.0, 0.7, 3.0]), requires_grad=True)  # d/dy needs log x: positive bases
    y = Tensor(np.zeros(3), requires_grad=True)
    assert ag.gradcheck(lambda a, b: ag.grad((a**b).sum(), a, create_graph=True)[0], [x, y])
