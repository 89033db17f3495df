"""PyTorch's spellings ``ag.Tensor`` lacked around comparison and integer arithmetic: the aliases ``greater
greater_equal less less_equal not_equal absolute negative multiply subtract divide true_divide ger``,
``floor_divide``, the integer ``gcd lcm bitwise_left_shift bitwise_right_shift`` (``<< >>``), ``nextafter``,
``apply_ map_ map2_``, and the in-place form (``name_``) of each method that had none (``eq_ lt_ tril_ cumsum_
clamp_min_ bitwise_and_ ...``; the elementary functions' own, ``sin_ erf_ ...``, are tensor_elementary.py's).

An in-place form refuses what ``add_`` refuses (a leaf that requires grad outside ``no_grad``, a tensor a
recorded op still needs), and, as PyTorch's, a result its dtype cannot hold: ``ints.sqrt_()`` would truncate, so
it is refused, naming the cast (a comparison's True/False fits any dtype: ``x.gt_(0)`` writes 1.0 and 0.0).
``Tensor`` inherits them through ``TensorInPlace``.

>>> Tensor([1.0, 5.0, 3.0]).gt_(2.0)
Tensor([0., 1., 1.])
>>> ag.tensor([12, 18]).gcd(ag.tensor([8, 27])).tolist()
[4, 9]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

import numpy as np

import autograd_core.tensor as _tensor  # still loading when this one is imported: read at call time

from .tensor_base import TensorBase
from .types import TensorLike

if TYPE_CHECKING:
    from .tensor import Tensor


def _in_place_form(method: str) -> Callable[..., Tensor]:
    """PyTorch's ``{method}_``: the out-of-place method's value written into this tensor."""

    def in_place(self: TensorInPlaceForms, *args: Any, **kwargs: Any) -> Tensor:
        return self._write_fitting(f"{method}_", lambda t: getattr(t, method)(*args, **kwargs))

    in_place.__name__ = in_place.__qualname__ = f"{method}_"
    in_place.__doc__ = f"``{method}`` in place, as PyTorch's ``{method}_``."
    return in_place


def _integers(op: str, *operands: TensorLike) -> list[np.ndarray]:
    arrays = [np.asarray(x._data if isinstance(x, TensorBase) else x) for x in operands]
    for a in arrays:
        if a.dtype.kind not in "iu":
            raise TypeError(f"{op}: needs integer tensors, got {a.dtype}; cast first (x.long()) or round (x.round())")
    return arrays


class TensorInPlaceForms(TensorBase):
    """Comparison aliases, integer arithmetic and the missing in-place forms (see the module docstring)."""

    # ------------------------------------------------------------------------------- comparison aliases
    def greater(self, other: TensorLike) -> Tensor:
        """``self > other`` (``gt``), PyTorch's long name."""
        return cast("Tensor", self).gt(other)

    def greater_equal(self, other: TensorLike) -> Tensor:
        """``self >= other`` (``ge``)."""
        return cast("Tensor", self).ge(other)

    def less(self, other: TensorLike) -> Tensor:
        """``self < other`` (``lt``)."""
        return cast("Tensor", self).lt(other)

    def less_equal(self, other: TensorLike) -> Tensor:
        """``self <= other`` (``le``)."""
        return cast("Tensor", self).le(other)

    def not_equal(self, other: TensorLike) -> Tensor:
        """``self != other`` (``ne``)."""
        return cast("Tensor", self).ne(other)

    # ------------------------------------------------------------------------------- arithmetic aliases
    def absolute(self) -> Tensor:
        """``abs``, PyTorch's numpy-style name."""
        return cast("Tensor", self).abs()

    def negative(self) -> Tensor:
        """``-self`` (``neg``)."""
        return -cast("Tensor", self)

    def multiply(self, other: TensorLike) -> Tensor:
        """``self * other`` (``mul``)."""
        return cast("Tensor", self) * other

    def subtract(self, other: TensorLike, *, alpha: float = 1) -> Tensor:
        """``self - alpha * other`` (``sub``)."""
        from .functions_out import sub

        return sub(self, other, alpha=alpha)

    def divide(self, other: TensorLike, *, rounding_mode: str | None = None) -> Tensor:
        """``self / other`` (``div``; ``rounding_mode="floor"`` or ``"trunc"`` rounds, as ``ag.div``)."""
        from .functions_out import div

        return div(self, other, rounding_mode=rounding_mode)

    def true_divide(self, other: TensorLike) -> Tensor:
        """``self / other``."""
        return cast("Tensor", self) / other

    def floor_divide(self, other: TensorLike) -> Tensor:
        """``self // other``: the quotient rounded down, as PyTorch's (and Python's).

        >>> ag.tensor([7, -7]).floor_divide(2).tolist()
        [3, -4]
        """
        return cast("Tensor", self) // other

    def ger(self, other: TensorLike) -> Tensor:
        """``outer``, PyTorch's older name."""
        return cast("Tensor", self).outer(other)

    # ------------------------------------------------------------------------------- integer and float steps
    def gcd(self, other: TensorLike) -> Tensor:
        """The greatest common divisor of integers, elementwise (broadcast; gcd(0, 0) = 0), as PyTorch's."""
        return _tensor.Tensor(np.gcd(*_integers("gcd", self, other)))

    def lcm(self, other: TensorLike) -> Tensor:
        """The least common multiple of integers, elementwise (broadcast; 0 where either is 0), as PyTorch's.

        >>> ag.tensor([4, 6]).lcm(ag.tensor([6, 0])).tolist()
        [12, 0]
        """
        return _tensor.Tensor(np.lcm(*_integers("lcm", self, other)))

    def bitwise_left_shift(self, other: TensorLike) -> Tensor:
        """``self * 2**other`` for integers (``<<``), elementwise, as PyTorch's.

        >>> ag.tensor([1, -8]).bitwise_left_shift(ag.tensor([2, 1])).tolist()
        [4, -16]
        """
        return _tensor.Tensor(np.left_shift(*_integers("bitwise_left_shift", self, other)))

    def bitwise_right_shift(self, other: TensorLike) -> Tensor:
        """``self // 2**other`` for integers (``>>``, the sign kept), elementwise, as PyTorch's."""
        return _tensor.Tensor(np.right_shift(*_integers("bitwise_right_shift", self, other)))

    def __lshift__(self, other: TensorLike) -> Tensor:
        return self.bitwise_left_shift(other)

    def __rshift__(self, other: TensorLike) -> Tensor:
        return self.bitwise_right_shift(other)

    def __rlshift__(self, other: TensorLike) -> Tensor:
        return _tensor.Tensor(np.asarray(other)).bitwise_left_shift(self)

    def __rrshift__(self, other: TensorLike) -> Tensor:
        return _tensor.Tensor(np.asarray(other)).bitwise_right_shift(self)

    def nextafter(self, other: TensorLike) -> Tensor:
        """The next float after ``self`` towards ``other``, elementwise, as PyTorch's; a step of one ulp, so no
        gradient (PyTorch has none either).

        >>> float(Tensor([1.0]).nextafter(2.0)[0] - 1.0) == float(np.finfo(np.float64).eps)
        True
        """
        a = self._data
        if a.dtype.kind != "f":
            raise TypeError(f"nextafter: needs a float tensor, got {a.dtype}; cast first (x.double())")
        b = np.asarray(other._data if isinstance(other, TensorBase) else other, dtype=a.dtype)
        return _tensor.Tensor(np.nextafter(a, b))

    # ------------------------------------------------------------------------------- Python callables, per element
    def apply_(self, callable: Callable[[Any], Any]) -> Tensor:
        """Each element replaced by ``callable(element)`` in place (a Python loop), as PyTorch's (CPU only there).

        >>> Tensor([1.0, 2.0]).apply_(lambda v: v * 10)
        Tensor([10., 20.])
        """
        return self._write_fitting(
            "apply_", lambda t: _tensor.Tensor(np.vectorize(callable, otypes=[t.dtype])(t._data))
        )

    def map_(self, tensor: TensorLike, callable: Callable[[Any, Any], Any]) -> Tensor:
        """Each element replaced by ``callable(element, other element)`` (``tensor`` broadcast), in place."""
        other = tensor._data if isinstance(tensor, TensorBase) else np.asarray(tensor)
        return self._write_fitting(
            "map_", lambda t: _tensor.Tensor(np.vectorize(callable, otypes=[t.dtype])(t._data, other))
        )

    def map2_(self, x: TensorLike, y: TensorLike, callable: Callable[[Any, Any, Any], Any]) -> Tensor:
        """Each element replaced by ``callable(element, x's, y's)`` (both broadcast), in place."""
        xs, ys = (v._data if isinstance(v, TensorBase) else np.asarray(v) for v in (x, y))
        return self._write_fitting(
            "map2_", lambda t: _tensor.Tensor(np.vectorize(callable, otypes=[t.dtype])(t._data, xs, ys))
        )

    # ------------------------------------------------------------------------------- the in-place forms
    eq_ = _in_place_form("eq")
    ne_ = _in_place_form("ne")
    lt_ = _in_place_form("lt")
    le_ = _in_place_form("le")
    gt_ = _in_place_form("gt")
    ge_ = _in_place_form("ge")
    greater_ = _in_place_form("greater")
    greater_equal_ = _in_place_form("greater_equal")
    less_ = _in_place_form("less")
    less_equal_ = _in_place_form("less_equal")
    not_equal_ = _in_place_form("not_equal")
    tril_ = _in_place_form("tril")
    triu_ = _in_place_form("triu")
    cumsum_ = _in_place_form("cumsum")
    cumprod_ = _in_place_form("cumprod")
    clamp_min_ = _in_place_form("clamp_min")
    clamp_max_ = _in_place_form("clamp_max")
    clip_ = _in_place_form("clip")
    floor_divide_ = _in_place_form("floor_divide")
    remainder_ = _in_place_form("remainder")
    fmod_ = _in_place_form("fmod")
    absolute_ = _in_place_form("absolute")
    negative_ = _in_place_form("negative")
    multiply_ = _in_place_form("multiply")
    subtract_ = _in_place_form("subtract")
    divide_ = _in_place_form("divide")
    true_divide_ = _in_place_form("true_divide")
    gcd_ = _in_place_form("gcd")
    lcm_ = _in_place_form("lcm")
    nextafter_ = _in_place_form("nextafter")
    sgn_ = _in_place_form("sgn")
    bitwise_and_ = _in_place_form("bitwise_and")
    bitwise_or_ = _in_place_form("bitwise_or")
    bitwise_xor_ = _in_place_form("bitwise_xor")
    bitwise_not_ = _in_place_form("bitwise_not")
    bitwise_left_shift_ = _in_place_form("bitwise_left_shift")
    bitwise_right_shift_ = _in_place_form("bitwise_right_shift")
    logical_and_ = _in_place_form("logical_and")
    logical_or_ = _in_place_form("logical_or")
    logical_xor_ = _in_place_form("logical_xor")
    logical_not_ = _in_place_form("logical_not")

    def float_power_(self, exponent: TensorLike) -> Tensor:
        """``float_power`` in place: only on a float64 tensor, as PyTorch's (the power is computed in float64)."""
        if self.dtype != np.float64:
            raise TypeError(
                f"float_power_: computes in float64, and this tensor is {self.dtype}; cast first "
                "(x = x.double()) or write y = x.float_power(exponent)"
            )
        return self._write_fitting("float_power_", lambda t: t.float_power(exponent))
