"""Ruder's "An overview of gradient descent optimization algorithms", continued from ``tests/test_optimizer_ports.py``:
4.8 Nadam (eq. 26-34) and 4.9 AMSGrad (eq. 35-37), each as the paper writes it, against ``nn.optim.NAdam`` and
``nn.optim.Adam(amsgrad=True)`` on the digits MLP, and the claim behind AMSGrad (Reddi et al.'s counter-example,
which the paper cites) measured on ``nn.optim.Adam``.

What the port needed: ``nn.optim.NAdam`` (``nn/optim/adaptive.py``).

Where the paper's form and torch's (ours) differ, and how the oracle bridges them: see the module docstring of
``tests/test_optimizer_ports.py`` (Nadam's 1 - b1**t versus Dozat's 1 - b1**(t+1); AMSGrad without bias
correction).
"""

import numpy as np
import pytest
from optimizer_ports_helpers import batches, largest_difference, loss_of, make_model, train_by_rule, train_with

import autograd_core as ag
import nn
import nn.functional as F

CONSTANT_MOMENTUM = 1e9  # a momentum_decay at which 0.96**(t psi) is 0.0: every mu_t = b1, Dozat's constant momentum


def _zeros(state, name, theta):
    return state.setdefault(name, [np.zeros_like(x) for x in theta])


# ---------------------------------------------------------------- 4.8 Nadam
def nadam(theta, grads, state, t, eta=0.002, beta1=0.9, beta2=0.999, eps=1e-8, dozat=False):
    """Eq. 34: theta -= eta / (sqrt(v^) + eps) (b1 m^_t + (1 - b1) g_t / (1 - b1**t)). With ``dozat=True`` the
    look-ahead momentum is corrected by 1 - b1**(t+1), as Dozat's paper (Algorithm 2) and torch's NAdam do."""
    m, v = _zeros(state, "m", theta), _zeros(state, "v", theta)
    out = []
    for i, (x, g) in enumerate(zip(theta, grads)):
        m[i] = beta1 * m[i] + (1 - beta1) * g
        v[i] = beta2 * v[i] + (1 - beta2) * g**2
        m_hat = m[i] / (1 - beta1 ** (t + 1 if dozat else t))
        v_hat = v[i] / (1 - beta2**t)
        out.append(x - eta / (np.sqrt(v_hat) + eps) * (beta1 * m_hat + (1 - beta1) * g / (1 - beta1**t)))
    return out


def test_eq_34_with_dozat_s_correction_is_nn_optim_nadam_at_constant_momentum():
    ours = train_with(lambda p: nn.optim.NAdam(p, momentum_decay=CONSTANT_MOMENTUM), 40)
    dozat = train_by_rule(nadam, 40, dozat=True)
    assert largest_difference(ours, dozat) < 1e-12
    opt = nn.optim.NAdam([ag.tensor([1.0], requires_grad=True)], momentum_decay=CONSTANT_MOMENTUM)
    opt.params[0].grad = np.array([1.0])
    opt.step()
    assert opt.state[0]["mu_product"] == 0.9  # mu_1 = b1 exactly


def test_eq_34_as_printed_takes_a_first_step_1_29_times_dozat_s():
    """Step 1: m^_1 = g, so the paper's step is (b1 + 1) eta sign(g) = 1.9 eta; Dozat's (torch's) corrects b1 m_1
    by 1 - b1**2: (1 + 2 b1) / (1 + b1) eta = 1.474 eta. Their ratio (1 + b1)**2 / (1 + 2 b1) = 1.2893; the paper's
    form then keeps larger steps (its correction 1 - b1**t < 1 - b1**(t+1)), and both train."""
    start = train_with(lambda p: nn.optim.SGD(p, lr=0.0), 1)[0]
    paper = train_by_rule(nadam, 25)
    ours = train_with(lambda p: nn.optim.NAdam(p, momentum_decay=CONSTANT_MOMENTUM), 25)
    model = make_model()
    xb, yb = next(batches(1))
    F.cross_entropy(model(ag.tensor(xb)), yb).backward()
    for p, x, a, b in zip(model.parameters(), start, paper[0], ours[0]):
        large = np.abs(p.grad) > 1e-3  # eps = 1e-8 negligible: the step is a multiple of eta sign(g)
        np.testing.assert_allclose(np.abs(x - a)[large], 1.9 * 0.002, rtol=1e-4)
        np.testing.assert_allclose(np.abs(x - b)[large], 2.8 / 1.9 * 0.002, rtol=1e-4)
        np.testing.assert_allclose((x - a)[large] / (x - b)[large], 1.9**2 / 2.8, rtol=1e-4)
    first = loss_of(start)
    assert loss_of(paper[-1]) < 0.8 * first and loss_of(ours[-1]) < 0.8 * first
    assert largest_difference(ours, paper) > 1e-3  # two different rules, not a rounding


