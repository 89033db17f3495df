"""The engine's gradients of nn models equal the textbook delta rule, written here in numpy.

Forward: h^0 = x, a^l = h^{l-1} W^l.T + b^l, h^l = g(a^l).
Backward: delta^L = dE/da^L (y_hat - t for the matching output/loss pairs),
delta^l = (delta^{l+1} W^{l+1}) * g'(a^l), dE/dW^l = delta^l.T h^{l-1}, dE/db^l = sum_n delta^l.
The oracle never calls the engine; nn's layers and losses have no backward of their own.
"""

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core import Tensor

TOL = dict(rtol=1e-10, atol=1e-13)


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


DERIVATIVES = {  # g'(a) from h = g(a), the seeds' closed forms
    "sigmoid": lambda a, h: h * (1 - h),
    "tanh": lambda a, h: 1 - h * h,
    "relu": lambda a, h: (a > 0).astype(float),
}
FUNCTIONS = {"sigmoid": sigmoid, "tanh": np.tanh, "relu": lambda a: np.maximum(a, 0)}


def weights_of(model):
    layers = [m for m in model.modules() if isinstance(m, nn.Linear)]
    return [(layer.weight.data, layer.bias.data) for layer in layers]


def delta_rule(weights, x, activation, output_delta):
    """Textbook backprop: returns [(dW, db)] per layer. ``output_delta(y_hat_pre, y_hat)`` gives delta^L."""
    hs, activations = [x], []
    for i, (W, b) in enumerate(weights):
        a = hs[-1] @ W.T + b
        activations.append(a)
        last = i == len(weights) - 1
        hs.append(a if last else FUNCTIONS[activation](a))
    delta = output_delta(activations[-1])
    grads = []
    for layer in reversed(range(len(weights))):
        W, _ = weights[layer]
        grads.append((delta.T @ hs[layer], delta.sum(axis=0)))
        if layer:
            delta = (delta @ W) * DERIVATIVES[activation](activations[layer - 1], hs[layer])
    return grads[::-1]


def engine_grads(model):
    return [(layer.weight.grad, layer.bias.grad) for layer in model.modules() if isinstance(layer, nn.Linear)]


def assert_same(engine, oracle):
    assert len(engine) == len(oracle)
    for (dW, db), (oW, ob) in zip(engine, oracle):
        np.testing.assert_allclose(dW, oW, **TOL)
        np.testing.assert_allclose(db, ob, **TOL)


def test_sigmoid_mlp_with_bce_matches_delta_rule():
    """Sigmoid units, sigmoid output, binary cross-entropy with bias (the seeds' network):
    delta^L = (y_hat - t) / N for the mean."""
    rng = np.random.default_rng(0)
    model = nn.MLP([4, 5, 3, 2], activation="sigmoid", output_activation="sigmoid", seed=1)
    x, t = rng.normal(size=(7, 4)), rng.integers(0, 2, size=(7, 2)).astype(float)
    F.binary_cross_entropy(model(x), t).backward()
    oracle = delta_rule(weights_of(model), x, "sigmoid", lambda a: (sigmoid(a) - t) / t.size)
    assert_same(engine_grads(model), oracle)


def test_softmax_cross_entropy_mlp_matches_delta_rule():
    """ReLU hidden layers, softmax + cross-entropy: delta^L = (softmax(a) - e_l) / N."""
    rng = np.random.default_rng(1)
    model = nn.MLP([6, 8, 5, 4], activation="relu", seed=2)
    x, labels = rng.normal(size=(9, 6)), rng.integers(0, 4, size=9)

    def output_delta(a):
        softmax = np.exp(a - a.max(1, keepdims=True))
        softmax /= softmax.sum(1, keepdims=True)
        return (softmax - np.eye(4)[labels]) / len(labels)

    F.cross_entropy(model(x), labels).backward()
    assert_same(engine_grads(model), delta_rule(weights_of(model), x, "relu", output_delta))


