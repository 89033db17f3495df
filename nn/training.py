"""``nn.fit``: the mini-batch training loop, with its checks, measurements and stopping rules.

One step is: zero the gradients, forward, loss, check the loss is finite, backward,
check the gradients are finite, ``optimizer.step()``. Every check happens before
the step, so a NaN never reaches the weights. Losses are recorded as floats: no
graph outlives its step.
"""
import contextlib
import math
import numbers
import sys
import warnings

import numpy as np

import autograd_core as ag
from autograd_core import Tensor

from . import functional as F
from .history import History
from .layers import ReLU
from .signals import deferring_signals

EVAL_CHUNK = 4096       # rows per forward pass when evaluating (bounds memory, not results)
DEAD_UNIT_PROBE = 2048  # training rows used to look for ReLU units that never fire


def fit(model, loss_fn, optimizer, X, y, epochs, batch_size=32, validation=None, shuffle=True, seed=0,
        early_stopping=None, tol=None, progress=True, scheduler=None, accuracy="auto", divergence_factor=100.0):
    """Train ``model`` on (X, y) with mini-batches; returns a ``History``.

    - ``loss_fn(output, y_batch)`` returns a scalar Tensor (e.g. ``F.cross_entropy``);
      ``optimizer`` holds the model's parameters (e.g. ``nn.optim.Adam(model.parameters())``).
    - The row order is reshuffled every epoch, reproducibly from ``seed``.
    - ``validation=(X_val, y_val)`` is evaluated after every epoch.
    - ``early_stopping=patience`` stops after ``patience`` epochs without a lower validation
      loss and always restores the best epoch's weights, however training ends.
    - ``tol`` stops when the epoch's mean training loss changes by less than ``tol``.
    - Divergence without NaN stops training with a ``RuntimeWarning`` and ``stopped_reason``
      "diverged": an epoch's mean training loss above ``divergence_factor`` (100) times the
      lowest loss seen so far (the first mini-batch's loss before any update included) and
      above that first loss, so a spike of a well-trained run (0.001 to 0.02) is not one.
      Only for positive losses; ``divergence_factor=None`` turns the check off.
    - ``scheduler`` (from ``nn.optim``) is stepped after every epoch.
    - ``accuracy``: "auto" (class labels with argmax, one-hot targets, or 0/1 targets with
      ``F.binary_cross_entropy[_with_logits]``), None (off) or ``f(output_array, y_array)``.
    - A progress bar shows while ``progress`` is true and the output is a terminal or notebook.

    Bad input raises before training; a NaN/Inf loss or gradient raises a
    ``FloatingPointError`` naming the epoch and step, with the weights of the last good
    step kept (or the best epoch's, with early stopping) and ``error.history`` attached.
    Any other exception that ends training, Ctrl-C (``KeyboardInterrupt``) included, also
    carries ``error.history`` (the whole epochs run, ``stopped_reason`` "interrupted" or
    "failed"), and the best weights are restored with early stopping. A SIGINT/SIGTERM that
    arrives during ``optimizer.step()`` is held until the step is complete, so no parameter
    is ever one update ahead of another.

    >>> X, y = nn.datasets.make_moons(400, noise=0.1, seed=0)
    >>> model = nn.MLP([2, 16, 2], seed=0)
    >>> history = nn.fit(model, F.cross_entropy, nn.optim.Adam(model.parameters(), lr=0.01),
    ...                  X, y, epochs=50, progress=False)
    """
    epochs = _positive_int("epochs", epochs)
    batch_size = _positive_int("batch_size", batch_size)
    if early_stopping is not None:
        early_stopping = _positive_int("early_stopping (the patience, in epochs)", early_stopping)
        if validation is None:
            raise ValueError("fit: early_stopping watches the validation loss; pass validation=(X_val, y_val)")
    if tol is not None and (not isinstance(tol, numbers.Real) or not tol > 0):
        raise ValueError(f"fit: tol must be a positive number, got {tol!r}")
    if divergence_factor is not None and (not isinstance(divergence_factor, numbers.Real)
                                          or not 1 < divergence_factor < math.inf):
        raise ValueError(f"fit: divergence_factor must be a finite number > 1 (or None: off), "
                         f"got {divergence_factor!r}")
    dtype = next((p.dtype for p in model.parameters()), np.dtype(np.float64))
    X, y = _check_data("X", "y", X, y, dtype)
    out_shape = _probe(model, loss_fn, X, y, "X", "y")
    measure_accuracy = _accuracy_rule(accuracy, loss_fn, y, out_shape)
    if validation is not None:
        if not isinstance(validation, (tuple, list)) or len(validation) != 2:
            raise ValueError("fit: validation must be a pair (X_val, y_val)")
        validation = _check_data("X_val", "y_val", *validation, dtype)
        _probe(model, loss_fn, *validation, "X_val", "y_val")

    training = _Training(model, loss_fn, optimizer, X, y, batch_size, epochs, validation, measure_accuracy,
                         scheduler, early_stopping, tol, divergence_factor)
    rng = np.random.default_rng(seed)
    bar = _progress_bar(progress, epochs)
    history = training.history
    try:
        with deferring_signals() as training.critical:
            for epoch in range(epochs):
                order = rng.permutation(len(X)) if shuffle else np.arange(len(X))   # shuffle
                training.run_epoch(epoch, order)                                    # mini-batches, updates
                stop = training.end_epoch(epoch)                                    # validate; stop?
                bar.set_postfix_str(_summary(history), refresh=False)
                bar.update(1)
                if stop:
                    history.stopped_reason = stop
                    break
            else:
                history.stopped_reason = "completed"
    except BaseException as error:  # Ctrl-C included: whatever ends training, what was measured survives
        if history.stopped_reason is None:
            history.stopped_reason = "interrupted" if isinstance(error, KeyboardInterrupt) else "failed"
        with contextlib.suppress(AttributeError):  # exceptions with __slots__ cannot carry it
            error.history = history
        raise
    finally:
        bar.close()
        training.restore_best()  # however training ended: the best epoch's weights, with early stopping
    return history


