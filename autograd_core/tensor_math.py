"""More of PyTorch's everyday ``Tensor`` methods: ``log1p``/``expm1``/``erf``/``erfc`` (primitives), and,
composed from Tensor ops, ``reciprocal rsqrt sign clamp_min clamp_max round renorm where expand_as unbind dot outer bmm
mT``, and ``new_zeros new_ones new_full new_tensor`` (in this tensor's dtype); ``Tensor`` inherits them
through ``TensorTorch`` (tensor.py and tensor_methods.py are full).

>>> x = Tensor([1e-20, 1.0], requires_grad=True)
>>> x.log1p().sum().backward()
>>> x.log1p().tolist(), x.grad.tolist()
([1e-20, 0.6931471805599453], [1.0, 0.5])
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import numpy as np

import autograd_core.tensor as _tensor  # still loading when this one is imported: read at call time

from .primitives import Erf, Erfc, Expm1, Log1p
from .tensor_base import TensorBase, normalize_axes
from .tensor_elementary import TensorElementary
from .tensor_inputs import require_cpu
from .tensor_layout import TensorLayout
from .tensor_pointwise import TensorPointwise
from .tensor_scans import TensorScans
from .tensor_spellings import TensorSpellings
from .types import DTypeLike, Number, Shape, TensorLike

if TYPE_CHECKING:
    from .tensor import Tensor


def _shape(x: TensorLike) -> tuple[int, ...]:
    return np.shape(x._data if isinstance(x, TensorBase) else x)


#: PyTorch's CPU tensor type names (``t.type("torch.LongTensor")``), as numpy dtypes
_TORCH_TYPE_NAMES = {
    f"torch.{name}Tensor": dtype
    for name, dtype in [("Float", "float32"), ("Double", "float64"), ("Half", "float16"), ("Long", "int64")]
    + [("Int", "int32"), ("Short", "int16"), ("Char", "int8"), ("Byte", "uint8"), ("Bool", "bool")]
    + [("UInt16", "uint16"), ("UInt32", "uint32"), ("UInt64", "uint64")]
}


def _require_int(op: str, name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{op}: {name} must be an int, got {value!r}")


class TensorMath(TensorSpellings, TensorPointwise, TensorScans, TensorLayout, TensorElementary):
    """PyTorch-named math and shape methods (see the module docstring)."""

    def __contains__(self, value: object) -> bool:
        """``value in t``: whether an element equals it, as PyTorch (iterating rows would compare whole rows)."""
        return bool((self._data == np.asarray(value._data if isinstance(value, TensorBase) else value)).any())

    def log1p(self) -> Tensor:
        """log(1 + x), elementwise, accurate for tiny x (d/dx = 1 / (1 + x))."""
        return _tensor.Tensor.apply(Log1p, self)

    def expm1(self) -> Tensor:
        """e**x - 1, elementwise, accurate for tiny x (d/dx = e**x)."""
        return _tensor.Tensor.apply(Expm1, self)

    def erf(self) -> Tensor:
        """The error function, elementwise, to float64 rounding (d/dx = 2/sqrt(pi) e**(-x**2))."""
        return _tensor.Tensor.apply(Erf, self)

    def erfc(self) -> Tensor:
        """1 - erf(x), elementwise, accurate in the right tail (erfc(10) ~ 2e-45, where 1 - erf(10) is 0)."""
        return _tensor.Tensor.apply(Erfc, self)

    def reciprocal(self) -> Tensor:
        """1 / x, elementwise."""
        return 1 / cast("Tensor", self)

    def rsqrt(self) -> Tensor:
        """1 / sqrt(x), elementwise."""
        return cast("Tensor", self) ** -0.5

    def sign(self) -> Tensor:
        """-1, 0 or 1 by the sign of each element: a constant (its gradient is zero, as in PyTorch)."""
        return _tensor.Tensor(np.sign(self._data))

    def clamp_min(self, min: TensorLike) -> Tensor:
        """``clamp(min=min)``."""
        return cast("Tensor", self).clamp(min=min)

    def clamp_max(self, max: TensorLike) -> Tensor:
        """``clamp(max=max)``."""
        return cast("Tensor", self).clamp(max=max)

    def round(self, decimals: int = 0) -> Tensor:
        """Round half to even to ``decimals`` places, gradient zero: ``ag.round``, as PyTorch's ``t.round(decimals=2)``.

        >>> Tensor([0.5, 1.5, 2.26]).round(decimals=1)
        Tensor([0.5, 1.5, 2.3])
        """
        from .functions_jax import round

        return round(self, decimals)

    def renorm(self, p: float, dim: int, maxnorm: float) -> Tensor:
        """Slices along ``dim`` of ``p``-norm above ``maxnorm`` scaled down to it: ``ag.renorm`` (``torch.renorm``)."""
        from .linalg import renorm

        return renorm(self, p, dim, maxnorm)

    def where(self, condition: TensorLike, other: TensorLike) -> Tensor:
        """``self`` where ``condition`` holds, else ``other``: PyTorch's ``x.where(cond, y)``, ``ag.where(cond, x, y)``.

        >>> Tensor([1.0, -2.0]).where(np.array([True, False]), 0.0)
        Tensor([1., 0.])
        """
        from .functions import where

        return where(condition, self, other)

    def expand_as(self, other: TensorLike) -> Tensor:
        """Broadcast to ``other``'s shape (``expand(*other.shape)``)."""
        return cast("Tensor", self).expand(*_shape(other))

    def unbind(self, dim: int = 0) -> tuple[Tensor, ...]:
        """The slices along ``dim``, that axis removed, as a tuple (``list(t)`` along dim 0).

        >>> Tensor([[1.0, 2.0], [3.0, 4.0]]).unbind(1)
        (Tensor([1., 3.]), Tensor([2., 4.]))
        """
        if not self.ndim:
            raise ValueError("unbind: a 0-d tensor has no dimension to unbind; reshape(1) it first")
        axis = normalize_axes("unbind", dim, self.ndim)[0]
        lead = (slice(None),) * axis
        return tuple(cast("Tensor", self)[lead + (i,)] for i in range(self.shape[axis]))

    def dot(self, other: TensorLike) -> Tensor:
        """The dot product of two 1-d tensors of one length (``@`` also takes matrices)."""
        shape = _shape(other)
        if self.ndim != 1 or len(shape) != 1 or shape[0] != self.shape[0]:
            raise ValueError(
                f"dot: needs two 1-d tensors of one length (PyTorch's dot), got shapes {self.shape} and {shape}; "
                "use @ for matrices (numpy's dot of 2-d arrays)"
            )
        return cast("Tensor", self) @ other

    def outer(self, other: TensorLike) -> Tensor:
        """The outer product of two 1-d tensors: ``out[i, j] = self[i] * other[j]``."""
        shape = _shape(other)
        if self.ndim != 1 or len(shape) != 1:
            raise ValueError(f"outer: needs two 1-d tensors, got shapes {self.shape} and {shape}")
        return cast("Tensor", self).reshape(-1, 1) * _tensor._lift(other, self).reshape(1, -1)

    def bmm(self, other: TensorLike) -> Tensor:
        """Batched matrix product of (b, n, k) and (b, k, m) tensors (``@`` also broadcasts batches)."""
        shape = _shape(other)
        if self.ndim != 3 or len(shape) != 3 or shape[0] != self.shape[0] or shape[1] != self.shape[2]:
            raise ValueError(
                f"bmm: needs two 3-d tensors with one batch size, got shapes {self.shape} and {shape}; they must be "
                "(b, n, k) and (b, k, m) (use @ for others)"
            )
        return cast("Tensor", self) @ other

    def isclose(self, other: TensorLike, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:
        """``ag.isclose(self, other, ...)``: where ``|self - other| <= atol + rtol * |other|`` (booleans)."""
        from .comparisons import isclose

        return isclose(self, other, rtol, atol, equal_nan)

    def allclose(self, other: TensorLike, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
        """``ag.allclose(self, other, ...)``: whether ``isclose`` holds everywhere (a Python bool)."""
        from .comparisons import allclose

        return allclose(self, other, rtol, atol, equal_nan)

    def equal(self, other: TensorLike) -> bool:
        """``ag.equal(self, other)``: the same shape and the same values (a Python bool)."""
        from .comparisons import equal

        return equal(self, other)

    # ------------------------------------------------------------ matrices: triangles and diagonals, by indexing
    def tril(self, diagonal: int = 0) -> Tensor:
        """The lower triangle of the last two axes, the rest 0 (``torch.tril``: a causal mask's shape); the
        gradient passes through the kept entries only.

        >>> Tensor(np.ones((2, 2))).tril()
        Tensor([[1., 0.],
                [1., 1.]])
        """
        return self._triangle("tril", diagonal, lower=True)

    def triu(self, diagonal: int = 0) -> Tensor:
        """The upper triangle of the last two axes (on and above ``diagonal``), the rest 0 (``torch.triu``)."""
        return self._triangle("triu", diagonal, lower=False)

    def _triangle(self, op: str, diagonal: int, lower: bool) -> Tensor:
        if self.ndim < 2:
            raise ValueError(f"{op}: needs a tensor of 2 or more dimensions, got shape {self.shape}")
        _require_int(op, "diagonal", diagonal)
        below = np.tri(self.shape[-2], self.shape[-1], diagonal if lower else diagonal - 1, dtype=bool)
        # 0 where dropped (a fill, not a product: an inf there still gives 0, as PyTorch's)
        return cast("Tensor", self).masked_fill(~below if lower else below, 0)

    def diagonal(self, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
        """The diagonal of the matrices in axes ``dim1``, ``dim2`` (``offset`` above it), as a last axis
        (``torch.diagonal``); the gradient goes back to those entries.

        >>> Tensor([[1.0, 2.0], [3.0, 4.0]]).diagonal()
        Tensor([1., 4.])
        """
        if self.ndim < 2:
            raise ValueError(f"diagonal: needs a tensor of 2 or more dimensions, got shape {self.shape}")
        _require_int("diagonal", "offset", offset)
        first, second = normalize_axes("diagonal", (dim1, dim2), self.ndim)
        rest = [i for i in range(self.ndim) if i not in (first, second)]
        x = cast("Tensor", self).permute(*rest, first, second)
        rows = np.arange(max(0, -offset), max(0, min(x.shape[-2], x.shape[-1] - offset)))
        return x[..., rows, rows + offset]

    def trace(self) -> Tensor:
        """The sum of a matrix's diagonal (``torch.trace``; d/dx is the identity)."""
        if self.ndim != 2:
            raise ValueError(f"trace: needs a 2-d tensor, got shape {self.shape}")
        return self.diagonal().sum()

    def diag(self, diagonal: int = 0) -> Tensor:
        """A 1-d tensor's values on a square matrix's ``diagonal`` (zeros elsewhere), or a 2-d tensor's
        diagonal, as ``torch.diag``.

        >>> Tensor([1.0, 2.0]).diag()
        Tensor([[1., 0.],
                [0., 2.]])
        """
        _require_int("diag", "diagonal", diagonal)
        if self.ndim == 2:
            return self.diagonal(diagonal)
        if self.ndim != 1:
            raise ValueError(f"diag: needs a 1-d or 2-d tensor, got shape {self.shape}")
        from .functions import concatenate

        n = self.shape[0] + abs(diagonal)
        rows, cols = np.nonzero(np.eye(n, k=diagonal, dtype=bool))
        picks = np.full((n, n), self.shape[0])  # every entry picks the appended 0 ...
        picks[rows, cols] = np.arange(self.shape[0])  # ... but the diagonal's, which pick the values
        return concatenate([cast("Tensor", self), np.zeros(1, self.dtype)])[picks]

    # ------------------------------------------------------------ picking along one axis (PyTorch's names)
    def index_select(self, dim: int, index: TensorLike) -> Tensor:
        """The entries at the 1-d integer ``index`` along ``dim`` (repeats allowed: their gradients add)."""
        picks = np.asarray(index._data if isinstance(index, TensorBase) else index)
        if picks.ndim > 1 or picks.dtype.kind not in "iu":
            lookup = "; to pick rows with a 2-d index (a batch of ids), write x[index] or nn.Embedding"
            raise ValueError(
                f"index_select: index must be a 1-d integer array, got {picks.dtype} of shape {picks.shape}"
                + (lookup if picks.ndim > 1 and picks.dtype.kind in "iu" else "")
            )
        axis = normalize_axes("index_select", dim, self.ndim)[0]
        n, picks = self.shape[axis], picks.reshape(-1)  # (a 0-d index picks one: the axis kept, as PyTorch's)
        outside = picks[(picks < -n) | (picks >= n)]
        if outside.size:
            raise IndexError(
                f"index_select: index {outside[0]} is out of range for dim {dim} of size {n} (shape {self.shape}); "
                f"give indices in [-{n}, {n})"
            )
        return cast("Tensor", self)[(slice(None),) * axis + (picks,)]

    def masked_select(self, mask: TensorLike) -> Tensor:
        """The entries where the boolean ``mask`` (broadcast with this tensor) holds, as a 1-d tensor."""
        keep = np.asarray(mask._data if isinstance(mask, TensorBase) else mask)
        if keep.dtype != np.bool_:
            raise TypeError(f"masked_select: mask must be boolean, got {keep.dtype}; compare first (t > 0)")
        try:
            shape = np.broadcast_shapes(self.shape, keep.shape)
        except ValueError:
            raise ValueError(
                f"masked_select: a mask of shape {keep.shape} does not broadcast with the tensor's {self.shape}; "
                "give a mask of its shape (or one that broadcasts to it)"
            ) from None
        x = cast("Tensor", self)
        return (x if x.shape == shape else x.expand(*shape))[np.broadcast_to(keep, shape)]

    def nonzero(self, *, as_tuple: bool = False) -> Tensor | tuple[Tensor, ...]:
        """The indices of the nonzero entries, one row each (int64, no gradient), as ``torch.nonzero``; with
        ``as_tuple=True`` one 1-d tensor per dimension (numpy's ``nonzero``, ``x[x.nonzero(as_tuple=True)]``).

        >>> Tensor([[0.0, 2.0], [3.0, 0.0]]).nonzero(as_tuple=True)
        (Tensor([0, 1], dtype=int64), Tensor([1, 0], dtype=int64))
        """
        if as_tuple:  # (a 0-d tensor: one axis, as PyTorch's)
            return tuple(_tensor.Tensor(i.astype(np.int64)) for i in np.nonzero(np.atleast_1d(self._data)))
        return _tensor.Tensor(np.argwhere(self._data).astype(np.int64))

    def roll(self, shifts: int | tuple[int, ...], dims: int | tuple[int, ...] | None = None) -> Tensor:
        """Entries shifted along ``dims`` by ``shifts``, wrapping around (``torch.roll``; flattened without dims)."""
        if dims is None:
            return cast("Tensor", self).reshape(-1).roll(shifts, 0).reshape(self.shape)
        steps, axes = np.atleast_1d(shifts), normalize_axes("roll", dims, self.ndim)
        if steps.dtype.kind not in "iu":  # (int(1.5) would shift by 1, silently)
            raise TypeError(f"roll: shifts must be ints (or a tuple of them), got {shifts!r}")
        if len(steps) != len(axes):
            raise ValueError(f"roll: {len(steps)} shifts for {len(axes)} dims; give one shift per dim")
        x = cast("Tensor", self)
        for step, axis in zip(steps, axes):
            x = x[(slice(None),) * axis + (np.roll(np.arange(self.shape[axis]), int(step)),)]
        return x

    def swapaxes(self, axis0: int, axis1: int) -> Tensor:
        """Swap two axes (numpy's and PyTorch's name for ``transpose(a, b)``)."""
        return cast("Tensor", self).transpose(axis0, axis1)

    def movedim(self, source: int, destination: int) -> Tensor:
        """Move axis ``source`` to position ``destination`` (``torch.movedim``, numpy's ``moveaxis``)."""
        src, dst = normalize_axes("movedim", source, self.ndim)[0], normalize_axes("movedim", destination, self.ndim)[0]
        order = [i for i in range(self.ndim) if i != src]
        order.insert(dst, src)
        return cast("Tensor", self).permute(*order)

    # ------------------------------------------------------------ new tensors of this one's dtype (PyTorch's x.new_*)
    def new_zeros(
        self,
        *size: int | Shape | list[int],
        dtype: DTypeLike | None = None,
        requires_grad: bool = False,
        device: str | None = None,
    ) -> Tensor:
        """Zeros of ``size``, in this tensor's dtype unless ``dtype`` says otherwise (``x.new_zeros(3, 4)``);
        ``device=``, here and below, is the creation functions' (``"cpu"``)."""
        from .creation import zeros

        return zeros(*size, dtype=self.dtype if dtype is None else dtype, requires_grad=requires_grad, device=device)

    def new_ones(
        self,
        *size: int | Shape | list[int],
        dtype: DTypeLike | None = None,
        requires_grad: bool = False,
        device: str | None = None,
    ) -> Tensor:
        """Ones of ``size``, in this tensor's dtype."""
        from .creation import ones

        return ones(*size, dtype=self.dtype if dtype is None else dtype, requires_grad=requires_grad, device=device)

    def new_full(
        self,
        size: int | Shape | list[int],
        fill_value: Number,
        dtype: DTypeLike | None = None,
        requires_grad: bool = False,
        device: str | None = None,
    ) -> Tensor:
        """``fill_value`` everywhere in a tensor of ``size``, in this tensor's dtype.

        >>> Tensor(np.ones(2, np.float32)).new_full((2,), 7)
        Tensor([7., 7.], dtype=float32)
        """
        from .creation import full

        wanted = self.dtype if dtype is None else dtype
        return full(size, fill_value, dtype=wanted, requires_grad=requires_grad, device=device)

    def new_tensor(
        self, data: TensorLike, dtype: DTypeLike | None = None, requires_grad: bool = False, device: str | None = None
    ) -> Tensor:
        """A copy of ``data`` (a constant, never in this one's graph), in this tensor's dtype."""
        require_cpu("new_tensor", device)
        values = data._data if isinstance(data, TensorBase) else data
        return _tensor.Tensor(
            np.array(values, dtype=self.dtype if dtype is None else dtype), requires_grad=requires_grad
        )

    def type(self, dtype: DTypeLike | None = None) -> Tensor | str:
        """``t.type(ag.float32)`` casts, as ``t.to(dtype)``; ``t.type()`` names the type as PyTorch does
        (``"torch.DoubleTensor"`` for float64: ``t.dtype`` has numpy's name); ``t.type("torch.FloatTensor")`` casts.

        >>> Tensor([1.5]).type(np.float32).dtype, Tensor([1.5]).type()
        (dtype('float32'), 'torch.DoubleTensor')
        """
        if dtype is None:  # a dtype PyTorch has no tensor type for (float128, str_) keeps numpy's name
            names = {np.dtype(numpy_name): name for name, numpy_name in _TORCH_TYPE_NAMES.items()}
            return names.get(self.dtype, str(self.dtype))
        if isinstance(dtype, str) and dtype.startswith("torch."):  # PyTorch's type names, as its own code spells them
            if dtype not in _TORCH_TYPE_NAMES:
                raise TypeError(f"type: unknown type {dtype!r}; use {', '.join(_TORCH_TYPE_NAMES)} or a numpy dtype")
            dtype = _TORCH_TYPE_NAMES[dtype]
        return cast("Tensor", self).to(dtype)

    @property
    def mT(self) -> Tensor:
        """The last two axes swapped (a batch of matrices, each transposed)."""
        if self.ndim < 2:
            raise ValueError(f"mT: needs a tensor of 2 or more dimensions, got shape {self.shape}")
        return cast("Tensor", self).transpose(-2, -1)
