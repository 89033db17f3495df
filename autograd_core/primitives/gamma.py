"""lgamma, digamma and polygamma as primitives, in numpy (numpy has no gamma functions; scipy is not a dependency).

One tool underlies all three: the Hurwitz zeta function zeta(s, a) = sum_j (a + j)^-s by Euler-Maclaurin (the
terms below a + N >= max(10, 2s + 5) summed, the rest as an integral plus 8 Bernoulli corrections, whose
remainder is below 1e-16 relative there). Then, for x > 0:

- polygamma(n, x) = (-1)^(n+1) n! zeta(n + 1, x), n >= 1 (all terms of one sign: full relative accuracy);
- digamma: the asymptotic series ln x - 1/(2x) - sum B_2k / (2k x^2k) from 10 on; below, the recurrence
  psi(x + 1) = psi(x) + 1/x to t in [1.25, 2.25), where a Taylor series about 2 (coefficients zeta(k) - 1) or,
  within 0.25 of its positive root x0 = 1.4616..., about x0 (coefficients zeta(k + 1, x0)) keeps its relative
  accuracy there too;
- lgamma: Stirling's series for x >= 10; below, the recurrence to t in [1.5, 2.5) and the series
  lgamma(2 + u) = (1 - gamma) u + sum_k (-1)^k (zeta(k) - 1) / k u^k, |u| <= 0.5, which keeps relative
  accuracy at the roots x = 1 and 2 (u = x - 1 or x - 2 is exact there).

For x < 0 the reflection formulas: lgamma(x) = log(pi / |sin(pi x)|) - lgamma(1 - x),
psi(x) = psi(1 - x) - pi / tan(pi x), and polygamma's, through the n-th derivative of cot(pi x) as a
polynomial in cot. Measured against mpmath (40 digits) on ~10^4 points each: lgamma, digamma and polygamma
(n <= 5) within 1e-15 relative for x > 0 (math.lgamma itself is off by 1e-9 near x = 2); for x < 0, within
1e-13 relative, but only absolute accuracy near the roots there (tests/test_special_gamma.py checks these
against math.lgamma, identities and torch, without mpmath). At the poles x = 0, -1, -2, ...: lgamma = +inf,
digamma(0) = -inf and NaN at negative integers, as PyTorch.
"""

import math
from fractions import Fraction

import numpy as np

from . import Primitive, call, in_float64

# B_2, B_4, ..., B_16 (exact)
_BERNOULLI = [Fraction(1, 6), Fraction(-1, 30), Fraction(1, 42), Fraction(-1, 30), Fraction(5, 66),
              Fraction(-691, 2730), Fraction(7, 6), Fraction(-3617, 510)]  # fmt: skip
_ROOT_HI, _ROOT_LO = 1.4616321449683622, 9.549995429965697e-17  # digamma's positive root, as hi + lo


def _hurwitz_zeta(s, a):
    """zeta(s, a) = sum_{j >= 0} (a + j)^-s for an integer s >= 2 and a > 0 (float64 array), by Euler-Maclaurin."""
    a = np.asarray(a, dtype=np.float64)
    start = max(10.0, 2.0 * s + 5.0)
    steps = np.where(a < start, np.ceil(start - a), 0.0)
    total = np.zeros_like(a)
    for j in range(int(steps.max(initial=0.0))):  # the terms below `start`, each where needed
        total += np.where(j < steps, (a + j) ** -s, 0.0)
    shifted = a + steps
    tail = shifted ** (1 - s) / (s - 1) + 0.5 * shifted**-s
    rising = float(s)  # s (s + 1) ... (s + 2k - 2), the (2k - 1)-th derivative's factor
    for k, b in enumerate(_BERNOULLI, start=1):
        tail += float(b / math.factorial(2 * k)) * rising * shifted ** (-s - 2 * k + 1)
        rising *= (s + 2 * k - 1) * (s + 2 * k)
    return total + tail


