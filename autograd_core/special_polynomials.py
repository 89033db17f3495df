"""torch.special's orthogonal polynomials of integer degree n: Chebyshev T U V W and their shifted forms,
Hermite H (physicists') and He (probabilists'), Laguerre L and Legendre P, each ``f(input, n)`` as torch's.

One primitive computes them all (``primitives/polynomials.py``: the three-term recurrences, vectorised over n,
which torch's ``n`` may broadcast against x as a tensor or be a number). n is truncated to an integer and p_n = 0
for n < 0, as torch's kernels. torch has no derivatives for these; here d/dx is the true one (the same primitive
one derivative up, so any order works), and asking for d/dn raises, naming the function.

>>> from autograd_core import special
>>> x = Tensor([0.5], requires_grad=True)
>>> special.chebyshev_polynomial_t(x, 3).backward()  # T3 = 4x^3 - 3x: T3'(1/2) = 12/4 - 3
>>> x.grad.tolist()
[0.0]
"""

from __future__ import annotations

import numpy as np

from .functions import as_tensor
from .primitives.polynomials import OrthogonalPolynomial
from .tensor import Tensor
from .types import TensorLike

__all__ = [
    "chebyshev_polynomial_t",
    "chebyshev_polynomial_u",
    "chebyshev_polynomial_v",
    "chebyshev_polynomial_w",
    "hermite_polynomial_h",
    "hermite_polynomial_he",
    "laguerre_polynomial_l",
    "legendre_polynomial_p",
    "shifted_chebyshev_polynomial_t",
    "shifted_chebyshev_polynomial_u",
    "shifted_chebyshev_polynomial_v",
    "shifted_chebyshev_polynomial_w",
]


def float_operands(op: str, x: TensorLike, y: TensorLike) -> tuple[Tensor, Tensor]:
    """Two operands as Tensors; a Python number takes the other's float dtype (torch's rule for scalars), and the
    shapes must broadcast. Integer operands are computed in float64."""
    tx, ty = as_tensor(x), as_tensor(y)
    if not isinstance(x, Tensor) and isinstance(y, Tensor) and ty.dtype.kind == "f":
        tx = as_tensor(x, dtype=ty.dtype)
    if not isinstance(y, Tensor) and isinstance(x, Tensor) and tx.dtype.kind == "f":
        ty = as_tensor(y, dtype=tx.dtype)
    try:
        np.broadcast_shapes(tx.shape, ty.shape)
    except ValueError:
        raise ValueError(
            f"{op}: the shapes {tx.shape} and {ty.shape} do not broadcast (numpy rules, as torch's); reshape one, "
            f"e.g. x[:, None] to pair every x with every n"
        ) from None
    return tx, ty


def _polynomial(kind: str, input: TensorLike, n: TensorLike) -> Tensor:
    x, degree = float_operands(kind, input, n)
    return Tensor.apply(OrthogonalPolynomial, x, degree, kind=kind)


def chebyshev_polynomial_t(input: TensorLike, n: TensorLike) -> Tensor:
    """T_n(x), the Chebyshev polynomial of the first kind: T_n(cos t) = cos(n t) (torch.special's).

    >>> chebyshev_polynomial_t(Tensor([0.5, 2.0]), 3).tolist()  # 4x^3 - 3x
    [-1.0, 26.0]
    """
    return _polynomial("chebyshev_polynomial_t", input, n)


def chebyshev_polynomial_u(input: TensorLike, n: TensorLike) -> Tensor:
    """U_n(x), of the second kind: U_n(cos t) = sin((n + 1) t) / sin(t).

    >>> chebyshev_polynomial_u(Tensor([0.5, 2.0]), 2).tolist()  # 4x^2 - 1
    [0.0, 15.0]
    """
    return _polynomial("chebyshev_polynomial_u", input, n)


def chebyshev_polynomial_v(input: TensorLike, n: TensorLike) -> Tensor:
    """V_n(x), of the third kind: V_n(cos t) = cos((n + 1/2) t) / cos(t/2).

    >>> chebyshev_polynomial_v(Tensor([0.5, 2.0]), 2).tolist()  # 4x^2 - 2x - 1
    [-1.0, 11.0]
    """
    return _polynomial("chebyshev_polynomial_v", input, n)


