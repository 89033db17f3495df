"""Making tensors: ``ag.tensor``, ``zeros/ones/full/empty`` (and ``_like``), ``arange``, ``linspace``,
``eye``, ``from_numpy``; random ones are in ``sampling.py``.

PyTorch's names and signatures, ``device="cpu"`` included (numpy computes on the CPU: another device is
refused). One difference: floating-point data defaults to float64, as everywhere in this engine
(PyTorch's default is float32); pass ``dtype=np.float32`` (or ``ag.float32``) for that.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .tensor import Tensor
from .tensor_inputs import require_cpu
from .types import DTypeLike, Number, Shape, TensorLike


def tensor(
    data: TensorLike, dtype: DTypeLike | None = None, requires_grad: bool = False, device: str | None = None
) -> Tensor:
    """A new tensor holding a copy of ``data``. Unlike ``Tensor(...)`` (always float for Python data),
    the dtype is inferred as PyTorch does: ints stay int64, bools bool, floats become float64.

    >>> tensor([1, 2]).dtype, tensor([1.5]).dtype
    (dtype('int64'), dtype('float64'))
    """
    require_cpu("tensor", device)
    source = data.data if isinstance(data, Tensor) else data
    try:
        array = np.array(source)  # always a copy, with numpy's dtype inference
    except (ValueError, TypeError):
        array = None
    if array is None or array.dtype.kind not in "biuf":
        return Tensor(source, requires_grad=requires_grad, dtype=dtype)  # Tensor explains what is wrong
    return Tensor(array, requires_grad=requires_grad, dtype=_dtype("tensor", dtype))


def zeros(
    *size: int | Shape | list[int],
    dtype: DTypeLike | None = None,
    requires_grad: bool = False,
    device: str | None = None,
) -> Tensor:
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``; float64 unless ``dtype`` says otherwise."""
    require_cpu("zeros", device)
    return _filled("zeros", size, 0, dtype, requires_grad)


def ones(
    *size: int | Shape | list[int],
    dtype: DTypeLike | None = None,
    requires_grad: bool = False,
    device: str | None = None,
) -> Tensor:
    """A tensor of ones: ``ones(2, 3)`` or ``ones((2, 3))``."""
    require_cpu("ones", device)
    return _filled("ones", size, 1, dtype, requires_grad)


def full(
    size: int | Shape | list[int],
    fill_value: Number | bool,
    dtype: DTypeLike | None = None,
    requires_grad: bool = False,
    device: str | None = None,
) -> Tensor:
    """A tensor of shape ``size`` filled with ``fill_value`` (an int fill gives int64, as PyTorch).

    >>> full((2,), 7.0)
    Tensor([7., 7.])
    """
    require_cpu("full", device)
    if not isinstance(fill_value, (numbers.Number, np.generic)):
        raise TypeError(f"full: fill_value must be a number, got {type(fill_value).__name__}")
    if dtype is None and isinstance(fill_value, (float, np.floating)):
        dtype = np.float64
    return Tensor(
        np.full(_shape("full", (size,)), fill_value, dtype=_dtype("full", dtype)), requires_grad=requires_grad
    )


def empty(
    *size: int | Shape | list[int],
    dtype: DTypeLike | None = None,
    requires_grad: bool = False,
    device: str | None = None,
) -> Tensor:
    """A tensor whose values are whatever the memory held (fast; overwrite before reading)."""
    require_cpu("empty", device)
    return Tensor(
        np.empty(_shape("empty", size), dtype=_dtype("empty", dtype) or np.float64), requires_grad=requires_grad
    )


def empty_like(
    t: Tensor | np.ndarray[Any, Any],
    dtype: DTypeLike | None = None,
    requires_grad: bool = False,
    device: str | None = None,
) -> Tensor:
    """``t``'s shape and dtype, the values unspecified (PyTorch's ``empty_like``; zeros here)."""
    require_cpu("empty_like", device)
    return _like("empty_like", t, 0, dtype, requires_grad)


