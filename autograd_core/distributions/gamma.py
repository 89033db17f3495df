"""``Gamma``, ``Chi2``, ``Beta``, ``Dirichlet`` and ``StudentT``: their densities and entropies use lgamma and
digamma (``ag.special``), so ``log_prob``, ``entropy`` and their KL divergences differentiate in the parameters.

``rsample`` is torch's implicit reparameterisation (Figurnov et al. 2018): a Gamma(a, 1) draw x is numpy's, and
its gradient in a is dx/da = -(dP/da) / p(x; a), the slope that keeps the cdf P(a, x) (the draw's uniform noise)
fixed, computed to full accuracy by ``incomplete.py``. Then Gamma(a, b) is x / b, Chi2(df) a Gamma(df/2, ½), a
Beta draw X / (X + Y) and a Dirichlet draw normalised gammas (torch differentiates these through its own
``_dirichlet_grad`` instead: the same expected gradients, other per-draw ones), StudentT loc + scale * Z /
sqrt(V / df) with V ~ Chi2(df). ``Gamma.cdf`` (so Chi2's) is P(a, b x), ``StudentT.cdf`` through the incomplete
beta function; both differentiate in every parameter (torch's gammainc has no gradient in a).

>>> import autograd_core as ag
>>> a = ag.Tensor(2.0, requires_grad=True)
>>> Gamma(a, 1.0).log_prob(1.0).backward()  # d/da [(a-1) log x - lgamma(a)] at x = 1 is -digamma(2)
>>> round(a.grad.item(), 6)
-0.422784
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from ..functions import where
from ..functions_torch import log1p
from ..primitives.gamma import lgamma_array
from ..sampling import Generator
from ..special import digamma, lgamma, xlog1py, xlogy
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution, Shape, broadcast_all
from .incomplete import attach, betainc_and_grad, gammainc_and_grad, standard_gamma_grad

__all__ = ["Beta", "Chi2", "Dirichlet", "Gamma", "StudentT", "standard_gamma_rsample"]


def standard_gamma_rsample(concentration: Tensor, shape: Shape, rng: np.random.Generator) -> Tensor:
    """Gamma(concentration, 1) draws of ``shape``, differentiable in ``concentration`` by the implicit gradient."""
    alpha = concentration.expand(*shape) if concentration.shape != shape else concentration
    a = alpha.detach().numpy()
    drawn = np.maximum(rng.standard_gamma(a), np.finfo(a.dtype).tiny)  # log_prob(0) would be -inf
    return attach(drawn.astype(a.dtype), (alpha, standard_gamma_grad(a, drawn)))


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
    has_rsample = True

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

    def rsample(self, sample_shape: Shape | list[int] = (), *, generator: Generator | None = None) -> Tensor:
        shape = self._extended_shape(sample_shape)
        return standard_gamma_rsample(self.concentration, shape, self._draw(generator)) / self.rate

    def cdf(self, value: Any) -> Tensor:
        """P(a, rate * value), the regularised lower incomplete gamma function; differentiable in both
        parameters and the value (d/da through ``incomplete.gammainc_and_grad``)."""
        value = self._validate_sample(value, "cdf")
        x = self.rate * value
        a = self.concentration.expand(*x.shape) if self.concentration.shape != x.shape else self.concentration
        p, dp_da = gammainc_and_grad(a.detach().numpy(), x.detach().numpy())
        density = (xlogy(a - 1, x) - x - lgamma(a)).exp().detach().numpy()  # dP/dx
        return attach(p.astype(x.dtype), (a, dp_da), (x, density))

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
    has_rsample = True

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

    def rsample(self, sample_shape: Shape | list[int] = (), *, generator: Generator | None = None) -> Tensor:
        shape, rng = self._extended_shape(sample_shape), self._draw(generator)
        x = standard_gamma_rsample(self.concentration1, shape, rng)
        y = standard_gamma_rsample(self.concentration0, shape, rng)
        return x / (x + y)

    def log_prob(self, value: Any) -> Tensor:
        value = self._validate_sample(value)
        a, b = self.concentration1, self.concentration0
        return xlogy(a - 1, value) + xlog1py(b - 1, -value) - self._log_beta()

    def entropy(self) -> Tensor:
        a, b = self.concentration1, self.concentration0
        return self._log_beta() - (a - 1) * digamma(a) - (b - 1) * digamma(b) + (a + b - 2) * digamma(a + b)


class Chi2(Gamma):
    """The chi-squared distribution with ``df`` degrees of freedom, Gamma(df / 2, rate ½), as
    ``torch.distributions.Chi2``.

    >>> d = Chi2(4.0)
    >>> d.mean.item(), d.variance.item(), round(d.log_prob(2.0).exp().item(), 6)  # x e^(-x/2) / 4 at 2
    (4.0, 8.0, 0.18394)
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {"df": constraints.positive}

    def __init__(self, df: Any, validate_args: bool | None = None) -> None:
        (self.df,) = broadcast_all("Chi2", df=df)
        super().__init__(self.df * 0.5, self.df * 0 + 0.5, validate_args=validate_args)


