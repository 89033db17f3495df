"""Distributions over vectors: ``MultivariateNormal`` (through its Cholesky factor) and ``Independent`` (a batch
of scalar distributions read as one event, e.g. a VAE's diagonal Gaussian posterior).

MultivariateNormal keeps L (``scale_tril``, Σ = L Lᵀ): a draw is loc + L eps, the Mahalanobis term of
``log_prob`` is |L⁻¹(x - loc)|² (a solve, never an inverse) and log det Σ = 2 Σ log diag L. Cholesky and solve
are the engine's differentiable ``ag.linalg`` functions, so every formula differentiates in loc and the matrix.

>>> import autograd_core as ag
>>> d = MultivariateNormal(ag.zeros(2), covariance_matrix=ag.Tensor([[4.0, 0.0], [0.0, 1.0]]))
>>> round(d.log_prob(ag.Tensor([2.0, 0.0])).item(), 6)  # -log(2 pi) - ½ log det Σ - ½ (2² / 4)
-3.031024
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from ..linalg_matrix import cholesky, inv, solve
from ..sampling import Generator
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution, Shape, broadcast_all

__all__ = ["Independent", "MultivariateNormal"]

_MATRICES = ("covariance_matrix", "precision_matrix", "scale_tril")


class MultivariateNormal(Distribution):
    """N(loc, Σ) on R^n, as ``torch.distributions.MultivariateNormal``: give exactly one of
    ``covariance_matrix``, ``precision_matrix`` or ``scale_tril`` (lower triangular L with Σ = L Lᵀ).

    >>> d = MultivariateNormal(ag.zeros(3), scale_tril=2 * ag.eye(3))
    >>> d.event_shape, d.variance.tolist(), d.rsample((5,)).shape
    ((3,), [4.0, 4.0, 4.0], (5, 3))
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "loc": constraints.real_vector,
        "covariance_matrix": constraints.positive_definite,
        "precision_matrix": constraints.positive_definite,
        "scale_tril": constraints.lower_cholesky,
    }
    support = constraints.real_vector
    has_rsample = True

    def __init__(
        self,
        loc: Any,
        covariance_matrix: Any = None,
        precision_matrix: Any = None,
        scale_tril: Any = None,
        validate_args: bool | None = None,
    ) -> None:
        given = {n: m for n, m in zip(_MATRICES, (covariance_matrix, precision_matrix, scale_tril), strict=True)}
        named = [n for n, m in given.items() if m is not None]
        if len(named) != 1:
            raise ValueError(
                "MultivariateNormal: give exactly one of covariance_matrix=, precision_matrix= or scale_tril=, "
                f"got {', '.join(named) or 'none'}"
            )
        self._matrix_name = named[0]
        loc, matrix = broadcast_all_but_event(loc, given[self._matrix_name], self._matrix_name)
        self.loc, self._matrix = loc, matrix
        super().__init__(loc.shape[:-1], loc.shape[-1:], validate_args=validate_args)
        if self._matrix_name == "scale_tril":
            self._scale_tril = matrix
        elif self._matrix_name == "covariance_matrix":
            self._scale_tril = cholesky(matrix)
        else:
            self._scale_tril = cholesky(inv(matrix))

    def _given_params(self) -> dict[str, Tensor]:
        return {"loc": self.loc, self._matrix_name: self._matrix}

    @property
    def scale_tril(self) -> Tensor:
        return self._scale_tril

    @property
    def covariance_matrix(self) -> Tensor:
        return self._matrix if self._matrix_name == "covariance_matrix" else self._scale_tril @ self._scale_tril.mT

    @property
    def precision_matrix(self) -> Tensor:
        return self._matrix if self._matrix_name == "precision_matrix" else inv(self.covariance_matrix)

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        return (self._scale_tril**2).sum(-1)

    def rsample(self, sample_shape: Shape | list[int] = (), *, generator: Generator | None = None) -> Tensor:
        shape = self._extended_shape(sample_shape)
        eps = self._draw(generator).standard_normal(shape + (1,)).astype(self.loc.dtype)
        return self.loc + (self._scale_tril @ eps)[..., 0]

    def _half_log_det(self) -> Tensor:
        """½ log det Σ = Σ log diag L."""
        return self._scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)

    def _mahalanobis(self, diff: Tensor) -> Tensor:
        """|L⁻¹ diff|², by a solve (batch axes broadcast)."""
        return (solve(self._solvable_tril(), diff[..., None])[..., 0] ** 2).sum(-1)

    def _solvable_tril(self) -> Tensor:
        """L for a solve: ``tril`` keeps the same values but sends no gradient to the upper triangle, which a
        triangular solve (torch's) never reads; a general solve would."""
        return self._scale_tril.tril()

    def log_prob(self, value: Any) -> Tensor:
        value = self._validate_sample(value)
        n = self.event_shape[0]
        return -0.5 * (n * math.log(2 * math.pi) + self._mahalanobis(value - self.loc)) - self._half_log_det()

    def entropy(self) -> Tensor:
        n = self.event_shape[0]
        return (0.5 * n * (1 + math.log(2 * math.pi)) + self._half_log_det()).expand(*self.batch_shape)


