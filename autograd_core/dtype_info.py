"""torch's questions about dtypes and shapes: ``finfo`` / ``iinfo`` (a dtype's limits), ``promote_types``,
``result_type`` and ``can_cast`` (what an operation's result will be), and ``Size`` (a shape).

The dtypes are numpy's, and so are the promotion rules the engine's arithmetic follows: ``result_type`` reports
what ``a + b`` gives HERE. That differs from torch where torch keeps a float width against an int
(int64 with float32 is float64 here, float32 in torch) or lets a 0-d tensor count as a scalar.

>>> float(ag.finfo(ag.float32).eps), ag.iinfo(ag.int8).max
(1.1920928955078125e-07, 127)
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from .tensor import Tensor
from .types import DTypeLike


def _dtype_of(op: str, dtype: Any) -> np.dtype[Any]:
    try:
        return np.dtype(dtype.dtype if isinstance(dtype, Tensor) else dtype)
    except TypeError:
        raise TypeError(f"{op}: {dtype!r} is not a dtype; pass one such as ag.float32 or ag.int64") from None


def finfo(dtype: DTypeLike | None = None) -> np.finfo[Any]:
    """A float dtype's limits (``bits eps max min tiny smallest_normal resolution``), as ``torch.finfo``; the
    default dtype's (float64) with no argument.

    >>> finfo(ag.float16).max
    np.float16(65500.0)
    """
    kind = _dtype_of("finfo", np.float64 if dtype is None else dtype)
    if kind.kind != "f":
        raise TypeError(f"finfo: {kind} is not a floating-point dtype; use ag.iinfo for integer dtypes")
    return np.finfo(kind)


def iinfo(dtype: DTypeLike) -> np.iinfo[Any]:
    """An integer dtype's limits (``bits min max``), as ``torch.iinfo``.

    >>> iinfo(ag.uint8).max, iinfo(ag.int16).min
    (255, -32768)
    """
    kind = _dtype_of("iinfo", dtype)
    if kind.kind not in "iu":
        raise TypeError(f"iinfo: {kind} is not an integer dtype; use ag.finfo for float dtypes")
    return np.iinfo(kind)


def promote_types(type1: DTypeLike, type2: DTypeLike) -> type:
    """The smallest dtype both convert to without loss, the one the engine's arithmetic on two tensors of these
    dtypes gives (numpy's rule: int64 with float32 is float64, where torch says float32).

    >>> promote_types(ag.uint8, ag.int8)
    <class 'numpy.int16'>
    """
    return np.promote_types(_dtype_of("promote_types", type1), _dtype_of("promote_types", type2)).type


def result_type(tensor1: Any, tensor2: Any) -> type:
    """The dtype of an arithmetic operation on these two operands (tensors or Python numbers) in this engine,
    as ``torch.result_type`` answers for torch: a Python number only sets the kind (float32 + 1.5 stays float32).

    >>> result_type(ag.tensor([1, 2]), 1.0), result_type(ag.tensor([1.0], dtype=ag.float32), 2)
    (<class 'numpy.float64'>, <class 'numpy.float32'>)
    """
    operands: list[Any] = []
    for value in (tensor1, tensor2):
        if isinstance(value, Tensor):
            operands.append(value.data)
        elif isinstance(value, (numbers.Number, np.generic, np.ndarray)) and not isinstance(value, complex):
            operands.append(value)
        else:
            raise TypeError(f"result_type: operands must be tensors or real numbers, got {type(value).__name__}")
    return np.result_type(*operands).type


def can_cast(from_: DTypeLike, to: DTypeLike) -> bool:
    """Whether torch's casting rule lets an in-place result of dtype ``from_`` be written into ``to``: never
    down a kind (float to int, int to bool), any width within one, as ``torch.can_cast``.

    >>> can_cast(ag.float64, ag.float32), can_cast(ag.float32, ag.int32)
    (True, False)
    """
    return bool(np.can_cast(_dtype_of("can_cast", from_), _dtype_of("can_cast", to), casting="same_kind"))


class Size(tuple):
    """A tensor's shape, as ``torch.Size``: a tuple of ints (``x.shape == ag.Size([2, 3])`` holds) with
    ``numel()``.

    >>> s = Size([2, 3])
    >>> s, s.numel(), s == (2, 3)
    (Size([2, 3]), 6, True)
    """

    def __new__(cls, sizes: Any = ()) -> Size:
        dims = tuple(sizes)
        bad = [d for d in dims if isinstance(d, bool) or not isinstance(d, numbers.Integral) or d < 0]
        if bad:
            raise TypeError(f"Size: every entry must be a non-negative int, got {list(dims)!r}")
        return super().__new__(cls, (int(d) for d in dims))

    def numel(self) -> int:
        """The number of elements of a tensor of this shape (1 for ``Size([])``)."""
        return math.prod(self)

    def __repr__(self) -> str:
        return f"Size({list(self)!r})"


__all__ = ["finfo", "iinfo", "promote_types", "result_type", "can_cast", "Size"]
