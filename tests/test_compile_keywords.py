"""ag.compile with keyword arguments, as jax.jit / torch.compile users call a step: ``step(X, Y=Y)``,
``f(x, training=True)``. Tensors by keyword are traced inputs (read afresh each call); Python values by
keyword are part of the signature (a new value traces again); a bad keyword raises fn's own error."""

import numpy as np
import pytest
from compile_helpers import assert_same, batch, mlp_params, one_hot_loss, sgd

import autograd_core as ag
from autograd_core import Tensor


def test_tensors_passed_by_keyword_are_read_afresh_and_replayed_in_any_order():
    params, twins = mlp_params(np.float64), mlp_params(np.float64)
    step = ag.compile(lambda X, Y: one_hot_loss(params, X, Y), strict=True)
    rng = np.random.default_rng(7)
    for k in range(5):
        X, Y, _ = batch(rng, np.float64)
        # the keywords' order differs between calls: the same signature, the same plan
        loss = step(X=Tensor(X), Y=Tensor(Y)) if k % 2 else step(Y=Tensor(Y), X=Tensor(X))
        expected = one_hot_loss(twins, Tensor(X), Tensor(Y))
        expected.backward()
        assert_same(loss.data, expected.data)
        for p, t in zip(params, twins):
            assert_same(p.grad, t.grad)
        sgd(params)
        sgd(twins)
    assert (step.trace_count, step.replay_count) == (2, 3)


def test_positional_and_keyword_tensors_mix_and_a_keyword_array_gets_no_gradient():
    w = Tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True)
    step = ag.compile(lambda X, *, Y: ((X @ w - Y) ** 2).sum(), strict=True)
    rng = np.random.default_rng(1)
    for _ in range(4):
        X, Y = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
        w.grad = None
        step(Tensor(X), Y=Y)  # a numpy array by keyword, as a positional one: read each call
        np.testing.assert_allclose(w.grad, 2 * X.T @ (X @ w.data - Y))
    assert step.replay_count == 2


def test_static_keyword_values_are_part_of_the_signature():
    w = Tensor([1.0, -2.0], requires_grad=True)

    def fn(x, training=False, scale=1.0):
        return ((x * w).relu() if training else x * w * scale).sum()

    step = ag.compile(fn, strict=True)
    x = Tensor([3.0, 4.0])
    for training, scale in [(True, 1.0)] * 3 + [(False, 2.0)] * 3 + [(False, 0.5)] * 3 + [(True, 1.0)]:
        w.grad = None
        step(x, training=training, scale=scale)
        expected = x.data * scale * (x.data * w.data > 0 if training else 1)
        np.testing.assert_array_equal(w.grad, expected)
        w.data = w.data + 0.25
    assert (step.trace_count, step.replay_count) == (6, 4)  # each value traced twice, then replayed


def test_which_parameter_a_keyword_binds_is_guarded():
    w = Tensor([1.0, 2.0], requires_grad=True)

    def fn(x, a=None, b=None):
        return (x * w * (1.0 if a is None else 10.0)).sum() + (0.0 if b is None else (b * w).sum())

    step = ag.compile(fn, strict=True)
    x, t = Tensor([1.0, 1.0]), Tensor([5.0, 7.0])
    for _ in range(3):
        step(x, b=t)  # t by keyword b: a plan for that binding
    for call in (lambda: step(x, a=t), lambda: step(x, t)):  # the same arrays bound to a: not that plan
        w.grad = None
        call()
        np.testing.assert_array_equal(w.grad, 10.0 * x.data)


def test_a_bad_keyword_raises_the_error_fn_itself_raises():
    def fn(x, y):
        return (x * y).sum()

    step = ag.compile(fn)
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError) as plain:
        fn(x, z=x)
    with pytest.raises(TypeError) as compiled:
        step(x, z=x)
    assert str(compiled.value) == str(plain.value) and "unexpected keyword argument 'z'" in str(plain.value)
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'y'"):
        step(x)
    with pytest.raises(TypeError, match=r"compile: argument 'y' is a list; pass Tensors or numpy arrays"):
        step(x, y=[1.0, 2.0])
    assert x.grad is None  # nothing ran


def test_keywords_under_anomaly_mode_and_with_check_run_fn_with_the_same_keywords():
    w = Tensor([1.0, 2.0], requires_grad=True)
    step = ag.compile(lambda x, *, power: (x * w**power).sum(), check=True)
    x = Tensor([3.0, 4.0])
    for _ in range(4):
        w.grad = None
        step(x, power=2)
        np.testing.assert_array_equal(w.grad, 2 * x.data * w.data)
    w.grad = None
    with ag.detect_anomaly():  # define-by-run, fn called with the keywords
        assert step(x, power=3).item() == 3.0 + 32.0
    np.testing.assert_array_equal(w.grad, 3 * x.data * w.data**2)
    assert step.trace_count == 2  # calls 3 and 4 ran the plan beside fn (check=True), compared


def test_compile_errors_name_an_argument_passed_by_keyword():
    w = Tensor([[1.0], [2.0]], requires_grad=True)
    X, mask = Tensor([[1.0, 2.0], [3.0, 4.0]]), np.array([True, False])
    with pytest.raises(ag.CompileError, match="boolean mask argument 'mask'"):
        ag.compile(lambda X, *, mask: (X @ w)[mask].sum(), strict=True)(X, mask=mask)
    with pytest.raises(ag.CompileError, match="argument 'v' requires grad but is the output of 'mul'"):
        ag.compile(lambda *, v: (v * v).sum(), strict=True)(v=w * 2)
