"""What the Tensor's method files share: the base class of their mixins and the axis arguments.

``Tensor`` (tensor.py) holds the fields, the primitive ops and the hot operator path; it
inherits the composed methods from ``TensorMethods`` (tensor_methods.py) and the views,
conversions and graph attributes from ``TensorViews`` (tensor_views.py). Both mixins derive
from ``TensorBase``, which declares for the type checker what they use of ``Tensor``; at run
time it adds the array's ``shape ndim size dtype``, and numpy's ``__array__``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from .types import Array, Axis, DTypeLike, Shape, TensorLike

if TYPE_CHECKING:
    from .primitives import Primitive
    from .tensor import Tensor

#: What ``register_hook`` takes: a function of the gradient that may return a replacement.
Hook = Callable[["Tensor"], "TensorLike | None"]


class Size(int):
    """A tensor's number of elements (numpy's ``t.size``) that PyTorch code can call as its ``t.size(dim)``:
    an int (a Python number to a Tensor; numpy takes an int subclass as int64, so ``float32_array / t.size``
    is float64: write ``t.numel()`` there), the shape when called without an axis.

    >>> n = Size((4, 5))
    >>> n, n + 1, n(), n(0), n(dim=-1)
    (20, 21, (4, 5), 4, 5)
    """

    _shape: Shape

    def __new__(cls, shape: Shape) -> Size:
        size = super().__new__(cls, math.prod(shape))
        size._shape = tuple(shape)
        return size

    def __call__(self, dim: int | None = None) -> Any:
        """PyTorch's ``t.size()`` (the shape) and ``t.size(dim)`` (one axis length; negative counts from the end)."""
        if dim is None:
            return self._shape
        n = len(self._shape)
        if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool) or not -n <= dim < n:
            if not n:
                raise IndexError(f"size: a 0-d tensor has no axis {dim!r}; call t.size()")
            raise IndexError(
                f"size: dim {dim!r} is out of range for a tensor of shape {self._shape}; give -{n}..{n - 1}"
            )
        return self._shape[dim]

    def __reduce__(self) -> tuple[Any, ...]:  # pickles, copies and deep-copies as the plain int it stands for
        return (int, (int(self),))


