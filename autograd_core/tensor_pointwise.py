"""PyTorch's elementwise methods beyond the operators: ``nan_to_num lerp hypot atan2 logaddexp logaddexp2 sinc
float_power frac trunc fix floor ceil round fmod remainder addcmul addcdiv addmm baddbmm addmv frexp``, the
``bitwise_*`` and ``logical_*`` families, and ``round(t, n)``. Composed from Tensor ops where that is exact;
``atan2``, ``fmod`` and ``remainder`` are primitives (primitives/division.py). The rounding family is piecewise
constant: its gradient is zero, as PyTorch's (recorded as ``where(False, x, rounded)``, so backward reaches x).

>>> y, x = Tensor([1.0], requires_grad=True), Tensor([1.0], requires_grad=True)
>>> y.atan2(x).backward()
>>> y.grad, x.grad
(array([0.5]), array([-0.5]))
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple, cast

import numpy as np

import autograd_core.tensor as _tensor  # still loading when this one is imported: read at call time

from .primitives import Atan2, Fmod, Remainder
from .tensor_base import TensorBase
from .types import Number, TensorLike

if TYPE_CHECKING:
    from .tensor import Tensor


class FrexpResult(NamedTuple):
    """``(mantissa, exponent)`` of ``frexp``, as PyTorch's: x = mantissa * 2**exponent."""

    mantissa: Tensor
    exponent: Tensor


def _array(x: TensorLike) -> np.ndarray:
    return np.asarray(x._data if isinstance(x, TensorBase) else x)


def piecewise_constant(x: Tensor, values: np.ndarray) -> Tensor:
    """``values`` (a function of x that is flat almost everywhere) with x's zero gradient, as PyTorch's rounding."""
    if not x.requires_grad:
        return _tensor.Tensor(values)
    from .functions import where

    return where(np.zeros(x.shape, bool), x, values)


