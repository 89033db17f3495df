"""PyTorch's joining and axis-moving functions that ``ag`` lacked (a second probe of everyday torch idioms found
them): ``hstack vstack row_stack dstack column_stack atleast_1d/2d/3d``, ``movedim moveaxis swapaxes swapdims
fliplr flipud ravel tile take_along_dim``, and the index grids ``tril_indices triu_indices``. Each is composed
from existing ops (``cat``, ``reshape``, ``permute``, ``gather``), so its gradient is theirs.

>>> ag.hstack([ag.tensor([1, 2]), ag.tensor([3])]).tolist()
[1, 2, 3]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import cast

import numpy as np

from .functions import as_tensor, cat
from .tensor import Tensor
from .types import Shape, TensorLike


# ------------------------------------------------------------------------------------------------ stacking
def atleast_1d(*tensors: TensorLike) -> Tensor | tuple[Tensor, ...]:
    """Each input with at least one axis (a 0-d tensor becomes shape (1,)); one input gives one tensor.

    >>> atleast_1d(Tensor(3.0)).shape
    (1,)
    """
    return _each(tensors, lambda t: t.reshape(1) if t.ndim == 0 else t)


def atleast_2d(*tensors: TensorLike) -> Tensor | tuple[Tensor, ...]:
    """Each input with at least two axes: a vector of n becomes a row (1, n), as ``np.atleast_2d``.

    >>> atleast_2d(Tensor([1.0, 2.0])).shape
    (1, 2)
    """
    return _each(tensors, lambda t: t.reshape((1,) * (2 - t.ndim) + t.shape) if t.ndim < 2 else t)


def atleast_3d(*tensors: TensorLike) -> Tensor | tuple[Tensor, ...]:
    """Each input with at least three axes: (n,) -> (1, n, 1), (m, n) -> (m, n, 1), as ``np.atleast_3d``.

    >>> atleast_3d(Tensor(np.zeros((2, 3)))).shape
    (2, 3, 1)
    """
    shapes = {0: lambda s: (1, 1, 1), 1: lambda s: (1, s[0], 1), 2: lambda s: (*s, 1)}
    return _each(tensors, lambda t: t.reshape(shapes[t.ndim](t.shape)) if t.ndim < 3 else t)


def _each(tensors: tuple[TensorLike, ...], fix: Callable[[Tensor], Tensor]) -> Tensor | tuple[Tensor, ...]:
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])  # torch's atleast_2d((a, b)) form
    out = tuple(fix(as_tensor(t)) for t in tensors)
    return out[0] if len(out) == 1 else out


def hstack(tensors: Sequence[TensorLike]) -> Tensor:
    """Joined along axis 1 (axis 0 for vectors), as ``torch.hstack``.

    >>> hstack([Tensor([[1.0], [2.0]]), Tensor([[3.0], [4.0]])]).shape
    (2, 2)
    """
    parts = [cast(Tensor, atleast_1d(t)) for t in tensors]
    return cat(parts, 0 if parts and parts[0].ndim == 1 else 1)


def vstack(tensors: Sequence[TensorLike]) -> Tensor:
    """Joined along axis 0, vectors first made rows, as ``torch.vstack`` (``row_stack``).

    >>> vstack([Tensor([1.0, 2.0]), Tensor([3.0, 4.0])]).shape
    (2, 2)
    """
    return cat([cast(Tensor, atleast_2d(t)) for t in tensors], 0)


row_stack = vstack


def dstack(tensors: Sequence[TensorLike]) -> Tensor:
    """Joined along axis 2 (depth), inputs first made 3-d, as ``torch.dstack``.

    >>> dstack([Tensor(np.zeros((2, 3))), Tensor(np.zeros((2, 3)))]).shape
    (2, 3, 2)
    """
    return cat([cast(Tensor, atleast_3d(t)) for t in tensors], 2)


def column_stack(tensors: Sequence[TensorLike]) -> Tensor:
    """Vectors as columns (and matrices as they are), joined along axis 1, as ``torch.column_stack``.

    >>> column_stack([Tensor([1.0, 2.0]), Tensor([3.0, 4.0])]).tolist()
    [[1.0, 3.0], [2.0, 4.0]]
    """
    columns = [as_tensor(t) for t in tensors]
    return cat([t.reshape(-1, 1) if t.ndim <= 1 else t for t in columns], 1)


# ------------------------------------------------------------------------------------------------ axes
def movedim(x: TensorLike, source: int | Sequence[int], destination: int | Sequence[int]) -> Tensor:
    """Axes moved from ``source`` to ``destination`` (``x.movedim``), as ``torch.movedim``.

    >>> movedim(Tensor(np.zeros((2, 3, 4))), 0, -1).shape
    (3, 4, 2)
    """
    return as_tensor(x).movedim(source, destination)  # type: ignore[arg-type]  # (the method takes tuples too)


moveaxis = movedim


def swapaxes(x: TensorLike, axis0: int, axis1: int) -> Tensor:
    """Two axes exchanged (``x.transpose(axis0, axis1)``), as ``torch.swapaxes`` (``swapdims``).

    >>> swapaxes(Tensor(np.zeros((2, 3))), 0, 1).shape
    (3, 2)
    """
    return as_tensor(x).transpose(axis0, axis1)


swapdims = swapaxes


def fliplr(x: TensorLike) -> Tensor:
    """Columns reversed (``x.flip(1)``), as ``torch.fliplr``.

    >>> fliplr(Tensor([[1.0, 2.0]])).tolist()
    [[2.0, 1.0]]
    """
    return as_tensor(x).flip(1)


def flipud(x: TensorLike) -> Tensor:
    """Rows reversed (``x.flip(0)``), as ``torch.flipud``.

    >>> flipud(Tensor([[1.0], [2.0]])).tolist()
    [[2.0], [1.0]]
    """
    return as_tensor(x).flip(0)


def ravel(x: TensorLike) -> Tensor:
    """The elements as one vector (``x.reshape(-1)``), as ``torch.ravel``.

    >>> ravel(Tensor(np.zeros((2, 3)))).shape
    (6,)
    """
    return as_tensor(x).reshape(-1)


def tile(x: TensorLike, dims: int | Shape | list[int]) -> Tensor:
    """``x`` repeated ``dims`` times per axis (``x.tile(dims)``), as ``torch.tile``.

    >>> tile(Tensor([1.0, 2.0]), (2,)).tolist()
    [1.0, 2.0, 1.0, 2.0]
    """
    return as_tensor(x).tile(dims)


def take_along_dim(x: TensorLike, indices: TensorLike, dim: int | None = None) -> Tensor:
    """The values at ``indices`` along ``dim``, the other axes broadcast (``x.take_along_dim``), as
    ``torch.take_along_dim``: ``take_along_dim(x, x.argmax(1, keepdim=True), 1)`` picks each row's max.

    >>> take_along_dim(Tensor([[1.0, 5.0], [7.0, 2.0]]), ag.tensor([[1], [0]]), dim=1).tolist()
    [[5.0], [7.0]]
    """
    return as_tensor(x).take_along_dim(indices, dim)


def tril_indices(row: int, col: int, offset: int = 0) -> Tensor:
    """The (2, N) int64 row/column indices of the lower triangle of a row x col matrix, as
    ``torch.tril_indices`` (``offset`` > 0 takes diagonals above the main one).

    >>> tril_indices(2, 2).tolist()
    [[0, 1, 1], [0, 0, 1]]
    """
    return Tensor(np.stack(np.tril_indices(row, offset, col)).astype(np.int64))


def triu_indices(row: int, col: int, offset: int = 0) -> Tensor:
    """The (2, N) int64 row/column indices of the upper triangle, as ``torch.triu_indices``.

    >>> triu_indices(2, 2, 1).tolist()
    [[0], [1]]
    """
    return Tensor(np.stack(np.triu_indices(row, offset, col)).astype(np.int64))


__all__: list[str] = []  # ag's names, through functions_idioms' star import
__all__ += ["atleast_1d", "atleast_2d", "atleast_3d", "hstack", "vstack", "row_stack", "dstack", "column_stack"]
__all__ += ["movedim", "moveaxis", "swapaxes", "swapdims", "fliplr", "flipud", "ravel", "tile", "take_along_dim"]
__all__ += ["tril_indices", "triu_indices"]
