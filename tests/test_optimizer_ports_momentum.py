"""Gabriel Goh, "Why Momentum Really Works" (Distill, 2017), ported: gradient descent and momentum on the convex
quadratic f(w) = 1/2 w^T A w - b^T w, with the gradient from the engine and the steps by ``nn.optim.SGD``, measured
against the article's closed forms in the eigenbasis of A = Q diag(lambda_1..lambda_n) Q^T
(lambda_1 <= ... <= lambda_n, kappa = lambda_n / lambda_1):

- gradient descent: x_i^k = (1 - alpha lambda_i)^k x_i^0 for x = Q^T (w - w*); rate max_i |1 - alpha lambda_i|, least
  at alpha = 2 / (lambda_1 + lambda_n), where it is (kappa - 1) / (kappa + 1); divergence past alpha = 2 / lambda_n.
- momentum, z^{k+1} = beta z^k + grad f(w^k), w^{k+1} = w^k - alpha z^{k+1} (``SGD(lr=alpha, momentum=beta)``, bit
  for bit): each eigen-component (y_i, x_i) evolves by R_i = [[beta, lambda_i], [-alpha beta, 1 - alpha lambda_i]];
  rate max_i of R_i's spectral radius; the optimal alpha = (2 / (sqrt(lambda_1) + sqrt(lambda_n)))^2 with
  beta = ((sqrt(kappa) - 1) / (sqrt(kappa) + 1))^2 gives (sqrt(kappa) - 1) / (sqrt(kappa) + 1) for every
  eigenvalue: the square-root speed-up; critical damping beta = (1 - sqrt(alpha lambda))^2; convergence exactly
  when 0 < alpha lambda < 2 + 2 beta.

What the port needed: nothing; it measures nn.optim.SGD against the article (no gap found).
"""

import numpy as np
import pytest

import autograd_core as ag
import nn

LAMBDAS = np.array([1.0, 2.0, 5.0, 20.0, 60.0, 100.0])  # kappa = 100


def quadratic(lambdas=LAMBDAS, seed=0):
    """A, b, w* and Q for A = Q diag(lambdas) Q^T with a random orthogonal Q."""
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.normal(size=(len(lambdas), len(lambdas))))
    A = Q @ np.diag(lambdas) @ Q.T
    A = (A + A.T) / 2
    b = rng.normal(size=len(lambdas))
    return A, b, np.linalg.solve(A, b), Q


def f(w, A, b):
    """The article's objective, in Tensor ops: 1/2 w^T A w - b^T w."""
    return 0.5 * (w @ (ag.tensor(A) @ w)) - ag.tensor(b) @ w


def run(optimizer_kwargs, steps, lambdas=LAMBDAS, w0=None):
    """nn.optim.SGD on f from w0 (default 0): the iterates w^0..w^steps, velocities z^1..z^steps, (A, b, w*, Q)."""
    A, b, w_star, Q = quadratic(lambdas)
    w = ag.tensor(np.zeros(len(lambdas)) if w0 is None else w0, requires_grad=True)
    opt = nn.optim.SGD([w], **optimizer_kwargs)
    iterates, velocities = [np.array(w.data)], []
    for _ in range(steps):
        opt.zero_grad()
        f(w, A, b).backward()
        opt.step()
        iterates.append(np.array(w.data))
        velocities.append(np.array(opt.state[0].get("momentum_buffer", np.zeros(len(lambdas)))))
    return np.array(iterates), np.array(velocities), (A, b, w_star, Q)


def test_the_engine_s_gradient_is_a_w_minus_b():
    A, b, _, _ = quadratic()
    w = ag.tensor(np.random.default_rng(1).normal(size=len(LAMBDAS)), requires_grad=True)
    f(w, A, b).backward()
    np.testing.assert_allclose(w.grad, A @ w.data - b, rtol=1e-13)
    assert ag.gradcheck(lambda v: f(v, A, b), [ag.tensor(w.data, requires_grad=True)])


