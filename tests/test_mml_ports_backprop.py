"""*Mathematics for Machine Learning*, chapter 5, sections 5.6-5.8 and the chapter's exercises, ported (sections
5.1-5.5 are in test_mml_ports.py): backpropagation and automatic differentiation on the book's example function,
its intermediate variables' derivatives read from the engine, forward mode beside reverse mode, the gradients of
a deep network, higher-order derivatives, and the Taylor series examples, each against the book's numbers.

5.6  Example 5.13/5.14: f(x) = sqrt(x^2 + exp(x^2)) + cos(x^2 + exp(x^2)), by the intermediate variables a..e of
     figure 5.11; each intermediate's adjoint (``retain_grad``) is the book's (5.135)-(5.138); forward mode
     (``torch.autograd.forward_ad``'s dual numbers, ``torch.func.jvp``) agrees; a K-layer network's gradients
     (5.114)-(5.117) equal the chain rule written out layer by layer
5.7  Higher-order derivatives by ``create_graph``: the Hessian is symmetric (Schwarz), computed three ways
5.8  Example 5.2 (T_6 of x^4 at 1 is x^4), 5.3 (sin x + cos x at 0: derivatives 1, 1, -1, -1, ...), and the
     two-variable example f(x, y) = x^2 + 2xy + y^3 at (1, 2): f = 13, gradient (6, 14), Hessian
     [[2, 2], [2, 12]], third derivative 6, and the Taylor polynomial of degree 3 is f itself;
     ``torch.func.linearize`` is the first-order Taylor polynomial
Ex.  Exercises 5.1-5.8's derivatives against their closed forms

What the port needed: ``torch.autograd.forward_ad`` (``dual_level``, ``make_dual``, ``unpack_dual``: the forward
mode of section 5.6) and ``torch.func.linearize`` (section 5.8's linearisation) were missing.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import autograd_core as torch
from autograd_core.autograd.functional import hessian, jacobian

RNG = np.random.default_rng(58)


def t64(values) -> torch.Tensor:
    return torch.tensor(np.asarray(values, dtype=np.float64))


def book_f(x: float) -> float:
    return math.sqrt(x**2 + math.exp(x**2)) + math.cos(x**2 + math.exp(x**2))


def book_df(x: float) -> float:  # (5.110)
    c = x**2 + math.exp(x**2)
    return 2 * x * (1 / (2 * math.sqrt(c)) - math.sin(c)) * (1 + math.exp(x**2))


# ---------------------------------------------------------------- what the port needed
def test_what_the_port_needed_forward_ad_dual_numbers_give_the_jacobian_times_the_tangent():
    import autograd_core.autograd.forward_ad as fwAD  # (import torch.autograd.forward_ad as fwAD)

    x = t64([1.0, 2.0])
    v = t64([0.3, -1.0])

    def f(v):
        return torch.stack([v[0] ** 2 * v[1], v[0] + torch.sin(v[1]), torch.exp(v[0] * v[1])])

    with fwAD.dual_level():
        dual = fwAD.make_dual(x, v)
        y = f(dual)
        primal, tangent = fwAD.unpack_dual(y)
        assert fwAD.unpack_dual(torch.ones(2)).tangent is None  # not computed from a dual tensor
        torch.testing.assert_close(fwAD.unpack_dual(dual).tangent, v)
    torch.testing.assert_close(primal, f(x))
    torch.testing.assert_close(tangent, jacobian(f, x) @ v)
    assert not primal.requires_grad
    with pytest.raises(RuntimeError, match=r"make_dual: no dual level is open.*with forward_ad.dual_level"):
        fwAD.make_dual(x, v)
    with fwAD.dual_level(), pytest.raises(ValueError, match=r"tangent's shape \(3,\) must be the primal's \(2,\)"):
        fwAD.make_dual(x, t64([1.0, 2.0, 3.0]))
    with fwAD.dual_level(), pytest.raises(RuntimeError, match=r"a dual level is already open"):
        fwAD.enter_dual_level()


def test_what_the_port_needed_forward_ad_nests_under_reverse_mode_and_equals_torch():
    import autograd_core.autograd.forward_ad as fwAD  # (import torch.autograd.forward_ad as fwAD)

    real_torch = pytest.importorskip("torch")
    w = t64([0.5, -1.0, 2.0]).requires_grad_()
    v = t64([1.0, 0.5, 0.0])
    with fwAD.dual_level():
        tangent = fwAD.unpack_dual(torch.sin(fwAD.make_dual(w, v)).prod()).tangent
    tangent.backward()  # reverse over forward: a Hessian-vector product
    tw = real_torch.tensor(w.data, requires_grad=True)
    tv = real_torch.tensor(v.data)
    import torch.autograd.forward_ad as real_fwad

    with real_fwad.dual_level():
        t_tangent = real_fwad.unpack_dual(real_torch.sin(real_fwad.make_dual(tw, tv)).prod()).tangent
    t_tangent.backward()
    torch.testing.assert_close(tangent.detach(), t64(t_tangent.detach().numpy()))
    torch.testing.assert_close(t64(w.grad), t64(tw.grad.numpy()))


def test_what_the_port_needed_linearize_is_the_first_order_taylor_polynomial():
    def f(x):
        return torch.stack([torch.sin(x[0]) * x[1], x[0] ** 2])

    x0 = t64([0.4, 1.5])
    out, jvp_fn = torch.func.linearize(f, x0)
    torch.testing.assert_close(out, f(x0))
    dx = t64([1e-4, -2e-4])
    torch.testing.assert_close(out + jvp_fn(dx), f(x0 + dx), rtol=0, atol=1e-7)  # error O(|dx|^2)
    torch.testing.assert_close(jvp_fn(dx), jacobian(f, x0) @ dx)
    with pytest.raises(TypeError, match=r"jvp_fn takes one tangent per primal \(1\), got 2"):
        jvp_fn(dx, dx)


# ---------------------------------------------------------------- 5.6 backpropagation
@pytest.mark.parametrize("x", [-0.8, 0.5, 1.3])
def test_5_6_example_5_13_the_engine_s_derivative_is_the_book_s_closed_form(x):
    t = torch.tensor(x, requires_grad=True)
    f = torch.sqrt(t**2 + torch.exp(t**2)) + torch.cos(t**2 + torch.exp(t**2))
    f.backward()
    assert f.item() == pytest.approx(book_f(x), rel=1e-14)
    torch.testing.assert_close(t64(t.grad), t64(book_df(x)))


def test_5_6_example_5_14_each_intermediate_variable_gets_the_book_s_adjoint():
    x = torch.tensor(1.3, requires_grad=True)
    a = x**2
    b = torch.exp(a)
    c = a + b
    d = torch.sqrt(c)
    e = torch.cos(c)
    f = d + e
    for node in (a, b, c, d, e):
        node.retain_grad()
    f.backward()
    av, bv, cv = 1.3**2, math.exp(1.3**2), 1.3**2 + math.exp(1.3**2)
    df_dd = df_de = 1.0  # (5.134)
    df_dc = df_dd / (2 * math.sqrt(cv)) + df_de * -math.sin(cv)  # (5.135)
    df_db = df_dc * 1.0  # (5.136)
    df_da = df_db * math.exp(av) + df_dc * 1.0  # (5.137)
    df_dx = df_da * 2 * 1.3  # (5.138)
    for node, book in ((d, df_dd), (e, df_de), (c, df_dc), (b, df_db), (a, df_da), (x, df_dx)):
        torch.testing.assert_close(t64(node.grad), t64(book))
    assert bv == pytest.approx(b.item())


def test_5_6_forward_mode_and_reverse_mode_agree_on_the_book_s_function():
    import autograd_core.autograd.forward_ad as fwAD  # (import torch.autograd.forward_ad as fwAD)

    def f(t):
        return torch.sqrt(t**2 + torch.exp(t**2)) + torch.cos(t**2 + torch.exp(t**2))

    xs = t64([-0.8, 0.5, 1.3])
    with fwAD.dual_level():
        forward = fwAD.unpack_dual(f(fwAD.make_dual(xs, torch.ones_like(xs)))).tangent
    _, jvp_out = torch.func.jvp(f, (xs,), (torch.ones_like(xs),))
    reverse = torch.func.vmap(torch.func.grad(f))(xs)
    book = t64([book_df(x) for x in (-0.8, 0.5, 1.3)])
    for derivative in (forward, jvp_out, reverse):
        torch.testing.assert_close(derivative, book)


def test_5_6_1_a_deep_network_s_gradients_are_the_chain_rule_layer_by_layer():
    sizes = [3, 4, 4, 2]
    weights = [t64(RNG.normal(size=(m, n))).requires_grad_() for n, m in itertools.pairwise(sizes)]
    biases = [t64(RNG.normal(size=m)).requires_grad_() for m in sizes[1:]]
    x, y = t64(RNG.normal(size=3)), t64(RNG.normal(size=2))
    fs = [x]
    for a, b in zip(weights, biases):
        fs.append(torch.tanh(a @ fs[-1] + b))  # f_i = sigma(A_{i-1} f_{i-1} + b_{i-1}), (5.112)
    loss = ((y - fs[-1]) ** 2).sum()  # L = ||y - f_K||^2, (5.113)
    loss.backward()
    # (5.114)-(5.117) by hand: dL/df_K, then back through each layer's df_{i+1}/df_i and df_{i+1}/dtheta_i
    values = [f.data for f in fs]
    adjoint = -2 * (y.data - values[-1])
    for i in reversed(range(len(weights))):
        local = adjoint * (1 - values[i + 1] ** 2)  # through tanh
        torch.testing.assert_close(t64(weights[i].grad), t64(np.outer(local, values[i])))
        torch.testing.assert_close(t64(biases[i].grad), t64(local))
        adjoint = weights[i].data.T @ local


# ---------------------------------------------------------------- 5.7 higher-order derivatives
def test_5_7_the_hessian_is_symmetric_and_the_same_three_ways():
    def f(v):
        return torch.sin(v[0] * v[1]) + v[0] ** 3 * v[2] + torch.exp(v[1] - v[2])

    v = t64([0.3, -0.7, 0.2])
    h_functional = hessian(f, v)
    h_func = torch.func.hessian(f)(v)
    leaf = v.clone().requires_grad_()
    (g,) = torch.autograd.grad(f(leaf), leaf, create_graph=True)
    h_rows = torch.stack([torch.autograd.grad(g[i], leaf, retain_graph=True)[0] for i in range(3)])
    torch.testing.assert_close(h_functional, h_func)
    torch.testing.assert_close(h_rows, h_func)
    torch.testing.assert_close(h_func, h_func.T)  # d2f/dxdy = d2f/dydx (Schwarz)


# ---------------------------------------------------------------- 5.8 Taylor series
def derivatives(f, x0: float, order: int) -> list[float]:
    """f(x0), f'(x0), ..., by repeated ``torch.autograd.grad(..., create_graph=True)``."""
    x = torch.tensor(x0, requires_grad=True)
    y, values = f(x), []
    for _ in range(order + 1):
        values.append(y.item())
        if not y.requires_grad:  # a constant derivative: every higher one is 0
            y = torch.tensor(0.0)
            continue
        (y,) = torch.autograd.grad(y, x, create_graph=True, allow_unused=True, materialize_grads=True)
    return values


