"""JAX's functional index updates, ``x.at[index].set(v)`` (and ``add subtract multiply divide power min max
apply get``), and PyTorch's out-of-place ``index_put index_add index_copy index_fill``: each returns a NEW
tensor, recorded, differentiable in x and v.
A recorded tensor refuses ``x[i] = v`` (an in-place write would corrupt the graph); these are the answer.

Composed from recorded ops, no vjp of their own: the updated elements are gathered (``Getitem``), combined
with v (``+ * / ** minimum maximum``, or v itself for ``set``), put back with ``ScatterAdd`` (assigning: each
position once) and selected with ``where`` -- so values are exact (no ``x - x[i] + v``: an inf stays an inf)
and the gradient reaches exactly what the result depends on. A position an index names k times is updated in
k rounds, in index order, as JAX's scatter on CPU does.

>>> x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> y = x.at[1].set(10.0).at[[0, 0]].add(1.0)
>>> y.sum().backward()
>>> y.tolist(), x.grad.tolist()
([3.0, 10.0, 3.0], [1.0, 0.0, 1.0])
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import numpy as np

import autograd_core.tensor as _tensor  # still loading when this one is imported: read at call time

from .primitives import ScatterAdd
from .tensor_base import TensorBase, normalize_axes
from .tensor_inputs import plain_index
from .types import Index, TensorLike

if TYPE_CHECKING:
    from collections.abc import Callable

    from .tensor import Tensor

# How each update combines the old element with v (``set`` takes v itself: no op).
_COMBINE: dict[str, Callable[[Tensor, Tensor], Tensor]] = {
    "add": lambda old, v: old.add(v),
    "subtract": lambda old, v: old.sub(v),
    "multiply": lambda old, v: old.mul(v),
    "divide": lambda old, v: old.div(v),
    "power": lambda old, v: old.pow(v),
    "min": lambda old, v: old.minimum(v),
    "max": lambda old, v: old.maximum(v),
}
_ADD_ROUNDS = 8  # deeper repeats in .add: one np.add.at (a histogram), not one round per repeat


class IndexUpdateRef:
    """``x.at[index]``: what ``.set .add .subtract .multiply .divide .power .min .max .apply .get`` update or read.
    Each takes JAX's keywords: ``unique_indices`` and ``indices_are_sorted`` (hints, not needed here) and
    ``mode`` None or ``"promise_in_bounds"`` (an index out of bounds raises, as numpy's)."""

    __slots__ = ("_index", "_x")

    def __init__(self, x: Tensor, index: Index) -> None:
        self._x, self._index = x, index

    def __repr__(self) -> str:
        return f"_IndexUpdateRef(shape={self._x.shape}, index={self._index!r})"

    def get(self, **jax_flags: Any) -> Tensor:
        """``x[index]``, recorded (JAX's ``x.at[i].get()``).

        >>> Tensor([1.0, 2.0, 3.0]).at[::2].get()
        Tensor([1., 3.])
        """
        return update("get", self._x, self._index, None, jax_flags)

    def set(self, values: TensorLike, **jax_flags: Any) -> Tensor:
        """A copy of x with ``x[index] = values`` (broadcast to ``x[index]``'s shape). Where the index names a
        position twice, the LAST of its values wins (numpy's and JAX-on-CPU's order), and only it gets a gradient.

        >>> Tensor([0.0, 0.0, 0.0]).at[[0, 2, 0]].set(Tensor([1.0, 2.0, 3.0]))
        Tensor([3., 0., 2.])
        """
        return update("set", self._x, self._index, values, jax_flags)

    def add(self, values: TensorLike, **jax_flags: Any) -> Tensor:
        """A copy of x with ``values`` added at ``index``; repeated positions add every value (scatter-add).

        >>> Tensor([0.0, 0.0]).at[[1, 1, 0]].add(1.0)
        Tensor([1., 2.])
        """
        return update("add", self._x, self._index, values, jax_flags)

    def subtract(self, values: TensorLike, **jax_flags: Any) -> Tensor:
        """A copy of x with ``values`` subtracted at ``index`` (repeats subtract every value).

        >>> Tensor([5.0, 5.0]).at[0].subtract(2.0)
        Tensor([3., 5.])
        """
        return update("subtract", self._x, self._index, values, jax_flags)

    def apply(self, func: Callable[[Tensor], Tensor], **jax_flags: Any) -> Tensor:
        """A copy of x with the elementwise ``func`` applied at ``index`` (once per time a position is named,
        as numpy's ``ufunc.at``): JAX's ``x.at[i].apply(jnp.sin)``.

        >>> Tensor([1.0, 4.0, 9.0]).at[[1, 2]].apply(ag.sqrt)
        Tensor([1., 2., 3.])
        """
        if not callable(func):
            raise TypeError(f"at[...].apply: func must be callable (e.g. ag.sin), got {type(func).__name__}")
        return update("apply", self._x, self._index, func, jax_flags)

    def multiply(self, values: TensorLike, **jax_flags: Any) -> Tensor:
        """A copy of x with ``x[index] *= values`` (repeats multiply in turn).

        >>> Tensor([1.0, 2.0]).at[1].multiply(3.0)
        Tensor([1., 6.])
        """
        return update("multiply", self._x, self._index, values, jax_flags)

    mul = multiply  # JAX's older spelling

    def divide(self, values: TensorLike, **jax_flags: Any) -> Tensor:
        """A copy of x with ``x[index] /= values``.

        >>> Tensor([1.0, 6.0]).at[1].divide(3.0)
        Tensor([1., 2.])
        """
        return update("divide", self._x, self._index, values, jax_flags)

    def power(self, values: TensorLike, **jax_flags: Any) -> Tensor:
        """A copy of x with ``x[index] **= values``.

        >>> Tensor([2.0, 3.0]).at[0].power(3.0)
        Tensor([8., 3.])
        """
        return update("power", self._x, self._index, values, jax_flags)

    def min(self, values: TensorLike, **jax_flags: Any) -> Tensor:
        """A copy of x with ``x[index] = minimum(x[index], values)``; at a tie the gradient splits as ``minimum``'s.

        >>> Tensor([1.0, 5.0]).at[:].min(3.0)
        Tensor([1., 3.])
        """
        return update("min", self._x, self._index, values, jax_flags)

    def max(self, values: TensorLike, **jax_flags: Any) -> Tensor:
        """A copy of x with ``x[index] = maximum(x[index], values)``.

        >>> Tensor([1.0, 5.0]).at[:].max(3.0)
        Tensor([3., 5.])
        """
        return update("max", self._x, self._index, values, jax_flags)


class IndexUpdateHelper:
    """``x.at``: index it (``x.at[1:, [0, 2]]``) to get an ``IndexUpdateRef``."""

    __slots__ = ("_x",)

    def __init__(self, x: Tensor) -> None:
        if not isinstance(x, TensorBase):
            raise TypeError(
                f".at: x must be a Tensor, got {type(x).__name__}; wrap it first: ag.tensor(x).at[i].set(v)"
            )
        self._x = x

    def __getitem__(self, index: Index) -> IndexUpdateRef:
        return IndexUpdateRef(self._x, index)

    def __repr__(self) -> str:
        return f"_IndexUpdateHelper(shape={self._x.shape})"


def update(op: str, x: Tensor, index: Index, values: Any, jax_flags: dict[str, Any] | None = None) -> Tensor:
    """``x.at[index].<op>(values)``: a new tensor, recorded (see the module docstring).

    >>> update("add", Tensor([1.0, 2.0]), 0, 5.0)
    Tensor([6., 2.])
    """
    if not isinstance(x, TensorBase):
        raise TypeError(f"at[...].{op}: x must be a Tensor, got {type(x).__name__}; wrap it: ag.tensor(x)")
    _check_flags(op, jax_flags or {})
    plain = plain_index(index)
    try:  # the flat number of every element x[index] selects (the index checked here, as numpy checks it)
        positions = np.asarray(np.arange(x._data.size).reshape(x.shape)[plain])
    except (IndexError, TypeError, ValueError) as error:
        raise IndexError(
            f"at[...].{op}: index {index!r} does not index a tensor of shape {x.shape} ({error}); use integers, "
            "slices, integer or boolean arrays within the shape (out of bounds raises, as numpy; JAX drops it)"
        ) from error
    if op == "get":
        return x[plain]
    if op == "divide" and x.dtype.kind in "biu":  # true division, as JAX's: an integer x becomes float
        x = x.to(np.float64)
    if op == "apply":  # a function of the old element alone: v stands for nothing
        v = _tensor.Tensor(np.zeros(positions.shape, x.dtype))
    else:
        v = _operand(op, values, x, positions.shape)
    flat_x, flat_v, flat_pos = x.reshape(-1), v.reshape(-1), positions.reshape(-1)
    if op == "set":  # numpy assignment keeps the last of a repeated position: which v lands on each one
        landing = np.full(x._data.size, -1, dtype=np.intp)
        landing[flat_pos] = np.arange(flat_pos.size)
        where = np.flatnonzero(landing >= 0)
        return _put(flat_x, where, flat_v[landing[where]]).reshape(x.shape)
    rank = _occurrence(flat_pos)
    depth = int(rank.max()) + 1 if rank.size else 0
    out = flat_x
    if op == "add" and depth > _ADD_ROUNDS:  # sum the repeats once (np.add.at), then add to x
        summed = _tensor.Tensor.apply(ScatterAdd, flat_v, shape=(x._data.size,), index=flat_pos)
        where = np.unique(flat_pos)
        return _put(out, where, out[where] + summed[where]).reshape(x.shape)
    combine = (lambda old, _: values(old)) if op == "apply" else _COMBINE[op]
    for k in range(depth):  # round k: the k-th time each position is named (no position twice in a round)
        which = np.flatnonzero(rank == k)
        where = flat_pos[which]
        out = _put(out, where, combine(out[where], flat_v[which]))
    return out.reshape(x.shape)


def _check_flags(op: str, flags: dict[str, Any]) -> None:
    """JAX's keywords: the hints are accepted (every update here is correct without them); only the mode
    this engine has (out of bounds raises) is, so a port relying on clip/drop/fill is told, not silently changed."""
    unknown = set(flags) - {"unique_indices", "indices_are_sorted", "mode"}
    if unknown:
        raise TypeError(
            f"at[...].{op}: unexpected keyword(s) {sorted(unknown)}; JAX's are unique_indices, "
            "indices_are_sorted and mode"
        )
    if flags.get("mode") not in (None, "promise_in_bounds"):
        raise NotImplementedError(
            f"at[...].{op}: mode={flags['mode']!r} is not supported: an index out of bounds raises here (as numpy); "
            "clip it yourself (np.clip(i, 0, n - 1)) or drop it from the index"
        )


def _operand(op: str, values: TensorLike | None, x: Tensor, shape: tuple[int, ...]) -> Tensor:
    """``values`` as a Tensor broadcast to x[index]'s ``shape``, of x's dtype if x is float (an integer x meets
    it in its own, and the result is cast back to x's: 7 * 2.5 -> 17, as JAX)."""
    if isinstance(values, TensorBase):
        v = cast("Tensor", values)
    else:
        array = np.asarray(values)
        if array.dtype.kind not in "biuf":
            raise TypeError(f"at[...].{op}: values must be numbers, got {type(values).__name__} ({array.dtype})")
        v = _tensor.Tensor(array.astype(x.dtype, copy=False) if x.dtype.kind == "f" else array)
    if v.dtype != x.dtype and x.dtype.kind == "f":
        v = v.to(x.dtype)
    try:
        fits = np.broadcast_shapes(v.shape, shape) == shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"at[...].{op}: values of shape {tuple(v.shape)} do not broadcast to x[index]'s shape {shape} "
            f"(x is {tuple(x.shape)}); give values of shape {shape}, or one that broadcasts to it"
        )
    return v if tuple(v.shape) == shape else v.broadcast_to(shape)


