"""ag.linalg's matrix functions (det, slogdet, inv, solve, cholesky, eigh, eigvalsh, svd, svdvals) and torch's
top-level spellings (ag.det, ag.logdet, ag.slogdet, ag.inverse): closed forms, finite differences, shapes as
torch, and the errors. Every primitive is also in the gradcheck / second-order / torch sweep
(tests/linalg_special_cases.py); the torch comparisons here are in test_linalg_matrix_torch.py.
"""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor

RNG = np.random.default_rng(7)


def well_conditioned(*shape):
    return RNG.standard_normal(shape) + shape[-1] * np.eye(shape[-1])


def leaf(a):
    return Tensor(np.array(a, dtype=float), requires_grad=True)


# ------------------------------------------------------------------ closed forms
def test_det_of_a_triangular_matrix_is_the_product_of_its_diagonal_and_its_gradient_the_cofactors():
    a = leaf([[2.0, 0.0, 0.0], [5.0, -3.0, 0.0], [1.0, 4.0, 0.5]])
    d = ag.linalg.det(a)
    assert d.item() == pytest.approx(2.0 * -3.0 * 0.5, rel=1e-14)
    d.backward()
    # d det / dA = det(A) A^-T; for the diagonal entries of a triangular A that is the product of the others
    np.testing.assert_allclose(np.diag(a.grad), [-1.5, 1.0, -6.0], rtol=1e-13)
    np.testing.assert_allclose(a.grad, d.item() * np.linalg.inv(a.data).T, rtol=1e-13, atol=1e-14)


def test_inv_times_the_matrix_is_the_identity_for_a_batch():
    a = well_conditioned(2, 3, 4, 4)
    np.testing.assert_allclose((ag.linalg.inv(a) @ a).data, np.broadcast_to(np.eye(4), a.shape), atol=1e-13)
    assert ag.inverse is ag.linalg.inv


def test_the_gradient_of_log_det_is_the_inverse_transpose():
    a = leaf(well_conditioned(4, 4))
    sign, logabsdet = ag.linalg.slogdet(a)
    logabsdet.backward()
    np.testing.assert_allclose(a.grad, np.linalg.inv(a.data).T, rtol=1e-12, atol=1e-14)
    assert sign.item() == np.sign(np.linalg.det(a.data)) and not sign.requires_grad


def test_logdet_is_nan_for_a_negative_determinant_and_minus_inf_for_a_singular_one():
    spd = Tensor([[2.0, 1.0], [1.0, 2.0]])
    assert ag.logdet(spd).item() == pytest.approx(np.log(3.0), rel=1e-14)
    assert np.isnan(ag.logdet(Tensor([[0.0, 1.0], [1.0, 0.0]])).item())
    assert ag.logdet(Tensor([[1.0, 2.0], [2.0, 4.0]])).item() == -np.inf
    assert ag.det is ag.linalg.det and ag.slogdet is ag.linalg.slogdet


def test_det_has_a_gradient_at_a_singular_matrix_the_transposed_adjugate():
    a = leaf([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])  # rank 2
    ag.linalg.det(a).backward()
    cofactors = np.array([[np.linalg.det(np.delete(np.delete(a.data, i, 0), j, 1)) * (-1) ** (i + j)
                           for j in range(3)] for i in range(3)])  # fmt: skip
    np.testing.assert_allclose(a.grad, cofactors, atol=1e-12)
    assert ag.gradcheck(ag.linalg.det, [leaf(a.data)], atol=1e-6, rtol=1e-5)  # finite differences agree


def test_cholesky_of_a_known_matrix():
    a = Tensor([[4.0, 12.0, -16.0], [12.0, 37.0, -43.0], [-16.0, -43.0, 98.0]])
    expected = np.array([[2.0, 0.0, 0.0], [6.0, 1.0, 0.0], [-8.0, 5.0, 3.0]])
    np.testing.assert_allclose(ag.linalg.cholesky(a).data, expected, atol=1e-13)
    np.testing.assert_allclose(ag.linalg.cholesky(a, upper=True).data, expected.T, atol=1e-13)


