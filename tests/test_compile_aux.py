"""ag.compile(fn, has_aux=True): fn returns (loss, aux), and so does the compiled call.

The oracle is the engine itself: the same function run define-by-run on twin parameters.
aux must equal define-by-run's values bit for bit, come from the plan (replay_count), and
be the caller's own arrays (the next call must not change them).
"""

import warnings

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core import CompileError, CompileWarning, Tensor


def params(seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    W1 = Tensor(rng.standard_normal((4, 5)).astype(dtype), requires_grad=True, label="W1")
    W2 = Tensor(rng.standard_normal((5, 3)).astype(dtype), requires_grad=True, label="W2")
    return W1, W2


def logits_of(ps, X):
    return (X @ ps[0]).relu() @ ps[1]


def step_fn(ps):
    """A loss and four aux tensors: two inside the loss's graph (the logits, and a view of the
    hidden layer), one outside it (softmax probabilities the loss never uses) and one computed
    from an argument alone."""

    def step(X, Y):
        hidden = (X @ ps[0]).relu()
        logits = hidden @ ps[1]
        loss = -(logits.log_softmax(axis=-1) * Y).sum() / X.shape[0]
        return loss, (logits, logits.softmax(axis=-1), X * 2.0, hidden.T)

    return step


def batches(n=5, dtype=np.float64, seed=1):
    rng = np.random.default_rng(seed)
    for _ in range(n):
        X = rng.standard_normal((6, 4)).astype(dtype)
        yield X, np.eye(3, dtype=dtype)[rng.integers(0, 3, 6)]


def sgd(ps):
    for p in ps:
        p.data = p.data - 0.1 * p.grad
        p.grad = None


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_loss_aux_and_gradients_equal_define_by_run_bit_for_bit(dtype):
    ours, theirs = params(dtype=dtype), params(dtype=dtype)
    step = ag.compile(step_fn(ours), has_aux=True, strict=True)
    for X, Y in batches(dtype=dtype):
        loss, aux = step(Tensor(X), Tensor(Y))
        want_loss, want_aux = step_fn(theirs)(Tensor(X), Tensor(Y))
        want_loss.backward()
        assert type(aux) is tuple and len(aux) == 4
        for got, want in zip([loss, *aux], [want_loss, *want_aux]):
            assert got.prim is None and not got.requires_grad  # no graph
            assert got.dtype == want.dtype and np.array_equal(got.data, want.data)
        for p, q in zip(ours, theirs):
            np.testing.assert_allclose(p.grad, q.grad, rtol=1e-12 if dtype == np.float64 else 1e-6)
        sgd(ours), sgd(theirs)
    assert step.trace_count == 2 and step.replay_count == 3  # the plan ran from the third call on


def test_aux_arrays_are_not_reused_by_the_next_call():
    ps = params()
    step = ag.compile(step_fn(ps), has_aux=True, strict=True)
    kept = []
    for X, Y in batches(n=5):
        loss, aux = step(Tensor(X), Tensor(Y))
        kept.append((X, [loss.data.copy()] + [a.data.copy() for a in aux], [loss, *aux]))
        for p in ps:
            p.grad = None
    assert step.replay_count == 3
    for X, copies, returned in kept:  # every call's results still hold that call's values
        for copy, t in zip(copies, returned):
            assert np.array_equal(copy, t.data)
        assert np.array_equal(returned[3].data, X * 2.0)
    returned = kept[-1][2]
    for t in returned:
        assert not any(np.shares_memory(t.data, p.data) for p in ps)
    returned[1].data[...] = 0.0  # writing into a returned aux leaves the next call right
    X, Y = next(batches(n=1, seed=9))
    loss, (logits, *_) = step(Tensor(X), Tensor(Y))
    assert np.array_equal(logits.data, logits_of(ps, Tensor(X)).data)


def test_a_single_tensor_a_list_and_a_leaf_or_argument_as_aux():
    W = Tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True)
    V = Tensor([2.0, 3.0], requires_grad=True)  # read by aux only: its .grad stays None
    single = ag.compile(lambda X: ((X @ W).relu().sum(), X @ W), has_aux=True, strict=True)
    listed = ag.compile(lambda X: ((X @ W).sum(), [W, X, W * V]), has_aux=True, strict=True)
    for k in range(4):
        X = np.array([[1.0, 2.0 + k]])
        loss, aux = single(Tensor(X))
        assert isinstance(aux, Tensor) and np.array_equal(aux.data, X @ W.data)
        loss, aux = listed(Tensor(X))
        assert loss.item() == (X @ W.data).sum()
        assert type(aux) is list and [a.shape for a in aux] == [(2, 2), (1, 2), (2, 2)]
        assert np.array_equal(aux[0].data, W.data) and not np.shares_memory(aux[0].data, W.data)
        assert np.array_equal(aux[1].data, X) and np.array_equal(aux[2].data, W.data * V.data)
        W.grad = None
        W.data = W.data + 0.25
    assert single.replay_count == listed.replay_count == 2
    assert V.grad is None


