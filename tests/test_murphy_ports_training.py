"""Kevin Murphy, *Probabilistic Machine Learning: An Introduction* (2022), chapter 8 (first-order optimisation) and
13.5 (regularisation), ported: the book's rules run on the engine's gradients and ``nn.optim``, checked against
their closed forms. (Momentum, Nesterov, Adagrad, RMSprop and Adam as update rules are already the oracles of
test_goodfellow_ports_optim.py, test_optimizer_ports*.py and test_d2l_ports_optim.py; early stopping and weight
decay of test_bishop_ports_regularisation.py and test_goodfellow_ports_regularization.py: not repeated here.)

8.2.2  Steepest descent with exact line search on a quadratic: each gradient is orthogonal to the last (the
       zig-zag), and f - f* shrinks by at most ((kappa - 1) / (kappa + 1))^2 a step, exactly that from the worst
       start; Armijo's backtracking line search on Rosenbrock's function: every accepted step decreases enough.
8.2.4  Heavy-ball momentum (``SGD(momentum=beta)``) with Polyak's tuned step and beta converges at the rate
       (sqrt(kappa) - 1) / (sqrt(kappa) + 1), where plain gradient descent manages (kappa - 1) / (kappa + 1).
8.4.5  SVRG: the control-variate gradient is unbiased, and with a constant step it converges to the least-squares
       solution where SGD stalls at its noise floor.
13.5.4 Monte Carlo dropout: dropout left on at test time gives a prediction whose mean is the deterministic one and
       whose variance is the closed form p / (1 - p) sum_j w_j^2 x_j^2 for a linear read-out.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core import Tensor


# ---------------------------------------------------------------------------------- 8.2.2 line searches
@pytest.mark.parametrize("start", [(1.0, 0.1), (0.3, -0.8)])
def test_8_2_2_exact_line_search_zig_zags_at_the_kantorovich_rate(start):
    curvatures = np.array([1.0, 10.0])
    kappa = curvatures[1] / curvatures[0]
    bound = ((kappa - 1) / (kappa + 1)) ** 2

    def f(x: Tensor) -> Tensor:
        return 0.5 * (curvatures * x * x).sum()

    x, previous = np.array(start), None
    for _ in range(6):
        value, g = ag.value_and_grad(f)(Tensor(x))
        g = g.data
        if previous is not None:
            assert abs(g @ previous) < 1e-12 * (g @ g + previous @ previous)  # orthogonal to the last step
        step = (g @ g) / (g @ (curvatures * g))  # the exact minimiser along -g
        x, previous = x - step * g, g
        ratio = f(Tensor(x)).item() / value.item()
        assert ratio <= bound + 1e-14
        if start == (1.0, 0.1):  # x0 = (1 / lambda_1, 1 / lambda_2): the worst case, where the bound is met
            assert ratio == pytest.approx(bound, rel=1e-12)


def test_8_2_2_armijo_backtracking_accepts_only_a_sufficient_decrease():
    def rosenbrock(x: Tensor) -> Tensor:
        return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2

    x, c, shrink = np.array([-1.2, 1.0]), 1e-4, 0.5
    start = rosenbrock(Tensor(x)).item()
    values, halvings = [start], 0
    for _ in range(300):
        value, g = ag.value_and_grad(rosenbrock)(Tensor(x))
        g, step = g.data, 1.0
        while rosenbrock(Tensor(x - step * g)).item() > value.item() - c * step * (g @ g):  # Armijo's condition
            step *= shrink
            halvings += 1
        x = x - step * g
        values.append(rosenbrock(Tensor(x)).item())
        assert values[-1] <= values[-2] - c * step * (g @ g)
    assert halvings > 300  # the full step was too long nearly every time: the search did the work
    assert values[-1] < start / 100 and np.all(np.diff(values) < 0)


# ---------------------------------------------------------------------------------- 8.2.4 momentum
def test_8_2_4_heavy_ball_converges_at_the_square_root_of_the_condition_number():
    curvatures = np.array([1.0, 4.0, 25.0, 100.0])
    mu, lipschitz = curvatures.min(), curvatures.max()
    kappa = lipschitz / mu

    def run(lr: float, momentum: float, steps: int) -> list[float]:
        x = Tensor(np.ones(4), requires_grad=True)
        optimizer = nn.optim.SGD([x], lr=lr, momentum=momentum)
        errors = []
        for _ in range(steps):
            optimizer.zero_grad()
            (0.5 * (curvatures * x * x).sum()).backward()
            optimizer.step()
            errors.append(float(np.linalg.norm(x.data)))
        return errors

    plain = run(2 / (lipschitz + mu), 0.0, 200)
    beta = ((math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)) ** 2
    heavy = run(4 / (math.sqrt(lipschitz) + math.sqrt(mu)) ** 2, beta, 200)
    assert (plain[199] / plain[99]) ** (1 / 100) == pytest.approx((kappa - 1) / (kappa + 1), rel=1e-6)
    rate = (heavy[199] / heavy[99]) ** (1 / 100)  # the double root adds a polynomial factor, hence 2%
    assert rate == pytest.approx((math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1), rel=0.02)
    assert heavy[199] < 1e-12 < 1e-2 < plain[199]


# ---------------------------------------------------------------------------------- 8.4.5 SVRG
def _least_squares(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((20, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.5 * rng.standard_normal(20)
    return X, y, np.linalg.lstsq(X, y, rcond=None)[0]


def _example_gradient(X: np.ndarray, y: np.ndarray, w: np.ndarray, rows: list[int] | int) -> np.ndarray:
    """The engine's gradient of 1/2 mean (x_i . w - y_i)^2 over ``rows``."""
    return ag.value_and_grad(lambda v: 0.5 * F.mse_loss(Tensor(X[rows]) @ v, y[rows]))(Tensor(w))[1].data


