"""Physics-informed networks trained, as the tutorials train them (``torch = ag``; Adam, then ``LBFGS`` with
``line_search_fn="strong_wolfe"`` and a closure), each compared with its analytic solution. The derivative and
residual checks are in test_pinn_ports.py.

c1. Poisson: -u'' = pi^2 sin(pi x) on [0, 1], u(0) = u(1) = 0; the solution is sin(pi x)
c2. Lagaris, Likas & Fotiadis (1998): u' = -u, u(0) = 1 through the trial solution u = 1 + x N(x), which meets
    the initial condition exactly; the solution is exp(-x)
c3. Raissi's Burgers problem, u(x, 0) = -sin(pi x), u(+-1, t) = 0: the physics-informed loss falls
c4. Raissi's inverse problem (the viscosity as a parameter learnt with the network) on the heat equation, whose
    data come from its exact solution sin(pi x) exp(-nu pi^2 t): the learnt nu is the true one
"""

from __future__ import annotations

import numpy as np

import autograd_core as torch
import nn
from tests.pinn_helpers import burgers_points, burgers_residual, gradients, make_dnn


def lbfgs(params, max_iter: int) -> nn.optim.LBFGS:
    return nn.optim.LBFGS(
        params,
        lr=1.0,
        max_iter=max_iter,
        history_size=50,
        tolerance_grad=1e-9,
        tolerance_change=1.0 * np.finfo(float).eps,
        line_search_fn="strong_wolfe",
    )


def test_c1_the_poisson_network_learns_sin_pi_x_with_adam_then_lbfgs():
    model = make_dnn([1, 16, 16, 1], seed=0)
    x = torch.linspace(0, 1, 24, dtype=torch.float64).view(-1, 1).requires_grad_(True)
    x_b = torch.tensor([[0.0], [1.0]], dtype=torch.float64)

    def loss_fn():
        u = model(x)
        f = gradients(u, x, order=2) + torch.pi**2 * torch.sin(torch.pi * x)
        return torch.mean(f**2) + torch.mean(model(x_b) ** 2)

    adam = nn.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(300):
        adam.zero_grad()
        loss = loss_fn()
        loss.backward()
        adam.step()
        losses.append(loss.item())
    assert losses[-1] < 1e-2 * losses[0]
    optimizer = lbfgs(model.parameters(), max_iter=200)

    def closure():
        optimizer.zero_grad()
        loss = loss_fn()
        loss.backward()
        return loss

    optimizer.step(closure)
    assert closure().item() < 0.1 * losses[-1]  # L-BFGS takes the residual much further than Adam's last
    x_test = np.linspace(0, 1, 101)[:, None]
    with torch.no_grad():
        u_test = model(torch.tensor(x_test)).detach().cpu().numpy()
    assert np.abs(u_test - np.sin(np.pi * x_test)).max() < 1e-3


def test_c2_lagaris_trial_solution_learns_exp_minus_x_and_meets_the_initial_condition_exactly():
    net = make_dnn([1, 10, 1], seed=0)
    x = torch.linspace(0, 2, 20, dtype=torch.float64).view(-1, 1).requires_grad_(True)

    def trial(points):
        return 1 + points * net(points)

    optimizer = lbfgs(net.parameters(), max_iter=100)

    def closure():
        optimizer.zero_grad()
        u = trial(x)
        loss = torch.mean((gradients(u, x) + u) ** 2)
        loss.backward()
        return loss

    first = closure().item()
    optimizer.step(closure)
    assert closure().item() < 1e-4 * first
    x_test = np.linspace(0, 2, 50)[:, None]
    u_test = trial(torch.tensor(x_test)).data
    assert u_test[0, 0] == 1.0
    assert np.abs(u_test - np.exp(-x_test)).max() < 2e-3


def test_c3_the_burgers_physics_informed_loss_falls_under_adam():
    model = make_dnn([2, 12, 12, 1], seed=0)
    pts = burgers_points(n_f=60, n_u=30)
    x_f, t_f = (torch.tensor(pts[k], requires_grad=True) for k in ("x_f", "t_f"))
    initial = torch.tensor(np.hstack([pts["x_0"], np.zeros_like(pts["x_0"])]))
    boundary = torch.tensor(np.hstack([pts["x_b"], pts["t_b"]]))
    mse = nn.MSELoss()

    def parts():
        f = burgers_residual(model, x_f, t_f)
        u_b = model(boundary)
        return mse(model(initial), torch.tensor(pts["u_0"])), mse(u_b, torch.zeros_like(u_b)), torch.mean(f**2)

    optimizer = nn.optim.Adam(model.parameters(), lr=5e-3)
    start = [p.item() for p in parts()]
    for _ in range(200):
        optimizer.zero_grad()
        loss = sum(parts())
        loss.backward()
        optimizer.step()
    end = [p.item() for p in parts()]
    assert sum(end) < 0.3 * sum(start)
    assert end[2] < 0.1 * start[2]  # the residual u_t + u u_x - nu u_xx itself


def test_c4_the_inverse_problem_recovers_the_viscosity_of_the_heat_equation():
    nu_true = 0.1
    rng = np.random.default_rng(0)
    xs, ts = rng.uniform(0, 1, (60, 1)), rng.uniform(0, 1, (60, 1))
    us = np.sin(np.pi * xs) * np.exp(-nu_true * np.pi**2 * ts)

    class InversePINN(nn.Module):
        def __init__(self):
            super().__init__()
            self.dnn = make_dnn([2, 16, 16, 1], seed=1)
            self.lambda_1 = nn.Parameter(torch.tensor([0.5], dtype=torch.float64))

    model = InversePINN()
    x, t, u_data = torch.tensor(xs, requires_grad=True), torch.tensor(ts, requires_grad=True), torch.tensor(us)

    def loss_fn():
        u = model.dnn(torch.cat([x, t], 1))
        f = gradients(u, t) - model.lambda_1 * gradients(u, x, order=2)
        return torch.mean((u - u_data) ** 2) + torch.mean(f**2)

    adam = nn.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(300):
        adam.zero_grad()
        loss_fn().backward()
        adam.step()
    optimizer = lbfgs(model.parameters(), max_iter=300)

    def closure():
        optimizer.zero_grad()
        loss = loss_fn()
        loss.backward()
        return loss

    optimizer.step(closure)
    assert closure().item() < 1e-3
    assert abs(model.lambda_1.item() - nu_true) < 0.005  # from 0.5; the data alone never name nu
