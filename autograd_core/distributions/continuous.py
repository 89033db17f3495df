"""The scalar continuous distributions with a reparameterised sampler: ``Normal``, ``Uniform``, ``Exponential``,
``Laplace``. Each draw is a differentiable function of the parameters and a parameter-free noise
(loc + scale * eps for the Normal), so ``rsample`` carries gradients; every formula is torch's, composed from
Tensor ops.

>>> import autograd_core as ag
>>> mu, sigma = ag.Tensor(0.5, requires_grad=True), ag.Tensor(2.0, requires_grad=True)
>>> z = Normal(mu, sigma).rsample((4,), generator=ag.Generator(0))
>>> z.sum().backward()  # dz/dmu = 1 per draw; dz/dsigma = eps
>>> mu.grad.item()
4.0
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from ..functions import where
from ..functions_torch import erf, log1p
from ..sampling import Generator
from ..special import erfinv
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution, Shape, broadcast_all

__all__ = ["Exponential", "Laplace", "Normal", "Uniform"]

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


class Normal(Distribution):
    """N(loc, scale²), as ``torch.distributions.Normal``: ``Normal(mu, sigma).rsample()`` is mu + sigma * eps,
    differentiable in both (the VAE's reparameterisation).

    >>> d = Normal(0.0, 1.0)
    >>> round(d.log_prob(0.0).item(), 6), round(d.cdf(1.96).item(), 4), round(d.entropy().item(), 6)
    (-0.918939, 0.975, 1.418939)
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "loc": constraints.real,
        "scale": constraints.positive,
    }
    support = constraints.real
    has_rsample = True

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        self.loc, self.scale = broadcast_all("Normal", loc=loc, scale=scale)
        super().__init__(self.loc.shape, validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def stddev(self) -> Tensor:
        return self.scale

    @property
    def variance(self) -> Tensor:
        return self.scale**2

    def rsample(self, sample_shape: Shape | list[int] = (), *, generator: Generator | None = None) -> Tensor:
        shape = self._extended_shape(sample_shape)
        eps = self._draw(generator).standard_normal(shape).astype(self.loc.dtype)
        return self.loc + self.scale * eps

    def log_prob(self, value: Any) -> Tensor:
        value = self._validate_sample(value)
        return -((value - self.loc) ** 2) / (2 * self.scale**2) - self.scale.log() - _LOG_SQRT_2PI

    def cdf(self, value: Any) -> Tensor:
        value = self._validate_sample(value, "cdf")
        return 0.5 * (1 + erf((value - self.loc) / (self.scale * math.sqrt(2))))

    def icdf(self, value: Any) -> Tensor:
        value = self._validate_probability(value)
        return self.loc + self.scale * math.sqrt(2) * erfinv(2 * value - 1)

    def entropy(self) -> Tensor:
        return 0.5 + _LOG_SQRT_2PI + self.scale.log()


class Uniform(Distribution):
    """Uniform on [low, high), as ``torch.distributions.Uniform``; ``rsample`` is low + (high - low) * u.

    >>> d = Uniform(0.0, 4.0)
    >>> d.log_prob(1.0).exp().item(), d.mean.item(), round(d.variance.item(), 4), d.cdf(1.0).item()
    (0.25, 2.0, 1.3333, 0.25)
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {"low": constraints.real, "high": constraints.real}
    has_rsample = True

    def __init__(self, low: Any, high: Any, validate_args: bool | None = None) -> None:
        self.low, self.high = broadcast_all("Uniform", low=low, high=high)
        super().__init__(self.low.shape, validate_args=validate_args)
        if self._validate_args and not bool((self.low.data < self.high.data).all()):
            raise ValueError(
                f"Uniform: needs low < high everywhere, got low={self.low.data.tolist()}, high="
                f"{self.high.data.tolist()}; pass validate_args=False to skip this check"
            )

    @property
    def support(self) -> constraints.Constraint:
        return constraints.interval(self.low.data, self.high.data)  # closed, as torch's: log_prob(high) = -inf

    @property
    def mean(self) -> Tensor:
        return (self.low + self.high) / 2

    @property
    def mode(self) -> Tensor:
        return self.low * np.nan  # every point of the interval is a mode: none is singled out, as torch's

    @property
    def stddev(self) -> Tensor:
        return (self.high - self.low) / math.sqrt(12)

    @property
    def variance(self) -> Tensor:
        return (self.high - self.low) ** 2 / 12

    def rsample(self, sample_shape: Shape | list[int] = (), *, generator: Generator | None = None) -> Tensor:
        u = self._draw(generator).random(self._extended_shape(sample_shape)).astype(self.low.dtype)
        return self.low + (self.high - self.low) * u

    def log_prob(self, value: Any) -> Tensor:
        value = self._validate_sample(value)
        inside = (value >= self.low) & (value < self.high)
        return where(inside, -(self.high - self.low).log(), -np.inf)

    def cdf(self, value: Any) -> Tensor:
        value = self._validate_sample(value, "cdf")
        return ((value - self.low) / (self.high - self.low)).clamp(0, 1)

    def icdf(self, value: Any) -> Tensor:
        value = self._validate_probability(value)
        return self.low + value * (self.high - self.low)

    def entropy(self) -> Tensor:
        return (self.high - self.low).log()


class Exponential(Distribution):
    """The exponential distribution of rate λ (mean 1/λ), as ``torch.distributions.Exponential``; ``rsample``
    is -log(1 - u) / λ.

    >>> d = Exponential(2.0)
    >>> d.mean.item(), round(d.log_prob(1.0).item(), 6), round(d.cdf(d.icdf(0.3)).item(), 12)
    (0.5, -1.306853, 0.3)
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, rate: Any, validate_args: bool | None = None) -> None:
        (self.rate,) = broadcast_all("Exponential", rate=rate)
        super().__init__(self.rate.shape, validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return 1 / self.rate

    @property
    def mode(self) -> Tensor:
        return self.rate * 0

    @property
    def stddev(self) -> Tensor:
        return 1 / self.rate

    @property
    def variance(self) -> Tensor:
        return self.rate**-2

    def rsample(self, sample_shape: Shape | list[int] = (), *, generator: Generator | None = None) -> Tensor:
        u = self._draw(generator).random(self._extended_shape(sample_shape)).astype(self.rate.dtype)
        return -np.log1p(-u) / self.rate

    def log_prob(self, value: Any) -> Tensor:
        value = self._validate_sample(value)
        return self.rate.log() - self.rate * value

    def cdf(self, value: Any) -> Tensor:
        value = self._validate_sample(value, "cdf")
        return 1 - (-self.rate * value).exp()

    def icdf(self, value: Any) -> Tensor:
        value = self._validate_probability(value)
        return -log1p(-value) / self.rate

    def entropy(self) -> Tensor:
        return 1 - self.rate.log()


class Laplace(Distribution):
    """The Laplace distribution (density exp(-|x - loc| / scale) / (2 scale)), as ``torch.distributions.Laplace``;
    ``rsample`` inverts the cdf of a uniform draw in (-1, 1).

    >>> d = Laplace(0.0, 1.0)
    >>> round(d.log_prob(0.0).item(), 6), d.variance.item(), d.cdf(0.0).item()
    (-0.693147, 2.0, 0.5)
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "loc": constraints.real,
        "scale": constraints.positive,
    }
    support = constraints.real
    has_rsample = True

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        self.loc, self.scale = broadcast_all("Laplace", loc=loc, scale=scale)
        super().__init__(self.loc.shape, validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def stddev(self) -> Tensor:
        return math.sqrt(2) * self.scale

    @property
    def variance(self) -> Tensor:
        return 2 * self.scale**2

    def rsample(self, sample_shape: Shape | list[int] = (), *, generator: Generator | None = None) -> Tensor:
        tiny = np.finfo(self.loc.dtype).eps  # u in (-1, 1), open: log1p(-1) would be -inf
        u = self._draw(generator).uniform(-1 + tiny, 1, self._extended_shape(sample_shape)).astype(self.loc.dtype)
        return self.loc - self.scale * (np.sign(u) * np.log1p(-np.abs(u)))

    def log_prob(self, value: Any) -> Tensor:
        value = self._validate_sample(value)
        return -(2 * self.scale).log() - (value - self.loc).abs() / self.scale

    def cdf(self, value: Any) -> Tensor:
        value = self._validate_sample(value, "cdf")
        z = value - self.loc
        return 0.5 - 0.5 * z.sign() * ((-z.abs() / self.scale).exp() - 1)

    def icdf(self, value: Any) -> Tensor:
        value = self._validate_probability(value)
        term = value - 0.5
        return self.loc - self.scale * term.sign() * log1p(-2 * term.abs())

    def entropy(self) -> Tensor:
        return 1 + (2 * self.scale).log()
