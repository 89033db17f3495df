"""``History``: what ``nn.fit`` measured, one entry per epoch, serialisable to JSON."""

from __future__ import annotations

import json
import math
import os
from typing import Any

from autograd_core.files import atomic_write

PER_EPOCH = ("train_loss", "val_loss", "train_acc", "val_acc", "grad_norm", "dead_fraction", "lr")


class History:
    """Per-epoch measurements of a training run (lists, one entry per epoch run):

    - ``train_loss``: mean of the mini-batch losses during the epoch (as they were computed);
    - ``train_acc``: accuracy of those same mini-batch predictions (classification only);
    - ``val_loss``, ``val_acc``: on ``validation`` at the end of the epoch;
    - ``grad_norm``: mean over the epoch's steps of the global gradient L2 norm;
    - ``dead_fraction``: share of ReLU units that output 0 for every probed training row;
    - ``lr``: the learning rate used in the epoch.

    A list stays empty when it does not apply (no validation set, a regression
    loss, no ``nn.ReLU`` module). ``best_epoch`` indexes these lists (0-based): the
    epoch of lowest validation loss (training loss without validation).
    ``stopped_reason`` is "completed", "early_stopping", "tol", "error: ..." when a
    NaN/Inf stopped training, "diverged" (the loss grew past 100x its best, see ``nn.fit``),
    "interrupted" (Ctrl-C) or "failed" (another exception). ``step`` is how fit ran the training
    steps: "compiled" (through ``ag.compile``) or "define-by-run", and ``step_reason`` why not
    compiled (None when compiled; see ``nn.fit``'s ``compile``).

    >>> X, y = nn.datasets.make_moons(40, seed=0)
    >>> model = nn.MLP([2, 8, 2], seed=0)
    >>> opt = nn.optim.Adam(model.parameters(), lr=0.01)
    >>> history = nn.fit(model, F.cross_entropy, opt, X, y, epochs=5, progress=False)
    >>> history.epochs_run, history.best_epoch, history.stopped_reason
    (5, 4, 'completed')
    """

    train_loss: list[float]
    val_loss: list[float]
    train_acc: list[float]
    val_acc: list[float]
    grad_norm: list[float]
    dead_fraction: list[float]
    lr: list[float]
    best_epoch: int | None
    stopped_reason: str | None
    step: str | None
    step_reason: str | None

    def __init__(self) -> None:
        for name in PER_EPOCH:
            setattr(self, name, [])
        self.best_epoch = None
        self.stopped_reason = None
        self.step = self.step_reason = None

    @property
    def epochs_run(self) -> int:
        """How many epochs completed: ``history.epochs_run``."""
        return len(self.train_loss)

    def to_dict(self) -> dict[str, Any]:
        """Plain Python data (lists of floats, NaN/Inf as None): ``json.dump(history.to_dict(), f)``."""
        data: dict[str, Any] = {name: [_finite_or_none(v) for v in getattr(self, name)] for name in PER_EPOCH}
        data.update(best_epoch=self.best_epoch, stopped_reason=self.stopped_reason, epochs_run=self.epochs_run)
        data.update(step=self.step, step_reason=self.step_reason)
        return data

    def to_json(self, path: str | os.PathLike[str] | None = None) -> str:
        """The history as JSON text; with ``path``, also written there (atomically).

        >>> history = nn.History()
        >>> history.train_loss += [0.7, 0.5]
        >>> text = history.to_json("history.json")
        >>> nn.History.from_json("history.json").train_loss
        [0.7, 0.5]
        """
        text = json.dumps(self.to_dict(), indent=2, allow_nan=False)
        if path is not None:
            atomic_write(path, lambda f: f.write(text.encode("utf-8")))
        return text

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> History:
        """Rebuild a History from ``to_dict()``'s output: ``History.from_dict(json.load(f))``."""
        if not isinstance(data, dict) or "train_loss" not in data:
            raise ValueError(
                "History.from_dict: expected a dict with at least 'train_loss' "
                f"(as written by History.to_dict), got {type(data).__name__}"
            )
        history = cls()
        for name in PER_EPOCH:
            values = data.get(name, [])
            if not isinstance(values, list):
                raise ValueError(f"History.from_dict: '{name}' must be a list, got {type(values).__name__}")
            setattr(history, name, [math.nan if v is None else float(v) for v in values])
        history.best_epoch = data.get("best_epoch")
        history.stopped_reason = data.get("stopped_reason")
        history.step, history.step_reason = data.get("step"), data.get("step_reason")
        return history

    @classmethod
    def from_json(cls, path: str | os.PathLike[str]) -> History:
        """Read a history.json written by ``to_json``: ``History.from_json("runs/x/history.json")``."""
        with open(path, encoding="utf-8") as f:
            return cls.from_dict(json.load(f))

    def __repr__(self) -> str:
        if not self.epochs_run:
            return "History(no epochs)"
        parts = [f"epochs_run={self.epochs_run}", f"train_loss={self.train_loss[-1]:.4g}"]
        for name in ("val_loss", "train_acc", "val_acc"):
            values = getattr(self, name)
            if values:
                parts.append(f"{name}={values[-1]:.4g}")
        parts += [f"best_epoch={self.best_epoch}", f"stopped_reason={self.stopped_reason!r}"]
        return "History(" + ", ".join(parts) + ")"


def _finite_or_none(value: float | None) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None
