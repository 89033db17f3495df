""" "Dive into Deep Learning" (d2l.ai, PyTorch edition) appendix 22.3 single variable calculus and 22.4
multivariable calculus, ported as tests/test_d2l_ports.py ports 2.5-6.6 (``torch = ag``; each step asserting the
book's printed value or stated identity; the engine's derivatives against the book's closed forms, finite
differences and, where installed, PyTorch).

22.3: the derivative of sin(x^x) (the book's closed form cos(x^x) x^x (log x + 1)); the rules (sum, product,
chain) on the engine's derivatives; Taylor polynomials of e^x, each degree closer near 0 and within Lagrange's
remainder bound. 22.4: the gradient's first-order approximation of f(x, y) = log(e^x + e^y) at (0, log 2) (the
book prints approximation 1.0819, true value 1.0821); the chain rule on the book's computation graph
(a = (w+x+y+z)^2, b = (w+x-y-z)^2, u = (a+b)^2, v = (a-b)^2, f = (u+v)^2: f = 1024 and every df/d. = -4096 at
(-1, 0, -2, 1)), by hand in both directions and by ``backward`` and ``jacfwd``; matrix calculus identities
(d/dx b^T x = b, d/dx x^T A x = (A + A^T) x, d/dX ||X||_F^2 = 2X); the Hessian of a quadratic and the quadratic
approximation f(x0) + g^T e + e^T H e / 2, whose error shrinks as |e|^3.

Where the spelling differs: ``w.grad.data.item()`` is ``w.grad.item()`` (``.grad`` is a numpy array, whose own
``.data`` is a memoryview); the book's ``grad_f`` builds ``torch.tensor([t1, t2])`` from two (1,)-shaped tensors,
which PyTorch reads as two scalars (shape (2,)) and ours, as numpy's ``np.array``, stacks (shape (2, 1)): a
``.reshape(-1)`` here. Left as is (ours keeps numpy's rule, one rule for every size; PyTorch refuses such a
list once the tensors have two elements). No other gaps found.
"""

import itertools
import math

import numpy as np
import pytest

import autograd_core as ag

torch = ag  # the book's own spelling, kept so each step reads as the book does


def _grad(f, x):
    x = torch.tensor(x, requires_grad=True)
    f(x).sum().backward()
    return x.grad


# ---------------------------------------------------------------- 22.3 Single variable calculus
def test_22_3_derivative_of_sin_x_to_the_x_is_the_book_s_closed_form():
    x_big = torch.arange(0.01, 3.01, 0.01)
    got = _grad(lambda x: torch.sin(x**x), x_big.data)
    xs = x_big.data
    np.testing.assert_allclose(got, np.cos(xs**xs) * xs**xs * (np.log(xs) + 1), rtol=1e-12, atol=1e-14)
    assert ag.gradcheck(lambda x: torch.sin(x**x), (torch.tensor([0.3, 1.0, 2.5], requires_grad=True),))


def test_22_3_sum_product_and_chain_rules():
    xs = np.linspace(0.2, 3.0, 15)
    f, df = torch.sin, np.cos
    g, dg = torch.exp, np.exp
    np.testing.assert_allclose(_grad(lambda x: f(x) + g(x), xs), df(xs) + dg(xs), rtol=1e-14)
    np.testing.assert_allclose(_grad(lambda x: f(x) * g(x), xs), df(xs) * np.exp(xs) + np.sin(xs) * dg(xs), rtol=1e-13)
    np.testing.assert_allclose(_grad(lambda x: f(g(x)), xs), df(np.exp(xs)) * dg(xs), rtol=1e-13)
    # the book's worked example: d/dx log(1 + (x - 1)^10) = 10 (x - 1)^9 / (1 + (x - 1)^10)
    np.testing.assert_allclose(
        _grad(lambda x: torch.log(1 + (x - 1) ** 10), xs), 10 * (xs - 1) ** 9 / (1 + (xs - 1) ** 10)
    )


