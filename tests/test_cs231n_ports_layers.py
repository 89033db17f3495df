"""Stanford cs231n, assignment 2, its fully connected parts, ported step by step (see test_cs231n_ports.py):
the assignment's numpy ``layers.py`` (tests/cs231n_layers.py) with its hand-derived backward passes is the
ORACLE, and nn's layers (or the same forward in Tensor ops) are differentiated by the engine; forward
values and gradients must agree to ~1e-12 (float64), the notebooks' centered-difference checks
(``eval_numerical_gradient_array``) agree too, and where torch is installed torch's values as well.
FullyConnectedNet, the convolutional parts, the update rules and the overfitting check are in
test_cs231n_ports_nets.py.

Ported: ``affine_forward/backward`` (the notebook's printed outputs), ``relu``, the ``affine_relu``
sandwich, ``softmax_loss`` / ``svm_loss`` (the multiclass hinge on scores), inverted dropout (train vs
test), ``batchnorm_forward`` (train / test modes, running averages) with ``batchnorm_backward`` (node by
node) and ``batchnorm_backward_alt`` (the simplified closed form) as the oracles for nn.BatchNorm1d's
engine gradient, ``layernorm_forward/backward`` for nn.LayerNorm, ``spatial_batchnorm`` (reshape to
(N*H*W, C)) for nn.BatchNorm2d, ``spatial_groupnorm`` for nn.GroupNorm (which nn lacked: added for this
port, as PyTorch's ``nn.GroupNorm``).

Where cs231n's conventions differ from PyTorch's (and so from nn's), each is converted, not hidden:
- dropout's ``p`` is the probability of KEEPING a unit in cs231n, of dropping it in nn / torch: cs231n
  ``p = 0.7`` is ``nn.Dropout(0.3)``;
- batchnorm's ``momentum`` weighs the OLD running average in cs231n (``momentum * running + (1 -
  momentum) * batch``, 0.9), the new batch in nn / torch (0.1): cs231n 0.9 is ``BatchNorm1d(momentum=0.1)``;
- cs231n's running variance starts at 0 and averages the biased batch variance, nn's (as PyTorch's)
  starts at 1 and averages the unbiased one (times n / (n - 1)): the test asserts exactly that;
- weights are (in, out) in cs231n (``x @ w``), (out, in) in nn.Linear (``x @ weight.T``): copied transposed.

The assignment's forward code itself runs on Tensors (numpy calls on a Tensor are recorded), except where
it differs by design: ``x.dot(w)`` of matrices is ``x @ w`` (or ``np.dot(x, w)``), since ``Tensor.dot`` is
PyTorch's dot of two 1-d tensors and says so; a loss that computes its gradient in the forward
(``dx[np.arange(N), y] -= 1``) is refused in place on a recorded tensor (the engine computes it instead);
``x.var(axis=0)`` on a Tensor is PyTorch's unbiased variance (as ``torch.Tensor.var``), numpy's biased one
is ``np.var(x, axis=0)`` (the spelling tests/cs231n_layers.py uses, the same for arrays and Tensors);
and the naive conv / pool loops write into ``np.zeros`` arrays, which hold values, not a graph (build with
``ag.stack``, or use ``F.conv2d`` / ``F.max_pool2d``, as test_cs231n_ports_nets.py does).
"""

import numpy as np
import pytest
from cs231n_helpers import as_numpy, eval_numerical_gradient, eval_numerical_gradient_array, rel_error
from cs231n_layers import (
    affine_backward,
    affine_forward,
    affine_relu_backward,
    affine_relu_forward,
    batchnorm_backward,
    batchnorm_backward_alt,
    batchnorm_forward,
    dropout_backward,
    dropout_forward,
    layernorm_backward,
    layernorm_forward,
    relu_backward,
    relu_forward,
    softmax_loss,
    spatial_batchnorm_backward,
    spatial_batchnorm_forward,
    spatial_groupnorm_backward,
    spatial_groupnorm_forward,
    svm_loss,
)

import autograd_core as ag
import nn
import nn.functional as F


