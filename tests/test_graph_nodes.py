"""``t.grad_fn`` is torch's graph node: walked by ``next_functions``, named by ``name()``, and called by hand
(``node(g)``: one step of the chain rule, the primitive's vjp). Checked against backward, finite differences
and torch's own nodes."""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.graph_nodes import AccumulateGrad, Node


def test_a_leaf_or_a_constant_has_no_node_and_a_walk_ends_in_accumulators():
    x = Tensor([1.0, 2.0], requires_grad=True)
    c = Tensor([3.0, 4.0])
    assert x.grad_fn is None and c.grad_fn is None and (c * 2).grad_fn is None
    with ag.no_grad():
        assert (x * 2).grad_fn is None
    y = x * c
    (x_fn, _), (c_fn, _) = y.grad_fn.next_functions
    assert isinstance(x_fn, AccumulateGrad) and x_fn.variable is x and x_fn.next_functions == ()
    assert c_fn is None
    assert y.grad_fn == y.grad_fn and hash(y.grad_fn) == hash(y.grad_fn) and y.grad_fn != (x * c).grad_fn


def test_calling_each_node_down_the_chain_is_backward():
    """The teacher's demonstration: start from dL/dL = 1 and call each node with the gradient so far."""
    x = Tensor(np.linspace(-1, 1, 5), requires_grad=True)
    loss = ((x * 3).tanh().exp()).sum()
    g, node = np.ones(()), loss.grad_fn
    names = []
    while isinstance(node, Node):
        names.append(node.name())
        sent = node(g)
        g = sent[0] if isinstance(sent, tuple) else sent  # the constant 3 gets None
        node = node.next_functions[0][0]
    assert names == ["SumBackward0", "ExpBackward0", "TanhBackward0", "MulBackward0"]
    assert node.variable is x
    loss.backward()
    assert g.data.tobytes() == x.grad.tobytes()  # the same vjps in the same order: the same floats


def test_a_node_sends_each_input_its_vector_jacobian_product():
    """Against finite differences, with broadcasting: x (2, 3) @ W (3, 4) + b (4,), g random."""
    rng = np.random.default_rng(0)
    X, W, b = (Tensor(rng.standard_normal(s), requires_grad=True) for s in ((2, 3), (3, 4), (4,)))
    out = X @ W + b
    g = rng.standard_normal(out.shape)
    g_mm, g_b = out.grad_fn(Tensor(g))
    assert g_b.shape == (4,) and np.allclose(g_b.data, g.sum(axis=0))  # summed back to b's shape
    g_X, g_W = out.grad_fn.next_functions[0][0](g_mm)
    for leaf, got in ((X, g_X), (W, g_W)):
        numeric = np.zeros(leaf.shape)
        for index in np.ndindex(leaf.shape):
            saved = leaf.data[index]
            values = []
            for h in (1e-6, -1e-6):
                leaf.data[index] = saved + h
                values.append(float(((X.data @ W.data + b.data) * g).sum()))
            leaf.data[index] = saved
            numeric[index] = (values[0] - values[1]) / 2e-6
        np.testing.assert_allclose(got.data, numeric, rtol=1e-7, atol=1e-8)


def test_float32_outputs_get_float32_gradients_and_one_input_gives_a_tensor():
    x = Tensor(np.array([0.5, 1.5], dtype=np.float32), requires_grad=True)
    y = x.exp()
    sent = y.grad_fn([1.0, 1.0])
    assert isinstance(sent, Tensor) and sent.dtype == np.float32 and np.allclose(sent.data, np.exp([0.5, 1.5]))


def test_bad_calls_say_what_to_do():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    with pytest.raises(ValueError, match=r"ExpBackward0: grad_output has shape \(3,\), expected .* \(2,\)"):
        y.grad_fn(np.ones(3))
    with pytest.raises(AttributeError, match=r"ExpBackward0._saved_self: a node here has name\(\), prim"):
        y.grad_fn._saved_self  # noqa: B018
    loss = y.sum()
    node = loss.grad_fn
    loss.backward()
    with pytest.raises(RuntimeError, match=r"SumBackward0: the graph was freed .* retain_graph=True"):
        node(1.0)


def test_names_and_walk_equal_torchs():
    torch = pytest.importorskip("torch")

    def walk(fn):
        if fn is None or not fn.next_functions:
            return [None if fn is None else fn.name()]
        return [fn.name(), [walk(f) for f, _ in fn.next_functions]]

    x0, w0 = np.array([0.3, -0.7]), np.array([1.5, 2.0])
    ours = [Tensor(x0, requires_grad=True), Tensor(w0)]
    theirs = [torch.tensor(x0, requires_grad=True), torch.tensor(w0)]
    results = []
    for x, w in (ours, theirs):
        results.append(walk(((x * w).tanh() + x.exp()).sum().grad_fn))
    assert results[0] == results[1]
    g = np.array([0.25, -2.0])
    mine = (ours[0] * ours[1]).tanh().grad_fn(g)
    torchs = (theirs[0] * theirs[1]).tanh().grad_fn(torch.tensor(g))
    np.testing.assert_allclose(mine.data, torchs.detach().numpy(), rtol=1e-15)
