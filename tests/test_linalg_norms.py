"""ag.linalg's norms: vector_norm (every ord), matrix_norm (fro, nuc, +-2, +-1, +-inf), norm's dispatch and cond.
Closed forms (diagonal matrices, a rank-1 matrix), finite differences, the kinks (ties of the top singular value,
zero singular values) and torch as an oracle (1e-10, float64), and the errors."""

import math

import numpy as np
import pytest
from linalg_helpers import against_torch, gradchecks, leaf, rng

import autograd_core as ag
from autograd_core import Tensor

MATRIX_ORDS = ["fro", "nuc", 2, -2, 1, -1, math.inf, -math.inf]


# ------------------------------------------------------------------ closed forms, no torch
@pytest.mark.parametrize(
    ("ord", "expected"),
    [("fro", 5.0), ("nuc", 7.0), (2, 4.0), (-2, 3.0), (1, 4.0), (-1, 3.0), (math.inf, 4.0), (-math.inf, 3.0)],
)
def test_matrix_norms_of_a_diagonal_matrix(ord, expected):
    # diag(3, -4): singular values 4 and 3, column and row sums |3| and |-4|
    assert ag.linalg.matrix_norm(Tensor([[3.0, 0.0], [0.0, -4.0]]), ord).item() == pytest.approx(expected, rel=1e-15)


def test_the_spectral_norm_of_a_rank_one_matrix_is_the_product_of_its_factors_norms():
    u, v = np.array([1.0, 2.0, 2.0]), np.array([3.0, 4.0])
    a = leaf(np.outer(u, v))
    norm = ag.linalg.matrix_norm(a, 2)
    assert norm.item() == pytest.approx(15.0, rel=1e-14)
    norm.backward()  # d s_1 / dA = u_1 v_1^T with the unit vectors
    np.testing.assert_allclose(a.grad, np.outer(u / 3, v / 5), atol=1e-14)
    assert ag.linalg.matrix_norm(a, "nuc").item() == pytest.approx(15.0, rel=1e-14)  # one nonzero singular value


@pytest.mark.parametrize("ord", MATRIX_ORDS)
def test_every_matrix_norm_passes_gradcheck_on_a_batch_of_generic_matrices(ord):
    # generic: distinct singular values and sums, no zeros, so every ord is smooth here
    a = rng(3).standard_normal((2, 4, 3))
    second = ord in ("fro", "nuc", 2, -2)
    gradchecks(lambda x: ag.linalg.matrix_norm(x, ord), [a], second_order=second)


@pytest.mark.parametrize("ord", [2, 1, 3.5, 0.5, -1, -2.5, math.inf, -math.inf])
def test_vector_norm_matches_its_definition_and_passes_gradcheck(ord):
    x = rng(1).standard_normal((3, 4))
    got = ag.linalg.vector_norm(Tensor(x), ord, dim=1).data
    if math.isinf(ord):
        expected = np.abs(x).max(1) if ord > 0 else np.abs(x).min(1)
    else:
        expected = (np.abs(x) ** ord).sum(1) ** (1 / ord)
    np.testing.assert_allclose(got, expected, rtol=1e-14)
    gradchecks(lambda t: ag.linalg.vector_norm(t, ord, dim=(0, 1)), [x], second_order=not math.isinf(ord))


def test_vector_norm_of_order_zero_counts_nonzeros_and_negative_orders_are_zero_at_a_zero():
    x = leaf([0.0, 1.0, -2.0])
    assert ag.linalg.vector_norm(x, 0).item() == 2.0
    for ord in (-1, -2.5, -math.inf):
        x.grad = None
        out = ag.linalg.vector_norm(x, ord)
        out.backward()
        assert out.item() == 0.0 and np.all(x.grad == 0)  # torch's value and gradient there (checked below)


def test_the_kinks_follow_the_house_rule_ties_split_evenly_and_zero_singular_values_get_nothing():
    # 2 I (3 x 3): three tied top singular values share the gradient, (1/3) I (torch's too: its amax splits)
    a = leaf(2.0 * np.eye(3))
    ag.linalg.matrix_norm(a, 2).backward()
    np.testing.assert_allclose(a.grad, np.eye(3) / 3, atol=1e-15)
    # diag(1, 0): the nuclear norm's gradient over the nonzero singular value alone, the minimum-norm subgradient
    b = leaf([[1.0, 0.0], [0.0, 0.0]])
    ag.linalg.matrix_norm(b, "nuc").backward()
    np.testing.assert_allclose(b.grad, [[1.0, 0.0], [0.0, 0.0]], atol=1e-15)
    # the smallest singular value of a singular matrix is at a kink (|.| at 0): gradient 0, never NaN
    b.grad = None
    ag.linalg.matrix_norm(b, -2).backward()
    assert np.all(b.grad == 0)
    # a zero matrix: every norm 0, its gradient 0 (the vector norm's rule)
    z = leaf(np.zeros((2, 3)))
    for ord in MATRIX_ORDS:
        z.grad = None
        ag.linalg.matrix_norm(z, ord).backward()
        assert np.all(np.isfinite(z.grad)), ord


