"""The public graph API that nn, viz and ag.compile read: t.prim, t.parents, t.params, t.version, ag.sum_to."""

import pathlib
import re

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.primitives import Exp, Sum


def test_prim_parents_and_params_describe_the_recorded_op():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    y = x.exp()
    s = y.sum(axis=1, keepdims=True)
    assert x.prim is None and x.parents == () and dict(x.params) == {}
    assert y.prim is Exp and y.parents == (x,) and ag.PRIMITIVES[y.op] is y.prim
    assert s.prim is Sum and s.parents[0] is y and dict(s.params) == {"axes": (1,), "keepdims": True}
    assert s.op_params == {"axes": (1,), "keepdims": True}  # the older spelling, a copy


def test_params_are_read_only():
    s = Tensor([1.0, 2.0], requires_grad=True).sum()
    with pytest.raises(TypeError):
        s.params["axes"] = (5,)
    with pytest.raises(AttributeError):
        s.prim = Exp
    assert dict(s.params) == {"axes": (0,), "keepdims": False}


def test_version_changes_with_every_in_place_change_and_only_then():
    w = Tensor([1.0, 2.0])
    first = w.version
    _ = w * 2  # reading or using the values is no change
    assert w.version == first
    w += 1
    second = w.version
    w.data = w.data * 3
    assert first != second != w.version
    with ag.no_grad():
        w -= 1
    assert w.version not in (first, second)


def test_sum_to_is_public_and_differentiable():
    g = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(ag.sum_to(g, (3, 1)), g.sum(axis=0).sum(axis=1, keepdims=True))
    np.testing.assert_array_equal(ag.sum_to(g, (2, 3, 4)), g)
    np.testing.assert_array_equal(ag.sum_to(g, ()), g.sum())
    t = Tensor(g, requires_grad=True)
    ag.sum_to(t * t, (1, 4)).sum().backward()  # on Tensors it records ops: the gradient is 2t
    np.testing.assert_array_equal(t.grad, 2 * g)


def test_viz_reads_the_public_sum_to():
    import viz.gradients

    assert not hasattr(viz.gradients, "unbroadcast")  # one sum_to, in the engine
    b = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = Tensor(np.ones((4, 3))) + b
    np.testing.assert_array_equal(viz.gradients.edge_vjp(y, 1, np.ones((4, 3))), [4.0, 4.0, 4.0])


def test_compile_files_read_no_private_tensor_fields():
    root = pathlib.Path(ag.__file__).parent
    private = re.compile(r"\._data|\._prim|\._parents|\._params|\._version|\._epoch|\._seq|\._detached_at")
    for name in ("compile.py", "tape.py", "replay.py"):
        hits = [line for line in (root / name).read_text().splitlines() if private.search(line)]
        assert hits == [], f"{name} reads private Tensor fields: {hits}"