def _occurrence(pos: np.ndarray) -> np.ndarray:
    """For each entry of ``pos``, how many earlier entries name the same position (0 for the first)."""
    order = np.argsort(pos, kind="stable")
    ordered = pos[order]
    first = np.ones(pos.size, dtype=bool)
    first[1:] = ordered[1:] != ordered[:-1]
    start = np.maximum.accumulate(np.where(first, np.arange(pos.size), 0))
    rank = np.empty(pos.size, dtype=np.intp)
    rank[order] = np.arange(pos.size) - start
    return rank


def _put(flat: Tensor, where: np.ndarray, new: Tensor) -> Tensor:
    """``flat`` with ``new`` at the distinct positions ``where``: assigned by ScatterAdd, chosen by ``where``
    (exact: nothing is added to or subtracted from an element)."""
    if new.dtype != flat.dtype:  # an integer x updated by a float v: JAX keeps x's dtype (truncating)
        new = new.to(flat.dtype)
    written = np.zeros(flat.shape, dtype=bool)
    written[where] = True
    size = flat.shape[0]
    placed = _tensor.Tensor.apply(ScatterAdd, new, shape=(size,), index=where, unique_indices=True)
    return placed.where(written, flat)


class TensorIndexUpdate(TensorBase):
    """``x.at[...]`` (JAX) and PyTorch's out-of-place index updates, all on ``update``."""

    @property
    def at(self) -> IndexUpdateHelper:
        """JAX's functional index update: ``x.at[index].set(v)`` (also ``add multiply divide power min max
        get``) returns a new tensor; the way to "write into" a tensor that records a gradient.

        >>> Tensor([1.0, 2.0]).at[0].set(7.0)
        Tensor([7., 2.])
        """
        return IndexUpdateHelper(cast("Tensor", self))

    def index_put(self, indices: tuple[TensorLike, ...], values: TensorLike, accumulate: bool = False) -> Tensor:
        """PyTorch's ``t.index_put(indices, values, accumulate)``: ``x.at[indices].add(values)`` when
        accumulating, else ``.set(values)``.

        >>> Tensor([0.0, 0.0]).index_put((ag.tensor([1, 1]),), Tensor(1.0), accumulate=True)
        Tensor([0., 2.])
        """
        if not isinstance(indices, tuple):
            raise TypeError(f"index_put: indices must be a tuple of index tensors, got {type(indices).__name__}")
        return update("add" if accumulate else "set", cast("Tensor", self), cast(Index, indices), values)

    def _along(self, op: str, dim: int, index: TensorLike) -> tuple[Any, tuple[int, ...]]:
        """The index selecting ``index`` along ``dim`` and the shape PyTorch requires of source."""
        axis = normalize_axes(op, dim, max(self.ndim, 1))[0]
        idx = np.asarray(index._data if isinstance(index, TensorBase) else index)
        if idx.dtype.kind not in "iu" or idx.ndim > 1:
            raise IndexError(f"{op}: index must be a 1-d integer tensor, got {idx.dtype} of shape {idx.shape}")
        idx = idx.reshape(-1)
        shape = tuple(self.shape)
        return (slice(None),) * axis + (idx,), shape[:axis] + (idx.size,) + shape[axis + 1 :]

    def index_add(self, dim: int, index: TensorLike, source: TensorLike, *, alpha: float = 1) -> Tensor:
        """PyTorch's ``t.index_add(dim, index, source, alpha=1)``: ``alpha * source`` added at ``index``
        along ``dim``, repeats adding up.

        >>> Tensor([[0.0, 0.0], [0.0, 0.0]]).index_add(0, ag.tensor([1, 1]), Tensor([[1.0, 2.0], [3.0, 4.0]]))
        Tensor([[0., 0.],
                [4., 6.]])
        """
        where, shape = self._along("index_add", dim, index)
        _check_source("index_add", source, shape)
        return update("add", cast("Tensor", self), where, source if alpha == 1 else alpha * cast("Tensor", source))

    def index_copy(self, dim: int, index: TensorLike, source: TensorLike) -> Tensor:
        """PyTorch's ``t.index_copy(dim, index, source)``: ``source`` written at ``index`` along ``dim``.

        >>> Tensor([0.0, 0.0, 0.0]).index_copy(0, ag.tensor([2, 0]), Tensor([5.0, 6.0]))
        Tensor([6., 0., 5.])
        """
        where, shape = self._along("index_copy", dim, index)
        _check_source("index_copy", source, shape)
        return update("set", cast("Tensor", self), where, source)

    def index_fill(self, dim: int, index: TensorLike, value: TensorLike) -> Tensor:
        """PyTorch's ``t.index_fill(dim, index, value)``: the number (or 0-d tensor) ``value`` at ``index``.

        >>> Tensor([1.0, 2.0, 3.0]).index_fill(0, ag.tensor([0, 2]), -1.0)
        Tensor([-1.,  2., -1.])
        """
        where, _ = self._along("index_fill", dim, index)
        if np.ndim(value._data if isinstance(value, TensorBase) else value) != 0:
            raise ValueError(f"index_fill: value must be a number or a 0-d tensor, got shape {np.shape(value)}")
        return update("set", cast("Tensor", self), where, value)


def _check_source(op: str, source: TensorLike, shape: tuple[int, ...]) -> None:
    if not isinstance(source, TensorBase):
        raise TypeError(f"{op}: source must be a Tensor, got {type(source).__name__}")
    if tuple(source.shape) != shape:
        raise ValueError(
            f"{op}: source has shape {tuple(source.shape)}, but the index needs {shape} (self's shape with "
            "dim replaced by len(index)); reshape source to it"
        )
