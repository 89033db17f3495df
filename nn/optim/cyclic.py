"""``CyclicLR``: Smith's cyclical learning rates ("Cyclical Learning Rates for Training Neural Networks", 2017)
with PyTorch's name and rule, stepped once per *batch*: the lr climbs from ``base_lr`` to ``max_lr`` over
``step_size_up`` steps and falls back over ``step_size_down``, again and again, while the momentum (SGD's
``momentum``, Adam's first beta) moves the opposite way. A closed form in the step, as the other schedules."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from .lr_scheduler import LRScheduler
from .optimizer import Optimizer, _flag, _number

#: The built-in cycles: each one's scale of the cycle's height, and whether it is a function of the cycle number
#: or of the step (PyTorch's ``scale_mode``).
MODES: dict[str, tuple[Callable[[float, float], float], str]] = {
    "triangular": (lambda x, gamma: 1.0, "cycle"),
    "triangular2": (lambda x, gamma: 1 / (2.0 ** (x - 1)), "cycle"),  # each cycle half as high as the last
    "exp_range": (lambda x, gamma: gamma**x, "iterations"),  # the height shrinks by gamma every step
}


def _per_group(owner: str, name: str, value: object, groups: int) -> list[float]:
    values = list(value) if isinstance(value, (list, tuple)) else [value] * groups
    if len(values) != groups:
        raise ValueError(f"{owner}: {name} has {len(values)} values for {groups} parameter groups; give one per group")
    return [_number(owner, name, v) for v in values]


class CyclicLR(LRScheduler):
    """With c = floor(1 + t / (up + down)) the cycle and x its fraction done, the height h = x / (up / (up + down))
    on the way up, (x - 1) / (up / (up + down) - 1) on the way down:
    lr = base_lr + (max_lr - base_lr) h scale, momentum = max_momentum - (max_momentum - base_momentum) h scale,
    where ``scale`` is 1 (``"triangular"``), 1 / 2**(c - 1) (``"triangular2"``), gamma**t (``"exp_range"``), or
    ``scale_fn`` of c (``scale_mode="cycle"``) or of t (``"iterations"``).

    >>> opt = nn.optim.SGD([Tensor([0.0], requires_grad=True)], lr=1.0, momentum=0.9)
    >>> scheduler = CyclicLR(opt, base_lr=0.1, max_lr=1.0, step_size_up=2, mode="triangular2")
    >>> [round(scheduler.lr_at(t), 3) for t in range(9)]
    [0.1, 0.55, 1.0, 0.55, 0.1, 0.325, 0.55, 0.325, 0.1]
    >>> scheduler.step(), opt.param_groups[0]["momentum"]   # the momentum goes down as the lr goes up
    (0.55, 0.85)
    """

    def __init__(
        self,
        optimizer: Optimizer,
        base_lr: float | Sequence[float],
        max_lr: float | Sequence[float],
        step_size_up: int = 2000,
        step_size_down: int | None = None,
        mode: str = "triangular",
        gamma: float = 1.0,
        scale_fn: Callable[[float], float] | None = None,
        scale_mode: str = "cycle",
        cycle_momentum: bool = True,
        base_momentum: float | Sequence[float] = 0.8,
        max_momentum: float | Sequence[float] = 0.9,
    ) -> None:
        owner = "CyclicLR"
        groups = optimizer.param_groups if hasattr(optimizer, "param_groups") else []
        base_lrs = _per_group(owner, "base_lr", base_lr, len(groups))
        self.max_lrs = _per_group(owner, "max_lr", max_lr, len(groups))
        up = _number(owner, "step_size_up", step_size_up)
        down = up if step_size_down is None else _number(owner, "step_size_down", step_size_down)
        if up + down <= 0:
            raise ValueError(f"{owner}: step_size_up + step_size_down must be > 0, got {up} + {down}")
        self.total_size, self.step_ratio = up + down, up / (up + down)
        if scale_fn is None and mode not in MODES:
            raise ValueError(f"{owner}: mode must be one of {sorted(MODES)} (or give scale_fn), got {mode!r}")
        if scale_fn is not None and not callable(scale_fn):
            raise TypeError(f"{owner}: scale_fn must be a function of the cycle (or the step), got {scale_fn!r}")
        if scale_mode not in ("cycle", "iterations"):
            raise ValueError(f"{owner}: scale_mode must be 'cycle' or 'iterations', got {scale_mode!r}")
        self.mode, self.gamma = mode, _number(owner, "gamma", gamma)
        self.scale_fn = scale_fn  # (a function: not saved by state_dict; the mode is)
        self.scale_mode = scale_mode if scale_fn is not None else MODES[mode][1]
        self.cycle_momentum = _flag(owner, "cycle_momentum", cycle_momentum)
        self.base_momentums = _per_group(owner, "base_momentum", base_momentum, len(groups))
        self.max_momentums = _per_group(owner, "max_momentum", max_momentum, len(groups))
        if self.cycle_momentum and not all("momentum" in g or "betas" in g for g in groups):
            raise ValueError(
                f"{owner}: cycle_momentum needs an optimizer with momentum or betas (SGD, RMSprop, Adam, ...), "
                f"got {type(optimizer).__name__}; pass cycle_momentum=False"
            )
        for group, lr in zip(groups, base_lrs):  # the cycle starts at base_lr, whatever lr was
            group["initial_lr"] = lr
        super().__init__(optimizer)

    def _scale(self, t: int) -> float:
        """The scale of the cycle's height after ``t`` steps."""
        x = math.floor(1 + t / self.total_size) if self.scale_mode == "cycle" else t
        if self.scale_fn is not None:
            return float(self.scale_fn(x))
        return MODES[self.mode][0](x, self.gamma)

    def _height(self, t: int) -> float:
        """How far up the current cycle is after ``t`` steps: 0 at base_lr, 1 at max_lr."""
        cycle = math.floor(1 + t / self.total_size)
        x = 1.0 + t / self.total_size - cycle
        return x / self.step_ratio if x <= self.step_ratio else (x - 1) / (self.step_ratio - 1)

    def lr_for(self, base_lr: float, t: int, max_lr: float | None = None) -> float:
        top = self.max_lrs[0] if max_lr is None else max_lr
        return base_lr + (top - base_lr) * self._height(t) * self._scale(t)

    def _apply(self) -> None:
        t = self.last_epoch
        for group, base_lr, max_lr in zip(self.optimizer.param_groups, self.base_lrs, self.max_lrs):
            group["lr"] = self.lr_for(base_lr, t, max_lr)
        if self.cycle_momentum:
            height, scale = self._height(t), self._scale(t)
            for group, low, high in zip(self.optimizer.param_groups, self.base_momentums, self.max_momentums):
                momentum = high - (high - low) * height * scale
                if "betas" in group:
                    group["betas"] = (momentum, *group["betas"][1:])
                else:
                    group["momentum"] = momentum

    def state_dict(self) -> dict[str, Any]:
        """``LRScheduler.state_dict`` (a custom ``scale_fn`` is a function: made again with the scheduler)."""
        return {k: v for k, v in super().state_dict().items() if k != "scale_fn"}