class TensorBase:
    """The mixins' common base: the array's shape, size and dtype, numpy's ``__array__``, and (for the
    type checker only) the part of ``Tensor`` that the mixins use."""

    def __array__(self, dtype: DTypeLike | None = None, copy: bool | None = None) -> Array:
        """``np.asarray(t)``: the values (the same memory as ``.data`` unless cast); ``np.array(t)``, which asks
        for ``copy=True``, a copy (numpy 2 trusts ``__array__`` to make it)."""
        if copy:
            return np.array(self.data, dtype=dtype, copy=True)
        return self.data if dtype is None else self.data.astype(dtype, copy=False)

    @property
    def shape(self) -> Shape:
        """Tuple of axis lengths."""
        return self._data.shape

    @property
    def ndim(self) -> int:
        """Number of axes."""
        return self._data.ndim

    @property
    def size(self) -> Size:
        """Number of elements, as numpy's; PyTorch's calls work too: ``t.size()`` is the shape, ``t.size(0)``
        an axis length.

        >>> t = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        >>> t.size, t.size(), t.size(-1)
        (6, (2, 3), 3)
        """
        return Size(self._data.shape)

    def _write_fitting(self, method: str, compute: Callable[[Tensor], Tensor]) -> Tensor:
        """An in-place form's one writer (``sin_``, ``eq_``, ...): ``compute``'s value written into this tensor, once
        the refusals of ``add_`` pass and the value's dtype fits this one (float into int would truncate: PyTorch
        refuses it too)."""
        t: Any = self._in_place(method)  # type: ignore[attr-defined]  # (TensorInPlace's, the refusals first)
        value = np.asarray(compute(t)._data)
        if not np.can_cast(value.dtype, t.dtype, casting="same_kind"):
            raise TypeError(
                f"{method}: the result is {value.dtype}, which this {t.dtype} tensor cannot hold; cast first "
                f"(x = x.to({str(value.dtype)!r})) or write the out-of-place form (y = x.{method[:-1]}(...))"
            )
        t[...] = value
        return cast("Tensor", t)

    @property
    def dtype(self) -> np.dtype[Any]:
        """The numpy dtype."""
        return self._data.dtype

    if TYPE_CHECKING:  # defined in tensor.py; declared here so that the mixins type-check
        _data: Array | np.generic
        _prim: type[Primitive] | None
        _params: dict[str, Any]
        _parents: tuple[Tensor, ...]
        _seq: int
        _epoch: int
        _version: int
        _detached_at: int
        _retains_grad: bool
        _watched: bool
        _hooks: list[Hook] | None
        requires_grad: bool
        grad: Array | None

        @property
        def data(self) -> Array: ...
        @property
        def T(self) -> Tensor: ...
        @classmethod
        def apply(cls, prim: type[Primitive], *inputs: TensorLike, **params: Any) -> Tensor: ...
        def reshape(self, *shape: int | Shape | list[int]) -> Tensor: ...
        def transpose(self, *axes: int | Shape | list[int]) -> Tensor: ...
        def broadcast_to(self, *shape: int | Shape | list[int]) -> Tensor: ...
        def sum(
            self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: bool | None = None
        ) -> Tensor: ...
        def max(
            self, dim: Axis = None, keepdim: bool = False, *, axis: Axis = None, keepdims: bool | None = None
        ) -> Any: ...
        def _with_indices(self, op: str, dim: int, keepdim: bool) -> Any: ...
        def maximum(self, other: TensorLike) -> Tensor: ...
        def abs(self) -> Tensor: ...
        def _shifted(self, op: str, axis: Axis) -> tuple[Tensor, Tensor, tuple[int, ...]]: ...
        def __neg__(self) -> Tensor: ...
        def __sub__(self, other: TensorLike) -> Tensor: ...
        def __mul__(self, other: TensorLike) -> Tensor: ...
        def __pow__(self, other: TensorLike) -> Tensor: ...
        def __matmul__(self, other: TensorLike) -> Tensor: ...


def torch_axis(op: str, axis: Axis, keepdims: bool, dim: Axis, keepdim: bool | None) -> tuple[Axis, bool]:
    """(axis, keepdims) from either spelling: numpy's ``axis``/``keepdims`` or PyTorch's ``dim``/``keepdim``.

    >>> torch_axis("sum", None, False, 1, True)
    (1, True)
    """
    if dim is not None:
        if axis is not None:
            raise TypeError(f"{op}: give axis= or dim= (the same thing), not both")
        axis = dim
    return axis, keepdims if keepdim is None else keepdim


def normalize_axes(op: str, axis: Axis | Sequence[Any], ndim: int) -> tuple[int, ...]:
    """``axis`` as a tuple of non-negative axes of an ``ndim``-d tensor (None: all of them); ``op``
    names the operation in the error for a bad or repeated axis.

    >>> normalize_axes("sum", -1, 3)
    (2,)
    """
    if axis is None:
        return tuple(range(ndim))
    if type(axis) is int and -ndim <= axis < ndim:  # the common case, without the checks' loop
        return (axis % ndim,)
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    normalized = []
    for a in axes:
        if not isinstance(a, (int, np.integer)) or isinstance(a, bool):
            pair = op in ("max", "min") and isinstance(a, (TensorBase, np.ndarray))  # PyTorch's max(a, b)
            hint = f"; the elementwise {op}imum of two tensors is ag.{op}imum(a, b) (torch.{op}(a, b))" if pair else ""
            raise TypeError(f"{op}: axis must be an int or a tuple of ints, got {axis!r}{hint}")
        if not -ndim <= a < ndim:
            raise np.exceptions.AxisError(
                f"{op}: axis {a} is out of range for a tensor with ndim {ndim} "
                f"(valid axes: {-ndim}..{ndim - 1}" + (")" if ndim else "; a 0-d tensor has no axes)")
            )
        normalized.append(int(a) % ndim)
    if len(set(normalized)) != len(normalized):
        raise ValueError(f"{op}: repeated axis in {axis!r}")
    return tuple(normalized)


