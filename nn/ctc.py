"""The connectionist temporal classification loss, as ``torch.nn.functional.ctc_loss``: -log of the total
probability of every alignment of T frames to a shorter label sequence (labels may repeat across frames and
blanks may sit anywhere; an alignment collapses to the labels by merging repeats, then dropping blanks).

The sum over alignments is Graves' forward (alpha) recursion over the extended labels (blank, l1, blank, l2,
..., blank), in log space: alpha_t(s) = logsumexp(alpha_{t-1}(s), alpha_{t-1}(s-1), alpha_{t-1}(s-2) if
l_s is not blank and differs from l_{s-2}) + log p_t(l_s). It is composed from Tensor ops (a gather, shifts,
logsumexp), so the engine derives the gradient: the alpha-beta backward, exactly, without writing it. An
unreachable state holds -1e30, not -inf: exp(-1e30 - m) is exactly 0 like exp(-inf), but its gradient is 0
instead of NaN (0 * inf). A loss still near 1e30 at the end means no alignment exists: it becomes inf (0 with
``zero_infinity``), as torch's.

One difference from torch, by design: our gradient with respect to ``log_probs`` is the true derivative. Torch's
kernel returns it plus exp(log_probs) * upstream, which is the same gradient once it flows back through a
log_softmax (the usual model), but not for unnormalised log_probs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.types import TensorLike

from .loss_parts import _check_reduction

_UNREACHABLE = -1e30  # a log-probability no alignment reaches; see the module's docstring
_IMPOSSIBLE = -1e29  # a final log-likelihood below this has no alignment


def _ints(op: str, name: str, value: object) -> np.ndarray:
    array = np.asarray(value.data if isinstance(value, Tensor) else value)
    if array.size and array.dtype.kind not in "iu":
        raise TypeError(f"{op}: {name} must be integers, got dtype {array.dtype}; convert with .long() or astype(int)")
    return array.astype(np.int64)


def _padded_targets(op: str, targets: np.ndarray, lengths: np.ndarray, batch: int) -> np.ndarray:
    """(N, S) targets from torch's two layouts: padded (N, S), or all concatenated in one 1-d array."""
    if targets.ndim == 2 and targets.shape[0] == batch:
        if lengths.max(initial=0) > targets.shape[1]:
            raise ValueError(f"{op}: target_lengths {lengths.tolist()} exceed the padded targets' {targets.shape[1]}")
        return targets
    if targets.ndim == 1:
        if targets.shape[0] != lengths.sum():
            raise ValueError(
                f"{op}: 1-d targets hold all label sequences one after another, so their length {targets.shape[0]} "
                f"must be sum(target_lengths) = {lengths.sum()}; or pass them padded as (N, S)"
            )
        padded = np.zeros((batch, lengths.max(initial=0)), np.int64)
        starts = np.concatenate([[0], np.cumsum(lengths)])
        for n in range(batch):
            padded[n, : lengths[n]] = targets[starts[n] : starts[n + 1]]
        return padded
    raise ValueError(f"{op}: targets must be (N, S) = ({batch}, S) padded or 1-d concatenated, got {targets.shape}")


def _check(op: str, x: Tensor, targets, input_lengths, target_lengths, blank: int):
    if x.ndim not in (2, 3):
        raise ValueError(f"{op}: log_probs must be (T, N, C), or (T, C) for one sequence, got shape {x.shape}")
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: log_probs must be floating point, got {x.dtype}; pass log_softmax(logits, -1)")
    frames, batch, classes = x.shape
    if not 0 <= blank < classes:
        raise ValueError(f"{op}: blank={blank} is not a class of log_probs with C = {classes} classes")
    in_lengths, lengths = _ints(op, "input_lengths", input_lengths), _ints(op, "target_lengths", target_lengths)
    in_lengths, lengths = in_lengths.reshape(-1), lengths.reshape(-1)
    if in_lengths.shape != (batch,) or lengths.shape != (batch,):
        raise ValueError(
            f"{op}: input_lengths and target_lengths need one entry per sequence (N = {batch}), got shapes "
            f"{in_lengths.shape} and {lengths.shape}"
        )
    if in_lengths.min() < 1 or in_lengths.max() > frames or lengths.min() < 0:
        raise ValueError(
            f"{op}: input_lengths {in_lengths.tolist()} must be in 1..T = {frames} and target_lengths "
            f"{lengths.tolist()} >= 0"
        )
    padded = _padded_targets(op, _ints(op, "targets", targets), lengths, batch)
    used = np.arange(padded.shape[1]) < lengths[:, None]
    labels = padded[used]
    if labels.size and (labels.min() < 0 or labels.max() >= classes or (labels == blank).any()):
        raise ValueError(
            f"{op}: targets must be class indices in 0..{classes - 1} other than blank={blank}, got "
            f"{np.unique(labels).tolist()}; shift the labels by one to leave room for the blank"
        )
    return in_lengths, lengths, np.where(used, padded, blank)


