"""``torch.linalg``'s matrix functions, differentiable: det, slogdet, inv, solve, cholesky, qr, eigh, eigvalsh, svd,
svdvals (and ``logdet``, ``inverse``, torch's top-level spellings). Each takes a batch (..., m, n), as torch,
checks what it is given (floating point, square where it must be) and runs one primitive
(``autograd_core/primitives/decompositions.py`` and ``spectral.py``, which hold the derivatives and cite them).

>>> a = Tensor([[2.0, 1.0], [1.0, 3.0]], requires_grad=True)
>>> det(a).backward()  # d det / dA = det(A) A^-T = adj(A)^T
>>> a.grad
array([[ 3., -1.],
       [-1.,  2.]])
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .functions import as_tensor
from .primitives import Cholesky, Det, Eigh, Inv, Qr, Slogdet, Solve, Svd
from .tensor import Tensor
from .types import TensorLike


class SlogdetResult(NamedTuple):
    """``slogdet``'s (sign, logabsdet), as ``torch.linalg.slogdet``'s named tuple."""

    sign: Tensor
    logabsdet: Tensor


class EighResult(NamedTuple):
    """``eigh``'s (eigenvalues, eigenvectors): ascending values, the vectors as columns."""

    eigenvalues: Tensor
    eigenvectors: Tensor


class QrResult(NamedTuple):
    """``qr``'s (Q, R), A = Q R."""

    Q: Tensor
    R: Tensor


class SvdResult(NamedTuple):
    """``svd``'s (U, S, Vh), A = U diag(S) Vh."""

    U: Tensor
    S: Tensor
    Vh: Tensor


def _matrices(op: str, x: TensorLike, square: bool = True) -> Tensor:
    """x as a Tensor of float32/float64 matrices (..., m, n), square if asked; else an error saying what to do."""
    x = as_tensor(x)
    if x.dtype not in (np.float32, np.float64):
        raise TypeError(
            f"linalg.{op}: expects a float32 or float64 tensor, got {x.dtype} (shape {x.shape}); "
            "convert it first with t.double() or t.float()"
        )
    if x.ndim < 2:
        raise ValueError(f"linalg.{op}: expects matrices of shape (..., m, n), got shape {x.shape}")
    if square and x.shape[-1] != x.shape[-2]:
        raise ValueError(
            f"linalg.{op}: expects square matrices (..., n, n), got shape {x.shape}; "
            "for a non-square matrix, linalg.svd gives its singular values (and a pseudo-inverse)"
        )
    return x


def det(A: TensorLike) -> Tensor:
    """The determinant of each (n, n) matrix, as ``torch.linalg.det``; differentiable also where A is singular.

    >>> det(Tensor([[1.0, 2.0], [3.0, 4.0]])).item()
    -2.0000000000000004
    """
    return Tensor.apply(Det, _matrices("det", A))


def slogdet(A: TensorLike) -> SlogdetResult:
    """(sign, log|det|) of each (n, n) matrix, as ``torch.linalg.slogdet``: the log stays finite where det
    would overflow. The sign is a constant (0 for a singular matrix, whose logabsdet is -inf).

    >>> slogdet(Tensor([[0.0, 2.0], [3.0, 0.0]]))
    SlogdetResult(sign=Tensor(-1.), logabsdet=Tensor(1.7918))
    """
    x = _matrices("slogdet", A)
    return SlogdetResult(Tensor(np.linalg.slogdet(x.data)[0]), Tensor.apply(Slogdet, x))


def logdet(A: TensorLike) -> Tensor:
    """log det A, as ``torch.logdet``: NaN where det < 0 and -inf where it is 0 (``slogdet`` gives the sign).

    >>> logdet(Tensor([[2.0, 0.0], [0.0, 3.0]])).item()  # log 6
    1.791759469228055
    """
    sign, logabsdet = slogdet(A)
    return logabsdet + np.where(sign.data < 0, np.nan, 0.0).astype(logabsdet.dtype)


def inv(A: TensorLike) -> Tensor:
    """The inverse of each (n, n) matrix, as ``torch.linalg.inv``; a singular one is refused, saying so.

    >>> inv(Tensor([[2.0, 0.0], [0.0, 4.0]]))
    Tensor([[0.5 , 0.  ],
            [0.  , 0.25]])
    """
    return Tensor.apply(Inv, _matrices("inv", A))


inverse = inv  # torch.inverse


def solve(A: TensorLike, B: TensorLike, *, left: bool = True) -> Tensor:
    """X with A X = B (or X A = B with ``left=False``), as ``torch.linalg.solve``: A is (..., n, n); B is a
    batch of vectors (..., n) when it is 1-d or has A's shape without its last axis, else matrices (..., n, k).
    Batch axes broadcast. Faster and more accurate than ``inv(A) @ B``.

    >>> solve(Tensor([[2.0, 0.0], [0.0, 4.0]]), Tensor([2.0, 2.0]))
    Tensor([1. , 0.5])
    """
    a, b = _matrices("solve", A), as_tensor(B)
    if b.dtype not in (np.float32, np.float64):
        raise TypeError(f"linalg.solve: expects a float32 or float64 B, got {b.dtype}; convert it with t.double()")
    n = a.shape[-1]
    vector = b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])
    if not left:  # X A = B  <=>  A^T X^T = B^T
        if vector:
            raise ValueError("linalg.solve: left=False needs B as matrices (..., k, n), got a vector; use left=True")
        return solve(a.mT, b.mT).mT
    if (b.shape[-1] if vector else b.shape[-2] if b.ndim >= 2 else None) != n:
        raise ValueError(
            f"linalg.solve: B of shape {b.shape} does not fit A of shape {a.shape}: B must be (..., {n}) "
            f"(vectors) or (..., {n}, k) (matrices)"
        )
    if vector:
        return Tensor.apply(Solve, a, b[..., None])[..., 0]
    return Tensor.apply(Solve, a, b)