def test_8_4_5_the_svrg_gradient_is_unbiased_and_a_constant_step_reaches_the_optimum():
    X, y, best = _least_squares()
    everything = list(range(20))
    rng = np.random.default_rng(1)
    w, anchor = rng.standard_normal(3), rng.standard_normal(3)
    full = _example_gradient(X, y, anchor, everything)
    corrected = [_example_gradient(X, y, w, [i]) - _example_gradient(X, y, anchor, [i]) + full for i in everything]
    np.testing.assert_allclose(np.mean(corrected, axis=0), _example_gradient(X, y, w, everything), atol=1e-13)

    step, epochs = 0.05, 15
    svrg = sgd = np.zeros(3)
    errors = []
    for _ in range(epochs):  # each epoch: one full gradient at the anchor, then 2N corrected steps
        anchor, full = svrg.copy(), _example_gradient(X, y, svrg, everything)
        for i in rng.integers(0, 20, 40):
            svrg = svrg - step * (_example_gradient(X, y, svrg, [i]) - _example_gradient(X, y, anchor, [i]) + full)
        errors.append(np.linalg.norm(svrg - best))
    for i in rng.integers(0, 20, epochs * 100):  # SGD with as many example gradients
        sgd = sgd - step * _example_gradient(X, y, sgd, [i])
    assert errors[-1] < 1e-5 and errors[-1] < 1e-3 * errors[4]  # linear: a constant factor an epoch, no floor
    assert np.linalg.norm(sgd - best) > 1e-3  # SGD is stuck at its noise floor (the step never shrinks)


# ---------------------------------------------------------------------------------- 13.5.4 MC dropout
def test_13_5_4_monte_carlo_dropout_has_the_deterministic_mean_and_the_closed_form_variance():
    rng = np.random.default_rng(2)
    x, p = rng.standard_normal(8), 0.3
    readout = nn.Linear(8, 1, bias=False, seed=0)
    model = nn.Sequential(nn.Dropout(p), readout)
    w = readout.weight.data[0]
    samples = 20000
    with ag.no_grad():
        deterministic = model.eval()(Tensor(x[None])).item()
        draws = model.train()(Tensor(np.tile(x, (samples, 1)))).data[:, 0]  # dropout left on: S predictions
    assert deterministic == pytest.approx(w @ x, rel=1e-14)
    variance = p / (1 - p) * np.sum(w**2 * x**2)  # inverted dropout: x_j m_j / (1 - p), m_j ~ Bernoulli(1 - p)
    assert abs(draws.mean() - deterministic) < 4 * math.sqrt(variance / samples)
    assert draws.var() == pytest.approx(variance, rel=0.05)
