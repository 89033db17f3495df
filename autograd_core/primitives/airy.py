"""The Airy function Ai (torch.special.airy_ai) and its derivative Ai', as primitives in numpy.

Three ranges, each without cancellation:

- x > 1.5: Ai(x) = sqrt(x/3) K_(1/3)(zeta) / pi and Ai'(x) = -x K_(2/3)(zeta) / (pi sqrt 3), zeta = 2/3 x^(3/2),
  through bessel_k's trapezoidal rule for exp(zeta) K_nu(zeta) (all terms positive), underflowing to 0 as Ai does;
- -10 <= x <= 1.5: the Taylor series of Ai about the nearest of 24 centres 0.5 apart (|h| <= 1/4), its
  coefficients from Ai'' = x Ai; the centres' Ai and Ai' are summed at import from the Maclaurin series
  Ai = c1 f - c2 g in exact rational arithmetic (f and g rounded once, so no terms cancel in floating point);
- x < -10: the asymptotic expansions in 1/zeta (DLMF 9.7.9, 9.7.10), whose smallest term there is below 1e-18,
  with the phase zeta = 2/3 |x|^(3/2) carried in two doubles (its rounding would cost ~1e-16 zeta absolute).

The error is absolute, relative to Ai's envelope |x|^(-1/4) / sqrt(pi): near Ai's zeros only absolute accuracy is
possible. Measured against mpmath: within 4.3e-16 of the envelope from -1e10 to 100 (torch 2.13: 3.4e-6 at -2.2;
scipy: ~1e-16 * 2/3 |x|^(3/2), 5e-9 at -1e6). Ai(+-inf) = 0, the limits (torch gives NaN). Derivatives: Ai' is a
primitive too, and Ai'' = x Ai, so derivatives of any order close on the pair.
"""

import functools
import math
from fractions import Fraction

import numpy as np

from . import Primitive, call, float64_forward
from .bessel_k import scaled_k

_AI0, _AI0_PRIME = 0.35502805388781723926, -0.25881940379280679840  # Ai(0), Ai'(0)
_LOW, _HIGH, _SPACING = -10.0, 1.5, 0.5
_TAYLOR_TERMS = 26


def _maclaurin_at(centre):
    """(Ai(c), Ai'(c)) from f and g, the Maclaurin series of the two solutions with f(0) = g'(0) = 1, summed
    exactly: f = sum x^(3k) / ((2)(3)(5)(6)...(3k-1)(3k)), g = sum x^(3k+1) / ((3)(4)(6)(7)...(3k)(3k+1))."""
    x = Fraction(centre)
    cube = x**3
    f, f_prime, g, g_prime = Fraction(1), Fraction(0), x, Fraction(1)
    f_term, g_term = Fraction(1), x  # the k-th terms
    for k in range(1, 200):
        f_term = f_term * cube / ((3 * k - 1) * (3 * k))
        g_term = g_term * cube / ((3 * k) * (3 * k + 1))
        f += f_term
        g += g_term
        if x:
            f_prime += 3 * k * f_term / x
            g_prime += (3 * k + 1) * g_term / x
        if abs(f_term) + abs(g_term) < Fraction(1, 10**30):
            break
    return (
        _AI0 * float(f) + _AI0_PRIME * float(g),
        _AI0 * float(f_prime) + _AI0_PRIME * float(g_prime),
    )


_CENTRES = np.arange(_LOW, _HIGH + _SPACING / 2, _SPACING)


@functools.cache
def _centre_values():
    """(24, 2): Ai and Ai' at the centres (~20 ms of exact arithmetic: on first use, not at import)."""
    return np.array([_maclaurin_at(c) for c in _CENTRES])


def _taylor(x):
    """(Ai, Ai') for -10 <= x <= 1.5 about the nearest centre."""
    index = np.clip(np.round((x - _LOW) / _SPACING), 0, len(_CENTRES) - 1).astype(np.intp)
    centre = _CENTRES[index]
    h = x - centre
    before, current = np.zeros_like(x), _centre_values()[index, 0]  # a_(k-1), a_k
    following = _centre_values()[index, 1]  # a_(k+1)
    value, prime, power = current.copy(), np.zeros_like(x), np.ones_like(x)  # power = h^k
    for k in range(_TAYLOR_TERMS):  # add a_(k+1) h^(k+1); then a_(k+2) = (c a_k + a_(k-1)) / ((k+2)(k+1))
        prime += (k + 1) * following * power
        power = power * h
        value += following * power
        before, current, following = current, following, (centre * current + before) / ((k + 2) * (k + 1))
    return value, prime


def _asymptotic_coefficients(count):
    """u_k = (2k+1)(2k+3)...(6k-1) / (216^k k!) and v_k = -(6k+1)/(6k-1) u_k (DLMF 9.7.2)."""
    u = [1.0]
    for k in range(1, count):
        u.append(u[-1] * (6 * k - 5) * (6 * k - 3) * (6 * k - 1) / (216 * k * (2 * k - 1)))
    return u, [1.0] + [-(6 * k + 1) / (6 * k - 1) * u[k] for k in range(1, count)]


