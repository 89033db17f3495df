"""Terence Parr & Jeremy Howard, "The Matrix Calculus You Need For Deep Learning" (explained.ai/matrix-calculus,
arXiv:1802.01528), ported identity by identity: every derivative, gradient and Jacobian the article derives by
hand is computed by the engine both ways (``ag.jacrev``: one vjp per output row; ``ag.jacfwd``: one jvp per input
column), by ``ag.value_and_grad`` where the function is scalar, and compared with the article's closed form and
with central finite differences (tests/matrix_calculus_helpers.py); torch's Jacobians too where it is installed.

a. Review: scalar derivative rules (constant, power, constant multiple, sum, product, chain)
b. Vector calculus and partial derivatives: f(x, y) = 3x²y, its gradient; the Jacobian of [f, g], g = 2x + y⁸
c. The identity's Jacobian; element-wise binary operators (diagonal Jacobians); scalar expansion; sum reduction
d. The chain rules: single-variable, the single-variable total derivative, the vector chain rule
e. The gradient of neuron activation, max(0, w·x + b), and of the neural network loss (with a descent step)

Where this engine deliberately differs from the article: the article takes d/dz max(0, z) = 0 at z = 0; here a
kink splits the gradient evenly (relu'(0) = 1/2, as ``max(0, z)``'s tie: README "Non-differentiable points"),
so the port asserts the article's values away from z = 0 and our 1/2 at it.

What the port needed: nothing new in the library: every identity held as written (the graph of the total
derivative's paths is ``viz.explain``'s output, asserted in d).
"""

import itertools
import math

import numpy as np
import pytest
from matrix_calculus_helpers import assert_jacobian, numeric_jacobian, torch_jacobian

import autograd_core as ag
import viz
from autograd_core import Tensor


def derivative(f, x):
    """df/dx of a scalar function at the number x, by reverse mode (the engine's grad of a 0-d Tensor)."""
    return ag.value_and_grad(f)(Tensor(float(x)))[1].item()


# ------------------------------------------------------------------ a. scalar derivative rules
@pytest.mark.parametrize("x", [-1.5, 0.3, 2.0])
def test_a_the_scalar_rules_table(x):
    assert derivative(lambda x: x * 0 + 99, x) == 0  # constant: d/dx 99 = 0
    assert derivative(lambda x: 3 * x, x) == 3  # multiplication by a constant: d/dx 3x = 3
    assert derivative(lambda x: x**3, x) == pytest.approx(3 * x**2, rel=1e-14)  # power rule
    assert derivative(lambda x: x**2 + 3 * x, x) == pytest.approx(2 * x + 3, rel=1e-14)  # sum rule
    assert derivative(lambda x: x**2 - 3 * x, x) == pytest.approx(2 * x - 3, rel=1e-14)  # difference rule
    assert derivative(lambda x: x**2 * x, x) == pytest.approx(x**2 + x * 2 * x, rel=1e-14)  # product rule: 3x²
    assert derivative(lambda x: ag.sin(x**2), x) == pytest.approx(2 * x * math.cos(x**2), rel=1e-13)  # chain rule
    assert derivative(lambda x: 9 * (x + x**2), x) == pytest.approx(9 * (1 + 2 * x), rel=1e-14)


# ------------------------------------------------------------------ b. partial derivatives and the Jacobian
def f_3x2y(x, y):
    return 3 * x**2 * y


def g_2x_y8(x, y):
    return 2 * x + y**8


@pytest.mark.parametrize(("x", "y"), [(1.0, 2.0), (-0.5, 0.7)])
def test_b_partial_derivatives_and_the_gradient_of_3x2y(x, y):
    value, (dfdx, dfdy) = ag.value_and_grad(f_3x2y, argnums=(0, 1))(x, y)
    assert value.item() == pytest.approx(3 * x**2 * y)
    assert dfdx.item() == pytest.approx(6 * y * x, rel=1e-14)  # y held constant
    assert dfdy.item() == pytest.approx(3 * x**2, rel=1e-14)  # x held constant
    # ∇f(x, y) = [6yx, 3x²]: the gradient of f of a vector argument [x, y] is the same row
    grad = ag.value_and_grad(lambda v: f_3x2y(v[0], v[1]))(Tensor([x, y]))[1]
    np.testing.assert_allclose(grad.data, [6 * y * x, 3 * x**2], rtol=1e-14)


@pytest.mark.parametrize(("x", "y"), [(1.0, 2.0), (-0.5, 0.7)])
def test_b_the_jacobian_stacks_the_gradients_of_f_and_g_as_rows(x, y):
    """J = [∇f(x, y); ∇g(x, y)] = [[6yx, 3x²], [2, 8y⁷]] (numerator layout: one row per output)."""

    def fg(v):
        return ag.stack([f_3x2y(v[0], v[1]), g_2x_y8(v[0], v[1])])

    assert_jacobian(fg, [[x, y]], [[6 * y * x, 3 * x**2], [2, 8 * y**7]])


