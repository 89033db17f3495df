"""``torch.linalg``'s norms: ``vector_norm`` (any ord, over ``ag.norm``'s formula and its gradient at 0),
``matrix_norm`` (Frobenius, nuclear, spectral 2 / -2, max column sum 1 / -1, max row sum inf / -inf), ``norm``
(torch.linalg.norm's dispatch between the two) and ``cond``. All differentiable, composed from Tensor ops.

At the kinks the house rule holds, and it is torch's answer where torch's is defined: a tie between the largest
singular values (``ord=2`` of 2 I) splits the gradient evenly, (1/k) U_k V_k^T (torch's amax does the same); a
zero singular value contributes no gradient (as abs'(0) = 0), so the nuclear norm of a singular matrix has the
gradient U_r V_r^T over its nonzero singular values. Torch adds u v^T for the zero ones, a pair whose sign is
whatever LAPACK returned; ours is the minimum-norm subgradient.

>>> matrix_norm(Tensor([[3.0, 0.0], [0.0, -4.0]]), ord="nuc")
Tensor(7.)
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .functions import as_tensor, where
from .functions import norm as _p_norm
from .linalg_matrix import _matrices, _svd, inv
from .tensor import Tensor
from .types import Axis, TensorLike

MATRIX_ORDS = ("fro", "nuc", 2, -2, 1, -1, math.inf, -math.inf)


def _float_tensor(op: str, x: TensorLike) -> Tensor:
    x = as_tensor(x)
    if x.dtype not in (np.float32, np.float64):
        raise TypeError(
            f"linalg.{op}: expects a float32 or float64 tensor, got {x.dtype} (shape {x.shape}); "
            "convert it first with t.double() or t.float()"
        )
    return x


def vector_norm(x: TensorLike, ord: float = 2, dim: Axis = None, keepdim: bool = False) -> Tensor:
    """The ``ord``-norm of ``x``'s elements over ``dim`` (all of them by default), as ``torch.linalg.vector_norm``:
    (sum |x|^ord)^(1/ord) for any real ord, inf the largest |x|, -inf the smallest, 0 the count of nonzeros
    (gradient 0). For ord < 0 a zero element makes the norm 0, with gradient 0 there, as torch's.

    >>> vector_norm(Tensor([[3.0, 0.0], [0.0, -4.0]])), vector_norm(Tensor([3.0, -4.0]), ord=-math.inf)
    (Tensor(5.), Tensor(3.))
    """
    x = _float_tensor("vector_norm", x)
    if isinstance(ord, bool) or not isinstance(ord, numbers.Real) or math.isnan(ord):
        raise ValueError(
            f"linalg.vector_norm: ord must be a real number (or math.inf, -math.inf), got {ord!r}; for a matrix "
            "norm ('fro', 'nuc', 2 of a matrix) use linalg.matrix_norm"
        )
    if ord > 0:
        return _p_norm(x, ord, dim, keepdim)
    magnitude = x.abs()
    if ord == 0:  # the count of nonzeros: piecewise constant, so its gradient is 0
        flat = where(np.ones(x.shape, bool), 0.0, magnitude)  # 0 with a zero gradient (0 * inf would be NaN)
        return flat.sum(dim=dim, keepdim=keepdim) + Tensor(
            (x.data != 0).sum(axis=_axes(dim), keepdims=keepdim).astype(x.dtype)
        )
    if ord == -math.inf:
        return magnitude.amin(dim=dim, keepdim=keepdim)
    # ord < 0: a zero anywhere makes the sum infinite and the norm 0; power 1 instead of 0, then zeroed
    zero = np.asarray(x.data == 0)
    total = ((magnitude + zero.astype(x.dtype)) ** ord).sum(dim=dim, keepdim=keepdim)
    has_zero = zero.any(axis=_axes(dim), keepdims=keepdim)
    return total ** (1.0 / ord) * (~has_zero).astype(x.dtype)


def _axes(dim: Axis) -> int | tuple[int, ...] | None:
    return dim if dim is None or isinstance(dim, int) else tuple(dim)


def _singular_value_norm(s: Tensor, rows: int, cols: int, which: str) -> Tensor:
    """The nuclear (sum), spectral (largest) or smallest singular value of s (..., k), with the kink rule: ties
    at the extreme share its gradient evenly, and a zero singular value gets none."""
    values = s.data
    k = values.shape[-1]
    if k == 0:
        return s.sum(-1)
    top = values[..., :1]
    tolerance = max(rows, cols) * np.finfo(values.dtype).eps * top  # matrix_rank's default: below it is 0
    nonzero = values > tolerance
    if which == "nuc":
        weights = nonzero.astype(values.dtype)
        exact = values.sum(-1)
    else:
        extreme = top if which == "max" else values[..., -1:]
        tied = np.abs(values - extreme) <= tolerance
        weights = (tied & nonzero) / np.maximum(tied.sum(-1, keepdims=True), 1)
        exact = extreme[..., 0]
    weighted = (s * weights).sum(-1)
    return weighted + Tensor(exact - weighted.data)  # the exact value; the gradient through the weights


def matrix_norm(
    A: TensorLike, ord: float | str = "fro", dim: tuple[int, int] = (-2, -1), keepdim: bool = False
) -> Tensor:
    """The ``ord`` norm of each matrix over the two axes ``dim``, as ``torch.linalg.matrix_norm``: 'fro'
    (sqrt of the sum of squares), 'nuc' (sum of singular values), 2 / -2 (largest / smallest singular value),
    1 / -1 (max / min absolute column sum), inf / -inf (max / min absolute row sum).

    >>> A = Tensor([[1.0, -2.0], [3.0, 4.0]])
    >>> matrix_norm(A, ord=1), matrix_norm(A, ord=math.inf), round(matrix_norm(A, 2).item(), 6)
    (Tensor(6.), Tensor(7.), 5.116673)
    """
    x = _float_tensor("matrix_norm", A)
    if not any(ord == allowed and type(ord) is not bool for allowed in MATRIX_ORDS):
        raise ValueError(
            f"linalg.matrix_norm: ord={ord!r} is not a matrix norm; use one of 'fro', 'nuc', 2, -2, 1, -1, "
            "math.inf, -math.inf (for another p, linalg.vector_norm(A, p, dim=(-2, -1)))"
        )
    if x.ndim < 2:
        raise ValueError(
            f"linalg.matrix_norm: expects a tensor of at least 2 axes, got shape {x.shape}; for a vector use "
            "linalg.vector_norm"
        )
    dims = tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
    rows, cols = (d % x.ndim if isinstance(d, int) and -x.ndim <= d < x.ndim else None for d in (*dims, 0, 0)[:2])
    if len(dims) != 2 or rows is None or cols is None or rows == cols:
        raise ValueError(f"linalg.matrix_norm: dim must be two distinct axes of shape {x.shape}, got {dim!r}")
    if ord == "fro":
        return _p_norm(x, 2, (rows, cols), keepdim)
    batch = [axis for axis in range(x.ndim) if axis not in (rows, cols)]
    matrices = x.permute(*batch, rows, cols)  # the two norm axes last, as the matrix functions want them
    if ord in (1, -1, math.inf, -math.inf):
        sums = matrices.abs().sum(-2 if ord in (1, -1) else -1)  # column sums (1) or row sums (inf)
        result = sums.amax(-1) if ord > 0 else sums.amin(-1)
    else:
        m, n = matrices.shape[-2:]
        s = _svd(_matrices("matrix_norm", matrices, square=False), full_matrices=False).S
        result = _singular_value_norm(s, m, n, "nuc" if ord == "nuc" else "max" if ord == 2 else "min")
    if keepdim:  # size-1 axes where the two norm axes were
        result = result.unsqueeze(min(rows, cols)).unsqueeze(max(rows, cols))
    return result


def norm(x: TensorLike, ord: float | str | None = None, dim: Axis = None, keepdim: bool = False) -> Tensor:
    """``torch.linalg.norm``'s dispatch: an int ``dim`` (or a 1-d ``x``) gives ``vector_norm``, two ``dim``
    (or a 2-d ``x``) ``matrix_norm``; with ``ord`` and ``dim`` both None, the 2-norm of all elements.

    >>> norm(Tensor([3.0, -4.0]), ord=1), norm(Tensor([[3.0, 0.0], [0.0, 4.0]]), ord=2)
    (Tensor(7.), Tensor(4.))
    """
    x = _float_tensor("norm", x)
    if dim is None and ord is None:
        return _p_norm(x, 2, None, keepdim)
    dims = (dim,) if isinstance(dim, int) else tuple(dim) if dim is not None else None
    if dims is None and x.ndim not in (1, 2):
        raise ValueError(
            f"linalg.norm: with ord={ord!r} and dim=None the input must be 1-d or 2-d, got shape {x.shape}; "
            "give dim (one axis: a vector norm, two: a matrix norm)"
        )
    if (dims is not None and len(dims) == 1) or (dims is None and x.ndim == 1):
        if isinstance(ord, str):
            raise ValueError(
                f"linalg.norm: ord={ord!r} is a matrix norm but the norm is over one axis (shape {x.shape}, "
                f"dim={dim!r}); give two dims, or a numeric ord for a vector norm"
            )
        return vector_norm(x, 2 if ord is None else ord, dim, keepdim)
    if dims is not None and len(dims) != 2:
        raise ValueError(f"linalg.norm: dim must be one axis or two, got {dim!r}; for more use linalg.vector_norm")
    return matrix_norm(x, "fro" if ord is None else ord, dims if dims is not None else (-2, -1), keepdim)


def cond(A: TensorLike, p: float | str | None = None) -> Tensor:
    """The condition number of each matrix in the ``p`` norm, as ``torch.linalg.cond``: for p None or 2,
    s_max / s_min (any (m, n) shape; inf for a singular matrix), for -2 its inverse; for the other matrix
    norms ||A|| ||A^-1|| of square matrices (inf where A is singular, as torch).

    >>> cond(Tensor([[2.0, 0.0], [0.0, 0.5]])), cond(Tensor([[2.0, 0.0], [0.0, 0.5]]), p=1)
    (Tensor(4.), Tensor(4.))
    """
    x = _float_tensor("cond", A)
    if p is not None and not any(p == allowed and type(p) is not bool for allowed in MATRIX_ORDS):
        raise ValueError(
            f"linalg.cond: p={p!r} is not supported; use None, 'fro', 'nuc', 2, -2, 1, -1, math.inf or -math.inf"
        )
    if p in (None, 2, -2):
        s = _svd(_matrices("cond", x, square=False), full_matrices=False).S
        with np.errstate(divide="ignore"):
            ratio = s[..., 0] / s[..., -1] if p != -2 else s[..., -1] / s[..., 0]
        return ratio
    x = _matrices("cond", x)
    singular = np.linalg.matrix_rank(x.data) < x.shape[-1] if x.shape[-1] else np.zeros(x.shape[:-2], bool)
    if not np.any(singular):
        return matrix_norm(x, p) * matrix_norm(inv(x), p)
    safe = where(singular[..., None, None], np.eye(x.shape[-1], dtype=x.dtype), x)
    return where(singular, np.inf, matrix_norm(safe, p) * matrix_norm(inv(safe), p))
