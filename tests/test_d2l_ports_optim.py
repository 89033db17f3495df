""" "Dive into Deep Learning" (d2l.ai, PyTorch edition) chapter 12, optimization algorithms, ported as
``tests/test_d2l_ports.py`` does (``torch = ag``, ``nn.optim`` for ``torch.optim``; the d2l helpers written
as the book defines them; each step asserting the book's outcome; torch's classes agree where installed).

12.4 SGD under constant, exponential and polynomial learning rates with noisy gradients; 12.6 gradient
descent and momentum on f = 0.1 x1^2 + 2 x2^2; 12.7 Adagrad; 12.8 RMSProp; 12.9 Adadelta; 12.10 Adam. The 2-d
trajectories take their gradients from the engine (``f(x1, x2).backward()``, not the hand-written 0.2 x1,
4 x2) and end at the numbers the book prints. The book's from-scratch minibatch updates are the ORACLE for
``nn.optim``'s class of that name, on a synthetic 5-feature regression (for the airfoil data, no download):
bit for bit where both compute the same floats in the same order (momentum, Adagrad at eps = 0, Adadelta,
SGD under LambdaLR); to 1e-12 where only the association differs (RMSProp, Adam: see ``CASES``).

Where the book's spelling differs here: ``p.grad`` is a numpy array (README), so ``p.grad.data.zero_()``
is ``p.grad.fill(0)``; the book's Adagrad and RMSProp put eps inside the square root (sqrt(s + eps)),
torch's and ours outside (sqrt(s) + eps), so those two read ``hyperparams.get("eps", 1e-6)`` and the
oracle runs them at eps = 0, where both forms are one.
"""

import functools
import math

import numpy as np
import pytest

import autograd_core as ag
import nn

torch = ag  # the book's own spelling, kept so each step reads as the book does


# ---------------------------------------------------------------- the book's 2-d helpers (d2l.train_2d)
def train_2d(trainer, steps=20, f_grad=None):
    """Optimize a 2-d objective with a customized trainer; the (x1, x2) of every step."""
    x1, x2, s1, s2 = -5, -2, 0, 0  # s1 and s2 are internal state variables
    results = [(x1, x2)]
    for _i in range(steps):
        if f_grad:
            x1, x2, s1, s2 = trainer(x1, x2, s1, s2, f_grad)
        else:
            x1, x2, s1, s2 = trainer(x1, x2, s1, s2)
        results.append((x1, x2))
    return results


def engine_grad(f):
    """The gradient of f(x1, x2) by the engine, in place of the book's hand-written ``f_grad``."""

    def f_grad(x1, x2):
        x = torch.tensor([float(x1), float(x2)], requires_grad=True)
        f(x[0], x[1]).backward()
        return float(x.grad[0]), float(x.grad[1])

    return f_grad


def f(x1, x2):  # 12.4's objective
    return x1**2 + 2 * x2**2


def f_2d(x1, x2):  # 12.6-12.8's ill-conditioned objective
    return 0.1 * x1**2 + 2 * x2**2


def test_12_4_engine_gradients_are_the_book_s_closed_forms():
    for x1, x2 in [(-5.0, -2.0), (0.3, 1.7), (0.0, 0.0)]:
        np.testing.assert_allclose(engine_grad(f)(x1, x2), (2 * x1, 4 * x2), rtol=1e-15)
        np.testing.assert_allclose(engine_grad(f_2d)(x1, x2), (0.2 * x1, 4 * x2), rtol=1e-15)


# ---------------------------------------------------------------- 12.4 SGD and learning-rate schedules
eta, t, beta, gamma = 0.1, 0, 0.5, 0.9  # the book's globals, each run sets those it reads


def sgd(x1, x2, s1, s2, f_grad):
    g1, g2 = f_grad(x1, x2)
    g1 += torch.normal(0.0, 1, (1,)).item()  # simulate a noisy gradient
    g2 += torch.normal(0.0, 1, (1,)).item()
    eta_t = eta * lr()
    return (x1 - eta_t * g1, x2 - eta_t * g2, 0, 0)


def constant_lr():
    return 1


def exponential_lr():
    global t  # the book's global step counter, read outside this function too
    t += 1
    return math.exp(-0.1 * t)