def test_a_tie_within_rounding_is_a_tie_so_the_gradient_does_not_depend_on_lapacks_basis():
    # an orthogonal matrix times 3: all singular values 3 up to rounding; the gradient is (1/n) U V^T = Q / n
    q = np.linalg.qr(rng(5).standard_normal((4, 4)))[0]
    a = leaf(3.0 * q)
    ag.linalg.matrix_norm(a, 2).backward()
    np.testing.assert_allclose(a.grad, q / 4, atol=1e-13)


def test_matrix_norm_over_other_dims_and_keepdim():
    x = rng(2).standard_normal((3, 2, 4))
    for ord in MATRIX_ORDS:
        moved = ag.linalg.matrix_norm(Tensor(x), ord, dim=(0, 2), keepdim=True)
        direct = ag.linalg.matrix_norm(Tensor(x.transpose(1, 0, 2)), ord)
        assert moved.shape == (1, 2, 1)
        np.testing.assert_allclose(moved.data.reshape(2), direct.data, rtol=1e-13)
    swapped = ag.linalg.matrix_norm(Tensor(x), 1, dim=(-1, -2))  # columns of the transpose: the row sums
    np.testing.assert_allclose(swapped.data, ag.linalg.matrix_norm(Tensor(x), math.inf).data, rtol=1e-14)


def test_norm_dispatches_on_dim_and_the_input_rank():
    x = rng(4).standard_normal((3, 4))
    t = Tensor(x)
    assert ag.linalg.norm(t).item() == pytest.approx(np.sqrt((x**2).sum()), rel=1e-14)
    assert ag.linalg.norm(t, 2).item() == pytest.approx(np.linalg.norm(x, 2), rel=1e-13)  # 2-d: spectral
    assert ag.linalg.norm(t, "nuc").item() == pytest.approx(np.linalg.norm(x, "nuc"), rel=1e-13)
    np.testing.assert_allclose(ag.linalg.norm(t, 2, dim=0).data, np.linalg.norm(x, 2, axis=0), rtol=1e-14)
    np.testing.assert_allclose(ag.linalg.norm(t, -1, dim=(1, 0)).data, np.linalg.norm(x.T, -1), rtol=1e-14)
    cube = Tensor(rng(4).standard_normal((2, 3, 4)))
    assert ag.linalg.norm(cube).item() == pytest.approx(np.sqrt((cube.data**2).sum()), rel=1e-14)


def test_cond_is_the_ratio_of_extreme_singular_values_and_the_product_of_norms():
    a = np.diag([4.0, 0.5, 2.0])
    assert ag.linalg.cond(Tensor(a)).item() == pytest.approx(8.0, rel=1e-14)
    assert ag.linalg.cond(Tensor(a), -2).item() == pytest.approx(1 / 8.0, rel=1e-14)
    assert ag.linalg.cond(Tensor(a), 1).item() == pytest.approx(8.0, rel=1e-14)
    assert ag.linalg.cond(Tensor(a), "fro").item() == pytest.approx(np.sqrt(20.25) * np.sqrt(4.3125), rel=1e-14)
    singular = Tensor([[1.0, 2.0], [2.0, 4.0]])
    assert ag.linalg.cond(singular, "fro").item() == math.inf  # torch's answer for a singular matrix
    gradchecks(lambda x: ag.linalg.cond(x, "nuc"), [rng(6).standard_normal((3, 3)) + 3 * np.eye(3)], False)
    gradchecks(lambda x: ag.linalg.cond(x), [rng(6).standard_normal((4, 3))])


# ------------------------------------------------------------------ errors
def test_bad_input_gets_a_clear_error():
    m = Tensor(np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"linalg.matrix_norm: ord=3 is not a matrix norm; use one of 'fro'"):
        ag.linalg.matrix_norm(m, 3)
    with pytest.raises(ValueError, match=r"linalg.matrix_norm: expects a tensor of at least 2 axes, got shape \(2,\)"):
        ag.linalg.matrix_norm(Tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match=r"linalg.matrix_norm: dim must be two distinct axes of shape \(2, 2\)"):
        ag.linalg.matrix_norm(m, dim=(0, 0))
    with pytest.raises(TypeError, match=r"linalg.vector_norm: expects a float32 or float64 tensor, got int64"):
        ag.linalg.vector_norm(Tensor(np.arange(3)))
    with pytest.raises(ValueError, match=r"linalg.vector_norm: ord must be a real number .* use linalg.matrix_norm"):
        ag.linalg.vector_norm(m, "fro")
    with pytest.raises(ValueError, match=r"linalg.norm: ord='nuc' is a matrix norm but the norm is over one axis"):
        ag.linalg.norm(m, "nuc", dim=1)
    with pytest.raises(ValueError, match=r"linalg.norm: with ord=2 and dim=None the input must be 1-d or 2-d"):
        ag.linalg.norm(Tensor(np.ones((2, 2, 2))), 2)
    with pytest.raises(ValueError, match=r"linalg.cond: p=3 is not supported"):
        ag.linalg.cond(m, 3)
    with pytest.raises(ValueError, match=r"linalg.cond: expects square matrices"):
        ag.linalg.cond(Tensor(np.ones((2, 3))), "fro")


