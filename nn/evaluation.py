"""Measuring a model without training it: ``nn.evaluate`` (loss and accuracy) and the share of dead ReLU units."""

import numpy as np

import autograd_core as ag
from autograd_core import Tensor

from . import functional as F
from .fit_checks import check_data
from .layers import ReLU

EVAL_CHUNK = 4096  # rows per forward pass when evaluating (bounds memory, not results)


def evaluate(model, loss_fn, X, y, accuracy="auto"):
    """Mean loss and accuracy of ``model`` on (X, y), without recording a graph.

    Returns ``(loss, accuracy)``; accuracy is None when it does not apply. The loss is
    averaged over chunks of rows, which is exact for losses with mean reduction.

    >>> X, y = nn.datasets.make_moons(40, seed=0)
    >>> model = nn.MLP([2, 8, 2], seed=0)
    >>> test_loss, test_acc = nn.evaluate(model, F.cross_entropy, X, y)   # untrained: near chance
    >>> test_loss, test_acc
    (1.44, 0.55)
    """
    if not (accuracy is None or callable(accuracy) or accuracy == "auto"):
        raise ValueError(f"evaluate: accuracy must be 'auto', None or a function f(output, y), got {accuracy!r}")
    dtype = next((p.dtype for p in model.parameters()), np.dtype(np.float64))
    X, y = check_data("X", "y", X, y, dtype)
    measure = accuracy if callable(accuracy) or accuracy is None else None
    was_training = model.training
    model.eval()
    loss_total = correct_total = 0.0
    try:
        with ag.no_grad():
            for start in range(0, len(X), EVAL_CHUNK):
                xb, yb = X[start : start + EVAL_CHUNK], y[start : start + EVAL_CHUNK]
                output = model(Tensor(xb))
                if accuracy == "auto" and measure is None:
                    measure = accuracy_rule("auto", loss_fn, y, output.shape) or False
                loss_total += float(loss_fn(output, yb).item()) * len(xb)
                if measure:
                    correct_total += measure(output.data, yb) * len(xb)
    finally:
        model.train(was_training)
    return loss_total / len(X), (correct_total / len(X) if measure else None)


def dead_unit_fraction(model, X):
    """Share of units of the model's ``nn.ReLU`` modules that output 0 for every row of X
    (None if the model has no ReLU). Dead units get no gradient, so they never recover.

    >>> model = nn.MLP([2, 8, 2], seed=0)
    >>> nn.evaluation.dead_unit_fraction(model, np.random.default_rng(0).normal(size=(40, 2)))
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


def accuracy_rule(accuracy, loss_fn, y, out_shape):
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
