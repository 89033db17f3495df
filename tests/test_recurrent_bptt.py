"""Torch-free oracles for the recurrent layers' gradients: finite differences (ag.gradcheck, float64)
through a few unrolled steps, and the textbook BPTT delta recursion for a 1-layer tanh RNN."""

import numpy as np
import pytest

import autograd_core as ag
import nn


def with_parameters(model, names, values):
    """Point the model's parameters named ``names`` at ``values`` (gradcheck passes fresh leaves)."""
    for name, value in zip(names, values):
        setattr(model, name, value)
    return model


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_gradcheck_of_a_small_layer_over_three_steps(kind, bidirectional):
    model = getattr(nn, kind)(2, 3, num_layers=2, bidirectional=bidirectional, seed=0)
    names = [name for name, _ in model.named_parameters()]
    rng = np.random.default_rng(1)
    x = ag.Tensor(rng.standard_normal((3, 2, 2)), requires_grad=True)  # 3 steps, batch of 2
    h0 = ag.Tensor(rng.standard_normal((2 * model.directions, 2, 3)), requires_grad=True)
    params = [ag.Tensor(p.data.copy(), requires_grad=True) for p in model.parameters()]

    def run(x, h0, *params):
        layer = with_parameters(model, names, params)
        output, state = layer(x, (h0, h0 * 0.5) if kind == "LSTM" else h0)
        return output, *(state if kind == "LSTM" else (state,))

    assert ag.gradcheck(run, [x, h0, *params])


@pytest.mark.parametrize("kind", ["RNNCell", "LSTMCell", "GRUCell"])
def test_gradcheck_of_a_cell_unrolled_three_steps(kind):
    cell = getattr(nn, kind)(2, 3, seed=0)
    names = [name for name, _ in cell.named_parameters()]
    x = ag.Tensor(np.random.default_rng(0).standard_normal((3, 2, 2)), requires_grad=True)

    def run(x, *params):
        step, state = with_parameters(cell, names, params), None
        for t in range(3):
            state = step(x[t], state)
        return state

    assert ag.gradcheck(run, [x, *(ag.Tensor(p.data.copy(), requires_grad=True) for p in cell.parameters())])


def bptt_by_hand(x, W_ih, W_hh, b, dL_dh):
    """The delta recursion for h_t = tanh(W_ih x_t + W_hh h_{t-1} + b), h_0 = 0, given dL/dh_t for
    every t: delta_t = (dL/dh_t + W_hh^T delta_{t+1}) * (1 - h_t^2); dW_ih = sum delta_t x_t^T,
    dW_hh = sum delta_t h_{t-1}^T, db = sum delta_t, dx_t = W_ih^T delta_t. (A test oracle only.)"""
    steps, batch, _ = x.shape
    h = [np.zeros((batch, W_hh.shape[0]))]
    for t in range(steps):
        h.append(np.tanh(x[t] @ W_ih.T + h[-1] @ W_hh.T + b))
    dW_ih, dW_hh, db, dx = np.zeros_like(W_ih), np.zeros_like(W_hh), np.zeros_like(b), np.zeros_like(x)
    carried = np.zeros_like(h[0])  # W_hh^T delta_{t+1}, the gradient flowing back from the next step
    for t in reversed(range(steps)):
        delta = (dL_dh[t] + carried) * (1 - h[t + 1] ** 2)
        dW_ih += delta.T @ x[t]
        dW_hh += delta.T @ h[t]
        db += delta.sum(axis=0)
        dx[t] = delta @ W_ih
        carried = delta @ W_hh
    return np.stack(h[1:]), dW_ih, dW_hh, db, dx


def test_rnn_gradients_equal_the_textbook_bptt_delta_recursion():
    rnn = nn.RNN(3, 4, seed=0)
    rng = np.random.default_rng(0)
    x = ag.Tensor(rng.standard_normal((6, 2, 3)), requires_grad=True)
    dL_dh = rng.standard_normal((6, 2, 4))
    output, h_n = rnn(x)
    (output * dL_dh).sum().backward()
    h, dW_ih, dW_hh, db, dx = bptt_by_hand(
        x.data, rnn.weight_ih_l0.data, rnn.weight_hh_l0.data, rnn.bias_ih_l0.data + rnn.bias_hh_l0.data, dL_dh
    )
    np.testing.assert_allclose(output.data, h, rtol=1e-13, atol=1e-15)
    np.testing.assert_array_equal(h_n.data[0], output.data[-1])
    np.testing.assert_allclose(rnn.weight_ih_l0.grad, dW_ih, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(rnn.weight_hh_l0.grad, dW_hh, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(rnn.bias_ih_l0.grad, db, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(rnn.bias_hh_l0.grad, db, rtol=1e-12, atol=1e-14)  # both biases add alike
    np.testing.assert_allclose(x.grad, dx, rtol=1e-12, atol=1e-14)


def test_an_early_input_gets_its_gradient_only_through_the_recurrence():
    """Only the last output is scored: x_0 reaches it through five W_hh steps, so its gradient is
    nonzero, and it vanishes when W_hh is zero (no path through time)."""
    rnn = nn.RNN(2, 3, seed=0)
    x = ag.Tensor(np.ones((6, 1, 2)), requires_grad=True)
    rnn(x)[0][-1].sum().backward()
    assert np.abs(x.grad[0]).sum() > 1e-6
    rnn.weight_hh_l0.data[...] = 0
    x.grad = None
    rnn(x)[0][-1].sum().backward()
    np.testing.assert_array_equal(x.grad[:-1], 0)
