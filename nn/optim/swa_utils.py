"""Weight averaging, as ``torch.optim.swa_utils``: ``AveragedModel`` keeps the running mean of a model's
parameters over the points training passes through (Polyak averaging, Goodfellow et al. 8.7.4; stochastic
weight averaging), or with ``avg_fn=get_ema_avg_fn(decay)`` their exponential moving average.

Why: SGD with a constant step ends wandering in a ball around a minimum; the mean of the points it visits
sits near the centre of that ball.

>>> model = nn.Linear(2, 1, seed=0)
>>> swa = AveragedModel(model)
>>> for value in (1.0, 2.0, 6.0):
...     model.weight.data[...] = value
...     swa.update_parameters(model)
>>> swa.module.weight.data, int(swa.n_averaged)
(array([[3., 3.]]), 3)
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np

import autograd_core as ag
from autograd_core import Tensor

from ..module import Module

#: ``avg_fn(averaged, current, num_averaged) -> new averaged``, on Tensors (torch's signature)
AvgFn = Callable[[Tensor, Tensor, Tensor], Any]


def get_swa_avg_fn() -> AvgFn:
    """The equal-weight running mean (the default): averaged + (current - averaged) / (n + 1).

    >>> get_swa_avg_fn()(Tensor([1.0]), Tensor([4.0]), Tensor(2))
    Tensor([2.])
    """

    def swa_update(averaged: Tensor, current: Tensor, num_averaged: Tensor) -> Tensor:
        return averaged + (current - averaged) / (num_averaged + 1)

    return swa_update


def get_ema_avg_fn(decay: float = 0.999) -> AvgFn:
    """The exponential moving average: decay * averaged + (1 - decay) * current.

    >>> get_ema_avg_fn(0.9)(Tensor([1.0]), Tensor([2.0]), Tensor(5))
    Tensor([1.1])
    """
    if isinstance(decay, bool) or not isinstance(decay, (int, float)) or not 0.0 <= decay <= 1.0:
        raise ValueError(f"get_ema_avg_fn: decay must be a number in [0, 1], got {decay!r}")

    def ema_update(averaged: Tensor, current: Tensor, num_averaged: Tensor) -> Tensor:
        return decay * averaged + (1 - decay) * current

    return ema_update


def _array(t: Tensor | np.ndarray) -> np.ndarray:
    return t.data if isinstance(t, Tensor) else t


class AveragedModel(Module):
    """A copy of ``model`` (in ``.module``) whose parameters are the average of ``model``'s over the calls of
    ``update_parameters(model)``; calling it calls the copy. The first call copies, each next one averages with
    ``avg_fn`` (default: the equal-weight running mean); ``n_averaged`` counts the calls (a buffer, saved in
    ``state_dict`` as torch's). Buffers (BatchNorm's running statistics) are copied from ``model`` each time, or
    averaged too with ``use_buffers=True``.

    >>> model = nn.Linear(2, 1, seed=0)
    >>> ema = AveragedModel(model, avg_fn=get_ema_avg_fn(0.5))
    >>> for value in (4.0, 2.0):
    ...     model.bias.data[...] = value
    ...     ema.update_parameters(model)
    >>> ema.module.bias.data
    array([3.])
    """

    n_averaged: np.ndarray  # a buffer (registered in __init__)

    def __init__(
        self,
        model: Module,
        device: str | None = None,
        avg_fn: AvgFn | None = None,
        multi_avg_fn: Any = None,
        use_buffers: bool = False,
    ) -> None:
        super().__init__()
        if not isinstance(model, Module):
            raise TypeError(f"AveragedModel: model must be an nn.Module, got {type(model).__name__}")
        if multi_avg_fn is not None:
            raise TypeError(
                "AveragedModel: multi_avg_fn (torch's foreach form) is not supported here; give the same rule "
                "per tensor as avg_fn, e.g. avg_fn=get_ema_avg_fn(0.999)"
            )
        if avg_fn is not None and not callable(avg_fn):
            raise TypeError(f"AveragedModel: avg_fn must be callable (averaged, current, n), got {avg_fn!r}")
        if device is not None:
            ag.device(device)  # only the CPU: anything else is refused there, with what to write
        self.module = copy.deepcopy(model)
        self.register_buffer("n_averaged", np.array(0, dtype=np.int64))
        self.avg_fn = avg_fn or get_swa_avg_fn()
        self.use_buffers = bool(use_buffers)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The averaged copy's output: ``swa(x)``."""
        return self.module(*args, **kwargs)

    def _arrays(self, model: Module, owner: str) -> tuple[list[np.ndarray], list[np.ndarray], list[Tensor]]:
        """(averaged, current) arrays to average, in the same order, and the averaged parameters changed."""
        ours: dict[str, Tensor | np.ndarray] = dict(self.module.named_parameters())
        theirs: dict[str, Tensor | np.ndarray] = dict(model.named_parameters())
        ours.update(self.module.named_buffers())
        theirs.update(model.named_buffers())
        if list(ours) != list(theirs):
            raise ValueError(
                f"{owner}: model's parameters {list(theirs)[:6]} are not those of the averaged copy "
                f"{list(ours)[:6]}; pass the model this AveragedModel was made from"
            )
        for name in ours:
            if ours[name].shape != theirs[name].shape:
                raise ValueError(
                    f"{owner}: '{name}' has shape {theirs[name].shape} in model but {ours[name].shape} in the "
                    "averaged copy; pass the model this AveragedModel was made from"
                )
        if not self.use_buffers:  # the buffers are copied, not averaged
            for name, array in self.module.named_buffers():
                array[...] = theirs.pop(name)
                del ours[name]
        params = list(self.module.parameters())
        return [_array(t) for t in ours.values()], [_array(t) for t in theirs.values()], params

    def update_parameters(self, model: Module) -> None:
        """Fold ``model``'s current parameters into the average (the first call copies them):
        ``opt.step(); swa.update_parameters(model)``."""
        owner = "AveragedModel.update_parameters"
        averaged, current, params = self._arrays(model, owner)
        n = int(self.n_averaged)
        with ag.no_grad():
            for mine, theirs in zip(averaged, current, strict=True):
                if n == 0:
                    mine[...] = theirs
                    continue
                new = self.avg_fn(Tensor(mine.copy()), Tensor(theirs), Tensor(np.array(n)))
                value = np.asarray(new.data if isinstance(new, Tensor) else new)
                if value.shape != mine.shape:
                    raise ValueError(
                        f"{owner}: avg_fn returned shape {value.shape} for a tensor of shape {mine.shape}; it must "
                        "return the new average, shaped as its inputs"
                    )
                mine[...] = value
        ag.increment_version(params)  # changed in place, as an optimizer's step does
        np.add(self.n_averaged, 1, out=self.n_averaged)
