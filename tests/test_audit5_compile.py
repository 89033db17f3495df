"""Fifth everyday-use audit of ag.compile: training steps as users write them around their own models,
each compiled call's loss and gradients compared with define-by-run's on the same inputs."""

import warnings

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core import CompileWarning, Tensor


def _batches(sizes, features=5, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    return [(Tensor(rng.standard_normal((n, features))), rng.integers(0, classes, n)) for n in sizes]


def _compare_each_call(fn, params, calls, before=lambda k: None):
    """Run fn compiled and define-by-run on each call's arguments (``before(k)`` changes the model first);
    the losses are equal bit for bit and the gradients up to summation order. Returns the compiled fn."""
    step = ag.compile(fn)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileWarning)  # a fallback would hide what is compared
        for k, args in enumerate(calls):
            before(k)
            for p in params():
                p.grad = None
            want = fn(*args)
            want.backward()
            want_grads = [p.grad for p in params()]
            for p in params():
                p.grad = None
            got = step(*args)
            assert got.item() == want.item(), f"call {k}: loss {got.item()} vs define-by-run {want.item()}"
            for g, w in zip((p.grad for p in params()), want_grads):
                assert (g is None) == (w is None), f"call {k}"
                if w is not None:
                    np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-15, err_msg=f"call {k}")
    return step


def test_switching_batchnorm_between_train_and_eval_mode_replays_the_mode_in_use():
    """model.eval() between calls: the plan traced in training mode (batch statistics) gave the eval-mode
    call a silently different loss and gradients; a mode change now has fn traced again."""
    model = nn.Sequential(nn.Linear(5, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))
    modes = [True, True, True, False, False, False, True, True]
    step = _compare_each_call(
        lambda X, y: F.cross_entropy(model(X), y),
        lambda: list(model.parameters()),
        _batches([32] * len(modes)),
        before=lambda k: model.train(modes[k]),
    )
    assert step.replay_count >= 2  # still replayed where the mode stayed


def test_a_layer_replaced_between_calls_is_the_one_used():
    """model.layers[2] = nn.Linear(...) after the plan existed: the replay went on reading the old layer's
    weights (and left the new one without a gradient)."""
    model = nn.MLP([5, 8, 3], seed=0)

    def replace(k):
        if k == 3:
            model.layers[2] = nn.Linear(8, 3)

    step = _compare_each_call(
        lambda X, y: F.cross_entropy(model(X), y), lambda: list(model.parameters()), _batches([32] * 6), replace
    )
    assert step.replay_count == 2  # calls 4 and 5: traced again at 3 (a new reference), then adopted at 4


def test_evaluating_after_each_epoch_costs_the_compiled_step_no_trace():
    """nn.evaluate switches to eval mode and back under no_grad (nn.fit's validation after every epoch): the
    compiled step keeps replaying, and every module gets back its own mode."""
    model = nn.Sequential(nn.Linear(5, 8), nn.Dropout(0.1), nn.ReLU(), nn.Linear(8, 3))
    model[1].eval()  # a module of its own mode is restored as it was
    step = ag.compile(lambda X, y: F.cross_entropy(model(X), y))
    (X, y), (Xv, yv) = _batches([32, 16])
    for _ in range(3):
        step(X, y)
    traces = step.trace_count
    nn.evaluate(model, F.cross_entropy, Xv.data, yv)
    assert nn.evaluation.dead_unit_fraction(model, Xv.data) is not None  # its probes: forward hooks, removed
    step(X, y)
    assert step.trace_count == traces
    assert [m.training for m in model.modules()] == [True, True, False, True, True]


def test_a_numpy_scalar_argument_is_a_number_of_the_signature():
    """A temperature as np.float32 / np.float64 (what np.cos of a schedule or a mean gives) raised a TypeError
    ('argument 2 is a float32'); it is a static number, as a Python float: a new value traces again."""
    model = nn.MLP([5, 8, 3], seed=0)
    temperatures = [np.float64(1.0), np.float64(1.0), np.float64(1.0), np.float32(2.0), np.float32(2.0), 0.5]
    calls = [(X, y, t) for (X, y), t in zip(_batches([32] * 6), temperatures)]
    step = _compare_each_call(lambda X, y, T: F.cross_entropy(model(X) / T, y), lambda: list(model.parameters()), calls)
    assert step.replay_count == 1  # the third call; np.float32(2.0) and 0.5 are new signatures


