"""Losses, penalties, activations and ``linear`` as functions (``import nn.functional as F``); the
activations, softmax family and ``linear`` live in activations.py, re-exported here.

Every loss is composed from Tensor ops, so the engine derives its gradient; the
values and gradients equal ``torch.nn.functional``'s. Shapes are checked strictly:
an (N,) prediction against an (N, 1) target raises instead of broadcasting to an
N x N loss (the classic silent bug).

Why softmax + cross-entropy are good friends: d/dz of -log softmax(z)[l] is
softmax(z) - e_l = y_hat - e_l, the delta rule's output error.
"""

from __future__ import annotations

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.types import TensorLike

from .activations import (  # F.relu, ...
    cosine_similarity,
    dropout,
    dropout2d,
    elu,
    gelu,
    hardsigmoid,
    hardswish,
    hardtanh,
    leaky_relu,
    linear,
    log_softmax,
    logsigmoid,
    mish,
    normalize,
    pad,
    pairwise_distance,
    prelu,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    softmax,
    softmin,
    softplus,
    tanh,
)
from .attention import scaled_dot_product_attention  # F.scaled_dot_product_attention
from .conv import avg_pool2d, conv2d, fold, max_pool2d, unfold  # F.conv2d, ...: composed on ag.unfold (im2col)
from .conv_more import adaptive_avg_pool2d, adaptive_max_pool2d, conv1d  # composed on conv.py's
from .conv_transpose import conv_transpose2d  # F.conv_transpose2d: conv2d's adjoint, on ag.fold
from .functional_nd import *  # noqa: F403  (F.conv3d, F.max_pool3d, ...: the 1-d / 3-d family, its __all__)
from .functional_nd import __all__ as _ND_NAMES
from .labels import class_indices, convert_hint, one_hot  # F.class_indices: nn.fit checks its labels with it too
from .loss_parts import (  # the checks and reductions every loss shares (nn.losses' classes use them too)
    _as_input,
    _check_reduction,
    _check_weight_fits,
    _class_weights,
    _classes_last,
    _difference,
    _drawn_as_one,
    _elementwise_weight,
    _one_example,
    _reduce,
    _rows,
    _same_shape,
    _target_like,
    _weighted,
    _weighted_nll,
)
from .margin_losses import margin_ranking_loss, triplet_margin_loss  # F.margin_ranking_loss: the contrastive losses
from .norm_functions import batch_norm, group_norm, layer_norm  # F.batch_norm, ...: the normalisation layers' formulas
from .penalties import l1_penalty, l2_penalty  # F.l1_penalty, as the tutorials write it
from .pool1d import avg_pool1d, max_pool1d  # the 2-d pools on rows one high
from .random_activations import alpha_dropout, feature_alpha_dropout, rrelu  # SELU's dropout, randomised slopes

# isort: split
# ---- torch's further nn.functional names (one block: glu and the shrinks, more losses, resampling, embedding)
from .ctc import ctc_loss  # F.ctc_loss: the forward recursion in log space, composed
from .embedding_functions import embedding, embedding_bag  # F.embedding: indexing, with torch's max_norm
from .likelihood_losses import gaussian_nll_loss, kl_div, poisson_nll_loss  # the likelihoods and kl_div
from .margin_losses import cosine_embedding_loss, hinge_embedding_loss, soft_margin_loss
from .multilabel_losses import multi_margin_loss, multilabel_margin_loss, multilabel_soft_margin_loss
from .resample import interpolate, max_unpool2d, pixel_shuffle, pixel_unshuffle
from .shrink_activations import glu, hardshrink, softshrink, softsign, tanhshrink
from .spatial_sampling import affine_grid, grid_sample  # the spatial transformer's grid and its sampler

# isort: split
# ---- and more: instance/RMS/LRN norms, pairs (bilinear, pdist), gumbel_softmax, the in-place activations (F.relu_)
from .activations import celu
from .inplace_activations import celu_, elu_, hardtanh_, leaky_relu_, relu_, rrelu_, selu_, threshold_
from .margin_losses import triplet_margin_with_distance_loss
from .norm_functions import instance_norm, local_response_norm, rms_norm
from .pairwise import bilinear, pdist
from .random_activations import gumbel_softmax
from .resample import channel_shuffle, native_channel_shuffle, upsample, upsample_bilinear, upsample_nearest
from .shrink_activations import threshold

