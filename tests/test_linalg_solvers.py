"""ag.linalg's least squares and rank: pinv (the Penrose conditions, the cutoff, hermitian), lstsq (an exactly
solvable system, the normal equations, torch's named result per driver), matrix_rank, solve_triangular (one
triangle read, its gradient there only). Finite differences, closed forms, torch at 1e-10, and the errors."""

import numpy as np
import pytest
from linalg_helpers import against_torch, gradchecks, leaf, rng, well_conditioned

import autograd_core as ag
from autograd_core import Tensor


# ------------------------------------------------------------------ pinv
@pytest.mark.parametrize("shape", [(4, 3), (3, 5), (2, 3, 3)])
def test_pinv_satisfies_the_four_penrose_conditions(shape):
    a = rng(1).standard_normal(shape)
    p = ag.linalg.pinv(Tensor(a)).data
    t = np.swapaxes
    for got, want in [(a @ p @ a, a), (p @ a @ p, p), (t(a @ p, -1, -2), a @ p), (t(p @ a, -1, -2), p @ a)]:
        np.testing.assert_allclose(got, want, atol=1e-13)


def test_pinv_of_a_rank_deficient_matrix_leaves_the_null_directions_at_zero():
    u, v = np.array([1.0, 2.0, 2.0]), np.array([3.0, 0.0, 4.0])
    a = np.outer(u, v)  # rank 1: A^+ = v u^T / (|u|^2 |v|^2)
    np.testing.assert_allclose(ag.linalg.pinv(Tensor(a)).data, np.outer(v, u) / (9.0 * 25.0), atol=1e-15)
    # a cutoff above the smaller singular value drops it: pinv(diag(2, 1e-3), atol=0.01) = diag(1/2, 0)
    np.testing.assert_allclose(ag.linalg.pinv(Tensor(np.diag([2.0, 1e-3])), atol=0.01).data, np.diag([0.5, 0.0]))
    np.testing.assert_allclose(ag.linalg.pinv(Tensor(np.diag([2.0, 1e-3])), rtol=1e-2).data, np.diag([0.5, 0.0]))
    np.testing.assert_allclose(ag.linalg.pinv(Tensor(np.diag([2.0, 1e-3]))).data, np.diag([0.5, 1e3]), rtol=1e-14)


def test_pinv_hermitian_reads_the_lower_triangle_and_handles_negative_eigenvalues():
    s = np.array([[2.0, 99.0], [1.0, -3.0]])  # the 99 is not read
    symmetric = np.array([[2.0, 1.0], [1.0, -3.0]])
    np.testing.assert_allclose(
        ag.linalg.pinv(Tensor(s), hermitian=True).data, np.linalg.inv(symmetric), rtol=1e-14, atol=1e-15
    )


def test_pinv_gradient_against_finite_differences_and_again():
    gradchecks(ag.linalg.pinv, [rng(2).standard_normal((4, 3))])
    gradchecks(ag.linalg.pinv, [rng(3).standard_normal((2, 5))])


def test_pinv_gradient_at_a_rank_deficient_matrix_is_the_constant_rank_derivative():
    # moving along the rank-1 manifold (A = u v^T, both factors perturbed) the rank stays 1: finite differences
    # of pinv(u(t) v(t)^T) are the formula's directional derivative
    u0, v0 = rng(4).standard_normal(3), rng(5).standard_normal(2)
    du, dv = rng(6).standard_normal(3), rng(7).standard_normal(2)
    weights = rng(8).standard_normal((2, 3))
    a = leaf(np.outer(u0, v0))
    (ag.linalg.pinv(a) * weights).sum().backward()
    eps = 1e-6

    def loss(t):
        return (np.linalg.pinv(np.outer(u0 + t * du, v0 + t * dv)) * weights).sum()

    direction = np.outer(du, v0) + np.outer(u0, dv)
    assert (a.grad * direction).sum() == pytest.approx((loss(eps) - loss(-eps)) / (2 * eps), rel=1e-6)


# ------------------------------------------------------------------ lstsq, matrix_rank
def test_lstsq_of_an_exactly_solvable_system_recovers_the_solution():
    a = rng(9).standard_normal((5, 3))
    x = rng(10).standard_normal((3, 2))
    result = ag.linalg.lstsq(Tensor(a), Tensor(a @ x), driver="gelsd")
    np.testing.assert_allclose(result.solution.data, x, rtol=1e-12)
    np.testing.assert_allclose(result.residuals.data, [0.0, 0.0], atol=1e-25)
    assert result.rank.item() == 3 and result.singular_values.shape == (3,)


