"""Loss modules with ``torch.nn``'s names and arguments, thin wrappers over ``nn.functional``.

Each is a ``Module``: build it once with its options, call it as ``loss_fn(output, target)``.
``reduction`` is "mean" (default), "sum" or "none" (one loss per element or row). Values
and gradients equal torch.nn's (``tests/test_nn_losses.py``).

>>> model = nn.Linear(2, 3, seed=0)
>>> X, y = np.array([[1.0, 2.0], [0.5, -1.0]]), np.array([2, 0])
>>> loss_fn = CrossEntropyLoss(label_smoothing=0.1)
>>> loss = loss_fn(model(X), y); loss.backward()
>>> loss
Tensor(0.5855, op=div)
"""

from __future__ import annotations

from autograd_core import Tensor
from autograd_core.types import ArrayLike, TensorLike

from . import functional as F
from .loss_parts import _elementwise_weight
from .module import Module


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        F._check_reduction(type(self).__name__, reduction)
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}" if self.reduction != "mean" else ""


class MSELoss(_Loss):
    """mean((input - target)**2): ``MSELoss()(prediction, target)``."""

    def forward(self, input: TensorLike, target: TensorLike) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """mean(|input - target|): ``L1Loss()(prediction, target)``."""

    def forward(self, input: TensorLike, target: TensorLike) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)


