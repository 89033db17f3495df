"""Goodfellow, Bengio & Courville, *Deep Learning*, chapter 7 (regularisation), ported on the book's own
quadratic J(w) = 1/2 (w - w*)^T H (w - w*): 7.1.1 L2's solution w~ = (H + alpha I)^-1 H w* (each eigen-component
of w* rescaled by lambda_i / (lambda_i + alpha)) reached by training with ``weight_decay``; 7.1.2 L1's
soft-thresholding for a diagonal H; 7.8 early stopping's closed form w(tau) = [I - (I - eps Lambda)^tau] w* and
its equivalence to L2 with alpha ~ 1 / (tau eps), measured; 7.12 dropout's weight-scaling inference rule, exact
for a linear model and for softmax regression (the renormalised geometric mean), approximate with a hidden ReLU
layer (all 2^n masks enumerated: the ensemble is computed, not sampled).

Where the port differs from the book:
- ``weight_decay=alpha`` in ``nn.optim`` adds alpha w to the gradient, the gradient of the book's
  alpha/2 w^T w (eq. 7.2), so the book's alpha is our weight_decay as is.
- ``F.dropout`` is inverted dropout: it scales the kept units by 1/(1 - p) while training, so the weight
  scaling rule (multiply by 1 - p at test time) is already applied and evaluation is the identity.

What the port needed (fixed): nn's ``generator=``/``seed=`` (``F.dropout``, ``nn.init``, layers, samplers)
refused an ``ag.Generator``, the one ``ag.rand(generator=g)`` takes (torch's ``generator=`` takes a
torch.Generator); ``nn.init.as_generator`` now draws from its stream.
"""

import itertools

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core import Tensor

Q, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(4, 4)))
LAMBDAS = np.array([0.05, 0.5, 2.0, 10.0])
H = Q @ np.diag(LAMBDAS) @ Q.T
W_STAR = np.array([1.0, -2.0, 0.5, 3.0])


def J(w):
    d = w - Tensor(W_STAR)
    return 0.5 * (d @ Tensor(H) @ d)


def train(loss_fn, steps, lr, weight_decay=0.0, w0=None):
    w = Tensor(np.zeros(4) if w0 is None else w0, requires_grad=True)
    opt = nn.optim.SGD([w], lr=lr, weight_decay=weight_decay)
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(w).backward()
        opt.step()
    return w.data


# ---------------------------------------------------------------- 7.1.1 L2
def test_weight_decay_reaches_h_plus_alpha_inverse_h_w_star_rescaling_each_eigen_direction():
    alpha = 0.5
    w_tilde = np.linalg.solve(H + alpha * np.eye(4), H @ W_STAR)  # eq. 7.10
    # eq. 7.13: Q^T w~ = Lambda (Lambda + alpha I)^-1 Q^T w*: strong directions kept, weak ones shrunk
    np.testing.assert_allclose(Q.T @ w_tilde, LAMBDAS / (LAMBDAS + alpha) * (Q.T @ W_STAR), rtol=1e-12)
    trained = train(J, steps=2000, lr=0.15, weight_decay=alpha)
    np.testing.assert_allclose(trained, w_tilde, atol=1e-10)
    # the same minimum from the penalty written into the loss (J + alpha/2 w^T w), by the engine's gradient
    trained = train(lambda w: J(w) + alpha / 2 * (w * w).sum(), steps=2000, lr=0.15)
    np.testing.assert_allclose(trained, w_tilde, atol=1e-10)
    shrink = (Q.T @ w_tilde) / (Q.T @ W_STAR)
    np.testing.assert_allclose(shrink, [0.0909090909, 0.5, 0.8, 0.952380952], rtol=1e-8)


def test_l2_linear_regression_is_x_t_x_plus_alpha_i_inverse_x_t_y():
    """Eq. 7.17: w = (X^T X + alpha I)^-1 X^T y for the cost (Xw - y)^T (Xw - y) + 1/2 alpha w^T w ... here
    with the book's 1/2 in front of the squared error, the same minimiser."""
    rng = np.random.default_rng(1)
    X, y, alpha = rng.normal(size=(20, 4)), rng.normal(size=20), 3.0
    trained = train(lambda w: 0.5 * ((Tensor(X) @ w - Tensor(y)) ** 2).sum(), 3000, lr=0.02, weight_decay=alpha)
    np.testing.assert_allclose(trained, np.linalg.solve(X.T @ X + alpha * np.eye(4), X.T @ y), atol=1e-10)


