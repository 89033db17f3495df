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


# ---------------------------------------------------------------- 6.2 cost functions
def d_dz(loss_of_z, z0):
    z = Tensor(np.asarray(z0, dtype=float), requires_grad=True)
    (g,) = ag.grad(loss_of_z(z), z)
    return g.data


def test_mse_learns_the_conditional_mean_and_mae_the_median():
    """Section 6.2.1.2: minimising the mean squared error predicts the mean of y, the mean absolute error
    its median. One constant fitted by gradient descent to a skewed sample."""
    y = Tensor(np.array([0.0, 0.0, 1.0, 2.0, 10.0]))
    fits = {}
    for name, loss_fn, lr in (("mse", F.mse_loss, 0.1), ("mae", F.l1_loss, 0.01)):
        c = Tensor(3.0, requires_grad=True)
        opt = nn.optim.SGD([c], lr=lr)
        for _ in range(2000):
            opt.zero_grad()
            loss_fn(c.expand(5), y).backward()
            opt.step()
        fits[name] = c.item()
    assert fits["mse"] == pytest.approx(2.6, abs=1e-9)  # mean
    assert fits["mae"] == pytest.approx(1.0, abs=0.01)  # median (a fixed step hovers within lr of it)


def test_sigmoid_with_cross_entropy_saturates_only_when_right_mse_also_when_wrong():
    """Section 6.2.2.2: J = zeta((1 - 2y) z) (softplus) is binary cross-entropy on the logit z; its gradient
    sigma(z) - y is ~ -1 when the answer is confidently wrong (z = -10, y = 1), while the squared error of
    sigma(z) has gradient (sigma - y) sigma (1 - sigma) ~ -4.5e-5 there: it saturates."""
    y = Tensor(1.0)

    def ce(z):
        return F.binary_cross_entropy_with_logits(z, y)

    def softplus_form(z):
        return F.softplus((1 - 2 * y) * z)

    def mse(z):
        return 0.5 * (z.sigmoid() - y) ** 2

    s = 1 / (1 + np.exp(10.0))  # sigma(-10)
    assert ce(Tensor(-10.0)).item() == pytest.approx(softplus_form(Tensor(-10.0)).item(), rel=1e-12)
    assert d_dz(ce, -10.0) == pytest.approx(s - 1, rel=1e-12)
    assert d_dz(softplus_form, -10.0) == pytest.approx(s - 1, rel=1e-12)
    assert d_dz(mse, -10.0) == pytest.approx((s - 1) * s * (1 - s), rel=1e-10)
    assert abs(d_dz(ce, -10.0)) / abs(d_dz(mse, -10.0)) > 2e4
    # right and confident: both small (cross-entropy's saturation is harmless here)
    assert abs(d_dz(ce, 10.0)) < 5e-5 and abs(d_dz(mse, 10.0)) < 5e-9


def test_the_loss_written_on_the_logit_survives_where_log_of_sigmoid_underflows():
    """Section 6.2.2.2: write the cost as a function of z, not of sigma(z): at z = -1000, sigma(z) is 0 in
    float64, so log sigma(z) is -inf. The logit form gives 1000 with gradient -1; the probability form gives
    BCELoss's clamp of log at -100 (torch's) and no gradient at all: learning stops."""
    y = Tensor(1.0)
    assert F.binary_cross_entropy_with_logits(Tensor(-1000.0), y).item() == 1000.0
    assert d_dz(lambda z: F.binary_cross_entropy_with_logits(z, y), -1000.0) == -1.0
    assert d_dz(lambda z: -F.logsigmoid(z), -1000.0) == -1.0
    assert F.binary_cross_entropy(Tensor(-1000.0).sigmoid(), y).item() == 100.0
    assert d_dz(lambda z: F.binary_cross_entropy(z.sigmoid(), y), -1000.0) == 0.0
    torch = pytest.importorskip("torch")
    zt = torch.tensor(-1000.0, dtype=torch.float64, requires_grad=True)
    loss = torch.nn.functional.binary_cross_entropy(torch.sigmoid(zt), torch.tensor(1.0, dtype=torch.float64))
    loss.backward()
    assert (loss.item(), zt.grad.item()) == (100.0, 0.0)


