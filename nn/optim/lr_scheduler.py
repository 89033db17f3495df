"""Learning-rate schedulers, with PyTorch's names and semantics (``torch.optim.lr_scheduler``).

A scheduler wraps an optimizer and sets each parameter group's ``lr`` from the value the
group had when the scheduler was made (its ``initial_lr``). Call ``scheduler.step()``
once per epoch, after that epoch's optimizer steps (``nn.fit(..., scheduler=...)`` does);
``ReduceLROnPlateau.step(metric)`` takes the monitored value.

>>> w = Tensor([1.0], requires_grad=True)
>>> opt = nn.optim.SGD([w], lr=0.1)
>>> scheduler = StepLR(opt, step_size=30, gamma=0.1)   # lr = 0.1 * 0.1 ** (epoch // 30)
>>> for epoch in range(100):
...     opt.zero_grad(); (w**2).sum().backward(); opt.step()   # one epoch of training
...     lr = scheduler.step()
>>> opt.param_groups[0]["lr"]
0.0001

The closed forms are used (``lr_at(t)`` gives any epoch's value). A learning rate changed
by someone else (by hand, ``ReduceLROnPlateau`` or a second scheduler on the optimizer) is
followed from then on, as PyTorch's chainable schedulers (StepLR, MultiStepLR, ExponentialLR,
LinearLR, CosineAnnealingLR) do: such a scheduler made on an optimizer some scheduler already
drives starts from the current lr, and each ``step()`` goes on from the lr it finds, so two
of them multiply; ``LambdaLR`` and ``OneCycleLR`` set theirs from the initial lr, as PyTorch's.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence
from typing import Any, TypeAlias

from ..checks import positive_int
from .optimizer import Optimizer, _number

#: A learning-rate multiplier as a function of the epoch: ``lambda epoch: 0.95**epoch``.
LRLambda: TypeAlias = Callable[[int], float]


class _SchedulerState:
    """What every scheduler shares: the optimizer it drives, its learning rates, and saving."""

    optimizer: Optimizer

    def get_last_lr(self) -> list[float]:
        """Every group's current learning rate, as PyTorch: ``scheduler.get_last_lr()``."""
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer (and functions): ``{"last_epoch": 3, "base_lrs": [...], ...}``."""
        return {
            k: v
            for k, v in vars(self).items()
            if k != "optimizer" and not callable(v) and not (isinstance(v, list) and any(callable(f) for f in v))
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore ``state_dict()``; names are checked first: ``scheduler.load_state_dict(saved)``."""
        owner = f"{type(self).__name__}.load_state_dict"
        expected = set(self.state_dict())
        if not isinstance(state_dict, dict) or set(state_dict) != expected:
            got = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict).__name__
            raise ValueError(
                f"{owner}: expected the keys {sorted(expected)}, got {got}; was it saved from another scheduler type?"
            )
        self.__dict__.update(state_dict)