def broadcast_all_but_event(loc: Any, matrix: Any, name: str) -> tuple[Tensor, Tensor]:
    """loc (..., n) and the matrix (..., n, n) as Tensors of one float dtype, their batch axes broadcast."""
    loc, matrix = (broadcast_all("MultivariateNormal", **{k: v})[0] for k, v in (("loc", loc), (name, matrix)))
    if loc.ndim < 1 or matrix.ndim < 2 or matrix.shape[-1] != matrix.shape[-2] or matrix.shape[-1] != loc.shape[-1]:
        raise ValueError(
            f"MultivariateNormal: loc must be (..., n) and {name} (..., n, n), got loc of shape {loc.shape} and "
            f"{name} of shape {matrix.shape}"
        )
    dtype = np.result_type(loc.dtype, matrix.dtype)
    loc, matrix = loc.to(dtype), matrix.to(dtype)
    try:
        batch = np.broadcast_shapes(loc.shape[:-1], matrix.shape[:-2])
    except ValueError:
        raise ValueError(
            f"MultivariateNormal: the batch axes of loc {loc.shape} and {name} {matrix.shape} do not broadcast"
        ) from None
    n = loc.shape[-1]
    loc = loc if loc.shape[:-1] == batch else loc.expand(*batch, n)
    return loc, matrix if matrix.shape[:-2] == batch else matrix.expand(*batch, n, n)


class Independent(Distribution):
    """Reads the last ``reinterpreted_batch_ndims`` batch axes of ``base_distribution`` as event axes: its
    ``log_prob`` and ``entropy`` sum over them, as ``torch.distributions.Independent``. A VAE's q(z|x) is
    ``Independent(Normal(mu, sigma), 1)``: one log-density per example, not per latent coordinate.

    >>> from autograd_core.distributions import Normal
    >>> d = Independent(Normal(ag.zeros(4, 3), ag.ones(4, 3)), 1)
    >>> d.batch_shape, d.event_shape, d.log_prob(ag.zeros(4, 3)).shape
    ((4,), (3,), (4,))
    """

    def __init__(
        self, base_distribution: Distribution, reinterpreted_batch_ndims: int, validate_args: bool | None = None
    ) -> None:
        if not isinstance(base_distribution, Distribution):
            raise TypeError(f"Independent: base_distribution must be a Distribution, got {base_distribution!r}")
        base_batch = base_distribution.batch_shape
        r = reinterpreted_batch_ndims
        if not isinstance(r, (int, np.integer)) or not 0 <= r <= len(base_batch):
            raise ValueError(
                f"Independent: reinterpreted_batch_ndims must be an int in [0, {len(base_batch)}] (the base's "
                f"batch_shape is {base_batch}), got {r!r}"
            )
        self.base_dist, self.reinterpreted_batch_ndims = base_distribution, int(r)
        self.has_rsample = base_distribution.has_rsample
        cut = len(base_batch) - self.reinterpreted_batch_ndims
        event = base_batch[cut:] + base_distribution.event_shape
        super().__init__(base_batch[:cut], event, validate_args=validate_args)

    def _given_params(self) -> dict[str, Any]:
        return {"base_distribution": self.base_dist, "reinterpreted_batch_ndims": self.reinterpreted_batch_ndims}

    def expand(self, batch_shape: Shape | list[int], _instance: Any = None) -> Independent:
        inner = self.base_dist.batch_shape[len(self.batch_shape) :]
        return Independent(self.base_dist.expand(tuple(batch_shape) + inner), self.reinterpreted_batch_ndims)

    def _sum_rightmost(self, t: Tensor) -> Tensor:
        return t.sum(tuple(range(-self.reinterpreted_batch_ndims, 0))) if self.reinterpreted_batch_ndims else t

    @property
    def support(self) -> constraints.Constraint:
        return self.base_dist.support

    @property
    def mean(self) -> Tensor:
        return self.base_dist.mean

    @property
    def mode(self) -> Tensor:
        return self.base_dist.mode

    @property
    def variance(self) -> Tensor:
        return self.base_dist.variance

    def sample(self, sample_shape: Shape | list[int] = (), *, generator: Generator | None = None) -> Tensor:
        return self.base_dist.sample(sample_shape, generator=generator)

    def rsample(self, sample_shape: Shape | list[int] = (), *, generator: Generator | None = None) -> Tensor:
        return self.base_dist.rsample(sample_shape, generator=generator)

    def log_prob(self, value: Any) -> Tensor:
        return self._sum_rightmost(self.base_dist.log_prob(value))

    def entropy(self) -> Tensor:
        return self._sum_rightmost(self.base_dist.entropy())
