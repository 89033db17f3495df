"""The ``torch.linalg`` names ``ag.linalg`` lacked: ``cross vecdot matmul tensorinv tensorsolve householder_product
solve_ex lu_factor_ex ldl_factor ldl_factor_ex ldl_solve`` and the refusing ``eig eigvals``. Checked against
numpy (``np.cross``, ``np.linalg.tensorinv``/``tensorsolve``, QR's raw Householder form), closed forms (a 2x2 pivot
for [[0, 1], [1, 0]], the reconstruction A = P L D L^T P^T), finite differences, and torch where installed
(the LDL factors bit for bit: LAPACK's layout).
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import linalg

RNG = np.random.default_rng(5)


def test_cross_matches_numpy_broadcasts_and_is_differentiable():
    a, b = RNG.standard_normal((4, 3)), RNG.standard_normal(3)
    assert np.allclose(linalg.cross(ag.tensor(a), ag.tensor(b)).numpy(), np.cross(a, b))
    c = RNG.standard_normal((3, 2))
    assert np.allclose(
        linalg.cross(ag.tensor(c), ag.tensor(c[::-1].copy()), dim=0).numpy(), np.cross(c, c[::-1], axis=0)
    )
    x, y = ag.tensor(a, requires_grad=True), ag.tensor(RNG.standard_normal((4, 3)), requires_grad=True)
    assert ag.gradcheck(lambda p, q: linalg.cross(p, q), [x, y])
    with pytest.raises(
        ValueError, match=r"linalg.cross: dim -1 must have size 3 in both, got shapes \(2,\) and \(2,\)"
    ):
        linalg.cross(ag.zeros(2), ag.zeros(2))


def test_vecdot_and_matmul():
    x, y = RNG.standard_normal((2, 5)), RNG.standard_normal(5)
    assert np.allclose(linalg.vecdot(ag.tensor(x), ag.tensor(y)).numpy(), x @ y)
    assert np.allclose(linalg.vecdot(ag.tensor(x), ag.tensor(x), dim=0).numpy(), (x * x).sum(0))
    assert ag.gradcheck(lambda p: linalg.vecdot(p, p), [ag.tensor(x, requires_grad=True)])
    with pytest.raises(ValueError, match=r"linalg\.vecdot: the vectors along dim -1 must have one length"):
        linalg.vecdot(ag.zeros(2, 3), ag.zeros(4))
    assert np.allclose(linalg.matmul(ag.tensor(x), ag.tensor(y)).numpy(), x @ y)


def test_tensorinv_and_tensorsolve_match_numpy():
    A = RNG.standard_normal((4, 6, 8, 3))
    assert np.allclose(linalg.tensorinv(ag.tensor(A), ind=2).numpy(), np.linalg.tensorinv(A, ind=2))
    B = RNG.standard_normal((6, 2, 3))
    assert np.allclose(linalg.tensorinv(ag.tensor(B), ind=1).numpy(), np.linalg.tensorinv(B, ind=1))
    M, rhs = RNG.standard_normal((6, 2, 3)), RNG.standard_normal(6)
    assert np.allclose(linalg.tensorsolve(ag.tensor(M), ag.tensor(rhs)).numpy(), np.linalg.tensorsolve(M, rhs))
    N, rhs2 = RNG.standard_normal((2, 3, 6)), RNG.standard_normal((2, 3))
    assert np.allclose(linalg.tensorsolve(ag.tensor(N), ag.tensor(rhs2)).numpy(), np.linalg.tensorsolve(N, rhs2))
    moved = RNG.standard_normal((3, 6, 2))  # dims=(0,) moves axis 0 to the end: the system is (6, 2, 3)
    assert np.allclose(
        linalg.tensorsolve(ag.tensor(moved), ag.tensor(rhs), dims=(0,)).numpy(),
        np.linalg.tensorsolve(moved, rhs, axes=(0,)),
    )
    x = ag.tensor(B, requires_grad=True)
    assert ag.gradcheck(lambda t: linalg.tensorinv(t, ind=1), [x])
    with pytest.raises(
        ValueError, match=r"linalg.tensorinv: the sizes before and after ind=1 must have equal products"
    ):
        linalg.tensorinv(ag.zeros(2, 3), ind=1)
    with pytest.raises(ValueError, match=r"linalg\.tensorsolve: A of shape .* maps 4 unknowns to 6 equations"):
        linalg.tensorsolve(ag.zeros(6, 4), ag.zeros(6))


def test_householder_product_of_qr_raw_reflectors_is_q_and_is_differentiable():
    A = RNG.standard_normal((6, 4))
    h, tau = np.linalg.qr(A, mode="raw")  # LAPACK geqrf's packed reflectors, transposed
    Q = linalg.householder_product(ag.tensor(h.T.copy()), ag.tensor(tau)).numpy()
    assert np.allclose(Q, np.linalg.qr(A)[0])
    assert np.allclose(Q.T @ Q, np.eye(4))
    batch = np.stack([h.T, h.T]), np.stack([tau, tau])
    assert np.allclose(linalg.householder_product(*map(ag.tensor, batch)).numpy()[1], Q)
    fewer = linalg.householder_product(ag.tensor(h.T.copy()), ag.tensor(tau[:2])).numpy()  # k = 2 < n = 4
    v = [np.r_[np.zeros(i), 1.0, h.T[i + 1 :, i]] for i in range(2)]
    H = [np.eye(6) - tau[i] * np.outer(v[i], v[i]) for i in range(2)]
    assert np.allclose(fewer, (H[0] @ H[1])[:, :4])
    x, t = (
        ag.tensor(RNG.standard_normal((5, 3)), requires_grad=True),
        ag.tensor(RNG.uniform(1, 2, 3), requires_grad=True),
    )
    assert ag.gradcheck(lambda p, q: linalg.householder_product(p, q), [x, t])
    with pytest.raises(ValueError, match=r"linalg.householder_product: needs A \(..., m, n\) with m >= n"):
        linalg.householder_product(ag.zeros(2, 3), ag.zeros(2))


def test_geqrf_orgqr_ormqr_give_qr_without_forming_q():
    A = RNG.standard_normal((2, 5, 3))
    a, tau = ag.geqrf(ag.tensor(A))
    R = np.linalg.qr(A, mode="r")
    assert np.allclose(np.abs(np.triu(a.numpy())[:, :3]), np.abs(R[:, :3]))  # R up to the signs of its rows
    Q = ag.orgqr(a, tau).numpy()
    assert np.allclose(Q @ np.triu(a.numpy()[:, :3]), A)  # A = Q R from geqrf's own factors
    C = RNG.standard_normal((2, 5, 4))
    full_q = ag.ormqr(a, tau, ag.tensor(np.broadcast_to(np.eye(5), (2, 5, 5)).copy())).numpy()
    assert np.allclose(full_q[..., :3], Q) and np.allclose(full_q @ np.swapaxes(full_q, -1, -2), np.eye(5))
    for left, transpose, expected in (
        (True, False, full_q @ C),
        (True, True, np.swapaxes(full_q, -1, -2) @ C),
        (False, False, np.swapaxes(C, -1, -2) @ full_q),
        (False, True, np.swapaxes(C, -1, -2) @ np.swapaxes(full_q, -1, -2)),
    ):
        other = C if left else np.swapaxes(C, -1, -2).copy()
        assert np.allclose(ag.ormqr(a, tau, ag.tensor(other), left, transpose).numpy(), expected), (left, transpose)
    x, t = ag.tensor(a.numpy()[0], requires_grad=True), ag.tensor(tau.numpy()[0], requires_grad=True)
    c = ag.tensor(C[0], requires_grad=True)
    assert ag.gradcheck(lambda p, q, r: ag.ormqr(p, q, r, transpose=True), [x, t, c])
    with pytest.raises(ValueError, match=r"ormqr: other must have 5 rows \(Q is 5x5\), got shape \(4, 2\)"):
        ag.ormqr(a[0], tau[0], ag.zeros(4, 2))
    with pytest.raises(ValueError, match=r"geqrf: is not differentiable \(torch's neither\)"):
        ag.geqrf(ag.tensor(A, requires_grad=True))


def test_solve_ex_reports_a_singular_matrix_in_info():
    A = np.stack([np.array([[2.0, 1.0], [1.0, 3.0]]), np.array([[1.0, 2.0], [2.0, 4.0]])])
    b = RNG.standard_normal((2, 2, 1))
    result, info = linalg.solve_ex(ag.tensor(A), ag.tensor(b))
    assert info.tolist() == [0, 2] and info.dtype == np.int32
    assert np.allclose(result.numpy()[0], np.linalg.solve(A[0], b[0])) and np.isnan(result.numpy()[1]).all()
    vector, info = linalg.solve_ex(ag.tensor(A[1]), ag.tensor([1.0, 2.0]))
    assert info.item() == 2 and np.isnan(vector.numpy()).all()
    with pytest.raises(ValueError, match=r"linalg.solve_ex: matrix \[1\] of the batch is singular"):
        linalg.solve_ex(ag.tensor(A), ag.tensor(b), check_errors=True)
    x = ag.tensor(A[0], requires_grad=True)
    assert ag.gradcheck(lambda t: linalg.solve_ex(t, ag.tensor([1.0, 2.0])).result, [x])


def test_lu_factor_ex_is_lu_factor_with_info():
    A = RNG.standard_normal((3, 4, 4))
    A[2, :, 1] = 0.0  # a zero column: U's second pivot is zero
    LU, pivots, info = linalg.lu_factor_ex(ag.tensor(A))
    expected = linalg.lu_factor(ag.tensor(A))
    assert np.array_equal(LU.numpy(), expected.LU.numpy()) and np.array_equal(pivots.numpy(), expected.pivots.numpy())
    assert info.tolist() == [0, 0, 2]
    with pytest.raises(ValueError, match=r"linalg\.lu_factor_ex: matrix \[2\] of the batch is singular"):
        linalg.lu_factor_ex(ag.tensor(A), check_errors=True)


def test_eig_and_eigvals_refuse_naming_eigh():
    for fn in (linalg.eig, linalg.eigvals):
        with pytest.raises(TypeError, match=r"no complex dtype; for a symmetric matrix use ag\.linalg\.eigh"):
            fn(ag.eye(2))


def _reconstruct(LD: np.ndarray, pivots: np.ndarray) -> np.ndarray:
    """A from sytf2's factors, by applying the elimination steps backwards (LAPACK's own definition)."""
    n = LD.shape[0]
    steps = []
    k = 0
    while k < n:
        size = 1 if pivots[k] > 0 else 2
        steps.append((k, size, abs(pivots[k]) - 1))
        k += size
    L_total, D = np.eye(n), np.zeros((n, n))
    for k, size, kp in steps:  # A = (P1 L1 P2 L2 ...) D (...)^T with each L_k the identity but for its column(s)
        P = np.eye(n)
        P[[k + size - 1, kp]] = P[[kp, k + size - 1]]
        L = np.eye(n)
        L[k + size :, k : k + size] = LD[k + size :, k : k + size]
        D[k : k + size, k : k + size] = LD[k : k + size, k : k + size]
        L_total = L_total @ P @ L
    D = np.tril(D) + np.tril(D, -1).T
    return L_total @ D @ L_total.T


def test_ldl_factor_needs_a_2x2_pivot_for_the_swap_matrix_and_solves_it():
    LD, pivots = linalg.ldl_factor(ag.tensor([[0.0, 1.0], [1.0, 0.0]]))
    assert pivots.tolist() == [-2, -2] and LD.tolist() == [[0.0, 0.0], [1.0, 0.0]]
    assert linalg.ldl_solve(LD, pivots, ag.tensor([[2.0], [3.0]])).tolist() == [[3.0], [2.0]]


@pytest.mark.parametrize("seed", range(6))
def test_ldl_factor_reconstructs_and_solves_random_indefinite_matrices(seed):
    rng = np.random.default_rng(seed)
    n = 5 + seed % 3
    M = rng.standard_normal((n, n))
    A = M + M.T
    A[np.diag_indices(n)] *= 0.01 * seed  # small diagonals force 2x2 pivots
    LD, pivots, info = linalg.ldl_factor_ex(ag.tensor(A))
    assert info.item() == 0 and np.allclose(np.triu(LD.numpy(), 1), 0)
    assert np.allclose(_reconstruct(LD.numpy(), pivots.numpy()), A)
    B = rng.standard_normal((n, 3))
    assert np.allclose(linalg.ldl_solve(LD, pivots, ag.tensor(B)).numpy(), np.linalg.solve(A, B))
    if seed >= 2:
        assert (pivots.numpy() < 0).any()  # the case the 2x2 blocks exist for was exercised


def test_ldl_batches_reports_singular_and_refuses_gradients():
    A = RNG.standard_normal((3, 4, 4))
    A = A + np.swapaxes(A, -1, -2)
    A[1] = 0.0
    LD, pivots, info = linalg.ldl_factor_ex(ag.tensor(A))
    assert info.tolist() == [0, 1, 0] and LD.shape == (3, 4, 4) and pivots.shape == (3, 4)
    B = RNG.standard_normal((2, 4, 2))
    solved = linalg.ldl_solve(LD[::2], pivots[::2], ag.tensor(B)).numpy()
    assert np.allclose(solved, np.linalg.solve(A[::2], B))
    with pytest.raises(ValueError, match=r"linalg.ldl_factor_ex: D has a zero diagonal block at \[1\]"):
        linalg.ldl_factor_ex(ag.tensor(A), check_errors=True)
    with pytest.raises(
        ValueError, match=r"linalg\.ldl_factor: is not differentiable \(torch's neither\), and an input requires grad"
    ):
        linalg.ldl_factor(ag.tensor(A[0], requires_grad=True))
    with ag.no_grad():
        assert linalg.ldl_factor(ag.tensor(A[0], requires_grad=True)).LD.shape == (4, 4)
    with pytest.raises(ValueError, match=r"linalg.ldl_solve: pivots must be integers of shape \(4,\)"):
        linalg.ldl_solve(LD[0], ag.tensor([1.0, 2.0, 3.0, 4.0]), ag.tensor(B[0]))
    with pytest.raises(TypeError, match=r"linalg\.ldl_factor: expects a float32 or float64 tensor"):
        linalg.ldl_factor(ag.tensor([[1, 0], [0, 1]]))


def test_linalg_against_torch():
    torch = pytest.importorskip("torch")
    for seed in range(20):  # Bunch-Kaufman's choices, LAPACK's layout: equal factors, equal pivots
        rng = np.random.default_rng(100 + seed)
        n = int(rng.integers(1, 8))
        M = rng.standard_normal((n, n))
        A = M + M.T
        if seed % 2:
            A[np.diag_indices(n)] = 0.0
        ours, theirs = linalg.ldl_factor_ex(ag.tensor(A)), torch.linalg.ldl_factor_ex(torch.tensor(A))
        assert np.allclose(ours.LD.numpy(), theirs.LD.numpy(), atol=1e-12), A
        assert ours.pivots.tolist() == theirs.pivots.tolist() and ours.info.item() == theirs.info.item()
    A = RNG.standard_normal((5, 3))
    h, tau = torch.geqrf(torch.tensor(A))
    ours = ag.geqrf(ag.tensor(A))
    assert np.allclose(ours.a.numpy(), h.numpy()) and np.allclose(ours.tau.numpy(), tau.numpy())
    C = RNG.standard_normal((5, 2))
    assert np.allclose(
        ag.ormqr(ours.a, ours.tau, ag.tensor(C), transpose=True).numpy(),
        torch.ormqr(h, tau, torch.tensor(C), transpose=True).numpy(),
    )
    assert np.allclose(
        linalg.householder_product(ag.tensor(h.numpy()), ag.tensor(tau.numpy())).numpy(),
        torch.linalg.householder_product(h, tau).numpy(),
    )
    a, b = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 3))
    assert np.allclose(
        linalg.cross(ag.tensor(a), ag.tensor(b)).numpy(), torch.linalg.cross(torch.tensor(a), torch.tensor(b)).numpy()
    )
    singular = torch.tensor([[1.0, 2.0], [2.0, 4.0]], dtype=torch.float64)
    assert (
        linalg.lu_factor_ex(ag.tensor(singular.numpy())).info.item() == torch.linalg.lu_factor_ex(singular).info.item()
    )
    assert (
        linalg.solve_ex(ag.tensor(singular.numpy()), ag.ones(2)).info.item()
        == torch.linalg.solve_ex(singular, torch.ones(2, dtype=torch.float64)).info.item()
    )