def polynomial_lr():
    global t
    t += 1
    return (1 + 0.1 * t) ** (-0.5)


def _sgd_run(schedule, steps, seed):
    global lr, t
    lr, t = schedule, 1  # the book sets t = 1 before each decaying run
    torch.manual_seed(seed)
    return train_2d(sgd, steps=steps, f_grad=engine_grad(f))


def _sgd_by_optim(factor, steps, seed):
    """nn.optim.SGD on x = (x1, x2) under LambdaLR(factor), the same noise added to the engine's gradient."""
    torch.manual_seed(seed)
    x = torch.tensor([-5.0, -2.0], requires_grad=True)
    opt = nn.optim.SGD([x], lr=eta)
    scheduler = nn.optim.LambdaLR(opt, factor)
    results = [tuple(x.tolist())]
    for _ in range(steps):
        opt.zero_grad()
        f(x[0], x[1]).backward()
        noise = [torch.normal(0.0, 1, (1,)).item(), torch.normal(0.0, 1, (1,)).item()]
        x.grad += np.array(noise)
        opt.step()
        scheduler.step()
        results.append(tuple(x.tolist()))
    return results


def test_12_4_sgd_noise_a_fast_decay_stalls_and_a_polynomial_one_converges():
    finals = {}
    for name, schedule, steps in [("constant", constant_lr, 50), ("exp", exponential_lr, 1000)]:
        finals[name] = [np.abs(_sgd_run(schedule, steps, seed)[-1]) for seed in range(4)]
    finals["poly"] = [np.abs(_sgd_run(polynomial_lr, 50, seed)[-1]) for seed in range(4)]
    exp_x1 = np.median([x[0] for x in finals["exp"]])
    assert exp_x1 > 0.5  # the book: "the variable ... barely moves after a while": sum of eta_t is only ~0.95
    assert np.median([x[0] for x in finals["poly"]]) < exp_x1 / 2  # decays slowly enough to keep moving
    assert np.median([np.hypot(*x) for x in finals["constant"]]) > 0.05  # a constant rate jitters at the noise level


@pytest.mark.parametrize("schedule", ["exponential", "polynomial"])
def test_12_4_the_book_s_schedules_are_sgd_under_lambda_lr_bit_for_bit(schedule):
    book_lr = {"exponential": exponential_lr, "polynomial": polynomial_lr}[schedule]
    factor = {  # the book's lr() counts t (from 1) up before it is read: epoch e uses t = e + 2
        "exponential": lambda e: math.exp(-0.1 * (e + 2)),
        "polynomial": lambda e: (1 + 0.1 * (e + 2)) ** (-0.5),
    }[schedule]
    book = _sgd_run(book_lr, 30, seed=3)
    assert _sgd_by_optim(factor, 30, seed=3) == book


# ---------------------------------------------------------------- 12.6 Momentum
def gd_2d(x1, x2, s1, s2, f_grad):
    g1, g2 = f_grad(x1, x2)
    return (x1 - eta * g1, x2 - eta * g2, 0, 0)


def momentum_2d(x1, x2, v1, v2, f_grad):
    g1, g2 = f_grad(x1, x2)
    v1 = beta * v1 + g1
    v2 = beta * v2 + g2
    return x1 - eta * v1, x2 - eta * v2, v1, v2


def _run_2d(trainer, **hyper):
    globals().update(hyper)
    return train_2d(trainer, f_grad=engine_grad(f_2d))[-1]


def test_12_6_gradient_descent_and_momentum_end_where_the_book_prints():
    np.testing.assert_allclose(_run_2d(gd_2d, eta=0.4), (-0.943467, -0.000073), atol=1e-6)
    np.testing.assert_allclose(_run_2d(gd_2d, eta=0.6), (-0.387814, -1673.365109), atol=1e-6)  # x2 diverges
    np.testing.assert_allclose(_run_2d(momentum_2d, eta=0.6, beta=0.5), (0.007188, 0.002553), atol=1e-6)
    np.testing.assert_allclose(_run_2d(momentum_2d, eta=0.6, beta=0.25), (-0.126340, -0.186632), atol=1e-6)
    closed = (-5.0 * 0.92**20, -2.0 * (-0.6) ** 20)  # gd at eta = 0.4: x1 *= 1 - 0.4 * 0.2, x2 *= 1 - 0.4 * 4
    np.testing.assert_allclose(_run_2d(gd_2d, eta=0.4), closed, rtol=1e-13)