class _Scaled(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(5, 8), nn.LeakyReLU(0.1), nn.Linear(8, 3))
        self.scale = 1.0

    def forward(self, x):
        return self.body(x) * self.scale


def test_a_number_a_module_holds_changed_between_calls_is_read_again():
    """model.scale = 3.0 or a LeakyReLU's negative_slope changed after the plan existed: the replay kept the
    traced number, a silently different loss and gradients; setting a module's attribute has fn traced again."""
    model = _Scaled()

    def change(k):
        if k == 3:
            model.scale = 3.0
        if k == 6:
            model.body[1].negative_slope = 0.5

    step = _compare_each_call(
        lambda X, y: F.cross_entropy(model(X), y), lambda: list(model.parameters()), _batches([32] * 9), change
    )
    assert step.replay_count == 3  # calls 2, 5 and 8: the new number is a new constant, so two traces each


def test_loading_weights_and_running_statistics_keeps_the_step_compiled():
    """load_state_dict between calls into a BatchNorm model in eval mode (its running statistics are constants
    of the trace): the compiled step fell back to define-by-run for good with a 'constant changed' warning;
    it is now traced again and replays the loaded values."""
    model = nn.Sequential(nn.Linear(5, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))
    trained = nn.Sequential(nn.Linear(5, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))
    with ag.no_grad():
        trained(Tensor(np.random.default_rng(1).standard_normal((64, 5)) * 3 + 1))  # running statistics move
    model.eval()

    def load(k):
        if k == 3:
            model.load_state_dict(trained.state_dict())

    step = _compare_each_call(
        lambda X, y: F.cross_entropy(model(X), y), lambda: list(model.parameters()), _batches([32] * 7), load
    )
    assert step.replay_count == 3  # call 2, then 5 and 6


