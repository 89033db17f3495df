"""Bishop, "Pattern Recognition and Machine Learning" (2006), section 5.7 "Bayesian Neural Networks", ported for
regression (5.7.1-5.7.2): the Laplace approximation's ingredients come from the engine's Hessian.

- The mode w_MAP of ln p(w | D) = -E(w) + const, E(w) = beta/2 sum (y - t)^2 + alpha/2 w^T w, found by
  Levenberg-Marquardt steps with ``ag.hessian`` (the book: any nonlinear optimizer; 5.4.2 names the method;
  for a model linear in w one Newton step is exact);
  A = -grad grad ln p(w | D) = alpha I + beta H (5.166) is positive definite there (what makes it a mode).
- The predictive variance sigma^2(x) = 1/beta + g^T A^-1 g (5.173), g = grad_w y(x, w_MAP) by ``ag.jacrev``: at
  least 1/beta, and larger away from the data (measured).
- The evidence (5.175) and the effective number of parameters gamma (5.179): checked where the Laplace
  approximation is exact, a model linear in w (basis functions), against the Gaussian marginal likelihood
  N(t | 0, beta^-1 I + alpha^-1 Phi Phi^T) written out in numpy, and alpha's re-estimation alpha = gamma /
  w_MAP^T w_MAP (5.178) at its fixed point is where the evidence's derivative in alpha is zero.
"""

import math

import numpy as np
import pytest
from bishop_helpers import book_hessian, n_weights, network

import autograd_core as ag
from autograd_core import Tensor

D, M, K = 1, 4, 1
ALPHA, BETA = 0.1, 25.0


def sinusoid(n, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (n, 1))
    return x, np.sin(2 * np.pi * x) + rng.normal(0, 0.2, (n, 1))


def find_mode(E, w, iterations=400):
    """Levenberg-Marquardt on E with its exact Hessian: w <- w - (H + lambda I)^-1 grad E, lambda shrunk after a
    step that lowers E and grown after one that does not, until the gradient vanishes."""
    damping = 1.0
    for _ in range(iterations):
        value, grad = ag.value_and_grad(E)(Tensor(w))
        if np.abs(grad.data).max() < 1e-9:
            return w
        H = ag.hessian(E)(Tensor(w)).data
        step = np.linalg.solve(H + damping * np.eye(len(w)), grad.data)
        if E(Tensor(w - step)).item() < value.item():
            w, damping = w - step, max(damping / 3, 1e-12)
        else:
            damping *= 4
    raise AssertionError(f"find_mode: no mode within {iterations} steps (|grad| = {np.abs(grad.data).max():.3g})")


def newton_mode(E, size):
    """The mode of a quadratic E: one Newton step from 0, w = -A^-1 grad E(0) (exact: A does not depend on w)."""
    zero = Tensor(np.zeros(size))
    return -np.linalg.solve(ag.hessian(E)(zero).data, ag.value_and_grad(E)(zero)[1].data)


def log_evidence(E, w_map, alpha, beta, n):
    """(5.175): ln p(D | alpha, beta) ~ -E(w_MAP) - 1/2 ln|A| + W/2 ln alpha + N/2 ln beta - N/2 ln 2 pi."""
    A = ag.hessian(E)(Tensor(w_map)).data
    W = len(w_map)
    logdet = np.linalg.slogdet(A)[1]
    return -E(Tensor(w_map)).item() - logdet / 2 + W / 2 * math.log(alpha) + n / 2 * math.log(beta * 0.5 / math.pi)


# ---------------------------------------------------------------- the network: mode, Hessian, predictive variance
def network_error(x, t, alpha=ALPHA, beta=BETA):
    return lambda w: beta / 2 * ((network(w, x, D, M, K) - t) ** 2).sum() + alpha / 2 * (w**2).sum()


