"""``SequentialLR``: one schedule after another (a warm-up, then a decay), with PyTorch's name and rule.
Each part is a closed form restarted at its milestone, so the whole is one too. ``ConstantLR``, the
flat warm-up of PyTorch's own ``SequentialLR`` example, lives here too."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Any

from ..checks import positive_int
from .lr_scheduler import LRScheduler
from .optimizer import Optimizer, _number


def load_parts(schedulers: Sequence[Any], parts: Sequence[dict[str, Any]]) -> None:
    """Each scheduler's saved part loaded, all or none: a part that does not fit restores the ones loaded before
    it, so a composite scheduler (SequentialLR, ChainedScheduler) is never left half restored."""
    backups = [s.state_dict() for s in schedulers]
    try:
        for scheduler, part in zip(schedulers, parts):
            scheduler.load_state_dict(part)
    except (ValueError, TypeError):
        for scheduler, backup in zip(schedulers, backups):
            scheduler.load_state_dict(backup)
        raise


class ConstantLR(LRScheduler):
    """The lr times ``factor`` for the first ``total_iters`` steps, then the lr itself, as PyTorch's
    ``ConstantLR`` (a flat warm-up: ``SequentialLR(opt, [ConstantLR(opt, 0.1, 2), ExponentialLR(opt, 0.9)], [2])``).

    >>> opt = nn.optim.SGD([Tensor([0.0], requires_grad=True)], lr=1.0)
    >>> scheduler = ConstantLR(opt, factor=0.5, total_iters=2)
    >>> [scheduler.lr_at(t) for t in range(4)]
    [0.5, 0.5, 1.0, 1.0]
    """

    chainable = True

    def __init__(self, optimizer: Optimizer, factor: float = 1 / 3, total_iters: int = 5) -> None:
        owner = type(self).__name__
        self.factor_value = _number(owner, "factor", factor, high=1.0)  # (torch's bounds: 0 to 1)
        self.total_iters = positive_int(owner, "total_iters", total_iters)
        super().__init__(optimizer)

    def factor(self, t: int) -> float:
        return self.factor_value if t < self.total_iters else 1.0


class SequentialLR(LRScheduler):
    """Run ``schedulers[0]`` until ``milestones[0]`` steps, then ``schedulers[1]`` from its start, and so on,
    each from the groups' initial lr (PyTorch's ``SequentialLR``, e.g. a linear warm-up then a cosine).

    >>> opt = nn.optim.SGD([Tensor([0.0], requires_grad=True)], lr=1.0)
    >>> warm_up = nn.optim.LinearLR(opt, start_factor=0.25, total_iters=3)
    >>> decay = nn.optim.ExponentialLR(opt, gamma=0.5)
    >>> scheduler = SequentialLR(opt, [warm_up, decay], milestones=[3])
    >>> [scheduler.lr_at(t) for t in range(6)]
    [0.25, 0.5, 0.75, 1.0, 0.5, 0.25]
    """

    def __init__(self, optimizer: Optimizer, schedulers: Sequence[LRScheduler], milestones: Sequence[int]) -> None:
        owner = "SequentialLR"
        schedulers = list(schedulers)
        # closed forms only: ReduceLROnPlateau follows a metric, ChainedScheduler its parts' changes (both are
        # LRSchedulers, as PyTorch's, but SequentialLR restarts each part from its milestone by its formula)
        closed = all(isinstance(s, LRScheduler) and s.closed_form and s.optimizer is optimizer for s in schedulers)
        if not schedulers or not closed:
            raise ValueError(
                f"{owner}: schedulers must be a list of schedulers made on this optimizer (LinearLR, "
                f"CosineAnnealingLR, ...; not ReduceLROnPlateau or ChainedScheduler), got {schedulers!r:.120}"
            )
        self.milestones = [positive_int(owner, "each milestone", m) for m in milestones]
        if len(self.milestones) != len(schedulers) - 1 or self.milestones != sorted(set(self.milestones)):
            raise ValueError(
                f"{owner}: milestones must be {len(schedulers) - 1} increasing step counts (one fewer than "
                f"the schedulers: where each next one starts), got {list(milestones)}"
            )
        self.schedulers = schedulers
        initial = [group["initial_lr"] for group in optimizer.param_groups]
        for scheduler in schedulers:  # each starts from the initial lr, whatever the ones made before it set
            scheduler.base_lrs = list(initial)
        super().__init__(optimizer)

    def _part(self, t: int) -> tuple[LRScheduler, int]:
        """The scheduler in charge after ``t`` steps, and its own step count."""
        index = bisect.bisect_right(self.milestones, t)
        return self.schedulers[index], t - (self.milestones[index - 1] if index else 0)

    def lr_for(self, base_lr: float, t: int) -> float:
        scheduler, local = self._part(t)
        return scheduler.lr_for(base_lr, local)

    def _apply(self) -> None:
        scheduler, local = self._part(self.last_epoch)
        scheduler.last_epoch = local
        scheduler._apply()  # its own rule for every group (LambdaLR's per-group functions, momentum)

    def state_dict(self) -> dict[str, Any]:
        """The step count, milestones and every part's own state."""
        return {
            "last_epoch": self.last_epoch,
            "base_lrs": list(self.base_lrs),
            "milestones": list(self.milestones),
            "schedulers": [s.state_dict() for s in self.schedulers],
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore ``state_dict()``, checked first (the same milestones and number of parts)."""
        parts = state_dict.get("schedulers") if isinstance(state_dict, dict) else None
        if (
            not isinstance(parts, list)
            or len(parts) != len(self.schedulers)
            or state_dict.get("milestones") != self.milestones
            or set(state_dict) != {"last_epoch", "base_lrs", "milestones", "schedulers"}
        ):
            raise ValueError(
                f"SequentialLR.load_state_dict: expected the state of a SequentialLR with milestones "
                f"{self.milestones} and {len(self.schedulers)} schedulers"
            )
        load_parts(self.schedulers, parts)
        self.last_epoch, self.base_lrs = state_dict["last_epoch"], list(state_dict["base_lrs"])