class StudentT(Distribution):
    """Student's t with ``df`` degrees of freedom, location ``loc`` and scale ``scale``, as
    ``torch.distributions.StudentT``: the mean is NaN for df <= 1, the variance infinite for 1 < df <= 2 and
    NaN for df <= 1. ``rsample`` goes through a Chi2 draw.

    >>> d = StudentT(3.0)
    >>> round(d.log_prob(0.0).exp().item(), 6), d.variance.item(), d.mean.item()  # 2 / (pi sqrt 3) at 0
    (0.367553, 3.0, 0.0)
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "df": constraints.positive,
        "loc": constraints.real,
        "scale": constraints.positive,
    }
    support = constraints.real
    has_rsample = True

    def __init__(self, df: Any, loc: Any = 0.0, scale: Any = 1.0, validate_args: bool | None = None) -> None:
        self.df, self.loc, self.scale = broadcast_all("StudentT", df=df, loc=loc, scale=scale)
        super().__init__(self.df.shape, validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return where(self.df > 1, self.loc, np.nan)

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        df = self.df
        finite = self.scale**2 * df / where(df > 2, df - 2, 1.0)  # (the guard keeps the unused branch finite)
        return where(df > 2, finite, where(df > 1, np.inf, np.nan))

    def rsample(self, sample_shape: Shape | list[int] = (), *, generator: Generator | None = None) -> Tensor:
        shape, rng = self._extended_shape(sample_shape), self._draw(generator)
        z = rng.standard_normal(shape).astype(self.df.dtype)
        chi2 = 2 * standard_gamma_rsample(0.5 * self.df, shape, rng)  # Chi2(df) = 2 Gamma(df / 2, 1)
        return self.loc + self.scale * z * (chi2 / self.df).rsqrt()

    def cdf(self, value: Any) -> Tensor:
        """With t = (value - loc) / scale: ½ I_w(df/2, ½) for t < 0, 1 minus it for t > 0, w = df / (df + t²);
        differentiable in df (through dI/da), loc, scale and the value (the density)."""
        value = self._validate_sample(value, "cdf")
        t = (value - self.loc) / self.scale
        df = self.df.expand(*t.shape) if self.df.shape != t.shape else self.df
        n, tn = df.detach().numpy().astype(np.float64), t.detach().numpy().astype(np.float64)
        w = n / (n + tn**2)
        tail, dtail_da, _ = betainc_and_grad(n / 2, 0.5, w)
        a = n / 2  # the slope of w in df, and of I in w (the Beta(df/2, ½) density), give the rest of d/d df
        with np.errstate(all="ignore"):
            log_beta = lgamma_array(a) + lgamma_array(0.5) - lgamma_array(a + 0.5)
            dtail_dw = np.exp((a - 1) * np.log(w) - 0.5 * np.log1p(-w) - log_beta)
            dtail_ddf = 0.5 * dtail_da + np.where(tn == 0, 0.0, dtail_dw * tn**2 / (n + tn**2) ** 2)
            density = np.exp(-(n + 1) / 2 * np.log1p(tn**2 / n) - 0.5 * np.log(n) - log_beta)
        upper = tn > 0
        cdf = np.where(upper, 1 - 0.5 * tail, 0.5 * tail)
        dcdf_ddf = np.where(upper, -0.5, 0.5) * dtail_ddf
        dtype = t.dtype
        return attach(cdf.astype(dtype), (df, dcdf_ddf), (t, density))

    def log_prob(self, value: Any) -> Tensor:
        value = self._validate_sample(value)
        df, y = self.df, (value - self.loc) / self.scale
        log_norm = (
            self.scale.log() + 0.5 * df.log() + 0.5 * math.log(math.pi) + lgamma(0.5 * df) - lgamma(0.5 * (df + 1))
        )
        return -0.5 * (df + 1) * log1p(y**2 / df) - log_norm

    def entropy(self) -> Tensor:
        df = self.df
        log_beta = lgamma(0.5 * df) + 0.5 * math.log(math.pi) - lgamma(0.5 * (df + 1))  # lgamma(½) = log sqrt(pi)
        tail = 0.5 * (df + 1) * (digamma(0.5 * (df + 1)) - digamma(0.5 * df))
        return self.scale.log() + tail + 0.5 * df.log() + log_beta


class Dirichlet(Distribution):
    """The Dirichlet distribution over probability vectors (the last axis of ``concentration``, event_shape
    ``(K,)``), as ``torch.distributions.Dirichlet``; ``rsample`` normalises Gamma draws.

    >>> d = Dirichlet(ag.Tensor([1.0, 1.0, 1.0]))
    >>> round(d.log_prob(ag.Tensor([0.2, 0.3, 0.5])).item(), 6), d.mean.round(4).tolist()  # uniform: log 2!
    (0.693147, [0.3333, 0.3333, 0.3333])
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {"concentration": constraints.positive}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration: Any, validate_args: bool | None = None) -> None:
        (self.concentration,) = broadcast_all("Dirichlet", concentration=concentration)
        if self.concentration.ndim == 0:
            raise ValueError(
                "Dirichlet: concentration needs at least one axis (the K categories, last), got a 0-d tensor; "
                "for K = 2 pass a pair, or use Beta"
            )
        shape = self.concentration.shape
        super().__init__(shape[:-1], shape[-1:], validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def mode(self) -> Tensor:
        """(c - 1) / sum(c - 1) for concentrations >= 1; with all below 1 the vertex of the largest, as torch's."""
        excess = (self.concentration - 1).clamp(min=0)
        all_below_one = (self.concentration < 1).all(-1, keepdim=True)
        c = self.concentration.detach().numpy()
        vertex = Tensor(np.eye(c.shape[-1], dtype=c.dtype)[c.argmax(-1)])
        return where(all_below_one, vertex, excess / where(all_below_one, 1.0, excess.sum(-1, keepdim=True)))

    @property
    def variance(self) -> Tensor:
        total = self.concentration.sum(-1, keepdim=True)
        return self.concentration * (total - self.concentration) / (total**2 * (total + 1))

    def rsample(self, sample_shape: Shape | list[int] = (), *, generator: Generator | None = None) -> Tensor:
        drawn = standard_gamma_rsample(self.concentration, self._extended_shape(sample_shape), self._draw(generator))
        return drawn / drawn.sum(-1, keepdim=True)

    def log_prob(self, value: Any) -> Tensor:
        value = self._validate_sample(value)
        c = self.concentration
        return xlogy(c - 1, value).sum(-1) + lgamma(c.sum(-1)) - lgamma(c).sum(-1)

    def entropy(self) -> Tensor:
        c = self.concentration
        total, k = c.sum(-1), c.shape[-1]
        return lgamma(c).sum(-1) - lgamma(total) - (k - total) * digamma(total) - ((c - 1) * digamma(c)).sum(-1)