# cross_entropy's primitives and axes, looked up once (it runs every step): the sum's own
# primitive skips Tensor.sum's axis normalisation, 0.3 us on the small MLP's step
_MAX_SHIFT, _SUM, _GETITEM, _ROWWISE = ag.PRIMITIVES["max_shift"], ag.PRIMITIVES["sum"], ag.PRIMITIVES["getitem"], (1,)
_LOG_FLOOR = float(np.exp(-100.0))  # PyTorch clamps log(p) at -100 in binary_cross_entropy


# ---------------------------------------------------------------------------------- losses
@_drawn_as_one
def mse_loss(input: TensorLike, target: TensorLike, reduction: str = "mean") -> Tensor:
    """Mean squared error: mean((input - target)**2) (or "sum", or "none" for per-element).

    The textbook's E = 1/2 sum (y - t)**2 is ``0.5 * mse_loss(y, t, reduction="sum")``.

    >>> mse_loss(Tensor([1.0, 2.0]), [1.0, 4.0])
    Tensor(2.)
    """
    d = _difference("mse_loss", input, target, reduction)
    return _reduce("mse_loss", d**2, reduction)


@_drawn_as_one
def binary_cross_entropy(
    input: TensorLike, target: TensorLike, reduction: str = "mean", *, weight: TensorLike | None = None
) -> Tensor:
    """-(t log p + (1 - t) log(1 - p)) for probabilities ``input`` in [0, 1], times ``weight`` (elementwise).

    Each log is floored at -100, as in PyTorch, so p = 0 or 1 gives a finite loss. A value
    outside [0, 1] raises; a NaN input gives a NaN loss (a diverged model), a NaN target raises.
    Prefer ``binary_cross_entropy_with_logits`` on raw scores: it is exact for any logit.

    >>> binary_cross_entropy(Tensor([0.5]), [1.0])      # log 2
    Tensor(0.6931)
    """
    _check_reduction("binary_cross_entropy", reduction)
    input = _as_input("binary_cross_entropy", input)
    target = _target_like("binary_cross_entropy", target, input)
    _same_shape("binary_cross_entropy", input, target)
    for name, values in (("input", input.data), ("target", target.data)):
        # A NaN probability is a diverged model, not a wrong kind of input: let it give a NaN loss
        # (as every other loss does) so that nn.fit reports the epoch and step where it happened.
        bad = (values < 0) | (values > 1) if name == "input" else ~((values >= 0) & (values <= 1))
        if bad.any():
            index = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(
                f"binary_cross_entropy: every {name} value must be in [0, 1], found "
                f"{values[index].item()} at index {index}"
                + (
                    "; the input must be probabilities: apply sigmoid first, or use "
                    "binary_cross_entropy_with_logits on raw scores"
                    if name == "input"
                    else ""
                )
            )
    # max(p, e^-100) before the log gives max(log p, -100) and a zero (not NaN) gradient at p = 0.
    log_p = input.maximum(_LOG_FLOOR).log()
    log_not_p = (1 - input).maximum(_LOG_FLOOR).log()
    loss = -(target * log_p + (1 - target) * log_not_p)
    return _weighted("binary_cross_entropy", loss, _elementwise_weight("binary_cross_entropy", weight), reduction)


