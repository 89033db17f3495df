"""``ag.broadcast_shapes``: the shape that tensors of the given shapes broadcast to (torch's and numpy's
rule), or an error that names the first axis where two sizes clash.

The rule, as minitorch's module 2 teaches it: align the shapes from the right (a missing leading axis counts
as size 1); along each axis the sizes must be equal, or one of them 1, which stretches to the other.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any


def broadcast_shapes(*shapes: int | Sequence[int]) -> tuple[int, ...]:
    """The shape ``shapes`` broadcast to, as ``torch.broadcast_shapes`` (an int is a 1-d shape); a
    ValueError names the two shapes and the axis whose sizes differ and are not 1.

    >>> broadcast_shapes((5, 1, 5, 1), (1, 5, 1, 5)), broadcast_shapes((2, 5), (5,)), broadcast_shapes(3, ())
    ((5, 5, 5, 5), (2, 5), (3,))
    """
    as_tuples = []
    for shape in shapes:
        sizes: tuple[Any, ...] = (shape,) if isinstance(shape, numbers.Integral) else tuple(shape)  # type: ignore[arg-type]
        if not all(isinstance(n, numbers.Integral) and not isinstance(n, bool) and int(n) >= 0 for n in sizes):
            raise TypeError(f"broadcast_shapes: a shape is a tuple of ints >= 0 (or one int), got {shape!r}")
        as_tuples.append(tuple(int(n) for n in sizes))  # numpy's ints as Python's
    result: tuple[int, ...] = ()
    for shape in as_tuples:
        result = _broadcast_pair(result, shape)
    return result


def _broadcast_pair(first: tuple[int, ...], second: tuple[int, ...]) -> tuple[int, ...]:
    ndim = max(len(first), len(second))
    a, b = (1,) * (ndim - len(first)) + first, (1,) * (ndim - len(second)) + second
    for axis, (m, n) in enumerate(zip(a, b)):
        if m != n and 1 not in (m, n):
            raise ValueError(
                f"broadcast_shapes: shapes {first} and {second} do not broadcast: aligned from the right, axis "
                f"{axis - ndim} has sizes {m} and {n} (each pair must be equal or one of them 1); reshape one "
                "of them (a size-1 axis stretches), or keep a reduced axis with keepdim=True"
            )
    return tuple(m if n == 1 else n for m, n in zip(a, b))
