"""``torch.special``: the special functions under torch's names, all differentiable.

lgamma (``gammaln``), digamma (``psi``), polygamma, erfinv, erfcx, ndtri, exp2 and the Bessel functions i0 i0e
i1 i1e are primitives, computed in numpy (``primitives/gamma.py``, ``erf.py``, ``trig.py``, ``bessel.py``: their
methods and measured accuracy); the rest are composed from Tensor ops: ``xlogy`` and ``xlog1py`` (0 where
x == 0, as torch), ``entr``, ``logit``, ``sinc``, ``ndtr`` and ``log_ndtr`` (accurate far into the left tail),
``multigammaln``, and torch.special's other names for the engine's own ops (``expit`` is sigmoid; ``erf``,
``erfc``, ``logsumexp``, ``softmax``, ``log_softmax``, ``expm1``, ``log1p``, ``round``). The Bessel and Airy
functions are in ``special_bessel.py``, gammainc, gammaincc and zeta in ``special_gamma.py``, the orthogonal
polynomials in ``special_polynomials.py``: all of them are names of this module. The common ones are top-level too,
as in torch: ``ag.lgamma``, ``ag.digamma``, ``ag.polygamma``, ``ag.erfinv``, ``ag.xlogy``, ``ag.xlog1py``,
``ag.logit``, ``ag.i0``, ``ag.exp2``, ``ag.mvlgamma``.

>>> from autograd_core import special
>>> x = Tensor([0.5, 3.0], requires_grad=True)
>>> special.gammaln(x).sum().backward()  # d lgamma / dx = digamma
>>> x.grad.round(6).tolist()
[-1.96351, 0.922784]
"""

from __future__ import annotations

import math

import numpy as np

from .functions import as_tensor, log, logsumexp, sigmoid, where
from .functions_jax import round
from .functions_torch import erf, erfc, expm1, log1p, sin
from .primitives import Digamma, Erfinv, Lgamma, Polygamma
from .primitives.bessel import I1, I0e, I1e
from .primitives.erf import Erfcx, Ndtri
from .primitives.trig import Exp2
from .special_bessel import *  # noqa: F403 (airy_ai, the Bessel functions J Y K, spherical j0)
from .special_bessel import __all__ as _bessel_names
from .special_gamma import *  # noqa: F403 (gammainc, gammaincc, zeta)
from .special_gamma import __all__ as _gamma_names
from .special_polynomials import *  # noqa: F403 (the orthogonal polynomials)
from .special_polynomials import __all__ as _polynomial_names
from .tensor import Tensor
from .types import Axis, DTypeLike, TensorLike

__all__ = [
    "digamma",
    "entr",
    "erf",
    "erfc",
    "erfcx",
    "erfinv",
    "exp2",
    "expit",
    "expm1",
    "gammaln",
    "i0",
    "i0e",
    "i1",
    "i1e",
    "lgamma",
    "log1p",
    "log_ndtr",
    "log_softmax",
    "logit",
    "logsumexp",
    "multigammaln",
    "ndtr",
    "ndtri",
    "polygamma",
    "psi",
    "sinc",
    "softmax",
    "xlog1py",
    "xlogy",
]
__all__ += [*_bessel_names, *_gamma_names, *_polynomial_names, "round"]  # from special_bessel.py, and so on


def lgamma(x: TensorLike) -> Tensor:
    """log|Gamma(x)|, elementwise (``torch.lgamma``), within ~1e-15 relative for x > 0, also at its roots 1 and 2.

    >>> lgamma(Tensor([1.0, 0.5, 4.0])).tolist()  # 0, log sqrt(pi), log 3!
    [0.0, 0.5723649429247001, 1.791759469228055]
    """
    return Tensor.apply(Lgamma, as_tensor(x))


gammaln = lgamma  # torch.special's (and scipy's) name


