"""The regularised incomplete gamma and beta functions with their derivatives in the shape parameters, in numpy:
what a Gamma's implicit reparameterisation (``Gamma.rsample``) and the Gamma/Chi2/StudentT ``cdf`` need.

The methods are Numerical Recipes' (§6.2, §6.4): for the gamma, the power series of P(a, x) when x < a + 1, else
Lentz's continued fraction for Q(a, x) = 1 - P(a, x); for the beta, the continued fraction of I_x(a, b) on the
side of x where it converges fast. The derivatives in a (and b) run forward-mode through the same loops
(``_Dual``: a value and its partials), so they are as accurate as the functions themselves, not finite
differences (torch's ``_standard_gamma_grad`` uses approximations good to ~1e-3 instead). P's prefactor
x^a e^-x / Gamma(a + 1) is the gammainc primitive's (``log_prefactor``: Stirling's form for a >= 10, so P is within
3e-13 relative of mpmath up to a = 1e4, not 2e-11 as the direct log); the loops stay here: they carry d/da, which the
primitive (plain arrays, no derivative in a) does not. The implicit gradient of a
gamma draw, dx/da = -(dP/da) / p(x; a) (keep the cdf fixed: Figurnov et al. 2018), is formed without the pdf
itself, which under- or overflows for tiny draws.

``attach(value, (t, partial), ...)`` gives those numbers a place in the graph: a Tensor equal to ``value`` whose
gradient in each Tensor ``t`` is ``partial`` (first order; the partials are constants).

>>> p, dp_da = gammainc_and_grad(np.array(1.0), np.array(2.0))  # P(1, x) = 1 - e^-x
>>> bool(abs(p - (1 - np.exp(-2.0))) < 1e-15)
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..primitives.gamma import digamma_array, lgamma_array
from ..primitives.incomplete_gamma import log_prefactor
from ..tensor import Tensor

__all__ = ["attach", "betainc_and_grad", "gammainc_and_grad", "standard_gamma_grad"]

Array = np.ndarray[Any, Any]
_EPS = 1e-15
_TINY = 1e-300
_MAX_STEPS = 100_000


class _Dual:
    """A value and its partial derivatives (stacked on a leading axis): forward-mode through a loop."""

    __slots__ = ("d", "v")
    __array_ufunc__ = None  # array <op> dual: numpy defers to the dual's reflected operator

    def __init__(self, v: Any, d: Any = 0.0) -> None:
        self.v, self.d = v, d

    @staticmethod
    def lift(o: Any) -> _Dual:
        return o if isinstance(o, _Dual) else _Dual(o)

    def __add__(self, o: Any) -> _Dual:
        o = _Dual.lift(o)
        return _Dual(self.v + o.v, self.d + o.d)

    __radd__ = __add__

    def __sub__(self, o: Any) -> _Dual:
        o = _Dual.lift(o)
        return _Dual(self.v - o.v, self.d - o.d)

    def __rsub__(self, o: Any) -> _Dual:
        return _Dual.lift(o) - self

    def __mul__(self, o: Any) -> _Dual:
        o = _Dual.lift(o)
        return _Dual(self.v * o.v, self.d * o.v + self.v * o.d)

    __rmul__ = __mul__

    def __truediv__(self, o: Any) -> _Dual:
        o = _Dual.lift(o)
        return _Dual(self.v / o.v, (self.d * o.v - self.v * o.d) / (o.v * o.v))

    def __rtruediv__(self, o: Any) -> _Dual:
        return _Dual.lift(o) / self

    def away_from_zero(self) -> _Dual:
        """Lentz's guard: a denominator of exactly 0 becomes tiny (the value only; its partials stay)."""
        return _Dual(np.where(np.abs(self.v) < _TINY, _TINY, self.v), self.d)


def _converged(step: _Dual, total: _Dual, target: float) -> bool:
    """The loop's step no longer moves the total: its value is ``target`` (0 for a term, 1 for a factor) to
    rounding, and so are its partials (a step can be exact in value, yet not in a: Q(1, x)'s fraction)."""
    scale = np.abs(total.v) + np.abs(total.d) if target == 0.0 else 1.0 + np.abs(total.d / total.v)
    return bool(np.all(np.abs(step.v - target) <= _EPS * np.abs(total.v if target == 0.0 else 1.0))) and bool(
        np.all(np.abs(step.d) <= _EPS * scale)
    )