def zeros_like(
    t: Tensor | np.ndarray[Any, Any],
    dtype: DTypeLike | None = None,
    requires_grad: bool = False,
    device: str | None = None,
) -> Tensor:
    """Zeros with ``t``'s shape and dtype."""
    require_cpu("zeros_like", device)
    return _like("zeros_like", t, 0, dtype, requires_grad)


def ones_like(
    t: Tensor | np.ndarray[Any, Any],
    dtype: DTypeLike | None = None,
    requires_grad: bool = False,
    device: str | None = None,
) -> Tensor:
    """Ones with ``t``'s shape and dtype."""
    require_cpu("ones_like", device)
    return _like("ones_like", t, 1, dtype, requires_grad)


def full_like(
    t: Tensor | np.ndarray[Any, Any],
    fill_value: Number | bool,
    dtype: DTypeLike | None = None,
    requires_grad: bool = False,
    device: str | None = None,
) -> Tensor:
    """``fill_value`` everywhere, with ``t``'s shape and dtype."""
    require_cpu("full_like", device)
    return _like("full_like", t, fill_value, dtype, requires_grad)


def arange(
    start: Number,
    end: Number | None = None,
    step: Number = 1,
    dtype: DTypeLike | None = None,
    requires_grad: bool = False,
    device: str | None = None,
) -> Tensor:
    """Evenly spaced values in [start, end): ``arange(5)`` is 0..4 (int64); a float bound gives float64.

    >>> arange(0, 1, 0.25)
    Tensor([0.  , 0.25, 0.5 , 0.75])
    """
    require_cpu("arange", device)
    start, end = (0, start) if end is None else (start, end)
    start, end, step = _scalar_of(start), _scalar_of(end), _scalar_of(step)
    for name, value in (("start", start), ("end", end), ("step", step)):
        if not isinstance(value, (numbers.Real, np.generic)) or isinstance(value, bool):
            raise TypeError(f"arange: {name} must be a number, got {value!r}")
    if step == 0:
        raise ValueError("arange: step must not be zero")
    return Tensor(np.arange(start, end, step, dtype=_dtype("arange", dtype)), requires_grad=requires_grad)


def linspace(
    start: Number,
    end: Number,
    steps: int,
    dtype: DTypeLike | None = None,
    requires_grad: bool = False,
    device: str | None = None,
) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive.

    >>> linspace(0, 1, 3)
    Tensor([0. , 0.5, 1. ])
    """
    require_cpu("linspace", device)
    start, end, steps = _scalar_of(start), _scalar_of(end), _scalar_of(steps)
    if not isinstance(steps, numbers.Integral) or isinstance(steps, bool) or steps < 0:
        raise ValueError(f"linspace: steps must be a non-negative int, got {steps!r}")
    return Tensor(
        np.linspace(start, end, steps, dtype=_dtype("linspace", dtype) or np.float64), requires_grad=requires_grad
    )


def eye(
    n: int, m: int | None = None, dtype: DTypeLike | None = None, requires_grad: bool = False, device: str | None = None
) -> Tensor:
    """The n x m identity matrix (n x n without ``m``)."""
    require_cpu("eye", device)
    rows, cols = _shape("eye", (n, n if m is None else m))
    return Tensor(np.eye(rows, cols, dtype=_dtype("eye", dtype) or np.float64), requires_grad=requires_grad)


def from_numpy(array: np.ndarray[Any, Any]) -> Tensor:
    """A Tensor on ``array``'s memory (a change to one shows in the other), as PyTorch's.

    >>> a = np.zeros(2); t = from_numpy(a); a[0] = 5.0
    >>> t
    Tensor([5., 0.])
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy array, got {type(array).__name__}; use ag.tensor(data)")
    return Tensor(array)