# ---------------------------------------------------------------- gradient descent
def test_gradient_descent_in_the_eigenbasis_is_the_closed_form():
    """x_i^k = (1 - alpha lambda_i)^k x_i^0: each eigen-component decays on its own, at its own rate."""
    alpha = 2 / (LAMBDAS[0] + LAMBDAS[-1])
    iterates, _, (_, _, w_star, Q) = run(dict(lr=alpha), 60)
    x = (iterates - w_star) @ Q  # rows: Q^T (w^k - w*)
    k = np.arange(61)[:, None]
    closed = (1 - alpha * LAMBDAS) ** k * x[0]
    np.testing.assert_allclose(x, closed, rtol=1e-9, atol=1e-13 * np.abs(x[0]).max())


def _rate(iterates, w_star, tail=40):
    """The measured linear rate: the error norm's geometric mean ratio over the last ``tail`` steps."""
    errors = np.linalg.norm(iterates - w_star, axis=1)
    return (errors[-1] / errors[-1 - tail]) ** (1 / tail)


def test_the_optimal_step_size_gives_rate_kappa_minus_1_over_kappa_plus_1():
    kappa = LAMBDAS[-1] / LAMBDAS[0]
    best = 2 / (LAMBDAS[0] + LAMBDAS[-1])
    predicted = (kappa - 1) / (kappa + 1)
    assert np.max(np.abs(1 - best * LAMBDAS)) == pytest.approx(predicted, rel=1e-14)
    rates = {}
    for alpha in (0.8 * best, best, 1.1 * best):
        iterates, _, (_, _, w_star, _) = run(dict(lr=alpha), 400)
        rates[alpha] = _rate(iterates, w_star)
        assert rates[alpha] == pytest.approx(np.max(np.abs(1 - alpha * LAMBDAS)), rel=1e-6)
    assert min(rates, key=rates.get) == best  # the slowest component sets the pace; best balances both ends


def test_gradient_descent_diverges_past_alpha_2_over_lambda_n():
    for alpha, grows in ((0.99 * 2 / LAMBDAS[-1], False), (1.01 * 2 / LAMBDAS[-1], True)):
        iterates, _, (_, _, w_star, _) = run(dict(lr=alpha), 300)
        errors = np.linalg.norm(iterates - w_star, axis=1)
        assert (errors[-1] > errors[0]) == grows


# ---------------------------------------------------------------- momentum
def momentum_by_hand(alpha, beta, steps):
    """The article's two lines on numpy arrays, with the same gradient A w - b (computed as the engine does)."""
    A, b, _, _ = quadratic()
    w, z = np.zeros(len(LAMBDAS)), np.zeros(len(LAMBDAS))
    out = [w]
    for _ in range(steps):
        wt = ag.tensor(w, requires_grad=True)
        f(wt, A, b).backward()
        z = beta * z + wt.grad
        w = w - alpha * z
        out.append(w)
    return np.array(out)


def test_momentum_is_nn_optim_sgd_with_momentum_bit_for_bit():
    iterates, _, _ = run(dict(lr=0.015, momentum=0.7), 50)
    np.testing.assert_array_equal(iterates, momentum_by_hand(0.015, 0.7, 50))


def _R(alpha, beta, lam):
    return np.array([[beta, lam], [-alpha * beta, 1 - alpha * lam]])


def test_momentum_s_eigen_components_follow_R_i_to_the_power_k():
    """(y_i^k, x_i^k) = R_i^k (y_i^0, x_i^0) with y = Q^T z and x = Q^T (w - w*)."""
    alpha, beta = 0.015, 0.7
    iterates, velocities, (_, _, w_star, Q) = run(dict(lr=alpha, momentum=beta), 80)
    x = (iterates - w_star) @ Q
    y = np.vstack([np.zeros(len(LAMBDAS)), velocities @ Q])
    for i, lam in enumerate(LAMBDAS):
        state = np.array([0.0, x[0, i]])
        for k in range(1, 81):
            state = _R(alpha, beta, lam) @ state
            np.testing.assert_allclose([y[k, i], x[k, i]], state, rtol=1e-8, atol=1e-12 * abs(x[0, i]))