# ---------------------------------------------------------------- 7.1.2 L1
def test_l1_with_a_diagonal_hessian_soft_thresholds_w_star():
    """Eq. 7.23: w_i = sign(w*_i) max(|w*_i| - alpha / H_ii, 0); the components with |w*_i| <= alpha / H_ii
    become exactly 0 (sparsity). Checked three ways: the subgradient optimality condition by the engine, plain
    (sub)gradient descent with l1_penalty, and the proximal step (which lands on the zeros exactly)."""
    h, alpha = np.array([1.0, 2.0, 0.5, 4.0]), 1.0
    w_star = np.array([3.0, 0.4, -0.2, -1.0])
    solution = np.sign(w_star) * np.maximum(np.abs(w_star) - alpha / h, 0)
    np.testing.assert_allclose(solution, [2.0, 0.0, 0.0, -0.75])

    def smooth(w):
        d = w - Tensor(w_star)
        return 0.5 * (Tensor(h) * d * d).sum()

    w = Tensor(solution, requires_grad=True)
    (g,) = ag.grad(smooth(w), w)
    zero = solution == 0
    np.testing.assert_allclose(g.data[~zero] + alpha * np.sign(solution[~zero]), 0, atol=1e-15)
    assert np.all(np.abs(g.data[zero]) <= alpha)  # 0 is in the subdifferential there
    lr = 1e-3
    sub = train(lambda w: smooth(w) + alpha * F.l1_penalty([w]), steps=20000, lr=lr)
    np.testing.assert_allclose(sub, solution, atol=2 * lr * alpha)  # hovers within a step of the kink
    prox = np.zeros(4)
    for _ in range(200):  # ISTA: a gradient step on the smooth part, then soft-threshold by lr alpha
        t = Tensor(prox, requires_grad=True)
        (g,) = ag.grad(smooth(t), t)
        z = prox - 0.2 * g.data
        prox = np.sign(z) * np.maximum(np.abs(z) - 0.2 * alpha, 0)
    np.testing.assert_allclose(prox, solution, atol=1e-12)
    assert np.array_equal(prox == 0, zero)


# ---------------------------------------------------------------- 7.8 early stopping as L2
def test_early_stopping_trajectory_has_the_closed_form_and_matches_l2_for_alpha_one_over_tau_eps():
    """Eq. 7.40: from w(0) = 0, Q^T w(tau) = [I - (I - eps Lambda)^tau] Q^T w*. Eq. 7.42 vs 7.41: the same
    filter as L2's [I - (Lambda + alpha I)^-1 alpha] when (I - eps Lambda)^tau = (Lambda + alpha I)^-1 alpha,
    approximately alpha = 1 / (tau eps) for small eps lambda_i and lambda_i / alpha."""
    eps, tau = 0.01, 200
    w_tau = train(J, steps=tau, lr=eps)
    early = 1 - (1 - eps * LAMBDAS) ** tau
    np.testing.assert_allclose(Q.T @ w_tau, early * (Q.T @ W_STAR), rtol=1e-12)
    alpha = 1 / (tau * eps)
    l2 = LAMBDAS / (LAMBDAS + alpha)
    np.testing.assert_allclose(Q.T @ train(J, 3000, lr=0.1, weight_decay=alpha), l2 * (Q.T @ W_STAR), rtol=1e-9)
    # measured: 0.0952 vs 0.0909 at lambda = 0.05 (eps lambda and lambda / alpha small: the book's regime),
    # the widest gap 0.18 at lambda = 2 = alpha (0.98 vs 0.80), and both ~ 1 at lambda = 10 (kept)
    assert early[0] == pytest.approx(l2[0], rel=0.05)
    assert np.abs(early - l2).max() < 0.2
    assert min(early[-1], l2[-1]) > 0.95
    # the book's derivation: log of both sides, log(1 - eps lambda) ~ -eps lambda, log(1 + lambda/alpha) ~
    # lambda / alpha, so tau ~ 1 / (eps alpha): exact in the limit; the gap shrinks with lambda / alpha
    gaps = np.abs(early - l2)
    assert gaps[0] < gaps[1] < gaps[2]
    # the order of the shrinkage is the same: longer training = weaker regularisation
    longer = 1 - (1 - eps * LAMBDAS) ** (4 * tau)
    assert np.all(longer >= early) and np.all(LAMBDAS / (LAMBDAS + alpha / 4) >= l2)


