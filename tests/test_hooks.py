"""Tensor.register_hook: a function of the complete gradient, which may replace it (as PyTorch's)."""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor


def test_a_hook_sees_the_complete_gradient_once():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 3.0
    seen = []
    y.register_hook(lambda g: seen.append(g.data.copy()))
    (y * y + y).sum().backward()  # y has two consumers: the hook runs once, with their sum 2y + 1
    assert len(seen) == 1
    np.testing.assert_allclose(seen[0], 2 * np.array([3.0, 6.0]) + 1)
    np.testing.assert_allclose(x.grad, 3 * (2 * np.array([3.0, 6.0]) + 1))


def test_a_returned_gradient_replaces_it_upstream_and_in_grad():
    x = Tensor([1.0, -2.0], requires_grad=True)
    y = x * x
    y.register_hook(lambda g: g * 0)
    x.register_hook(lambda g: g + 1)  # a leaf's hook runs before .grad accumulates
    (y + x).sum().backward()
    np.testing.assert_allclose(x.grad, [2.0, 2.0])  # d(x)/dx = 1 through the un-zeroed path, + 1


def test_hooks_match_pytorch():
    torch = pytest.importorskip("torch")
    data = np.array([[0.5, -1.5], [2.0, 0.25]])
    x, tx = Tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    h, th = x.tanh() @ x, tx.tanh() @ tx
    h.register_hook(lambda g: g.clamp(-0.5, 0.5) * 3)
    th.register_hook(lambda g: g.clamp(-0.5, 0.5) * 3)
    x.register_hook(lambda g: g * g)
    tx.register_hook(lambda g: g * g)
    ((h**2).sum() * 0.1).backward()
    ((th**2).sum() * 0.1).backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-12)


def test_remove_unregisters_and_hooks_run_in_order():
    x = Tensor(1.0, requires_grad=True)
    first = x.register_hook(lambda g: g * 2)
    x.register_hook(lambda g: g + 1)
    (x * 5).backward()
    assert x.grad == 11.0  # (5 * 2) + 1
    first.remove()
    first.remove()  # a second remove does nothing
    x.grad = None
    (x * 5).backward()
    assert x.grad == 6.0


def test_hooks_apply_in_grad_and_with_create_graph():
    x = Tensor(3.0, requires_grad=True)
    y = x * x
    y.register_hook(lambda g: g * x)  # with create_graph the hook's expression is recorded too
    (dx,) = ag.grad(y * 1.0, x, create_graph=True)  # 2x * x = 2x^2
    assert dx.item() == 18.0
    (d2x,) = ag.grad(dx, x)  # d/dx 2x^2 = 4x: the x the hook multiplied by was recorded too
    assert d2x.item() == 12.0


def test_float32_stays_float32_when_a_hook_returns_float64():
    x = Tensor(np.ones(3, np.float32), requires_grad=True)
    x.register_hook(lambda g: np.asarray(g, dtype=np.float64) * 2)
    (x * 2).sum().backward()
    assert x.grad.dtype == np.float32 and (x.grad == 4).all()


def test_hook_errors_are_clear():
    with pytest.raises(RuntimeError, match=r"register_hook: this tensor does not require grad"):
        Tensor([1.0]).register_hook(lambda g: g)
    with pytest.raises(TypeError, match=r"register_hook: expected a function of the gradient, got int"):
        Tensor([1.0], requires_grad=True).register_hook(3)
    x = Tensor([1.0, 2.0], requires_grad=True)

    def bad(g):
        return g.sum()

    x.register_hook(bad)
    with pytest.raises(RuntimeError, match=r"hook 'bad' on a tensor of shape \(2,\) returned a gradient of shape \(\)"):
        (x * 2).sum().backward()


def test_backward_stops_at_watched_operations_only_while_one_is_alive():
    # graph_state.watched holds the operations with a hook or retain_grad() weakly: while none is alive
    # backward asks no node; once one is, a hook on it runs even among many unwatched graphs
    import gc

    from autograd_core import graph_state

    gc.collect()
    before = len(graph_state.watched)  # (other tests' tensors still alive, if any)
    x = Tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: g)  # a leaf: delivered at the end, nothing to stop at
    assert len(graph_state.watched) == before
    h = x * 3
    seen = []
    h.register_hook(lambda g: seen.append(g.data.copy()))
    kept = (x * 5).retain_grad().retain_grad()  # (twice: one entry)
    assert len(graph_state.watched) == before + 2 and graph_state.watched[id(h)] is h
    (h * h).sum().backward()
    np.testing.assert_array_equal(seen[0], 2 * h.data)
    del h, kept
    gc.collect()
    assert len(graph_state.watched) == before
    y = x * 3
    (y * y).sum().backward()  # nothing watched: still the full gradient, hooks on the leaf still run
    np.testing.assert_array_equal(x.grad, 2 * (2 * 9 * x.data))
