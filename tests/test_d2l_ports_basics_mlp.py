""" "Dive into Deep Learning" (d2l.ai, PyTorch edition) 4.1 softmax regression, 5.1 multilayer perceptrons'
activation functions and 5.3 forward propagation, backward propagation and computational graphs, ported as
tests/test_d2l_ports.py ports 2.5-6.6 (``torch = ag``; each step asserting the book's claim; gradients from
closed forms and finite differences, and equal to PyTorch's where it is installed).

4.1: the softmax's properties (non-negative, sums to 1, keeps the argmax, unchanged by adding a constant), the
cross-entropy's gradient softmax(o) - y (eq. 4.1.10, for a one-hot and a soft label alike), its second
derivative the softmax's variance p(1 - p), and the LogSumExp trick's claim (naive exp(o) overflows at o = 1000;
``F.softmax``/``F.log_softmax`` do not). 5.1: the derivatives of ReLU, sigmoid and tanh the book plots with
``y.backward(torch.ones_like(x), retain_graph=True)``. 5.3: the one-hidden-layer net with an L2 penalty
(z = W1 x, h = phi(z), o = W2 h, L = l(o, y), s = lambda/2 (||W1||_F^2 + ||W2||_F^2), J = L + s), whose
backward the book writes out by hand (dJ/dW2 = dJ/do h^T + lambda W2, dJ/dh = W2^T dJ/do, dJ/dz = dJ/dh * phi'(z),
dJ/dW1 = dJ/dz x^T + lambda W1): those formulas are the oracle for the engine's gradients, and ``viz.draw_graph``
draws the book's computational graph (fig. 5.3.1) with its names and arrows.

Where ours differs by design: relu'(0) = 1/2 (README's kink convention: the average of the one-sided
derivatives), PyTorch's 0; the book's ``x.grad.data.zero_()`` is ``x.grad.fill(0)`` (``.grad`` is a numpy
array); ``torch.arange(-8.0, 8.0, 0.1)`` is float64 (our default float) and, numpy's, differs from PyTorch's in the
last bits (its 81st point is -2.8e-14 here, +4.4e-16 in PyTorch, so relu' there is 0 here, 1 there). No gaps
found in these sections.
"""

import re

import numpy as np
import pytest

import autograd_core as ag
import nn.functional as F
import viz
from viz.layout import GraphPlan

torch = ag  # the book's own spelling, kept so each step reads as the book does


# ---------------------------------------------------------------- 4.1 Softmax regression
def _softmax_loss(o, y):
    """The book's l(y, y_hat) = -sum_j y_j log softmax(o)_j (eq. 4.1.8), one example."""
    return -(y * F.log_softmax(o, dim=-1)).sum()


def test_4_1_softmax_is_a_distribution_keeps_the_argmax_and_ignores_a_shift():
    o = torch.randn(5, 7)
    p = F.softmax(o, dim=1)
    assert (p.data >= 0).all()
    np.testing.assert_allclose(p.sum(dim=1).data, np.ones(5), rtol=1e-15)
    np.testing.assert_array_equal(p.argmax(dim=1).data, o.argmax(dim=1).data)  # argmax_j softmax(o)_j = argmax_j o_j
    np.testing.assert_allclose(F.softmax(o + 3.5, dim=1).data, p.data, rtol=1e-13)
    big = torch.tensor([[1000.0, 999.0, 0.0]])  # 4.5's LogSumExp trick: exp(1000) overflows, softmax does not
    with np.errstate(over="ignore"):
        assert np.isinf(np.exp(big.data)).any()
    np.testing.assert_allclose(F.softmax(big, dim=1).data, [[1 / (1 + np.exp(-1)), 1 / (1 + np.e), 0.0]], rtol=1e-14)
    np.testing.assert_allclose(F.log_softmax(big, dim=1).data[0, 1], -1 - np.log1p(np.exp(-1)), rtol=1e-14)


@pytest.mark.parametrize("label", ["one-hot", "soft"])
def test_4_1_cross_entropy_gradient_is_softmax_minus_y_and_its_curvature_the_variance(label):
    rng = np.random.default_rng(0)
    o = torch.tensor(rng.normal(size=6), requires_grad=True)
    y = torch.tensor(np.eye(6)[2] if label == "one-hot" else rng.dirichlet(np.ones(6)))
    loss = _softmax_loss(o, y)
    (grad,) = ag.grad(loss, [o], create_graph=True)
    p = F.softmax(o, dim=-1).data
    np.testing.assert_allclose(grad.data, p - y.data, atol=1e-15)  # eq. 4.1.10
    hessian = ag.hessian(lambda o: _softmax_loss(o, y))(o.detach())
    np.testing.assert_allclose(hessian.data, np.diag(p) - np.outer(p, p), atol=1e-15)
    np.testing.assert_allclose(np.diag(hessian.data), p * (1 - p), atol=1e-15)  # "the variance"
    assert ag.gradcheck(lambda o: _softmax_loss(o, y), (o,))
    real = pytest.importorskip("torch")
    o_t = real.tensor(o.data, requires_grad=True)
    (-(real.tensor(y.data) * real.log_softmax(o_t, dim=-1)).sum()).backward()
    np.testing.assert_allclose(grad.data, o_t.grad.numpy(), atol=1e-15)