def test_22_3_taylor_polynomials_of_exp_improve_with_degree_near_zero():
    xs = torch.arange(0, 3, 0.01)
    ys = torch.exp(xs)
    P1 = 1 + xs
    P2 = 1 + xs + xs**2 / 2
    P5 = 1 + xs + xs**2 / 2 + xs**3 / 6 + xs**4 / 24 + xs**5 / 120
    errors = [np.abs((ys - P).data) for P in (P1, P2, P5)]
    near = xs.data <= 1
    assert errors[0][near].max() > errors[1][near].max() > errors[2][near].max()
    for n, error in zip((1, 2, 5), errors):  # Lagrange: |R_n(x)| <= e^x x^(n+1) / (n+1)!
        assert (error <= np.exp(xs.data) * xs.data ** (n + 1) / math.factorial(n + 1) + 1e-12).all()
    # the coefficients are the derivatives at 0: every derivative of exp is 1 (engine's higher derivatives)
    x = torch.tensor(0.0, requires_grad=True)
    y, derivatives = torch.exp(x), []
    for _ in range(5):
        (y,) = ag.grad(y, [x], create_graph=True)
        derivatives.append(float(y))
    assert derivatives == [1.0] * 5


# ---------------------------------------------------------------- 22.4 Multivariable calculus
def f_lse(x, y):
    return torch.log(torch.exp(x) + torch.exp(y))


def grad_f(x, y):
    return torch.tensor(
        [torch.exp(x) / (torch.exp(x) + torch.exp(y)), torch.exp(y) / (torch.exp(x) + torch.exp(y))]
    ).reshape(-1)  # a list of (1,) tensors stacks to (2, 1) here, as numpy; PyTorch makes each a scalar: (2,)


def test_22_4_gradient_approximation_of_log_sum_exp():
    epsilon = torch.tensor([0.01, -0.03])
    grad_approx = f_lse(torch.tensor([0.0]), torch.log(torch.tensor([2.0]))) + epsilon.dot(
        grad_f(torch.tensor([0.0]), torch.log(torch.tensor([2.0])))
    )
    true_value = f_lse(torch.tensor([0.0]) + epsilon[0], torch.log(torch.tensor([2.0])) + epsilon[1])
    assert f"approximation: {float(grad_approx[0]):.4f}, true Value: {float(true_value[0]):.4f}" == (
        "approximation: 1.0819, true Value: 1.0821"
    )
    pair = [torch.tensor([1.0]), torch.tensor([2.0])]
    assert torch.tensor(pair).shape == (2, 1)  # numpy's np.array(pair) too; torch.tensor(pair) is (2,)
    x, y = torch.tensor(0.0, requires_grad=True), torch.tensor(math.log(2.0), requires_grad=True)
    f_lse(x, y).backward()  # the engine's gradient is the book's grad_f: (1/3, 2/3)
    np.testing.assert_allclose([x.grad, y.grad], [1 / 3, 2 / 3], rtol=1e-15)


def _book_graph(w, x, y, z):
    a, b = (w + x + y + z) ** 2, (w + x - y - z) ** 2
    u, v = (a + b) ** 2, (a - b) ** 2
    return (u + v) ** 2