def test_softmax_cross_entropy_gradient_is_softmax_minus_one_hot_and_stays_large_when_wrong():
    """Section 6.2.2.3: log softmax(z)_i = z_i - log sum_j exp z_j; its negative's gradient softmax(z) - e_y is
    ~ (1, -1, 0) for a confidently wrong z, while the squared error of softmax(z) vanishes there."""
    z0, label = np.array([10.0, 0.0, 0.0]), 1
    p = np.exp(z0 - z0.max()) / np.exp(z0 - z0.max()).sum()
    target = Tensor(np.array(label))

    def ce(z):
        return F.cross_entropy(z, target)

    def mse(z):
        return ((F.softmax(z, dim=0) - Tensor(np.eye(3)[label])) ** 2).sum()

    np.testing.assert_allclose(d_dz(ce, z0), p - np.eye(3)[label], rtol=1e-12, atol=1e-15)
    assert np.abs(d_dz(ce, z0)).max() > 0.99
    assert np.abs(d_dz(mse, z0)).max() < 3e-4  # 2.7e-4: 3,600 times smaller
    # softmax(z) = softmax(z + c), and the log-softmax of large scores stays finite (eq. 6.33's stable form)
    z = Tensor(np.array([1000.0, 0.0, -1000.0]))
    np.testing.assert_allclose(F.softmax(z, dim=0).data, F.softmax(z - 1000.0, dim=0).data, rtol=1e-15)
    np.testing.assert_allclose(F.log_softmax(z, dim=0).data, [0.0, -1000.0, -2000.0])


# ---------------------------------------------------------------- 6.3 hidden units and their derivatives
ZS = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])


@pytest.mark.parametrize(
    "name, g, closed_form",
    [
        ("relu", F.relu, lambda z: np.where(z > 0, 1.0, np.where(z < 0, 0.0, 0.5))),
        ("absolute value rectification", lambda z: F.prelu(z, Tensor(np.array([-1.0]))), np.sign),
        ("leaky relu", lambda z: F.leaky_relu(z, 0.01), lambda z: np.where(z > 0, 1.0, np.where(z < 0, 0.01, 0.505))),
        ("logistic sigmoid", F.sigmoid, lambda z: (s := 1 / (1 + np.exp(-z))) * (1 - s)),
        ("tanh", F.tanh, lambda z: 1 - np.tanh(z) ** 2),
        ("softplus", F.softplus, lambda z: 1 / (1 + np.exp(-z))),
        ("hard tanh", F.hardtanh, lambda z: (np.abs(z) < 1).astype(float)),
    ],
)
def test_hidden_unit_derivatives_are_their_closed_forms(name, g, closed_form):
    """g(z) elementwise, so the gradient of sum g(z) is g'(z). The generalised rectifier max(0, z) + a min(0, z)
    is prelu: a = -1 is |z|, a = 0.01 leaky. At the kink z = 0 the project returns the one-sided mean."""
    np.testing.assert_allclose(d_dz(lambda z: g(z).sum(), ZS), closed_form(ZS), rtol=1e-12, atol=1e-15)
    smooth = ZS[ZS != 0] + 0.1  # off every kink (0, +-1): finite differences are exact enough there
    assert ag.gradcheck(lambda z: g(z).sum(), (Tensor(smooth, requires_grad=True),))


def test_tanh_is_a_rescaled_sigmoid_and_prelus_slope_learns_min_0_z():
    z = Tensor(ZS)
    np.testing.assert_allclose(F.tanh(z).data, (2 * F.sigmoid(2 * z) - 1).data, atol=1e-15)
    a = Tensor(np.array([0.25]), requires_grad=True)
    (da,) = ag.grad(F.prelu(z, a).sum(), a)
    assert da.item() == pytest.approx(np.minimum(0, ZS).sum())


def test_maxout_composed_from_reshape_and_max_routes_the_gradient_to_each_groups_winner():
    """Section 6.3.1: g(z)_i = max over the k entries of group i; built from reshape and max, no new op."""
    z = Tensor(np.array([[0.3, -1.0, 2.0, 0.5, 0.1, -0.2]]), requires_grad=True)
    out = z.reshape(1, 3, 2).max(axis=2)  # three groups of k = 2
    np.testing.assert_array_equal(out.data, [[0.3, 2.0, 0.1]])
    out.sum().backward()
    np.testing.assert_array_equal(z.grad, [[1, 0, 1, 0, 1, 0]])


def test_relu_at_the_kink_differs_from_torch_by_design():
    torch = pytest.importorskip("torch")
    zt = torch.tensor(ZS, requires_grad=True)
    torch.relu(zt).sum().backward()
    ours = d_dz(lambda z: F.relu(z).sum(), ZS)
    np.testing.assert_array_equal(ours[ZS != 0], zt.grad.numpy()[ZS != 0])
    assert (ours[ZS == 0], zt.grad.numpy()[ZS == 0]) == (0.5, 0.0)