_U, _V = _asymptotic_coefficients(30)


def _alternating(coefficients, r, start):
    """sum_k (-1)^k c_(2k + start) r^(2k + start), by Horner."""
    total = np.zeros_like(r)
    for k in range(len(coefficients) - 2 + start, -1, -2):
        total = total * r * r + (-1.0 if (k // 2) % 2 else 1.0) * coefficients[k]
    return total * r**start


def _two_product(a, b):
    """(p, e) with p + e = a * b exactly, p = fl(a * b) (Dekker's splitting; |a|, |b| < 1e290)."""
    p = a * b
    a_hi = (a * 134217729.0) - ((a * 134217729.0) - a)  # 2^27 + 1: the upper 26 bits
    b_hi = (b * 134217729.0) - ((b * 134217729.0) - b)
    a_lo, b_lo = a - a_hi, b - b_hi
    return p, ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo


def _phase(z):
    """(cos zeta, sin zeta) for zeta = 2/3 z^(3/2), with zeta carried as hi + lo: its rounding (~zeta * 1e-16 rad,
    1e-3 at z = 1e10) would otherwise be the whole error. Beyond z = 1e100 one rounding (the phase is lost anyway)."""
    with np.errstate(over="ignore", invalid="ignore"):  # x < -1e205: zeta overflows, the phase is lost (NaN)
        plain = 2 / 3 * z * np.sqrt(z)
        y = np.minimum(z, 1e100)
        root = np.sqrt(y)
        square, square_error = _two_product(root, root)
        root_lo = ((y - square) - square_error) / (2 * root)  # sqrt(y) = root + root_lo to ~1e-32
        power, power_error = _two_product(y, root)  # y^(3/2) = power + power_lo
        power_lo = power_error + y * root_lo
        hi = 2 * power / 3
        three_hi, three_error = _two_product(np.full_like(hi, 3.0), hi)
        lo = ((2 * power - three_hi) - three_error) / 3 + 2 * power_lo / 3  # 2 power = 3 hi + 3 lo
        cos_lo, sin_lo = np.cos(lo), np.sin(lo)
        cos = np.where(z > 1e100, np.cos(plain), np.cos(hi) * cos_lo - np.sin(hi) * sin_lo)
        sin = np.where(z > 1e100, np.sin(plain), np.sin(hi) * cos_lo + np.cos(hi) * sin_lo)
    return plain, cos, sin


def _left(x):
    """(Ai, Ai') for x < -10 by the asymptotic expansions."""
    z = -x
    zeta, cos, sin = _phase(z)
    r = 1 / zeta
    cos_shift, sin_shift = (cos + sin) / math.sqrt(2), (sin - cos) / math.sqrt(2)  # at zeta - pi/4
    fourth_root = np.sqrt(np.sqrt(z))
    value = (cos_shift * _alternating(_U, r, 0) + sin_shift * _alternating(_U, r, 1)) / fourth_root
    prime = (sin_shift * _alternating(_V, r, 0) - cos_shift * _alternating(_V, r, 1)) * fourth_root
    return value / math.sqrt(math.pi), prime / math.sqrt(math.pi)


def _right(x):
    """(Ai, Ai') for x > 1.5 through K_(1/3) and K_(2/3)."""
    with np.errstate(over="ignore", under="ignore"):
        zeta = 2 / 3 * x * np.sqrt(x)
        decay = np.exp(-zeta) / math.pi  # 0 from zeta ~ 745 (x ~ 104) on, as Ai
    zeta = np.minimum(zeta, 1e3)  # past that only decay's 0 matters: keep the integral finite
    return (
        np.sqrt(x / 3) * scaled_k(1 / 3, zeta) * decay,
        -x / math.sqrt(3) * scaled_k(2 / 3, zeta) * decay,
    )


def airy_arrays(x):
    """(Ai(x), Ai'(x)) on a float64 array; both 0 at +-inf, NaN at NaN."""
    value, prime = np.full_like(x, np.nan), np.full_like(x, np.nan)
    finite = np.isfinite(x)
    for mask, method in (
        (finite & (x < _LOW), _left),
        ((x >= _LOW) & (x <= _HIGH), _taylor),
        (finite & (x > _HIGH), _right),
    ):
        if mask.any():
            value[mask], prime[mask] = method(x[mask])
    value[np.isinf(x)], prime[np.isinf(x)] = 0.0, 0.0
    return value, prime


class AiryAi(Primitive):
    """The Airy function Ai(x), the solution of y'' = x y that decays as x -> inf. d/dx = Ai'(x)."""

    name = "airy_ai"
    vjp_fits_input = True
    forward = float64_forward(lambda x: airy_arrays(x)[0])

    @staticmethod
    def vjp(i, g, out, x):
        return g * call(AiryAiPrime, x)


class AiryAiPrime(Primitive):
    """Ai'(x), the derivative of the Airy function. d/dx = x Ai(x) (the Airy equation)."""

    name = "airy_ai_prime"
    vjp_fits_input = True
    forward = float64_forward(lambda x: airy_arrays(x)[1])

    @staticmethod
    def vjp(i, g, out, x):
        return g * x * call(AiryAi, x)
