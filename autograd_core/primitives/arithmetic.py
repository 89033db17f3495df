"""Arithmetic: + - * / and **, the operators of every expression."""

import operator

import numpy as np

from . import _BROADCAST_HINT, Primitive, call


class Add(Primitive):
    """x + y. d/dx = 1, d/dy = 1: the gradient passes through unchanged."""

    hint = _BROADCAST_HINT

    forward_code = "add({x0}, {x1}{into})"
    vjp_code = ("{g}", "{g}")

    forward = staticmethod(operator.add)  # x + y: numpy's operator, no Python frame

    @staticmethod
    def vjp(i, g, out, x, y):
        return g


class Sub(Primitive):
    """x - y. A primitive (not add(neg)) to halve the per-op overhead."""

    hint = _BROADCAST_HINT

    forward_code = "subtract({x0}, {x1}{into})"
    vjp_code = ("{g}", "negative({g}{into})")

    forward = staticmethod(operator.sub)  # x - y: numpy's operator, no Python frame

    @staticmethod
    def vjp(i, g, out, x, y):
        return g if i == 0 else -g


class Mul(Primitive):
    """x * y. d/dx = y, d/dy = x."""

    hint = _BROADCAST_HINT

    forward_code = "multiply({x0}, {x1}{into})"
    vjp_code = ("multiply({g}, {x1}{into})", "multiply({g}, {x0}{into})")

    forward = staticmethod(operator.mul)  # x * y: numpy's operator, no Python frame

    @staticmethod
    def vjp(i, g, out, x, y):
        return g * y if i == 0 else g * x


class Div(Primitive):
    """x / y. d/dx = 1/y, d/dy = -x/y**2 = -out/y. A primitive for per-op overhead."""

    hint = _BROADCAST_HINT

    forward_code = "true_divide({x0}, {x1}{into})"
    vjp_code = ("true_divide({g}, {x1}{into})", None)

    forward = staticmethod(operator.truediv)  # x / y: numpy's operator, no Python frame

    @staticmethod
    def vjp(i, g, out, x, y):
        return g / y if i == 0 else -g * out / y


class Neg(Primitive):
    """-x."""

    vjp_fits_input = True

    forward_code = "negative({x0}{into})"
    vjp_code = ("negative({g}{into})",)

    forward = staticmethod(operator.neg)  # -x: numpy's operator, no Python frame

    @staticmethod
    def vjp(i, g, out, x):
        return -g


def _has_zero(a):
    """Whether the array (or a Tensor's values) holds a 0; a number's check costs no ufunc."""
    a = np.asarray(a)
    return a.item() == 0 if a.ndim == 0 else not a.all()


class Pow(Primitive):
    """x ** y. d/dx = y x**(y-1), d/dy = out log x (only computed when y needs a gradient).

    At base 0 both follow PyTorch: d/dx x**0 = 0 (not 0 * 0**-1 = nan) and d/dy 0**y = 0
    for y >= 0 (not 0 * log 0 = nan). Those elements get a harmless stand-in (exponent 0,
    base 1) before the power or the log, so no inf is made even in a second derivative.
    """

    hint = _BROADCAST_HINT

    forward = staticmethod(operator.pow)  # x**y: numpy's operator, no Python frame

    @staticmethod
    def vjp(i, g, out, x, y):
        if i == 0:
            if _has_zero(y) and _has_zero(x):  # y x**(y-1) at x = y = 0 is 0 * inf: use x**0 = 1
                return g * y * x ** (y - 1 + ((np.asarray(y) == 0) & (np.asarray(x) == 0)))
            return g * y * x ** (y - 1)
        if _has_zero(x):  # out log x at x = 0 <= y is 0 * log 0: use log 1 = 0 (0**y is flat there)
            return g * out * call(Log, x + ((np.asarray(x) == 0) & (np.asarray(y) >= 0)))
        return g * out * call(Log, x)


from .elementwise import Log  # noqa: E402 (Pow's vjp; imported last, so registration follows the files' order)
