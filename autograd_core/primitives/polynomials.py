"""torch.special's classical orthogonal polynomials of integer degree n, and their derivatives in x, as one
primitive with params ``kind`` and ``order`` (the order of the derivative: 0 is the polynomial itself).

Each family is its three-term recurrence p_(k+1) = ((A_k x + B_k) p_k - C_k p_(k-1)) / D_k from p_0 = 1 and p_1,
vectorised over n (one pass to the largest n, each element taking its p_n as the pass reaches it). Differentiating
the recurrence m times gives the m-th derivative's: p_(k+1)^(m) = ((A_k x + B_k) p_k^(m) + m A_k p_k^(m-1)
- C_k p_(k-1)^(m)) / D_k, run alongside. So d/dx is the same primitive one order up, and derivatives of any order
exist. The shifted Chebyshev polynomials are T, U, V, W at 2x - 1 (times 2^m for the m-th derivative).

n is truncated to an integer, as torch's kernels do (an int64 cast); p_n = 0 for n < 0 and for NaN or infinite n
(the cast makes those negative), as torch. torch evaluates
T and U (n > 6, 8, |x| < 1) by cos(n acos x) and the like rather than the recurrence: the two agree to rounding
(~n * 1e-16). torch's derivatives of these functions are not implemented; here d/dx is, d/dn raises.
"""

import numpy as np

from . import Primitive, call, in_float64

# kind -> (p_1 = a x + b as (a, b), k -> (A, B, C, D)): p_(k+1) = ((A x + B) p_k - C p_(k-1)) / D, in integers
# where torch's kernels use them, so that the values at +-1 and 0 are exact (as torch's)
_CHEBYSHEV = lambda k: (2.0, 0.0, 1.0, 1.0)  # noqa: E731 (a table of small functions)
_RECURRENCES = {
    "chebyshev_polynomial_t": ((1.0, 0.0), _CHEBYSHEV),
    "chebyshev_polynomial_u": ((2.0, 0.0), _CHEBYSHEV),
    "chebyshev_polynomial_v": ((2.0, -1.0), _CHEBYSHEV),
    "chebyshev_polynomial_w": ((2.0, 1.0), _CHEBYSHEV),
    "hermite_polynomial_h": ((2.0, 0.0), lambda k: (2.0, 0.0, 2.0 * k, 1.0)),
    "hermite_polynomial_he": ((1.0, 0.0), lambda k: (1.0, 0.0, float(k), 1.0)),
    "laguerre_polynomial_l": ((-1.0, 1.0), lambda k: (-1.0, 2.0 * k + 1, float(k), k + 1.0)),
    "legendre_polynomial_p": ((1.0, 0.0), lambda k: (2.0 * k + 1, 0.0, float(k), k + 1.0)),
}
KINDS = (*_RECURRENCES, *(f"shifted_{kind}" for kind in list(_RECURRENCES)[:4]))


def polynomial_array(x, n, kind, order=0):
    """The order-th derivative of the degree-n polynomial ``kind`` at x (broadcast; float64 inside).

    >>> float(polynomial_array(np.array(0.5), np.array(3.0), "chebyshev_polynomial_t"))  # cos(3 acos 0.5)
    -1.0
    """
    x, n, dtype = in_float64(x, n)
    shifted = kind.startswith("shifted_")
    (a, b), coefficients = _RECURRENCES[kind.removeprefix("shifted_")]
    x64, n64 = np.broadcast_arrays(x, n)
    t = x64 + x64 - 1 if shifted else x64
    degree = np.trunc(n64)
    zeros = np.zeros_like(t)
    previous = [np.ones_like(t)] + [zeros] * order  # p_(k-1)^(j), j = 0..order
    current = [a * t + b] + [np.full_like(t, a)] * min(order, 1) + [zeros] * (order - 1)  # p_k^(j)
    result = np.where(degree == 0, previous[order], np.where(degree == 1, current[order], 0.0))
    top = int(np.max(degree, where=np.isfinite(degree), initial=0.0))
    with np.errstate(over="ignore", invalid="ignore"):  # |x| > 1 and large n overflow to inf, as torch's
        for k in range(1, top):
            big_a, big_b, c, d = coefficients(k)
            slope = big_a * t + big_b
            following = [
                (slope * current[j] + (j * big_a * current[j - 1] if j else 0.0) - c * previous[j]) / d
                for j in range(order + 1)
            ]
            previous, current = current, following
            result = np.where(degree == k + 1, current[order], result)
    result = np.where(np.isfinite(degree), result, 0.0)  # torch's int64 cast makes them negative: p = 0
    if shifted and order:
        result = result * 2.0**order
    return result.astype(dtype, copy=False)


class OrthogonalPolynomial(Primitive):
    """p_n^(order)(x) for the family ``kind`` (see KINDS). d/dx is the next order; d/dn raises (n is a degree)."""

    name = "orthogonal_polynomial"

    @staticmethod
    def forward(x, n, kind, order=0):
        return polynomial_array(x, n, kind, order)

    @staticmethod
    def vjp(i, g, out, x, n, kind, order=0):
        if i == 1:
            raise NotImplementedError(
                f"{kind}: the derivative with respect to n (the degree) is not implemented (torch's neither: n is "
                f"an integer); pass n as a number or a tensor that does not require grad"
            )
        return g * call(OrthogonalPolynomial, x, n, kind=kind, order=order + 1)
