"""``Storage``: the one-dimensional block of memory behind a tensor, as PyTorch's ``t.storage()`` shows it
("Deep Learning with PyTorch", 3.7). A tensor is a view of its storage: a shape, a stride per axis and an
offset into it, so a transpose or a row shares the storage of the tensor it came from, and writing into the
storage changes every tensor that views it. Here the memory is a numpy array's; ``Storage`` holds its
flat view, in memory order.

>>> import autograd_core as ag
>>> points = ag.tensor([[4.0, 1.0], [5.0, 3.0], [2.0, 1.0]])
>>> points.storage().tolist()
[4.0, 1.0, 5.0, 3.0, 2.0, 1.0]
>>> points.storage()[0] = 2.0
>>> points[0, 0].item()
2.0
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .types import Array


def memory_owner(array: Array) -> Array:
    """The array that owns the memory ``array`` views: the last array on numpy's ``base`` chain, followed through
    the objects between (``sliding_window_view``'s and ``as_strided``'s views hang from a helper object).

    >>> a = np.arange(10.0)
    >>> memory_owner(np.lib.stride_tricks.sliding_window_view(a, 3)[2:]) is a
    True
    """
    owner, link = array, array.base
    while link is not None:
        if isinstance(link, np.ndarray):
            owner = link
        link = getattr(link, "base", None)
    return owner


def flat_memory(array: Array) -> Array:
    """The whole memory block behind ``array`` as a 1-d array of its dtype, in memory order, sharing it.

    >>> a = np.arange(6.0).reshape(2, 3)
    >>> flat_memory(a.T[1:]).tolist()
    [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    """
    owner = memory_owner(array)
    if not (owner.flags.c_contiguous or owner.flags.f_contiguous):  # (numpy strides over a foreign buffer)
        raise ValueError(
            f"storage: the memory behind this tensor of shape {array.shape} is a strided view of another "
            "object's buffer, not one block; take t.contiguous() (a copy with its own storage) first"
        )
    flat = owner.ravel(order="K")  # memory order, a view for a C- or Fortran-ordered owner
    if flat.dtype != array.dtype:  # a .view(dtype) of the owner: the same bytes read as the tensor's dtype
        flat = flat.view(np.uint8)[: flat.nbytes - flat.nbytes % array.dtype.itemsize].view(array.dtype)
    return flat


def address(array: Array) -> int:
    """The memory address of ``array``'s first element (numpy's data pointer)."""
    return int(array.__array_interface__["data"][0])


class Storage:
    """A tensor's storage: its memory as one flat sequence of numbers (``torch.TypedStorage``), or of bytes
    (``untyped_storage()``, dtype uint8). Indexing reads and writes that memory, so the change shows in every
    tensor viewing it; ``data_ptr()`` is its address, as PyTorch's.

    >>> import autograd_core as ag
    >>> points = ag.tensor([[4.0, 1.0], [5.0, 3.0], [2.0, 1.0]])
    >>> len(points.storage()), points.t().storage().data_ptr() == points.storage().data_ptr()
    (6, True)
    """

    __slots__ = ("_flat",)

    def __init__(self, flat: Array) -> None:
        self._flat = flat

    @property
    def dtype(self) -> np.dtype[Any]:
        """The element type (uint8 for an untyped storage: its elements are bytes)."""
        return self._flat.dtype

    def size(self) -> int:
        """The number of elements (``len(storage)``)."""
        return int(self._flat.size)

    def nbytes(self) -> int:
        """The size of the memory block in bytes."""
        return int(self._flat.nbytes)

    def element_size(self) -> int:
        """The bytes per element."""
        return int(self._flat.itemsize)

    def data_ptr(self) -> int:
        """The address of the block's first element: two tensors share a storage when theirs are equal."""
        return address(self._flat)

    def tolist(self) -> list[Any]:
        """The elements as a Python list, in memory order."""
        return list(self._flat.tolist())

    def numpy(self) -> Array:
        """The flat numpy array itself (shared memory, not a copy)."""
        return self._flat

    def __len__(self) -> int:
        return int(self._flat.size)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._flat.tolist())

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return Storage(self._flat[index])
        return self._flat[self._position(index)].item()

    def __setitem__(self, index: int | slice, value: Any) -> None:
        if isinstance(index, slice):
            self._flat[index] = value
        else:
            self._flat[self._position(index)] = value

    def _position(self, index: object) -> int:
        if not isinstance(index, (int, np.integer)) or isinstance(index, bool):
            raise TypeError(f"storage: index with an int or a slice, got {type(index).__name__}")
        if not -len(self) <= index < len(self):
            raise IndexError(f"storage: index {index} is out of range for a storage of size {len(self)}")
        return int(index)

    def __repr__(self) -> str:
        return f"Storage({self._flat.tolist()!r}, dtype={self._flat.dtype})"
