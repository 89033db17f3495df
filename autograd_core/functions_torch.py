"""Module-level spellings of PyTorch's functions that numpy lacks (``ag.gather(x, 1, idx)``, ``ag.sort``,
``ag.split``, ``ag.tril``, ...), each the Tensor method of ``tensor_torch.py`` / ``tensor_views.py`` /
``tensor_math.py``; ``sin``, ``cos``, ``erf`` and ``erfc`` are primitives; ``increment_version`` counts a write
numpy made into a tensor's array.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

import numpy as np

from .comparisons import _values
from .functions import as_tensor, where
from .graph_state import count_writes
from .tensor import Tensor
from .tensor_torch import SortResult
from .types import Axis, Number, Shape, TensorLike


def sin(x: TensorLike) -> Tensor:
    """sin x, elementwise (d/dx = cos x).

    >>> sin(Tensor([0.0]))
    Tensor([0.])
    """
    return as_tensor(x).sin()


def cos(x: TensorLike) -> Tensor:
    """cos x, elementwise (d/dx = -sin x).

    >>> cos(Tensor([0.0]))
    Tensor([1.])
    """
    return as_tensor(x).cos()


def log1p(x: TensorLike) -> Tensor:
    """log(1 + x), elementwise, accurate for tiny x (``x.log1p()``, ``np.log1p(x)``).

    >>> log1p(Tensor([0.0, 1e-20]))
    Tensor([0.e+00, 1.e-20])
    """
    return as_tensor(x).log1p()


def log10(x: TensorLike) -> Tensor:
    """Base-10 log, elementwise (``x.log10()``; composed as log x / log 10).

    >>> log10(Tensor([1.0, 100.0]))
    Tensor([0., 2.])
    """
    return as_tensor(x).log10()


def log2(x: TensorLike) -> Tensor:
    """Base-2 log, elementwise (``x.log2()``; composed as log x / log 2)."""
    return as_tensor(x).log2()


def square(x: TensorLike) -> Tensor:
    """x * x, elementwise (``x.square()``, ``np.square(x)``; d/dx = 2x).

    >>> square(Tensor([-3.0, 0.5]))
    Tensor([9.  , 0.25])
    """
    return as_tensor(x).square()


def expm1(x: TensorLike) -> Tensor:
    """e**x - 1, elementwise, accurate for tiny x (``x.expm1()``, ``np.expm1(x)``).

    >>> expm1(Tensor([0.0, 1e-20]))
    Tensor([0.e+00, 1.e-20])
    """
    return as_tensor(x).expm1()


def erf(x: TensorLike) -> Tensor:
    """The error function, elementwise (``x.erf()``, ``torch.erf``), within a few float64 ulps.

    >>> erf(Tensor([0.0, 0.5])).tolist()
    [0.0, 0.5204998778130465]
    """
    return as_tensor(x).erf()


def erfc(x: TensorLike) -> Tensor:
    """1 - erf(x), elementwise (``x.erfc()``, ``torch.erfc``), accurate where erf(x) rounds to 1.

    >>> erfc(Tensor([10.0])).item()  # 1 - erf(10) would be 0
    2.08848758376254...e-45
    """
    return as_tensor(x).erfc()


def tril(x: TensorLike, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two axes, the rest 0 (``x.tril(diagonal)``): a causal mask.

    >>> tril(np.ones((2, 2)))
    Tensor([[1., 0.],
            [1., 1.]])
    """
    return as_tensor(x).tril(diagonal)