def _unconverged(step: _Dual, total: _Dual, target: float) -> _Dual:
    """``total`` after _MAX_STEPS steps without converging (a ~ 1e10 and up): NaN in the elements whose step still
    moved it (value or partials, as _converged asks), not a partial sum passed off as the value; the gammainc
    primitive gives NaN past its own cap likewise."""
    scale = np.abs(total.v) + np.abs(total.d) if target == 0.0 else 1.0 + np.abs(total.d / total.v)
    moving_d = np.abs(step.d) > _EPS * scale
    moving = (np.abs(step.v - target) > _EPS * np.abs(total.v if target == 0.0 else 1.0)) | np.reshape(
        moving_d, (-1, *np.shape(total.v))
    ).any(axis=0)
    return _Dual(np.where(moving, np.nan, total.v), np.where(moving, np.nan, total.d))


def _gamma_series(a: Array, x: Array) -> tuple[Array, Array]:
    """S = sum_n x^n / ((a+1)...(a+n)) and dS/da, so that P(a, x) = x^a e^-x / Gamma(a+1) * S (x < a + 1)."""
    ad = _Dual(a, np.ones_like(a))
    term, total = _Dual(np.ones_like(a), np.zeros_like(a)), _Dual(np.ones_like(a), np.zeros_like(a))
    for n in range(1, _MAX_STEPS):
        term = term * x / (ad + n)
        total = total + term
        if _converged(term, total, 0.0):
            break
    else:
        total = _unconverged(term, total, 0.0)
    return total.v, total.d


def _gamma_fraction(a: Array, x: Array) -> tuple[Array, Array]:
    """h and dh/da for Q(a, x) = x^a e^-x / Gamma(a) * h, Lentz's continued fraction (x >= a + 1)."""
    ad = _Dual(a, np.ones_like(a))
    b = x + 1 - ad
    c, d = _Dual(np.full_like(a, 1 / _TINY), np.zeros_like(a)), 1 / b
    h = d
    for i in range(1, _MAX_STEPS):
        an = -i * (i - ad)
        b = b + 2
        d = 1 / (an * d + b).away_from_zero()
        c = (b + an / c).away_from_zero()
        step = d * c
        h = h * step
        if _converged(step, h, 1.0):
            break
    else:
        h = _unconverged(step, h, 1.0)
    return h.v, h.d


def _gamma_parts(a: Array, x: Array) -> tuple[Array, Array, Array]:
    """For each element: the side (True: the series of P), its log prefactor's base and the core K, dK."""
    lower = x < a + 1
    k, dk = np.empty_like(a), np.empty_like(a)
    with np.errstate(all="ignore"):
        if lower.any():
            k[lower], dk[lower] = _gamma_series(a[lower], x[lower])
        if (~lower).any():
            k[~lower], dk[~lower] = _gamma_fraction(a[~lower], x[~lower])
    return lower, k, dk


def _float64_pair(a: Any, x: Any) -> tuple[Array, Array]:
    a, x = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(x, dtype=np.float64))
    return a.copy(), x.copy()


def gammainc_and_grad(a: Any, x: Any) -> tuple[Array, Array]:
    """P(a, x) = (1 / Gamma(a)) int_0^x t^(a-1) e^-t dt and dP/da, for a > 0, x >= 0 (float64).

    >>> p, dp = gammainc_and_grad(np.array(2.0), np.array(0.0))
    >>> float(p), float(dp)
    (0.0, 0.0)
    """
    a, x = _float64_pair(a, x)
    p, dp = np.zeros_like(a), np.zeros_like(a)
    inside = x > 0
    a_in, x_in = a[inside], x[inside]
    lower, k, dk = _gamma_parts(a_in, x_in)
    with np.errstate(all="ignore"):
        log_x = np.log(x_in)
        # lower: P = E S with E = x^a e^-x / Gamma(a+1); upper: Q = E' h with E' = x^a e^-x / Gamma(a) = a E.
        # E as gammainc's primitive forms it: Stirling's form keeps large a accurate (the direct log cancels)
        prefactor = np.exp(log_prefactor(a_in, x_in)) * np.where(lower, 1.0, a_in)
        psi = digamma_array(np.where(lower, a_in + 1, a_in))
        deriv = prefactor * (k * (log_x - psi) + dk)
    p[inside] = np.where(lower, prefactor * k, 1 - prefactor * k)
    dp[inside] = np.where(lower, deriv, -deriv)
    p[np.isinf(x)] = 1.0
    dp[np.isinf(x)] = 0.0
    return p, dp