def test_cholesky_gradient_is_symmetric_and_matches_finite_differences_of_a_symmetric_input():
    x = leaf(RNG.standard_normal((3, 3)))
    spd = lambda x: x @ x.mT + 3 * np.eye(3)  # noqa: E731
    assert ag.gradcheck(lambda x: ag.linalg.cholesky(spd(x)).sum(), [x])
    a = leaf(spd(x.data))
    (ag.linalg.cholesky(a) * RNG.standard_normal((3, 3))).sum().backward()
    np.testing.assert_allclose(a.grad, a.grad.T, atol=1e-14)


def test_solve_matches_the_definition_and_torchs_vector_and_matrix_rules():
    a = well_conditioned(2, 3, 3)
    cases = {  # B's shape -> X's shape, as torch.linalg.solve
        (3,): (2, 3),  # a 1-d B is one vector, broadcast over the batch
        (2, 3): (2, 3),  # A's shape without its last axis: a batch of vectors
        (3, 4): (2, 3, 4),  # matrices, broadcast
        (2, 3, 1): (2, 3, 1),
        (5, 1, 3, 2): (5, 2, 3, 2),  # batch axes broadcast
    }
    for b_shape, x_shape in cases.items():
        b = RNG.standard_normal(b_shape)
        x = ag.linalg.solve(a, b)
        assert x.shape == x_shape, b_shape
        product = a @ x.data[..., None] if len(x_shape) == 2 else a @ x.data
        np.testing.assert_allclose(product if len(x_shape) > 2 else product[..., 0], np.broadcast_to(b, x_shape))


def test_solve_left_false_solves_x_a_equals_b():
    a, b = well_conditioned(3, 3), RNG.standard_normal((2, 3))
    x = ag.linalg.solve(a, b, left=False)
    np.testing.assert_allclose(x.data @ a, b, atol=1e-13)


def test_solve_gradients_sum_over_a_broadcast_batch():
    a, b = leaf(well_conditioned(3, 3)), leaf(RNG.standard_normal((4, 3, 2)))
    assert ag.gradcheck(ag.linalg.solve, [a, b])
    ag.linalg.solve(a, b).sum().backward()
    assert a.grad.shape == (3, 3) and b.grad.shape == (4, 3, 2)


def test_eigh_diagonalises_and_reads_only_the_chosen_triangle():
    s = RNG.standard_normal((4, 4))
    s = s + s.T
    values, vectors = ag.linalg.eigh(np.tril(s) + 100 * np.triu(np.ones((4, 4)), 1))  # garbage above
    np.testing.assert_allclose(s @ vectors.data, vectors.data * values.data, atol=1e-12)
    assert np.all(np.diff(values.data) > 0)
    upper_values = ag.linalg.eigh(np.triu(s) - 100 * np.tril(np.ones((4, 4)), -1), UPLO="U").eigenvalues
    np.testing.assert_allclose(upper_values.data, values.data, rtol=1e-12)
    np.testing.assert_allclose(ag.linalg.eigvalsh(s).data, values.data, rtol=1e-12)


def test_eigenvalue_gradient_is_v_v_transposed_even_for_repeated_eigenvalues():
    a = leaf(np.eye(3))  # one eigenvalue three times: the values still have a gradient
    ag.linalg.eigvalsh(a).sum().backward()  # the sum is the trace
    np.testing.assert_allclose(a.grad, np.eye(3), atol=1e-14)
    b = leaf(np.diag([1.0, 2.0, 5.0]))
    ag.linalg.eigvalsh(b)[2].backward()  # the largest: d lambda_max / dA = v v^T with v = e_3
    np.testing.assert_allclose(b.grad, np.diag([0.0, 0.0, 1.0]), atol=1e-14)