class TensorPointwise(TensorBase):
    """Elementwise methods by PyTorch's names (see the module docstring)."""

    def _other(self, other: TensorLike) -> Tensor:
        return _tensor._lift(other, self)

    # ------------------------------------------------------------ rounding: zero gradient
    def trunc(self) -> Tensor:
        """Round toward zero (``torch.trunc``; ``fix`` is its other name); the gradient is zero."""
        return piecewise_constant(cast("Tensor", self), np.trunc(self._data))

    fix = trunc

    def floor(self) -> Tensor:
        """The largest whole number <= x, elementwise (zero gradient)."""
        return piecewise_constant(cast("Tensor", self), np.floor(self._data))

    def ceil(self) -> Tensor:
        """The smallest whole number >= x, elementwise (zero gradient)."""
        return piecewise_constant(cast("Tensor", self), np.ceil(self._data))

    def round(self, decimals: int = 0) -> Tensor:
        """Round half to even to ``decimals`` places (``torch.round``, ``ag.round``); zero gradient.

        >>> Tensor([0.5, 1.5, 2.567]).round(decimals=1)
        Tensor([0.5, 1.5, 2.6])
        """
        from .functions_jax import round as round_

        return round_(cast("Tensor", self), decimals)

    def __round__(self, ndigits: int | None = None) -> Tensor:
        """Python's ``round(t)`` / ``round(t, 2)``: a tensor, as PyTorch's (``t.round(decimals=ndigits)``)."""
        return self.round(0 if ndigits is None else ndigits)

    def frac(self) -> Tensor:
        """x - trunc(x): the fractional part, with the sign of x (gradient 1, as PyTorch's).

        >>> Tensor([2.5, -2.5]).frac()
        Tensor([ 0.5, -0.5])
        """
        return cast("Tensor", self) - self.trunc()

    # ------------------------------------------------------------ division's companions (primitives)
    def _divided(self, prim: type, op: str, other: TensorLike) -> Tensor:
        divisor = self._other(other)
        if np.result_type(self._data, divisor._data).kind in "biu" and not np.all(divisor._data):
            raise ZeroDivisionError(f"{op}: integer division by zero (a divisor is 0), as PyTorch refuses")
        with np.errstate(divide="ignore", invalid="ignore"):  # floats: IEEE's nan for x / 0, unwarned, as PyTorch
            return _tensor.Tensor.apply(prim, self, divisor)

    def fmod(self, other: TensorLike) -> Tensor:
        """x - other * trunc(x / other): C's remainder, the sign of x (``torch.fmod``). d/dx = 1,
        d/dother = -trunc(x / other).

        >>> Tensor([-3.0, 3.0]).fmod(2)
        Tensor([-1.,  1.])
        """
        return self._divided(Fmod, "fmod", other)

    def remainder(self, other: TensorLike) -> Tensor:
        """x - other * floor(x / other): Python's %, the sign of ``other`` (``torch.remainder``). d/dx = 1,
        d/dother = -floor(x / other).

        >>> Tensor([-3.0, 3.0]).remainder(2)
        Tensor([1., 1.])
        """
        return self._divided(Remainder, "remainder", other)

    def atan2(self, other: TensorLike) -> Tensor:
        """The angle of the point (other, self) in (-pi, pi] (``torch.atan2(y, x)``, ``np.arctan2``).

        >>> Tensor([1.0, -1.0]).atan2(Tensor([0.0, 0.0])) * 2 / np.pi
        Tensor([ 1., -1.])
        """
        return _tensor.Tensor.apply(Atan2, self, self._other(other))

    arctan2 = atan2

    # ------------------------------------------------------------ composed
    def nan_to_num(self, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None) -> Tensor:
        """NaN, +inf and -inf replaced by ``nan``, ``posinf`` and ``neginf`` (the dtype's largest and smallest
        by default); the replaced entries get no gradient, the others pass it through.

        >>> Tensor([float("nan"), float("inf"), 1.0]).nan_to_num(posinf=9.0)
        Tensor([0., 9., 1.])
        """
        x = cast("Tensor", self)
        if x.dtype.kind != "f":
            return x.clone()
        replaced = np.nan_to_num(np.asarray(x._data), nan=nan, posinf=posinf, neginf=neginf)
        return x.where(np.isfinite(x._data), replaced)

    def lerp(self, end: TensorLike, weight: TensorLike) -> Tensor:
        """self + weight * (end - self), as ``torch.lerp`` (from the nearer end: exact at weight 0 and 1).

        >>> Tensor([0.0, 10.0]).lerp(Tensor([10.0, 20.0]), 0.25)
        Tensor([ 2.5, 12.5])
        """
        start, stop = cast("Tensor", self), self._other(end)
        step = stop - start
        if not isinstance(weight, TensorBase):
            w = float(_array(weight)) if np.ndim(weight) == 0 else None
            if w is not None:
                return start + w * step if abs(w) < 0.5 else stop - step * (1 - w)
        t = self._other(weight)
        return (start + t * step).where(np.abs(_array(t)) < 0.5, stop - step * (1 - t))

    def hypot(self, other: TensorLike) -> Tensor:
        """sqrt(x**2 + other**2) without overflow (scaled by the larger magnitude), as ``torch.hypot``.

        >>> Tensor([3.0, 3e200]).hypot(Tensor([4.0, 4e200]))
        Tensor([5.e+000, 5.e+200])
        """
        x, y = cast("Tensor", self), self._other(other)
        # A power of two near the larger magnitude: dividing by it is exact, and as a constant it cancels in the
        # gradient, so the result is sqrt(a**2 + b**2) rounded once more at most, in range for any finite a, b
        larger = np.maximum(np.abs(_array(x)), np.abs(_array(y)))
        larger = np.where((larger == 0) | ~np.isfinite(larger), 1, larger)
        scale = np.ldexp(1.0, np.frexp(larger)[1]).astype(np.result_type(x.dtype, y.dtype))
        return ((x / scale).square() + (y / scale).square()).sqrt() * scale

    def logaddexp(self, other: TensorLike) -> Tensor:
        """log(e**x + e**other) without overflow: max + log1p(e**-|x - other|) (``torch.logaddexp``).

        >>> Tensor([1000.0, 0.0]).logaddexp(Tensor([1000.0, -40.0])) - Tensor([1000.0, 0.0])
        Tensor([6.9315e-01, 4.2484e-18])
        """
        return self._log_add(other, 1.0)

    def logaddexp2(self, other: TensorLike) -> Tensor:
        """log2(2**x + 2**other) without overflow (``torch.logaddexp2``)."""
        return self._log_add(other, math.log(2))

    def _log_add(self, other: TensorLike, ln_base: float) -> Tensor:
        from .functions import maximum

        x, y = cast("Tensor", self), self._other(other)
        with np.errstate(invalid="ignore"):  # inf - inf: nan, replaced below
            out = (
                maximum(x, y) + (-(x - y).abs() * ln_base).exp().log1p() / ln_base
            )  # (ties: max's halves, abs'(0) = 0)
        both_inf = np.isinf(_array(x)) & (_array(x) == _array(y))  # inf - inf is nan: the answer is that inf
        return out.where(~both_inf, x) if both_inf.any() else out

    def sinc(self) -> Tensor:
        """sin(pi x) / (pi x), 1 at x = 0 (the normalised sinc, ``torch.sinc``; its gradient at 0 is 0).

        >>> Tensor([0.0, 0.5, 1.0]).sinc().round(decimals=6)
        Tensor([1.    , 0.6366, 0.    ])
        """
        x = cast("Tensor", self)
        zero = _array(x) == 0
        px = x.where(~zero, 1.0) * math.pi  # 1 where x = 0: no 0/0 in the value or the gradient
        return (px.sin() / px).where(~zero, 1.0)

    def float_power(self, exponent: TensorLike) -> Tensor:
        """x ** exponent in float64, as ``torch.float_power``.

        >>> Tensor(np.array([2], np.int64)).float_power(0.5).dtype
        dtype('float64')
        """
        power = exponent if isinstance(exponent, TensorBase) else _tensor.Tensor(np.asarray(exponent, np.float64))
        return cast("Tensor", self).to(np.float64) ** cast("Tensor", power).to(np.float64)

    def addcmul(self, tensor1: TensorLike, tensor2: TensorLike, *, value: Number = 1) -> Tensor:
        """self + value * tensor1 * tensor2 (``torch.addcmul``, the product of Adam-style updates)."""
        return cast("Tensor", self) + value * self._other(tensor1) * tensor2

    def addcdiv(self, tensor1: TensorLike, tensor2: TensorLike, *, value: Number = 1) -> Tensor:
        """self + value * tensor1 / tensor2 (``torch.addcdiv``: Adam's ``p.addcdiv(m, v.sqrt() + eps, value=-lr)``).

        >>> Tensor([1.0]).addcdiv(Tensor([3.0]), Tensor([2.0]), value=2)
        Tensor([4.])
        """
        return cast("Tensor", self) + value * self._other(tensor1) / tensor2

    def _add_product(self, product: Tensor, beta: Number, alpha: Number) -> Tensor:
        scaled = product if alpha == 1 else alpha * product
        if beta == 0:  # PyTorch ignores self then: a nan or inf in it does not leak into the result
            np.broadcast_shapes(self.shape, product.shape)
            return scaled
        return (self if beta == 1 else beta * cast("Tensor", self)) + scaled

    def addmm(self, mat1: TensorLike, mat2: TensorLike, *, beta: Number = 1, alpha: Number = 1) -> Tensor:
        """beta * self + alpha * (mat1 @ mat2), for 2-d mat1 and mat2 (``torch.addmm``: a linear layer).

        >>> Tensor([1.0]).addmm(Tensor([[1.0, 2.0]]), Tensor([[3.0], [4.0]]), alpha=2)
        Tensor([[23.]])
        """
        return self._add_product(self._other(mat1).mm(mat2), beta, alpha)

    def baddbmm(self, batch1: TensorLike, batch2: TensorLike, *, beta: Number = 1, alpha: Number = 1) -> Tensor:
        """beta * self + alpha * (batch1 @ batch2), for (b, n, k) and (b, k, m) batches (``torch.baddbmm``)."""
        return self._add_product(self._other(batch1).bmm(batch2), beta, alpha)

    def addmv(self, mat: TensorLike, vec: TensorLike, *, beta: Number = 1, alpha: Number = 1) -> Tensor:
        """beta * self + alpha * (mat @ vec), for a 2-d mat and a 1-d vec (``torch.addmv``)."""
        return self._add_product(self._other(mat).mv(vec), beta, alpha)

    def frexp(self) -> FrexpResult:
        """``(mantissa, exponent)`` with x = mantissa * 2**exponent, 0.5 <= |mantissa| < 1 (exponent int32), as
        ``torch.frexp``; no gradient.

        >>> Tensor([8.0]).frexp()
        FrexpResult(mantissa=Tensor([0.5]), exponent=Tensor([4], dtype=int32))
        """
        if self.dtype.kind != "f":
            raise TypeError(f"frexp: needs a floating-point tensor, got {self.dtype}; convert it first (t.double())")
        mantissa, exponent = np.frexp(self._data)
        return FrexpResult(_tensor.Tensor(mantissa), _tensor.Tensor(exponent.astype(np.int32)))

    # ------------------------------------------------------------ bits and truth values: no gradient
    def _bitwise(self, op: str, ufunc: np.ufunc, other: TensorLike | None) -> Tensor:
        operands = [_array(self)] + ([] if other is None else [_array(other)])
        if any(a.dtype.kind not in "biu" for a in operands):
            kinds = ", ".join(str(a.dtype) for a in operands)
            raise TypeError(
                f"{op}: needs integer or boolean tensors, got {kinds}; for truth values of floats use "
                f"logical_{op.split('_')[1]}, or convert with t.long()"
            )
        return _tensor.Tensor(ufunc(*operands))

    def bitwise_and(self, other: TensorLike) -> Tensor:
        """x & other, bit by bit (integers) or as truth values (booleans)."""
        return self._bitwise("bitwise_and", np.bitwise_and, other)

    def bitwise_or(self, other: TensorLike) -> Tensor:
        """x | other, bit by bit."""
        return self._bitwise("bitwise_or", np.bitwise_or, other)

    def bitwise_xor(self, other: TensorLike) -> Tensor:
        """x ^ other, bit by bit.

        >>> ag.tensor([12]).bitwise_xor(ag.tensor([10]))
        Tensor([6], dtype=int64)
        """
        return self._bitwise("bitwise_xor", np.bitwise_xor, other)

    def bitwise_not(self) -> Tensor:
        """~x: every bit flipped (integers), or not (booleans)."""
        return self._bitwise("bitwise_not", np.invert, None)

    def logical_and(self, other: TensorLike) -> Tensor:
        """Where both are nonzero (booleans, any dtype), as ``torch.logical_and``.

        >>> Tensor([0.0, 2.0]).logical_and(Tensor([1.0, -1.0]))
        Tensor([False,  True], dtype=bool)
        """
        return _tensor.Tensor(np.logical_and(_array(self), _array(other)))

    def logical_or(self, other: TensorLike) -> Tensor:
        """Where either is nonzero (booleans)."""
        return _tensor.Tensor(np.logical_or(_array(self), _array(other)))

    def logical_xor(self, other: TensorLike) -> Tensor:
        """Where exactly one is nonzero (booleans)."""
        return _tensor.Tensor(np.logical_xor(_array(self), _array(other)))

    def logical_not(self) -> Tensor:
        """Where x is zero (booleans)."""
        return _tensor.Tensor(np.logical_not(_array(self)))
