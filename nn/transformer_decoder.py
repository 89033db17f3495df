"""``nn.TransformerDecoderLayer``, ``nn.TransformerDecoder`` and ``nn.Transformer``, PyTorch's, composed from
existing layers: two ``MultiheadAttention`` (self-attention on the target, cross-attention on the encoder's
memory), the feed-forward block, three ``LayerNorm`` and ``Dropout``; ``Transformer`` is an encoder stack and a
decoder stack, each closed by a LayerNorm. Attribute names are torch's (``self_attn``, ``multihead_attn``,
``norm3``, ``encoder.layers.0...``, ``decoder.norm``), so a torch ``state_dict`` loads and gives the same outputs.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.types import DTypeLike, TensorLike

from . import init as nn_init
from .architecture import build, describe
from .attention_layers import MultiheadAttention
from .checks import positive_int
from .containers import ModuleList
from .init import GeneratorLike
from .layers import Dropout, Linear
from .module import Module
from .normalization import LayerNorm
from .transformer import _ACTIVATIONS, TransformerEncoder, TransformerEncoderLayer, _activation, _check_sizes
from .transformer import _torch_linear as torch_linear

Mask = TensorLike | None


class TransformerDecoderLayer(Module):
    """One decoder block of "Attention Is All You Need", as PyTorch's ``nn.TransformerDecoderLayer``:
    self-attention on the target, attention from the target to ``memory`` (the encoder's output), then the
    feed-forward network, each added to its input and layer-normalised (``norm_first=False``, post-norm) or applied
    to the normalised input (``norm_first=True``). Arguments as ``TransformerEncoderLayer``'s.

    ``forward(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
    memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False)``: the masks are
    MultiheadAttention's (boolean True where a key is ignored, float ones added to the scores).

    >>> layer = TransformerDecoderLayer(8, 2, dim_feedforward=16, batch_first=True, seed=0)
    >>> layer(np.ones((3, 4, 8)), np.ones((3, 6, 8))).shape
    (3, 4, 8)
    """

    self_attn: MultiheadAttention
    multihead_attn: MultiheadAttention
    linear1: Linear
    linear2: Linear
    norm1: LayerNorm
    norm2: LayerNorm
    norm3: LayerNorm
    dropout: Dropout
    dropout1: Dropout
    dropout2: Dropout
    dropout3: Dropout
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
        name = "TransformerDecoderLayer"
        self.d_model, self.nhead, self.dim_feedforward = _check_sizes(name, d_model, nhead, dim_feedforward, dropout)
        self.activation = _activation(name, activation)
        self.batch_first, self.norm_first = bool(batch_first), bool(norm_first)
        generator, dtype = nn_init.as_generator(seed), np.dtype(dtype)
        self.self_attn = MultiheadAttention(
            d_model, nhead, dropout, bias, batch_first=batch_first, seed=generator, dtype=dtype
        )
        self.multihead_attn = MultiheadAttention(
            d_model, nhead, dropout, bias, batch_first=batch_first, seed=generator, dtype=dtype
        )
        self.linear1 = torch_linear(d_model, dim_feedforward, bias, generator, dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = torch_linear(dim_feedforward, d_model, bias, generator, dtype)
        self.norm1, self.norm2, self.norm3 = (LayerNorm(d_model, layer_norm_eps, dtype=dtype) for _ in range(3))
        self.dropout1, self.dropout2, self.dropout3 = Dropout(dropout), Dropout(dropout), Dropout(dropout)

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        names = [key for key, fn in _ACTIVATIONS.items() if fn is self.activation]
        if not names:
            raise TypeError(
                f"TransformerDecoderLayer: activation={self.activation!r} is a function, which a file cannot "
                "store; use activation='relu' or 'gelu', or save the weights (model.state_dict()) and rebuild"
            )
        return {
            "d_model": self.d_model, "nhead": self.nhead, "dim_feedforward": self.dim_feedforward,
            "dropout": self.dropout.p, "activation": names[0], "layer_norm_eps": self.norm1.eps,
            "batch_first": self.batch_first, "norm_first": self.norm_first, "bias": self.linear1.bias is not None,
            "dtype": self.linear1.weight.dtype.name,
        }  # fmt: skip

    def extra_repr(self) -> str:
        return (
            f"d_model={self.d_model}, nhead={self.nhead}, dim_feedforward={self.dim_feedforward}, "
            f"batch_first={self.batch_first}, norm_first={self.norm_first}"
        )

    def forward(
        self,
        tgt: TensorLike,
        memory: TensorLike,
        tgt_mask: Mask = None,
        memory_mask: Mask = None,
        tgt_key_padding_mask: Mask = None,
        memory_key_padding_mask: Mask = None,
        tgt_is_causal: bool = False,
        memory_is_causal: bool = False,
    ) -> Tensor:
        x, mem = ag.as_tensor(tgt), ag.as_tensor(memory)
        layout = "(N, T, E)" if self.batch_first else "(T, N, E)"
        for what, t in (("tgt", x), ("memory", mem)):
            if t.ndim not in (2, 3) or t.shape[-1] != self.d_model or t.ndim != x.ndim:
                raise ValueError(
                    f"TransformerDecoderLayer(d_model={self.d_model}, nhead={self.nhead}): {what} of shape {t.shape} "
                    f"(tgt {x.shape}) should be {layout} or unbatched (T, E), both alike, with E = d_model = "
                    f"{self.d_model}"
                )

        def attend_to_itself(h: Tensor) -> Tensor:
            out, _ = self.self_attn(
                h, h, h, key_padding_mask=tgt_key_padding_mask, need_weights=False, attn_mask=tgt_mask,
                is_causal=tgt_is_causal,
            )  # fmt: skip
            return self.dropout1(out)

        def attend_to_memory(h: Tensor) -> Tensor:
            out, _ = self.multihead_attn(
                h, mem, mem, key_padding_mask=memory_key_padding_mask, need_weights=False, attn_mask=memory_mask,
                is_causal=memory_is_causal,
            )  # fmt: skip
            return self.dropout2(out)

        def feed_forward(h: Tensor) -> Tensor:
            return self.dropout3(self.linear2(self.dropout(self.activation(self.linear1(h)))))

        if self.norm_first:
            x = x + attend_to_itself(self.norm1(x))
            x = x + attend_to_memory(self.norm2(x))
            return x + feed_forward(self.norm3(x))
        x = self.norm1(x + attend_to_itself(x))
        x = self.norm2(x + attend_to_memory(x))
        return self.norm3(x + feed_forward(x))


class TransformerDecoder(Module):
    """A stack of ``num_layers`` deep copies of ``decoder_layer`` (``layers.0``, ...), then ``norm`` if given:
    PyTorch's ``nn.TransformerDecoder``. ``forward(tgt, memory, tgt_mask=None, memory_mask=None,
    tgt_key_padding_mask=None, memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False)``
    passes the masks to every layer.

    >>> decoder = TransformerDecoder(TransformerDecoderLayer(8, 2, dim_feedforward=16, seed=0), 2)
    >>> decoder(np.ones((4, 3, 8)), np.ones((6, 3, 8))).shape
    (4, 3, 8)
    """

    layers: ModuleList
    norm: Module | None

    def __init__(
        self,
        decoder_layer: TransformerDecoderLayer | dict[str, Any],
        num_layers: int,
        norm: Module | dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        name = "TransformerDecoder"
        self.num_layers = positive_int(name, "num_layers", num_layers)
        layer = build(decoder_layer) if isinstance(decoder_layer, dict) else decoder_layer
        if not isinstance(layer, Module):
            raise ValueError(
                f"{name}: decoder_layer must be a module (an nn.TransformerDecoderLayer), got "
                f"{type(decoder_layer).__name__}"
            )
        built = build(norm) if isinstance(norm, dict) else norm
        if built is not None and not isinstance(built, Module):
            raise ValueError(f"{name}: norm must be a module (e.g. nn.LayerNorm(d_model)) or None, got {norm!r:.60}")
        self.layers = ModuleList([copy.deepcopy(layer) for _ in range(self.num_layers)])
        self.norm = built

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the stack from them)."""
        norm = None if self.norm is None else describe(self.norm)
        return {"decoder_layer": describe(self.layers[0]), "num_layers": self.num_layers, "norm": norm}

    def extra_repr(self) -> str:
        return f"num_layers={self.num_layers}"

    def forward(
        self,
        tgt: TensorLike,
        memory: TensorLike,
        tgt_mask: Mask = None,
        memory_mask: Mask = None,
        tgt_key_padding_mask: Mask = None,
        memory_key_padding_mask: Mask = None,
        tgt_is_causal: bool | None = None,
        memory_is_causal: bool = False,
    ) -> Tensor:
        x = ag.as_tensor(tgt)
        for layer in self.layers:
            x = layer(
                x, memory, tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask, bool(tgt_is_causal),
                memory_is_causal,
            )  # fmt: skip
        return x if self.norm is None else self.norm(x)


