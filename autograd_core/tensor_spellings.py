"""PyTorch spellings that Karpathy's "Neural Networks: Zero to Hero" lectures use and ``Tensor`` lacked:
``log10`` and ``log2`` (composed: ``log x / log b``, so differentiable with no rule of their own),
``t.max(dim)``/``t.min(dim)``'s PyTorch reading, ``(values, indices)`` (numpy's ``axis=`` keeps the values alone),
and a clear error for ``.values``/``.indices`` of the values alone; ``broadcast_to`` (moved here: tensor.py is full);
torch's linalg and special methods (``A.det() A.inverse() A.pinverse() A.matrix_exp() x.lgamma()``, over
``ag.linalg``/``ag.special``).
(``stride``, ``is_contiguous`` and ``contiguous``, which fast.ai's course and minitorch's module 2 read, live with
the storage in tensor_memory.py.) ``Tensor`` inherits them through ``TensorMath``.

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
from .types import Shape, TensorLike

if TYPE_CHECKING:
    from .tensor import Tensor
    from .tensor_torch import SortResult


class TensorSpellings(TensorMemory):
    """``log10 log2 broadcast_to``, the linalg and special methods (``det inverse lgamma ...``), and max/min's
    ``(values, indices)`` reading."""

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

    # torch.linalg's and torch.special's functions as torch's Tensor methods (``A.det()``, ``x.lgamma()``): the
    # functions' own code, imported at call time (their modules import Tensor)
    def det(self) -> Tensor:
        """``ag.linalg.det`` of this (batch of) square matrices."""
        from .linalg_matrix import det

        return det(self)

    def logdet(self) -> Tensor:
        """``ag.logdet``: log det, NaN where det < 0 (torch's)."""
        from .linalg_matrix import logdet

        return logdet(self)

    def slogdet(self) -> tuple[Tensor, Tensor]:
        """``ag.linalg.slogdet``: (sign, log|det|)."""
        from .linalg_matrix import slogdet

        return slogdet(self)

    def inverse(self) -> Tensor:
        """``ag.linalg.inv`` (torch's method name).

        >>> A = Tensor([[2.0, 1.0], [1.0, 3.0]])
        >>> Tensor([[2.0, 0.0], [0.0, 4.0]]).inverse().tolist(), round(A.det().item(), 12)
        ([[0.5, 0.0], [0.0, 0.25]], 5.0)
        """
        from .linalg_matrix import inverse

        return inverse(self)

    def pinverse(self, rcond: float = 1e-15) -> Tensor:
        """``ag.linalg.pinv`` with torch's ``pinverse`` cutoff: singular values <= rcond * s_max count as 0.

        >>> Tensor([[2.0, 0.0]]).pinverse().tolist(), Tensor([[1.0, 1.0], [0.0, 1.0]]).matrix_power(2).tolist()
        ([[0.5], [0.0]], [[1.0, 2.0], [0.0, 1.0]])
        """
        from .linalg_solvers import pinv

        return pinv(self, rtol=rcond)

    def matrix_power(self, n: int) -> Tensor:
        """``ag.linalg.matrix_power``: A^n for an integer n (negative through the inverse)."""
        from .linalg_products import matrix_power

        return matrix_power(self, n)

    def matrix_exp(self) -> Tensor:
        """``ag.linalg.matrix_exp``: exp(A), differentiable.

        >>> Tensor([[0.0, 1.0], [0.0, 0.0]]).matrix_exp().tolist()
        [[1.0, 1.0], [0.0, 1.0]]
        """
        from .linalg_products import matrix_exp

        return matrix_exp(self)

    def lgamma(self) -> Tensor:
        """``ag.lgamma``: log|Γ(x)|, elementwise."""
        from .special import lgamma

        return lgamma(self)

    def digamma(self) -> Tensor:
        """``ag.digamma``: Γ'(x)/Γ(x), the derivative of ``lgamma``."""
        from .special import digamma

        return digamma(self)

    def polygamma(self, n: int) -> Tensor:
        """``ag.polygamma(n, x)`` as torch's method: the n-th derivative of ``digamma``."""
        from .special import polygamma

        return polygamma(n, self)

    def erfinv(self) -> Tensor:
        """``ag.erfinv``: the inverse of ``erf`` on (-1, 1).

        >>> Tensor([0.5]).erfinv().erf().tolist(), round(Tensor([3.0]).lgamma().exp().item(), 12)
        ([0.5], 2.0)
        """
        from .special import erfinv

        return erfinv(self)

    def xlogy(self, other: TensorLike) -> Tensor:
        """``ag.xlogy``: x * log(y), 0 where x is 0."""
        from .special import xlogy

        return xlogy(self, other)

    def logit(self, eps: float | None = None) -> Tensor:
        """``ag.logit``: log(p / (1 - p)), p clamped to [eps, 1 - eps] when eps is given."""
        from .special import logit

        return logit(self, eps)

    def _with_indices(self, op: str, dim: int, keepdim: bool) -> SortResult:
        """``t.max(dim)`` / ``t.min(dim)`` read as PyTorch's: ``(values, indices)``, the values carrying the gradient
        (ties split), the indices the first extremum's (numpy's argmax, torch's on CPU)."""
        from .tensor_torch import SortResult  # (tensor_torch's class inherits this one)

        values = getattr(self, op)(axis=dim, keepdims=keepdim)
        return SortResult(values, getattr(self, "arg" + op)(dim, keepdim))

    # A Tensor has no .values/.indices (torch's sparse ones aside): the pair above has them; these say so.
    @property
    def values(self) -> NoReturn:
        """Not a Tensor attribute: ``t.max(dim).values`` is; ``t.max(axis=...)`` and ``amax`` are the values."""
        raise AttributeError(
            "Tensor has no attribute 'values': t.max(dim) and t.min(dim) return (values, indices), as torch's, "
            "but t.max(axis=...), t.amax(dim) and a max over several dims return the values themselves: drop '.values'"
        )

    @property
    def indices(self) -> NoReturn:
        """Not a Tensor attribute: ``t.max(dim).indices`` is (or ``t.argmax(dim)``)."""
        raise AttributeError(
            "Tensor has no attribute 'indices': write t.max(dim).indices (one int dim, no axis=/keepdims=, which "
            "give the values alone) or t.argmax(dim)"
        )