# ---------------------------------------------------------------- the engine's side
def engine_vjp(f, inputs, dout):
    """f(*tensors) and the gradients of sum(f * dout) w.r.t. each input, by the engine's backward."""
    tensors = [ag.tensor(np.array(v, dtype=np.float64), requires_grad=True) for v in inputs]
    out = f(*tensors)
    (out * ag.tensor(dout)).sum().backward()
    return out.data, [t.grad for t in tensors]


def test_affine_forward_matches_the_notebook_and_backward_the_hand_derived_one():
    num_inputs, input_shape, output_dim = 2, (4, 5, 6), 3
    input_size, weight_size = num_inputs * np.prod(input_shape), output_dim * np.prod(input_shape)
    x = np.linspace(-0.1, 0.5, num=input_size).reshape(num_inputs, *input_shape)
    w = np.linspace(-0.2, 0.3, num=weight_size).reshape(np.prod(input_shape), output_dim)
    b = np.linspace(-0.3, 0.1, num=output_dim)
    out, _ = affine_forward(x, w, b)
    correct_out = np.array([[1.49834967, 1.70660132, 1.91485297], [3.25553199, 3.5141327, 3.77273342]])
    assert rel_error(out, correct_out) < 1e-9  # the notebook's "error should be around e-9 or less"
    # the engine: nn's functional linear (weight (out, in)), x flattened as the assignment reshapes it
    dout = np.random.default_rng(231).standard_normal((2, 3))
    engine_out, (dx, dw, db) = engine_vjp(lambda x, w, b: F.linear(x.reshape(2, -1), w.T, b), (x, w, b), dout)
    np.testing.assert_allclose(engine_out, out, rtol=1e-13)
    for got, want in zip((dx, dw, db), affine_backward(dout, (x, w, b))):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    numerical_dx = eval_numerical_gradient_array(lambda x: affine_forward(x, w, b)[0], x.copy(), dout)
    assert rel_error(numerical_dx, dx) < 1e-8


