"""The ``torch.optim`` documentation pages of Adamax, NAdam, RAdam and Rprop, ported: each page's algorithm
pseudo-code, written line for line on numpy arrays (``*_rule`` below), is the oracle for the ``nn.optim`` class of
that name on a real model (a tanh MLP on the bundled digits, ``tests/optimizer_ports_helpers.py``), and
``torch.optim``'s class is a second oracle where torch is installed. Then the pages' arguments: names, defaults,
the values torch refuses, parameter groups, and resuming from ``state_dict`` (and from a checkpoint file).

What the port needed: the four optimizers themselves (``nn/optim/adaptive.py``; nn.optim had SGD, Adagrad,
RMSprop, Adadelta, Adam, AdamW).

Where we differ from torch, deliberately: NAdam's running product of momentum coefficients (``mu_product``) is
a Python float (float64); torch keeps it in its default dtype, float32 unless ``torch.set_default_dtype(
torch.float64)``, which moves its steps by ~1e-7 relative (measured below). Rprop follows torch's code, which
clamps the step size to ``step_sizes`` at every step, where its page's pseudo-code clamps only a grown or a
shrunk one (they part when ``lr`` lies outside ``step_sizes``; measured below). ``foreach``,
``capturable`` and ``differentiable`` are not taken, as by nn.optim's other optimizers.
"""

import numpy as np
import pytest
from optimizer_ports_helpers import bitwise_equal, largest_difference, loss_of, train_by_rule, train_torch, train_with

import nn


# ---------------------------------------------------------------- the pages' pseudo-code
def adamax_rule(theta, grads, state, t, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    b1, b2 = betas
    m = state.setdefault("m", [np.zeros_like(x) for x in theta])
    u = state.setdefault("u", [np.zeros_like(x) for x in theta])
    out = []
    for i, (x, g) in enumerate(zip(theta, grads)):
        if weight_decay != 0:
            g = g + weight_decay * x
        m[i] = b1 * m[i] + (1 - b1) * g
        u[i] = np.maximum(b2 * u[i], np.abs(g) + eps)
        out.append(x - lr * m[i] / ((1 - b1**t) * u[i]))
    return out


def nadam_rule(theta, grads, state, t, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3,
               decoupled_weight_decay=False):  # fmt: skip
    b1, b2 = betas
    m = state.setdefault("m", [np.zeros_like(x) for x in theta])
    v = state.setdefault("v", [np.zeros_like(x) for x in theta])
    mus = state.setdefault("mu", [])  # mu_1 ... mu_t, for the products
    mu_t = b1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
    mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
    mus.append(mu_t)
    out = []
    for i, (x, g) in enumerate(zip(theta, grads)):
        if weight_decay != 0 and decoupled_weight_decay:
            x = x - lr * weight_decay * x
        elif weight_decay != 0:
            g = g + weight_decay * x
        m[i] = b1 * m[i] + (1 - b1) * g
        v[i] = b2 * v[i] + (1 - b2) * g**2
        m_hat = mu_next * m[i] / (1 - np.prod(mus + [mu_next])) + (1 - mu_t) * g / (1 - np.prod(mus))
        v_hat = v[i] / (1 - b2**t)
        out.append(x - lr * m_hat / (np.sqrt(v_hat) + eps))
    return out


def radam_rule(theta, grads, state, t, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
               decoupled_weight_decay=False):  # fmt: skip
    b1, b2 = betas
    m = state.setdefault("m", [np.zeros_like(x) for x in theta])
    v = state.setdefault("v", [np.zeros_like(x) for x in theta])
    rho_inf = 2 / (1 - b2) - 1
    out = []
    for i, (x, g) in enumerate(zip(theta, grads)):
        if weight_decay != 0 and decoupled_weight_decay:
            x = x - lr * weight_decay * x
        elif weight_decay != 0:
            g = g + weight_decay * x
        m[i] = b1 * m[i] + (1 - b1) * g
        v[i] = b2 * v[i] + (1 - b2) * g**2
        m_hat = m[i] / (1 - b1**t)
        rho_t = rho_inf - 2 * t * b2**t / (1 - b2**t)
        if rho_t > 5:
            l_t = np.sqrt(1 - b2**t) / (np.sqrt(v[i]) + eps)
            r_t = np.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            out.append(x - lr * m_hat * r_t * l_t)
        else:
            out.append(x - lr * m_hat)
        state.setdefault("rectified", []).append(rho_t > 5)
    return out


def rprop_rule(theta, grads, state, t, lr, etas=(0.5, 1.2), step_sizes=(1e-6, 50)):
    (eta_minus, eta_plus), (smallest, largest) = etas, step_sizes
    previous = state.setdefault("g_prev", [np.zeros_like(x) for x in theta])
    eta = state.setdefault("eta", [np.full_like(x, lr) for x in theta])
    out = []
    for i, (x, g) in enumerate(zip(theta, grads)):
        g = g.copy()
        agreement = previous[i] * g
        grown, shrunk = agreement > 0, agreement < 0
        eta[i] = np.where(grown, np.minimum(eta[i] * eta_plus, largest), eta[i])
        eta[i] = np.where(shrunk, np.maximum(eta[i] * eta_minus, smallest), eta[i])
        g[shrunk] = 0
        out.append(x - eta[i] * np.sign(g))
        previous[i] = g
    return out


RULES = {  # name: the page's rule, the optimizer's arguments, equal bit for bit?
    "Adamax": (adamax_rule, dict(lr=0.01), True),
    "Adamax-wd": (adamax_rule, dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05), True),
    "NAdam": (nadam_rule, dict(lr=0.01), False),
    "NAdam-l2": (nadam_rule, dict(lr=0.01, weight_decay=0.05, momentum_decay=0.01), False),
    "NAdamW": (nadam_rule, dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True), False),
    "RAdam": (radam_rule, dict(lr=0.05), False),
    "RAdam-fast": (radam_rule, dict(lr=0.01, betas=(0.9, 0.9), weight_decay=0.05), False),
    "RAdamW": (radam_rule, dict(lr=0.01, betas=(0.9, 0.95), weight_decay=0.1, decoupled_weight_decay=True), False),
    "Rprop": (rprop_rule, dict(lr=0.01), True),
    "Rprop-narrow": (rprop_rule, dict(lr=0.02, etas=(0.3, 1.5), step_sizes=(1e-3, 0.05)), True),
}