class Transformer(Module):
    """The whole "Attention Is All You Need" model, as PyTorch's ``nn.Transformer``: a ``TransformerEncoder`` of
    ``num_encoder_layers`` (``encoder``) and a ``TransformerDecoder`` of ``num_decoder_layers`` (``decoder``), each
    closed by a LayerNorm; every weight matrix xavier-uniform, as torch's. ``custom_encoder`` / ``custom_decoder``
    replace the stacks. ``forward(src, tgt, src_mask=None, tgt_mask=None, memory_mask=None,
    src_key_padding_mask=None, tgt_key_padding_mask=None, memory_key_padding_mask=None, src_is_causal=None,
    tgt_is_causal=None, memory_is_causal=False)``; ``Transformer.generate_square_subsequent_mask(T)`` the causal
    float mask (-inf above the diagonal) for ``tgt_mask``.

    >>> model = Transformer(8, 2, 1, 1, dim_feedforward=16, batch_first=True, seed=0)
    >>> tgt = np.ones((3, 4, 8))
    >>> model(np.ones((3, 5, 8)), tgt, tgt_mask=Transformer.generate_square_subsequent_mask(4)).shape
    (3, 4, 8)
    """

    encoder: Module
    decoder: Module

    def __init__(
        self,
        d_model: int = 512,
        nhead: int = 8,
        num_encoder_layers: int = 6,
        num_decoder_layers: int = 6,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str | Callable[[Tensor], Tensor] = "relu",
        custom_encoder: Module | None = None,
        custom_decoder: Module | None = None,
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        seed: GeneratorLike = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__()
        generator = nn_init.as_generator(seed)
        options = dict(
            dim_feedforward=dim_feedforward, dropout=dropout, activation=activation, layer_norm_eps=layer_norm_eps,
            batch_first=batch_first, norm_first=norm_first, bias=bias, seed=generator, dtype=dtype,
        )  # fmt: skip
        name = "Transformer"
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            encoder_layer = TransformerEncoderLayer(d_model, nhead, **options)  # type: ignore[arg-type]
            layers = positive_int(name, "num_encoder_layers", num_encoder_layers)
            self.encoder = TransformerEncoder(encoder_layer, layers, LayerNorm(d_model, layer_norm_eps, dtype=dtype))
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            decoder_layer = TransformerDecoderLayer(d_model, nhead, **options)  # type: ignore[arg-type]
            layers = positive_int(name, "num_decoder_layers", num_decoder_layers)
            self.decoder = TransformerDecoder(decoder_layer, layers, LayerNorm(d_model, layer_norm_eps, dtype=dtype))
        for _, p in self.named_parameters():  # torch's _reset_parameters: every matrix xavier-uniform
            if p.ndim > 1:
                nn_init.xavier_uniform_(p, generator=generator)
        self.d_model, self.nhead, self.batch_first = int(d_model), int(nhead), bool(batch_first)
        self.custom = custom_encoder is not None or custom_decoder is not None
        self._arguments = {
            "d_model": self.d_model, "nhead": self.nhead, "num_encoder_layers": num_encoder_layers,
            "num_decoder_layers": num_decoder_layers, "dim_feedforward": dim_feedforward, "dropout": dropout,
            "activation": activation, "layer_norm_eps": layer_norm_eps, "batch_first": self.batch_first,
            "norm_first": bool(norm_first), "bias": bool(bias), "dtype": np.dtype(dtype).name,
        }  # fmt: skip

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the model from them)."""
        if self.custom or not isinstance(self._arguments["activation"], str):
            raise TypeError(
                "Transformer: a custom encoder or decoder, or an activation function, cannot be stored in a file; "
                "save the weights (model.state_dict()) and rebuild the model in code"
            )
        return dict(self._arguments)

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device: object = None, dtype: DTypeLike = np.float64) -> np.ndarray:
        """The (sz, sz) causal mask, as torch's: 0 on and below the diagonal, -inf above (query i sees keys
        0..i).

        >>> Transformer.generate_square_subsequent_mask(3)
        array([[  0., -inf, -inf],
               [  0.,   0., -inf],
               [  0.,   0.,   0.]])
        """
        size = positive_int("Transformer.generate_square_subsequent_mask", "sz", sz)
        return np.triu(np.full((size, size), -np.inf, dtype=np.dtype(dtype)), k=1)

    def forward(
        self,
        src: TensorLike,
        tgt: TensorLike,
        src_mask: Mask = None,
        tgt_mask: Mask = None,
        memory_mask: Mask = None,
        src_key_padding_mask: Mask = None,
        tgt_key_padding_mask: Mask = None,
        memory_key_padding_mask: Mask = None,
        src_is_causal: bool | None = None,
        tgt_is_causal: bool | None = None,
        memory_is_causal: bool = False,
    ) -> Tensor:
        source, target = ag.as_tensor(src), ag.as_tensor(tgt)
        batch_axis = 0 if self.batch_first else 1
        if source.ndim != target.ndim or (source.ndim == 3 and source.shape[batch_axis] != target.shape[batch_axis]):
            raise ValueError(
                f"Transformer: src {source.shape} and tgt {target.shape} must both be batched with the same batch size "
                f"(axis {batch_axis}, batch_first={self.batch_first}) or both unbatched"
            )
        if source.shape[-1] != self.d_model or target.shape[-1] != self.d_model:
            raise ValueError(
                f"Transformer: the feature number of src {source.shape} and tgt {target.shape} must equal d_model = "
                f"{self.d_model} (their last axis)"
            )
        memory = self.encoder(source, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal)
        return self.decoder(
            target, memory, tgt_mask=tgt_mask, memory_mask=memory_mask, tgt_key_padding_mask=tgt_key_padding_mask,
            memory_key_padding_mask=memory_key_padding_mask, tgt_is_causal=tgt_is_causal,
            memory_is_causal=memory_is_causal,
        )  # fmt: skip


__all__ = ["TransformerDecoderLayer", "TransformerDecoder", "Transformer"]