def _trajectory_by_optim(make_optimizer, steps=20):
    x = torch.tensor([-5.0, -2.0], requires_grad=True)
    opt = make_optimizer([x])
    results = [(-5, -2)]
    for _ in range(steps):
        opt.zero_grad()
        f_2d(x[0], x[1]).backward()
        opt.step()
        results.append(tuple(x.tolist()))
    return results


def test_12_6_momentum_2d_is_nn_optim_sgd_with_momentum_bit_for_bit():
    globals().update(eta=0.6, beta=0.5)
    book = train_2d(momentum_2d, f_grad=engine_grad(f_2d))
    assert _trajectory_by_optim(lambda p: nn.optim.SGD(p, lr=0.6, momentum=0.5)) == book


# ---------------------------------------------------------------- 12.7 Adagrad, 12.8 RMSProp
def adagrad_2d(x1, x2, s1, s2, f_grad):
    eps = 1e-6
    g1, g2 = f_grad(x1, x2)
    s1 += g1**2
    s2 += g2**2
    x1 -= eta / math.sqrt(s1 + eps) * g1
    x2 -= eta / math.sqrt(s2 + eps) * g2
    return x1, x2, s1, s2


def rmsprop_2d(x1, x2, s1, s2, f_grad):
    eps = 1e-6
    g1, g2 = f_grad(x1, x2)
    s1 = gamma * s1 + (1 - gamma) * g1**2
    s2 = gamma * s2 + (1 - gamma) * g2**2
    x1 -= eta / math.sqrt(s1 + eps) * g1
    x2 -= eta / math.sqrt(s2 + eps) * g2
    return x1, x2, s1, s2


def test_12_7_12_8_adagrad_and_rmsprop_2d_end_where_the_book_prints():
    np.testing.assert_allclose(_run_2d(adagrad_2d, eta=0.4), (-2.382563, -0.158591), atol=1e-6)  # too slow
    np.testing.assert_allclose(_run_2d(adagrad_2d, eta=2), (-0.002295, 0.0), atol=1e-6)
    np.testing.assert_allclose(_run_2d(rmsprop_2d, eta=0.4, gamma=0.9), (-0.010599, 0.0), atol=1e-6)
    # the same runs by nn.optim: only the eps placement differs (inside vs outside the square root)
    adagrad = _trajectory_by_optim(lambda p: nn.optim.Adagrad(p, lr=2, eps=1e-6))[-1]
    rmsprop = _trajectory_by_optim(lambda p: nn.optim.RMSprop(p, lr=0.4, alpha=0.9, eps=1e-6))[-1]
    np.testing.assert_allclose(adagrad, (-0.002295, 0.0), atol=1e-6)
    np.testing.assert_allclose(rmsprop, (-0.010599, 0.0), atol=1e-6)


# ---------------------------------------------------------------- 12.6-12.10 the minibatch updates
def init_momentum_states(feature_dim):
    v_w = torch.zeros((feature_dim, 1))
    v_b = torch.zeros(1)
    return (v_w, v_b)


def sgd_momentum(params, states, hyperparams):
    for p, v in zip(params, states):
        with torch.no_grad():
            v[:] = hyperparams["momentum"] * v + p.grad
            p[:] -= hyperparams["lr"] * v
        p.grad.fill(0)  # the book: p.grad.data.zero_()


def init_adagrad_states(feature_dim):
    s_w = torch.zeros((feature_dim, 1))
    s_b = torch.zeros(1)
    return (s_w, s_b)


def adagrad(params, states, hyperparams):
    eps = hyperparams.get("eps", 1e-6)  # the book: eps = 1e-6 (inside the square root)
    for p, s in zip(params, states):
        with torch.no_grad():
            s[:] += torch.square(p.grad)
            p[:] -= hyperparams["lr"] * p.grad / torch.sqrt(s + eps)
        p.grad.fill(0)


init_rmsprop_states = init_adagrad_states  # the book: the same zeros


