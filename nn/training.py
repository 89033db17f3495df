"""``nn.fit``: the mini-batch training loop, with its checks, measurements and stopping rules.

One step is: zero the gradients, forward, loss, check the loss is finite, backward,
check the gradients are finite, ``optimizer.step()``. Every check happens before
the step, so a NaN never reaches the weights. Losses are recorded as floats: no
graph outlives its step.
"""

from __future__ import annotations

import contextlib
import math
import numbers
import os
import warnings
from typing import Any

import numpy as np

from autograd_core import Tensor, is_grad_enabled, set_grad_enabled
from autograd_core.types import ArrayLike

from .checks import positive_int
from .clipping import Clipper, gradient_clipper
from .data import DataLoader
from .evaluation import AccuracyFn, LossFn, accuracy_rule, dead_unit_fraction, evaluate
from .fit_checks import (
    check_data,
    check_last_batch,
    check_scheduler,
    gradient_norm,
    input_dtype,
    loader_arrays,
    loss_value,
    parameters_to_check,
    probe,
    read_training_state,
)
from .fit_step import TrainingStep
from .history import History
from .module import Module
from .optim import ChainedScheduler, LRScheduler, Optimizer, ReduceLROnPlateau
from .progress import progress_bar, summary
from .signals import deferring_signals
from .utils import load_checkpoint, save_checkpoint

DEAD_UNIT_PROBE = 2048  # training rows used to look for ReLU units that never fire


