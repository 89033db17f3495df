"""Bishop, "Pattern Recognition and Machine Learning" (2006), chapter 5, sections 5.2-5.3, and Bishop &
Bishop, "Deep Learning: Foundations and Concepts" (2024), chapter 8, ported step by step. The book's own
equations, written in numpy in tests/bishop_helpers.py, are the oracle for the engine's chain rule.

PRML 5.2  Each canonical pair of output activation and error function — linear + sum of squares (5.11),
          logistic sigmoid + binary cross-entropy (5.21), K sigmoids + (5.23), softmax + cross-entropy (5.24) —
          has dE/da_k = y_k - t_k, for the engine's ops and for nn's losses (F.mse_loss, F.binary_cross_entropy
          (_with_logits), F.cross_entropy).
PRML 5.3  The two-layer tanh network of 5.3.2: the engine's gradients of the weighted inputs (read with
          ``retain_grad``) are the book's deltas (5.65), (5.66), its weight gradients (5.67); 5.3.3 the cost of
          backprop is O(W) against O(W^2) for finite differences (multiplications counted in the engine's
          matmul primitive, never timed); 5.3.4 the Jacobian dy_k/dx_i (5.73)-(5.74) by backprop, forward mode
          and central differences.
DL 8.2    f(x1, x2) = x1 x2 + exp(x1 x2) - sin(x2): the book's evaluation trace v1 ... v7, its forward-mode
          tangents (8.2.2) and reverse-mode adjoints (8.2.3), line by line, by ``ag.jvp``, ``backward`` and
          ``viz.evaluation_trace``.
The Hessian (5.4) is in test_bishop_ports_hessian.py, regularisation (5.5) in test_bishop_ports_regularisation.py,
mixture density networks (5.6) in test_bishop_ports_mdn.py, the Laplace approximation (5.7) in
test_bishop_ports_laplace.py.

What the port needed:
- Tangent propagation (5.5.4) differentiates a jvp with respect to the weights it closes over: every transform
  (``ag.jvp``, ``hvp``, ``vjp``, ``jacobian``/``jacfwd``/``jacrev``, ``hessian``, ``value_and_grad``) now records
  its results when f reaches a tensor that requires grad besides its own inputs, as JAX's and torch.func's do.
  Before, those results were detached from it, and the gradient of tangent propagation's regulariser was zeros,
  silently (test_bishop_ports_regularisation.py).
Everything else the chapters use was there: ``retain_grad`` reads the deltas, ``ag.hessian``/``ag.hvp``/``ag.jvp``
give 5.4's matrices, ``logsumexp`` the mixture's likelihood, ``nn.fit(early_stopping=)`` Figure 5.12's curves.

Where the spelling differs: the book's bias weights w_j0, w_k0 are column 0 of W1 and W2 (x_0 = z_0 = 1), and
its w is one flat vector (bishop_helpers.unpack), so that ``ag.hessian`` gives the book's W x W matrix. The
evaluation trace numbers the inputs v₋₁, v₀ (the AD survey's convention) where the book writes v1, v2: the book's
v_i is the trace's v_(i-2).
"""

import math

import numpy as np
import pytest
from bishop_helpers import book_backprop, central_gradient, n_weights, network, problem, sum_of_squares, with_ones

import autograd_core as ag
import autograd_core.primitives.linalg as linalg
import nn.functional as F
import viz
from autograd_core import Tensor


def activations_and_grad(E_of_a, a):
    """dE/da by the engine, for activations a (N, K) and an error E written on them."""
    a = Tensor(a, requires_grad=True)
    E_of_a(a).backward()
    return a.grad


# ---------------------------------------------------------------- 5.2 canonical pairs: dE/da = y - t
def test_5_2_sum_of_squares_with_linear_outputs_gives_y_minus_t():
    rng = np.random.default_rng(0)
    a, t = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    by_ops = activations_and_grad(lambda a: 0.5 * ((a - t) ** 2).sum(), a)  # (5.11), y = a
    by_nn = activations_and_grad(lambda a: F.mse_loss(a, t, reduction="sum") / 2, a)
    np.testing.assert_allclose(by_ops, a - t, rtol=0, atol=1e-15)
    np.testing.assert_allclose(by_nn, a - t, rtol=0, atol=1e-15)