def test_nadam_s_default_momentum_schedule_warms_up_towards_b1():
    """torch's default momentum_decay = 0.004: mu_t = b1 (1 - 0.5 * 0.96**(0.004 t)) starts at ~b1/2 and climbs
    (Dozat's schedule), so early steps lean on the gradient more than on the momentum."""
    w = ag.tensor([1.0], requires_grad=True)
    opt = nn.optim.NAdam([w])
    products = []
    for _ in range(3):
        w.grad = np.array([1.0])
        opt.step()
        products.append(opt.state[0]["mu_product"])
    mus = [products[0], products[1] / products[0], products[2] / products[1]]
    expected = [0.9 * (1 - 0.5 * 0.96 ** (0.004 * t)) for t in (1, 2, 3)]
    np.testing.assert_allclose(mus, expected, rtol=1e-14)
    assert 0.45 < mus[0] < mus[1] < mus[2] < 0.46


# ---------------------------------------------------------------- 4.9 AMSGrad
def amsgrad(theta, grads, state, t, eta=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    """Eq. 35-37: v^_t = max(v^_{t-1}, v_t); theta -= eta / (sqrt(v^_t) + eps) m_t (no bias correction)."""
    m, v, v_max = _zeros(state, "m", theta), _zeros(state, "v", theta), _zeros(state, "v_max", theta)
    out = []
    for i, (x, g) in enumerate(zip(theta, grads)):
        m[i] = beta1 * m[i] + (1 - beta1) * g
        v[i] = beta2 * v[i] + (1 - beta2) * g**2
        v_max[i] = np.maximum(v_max[i], v[i])
        out.append(x - eta / (np.sqrt(v_max[i]) + eps) * m[i])
    return out


class _Scheduled:
    """Adam(amsgrad=True) with lr scaled by (1 - b1**t) / sqrt(1 - b2**t), its bias corrections undone: a LambdaLR
    that steps after each optimizer step (its epoch is the step here)."""

    def __init__(self, params):
        self.opt = nn.optim.Adam(params, lr=0.001, eps=1e-300, amsgrad=True)
        self.scheduler = nn.optim.LambdaLR(
            self.opt, lambda epoch: (1 - 0.9 ** (epoch + 1)) / np.sqrt(1 - 0.999 ** (epoch + 1))
        )

    def zero_grad(self):
        self.opt.zero_grad()

    def step(self):
        self.opt.step()
        self.scheduler.step()


def test_eq_37_is_nn_optim_adam_amsgrad_with_its_bias_corrections_undone():
    """eps = 1e-300 on both sides (the paper's eps -> 0): it changes no sum here, and keeps an always-blank pixel's
    weights at 0 / tiny = 0 steps (the paper's 0/0)."""
    paper = train_by_rule(amsgrad, 40, eps=1e-300)
    ours = train_with(_Scheduled, 40)
    assert largest_difference(ours, paper) < 1e-12
    plain = train_with(lambda p: nn.optim.Adam(p, lr=0.001, amsgrad=True), 40)
    assert largest_difference(plain, paper) > 1e-3  # torch's bias-corrected form is another trajectory


def test_section_4_9_amsgrad_s_denominator_never_shrinks_adam_s_does():
    """'AMSGrad uses the maximum of past squared gradients v_t rather than the exponential average': its
    per-coordinate step size eta / sqrt(v^) never grows, where Adam's v falls on a coordinate whose gradients
    become small (and its step grows)."""
    model = make_model()
    adam = nn.optim.Adam(model.parameters(), lr=0.01, amsgrad=True)
    previous_max, fell = None, 0
    for xb, yb in batches(40):
        adam.zero_grad()
        F.cross_entropy(model(ag.tensor(xb)), yb).backward()
        square_mean_before = adam.state[2].get("exp_avg_sq", np.zeros((10, 16))).copy()
        adam.step()
        fell += int(np.sum(adam.state[2]["exp_avg_sq"] < square_mean_before))
        current = adam.state[2]["max_exp_avg_sq"].copy()
        if previous_max is not None:
            assert np.all(current >= previous_max)
        previous_max = current
    assert fell > 100  # Adam's own average falls again and again
    np.testing.assert_array_equal(previous_max, np.maximum(previous_max, adam.state[2]["exp_avg_sq"]))


@pytest.mark.parametrize("amsgrad_", [False, True], ids=["adam", "amsgrad"])
def test_section_4_9_reddi_s_counter_example_adam_goes_to_the_worst_point_amsgrad_to_the_best(amsgrad_):
    """f_t(x) = C x when t mod 3 = 1, else -x, on [-1, 1] with C = 3: the regret is least at x = -1. The rare large
    gradient C is forgotten by Adam's v (b1 = 0, b2 = 1/(1 + C**2), eta_t = eta/sqrt(t)), which then ends at +1;
    AMSGrad's maximum remembers it and ends at -1."""
    C = 3.0
    x = ag.tensor([0.0], requires_grad=True)
    opt = nn.optim.Adam([x], lr=0.1, betas=(0.0, 1 / (1 + C**2)), amsgrad=amsgrad_)
    scheduler = nn.optim.LambdaLR(opt, lambda epoch: 1 / np.sqrt(epoch + 1))
    trajectory = []
    for t in range(1, 3001):
        x.grad = np.array([C if t % 3 == 1 else -1.0])  # the gradient of f_t
        opt.step()
        scheduler.step()
        with ag.no_grad():
            x.data = np.clip(x.data, -1.0, 1.0)  # the projection onto the feasible set
        trajectory.append(float(x.data[0]))
    assert np.mean(trajectory[-300:]) == pytest.approx(-1.0 if amsgrad_ else 1.0, abs=0.01)
