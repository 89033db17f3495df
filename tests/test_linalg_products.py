"""ag.linalg's products: matrix_exp (closed forms: nilpotent, diagonal, a rotation generator; exp(A) exp(-A) = I;
its exact gradient against finite differences and torch, and again), matrix_power, multi_dot (the cheap order),
vander, diagonal, and torch's Tensor methods (A.matrix_exp(), A.matrix_power(n), A.pinverse())."""

import math

import numpy as np
import pytest
from linalg_helpers import against_torch, finite_difference_vjp, gradchecks, leaf, rng, well_conditioned

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.primitives.matrix_functions import _expm_array


# ------------------------------------------------------------------ matrix_exp: closed forms
def test_matrix_exp_of_a_nilpotent_matrix_is_its_finite_series():
    n = np.diag([1.0, 2.0, 3.0], 1)  # N^4 = 0: exp(N) = I + N + N^2/2 + N^3/6
    expected = np.eye(4) + n + n @ n / 2 + n @ n @ n / 6
    np.testing.assert_allclose(ag.linalg.matrix_exp(Tensor(n)).data, expected, atol=1e-15)


def test_matrix_exp_of_a_diagonal_matrix_exponentiates_the_diagonal_even_when_large():
    d = np.array([-30.0, 0.5, 12.0, 40.0])  # 40: several squarings
    np.testing.assert_allclose(ag.linalg.matrix_exp(Tensor(np.diag(d))).data, np.diag(np.exp(d)), rtol=1e-13)


def test_matrix_exp_of_a_rotation_generator_is_the_rotation():
    for theta in (0.3, 2.0, 25.0):
        got = ag.linalg.matrix_exp(Tensor([[0.0, -theta], [theta, 0.0]])).data
        rotation = [[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]]
        np.testing.assert_allclose(got, rotation, atol=1e-13)


def test_exp_a_times_exp_minus_a_is_the_identity_for_a_batch_of_different_scales():
    a = rng(1).standard_normal((3, 4, 4)) * np.array([0.01, 1.0, 20.0])[:, None, None]  # no squaring .. many
    product = ag.linalg.matrix_exp(Tensor(a)).data @ ag.linalg.matrix_exp(Tensor(-a)).data
    np.testing.assert_allclose(product, np.broadcast_to(np.eye(4), a.shape), atol=1e-9)
    # and each matrix of the batch as it would be alone (the batch groups by scaling, it does not share one)
    for i in range(3):
        np.testing.assert_array_equal(_expm_array(a)[i], _expm_array(a[i]))


def test_matrix_exp_gradient_is_exact_against_finite_differences_and_twice_differentiable():
    a = rng(2).standard_normal((2, 3, 3))
    weights = rng(3).standard_normal((2, 3, 3))
    x = leaf(a)
    (ag.linalg.matrix_exp(x) * weights).sum().backward()
    (expected,) = finite_difference_vjp(_expm_array, [a], weights)
    np.testing.assert_allclose(x.grad, expected, rtol=1e-7, atol=1e-8)
    gradchecks(ag.linalg.matrix_exp, [a[0]])


def test_the_gradient_of_the_trace_of_exp_is_exp_transposed():
    # d tr(exp A) / dA = exp(A)^T: a closed form for the block-matrix vjp
    a = leaf(rng(4).standard_normal((4, 4)))
    exp = ag.linalg.matrix_exp(a)
    exp.diagonal().sum().backward()
    np.testing.assert_allclose(a.grad, exp.data.T, rtol=1e-12)


def test_matrix_exp_keeps_float32():
    out = ag.linalg.matrix_exp(Tensor(np.eye(2, dtype=np.float32)))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, np.e * np.eye(2), rtol=1e-6)


