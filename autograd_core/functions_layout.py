"""Module-level spellings of the shape and indexing methods of ``tensor_layout.py`` (``ag.narrow``, ``ag.kron``,
``ag.unique``, ...), and PyTorch's functions of several tensors that have no method: ``block_diag meshgrid
cartesian_prod combinations cdist``; ``bernoulli``; ``get_default_dtype``/``set_default_dtype`` (float64, fixed)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import cast

import numpy as np

from .functions import as_tensor, cat, norm, stack
from .sampling import Generator, manual_seed  # noqa: F401 (manual_seed: read by an example)
from .tensor import Tensor
from .types import DTypeLike, Number, Shape, TensorLike


def unflatten(x: TensorLike, dim: int, sizes: Shape | list[int]) -> Tensor:
    """Axis ``dim`` split into ``sizes`` (``x.unflatten(dim, sizes)``).

    >>> unflatten(Tensor(np.zeros(6)), 0, (2, 3)).shape
    (2, 3)
    """
    return as_tensor(x).unflatten(dim, sizes)


def take(x: TensorLike, index: TensorLike) -> Tensor:
    """The flattened tensor's elements at ``index`` (``x.take(index)``).

    >>> take(Tensor([[1.0, 2.0], [3.0, 4.0]]), ag.tensor([0, 3]))
    Tensor([1., 4.])
    """
    return as_tensor(x).take(index)


def narrow(x: TensorLike, dim: int, start: int, length: int) -> Tensor:
    """``length`` entries from ``start`` along ``dim`` (``x.narrow(dim, start, length)``).

    >>> narrow(Tensor([1.0, 2.0, 3.0]), 0, 1, 2)
    Tensor([2., 3.])
    """
    return as_tensor(x).narrow(dim, start, length)


def tensor_split(
    x: TensorLike, indices_or_sections: int | list[int] | tuple[int, ...], dim: int = 0
) -> tuple[Tensor, ...]:
    """Nearly equal parts, or parts cut at indices (``x.tensor_split(n)``).

    >>> tensor_split(Tensor([1.0, 2.0, 3.0]), [1])
    (Tensor([1.]), Tensor([2., 3.]))
    """
    return as_tensor(x).tensor_split(indices_or_sections, dim)


def diag_embed(x: TensorLike, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Last-axis vectors as diagonals of square matrices (``x.diag_embed()``).

    >>> diag_embed(Tensor([1.0, 2.0]), offset=1).shape
    (3, 3)
    """
    return as_tensor(x).diag_embed(offset, dim1, dim2)


def kron(x: TensorLike, other: TensorLike) -> Tensor:
    """The Kronecker product (``x.kron(other)``).

    >>> kron(Tensor([1.0, 2.0]), Tensor([1.0, 10.0]))
    Tensor([ 1., 10.,  2., 20.])
    """
    return as_tensor(x).kron(other)


def cross(x: TensorLike, other: TensorLike, dim: int | None = None) -> Tensor:
    """The cross product of 3-vectors along ``dim`` (``x.cross(other, dim)``).

    >>> cross(Tensor([0.0, 1.0, 0.0]), Tensor([0.0, 0.0, 1.0]), dim=0)
    Tensor([1., 0., 0.])
    """
    return as_tensor(x).cross(other, dim)


def rot90(x: TensorLike, k: int = 1, dims: tuple[int, int] | list[int] = (0, 1)) -> Tensor:
    """Rotated by 90 degrees ``k`` times in the plane of ``dims`` (``x.rot90()``).

    >>> rot90(Tensor([[1.0, 2.0], [3.0, 4.0]]), 2)
    Tensor([[4., 3.],
            [2., 1.]])
    """
    return as_tensor(x).rot90(k, dims)


def unique(
    x: TensorLike,
    sorted: bool = True,
    return_inverse: bool = False,
    return_counts: bool = False,
    dim: int | None = None,
) -> Tensor | tuple[Tensor, ...]:
    """The distinct values, sorted (``x.unique()``), with the inverse and counts on request.

    >>> unique(ag.tensor([3, 1, 3]))
    Tensor([1, 3], dtype=int64)
    """
    return as_tensor(x).unique(sorted, return_inverse, return_counts, dim)