# ------------------------------------------------------------------ c. vector identities
X = np.array([0.5, -1.25, 2.0, 3.5])
W = np.array([1.5, 0.75, -2.0, 0.25])


def test_c_the_jacobian_of_the_identity_is_the_identity_matrix():
    assert_jacobian(lambda x: x * 1, [X], np.eye(4))


ELEMENTWISE = {  # op: (f(w, x), ∂y/∂w, ∂y/∂x): all diagonal, the article's table
    "+": (lambda w, x: w + x, lambda w, x: np.eye(4), lambda w, x: np.eye(4)),
    "-": (lambda w, x: w - x, lambda w, x: np.eye(4), lambda w, x: -np.eye(4)),
    "⊗": (lambda w, x: w * x, lambda w, x: np.diag(x), lambda w, x: np.diag(w)),
    "⊘": (lambda w, x: w / x, lambda w, x: np.diag(1 / x), lambda w, x: np.diag(-w / x**2)),
}


@pytest.mark.parametrize("op", ELEMENTWISE)
def test_c_elementwise_binary_operators_have_diagonal_jacobians(op):
    f, d_w, d_x = ELEMENTWISE[op]
    jw = assert_jacobian(f, [W, X], d_w(W, X), argnum=0)
    jx = assert_jacobian(f, [W, X], d_x(W, X), argnum=1)
    for j in (jw.data, jx.data):  # the "element-wise diagonal condition": zero off the diagonal, exactly
        assert np.count_nonzero(j - np.diag(np.diag(j))) == 0


@pytest.mark.parametrize("op", ELEMENTWISE)
def test_c_elementwise_jacobians_equal_torch(op):
    f = ELEMENTWISE[op][0]
    for argnum in (0, 1):
        theirs = torch_jacobian(f, W, X, argnum=argnum)  # torch's tensors take the same operators
        ours = ag.jacrev(f, argnums=argnum)(Tensor(W), Tensor(X))
        np.testing.assert_allclose(ours.data, theirs, rtol=1e-15, atol=0)


def test_c_scalar_expansion_derivatives():
    """y = x + z and y = xz with a scalar z: ∂y/∂x = I and Iz; ∂y/∂z = 1⃗ and x (a column: one row per y)."""
    z = 3.0
    assert_jacobian(lambda x, z: x + z, [X, z], np.eye(4), argnum=0)
    assert_jacobian(lambda x, z: x + z, [X, z], np.ones(4), argnum=1)
    assert_jacobian(lambda x, z: x * z, [X, z], np.eye(4) * z, argnum=0)
    assert_jacobian(lambda x, z: x * z, [X, z], X, argnum=1)


def test_c_vector_sum_reduction():
    """y = sum(x): ∂y/∂x = 1⃗ᵀ; y = sum(xz): ∂y/∂x = [z, ..., z], ∂y/∂z = sum(x); and sum(f(x)) row by row."""
    z = -2.5
    assert_jacobian(lambda x: x.sum(), [X], np.ones(4))
    assert_jacobian(lambda x, z: (x * z).sum(), [X, z], np.full(4, z), argnum=0)
    assert_jacobian(lambda x, z: (x * z).sum(), [X, z], X.sum(), argnum=1)
    # ∂ sum(f(x)) / ∂x = [∂f_1/∂x_1, ..., ∂f_n/∂x_n] for an element-wise f: here f = x²
    assert_jacobian(lambda x: (x**2).sum(), [X], 2 * X)


# ------------------------------------------------------------------ d. the chain rules
@pytest.mark.parametrize("x", [0.4, 1.1, 2.5])
def test_d_single_variable_chain_rule_through_the_nested_ln_sin_cube(x):
    """y = ln(sin(x³)²) with u1 = x³, u2 = sin(u1), u3 = u2², y = ln(u3): dy/dx = 6x² cos(x³) / sin(x³)."""
    u1 = x**3
    u2 = math.sin(u1)
    u3 = u2**2
    by_hand = 1 / u3 * 2 * u2 * math.cos(u1) * 3 * x**2  # dy/du3 · du3/du2 · du2/du1 · du1/dx
    assert by_hand == pytest.approx(6 * x**2 * math.cos(x**3) / math.sin(x**3), rel=1e-12)
    assert derivative(lambda x: ag.log(ag.sin(x**3) ** 2), x) == pytest.approx(by_hand, rel=1e-12)
    assert derivative(lambda x: ag.sin(x**2), x) == pytest.approx(2 * x * math.cos(x**2), rel=1e-13)


