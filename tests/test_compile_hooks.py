"""ag.compile and tensor hooks: a replay runs numpy calls, not hooks, so a step whose tensors have hooks
(``register_hook``, ``register_post_accumulate_grad_hook``) runs define-by-run, saying why, and every hook runs
on every call. Registering or removing a hook is a structure change: a plan adopted before a hook was added
is checked by a fresh trace at the next call, so the hook is never skipped silently."""

import warnings

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor


def _step_and_weight():
    W = Tensor(np.arange(4.0).reshape(2, 2), requires_grad=True)
    return W, ag.compile(lambda X: ((X @ W).tanh() ** 2).sum())


def _batch(k):
    return Tensor(np.random.default_rng(k).standard_normal((3, 2)))


def _eager_grad(W, X):
    twin = Tensor(W.data.copy(), requires_grad=True)
    ((X @ twin).tanh() ** 2).sum().backward()
    return twin.grad


def test_a_hooked_parameter_runs_define_by_run_and_its_hook_every_call():
    W, step = _step_and_weight()
    seen = []
    W.register_hook(lambda g: seen.append(g.shape))
    hint = r"has a hook \(register_hook.*handle.remove\(\)\): the next call traces again"
    with pytest.warns(ag.CompileWarning, match=hint):
        for k in range(4):
            W.grad = None
            step(_batch(k))
            np.testing.assert_array_equal(W.grad, _eager_grad(W, _batch(k)))
    assert seen == [(2, 2)] * 4 and step.replay_count == 0


def test_a_post_accumulate_hook_updating_the_parameter_runs_every_call():
    # the optimizer-in-backward pattern: skipped by a replay, the parameter would silently stop training
    W, step = _step_and_weight()

    def sgd_step(p):
        p.data -= 0.1 * p.grad

    W.register_post_accumulate_grad_hook(sgd_step)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ag.CompileWarning)
        for k in range(4):
            before = W.data.copy()
            want = _eager_grad(W, _batch(k))
            W.grad = None
            step(_batch(k))
            np.testing.assert_allclose(W.data, before - 0.1 * want, rtol=1e-12)


def test_a_hook_registered_after_the_plan_was_adopted_is_not_skipped():
    W, step = _step_and_weight()
    for k in range(3):
        step(_batch(k))
    assert step.replay_count == 1
    seen = []
    handle = W.register_hook(lambda g: seen.append(1))
    with pytest.warns(ag.CompileWarning, match="has a hook"):
        step(_batch(3))
    step(_batch(4))
    assert seen == [1, 1] and step.replay_count == 1
    handle.remove()  # a structure change: the step that fell back traces again, no retrace() needed
    for k in range(3):
        W.grad = None
        step(_batch(k))
        np.testing.assert_allclose(W.grad, _eager_grad(W, _batch(k)), rtol=1e-12)
    assert step.replay_count == 2 and seen == [1, 1]


def test_a_hook_inside_fn_and_strict_mode():
    W = Tensor(np.ones((2, 2)), requires_grad=True)
    seen = []

    def fn(X):
        h = X @ W
        h.register_hook(lambda g: seen.append(1))
        return h.sum()

    step = ag.compile(fn)
    with pytest.warns(ag.CompileWarning, match="has a hook"):
        for k in range(3):
            step(_batch(k))
    assert seen == [1, 1, 1]
    with pytest.raises(ag.CompileError, match="has a hook"):
        ag.compile(fn, strict=True)(_batch(0))
