"""Layers and functions of pairs of vectors, as PyTorch names them: ``F.bilinear`` and ``nn.Bilinear`` (x1^T A x2 + b,
one matrix A per output), ``F.pdist`` (the distances between every pair of rows), and the layers
``nn.CosineSimilarity`` and ``nn.PairwiseDistance`` of activations.py's ``F.cosine_similarity`` and
``F.pairwise_distance``. All composed from Tensor ops (a matmul, indexing, norms): no backward here.
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
from .activations import cosine_similarity, pairwise_distance
from .checks import positive_int
from .init import GeneratorLike
from .module import Module


def bilinear(input1: TensorLike, input2: TensorLike, weight: TensorLike, bias: TensorLike | None = None) -> Tensor:
    """y[..., o] = input1 @ weight[o] @ input2 + bias[o], as PyTorch's ``F.bilinear``: ``input1`` (*, in1),
    ``input2`` (*, in2) with the same leading axes, ``weight`` (out, in1, in2), ``bias`` (out,). One matmul: x1
    against every output's matrix at once, then a product with x2 summed over in2.

    >>> F.bilinear(Tensor([[1.0, 2.0]]), Tensor([[3.0]]), ag.ones(1, 2, 1), Tensor([0.5]))   # (1 + 2) * 3 + 0.5
    Tensor([[9.5]])
    """
    x1, x2, w = ag.as_tensor(input1), ag.as_tensor(input2), ag.as_tensor(weight)
    if w.ndim != 3 or x1.ndim < 1 or x2.ndim < 1 or (x1.shape[-1], x2.shape[-1]) != w.shape[1:]:
        raise ValueError(
            f"bilinear: input1 {x1.shape} and input2 {x2.shape} do not fit weight {w.shape}: weight must be "
            "(out_features, in1_features, in2_features) with in1 = input1.shape[-1] and in2 = input2.shape[-1]"
        )
    if x1.shape[:-1] != x2.shape[:-1]:
        raise ValueError(
            f"bilinear: input1 {x1.shape} and input2 {x2.shape} must have the same leading axes (one pair per row); "
            "broadcast them to a common shape first"
        )
    out, in1, in2 = w.shape
    # x1 @ (in1, out * in2): every output's x1^T A_o, then times x2 and summed over in2
    projected = (x1 @ w.transpose(1, 0, 2).reshape(in1, out * in2)).reshape(x1.shape[:-1] + (out, in2))
    y = (projected * x2.reshape(x2.shape[:-1] + (1, in2))).sum(axis=-1)
    if bias is not None:
        b = ag.as_tensor(bias)
        if b.shape != (out,):
            raise ValueError(f"bilinear: bias must have shape ({out},) (one per output), got {b.shape}")
        y = y + b
    return y


class Bilinear(Module):
    """y = x1^T A_o x2 + b_o for each output o, as PyTorch's ``nn.Bilinear``: ``weight`` (out_features,
    in1_features, in2_features) and ``bias`` (out_features,), both drawn from U(-1/sqrt(in1_features),
    1/sqrt(in1_features)) as torch's (``seed``: an int, a numpy Generator or None, nn.init's default).

    >>> layer = Bilinear(2, 3, 4, seed=0)
    >>> layer(np.ones((5, 2)), np.ones((5, 3))).shape
    (5, 4)
    """

    def __init__(
        self,
        in1_features: int,
        in2_features: int,
        out_features: int,
        bias: bool = True,
        seed: GeneratorLike = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__()
        self.in1_features = positive_int("Bilinear", "in1_features", in1_features)
        self.in2_features = positive_int("Bilinear", "in2_features", in2_features)
        self.out_features = positive_int("Bilinear", "out_features", out_features)
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"Bilinear: dtype must be floating-point (float64 or float32), got {dtype}")
        generator, bound = nn_init.as_generator(seed), 1 / math.sqrt(self.in1_features)
        shape = (self.out_features, self.in1_features, self.in2_features)
        self.weight = Tensor(generator.uniform(-bound, bound, shape).astype(dtype), requires_grad=True)
        values = generator.uniform(-bound, bound, self.out_features).astype(dtype)
        self.bias = Tensor(values, requires_grad=True) if bias else None

    def forward(self, input1: TensorLike, input2: TensorLike) -> Tensor:
        x1, x2 = ag.as_tensor(input1), ag.as_tensor(input2)
        if x1.shape[-1:] != (self.in1_features,) or x2.shape[-1:] != (self.in2_features,):
            raise ValueError(
                f"Bilinear({self.extra_repr()}): inputs of shapes {x1.shape} and {x2.shape}; expected "
                f"(N, {self.in1_features}) and (N, {self.in2_features})"
            )
        return bilinear(x1, x2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
            f"out_features={self.out_features}, bias={self.bias is not None}"
        )

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        return {
            "in1_features": self.in1_features,
            "in2_features": self.in2_features,
            "out_features": self.out_features,
            "bias": self.bias is not None,
            "dtype": self.weight.dtype.name,
        }


def pdist(input: TensorLike, p: float = 2.0) -> Tensor:
    """The p-norm distance between every pair of rows i < j of an (N, M) input, in the order (0, 1), (0, 2), ...,
    (1, 2), ...: N (N - 1) / 2 distances, as PyTorch's ``F.pdist`` (scipy's condensed ``pdist``). p = 0 counts
    the differing coordinates (gradient 0); at a zero distance the gradient is 0, as torch's.

    >>> F.pdist(Tensor([[0.0, 0.0], [3.0, 4.0], [0.0, 1.0]]))
    Tensor([5.    , 1.    , 4.2426])
    """
    x = ag.as_tensor(input)
    if x.ndim != 2:
        raise ValueError(
            f"pdist: expected an (N, M) input (N rows of M coordinates), got shape {x.shape}; flatten each row first "
            "(x.reshape(len(x), -1))"
        )
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not p >= 0:
        raise ValueError(f"pdist: p must be a number >= 0 (the norm's order; math.inf allowed), got {p!r}")
    first, second = np.triu_indices(x.shape[0], 1)
    differences = x[first] - x[second]
    if p == 0:  # a count: piecewise constant, its gradient 0 (kept in the graph, as torch's)
        counts = (np.asarray(differences.data) != 0).sum(axis=1).astype(differences.dtype)
        return (differences * 0).sum(axis=1) + counts
    return differences.norm(float(p), 1)


class CosineSimilarity(Module):
    """The cosine of the angle between ``x1`` and ``x2`` along ``dim``: ``F.cosine_similarity``, as PyTorch's
    ``nn.CosineSimilarity``.

    >>> CosineSimilarity()(Tensor([[1.0, 0.0]]), Tensor([[1.0, 1.0]]))
    Tensor([0.7071])
    """

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
            raise ValueError(f"CosineSimilarity: dim must be an int (the axis of the vectors), got {dim!r}")
        if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not eps >= 0:
            raise ValueError(f"CosineSimilarity: eps must be a number >= 0 (the smallest norm), got {eps!r}")
        self.dim: int = int(dim)
        self.eps: float = float(eps)

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        return {"dim": self.dim, "eps": self.eps}

    def forward(self, x1: TensorLike, x2: TensorLike) -> Tensor:
        return cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """||x1 - x2 + eps||_p over the last axis: ``F.pairwise_distance``, as PyTorch's ``nn.PairwiseDistance``.

    >>> PairwiseDistance(eps=0.0)(Tensor([[0.0, 0.0]]), Tensor([[3.0, 4.0]]))
    Tensor([5.])
    """

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        pairwise_distance(np.zeros(1), np.zeros(1), p)  # checks p now, not at the first forward
        if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not math.isfinite(eps):
            raise ValueError(f"PairwiseDistance: eps must be a finite number, got {eps!r}")
        self.norm: float = float(p)  # (torch's attribute names)
        self.eps: float = float(eps)
        self.keepdim: bool = bool(keepdim)

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        return {"p": self.norm, "eps": self.eps, "keepdim": self.keepdim}

    def forward(self, x1: TensorLike, x2: TensorLike) -> Tensor:
        return pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
