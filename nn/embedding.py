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
from .embedding_functions import _padding_row, _sparse_is_dense, embedding, embedding_bag
from .init import GeneratorLike
from .module import Module
from .parameter import mark_sparse_grad


class Embedding(Module):
    """A lookup table: row ``i`` of ``weight`` (num_embeddings, embedding_dim) for each integer
    index ``i``; weights start N(0, 1) as PyTorch. The gradient adds into the rows used, except the
    ``padding_idx`` row (zeros at first), which is never trained. ``max_norm``, ``norm_type``,
    ``scale_grad_by_freq`` and ``sparse`` are ``F.embedding``'s (rows renormalised in place when looked up;
    gradients divided by their frequency in the batch; ``sparse=True`` warns that gradients are dense here).
    ``Embedding.from_pretrained(weights)`` wraps given rows, frozen by default, as PyTorch's.

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
        sparse: bool = False,
    ) -> None:
        super().__init__()
        self.max_norm, self.norm_type, self.scale_grad_by_freq = max_norm, float(norm_type), bool(scale_grad_by_freq)
        _sparse_is_dense("Embedding", sparse)
        self.sparse = bool(sparse)
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
        if self.sparse:
            mark_sparse_grad(self.weight)  # nn.optim.SparseAdam takes its gradient's nonzero rows as torch's sparse one
        if padding_idx is not None:
            self.weight.data[padding_idx] = 0  # PyTorch's padding row starts at zero

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        config: dict[str, Any] = {"num_embeddings": self.num_embeddings, "embedding_dim": self.embedding_dim}
        config["dtype"] = self.weight.dtype.name
        if self.max_norm is not None or self.scale_grad_by_freq:  # torch's options, when used
            config.update(max_norm=self.max_norm, norm_type=self.norm_type, scale_grad_by_freq=self.scale_grad_by_freq)
        if self.sparse:
            config["sparse"] = True
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
        """PyTorch's line: ``Embedding(10, 3, padding_idx=0, max_norm=1.0, scale_grad_by_freq=True)``."""
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        text += "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return text + _torch_options(self) + (", sparse=True" if self.sparse else "")

    @classmethod
    def from_pretrained(
        cls,
        embeddings: TensorLike,
        freeze: bool = True,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
    ) -> Embedding:
        """An Embedding whose rows are ``embeddings`` (num_embeddings, embedding_dim), copied, as PyTorch's
        ``nn.Embedding.from_pretrained``: ``freeze=True`` (the default) leaves them untrained (requires_grad False);
        the ``padding_idx`` row keeps its given values.

        >>> table = Embedding.from_pretrained(np.array([[1.0, 2.0], [3.0, 4.0]]))
        >>> table(np.array([1])), table.weight.requires_grad
        (Tensor([[3., 4.]]), False)
        """
        rows = _pretrained_rows("Embedding.from_pretrained", embeddings)
        layer = cls(
            rows.shape[0], rows.shape[1], dtype=rows.dtype, padding_idx=padding_idx, max_norm=max_norm,
            norm_type=norm_type, scale_grad_by_freq=scale_grad_by_freq, sparse=sparse,
        )  # fmt: skip
        layer.weight.data[...] = rows
        layer.weight.requires_grad_(not freeze)
        return layer


