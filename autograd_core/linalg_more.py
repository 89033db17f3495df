"""The rest of ``torch.linalg``'s real functions: ``cross``, ``vecdot``, ``matmul``, ``tensorinv``,
``tensorsolve``, and ``solve_ex`` / ``lu_factor_ex``, which report a singular matrix in ``info`` instead of raising. All
are compositions of differentiable ops. ``eig`` / ``eigvals`` refuse: a real matrix's eigenvalues can be
complex, and this engine has no complex dtype (``eigh`` / ``eigvalsh`` serve symmetric matrices).

>>> ag.linalg.cross(Tensor([1.0, 0.0, 0.0]), Tensor([0.0, 1.0, 0.0]))
Tensor([0., 0., 1.])
"""

from __future__ import annotations

import math
import numbers
from typing import Any, NamedTuple

import numpy as np

from .functions import as_tensor, where
from .functions import matmul as _matmul
from .linalg_lu import LuFactorResult, lu_factor
from .linalg_matrix import _matrices, inv, solve
from .primitives.matrix_functions import lu_array
from .tensor import Tensor
from .types import TensorLike


def _dim(op: str, x: Tensor, dim: int) -> int:
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral) or not -x.ndim <= dim < x.ndim:
        raise ValueError(
            f"linalg.{op}: dim must be an int in [{-x.ndim}, {x.ndim - 1}] for shape {x.shape}, got {dim!r}"
        )
    return int(dim)


def cross(input: TensorLike, other: TensorLike, *, dim: int = -1) -> Tensor:
    """The cross product of 3-vectors along ``dim`` (the batch axes broadcast), as ``torch.linalg.cross``.

    >>> cross(Tensor([[0.0, 0.0, 2.0]]), Tensor([1.0, 0.0, 0.0]))
    Tensor([[0., 2., 0.]])
    """
    a, b = as_tensor(input), as_tensor(other)
    if a.ndim != b.ndim:  # torch broadcasts the batch axes; line them up from the right first
        a, b = (a.reshape((1,) * (b.ndim - a.ndim) + a.shape), b.reshape((1,) * (a.ndim - b.ndim) + b.shape))
    d = _dim("cross", a, dim)
    if a.shape[d] != 3 or b.shape[d] != 3:
        raise ValueError(
            f"linalg.cross: dim {dim} must have size 3 in both, got shapes {a.shape} and {b.shape}; pass dim= the "
            "axis that holds the 3 coordinates"
        )
    return a.cross(b, dim=d)


def vecdot(x: TensorLike, y: TensorLike, *, dim: int = -1) -> Tensor:
    """The dot product of vectors along ``dim`` (the rest broadcast), as ``torch.linalg.vecdot``.

    >>> vecdot(Tensor([[1.0, 2.0], [3.0, 4.0]]), Tensor([1.0, 1.0]))
    Tensor([3., 7.])
    """
    a, b = as_tensor(x), as_tensor(y)
    d_a, d_b = _dim("vecdot", a, dim), _dim("vecdot", b, dim)
    if a.shape[d_a] != b.shape[d_b]:
        raise ValueError(
            f"linalg.vecdot: the vectors along dim {dim} must have one length, got shapes {a.shape} and {b.shape}"
        )
    return (a * b).sum(dim)


def tensorinv(A: TensorLike, ind: int = 2) -> Tensor:
    """The inverse of A read as a linear map from its last axes to its first ``ind`` ones, as
    ``torch.linalg.tensorinv``: ``tensordot(tensorinv(A), A, ind)`` is the identity on A.shape[ind:]. The two
    products of sizes must match.

    >>> tensorinv(ag.eye(4).reshape(4, 2, 2), ind=1).shape
    (2, 2, 4)
    """
    x = as_tensor(A)
    if isinstance(ind, bool) or not isinstance(ind, numbers.Integral) or not 0 < ind < max(x.ndim, 1):
        raise ValueError(f"linalg.tensorinv: ind must be an int in [1, {x.ndim - 1}] for shape {x.shape}, got {ind!r}")
    rows, cols = math.prod(x.shape[:ind]), math.prod(x.shape[ind:])
    if rows != cols:
        raise ValueError(
            f"linalg.tensorinv: the sizes before and after ind={ind} must have equal products, got {x.shape} "
            f"({rows} vs {cols}); choose ind so that prod(shape[:ind]) == prod(shape[ind:])"
        )
    return inv(x.reshape(rows, cols)).reshape(x.shape[ind:] + x.shape[:ind])


