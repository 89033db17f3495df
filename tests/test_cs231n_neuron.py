"""The cs231n sigmoid neuron: f(w, x) = 1 / (1 + exp(-(w0*x0 + w1*x1 + w2))).

With w = (2, -3, -3) and x = (-1, -2) the notes give f = 0.73 and the gradients
w0 = -0.20, x0 = 0.39, w1 = -0.39, x1 = -0.59, w2 = 0.20 (closed form: f(1-f) * input).
"""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor

W, X = (2.0, -3.0, -3.0), (-1.0, -2.0)


def closed_form():
    z = W[0] * X[0] + W[1] * X[1] + W[2]
    f = 1 / (1 + np.exp(-z))
    local = f * (1 - f)
    return f, {"w0": local * X[0], "x0": local * W[0], "w1": local * X[1], "x1": local * W[1], "w2": local}


def test_built_from_scalars_matches_the_notes():
    w0, w1, w2 = (Tensor(v, requires_grad=True) for v in W)
    x0, x1 = (Tensor(v, requires_grad=True) for v in X)
    f = 1 / (1 + (-(w0 * x0 + w1 * x1 + w2)).exp())
    f.backward()
    expected_f, expected = closed_form()
    assert f.item() == pytest.approx(expected_f, rel=1e-12)
    assert round(f.item(), 2) == 0.73
    got = {"w0": w0.grad, "x0": x0.grad, "w1": w1.grad, "x1": x1.grad, "w2": w2.grad}
    for name, value in expected.items():
        assert got[name] == pytest.approx(value, rel=1e-12), name
    assert [round(float(got[k]), 2) for k in ("w0", "x0", "w1", "x1", "w2")] == [-0.20, 0.39, -0.39, -0.59, 0.20]


def test_built_with_a_dot_product_and_sigmoid_primitive():
    w = Tensor(W, requires_grad=True)
    x = Tensor(X + (1.0,), requires_grad=True)
    f = ag.sigmoid(w @ x)
    f.backward()
    expected_f, expected = closed_form()
    assert f.item() == pytest.approx(expected_f, rel=1e-12)
    np.testing.assert_allclose(w.grad, [expected["w0"], expected["w1"], expected["w2"]], rtol=1e-12)
    np.testing.assert_allclose(x.grad[:2], [expected["x0"], expected["x1"]], rtol=1e-12)
