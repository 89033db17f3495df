"""How a tensor lies in memory, as "Deep Learning with PyTorch" (3.7-3.9) teaches it: a view of a storage (one
flat block) through a size, a stride per axis and a storage offset. ``stride storage untyped_storage
storage_offset data_ptr is_contiguous contiguous view``. A transpose or a row is a new view of the same
storage; ``view`` reshapes without copying or refuses, as PyTorch's, so a write through it always reaches the
original. ``Tensor`` inherits them through ``TensorSpellings``.

>>> points = Tensor([[4.0, 1.0], [5.0, 3.0], [2.0, 1.0]])
>>> second = points[1]
>>> second.storage_offset(), second.size(), second.stride()
(2, (2,), (1,))
>>> points.t().stride(), points.t().is_contiguous(), points.t().contiguous().stride()
((1, 2), False, (3, 1))
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import numpy as np

import autograd_core.tensor as _tensor  # still loading when this one is imported: read at call time

from .primitives import Contiguous
from .storage import Storage, address, flat_memory
from .tensor_base import TensorBase, normalize_axes
from .types import Array, Shape

if TYPE_CHECKING:
    from .tensor import Tensor


class TensorMemory(TensorBase):
    """Storage, offset, strides and contiguity (see the module docstring)."""

    def _memory(self) -> Array:
        return np.asarray(self._data)  # a 0-d value may be a numpy scalar, which has no memory to share

    def stride(self, dim: int | None = None) -> tuple[int, ...] | int:
        """The step in elements from one index to the next along each axis (along ``dim`` alone if given), as
        torch's: numpy's byte strides over the item size. A broadcast axis steps 0 (nothing copied).

        >>> c = Tensor([10.0, 20.0, 30.0])
        >>> Tensor(np.zeros((2, 3))).stride(), c.expand(3, 3).stride(), c[:, None].expand(3, 3).stride(0)
        ((3, 1), (0, 1), 1)
        """
        data = self._memory()
        steps = tuple(step // data.itemsize for step in data.strides)
        if dim is None:
            return steps
        if data.ndim == 0:
            raise IndexError(f"stride: a 0-d tensor has no axis {dim}; call stride() for its empty tuple")
        return steps[normalize_axes("stride", dim, data.ndim)[0]]

    def storage(self) -> Storage:
        """The flat memory this tensor views, every element of it, in memory order (``torch.Tensor.storage``):
        a transpose's or a row's is its original's. Writing into it changes the tensor, outside the graph (as
        writing into ``.data``). One element taken by an integer per axis (``t[0, 1]``) is a copy here, as numpy's
        scalar (torch's is a view): it has a storage of its own; ``t[0, 1:2]`` is a view.

        >>> points = Tensor([[4.0, 1.0], [5.0, 3.0], [2.0, 1.0]])
        >>> points[1].storage().tolist()
        [4.0, 1.0, 5.0, 3.0, 2.0, 1.0]
        """
        return Storage(flat_memory(self._memory()))

    def untyped_storage(self) -> Storage:
        """The same memory as ``storage()``, as bytes (uint8), as ``torch.Tensor.untyped_storage``.

        >>> Tensor(np.zeros(3, dtype=np.float32)).untyped_storage().nbytes()
        12
        """
        return Storage(flat_memory(self._memory()).view(np.uint8))

    def storage_offset(self) -> int:
        """Where this tensor's first element sits in its storage, in elements (``points[1]``: 2).

        >>> points = Tensor([[4.0, 1.0], [5.0, 3.0], [2.0, 1.0]])
        >>> points[1].storage_offset(), points[1:, 1].storage_offset()
        (2, 3)
        """
        data = self._memory()
        return (address(data) - address(flat_memory(data))) // data.itemsize

    def data_ptr(self) -> int:
        """The memory address of the first element, as PyTorch's: ``storage().data_ptr()`` plus the offset."""
        return address(self._memory())

    def is_contiguous(self) -> bool:
        """Whether the elements lie in memory in row-major order with no gaps (PyTorch's rule: size-1 axes
        aside, each stride is the product of the sizes after it). A transpose, a column or an ``expand`` is not.

        >>> m = Tensor(np.zeros((2, 3)))
        >>> m.is_contiguous(), m.t().is_contiguous(), m[:, 1].is_contiguous(), m[1:].is_contiguous()
        (True, False, False, True)
        """
        return bool(self._memory().flags.c_contiguous)

    def contiguous(self) -> Tensor:
        """This tensor if ``is_contiguous()``, else a row-major copy with its own storage, recorded (the
        gradient passes back unchanged): what ``view`` needs after a ``transpose`` or ``permute``.

        >>> t = Tensor(np.arange(6.0).reshape(2, 3)).t()
        >>> t.contiguous().is_contiguous(), t.contiguous().tolist() == t.tolist()
        (True, True)
        """
        t = cast("Tensor", self)
        if self.is_contiguous():
            return t
        # a primitive: a reshape may return a strided view (a step slice flattens to one stride), never a copy
        return _tensor.Tensor.apply(Contiguous, t)

    def view(self, *shape: int | Shape | list[int]) -> Tensor:
        """The same memory with a new shape (one -1 may be inferred), as PyTorch's: never a copy, so a write
        into the result changes this tensor. A layout it cannot view (a transpose flattened, say) is refused:
        ``.contiguous().view(...)`` or ``.reshape(...)`` copy. One exception, for code written for PyTorch: a
        leaf owning column-major memory (``nn.Linear``'s weight, kept so for the faster matmul; row-major in
        torch) is viewed by a read-only copy, so ``layer.weight.detach().view(-1)`` reads its values, and a
        write through it is refused rather than lost.

        >>> points = Tensor([[4.0, 1.0], [5.0, 3.0], [2.0, 1.0]])
        >>> flat = points.view(-1)
        >>> flat[0] = 7.0
        >>> points[0, 0].item()
        7.0
        >>> Tensor(np.asfortranarray([[1.0, 2.0], [3.0, 4.0]])).view(-1).tolist()
        [1.0, 2.0, 3.0, 4.0]
        """
        given = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        new = cast("tuple[int, ...]", given)
        data = self._memory()
        try:
            np.reshape(data, new, copy=False)  # numpy's own test: the new shape over the same strides, or refused
        except TypeError:
            pass  # not a shape: reshape's own error below says what a shape is
        except ValueError:
            try:
                data.reshape(new)
            except ValueError:
                raise ValueError(
                    f"view: cannot view a tensor of shape {self.shape} ({data.size} elements) as {new}: the sizes "
                    f"must multiply to {data.size} (one of them may be -1, inferred)"
                ) from None
            else:
                if self._prim is None and data.base is None and data.flags.f_contiguous:  # see the docstring
                    copied = cast("Tensor", self).reshape(*shape)
                    copied.data.flags.writeable = False
                    return copied
                raise ValueError(
                    f"view: cannot view a tensor of shape {self.shape} with strides {self.stride()} as {new} "
                    "without copying: it is not contiguous (a transpose, permute or column of another tensor; "
                    "is_contiguous() is False); use .contiguous().view(...) or .reshape(...), which copy"
                ) from None
        return cast("Tensor", self).reshape(*shape)
