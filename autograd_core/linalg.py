"""``torch.linalg``: the matrix functions (det, slogdet, inv, solve, cholesky, qr, eigh, eigvalsh, svd, svdvals, from
``linalg_matrix.py``), the norms (vector_norm, matrix_norm, norm, cond: ``linalg_norms.py``), least squares and rank
(pinv, lstsq, matrix_rank, solve_triangular: ``linalg_solvers.py``), products (matrix_power, matrix_exp,
multi_dot, vander, diagonal: ``linalg_products.py``) and the LU family with the ``_ex`` variants that report
instead of raising (lu_factor, lu_solve, lu, inv_ex, cholesky_ex: ``linalg_lu.py``; lu_factor_ex, solve_ex with
cross, vecdot, matmul, tensorinv, tensorsolve: ``linalg_more.py``; householder_product:
``linalg_householder.py``), the symmetric indefinite
LDL factorisation (ldl_factor, ldl_factor_ex, ldl_solve: ``linalg_ldl.py``), as Raschka's chapter 12
writes ``torch.linalg.norm(t1, ord=2, dim=1)``. ``ag.renorm`` (``torch.renorm``, max-norm regularisation's
rescaling) lives here too, on the same norm.

>>> from autograd_core import linalg
>>> linalg.norm(Tensor([[3.0, 4.0], [6.0, 8.0]]), ord=2, dim=1)
Tensor([ 5., 10.])
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .functions import as_tensor, where
from .functions import norm as _p_norm
from .linalg_householder import householder_product  # noqa: F401
from .linalg_ldl import LdlFactorExResult, LdlFactorResult, ldl_factor, ldl_factor_ex, ldl_solve  # noqa: F401
from .linalg_lu import (  # noqa: F401 (re-exported: ag.linalg.lu_factor, ...)
    CholeskyExResult,
    InvExResult,
    LuFactorResult,
    LuResult,
    cholesky_ex,
    inv_ex,
    lu,
    lu_factor,
    lu_solve,
)
from .linalg_matrix import (  # noqa: F401 (re-exported: ag.linalg.det, ...)
    EighResult,
    QrResult,
    SlogdetResult,
    SvdResult,
    cholesky,
    det,
    eigh,
    eigvalsh,
    inv,
    qr,
    slogdet,
    solve,
    svd,
    svdvals,
)
from .linalg_more import (  # noqa: F401 (re-exported: ag.linalg.cross, ...)
    LuFactorExResult,
    SolveExResult,
    cross,
    eig,
    eigvals,
    lu_factor_ex,
    matmul,
    solve_ex,
    tensorinv,
    tensorsolve,
    vecdot,
)
from .linalg_norms import cond, matrix_norm, norm, vector_norm  # noqa: F401
from .linalg_products import diagonal, matrix_exp, matrix_power, multi_dot, vander  # noqa: F401
from .linalg_solvers import LstsqResult, lstsq, matrix_rank, pinv, solve_triangular  # noqa: F401
from .tensor import Tensor
from .types import TensorLike

LinAlgError = np.linalg.LinAlgError  # torch.linalg.LinAlgError's name (here a ValueError, as numpy's)


def renorm(x: TensorLike, p: float, dim: int, maxnorm: float) -> Tensor:
    """Each slice ``x.select(dim, i)`` whose ``p``-norm exceeds ``maxnorm`` scaled down to norm ``maxnorm``
    (by maxnorm / (norm + 1e-7), torch's guard), the others unchanged, as ``torch.renorm``: max-norm
    regularisation of ``nn.Linear``'s (out, in) weight, each unit's incoming weights a row, is
    ``w.renorm_(2, 0, max_norm)`` under ``no_grad`` after each step. Differentiable (the norm too).

    >>> ag.renorm(Tensor([[3.0, 4.0], [0.3, 0.4]]), p=2, dim=0, maxnorm=1.0)       # rows of norm 5 and 0.5
    Tensor([[0.6, 0.8],
            [0.3, 0.4]])
    """
    x = as_tensor(x)
    if x.ndim < 2:
        raise ValueError(
            f"renorm: needs a tensor of at least 2 axes (slices along dim to rescale), got shape {x.shape}; for a "
            "vector v use v * min(1, maxnorm / v.norm())"
        )
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral) or not -x.ndim <= dim < x.ndim:
        raise ValueError(f"renorm: dim must be an int in [{-x.ndim}, {x.ndim - 1}] for shape {x.shape}, got {dim!r}")
    for name, value, low in (("p", p, "> 0 (or math.inf)"), ("maxnorm", maxnorm, ">= 0 (finite)")):
        bad = isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value)
        if bad or (value <= 0 if name == "p" else value < 0 or math.isinf(value)):
            raise ValueError(f"renorm: {name} must be a number {low}, got {value!r}")
    others = tuple(axis for axis in range(x.ndim) if axis != dim % x.ndim)
    norms = _p_norm(x, p, others, keepdim=True)
    # strictly above: a slice at exactly maxnorm keeps its values and its identity gradient, as torch's
    return x * where(norms.data > maxnorm, maxnorm / (norms + 1e-7), 1.0)