def test_relu_and_the_affine_relu_sandwich():
    x = np.linspace(-0.5, 0.5, num=12).reshape(3, 4)
    correct_out = np.array([
        [0.0, 0.0, 0.0, 0.0],
        [0.0, 0.0, 0.04545455, 0.13636364],
        [0.22727273, 0.31818182, 0.40909091, 0.5],
    ])  # fmt: skip
    assert rel_error(ag.relu(ag.tensor(x)).data, correct_out) < 5e-8  # the notebook's e-8
    rng = np.random.default_rng(231)
    x, w, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((12, 10)), rng.standard_normal(10)
    dout = rng.standard_normal((2, 10))
    out, cache = affine_relu_forward(x, w, b)
    assert 0 < (out == 0).sum() < out.size  # some units off: the ReLU's gate is exercised
    engine_out, grads = engine_vjp(lambda x, w, b: F.relu(x.reshape(2, -1) @ w + b), (x, w, b), dout)
    np.testing.assert_allclose(engine_out, out, rtol=1e-13)
    for got, want in zip(grads, affine_relu_backward(dout, cache)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def hinge_loss_tensors(x, y):
    """svm_loss in Tensor ops: the margins of the wrong classes, clamped at 0, summed, over N."""
    margins = (x - x[ag.arange(x.shape[0]), y].reshape(-1, 1) + 1.0).clamp(min=0)
    return ag.where(ag.arange(x.shape[1]) == y.reshape(-1, 1), 0.0, margins).sum() / x.shape[0]


@pytest.mark.parametrize("loss", ["softmax", "svm"])
def test_softmax_and_svm_loss_on_scores(loss):
    rng = np.random.default_rng(231)
    num_classes, num_inputs = 10, 50
    x, y = 0.001 * rng.standard_normal((num_inputs, num_classes)), rng.integers(num_classes, size=num_inputs)
    oracle, engine = (softmax_loss, F.cross_entropy) if loss == "softmax" else (svm_loss, hinge_loss_tensors)
    want, dx = oracle(x, y)
    # the notebook's sanity values: ~2.3 (= log 10) for softmax, ~9 (the 9 wrong classes' deltas) for the SVM
    assert want == pytest.approx(np.log(10) if loss == "softmax" else 9.0, abs=0.01)
    scores = ag.tensor(x, requires_grad=True)
    got = engine(scores, ag.tensor(y))
    got.backward()
    assert got.item() == pytest.approx(want, rel=1e-13)
    np.testing.assert_allclose(scores.grad, dx, rtol=1e-12, atol=1e-16)
    numerical = eval_numerical_gradient(lambda x: oracle(x, y)[0], x.copy())
    assert rel_error(numerical, scores.grad) < 1e-7


def test_dropout_train_mean_and_kept_fraction_as_the_notebook_and_test_mode_is_the_identity():
    np.random.seed(231)
    x = np.random.randn(500, 500) + 10
    for keep in [0.25, 0.4, 0.7]:  # cs231n's p: the probability to keep a unit
        out, _ = dropout_forward(x, {"mode": "train", "p": keep})
        engine = nn.Dropout(1 - keep, seed=0)  # nn's p: the probability to drop it
        engine_out = engine(ag.tensor(x)).data
        for train_out in (out, engine_out):
            assert train_out.mean() == pytest.approx(x.mean(), rel=0.01)  # inverted: the mean is kept
            assert (train_out == 0).mean() == pytest.approx(1 - keep, abs=0.01)
            kept = train_out != 0
            np.testing.assert_allclose(train_out[kept], x[kept] / keep, rtol=1e-15)
        test_out, _ = dropout_forward(x, {"mode": "test", "p": keep})
        np.testing.assert_array_equal(engine.eval()(ag.tensor(x)).data, test_out)
        np.testing.assert_array_equal(test_out, x)


def test_dropout_backward_is_the_mask():
    rng = np.random.default_rng(231)
    x, dout = rng.standard_normal((10, 10)) + 10, rng.standard_normal((10, 10))
    keep = 0.2
    mask = F.dropout(np.ones_like(x), 1 - keep, generator=123).data  # the engine's mask (an int seed repeats it)
    out, (dx,) = engine_vjp(lambda x: F.dropout(x, 1 - keep, generator=123), (x,), dout)
    np.testing.assert_array_equal(out, x * mask)
    np.testing.assert_allclose(dx, dropout_backward(dout, ({"mode": "train"}, mask)), rtol=1e-15)
    numerical = eval_numerical_gradient_array(lambda x: F.dropout(x, 1 - keep, generator=123).data, x.copy(), dout)
    assert rel_error(numerical, dx) < 1e-9


def batchnorm_layer(cls, gamma, beta, **kwargs):
    """An nn batchnorm layer with the assignment's gamma and beta as its weight and bias."""
    layer = cls(len(gamma), **kwargs)
    layer.weight.data, layer.bias.data = np.array(gamma, dtype=np.float64), np.array(beta, dtype=np.float64)
    return layer


def layer_vjp(layer, x, dout):
    """The layer's output and the engine's gradients of sum(out * dout) for x, weight (gamma), bias (beta)."""
    x = ag.tensor(x, requires_grad=True)
    layer.zero_grad()
    out = layer(x)
    (out * ag.tensor(dout)).sum().backward()
    return out.data, (x.grad, layer.weight.grad, layer.bias.grad)


def test_batchnorm_train_forward_and_running_averages():
    np.random.seed(231)
    N, D1, D2, D3 = 200, 50, 60, 3
    a = np.maximum(0, np.random.randn(N, D1).dot(np.random.randn(D1, D2))).dot(np.random.randn(D2, D3))
    gamma, beta = np.asarray([1.0, 2.0, 3.0]), np.asarray([11.0, 12.0, 13.0])
    bn_param = {"mode": "train"}
    out, _ = batchnorm_forward(a, gamma, beta, bn_param)
    # the notebook: "means should be close to beta and stds close to gamma"
    np.testing.assert_allclose(out.mean(axis=0), beta, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=0), gamma, rtol=1e-6)
    layer = batchnorm_layer(nn.BatchNorm1d, gamma, beta, momentum=1 - 0.9)  # cs231n's momentum 0.9
    np.testing.assert_allclose(layer(ag.tensor(a)).data, out, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(layer.running_mean, bn_param["running_mean"], rtol=1e-14)
    # cs231n starts the running variance at 0 and averages the biased variance; nn (as torch) at 1 and
    # the unbiased one: after one step, running = 0.9 * start + 0.1 * var * (n / (n - 1)) here
    var = a.var(axis=0)
    np.testing.assert_allclose(bn_param["running_var"], (1 - 0.9) * var, rtol=1e-14)
    np.testing.assert_allclose(layer.running_var, 0.9 + 0.1 * var * N / (N - 1), rtol=1e-14)


def test_batchnorm_test_mode_uses_the_running_averages():
    np.random.seed(231)
    N, D1, D2, D3 = 200, 50, 60, 3
    W1, W2 = np.random.randn(D1, D2), np.random.randn(D2, D3)
    bn_param, gamma, beta = {"mode": "train"}, np.ones(D3), np.zeros(D3)
    layer = batchnorm_layer(nn.BatchNorm1d, gamma, beta, momentum=0.1)
    for _ in range(50):  # the notebook: run the training forward many times to warm up the averages
        a = np.maximum(0, np.random.randn(N, D1).dot(W1)).dot(W2)
        batchnorm_forward(a, gamma, beta, bn_param)
        layer(ag.tensor(a))
    np.testing.assert_allclose(layer.running_mean, bn_param["running_mean"], rtol=1e-12)
    bn_param["mode"] = "test"
    a = np.maximum(0, np.random.randn(N, D1).dot(W1)).dot(W2)
    out, _ = batchnorm_forward(a, gamma, beta, bn_param)
    engine_out = layer.eval()(ag.tensor(a)).data
    for test_out in (out, engine_out):  # "means should be close to zero and stds close to one", noisily
        np.testing.assert_allclose(test_out.mean(axis=0), 0, atol=0.15)
        np.testing.assert_allclose(test_out.std(axis=0), 1, atol=0.15)
    # given the same running statistics the two test-mode forwards are the same function
    bn_param.update(running_mean=layer.running_mean.copy(), running_var=layer.running_var.copy())
    np.testing.assert_allclose(engine_out, batchnorm_forward(a, gamma, beta, bn_param)[0], rtol=1e-13)


@pytest.mark.parametrize("kind", ["batchnorm", "layernorm"])
def test_normalization_backward_alt_is_the_engines_gradient(kind):
    np.random.seed(231)
    N, D = 4, 5
    x, gamma, beta = 5 * np.random.randn(N, D) + 12, np.random.randn(D), np.random.randn(D)
    dout = np.random.randn(N, D)
    if kind == "batchnorm":
        forward, backward = lambda x, g, b: batchnorm_forward(x, g, b, {"mode": "train"}), batchnorm_backward_alt
        layer = batchnorm_layer(nn.BatchNorm1d, gamma, beta)
    else:
        forward, backward = lambda x, g, b: layernorm_forward(x, g, b, {}), layernorm_backward
        layer = batchnorm_layer(nn.LayerNorm, gamma, beta)
    out, cache = forward(x, gamma, beta)
    engine_out, grads = layer_vjp(layer, x, dout)
    np.testing.assert_allclose(engine_out, out, rtol=1e-13, atol=1e-14)
    for name, got, want in zip(("dx", "dgamma", "dbeta"), grads, backward(dout, cache)):
        np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-14, err_msg=name)
    if kind == "batchnorm":  # the notebook: the staged backward and the simplified one agree ("dx difference")
        for got, want in zip(grads, batchnorm_backward(dout, cache)):
            np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-14)
    # the notebook's numerical check ("dx error: ~1e-9" or less)
    numerical = [
        eval_numerical_gradient_array(lambda v: forward(v, gamma, beta)[0], x.copy(), dout),
        eval_numerical_gradient_array(lambda v: forward(x, v, beta)[0], gamma.copy(), dout),
        eval_numerical_gradient_array(lambda v: forward(x, gamma, v)[0], beta.copy(), dout),
    ]
    for got, want in zip(grads, numerical):
        assert rel_error(got, want) < 1e-8
    torch = pytest.importorskip("torch")
    tx, tg, tb = (torch.tensor(v, requires_grad=True) for v in (x, gamma, beta))
    if kind == "batchnorm":
        tout = torch.nn.functional.batch_norm(tx, None, None, tg, tb, training=True, eps=1e-5)
    else:
        tout = torch.nn.functional.layer_norm(tx, (D,), tg, tb, eps=1e-5)
    (tout * torch.tensor(dout)).sum().backward()
    for got, t in zip(grads, (tx, tg, tb)):
        np.testing.assert_allclose(got, as_numpy(t.grad), rtol=1e-11, atol=1e-14)


