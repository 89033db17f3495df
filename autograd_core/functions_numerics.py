"""torch's numerical helpers at the top level: ``gradient`` (finite differences of sampled values, second order
inside, differentiable), ``histogramdd``, the randomized ``svd_lowrank`` / ``pca_lowrank`` (Halko, Martinsson and
Tropp's range finder, composed from the differentiable ``qr`` and ``svd``), the deprecated norms
``nuclear_norm`` / ``frobenius_norm``, and the pre-1.9 ``matrix_rank`` / ``lstsq`` (``lstsq`` refuses, naming
its replacement, as torch does).

>>> ag.gradient(ag.tensor([1.0, 4.0, 9.0, 16.0]))  # x^2 sampled at 1..4: 2x inside, one-sided at the ends
(Tensor([3., 4., 6., 7.]),)
"""

from __future__ import annotations

import numbers
from typing import Any, NamedTuple

import numpy as np

from .functions import as_tensor, cat
from .tensor import Tensor
from .types import TensorLike


def _axes(op: str, x: Tensor, dim: int | list[int] | tuple[int, ...] | None) -> list[int]:
    dims: list[int] = list(range(x.ndim)) if dim is None else [dim] if isinstance(dim, int) else list(dim)
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, numbers.Integral) or not -x.ndim <= d < x.ndim:
            raise ValueError(f"{op}: dim must be ints in [{-x.ndim}, {x.ndim - 1}] for shape {x.shape}, got {dim!r}")
    return [int(d) % x.ndim for d in dims]


def _coordinates(spacing: Any, dims: list[int], x: Tensor) -> list[np.ndarray]:
    """Each axis' sample positions, from a number (a uniform step), one number per axis, or coordinate vectors."""
    if isinstance(spacing, (numbers.Real, np.generic)) and not isinstance(spacing, bool):
        spacing = [spacing] * len(dims)
    spacing = list(spacing)
    if len(spacing) != len(dims):
        raise ValueError(f"gradient: spacing must give one entry per dim {dims}, got {len(spacing)}")
    coordinates = []
    for d, step in zip(dims, spacing):
        values = np.asarray(step.data if isinstance(step, Tensor) else step, np.float64)
        if values.ndim == 0:
            values = np.arange(x.shape[d]) * values
        if values.shape != (x.shape[d],):
            raise ValueError(
                f"gradient: the coordinates of dim {d} must have shape ({x.shape[d]},), got {values.shape}"
            )
        coordinates.append(values)
    return coordinates


def gradient(
    input: TensorLike, *, spacing: Any = 1, dim: int | list[int] | tuple[int, ...] | None = None, edge_order: int = 1
) -> tuple[Tensor, ...]:
    """The derivative of sampled values along each of ``dim`` (all axes by default), as ``torch.gradient`` and
    ``np.gradient``: central differences inside (exact for quadratics, also on uneven ``spacing`` given as
    coordinate vectors), one-sided at the two ends (first order, or second with ``edge_order=2``).
    Differentiable: each output is a fixed linear combination of the input.

    >>> ag.gradient(ag.tensor([[0.0, 1.0, 4.0]]), spacing=0.5, dim=1)
    (Tensor([[2., 4., 6.]]),)
    """
    x = as_tensor(input)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.double()
    if edge_order not in (1, 2):
        raise ValueError(f"gradient: edge_order must be 1 or 2, got {edge_order!r}")
    dims = _axes("gradient", x, dim)
    results = []
    for d, coordinate in zip(dims, _coordinates(spacing, dims, x)):
        if x.shape[d] < edge_order + 1:
            raise ValueError(
                f"gradient: dim {d} has {x.shape[d]} samples; edge_order={edge_order} needs at least {edge_order + 1}"
            )
        f = x.movedim(d, -1)
        h = np.diff(coordinate).astype(x.dtype)
        hs, hd = h[:-1], h[1:]  # the steps before and after each inner point
        before, centre, after = -hd / (hs * (hs + hd)), (hd - hs) / (hs * hd), hs / (hd * (hs + hd))
        inner = before * f[..., :-2] + centre * f[..., 1:-1] + after * f[..., 2:]
        if edge_order == 1:
            first = (f[..., 1:2] - f[..., 0:1]) / float(h[0])
            last = (f[..., -1:] - f[..., -2:-1]) / float(h[-1])
        else:  # the parabola through the first (last) three samples, differentiated at the end point
            a, b = float(h[0]), float(h[1])
            first = -(2 * a + b) / (a * (a + b)) * f[..., 0:1] + (a + b) / (a * b) * f[..., 1:2]
            first = first - a / (b * (a + b)) * f[..., 2:3]
            a, b = float(h[-2]), float(h[-1])
            last = b / (a * (a + b)) * f[..., -3:-2] - (a + b) / (a * b) * f[..., -2:-1]
            last = last + (2 * b + a) / (b * (a + b)) * f[..., -1:]
        results.append(cat([first, inner, last], -1).movedim(-1, d))
    return tuple(results)