def test_lstsq_solves_the_normal_equations_and_its_gradient_is_theirs():
    a, b = rng(11).standard_normal((2, 6, 3)), rng(12).standard_normal((2, 6))  # a batch of vector right sides
    got = ag.linalg.lstsq(Tensor(a), Tensor(b)).solution
    normal = np.linalg.solve(np.swapaxes(a, -1, -2) @ a, np.swapaxes(a, -1, -2) @ b[..., None])[..., 0]
    np.testing.assert_allclose(got.data, normal, rtol=1e-12)
    gradchecks(lambda x, y: ag.linalg.lstsq(x, y).solution, [a, b])


def test_lstsq_of_a_wide_or_rank_deficient_system_is_the_minimum_norm_solution():
    a = np.array([[1.0, 1.0]])  # x1 + x2 = 2: the least-norm solution is (1, 1)
    np.testing.assert_allclose(ag.linalg.lstsq(Tensor(a), Tensor([2.0])).solution.data, [1.0, 1.0], rtol=1e-14)
    rank_one = np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]])
    result = ag.linalg.lstsq(Tensor(rank_one), Tensor([1.0, 2.0, 3.0]), driver="gelsd")
    np.testing.assert_allclose(result.solution.data, [0.2, 0.4], rtol=1e-13)
    assert result.rank.item() == 1 and result.residuals.shape == (0,)  # rank-deficient: no residuals, as torch


def test_matrix_rank_counts_singular_values_above_the_tolerance():
    a = np.stack([np.diag([3.0, 1e-9, 0.0]), np.eye(3)])
    np.testing.assert_array_equal(ag.linalg.matrix_rank(Tensor(a)).data, [2, 3])
    np.testing.assert_array_equal(ag.linalg.matrix_rank(Tensor(a), atol=1e-6).data, [1, 3])
    np.testing.assert_array_equal(ag.linalg.matrix_rank(Tensor(a), rtol=1e-3).data, [1, 3])
    assert ag.linalg.matrix_rank(Tensor([[1.0, 2.0], [2.0, -1.0]]), hermitian=True).item() == 2


# ------------------------------------------------------------------ solve_triangular
def test_solve_triangular_reads_one_triangle_and_sends_the_gradient_there_only():
    a = leaf(well_conditioned(rng(13), 4, 4))
    b = rng(14).standard_normal((4, 2))
    x = ag.linalg.solve_triangular(a, Tensor(b), upper=True)
    np.testing.assert_allclose(np.triu(a.data) @ x.data, b, atol=1e-13)
    x.sum().backward()
    assert np.all(np.tril(a.grad, -1) == 0) and np.all(np.diag(a.grad) != 0)
    a.grad = None
    y = ag.linalg.solve_triangular(a, Tensor(b.T), upper=False, left=False, unitriangular=True)
    lower_unit = np.tril(a.data, -1) + np.eye(4)
    np.testing.assert_allclose(y.data @ lower_unit, b.T, atol=1e-13)
    y.sum().backward()
    assert np.all(np.triu(a.grad) == 0)  # neither the upper triangle nor the diagonal is read
    gradchecks(lambda m, r: ag.linalg.solve_triangular(m, r, upper=False), [a.data, b])


