"""What every loss in functional.py shares: its inputs made Tensors of a float dtype, their shapes
checked (never broadcast against each other), the reduction, the scope that lets viz draw a
loss as one box, and the class-index losses' weights and ignored rows (PyTorch's nll_loss)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import numpy as np

from autograd_core import Tensor
from autograd_core.grad_mode import enter_scope, exit_scope
from autograd_core.types import TensorLike

from .labels import class_indices

_REDUCTIONS = ("mean", "sum", "none")


P = ParamSpec("P")
R = TypeVar("R")


def _drawn_as_one(loss: Callable[P, R]) -> Callable[P, R]:
    """Run ``loss`` inside ``ag.scope(<its name>)``: viz then draws it as one expandable box named
    ``cross_entropy`` (its ops inside), not as the nine ops it is made of."""

    name = loss.__name__

    @functools.wraps(loss)
    def scoped(*args: P.args, **kwargs: P.kwargs) -> R:
        # The scope entered and left by hand, as Module.__call__ does: a loss runs every step, and
        # ``with ag.scope(...)`` costs a context-manager object and a saved-value stack (0.8 us).
        outer = enter_scope(name)
        try:
            return loss(*args, **kwargs)
        finally:
            exit_scope(outer)

    return scoped


def _as_input(function: str, x: TensorLike) -> Tensor:
    if isinstance(x, Tensor):
        return x
    array = np.asarray(x)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{function}: expected a Tensor or numeric array, got {type(x).__name__}")
    return Tensor(array if array.dtype.kind == "f" else array.astype(np.float64))


def _same_shape(function: str, input: Tensor, target: Tensor) -> None:
    if input.shape != target.shape:
        hint = ""
        if input.size == target.size:
            hint = f"; reshape one of them (e.g. target.reshape({input.shape}))"
        raise ValueError(
            f"{function}: input has shape {input.shape} but target has shape {target.shape}; "
            f"they must be equal (broadcasting them would silently compare every pair){hint}"
        )


def _reduce(function: str, loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        # The very ops of loss.mean() (sum, then divide by the count), without its axis handling:
        # 4 us instead of 9 us on a 32-vector, a tenth of cross_entropy's eager forward.
        return loss.sum() / loss.size
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{function}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _check_reduction(function: str, reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{function}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


@functools.lru_cache(maxsize=16)
def _rows(n: int) -> np.ndarray:
    """0..n-1, the row half of the (row, label) index that picks each row's label: made once per
    batch size (read-only, so every graph can hold the same array)."""
    rows = np.arange(n)
    rows.flags.writeable = False
    return rows


def _target_like(function: str, target: TensorLike, input: Tensor) -> Tensor:
    target = _as_input(function, target)
    return target.astype(input.dtype) if target.dtype != input.dtype else target


def _difference(function: str, input: TensorLike, target: TensorLike, reduction: str) -> Tensor:
    """input - target, once the reduction and the shapes are checked (the regression losses' d)."""
    _check_reduction(function, reduction)
    input = _as_input(function, input)
    target = _target_like(function, target, input)
    _same_shape(function, input, target)
    return input - target


def _elementwise_weight(owner: str, weight: TensorLike | None) -> np.ndarray | None:
    if weight is None:
        return None
    weight = np.asarray(weight.data if isinstance(weight, Tensor) else weight)
    if weight.dtype.kind not in "fiu" or not np.isfinite(weight).all():
        raise ValueError(f"{owner}: weight must be finite numbers, got dtype {weight.dtype}")
    return weight


def _check_weight_fits(owner: str, what: str, weight: np.ndarray, shape: tuple[int, ...]) -> None:
    """A weight may broadcast over the loss terms but never widen them: a (2, 3) weight on 3 terms would
    silently count each twice in the mean. PyTorch refuses it too."""
    try:
        fits = np.broadcast_shapes(weight.shape, shape) == shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"{owner}: {what} of shape {weight.shape} does not broadcast to the input's shape {shape}; "
            "give one value per element, or per class (the last dimension)"
        )


def _weighted(owner: str, loss: Tensor, weight: np.ndarray | None, reduction: str) -> Tensor:
    """PyTorch's elementwise ``weight``: multiply the unreduced losses, then reduce."""
    if weight is not None:
        _check_weight_fits(owner, "weight", weight, loss.shape)
        loss = loss * weight.astype(loss.dtype)
    return _reduce(owner, loss, reduction)


