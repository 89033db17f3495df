"""``torch.linalg``'s least-squares and rank functions: ``pinv``, ``lstsq``, ``matrix_rank`` and
``solve_triangular``. ``pinv`` is one primitive (``primitives/matrix_functions.py``, its gradient Golub and
Pereyra's); ``lstsq``'s solution is pinv(A) B, so its gradient is torch's; ``solve_triangular`` reads one
triangle of A (the gradient lands there only) and solves with it.

>>> A = Tensor([[1.0, 0.0], [0.0, 2.0], [0.0, 0.0]])
>>> lstsq(A, Tensor([[1.0], [4.0], [5.0]])).solution  # the component along e_3 cannot be matched
Tensor([[1.],
        [2.]])
"""

from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np

from .functions import as_tensor
from .linalg_matrix import _matrices
from .primitives import Solve
from .primitives.matrix_functions import Pinv
from .tensor import Tensor
from .types import TensorLike


class LstsqResult(NamedTuple):
    """``lstsq``'s (solution, residuals, rank, singular_values), as ``torch.linalg.lstsq``'s named tuple."""

    solution: Tensor
    residuals: Tensor
    rank: Tensor
    singular_values: Tensor


def _tolerances(op: str, x: Tensor, atol: float | None, rtol: float | None) -> tuple[float, float]:
    """torch's rule: both None gives rtol = eps * max(m, n); atol alone, rtol = 0."""
    for name, value in (("atol", atol), ("rtol", rtol)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Real) or value < 0):
            raise ValueError(f"linalg.{op}: {name} must be a number >= 0 (or None), got {value!r}")
    if rtol is None:
        rtol = max(x.shape[-2:]) * float(np.finfo(x.dtype).eps) if atol is None or atol == 0 else 0.0
    return (0.0 if atol is None else float(atol)), float(rtol)


def pinv(
    A: TensorLike,
    rcond: float | None = None,
    hermitian: bool = False,
    *,
    atol: float | None = None,
    rtol: float | None = None,
) -> Tensor:
    """The Moore-Penrose pseudo-inverse of each (..., m, n) matrix, as ``torch.linalg.pinv``: singular values
    at or below max(atol, rtol * s_max) count as 0 (rtol defaults to eps * max(m, n); ``rcond`` is torch's
    older name for rtol). ``hermitian=True`` reads A's lower triangle and uses eigh. Differentiable where the
    rank does not change (Golub & Pereyra's formula, as torch).

    >>> pinv(Tensor([[1.0, 0.0], [0.0, 0.0]]))  # the zero singular value is left at 0, not inverted
    Tensor([[1., 0.],
            [0., 0.]])
    """
    x = _matrices("pinv", A, square=hermitian)
    if rcond is not None:
        if rtol is not None:
            raise ValueError("linalg.pinv: give rcond or rtol, not both (rcond is torch's older name for rtol)")
        rtol = rcond
    atol_value, rtol_value = _tolerances("pinv", x, atol, rtol)
    return Tensor.apply(Pinv, x, rtol=rtol_value, atol=atol_value, hermitian=bool(hermitian))


def pinverse(input: TensorLike, rcond: float = 1e-15) -> Tensor:
    """``torch.pinverse``: ``pinv`` with a relative cutoff ``rcond`` (default 1e-15, torch's).

    >>> pinverse(Tensor([[2.0, 0.0]]))
    Tensor([[0.5],
            [0. ]])
    """
    return pinv(input, rtol=rcond)


def matrix_rank(
    A: TensorLike,
    tol: float | None = None,
    hermitian: bool = False,
    *,
    atol: float | None = None,
    rtol: float | None = None,
) -> Tensor:
    """The number of singular values above max(atol, rtol * s_max) of each matrix (an int64 tensor, no
    gradient), as ``torch.linalg.matrix_rank``; ``tol`` is torch's older name for atol.

    >>> matrix_rank(Tensor([[1.0, 2.0], [2.0, 4.0]])), matrix_rank(Tensor([[1.0, 0.0], [0.0, 1e-3]]), atol=0.01)
    (Tensor(1, dtype=int64), Tensor(1, dtype=int64))
    """
    x = _matrices("matrix_rank", A, square=hermitian)
    if tol is not None:
        if atol is not None:
            raise ValueError("linalg.matrix_rank: give tol or atol, not both (tol is torch's older name for atol)")
        atol = tol
    atol_value, rtol_value = _tolerances("matrix_rank", x, atol, rtol)
    values = np.abs(np.linalg.eigvalsh(x.data)) if hermitian else np.linalg.svd(x.data, compute_uv=False)
    cutoff = np.maximum(atol_value, rtol_value * values.max(axis=-1, keepdims=True, initial=0.0))
    return Tensor((values > cutoff).sum(axis=-1).astype(np.int64))


