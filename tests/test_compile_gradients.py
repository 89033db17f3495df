"""ag.compile: a replayed step must leave exactly the gradients that define-by-run leaves.

The oracle is always the engine itself (compile_helpers.py): MLP training steps, integer-label
arguments, every primitive case, shared paths, and a gradient penalty built inside the function.
"""

import warnings

import numpy as np
import pytest
from compile_helpers import assert_same, batch, label_loss, mlp_params, one_hot_loss, sgd
from primitive_cases import CASES

import autograd_core as ag
from autograd_core import CompileWarning, Tensor

# value-dependent by design: where(x.data > 0, ...) freezes a mask computed from values
VALUE_DEPENDENT_CASES = {"leaky_relu_by_where"}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_mlp_training_steps_match_define_by_run(dtype):
    ours, theirs = mlp_params(dtype), mlp_params(dtype)
    step = ag.compile(lambda X, Y: one_hot_loss(ours, X, Y), strict=True)
    rng = np.random.default_rng(1)
    for _ in range(6):
        X, Y, _ = batch(rng, dtype)
        loss = step(Tensor(X), Tensor(Y))
        reference = one_hot_loss(theirs, Tensor(X), Tensor(Y))
        reference.backward()
        assert_same(loss.data, reference.data)
        for p, q in zip(ours, theirs):
            assert_same(p.grad, q.grad)
        sgd(ours)
        sgd(theirs)
    assert (step.trace_count, step.replay_count) == (2, 4)
    assert loss.op is None and not loss.requires_grad  # the returned loss has no graph


def test_integer_label_arguments_with_repeats_are_read_each_call():
    ours, theirs = mlp_params(np.float64), mlp_params(np.float64)
    step = ag.compile(lambda X, labels: label_loss(ours, X, labels), strict=True)
    rng = np.random.default_rng(2)
    for k in range(5):
        X, _, labels = batch(rng, np.float64)
        labels[:3] = k % 3  # repeated indices: their gradients add up
        step(Tensor(X), labels)
        label_loss(theirs, Tensor(X), labels).backward()
        for p, q in zip(ours, theirs):
            assert_same(p.grad, q.grad)
        sgd(ours)
        sgd(theirs)
    assert step.replay_count == 3


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_every_primitive_case_replays_like_define_by_run(case, dtype):
    """float32 inputs meet float64 weights: their gradients are cast back, as the engine does."""
    leaves = case.inputs(dtype)
    weights = np.random.default_rng(0).standard_normal(np.shape(case.fn(*leaves)))

    def fn():
        return (case.fn(*leaves) * weights).sum()  # non-uniform: a vjp ignoring g would show

    compiled = ag.compile(fn, strict=case.id not in VALUE_DEPENDENT_CASES)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CompileWarning)
        for call in range(4):
            for t in leaves:
                t.grad = None
            loss = compiled()
            got = [t.grad for t in leaves]
            for t in leaves:
                t.grad = None
            reference = fn()
            reference.backward()
            assert_same(loss.data, reference.data)
            for g, t in zip(got, leaves):
                assert_same(g, t.grad)
            for t, values in zip(leaves, case.make(np.random.default_rng(call + 1), case.shapes)):
                t.data = np.asarray(values, dtype=t.dtype)
    if case.id in VALUE_DEPENDENT_CASES:
        assert "changed between two calls" in compiled.fallback_reason
    else:
        assert compiled.replay_count == 2


def test_three_paths_into_one_tensor_and_a_leaf_used_twice():
    x = Tensor([0.5, -1.0, 2.0], requires_grad=True)

    def fn():
        return (x * x * x + x.exp() * x - x).sum()

    step = ag.compile(fn, strict=True)
    for k in range(4):
        step()
        got, x.grad = x.grad, None
        fn().backward()
        assert_same(got, x.grad)
        x.grad = None
        x.data = x.data + 0.25 * (k + 1)
    assert step.replay_count == 2


def test_gradient_penalty_with_create_graph_inside_fn_replays_exactly():
    w = Tensor([[0.3, -0.2], [0.1, 0.4]], requires_grad=True)
    x = Tensor([[1.0, 2.0], [-1.0, 0.5]], requires_grad=True)

    def fn():
        y = (x @ w).tanh().sum()
        (dx,) = ag.grad(y, x, create_graph=True)
        return y + (dx * dx).sum()

    step = ag.compile(fn, strict=True)
    for _ in range(4):
        step()
        got = [w.grad, x.grad]
        w.grad = x.grad = None
        fn().backward()
        assert_same(got[0], w.grad)
        assert_same(got[1], x.grad)
        w.grad = x.grad = None
        w.data = w.data * 0.9 + 0.05
    assert step.replay_count == 2