def chebyshev_polynomial_w(input: TensorLike, n: TensorLike) -> Tensor:
    """W_n(x), of the fourth kind: W_n(cos t) = sin((n + 1/2) t) / sin(t/2).

    >>> chebyshev_polynomial_w(Tensor([0.5, 2.0]), 2).tolist()  # 4x^2 + 2x - 1
    [1.0, 19.0]
    """
    return _polynomial("chebyshev_polynomial_w", input, n)


def shifted_chebyshev_polynomial_t(input: TensorLike, n: TensorLike) -> Tensor:
    """T*_n(x) = T_n(2x - 1), the Chebyshev polynomial of the first kind on [0, 1].

    >>> shifted_chebyshev_polynomial_t(Tensor([0.0, 0.75]), 3).tolist()  # T3(-1), T3(1/2)
    [-1.0, -1.0]
    """
    return _polynomial("shifted_chebyshev_polynomial_t", input, n)


def shifted_chebyshev_polynomial_u(input: TensorLike, n: TensorLike) -> Tensor:
    """U*_n(x) = U_n(2x - 1).

    >>> shifted_chebyshev_polynomial_u(Tensor([1.0]), 4).tolist()  # U_n(1) = n + 1
    [5.0]
    """
    return _polynomial("shifted_chebyshev_polynomial_u", input, n)


def shifted_chebyshev_polynomial_v(input: TensorLike, n: TensorLike) -> Tensor:
    """V*_n(x) = V_n(2x - 1).

    >>> shifted_chebyshev_polynomial_v(Tensor([0.0]), 3).tolist()  # V_n(-1) = (-1)^n (2n + 1)
    [-7.0]
    """
    return _polynomial("shifted_chebyshev_polynomial_v", input, n)


def shifted_chebyshev_polynomial_w(input: TensorLike, n: TensorLike) -> Tensor:
    """W*_n(x) = W_n(2x - 1).

    >>> shifted_chebyshev_polynomial_w(Tensor([1.0]), 3).tolist()  # W_n(1) = 2n + 1
    [7.0]
    """
    return _polynomial("shifted_chebyshev_polynomial_w", input, n)


def hermite_polynomial_h(input: TensorLike, n: TensorLike) -> Tensor:
    """H_n(x), the physicists' Hermite polynomial: H_(k+1) = 2x H_k - 2k H_(k-1).

    >>> hermite_polynomial_h(Tensor([1.0]), np.array([0.0, 1.0, 2.0, 3.0])).tolist()  # 1, 2x, 4x^2-2, 8x^3-12x
    [1.0, 2.0, 2.0, -4.0]
    """
    return _polynomial("hermite_polynomial_h", input, n)


def hermite_polynomial_he(input: TensorLike, n: TensorLike) -> Tensor:
    """He_n(x), the probabilists' Hermite polynomial: He_(k+1) = x He_k - k He_(k-1).

    >>> hermite_polynomial_he(Tensor([2.0]), 3).tolist()  # x^3 - 3x
    [2.0]
    """
    return _polynomial("hermite_polynomial_he", input, n)


def laguerre_polynomial_l(input: TensorLike, n: TensorLike) -> Tensor:
    """L_n(x), the Laguerre polynomial: (k + 1) L_(k+1) = (2k + 1 - x) L_k - k L_(k-1).

    >>> laguerre_polynomial_l(Tensor([0.0, 2.0]), 2).tolist()  # (x^2 - 4x + 2) / 2
    [1.0, -1.0]
    """
    return _polynomial("laguerre_polynomial_l", input, n)


def legendre_polynomial_p(input: TensorLike, n: TensorLike) -> Tensor:
    """P_n(x), the Legendre polynomial: (k + 1) P_(k+1) = (2k + 1) x P_k - k P_(k-1).

    >>> legendre_polynomial_p(Tensor([0.5, -1.0]), 2).tolist()  # (3x^2 - 1) / 2
    [-0.125, 1.0]
    """
    return _polynomial("legendre_polynomial_p", input, n)