def test_5_8_example_5_2_the_taylor_polynomial_of_x_to_the_fourth_at_1_is_x_to_the_fourth():
    d = derivatives(lambda x: x**4, 1.0, 6)
    assert d == [1.0, 4.0, 12.0, 24.0, 24.0, 0.0, 0.0]  # (5.8)-(5.9)
    xs = np.linspace(-2, 3, 11)
    t6 = sum(d[k] / math.factorial(k) * (xs - 1) ** k for k in range(7))
    np.testing.assert_allclose(t6, xs**4, rtol=1e-12)


def test_5_8_example_5_3_sin_plus_cos_at_0_has_derivatives_1_1_minus_1_minus_1_repeating():
    d = derivatives(lambda x: torch.sin(x) + torch.cos(x), 0.0, 10)
    assert d == pytest.approx([1, 1, -1, -1] * 2 + [1, 1, -1], abs=1e-15)
    x = 0.9
    t10 = sum(d[k] / math.factorial(k) * x**k for k in range(11))
    assert t10 == pytest.approx(math.sin(x) + math.cos(x), abs=1e-8)  # T_10 close to f near 0


def test_5_8_the_two_variable_example_at_1_2():
    def f(v):
        return v[0] ** 2 + 2 * v[0] * v[1] + v[1] ** 3

    v0 = t64([1.0, 2.0])
    torch.testing.assert_close(f(v0), t64(13.0))  # (5.162)
    torch.testing.assert_close(torch.func.grad(f)(v0), t64([6.0, 14.0]))  # (5.165)
    torch.testing.assert_close(hessian(f, v0), t64([[2.0, 2.0], [2.0, 12.0]]))  # (5.172)
    third = torch.func.jacfwd(torch.func.hessian(f))(v0)  # D^3 f: only d3f/dy3 = 6, (5.175)
    book = np.zeros((2, 2, 2))
    book[1, 1, 1] = 6.0
    torch.testing.assert_close(third, t64(book))
    for x, y in RNG.uniform(-2, 3, size=(5, 2)):  # (5.180): the cubic Taylor polynomial is f exactly
        delta = t64([x - 1, y - 2])
        taylor = (
            f(v0)
            + torch.func.grad(f)(v0) @ delta
            + delta @ hessian(f, v0) @ delta / 2
            + torch.einsum("ijk,i,j,k->", third, delta, delta, delta) / 6
        )
        torch.testing.assert_close(taylor, f(t64([x, y])))