class _Training:
    """The state of one ``fit`` call: the data, the history, and the best epoch so far."""

    def __init__(self, model, loss_fn, optimizer, X, y, batch_size, epochs, validation, measure_accuracy,
                 scheduler, early_stopping, tol, divergence_factor):
        self.model, self.loss_fn, self.optimizer, self.X, self.y = model, loss_fn, optimizer, X, y
        self.batch_size, self.epochs, self.validation = batch_size, epochs, validation
        self.measure_accuracy, self.early_stopping, self.tol, self.scheduler = (measure_accuracy, early_stopping,
                                                                              tol, scheduler)
        self.watched_params = _parameters_to_check(model, optimizer)
        self.history = History()
        self.best_value, self.best_state, self.stale_epochs = math.inf, None, 0
        self.divergence_factor = divergence_factor
        self.epoch_totals = None
        self.start_loss = None  # the first mini-batch's loss, before any update: divergence's yardstick
        self.critical = contextlib.nullcontext()  # fit sets the signal-deferring one

    def run_epoch(self, epoch, order):
        """One pass over the rows in ``order``, one optimizer step per mini-batch."""
        self.model.train()
        steps = math.ceil(len(order) / self.batch_size)
        loss_total = correct_total = norm_total = 0.0
        for step in range(steps):
            rows = order[step * self.batch_size:(step + 1) * self.batch_size]
            value, norm, output = self.train_step(rows, f"epoch {epoch + 1}/{self.epochs}, step {step + 1}/{steps}")
            if self.start_loss is None:
                self.start_loss = value
            loss_total += value * len(rows)
            norm_total += norm
            if self.measure_accuracy:
                correct_total += self.measure_accuracy(output.data, self.y[rows]) * len(rows)
        self.epoch_totals = (loss_total / len(order), norm_total / steps, correct_total / len(order))

    def train_step(self, rows, where):
        """zero_grad, forward, loss, backward, check, update; returns (loss, gradient norm, output)."""
        restores_best = self.best_state is not None
        self.optimizer.zero_grad()
        self.model.zero_grad()  # also parameters the optimizer does not hold (frozen ones)
        output = self.model(Tensor(self.X[rows]))
        loss = self.loss_fn(output, self.y[rows])
        value = _loss_value(loss, where, self.history, restores_best)
        loss.backward()
        norm = _gradient_norm(self.watched_params, where, self.history, restores_best)
        with self.critical:  # Ctrl-C waits for the whole update: no parameter is one step ahead of another
            self.optimizer.step()
        return value, norm, output

    def end_epoch(self, epoch):
        """Validate, then record the epoch and step the scheduler; returns why to stop, or None."""
        train_loss, grad_norm, train_acc = self.epoch_totals
        val_loss = val_acc = None
        if self.validation is not None:
            val_loss, val_acc = evaluate(self.model, self.loss_fn, *self.validation, accuracy=self.measure_accuracy)
        dead = dead_unit_fraction(self.model, self.X[:DEAD_UNIT_PROBE])
        with self.critical:  # an interrupt leaves the history with whole epochs only
            measured = dict(train_loss=train_loss, grad_norm=grad_norm, lr=getattr(self.optimizer, "lr", None),
                            train_acc=train_acc if self.measure_accuracy else None, val_loss=val_loss,
                            val_acc=val_acc if self.measure_accuracy else None, dead_fraction=dead)
            for name, value in measured.items():
                if value is not None:
                    getattr(self.history, name).append(float(value))
            if self.scheduler is not None:
                self.scheduler.step()
            return self.stop_reason(epoch)

    def stop_reason(self, epoch):
        """Track the best epoch (validation loss, else training loss); "early_stopping", "tol" or None."""
        history = self.history
        watched = history.val_loss[-1] if self.validation is not None else history.train_loss[-1]
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

    def diverged(self, epoch):
        """The epoch's loss is past ``divergence_factor`` times the best so far and above the start (warns)."""
        losses = self.history.train_loss
        best = min([self.start_loss, *losses[:-1]])
        if self.divergence_factor is None or not best > 0 or not losses[-1] > max(self.divergence_factor * best,
                                                                                  self.start_loss):
            return False
        kept = ("the best epoch's weights are restored (early_stopping)" if self.early_stopping
                else "the weights are the diverged ones: pass early_stopping= to get the best epoch's back")
        warnings.warn(f"fit: training diverged at epoch {epoch + 1}/{self.epochs}: the mean training loss "
                      f"{losses[-1]:.4g} is more than {self.divergence_factor:g}x its best {best:.4g} (the first "
                      f"step's loss was {self.start_loss:.4g}); stopped, and {kept}. Try a lower learning rate",
                      RuntimeWarning, stacklevel=5)  # the caller of fit
        return True

    def restore_best(self):
        if self.best_state is not None:
            self.model.load_state_dict(self.best_state)