class HistogramddResult(NamedTuple):
    """``histogramdd``'s (hist, bin_edges): the counts (D axes), and each axis' edges."""

    hist: Tensor
    bin_edges: tuple[Tensor, ...]


def histogramdd(
    input: TensorLike,
    bins: int | list[int] | tuple[Any, ...] = 10,
    *,
    range: list[float] | tuple[float, ...] | None = None,
    weight: TensorLike | None = None,
    density: bool = False,
) -> HistogramddResult:
    """The D-dimensional histogram of N points (``input`` (..., D), flattened to (N, D)), as
    ``torch.histogramdd``: ``bins`` an int, one int per axis or the edges per axis; ``range`` torch's flat
    [min0, max0, min1, max1, ...] (the data's extent by default). No gradient (counts).

    >>> h = histogramdd(ag.tensor([[0.0, 0.0], [1.0, 1.0], [0.5, 0.2]]), bins=[2, 3])
    >>> h.hist.tolist(), h.bin_edges[0].tolist()
    ([[1.0, 0.0, 0.0], [1.0, 0.0, 1.0]], [0.0, 0.5, 1.0])
    """
    x = as_tensor(input)
    if x.ndim < 2 or not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"histogramdd: input must be float points (N, D), got shape {x.shape} of {x.dtype}")
    points = x.data.reshape(-1, x.shape[-1])
    dims = points.shape[1]
    if isinstance(bins, (list, tuple)):
        bins = [np.asarray(b.data if isinstance(b, Tensor) else b) for b in bins]  # type: ignore[misc]
        if len(bins) != dims:
            raise ValueError(f"histogramdd: bins must give one entry per dimension ({dims}), got {len(bins)}")
    limits = None
    if range is not None:
        if len(range) != 2 * dims:
            raise ValueError(f"histogramdd: range must be [min0, max0, ...] with {2 * dims} numbers, got {list(range)}")
        limits = [(float(range[2 * i]), float(range[2 * i + 1])) for i in np.arange(dims)]
    weights = None if weight is None else as_tensor(weight).data.reshape(-1)
    if weights is not None and weights.shape != (points.shape[0],):
        raise ValueError(
            f"histogramdd: weight must hold one number per point, shape {x.shape[:-1]}, got shape {weights.shape}"
        )
    try:
        hist, edges = np.histogramdd(points, bins=bins, range=limits, weights=weights, density=density)
    except ValueError as error:
        raise ValueError(f"histogramdd: {error} (bins {bins!r}, range {range!r})") from None
    return HistogramddResult(Tensor(hist.astype(x.dtype)), tuple(Tensor(e.astype(x.dtype)) for e in edges))


class SvdLowrankResult(NamedTuple):
    """``svd_lowrank``'s (U, S, V), A ~ U diag(S) V^T."""

    U: Tensor
    S: Tensor
    V: Tensor


def svd_lowrank(
    A: TensorLike, q: int | None = 6, niter: int = 2, M: TensorLike | None = None, *, seed: int | None = None
) -> SvdLowrankResult:
    """The ``q`` leading singular triplets of (A - M) found by a randomized range finder with ``niter`` power
    iterations, as ``torch.svd_lowrank`` (exact when the rank is at most q): U (..., m, q), S (..., q),
    V (..., n, q). Differentiable through its ``qr`` and ``svd``; ``seed`` fixes the random test matrix.

    >>> A = ag.tensor([[3.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    >>> svd_lowrank(A, q=2).S.round(decimals=6)
    Tensor([3., 1.])
    """
    from .linalg_matrix import qr, svd

    x = as_tensor(A) if M is None else as_tensor(A) - as_tensor(M)
    if x.ndim < 2 or not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"svd_lowrank: A must be float matrices (..., m, n), got shape {x.shape} of {x.dtype}")
    m, n = x.shape[-2:]
    q = min(6, m, n) if q is None else q
    if isinstance(q, bool) or not isinstance(q, numbers.Integral) or not 1 <= q <= min(m, n):
        raise ValueError(f"svd_lowrank: q must be an int in [1, {min(m, n)}] for a {m}x{n} matrix, got {q!r}")
    if isinstance(niter, bool) or not isinstance(niter, numbers.Integral) or niter < 0:
        raise ValueError(f"svd_lowrank: niter must be a non-negative int, got {niter!r}")
    rng = np.random.default_rng(seed)
    test = Tensor(rng.standard_normal((*x.shape[:-2], n, q)).astype(x.dtype))
    basis = qr(x @ test).Q  # an orthonormal basis of A's leading range
    for _ in np.arange(niter):  # power iterations sharpen it where the singular values decay slowly
        basis = qr(x @ qr(x.mT @ basis).Q).Q
    small = svd(basis.mT @ x, full_matrices=False)  # (q, n): its SVD lifts to A's
    return SvdLowrankResult(basis @ small.U, small.S, small.Vh.mT)


