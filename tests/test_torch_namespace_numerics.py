"""torch's top-level numerical helpers ``ag`` lacked: ``gradient`` (against ``np.gradient``, exact derivatives of
polynomials, finite differences of its own gradient), ``histogramdd`` (against ``np.histogramdd``), the randomized
``svd_lowrank`` / ``pca_lowrank`` (exact for low-rank matrices, against numpy's SVD, differentiable), the deprecated
``nuclear_norm`` / ``frobenius_norm`` / ``matrix_rank`` and the refusing ``lstsq``; torch is a second oracle.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag

RNG = np.random.default_rng(11)


@pytest.mark.parametrize("edge_order", [1, 2])
def test_gradient_matches_numpy_on_uniform_and_uneven_spacing(edge_order):
    f = RNG.standard_normal((4, 6))
    got = ag.gradient(ag.tensor(f), spacing=[0.5, 2.0], edge_order=edge_order)
    expected = np.gradient(f, 0.5, 2.0, edge_order=edge_order)
    assert all(np.allclose(g.numpy(), e) for g, e in zip(got, expected))
    x = np.cumsum(RNG.uniform(0.2, 1.0, 6))
    (got,) = ag.gradient(ag.tensor(f), spacing=(ag.tensor(x),), dim=1, edge_order=edge_order)
    assert np.allclose(got.numpy(), np.gradient(f, x, axis=1, edge_order=edge_order))


def test_gradient_is_exact_for_a_quadratic_on_an_uneven_grid_with_second_order_edges():
    x = np.array([0.0, 0.3, 1.0, 1.2, 2.0])
    (slope,) = ag.gradient(ag.tensor(3 * x**2 - x), spacing=(x,), edge_order=2)
    assert np.allclose(slope.numpy(), 6 * x - 1)  # second-order formulas differentiate parabolas exactly


def test_gradient_keeps_float32_and_is_differentiable():
    f32 = ag.tensor(RNG.standard_normal(5), dtype=ag.float32)
    assert ag.gradient(f32)[0].dtype == np.float32
    f = ag.tensor(RNG.standard_normal((3, 5)), requires_grad=True)
    assert ag.gradcheck(lambda t: ag.gradient(t, spacing=0.7, edge_order=2), [f])


def test_gradient_refuses_too_few_samples_bad_spacing_and_bad_dims():
    with pytest.raises(ValueError, match="gradient: dim 0 has 2 samples; edge_order=2 needs at least 3"):
        ag.gradient(ag.tensor([1.0, 2.0]), edge_order=2)
    with pytest.raises(ValueError, match=r"gradient: the coordinates of dim 0 must have shape \(3,\)"):
        ag.gradient(ag.tensor([1.0, 2.0, 3.0]), spacing=([0.0, 1.0],))
    with pytest.raises(ValueError, match=r"gradient: dim must be ints in \[-1, 0\]"):
        ag.gradient(ag.tensor([1.0, 2.0, 3.0]), dim=1)
    with pytest.raises(ValueError, match="gradient: edge_order must be 1 or 2"):
        ag.gradient(ag.tensor([1.0, 2.0, 3.0]), edge_order=3)


def test_histogramdd_matches_numpy_for_counts_ranges_edges_weights_and_density():
    points = RNG.standard_normal((50, 2))
    h = ag.histogramdd(ag.tensor(points), bins=[3, 4])
    counts, edges = np.histogramdd(points, bins=[3, 4])
    assert np.array_equal(h.hist.numpy(), counts) and all(np.allclose(a.numpy(), b) for a, b in zip(h.bin_edges, edges))
    assert h.hist.numpy().sum() == 50
    weights = RNG.uniform(size=50)
    h = ag.histogramdd(ag.tensor(points), bins=2, range=[-1.0, 1.0, -2.0, 2.0], weight=ag.tensor(weights), density=True)
    expected, _ = np.histogramdd(points, bins=2, range=[(-1, 1), (-2, 2)], weights=weights, density=True)
    assert np.allclose(h.hist.numpy(), expected)
    explicit = ag.histogramdd(ag.tensor(points), bins=[ag.tensor([-3.0, 0.0, 3.0]), ag.tensor([-3.0, 3.0])])
    assert explicit.hist.numpy().ravel().tolist() == [np.sum(points[:, 0] < 0), np.sum(points[:, 0] >= 0)]


def test_histogramdd_refuses_bad_input():
    with pytest.raises(ValueError, match=r"histogramdd: input must be float points \(N, D\), got shape \(3,\)"):
        ag.histogramdd(ag.tensor([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match=r"histogramdd: range must be \[min0, max0, ...\] with 4 numbers"):
        ag.histogramdd(ag.tensor([[1.0, 2.0]]), range=[0.0, 1.0])
    with pytest.raises(ValueError, match=r"histogramdd: bins must give one entry per dimension \(2\), got 3"):
        ag.histogramdd(ag.tensor([[1.0, 2.0]]), bins=[2, 2, 2])


def test_svd_lowrank_is_exact_on_a_rank_3_matrix():
    A = RNG.standard_normal((20, 3)) @ RNG.standard_normal((3, 12))
    U, S, V = ag.svd_lowrank(ag.tensor(A), q=3, seed=0)
    assert np.allclose(S.numpy(), np.linalg.svd(A, compute_uv=False)[:3])
    assert np.allclose((U * S @ V.mT).numpy(), A)  # A = U diag(S) V^T
    assert np.allclose((U.mT @ U).numpy(), np.eye(3)) and np.allclose((V.mT @ V).numpy(), np.eye(3))
    assert U.shape == (20, 3) and V.shape == (12, 3)


def test_svd_lowrank_finds_the_leading_values_of_a_full_rank_matrix_and_subtracts_M():
    A = RNG.standard_normal((30, 10)) * np.geomspace(10, 0.01, 10)  # quickly decaying spectrum
    S = ag.svd_lowrank(ag.tensor(A), q=4, niter=4, seed=1).S
    assert np.allclose(S.numpy(), np.linalg.svd(A, compute_uv=False)[:4], rtol=1e-3)
    M = RNG.standard_normal((30, 10))
    shifted = ag.svd_lowrank(ag.tensor(A + M), q=10, M=ag.tensor(M), seed=2).S
    assert np.allclose(shifted.numpy(), np.linalg.svd(A, compute_uv=False))


def test_svd_lowrank_gradient_of_the_nuclear_norm_is_U_V_transpose():
    A = RNG.standard_normal((6, 2)) @ RNG.standard_normal((2, 5))
    x = ag.tensor(A, requires_grad=True)
    ag.svd_lowrank(x, q=2, seed=3).S.sum().backward()
    u, _, vh = np.linalg.svd(A)
    assert np.allclose(np.asarray(x.grad), u[:, :2] @ vh[:2], atol=1e-8)  # d(sum of sigma) / dA = U V^T


def test_pca_lowrank_recovers_the_direction_and_variance_of_centred_data():
    direction = np.array([3.0, 4.0]) / 5
    data = 7 + np.outer(RNG.standard_normal(200), direction) * 2.0 + 1e-9 * RNG.standard_normal((200, 2))
    _, S, V = ag.pca_lowrank(ag.tensor(data), q=1, seed=4)
    assert np.allclose(np.abs(V.numpy()[:, 0]), direction, atol=1e-6)
    centred = data - data.mean(0)
    assert np.isclose(S.item() ** 2 / 199, np.var(centred @ direction, ddof=1))
    uncentred = ag.pca_lowrank(ag.tensor(data), q=1, center=False, seed=4).S
    assert uncentred.item() > S.item()  # the mean's direction dominates when not removed


def test_svd_lowrank_refuses_bad_q_and_niter():
    with pytest.raises(ValueError, match=r"svd_lowrank: q must be an int in \[1, 2\] for a 3x2 matrix, got 5"):
        ag.svd_lowrank(ag.zeros(3, 2), q=5)
    with pytest.raises(ValueError, match="svd_lowrank: niter must be a non-negative int"):
        ag.svd_lowrank(ag.zeros(3, 2), q=1, niter=-1)
    with pytest.raises(ValueError, match=r"svd_lowrank: A must be float matrices \(..., m, n\), got shape \(3,\)"):
        ag.svd_lowrank(ag.zeros(3), q=1)


def test_deprecated_norms_and_rank():
    A = RNG.standard_normal((2, 3, 4))
    assert np.allclose(ag.nuclear_norm(ag.tensor(A[0])).item(), np.linalg.norm(A[0], "nuc"))
    assert np.allclose(
        ag.nuclear_norm(ag.tensor(A), dim=(1, 2), keepdim=True).numpy()[:, 0, 0], [np.linalg.norm(a, "nuc") for a in A]
    )
    assert np.isclose(ag.frobenius_norm(ag.tensor(A)).item(), np.sqrt((A**2).sum()))
    assert np.allclose(ag.frobenius_norm(ag.tensor(A), dim=(0, 2)).numpy(), np.sqrt((A**2).sum((0, 2))))
    x = ag.tensor(A[0], requires_grad=True)
    assert ag.gradcheck(lambda t: ag.frobenius_norm(t, dim=1), [x])
    rank_two = RNG.standard_normal((5, 2)) @ RNG.standard_normal((2, 5))
    assert ag.matrix_rank(ag.tensor(rank_two)).item() == 2 and ag.matrix_rank(ag.tensor(rank_two), tol=1e3).item() == 0
    assert ag.matrix_rank(ag.tensor(rank_two + rank_two.T), symmetric=True).item() == np.linalg.matrix_rank(
        rank_two + rank_two.T
    )


def test_old_lstsq_solve_symeig_eig_refuse_naming_the_replacements():
    with pytest.raises(TypeError, match=r"lstsq: torch.lstsq was removed .* write ag\.linalg\.lstsq\(A, B\)\.solution"):
        ag.lstsq(ag.ones(3, 1), ag.ones(3, 2))
    with pytest.raises(TypeError, match=r"solve: .* write ag\.linalg\.solve\(A, B\) \(A first"):
        ag.solve(ag.ones(2, 1), ag.eye(2))
    with pytest.raises(TypeError, match=r"symeig: .* write ag\.linalg\.eigh"):
        ag.symeig(ag.eye(2))
    with pytest.raises(TypeError, match=r"eig: .* write ag\.linalg\.eigh\(A\) for a symmetric A"):
        ag.eig(ag.eye(2))


def test_numerics_against_torch():
    torch = pytest.importorskip("torch")
    f = RNG.standard_normal((4, 5))
    for kwargs in ({}, {"spacing": 2.0, "edge_order": 2}, {"dim": 1}):
        ours, theirs = ag.gradient(ag.tensor(f), **kwargs), torch.gradient(torch.tensor(f), **kwargs)
        assert all(np.allclose(a.numpy(), b.numpy()) for a, b in zip(ours, theirs)), kwargs
    points = RNG.standard_normal((40, 3))
    ours, theirs = (
        ag.histogramdd(ag.tensor(points), bins=[2, 3, 4]),
        torch.histogramdd(torch.tensor(points), bins=[2, 3, 4]),
    )
    assert np.array_equal(ours.hist.numpy(), theirs.hist.numpy())
    assert all(np.allclose(a.numpy(), b.numpy()) for a, b in zip(ours.bin_edges, theirs.bin_edges))
    A = RNG.standard_normal((8, 2)) @ RNG.standard_normal((2, 6))
    S = torch.svd_lowrank(torch.tensor(A), q=2)[1].numpy()
    assert np.allclose(ag.svd_lowrank(ag.tensor(A), q=2).S.numpy(), S)