# lgamma(2 + u) = (1 - gamma) u + sum_{k >= 2} (-1)^k (zeta(k) - 1) / k u^k, highest power first (Horner)
_LGAMMA_SERIES = tuple((-1) ** k * float(_hurwitz_zeta(k, 2.0)) / k for k in range(40, 1, -1)) + (1 - np.euler_gamma,)
# digamma(x0 + t) = c0 + sum_{k >= 1} (-1)^(k+1) zeta(k + 1, x0) t^k, with c0 = psi(x0_hi) = -psi'(x0) x0_lo
_ROOT_SERIES = tuple((-1) ** (k + 1) * float(_hurwitz_zeta(k + 1, _ROOT_HI)) for k in range(24, 0, -1))
_ROOT_VALUE = -float(_hurwitz_zeta(2, _ROOT_HI)) * _ROOT_LO
# digamma(2 + u) = 1 - gamma + sum_{k >= 2} (-1)^k (zeta(k) - 1) u^(k-1) (lgamma's series, differentiated)
_DIGAMMA_SERIES = tuple((-1) ** k * float(_hurwitz_zeta(k, 2.0)) for k in range(40, 1, -1)) + (1 - np.euler_gamma,)


def _horner(coefficients, t):
    value = np.full_like(t, coefficients[0])
    for c in coefficients[1:]:
        value = value * t + c
    return value


def _sin_pi_abs(x):
    """|sin(pi x)|, with x reduced to [-1/2, 1/2] first (exactly) so large |x| keeps its accuracy."""
    return np.abs(np.sin(np.pi * (x - np.round(x))))


def _lgamma_positive(x):
    """lgamma for x > 0 (float64 array; +inf stays +inf)."""
    out = np.empty_like(x)
    big = x >= 10
    y = x[big]
    z = 1 / (y * y)
    series = sum(float(b / (2 * k * (2 * k - 1))) * z ** (k - 1) for k, b in enumerate(_BERNOULLI, start=1)) / y
    with np.errstate(invalid="ignore"):  # inf - inf at x = inf: set below
        out[big] = np.where(np.isinf(y), np.inf, (y - 0.5) * np.log(y) - y + 0.5 * math.log(2 * math.pi) + series)
    y = x[~big]
    k = np.floor(y - 1.5)  # y = 2 + k + u, |u| <= 0.5; k < 0: Gamma(y) = Gamma(y - k) / (y (y + 1)...)
    u = y - (2.0 + k)  # exact where it matters (y near 1 or 2: Sterbenz)
    down, up = np.ones_like(y), np.ones_like(y)
    for j in range(1, 9):
        down *= np.where(j <= k, y - j, 1.0)
        up *= np.where(j <= -k, y + (j - 1), 1.0)
    with np.errstate(divide="ignore"):
        out[~big] = u * _horner(_LGAMMA_SERIES, u) + np.log(down) - np.log(up)
    return out


def lgamma_array(x):
    """log|Gamma(x)| on an array (float64 inside, the input's float dtype out).

    >>> float(lgamma_array(np.array(0.5)))  # log(sqrt(pi))
    0.5723649429247001
    """
    x, dtype = in_float64(x)
    out = np.full_like(x, np.nan)
    positive = x > 0
    with np.errstate(all="ignore"):  # inf and huge x: the results are right, the intermediates warn
        out[positive] = _lgamma_positive(x[positive])
    negative = x <= 0
    y = x[negative]
    with np.errstate(all="ignore"):
        reflected = np.log(np.pi / _sin_pi_abs(y)) - _lgamma_positive(1 - y)
    out[negative] = np.where(np.isinf(y), np.inf, reflected)
    return out.astype(dtype, copy=False)


