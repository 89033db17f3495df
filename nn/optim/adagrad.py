"""AdaGrad (Duchi, Hazan & Singer 2011), as ``torch.optim.Adagrad``: per-coordinate step sizes that shrink as
each coordinate's squared gradients add up, with torch's learning-rate decay and initial accumulator."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from autograd_core import Tensor

from .optimizer import Check, Optimizer, ParamGroup, Params, _flag, _number


class AdaGrad(Optimizer):
    """Per-coordinate step sizes that shrink with the sum of squared gradients:
    s += g**2;  p -= lr_t * g / (sqrt(s) + eps), with lr_t = lr / (1 + (t - 1) * lr_decay) at step t and s
    starting at ``initial_accumulator_value`` (torch's arguments, in its order).

    >>> w = Tensor([1.0, -2.0], requires_grad=True)
    >>> opt = AdaGrad([w], lr=0.1)
    >>> (w**2).sum().backward(); opt.step(); opt.zero_grad()
    >>> w
    Tensor([ 0.9, -1.9], requires_grad=True)
    """

    state_names = ("sum", "step")
    renamed_state: ClassVar[dict[str, str]] = {"sum_of_squares": "sum"}

    hyperparameters: ClassVar[dict[str, Check]] = {
        "lr": _number,
        "lr_decay": _number,
        "weight_decay": _number,
        "initial_accumulator_value": _number,
        "eps": _number,
        "maximize": _flag,
    }
    later_hyperparameters: ClassVar[dict[str, Any]] = {
        **Optimizer.later_hyperparameters,
        "lr_decay": 0.0,
        "initial_accumulator_value": 0.0,
    }

    def __init__(
        self,
        params: Params,
        lr: float = 0.01,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay, eps=eps, maximize=maximize)
        super().__init__(params, dict(defaults, initial_accumulator_value=initial_accumulator_value))

    def _update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any], group: ParamGroup) -> None:
        step = state["step"] = state.get("step", 0) + 1
        lr = group["lr"] / (1 + (step - 1) * group["lr_decay"])  # lr itself while lr_decay is 0
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * p.data
        squares = state.get("sum")
        if squares is None:
            squares = state["sum"] = np.full_like(p.data, group["initial_accumulator_value"])
        squares += grad * grad
        p.data -= lr * grad / (np.sqrt(squares) + group["eps"])


Adagrad = AdaGrad  # PyTorch's spelling