def _classes_last(function: str, input: Tensor, target: TensorLike) -> tuple[Tensor, TensorLike, tuple[int, ...]]:
    """PyTorch's (N, K, d1, ...) scores, the K classes in dim 1, as the (N*d1*..., K) rows the class losses
    take, with their targets (N, d1, ...) indices flattened (or (N, K, d1, ...) probabilities made rows) and
    the (N, d1, ...) shape an unreduced loss takes back. A (B, T, K) input with (B, T) targets (a language
    model's logits, classes last) is refused with the flattening it needs: read as (N, K, d) it is wrong."""
    n, k, positions = input.shape[0], input.shape[1], input.shape[2:]
    rows = input.movedim(1, -1).reshape(-1, k)
    unreduced = (n, *positions)
    raw = np.asarray(target.data if isinstance(target, Tensor) else target)
    if raw.dtype.kind == "f" and raw.shape == input.shape:  # probabilities per class, in dim 1 as the scores
        probabilities = target if isinstance(target, Tensor) else Tensor(raw)
        return rows, probabilities.movedim(1, -1).reshape(-1, k), unreduced
    if raw.shape != unreduced:
        hint = (
            f"; for (B, T, C) logits with the classes last (a language model's), flatten both: "
            f"input.view(-1, {input.shape[-1]}) and target.view(-1)"
            if raw.shape == input.shape[:-1]
            else ""
        )
        raise ValueError(
            f"{function}: an input of shape {input.shape} is read as PyTorch's (N, K, d1, ...), the {k} classes "
            f"in dim 1, so the target must be class indices of shape {unreduced} (or probabilities of the "
            f"input's shape), got {raw.shape}{hint}"
        )
    return rows, raw.reshape(-1), unreduced


def _one_example(function: str, input: Tensor, target: TensorLike) -> tuple[Tensor, TensorLike, tuple[int, ...]]:
    """PyTorch's unbatched (K,) scores, one example, as the one (1, K) row the class losses take, with its
    target: a class index of shape () (or (1,), as torch takes) or (K,) probabilities; its unreduced loss is 0-d."""
    k = input.shape[0]
    raw = np.asarray(target.data if isinstance(target, Tensor) else target)
    if raw.dtype.kind == "f" and raw.shape == (k,):  # probabilities (a one-hot y), kept a Tensor if given one
        probabilities = target if isinstance(target, Tensor) else Tensor(raw)
        return input.reshape(1, k), probabilities.reshape(1, k), ()
    if raw.shape not in ((), (1,)):
        raise ValueError(
            f"{function}: an input of shape {input.shape} is one example's {k} class scores, so the target must "
            f"be one class index (shape ()) or {k} probabilities (shape ({k},)), got shape {raw.shape}; for a "
            f"batch give the input as (N, {k})"
        )
    return input.reshape(1, k), raw.reshape(1), ()


def _class_weights(function: str, weight: TensorLike | None, k: int, dtype: np.dtype) -> np.ndarray | None:
    if weight is None:
        return None
    weight = np.asarray(weight.data if isinstance(weight, Tensor) else weight)
    if weight.shape != (k,) or weight.dtype.kind not in "fiu" or not np.isfinite(weight).all():
        raise ValueError(
            f"{function}: weight must hold one finite number per class, shape ({k},), "
            f"got shape {weight.shape} and dtype {weight.dtype}"
        )
    return weight.astype(dtype)


def _weighted_nll(
    function: str,
    log_probs: Tensor,
    target: TensorLike,
    weight: np.ndarray | None,
    ignore_index: int,
    reduction: str,
    label_smoothing: float,
) -> Tensor:
    """PyTorch's nll_loss with weights and ignore_index (and cross_entropy's label smoothing):
    the mean divides by the summed weights of the rows that count."""
    n, k = log_probs.shape
    raw = np.asarray(target.data if isinstance(target, Tensor) else target)
    counted = raw != ignore_index
    labels = class_indices(function, np.where(counted, raw, 0) if raw.dtype.kind in "iu" else raw, n, k)
    row_weights = (np.ones(k, log_probs.dtype) if weight is None else weight)[labels] * counted
    loss = -log_probs[np.arange(n), labels] * row_weights.astype(log_probs.dtype)
    if label_smoothing:
        class_terms = log_probs if weight is None else log_probs * weight
        smooth = -class_terms.sum(axis=1) * counted.astype(log_probs.dtype)
        loss = loss * (1 - label_smoothing) + smooth * (label_smoothing / k)
    if reduction == "mean":
        return loss.sum() / row_weights.sum()  # all rows ignored: 0/0 = nan, as PyTorch
    return _reduce(function, loss, reduction)
