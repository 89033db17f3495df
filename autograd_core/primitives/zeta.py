"""The Hurwitz zeta function zeta(x, q) = sum_{j >= 0} (q + j)^-x (torch.special.zeta), as a primitive in numpy.

Euler-Maclaurin: the terms up to w = q + N >= max(10, x) summed directly, the rest as
w^(1-x)/(x-1) + w^-x/2 + sum_{k <= 12} B_2k/(2k)! x(x+1)...(x+2k-2) w^(-x-2k+1), whose remainder is below 1e-18
relative there (the Bernoulli terms shrink by ~((x + 2k) / (2 pi w))^2 each). An element stops early once a direct
term, with the tail it bounds, is below 1e-16 of its sum (large x: a few terms). All terms are positive for q > 0:
full relative accuracy. Domain, as torch (Cephes' zeta): inf at x = 1, NaN for x < 1; q <= 0 is a pole (inf) at
whole q, NaN unless x is whole, and otherwise the same sum. At q = inf, and at x = inf with q > 1, the limit 0
(torch gives NaN there). d/dq = -x zeta(x + 1, q) (through the primitive
itself, so it differentiates again); d/dx has no closed form: like torch, it is not implemented and raises.
"""

import math
from fractions import Fraction

import numpy as np

from . import Primitive, call, float64_forward

_BERNOULLI = (Fraction(1, 6), Fraction(-1, 30), Fraction(1, 42), Fraction(-1, 30), Fraction(5, 66),
              Fraction(-691, 2730), Fraction(7, 6), Fraction(-3617, 510), Fraction(43867, 798),
              Fraction(-174611, 330), Fraction(854513, 138), Fraction(-236364091, 2730))  # fmt: skip
_FACTORS = tuple(float(b / math.factorial(2 * k)) for k, b in enumerate(_BERNOULLI, start=1))  # B_2k / (2k)!
_EPS = 1e-16


def _hurwitz(s, q):
    """zeta(s, q) for s > 1 and q > 0 or, with s whole, q < 0 not whole (float64 arrays, same shape)."""
    target = np.maximum(10.0, s)
    steps = np.where(q < target, np.ceil(target - q), 0.0)
    total = np.zeros_like(q)
    done = np.zeros(q.shape, bool)  # converged within the direct terms: no tail
    active = steps > 0
    j = 0
    while active.any():
        base = q + j
        with np.errstate(over="ignore", divide="ignore"):
            term = np.where(active, base ** np.where(active, -s, 0.0), 0.0)
        total += term
        converged = active & (np.abs(term) * (1 + np.abs(base) / (s - 1)) < _EPS * np.abs(total))
        done |= converged
        j += 1
        active &= ~converged & (j < steps)
    w = q + steps
    with np.errstate(under="ignore", over="ignore"):
        power = w**-s
        tail = w * power / (s - 1) + 0.5 * power
        rising = s * power / w  # x (x+1)...(x+2k-2) w^(-x-2k+1)
        for k, factor in enumerate(_FACTORS, start=1):
            tail += factor * rising
            rising = rising * (s + 2 * k - 1) * (s + 2 * k) / (w * w)
    return total + np.where(done, 0.0, tail)


def zeta_arrays(x, q):
    """zeta(x, q) on broadcast float64 arrays, with Cephes' edges.

    >>> float(zeta_arrays(np.array(2.0), np.array(1.0)))  # pi^2 / 6
    1.6449340668482264
    """
    x, q = np.broadcast_arrays(x, q)
    out = np.full(x.shape, np.nan)
    whole_x, whole_q = x == np.floor(x), q == np.floor(q)
    finite = np.isfinite(x) & np.isfinite(q)
    inner = finite & (x > 1) & ((q > 0) | ((q < 0) & whole_x & ~whole_q))
    out[inner] = _hurwitz(x[inner], q[inner])
    out[(x > 1) & (q <= 0) & whole_q] = np.inf
    out[(x > 1) & (q == np.inf)] = 0.0  # the limit (torch's NaN)
    # x = inf: the sum's largest term alone, (q + j)^-inf: 0 for q > 1 (torch's NaN), 1 at q = 1, else inf
    infinite_x = (x == np.inf) & ~np.isnan(q)
    out[infinite_x] = np.where(q[infinite_x] > 1, 0.0, np.where(q[infinite_x] == 1, 1.0, np.inf))
    out[x == 1] = np.inf
    return out


class Zeta(Primitive):
    """The Hurwitz zeta function zeta(x, q). d/dq = -x zeta(x + 1, q); d/dx raises (not implemented, as torch)."""

    forward = float64_forward(zeta_arrays)

    @staticmethod
    def vjp(i, g, out, x, q):
        if i == 0:
            raise NotImplementedError(
                "zeta: the derivative with respect to x (the first argument) is not implemented (torch's neither); "
                "pass x as a number or a tensor that does not require grad, or differentiate in q only"
            )
        return -g * x * call(Zeta, x + 1, q)
