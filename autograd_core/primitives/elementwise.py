"""Elementwise functions: exp, log, log1p, expm1, tanh, sin, cos, sigmoid, relu, abs, maximum, where."""

import numpy as np

from . import _BROADCAST_HINT, Primitive, call

# numpy's float scalar types: one number in a scalar graph, compared with Python's operators
_FLOAT_SCALARS = frozenset((np.float16, np.float32, np.float64, np.longdouble))


def _read_only_one(dtype):
    one = np.ones((), dtype)
    one.flags.writeable = False  # shared by every call
    return one


# 1 as a 0-d array of each float dtype, for the 1 - out of tanh' and sigmoid': numpy subtracts an array from it
# ~280 ns faster (16 floats) than from the Python number 1, whose dtype it first works out (NEP 50's weak
# scalars), and gives the same bits (1 is exact in every float type).
_ONES = {np.dtype(t): _read_only_one(t) for t in _FLOAT_SCALARS}
# (A Tensor, with create_graph, and a numpy scalar, a scalar graph's value, subtract from the number 1.)


class Exp(Primitive):
    """e**x. d/dx = e**x = out."""

    vjp_fits_input = True

    forward_code = "exp({x0}{into})"
    vjp_code = ("multiply({g}, {out}{into})",)

    forward = np.exp  # the ufunc itself: no Python frame per op (as operator.add for Add)

    @staticmethod
    def vjp(i, g, out, x):
        return g * out


class Log1p(Primitive):
    """log(1 + x), accurate where x is tiny (1 + 1e-20 is 1 in floating point). d/dx = 1 / (1 + x)."""

    vjp_fits_input = True

    forward_code = "log1p({x0}{into})"

    forward = np.log1p

    @staticmethod
    def vjp(i, g, out, x):
        return g / (1 + x)


class Expm1(Primitive):
    """e**x - 1, accurate where x is tiny. d/dx = e**x = out + 1."""

    vjp_fits_input = True

    forward_code = "expm1({x0}{into})"

    forward = np.expm1

    @staticmethod
    def vjp(i, g, out, x):
        return g * (out + 1)


class Log(Primitive):
    """Natural log. d/dx = 1/x. log(0) = -inf and log(-1) = nan with numpy's warning."""

    vjp_fits_input = True

    forward_code = "log({x0}{into})"
    vjp_code = ("true_divide({g}, {x0}{into})",)

    forward = np.log  # the ufunc itself: no Python frame per op (as operator.add for Add)

    @staticmethod
    def vjp(i, g, out, x):
        return g / x


class Tanh(Primitive):
    """tanh x. d/dx = 1 - tanh**2. A primitive: 2*sigmoid(2x)-1 loses precision near 0."""

    vjp_fits_input = True

    forward_code = "tanh({x0}{into})"

    forward = np.tanh  # the ufunc itself: no Python frame per op (as operator.add for Add)

    @staticmethod
    def vjp(i, g, out, x):
        one = _ONES.get(out.dtype, 1) if type(out) is np.ndarray else 1  # (why: see _ONES)
        return g * (one - out * out)


class Sin(Primitive):
    """sin x. d/dx = cos x. A primitive: real numbers give no way to compose it from exp."""

    vjp_fits_input = True

    forward_code = "sin({x0}{into})"

    forward = np.sin  # the ufunc itself: no Python frame per op (as operator.add for Add)

    @staticmethod
    def vjp(i, g, out, x):
        return g * call(Cos, x)  # a recorded cos under create_graph: sin'' = -sin falls out


class Cos(Primitive):
    """cos x. d/dx = -sin x."""

    vjp_fits_input = True

    forward_code = "cos({x0}{into})"

    forward = np.cos

    @staticmethod
    def vjp(i, g, out, x):
        return -(g * call(Sin, x))


class Sigmoid(Primitive):
    """1/(1+e**-x). d/dx = s(1-s). A primitive for stability: finite value and grad at |x| = 1000."""

    vjp_fits_input = True

    @staticmethod
    def forward(x):
        e = np.exp(-np.abs(x))  # never overflows: the exponent is <= 0
        return np.where(x >= 0, 1 / (1 + e), e / (1 + e))

    @staticmethod
    def vjp(i, g, out, x):
        one = _ONES.get(out.dtype, 1) if type(out) is np.ndarray else 1  # (why: see _ONES)
        return g * out * (one - out)


