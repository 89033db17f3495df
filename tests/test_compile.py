"""ag.compile: a replayed step must leave exactly the gradients that define-by-run leaves.

The oracle is always the engine itself: the same function run define-by-run on twin
parameters (or on the same ones, one call later). Values change between calls (SGD
steps, new batches), so a replay that froze something it should not is caught.
"""

import doctest
import itertools
import re
import sys
import warnings

import numpy as np
import pytest
from primitive_cases import CASES

import autograd_core as ag
from autograd_core import CompileError, CompileWarning, Tensor

# value-dependent by design: where(x.data > 0, ...) freezes a mask computed from values
VALUE_DEPENDENT_CASES = {"leaky_relu_by_where"}


def assert_same(got, want):
    """Same dtype and shape; equal up to the order 3+ gradient paths are summed in."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape
    tolerance = 1e-12 if want.dtype == np.float64 else 1e-6
    assert np.max(np.abs(got - want), initial=0) <= tolerance * np.max(np.abs(want), initial=0)


def mlp_params(dtype, sizes=(6, 8, 5, 3), seed=0):
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in itertools.pairwise(sizes):
        params.append(Tensor(rng.standard_normal((fan_in, fan_out)).astype(dtype), requires_grad=True))
        params.append(Tensor(0.1 * rng.standard_normal(fan_out).astype(dtype), requires_grad=True))  # broadcast
    return params


def mlp_logits(params, X):
    h = X
    for k in range(0, len(params), 2):
        h = h @ params[k] + params[k + 1]
        if k < len(params) - 2:
            h = h.relu()
    return h


def one_hot_loss(params, X, Y):
    return -(mlp_logits(params, X).log_softmax(axis=-1) * Y).sum() / X.shape[0]


def label_loss(params, X, labels):
    """Integer labels index the log-probabilities (a getitem whose index is an argument)."""
    return -mlp_logits(params, X).log_softmax()[np.arange(len(labels)), labels].mean()


def batch(rng, dtype, n=7, features=6, classes=3):
    labels = rng.integers(0, classes, n)
    return rng.standard_normal((n, features)).astype(dtype), np.eye(classes, dtype=dtype)[labels], labels


def sgd(params):
    for p in params:
        p.data -= 0.1 * p.grad
        p.grad = None


# ------------------------------------------------------------------------------ same gradients
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


# ------------------------------------------------------------------------------ semantics
def test_gradients_accumulate_into_their_own_arrays():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, -1.0], requires_grad=True)
    c = Tensor([0.5, 4.0])
    step = ag.compile(lambda: ((a + b) * c).sum(), strict=True)
    step()
    first = a.grad
    for _ in range(3):  # trace, trace + plan, replay, replay: += every time
        step()
    assert step.replay_count == 2 and a.grad is first
    np.testing.assert_array_equal(a.grad, 4 * c.data)
    np.testing.assert_array_equal(b.grad, 4 * c.data)
    a.grad[...] = 0  # add's vjp hands both inputs the same g: the leaves must not share it
    np.testing.assert_array_equal(b.grad, 4 * c.data)


def test_a_returned_loss_and_grad_do_not_alias_buffers_reused_by_the_next_call():
    params = mlp_params(np.float64)
    step = ag.compile(lambda X, Y: one_hot_loss(params, X, Y), strict=True)
    rng = np.random.default_rng(3)
    losses, grads = [], []
    for _ in range(5):
        X, Y, _ = batch(rng, np.float64)
        losses.append((step(Tensor(X), Tensor(Y)), step.replay_count))
        grads.append((params[0].grad, params[0].grad.copy()))
        for p in params:
            p.grad = None
    values = [float(loss.item()) for loss, _ in losses]
    assert len(set(values)) == 5  # each call kept its own loss
    for kept, copy in grads:
        np.testing.assert_array_equal(kept, copy)


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


def test_a_replay_calls_no_engine_code_and_makes_no_tensor_per_op():
    params = mlp_params(np.float64)
    step = ag.compile(lambda X, Y: one_hot_loss(params, X, Y), strict=True)
    rng = np.random.default_rng(5)
    for _ in range(3):
        X, Y, _ = batch(rng, np.float64)
        step(Tensor(X), Tensor(Y))
        sgd(params)
    X, Y = (Tensor(a) for a in batch(rng, np.float64)[:2])
    calls = []
    sys.setprofile(
        lambda frame, event, arg: (
            calls.append((frame.f_code.co_filename, frame.f_code.co_name)) if event == "call" else None
        )
    )
    try:
        step(X, Y)
    finally:
        sys.setprofile(None)
    assert step.replay_count == 2
    files = {f for f, _ in calls}
    ours = {f for f in files if "autograd_core" in f or f.startswith("<ag.compile")}
    # compile.py, the generated code, and the Tensor's public API (reading .data, making the loss)
    assert len(ours) == 3 and any(f.endswith("compile.py") for f in ours), files
    tensor_calls = [name for f, name in calls if f.endswith("tensor.py")]
    assert set(tensor_calls) <= {"data", "__init__", "_as_array"}, tensor_calls
    assert tensor_calls.count("__init__") == 1  # the returned loss: no tensor per op
    assert tensor_calls.count("data") == 2 + len(params)  # each argument and leaf read once, not per op
    assert "def run(args):" in step.source and "matmul(" in step.source and "Tensor(" not in step.source


def test_no_grad_and_anomaly_mode_run_define_by_run():
    w = Tensor([1.0, 2.0], requires_grad=True)
    step = ag.compile(lambda: (w * w).sum())
    with ag.no_grad(), pytest.raises(RuntimeError, match="does not require grad"):
        step()
    with ag.detect_anomaly():
        step()
    assert (step.trace_count, step.replay_count) == (0, 0)
    np.testing.assert_array_equal(w.grad, [2.0, 4.0])


def test_a_bad_value_during_a_replay_raises_the_engines_error():
    params = mlp_params(np.float64)
    step = ag.compile(lambda X, labels: label_loss(params, X, labels), strict=True)
    rng = np.random.default_rng(6)
    for _ in range(3):
        X, _, labels = batch(rng, np.float64)
        step(Tensor(X), labels)
        sgd(params)
    labels[0] = 7
    with pytest.raises(IndexError, match="getitem"):
        step(Tensor(X), labels)


# ------------------------------------------------------------------------------ what is guarded
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


def test_bad_functions_and_arguments_have_clear_errors():
    w = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="compile: expected a function"):
        ag.compile(42)
    with pytest.raises(TypeError, match="must return the loss as a one-element Tensor, got float"):
        ag.compile(lambda: 1.0)()
    with pytest.raises(RuntimeError, match="only be implied for a one-element tensor"):
        ag.compile(lambda: w * 2)()
    with pytest.raises(RuntimeError, match="does not require grad"):
        ag.compile(lambda x: (x * 2).sum())(Tensor([1.0, 2.0]))
    with pytest.raises(TypeError, match="argument 0 is a list"):
        ag.compile(lambda x: (w * 2).sum())([1.0, 2.0])


def test_decorator_forms_and_the_docstring_example():
    @ag.compile
    def plain(x):
        return (x * 2).sum()

    @ag.compile(strict=True)
    def strict(x):
        return (x * 2).sum()

    assert isinstance(plain, type(strict)) and strict.strict and plain.__name__ == "plain"
    module = sys.modules["autograd_core.compile"]
    assert doctest.testmod(module, extraglobs={"Tensor": Tensor}).failed == 0


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


def test_a_replay_that_raises_where_define_by_run_does_not_is_dropped_with_a_warning():
    w = Tensor([1.0, -2.0], requires_grad=True)
    step = ag.compile(lambda x: (x * w).exp().sum())
    x = Tensor([0.5, 0.25])
    for _ in range(3):
        step(x)
        w.data = w.data * 0.5
    assert step.replay_count == 1

    def broken(args):
        raise ValueError("boom")

    step._last.run = broken  # stands for a bug in generated code
    w.grad = None
    with pytest.warns(CompileWarning, match="the replay raised ValueError: boom, define-by-run did not"):
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


def test_a_primitive_changed_in_the_engine_is_replayed_through_its_own_code(monkeypatch):
    """The lowered spellings are checked against the primitives on NaN, +-0 and +-inf: a relu whose
    forward no longer matches np.maximum(x, 0) there is called, not assumed."""
    replay = sys.modules["autograd_core.replay"]
    relu = ag.PRIMITIVES["relu"]
    monkeypatch.setattr(relu, "forward", staticmethod(lambda x: x * (x > 0)))  # -inf -> nan, -1 -> -0.0
    replay.faithful.cache_clear()
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
        replay.faithful.cache_clear()


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
