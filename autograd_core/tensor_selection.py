"""PyTorch's methods that pick, place and regroup elements without new math: ``select narrow_copy msort ravel
swapdims moveaxis hsplit vsplit dsplit split_with_sizes sum_to_size diagflat put``, the ``*_scatter`` family
(``select_scatter slice_scatter diagonal_scatter masked_scatter``) and the reductions into indexed places
(``scatter_reduce index_reduce``). Composed from indexing, ``where`` and reductions, so each is differentiable
(a value written over gets no gradient; an ``amax``/``amin`` tie splits it evenly, the kink rule). ``Tensor``
inherits them through ``TensorInPlace``.

>>> x = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
>>> y = x.select_scatter(Tensor([9.0, 9.0]), 0, 1)
>>> y.sum().backward()
>>> y.tolist(), x.grad.tolist()
([[1.0, 2.0], [9.0, 9.0]], [[1.0, 1.0], [0.0, 0.0]])
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, cast

import numpy as np

import autograd_core.tensor as _tensor  # still loading when this one is imported: read at call time

from .tensor_base import TensorBase, normalize_axes
from .types import TensorLike

if TYPE_CHECKING:
    from .tensor import Tensor

#: what each reduction starts from where nothing else lands (numpy ufuncs that reduce along an axis)
_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def _array(x: TensorLike) -> np.ndarray:
    return np.asarray(x._data if isinstance(x, TensorBase) else x)


def _as_tensor(x: TensorLike) -> Tensor:
    return cast("Tensor", x) if isinstance(x, TensorBase) else _tensor.Tensor(np.asarray(x))


def place(op: str, t: Tensor, target: Any, src: TensorLike) -> Tensor:
    """A copy of ``t`` with ``src`` written where the numpy index ``target`` points (``src`` must have the shape
    ``t[target]`` has): one gather of src and one ``where``, so both get their gradient."""
    written_numbers = np.full(t.shape, -1, dtype=np.intp)
    wanted = written_numbers[target].shape
    source = _as_tensor(src)
    if source.shape != wanted:
        raise ValueError(
            f"{op}: src has shape {source.shape}, but the place it goes has shape {wanted}; give src "
            f"that shape (src.reshape{wanted} or src.expand{wanted})"
        )
    written_numbers[target] = np.arange(math.prod(wanted)).reshape(wanted)
    written = written_numbers >= 0
    if not written.any():
        return t.clone()
    gathered = source.reshape(-1)[np.where(written, written_numbers, 0)].to(t.dtype)
    return gathered.where(written, t)


class TensorSelection(TensorBase):
    """Methods that pick, place and regroup elements (see the module docstring)."""

    def select(self, dim: int, index: int) -> Tensor:
        """The slice at ``index`` along ``dim`` (that axis removed), as PyTorch's: ``x.select(1, 0)`` is
        ``x[:, 0]``.

        >>> Tensor([[1.0, 2.0], [3.0, 4.0]]).select(1, 0).tolist()
        [1.0, 3.0]
        """
        t = cast("Tensor", self)
        axis = normalize_axes("select", dim, t.ndim)[0]
        if not isinstance(index, (int, np.integer)) or not -t.shape[axis] <= index < t.shape[axis]:
            raise IndexError(
                f"select: index {index!r} is out of range for dim {axis} of size {t.shape[axis]} "
                f"(shape {t.shape}); use an int in [-{t.shape[axis]}, {t.shape[axis]})"
            )
        return t[(slice(None),) * axis + (int(index),)]

    def narrow_copy(self, dim: int, start: int, length: int) -> Tensor:
        """``narrow`` as a new tensor (not a view), as PyTorch's.

        >>> Tensor([1.0, 2.0, 3.0]).narrow_copy(0, 1, 2)
        Tensor([2., 3.])
        """
        return cast("Tensor", self).narrow(dim, start, length).clone()

    def msort(self) -> Tensor:
        """The values sorted along dim 0, as PyTorch's (``sort(dim=0).values``).

        >>> Tensor([[3.0, 1.0], [2.0, 5.0]]).msort().tolist()
        [[2.0, 1.0], [3.0, 5.0]]
        """
        from .functions_idioms import msort

        return msort(self)

    def ravel(self) -> Tensor:
        """The elements in one axis, in row-major order, as PyTorch's (``reshape(-1)``)."""
        return cast("Tensor", self).reshape(-1)

    def swapdims(self, dim0: int, dim1: int) -> Tensor:
        """``transpose(dim0, dim1)``, PyTorch's numpy-style name (``swapaxes`` is the other)."""
        return cast("Tensor", self).transpose(dim0, dim1)

    def swapdims_(self, dim0: int, dim1: int) -> Tensor:
        """``transpose_(dim0, dim1)``: axes swapped in place."""
        return cast("Tensor", self).transpose_(dim0, dim1)

    def swapaxes_(self, axis0: int, axis1: int) -> Tensor:
        """``transpose_(axis0, axis1)``: axes swapped in place."""
        return cast("Tensor", self).transpose_(axis0, axis1)

    def moveaxis(self, source: int, destination: int) -> Tensor:
        """``movedim``, numpy's name, as PyTorch also takes."""
        return cast("Tensor", self).movedim(source, destination)

    # ------------------------------------------------------------------------------- pieces and sizes
    def _split_on(self, op: str, dim: int, least: int, sections: int | list[int] | tuple[int, ...]) -> Any:
        t = cast("Tensor", self)
        if t.ndim < least:
            raise ValueError(
                f"{op}: needs a tensor of at least {least} dims, got shape {t.shape}; "
                f"use tensor_split(sections, dim) for another axis"
            )
        if isinstance(sections, (int, np.integer)) and (sections <= 0 or t.shape[dim] % sections):
            raise ValueError(
                f"{op}: dim {dim} of shape {t.shape} (size {t.shape[dim]}) does not split into "
                f"{sections} equal parts; give a list of split indices, or use tensor_split"
            )
        return t.tensor_split(sections, dim)

    def hsplit(self, sections: int | list[int] | tuple[int, ...]) -> tuple[Tensor, ...]:
        """Pieces along dim 1 (dim 0 of a vector): an int gives that many equal ones, a list the split indices,
        as PyTorch's (and numpy's) ``hsplit``.

        >>> [p.tolist() for p in Tensor([[1.0, 2.0, 3.0, 4.0]]).hsplit(2)]
        [[[1.0, 2.0]], [[3.0, 4.0]]]
        """
        return self._split_on("hsplit", 0 if self.ndim == 1 else 1, 1, sections)

    def vsplit(self, sections: int | list[int] | tuple[int, ...]) -> tuple[Tensor, ...]:
        """Pieces along dim 0 of a tensor of 2 or more dims, as PyTorch's ``vsplit``."""
        return self._split_on("vsplit", 0, 2, sections)

    def dsplit(self, sections: int | list[int] | tuple[int, ...]) -> tuple[Tensor, ...]:
        """Pieces along dim 2 of a tensor of 3 or more dims, as PyTorch's ``dsplit``."""
        return self._split_on("dsplit", 2, 3, sections)

    def split_with_sizes(self, split_sizes: list[int] | tuple[int, ...], dim: int = 0) -> tuple[Tensor, ...]:
        """Pieces of the given sizes along ``dim`` (they must add up to its size), as PyTorch's.

        >>> [p.tolist() for p in Tensor([1.0, 2.0, 3.0]).split_with_sizes([1, 2])]
        [[1.0], [2.0, 3.0]]
        """
        t = cast("Tensor", self)
        size = t.shape[normalize_axes("split_with_sizes", dim, t.ndim)[0]]
        if not isinstance(split_sizes, (list, tuple)) or sum(split_sizes) != size or min(split_sizes, default=0) < 0:
            raise ValueError(
                f"split_with_sizes: sizes {split_sizes!r} must be >= 0 and add up to {size} (dim {dim} "
                f"of shape {t.shape}); use split(size) for equal pieces"
            )
        return t.split(list(split_sizes), dim)

    def sum_to_size(self, *size: int | tuple[int, ...] | list[int]) -> Tensor:
        """The sum down to ``size`` (which must broadcast to this shape), as PyTorch's: the reverse of
        ``expand``, what a broadcast's gradient does.

        >>> Tensor(np.ones((2, 3))).sum_to_size(1, 3).tolist()
        [[2.0, 2.0, 2.0]]
        """
        t = cast("Tensor", self)
        shape = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else tuple(size)
        lead = t.ndim - len(shape)
        if lead < 0 or any(s not in (1, n) for s, n in zip(shape, t.shape[lead:])):
            raise ValueError(
                f"sum_to_size: size {shape} does not broadcast to the shape {t.shape}; each of its "
                f"dims must be 1 or the matching dim of {t.shape}"
            )
        squashed = tuple(lead + i for i, (s, n) in enumerate(zip(shape, t.shape[lead:])) if s == 1 and n != 1)
        out = t.sum(dim=squashed, keepdim=True) if squashed else t
        return out.sum(dim=tuple(range(lead))) if lead else out

    def diagflat(self, offset: int = 0) -> Tensor:
        """A square matrix with the flattened input on its ``offset`` diagonal, as PyTorch's.

        >>> Tensor([[1.0, 2.0]]).diagflat().tolist()
        [[1.0, 0.0], [0.0, 2.0]]
        """
        return cast("Tensor", self).reshape(-1).diag(offset)

    def put(self, index: TensorLike, source: TensorLike, accumulate: bool = False) -> Tensor:
        """A copy with ``source`` written at the flat positions ``index`` (``accumulate``: added there), as
        PyTorch's; differentiable in both.

        >>> Tensor([[1.0, 2.0], [3.0, 4.0]]).put(ag.tensor([0, 3]), Tensor([9.0, 8.0])).tolist()
        [[9.0, 2.0], [3.0, 8.0]]
        """
        t = cast("Tensor", self)
        flat_index, values = _array(index).reshape(-1), _as_tensor(source).reshape(-1)
        if flat_index.dtype.kind not in "iu" or flat_index.size != values.size:
            raise ValueError(
                f"put: index (dtype {flat_index.dtype}, {flat_index.size} elements) must hold ints, as "
                f"many as source has ({values.size}); e.g. ag.tensor([0, 3])"
            )
        if flat_index.size and not (-t.size <= flat_index.min() and flat_index.max() < t.size):
            raise IndexError(f"put: an index in {flat_index.tolist()} is out of range for {t.size} elements")
        flat, positions = t.reshape(-1), flat_index % max(t.size, 1)
        if accumulate:
            return flat.index_add(0, _tensor.Tensor(positions), values).reshape(t.shape)
        return place("put", flat, positions, values).reshape(t.shape)

    def put_(self, index: TensorLike, source: TensorLike, accumulate: bool = False) -> Tensor:
        """``put`` in place."""
        return cast("Any", self)._write("put_", lambda t: t.put(index, source, accumulate))

    # ------------------------------------------------------------------------------- *_scatter: a copy, written into
    def select_scatter(self, src: TensorLike, dim: int, index: int) -> Tensor:
        """A copy with ``src`` written at ``select(dim, index)``, as PyTorch's (the module docstring shows one)."""
        t = cast("Tensor", self)
        t.select(dim, index)  # its checks
        return place("select_scatter", t, (slice(None),) * (dim % t.ndim) + (index,), src)

    def slice_scatter(
        self, src: TensorLike, dim: int = 0, start: int | None = None, end: int | None = None, step: int = 1
    ) -> Tensor:
        """A copy with ``src`` written at the slice ``start:end:step`` of ``dim``, as PyTorch's.

        >>> Tensor([0.0, 0.0, 0.0, 0.0]).slice_scatter(Tensor([1.0, 2.0]), start=1, end=3).tolist()
        [0.0, 1.0, 2.0, 0.0]
        """
        t = cast("Tensor", self)
        axis = normalize_axes("slice_scatter", dim, t.ndim)[0]
        return place("slice_scatter", t, (slice(None),) * axis + (slice(start, end, step),), src)

    def diagonal_scatter(self, src: TensorLike, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
        """A copy with ``src`` written on the diagonal ``diagonal(offset, dim1, dim2)`` reads, as PyTorch's.

        >>> Tensor(np.zeros((2, 2))).diagonal_scatter(Tensor([1.0, 2.0])).tolist()
        [[1.0, 0.0], [0.0, 2.0]]
        """
        t = cast("Tensor", self)
        numbers = _tensor.Tensor(np.arange(t.size).reshape(t.shape)).diagonal(offset, dim1, dim2)._data
        return place("diagonal_scatter", t.reshape(-1), numbers, src).reshape(t.shape)

    def masked_scatter(self, mask: TensorLike, source: TensorLike) -> Tensor:
        """A copy with ``source``'s first elements (row-major) written where ``mask`` holds, in order, as
        PyTorch's; the mask broadcasts to this shape.

        >>> Tensor([0.0, 0.0, 0.0]).masked_scatter(np.array([True, False, True]), Tensor([5.0, 6.0, 7.0])).tolist()
        [5.0, 0.0, 6.0]
        """
        t = cast("Tensor", self)
        where = _array(mask)
        if where.dtype != bool:
            raise TypeError(f"masked_scatter: mask must be boolean, got {where.dtype}; compare to make one (x > 0)")
        try:
            where = np.broadcast_to(where, t.shape)
        except ValueError:
            raise ValueError(f"masked_scatter: mask of shape {where.shape} does not broadcast to {t.shape}") from None
        values, count = _as_tensor(source).reshape(-1), int(where.sum())
        if values.size < count:
            raise ValueError(
                f"masked_scatter: the mask holds at {count} places but source has {values.size} "
                f"elements; give source at least {count}"
            )
        return place("masked_scatter", t, where, values[:count])

    def masked_scatter_(self, mask: TensorLike, source: TensorLike) -> Tensor:
        """``masked_scatter`` in place."""
        return cast("Any", self)._write("masked_scatter_", lambda t: t.masked_scatter(mask, source))

    # ------------------------------------------------------------------------------- reductions into indexed places
    def scatter_reduce(
        self, dim: int, index: TensorLike, src: TensorLike, reduce: str, *, include_self: bool = True
    ) -> Tensor:
        """``src`` reduced into this tensor at ``index`` along ``dim`` (as ``scatter``'s index), with
        ``reduce`` one of ``sum prod mean amax amin``, as PyTorch's; ``include_self=False`` leaves this tensor's
        values out where something lands. Differentiable in both; ``amax``/``amin`` ties share the gradient.

        >>> Tensor([0.0, 0.0]).scatter_reduce(0, ag.tensor([0, 0, 1]), Tensor([2.0, 3.0, 4.0]), "amax").tolist()
        [3.0, 4.0]
        """
        from .tensor_inplace import _scatter_plan  # (tensor_inplace imports this module's class)

        t = cast("Tensor", self)
        if reduce not in _REDUCTIONS:
            raise ValueError(f"scatter_reduce: reduce must be one of {', '.join(_REDUCTIONS)}, got {reduce!r}")
        if not isinstance(src, TensorBase) and np.ndim(src) == 0:
            raise TypeError("scatter_reduce: src must be a tensor (a number is scatter's value=); e.g. ag.tensor(...)")
        target, source, _ = _scatter_plan("scatter_reduce", t, dim, index, src, None)
        positions = np.ravel_multi_index(np.broadcast_arrays(*target), t.shape).reshape(-1)
        values = _as_tensor(src)[cast(Any, source)].reshape(-1).to(t.dtype)
        return _reduce_into(t, positions, values, reduce, include_self)

    def scatter_reduce_(
        self, dim: int, index: TensorLike, src: TensorLike, reduce: str, *, include_self: bool = True
    ) -> Tensor:
        """``scatter_reduce`` in place."""
        return cast("Any", self)._write(
            "scatter_reduce_", lambda t: t.scatter_reduce(dim, index, src, reduce, include_self=include_self)
        )

    def index_reduce(
        self, dim: int, index: TensorLike, source: TensorLike, reduce: str, *, include_self: bool = True
    ) -> Tensor:
        """``source``'s slices along ``dim`` reduced into this tensor's slices ``index`` (1-d), with ``reduce``
        one of ``prod mean amax amin``, as PyTorch's (``index_add`` is the sum).

        >>> Tensor([1.0, 1.0]).index_reduce(0, ag.tensor([1, 1]), Tensor([2.0, 3.0]), "prod").tolist()
        [1.0, 6.0]
        """
        t, values, idx = cast("Tensor", self), _as_tensor(source), _array(index)
        if reduce not in _REDUCTIONS[1:]:
            raise ValueError(
                f"index_reduce: reduce must be one of prod, mean, amax, amin, got {reduce!r} (index_add is the sum)"
            )
        axis = normalize_axes("index_reduce", dim, t.ndim)[0]
        if (
            idx.ndim != 1
            or values.ndim != t.ndim
            or values.shape[axis] != idx.size
            or any(a != b for d, (a, b) in enumerate(zip(values.shape, t.shape)) if d != axis)
        ):
            raise ValueError(
                f"index_reduce: source of shape {values.shape} must match self {t.shape} apart from dim "
                f"{axis}, where it needs one slice per index ({idx.size}, a 1-d index)"
            )
        spread = np.broadcast_to(np.expand_dims(idx, tuple(d for d in range(t.ndim) if d != axis)), values.shape)
        return t.scatter_reduce(
            axis, _tensor.Tensor(np.ascontiguousarray(spread)), values, reduce, include_self=include_self
        )

    def index_reduce_(
        self, dim: int, index: TensorLike, source: TensorLike, reduce: str, *, include_self: bool = True
    ) -> Tensor:
        """``index_reduce`` in place."""
        return cast("Any", self)._write(
            "index_reduce_", lambda t: t.index_reduce(dim, index, source, reduce, include_self=include_self)
        )

    def index_copy_(self, dim: int, index: TensorLike, source: TensorLike) -> Tensor:
        """``index_copy`` in place."""
        return cast("Any", self)._write("index_copy_", lambda t: t.index_copy(dim, index, source))

    # PyTorch's "unsafe" spellings skip a check of views PyTorch makes; ours are the same pieces
    def unsafe_split(self, split_size: int | list[int], dim: int = 0) -> tuple[Tensor, ...]:
        """``split``."""
        return cast("Tensor", self).split(split_size, dim)

    def unsafe_chunk(self, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
        """``chunk``."""
        return tuple(cast("Tensor", self).chunk(chunks, dim))

    def unsafe_split_with_sizes(self, split_sizes: list[int], dim: int = 0) -> tuple[Tensor, ...]:
        """``split_with_sizes``."""
        return self.split_with_sizes(split_sizes, dim)


def _reduce_into(t: Tensor, positions: np.ndarray, values: Tensor, reduce: str, include_self: bool) -> Tensor:
    """``values[i]`` reduced into ``t``'s flat position ``positions[i]``: the contributions of each touched place
    gathered into rows (one per rank among its contributors, a neutral filler where it has fewer), reduced
    along the rows, written back with ``place``. Sum and mean add with ``index_add`` (no rows)."""
    from .functions import concatenate as cat

    flat = t.reshape(-1)
    touched, inverse, counts = np.unique(positions, return_inverse=True, return_counts=True)
    if not touched.size:  # an empty index reduces nothing in
        return t.clone()
    if reduce in ("sum", "mean"):
        added = _tensor.Tensor(np.zeros(touched.size, t.dtype)).index_add(0, _tensor.Tensor(inverse), values)
        if include_self:
            added = added + flat[touched]
        if reduce == "mean":
            count = counts + include_self
            added = added // count if t.dtype.kind in "iu" else added / _tensor.Tensor(count.astype(t.dtype))
        return place("scatter_reduce", flat, touched, added).reshape(t.shape)
    order = np.argsort(inverse, kind="stable")
    rank = np.arange(order.size) - np.repeat(np.cumsum(counts) - counts, counts)
    rows = np.full((int(counts.max(initial=0)), touched.size), values.size)  # values.size: the filler's number
    rows[rank, inverse[order]] = order
    kind = np.iinfo(t.dtype) if t.dtype.kind in "iu" else None
    neutral = {"prod": 1, "amax": kind.min if kind else -np.inf, "amin": kind.max if kind else np.inf}[reduce]
    padded = cat([values, _tensor.Tensor(np.array([neutral], t.dtype))])[rows]
    if include_self:
        padded = cat([padded, flat[touched].reshape(1, -1)])
    reduced = padded.prod(0) if reduce == "prod" else padded.amax(0) if reduce == "amax" else padded.amin(0)
    return place("scatter_reduce", flat, touched, reduced).reshape(t.shape)
