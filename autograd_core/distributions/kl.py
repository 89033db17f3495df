"""``kl_divergence(p, q)``, KL(p ‖ q) = E_p[log p(x) - log q(x)], in closed form per pair of distribution types,
from a registry (``register_kl``) as torch's: the most specific registered pair of base classes wins. Each
formula is torch's, composed from Tensor ops, so it differentiates in both distributions' parameters (the
VAE's KL term). A pair with no formula is a NotImplementedError naming it.

>>> import autograd_core as ag
>>> from autograd_core.distributions import Normal
>>> round(kl_divergence(Normal(1.0, 1.0), Normal(0.0, 1.0)).item(), 6)  # (mu_p - mu_q)² / 2
0.5
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..functions import where
from ..functions_torch import log1p
from ..linalg_matrix import solve
from ..special import digamma, lgamma
from ..tensor import Tensor
from .continuous import Exponential, Laplace, Normal, Uniform
from .counts import Binomial, Geometric, Poisson
from .discrete import Bernoulli, Categorical, OneHotCategorical, _softplus
from .distribution import Distribution
from .gamma import Beta, Dirichlet, Gamma
from .location_scale import Cauchy, Gumbel, HalfNormal, LogNormal
from .multivariate import Independent, MultivariateNormal

__all__ = ["kl_divergence", "register_kl"]

_EULER_GAMMA = 0.57721566490153286061

KLFunction = Callable[[Any, Any], Tensor]
_KL_REGISTRY: dict[tuple[type, type], KLFunction] = {}


def register_kl(type_p: type, type_q: type) -> Callable[[KLFunction], KLFunction]:
    """Register ``kl(p, q)`` for p an instance of ``type_p`` and q of ``type_q`` (subclasses included), as a
    decorator, as torch's ``register_kl``.

    >>> class Dirac(Distribution): ...
    >>> @register_kl(Dirac, Dirac)
    ... def _kl_dirac(p, q):
    ...     return ag.zeros(())
    >>> kl_divergence(Dirac(), Dirac()).item()
    0.0
    """
    for t in (type_p, type_q):
        if not (isinstance(t, type) and issubclass(t, Distribution)):
            raise TypeError(f"register_kl: expects two Distribution subclasses, got {t!r}")

    def decorator(fn: KLFunction) -> KLFunction:
        _KL_REGISTRY[type_p, type_q] = fn
        return fn

    return decorator


def kl_divergence(p: Distribution, q: Distribution) -> Tensor:
    """KL(p ‖ q), shape the broadcast of their batch shapes; the formula registered for the most specific
    pair of their classes (by method resolution order).

    >>> from autograd_core.distributions import Bernoulli
    >>> round(kl_divergence(Bernoulli(0.5), Bernoulli(0.25)).item(), 6)  # ½ log(½/¼) + ½ log(½/¾)
    0.143841
    """
    matches = [
        (type(p).__mro__.index(tp), type(q).__mro__.index(tq), fn)
        for (tp, tq), fn in _KL_REGISTRY.items()
        if isinstance(p, tp) and isinstance(q, tq)
    ]
    if not matches:
        raise NotImplementedError(
            f"kl_divergence: no formula for KL({type(p).__name__} ‖ {type(q).__name__}); register one with "
            f"@register_kl({type(p).__name__}, {type(q).__name__}), or estimate it by Monte Carlo: "
            "(p.log_prob(x) - q.log_prob(x)).mean() over x = p.sample((n,))"
        )
    return min(matches, key=lambda m: (m[0] + m[1], m[0]))[2](p, q)


@register_kl(Normal, Normal)
def _kl_normal_normal(p: Normal, q: Normal) -> Tensor:
    var_ratio = (p.scale / q.scale) ** 2
    t1 = ((p.loc - q.loc) / q.scale) ** 2
    return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p: Bernoulli, q: Bernoulli) -> Tensor:
    # p log(p/q) + (1-p) log((1-p)/(1-q)), with log p = -softplus(-logit p) and log(1-p) = -softplus(logit p)
    t1 = p.probs * (_softplus(-q.logits) - _softplus(-p.logits))
    t2 = (1 - p.probs) * (_softplus(q.logits) - _softplus(p.logits))
    return t1 + t2


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p: Categorical, q: Categorical) -> Tensor:
    t = p.probs * (p.logits - q.logits)
    t = where(q.probs.detach() == 0, np.inf, t)  # p puts mass where q has none: infinite
    return where(p.probs.detach() == 0, 0.0, t).sum(-1)  # 0 log 0 = 0


@register_kl(OneHotCategorical, OneHotCategorical)
def _kl_onehot_onehot(p: OneHotCategorical, q: OneHotCategorical) -> Tensor:
    return _kl_categorical_categorical(p, q)


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p: Uniform, q: Uniform) -> Tensor:
    inside = (q.low <= p.low) & (p.high <= q.high)  # else p has mass where q has none
    return where(inside, ((q.high - q.low) / (p.high - p.low)).log(), np.inf)


@register_kl(Uniform, Normal)
def _kl_uniform_normal(p: Uniform, q: Normal) -> Tensor:
    width = p.high - p.low
    t1 = (math.sqrt(2 * math.pi) * q.scale / width).log()
    t2 = width**2 / 12
    t3 = ((p.high + p.low - 2 * q.loc) / 2) ** 2
    return t1 + 0.5 * (t2 + t3) / q.scale**2


@register_kl(Exponential, Exponential)
def _kl_exponential_exponential(p: Exponential, q: Exponential) -> Tensor:
    rate_ratio = q.rate / p.rate
    return rate_ratio - 1 - rate_ratio.log()


@register_kl(Laplace, Laplace)
def _kl_laplace_laplace(p: Laplace, q: Laplace) -> Tensor:
    scale_ratio = p.scale / q.scale
    loc_abs_diff = (p.loc - q.loc).abs()
    t1 = -scale_ratio.log()
    t2 = loc_abs_diff / q.scale
    t3 = scale_ratio * (-loc_abs_diff / p.scale).exp()
    return t1 + t2 + t3 - 1


@register_kl(Gamma, Gamma)
def _kl_gamma_gamma(p: Gamma, q: Gamma) -> Tensor:
    t1 = q.concentration * (p.rate / q.rate).log()
    t2 = lgamma(q.concentration) - lgamma(p.concentration)
    t3 = (p.concentration - q.concentration) * digamma(p.concentration)
    t4 = (q.rate - p.rate) * (p.concentration / p.rate)
    return t1 + t2 + t3 + t4


@register_kl(Beta, Beta)
def _kl_beta_beta(p: Beta, q: Beta) -> Tensor:
    a1, b1, a2, b2 = p.concentration1, p.concentration0, q.concentration1, q.concentration0
    total = a1 + b1
    t1 = q._log_beta() - p._log_beta()
    return t1 + (a1 - a2) * digamma(a1) + (b1 - b2) * digamma(b1) + (a2 - a1 + b2 - b1) * digamma(total)


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_mvn_mvn(p: MultivariateNormal, q: MultivariateNormal) -> Tensor:
    if p.event_shape != q.event_shape:
        raise ValueError(
            f"kl_divergence: two MultivariateNormals of different event shapes, {p.event_shape} and {q.event_shape}"
        )
    n = p.event_shape[0]
    # ½ [log det Σq - log det Σp + tr(Σq⁻¹ Σp) + |Lq⁻¹(μq - μp)|² - n], tr(Σq⁻¹ Σp) = |Lq⁻¹ Lp|²_F
    trace = (solve(q._solvable_tril(), p.scale_tril) ** 2).sum((-2, -1))
    return q._half_log_det() - p._half_log_det() + 0.5 * (trace + q._mahalanobis(q.loc - p.loc) - n)


@register_kl(Independent, Independent)
def _kl_independent_independent(p: Independent, q: Independent) -> Tensor:
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError(
            f"kl_divergence: two Independents over different event axes (reinterpreted_batch_ndims "
            f"{p.reinterpreted_batch_ndims} and {q.reinterpreted_batch_ndims})"
        )
    return p._sum_rightmost(kl_divergence(p.base_dist, q.base_dist))


@register_kl(LogNormal, LogNormal)
def _kl_lognormal_lognormal(p: LogNormal, q: LogNormal) -> Tensor:
    return _kl_normal_normal(p.base_dist, q.base_dist)  # KL is invariant under the shared bijection exp


@register_kl(HalfNormal, HalfNormal)
def _kl_halfnormal_halfnormal(p: HalfNormal, q: HalfNormal) -> Tensor:
    return _kl_normal_normal(p.base_dist, q.base_dist)  # both fold the same way: the log-ratio is unchanged


@register_kl(Cauchy, Cauchy)
def _kl_cauchy_cauchy(p: Cauchy, q: Cauchy) -> Tensor:
    t1 = ((p.scale + q.scale) ** 2 + (p.loc - q.loc) ** 2).log()
    return t1 - (4 * p.scale * q.scale).log()


@register_kl(Gumbel, Gumbel)
def _kl_gumbel_gumbel(p: Gumbel, q: Gumbel) -> Tensor:
    ct1, ct2, ct3 = p.scale / q.scale, q.loc / q.scale, p.loc / q.scale
    t1 = -ct1.log() - ct2 + ct3
    t3 = (ct2 + lgamma(1 + ct1) - ct3).exp()
    return t1 + ct1 * _EULER_GAMMA + t3 - (1 + _EULER_GAMMA)


@register_kl(Poisson, Poisson)
def _kl_poisson_poisson(p: Poisson, q: Poisson) -> Tensor:
    return p.rate * (p.rate.log() - q.rate.log()) - (p.rate - q.rate)


@register_kl(Geometric, Geometric)
def _kl_geometric_geometric(p: Geometric, q: Geometric) -> Tensor:
    return -p.entropy() - log1p(-q.probs) / p.probs - q.logits


@register_kl(Binomial, Binomial)
def _kl_binomial_binomial(p: Binomial, q: Binomial) -> Tensor:
    n_p, n_q = p.total_count.detach().numpy(), q.total_count.detach().numpy()
    if (n_p < n_q).any():
        raise NotImplementedError(
            f"kl_divergence: KL(Binomial ‖ Binomial) with p's total_count below q's ({n_p.tolist()} < "
            f"{n_q.tolist()}) has no closed form"
        )
    kl = p.total_count * (p.probs * (p.logits - q.logits) + log1p(-p.probs) - log1p(-q.probs))
    return where(Tensor(n_p > n_q), np.inf, kl)  # p's larger counts have no mass under q


@register_kl(Dirichlet, Dirichlet)
def _kl_dirichlet_dirichlet(p: Dirichlet, q: Dirichlet) -> Tensor:
    total_p, total_q = p.concentration.sum(-1), q.concentration.sum(-1)
    t1 = lgamma(total_p) - lgamma(total_q)
    t2 = (lgamma(p.concentration) - lgamma(q.concentration)).sum(-1)
    t4 = digamma(p.concentration) - digamma(total_p).unsqueeze(-1)
    return t1 - t2 + ((p.concentration - q.concentration) * t4).sum(-1)