def fit(
    model: Module,
    loss_fn: LossFn,
    optimizer: Optimizer,
    X: ArrayLike | DataLoader,
    y: ArrayLike | None = None,
    epochs: int | None = None,
    batch_size: int = 32,
    validation: tuple[ArrayLike, ArrayLike] | DataLoader | None = None,
    shuffle: bool = True,
    seed: int | None = 0,
    early_stopping: int | None = None,
    tol: float | None = None,
    progress: bool = True,
    scheduler: LRScheduler | ReduceLROnPlateau | ChainedScheduler | None = None,
    scheduler_interval: str | None = None,
    accuracy: AccuracyFn | str | None = "auto",
    divergence_factor: float | None = 100.0,
    clip_grad_norm: float | None = None,
    clip_grad_value: float | None = None,
    checkpoint: str | os.PathLike[str] | None = None,
    resume: str | os.PathLike[str] | None = None,
    compile: bool | str = "auto",
) -> History:
    """Train ``model`` on (X, y) with mini-batches; returns a ``History``.

    - ``loss_fn(output, y_batch)`` returns a scalar Tensor (e.g. ``F.cross_entropy``);
      ``optimizer`` holds the model's parameters (e.g. ``nn.optim.Adam(model.parameters())``).
    - The row order is reshuffled every epoch, reproducibly from ``seed``. ``X`` may also be an
      ``nn.data.DataLoader`` over ``TensorDataset(X, y)`` (then ``y`` is omitted): its batch size,
      shuffling and random stream are used.
    - ``checkpoint=path`` writes, after every epoch and atomically, everything needed to go on:
      the model, the optimizer's and scheduler's state, the shuffling stream and fit's own
      (epoch, history, best epoch). ``resume=path`` starts from such a file and runs up to
      ``epochs`` in all, ending with exactly the weights an uninterrupted run would have.
    - ``validation=(X_val, y_val)`` (or a DataLoader over them) is evaluated after every epoch.
    - ``early_stopping=patience`` stops after ``patience`` epochs without a lower validation
      loss and always restores the best epoch's weights, however training ends.
    - ``tol`` stops when the epoch's mean training loss changes by less than ``tol``.
    - Divergence without NaN stops training with a ``RuntimeWarning`` and ``stopped_reason``
      "diverged": an epoch's mean training loss above ``divergence_factor`` (100) times the
      lowest loss seen so far (the first mini-batch's loss before any update included) and
      above that first loss, so a spike of a well-trained run (0.001 to 0.02) is not one.
      Only for positive losses; ``divergence_factor=None`` turns the check off.
    - ``scheduler`` (from ``nn.optim``) is stepped after every epoch; ``OneCycleLR`` and ``CyclicLR`` after every batch;
      ``scheduler_interval="batch"`` steps any ``LRScheduler`` after every batch (a decay per update, as Keras's
      schedules and the NNFS book's ``decay`` are), ``"epoch"`` after every epoch;
      ``ReduceLROnPlateau`` on the validation (else training) loss, with ``mode="max"`` on the accuracy.
    - ``clip_grad_norm=max_norm`` (or ``clip_grad_value=v``) clips the gradients before each update, as
      ``nn.utils.clip_grad_norm_`` (``_value_``) or Keras's ``clipnorm``; ``grad_norm`` is the norm before.
    - ``accuracy``: "auto" (class labels with argmax, one-hot targets, or 0/1 targets with
      ``F.binary_cross_entropy[_with_logits]``), None (off) or ``f(output_array, y_array)``.
    - A progress bar shows while ``progress`` is true and the output is a terminal or notebook.
    - ``compile``: "auto" runs each step (forward, loss, backward) through ``ag.compile`` where that
      gives the same training as define-by-run, and define-by-run where it might not (Dropout, buffers
      such as BatchNorm's running statistics, forward hooks, layers or losses defined outside nn, or
      anything ``ag.compile`` declines), silently; ``history.step`` says which ran ("compiled" or
      "define-by-run") and ``history.step_reason`` why not compiled. True: compile your own layers and
      losses too (their Python then runs only while tracing: keep them to Tensor ops), with a
      ``CompileWarning`` when it cannot; False: always define-by-run.

    Bad input raises before training; a NaN/Inf loss or gradient raises a
    ``FloatingPointError`` naming the epoch and step, with the weights of the last good
    step kept (or the best epoch's, with early stopping) and ``error.history`` attached.
    Any other exception that ends training, Ctrl-C (``KeyboardInterrupt``) included, also
    carries ``error.history`` (the whole epochs run, ``stopped_reason`` "interrupted" or
    "failed"), and the best weights are restored with early stopping. A SIGINT/SIGTERM that
    arrives during ``optimizer.step()`` is held until the step is complete, so no parameter
    is ever one update ahead of another.

    >>> X, y = nn.datasets.make_moons(200, noise=0.1, seed=0)
    >>> model = nn.MLP([2, 16, 2], seed=0)
    >>> history = nn.fit(model, F.cross_entropy, nn.optim.Adam(model.parameters(), lr=0.05),
    ...                  X, y, epochs=20, progress=False)
    >>> history.epochs_run, history.stopped_reason, history.train_acc[-1], history.step
    (20, 'completed', 0.985, 'compiled')
    >>> opt = nn.optim.SGD(model.parameters(), lr=0.5)          # halve the rate when the accuracy stalls
    >>> halve = nn.optim.ReduceLROnPlateau(opt, mode="max", factor=0.5, patience=0)
    >>> history = nn.fit(model, F.cross_entropy, opt, X, y, epochs=4, validation=(X, y), scheduler=halve,
    ...                  progress=False)
    >>> history.val_acc, history.lr
    ([0.99, 0.99, 0.995, 0.99], [0.5, 0.5, 0.25, 0.25])
    >>> opt = nn.optim.SGD(model.parameters(), lr=1.0)          # lr / (1 + 0.5 t), t counting the updates
    >>> decay = nn.optim.lr_scheduler.InverseTimeDecay(opt, decay=0.5)
    >>> history = nn.fit(model, F.cross_entropy, opt, X, y, epochs=2, batch_size=100, scheduler=decay,
    ...                  scheduler_interval="batch", progress=False)
    >>> opt.param_groups[0]["lr"]                               # after 2 epochs x 2 batches
    0.3333333333333333
    """
    epochs = positive_int("fit", "epochs", epochs)
    loader = X if isinstance(X, DataLoader) else None
    if isinstance(X, DataLoader):
        X, y = loader_arrays("fit", X, y)
    elif y is None:
        raise TypeError(
            "fit: give the targets: fit(model, loss_fn, optimizer, X, y, epochs=...), or pass X as an "
            "nn.data.DataLoader over TensorDataset(X, y)"
        )
    batch_size = loader.batch_size if loader is not None else positive_int("fit", "batch_size", batch_size)
    if early_stopping is not None:
        early_stopping = positive_int("fit", "early_stopping (the patience, in epochs)", early_stopping)
        if validation is None:
            raise ValueError("fit: early_stopping watches the validation loss; pass validation=(X_val, y_val)")
    if tol is not None and (not isinstance(tol, numbers.Real) or not tol > 0):
        raise ValueError(f"fit: tol must be a positive number, got {tol!r}")
    if divergence_factor is not None and (
        not isinstance(divergence_factor, numbers.Real) or not 1 < divergence_factor < math.inf
    ):
        raise ValueError(
            f"fit: divergence_factor must be a finite number > 1 (or None: off), got {divergence_factor!r}"
        )
    dtype = input_dtype(model)
    X, y = check_data("X", "y", X, y, dtype)
    out_shape = probe(model, loss_fn, X, y, "X", "y")
    step = TrainingStep(model, loss_fn, compile)  # compiled where safe
    measure_accuracy = accuracy_rule(accuracy, loss_fn, y, out_shape)
    if validation is not None:
        if isinstance(validation, DataLoader):  # PyTorch's val_loader
            validation = loader_arrays("fit (validation)", validation, None)
        if not isinstance(validation, (tuple, list)) or len(validation) != 2:
            raise ValueError("fit: validation must be a pair (X_val, y_val) or a DataLoader over them")
        validation = check_data("X_val", "y_val", validation[0], validation[1], dtype)
        probe(model, loss_fn, *validation, "X_val", "y_val")

    if loader is None:  # fit's own batching is a DataLoader too: the same stream of row orders
        loader = DataLoader((X, y), batch_size=batch_size, shuffle=shuffle, seed=seed)
    check_last_batch(model, loader)
    clip = gradient_clipper("fit", clip_grad_norm, clip_grad_value)
    per_batch = check_scheduler(scheduler, scheduler_interval, optimizer, epochs, len(loader), measure_accuracy)
    training = _Training(
        model,
        loss_fn,
        optimizer,
        X,
        y,
        batch_size,
        epochs,
        validation,
        measure_accuracy,
        scheduler,
        early_stopping,
        tol,
        divergence_factor,
        step,
        per_batch,
    )
    training.clip = clip
    if resume is not None:
        load_checkpoint(resume, model, optimizer, scheduler, loader, training=training)
    bar = progress_bar(progress, epochs)
    bar.update(training.epochs_done)
    history = training.history
    grad_enabled = is_grad_enabled()
    try:
        with step.quiet(), deferring_signals() as training.critical:
            stop = history.stopped_reason if training.epochs_done >= epochs else None
            for epoch in range(training.epochs_done, epochs):
                training.run_epoch(epoch, loader.epoch_order())  # shuffle, mini-batches, updates
                stop = training.end_epoch(epoch)  # validate; stop?
                if checkpoint is not None:
                    save_checkpoint(checkpoint, model, optimizer, scheduler, loader, training=training)
                bar.set_postfix_str(summary(history), refresh=False)
                bar.update(1)
                if stop:
                    break
            history.stopped_reason = stop or "completed"
    except BaseException as error:  # Ctrl-C included: whatever ends training, what was measured survives
        # A Ctrl-C can land as a no_grad block (evaluation, a backward) is leaving, before it restored the
        # mode: the caller gets back the mode it called fit in, not recording silently switched off.
        set_grad_enabled(grad_enabled)
        if history.stopped_reason is None:
            history.stopped_reason = "interrupted" if isinstance(error, KeyboardInterrupt) else "failed"
        with contextlib.suppress(AttributeError):  # exceptions with __slots__ cannot carry it
            error.history = history  # type: ignore[attr-defined]  # the run so far travels with the error
        raise
    finally:
        bar.close()
        history.step, history.step_reason = step.outcome()
        step.release()
        training.restore_best()  # however training ended: the best epoch's weights, with early stopping
    return history