def rmsprop(params, states, hyperparams):
    gamma, eps = hyperparams["gamma"], hyperparams.get("eps", 1e-6)  # the book: eps = 1e-6
    for p, s in zip(params, states):
        with torch.no_grad():
            s[:] = gamma * s + (1 - gamma) * torch.square(p.grad)
            p[:] -= hyperparams["lr"] * p.grad / torch.sqrt(s + eps)
        p.grad.fill(0)


def init_adadelta_states(feature_dim):  # the book: (s_w, delta_w), (s_b, delta_b), all zeros
    return ((torch.zeros((feature_dim, 1)), torch.zeros((feature_dim, 1))), (torch.zeros(1), torch.zeros(1)))


def adadelta(params, states, hyperparams):
    rho, eps = hyperparams["rho"], 1e-5
    for p, (s, delta) in zip(params, states):
        with torch.no_grad():
            s[:] = rho * s + (1 - rho) * torch.square(p.grad)  # in-place updates via [:]
            g = (torch.sqrt(delta + eps) / torch.sqrt(s + eps)) * p.grad
            p[:] -= g
            delta[:] = rho * delta + (1 - rho) * g * g
        p.grad.fill(0)


init_adam_states = init_adadelta_states  # the book: (v_w, s_w), (v_b, s_b), the same zeros


def adam(params, states, hyperparams):
    beta1, beta2, eps = 0.9, 0.999, 1e-6
    for p, (v, s) in zip(params, states):
        with torch.no_grad():
            v[:] = beta1 * v + (1 - beta1) * p.grad
            s[:] = beta2 * s + (1 - beta2) * torch.square(p.grad)
            v_bias_corr = v / (1 - beta1 ** hyperparams["t"])
            s_bias_corr = s / (1 - beta2 ** hyperparams["t"])
            p[:] -= hyperparams["lr"] * v_bias_corr / (torch.sqrt(s_bias_corr) + eps)
        p.grad.fill(0)
    hyperparams["t"] += 1


