"""``nn.TransformerEncoderLayer`` and ``nn.TransformerEncoder``, PyTorch's, composed from existing layers:
``MultiheadAttention`` (self-attention), two ``Linear`` (the feed-forward block), two ``LayerNorm`` and
``Dropout``. Attribute names are torch's (``self_attn``, ``linear1``, ``norm1``, ``layers.0...``), so a torch
``state_dict`` loads and gives the same outputs; the engine derives every gradient.
"""

from __future__ import annotations

import copy
import math
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.types import DTypeLike, TensorLike

from . import activations as F
from . import init as nn_init
from .architecture import build, describe
from .attention_layers import MultiheadAttention
from .checks import positive_int
from .containers import ModuleList
from .init import GeneratorLike
from .layers import Dropout, Linear
from .module import Module
from .normalization import LayerNorm

_ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {"relu": F.relu, "gelu": F.gelu}


def _torch_linear(in_features: int, out_features: int, bias: bool, generator: Any, dtype: Any) -> Linear:
    """A Linear initialised as torch's default: weight and bias uniform in +-1/sqrt(in_features)."""
    bound = 1 / math.sqrt(in_features)
    layer = Linear(
        in_features, out_features, bias, init=lambda w, g: nn_init.uniform_(w, -bound, bound, g), seed=generator,
        dtype=dtype,
    )  # fmt: skip
    if layer.bias is not None:
        nn_init.uniform_(layer.bias, -bound, bound, generator)
    return layer


def _check_sizes(name: str, d_model: int, nhead: int, dim_feedforward: int, dropout: float) -> tuple[int, int, int]:
    """A transformer block's sizes, checked: positive ints, d_model divisible by nhead; dropout a probability."""
    sizes = (
        positive_int(name, "d_model", d_model), positive_int(name, "nhead", nhead),
        positive_int(name, "dim_feedforward", dim_feedforward),
    )  # fmt: skip
    if sizes[0] % sizes[1]:
        raise ValueError(
            f"{name}: d_model={d_model} is not divisible by nhead={nhead} (each head takes d_model / nhead "
            f"features); choose nhead among the divisors of {d_model}"
        )
    if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real) or not 0 <= dropout <= 1:
        raise ValueError(f"{name}: dropout must be a probability in [0, 1], got {dropout!r}")
    return sizes


def _activation(name: str, activation: str | Callable[[Tensor], Tensor]) -> Callable[[Tensor], Tensor]:
    """ "relu" or "gelu" as its function, or a function of a Tensor as it is."""
    if isinstance(activation, str):
        if activation not in _ACTIVATIONS:
            raise ValueError(
                f"{name}: unknown activation {activation!r}; choose 'relu' or 'gelu', or pass a function "
                "of a Tensor (e.g. nn.functional.silu)"
            )
        return _ACTIVATIONS[activation]
    if callable(activation):
        return activation
    raise ValueError(f"{name}: activation must be 'relu', 'gelu' or a function, got {activation!r}")