def test_fallback_check_and_strict_keep_the_loss_aux_pair():
    W = Tensor([1.0, 2.0], requires_grad=True)

    def value_dependent(X):
        h, doubled = X * W, X * W * 2.0
        return h.sum() + doubled.sum(), (h if h.data.sum() > 0 else doubled)  # which aux depends on values

    step = ag.compile(value_dependent, has_aux=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        results = [step(Tensor(np.array(x))) for x in ([1.0, 1.0], [-1.0, -1.0], [-2.0, -1.0])]
    assert any(issubclass(w.category, CompileWarning) for w in caught)
    assert "different tensors" in step.fallback_reason
    for (loss, aux), x in zip(results, ([1.0, 1.0], [-1.0, -1.0], [-2.0, -1.0])):
        h = np.array(x) * W.data
        assert np.array_equal(aux.data, h if h.sum() > 0 else h * 2.0) and loss.item() == h.sum() + (h * 2.0).sum()
    with pytest.raises(CompileError, match="different tensors"):
        strict = ag.compile(value_dependent, has_aux=True, strict=True)
        for x in ([1.0, 1.0], [-1.0, -1.0]):
            strict(Tensor(np.array(x)))

    checked = ag.compile(lambda X: ((X * W).sum(), X * W), has_aux=True, check=True)
    for k in range(3):
        loss, aux = checked(Tensor(np.array([1.0, k])))
        assert np.array_equal(aux.data, np.array([1.0, k]) * W.data)
    traces = checked.trace_count
    with ag.detect_anomaly():  # define-by-run under anomaly mode, no trace: still the pair
        loss, aux = checked(Tensor(np.array([1.0, 7.0])))
    assert np.array_equal(aux.data, np.array([1.0, 7.0]) * W.data) and checked.trace_count == traces


@pytest.mark.parametrize("scale", [2.0, 1.0 + 2.0**-52])  # far off, and off by one unit in the last place
def test_check_mode_catches_an_aux_that_differs_from_define_by_run_in_any_bit(scale):
    W = Tensor([1.0, 2.0], requires_grad=True)
    factor = [1.0]

    def fn(X):  # aux reads a Python number from outside: a constant of the trace
        return (X * W).sum(), X * W * factor[0]

    step = ag.compile(fn, has_aux=True, check=True)
    for k in range(3):
        step(Tensor(np.array([1.0, k])))
    factor[0] = scale
    with pytest.raises(CompileError, match="aux 0"):
        step(Tensor(np.array([1.0, 5.0])))


def test_bad_results_have_clear_errors():
    W = Tensor([1.0, 2.0], requires_grad=True)
    cases = [
        (lambda: (W * 2.0).sum(), r"has_aux=True.*got Tensor.*return \(loss, aux\)"),
        (lambda: ((W * 2.0).sum(), {"a": W}), r"aux dict"),
        (lambda: ((W * 2.0).sum(), (W, 3.0)), r"aux tuple \(Tensor, float\)"),
        (lambda: (W.sum(), W, W), r"got tuple \(Tensor, Tensor, Tensor\)"),
    ]
    for fn, message in cases:
        with pytest.raises(TypeError, match=message):
            ag.compile(fn, has_aux=True)()
    with pytest.raises(TypeError, match=r"got tuple \(Tensor, Tensor\); to return \(loss, aux\), pass has_aux=True"):
        ag.compile(lambda: ((W * 2.0).sum(), W))()


def test_decorator_form():
    W = Tensor([[1.0], [2.0]], requires_grad=True)

    @ag.compile(has_aux=True, strict=True)
    def step(X):
        out = X @ W
        return out.sum(), out

    for k in range(3):
        loss, out = step(Tensor([[3.0, 4.0 + k]]))
        assert loss.item() == 11.0 + 2 * k and out.shape == (1, 1)
    assert step.replay_count == 1 and step.has_aux


def test_an_nn_training_step_returning_logits_counts_accuracy_like_define_by_run():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((64, 8)), rng.integers(0, 4, 64)
    ours, theirs = nn.MLP([8, 16, 4], seed=0), nn.MLP([8, 16, 4], seed=0)
    optimizers = [nn.optim.SGD(m.parameters(), lr=0.1) for m in (ours, theirs)]

    def make(model):
        def step(X, y):
            logits = model(X)
            return F.cross_entropy(logits, y), logits

        return step

    step = ag.compile(make(ours), has_aux=True, strict=True)
    for _ in range(3):
        for start in range(0, 64, 16):
            Xb, yb = Tensor(X[start : start + 16]), y[start : start + 16]
            for optimizer in optimizers:
                optimizer.zero_grad()
            loss, logits = step(Xb, yb)
            want_loss, want_logits = make(theirs)(Xb, yb)
            want_loss.backward()
            assert loss.item() == want_loss.item() and np.array_equal(logits.data, want_logits.data)
            assert (logits.data.argmax(1) == yb).sum() == (want_logits.data.argmax(1) == yb).sum()
            for optimizer in optimizers:
                optimizer.step()
    assert step.replay_count == 10
    for p, q in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.data, q.data, rtol=1e-12)


def test_each_signature_keeps_its_plan_and_returns_the_pair():
    ps = params()
    step = ag.compile(step_fn(ps), has_aux=True, strict=True)
    rng = np.random.default_rng(3)
    for n in (6, 6, 6, 4, 4, 4, 6, 4):  # back and forth between two batch sizes: two plans
        X, Y = rng.standard_normal((n, 4)), np.eye(3)[rng.integers(0, 3, n)]
        loss, aux = step(Tensor(X), Tensor(Y))
        assert isinstance(loss, Tensor) and loss.shape == () and len(aux) == 4
        np.testing.assert_array_equal(aux[0].data, logits_of(ps, Tensor(X)).data)
        for p in ps:
            p.grad = None
    assert (step.trace_count, step.replay_count) == (4, 4)
