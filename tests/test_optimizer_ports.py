"""Sebastian Ruder, "An overview of gradient descent optimization algorithms" (arXiv:1609.04747), ported: every
update rule as the paper writes it (its equation numbers below), on numpy arrays, is the oracle for the
``nn.optim`` optimizer that implements it, step by step on a real model (a tanh MLP on the bundled digits,
``tests/optimizer_ports_helpers.py``); and the paper's claims about each rule, measured.

Section 2 batch, stochastic and mini-batch gradient descent (eq. 1-3); 4.1 momentum (4); 4.2 Nesterov (5); 4.3
Adagrad (6-8); 4.4 Adadelta (9-14); 4.5 RMSprop (15); 4.6 Adam (16-19); 4.7 AdaMax (20-25); 4.8 Nadam (26-34); 4.9
AMSGrad (35-37). Continued in ``tests/test_optimizer_ports_ruder.py``.

What the port needed: ``nn.optim.Adamax`` and ``nn.optim.NAdam`` (4.7, 4.8), now in ``nn/optim/adaptive.py``.

Where the paper's form and torch's (ours) differ, and how the oracle bridges them:
- momentum and Nesterov fold lr into v (v = gamma v + eta g); torch keeps v = gamma v + g and steps lr * v. The
  same points to 1e-12. torch's Nesterov (``nesterov=True``) holds the look-ahead point theta - gamma v, where the
  paper takes the gradient (eq. 5): our parameters are the paper's look-ahead points.
- Adagrad and RMSprop put eps inside the square root (sqrt(G + eps)); torch outside: one rule at eps = 0.
- Nadam (eq. 34) corrects the look-ahead momentum by 1 - b1**t where Dozat's algorithm (and torch's NAdam, with
  its momentum schedule switched off by a large ``momentum_decay``) uses 1 - b1**(t+1): the first step is
  (1 + b1) lr in the paper, (1 + 2 b1)/(1 + b1) lr in Dozat's (measured below).
- AMSGrad (eq. 37) drops the bias corrections ("for simplicity"); torch's ``amsgrad=True`` keeps them: the paper's
  rule is ours at eps = 0 with lr scaled by (1 - b1**t)/sqrt(1 - b2**t), a LambdaLR.
"""

import functools

import numpy as np
import pytest
from optimizer_ports_helpers import (
    batches,
    bitwise_equal,
    largest_difference,
    loss_of,
    make_model,
    train_by_rule,
    train_with,
)

import autograd_core as ag
import nn
import nn.functional as F


def _each(theta, grads, update):
    return [update(i, x, g) for i, (x, g) in enumerate(zip(theta, grads))]


def _zeros(state, name, theta):
    return state.setdefault(name, [np.zeros_like(x) for x in theta])


# ---------------------------------------------------------------- section 2: gradient descent variants (eq. 1-3)
def gradient_descent(theta, grads, state, t, eta):
    return _each(theta, grads, lambda i, x, g: x - eta * g)  # theta = theta - eta * grad J(theta; batch)


@pytest.mark.parametrize("batch", [96, 32, 1], ids=["batch", "mini-batch", "stochastic"])
def test_eq_1_3_gradient_descent_variants_are_nn_optim_sgd_bit_for_bit(batch):
    steps = {96: 20, 32: 20, 1: 60}[batch]
    paper = train_by_rule(gradient_descent, steps, batch_size=batch, eta=0.5)
    ours = train_with(lambda p: nn.optim.SGD(p, lr=0.5), steps, batch_size=batch)
    assert bitwise_equal(ours, paper)


def _losses(trajectory):
    return np.array([loss_of(step) for step in trajectory])


def test_section_2_batch_gd_descends_steadily_sgd_fluctuates():
    """'SGD performs frequent updates with a high variance that cause the objective function to fluctuate
    heavily' (Figure 1); batch gradient descent at a small enough eta lowers the loss at every step."""
    batch = _losses(train_with(lambda p: nn.optim.SGD(p, lr=0.5), 30, full_batch=True))
    stochastic = _losses(train_with(lambda p: nn.optim.SGD(p, lr=0.5), 30, batch_size=1))
    assert np.all(np.diff(batch) < 0)
    assert np.sum(np.diff(stochastic) > 0) >= 5  # the objective goes up again and again
    assert np.std(np.diff(stochastic)) > 3 * np.std(np.diff(batch))


