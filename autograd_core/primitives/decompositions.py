"""Matrix primitives: det, log|det|, inv, solve, cholesky (square) and qr, each one LAPACK call (numpy.linalg).

All take a batch of matrices (..., n, n), as ``torch.linalg``; the vjps are the matrix-calculus results of
M. B. Giles, "An extended collection of matrix derivative results for forward and reverse mode algorithmic
differentiation" (2008), section 2.2, and for Cholesky I. Murray, "Differentiation of the Cholesky
decomposition" (2016), in the symmetric form PyTorch uses. They are written in the operations arrays and
Tensors share (a solve in a vjp is ``call(Solve, ...)``), so ``create_graph=True`` gives second derivatives.
The user-facing checks (float dtype, square, what to do) are in ``autograd_core/linalg_matrix.py``.
"""

import numpy as np

from . import Primitive, call
from .linalg import _matrix_transpose
from .shape import Concatenate

_SINGULAR_HINT = (
    "a singular matrix has no inverse: check its rank, or regularise it (A + eps * I); slogdet/det are defined for it"
)


def _batched(values):
    """values[..., None, None]: a per-matrix scalar broadcast over its matrix (arrays and Tensors)."""
    return values[..., None, None]


def _singular_batch_error(x):
    """Which matrices of a batch are singular, said in words (the forward's error message)."""
    x = np.asarray(x)
    if x.ndim == 2:
        return "the matrix is singular (its determinant is 0)"
    values = np.linalg.svd(x, compute_uv=False)
    bad = np.argwhere(values[..., -1] <= values[..., 0] * x.shape[-1] * np.finfo(x.dtype).eps)
    where = ", ".join(str(tuple(int(i) for i in b)) for b in bad[:3]) or "(rank-deficient in floating point)"
    return f"matrices at batch index {where} are singular (determinant 0)"


def _inv_array(x):
    try:
        return np.linalg.inv(x)
    except np.linalg.LinAlgError:
        raise ValueError(_singular_batch_error(x)) from None


def _adjugate_transpose(x):
    """adj(A)^T = d det(A) / dA for arrays, also where A is singular (then det(A) A^-T is 0 * inf).

    From the SVD A = U diag(s) V^T: adj(A) = det(U) det(V) V diag(prod_{j != i} s_j) U^T.
    """
    u, s, vh = np.linalg.svd(x)
    n = s.shape[-1]
    others = np.stack([np.prod(np.delete(s, i, axis=-1), axis=-1) for i in range(n)], axis=-1)
    signs = np.linalg.det(u) * np.linalg.det(vh)
    adjugate = signs[..., None, None] * (_matrix_transpose(vh) * others[..., None, :]) @ _matrix_transpose(u)
    return _matrix_transpose(adjugate)


class Det(Primitive):
    """det(A) of (..., n, n). d det / dA = det(A) A^-T (Giles 2008, 2.2.4); where A is singular, adj(A)^T
    (from the SVD), as PyTorch. Second derivatives need an invertible A."""

    @staticmethod
    def forward(x):
        return np.linalg.det(x)

    @staticmethod
    def vjp(i, g, out, x):
        if isinstance(x, np.ndarray) and not np.all(out):  # a singular matrix in the batch: no A^-1
            return _batched(g) * _adjugate_transpose(x)
        return _batched(g * out) * _matrix_transpose(call(Inv, x))


class Slogdet(Primitive):
    """log|det A| of (..., n, n): slogdet's logabsdet (its sign is a constant). d/dA = A^-T (Giles 2008, 2.2.4)."""

    hint = "log|det| is -inf for a singular matrix"

    @staticmethod
    def forward(x):
        return np.linalg.slogdet(x)[1]

    @staticmethod
    def vjp(i, g, out, x):
        return _batched(g) * _matrix_transpose(call(Inv, x))


class Inv(Primitive):
    """A^-1 of (..., n, n). d(A^-1) = -A^-1 dA A^-1, so the vjp is -A^-T g A^-T (Giles 2008, 2.2.3)."""

    hint = _SINGULAR_HINT

    forward = staticmethod(_inv_array)

    @staticmethod
    def vjp(i, g, out, x):
        out_t = _matrix_transpose(out)
        return -(out_t @ g @ out_t)


