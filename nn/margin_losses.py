"""The margin (contrastive) losses, as ``torch.nn.functional`` spells them: ``margin_ranking_loss``,
``triplet_margin_loss`` and ``triplet_margin_with_distance_loss`` (re-exported by ``nn.functional``; the modules
are in losses.py and losses_more.py).

They train an order, not a value: the loss is zero once the right score (or distance) beats the wrong one by the
margin, so only the triplets still on the wrong side push the weights. Fleuret's *Little Book of Deep Learning*
(3.1) writes its contrastive loss for triplets (x_a, x_b, x_c) with y_a = y_b != y_c as
max(0, 1 - f(x_a, x_c) + f(x_a, x_b)): ``margin_ranking_loss(f(x_a, x_c), f(x_a, x_b), 1, margin=1)``.
Composed from Tensor ops (``relu`` is max(0, .)): the engine derives the gradients.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.types import TensorLike

from .activations import pairwise_distance
from .loss_parts import _as_input, _check_reduction, _drawn_as_one, _reduce, _same_shape, _target_like


def _number(function: str, name: str, value: object, low: float | None = None) -> float:
    """``value`` as a float: finite, and at least ``low`` if given."""
    number = float(value) if isinstance(value, numbers.Real) and not isinstance(value, bool) else math.nan
    if not math.isfinite(number) or (low is not None and number < low):
        bound = "finite number" if low is None else f"number >= {low:g}"
        raise ValueError(f"{function}: {name} must be a {bound}, got {value!r}")
    return number


@_drawn_as_one
def margin_ranking_loss(
    input1: TensorLike, input2: TensorLike, target: TensorLike, margin: float = 0.0, reduction: str = "mean"
) -> Tensor:
    """max(0, -target * (input1 - input2) + margin), elementwise, as PyTorch's ``F.margin_ranking_loss``:
    ``target`` is 1 where ``input1`` should rank higher, -1 where ``input2`` should.

    >>> margin_ranking_loss(Tensor([2.0, 0.5]), Tensor([1.0, 1.0]), [1.0, 1.0], margin=1.0)   # (0 + 1.5) / 2
    Tensor(0.75)
    """
    _check_reduction("margin_ranking_loss", reduction)
    margin = _number("margin_ranking_loss", "margin", margin)
    input1 = _as_input("margin_ranking_loss", input1)
    input2 = _target_like("margin_ranking_loss", input2, input1)
    target = _target_like("margin_ranking_loss", target, input1)
    _same_shape("margin_ranking_loss", input1, input2)
    _same_shape("margin_ranking_loss", input1, target)
    signs = np.asarray(target.data)
    if not np.isin(signs, (-1.0, 1.0)).all():
        wrong = signs[~np.isin(signs, (-1.0, 1.0))].ravel()[0].item()
        raise ValueError(
            f"margin_ranking_loss: target must hold 1 (input1 should rank higher) or -1 (input2 should), found "
            f"{wrong!r}; map 0/1 labels with 2 * y - 1"
        )
    return _reduce("margin_ranking_loss", (-target * (input1 - input2) + margin).relu(), reduction)


@_drawn_as_one
def triplet_margin_loss(
    anchor: TensorLike,
    positive: TensorLike,
    negative: TensorLike,
    margin: float = 1.0,
    p: float = 2.0,
    eps: float = 1e-6,
    swap: bool = False,
    reduction: str = "mean",
) -> Tensor:
    """max(d(a, p) - d(a, n) + margin, 0) per row, d the p-norm distance, as PyTorch's ``F.triplet_margin_loss``:
    pulls each anchor's embedding towards its positive and pushes it from its negative until they differ by the
    margin. ``swap=True`` uses min(d(a, n), d(p, n)) (the harder negative distance). Inputs: (N, D) rows or one
    (D,) triplet.

    >>> triplet_margin_loss(Tensor([[0.0, 0.0]]), Tensor([[0.0, 1.0]]), Tensor([[0.0, 1.5]]), eps=0.0)  # 1 - 1.5 + 1
    Tensor(0.5)
    """
    _check_reduction("triplet_margin_loss", reduction)
    margin = _number("triplet_margin_loss", "margin", margin)
    if _number("triplet_margin_loss", "p", p, 0.0) <= 0:
        raise ValueError(f"triplet_margin_loss: p must be a finite number > 0 (the norm's order), got {p!r}")
    eps = _number("triplet_margin_loss", "eps", eps, 0.0)
    anchor = _as_input("triplet_margin_loss", anchor)
    positive = _target_like("triplet_margin_loss", positive, anchor)
    negative = _target_like("triplet_margin_loss", negative, anchor)
    if anchor.ndim not in (1, 2):
        raise ValueError(
            f"triplet_margin_loss: anchor has shape {anchor.shape}; expected (N, D) rows of embeddings or one (D,) "
            "embedding (flatten the other axes first, e.g. x.reshape(len(x), -1))"
        )
    _same_shape("triplet_margin_loss", anchor, positive)
    _same_shape("triplet_margin_loss", anchor, negative)
    to_positive, to_negative = pairwise_distance(anchor, positive, p, eps), pairwise_distance(anchor, negative, p, eps)
    if swap:
        to_negative = ag.minimum(to_negative, pairwise_distance(positive, negative, p, eps))
    return _reduce("triplet_margin_loss", (to_positive - to_negative + margin).relu(), reduction)


@_drawn_as_one
def triplet_margin_with_distance_loss(
    anchor: TensorLike,
    positive: TensorLike,
    negative: TensorLike,
    *,
    distance_function: Callable[[Tensor, Tensor], Tensor] | None = None,
    margin: float = 1.0,
    swap: bool = False,
    reduction: str = "mean",
) -> Tensor:
    """max(d(a, p) - d(a, n) + margin, 0) for any distance ``distance_function(x1, x2)`` (a Tensor function:
    None is ``pairwise_distance``; ``1 - cosine_similarity`` is the usual other), as PyTorch's
    ``F.triplet_margin_with_distance_loss``; ``swap=True`` uses min(d(a, n), d(p, n)).

    >>> F.triplet_margin_with_distance_loss(Tensor([[1.0, 0.0]]), Tensor([[1.0, 0.1]]), Tensor([[0.0, 1.0]]),
    ...     distance_function=lambda x, y: 1 - F.cosine_similarity(x, y), margin=0.5)   # 0.005 - 1 + 0.5 < 0
    Tensor(0.)
    """
    name = "triplet_margin_with_distance_loss"
    _check_reduction(name, reduction)
    if _number(name, "margin", margin) <= 0:
        raise ValueError(f"{name}: margin must be a number > 0 (how far the negative must be), got {margin!r}")
    if distance_function is not None and not callable(distance_function):
        raise TypeError(
            f"{name}: distance_function must be a function d(x1, x2) of Tensors or None, got {distance_function!r}"
        )
    anchor = _as_input(name, anchor)
    positive, negative = _target_like(name, positive, anchor), _target_like(name, negative, anchor)
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise ValueError(
            f"{name}: anchor {anchor.shape}, positive {positive.shape} and negative {negative.shape} must have the "
            "same number of axes (rows of embeddings, (N, D), or one triplet, (D,))"
        )
    distance = pairwise_distance if distance_function is None else distance_function
    to_positive, to_negative = ag.as_tensor(distance(anchor, positive)), ag.as_tensor(distance(anchor, negative))
    if swap:
        to_negative = ag.minimum(to_negative, ag.as_tensor(distance(positive, negative)))
    return _reduce(name, (to_positive - to_negative + float(margin)).relu(), reduction)


def _signs(function: str, target: Tensor, meaning: str) -> np.ndarray:
    """``target``'s values, which must all be 1 or -1 (``meaning`` says what each stands for)."""
    signs = np.asarray(target.data)
    if not np.isin(signs, (-1.0, 1.0)).all():
        wrong = signs[~np.isin(signs, (-1.0, 1.0))].ravel()[0].item()
        raise ValueError(
            f"{function}: target must hold 1 or -1 ({meaning}), found {wrong!r}; map 0/1 labels with 2 * y - 1"
        )
    return signs


