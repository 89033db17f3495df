"""Gaussians with structure, as torch.distributions': ``LowRankMultivariateNormal`` (covariance W Wᵀ + diag(D),
a factor model: log_prob in O(n m²) by the Woodbury identity and the matrix determinant lemma, never forming
the n x n inverse) and ``LogisticNormal`` (a Normal in R^(K-1) pushed onto the K-simplex by stick breaking).
Every step is a Tensor op (matmul, cholesky, solve), so both differentiate in all their parameters.

>>> import autograd_core as ag
>>> d = LowRankMultivariateNormal(ag.zeros(2), ag.Tensor([[1.0], [1.0]]), ag.Tensor([1.0, 1.0]))
>>> d.covariance_matrix.tolist(), round(d.log_prob(ag.zeros(2)).item(), 6)  # -log(2 pi) - ½ log 3
([[2.0, 1.0], [1.0, 2.0]], -2.387183)
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from ..linalg_matrix import cholesky, solve
from ..sampling import Generator
from ..tensor import Tensor
from . import constraints
from .continuous import Normal
from .distribution import Distribution, Shape, broadcast_all
from .transformed import TransformedDistribution
from .transforms_structured import StickBreakingTransform

__all__ = ["LogisticNormal", "LowRankMultivariateNormal"]


class LowRankMultivariateNormal(Distribution):
    """N(loc, W Wᵀ + diag(D)) on R^n with ``cov_factor`` W (n x m) and ``cov_diag`` D (n, positive), as
    ``torch.distributions.LowRankMultivariateNormal``; ``rsample`` is loc + W e1 + sqrt(D) e2.

    >>> d = LowRankMultivariateNormal(ag.zeros(3), ag.ones(3, 1), ag.ones(3))
    >>> d.variance.tolist(), d.rsample((4,)).shape
    ([2.0, 2.0, 2.0], (4, 3))
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "loc": constraints.real_vector,
        "cov_factor": constraints.independent(constraints.real, 2),
        "cov_diag": constraints.independent(constraints.positive, 1),
    }
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc: Any, cov_factor: Any, cov_diag: Any, validate_args: bool | None = None) -> None:
        loc, w, diag = broadcast_all_shapes(loc, cov_factor, cov_diag)
        self.loc, self.cov_factor, self.cov_diag = loc, w, diag
        # the capacitance C = I + Wᵀ D⁻¹ W (m x m) and its Cholesky factor carry both identities
        wt_dinv = w.mT / diag[..., None, :]
        self._capacitance_tril = cholesky(wt_dinv @ w + Tensor(np.eye(w.shape[-1], dtype=w.dtype)))
        super().__init__(loc.shape[:-1], loc.shape[-1:], validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        return (self.cov_factor**2).sum(-1) + self.cov_diag

    @property
    def covariance_matrix(self) -> Tensor:
        return self.cov_factor @ self.cov_factor.mT + self.cov_diag.diag_embed()

    @property
    def precision_matrix(self) -> Tensor:
        """D⁻¹ - D⁻¹ W C⁻¹ Wᵀ D⁻¹ (Woodbury)."""
        a = solve(self._capacitance_tril, self.cov_factor.mT / self.cov_diag[..., None, :])
        return (1 / self.cov_diag).diag_embed() - a.mT @ a

    @property
    def scale_tril(self) -> Tensor:
        return cholesky(self.covariance_matrix)

    def rsample(self, sample_shape: Shape | list[int] = (), *, generator: Generator | None = None) -> Tensor:
        shape, rng = self._extended_shape(sample_shape), self._draw(generator)
        eps_w = rng.standard_normal(shape[:-1] + self.cov_factor.shape[-1:] + (1,)).astype(self.loc.dtype)
        eps_d = rng.standard_normal(shape).astype(self.loc.dtype)
        return self.loc + (self.cov_factor @ eps_w)[..., 0] + self.cov_diag.sqrt() * eps_d

    def _log_det(self) -> Tensor:
        """log |W Wᵀ + D| = log |C| + log |D| (the matrix determinant lemma)."""
        return 2 * self._capacitance_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1) + self.cov_diag.log().sum(-1)

    def log_prob(self, value: Any) -> Tensor:
        value = self._validate_sample(value)
        diff = value - self.loc
        wt_dinv_x = ((self.cov_factor / self.cov_diag[..., None]) * diff[..., None]).sum(-2)  # Wᵀ D⁻¹ x
        inner = solve(self._capacitance_tril.tril(), wt_dinv_x[..., None])[..., 0]
        mahalanobis = (diff**2 / self.cov_diag).sum(-1) - (inner**2).sum(-1)  # Woodbury
        n = self.event_shape[0]
        return -0.5 * (n * math.log(2 * math.pi) + self._log_det() + mahalanobis)

    def entropy(self) -> Tensor:
        n = self.event_shape[0]
        return (0.5 * (n * (1 + math.log(2 * math.pi)) + self._log_det())).expand(*self.batch_shape)