@_drawn_as_one
def binary_cross_entropy_with_logits(
    input: TensorLike,
    target: TensorLike,
    reduction: str = "mean",
    *,
    weight: TensorLike | None = None,
    pos_weight: TensorLike | None = None,
) -> Tensor:
    """Binary cross-entropy of sigmoid(input) against ``target``, computed from the logits; ``weight``
    multiplies each term, ``pos_weight`` (one per class) the positive ones, as PyTorch's.

    Written as max(x, 0) - x*t + log(1 + exp(-|x|)): exp never overflows, so the loss and
    its gradient sigmoid(x) - t stay finite and exact for logits of +-1000. A NaN input
    gives a NaN loss (a diverged model); a NaN or infinite target raises.

    >>> binary_cross_entropy_with_logits(Tensor([1000.0, -1000.0]), [1.0, 0.0])
    Tensor(0.)
    """
    _check_reduction("binary_cross_entropy_with_logits", reduction)
    input = _as_input("binary_cross_entropy_with_logits", input)
    target = _target_like("binary_cross_entropy_with_logits", target, input)
    _same_shape("binary_cross_entropy_with_logits", input, target)
    bad = ~np.isfinite(target.data)  # a broken label, not a diverged model: refuse it as binary_cross_entropy does
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"binary_cross_entropy_with_logits: every target value must be finite, found "
            f"{target.data[index].item()} at index {index}; targets are probabilities (0 or 1 "
            "for hard labels)"
        )
    softplus_of_minus_abs = (1 + (-input.abs()).exp()).log()
    positive = _elementwise_weight("binary_cross_entropy_with_logits (pos_weight)", pos_weight)
    if positive is None:
        loss = input.relu() - input * target + softplus_of_minus_abs
    else:  # -(pos_weight t log sigmoid(x) + (1 - t) log sigmoid(-x)), each log finite at +-1000
        _check_weight_fits("binary_cross_entropy_with_logits", "pos_weight", positive, input.shape)
        log_sigmoid = -((-input).relu() + softplus_of_minus_abs)
        log_sigmoid_minus = -(input.relu() + softplus_of_minus_abs)
        loss = -(target * positive.astype(input.dtype) * log_sigmoid + (1 - target) * log_sigmoid_minus)
    weight = _elementwise_weight("binary_cross_entropy_with_logits", weight)
    return _weighted("binary_cross_entropy_with_logits", loss, weight, reduction)


# What to write for one example (a 0-d input is no class scores at all)
_NK_HINT = "one example's scores are (K,), with a class index of shape ()"


@_drawn_as_one
def cross_entropy(
    input: TensorLike,
    target: TensorLike,
    reduction: str = "mean",
    weight: TensorLike | None = None,
    ignore_index: int = -100,
    label_smoothing: float = 0.0,
) -> Tensor:
    """Softmax cross-entropy of logits ``input`` (N, K) against ``target``: integer class
    indices (N,) in 0..K-1, or probabilities / one-hot rows (N, K). PyTorch's (N, K, d1, ...)
    logits (the classes in dim 1, e.g. a sequence's (B, K, T)) take (N, d1, ...) indices: every
    position is one more row, and reduction="none" gives (N, d1, ...). One example's logits (K,) take a
    class index of shape () or probabilities (K,), as PyTorch's unbatched input: the loss of that row.

    -log_softmax(input)[n, target[n]], averaged over n for reduction="mean". Its gradient
    with respect to the logits is (softmax(input) - onehot(target)) / N. As in PyTorch:
    ``weight`` (K,) scales each class's terms (the mean divides by the summed weights of
    the targets), rows whose label is ``ignore_index`` count for nothing, and
    ``label_smoothing`` = eps mixes the target with the uniform distribution (1-eps, eps/K).

    >>> cross_entropy(Tensor([[2.0, 0.0, 0.0]]), np.array([0]))
    Tensor(0.2395)
    >>> cross_entropy(Tensor([[[2.0, 2.0], [0.0, 0.0], [0.0, 0.0]]]), np.array([[0, 0]]))  # (1, 3, 2)
    Tensor(0.2395)
    >>> cross_entropy(Tensor([2.0, 0.0, 0.0]), Tensor([1.0, 0.0, 0.0]))  # one example, a one-hot y
    Tensor(0.2395)
    """
    _check_reduction("cross_entropy", reduction)
    input = _as_input("cross_entropy", input)
    if input.ndim == 1 or input.ndim > 2:  # one example's (K,) scores, or PyTorch's (N, K, d1, ...)
        shaped_as_rows = _one_example if input.ndim == 1 else _classes_last
        rows, row_targets, unreduced = shaped_as_rows("cross_entropy", input, target)
        loss = _cross_entropy_rows(rows, row_targets, reduction, weight, ignore_index, label_smoothing)
        return loss.reshape(unreduced) if reduction == "none" else loss
    return _cross_entropy_rows(input, target, reduction, weight, ignore_index, label_smoothing)