# ---------------------------------------------------------------- 5.1 Activation functions and their derivatives
def _activation_grads(torch):
    """The book's three plots' gradients: y.backward(torch.ones_like(x), retain_graph=True) for each."""
    x = torch.arange(-8.0, 8.0, 0.1, dtype=torch.float64, requires_grad=True)
    grads = []
    for activation in (torch.relu, torch.sigmoid, torch.tanh):
        if x.grad is not None:  # the book: x.grad.data.zero_(); .grad is a numpy array here
            x.grad.fill(0) if torch is ag else x.grad.data.zero_()
        y = activation(x)
        y.backward(torch.ones_like(x), retain_graph=True)
        grads.append(np.array(x.grad if torch is ag else x.grad.numpy()))
    return np.array(x.detach().numpy()), grads


def test_5_1_relu_sigmoid_and_tanh_derivatives_are_the_book_s():
    x, (relu, sigmoid, tanh) = _activation_grads(ag)
    np.testing.assert_array_equal(relu, (x > 0).astype(float))  # 0 below, 1 above (this x never hits 0)
    s = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(sigmoid, s * (1 - s), atol=1e-15)
    np.testing.assert_allclose(tanh, 1 - np.tanh(x) ** 2, atol=1e-15)
    near_zero = np.argmin(np.abs(x))
    assert sigmoid.argmax() == tanh.argmax() == near_zero  # both derivatives peak at 0 ...
    assert sigmoid.max() == pytest.approx(0.25, abs=1e-10) and tanh.max() == pytest.approx(1.0, abs=1e-10)
    assert sigmoid[0] < 4e-4 and tanh[0] < 5e-7  # ... and vanish as the input moves away from 0
    real = pytest.importorskip("torch")
    x_t, theirs = _activation_grads(real)
    np.testing.assert_allclose(x, x_t, atol=1e-13)  # numpy's arange adds i * step, torch's differs in the ulp
    same_side = np.sign(x) == np.sign(x_t)  # x[80] is -2.8e-14 here, +4.4e-16 in torch: relu' is 0 vs 1
    assert (~same_side).sum() == 1 and abs(x[~same_side][0]) < 1e-13
    np.testing.assert_array_equal(relu[same_side], theirs[0][same_side])
    for ours, want in zip((sigmoid, tanh), theirs[1:]):
        np.testing.assert_allclose(ours, want, atol=1e-15)


def test_5_1_relu_derivative_at_zero_is_one_half_here_by_design():
    x = torch.tensor([-1.0, 0.0, 1.0], requires_grad=True)
    torch.relu(x).backward(torch.ones_like(x))
    np.testing.assert_array_equal(x.grad, [0.0, 0.5, 1.0])  # the book: "we use the left derivative", PyTorch: 0


# ---------------------------------------------------------------- 5.3 Forward and backward propagation
PHI = {  # phi and its derivative phi'(z), the book's elementwise hidden activation
    "relu": (torch.relu, lambda z: (z > 0).astype(float)),
    "sigmoid": (torch.sigmoid, lambda z: 1 / (1 + np.exp(-z)) * (1 - 1 / (1 + np.exp(-z)))),
    "tanh": (torch.tanh, lambda z: 1 - np.tanh(z) ** 2),
}


def _net_5_3(torch, x, y, W1, W2, lambd, phi):
    """The book's forward pass for one example (column vectors), every intermediate named as in fig. 5.3.1."""
    z = torch.mm(W1, x)
    h = phi(z)
    o = torch.mm(W2, h)
    L = -(y * torch.log_softmax(o, dim=0)).sum()  # cross-entropy, o's column the logits
    s = lambd / 2 * ((W1**2).sum() + (W2**2).sum())
    J = L + s
    return dict(z=z, h=h, o=o, L=L, s=s, J=J)


def _setting(seed=0, d=4, hidden=5, q=3):
    rng = np.random.default_rng(seed)
    x, W1, W2 = rng.normal(size=(d, 1)), rng.normal(size=(hidden, d)), rng.normal(size=(q, hidden))
    return x, np.eye(q)[:, [1]], W1, W2, 0.1