# ---------------------------------------------------------------- 4.1 momentum (eq. 4), 4.2 NAG (eq. 5)
def momentum(theta, grads, state, t, eta, gamma):
    v = _zeros(state, "v", theta)

    def update(i, x, g):
        v[i] = gamma * v[i] + eta * g
        return x - v[i]

    return _each(theta, grads, update)


def nesterov(theta, grads, state, t, eta, gamma):
    """Eq. 5: the gradient at theta - gamma v. The model holds that look-ahead point (so ``grads`` are taken
    there); the paper's theta lives in the state, and the rule returns the next look-ahead point."""
    v = _zeros(state, "v", theta)
    paper_theta = state.setdefault("theta", [x.copy() for x in theta])  # at t = 1, v = 0: the same point

    def update(i, x, g):
        v[i] = gamma * v[i] + eta * g
        paper_theta[i] = paper_theta[i] - v[i]
        return paper_theta[i] - gamma * v[i]

    return _each(theta, grads, update)


@pytest.mark.parametrize("nesterov_", [False, True], ids=["momentum", "nesterov"])
def test_eq_4_5_momentum_and_nag_are_nn_optim_sgd(nesterov_):
    rule = nesterov if nesterov_ else momentum
    paper = train_by_rule(rule, 30, eta=0.1, gamma=0.9)
    ours = train_with(lambda p: nn.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=nesterov_), 30)
    assert largest_difference(ours, paper) < 1e-12
    assert not bitwise_equal(ours, paper)  # eta inside v or outside: only the rounding differs
    plain = train_with(lambda p: nn.optim.SGD(p, lr=0.1), 30)
    assert loss_of(ours[-1]) < 0.8 * loss_of(plain[-1])  # 'momentum ... leading to faster convergence'


# ---------------------------------------------------------------- 4.3 Adagrad (eq. 6-8), 4.5 RMSprop (eq. 15)
def adagrad(theta, grads, state, t, eta, eps):
    squares = _zeros(state, "G", theta)  # the diagonal of G_t: sums of squared gradients

    def update(i, x, g):
        squares[i] = squares[i] + g * g
        state.setdefault("rates", []).append(eta / np.sqrt(squares[i] + eps))
        return x - eta / np.sqrt(squares[i] + eps) * g

    return _each(theta, grads, update)


def rmsprop(theta, grads, state, t, eta, eps, gamma=0.9):
    mean_square = _zeros(state, "E_g2", theta)

    def update(i, x, g):
        mean_square[i] = gamma * mean_square[i] + (1 - gamma) * g**2
        return x - eta / np.sqrt(mean_square[i] + eps) * g

    return _each(theta, grads, update)


@pytest.mark.parametrize("name", ["Adagrad", "RMSprop"])
def test_eq_8_15_adagrad_and_rmsprop_are_nn_optim_s_as_eps_vanishes_and_close_at_the_paper_s_eps(name):
    """eps -> 0 is one rule whether inside or outside the square root. eps = 1e-300 changes no sum of floats here,
    but keeps a weight whose gradient is always 0 (11 pixels are blank in every image) at 0 / tiny = 0, not 0/0."""
    rule, hyper, ours_hyper = {
        "Adagrad": (adagrad, dict(eta=0.05), dict(lr=0.05)),
        "RMSprop": (rmsprop, dict(eta=0.001), dict(lr=0.001, alpha=0.9)),  # the paper's gamma = 0.9, eta = 0.001
    }[name]
    paper = train_by_rule(rule, 30, eps=1e-300, **hyper)
    ours = train_with(lambda p: getattr(nn.optim, name)(p, eps=1e-300, **ours_hyper), 30)
    assert largest_difference(ours, paper) < 1e-12


