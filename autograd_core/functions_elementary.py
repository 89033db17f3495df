"""The elementary functions as ``ag.*`` functions, under numpy's and PyTorch's names: ``tan sinh cosh``,
``arcsin arccos arctan arcsinh arccosh arctanh`` (and ``asin acos atan asinh acosh atanh``), ``exp2 cbrt i0
ldexp mvlgamma cov corrcoef``. Each is its ``Tensor`` method (tensor_elementary.py) on ``as_tensor(x)``; numpy's
ufuncs on a Tensor (``np.tan(t)``) record the same ops (numpy_interop.py).

>>> import autograd_core as ag
>>> ag.cbrt(ag.Tensor([-8.0, 27.0]))  # x ** (1/3) would be nan at -8
Tensor([-2.,  3.])
"""

from __future__ import annotations

import numpy as np

from .covariance import corrcoef, cov
from .functions import as_tensor
from .tensor import Tensor
from .types import TensorLike

__all__ = ["tan", "sinh", "cosh", "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "exp2", "cbrt"]
__all__ += ["asin", "acos", "atan", "asinh", "acosh", "atanh", "i0", "ldexp", "mvlgamma", "cov", "corrcoef"]


def tan(x: TensorLike) -> Tensor:
    """tan x, elementwise (``x.tan()``).

    >>> tan(Tensor([0.0])).item()
    0.0
    """
    return as_tensor(x).tan()


def sinh(x: TensorLike) -> Tensor:
    """sinh x, elementwise (``x.sinh()``)."""
    return as_tensor(x).sinh()


def cosh(x: TensorLike) -> Tensor:
    """cosh x, elementwise (``x.cosh()``)."""
    return as_tensor(x).cosh()


def arcsin(x: TensorLike) -> Tensor:
    """arcsin x on [-1, 1] (``torch.asin``); its gradient is inf at +-1.

    >>> arcsin(Tensor([1.0])).item() * 2
    3.141592653589793
    """
    return as_tensor(x).arcsin()


def arccos(x: TensorLike) -> Tensor:
    """arccos x on [-1, 1] (``torch.acos``); its gradient is -inf at +-1."""
    return as_tensor(x).arccos()


def arctan(x: TensorLike) -> Tensor:
    """arctan x (``torch.atan``; ``ag.atan2(y, x)`` for the angle of a point)."""
    return as_tensor(x).arctan()


def arcsinh(x: TensorLike) -> Tensor:
    """arcsinh x (``torch.asinh``)."""
    return as_tensor(x).arcsinh()


def arccosh(x: TensorLike) -> Tensor:
    """arccosh x on [1, inf) (``torch.acosh``); its gradient is inf at 1."""
    return as_tensor(x).arccosh()


def arctanh(x: TensorLike) -> Tensor:
    """arctanh x on (-1, 1) (``torch.atanh``); +-inf at +-1, and so is its gradient."""
    return as_tensor(x).arctanh()


asin, acos, atan, asinh, acosh, atanh = arcsin, arccos, arctan, arcsinh, arccosh, arctanh  # PyTorch's names


def exp2(x: TensorLike) -> Tensor:
    """2**x, elementwise, exact at whole x (numpy's exp2).

    >>> exp2(Tensor([3.0, -1.0])).tolist()
    [8.0, 0.5]
    """
    return as_tensor(x).exp2()


def cbrt(x: TensorLike) -> Tensor:
    """The real cube root, negative for x < 0 (numpy's cbrt); its gradient is inf at 0."""
    return as_tensor(x).cbrt()


def i0(x: TensorLike) -> Tensor:
    """The modified Bessel function of the first kind, order 0 (``torch.i0``, numpy's ``np.i0``).

    >>> i0(Tensor([0.0])).item()
    1.0
    """
    return as_tensor(x).i0()


def ldexp(x: TensorLike, other: TensorLike) -> Tensor:
    """x * 2**other (``torch.ldexp``; numpy's ldexp takes integer exponents only), differentiable in both; exact
    wherever 2**other is a float (|other| <= 1022) and the product neither overflows nor is subnormal.

    >>> ldexp(Tensor([3.0]), 4).item()
    48.0
    """
    t = as_tensor(x)
    float_dtype = t.dtype if t.dtype.kind == "f" else np.dtype(np.float64)
    exponent = as_tensor(other) if isinstance(other, Tensor) else as_tensor(other, dtype=float_dtype)
    if exponent.dtype.kind != "f":  # an integer exponent: 2**n in x's float dtype, exact
        exponent = exponent.astype(float_dtype)
    return t * exponent.exp2()


def mvlgamma(x: TensorLike, p: int) -> Tensor:
    """The multivariate log-gamma function of dimension p (``torch.mvlgamma``; ``ag.special.multigammaln``).

    >>> round(mvlgamma(Tensor([2.5]), 2).item(), 10)  # log(pi)/2 + lgamma(2.5) + lgamma(2)
    0.8570478134
    """
    from .special import multigammaln

    return multigammaln(x, p)