class TransformerEncoderLayer(Module):
    """One encoder block of "Attention Is All You Need", as PyTorch's ``nn.TransformerEncoderLayer``:
    self-attention then a feed-forward network ``linear2(dropout(activation(linear1(x))))``, each added
    to its input and layer-normalised (``norm_first=False``, post-norm, the paper's) or applied to the
    normalised input (``norm_first=True``, pre-norm). ``activation`` is "relu", "gelu" or a function of a
    Tensor. ``seed`` makes the initial weights reproducible; dropout draws from nn.init's default generator
    (``ag.manual_seed``). Input (S, N, E), or (N, S, E) with ``batch_first=True``, or unbatched (S, E).

    ``forward(src, src_mask=None, src_key_padding_mask=None, is_causal=False)``: the masks are
    MultiheadAttention's (boolean True where a key is ignored, float ones added to the scores);
    ``is_causal=True`` without ``src_mask`` applies the causal mask.

    >>> layer = TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True, seed=0)
    >>> layer(np.ones((3, 5, 8))).shape
    (3, 5, 8)
    """

    self_attn: MultiheadAttention
    linear1: Linear
    linear2: Linear
    norm1: LayerNorm
    norm2: LayerNorm
    dropout: Dropout
    dropout1: Dropout
    dropout2: Dropout
    activation: Callable[[Tensor], Tensor]
    batch_first: bool
    norm_first: bool

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str | Callable[[Tensor], Tensor] = "relu",
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        seed: GeneratorLike = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__()
        name = "TransformerEncoderLayer"
        self.d_model, self.nhead, self.dim_feedforward = _check_sizes(name, d_model, nhead, dim_feedforward, dropout)
        self.activation = _activation(name, activation)
        self.batch_first, self.norm_first = bool(batch_first), bool(norm_first)
        generator, dtype = nn_init.as_generator(seed), np.dtype(dtype)
        self.self_attn = MultiheadAttention(
            d_model, nhead, dropout, bias, batch_first=batch_first, seed=generator, dtype=dtype
        )
        self.linear1 = _torch_linear(d_model, dim_feedforward, bias, generator, dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = _torch_linear(dim_feedforward, d_model, bias, generator, dtype)
        self.norm1 = LayerNorm(d_model, layer_norm_eps, dtype=dtype)
        self.norm2 = LayerNorm(d_model, layer_norm_eps, dtype=dtype)
        self.dropout1, self.dropout2 = Dropout(dropout), Dropout(dropout)

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        names = [key for key, fn in _ACTIVATIONS.items() if fn is self.activation]
        if not names:
            raise TypeError(
                f"TransformerEncoderLayer: activation={self.activation!r} is a function, which a file cannot "
                "store; use activation='relu' or 'gelu', or save the weights (model.state_dict()) and rebuild"
            )
        return {
            "d_model": self.d_model,
            "nhead": self.nhead,
            "dim_feedforward": self.dim_feedforward,
            "dropout": self.dropout.p,
            "activation": names[0],
            "layer_norm_eps": self.norm1.eps,
            "batch_first": self.batch_first,
            "norm_first": self.norm_first,
            "bias": self.linear1.bias is not None,
            "dtype": self.linear1.weight.dtype.name,
        }

    def extra_repr(self) -> str:
        return (
            f"d_model={self.d_model}, nhead={self.nhead}, dim_feedforward={self.dim_feedforward}, "
            f"batch_first={self.batch_first}, norm_first={self.norm_first}"
        )

    def forward(
        self,
        src: TensorLike,
        src_mask: TensorLike | None = None,
        src_key_padding_mask: TensorLike | None = None,
        is_causal: bool = False,
    ) -> Tensor:
        x = ag.as_tensor(src)
        if x.ndim not in (2, 3) or x.shape[-1] != self.d_model:
            layout = "(N, S, E)" if self.batch_first else "(S, N, E)"
            raise ValueError(
                f"TransformerEncoderLayer(d_model={self.d_model}, nhead={self.nhead}): src of shape {x.shape} "
                f"should be {layout} or unbatched (S, E) with E = d_model = {self.d_model}"
            )

        def attend(h: Tensor) -> Tensor:
            out, _ = self.self_attn(
                h, h, h, key_padding_mask=src_key_padding_mask, need_weights=False, attn_mask=src_mask,
                is_causal=is_causal,
            )  # fmt: skip
            return self.dropout1(out)

        def feed_forward(h: Tensor) -> Tensor:
            return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(h)))))

        if self.norm_first:
            x = x + attend(self.norm1(x))
            return x + feed_forward(self.norm2(x))
        x = self.norm1(x + attend(x))
        return self.norm2(x + feed_forward(x))


class TransformerEncoder(Module):
    """A stack of ``num_layers`` deep copies of ``encoder_layer`` (``layers.0``, ``layers.1``, ... as torch's
    ``state_dict``), then ``norm`` (a LayerNorm, say) if given: PyTorch's ``nn.TransformerEncoder``.
    ``encoder_layer`` and ``norm`` may also be their ``nn.architecture.describe`` dicts (how ``nn.load``
    rebuilds the stack). ``enable_nested_tensor`` and ``mask_check`` are accepted for torch's signature and
    change nothing (numpy has no nested tensors). ``forward(src, mask=None, src_key_padding_mask=None,
    is_causal=None)`` passes the masks to every layer.

    >>> layer = TransformerEncoderLayer(8, 2, dim_feedforward=16, seed=0)
    >>> encoder = TransformerEncoder(layer, 2, norm=LayerNorm(8))
    >>> encoder(np.ones((5, 3, 8))).shape
    (5, 3, 8)
    """

    layers: ModuleList
    norm: Module | None

    def __init__(
        self,
        encoder_layer: TransformerEncoderLayer | dict[str, Any],
        num_layers: int,
        norm: Module | dict[str, Any] | None = None,
        enable_nested_tensor: bool = True,
        mask_check: bool = True,
    ) -> None:
        super().__init__()
        name = "TransformerEncoder"
        self.num_layers = positive_int(name, "num_layers", num_layers)
        layer = build(encoder_layer) if isinstance(encoder_layer, dict) else encoder_layer
        if not isinstance(layer, Module):
            raise ValueError(
                f"{name}: encoder_layer must be a module (an nn.TransformerEncoderLayer), got "
                f"{type(encoder_layer).__name__}"
            )
        built = build(norm) if isinstance(norm, dict) else norm
        if built is not None and not isinstance(built, Module):
            raise ValueError(f"{name}: norm must be a module (e.g. nn.LayerNorm(d_model)) or None, got {norm!r:.60}")
        self.layers = ModuleList([copy.deepcopy(layer) for _ in range(self.num_layers)])
        self.norm = built
        self.enable_nested_tensor, self.mask_check = bool(enable_nested_tensor), bool(mask_check)

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the stack from them)."""
        norm = None if self.norm is None else describe(self.norm)
        return {"encoder_layer": describe(self.layers[0]), "num_layers": self.num_layers, "norm": norm}

    def extra_repr(self) -> str:
        return f"num_layers={self.num_layers}"

    def forward(
        self,
        src: TensorLike,
        mask: TensorLike | None = None,
        src_key_padding_mask: TensorLike | None = None,
        is_causal: bool | None = None,
    ) -> Tensor:
        x = ag.as_tensor(src)
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask, is_causal=bool(is_causal))
        return x if self.norm is None else self.norm(x)
