"""Simon J.D. Prince's "Understanding Deep Learning" (udlbook), the chapter 11 notebooks (udlbook/udlbook,
Notebooks/Chap11) ported: the notebooks' hand-written derivatives are the ORACLE the engine's gradients and
``nn.BatchNorm1d`` must equal to ~1e-12 (float64). Chapters 6-9 are in test_udl_ports.py and
test_udl_ports_fitting.py.

Ported: 11.1 Shattered gradients (the Glorot-initialised 200-wide ReLU network's dy/dx by the notebook's
backward pass equals finite differences and the engine's gradient with respect to the input, for 256 inputs at
once; a shallow network's dy/dx is piecewise constant (flat regions) and a deep one's changes at almost every
input and shrinks in size, each measured; as the notebook itself remarks, its neighbouring gradients stay
correlated (measured 0.96 at 50 layers), so the paper's shattering is not reproduced, and not asserted);
11.2/11.3 residual networks and batch norm (the notebook's batch norm and its derivative by hand equal
``nn.BatchNorm1d``'s; a He-initialised residual net's activations' variance grows ~3x a block, and only
linearly in the depth with ``nn.BatchNorm1d`` starting each residual branch).

Where the notebook's spelling differs here: a column per example as in the notebooks (``W @ h + b``) for the
engine, rows for ``nn``; the legacy ``np.random.seed(1)`` draws come from ``np.random.RandomState(1)``; the
notebook's ReLU derivative [f >= 0] and the engine's split kink agree as no pre-activation is exactly 0 here.
"""

import numpy as np

import autograd_core as ag
import nn


# ---------------------------------------------------------------- 11.2/11.3 residual networks and batch norm
def batch_norm_by_hand(h, eps=1e-5):
    """The notebook's batch norm (rows = examples): subtract the batch mean, divide by the batch std."""
    return (h - h.mean(0)) / np.sqrt(h.var(0) + eps)


def batch_norm_backward_by_hand(h, dout, eps=1e-5):
    """Its derivative, written out: dh = (dout - mean(dout) - xhat mean(dout xhat)) / sqrt(var + eps)."""
    xhat = batch_norm_by_hand(h, eps)
    return (dout - dout.mean(0) - xhat * (dout * xhat).mean(0)) / np.sqrt(h.var(0) + eps)