def test_eigenvector_gradient_at_a_repeated_eigenvalue_is_refused_saying_why():
    a = leaf(np.diag([1.0, 1.0, 3.0]))
    vectors = ag.linalg.eigh(a).eigenvectors
    with pytest.raises(ValueError, match=r"eigh: backward through the eigenvectors .* repeated value \(1\.0"):
        (vectors[:, 0] * np.array([1.0, 1.0, 0.0])).sum().backward()  # turns within the repeated value's plane


def test_svd_reconstructs_the_matrix_with_torchs_shapes():
    for shape in [(4, 3), (3, 5), (2, 3, 3)]:
        a = RNG.standard_normal(shape)
        m, n = shape[-2:]
        k = min(m, n)
        u, s, vh = ag.linalg.svd(a, full_matrices=False)
        assert (u.shape[-2:], s.shape[-1], vh.shape[-2:]) == ((m, k), k, (k, n))
        np.testing.assert_allclose((u.data * s.data[..., None, :]) @ vh.data, a, atol=1e-13)
        u, s, vh = ag.linalg.svd(a)  # full_matrices=True, torch's default: square orthogonal U and Vh
        assert (u.shape[-2:], vh.shape[-2:]) == ((m, m), (n, n))
        np.testing.assert_allclose(u.data.swapaxes(-1, -2) @ u.data, np.broadcast_to(np.eye(m), u.shape), atol=1e-13)
        np.testing.assert_allclose(vh.data @ vh.data.swapaxes(-1, -2), np.broadcast_to(np.eye(n), vh.shape), atol=1e-13)
        np.testing.assert_allclose((u.data[..., :k] * s.data[..., None, :]) @ vh.data[..., :k, :], a, atol=1e-13)


def test_svdvals_gradient_is_u_v_transposed_the_nuclear_norms_gradient():
    a = leaf(RNG.standard_normal((5, 3)))
    ag.linalg.svdvals(a).sum().backward()
    u, _, vh = np.linalg.svd(a.data, full_matrices=False)
    np.testing.assert_allclose(a.grad, u @ vh, atol=1e-13)


def test_singular_vector_gradient_at_a_repeated_or_zero_singular_value_is_refused():
    a = leaf(np.diag([2.0, 2.0, 1.0]))
    u = ag.linalg.svd(a, full_matrices=False).U
    with pytest.raises(ValueError, match=r"svd: backward through the singular vectors .* repeated value"):
        (u[:, 0] * np.array([1.0, 1.0, 0.0])).sum().backward()
    b = leaf(np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 0.0]]))  # (3, 2), singular values 1 and 0
    with pytest.raises(ValueError, match=r"svd: .* \(3, 2\) matrix .* one is 0; use only the values"):
        (ag.linalg.svd(b, full_matrices=False).U ** 2 * np.arange(2)).sum().backward()


def test_qr_factors_are_orthonormal_and_upper_triangular_in_each_mode():
    for shape in [(5, 3), (3, 5), (2, 4, 4)]:
        a = RNG.standard_normal(shape)
        m, n = shape[-2:]
        k = min(m, n)
        q, r = ag.linalg.qr(a)
        assert (q.shape[-2:], r.shape[-2:]) == ((m, k), (k, n))
        np.testing.assert_allclose(
            q.data.swapaxes(-1, -2) @ q.data, np.broadcast_to(np.eye(k), q.shape[:-2] + (k, k)), atol=1e-13
        )
        assert np.all(np.tril(r.data, -1) == 0)
        np.testing.assert_allclose(q.data @ r.data, a, atol=1e-13)
        q, r = ag.linalg.qr(a, mode="complete")
        assert (q.shape[-2:], r.shape[-2:]) == ((m, m), (m, n))
        np.testing.assert_allclose(q.data @ r.data, a, atol=1e-13)
        np.testing.assert_allclose(q.data.swapaxes(-1, -2) @ q.data, np.broadcast_to(np.eye(m), q.shape), atol=1e-13)
        q, r = ag.linalg.qr(a, mode="r")
        assert q.shape == (0,) and r.shape[-2:] == (k, n)
    with pytest.raises(ValueError, match=r"linalg\.qr: mode must be 'reduced', 'complete' or 'r', got 'full'"):
        ag.linalg.qr(np.eye(2), mode="full")


