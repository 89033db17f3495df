"""Second order: the gradient of every primitive's gradient (PyTorch's gradgradcheck).

Also a Hessian-vector product of a small MLP loss, against finite differences of its
gradient and, where installed, against torch.
"""

import numpy as np
import pytest
from primitive_cases import SECOND_ORDER_CASES

import autograd_core as ag
from autograd_core import Tensor


def vjp_function(case):
    """(inputs..., v) -> the concatenated vjps v^T d fn / d input, recorded (create_graph=True).

    Checking it against finite differences covers both what the vjp formula does with the
    inputs (second derivatives) and with v (a linear op's vjp is linear in v only).
    """

    def vjp(*args):
        *inputs, v = args
        grads = ag.grad(case.fn(*inputs), inputs, grad_outputs=v, create_graph=True)
        return ag.concatenate([g.reshape(-1) for g in grads])

    return vjp


@pytest.mark.parametrize("case", SECOND_ORDER_CASES, ids=lambda c: c.id)
def test_gradgradcheck(case):
    inputs = case.inputs()
    out_shape = case.fn(*inputs).shape
    v = Tensor(np.random.default_rng(1).standard_normal(out_shape), requires_grad=True)
    assert ag.gradcheck(vjp_function(case), inputs + [v], **{"atol": 1e-6, "rtol": 1e-5, **case.tolerances})


# ------------------------------------------------------------------ higher derivatives in closed form
def test_third_derivative_of_a_cube():
    x = Tensor(2.0, requires_grad=True)
    (d1,) = ag.grad(x**3, x, create_graph=True)
    (d2,) = ag.grad(d1, x, create_graph=True)
    (d3,) = ag.grad(d2, x)
    assert (d1.item(), d2.item(), d3.item()) == pytest.approx((12.0, 12.0, 6.0), rel=1e-12)


def test_derivatives_of_tanh_and_sigmoid_match_their_closed_forms():
    values = np.array([-2.0, -0.3, 0.0, 0.7, 1.9])
    x = Tensor(values, requires_grad=True)
    t, s = np.tanh(values), 1 / (1 + np.exp(-values))
    (dt,) = ag.grad(x.tanh().sum(), x, create_graph=True)
    (ddt,) = ag.grad(dt.sum(), x)
    np.testing.assert_allclose(dt.data, 1 - t**2, rtol=1e-12)
    np.testing.assert_allclose(ddt.data, -2 * t * (1 - t**2), rtol=1e-12, atol=1e-15)
    (ds,) = ag.grad(x.sigmoid().sum(), x, create_graph=True)
    (dds,) = ag.grad(ds.sum(), x)
    np.testing.assert_allclose(ds.data, s * (1 - s), rtol=1e-12)
    np.testing.assert_allclose(dds.data, s * (1 - s) * (1 - 2 * s), rtol=1e-12, atol=1e-15)


def test_gradient_results_are_differentiable_only_with_create_graph():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (plain,) = ag.grad((x**2).sum(), x)
    assert not plain.requires_grad and plain.is_leaf
    (recorded,) = ag.grad((x**2).sum(), x, create_graph=True)
    assert recorded.requires_grad and recorded.op is not None


def test_backward_with_create_graph_keeps_the_graph_for_another_pass():
    x = Tensor([1.0, -2.0], requires_grad=True)
    y = (x**3).sum()
    y.backward(create_graph=True)
    y.backward()  # the graph was retained: gradients accumulate, 3x^2 twice
    np.testing.assert_allclose(x.grad, 2 * 3 * x.data**2)


# ------------------------------------------------------------------ Hessian-vector product of an MLP loss
ACTIVATIONS = ["tanh", "sigmoid"]  # method names shared by our Tensor and torch's
X = np.random.default_rng(7).standard_normal((6, 3))
LABELS = np.array([0, 2, 1, 1, 2, 0])


def mlp_loss(params, activation, lib="ag"):
    """Softmax cross-entropy of a 3-4-3 MLP, composed from primitives (same code for torch)."""
    w1, b1, w2, b2 = params
    if lib == "ag":
        logits = getattr(Tensor(X) @ w1 + b1, activation)() @ w2 + b2
        return -logits.log_softmax()[np.arange(len(LABELS)), LABELS].mean()
    import torch

    logits = getattr(torch.tensor(X) @ w1 + b1, activation)() @ w2 + b2
    return -torch.log_softmax(logits, -1)[torch.arange(len(LABELS)), torch.tensor(LABELS)].mean()


def random_params(seed):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in [(3, 4), (4,), (4, 3), (3,)]]


def hvp(arrays, vector, activation):
    params = [Tensor(a, requires_grad=True) for a in arrays]
    grads = ag.grad(mlp_loss(params, activation), params, create_graph=True)
    directional = ag.sum(ag.stack([(g * v).sum() for g, v in zip(grads, vector)]))
    return [h.data for h in ag.grad(directional, params)]


def gradient(arrays, activation):
    params = [Tensor(a, requires_grad=True) for a in arrays]
    return [g.data for g in ag.grad(mlp_loss(params, activation), params)]


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_mlp_hvp_matches_finite_differences_of_the_gradient(activation):
    arrays, vector, eps = random_params(0), random_params(1), 1e-5
    plus = gradient([a + eps * v for a, v in zip(arrays, vector)], activation)
    minus = gradient([a - eps * v for a, v in zip(arrays, vector)], activation)
    for got, p, m in zip(hvp(arrays, vector, activation), plus, minus):
        np.testing.assert_allclose(got, (p - m) / (2 * eps), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_mlp_hvp_matches_torch(activation):
    torch = pytest.importorskip("torch")
    arrays, vector = random_params(2), random_params(3)
    _, expected = torch.autograd.functional.hvp(
        lambda *p: mlp_loss(p, activation, lib="torch"),
        tuple(torch.tensor(a) for a in arrays),
        tuple(torch.tensor(v) for v in vector),
    )
    for got, want in zip(hvp(arrays, vector, activation), expected):
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-10, atol=1e-13)


def test_softmax_cross_entropy_hessian_on_logits_is_the_closed_form():
    """For L = mean_i CE(softmax(z_i), y_i): H v = (p * v - p * (p . v)) / N, row by row."""
    rng = np.random.default_rng(4)
    logits, v = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    labels = np.array([2, 0, 1, 1, 0])
    z = Tensor(logits, requires_grad=True)
    loss = -z.log_softmax()[np.arange(5), labels].mean()
    (g,) = ag.grad(loss, z, create_graph=True)
    (hv,) = ag.grad((g * v).sum(), z)
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(g.data, (p - np.eye(3)[labels]) / 5, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(hv.data, (p * v - p * (p * v).sum(axis=1, keepdims=True)) / 5, rtol=1e-10, atol=1e-14)
