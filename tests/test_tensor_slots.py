"""Every way a Tensor comes to be fills all of its slots (a slot never set raises AttributeError when
read), and the engine's scalar fast paths give what the general ones give."""

import copy

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor


def _every_way_to_make_a_tensor():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with ag.no_grad():
        unrecorded = x * 2
    return {
        "a float leaf": Tensor(2.0, requires_grad=True),
        "an array leaf": Tensor(np.ones(3, np.float32)),
        "a lifted constant": (x + 1.5)._parents[1],
        "a recorded op": x * x,
        "an op of constants": Tensor([1.0]) * 2.0,
        "an op under no_grad": unrecorded,
        "a detached tensor": (x * 3).detach(),
        "a copy": copy.deepcopy(x * 3),
        "Tensor.apply": Tensor.apply(ag.PRIMITIVES["exp"], np.zeros(2)),
    }


@pytest.mark.parametrize("how", list(_every_way_to_make_a_tensor()))
def test_every_slot_is_set_however_the_tensor_was_made(how):
    t = _every_way_to_make_a_tensor()[how]
    for name in Tensor.__slots__:
        getattr(t, name)  # raises AttributeError for a slot left unset
    assert t._epoch >= 0  # not spent (graph_state.SPENT) by a backward
    assert t.is_leaf == (t._prim is None) and (t._parents == ()) == (t._prim is None)


def test_a_recorded_op_keeps_its_recipe_and_a_constant_does_not():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    assert (y.requires_grad, y.op, y.parents[0] is x) == (True, "mul", True)
    with ag.no_grad():
        z = x * 2.0
    assert (z.requires_grad, z.op, z.parents, z.params) == (False, None, (), {})


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_scalar_leafs_gradient_is_a_fresh_array_of_its_dtype_and_accumulates(dtype):
    a = Tensor(np.array(1.5, dtype), requires_grad=True)
    b = Tensor(np.array(-2.0, dtype), requires_grad=True)
    (a * b).backward()
    assert type(a.grad) is np.ndarray and a.grad.shape == () and a.grad.dtype == dtype
    assert (a.grad, b.grad) == (-2.0, 1.5)
    first = a.grad
    (a * b).backward()  # a second backward adds into the same array, as accumulate_grad does
    assert a.grad is first and a.grad == -4.0 and b.grad == 3.0


def test_an_input_used_twice_by_one_op_gets_both_parts():
    # add hands the same gradient object to both inputs: the engine must still add the two parts
    x = Tensor(3.0, requires_grad=True)
    (x + x).backward()
    v = Tensor([1.0, 2.0], requires_grad=True)
    (v + v + v).sum().backward()
    assert x.grad == 2.0 and v.grad.tolist() == [3.0, 3.0]