class Solve(Primitive):
    """X = A^-1 B for A (..., n, n) and B (..., n, k) (batch axes broadcast; a vector B is made (n, 1) by
    ``ag.linalg.solve``). The vjp (Giles 2008, 2.3.1): dB = A^-T g, dA = -dB X^T."""

    hint = _SINGULAR_HINT + "; B must be (..., n, k) with n = A's size"

    @staticmethod
    def forward(a, b):
        try:
            return np.linalg.solve(a, b)
        except np.linalg.LinAlgError:
            raise ValueError(_singular_batch_error(a)) from None

    @staticmethod
    def vjp(i, g, out, a, b):
        grad_b = call(Solve, _matrix_transpose(a), g)
        return grad_b if i == 1 else -(grad_b @ _matrix_transpose(out))


class Cholesky(Primitive):
    """The lower-triangular L with A = L L^T, for a symmetric positive-definite A (..., n, n); only A's lower
    triangle is read. The vjp is Murray (2016)'s, in the symmetric form PyTorch uses: with S = tril(L^T g)
    and Phi = (S + strict_tril(S)^T) / 2 (symmetric), dA = L^-T Phi L^-1 (two triangular solves)."""

    hint = (
        "cholesky needs a symmetric positive-definite matrix (all eigenvalues > 0): check with "
        "ag.linalg.eigvalsh(A), or add a small multiple of the identity (A + eps * I)"
    )

    @staticmethod
    def forward(x):
        try:
            return np.linalg.cholesky(x)
        except np.linalg.LinAlgError:
            raise ValueError("the matrix is not positive definite") from None

    @staticmethod
    def vjp(i, g, out, x):
        n = out.shape[-1]
        lower = np.tril(np.ones((n, n), dtype=np.asarray(out).dtype))
        s = (_matrix_transpose(out) @ g) * lower  # tril(L^T g): L^T strict_triu(g) is upper, so g's tril is enough
        phi = 0.5 * (s + _matrix_transpose(s * (lower - np.eye(n, dtype=lower.dtype))))  # symmetric
        out_t = _matrix_transpose(out)
        left = call(Solve, out_t, phi)  # L^-T Phi
        return _matrix_transpose(call(Solve, out_t, _matrix_transpose(left)))  # (L^-T (L^-T Phi)^T)^T = L^-T Phi L^-1


def _copy_lower_to_upper(m):
    """tril(M) + tril(M, -1)^T: the symmetric matrix with M's lower triangle (arrays and Tensors)."""
    n = m.shape[-1]
    strict = np.tril(np.ones((n, n), dtype=np.asarray(m).dtype), -1)
    lower = m * (strict + np.eye(n, dtype=strict.dtype))
    return lower + _matrix_transpose(m * strict)


def _right_solve_upper(x, r):
    """X R^-T for a square upper-triangular R: (R^-1 X^T)^T, one solve."""
    return _matrix_transpose(call(Solve, r, _matrix_transpose(x)))


def _qr_tall_vjp(grad_q, grad_r, q, r):
    """The reduced QR's vjp for m >= n (Liao et al., "Differentiable programming tensor networks", 2019, eq. 9;
    Walter & Lehmann 2018): M = R gR^T - gQ^T Q, dA = (gQ + Q copyltu(M)) R^-T."""
    m = r @ _matrix_transpose(grad_r) - _matrix_transpose(grad_q) @ q
    return _right_solve_upper(grad_q + q @ _copy_lower_to_upper(m), r)


class Qr(Primitive):
    """The reduced QR A = Q R of (..., m, n), k = min(m, n), packed (..., k, m + n): Q^T (k, m) beside R (k, n).
    The vjp for m >= n is Liao et al. (2019)'s; for m < n, A = [X | Y] with X = Q U square: dY = Q gV,
    dX = the square case's vjp with gQ + Y gV^T (gV: R's last n - m columns). It needs a full-rank A
    (a zero on R's diagonal is a division by zero)."""

    @staticmethod
    def forward(x):
        q, r = np.linalg.qr(x, mode="reduced")
        return np.concatenate([_matrix_transpose(q), r], axis=-1)

    @staticmethod
    def vjp(i, g, out, x):
        m, n = x.shape[-2], x.shape[-1]
        q, r = _matrix_transpose(out[..., :m]), out[..., m:]
        grad_q, grad_r = _matrix_transpose(g[..., :m]), g[..., m:]
        if m >= n:
            return _qr_tall_vjp(grad_q, grad_r, q, r)
        y, grad_v = x[..., :, m:], grad_r[..., :, m:]
        grad_x = _qr_tall_vjp(grad_q + y @ _matrix_transpose(grad_v), grad_r[..., :, :m], q, r[..., :, :m])
        return call(Concatenate, grad_x, q @ grad_v, axis=x.ndim - 1, bounds=(0, m, n))
