"""ag.linalg's LU family and the _ex variants: lu_factor / lu (P L U = A, LAPACK's pivots, the gradient),
lu_solve in its four modes, inv_ex and cholesky_ex (info instead of an exception). Closed forms, finite
differences, torch at 1e-10, and the errors."""

import numpy as np
import pytest
from linalg_helpers import against_torch, gradchecks, leaf, rng, well_conditioned

import autograd_core as ag
from autograd_core import Tensor


# ------------------------------------------------------------------ lu_factor, lu
@pytest.mark.parametrize("shape", [(4, 4), (2, 3, 3), (5, 3), (3, 5)])
def test_p_l_u_rebuilds_a_with_unit_lower_l_and_upper_u(shape):
    a = rng(1).standard_normal(shape)
    p, lower, upper = ag.linalg.lu(Tensor(a))
    np.testing.assert_allclose((p @ lower @ upper).data, a, atol=1e-14)
    k = min(shape[-2:])
    assert lower.shape == (*shape[:-1], k) and upper.shape == (*shape[:-2], k, shape[-1])
    np.testing.assert_array_equal(np.diagonal(lower.data, axis1=-2, axis2=-1), 1.0)
    assert np.all(np.triu(lower.data, 1) == 0) and np.all(np.tril(upper.data, -1) == 0)
    assert np.all(np.abs(np.tril(lower.data, -1)) <= 1.0)  # partial pivoting: every multiplier at most 1


