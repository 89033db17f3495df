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

from types import EllipsisType
from typing import TYPE_CHECKING, Any, TypeAlias, Union

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:  # the Tensor module imports the engine; annotations only need the name
    from .tensor import Tensor

__all__ = ["Array", "ArrayLike", "Axis", "DTypeLike", "Index", "Number", "Shape", "TensorLike"]

#: A plain number: Python's or numpy's (``np.float32(1.5)``), but not a bool.
Number: TypeAlias = int | float | np.integer | np.floating

#: A numpy array of any dtype (what ``.data`` and ``.grad`` hold).
Array: TypeAlias = npt.NDArray[Any]

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

#: One part of an index: an int, a slice, ``...``, None (a new axis), or an integer / boolean array,
#: list or Tensor.
_IndexPart: TypeAlias = Union[int, slice, EllipsisType, "Tensor", npt.ArrayLike, None]

#: What ``t[index]`` accepts: one part, or a tuple of them (numpy's rules).
Index: TypeAlias = _IndexPart | tuple[_IndexPart, ...]
