"""The regularised incomplete gamma functions P(a, x) and Q(a, x) = 1 - P(a, x) (torch.special.gammainc and
gammaincc, torch.igamma and igammac), as primitives in numpy (scipy is not a dependency).

Both share the prefactor x^a e^-x / Gamma(a + 1). Where x < a + 1, P = prefactor * sum_n x^n / ((a+1)...(a+n))
(positive terms); elsewhere Q = prefactor * a / (x + 1 - a - 1(1 - a) / (x + 3 - a - 2(2 - a) / ...)), Legendre's
continued fraction by the modified Lentz method. The other one is 1 minus it, taken only where it is >= 1/2 or so
(no cancellation). Each runs until every element has converged: about 8 sqrt(a) steps near x = a, so a = 1e8
takes ~0.4 s and 1e10 ~4 s; past a ~ 5e10 (2e6 steps) the answer is NaN. (torch and scipy switch to Temme's uniform
expansion for large a, and lose accuracy in the far tails: 6.41e-24 for P(1e8, 0.999e8), which is 7.3699e-24.)
For a >= 10 the prefactor's logarithm is a (log u - (u - 1)) - log(2 pi a)/2 - (Stirling's correction to
lgamma(a + 1)), u = x/a, so large a keeps its accuracy (a log x - x - lgamma(a + 1) would cancel to ~a * 1e-16).
Measured against mpmath over a in [1e-3, 1e4], x in [1e-4, 2e4]: within 2.4e-13 relative (torch 1.3e-9, scipy
1.9e-12).

Edges, as torch (Cephes' igam): NaN for a < 0 or x < 0; a = 0 gives P = 1 for x > 0 (NaN at x = 0); x = 0 gives
P = 0; a = inf gives P = 0 (NaN if x is inf too); x = inf gives P = 1. d/dx P = x^(a-1) e^-x / Gamma(a) (composed
from exp, log and lgamma, so it differentiates again); the derivative in a has no closed form: like torch, it is
not implemented, and asking for it raises.
"""

import numpy as np

from . import Primitive, call, float64_forward
from .elementwise import Exp, Log
from .gamma import Lgamma, lgamma_array

_EPS = 1e-16
_MAX_STEPS = 2_000_000  # enough for a ~ 5e10 at x ~ a (~sqrt(a) steps, ~20 s); past it, NaN
_STIRLING = (1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156, -3617 / 122400)  # B_2k/(2k(2k-1))


def _log_minus_linear(u):
    """log(u) - (u - 1), accurate near u = 1 too (a series in t = u - 1, exact there, for |t| < 0.3: 40 terms);
    elsewhere log(u) itself (not log1p(u - 1), whose rounded u - 1 would cost u's small values their accuracy)."""
    t = u - 1
    small = np.abs(t) < 0.3
    series = np.zeros_like(t)
    for k in range(40, 1, -1):  # -t^2/2 + t^3/3 - ...
        series = series * t + (1 if k % 2 else -1) / k
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(small, series * t * t, np.log(u) - t)


def log_prefactor(a, x):
    """log(x^a e^-x / Gamma(a + 1)) for a > 0, x > 0 (float64 arrays)."""
    large = a >= 10
    with np.errstate(divide="ignore", invalid="ignore"):
        direct = a * np.log(x) - x - lgamma_array(a + 1)
        b = np.where(large, a, 10.0)  # the Stirling branch sees only a >= 10
        r = 1 / (b * b)
        correction = sum(c * r**k for k, c in enumerate(_STIRLING)) / b
        stirling = b * _log_minus_linear(x / b) - 0.5 * np.log(2 * np.pi * b) - correction
    return np.where(large, stirling, direct)


def _series(a, x):
    """sum_n x^n / ((a+1)...(a+n)), until every term is below 1e-16 of its sum."""
    term, total = np.ones_like(x), np.ones_like(x)
    active = np.ones(x.shape, bool)
    n = 0
    while active.any() and n < _MAX_STEPS:
        n += 1
        term = np.where(active, term * x / (a + n), 0.0)
        total += term
        active &= term > _EPS * total
    return np.where(active, np.nan, total)  # not converged within _MAX_STEPS: no answer rather than a wrong one