class EmbeddingBag(Module):
    """A lookup table whose rows are reduced per bag ("sum", "mean" or "max"), as PyTorch's ``nn.EmbeddingBag``:
    ``F.embedding_bag(input, self.weight, offsets, ...)``, weight (num_embeddings, embedding_dim) drawn N(0, 1);
    ``forward(input, offsets=None, per_sample_weights=None)``. The ``padding_idx`` row starts at zero and is
    left out of every bag; ``scale_grad_by_freq`` ("sum" and "mean") divides each row's gradient by how often the
    input looks it up; ``sparse=True`` warns that gradients are dense here.
    ``EmbeddingBag.from_pretrained(weights)`` wraps given rows, frozen by default, as PyTorch's.

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
        if scale_grad_by_freq and mode == "max":
            raise ValueError(
                "EmbeddingBag: mode='max' does not scale the gradient by frequency (as torch's); use mode='sum' or "
                "'mean', or scale_grad_by_freq=False"
            )
        _sparse_is_dense("EmbeddingBag", sparse)
        self.scale_grad_by_freq, self.sparse = bool(scale_grad_by_freq), bool(sparse)
        self.padding_idx = _padding_row("EmbeddingBag", padding_idx, self.num_embeddings)
        self.max_norm, self.norm_type, self.mode = max_norm, float(norm_type), mode
        self.include_last_offset = bool(include_last_offset)
        self.weight = Tensor(np.zeros((self.num_embeddings, self.embedding_dim), dtype), requires_grad=True)
        nn_init.normal_(self.weight, generator=seed)
        if self.sparse:
            mark_sparse_grad(self.weight)
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
            **({"scale_grad_by_freq": True} if self.scale_grad_by_freq else {}),
            **({"sparse": True} if self.sparse else {}),
        }

    def forward(
        self, input: TensorLike, offsets: TensorLike | None = None, per_sample_weights: TensorLike | None = None
    ) -> Tensor:
        return embedding_bag(
            input, self.weight, offsets, self.max_norm, self.norm_type, self.scale_grad_by_freq, mode=self.mode,
            per_sample_weights=per_sample_weights, include_last_offset=self.include_last_offset,
            padding_idx=self.padding_idx,
        )  # fmt: skip

    def extra_repr(self) -> str:
        """PyTorch's line: ``EmbeddingBag(10, 3, scale_grad_by_freq=True, mode='sum', padding_idx=0)``."""
        padding = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}{_torch_options(self)}, mode={self.mode!r}{padding}"

    @classmethod
    def from_pretrained(
        cls,
        embeddings: TensorLike,
        freeze: bool = True,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        mode: str = "mean",
        sparse: bool = False,
        include_last_offset: bool = False,
        padding_idx: int | None = None,
    ) -> EmbeddingBag:
        """An EmbeddingBag whose rows are ``embeddings``, copied, as PyTorch's ``nn.EmbeddingBag.from_pretrained``
        (``freeze=True``, the default: not trained).

        >>> bag = EmbeddingBag.from_pretrained(np.array([[1.0, 2.0], [3.0, 4.0]]), mode="sum")
        >>> bag(np.array([[0, 1]]))
        Tensor([[4., 6.]])
        """
        rows = _pretrained_rows("EmbeddingBag.from_pretrained", embeddings)
        layer = cls(
            rows.shape[0], rows.shape[1], max_norm, norm_type, scale_grad_by_freq, mode, sparse,
            include_last_offset, padding_idx, dtype=rows.dtype,
        )  # fmt: skip
        layer.weight.data[...] = rows
        layer.weight.requires_grad_(not freeze)
        return layer


def _torch_options(layer: Embedding | EmbeddingBag) -> str:
    """The options PyTorch's repr shows when they are not the defaults."""
    text = "" if layer.max_norm is None else f", max_norm={layer.max_norm}"
    text += "" if layer.norm_type == 2 else f", norm_type={layer.norm_type}"
    return text + (", scale_grad_by_freq=True" if layer.scale_grad_by_freq else "")


def _pretrained_rows(op: str, embeddings: TensorLike) -> np.ndarray:
    rows = np.array(embeddings.data if isinstance(embeddings, Tensor) else embeddings)  # a copy, as torch's
    if rows.ndim != 2 or rows.dtype.kind != "f":
        raise ValueError(
            f"{op}: embeddings must be a 2-d floating-point array (num_embeddings, embedding_dim), got "
            f"shape {rows.shape} of dtype {rows.dtype}"
        )
    return rows
