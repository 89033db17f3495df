"""Géron, *Hands-On Machine Learning*, chapter 11's faster optimisers and learning-rate schedules, with the book's own
update rules as oracles (Equations 11-4 to 11-9: momentum, Nesterov, AdaGrad, RMSProp, Adam, AdaMax, written in
numpy as printed, the signs and epsilon placement the book's), torch's optimisers in torch spellings stepped on
the same ill-conditioned quadratic; momentum's terminal velocity 1/(1 - beta); power, exponential and piecewise
constant scheduling against their formulas; performance scheduling (ReduceLROnPlateau) and 1cycle against torch;
the learning-rate finder's exponentially growing rate and its blow-up against gradient descent's 2 / lambda_max.
"""

import itertools
import math

import numpy as np
import pytest

import autograd_core as torch
import nn

# an elongated bowl, the book's Figure 11-x picture of why plain GD crawls: J(theta) = 1/2 theta^T A theta - b^T theta
A = np.array([[10.0, 2.0], [2.0, 1.0]])
B = np.array([1.0, -1.0])
THETA0 = np.array([3.0, -4.0])


def gradient(theta):
    return A @ theta - B


def run(optimizer_class, steps=30, **kwargs):
    theta = torch.tensor(THETA0.copy(), requires_grad=True)
    optimizer = optimizer_class([theta], **kwargs)
    path = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = 0.5 * theta @ torch.tensor(A) @ theta - torch.tensor(B) @ theta
        loss.backward()
        optimizer.step()
        path.append(theta.data.copy())
    return np.array(path)


def book(update, state, steps=30):
    theta, path = THETA0.copy(), []
    for t in range(1, steps + 1):
        theta = update(theta, state, t)
        path.append(theta.copy())
    return np.array(path)


def test_equation_11_4_momentum_is_torchs_sgd_momentum():
    eta, beta = 0.05, 0.9

    def momentum(theta, s, t):  # m <- beta m - eta grad; theta <- theta + m
        s["m"] = beta * s["m"] - eta * gradient(theta)
        return theta + s["m"]

    np.testing.assert_allclose(run(nn.optim.SGD, lr=eta, momentum=beta), book(momentum, {"m": 0}), rtol=1e-13)


def test_equation_11_5_nesterov_looks_ahead_and_torch_tracks_the_look_ahead_point():
    eta, beta = 0.05, 0.9

    def nesterov(theta, s, t):  # m <- beta m - eta grad J(theta + beta m); theta <- theta + m
        s["m"] = beta * s["m"] - eta * gradient(theta + beta * s["m"])
        theta = theta + s["m"]
        s["look_ahead"].append(theta + beta * s["m"])
        return theta

    state = {"m": 0, "look_ahead": []}
    book(nesterov, state)
    # torch's nesterov=True is the same method written at theta' = theta + beta m (Sutskever's change of variables)
    torch_path = run(nn.optim.SGD, lr=eta, momentum=beta, nesterov=True)
    np.testing.assert_allclose(torch_path, np.array(state["look_ahead"]), rtol=1e-12, atol=1e-14)


def test_momentum_terminal_velocity_is_one_over_one_minus_beta_times_the_gradient_step():
    # on a constant slope, m converges to -eta g / (1 - beta): 10x plain GD's step at beta = 0.9
    w = torch.tensor([0.0], requires_grad=True)
    optimizer = nn.optim.SGD([w], lr=0.01, momentum=0.9)
    steps = []
    for _ in range(300):
        previous = w.item()
        optimizer.zero_grad()
        (2.0 * w).sum().backward()  # gradient 2 everywhere
        optimizer.step()
        steps.append(w.item() - previous)
    assert steps[0] == pytest.approx(-0.02) and steps[-1] == pytest.approx(-0.02 / (1 - 0.9), rel=1e-12)


