"""``CosineAnnealingWarmRestarts``: SGDR (Loshchilov & Hutter) with PyTorch's name and rule: half a cosine
from the initial lr down to ``eta_min`` over ``T_0`` epochs, then a restart at the initial lr, each period
``T_mult`` times the one before. A closed form in the epoch, as the other schedules."""

from __future__ import annotations

import math
import numbers
from typing import Any

from ..checks import positive_int
from .lr_scheduler import LRScheduler
from .optimizer import Optimizer, _number


class CosineAnnealingWarmRestarts(LRScheduler):
    """lr = eta_min + (lr_0 - eta_min) (1 + cos(pi T_cur / T_i)) / 2, T_cur the epochs since the last restart
    and T_i the current period (``T_0``, then ``T_0 * T_mult``, ...).

    >>> opt = nn.optim.SGD([Tensor([0.0], requires_grad=True)], lr=1.0)
    >>> scheduler = CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2)
    >>> [round(scheduler.lr_at(t), 4) for t in range(7)]
    [1.0, 0.5, 1.0, 0.8536, 0.5, 0.1464, 1.0]
    """

    def __init__(self, optimizer: Optimizer, T_0: int, T_mult: int = 1, eta_min: float = 0.0) -> None:
        owner = type(self).__name__
        self.T_0, self.T_mult = positive_int(owner, "T_0", T_0), positive_int(owner, "T_mult", T_mult)
        self.eta_min = _number(owner, "eta_min", eta_min)
        self.epoch_fraction = 0.0  # of an epoch given to step(epoch) (PyTorch's T_cur keeps it), on top of last_epoch
        super().__init__(optimizer)

    def step(self, epoch: float | None = None) -> float:
        """Advance one epoch, or go to ``epoch``, a fraction too, as PyTorch's: ``scheduler.step(epoch + i / iters)``
        after batch ``i`` anneals within each epoch. Returns the first group's lr.

        >>> opt = nn.optim.SGD([Tensor([0.0], requires_grad=True)], lr=1.0)
        >>> CosineAnnealingWarmRestarts(opt, T_0=2).step(0.5)   # a quarter of the first period
        0.8535533905932737
        """
        if epoch is None:
            return super().step()
        if isinstance(epoch, bool) or not isinstance(epoch, numbers.Real) or not 0 <= epoch < math.inf:
            raise ValueError(
                f"{type(self).__name__}.step: epoch must be a number >= 0 (epoch + i / iters), got {epoch!r}"
            )
        self.last_epoch, self.epoch_fraction = math.floor(epoch), float(epoch) - math.floor(epoch)
        self._apply()
        return float(self.optimizer.param_groups[0]["lr"])

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore ``state_dict()``; one saved before fractions were kept (no ``epoch_fraction``) loads too."""
        if isinstance(state_dict, dict) and "epoch_fraction" not in state_dict:
            state_dict = {**state_dict, "epoch_fraction": 0.0}
        super().load_state_dict(state_dict)

    def _apply(self) -> None:
        for group, base_lr in zip(self.optimizer.param_groups, self.base_lrs):
            group["lr"] = self.lr_for(base_lr, self.last_epoch + self.epoch_fraction)

    def period(self, t: float) -> tuple[float, int]:
        """(epochs since the last restart, the current period's length) after ``t`` steps."""
        if self.T_mult == 1:
            return t % self.T_0, self.T_0
        # restarts at T_0 (T_mult^n - 1) / (T_mult - 1): n periods done
        n = int(math.log(t * (self.T_mult - 1) / self.T_0 + 1, self.T_mult))
        start = self.T_0 * (self.T_mult**n - 1) // (self.T_mult - 1)
        if start > t:  # (the log's rounding, at a restart)
            n -= 1
            start = self.T_0 * (self.T_mult**n - 1) // (self.T_mult - 1)
        elif start + self.T_0 * self.T_mult**n <= t:
            n += 1
            start = self.T_0 * (self.T_mult**n - 1) // (self.T_mult - 1)
        return t - start, self.T_0 * self.T_mult**n

    def lr_for(self, base_lr: float, t: float) -> float:
        since, length = self.period(t)
        return self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * since / length)) / 2
