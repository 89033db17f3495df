"""PyTorch's shape and indexing methods beyond the views, composed from Tensor ops (indexing, reshape, flip,
products): ``unflatten view_as take narrow tensor_split diag_embed kron cross rot90``; the index writes
``scatter_add`` (recorded) and ``scatter_add_ index_put_ fill_diagonal_`` (in place); ``unique histc bernoulli``
(values, no gradient); and a tensor's memory facts as PyTorch names them (``element_size``; ``data_ptr
storage_offset is_contiguous`` are with the storage, in tensor_memory.py; ``pin_memory share_memory_`` return
the tensor, as PyTorch's on the CPU).

>>> Tensor([[1.0, 2.0], [3.0, 4.0]]).rot90()
Tensor([[2., 4.],
        [1., 3.]])
"""

from __future__ import annotations

import itertools
import warnings
from typing import TYPE_CHECKING, Any, NoReturn, cast

import numpy as np

import autograd_core.tensor as _tensor  # still loading when this one is imported: read at call time

from .grad_mode import current_switches
from .tensor_base import TensorBase, normalize_axes
from .types import Number, Shape, TensorLike

if TYPE_CHECKING:
    from .sampling import Generator
    from .tensor import Tensor


def _array(x: TensorLike) -> np.ndarray:
    return np.asarray(x._data if isinstance(x, TensorBase) else x)


