"""Attention, composed from Tensor ops: ``F.scaled_dot_product_attention`` (its layer: attention_layers.py).

softmax(Q Kᵀ / √E + mask) V is a matmul, a scale, a ``masked_fill`` (or an added float mask), a softmax
and a matmul: the engine differentiates it, so attention has no backward of its own. Names, shapes,
mask conventions and the parameters' names and init follow PyTorch's, so a torch ``state_dict``
loads and gives the same outputs.

Masks, as torch spells them (they are opposite, beware): SDPA's boolean ``attn_mask`` is True where a
position *takes part*; MultiheadAttention's boolean ``key_padding_mask`` and ``attn_mask`` are True where
a position is *ignored*. A float mask is added to the scores in both (-inf ignores).
"""

from __future__ import annotations

import math
import numbers
from typing import Any, TypeAlias

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.types import TensorLike

from .activations import dropout

#: A mask to add to the scores: a numpy array (a constant), or a float Tensor (traced, and differentiable).
Additive: TypeAlias = "np.ndarray | Tensor"


def _mask_array(op: str, name: str, mask: TensorLike, dtype: np.dtype[Any]) -> Additive:
    """A boolean mask as a numpy array; a float one in ``dtype``, kept a Tensor when given as one, so that
    ag.compile reads it afresh every call (a per-batch padding mask) and a learned bias gets its gradient."""
    array = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
    if array.dtype.kind not in "bf":
        raise TypeError(f"{op}: {name} must be boolean or floating-point, got dtype {array.dtype}")
    if array.dtype == np.bool_ or not isinstance(mask, Tensor):
        return array if array.dtype == np.bool_ else array.astype(dtype, copy=False)
    return mask if mask.dtype == dtype else mask.astype(dtype)


def _check_broadcasts(op: str, name: str, mask: Additive, target: tuple[int, ...]) -> None:
    try:
        fits = np.broadcast_shapes(mask.shape, target) == target
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"{op}: {name} of shape {mask.shape} does not broadcast to the scores' shape {target} "
            f"(..., L, S); give a mask of shape (L, S) = {target[-2:]} or one broadcasting to {target}"
        )


def _attend(
    query: Tensor, key: Tensor, value: Tensor, additive: Additive | None, scale: float, dropout_p: float, safe: bool
) -> tuple[Tensor, Tensor]:
    """(softmax(q kᵀ scale + additive) v, the weights); ``safe``: a row whose mask is -inf throughout gives
    zero weights (SDPA's convention) instead of softmax's NaN (MultiheadAttention's with need_weights)."""
    scores = (query @ key.swapaxes(-1, -2)) * scale
    dead = None
    if additive is not None:
        scores = scores + additive
        # decided by the mask alone (an argument, which ag.compile guards), never by the scores' values
        values = additive.data if isinstance(additive, Tensor) else additive
        dead = np.isneginf(values).all(-1, keepdims=True) if safe else None
    if dead is not None and dead.any():
        scores = ag.where(dead, 0.0, scores)  # a finite row, so neither softmax nor its gradient makes NaN
        weights = ag.where(dead, 0.0, scores.softmax(-1))
    else:
        weights = scores.softmax(-1)
    if dropout_p > 0:
        weights = dropout(weights, dropout_p, training=True)  # nn.init's generator: ag.manual_seed governs it
    return weights @ value, weights


def scaled_dot_product_attention(
    query: TensorLike,
    key: TensorLike,
    value: TensorLike,
    attn_mask: TensorLike | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """softmax(query keyᵀ · scale + mask) value, as PyTorch's ``F.scaled_dot_product_attention``: query
    (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev), the leading axes broadcast.

    ``attn_mask``: boolean, True where a key *takes part* (broadcast to (..., L, S)), or float, added to
    the scores. ``is_causal``: query i attends to keys 0..i only (not together with ``attn_mask``).
    ``scale`` defaults to 1/√E. ``dropout_p`` > 0 drops attention weights (always, as torch's: pass
    ``p if model.training else 0``), drawn from nn.init's generator (``ag.manual_seed``). A query whose
    keys are all masked gets zeros (output and gradients), as torch 2.13's SDPA, not NaN. ``enable_gqa``:
    grouped-query attention, key and value with fewer heads (axis -3) than query, each used by
    query_heads / kv_heads consecutive query heads (as torch's).

    >>> q = ag.ones(2, 3, 4); out = scaled_dot_product_attention(q, q, ag.arange(6.0).reshape(2, 3, 1))
    >>> out[0, :, 0]
    Tensor([1., 1., 1.])
    """
    op = "scaled_dot_product_attention"
    q, k, v = ag.as_tensor(query), ag.as_tensor(key), ag.as_tensor(value)
    if q.ndim < 2 or k.ndim < 2 or v.ndim < 2:
        raise ValueError(
            f"{op}: query, key and value need at least 2 axes (..., L, E), (..., S, E), (..., S, Ev); got shapes "
            f"{q.shape}, {k.shape}, {v.shape}"
        )
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError(
            f"{op}: query {q.shape} and key {k.shape} must share the last axis E, and key and value {v.shape} "
            "the sequence axis S (second to last)"
        )
    if enable_gqa and q.ndim >= 3 and k.ndim >= 3 and v.ndim >= 3 and k.shape[-3] != q.shape[-3]:
        k, v = _grouped(op, q, k), _grouped(op, q, v)
    try:
        batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except ValueError:
        raise ValueError(
            f"{op}: the leading (batch, head) axes of query {q.shape}, key {k.shape} and value {v.shape} "
            "do not broadcast; give them equal batch axes"
        ) from None
    if not isinstance(dropout_p, numbers.Real) or not 0 <= dropout_p <= 1:
        raise ValueError(f"{op}: dropout_p must be a probability in [0, 1], got {dropout_p!r}")
    if scale is not None and (isinstance(scale, bool) or not isinstance(scale, numbers.Real)):
        raise TypeError(f"{op}: scale must be a number or None (1/sqrt(E)), got {scale!r}")
    length, source = q.shape[-2], k.shape[-2]
    additive = None
    if is_causal:
        if attn_mask is not None:
            raise ValueError(f"{op}: give attn_mask or is_causal=True, not both (as torch); fold the causal part in")
        attn_mask = np.tril(np.ones((length, source), bool))
    if attn_mask is not None:
        mask = _mask_array(op, "attn_mask", attn_mask, q.dtype)
        _check_broadcasts(op, "attn_mask", mask, batch + (length, source))
        additive = np.where(mask, 0.0, -np.inf).astype(q.dtype) if mask.dtype == np.bool_ else mask
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    return _attend(q, k, v, additive, scale, float(dropout_p), safe=True)[0]


def _grouped(op: str, query: Tensor, x: Tensor) -> Tensor:
    """Key or value with its heads (axis -3) each repeated for the query heads of its group (GQA)."""
    heads, kv_heads = query.shape[-3], x.shape[-3]
    if kv_heads == 0 or heads % kv_heads:
        raise ValueError(
            f"{op}: enable_gqa=True needs the query's heads (axis -3 of {query.shape}) to be a multiple of the "
            f"key's and value's heads (axis -3 of {x.shape}); give key and value heads dividing {heads}"
        )
    group = heads // kv_heads  # (..., Hk, S, E) -> (..., Hk, group, S, E) -> (..., Hk * group, S, E)
    return ag.stack([x] * group, -3).reshape(*x.shape[:-3], heads, *x.shape[-2:])
