"""Simon J.D. Prince's "Understanding Deep Learning" (udlbook), the chapter 6 and 9 notebooks
(udlbook/udlbook, Notebooks/Chap06, Chap09) ported: each notebook's hand-written update rule or
derivative is the ORACLE that the engine's gradients and ``nn.optim``'s optimisers must equal to ~1e-12
(float64). Chapter 7 (backpropagation, initialisation) is in test_udl_ports.py, chapter 11 in
test_udl_ports_residual.py.

Ported: 6.1 Line search (the four-point bracketing rules on the notebook's two-bump loss, ending at a point
where the engine's gradient vanishes and its second derivative is positive); 6.2 Gradient descent (the
linear model's hand derivatives vs the engine's; descent with a line search along the gradient reaching the
least-squares solution); 6.3 SGD (the Gabor model's hand derivatives vs the engine's, and the notebook's
phi <- phi - alpha * grad on random mini-batches equal to ``nn.optim.SGD``); 6.4 Momentum (the notebook's
m <- beta m + (1 - beta) g from m = 0 equal to ``SGD(lr=alpha (1 - beta), momentum=beta)``); 6.5 Adam (the
notebook's bias-corrected m~ / (sqrt(v~) + eps) equal to ``nn.optim.Adam``; its first step moves every
coordinate by alpha however badly the loss is scaled, where gradient descent moves along the steep one);
9.1 L2 regularisation (the penalty lambda ||phi||^2 added to the loss and ``SGD(weight_decay=2 lambda)``
give the same iterates, and shrink the weights); 9.2 Implicit regularisation (gradient descent with a finite
step alpha follows the gradient flow of the modified loss L + alpha/4 ||grad L||^2 -- a double backward --
more closely than that of L).

Where the notebook's spelling differs here: torch's (and so ``nn.optim.SGD``'s) momentum starts its buffer
at the first gradient (v = g) and does not damp by default, so the notebook's zero-started
m <- beta m + (1 - beta) g is ``SGD(lr=alpha * (1 - beta), momentum=beta)`` (both equal sum_s beta^(t-s) g_s
scaled by alpha (1 - beta)), not ``dampening=beta``. The notebook's Nesterov momentum evaluates the gradient
at the look-ahead point phi - alpha beta m; torch's ``nesterov=True`` is the reparametrised form (gradient at
the current point), so ``SGD(lr=alpha (1 - beta), momentum=beta, nesterov=True)``'s iterates are the
notebook's look-ahead points phi_t - alpha beta m_t (asserted iterate for iterate), not its phi_t.
The notebooks' data are small hand-typed arrays; synthetic draws of the same models stand in.
The chapter 8-9 notebooks' PyTorch training cell (MNIST-1D there, the bundled 8x8 digits here) runs as written
but for ``layer_in.bias.data.fill_(0.0)``: ``.data`` is a numpy array here, so ``nn.init.zeros_(layer_in.bias)``
(or numpy's ``bias.data.fill(0.0)``) is the spelling; and ``_, predicted = torch.max(pred, 1)`` is
``predicted = pred.argmax(1)`` (``t.max(dim)`` gives the values only here: README's table of differences).
Gap filled: ``DataLoader(worker_init_fn=...)``, which those cells pass (``worker_init_fn=np.random.seed(1)``),
was refused; it is kept and, as torch's with no worker processes, never called.
"""

import numpy as np
import pytest

import autograd_core as ag
import nn


# ---------------------------------------------------------------- 6.1 line search
def two_bumps(lib, phi):
    """The notebook's 1-D loss: a wide dip at 0.65 and a narrow, deeper one at 0.35."""
    return 1 - 0.5 * lib.exp(-((phi - 0.65) ** 2) / 0.1) - 0.45 * lib.exp(-((phi - 0.35) ** 2) / 0.02)