def _digamma_positive(x):
    """psi for x > 0 (float64 array): the asymptotic series from 10 on; below, the recurrence to t in [1.25, 2.25),
    where a Taylor series about 2 (or about the root x0, for t < 1.71) gives psi(t) to full relative accuracy."""
    out = np.empty_like(x)
    big = x >= 10
    y = x[big]
    z = 1 / (y * y)
    out[big] = np.log(y) - 0.5 / y - sum(float(b / (2 * k)) * z**k for k, b in enumerate(_BERNOULLI, start=1))
    y = x[~big]
    k = np.floor(y - 1.25)  # y = 2 + k + u, u in [-0.75, 0.25)
    u = y - (2.0 + k)  # exact (Sterbenz), as is u + (2 - x0) near the root
    near_root = u < -0.29
    base = np.where(
        near_root,
        _ROOT_VALUE + (u + (2 - _ROOT_HI)) * _horner(_ROOT_SERIES, u + (2 - _ROOT_HI)),
        _horner(_DIGAMMA_SERIES, u),
    )
    steps = np.zeros_like(y)  # psi(y) = psi(t) + sum 1/(y - j) going down, - sum 1/(y + j) going up
    for j in range(1, 9):
        steps += np.where(j <= k, 1 / (y - j), 0.0) - np.where(j <= -k, 1 / (y + (j - 1)), 0.0)
    out[~big] = base + steps
    return out


def digamma_array(x):
    """psi(x) = d/dx lgamma(x) on an array.

    >>> float(digamma_array(np.array(1.0)))  # -gamma, Euler's constant
    -0.5772156649015329
    """
    x, dtype = in_float64(x)
    out = np.full_like(x, np.nan)
    positive = x > 0
    negative = x < 0
    y = x[negative]
    with np.errstate(all="ignore"):
        out[positive] = _digamma_positive(x[positive])
        r = y - np.round(y)
        reflected = _digamma_positive(1 - y) - np.pi / np.tan(np.pi * r)
    out[negative] = np.where(r == 0, np.nan, reflected)  # a pole at each negative integer (NaN, as PyTorch)
    out[x == 0] = -np.inf
    return out.astype(dtype, copy=False)


def _cot_derivative_polynomial(n):
    """Coefficients (lowest first) of P with d^n/dx^n cot(pi x) = P(cot(pi x)): d/dx P(c) = -pi (1 + c^2) P'(c)."""
    poly = np.polynomial.Polynomial([0.0, 1.0])
    for _ in range(n):
        poly = -np.pi * np.polynomial.Polynomial([1.0, 0.0, 1.0]) * poly.deriv()
    return poly


def polygamma_array(n, x):
    """The n-th derivative of digamma on an array (n = 0 is digamma itself).

    >>> float(polygamma_array(1, np.array(1.0)))  # pi^2 / 6
    1.6449340668482264
    """
    if n == 0:
        return digamma_array(x)
    x, dtype = in_float64(x)
    sign = (-1) ** (n + 1) * math.factorial(n)
    out = np.full_like(x, np.nan)
    positive = x > 0
    negative = x <= 0
    y = x[negative]
    with np.errstate(all="ignore"):  # the poles at 0, -1, -2, ...: inf or NaN
        out[positive] = sign * _hurwitz_zeta(n + 1, x[positive])
        cot = 1 / np.tan(np.pi * (y - np.round(y)))
        out[negative] = (-1) ** n * sign * _hurwitz_zeta(n + 1, 1 - y) - np.pi * _cot_derivative_polynomial(n)(cot)
    out[x == 0] = np.inf if n % 2 else -np.inf  # the limit from the right, as PyTorch
    return out.astype(dtype, copy=False)


class Lgamma(Primitive):
    """log|Gamma(x)|, elementwise. d/dx = digamma(x)."""

    vjp_fits_input = True

    forward = staticmethod(lgamma_array)

    @staticmethod
    def vjp(i, g, out, x):
        return g * call(Digamma, x)


class Digamma(Primitive):
    """psi(x) = Gamma'(x) / Gamma(x), elementwise. d/dx = polygamma(1, x) (the trigamma function)."""

    vjp_fits_input = True

    forward = staticmethod(digamma_array)

    @staticmethod
    def vjp(i, g, out, x):
        return g * call(Polygamma, x, n=1)


class Polygamma(Primitive):
    """polygamma(n, x), the n-th derivative of digamma (param n >= 0), elementwise. d/dx = polygamma(n + 1, x)."""

    @staticmethod
    def forward(x, n):
        return polygamma_array(n, x)

    @staticmethod
    def vjp(i, g, out, x, n):
        return g * call(Polygamma, x, n=n + 1)
