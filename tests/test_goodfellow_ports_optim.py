"""Goodfellow, Bengio & Courville, *Deep Learning*, chapter 8 (optimisation for training deep models), ported:
Algorithms 8.1-8.7 as printed (tests/goodfellow_helpers.py, numpy) are the ORACLES of ``nn.optim`` over 40 steps
on a small tanh network's loss (gradients from the engine, the same at the same point, so any gap is the update
rule's); eq. 8.14's linear decay is ``LinearLR``; 8.6.1 Newton's method on a quadratic and on a saddle; 8.7.1 batch
normalisation's reparametrisation (the layer's output does not depend on the scale of the weights before it); 8.7.4
Polyak averaging on a noisy quadratic.

Where the book's algorithms differ from ``nn.optim`` (and torch.optim, which it follows):
- 8.2 momentum: the book's v <- alpha v - eps g; theta <- theta + v is ``SGD(lr=eps, momentum=alpha)``, whose
  buffer b = alpha b + g is -v / eps (equal while eps is constant; a changed lr rescales the book's old velocity
  but not torch's).
- 8.3 Nesterov: torch/``nn.optim`` store the look-ahead point: ``SGD(nesterov=True)``'s parameters are the book's
  theta + alpha v at every step (Sutskever's change of variables), not the book's theta.
- 8.5 RMSProp: the book puts delta INSIDE the square root (eps / sqrt(delta + r)); ``RMSprop``'s eps is added
  to sqrt(r) (torch's). With eps = delta = 0 they are equal; at delta = 1e-6 they part where r is
  small (7.6e-5 after 40 steps here).
- 8.6 RMSProp with Nesterov momentum exists in neither: ``RMSprop(momentum=alpha, eps=0)`` is the book's 8.6
  without the look-ahead (heavy-ball), the velocity again -v / eps.
- 8.4 AdaGrad and 8.7 Adam are as printed (delta added to sqrt(r), and to Adam's bias-corrected sqrt(r^)).

What the port needed (fixed): 8.7.4's Polyak averaging had no counterpart of torch's
``optim.swa_utils.AveragedModel``: now ``nn.optim.swa_utils.AveragedModel`` (the running mean, or an
EMA with ``avg_fn=get_ema_avg_fn(decay)``; buffers copied, or averaged with ``use_buffers=True``).
"""

import numpy as np
import pytest
from goodfellow_helpers import adagrad, adam, momentum, nesterov, nesterov_lookahead, rmsprop, rmsprop_nesterov, sgd

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core import Tensor

RNG = np.random.default_rng(0)
X, Y = Tensor(RNG.normal(size=(20, 3))), Tensor(RNG.normal(size=20))
THETA0 = RNG.normal(size=8)


def loss(theta):
    """A small tanh network's squared error: non-quadratic, so every rule's state matters."""
    W, v = theta[:6].reshape(3, 2), theta[6:]
    return (((X @ W).tanh() @ v - Y) ** 2).mean()


def gradient(theta):
    t = Tensor(theta, requires_grad=True)
    return ag.grad(loss(t), t)[0].data


def run_book(rule, steps=40, lookahead=None, **hyper):
    theta, state = THETA0.copy(), {}
    for _ in range(steps):
        at = theta if lookahead is None else nesterov_lookahead(theta, state, lookahead)
        theta = rule(theta, gradient(at), state, **hyper)
    return theta, state


def run_ours(make_optimizer, steps=40):
    theta = Tensor(THETA0.copy(), requires_grad=True)
    opt = make_optimizer([theta])
    for _ in range(steps):
        opt.zero_grad()
        loss(theta).backward()
        opt.step()
    return theta.data


def test_algorithm_8_1_sgd_is_sgd_bit_for_bit():
    book, _ = run_book(sgd, eps=0.1)
    np.testing.assert_array_equal(run_ours(lambda p: nn.optim.SGD(p, lr=0.1)), book)
    assert loss(Tensor(book)).item() < 0.5 * loss(Tensor(THETA0)).item()  # it trains


