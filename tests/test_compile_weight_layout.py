"""ag.compile hands a transposed weight's gradient (x @ W.T, nn.Linear) over as eager backward does:
computed in W's own layout, a new array each call, kept as .grad without a copy."""

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core import Tensor


def _kept_arrays(step):
    """Every array the adopted plan keeps between calls (its buffers and baked constants)."""
    plans = [entry.plan for entry in step._entries.values() if entry.plan is not None]
    assert plans, "no plan adopted yet"
    return [v for plan in plans for v in plan.namespace.values() if isinstance(v, np.ndarray)]


def _eager_grads(model, X, y):
    for p in model.parameters():
        p.grad = None
    loss = F.cross_entropy(model(Tensor(X)), y)
    loss.backward()
    return loss.data, [p.grad.copy() for p in model.parameters()]


@pytest.mark.parametrize("layout", ["as built (column-major)", "row-major"])
def test_a_linear_weight_grad_is_fresh_in_the_weights_layout_and_equals_define_by_run_bit_for_bit(layout):
    model = nn.MLP([12, 9, 4], seed=0)
    if layout == "row-major":  # e.g. loaded from a C-ordered state dict: x @ W.T then multiplies by a transposed view
        for p in model.parameters():
            p.data = np.ascontiguousarray(p.data)
    step = ag.compile(lambda X, y: F.cross_entropy(model(X), y), strict=True)
    rng = np.random.default_rng(0)
    earlier = []
    for _ in range(4):
        X, y = rng.standard_normal((7, 12)), rng.integers(0, 4, 7)
        want_loss, want = _eager_grads(model, X, y)
        for p in model.parameters():
            p.grad = None
        loss = step(Tensor(X), y)
        np.testing.assert_array_equal(loss.data, want_loss)
        for p, w in zip(model.parameters(), want):
            np.testing.assert_array_equal(p.grad, w)  # bit for bit: the same numpy calls as the engine
        weights = [p for p in model.parameters() if p.ndim == 2]
        for w in weights if step.replay_count else []:
            assert w.grad.flags.c_contiguous == w.data.flags.c_contiguous, "a weight's gradient in its own layout"
            assert w.grad.flags.f_contiguous == w.data.flags.f_contiguous
            assert not any(np.shares_memory(w.grad, kept) for kept in _kept_arrays(step))
            assert not any(np.shares_memory(w.grad, old) for old in earlier)  # a new array each call
        earlier += [w.grad for w in weights]
    # nor does the plan keep a buffer for them to be copied out of (the copy was ~18% of a large step)
    kept_shapes = {kept.shape for kept in _kept_arrays(step)}
    assert not kept_shapes & {s for w in weights for s in (w.shape, w.shape[::-1])}
    assert step.replay_count == 2  # calls 3 and 4 ran the plan


def test_a_transposed_weight_used_twice_still_gets_the_sum_of_both_uses():
    # not handed to the leaf as it is (two contributions): its vjp writes a buffer of the transpose's shape
    w = Tensor(np.random.default_rng(1).standard_normal((3, 5)), requires_grad=True)
    step = ag.compile(lambda x: ((x @ w.T) * (x @ w.T)).sum(), strict=True)
    x = np.random.default_rng(2).standard_normal((4, 5))
    for _ in range(4):
        w.grad = None
        step(Tensor(x))
        got = w.grad.copy()
        if step.replay_count:
            assert not any(np.shares_memory(w.grad, kept) for kept in _kept_arrays(step))
        w.grad = None
        ((Tensor(x) @ w.T) * (Tensor(x) @ w.T)).sum().backward()
        np.testing.assert_allclose(got, w.grad, rtol=1e-12)
        np.testing.assert_allclose(got, 2 * ((x @ w.data.T)[:, :, None] * x[:, None, :]).sum(0), rtol=1e-12)
    assert step.replay_count == 2
