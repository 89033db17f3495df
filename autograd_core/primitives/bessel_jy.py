"""The Bessel functions of the first and second kind J0 J1 Y0 Y1, and the spherical j0 (torch.special's
bessel_j0 bessel_j1 bessel_y0 bessel_y1 spherical_bessel_j0), as primitives in numpy (scipy is not a dependency).

Below x = 25, Miller's backward recurrence J_(k-1) = (2k/x) J_k - J_(k+1), started far above x and normalised by
J0 + 2 (J2 + J4 + ...) = 1, gives J0 and J1; the same pass sums Neumann's series
Y0 = (2/pi) [(ln(x/2) + gamma) J0 + 2 sum_k (-1)^(k+1) J_2k / k] and its derivative's, for Y1. From 25 on,
Hankel's asymptotic expansions sqrt(2/(pi x)) (P cos chi - Q sin chi), chi = x - (2 nu + 1) pi/4, whose smallest
term there is below 1e-18; cos chi comes from cos x and sin x (numpy reduces huge x exactly), not from x - pi/4.
Below 1e-3, the first terms of the power series. The error is absolute, so relative accuracy is lost only next to
the zeros. Measured against mpmath (30 digits) for |x| from 1e-8 to 1e4: within 2e-15 (J) and 3.6e-15 (Y) of the
envelope min(1, sqrt(2/(pi x))), 1.1e-13 relative where |f| > 1e-2 of it; torch 2.13's are off by up to 5e-6
relative (J0 at 5.6), scipy's by 5e-13 of the envelope at x ~ 1e4 (both subtract pi/4 from x in floating point).
J0 is even and J1 odd; Y0 and Y1 are -inf at 0 and NaN for x < 0, as torch. Derivatives close on the family:
J0' = -J1, J1' = J0 - J1/x (1/2 at 0), Y0' = -Y1, Y1' = Y0 - Y1/x.
spherical j0 = sin(x)/x, and its derivative -j1 with j1 = sin(x)/x^2 - cos(x)/x (by its series near 0, where that
difference cancels), j1' = j0 - 2 j1/x (1/3 at 0).
"""

import math

import numpy as np

from . import Primitive, call, float64_forward, in_float64
from .bessel import at_zero, over_x

_FAR = 25.0  # Hankel's expansions from here on
_TINY = 1e-3  # the power series below
_START = 1e-250  # Miller's starting value: the recurrence grows it by at most ~1e352 (x >= 1e-3, order <= 80)


def _hankel_coefficients(nu, count):
    """a_k(nu) = (mu - 1)(mu - 9)...(mu - (2k - 1)^2) / (k! 8^k), mu = 4 nu^2, k < count."""
    mu, coefficients, a = 4 * nu * nu, [], 1.0
    for k in range(count):
        coefficients.append(a)
        a *= (mu - (2 * k + 1) ** 2) / ((k + 1) * 8)
    return coefficients


_HANKEL = {nu: _hankel_coefficients(nu, 40) for nu in (0, 1)}