def evaluate(model, loss_fn, X, y, accuracy="auto"):
    """Mean loss and accuracy of ``model`` on (X, y), without recording a graph.

    Returns ``(loss, accuracy)``; accuracy is None when it does not apply. The loss is
    averaged over chunks of rows, which is exact for losses with mean reduction.

    >>> test_loss, test_acc = nn.evaluate(model, F.cross_entropy, X_test, y_test)
    """
    if not (accuracy is None or callable(accuracy) or accuracy == "auto"):
        raise ValueError(f"evaluate: accuracy must be 'auto', None or a function f(output, y), got {accuracy!r}")
    dtype = next((p.dtype for p in model.parameters()), np.dtype(np.float64))
    X, y = _check_data("X", "y", X, y, dtype)
    measure = accuracy if callable(accuracy) or accuracy is None else None
    was_training = model.training
    model.eval()
    loss_total = correct_total = 0.0
    try:
        with ag.no_grad():
            for start in range(0, len(X), EVAL_CHUNK):
                xb, yb = X[start:start + EVAL_CHUNK], y[start:start + EVAL_CHUNK]
                output = model(Tensor(xb))
                if accuracy == "auto" and measure is None:
                    measure = _accuracy_rule("auto", loss_fn, y, output.shape) or False
                loss_total += float(loss_fn(output, yb).item()) * len(xb)
                if measure:
                    correct_total += measure(output.data, yb) * len(xb)
    finally:
        model.train(was_training)
    return loss_total / len(X), (correct_total / len(X) if measure else None)