def histc(x: TensorLike, bins: int = 100, min: Number = 0, max: Number = 0) -> Tensor:
    """Counts in ``bins`` equal bins over [min, max] (``x.histc()``).

    >>> histc(Tensor([0.5, 1.5, 1.7]), bins=2, min=0, max=2)
    Tensor([1., 2.])
    """
    return as_tensor(x).histc(bins, min, max)


def scatter_add(x: TensorLike, dim: int, index: TensorLike, src: TensorLike) -> Tensor:
    """A copy with ``src`` added at ``index`` along ``dim`` (``x.scatter_add(dim, index, src)``).

    >>> scatter_add(Tensor([0.0, 0.0]), 0, ag.tensor([0, 0]), Tensor([1.0, 2.0]))
    Tensor([3., 0.])
    """
    return as_tensor(x).scatter_add(dim, index, src)


def index_put(x: TensorLike, indices: tuple[TensorLike, ...], values: TensorLike, accumulate: bool = False) -> Tensor:
    """A copy with ``values`` written (or added) at ``indices`` (``x.index_put(...)``).

    >>> index_put(Tensor([0.0, 0.0]), (ag.tensor([1]),), Tensor(2.0))
    Tensor([0., 2.])
    """
    return as_tensor(x).index_put(indices, values, accumulate)


def block_diag(*tensors: TensorLike) -> Tensor:
    """The tensors (0-, 1- or 2-d) as the blocks of a block-diagonal matrix, zeros elsewhere (``torch.block_diag``);
    each block's gradient is its own.

    >>> block_diag(Tensor([[1.0, 2.0]]), Tensor(3.0))
    Tensor([[1., 2., 0.],
            [0., 0., 3.]])
    """
    blocks = [as_tensor(t) for t in tensors]
    for t in blocks:
        if t.ndim > 2:
            raise ValueError(f"block_diag: each tensor must be 0-, 1- or 2-d, got shape {t.shape}")
    blocks = [t.reshape(1, -1) if t.ndim < 2 else t for t in blocks]
    if not blocks:
        return Tensor(np.zeros((1, 0)))
    dtype = np.result_type(*(t.dtype for t in blocks))
    width = sum(t.shape[1] for t in blocks)
    rows, left = [], 0
    for t in blocks:
        right = width - left - t.shape[1]
        parts: list[TensorLike] = [
            np.zeros((t.shape[0], left), dtype),
            t.to(dtype),
            np.zeros((t.shape[0], right), dtype),
        ]
        rows.append(cat(parts, 1))
        left += t.shape[1]
    return cat(rows, 0)