# ---------------------------------------------------------------- 7.12 dropout's weight scaling inference rule
def all_masks(n):
    return [np.array(m, dtype=float) for m in itertools.product((0.0, 1.0), repeat=n)]


def test_f_dropout_keeps_units_scaled_by_one_over_one_minus_p_and_evaluates_as_the_identity():
    x = Tensor(np.ones(10000))
    kept = F.dropout(x, p=0.5, generator=0).data
    assert set(np.unique(kept)) == {0.0, 2.0} and abs((kept > 0).mean() - 0.5) < 0.02
    np.testing.assert_array_equal(F.dropout(x, p=0.5, training=False).data, x.data)


def test_nn_takes_an_ag_generator_as_torch_takes_a_torch_generator():
    """Gap: ``ag.rand(generator=g)`` takes only an ``ag.Generator`` (torch.Generator's counterpart), but every
    ``generator=``/``seed=`` of nn refused it (TypeError). Now nn draws from its stream: two calls with the
    same g give different masks, as torch's, and a generator seeded 0 gives the masks of seed 0."""
    x = Tensor(np.ones(1000))
    g = ag.Generator().manual_seed(0)
    first, second = F.dropout(x, generator=g).data, F.dropout(x, generator=g).data
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(first, F.dropout(x, generator=0).data)
    w = Tensor(np.empty((3, 4)))
    nn.init.normal_(w, generator=ag.Generator(1))
    np.testing.assert_array_equal(w.data, nn.init.normal_(Tensor(np.empty((3, 4))), generator=1).data)
    layer = nn.Linear(4, 2, seed=ag.Generator(2))
    np.testing.assert_array_equal(layer.weight.data, nn.Linear(4, 2, seed=2).weight.data)
    with pytest.raises(TypeError, match=r"generator must be an ag\.Generator, a numpy\.random\.Generator, an int"):
        F.dropout(x, generator="0")


def test_weight_scaling_is_the_exact_ensemble_mean_of_a_linear_model():
    """y = W (m * x) / (1 - p) + b averaged over all 2^n masks m (each of probability 1/2^n at p = 1/2) is
    W x + b: what the model gives at evaluation, with dropout off."""
    rng = np.random.default_rng(2)
    layer = nn.Linear(6, 3, seed=0)
    x = rng.normal(size=6)
    ensemble = np.mean([layer(Tensor(m * x / 0.5)).data for m in all_masks(6)], axis=0)
    model = nn.Sequential(nn.Dropout(0.5), layer)
    model.eval()
    np.testing.assert_allclose(model(Tensor(x)).data, ensemble, rtol=1e-13)


def test_weight_scaling_is_the_renormalised_geometric_mean_for_softmax_regression():
    """Section 7.12 (eq. 7.58-7.66): for softmax regression the ensemble's normalised geometric mean
    p_ens(y | x) ~ (prod_m p(y | x, m))^(1/2^n) is exactly softmax of the evaluation logits; the arithmetic mean
    (a true bagging ensemble) is only close."""
    rng = np.random.default_rng(3)
    layer = nn.Linear(6, 4, seed=1)
    x = 2 * rng.normal(size=6)
    log_probs = np.array([F.log_softmax(layer(Tensor(m * x / 0.5)), dim=0).data for m in all_masks(6)])
    geometric = np.exp(log_probs.mean(axis=0))
    geometric /= geometric.sum()
    evaluation = F.softmax(layer(Tensor(x)), dim=0).data
    np.testing.assert_allclose(geometric, evaluation, rtol=1e-12)
    arithmetic = np.exp(log_probs).mean(axis=0)
    gap = np.abs(arithmetic - evaluation).max()
    assert 1e-3 < gap < 0.4  # close, not equal: measured 0.34 (on a probability)


def test_weight_scaling_is_only_approximate_with_a_hidden_relu_layer():
    rng = np.random.default_rng(4)
    hidden, out = nn.Linear(5, 8, seed=2), nn.Linear(8, 2, seed=3)
    x = rng.normal(size=5)
    ensemble = np.mean([out(F.relu(hidden(Tensor(m * x / 0.5)))).data for m in all_masks(5)], axis=0)
    evaluation = out(F.relu(hidden(Tensor(x)))).data
    gap = np.abs(ensemble - evaluation).max()
    assert 1e-3 < gap < 0.1 * np.abs(evaluation).max()  # measured 0.124 on outputs of size ~1.6: 8%