def get_data_ch11(n=200):
    """A standardised 5-feature linear regression in place of d2l's airfoil data (no download)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 5))
    y = X @ np.array([0.5, -1.0, 0.3, 0.0, 2.0]) + 0.2 + rng.normal(0, 0.1, n)
    return X, ((y - y.mean()) / y.std()).reshape(-1, 1)


def _train_ch11(updater, lib=ag, epochs=2, batch_size=10):
    """d2l's train_ch11 (its Animator left out) and train_concise_ch11: ``updater(w, b)`` gives a step
    function or an optimizer; the loss over the whole data, before and after, and the final w and b."""
    X, y = get_data_ch11()
    w = lib.tensor(np.random.default_rng(1).normal(0, 0.01, (5, 1)), requires_grad=True)
    b = lib.zeros(1, dtype=lib.float64, requires_grad=True)
    step = updater(w, b)

    def loss():
        with lib.no_grad():
            return float((((lib.tensor(X) @ w + b) - lib.tensor(y)) ** 2 / 2).mean())

    first = loss()
    for _epoch in range(epochs):
        for i in range(0, len(X), batch_size):
            Xb, yb = lib.tensor(X[i : i + batch_size]), lib.tensor(y[i : i + batch_size])
            l = ((Xb @ w + b - yb) ** 2 / 2).mean()  # noqa: E741 (the book's name)
            l.backward()
            step() if callable(step) else (step.step(), step.zero_grad())
    return first, loss(), np.array(w.tolist()), np.array(b.tolist())


def _book(trainer_fn, init_states, hyperparams):
    return lambda w, b: functools.partial(trainer_fn, [w, b], init_states(5), dict(hyperparams))


CASES = {  # name: the book's updater, the optimizer of that name (of nn.optim or torch.optim), equal bit for bit?
    "momentum": (
        (sgd_momentum, init_momentum_states, {"lr": 0.02, "momentum": 0.5}),
        ("SGD", dict(lr=0.02, momentum=0.5)),
        True,
    ),
    "adagrad": ((adagrad, init_adagrad_states, {"lr": 0.1, "eps": 0.0}), ("Adagrad", dict(lr=0.1, eps=0.0)), True),
    "rmsprop": (  # not bitwise: (1 - gamma) * (g*g) vs ((1 - alpha) * g) * g, and lr * (g / r) vs (lr * g) / r
        (rmsprop, init_rmsprop_states, {"lr": 0.01, "gamma": 0.9, "eps": 0.0}),
        ("RMSprop", dict(lr=0.01, alpha=0.9, eps=0.0)),
        False,
    ),
    "adadelta": ((adadelta, init_adadelta_states, {"rho": 0.9}), ("Adadelta", dict(lr=1.0, rho=0.9, eps=1e-5)), True),
    # not bitwise: the book divides m and v by the bias corrections, torch's form folds them into lr and eps's sum
    "adam": ((adam, init_adam_states, {"lr": 0.01, "t": 1}), ("Adam", dict(lr=0.01, eps=1e-6)), False),
}


@pytest.mark.parametrize("name", list(CASES))
def test_12_6_to_12_10_the_book_s_update_is_the_oracle_for_nn_optim(name):
    (book_fn, init_states, hyperparams), (cls, hyper), bitwise = CASES[name]
    book = _train_ch11(_book(book_fn, init_states, hyperparams))
    ours = _train_ch11(lambda w, b: getattr(nn.optim, cls)([w, b], **hyper))
    assert book[1] < 0.6 * book[0]  # 40 minibatch steps: the loss falls (the book's curves, on airfoil)
    assert ours[0] == book[0]
    if bitwise:
        np.testing.assert_array_equal(ours[2], book[2])
        np.testing.assert_array_equal(ours[3], book[3])
    else:
        assert not np.array_equal(ours[2], book[2])  # the rounding differs, as the table says ...
        np.testing.assert_allclose(ours[2], book[2], rtol=1e-12)  # ... and nothing else
        np.testing.assert_allclose(ours[3], book[3], rtol=1e-12)
    real = pytest.importorskip("torch")
    theirs = _train_ch11(lambda w, b: getattr(real.optim, cls)([w, b], **hyper), lib=real)
    np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-12)
    np.testing.assert_allclose(ours[3], theirs[3], rtol=1e-12)


@pytest.mark.parametrize("name", ["adagrad", "rmsprop"])
def test_12_7_12_8_the_book_s_eps_sits_inside_the_square_root(name):
    """With the book's eps = 1e-6 the two forms part a little (relative ~ eps / s), not at all at eps = 0."""
    book_fn, init_states, hyper, cls, extra = {
        "adagrad": (adagrad, init_adagrad_states, {"lr": 0.1}, nn.optim.Adagrad, {}),
        "rmsprop": (rmsprop, init_rmsprop_states, {"lr": 0.01, "gamma": 0.9}, nn.optim.RMSprop, {"alpha": 0.9}),
    }[name]
    book = _train_ch11(_book(book_fn, init_states, hyper))
    ours = _train_ch11(lambda w, b: cls([w, b], lr=hyper["lr"], eps=1e-6, **extra))
    difference = np.abs(ours[2] - book[2]).max()
    assert 1e-12 < difference < 1e-4


# ---------------------------------------------------------------- the gaps the chapter found (fixed)
def test_gap_torch_square_is_x_times_x_with_its_gradient():
    x = torch.tensor([-3.0, 0.5, 2.0], requires_grad=True)
    assert torch.square(x).tolist() == [9.0, 0.25, 4.0]
    torch.square(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [-6.0, 1.0, 4.0])


def test_gap_adadelta_defaults_state_and_bad_rho_as_torch():
    w = torch.tensor([1.0, -2.0], requires_grad=True)
    opt = nn.optim.Adadelta([w])
    assert opt.defaults == dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=False)  # torch's
    (w**2).sum().backward()
    opt.step()
    first = np.sqrt(1e-6) / np.sqrt(0.1 * np.array([2.0, -4.0]) ** 2 + 1e-6) * np.array([2.0, -4.0])
    np.testing.assert_allclose(w.tolist(), np.array([1.0, -2.0]) - first, rtol=1e-15)
    resumed = nn.optim.Adadelta([torch.tensor([0.0, 0.0], requires_grad=True)])
    resumed.load_state_dict(opt.state_dict())
    np.testing.assert_array_equal(resumed.state[0]["acc_delta"], opt.state[0]["acc_delta"])
    with pytest.raises(ValueError, match=r"Adadelta: rho must be >= 0.0 and <= 1.0, got 1.5"):
        nn.optim.Adadelta([w], rho=1.5)