@pytest.mark.parametrize("name", ["AdaGrad", "RMSProp", "Adam", "AdaMax"])
def test_equations_11_6_to_11_9_the_adaptive_methods_as_printed(name):
    eta, rho, beta1, beta2, eps = 0.1, 0.9, 0.9, 0.999, 1e-12

    def adagrad(theta, s, t):  # s <- s + g (x) g; theta <- theta - eta g / sqrt(s + eps)
        g = gradient(theta)
        s["s"] = s["s"] + g * g
        return theta - eta * g / np.sqrt(s["s"] + eps)

    def rmsprop(theta, s, t):  # s <- rho s + (1 - rho) g (x) g
        g = gradient(theta)
        s["s"] = rho * s["s"] + (1 - rho) * g * g
        return theta - eta * g / np.sqrt(s["s"] + eps)

    def adam(
        theta, s, t
    ):  # m <- beta1 m - (1 - beta1) g (the book's sign); theta <- theta + eta m_hat / sqrt(s_hat + eps)
        g = gradient(theta)
        s["m"] = beta1 * s["m"] - (1 - beta1) * g
        s["s"] = beta2 * s["s"] + (1 - beta2) * g * g
        m_hat, s_hat = s["m"] / (1 - beta1**t), s["s"] / (1 - beta2**t)
        return theta + eta * m_hat / np.sqrt(s_hat + eps)

    def adamax(theta, s, t):  # s <- max(beta2 s, |g|); theta <- theta - eta m_hat / s
        g = gradient(theta)
        s["m"] = beta1 * s["m"] + (1 - beta1) * g
        s["s"] = np.maximum(beta2 * s["s"], np.abs(g))
        return theta - eta * (s["m"] / (1 - beta1**t)) / s["s"]

    rules = {
        "AdaGrad": (adagrad, nn.optim.Adagrad, {"eps": eps}),
        "RMSProp": (rmsprop, nn.optim.RMSprop, {"alpha": rho, "eps": eps}),
        "Adam": (adam, nn.optim.Adam, {"betas": (beta1, beta2), "eps": eps}),
        "AdaMax": (adamax, nn.optim.Adamax, {"betas": (beta1, beta2), "eps": eps}),
    }
    rule, optimizer, kwargs = rules[name]
    # torch puts eps outside the root (sqrt(s) + eps), the book inside: equal to ~1e-12 / sqrt(s)
    np.testing.assert_allclose(run(optimizer, lr=eta, **kwargs), book(rule, {"m": 0, "s": 0}), rtol=1e-9)


def test_every_optimizer_of_the_chapter_equals_torchs_in_torch_spellings():
    torch_ = pytest.importorskip("torch")
    settings = [
        ("SGD", {"lr": 0.05, "momentum": 0.9}),
        ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
        ("Adagrad", {"lr": 0.1}),
        ("RMSprop", {"lr": 0.01, "alpha": 0.9}),
        ("Adam", {"lr": 0.05, "betas": (0.9, 0.999)}),
        ("Adamax", {"lr": 0.05}),
        ("NAdam", {"lr": 0.05}),
        ("AdamW", {"lr": 0.05, "weight_decay": 1e-2}),
    ]
    default = torch_.get_default_dtype()
    torch_.set_default_dtype(torch_.float64)  # else torch keeps NAdam's mu_product in float32 (1e-8 off)
    try:
        for name, kwargs in settings:
            theta = torch_.tensor(THETA0.copy(), requires_grad=True)
            optimizer = getattr(torch_.optim, name)([theta], **kwargs)
            path = []
            for _ in range(30):
                optimizer.zero_grad()
                (0.5 * theta @ torch_.tensor(A) @ theta - torch_.tensor(B) @ theta).backward()
                optimizer.step()
                path.append(theta.detach().numpy().copy())
            np.testing.assert_allclose(run(getattr(nn.optim, name), **kwargs), path, rtol=1e-13, err_msg=name)
    finally:
        torch_.set_default_dtype(default)


# ------------------------------------------------------------------------------- learning-rate schedules
def scheduled_rates(make_scheduler, epochs=25, lr=0.01):
    w = torch.zeros(1, requires_grad=True)
    optimizer = nn.optim.SGD([w], lr=lr)
    scheduler = make_scheduler(optimizer)
    rates = []
    for _ in range(epochs):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return np.array(rates)


def test_power_exponential_and_piecewise_constant_scheduling_follow_the_books_formulas():
    t, eta0, s, c = np.arange(25), 0.01, 10, 1
    power = scheduled_rates(lambda o: nn.optim.lr_scheduler.LambdaLR(o, lambda epoch: 1 / (1 + epoch / s) ** c))
    np.testing.assert_allclose(power, eta0 / (1 + t / s) ** c, rtol=1e-15)  # eta(t) = eta0 / (1 + t/s)^c
    exponential = scheduled_rates(lambda o: nn.optim.lr_scheduler.ExponentialLR(o, gamma=0.1 ** (1 / s)))
    np.testing.assert_allclose(exponential, eta0 * 0.1 ** (t / s), rtol=1e-13)  # eta(t) = eta0 0.1^(t/s)
    piecewise = scheduled_rates(lambda o: nn.optim.lr_scheduler.MultiStepLR(o, milestones=[5, 15], gamma=0.1))
    np.testing.assert_allclose(piecewise, np.where(t < 5, 0.01, np.where(t < 15, 0.001, 0.0001)), rtol=1e-13)


