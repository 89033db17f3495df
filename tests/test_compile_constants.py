"""ag.compile compares the constants of two traces by their bytes, as it compares pinned values."""

import warnings

import numpy as np

import autograd_core as ag
from autograd_core import CompileWarning, Tensor
from autograd_core.tape import fingerprint


def test_a_constant_that_changes_only_the_sign_of_a_zero_is_caught():
    """A replay that baked 0.0 where a later call makes -0.0 would return a loss and gradients of the
    wrong sign; the bytes differ, so the second trace falls back and every call keeps define-by-run's sign."""
    w = Tensor([[1.0], [2.0]], requires_grad=True)
    state = {"zero": 0.0}

    def fn(X):
        return (X @ w).sum() * Tensor(state["zero"])  # a constant made from state outside fn

    step, X = ag.compile(fn), Tensor([[1.0, 1.0]])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for zero in (0.0, -0.0, 0.0, -0.0):
            state["zero"], w.grad = zero, None
            loss, grad, w.grad = step(X), w.grad, None
            want = fn(X)
            want.backward()
            assert np.signbit(loss.data) == np.signbit(want.data) == np.signbit(zero)
            assert grad.tobytes() == w.grad.tobytes()
    assert [str(c.message) for c in caught if c.category is CompileWarning] == [
        f"compile({fn.__qualname__}) runs define-by-run: {step.fallback_reason}"
    ]
    assert "changed between two calls" in step.fallback_reason and step.replay_count == 0


def test_fingerprints_tell_shapes_dtypes_and_bytes_apart():
    base = fingerprint(np.array(5.0))
    assert base == fingerprint(np.array(5.0)) == fingerprint(np.full((2, 2), 5.0)[0, 0:1].reshape(()))
    assert base != fingerprint(np.array([5.0]))  # a 0-d array is not its one-element 1-d copy
    assert base != fingerprint(np.array(5.0, dtype=np.float32))
    assert fingerprint(np.array(0.0)) != fingerprint(np.array(-0.0))
    column = np.arange(6.0).reshape(2, 3)[:, 1]  # a strided view: its values, not its memory
    assert fingerprint(column) == fingerprint(np.array([1.0, 4.0]))


def test_a_parameter_whose_update_is_zero_keeps_the_plan_and_a_real_change_still_retraces():
    """A parameter unchanged between the two traces is pinned; a step by a zero gradient writes it in place (its
    version moves) without changing a value: the plan is kept (it retraced every call before), while the same
    parameter changed by a real update makes the next call trace again."""
    W = Tensor(np.random.default_rng(0).normal(size=(3, 2)), requires_grad=True)
    V = Tensor(np.ones((3, 2)), requires_grad=True)  # its gradient is all zeros
    step = ag.compile(lambda X: (X @ W).sum() + (X @ V * 0.0).sum())
    X = Tensor(np.ones((4, 3)))
    for _ in range(6):
        W.grad = V.grad = None
        step(X)
        for p in (W, V):
            p.data -= 0.1 * p.grad  # V's values stay, its version moves
    assert (step.trace_count, step.replay_count) == (2, 4)
    V.data += 1.0  # a real change of a pinned tensor: traced again, and the gradients still right
    W.grad = V.grad = None
    step(X)
    assert step.trace_count == 3 and np.array_equal(W.grad, np.full((3, 2), 4.0))