def test_5_2_binary_cross_entropy_with_a_logistic_sigmoid_gives_y_minus_t():
    rng = np.random.default_rng(1)
    a, t = rng.normal(size=(8, 1)), rng.integers(0, 2, (8, 1)).astype(float)
    y = 1 / (1 + np.exp(-a))

    def book(a):  # (5.21): E = -sum t ln y + (1 - t) ln(1 - y), y = sigma(a)
        y = a.sigmoid()
        return -(t * y.log() + (1 - t) * (1 - y).log()).sum()

    np.testing.assert_allclose(activations_and_grad(book, a), y - t, rtol=1e-12, atol=1e-15)
    by_nn = activations_and_grad(lambda a: F.binary_cross_entropy(a.sigmoid(), t, reduction="sum"), a)
    np.testing.assert_allclose(by_nn, y - t, rtol=1e-12, atol=1e-15)
    logits = activations_and_grad(lambda a: F.binary_cross_entropy_with_logits(a, t, reduction="sum"), a)
    np.testing.assert_allclose(logits, y - t, rtol=1e-12, atol=1e-15)


def test_5_2_k_independent_sigmoids_give_y_minus_t_per_output():
    rng = np.random.default_rng(2)
    a, t = rng.normal(size=(5, 4)), rng.integers(0, 2, (5, 4)).astype(float)  # (5.22)-(5.23): K binary labels
    grad = activations_and_grad(lambda a: F.binary_cross_entropy_with_logits(a, t, reduction="sum"), a)
    np.testing.assert_allclose(grad, 1 / (1 + np.exp(-a)) - t, rtol=1e-12, atol=1e-15)