def dead_unit_fraction(model, X):
    """Share of units of the model's ``nn.ReLU`` modules that output 0 for every row of X
    (None if the model has no ReLU). Dead units get no gradient, so they never recover.

    >>> nn.training.dead_unit_fraction(model, X_train[:1000])
    0.0
    """
    relus = [m for m in model.modules() if isinstance(m, ReLU)]
    if not relus:
        return None
    dead = []

    def record(module, inputs, output):
        values = np.asarray(output.data)
        dead.append((values.reshape(-1, values.shape[-1]) <= 0).all(axis=0))

    handles = [m.register_forward_hook(record) for m in relus]
    was_training = model.training
    try:
        with ag.no_grad():
            model.eval()
            model(Tensor(X))
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    units = sum(d.size for d in dead)
    return float(sum(d.sum() for d in dead) / units) if units else None


# ---------------------------------------------------------------------------------- checks
def _positive_int(name, value):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(f"fit: {name} must be a positive int, got {value!r}")
    return int(value)


def _check_data(x_name, y_name, X, y, dtype):
    X = np.asarray(X.data if isinstance(X, Tensor) else X)
    y = np.asarray(y.data if isinstance(y, Tensor) else y)
    if X.dtype.kind not in "biuf" or y.dtype.kind not in "biuf":
        raise TypeError(f"fit: {x_name} and {y_name} must be numeric arrays, got dtypes {X.dtype} and {y.dtype}")
    if X.ndim == 0 or len(X) == 0:
        raise ValueError(f"fit: {x_name} must have at least one row, got shape {X.shape}")
    if y.ndim == 0 or len(y) != len(X):
        raise ValueError(f"fit: {x_name} has {len(X)} rows but {y_name} has "
                         f"{len(y) if y.ndim else 'no'} (shape {y.shape}); they must have one row per example")
    for name, array in ((x_name, X), (y_name, y)):
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            bad = np.argwhere(~np.isfinite(array))
            raise ValueError(f"fit: {name} contains {len(bad)} NaN/Inf values (the first at index "
                             f"{tuple(int(i) for i in bad[0])}); remove or impute them before training")
    return X.astype(dtype, copy=False), y


def _probe(model, loss_fn, X, y, x_name, y_name):
    """Run the model and the loss on two rows, so shape and label errors surface before training."""
    try:
        with ag.no_grad():
            output = model(Tensor(X[:2]))
    except (ValueError, TypeError, IndexError) as error:
        raise ValueError(f"fit: the model cannot take {x_name} of shape {X.shape}: {error}") from error
    if not isinstance(output, Tensor):
        raise TypeError(f"fit: the model must return a Tensor, got {type(output).__name__}")
    if y.dtype.kind in "iu" and y.ndim == 1 and output.ndim == 2 and output.shape[1] > 1:
        F.class_indices(f"fit ({y_name}; the model has {output.shape[1]} outputs)", y, len(y), output.shape[1])
    try:
        with ag.no_grad():
            loss = loss_fn(output, y[:2])
    except (ValueError, TypeError, IndexError) as error:
        raise ValueError(f"fit: loss_fn rejects the model's output (shape {output.shape}) against "
                         f"{y_name} (shape {y[:2].shape} for two rows): {error}") from error
    if not isinstance(loss, Tensor) or loss.size != 1:
        raise ValueError(f"fit: loss_fn must return a one-element Tensor, got "
                         f"{getattr(loss, 'shape', type(loss).__name__)}; use reduction='mean'")
    return output.shape