def test_5_7_1_the_mode_has_a_positive_definite_hessian_alpha_i_plus_beta_h():
    x, t = sinusoid(20)
    E = network_error(x, t)
    w_map = find_mode(E, np.random.default_rng(1).normal(0, 1, n_weights(D, M, K)))
    A = ag.hessian(E)(Tensor(w_map)).data
    np.testing.assert_allclose(A, ALPHA * np.eye(len(w_map)) + BETA * book_hessian(w_map, x, t, D, M, K), rtol=1e-10)
    eigenvalues = np.linalg.eigvalsh(A)
    assert eigenvalues.min() > 0  # a mode: measured smallest 0.023
    H_data = np.linalg.eigvalsh(BETA * book_hessian(w_map, x, t, D, M, K))
    gamma = (H_data / (ALPHA + H_data)).sum()  # (5.179)
    assert gamma == pytest.approx(len(w_map) - ALPHA * np.trace(np.linalg.inv(A)), rel=1e-10)  # = W - alpha Tr A^-1
    assert 1 < gamma < len(w_map)  # well-determined parameters: measured 5.7 of W = 13


def test_5_7_1_the_predictive_variance_grows_away_from_the_data():
    x, t = sinusoid(20)
    E = network_error(x, t)
    w_map = find_mode(E, np.random.default_rng(1).normal(0, 1, n_weights(D, M, K)))
    A_inverse = np.linalg.inv(ag.hessian(E)(Tensor(w_map)).data)

    def variance(x0):  # (5.173): sigma^2 = 1/beta + g^T A^-1 g, g = dy/dw at w_MAP
        g = ag.jacrev(lambda w: network(w, np.array([[x0]]), D, M, K).reshape(()))(Tensor(w_map)).data
        return 1 / BETA + g @ A_inverse @ g

    inside, outside = variance(0.5), variance(1.5)
    assert inside > 1 / BETA and outside > 10 * inside  # measured 0.054 at x = 0.5, 2.76 at x = 1.5


# ---------------------------------------------------------------- the evidence, where Laplace is exact
def basis(x):
    """Nine Gaussian basis functions and a bias: y = w^T phi(x) is linear in w."""
    centres = np.linspace(0, 1, 9)
    return np.hstack([np.ones((len(x), 1)), np.exp(-((x - centres) ** 2) / (2 * 0.1**2))])


def linear_error(Phi, t, alpha, beta):
    return lambda w: beta / 2 * ((Phi @ w - t.ravel()) ** 2).sum() + alpha / 2 * (w**2).sum()


def test_5_7_the_laplace_evidence_is_exact_for_a_model_linear_in_w():
    x, t = sinusoid(25, seed=2)
    Phi = basis(x)
    for alpha in (0.01, 1.0, 30.0):
        E = linear_error(Phi, t, alpha, BETA)
        w_map = newton_mode(E, Phi.shape[1])
        C = np.eye(len(t)) / BETA + Phi @ Phi.T / alpha  # the marginal likelihood's covariance
        exact = -0.5 * (np.linalg.slogdet(2 * np.pi * C)[1] + t.ravel() @ np.linalg.solve(C, t.ravel()))
        assert log_evidence(E, w_map, alpha, BETA, len(t)) == pytest.approx(exact, rel=1e-10)


def test_5_7_2_alphas_re_estimation_fixed_point_maximises_the_evidence():
    x, t = sinusoid(25, seed=2)
    Phi = basis(x)
    alpha = 1.0
    for _ in range(100):  # (5.178): alpha = gamma / w_MAP^T w_MAP, gamma from beta H's eigenvalues (5.179)
        E = linear_error(Phi, t, alpha, BETA)
        w_map = newton_mode(E, Phi.shape[1])
        lam = np.linalg.eigvalsh(ag.hessian(E)(Tensor(w_map)).data - alpha * np.eye(len(w_map)))
        new = (lam / (alpha + lam)).sum() / (w_map @ w_map)
        if abs(new - alpha) < 1e-10 * alpha:
            break
        alpha = new

    def evidence(a):
        E = linear_error(Phi, t, a, BETA)
        return log_evidence(E, newton_mode(E, Phi.shape[1]), a, BETA, len(t))

    h = 1e-4
    slope = (evidence(alpha * math.exp(h)) - evidence(alpha * math.exp(-h))) / (2 * h)  # d ln p / d ln alpha
    assert abs(slope) < 1e-6 and evidence(alpha) > max(evidence(alpha * 3), evidence(alpha / 3))
