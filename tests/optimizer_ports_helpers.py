"""Shared by ``tests/test_optimizer_ports*.py``: a real model (a tanh MLP on the bundled digits, float64), its
twin in torch, and two ways to train it for a few minibatch steps: with an optimizer (ours or torch's), or with
an update rule written as a source writes it (a function of the parameters' arrays, their gradients and a state)."""

import numpy as np

import autograd_core as ag
import nn
import nn.functional as F

SIZES = [64, 16, 10]


def digits(n=96):
    """The first n bundled digits, pixels scaled to [0, 1]: the data every run here trains on."""
    X, y = nn.datasets.load_digits()
    return X[:n] / 16.0, y[:n]


def batches(steps, batch_size=32, n=96):
    """The minibatches of ``steps`` steps, in a fixed order (mini-batch gradient descent, Ruder section 2.3)."""
    X, y = digits(n)
    order = np.random.default_rng(0).permutation(n)
    per_epoch = n // batch_size
    for step in range(steps):
        rows = order[(step % per_epoch) * batch_size :][:batch_size]
        yield X[rows], y[rows]


def make_model(seed=0):
    """nn.MLP (tanh: smooth, so two libraries' gradients part only by rounding)."""
    return nn.MLP(SIZES, activation="tanh", seed=seed)


def torch_twin(model, torch):
    """The same network in torch, with a copy of ``model``'s weights."""
    layers = [torch.nn.Linear(SIZES[0], SIZES[1]), torch.nn.Tanh(), torch.nn.Linear(SIZES[1], SIZES[2])]
    twin = torch.nn.Sequential(*layers).double()
    with torch.no_grad():
        for q, p in zip(twin.parameters(), model.parameters()):
            q.copy_(torch.from_numpy(np.array(p.data)))
    return twin


def train_with(make_optimizer, steps, seed=0, full_batch=False, batch_size=32):
    """Train ``make_model(seed)`` with ``make_optimizer(params)``; the parameters' arrays after every step."""
    model = make_model(seed)
    opt = make_optimizer(model.parameters())
    trajectory = []
    for xb, yb in batches(steps, batch_size=96 if full_batch else batch_size):
        opt.zero_grad()
        F.cross_entropy(model(ag.tensor(xb)), yb).backward()
        opt.step()
        trajectory.append([np.array(p.data) for p in model.parameters()])
    return trajectory


def train_torch(make_optimizer, steps, torch, seed=0, full_batch=False, batch_size=32):
    """``train_with`` in torch, from the same weights and on the same batches."""
    model = torch_twin(make_model(seed), torch)
    opt = make_optimizer(model.parameters())
    trajectory = []
    for xb, yb in batches(steps, batch_size=96 if full_batch else batch_size):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(torch.from_numpy(xb)), torch.from_numpy(yb)).backward()
        opt.step()
        trajectory.append([q.detach().numpy().copy() for q in model.parameters()])
    return trajectory


def train_by_rule(rule, steps, seed=0, full_batch=False, state=None, batch_size=32, **hyper):
    """Train with ``rule(theta, grads, state, t, **hyper)``, the source's update written on numpy arrays: theta and
    grads are lists (one array per parameter), ``state`` a dict the rule keeps; it returns the new theta."""
    model = make_model(seed)
    params = list(model.parameters())
    state = {} if state is None else state
    trajectory = []
    for t, (xb, yb) in enumerate(batches(steps, batch_size=96 if full_batch else batch_size), start=1):
        for p in params:
            p.grad = None
        F.cross_entropy(model(ag.tensor(xb)), yb).backward()
        theta = rule([np.array(p.data) for p in params], [p.grad for p in params], state, t, **hyper)
        with ag.no_grad():
            for p, new in zip(params, theta):
                p.data = np.array(new)  # a new array: counted as a change, as an optimizer's write is
        trajectory.append([np.array(p.data) for p in params])
    return trajectory


def largest_difference(a, b):
    """The largest difference between two trajectories, relative to the parameter's largest entry (normwise, as
    ``np.testing.assert_allclose`` would be too strict on entries near zero), over every step and parameter."""
    return max(float(np.max(np.abs(x - y)) / np.max(np.abs(y))) for sa, sb in zip(a, b) for x, y in zip(sa, sb))


def bitwise_equal(a, b):
    """Two trajectories equal in every bit at every step."""
    return len(a) == len(b) and all(np.array_equal(x, y) for sa, sb in zip(a, b) for x, y in zip(sa, sb))


def loss_of(params_arrays, n=96, seed=0):
    """The cross-entropy over the n digits at the given parameter arrays."""
    model = make_model(seed)
    with ag.no_grad():
        for p, value in zip(model.parameters(), params_arrays):
            p.data = np.array(value)
        X, y = digits(n)
        return float(F.cross_entropy(model(ag.tensor(X)), y))