def reduction_axes(op: str, axis: Axis | Sequence[Any], ndim: int) -> tuple[int, ...]:
    """``normalize_axes`` for a reduction (sum, mean, max, softmax, argmax, ...), which also takes dim 0 or -1
    of a 0-d tensor, as PyTorch (``torch.tensor(3.).sum(0)``): no axis to reduce, so ``()`` (the value itself).

    >>> reduction_axes("sum", 0, 0), reduction_axes("sum", -1, 2)
    ((), (1,))
    """
    if ndim == 0 and axis is not None:
        axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
        ints = [a for a in axes if isinstance(a, (int, np.integer)) and not isinstance(a, bool)]
        if len(ints) == len(axes) == 1 and ints[0] in (0, -1):
            return ()
        if len(ints) == len(axes) > 1 and all(a in (0, -1) for a in ints):
            raise ValueError(f"{op}: repeated axis in {axis!r} (a 0-d tensor's one dim is 0, also called -1)")
        outside = [a for a in ints if a not in (0, -1)]
        if outside:
            raise np.exceptions.AxisError(
                f"{op}: axis {outside[0]} is out of range for a 0-d tensor (as PyTorch, it takes dim 0 or -1 only: "
                "the tensor itself); give 0, -1 or None, or reshape it first"
            )
    return normalize_axes(op, axis, ndim)


def transpose_order(axes: Sequence[Any], shape: Shape) -> tuple[int, ...] | None:
    """The full order of axes ``transpose(*axes)`` asks of a tensor of ``shape`` (None: reversed, ``.T``):
    two axes given apart are swapped (PyTorch; numpy would read (0, 1) as "keep the order", which nobody
    means); one sequence, or three axes and more, is a permutation (numpy).

    >>> transpose_order((0, 2), (2, 3, 4)), transpose_order(((1, 0),), (2, 3))
    ((2, 1, 0), (1, 0))
    """
    ndim = len(shape)
    if len(axes) == 2:
        if not ndim:  # a 0-d tensor's dims 0 and -1 are the tensor itself, as PyTorch's t.transpose(0, -1)
            for a in axes:
                reduction_axes("transpose", a, 0)  # any other dim refused, saying so
            return ()
        first, second = (normalize_axes("transpose", a, ndim)[0] for a in axes)
        order = list(range(ndim))
        order[first], order[second] = second, first
        return tuple(order)
    axes = tuple(axes[0]) if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else tuple(axes)
    if not axes:
        return None
    return permutation("transpose", axes, shape)


def permutation(op: str, order: Sequence[Any], shape: Shape) -> tuple[int, ...]:
    """``order`` as a full order of the axes of ``shape`` (a negative axis counts from the end), or a ValueError
    naming ``op``, the order, the shape and a valid order (minitorch's module 2 asks for this check).

    >>> permutation("permute", (-1, 0, 1), (2, 3, 4))
    (2, 0, 1)
    """
    ndim = len(shape)
    fits = all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) and -ndim <= d < ndim for d in order)
    normalized = tuple(int(d) % ndim for d in order) if fits and ndim else tuple(order)
    if not fits or sorted(normalized) != list(range(ndim)):
        raise ValueError(
            f"{op}: {tuple(order)} is not a permutation of the {ndim} axes of shape {tuple(shape)}: name each axis "
            f"0..{ndim - 1} exactly once (e.g. {op}{tuple(reversed(range(ndim)))} reverses them)"
        )
    return normalized