@pytest.mark.parametrize("x", [-0.7, 1.5])
def test_d_the_total_derivative_adds_the_direct_path_and_the_path_through_u1(x):
    """y = f(x) = x + x² with u1 = x², y = u2(x, u1) = x + u1: dy/dx = ∂u2/∂x + ∂u2/∂u1 · ∂u1/∂x = 1 + 2x;
    the article's other two examples: sin(x + x²) -> cos(x + x²)(1 + 2x), and x · x² -> x² + x·2x = 3x²."""
    assert derivative(lambda x: x + x**2, x) == pytest.approx(1 + 2 * x, rel=1e-14)
    assert derivative(lambda x: ag.sin(x + x**2), x) == pytest.approx(math.cos(x + x**2) * (1 + 2 * x), rel=1e-13)
    assert derivative(lambda x: x * x**2, x) == pytest.approx(3 * x**2, rel=1e-14)
    # The total derivative is a sum over paths from x to y: viz.explain lists them with their numbers
    leaf = Tensor(x, requires_grad=True, label="x")
    u1 = leaf**2
    u1.label = "u1"
    y = leaf + u1
    y.label = "y"
    explanation = viz.explain(y, leaf)
    assert len(explanation.paths) == 2
    products = sorted(float(p.contribution) for p in explanation.paths)
    assert products == pytest.approx(sorted([1.0, 2 * x]), rel=1e-14)  # the direct path and the one through u1
    assert float(explanation.total) == pytest.approx(1 + 2 * x, rel=1e-14)
    assert "2 paths from y back to x" in str(explanation)


@pytest.mark.parametrize("x", [0.5, 2.0])
def test_d_the_vector_chain_rule(x):
    """y = f(g(x)) with g(x) = [x², 3x], f(g) = [ln g1, sin g2]: ∂y/∂x = ∂f/∂g ∂g/∂x = [2/x, 3 cos 3x]."""

    def g(x):
        return ag.stack([x**2, 3 * x])

    def f(g):
        return ag.stack([ag.log(g[0]), ag.sin(g[1])])

    gx = g(Tensor(x)).data
    df_dg = np.diag([1 / gx[0], math.cos(gx[1])])  # diagonal: each f_i uses only g_i
    dg_dx = np.array([2 * x, 3.0])
    assert_jacobian(f, [gx], df_dg)
    assert_jacobian(g, [x], dg_dx)
    assert_jacobian(lambda x: f(g(x)), [x], df_dg @ dg_dx)
    np.testing.assert_allclose(df_dg @ dg_dx, [2 / x, 3 * math.cos(3 * x)], rtol=1e-14)


# ------------------------------------------------------------------ e. the neuron and the loss
def test_e_the_dot_product_by_the_chain_rule_through_u_equals_w_times_x():
    """y = w·x = sum(u), u = w ⊗ x: ∂y/∂w = ∂y/∂u ∂u/∂w = 1⃗ᵀ diag(x) = xᵀ (and ∂y/∂x = wᵀ)."""
    dy_du = assert_jacobian(lambda u: u.sum(), [W * X], np.ones(4)).data
    du_dw = assert_jacobian(lambda w, x: w * x, [W, X], np.diag(X)).data
    np.testing.assert_array_equal(dy_du @ du_dw, X)
    assert_jacobian(lambda w, x: (w * x).sum(), [W, X], X, argnum=0)
    assert_jacobian(lambda w, x: w @ x, [W, X], W, argnum=1)


def activation(w, b, x):
    """The article's neuron: max(0, w·x + b), spelled with ag.maximum (Python's max would compare, not record)."""
    return ag.maximum(0.0, w @ x + b)


@pytest.mark.parametrize("b", [1.0, -5.0])
def test_e_the_gradient_of_neuron_activation(b):
    """∂activation/∂w = 0⃗ᵀ for z = w·x + b <= 0 and xᵀ for z > 0; ∂activation/∂b = 0 or 1."""
    z = W @ X + b
    assert z != 0
    _, (dw, db) = ag.value_and_grad(activation, argnums=(0, 1))(Tensor(W), Tensor(b), Tensor(X))
    np.testing.assert_array_equal(dw.data, X if z > 0 else np.zeros(4))
    assert db.item() == (1.0 if z > 0 else 0.0)
    assert ag.gradcheck(activation, (Tensor(W, requires_grad=True), Tensor(b, requires_grad=True), Tensor(X)))


