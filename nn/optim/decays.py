"""The seeds' learning-rate decays, beside PyTorch's schedulers (and built on the same ``LRScheduler``):
O(1/t), O(1/sqrt(t)) and the polynomial decay to an end rate. Importable from ``nn.optim.lr_scheduler`` too.

>>> opt = nn.optim.SGD([Tensor([0.0], requires_grad=True)], lr=1.0)
>>> [round(InverseSqrtDecay(opt, decay=3.0).lr_at(t), 3) for t in range(3)]
[1.0, 0.5, 0.378]
"""

from __future__ import annotations

import math
from typing import Any

from ..checks import positive_int
from .lr_scheduler import LRScheduler
from .optimizer import Optimizer, _number


class InverseTimeDecay(LRScheduler):
    """lr_t = lr_0 / (1 + decay * t): O(1/t), the Robbins-Monro rate; with ``step_size`` k the staircase
    lr_0 / (1 + decay * floor(t / k)), held for k steps at a time (deeplearning.ai's ``schedule_lr_decay``
    with ``time_interval=k``, TensorFlow's ``InverseTimeDecay(staircase=True)``).

    >>> opt = nn.optim.SGD([Tensor([0.0], requires_grad=True)], lr=1.0)
    >>> InverseTimeDecay(opt, decay=1.0).lr_at(3)
    0.25
    >>> [InverseTimeDecay(opt, decay=1.0, step_size=2).lr_at(t) for t in range(5)]
    [1.0, 1.0, 0.5, 0.5, 0.3333333333333333]
    """

    chainable = True

    def __init__(self, optimizer: Optimizer, decay: float = 1.0, step_size: int = 1) -> None:
        self.decay = _number(type(self).__name__, "decay", decay)
        self.step_size = positive_int(type(self).__name__, "step_size", step_size)
        super().__init__(optimizer)

    def factor(self, t: int) -> float:
        return 1.0 / (1.0 + self.decay * (t // self.step_size))

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """``LRScheduler.load_state_dict``; a state saved before ``step_size`` existed loads with step_size=1."""
        if isinstance(state_dict, dict) and "step_size" not in state_dict:
            state_dict = {**state_dict, "step_size": 1}
        super().load_state_dict(state_dict)


class InverseSqrtDecay(LRScheduler):
    """lr_t = lr_0 / sqrt(1 + decay * t): O(1/sqrt(t)).

    >>> opt = nn.optim.SGD([Tensor([0.0], requires_grad=True)], lr=1.0)
    >>> InverseSqrtDecay(opt, decay=1.0).lr_at(3)
    0.5
    """

    chainable = True

    def __init__(self, optimizer: Optimizer, decay: float = 1.0) -> None:
        self.decay = _number(type(self).__name__, "decay", decay)
        super().__init__(optimizer)

    def factor(self, t: int) -> float:
        return 1.0 / math.sqrt(1.0 + self.decay * t)


class PolynomialDecay(LRScheduler):
    """lr_t = (lr_0 - end_lr) * (1 - t/total_steps)**power + end_lr, then end_lr after total_steps
    (PyTorch's PolynomialLR when end_lr = 0).

    >>> opt = nn.optim.SGD([Tensor([0.0], requires_grad=True)], lr=1.0)
    >>> PolynomialDecay(opt, total_steps=4, power=2).lr_at(2)
    0.25
    """

    def __init__(self, optimizer: Optimizer, total_steps: int, power: float = 1.0, end_lr: float = 0.0) -> None:
        self.total_steps = positive_int(type(self).__name__, "total_steps", total_steps)
        self.power = _number(type(self).__name__, "power", power)
        self.end_lr = _number(type(self).__name__, "end_lr", end_lr)
        super().__init__(optimizer)

    def lr_for(self, base_lr: float, t: int) -> float:
        remaining = 1.0 - min(t, self.total_steps) / self.total_steps
        return float((base_lr - self.end_lr) * remaining**self.power + self.end_lr)
