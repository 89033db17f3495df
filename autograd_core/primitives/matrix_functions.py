"""Matrix functions with a derivative of their own: the exponential (``MatrixExp``), the pseudo-inverse (``Pinv``) and
the packed LU factorisation (``LuFactor``, its vjp PyTorch's ``linalg_lu_backward`` for a square matrix).

``MatrixExp`` is scaling and squaring with the degree-13 Padé approximant (N. J. Higham, "The scaling and squaring
method for the matrix exponential revisited", SIAM J. Matrix Anal. Appl. 26(4), 2005, algorithm 2.3), and its vjp
the exact one: the directional derivative of exp at A along E is the top-right block of exp([[A, E], [0, A]])
(C. Van Loan, "Computing integrals involving the matrix exponential", 1978; Najfeld & Havel 1995), so the vjp for
g is the top-right block of exp([[A^T, g], [0, A^T]]), which is how PyTorch's ``matrix_exp`` backward computes it.
The vjp calls the primitive itself, so ``create_graph=True`` gives second derivatives.

``Pinv`` is A^+ from the SVD, singular values at or below the cutoff max(atol, rtol * s_max) counted as 0; its
vjp is the Golub-Pereyra (1973) differential of the pseudo-inverse at constant rank, as PyTorch's ``pinv_backward``:
dP = -P dA P + P P^T dA^T (I - A P) + (I - P A) dA^T P^T P.
"""

import numpy as np

from . import Primitive, call
from .decompositions import Solve
from .linalg import _matrix_transpose
from .shape import Concatenate

# Higham (2005), table 2.3: the Padé [13/13] numerator coefficients b_0..b_13 and the 1-norm below which the
# approximant is accurate to unit roundoff in double precision
_PADE13 = (
    64764752532480000.0,
    32382376266240000.0,
    7771770303897600.0,
    1187353796428800.0,
    129060195264000.0,
    10559470521600.0,
    670442572800.0,
    33522128640.0,
    1323241920.0,
    40840800.0,
    960960.0,
    16380.0,
    182.0,
    1.0,
)
_THETA13 = 5.371920351148152


def _expm_pade13(a):
    """exp(a) for a batch (..., n, n) whose matrices all have 1-norm <= theta_13 (no scaling)."""
    b = _PADE13
    eye = np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape)
    a2 = a @ a
    a4 = a2 @ a2
    a6 = a4 @ a2
    u = a @ (a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2) + b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * eye)
    v = a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2 + b[0] * eye
    return np.linalg.solve(v - u, v + u)  # r13 = (V - U)^-1 (V + U)


def _expm_array(x):
    """exp of each matrix of (..., n, n): scaled by 2^-s so its 1-norm is <= theta_13, then squared s times.
    Matrices needing the same s run together (one s for the whole batch would over-scale the small ones)."""
    x = np.asarray(x)
    if x.shape[-1] == 0:
        return x.copy()
    work = x.astype(np.float64)  # float32 runs in float64 (its theta is smaller; this is simpler and exact enough)
    norms = np.abs(work).sum(axis=-2).max(axis=-1)
    with np.errstate(divide="ignore"):
        squarings = np.maximum(0, np.ceil(np.log2(norms / _THETA13))).astype(int)
    flat, steps = work.reshape(-1, *x.shape[-2:]), squarings.reshape(-1)
    out = np.empty_like(flat)
    for s in np.unique(steps):
        chosen = steps == s
        result = _expm_pade13(flat[chosen] / 2.0**s)
        for _ in range(s):
            result = result @ result
        out[chosen] = result
    return out.reshape(x.shape).astype(x.dtype)


class MatrixExp(Primitive):
    """exp(A) = sum_k A^k / k! of (..., n, n), by scaling and squaring with Padé 13 (Higham 2005). The vjp is
    exact: the top-right n x n block of exp([[A^T, g], [0, A^T]]) (Van Loan 1978), computed by this primitive."""

    hint = "matrix_exp needs square (..., n, n) matrices"

    forward = staticmethod(_expm_array)

    @staticmethod
    def vjp(i, g, out, x):
        n, axis_rows, axis_cols = x.shape[-1], x.ndim - 2, x.ndim - 1
        x_t = _matrix_transpose(x)
        zeros = np.zeros(x.shape, dtype=np.asarray(out).dtype)
        top = call(Concatenate, x_t, g, axis=axis_cols, bounds=(0, n, 2 * n))
        bottom = call(Concatenate, zeros, x_t, axis=axis_cols, bounds=(0, n, 2 * n))
        block = call(Concatenate, top, bottom, axis=axis_rows, bounds=(0, n, 2 * n))
        return call(MatrixExp, block)[..., :n, n:]


def pinv_array(x, *, rtol, atol, hermitian):
    """A^+ of each (..., m, n) matrix, singular values <= max(atol, rtol * s_max) dropped (numpy only)."""
    x = np.asarray(x)
    if hermitian:  # A = V diag(w) V^T = V diag(|w|) (sign(w) V)^T: the singular values are |w|
        values, v = np.linalg.eigh(x)
        s, left, right = np.abs(values), v, v * np.sign(values)[..., None, :]
    else:
        left, s, vh = np.linalg.svd(x, full_matrices=False)
        right = _matrix_transpose(vh)
    cutoff = np.maximum(atol, rtol * s.max(axis=-1, keepdims=True, initial=0.0))
    kept = s > cutoff
    inverted = np.where(kept, 1.0 / np.where(kept, s, 1.0), 0.0)
    return ((right * inverted[..., None, :]) @ _matrix_transpose(left)).astype(x.dtype)


