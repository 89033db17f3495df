"""PyTorch's linear-algebra ``Tensor`` methods, composed from ``ag.linalg`` (nothing computed twice):
``cholesky cholesky_inverse cholesky_solve qr svd lu lu_solve triangular_solve`` with their pre-``linalg``
argument orders (``b.cholesky_solve(L)``, ``b.triangular_solve(A)``: the right-hand side first, as PyTorch),
``inner dist addr addbmm`` and the in-place ``addr_ addbmm_ addmm_ addmv_ baddbmm_``. ``solve lstsq eig
symeig`` were removed from PyTorch (1.9+): they raise, as there, naming the ``ag.linalg`` function to call.
``Tensor`` inherits them through ``TensorInPlace``.

>>> A = Tensor([[4.0, 2.0], [2.0, 3.0]])
>>> Tensor([[2.0], [1.0]]).cholesky_solve(A.cholesky()).tolist()
[[0.5], [0.0]]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn, cast

import numpy as np

import autograd_core.tensor as _tensor  # still loading when this one is imported: read at call time

from .tensor_base import TensorBase
from .types import Number, TensorLike

if TYPE_CHECKING:
    from .linalg_matrix import QrResult
    from .tensor import Tensor


class SvdUSVResult(NamedTuple):
    """``t.svd()``'s (U, S, V): A = U diag(S) V^T (V, not ``linalg.svd``'s Vh), as ``torch.svd``."""

    U: Tensor
    S: Tensor
    V: Tensor


class TriangularSolveResult(NamedTuple):
    """``b.triangular_solve(A)``'s (solution, cloned_coefficient), as PyTorch's."""

    solution: Tensor
    cloned_coefficient: Tensor


def _identity_like(t: Tensor) -> Tensor:
    return _tensor.Tensor(np.broadcast_to(np.eye(t.shape[-1], dtype=t.dtype), t.shape).copy())


def _removed(name: str, replacement: str) -> NoReturn:
    raise RuntimeError(f"{name}: removed from PyTorch in 1.9 (torch.{name} raises there too); use {replacement}")


class TensorLinalgMethods(TensorBase):
    """Linear-algebra methods over ``ag.linalg`` (see the module docstring)."""

    def cholesky(self, upper: bool = False) -> Tensor:
        """L with A = L L^T (``upper=True``: U with A = U^T U), as ``torch.cholesky``: ``ag.linalg.cholesky``."""
        from .linalg_matrix import cholesky

        return cholesky(self, upper=upper)

    def cholesky_inverse(self, upper: bool = False) -> Tensor:
        """A's inverse from its Cholesky factor (this tensor: L, or U with ``upper=True``), as PyTorch's: two
        triangular solves, reading only that triangle.

        >>> Tensor([[2.0, 0.0], [1.0, 1.0]]).cholesky_inverse().tolist()
        [[0.5, -0.5], [-0.5, 1.0]]
        """
        from .linalg_solvers import solve_triangular

        factor = cast("Tensor", self)
        inverse_factor = solve_triangular(factor, _identity_like(factor), upper=upper)
        return inverse_factor @ inverse_factor.mT if upper else inverse_factor.mT @ inverse_factor

    def cholesky_solve(self, input2: TensorLike, upper: bool = False) -> Tensor:
        """X with A X = B (this tensor is B) from A's Cholesky factor ``input2`` (L, or U with ``upper=True``),
        as PyTorch's (the module docstring shows one)."""
        from .linalg_solvers import solve_triangular

        factor = cast("Tensor", input2 if isinstance(input2, TensorBase) else _tensor.Tensor(np.asarray(input2)))
        lower = factor.mT if upper else factor  # A = lower lower^T
        halfway = solve_triangular(lower, self, upper=False)
        return solve_triangular(lower.mT, halfway, upper=True)

    def qr(self, some: bool = True) -> QrResult:
        """(Q, R), reduced (``some=False``: complete), as ``torch.qr``: ``ag.linalg.qr``."""
        from .linalg_matrix import qr

        return qr(self, "reduced" if some else "complete")

    def svd(self, some: bool = True, compute_uv: bool = True) -> SvdUSVResult:
        """(U, S, V) with A = U diag(S) V^T, as ``torch.svd`` (``ag.linalg.svd`` gives Vh = V^T); reduced
        unless ``some=False``; ``compute_uv=False`` gives zero U and V (full size), as PyTorch's.

        >>> Tensor([[3.0, 0.0], [0.0, -2.0]]).svd().S.tolist()
        [3.0, 2.0]
        """
        from .linalg_matrix import svd, svdvals

        t = cast("Tensor", self)
        if not compute_uv:
            m, n, batch = t.shape[-2], t.shape[-1], t.shape[:-2]
            zeros = (_tensor.Tensor(np.zeros((*batch, k, k), t.dtype)) for k in (m, n))
            return SvdUSVResult(next(zeros), svdvals(t), next(zeros))
        U, S, Vh = svd(t, full_matrices=not some)
        return SvdUSVResult(U, S, Vh.mT)

    def lu(self, pivot: bool = True, get_infos: bool = False) -> tuple[Tensor, ...]:
        """(LU, pivots), or with ``get_infos`` (LU, pivots, infos), as ``torch.lu``: ``ag.linalg.lu_factor``;
        an info is LAPACK's: 0, or the 1-based place of U's first zero pivot (a singular matrix).

        >>> Tensor([[1.0, 2.0], [2.0, 4.0]]).lu(get_infos=True)[2].tolist()
        2
        """
        from .linalg_lu import lu_factor

        packed, pivots = lu_factor(self, pivot=pivot)
        if not get_infos:
            return packed, pivots
        diagonal = np.diagonal(packed._data, axis1=-2, axis2=-1)
        first_zero = np.where((diagonal == 0).any(-1), (diagonal == 0).argmax(-1) + 1, 0)
        return packed, pivots, _tensor.Tensor(first_zero.astype(np.int32))

    def lu_solve(self, LU_data: TensorLike, LU_pivots: TensorLike) -> Tensor:
        """X with A X = B (this tensor is B) from ``A.lu()``, as ``torch.lu_solve``: ``ag.linalg.lu_solve``."""
        from .linalg_lu import lu_solve

        return lu_solve(LU_data, LU_pivots, self)

    def triangular_solve(
        self, A: TensorLike, upper: bool = True, transpose: bool = False, unitriangular: bool = False
    ) -> TriangularSolveResult:
        """X with A X = B (``transpose``: A^T X = B) for triangular A, this tensor B, as PyTorch's (``upper``
        is True by default there, so here); ``ag.linalg.solve_triangular`` takes A first.

        >>> Tensor([[3.0], [4.0]]).triangular_solve(Tensor([[2.0, 1.0], [0.0, 4.0]])).solution.tolist()
        [[1.0], [1.0]]
        """
        from .linalg_solvers import solve_triangular

        a = cast("Tensor", A if isinstance(A, TensorBase) else _tensor.Tensor(np.asarray(A)))
        solved = solve_triangular(a.mT if transpose else a, self, upper=upper != transpose, unitriangular=unitriangular)
        return TriangularSolveResult(solved, a.clone())

    def solve(self, *args: Any) -> NoReturn:
        """Removed from PyTorch: ``ag.linalg.solve(A, B)`` (A first)."""
        _removed("solve", "ag.linalg.solve(A, B) (A first; torch.solve took B first)")

    def lstsq(self, *args: Any) -> NoReturn:
        """Removed from PyTorch: ``ag.linalg.lstsq(A, B)``."""
        _removed("lstsq", "ag.linalg.lstsq(A, B).solution (A first)")

    def eig(self, *args: Any) -> NoReturn:
        """Removed from PyTorch: ``ag.linalg.eigh(A)`` for a symmetric A."""
        _removed("eig", "ag.linalg.eigh(A) for a symmetric A (a general A's complex eigenvalues are not supported)")

    def symeig(self, *args: Any) -> NoReturn:
        """Removed from PyTorch: ``ag.linalg.eigh(A)``."""
        _removed("symeig", "ag.linalg.eigh(A) (or eigvalsh(A) for the eigenvalues alone)")

    # ------------------------------------------------------------------------------- products
    def inner(self, other: TensorLike) -> Tensor:
        """The sum over the last axes of both (a number times a tensor if either is 0-d), shape
        ``self.shape[:-1] + other.shape[:-1]``, as PyTorch's.

        >>> Tensor([[1.0, 2.0], [3.0, 4.0]]).inner(Tensor([1.0, 1.0])).tolist()
        [3.0, 7.0]
        """
        from .functions_idioms import inner

        return inner(self, other)

    def dist(self, other: TensorLike, p: float = 2) -> Tensor:
        """The ``p``-norm of ``self - other`` (broadcast), as PyTorch's.

        >>> Tensor([0.0, 0.0]).dist(Tensor([3.0, 4.0])).item()
        5.0
        """
        from .linalg_norms import vector_norm

        return vector_norm(cast("Tensor", self) - other, ord=p)

    def addr(self, vec1: TensorLike, vec2: TensorLike, *, beta: Number = 1, alpha: Number = 1) -> Tensor:
        """beta * self + alpha * outer(vec1, vec2), as PyTorch's (``beta=0`` ignores self, NaN too).

        >>> Tensor(np.zeros((2, 2))).addr(Tensor([1.0, 2.0]), Tensor([3.0, 4.0])).tolist()
        [[3.0, 4.0], [6.0, 8.0]]
        """
        t = cast("Any", self)
        return t._add_product(t._other(vec1).outer(vec2), beta, alpha)

    def addbmm(self, batch1: TensorLike, batch2: TensorLike, *, beta: Number = 1, alpha: Number = 1) -> Tensor:
        """beta * self + alpha * the sum over the batch of batch1[i] @ batch2[i], as PyTorch's."""
        t = cast("Any", self)
        return t._add_product(t._other(batch1).bmm(batch2).sum(0), beta, alpha)

    def addr_(self, vec1: TensorLike, vec2: TensorLike, *, beta: Number = 1, alpha: Number = 1) -> Tensor:
        """``addr`` in place."""
        return cast("Any", self)._write_fitting("addr_", lambda t: t.addr(vec1, vec2, beta=beta, alpha=alpha))

    def addbmm_(self, batch1: TensorLike, batch2: TensorLike, *, beta: Number = 1, alpha: Number = 1) -> Tensor:
        """``addbmm`` in place."""
        return cast("Any", self)._write_fitting("addbmm_", lambda t: t.addbmm(batch1, batch2, beta=beta, alpha=alpha))

    def addmm_(self, mat1: TensorLike, mat2: TensorLike, *, beta: Number = 1, alpha: Number = 1) -> Tensor:
        """``addmm`` in place."""
        return cast("Any", self)._write_fitting("addmm_", lambda t: t.addmm(mat1, mat2, beta=beta, alpha=alpha))

    def addmv_(self, mat: TensorLike, vec: TensorLike, *, beta: Number = 1, alpha: Number = 1) -> Tensor:
        """``addmv`` in place."""
        return cast("Any", self)._write_fitting("addmv_", lambda t: t.addmv(mat, vec, beta=beta, alpha=alpha))

    def baddbmm_(self, batch1: TensorLike, batch2: TensorLike, *, beta: Number = 1, alpha: Number = 1) -> Tensor:
        """``baddbmm`` in place."""
        return cast("Any", self)._write_fitting("baddbmm_", lambda t: t.baddbmm(batch1, batch2, beta=beta, alpha=alpha))