def test_the_notebooks_cosine_annealing_with_warm_restarts_cell_equals_torchs():
    torch_ = pytest.importorskip("torch")
    w, w_t = torch.zeros(1, requires_grad=True), torch_.zeros(1, requires_grad=True)
    ours = nn.optim.lr_scheduler.CosineAnnealingWarmRestarts(nn.optim.SGD([w], lr=0.05), T_0=2, T_mult=2, eta_min=0.001)
    theirs = torch_.optim.lr_scheduler.CosineAnnealingWarmRestarts(
        torch_.optim.SGD([w_t], lr=0.05), T_0=2, T_mult=2, eta_min=0.001
    )
    lrs, lrs_t = [], []
    for _ in range(62):  # restarts after 2, 4, 8, 16 and 32 epochs: at epochs 2, 6, 14, 30
        lrs.append(ours.get_last_lr()[0])
        lrs_t.append(theirs.get_last_lr()[0])
        ours.step()
        theirs.step()
    np.testing.assert_allclose(lrs, lrs_t, rtol=1e-12)
    assert [t for t in range(1, 62) if lrs[t] > lrs[t - 1]] == [2, 6, 14, 30]


def test_performance_scheduling_equals_torchs_reduce_lr_on_plateau_in_every_mode():
    torch_ = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    for mode, threshold_mode, threshold, cooldown, min_lr, patience in itertools.product(
        ["min", "max"], ["rel", "abs"], [0.0, 0.01, 0.5], [0, 2], [0.0, 0.002], [0, 2]
    ):
        kwargs = dict(mode=mode, threshold_mode=threshold_mode, threshold=threshold, cooldown=cooldown)
        kwargs |= dict(min_lr=min_lr, patience=patience, factor=0.5)
        metrics = np.cumsum(rng.normal(0, 1, 40)) * (1 if mode == "min" else -1)
        ours, theirs = torch.zeros(1, requires_grad=True), torch_.zeros(1, requires_grad=True)
        optimizer, optimizer_t = nn.optim.SGD([ours], lr=0.1), torch_.optim.SGD([theirs], lr=0.1)
        scheduler = nn.optim.lr_scheduler.ReduceLROnPlateau(optimizer, **kwargs)
        scheduler_t = torch_.optim.lr_scheduler.ReduceLROnPlateau(optimizer_t, **kwargs)
        for metric in [*metrics, math.nan, math.inf]:
            scheduler.step(torch.tensor(metric))  # the book passes a 0-d tensor (the validation metric)
            scheduler_t.step(metric)
            assert optimizer.param_groups[0]["lr"] == optimizer_t.param_groups[0]["lr"], kwargs


def test_1cycle_equals_torchs_onecycle_lr_and_cycles_momentum_the_other_way():
    torch_ = pytest.importorskip("torch")
    for kwargs in [
        dict(max_lr=0.1, epochs=5, steps_per_epoch=7),
        dict(max_lr=0.5, total_steps=60, anneal_strategy="linear", three_phase=True),
        dict(max_lr=0.5, total_steps=60, pct_start=0.4, div_factor=10, final_div_factor=100, base_momentum=0.8),
    ]:
        ours, theirs = torch.zeros(1, requires_grad=True), torch_.zeros(1, requires_grad=True)
        optimizer = nn.optim.SGD([ours], lr=0.1, momentum=0.9)
        optimizer_t = torch_.optim.SGD([theirs], lr=0.1, momentum=0.9)
        scheduler = nn.optim.lr_scheduler.OneCycleLR(optimizer, **kwargs)
        scheduler_t = torch_.optim.lr_scheduler.OneCycleLR(optimizer_t, **kwargs)
        rates, momenta = [], []
        for _ in range(scheduler_t.total_steps):
            group, group_t = optimizer.param_groups[0], optimizer_t.param_groups[0]
            assert group["lr"] == pytest.approx(group_t["lr"], rel=1e-12)
            assert group["momentum"] == pytest.approx(group_t["momentum"], rel=1e-12)
            rates.append(group["lr"])
            momenta.append(group["momentum"])
            optimizer.step()
            optimizer_t.step()
            scheduler.step()
            scheduler_t.step()
        peak = int(np.argmax(rates))
        assert momenta[peak] == min(momenta) and rates[-1] < rates[0]  # momentum low while the rate is high
    with pytest.raises(ValueError, match=r"OneCycleLR: stepped 36 times, more than total_steps=35"):
        scheduler = nn.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, epochs=5, steps_per_epoch=7)
        for _ in range(36):
            scheduler.step()