def test_zero_grad_inside_the_step_falls_back_instead_of_adding_up_gradients():
    """optimizer.zero_grad() inside the compiled function (PyTorch's habit): the replays skipped it, so each
    call's gradients were added to the last ones and the optimizer took silently different steps."""

    def train(compiled):
        model = nn.MLP([5, 8, 3], seed=0)
        optimizer = nn.optim.SGD(model.parameters(), lr=0.1)

        def step(X, y):
            optimizer.zero_grad()
            return F.cross_entropy(model(X), y)

        def define_by_run(X, y):
            loss = step(X, y)
            loss.backward()
            return loss

        run = ag.compile(step) if compiled else define_by_run
        losses = []
        for X, y in _batches([32] * 6):
            losses.append(run(X, y).item())
            optimizer.step()
        return losses, [p.data.copy() for p in model.parameters()], run

    want, want_params, _ = train(compiled=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got, got_params, step = train(compiled=True)
    assert got == want
    for g, w in zip(got_params, want_params):
        np.testing.assert_allclose(g, w, rtol=1e-12)
    assert "zero_grad() inside fn" in step.fallback_reason
    assert [c.category for c in caught] == [CompileWarning]


def test_a_step_that_runs_backward_itself_is_told_that_compile_runs_it():
    """loss.backward() inside fn, as a PyTorch step function has it: the compiled call's own backward raised the
    engine's 'backward through div a second time ... pass retain_graph=True', advice that does not apply."""
    model = nn.MLP([5, 8, 3], seed=0)

    def step(X, y):
        loss = F.cross_entropy(model(X), y)
        loss.backward()
        return loss

    compiled = ag.compile(step)
    ((X, y),) = _batches([8])
    with pytest.raises(RuntimeError, match=r"compile\(.*step\): fn ran loss.backward\(\); compile runs it: drop it"):
        compiled(X, y)


def test_a_compiled_call_inside_another_compiled_function_is_refused():
    """compiled_inner(X, y) * 2 inside a compiled outer step: the inner call delivered its own gradients once
    and gave the outer a loss without a graph, so the weights' gradients silently missed the factor 2."""
    model = nn.MLP([5, 8, 3], seed=0)
    inner = ag.compile(lambda X, y: F.cross_entropy(model(X), y))
    outer = ag.compile(lambda X, y: inner(X, y) * 2.0 + (model(X) ** 2).mean())
    ((X, y),) = _batches([8])
    with pytest.raises(RuntimeError, match=r"called inside compile\(.*\)'s fn: .* call its uncompiled function"):
        outer(X, y)
    assert model.layers[0].weight.grad is None  # refused before any gradient was delivered
    outer_fixed = ag.compile(lambda X, y: inner.fn(X, y) * 2.0 + (model(X) ** 2).mean())
    _compare_each_call(outer_fixed.fn, lambda: list(model.parameters()), _batches([8] * 3))


@pytest.mark.parametrize("dtype", [np.int32, np.uint8, np.int16, np.dtype(">i4")])
def test_labels_of_any_integer_dtype_keep_a_cross_entropy_step_compiled(dtype):
    """int32 labels (numpy's default integer on Windows) or uint8 ones (an IDX file's): cross_entropy converted
    them to a new int64 array each call, a constant that changed, so the step fell back with a CompileWarning."""
    model = nn.MLP([5, 8, 3], seed=0)
    calls = [(X, y.astype(dtype)) for X, y in _batches([32, 32, 7, 32, 32])]
    step = _compare_each_call(lambda X, y: F.cross_entropy(model(X), y), lambda: list(model.parameters()), calls)
    assert step.replay_count == 2
    with pytest.raises(ValueError, match=r"labels must be in 0\.\.2 for K=3 classes; found min 0, max 3"):
        F.cross_entropy(model(calls[0][0]), np.array([0, 3] * 16, dtype))


def test_a_forward_hook_added_or_removed_between_calls_is_replayed_as_it_is_now():
    """A hook that replaces a layer's output, registered (then removed) after the plan existed: the replay kept
    computing without it (then with it), a silently different loss and gradients."""
    model = nn.MLP([5, 8, 3], seed=0)
    handles = []

    def change(k):
        if k == 3:
            handles.append(model.layers[1].register_forward_hook(lambda module, inputs, out: out * 0.5))
        if k == 6:
            handles.pop().remove()

    step = _compare_each_call(
        lambda X, y: F.cross_entropy(model(X), y), lambda: list(model.parameters()), _batches([32] * 9), change
    )
    assert step.replay_count == 3  # calls 2, 5 and 8


def test_a_new_model_read_by_the_same_compiled_step_is_the_one_trained():
    """A new model per cross-validation fold, bound to the name the step reads: the replay went on computing the
    old model's loss and gradients, and the new model got none (so its optimizer never moved it). Building a
    module moves StructureClock, so the step is traced again."""
    models = {"current": nn.MLP([5, 8, 3], seed=1)}

    def new_fold(k):
        if k == 3:
            models["current"] = nn.MLP([5, 8, 3], seed=2)

    step = _compare_each_call(
        lambda X, y: F.cross_entropy(models["current"](X), y),
        lambda: list(models["current"].parameters()),
        _batches([32] * 6),
        new_fold,
    )
    assert step.replay_count == 2  # calls 2 and 5


def test_structure_changed_makes_every_compiled_function_check_its_plan_with_a_fresh_trace():
    # a number read from outside fn is baked into the plan (as jax.jit); code that changes such state says so
    w = Tensor([1.0, 2.0], requires_grad=True)
    settings = {"scale": 2.0}
    step = ag.compile(lambda: (w * settings["scale"]).sum())
    for _ in range(3):
        w.grad = None
        step()
    assert step.replay_count == 1 and w.grad.tolist() == [2.0, 2.0]
    settings["scale"] = 5.0
    w.grad = None
    step()
    assert w.grad.tolist() == [2.0, 2.0]  # the replay still multiplies by 2: the documented limit
    ag.structure_changed()
    traces = step.trace_count
    w.grad = None
    step()
    assert step.trace_count == traces + 1 and w.grad.tolist() == [5.0, 5.0]
