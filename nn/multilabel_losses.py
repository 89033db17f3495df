"""The multi-class and multi-label hinge losses, as ``torch.nn.functional`` spells them: ``multi_margin_loss``
(a multi-class SVM), ``multilabel_margin_loss`` and ``multilabel_soft_margin_loss`` (re-exported by
``nn.functional``; the modules are in losses_more.py).

Composed from Tensor ops (a gather of each row's right score, relu's hinge, numpy masks for which pairs count):
the engine derives the gradients. Values equal torch's (tests/test_nn_losses_more.py).
"""

from __future__ import annotations

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.types import TensorLike

from .activations import logsigmoid
from .loss_parts import (
    _as_input,
    _check_reduction,
    _check_weight_fits,
    _drawn_as_one,
    _elementwise_weight,
    _reduce,
    _target_like,
)
from .margin_losses import _number


def _scores(function: str, input: TensorLike) -> tuple[Tensor, bool]:
    """``input`` as (N, C) scores, and whether it was one (C,) example."""
    x = _as_input(function, input)
    if x.ndim not in (1, 2) or x.shape[-1] == 0:
        raise ValueError(
            f"{function}: input must be (N, C) class scores or one example's (C,), got shape {x.shape}; "
            "flatten the other axes into N first"
        )
    return (x[None], True) if x.ndim == 1 else (x, False)


def _labels(function: str, target: TensorLike, shape: tuple[int, ...]) -> np.ndarray:
    labels = np.asarray(target.data if isinstance(target, Tensor) else target)
    if labels.dtype.kind not in "iu":
        raise TypeError(
            f"{function}: target must hold integer class indices, got dtype {labels.dtype}; convert with "
            "y.astype(np.int64)"
        )
    if labels.shape != shape:
        raise ValueError(f"{function}: target of shape {labels.shape} does not fit the input: expected {shape}")
    return labels


@_drawn_as_one
def multi_margin_loss(
    input: TensorLike,
    target: TensorLike,
    p: int = 1,
    margin: float = 1.0,
    weight: TensorLike | None = None,
    reduction: str = "mean",
) -> Tensor:
    """The multi-class hinge loss, as PyTorch's ``F.multi_margin_loss``: for scores x (N, C) and class indices
    y (N,), sum over i != y of max(0, margin - x[y] + x[i])**p / C, each term times ``weight[y]`` if given.
    ``p`` is 1 or 2. One example's (C,) scores take a 0-d index.

    >>> multi_margin_loss(Tensor([[0.1, 0.2, 0.4, 0.8]]), np.array([3]))   # (0.3 + 0.4 + 0.6) / 4
    Tensor(0.325)
    """
    function = "multi_margin_loss"
    _check_reduction(function, reduction)
    if p not in (1, 2) or isinstance(p, bool):
        raise ValueError(f"{function}: p must be 1 or 2 (a hinge or a squared hinge), got {p!r}")
    margin = _number(function, "margin", margin)
    x, single = _scores(function, input)
    n, c = x.shape
    labels = _labels(function, target, () if single else (n,)).reshape(n)
    if labels.size and (labels.min() < 0 or labels.max() >= c):
        raise ValueError(f"{function}: target indices must be in 0..{c - 1} for {c} classes, got {labels.tolist()}")
    rows = np.arange(n)
    right = x[rows, labels]
    hinge = (margin - right[:, None] + x).relu()
    if p == 2:
        hinge = hinge * hinge
    others = np.ones((n, c), bool)
    others[rows, labels] = False  # the right class's own term (always margin**p) is left out
    terms = ag.where(others, hinge, 0.0)
    weights = _elementwise_weight(function, weight)
    if weights is not None:
        if weights.shape != (c,):
            raise ValueError(f"{function}: weight must have one value per class, shape ({c},), got {weights.shape}")
        terms = terms * weights[labels][:, None].astype(x.dtype)
    loss = terms.sum(axis=1) / c
    return _reduce(function, loss[0] if single else loss, reduction)


@_drawn_as_one
def multilabel_margin_loss(input: TensorLike, target: TensorLike, reduction: str = "mean") -> Tensor:
    """The multi-label hinge loss, as PyTorch's ``F.multilabel_margin_loss``: target (N, C) lists each row's
    classes, ended by the first -1; the loss of a row is the sum over its classes j and the other classes i of
    max(0, 1 - (x[j] - x[i])), divided by C.

    >>> multilabel_margin_loss(Tensor([[0.1, 0.2, 0.4, 0.8]]), np.array([[3, 0, -1, 1]]))
    Tensor(0.85)
    """
    function = "multilabel_margin_loss"
    _check_reduction(function, reduction)
    x, single = _scores(function, input)
    n, c = x.shape
    labels = _labels(function, target, x.shape[1:] if single else x.shape).reshape(n, c)
    listed = np.zeros((n, c))  # how often each class is listed before the row's first -1
    for row, classes in enumerate(labels):
        ends = np.flatnonzero(classes == -1)
        valid = classes[: ends[0] if ends.size else c]
        if valid.size and (valid.min() < 0 or valid.max() >= c):
            raise ValueError(
                f"{function}: row {row} of target lists {classes.tolist()}; each must be a class in 0..{c - 1}, "
                "the list ended by -1"
            )
        np.add.at(listed[row], valid, 1.0)
    pairs = listed[:, :, None] * (listed == 0)[:, None, :]  # (n, j, i): j a listed class, i an unlisted one
    hinge = (1 - x[:, :, None] + x[:, None, :]).relu()
    loss = (hinge * pairs.astype(x.dtype)).sum(axis=(1, 2)) / c
    return _reduce(function, loss[0] if single else loss, reduction)


@_drawn_as_one
def multilabel_soft_margin_loss(
    input: TensorLike, target: TensorLike, weight: TensorLike | None = None, reduction: str = "mean"
) -> Tensor:
    """The mean over the C classes of each class's binary cross-entropy on the logits,
    -(y log sigmoid(x) + (1 - y) log sigmoid(-x)), times ``weight`` (C,) if given, one loss per row: PyTorch's
    ``F.multilabel_soft_margin_loss``, for targets (N, C) of 0 / 1.

    >>> multilabel_soft_margin_loss(Tensor([[0.0, 0.0]]), [[1.0, 0.0]])     # log 2
    Tensor(0.6931)
    """
    function = "multilabel_soft_margin_loss"
    _check_reduction(function, reduction)
    x = _as_input(function, input)
    y = _target_like(function, target, x)
    if x.ndim not in (1, 2) or y.shape != x.shape:
        raise ValueError(
            f"{function}: input (N, C) or (C,) and a target of the same shape, got {x.shape} and {y.shape}"
        )
    terms = -(y * logsigmoid(x) + (1 - y) * logsigmoid(-x))
    weights = _elementwise_weight(function, weight)
    if weights is not None:
        _check_weight_fits(function, "weight", weights, x.shape)
        terms = terms * weights.astype(x.dtype)
    return _reduce(function, terms.sum(axis=-1) / x.shape[-1], reduction)


__all__ = ["multi_margin_loss", "multilabel_margin_loss", "multilabel_soft_margin_loss"]