def _hankel(nu, x):
    """(J_nu(x), Y_nu(x)) for x >= 25 by the asymptotic expansions."""
    a, r = _HANKEL[nu], 1 / x
    p = q = np.zeros_like(x)
    for k in range(len(a) - 2, -1, -2):  # P = sum (-1)^k a_2k / x^2k, Q = sum (-1)^k a_(2k+1) / x^(2k+1), Horner
        sign = -1.0 if (k // 2) % 2 else 1.0
        p = p * r * r + sign * a[k]
        q = q * r * r + sign * a[k + 1]
    q = q * r
    cos, sin = np.cos(x), np.sin(x)
    # chi = x - pi/4 (nu = 0) or x - 3pi/4 (nu = 1): cos chi and sin chi by the addition formulas
    cos_chi, sin_chi = ((cos + sin), (sin - cos)) if nu == 0 else ((sin - cos), -(sin + cos))
    scale = np.sqrt(1 / (np.pi * x))  # sqrt(2/(pi x)) / sqrt(2)
    return scale * (p * cos_chi - q * sin_chi), scale * (p * sin_chi + q * cos_chi)


def _far(x):
    """(J0, J1, Y0, Y1) for x >= 25."""
    (j0, y0), (j1, y1) = _hankel(0, x), _hankel(1, x)
    return j0, j1, y0, y1


def _miller(x):
    """(J0, J1, Y0, Y1) for 1e-3 <= x < 25 (float64 array) by Miller's recurrence and Neumann's series."""
    top = float(x.max(initial=1.0))
    order = 2 * math.ceil((top + 10 * top ** (1 / 3) + 20) / 2)  # even: J_order starts the normalising sum
    two_over_x = 2 / x
    later, current = np.zeros_like(x), np.full_like(x, _START)  # J_(k+1), J_k (unnormalised)
    norm = np.zeros_like(x)  # J0 + 2 sum J_2k
    neumann0 = np.zeros_like(x)  # sum (-1)^(k+1) J_2k / k
    neumann1 = np.zeros_like(x)  # sum (-1)^k (J_(2k-1) - J_(2k+1)) / k
    j1 = np.zeros_like(x)
    for k in range(order, 0, -1):  # current is J_k: add its terms, then step to J_(k-1)
        if k % 2 == 0:
            norm += 2 * current
            neumann0 += (1 if (k // 2) % 2 else -1) * current / (k // 2)
        else:
            up, down = (k + 1) // 2, (k - 1) // 2  # J_k is J_(2 up - 1) and J_(2 down + 1)
            neumann1 += (-1 if up % 2 else 1) * current / up
            if down:
                neumann1 -= (-1 if down % 2 else 1) * current / down
        if k == 1:
            j1 = current
        later, current = current, k * two_over_x * current - later
    norm += current
    j0, j1 = current / norm, j1 / norm
    log_term = np.log(x / 2) + np.euler_gamma
    y0 = (2 / np.pi) * (log_term * j0 + 2 * neumann0 / norm)
    y1 = (2 / np.pi) * (log_term * j1 - j0 / x + neumann1 / norm)
    return j0, j1, y0, y1


def _series(x):
    """(J0, J1, Y0, Y1) for 0 < x < 1e-3: the power series to x^4 relative (x^6 < 1e-18)."""
    s = x * x / 4
    j0 = 1 - s + s * s / 4
    j1 = x / 2 * (1 - s / 2 + s * s / 12)
    log_term = np.log(x / 2) + np.euler_gamma
    y0 = (2 / np.pi) * (log_term * j0 + s - 0.375 * s * s)
    y1 = -2 / (np.pi * x) + (2 / np.pi) * log_term * j1 - (x / 2) / np.pi * (1 - 1.25 * s)
    return j0, j1, y0, y1


def bessel_jy_arrays(x):
    """(J0, J1, Y0, Y1) of |x| (float64 array), each element by the range it falls in; NaN stays NaN."""
    y = np.abs(x)
    out = [np.full_like(y, np.nan) for _ in range(4)]
    for mask, method in (
        ((y > 0) & (y < _TINY), _series),
        ((y >= _TINY) & (y < _FAR), _miller),
        (y >= _FAR, _far),
    ):
        if mask.any():
            with np.errstate(all="ignore"):  # Hankel's sin(inf): set below
                for array, value in zip(out, method(y[mask]), strict=True):
                    array[mask] = value
    zero, infinite = y == 0, np.isinf(y)
    for array, value_at_zero in zip(out, (1.0, 0.0, -np.inf, -np.inf), strict=True):
        array[zero] = value_at_zero
        array[infinite] = 0.0
    return out


class BesselJ0(Primitive):
    """J0(x), even. d/dx = -J1(x)."""

    name = "bessel_j0"
    vjp_fits_input = True
    forward = float64_forward(lambda x: bessel_jy_arrays(x)[0])

    @staticmethod
    def vjp(i, g, out, x):
        return -g * call(BesselJ1, x)


class BesselJ1(Primitive):
    """J1(x), odd. d/dx = J0(x) - J1(x)/x, 1/2 at 0."""

    name = "bessel_j1"
    vjp_fits_input = True
    forward = float64_forward(lambda x: np.sign(x) * bessel_jy_arrays(x)[1])

    @staticmethod
    def vjp(i, g, out, x):
        return g * (call(BesselJ0, x) - over_x(out, x) - 0.5 * at_zero(x))


class BesselY0(Primitive):
    """Y0(x), x > 0 (-inf at 0, NaN below). d/dx = -Y1(x)."""

    name = "bessel_y0"
    vjp_fits_input = True
    forward = float64_forward(lambda x: np.where(x < 0, np.nan, bessel_jy_arrays(x)[2]))

    @staticmethod
    def vjp(i, g, out, x):
        return -g * call(BesselY1, x)


class BesselY1(Primitive):
    """Y1(x), x > 0 (-inf at 0, NaN below). d/dx = Y0(x) - Y1(x)/x."""

    name = "bessel_y1"
    vjp_fits_input = True
    forward = float64_forward(lambda x: np.where(x < 0, np.nan, bessel_jy_arrays(x)[3]))

    @staticmethod
    def vjp(i, g, out, x):
        return g * (call(BesselY0, x) - out / x)


def _spherical_j1_series(x):
    """j1(x) = sum_k (-1)^k (2k + 2) x^(2k+1) / (2k + 3)!, for |x| < 1 (12 terms: below 1e-20 relative)."""
    term, total, s = x / 3, x / 3, x * x
    for k in range(1, 12):
        term = -term * s / ((2 * k) * (2 * k + 3))
        total = total + term
    return total


def spherical_j0_array(x):
    """sin(x)/x, 1 at 0, 0 at +-inf.

    >>> float(spherical_j0_array(np.array(np.pi / 2)))
    0.6366197723675814
    """
    x, dtype = in_float64(x)
    with np.errstate(all="ignore"):
        out = np.where(x == 0, 1.0, np.sin(x) / x)
    return np.where(np.isinf(x), 0.0, out).astype(dtype, copy=False)


def spherical_j1_array(x):
    """sin(x)/x^2 - cos(x)/x, by its series for |x| < 1; odd, 0 at 0 and at +-inf."""
    x, dtype = in_float64(x)
    with np.errstate(all="ignore"):
        out = np.where(np.abs(x) < 1, _spherical_j1_series(x), (np.sin(x) / x - np.cos(x)) / x)
    return np.where(np.isinf(x), 0.0, out).astype(dtype, copy=False)


class SphericalBesselJ0(Primitive):
    """The spherical Bessel function j0(x) = sin(x)/x. d/dx = -j1(x)."""

    name = "spherical_bessel_j0"
    vjp_fits_input = True
    forward = staticmethod(spherical_j0_array)

    @staticmethod
    def vjp(i, g, out, x):
        return -g * call(SphericalBesselJ1, x)


class SphericalBesselJ1(Primitive):
    """The spherical Bessel function j1(x) (j0's derivative's negative). d/dx = j0(x) - 2 j1(x)/x, 1/3 at 0."""

    name = "spherical_bessel_j1"
    vjp_fits_input = True
    forward = staticmethod(spherical_j1_array)

    @staticmethod
    def vjp(i, g, out, x):
        return g * (call(SphericalBesselJ0, x) - 2 * over_x(out, x) - at_zero(x) * (2 / 3))  # 1 - 2/3 at 0