def digamma(x: TensorLike) -> Tensor:
    """psi(x) = d/dx lgamma(x), elementwise (``torch.digamma``); -inf at 0, NaN at negative integers, as torch.

    >>> digamma(Tensor([1.0])).item()  # minus Euler's constant
    -0.5772156649015329
    """
    return Tensor.apply(Digamma, as_tensor(x))


psi = digamma  # torch.special.psi


def polygamma(n: int, x: TensorLike) -> Tensor:
    """The n-th derivative of digamma, elementwise (``torch.polygamma(n, x)``); n = 1 is the trigamma function.

    >>> polygamma(1, Tensor([1.0])).item()  # pi^2 / 6
    1.6449340668482264
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"polygamma: n must be an int >= 0 (the order of the derivative), got {n!r}")
    if n == 0:
        return digamma(x)
    return Tensor.apply(Polygamma, as_tensor(x), n=int(n))


def erfinv(x: TensorLike) -> Tensor:
    """The inverse of erf on (-1, 1), elementwise (``torch.erfinv``): +-inf at +-1, NaN outside.

    >>> erfinv(Tensor([0.0, 0.5204998778130465])).tolist()
    [0.0, 0.5]
    """
    return Tensor.apply(Erfinv, as_tensor(x))


def _pair(x: TensorLike, y: TensorLike) -> tuple[Tensor, Tensor]:
    """Two operands, either a Python number or array, as Tensors of one float dtype (a number takes the other's)."""
    tx, ty = as_tensor(x), as_tensor(y)
    if not isinstance(x, Tensor) and isinstance(y, Tensor):
        tx = as_tensor(x, dtype=ty.dtype)
    if not isinstance(y, Tensor) and isinstance(x, Tensor):
        ty = as_tensor(y, dtype=tx.dtype)
    return tx, ty


def xlogy(x: TensorLike, y: TensorLike) -> Tensor:
    """x * log(y), and 0 where x == 0 (even where y is 0 or inf; NaN stays NaN), as ``torch.xlogy``: the
    x log p terms of an entropy or likelihood. Its gradients are torch's, but d/dy at x == y == 0 is 0, not NaN.

    >>> xlogy(Tensor([0.0, 2.0]), Tensor([0.0, np.e])).tolist()
    [0.0, 2.0]
    """
    x, y = _pair(x, y)
    # where x is 0 and log(y) is not finite, log reads 1 instead: the product is then 0, and no inf * 0 reaches
    # the gradient (d/dx = log(y) stays right wherever it is finite)
    undefined = (x.data == 0) & ((y.data <= 0) | (y.data == np.inf))
    return x * log(where(undefined, np.ones((), y.dtype), y))


def xlog1py(x: TensorLike, y: TensorLike) -> Tensor:
    """x * log1p(y), and 0 where x == 0 (torch.special.xlog1py), accurate for tiny y.

    >>> xlog1py(Tensor([0.0, 2.0]), Tensor([-1.0, 1e-20])).tolist()
    [0.0, 2e-20]
    """
    x, y = _pair(x, y)
    undefined = (x.data == 0) & ((y.data <= -1) | (y.data == np.inf))
    return x * log1p(where(undefined, np.zeros((), y.dtype), y))


def entr(x: TensorLike) -> Tensor:
    """-x log x elementwise: 0 at 0, -inf for x < 0 (torch.special.entr). Its gradient at x = 0 is 0 here
    (the one-sided derivative is +inf there; torch gives inf).

    >>> entr(Tensor([0.0, 0.5, -1.0])).tolist()
    [-0.0, 0.34657359027997264, -inf]
    """
    x = as_tensor(x)
    negative = x.data < 0
    safe = where(negative, np.ones((), x.dtype), x)  # no log of a negative number, even in the unpicked branch
    return where(negative, np.array(-np.inf, x.dtype), -xlogy(safe, safe))


def logit(x: TensorLike, eps: float | None = None) -> Tensor:
    """log(x / (1 - x)), the inverse of sigmoid (``torch.logit``); with ``eps``, x is first clamped to
    [eps, 1 - eps] (so 0 and 1 give finite values).

    >>> logit(Tensor([0.5, 0.0]), eps=1e-6).tolist()
    [0.0, -13.815509557963773]
    """
    x = as_tensor(x)
    if eps is not None:
        x = x.clamp(eps, 1 - eps)
    return log(x / (1 - x))


expit = sigmoid  # torch.special.expit


def sinc(x: TensorLike) -> Tensor:
    """The normalised sinc, sin(pi x) / (pi x), and 1 at 0 (``torch.sinc``); its gradient at 0 is 0.

    >>> sinc(Tensor([0.0, 0.5])).tolist()
    [1.0, 0.6366197723675814]
    """
    x = as_tensor(x)
    at_zero = x.data == 0
    safe = where(at_zero, np.ones((), x.dtype), x) * math.pi  # 1 at 0: no 0 / 0 in the value or the gradient
    return where(at_zero, np.ones((), x.dtype), sin(safe) / safe)


def ndtr(x: TensorLike) -> Tensor:
    """The standard normal CDF, Phi(x) = (1 + erf(x / sqrt 2)) / 2, through erfc: full relative accuracy in the
    left tail (torch.special.ndtr).

    >>> ndtr(Tensor([0.0, -10.0])).tolist()  # 1 - erf(10 / sqrt 2) would round to 0
    [0.5, 7.619853024160496e-24]
    """
    return 0.5 * erfc(as_tensor(x) * -math.sqrt(0.5))


_TAIL = -10.0  # below, log Phi(x) by its asymptotic series (erfc would underflow from x = -38)
_HALF_LOG_TWO_PI = 0.5 * math.log(2 * math.pi)


def log_ndtr(x: TensorLike) -> Tensor:
    """log Phi(x), accurate everywhere (torch.special.log_ndtr): log1p(-Phi(-x)) for x > 0, log Phi(x) down to
    -10, and below the asymptotic series -x^2/2 - log(-x) - log(2 pi)/2 + log(1 - 1/x^2 + 3/x^4 - ...)
    (20 terms: its error there is below 1e-16).

    >>> log_ndtr(Tensor([0.0, -40.0])).tolist()
    [-0.6931471805599453, -804.6084420137538]
    """
    x = as_tensor(x)
    one = np.ones((), x.dtype)
    right, tail = x.data > 0, x.data < _TAIL
    x_right = where(right, x, one)  # each branch sees only values where it is safe: no NaN in any gradient
    x_mid = where(right | tail, -one, x)
    x_tail = where(tail, x, np.array(_TAIL, x.dtype))
    r = 1 / (x_tail * x_tail)
    series: Tensor | float = 1.0
    for k in range(20, 0, -1):  # 1 + sum (-1)^k (2k - 1)!! r^k, by Horner
        series = 1.0 - (2 * k - 1) * r * series
    tail_value = -0.5 * x_tail * x_tail - log(-x_tail) - _HALF_LOG_TWO_PI + log(series)
    return where(right, log1p(-ndtr(-x_right)), where(tail, tail_value, log(ndtr(x_mid))))


def exp2(x: TensorLike) -> Tensor:
    """2**x, elementwise, exact at whole x (torch.special.exp2; numpy's exp2, a primitive: exp(x ln 2) was not).

    >>> exp2(Tensor([3.0, 10.0])).tolist()
    [8.0, 1024.0]
    """
    return Tensor.apply(Exp2, as_tensor(x))


def _cast(x: TensorLike, dtype: DTypeLike | None) -> Tensor:
    x = as_tensor(x)
    return x if dtype is None else x.astype(dtype)


def softmax(input: TensorLike, dim: Axis, dtype: DTypeLike | None = None) -> Tensor:
    """Softmax over ``dim`` (torch.special.softmax), in ``dtype`` if given.

    >>> softmax(Tensor([0.0, 0.0]), 0).tolist()
    [0.5, 0.5]
    """
    return _cast(input, dtype).softmax(dim)


def log_softmax(input: TensorLike, dim: Axis, dtype: DTypeLike | None = None) -> Tensor:
    """Log-softmax over ``dim`` (torch.special.log_softmax), in ``dtype`` if given.

    >>> log_softmax(Tensor([0.0, 0.0]), 0).tolist()
    [-0.6931471805599453, -0.6931471805599453]
    """
    return _cast(input, dtype).log_softmax(dim)


def i0(x: TensorLike) -> Tensor:
    """The modified Bessel function I0, elementwise (torch.special.i0; numpy's ``np.i0`` to the bit).

    >>> i0(Tensor([1.0])).item()
    1.2660658777520082
    """
    return as_tensor(x).i0()


def i0e(x: TensorLike) -> Tensor:
    """exp(-|x|) I0(x): I0 without its exponential growth, finite where I0 overflows (torch.special.i0e).

    >>> i0e(Tensor([0.0, 1000.0])).tolist()
    [1.0, 0.012617240455891257]
    """
    return Tensor.apply(I0e, as_tensor(x))


def i1(x: TensorLike) -> Tensor:
    """The modified Bessel function I1, elementwise, odd (torch.special.i1); d/dx = I0(x) - I1(x)/x.

    >>> i1(Tensor([1.0])).item()
    0.5651591039924851
    """
    return Tensor.apply(I1, as_tensor(x))


def i1e(x: TensorLike) -> Tensor:
    """exp(-|x|) I1(x), finite where I1 overflows (torch.special.i1e).

    >>> i1e(Tensor([1.0])).item()
    0.2079104153497085
    """
    return Tensor.apply(I1e, as_tensor(x))


def erfcx(x: TensorLike) -> Tensor:
    """The scaled complementary error function exp(x^2) erfc(x) (torch.special.erfcx), within ~1e-15 relative,
    finite in the right tail where erfc underflows (erfcx(x) ~ 1 / (x sqrt(pi))).

    >>> erfcx(Tensor([0.0, 100.0])).tolist()
    [1.0, 0.005641613782989433]
    """
    return Tensor.apply(Erfcx, as_tensor(x))


def ndtri(p: TensorLike) -> Tensor:
    """The standard normal quantile, the inverse of ``ndtr`` (torch.special.ndtri), with full relative accuracy
    in the left tail (ndtri(1e-300) is -37.0471...); -inf at 0, inf at 1, NaN outside [0, 1].

    >>> ndtri(Tensor([0.5, 0.975])).tolist()
    [0.0, 1.959963984540054]
    """
    return Tensor.apply(Ndtri, as_tensor(p))


def multigammaln(x: TensorLike, p: int) -> Tensor:
    """The multivariate log-gamma function log Gamma_p(x) = p(p-1)/4 log(pi) + sum_{j<p} lgamma(x - j/2)
    (torch.special.multigammaln, torch.mvlgamma; scipy's multigammaln), defined for x > (p - 1)/2.

    >>> abs(multigammaln(Tensor([3.0]), 1).item() - math.log(2)) < 1e-15  # p = 1: lgamma, log 2!
    True
    """
    if isinstance(p, bool) or not isinstance(p, (int, np.integer)) or p < 1:
        raise ValueError(f"multigammaln: p must be an int >= 1 (the dimension), got {p!r}")
    x = as_tensor(x)
    bound = (p - 1) / 2
    if x.size and not (x.data > bound).all():
        raise ValueError(
            f"multigammaln: every element must be greater than (p - 1) / 2 = {bound} for p = {p}, got the minimum "
            f"{x.data.min()}; Gamma_p is defined only there"
        )
    total = lgamma(x)
    for j in range(1, int(p)):
        total = total + lgamma(x - j / 2)
    return total + p * (p - 1) / 4 * math.log(math.pi)
