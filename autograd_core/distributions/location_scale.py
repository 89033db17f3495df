"""More scalar continuous distributions with a reparameterised sampler, each a transform of a parameter-free
noise: ``LogNormal`` (exp of a Normal), ``HalfNormal`` (|Normal|), ``Cauchy``, ``HalfCauchy`` and ``Gumbel``
(the inverse cdf of a uniform draw). Every formula is torch's, composed from Tensor ops, so ``rsample``,
``log_prob``, ``entropy`` and ``cdf`` differentiate in the parameters.

>>> import autograd_core as ag
>>> s = ag.Tensor(0.5, requires_grad=True)
>>> LogNormal(0.0, s).mean.backward()  # d exp(s²/2) / ds = s exp(s²/2)
>>> round(s.grad.item(), 6)
0.566574
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from ..functions_math import atan2
from ..sampling import Generator
from ..tensor import Tensor
from . import constraints
from .continuous import Normal
from .distribution import Distribution, Shape, broadcast_all

__all__ = ["Cauchy", "Gumbel", "HalfCauchy", "HalfNormal", "LogNormal"]

_EULER_GAMMA = 0.57721566490153286061


class LogNormal(Distribution):
    """X = exp(Y) with Y ~ N(loc, scale²), as ``torch.distributions.LogNormal`` (``loc`` and ``scale`` are Y's);
    ``rsample`` is exp(loc + scale * eps).

    >>> d = LogNormal(0.0, 1.0)
    >>> round(d.log_prob(1.0).item(), 6), d.cdf(1.0).item(), round(d.mean.item(), 6)
    (-0.918939, 0.5, 1.648721)
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "loc": constraints.real,
        "scale": constraints.positive,
    }
    support = constraints.positive
    has_rsample = True

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        self.loc, self.scale = broadcast_all("LogNormal", loc=loc, scale=scale)
        self.base_dist = Normal(self.loc, self.scale, validate_args=False)
        super().__init__(self.loc.shape, validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return (self.loc + self.scale**2 / 2).exp()

    @property
    def mode(self) -> Tensor:
        return (self.loc - self.scale**2).exp()

    @property
    def variance(self) -> Tensor:
        scale2 = self.scale**2
        return scale2.expm1() * (2 * self.loc + scale2).exp()

    def rsample(self, sample_shape: Shape | list[int] = (), *, generator: Generator | None = None) -> Tensor:
        return self.base_dist.rsample(sample_shape, generator=generator).exp()

    def log_prob(self, value: Any) -> Tensor:
        value = self._validate_sample(value)
        log_value = value.log()  # the change of variables: p_X(x) = p_Y(log x) / x
        return self.base_dist.log_prob(log_value) - log_value

    def cdf(self, value: Any) -> Tensor:
        value = self._validate_sample(value, "cdf")
        return self.base_dist.cdf(value.log())

    def icdf(self, value: Any) -> Tensor:
        return self.base_dist.icdf(self._validate_probability(value)).exp()

    def entropy(self) -> Tensor:
        return self.base_dist.entropy() + self.loc


class HalfNormal(Distribution):
    """|Y| with Y ~ N(0, scale²), as ``torch.distributions.HalfNormal``; ``rsample`` is scale * |eps|.

    >>> d = HalfNormal(1.0)
    >>> round(d.log_prob(0.0).item(), 6), round(d.mean.item(), 6), round(d.cdf(1.0).item(), 6)
    (-0.225791, 0.797885, 0.682689)
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, scale: Any, validate_args: bool | None = None) -> None:
        (self.scale,) = broadcast_all("HalfNormal", scale=scale)
        self.base_dist = Normal(self.scale * 0, self.scale, validate_args=False)
        super().__init__(self.scale.shape, validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return self.scale * math.sqrt(2 / math.pi)

    @property
    def mode(self) -> Tensor:
        return self.scale * 0

    @property
    def variance(self) -> Tensor:
        return self.scale**2 * (1 - 2 / math.pi)

    def rsample(self, sample_shape: Shape | list[int] = (), *, generator: Generator | None = None) -> Tensor:
        return self.base_dist.rsample(sample_shape, generator=generator).abs()

    def log_prob(self, value: Any) -> Tensor:
        value = self._validate_sample(value)
        return self.base_dist.log_prob(value) + math.log(2)  # both signs of Y fold onto |Y|

    def cdf(self, value: Any) -> Tensor:
        value = self._validate_sample(value, "cdf")
        return 2 * self.base_dist.cdf(value) - 1

    def icdf(self, value: Any) -> Tensor:
        return self.base_dist.icdf((self._validate_probability(value) + 1) / 2)

    def entropy(self) -> Tensor:
        return self.base_dist.entropy() - math.log(2)


class Cauchy(Distribution):
    """The Cauchy distribution (density 1 / (π scale (1 + z²)), z = (x - loc) / scale), as
    ``torch.distributions.Cauchy``: no mean (NaN) and an infinite variance; ``rsample`` is
    loc + scale * tan(π (u - ½)).

    >>> d = Cauchy(0.0, 1.0)
    >>> round(d.log_prob(0.0).item(), 6), d.cdf(1.0).item(), round(d.icdf(0.75).item(), 12)
    (-1.14473, 0.75, 1.0)
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "loc": constraints.real,
        "scale": constraints.positive,
    }
    support = constraints.real
    has_rsample = True

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        self.loc, self.scale = broadcast_all("Cauchy", loc=loc, scale=scale)
        super().__init__(self.loc.shape, validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return self.loc * np.nan  # the integral of |x| p(x) diverges

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        return self.loc * 0 + np.inf

    def rsample(self, sample_shape: Shape | list[int] = (), *, generator: Generator | None = None) -> Tensor:
        u = self._draw(generator).random(self._extended_shape(sample_shape)).astype(self.loc.dtype)
        return self.loc + self.scale * np.tan(np.pi * (u - 0.5))

    def log_prob(self, value: Any) -> Tensor:
        value = self._validate_sample(value)
        z = (value - self.loc) / self.scale
        return -math.log(math.pi) - self.scale.log() - (z**2).log1p()

    def cdf(self, value: Any) -> Tensor:
        value = self._validate_sample(value, "cdf")
        return atan2(value - self.loc, self.scale) / math.pi + 0.5  # atan(z), z = (x - loc) / scale, scale > 0

    def icdf(self, value: Any) -> Tensor:
        angle = math.pi * (self._validate_probability(value) - 0.5)
        return self.loc + self.scale * angle.sin() / angle.cos()

    def entropy(self) -> Tensor:
        return math.log(4 * math.pi) + self.scale.log()


class Gumbel(Distribution):
    """The Gumbel (type-I extreme value) distribution, cdf exp(-exp(-(x - loc) / scale)), as
    ``torch.distributions.Gumbel``; ``rsample`` is loc - scale * log(-log u), the Gumbel-max trick's noise.

    >>> d = Gumbel(0.0, 1.0)
    >>> round(d.log_prob(0.0).item(), 6), round(d.mean.item(), 6), round(d.cdf(0.0).item(), 6)
    (-1.0, 0.577216, 0.367879)
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "loc": constraints.real,
        "scale": constraints.positive,
    }
    support = constraints.real
    has_rsample = True

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        self.loc, self.scale = broadcast_all("Gumbel", loc=loc, scale=scale)
        super().__init__(self.loc.shape, validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return self.loc + self.scale * _EULER_GAMMA

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def stddev(self) -> Tensor:
        return self.scale * (math.pi / math.sqrt(6))

    @property
    def variance(self) -> Tensor:
        return self.stddev**2

    def rsample(self, sample_shape: Shape | list[int] = (), *, generator: Generator | None = None) -> Tensor:
        tiny = np.finfo(self.loc.dtype).tiny  # u in (0, 1), open: log(0) would be -inf
        u = self._draw(generator).uniform(tiny, 1, self._extended_shape(sample_shape)).astype(self.loc.dtype)
        return self.loc - self.scale * np.log(-np.log(u))

    def log_prob(self, value: Any) -> Tensor:
        value = self._validate_sample(value)
        z = (value - self.loc) / self.scale
        return -(z + (-z).exp()) - self.scale.log()

    def cdf(self, value: Any) -> Tensor:
        value = self._validate_sample(value, "cdf")
        return (-(-(value - self.loc) / self.scale).exp()).exp()

    def icdf(self, value: Any) -> Tensor:
        return self.loc - self.scale * (-self._validate_probability(value).log()).log()

    def entropy(self) -> Tensor:
        return self.scale.log() + 1 + _EULER_GAMMA


class HalfCauchy(Distribution):
    """|Y| with Y ~ Cauchy(0, scale), as ``torch.distributions.HalfCauchy`` (a weakly informative prior on a
    scale): an infinite mean and variance; ``rsample`` is scale * |tan(π (u - ½))|.

    >>> d = HalfCauchy(1.0)
    >>> round(d.log_prob(0.0).item(), 6), d.cdf(1.0).item(), d.mean.item()
    (-0.45158, 0.5, inf)
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, scale: Any, validate_args: bool | None = None) -> None:
        (self.scale,) = broadcast_all("HalfCauchy", scale=scale)
        self.base_dist = Cauchy(self.scale * 0, self.scale, validate_args=False)
        super().__init__(self.scale.shape, validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return self.scale * 0 + np.inf

    @property
    def mode(self) -> Tensor:
        return self.scale * 0

    @property
    def variance(self) -> Tensor:
        return self.scale * 0 + np.inf

    def rsample(self, sample_shape: Shape | list[int] = (), *, generator: Generator | None = None) -> Tensor:
        return self.base_dist.rsample(sample_shape, generator=generator).abs()

    def log_prob(self, value: Any) -> Tensor:
        value = self._validate_sample(value)
        return self.base_dist.log_prob(value) + math.log(2)  # both signs of Y fold onto |Y|

    def cdf(self, value: Any) -> Tensor:
        value = self._validate_sample(value, "cdf")
        return 2 * self.base_dist.cdf(value) - 1

    def icdf(self, value: Any) -> Tensor:
        return self.base_dist.icdf((self._validate_probability(value) + 1) / 2)

    def entropy(self) -> Tensor:
        return self.base_dist.entropy() - math.log(2)
