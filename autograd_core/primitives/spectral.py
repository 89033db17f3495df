"""eigh and svd: decompositions with several outputs, each a primitive whose one output packs them.

A primitive has one output array, so ``Eigh`` returns (..., n + 1, n): row 0 the eigenvalues (ascending),
rows 1..n the eigenvectors as columns; ``Svd`` (the reduced, ``full_matrices=False`` one) returns
(..., m + 1 + n, k), k = min(m, n): U's m rows, then S, then V = Vh^T's n rows. ``ag.linalg.eigh`` and
``ag.linalg.svd`` slice the parts out (getitem nodes), so a loss that uses one part sends zeros to the others.

The vjps are Giles (2008), "An extended collection of matrix derivative results", 3.1 (eigenvalues of a
symmetric matrix) and 3.2 (SVD), as PyTorch's ``linalg_eig_backward`` and ``svd_backward`` write them. The
gradient through eigenvectors (or singular vectors) divides by the gaps w_j - w_i (s_j^2 - s_i^2): with a
repeated value it is undefined, and where PyTorch returns inf/NaN the vjp raises a ValueError saying so. The
eigen/singular values alone (``eigvalsh``, ``svdvals``) have a gradient everywhere: V diag(g) V^T.
"""

import numpy as np

from . import Primitive
from .linalg import _matrix_transpose


def _diag_embed(values, like):
    """values (..., n) on the diagonal of (..., n, n) matrices (arrays and Tensors)."""
    n = values.shape[-1]
    return values[..., :, None] * np.eye(n, dtype=np.asarray(like).dtype)


def _gaps(values):
    """E_ij = values_j - values_i, with 1 on the diagonal (a safe divisor there: the numerator is 0)."""
    n = values.shape[-1]
    return values[..., None, :] - values[..., :, None] + np.eye(n, dtype=np.asarray(values).dtype)


def _refuse_repeated(op, values, numerator, what):
    """Raise where a gap is 0 and the numerator over it is not: the vectors' gradient is undefined there."""
    gaps = np.asarray(_gaps(values))
    numerator = np.asarray(numerator)
    off_diagonal = ~np.eye(gaps.shape[-1], dtype=bool)
    bad = (gaps == 0) & off_diagonal & (numerator != 0)
    if bad.any():
        value = float(np.asarray(values)[np.nonzero(bad)[:-1]][0])
        raise ValueError(
            f"{op}: backward through the {what} is undefined for a repeated value ({value!r} occurs twice): "
            f"the vectors of a repeated value are any basis of their space. Use only the values "
            f"(ag.linalg.{'eigvalsh' if op == 'eigh' else 'svdvals'}), or perturb the matrix slightly"
        )


class Eigh(Primitive):
    """Eigenvalues w (ascending) and eigenvectors V of a symmetric (..., n, n), packed (..., n + 1, n): w in row 0,
    V below. Only the lower triangle is read. The vjp (Giles 2008, 3.1; PyTorch's form):
    dA = V (diag(gw) + skew(V^T gV) / E) V^T, skew(X) = (X - X^T) / 2, E_ij = w_j - w_i."""

    hint = "eigh needs square (..., n, n) symmetric matrices"

    @staticmethod
    def forward(x):
        values, vectors = np.linalg.eigh(x)
        return np.concatenate([values[..., None, :], vectors], axis=-2)

    @staticmethod
    def vjp(i, g, out, x):
        values, vectors = out[..., 0, :], out[..., 1:, :]
        grad_values, grad_vectors = g[..., 0, :], g[..., 1:, :]
        inner = _diag_embed(grad_values, out)
        if np.any(np.asarray(grad_vectors)):
            vt_gv = _matrix_transpose(vectors) @ grad_vectors
            skew = 0.5 * (vt_gv - _matrix_transpose(vt_gv))
            _refuse_repeated("eigh", values, skew, "eigenvectors")
            inner = inner + skew / _gaps(values)
        return vectors @ inner @ _matrix_transpose(vectors)


class Svd(Primitive):
    """The reduced SVD A = U diag(S) Vh of (..., m, n), packed (..., m + 1 + n, k), k = min(m, n): U, then S
    (descending), then V = Vh^T. The vjp is Giles (2008, 3.2) as PyTorch's ``svd_backward`` writes it: with
    skew(X) = X - X^T and E_ij = S_j^2 - S_i^2,
    dA = U [(skew(U^T gU) S + S skew(V^T gV)) / E + diag(gS)] V^T
         + (I - U U^T) gU S^-1 V^T (when m > n) + U S^-1 gV^T (I - V V^T) (when m < n)."""

    @staticmethod
    def forward(x):
        u, s, vh = np.linalg.svd(x, full_matrices=False)
        return np.concatenate([u, s[..., None, :], _matrix_transpose(vh)], axis=-2)

    @staticmethod
    def vjp(i, g, out, x):
        m, n = x.shape[-2], x.shape[-1]
        u, s, v = out[..., :m, :], out[..., m, :], out[..., m + 1 :, :]
        grad_u, grad_s, grad_v = g[..., :m, :], g[..., m, :], g[..., m + 1 :, :]
        vt = _matrix_transpose(v)
        inner = _diag_embed(grad_s, out)
        if np.any(np.asarray(grad_u)) or np.any(np.asarray(grad_v)):
            ut_gu = _matrix_transpose(u) @ grad_u
            vt_gv = vt @ grad_v
            skew_u = ut_gu - _matrix_transpose(ut_gu)
            skew_v = vt_gv - _matrix_transpose(vt_gv)
            numerator = skew_u * s[..., None, :] + s[..., :, None] * skew_v
            _refuse_repeated("svd", s * s, numerator, "singular vectors")
            inner = inner + numerator / _gaps(s * s)
            if m != n and not np.all(np.asarray(s)):
                raise ValueError(
                    f"svd: backward through U or Vh of a non-square ({m}, {n}) matrix divides by its singular "
                    "values, and one is 0; use only the values (ag.linalg.svdvals), or perturb the matrix slightly"
                )
            if m > n:  # U's columns span a subspace: the part of gU outside it, (I - U U^T) gU S^-1
                grad_u_over_s = grad_u / s[..., None, :]
                outside = grad_u_over_s - u @ (_matrix_transpose(u) @ grad_u_over_s)
                return (u @ inner + outside) @ vt
            if m < n:  # likewise for V: S^-1 gV^T (I - V V^T)
                gvt_over_s = _matrix_transpose(grad_v) / s[..., :, None]
                outside = gvt_over_s - (gvt_over_s @ v) @ vt
                return u @ (inner @ vt + outside)
        return u @ inner @ vt