def line_search(loss, a=0.0, d=1.0, thresh=1e-4, max_iter=50):
    """The notebook's rules on four points a < b < c < d: shrink towards a if a is lowest, else drop the
    quarter beside the higher of b and c; the answer is (b + c) / 2."""
    b, c = a + (d - a) / 3, a + 2 * (d - a) / 3
    for _ in range(max_iter):
        if abs(b - c) <= thresh:
            break
        la, lb, lc, ld = (loss(p) for p in (a, b, c, d))
        if la < lb and la < lc and la < ld:
            d = a + (d - a) / 2
        elif lb < lc:
            d = c
        else:
            a = b
        b, c = a + (d - a) / 3, a + 2 * (d - a) / 3
    return (b + c) / 2


def test_6_1_line_search_ends_where_the_engine_s_gradient_vanishes():
    soln = line_search(lambda p: two_bumps(np, p))
    phi = ag.tensor(soln, requires_grad=True)
    (slope,) = ag.grad(two_bumps(ag, phi), phi, create_graph=True)
    (curvature,) = ag.grad(slope, phi)
    grid = np.linspace(0, 1, 100001)
    assert abs(soln - grid[np.argmin(two_bumps(np, grid))]) < 1e-4  # the global minimum (measured ~0.356)
    assert abs(float(slope)) < 1e-3 and float(curvature) > 0  # a minimum by the engine's first and second derivative


# ---------------------------------------------------------------- 6.2 gradient descent on a linear model
def line_data(seed=0, n=12):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, n)
    return x, 0.8 + 1.7 * x + rng.normal(0, 0.1, n)


def linear_gradient(phi, x, y):
    """The notebook's compute_gradient: L = sum (phi0 + phi1 x - y)^2, dL/dphi0 = sum 2 r, dL/dphi1 = sum 2 r x."""
    r = phi[0] + phi[1] * x - y
    return np.array([np.sum(2 * r), np.sum(2 * r * x)])


def test_6_2_gradient_descent_with_line_search_reaches_least_squares():
    x, y = line_data()
    loss = lambda p: np.sum((p[0] + p[1] * x - y) ** 2)  # noqa: E731
    phi = np.array([1.6, -0.5])  # the notebook starts away from the fit
    t = ag.tensor(phi, requires_grad=True)
    ((t[0] + t[1] * ag.tensor(x) - ag.tensor(y)) ** 2).sum().backward()
    np.testing.assert_allclose(t.grad, linear_gradient(phi, x, y), rtol=1e-13)
    for _ in range(100):
        g = linear_gradient(phi, x, y)
        step = line_search(lambda s: loss(phi - s * g), 0.0, 1.0, thresh=1e-10, max_iter=200)  # noqa: B023
        phi = phi - step * g
    want, *_ = np.linalg.lstsq(np.stack([np.ones_like(x), x], 1), y, rcond=None)
    np.testing.assert_allclose(phi, want, atol=1e-6)


# ---------------------------------------------------------------- 6.3 stochastic gradient descent (Gabor model)
def gabor(lib, phi0, phi1, x):
    z = phi0 + 0.06 * phi1 * x
    return lib.sin(z) * lib.exp(-z * z / 32.0)


def gabor_gradient(phi, x, y):
    """By hand: with z = phi0 + 0.06 phi1 x, df/dz = (cos z - z sin z / 16) exp(-z^2 / 32)."""
    z = phi[0] + 0.06 * phi[1] * x
    r = 2 * (gabor(np, phi[0], phi[1], x) - y)
    df_dz = (np.cos(z) - z * np.sin(z) / 16) * np.exp(-z * z / 32)
    return np.array([np.sum(r * df_dz), np.sum(r * df_dz * 0.06 * x)])


def gabor_data(seed=1, n=40):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-15, 15, n)
    return x, gabor(np, 0.0, 16.6, x) + rng.normal(0, 0.05, n)


def gabor_parameter(phi):
    return nn.Parameter(ag.tensor(np.array(phi, dtype=float)))


def gabor_loss(p, x, y):
    return ((gabor(ag, p[0], p[1], ag.tensor(x)) - ag.tensor(y)) ** 2).sum()


def test_6_3_gabor_hand_gradient_equals_the_engine_s():
    x, y = gabor_data()
    for phi in ([-1.5, 40.0], [0.3, 10.0], [2.0, -7.0]):
        p = gabor_parameter(phi)
        gabor_loss(p, x, y).backward()
        np.testing.assert_allclose(p.grad, gabor_gradient(np.array(phi), x, y), rtol=1e-12, atol=1e-13)


