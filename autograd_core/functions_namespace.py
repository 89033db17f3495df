"""The everyday ``torch.X`` names a port writes that ``ag`` lacked (a diff of ``dir(torch)`` against ``dir(ag)``
found them): ``ag.sign`` (the Tensor had ``.sign()``, the namespace did not), ``isin``, ``isreal``, ``rsub``,
``t``, ``detach``, ``adjoint``, ``fill``, ``get_device``, ``newaxis``, ``broadcast_tensors``, ``chain_matmul``,
``trapz``, ``vander``, ``unravel_index``, and the creators ``scalar_tensor``, ``asarray``, ``frombuffer``,
``logspace`` and torch's inclusive ``range``. Each is the Tensor method or a composition of existing ops, so the
differentiable ones need no derivative of their own.

This module also gathers into ``ag`` the dtype questions of ``dtype_info.py`` (``ag.finfo``, ``ag.result_type``,
``ag.Size``), the settings of ``runtime_settings.py`` (``ag.set_num_threads``,
``ag.use_deterministic_algorithms``), the in-place spellings of ``functions_inplace.py`` (``ag.relu_(x)``), the
windows of ``signal_windows.py`` (``ag.hann_window``), ``geqrf orgqr ormqr`` of ``linalg_householder.py`` and the
numerics of ``functions_numerics.py`` (``ag.gradient``, ``ag.histogramdd``, ``ag.svd_lowrank``, ...).
``ag.range`` and ``ag.t`` stay out of ``__all__``: a star import must not shadow Python's ``range`` (nor take a
one-letter name).

>>> ag.sign(ag.tensor([-2.0, 0.0, 3.0]))
Tensor([-1.,  0.,  1.])
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from . import dtype_info, functions_inplace, functions_numerics, linalg_householder, runtime_settings, signal_windows
from .broadcasting import broadcast_shapes
from .creation import _dtype
from .dtype_info import *  # noqa: F403
from .functions import as_tensor
from .functions_inplace import *  # noqa: F403
from .functions_layout import get_default_dtype
from .functions_numerics import *  # noqa: F403
from .linalg_householder import *  # noqa: F403
from .runtime_settings import *  # noqa: F403
from .signal_windows import *  # noqa: F403
from .tensor import Tensor
from .types import DTypeLike, Number, TensorLike


def sign(x: TensorLike) -> Tensor:
    """-1, 0 or 1 by the sign of each element, as ``torch.sign`` (``x.sign()``): piecewise constant, so its
    gradient is zero.

    >>> sign(Tensor([-0.5, 0.0, 2.0]))
    Tensor([-1.,  0.,  1.])
    """
    return as_tensor(x).sign()


def isreal(x: TensorLike) -> Tensor:
    """Where each element is real (all of them: this engine has no complex dtype), as ``torch.isreal``.

    >>> isreal(Tensor([1.0, 2.0])).tolist()
    [True, True]
    """
    return as_tensor(x).isreal()


def isin(
    elements: TensorLike, test_elements: TensorLike, *, assume_unique: bool = False, invert: bool = False
) -> Tensor:
    """Where each of ``elements`` occurs in ``test_elements`` (a boolean tensor of ``elements``' shape; either
    may be a number), as ``torch.isin``; ``invert=True`` asks where it does not. No gradient (a comparison).

    >>> isin(ag.tensor([[1, 2], [3, 4]]), ag.tensor([2, 3])).tolist()
    [[False, True], [True, False]]
    """
    values, tests = (x.data if isinstance(x, Tensor) else np.asarray(x) for x in (elements, test_elements))
    for name, array in (("elements", values), ("test_elements", tests)):
        if array.dtype == object:
            raise TypeError(f"isin: {name} must be numbers or a tensor of numbers, got dtype object")
    return Tensor(np.isin(values, tests, assume_unique=assume_unique, invert=invert))


def rsub(input: TensorLike, other: TensorLike, *, alpha: Number = 1) -> Tensor:
    """``other - alpha * input`` (the reversed subtraction, ``other.__rsub__``), as ``torch.rsub``.

    >>> rsub(Tensor([1.0, 2.0]), 10.0, alpha=2)
    Tensor([8., 6.])
    """
    if isinstance(alpha, bool) or not isinstance(alpha, (numbers.Number, np.generic)):
        raise TypeError(f"rsub: alpha must be a number, got {alpha!r}")
    x = as_tensor(input)
    return as_tensor(other) - (x if alpha == 1 else alpha * x)


def t(x: TensorLike) -> Tensor:
    """The transpose of a matrix (0-d and 1-d tensors as they are), as ``torch.t`` (``x.t()``).

    >>> t(Tensor([[1.0, 2.0]])).shape
    (2, 1)
    """
    return as_tensor(x).t()


def detach(x: TensorLike) -> Tensor:
    """The same values cut from the graph (no gradient flows back through it), as ``torch.detach``.

    >>> detach(Tensor([1.0], requires_grad=True)).requires_grad
    False
    """
    return as_tensor(x).detach()


def adjoint(x: TensorLike) -> Tensor:
    """The conjugate transpose of the last two axes, as ``torch.adjoint``: ``x.mT`` for real tensors.

    >>> adjoint(Tensor([[1.0, 2.0]])).shape
    (2, 1)
    """
    return as_tensor(x).adjoint()


def fill(x: TensorLike, value: Number) -> Tensor:
    """A new tensor of ``x``'s shape and dtype holding ``value`` everywhere, as ``torch.fill`` (``x.fill_`` writes
    in place). No gradient reaches ``x``: its values are all replaced.

    >>> fill(ag.tensor([1, 2, 3]), 7)
    Tensor([7, 7, 7], dtype=int64)
    """
    from .creation import full_like

    return full_like(as_tensor(x), value)


def get_device(x: TensorLike) -> int:
    """The device index, as ``torch.get_device``: -1, the CPU (the only device here).

    >>> get_device(Tensor([1.0]))
    -1
    """
    return int(as_tensor(x).get_device())


newaxis = None  # torch.newaxis (numpy's): x[:, ag.newaxis]


def broadcast_tensors(*tensors: TensorLike) -> tuple[Tensor, ...]:
    """The tensors broadcast to their common shape, as ``torch.broadcast_tensors``; differentiable (each
    gradient sums back over the broadcast axes).

    >>> a, b = broadcast_tensors(Tensor([[1.0], [2.0]]), Tensor([10.0, 20.0, 30.0]))
    >>> a.shape, b.shape
    ((2, 3), (2, 3))
    """
    parts = [as_tensor(x) for x in tensors]
    shape = broadcast_shapes(*(x.shape for x in parts))
    return tuple(x if x.shape == shape else x.broadcast_to(shape) for x in parts)


def chain_matmul(*matrices: TensorLike) -> Tensor:
    """The product of 2-D matrices in the cheapest order, as ``torch.chain_matmul`` (deprecated there in favour
    of ``torch.linalg.multi_dot``, which this calls).

    >>> chain_matmul(Tensor([[1.0, 2.0]]), Tensor([[3.0], [4.0]]), Tensor([[2.0]]))
    Tensor([[22.]])
    """
    from .linalg_products import multi_dot

    if not matrices:
        raise ValueError("chain_matmul: needs at least one matrix, got none")
    parts = [as_tensor(m) for m in matrices]
    bad = [m.shape for m in parts if m.ndim != 2]
    if bad:
        raise ValueError(f"chain_matmul: every matrix must be 2-D, got shapes {[m.shape for m in parts]}")
    return parts[0] if len(parts) == 1 else multi_dot(parts)


def trapz(y: TensorLike, x: TensorLike | None = None, *, dx: float = 1.0, dim: int = -1) -> Tensor:
    """The trapezoidal rule along ``dim``, as ``torch.trapz`` (an old name of ``trapezoid``).

    >>> trapz(Tensor([0.0, 1.0, 2.0]))
    Tensor(2.)
    """
    from .functions_idioms import trapezoid

    return trapezoid(y, x, dx=dx, dim=dim)


def vander(x: TensorLike, N: int | None = None, increasing: bool = False) -> Tensor:
    """The Vandermonde matrix of a vector, as ``torch.vander``: columns x^(N-1), ..., x^0 (numpy's order), or
    x^0, ..., x^(N-1) with ``increasing=True`` (``ag.linalg.vander``'s). Differentiable, finite at x = 0.

    >>> vander(Tensor([2.0, 3.0]), N=3)
    Tensor([[4., 2., 1.],
            [9., 3., 1.]])
    """
    from .linalg_products import vander as increasing_vander

    v = as_tensor(x)
    if v.ndim != 1:
        raise ValueError(f"vander: x must be a vector (1-D), got shape {v.shape}; for a batch use ag.linalg.vander")
    if N == 0:
        return Tensor(np.zeros((v.shape[0], 0), v.dtype))
    powers = increasing_vander(v, N=N)
    return powers if increasing else powers.flip(-1)


def unravel_index(indices: TensorLike, shape: int | tuple[int, ...] | list[int]) -> tuple[Tensor, ...]:
    """The coordinates (one int64 tensor per axis of ``shape``) of flat indices into a C-ordered tensor of that
    shape, as ``torch.unravel_index``; negative indices count from the end, as Python's.

    >>> unravel_index(ag.tensor([4, 5]), (2, 3))
    (Tensor([1, 1], dtype=int64), Tensor([1, 2], dtype=int64))
    """
    dims = (shape,) if isinstance(shape, int) else tuple(shape)
    if any(isinstance(d, bool) or not isinstance(d, numbers.Integral) or d < 0 for d in dims):
        raise ValueError(f"unravel_index: shape must be non-negative ints, got {shape!r}")
    flat = indices.data if isinstance(indices, Tensor) else np.asarray(indices)
    if not (np.issubdtype(flat.dtype, np.integer) and flat.dtype != np.bool_):
        raise TypeError(f"unravel_index: indices must be integers, got dtype {flat.dtype}; round them and .long()")
    size = math.prod(dims)
    if flat.size and (flat.max() >= size or flat.min() < -size):
        raise ValueError(
            f"unravel_index: indices must lie in [{-size}, {size - 1}] for shape {dims}, got values from "
            f"{flat.min()} to {flat.max()}"
        )
    coordinates = np.unravel_index(np.where(flat < 0, flat + size, flat).astype(np.int64), dims)
    return tuple(Tensor(np.asarray(c, np.int64)) for c in coordinates)


# ------------------------------------------------------------------------------------------------ creators
def _float_dtype(op: str, dtype: DTypeLike | None) -> Any:
    """torch's creators make the default float dtype (here float64) unless told otherwise."""
    return _dtype(op, dtype) or get_default_dtype()


def _check_number(op: str, name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.generic)):
        raise TypeError(f"{op}: {name} must be a real number, got {value!r}")


def scalar_tensor(s: Number, *, dtype: DTypeLike | None = None, requires_grad: bool = False) -> Tensor:
    """A 0-d tensor holding ``s``, float (the default dtype) unless ``dtype`` says, as ``torch.scalar_tensor``.

    >>> scalar_tensor(3)
    Tensor(3.)
    """
    if isinstance(s, bool):
        s = int(s)
    _check_number("scalar_tensor", "s", s)
    return Tensor(np.asarray(s, _float_dtype("scalar_tensor", dtype)), requires_grad=requires_grad)


def logspace(
    start: Number,
    end: Number,
    steps: int,
    base: float = 10.0,
    *,
    dtype: DTypeLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """``steps`` values from base**start to base**end, evenly spaced in the exponent, as ``torch.logspace``.

    >>> logspace(0, 2, 3)
    Tensor([  1.,  10., 100.])
    """
    for name, value in (("start", start), ("end", end), ("base", base)):
        _check_number("logspace", name, value)
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 0:
        raise ValueError(f"logspace: steps must be a non-negative int, got {steps!r}")
    values = np.logspace(start, end, steps, base=base).astype(_float_dtype("logspace", dtype))
    return Tensor(values, requires_grad=requires_grad)


def range(  # noqa: A001 (torch's name)
    start: Number = 0,
    end: Number | None = None,
    step: Number = 1,
    *,
    dtype: DTypeLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """Values from ``start`` to ``end`` INCLUSIVE in steps of ``step``, as the deprecated ``torch.range`` of old
    code: floor((end - start) / step) + 1 of them, float by default (``arange`` excludes ``end``).

    >>> ag.range(1, 4)
    Tensor([1., 2., 3., 4.])
    """
    start, end = (0, start) if end is None else (start, end)
    for name, value in (("start", start), ("end", end), ("step", step)):
        _check_number("range", name, value)
    if step == 0 or (end - start) * step < 0:
        raise ValueError(
            f"range: step {step} cannot go from {start} to {end}; give a step of the sign of end - start (not 0)"
        )
    count = math.floor((end - start) / step) + 1
    return Tensor(start + step * np.arange(count, dtype=_float_dtype("range", dtype)), requires_grad=requires_grad)


def asarray(
    obj: Any, *, dtype: DTypeLike | None = None, copy: bool | None = None, requires_grad: bool = False
) -> Tensor:
    """``obj`` as a tensor, as ``torch.asarray``: a tensor or numpy array of a fitting dtype is SHARED (writes
    show through) unless ``copy=True``; ``copy=False`` refuses to copy. Python data takes numpy's dtypes.

    >>> a = np.zeros(2)
    >>> t = asarray(a)
    >>> a[0] = 5.0
    >>> t
    Tensor([5., 0.])
    """
    wanted = _dtype("asarray", dtype)
    if isinstance(obj, Tensor):
        if copy is not True and (wanted is None or wanted == obj.dtype):
            return obj.requires_grad_(True) if requires_grad and not obj.requires_grad else obj
        obj = obj.data
    if copy is False and not isinstance(obj, np.ndarray):
        raise ValueError("asarray: copy=False, but Python data must be copied into an array; pass copy=None")
    try:
        array = np.array(obj, dtype=wanted, copy=copy) if copy is not None else np.asarray(obj, dtype=wanted)
    except ValueError as error:
        if copy is False:
            raise ValueError(
                f"asarray: copy=False, but a {obj.dtype} array must be copied to become {wanted}; pass copy=None"
            ) from None
        raise ValueError(f"asarray: cannot make a tensor of this {type(obj).__name__} ({error})") from None
    if array.dtype == object:
        raise TypeError(f"asarray: cannot make a tensor of {type(obj).__name__} (ragged or non-numeric data)")
    return _share(array, requires_grad)


def _share(array: np.ndarray, requires_grad: bool) -> Tensor:
    """A tensor on ``array``'s memory (``Tensor(ndarray)`` keeps it, as ``from_numpy``)."""
    return Tensor(array, requires_grad=requires_grad)


def frombuffer(
    buffer: Any, *, dtype: DTypeLike, count: int = -1, offset: int = 0, requires_grad: bool = False
) -> Tensor:
    """A 1-D tensor over the bytes of a Python buffer (``bytes``, ``bytearray``, ``array.array``, ...), as
    ``torch.frombuffer``: it SHARES the buffer's memory (a ``bytes`` one is read-only, so in-place writes fail).

    >>> frombuffer(bytearray(b"\\x01\\x02\\x03"), dtype=ag.uint8, offset=1)
    Tensor([2, 3], dtype=uint8)
    """
    try:
        array = np.frombuffer(buffer, dtype=_dtype("frombuffer", dtype), count=count, offset=offset)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"frombuffer: cannot read {count} item(s) of {dtype} at byte offset {offset} from a "
            f"{type(buffer).__name__} ({error}); check count, offset and that the size is a multiple of the item size"
        ) from None
    return _share(array, requires_grad)


__all__ = ["sign", "isreal", "isin", "rsub", "detach", "broadcast_tensors", "chain_matmul", "trapz", "vander"]
__all__ += ["unravel_index", "scalar_tensor", "logspace", "asarray", "frombuffer"]  # (not range, t: see above)
__all__ += ["adjoint", "fill", "get_device", "newaxis"]
__all__ += dtype_info.__all__ + functions_inplace.__all__ + functions_numerics.__all__ + signal_windows.__all__
__all__ += runtime_settings.__all__ + linalg_householder.__all__
