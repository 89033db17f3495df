"""What the physics-informed network ports share: the tutorials' network (Raissi et al.'s PyTorch ``DNN``: Linear
and Tanh layers in an OrderedDict Sequential), their ``gradients(u, x, order)`` helper, the Burgers and Poisson
residuals written as the tutorials write them (torch spellings, ``torch = ag``), and a copy of a network into
torch for the oracle tests."""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Any

import numpy as np

import autograd_core as torch  # the tutorials' spelling: every call below reads as their torch code
import nn
from autograd_core import Tensor

NU = 0.01 / math.pi  # Raissi et al.'s viscosity in u_t + u u_x - (0.01 / pi) u_xx = 0


class DNN(nn.Module):
    """Raissi et al.'s fully connected network, as the PyTorch port writes it: ``layers`` sizes, Tanh between."""

    def __init__(self, layers: list[int]) -> None:
        super().__init__()
        self.depth = len(layers) - 1
        layer_list: list[tuple[str, nn.Module]] = []
        for i in range(self.depth - 1):
            layer_list.append((f"layer_{i}", nn.Linear(layers[i], layers[i + 1])))
            layer_list.append((f"activation_{i}", nn.Tanh()))
        layer_list.append((f"layer_{self.depth - 1}", nn.Linear(layers[-2], layers[-1])))
        self.layers = nn.Sequential(OrderedDict(layer_list))

    def forward(self, x: Tensor) -> Tensor:
        return self.layers(x)


def init_weights(m: nn.Module) -> None:
    """The tutorials' ``model.apply(init_weights)``: Xavier-normal weights through ``.data``, zero biases."""
    if isinstance(m, nn.Linear):
        nn.init.xavier_normal_(m.weight.data, gain=1.0)
        nn.init.zeros_(m.bias.data)


def make_dnn(layers: list[int], seed: int = 0) -> DNN:
    torch.manual_seed(seed)
    model = DNN(layers).double()
    model.apply(init_weights)
    return model


def gradients(u: Tensor, x: Tensor, order: int = 1) -> Tensor:
    """The PINN repositories' helper: d^order u / dx^order by repeated torch.autograd.grad with create_graph."""
    if order == 1:
        return torch.autograd.grad(u, x, grad_outputs=torch.ones_like(u), create_graph=True, only_inputs=True)[0]
    return gradients(gradients(u, x), x, order=order - 1)


def burgers_residual(model: Any, x: Tensor, t: Tensor) -> Tensor:
    """f = u_t + u u_x - nu u_xx at the collocation points (x, t), both columns that require grad."""
    u = model(torch.cat([x, t], dim=1))
    u_x = torch.autograd.grad(u, x, grad_outputs=torch.ones_like(u), retain_graph=True, create_graph=True)[0]
    u_t = torch.autograd.grad(u, t, grad_outputs=torch.ones_like(u), retain_graph=True, create_graph=True)[0]
    u_xx = torch.autograd.grad(u_x, x, grad_outputs=torch.ones_like(u_x), retain_graph=True, create_graph=True)[0]
    return u_t + u * u_x - NU * u_xx


def burgers_points(n_f: int = 40, n_u: int = 20, seed: int = 0) -> dict[str, np.ndarray]:
    """Collocation points in [-1, 1] x [0, 1], initial points u(x, 0) = -sin(pi x), boundary points u(+-1, t) = 0."""
    rng = np.random.default_rng(seed)
    x_f, t_f = rng.uniform(-1, 1, (n_f, 1)), rng.uniform(0, 1, (n_f, 1))
    x_0 = rng.uniform(-1, 1, (n_u, 1))
    t_b = rng.uniform(0, 1, (n_u, 1))
    x_b = np.where(np.arange(n_u)[:, None] < n_u // 2, -1.0, 1.0)
    return {"x_f": x_f, "t_f": t_f, "x_0": x_0, "u_0": -np.sin(np.pi * x_0), "x_b": x_b, "t_b": t_b}


def to_torch(model: DNN) -> Any:
    """The same network in torch (float64), its weights copied: the oracle for derivatives of any order."""
    import torch as real_torch

    layers: list[Any] = []
    for module in model.layers:
        if isinstance(module, nn.Linear):
            linear = real_torch.nn.Linear(module.in_features, module.out_features).double()
            with real_torch.no_grad():
                linear.weight.copy_(real_torch.from_numpy(np.array(module.weight.data)))
                linear.bias.copy_(real_torch.from_numpy(np.array(module.bias.data)))
            layers.append(linear)
        else:
            layers.append(real_torch.nn.Tanh())
    return real_torch.nn.Sequential(*layers)
