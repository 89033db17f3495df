"""``torch.linalg``'s LU family and the ``_ex`` variants: ``lu_factor`` (LAPACK's packed LU with 1-based pivots),
``lu_solve``, ``lu`` (P, L, U with A = P L U), and ``inv_ex`` / ``cholesky_ex``, which report a singular (or not
positive-definite) matrix in an ``info`` array instead of raising, as torch's.

The factorisation is partial pivoting written in numpy (LAPACK's getf2: the largest |pivot| in the column, the first
one on a tie), vectorised over the batch, in the ``LuFactor`` primitive (``primitives/matrix_functions.py``), whose
vjp is torch's for square matrices (twice differentiable); ``info`` is the 1-based index of the first zero pivot, 0
when there is none. ``lu_solve`` is differentiable in LU and B (two triangular solves).

>>> LU, pivots = lu_factor(Tensor([[1.0, 2.0], [3.0, 4.0]]))
>>> pivots, lu_solve(LU, pivots, Tensor([[5.0], [11.0]]))  # row 2 is the first pivot; x = (1, 2)
(Tensor([2, 2], dtype=int32), Tensor([[1.],
        [2.]]))
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .functions import as_tensor, where
from .linalg_matrix import _matrices, cholesky, inv
from .linalg_solvers import solve_triangular
from .primitives.matrix_functions import LuFactor, lu_array, permutation_from_pivots
from .tensor import Tensor
from .types import TensorLike


class LuFactorResult(NamedTuple):
    """``lu_factor``'s (LU, pivots): L below the diagonal (its unit diagonal implied), U on and above it."""

    LU: Tensor
    pivots: Tensor


class LuResult(NamedTuple):
    """``lu``'s (P, L, U), A = P L U."""

    P: Tensor
    L: Tensor
    U: Tensor


class InvExResult(NamedTuple):
    """``inv_ex``'s (inverse, info)."""

    inverse: Tensor
    info: Tensor


class CholeskyExResult(NamedTuple):
    """``cholesky_ex``'s (L, info)."""

    L: Tensor
    info: Tensor


def _unpack(packed: Tensor) -> tuple[Tensor, Tensor]:
    """L (unit lower, (..., m, k)) and U (upper, (..., k, n)) from the packed LU."""
    m, n = packed.shape[-2:]
    k = min(m, n)
    lower = packed[..., :, :k] * np.tril(np.ones((m, k), packed.dtype), -1) + np.eye(m, k, dtype=packed.dtype)
    upper = packed[..., :k, :] * np.triu(np.ones((k, n), packed.dtype))
    return lower, upper


def _factor(x: Tensor) -> tuple[Tensor, np.ndarray, np.ndarray]:
    """(packed LU, the LuFactor primitive's output; pivots; P): the pivots are piecewise constant, so computed apart."""
    pivots = lu_array(x.data)[1]
    return Tensor.apply(LuFactor, x), pivots, permutation_from_pivots(pivots, x.shape[-2], x.dtype)


def lu_factor(A: TensorLike, *, pivot: bool = True) -> LuFactorResult:
    """The packed LU factorisation with partial pivoting of each (..., m, n) matrix, as
    ``torch.linalg.lu_factor``: ``pivots`` are LAPACK's 1-based row swaps (int32). A singular matrix is
    factored too (a zero on U's diagonal); ``lu_solve`` then refuses it.

    >>> lu_factor(Tensor([[0.0, 1.0], [2.0, 0.0]])).LU
    Tensor([[2., 0.],
            [0., 1.]])
    """
    if not pivot:
        raise ValueError("linalg.lu_factor: pivot=False is not supported on the CPU (torch neither); use pivot=True")
    packed, pivots, _ = _factor(_matrices("lu_factor", A, square=False))
    return LuFactorResult(packed, Tensor(pivots))


def lu(A: TensorLike, *, pivot: bool = True) -> LuResult:
    """A = P L U with a permutation P, unit lower-triangular L and upper-triangular U, as ``torch.linalg.lu``.

    >>> P, L, U = lu(Tensor([[1.0, 2.0], [3.0, 4.0]]))
    >>> (P @ L @ U).tolist()
    [[1.0, 2.0], [3.0, 4.0]]
    """
    if not pivot:
        raise ValueError("linalg.lu: pivot=False is not supported on the CPU (torch neither); use pivot=True")
    packed, _, permutation = _factor(_matrices("lu", A, square=False))
    lower, upper = _unpack(packed)
    return LuResult(Tensor(permutation), lower, upper)