@pytest.mark.parametrize("name", ["Adagrad", "RMSprop"])
def test_eq_8_15_the_paper_s_eps_inside_the_root_parts_from_torch_s_on_gradients_below_sqrt_eps(name):
    """At the paper's eps = 1e-8 the first steps agree where |g| >> sqrt(eps) = 1e-4 (both ~ eta sign(g)) and part
    where |g| < 1e-4 (a pixel lit in few images): the paper's step is eta g / sqrt(eps), tiny; torch's nearly eta."""
    rule, eta, scale, ours_hyper = {
        "Adagrad": (adagrad, 0.05, 1.0, {}),
        "RMSprop": (rmsprop, 0.001, 0.1, dict(alpha=0.9)),  # E[g^2]_1 = 0.1 g^2
    }[name]
    model = make_model()
    xb, yb = next(batches(1))
    F.cross_entropy(model(ag.tensor(xb)), yb).backward()
    start = [np.array(p.data) for p in model.parameters()]
    paper = train_by_rule(rule, 1, eps=1e-8, eta=eta)[0]
    ours = train_with(lambda p: getattr(nn.optim, name)(p, lr=eta, eps=1e-8, **ours_hyper), 1)[0]
    for p, x, a, b in zip(model.parameters(), start, paper, ours):
        g = np.abs(p.grad)
        np.testing.assert_allclose(x - a, eta * p.grad / np.sqrt(scale * g**2 + 1e-8), rtol=1e-12)  # eq. 8 / 15
        np.testing.assert_allclose(x - b, eta * p.grad / (np.sqrt(scale) * g + 1e-8), rtol=1e-12, atol=1e-300)
        large = g > 1e-2
        np.testing.assert_allclose((x - a)[large], (x - b)[large], rtol=1e-3)
    g = np.abs(model.layers[0].weight.grad)
    rare = (g > 0) & (g < 1e-4)  # 30 of the first layer's weights
    ratio = np.abs(start[0] - ours[0])[rare] / np.abs(start[0] - paper[0])[rare]
    assert rare.sum() >= 10 and ratio.min() > 1.3 and ratio.max() > 3


def test_section_4_3_adagrad_s_learning_rates_only_shrink():
    """'The accumulated sum keeps growing during training. This in turn causes the learning rate to shrink'."""
    state = {}
    train_by_rule(adagrad, 40, state=state, eta=0.05, eps=1e-8)
    rates = np.array([r.ravel() for r in state["rates"][0::4]])  # the first layer's weights, step by step
    assert np.all(np.diff(rates, axis=0) <= 0)
    assert np.median(rates[-1] / rates[0]) < 0.5


# ---------------------------------------------------------------- 4.4 Adadelta (eq. 9-14)
def adadelta(theta, grads, state, t, gamma=0.9, eps=1e-6):
    e_g2, e_dx2 = _zeros(state, "E_g2", theta), _zeros(state, "E_dx2", theta)

    def update(i, x, g):
        e_g2[i] = gamma * e_g2[i] + (1 - gamma) * (g * g)  # eq. 10
        dx = -(np.sqrt(e_dx2[i] + eps) / np.sqrt(e_g2[i] + eps)) * g  # eq. 14: -RMS[dx]_{t-1} / RMS[g]_t g_t
        e_dx2[i] = gamma * e_dx2[i] + (1 - gamma) * dx * dx
        return x + dx

    return _each(theta, grads, update)


def test_eq_14_adadelta_is_nn_optim_adadelta_with_no_learning_rate():
    """'With Adadelta, we do not even need to set a default learning rate': torch's lr=1.0 default is the paper's."""
    paper = train_by_rule(adadelta, 30)
    ours = train_with(lambda p: nn.optim.Adadelta(p), 30)
    assert nn.optim.Adadelta([nn.Parameter(np.zeros(1))]).defaults["lr"] == 1.0
    assert bitwise_equal(ours, paper)
    assert loss_of(ours[-1]) < loss_of(train_with(lambda p: nn.optim.SGD(p, lr=0.0), 1)[0])


