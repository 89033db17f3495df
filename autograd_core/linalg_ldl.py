"""``torch.linalg``'s LDL family for symmetric (possibly indefinite) matrices: ``ldl_factor`` / ``ldl_factor_ex``
write A = P L D L^T P^T with 1x1 and 2x2 diagonal blocks in D, by Bunch and Kaufman's pivoting (LAPACK's
``sytf2`` with the lower triangle, which torch's ``sytrf`` runs for every matrix under 64 rows), and
``ldl_solve`` solves with those factors (``sytrs``). The outputs follow LAPACK's layout exactly: L's multipliers
below D's diagonal blocks in ``LD`` (its upper triangle zero), ``pivots`` 1-based, negative for a 2x2 block.

Written in numpy, one matrix at a time, and not differentiable (torch's are not either): a tensor that requires
grad is refused while grad mode is on, naming ``linalg.solve`` (differentiable) instead.

>>> LD, pivots = ag.linalg.ldl_factor(Tensor([[0.0, 1.0], [1.0, 0.0]]))  # no 1x1 pivot exists: one 2x2 block
>>> pivots
Tensor([-2, -2], dtype=int32)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .functions import as_tensor
from .grad_mode import is_grad_enabled
from .linalg_matrix import _matrices
from .tensor import Tensor
from .types import TensorLike

BUNCH_KAUFMAN_ALPHA = (1 + np.sqrt(17)) / 8  # balances the growth of 1x1 and 2x2 pivots (Bunch & Kaufman 1977)


class LdlFactorResult(NamedTuple):
    """``ldl_factor``'s (LD, pivots)."""

    LD: Tensor
    pivots: Tensor


class LdlFactorExResult(NamedTuple):
    """``ldl_factor_ex``'s (LD, pivots, info)."""

    LD: Tensor
    pivots: Tensor
    info: Tensor


def _symmetric_swap(a: np.ndarray, k: int, kk: int, kp: int, kstep: int) -> None:
    """Swap rows and columns kk and kp of the trailing lower triangle a[k:, k:] (sytf2's interchange)."""
    a[kp + 1 :, [kk, kp]] = a[kp + 1 :, [kp, kk]]
    between = a[kk + 1 : kp, kk].copy()
    a[kk + 1 : kp, kk] = a[kp, kk + 1 : kp]
    a[kp, kk + 1 : kp] = between
    a[kk, kk], a[kp, kp] = a[kp, kp], a[kk, kk]
    if kstep == 2:
        a[k + 1, k], a[kp, k] = a[kp, k], a[k + 1, k]


