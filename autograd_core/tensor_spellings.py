"""PyTorch spellings that Karpathy's "Neural Networks: Zero to Hero" lectures use and ``Tensor`` lacked:
``log10`` and ``log2`` (composed: ``log x / log b``, so differentiable with no rule of their own), and a
clear error for ``t.max(dim).values`` / ``.indices``: ``t.max(dim)`` here is the values themselves (as
``amax``), ``t.argmax(dim)`` the indices; and ``stride``, which fast.ai's "from the foundations" course reads to
show that ``expand_as`` copies nothing; ``is_contiguous`` and ``contiguous``, the layout minitorch's module 2
teaches; ``broadcast_to`` (moved here: tensor.py is full). ``Tensor`` inherits them through ``TensorMath``.

>>> x = Tensor([10.0, 100.0], requires_grad=True)
>>> x.log10().sum().backward()
>>> x.log10().tolist(), x.grad.round(6).tolist()
([1.0, 2.0], [0.043429, 0.004343])
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NoReturn, cast

import numpy as np

import autograd_core.tensor as _tensor  # still loading when this one is imported: read at call time

from .primitives import BroadcastTo, Contiguous
from .tensor_base import TensorBase, normalize_axes
from .types import Shape

if TYPE_CHECKING:
    from .tensor import Tensor


class TensorSpellings(TensorBase):
    """``log10 log2 stride is_contiguous contiguous``, and what
    ``.values``/``.indices`` of a ``max(dim)`` result are here."""

    def stride(self, dim: int | None = None) -> tuple[int, ...] | int:
        """The step in elements from one index to the next along each axis (along ``dim`` alone if given), as
        torch's: numpy's byte strides over the item size. A broadcast axis steps 0 (nothing copied).

        >>> c = Tensor([10.0, 20.0, 30.0])
        >>> Tensor(np.zeros((2, 3))).stride(), c.expand(3, 3).stride(), c[:, None].expand(3, 3).stride(0)
        ((3, 1), (0, 1), 1)
        """
        data = np.asarray(self._data)  # a 0-d value may be a numpy scalar, which has no byte strides
        steps = tuple(step // data.itemsize for step in data.strides)
        if dim is None:
            return steps
        if data.ndim == 0:
            raise IndexError(f"stride: a 0-d tensor has no axis {dim}; call stride() for its empty tuple")
        return steps[normalize_axes("stride", dim, data.ndim)[0]]

    def is_contiguous(self) -> bool:
        """Whether the elements lie in row-major order with no gaps (torch's; ``stride()`` shows the layout),
        as a fresh tensor does; a transpose or a step slice is not until ``contiguous()``.

        >>> t = Tensor(np.zeros((2, 3)))
        >>> t.is_contiguous(), t.T.is_contiguous(), t.T.contiguous().is_contiguous()
        (True, False, True)
        """
        return bool(np.asarray(self._data).flags.c_contiguous)

    def contiguous(self) -> Tensor:
        """The tensor itself if its layout is row-major already, else a recorded row-major copy (torch's; the
        gradient passes through): ``t.T.contiguous().stride()`` is (2, 1) for a (2, 3) ``t``, as in torch.

        >>> Tensor(np.zeros((2, 3))).T.contiguous().stride()
        (2, 1)
        """
        if self.is_contiguous():
            return cast("Tensor", self)
        return _tensor.Tensor.apply(Contiguous, self)

    def broadcast_to(self, *shape: int | Shape | list[int]) -> Tensor:
        """Repeat along size-1 (or new leading) axes to ``shape``, as ``np.broadcast_to`` (a primitive: one node)."""
        shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        return _tensor._record(BroadcastTo, (cast("Tensor", self),), {"shape": shape})

    def log10(self) -> Tensor:
        """Base-10 log, elementwise: ``log(x) / log(10)``, within 2.2 ulp of ``np.log10`` (measured; its
        gradient 1 / (x ln 10) comes from ``log``'s).

        >>> Tensor([1.0, 100.0]).log10().tolist()
        [0.0, 2.0]
        """
        return cast("Tensor", self).log() / math.log(10)

    def log2(self) -> Tensor:
        """Base-2 log, elementwise: ``log(x) / log(2)``.

        >>> Tensor([1.0, 8.0]).log2().tolist()
        [0.0, 3.0]
        """
        return cast("Tensor", self).log() / math.log(2)

    # torch's max(dim)/min(dim) return a (values, indices) pair; here they return the values alone (amax
    # semantics, kept so code written for numpy's max works): the pair's field names say what to write.
    @property
    def values(self) -> NoReturn:
        """Not a Tensor attribute: ``t.max(dim)`` here is torch's ``t.max(dim).values`` already."""
        raise AttributeError(
            "Tensor has no attribute 'values': t.max(dim) and t.min(dim) here return the values themselves "
            "(as t.amax(dim)), so drop '.values'; t.argmax(dim) gives the indices"
        )

    @property
    def indices(self) -> NoReturn:
        """Not a Tensor attribute: torch's ``t.max(dim).indices`` is ``t.argmax(dim)`` here."""
        raise AttributeError(
            "Tensor has no attribute 'indices': for torch's t.max(dim).indices write t.argmax(dim) "
            "(t.min(dim).indices: t.argmin(dim)); t.max(dim) here returns the values alone"
        )