def test_qr_gradient_matches_finite_differences_for_tall_and_wide_matrices():
    for shape in [(4, 2), (2, 4)]:
        a = leaf(RNG.standard_normal(shape))
        assert ag.gradcheck(
            lambda a: (lambda q, r: (q * np.arange(1.0, 3.0)).sum() + (r**3).sum())(*ag.linalg.qr(a)), [a]
        )


def test_float32_stays_float32():
    a = well_conditioned(3, 3).astype(np.float32)
    for out in [ag.linalg.det(a), ag.linalg.inv(a), ag.linalg.solve(a, a[0]), ag.linalg.svdvals(a),
                ag.linalg.eigvalsh(a + a.T), ag.linalg.cholesky(a @ a.T)]:  # fmt: skip
        assert out.dtype == np.float32


# ------------------------------------------------------------------ errors: the op, the shape, what to do
@pytest.mark.parametrize("name", ["det", "slogdet", "inv", "cholesky", "eigh", "eigvalsh"])
def test_a_non_square_matrix_is_refused(name):
    with pytest.raises(
        ValueError, match=rf"linalg\.{name}: expects square matrices \(\.\.\., n, n\), got shape \(2, 3\)"
    ):
        getattr(ag.linalg, name)(np.ones((2, 3)))


@pytest.mark.parametrize("name", ["det", "inv", "svd", "svdvals", "cholesky"])
def test_integer_matrices_are_refused_saying_how_to_convert(name):
    with pytest.raises(
        TypeError, match=rf"linalg\.{name}: expects a float32 or float64 tensor, got int64 .* t\.double\(\)"
    ):
        getattr(ag.linalg, name)(Tensor(np.eye(3, dtype=np.int64)))


def test_a_vector_is_not_a_matrix():
    with pytest.raises(ValueError, match=r"linalg\.det: expects matrices of shape \(\.\.\., m, n\), got shape \(3,\)"):
        ag.linalg.det(np.ones(3))


def test_a_singular_matrix_has_no_inverse_and_the_error_says_what_to_do():
    singular = np.array([[1.0, 2.0], [2.0, 4.0]])
    with pytest.raises(ValueError, match=r"inv: cannot apply to shapes \(2, 2\): the matrix is singular .* regularise"):
        ag.linalg.inv(singular)
    batch = np.stack([np.eye(2), singular])
    with pytest.raises(ValueError, match=r"solve: .* matrices at batch index \(1,\) are singular"):
        ag.linalg.solve(batch, np.ones((2, 2)))


def test_solve_names_the_shapes_that_do_not_fit():
    with pytest.raises(ValueError, match=r"linalg\.solve: B of shape \(4,\) does not fit A of shape \(3, 3\)"):
        ag.linalg.solve(np.eye(3), np.ones(4))


def test_cholesky_of_an_indefinite_matrix_says_how_to_check_and_fix_it():
    with pytest.raises(ValueError, match=r"cholesky: .* not positive definite; .*eigvalsh.*\(A \+ eps \* I\)"):
        ag.linalg.cholesky(np.array([[1.0, 2.0], [2.0, 1.0]]))


def test_eigh_refuses_an_unknown_triangle():
    with pytest.raises(ValueError, match=r"linalg\.eigh: UPLO must be 'L' or 'U', got 'X'"):
        ag.linalg.eigh(np.eye(2), UPLO="X")


def test_linalg_error_is_torchs_name_for_numpys():
    assert ag.linalg.LinAlgError is np.linalg.LinAlgError and issubclass(ag.linalg.LinAlgError, ValueError)
