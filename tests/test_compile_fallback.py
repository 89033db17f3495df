"""ag.compile falls back to define-by-run, with a warning that says why: under no_grad or anomaly
mode, for unsupported features, and when a replay or the plan's generation fails."""

import sys

import numpy as np
import pytest
from compile_helpers import assert_same

import autograd_core as ag
from autograd_core import CompileError, CompileWarning, Tensor


def test_no_grad_and_anomaly_mode_run_define_by_run():
    w = Tensor([1.0, 2.0], requires_grad=True)
    step = ag.compile(lambda: (w * w).sum())
    with (
        ag.no_grad(),
        pytest.raises(RuntimeError, match=r"compile\(.*<lambda>\): called under no_grad\(\).*call fn itself"),
    ):
        step()
    with ag.no_grad():  # fn that turns recording back on is differentiated as define-by-run would
        ag.compile(lambda: _recorded(w))()
    np.testing.assert_array_equal(w.grad, [2.0, 4.0])
    w.grad = None
    with ag.detect_anomaly():
        step()
    assert (step.trace_count, step.replay_count) == (0, 0)
    np.testing.assert_array_equal(w.grad, [2.0, 4.0])


def _recorded(w):
    with ag.enable_grad():
        return (w * w).sum()


def test_unsupported_features_fall_back_or_raise_with_a_message():
    w = Tensor([[1.0, -1.0], [0.5, 2.0]], requires_grad=True)
    cases = [
        (lambda X, mask: (X @ w)[mask].sum(), "boolean mask argument 1"),
        (lambda X, mask: (X @ w).retain_grad().sum(), "retain_grad"),
        (lambda X, mask: _update_inside(w, X), "changed tensor values in place"),
    ]
    X, mask = Tensor([[1.0, 2.0], [3.0, 4.0]]), np.array([[True, False], [True, True]])
    for fn, message in cases:
        w.grad = None
        with pytest.warns(CompileWarning, match=message):
            ag.compile(fn)(X, mask)
        assert w.grad is not None  # the call itself ran define-by-run
        with pytest.raises(CompileError, match=message):
            ag.compile(fn, strict=True)(X, mask)
    h = w * 2  # a graph built outside fn, passed in
    with pytest.warns(CompileWarning, match="argument 0 requires grad but is the output of 'mul'"):
        ag.compile(lambda t: t.sum())(h)


def _update_inside(w, X):
    w.data = w.data * 1.0  # before w is used: define-by-run is fine with it, a replay would skip it
    return (X @ w).sum()


def test_a_replay_that_raises_where_define_by_run_does_not_is_dropped_with_a_warning():
    w = Tensor([1.0, -2.0], requires_grad=True)
    step = ag.compile(lambda x: (x * w).exp().sum())
    x = Tensor([0.5, 0.25])
    for _ in range(3):
        step(x)
        w.data = w.data * 0.5
    assert step.replay_count == 1

    def broken(args, trial=False):  # the generated run()'s signature
        raise ValueError("boom")

    step._last.plan.run = broken  # stands for a bug in generated code
    w.grad = None
    with pytest.warns(CompileWarning, match=r"replay raised where define-by-run did not: ValueError: boom \(a bug"):
        step(x)
    expected = Tensor(w.data, requires_grad=True)
    (x * expected).exp().sum().backward()
    assert_same(w.grad, expected.grad)
    assert "2 traces, 1 replays, define-by-run: the replay raised" in repr(step) and step.source is None


def test_a_bug_while_generating_the_plan_means_define_by_run(monkeypatch):
    def broken(*args):
        raise KeyError("boom")

    monkeypatch.setattr(sys.modules["autograd_core.replay"].Plan, "_backward", broken)
    w = Tensor([1.0, -2.0], requires_grad=True)
    step = ag.compile(lambda: (w * w).sum())
    step()
    w.data = w.data + 1
    with pytest.warns(CompileWarning, match=r"KeyError: 'boom' \(a bug in compile"):
        step()
    w.data = w.data + 1
    np.testing.assert_array_equal(w.grad, 2 * (w.data - 2) + 2 * (w.data - 1))
    assert all(e.reference is None and e.plan is None for e in step._entries.values())  # no graph kept


def test_a_tensor_with_a_graph_made_outside_fn_and_read_by_it_is_named():
    """Not passed in but read from outside: the second trace finds its node alive in both tapes and says so,
    before the engine's 'backward through ... a second time' at the call after."""
    w = Tensor([1.0, 2.0], requires_grad=True)
    h = (w * 2).exp()
    step = ag.compile(lambda x: (h * x).sum(), strict=True)
    step(Tensor([1.0, 3.0]))
    with pytest.raises(CompileError, match=r"fn uses a tensor computed outside it, with its graph; compute it inside"):
        step(Tensor([1.0, 3.0]))


def test_a_structure_change_that_changes_the_graph_starts_the_traces_afresh():
    """After ag.structure_changed(), a tape that disagrees with the reference is the first of two new traces,
    not a reason to give up (a layer replaced, say)."""
    w = Tensor([1.0, -2.0], requires_grad=True)
    settings = {"act": ag.Tensor.tanh}
    step = ag.compile(lambda x: settings["act"](x * w).sum(), strict=True)
    x = Tensor([0.5, 0.25])
    for _ in range(3):
        step(x)
    settings["act"] = ag.Tensor.sigmoid
    ag.structure_changed()
    w.grad = None
    for _ in range(3):
        step(x)
    assert (step.trace_count, step.replay_count) == (4, 2)
    expected = Tensor(w.data, requires_grad=True)
    (x * expected).sigmoid().sum().backward()
    np.testing.assert_allclose(w.grad, 3 * expected.grad, rtol=1e-15)
