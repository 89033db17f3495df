"""Lookups as functions, as ``torch.nn.functional`` spells them: ``F.embedding`` (rows of a weight, with torch's
``padding_idx``, ``max_norm`` and ``scale_grad_by_freq``) and ``F.embedding_bag`` (each bag's rows summed,
averaged or max-ed). The layers are in embedding.py.

Indexing and a matmul: a bag's sum is a (bags, lookups) 0/1 matrix times the looked-up rows, so the gradient
adds into the rows used, the way torch's hand-written backward does.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.types import TensorLike

_BAG_MODES = ("sum", "mean", "max")


def _indices(op: str, input: TensorLike, rows: int) -> np.ndarray:
    indices = np.asarray(input.data if isinstance(input, Tensor) else input)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"{op}: indices must be integers, got dtype {indices.dtype}; convert with idx.astype(np.int64)")
    if indices.size and (indices.min() < 0 or indices.max() >= rows):
        raise ValueError(
            f"{op}: indices must be in 0..{rows - 1} (the weight's {rows} rows), got min {indices.min()}, "
            f"max {indices.max()}"
        )
    return indices


def _weight(op: str, weight: TensorLike) -> Tensor:
    w = ag.as_tensor(weight)
    if w.ndim != 2:
        raise ValueError(f"{op}: weight must be 2-d (num_embeddings, embedding_dim), got shape {w.shape}")
    return w


def _padding_row(op: str, padding_idx: int | None, rows: int) -> int | None:
    if padding_idx is None:
        return None
    if (
        isinstance(padding_idx, bool)
        or not isinstance(padding_idx, numbers.Integral)
        or not -rows <= padding_idx < rows
    ):
        raise ValueError(f"{op}: padding_idx must be an int in [{-rows}, {rows}) or None, got {padding_idx!r}")
    return int(padding_idx) % rows


def _renorm(op: str, w: Tensor, indices: np.ndarray, max_norm: float | None, norm_type: float) -> None:
    """torch's embedding_renorm_: the rows looked up whose norm exceeds max_norm are scaled, in place, to
    max_norm / (norm + 1e-7) times themselves (outside the graph: a change of the weight, as torch's)."""
    if max_norm is None:
        return
    if isinstance(max_norm, bool) or not isinstance(max_norm, numbers.Real) or not max_norm > 0:
        raise ValueError(f"{op}: max_norm must be a number > 0 or None, got {max_norm!r}")
    used = np.unique(indices)
    norms = np.linalg.norm(w.data[used], ord=float(norm_type), axis=1)
    over = norms > max_norm
    with ag.no_grad():
        w.data[used[over]] *= (max_norm / (norms[over] + 1e-7))[:, None].astype(w.dtype)


def _sparse_is_dense(op: str, sparse: bool) -> None:
    """torch's ``sparse=True`` asks for the weight's gradient as a sparse tensor (the rows used only), to save memory
    on big vocabularies; the values are the same dense ones. Accepted, as word2vec-style torch code passes it, with
    a warning: here the gradient is a dense array of the weight's shape."""
    if sparse:
        warnings.warn(
            f"{op}: sparse=True gives a dense gradient here (numpy arrays; the same values as torch's sparse one, "
            "unused rows zero; nn.optim.SparseAdam takes its nonzero rows as the rows used): pass sparse=False to "
            "silence this",
            UserWarning,
            stacklevel=3,
        )


def _scaled_by_frequency(rows: Tensor, indices: np.ndarray, num_rows: int) -> Tensor:
    """``rows`` (one per lookup, in indices' order), whose gradient is divided by how often its index is looked up
    in the batch (torch's ``scale_grad_by_freq``): the value is rows' own, exactly (rows.detach() + 0)."""
    if not indices.size:
        return rows
    counts = np.bincount(indices.ravel(), minlength=num_rows)[indices].astype(rows.dtype)
    counts = counts.reshape(counts.shape + (1,) * (rows.ndim - counts.ndim))
    return rows.detach() + (rows - rows.detach()) / counts


def embedding(
    input: TensorLike,
    weight: TensorLike,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Row ``i`` of ``weight`` (num_embeddings, embedding_dim) for each index ``i`` of ``input``, as PyTorch's
    ``F.embedding``: shape input.shape + (embedding_dim,). ``padding_idx``: that row gets no gradient.
    ``max_norm``: rows looked up with a ``norm_type``-norm above it are first scaled down to it, in place.
    ``scale_grad_by_freq``: each row's gradient divided by how often the batch uses it. ``sparse=True`` warns that
    the gradient is a dense array here (the same values).

    >>> embedding(np.array([2, 0]), Tensor([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]))
    Tensor([[4., 5.],
            [0., 1.]])
    """
    op = "embedding"
    _sparse_is_dense(op, sparse)
    w = _weight(op, weight)
    indices = _indices(op, input, w.shape[0])
    padding = _padding_row(op, padding_idx, w.shape[0])
    _renorm(op, w, indices, max_norm, norm_type)
    rows = w[indices]
    if scale_grad_by_freq:
        rows = _scaled_by_frequency(rows, indices, w.shape[0])
    if padding is None:
        return rows
    return ag.where((indices == padding)[..., None], w.detach()[indices], rows)  # the padding row: no gradient


def _bags(op: str, indices: np.ndarray, offsets: TensorLike | None, include_last_offset: bool) -> list[np.ndarray]:
    """The positions (into indices.ravel()) of each bag."""
    if indices.ndim == 2:
        if offsets is not None:
            raise ValueError(f"{op}: offsets must be None for a 2-d input (each row is a bag), got {offsets!r:.40}")
        width = indices.shape[1]
        return [np.arange(b * width, (b + 1) * width) for b in range(indices.shape[0])]
    if indices.ndim != 1 or offsets is None:
        raise ValueError(
            f"{op}: input must be 2-d (B, N), one bag per row, or 1-d with 1-d offsets (where each bag starts); "
            f"got input of shape {indices.shape} and offsets {'None' if offsets is None else 'given'}"
        )
    starts = np.asarray(offsets.data if isinstance(offsets, Tensor) else offsets)
    n = indices.shape[0]
    bad = starts.ndim != 1 or starts.dtype.kind not in "iu" or not starts.size
    if bad or starts[0] != 0 or (np.diff(starts) < 0).any() or starts[-1] > n:
        raise ValueError(
            f"{op}: offsets must be a 1-d integer array, starting at 0, non-decreasing and at most len(input) = {n}, "
            f"got {starts.tolist() if starts.ndim == 1 else starts!r}"
        )
    ends = np.append(starts[1:], n)
    if include_last_offset:
        starts, ends = starts[:-1], starts[1:]
    return [np.arange(s, e) for s, e in zip(starts, ends)]


def embedding_bag(
    input: TensorLike,
    weight: TensorLike,
    offsets: TensorLike | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    mode: str = "mean",
    sparse: bool = False,
    per_sample_weights: TensorLike | None = None,
    include_last_offset: bool = False,
    padding_idx: int | None = None,
) -> Tensor:
    """Each bag's rows of ``weight`` reduced to one, (B, embedding_dim), as PyTorch's ``F.embedding_bag``: bags
    are the rows of a 2-d ``input``, or the runs of a 1-d one starting at ``offsets`` (``include_last_offset``:
    offsets also holds the end). ``mode`` "sum", "mean" or "max"; ``per_sample_weights`` (input's shape, "sum"
    only) weighs each lookup; entries equal to ``padding_idx`` are left out (of the count too); an empty bag
    gives zeros. Ties in "max" share the gradient (the ties-split rule). ``scale_grad_by_freq`` ("sum" and
    "mean"): each row's gradient divided by how often the whole input looks it up, as ``embedding``'s;
    ``sparse=True`` warns that the gradient is a dense array here.

    >>> w = Tensor([[1.0, 0.0], [0.0, 1.0], [2.0, 2.0]])
    >>> embedding_bag(np.array([0, 1, 2]), w, np.array([0, 2]), mode="sum")
    Tensor([[1., 1.],
            [2., 2.]])
    """
    op = "embedding_bag"
    if mode not in _BAG_MODES:
        raise ValueError(f"{op}: mode must be one of {_BAG_MODES}, got {mode!r}")
    if scale_grad_by_freq and mode == "max":
        raise ValueError(
            f"{op}: mode='max' does not scale the gradient by frequency (as torch's: one row per bag gets it); "
            "use mode='sum' or 'mean', or scale_grad_by_freq=False"
        )
    _sparse_is_dense(op, sparse)
    w = _weight(op, weight)
    indices = _indices(op, input, w.shape[0])
    bags = _bags(op, indices, offsets, bool(include_last_offset))
    flat = indices.ravel()
    padding = _padding_row(op, padding_idx, w.shape[0])
    if padding is not None:
        bags = [positions[flat[positions] != padding] for positions in bags]
    _renorm(op, w, flat, max_norm, norm_type)
    rows = _scaled_by_frequency(w[flat], flat, w.shape[0]) if scale_grad_by_freq else w[flat]
    if mode == "max":
        if per_sample_weights is not None:
            raise ValueError(f"{op}: per_sample_weights are only for mode='sum', got mode={mode!r}")
        zeros = Tensor(np.zeros(w.shape[1], w.dtype))
        return ag.stack([rows[p].max(axis=0) if p.size else zeros for p in bags])
    membership = np.zeros((len(bags), flat.size), w.dtype)
    for b, positions in enumerate(bags):
        membership[b, positions] = 1.0 / max(positions.size, 1) if mode == "mean" else 1.0  # empty: zeros
    if per_sample_weights is None:
        return ag.as_tensor(membership) @ rows
    if mode != "sum":
        raise ValueError(f"{op}: per_sample_weights are only for mode='sum', got mode={mode!r}")
    weights = ag.as_tensor(per_sample_weights)
    if weights.shape != indices.shape:
        raise ValueError(f"{op}: per_sample_weights must have the input's shape {indices.shape}, got {weights.shape}")
    return (weights.reshape(-1).astype(w.dtype) * membership) @ rows


__all__ = ["embedding", "embedding_bag"]