# ------------------------------------------------------------------ matrix_power
def test_matrix_power_for_positive_zero_and_negative_n():
    a = well_conditioned(rng(5), 2, 3, 3)
    for n in (1, 2, 5, 8):
        np.testing.assert_allclose(ag.linalg.matrix_power(a, n).data, np.linalg.matrix_power(a, n), rtol=1e-12)
    np.testing.assert_array_equal(ag.linalg.matrix_power(a, 0).data, np.broadcast_to(np.eye(3), a.shape))
    np.testing.assert_allclose(ag.linalg.matrix_power(a, -3).data, np.linalg.matrix_power(a, -3), rtol=1e-11)
    gradchecks(lambda x: ag.linalg.matrix_power(x, 5), [a[0]])
    gradchecks(lambda x: ag.linalg.matrix_power(x, -2), [a[1]])
    assert ag.matrix_power is ag.linalg.matrix_power and ag.matrix_exp is ag.linalg.matrix_exp


def test_the_rotation_by_theta_to_the_n_is_the_rotation_by_n_theta():
    theta = 0.1
    r = Tensor([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
    expected = [[math.cos(7 * theta), -math.sin(7 * theta)], [math.sin(7 * theta), math.cos(7 * theta)]]
    np.testing.assert_allclose(r.matrix_power(7).data, expected, atol=1e-14)
    np.testing.assert_allclose(r.matrix_power(-7).data, np.array(expected).T, atol=1e-14)


# ------------------------------------------------------------------ multi_dot, vander, diagonal
def test_multi_dot_multiplies_in_the_cheapest_order_with_the_same_value_and_gradients():
    shapes = [(10, 100), (100, 5), (5, 50), (50, 2)]
    arrays = [rng(i).standard_normal(s) for i, s in enumerate(shapes)]
    leaves = [leaf(a) for a in arrays]
    out = ag.linalg.multi_dot(leaves)
    # the cheapest order, read off the graph: a (b (c d)), 500 + 1,000 + 2,000 products; left to right,
    # ((a b) c) d, would be 5,000 + 2,500 + 1,000
    matmuls = [t for t in ag.walk(out) if t.op == "matmul"]
    assert sorted(t.shape for t in matmuls) == [(5, 2), (10, 2), (100, 2)]
    np.testing.assert_allclose(out.data, arrays[0] @ arrays[1] @ arrays[2] @ arrays[3], rtol=1e-12)
    out.sum().backward()
    np.testing.assert_allclose(leaves[1].grad, arrays[0].T @ np.ones((10, 2)) @ (arrays[2] @ arrays[3]).T, rtol=1e-11)


def test_multi_dot_takes_vectors_at_the_ends():
    v, m, w = np.array([1.0, 2.0]), np.array([[1.0, 0.0, 2.0], [0.0, 1.0, 1.0]]), np.array([1.0, 1.0, 1.0])
    assert ag.linalg.multi_dot([v, m, w]).item() == pytest.approx(v @ m @ w)
    assert ag.linalg.multi_dot([m, w]).shape == (2,) and ag.linalg.multi_dot([v, m]).shape == (3,)


def test_vander_has_increasing_powers_and_a_finite_gradient_at_zero():
    x = leaf([0.0, 2.0, -1.0])
    v = ag.linalg.vander(x, N=4)
    np.testing.assert_array_equal(v.data, np.vander(x.data, 4, increasing=True))
    v.sum().backward()  # d/dx (1 + x + x^2 + x^3) = 1 + 2x + 3x^2
    np.testing.assert_allclose(x.grad, 1 + 2 * x.data + 3 * x.data**2)
    assert ag.linalg.vander(Tensor(np.ones((2, 3)))).shape == (2, 3, 3)


def test_diagonal_defaults_to_the_last_two_axes():
    a = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(ag.linalg.diagonal(Tensor(a)).data, np.diagonal(a, axis1=-2, axis2=-1))
    np.testing.assert_array_equal(ag.linalg.diagonal(Tensor(a), offset=1).data, np.diagonal(a, 1, -2, -1))


# ------------------------------------------------------------------ errors
def test_bad_input_gets_a_clear_error():
    with pytest.raises(ValueError, match=r"linalg.matrix_exp: expects square matrices \(\.\.\., n, n\), got shape"):
        ag.linalg.matrix_exp(Tensor(np.ones((2, 3))))
    with pytest.raises(TypeError, match=r"linalg.matrix_exp: expects a float32 or float64 tensor, got int64"):
        ag.linalg.matrix_exp(Tensor(np.eye(2, dtype=np.int64)))
    with pytest.raises(TypeError, match=r"linalg.matrix_power: n must be an int, got 0.5; .* linalg.matrix_exp"):
        ag.linalg.matrix_power(Tensor(np.eye(2)), 0.5)
    with pytest.raises(ValueError, match=r"inv.*singular"):
        ag.linalg.matrix_power(Tensor([[1.0, 2.0], [2.0, 4.0]]), -1)
    with pytest.raises(ValueError, match=r"linalg.multi_dot: expects a list of at least 2 tensors, got 1"):
        ag.linalg.multi_dot([Tensor(np.eye(2))])
    with pytest.raises(ValueError, match=r"tensor 0 of shape \(2, 3\) and tensor 1 of shape \(2, 3\) cannot be"):
        ag.linalg.multi_dot([np.ones((2, 3)), np.ones((2, 3))])
    with pytest.raises(ValueError, match=r"linalg.multi_dot: tensor 1 has shape \(2, 2, 2\); all must be 2-d"):
        ag.linalg.multi_dot([np.ones((2, 2)), np.ones((2, 2, 2)), np.ones((2, 2))])
    with pytest.raises(ValueError, match=r"linalg.vander: N must be an int >= 1"):
        ag.linalg.vander(Tensor([1.0, 2.0]), N=0)


# ------------------------------------------------------------------ torch as the oracle
def test_matrix_exp_matches_torch_in_value_and_gradient_over_scales():
    torch = pytest.importorskip("torch")
    a = rng(6).standard_normal((3, 4, 4)) * np.array([0.05, 1.0, 6.0])[:, None, None]
    against_torch(ag.linalg.matrix_exp, torch.linalg.matrix_exp, [a], rtol=1e-10, atol=1e-9)


def test_matrix_exp_second_derivative_matches_torch():
    torch = pytest.importorskip("torch")
    a = rng(7).standard_normal((3, 3))
    x = leaf(a)
    (g,) = ag.grad((ag.linalg.matrix_exp(x) ** 2).sum(), [x], create_graph=True)
    (g * g).sum().backward()
    tx = torch.tensor(a, requires_grad=True)
    (tg,) = torch.autograd.grad((torch.linalg.matrix_exp(tx) ** 2).sum(), [tx], create_graph=True)
    (tg * tg).sum().backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-10)


@pytest.mark.parametrize("n", [0, 1, 3, 6, -1, -4])
def test_matrix_power_matches_torch(n):
    torch = pytest.importorskip("torch")
    a = well_conditioned(rng(8), 2, 3, 3)
    against_torch(lambda x: ag.linalg.matrix_power(x, n), lambda x: torch.linalg.matrix_power(x, n), [a])
    against_torch(lambda x: x.matrix_power(n), lambda x: x.matrix_power(n), [a])


def test_multi_dot_vander_diagonal_and_the_methods_match_torch():
    torch = pytest.importorskip("torch")
    arrays = [rng(9).standard_normal(s) for s in [(3,), (3, 6), (6, 2), (2, 4), (4,)]]
    against_torch(lambda *xs: ag.linalg.multi_dot(list(xs)), lambda *xs: torch.linalg.multi_dot(list(xs)), arrays)
    x = rng(10).standard_normal((2, 3))
    against_torch(lambda t: ag.linalg.vander(t, N=5), lambda t: torch.linalg.vander(t, N=5), [x])
    a = rng(11).standard_normal((2, 3, 4))
    against_torch(lambda t: ag.linalg.diagonal(t, offset=-1), lambda t: torch.linalg.diagonal(t, offset=-1), [a])
    against_torch(lambda t: t.matrix_exp(), lambda t: t.matrix_exp(), [a[:, :, :3]])
    against_torch(lambda t: t.pinverse(), lambda t: t.pinverse(), [a])
    against_torch(ag.pinverse, torch.pinverse, [a])