class Pinv(Primitive):
    """The Moore-Penrose pseudo-inverse P = A^+ of (..., m, n), from the SVD (or, ``hermitian``, eigh) with the
    singular values at or below max(atol, rtol * s_max) taken as 0. The vjp (Golub & Pereyra 1973; PyTorch's
    ``pinv_backward``), exact where the rank is locally constant:
    dA = -P^T g P^T + (I - A P) g^T P P^T + P^T P g^T (I - P A)."""

    hint = "pinv takes (..., m, n) matrices"

    forward = staticmethod(pinv_array)

    @staticmethod
    def vjp(i, g, out, x, *, rtol, atol, hermitian):
        p_t, g_t = _matrix_transpose(out), _matrix_transpose(g)
        left_null = g_t @ (out @ p_t)  # g^T P P^T, then (I - A P) applied on its left
        right_null = (p_t @ out) @ g_t  # P^T P g^T, then (I - P A) applied on its right
        return -(p_t @ g @ p_t) + (left_null - x @ (out @ left_null)) + (right_null - (right_null @ out) @ x)


def lu_array(x):
    """(packed LU, 1-based pivots, info) of each (..., m, n) matrix by partial pivoting, as LAPACK's getf2: the
    first largest |entry| of the column is the pivot; info is the 1-based index of the first zero pivot, else 0."""
    x = np.asarray(x)
    m, n = x.shape[-2:]
    k = min(m, n)
    a = x.reshape(-1, m, n).astype(x.dtype, copy=True)
    batch = np.arange(a.shape[0])
    pivots = np.zeros((a.shape[0], k), np.int32)
    info = np.zeros(a.shape[0], np.int32)
    for j in range(k):
        p = j + np.argmax(np.abs(a[:, j:, j]), axis=-1)
        pivots[:, j] = p + 1
        row_j = a[batch, j].copy()
        a[batch, j] = a[batch, p]
        a[batch, p] = row_j
        pivot = a[:, j, j]
        zero = pivot == 0
        info[(info == 0) & zero] = j + 1
        multipliers = a[:, j + 1 :, j] / np.where(zero, 1, pivot)[:, None]  # a zero pivot: its column is all 0
        a[:, j + 1 :, j] = multipliers
        a[:, j + 1 :, j + 1 :] -= multipliers[:, :, None] * a[:, j, None, j + 1 :]
    return a.reshape(x.shape), pivots.reshape(*x.shape[:-2], k), info.reshape(x.shape[:-2])


def permutation_from_pivots(pivots, m, dtype):
    """P (..., m, m) with A = P L U, from LAPACK's 1-based row swaps."""
    pivots = np.asarray(pivots)
    flat = pivots.reshape(-1, pivots.shape[-1]) - 1
    order = np.tile(np.arange(m), (flat.shape[0], 1))  # (P^T A)[i] = A[order[i]]
    batch = np.arange(flat.shape[0])
    for j in range(flat.shape[1]):
        swapped = order[batch, flat[:, j]].copy()
        order[batch, flat[:, j]] = order[:, j]
        order[:, j] = swapped
    permutation = np.zeros((flat.shape[0], m, m), dtype)
    permutation[batch[:, None], order, np.arange(m)] = 1.0  # P[order[i], i] = 1
    return permutation.reshape(*pivots.shape[:-1], m, m)


class LuFactor(Primitive):
    """The packed LU of (..., m, n) with partial pivoting, P^T A = L U (L unit lower, strictly below the
    diagonal; U on and above it). The pivots are piecewise constant: ``ag.linalg.lu_factor`` computes them apart.
    The vjp (PyTorch's ``linalg_lu_backward`` for square A): with gL = strict_tril(g), gU = triu(g),
    gA = P L^-T [strict_tril(L^T gL) + triu(gU U^T)] U^-T, two triangular solves on L and U read from the output."""

    @staticmethod
    def forward(x):
        return lu_array(x)[0]

    @staticmethod
    def vjp(i, g, out, x):
        m, n = x.shape[-2:]
        if m != n:
            raise ValueError(
                f"lu_factor: backward is supported for square matrices only, got ({m}, {n}); for a least-squares "
                "problem differentiate linalg.lstsq (or linalg.pinv) instead"
            )
        dtype = np.asarray(out).dtype
        strict = np.tril(np.ones((n, n), dtype), -1)
        lower = out * strict + np.eye(n, dtype=dtype)
        upper = out * (1 - strict)
        pivots, info = lu_array(np.asarray(x))[1:]
        if np.any(info):
            raise ValueError(
                "lu_factor: backward is undefined where U has a zero on its diagonal (a singular matrix); "
                "detach it (A.detach()) or perturb it slightly"
            )
        inner = (_matrix_transpose(lower) @ (g * strict)) * strict + ((g * (1 - strict)) @ _matrix_transpose(upper)) * (
            1 - strict
        )
        left = call(Solve, _matrix_transpose(lower), inner)  # L^-T M
        grad_permuted = _matrix_transpose(call(Solve, upper, _matrix_transpose(left)))  # (L^-T M) U^-T
        return permutation_from_pivots(pivots, n, dtype) @ grad_permuted