def test_lu_factor_pivots_are_lapacks_one_based_row_swaps():
    packed, pivots = ag.linalg.lu_factor(Tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert pivots.dtype == np.int32 and pivots.tolist() == [2, 2]  # swap rows 1 and 2, then nothing
    np.testing.assert_allclose(packed.data, [[3.0, 4.0], [1 / 3, 2 - 4 / 3]], rtol=1e-15)


def test_lu_gradient_against_finite_differences_and_again():
    a = rng(2).standard_normal((2, 3, 3))  # not diagonally dominant: rows are swapped
    assert np.any(ag.linalg.lu_factor(Tensor(a)).pivots.data != [1, 2, 3])
    gradchecks(lambda x: ag.linalg.lu_factor(x).LU, [a])
    gradchecks(lambda x: ag.linalg.lu(x).L * 2.0 + ag.linalg.lu(x).U, [a[0]])


# ------------------------------------------------------------------ lu_solve
@pytest.mark.parametrize(("left", "adjoint"), [(True, False), (True, True), (False, False), (False, True)])
def test_lu_solve_solves_each_of_the_four_systems(left, adjoint):
    a = well_conditioned(rng(3), 2, 3, 3)
    b = rng(4).standard_normal((2, 3, 2) if left else (2, 2, 3))
    packed, pivots = ag.linalg.lu_factor(Tensor(a))
    x = ag.linalg.lu_solve(packed, pivots, Tensor(b), left=left, adjoint=adjoint).data
    m = np.swapaxes(a, -1, -2) if adjoint else a
    np.testing.assert_allclose(m @ x if left else x @ m, b, atol=1e-13)
    gradchecks(lambda lu, rhs: ag.linalg.lu_solve(lu, pivots, rhs, left=left, adjoint=adjoint), [packed.data, b])


# ------------------------------------------------------------------ inv_ex, cholesky_ex
def test_inv_ex_reports_singular_matrices_in_info_and_inverts_the_rest_differentiably():
    a = leaf(np.stack([np.diag([2.0, 4.0]), [[1.0, 2.0], [2.0, 4.0]]]))
    inverse, info = ag.linalg.inv_ex(a)
    assert info.dtype == np.int32 and info.tolist() == [0, 2]
    np.testing.assert_allclose(inverse.data[0], np.diag([0.5, 0.25]))
    assert np.all(np.isnan(inverse.data[1]))  # undefined; info says so
    inverse[0].sum().backward()  # d sum(A^-1) / dA = -(A^-T 1)(1^T A^-T) = -v v^T, v = (1/2, 1/4)
    np.testing.assert_allclose(a.grad[0], -np.outer([0.5, 0.25], [0.5, 0.25]))
    assert np.all(a.grad[1] == 0)
    with pytest.raises(ValueError, match=r"singular"):
        ag.linalg.inv_ex(a, check_errors=True)


def test_cholesky_ex_reports_the_first_leading_minor_that_is_not_positive_definite():
    good = np.array([[4.0, 2.0], [2.0, 2.0]])
    bad = np.array([[1.0, 2.0], [2.0, 1.0]])  # the 2 x 2 minor: 1 - 4 < 0
    lower, info = ag.linalg.cholesky_ex(Tensor(np.stack([good, bad])))
    assert info.tolist() == [0, 2]
    np.testing.assert_allclose(lower.data[0], [[2.0, 0.0], [1.0, 1.0]])
    np.testing.assert_allclose(lower.data[1], [[1.0, 0.0], [2.0, -3.0]])  # LAPACK's partial factor
    upper, _ = ag.linalg.cholesky_ex(Tensor(good), upper=True)
    np.testing.assert_allclose(upper.data, [[2.0, 1.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match=r"not positive definite"):
        ag.linalg.cholesky_ex(Tensor(bad), check_errors=True)


# ------------------------------------------------------------------ errors
def test_bad_input_gets_a_clear_error():
    with pytest.raises(ValueError, match=r"linalg.lu_factor: pivot=False is not supported"):
        ag.linalg.lu_factor(Tensor(np.eye(2)), pivot=False)
    with pytest.raises(ValueError, match=r"lu_factor: backward is supported for square matrices only, got \(3, 2\)"):
        ag.linalg.lu_factor(leaf(rng(0).standard_normal((3, 2)))).LU.sum().backward()
    with pytest.raises(ValueError, match=r"lu_factor: backward is undefined where U has a zero on its diagonal"):
        ag.linalg.lu_factor(leaf([[1.0, 2.0], [2.0, 4.0]])).LU.sum().backward()
    with pytest.raises(ValueError, match=r"linalg.lu_solve: pivots must be integers of shape \(2,\)"):
        ag.linalg.lu_solve(Tensor(np.eye(2)), Tensor([1.0, 2.0]), Tensor(np.ones((2, 1))))
    with pytest.raises(ValueError, match=r"linalg.inv_ex: expects square matrices"):
        ag.linalg.inv_ex(Tensor(np.ones((2, 3))))
    with pytest.raises(TypeError, match=r"linalg.cholesky_ex: expects a float32 or float64 tensor, got int64"):
        ag.linalg.cholesky_ex(Tensor(np.eye(2, dtype=np.int64)))


# ------------------------------------------------------------------ torch as the oracle
@pytest.mark.parametrize("shape", [(4, 4), (2, 3, 3), (5, 3), (3, 5)])
def test_lu_factor_matches_torch_in_the_packed_factors_and_pivots(shape):
    torch = pytest.importorskip("torch")
    a = rng(5).standard_normal(shape)
    ours, theirs = ag.linalg.lu_factor(Tensor(a)), torch.linalg.lu_factor(torch.tensor(a))
    np.testing.assert_allclose(ours.LU.data, theirs.LU.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(ours.pivots.data, theirs.pivots.numpy())
    for ours_part, theirs_part in zip(ag.linalg.lu(Tensor(a)), torch.linalg.lu(torch.tensor(a)), strict=True):
        np.testing.assert_allclose(ours_part.data, theirs_part.numpy(), rtol=1e-12, atol=1e-14)


def test_lu_gradients_match_torch():
    torch = pytest.importorskip("torch")
    a = rng(6).standard_normal((2, 4, 4))
    against_torch(lambda x: ag.linalg.lu_factor(x).LU, lambda x: torch.linalg.lu_factor(x).LU, [a])
    against_torch(
        lambda x: ag.linalg.lu(x).L * 3.0 + ag.linalg.lu(x).U,
        lambda x: torch.linalg.lu(x).L * 3.0 + torch.linalg.lu(x).U,
        [a],
    )


@pytest.mark.parametrize(("left", "adjoint"), [(True, False), (True, True), (False, False), (False, True)])
def test_lu_solve_matches_torch(left, adjoint):
    torch = pytest.importorskip("torch")
    a = well_conditioned(rng(7), 2, 3, 3)
    b = rng(8).standard_normal((2, 3, 2) if left else (2, 2, 3))
    packed, pivots = ag.linalg.lu_factor(Tensor(a))
    torch_pivots = torch.tensor(pivots.data)
    against_torch(
        lambda lu, rhs: ag.linalg.lu_solve(lu, pivots, rhs, left=left, adjoint=adjoint),
        lambda lu, rhs: torch.linalg.lu_solve(lu, torch_pivots, rhs, left=left, adjoint=adjoint),
        [packed.data, b],
    )


def test_inv_ex_and_cholesky_ex_match_torch():
    torch = pytest.importorskip("torch")
    singular = np.array([[[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 1.0, 1.0]], [[0.0] * 3] * 3])
    a = np.concatenate([well_conditioned(rng(9), 1, 3, 3), singular])
    np.testing.assert_array_equal(ag.linalg.inv_ex(Tensor(a)).info.data, torch.linalg.inv_ex(torch.tensor(a)).info)
    against_torch(lambda x: ag.linalg.inv_ex(x).inverse, lambda x: torch.linalg.inv_ex(x).inverse, [a[:1]])
    spd = np.array([[4.0, 2.0, 0.0], [2.0, 5.0, 1.0], [0.0, 1.0, 3.0]])
    cases = np.stack(
        [spd, [[1.0, 0.0, 0.0], [0.0, 1.0, 2.0], [0.0, 2.0, 1.0]], [[-1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]]
    )
    ours, theirs = ag.linalg.cholesky_ex(Tensor(cases)), torch.linalg.cholesky_ex(torch.tensor(cases))
    np.testing.assert_array_equal(ours.info.data, theirs.info.numpy())
    np.testing.assert_allclose(ours.L.data, theirs.L.numpy(), rtol=1e-14)
    against_torch(lambda x: ag.linalg.cholesky_ex(x).L, lambda x: torch.linalg.cholesky_ex(x).L, [spd])