def _bunch_kaufman(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """(LD, 1-based pivots, info) of one symmetric matrix (its lower triangle read), as LAPACK's sytf2 'L'."""
    a = np.tril(matrix).astype(matrix.dtype, copy=True)
    n = a.shape[0]
    pivots = np.zeros(n, np.int32)
    info, k = 0, 0
    while k < n:
        kstep, kp = 1, k
        absakk = abs(a[k, k])
        imax = k + 1 + int(np.argmax(np.abs(a[k + 1 :, k]))) if k < n - 1 else k
        colmax = abs(a[imax, k]) if k < n - 1 else 0.0
        if max(absakk, colmax) == 0:  # a zero column: nothing to eliminate, D singular
            info = info or k + 1
        else:
            if absakk < BUNCH_KAUFMAN_ALPHA * colmax:
                # the largest off-diagonal of row/column imax decides between no swap, a 1x1 and a 2x2 pivot
                rowmax = np.max(np.abs(a[imax, k:imax]))
                if imax < n - 1:
                    rowmax = max(rowmax, np.max(np.abs(a[imax + 1 :, imax])))
                if absakk >= BUNCH_KAUFMAN_ALPHA * colmax * (colmax / rowmax):
                    kp = k
                elif abs(a[imax, imax]) >= BUNCH_KAUFMAN_ALPHA * rowmax:
                    kp = imax
                else:
                    kp, kstep = imax, 2
            kk = k + kstep - 1
            if kp != kk:
                _symmetric_swap(a, k, kk, kp, kstep)
            if kstep == 1 and k < n - 1:  # A(k+1:, k+1:) -= a a^T / d, then the multipliers a / d
                column = a[k + 1 :, k].copy()
                a[k + 1 :, k + 1 :] -= np.tril(np.outer(column, column)) / a[k, k]
                a[k + 1 :, k] = column / a[k, k]
            elif kstep == 2 and k < n - 2:  # the same with the inverse of the 2x2 block [[d11, d21], [d21, d22]]
                d21 = a[k + 1, k]
                d11, d22 = a[k + 1, k + 1] / d21, a[k, k] / d21
                scale = 1 / (d11 * d22 - 1) / d21
                first, second = a[k + 2 :, k].copy(), a[k + 2 :, k + 1].copy()
                wk, wkp1 = scale * (d11 * first - second), scale * (d22 * second - first)
                a[k + 2 :, k + 2 :] -= np.tril(np.outer(first, wk) + np.outer(second, wkp1))
                a[k + 2 :, k], a[k + 2 :, k + 1] = wk, wkp1
        pivots[k : k + kstep] = kp + 1 if kstep == 1 else -(kp + 1)
        k += kstep
    return a, pivots, info


def _refuse_grad(op: str, *tensors: Tensor) -> None:
    if is_grad_enabled() and any(t.requires_grad for t in tensors):
        raise ValueError(
            f"linalg.{op}: is not differentiable (torch's neither), and an input requires grad; call it on "
            "x.detach() (or under ag.no_grad()), or use linalg.solve / linalg.cholesky, which are"
        )


def _symmetric(op: str, A: TensorLike, hermitian: bool) -> Tensor:
    if not isinstance(hermitian, bool):
        raise TypeError(f"linalg.{op}: hermitian must be a bool, got {hermitian!r}")
    x = _matrices(op, A)
    _refuse_grad(op, x)
    return x


def ldl_factor_ex(A: TensorLike, *, hermitian: bool = False, check_errors: bool = False) -> LdlFactorExResult:
    """(LD, pivots, info) of each symmetric matrix (its lower triangle read), as ``torch.linalg.ldl_factor_ex``:
    ``info`` (int32) is 0, or the 1-based index of D's first zero diagonal block (A singular: ``ldl_solve`` then
    divides by zero). ``check_errors=True`` raises there. For a real matrix ``hermitian`` changes nothing.

    >>> ldl_factor_ex(Tensor([[4.0, 2.0], [2.0, 3.0]]))
    LdlFactorExResult(LD=Tensor([[4. , 0. ],
            [0.5, 2. ]]), pivots=Tensor([1, 2], dtype=int32), info=Tensor(0, dtype=int32))
    """
    return _factor("ldl_factor_ex", A, hermitian, check_errors)


def _factor(op: str, A: TensorLike, hermitian: bool, check_errors: bool) -> LdlFactorExResult:
    x = _symmetric(op, A, hermitian)
    flat = x.data.reshape(-1, *x.shape[-2:])
    results = [_bunch_kaufman(matrix) for matrix in flat]
    factors = np.stack([r[0] for r in results]).reshape(x.shape) if results else np.zeros_like(x.data)
    pivots = np.stack([r[1] for r in results]).reshape(x.shape[:-1]) if results else np.zeros(x.shape[:-1], np.int32)
    info = np.asarray([r[2] for r in results], np.int32).reshape(x.shape[:-2])
    if check_errors and np.any(info):
        raise ValueError(
            f"linalg.{op}: D has a zero diagonal block at {info[info > 0].tolist()} (A is singular); read "
            "info with check_errors=False, or regularise A (A + eps * I)"
        )
    return LdlFactorExResult(Tensor(factors), Tensor(pivots), Tensor(info))


def ldl_factor(A: TensorLike, *, hermitian: bool = False) -> LdlFactorResult:
    """(LD, pivots) of each symmetric matrix, as ``torch.linalg.ldl_factor`` (``ldl_factor_ex`` without info).

    >>> ldl_factor(Tensor([[4.0, 2.0], [2.0, 3.0]])).LD
    Tensor([[4. , 0. ],
            [0.5, 2. ]])
    """
    LD, pivots, _ = _factor("ldl_factor", A, hermitian, check_errors=False)
    return LdlFactorResult(LD, pivots)


def _solve_one(a: np.ndarray, pivots: np.ndarray, b: np.ndarray) -> np.ndarray:
    """X with A X = B from one matrix's sytf2 factors (LAPACK's sytrs 'L'): L D first, then L^T."""
    n, x, k = a.shape[0], b.copy(), 0
    while k < n:  # solve L D Y = P^T B, a column (1x1) or two (2x2) at a time
        if pivots[k] > 0:
            kp = pivots[k] - 1
            x[[k, kp]] = x[[kp, k]]
            x[k + 1 :] -= np.outer(a[k + 1 :, k], x[k])
            x[k] /= a[k, k]
            k += 1
        else:
            kp = -pivots[k] - 1
            x[[k + 1, kp]] = x[[kp, k + 1]]
            x[k + 2 :] -= np.outer(a[k + 2 :, k], x[k]) + np.outer(a[k + 2 :, k + 1], x[k + 1])
            off = a[k + 1, k]
            d11, d22 = a[k, k] / off, a[k + 1, k + 1] / off
            denominator = d11 * d22 - 1
            b1, b2 = x[k] / off, x[k + 1] / off
            x[k], x[k + 1] = (d22 * b1 - b2) / denominator, (d11 * b2 - b1) / denominator
            k += 2
    k = n - 1
    while k >= 0:  # solve L^T P^T X = Y, from the bottom
        x[k] -= a[k + 1 :, k] @ x[k + 1 :]
        if pivots[k] > 0:
            kp = pivots[k] - 1
            k_next = k - 1
        else:
            x[k - 1] -= a[k + 1 :, k - 1] @ x[k + 1 :]
            kp = -pivots[k] - 1
            k_next = k - 2
        x[[k, kp]] = x[[kp, k]]
        k = k_next
    return x


def ldl_solve(LD: TensorLike, pivots: TensorLike, B: TensorLike, *, hermitian: bool = False) -> Tensor:
    """X with A X = B from A's ``ldl_factor`` (LD, pivots), as ``torch.linalg.ldl_solve``: B (..., n, k).

    >>> A, B = Tensor([[0.0, 1.0], [1.0, 0.0]]), Tensor([[2.0], [3.0]])
    >>> ldl_solve(*ldl_factor(A), B)
    Tensor([[3.],
            [2.]])
    """
    factors = _symmetric("ldl_solve", LD, hermitian)
    b = _matrices("ldl_solve", B, square=False)
    _refuse_grad("ldl_solve", b)
    pivot_array = np.asarray(as_tensor(pivots).data)
    n = factors.shape[-1]
    if pivot_array.shape != factors.shape[:-1] or not np.issubdtype(pivot_array.dtype, np.integer):
        raise ValueError(
            f"linalg.ldl_solve: pivots must be integers of shape {factors.shape[:-1]} (ldl_factor's), got "
            f"{pivot_array.dtype} of shape {pivot_array.shape}"
        )
    if b.shape[-2] != n or b.shape[:-2] != factors.shape[:-2]:
        raise ValueError(f"linalg.ldl_solve: B must have shape {(*factors.shape[:-2], n, 'k')}, got {b.shape}")
    flat_a, flat_p = factors.data.reshape(-1, n, n), pivot_array.reshape(-1, n)
    flat_b = b.data.reshape(-1, *b.shape[-2:]).astype(np.result_type(factors.dtype, b.dtype))
    solved = [_solve_one(a, p, rhs) for a, p, rhs in zip(flat_a, flat_p, flat_b)]
    return Tensor(np.stack(solved).reshape(b.shape) if solved else flat_b.reshape(b.shape))


__all__ = ["ldl_factor", "ldl_factor_ex", "ldl_solve", "LdlFactorResult", "LdlFactorExResult"]
