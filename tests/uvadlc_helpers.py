"""What the UvA Deep Learning Course ports (Phillip Lippe's tutorials 2-6) share: the tutorials' own classes,
written as their readers write them with ``torch`` renamed ``ag`` (``import autograd_core as ag``): the
activation functions of tutorial 3, the ``BaseNetwork`` MLP of tutorials 3-4, tutorial 4's hand-written
optimizers over ``p.grad`` and its two test surfaces, and the digits set standing in for FashionMNIST.

Where the spelling differs here: ``.grad`` and ``.data`` are numpy arrays (README), so the tutorials'
``p.grad.detach_(); p.grad.zero_()`` is ``p.grad = None`` and ``param.data.fill_(v)`` is ``param.fill_(v)``
under ``no_grad``; ``z -= f(...)`` on a recorded tensor is ``z = z - f(...)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import numpy as np

import autograd_core as ag
import nn
import nn.data as data
from autograd_core import Tensor


# ---------------------------------------------------------------------------------- tutorial 3: activations
class ActivationFunction(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.name = self.__class__.__name__
        self.config = {"name": self.name}


class Sigmoid(ActivationFunction):
    def forward(self, x: Tensor) -> Tensor:
        return 1 / (1 + ag.exp(-x))


class Tanh(ActivationFunction):
    def forward(self, x: Tensor) -> Tensor:
        x_exp, neg_x_exp = ag.exp(x), ag.exp(-x)
        return (x_exp - neg_x_exp) / (x_exp + neg_x_exp)


class ReLU(ActivationFunction):
    def forward(self, x: Tensor) -> Tensor:
        return x * (x > 0).float()


class LeakyReLU(ActivationFunction):
    def __init__(self, alpha: float = 0.1) -> None:
        super().__init__()
        self.config["alpha"] = alpha

    def forward(self, x: Tensor) -> Tensor:
        return ag.where(x > 0, x, self.config["alpha"] * x)


class ELU(ActivationFunction):
    def forward(self, x: Tensor) -> Tensor:
        return ag.where(x > 0, x, ag.exp(x) - 1)


class Swish(ActivationFunction):
    def forward(self, x: Tensor) -> Tensor:
        return x * ag.sigmoid(x)


act_fn_by_name = {"sigmoid": Sigmoid, "tanh": Tanh, "relu": ReLU, "leakyrelu": LeakyReLU, "elu": ELU, "swish": Swish}


def get_grads(act_fn: nn.Module, x: Tensor) -> np.ndarray:
    """Tutorial 3's gradient of an activation at every point of ``x`` (one backward of the sum)."""
    x = x.clone().requires_grad_()
    out = act_fn(x)
    out.sum().backward()
    return x.grad


class BaseNetwork(nn.Module):
    """Tutorials 3-4's MLP: Linear + activation per hidden size, then a Linear to the classes, in ``self.layers``
    (sizes scaled down from FashionMNIST's 784-512-256-256-128 to the 8x8 digits)."""

    def __init__(
        self, act_fn: nn.Module, input_size: int = 64, num_classes: int = 10, hidden_sizes: list[int] | None = None
    ) -> None:
        super().__init__()
        hidden_sizes = [128, 64, 64, 32] if hidden_sizes is None else hidden_sizes
        layers: list[nn.Module] = []
        layer_sizes = [input_size] + hidden_sizes
        for layer_index in range(1, len(layer_sizes)):
            layers += [nn.Linear(layer_sizes[layer_index - 1], layer_sizes[layer_index]), act_fn]
        layers += [nn.Linear(layer_sizes[-1], num_classes)]
        self.layers = nn.Sequential(*layers)
        self.config = {
            "act_fn": act_fn.config if hasattr(act_fn, "config") else {"name": type(act_fn).__name__},
            "input_size": input_size,
            "num_classes": num_classes,
            "hidden_sizes": hidden_sizes,
        }

    def forward(self, x: Tensor) -> Tensor:
        x = x.view(x.size(0), -1)
        return self.layers(x)


def digits_set() -> data.TensorDataset:
    """The bundled 8x8 digits scaled to [-1, 1], as the tutorials' ``Normalize((0.5,), (0.5,))`` does."""
    X, y = nn.datasets.load_digits()
    return data.TensorDataset(ag.tensor(X / 8.0 - 1.0, dtype=ag.float32), ag.tensor(y))


# ---------------------------------------------------------------------------------- tutorial 4: optimizers
class OptimizerTemplate:
    def __init__(self, params: Iterable[Tensor], lr: float) -> None:
        self.params = list(params)
        self.lr = lr

    def zero_grad(self) -> None:
        for p in self.params:
            if p.grad is not None:
                p.grad = None  # the tutorial: p.grad.detach_(); p.grad.zero_()

    @ag.no_grad()
    def step(self) -> None:
        for p in self.params:
            if p.grad is None:  # skip parameters without any gradients
                continue
            self.update_param(p)

    def update_param(self, p: Tensor) -> None:
        raise NotImplementedError