def test_eq_8_14_linear_decay_of_the_learning_rate_is_linear_lr():
    """eps_k = (1 - a) eps_0 + a eps_tau with a = k / tau, then constant: LinearLR(end_factor=eps_tau/eps_0)."""
    eps0, eps_tau, tau = 0.1, 0.001, 50
    opt = nn.optim.SGD([Tensor(np.zeros(1), requires_grad=True)], lr=eps0)
    schedule = nn.optim.LinearLR(opt, start_factor=1.0, end_factor=eps_tau / eps0, total_iters=tau)
    for k in (0, 10, 25, 50, 80):
        a = min(k, tau) / tau
        assert schedule.lr_at(k) == pytest.approx((1 - a) * eps0 + a * eps_tau, rel=1e-12)


def test_algorithm_8_2_momentum_is_sgd_with_momentum_its_velocity_minus_eps_times_the_buffer():
    book, state = run_book(momentum, eps=0.05, alpha=0.9)
    theta = Tensor(THETA0.copy(), requires_grad=True)
    opt = nn.optim.SGD([theta], lr=0.05, momentum=0.9)
    for _ in range(40):
        opt.zero_grad()
        loss(theta).backward()
        opt.step()
    np.testing.assert_allclose(theta.data, book, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(-0.05 * opt.state[0]["momentum_buffer"], state["v"], rtol=1e-12, atol=1e-15)


def test_algorithm_8_3_nesterov_parameters_are_the_books_lookahead_point():
    """The book takes the gradient at theta + alpha v; SGD(nesterov=True) keeps that point as the parameters."""
    book, state = run_book(nesterov, lookahead=0.9, eps=0.05, alpha=0.9)
    ours = run_ours(lambda p: nn.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True))
    np.testing.assert_allclose(ours, book + 0.9 * state["v"], rtol=1e-12, atol=1e-14)
    assert np.abs(ours - book).max() > 1e-4  # not the book's theta itself


def test_algorithm_8_3_lookahead_equals_torchs_nesterov():
    torch = pytest.importorskip("torch")
    book, state = run_book(nesterov, lookahead=0.9, eps=0.05, alpha=0.9)
    p = torch.tensor(THETA0.copy(), requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.05, momentum=0.9, nesterov=True)
    for _ in range(40):
        opt.zero_grad()
        p.grad = torch.tensor(gradient(p.detach().numpy()))
        opt.step()
    np.testing.assert_allclose(p.detach().numpy(), book + 0.9 * state["v"], rtol=1e-12, atol=1e-14)


def test_algorithm_8_4_adagrad_is_adagrad_with_eps_delta():
    book, _ = run_book(adagrad, eps=0.1, delta=1e-7)
    np.testing.assert_allclose(run_ours(lambda p: nn.optim.AdaGrad(p, lr=0.1, eps=1e-7)), book, rtol=1e-14, atol=1e-15)


def test_algorithm_8_5_rmsprop_delta_inside_the_root_differs_from_eps_outside():
    book0, _ = run_book(rmsprop, eps=0.01, rho=0.9, delta=0.0)
    ours0 = run_ours(lambda p: nn.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=0.0))
    np.testing.assert_allclose(ours0, book0, rtol=1e-14, atol=1e-15)  # without delta: the same rule
    book, _ = run_book(rmsprop, eps=0.01, rho=0.9, delta=1e-6)
    ours = run_ours(lambda p: nn.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=1e-6))
    gap = np.abs(ours - book).max()
    assert 1e-12 < gap < 1e-3  # measured 7.6e-5 on weights of size ~1: small gradients make r ~ delta


