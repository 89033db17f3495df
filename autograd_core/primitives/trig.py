"""The rest of numpy's elementary ufuncs: tan, the hyperbolic sinh and cosh, the inverse functions (arcsin arccos
arctan arcsinh arccosh arctanh), exp2 and cbrt. Each forward is numpy's ufunc itself, so a value is numpy's to the
last bit (composition is not: exp(x ln 2) misses 2**3 = 8 by an ulp, x ** (1/3) is NaN for x < 0).

At a domain edge the derivative is what numpy's arithmetic gives there and what PyTorch gives: inf (arcsin and
arccos at +-1, arccosh at 1, arctanh at +-1, cbrt at 0), with numpy's divide-by-zero warning, as ``log`` at 0;
outside the domain NaN. 1 - x**2 is taken as (1 - x)(1 + x): exact enough near +-1 that the slope keeps its
relative accuracy there (1 - x*x loses it to the rounding of x*x).
"""

import math

import numpy as np

from . import Primitive, call

_LN2 = math.log(2)


class Tan(Primitive):
    """tan x. d/dx = 1 + tan**2 = 1 + out**2 (PyTorch's form: no cos to recompute)."""

    vjp_fits_input = True

    forward_code = "tan({x0}{into})"

    forward = np.tan  # the ufunc itself: no Python frame per op (as operator.add for Add)

    @staticmethod
    def vjp(i, g, out, x):
        return g * (1 + out * out)


class Sinh(Primitive):
    """sinh x = (e**x - e**-x) / 2. d/dx = cosh x. A primitive: the composed form loses all digits near 0."""

    vjp_fits_input = True

    forward_code = "sinh({x0}{into})"

    forward = np.sinh

    @staticmethod
    def vjp(i, g, out, x):
        return g * call(Cosh, x)  # a recorded cosh under create_graph: sinh'' = sinh falls out


class Cosh(Primitive):
    """cosh x = (e**x + e**-x) / 2. d/dx = sinh x."""

    vjp_fits_input = True

    forward_code = "cosh({x0}{into})"

    forward = np.cosh

    @staticmethod
    def vjp(i, g, out, x):
        return g * call(Sinh, x)


class Arcsin(Primitive):
    """arcsin x on [-1, 1]. d/dx = 1 / sqrt(1 - x**2): inf at +-1, NaN outside."""

    vjp_fits_input = True

    forward_code = "arcsin({x0}{into})"

    forward = np.arcsin

    @staticmethod
    def vjp(i, g, out, x):
        return g / ((1 - x) * (1 + x)) ** 0.5


class Arccos(Primitive):
    """arccos x on [-1, 1]. d/dx = -1 / sqrt(1 - x**2): -inf at +-1, NaN outside."""

    vjp_fits_input = True

    forward_code = "arccos({x0}{into})"

    forward = np.arccos

    @staticmethod
    def vjp(i, g, out, x):
        return -g / ((1 - x) * (1 + x)) ** 0.5


class Arctan(Primitive):
    """arctan x. d/dx = 1 / (1 + x**2)."""

    vjp_fits_input = True

    forward_code = "arctan({x0}{into})"

    forward = np.arctan

    @staticmethod
    def vjp(i, g, out, x):
        return g / (1 + x * x)


class Arcsinh(Primitive):
    """arcsinh x = log(x + sqrt(x**2 + 1)). d/dx = 1 / sqrt(x**2 + 1)."""

    vjp_fits_input = True

    forward_code = "arcsinh({x0}{into})"

    forward = np.arcsinh

    @staticmethod
    def vjp(i, g, out, x):
        return g / (x * x + 1) ** 0.5


class Arccosh(Primitive):
    """arccosh x on [1, inf). d/dx = 1 / sqrt(x**2 - 1): inf at 1, NaN below."""

    vjp_fits_input = True

    forward_code = "arccosh({x0}{into})"

    forward = np.arccosh

    @staticmethod
    def vjp(i, g, out, x):
        return g / ((x - 1) * (x + 1)) ** 0.5


class Arctanh(Primitive):
    """arctanh x on (-1, 1). d/dx = 1 / (1 - x**2): inf at +-1 (where arctanh is +-inf)."""

    vjp_fits_input = True

    forward_code = "arctanh({x0}{into})"

    forward = np.arctanh

    @staticmethod
    def vjp(i, g, out, x):
        return g / ((1 - x) * (1 + x))


class Exp2(Primitive):
    """2**x, exact at whole x (numpy's exp2; exp(x ln 2) is not). d/dx = 2**x ln 2 = out ln 2."""

    vjp_fits_input = True

    forward_code = "exp2({x0}{into})"

    forward = np.exp2

    @staticmethod
    def vjp(i, g, out, x):
        return g * (out * _LN2)


class Cbrt(Primitive):
    """The real cube root, negative for x < 0 (x ** (1/3) is NaN there). d/dx = 1 / (3 out**2): inf at 0."""

    vjp_fits_input = True

    forward_code = "cbrt({x0}{into})"

    forward = np.cbrt

    @staticmethod
    def vjp(i, g, out, x):
        return g / (3 * (out * out))