def _cross_entropy_rows(
    input: Tensor,
    target: TensorLike,
    reduction: str,
    weight: TensorLike | None,
    ignore_index: int,
    label_smoothing: float,
) -> Tensor:
    if input.ndim != 2:
        raise ValueError(f"cross_entropy: input must be logits of shape (N, K), got shape {input.shape}; {_NK_HINT}")
    n, k = input.shape
    if not (isinstance(label_smoothing, (int, float)) and 0 <= label_smoothing <= 1):
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing!r}")
    if weight is not None:
        weight = _class_weights("cross_entropy", weight, k, input.dtype)
    # An integer label array (the training loop's case) is read as it is, not through np.asarray.
    kind = target.dtype.kind if type(target) is np.ndarray else np.asarray(target).dtype.kind
    is_probabilities = kind == "f"
    labels = None
    if weight is None and ignore_index == -100 and not label_smoothing and not is_probabilities and input.size:
        try:
            labels = class_indices("cross_entropy", target, n, k)
        except ValueError:  # out of range: perhaps rows labelled -100, the default ignore_index, which the
            labels = None  # general path drops (and names any other bad label, or a wrong shape)
    if labels is not None:
        # The common case as logsumexp(x) - x[label], both shifted by the row max: one recorded op
        # fewer than -log_softmax(x)[label] (no negation), with the same floats: -(a - b) is b - a
        # exactly (a zero loss is now +0.0, was -0.0), and the gradient is the same sum of the
        # same two terms (tests/test_nn_functional.py checks it bit for bit).
        shift = Tensor.apply(_MAX_SHIFT, input, axes=_ROWWISE)  # the row max, as log_softmax's
        shift.requires_grad = False  # a constant for backward (it cancels), still recorded for compile
        shifted = input - shift
        log_sum_exp = Tensor.apply(_SUM, shifted.exp(), axes=_ROWWISE, keepdims=False).log()  # .sum(axis=1)
        # shifted[rows, labels], each element at most once (one per row): its vjp assigns, no np.add.at
        picked = Tensor.apply(_GETITEM, shifted, index=(_rows(n), labels), unique_indices=True)
        losses = log_sum_exp - picked
        return losses.sum() / n if reduction == "mean" else _reduce("cross_entropy", losses, reduction)
    log_probs = input.log_softmax(axis=1)
    if is_probabilities:
        target = _target_like("cross_entropy", target, input)
        if target.shape != input.shape:
            raise ValueError(
                f"cross_entropy: probability targets must have the logits' shape {input.shape}, "
                f"got {target.shape}; class indices must be an integer array of shape ({n},)"
                + ("; " + convert_hint(target.data, n, k) if target.shape == (n,) else "")
            )
        if label_smoothing:
            target = target * (1 - label_smoothing) + label_smoothing / k
        terms = target * log_probs if weight is None else target * log_probs * weight
        return _reduce("cross_entropy", -terms.sum(axis=1), reduction)
    return _weighted_nll("cross_entropy", log_probs, target, weight, ignore_index, reduction, label_smoothing)


