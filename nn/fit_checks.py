"""Checks ``nn.fit`` makes: the data before training (shapes, labels, NaN), and every step's loss and
gradients before the optimizer may use them, so a NaN never reaches the weights."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.types import ArrayLike

from . import functional as F
from .data import DataLoader, Subset
from .embedding import Embedding
from .history import History
from .labels import convert_hint
from .module import Module
from .normalization import BatchNorm1d
from .optim import ChainedScheduler, CyclicLR, LRScheduler, OneCycleLR, ReduceLROnPlateau
from .utils import squared_norm

if TYPE_CHECKING:
    from .evaluation import LossFn
    from .optim import Optimizer


def check_data(
    x_name: str, y_name: str, X: ArrayLike, y: ArrayLike, dtype: np.dtype[Any], owner: str = "fit"
) -> tuple[np.ndarray, np.ndarray]:
    """(X as ``dtype``, y) after checking they are numeric, finite and one row per example
    (errors begin with ``owner``): ``X, y = check_data("X", "y", X, y, np.dtype(np.float64))``."""
    X = np.asarray(X.data if isinstance(X, Tensor) else X)
    y = np.asarray(y.data if isinstance(y, Tensor) else y)
    if X.dtype.kind not in "biuf" or y.dtype.kind not in "biuf":
        raise TypeError(
            f"{owner}: {x_name} and {y_name} must be numeric arrays, got dtypes {X.dtype} and {y.dtype}"
            + ("; " + convert_hint(y, len(y), 0) if y.dtype.kind in "USO" and X.dtype.kind in "biuf" else "")
        )
    if X.ndim == 0 or len(X) == 0:
        raise ValueError(f"{owner}: {x_name} must have at least one row, got shape {X.shape}")
    if y.ndim == 0 or len(y) != len(X):
        raise ValueError(
            f"{owner}: {x_name} has {len(X)} rows but {y_name} has "
            f"{len(y) if y.ndim else 'no'} (shape {y.shape}); they must have one row per example"
        )
    for name, array in ((x_name, X), (y_name, y)):
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            bad = np.argwhere(~np.isfinite(array))
            raise ValueError(
                f"{owner}: {name} contains {len(bad)} NaN/Inf values (the first at index "
                f"{tuple(int(i) for i in bad[0])}); remove or impute them before training"
            )
    if dtype.kind in "iu":  # X indexes an Embedding: as given (never float ids truncated; it checks them)
        return X, y
    return X.astype(dtype, copy=False), y


def input_dtype(model: Module) -> np.dtype[Any]:
    """What fit and evaluate cast X to: the parameters' dtype (float64 without any), or int64 for a
    model that looks its inputs up in an ``nn.Embedding`` (integer X is then kept: token ids)."""
    if any(isinstance(m, Embedding) for m in model.modules()):
        return np.dtype(np.int64)
    return next((p.dtype for p in model.parameters()), np.dtype(np.float64))


def loader_arrays(
    owner: str, loader: DataLoader, y: ArrayLike | None, read_items: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """The (X, y) arrays under a DataLoader over ``TensorDataset(X, y)`` or a ``Subset`` of one (what
    ``random_split`` gives), so fit and evaluate take PyTorch's ``train_loader`` / ``test_loader``.
    ``read_items`` (evaluate's): any map-style Dataset of (x, y) pairs is read once, item by item."""
    if y is not None:
        raise TypeError(f"{owner}: X is a DataLoader, which holds the targets too: drop the y argument")
    if loader.collate_fn is not None:  # the arrays are sliced here: the function would be skipped silently
        raise TypeError(f"{owner}: a DataLoader with a collate_fn makes its own batches; run your own loop over it")
    if loader.batch_sampler is not None:  # likewise its sampler's order
        raise TypeError(f"{owner}: a DataLoader with a sampler draws its own batches; run your own loop over it")
    dataset, rows = loader.dataset, None
    while isinstance(dataset, Subset):  # random_split's parts: their rows of the arrays underneath
        rows = dataset.indices if rows is None else dataset.indices[rows]
        dataset = dataset.dataset
    arrays: tuple[np.ndarray, ...] | None = getattr(dataset, "arrays", None)
    if arrays is None and read_items:
        arrays = _pairs(dataset)
    if arrays is None or len(arrays) != 2:
        why = "" if read_items else " (fit reads the arrays once: a Dataset's items may change per epoch)"
        raise TypeError(
            f"{owner}: a DataLoader passed as X must wrap TensorDataset(X, y) (inputs and targets){why}; "
            f"got one over {type(loader.dataset).__name__}; run your own loop over the loader"
        )
    X, y = (np.asarray(a.data if isinstance(a, Tensor) else a) for a in arrays)
    return (X, y) if rows is None else (X[rows], y[rows])


def _pairs(dataset: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """A map-style Dataset's items stacked into (X, y), or None unless every item is an (x, y) pair."""
    items = [dataset[i] for i in range(len(dataset))]
    if not items or not all(isinstance(item, (tuple, list)) and len(item) == 2 for item in items):
        return None
    inputs, targets = zip(*items)
    return _stacked(inputs), _stacked(targets)


def _stacked(values: tuple[Any, ...]) -> np.ndarray:
    return np.stack([np.asarray(v.data if isinstance(v, Tensor) else v) for v in values])


def check_last_batch(model: Module, loader: DataLoader) -> None:
    """Refuse, before training, an epoch whose last batch is one row when the model has a ``BatchNorm1d``
    (which cannot train on one row: the run would fail at the end of its first epoch)."""
    left = len(loader.dataset) % loader.batch_size
    if left == 1 and not loader.drop_last and any(isinstance(m, BatchNorm1d) for m in model.modules()):
        n, size = len(loader.dataset), loader.batch_size
        other = next((b for b in range(size + 1, 2 * size + 2) if n % b != 1), None)
        raise ValueError(
            f"fit: {n} rows in batches of {size} leave a last batch of 1 row, and BatchNorm1d cannot train on "
            f"one row; use another batch_size{f' (e.g. {other})' if other else ''}, or pass X as "
            f"nn.data.DataLoader((X, y), batch_size={size}, shuffle=True, seed=0, drop_last=True)"
        )


def probe(model: Module, loss_fn: LossFn, X: np.ndarray, y: np.ndarray, x_name: str, y_name: str) -> tuple[int, ...]:
    """Run the model and the loss on two rows, so shape and label errors surface before training."""
    was_training = model.training
    model.eval()  # a probe must not move BatchNorm's running statistics or use up Dropout's random numbers
    try:
        with ag.no_grad():
            output = model(Tensor(X[:2]))
    except (ValueError, TypeError, IndexError) as error:
        flat = f"; {x_name} is 1-D: one feature per example is {x_name}.reshape(-1, 1)" if X.ndim == 1 else ""
        raise ValueError(f"fit: the model cannot take {x_name} of shape {X.shape}: {error}{flat}") from error
    finally:
        model.train(was_training)
    if not isinstance(output, Tensor):
        raise TypeError(f"fit: the model must return a Tensor, got {type(output).__name__}")
    if y.dtype.kind in "iu" and y.ndim == 1 and output.ndim == 2 and output.shape[1] > 1:
        F.class_indices(f"fit ({y_name}; the model has {output.shape[1]} outputs)", y, len(y), output.shape[1])
    try:
        with ag.no_grad():
            loss = loss_fn(output, y[:2])
    except (ValueError, TypeError, IndexError) as error:
        raise ValueError(
            f"fit: loss_fn rejects the model's output (shape {output.shape}) against "
            f"{y_name} (shape {y[:2].shape} for two rows): {error}"
        ) from error
    if not isinstance(loss, Tensor) or loss.size != 1:
        raise ValueError(
            f"fit: loss_fn must return a one-element Tensor, got "
            f"{getattr(loss, 'shape', type(loss).__name__)}; use reduction='mean'"
        )
    shape: tuple[int, ...] = output.shape
    return shape


def check_scheduler(
    scheduler: object, interval: str | None, optimizer: Optimizer, epochs: int, batches: int, accuracy: object
) -> bool:
    """fit's checks of ``scheduler`` and ``scheduler_interval``; returns whether it steps after every batch
    (``OneCycleLR``; ``CyclicLR`` unless ``interval="epoch"``; or ``interval="batch"``) rather than after every epoch.

    >>> opt = nn.optim.SGD([Tensor([0.0], requires_grad=True)], lr=1.0)
    >>> check_scheduler(nn.optim.lr_scheduler.InverseTimeDecay(opt), "batch", opt, 2, 10, None)
    True
    """
    if interval not in (None, "batch", "epoch"):
        raise ValueError(f"fit: scheduler_interval must be 'batch', 'epoch' or None, got {interval!r}")
    if interval is not None and scheduler is None:
        raise ValueError(f"fit: scheduler_interval={interval!r} is given without a scheduler; pass scheduler=")
    if scheduler is not None and getattr(scheduler, "optimizer", optimizer) is not optimizer:
        raise ValueError(  # it would step the other one's lr: this run's would never change
            f"fit: the scheduler {type(scheduler).__name__} drives another optimizer than the one given (was the "
            "optimizer made again after it?); build the scheduler on the optimizer you pass to fit"
        )
    if isinstance(scheduler, ReduceLROnPlateau) and interval == "batch":
        raise ValueError(
            "fit: ReduceLROnPlateau is stepped on an epoch's loss or accuracy, so scheduler_interval='batch' "
            "does not apply to it; leave scheduler_interval out"
        )
    if isinstance(scheduler, OneCycleLR) and interval == "epoch":
        raise ValueError(
            "fit: OneCycleLR is a schedule of batches (total_steps) and always steps after every batch; "
            "leave scheduler_interval out"
        )
    if isinstance(scheduler, OneCycleLR) and scheduler.total_steps < epochs * batches:
        raise ValueError(  # it is stepped after every batch: stepped past its end it would fail mid-run
            f"fit: OneCycleLR steps once per batch, and fit makes {epochs} epochs x {batches} batches = "
            f"{epochs * batches} steps, more than its total_steps={scheduler.total_steps}; build it with "
            f"OneCycleLR(optimizer, max_lr, epochs={epochs}, steps_per_epoch={batches})"
        )
    if isinstance(scheduler, ReduceLROnPlateau) and scheduler.mode == "max" and accuracy is None:
        raise ValueError(
            "fit: ReduceLROnPlateau(mode='max') is stepped on the accuracy, and fit measures none here; pass "
            "accuracy=f(output, y), or use mode='min' (stepped on the loss)"
        )
    if isinstance(scheduler, CyclicLR) and interval is None:
        return True  # a schedule of batches, as torch's (step_size_up=2000 batches by default)
    return isinstance(scheduler, OneCycleLR) or (
        interval == "batch" and isinstance(scheduler, (LRScheduler, ChainedScheduler))
    )


def _fail(message: str, history: History, restores_best: bool) -> NoReturn:
    """Raise the NaN/Inf error; ``restores_best``: early stopping has a best epoch to go back to
    (not yet during the first epoch, when the last good step's weights are what is left)."""
    history.stopped_reason = "error: " + message
    kept = (
        "the best epoch's weights are restored (early_stopping)"
        if restores_best
        else "the weights of the last good step are kept"
    )
    error = FloatingPointError(
        f"fit: {message}; training stopped before this step's update and {kept}. "
        "Try a lower learning rate, check the data, or find the op with "
        "autograd_core.detect_anomaly()"
    )
    error.history = history  # type: ignore[attr-defined]  # the run so far travels with the error
    raise error


def loss_value(loss: Tensor, where: str, history: History, restores_best: bool) -> float:
    """The loss as a float, or the FloatingPointError if it is NaN/Inf (``where``: "epoch 2/3, step 1/4")."""
    value = float(loss.item())
    if not math.isfinite(value):
        _fail(f"the loss became {value} at {where}", history, restores_best)
    return value


def parameters_to_check(model: Module, optimizer: Optimizer) -> list[tuple[str, Tensor]]:
    """(name, tensor) for the model's parameters and any other ones the optimizer holds."""
    named = list(model.named_parameters())
    known = {id(p) for _, p in named}
    held = list(getattr(optimizer, "params", []))
    if named and held and not any(id(p) in known for p in held):
        raise ValueError(
            "fit: the optimizer holds none of the model's parameters (was it built for another "
            "model?); create it with e.g. nn.optim.Adam(model.parameters())"
        )
    extra = [(p.label or f"optimizer parameter {i}", p) for i, p in enumerate(held) if id(p) not in known]
    return named + extra


def gradient_norm(named_params: list[tuple[str, Tensor]], where: str, history: History, restores_best: bool) -> float:
    """The global L2 norm of the gradients, or the FloatingPointError naming every non-finite one."""
    total = 0.0
    for _, p in named_params:
        grad = p.grad
        if grad is not None:
            total += squared_norm(grad)
    if math.isfinite(total):
        return math.sqrt(total)
    bad = [f"'{name}'" for name, p in named_params if p.grad is not None and not math.isfinite(squared_norm(p.grad))]
    if bad:
        what = f"gradient of {bad[0]} has" if len(bad) == 1 else f"gradients of {', '.join(bad)} have"
        _fail(f"the {what} NaN/Inf values at {where}", history, restores_best)
    return math.sqrt(total)


def read_training_state(state: dict[str, Any], model: Module) -> dict[str, Any]:
    """fit's checkpointed state (epoch counter, history, best epoch and its weights), checked against
    itself and ``model``; a ValueError says what does not fit. ``read_training_state(s, model)["epochs_done"]``."""
    try:
        history = History.from_dict(state["history"])
        epochs_done, stale = int(state["epochs_done"]), int(state["stale_epochs"])
        best_value = float(state["best_value"])
        start_loss = None if state["start_loss"] is None else float(state["start_loss"])
        arrays = dict(state.get("arrays") or {})
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"fit: the checkpoint's training state is incomplete ({error})") from None
    problem = None
    if history.epochs_run != epochs_done:
        problem = f"its history has {history.epochs_run} epochs, its counter {epochs_done}"
    elif not 0 <= stale <= epochs_done:
        problem = f"{stale} epochs without progress of {epochs_done}"
    elif history.best_epoch is not None and not (
        isinstance(history.best_epoch, int) and 0 <= history.best_epoch < epochs_done
    ):
        problem = f"its best epoch is {history.best_epoch!r} of {epochs_done}"
    elif arrays:  # the best epoch's weights (early stopping): the model's names and shapes
        shapes = {name: value.shape for name, value in model.state_dict().items()}
        saved = {name: np.shape(value) for name, value in arrays.items()}
        wrong = sorted(set(saved) ^ set(shapes) | {n for n in saved if n in shapes and saved[n] != shapes[n]})
        if wrong:
            name = wrong[0]
            problem = f"its best epoch's weights do not fit ({name}: {saved.get(name)} saved, {shapes.get(name)} here)"
    if problem:
        raise ValueError(f"fit: the checkpoint's training state is inconsistent: {problem}; start a new run")
    return dict(
        history=history,
        epochs_done=epochs_done,
        stale_epochs=stale,
        best_value=best_value,
        start_loss=start_loss,
        best_state=arrays or None,
    )


class TrainingStateCheck:
    """Stands in for fit's own state in ``load_checkpoint`` to check a checkpoint before ``fit(resume=...)``:
    ``load_checkpoint(path, model, opt, loader=loader, training=TrainingStateCheck(model))``."""

    def __init__(self, model: Module) -> None:
        self.model = model

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        read_training_state(state, self.model)
