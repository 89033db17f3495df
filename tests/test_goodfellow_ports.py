"""Goodfellow, Bengio & Courville, *Deep Learning* (MIT Press 2016), chapter 4.3-4.5 (gradient-based and
constrained optimisation, the least-squares example) and chapter 6.1-6.3 (learning XOR, cost functions, hidden
units), ported step by step. The book's closed forms are the ORACLE: the least-squares gradient A^T(Ax - b), the
Newton step -H^-1 g, the optimal step g^T g / g^T H g (eq. 4.10), the XOR solution of section 6.1, sigma' =
sigma(1 - sigma) and softplus' = sigma; gradients are also checked by finite differences, and by torch where
installed. Back-propagation (6.5) is in ``_backprop.py``, regularisation (ch. 7) in ``_regularization.py``, the
optimisers of ch. 8 in ``_optim.py``.

Where the port differs from the book:
- relu'(0) is 1/2 here (the project's kink convention, the mean of the one-sided derivatives); the book (6.3)
  says implementations return one of the one-sided derivatives (torch: 0). No point of the XOR net below sits
  on the kink after the first step, so the outcome is the same.
- the book's x is a column; here a row per example (``X @ W``), as ``nn.Linear`` stores it transposed.

What the port needed: nothing new; every step ran as the book writes it.
"""

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core import Tensor

RNG = np.random.default_rng(0)
A = RNG.normal(size=(8, 3))
B = RNG.normal(size=8)


def least_squares(x):
    """f(x) = 1/2 ||Ax - b||^2 (section 4.5)."""
    r = Tensor(A) @ x - Tensor(B)
    return 0.5 * (r * r).sum()


# ---------------------------------------------------------------- 4.3 / 4.5 gradient descent on least squares
def test_least_squares_gradient_is_a_transpose_a_x_minus_a_transpose_b():
    x = Tensor(RNG.normal(size=3), requires_grad=True)
    least_squares(x).backward()
    np.testing.assert_allclose(x.grad, A.T @ A @ x.data - A.T @ B, rtol=1e-12)
    assert ag.gradcheck(least_squares, (Tensor(x.data, requires_grad=True),))


def test_algorithm_4_1_gradient_descent_reaches_the_normal_equations_solution():
    """The book's loop: while ||A^T A x - A^T b|| > delta: x <- x - eps (A^T A x - A^T b)."""
    eps, delta = 0.5 / np.linalg.eigvalsh(A.T @ A).max(), 1e-10
    x = Tensor(np.zeros(3), requires_grad=True)
    steps = 0
    while True:
        x.grad = None
        least_squares(x).backward()
        if np.linalg.norm(x.grad) <= delta:
            break
        with ag.no_grad():
            x -= eps * x.grad
        steps += 1
        assert steps < 10_000
    np.testing.assert_allclose(x.data, np.linalg.lstsq(A, B, rcond=None)[0], atol=1e-9)
    assert steps > 10  # a real descent, not a one-step fluke


def test_step_size_above_2_over_lambda_max_diverges_below_converges():
    """Section 4.3.1: on a quadratic, gradient descent converges iff eps < 2 / lambda_max(H)."""
    lam_max = np.linalg.eigvalsh(A.T @ A).max()
    final = {}
    for factor in (1.9, 2.1):
        x = Tensor(np.ones(3), requires_grad=True)
        opt = nn.optim.SGD([x], lr=factor / lam_max)
        for _ in range(300):
            opt.zero_grad()
            least_squares(x).backward()
            opt.step()
        final[factor] = float(least_squares(x).item())
    best = float(least_squares(Tensor(np.linalg.lstsq(A, B, rcond=None)[0])).item())
    assert final[1.9] == pytest.approx(best, abs=1e-6)
    assert final[2.1] > 1e6 * (1 + best)