def test_11_3_batch_norm_by_hand_is_nn_batchnorm1d_values_and_gradients():
    rng = np.random.default_rng(11)
    h, dout = rng.normal(3.0, 2.0, size=(32, 5)), rng.normal(size=(32, 5))
    x = ag.tensor(h, requires_grad=True)
    out = nn.BatchNorm1d(5, affine=False)(x)
    out.backward(dout)
    np.testing.assert_allclose(out.data, batch_norm_by_hand(h), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(x.grad, batch_norm_backward_by_hand(h, dout), rtol=1e-12, atol=1e-12)


def residual_net(blocks, width, batch_norm, seed=0):
    """K residual blocks h <- h + Omega_2 ReLU[Omega_1 (BN) h], He-initialised, no biases (the notebook's)."""
    generator = np.random.default_rng(seed)
    branches = []
    for _ in range(blocks):
        first, second = nn.Linear(width, width, bias=False), nn.Linear(width, width, bias=False)
        for linear in (first, second):
            nn.init.kaiming_normal_(linear.weight, generator=generator)
        layers = [first, nn.ReLU(), second]
        branches.append(
            nn.Sequential(nn.BatchNorm1d(width, affine=False), *layers) if batch_norm else nn.Sequential(*layers)
        )
    return branches


def residual_variances(branches, x):
    """The variance of the activations after each block, and of the engine's gradient at the input."""
    x = ag.tensor(x, requires_grad=True)
    h, variances = x, []
    for branch in branches:
        h = h + branch(h)
        variances.append(float(h.data.var()))
    (h.sum() / len(h.data)).backward()
    return np.array(variances), float(x.grad.var())


def test_11_2_residual_variance_grows_geometrically_without_batch_norm_and_linearly_with_it():
    K, D = 16, 64
    x = np.random.default_rng(1).normal(size=(256, D))  # variance 1 at the input
    plain, plain_grad = residual_variances(residual_net(K, D, batch_norm=False), x)
    normed, normed_grad = residual_variances(residual_net(K, D, batch_norm=True), x)
    growth = plain[1:] / plain[:-1]
    # measured ~3x a block (He: the branch adds 2 var(h)), 3e7 after 16 blocks
    assert np.all(growth > 2) and plain[-1] > 2.0**K
    steps = np.diff(np.concatenate([[1.0], normed]))
    # each block adds the branch's variance, ~2 (BN: 1, He's ReLU layer keeps it, He's last layer doubles it):
    # linear in K (measured steps 1.2-3.6, mean ~2; 33 after 16 blocks)
    assert np.all((steps > 0.5) & (steps < 5)) and 1.5 < steps.mean() < 2.5 and normed[-1] < 3 * K
    assert plain_grad > 1e3 * normed_grad  # the gradients explode with the activations (measured 2e6x)


# ---------------------------------------------------------------- 11.1 shattered gradients
def glorot_network(K, D, seed=1):
    """The notebook's init_params: weights and biases N(0, 1/D), drawn in its order from np.random.seed(1)."""
    rng, scale = np.random.RandomState(seed), np.sqrt(1.0 / D)
    weights, biases = [None] * (K + 1), [None] * (K + 1)
    weights[0], weights[-1] = rng.normal(size=(D, 1)) * scale, rng.normal(size=(1, D)) * scale
    biases[0], biases[-1] = rng.normal(size=(D, 1)) * scale, rng.normal(size=(1, 1)) * scale
    for layer in range(1, K):
        weights[layer], biases[layer] = rng.normal(size=(D, D)) * scale, rng.normal(size=(D, 1)) * scale
    return weights, biases


def forward(x, weights, biases):
    h, fs, hs = x, [], [x]
    for w, b in zip(weights[:-1], biases[:-1]):
        fs.append(b + w @ h)
        h = fs[-1].clip(0.0)
        hs.append(h)
    return biases[-1] + weights[-1] @ h, fs


def input_gradient_by_hand(x, weights, biases):
    """The notebook's calc_input_output_gradient: dl/df_K = 1, back through Omega^T and [f >= 0] to dy/dx."""
    _, fs = forward(x, weights, biases)
    dl_df = np.ones((1, x.shape[1]))
    for layer in range(len(weights) - 1, -1, -1):
        dl_dh = weights[layer].T @ dl_df
        if layer > 0:
            dl_df = (fs[layer - 1] >= 0) * dl_dh
    return dl_dh


def engine_input_gradient(x, weights, biases):
    """The engine's dy/dx at every column at once: the columns never mix, so d(sum y)/dx is each dy_i/dx_i."""
    xt = ag.tensor(x, requires_grad=True)
    out, fs = forward(xt, [ag.tensor(w) for w in weights], [ag.tensor(b) for b in biases])
    out.sum().backward()
    assert min(np.abs(f.data).min() for f in fs) > 1e-12  # no input sits on a kink: the conventions agree
    return xt.grad


X_IN = np.arange(-2.0, 2.0, 4.0 / 256).reshape(1, -1)  # the notebook's 256 inputs


def test_11_1_the_notebook_s_input_gradient_equals_finite_differences_and_the_engine_s():
    weights, biases = glorot_network(3, 200)
    x = np.ones((1, 1))
    by_hand = input_gradient_by_hand(x, weights, biases)
    delta = 1e-6
    finite = (forward(x + delta, weights, biases)[0] - forward(x - delta, weights, biases)[0]) / (2 * delta)
    np.testing.assert_allclose(finite, by_hand, rtol=1e-6)
    for K in (1, 3, 24):
        weights, biases = glorot_network(K, 200)
        np.testing.assert_allclose(
            engine_input_gradient(X_IN, weights, biases), input_gradient_by_hand(X_IN, weights, biases),
            rtol=1e-12, atol=1e-14,
        )  # fmt: skip


def test_11_1_deep_networks_gradients_are_shattered_and_smaller():
    grads = {K: engine_input_gradient(X_IN, *glorot_network(K, 200))[0] for K in (1, 24, 50)}
    # a shallow net is piecewise linear with few kinks in [-2, 2]: neighbouring inputs often share dy/dx
    flat = {K: np.mean(np.isclose(np.diff(g), 0, atol=1e-12)) for K, g in grads.items()}
    assert flat[1] > 0.5 and flat[24] < 0.3 and flat[50] < 0.3  # measured 0.61, 0.16, 0.16
    # Glorot without the factor 2: each ReLU layer halves the gradient's variance, so it shrinks with depth
    size = {K: np.abs(g).mean() for K, g in grads.items()}
    assert size[24] < 1e-3 * size[1] and size[50] < 1e-3 * size[24]  # measured 1.9e-2, 8.6e-6, 8.0e-10
