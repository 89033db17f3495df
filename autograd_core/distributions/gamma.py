"""``Gamma`` and ``Beta``: their densities and entropies use lgamma and digamma (``ag.special``), so
``log_prob``, ``entropy`` and their KL divergences differentiate in the parameters.

No ``rsample`` (``has_rsample`` is False): torch reparameterises a gamma draw with an implicit gradient
(d sample / d concentration from the derivative of the regularised incomplete gamma function), which would be a
new primitive; here the draws are numpy's, values without a gradient, and the score function
(``f(x).detach() * d.log_prob(x)``) estimates gradients through them. ``cdf``/``icdf`` need the incomplete gamma
and beta functions, which the engine has not: they raise NotImplementedError.

>>> import autograd_core as ag
>>> a = ag.Tensor(2.0, requires_grad=True)
>>> Gamma(a, 1.0).log_prob(1.0).backward()  # d/da [(a-1) log x - lgamma(a)] at x = 1 is -digamma(2)
>>> round(a.grad.item(), 6)
-0.422784
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ..functions import where
from ..sampling import Generator
from ..special import digamma, lgamma, xlog1py, xlogy
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution, Shape, broadcast_all

__all__ = ["Beta", "Gamma"]


class Gamma(Distribution):
    """Gamma(concentration a, rate b), density b^a x^(a-1) e^(-bx) / Gamma(a), as ``torch.distributions.Gamma``.

    >>> d = Gamma(3.0, 2.0)
    >>> d.mean.item(), d.variance.item(), round(d.log_prob(1.0).item(), 6)
    (1.5, 0.75, -0.613706)
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "concentration": constraints.positive,
        "rate": constraints.positive,
    }
    support = constraints.nonnegative

    def __init__(self, concentration: Any, rate: Any, validate_args: bool | None = None) -> None:
        self.concentration, self.rate = broadcast_all("Gamma", concentration=concentration, rate=rate)
        super().__init__(self.rate.shape, validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.rate

    @property
    def mode(self) -> Tensor:
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self) -> Tensor:
        return self.concentration / self.rate**2

    def sample(self, sample_shape: Shape | list[int] = (), *, generator: Generator | None = None) -> Tensor:
        shape = self._extended_shape(sample_shape)
        alpha, beta = (np.broadcast_to(p.detach().numpy(), shape) for p in (self.concentration, self.rate))
        drawn = self._draw(generator).gamma(alpha, 1 / beta)
        return Tensor(np.maximum(drawn, np.finfo(alpha.dtype).tiny).astype(alpha.dtype))  # log_prob(0) is -inf

    def log_prob(self, value: Any) -> Tensor:
        value = self._validate_sample(value)
        alpha, beta = self.concentration, self.rate
        return xlogy(alpha, beta) + xlogy(alpha - 1, value) - beta * value - lgamma(alpha)

    def entropy(self) -> Tensor:
        alpha = self.concentration
        return alpha - self.rate.log() + lgamma(alpha) + (1 - alpha) * digamma(alpha)


class Beta(Distribution):
    """Beta(concentration1 a, concentration0 b) on [0, 1], density x^(a-1) (1-x)^(b-1) / B(a, b), as
    ``torch.distributions.Beta``.

    >>> d = Beta(2.0, 3.0)
    >>> d.mean.item(), round(d.variance.item(), 6), round(d.log_prob(0.5).item(), 6)
    (0.4, 0.04, 0.405465)
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "concentration1": constraints.positive,
        "concentration0": constraints.positive,
    }
    support = constraints.unit_interval

    def __init__(self, concentration1: Any, concentration0: Any, validate_args: bool | None = None) -> None:
        self.concentration1, self.concentration0 = broadcast_all(
            "Beta", concentration1=concentration1, concentration0=concentration0
        )
        super().__init__(self.concentration1.shape, validate_args=validate_args)

    def _log_beta(self) -> Tensor:
        a, b = self.concentration1, self.concentration0
        return lgamma(a) + lgamma(b) - lgamma(a + b)

    @property
    def mean(self) -> Tensor:
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self) -> Tensor:
        """(a-1)/(a+b-2) for a, b >= 1; with both below 1 the density peaks at the end of the larger one, as
        torch's (a Dirichlet's mode)."""
        a, b = self.concentration1, self.concentration0
        a1, b1 = (a - 1).clamp(min=0), (b - 1).clamp(min=0)
        both_below_one = (a < 1) & (b < 1)
        return where(both_below_one, (a > b).to(a.dtype), a1 / (a1 + b1))

    @property
    def variance(self) -> Tensor:
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total**2 * (total + 1))

    def sample(self, sample_shape: Shape | list[int] = (), *, generator: Generator | None = None) -> Tensor:
        shape = self._extended_shape(sample_shape)
        a, b = (np.broadcast_to(p.detach().numpy(), shape) for p in (self.concentration1, self.concentration0))
        return Tensor(self._draw(generator).beta(a, b).astype(a.dtype))

    def log_prob(self, value: Any) -> Tensor:
        value = self._validate_sample(value)
        a, b = self.concentration1, self.concentration0
        return xlogy(a - 1, value) + xlog1py(b - 1, -value) - self._log_beta()

    def entropy(self) -> Tensor:
        a, b = self.concentration1, self.concentration0
        return self._log_beta() - (a - 1) * digamma(a) - (b - 1) * digamma(b) + (a + b - 2) * digamma(a + b)
