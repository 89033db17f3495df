"""``torch.linalg``'s products of matrices: ``matrix_power`` (repeated squaring; negative n through ``inv``),
``matrix_exp`` (one primitive: Padé scaling and squaring, its exact gradient from a 2n x 2n exponential),
``multi_dot`` (the chain multiplied in its cheapest order), ``vander`` and ``diagonal``. All differentiable.

>>> matrix_power(Tensor([[1.0, 1.0], [0.0, 1.0]]), 3)
Tensor([[1., 3.],
        [0., 1.]])
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

from .functions import as_tensor, stack, where
from .linalg_matrix import _matrices, inv
from .primitives.matrix_functions import MatrixExp
from .tensor import Tensor
from .types import TensorLike


def matrix_power(A: TensorLike, n: int) -> Tensor:
    """A^n for square (..., k, k) matrices and an integer n, as ``torch.linalg.matrix_power``: n = 0 gives the
    identity, n < 0 the power of A^-1 (a singular A is refused). O(log n) products (repeated squaring).

    >>> matrix_power(Tensor([[2.0, 0.0], [0.0, 4.0]]), -1)
    Tensor([[0.5 , 0.  ],
            [0.  , 0.25]])
    """
    x = _matrices("matrix_power", A)
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(
            f"linalg.matrix_power: n must be an int, got {n!r}; for a real power of a symmetric positive-definite "
            "matrix use its eigh: V diag(w ** p) V^T; for exp(A) linalg.matrix_exp"
        )
    if n == 0:  # the identity, in the graph with a zero gradient (as torch's): a loss over A^0 still backwards
        return where(np.ones(x.shape, bool), np.eye(x.shape[-1], dtype=x.dtype), x)
    base, n = (inv(x), -int(n)) if n < 0 else (x, int(n))
    result = None
    while n:  # binary exponentiation: multiply in the squares of base whose bit of n is set
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if n:
            base = base @ base
    assert result is not None
    return result


def matrix_exp(A: TensorLike) -> Tensor:
    """exp(A) = I + A + A^2/2! + ... for square (..., n, n) matrices, as ``torch.linalg.matrix_exp``: scaling
    and squaring with a degree-13 Padé approximant (Higham 2005), accurate to about unit roundoff. Its gradient is
    exact (the top-right block of the exponential of [[A^T, g], [0, A^T]]), and differentiable again.

    >>> matrix_exp(Tensor([[0.0, 1.0], [0.0, 0.0]]))  # nilpotent: I + A
    Tensor([[1., 1.],
            [0., 1.]])
    """
    return Tensor.apply(MatrixExp, _matrices("matrix_exp", A))


def _chain_order(dims: list[int]) -> list[list[int]]:
    """The textbook matrix-chain dynamic programme (Cormen et al., 15.2): split[i][j] is where the cheapest
    product of matrices i..j splits, for matrices i of shape (dims[i], dims[i + 1])."""
    count = len(dims) - 1
    cost = [[0] * count for _ in range(count)]
    split = [[0] * count for _ in range(count)]
    for length in range(1, count):
        for i in range(count - length):
            j = i + length
            cost[i][j], split[i][j] = min(
                (cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1], k) for k in range(i, j)
            )
    return split


def multi_dot(tensors: Sequence[TensorLike]) -> Tensor:
    """The product of a chain of matrices, multiplied in the order that costs the fewest scalar
    multiplications, as ``torch.linalg.multi_dot``: the first may be a 1-d row vector and the last a 1-d column
    vector (their axis is dropped from the result); the others are 2-d.

    >>> a, b, c = Tensor(np.ones((10, 100))), Tensor(np.ones((100, 5))), Tensor(np.ones((5, 50)))
    >>> multi_dot([a, b, c]).shape  # (a b) c: 5,000 + 2,500 products; a (b c) needs 75,000
    (10, 50)
    """
    if isinstance(tensors, (Tensor, np.ndarray)) or len(tensors) < 2:
        raise ValueError(
            "linalg.multi_dot: expects a list of at least 2 tensors, got "
            f"{type(tensors).__name__ if isinstance(tensors, (Tensor, np.ndarray)) else len(tensors)}; "
            "for one matrix there is nothing to multiply"
        )
    items = [as_tensor(t) for t in tensors]
    shapes = [t.shape for t in items]
    first_vector, last_vector = items[0].ndim == 1, items[-1].ndim == 1
    if first_vector:
        items[0] = items[0][None, :]
    if last_vector:
        items[-1] = items[-1][:, None]
    for i, t in enumerate(items):
        if t.ndim != 2:
            raise ValueError(
                f"linalg.multi_dot: tensor {i} has shape {shapes[i]}; all must be 2-d but the first and "
                "last, which may be 1-d"
            )
        if i and t.shape[0] != items[i - 1].shape[1]:
            raise ValueError(
                f"linalg.multi_dot: tensor {i - 1} of shape {shapes[i - 1]} and tensor {i} of shape "
                f"{shapes[i]} cannot be multiplied (inner sizes {items[i - 1].shape[1]} and "
                f"{t.shape[0]})"
            )
    split = _chain_order([items[0].shape[0]] + [t.shape[1] for t in items])

    def product(i: int, j: int) -> Tensor:
        return items[i] if i == j else product(i, split[i][j]) @ product(split[i][j] + 1, j)

    result = product(0, len(items) - 1)
    if first_vector:
        result = result[0]
    if last_vector:
        result = result[..., 0]
    return result


def vander(x: TensorLike, *, N: int | None = None) -> Tensor:
    """The Vandermonde matrix of x (..., n): columns x^0, x^1, ..., x^(N-1) (N = n by default), increasing
    powers, as ``torch.linalg.vander`` (numpy's ``vander`` runs the other way). Built by repeated products, so
    its gradient is finite at x = 0.

    >>> vander(Tensor([1.0, 2.0, 3.0]))
    Tensor([[1., 1., 1.],
            [1., 2., 4.],
            [1., 3., 9.]])
    """
    x = as_tensor(x)
    if x.ndim < 1:
        raise ValueError(f"linalg.vander: x must have at least 1 axis (..., n), got shape {x.shape}")
    count = x.shape[-1] if N is None else N
    if isinstance(count, bool) or not isinstance(count, numbers.Integral) or count < 1:
        raise ValueError(f"linalg.vander: N must be an int >= 1 (the number of columns), got {N!r}")
    columns = [x * 0 + 1]
    for _ in range(count - 1):
        columns.append(columns[-1] * x)
    return stack(columns, -1)


def diagonal(A: TensorLike, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """The diagonals of the matrices in the last two axes (``dim1``, ``dim2``), as ``torch.linalg.diagonal``
    (``ag.diagonal`` with the matrix axes as defaults): the diagonal axis comes last.

    >>> diagonal(Tensor(np.arange(8.0).reshape(2, 2, 2)))
    Tensor([[0., 3.],
            [4., 7.]])
    """
    return as_tensor(A).diagonal(offset, dim1, dim2)