def test_eq_4_10_optimal_step_g_g_over_g_h_g_is_exact_line_search_on_a_quadratic():
    """eps* = g^T g / g^T H g, with H g by one double backward (ag.hvp); on a quadratic f(x - eps g) is
    minimised there exactly (the second-order Taylor series is the function)."""
    x0 = Tensor(RNG.normal(size=3))
    g = ag.grad(least_squares(x0.requires_grad_()), x0)[0].detach()
    _, Hg = ag.hvp(least_squares, x0.detach(), g)
    eps_star = float((g * g).sum().item() / (g * Hg).sum().item())
    np.testing.assert_allclose(Hg.data, A.T @ A @ g.data, rtol=1e-12)

    def along(eps):
        return float(least_squares(x0.detach() - eps * g).item())

    for off in (1e-3, -1e-3):
        assert along(eps_star) < along(eps_star + off)
    # eq. 4.9: f(x - eps g) = f(x) - eps g^T g + 1/2 eps^2 g^T H g, exactly for a quadratic
    for eps in (0.01, eps_star, 0.7):
        taylor = along(0) - eps * float((g * g).sum().item()) + 0.5 * eps**2 * float((g * Hg).sum().item())
        assert along(eps) == pytest.approx(taylor, rel=1e-12)


def test_newton_step_reaches_the_minimum_of_a_quadratic_in_one_step():
    """Eq. 4.12: x* = x0 - H^-1 grad f(x0); H from ag.hessian (= A^T A)."""
    x0 = Tensor(RNG.normal(size=3))
    H = ag.hessian(least_squares)(x0).data
    np.testing.assert_allclose(H, A.T @ A, rtol=1e-12)
    g = ag.grad(least_squares(x0.requires_grad_()), x0)[0].data
    x1 = x0.data - np.linalg.solve(H, g)
    np.testing.assert_allclose(x1, np.linalg.lstsq(A, B, rcond=None)[0], atol=1e-12)
    x1 = Tensor(x1, requires_grad=True)
    (g1,) = ag.grad(least_squares(x1), x1)
    assert np.abs(g1.data).max() < 1e-12


@pytest.mark.parametrize("kappa", [10.0, 100.0])
def test_condition_number_sets_gradient_descents_rate_newton_ignores_it(kappa):
    """Section 4.3.1: a poor condition number makes gradient descent slow. With the best fixed step
    2 / (l_min + l_max) the error shrinks by (kappa - 1) / (kappa + 1) a step: measured on f = 1/2 x^T H x."""
    H = np.diag([1.0, kappa])
    x = Tensor(np.array([1.0, 1.0 / kappa]), requires_grad=True)  # an equal share of error on both axes
    opt = nn.optim.SGD([x], lr=2 / (1 + kappa))
    errors = []
    for _ in range(20):
        opt.zero_grad()
        (0.5 * (x @ Tensor(H) @ x)).backward()
        opt.step()
        errors.append(np.linalg.norm(x.data))
    rate = (errors[-1] / errors[-2]) if errors[-2] else 0.0
    assert rate == pytest.approx((kappa - 1) / (kappa + 1), rel=1e-9)
    # Newton's one step, whatever kappa
    newton = np.array([1.0, 1.0 / kappa]) - np.linalg.solve(H, H @ np.array([1.0, 1.0 / kappa]))
    assert np.abs(newton).max() == 0


# ---------------------------------------------------------------- 4.4 constrained: least squares in the unit ball
def test_section_4_5_lagrangian_gradient_ascent_on_lambda_meets_the_kkt_conditions():
    """min 1/2||Ax - b||^2 subject to x^T x <= 1. L(x, lam) = f(x) + lam (x^T x - 1); for a lam, x = (A^T A +
    2 lam I)^-1 A^T b; then lam <- lam + alpha dL/dlam (= x^T x - 1), the derivative taken by the engine."""
    b = 4 * B  # large enough that the unconstrained solution lies outside the ball
    assert np.linalg.norm(np.linalg.lstsq(A, b, rcond=None)[0]) > 1
    lam = Tensor(0.0, requires_grad=True)
    for _ in range(2000):
        x = np.linalg.solve(A.T @ A + 2 * lam.data * np.eye(3), A.T @ b)
        xt = Tensor(x)
        L = 0.5 * ((Tensor(A) @ xt - Tensor(b)) ** 2).sum() + lam * ((xt * xt).sum() - 1)
        (dlam,) = ag.grad(L, lam)
        assert dlam.item() == pytest.approx(x @ x - 1, rel=1e-12)
        with ag.no_grad():
            lam = Tensor(max(0.0, float(lam.data) + 0.5 * float(dlam.data)), requires_grad=True)
    # KKT: primal feasible on the boundary, lam >= 0, stationarity of L in x, complementary slackness
    assert x @ x == pytest.approx(1.0, abs=1e-8) and lam.item() > 0
    xt = Tensor(x, requires_grad=True)
    L = 0.5 * ((Tensor(A) @ xt - Tensor(b)) ** 2).sum() + lam.detach() * ((xt * xt).sum() - 1)
    (gx,) = ag.grad(L, xt)
    assert np.abs(gx.data).max() < 1e-6
    # the same point by projected gradient descent (another route to the constrained minimum)
    z = np.zeros(3)
    for _ in range(20000):
        z = z - 0.02 * (A.T @ (A @ z - b))
        z = z / max(1.0, np.linalg.norm(z))
    np.testing.assert_allclose(x, z, atol=1e-6)