def test_spatial_batchnorm_is_batchnorm2d_forward_backward_and_running_averages():
    np.random.seed(231)
    N, C, H, W = 2, 3, 4, 5
    x, gamma, beta = 4 * np.random.randn(N, C, H, W) + 10, np.random.randn(C), np.random.randn(C)
    dout = np.random.randn(N, C, H, W)
    bn_param = {"mode": "train"}
    out, cache = spatial_batchnorm_forward(x, gamma, beta, bn_param)
    layer = batchnorm_layer(nn.BatchNorm2d, gamma, beta, momentum=0.1)
    engine_out, grads = layer_vjp(layer, x, dout)
    np.testing.assert_allclose(engine_out, out, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(layer.running_mean, bn_param["running_mean"], rtol=1e-14)
    for name, got, want in zip(("dx", "dgamma", "dbeta"), grads, spatial_batchnorm_backward(dout, cache)):
        np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-14, err_msg=name)
    forward = lambda v: spatial_batchnorm_forward(v, gamma, beta, {"mode": "train"})[0]  # noqa: E731
    # the notebook prints ~1e-7 here: the smallest of the 120 entries lose digits to the differences' rounding
    assert rel_error(eval_numerical_gradient_array(forward, x.copy(), dout), grads[0]) < 1e-5
    layer.eval()
    bn_param["mode"] = "test"
    bn_param.update(running_mean=layer.running_mean.copy(), running_var=layer.running_var.copy())
    np.testing.assert_allclose(layer(ag.tensor(x)).data, spatial_batchnorm_forward(x, gamma, beta, bn_param)[0])