def standard_gamma_grad(a: Any, x: Any) -> Array:
    """dx/da of a Gamma(a, 1) draw x at a fixed cdf: -(dP/da) / p(x; a) (torch's ``_standard_gamma_grad``).

    >>> round(float(standard_gamma_grad(np.array(1.0), np.array(1.0))), 13)  # mpmath: 1.17356302722472693...
    1.1735630272247
    """
    a, x = _float64_pair(a, x)
    lower, k, dk = _gamma_parts(a, x)
    with np.errstate(all="ignore"):
        log_x = np.log(x)
        # the prefactors over the pdf x^(a-1) e^-x / Gamma(a) are x / a (lower) and x (upper): no pdf needed
        lower_grad = -(x / a) * (k * (log_x - digamma_array(a + 1)) + dk)
        upper_grad = x * (k * (log_x - digamma_array(a)) + dk)
    return np.where(lower, lower_grad, upper_grad)


def _beta_fraction(a: _Dual, b: _Dual, x: Array) -> _Dual:
    """Lentz's continued fraction of I_x(a, b) (NR's betacf), in duals."""
    qab, qap, qam = a + b, a + 1, a - 1
    c = _Dual(np.ones_like(x), 0.0)
    d = 1 / (1 - qab * x / qap).away_from_zero()
    h = d
    for m in range(1, _MAX_STEPS):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1 / (1 + aa * d).away_from_zero()
        c = (1 + aa / c).away_from_zero()
        h = h * d * c
        aa = -1 * (a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1 / (1 + aa * d).away_from_zero()
        c = (1 + aa / c).away_from_zero()
        step = d * c
        h = h * step
        if _converged(step, h, 1.0):
            break
    else:
        h = _unconverged(step, h, 1.0)
    return h


def _betainc_side(a: Array, b: Array, x: Array) -> tuple[Array, Array, Array]:
    """I_x(a, b), dI/da, dI/db where x < (a + 1) / (a + b + 2) (the fraction converges fast), 0 < x < 1."""
    ones, zeros = np.ones_like(a), np.zeros_like(a)
    ad, bd = _Dual(a, np.stack([ones, zeros])), _Dual(b, np.stack([zeros, ones]))
    h = _beta_fraction(ad, bd, x)
    log_front = a * np.log(x) + b * np.log1p(-x) - (lgamma_array(a) + lgamma_array(b) - lgamma_array(a + b))
    front = np.exp(log_front) / a
    psi_ab = digamma_array(a + b)
    dlog_front = np.stack([np.log(x) - digamma_array(a) + psi_ab - 1 / a, np.log1p(-x) - digamma_array(b) + psi_ab])
    value = front * h.v
    partials = front * (h.d + h.v * dlog_front)
    return value, partials[0], partials[1]


def betainc_and_grad(a: Any, b: Any, x: Any) -> tuple[Array, Array, Array]:
    """I_x(a, b) = B(x; a, b) / B(a, b) and its partials in a and b, for a, b > 0, 0 <= x <= 1 (float64).

    >>> i, da, db = betainc_and_grad(np.array(1.0), np.array(1.0), np.array(0.3))  # uniform: I = x
    >>> round(float(i), 12)
    0.3
    """
    a, b, x = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (a, b, x)))
    value, da, db = (np.zeros(a.shape) for _ in range(3))
    value[x >= 1] = 1.0
    inside = (x > 0) & (x < 1)
    direct = inside & (x < (a + 1) / (a + b + 2))
    flipped = inside & ~direct  # I_x(a, b) = 1 - I_(1-x)(b, a)
    with np.errstate(all="ignore"):
        if direct.any():
            value[direct], da[direct], db[direct] = _betainc_side(a[direct], b[direct], x[direct])
        if flipped.any():
            v, d_b, d_a = _betainc_side(b[flipped], a[flipped], 1 - x[flipped])
            value[flipped], da[flipped], db[flipped] = 1 - v, -d_a, -d_b
    return value, da, db


def attach(value: Any, *partials: tuple[Any, Any]) -> Tensor:
    """A Tensor equal to ``value`` whose gradient in each Tensor ``t`` of ``(t, partial)`` is ``partial``: the sum
    value + partial * (t - t.detach()) adds 0 to the value and ``partial`` to the chain rule (first order).

    >>> import autograd_core as ag
    >>> a = ag.Tensor(2.0, requires_grad=True)
    >>> y = attach(np.array(5.0), (a, np.array(3.0)))
    >>> y.backward(); y.item(), a.grad.item()
    (5.0, 3.0)
    """
    out = Tensor(np.asarray(value))
    for t, partial in partials:
        if isinstance(t, Tensor) and t.requires_grad:
            slope = np.where(np.isfinite(partial), partial, 0.0)  # (inf * 0 would put NaN into the value)
            out = out + Tensor(slope.astype(out.dtype)) * (t - t.detach())
    return out
