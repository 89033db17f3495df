"""The margin (contrastive) losses, as ``torch.nn.functional`` spells them: ``margin_ranking_loss`` and
``triplet_margin_loss`` (re-exported by ``nn.functional``; the modules are in losses.py).

They train an order, not a value: the loss is zero once the right score (or distance) beats the wrong one by the
margin, so only the triplets still on the wrong side push the weights. Fleuret's *Little Book of Deep Learning*
(3.1) writes its contrastive loss for triplets (x_a, x_b, x_c) with y_a = y_b != y_c as
max(0, 1 - f(x_a, x_c) + f(x_a, x_b)): ``margin_ranking_loss(f(x_a, x_c), f(x_a, x_b), 1, margin=1)``.
Composed from Tensor ops (``relu`` is max(0, .)): the engine derives the gradients.
"""

from __future__ import annotations

import math
import numbers

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


__all__ = ["margin_ranking_loss", "triplet_margin_loss"]