def test_spatial_groupnorm_is_nn_groupnorm_forward_and_backward():
    np.random.seed(231)
    N, C, H, W, G = 2, 6, 4, 5, 2
    x, dout = 4 * np.random.randn(N, C, H, W) + 10, np.random.randn(N, C, H, W)
    gamma, beta = np.random.randn(1, C, 1, 1), np.random.randn(1, C, 1, 1)
    out, cache = spatial_groupnorm_forward(x, gamma, beta, G, {})
    grouped = out.reshape(N, G, -1)  # the notebook: with gamma 1 and beta 0 each group has mean 0 and std 1
    unit, _ = spatial_groupnorm_forward(x, np.ones_like(gamma), np.zeros_like(beta), G, {})
    np.testing.assert_allclose(unit.reshape(N, G, -1).mean(axis=2), 0, atol=1e-13)
    np.testing.assert_allclose(unit.reshape(N, G, -1).std(axis=2), 1, rtol=1e-5)
    assert not np.allclose(grouped.std(axis=2), 1)
    layer = batchnorm_layer(lambda c: nn.GroupNorm(G, c), gamma.reshape(-1), beta.reshape(-1))
    engine_out, grads = layer_vjp(layer, x, dout)
    np.testing.assert_allclose(engine_out, out, rtol=1e-13, atol=1e-13)
    for name, got, want in zip(("dx", "dgamma", "dbeta"), grads, spatial_groupnorm_backward(dout, cache)):
        np.testing.assert_allclose(got, want.reshape(got.shape), rtol=1e-11, atol=1e-13, err_msg=name)
    forward = lambda v: spatial_groupnorm_forward(v, gamma, beta, G, {})[0]  # noqa: E731
    assert rel_error(eval_numerical_gradient_array(forward, x.copy(), dout), grads[0]) < 1e-5
    assert np.array_equal(layer.eval()(ag.tensor(x)).data, engine_out)  # no running statistics: eval is the same
    with pytest.raises(ValueError, match=r"GroupNorm: num_channels \(6\) must be divisible by num_groups \(4\)"):
        nn.GroupNorm(4, 6)
    with pytest.raises(
        ValueError, match=r"GroupNorm\(2, 6\): expected an input of shape \(N, 6, \.\.\.\), got \(6, 4, 5\)"
    ):
        layer(ag.tensor(x[0]))
    torch = pytest.importorskip("torch")
    torch_layer = torch.nn.GroupNorm(G, C, dtype=torch.float64)
    with torch.no_grad():
        torch_layer.weight.copy_(torch.tensor(gamma.reshape(-1)))
        torch_layer.bias.copy_(torch.tensor(beta.reshape(-1)))
    tx = torch.tensor(x, requires_grad=True)
    tout = torch_layer(tx)
    (tout * torch.tensor(dout)).sum().backward()
    np.testing.assert_allclose(engine_out, as_numpy(tout), rtol=1e-12, atol=1e-13)
    for got, want in zip(grads, (tx.grad, torch_layer.weight.grad, torch_layer.bias.grad)):
        np.testing.assert_allclose(got, as_numpy(want), rtol=1e-11, atol=1e-13)


