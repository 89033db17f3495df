"""ag.linalg's matrix functions against torch.linalg (float64): values, shapes and gradients, including where the
primitive sweep's smooth inputs do not go (a singular det, svd's full_matrices=True, logdet's NaN)."""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(11)


def both(array):
    return Tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)


def test_values_match_torch_on_a_batch():
    a = RNG.standard_normal((2, 3, 4, 4)) + 4 * np.eye(4)
    spd = a @ a.swapaxes(-1, -2)
    ta, tspd = torch.tensor(a), torch.tensor(spd)
    pairs = [
        (ag.linalg.det(a), torch.linalg.det(ta)),
        (ag.linalg.slogdet(a).logabsdet, torch.linalg.slogdet(ta).logabsdet),
        (ag.linalg.slogdet(a).sign, torch.linalg.slogdet(ta).sign),
        (ag.linalg.inv(a), torch.linalg.inv(ta)),
        (ag.linalg.solve(a, a[..., 0]), torch.linalg.solve(ta, ta[..., 0])),
        (ag.linalg.cholesky(spd), torch.linalg.cholesky(tspd)),
        (ag.linalg.eigvalsh(spd), torch.linalg.eigvalsh(tspd)),
        (ag.linalg.svdvals(a[..., :3]), torch.linalg.svdvals(ta[..., :3])),
        (ag.logdet(spd), torch.logdet(tspd)),
        (ag.inverse(a), torch.inverse(ta)),
        (ag.linalg.qr(a[..., :3]).Q, torch.linalg.qr(ta[..., :3]).Q),  # the same LAPACK: the same signs
        (ag.linalg.qr(a[..., :2, :]).R, torch.linalg.qr(ta[..., :2, :]).R),
    ]
    for ours, theirs in pairs:
        assert ours.shape == tuple(theirs.shape)
        np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-10, atol=1e-12)


def test_solve_gives_torchs_shapes_for_every_kind_of_b():
    a = RNG.standard_normal((2, 3, 3)) + 3 * np.eye(3)
    for b_shape in [(3,), (2, 3), (3, 4), (2, 3, 1), (5, 1, 3, 2)]:
        b = RNG.standard_normal(b_shape)
        ours, theirs = ag.linalg.solve(a, b), torch.linalg.solve(torch.tensor(a), torch.tensor(b))
        assert ours.shape == tuple(theirs.shape), b_shape
        np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-10, atol=1e-12)


def test_det_gradient_at_a_singular_matrix_is_the_cofactor_matrix():
    # d det(A)/dA is the cofactor matrix, which a rank-2 matrix keeps nonzero. Not compared with torch:
    # torch 2.13's answer here depends on the machine's LAPACK (the cofactors on an Intel Xeon, zeros on an
    # AMD EPYC, where LU finds an exact zero pivot).
    singular = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])
    ours = ag.Tensor(singular, requires_grad=True)
    ag.linalg.det(ours).backward()
    minor = lambda i, j: np.linalg.det(np.delete(np.delete(singular, i, 0), j, 1))  # noqa: E731
    cofactors = np.array([[(-1) ** (i + j) * minor(i, j) for j in range(3)] for i in range(3)])
    np.testing.assert_allclose(cofactors, [[4, 4, -4], [-2, -2, 2], [0, 0, 0]], atol=1e-12)  # by hand
    np.testing.assert_allclose(ours.grad, cofactors, atol=1e-12)


def test_logdet_of_a_negative_determinant_is_nan_in_both():
    a = np.array([[0.0, 2.0], [3.0, 0.0]])
    assert np.isnan(ag.logdet(a).item()) and np.isnan(torch.logdet(torch.tensor(a)).item())


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 4)])
def test_svd_full_matrices_true_has_torchs_gradient(shape):
    """torch's backward ignores the extra columns of U (rows of Vh), a basis of the complement; so do we."""
    a = RNG.standard_normal(shape)
    ours, theirs = both(a)

    def loss(u, s, vh, lib):
        k = s.shape[-1]
        weights = lib.arange(1.0, k + 1.0, dtype=lib.float64)
        return ((u[:, :k] ** 2) * weights).sum() + ((vh[:k] ** 2).sum(-1) * weights).sum() + (s**3).sum()

    loss(*ag.linalg.svd(ours), np).backward()
    loss(*torch.linalg.svd(theirs), torch).backward()
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-9, atol=1e-11)


def test_eigh_gradient_through_both_outputs_matches_torch():
    s = RNG.standard_normal((3, 4, 4))
    s = s + s.swapaxes(-1, -2)
    ours, theirs = both(s)
    weights = np.arange(1.0, 5.0)

    def loss(values, vectors, w):  # squares: an eigenvector's sign is arbitrary
        return ((vectors**2) * w.flip(0)).sum() + (values**2 * w).sum()

    loss(*ag.linalg.eigh(ours), Tensor(weights)).backward()
    loss(*torch.linalg.eigh(theirs), torch.tensor(weights)).backward()
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-9, atol=1e-11)


def test_cholesky_upper_and_solve_left_false_match_torch():
    a = RNG.standard_normal((3, 3))
    spd = a @ a.T + 3 * np.eye(3)
    np.testing.assert_allclose(
        ag.linalg.cholesky(spd, upper=True).data, torch.linalg.cholesky(torch.tensor(spd), upper=True).numpy()
    )
    b = RNG.standard_normal((2, 3))
    np.testing.assert_allclose(
        ag.linalg.solve(spd, b, left=False).data,
        torch.linalg.solve(torch.tensor(spd), torch.tensor(b), left=False).numpy(),
        rtol=1e-10,
    )
