"""Adadelta (Zeiler 2012), as ``torch.optim.Adadelta``: AdaGrad's per-coordinate step sizes without a
learning rate to tune, the step's scale taken from a running mean of the squared past steps."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from autograd_core import Tensor

from .optimizer import Check, Optimizer, ParamGroup, Params, _flag, _number


def _rho(owner: str, name: str, value: object) -> float:
    return _number(owner, name, value, 0.0, 1.0)


class Adadelta(Optimizer):
    """Running means of the squared gradient (s) and of the squared step (d), both with decay ``rho``:
    s = rho s + (1-rho) g**2;  step = sqrt(d + eps) / sqrt(s + eps) * g;  d = rho d + (1-rho) step**2;
    p -= lr * step. ``lr=1.0`` (the default) is the paper's rule; ``weight_decay`` adds wd*p to g.

    >>> w = Tensor([1.0, -2.0], requires_grad=True)
    >>> opt = Adadelta([w], rho=0.9, eps=1e-6)
    >>> (w**2).sum().backward(); opt.step(); opt.zero_grad()
    >>> w   # the first step is sqrt(eps / (0.1 g**2)) * g: ~0.003 whatever g's size
    Tensor([ 0.9968, -1.9968], requires_grad=True)
    >>> sorted(opt.state[0])
    ['acc_delta', 'square_avg']
    """

    state_names = ("square_avg", "acc_delta")
    renamed_state: ClassVar[dict[str, str]] = {"square_mean": "square_avg", "step_square_mean": "acc_delta"}
    whole_state = True

    hyperparameters: ClassVar[dict[str, Check]] = {
        "lr": _number,
        "rho": _rho,
        "eps": _number,
        "weight_decay": _number,
        "maximize": _flag,
    }

    def __init__(
        self,
        params: Params,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize))

    def _update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any], group: ParamGroup) -> None:
        rho, eps = group["rho"], group["eps"]
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * p.data
        if not state:
            state.update(square_avg=np.zeros_like(p.data), acc_delta=np.zeros_like(p.data))
        square_mean, step_square_mean = state["square_avg"], state["acc_delta"]
        # d2l's order of operations (rho s + (1-rho) g**2, the ratio of square roots times g, (1-rho) step
        # step), so the book's from-scratch adadelta is this update bit for bit (tests/test_d2l_ports_optim.py)
        square_mean *= rho
        square_mean += (1 - rho) * (grad * grad)
        step = np.sqrt(step_square_mean + eps) / np.sqrt(square_mean + eps) * grad
        step_square_mean *= rho
        step_square_mean += (1 - rho) * step * step
        p.data -= group["lr"] * step
