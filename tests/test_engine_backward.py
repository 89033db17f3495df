"""How backward runs: accumulation over paths and calls, graph lifetime, and the gradients it leaves
(never shared between leaves, in the weights' own layout, ndarrays)."""

import gc
import weakref

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor


def test_a_diamond_gets_the_sum_of_both_paths():
    a = Tensor(0.7, requires_grad=True)
    left, right = a * 2.0, a.exp()
    (left * right).backward()
    assert a.grad == pytest.approx(2 * np.exp(0.7) + 2 * 0.7 * np.exp(0.7), rel=1e-14)


def test_a_times_a_counts_twice():
    a = Tensor(3.0, requires_grad=True)
    (a * a).backward()
    assert a.grad == 6.0
    a.zero_grad()
    (a * a * a + a + a).backward()
    assert a.grad == 3 * 9.0 + 2
    b = Tensor([1.0, 2.0], requires_grad=True)
    ag.concatenate([b, b, b]).sum().backward()
    np.testing.assert_array_equal(b.grad, [3.0, 3.0])


def test_micrograd_scalar_example():
    a = Tensor(2.0, requires_grad=True)
    (a * a + 3 * a).backward()
    assert a.grad == 7.0


def test_leaf_gradients_accumulate_across_backward_calls_until_zero_grad():
    w = Tensor([1.0, -1.0], requires_grad=True)
    (w * 3.0).sum().backward()
    (w * 3.0).sum().backward()
    np.testing.assert_array_equal(w.grad, [6.0, 6.0])
    w.zero_grad()
    assert w.grad is None
    (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad, [2.0, -2.0])


def test_backward_with_an_explicit_seed_and_from_a_leaf():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).backward(grad=np.array([1.0, 0.0, -1.0]))
    np.testing.assert_array_equal(x.grad, [2.0, 0.0, -6.0])
    leaf = Tensor([1.0, 2.0], requires_grad=True)
    leaf.backward(grad=[5.0, 6.0])
    np.testing.assert_array_equal(leaf.grad, [5.0, 6.0])


def test_second_backward_needs_retain_graph():
    x = Tensor(2.0, requires_grad=True)
    y = x * x
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad == 8.0
    with pytest.raises(RuntimeError, match=r"retain_graph=True"):
        y.backward()
    assert x.grad == 8.0  # the failed call touched nothing


def test_graph_is_freed_when_the_root_is_dropped(no_cyclic_gc):
    x = Tensor(np.ones(3), requires_grad=True)
    hidden = (x * 2.0).tanh()
    loss = hidden.sum()
    probe = weakref.ref(hidden)
    del hidden
    loss.backward()
    assert probe() is not None  # the root still holds its graph (viz draws it after backward)
    del loss
    assert probe() is None


def test_second_order_graphs_hold_no_cycles(no_cyclic_gc):
    x = Tensor(np.ones(3), requires_grad=True)
    y = (x * x).sigmoid()
    probe = weakref.ref(y)
    (g,) = ag.grad(y.sum(), x, create_graph=True)
    (h,) = ag.grad(g.sum(), x)
    del y, g, h
    assert probe() is None


def test_memory_stays_flat_over_training_steps(no_cyclic_gc):
    w = Tensor(np.random.default_rng(0).standard_normal((4, 2)), requires_grad=True)
    x = Tensor(np.random.default_rng(1).standard_normal((8, 4)))

    def live_tensors():
        return sum(type(o) is Tensor for o in gc.get_objects())  # type(): isinstance may wake lazy modules

    counts = []
    for step in range(30):
        loss = (x @ w).tanh().log_softmax()[:, 0].mean()
        loss.backward()
        w.data -= 0.1 * w.grad
        w.zero_grad()
        if step in (9, 29):
            counts.append(live_tensors())
    assert counts[0] == counts[1]


def test_leaf_gradients_never_share_memory_even_when_one_g_reaches_both_through_views():
    a = Tensor(np.ones((2, 2)), requires_grad=True)
    b = Tensor(np.ones((2, 2)), requires_grad=True)
    (a.reshape(4) + b.T.reshape(4)).sum().backward()  # add hands the same g to both reshapes
    assert not np.shares_memory(a.grad, b.grad)
    a.grad *= 3.0  # an in-place change of one leaves the other alone
    np.testing.assert_array_equal(b.grad, np.ones((2, 2)))
    c = Tensor([1.0, 2.0], requires_grad=True)
    seed = np.array([5.0, 7.0])
    c.backward(seed)  # a leaf root: its .grad is not the caller's seed
    assert not np.shares_memory(c.grad, seed)


def test_a_transposed_weights_gradient_comes_out_in_the_weights_own_layout():
    # x @ W.T (nn.Linear's layout): W.grad is C-ordered like W, and exact
    x = Tensor(np.random.default_rng(0).normal(size=(5, 3)))
    W = Tensor(np.random.default_rng(1).normal(size=(4, 3)), requires_grad=True)
    g = np.random.default_rng(2).normal(size=(5, 4))
    (x @ W.T).backward(g)
    assert W.grad.flags.c_contiguous
    np.testing.assert_allclose(W.grad, g.T @ x.data, rtol=1e-14)
    assert ag.gradcheck(lambda w: (x @ w.T).tanh(), Tensor(W.data, requires_grad=True))


def test_grad_of_a_0d_leaf_is_an_ndarray_with_create_graph_too():
    # a 0-d tensor holds a numpy scalar inside the engine; .grad is still a 0-d array, as without create_graph
    x = Tensor(3.0, requires_grad=True)
    (x**3).backward(create_graph=True)
    assert type(x.grad) is np.ndarray and x.grad.shape == () and x.grad == 27.0