# ------------------------------------------------------------------ errors
def test_bad_input_gets_a_clear_error():
    m = Tensor(np.eye(3))
    with pytest.raises(TypeError, match=r"linalg.pinv: expects a float32 or float64 tensor, got int64"):
        ag.linalg.pinv(Tensor(np.eye(2, dtype=np.int64)))
    with pytest.raises(ValueError, match=r"linalg.pinv: expects square matrices"):
        ag.linalg.pinv(Tensor(np.ones((2, 3))), hermitian=True)
    with pytest.raises(ValueError, match=r"linalg.pinv: atol must be a number >= 0 \(or None\), got -1"):
        ag.linalg.pinv(m, atol=-1)
    with pytest.raises(ValueError, match=r"linalg.pinv: give rcond or rtol, not both"):
        ag.linalg.pinv(m, 1e-3, rtol=1e-3)
    with pytest.raises(ValueError, match=r"linalg.lstsq: B of shape \(2,\) does not fit A of shape \(3, 3\)"):
        ag.linalg.lstsq(m, Tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match=r"linalg.lstsq: driver must be one of \('gels', 'gelsy'"):
        ag.linalg.lstsq(m, m, driver="gesv")
    with pytest.raises(TypeError, match=r"linalg.lstsq: A is float64 and B is float32"):
        ag.linalg.lstsq(m, Tensor(np.eye(3, dtype=np.float32)))
    with pytest.raises(ValueError, match=r"solve_triangular: B of shape \(2, 1\) does not fit A of shape \(3, 3\)"):
        ag.linalg.solve_triangular(m, Tensor(np.ones((2, 1))), upper=True)
    with pytest.raises(ValueError, match=r"linalg.solve_triangular: a zero on A's diagonal .* linalg.lstsq"):
        ag.linalg.solve_triangular(Tensor(np.diag([1.0, 0.0])), Tensor(np.ones((2, 1))), upper=True)
    with pytest.raises(TypeError, match=r"solve_triangular\(\) missing 1 required keyword-only argument: 'upper'"):
        ag.linalg.solve_triangular(m, m)  # torch's signature: upper has no default


# ------------------------------------------------------------------ torch as the oracle
@pytest.mark.parametrize("shape", [(4, 3), (3, 5), (2, 4, 4)])
def test_pinv_matches_torch(shape):
    torch = pytest.importorskip("torch")
    a = rng(15).standard_normal(shape)
    against_torch(ag.linalg.pinv, torch.linalg.pinv, [a])
    s = a[..., :3, :3] + np.swapaxes(a[..., :3, :3], -1, -2)
    against_torch(
        lambda x: ag.linalg.pinv(x, hermitian=True), lambda x: torch.linalg.pinv(x, hermitian=True), [s], rtol=1e-9
    )


def test_pinv_of_a_rank_deficient_matrix_matches_torch_in_value_and_gradient():
    torch = pytest.importorskip("torch")
    a = rng(16).standard_normal((4, 2)) @ rng(17).standard_normal((2, 3))  # rank 2 of 3
    against_torch(ag.linalg.pinv, torch.linalg.pinv, [a], rtol=1e-8, atol=1e-9)


@pytest.mark.parametrize("driver", [None, "gels", "gelsy", "gelsd", "gelss"])
def test_lstsq_matches_torch_field_by_field(driver):
    torch = pytest.importorskip("torch")
    a, b = rng(18).standard_normal((2, 5, 3)), rng(19).standard_normal((2, 5, 2))
    ours = ag.linalg.lstsq(Tensor(a), Tensor(b), driver=driver)
    theirs = torch.linalg.lstsq(torch.tensor(a), torch.tensor(b), driver=driver)
    for field in ("solution", "residuals", "rank", "singular_values"):
        got, want = getattr(ours, field).data, getattr(theirs, field).numpy()
        assert got.shape == want.shape and got.dtype == want.dtype, field
        np.testing.assert_allclose(got, want, rtol=1e-10, err_msg=field)
    against_torch(
        lambda x, y: ag.linalg.lstsq(x, y, driver=driver).solution,
        lambda x, y: torch.linalg.lstsq(x, y, driver=driver).solution,
        [a, b],
    )


def test_matrix_rank_and_solve_triangular_match_torch():
    torch = pytest.importorskip("torch")
    a = np.stack([np.diag([3.0, 1e-9, 0.0]), rng(20).standard_normal((3, 3))])
    for kwargs in ({}, {"atol": 1e-6}, {"rtol": 0.5}, {"hermitian": True}):
        want = torch.linalg.matrix_rank(torch.tensor(a), **kwargs).numpy()
        np.testing.assert_array_equal(ag.linalg.matrix_rank(Tensor(a), **kwargs).data, want)
    m, b = well_conditioned(rng(21), 2, 3, 3), rng(22).standard_normal((3, 4))  # B's batch broadcasts
    for kwargs in ({"upper": True}, {"upper": False, "unitriangular": True}):
        against_torch(
            lambda x, y, k=kwargs: ag.linalg.solve_triangular(x, y, **k),
            lambda x, y, k=kwargs: torch.linalg.solve_triangular(x, y, **k),
            [m, b],
        )
    against_torch(
        lambda x, y: ag.linalg.solve_triangular(x, y, upper=False, left=False),
        lambda x, y: torch.linalg.solve_triangular(x, y, upper=False, left=False),
        [m, b.T],
    )
