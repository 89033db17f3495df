"""Deisenroth, Faisal & Ong, *Mathematics for Machine Learning* (2020), chapter 5 "Vector Calculus", sections
5.1-5.5, ported: each worked example's derivative computed by the engine (``torch = ag``: ``backward``,
``torch.autograd.functional.jacobian``, ``torch.func.jacrev``) and checked with ``torch.testing.assert_close``
against the book's closed form; the identities of section 5.5 likewise. Backpropagation (5.6), higher-order
derivatives (5.7) and Taylor series (5.8) are in test_mml_ports_backprop.py.

5.1  Example 5.1, the difference quotient of x^n tends to n x^(n-1); 5.4, the chain rule for (2x + 1)^4
5.2  Examples 5.5-5.7: partial derivatives of (x + 2y^3)^2 and x1^2 x2 + x1 x2^3, and the chain rule through
     x1 = sin t, x2 = cos t
5.3  Example 5.8, the gradient of Ax is A; the Jacobian of the linear map of figure 5.5 has |det J| = 3 (the
     area scaling); example 5.9, h(t) = exp(x1 x2^2) with x = (t cos t, t sin t); example 5.10, least squares
5.4  Example 5.11, d(Ax)/dA is the (M, M, N) tensor with x_q in (i, i, q); example 5.12, d(R^T R)/dR
5.5  The useful identities (5.99)-(5.107): trace, determinant, inverse, a^T X^-1 b, x^T a, a^T X b, x^T B x,
     (x - As)^T W (x - As)

What the port needed: ``torch.testing.assert_close`` (``ag.testing``), which every check below uses as a torch
reader would, was missing; its tolerances and reports are torch's.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as torch
from autograd_core.autograd.functional import jacobian

RNG = np.random.default_rng(5)


def t64(values) -> torch.Tensor:
    return torch.tensor(np.asarray(values, dtype=np.float64))


def grad_at(f, *points):
    """The gradient of scalar f at the points, by backward (the reader's first spelling)."""
    leaves = [torch.tensor(float(p), requires_grad=True) if np.isscalar(p) else t64(p).requires_grad_() for p in points]
    f(*leaves).backward()
    return [leaf.grad for leaf in leaves]


# ---------------------------------------------------------------- what the port needed
def test_what_the_port_needed_torch_testing_assert_close_with_torch_s_tolerances_and_report():
    torch.testing.assert_close(t64([0.1 + 0.2]), t64([0.3]))  # within float64's rtol = atol = 1e-7
    torch.testing.assert_close(torch.tensor([1.0], dtype=torch.float32), torch.tensor([1.000001], dtype=torch.float32))
    with pytest.raises(AssertionError, match=r"(?s)Tensor-likes are not close!.*Mismatched elements: 1 / 2 \(50.0%\)"
                       r".*Greatest absolute difference: 0.5 at index \(1,\) \(up to 1e-07 allowed\)"):  # fmt: skip
        torch.testing.assert_close(t64([1.0, 2.0]), t64([1.0, 2.5]))
    with pytest.raises(AssertionError, match=r"The values for attribute 'dtype' do not match: float32 != float64"):
        torch.testing.assert_close(torch.tensor([1.0], dtype=torch.float32), t64([1.0]))
    torch.testing.assert_close(torch.tensor([1.0], dtype=torch.float32), t64([1.0]), check_dtype=False)
    with pytest.raises(AssertionError, match=r"The values for attribute 'shape' do not match: \(2,\) != \(1,\)"):
        torch.testing.assert_close(t64([1.0, 2.0]), t64([1.0]))
    with pytest.raises(AssertionError, match=r"(?s)Scalars are not close!.*Expected 2.5 but got 2.0.*item \[1\]"):
        torch.testing.assert_close([1.0, 2.0], [1.0, 2.5])
    with pytest.raises(AssertionError, match=r"(?s)Tensor-likes are not equal!.*Greatest absolute difference: 1 "):
        torch.testing.assert_close(torch.tensor([1, 2]), torch.tensor([1, 3]))  # integers: exactly
    with pytest.raises(TypeError, match=r"assert_close: cannot compare a Tensor with a float.*ag.tensor\(x\)"):
        torch.testing.assert_close(t64(1.0), 1.0)
    torch.testing.assert_close(t64([1.0, 2.0]), t64([1.1, 2.1]), rtol=0, atol=0.2)
    with pytest.raises(ValueError, match=r"give both rtol and atol or neither"):
        torch.testing.assert_close(t64(1.0), t64(1.0), rtol=0.1)
    with pytest.raises(AssertionError, match=r"^custom$"):
        torch.testing.assert_close(t64(1.0), t64(2.0), msg="custom")
    torch.testing.assert_close(t64([np.nan]), t64([np.nan]), equal_nan=True)
    with pytest.raises(AssertionError, match=r"Greatest absolute difference: nan"):
        torch.testing.assert_close(t64([np.nan, 1.0]), t64([1.0, 1.0]))


def test_what_the_port_needed_assert_close_reports_as_torch_does():
    real_torch = pytest.importorskip("torch")
    pairs = [([1.0, 2.0], [1.0, 2.5]), ([[0.0, 1.0], [3.0, 4.0]], [[1e-3, 1.0], [3.0, 4.5]]), (1.0, 2.0)]
    for actual, expected in pairs:
        with pytest.raises(AssertionError) as ours:
            torch.testing.assert_close(t64(actual), t64(expected))
        with pytest.raises(AssertionError) as theirs:
            real_torch.testing.assert_close(
                real_torch.tensor(actual, dtype=real_torch.float64),
                real_torch.tensor(expected, dtype=real_torch.float64),
            )
        assert str(ours.value) == str(theirs.value)


# ---------------------------------------------------------------- 5.1 univariate
@pytest.mark.parametrize("n", [2, 3, 5])
def test_5_1_example_5_1_the_derivative_of_x_to_the_n_is_n_x_to_the_n_minus_1(n):
    (g,) = grad_at(lambda x: x**n, 1.7)
    torch.testing.assert_close(g, t64(n * 1.7 ** (n - 1)))
    quotient = ((1.7 + 1e-6) ** n - 1.7**n) / 1e-6  # the book's difference quotient, h -> 0
    assert abs(quotient - g.item()) < 1e-4


def test_5_1_example_5_4_chain_rule_of_2x_plus_1_to_the_fourth():
    for x in (-1.0, 0.3, 2.0):
        (g,) = grad_at(lambda x: (2 * x + 1) ** 4, x)
        torch.testing.assert_close(g, t64(8 * (2 * x + 1) ** 3))  # h'(x) = 4 (2x + 1)^3 * 2


# ---------------------------------------------------------------- 5.2 partial derivatives
def test_5_2_example_5_5_partial_derivatives_of_x_plus_2y_cubed_squared():
    x, y = 0.7, -1.3
    gx, gy = grad_at(lambda x, y: (x + 2 * y**3) ** 2, x, y)
    torch.testing.assert_close(gx, t64(2 * (x + 2 * y**3)))
    torch.testing.assert_close(gy, t64(12 * (x + 2 * y**3) * y**2))


def test_5_2_example_5_6_the_gradient_is_the_row_of_partial_derivatives():
    def f(x):
        return x[0] ** 2 * x[1] + x[0] * x[1] ** 3

    x1, x2 = 1.5, -0.5
    torch.testing.assert_close(torch.func.grad(f)(t64([x1, x2])), t64([2 * x1 * x2 + x2**3, x1**2 + 3 * x1 * x2**2]))


def test_5_2_example_5_7_chain_rule_through_sine_and_cosine():
    for t in (0.2, 1.0, 2.5):
        (g,) = grad_at(lambda t: torch.sin(t) ** 2 + 2 * torch.cos(t), t)
        torch.testing.assert_close(g, t64(2 * np.sin(t) * np.cos(t) - 2 * np.sin(t)))


# ---------------------------------------------------------------- 5.3 gradients of vector-valued functions
def test_5_3_example_5_8_the_gradient_of_Ax_is_A():
    a = t64(RNG.normal(size=(3, 4)))
    torch.testing.assert_close(jacobian(lambda x: a @ x, t64(RNG.normal(size=4))), a)


def test_5_3_the_jacobian_of_the_linear_map_of_figure_5_5_scales_areas_by_three():
    j = jacobian(lambda x: torch.stack([-2 * x[0] + x[1], x[0] + x[1]]), t64([0.3, 0.8]))
    torch.testing.assert_close(j, t64([[-2.0, 1.0], [1.0, 1.0]]))
    torch.testing.assert_close(abs(torch.linalg.det(j)), t64(3.0))


def test_5_3_example_5_9_chain_rule_h_of_t_through_a_curve():
    def h(t):
        x1, x2 = t * torch.cos(t), t * torch.sin(t)
        return torch.exp(x1 * x2**2)

    for t in (0.4, 0.9, 1.6):
        x1, x2 = t * np.cos(t), t * np.sin(t)
        book = np.exp(x1 * x2**2) * (x2**2 * (np.cos(t) - t * np.sin(t)) + 2 * x1 * x2 * (np.sin(t) + t * np.cos(t)))
        (g,) = grad_at(h, t)
        torch.testing.assert_close(g, t64(book))


def test_5_3_example_5_10_the_least_squares_gradient_is_minus_2_e_transposed_phi():
    phi, y = t64(RNG.normal(size=(6, 3))), t64(RNG.normal(size=6))
    theta = t64(RNG.normal(size=3)).requires_grad_()
    e = y - phi @ theta
    loss = e @ e  # L(e) = ||e||^2
    loss.backward()
    torch.testing.assert_close(torch.tensor(theta.grad), -2 * e.detach() @ phi)
    torch.testing.assert_close(jacobian(lambda th: y - phi @ th, theta.detach()), -phi)  # de/dtheta = -Phi


# ---------------------------------------------------------------- 5.4 gradients of matrices
def test_5_4_example_5_11_d_Ax_d_A_is_x_in_its_own_row():
    m, n = 3, 4
    x = t64(RNG.normal(size=n))
    d = jacobian(lambda a: a @ x, t64(RNG.normal(size=(m, n))))
    assert d.shape == (m, m, n)  # df/dA in R^(M x (M x N))
    book = np.zeros((m, m, n))
    for i in range(m):
        book[i, i, :] = x.data  # df_i/dA_iq = x_q, and 0 in every other row of A
    torch.testing.assert_close(d, t64(book))
    torch.testing.assert_close(torch.func.jacrev(lambda a: a @ x)(t64(RNG.normal(size=(m, n)))), t64(book))


def test_5_4_example_5_12_the_gradient_of_R_transposed_R():
    m, n = 4, 3
    r = RNG.normal(size=(m, n))
    d = jacobian(lambda r: r.T @ r, t64(r))  # dK_pq / dR_ij, K in R^(N x N)
    book = np.zeros((n, n, m, n))
    for p, q, i, j in np.ndindex(n, n, m, n):
        book[p, q, i, j] = r[i, q] * (j == p) + r[i, p] * (j == q)  # 2 R_iq when j = p = q
    torch.testing.assert_close(d, t64(book))


# ---------------------------------------------------------------- 5.5 useful identities
def _square(shift: float = 3.0) -> np.ndarray:
    return RNG.normal(size=(3, 3)) + shift * np.eye(3)


def test_5_5_the_trace_and_transpose_identities():
    a, b = t64(RNG.normal(size=(2, 3))), t64(RNG.normal(size=(3, 2)))
    x = t64(_square())
    torch.testing.assert_close(torch.func.grad(lambda x: torch.trace(a @ x @ b))(x), a.T @ b.T)  # d tr(AXB)/dX
    torch.testing.assert_close(
        jacobian(lambda x: torch.trace(x @ x), x), torch.func.grad(lambda x: torch.trace(x @ x))(x)
    )  # tr commutes with d/dX: tr(dX X + X dX) -> 2 X^T
    torch.testing.assert_close(torch.func.grad(lambda x: torch.trace(x @ x))(x), 2 * x.T)
    j = jacobian(lambda x: x.T, x)  # d f(X)^T / dX = (df/dX)^T, the identity's entries moved
    torch.testing.assert_close(j, t64(np.eye(9).reshape(3, 3, 3, 3).transpose(1, 0, 2, 3)))


def test_5_5_the_determinant_and_inverse_identities():
    x = t64(_square())
    xi = np.linalg.inv(x.data)
    det_x = np.linalg.det(x.data)
    torch.testing.assert_close(torch.func.grad(torch.linalg.det)(x), t64(det_x * xi.T))  # det(X) tr(X^-1 dX)
    book = -np.einsum("ik,lj->ijkl", xi, xi)  # dX^-1/dX_kl = -X^-1 E_kl X^-1
    torch.testing.assert_close(jacobian(torch.linalg.inv, x), t64(book))
    a, b = RNG.normal(size=3), RNG.normal(size=3)
    torch.testing.assert_close(
        torch.func.grad(lambda x: t64(a) @ torch.linalg.inv(x) @ t64(b))(x), t64(-xi.T @ np.outer(a, b) @ xi.T)
    )


def test_5_5_the_vector_and_quadratic_form_identities():
    x, a = t64(RNG.normal(size=3)), t64(RNG.normal(size=3))
    torch.testing.assert_close(torch.func.grad(lambda x: x @ a)(x), a)  # d x^T a / dx = a^T
    torch.testing.assert_close(torch.func.grad(lambda x: a @ x)(x), a)
    big_b = t64(RNG.normal(size=(3, 3)))
    torch.testing.assert_close(torch.func.grad(lambda x: x @ big_b @ x)(x), x @ (big_b + big_b.T))
    aa, bb = t64(RNG.normal(size=2)), t64(RNG.normal(size=4))
    torch.testing.assert_close(
        torch.func.grad(lambda m: aa @ m @ bb)(t64(RNG.normal(size=(2, 4)))), torch.outer(aa, bb)
    )  # d a^T X b / dX = a b^T


def test_5_5_the_weighted_least_squares_identity_for_a_symmetric_w():
    a, x, s = t64(RNG.normal(size=(4, 2))), t64(RNG.normal(size=4)), t64(RNG.normal(size=2))
    w = RNG.normal(size=(4, 4))
    w = t64(w @ w.T)

    def quadratic(s):
        r = x - a @ s
        return r @ w @ r

    torch.testing.assert_close(torch.func.grad(quadratic)(s), -2 * (x - a @ s) @ w @ a)