@pytest.mark.parametrize("name", list(PHI))
def test_5_3_backward_propagation_is_the_book_s_formulas(name):
    phi, phi_prime = PHI[name]
    x, y, W1_, W2_, lambd = _setting()
    W1, W2 = torch.tensor(W1_, requires_grad=True), torch.tensor(W2_, requires_grad=True)
    t = _net_5_3(ag, torch.tensor(x), torch.tensor(y), W1, W2, lambd, phi)
    dJ_do, dJ_dh, dJ_dz = (g.data for g in ag.grad(t["J"], [t["o"], t["h"], t["z"]], retain_graph=True))
    t["J"].backward()
    o, h, z = t["o"].data, t["h"].data, t["z"].data
    p = np.exp(o - o.max()) / np.exp(o - o.max()).sum()
    np.testing.assert_allclose(dJ_do, p - y, atol=1e-15)  # dJ/do = dL/do (dJ/dL = 1)
    np.testing.assert_allclose(W2.grad, dJ_do @ h.T + lambd * W2_, atol=1e-14)  # eq. 5.3.8
    np.testing.assert_allclose(dJ_dh, W2_.T @ dJ_do, atol=1e-14)  # eq. 5.3.9
    np.testing.assert_allclose(dJ_dz, dJ_dh * phi_prime(z), atol=1e-14)  # eq. 5.3.10
    np.testing.assert_allclose(W1.grad, dJ_dz @ x.T + lambd * W1_, atol=1e-14)  # eq. 5.3.11
    J = lambda W1, W2: _net_5_3(ag, torch.tensor(x), torch.tensor(y), W1, W2, lambd, phi)["J"]  # noqa: E731
    assert ag.gradcheck(J, (W1.detach().requires_grad_(True), W2.detach().requires_grad_(True)))
    real = pytest.importorskip("torch")
    W1_t, W2_t = real.tensor(W1_, requires_grad=True), real.tensor(W2_, requires_grad=True)
    phi_t = {"relu": real.relu, "sigmoid": real.sigmoid, "tanh": real.tanh}[name]
    _net_5_3(real, real.tensor(x), real.tensor(y), W1_t, W2_t, lambd, phi_t)["J"].backward()
    np.testing.assert_allclose(W1.grad, W1_t.grad.numpy(), atol=1e-14)
    np.testing.assert_allclose(W2.grad, W2_t.grad.numpy(), atol=1e-14)


def _named_edges(root):
    """The arrows between named tensors in draw_graph(root)'s DOT (unnamed intermediates of a composed op,
    such as W1**2 inside s, passed through), and the op count: the picture's edges as fig. 5.3.1 has them."""
    source = viz.draw_graph(root).source
    tensors = ag.walk(root)
    into_op = re.findall(r"^\tt(\d+) -> op(\d+)", source, flags=re.M)  # op k makes tensor t_k
    parents: dict[int, set[int]] = {}
    for parent, child in into_op:
        parents.setdefault(int(child), set()).add(int(parent))

    def named_ancestors(k):
        found = set()
        for p in parents.get(k, ()):
            found |= {tensors[p].label} if tensors[p].label else named_ancestors(p)
        return found

    edges = {(a, t.label) for k, t in enumerate(tensors) if t.label for a in named_ancestors(k)}
    return edges, len(re.findall(r"^\top\d+ \[", source, flags=re.M)), source


def test_5_3_viz_draws_the_book_s_computational_graph():
    x, y, W1_, W2_, lambd = _setting()
    x, y = torch.Tensor(x, label="x"), torch.Tensor(y, label="y")
    W1 = torch.Tensor(W1_, requires_grad=True, label="W1")
    W2 = torch.Tensor(W2_, requires_grad=True, label="W2")
    t = _net_5_3(ag, x, y, W1, W2, lambd, torch.relu)
    for name, tensor in t.items():
        tensor.label = name
    edges, ops, source = _named_edges(t["J"])
    assert edges == {  # fig. 5.3.1: squares are variables, circles operators
        ("x", "z"), ("W1", "z"), ("z", "h"), ("h", "o"), ("W2", "o"), ("o", "L"), ("y", "L"),
        ("W1", "s"), ("W2", "s"), ("L", "J"), ("s", "J"),
    }  # fmt: skip
    for name in ["x", "y", "W1", "W2", "z", "h", "o", "L", "s", "J"]:
        assert source.count(f"<b>{name}</b>") == 1, name  # each variable drawn once, by its name
    # every op drawn, none folded away: 3 of the forward pass, 8 of the cross-entropy (log_softmax is composed:
    # the book's one circle "l" is max-shift, sub, exp, sum, log, sub, mul, sum, neg here), 6 of s, 1 of J
    plan = GraphPlan([t["J"]], "record")
    assert plan.hidden_tensors == plan.hidden_ops == 0 and ops == 3 + 9 + 6 + 1
