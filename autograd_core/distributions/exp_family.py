"""``ExponentialFamily`` (the base of the densities exp(<t(x), theta> - F(theta) + k(x))) and the
``ContinuousBernoulli`` (Loaiza-Ganem & Cunningham 2019: the normalised density on [0, 1] a VAE's "Bernoulli"
pixel likelihood really uses), as torch.distributions'.

``ExponentialFamily.entropy`` is torch's Bregman form, F(theta) - <theta, grad F(theta)> - E[k(x)], the gradient
taken by the engine (``ag.grad`` with ``create_graph``, so the entropy differentiates in the parameters, which
torch's does not): a subclass gives only its natural parameters and log-normaliser.

>>> import autograd_core as ag
>>> d = ContinuousBernoulli(probs=0.2)
>>> round(d.log_prob(0.0).exp().item(), 6)  # C(p) (1 - p), C(p) = 2 atanh(1 - 2p) / (1 - 2p)
1.848392
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from ..engine import grad
from ..functions import where
from ..grad_mode import enable_grad
from ..sampling import Generator
from ..tensor import Tensor
from . import constraints
from .discrete import _clamp_probs, _one_of, _softplus
from .distribution import Distribution, Shape, broadcast_all

__all__ = ["ContinuousBernoulli", "ExponentialFamily"]


class ExponentialFamily(Distribution):
    """A density exp(<t(x), theta> - F(theta) + k(x)): subclasses give ``_natural_params`` (theta, a tuple),
    ``_log_normalizer(*theta)`` (F) and ``_mean_carrier_measure`` (E[k(x)]); ``entropy`` follows."""

    _mean_carrier_measure: Any = 0.0

    @property
    def _natural_params(self) -> tuple[Tensor, ...]:
        raise NotImplementedError(f"{type(self).__name__}._natural_params is not implemented")

    def _log_normalizer(self, *natural_params: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}._log_normalizer is not implemented")

    def entropy(self) -> Tensor:
        """H = F(theta) - <theta, dF/dtheta> - E[k(x)] (dF/dtheta is the mean of t(x))."""
        # torch detaches the parameters here, so its Bregman entropy has no gradient; a parameter that carries
        # one is kept, and create_graph makes dF/dtheta differentiable in it
        params = [p if p.requires_grad else p.detach().requires_grad_() for p in self._natural_params]
        with enable_grad():
            log_normalizer = self._log_normalizer(*params)
            slopes = grad(log_normalizer.sum(), params, create_graph=True)
        result = log_normalizer - self._mean_carrier_measure
        for p, g in zip(params, slopes, strict=True):
            assert g is not None  # (every natural parameter enters the log-normaliser)
            result = result - (p * g).reshape(self.batch_shape + (-1,)).sum(-1)
        return result


class ContinuousBernoulli(ExponentialFamily):
    """The continuous Bernoulli on [0, 1]: density C(p) p^x (1 - p)^(1-x), with C(p) = 2 atanh(1 - 2p) / (1 - 2p)
    (2 at p = ½), as ``torch.distributions.ContinuousBernoulli``. ``probs`` (or sigmoid(``logits``)) is not a
    mean; near p = ½, inside ``lims``, Taylor series replace the formulas that divide by 1 - 2p. ``rsample`` is the
    icdf of a uniform draw.

    >>> d = ContinuousBernoulli(probs=0.5)
    >>> d.mean.item(), round(d.variance.item(), 6), round(d.entropy().item(), 6)  # the uniform distribution
    (0.5, 0.083333, 0.0)
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "probs": constraints.unit_interval,
        "logits": constraints.real,
    }
    support = constraints.unit_interval
    has_rsample = True
    _mean_carrier_measure = 0.0

    def __init__(
        self,
        probs: Any = None,
        logits: Any = None,
        lims: tuple[float, float] = (0.499, 0.501),
        validate_args: bool | None = None,
    ) -> None:
        self._name, given = _one_of("ContinuousBernoulli", probs, logits)
        (param,) = broadcast_all("ContinuousBernoulli", **{self._name: given})
        self._param, self._lims = param, lims
        super().__init__(param.shape, validate_args=validate_args)
        if self._name == "probs":
            self._param = _clamp_probs(param)

    def _given_params(self) -> dict[str, Tensor]:
        return {self._name: self._param}

    def expand(self, batch_shape: Shape | list[int], _instance: Any = None) -> Distribution:
        expanded = self._param.expand(*batch_shape)
        return type(self)(**{self._name: expanded}, lims=self._lims, validate_args=False)

    @property
    def probs(self) -> Tensor:
        return self._param if self._name == "probs" else _clamp_probs(self._param.sigmoid())

    @property
    def logits(self) -> Tensor:
        if self._name == "logits":
            return self._param
        p = self._param
        return p.log() - (-p).log1p()

    def _outside_unstable_region(self) -> Tensor:
        p = self.probs.detach()
        return (p <= self._lims[0]) | (p > self._lims[1])

    def _cut_probs(self) -> Tensor:
        """p, with the ones near ½ moved to lims[0] (their branch is unused: it only must stay finite)."""
        return where(self._outside_unstable_region(), self.probs, self._lims[0])

    def _cont_bern_log_norm(self) -> Tensor:
        """log C(p): log |log(1-p) - log p| - log |1 - 2p|; near p = ½ its Taylor series in (p - ½)²."""
        cut = self._cut_probs()
        below = cut <= 0.5
        log_norm = (((-cut).log1p() - cut.log()).abs()).log() - where(
            below, (-2.0 * where(below, cut, 0.0)).log1p(), (2.0 * where(below, 1.0, cut) - 1.0).log()
        )
        x = (self.probs - 0.5) ** 2
        taylor = math.log(2.0) + (4.0 / 3.0 + 104.0 / 45.0 * x) * x
        return where(self._outside_unstable_region(), log_norm, taylor)

    @property
    def mean(self) -> Tensor:
        cut = self._cut_probs()
        mus = cut / (2.0 * cut - 1.0) + 1.0 / ((-cut).log1p() - cut.log())
        x = self.probs - 0.5
        taylor = 0.5 + (1.0 / 3.0 + 16.0 / 45.0 * x**2) * x
        return where(self._outside_unstable_region(), mus, taylor)

    @property
    def variance(self) -> Tensor:
        cut = self._cut_probs()
        exact = cut * (cut - 1.0) / (1.0 - 2.0 * cut) ** 2 + 1.0 / ((-cut).log1p() - cut.log()) ** 2
        x = (self.probs - 0.5) ** 2
        taylor = 1.0 / 12.0 - (1.0 / 15.0 - 128.0 / 945.0 * x) * x
        return where(self._outside_unstable_region(), exact, taylor)

    def log_prob(self, value: Any) -> Tensor:
        value = self._validate_sample(value)
        logits = self.logits
        return value * logits - _softplus(logits) + self._cont_bern_log_norm()  # -BCE with logits + log C

    def cdf(self, value: Any) -> Tensor:
        value = self._validate_sample(value, "cdf")
        cut = self._cut_probs()
        cdfs = (cut**value * (1.0 - cut) ** (1.0 - value) + cut - 1.0) / (2.0 * cut - 1.0)
        inside = where(self._outside_unstable_region(), cdfs, value)
        return where(value <= 0.0, 0.0, where(value >= 1.0, 1.0, inside))

    def icdf(self, value: Any) -> Tensor:
        value = self._validate_probability(value)
        cut = self._cut_probs()
        exact = ((-cut + value * (2.0 * cut - 1.0)).log1p() - (-cut).log1p()) / (cut.log() - (-cut).log1p())
        return where(self._outside_unstable_region(), exact, value)

    def rsample(self, sample_shape: Shape | list[int] = (), *, generator: Generator | None = None) -> Tensor:
        dtype = self._param.dtype
        u = self._draw(generator).random(self._extended_shape(sample_shape)).astype(dtype)
        return self.icdf(Tensor(u))

    def entropy(self) -> Tensor:
        log_p0, log_p1 = (-self.probs).log1p(), self.probs.log()
        return self.mean * (log_p0 - log_p1) - self._cont_bern_log_norm() - log_p0

    @property
    def _natural_params(self) -> tuple[Tensor, ...]:
        return (self.logits,)

    def _log_normalizer(self, *natural_params: Tensor) -> Tensor:
        """log((e^x - 1) / x) in the logit x; near 0 its Taylor series."""
        (x,) = natural_params
        lo, hi = self._lims[0] - 0.5, self._lims[1] - 0.5
        outside = (x.detach() <= lo) | (x.detach() > hi)
        cut = where(outside, x, lo)
        log_norm = cut.expm1().abs().log() - cut.abs().log()
        taylor = 0.5 * x + x**2 / 24.0 - x**4 / 2880.0
        return where(outside, log_norm, taylor)