def tensorsolve(A: TensorLike, B: TensorLike, dims: tuple[int, ...] | list[int] | None = None) -> Tensor:
    """X with ``tensordot(A, X, X.ndim) == B``, as ``torch.linalg.tensorsolve``: X has shape A.shape[B.ndim:];
    ``dims`` first moves those axes of A to the end.

    >>> tensorsolve(2 * ag.eye(6).reshape(2, 3, 6), ag.ones(2, 3)).shape
    (6,)
    """
    a, b = as_tensor(A), as_tensor(B)
    if dims is not None:
        moved = [int(d) % a.ndim for d in dims]
        a = a.permute(*[d for d in range(a.ndim) if d not in moved], *moved)
    if a.shape[: b.ndim] != b.shape:
        raise ValueError(f"linalg.tensorsolve: A's leading axes {a.shape} must be B's shape {b.shape}")
    solution_shape = a.shape[b.ndim :]
    rows, cols = math.prod(b.shape), math.prod(solution_shape)
    if rows != cols:
        raise ValueError(
            f"linalg.tensorsolve: A of shape {a.shape} maps {cols} unknowns to {rows} equations; they must be equal"
        )
    return solve(a.reshape(rows, cols), b.reshape(rows)).reshape(solution_shape)


def matmul(input: TensorLike, other: TensorLike) -> Tensor:
    """The matrix product, as ``torch.linalg.matmul`` (``ag.matmul``, ``@``).

    >>> ag.linalg.matmul(Tensor([[1.0, 2.0]]), Tensor([[3.0], [4.0]]))
    Tensor([[11.]])
    """
    return _matmul(input, other)


class SolveExResult(NamedTuple):
    """``solve_ex``'s (result, info)."""

    result: Tensor
    info: Tensor


class LuFactorExResult(NamedTuple):
    """``lu_factor_ex``'s (LU, pivots, info)."""

    LU: Tensor
    pivots: Tensor
    info: Tensor


def _info(op: str, x: Tensor, check_errors: bool) -> np.ndarray:
    """LU's info per matrix: 0, or the 1-based index of the first zero pivot; with ``check_errors`` that raises."""
    info = np.asarray(lu_array(x.data)[2], np.int32)
    if check_errors and np.any(info):
        raise ValueError(
            f"linalg.{op}: matrix {np.argwhere(info.reshape(-1)).ravel().tolist()} of the batch is singular (U has a "
            f"zero pivot at {info[info > 0].tolist()}); read info with check_errors=False, or use linalg.lstsq"
        )
    return info


def solve_ex(A: TensorLike, B: TensorLike, *, left: bool = True, check_errors: bool = False) -> SolveExResult:
    """(X, info) with A X = B (``left=False``: X A = B), as ``torch.linalg.solve_ex``: ``info`` (int32) is 0
    where A is invertible and else the 1-based index of the zero pivot, its X NaN (read ``info``, not the
    values). ``check_errors=True`` raises instead.

    >>> solve_ex(Tensor([[2.0, 0.0], [0.0, 4.0]]), Tensor([2.0, 4.0]))
    SolveExResult(result=Tensor([1., 1.]), info=Tensor(0, dtype=int32))
    """
    x = _matrices("solve_ex", A)
    info = _info("solve_ex", x, check_errors)
    if not np.any(info):
        return SolveExResult(solve(x, B, left=left), Tensor(info))
    singular = (info > 0)[..., None, None]
    result = solve(where(singular, np.eye(x.shape[-1], dtype=x.dtype), x), B, left=left)
    vector = result.ndim == x.ndim - 1
    return SolveExResult(where(singular[..., 0] if vector else singular, np.nan, result), Tensor(info))


def lu_factor_ex(A: TensorLike, *, pivot: bool = True, check_errors: bool = False) -> LuFactorExResult:
    """(LU, pivots, info), as ``torch.linalg.lu_factor_ex``: ``lu_factor``'s packed LU and 1-based pivots, and
    ``info`` (int32) the 1-based index of U's first zero pivot (0: none). ``check_errors=True`` raises there.

    >>> lu_factor_ex(Tensor([[1.0, 2.0], [2.0, 4.0]])).info
    Tensor(2, dtype=int32)
    """
    x = _matrices("lu_factor_ex", A, square=False)
    info = _info("lu_factor_ex", x, check_errors)
    factored: LuFactorResult = lu_factor(x, pivot=pivot)
    return LuFactorExResult(factored.LU, factored.pivots, Tensor(info))


def _no_complex(op: str) -> TypeError:
    return TypeError(
        f"linalg.{op}: a real matrix's eigenvalues can be complex, and this engine has no complex dtype; for a "
        "symmetric matrix use ag.linalg.eigh (ag.linalg.eigvalsh for the values alone), for magnitudes "
        "ag.linalg.svdvals"
    )


def eig(A: TensorLike) -> Any:
    """Refuses (see ``_no_complex``): torch returns complex tensors, which this engine lacks.

    >>> eig(Tensor([[0.0, 1.0], [-1.0, 0.0]]))
    Traceback (most recent call last):
    TypeError: linalg.eig: a real matrix's eigenvalues can be complex, ...
    """
    raise _no_complex("eig")


def eigvals(A: TensorLike) -> Any:
    """Refuses as ``eig`` does.

    >>> eigvals(Tensor([[0.0, 1.0], [-1.0, 0.0]]))
    Traceback (most recent call last):
    TypeError: linalg.eigvals: a real matrix's eigenvalues can be complex, ...
    """
    raise _no_complex("eigvals")