def _class(case):
    return getattr(nn.optim, case.split("-")[0].replace("NAdamW", "NAdam").replace("RAdamW", "RAdam"))


@pytest.mark.parametrize("case", list(RULES))
def test_the_page_s_pseudo_code_is_the_oracle_for_nn_optim(case):
    rule, hyper, bitwise = RULES[case]
    steps = 30
    page = train_by_rule(rule, steps, full_batch=case.startswith("Rprop"), **hyper)
    ours = train_with(lambda p: _class(case)(p, **hyper), steps, full_batch=case.startswith("Rprop"))
    assert loss_of(ours[-1]) < 0.9 * loss_of(train_with(lambda p: nn.optim.SGD(p, lr=0.0), 1)[0])  # it learns
    assert bitwise_equal(ours, page) == bitwise
    assert largest_difference(ours, page) < 1e-12


@pytest.mark.parametrize("case", list(RULES))
def test_equal_to_torch_optim_in_float64(case):
    torch = pytest.importorskip("torch")
    _, hyper, _ = RULES[case]
    full = case.startswith("Rprop")
    ours = train_with(lambda p: _class(case)(p, **hyper), 30, full_batch=full)
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # torch's scalar state (steps, NAdam's mu_product) in float64 too
    try:
        theirs = train_torch(
            lambda p: getattr(torch.optim, _class(case).__name__)(p, **hyper), 30, torch, full_batch=full
        )
    finally:
        torch.set_default_dtype(default)
    assert largest_difference(ours, theirs) < 1e-12


def test_radam_is_momentum_sgd_until_rho_t_passes_5():
    """The page's switch: with b2 = 0.999, rho_t = 1, 1.9993, 2.998, 3.996, 4.993 and then 5.99 > 5; the first
    step is lr * g (m^_1 = g), plain SGD's."""
    state = {}
    trajectory = train_by_rule(radam_rule, 7, state=state, lr=0.05)
    assert state["rectified"][::4] == [False] * 5 + [True] * 2  # 4 parameters a step: one flag a step
    ours = train_with(lambda p: nn.optim.RAdam(p, lr=0.05), 7)
    assert largest_difference(ours, trajectory) < 1e-12
    plain = train_with(lambda p: nn.optim.SGD(p, lr=0.05), 1)
    np.testing.assert_allclose(ours[0][0], plain[0][0], rtol=1e-15)


def test_nadam_mu_product_in_float32_is_torch_s_default():
    """Measured: torch's float32 mu_product moves 30 steps by ~1e-7 relative; ours stays with the float64 page."""
    torch = pytest.importorskip("torch")
    ours = train_with(lambda p: nn.optim.NAdam(p, lr=0.01), 30)
    page = train_by_rule(nadam_rule, 30, lr=0.01)
    theirs = train_torch(lambda p: torch.optim.NAdam(p, lr=0.01), 30, torch)  # the default dtype, float32
    assert largest_difference(ours, page) < 1e-12
    assert 1e-10 < largest_difference(ours, theirs) < 1e-5


def test_rprop_clamps_every_step_as_torch_s_code_not_only_as_its_page():
    """lr = 0.2 above max_step = 0.05: torch's code steps 0.05 at once, its page's pseudo-code 0.2 until a sign
    agrees or flips. Ours is torch's code (the clamp keeps every step within step_sizes)."""
    hyper = dict(lr=0.2, step_sizes=(1e-6, 0.05))
    ours = train_with(lambda p: nn.optim.Rprop(p, **hyper), 3, full_batch=True)
    page = train_by_rule(rprop_rule, 3, full_batch=True, **hyper)
    start = train_with(lambda p: nn.optim.SGD(p, lr=0.0), 1)[0]
    first_step = [np.abs(a - b).max() for a, b in zip(ours[0], start)]
    assert max(first_step) == pytest.approx(0.05, rel=1e-12)
    assert max(np.abs(a - b).max() for a, b in zip(page[0], start)) == pytest.approx(0.2, rel=1e-12)
    torch = pytest.importorskip("torch")
    assert bitwise_equal(ours, train_torch(lambda p: torch.optim.Rprop(p, **hyper), 3, torch, full_batch=True))
