"""The schedules that go on from the learning rate they find, with PyTorch's names and rules: ``MultiplicativeLR``
(each step multiplies the current lr by a function of the epoch) and ``ChainedScheduler`` (several schedulers
stepped together, so their factors multiply; an ``LRScheduler`` as PyTorch's, ``isinstance(s, LRScheduler)``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .lr_scheduler import LambdaLR, LRScheduler
from .optimizer import Optimizer
from .plateau import ReduceLROnPlateau
from .sequential import load_parts


class MultiplicativeLR(LambdaLR):
    """lr_t = lr_{t-1} * lr_lambda(t) for t >= 1, so lr_t = lr_0 * lr_lambda(1) * ... * lr_lambda(t); one
    function, or one per parameter group. It multiplies whatever lr it finds, as PyTorch's (an lr set by hand or
    by another scheduler is followed).

    >>> opt = nn.optim.SGD([Tensor([0.0], requires_grad=True)], lr=1.0)
    >>> scheduler = MultiplicativeLR(opt, lambda epoch: 0.5 if epoch % 2 else 1.0)
    >>> [scheduler.step() for _ in range(4)]
    [0.5, 0.5, 0.25, 0.25]
    """

    def _apply(self) -> None:
        if self.last_epoch > 0:  # (made, it leaves the lr as it is)
            for group, f in zip(self.optimizer.param_groups, self.lr_lambdas):
                group["lr"] = group["lr"] * f(self.last_epoch)

    def lr_for(self, base_lr: float, t: int) -> float:
        lr = base_lr
        for epoch in range(1, t + 1):  # the products in step()'s order, so the same floats
            lr = lr * self.lr_lambdas[0](epoch)
        return lr


class ChainedScheduler(LRScheduler):
    """Step several schedulers of one optimizer together, in order (PyTorch's ``ChainedScheduler``): with chainable
    schedulers (``ConstantLR``, ``ExponentialLR``, ``LinearLR``, ``MultiplicativeLR``, ...) their factors multiply.

    >>> opt = nn.optim.SGD([Tensor([0.0], requires_grad=True)], lr=1.0)
    >>> warm = nn.optim.ConstantLR(opt, factor=0.1, total_iters=2)
    >>> decay = nn.optim.ExponentialLR(opt, gamma=0.9)
    >>> scheduler = ChainedScheduler([warm, decay])
    >>> [round(scheduler.step(), 6) for _ in range(4)]   # 0.1 * 0.9**t, then 0.9**t once ConstantLR is done
    [0.09, 0.81, 0.729, 0.6561]
    >>> scheduler.get_last_lr(), isinstance(scheduler, nn.optim.LRScheduler)
    ([0.6561], True)
    """

    def __init__(self, schedulers: Sequence[LRScheduler], optimizer: Optimizer | None = None) -> None:
        owner = "ChainedScheduler"
        schedulers = list(schedulers)
        if not schedulers:
            raise ValueError(f"{owner}: expects at least one scheduler to chain, got none")
        optimizer = optimizer if optimizer is not None else getattr(schedulers[0], "optimizer", None)
        for i, scheduler in enumerate(schedulers):
            if isinstance(scheduler, ReduceLROnPlateau) or not isinstance(scheduler, LRScheduler):
                raise ValueError(
                    f"{owner}: scheduler {i} is a {type(scheduler).__name__}; chain learning-rate schedulers "
                    "(StepLR, ExponentialLR, ...), not ReduceLROnPlateau, whose step() takes the monitored value"
                )
            if scheduler.optimizer is not optimizer:
                raise ValueError(
                    f"{owner}: scheduler {i} ({type(scheduler).__name__}) drives another optimizer than the first "
                    "one's; make every chained scheduler on the same optimizer"
                )
        assert optimizer is not None  # (the first scheduler's)
        self.optimizer = optimizer
        self.schedulers = schedulers

    closed_form = False  # (lr_for refuses, saying why)

    @property
    def last_epoch(self) -> int:  # type: ignore[override]
        """The steps so far: the first chained scheduler's count (they are stepped together)."""
        return int(self.schedulers[0].last_epoch)

    def lr_for(self, *args: object) -> float:
        """Refused, saying why: there is no lr as a function of the epoch (``lr_at`` too)."""
        raise TypeError(
            "ChainedScheduler has no closed form of its own: each step multiplies the chained schedulers' changes; "
            "read the current lr with get_last_lr(), or a part's closed form with scheduler.schedulers[i].lr_at(t)"
        )

    def lr_at(self, t: int) -> float:
        return self.lr_for(t)

    def step(self) -> float:
        """Step every scheduler, in order; returns the first group's lr: ``scheduler.step()``."""
        for scheduler in self.schedulers:
            scheduler.step()
        return float(self.optimizer.param_groups[0]["lr"])

    def state_dict(self) -> dict[str, Any]:
        """Every chained scheduler's state, in order: ``{"schedulers": [...]}``."""
        return {"schedulers": [s.state_dict() for s in self.schedulers]}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore ``state_dict()``: all the parts or none (a part that does not fit leaves every part as it was)."""
        parts = state_dict.get("schedulers") if isinstance(state_dict, dict) else None
        if not isinstance(parts, list) or len(parts) != len(self.schedulers) or set(state_dict) != {"schedulers"}:
            raise ValueError(
                f"ChainedScheduler.load_state_dict: expected the state of a ChainedScheduler of "
                f"{len(self.schedulers)} schedulers ({{'schedulers': [...]}})"
            )
        load_parts(self.schedulers, parts)

    def __repr__(self) -> str:
        return f"ChainedScheduler({', '.join(type(s).__name__ for s in self.schedulers)})"
