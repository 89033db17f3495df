"""ag.compile's guards: values pinned between the two traces are checked on every replay, a
value-dependent function falls back with its reason, and check mode compares both paths."""

import re
import warnings

import numpy as np
import pytest
from compile_helpers import assert_same

import autograd_core as ag
from autograd_core import CompileError, CompileWarning, Tensor


def test_values_unchanged_between_the_two_traces_are_pinned_then_checked():
    """labels stay the same for three calls, so a one-hot built from them inside fn looks constant;
    when they change, fn is traced again and the changed constant is caught."""
    w = Tensor(np.random.default_rng(7).standard_normal((4, 3)), requires_grad=True)

    def fn(X, labels):
        return -((X @ w).log_softmax() * np.eye(3)[labels]).sum()

    step = ag.compile(fn)
    X = Tensor(np.random.default_rng(8).standard_normal((5, 4)))
    labels = np.array([0, 1, 2, 1, 0])
    warned = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for k in range(4):
            if k == 3:
                labels = np.array([2, 2, 0, 1, 1])
            w.grad = None
            step(X, labels)
            warned.append(sum(c.category is CompileWarning for c in caught))
            got, w.grad = w.grad, None
            fn(X, labels).backward()
            assert_same(got, w.grad)
            w.data = w.data - 0.1 * got
    assert warned == [0, 0, 0, 1]  # caught when the labels change, not before
    assert re.search(r"constant of shape \(5, 3\) \(used by mul\) changed", step.fallback_reason)
    assert step.replay_count == 1 and step.trace_count == 3


def test_a_pinned_array_passed_again_as_a_new_array_with_the_same_bytes_is_replayed():
    """Full-batch training slices the same rows afresh every step: equal bytes in a new array keep the
    plan (a constant computed from them is unchanged); other bytes, even -0.0 for 0.0, trace again."""
    w = Tensor(np.random.default_rng(7).standard_normal((4, 3)), requires_grad=True)

    def fn(X, labels):
        return -((X @ w).log_softmax() * np.eye(3)[labels]).sum()

    step = ag.compile(fn)
    X, labels = np.random.default_rng(8).standard_normal((5, 4)), np.array([0, 1, 2, 1, 0])
    X[0, 0] = 0.0
    for _ in range(5):  # new arrays, the same bytes, every call
        step(Tensor(X.copy()), labels.copy())
    assert (step.trace_count, step.replay_count) == (2, 3)
    negative_zero = X.copy()
    negative_zero[0, 0] = -0.0
    step(Tensor(negative_zero), labels.copy())
    assert step.trace_count == 3
    w.grad = None
    with pytest.warns(CompileWarning, match="changed"):  # other labels: traced, the changed one-hot caught
        step(Tensor(X), np.array([2, 2, 0, 1, 1]))
    got, w.grad = w.grad, None
    fn(Tensor(X), np.array([2, 2, 0, 1, 1])).backward()
    assert_same(got, w.grad)


@pytest.mark.parametrize(
    "make_fn, message",
    [
        (
            lambda w: lambda X: ag.where(X.data @ w.data > 0, X @ w, 0.1 * (X @ w)).sum(),
            "array in op params of shape .* changed between two calls",
        ),
        (
            lambda w: lambda X: ((X @ w) * (np.random.default_rng().random((5, 3)) < 0.5)).sum(),  # dropout mask
            "changed between two calls",
        ),
        (
            lambda w: lambda X: (X @ w).sum() if (X @ w).sum().item() > 0 else (X @ w).exp().sum(),
            "recorded graph differs",
        ),
    ],
)
def test_value_dependent_functions_fall_back_with_the_reason(make_fn, message):
    rng = np.random.default_rng(9)
    w = Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    fn = make_fn(w)
    step = ag.compile(fn)
    signs = [1.0, -1.0, 1.0, -1.0]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for sign in signs:
            X = Tensor(sign * np.abs(rng.standard_normal((5, 4))))
            w.grad = None
            step(X)
            w.data = w.data + 0.01
    assert [str(c.message) for c in caught if c.category is CompileWarning] == [
        f"compile({fn.__qualname__}) runs define-by-run: {step.fallback_reason}"
    ]  # once
    assert re.search(message, step.fallback_reason) and step.replay_count == 0
    with pytest.raises(CompileError, match=message):
        strict = ag.compile(fn, strict=True)
        for sign in signs:
            strict(Tensor(sign * np.abs(rng.standard_normal((5, 4)))))


def test_check_mode_compares_both_paths_and_retrace_picks_up_changes():
    w = Tensor([[1.0], [-2.0]], requires_grad=True)
    scale = {"value": 2.0}  # read from outside fn: frozen at trace time
    step = ag.compile(lambda X: (X @ w).tanh().sum() * scale["value"], check=True)
    X = Tensor([[0.5, 0.25], [1.0, -1.0]])
    for _ in range(4):
        w.grad = None
        step(X)
        w.data = w.data * 0.5
    assert step.replay_count == 0 and step.trace_count == 2  # check mode: plans run side by side
    scale["value"] = 3.0
    with pytest.raises(CompileError, match="differs from define-by-run on the loss"):
        step(X)
    step.retrace()
    w.grad = None
    step(X)
    expected = Tensor(w.data, requires_grad=True)
    ((X @ expected).tanh().sum() * 3.0).backward()
    assert_same(w.grad, expected.grad)
