"""Distributions of tails and bounded shapes, as torch.distributions': ``Pareto`` (a power-law tail),
``GeneralizedPareto`` (the limit of a tail beyond a threshold), ``Weibull`` (lifetimes) and ``Kumaraswamy``
(a Beta look-alike with a closed-form cdf). Pareto, Weibull and Kumaraswamy are torch's compositions, a simple
draw pushed through transforms (``TransformedDistribution``), so ``rsample``, ``log_prob`` and ``cdf``
differentiate in the parameters by the chain rule; GeneralizedPareto inverts its cdf.

>>> import autograd_core as ag
>>> a = ag.Tensor(3.0, requires_grad=True)
>>> Pareto(1.0, a).log_prob(2.0).backward()  # d/da [log a - (a + 1) log 2] = 1/a - log 2
>>> round(a.grad.item(), 6)
-0.359814
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ..functions import where
from ..sampling import Generator
from ..special import digamma, lgamma
from ..tensor import Tensor
from . import constraints
from .continuous import Exponential, Uniform
from .distribution import Distribution, Shape, broadcast_all
from .transformed import TransformedDistribution
from .transforms import AffineTransform, ExpTransform
from .transforms_elementwise import PowerTransform

__all__ = ["GeneralizedPareto", "Kumaraswamy", "Pareto", "Weibull"]

_EULER_GAMMA = 0.57721566490153286061


class Pareto(TransformedDistribution):
    """Pareto type I: density alpha scale^alpha / x^(alpha+1) for x >= scale, as ``torch.distributions.Pareto``
    (an Exponential(alpha) draw through exp, times scale). The mean is infinite for alpha <= 1, the variance for
    alpha <= 2.

    >>> d = Pareto(2.0, 3.0)
    >>> d.mean.item(), d.variance.item(), round(d.cdf(4.0).item(), 6)  # 1 - (2/4)^3
    (3.0, 3.0, 0.875)
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "scale": constraints.positive,
        "alpha": constraints.positive,
    }
    expand = Distribution.expand

    def __init__(self, scale: Any, alpha: Any, validate_args: bool | None = None) -> None:
        self.scale, self.alpha = broadcast_all("Pareto", scale=scale, alpha=alpha)
        base = Exponential(self.alpha, validate_args=validate_args)
        super().__init__(base, [ExpTransform(), AffineTransform(0.0, self.scale)], validate_args=validate_args)

    @property
    def support(self) -> constraints.Constraint:
        return constraints.greater_than_eq(self.scale.data)

    @property
    def mean(self) -> Tensor:
        heavy = self.alpha <= 1  # the infinite mean of a heavy tail (a safe alpha keeps the gradient there 0)
        a = where(heavy, 2.0, self.alpha)
        return where(heavy, np.inf, a * self.scale / (a - 1))

    @property
    def mode(self) -> Tensor:
        return self.scale

    @property
    def variance(self) -> Tensor:
        heavy = self.alpha <= 2
        a = where(heavy, 3.0, self.alpha)
        return where(heavy, np.inf, self.scale**2 * a / ((a - 1) ** 2 * (a - 2)))

    def entropy(self) -> Tensor:
        return (self.scale / self.alpha).log() + (1 + 1 / self.alpha)


