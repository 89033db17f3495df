"""The modified Bessel functions of the first kind I0 and I1, and their exponentially scaled forms i0e and i1e
(``torch.special``'s i0 i0e i1 i1e), as primitives (numpy has i0 only; scipy is not a dependency).

i0 is numpy's ``np.i0`` itself (numpy's value to the bit). The others are Cephes' (S. Moshier) Chebyshev expansions,
which numpy's i0 and PyTorch's kernels use too: on [0, 8] in t = x/2 - 2, beyond in t = 32/x - 2 (times
1/sqrt(x)), evaluated by Clenshaw's recurrence in float64 (float16/float32 rounded once at the end). i1 and i1e are
odd, i0 and i0e even. Their derivatives close on the family: i0' = i1, i1' = i0 - i1/x (1/2 at 0),
i0e' = i1e - sign(x) i0e and i1e' = i0e - i1e (sign(x) + 1/x) (1/2 at 0). i0e has a kink at 0 (slopes -1 and 1):
its gradient there is 0, ties split evenly (PyTorch's too).
"""

import numpy as np

from . import Primitive, call, in_float64

# Chebyshev coefficients (highest degree first) of exp(-x) I0(x) on [0, 8] and of exp(-x) sqrt(x) I0(x) on (8, inf)
_I0_SMALL = (
    -4.4153416464793395e-18, 3.3307945188222384e-17, -2.431279846547955e-16, 1.715391285555133e-15,
    -1.1685332877993451e-14, 7.676185498604936e-14, -4.856446783111929e-13, 2.95505266312964e-12,
    -1.726826291441556e-11, 9.675809035373237e-11, -5.189795601635263e-10, 2.6598237246823866e-09,
    -1.300025009986248e-08, 6.046995022541919e-08, -2.670793853940612e-07, 1.1173875391201037e-06,
    -4.4167383584587505e-06, 1.6448448070728896e-05, -5.754195010082104e-05, 0.00018850288509584165,
    -0.0005763755745385824, 0.0016394756169413357, -0.004324309995050576, 0.010546460394594998,
    -0.02373741480589947, 0.04930528423967071, -0.09490109704804764, 0.17162090152220877, -0.3046826723431984,
    0.6767952744094761,
)  # fmt: skip
_I0_LARGE = (
    -7.233180487874754e-18, -4.830504485944182e-18, 4.46562142029676e-17, 3.461222867697461e-17,
    -2.8276239805165836e-16, -3.425485619677219e-16, 1.7725601330565263e-15, 3.8116806693526224e-15,
    -9.554846698828307e-15, -4.150569347287222e-14, 1.54008621752141e-14, 3.8527783827421426e-13,
    7.180124451383666e-13, -1.7941785315068062e-12, -1.3215811840447713e-11, -3.1499165279632416e-11,
    1.1889147107846439e-11, 4.94060238822497e-10, 3.3962320257083865e-09, 2.266668990498178e-08,
    2.0489185894690638e-07, 2.8913705208347567e-06, 6.889758346916825e-05, 0.0033691164782556943,
    0.8044904110141088,
)  # fmt: skip
# ... of exp(-x) I1(x) / x on [0, 8] and of exp(-x) sqrt(x) I1(x) on (8, inf)
_I1_SMALL = (
    2.77791411276104639959e-18, -2.11142121435816608115e-17, 1.55363195773620046921e-16,
    -1.10559694773538630805e-15, 7.60068429473540693410e-15, -5.04218550472791168711e-14,
    3.22379336594557470981e-13, -1.98397439776494371520e-12, 1.17361862988909016308e-11,
    -6.66348972350202774223e-11, 3.62559028155211703701e-10, -1.88724975172282928790e-9,
    9.38153738649577178388e-9, -4.44505912879632808065e-8, 2.00329475355213526229e-7,
    -8.56872026469545474066e-7, 3.47025130813767847674e-6, -1.32731636560394358279e-5,
    4.78156510755005422638e-5, -1.61760815825896745588e-4, 5.12285956168575772895e-4,
    -1.51357245063125314899e-3, 4.15642294431288815669e-3, -1.05640848946261981558e-2,
    2.47264490306265168283e-2, -5.29459812080949914269e-2, 1.02643658689847095384e-1,
    -1.76416518357834055153e-1, 2.52587186443633654823e-1,
)  # fmt: skip
_I1_LARGE = (
    7.51729631084210481353e-18, 4.41434832307170791151e-18, -4.65030536848935832153e-17,
    -3.20952592199342395980e-17, 2.96262899764595013876e-16, 3.30820231092092828324e-16,
    -1.88035477551078244854e-15, -3.81440307243700780478e-15, 1.04202769841288027642e-14,
    4.27244001671195135429e-14, -2.10154184277266431302e-14, -4.08355111109219731823e-13,
    -7.19855177624590851209e-13, 2.03562854414708950722e-12, 1.41258074366137813316e-11,
    3.25260358301548823856e-11, -1.89749581235054123450e-11, -5.58974346219658380687e-10,
    -3.83538038596423702205e-9, -2.63146884688951950684e-8, -2.51223623787020892529e-7,
    -3.88256480887769039346e-6, -1.10588938762623716291e-4, -9.76109749136146840777e-3,
    7.78576235018280120474e-1,
)  # fmt: skip