def broadcast_all_shapes(loc: Any, cov_factor: Any, cov_diag: Any) -> tuple[Tensor, Tensor, Tensor]:
    """loc (..., n), cov_factor (..., n, m), cov_diag (..., n) as Tensors of one dtype, batch axes broadcast."""
    owner = "LowRankMultivariateNormal"
    loc, w, diag = (
        broadcast_all(owner, **{k: v})[0] for k, v in (("loc", loc), ("cov_factor", cov_factor), ("cov_diag", cov_diag))
    )
    if loc.ndim < 1 or w.ndim < 2 or diag.ndim < 1:
        raise ValueError(
            f"{owner}: needs loc (..., n), cov_factor (..., n, m) and cov_diag (..., n), got shapes {loc.shape}, "
            f"{w.shape}, {diag.shape}"
        )
    n = loc.shape[-1]
    if w.shape[-2] != n or diag.shape[-1] != n:
        raise ValueError(
            f"{owner}: cov_factor must be (..., {n}, m) and cov_diag (..., {n}) for loc of shape {loc.shape}, got "
            f"{w.shape} and {diag.shape}"
        )
    try:
        batch = np.broadcast_shapes(loc.shape[:-1], w.shape[:-2], diag.shape[:-1])
    except ValueError:
        raise ValueError(
            f"{owner}: the batch shapes do not broadcast: loc {loc.shape}, cov_factor {w.shape}, cov_diag {diag.shape}"
        ) from None
    m = w.shape[-1]
    expand = lambda t, shape: t if t.shape == shape else t.expand(*shape)  # noqa: E731
    return expand(loc, batch + (n,)), expand(w, batch + (n, m)), expand(diag, batch + (n,))


class LogisticNormal(TransformedDistribution):
    """X = stick_breaking(Y), Y ~ Normal(loc, scale) in R^(K-1): a distribution on the K-simplex with a
    Gaussian's parameters, as ``torch.distributions.LogisticNormal`` (event_shape ``(K,)``).

    >>> d = LogisticNormal(ag.zeros(2), ag.ones(2))
    >>> d.event_shape, d.rsample((5,)).sum(-1).round(12).tolist()
    ((3,), [1.0, 1.0, 1.0, 1.0, 1.0])
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "loc": constraints.real,
        "scale": constraints.positive,
    }
    support = constraints.simplex
    expand = Distribution.expand

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        base = Normal(loc, scale, validate_args=validate_args)
        if not base.batch_shape:
            base = base.expand((1,))  # type: ignore[assignment]
        super().__init__(base, StickBreakingTransform(), validate_args=validate_args)

    @property
    def loc(self) -> Tensor:
        return self.base_dist.base_dist.loc  # type: ignore[attr-defined]

    @property
    def scale(self) -> Tensor:
        return self.base_dist.base_dist.scale  # type: ignore[attr-defined]