# ---------------------------------------------------------------- 6.1 learning XOR
X_XOR = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y_XOR = np.array([0.0, 1.0, 1.0, 0.0])


def test_linear_model_on_xor_is_w_0_b_one_half():
    """The normal equations give w = 0, b = 1/2: the linear model outputs 0.5 everywhere. Gradient descent on
    the MSE J(theta) = 1/4 sum (y - x^T w - b)^2 reaches it, and the engine's gradient there is 0."""
    w, b = Tensor(np.array([0.3, -0.2]), requires_grad=True), Tensor(0.1, requires_grad=True)
    opt = nn.optim.SGD([w, b], lr=0.5)
    for _ in range(500):
        opt.zero_grad()
        F.mse_loss(Tensor(X_XOR) @ w + b, Tensor(Y_XOR)).backward()
        opt.step()
    np.testing.assert_allclose(w.data, [0.0, 0.0], atol=1e-10)
    assert b.item() == pytest.approx(0.5, abs=1e-10)
    assert F.mse_loss(Tensor(X_XOR) @ w + b, Tensor(Y_XOR)).item() == pytest.approx(0.25)


def test_the_books_relu_solution_computes_xor_exactly_through_its_printed_matrices():
    W, c = np.array([[1.0, 1.0], [1.0, 1.0]]), np.array([0.0, -1.0])
    w, b = np.array([1.0, -2.0]), 0.0
    XW = Tensor(X_XOR) @ Tensor(W)
    np.testing.assert_array_equal(XW.data, [[0, 0], [1, 1], [1, 1], [2, 2]])
    np.testing.assert_array_equal((XW + Tensor(c)).data, [[0, -1], [1, 0], [1, 0], [2, 1]])
    h = F.relu(XW + Tensor(c))
    np.testing.assert_array_equal(h.data, [[0, 0], [1, 0], [1, 0], [2, 1]])
    np.testing.assert_array_equal((h @ Tensor(w) + b).data, Y_XOR)
    # the same weights in nn layers (Linear stores W^T)
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    model.load_state_dict({"0.weight": W.T, "0.bias": c, "2.weight": w[None], "2.bias": np.array([b])})
    np.testing.assert_array_equal(model(Tensor(X_XOR)).data[:, 0], Y_XOR)


def test_gradient_descent_from_a_random_init_solves_xor():
    """The book: gradient-based optimisation finds parameters of this net with tiny error. With 2 hidden
    ReLUs some inits end in a local minimum (a unit dead on some inputs); measured: 4 of 10 seeds reach
    MSE < 1e-8, the other 6 stop at exactly 1/6 or 1/8 (a point of XOR fitted by no unit)."""
    solved = 0
    for seed in range(10):
        model = nn.Sequential(nn.Linear(2, 2, seed=seed), nn.ReLU(), nn.Linear(2, 1, seed=seed + 100))
        opt = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        for _ in range(1000):
            opt.zero_grad()
            loss = F.mse_loss(model(Tensor(X_XOR))[:, 0], Tensor(Y_XOR))
            loss.backward()
            opt.step()
        if loss.item() < 1e-8:
            solved += 1
            np.testing.assert_allclose(model(Tensor(X_XOR)).data[:, 0], Y_XOR, atol=1e-4)
        else:
            assert min(abs(loss.item() - 1 / 6), abs(loss.item() - 1 / 8)) < 1e-6
    assert solved >= 4
