"""How backward runs: scale, accumulation, graph lifetime, grad mode, in-place safety, anomaly mode."""

import gc
import threading
import time
import weakref

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor


@pytest.fixture
def no_cyclic_gc():
    """Only reference counting frees objects here: a graph that outlives its root needs a cycle."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# ------------------------------------------------------------------ scale: no recursion anywhere
def test_a_chain_of_a_million_ops(no_cyclic_gc):
    # Cyclic gc is off because a million live tensors make each collection pass slow;
    # what this test checks is that backward (and freeing the chain) never recurses.
    x = Tensor(0.0, requires_grad=True)
    one = Tensor(1.0)
    y = x
    for _ in range(1_000_000):
        y = y + one
    y.backward()
    assert y.item() == 1_000_000.0 and x.grad == 1.0
    del y  # dropping the root frees a 10^6-deep chain without recursion either


def test_a_node_with_a_hundred_thousand_consumers():
    x, scale, total = Tensor(2.0, requires_grad=True), Tensor(3.0), Tensor(0.0)
    for _ in range(100_000):
        total = total + x * scale  # 10^5 mul nodes read x; their gradients all meet there
    total.backward()
    assert x.grad == 300_000.0
    assert len(ag.walk(total)) == 2 * 100_000 + 3  # walk is iterative too: x, scale, 0, then mul+add pairs


# ------------------------------------------------------------------ accumulation over paths and calls
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


# ------------------------------------------------------------------ graph lifetime
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


# ------------------------------------------------------------------ grad mode
def test_no_grad_records_nothing_and_enable_grad_records_again():
    x = Tensor(1.0, requires_grad=True)
    with ag.no_grad():
        assert not ag.is_grad_enabled()
        y = x * 2
        with ag.enable_grad():
            z = x * 2
        w = x * 2
    assert (y.requires_grad, y.op, z.requires_grad, z.op, w.requires_grad) == (False, None, True, "mul", False)
    assert ag.is_grad_enabled()


def test_grad_mode_helpers_work_as_decorators():
    x = Tensor(1.0, requires_grad=True)
    assert not ag.no_grad()(lambda: x * 2)().requires_grad
    assert not ag.set_grad_enabled(False)(lambda: x * 2)().requires_grad
    with ag.no_grad():
        assert ag.enable_grad()(lambda: x * 2)().requires_grad


def test_nothing_is_recorded_without_a_trainable_input():
    out = Tensor([1.0, 2.0]) * 3.0
    assert not out.requires_grad and out.is_leaf and out.parents == ()


def test_no_grad_in_one_thread_does_not_affect_another():
    inside, release, seen = threading.Event(), threading.Event(), {}

    def worker():
        with ag.no_grad():
            inside.set()
            release.wait(5)
            seen["worker records"] = (Tensor(1.0, requires_grad=True) * 2).requires_grad

    thread = threading.Thread(target=worker)
    thread.start()
    assert inside.wait(5)
    main = Tensor(1.0, requires_grad=True) * 2  # built while the worker sits in no_grad
    release.set()
    thread.join(5)
    assert main.requires_grad and ag.is_grad_enabled()
    assert seen == {"worker records": False}


def test_a_new_thread_starts_with_grad_enabled_even_under_no_grad():
    seen = []
    with ag.no_grad():
        thread = threading.Thread(target=lambda: seen.append(ag.is_grad_enabled()))
        thread.start()
        thread.join(5)
    assert seen == [True]


# ------------------------------------------------------------------ retain_grad, detach, ag.grad
def test_retain_grad_keeps_a_non_leaf_gradient():
    x = Tensor([1.0, 2.0], requires_grad=True)
    hidden, other = x * 3.0, x * 5.0
    hidden.retain_grad()
    (hidden * hidden + other).sum().backward()
    np.testing.assert_array_equal(hidden.grad, 2 * hidden.data)
    assert other.grad is None


def test_detach_shares_values_and_stops_gradients():
    x = Tensor([1.0, 2.0], requires_grad=True)
    frozen = x.detach()
    assert frozen.is_leaf and not frozen.requires_grad and np.shares_memory(frozen.data, x.data)
    (frozen * x).sum().backward()
    np.testing.assert_array_equal(x.grad, x.data)  # d/dx (c * x) with c = x's value


def test_ag_grad_returns_gradients_without_touching_dot_grad():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = Tensor(3.0, requires_grad=True)
    hidden = x * y
    out1, out2 = hidden.sum(), (x**2).sum()
    gx, gy, gh = ag.grad([out1, out2], [x, y, hidden], retain_graph=True)
    np.testing.assert_array_equal(gx.data, [3.0 + 2.0, 3.0 + 4.0])  # the outputs' gradients add up
    assert gy.item() == 3.0 and isinstance(gh, Tensor)
    np.testing.assert_array_equal(gh.data, [1.0, 1.0])
    assert x.grad is None and y.grad is None
    (seeded,) = ag.grad(hidden, x, grad_outputs=np.array([10.0, 20.0]))
    np.testing.assert_array_equal(seeded.data, [30.0, 60.0])


def test_ag_grad_allow_unused_gives_none():
    x, unused = Tensor(1.0, requires_grad=True), Tensor(2.0, requires_grad=True)
    assert ag.grad(x * 2, [x, unused], allow_unused=True)[1] is None


# ------------------------------------------------------------------ in-place changes
def test_in_place_operators_on_tensors_without_grad_change_them_in_place():
    t = Tensor([1.0, 2.0])
    alias = t
    t += 1.0
    t *= Tensor([2.0, 3.0])
    assert t is alias
    np.testing.assert_array_equal(t.data, [4.0, 9.0])


@pytest.mark.parametrize("change", ["data -=", "data =", "operator +="])
def test_changing_a_saved_tensor_makes_backward_refuse(change):
    w = Tensor([1.0, 2.0], requires_grad=True, label="w")
    x = Tensor([3.0, 4.0])
    loss = (w * x).sum()
    if change == "data -=":
        w.data -= 0.5
    elif change == "data =":
        w.data = np.zeros(2)
    else:
        x += 1.0
    with pytest.raises(RuntimeError, match=r"mul: a tensor .* saved for backward was modified in place"):
        loss.backward()
    (w * x).sum().backward()  # a fresh forward after the change is fine
    assert w.grad is not None


# ------------------------------------------------------------------ numerics at the edges
def test_log_of_zero_and_negative_follows_numpy():
    x = Tensor([0.0, -1.0, 1.0], requires_grad=True)
    with pytest.warns(RuntimeWarning):
        y = x.log()
    assert y.data[0] == -np.inf and np.isnan(y.data[1]) and y.data[2] == 0.0
    with pytest.warns(RuntimeWarning):
        y.sum().backward()
    assert x.grad[0] == np.inf and x.grad[2] == 1.0


@pytest.mark.filterwarnings("error")  # not even an overflow warning
def test_sigmoid_of_plus_minus_1000_is_finite_with_a_finite_gradient():
    x = Tensor([-1000.0, 1000.0, 0.0], requires_grad=True)
    s = x.sigmoid()
    s.sum().backward()
    np.testing.assert_array_equal(s.data, [0.0, 1.0, 0.5])
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.25])


@pytest.mark.filterwarnings("error")
def test_softmax_family_of_plus_minus_1000_is_finite_and_exact():
    x = Tensor([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0]], requires_grad=True)
    np.testing.assert_array_equal(x.softmax().data, [[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]])
    np.testing.assert_allclose(
        x.log_softmax().data, [[0.0, -2000.0, -1000.0], [-np.log(3)] * 3], rtol=1e-15, atol=1e-12
    )  # -1000 - (-1000 + log 3) loses ~1e-13
    np.testing.assert_allclose(x.logsumexp().data, [1000.0, -1000.0 + np.log(3)], rtol=1e-15)
    for f in (lambda t: t.softmax(), lambda t: t.log_softmax(), lambda t: t.logsumexp()):
        x.zero_grad()
        out = f(x)
        (out * np.random.default_rng(0).standard_normal(out.shape)).sum().backward()
        assert np.all(np.isfinite(x.grad))


# ------------------------------------------------------------------ kink convention: ties split evenly
def grad_at(f, value):
    x = Tensor(value, requires_grad=True)
    f(x).sum().backward()
    return x.grad


def test_kink_convention_table():
    zero = np.array(0.0)
    assert grad_at(lambda x: x.relu(), zero) == 0.5 == grad_at(lambda x: ag.maximum(x, 0.0), zero)
    assert grad_at(lambda x: x.abs(), zero) == 0.0
    assert grad_at(lambda x: ag.maximum(x, x), np.array(1.5)) == 1.0
    assert grad_at(lambda x: ag.minimum(x, x), np.array(1.5)) == 1.0
    assert grad_at(lambda x: ag.stack([x, x]).max(), np.array(1.5)) == 1.0
    assert grad_at(lambda x: ag.minimum(x, 0.0), zero) == 0.5
    np.testing.assert_array_equal(grad_at(lambda x: x.max(), np.array([1.0, 3.0, 3.0])), [0.0, 0.5, 0.5])
    np.testing.assert_array_equal(
        grad_at(lambda x: x.max(axis=1), np.array([[2.0, 2.0, 2.0], [1.0, 4.0, 0.0]])),
        [[1 / 3, 1 / 3, 1 / 3], [0.0, 1.0, 0.0]],
    )


def test_where_sends_gradient_only_to_the_picked_branch():
    a, b = Tensor([1.0, 2.0, 3.0], requires_grad=True), Tensor([4.0, 5.0, 6.0], requires_grad=True)
    ag.where(np.array([True, False, True]), a, b).sum().backward()
    np.testing.assert_array_equal(a.grad, [1.0, 0.0, 1.0])
    np.testing.assert_array_equal(b.grad, [0.0, 1.0, 0.0])


def test_in_place_update_of_a_leaf_under_no_grad_keeps_the_leaf():
    # PyTorch's idiom: `with no_grad(): w -= lr * w.grad` updates w itself, in place.
    w = Tensor([1.0, 2.0], requires_grad=True)
    buffer = w.data
    (w * w).sum().backward()
    with ag.no_grad():
        w -= 0.25 * w.grad
    assert w.is_leaf and w.requires_grad and w.data is buffer
    np.testing.assert_array_equal(w.data, [0.5, 1.0])


def test_in_place_update_under_no_grad_is_still_caught_by_a_graph_that_saved_it():
    w = Tensor([1.0, 2.0], requires_grad=True)
    y = (w * w).sum()
    with ag.no_grad():
        w -= 1.0
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


def test_stacking_many_scalars_backward_is_exact_and_linear_in_the_number_of_inputs():
    # One node with n inputs must cost O(n) in backward: the time per input at n = 2,000 and
    # at n = 50,000, in this run, differ by less than 3x (a quadratic backward: 25x).
    def backward_seconds_per_input(n):
        xs = [Tensor(float(i), requires_grad=True) for i in range(n)]
        weights = np.arange(n, dtype=float) % 7
        loss = (ag.stack(xs) * weights).sum()
        gc.collect()
        gc.disable()  # the engine is timed, not the cyclic collector walking 10^5 fresh objects
        try:
            start = time.perf_counter()
            loss.backward()
            seconds = time.perf_counter() - start
        finally:
            gc.enable()
        np.testing.assert_array_equal([x.grad for x in xs[:14]], weights[:14])
        assert xs[-1].grad == weights[-1]
        return seconds / n

    small = min(backward_seconds_per_input(2_000) for _ in range(5))
    large = min(backward_seconds_per_input(50_000) for _ in range(2))
    assert large / small < 3, f"{large * 1e6:.1f} µs per input at 50,000 vs {small * 1e6:.1f} at 2,000"


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
