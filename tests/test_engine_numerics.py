"""Backward at the edges: log of 0, sigmoid and the softmax family at +-1000, and the kink convention
(ties split evenly; where sends the gradient only to the picked branch)."""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor


def test_log_of_zero_and_negative_follows_numpy():
    x = Tensor([0.0, -1.0, 1.0], requires_grad=True)
    with pytest.warns(RuntimeWarning):
        y = x.log()
    assert y.data[0] == -np.inf and np.isnan(y.data[1]) and y.data[2] == 0.0
    with pytest.warns(RuntimeWarning):
        y.sum().backward()
    assert x.grad[0] == np.inf and x.grad[2] == 1.0


@pytest.mark.filterwarnings("error")  # not even an overflow warning
def test_sigmoid_of_plus_minus_1000_is_finite_with_a_finite_gradient():
    x = Tensor([-1000.0, 1000.0, 0.0], requires_grad=True)
    s = x.sigmoid()
    s.sum().backward()
    np.testing.assert_array_equal(s.data, [0.0, 1.0, 0.5])
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.25])


@pytest.mark.filterwarnings("error")
def test_softmax_family_of_plus_minus_1000_is_finite_and_exact():
    x = Tensor([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0]], requires_grad=True)
    np.testing.assert_array_equal(x.softmax().data, [[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]])
    np.testing.assert_allclose(
        x.log_softmax().data, [[0.0, -2000.0, -1000.0], [-np.log(3)] * 3], rtol=1e-15, atol=1e-12
    )  # -1000 - (-1000 + log 3) loses ~1e-13
    np.testing.assert_allclose(x.logsumexp().data, [1000.0, -1000.0 + np.log(3)], rtol=1e-15)
    for f in (lambda t: t.softmax(), lambda t: t.log_softmax(), lambda t: t.logsumexp()):
        x.zero_grad()
        out = f(x)
        (out * np.random.default_rng(0).standard_normal(out.shape)).sum().backward()
        assert np.all(np.isfinite(x.grad))


def grad_at(f, value):
    x = Tensor(value, requires_grad=True)
    f(x).sum().backward()
    return x.grad


def test_kink_convention_table():
    zero = np.array(0.0)
    assert grad_at(lambda x: x.relu(), zero) == 0.5 == grad_at(lambda x: ag.maximum(x, 0.0), zero)
    assert grad_at(lambda x: x.abs(), zero) == 0.0
    assert grad_at(lambda x: ag.maximum(x, x), np.array(1.5)) == 1.0
    assert grad_at(lambda x: ag.minimum(x, x), np.array(1.5)) == 1.0
    assert grad_at(lambda x: ag.stack([x, x]).max(), np.array(1.5)) == 1.0
    assert grad_at(lambda x: ag.minimum(x, 0.0), zero) == 0.5
    np.testing.assert_array_equal(grad_at(lambda x: x.max(), np.array([1.0, 3.0, 3.0])), [0.0, 0.5, 0.5])
    np.testing.assert_array_equal(
        grad_at(lambda x: x.max(axis=1), np.array([[2.0, 2.0, 2.0], [1.0, 4.0, 0.0]])),
        [[1 / 3, 1 / 3, 1 / 3], [0.0, 1.0, 0.0]],
    )


def test_where_sends_gradient_only_to_the_picked_branch():
    a, b = Tensor([1.0, 2.0, 3.0], requires_grad=True), Tensor([4.0, 5.0, 6.0], requires_grad=True)
    ag.where(np.array([True, False, True]), a, b).sum().backward()
    np.testing.assert_array_equal(a.grad, [1.0, 0.0, 1.0])
    np.testing.assert_array_equal(b.grad, [0.0, 1.0, 0.0])
