"""``torch.f(x, ...)`` for the Tensor methods of ``tensor_selection.py`` and ``tensor_queries.py`` that torch
also has at top level (``functions_methods_math.py`` has those of the arithmetic and linear algebra): each is
``as_tensor(x).f(...)``, so the method is the one place its knowledge lives. ``ag`` gathers them through
``functions_idioms``' star import (``autograd_core/__init__.py`` is full).

>>> ag.select(ag.tensor([[1, 2], [3, 4]]), 1, 0).tolist()
[1, 3]
"""

from __future__ import annotations

from .functions import as_tensor
from .tensor import Tensor
from .types import TensorLike

__all__ = [
    "select",
    "narrow_copy",
    "select_scatter",
    "slice_scatter",
    "diagonal_scatter",
    "masked_scatter",
    "scatter_reduce",
    "index_reduce",
    "index_add",
    "index_copy",
    "index_fill",
    "put",
    "hsplit",
    "vsplit",
    "dsplit",
    "split_with_sizes",
    "diagflat",
    "is_signed",
    "is_complex",
    "is_nonzero",
    "is_same_size",
    "is_neg",
    "is_conj",
    "is_inference",
    "conj",
    "conj_physical",
    "resolve_conj",
    "resolve_neg",
    "real",
    "positive",
]


# ------------------------------------------------------------------------------- picking and placing
def select(input: TensorLike, dim: int, index: int) -> Tensor:
    """``input.select(dim, index)``: the slice at ``index`` along ``dim`` (module docstring)."""
    return as_tensor(input).select(dim, index)


def narrow_copy(input: TensorLike, dim: int, start: int, length: int) -> Tensor:
    """``input.narrow_copy(dim, start, length)``: a copy of the narrowed slice.

    >>> narrow_copy(Tensor([1.0, 2.0, 3.0]), 0, 0, 2).tolist()
    [1.0, 2.0]
    """
    return as_tensor(input).narrow_copy(dim, start, length)


def select_scatter(input: TensorLike, src: TensorLike, dim: int, index: int) -> Tensor:
    """``input.select_scatter(src, dim, index)``: a copy with ``src`` at that slice.

    >>> select_scatter(Tensor(np.zeros((2, 2))), Tensor([1.0, 2.0]), 1, 0).tolist()
    [[1.0, 0.0], [2.0, 0.0]]
    """
    return as_tensor(input).select_scatter(src, dim, index)


def slice_scatter(
    input: TensorLike, src: TensorLike, dim: int = 0, start: int | None = None, end: int | None = None, step: int = 1
) -> Tensor:
    """``input.slice_scatter(src, dim, start, end, step)``: a copy with ``src`` at that slice.

    >>> slice_scatter(Tensor([0.0, 0.0, 0.0]), Tensor([1.0, 1.0]), step=2).tolist()
    [1.0, 0.0, 1.0]
    """
    return as_tensor(input).slice_scatter(src, dim, start, end, step)


