"""Distributions over matrices, as torch.distributions': ``Wishart`` (positive-definite matrices: the sampling
distribution of a Gaussian's scatter matrix and a covariance prior) and ``LKJCholesky`` (Cholesky factors of
correlation matrices, Lewandowski, Kurowicka & Joe 2009). Log-determinants come from Cholesky factors (2 sum log
diag L), traces of Σ⁻¹V from two triangular solves, all Tensor ops; Wishart's ``rsample`` is Bartlett's
decomposition with Chi2 diagonals drawn through ``Gamma.rsample``'s implicit gradient.

>>> import autograd_core as ag
>>> d = Wishart(ag.Tensor(4.0), covariance_matrix=ag.eye(2))
>>> d.mean.tolist(), d.rsample((3,)).shape
([[4.0, 0.0], [0.0, 4.0]], (3, 2, 2))
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from ..functions import where
from ..linalg_matrix import cholesky, inv, solve
from ..sampling import Generator
from ..special import digamma, lgamma, multigammaln
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution, Shape, broadcast_all
from .exp_family import ExponentialFamily
from .gamma import Beta, standard_gamma_rsample

__all__ = ["LKJCholesky", "Wishart"]

_MATRICES = ("covariance_matrix", "precision_matrix", "scale_tril")
_LOG_2 = math.log(2.0)


def _log_det_pd(matrix: Tensor) -> Tensor:
    """log det of a symmetric positive-definite matrix, 2 sum log diag cholesky."""
    return 2 * cholesky(matrix).diagonal(dim1=-2, dim2=-1).log().sum(-1)


def _mvdigamma(x: Tensor, p: int) -> Tensor:
    """sum_(i<p) digamma(x - i/2), the derivative of multigammaln."""
    return sum((digamma(x - i / 2) for i in range(1, p)), digamma(x))


class Wishart(ExponentialFamily):
    """Wishart(df, Σ) on p x p positive-definite matrices (the law of sum_(k<=df) x_k x_kᵀ for x_k ~ N(0, Σ)),
    as ``torch.distributions.Wishart``: give ``df`` > p - 1 and exactly one of ``covariance_matrix``,
    ``precision_matrix`` or ``scale_tril``.

    >>> round(Wishart(ag.Tensor(3.0), scale_tril=ag.eye(2)).log_prob(ag.eye(2)).item(), 6)  # -3 log 2 - log(pi/2) - 1
    -3.531024
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "df": constraints.greater_than(0),
        "covariance_matrix": constraints.positive_definite,
        "precision_matrix": constraints.positive_definite,
        "scale_tril": constraints.lower_cholesky,
    }
    support = constraints.positive_definite
    has_rsample = True
    _mean_carrier_measure = 0.0

    def __init__(
        self,
        df: Any,
        covariance_matrix: Any = None,
        precision_matrix: Any = None,
        scale_tril: Any = None,
        validate_args: bool | None = None,
    ) -> None:
        given = dict(zip(_MATRICES, (covariance_matrix, precision_matrix, scale_tril), strict=True))
        named = [n for n, m in given.items() if m is not None]
        if len(named) != 1:
            raise ValueError(
                "Wishart: give exactly one of covariance_matrix=, precision_matrix= or scale_tril=, got "
                f"{', '.join(named) or 'none'}"
            )
        self._matrix_name = named[0]
        (matrix,) = broadcast_all("Wishart", **{self._matrix_name: given[self._matrix_name]})
        (df,) = broadcast_all("Wishart", df=df)
        df = df if df.dtype == matrix.dtype else df.to(matrix.dtype)
        if matrix.ndim < 2 or matrix.shape[-1] != matrix.shape[-2]:
            raise ValueError(f"Wishart: {self._matrix_name} must be a (batch of) square matrix, got {matrix.shape}")
        p = matrix.shape[-1]
        try:
            batch = np.broadcast_shapes(matrix.shape[:-2], df.shape)
        except ValueError:
            raise ValueError(
                f"Wishart: df of shape {df.shape} does not broadcast with the matrices' batch {matrix.shape[:-2]}"
            ) from None
        self.df = df if df.shape == batch else df.expand(*batch)
        self._matrix = matrix if matrix.shape[:-2] == batch else matrix.expand(*batch, p, p)
        super().__init__(batch, (p, p), validate_args=validate_args)
        if self._validate_args and not bool((self.df.detach().numpy() > p - 1).all()):
            raise ValueError(
                f"Wishart: df must be > p - 1 = {p - 1} for {p} x {p} matrices, got {self.df.detach().numpy().tolist()}"
                "; pass validate_args=False to skip this check"
            )
        if self._matrix_name == "scale_tril":
            self._scale_tril = self._matrix
        elif self._matrix_name == "covariance_matrix":
            self._scale_tril = cholesky(self._matrix)
        else:
            self._scale_tril = cholesky(inv(self._matrix))

    def _given_params(self) -> dict[str, Tensor]:
        return {"df": self.df, self._matrix_name: self._matrix}

    @property
    def scale_tril(self) -> Tensor:
        return self._scale_tril

    @property
    def covariance_matrix(self) -> Tensor:
        return self._scale_tril @ self._scale_tril.mT

    @property
    def precision_matrix(self) -> Tensor:
        return inv(self.covariance_matrix)

    def _df(self) -> Tensor:
        return self.df.reshape(self.batch_shape + (1, 1))

    @property
    def mean(self) -> Tensor:
        return self._df() * self.covariance_matrix

    @property
    def mode(self) -> Tensor:
        """(df - p - 1) Σ, NaN where df <= p + 1 (torch's)."""
        factor = self.df - self.event_shape[-1] - 1
        return where(factor > 0, factor, np.nan).reshape(self.batch_shape + (1, 1)) * self.covariance_matrix

    @property
    def variance(self) -> Tensor:
        v = self.covariance_matrix
        d = v.diagonal(dim1=-2, dim2=-1)
        return self._df() * (v**2 + d[..., :, None] * d[..., None, :])

    def rsample(self, sample_shape: Shape | list[int] = (), *, generator: Generator | None = None) -> Tensor:
        """Bartlett: A lower triangular, A_ii² ~ Chi2(df - i), A_ij ~ N(0, 1) below; a draw is (L A)(L A)ᵀ."""
        shape, rng = self._extended_shape(sample_shape), self._draw(generator)
        p = self.event_shape[-1]
        dofs = self.df[..., None] - Tensor(np.arange(p, dtype=self.df.dtype))
        chi2 = 2 * standard_gamma_rsample(0.5 * dofs, shape[:-1], rng)
        diagonal = chi2.clamp(min=float(np.finfo(chi2.dtype).eps)).sqrt().diag_embed()
        below = np.tril(rng.standard_normal(shape), -1).astype(self.df.dtype)
        factor = self._scale_tril @ (diagonal + below)
        return factor @ factor.mT

    def log_prob(self, value: Any) -> Tensor:
        value = self._validate_sample(value)
        nu, p = self.df, self.event_shape[-1]
        lower = self._scale_tril.tril()
        half_log_det = lower.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        trace = solve(lower.mT, solve(lower, value)).diagonal(dim1=-2, dim2=-1).sum(-1)  # tr(Σ⁻¹ V)
        return (
            -nu * (p * _LOG_2 / 2 + half_log_det)
            - multigammaln(nu / 2, p)
            + (nu - p - 1) / 2 * _log_det_pd(value)
            - trace / 2
        )

    def entropy(self) -> Tensor:
        nu, p = self.df, self.event_shape[-1]
        half_log_det = self._scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        return (
            (p + 1) * (p * _LOG_2 / 2 + half_log_det)
            + multigammaln(nu / 2, p)
            - (nu - p - 1) / 2 * _mvdigamma(nu / 2, p)
            + nu * p / 2
        )

    @property
    def _natural_params(self) -> tuple[Tensor, ...]:
        p = self.event_shape[-1]
        return -self.precision_matrix / 2, (self.df - p - 1) / 2

    def _log_normalizer(self, *natural_params: Tensor) -> Tensor:
        x, y = natural_params
        p = self.event_shape[-1]
        return (y + (p + 1) / 2) * (-_log_det_pd(-2 * x) + _LOG_2 * p) + multigammaln(y + (p + 1) / 2, p)


