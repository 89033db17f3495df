"""erf and erfc as primitives, exact to float64 rounding (numpy has no erf; scipy is not a dependency), and
erfinv, their inverse (Newton steps on them, at the end of this module).

The forward is W. J. Cody's rational Chebyshev approximation (Math. Comp. 23, 1969, the algorithm of
most libm erf/erfc), vectorised by range of |x|: below 0.46875 erf = x R1(x^2); up to 4 erfc =
exp(-x^2) R2(x); beyond, erfc = exp(-x^2) (1/sqrt(pi) - R3(1/x^2)/x^2) / x. exp(-x^2) is taken as
exp(-s^2) exp(-(x-s)(x+s)), s = x rounded down to 1/16, so x^2's rounding error is not magnified
by the exponent (erfc(26) ~ 6e-296 keeps its relative accuracy). float16/float32 are computed in
float64 and rounded once.
"""

import math
from fractions import Fraction

import numpy as np

from . import Primitive, call, in_float64
from .elementwise import Exp

_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)
_SMALL = 0.46875  # Cody's boundary between the erf form and the erfc forms
_BIG = 4.0
_HUGE = 40.0  # erfc underflows to 0 from 27.3 on: larger |x| is clamped (inf - inf would make a NaN)

# erf(x) = x P(x^2) / Q(x^2) for |x| < 0.46875 (highest degree first, for Horner's rule)
_P1 = (1.85777706184603153e-1, 3.16112374387056560e0, 1.13864154151050156e2, 3.77485237685302021e2,
       3.20937758913846947e3)  # fmt: skip
_Q1 = (1.0, 2.36012909523441209e1, 2.44024637934444173e2, 1.28261652607737228e3, 2.84423683343917062e3)
# erfc(x) exp(x^2) = P(x) / Q(x) for 0.46875 <= x <= 4
_P2 = (2.15311535474403846e-8, 5.64188496988670089e-1, 8.88314979438837594e0, 6.61191906371416295e1,
       2.98635138197400131e2, 8.81952221241769090e2, 1.71204761263407058e3, 2.05107837782607147e3,
       1.23033935479799725e3)  # fmt: skip
_Q2 = (1.0, 1.57449261107098347e1, 1.17693950891312499e2, 5.37181101862009858e2, 1.62138957456669019e3,
       3.29079923573345963e3, 4.36261909014324716e3, 3.43936767414372164e3, 1.23033935480374942e3)  # fmt: skip
# erfc(x) exp(x^2) x = 1/sqrt(pi) - z P(z) / Q(z), z = 1/x^2, for x > 4
_P3 = (1.63153871373020978e-2, 3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
       1.60837851487422766e-2, 6.58749161529837803e-4)  # fmt: skip
_Q3 = (1.0, 2.56852019228982242e0, 1.87295284992346047e0, 5.27905102951428412e-1, 6.05183413124413191e-2,
       2.33520497626869185e-3)  # fmt: skip
_ONE_OVER_SQRT_PI = 5.6418958354775628695e-1
# erf(x) = x + x (P1 - Q1)(x^2) / Q1(x^2): the ratio's rounding lands on a correction < 0.13 x, not on erf itself
# (3 ulp -> 2, measured). P1 - Q1's coefficients are differences of exact doubles, taken exactly then rounded once.
_D1 = tuple(float(Fraction(p) - Fraction(q)) for p, q in zip(_P1, _Q1, strict=True))


def _horner(coefficients, t):
    value = np.full_like(t, coefficients[0])
    for c in coefficients[1:]:
        value *= t
        value += c
    return value


def _erfc_tail(y):
    """erfc(y) for y >= 0.46875 (float64 array), through exp(-y^2) split for accuracy."""
    y = np.minimum(y, _HUGE)
    ratio = np.empty_like(y)
    mid = y <= _BIG
    m = y[mid]
    ratio[mid] = _horner(_P2, m) / _horner(_Q2, m)
    far = y[~mid]
    z = 1 / (far * far)
    ratio[~mid] = (_ONE_OVER_SQRT_PI - z * _horner(_P3, z) / _horner(_Q3, z)) / far
    s = np.trunc(y * 16) / 16  # exact, and s * s is exact too (few bits)
    return np.exp(-s * s) * np.exp(-(y - s) * (y + s)) * ratio


