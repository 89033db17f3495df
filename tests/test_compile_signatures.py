"""ag.compile's signature of a call: shapes, dtypes, requires_grad, tensor identity and Python numbers
decide whether a plan is replayed or fn is traced again."""

import numpy as np
from compile_helpers import assert_same, batch, mlp_params, one_hot_loss, sgd

import autograd_core as ag
from autograd_core import Tensor


def test_shape_or_dtype_change_traces_again_and_each_signature_keeps_its_plan():
    params = mlp_params(np.float64)
    step = ag.compile(lambda X, Y: one_hot_loss(params, X, Y), strict=True)
    rng = np.random.default_rng(4)
    for n in (8, 8, 8, 5, 5, 5, 8, 5):
        X, Y, _ = batch(rng, np.float64, n=n)
        step(Tensor(X), Tensor(Y))
        sgd(params)
    assert (step.trace_count, step.replay_count) == (4, 4)
    X, Y, _ = batch(rng, np.float32)  # float32 data on float64 weights: a new signature, traced
    step(Tensor(X), Tensor(Y))
    assert step.trace_count == 5 and params[0].grad.dtype == np.float64


def test_tensors_fn_reads_are_guarded_by_shape_and_requires_grad():
    w = Tensor(np.ones((3, 2)), requires_grad=True)
    b = Tensor(np.zeros(2), requires_grad=True)
    step = ag.compile(lambda X: ((X @ w + b) ** 2).sum(), strict=True)
    X = Tensor(np.arange(12.0).reshape(4, 3))
    for _ in range(3):
        w.data = w.data + 1
        step(X)
    traces = step.trace_count
    w.data = np.ones((3, 5))  # a new shape: traced again, not replayed with stale buffers
    b.data = np.zeros(5)
    w.grad = b.grad = None
    step(X)
    assert step.trace_count == traces + 1 and w.grad.shape == (3, 5)
    b.requires_grad = False  # frozen: define-by-run gives it no gradient, neither may a replay
    b.grad = None
    for _ in range(3):
        w.data = w.data * 1.5
        step(X)
    assert b.grad is None


def test_tensor_arguments_that_require_grad_are_leaves_by_identity():
    step = ag.compile(lambda W, X: (X @ W).tanh().sum(), strict=True)
    X = Tensor(np.linspace(-1, 1, 6).reshape(2, 3))
    W = Tensor(np.full((3, 2), 0.5), requires_grad=True)
    for _ in range(3):
        step(W, X)
        W.data = W.data + 0.1
    assert step.replay_count == 1
    V = Tensor(np.full((3, 2), 0.2), requires_grad=True)
    step(V, X)  # another tensor: a retrace, and V gets the gradient, W nothing more
    reference = Tensor(V.data, requires_grad=True)
    (X @ reference).tanh().sum().backward()
    assert_same(V.grad, reference.grad)


def test_python_number_arguments_are_part_of_the_signature():
    w = Tensor([1.0, -2.0], requires_grad=True)
    step = ag.compile(lambda x, scale: (x * w * scale).sum(), strict=True)
    x = Tensor([3.0, 4.0])
    for scale in (2.0, 2.0, 2.0, 0.5, 0.5, 0.5):
        w.grad = None
        step(x, scale)
        np.testing.assert_array_equal(w.grad, x.data * scale)
        w.data = w.data + 1
    assert step.trace_count == 4


def test_the_same_array_passed_twice_is_not_assumed_the_same_later():
    w = Tensor([[1.0, -1.0], [2.0, 0.5]], requires_grad=True)

    def fn(a, b):
        return ((Tensor(a) @ w) * b).sum()

    step = ag.compile(fn, strict=True)
    rng = np.random.default_rng(10)
    for pair in ("same", "same", "same", "different", "different", "different", "same"):
        X = rng.standard_normal((3, 2))
        Z = X if pair == "same" else rng.standard_normal((3, 2))
        w.grad = None
        step(X, Z)
        got, w.grad = w.grad, None
        fn(X, Z).backward()
        assert_same(got, w.grad)
        w.data = w.data + 0.1
    assert step.replay_count == 3


def test_zero_d_arguments_and_parameters_made_afresh_each_call_still_replay():
    a = Tensor(2.0, requires_grad=True)
    b = Tensor([1.0, -2.0], requires_grad=True)

    def fn(x, s):
        return ((x * a + b).tanh() * s).sum() + (a * a) / 3.0

    step = ag.compile(fn, strict=True)
    for k in range(5):
        x, s = Tensor(0.5 + k), Tensor(1.5)  # s: the same value in new objects, pinned by value
        a.grad = b.grad = None
        loss = step(x, s)
        got = [a.grad, b.grad]
        a.grad = b.grad = None
        reference = fn(x, s)
        reference.backward()
        assert_same(loss.data, reference.data)
        assert_same(got[0], a.grad)
        assert_same(got[1], b.grad)
        a.data = a.data + 0.1
    assert (step.trace_count, step.replay_count) == (2, 3)


def test_argument_count_and_types_are_guarded():
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    step = ag.compile(lambda x, *rest: (x * w).sum() + sum(r.sum() for r in rest), strict=True)
    x = np.array([3.0, 4.0])
    for _ in range(3):
        step(Tensor(x))
    assert step.replay_count == 1
    w.grad = None
    step(x)  # an ndarray where a Tensor was (ndarray.data is a memoryview: must not be read): a new signature
    assert step.trace_count == 3 and list(w.grad) == [3.0, 4.0]
    w.grad = None
    loss = step(Tensor(x), Tensor(np.ones(2)))  # one argument more: traced, its part of the loss included
    assert step.trace_count == 4 and loss.item() == 13.0 and list(w.grad) == [3.0, 4.0]
