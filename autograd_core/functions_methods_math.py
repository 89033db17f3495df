"""``torch.f(x, ...)`` for the Tensor methods of ``tensor_inplace_forms.py`` and ``tensor_linalg_methods.py``
that torch also has at top level: each is ``as_tensor(x).f(...)``, so the method is the one place its knowledge
lives. ``ag`` gathers them through ``functions_idioms``' star import.

>>> ag.greater(Tensor([1.0, 3.0]), 2.0).tolist()
[False, True]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .functions import as_tensor
from .linalg_lu import LuResult, _unpack
from .linalg_matrix import QrResult
from .primitives.matrix_functions import permutation_from_pivots
from .tensor import Tensor
from .tensor_linalg_methods import SvdUSVResult, TriangularSolveResult
from .types import Number, TensorLike

__all__ = [
    "absolute",
    "floor_divide",
    "greater",
    "greater_equal",
    "less",
    "less_equal",
    "not_equal",
    "gcd",
    "lcm",
    "nextafter",
    "bitwise_left_shift",
    "bitwise_right_shift",
    "dist",
    "addr",
    "addbmm",
    "ger",
    "cholesky",
    "cholesky_inverse",
    "cholesky_solve",
    "qr",
    "svd",
    "lu",
    "lu_solve",
    "lu_unpack",
    "triangular_solve",
]


# ------------------------------------------------------------------------------- comparisons and integers
def absolute(input: TensorLike) -> Tensor:
    """``abs``, torch's numpy-style name.

    >>> absolute(Tensor([-2.0])).tolist()
    [2.0]
    """
    return as_tensor(input).abs()


def floor_divide(input: TensorLike, other: TensorLike) -> Tensor:
    """``input // other``: the quotient rounded down.

    >>> floor_divide(ag.tensor([-7]), 2).tolist()
    [-4]
    """
    return as_tensor(input).floor_divide(other)


def greater(input: TensorLike, other: TensorLike) -> Tensor:
    """``input > other`` (module docstring)."""
    return as_tensor(input).gt(other)


def greater_equal(input: TensorLike, other: TensorLike) -> Tensor:
    """``input >= other``.

    >>> greater_equal(Tensor([1.0, 2.0]), 2.0).tolist()
    [False, True]
    """
    return as_tensor(input).ge(other)


def less(input: TensorLike, other: TensorLike) -> Tensor:
    """``input < other``.

    >>> less(Tensor([1.0, 2.0]), 2.0).tolist()
    [True, False]
    """
    return as_tensor(input).lt(other)


def less_equal(input: TensorLike, other: TensorLike) -> Tensor:
    """``input <= other``.

    >>> less_equal(Tensor([1.0, 3.0]), 2.0).tolist()
    [True, False]
    """
    return as_tensor(input).le(other)


def not_equal(input: TensorLike, other: TensorLike) -> Tensor:
    """``input != other``.

    >>> not_equal(Tensor([1.0, 2.0]), 2.0).tolist()
    [True, False]
    """
    return as_tensor(input).ne(other)


def gcd(input: TensorLike, other: TensorLike) -> Tensor:
    """``input.gcd(other)``: the greatest common divisor of integers.

    >>> gcd(ag.tensor([6, 0]), ag.tensor([4, 5])).tolist()
    [2, 5]
    """
    return as_tensor(input).gcd(other)


def lcm(input: TensorLike, other: TensorLike) -> Tensor:
    """``input.lcm(other)``: the least common multiple of integers.

    >>> lcm(ag.tensor([6]), ag.tensor([4])).tolist()
    [12]
    """
    return as_tensor(input).lcm(other)


def bitwise_left_shift(input: TensorLike, other: TensorLike) -> Tensor:
    """``input << other`` for integers.

    >>> bitwise_left_shift(ag.tensor([3]), 2).tolist()
    [12]
    """
    return as_tensor(input).bitwise_left_shift(other)


def bitwise_right_shift(input: TensorLike, other: TensorLike) -> Tensor:
    """``input >> other`` for integers (the sign kept).

    >>> bitwise_right_shift(ag.tensor([-8]), 1).tolist()
    [-4]
    """
    return as_tensor(input).bitwise_right_shift(other)


def nextafter(input: TensorLike, other: TensorLike) -> Tensor:
    """``input.nextafter(other)``: the next float towards ``other``.

    >>> nextafter(Tensor([0.0]), 1.0).item() > 0
    True
    """
    return as_tensor(input).nextafter(other)


# ------------------------------------------------------------------------------- linear algebra
def dist(input: TensorLike, other: TensorLike, p: float = 2) -> Tensor:
    """``input.dist(other, p)``: the p-norm of the difference.

    >>> dist(Tensor([1.0, 1.0]), Tensor([0.0, 0.0]), p=1).item()
    2.0
    """
    return as_tensor(input).dist(other, p)


def addr(input: TensorLike, vec1: TensorLike, vec2: TensorLike, *, beta: Number = 1, alpha: Number = 1) -> Tensor:
    """``input.addr(vec1, vec2, beta=, alpha=)``: beta * input + alpha * outer(vec1, vec2).

    >>> addr(Tensor([[1.0]]), Tensor([2.0]), Tensor([3.0]), beta=0).tolist()
    [[6.0]]
    """
    return as_tensor(input).addr(vec1, vec2, beta=beta, alpha=alpha)


def addbmm(input: TensorLike, batch1: TensorLike, batch2: TensorLike, *, beta: Number = 1, alpha: Number = 1) -> Tensor:
    """``input.addbmm(batch1, batch2, beta=, alpha=)``: beta * input + alpha * sum_i batch1[i] @ batch2[i].

    >>> addbmm(Tensor([[0.0]]), Tensor(np.ones((3, 1, 2))), Tensor(np.ones((3, 2, 1)))).tolist()
    [[6.0]]
    """
    return as_tensor(input).addbmm(batch1, batch2, beta=beta, alpha=alpha)


def ger(input: TensorLike, vec2: TensorLike) -> Tensor:
    """``outer``, torch's older name.

    >>> ger(Tensor([1.0, 2.0]), Tensor([3.0])).tolist()
    [[3.0], [6.0]]
    """
    return as_tensor(input).outer(vec2)


def cholesky(input: TensorLike, upper: bool = False) -> Tensor:
    """``torch.cholesky``: ``ag.linalg.cholesky(input, upper=upper)``.

    >>> cholesky(Tensor([[4.0]])).tolist()
    [[2.0]]
    """
    return as_tensor(input).cholesky(upper)


def cholesky_inverse(input: TensorLike, upper: bool = False) -> Tensor:
    """``input.cholesky_inverse(upper)``: A's inverse from its Cholesky factor.

    >>> cholesky_inverse(Tensor([[2.0]])).tolist()
    [[0.25]]
    """
    return as_tensor(input).cholesky_inverse(upper)


def cholesky_solve(input: TensorLike, input2: TensorLike, upper: bool = False) -> Tensor:
    """``input.cholesky_solve(input2, upper)``: X with A X = input, ``input2`` A's Cholesky factor.

    >>> cholesky_solve(Tensor([[8.0]]), Tensor([[2.0]])).tolist()
    [[2.0]]
    """
    return as_tensor(input).cholesky_solve(input2, upper)


def qr(input: TensorLike, some: bool = True) -> QrResult:
    """``torch.qr``: ``ag.linalg.qr(input, "reduced" if some else "complete")``.

    >>> qr(Tensor([[2.0]])).R.abs().tolist()
    [[2.0]]
    """
    return as_tensor(input).qr(some)


def svd(input: TensorLike, some: bool = True, compute_uv: bool = True) -> SvdUSVResult:
    """``torch.svd``: (U, S, V) with input = U diag(S) V^T.

    >>> svd(Tensor([[0.0, 2.0], [1.0, 0.0]])).S.tolist()
    [2.0, 1.0]
    """
    return as_tensor(input).svd(some, compute_uv)


def lu(input: TensorLike, pivot: bool = True, get_infos: bool = False) -> tuple[Tensor, ...]:
    """``torch.lu``: (LU, pivots), and the infos with ``get_infos``.

    >>> lu(Tensor([[0.0, 1.0], [2.0, 0.0]]))[1].tolist()
    [2, 2]
    """
    return as_tensor(input).lu(pivot, get_infos)


def lu_solve(b: TensorLike, LU_data: TensorLike, LU_pivots: TensorLike) -> Tensor:
    """``torch.lu_solve(b, LU, pivots)``: X with A X = b (b first, as torch's).

    >>> A = Tensor([[2.0, 0.0], [0.0, 4.0]])
    >>> lu_solve(Tensor([[2.0], [4.0]]), *lu(A)).tolist()
    [[1.0], [1.0]]
    """
    return as_tensor(b).lu_solve(LU_data, LU_pivots)


def lu_unpack(
    LU_data: TensorLike, LU_pivots: TensorLike, unpack_data: bool = True, unpack_pivots: bool = True
) -> LuResult:
    """``torch.lu_unpack``: (P, L, U) with A = P L U from ``lu``'s packed factor and 1-based pivots (empty
    tensors for the parts not asked for); L and U are differentiable in ``LU_data``.

    >>> P, L, U = lu_unpack(*lu(Tensor([[1.0, 2.0], [3.0, 4.0]])))
    >>> (P @ L @ U).tolist()
    [[1.0, 2.0], [3.0, 4.0]]
    """
    packed, pivots = as_tensor(LU_data), np.asarray(as_tensor(LU_pivots).data)
    empty = Tensor(np.zeros(0, packed.dtype))
    lower, upper = _unpack(packed) if unpack_data else (empty, empty)
    if not unpack_pivots:
        return LuResult(empty, lower, upper)
    if pivots.shape != (*packed.shape[:-2], min(packed.shape[-2:])) or pivots.dtype.kind not in "iu":
        raise ValueError(
            f"lu_unpack: pivots of shape {pivots.shape} ({pivots.dtype}) do not fit LU of shape {packed.shape}; "
            "pass the pivots lu() returned with it"
        )
    return LuResult(Tensor(permutation_from_pivots(pivots, packed.shape[-2], packed.dtype)), lower, upper)


def triangular_solve(b: TensorLike, A: TensorLike, upper: bool = True, **kwargs: Any) -> TriangularSolveResult:
    """``torch.triangular_solve(b, A, upper, transpose, unitriangular)``: b first, as torch's.

    >>> triangular_solve(Tensor([[2.0]]), Tensor([[4.0]])).solution.tolist()
    [[0.5]]
    """
    return as_tensor(b).triangular_solve(A, upper, **kwargs)
