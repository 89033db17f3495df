"""What the Fleuret (*The Little Book of Deep Learning*) and Murphy (*Probabilistic Machine Learning: An
Introduction*) ports share: the book's sinusoidal positional encoding, a tiny causal language model (the book's
GPT of 5.3, small enough for a Jacobian), the bytes a recorded graph keeps alive, and the count of linear pieces
of a 1-d function read from the engine's derivative."""

from __future__ import annotations

import numpy as np

import autograd_core as ag
import nn
from autograd_core import Tensor


def positional_encoding(length: int, dim: int, period: float = 1e4) -> np.ndarray:
    """Fleuret 4.10: pos-enc[t, d] = sin(t / T^(d / D)) for an even d, cos(t / T^((d - 1) / D)) for an odd d."""
    t, d = np.arange(length)[:, None], np.arange(dim)[None, :]
    angle = t / period ** ((d - d % 2) / dim)
    return np.where(d % 2 == 0, np.sin(angle), np.cos(angle))


class TinyGPT(nn.Module):
    """Fleuret 5.3's GPT, one block: token embedding + positional encoding, a causal self-attention layer (with
    its MLP), a linear read-out to the vocabulary's logits. ``forward`` takes (N, T) tokens; ``from_embedded``
    the (N, T, D) sum of the embeddings and the encoding (what a Jacobian with respect to the input needs)."""

    def __init__(self, vocabulary: int = 5, dim: int = 8, heads: int = 2, seed: int = 0) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocabulary, dim, seed=seed)
        self.block = nn.TransformerEncoderLayer(dim, heads, 2 * dim, dropout=0.0, batch_first=True, seed=seed + 1)
        self.head = nn.Linear(dim, vocabulary, seed=seed + 2)

    def embedded(self, tokens: np.ndarray) -> Tensor:
        return self.embed(tokens) + positional_encoding(tokens.shape[-1], self.embed.embedding_dim)

    def from_embedded(self, x: Tensor) -> Tensor:
        return self.head(self.block(x, is_causal=True))

    def forward(self, tokens: np.ndarray) -> Tensor:
        return self.from_embedded(self.embedded(tokens))


def graph_bytes(root: Tensor) -> int:
    """The bytes of every array a recorded graph keeps alive from ``root`` back to its leaves (the activations
    backward will need, Fleuret 3.4's memory cost), parameters excluded."""
    return sum(t.data.nbytes for t in ag.walk(root) if not t.requires_grad or t.parents)


def linear_pieces(slopes: np.ndarray, tol: float = 1e-9) -> int:
    """The number of linear pieces of a 1-d function sampled in order, from its slopes: one more than the
    number of times the slope changes (the samples must avoid the kinks themselves)."""
    return 1 + int(np.sum(np.abs(np.diff(slopes)) > tol))


def input_slopes(model: nn.Module, x: np.ndarray) -> np.ndarray:
    """d model(x) / dx at each of the scalar inputs ``x``, by one backward of the summed outputs (the rows are
    independent, so the sum's gradient holds each row's derivative)."""
    inputs = Tensor(x.reshape(-1, 1), requires_grad=True)
    model(inputs).sum().backward()
    return inputs.grad.ravel()