def test_6_3_the_notebook_s_sgd_is_nn_optim_sgd_and_lowers_the_loss():
    x, y = gabor_data()
    rng = np.random.default_rng(2)
    batches = [rng.permutation(len(x))[:5] for _ in range(200)]  # the notebook's random 5-point batches
    phi, p = np.array([-1.0, 25.0]), gabor_parameter([-1.0, 25.0])
    opt = nn.optim.SGD([p], lr=0.1)
    for rows in batches:
        phi = phi - 0.1 * gabor_gradient(phi, x[rows], y[rows])
        opt.zero_grad()
        gabor_loss(p, x[rows], y[rows]).backward()
        opt.step()
        np.testing.assert_allclose(p.data, phi, rtol=1e-12, atol=1e-12)
    start = gabor_loss(gabor_parameter([-1.0, 25.0]), x, y).item()
    assert gabor_loss(p, x, y).item() < 0.5 * start  # measured 5.68 -> 2.29


# ---------------------------------------------------------------- 6.4 momentum
def test_6_4_the_notebook_s_momentum_is_sgd_with_lr_scaled_by_one_minus_beta():
    x, y = gabor_data()
    rng = np.random.default_rng(4)
    alpha, beta = 0.1, 0.9
    phi, m = np.array([-1.0, 25.0]), np.zeros(2)
    p = gabor_parameter(phi)
    opt = nn.optim.SGD([p], lr=alpha * (1 - beta), momentum=beta)
    for _ in range(100):
        rows = rng.permutation(len(x))[:5]
        m = beta * m + (1 - beta) * gabor_gradient(phi, x[rows], y[rows])  # the notebook's rule, m from 0
        phi = phi - alpha * m
        opt.zero_grad()
        gabor_loss(p, x[rows], y[rows]).backward()
        opt.step()
        np.testing.assert_allclose(p.data, phi, rtol=1e-12, atol=1e-12)
    assert not np.allclose(opt.state[0]["momentum_buffer"], 0)  # the buffer is real, and carried step to step
    np.testing.assert_allclose(opt.state[0]["momentum_buffer"] * (1 - beta), m, rtol=1e-12, atol=1e-14)


def test_6_4_dampening_beta_is_not_the_notebook_s_momentum_at_the_first_step():
    # torch's buffer starts at g (not (1 - beta) g): the spelling documented above, measured here
    p = nn.Parameter(ag.tensor([1.0]))
    opt = nn.optim.SGD([p], lr=1.0, momentum=0.9, dampening=0.9)
    (p * 3.0).sum().backward()
    opt.step()
    notebook_step = (1 - 0.9) * 3.0  # m = beta * 0 + (1 - beta) g
    assert p.data[0] == pytest.approx(1.0 - 3.0) and abs(p.data[0] - (1.0 - notebook_step)) > 2  # a step of g


def test_6_4_the_notebook_s_nesterov_momentum_is_sgd_nesterov_at_the_look_ahead_point():
    x, y = gabor_data()
    rng = np.random.default_rng(5)
    alpha, beta = 0.1, 0.9
    phi, m = np.array([-1.0, 25.0]), np.zeros(2)
    p = gabor_parameter(phi)
    opt = nn.optim.SGD([p], lr=alpha * (1 - beta), momentum=beta, nesterov=True)
    for _ in range(100):
        rows = rng.permutation(len(x))[:5]
        look_ahead = phi - alpha * beta * m
        m = beta * m + (1 - beta) * gabor_gradient(look_ahead, x[rows], y[rows])  # the gradient ahead
        phi = phi - alpha * m
        opt.zero_grad()
        gabor_loss(p, x[rows], y[rows]).backward()
        opt.step()
        np.testing.assert_allclose(p.data, phi - alpha * beta * m, rtol=1e-12, atol=1e-12)
    assert np.linalg.norm(alpha * beta * m) > 1e-3  # the look-ahead point is not phi: a real offset


# ---------------------------------------------------------------- 6.5 Adam
def badly_scaled(lib, phi):
    """A loss 100x steeper in phi[1] than in phi[0] (the notebook's point: one step size cannot suit both)."""
    return (phi[0] - 1.0) ** 2 + 100.0 * (phi[1] + 0.5) ** 2


