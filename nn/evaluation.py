"""Measuring a model without training it: ``nn.evaluate`` (loss and accuracy) and the share of dead ReLU units."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.types import ArrayLike

from . import functional as F
from .data import DataLoader
from .fit_checks import check_data, input_dtype, loader_arrays
from .layers import ReLU
from .losses import BCELoss, BCEWithLogitsLoss
from .module import Module

#: A loss: ``loss_fn(output, target)`` returns a 0-d Tensor (``F.cross_entropy``, ``nn.MSELoss()``).
LossFn: TypeAlias = Callable[[Tensor, np.ndarray], Tensor]
#: An accuracy: ``accuracy(output, target)`` on arrays returns the share of correct rows.
AccuracyFn: TypeAlias = Callable[[np.ndarray, np.ndarray], float]

EVAL_CHUNK = 4096  # rows per forward pass when evaluating (bounds memory, not results)
DEAD_UNIT_CHUNK = 256  # rows per pass of the dead-unit probe, which stops once every unit has fired


def evaluate(
    model: Module,
    loss_fn: LossFn,
    X: ArrayLike | DataLoader,
    y: ArrayLike | None = None,
    accuracy: AccuracyFn | str | None = "auto",
) -> tuple[float, float | None]:
    """Mean loss and accuracy of ``model`` on (X, y), or on a DataLoader over them (PyTorch's
    ``test_loader``: over a TensorDataset, or any Dataset whose items are (x, y) pairs, read once), without
    recording a graph.

    Returns ``(loss, accuracy)``; accuracy is None when it does not apply. The model runs on
    chunks of rows; the loss is one call on all the outputs, so a mean that weighs rows
    (class ``weight``, ``ignore_index``) is the loss of the whole set, as ``loss_fn(model(X), y)``.

    >>> X, y = nn.datasets.make_moons(40, seed=0)
    >>> model = nn.MLP([2, 8, 2], seed=0)
    >>> test_loss, test_acc = nn.evaluate(model, F.cross_entropy, X, y)   # untrained: near chance
    >>> test_loss, test_acc
    (1.44, 0.55)
    """
    if not (accuracy is None or callable(accuracy) or accuracy == "auto"):
        raise ValueError(f"evaluate: accuracy must be 'auto', None or a function f(output, y), got {accuracy!r}")
    if isinstance(X, DataLoader):
        X, y = loader_arrays("evaluate", X, y, read_items=True)  # any Dataset of (x, y) pairs
    elif y is None:
        raise TypeError("evaluate: give the targets: evaluate(model, loss_fn, X, y), or X as a DataLoader over (X, y)")
    dtype = input_dtype(model)
    X, y = check_data("X", "y", X, y, dtype, owner="evaluate")
    with model._evaluating(), ag.no_grad():  # the model runs chunk by chunk (its activations bound memory)
        chunks = [model(Tensor(X[start : start + EVAL_CHUNK])).data for start in range(0, len(X), EVAL_CHUNK)]
        output = Tensor(chunks[0] if len(chunks) == 1 else np.concatenate(chunks))
        loss = float(loss_fn(output, y).item())  # the loss on all rows
    measure = accuracy_rule(accuracy, loss_fn, y, output.shape)
    return loss, (measure(output.data, y) if measure else None)


def dead_unit_fraction(model: Module, X: ArrayLike, chunk: int = DEAD_UNIT_CHUNK) -> float | None:
    """Share of units of the model's ``nn.ReLU`` modules that output 0 for every row of X
    (None if the model has no ReLU). Dead units get no gradient, so they never recover.

    The rows go through in chunks of ``chunk``, and the probe stops as soon as every unit has fired
    once: the same answer as one pass over all rows, usually for the cost of the first chunk.

    >>> model = nn.MLP([2, 8, 2], seed=0)
    >>> nn.evaluation.dead_unit_fraction(model, np.random.default_rng(0).normal(size=(40, 2)))
    0.0
    """
    relus = [m for m in model.modules() if isinstance(m, ReLU)]
    if not relus:
        return None
    fired: list[np.ndarray] = []  # per ReLU call of one forward pass: has each unit output > 0 yet
    calls = 0

    def record(module: Module, inputs: tuple[Any, ...], output: Tensor) -> None:
        nonlocal calls
        values = np.asarray(output.data)
        positive = np.asarray(~(values.reshape(-1, values.shape[-1]) <= 0).all(axis=0))  # NaN: firing, as before
        if calls < len(fired):
            fired[calls] |= positive
        else:
            fired.append(positive)
        calls += 1

    handles = [m._probe(record) for m in relus]  # (under no_grad below: unseen by ag.compile)
    X = np.asarray(X.data if isinstance(X, Tensor) else X)
    try:
        with model._evaluating(), ag.no_grad():
            for start in range(0, max(len(X), 1), chunk):
                calls = 0
                model(Tensor(X[start : start + chunk]))
                if all(f.all() for f in fired):
                    break  # no unit is dead: the other rows cannot change that
    finally:
        for handle in handles:
            handle.remove()
    units = sum(f.size for f in fired)
    return float(sum((~f).sum() for f in fired) / units) if units else None


def accuracy_rule(
    accuracy: AccuracyFn | str | None, loss_fn: LossFn, y: np.ndarray, out_shape: tuple[int, ...]
) -> AccuracyFn | None:
    """The function that scores a batch of outputs against targets, or None."""
    if accuracy is None or callable(accuracy):
        return accuracy
    if accuracy != "auto":
        raise ValueError(f"fit: accuracy must be 'auto', None or a function f(output, y), got {accuracy!r}")
    wide = len(out_shape) == 2 and out_shape[1] > 1
    if y.dtype.kind in "iu" and y.ndim == 1 and wide:
        return lambda out, target: _share(out.argmax(axis=1) == target)
    binary = y.dtype.kind in "bfiu" and tuple(y.shape[1:]) == tuple(out_shape[1:]) and np.isin(y, (0, 1)).all()
    if binary and (loss_fn is F.binary_cross_entropy_with_logits or isinstance(loss_fn, BCEWithLogitsLoss)):
        return lambda out, target: _share((out > 0) == (target > 0.5))
    if binary and (loss_fn is F.binary_cross_entropy or isinstance(loss_fn, BCELoss)):
        return lambda out, target: _share((out > 0.5) == (target > 0.5))
    if y.dtype.kind == "f" and y.ndim == 2 and wide and tuple(y.shape[1:]) == tuple(out_shape[1:]):
        return lambda out, target: _share(out.argmax(axis=1) == target.argmax(axis=1))
    return None


def _share(hits: np.ndarray) -> float:
    """np.mean of a boolean array, exactly (a count over a size), without np.mean's Python layer:
    fit scores every mini-batch."""
    return int(np.count_nonzero(hits)) / hits.size if hits.size else float("nan")
