"""What the engine records: grad mode (per thread), retain_grad, detach, ag.grad, and in-place changes
(allowed without grad, refused once a graph saved the tensor)."""

import threading

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor


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
