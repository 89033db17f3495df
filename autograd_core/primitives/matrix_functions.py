"""Matrix functions with a derivative of their own: the exponential (``MatrixExp``) and the pseudo-inverse (``Pinv``).

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
