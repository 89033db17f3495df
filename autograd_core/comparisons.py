"""PyTorch's comparisons of values, ``ag.isclose``, ``ag.allclose``, ``ag.equal`` and the elementwise
``ag.eq ne gt ge lt le`` (``torch.lt(x, threshold)``): answers about the numbers (a boolean tensor or a Python
bool), never recorded, so no gradient flows through them.
"""

from __future__ import annotations

import numpy as np

from .tensor import Tensor
from .types import TensorLike


def isclose(
    x: TensorLike, other: TensorLike, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> Tensor:
    """Where ``|x - other| <= atol + rtol * |other|``, elementwise (a boolean tensor, no gradient), as
    ``torch.isclose`` with its tolerances.

    >>> isclose(Tensor([1.0, 2.0]), Tensor([1.0 + 1e-9, 2.1]))
    Tensor([ True, False], dtype=bool)
    """
    a, b = _values("isclose", x), _values("isclose", other)
    for name, tolerance in (("rtol", rtol), ("atol", atol)):
        if not tolerance >= 0:  # (numpy would take a negative one and answer False everywhere)
            raise ValueError(f"isclose: {name} must be a number >= 0, got {tolerance!r}")
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        message = f"isclose: shapes {a.shape} and {b.shape} do not broadcast; compare tensors of one shape"
        raise ValueError(message) from None
    return Tensor(np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(
    x: TensorLike, other: TensorLike, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> bool:
    """True when ``isclose`` holds everywhere (broadcast shapes), as ``torch.allclose``: a Python bool.

    >>> allclose(Tensor([1.0, 2.0]), Tensor([1.0, 2.0 + 1e-9]))
    True
    """
    try:
        return bool(isclose(x, other, rtol, atol, equal_nan)._data.all())
    except (ValueError, TypeError) as error:  # (named by the function called)
        raise type(error)(str(error).replace("isclose:", "allclose:", 1)) from None


def equal(x: TensorLike, other: TensorLike) -> bool:
    """True when both have the same shape and the same values (NaN never equals), as ``torch.equal``.

    >>> equal(Tensor([1.0, 2.0]), Tensor([1.0, 2.0])), equal(Tensor([1.0]), Tensor([1.0, 1.0]))
    (True, False)
    """
    a, b = _values("equal", x), _values("equal", other)
    return a.shape == b.shape and bool(np.array_equal(a, b))


def lt(x: TensorLike, other: TensorLike) -> Tensor:
    """``x < other``, elementwise (broadcasting), as ``torch.lt``: a boolean tensor, no gradient. The wine
    classifier's ``predicted = torch.lt(total_sulfur, 141.83)``.

    >>> lt(Tensor([100.0, 150.0]), 141.83), le(Tensor([1, 2]), 1), gt(Tensor([1, 2]), 1)
    (Tensor([ True, False], dtype=bool), Tensor([ True, False], dtype=bool), Tensor([False,  True], dtype=bool))
    """
    return _tensor("lt", x) < other


def le(x: TensorLike, other: TensorLike) -> Tensor:
    """``x <= other``, elementwise, as ``torch.le``."""
    return _tensor("le", x) <= other


def gt(x: TensorLike, other: TensorLike) -> Tensor:
    """``x > other``, elementwise, as ``torch.gt``."""
    return _tensor("gt", x) > other


def ge(x: TensorLike, other: TensorLike) -> Tensor:
    """``x >= other``, elementwise, as ``torch.ge``."""
    return _tensor("ge", x) >= other


def eq(x: TensorLike, other: TensorLike) -> Tensor:
    """``x == other``, elementwise, as ``torch.eq`` (``ag.equal`` answers for the whole tensor)."""
    return _tensor("eq", x) == other


def ne(x: TensorLike, other: TensorLike) -> Tensor:
    """``x != other``, elementwise, as ``torch.ne``."""
    return _tensor("ne", x) != other


def _tensor(op: str, x: TensorLike) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(_values(op, x))


def _values(op: str, x: TensorLike) -> np.ndarray:
    """The numbers of a Tensor, an array or nested lists, refused (one line, naming ``op``) when they are not."""
    array = np.asarray(x._data if isinstance(x, Tensor) else x)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{op}: expected numbers (a Tensor, array or list of them), got {array.dtype} values")
    return array