def meshgrid(*tensors: TensorLike | Sequence[TensorLike], indexing: str = "ij") -> tuple[Tensor, ...]:
    """Coordinate grids from 1-d tensors: with ``indexing="ij"`` (PyTorch's default) grid k varies along axis k;
    ``"xy"`` (numpy's default, for plots) swaps the first two axes. Broadcast views: the gradient sums back.

    >>> xs, ys = meshgrid(Tensor([1.0, 2.0]), Tensor([5.0, 6.0, 7.0]), indexing="xy")
    >>> xs.shape, ys[:, 0].tolist()
    ((3, 2), [5.0, 6.0, 7.0])
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    axes = [as_tensor(cast(TensorLike, t)) for t in tensors]
    if any(t.ndim > 1 for t in axes):
        raise ValueError(f"meshgrid: needs 0-d or 1-d tensors, got shapes {[t.shape for t in axes]}")
    lengths = [t.numel() for t in axes]
    place = list(range(len(axes)))
    if indexing == "xy" and len(axes) >= 2:
        place[0], place[1] = 1, 0
    shape = [0] * len(axes)
    for k, n in zip(place, lengths):
        shape[k] = n
    return tuple(
        t.reshape(tuple(-1 if i == k else 1 for i in range(len(axes)))).expand(*shape) for t, k in zip(axes, place)
    )


def cartesian_prod(*tensors: TensorLike) -> Tensor:
    """Every combination of one element of each 1-d tensor, one per row, the last varying fastest
    (``torch.cartesian_prod``, ``itertools.product``); one tensor is returned as it is.

    >>> cartesian_prod(Tensor([1.0, 2.0]), Tensor([3.0, 4.0])).tolist()
    [[1.0, 3.0], [1.0, 4.0], [2.0, 3.0], [2.0, 4.0]]
    """
    if len(tensors) == 1:
        return as_tensor(tensors[0])
    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], 1)


def combinations(input: TensorLike, r: int = 2, with_replacement: bool = False) -> Tensor:
    """The length-``r`` combinations of a 1-d tensor's elements, one per row, in ``itertools.combinations``'
    order (``with_replacement``: ``combinations_with_replacement``'s), as ``torch.combinations``.

    >>> combinations(Tensor([1.0, 2.0, 3.0])).tolist()
    [[1.0, 2.0], [1.0, 3.0], [2.0, 3.0]]
    """
    x = as_tensor(input)
    if x.ndim != 1:
        raise ValueError(f"combinations: needs a 1-d tensor, got shape {x.shape}; flatten it first")
    if isinstance(r, bool) or not isinstance(r, (int, np.integer)) or r < 0:
        raise ValueError(f"combinations: r must be a non-negative int, got {r!r}")
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    rows = np.array(list(pick(range(x.shape[0]), int(r))), dtype=np.intp).reshape(-1, int(r))
    return x[rows]


def cdist(x1: TensorLike, x2: TensorLike, p: float = 2.0) -> Tensor:
    """The p-norm distance between every row of ``x1`` (..., P, M) and of ``x2`` (..., R, M): (..., P, R), as
    ``torch.cdist`` (p = 2 Euclidean, 1 city-block, ``math.inf``, any p > 0); the gradient at a zero distance
    is 0, as PyTorch's. Composed exactly from differences (P * R * M memory).

    >>> cdist(Tensor([[0.0, 0.0]]), Tensor([[3.0, 4.0], [1.0, 1.0]]))
    Tensor([[5.    , 1.4142]])
    """
    a, b = as_tensor(x1), as_tensor(x2)
    if a.ndim < 2 or b.ndim < 2 or a.shape[-1] != b.shape[-1]:
        raise ValueError(
            f"cdist: needs x1 (..., P, M) and x2 (..., R, M) with one M, got shapes {a.shape} and {b.shape}"
        )
    return norm(a.unsqueeze(-2) - b.unsqueeze(-3), p, dim=-1)


def bernoulli(input: TensorLike, p: float | None = None, *, generator: Generator | None = None) -> Tensor:
    """1 with probability ``input`` (or ``p``) in each place, else 0, from the engine's generator
    (``ag.manual_seed``), as ``torch.bernoulli``; no gradient.

    >>> _ = manual_seed(0)
    >>> bernoulli(Tensor([0.0, 1.0, 0.0]))
    Tensor([0., 1., 0.])
    """
    return as_tensor(input).bernoulli(p, generator=generator)


def get_default_dtype() -> type[np.float64]:
    """The dtype a Python float becomes: float64, numpy's (PyTorch's is float32); it does not change.

    >>> get_default_dtype()
    <class 'numpy.float64'>
    """
    return np.float64


def set_default_dtype(dtype: DTypeLike) -> None:
    """Accepts float64 (the engine's only default) and refuses the rest, naming ``dtype=``: a Python float is
    float64 in numpy everywhere the engine makes one, so a switch could not reach them all.

    >>> set_default_dtype(np.float64)
    """
    if np.dtype(dtype) != np.float64:
        raise ValueError(
            f"set_default_dtype: the default float dtype here is numpy's float64 and cannot change (got "
            f"{np.dtype(dtype)}); pass dtype= where you make tensors (ag.zeros(3, dtype=ag.float32), "
            "ag.tensor(x, dtype=ag.float32)) or convert with t.float()"
        )


__all__: list[str] = []  # ag's names, through its star import
__all__ += ["unflatten", "take", "narrow", "tensor_split", "diag_embed", "kron", "cross", "rot90", "unique", "histc"]
__all__ += ["scatter_add", "index_put", "block_diag", "meshgrid", "cartesian_prod", "combinations", "cdist"]
__all__ += ["bernoulli", "get_default_dtype", "set_default_dtype"]