# ---------------------------------------------------------------- the exercises
def test_exercises_5_1_to_5_3_univariate_derivatives():
    x = 1.2
    (g,) = torch.autograd.grad(*(lambda t: (torch.log(t**4) * torch.sin(t**3), t))(torch.tensor(x, requires_grad=True)))
    torch.testing.assert_close(g, t64(4 / x * math.sin(x**3) + 3 * x**2 * math.log(x**4) * math.cos(x**3)))
    s = 1 / (1 + math.exp(-x))
    torch.testing.assert_close(torch.func.grad(torch.sigmoid)(t64(x)), t64(s * (1 - s)))
    mu, sigma = 0.3, 0.8
    gauss = torch.func.grad(lambda t: torch.exp(-((t - mu) ** 2) / (2 * sigma**2)))(t64(x))
    torch.testing.assert_close(gauss, t64(-(x - mu) / sigma**2 * math.exp(-((x - mu) ** 2) / (2 * sigma**2))))


def test_exercise_5_5_the_jacobians_of_sin_cos_of_x_transposed_y_and_of_x_x_transposed():
    x, y = t64(RNG.normal(size=3)), t64(RNG.normal(size=3))
    f1 = jacobian(lambda v: torch.sin(v[0]) * torch.cos(v[1]), x[:2])
    torch.testing.assert_close(f1, t64([math.cos(x[0].item()) * math.cos(x[1].item()),
                                        -math.sin(x[0].item()) * math.sin(x[1].item())]))  # fmt: skip
    jx, jy = jacobian(lambda a, b: a @ b, (x, y))
    torch.testing.assert_close(jx, y)
    torch.testing.assert_close(jy, x)
    f3 = torch.func.jacrev(lambda v: torch.outer(v, v))(x)  # R^(3 x 3 x 3): d(x x^T)_ij/dx_k
    eye = np.eye(3)
    book = np.einsum("ik,j->ijk", eye, x.data) + np.einsum("i,jk->ijk", x.data, eye)
    torch.testing.assert_close(f3, t64(book))