def test_algorithm_8_6_without_the_lookahead_is_rmsprop_with_momentum():
    """Heavy-ball RMSProp (8.6 with the gradient at theta) is RMSprop(momentum=alpha, eps=0); the printed
    Nesterov form has no nn.optim (nor torch.optim) counterpart: it ends elsewhere, measured here."""

    def heavy_ball(theta, g, state, **hyper):
        return rmsprop_nesterov(theta, g, state, **hyper)

    book, _ = run_book(heavy_ball, eps=0.001, rho=0.9, alpha=0.9)
    ours = run_ours(lambda p: nn.optim.RMSprop(p, lr=0.001, alpha=0.9, eps=0.0, momentum=0.9))
    np.testing.assert_allclose(ours, book, rtol=1e-12, atol=1e-14)
    printed, _ = run_book(rmsprop_nesterov, lookahead=0.9, eps=0.001, rho=0.9, alpha=0.9)
    assert loss(Tensor(printed)).item() < loss(Tensor(THETA0)).item()
    assert np.abs(printed - book).max() > 1e-4


def test_algorithm_8_7_adam_is_adam():
    book, state = run_book(adam, eps=0.01, rho1=0.9, rho2=0.999, delta=1e-8)
    theta = Tensor(THETA0.copy(), requires_grad=True)
    opt = nn.optim.Adam([theta], lr=0.01, betas=(0.9, 0.999), eps=1e-8)
    for _ in range(40):
        opt.zero_grad()
        loss(theta).backward()
        opt.step()
    np.testing.assert_allclose(theta.data, book, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(opt.state[0]["exp_avg"], state["s"], rtol=1e-13)
    np.testing.assert_allclose(opt.state[0]["exp_avg_sq"], state["r"], rtol=1e-13)


# ---------------------------------------------------------------- 8.6.1 Newton's method
def test_algorithm_8_8_newton_on_a_quadratic_is_one_step_and_is_drawn_to_a_saddle():
    """theta* = theta0 - H^-1 grad J(theta0) (eq. 8.27); H from ag.hessian. On f = x^2 - y^2 (eigenvalues 2
    and -2) Newton jumps onto the saddle (0, 0) at once; gradient descent moves away from it along y; the
    regularised step (H + alpha I)^-1 with alpha = 3 > 2 (eq. 8.28) escapes as well."""
    A = np.array([[3.0, 1.0], [1.0, 2.0]])

    def bowl(t):
        return 0.5 * (t @ Tensor(A) @ t) - Tensor([1.0, 1.0]) @ t

    def saddle(t):
        return t[0] ** 2 - t[1] ** 2

    def newton_step(f, theta, alpha=0.0):
        H = ag.hessian(f)(Tensor(theta)).data
        t = Tensor(theta, requires_grad=True)
        return theta - np.linalg.solve(H + alpha * np.eye(2), ag.grad(f(t), t)[0].data), H

    minimum, _ = newton_step(bowl, np.array([5.0, -4.0]))
    np.testing.assert_allclose(minimum, np.linalg.solve(A, [1.0, 1.0]), rtol=1e-13)
    start = np.array([1.0, 0.5])
    onto, H = newton_step(saddle, start)
    np.testing.assert_array_equal(np.linalg.eigvalsh(H), [-2.0, 2.0])
    np.testing.assert_allclose(onto, [0.0, 0.0], atol=1e-15)
    t = Tensor(onto, requires_grad=True)
    assert np.abs(ag.grad(saddle(t), t)[0].data).max() < 1e-15  # a critical point, not a minimum
    theta = Tensor(start.copy(), requires_grad=True)
    opt = nn.optim.SGD([theta], lr=0.1)
    for _ in range(20):
        opt.zero_grad()
        saddle(theta).backward()
        opt.step()
    # each step multiplies x by 1 - 0.2 and y by 1 + 0.2: towards the saddle along x, away along y
    np.testing.assert_allclose(theta.data, [0.8**20 * start[0], 1.2**20 * start[1]], rtol=1e-12)
    regularised, _ = newton_step(saddle, start, alpha=3.0)
    np.testing.assert_allclose(regularised, [0.6 * start[0], 3 * start[1]], rtol=1e-14)  # x - 2x/5, y + 2y/1
    assert saddle(Tensor(regularised)).item() < saddle(Tensor(start)).item()


# ---------------------------------------------------------------- 8.7.1 batch normalisation
def test_batch_norm_output_is_invariant_to_the_scale_of_the_previous_layers_weights():
    """H' = (H - mu) / sigma: scaling W by c > 0 scales H, mu and sigma alike (eps aside: 1e-12 here). The
    gradient at c W is the gradient at W over c, and orthogonal to each unit's weights (the scale is free)."""
    rng = np.random.default_rng(1)
    x = Tensor(rng.normal(size=(32, 5)))
    W0 = rng.normal(size=(4, 5))
    target = Tensor(rng.normal(size=(32, 4)))
    norm = nn.BatchNorm1d(4, eps=1e-12)
    outs, grads = {}, {}
    for c in (1.0, 10.0):
        W = Tensor(c * W0, requires_grad=True)
        out = norm(x @ W.T)
        outs[c] = out.data
        F.mse_loss(out, target).backward()
        grads[c] = W.grad
    np.testing.assert_allclose(outs[10.0], outs[1.0], rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(grads[10.0], grads[1.0] / 10, rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose((grads[1.0] * W0).sum(axis=1), 0, atol=1e-9)
    plain = {c: (x @ Tensor(c * W0).T).data for c in (1.0, 10.0)}
    assert np.abs(plain[10.0] - plain[1.0]).max() > 1  # without the normalisation it does depend on c


# ---------------------------------------------------------------- 8.7.4 Polyak averaging
def test_polyak_average_of_noisy_sgd_iterates_is_closer_to_the_minimum_than_the_last_iterate():
    """theta_hat(t) = 1/t sum_i theta(i): SGD with a constant step on a noisy quadratic wanders in a ball
    around the minimum; the average does not. Measured over 2,000 steps, seeds 0-4: the average 0.03-0.04
    from the minimum, the last iterate 0.21-0.68 (5-16 times farther)."""
    rng = np.random.default_rng(2)
    w_star = np.array([1.0, -2.0, 0.5])
    theta = Tensor(np.zeros(3), requires_grad=True)
    opt = nn.optim.SGD([theta], lr=0.1)
    average, burn_in = np.zeros(3), 200
    for t in range(2000):
        opt.zero_grad()
        noise = Tensor(rng.normal(size=3))
        (0.5 * ((theta - Tensor(w_star)) ** 2).sum() + (noise * theta).sum()).backward()
        opt.step()
        if t >= burn_in:  # the book's running average, started after the transient
            average += (theta.data - average) / (t - burn_in + 1)
    last_error, average_error = np.linalg.norm(theta.data - w_star), np.linalg.norm(average - w_star)
    assert average_error < last_error / 3
    assert average_error < 0.1


def noisy_quadratic_run(swa_of, steps=600, burn_in=100):
    """The run above on an nn.Linear's weights, averaged by hand (the oracle) and by ``swa_of(model)``."""
    rng = np.random.default_rng(3)
    w_star = Tensor(np.array([[1.0, -2.0, 0.5]]))
    model = nn.Linear(3, 1, bias=False, seed=0)
    swa = swa_of(model)
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    by_hand = []
    for t in range(steps):
        opt.zero_grad()
        noise = Tensor(rng.normal(size=(1, 3)))
        (0.5 * ((model.weight - w_star) ** 2).sum() + (noise * model.weight).sum()).backward()
        opt.step()
        if t >= burn_in:
            swa.update_parameters(model)
            by_hand.append(model.weight.data.copy())
    return model, swa, np.array(by_hand), w_star.data


def test_polyak_averaging_by_averaged_model_is_the_books_mean_of_the_iterates():
    """Gap: torch's ``optim.swa_utils.AveragedModel`` (Polyak averaging / SWA) had no counterpart; now
    ``nn.optim.swa_utils.AveragedModel``: the same running mean as the hand-written one, torch's values."""
    model, swa, iterates, w_star = noisy_quadratic_run(nn.optim.swa_utils.AveragedModel)
    np.testing.assert_allclose(swa.module.weight.data, iterates.mean(axis=0), rtol=1e-12)
    assert int(swa.n_averaged) == 500 and sorted(swa.state_dict()) == ["module.weight", "n_averaged"]
    assert np.linalg.norm(swa.module.weight.data - w_star) < np.linalg.norm(model.weight.data - w_star) / 3
    x = Tensor(np.ones((2, 3)))
    np.testing.assert_allclose(swa(x).data, x.data @ iterates.mean(axis=0).T, rtol=1e-12)
    _, ema, iterates, _ = noisy_quadratic_run(
        lambda m: nn.optim.swa_utils.AveragedModel(m, avg_fn=nn.optim.swa_utils.get_ema_avg_fn(0.9))
    )
    expected = iterates[0]
    for w in iterates[1:]:
        expected = 0.9 * expected + 0.1 * w
    np.testing.assert_allclose(ema.module.weight.data, expected, rtol=1e-12)


def test_averaged_model_copies_or_averages_the_buffers_and_refuses_another_model():
    model = nn.Sequential(nn.Linear(2, 3, seed=0), nn.BatchNorm1d(3))
    copied, averaged = (
        nn.optim.swa_utils.AveragedModel(model),
        nn.optim.swa_utils.AveragedModel(model, use_buffers=True),
    )
    means = []
    for seed in range(3):
        model(Tensor(np.random.default_rng(seed).normal(size=(8, 2))))  # training mode: running stats move
        means.append(model[1].running_mean.copy())
        copied.update_parameters(model)
        averaged.update_parameters(model)
    np.testing.assert_array_equal(copied.module[1].running_mean, means[-1])
    np.testing.assert_allclose(averaged.module[1].running_mean, np.mean(means, axis=0), rtol=1e-12)
    with pytest.raises(ValueError, match=r"AveragedModel.update_parameters: model's parameters .* are not those"):
        copied.update_parameters(nn.Linear(2, 3))
    with pytest.raises(ValueError, match=r"'0.weight' has shape \(4, 2\) in model but \(3, 2\)"):
        copied.update_parameters(nn.Sequential(nn.Linear(2, 4), nn.BatchNorm1d(3)))
    with pytest.raises(TypeError, match=r"multi_avg_fn .* give the same rule per tensor as avg_fn"):
        nn.optim.swa_utils.AveragedModel(model, multi_avg_fn=lambda *a: None)
    with pytest.raises(TypeError, match=r"model must be an nn\.Module, got list"):
        nn.optim.swa_utils.AveragedModel([model])
    with pytest.raises(ValueError, match="decay must be a number in"):
        nn.optim.swa_utils.get_ema_avg_fn(1.5)
    # a wrapper of the model it was given, not a layer a file can rebuild: its .module is
    assert nn.architecture.describe(copied.module)["type"] == "Sequential"
    with pytest.raises(TypeError, match="AveragedModel is not an nn layer"):
        nn.architecture.describe(copied)


def test_averaged_model_equals_torchs():
    torch = pytest.importorskip("torch")
    from torch.optim.swa_utils import AveragedModel, get_ema_avg_fn

    for make_ours, make_theirs in (
        (nn.optim.swa_utils.AveragedModel, AveragedModel),
        (
            lambda m: nn.optim.swa_utils.AveragedModel(m, avg_fn=nn.optim.swa_utils.get_ema_avg_fn(0.9)),
            lambda m: AveragedModel(m, avg_fn=get_ema_avg_fn(0.9)),
        ),
    ):
        _, ours, iterates, _ = noisy_quadratic_run(make_ours, steps=150, burn_in=100)
        theirs_model = torch.nn.Linear(3, 1, bias=False).double()
        theirs = make_theirs(theirs_model)
        for w in iterates:
            with torch.no_grad():
                theirs_model.weight.copy_(torch.tensor(w))
            theirs.update_parameters(theirs_model)
        np.testing.assert_allclose(ours.module.weight.data, theirs.module.weight.detach().numpy(), rtol=1e-13)
        assert int(ours.n_averaged) == int(theirs.n_averaged) == 50