def triu(x: TensorLike, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two axes, the rest 0 (``x.triu(diagonal)``).

    >>> triu(np.ones((2, 2)), 1)
    Tensor([[0., 1.],
            [0., 0.]])
    """
    return as_tensor(x).triu(diagonal)


def diagonal(x: TensorLike, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal of the matrices in axes ``dim1``, ``dim2``, as a last axis (``x.diagonal(...)``).

    >>> diagonal(np.arange(4.0).reshape(2, 2))
    Tensor([0., 3.])
    """
    return as_tensor(x).diagonal(offset, dim1, dim2)


def diag(x: TensorLike, diagonal: int = 0) -> Tensor:
    """A vector on a matrix's diagonal, or a matrix's diagonal (``x.diag(diagonal)``).

    >>> diag([1.0, 2.0]).tolist()
    [[1.0, 0.0], [0.0, 2.0]]
    """
    return as_tensor(x).diag(diagonal)


def trace(x: TensorLike) -> Tensor:
    """The sum of a matrix's diagonal (``x.trace()``).

    >>> trace(np.arange(4.0).reshape(2, 2))
    Tensor(3.)
    """
    return as_tensor(x).trace()


def roll(x: TensorLike, shifts: int | tuple[int, ...], dims: int | tuple[int, ...] | None = None) -> Tensor:
    """Entries shifted along ``dims``, wrapping around (``x.roll(shifts, dims)``).

    >>> roll([1.0, 2.0, 3.0], 1)
    Tensor([3., 1., 2.])
    """
    return as_tensor(x).roll(shifts, dims)


def gather(x: TensorLike, dim: int, index: TensorLike) -> Tensor:
    """``x.gather(dim, index)``: ``out[i][j] = x[i][index[i][j]]`` along ``dim``, differentiable in x.

    >>> gather(Tensor([[1.0, 2.0], [3.0, 4.0]]), 1, [[1], [1]])   # each row's second column
    Tensor([[2.],
            [4.]])
    """
    return as_tensor(x).gather(dim, index)


def scatter(
    x: TensorLike, dim: int, index: TensorLike, src: TensorLike | None = None, *, value: Number | None = None
) -> Tensor:
    """``x.scatter(dim, index, src)``: a copy of x with src (or ``value``) written at index along dim, recorded.

    >>> scatter(ag.zeros(3), 0, ag.tensor([2]), value=1.0)
    Tensor([0., 0., 1.])
    """
    return as_tensor(x).scatter(dim, index, src, value=value)


def cumsum(x: TensorLike, dim: int | None = None, *, axis: int | None = None) -> Tensor:
    """Running sum along ``dim`` (or numpy's ``axis=``): ``x.cumsum(dim)``.

    >>> cumsum(Tensor([1.0, 2.0, 3.0]), 0)
    Tensor([1., 3., 6.])
    """
    return as_tensor(x).cumsum(dim, axis=axis)


def prod(x: TensorLike, dim: Axis = None, keepdim: bool = False) -> Tensor:
    """Product of the elements over ``dim`` (all by default), as ``torch.prod`` (``x.prod(dim, keepdim)``).

    >>> prod(Tensor([[1.0, 2.0], [3.0, 4.0]]), 1)
    Tensor([ 2., 12.])
    """
    return as_tensor(x).prod(dim, keepdim)


def broadcast_to(x: TensorLike, shape: int | Shape | list[int]) -> Tensor:
    """Repeat ``x`` along its size-1 (or new leading) axes to ``shape``, as ``torch.broadcast_to`` (and DeZero's
    ``F.broadcast_to``); its gradient is ``ag.sum_to`` the input's shape.

    >>> broadcast_to(Tensor([1.0, 2.0]), (2, 2))
    Tensor([[1., 2.],
            [1., 2.]])
    """
    return as_tensor(x).broadcast_to(tuple(shape) if isinstance(shape, (tuple, list)) else (shape,))


def flip(x: TensorLike, dims: int | Shape | list[int]) -> Tensor:
    """Reverse ``x`` along ``dims`` (``x.flip(dims)``).

    >>> flip(Tensor([1.0, 2.0, 3.0]), 0)
    Tensor([3., 2., 1.])
    """
    return as_tensor(x).flip(dims)


def sort(x: TensorLike, dim: int = -1, descending: bool = False, *, stable: bool = True) -> SortResult:
    """``(values, indices)`` of ``x`` sorted along ``dim`` (``x.sort(dim)``), a stable sort; NaN counts as largest.

    >>> sort(Tensor([2.0, 1.0, 2.0]), descending=True).indices   # ties keep their order
    Tensor([0, 2, 1], dtype=int64)
    """
    return as_tensor(x).sort(dim, descending)


def topk(x: TensorLike, k: int, dim: int = -1, largest: bool = True) -> SortResult:
    """The ``k`` largest ``(values, indices)`` along ``dim`` (``x.topk(k)``).

    >>> topk(Tensor([1.0, 5.0, 3.0]), 2).values
    Tensor([5., 3.])
    """
    return as_tensor(x).topk(k, dim, largest)


def isnan(x: TensorLike) -> Tensor:
    """A boolean tensor: where ``x`` is NaN.

    >>> isnan(Tensor([1.0, float("nan")])).tolist()
    [False, True]
    """
    return as_tensor(x).isnan()


def isfinite(x: TensorLike) -> Tensor:
    """A boolean tensor: where ``x`` is neither NaN nor infinite.

    >>> isfinite(Tensor([1.0, float("inf")])).tolist()
    [True, False]
    """
    return as_tensor(x).isfinite()


def heaviside(x: TensorLike, values: TensorLike) -> Tensor:
    """The step: 0 where x < 0, ``values`` where x == 0, 1 where x > 0, as ``torch.heaviside`` (``np.heaviside(t,
    v)`` calls it). A constant in x, as ``t.sign()``: its derivative is 0 wherever it exists (why Murphy's XOR net
    of step units, 13.2.1, cannot learn by gradient descent); ``values`` gets the gradient where x == 0.

    >>> heaviside(Tensor([-2.0, 0.0, 3.0]), 0.5)
    Tensor([0. , 0.5, 1. ])
    """
    t = as_tensor(x)
    return where(t.data == 0, values, Tensor((t.data > 0).astype(t.dtype if t.dtype.kind == "f" else np.float64)))


def nansum(x: TensorLike, dim: Axis = None, keepdim: bool = False) -> Tensor:
    """The sum over ``dim`` (all by default) counting NaN as zero, as ``torch.nansum``; ``np.nansum(t)`` on a
    Tensor calls it. A NaN element gets gradient 0 (the graph runs through ``where``, not around it).

    >>> nansum(Tensor([1.0, float("nan"), 2.0]))
    Tensor(3.)
    """
    t = as_tensor(x)
    return where(t.isnan(), 0.0, t).sum(dim, keepdim)


def split(x: TensorLike, split_size_or_sections: int | list[int] | tuple[int, ...], dim: int = 0) -> tuple[Tensor, ...]:
    """``x.split(size_or_sizes, dim)``: pieces of ``size`` along ``dim`` (the last may be shorter), or of each size.

    >>> [piece.tolist() for piece in split(Tensor([1.0, 2.0, 3.0]), 2)]
    [[1.0, 2.0], [3.0]]
    """
    return as_tensor(x).split(split_size_or_sections, dim)


def chunk(x: TensorLike, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """``x.chunk(n, dim)``: at most ``n`` pieces of equal size along ``dim`` (the last may be shorter).

    >>> [piece.shape for piece in chunk(Tensor([[1.0, 2.0, 3.0]]), 2, dim=1)]
    [(1, 2), (1, 1)]
    """
    return as_tensor(x).chunk(chunks, dim)


def increment_version(tensors: Tensor | Iterable[Tensor]) -> None:
    """Count an in-place change the engine did not see, as ``torch.autograd.graph.increment_version``: numpy
    writing into a tensor's own array (``np.subtract(w.data, step, out=w.data)``, ``w.data[0] = 5.0``). A graph
    that saved the tensor, or one sharing its memory, then refuses to backward instead of using the new values.
    A list counts as one change to each (what ``nn.optim``'s steps do).

    >>> w = Tensor([1.0, 2.0], requires_grad=True)
    >>> y = (w * w).sum()
    >>> w.data[0] = 5.0
    >>> increment_version(w)
    >>> y.backward()  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    RuntimeError: mul: a tensor of shape (2,) that it saved for backward was modified in place after the op ran ...
    """
    listed = isinstance(tensors, Iterable) and not isinstance(tensors, (Tensor, np.ndarray))  # (an array: named)
    items: tuple[object, ...] = tuple(tensors) if listed else (tensors,)
    for t in items:
        if not isinstance(t, Tensor):
            raise TypeError(f"increment_version: expected a Tensor or an iterable of Tensors, got {type(t).__name__}")
    count_writes(cast("tuple[Tensor, ...]", items))


def mm(x: TensorLike, other: TensorLike) -> Tensor:
    """Matrix product of two 2-d tensors, as ``torch.mm`` (``ag.matmul`` / ``@`` also take batches and vectors).

    >>> mm(Tensor([[1.0, 2.0]]), Tensor([[3.0], [4.0]]))
    Tensor([[11.]])
    """
    return as_tensor(x).mm(other)


def mv(x: TensorLike, vec: TensorLike) -> Tensor:
    """Matrix-vector product of a 2-d and a 1-d tensor, as ``torch.mv`` (``x.mv(vec)``).

    >>> mv(Tensor([[1.0, 2.0], [3.0, 4.0]]), Tensor([1.0, 1.0]))
    Tensor([3., 7.])
    """
    return as_tensor(x).mv(vec)


def index_select(x: TensorLike, dim: int, index: TensorLike) -> Tensor:
    """``x.index_select(dim, index)``: the entries at the integer ``index`` along ``dim``, as ``torch.index_select``.

    >>> index_select(Tensor([[1.0, 2.0], [3.0, 4.0]]), 1, [1])
    Tensor([[2.],
            [4.]])
    """
    return as_tensor(x).index_select(dim, index)


def masked_select(x: TensorLike, mask: TensorLike) -> Tensor:
    """``x.masked_select(mask)``: the entries where the boolean ``mask`` holds, 1-d, as ``torch.masked_select``."""
    return as_tensor(x).masked_select(mask)


def nonzero(x: TensorLike, *, as_tuple: bool = False) -> Tensor | tuple[Tensor, ...]:
    """``x.nonzero()``: the indices of the nonzero entries, one row each, as ``torch.nonzero``.

    >>> nonzero(Tensor([0.0, 5.0, 7.0]))
    Tensor([[1],
            [2]], dtype=int64)
    """
    return as_tensor(x).nonzero(as_tuple=as_tuple)


def unbind(x: TensorLike, dim: int = 0) -> tuple[Tensor, ...]:
    """``x.unbind(dim)``: the slices along ``dim``, that axis removed, as ``torch.unbind``."""
    return as_tensor(x).unbind(dim)


def bmm(x: TensorLike, other: TensorLike) -> Tensor:
    """``x.bmm(other)``: the batched matrix product of (b, n, k) and (b, k, m) tensors, as ``torch.bmm``."""
    return as_tensor(x).bmm(other)


def outer(x: TensorLike, other: TensorLike) -> Tensor:
    """``x.outer(other)``: ``out[i, j] = x[i] * other[j]`` for 1-d tensors, as ``torch.outer``.

    >>> outer(Tensor([1.0, 2.0]), Tensor([3.0, 4.0]))
    Tensor([[3., 4.],
            [6., 8.]])
    """
    return as_tensor(x).outer(other)


def dot(x: TensorLike, other: TensorLike) -> Tensor:
    """``x.dot(other)``: the dot product of two 1-d tensors of one length, as ``torch.dot``.

    >>> dot(Tensor([1.0, 2.0]), Tensor([3.0, 4.0]))
    Tensor(11.)
    """
    return as_tensor(x).dot(other)


def repeat_interleave(x: TensorLike, repeats: TensorLike | None = None, dim: int | None = None) -> Tensor:
    """``x.repeat_interleave(repeats, dim)``, as ``torch.repeat_interleave``; with x alone, x is the counts and
    each index repeats that often.

    >>> repeat_interleave([2, 0, 1])
    Tensor([0, 0, 2], dtype=int64)
    """
    if repeats is None:
        counts = _values("repeat_interleave", x)
        return Tensor(np.arange(counts.size)).repeat_interleave(counts)
    return as_tensor(x).repeat_interleave(repeats, dim)