def _slope(d):
    """d/dd max(d, 0): 1 where d > 0, 0 where d < 0, 1/2 at d == 0 (ties split evenly).

    Says what np.heaviside(d, 0.5) says, 12x faster (measured on 128x256 float32):
    a boolean mask, patched only in the rare case that a tie occurs.
    """
    if type(d) in _FLOAT_SCALARS:  # one number (a scalar graph): compared as it is, no 0-d array built
        return 1.0 if d > 0 else 0.5 if d == 0 else 0.0
    if d.ndim == 0:  # compared in Python, 8x faster than ufuncs on a 0-d array
        d = d.item()
        return 1.0 if d > 0 else 0.5 if d == 0 else 0.0
    slope = d > 0
    tie = d == 0
    if tie.any():
        slope = np.where(tie, d.dtype.type(0.5), slope)
    return slope


class Relu(Primitive):
    """max(x, 0). d/dx = 1 for x > 0, 0 for x < 0, 1/2 at the kink (ties split, as maximum)."""

    vjp_fits_input = True

    forward_code = "{dest}.fill(0)\n{y} = maximum({x0}, {dest}, out={dest})"  # as forward, into a buffer

    @staticmethod
    def forward(x):
        if type(x) in _FLOAT_SCALARS:  # one number (a scalar graph): compared in Python, 20x cheaper than the ufunc
            # exactly maximum(x, 0): NaN propagates, the dtype stays; a tie (+-0.0) is left to maximum,
            # whose sign of zero differs between float types
            return x if x > 0 or x != x else type(x)(0) if x < 0 else np.maximum(x, 0)
        if x.ndim and x.flags.c_contiguous:
            # the same values into an array of zeros: with two array operands numpy runs its vectorised
            # loop, with the scalar 0 a scalar one, 2-3x slower (128x256: 8.4 vs 19.3 us in float32)
            out = np.zeros(x.shape, x.dtype)
            return np.maximum(x, out, out=out)
        return np.maximum(x, 0)

    @staticmethod
    def vjp(i, g, out, x):
        return g * _slope(x if type(x) in _FLOAT_SCALARS else np.asarray(x))

    @staticmethod
    def vjp_code(i, out, x):
        """x > 0 while x holds no exact 0 (counted when small, else vectorised: 5x faster on 32k);
        at a tie _slope's where (both write the buffer: a replay may reuse it, see buffers.py)."""
        if not x.size:
            return None
        no_tie = (
            f"count_nonzero({{x0}}) == {x.size}" if x.size < 2048 else "not logical_or.reduce(equal({x0}, 0), None)"
        )
        tie = "where(equal({x0}, 0), {x0}.dtype.type(0.5), greater({x0}, 0))"
        return f"multiply({{g}}, greater({{x0}}, 0){{into}}) if {no_tie} else multiply({{g}}, {tie}{{into}})"


class Abs(Primitive):
    """|x|. d/dx = sign(x), 0 at the kink (max(x, -x) with the tie split evenly)."""

    vjp_fits_input = True

    forward = np.abs  # the ufunc itself: no Python frame per op (as operator.add for Add)

    @staticmethod
    def vjp(i, g, out, x):
        return g * np.sign(np.asarray(x))


_SPREAD_FROM = 2048  # values: below, spreading costs more than numpy's scalar loop


def _spreads(one, array):
    """Is ``one`` a single value that maximum runs faster against ``array`` spread to its shape?"""
    return (
        type(array) is np.ndarray
        and isinstance(one, (np.ndarray, np.generic))  # (a negated 0-d bound is a numpy scalar: -ag.clamp's)
        and one.size == 1
        and one.ndim <= array.ndim
        and one.dtype == array.dtype
        and array.size >= _SPREAD_FROM
        and array.flags.c_contiguous  # (the result's layout numpy gives: the sums after it add in that order)
    )


def _spread(one, array):
    out = np.empty(array.shape, array.dtype)
    out.fill(one.reshape(()))
    return out


class Maximum(Primitive):
    """Elementwise max(x, y); where x == y each side gets half the gradient."""

    hint = _BROADCAST_HINT

    @staticmethod
    def forward(x, y):
        # a bound (clamp's, maximum(t, 0)) spread over the output first, as relu's zeros: numpy runs a scalar loop
        # for a one-value operand, its vectorised one for two arrays (32k float32: 18 vs 7 us; slower below ~2k)
        if _spreads(y, x):
            spread = _spread(y, x)
            return np.maximum(x, spread, out=spread)
        if _spreads(x, y):
            spread = _spread(x, y)
            return np.maximum(spread, y, out=spread)
        return np.maximum(x, y)

    @staticmethod
    def vjp(i, g, out, x, y):
        x, y = np.asarray(x), np.asarray(y)
        return g * _slope(x - y if i == 0 else y - x)


class Where(Primitive):
    """where(condition, x, y): the gradient goes to x where condition holds, else to y."""

    hint = _BROADCAST_HINT

    @staticmethod
    def forward(x, y, condition):
        return np.where(condition, x, y)

    @staticmethod
    def vjp(i, g, out, x, y, condition):
        return g * (condition if i == 0 else ~condition)
