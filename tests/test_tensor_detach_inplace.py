"""Tensor.detach_(), PyTorch's in-place detach: the tensor becomes a leaf that needs no gradient, its graph
behind it is let go, operations that used it before refuse to backward (the engine's graph is the tensors),
and ag.compile falls back to define-by-run, saying why, when fn calls it."""

import gc
import warnings
import weakref

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import CompileError, CompileWarning, Tensor
from autograd_core.graph_state import MutationClock, watched


def test_it_becomes_a_leaf_in_place_with_its_values_and_memory():
    x = Tensor([1.0, -2.0, 3.0], requires_grad=True)
    h = (x * 2).exp()
    data = h.data
    assert h.detach_() is h
    assert h.is_leaf and not h.requires_grad and h.grad_fn is None and h.op is None and h.parents == ()
    assert h.data is data and h.op_number == 0
    np.testing.assert_array_equal(h.data, np.exp([2.0, -4.0, 6.0]))
    for name in Tensor.__slots__:  # every slot still set
        getattr(h, name)
    assert (h * 3).is_leaf and not (h * 3).requires_grad  # a constant from now on


def test_gradients_after_it_treat_the_tensor_as_a_constant_as_torch():
    torch = pytest.importorskip("torch")
    values = np.array([0.5, -1.0, 2.0])
    x, tx = Tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    h, th = (x * x).tanh(), (tx * tx).tanh()
    h.detach_(), th.detach_()
    (h * x.sin()).sum().backward()
    (th * tx.sin()).sum().backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad, np.tanh(values**2) * np.cos(values), rtol=1e-12)  # closed form: h is fixed


def test_the_graph_behind_it_is_let_go():
    x = Tensor(np.ones(1000), requires_grad=True)
    middle = x * 2
    gone = weakref.ref(middle)
    h = middle.exp()
    del middle
    gc.collect()
    assert gone() is not None  # h's graph holds it
    h.detach_()
    gc.collect()
    assert gone() is None


def test_an_operation_that_used_it_before_refuses_to_backward_and_delivers_nothing():
    x = Tensor([1.0, 2.0], requires_grad=True)
    w = Tensor([3.0, 4.0], requires_grad=True)
    h = x * 2
    old = (h * w).sum()  # made before detach_: its path to x would be lost
    h.detach_()
    with pytest.raises(RuntimeError, match=r"^mul: its input of shape \(2,\) was detached in place \(detach_\(\)\)"):
        old.backward()
    assert x.grad is None and w.grad is None  # refused before anything was delivered
    with pytest.raises(RuntimeError, match=r"Call detach_\(\) after backward\(\), or use detach\(\)"):
        (old * 2).backward()  # also from an operation made after it


def test_graphs_that_do_not_use_it_still_backward():
    x = Tensor([1.0, 2.0], requires_grad=True)
    a = x * 2
    b = a.exp()
    c = (a * 3).sum()  # made before detach_, but it does not use b
    b.detach_()
    c.backward()
    np.testing.assert_array_equal(x.grad, [6.0, 6.0])


def test_a_leaf_that_required_grad_stops_and_its_old_consumers_refuse():
    torch = pytest.importorskip("torch")
    w, tw = Tensor([1.0, 2.0], requires_grad=True), torch.tensor([1.0, 2.0], requires_grad=True)
    old = (w * w).sum()
    assert w.detach_() is w and tw.detach_() is tw
    assert (w.is_leaf, w.requires_grad) == (tw.is_leaf, tw.requires_grad) == (True, False)
    with pytest.raises(RuntimeError, match="detached in place"):
        old.backward()
    assert w.grad is None


def test_a_tensor_outside_any_graph_is_left_as_it_is():
    t = Tensor([1.0, 2.0])
    before = MutationClock.now
    assert t.detach_() is t and MutationClock.now == before  # nothing changed: no graph made older refuses
    with ag.no_grad():
        u = Tensor([1.0], requires_grad=True) * 2
    assert u.detach_() is u and MutationClock.now == before


def test_a_watched_tensor_is_no_longer_stopped_at():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    h.retain_grad()
    assert id(h) in watched
    h.detach_()
    assert id(h) not in watched and not h._watched and h.retains_grad  # retains_grad stays, as in PyTorch
    (h * x).sum().backward()
    assert h.grad is None
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])


def test_a_view_may_be_detached_in_place_unlike_pytorch_and_keeps_sharing_memory():
    x = Tensor(np.arange(6.0), requires_grad=True)
    v = x.reshape(2, 3)
    v.detach_()  # PyTorch: "Can't detach views in-place"; nothing here tracks views
    assert v.is_leaf and np.shares_memory(v.data, x.data)


def test_truncated_backpropagation_through_time_equals_torch():
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(0)
    W0, xs = r.normal(size=(3, 3)) * 0.5, r.normal(size=(6, 3))
    W, tW = Tensor(W0, requires_grad=True), torch.tensor(W0, requires_grad=True)
    h, th = Tensor(np.zeros(3)), torch.zeros(3, dtype=torch.float64)
    grads = []
    for chunk in (xs[:3], xs[3:]):  # two chunks of three steps; the hidden state is detached between them
        for x in chunk:
            h, th = (h @ W + x).tanh(), (th @ tW + torch.from_numpy(x)).tanh()
        (h * h).sum().backward()
        (th * th).sum().backward()
        h.detach_(), th.detach_()
        grads.append((W.grad.copy(), tW.grad.numpy().copy()))
    for ours, theirs in grads:
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    assert not np.allclose(grads[0][0], grads[1][0])


def test_compile_falls_back_to_define_by_run_with_the_reason():
    W = Tensor(np.ones((2, 2)), requires_grad=True)
    V = Tensor(np.ones((2, 1)), requires_grad=True)

    def fn(X):
        h = X @ W
        h.detach_()  # W gets no gradient: h is a constant for what follows
        return (h @ V).sum()

    step = ag.compile(fn)
    for k in range(3):
        V.grad = None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            loss = step(Tensor(np.full((1, 2), k + 1.0)))
        assert float(loss) == 4.0 * (k + 1)
        np.testing.assert_array_equal(V.grad.ravel(), [2.0 * (k + 1)] * 2)
        assert W.grad is None
        if k == 0:
            assert any(issubclass(w.category, CompileWarning) and "detach_()" in str(w.message) for w in caught)
    assert step.replay_count == 0 and "detaches a tensor in place (detach_())" in step.fallback_reason
    with pytest.raises(CompileError, match=r"detaches a tensor in place \(detach_\(\)\)"):
        ag.compile(fn, strict=True)(Tensor(np.ones((1, 2))))


def test_a_leaf_detached_in_place_between_compiled_calls_gets_no_gradient():
    W = Tensor(np.array([[1.0], [2.0]]), requires_grad=True)
    b = Tensor(np.array([0.5]), requires_grad=True)
    step = ag.compile(lambda X: (X @ W + b).tanh().sum())
    X = Tensor(np.array([[0.3, -0.2], [0.1, 0.4]]))
    for _ in range(3):
        step(X)
    assert step.replay_count == 1
    W.grad = b.grad = None
    W.detach_()
    step(X)
    expected_b = (1 - np.tanh(X.data @ W.data + b.data) ** 2).sum(axis=0)
    np.testing.assert_allclose(b.grad, expected_b, rtol=1e-12)
    assert W.grad is None
