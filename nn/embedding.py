"""``Embedding``: a trainable lookup table of rows, the layer that turns token ids into vectors,
composed from indexing (its gradient adds into the rows used)."""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.types import DTypeLike, TensorLike

from . import init as nn_init
from .checks import positive_int
from .init import GeneratorLike
from .module import Module


class Embedding(Module):
    """A lookup table: row ``i`` of ``weight`` (num_embeddings, embedding_dim) for each integer
    index ``i``; weights start N(0, 1) as PyTorch. The gradient adds into the rows used, except the
    ``padding_idx`` row (zeros at first), which is never trained.

    >>> Embedding(10, 3, seed=0)(np.array([[1, 2], [4, 1]])).shape
    (2, 2, 3)
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        seed: GeneratorLike = None,
        dtype: DTypeLike = np.float64,
        padding_idx: int | None = None,
    ) -> None:
        super().__init__()
        self.num_embeddings = positive_int("Embedding", "num_embeddings", num_embeddings)
        self.embedding_dim = positive_int("Embedding", "embedding_dim", embedding_dim)
        if padding_idx is not None:
            if not isinstance(padding_idx, (int, np.integer)) or not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(
                    f"Embedding: padding_idx must be an int in [{-num_embeddings}, {num_embeddings}), "
                    f"got {padding_idx!r}"
                )
            padding_idx = int(padding_idx) % num_embeddings
        self.padding_idx = padding_idx
        self.weight = Tensor(np.zeros((self.num_embeddings, self.embedding_dim), dtype), requires_grad=True)
        nn_init.normal_(self.weight, generator=seed)
        if padding_idx is not None:
            self.weight.data[padding_idx] = 0  # PyTorch's padding row starts at zero

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        config = {"num_embeddings": self.num_embeddings, "embedding_dim": self.embedding_dim}
        config["dtype"] = self.weight.dtype.name
        return config if self.padding_idx is None else {**config, "padding_idx": self.padding_idx}

    def forward(self, indices: TensorLike) -> Tensor:
        indices = np.asarray(indices.data if isinstance(indices, Tensor) else indices)
        if indices.dtype.kind not in "iu":
            raise TypeError(
                f"Embedding: indices must be integers, got dtype {indices.dtype}; convert with idx.astype(np.int64)"
            )
        if indices.size and (indices.min() < 0 or indices.max() >= self.num_embeddings):
            raise ValueError(
                f"Embedding({self.num_embeddings}, {self.embedding_dim}): indices must be in "
                f"0..{self.num_embeddings - 1}, got min {indices.min()}, max {indices.max()}"
            )
        rows = self.weight[indices]
        if self.padding_idx is None:
            return rows
        # the padding row's value, with no gradient: it is never trained (PyTorch's padding_idx)
        return ag.where((indices == self.padding_idx)[..., None], self.weight.detach()[indices], rows)

    def extra_repr(self) -> str:
        padding = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}{padding}"