def _chebyshev(coefficients, t):
    """sum' c_k T_k(t/2) by Clenshaw's recurrence (Cephes' chbevl: the constant term halved)."""
    b0, b1, b2 = np.full_like(t, coefficients[0]), np.zeros_like(t), np.zeros_like(t)
    for c in coefficients[1:]:
        b2, b1 = b1, b0
        b0 = t * b1 - b2 + c
    return 0.5 * (b0 - b2)


def _scaled(x, small, large, times_x):
    """exp(-|x|) I(|x|) from one coefficient pair (float64 array in); ``times_x``: the small range's series is
    of I(x) / x (i1's, so it keeps its relative accuracy near 0)."""
    y = np.abs(x)
    near = y <= 8.0  # NaN is not near: the far branch keeps it NaN
    with np.errstate(divide="ignore", invalid="ignore"):  # 32 / 0 in the branch not taken
        far = _chebyshev(large, 32.0 / y - 2.0) / np.sqrt(y)
        return np.where(near, _chebyshev(small, y / 2.0 - 2.0) * (y if times_x else 1.0), far)


def i0e_array(x):
    """exp(-|x|) I0(x) on an array (float64 inside, the input's float dtype out).

    >>> float(i0e_array(np.array(0.0)))
    1.0
    """
    x, dtype = in_float64(x)
    return _scaled(x, _I0_SMALL, _I0_LARGE, False).astype(dtype, copy=False)


def i1e_array(x):
    """exp(-|x|) I1(x) on an array: odd, 0 at 0.

    >>> float(i1e_array(np.array(-1.0)))
    -0.2079104153497085
    """
    x, dtype = in_float64(x)
    return (np.sign(x) * _scaled(x, _I1_SMALL, _I1_LARGE, True)).astype(dtype, copy=False)


def i1_array(x):
    """I1(x) on an array: odd; +-inf once exp(|x|) overflows (|x| > ~713), as PyTorch's.

    >>> float(i1_array(np.array(1.0)))
    0.5651591039924851
    """
    x, dtype = in_float64(x)
    y = np.abs(x)
    with np.errstate(over="ignore", invalid="ignore"):  # inf * 0 for |x| = inf: set below
        out = np.sign(x) * (_scaled(x, _I1_SMALL, _I1_LARGE, True) * np.exp(y))
    out = np.where(np.isinf(x), x, out)
    return out.astype(dtype, copy=False)


def _sign(x):
    return np.sign(np.asarray(x))  # a constant: where the sign flips the functions are smooth, or split evenly


def at_zero(x):
    """1 where x is 0, else 0, in x's dtype: a constant, for the vjps' value at 0."""
    return (np.asarray(x) == 0).astype(np.asarray(x).dtype)


def over_x(out, x):
    """out / x, 0 where x = 0 (out is 0 there: the odd functions that use it, i1 i1e J1 j1, are 0 at 0)."""
    zero = np.asarray(x) == 0
    return out / (x + zero) if zero.any() else out / x  # x + 1 at the zeros: no 0 / 0


class I0(Primitive):
    """The modified Bessel function I0 (numpy's ``np.i0``). d/dx = I1(x)."""

    vjp_fits_input = True

    forward = staticmethod(np.i0)

    @staticmethod
    def vjp(i, g, out, x):
        return g * call(I1, x)


class I1(Primitive):
    """The modified Bessel function I1. d/dx = I0(x) - I1(x) / x, 1/2 at 0."""

    vjp_fits_input = True

    forward = staticmethod(i1_array)

    @staticmethod
    def vjp(i, g, out, x):
        return g * (call(I0, x) - over_x(out, x) - 0.5 * at_zero(x))


class I0e(Primitive):
    """exp(-|x|) I0(x), finite for large |x|. d/dx = i1e(x) - sign(x) i0e(x); 0 at the kink x = 0."""

    vjp_fits_input = True

    forward = staticmethod(i0e_array)

    @staticmethod
    def vjp(i, g, out, x):
        return g * (call(I1e, x) - _sign(x) * out)


class I1e(Primitive):
    """exp(-|x|) I1(x). d/dx = i0e(x) - i1e(x) (sign(x) + 1/x), 1/2 at 0."""

    vjp_fits_input = True

    forward = staticmethod(i1e_array)

    @staticmethod
    def vjp(i, g, out, x):
        return g * (call(I0e, x) - _sign(x) * out - over_x(out, x) - 0.5 * at_zero(x))
