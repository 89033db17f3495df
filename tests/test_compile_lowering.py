"""ag.compile's lowerings: a primitive's declared numpy spelling is used only if it matches the
primitive; a primitive without one (or one that changed) is replayed through its own forward and vjp."""

import re
import sys

import numpy as np
import pytest
from compile_helpers import assert_same, batch, label_loss, mlp_params

import autograd_core as ag
from autograd_core import Tensor


def test_a_primitive_changed_in_the_engine_is_replayed_through_its_own_code(monkeypatch):
    """The lowered spellings are checked against the primitives on NaN, +-0 and +-inf: a relu whose
    forward no longer matches np.maximum(x, 0) there is called, not assumed."""
    lowering = sys.modules["autograd_core.primitives.lowering"]
    relu = ag.PRIMITIVES["relu"]
    monkeypatch.setattr(relu, "forward", staticmethod(lambda x: x * (x > 0)))  # -inf -> nan, -1 -> -0.0
    lowering.faithful.cache_clear()
    try:
        w = Tensor([[1.0, -1.0], [0.5, 2.0]], requires_grad=True)

        def fn():
            return (Tensor([[1.0, 2.0], [-3.0, 1.0]]) @ w).relu().sum()

        step = ag.compile(fn, strict=True)
        for _ in range(3):
            w.grad = None
            step()
            got, w.grad = w.grad, None
            fn().backward()
            assert_same(got, w.grad)
            w.data = w.data + 0.5
        assert "maximum(" not in step.source and step.replay_count == 1
    finally:
        monkeypatch.undo()
        lowering.faithful.cache_clear()


def test_a_primitive_without_a_lowering_is_replayed_through_its_own_forward_and_vjp():
    """Adding a primitive never means editing compile: without forward_code / vjp_code the plan calls
    the primitive's own forward and vjp, and its gradients still match define-by-run."""
    calls = {"forward": 0, "vjp": 0}

    class Cube(ag.Primitive):
        name = "test_cube"

        @staticmethod
        def forward(x):
            calls["forward"] += 1
            return x * x * x

        @staticmethod
        def vjp(i, g, out, x):
            calls["vjp"] += 1
            return g * 3 * x * x

    try:
        w = Tensor([[1.0, -0.5], [0.25, 2.0]], requires_grad=True)

        def fn(X):
            return Tensor.apply(Cube, X @ w).sum()

        step = ag.compile(fn, strict=True)
        rng = np.random.default_rng(11)
        for k in range(4):
            X = Tensor(rng.standard_normal((3, 2)))
            before = dict(calls)
            w.grad = None
            loss = step(X)
            got, w.grad = w.grad, None
            if k >= 2:  # a replay: one call of each, from the generated code
                assert (calls["forward"] - before["forward"], calls["vjp"] - before["vjp"]) == (1, 1)
            reference = fn(X)
            reference.backward()
            assert_same(loss.data, reference.data)
            assert_same(got, w.grad)
            w.data = w.data * 0.9
        assert step.replay_count == 2 and "matmul(" in step.source
    finally:
        del ag.PRIMITIVES["test_cube"]


@pytest.mark.parametrize("forward_code,used", [("square({x0}{into})", True), ("add({x0}, {x0}{into})", False)])
def test_a_lowering_declared_on_a_new_primitive_is_used_only_if_it_matches_the_primitive(forward_code, used):
    class Square(ag.Primitive):
        name = "test_square"

        @staticmethod
        def forward(x):
            return x * x

        @staticmethod
        def vjp(i, g, out, x):
            return g * 2 * x

    Square.forward_code = forward_code
    Square.vjp_code = ("multiply(multiply({g}, 2), {x0}{into})",)
    try:
        w = Tensor([1.0, -3.0], requires_grad=True)
        step = ag.compile(lambda: Tensor.apply(Square, w * 0.5).sum(), strict=True)
        for _ in range(3):
            w.grad = None
            step()
            np.testing.assert_array_equal(w.grad, 2 * (w.data * 0.5) * 0.5)
            w.data = w.data + 1.0
        assert step.replay_count == 1
        assert (forward_code.split("(")[0] + "(" in step.source) == used
        assert "multiply(multiply(" in step.source  # the vjp's lowering holds, whatever the forward's
    finally:
        del ag.PRIMITIVES["test_square"]


def test_the_label_gather_and_its_scatter_are_lowered_not_called():
    """x[rows, labels] and its vjp (zeros, then g assigned: the rows are a constant arange) are numpy
    calls in the plan, and the scatter, whose params read an argument, is never baked as a constant."""
    params = mlp_params(np.float64)
    step = ag.compile(lambda X, labels: label_loss(params, X, labels), strict=True)
    rng = np.random.default_rng(3)
    for _ in range(3):
        X, _, labels = batch(rng, np.float64)
        step(Tensor(X), labels)
    assert step.replay_count == 1
    gathers = [line for line in step.source.splitlines() if ", a1, )" in line]
    assert len(gathers) == 2 and re.match(r"\s*buf\d+\[.*\] = ", gathers[1]), gathers  # forward's x[...], vjp's
    assert not any(re.search(r"K\d+\(", line) for line in gathers), gathers  # no primitive's function called


def test_a_scatter_assigns_only_where_its_constant_index_rules_out_repeats_in_every_call():
    """x[rows, cols]'s vjp assigns g when a constant index part has distinct values (then no element
    is selected twice whatever the argument's part holds), else adds: an argument's index that was
    distinct when traced may repeat later."""
    w = Tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    fns = {
        "rows constant": lambda idx: (w[np.arange(3), idx] * np.array([1.0, 2.0, 3.0])).sum(),
        "rows argument": lambda idx: (w[idx, np.array([0, 0, 0])] * np.array([1.0, 2.0, 3.0])).sum(),
        "one argument": lambda idx: (w[idx] * np.arange(12.0).reshape(3, 4)).sum(),
    }
    for name, fn in fns.items():
        step = ag.compile(fn, strict=True)
        for idx in ([2, 0, 1], [1, 2, 0], [1, 1, 1], [0, 2, 2]):  # traced distinct, then repeats
            w.grad = None
            step(np.array(idx))
            got = w.grad
            w.grad = None
            fn(np.array(idx)).backward()
            assert_same(got, w.grad)
        assert step.replay_count == 2, name
        assert ("add.at(" in step.source) == (name != "rows constant"), (name, step.source)


def test_a_gradient_passed_on_as_it_is_gets_no_variable_of_its_own():
    """add's vjp is g itself: the plan hands on g's variable (no `t5 = t4` line), and a leaf that gets
    it, whose array is shared, still receives a copy that later calls do not overwrite."""
    params = mlp_params(np.float64)
    step = ag.compile(lambda X, labels: label_loss(params, X, labels), strict=True)
    rng = np.random.default_rng(4)
    for _ in range(3):
        X, _, labels = batch(rng, np.float64)
        for p in params:
            p.grad = None
        step(Tensor(X), labels)
    assert step.replay_count == 1
    assert not [line for line in step.source.splitlines() if re.fullmatch(r"\s*t\d+ = t\d+", line)], step.source
    got = [p.grad.copy() for p in params]
    step(Tensor(X), labels)  # accumulates onto the first call's arrays: they were not the plan's buffers
    assert all(np.array_equal(2 * g, p.grad) for g, p in zip(got, params))