def test_22_4_chain_rule_on_the_book_s_graph_forward_and_backward_by_hand_and_by_the_engine():
    w, x, y, z = -1, 0, -2, 1
    # the book's forward pass and its hand-written reverse pass
    a, b = (w + x + y + z) ** 2, (w + x - y - z) ** 2
    u, v = (a + b) ** 2, (a - b) ** 2
    f = (u + v) ** 2
    df_du, df_dv = 2 * (u + v), 2 * (u + v)
    df_da, df_db = df_du * 2 * (a + b) + df_dv * 2 * (a - b), df_du * 2 * (a + b) - df_dv * 2 * (a - b)
    df_dw = df_da * 2 * (w + x + y + z) + df_db * 2 * (w + x - y - z)
    df_dx = df_da * 2 * (w + x + y + z) + df_db * 2 * (w + x - y - z)
    df_dy = df_da * 2 * (w + x + y + z) - df_db * 2 * (w + x - y - z)
    df_dz = df_da * 2 * (w + x + y + z) - df_db * 2 * (w + x - y - z)
    assert f == 1024 and (df_dw, df_dx, df_dy, df_dz) == (-4096, -4096, -4096, -4096)
    # the book's forward-mode pass for df/dw: da/dw, db/dw, du/dw, dv/dw, df/dw
    da_dw, db_dw = 2 * (w + x + y + z), 2 * (w + x - y - z)
    du_dw, dv_dw = 2 * (a + b) * (da_dw + db_dw), 2 * (a - b) * (da_dw - db_dw)
    assert 2 * (u + v) * (du_dw + dv_dw) == -4096
    # the engine: "Initialize as ndarrays, then attach gradients"
    w = torch.tensor([-1.0], requires_grad=True)
    x = torch.tensor([0.0], requires_grad=True)
    y = torch.tensor([-2.0], requires_grad=True)
    z = torch.tensor([1.0], requires_grad=True)
    f = _book_graph(w, x, y, z)
    f.backward()
    line = f"df/dw at {w.data.item()}, {x.data.item()}, {y.data.item()}, {z.data.item()} is {w.grad.item()}"
    assert line == "df/dw at -1.0, 0.0, -2.0, 1.0 is -4096.0"
    assert [t.grad.item() for t in (x, y, z)] == [-4096.0] * 3
    forward = ag.jacfwd(lambda w: _book_graph(w, x.detach(), y.detach(), z.detach()))(w.detach())
    assert float(forward.reshape(())) == -4096.0  # forward mode agrees
    real = pytest.importorskip("torch")
    leaves = [real.tensor([v], requires_grad=True, dtype=real.float64) for v in (-1.0, 0.0, -2.0, 1.0)]
    _book_graph(*leaves).backward()
    assert [t.grad.item() for t in leaves] == [-4096.0] * 4


def test_22_4_matrix_calculus_identities():
    rng = np.random.default_rng(0)
    beta, x0, A, X0 = rng.normal(size=4), rng.normal(size=4), rng.normal(size=(4, 4)), rng.normal(size=(3, 4))
    np.testing.assert_allclose(_grad(lambda x: torch.tensor(beta) @ x, x0), beta)
    np.testing.assert_allclose(_grad(lambda x: x @ torch.tensor(A) @ x, x0), (A + A.T) @ x0, rtol=1e-13)
    np.testing.assert_allclose(_grad(lambda X: (X**2).sum(), X0), 2 * X0)  # d/dX ||X||_F^2 = 2X


def test_22_4_hessian_and_the_quadratic_approximation():
    c = dict(a=0.5, b1=-1.0, b2=2.0, c11=1.5, c12=-0.7, c22=0.25)

    def quadratic(v):
        x1, x2 = v[0], v[1]
        return c["a"] + c["b1"] * x1 + c["b2"] * x2 + c["c11"] * x1**2 + c["c12"] * x1 * x2 + c["c22"] * x2**2

    H = ag.hessian(quadratic)(torch.tensor([0.3, -1.2]))
    np.testing.assert_allclose(H.data, [[2 * c["c11"], c["c12"]], [c["c12"], 2 * c["c22"]]], rtol=1e-14)

    def lse(v):
        return torch.log(torch.exp(v).sum())

    x0 = torch.tensor([0.0, math.log(2.0)])
    x = x0.detach().requires_grad_(True)
    (g,) = ag.grad(lse(x), [x])
    H = ag.hessian(lse)(x0).data
    p = np.array([1 / 3, 2 / 3])
    np.testing.assert_allclose(H, np.diag(p) - np.outer(p, p), atol=1e-15)  # softmax's Jacobian
    direction = np.array([0.6, -0.8])
    errors = []
    for eps in (0.1, 0.05, 0.025):
        e = eps * direction
        approx = float(lse(x0)) + g.data @ e + e @ H @ e / 2
        errors.append(abs(float(lse(x0 + torch.tensor(e))) - approx))
    assert all(6 < big / small < 10 for big, small in itertools.pairwise(errors))  # halving eps: error / 8
