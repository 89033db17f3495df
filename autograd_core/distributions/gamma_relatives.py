"""Distributions built from Gamma draws, as torch.distributions': ``InverseGamma`` (1 / Gamma, a conjugate prior
on a variance) and ``FisherSnedecor`` (the F distribution, a ratio of two scaled Chi2 draws). Both ``rsample``
through ``Gamma.rsample``'s implicit gradient, so their draws differentiate in the parameters.

>>> import autograd_core as ag
>>> d = InverseGamma(3.0, 2.0)
>>> d.mean.item(), d.mode.item(), d.variance.item()  # b/(a-1), b/(a+1), b²/((a-1)²(a-2))
(1.0, 0.5, 1.0)
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ..functions import where
from ..sampling import Generator
from ..special import digamma, lgamma
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution, Shape, broadcast_all
from .gamma import Gamma, standard_gamma_rsample
from .transformed import TransformedDistribution
from .transforms_elementwise import PowerTransform

__all__ = ["FisherSnedecor", "InverseGamma"]


class InverseGamma(TransformedDistribution):
    """Y = 1 / X with X ~ Gamma(concentration a, rate b): density b^a y^(-a-1) e^(-b/y) / Gamma(a), as
    ``torch.distributions.InverseGamma``; the mean is infinite for a <= 1, the variance for a <= 2.

    >>> round(InverseGamma(1.0, 1.0).log_prob(1.0).item(), 6)  # e^-1
    -1.0
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "concentration": constraints.positive,
        "rate": constraints.positive,
    }
    support = constraints.positive
    expand = Distribution.expand

    def __init__(self, concentration: Any, rate: Any, validate_args: bool | None = None) -> None:
        base = Gamma(concentration, rate, validate_args=validate_args)
        super().__init__(base, PowerTransform(-1.0), validate_args=validate_args)

    @property
    def concentration(self) -> Tensor:
        return self.base_dist.concentration  # type: ignore[attr-defined]

    @property
    def rate(self) -> Tensor:
        return self.base_dist.rate  # type: ignore[attr-defined]

    @property
    def mean(self) -> Tensor:
        a = self.concentration
        return where(a > 1, self.rate / where(a > 1, a - 1, 1.0), np.inf)

    @property
    def mode(self) -> Tensor:
        return self.rate / (self.concentration + 1)

    @property
    def variance(self) -> Tensor:
        a = self.concentration
        safe = where(a > 2, a, 3.0)  # (keeps the unused branch finite)
        return where(a > 2, self.rate**2 / ((safe - 1) ** 2 * (safe - 2)), np.inf)

    def entropy(self) -> Tensor:
        a = self.concentration
        return a + self.rate.log() + lgamma(a) - (1 + a) * digamma(a)


class FisherSnedecor(Distribution):
    """The F distribution with ``df1`` and ``df2`` degrees of freedom, (X1 / df1) / (X2 / df2) for Chi2 draws, as
    ``torch.distributions.FisherSnedecor``: the mean is NaN for df2 <= 2, the variance for df2 <= 4, the mode for
    df1 <= 2 (torch's conventions).

    >>> d = FisherSnedecor(4.0, 6.0)
    >>> d.mean.item(), round(d.mode.item(), 6), d.variance.item()
    (1.5, 0.375, 4.5)
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "df1": constraints.positive,
        "df2": constraints.positive,
    }
    support = constraints.positive
    has_rsample = True

    def __init__(self, df1: Any, df2: Any, validate_args: bool | None = None) -> None:
        self.df1, self.df2 = broadcast_all("FisherSnedecor", df1=df1, df2=df2)
        super().__init__(self.df1.shape, validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        df2 = self.df2
        return where(df2 > 2, df2 / where(df2 > 2, df2 - 2, 1.0), np.nan)

    @property
    def mode(self) -> Tensor:
        df1, df2 = self.df1, self.df2
        return where(df1 > 2, (df1 - 2) / df1 * df2 / (df2 + 2), np.nan)

    @property
    def variance(self) -> Tensor:
        df1, df2 = self.df1, where(self.df2 > 4, self.df2, 5.0)
        finite = 2 * df2**2 * (df1 + df2 - 2) / (df1 * (df2 - 2) ** 2 * (df2 - 4))
        return where(self.df2 > 4, finite, np.nan)

    def rsample(self, sample_shape: Shape | list[int] = (), *, generator: Generator | None = None) -> Tensor:
        shape, rng = self._extended_shape(sample_shape), self._draw(generator)
        x1 = standard_gamma_rsample(0.5 * self.df1, shape, rng) / self.df1  # Gamma(df/2, df) = Chi2(df) / df
        x2 = standard_gamma_rsample(0.5 * self.df2, shape, rng) / self.df2
        tiny = float(np.finfo(x2.dtype).tiny)
        return (x1 / x2.clamp(min=tiny)).clamp(min=tiny)

    def log_prob(self, value: Any) -> Tensor:
        value = self._validate_sample(value)
        half1, half2, ratio = self.df1 * 0.5, self.df2 * 0.5, self.df1 / self.df2
        log_beta = lgamma(half1 + half2) - lgamma(half1) - lgamma(half2)
        return log_beta + half1 * ratio.log() + (half1 - 1) * value.log() - (half1 + half2) * (ratio * value).log1p()
