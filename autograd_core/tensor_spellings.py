"""PyTorch spellings that Karpathy's "Neural Networks: Zero to Hero" lectures use and ``Tensor`` lacked:
``log10`` and ``log2`` (composed: ``log x / log b``, so differentiable with no rule of their own), and a
clear error for ``t.max(dim).values`` / ``.indices``: ``t.max(dim)`` here is the values themselves (as
``amax``), ``t.argmax(dim)`` the indices; ``broadcast_to`` (moved here: tensor.py is full). (``stride``,
``is_contiguous`` and ``contiguous``, which fast.ai's course and minitorch's module 2 read, live with the storage
in tensor_memory.py.) ``Tensor`` inherits them through ``TensorMath``.

>>> x = Tensor([10.0, 100.0], requires_grad=True)
>>> x.log10().sum().backward()
>>> x.log10().tolist(), x.grad.round(6).tolist()
([1.0, 2.0], [0.043429, 0.004343])
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NoReturn, cast

import autograd_core.tensor as _tensor  # still loading when this one is imported: read at call time

from .primitives import BroadcastTo
from .tensor_memory import TensorMemory
from .types import Shape

if TYPE_CHECKING:
    from .tensor import Tensor


class TensorSpellings(TensorMemory):
    """``log10 log2 broadcast_to``, and what ``.values``/``.indices`` of a ``max(dim)`` result are here."""

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