def erf_array(x):
    """erf on an array, within 2 ulp in float64 (Cody); NaN, +-inf, +-0 exact.

    >>> float(erf_array(np.array(0.5)))
    0.5204998778130465
    """
    x, dtype = in_float64(x)
    y = np.abs(x)
    out = np.empty_like(x)
    small = y < _SMALL  # NaN is not small: it takes the tail, which keeps it NaN
    s = x[small]
    out[small] = s + s * (_horner(_D1, s * s) / _horner(_Q1, s * s))  # +-0 kept: -0 + -0 is -0
    large = ~small
    out[large] = np.copysign(1 - _erfc_tail(y[large]), x[large])
    return out.astype(dtype, copy=False)


def erfc_array(x):
    """erfc = 1 - erf on an array, with full relative accuracy in the right tail (erfc(10) ~ 2e-45).

    >>> float(erfc_array(np.array(10.0)))
    2.088487583762545e-45
    """
    x, dtype = in_float64(x)
    y = np.abs(x)
    out = np.empty_like(x)
    small = y < _SMALL
    s = x[small]
    out[small] = 1 - (s + s * (_horner(_D1, s * s) / _horner(_Q1, s * s)))
    large = ~small
    tail = _erfc_tail(y[large])
    out[large] = np.where(x[large] < 0, 2 - tail, tail)
    return out.astype(dtype, copy=False)


def _gaussian(x):
    """2/sqrt(pi) exp(-x^2) in ops arrays and Tensors share: erf' (a recorded exp under create_graph)."""
    return _TWO_OVER_SQRT_PI * call(Exp, -(x * x))


class Erf(Primitive):
    """The error function erf x = 2/sqrt(pi) int_0^x exp(-t^2) dt. d/dx = 2/sqrt(pi) exp(-x^2)."""

    vjp_fits_input = True

    forward = staticmethod(erf_array)

    @staticmethod
    def vjp(i, g, out, x):
        return g * _gaussian(x)


class Erfc(Primitive):
    """1 - erf x, a primitive for the right tail (1 - erf(10) is 0; erfc(10) ~ 2e-45). d/dx = -erf'(x)."""

    vjp_fits_input = True

    forward = staticmethod(erfc_array)

    @staticmethod
    def vjp(i, g, out, x):
        return -(g * _gaussian(x))


# erfinv's first guess: M. Giles, "Approximating the erfinv function" (GPU Computing Gems, 2011), single precision
_GILES_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
                  -0.00417768164, 0.246640727, 1.50140941)  # fmt: skip
_GILES_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
               0.00943887047, 1.00167406, 2.83297682)  # fmt: skip


def _erfinv_magnitude(a, complement):
    """x >= 0 with erf(x) = a, for a = |y| in [0, 1] and ``complement`` = 1 - a given exactly by the caller (the
    tail's Newton steps aim at it, so ndtri's 2p keeps its accuracy where 1 - 2p would round it away)."""
    with np.errstate(all="ignore"):  # a = 1: log(0), replaced below
        w = -np.log(complement * (1 + a))
        central = w < 5
        x = np.where(central, _horner(_GILES_CENTRAL, w - 2.5), _horner(_GILES_TAIL, np.sqrt(w) - 3)) * a
        # beyond Giles's range (1 - a < 1e-11: ndtri's deep tail), erfc(x) ~ exp(-x^2) / (x sqrt(pi)) solved once
        # for x^2: within 1e-3 relative, where the polynomial runs away and erfc of its guess underflows
        deep = -np.log(complement * math.sqrt(math.pi))
        x = np.where(w > 25, np.sqrt(deep - 0.5 * np.log(deep)), x)
        tail = a > 0.5
        target = np.where(tail, complement, a)
        for _ in range(4):
            slope = _TWO_OVER_SQRT_PI * np.exp(-x * x)
            central_step = (erf_array(x) - target) / slope
            tail_value = erfc_array(x)  # in the tail, Newton on log erfc: nearly linear there, so it converges fast
            tail_step = np.log(tail_value / target) * tail_value / slope
            x = np.where(tail, x + tail_step, x - central_step)
    return np.where(complement == 0, np.inf, x)


def erfinv_array(y):
    """The inverse of erf on (-1, 1): +-inf at +-1, NaN outside. Giles's single-precision polynomial (rel. error
    < 4e-7), then four Newton steps on erf, or on log erfc for |y| > 0.5 (1 - |y| is exact there, so the tail keeps
    its accuracy up to |y| = 1 - 1e-16); each step squares the error (the fourth matters only below
    1 - |y| = 1e-12): within 1e-15 relative (measured against mpmath).

    >>> float(erfinv_array(np.array(0.5204998778130465)))
    0.5
    """
    y, dtype = in_float64(y)
    a = np.abs(y)
    x = np.where(a > 1, np.nan, _erfinv_magnitude(np.minimum(a, 1), 1 - np.minimum(a, 1)))
    return np.copysign(x, y).astype(dtype, copy=False)


