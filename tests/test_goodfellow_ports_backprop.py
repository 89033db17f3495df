"""Goodfellow, Bengio & Courville, *Deep Learning*, section 6.5 (back-propagation), ported: Algorithm 6.2 run on
the engine's recorded graph (tests/goodfellow_helpers.py reads it with ``ag.walk`` and sums grad_table terms
from a table of closed-form local partials) is the ORACLE of ``backward``; Algorithms 6.3/6.4 (the MLP's forward
and back-prop with the penalty lam * Omega) in numpy are the oracle of an ``nn`` MLP's gradients; the
symbol-to-symbol approach of figure 6.10 is ``create_graph=True`` (the derivative is itself a recorded graph,
differentiated again); the cost claim (back-prop does O(edges) work, while the chain rule written path by path
sums exponentially many products) is counted in vjp calls, never timed; figure 6.9's reuse of stored
subexpressions is seen in the arrays the vjps receive; eq. 6.47's chain rule for tensors is a Jacobian
(``ag.jacobian``) contracted with the upstream gradient; 6.5.10's Hessian-vector products drive a
Krylov-style power iteration.

Where the port differs from the book: Algorithms 6.3/6.4 take one example as a column; ``nn.Linear`` takes rows
(the oracle runs column by column and the gradients are summed, as the book's minibatch cost).

What the port needed: nothing new.
"""

import itertools

import numpy as np
import pytest
from goodfellow_helpers import count_paths, mlp_backward, mlp_forward, simple_backprop

import autograd_core as ag
import nn
from autograd_core import Tensor
from autograd_core.walk import walk


def vjp_counter(monkeypatch):
    """Counts every primitive vjp call (each is one term grad_table[u(i)] du(i)/du(j) of Algorithm 6.2)."""
    count = {"vjp": 0}
    for prim in ag.PRIMITIVES.values():

        def counted(*args, _vjp=prim.vjp, **kwargs):
            count["vjp"] += 1
            return _vjp(*args, **kwargs)

        monkeypatch.setattr(prim, "vjp", staticmethod(counted))
    return count


def scalar_graph(w):
    """A small scalar graph with shared subexpressions (u = w*w used twice) and every op of the table."""
    u = w * w
    v = (u.sin() * u.cos()).exp() + u / w
    return (v - w.tanh() ** 2) * v.sigmoid()


# ---------------------------------------------------------------- Algorithm 6.2 on the recorded graph
def test_algorithm_6_2_on_the_recorded_graph_equals_backward_and_finite_differences():
    w = Tensor(0.7, requires_grad=True)
    z = scalar_graph(w)
    (oracle,), terms = simple_backprop(z, [w])
    z.backward()
    assert w.grad == pytest.approx(oracle, rel=1e-13)
    h = 1e-6
    fd = (scalar_graph(Tensor(0.7 + h)).item() - scalar_graph(Tensor(0.7 - h)).item()) / (2 * h)
    assert oracle == pytest.approx(fd, rel=1e-8)
    assert terms == sum(len(t.parents) for t in walk(z) if t.op is not None)  # one term per edge


def test_backprop_cost_is_one_term_per_edge_the_path_by_path_chain_rule_is_exponential(monkeypatch):
    """Section 6.5.3/6.5.6: u(i+1) = sin(u(i)) * cos(u(i)) doubles the paths from w at each layer: 2^n paths
    of n factors each, for a graph of 3n nodes and 4n edges. Back-prop's vjp calls equal the edges needing a
    gradient: linear in n."""
    count = vjp_counter(monkeypatch)
    counts = {}
    for n in (5, 10, 20):
        w = Tensor(0.3, requires_grad=True)
        u = w
        for _ in range(n):
            u = u.sin() * u.cos()
        nodes = [t for t in walk(u) if t.op is not None]
        edges = sum(len(t.parents) for t in nodes)
        count["vjp"] = 0
        u.backward()
        (oracle,), _ = simple_backprop(u, [w])
        assert w.grad == pytest.approx(oracle, rel=1e-12)
        counts[n] = (len(nodes), edges, count["vjp"], count_paths(u, w))
    assert counts[5] == (15, 20, 20, 2**5)
    assert counts[20] == (60, 80, 80, 2**20)
    assert counts[20][2] / counts[10][2] == 2  # doubling n doubles the work; the paths grow 1,024 times