def test_5_2_softmax_with_multiclass_cross_entropy_gives_y_minus_t():
    rng = np.random.default_rng(3)
    a, labels = rng.normal(size=(7, 4)), rng.integers(0, 4, 7)
    t = np.eye(4)[labels]  # 1-of-K coding
    y = np.exp(a) / np.exp(a).sum(axis=1, keepdims=True)  # (5.25)
    by_ops = activations_and_grad(lambda a: -(t * a.softmax(axis=1).log()).sum(), a)  # (5.24)
    by_nn = activations_and_grad(lambda a: F.cross_entropy(a, labels, reduction="sum"), a)
    np.testing.assert_allclose(by_ops, y - t, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(by_nn, y - t, rtol=1e-12, atol=1e-15)


def test_5_2_the_canonical_gradients_equal_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    a, labels = rng.normal(size=(7, 4)), rng.integers(0, 4, 7)
    theirs = torch.tensor(a, requires_grad=True)
    torch.nn.functional.cross_entropy(theirs, torch.tensor(labels), reduction="sum").backward()
    ours = activations_and_grad(lambda a: F.cross_entropy(a, labels, reduction="sum"), a)
    np.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------- 5.3.2 the deltas of the two-layer tanh net
D, M, K = 3, 4, 2


def engine_deltas(w, X, T):
    """The engine's dE/da_j and dE/da_k (read with retain_grad) and dE/dw for the book's network."""
    w = Tensor(w, requires_grad=True)
    W1 = w[: M * (D + 1)].reshape(M, D + 1)
    W2 = w[M * (D + 1) :].reshape(K, M + 1)
    a_j = with_ones(X) @ W1.T  # (5.62)
    a_j.retain_grad()
    z = a_j.tanh()  # (5.63)
    a_k = ag.cat([ag.ones((len(X), 1)), z], axis=1) @ W2.T  # (5.64), y_k = a_k
    a_k.retain_grad()
    (0.5 * ((a_k - T) ** 2).sum()).backward()  # (5.61), summed over n
    return a_j.grad, a_k.grad, w.grad


def test_5_3_2_the_engine_deltas_are_the_books_equations():
    w, X, T = problem(seed=4, D=D, M=M, K=K, N=6)
    delta_j, delta_k, grad = engine_deltas(w, X, T)
    book = book_backprop(w, X, T, D, M, K)
    np.testing.assert_allclose(delta_k, book["delta_k"], rtol=1e-13, atol=1e-15)  # (5.65): y_k - t_k
    np.testing.assert_allclose(delta_j, book["delta_j"], rtol=1e-13, atol=1e-15)  # (5.66)
    np.testing.assert_allclose(grad, book["grad"], rtol=1e-13, atol=1e-15)  # (5.67), summed (5.50)
    assert np.abs(delta_j).min() > 0  # every hidden unit receives an error: a real check, not zeros


def test_5_3_2_the_gradient_passes_finite_differences():
    w, X, T = problem(seed=5, D=D, M=M, K=K, N=4)
    E = lambda v: sum_of_squares(v, X, T, D, M, K)  # noqa: E731
    assert ag.gradcheck(E, Tensor(w, requires_grad=True))
    numeric = central_gradient(lambda v: E(Tensor(v)).item(), w)  # (5.69)
    np.testing.assert_allclose(book_backprop(w, X, T, D, M, K)["grad"], numeric, rtol=1e-7, atol=1e-8)


def test_5_3_2_the_deltas_equal_torch():
    torch = pytest.importorskip("torch")
    w, X, T = problem(seed=4, D=D, M=M, K=K, N=6)
    wt = torch.tensor(w, requires_grad=True)
    a_j = torch.tensor(with_ones(X)) @ wt[: M * (D + 1)].reshape(M, D + 1).T
    a_j.retain_grad()
    z = torch.cat([torch.ones(len(X), 1, dtype=torch.float64), torch.tanh(a_j)], dim=1)
    (0.5 * ((z @ wt[M * (D + 1) :].reshape(K, M + 1).T - torch.tensor(T)) ** 2).sum()).backward()
    delta_j, _, grad = engine_deltas(w, X, T)
    np.testing.assert_allclose(delta_j, a_j.grad.numpy(), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(grad, wt.grad.numpy(), rtol=1e-13, atol=1e-15)


# ---------------------------------------------------------------- 5.3.3 efficiency: O(W), counted
@pytest.fixture
def backward_multiplications(monkeypatch):
    """Counts the multiplications of the matmul primitive's vjps: for (n, k) @ (k, m), g @ y.T and x.T @ g are
    both n k m, that is g.size * k."""
    count = {"backward": 0}
    vjp = linalg.Matmul.vjp

    def counted_vjp(i, g, out, x, y, **params):
        count["backward"] += g.size * x.shape[1]
        return vjp(i, g, out, x, y, **params)

    monkeypatch.setattr(linalg.Matmul, "vjp", staticmethod(counted_vjp))
    return count


def forward_multiplications(root):
    """The multiplications of the recorded forward: n k m for every (n, k) @ (k, m) in the graph."""
    matmuls = [t for t in ag.walk(root) if t.op == "matmul"]
    return sum(t.parents[0].shape[0] * t.parents[0].shape[1] * t.parents[1].shape[1] for t in matmuls)


def finite_difference_evaluations(w, X, T, hidden):
    """How many times (5.69)'s central differences evaluate E for the whole gradient."""
    calls = []

    def E(v):
        calls.append(1)
        return sum_of_squares(Tensor(v), X, T, D, hidden, K).item()

    central_gradient(E, w)
    return len(calls)


def test_5_3_3_backprop_costs_o_of_w_and_finite_differences_o_of_w_squared(backward_multiplications):
    backprop, differences = {}, {}
    for hidden in (8, 32):
        w, X, T = problem(seed=6, D=D, M=hidden, K=K, N=1)
        W = n_weights(D, hidden, K)
        backward_multiplications["backward"] = 0
        E = sum_of_squares(Tensor(w, requires_grad=True), X, T, D, hidden, K)
        per_forward = forward_multiplications(E)
        E.backward()
        backprop[W] = backward_multiplications["backward"]
        evaluations = finite_difference_evaluations(w, X, T, hidden)
        differences[W] = evaluations * per_forward  # (5.69): 2W forward passes, each O(W)
        assert per_forward == W and evaluations == 2 * W  # one pattern: one multiplication per weight
    (small, large) = sorted(backprop)
    assert 1 <= backprop[small] / small <= 2 and 1 <= backprop[large] / large <= 2  # backprop: c W, c <= 2
    assert backprop[large] / backprop[small] == pytest.approx(large / small, rel=0.1)  # W grows 3.6x: so does it
    assert differences[large] / differences[small] == pytest.approx((large / small) ** 2, rel=1e-12)  # 13x


# ---------------------------------------------------------------- 5.3.4 the Jacobian dy/dx
def book_jacobian(w, x):
    """(5.73)-(5.74) for linear outputs: J_ki = sum_j w_kj h'(a_j) w_ji."""
    W1 = w[: M * (D + 1)].reshape(M, D + 1)
    W2 = w[M * (D + 1) :].reshape(K, M + 1)
    z = np.tanh(W1 @ np.concatenate([[1.0], x]))
    return W2[:, 1:] @ np.diag(1 - z**2) @ W1[:, 1:]


def test_5_3_4_the_jacobian_by_backprop_forward_mode_and_central_differences():
    w, X, _ = problem(seed=7, D=D, M=M, K=K, N=1)
    y = lambda x: network(Tensor(w), x.reshape(1, D), D, M, K).reshape(K)  # noqa: E731
    x = X[0]
    closed = book_jacobian(w, x)
    reverse = ag.jacrev(y)(Tensor(x)).data  # one backprop per output k (the book's procedure)
    fwd = ag.jacfwd(y)(Tensor(x)).data  # one tangent per input i
    eps = 1e-6
    numeric = np.stack(
        [(y(Tensor(x + eps * e)).data - y(Tensor(x - eps * e)).data) / (2 * eps) for e in np.eye(D)], axis=1
    )  # (5.75)
    assert reverse.shape == (K, D)
    np.testing.assert_allclose(reverse, closed, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(fwd, closed, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(numeric, closed, rtol=1e-7, atol=1e-9)


# ---------------------------------------------------------------- DL 8.2 the worked example
def book_trace(x1, x2):
    """The book's evaluation trace: v1 = x1, v2 = x2, v3 = v1 v2, v4 = sin v2, v5 = exp v3, v6 = v3 - v4,
    v7 = v5 + v6 = f."""
    v3 = x1 * x2
    v4 = ag.sin(x2)
    v5 = ag.exp(v3)
    v6 = v3 - v4
    return x1, x2, v3, v4, v5, v6, v5 + v6


X1, X2 = 1.5, 0.5


def test_8_2_2_forward_mode_the_tangents_line_by_line():
    every_line = lambda x1, x2: ag.stack(book_trace(x1, x2))  # noqa: E731
    values, tangents = ag.jvp(every_line, (X1, X2), (1.0, 0.0))  # v̇1 = 1, v̇2 = 0: d/dx1
    v = [X1, X2, X1 * X2, math.sin(X2), math.exp(X1 * X2)]
    v += [v[2] - v[3], v[4] + v[2] - v[3]]
    np.testing.assert_allclose(values.data, v, rtol=1e-15)
    dot = [1.0, 0.0]
    dot.append(dot[0] * v[1] + v[0] * dot[1])  # v̇3 = v̇1 v2 + v1 v̇2
    dot.append(dot[1] * math.cos(v[1]))  # v̇4 = v̇2 cos v2
    dot.append(dot[2] * v[4])  # v̇5 = v̇3 exp v3
    dot.append(dot[2] - dot[3])  # v̇6 = v̇3 - v̇4
    dot.append(dot[4] + dot[5])  # v̇7 = v̇5 + v̇6
    np.testing.assert_allclose(tangents.data, dot, rtol=1e-15)
    assert tangents.data[-1] == pytest.approx(X2 + X2 * math.exp(X1 * X2), rel=1e-15)  # df/dx1
    _, d_x2 = ag.jvp(lambda x1, x2: book_trace(x1, x2)[-1], (X1, X2), (0.0, 1.0))  # a second pass for x2
    assert d_x2.item() == pytest.approx(X1 + X1 * math.exp(X1 * X2) - math.cos(X2), rel=1e-15)


def test_8_2_3_reverse_mode_the_adjoints_line_by_line():
    x1, x2 = Tensor(X1, requires_grad=True, label="x1"), Tensor(X2, requires_grad=True, label="x2")
    vs = book_trace(x1, x2)
    for v in vs[2:]:
        v.retain_grad()
    vs[-1].backward()  # one reverse pass: both partials
    v = [t.item() for t in vs]
    bar = {7: 1.0}
    bar[6] = bar[7]  # v̄6 = v̄7
    bar[5] = bar[7]  # v̄5 = v̄7
    bar[4] = -bar[6]  # v̄4 = -v̄6
    bar[3] = bar[5] * v[4] + bar[6]  # v̄3 = v̄5 v5 + v̄6
    bar[2] = bar[3] * v[0] + bar[4] * math.cos(v[1])  # v̄2 = v̄3 v1 + v̄4 cos v2
    bar[1] = bar[3] * v[1]  # v̄1 = v̄3 v2
    engine = {i + 1: (t.grad.item() if t.grad is not None else None) for i, t in enumerate(vs)}
    assert engine == pytest.approx(bar, rel=1e-15)
    assert x1.grad == pytest.approx(X2 + X2 * math.exp(X1 * X2), rel=1e-15)


def test_8_2_the_evaluation_trace_prints_the_books_tables():
    x1, x2 = Tensor(X1, requires_grad=True, label="x1"), Tensor(X2, requires_grad=True, label="x2")
    trace = viz.evaluation_trace(book_trace(x1, x2)[-1], tangents={x1: 1.0}, number_format="%.4g")
    assert [line.text("%.4g") for line in trace.primal] == [
        "v₋₁ = x1 = 1.5",
        "v₀ = x2 = 0.5",
        "v₁ = v₋₁ × v₀ = 0.75",  # the book's v3 = v1 v2
        "v₂ = sin(v₀) = 0.4794",  # v4 = sin v2
        "v₃ = exp(v₁) = 2.117",  # v5 = exp v3
        "v₄ = v₁ − v₂ = 0.2706",  # v6 = v3 - v4
        "v₅ = v₃ + v₄ = 2.388",  # v7 = v5 + v6
        "y = v₅ = 2.388",
    ]
    assert trace.tangent[-1].value.item() == pytest.approx(X2 + X2 * math.exp(X1 * X2), rel=1e-15)
    adjoint = {line.text("%.4g").split(" = ")[0]: line.value.item() for line in trace.adjoint}
    assert adjoint["x̄1"] == pytest.approx(X2 + X2 * math.exp(X1 * X2), rel=1e-15)
    assert adjoint["x̄2"] == pytest.approx(X1 + X1 * math.exp(X1 * X2) - math.cos(X2), rel=1e-15)


def test_8_2_the_worked_example_equals_torch():
    torch = pytest.importorskip("torch")
    x1 = torch.tensor(X1, dtype=torch.float64, requires_grad=True)
    x2 = torch.tensor(X2, dtype=torch.float64, requires_grad=True)
    (x1 * x2 + torch.exp(x1 * x2) - torch.sin(x2)).backward()
    ours = ag.jacrev(lambda a, b: book_trace(a, b)[-1], argnums=(0, 1))(Tensor(X1), Tensor(X2))
    assert [g.item() for g in ours] == pytest.approx([x1.grad.item(), x2.grad.item()], rel=1e-15)