class _Training:
    """The state of one ``fit`` call: the data, the history, and the best epoch so far."""

    def __init__(
        self,
        model: Module,
        loss_fn: LossFn,
        optimizer: Optimizer,
        X: np.ndarray,
        y: np.ndarray,
        batch_size: int,
        epochs: int,
        validation: tuple[np.ndarray, np.ndarray] | None,
        measure_accuracy: AccuracyFn | None,
        scheduler: LRScheduler | ReduceLROnPlateau | ChainedScheduler | None,
        early_stopping: int | None,
        tol: float | None,
        divergence_factor: float | None,
        step: TrainingStep,
        scheduler_per_batch: bool = False,
    ) -> None:
        self.model, self.loss_fn, self.optimizer, self.X, self.y = model, loss_fn, optimizer, X, y
        self.batch_size, self.epochs, self.validation = batch_size, epochs, validation
        self.measure_accuracy, self.early_stopping, self.tol, self.scheduler = (
            measure_accuracy,
            early_stopping,
            tol,
            scheduler,
        )
        self.all_params = parameters_to_check(model, optimizer)
        self.history = History()
        self.best_value, self.stale_epochs = math.inf, 0
        self.best_state: dict[str, np.ndarray] | None = None
        self.divergence_factor, self.step, self.scheduler_per_batch = divergence_factor, step, scheduler_per_batch
        self.epoch_totals = (math.nan, math.nan, math.nan)  # mean loss, mean gradient norm, accuracy
        self.start_loss: float | None = None  # the first mini-batch's loss, before any update: divergence's yardstick
        self.epochs_done = 0
        self.clip: Clipper | None = None  # fit's clip_grad_norm / clip_grad_value
        self.critical: contextlib.AbstractContextManager[Any] = contextlib.nullcontext()  # fit sets the deferring one
        self.watched = math.nan  # the loss the best epoch is chosen by (validation, else training)

    def run_epoch(self, epoch: int, order: np.ndarray) -> None:
        """One pass over the rows in ``order``, one optimizer step per mini-batch."""
        self.model.train()
        steps = math.ceil(len(order) / self.batch_size)
        loss_total = correct_total = norm_total = 0.0
        for step in range(steps):
            rows = order[step * self.batch_size : (step + 1) * self.batch_size]
            value, norm, output, y = self.train_step(rows, f"epoch {epoch + 1}/{self.epochs}, step {step + 1}/{steps}")
            if self.start_loss is None:
                self.start_loss = value
            loss_total += value * len(rows)
            norm_total += norm
            if self.measure_accuracy:
                correct_total += self.measure_accuracy(output.data, y) * len(rows)
        self.epoch_totals = (loss_total / len(order), norm_total / steps, correct_total / len(order))

    def train_step(self, rows: np.ndarray, where: str) -> tuple[float, float, Tensor, np.ndarray]:
        """zero_grad, forward, loss, backward, check, update; returns (loss, gradient norm, output, targets)."""
        restores_best = self.best_state is not None
        for _, p in self.all_params:  # the model's (frozen ones too) and any others the optimizer holds
            p.grad = None  # zero_grad, without walking the module tree every step
        X, y = self.X[rows], self.y[rows]
        compiled = self.step.compiled_step(X, y, where)  # forward, loss and backward at once
        if compiled is None:
            loss, output = self.step.forward(X, y)
            value = loss_value(loss, where, self.history, restores_best)  # before backward
            loss.backward()
        else:
            loss, output = compiled
            value = loss_value(loss, where, self.history, restores_best)
        norm = gradient_norm(self.all_params, where, self.history, restores_best)
        if self.clip is not None:
            self.clip([p for _, p in self.all_params])
        with self.critical:  # Ctrl-C waits for the whole update: no parameter is one step ahead of another
            self.optimizer.step()
            if self.scheduler_per_batch:  # OneCycleLR (a schedule of batches, as PyTorch's), or asked for
                self.scheduler.step()  # type: ignore[union-attr]
        return value, norm, output, y

    def end_epoch(self, epoch: int) -> str | None:
        """Validate, then record the epoch and step the scheduler; returns why to stop, or None."""
        train_loss, grad_norm, train_acc = self.epoch_totals
        val_loss = val_acc = None
        if self.validation is not None:
            val_loss, val_acc = evaluate(self.model, self.loss_fn, *self.validation, accuracy=self.measure_accuracy)
        dead = dead_unit_fraction(self.model, self.X[:DEAD_UNIT_PROBE])
        with self.critical:  # an interrupt leaves the history with whole epochs only
            self.epochs_done = epoch + 1
            self.history.step, self.history.step_reason = self.step.outcome()
            measured = dict(
                train_loss=train_loss,
                grad_norm=grad_norm,
                lr=getattr(self.optimizer, "lr", None),
                train_acc=train_acc if self.measure_accuracy else None,
                val_loss=val_loss,
                val_acc=val_acc if self.measure_accuracy else None,
                dead_fraction=dead,
            )
            for name, value in measured.items():
                if value is not None:
                    getattr(self.history, name).append(float(value))
            stop = self.stop_reason(epoch)
            if isinstance(self.scheduler, ReduceLROnPlateau):  # the watched loss, or (mode "max") accuracy
                accuracy = val_acc if val_acc is not None else train_acc
                self.scheduler.step(accuracy if self.scheduler.mode == "max" else self.watched)
            elif self.scheduler is not None and not self.scheduler_per_batch:
                self.scheduler.step()
            return stop

    def stop_reason(self, epoch: int) -> str | None:
        """Track the best epoch (validation loss, else training loss); "early_stopping", "tol" or None."""
        history = self.history
        watched = self.watched = history.val_loss[-1] if self.validation is not None else history.train_loss[-1]
        if watched < self.best_value:
            self.best_value, history.best_epoch, self.stale_epochs = watched, epoch, 0
            if self.early_stopping:
                self.best_state = self.model.state_dict()
        else:
            self.stale_epochs += 1
        if self.diverged(epoch):
            return "diverged"
        if self.early_stopping and self.stale_epochs >= self.early_stopping:
            return "early_stopping"
        if self.tol is not None and epoch > 0 and abs(history.train_loss[-1] - history.train_loss[-2]) < self.tol:
            return "tol"
        return None

    def diverged(self, epoch: int) -> bool:
        """The epoch's loss is past ``divergence_factor`` times the best so far and above the start (warns)."""
        losses, start = self.history.train_loss, self.start_loss
        if start is None or self.divergence_factor is None:  # start: set by the first step of the first epoch
            return False
        best = min([start, *losses[:-1]])
        if not best > 0 or not losses[-1] > max(self.divergence_factor * best, start):
            return False
        kept = (
            "the best epoch's weights are restored (early_stopping)"
            if self.early_stopping
            else "the weights are the diverged ones: pass early_stopping= to get the best epoch's back"
        )
        warnings.warn(
            f"fit: training diverged at epoch {epoch + 1}/{self.epochs}: the mean training loss "
            f"{losses[-1]:.4g} is more than {self.divergence_factor:g}x its best {best:.4g} (the first "
            f"step's loss was {self.start_loss:.4g}); stopped, and {kept}. Try a lower learning rate",
            RuntimeWarning,
            stacklevel=5,
        )  # the caller of fit
        return True

    def restore_best(self) -> None:
        if self.best_state is not None:
            self.model.load_state_dict(self.best_state)

    def state_dict(self) -> dict[str, Any]:
        """What a checkpoint needs to go on from here (arrays apart: the best epoch's weights)."""
        return {
            "epochs_done": self.epochs_done,
            "history": self.history.to_dict(),
            "best_value": self.best_value,
            "stale_epochs": self.stale_epochs,
            "start_loss": self.start_loss,
            "arrays": dict(self.best_state or {}),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for name, value in read_training_state(state, self.model).items():  # all checked first
            setattr(self, name, value)
