"""The quotient's companions that composition cannot give exactly: ``atan2`` (no arctan to compose it from) and
the two remainders, ``fmod`` (C's: the dividend's sign) and ``remainder`` (Python's %: the divisor's sign), whose
values must be numpy's to the bit (``a - b * trunc(a / b)`` is not, once ``a / b`` rounds)."""

import numpy as np

from . import _BROADCAST_HINT, Primitive


def _quotient(x, y, rounding):
    """The whole number of times ``y`` went into ``x``: a constant (its derivative is 0 almost everywhere)."""
    return rounding(np.asarray(x) / np.asarray(y))


class Atan2(Primitive):
    """The angle of the point (x, y), in (-pi, pi], as ``np.arctan2(y, x)``. d/dy = x / r**2, d/dx = -y / r**2,
    r**2 = x**2 + y**2 (undefined at the origin: nan there, as PyTorch's 0/0)."""

    hint = _BROADCAST_HINT

    forward = np.arctan2

    @staticmethod
    def vjp(i, g, out, y, x):
        r2 = x * x + y * y
        return g * x / r2 if i == 0 else -g * y / r2


class Fmod(Primitive):
    """x - y * trunc(x / y), the sign of x (C's fmod, ``torch.fmod``). d/dx = 1, d/dy = -trunc(x / y), as
    PyTorch's (the jumps where x / y crosses a whole number have no gradient)."""

    hint = _BROADCAST_HINT

    forward = np.fmod

    @staticmethod
    def vjp(i, g, out, x, y):
        return g if i == 0 else -g * _quotient(x, y, np.trunc)


class Remainder(Primitive):
    """x - y * floor(x / y), the sign of y (Python's and numpy's %, ``torch.remainder``). d/dx = 1,
    d/dy = -floor(x / y), as PyTorch's."""

    hint = _BROADCAST_HINT

    forward = np.remainder

    @staticmethod
    def vjp(i, g, out, x, y):
        return g if i == 0 else -g * _quotient(x, y, np.floor)
