"""Tensors that share memory share its in-place changes (as PyTorch's shared version counter): a graph that
saved ``x.detach()`` or a slice made without recording refuses to backward once that memory was written
through another tensor, instead of computing a gradient from the new values, silently."""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.graph_state import unwritten, written

SHARED = "through another tensor sharing its memory"


def graph_saving(constant):
    x = Tensor(np.ones(constant.shape), requires_grad=True)
    return x, (constant * x).sum()  # mul saves the constant: x's gradient is its values


def write_through_data(w):
    w.data -= 1.0  # as an optimizer: the array itself, then the setter


def write_in_place_under_no_grad(w):
    with ag.no_grad():
        w -= 1.0


def write_through_another_detached_copy(w):
    w.detach().add_(1.0)


@pytest.mark.parametrize(
    "write", [write_through_data, write_in_place_under_no_grad, write_through_another_detached_copy]
)
def test_a_detached_copy_saved_by_a_graph_sees_writes_to_the_parameter(write):
    w = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    x, y = graph_saving(w.detach())
    write(w)
    with pytest.raises(RuntimeError, match=SHARED):
        y.backward()
    assert x.grad is None  # refused before anything was delivered


def test_a_slice_made_without_recording_sees_writes_to_its_base_and_the_base_to_the_slice():
    a = Tensor(np.arange(4.0))
    _x, y = graph_saving(a[1:])
    a[0] = 5.0  # a[0] is outside the slice, but the memory is one array's: refused, as PyTorch does
    with pytest.raises(RuntimeError, match=SHARED):
        y.backward()
    v = a[1:]
    _x, y = graph_saving(a)
    v.mul_(2.0)
    with pytest.raises(RuntimeError, match=SHARED):
        y.backward()


def test_writes_to_other_memory_and_writes_before_the_graph_are_not_refused():
    w = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    w.data -= 0.5  # before the graph: its values are what the graph saw
    x, y = graph_saving(w.detach())
    other = Tensor(np.ones(3))
    other += 1.0  # another array's memory
    w.detach().numpy().copy()  # reading is not writing
    y.backward()
    np.testing.assert_array_equal(x.grad, [0.5, 1.5, 2.5])


def test_the_record_of_writes_stays_bounded_and_keeps_the_recent_ones():
    arrays = [Tensor(np.zeros(2)) for _ in range(10_000)]  # alive: 10,000 owners at distinct ids
    w = Tensor([1.0, 2.0], requires_grad=True)
    _x, y = graph_saving(w.detach())
    for t in arrays:
        t += 1.0
    assert 0 < len(written) <= 4096
    with ag.no_grad():
        w -= 1.0  # the latest write: remembered
    with pytest.raises(RuntimeError, match=SHARED):
        y.backward()


def test_an_array_taking_a_saved_tensors_place_without_a_version_inherits_no_write():
    # .data makes a 0-d value's array after the node saved it, maybe at the id of an old array written since
    array = np.zeros(())
    written[id(array)] = 10**9
    assert unwritten(array) is array and id(array) not in written
    x, c = Tensor(2.0, requires_grad=True), Tensor(3.0)
    y = c * x
    assert type(c._data) is not np.ndarray and type(c.data) is np.ndarray  # the array made now
    y.backward()
    assert x.grad == 3.0


def test_increment_version_counts_a_write_numpy_made_into_a_tensors_array():
    w = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    x, y = graph_saving(w.detach())
    np.subtract(w.data, 1.0, out=w.data)  # numpy's write: the engine cannot see it
    y.backward()  # so this gradient is from the new values, as PyTorch's .data
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 2.0])
    x, y = graph_saving(w.detach())
    np.subtract(w.data, 1.0, out=w.data)
    ag.increment_version([Tensor([0.0]), w])  # any iterable; one clock tick for all
    with pytest.raises(RuntimeError, match=SHARED):
        y.backward()
    assert x.grad is None
    for bad, name in ((w.data, "ndarray"), ([w, 2.0], "float"), (None, "NoneType")):
        with pytest.raises(
            TypeError, match=f"increment_version: expected a Tensor or an iterable of Tensors, got {name}"
        ):
            ag.increment_version(bad)


def test_sgd_counts_the_parameters_it_changed_also_when_a_bad_grad_stops_the_step():
    first, second = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0], requires_grad=True)
    opt = nn_optim().SGD([first, second], lr=0.5)
    x, y = graph_saving(first.detach())
    first.grad, second.grad = np.ones(2), np.ones(3)  # the second does not fit its parameter
    with pytest.raises(ValueError, match=r"parameter 1 \(shape \(1,\)"):
        opt.step()
    np.testing.assert_array_equal(first.data, [0.5, 1.5])  # the first was updated before the refusal
    with pytest.raises(RuntimeError, match=SHARED):  # and counted: the graph that saw the old values refuses
        y.backward()
    assert x.grad is None


def nn_optim():
    import nn.optim

    return nn.optim