def lu_solve(LU: TensorLike, pivots: TensorLike, B: TensorLike, *, left: bool = True, adjoint: bool = False) -> Tensor:
    """X with A X = B from A's ``lu_factor`` (``left=False``: X A = B; ``adjoint=True``: A^T in place of A), as
    ``torch.linalg.lu_solve``. Differentiable in LU and B.

    >>> LU, pivots = lu_factor(Tensor([[2.0, 0.0], [0.0, 4.0]]))
    >>> lu_solve(LU, pivots, Tensor([[2.0, 4.0]]), left=False)
    Tensor([[1., 1.]])
    """
    packed, b = _matrices("lu_solve", LU), _matrices("lu_solve", B, square=False)
    pivot_array = np.asarray(as_tensor(pivots).data)
    n = packed.shape[-1]
    if pivot_array.shape != (*packed.shape[:-2], n) or not np.issubdtype(pivot_array.dtype, np.integer):
        raise ValueError(
            f"linalg.lu_solve: pivots must be integers of shape {(*packed.shape[:-2], n)} (lu_factor's), got "
            f"{pivot_array.dtype} of shape {pivot_array.shape}"
        )
    permutation = Tensor(permutation_from_pivots(pivot_array, n, packed.dtype))
    lower, upper = _unpack(packed)
    if left and not adjoint:  # P L U X = B
        y = solve_triangular(lower, permutation.mT @ b, upper=False, unitriangular=True)
        return solve_triangular(upper, y, upper=True)
    if left:  # U^T L^T P^T X = B
        y = solve_triangular(lower.mT, solve_triangular(upper.mT, b, upper=False), upper=True, unitriangular=True)
        return permutation @ y
    if not adjoint:  # X P L U = B
        y = solve_triangular(
            lower, solve_triangular(upper, b, upper=True, left=False), upper=False, left=False, unitriangular=True
        )
        return y @ permutation.mT
    # X U^T L^T P^T = B  <=>  X = B P L^-T U^-T
    y = solve_triangular(lower.mT, b @ permutation, upper=True, left=False, unitriangular=True)
    return solve_triangular(upper.mT, y, upper=False, left=False)


def inv_ex(A: TensorLike, *, check_errors: bool = False) -> InvExResult:
    """(inverse, info) of each square matrix, as ``torch.linalg.inv_ex``: ``info`` (int32) is 0 where A is
    invertible and else the 1-based index of the first zero pivot of its LU; a singular matrix's inverse is NaN
    (torch's holds whatever LAPACK left there: read ``info``, never the values). ``check_errors=True`` raises.

    >>> inv_ex(Tensor([[[2.0, 0.0], [0.0, 4.0]], [[1.0, 2.0], [2.0, 4.0]]])).info
    Tensor([0, 2], dtype=int32)
    """
    x = _matrices("inv_ex", A)
    info = Tensor(lu_array(x.data)[2])
    singular = info.data > 0
    if not np.any(singular):
        return InvExResult(inv(x), info)
    if check_errors:
        return InvExResult(inv(x), info)  # inv raises, naming the singular matrices
    safe = where(singular[..., None, None], np.eye(x.shape[-1], dtype=x.dtype), x)
    return InvExResult(where(singular[..., None, None], np.nan, inv(safe)), info)


def _cholesky_failure(a: np.ndarray) -> tuple[np.ndarray, int]:
    """LAPACK potf2's output for one matrix that is not positive definite: columns before the failing one
    factored, the non-positive pivot left on the diagonal, the rest of A's lower triangle as it was."""
    out = np.tril(a).astype(a.dtype, copy=True)
    for j in range(a.shape[-1]):
        pivot = out[j, j] - out[j, :j] @ out[j, :j]
        if not pivot > 0:
            out[j, j] = pivot
            return out, j + 1
        out[j, j] = np.sqrt(pivot)
        out[j + 1 :, j] = (out[j + 1 :, j] - out[j + 1 :, :j] @ out[j, :j]) / out[j, j]
    return out, 0


def cholesky_ex(A: TensorLike, *, upper: bool = False, check_errors: bool = False) -> CholeskyExResult:
    """(L, info) of each square matrix, as ``torch.linalg.cholesky_ex``: ``info`` (int32) is 0 where A is
    positive definite and else the order of the first leading minor that is not (the factor there is LAPACK's
    partial one, a constant). ``check_errors=True`` raises instead.

    >>> cholesky_ex(Tensor([[1.0, 2.0], [2.0, 1.0]]))
    CholeskyExResult(L=Tensor([[ 1.,  0.],
            [ 2., -3.]]), info=Tensor(2, dtype=int32))
    """
    x = _matrices("cholesky_ex", A)
    flat = x.data.reshape(-1, *x.shape[-2:])
    flat_info = np.zeros(flat.shape[0], np.int32)
    partial = np.zeros_like(flat)
    try:
        np.linalg.cholesky(flat)  # the usual case, all positive definite: one batched call
    except np.linalg.LinAlgError:
        for i, matrix in enumerate(flat):  # find which, and LAPACK's partial factor of those
            try:
                np.linalg.cholesky(matrix)
            except np.linalg.LinAlgError:
                partial[i], flat_info[i] = _cholesky_failure(matrix)
    info = flat_info.reshape(x.shape[:-2])
    if check_errors or not np.any(info):
        lower = cholesky(x)
    else:
        failed = (info > 0)[..., None, None]
        safe = where(failed, np.eye(x.shape[-1], dtype=x.dtype), x)
        lower = where(failed, partial.reshape(x.shape), cholesky(safe))
    return CholeskyExResult(lower.mT if upper else lower, Tensor(info))