def pca_lowrank(
    A: TensorLike, q: int | None = None, center: bool = True, niter: int = 2, *, seed: int | None = None
) -> SvdLowrankResult:
    """The principal components of the rows of A (columns centred unless ``center=False``) as the ``q``
    (default min(6, m, n)) leading singular triplets, as ``torch.pca_lowrank``: V's columns are the directions,
    S**2 / (m - 1) the variances along them.

    >>> A = ag.tensor([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    >>> pca_lowrank(A, q=1).V.abs().round(decimals=4)
    Tensor([[0.7071],
            [0.7071]])
    """
    x = as_tensor(A)
    if x.ndim < 2:
        raise ValueError(f"pca_lowrank: A must be a matrix (..., m, n), got shape {x.shape}")
    return svd_lowrank(x - x.mean(-2, keepdim=True) if center else x, q=q, niter=niter, seed=seed)


def nuclear_norm(input: TensorLike, dim: tuple[int, int] = (-2, -1), keepdim: bool = False) -> Tensor:
    """The sum of each matrix's singular values, as the deprecated ``torch.nuclear_norm``
    (``ag.linalg.matrix_norm(A, 'nuc')``).

    >>> nuclear_norm(ag.tensor([[3.0, 0.0], [0.0, -4.0]]))
    Tensor(7.)
    """
    from .linalg_norms import matrix_norm

    return matrix_norm(input, "nuc", dim=dim, keepdim=keepdim)


def frobenius_norm(input: TensorLike, dim: Any = None, keepdim: bool = False) -> Tensor:
    """sqrt of the sum of squares over ``dim`` (all axes by default), as the deprecated
    ``torch.frobenius_norm`` (``ag.linalg.vector_norm(A, 2, dim)``).

    >>> frobenius_norm(ag.tensor([[3.0, 4.0], [0.0, 0.0]]), dim=1)
    Tensor([5., 0.])
    """
    from .linalg_norms import vector_norm

    return vector_norm(input, 2, dim=dim, keepdim=keepdim)


def matrix_rank(input: TensorLike, tol: float | None = None, symmetric: bool = False) -> Tensor:
    """The rank of each matrix, as the pre-1.9 ``torch.matrix_rank`` (``ag.linalg.matrix_rank(A, tol,
    hermitian=symmetric)``).

    >>> matrix_rank(ag.tensor([[1.0, 2.0], [2.0, 4.0]]))
    Tensor(1, dtype=int64)
    """
    from .linalg_solvers import matrix_rank as linalg_matrix_rank

    return linalg_matrix_rank(input, tol, hermitian=symmetric)


def _removed(name: str, replacement: str) -> TypeError:
    return TypeError(f"{name}: torch.{name} was removed in torch 1.9; write {replacement}")


def lstsq(input: TensorLike, A: TensorLike) -> Any:
    """Refuses, as torch does since 1.9, naming the replacement: ``torch.lstsq(B, A)`` returned LAPACK's packed
    QR, which nothing here (nor torch) computes any more. ``solve``, ``symeig`` and ``eig`` refuse alike.

    >>> lstsq(ag.tensor([1.0]), ag.tensor([[1.0]]))
    Traceback (most recent call last):
    TypeError: lstsq: torch.lstsq was removed in torch 1.9; write ag.linalg.lstsq(A, B).solution (A first: ...
    """
    raise _removed("lstsq", "ag.linalg.lstsq(A, B).solution (A first: torch.lstsq took B, A)")


def solve(input: TensorLike, A: TensorLike) -> Any:
    """Refuses as ``lstsq`` does: ``torch.solve(B, A)`` became ``linalg.solve(A, B)``."""
    raise _removed("solve", "ag.linalg.solve(A, B) (A first: torch.solve took B, A)")


def symeig(input: TensorLike, eigenvectors: bool = False, upper: bool = True) -> Any:
    """Refuses as ``lstsq`` does: ``torch.symeig`` became ``linalg.eigh`` / ``linalg.eigvalsh``."""
    raise _removed("symeig", "ag.linalg.eigh(A, UPLO='U' if upper else 'L') (ag.linalg.eigvalsh for values only)")


def eig(input: TensorLike, eigenvectors: bool = False) -> Any:
    """Refuses as ``lstsq`` does: ``torch.eig``'s successor ``linalg.eig`` is complex, which this engine lacks."""
    raise _removed("eig", "ag.linalg.eigh(A) for a symmetric A (general eigenvalues are complex: unsupported here)")


__all__ = ["gradient", "histogramdd", "svd_lowrank", "pca_lowrank", "nuclear_norm", "frobenius_norm"]
__all__ += ["matrix_rank", "lstsq", "solve", "symeig", "eig"]