class SGD(OptimizerTemplate):
    def update_param(self, p: Tensor) -> None:
        p_update = -self.lr * p.grad
        p.add_(p_update)


class SGDMomentum(OptimizerTemplate):
    def __init__(self, params: Iterable[Tensor], lr: float, momentum: float = 0.0) -> None:
        super().__init__(params, lr)
        self.momentum = momentum
        self.param_momentum = {p: ag.zeros_like(p.data) for p in self.params}

    def update_param(self, p: Tensor) -> None:
        self.param_momentum[p] = (1 - self.momentum) * p.grad + self.momentum * self.param_momentum[p]
        p_update = -self.lr * self.param_momentum[p]
        p.add_(p_update)


class Adam(OptimizerTemplate):
    def __init__(
        self, params: Iterable[Tensor], lr: float, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8
    ) -> None:
        super().__init__(params, lr)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.param_step = {p: 0 for p in self.params}
        self.param_momentum = {p: ag.zeros_like(p.data) for p in self.params}
        self.param_2nd_momentum = {p: ag.zeros_like(p.data) for p in self.params}

    def update_param(self, p: Tensor) -> None:
        self.param_step[p] += 1
        self.param_momentum[p] = (1 - self.beta1) * p.grad + self.beta1 * self.param_momentum[p]
        self.param_2nd_momentum[p] = (1 - self.beta2) * (p.grad) ** 2 + self.beta2 * self.param_2nd_momentum[p]
        bias_correction_1 = 1 - self.beta1 ** self.param_step[p]
        bias_correction_2 = 1 - self.beta2 ** self.param_step[p]
        p_2nd_mom = self.param_2nd_momentum[p] / bias_correction_2
        p_mom = self.param_momentum[p] / bias_correction_1
        p_lr = self.lr / (ag.sqrt(p_2nd_mom) + self.eps)
        p_update = -p_lr * p_mom
        p.add_(p_update)


def pathological_curve_loss(w1: Tensor, w2: Tensor) -> Tensor:
    """Tutorial 4's ravine: steep in w1 (tanh squared), flat in w2 (a sigmoid)."""
    x1_loss = ag.tanh(w1) ** 2 + 0.01 * ag.abs(w1)
    x2_loss = ag.sigmoid(w2)
    return x1_loss + x2_loss


def bivar_gaussian(
    w1: Tensor, w2: Tensor, x_mean: float = 0.0, y_mean: float = 0.0, x_sig: float = 1.0, y_sig: float = 1.0
) -> Tensor:
    norm = 1 / (2 * np.pi * x_sig * y_sig)
    x_exp = (-1 * (w1 - x_mean) ** 2) / (2 * x_sig**2)
    y_exp = (-1 * (w2 - y_mean) ** 2) / (2 * y_sig**2)
    return norm * ag.exp(x_exp + y_exp)


def comb_func(w1: Tensor, w2: Tensor) -> Tensor:
    """Tutorial 4's steep optima: three narrow Gaussian wells on a flat plane."""
    z = -bivar_gaussian(w1, w2, x_mean=1.0, y_mean=-0.5, x_sig=0.2, y_sig=0.2)
    z = z - bivar_gaussian(w1, w2, x_mean=-1.0, y_mean=0.5, x_sig=0.2, y_sig=0.2)  # the tutorial: z -= ...
    z = z - bivar_gaussian(w1, w2, x_mean=-0.5, y_mean=-0.8, x_sig=0.2, y_sig=0.2)
    return z


def train_curve(
    optimizer_func: Callable[[list[Tensor]], OptimizerTemplate],
    curve_func: Callable[[Tensor, Tensor], Tensor] = pathological_curve_loss,
    num_updates: int = 100,
    init: list[float] | None = None,
) -> np.ndarray:
    """Tutorial 4's trajectory: (w1, w2, loss) before each of ``num_updates`` steps."""
    weights = nn.Parameter(ag.FloatTensor([5, 5] if init is None else init), requires_grad=True)
    optimizer = optimizer_func([weights])
    list_points = []
    for _ in range(num_updates):
        loss = curve_func(weights[0], weights[1])
        list_points.append(ag.cat([weights.detach(), loss.unsqueeze(dim=0).detach()], dim=0))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return ag.stack(list_points, dim=0).numpy()


def kaiming_init(model: nn.Module) -> None:
    """Tutorial 4's Kaiming init by hand: std 1/sqrt(fan_in) for the first layer (its inputs are not ReLU
    outputs), sqrt(2)/sqrt(fan_in) after."""
    with ag.no_grad():
        for name, param in model.named_parameters():
            if name.endswith(".bias"):
                param.fill_(0)  # the tutorial: param.data.fill_(0)
            elif name.startswith("layers.0"):
                param.normal_(0, 1 / math.sqrt(param.shape[1]))
            else:
                param.normal_(0, math.sqrt(2) / math.sqrt(param.shape[1]))