@_drawn_as_one
def cosine_embedding_loss(
    input1: TensorLike, input2: TensorLike, target: TensorLike, margin: float = 0.0, reduction: str = "mean"
) -> Tensor:
    """1 - cos(x1, x2) where target is 1 (pull the pair together), max(0, cos(x1, x2) - margin) where it is -1
    (push it apart), per row of (N, D) inputs (or one (D,) pair with a 0-d target), as PyTorch's
    ``F.cosine_embedding_loss``; cos = x1·x2 / sqrt((|x1|² + 1e-12)(|x2|² + 1e-12)), torch's guard.

    >>> cosine_embedding_loss(Tensor([[1.0, 0.0], [1.0, 0.0]]), Tensor([[0.0, 1.0], [1.0, 1.0]]), [1.0, -1.0])
    Tensor(0.8536)
    """
    function = "cosine_embedding_loss"
    _check_reduction(function, reduction)
    margin = _number(function, "margin", margin)
    x1 = _as_input(function, input1)
    x2 = _target_like(function, input2, x1)
    y = _target_like(function, target, x1)
    _same_shape(function, x1, x2)
    if x1.ndim not in (1, 2) or y.shape != x1.shape[:-1]:
        raise ValueError(
            f"{function}: inputs of shape {x1.shape} with a target of shape {y.shape}; expected (N, D) rows with an "
            "(N,) target of 1 / -1, or one (D,) pair with a 0-d target"
        )
    signs = _signs(function, y, "1: similar pair, -1: dissimilar")
    squares1, squares2 = (x1 * x1).sum(-1) + 1e-12, (x2 * x2).sum(-1) + 1e-12
    cos = (x1 * x2).sum(-1) / (squares1 * squares2).sqrt()
    loss = ag.where(signs == 1, 1 - cos, (cos - margin).relu())
    return _reduce(function, loss, reduction)