@_drawn_as_one
def nll_loss(
    input: TensorLike,
    target: TensorLike,
    weight: TensorLike | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of log-probabilities ``input`` (N, K) (e.g. from log_softmax) at the
    class indices ``target`` (N,): -input[n, target[n]], with PyTorch's ``weight`` and ``ignore_index``;
    one example's (K,) takes an index of shape (), as cross_entropy.

    >>> nll_loss(Tensor([[-0.1, -2.4]]), np.array([0]))
    Tensor(0.1)
    >>> nll_loss(Tensor([-0.1, -2.4]), np.array(0))
    Tensor(0.1)
    """
    _check_reduction("nll_loss", reduction)
    input = _as_input("nll_loss", input)
    unreduced = None
    if input.ndim == 1 or input.ndim > 2:  # one example's (K,), or PyTorch's (N, K, d1, ...), as cross_entropy's
        input, target, unreduced = (_one_example if input.ndim == 1 else _classes_last)("nll_loss", input, target)
    if input.ndim != 2:
        raise ValueError(
            f"nll_loss: input must be log-probabilities of shape (N, K), got shape {input.shape}; {_NK_HINT}"
        )
    weight = _class_weights("nll_loss", weight, input.shape[1], input.dtype)
    loss = _weighted_nll("nll_loss", input, target, weight, ignore_index, reduction, 0.0)
    return loss.reshape(unreduced) if unreduced is not None and reduction == "none" else loss


@_drawn_as_one
def l1_loss(input: TensorLike, target: TensorLike, reduction: str = "mean") -> Tensor:
    """Mean absolute error: mean(|input - target|) (gradient sign(input - target), 0 at a tie).

    >>> l1_loss(Tensor([1.0, 2.0]), [1.0, 4.0])
    Tensor(1.)
    """
    d = _difference("l1_loss", input, target, reduction)
    return _reduce("l1_loss", d.abs(), reduction)


def _huber(d: Tensor, delta: float) -> Tensor:
    quadratic = np.abs(np.asarray(d.data)) < delta
    return ag.where(quadratic, 0.5 * d * d, delta * (d.abs() - 0.5 * delta))


@_drawn_as_one
def huber_loss(input: TensorLike, target: TensorLike, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """0.5 d**2 where |d| < delta, else delta * (|d| - 0.5 delta), for d = input - target: quadratic
    near 0, linear (robust to outliers) beyond delta.

    >>> huber_loss(Tensor([0.5, 3.0]), [0.0, 0.0])      # (0.125 + 2.5) / 2
    Tensor(1.3125)
    """
    if not (isinstance(delta, (int, float)) and delta > 0):
        raise ValueError(f"huber_loss: delta must be a number > 0, got {delta!r}")
    return _reduce("huber_loss", _huber(_difference("huber_loss", input, target, reduction), delta), reduction)


@_drawn_as_one
def smooth_l1_loss(input: TensorLike, target: TensorLike, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """PyTorch's smooth L1: 0.5 d**2 / beta where |d| < beta, else |d| - 0.5 beta, i.e. huber_loss / beta
    (beta=0: l1_loss).

    >>> smooth_l1_loss(Tensor([0.5, 3.0]), [0.0, 0.0], beta=2.0)      # (0.0625 + 2.0) / 2
    Tensor(1.0312)
    """
    if isinstance(beta, bool) or not (isinstance(beta, (int, float)) and beta >= 0):
        raise ValueError(f"smooth_l1_loss: beta must be a number >= 0, got {beta!r}")
    d = _difference("smooth_l1_loss", input, target, reduction)
    return _reduce("smooth_l1_loss", _huber(d, beta) / beta if beta else d.abs(), reduction)


__all__ = [
    "mse_loss",
    "l1_loss",
    "huber_loss",
    "smooth_l1_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
]
__all__ += ["nll_loss", "class_indices", "one_hot", "l1_penalty", "l2_penalty", "kl_div"]
# activations.py's functions, re-exported (a few to a line: the file keeps under 400 lines)
__all__ += ["softmax", "log_softmax", "relu", "sigmoid", "tanh", "leaky_relu", "gelu", "silu", "softplus", "elu"]
__all__ += ["selu", "margin_ranking_loss", "triplet_margin_loss", "pairwise_distance"]
__all__ += ["dropout", "dropout2d", "linear", "normalize", "cosine_similarity", "pad"]
__all__ += ["relu6", "hardtanh", "logsigmoid", "softmin", "mish", "hardswish", "hardsigmoid", "prelu"]
__all__ += ["conv2d", "max_pool2d", "avg_pool2d", "unfold", "conv1d", "adaptive_avg_pool2d", "adaptive_max_pool2d"]
__all__ += ["scaled_dot_product_attention", "fold", "conv_transpose2d", "batch_norm", "layer_norm", "group_norm"]
__all__ += ["max_pool1d", "avg_pool1d", "alpha_dropout", "feature_alpha_dropout", "rrelu"]
__all__ += ["glu", "softsign", "tanhshrink", "softshrink", "hardshrink", "embedding", "embedding_bag"]
__all__ += ["poisson_nll_loss", "gaussian_nll_loss", "cosine_embedding_loss", "hinge_embedding_loss"]
__all__ += ["soft_margin_loss", "multi_margin_loss", "multilabel_margin_loss", "multilabel_soft_margin_loss"]
__all__ += ["interpolate", "max_unpool2d", "pixel_shuffle", "pixel_unshuffle"]
__all__ += ["affine_grid", "grid_sample", "ctc_loss", "native_channel_shuffle", "channel_shuffle"]
__all__ += _ND_NAMES
__all__ += ["celu", "threshold", "relu_", "elu_", "leaky_relu_", "hardtanh_", "rrelu_", "selu_", "celu_", "threshold_"]
__all__ += ["instance_norm", "rms_norm", "local_response_norm", "bilinear", "pdist", "gumbel_softmax"]
__all__ += ["upsample", "upsample_nearest", "upsample_bilinear", "triplet_margin_with_distance_loss"]