def lstsq(A: TensorLike, B: TensorLike, rcond: float | None = None, *, driver: str | None = None) -> LstsqResult:
    """The least-squares solution X minimising ||A X - B|| (the one of least norm if A is rank-deficient), as
    ``torch.linalg.lstsq``: A (..., m, n), B (..., m, k) or a vector batch (..., m); batch axes broadcast.
    Singular values below ``rcond`` * s_max (default eps * max(m, n)) count as 0. The gradient flows through
    ``solution`` (it is pinv(A) B, as torch differentiates it). The other fields follow the ``driver``, as on
    torch's CPU: ``rank`` for every driver but 'gels'; ``singular_values`` for 'gelsd' and 'gelss'; the squared
    ``residuals`` per column for all but 'gelsy' (the default) when m > n and A has full rank; the rest empty.

    >>> A = Tensor([[1.0, 1.0], [1.0, 2.0], [1.0, 3.0]])  # a line through (1, 1), (2, 2), (3, 2)
    >>> fit = lstsq(A, Tensor([1.0, 2.0, 2.0]), driver="gelsd")
    >>> fit.solution.round(decimals=4), fit.residuals.round(decimals=4), fit.rank
    (Tensor([0.6667, 0.5   ]), Tensor([0.1667]), Tensor(2, dtype=int64))
    """
    drivers = ("gels", "gelsy", "gelsd", "gelss")
    if driver is not None and driver not in drivers:
        raise ValueError(f"linalg.lstsq: driver must be one of {drivers} or None, got {driver!r}")
    driver = driver or "gelsy"
    a, b = _matrices("lstsq", A, square=False), as_tensor(B)
    if b.dtype != a.dtype:
        raise TypeError(f"linalg.lstsq: A is {a.dtype} and B is {b.dtype}; convert B with B.to(A.dtype)")
    m, n = a.shape[-2:]
    vector = b.ndim == a.ndim - 1
    rows = b.shape[-1] if vector else b.shape[-2] if b.ndim >= 2 else None
    if rows != m:
        raise ValueError(
            f"linalg.lstsq: B of shape {b.shape} does not fit A of shape {a.shape}: B must be (..., {m}, k) "
            f"or, one fewer axis than A, (..., {m})"
        )
    matrix_b = b[..., None] if vector else b
    solution = pinv(a, rtol=rcond) @ matrix_b
    values = np.linalg.svd(a.data, compute_uv=False)
    tolerance = (max(m, n) * np.finfo(a.dtype).eps if rcond is None else rcond) * values[..., :1]
    ranks = (values > tolerance).sum(-1)
    empty = Tensor(np.empty((0,), a.dtype))
    rank = Tensor(ranks.astype(np.int64)) if driver != "gels" else Tensor(np.empty((0,), np.int64))
    singular_values = Tensor(values) if driver in ("gelsd", "gelss") else empty
    residuals = empty
    if driver != "gelsy" and m > n and np.all(ranks == n):
        residuals = ((a @ solution - matrix_b) ** 2).sum(-2)
    return LstsqResult(solution[..., 0] if vector else solution, residuals, rank, singular_values)


def _triangle(a: Tensor, upper: bool, unitriangular: bool) -> Tensor:
    """The triangle of A that a triangular solve reads (times a 0/1 mask, so its gradient stays there), with 1s
    on the diagonal for ``unitriangular`` (the diagonal is not read)."""
    n = a.shape[-1]
    mask = np.triu(np.ones((n, n), a.dtype), 1 if unitriangular else 0)
    mask = mask if upper else mask.T
    return a * mask + np.eye(n, dtype=a.dtype) if unitriangular else a * mask


def solve_triangular(
    A: TensorLike, B: TensorLike, *, upper: bool, left: bool = True, unitriangular: bool = False
) -> Tensor:
    """X with A X = B (``left=False``: X A = B) for triangular A (..., n, n), as ``torch.linalg.solve_triangular``:
    only the ``upper`` (or lower) triangle of A is read, and with ``unitriangular`` not its diagonal either (taken
    as 1s); the gradient for A lands on that triangle only. B is (..., n, k) (left) or (..., k, n); batch axes
    broadcast. A zero on the diagonal is refused, saying so.

    >>> solve_triangular(Tensor([[2.0, 1.0], [0.0, 4.0]]), Tensor([[3.0], [4.0]]), upper=True)
    Tensor([[1.],
            [1.]])
    """
    a, b = _matrices("solve_triangular", A), _matrices("solve_triangular", B, square=False)
    if not isinstance(upper, bool):
        raise TypeError(f"linalg.solve_triangular: upper must be True or False (keyword), got {upper!r}")
    n = a.shape[-1]
    if (b.shape[-2] if left else b.shape[-1]) != n:
        want = f"(..., {n}, k)" if left else f"(..., k, {n})"
        raise ValueError(
            f"linalg.solve_triangular: B of shape {b.shape} does not fit A of shape {a.shape} with left={left}: "
            f"B must be {want}"
        )
    triangle = _triangle(a, upper, unitriangular)
    if not unitriangular and np.any(np.diagonal(a.data, axis1=-2, axis2=-1) == 0):
        raise ValueError(
            "linalg.solve_triangular: a zero on A's diagonal makes it singular (no solution, or infinitely "
            "many); check A, or use linalg.lstsq for a least-squares answer"
        )
    if left:
        return Tensor.apply(Solve, triangle, b)
    return Tensor.apply(Solve, triangle.mT, b.mT).mT  # X A = B  <=>  A^T X^T = B^T