@_drawn_as_one
def hinge_embedding_loss(input: TensorLike, target: TensorLike, margin: float = 1.0, reduction: str = "mean") -> Tensor:
    """x where target is 1, max(0, margin - x) where it is -1, elementwise, as PyTorch's
    ``F.hinge_embedding_loss`` (x a distance: small for similar pairs, at least ``margin`` for dissimilar ones).

    >>> hinge_embedding_loss(Tensor([0.3, 0.4]), [1.0, -1.0])       # (0.3 + 0.6) / 2
    Tensor(0.45)
    """
    function = "hinge_embedding_loss"
    _check_reduction(function, reduction)
    margin = _number(function, "margin", margin)
    x = _as_input(function, input)
    y = _target_like(function, target, x)
    _same_shape(function, x, y)
    signs = _signs(function, y, "1: similar pair, -1: dissimilar")
    return _reduce(function, ag.where(signs == 1, x, (margin - x).relu()), reduction)


@_drawn_as_one
def soft_margin_loss(input: TensorLike, target: TensorLike, reduction: str = "mean") -> Tensor:
    """log(1 + exp(-y x)), elementwise, for targets y of 1 or -1 (a two-class logistic loss), as PyTorch's
    ``F.soft_margin_loss``; computed as softplus, so exp never overflows.

    >>> soft_margin_loss(Tensor([0.0, 1000.0]), [1.0, 1.0])      # (log 2 + 0) / 2
    Tensor(0.3466)
    """
    function = "soft_margin_loss"
    _check_reduction(function, reduction)
    x = _as_input(function, input)
    y = _target_like(function, target, x)
    _same_shape(function, x, y)
    _signs(function, y, "the two classes")
    z = -y * x  # softplus(z) = relu(z) + log(1 + exp(-|z|)): finite for any z
    return _reduce(function, z.relu() + (1 + (-z.abs()).exp()).log(), reduction)


__all__ = ["margin_ranking_loss", "triplet_margin_loss", "cosine_embedding_loss", "hinge_embedding_loss"]
__all__ += ["soft_margin_loss"]