def _continued_fraction(a, x):
    """1 / (x + 1 - a - 1(1 - a) / (x + 3 - a - ...)) by the modified Lentz method (x >= a + 1)."""
    tiny = 1e-300
    b = x + 1 - a
    c = np.full_like(x, 1 / tiny)
    d = 1 / b
    h = d.copy()
    active = np.ones(x.shape, bool)
    n = 0
    while active.any() and n < _MAX_STEPS:
        n += 1
        an = -n * (n - a)
        b = b + 2
        d = an * d + b
        d = np.where(np.abs(d) < tiny, tiny, d)
        c = b + an / c
        c = np.where(np.abs(c) < tiny, tiny, c)
        d = 1 / d
        delta = np.where(active, d * c, 1.0)
        h *= delta
        active &= np.abs(delta - 1) > _EPS
    return np.where(active, np.nan, h)


def incomplete_gamma_arrays(a, x, upper):
    """P(a, x), or Q(a, x) if ``upper``, on broadcast float64 arrays."""
    a, x = np.broadcast_arrays(a, x)
    out = np.full(a.shape, np.nan)
    inner = (a > 0) & (x > 0) & np.isfinite(a) & np.isfinite(x)
    ai, xi = a[inner], x[inner]
    use_series = xi < ai + 1
    value = np.empty_like(xi)
    with np.errstate(under="ignore"):
        s, c = ai[use_series], ai[~use_series]
        lower = np.exp(log_prefactor(s, xi[use_series])) * _series(s, xi[use_series])
        upper_part = np.exp(log_prefactor(c, xi[~use_series])) * c * _continued_fraction(c, xi[~use_series])
    value[use_series] = 1 - lower if upper else lower
    value[~use_series] = upper_part if upper else 1 - upper_part
    out[inner] = value
    edges = [
        ((a == 0) & (x > 0), 1.0),  # P(0, x) = 1: all the mass at 0
        ((a > 0) & (x == 0), 0.0),
        ((a == np.inf) & (x >= 0) & np.isfinite(x), 0.0),
        ((a >= 0) & (a < np.inf) & (x == np.inf), 1.0),
    ]
    for mask, p in edges:
        out[mask] = 1 - p if upper else p
    return out


def _density(a, x):
    """x^(a-1) e^-x / Gamma(a), through primitives (differentiable again); 1 at a = 1, x = 0 (not 0 * log 0)."""
    at_origin = (np.asarray(a) == 1) & (np.asarray(x) == 0)
    log_x = call(Log, x + at_origin.astype(np.asarray(x).dtype)) if at_origin.any() else call(Log, x)
    return call(Exp, (a - 1) * log_x - x - call(Lgamma, a))


def _no_derivative_in_a(op):
    return NotImplementedError(
        f"{op}: the derivative with respect to a (the first argument) is not implemented (torch's neither: it has "
        f"no closed form); pass a as a number or a tensor that does not require grad, or differentiate in x only"
    )


class Gammainc(Primitive):
    """The regularised lower incomplete gamma function P(a, x). d/dx = x^(a-1) e^-x / Gamma(a); d/da raises."""

    forward = float64_forward(lambda a, x: incomplete_gamma_arrays(a, x, upper=False))

    @staticmethod
    def vjp(i, g, out, a, x):
        if i == 0:
            raise _no_derivative_in_a("gammainc")
        return g * _density(a, x)


class Gammaincc(Primitive):
    """The regularised upper incomplete gamma function Q(a, x) = 1 - P(a, x). d/dx = -x^(a-1) e^-x / Gamma(a)."""

    forward = float64_forward(lambda a, x: incomplete_gamma_arrays(a, x, upper=True))

    @staticmethod
    def vjp(i, g, out, a, x):
        if i == 0:
            raise _no_derivative_in_a("gammaincc")
        return -g * _density(a, x)
