"""``np.linalg``'s functions on Tensors run ``ag.linalg``'s differentiable ones, with numpy's signatures: HIPS
autograd's users (and its examples: a Gaussian process's ``np.linalg.solve`` and ``slogdet``) write
``np.linalg.inv(K)``, which returned nothing but a refusal before. ``numpy_interop.array_function`` reads this
table; integer input is made float64 first, as numpy does. (``np.linalg.eig``, whose values may be complex, stays
refused by name.)

>>> K = Tensor([[2.0, 1.0], [1.0, 2.0]], requires_grad=True)
>>> np.linalg.slogdet(K).logabsdet.backward()  # d log|det K| / dK = K^-T
>>> K.grad.round(6).tolist()
[[0.666667, -0.333333], [-0.333333, 0.666667]]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import linalg
from .functions import as_tensor
from .tensor import Tensor


def _floating(x: Any) -> Tensor:
    """x as a Tensor, integers and booleans made float64 (numpy's linalg computes in float64 for them)."""
    x = as_tensor(x)
    return x if x.dtype in (np.float32, np.float64) else x.double()


def _norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Tensor:
    return linalg.norm(_floating(x), ord, axis, keepdims)


def _svd(a: Any, full_matrices: bool = True, compute_uv: bool = True, hermitian: bool = False) -> Any:
    return linalg.svd(_floating(a), full_matrices) if compute_uv else linalg.svdvals(_floating(a))


def _qr(a: Any, mode: str = "reduced") -> Any:
    result = linalg.qr(_floating(a), mode)
    return result.R if mode == "r" else result  # numpy's mode 'r' returns R alone


def _lstsq(a: Any, b: Any, rcond: float | None = None) -> tuple[Tensor, Tensor, int, Tensor]:
    """numpy's (x, residuals, rank, s): residuals empty unless A is tall and of full rank, as gelsd's."""
    solution, residuals, rank, values = linalg.lstsq(_floating(a), _floating(b), rcond, driver="gelsd")
    return solution, residuals, int(rank.item()), values


FUNCTIONS: dict[Callable[..., Any], Callable[..., Any]] = {
    np.linalg.norm: _norm,
    np.linalg.matrix_norm: lambda x, /, *, keepdims=False, ord="fro": linalg.matrix_norm(
        _floating(x), ord, keepdim=keepdims
    ),
    np.linalg.vector_norm: lambda x, /, *, axis=None, keepdims=False, ord=2: linalg.vector_norm(
        _floating(x), ord, axis, keepdims
    ),
    np.linalg.inv: lambda a: linalg.inv(_floating(a)),
    np.linalg.det: lambda a: linalg.det(_floating(a)),
    np.linalg.slogdet: lambda a: linalg.slogdet(_floating(a)),
    np.linalg.solve: lambda a, b: linalg.solve(_floating(a), _floating(b)),
    np.linalg.cholesky: lambda a, /, *, upper=False: linalg.cholesky(_floating(a), upper=upper),
    np.linalg.eigh: lambda a, UPLO="L": linalg.eigh(_floating(a), UPLO),
    np.linalg.eigvalsh: lambda a, UPLO="L": linalg.eigvalsh(_floating(a), UPLO),
    np.linalg.svd: _svd,
    np.linalg.svdvals: lambda x, /: linalg.svdvals(_floating(x)),
    np.linalg.qr: _qr,
    np.linalg.pinv: lambda a, rcond=None, hermitian=False, *, rtol=None: linalg.pinv(
        _floating(a), rcond, hermitian, rtol=rtol
    ),
    np.linalg.matrix_power: lambda a, n: linalg.matrix_power(_floating(a), n),
    np.linalg.matrix_rank: lambda A, tol=None, hermitian=False, *, rtol=None: linalg.matrix_rank(
        _floating(A), tol, hermitian, rtol=rtol
    ),
    np.linalg.multi_dot: lambda arrays, *, out=None: linalg.multi_dot([_floating(a) for a in arrays]),
    np.linalg.cond: lambda x, p=None: linalg.cond(_floating(x), p),
    np.linalg.lstsq: _lstsq,
    np.linalg.diagonal: lambda x, /, *, offset=0: linalg.diagonal(as_tensor(x), offset=offset),
}