class LRScheduler(_SchedulerState):
    """Base class: ``step()`` advances the epoch counter ``last_epoch`` and sets every group's
    ``lr = lr_for(initial_lr, last_epoch)``; a subclass defines ``factor(t)`` (or ``lr_for``), or, as PyTorch's
    custom schedulers are written, ``get_lr()``: the list of the groups' rates at ``self.last_epoch``."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "get_lr" in vars(cls) and not {"factor", "lr_for"} & set(vars(cls)):
            cls.closed_form = False  # its rates come one epoch at a time (SequentialLR then steps it as it goes)

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        owner = type(self).__name__
        if last_epoch != -1:  # (torch's resume-by-argument; PyTorch subclasses pass the default -1 along)
            raise ValueError(
                f"{owner}: last_epoch={last_epoch!r}: a scheduler starts at epoch 0 here; to resume, make it with "
                "the default last_epoch=-1 and call load_state_dict(saved_state)"
            )
        if not hasattr(optimizer, "param_groups"):
            raise TypeError(
                f"{owner}: expected an optimizer with an 'lr', got {type(optimizer).__name__} (use one from nn.optim)"
            )
        self.optimizer = optimizer
        driven = any("initial_lr" in group for group in optimizer.param_groups)  # by an earlier scheduler
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        chained = driven and self.chainable
        self.base_lrs = [group["lr" if chained else "initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = 0
        self._apply()

    @property
    def t(self) -> int:
        """The number of ``step()`` calls so far (PyTorch's ``last_epoch``)."""
        return self.last_epoch

    @property
    def initial_lr(self) -> float:
        """The first group's learning rate when the scheduler was made (the seeds' name)."""
        return float(self.base_lrs[0])

    def lr_for(self, base_lr: float, t: int) -> float:
        """The learning rate after ``t`` steps for a group that started at ``base_lr``."""
        return base_lr * self.factor(t)

    def factor(self, t: int) -> float:
        raise NotImplementedError(
            f"{type(self).__name__} must define factor(t): the learning-rate multiplier after t steps (see "
            "InverseTimeDecay), or get_lr() (the rates at self.last_epoch, as in PyTorch: then read the current "
            "rates with get_last_lr(), since lr_at(t) needs factor)"
        )

    def lr_at(self, t: int) -> float:
        """The first group's learning rate after ``t`` calls of ``step()``:
        ``[scheduler.lr_at(t) for t in range(10)]``."""
        return self.lr_for(self.base_lrs[0], t)

    def get_lr(self) -> list[float]:
        """Every group's learning rate at epoch ``last_epoch``: what ``step()`` sets. A subclass may define it
        instead of ``factor(t)``, as PyTorch's custom schedulers are (UvA DL tutorial 6's warm-up):

        >>> class Halving(LRScheduler):
        ...     def get_lr(self):
        ...         return [base_lr / 2**self.last_epoch for base_lr in self.base_lrs]
        >>> scheduler = Halving(nn.optim.SGD([Tensor([0.0], requires_grad=True)], lr=1.0))
        >>> [scheduler.step() for _ in range(3)]
        [0.5, 0.25, 0.125]
        """
        return [self.lr_for(base_lr, self.last_epoch) for base_lr in self.base_lrs]

    def _apply(self) -> None:
        groups = self.optimizer.param_groups
        lrs = list(self.get_lr())
        if len(lrs) != len(groups):
            raise ValueError(
                f"{type(self).__name__}.get_lr: returned {len(lrs)} learning rates for the optimizer's "
                f"{len(groups)} parameter groups; return one per group, e.g. [f(base) for base in self.base_lrs]"
            )
        for group, lr in zip(groups, lrs):
            group["lr"] = lr

    def step(self) -> float:
        """Advance one epoch and update the optimizer's learning rates; returns the first group's:
        ``for epoch in range(n): train(); scheduler.step()``."""
        if self.chainable:  # an lr someone else changed since our last step: go on from it, as PyTorch
            for i, group in enumerate(self.optimizer.param_groups):
                if group["lr"] != self.lr_for(self.base_lrs[i], self.last_epoch):
                    self.base_lrs[i] = self.base_for(group["lr"], self.last_epoch, self.base_lrs[i])
        self.last_epoch += 1
        self._apply()
        return float(self.optimizer.param_groups[0]["lr"])

    #: Whether the schedule goes on from an lr changed by someone else (PyTorch's chainable form).
    chainable = False
    #: Whether ``lr_for(base_lr, t)`` gives the lr after t steps (not so for ReduceLROnPlateau, ChainedScheduler).
    closed_form = True

    def base_for(self, lr: float, t: int, base_lr: float) -> float:
        """The initial lr from which this schedule reaches ``lr`` after ``t`` steps (``base_lr`` kept
        where ``lr`` cannot be reached): ``lr / factor(t)``."""
        factor = self.factor(t)
        return lr / factor if factor else base_lr

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, lr={self.get_last_lr()[0]:g})"