class OneCycleScheduler:
    """The book's own 1cycle (its Keras callback, the rate set before each batch): linear from start_rate up to
    max_rate over the first half, back down over the second, then down to last_rate over the last iterations."""

    def __init__(self, iterations, max_rate, start_rate=None, last_iterations=None, last_rate=None):
        self.iterations = iterations
        self.max_rate = max_rate
        self.start_rate = start_rate or max_rate / 10
        self.last_iterations = last_iterations or iterations // 10 + 1
        self.half_iteration = (iterations - self.last_iterations) // 2
        self.last_rate = last_rate or self.start_rate / 1000
        self.iteration = 0

    def _interpolate(self, iter1, iter2, rate1, rate2):
        return (rate2 - rate1) * (self.iteration - iter1) / (iter2 - iter1) + rate1

    def on_batch_begin(self):
        if self.iteration < self.half_iteration:
            rate = self._interpolate(0, self.half_iteration, self.start_rate, self.max_rate)
        elif self.iteration < 2 * self.half_iteration:
            rate = self._interpolate(self.half_iteration, 2 * self.half_iteration, self.max_rate, self.start_rate)
        else:
            rate = self._interpolate(2 * self.half_iteration, self.iterations, self.start_rate, self.last_rate)
        self.iteration += 1
        return rate


def test_the_books_1cycle_is_onecycle_lr_three_phase_linear():
    iterations, max_rate = 100, 0.05
    book = OneCycleScheduler(iterations, max_rate)
    book_rates = [book.on_batch_begin() for _ in range(iterations)]
    half = book.half_iteration
    w = torch.zeros(1, requires_grad=True)
    optimizer = nn.optim.SGD([w], lr=max_rate)
    pct_start = (half + 1) / iterations  # the phase boundaries at half and 2 half, as the book's
    scheduler = nn.optim.lr_scheduler.OneCycleLR(  # the book's start_rate = max / 10, last_rate = start / 1000
        optimizer, max_rate, total_steps=iterations, pct_start=pct_start, anneal_strategy="linear", three_phase=True,
        div_factor=10, final_div_factor=1000,
    )  # fmt: skip
    rates = []
    for _ in range(iterations):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        if len(rates) < iterations:  # (a step past total_steps is refused, as torch's)
            scheduler.step()
    np.testing.assert_allclose(rates[: 2 * half + 1], book_rates[: 2 * half + 1], rtol=1e-12)  # up and down: equal
    # the last phase: both fall linearly from start_rate towards last_rate; torch reaches it on the last step,
    # the book one step later (it interpolates to `iterations`, never reached)
    tail, book_tail = np.array(rates[2 * half :]), np.array(book_rates[2 * half :])
    steps = np.arange(len(tail))
    np.testing.assert_allclose(tail, 0.005 + (0.005e-3 - 0.005) * steps / (len(tail) - 1), rtol=1e-12)
    np.testing.assert_allclose(book_tail, 0.005 + (0.005e-3 - 0.005) * steps / len(tail), rtol=1e-12)


def test_the_learning_rate_finder_climbs_only_past_gradient_descents_stability_bound():
    # the book's finder: the rate grows by a constant factor each batch from 1e-5 to 10, the loss is recorded;
    # full-batch GD on least squares diverges for lr > 2 / lambda_max of the loss's Hessian 2 X^T X / n
    rng = np.random.default_rng(42)
    X = rng.normal(size=(200, 3)) * np.array([1.0, 3.0, 0.3])
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=200)
    model = nn.Linear(3, 1)
    min_rate, max_rate, iterations = 1e-5, 10.0, 300
    factor = math.exp(math.log(max_rate / min_rate) / iterations)
    optimizer = nn.optim.SGD(model.parameters(), lr=min_rate)
    scheduler = nn.optim.lr_scheduler.ExponentialLR(optimizer, gamma=factor)
    rates, losses = [], []
    X_t, y_t = torch.tensor(X), torch.tensor(y[:, None])
    for _ in range(iterations):
        loss = nn.functional.mse_loss(model(X_t), y_t)
        rates.append(optimizer.param_groups[0]["lr"])
        losses.append(loss.item())
        if not math.isfinite(loss.item()) or loss.item() > 4 * min(losses):
            break  # the book stops once the loss has clearly shot up
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
    np.testing.assert_allclose(rates, min_rate * factor ** np.arange(len(rates)), rtol=1e-10)
    with_bias = np.c_[X, np.ones(len(X))]
    bound = 2 / np.linalg.eigvalsh(2 * with_bias.T @ with_bias / len(X)).max()
    stable = [loss for rate, loss in zip(rates, losses) if rate < bound]
    assert all(b <= a * (1 + 1e-12) for a, b in itertools.pairwise(stable))  # below 2/L GD never climbs
    blow_up = rates[-1]
    assert blow_up > bound and blow_up / 10 < bound  # the book's pick, 10x below the climb, is a stable rate