def test_half_sum_of_squares_mlp_matches_delta_rule():
    """Tanh hidden layers, linear output, E = 1/2 sum (y - t)^2: delta^L = y_hat - t."""
    rng = np.random.default_rng(2)
    model = nn.MLP([3, 6, 2], activation="tanh", seed=3)
    x, t = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    (0.5 * F.mse_loss(model(x), t, reduction="sum")).backward()
    assert_same(engine_grads(model), delta_rule(weights_of(model), x, "tanh", lambda a: a - t))


@pytest.mark.parametrize("reduction, scale", [("sum", 1.0), ("mean", 1 / 6)])
def test_softmax_cross_entropy_output_gradient_is_y_hat_minus_e_l(reduction, scale):
    rng = np.random.default_rng(3)
    logits = Tensor(rng.normal(size=(6, 5)) * 3, requires_grad=True)
    labels = rng.integers(0, 5, size=6)
    F.cross_entropy(logits, labels, reduction=reduction).backward()
    y_hat = np.exp(logits.data) / np.exp(logits.data).sum(1, keepdims=True)
    np.testing.assert_allclose(logits.grad, (y_hat - np.eye(5)[labels]) * scale, **TOL)


def test_one_hot_targets_give_the_same_gradient_as_indices():
    rng = np.random.default_rng(4)
    data, labels = rng.normal(size=(4, 3)), np.array([2, 0, 1, 2])
    by_index = Tensor(data, requires_grad=True)
    by_one_hot = Tensor(data, requires_grad=True)
    F.cross_entropy(by_index, labels).backward()
    F.cross_entropy(by_one_hot, np.eye(3)[labels]).backward()
    np.testing.assert_allclose(by_one_hot.grad, by_index.grad, **TOL)


def test_l1_and_l2_penalty_gradients_are_sign_and_twice_w():
    rng = np.random.default_rng(5)
    W = Tensor(rng.normal(size=(3, 4)), requires_grad=True)
    b = Tensor(np.array([0.5, -2.0, 0.0]), requires_grad=True)
    F.l1_penalty([W, b]).backward()
    np.testing.assert_array_equal(W.grad, np.sign(W.data))
    np.testing.assert_array_equal(b.grad, np.sign(b.data))  # includes sign(0) = 0 (abs'(0) = 0)
    W.zero_grad(), b.zero_grad()
    F.l2_penalty([W, b]).backward()
    np.testing.assert_allclose(W.grad, 2 * W.data, **TOL)
    np.testing.assert_allclose(b.grad, 2 * b.data, **TOL)


def test_penalties_accept_a_module_and_add_to_the_delta_rule_gradient():
    """Weight decay lam * sum W^2 adds 2 lam W to the delta rule's dE/dW (and the biases too:
    the penalty covers every parameter it is given)."""
    rng = np.random.default_rng(6)
    model = nn.MLP([3, 4, 2], activation="tanh", seed=4)
    x, t = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    lam = 0.1
    (0.5 * F.mse_loss(model(x), t, reduction="sum") + lam * F.l2_penalty(model)).backward()
    oracle = delta_rule(weights_of(model), x, "tanh", lambda a: a - t)
    with_penalty = [(dW + 2 * lam * W, db + 2 * lam * b) for (dW, db), (W, b) in zip(oracle, weights_of(model))]
    assert_same(engine_grads(model), with_penalty)


def test_nn_modules_record_no_hand_written_backward():
    """Every op in an nn model's graph is an engine primitive: nn adds none of its own."""
    model = nn.MLP([3, 4, 2], seed=0)
    loss = F.cross_entropy(model(np.ones((2, 3))), np.array([0, 1]))
    ops = {t.op for t in ag.walk(loss) if t.op is not None}
    assert ops <= set(ag.PRIMITIVES)
    assert "linear" in ops and "relu" in ops