# ------------------------------------------------------------------ PyTorch's legacy typed constructors
def FloatTensor(*data_or_size: Any) -> Tensor:
    """PyTorch's legacy ``torch.FloatTensor``: ``FloatTensor(data)`` is a float32 copy of ``data`` (Géron's MC
    dropout writes ``torch.FloatTensor(images / 255)``), ``FloatTensor(2, 3)`` an uninitialised float32 tensor of
    that shape. New code writes ``ag.tensor(data, dtype=np.float32)``.

    >>> FloatTensor(np.array([[0.5, 1.0]])).dtype, FloatTensor(2, 3).shape
    (dtype('float32'), (2, 3))
    """
    return _legacy("FloatTensor", np.dtype(np.float32), data_or_size)


def LongTensor(*data_or_size: Any) -> Tensor:
    """PyTorch's legacy ``torch.LongTensor``: an int64 copy of ``data`` (values truncated toward 0, as torch's),
    or an uninitialised int64 tensor of the sizes given.

    >>> LongTensor([1.7, 2.0]).tolist()
    [1, 2]
    """
    return _legacy("LongTensor", np.dtype(np.int64), data_or_size)


def _legacy(op: str, dtype: np.dtype[Any], args: tuple[Any, ...]) -> Tensor:
    if not args or all(isinstance(n, (numbers.Integral, np.integer)) and not isinstance(n, bool) for n in args):
        return Tensor(np.empty(_shape(op, args), dtype=dtype))  # torch.FloatTensor(2, 3), or () for an empty one
    if len(args) > 1:
        raise TypeError(f"{op}: give one array of data, or the sizes as ints, got {len(args)} arguments: {args!r}")
    source = args[0].data if isinstance(args[0], Tensor) else args[0]
    array = np.array(source)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{op}: expected numbers (a list or numpy array), got {array.dtype} data")
    return Tensor(array.astype(dtype))


# ------------------------------------------------------------------ checks
def _shape(op: str, size: tuple[Any, ...]) -> Shape:
    """``(2, 3)`` from ``size`` given as ``(2, 3)``, ``((2, 3),)`` or ``([2, 3],)``."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    size = tuple(map(_scalar_of, size))  # ones(n) with n a one-element tensor, as PyTorch's
    for n in size:
        if not isinstance(n, (numbers.Integral, np.integer)) or isinstance(n, bool):
            raise TypeError(f"{op}: sizes must be ints, got {size!r}; e.g. {op}(2, 3) or {op}((2, 3))")
        if n < 0:
            raise ValueError(f"{op}: sizes must be non-negative, got {size!r}")
    return tuple(int(n) for n in size)


def _scalar_of(value: Any) -> Any:
    """A one-element tensor's number (``arange(n)``, ``zeros(n, 2)`` with ``n = y.max() + 1``); else the value."""
    return value.item() if isinstance(value, Tensor) and value.size == 1 else value


def _integer(op: str, name: str, value: object) -> int:
    value = _scalar_of(value)
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{op}: {name} must be an int, got {value!r}")
    return int(value)


def _dtype(op: str, dtype: DTypeLike | None) -> np.dtype[Any] | None:
    if dtype is None:
        return None
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(
            f"{op}: unknown dtype {dtype!r}; use a numpy dtype such as np.float32, np.float64 or np.int64"
        ) from None
    if dtype.kind not in "biuf":
        raise TypeError(f"{op}: dtype {dtype} is not numeric; use np.float32, np.float64, np.int64 or bool")
    return dtype


def _filled(
    op: str, size: tuple[Any, ...], value: Number | bool, dtype: DTypeLike | None, requires_grad: bool
) -> Tensor:
    return Tensor(np.full(_shape(op, size), value, dtype=_dtype(op, dtype) or np.float64), requires_grad=requires_grad)


def _like(op: str, t: object, value: Number | bool, dtype: DTypeLike | None, requires_grad: bool) -> Tensor:
    if not isinstance(t, (Tensor, np.ndarray)):
        raise TypeError(f"{op}: expected a Tensor or numpy array, got {type(t).__name__}")
    return Tensor(np.full(t.shape, value, dtype=_dtype(op, dtype) or t.dtype), requires_grad=requires_grad)