def test_exercises_5_6_to_5_8_chain_rule_compositions():
    t, x, a, b = t64(RNG.normal(size=3)), t64(RNG.normal(size=3)), t64(RNG.normal(size=(2, 3))), t64(RNG.normal(size=2))
    torch.testing.assert_close(torch.func.grad(lambda t: torch.sin(torch.log(t @ t)))(t),
                               torch.cos(torch.log(t @ t)) * 2 * t / (t @ t))  # fmt: skip
    torch.testing.assert_close(torch.func.grad(lambda x: torch.log(1 + x @ x))(x), 2 * x / (1 + x @ x))
    torch.testing.assert_close(jacobian(lambda x: torch.sin(a @ x + b), x), torch.cos(a @ x + b)[:, None] * a)
    torch.testing.assert_close(
        jacobian(lambda x: torch.tanh(a @ x + b), x), (1 - torch.tanh(a @ x + b) ** 2)[:, None] * a
    )
    mu, s = t64(RNG.normal(size=3)), t64(np.diag([1.0, 2.0, 0.5]))
    s_inv = torch.linalg.inv(s)
    gauss = torch.func.grad(lambda x: torch.exp(-((x - mu) @ s_inv @ (x - mu)) / 2))(x)
    value = torch.exp(-((x - mu) @ s_inv @ (x - mu)) / 2)
    torch.testing.assert_close(gauss, -value * (s_inv @ (x - mu)))  # S symmetric
    sigma = 0.7
    torch.testing.assert_close(
        torch.func.grad(lambda x: torch.trace(torch.outer(x, x) + sigma**2 * torch.eye(3)))(x), 2 * x
    )
