"""ag.compile's semantics: gradients accumulate like the engine's, results own their buffers,
a replay is generated code (no engine calls), errors are the engine's, and the API's forms."""

import doctest
import sys

import numpy as np
import pytest
from compile_helpers import batch, label_loss, mlp_params, one_hot_loss, sgd

import autograd_core as ag
from autograd_core import Tensor


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
    # compile.py, the generated code, and tensor.py (reading .data, making the loss without a graph)
    assert len(ours) == 3 and any(f.endswith("compile.py") for f in ours), files
    tensor_calls = [name for f, name in calls if f.endswith("tensor.py")]
    assert set(tensor_calls) <= {"data", "_node"}, tensor_calls
    assert tensor_calls.count("_node") == 1  # the returned loss: no tensor per op
    assert tensor_calls.count("data") == 2 + len(params)  # each argument and leaf read once, not per op
    assert "def run(args, trial=False):" in step.source and "matmul(" in step.source and "Tensor(" not in step.source


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


def test_bad_functions_and_arguments_have_clear_errors():
    w = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="compile: expected a function"):
        ag.compile(42)
    with pytest.raises(TypeError, match="must return the loss as a one-element Tensor, got float"):
        ag.compile(lambda: 1.0)()
    # a jax.jit habit (a function that is not a loss): told what compile makes, and what to do
    with pytest.raises(
        RuntimeError,
        match=r"<lambda>\): fn's result has shape \(2,\), not one element: "
        r"ag.compile compiles a training step .* reduce it \(.sum\(\), .mean\(\)\), or call fn directly",
    ):
        ag.compile(lambda: w * 2)()
    with pytest.raises(RuntimeError, match=r"has shape \(2, 1\), not one element"):
        ag.compile(lambda: ((w * 2).reshape(2, 1), w), has_aux=True)()
    with pytest.raises(
        RuntimeError,
        match=r"fn's result depends on no tensor that requires grad: .* make the parameters "
        r"with requires_grad=True, or call fn directly",
    ):
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


def test_a_module_is_refused_with_the_step_to_write():
    """torch.compile(model)'s habit (nanoGPT's train.py): compile makes a training step, so a module is refused
    at once, naming the loss-step spelling, not at its first call with a message about its output."""
    nn = pytest.importorskip("nn")
    model = nn.Linear(3, 2)
    with pytest.raises(TypeError, match=r"compile: got the module Linear; .*ag.compile\(lambda X, y: F.cross_entropy"):
        ag.compile(model)
    step = ag.compile(lambda X, y: nn.functional.cross_entropy(model(X), y))  # what the message says works
    loss = step(Tensor(np.ones((4, 3))), np.array([0, 1, 0, 1]))
    assert loss.shape == () and model.weight.grad.shape == (2, 3)
