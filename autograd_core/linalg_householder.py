"""Householder reflectors, LAPACK's compact form of QR: ``geqrf`` (A's reflectors packed below R, with their
scales ``tau``), ``householder_product`` (``torch.linalg``'s, also ``orgqr``: Q's first n columns from them) and
``ormqr`` (Q, or Q^T, times another matrix, without forming Q). The products are compositions of differentiable
ops, each reflector H_i = I - tau_i v_i v_i^T applied as a rank-one update; ``geqrf`` is numpy's
``qr(mode='raw')`` (LAPACK's geqrf itself) and, as torch's, not differentiable.

>>> a, tau = ag.geqrf(Tensor([[3.0, 1.0], [4.0, 2.0]]))
>>> ag.ormqr(a, tau, ag.eye(2)).abs().round(decimals=4)  # Q of the QR of A
Tensor([[0.6, 0.8],
        [0.8, 0.6]])
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .functions import as_tensor
from .grad_mode import is_grad_enabled
from .linalg_matrix import _matrices
from .tensor import Tensor
from .types import TensorLike


class GeqrfResult(NamedTuple):
    """``geqrf``'s (a, tau): R on and above the diagonal, the reflectors' tails below it, and their scales."""

    a: Tensor
    tau: Tensor


def geqrf(input: TensorLike) -> GeqrfResult:
    """LAPACK's packed QR of each (..., m, n) matrix, as ``torch.geqrf``: R is ``a.triu()`` (the first min(m, n)
    rows), and ``householder_product(a, tau)`` is Q. Not differentiable (torch's neither): use ``linalg.qr``
    for a gradient.

    >>> geqrf(Tensor([[3.0], [4.0]])).a.abs()
    Tensor([[5. ],
            [0.5]])
    """
    x = _matrices("geqrf", input, square=False)
    if is_grad_enabled() and x.requires_grad:
        raise ValueError(
            "geqrf: is not differentiable (torch's neither), and the input requires grad; call it on x.detach(), "
            "or use ag.linalg.qr, which is"
        )
    packed, tau = np.linalg.qr(x.data, mode="raw")  # LAPACK's layout, transposed (numpy's Fortran order)
    return GeqrfResult(Tensor(np.swapaxes(packed, -1, -2).astype(x.dtype)), Tensor(tau.astype(x.dtype)))


def _reflectors(op: str, A: TensorLike, tau: TensorLike) -> tuple[Tensor, Tensor, list[Tensor]]:
    """A, tau and the reflector vectors v_i = (0, ..., 0, 1, A[i+1:, i]) (each (..., m))."""
    a = _matrices(op.removeprefix("linalg."), A, square=False)
    t = as_tensor(tau)
    m, n = a.shape[-2:]
    if not (t.ndim >= 1 and t.shape[:-1] == a.shape[:-2] and t.shape[-1] <= min(m, n)):
        raise ValueError(
            f"{op}: needs A (..., m, n) and tau (..., k) with k <= min(m, n) and the same batch, got A {a.shape} "
            f"and tau {t.shape}"
        )
    index = np.arange(m)
    return a, t, [a[..., :, i] * (index > i) + (index == i) for i in range(t.shape[-1])]


def householder_product(A: TensorLike, tau: TensorLike) -> Tensor:
    """The first n columns of H_1 H_2 ... H_k, H_i = I - tau_i v_i v_i^T with v_i = (0, ..., 0, 1, A[i+1:, i]),
    as ``torch.linalg.householder_product`` (LAPACK's orgqr): with ``geqrf``'s packed reflectors it is QR's Q.
    A (..., m, n), tau (..., k), k <= n <= m. Differentiable in both.

    >>> householder_product(Tensor([[1.0], [0.0]]), Tensor([2.0]))  # H = I - 2 e1 e1^T
    Tensor([[-1.],
            [ 0.]])
    """
    a, t, vectors = _reflectors("linalg.householder_product", A, tau)
    m, n = a.shape[-2:]
    if m < n:
        raise ValueError(f"linalg.householder_product: needs A (..., m, n) with m >= n, got shape {a.shape}")
    q = Tensor(np.broadcast_to(np.eye(m, n, dtype=a.dtype), a.shape).copy())
    for i in reversed(range(len(vectors))):  # Q = H_1 (H_2 (... (H_k I))): each reflector applied to the left
        v = vectors[i]  # the unit entry is implied, the part above it ignored
        q = q - t[..., i, None, None] * v[..., :, None] * (v[..., None, :] @ q)
    return q


def orgqr(input: TensorLike, tau: TensorLike) -> Tensor:
    """``householder_product`` under LAPACK's name, as ``torch.orgqr``.

    >>> orgqr(*geqrf(Tensor([[3.0], [4.0]]))).abs()
    Tensor([[0.6],
            [0.8]])
    """
    return householder_product(input, tau)


def ormqr(input: TensorLike, tau: TensorLike, other: TensorLike, left: bool = True, transpose: bool = False) -> Tensor:
    """Q @ other (``left=False``: other @ Q; ``transpose=True``: Q^T in Q's place), Q = H_1 ... H_k the full
    (m, m) product of ``input``'s reflectors, as ``torch.ormqr``; Q is never formed. Differentiable.

    >>> a, tau = geqrf(Tensor([[3.0], [4.0]]))
    >>> ormqr(a, tau, Tensor([[3.0], [4.0]]), transpose=True)  # Q^T A = R
    Tensor([[-5.],
            [ 0.]])
    """
    a, t, vectors = _reflectors("ormqr", input, tau)
    c = as_tensor(other)
    m = a.shape[-2]
    if c.ndim < 2 or c.shape[-2 if left else -1] != m:
        side = "rows" if left else "columns"
        raise ValueError(f"ormqr: other must have {m} {side} (Q is {m}x{m}), got shape {c.shape}")
    # Q = H_1 ... H_k: Q C applies H_k first, Q^T C applies H_1 first; on the right the other way round
    order = list(range(len(vectors)))
    for i in order if left == transpose else order[::-1]:
        v, scale = vectors[i], t[..., i, None, None]
        if left:
            c = c - scale * v[..., :, None] * (v[..., None, :] @ c)
        else:
            c = c - scale * (c @ v[..., :, None]) * v[..., None, :]
    return c


__all__ = ["geqrf", "orgqr", "ormqr"]