# ------------------------------------------------------------------ torch as the oracle
@pytest.mark.parametrize("ord", MATRIX_ORDS)
def test_matrix_norm_values_and_gradients_match_torch(ord):
    torch = pytest.importorskip("torch")
    a = rng(8).standard_normal((2, 3, 5))
    against_torch(lambda x: ag.linalg.matrix_norm(x, ord), lambda x: torch.linalg.matrix_norm(x, ord), [a])
    against_torch(
        lambda x: ag.linalg.matrix_norm(x, ord, dim=(0, 2), keepdim=True),
        lambda x: torch.linalg.matrix_norm(x, ord, dim=(0, 2), keepdim=True),
        [a],
    )


@pytest.mark.parametrize("ord", [2, 1, 0, 3.5, 0.5, -1, -2.5, math.inf, -math.inf])
def test_vector_norm_matches_torch_also_at_zeros(ord):
    torch = pytest.importorskip("torch")
    x = rng(9).standard_normal((3, 4))
    x[1, 2] = 0.0  # a zero: the kink of every ord, and the whole row's norm 0 for ord < 0
    against_torch(
        lambda t: ag.linalg.vector_norm(t, ord, dim=1), lambda t: torch.linalg.vector_norm(t, ord, dim=1), [x]
    )
    against_torch(lambda t: ag.linalg.vector_norm(t, ord), lambda t: torch.linalg.vector_norm(t, ord), [x])


def test_the_tie_and_kink_answers_against_torch():
    torch = pytest.importorskip("torch")
    # 2 I: torch splits the tie as we do
    against_torch(lambda x: ag.linalg.matrix_norm(x, 2), lambda x: torch.linalg.matrix_norm(x, 2), [2.0 * np.eye(3)])
    # diag(1, 0): torch adds u_2 v_2^T for the zero singular value, a pair whose sign LAPACK chose; ours leaves it
    # out (the kink rule); the parts that are determined agree
    b = leaf([[1.0, 0.0], [0.0, 0.0]])
    ag.linalg.matrix_norm(b, "nuc").backward()
    theirs = torch.tensor([[1.0, 0.0], [0.0, 0.0]], dtype=torch.float64, requires_grad=True)
    torch.linalg.matrix_norm(theirs, "nuc").backward()
    u, _, vh = np.linalg.svd(b.data)
    assert abs(abs(theirs.grad.numpy()[1, 1]) - 1.0) < 1e-15  # the arbitrary +-u_2 v_2^T
    np.testing.assert_allclose(b.grad, theirs.grad.numpy() - np.outer(u[:, 1], vh[1]) * theirs.grad.numpy()[1, 1])


@pytest.mark.parametrize("p", [None, 2, -2, "fro", "nuc", 1, -1, math.inf, -math.inf])
def test_cond_matches_torch(p):
    torch = pytest.importorskip("torch")
    a = rng(10).standard_normal((2, 3, 3)) + 2 * np.eye(3)
    if p in (None, 2, -2):
        against_torch(lambda x: ag.linalg.cond(x, p), lambda x: torch.linalg.cond(x, p), [a], rtol=1e-9)
        return
    # torch's cond for these p computes values only (its backward fails on an in-place inv_ex): its definition
    # gives the gradient, torch.linalg.cond the value
    np.testing.assert_allclose(ag.linalg.cond(a, p).data, torch.linalg.cond(torch.tensor(a), p).numpy(), rtol=1e-10)
    against_torch(
        lambda x: ag.linalg.cond(x, p),
        lambda x: torch.linalg.matrix_norm(x, p) * torch.linalg.matrix_norm(torch.linalg.inv(x), p),
        [a],
    )


def test_norm_dispatch_matches_torch():
    torch = pytest.importorskip("torch")
    x = rng(11).standard_normal((3, 4))
    for kwargs in ({}, {"ord": 2}, {"ord": "nuc"}, {"ord": -1, "dim": 0}, {"ord": math.inf, "dim": (1, 0)}):
        against_torch(lambda t, k=kwargs: ag.linalg.norm(t, **k), lambda t, k=kwargs: torch.linalg.norm(t, **k), [x])


def test_torch_norm_spelling_of_the_nuclear_norm():
    # torch.norm(A, "nuc") and A.norm("nuc", dim): refused before ("p must be a number > 0, math.inf or 'fro'")
    a = leaf([[3.0, 0.0], [0.0, -4.0]])
    assert ag.norm(a, "nuc").item() == pytest.approx(7.0, rel=1e-15)
    a.norm("nuc").backward()
    np.testing.assert_allclose(a.grad, [[1.0, 0.0], [0.0, -1.0]], atol=1e-15)  # U V^T = sign(diag)
    pytest.importorskip("torch")
    x = rng(12).standard_normal((2, 3, 4))
    against_torch(lambda t: t.norm("nuc", dim=(0, 2)), lambda t: t.norm("nuc", dim=(0, 2)), [x])