def test_6_5_the_notebook_s_adam_is_nn_optim_adam():
    alpha, beta, gamma, eps = 0.05, 0.9, 0.99, 1e-8
    phi, m, v = np.array([-1.5, 0.8]), np.zeros(2), np.zeros(2)
    p = nn.Parameter(ag.tensor(phi.copy()))
    opt = nn.optim.Adam([p], lr=alpha, betas=(beta, gamma), eps=eps)
    for t in range(200):
        g = np.array([2 * (phi[0] - 1.0), 200.0 * (phi[1] + 0.5)])  # the hand gradient
        m, v = beta * m + (1 - beta) * g, gamma * v + (1 - gamma) * g * g
        m_tilde, v_tilde = m / (1 - beta ** (t + 1)), v / (1 - gamma ** (t + 1))
        phi = phi - alpha * m_tilde / (np.sqrt(v_tilde) + eps)
        opt.zero_grad()
        badly_scaled(ag, p).backward()
        np.testing.assert_allclose(p.grad, g, rtol=1e-12, atol=1e-12)
        opt.step()
        np.testing.assert_allclose(p.data, phi, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(phi, [1.0, -0.5], atol=0.05)  # both coordinates reached the minimum


def test_6_5_adam_s_first_step_moves_every_coordinate_by_alpha():
    start = np.array([-1.5, 0.8])
    adam_p, gd_p = nn.Parameter(ag.tensor(start.copy())), nn.Parameter(ag.tensor(start.copy()))
    adam, gd = nn.optim.Adam([adam_p], lr=0.05), nn.optim.SGD([gd_p], lr=0.004)
    for p, opt in ((adam_p, adam), (gd_p, gd)):
        badly_scaled(ag, p).backward()
        opt.step()
    adam_move, gd_move = np.abs(adam_p.data - start), np.abs(gd_p.data - start)
    np.testing.assert_allclose(adam_move, [0.05, 0.05], rtol=1e-6)  # the normalised gradient: sign * alpha
    assert gd_move[1] / gd_move[0] == pytest.approx(260.0 / 5.0)  # gradient descent follows the steep axis


# ---------------------------------------------------------------- 9.1 L2 regularisation
def test_9_1_l2_penalty_in_the_loss_equals_sgd_weight_decay_and_shrinks_the_weights():
    x, y = gabor_data()
    lam, alpha, start = 0.05, 0.01, [-1.0, 25.0]
    phi = np.array(start)
    penalised, decayed, plain = (gabor_parameter(start) for _ in range(3))
    opts = [nn.optim.SGD([penalised], lr=alpha), nn.optim.SGD([decayed], lr=alpha, weight_decay=2 * lam)]
    opts.append(nn.optim.SGD([plain], lr=alpha))
    for _ in range(100):
        phi = phi - alpha * (gabor_gradient(phi, x, y) + 2 * lam * phi)  # the notebook's d/dphi of lam ||phi||^2
        losses = [gabor_loss(penalised, x, y) + lam * (penalised**2).sum(), gabor_loss(decayed, x, y)]
        losses.append(gabor_loss(plain, x, y))
        for opt, loss in zip(opts, losses):
            opt.zero_grad()
            loss.backward()
            opt.step()
        np.testing.assert_allclose(penalised.data, phi, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(decayed.data, phi, rtol=1e-12, atol=1e-12)
    assert np.linalg.norm(phi) < 0.95 * np.linalg.norm(plain.data)  # measured: pulled towards the origin


# ---------------------------------------------------------------- 9.2 implicit regularisation
def curved(lib, phi):
    """A 2-d loss with curvature that changes along the path (so a finite step's bias shows)."""
    return (phi[0] - 1.0) ** 2 + (phi[1] - phi[0] ** 2) ** 2


def flow(loss, start, time, dt):
    """Gradient flow d phi/dt = -grad loss, by many tiny steps; the gradient from the engine."""
    phi = ag.tensor(np.array(start), requires_grad=True)
    for _ in range(round(time / dt)):
        (g,) = ag.grad(loss(phi), phi)
        phi = ag.tensor(phi.data - dt * g.data, requires_grad=True)
    return phi.data


def test_9_2_gradient_descent_follows_the_modified_loss_s_flow():
    alpha, steps, start = 0.02, 20, [-0.6, 1.2]
    phi = ag.tensor(np.array(start), requires_grad=True)
    for _ in range(steps):  # plain gradient descent with a finite step
        (g,) = ag.grad(curved(ag, phi), phi)
        phi = ag.tensor(phi.data - alpha * g.data, requires_grad=True)

    def modified(p):  # L + alpha/4 ||grad L||^2: the engine differentiates its own gradient
        (g,) = ag.grad(curved(ag, p), p, create_graph=True)
        return curved(ag, p) + alpha / 4 * (g * g).sum()

    plain_gap = np.linalg.norm(phi.data - flow(lambda p: curved(ag, p), start, alpha * steps, alpha / 100))
    modified_gap = np.linalg.norm(phi.data - flow(modified, start, alpha * steps, alpha / 100))
    assert plain_gap > 5e-3 and modified_gap < plain_gap / 20  # measured 9.2e-3 and 4.9e-5 (188x closer)


# ---------------------------------------------------------------- the chapter 8-9 training cell (PyTorch spellings)
def test_the_notebooks_training_cell_runs_with_their_torch_spellings_and_learns_the_digits():
    X, y = nn.datasets.load_digits()
    x_train, x_test, y_train, y_test = nn.datasets.train_test_split(X / 16.0, y, test_size=0.25, seed=0)
    model = nn.Sequential(nn.Linear(64, 100), nn.ReLU(), nn.Linear(100, 100), nn.ReLU(), nn.Linear(100, 10))

    def weights_init(layer_in):  # the notebook's, with nn.init.zeros_ for bias.data.fill_(0.0): see above
        if isinstance(layer_in, nn.Linear):
            nn.init.kaiming_uniform_(layer_in.weight, generator=0)
            nn.init.zeros_(layer_in.bias)

    loss_function = nn.CrossEntropyLoss()
    optimizer = nn.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    scheduler = nn.optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.5)
    called = []
    data_loader = nn.data.DataLoader(
        nn.data.TensorDataset(ag.tensor(x_train), ag.tensor(y_train)), batch_size=100, shuffle=True,
        worker_init_fn=called.append, seed=1,
    )  # fmt: skip
    model.apply(weights_init)
    assert all(not m.bias.data.any() for m in model if isinstance(m, nn.Linear))
    for _ in range(12):
        for x_batch, y_batch in data_loader:
            optimizer.zero_grad()
            loss = loss_function(model(x_batch), y_batch)
            loss.backward()
            optimizer.step()
        scheduler.step()
    predicted = model(ag.tensor(x_test)).argmax(1)  # torch's _, predicted = torch.max(pred, 1): see above
    errors_test = 100 - 100 * float((predicted.data == y_test).mean())
    assert errors_test < 8  # % wrong on the 450 held-out digits (measured 3.8)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.025)  # halved once, after 10 epochs
    assert called == []  # no worker process here, as torch's num_workers=0: worker_init_fn is never called


def test_dataloader_worker_init_fn_as_torch_s():
    data = (np.arange(20.0).reshape(10, 2), np.arange(10))
    plain = [b[1].tolist() for b in nn.data.DataLoader(data, batch_size=3, shuffle=True, seed=4)]
    given = nn.data.DataLoader(data, batch_size=3, shuffle=True, seed=4, worker_init_fn=np.random.seed(1))
    assert [b[1].tolist() for b in given] == plain and given.worker_init_fn is None  # np.random.seed returns None
    with pytest.raises(
        TypeError, match=r"DataLoader: worker_init_fn must be None or a function of the worker id, got 5"
    ):
        nn.data.DataLoader(data, worker_init_fn=5)
    torch = pytest.importorskip("torch")
    calls = []
    loader = torch.utils.data.DataLoader(torch.arange(10), batch_size=3, worker_init_fn=calls.append)
    assert len(list(loader)) == 4 and calls == []  # torch's, in-process (num_workers=0): never called either
