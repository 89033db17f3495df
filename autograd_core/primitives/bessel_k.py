"""The modified Bessel functions of the second kind K0 and K1 and their scaled forms exp(x) K0(x), exp(x) K1(x)
(torch.special's modified_bessel_k0 modified_bessel_k1 scaled_modified_bessel_k0 scaled_modified_bessel_k1), as
primitives in numpy (scipy is not a dependency).

For x > 1, exp(x) K_nu(x) = integral_0^inf exp(-x (cosh t - 1)) cosh(nu t) dt by the trapezoidal rule, which
converges geometrically for this analytic, doubly-exponentially decaying integrand: 28 nodes on [0, T], with
x (cosh T - 1) = 50, keep the step below both pi^2 / (44 + x) (the strip of analyticity's bound) and
0.66 / sqrt(x) (the Gaussian peak's width at large x), so the rule's error is below 1e-17 relative; every term is
positive (no cancellation), and cosh t - 1 is taken as 2 sinh(t/2)^2. ``scaled_k`` serves any order (airy_ai uses
K_(1/3) and K_(2/3)). For x <= 1 the power series K0 = -(ln(x/2) + gamma) I0(x) + sum H_k (x^2/4)^k / k!^2 and
K1 = 1/x + (ln(x/2) + gamma) I1(x) - (x/4) sum (H_k + H_(k+1)) (x^2/4)^k / (k! (k+1)!) (H_k harmonic numbers).
At 0 all four are +inf; below 0 NaN, as torch. Measured against mpmath for x from 1e-8 to 700: within 6.5e-16
relative (torch's and scipy's Cephes Chebyshev fits: 1e-15). Derivatives close on the family: K0' = -K1,
K1' = -K0 - K1/x, (e^x K0)' = e^x K0 - e^x K1, (e^x K1)' = e^x K1 - e^x K0 - e^x K1 / x.
"""

import numpy as np

from . import Primitive, call, float64_forward

_NODES = 28
_SERIES_TERMS = 14  # (1/4)^k / k!^2 at x = 1: below 1e-28 from k = 14 on


def scaled_k(nu, x):
    """exp(x) K_nu(x) for x > ~1 (float64 array) by the trapezoidal rule.

    >>> round(float(scaled_k(0.0, np.array(2.0)) * np.exp(-2.0)), 15)  # K0(2)
    0.113893872749533
    """
    end = 2 * np.arcsinh(5 / np.sqrt(x))  # x (cosh t - 1) = 2 x sinh(t/2)^2 = 50, without 1 + 50/x rounding to 1
    step = (end / (_NODES - 1))[..., None]
    t = step * np.arange(_NODES)
    half = np.sinh(t / 2)
    with np.errstate(over="ignore", under="ignore"):
        values = np.exp(-2 * x[..., None] * half * half) * (np.cosh(nu * t) if nu else 1.0)
    return step[..., 0] * (values.sum(axis=-1) - 0.5 * values[..., 0])


def _series(x):
    """(K0, K1) for 0 < x <= 1 by the power series."""
    s = x * x / 4
    term0, term1 = np.ones_like(x), np.ones_like(x)  # s^k / k!^2, s^k / (k! (k+1)!)
    i0, i1 = term0.copy(), term1.copy()
    harmonic_sum0 = np.zeros_like(x)  # sum H_k s^k / k!^2
    harmonic_sum1 = term1.copy()  # sum (H_k + H_(k+1)) s^k / (k! (k+1)!), from H_0 + H_1 = 1
    harmonic = 0.0
    for k in range(1, _SERIES_TERMS):
        harmonic += 1 / k
        term0 = term0 * s / (k * k)
        term1 = term1 * s / (k * (k + 1))
        i0, i1 = i0 + term0, i1 + term1
        harmonic_sum0 += harmonic * term0
        harmonic_sum1 += (2 * harmonic + 1 / (k + 1)) * term1
    log_term = np.log(x / 2) + np.euler_gamma
    k0 = -log_term * i0 + harmonic_sum0
    k1 = 1 / x + log_term * (x / 2) * i1 - (x / 4) * harmonic_sum1
    return k0, k1


def k_arrays(x, scaled):
    """(K0, K1) of x, or exp(x) times them (float64 array): +inf at 0, NaN below and at NaN, 0 at inf."""
    k0, k1 = np.full_like(x, np.nan), np.full_like(x, np.nan)
    small, large = (x > 0) & (x <= 1), (x > 1) & (x < np.inf)
    y = x[small]
    k0[small], k1[small] = _series(y)
    if scaled:
        k0[small] *= np.exp(y)
        k1[small] *= np.exp(y)
    y = x[large]
    factor = 1.0 if scaled else np.exp(-y)  # underflows to 0 past x ~ 745, as K itself
    k0[large], k1[large] = scaled_k(0.0, y) * factor, scaled_k(1.0, y) * factor
    k0[x == 0], k1[x == 0] = np.inf, np.inf
    k0[x == np.inf], k1[x == np.inf] = 0.0, 0.0  # also scaled: exp(x) K(x) ~ sqrt(pi / (2x)) -> 0
    return k0, k1


class ModifiedBesselK0(Primitive):
    """K0(x), x > 0. d/dx = -K1(x)."""

    name = "modified_bessel_k0"
    vjp_fits_input = True
    forward = float64_forward(lambda x: k_arrays(x, scaled=False)[0])

    @staticmethod
    def vjp(i, g, out, x):
        return -g * call(ModifiedBesselK1, x)


class ModifiedBesselK1(Primitive):
    """K1(x), x > 0. d/dx = -K0(x) - K1(x)/x."""

    name = "modified_bessel_k1"
    vjp_fits_input = True
    forward = float64_forward(lambda x: k_arrays(x, scaled=False)[1])

    @staticmethod
    def vjp(i, g, out, x):
        return -g * (call(ModifiedBesselK0, x) + out / x)


class ScaledModifiedBesselK0(Primitive):
    """exp(x) K0(x), x > 0. d/dx = exp(x) (K0(x) - K1(x))."""

    name = "scaled_modified_bessel_k0"
    vjp_fits_input = True
    forward = float64_forward(lambda x: k_arrays(x, scaled=True)[0])

    @staticmethod
    def vjp(i, g, out, x):
        return g * (out - call(ScaledModifiedBesselK1, x))


class ScaledModifiedBesselK1(Primitive):
    """exp(x) K1(x), x > 0. d/dx = exp(x) (K1(x) - K0(x) - K1(x)/x)."""

    name = "scaled_modified_bessel_k1"
    vjp_fits_input = True
    forward = float64_forward(lambda x: k_arrays(x, scaled=True)[1])

    @staticmethod
    def vjp(i, g, out, x):
        return g * (out - call(ScaledModifiedBesselK0, x) - out / x)