def ctc_loss(
    log_probs: TensorLike,
    targets: TensorLike | Sequence,
    input_lengths: TensorLike | Sequence[int] | int,
    target_lengths: TensorLike | Sequence[int] | int,
    blank: int = 0,
    reduction: str = "mean",
    zero_infinity: bool = False,
) -> Tensor:
    """The CTC loss, as PyTorch's ``F.ctc_loss``: ``log_probs`` (T, N, C) (log_softmax over C, or (T, C) for one
    sequence), ``targets`` (N, S) padded or 1-d concatenated class indices (never ``blank``), the lengths
    (N,). Sequence n's loss is -log of the summed probability of its alignments over its first
    input_lengths[n] frames; "mean" divides each by its target length, then averages (torch's rule), "sum"
    adds, "none" gives the (N,) losses. No alignment (input too short): inf, or 0 with zero gradient when
    ``zero_infinity``.

    >>> log_probs = ag.log(Tensor([[[0.5, 0.5]]]))             # one frame: p(blank) = p(label 1) = 1/2
    >>> ctc_loss(log_probs, [[1]], [1], [1], reduction="sum")   # the one alignment "1": -log 1/2
    Tensor(0.6931)
    """
    op = "ctc_loss"
    _check_reduction(op, reduction)
    x = ag.as_tensor(log_probs)
    unbatched = x.ndim == 2
    if unbatched:
        x = x[:, None]
        targets = np.asarray(targets.data if isinstance(targets, Tensor) else targets)[None]
    in_lengths, lengths, padded = _check(op, x, targets, input_lengths, target_lengths, blank)
    batch, states = padded.shape[0], 2 * padded.shape[1] + 1
    extended = np.full((batch, states), blank, np.int64)
    extended[:, 1::2] = padded
    # the skip s-2 -> s: onto a label that is not the one two states back (between repeats a blank is required)
    skip = np.zeros((batch, states), bool)
    skip[:, 2:] = (extended[:, 2:] != blank) & (extended[:, 2:] != extended[:, :-2])
    skip_penalty = np.where(skip, 0.0, _UNREACHABLE).astype(x.dtype)
    emit = x[:, np.arange(batch)[:, None], extended]  # (T, N, states): log p_t of each state's label
    if np.isneginf(emit.data).any():  # a hard zero probability: -1e30 carries it without NaN gradients
        emit = emit.clip(min=_UNREACHABLE)
    start = np.full((batch, states), _UNREACHABLE, x.dtype)
    start[:, : min(2, states)] = 0.0  # an alignment starts on the first blank or the first label
    alpha = emit[0] + start
    alphas = [alpha]
    before_start = Tensor(np.full((batch, 2), _UNREACHABLE, x.dtype))  # the states s - 1, s - 2 of s = 0, 1
    for t in range(1, int(in_lengths.max())):
        shifted = ag.concatenate([before_start, alpha], axis=1)
        one_back, two_back = shifted[:, 1:-1], shifted[:, :-2] + skip_penalty
        alpha = ag.stack([alpha, one_back, two_back]).logsumexp(axis=0) + emit[t]
        alphas.append(alpha)
    rows = np.arange(batch)
    final = ag.stack(alphas)[in_lengths - 1, rows]  # each sequence's alpha at its own last frame
    # an alignment ends on the last label or the blank after it
    ends = ag.stack([final[rows, 2 * lengths], final[rows, np.maximum(2 * lengths - 1, 0)] + (lengths == 0) * -1e30])
    log_likelihood = ends.logsumexp(axis=0)
    impossible = log_likelihood.data < _IMPOSSIBLE
    loss = (
        ag.where(impossible, 0.0 if zero_infinity else np.inf, -log_likelihood) if impossible.any() else -log_likelihood
    )
    if reduction == "mean":
        return (loss / np.maximum(lengths, 1).astype(x.dtype)).mean()
    if reduction == "sum":
        return loss.sum()
    return loss[0] if unbatched else loss


__all__ = ["ctc_loss"]