class LKJCholesky(Distribution):
    """The LKJ distribution over the Cholesky factors L of dim x dim correlation matrices (density proportional to
    det(L Lᵀ)^(concentration - 1)), as ``torch.distributions.LKJCholesky``; draws by the onion method
    (Beta-distributed squared row lengths, directions uniform on spheres; torch's misses the Beta of rows 2 on,
    see ``__init__``). No ``rsample``.

    >>> d = LKJCholesky(3, 1.0)
    >>> L = d.sample(generator=ag.Generator(0))
    >>> L.shape, (L @ L.mT).diagonal().round(12).tolist()
    ((3, 3), [1.0, 1.0, 1.0])
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim: int, concentration: Any = 1.0, validate_args: bool | None = None) -> None:
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or dim < 2:
            raise ValueError(f"LKJCholesky: dim must be an int >= 2 (the matrices' size), got {dim!r}")
        self.dim = int(dim)
        (self.concentration,) = broadcast_all("LKJCholesky", concentration=concentration)
        super().__init__(self.concentration.shape, (self.dim, self.dim), validate_args=validate_args)
        # the onion method: row i (i >= 1) of i entries has squared length ~ Beta(i/2, eta + (d-2)/2 - (i-1)/2).
        # torch's takes Beta(i - ½, ...), which gives rows 2 and later too long: their correlations' marginals
        # miss the LKJ's Beta(eta - 1 + d/2) (test_distributions3_matrices checks every pair)
        marginal = self.concentration + 0.5 * (self.dim - 2)
        offset = np.concatenate([[0.0], np.arange(self.dim - 1)]).astype(self.concentration.dtype)
        self._beta = Beta(Tensor(0.5 * (offset + 1)), marginal[..., None] - Tensor(0.5 * offset), validate_args=False)

    def _given_params(self) -> dict[str, Tensor]:
        return {"concentration": self.concentration}

    def expand(self, batch_shape: Shape | list[int], _instance: Any = None) -> Distribution:
        return type(self)(self.dim, self.concentration.expand(*batch_shape), validate_args=False)

    def sample(self, sample_shape: Shape | list[int] = (), *, generator: Generator | None = None) -> Tensor:
        shape, rng = self._extended_shape(sample_shape), self._draw(generator)
        squared_lengths = self._beta.sample(tuple(shape[: len(shape) - 2]), generator=generator).numpy()[..., None]
        directions = np.tril(rng.standard_normal(shape), -1)
        norms = np.linalg.norm(directions, axis=-1, keepdims=True)
        directions = np.divide(directions, norms, out=np.zeros_like(directions), where=norms > 0)  # row 0: none
        w = np.sqrt(squared_lengths) * directions
        tiny = np.finfo(w.dtype).tiny
        diagonal = np.sqrt(np.maximum(1 - (w**2).sum(-1), tiny))
        w = w + diagonal[..., None] * np.eye(self.dim)
        return Tensor(w.astype(self.concentration.dtype))

    def log_prob(self, value: Any) -> Tensor:
        value = self._validate_sample(value)
        diagonal = value.diagonal(dim1=-2, dim2=-1)[..., 1:]
        order = 2 * (self.concentration - 1)[..., None] + Tensor(
            (self.dim - np.arange(2, self.dim + 1)).astype(self.concentration.dtype)
        )
        unnormalised = (order * diagonal.log()).sum(-1)
        dm1 = self.dim - 1
        alpha = self.concentration + 0.5 * dm1
        normaliser = 0.5 * dm1 * math.log(math.pi) + multigammaln(alpha - 0.5, dm1) - lgamma(alpha) * dm1
        return unnormalised - normaliser