class StepLR(LRScheduler):
    """lr_t = lr_0 * gamma ** (t // step_size): multiply by gamma every step_size epochs.

    >>> opt = nn.optim.SGD([Tensor([0.0], requires_grad=True)], lr=1.0)
    >>> StepLR(opt, step_size=2, gamma=0.1).lr_at(5)
    0.01
    """

    chainable = True

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = positive_int(type(self).__name__, "step_size", step_size)
        self.gamma = _number(type(self).__name__, "gamma", gamma)
        super().__init__(optimizer)

    def factor(self, t: int) -> float:
        return self.gamma ** (t // self.step_size)


class MultiStepLR(LRScheduler):
    """lr_t = lr_0 * gamma ** (number of milestones <= t).

    >>> opt = nn.optim.SGD([Tensor([0.0], requires_grad=True)], lr=1.0)
    >>> MultiStepLR(opt, milestones=[2, 5], gamma=0.1).lr_at(5)
    0.01
    """

    chainable = True

    def __init__(self, optimizer: Optimizer, milestones: Sequence[int], gamma: float = 0.1) -> None:
        owner = type(self).__name__
        self.milestones = sorted(positive_int(owner, "each milestone", m) for m in milestones)
        self.gamma = _number(owner, "gamma", gamma)
        super().__init__(optimizer)

    def factor(self, t: int) -> float:
        return self.gamma ** bisect.bisect_right(self.milestones, t)


class ExponentialLR(LRScheduler):
    """lr_t = lr_0 * gamma ** t.

    >>> opt = nn.optim.SGD([Tensor([0.0], requires_grad=True)], lr=1.0)
    >>> ExponentialLR(opt, gamma=0.5).lr_at(3)
    0.125
    """

    chainable = True

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        self.gamma = _number(type(self).__name__, "gamma", gamma)
        super().__init__(optimizer)

    def factor(self, t: int) -> float:
        return self.gamma**t


class LinearLR(LRScheduler):
    """A linear warm-up (or decay), as PyTorch: the factor goes from ``start_factor`` to ``end_factor``
    over ``total_iters`` steps, then stays: lr_t = lr_0 * (s + (e - s) * min(t, total_iters) / total_iters).

    >>> opt = nn.optim.SGD([Tensor([0.0], requires_grad=True)], lr=1.0)
    >>> warm_up = LinearLR(opt, start_factor=0.25, total_iters=3)
    >>> [warm_up.lr_at(t) for t in range(5)]
    [0.25, 0.5, 0.75, 1.0, 1.0]
    """

    chainable = True

    def __init__(
        self, optimizer: Optimizer, start_factor: float = 1 / 3, end_factor: float = 1.0, total_iters: int = 5
    ) -> None:
        owner = type(self).__name__
        self.start_factor = _number(owner, "start_factor", start_factor, high=1.0)
        if self.start_factor == 0:
            raise ValueError(
                f"{owner}: start_factor must be > 0 and <= 1, got {start_factor!r} (a zero lr learns nothing)"
            )
        self.end_factor = _number(owner, "end_factor", end_factor, high=1.0)
        self.total_iters = positive_int(owner, "total_iters", total_iters)
        super().__init__(optimizer)

    def factor(self, t: int) -> float:
        done = min(t, self.total_iters) / self.total_iters
        return self.start_factor + (self.end_factor - self.start_factor) * done


class CosineAnnealingLR(LRScheduler):
    """lr_t = eta_min + (lr_0 - eta_min) * (1 + cos(pi t / T_max)) / 2: half a cosine from lr_0
    down to eta_min over T_max epochs (and back up after, as PyTorch).

    >>> opt = nn.optim.SGD([Tensor([0.0], requires_grad=True)], lr=1.0)
    >>> CosineAnnealingLR(opt, T_max=4).lr_at(2)
    0.5
    """

    chainable = True

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        self.T_max = positive_int(type(self).__name__, "T_max", T_max)
        self.eta_min = _number(type(self).__name__, "eta_min", eta_min)
        super().__init__(optimizer)

    def lr_for(self, base_lr: float, t: int) -> float:
        return self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * t / self.T_max)) / 2

    def step(self) -> float:
        if (self.last_epoch - self.T_max) % (2 * self.T_max) == 0:  # at the bottom PyTorch climbs to the initial lr
            self.base_lrs = [group["initial_lr"] for group in self.optimizer.param_groups]
        return super().step()

    def base_for(self, lr: float, t: int, base_lr: float) -> float:
        half_cosine = (1 + math.cos(math.pi * t / self.T_max)) / 2  # 0 at the bottom: lr is eta_min whatever the base
        return self.eta_min + (lr - self.eta_min) / half_cosine if half_cosine > 1e-12 else base_lr


