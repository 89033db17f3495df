"""More loss modules with ``torch.nn``'s names and arguments, thin wrappers over ``nn.functional``:
the likelihoods (``PoissonNLLLoss``, ``GaussianNLLLoss``), the embedding losses (``CosineEmbeddingLoss``,
``HingeEmbeddingLoss``, ``SoftMarginLoss``) and the multi-class / multi-label hinges (``MultiMarginLoss``,
``MultiLabelMarginLoss``, ``MultiLabelSoftMarginLoss``), ``CTCLoss`` and ``TripletMarginWithDistanceLoss``.
Each checks its options when built.

>>> MultiMarginLoss()(Tensor([[0.1, 0.2, 0.4, 0.8]]), np.array([3]))
Tensor(0.325)
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from autograd_core import Tensor
from autograd_core.types import ArrayLike, TensorLike

from . import functional as F
from .loss_parts import _elementwise_weight
from .losses import NLLLoss, _Loss
from .margin_losses import _number
from .pairwise import PairwiseDistance


class PoissonNLLLoss(_Loss):
    """The Poisson negative log-likelihood of counts: ``F.poisson_nll_loss``.

    >>> PoissonNLLLoss()(Tensor([0.0]), [2.0])
    Tensor(1.)
    """

    def __init__(self, log_input: bool = True, full: bool = False, eps: float = 1e-8, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.log_input, self.full = bool(log_input), bool(full)
        self.eps = _number("PoissonNLLLoss", "eps", eps, 0.0)

    def forward(self, log_input: TensorLike, target: TensorLike) -> Tensor:
        return F.poisson_nll_loss(log_input, target, self.log_input, self.full, eps=self.eps, reduction=self.reduction)


class GaussianNLLLoss(_Loss):
    """The Gaussian negative log-likelihood of a predicted mean and variance: ``F.gaussian_nll_loss``,
    called as ``loss_fn(input, target, var)``.

    >>> GaussianNLLLoss()(Tensor([1.0]), [3.0], Tensor([2.0]))
    Tensor(1.3466)
    """

    def __init__(self, full: bool = False, eps: float = 1e-6, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.full, self.eps = bool(full), _number("GaussianNLLLoss", "eps", eps, 0.0)

    def forward(self, input: TensorLike, target: TensorLike, var: TensorLike | float) -> Tensor:
        return F.gaussian_nll_loss(input, target, var, self.full, self.eps, self.reduction)


class CosineEmbeddingLoss(_Loss):
    """1 - cos for similar pairs (target 1), max(0, cos - margin) for dissimilar ones (-1):
    ``F.cosine_embedding_loss``.

    >>> CosineEmbeddingLoss()(Tensor([[1.0, 0.0]]), Tensor([[1.0, 0.0]]), [1.0])
    Tensor(0.)
    """

    def __init__(self, margin: float = 0.0, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.margin = _number("CosineEmbeddingLoss", "margin", margin)

    def forward(self, input1: TensorLike, input2: TensorLike, target: TensorLike) -> Tensor:
        return F.cosine_embedding_loss(input1, input2, target, self.margin, self.reduction)


class HingeEmbeddingLoss(_Loss):
    """x for similar pairs (target 1), max(0, margin - x) for dissimilar ones (-1): ``F.hinge_embedding_loss``.

    >>> HingeEmbeddingLoss()(Tensor([0.3, 0.4]), [1.0, -1.0])
    Tensor(0.45)
    """

    def __init__(self, margin: float = 1.0, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.margin = _number("HingeEmbeddingLoss", "margin", margin)

    def forward(self, input: TensorLike, target: TensorLike) -> Tensor:
        return F.hinge_embedding_loss(input, target, self.margin, self.reduction)


class SoftMarginLoss(_Loss):
    """log(1 + exp(-y x)) for targets of ±1: ``F.soft_margin_loss``.

    >>> SoftMarginLoss()(Tensor([0.0]), [1.0])
    Tensor(0.6931)
    """

    def forward(self, input: TensorLike, target: TensorLike) -> Tensor:
        return F.soft_margin_loss(input, target, self.reduction)


class MultiMarginLoss(_Loss):
    """The multi-class hinge loss with ``p`` (1 or 2), ``margin`` and a per-class ``weight``: ``F.multi_margin_loss``.

    >>> MultiMarginLoss(p=2)(Tensor([[0.1, 0.2, 0.4, 0.8]]), np.array([3]))   # (0.09 + 0.16 + 0.36) / 4
    Tensor(0.1525)
    """

    def __init__(
        self, p: int = 1, margin: float = 1.0, weight: TensorLike | None = None, reduction: str = "mean"
    ) -> None:
        super().__init__(reduction)
        if p not in (1, 2) or isinstance(p, bool):
            raise ValueError(f"MultiMarginLoss: p must be 1 or 2 (a hinge or a squared hinge), got {p!r}")
        self.p, self.margin = int(p), _number("MultiMarginLoss", "margin", margin)
        self.weight = _elementwise_weight("MultiMarginLoss", weight)

    def forward(self, input: TensorLike, target: TensorLike) -> Tensor:
        return F.multi_margin_loss(input, target, self.p, self.margin, self.weight, self.reduction)


class MultiLabelMarginLoss(_Loss):
    """The multi-label hinge loss, targets listing each row's classes up to the first -1:
    ``F.multilabel_margin_loss``.

    >>> MultiLabelMarginLoss()(Tensor([[0.1, 0.2, 0.4, 0.8]]), np.array([[3, 0, -1, 1]]))
    Tensor(0.85)
    """

    def forward(self, input: TensorLike, target: TensorLike) -> Tensor:
        return F.multilabel_margin_loss(input, target, self.reduction)


class MultiLabelSoftMarginLoss(_Loss):
    """The per-class binary cross-entropy on logits, averaged over classes, with a per-class ``weight``:
    ``F.multilabel_soft_margin_loss``.

    >>> MultiLabelSoftMarginLoss()(Tensor([[0.0, 0.0]]), [[1.0, 0.0]])
    Tensor(0.6931)
    """

    def __init__(self, weight: TensorLike | None = None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.weight = _elementwise_weight("MultiLabelSoftMarginLoss", weight)

    def forward(self, input: TensorLike, target: TensorLike) -> Tensor:
        return F.multilabel_soft_margin_loss(input, target, self.weight, self.reduction)


__all__ = ["PoissonNLLLoss", "GaussianNLLLoss", "CosineEmbeddingLoss", "HingeEmbeddingLoss", "SoftMarginLoss"]
__all__ += ["MultiMarginLoss", "MultiLabelMarginLoss", "MultiLabelSoftMarginLoss"]


class CTCLoss(_Loss):
    """The connectionist temporal classification loss: ``F.ctc_loss``, called as
    ``loss_fn(log_probs, targets, input_lengths, target_lengths)``.

    >>> CTCLoss(reduction="sum")(ag.log(Tensor([[[0.5, 0.5]]])), [[1]], [1], [1])
    Tensor(0.6931)
    """

    def __init__(self, blank: int = 0, reduction: str = "mean", zero_infinity: bool = False) -> None:
        super().__init__(reduction)
        if isinstance(blank, bool) or not isinstance(blank, int) or blank < 0:
            raise ValueError(f"CTCLoss: blank must be a class index >= 0, got {blank!r}")
        self.blank, self.zero_infinity = blank, bool(zero_infinity)

    def forward(self, log_probs: TensorLike, targets, input_lengths, target_lengths) -> Tensor:
        return F.ctc_loss(
            log_probs, targets, input_lengths, target_lengths, self.blank, self.reduction, self.zero_infinity
        )

    def extra_repr(self) -> str:
        return f"blank={self.blank}" + (f", reduction={self.reduction!r}" if self.reduction != "mean" else "")


class TripletMarginWithDistanceLoss(_Loss):
    """max(d(a, p) - d(a, n) + margin, 0) for a distance function of your choice:
    ``F.triplet_margin_with_distance_loss``, as PyTorch's (keyword arguments only). The default distance is an
    ``nn.PairwiseDistance()`` sub-module, as torch's (a Module given is one too).

    >>> loss_fn = TripletMarginWithDistanceLoss(distance_function=lambda x, y: (x - y).abs().sum(-1))
    >>> loss_fn(Tensor([[0.0, 0.0]]), Tensor([[0.0, 1.0]]), Tensor([[0.0, 1.5]]))     # 1 - 1.5 + 1
    Tensor(0.5)
    """

    def __init__(
        self,
        *,
        distance_function: Callable[[Tensor, Tensor], Tensor] | None = None,
        margin: float = 1.0,
        swap: bool = False,
        reduction: str = "mean",
    ) -> None:
        super().__init__(reduction)
        if distance_function is not None and not callable(distance_function):
            raise TypeError(
                "TripletMarginWithDistanceLoss: distance_function must be a function d(x1, x2) of Tensors or None, "
                f"got {distance_function!r}"
            )
        if _number("TripletMarginWithDistanceLoss", "margin", margin) <= 0:
            raise ValueError(f"TripletMarginWithDistanceLoss: margin must be a number > 0, got {margin!r}")
        self.distance_function = distance_function if distance_function is not None else PairwiseDistance()
        self.margin, self.swap = float(margin), bool(swap)

    def forward(self, anchor: TensorLike, positive: TensorLike, negative: TensorLike) -> Tensor:
        return F.triplet_margin_with_distance_loss(
            anchor,
            positive,
            negative,
            distance_function=self.distance_function,
            margin=self.margin,
            swap=self.swap,
            reduction=self.reduction,
        )


class NLLLoss2d(NLLLoss):
    """torch's deprecated ``nn.NLLLoss2d(weight=None, ignore_index=-100, reduction="mean")``: ``NLLLoss`` itself
    (which takes (N, C, H, W) log-probabilities with (N, H, W) targets already), with torch's FutureWarning.

    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore"); loss_fn = NLLLoss2d(reduction="sum")
    >>> loss_fn(np.log(np.full((1, 2, 2, 2), 0.5)), np.zeros((1, 2, 2), int))   # 4 pixels, each -log 0.5
    Tensor(2.7726)
    """

    def __init__(self, weight: ArrayLike | None = None, ignore_index: int = -100, reduction: str = "mean") -> None:
        warnings.warn(
            "`NLLLoss2d` has been deprecated. Please use `NLLLoss` instead as a drop-in replacement and see "
            "https://pytorch.org/docs/main/nn.html#torch.nn.NLLLoss for more details.",
            FutureWarning,
            stacklevel=2,
        )
        super().__init__(weight, ignore_index, reduction)

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        weight = None if self.weight is None else np.asarray(getattr(self.weight, "data", self.weight), float).tolist()
        return {"weight": weight, "ignore_index": self.ignore_index, "reduction": self.reduction}