# ---------------------------------------------------------------- Algorithms 6.3 / 6.4: the MLP with L2
def test_algorithms_6_3_and_6_4_are_the_oracle_of_an_mlp_with_weight_penalty():
    rng = np.random.default_rng(1)
    sizes, lam = [4, 5, 3, 2], 0.01
    X, Y = rng.normal(size=(6, 4)), rng.normal(size=(6, 2))
    model = nn.Sequential(
        nn.Linear(4, 5, seed=0), nn.ReLU(), nn.Linear(5, 3, seed=1), nn.ReLU(), nn.Linear(3, 2, seed=2)
    )
    linears = [m for m in model if isinstance(m, nn.Linear)]
    Ws, bs = [m.weight.data.copy() for m in linears], [m.bias.data.copy() for m in linears]
    assert [W.shape for W in Ws] == [(b, a) for a, b in itertools.pairwise(sizes)]  # W(k) h(k-1): as the book
    # the book's J over the minibatch: the sum of the examples' losses plus lam Omega once
    J_book = sum(mlp_forward(Ws, bs, x, y, 0.0)[0] for x, y in zip(X, Y)) + lam * sum(
        (W**2).sum() + (b**2).sum() for W, b in zip(Ws, bs)
    )
    grads_W, grads_b = [np.zeros_like(W) for W in Ws], [np.zeros_like(b) for b in bs]
    for x, y in zip(X, Y):
        _, as_, hs = mlp_forward(Ws, bs, x, y, 0.0)
        gW, gb = mlp_backward(Ws, bs, as_, hs, y, 0.0)
        for k in range(3):
            grads_W[k] += gW[k]
            grads_b[k] += gb[k]
    for k in range(3):
        grads_W[k] += lam * 2 * Ws[k]
        grads_b[k] += lam * 2 * bs[k]
    # the engine: the same J from nn's pieces, one backward
    J = 0.5 * ((model(Tensor(X)) - Tensor(Y)) ** 2).sum() + lam * nn.functional.l2_penalty(model)
    assert J.item() == pytest.approx(J_book, rel=1e-13)
    J.backward()
    for k, m in enumerate(linears):
        np.testing.assert_allclose(m.weight.grad, grads_W[k], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(m.bias.grad, grads_b[k], rtol=1e-12, atol=1e-14)
    # the single-example oracle with the penalty inside (Algorithm 6.4's lam terms exactly as printed)
    _, as_, hs = mlp_forward(Ws, bs, X[0], Y[0], lam)
    gW, gb = mlp_backward(Ws, bs, as_, hs, Y[0], lam)
    model.zero_grad()
    (0.5 * ((model(Tensor(X[:1])) - Tensor(Y[:1])) ** 2).sum() + lam * nn.functional.l2_penalty(model)).backward()
    np.testing.assert_allclose(linears[0].weight.grad, gW[0], rtol=1e-12, atol=1e-14)


def test_the_mlp_gradients_equal_torchs():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    X, Y, lam = rng.normal(size=(6, 4)), rng.normal(size=(6, 2)), 0.01
    model = nn.Sequential(nn.Linear(4, 5, seed=0), nn.Tanh(), nn.Linear(5, 2, seed=1))
    J = 0.5 * ((model(Tensor(X)) - Tensor(Y)) ** 2).sum() + lam * nn.functional.l2_penalty(model)
    J.backward()
    params = [torch.tensor(p.data, requires_grad=True) for p in model.parameters()]
    W1, b1, W2, b2 = params
    out = torch.tanh(torch.tensor(X) @ W1.T + b1) @ W2.T + b2
    Jt = 0.5 * ((out - torch.tensor(Y)) ** 2).sum() + lam * sum((p**2).sum() for p in params)
    Jt.backward()
    for p, pt in zip(model.parameters(), params):
        np.testing.assert_allclose(p.grad, pt.grad.numpy(), rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------- figure 6.10: symbol-to-symbol
def test_figure_6_10_the_derivative_is_a_graph_that_can_be_differentiated_again():
    """x = f(w), y = f(x), z = f(y); dz/dw = f'(y) f'(x) f'(w), built as recorded ops with create_graph;
    differentiating that graph gives d2z/dw2 (f = tanh, f' = 1 - f^2, f'' = -2 f f')."""
    w = Tensor(0.4, requires_grad=True)
    x = w.tanh()
    y = x.tanh()
    z = y.tanh()
    (dz_dw,) = ag.grad(z, w, create_graph=True)
    fp = [1 - np.tanh(v) ** 2 for v in (y.item(), x.item(), w.item())]
    assert dz_dw.item() == pytest.approx(np.prod(fp), rel=1e-14)
    assert dz_dw.requires_grad and dz_dw.op is not None  # a node of a new graph, not a number
    (d2z,) = ag.grad(dz_dw, w)

    def first(v):
        a = np.tanh(v)
        b = np.tanh(a)
        return (1 - np.tanh(b) ** 2) * (1 - b**2) * (1 - a**2)

    h = 1e-6
    assert d2z.item() == pytest.approx((first(0.4 + h) - first(0.4 - h)) / (2 * h), rel=1e-7)
    assert ag.gradgradcheck(lambda t: t.tanh().tanh().tanh(), (Tensor(0.4, requires_grad=True),))


# ---------------------------------------------------------------- 6.5.10: Hessian-vector products, Krylov
def mlp_loss(theta):
    rng = np.random.default_rng(3)
    X, y = Tensor(rng.normal(size=(10, 3))), Tensor(rng.normal(size=10))
    W, v = theta[:6].reshape(3, 2), theta[6:]
    return (((X @ W).tanh() @ v - y) ** 2).mean()


THETA = np.random.default_rng(4).normal(size=8)


def test_hessian_vector_product_is_grad_of_grad_dot_v():
    """Hv = grad_x[(grad_x f(x))^T v] (eq. 6.59): two backward passes, no n x n matrix."""
    v = np.random.default_rng(5).normal(size=8)
    theta = Tensor(THETA, requires_grad=True)
    (g,) = ag.grad(mlp_loss(theta), theta, create_graph=True)
    (Hv,) = ag.grad((g * Tensor(v)).sum(), theta)
    H = ag.hessian(mlp_loss)(Tensor(THETA)).data
    np.testing.assert_allclose(Hv.data, H @ v, rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(ag.hvp(mlp_loss, Tensor(THETA), Tensor(v))[1].data, H @ v, rtol=1e-11, atol=1e-13)

    def grad_at(t):
        t = Tensor(t, requires_grad=True)
        return ag.grad(mlp_loss(t), t)[0].data

    h = 1e-6
    np.testing.assert_allclose(Hv.data, (grad_at(THETA + h * v) - grad_at(THETA - h * v)) / (2 * h), atol=1e-7)


def test_krylov_power_iteration_with_hessian_vector_products_finds_the_top_eigenvalue():
    """Krylov methods (6.5.10) need only H v: power iteration on H + c I with c = |lambda_min| bound."""
    H = ag.hessian(mlp_loss)(Tensor(THETA)).data
    eigenvalues = np.linalg.eigvalsh(H)
    shift = abs(eigenvalues.min()) + 1.0  # makes the top eigenvalue the largest in magnitude
    v = np.ones(8) / np.sqrt(8)
    for _ in range(500):
        Hv = ag.hvp(mlp_loss, Tensor(THETA), Tensor(v))[1].data + shift * v
        v = Hv / np.linalg.norm(Hv)
    rayleigh = v @ ag.hvp(mlp_loss, Tensor(THETA), Tensor(v))[1].data
    assert rayleigh == pytest.approx(eigenvalues.max(), rel=1e-6)


# ---------------------------------------------------------------- 6.5.2 the chain rule for tensors
def test_eq_6_47_chain_rule_for_tensors_is_the_jacobian_contracted_with_the_upstream_gradient():
    """grad_X z = sum_j (grad_X Y_j) dz/dY_j: for Y = tanh(X W) (X of shape (3, 4)) and z = sum(Y^2), the Jacobian
    dY/dX (shape (3, 2, 3, 4), by ag.jacobian) contracted over Y's indices with dz/dY = 2Y is backward's grad."""
    rng = np.random.default_rng(6)
    X0, W = rng.normal(size=(3, 4)), Tensor(rng.normal(size=(4, 2)))

    def Y_of(X):
        return (X @ W).tanh()

    jac = ag.jacobian(Y_of)(Tensor(X0)).data
    assert jac.shape == (3, 2, 3, 4)
    Y = Y_of(Tensor(X0)).data
    contracted = np.tensordot(2 * Y, jac, axes=([0, 1], [0, 1]))
    X = Tensor(X0, requires_grad=True)
    (Y_of(X) ** 2).sum().backward()
    np.testing.assert_allclose(X.grad, contracted, rtol=1e-12)


def test_figure_6_9_backprop_reuses_each_stored_subexpression(monkeypatch):
    """Eq. 6.53 (reuse f(w), f(x), f(y) stored by the forward pass) rather than eq. 6.52 (recompute them): the
    backward of z = f(f(f(w))) hands each tanh vjp (tanh' = 1 - out^2) the very array its forward stored."""
    tanh = ag.PRIMITIVES["tanh"]
    seen = []
    vjp = tanh.vjp

    def recording(i, g, out, *inputs, **params):
        seen.append(out)
        return vjp(i, g, out, *inputs, **params)

    monkeypatch.setattr(tanh, "vjp", staticmethod(recording))
    w = Tensor(np.array([0.4, -1.0]), requires_grad=True)
    x = w.tanh()
    y = x.tanh()
    z = y.tanh()
    z.sum().backward()
    assert [id(a) for a in seen] == [id(z.data), id(y.data), id(x.data)]  # stored, not recomputed
    xv = np.tanh(w.data)
    yv = np.tanh(xv)
    np.testing.assert_allclose(w.grad, (1 - np.tanh(yv) ** 2) * (1 - yv**2) * (1 - xv**2), rtol=1e-14)
