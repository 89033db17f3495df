"""``Embedding``: a trainable lookup table of rows, the layer that turns token ids into vectors,
composed from indexing (its gradient adds into the rows used); ``EmbeddingBag``: each bag of rows reduced to one."""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.types import DTypeLike, TensorLike

from . import init as nn_init
from .checks import positive_int
from .embedding_functions import _padding_row, embedding, embedding_bag
from .init import GeneratorLike
from .module import Module


class Embedding(Module):
    """A lookup table: row ``i`` of ``weight`` (num_embeddings, embedding_dim) for each integer
    index ``i``; weights start N(0, 1) as PyTorch. The gradient adds into the rows used, except the
    ``padding_idx`` row (zeros at first), which is never trained. ``max_norm``, ``norm_type`` and
    ``scale_grad_by_freq`` are ``F.embedding``'s (rows renormalised in place when looked up; gradients divided by
    their frequency in the batch).

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
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
    ) -> None:
        super().__init__()
        self.max_norm, self.norm_type, self.scale_grad_by_freq = max_norm, float(norm_type), bool(scale_grad_by_freq)
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
        config: dict[str, Any] = {"num_embeddings": self.num_embeddings, "embedding_dim": self.embedding_dim}
        config["dtype"] = self.weight.dtype.name
        if self.max_norm is not None or self.scale_grad_by_freq:  # torch's options, when used
            config.update(max_norm=self.max_norm, norm_type=self.norm_type, scale_grad_by_freq=self.scale_grad_by_freq)
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
        if self.max_norm is not None or self.scale_grad_by_freq:  # torch's options: F.embedding has them
            return embedding(
                indices, self.weight, self.padding_idx, self.max_norm, self.norm_type, self.scale_grad_by_freq
            )
        rows = self.weight[indices]
        if self.padding_idx is None:
            return rows
        # the padding row's value, with no gradient: it is never trained (PyTorch's padding_idx)
        return ag.where((indices == self.padding_idx)[..., None], self.weight.detach()[indices], rows)

    def extra_repr(self) -> str:
        padding = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}{padding}"


class EmbeddingBag(Module):
    """A lookup table whose rows are reduced per bag ("sum", "mean" or "max"), as PyTorch's ``nn.EmbeddingBag``:
    ``F.embedding_bag(input, self.weight, offsets, ...)``, weight (num_embeddings, embedding_dim) drawn N(0, 1);
    ``forward(input, offsets=None, per_sample_weights=None)``. The ``padding_idx`` row starts at zero and is
    left out of every bag.

    >>> bag = EmbeddingBag(10, 3, mode="sum", seed=0)
    >>> bag(np.array([1, 2, 4, 5, 4]), np.array([0, 2])).shape
    (2, 3)
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        mode: str = "mean",
        sparse: bool = False,
        include_last_offset: bool = False,
        padding_idx: int | None = None,
        seed: GeneratorLike = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__()
        self.num_embeddings = positive_int("EmbeddingBag", "num_embeddings", num_embeddings)
        self.embedding_dim = positive_int("EmbeddingBag", "embedding_dim", embedding_dim)
        if mode not in ("sum", "mean", "max"):
            raise ValueError(f"EmbeddingBag: mode must be 'sum', 'mean' or 'max', got {mode!r}")
        if scale_grad_by_freq or sparse:
            raise ValueError("EmbeddingBag: scale_grad_by_freq and sparse are not supported here; leave them False")
        self.padding_idx = _padding_row("EmbeddingBag", padding_idx, self.num_embeddings)
        self.max_norm, self.norm_type, self.mode = max_norm, float(norm_type), mode
        self.include_last_offset = bool(include_last_offset)
        self.weight = Tensor(np.zeros((self.num_embeddings, self.embedding_dim), dtype), requires_grad=True)
        nn_init.normal_(self.weight, generator=seed)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        return {
            "num_embeddings": self.num_embeddings,
            "embedding_dim": self.embedding_dim,
            "max_norm": self.max_norm,
            "norm_type": self.norm_type,
            "mode": self.mode,
            "include_last_offset": self.include_last_offset,
            "padding_idx": self.padding_idx,
            "dtype": self.weight.dtype.name,
        }

    def forward(
        self, input: TensorLike, offsets: TensorLike | None = None, per_sample_weights: TensorLike | None = None
    ) -> Tensor:
        return embedding_bag(
            input, self.weight, offsets, self.max_norm, self.norm_type, mode=self.mode,
            per_sample_weights=per_sample_weights, include_last_offset=self.include_last_offset,
            padding_idx=self.padding_idx,
        )  # fmt: skip

    def extra_repr(self) -> str:
        padding = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}, mode={self.mode!r}{padding}"