def test_e_at_z_equal_zero_the_kink_splits_evenly_here():
    """The article's max(0, z)' is 0 at z = 0; this engine's convention gives 1/2 (relu and a max tie alike),
    the mean of the two one-sided derivatives: a deliberate difference (see the module docstring)."""
    b = -float(W @ X)  # z = 0 exactly
    _, (dw, db) = ag.value_and_grad(activation, argnums=(0, 1))(Tensor(W), Tensor(b), Tensor(X))
    np.testing.assert_array_equal(dw.data, X / 2)
    assert db.item() == 0.5
    assert ag.value_and_grad(lambda z: z.relu())(Tensor(0.0))[1].item() == 0.5


def _loss_data(seed=0, n=12):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 4)), rng.normal(size=n) + 1.0


def loss(w, b, X, y):
    """C(w, b, X, y) = 1/N Σ_i (y_i - activation(x_i))², one row x_i of X per example."""
    return ((y - ag.maximum(0.0, X @ w + b)) ** 2).mean()


def _closed_form_loss_gradient(w, b, X, y):
    """e_i = w·x_i + b - y_i; ∂C/∂w = 2/N Σ_{z_i > 0} e_i x_iᵀ and ∂C/∂b = 2/N Σ_{z_i > 0} e_i."""
    z = X @ w + b
    e = np.where(z > 0, z - y, 0.0)  # an inactive neuron's term is constant in w and b: its derivative is 0
    return 2 / len(y) * e @ X, 2 / len(y) * e.sum()


def test_e_the_gradient_of_the_neural_network_loss():
    X_, y_ = _loss_data()
    b = 0.1
    assert 0 < ((X_ @ W + b) > 0).sum() < len(y_)  # both kinds of example, so both cases of the sum matter
    _, (dw, db) = ag.value_and_grad(loss, argnums=(0, 1))(Tensor(W), Tensor(b), Tensor(X_), Tensor(y_))
    dw_closed, db_closed = _closed_form_loss_gradient(W, b, X_, y_)
    np.testing.assert_allclose(dw.data, dw_closed, rtol=1e-13, atol=1e-15)
    assert db.item() == pytest.approx(db_closed, rel=1e-13)
    numeric = numeric_jacobian(lambda w: loss(w, Tensor(b), Tensor(X_), Tensor(y_)), W)
    np.testing.assert_allclose(numeric, dw_closed, rtol=1e-6, atol=1e-8)


def test_e_the_augmented_weight_vector_gives_the_same_gradient():
    """The article's trick: ŵ = [wᵀ, b], x̂ = [xᵀ, 1], so w·x + b = ŵ·x̂ and ∂C/∂ŵ = [∂C/∂w, ∂C/∂b]."""
    X_, y_ = _loss_data(1)
    b = -0.2
    X_hat = np.hstack([X_, np.ones((len(y_), 1))])
    w_hat = np.append(W, b)
    g_hat = ag.value_and_grad(lambda w_hat: loss(w_hat, 0.0, Tensor(X_hat), Tensor(y_)))(Tensor(w_hat))[1]
    dw_closed, db_closed = _closed_form_loss_gradient(W, b, X_, y_)
    np.testing.assert_allclose(g_hat.data, np.append(dw_closed, db_closed), rtol=1e-13, atol=1e-15)


def test_e_gradient_descent_with_the_loss_gradient_lowers_the_loss():
    """w_{t+1} = w_t - η ∂C/∂w: the article's update, by the engine's gradient, lowers C at every step."""
    X_, y_ = _loss_data(2, n=32)
    w, b = Tensor(W.copy(), requires_grad=True), Tensor(0.5, requires_grad=True)
    losses = []
    for _ in range(50):
        C = loss(w, b, Tensor(X_), Tensor(y_))
        losses.append(C.item())
        w.grad = b.grad = None
        C.backward()
        with ag.no_grad():
            w -= 0.05 * w.grad
            b -= 0.05 * b.grad
    assert all(later < earlier for earlier, later in itertools.pairwise(losses))
    assert losses[-1] < 0.6 * losses[0]


def test_e_the_loss_gradient_equals_torch():
    torch = pytest.importorskip("torch")
    X_, y_ = _loss_data(3)
    w_t = torch.tensor(W, requires_grad=True)
    b_t = torch.tensor(0.1, requires_grad=True, dtype=torch.float64)
    ((torch.tensor(y_) - torch.clamp(torch.tensor(X_) @ w_t + b_t, min=0)) ** 2).mean().backward()
    _, (dw, db) = ag.value_and_grad(loss, argnums=(0, 1))(Tensor(W), Tensor(0.1), Tensor(X_), Tensor(y_))
    np.testing.assert_allclose(dw.data, w_t.grad.numpy(), rtol=1e-14, atol=1e-16)
    assert db.item() == pytest.approx(b_t.grad.item(), rel=1e-14)