class Weibull(TransformedDistribution):
    """Weibull(scale lambda, concentration k): cdf 1 - exp(-(x/lambda)^k), as ``torch.distributions.Weibull``
    (an Exponential(1) draw to the power 1/k, times lambda).

    >>> d = Weibull(2.0, 1.0)  # k = 1: an Exponential of mean 2
    >>> round(d.mean.item(), 12), round(d.variance.item(), 12), round(d.log_prob(1.0).item(), 6)
    (2.0, 4.0, -1.193147)
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "scale": constraints.positive,
        "concentration": constraints.positive,
    }
    support = constraints.positive
    expand = Distribution.expand

    def __init__(self, scale: Any, concentration: Any, validate_args: bool | None = None) -> None:
        self.scale, self.concentration = broadcast_all("Weibull", scale=scale, concentration=concentration)
        self.concentration_reciprocal = 1 / self.concentration
        transforms = [PowerTransform(self.concentration_reciprocal), AffineTransform(0.0, self.scale)]
        super().__init__(Exponential(self.scale * 0 + 1, validate_args=False), transforms, validate_args)

    @property
    def mean(self) -> Tensor:
        return self.scale * lgamma(1 + self.concentration_reciprocal).exp()

    @property
    def mode(self) -> Tensor:
        """lambda ((k-1)/k)^(1/k): NaN for k < 1, as torch's (the density is unbounded at 0 then)."""
        k = self.concentration
        return self.scale * ((k - 1) / k) ** self.concentration_reciprocal

    @property
    def variance(self) -> Tensor:
        r = self.concentration_reciprocal
        return self.scale**2 * (lgamma(1 + 2 * r).exp() - (2 * lgamma(1 + r)).exp())

    def entropy(self) -> Tensor:
        r = self.concentration_reciprocal
        return _EULER_GAMMA * (1 - r) + (self.scale * r).log() + 1


def _kumaraswamy_moment(a: Tensor, b: Tensor, n: int) -> Tensor:
    """E[X^n] = b B(1 + n/a, b)."""
    first = 1 + n / a
    return b * (lgamma(first) + lgamma(b) - lgamma(first + b)).exp()