def test_the_assignments_own_forward_code_runs_on_tensors_and_the_engine_gives_its_backward():
    """numpy calls on Tensors are recorded ops, so layers.py's forward functions, unchanged, take Tensors: the
    engine's gradient of the assignment's own batchnorm / layernorm / spatial batchnorm / relu / dropout code
    equals the assignment's hand-derived backward. (affine_forward's ``x.reshape(N, -1).dot(w)`` is refused:
    Tensor.dot is PyTorch's 1-d dot; see the module docstring.)"""
    np.random.seed(231)
    x, gamma, beta = 3 * np.random.randn(6, 4) + 2, np.random.randn(4), np.random.randn(4)
    images, dout = np.random.randn(2, 4, 3, 3), np.random.randn(6, 4)
    cases = {
        "batchnorm": (lambda x, g, b: batchnorm_forward(x, g, b, {"mode": "train"}), batchnorm_backward_alt, x),
        "layernorm": (lambda x, g, b: layernorm_forward(x, g, b, {}), layernorm_backward, x),
        "spatial": (
            lambda x, g, b: spatial_batchnorm_forward(x, g, b, {"mode": "train"}),
            spatial_batchnorm_backward,
            images,
        ),
    }
    for name, (forward, backward, value) in cases.items():
        upstream = dout if value is x else np.random.randn(*value.shape)
        out, grads = engine_vjp(lambda *t, forward=forward: forward(*t)[0], (value, gamma, beta), upstream)
        want_out, cache = forward(value, gamma, beta)
        np.testing.assert_allclose(out, want_out, rtol=1e-13, atol=1e-14, err_msg=name)
        for got, want in zip(grads, backward(upstream, cache)):
            np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-14, err_msg=name)
    out, (dx,) = engine_vjp(lambda x: relu_forward(x - 2)[0], (x,), dout)
    np.testing.assert_array_equal(dx, relu_backward(dout, x - 2))
    np.random.seed(0)
    out, (dx,) = engine_vjp(lambda x: dropout_forward(x, {"mode": "train", "p": 0.5, "seed": 7})[0], (x,), dout)
    _, cache = dropout_forward(x, {"mode": "train", "p": 0.5, "seed": 7})  # the same seed: the same mask
    np.testing.assert_array_equal(dx, dropout_backward(dout, cache))
    with pytest.raises(ValueError, match=r"dot: needs two 1-d tensors .* use @ for matrices"):
        affine_forward(ag.tensor(x), ag.tensor(gamma.reshape(4, 1)), ag.tensor(beta[:1]))
    # the variance: np.var(t) is numpy's (divide by n), the method t.var() PyTorch's (n - 1), as torch.Tensor.var
    np.testing.assert_allclose(np.var(ag.tensor(x), axis=0).data, x.var(axis=0), rtol=1e-15)
    np.testing.assert_allclose(ag.tensor(x).var(axis=0).data, x.var(axis=0, ddof=1), rtol=1e-15)