def test_optimal_momentum_gives_rate_sqrt_kappa_minus_1_over_sqrt_kappa_plus_1_for_every_eigenvalue():
    kappa = LAMBDAS[-1] / LAMBDAS[0]
    alpha = (2 / (np.sqrt(LAMBDAS[0]) + np.sqrt(LAMBDAS[-1]))) ** 2
    beta = ((np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1)) ** 2
    predicted = (np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1)  # 9/11
    radii = [np.abs(np.linalg.eigvals(_R(alpha, beta, lam))).max() for lam in LAMBDAS]
    np.testing.assert_allclose(radii, predicted, rtol=1e-6)  # every component at the same rate sqrt(beta)
    iterates, _, (_, _, w_star, _) = run(dict(lr=alpha, momentum=beta), 150)
    assert _rate(iterates, w_star, tail=60) == pytest.approx(predicted, rel=0.02)  # (k r^k at the ends: ~1%)


def test_momentum_s_square_root_speed_up_in_iterations():
    """To shrink the error 1e8-fold gradient descent (at its best alpha) needs ~kappa/2 log(1e8) steps, momentum (at
    its best) ~sqrt(kappa)/2 log(1e8): counted in one run each, their ratio is near sqrt(kappa) = 10."""
    kappa = LAMBDAS[-1] / LAMBDAS[0]

    def steps_to(kwargs):
        iterates, _, (_, _, w_star, _) = run(kwargs, 1200)
        errors = np.linalg.norm(iterates - w_star, axis=1)
        return int(np.argmax(errors < 1e-8 * errors[0]))

    plain = steps_to(dict(lr=2 / (LAMBDAS[0] + LAMBDAS[-1])))
    heavy = steps_to(
        dict(
            lr=(2 / (np.sqrt(LAMBDAS[0]) + np.sqrt(LAMBDAS[-1]))) ** 2,
            momentum=((np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1)) ** 2,
        )
    )
    assert plain == pytest.approx(np.log(1e-8) / np.log((kappa - 1) / (kappa + 1)), rel=0.05)
    assert 0.6 * np.sqrt(kappa) < plain / heavy < 1.2 * np.sqrt(kappa)


def test_critical_damping_beta_is_the_fastest_for_one_eigenvalue():
    """For one lambda, beta = (1 - sqrt(alpha lambda))^2 makes R's two eigenvalues meet; any other beta is slower."""
    lam, alpha = 4.0, 0.01
    critical = (1 - np.sqrt(alpha * lam)) ** 2
    radius = {beta: np.abs(np.linalg.eigvals(_R(alpha, beta, lam))).max() for beta in (0.5, critical, 0.75)}
    assert min(radius, key=radius.get) == critical
    assert radius[critical] == pytest.approx(np.sqrt(critical), rel=1e-6)
    errors = {}
    for beta in radius:
        iterates, _, (_, _, w_star, _) = run(dict(lr=alpha, momentum=beta), 200, lambdas=np.array([lam]))
        errors[beta] = abs(iterates[-1, 0] - w_star[0])
    assert min(errors, key=errors.get) == critical


@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9])
def test_momentum_converges_exactly_when_alpha_lambda_is_below_2_plus_2_beta(beta):
    """The article's region of convergence, 0 < alpha lambda < 2 + 2 beta, measured on lambda_n at its two sides."""
    edge = (2 + 2 * beta) / LAMBDAS[-1]
    for alpha, converges in ((0.98 * edge, True), (1.02 * edge, False)):
        iterates, _, (_, _, w_star, _) = run(dict(lr=alpha, momentum=beta), 1500)
        errors = np.linalg.norm(iterates - w_star, axis=1)
        assert (errors[-1] < 1e-3 * errors[0]) == converges
        assert (errors[-1] > errors[0]) == (not converges)