def diagonal_scatter(input: TensorLike, src: TensorLike, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """``input.diagonal_scatter(src, offset, dim1, dim2)``: a copy with ``src`` on that diagonal.

    >>> diagonal_scatter(Tensor(np.zeros((2, 3))), Tensor([1.0, 2.0]), 1).tolist()
    [[0.0, 1.0, 0.0], [0.0, 0.0, 2.0]]
    """
    return as_tensor(input).diagonal_scatter(src, offset, dim1, dim2)


def masked_scatter(input: TensorLike, mask: TensorLike, source: TensorLike) -> Tensor:
    """``input.masked_scatter(mask, source)``: ``source``'s elements, in order, where ``mask`` holds.

    >>> masked_scatter(Tensor([0.0, 0.0]), np.array([False, True]), Tensor([7.0])).tolist()
    [0.0, 7.0]
    """
    return as_tensor(input).masked_scatter(mask, source)


def scatter_reduce(
    input: TensorLike, dim: int, index: TensorLike, src: TensorLike, reduce: str, *, include_self: bool = True
) -> Tensor:
    """``input.scatter_reduce(dim, index, src, reduce, include_self=)``.

    >>> scatter_reduce(Tensor([0.0, 0.0]), 0, ag.tensor([1, 1]), Tensor([2.0, 4.0]), "mean").tolist()
    [0.0, 2.0]
    """
    return as_tensor(input).scatter_reduce(dim, index, src, reduce, include_self=include_self)


def index_reduce(
    input: TensorLike, dim: int, index: TensorLike, source: TensorLike, reduce: str, *, include_self: bool = True
) -> Tensor:
    """``input.index_reduce(dim, index, source, reduce, include_self=)``.

    >>> index_reduce(Tensor([5.0, 5.0]), 0, ag.tensor([0]), Tensor([9.0]), "amin").tolist()
    [5.0, 5.0]
    """
    return as_tensor(input).index_reduce(dim, index, source, reduce, include_self=include_self)


def index_add(input: TensorLike, dim: int, index: TensorLike, source: TensorLike, *, alpha: float = 1) -> Tensor:
    """``input.index_add(dim, index, source, alpha=)``: ``alpha * source`` added at ``index`` along ``dim``.

    >>> index_add(Tensor([0.0, 0.0]), 0, ag.tensor([1, 1]), Tensor([1.0, 2.0])).tolist()
    [0.0, 3.0]
    """
    return as_tensor(input).index_add(dim, index, source, alpha=alpha)


def index_copy(input: TensorLike, dim: int, index: TensorLike, source: TensorLike) -> Tensor:
    """``input.index_copy(dim, index, source)``: ``source`` written at ``index`` along ``dim``.

    >>> index_copy(Tensor([0.0, 0.0]), 0, ag.tensor([1]), Tensor([4.0])).tolist()
    [0.0, 4.0]
    """
    return as_tensor(input).index_copy(dim, index, source)


def index_fill(input: TensorLike, dim: int, index: TensorLike, value: TensorLike) -> Tensor:
    """``input.index_fill(dim, index, value)``: ``value`` at ``index`` along ``dim``.

    >>> index_fill(Tensor([1.0, 2.0]), 0, ag.tensor([0]), -1.0).tolist()
    [-1.0, 2.0]
    """
    return as_tensor(input).index_fill(dim, index, value)


def put(input: TensorLike, index: TensorLike, source: TensorLike, accumulate: bool = False) -> Tensor:
    """``input.put(index, source, accumulate)``: ``source`` at the flat positions ``index``.

    >>> put(Tensor([0.0, 0.0]), ag.tensor([1, 1]), Tensor([1.0, 2.0]), accumulate=True).tolist()
    [0.0, 3.0]
    """
    return as_tensor(input).put(index, source, accumulate)


def hsplit(input: TensorLike, sections: int | list[int] | tuple[int, ...]) -> tuple[Tensor, ...]:
    """``input.hsplit(sections)``: pieces along dim 1 (dim 0 of a vector).

    >>> [p.tolist() for p in hsplit(Tensor([1.0, 2.0, 3.0]), [1])]
    [[1.0], [2.0, 3.0]]
    """
    return as_tensor(input).hsplit(sections)


def vsplit(input: TensorLike, sections: int | list[int] | tuple[int, ...]) -> tuple[Tensor, ...]:
    """``input.vsplit(sections)``: pieces along dim 0 of a matrix (or more).

    >>> [p.shape for p in vsplit(Tensor(np.zeros((4, 2))), 2)]
    [(2, 2), (2, 2)]
    """
    return as_tensor(input).vsplit(sections)


def dsplit(input: TensorLike, sections: int | list[int] | tuple[int, ...]) -> tuple[Tensor, ...]:
    """``input.dsplit(sections)``: pieces along dim 2 of a 3-d tensor (or more).

    >>> [p.shape for p in dsplit(Tensor(np.zeros((1, 1, 4))), [1, 3])]
    [(1, 1, 1), (1, 1, 2), (1, 1, 1)]
    """
    return as_tensor(input).dsplit(sections)


def split_with_sizes(input: TensorLike, split_sizes: list[int] | tuple[int, ...], dim: int = 0) -> tuple[Tensor, ...]:
    """``input.split_with_sizes(split_sizes, dim)``: pieces of those sizes.

    >>> [p.tolist() for p in split_with_sizes(Tensor([1.0, 2.0, 3.0]), [2, 1])]
    [[1.0, 2.0], [3.0]]
    """
    return as_tensor(input).split_with_sizes(split_sizes, dim)


def diagflat(input: TensorLike, offset: int = 0) -> Tensor:
    """``input.diagflat(offset)``: the flattened input on a diagonal of a square matrix.

    >>> diagflat(Tensor([1.0, 2.0]), 1).tolist()
    [[0.0, 1.0, 0.0], [0.0, 0.0, 2.0], [0.0, 0.0, 0.0]]
    """
    return as_tensor(input).diagflat(offset)


# ------------------------------------------------------------------------------- questions and no-ops
def is_signed(input: TensorLike) -> bool:
    """``input.is_signed()``: floats and signed ints.

    >>> is_signed(ag.tensor([1], dtype=np.uint8)), is_signed(Tensor([1.0]))
    (False, True)
    """
    return as_tensor(input).is_signed()


def is_complex(input: TensorLike) -> bool:
    """``input.is_complex()``.

    >>> is_complex(Tensor([1.0]))
    False
    """
    return as_tensor(input).is_complex()


def is_nonzero(input: TensorLike) -> bool:
    """``input.is_nonzero()``: whether its single element is not 0.

    >>> is_nonzero(Tensor([0.0]))
    False
    """
    return as_tensor(input).is_nonzero()


def is_same_size(input: TensorLike, other: TensorLike) -> bool:
    """``input.is_same_size(other)``.

    >>> is_same_size(Tensor([1.0, 2.0]), Tensor([[1.0, 2.0]]))
    False
    """
    return as_tensor(input).is_same_size(other)


def is_neg(input: TensorLike) -> bool:
    """``input.is_neg()``: False (no lazy negation here).

    >>> is_neg(Tensor([-1.0]))
    False
    """
    return as_tensor(input).is_neg()


def is_conj(input: TensorLike) -> bool:
    """``input.is_conj()``: False (no lazy conjugation here).

    >>> is_conj(Tensor([1.0]))
    False
    """
    return as_tensor(input).is_conj()


def is_inference(input: TensorLike) -> bool:
    """``input.is_inference()``: False (``inference_mode`` marks no tensor here).

    >>> with ag.inference_mode():
    ...     is_inference(Tensor([1.0]))
    False
    """
    return as_tensor(input).is_inference()


def conj(input: TensorLike) -> Tensor:
    """``input.conj()``: the real tensor itself.

    >>> conj(Tensor([1.0]))
    Tensor([1.])
    """
    return as_tensor(input).conj()


def conj_physical(input: TensorLike) -> Tensor:
    """``input.conj_physical()``: a copy of the real tensor.

    >>> conj_physical(Tensor([1.0]))
    Tensor([1.])
    """
    return as_tensor(input).conj_physical()


def resolve_conj(input: TensorLike) -> Tensor:
    """``input.resolve_conj()``: the tensor itself.

    >>> resolve_conj(Tensor([1.0]))
    Tensor([1.])
    """
    return as_tensor(input).resolve_conj()


def resolve_neg(input: TensorLike) -> Tensor:
    """``input.resolve_neg()``: the tensor itself.

    >>> resolve_neg(Tensor([1.0]))
    Tensor([1.])
    """
    return as_tensor(input).resolve_neg()


def real(input: TensorLike) -> Tensor:
    """``input.real``: the real tensor itself.

    >>> real(Tensor([1.0]))
    Tensor([1.])
    """
    return as_tensor(input).real


def positive(input: TensorLike) -> Tensor:
    """``input.positive()``: the tensor itself (a bool one is refused).

    >>> positive(Tensor([-1.0]))
    Tensor([-1.])
    """
    return as_tensor(input).positive()
