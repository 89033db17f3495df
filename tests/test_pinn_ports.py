"""Physics-informed neural networks (Raissi, Perdikaris & Karniadakis 2019, "Physics-informed neural networks",
J. Comput. Phys. 378; and the PyTorch tutorials that port it) redone with ``torch = ag``: the network's
derivatives with respect to its INPUTS by ``torch.autograd.grad(u, x, grad_outputs=torch.ones_like(u),
create_graph=True)``, second derivatives by differentiating those again, the PDE residual as a loss whose
parameter gradient goes through them (a third-order graph), and training with Adam then L-BFGS until the residual
falls, compared with the analytic solution.

a. Derivatives of a network w.r.t. its inputs: closed forms of a tanh layer, finite differences, torch's
b. Residuals: Burgers' (Raissi's u_t + u u_x - (0.01/pi) u_xx) equals torch's, with its parameter gradient; an
   exact heat-equation solution has residual 0; the functorch spelling (vmap of hessian) gives the same Laplacian
c. Training: a Poisson problem -u'' = pi^2 sin(pi x), u(0) = u(1) = 0 learnt by Adam then L-BFGS to the analytic
   sin(pi x); Lagaris's trial solution for u' = -u, u(0) = 1 learns exp(-x); the Burgers loss falls

What the port needed (each failed on the old code):
- ``torch.autograd.grad(..., only_inputs=True)`` (in most PINN repositories' ``gradients`` helper): a TypeError;
  now accepted in torch's argument order (False warns, as torch's, that the flag is ignored), and
  ``is_grads_batched=True`` (a batch of seeds: the Jacobian in one call), and inputs from an iterable such as
  ``model.parameters()`` (torch's, for adaptive loss weights), which was "input 0 is a generator".
- ``torch.autograd.Variable(x, requires_grad=True)`` (the older PINN ports'): missing.
- ``nn.init.xavier_normal_(m.weight.data)`` in ``model.apply(init_weights)``: "expected a Tensor, got ndarray";
  now the parameter's own array is filled in place.
- ``torch.autograd.set_detect_anomaly(True)`` (and ``torch.autograd.no_grad`` and the other grad modes under
  ``torch.autograd``): missing; ``ag.detect_anomaly`` was the only spelling.
- ``torch.distributions.normal.Normal`` (torch's module per distribution, in a repository's Glorot init): the
  classes were only at ``ag.distributions.Normal``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd_core as torch
import nn
from autograd_core import Tensor
from tests.pinn_helpers import NU, burgers_points, burgers_residual, gradients, make_dnn, to_torch


def column(values: np.ndarray) -> Tensor:
    return torch.tensor(values, dtype=torch.float64, requires_grad=True)


# ---------------------------------------------------------------- what the port needed
def test_what_the_port_needed_only_inputs_is_accepted_and_false_warns_that_it_is_ignored():
    x = column(np.array([[0.5], [2.0]]))
    u = x**3
    (u_x,) = torch.autograd.grad(u, x, grad_outputs=torch.ones_like(u), create_graph=True, only_inputs=True)
    np.testing.assert_allclose(u_x.data, 3 * x.data**2)
    with pytest.warns(FutureWarning, match=r"only_inputs is deprecated and ignored"):
        (again,) = torch.autograd.grad((x**3).sum(), x, None, None, False, False)  # torch's positional order
    np.testing.assert_allclose(again.data, 3 * x.data**2)


def test_what_the_port_needed_gradients_with_respect_to_model_parameters_given_as_a_generator():
    model = make_dnn([1, 4, 1])
    loss = (model(column(np.array([[0.3]]))) ** 2).sum()
    from_generator = torch.autograd.grad(loss, model.parameters(), retain_graph=True)
    from_ag = torch.grad(loss, model.parameters(), retain_graph=True)  # ag.grad takes the iterables too
    from_list = torch.autograd.grad(loss, list(model.parameters()))
    assert len(from_generator) == len(from_ag) == 4
    for a, b, c in zip(from_generator, from_list, from_ag):
        np.testing.assert_array_equal(a.data, b.data)
        np.testing.assert_array_equal(c.data, b.data)


def test_what_the_port_needed_is_grads_batched_gives_the_jacobian_row_by_row():
    model = make_dnn([2, 5, 3])
    x = column(np.array([[0.2, -0.4]]))
    u = model(x)  # (1, 3)
    seeds = torch.eye(3, dtype=torch.float64).reshape(3, 1, 3)
    (rows,) = torch.autograd.grad(u, x, seeds, is_grads_batched=True)
    assert rows.shape == (3, 1, 2)
    expected = torch.autograd.functional.jacobian(model, x).data  # (1, 3, 1, 2)
    np.testing.assert_allclose(rows.data[:, 0, :], expected[0, :, 0, :], rtol=1e-12)
    with pytest.raises(ValueError, match=r"is_grads_batched=True needs grad_outputs"):
        torch.autograd.grad(u, x, is_grads_batched=True)
    with pytest.raises(ValueError, match=r"the same batch size on its first axis, got shapes \[\(3, 1, 3\), \(2,"):
        torch.autograd.grad([u, u.sum()], x, [seeds, torch.ones(2)], is_grads_batched=True)


def test_what_the_port_needed_is_grads_batched_with_create_graph_differentiates_again():
    x = column(np.array([1.0, 2.0]))
    (rows,) = torch.autograd.grad(x**3, x, torch.eye(2), create_graph=True, is_grads_batched=True)  # diag(3x^2)
    (second,) = torch.autograd.grad(rows.sum(), x)
    np.testing.assert_allclose(second.data, 6 * x.data)


def test_what_the_port_needed_variable_is_a_leaf_sharing_memory_and_every_tensor_is_one():
    array = np.array([[0.1], [0.7]])
    from autograd_core.autograd import Variable  # (torch.autograd.Variable)

    x = Variable(torch.from_numpy(array), requires_grad=True)
    assert x.requires_grad and x.is_leaf
    assert np.shares_memory(x.data, array)  # torch's Variable(t) shares t's storage
    assert isinstance(x * 2, Variable) and not isinstance(array, Variable)
    (x**2).sum().backward()
    np.testing.assert_allclose(x.grad, 2 * array)
    assert not Variable(torch.ones(2), volatile=True).requires_grad


def test_what_the_port_needed_init_through_data_fills_the_parameter_itself():
    model = make_dnn([2, 20, 20, 1], seed=3)  # apply(init_weights): xavier_normal_(m.weight.data), zeros_(bias.data)
    first = model.layers.layer_0
    assert np.all(first.bias.data == 0)
    std = math.sqrt(2.0 / (2 + 20))  # Glorot's std for fan_in 2, fan_out 20
    big = model.layers.layer_1.weight.data  # 400 draws of N(0, 2 / 40)
    assert abs(big.std() - math.sqrt(2.0 / 40)) < 0.15 * math.sqrt(2.0 / 40)
    assert np.abs(first.weight.data).max() < 5 * std
    w = nn.Linear(3, 2).weight
    before = w.data.copy()
    assert nn.init.constant_(w.data, 0.5) is w.data  # returned as given, as torch's
    assert np.all(w.data == 0.5) and not np.allclose(before, 0.5)
    with pytest.raises(ValueError, match=r"nn.init.zeros_: the array of shape \(2,\) is read-only"):
        nn.init.zeros_(np.broadcast_to(np.ones(1), (2,)))


def test_what_the_port_needed_set_detect_anomaly_on_its_own_line_and_the_grad_modes_under_autograd():
    x = column(np.array([[0.0], [1.0]]))
    torch.autograd.set_detect_anomaly(True)  # a PINN script's first line while hunting a NaN residual
    try:
        assert torch.autograd.is_anomaly_enabled()
        with pytest.raises(FloatingPointError, match=r"log: forward produced NaN/Inf"), np.errstate(divide="ignore"):
            torch.log(x).sum()
    finally:
        torch.autograd.set_detect_anomaly(False)
    assert not torch.autograd.is_anomaly_enabled()
    with torch.autograd.set_detect_anomaly(True):
        assert torch.autograd.is_anomaly_enabled()
    assert not torch.autograd.is_anomaly_enabled()  # a block restores what came before it
    with pytest.raises(TypeError, match=r"set_detect_anomaly: mode must be True or False, got str 'False'"):
        torch.autograd.set_detect_anomaly("False")
    with torch.autograd.no_grad():
        assert not (x * 2).requires_grad
        with torch.autograd.enable_grad():
            assert (x * 2).requires_grad
    with torch.autograd.set_grad_enabled(False):
        assert not (x * 2).requires_grad


def test_what_the_port_needed_torch_s_per_distribution_module_paths():
    # a PINN repository's Glorot initialisation: torch.distributions.normal.Normal(mean, std).sample(shape)
    din, dout = 300, 200
    std = torch.sqrt(torch.tensor([2.0 / (din + dout)]))
    torch.manual_seed(0)
    weights = torch.distributions.normal.Normal(torch.tensor([0.0]), std).sample((din, dout))
    assert weights.shape == (din, dout, 1)
    assert abs(weights.data.std() - std.item()) < 0.02 * std.item()
    from autograd_core.distributions.categorical import Categorical
    from autograd_core.distributions.multivariate_normal import MultivariateNormal

    assert Categorical is torch.distributions.Categorical
    assert MultivariateNormal is torch.distributions.MultivariateNormal
    assert torch.distributions.uniform.Uniform is torch.distributions.Uniform


# ---------------------------------------------------------------- a. derivatives w.r.t. the inputs
def test_a_one_tanh_layer_has_the_closed_form_first_and_second_input_derivatives():
    model = make_dnn([1, 8, 1], seed=1)
    w1, b1 = model.layers.layer_0.weight.data, model.layers.layer_0.bias.data
    w2 = model.layers.layer_1.weight.data
    x = column(np.linspace(-1, 1, 7)[:, None])
    u = model(x)
    u_x = gradients(u, x)
    u_xx = gradients(u_x, x)
    h = np.tanh(x.data @ w1.T + b1)
    np.testing.assert_allclose(u_x.data, (1 - h**2) * w1[:, 0] @ w2.T, rtol=1e-12)
    np.testing.assert_allclose(u_xx.data, (-2 * h * (1 - h**2)) * w1[:, 0] ** 2 @ w2.T, rtol=1e-12)


def test_a_input_derivatives_of_a_deep_network_equal_finite_differences_to_third_order():
    model = make_dnn([1, 10, 10, 1], seed=2)
    xs = np.linspace(-0.8, 0.8, 5)[:, None]
    x = column(xs)
    u = model(x)
    derivs = [gradients(u, x, order=k).data for k in (1, 2, 3)]

    def f(z: np.ndarray) -> np.ndarray:
        return model(Tensor(z)).data

    h = 1e-3
    np.testing.assert_allclose(derivs[0], (f(xs + h) - f(xs - h)) / (2 * h), rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(derivs[1], (f(xs + h) - 2 * f(xs) + f(xs - h)) / h**2, rtol=1e-4, atol=1e-7)
    third = (f(xs + 2 * h) - 2 * f(xs + h) + 2 * f(xs - h) - f(xs - 2 * h)) / (2 * h**3)
    np.testing.assert_allclose(derivs[2], third, rtol=1e-3, atol=1e-5)


def test_a_input_derivatives_equal_torch_to_third_order():
    real_torch = pytest.importorskip("torch")
    model = make_dnn([2, 12, 12, 1], seed=4)
    pts = burgers_points(n_f=9)
    x, t = column(pts["x_f"]), column(pts["t_f"])
    u = model(torch.cat([x, t], dim=1))
    ours = [gradients(u, x, order=k).data for k in (1, 2, 3)]
    ours.append(gradients(gradients(u, x), t).data)  # the mixed u_xt
    tx = real_torch.tensor(pts["x_f"], requires_grad=True)
    tt = real_torch.tensor(pts["t_f"], requires_grad=True)
    tu = to_torch(model)(real_torch.cat([tx, tt], dim=1))

    def tgrad(a, b):
        return real_torch.autograd.grad(a, b, real_torch.ones_like(a), create_graph=True)[0]

    t1 = tgrad(tu, tx)
    t2 = tgrad(t1, tx)
    theirs = [t1, t2, tgrad(t2, tx), tgrad(t1, tt)]
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b.detach().numpy(), rtol=1e-10, atol=1e-13)


# ---------------------------------------------------------------- b. residuals
def test_b_an_exact_heat_equation_solution_has_zero_residual():
    # u = sin(pi x) exp(-nu pi^2 t) solves u_t = nu u_xx: the autograd residual vanishes to rounding
    x = column(np.linspace(0, 1, 6)[:, None])
    t = column(np.linspace(0, 1, 6)[:, None])
    u = torch.sin(torch.pi * x) * torch.exp(-NU * torch.pi**2 * t)
    residual = gradients(u, t) - NU * gradients(u, x, order=2)
    assert np.abs(residual.data).max() < 1e-15
    assert np.abs(gradients(u, x, order=2).data).max() > 1  # (not 0 for want of a graph)


def test_b_the_burgers_residual_and_its_parameter_gradient_equal_torch():
    real_torch = pytest.importorskip("torch")
    model = make_dnn([2, 10, 10, 1], seed=5)
    pts = burgers_points(n_f=12)
    f = burgers_residual(model, column(pts["x_f"]), column(pts["t_f"]))
    loss = torch.mean(f**2)
    loss.backward()  # through u_xx: a third derivative of the network, second in its inputs
    tx = real_torch.tensor(pts["x_f"], requires_grad=True)
    tt = real_torch.tensor(pts["t_f"], requires_grad=True)
    oracle = to_torch(model)
    tf = burgers_residual_torch(real_torch, oracle, tx, tt)
    real_torch.mean(tf**2).backward()
    np.testing.assert_allclose(f.data, tf.detach().numpy(), rtol=1e-10, atol=1e-14)
    ours = [p.grad for p in model.parameters()]
    theirs = [p.grad.numpy() for p in oracle.parameters()]
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-13)


def burgers_residual_torch(real_torch, model, x, t):
    u = model(real_torch.cat([x, t], dim=1))
    ones = real_torch.ones_like(u)
    u_x = real_torch.autograd.grad(u, x, ones, retain_graph=True, create_graph=True)[0]
    u_t = real_torch.autograd.grad(u, t, ones, retain_graph=True, create_graph=True)[0]
    u_xx = real_torch.autograd.grad(u_x, x, real_torch.ones_like(u_x), create_graph=True)[0]
    return u_t + u * u_x - NU * u_xx


def test_b_the_functorch_spelling_vmap_of_hessian_gives_the_same_second_derivatives():
    from autograd_core.func import hessian, vmap
    from nn.func import functional_call

    model = make_dnn([2, 8, 1], seed=6)
    params = dict(model.named_parameters())
    pts = np.random.default_rng(0).uniform(-1, 1, (5, 2))

    def u_fn(p, point):
        return functional_call(model, p, (point,)).squeeze()

    hessians = vmap(hessian(u_fn, argnums=1), in_dims=(None, 0))(params, torch.tensor(pts))
    x, t = column(pts[:, :1]), column(pts[:, 1:])
    u = model(torch.cat([x, t], dim=1))
    u_x = gradients(u, x)
    np.testing.assert_allclose(hessians.data[:, 0, 0], gradients(u_x, x).data[:, 0], rtol=1e-12)
    np.testing.assert_allclose(hessians.data[:, 0, 1], gradients(u_x, t).data[:, 0], rtol=1e-12)