class HuberLoss(_Loss):
    """Quadratic within ``delta`` of the target, linear beyond: ``HuberLoss(delta=1.0)(prediction, target)``."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        F.huber_loss(Tensor([0.0]), Tensor([0.0]), delta=delta)  # checks delta now, not at the first call
        self.delta = float(delta)

    def forward(self, input: TensorLike, target: TensorLike) -> Tensor:
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class SmoothL1Loss(_Loss):
    """PyTorch's smooth L1: quadratic (0.5 d**2 / beta) within ``beta`` of the target, linear beyond:
    ``SmoothL1Loss(beta=1.0)(prediction, target)``."""

    def __init__(self, reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(reduction)
        F.smooth_l1_loss(Tensor([0.0]), Tensor([0.0]), beta=beta)  # checks beta now, not at the first call
        self.beta = float(beta)

    def forward(self, input: TensorLike, target: TensorLike) -> Tensor:
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class KLDivLoss(Module):
    """KL divergence of ``F.kl_div``: ``KLDivLoss(reduction="batchmean")(log_probs, target_probs)``, as in
    knowledge distillation; ``log_target=True`` for a target given as log-probabilities.

    >>> KLDivLoss(reduction="batchmean")(Tensor([[0.5, 0.5]]).log(), [[0.5, 0.5]])   # the same: no divergence
    Tensor(0.)
    """

    def __init__(self, reduction: str = "mean", log_target: bool = False) -> None:
        super().__init__()
        if reduction != "batchmean":
            F._check_reduction("KLDivLoss", reduction)
        self.reduction, self.log_target = reduction, bool(log_target)

    def forward(self, input: TensorLike, target: TensorLike) -> Tensor:
        return F.kl_div(input, target, self.reduction, self.log_target)


class BCELoss(_Loss):
    """Binary cross-entropy of probabilities (after a sigmoid), with an optional elementwise ``weight``:
    ``BCELoss()(model(X).sigmoid(), y)``. Prefer ``BCEWithLogitsLoss`` on raw scores."""

    def __init__(self, weight: TensorLike | None = None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.weight = _elementwise_weight("BCELoss", weight)

    def forward(self, input: TensorLike, target: TensorLike) -> Tensor:
        return F.binary_cross_entropy(input, target, self.reduction, weight=self.weight)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of sigmoid(input), computed stably from the logits. ``pos_weight``
    (one per class, broadcast over rows) multiplies the positive terms, trading recall for
    precision: -(pos_weight * t * log sigmoid(x) + (1 - t) * log sigmoid(-x)).

    >>> logits, y = Tensor([[2.0], [-1.0]]), np.array([[1.0], [1.0]])
    >>> BCEWithLogitsLoss(pos_weight=np.array([3.0]))(logits, y)
        Tensor(2.1603)
    """

    def __init__(
        self, weight: TensorLike | None = None, reduction: str = "mean", pos_weight: TensorLike | None = None
    ) -> None:
        super().__init__(reduction)
        self.weight = _elementwise_weight("BCEWithLogitsLoss", weight)
        self.pos_weight = _elementwise_weight("BCEWithLogitsLoss (pos_weight)", pos_weight)

    def forward(self, input: TensorLike, target: TensorLike) -> Tensor:
        return F.binary_cross_entropy_with_logits(
            input, target, self.reduction, weight=self.weight, pos_weight=self.pos_weight
        )


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy of logits (N, K) against class indices (N,) or probabilities (N, K),
    with PyTorch's ``weight`` (per class; the mean divides by the targets' summed weights),
    ``ignore_index`` and ``label_smoothing``.

    >>> loss_fn = CrossEntropyLoss(weight=np.array([1.0, 3.0]), ignore_index=-1)
    >>> loss_fn(Tensor([[2.0, 0.0], [0.0, 2.0], [1.0, 1.0]]), np.array([0, 1, -1]))   # row 3 is ignored
    Tensor(0.1269)
    """

    def __init__(
        self,
        weight: ArrayLike | None = None,
        ignore_index: int = -100,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(reduction)
        self.weight = weight
        self.ignore_index = int(ignore_index)
        if not (isinstance(label_smoothing, (int, float)) and 0 <= label_smoothing <= 1):
            raise ValueError(f"CrossEntropyLoss: label_smoothing must be in [0, 1], got {label_smoothing!r}")
        self.label_smoothing = float(label_smoothing)

    def forward(self, input: TensorLike, target: TensorLike) -> Tensor:
        return F.cross_entropy(
            input,
            target,
            reduction=self.reduction,
            weight=self.weight,
            ignore_index=self.ignore_index,
            label_smoothing=self.label_smoothing,
        )


class NLLLoss(_Loss):
    """Negative log-likelihood of log-probabilities (e.g. ``LogSoftmax(dim=1)``'s output) at class
    indices, with ``weight`` and ``ignore_index``: ``NLLLoss()(log_probs, y)``."""

    def __init__(self, weight: ArrayLike | None = None, ignore_index: int = -100, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.weight, self.ignore_index = weight, int(ignore_index)

    def forward(self, input: TensorLike, target: TensorLike) -> Tensor:
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index, reduction=self.reduction)


class MarginRankingLoss(_Loss):
    """max(0, -target * (input1 - input2) + margin) of ``F.margin_ranking_loss``: ``MarginRankingLoss(margin=1.0)
    (score_right, score_wrong, ones)`` is zero once the right score leads by the margin.

    >>> MarginRankingLoss(margin=1.0)(Tensor([2.0, 0.5]), Tensor([1.0, 1.0]), [1.0, 1.0])
    Tensor(0.75)
    """

    def __init__(self, margin: float = 0.0, reduction: str = "mean") -> None:
        super().__init__(reduction)
        F.margin_ranking_loss(Tensor([0.0]), Tensor([0.0]), [1.0], margin=margin)  # checks margin now
        self.margin = float(margin)

    def forward(self, input1: TensorLike, input2: TensorLike, target: TensorLike) -> Tensor:
        return F.margin_ranking_loss(input1, input2, target, margin=self.margin, reduction=self.reduction)


class TripletMarginLoss(_Loss):
    """max(d(a, p) - d(a, n) + margin, 0) of ``F.triplet_margin_loss``, d the p-norm distance between rows of
    embeddings: ``TripletMarginLoss(margin=1.0)(anchor, positive, negative)``.

    >>> TripletMarginLoss(eps=0.0)(Tensor([[0.0, 0.0]]), Tensor([[0.0, 1.0]]), Tensor([[0.0, 1.5]]))
    Tensor(0.5)
    """

    def __init__(
        self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6, swap: bool = False, reduction: str = "mean"
    ) -> None:
        super().__init__(reduction)
        F.triplet_margin_loss(Tensor([0.0]), Tensor([0.0]), Tensor([0.0]), margin, p, eps)  # checks them now
        self.margin, self.p, self.eps, self.swap = float(margin), float(p), float(eps), bool(swap)

    def forward(self, anchor: TensorLike, positive: TensorLike, negative: TensorLike) -> Tensor:
        return F.triplet_margin_loss(
            anchor, positive, negative, self.margin, self.p, self.eps, self.swap, reduction=self.reduction
        )


__all__ = [
    "MSELoss",
    "L1Loss",
    "HuberLoss",
    "SmoothL1Loss",
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "NLLLoss",
    "MarginRankingLoss",
    "TripletMarginLoss",
]
