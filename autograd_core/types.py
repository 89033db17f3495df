"""Type aliases for annotations: what the public API accepts, named once.

A user may pass a Tensor anywhere an operation takes a value, or anything numpy turns into
an array (a number, a nested list, an ndarray): ``TensorLike`` says exactly that.

>>> from autograd_core.types import TensorLike
>>> def double(x: TensorLike) -> Tensor:
...     return ag.as_tensor(x) * 2
>>> double([1.0, 2.0])
Tensor([2., 4.])
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias, Union

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:  # the Tensor module imports the engine; annotations only need the name
    from .tensor import Tensor

__all__ = ["ArrayLike", "Axis", "DTypeLike", "Number", "Shape", "TensorLike"]

#: A plain number: Python's or numpy's (``np.float32(1.5)``), but not a bool.
Number: TypeAlias = int | float | np.integer | np.floating

#: Anything ``np.asarray`` accepts: numbers, nested sequences, ndarrays.
ArrayLike: TypeAlias = npt.ArrayLike

#: What an operation accepts as an operand: a Tensor, or data that becomes a constant Tensor.
TensorLike: TypeAlias = Union["Tensor", npt.ArrayLike]

#: The ``axis`` argument of reductions: one axis, several, or None for all of them.
Axis: TypeAlias = int | tuple[int, ...] | None

#: A tensor's shape.
Shape: TypeAlias = tuple[int, ...]

#: A dtype or something numpy reads as one (``np.float32``, ``"float64"``).
DTypeLike: TypeAlias = npt.DTypeLike