# ---------------------------------------------------------------- 4.6 Adam (eq. 16-19), 4.7 AdaMax (eq. 20-25)
def adam(theta, grads, state, t, eta=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    m, v = _zeros(state, "m", theta), _zeros(state, "v", theta)

    def update(i, x, g):
        m[i] = beta1 * m[i] + (1 - beta1) * g
        v[i] = beta2 * v[i] + (1 - beta2) * g**2
        m_hat, v_hat = m[i] / (1 - beta1**t), v[i] / (1 - beta2**t)
        return x - eta / (np.sqrt(v_hat) + eps) * m_hat

    return _each(theta, grads, update)


def adamax(theta, grads, state, t, eta=0.002, beta1=0.9, beta2=0.999, zero_over_zero=np.nan):
    """Eq. 24-25; where u_t = 0 (no gradient yet) the paper's m/u is 0/0: ``zero_over_zero`` says what it is."""
    m, u = _zeros(state, "m", theta), _zeros(state, "u", theta)

    def update(i, x, g):
        m[i] = beta1 * m[i] + (1 - beta1) * g
        u[i] = np.maximum(beta2 * u[i], np.abs(g))  # eq. 24: u_t = max(beta2 u_{t-1}, |g_t|)
        with np.errstate(invalid="ignore", divide="ignore"):
            step = eta / u[i] * (m[i] / (1 - beta1**t))
        return x - np.where(u[i] == 0, zero_over_zero, step)

    return _each(theta, grads, update)


@pytest.mark.parametrize("name", ["Adam", "Adamax"])
def test_eq_19_25_adam_and_adamax_are_nn_optim_s_with_the_paper_s_defaults(name):
    """The paper's proposed defaults (Adam: eta unstated, beta1 = 0.9, beta2 = 0.999, eps = 1e-8; AdaMax: eta =
    0.002) are the optimizers' defaults. AdaMax's u has no eps in the paper: ours at eps = 1e-300, the paper's
    0/0 on an always-blank pixel's weights read as no step (see the next test)."""
    rule, extra = {"Adam": (adam, {}), "Adamax": (functools.partial(adamax, zero_over_zero=0.0), dict(eps=1e-300))}[
        name
    ]
    cls = getattr(nn.optim, name)
    defaults = cls([nn.Parameter(np.zeros(1))]).defaults
    assert defaults["betas"] == (0.9, 0.999) and defaults["eps"] == 1e-8
    eta = defaults["lr"]
    assert eta == {"Adam": 0.001, "Adamax": 0.002}[name]
    paper = train_by_rule(rule, 30, eta=eta)
    ours = train_with(lambda p: cls(p, **extra), 30)
    assert largest_difference(ours, paper) < 1e-12
    assert loss_of(ours[-1]) < 0.9 * loss_of(train_with(lambda p: nn.optim.SGD(p, lr=0.0), 1)[0])


def test_gap_the_paper_s_adamax_without_eps_gives_nan_on_the_digits():
    """A weight whose every gradient was 0 has u_t = 0 and m_t = 0: eq. 25 is 0/0. torch's page adds eps to |g|
    (u_t = max(beta2 u, |g| + eps)), so nn.optim.Adamax (eps = 1e-8) never divides by 0."""
    paper = train_by_rule(adamax, 2)
    assert np.isnan(paper[0][0][:, 0]).all() and not np.isnan(paper[0][0][:, 1:3]).any()  # pixel 0 is blank
    assert np.isnan(paper[1][0]).all()  # 0 * nan in the next forward pass: the whole layer is lost
    ours = train_with(lambda p: nn.optim.Adamax(p), 2)
    assert all(np.isfinite(a).all() for a in ours[-1])
    start = train_with(lambda p: nn.optim.SGD(p, lr=0.0), 1)[0]
    np.testing.assert_array_equal(ours[-1][0][:, 0], start[0][:, 0])  # the blank pixel's weights stay


def test_section_4_7_adamax_steps_are_bounded_by_eta_over_the_bias_correction():
    """u_t >= |g_t| (and >= beta2 u_{t-1}): every AdaMax step is at most eta / (1 - beta1**t), however large g."""
    trajectory = train_with(lambda p: nn.optim.Adamax(p, lr=0.002), 20)
    start = train_with(lambda p: nn.optim.SGD(p, lr=0.0), 1)[0]
    for t, (before, after) in enumerate(zip([start, *trajectory], trajectory), start=1):
        largest = max(np.abs(a - b).max() for a, b in zip(after, before))
        assert largest <= 0.002 / (1 - 0.9**t) * (1 + 1e-12)
    assert largest > 0.001  # and the bound is nearly reached
