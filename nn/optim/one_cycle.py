"""``OneCycleLR``: Smith's one-cycle policy with PyTorch's name and rule, stepped once per *batch*:
the learning rate climbs from ``max_lr / div_factor`` to ``max_lr`` over the first ``pct_start`` of
the steps, then anneals to ``max_lr / div_factor / final_div_factor``, while the momentum (SGD's
``momentum``, Adam's first beta) moves the opposite way. A closed form in the step, as the others."""

from __future__ import annotations

import math
from collections.abc import Sequence

from ..checks import positive_int
from .lr_scheduler import LRScheduler
from .optimizer import Optimizer, _number


class OneCycleLR(LRScheduler):
    """One cycle over ``total_steps`` (or ``epochs * steps_per_epoch``) calls of ``step()``, one per batch.

    >>> opt = nn.optim.SGD([Tensor([0.0], requires_grad=True)], lr=0.1, momentum=0.9)
    >>> scheduler = OneCycleLR(opt, max_lr=1.0, total_steps=10)
    >>> [round(scheduler.lr_at(t), 4) for t in (0, 2, 9)], opt.param_groups[0]["momentum"]
    ([0.04, 1.0, 0.0], 0.95)
    """

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float | Sequence[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: float = 0.85,
        max_momentum: float = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
    ) -> None:
        owner = "OneCycleLR"
        if total_steps is None:
            if epochs is None or steps_per_epoch is None:
                raise ValueError(f"{owner}: give total_steps, or epochs and steps_per_epoch (batches per epoch)")
            total_steps = positive_int(owner, "epochs", epochs) * positive_int(
                owner, "steps_per_epoch", steps_per_epoch
            )
        self.total_steps = positive_int(owner, "total_steps", total_steps)
        self.pct_start = _number(owner, "pct_start", pct_start, high=1.0)
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"{owner}: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
        self.anneal_strategy, self.three_phase = anneal_strategy, bool(three_phase)
        self.div_factor = _number(owner, "div_factor", div_factor, low=1e-12)
        self.final_div_factor = _number(owner, "final_div_factor", final_div_factor, low=1e-12)
        groups = optimizer.param_groups
        max_lrs = list(max_lr) if isinstance(max_lr, (list, tuple)) else [max_lr] * len(groups)
        if len(max_lrs) != len(groups):
            raise ValueError(f"{owner}: max_lr has {len(max_lrs)} values for {len(groups)} parameter groups")
        for group, top in zip(groups, max_lrs):  # the cycle starts at max_lr / div_factor, whatever lr was
            group["initial_lr"] = _number(owner, "max_lr", top) / self.div_factor
        self.cycle_momentum = bool(cycle_momentum)
        self.base_momentum = _number(owner, "base_momentum", base_momentum, high=1.0)
        self.max_momentum = _number(owner, "max_momentum", max_momentum, high=1.0)
        if self.cycle_momentum and not all("momentum" in g or "betas" in g for g in groups):
            raise ValueError(
                f"{owner}: cycle_momentum needs an optimizer with momentum or betas; pass cycle_momentum=False"
            )
        super().__init__(optimizer)

    def _phases(self) -> list[tuple[float, float, float, float, float]]:
        """(last step, lr factor and momentum at the start, at the end) of each phase; lr factors of the start lr."""
        low, bottom = 1.0, 1.0 / self.final_div_factor
        top, up = self.div_factor, self.pct_start * self.total_steps - 1
        lo_m, hi_m = self.base_momentum, self.max_momentum
        if self.three_phase:
            return [
                (up, low, top, hi_m, lo_m),
                (2 * up, top, low, lo_m, hi_m),
                (self.total_steps - 1, low, bottom, hi_m, hi_m),
            ]
        return [(up, low, top, hi_m, lo_m), (self.total_steps - 1, top, bottom, lo_m, hi_m)]

    def _at(self, t: int) -> tuple[float, float]:
        """The lr factor (of max_lr / div_factor) and the momentum after ``t`` steps."""
        if t > self.total_steps:
            raise ValueError(f"OneCycleLR: stepped {t} times, more than total_steps={self.total_steps}")
        start = 0.0
        phases = self._phases()
        for i, (end, lr0, lr1, m0, m1) in enumerate(phases):
            if t <= end or i == len(phases) - 1:
                done = (t - start) / (end - start)
                return self._anneal(lr0, lr1, done), self._anneal(m0, m1, done)
            start = end
        raise AssertionError("unreachable: the last phase takes every step")

    def _anneal(self, start: float, end: float, done: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2 * (math.cos(math.pi * done) + 1)
        return (end - start) * done + start

    def lr_for(self, base_lr: float, t: int) -> float:
        return base_lr * self._at(t)[0]

    def _apply(self) -> None:
        super()._apply()
        if self.cycle_momentum:
            momentum = self._at(self.last_epoch)[1]
            for group in self.optimizer.param_groups:
                if "betas" in group:
                    group["betas"] = (momentum, group["betas"][1])
                else:
                    group["momentum"] = momentum