class LambdaLR(LRScheduler):
    """lr_t = lr_0 * lr_lambda(t), with one function, or one per parameter group.

    >>> opt = nn.optim.SGD([Tensor([0.0], requires_grad=True)], lr=1.0)
    >>> LambdaLR(opt, lambda epoch: 0.95 ** epoch).lr_at(2)
    0.9025
    """

    def __init__(self, optimizer: Optimizer, lr_lambda: LRLambda | list[LRLambda] | tuple[LRLambda, ...]) -> None:
        groups = len(getattr(optimizer, "param_groups", ()))
        functions = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * max(groups, 1)
        if not all(callable(f) for f in functions) or (groups and len(functions) != groups):
            raise TypeError(
                f"{type(self).__name__}: lr_lambda must be a function of the epoch, or a list of one per "
                f"parameter group ({groups}), got {lr_lambda!r}"
            )
        self.lr_lambdas = functions
        super().__init__(optimizer)

    def _apply(self) -> None:
        for group, base_lr, f in zip(self.optimizer.param_groups, self.base_lrs, self.lr_lambdas):
            group["lr"] = base_lr * f(self.last_epoch)

    def lr_for(self, base_lr: float, t: int) -> float:
        return base_lr * self.lr_lambdas[0](t)


class PolynomialLR(LRScheduler):
    """PyTorch's ``PolynomialLR``: lr_t = lr_0 * (1 - min(t, total_iters) / total_iters) ** power, down to 0 after
    ``total_iters`` steps (``PolynomialDecay`` with end_lr = 0, in torch's names, and chainable as torch's).

    >>> opt = nn.optim.SGD([Tensor([0.0], requires_grad=True)], lr=1.0)
    >>> [PolynomialLR(opt, total_iters=4, power=2.0).lr_at(t) for t in range(6)]
    [1.0, 0.5625, 0.25, 0.0625, 0.0, 0.0]
    """

    chainable = True

    def __init__(self, optimizer: Optimizer, total_iters: int = 5, power: float = 1.0) -> None:
        self.total_iters = positive_int(type(self).__name__, "total_iters", total_iters)
        self.power = _number(type(self).__name__, "power", power)
        super().__init__(optimizer)

    def factor(self, t: int) -> float:
        return float((1.0 - min(t, self.total_iters) / self.total_iters) ** self.power)


class StepDecay(StepLR):
    """The seeds' name for ``StepLR``: lr_t = lr_0 * gamma ** (t // step_size).

    >>> opt = nn.optim.SGD([Tensor([0.0], requires_grad=True)], lr=1.0)
    >>> StepDecay(opt, step_size=2, gamma=0.1).lr_at(5)
    0.01
    """


LRSchedule = LRScheduler  # the seeds' name of the base class
_LRScheduler = LRScheduler  # PyTorch's name before 2.0, still what tutorials subclass (UvA DL tutorial 6)


# (re-exported: torch.optim.lr_scheduler has it; it builds on _SchedulerState, above)
from .chained import ChainedScheduler as ChainedScheduler  # noqa: E402
from .chained import MultiplicativeLR as MultiplicativeLR  # noqa: E402
from .cyclic import CyclicLR as CyclicLR  # noqa: E402
from .decays import InverseSqrtDecay as InverseSqrtDecay  # noqa: E402
from .decays import InverseTimeDecay as InverseTimeDecay  # noqa: E402
from .decays import PolynomialDecay as PolynomialDecay  # noqa: E402
from .one_cycle import OneCycleLR as OneCycleLR  # noqa: E402
from .plateau import ReduceLROnPlateau as ReduceLROnPlateau  # noqa: E402
from .sequential import ConstantLR as ConstantLR  # noqa: E402
from .sequential import SequentialLR as SequentialLR  # noqa: E402
from .warm_restarts import CosineAnnealingWarmRestarts as CosineAnnealingWarmRestarts  # noqa: E402