def _int(op: str, name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{op}: {name} must be an int, got {value!r}")
    return int(value)


class TensorLayout(TensorBase):
    """Shape, indexing and memory methods (see the module docstring)."""

    def _dim(self, op: str, dim: int) -> int:
        return normalize_axes(op, dim, self.ndim)[0]

    # ------------------------------------------------------------ shapes
    def unflatten(self, dim: int, sizes: Shape | list[int]) -> Tensor:
        """Split axis ``dim`` into ``sizes`` (one may be -1), as ``torch.unflatten``: ``flatten``'s inverse.

        >>> Tensor(np.arange(6.0)).unflatten(0, (2, -1)).shape
        (2, 3)
        """
        axis = self._dim("unflatten", dim)
        sizes = tuple(sizes)
        known = int(np.prod([s for s in sizes if s != -1]))
        n = self.shape[axis]
        fits = sizes.count(-1) <= 1 and known > 0 and (n == known if -1 not in sizes else n % known == 0)
        if not sizes or not fits:
            raise ValueError(
                f"unflatten: sizes {sizes} do not multiply to {self.shape[axis]}, the size of dim {dim} of "
                f"{self.shape}; give sizes whose product is {self.shape[axis]} (one may be -1)"
            )
        if -1 in sizes:
            sizes = tuple(self.shape[axis] // known if s == -1 else s for s in sizes)
        return cast("Tensor", self).reshape(self.shape[:axis] + sizes + self.shape[axis + 1 :])

    def view_as(self, other: TensorLike) -> Tensor:
        """This tensor reshaped to ``other``'s shape (``view(other.shape)``)."""
        return cast("Tensor", self).view(_array(other).shape)

    def take(self, index: TensorLike) -> Tensor:
        """The elements at ``index`` of the flattened tensor, in ``index``'s shape (``torch.take``).

        >>> Tensor([[1.0, 2.0], [3.0, 4.0]]).take(ag.tensor([[3, 0]]))
        Tensor([[4., 1.]])
        """
        picks, n = _array(index), int(np.size(self._data))
        if picks.dtype.kind not in "iu":
            raise TypeError(f"take: index must hold integers, got {picks.dtype}")
        if picks.size and (picks.min() < -n or picks.max() >= n):
            raise IndexError(f"take: index out of range for a tensor of {n} elements (shape {self.shape})")
        return cast("Tensor", self).reshape(-1)[picks]

    def narrow(self, dim: int, start: int, length: int) -> Tensor:
        """The ``length`` entries from ``start`` along ``dim`` (a slice), as ``torch.narrow``.

        >>> Tensor([1.0, 2.0, 3.0, 4.0]).narrow(0, 1, 2)
        Tensor([2., 3.])
        """
        axis = self._dim("narrow", dim)
        n, start, length = self.shape[axis], _int("narrow", "start", start), _int("narrow", "length", length)
        first = start + n if start < 0 else start
        if not (0 <= first <= n and 0 <= length <= n - first):
            raise IndexError(
                f"narrow: start {start} and length {length} do not fit dim {dim} of size {n} (shape {self.shape}); "
                f"need -{n} <= start <= {n} and start + length <= {n}"
            )
        return cast("Tensor", self)[(slice(None),) * axis + (slice(first, first + length),)]

    def tensor_split(self, indices_or_sections: int | list[int] | tuple[int, ...], dim: int = 0) -> tuple[Tensor, ...]:
        """Split along ``dim`` into n nearly equal parts (the first ``size % n`` one longer) or at the given
        indices, as ``torch.tensor_split`` (numpy's ``array_split``).

        >>> [p.tolist() for p in Tensor([1.0, 2.0, 3.0, 4.0, 5.0]).tensor_split(3)]
        [[1.0, 2.0], [3.0, 4.0], [5.0]]
        """
        axis = self._dim("tensor_split", dim)
        size = self.shape[axis]
        if isinstance(indices_or_sections, bool):
            raise TypeError("tensor_split: indices_or_sections must be an int or a list of ints, got a bool")
        if isinstance(indices_or_sections, (int, np.integer)):
            parts = int(indices_or_sections)
            if parts < 1:
                raise ValueError(f"tensor_split: the number of sections must be at least 1, got {parts}")
            lengths = [size // parts + (1 if i < size % parts else 0) for i in range(parts)]
            cuts = list(np.cumsum([0] + lengths))
        else:
            points = [int(i) + (size if i < 0 else 0) for i in cast(list[int], indices_or_sections)]
            cuts = [0] + [min(max(p, 0), size) for p in points] + [size]
        lead = (slice(None),) * axis
        x = cast("Tensor", self)
        return tuple(x[lead + (slice(a, max(a, b)),)] for a, b in itertools.pairwise(cuts))

    def diag_embed(self, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
        """Each last-axis vector on the ``offset`` diagonal of a square matrix in dims ``dim1``, ``dim2`` of the
        result (zeros elsewhere), as ``torch.diag_embed``: a batch of ``diag``.

        >>> Tensor([[1.0, 2.0]]).diag_embed()
        Tensor([[[1., 0.],
                 [0., 2.]]])
        """
        from .functions import concatenate

        offset = _int("diag_embed", "offset", offset)
        out_ndim = self.ndim + 1
        d1, d2 = normalize_axes("diag_embed", (dim1, dim2), out_ndim)
        n = self.shape[-1] if self.ndim else 1
        x = cast("Tensor", self).reshape(self.shape or (1,))
        m = n + abs(offset)
        rows, cols = np.nonzero(np.eye(m, k=offset, dtype=bool))
        picks = np.full((m, m), n)  # every entry picks the appended 0 but the diagonal's
        picks[rows, cols] = np.arange(n)
        zero = np.zeros(x.shape[:-1] + (1,), x.dtype)
        square = concatenate([x, zero], -1)[..., picks]  # (*batch, m, m)
        batch = iter(range(out_ndim - 2))
        order = [out_ndim - 2 if i == d1 else out_ndim - 1 if i == d2 else next(batch) for i in range(out_ndim)]
        return square.permute(*order)

    def kron(self, other: TensorLike) -> Tensor:
        """The Kronecker product: block (i, j) is ``self[i, j] * other`` (``torch.kron``, any number of dims).

        >>> Tensor([[1.0, 2.0]]).kron(Tensor([[1.0], [10.0]]))
        Tensor([[ 1.,  2.],
                [10., 20.]])
        """
        a, b = cast("Tensor", self), _tensor._lift(other, self)
        ndim = max(a.ndim, b.ndim)
        sa, sb = (1,) * (ndim - a.ndim) + a.shape, (1,) * (ndim - b.ndim) + b.shape
        spread_a = a.reshape(tuple(n for s in sa for n in (s, 1)))
        spread_b = b.reshape(tuple(n for s in sb for n in (1, s)))
        return (spread_a * spread_b).reshape(tuple(p * q for p, q in zip(sa, sb)))

    def cross(self, other: TensorLike, dim: int | None = None) -> Tensor:
        """The cross product of 3-vectors along ``dim`` (None: the first dim of size 3, as ``torch.cross``).

        >>> Tensor([1.0, 0.0, 0.0]).cross(Tensor([0.0, 1.0, 0.0]))
        Tensor([0., 0., 1.])
        """
        from .functions import stack

        a, b = cast("Tensor", self), _tensor._lift(other, self)
        try:
            shape = np.broadcast_shapes(a.shape, b.shape)
        except ValueError:
            raise ValueError(
                f"cross: shapes {a.shape} and {b.shape} do not broadcast; give tensors of one shape"
            ) from None
        if dim is None:
            threes = [i for i, n in enumerate(shape) if n == 3]
            if not threes:
                raise ValueError(f"cross: no dimension of size 3 in shapes {a.shape} and {b.shape}; give dim=")
            dim = threes[0]
        axis = normalize_axes("cross", dim, len(shape))[0]
        if shape[axis] != 3 or a.shape[axis - len(shape)] != 3 or b.shape[axis - len(shape)] != 3:
            raise ValueError(f"cross: dim {dim} must have size 3 in both, got shapes {a.shape} and {b.shape}")
        a, b = a.expand(*shape), b.expand(*shape)
        lead = (slice(None),) * axis
        ax, ay, az = (a[lead + (i,)] for i in range(3))
        bx, by, bz = (b[lead + (i,)] for i in range(3))
        return stack([ay * bz - az * by, az * bx - ax * bz, ax * by - ay * bx], axis)

    def rot90(self, k: int = 1, dims: tuple[int, int] | list[int] = (0, 1)) -> Tensor:
        """Rotate by 90 degrees ``k`` times in the plane of ``dims``, from the first axis toward the second
        (``torch.rot90``, ``np.rot90``)."""
        k = _int("rot90", "k", k) % 4
        if len(dims) != 2:
            raise ValueError(f"rot90: dims must name two axes, got {dims!r}")
        first, second = normalize_axes("rot90", tuple(dims), self.ndim)
        x = cast("Tensor", self)
        if k == 1:
            return x.flip(second).transpose(first, second)
        if k == 2:
            return x.flip((first, second))
        return x.flip(first).transpose(first, second) if k == 3 else x

    # ------------------------------------------------------------ index writes
    def scatter_add(self, dim: int, index: TensorLike, src: TensorLike) -> Tensor:
        """A copy with ``src`` added at ``index`` along ``dim`` (repeats add up), as ``torch.scatter_add``;
        recorded: the gradient reaches self everywhere and src where it was read.

        >>> Tensor([0.0, 0.0]).scatter_add(0, ag.tensor([1, 1, 0]), Tensor([1.0, 2.0, 3.0]))
        Tensor([3., 3.])
        """
        from .index_update import update
        from .tensor_inplace import _scatter_plan

        if not isinstance(src, TensorBase):
            raise TypeError(f"scatter_add: src must be a Tensor, got {type(src).__name__}")
        target, source, _ = _scatter_plan("scatter_add", self, dim, index, src, None)
        return update("add", cast("Tensor", self), target, cast("Tensor", src)[cast(Any, source)])

    def scatter_add_(self, dim: int, index: TensorLike, src: TensorLike) -> Tensor:
        """``scatter_add`` in place (a leaf, or under ``no_grad``)."""
        return self._write_in_place("scatter_add_", src, lambda t: t.scatter_add(dim, index, src))

    def index_put_(self, indices: tuple[TensorLike, ...], values: TensorLike, accumulate: bool = False) -> Tensor:
        """``index_put`` in place: ``values`` written (or, accumulating, added) at ``indices``.

        >>> Tensor([0.0, 0.0]).index_put_((ag.tensor([1]),), Tensor(5.0))
        Tensor([0., 5.])
        """
        return self._write_in_place("index_put_", values, lambda t: t.index_put(indices, values, accumulate))

    def fill_diagonal_(self, fill_value: Number, wrap: bool = False) -> Tensor:
        """Write ``fill_value`` on the main diagonal in place (every dim equal for more than 2; ``wrap``
        restarts it below a tall matrix's square, as ``torch.fill_diagonal_`` and ``np.fill_diagonal``).

        >>> Tensor(np.zeros((2, 3))).fill_diagonal_(1.0)
        Tensor([[1., 0., 0.],
                [0., 1., 0.]])
        """
        if self.ndim < 2 or (self.ndim > 2 and len(set(self.shape)) != 1):
            raise ValueError(
                f"fill_diagonal_: needs 2 or more dims, all of one length beyond 2, got shape {self.shape}"
            )
        t = cast("Tensor", self)._in_place("fill_diagonal_")
        filled = np.array(t._data)
        np.fill_diagonal(filled, fill_value, wrap=wrap)
        t[...] = filled
        return t

    def _write_in_place(self, op: str, source: TensorLike, compute: Any) -> Tensor:
        t = cast("Tensor", self)._in_place(op)
        if isinstance(source, TensorBase) and source.requires_grad and current_switches().grad_enabled:
            raise RuntimeError(
                f"{op}: its values require grad, but an in-place write records no gradient; write the out-of-place "
                f"{op[:-1]}(...) (recorded), or call {op} under ag.no_grad()"
            )
        t[...] = np.asarray(compute(t)._data)
        return t

    # ------------------------------------------------------------ values of the data, no gradient
    def unique(
        self, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False, dim: int | None = None
    ) -> Tensor | tuple[Tensor, ...]:
        """The distinct values, sorted (distinct slices along ``dim``), as ``torch.unique``; with
        ``return_inverse`` where each element went, with ``return_counts`` how often each occurs (int64).

        >>> Tensor([3.0, 1.0, 3.0]).unique(return_inverse=True, return_counts=True)
        (Tensor([1., 3.]), Tensor([1, 0, 1], dtype=int64), Tensor([1, 2], dtype=int64))
        """
        axis = None if dim is None else self._dim("unique", dim)
        found = np.unique(self._data, return_inverse=True, return_counts=True, axis=axis)
        values, inverse, counts = found[0], found[1].reshape(self.shape if axis is None else -1), found[2]
        wanted = [_tensor.Tensor(values)]
        wanted += [_tensor.Tensor(inverse.astype(np.int64))] if return_inverse else []
        wanted += [_tensor.Tensor(counts.astype(np.int64))] if return_counts else []
        return wanted[0] if len(wanted) == 1 else tuple(wanted)

    def histc(self, bins: int = 100, min: Number = 0, max: Number = 0) -> Tensor:
        """Counts in ``bins`` equal bins over [min, max] (the data's range when both are 0), in this tensor's
        float dtype; values outside are left out, as ``torch.histc``.

        >>> Tensor([1.0, 2.0, 1.0]).histc(bins=4, min=0, max=3)
        Tensor([0., 2., 1., 0.])
        """
        bins = _int("histc", "bins", bins)
        if self.dtype.kind != "f" or bins < 1 or not min <= max:
            raise ValueError(
                f"histc: needs a floating-point tensor, bins >= 1 and min <= max, got {self.dtype}, bins={bins}, "
                f"min={min}, max={max}"
            )
        data = np.asarray(self._data).reshape(-1)
        low, high = (float(min), float(max)) if min != max or not data.size else (data.min(), data.max())
        if low == high:  # PyTorch's widening of a one-value range
            low, high = low - 1, high + 1
        inside = data[(data >= low) & (data <= high)]
        return _tensor.Tensor(np.histogram(inside, bins, (low, high))[0].astype(self.dtype))

    def bernoulli(self, p: float | None = None, *, generator: Generator | None = None) -> Tensor:
        """0 or 1 in each place, 1 with probability ``p`` (the tensor's own values when ``p`` is None), drawn
        from the engine's generator (``ag.manual_seed``), in this tensor's float dtype; no gradient.

        >>> _ = ag.manual_seed(0)
        >>> Tensor([0.0, 1.0]).bernoulli()
        Tensor([0., 1.])
        """
        from .sampling import _rng

        if self.dtype.kind != "f":
            raise TypeError(f"bernoulli: needs floating-point probabilities, got {self.dtype}; convert (t.double())")
        probs = np.asarray(self._data) if p is None else np.full(self.shape, p)
        if not np.all((probs >= 0) & (probs <= 1)):
            raise ValueError("bernoulli: probabilities must be in [0, 1]; clamp them first (t.clamp(0, 1))")
        draws = _rng("bernoulli", generator).random(self.shape) < probs
        return _tensor.Tensor(draws.astype(self.dtype))

    # ------------------------------------------------------------ memory facts, and pickling
    def __getstate__(self) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        """What pickle and ``copy.deepcopy`` store: everything but the hooks, which are functions of this
        process (a lambda cannot be pickled); dropped with a warning, as PyTorch does."""
        slotted = [name for cls in type(self).__mro__ for name in getattr(cls, "__slots__", ())]
        slots = {name: getattr(self, name) for name in slotted if hasattr(self, name)}
        attributes: dict[str, Any] | None = dict(self.__dict__) or None  # (as Python 3.11's object.__getstate__)
        hooks = (attributes or {}).get("_hooks")
        if hooks:
            names = ", ".join(getattr(h, "__name__", type(h).__name__) for h in hooks)
            warnings.warn(
                f"Tensor of shape {self.shape}: its {len(hooks)} hook(s) ({names}) are not serialized (pickle, "
                "deepcopy) and are dropped, as PyTorch's; register them again on the copy",
                UserWarning,
                stacklevel=3,
            )
            kept = cast(dict[str, Any], attributes)
            dropped = {"_hooks"} if "_retains_grad" in kept else {"_hooks", "_watched"}  # (watched for the hooks)
            attributes = {k: v for k, v in kept.items() if k not in dropped}
        return attributes, slots

    def element_size(self) -> int:
        """Bytes per element (numpy's ``itemsize``): 8 for float64, 4 for float32."""
        return int(self.dtype.itemsize)

    def pin_memory(self) -> Tensor:
        """The tensor itself: pinned memory speeds copies to a GPU, and there is none here (PyTorch's on CPU)."""
        return cast("Tensor", self)

    def share_memory_(self) -> Tensor:
        """The tensor itself: a numpy array's memory is shared with a forked worker as it is."""
        return cast("Tensor", self)

    def is_pinned(self) -> bool:
        """False: nothing is pinned on the CPU."""
        return False

    def bfloat16(self) -> NoReturn:
        """Refused: numpy has no bfloat16; use ``t.half()`` (float16) or ``t.float()`` (float32)."""
        raise TypeError(
            "bfloat16: numpy has no bfloat16 dtype, so this engine cannot store one; use t.half() (float16, "
            "10 mantissa bits) or t.float() (float32, bfloat16's range with more precision)"
        )
