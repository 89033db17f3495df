"""The elementary functions numpy and PyTorch have beyond exp, log, sin, cos and tanh, as ``Tensor`` methods:
``tan sinh cosh``, the inverses under both spellings (numpy's ``arcsin arccos arctan arcsinh arccosh arctanh``,
PyTorch's ``asin acos atan asinh acosh atanh``), ``exp2 cbrt i0`` (primitives whose forward is numpy's own, in
primitives/trig.py and primitives/bessel.py), and composed: ``ldexp deg2rad rad2deg copysign heaviside mvlgamma
cov corrcoef``. Each has its in-place ``_`` form, as have the older elementwise methods that lacked one
(``sin_ cos_ log1p_ erf_ lgamma_ square_ ...``): they refuse what ``add_`` refuses (a leaf that requires grad
outside ``no_grad``, a tensor a recorded op still needs) and, as PyTorch, a float result in an integer tensor.

>>> x = Tensor([0.5], requires_grad=True)
>>> x.arcsin().backward()  # d/dx arcsin x = 1 / sqrt(1 - x**2)
>>> x.grad.round(6).tolist()
[1.154701]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import autograd_core.tensor as _tensor  # still loading when this one is imported: read at call time

from .primitives.bessel import I0
from .primitives.trig import Arccos, Arccosh, Arcsin, Arcsinh, Arctan, Arctanh, Cbrt, Cosh, Exp2, Sinh, Tan
from .tensor_base import TensorBase
from .types import TensorLike

if TYPE_CHECKING:
    from .tensor import Tensor


def _unary(prim: type, name: str, doc: str) -> Callable[[TensorBase], Tensor]:
    def method(self: TensorBase) -> Tensor:
        return _tensor.Tensor.apply(prim, self)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = doc
    return method


class TensorElementary(TensorBase):
    """The elementary functions and their in-place forms (see the module docstring)."""

    tan = _unary(Tan, "tan", "tan x, elementwise (numpy's value; d/dx = 1 + tan**2).")
    sinh = _unary(Sinh, "sinh", "sinh x, elementwise (numpy's value; d/dx = cosh x).")
    cosh = _unary(Cosh, "cosh", "cosh x, elementwise (numpy's value; d/dx = sinh x).")
    arcsin = _unary(Arcsin, "arcsin", "arcsin x on [-1, 1] (``asin``; d/dx = 1/sqrt(1 - x**2), inf at +-1).")
    arccos = _unary(Arccos, "arccos", "arccos x on [-1, 1] (``acos``; d/dx = -1/sqrt(1 - x**2), -inf at +-1).")
    arctan = _unary(Arctan, "arctan", "arctan x (``atan``; d/dx = 1/(1 + x**2)).")
    arcsinh = _unary(Arcsinh, "arcsinh", "arcsinh x (``asinh``; d/dx = 1/sqrt(x**2 + 1)).")
    arccosh = _unary(Arccosh, "arccosh", "arccosh x on [1, inf) (``acosh``; d/dx = 1/sqrt(x**2 - 1), inf at 1).")
    arctanh = _unary(Arctanh, "arctanh", "arctanh x on (-1, 1) (``atanh``; d/dx = 1/(1 - x**2), inf at +-1).")
    exp2 = _unary(Exp2, "exp2", "2**x, elementwise, exact at whole x (numpy's exp2; d/dx = 2**x ln 2).")
    cbrt = _unary(Cbrt, "cbrt", "The real cube root, negative for x < 0 (numpy's cbrt; d/dx = 1/(3 cbrt(x)**2)).")
    i0 = _unary(I0, "i0", "The modified Bessel function I0, elementwise (numpy's np.i0; d/dx = I1(x)).")
    asin, acos, atan, asinh, acosh, atanh = arcsin, arccos, arctan, arcsinh, arccosh, arctanh  # PyTorch's names

    def ldexp(self, other: TensorLike) -> Tensor:
        """self * 2**other (``torch.ldexp``), exact wherever 2**other is a float: ``x.ldexp(3)`` is ``x * 8``.

        >>> Tensor([1.5, -3.0]).ldexp(Tensor([2.0, -1.0]))
        Tensor([ 6. , -1.5])
        """
        from .functions_elementary import ldexp

        return ldexp(self, other)

    def deg2rad(self) -> Tensor:
        """Degrees to radians, elementwise (``torch.deg2rad``)."""
        from .functions_idioms import deg2rad

        return deg2rad(self)

    def rad2deg(self) -> Tensor:
        """Radians to degrees, elementwise (``torch.rad2deg``)."""
        from .functions_idioms import rad2deg

        return rad2deg(self)

    def copysign(self, other: TensorLike) -> Tensor:
        """|self| with the sign of ``other``, elementwise (``torch.copysign``)."""
        from .functions_idioms import copysign

        return copysign(self, other)

    def heaviside(self, values: TensorLike) -> Tensor:
        """The step function: 0 below 0, 1 above, ``values`` at 0 (``torch.heaviside``)."""
        from .functions_torch import heaviside

        return heaviside(self, values)

    def mvlgamma(self, p: int) -> Tensor:
        """The multivariate log-gamma function of dimension ``p`` (``torch.mvlgamma``; special.multigammaln)."""
        from .special import multigammaln

        return multigammaln(self, p)

    def cov(
        self, *, correction: int = 1, fweights: TensorLike | None = None, aweights: TensorLike | None = None
    ) -> Tensor:
        """The covariance matrix of the rows (variables) over the columns (observations), as ``torch.cov``."""
        from .covariance import cov

        return cov(self, correction=correction, fweights=fweights, aweights=aweights)

    def corrcoef(self) -> Tensor:
        """The Pearson correlation matrix of the rows, as ``torch.corrcoef``."""
        from .covariance import corrcoef

        return corrcoef(self)

    # ------------------------------------------------------------------- in place: the method's value, written
    def tan_(self) -> Tensor:
        """``tan`` in place."""
        return self._write_fitting("tan_", lambda t: t.tan())

    def sinh_(self) -> Tensor:
        """``sinh`` in place."""
        return self._write_fitting("sinh_", lambda t: t.sinh())

    def cosh_(self) -> Tensor:
        """``cosh`` in place."""
        return self._write_fitting("cosh_", lambda t: t.cosh())

    def arcsin_(self) -> Tensor:
        """``arcsin`` in place."""
        return self._write_fitting("arcsin_", lambda t: t.arcsin())

    def arccos_(self) -> Tensor:
        """``arccos`` in place."""
        return self._write_fitting("arccos_", lambda t: t.arccos())

    def arctan_(self) -> Tensor:
        """``arctan`` in place."""
        return self._write_fitting("arctan_", lambda t: t.arctan())

    def arcsinh_(self) -> Tensor:
        """``arcsinh`` in place."""
        return self._write_fitting("arcsinh_", lambda t: t.arcsinh())

    def arccosh_(self) -> Tensor:
        """``arccosh`` in place."""
        return self._write_fitting("arccosh_", lambda t: t.arccosh())

    def arctanh_(self) -> Tensor:
        """``arctanh`` in place."""
        return self._write_fitting("arctanh_", lambda t: t.arctanh())

    def exp2_(self) -> Tensor:
        """``exp2`` in place."""
        return self._write_fitting("exp2_", lambda t: t.exp2())

    def cbrt_(self) -> Tensor:
        """``cbrt`` in place."""
        return self._write_fitting("cbrt_", lambda t: t.cbrt())

    def i0_(self) -> Tensor:
        """``i0`` in place."""
        return self._write_fitting("i0_", lambda t: t.i0())

    def deg2rad_(self) -> Tensor:
        """``deg2rad`` in place."""
        return self._write_fitting("deg2rad_", lambda t: t.deg2rad())

    def rad2deg_(self) -> Tensor:
        """``rad2deg`` in place."""
        return self._write_fitting("rad2deg_", lambda t: t.rad2deg())

    def sin_(self) -> Tensor:
        """``sin`` in place."""
        return self._write_fitting("sin_", lambda t: t.sin())

    def cos_(self) -> Tensor:
        """``cos`` in place."""
        return self._write_fitting("cos_", lambda t: t.cos())

    def log1p_(self) -> Tensor:
        """``log1p`` in place."""
        return self._write_fitting("log1p_", lambda t: t.log1p())

    def expm1_(self) -> Tensor:
        """``expm1`` in place."""
        return self._write_fitting("expm1_", lambda t: t.expm1())

    def log2_(self) -> Tensor:
        """``log2`` in place."""
        return self._write_fitting("log2_", lambda t: t.log2())

    def log10_(self) -> Tensor:
        """``log10`` in place."""
        return self._write_fitting("log10_", lambda t: t.log10())

    def erf_(self) -> Tensor:
        """``erf`` in place."""
        return self._write_fitting("erf_", lambda t: t.erf())

    def erfc_(self) -> Tensor:
        """``erfc`` in place."""
        return self._write_fitting("erfc_", lambda t: t.erfc())

    def erfinv_(self) -> Tensor:
        """``erfinv`` in place."""
        return self._write_fitting("erfinv_", lambda t: t.erfinv())

    def lgamma_(self) -> Tensor:
        """``lgamma`` in place."""
        return self._write_fitting("lgamma_", lambda t: t.lgamma())

    def digamma_(self) -> Tensor:
        """``digamma`` in place."""
        return self._write_fitting("digamma_", lambda t: t.digamma())

    def rsqrt_(self) -> Tensor:
        """``rsqrt`` in place."""
        return self._write_fitting("rsqrt_", lambda t: t.rsqrt())

    def square_(self) -> Tensor:
        """``square`` in place."""
        return self._write_fitting("square_", lambda t: t.square())

    def sinc_(self) -> Tensor:
        """``sinc`` in place."""
        return self._write_fitting("sinc_", lambda t: t.sinc())

    def frac_(self) -> Tensor:
        """``frac`` in place."""
        return self._write_fitting("frac_", lambda t: t.frac())

    def trunc_(self) -> Tensor:
        """``trunc`` in place."""
        return self._write_fitting("trunc_", lambda t: t.trunc())

    def ldexp_(self, other: TensorLike) -> Tensor:
        """``ldexp`` in place."""
        return self._write_fitting("ldexp_", lambda t: t.ldexp(other))

    def copysign_(self, other: TensorLike) -> Tensor:
        """``copysign`` in place."""
        return self._write_fitting("copysign_", lambda t: t.copysign(other))

    def heaviside_(self, values: TensorLike) -> Tensor:
        """``heaviside`` in place."""
        return self._write_fitting("heaviside_", lambda t: t.heaviside(values))

    def xlogy_(self, other: TensorLike) -> Tensor:
        """``xlogy`` in place."""
        return self._write_fitting("xlogy_", lambda t: t.xlogy(other))

    def hypot_(self, other: TensorLike) -> Tensor:
        """``hypot`` in place."""
        return self._write_fitting("hypot_", lambda t: t.hypot(other))

    def atan2_(self, other: TensorLike) -> Tensor:
        """``atan2`` in place."""
        return self._write_fitting("atan2_", lambda t: t.atan2(other))

    def mvlgamma_(self, p: int) -> Tensor:
        """``mvlgamma`` in place."""
        return self._write_fitting("mvlgamma_", lambda t: t.mvlgamma(p))

    def polygamma_(self, n: int) -> Tensor:
        """``polygamma`` in place."""
        return self._write_fitting("polygamma_", lambda t: t.polygamma(n))

    def logit_(self, eps: float | None = None) -> Tensor:
        """``logit`` in place."""
        return self._write_fitting("logit_", lambda t: t.logit(eps))

    def nan_to_num_(self, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None) -> Tensor:
        """``nan_to_num`` in place."""
        return self._write_fitting("nan_to_num_", lambda t: t.nan_to_num(nan, posinf, neginf))

    asin_, acos_, atan_, asinh_, acosh_, atanh_ = arcsin_, arccos_, arctan_, arcsinh_, arccosh_, arctanh_
    arctan2_, fix_ = atan2_, trunc_  # PyTorch's other names
