"""``ReduceLROnPlateau``: the one scheduler that watches a metric instead of following a closed form in the
epoch (lr_scheduler.py holds those), with PyTorch's name and rule. An ``LRScheduler`` as PyTorch's (>= 2.2), so
``isinstance(s, LRScheduler)`` holds; the closed-form methods (``lr_at``, ``lr_for``) say there is none."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import SupportsFloat

from ..checks import non_negative_int
from .lr_scheduler import LRScheduler
from .optimizer import Optimizer, _number


class ReduceLROnPlateau(LRScheduler):
    """Multiply the learning rates by ``factor`` when a metric has not improved for more than
    ``patience`` epochs (then wait ``cooldown`` epochs); never below ``min_lr``. PyTorch's rule:
    an improvement beats the best by ``threshold`` (relative, or absolute with ``threshold_mode="abs"``).

    >>> opt = nn.optim.SGD([Tensor([0.0], requires_grad=True)], lr=1.0)
    >>> scheduler = ReduceLROnPlateau(opt, factor=0.5, patience=3)
    >>> for validation_loss in [0.9, 0.8, 0.8, 0.8, 0.8, 0.8]:   # no progress after epoch 2
    ...     lr = scheduler.step(validation_loss)
    >>> opt.param_groups[0]["lr"], scheduler.get_last_lr()
    (0.5, [0.5])
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | Sequence[float] = 0.0,
        eps: float = 1e-8,
    ) -> None:
        owner = "ReduceLROnPlateau"
        if not hasattr(optimizer, "param_groups"):
            raise TypeError(
                f"{owner}: expected an optimizer with an 'lr', got {type(optimizer).__name__} (use one from nn.optim)"
            )
        if mode not in ("min", "max") or threshold_mode not in ("rel", "abs"):
            raise ValueError(
                f"{owner}: mode must be 'min' or 'max' and threshold_mode 'rel' or 'abs', "
                f"got mode={mode!r}, threshold_mode={threshold_mode!r}"
            )
        # torch's attribute: the number each reduction multiplies by (LRScheduler's factor(t) is a closed form's)
        self.factor = _number(owner, "factor", factor, 0.0, 1.0, high_open=True)  # type: ignore[assignment,method-assign]
        self.patience = non_negative_int(owner, "patience", patience)
        self.cooldown = non_negative_int(owner, "cooldown", cooldown)
        self.optimizer = optimizer
        self.mode, self.threshold_mode = mode, threshold_mode
        self.threshold = _number(owner, "threshold", threshold)
        self.eps = _number(owner, "eps", eps)
        groups = len(optimizer.param_groups)
        min_lrs = list(min_lr) if isinstance(min_lr, (list, tuple)) else [min_lr] * groups
        if len(min_lrs) != groups:
            raise ValueError(f"{owner}: min_lr has {len(min_lrs)} values for {groups} parameter groups")
        self.min_lrs = [_number(owner, "min_lr", m) for m in min_lrs]
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = self.cooldown_counter = self.last_epoch = 0

    closed_form = False  # (lr_for refuses, saying why)

    @property
    def in_cooldown(self) -> bool:
        """Whether the cooldown after a reduction is still running (no bad epochs are counted), as PyTorch's."""
        return self.cooldown_counter > 0

    def lr_for(self, *args: object) -> float:
        """Refused, saying why: there is no lr as a function of the epoch (``lr_at`` too)."""
        raise TypeError(
            "ReduceLROnPlateau has no closed form in the epoch: its lr follows the metrics given to step(metric); "
            "read the current one with get_last_lr()"
        )

    def lr_at(self, t: int) -> float:
        return self.lr_for(t)

    def _is_better(self, value: float) -> bool:
        if self.mode == "min":
            return value < (
                self.best * (1 - self.threshold) if self.threshold_mode == "rel" else self.best - self.threshold
            )
        return value > (
            self.best * (1 + self.threshold) if self.threshold_mode == "rel" else self.best + self.threshold
        )

    def step(self, metrics: SupportsFloat | None = None) -> float:
        """Record this epoch's metric (e.g. the validation loss) and reduce the learning rates if it
        has stalled; returns the first group's lr: ``scheduler.step(val_loss)``."""
        try:
            if metrics is None:  # forgotten: the message below says what to pass
                raise TypeError
            value = float(metrics)
        except (TypeError, ValueError):
            raise TypeError(
                f"ReduceLROnPlateau.step: expected the monitored metric as a number "
                f"(e.g. the validation loss), got {type(metrics).__name__}"
            ) from None
        self.last_epoch += 1
        if self._is_better(value):
            self.best, self.num_bad_epochs = value, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs):
                new_lr = max(group["lr"] * self.factor, min_lr)
                if group["lr"] - new_lr > self.eps:
                    group["lr"] = new_lr
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        return float(self.optimizer.param_groups[0]["lr"])
