"""PyTorch's in-place updates, outside the graph: ``zero_ fill_ add_ sub_ mul_ div_ copy_ clamp_``, what an
optimizer loop writes under ``no_grad``; each refuses a tensor a recorded op still needs (as ``w -= ...``).
``Tensor`` inherits them through ``TensorTorch``.

>>> w = Tensor([1.0, 2.0])
>>> w.mul_(2).add_(1)
Tensor([3., 5.])
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import numpy as np

from .tensor_base import TensorBase
from .tensor_math import TensorMath
from .types import TensorLike

if TYPE_CHECKING:
    from .tensor import Tensor


def _values(x: TensorLike) -> np.ndarray:
    return np.asarray(x._data if isinstance(x, TensorBase) else x)


class TensorInPlace(TensorMath):
    """In-place updates (see the module docstring)."""

    # ------------------------------------------------------------ in place, outside the graph (as `w -= ...`)
    def _in_place(self, method: str) -> Tensor:
        """This tensor, once ``method`` may change it: the refusal on a recorded tensor names the call made."""
        t = cast("Tensor", self)
        t._check_inplace(
            f"{method}()", "would change it outside the graph", "`w.data` (`w.data += u`, `w.data[...] = v`)"
        )
        return t

    def add_(self, other: TensorLike, *, alpha: float = 1) -> Tensor:
        """``self += alpha * other`` in place (under ``no_grad`` for a parameter), as PyTorch.

        >>> w = Tensor([1.0, 2.0])
        >>> w.add_(Tensor([1.0, 1.0]), alpha=0.5)
        Tensor([1.5, 2.5])
        """
        t = self._in_place("add_")
        t += other if alpha == 1 else alpha * _values(other)
        return t

    def sub_(self, other: TensorLike, *, alpha: float = 1) -> Tensor:
        """``self -= alpha * other`` in place (under ``no_grad`` for a parameter)."""
        t = self._in_place("sub_")
        t -= other if alpha == 1 else alpha * _values(other)
        return t

    def mul_(self, other: TensorLike) -> Tensor:
        """``self *= other`` in place."""
        t = self._in_place("mul_")
        t *= other
        return t

    def div_(self, other: TensorLike) -> Tensor:
        """``self /= other`` in place."""
        t = self._in_place("div_")
        t /= other
        return t

    def fill_(self, value: float) -> Tensor:
        """Set every element to ``value`` in place."""
        t = self._in_place("fill_")
        t[...] = value
        return t

    def zero_(self) -> Tensor:
        """Set every element to 0 in place. (``t.grad`` is a numpy array here: ``t.grad = None`` clears it.)"""
        self._in_place("zero_")
        return self.fill_(0)

    def copy_(self, src: TensorLike) -> Tensor:
        """Write ``src``'s values (broadcast, cast) into this tensor in place."""
        t = self._in_place("copy_")
        t[...] = _values(src)
        return t

    def clamp_(self, min: TensorLike | None = None, max: TensorLike | None = None) -> Tensor:
        """Limit the values to [min, max] in place: WGAN's weight clipping, ``p.clamp_(-c, c)`` under ``no_grad``.

        >>> Tensor([-2.0, 0.5, 3.0]).clamp_(-1, 1)
        Tensor([-1. ,  0.5,  1. ])
        """
        t = self._in_place("clamp_")
        t[...] = _values(t.clamp(min, max))
        return t
