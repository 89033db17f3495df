"""``nn.MultiheadAttention``, PyTorch's, on ``F.scaled_dot_product_attention``'s pieces (attention.py): torch's
``in_proj_weight`` / ``q,k,v_proj_weight``, ``out_proj``, init and masks, so a torch ``state_dict`` loads and gives
the same outputs. Its boolean masks are True where a position is *ignored* (SDPA's: where it takes part).
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.types import DTypeLike, TensorLike

from . import init as nn_init
from . import layers
from .activations import linear
from .attention import Additive, _attend, _mask_array
from .checks import positive_int
from .init import GeneratorLike
from .module import Module


def _ignored_as_additive(layer: str, name: str, mask: TensorLike, dtype: np.dtype[Any]) -> Additive:
    """MultiheadAttention's mask as scores to add: boolean True (ignore) -> -inf, a float one as it is."""
    array = _mask_array(layer, name, mask, dtype)
    return np.where(array, -np.inf, 0.0).astype(dtype) if array.dtype == np.bool_ else array


class MultiheadAttention(Module):
    """Multi-head attention, as PyTorch's ``nn.MultiheadAttention``: each of ``num_heads`` heads attends
    with its embed_dim/num_heads slice of the projected query, key and value; the heads are concatenated
    and projected by ``out_proj``. Parameters as torch's: ``in_proj_weight`` (3E, E) and ``in_proj_bias``
    (3E,) (``q_proj_weight``, ``k_proj_weight``, ``v_proj_weight`` when ``kdim``/``vdim`` differ from E),
    ``out_proj`` an ``nn.Linear``; xavier-uniform projections, zero biases. ``batch_first=False`` takes
    (L, N, E) as torch's default; an unbatched (L, E) query works too. ``add_bias_kv`` and
    ``add_zero_attn`` are not supported (True raises).

    ``forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False)`` -> (output, weights or None). Boolean masks are True
    where a key is *ignored* (float masks are added to the scores): ``key_padding_mask`` (N, S),
    ``attn_mask`` (L, S) or (N * num_heads, L, S). ``is_causal=True`` without ``attn_mask`` applies the
    causal mask (torch raises there; with ``attn_mask`` it is torch's hint and the mask is used). A query
    whose keys are all ignored gives NaN with ``need_weights=True`` and the out_proj bias without, as torch.

    >>> mha = MultiheadAttention(8, 2, batch_first=True, seed=0)
    >>> x = np.ones((3, 5, 8))
    >>> out, weights = mha(x, x, x)
    >>> out.shape, weights.shape
    ((3, 5, 8), (3, 5, 5))
    """

    in_proj_weight: Tensor | None
    q_proj_weight: Tensor
    k_proj_weight: Tensor
    v_proj_weight: Tensor
    in_proj_bias: Tensor | None
    out_proj: layers.Linear
    dropout: float
    batch_first: bool
    head_dim: int
    _qkv_same_embed_dim: bool

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        add_bias_kv: bool = False,
        add_zero_attn: bool = False,
        kdim: int | None = None,
        vdim: int | None = None,
        batch_first: bool = False,
        seed: GeneratorLike = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__()
        name = "MultiheadAttention"
        self.embed_dim = positive_int(name, "embed_dim", embed_dim)
        self.num_heads = positive_int(name, "num_heads", num_heads)
        self.kdim = self.embed_dim if kdim is None else positive_int(name, "kdim", kdim)
        self.vdim = self.embed_dim if vdim is None else positive_int(name, "vdim", vdim)
        if self.embed_dim % self.num_heads:
            raise ValueError(
                f"{name}: embed_dim={embed_dim} is not divisible by num_heads={num_heads} (each head takes "
                f"embed_dim / num_heads features); choose num_heads among the divisors of {embed_dim}"
            )
        if add_bias_kv or add_zero_attn:
            raise ValueError(
                f"{name}: add_bias_kv=True and add_zero_attn=True are not supported; leave them False "
                "(append a learned or zero key/value to your sequence yourself if you need one)"
            )
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real) or not 0 <= dropout <= 1:
            raise ValueError(f"{name}: dropout must be a probability in [0, 1], got {dropout!r}")
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"{name}: dtype must be floating-point (float64 or float32), got {dtype}")
        self.dropout, self.batch_first, self.head_dim = float(dropout), bool(batch_first), embed_dim // num_heads
        generator, e = nn_init.as_generator(seed), self.embed_dim
        self._qkv_same_embed_dim = self.kdim == e and self.vdim == e

        def weight(rows: int, columns: int) -> Tensor:
            w = Tensor(np.zeros((rows, columns), dtype), requires_grad=True)
            return nn_init.xavier_uniform_(w, generator=generator)

        if self._qkv_same_embed_dim:
            self.in_proj_weight = weight(3 * e, e)
        else:
            self.in_proj_weight = None
            self.q_proj_weight, self.k_proj_weight = weight(e, e), weight(e, self.kdim)
            self.v_proj_weight = weight(e, self.vdim)
        self.in_proj_bias = Tensor(np.zeros(3 * e, dtype), requires_grad=True) if bias else None
        bound = 1 / math.sqrt(e)  # torch's Linear default, kaiming_uniform(a=sqrt(5)); its bias then zeroed
        self.out_proj = layers.Linear(
            e, e, bias, init=lambda w, g: nn_init.uniform_(w, -bound, bound, g), seed=generator, dtype=dtype
        )

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        return {
            "embed_dim": self.embed_dim,
            "num_heads": self.num_heads,
            "dropout": self.dropout,
            "bias": self.in_proj_bias is not None,
            "kdim": self.kdim,
            "vdim": self.vdim,
            "batch_first": self.batch_first,
            "dtype": self.out_proj.weight.dtype.name,
        }

    def extra_repr(self) -> str:
        dims = "" if self._qkv_same_embed_dim else f", kdim={self.kdim}, vdim={self.vdim}"
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}{dims}, batch_first={self.batch_first}"

    def _projections(self, query: Tensor, key: Tensor, value: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        e, b = self.embed_dim, self.in_proj_bias
        biases = (None, None, None) if b is None else (b[:e], b[e : 2 * e], b[2 * e :])
        if self.in_proj_weight is None:
            weights = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)
        elif query is key and key is value:  # self-attention: one matmul for q, k and v, as torch's
            q, k, v = linear(query, self.in_proj_weight, b).split(e, -1)
            return q, k, v
        else:
            w = self.in_proj_weight
            weights = (w[:e], w[e : 2 * e], w[2 * e :])
        q, k, v = (linear(x, w, c) for x, w, c in zip((query, key, value), weights, biases))
        return q, k, v

    def _check(self, query: Tensor, key: Tensor, value: Tensor) -> bool:
        """Raise on shapes torch would refuse; True when the input is batched."""
        name = f"MultiheadAttention(embed_dim={self.embed_dim}, num_heads={self.num_heads})"
        batched = query.ndim == 3
        if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
            raise ValueError(
                f"{name}: query, key and value must all be 3-d ({'(N, L, E)' if self.batch_first else '(L, N, E)'}) "
                f"or all 2-d (L, E, unbatched); got shapes {query.shape}, {key.shape}, {value.shape}"
            )
        for label, x, size in (("query", query, self.embed_dim), ("key", key, self.kdim), ("value", value, self.vdim)):
            if x.shape[-1] != size:
                raise ValueError(
                    f"{name}: {label} of shape {x.shape} has {x.shape[-1]} features in its last axis, expected "
                    f"{size} ({'embed_dim' if label == 'query' else 'kdim' if label == 'key' else 'vdim'})"
                )
        batch_axis = 0 if self.batch_first else 1
        if batched and not query.shape[batch_axis] == key.shape[batch_axis] == value.shape[batch_axis]:
            raise ValueError(
                f"{name}: query {query.shape}, key {key.shape} and value {value.shape} have different batch sizes "
                f"in axis {batch_axis} (batch_first={self.batch_first})"
            )
        seq_axis = 1 - batch_axis if batched else 0
        if key.shape[seq_axis] != value.shape[seq_axis]:
            raise ValueError(f"{name}: key {key.shape} and value {value.shape} must have the same sequence length")
        return batched

    def forward(
        self,
        query: TensorLike,
        key: TensorLike,
        value: TensorLike,
        key_padding_mask: TensorLike | None = None,
        need_weights: bool = True,
        attn_mask: TensorLike | None = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple[Tensor, Tensor | None]:
        same = query is key, key is value
        query, key, value = ag.as_tensor(query), ag.as_tensor(key), ag.as_tensor(value)
        if all(same):
            key = value = query
        batched = self._check(query, key, value)
        # work in (N, L, E): one batch axis first, as the heads need it
        if not batched:
            query, key, value = query[None], key[None], value[None]
        elif not self.batch_first:
            query, key, value = query.swapaxes(0, 1), key.swapaxes(0, 1), value.swapaxes(0, 1)
        if all(same):
            key = value = query
        n, length, source = query.shape[0], query.shape[1], key.shape[1]
        heads, dtype = self.num_heads, query.dtype
        additive = self._additive_mask(key_padding_mask, attn_mask, is_causal, batched, n, length, source, dtype)
        q, k, v = self._projections(query, key, value)

        def split_heads(x: Tensor) -> Tensor:  # (N, T, E) -> (N, heads, T, head_dim)
            return x.reshape(n, x.shape[1], heads, self.head_dim).swapaxes(1, 2)

        p = self.dropout if self.training else 0.0
        out, weights = _attend(
            split_heads(q), split_heads(k), split_heads(v), additive, 1 / math.sqrt(self.head_dim), p, not need_weights
        )
        out = self.out_proj(out.swapaxes(1, 2).reshape(n, length, self.embed_dim))
        if not batched:
            out = out[0]
        elif not self.batch_first:
            out = out.swapaxes(0, 1)
        if not need_weights:
            return out, None
        if average_attn_weights:
            weights = weights.mean(1)
        return out, weights if batched else weights[0]

    def _additive_mask(
        self,
        key_padding_mask: TensorLike | None,
        attn_mask: TensorLike | None,
        is_causal: bool,
        batched: bool,
        n: int,
        length: int,
        source: int,
        dtype: np.dtype[Any],
    ) -> Additive | None:
        """key_padding_mask and attn_mask as one float array (N, heads, L, S) to add to the scores."""
        name, heads = f"MultiheadAttention(embed_dim={self.embed_dim}, num_heads={self.num_heads})", self.num_heads
        total = None
        if attn_mask is None and is_causal:
            attn_mask = np.triu(np.ones((length, source), bool), 1)
        if attn_mask is not None:
            mask = _ignored_as_additive(name, "attn_mask", attn_mask, dtype)
            shapes = {2: (length, source), 3: (n * heads, length, source) if batched else (heads, length, source)}
            if shapes.get(mask.ndim) != mask.shape:
                raise ValueError(
                    f"{name}: attn_mask of shape {mask.shape} should be (L, S) = {(length, source)} or "
                    f"(N * num_heads, L, S) = {shapes[3]}"
                )
            total = mask if mask.ndim == 2 else mask.reshape(n, heads, length, source)
        if key_padding_mask is not None:
            mask = _ignored_as_additive(name, "key_padding_mask", key_padding_mask, dtype)
            expected = (n, source) if batched else (source,)
            if mask.shape != expected:
                raise ValueError(f"{name}: key_padding_mask of shape {mask.shape} should be (N, S) = {expected}")
            padding = mask.reshape(n, 1, 1, source)
            total = padding if total is None else total + padding
        return total