class Erfinv(Primitive):
    """The inverse error function: erf(erfinv(y)) = y on (-1, 1). d/dy = sqrt(pi)/2 exp(erfinv(y)^2)."""

    vjp_fits_input = True

    forward = staticmethod(erfinv_array)

    @staticmethod
    def vjp(i, g, out, x):
        return g * (math.sqrt(math.pi) / 2 * call(Exp, out * out))


def erfcx_array(x):
    """The scaled complement exp(x^2) erfc(x), finite where erfc underflows (~1/(x sqrt(pi)) for large x): Cody's
    tail ratio itself from 0.46875 on (the exp(-x^2) it is multiplied by in erfc left out), exp(x^2) erfc(x) below,
    and 2 exp(x^2) - erfcx(-x) for x <= -0.46875 (inf once exp(x^2) overflows, x < -26.6).

    >>> float(erfcx_array(np.array(30.0)))  # erfc(30) alone is 0 in float64
    0.018795888861416751
    """
    x, dtype = in_float64(x)
    y = np.abs(x)
    out = np.empty_like(x)
    small = y < _SMALL
    s = x[small]
    out[small] = np.exp(s * s) * (1 - (s + s * (_horner(_D1, s * s) / _horner(_Q1, s * s))))
    large = ~small
    far = y[large]
    ratio = np.empty_like(far)
    mid = far <= _BIG
    ratio[mid] = _horner(_P2, far[mid]) / _horner(_Q2, far[mid])
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):  # huge |x|: z = 0, 1 / inf = 0
        z = 1 / (far[~mid] * far[~mid])
        ratio[~mid] = (_ONE_OVER_SQRT_PI - z * _horner(_P3, z) / _horner(_Q3, z)) / far[~mid]
        s = np.trunc(far * 16) / 16  # exp(x^2) as exp(s^2) exp((x - s)(x + s)): x^2's rounding not magnified
        doubled = 2 * np.exp(s * s) * np.exp((far - s) * (far + s))
        out[large] = np.where(x[large] < 0, doubled - ratio, ratio)
    out[x == -np.inf] = np.inf  # (inf - inf in the split exponent)
    return out.astype(dtype, copy=False)


class Erfcx(Primitive):
    """exp(x^2) erfc(x). d/dx = 2 x erfcx(x) - 2/sqrt(pi) (PyTorch's form)."""

    vjp_fits_input = True

    forward = staticmethod(erfcx_array)

    @staticmethod
    def vjp(i, g, out, x):
        return g * (2 * x * out - _TWO_OVER_SQRT_PI)


_SQRT_TWO = math.sqrt(2)


def ndtri_array(p):
    """The standard normal quantile, Phi^-1(p) = sqrt(2) erfinv(2p - 1), through erfinv's Newton steps aimed at 2p
    itself for p < 1/4 (2p - 1 would round the left tail away: p = 1e-20 would give -inf): -inf at 0, inf at 1,
    NaN outside [0, 1].

    >>> float(ndtri_array(np.array(0.975)))
    1.959963984540054
    """
    p, dtype = in_float64(p)
    with np.errstate(invalid="ignore"):
        left = p < 0.25
        y = 2 * p - 1  # exact for p in [1/4, 1]
        a = np.where(left, 1 - 2 * p, np.minimum(np.abs(y), 1))
        complement = np.where(left, 2 * p, 1 - a)  # 2p exact; 1 - a exact for a >= 1/2 (where the tail reads it)
        x = _erfinv_magnitude(a, np.maximum(complement, 0)) * _SQRT_TWO
        x = np.where(left | (y < 0), -x, x)
        return np.where((p < 0) | (p > 1), np.nan, x).astype(dtype, copy=False)


class Ndtri(Primitive):
    """The inverse of the standard normal CDF. d/dp = sqrt(2 pi) exp(out^2 / 2) (1 / the density at out)."""

    vjp_fits_input = True

    forward = staticmethod(ndtri_array)

    @staticmethod
    def vjp(i, g, out, x):
        return g * (math.sqrt(2 * math.pi) * call(Exp, out * out * 0.5))