def _fail(message, history, restores_best):
    """Raise the NaN/Inf error; ``restores_best``: early stopping has a best epoch to go back to
    (not yet during the first epoch, when the last good step's weights are what is left)."""
    history.stopped_reason = "error: " + message
    kept = ("the best epoch's weights are restored (early_stopping)" if restores_best
            else "the weights of the last good step are kept")
    error = FloatingPointError(f"fit: {message}; training stopped before this step's update and {kept}. "
                               "Try a lower learning rate, check the data, or find the op with "
                               "autograd_core.detect_anomaly()")
    error.history = history
    raise error


def _loss_value(loss, where, history, restores_best):
    value = float(loss.item())
    if not math.isfinite(value):
        _fail(f"the loss became {value} at {where}", history, restores_best)
    return value


def _parameters_to_check(model, optimizer):
    """(name, tensor) for the model's parameters and any other ones the optimizer holds."""
    named = list(model.named_parameters())
    known = {id(p) for _, p in named}
    held = list(getattr(optimizer, "params", []))
    if named and held and not any(id(p) in known for p in held):
        raise ValueError("fit: the optimizer holds none of the model's parameters (was it built for another "
                         "model?); create it with e.g. nn.optim.Adam(model.parameters())")
    extra = [(p.label or f"optimizer parameter {i}", p) for i, p in enumerate(held) if id(p) not in known]
    return named + extra


def _gradient_norm(named_params, where, history, restores_best):
    total, bad = 0.0, []
    for name, p in named_params:
        if p.grad is not None:
            square = float(np.vdot(p.grad, p.grad))
            if not math.isfinite(square):
                bad.append(f"'{name}'")
            total += square
    if bad:
        what = f"gradient of {bad[0]} has" if len(bad) == 1 else f"gradients of {', '.join(bad)} have"
        _fail(f"the {what} NaN/Inf values at {where}", history, restores_best)
    return math.sqrt(total)


def _accuracy_rule(accuracy, loss_fn, y, out_shape):
    """The function that scores a batch of outputs against targets, or None."""
    if accuracy is None or callable(accuracy):
        return accuracy
    if accuracy != "auto":
        raise ValueError(f"fit: accuracy must be 'auto', None or a function f(output, y), got {accuracy!r}")
    wide = len(out_shape) == 2 and out_shape[1] > 1
    if y.dtype.kind in "iu" and y.ndim == 1 and wide:
        return lambda out, target: float(np.mean(out.argmax(axis=1) == target))
    binary = y.dtype.kind in "fiu" and tuple(y.shape[1:]) == tuple(out_shape[1:]) and np.isin(y, (0, 1)).all()
    if binary and loss_fn is F.binary_cross_entropy_with_logits:
        return lambda out, target: float(np.mean((out > 0) == (target > 0.5)))
    if binary and loss_fn is F.binary_cross_entropy:
        return lambda out, target: float(np.mean((out > 0.5) == (target > 0.5)))
    if y.dtype.kind == "f" and y.ndim == 2 and wide and tuple(y.shape[1:]) == tuple(out_shape[1:]):
        return lambda out, target: float(np.mean(out.argmax(axis=1) == target.argmax(axis=1)))
    return None


# ---------------------------------------------------------------------------------- progress
class _NoBar:
    def set_postfix_str(self, *args, **kwargs): pass
    def update(self, *args): pass
    def close(self): pass


def _in_notebook():
    return type(sys.stderr).__module__.startswith("ipykernel")


def _progress_bar(progress, epochs):
    """tqdm's auto bar (terminal or notebook), unless turned off or the output is redirected."""
    interactive = _in_notebook() or (_isatty(sys.stdout) and _isatty(sys.stderr))
    if not progress or not interactive:
        return _NoBar()
    from tqdm.auto import tqdm  # imported only when a bar will show

    return tqdm(total=epochs, desc="fit", unit="epoch", leave=True)


def _isatty(stream):
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # closed or replaced streams
        return False


def _summary(history):
    parts = [f"loss={history.train_loss[-1]:.4f}"]
    if history.train_acc:
        parts.append(f"acc={history.train_acc[-1]:.3f}")
    if history.val_loss:
        parts.append(f"val_loss={history.val_loss[-1]:.4f}")
    if history.val_acc:
        parts.append(f"val_acc={history.val_acc[-1]:.3f}")
    return " ".join(parts)