class Kumaraswamy(TransformedDistribution):
    """Kumaraswamy(a = concentration1, b = concentration0) on [0, 1]: density a b x^(a-1) (1 - x^a)^(b-1), as
    ``torch.distributions.Kumaraswamy``; a draw is (1 - u^(1/b))^(1/a) for a uniform u, so ``rsample``
    differentiates in both (a Beta stand-in for VAEs).

    >>> d = Kumaraswamy(1.0, 1.0)  # the uniform distribution
    >>> d.mean.item(), round(d.variance.item(), 6), d.log_prob(0.3).item()
    (0.5, 0.083333, 0.0)
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "concentration1": constraints.positive,
        "concentration0": constraints.positive,
    }
    support = constraints.unit_interval
    expand = Distribution.expand

    def __init__(self, concentration1: Any, concentration0: Any, validate_args: bool | None = None) -> None:
        self.concentration1, self.concentration0 = broadcast_all(
            "Kumaraswamy", concentration1=concentration1, concentration0=concentration0
        )
        base = Uniform(self.concentration0 * 0, self.concentration0 * 0 + 1, validate_args=False)
        transforms = [
            PowerTransform(1 / self.concentration0),
            AffineTransform(1.0, -1.0),
            PowerTransform(1 / self.concentration1),
        ]
        super().__init__(base, transforms, validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return _kumaraswamy_moment(self.concentration1, self.concentration0, 1)

    @property
    def mode(self) -> Tensor:
        """((a-1) / (ab-1))^(1/a) for a, b >= 1 (NaN otherwise, as torch's)."""
        a, b = self.concentration1, self.concentration0
        below_one = (a < 1) | (b < 1)
        safe_a, safe_b = where(below_one, 2.0, a), where(below_one, 2.0, b)  # (keeps the unused branch finite)
        log_mode = ((safe_a - 1).log() - (safe_a * safe_b - 1).log()) / safe_a
        return where(below_one, np.nan, log_mode.exp())

    @property
    def variance(self) -> Tensor:
        return _kumaraswamy_moment(self.concentration1, self.concentration0, 2) - self.mean**2

    def entropy(self) -> Tensor:
        a, b = self.concentration1, self.concentration0
        harmonic = digamma(b + 1) + _EULER_GAMMA  # H_b, the harmonic number of b
        return (1 - 1 / b) + (1 - 1 / a) * harmonic - a.log() - b.log()


class GeneralizedPareto(Distribution):
    """The generalized Pareto distribution (loc, scale, concentration xi): survival (1 + xi z)^(-1/xi),
    z = (x - loc) / scale, an Exponential at xi = 0 and bounded above by loc - scale / xi for xi < 0, as
    ``torch.distributions.GeneralizedPareto``; ``rsample`` is the icdf of a uniform draw.

    >>> d = GeneralizedPareto(0.0, 1.0, 0.0)  # Exponential(1)
    >>> round(d.log_prob(2.0).item(), 12), round(d.cdf(1.0).item(), 6), d.mean.item()
    (-2.0, 0.632121, 1.0)
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "loc": constraints.real,
        "scale": constraints.positive,
        "concentration": constraints.real,
    }
    has_rsample = True

    def __init__(self, loc: Any, scale: Any, concentration: Any, validate_args: bool | None = None) -> None:
        self.loc, self.scale, self.concentration = broadcast_all(
            "GeneralizedPareto", loc=loc, scale=scale, concentration=concentration
        )
        super().__init__(self.loc.shape, validate_args=validate_args)

    @property
    def support(self) -> constraints.Constraint:
        lo, s, xi = (p.data for p in (self.loc, self.scale, self.concentration))
        with np.errstate(divide="ignore"):
            upper = np.where(xi < 0, lo - s / np.where(xi < 0, xi, -1.0), np.inf)
        return constraints.interval(lo, upper, names=("loc", "loc - scale / concentration"))

    def _safe_concentration(self) -> tuple[Tensor, Tensor]:
        """(xi == 0, xi with its zeros replaced by 1): the xi -> 0 limits are taken by ``where``, torch's way
        (``isclose`` to 0, as torch's)."""
        xi = self.concentration
        at_zero = Tensor(np.isclose(xi.detach().numpy(), 0.0))
        return at_zero, where(at_zero, 1.0, xi)

    def log_prob(self, value: Any) -> Tensor:
        value = self._validate_sample(value)
        z = (value - self.loc) / self.scale
        at_zero, xi = self._safe_concentration()
        y = 1 / xi + 1
        nonzero = where(y == 0, y, y * (xi * z).log1p())
        return -self.scale.log() - where(at_zero, z, nonzero)

    def log_survival_function(self, value: Any) -> Tensor:
        """log P(X > value)."""
        value = self._validate_sample(value, "cdf")
        z = (value - self.loc) / self.scale
        at_zero, xi = self._safe_concentration()
        return where(at_zero, -z, -(xi * z).log1p() / xi)

    def log_cdf(self, value: Any) -> Tensor:
        """log P(X <= value)."""
        return (-self.log_survival_function(value).exp()).log1p()

    def cdf(self, value: Any) -> Tensor:
        return self.log_cdf(value).exp()

    def icdf(self, value: Any) -> Tensor:
        value = self._validate_probability(value)
        at_zero, xi = self._safe_concentration()
        log_u = (-value).log1p()
        return where(at_zero, self.loc - self.scale * log_u, self.loc + self.scale / xi * (-xi * log_u).expm1())

    def rsample(self, sample_shape: Shape | list[int] = (), *, generator: Generator | None = None) -> Tensor:
        u = self._draw(generator).random(self._extended_shape(sample_shape)).astype(self.loc.dtype)
        return self.icdf(Tensor(u))

    @property
    def mean(self) -> Tensor:
        xi = self.concentration
        valid = xi < 1
        return where(valid, self.loc + self.scale / (1 - where(valid, xi, 0.5)), np.nan)

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        xi = self.concentration
        valid = xi < 0.5
        safe = where(valid, xi, 0.25)
        return where(valid, self.scale**2 / ((1 - safe) ** 2 * (1 - 2 * safe)), np.nan)

    def entropy(self) -> Tensor:
        return self.scale.log() + self.concentration + 1