def cholesky(A: TensorLike, *, upper: bool = False) -> Tensor:
    """L, lower triangular, with A = L L^T for symmetric positive-definite A (only its lower triangle is read),
    as ``torch.linalg.cholesky``; ``upper=True`` gives L^T.

    >>> cholesky(Tensor([[4.0, 2.0], [2.0, 2.0]]))
    Tensor([[2., 0.],
            [1., 1.]])
    """
    lower = Tensor.apply(Cholesky, _matrices("cholesky", A))
    return lower.mT if upper else lower


def eigh(A: TensorLike, UPLO: str = "L") -> EighResult:
    """Eigenvalues (ascending) and eigenvectors (columns) of symmetric matrices, as ``torch.linalg.eigh``; only
    the ``UPLO`` triangle is read. The vectors' signs are arbitrary, and their gradient is undefined for a
    repeated eigenvalue (backward raises, saying so); ``eigvalsh`` is differentiable everywhere.

    >>> eigh(Tensor([[2.0, 1.0], [1.0, 2.0]])).eigenvalues
    Tensor([1., 3.])
    """
    return _eigh(_matrices("eigh", A), UPLO, "eigh")


def _eigh(x: Tensor, UPLO: str, op: str) -> EighResult:
    if UPLO not in ("L", "U"):
        raise ValueError(f"linalg.{op}: UPLO must be 'L' or 'U', got {UPLO!r}")
    packed = Tensor.apply(Eigh, x if UPLO == "L" else x.mT)  # the upper triangle of A is the lower one of A^T
    return EighResult(packed[..., 0, :], packed[..., 1:, :])


def eigvalsh(A: TensorLike, UPLO: str = "L") -> Tensor:
    """The eigenvalues of symmetric matrices, ascending, as ``torch.linalg.eigvalsh``; d w_i / dA = v_i v_i^T.

    >>> eigvalsh(Tensor([[2.0, 0.0], [0.0, -1.0]]))
    Tensor([-1.,  2.])
    """
    return _eigh(_matrices("eigvalsh", A), UPLO, "eigvalsh").eigenvalues


def svd(A: TensorLike, full_matrices: bool = True) -> SvdResult:
    """A = U diag(S) Vh, S descending, as ``torch.linalg.svd`` (whose default is ``full_matrices=True``).

    Use ``full_matrices=False`` to differentiate through U or Vh: with True, the extra columns of U (rows of
    Vh) complete an orthonormal basis, any basis, so they are constants (PyTorch's backward ignores them too).
    The gradient through U and Vh needs distinct singular values (and nonzero ones if A is not square):
    backward raises, saying so, where torch returns inf or NaN. S alone (``svdvals``) is differentiable
    everywhere: dS_i / dA = u_i v_i^T.

    >>> svd(Tensor([[3.0, 0.0], [0.0, -2.0]])).S
    Tensor([3., 2.])
    """
    return _svd(_matrices("svd", A, square=False), full_matrices)


def _svd(x: Tensor, full_matrices: bool) -> SvdResult:
    m, n = x.shape[-2:]
    k = min(m, n)
    packed = Tensor.apply(Svd, x)
    u, s, vh = packed[..., :m, :], packed[..., m, :], packed[..., m + 1 :, :].mT
    if full_matrices and m != n:  # complete U (or V) with a constant orthonormal basis of the rest
        from .functions import cat

        if m > n:
            complete = np.linalg.qr(u.data, mode="complete")[0][..., k:]
            u = cat([u, Tensor(complete)], -1)
        else:
            complete = np.linalg.qr(vh.data.swapaxes(-1, -2), mode="complete")[0][..., k:]
            vh = cat([vh, Tensor(complete.swapaxes(-1, -2))], -2)
    return SvdResult(u, s, vh)


def svdvals(A: TensorLike) -> Tensor:
    """The singular values of (..., m, n) matrices, descending, as ``torch.linalg.svdvals``.

    >>> svdvals(Tensor([[0.0, 2.0], [1.0, 0.0]]))
    Tensor([2., 1.])
    """
    return _svd(_matrices("svdvals", A, square=False), full_matrices=False).S


def qr(A: TensorLike, mode: str = "reduced") -> QrResult:
    """A = Q R with orthonormal columns in Q and an upper-triangular R, as ``torch.linalg.qr``: ``mode="reduced"``
    (Q (m, k), R (k, n), k = min(m, n)), ``"complete"`` (Q (m, m), R (m, n)) or ``"r"`` (R only; Q is empty, as
    torch). Differentiable for a full-rank A; with ``"complete"`` and m > n, Q's extra columns (any orthonormal
    basis of the rest) are constants, and R's extra rows zeros.

    >>> qr(Tensor([[3.0, 1.0], [4.0, 2.0]])).R
    Tensor([[-5. , -2.2],
            [ 0. ,  0.4]])
    """
    x = _matrices("qr", A, square=False)
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"linalg.qr: mode must be 'reduced', 'complete' or 'r', got {mode!r}")
    m, n = x.shape[-2:]
    packed = Tensor.apply(Qr, x)
    q, r = packed[..., :m].mT, packed[..., m:]
    if mode == "r":
        return QrResult(Tensor(np.empty((0,), x.dtype)), r)
    if mode == "complete" and m > n:
        from .functions import cat

        complete = np.linalg.qr(q.data, mode="complete")[0][..., n:]
        q = cat([q, Tensor(complete)], -1)
        r = cat([r, Tensor(np.zeros((*x.shape[:-2], m - n, n), x.dtype))], -2)
    return QrResult(q, r)
