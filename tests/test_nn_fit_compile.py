"""nn.fit compiles its training step where that trains the same as define-by-run: the same weights and
history bit for bit, the history says which ran; Dropout, buffers and whatever ag.compile declines fall
back silently (and say why); compile=False never compiles, compile=True warns when it cannot."""

import functools
import warnings

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from nn import fit_step

X, y = nn.datasets.make_moons(150, noise=0.2, seed=0)  # 150 rows: the last batch of 32 is shorter
VALIDATION = nn.datasets.make_moons(40, noise=0.2, seed=1)


class Noise(nn.Module):
    """Adds seeded Gaussian noise in training: random numbers ag.compile would freeze in a replay."""

    def __init__(self, seed):
        super().__init__()
        self.rng = np.random.default_rng(seed)

    def forward(self, x):
        return x + self.rng.normal(scale=0.1, size=x.shape) if self.training else x


MODELS = {
    "mlp": lambda: nn.MLP([2, 16, 16, 2], seed=0),
    "dropout": lambda: nn.Sequential(
        nn.Linear(2, 16, seed=0), nn.ReLU(), nn.Dropout(0.3, seed=5), nn.Linear(16, 2, seed=1)
    ),
    "batchnorm": lambda: nn.Sequential(
        nn.Linear(2, 16, seed=0), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 2, seed=1)
    ),
    "noise": lambda: nn.Sequential(nn.Linear(2, 16, seed=0), Noise(7), nn.ReLU(), nn.Linear(16, 2, seed=1)),
}


@pytest.fixture
def compiled_functions(monkeypatch):
    """Every function fit compiles, to read their trace and replay counts."""
    made, compile = [], ag.compile

    def spy(*args, **kwargs):
        made.append(compile(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(fit_step.ag, "compile", spy)
    return made


def train(kind, compile, optimizer="adam", **options):
    model = MODELS[kind]()
    opt = (
        nn.optim.Adam(model.parameters(), lr=0.02)
        if optimizer == "adam"
        else nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
    )
    history = nn.fit(
        model, F.cross_entropy, opt, X, y, epochs=4, validation=VALIDATION, progress=False, compile=compile, **options
    )
    return model, history


def assert_same_training(a, b):
    (model_a, history_a), (model_b, history_b) = a, b
    state_a, state_b = model_a.state_dict(), model_b.state_dict()
    assert sorted(state_a) == sorted(state_b)
    for name in state_a:
        np.testing.assert_array_equal(state_a[name], state_b[name], err_msg=name)
    measured = {k: v for k, v in history_a.to_dict().items() if k not in ("step", "step_reason")}
    assert measured == {k: v for k, v in history_b.to_dict().items() if k not in ("step", "step_reason")}


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_a_compiled_fit_trains_exactly_as_define_by_run(compiled_functions, optimizer):
    compiled = train("mlp", "auto", optimizer)
    assert compiled[1].step == "compiled" and compiled[1].step_reason is None
    full, last = compiled_functions  # one per batch size: 32 and the last batch's 22 rows
    assert full.replay_count == 4 * 4 - 2 and full.trace_count == 2  # every step after two traces replays
    assert last.replay_count == 4 - 2 and last.trace_count == 2
    eager = train("mlp", False, optimizer)
    assert eager[1].step == "define-by-run" and eager[1].step_reason == "compile=False"
    assert_same_training(compiled, eager)  # bit for bit: weights, losses, accuracies, gradient norms
    assert compiled[1].train_acc and compiled[1].train_acc == eager[1].train_acc  # from the compiled logits


@pytest.mark.parametrize(
    "kind, reason",
    [
        ("dropout", "layer '2' (Dropout) draws a fresh random mask every step"),
        ("batchnorm", "layer '1' (BatchNorm1d) has buffers (running_mean, running_var)"),
        ("noise", "layer '1' (Noise) is defined outside nn: its Python would run only while ag.compile traces"),
    ],
)
def test_what_a_replay_might_not_reproduce_runs_define_by_run_silently(kind, reason, capfd, compiled_functions):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning would fail the fit
        fallback = train(kind, "auto")
    assert fallback[1].step == "define-by-run" and fallback[1].step_reason.startswith(reason)
    assert capfd.readouterr().err == ""
    assert compiled_functions == []  # decided before training: nothing traced
    assert_same_training(fallback, train(kind, False))  # the same random numbers, the same running statistics


def test_a_step_ag_compile_declines_falls_back_silently_with_the_same_training(monkeypatch, capfd, compiled_functions):
    monkeypatch.setattr(fit_step, "compile_obstacle", lambda *args: None)  # as if Noise were one of nn's layers
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fallback = train("noise", "auto")
    reason = "ag.compile gave up at epoch 1/4, step 2/5: a constant of shape (32, 16) (used by add) changed"
    assert fallback[1].step == "define-by-run" and fallback[1].step_reason.startswith(reason)
    assert capfd.readouterr().err == ""
    assert [(c.trace_count, c.replay_count) for c in compiled_functions] == [(2, 0)]  # two traces, then given up
    assert_same_training(fallback, train("noise", False))  # traced calls ran define-by-run: the same noise


def test_only_nn_losses_are_trusted_unless_compile_is_true():
    model = nn.MLP([2, 8, 2], seed=0)
    assert fit_step.compile_obstacle(model, nn.CrossEntropyLoss()) is None
    assert fit_step.compile_obstacle(model, functools.partial(F.cross_entropy, label_smoothing=0.1)) is None
    mine = lambda out, target: F.cross_entropy(out, target)  # noqa: E731 (a user's loss)
    assert fit_step.compile_obstacle(model, mine).startswith("the loss (test_only_nn_losses_are_trusted")
    assert fit_step.compile_obstacle(model, mine, trust_outside=True) is None
    history = nn.fit(model, mine, nn.optim.SGD(model.parameters(), lr=0.1), X, y, epochs=1, progress=False)
    assert history.step == "define-by-run" and "is not one of nn's" in history.step_reason
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = nn.fit(
            model, mine, nn.optim.SGD(model.parameters(), lr=0.1), X, y, epochs=3, progress=False, compile=True
        )
    assert history.step == "compiled"


def test_compile_true_warns_when_it_cannot_and_compile_must_be_a_known_value():
    with pytest.warns(ag.CompileWarning, match="runs define-by-run: layer '2' \\(Dropout\\)"):
        _, history = train("dropout", True)
    assert history.step == "define-by-run"
    with pytest.warns(ag.CompileWarning, match="a constant of shape"):  # compile=True trusts Noise; compile does not
        train("noise", True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert train("mlp", True)[1].step == "compiled"  # nothing to warn about
    for bad in ("yes", 1, None):
        with pytest.raises(ValueError, match=f"fit: compile must be 'auto', True or False, got {bad!r}"):
            train("mlp", bad)


def test_the_history_file_and_a_checkpoint_keep_the_step(tmp_path):
    _, history = train("mlp", "auto", checkpoint=tmp_path / "c.npz")
    history.to_json(tmp_path / "history.json")
    loaded = nn.History.from_json(tmp_path / "history.json")
    assert (loaded.step, loaded.step_reason) == ("compiled", None)
    resumed_model = MODELS["mlp"]()
    resumed = nn.fit(  # four epochs are done: resuming to four changes nothing, and reads the step back
        resumed_model,
        F.cross_entropy,
        nn.optim.Adam(resumed_model.parameters(), lr=0.02),
        X,
        y,
        epochs=4,
        resume=tmp_path / "c.npz",
        progress=False,
        compile=False,
    )
    assert resumed.train_loss == history.train_loss
    assert (resumed.step, resumed.step_reason) == ("define-by-run", "compile=False")  # this call's own


def test_compile_obstacle_names_the_layer():
    obstacle = functools.partial(fit_step.compile_obstacle, loss_fn=F.cross_entropy)
    assert obstacle(nn.MLP([2, 4, 2])) is None
    assert obstacle(nn.Sequential(nn.Linear(2, 4), nn.Dropout(0.0))) is None  # p=0: the identity
    model = nn.MLP([2, 4, 2])
    handle = model.layers[1].register_forward_hook(lambda m, i, out: None)
    assert obstacle(model) == "layer 'layers.1' (ReLU) has forward hooks, which a replayed step would not call"
    handle.remove()
    assert obstacle(model) is None
    assert obstacle(nn.Sequential(Noise(0), nn.Dropout(0.5)), trust_outside=True).startswith("layer '1' (Dropout)")


LOSSES = {
    "tanh-sigmoid": (
        lambda: nn.Sequential(
            nn.Linear(2, 16, seed=0), nn.Tanh(), nn.Linear(16, 8, seed=2), nn.Sigmoid(), nn.Linear(8, 2, seed=1)
        ),
        y,
        F.cross_entropy,
    ),
    "leaky-module-loss": (
        lambda: nn.Sequential(nn.Linear(2, 16, seed=0), nn.LeakyReLU(0.1), nn.Linear(16, 2, seed=1)),
        y,
        nn.CrossEntropyLoss(),
    ),
    "layernorm-gelu": (
        lambda: nn.Sequential(nn.Linear(2, 16, seed=0), nn.LayerNorm(16), nn.GELU(), nn.Linear(16, 2, seed=1)),
        y,
        F.cross_entropy,
    ),
    "mse": (lambda: nn.MLP([2, 16, 1], seed=0), y.astype(float)[:, None], F.mse_loss),
    "bce-logits": (lambda: nn.MLP([2, 16, 1], seed=0), y.astype(float)[:, None], F.binary_cross_entropy_with_logits),
    "label-smoothing": (lambda: nn.MLP([2, 16, 2], seed=0), y, nn.CrossEntropyLoss(label_smoothing=0.1)),
}


@pytest.mark.parametrize("case", sorted(LOSSES))
def test_whatever_fit_chooses_the_training_is_that_of_define_by_run(case, capfd):
    make, targets, loss_fn = LOSSES[case]
    runs = []
    for compile in ("auto", False):
        model = make()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            history = nn.fit(
                model,
                loss_fn,
                nn.optim.Adam(model.parameters(), lr=0.01),
                X,
                targets,
                epochs=3,
                progress=False,
                compile=compile,
            )
        runs.append((model, history))
    # GELU's and label smoothing's numpy-made masks and indices are what ag.compile declines (today)
    expected = ("compiled", "define-by-run") if case in ("layernorm-gelu", "label-smoothing") else ("compiled",)
    assert runs[0][1].step in expected and capfd.readouterr().err == ""
    assert_same_training(*runs)


def test_the_history_says_compiled_only_once_a_step_was_replayed():
    def run(epochs):
        model = nn.MLP([2, 8, 2], seed=0)
        opt = nn.optim.SGD(model.parameters(), lr=0.1)
        return nn.fit(model, F.cross_entropy, opt, X[:32], y[:32], epochs=epochs, batch_size=32, progress=False)

    two = run(2)  # one batch an epoch: both steps are ag.compile's traces
    assert (two.step, two.step_reason) == (
        "define-by-run",
        "every step was one of ag.compile's tracing calls (the first two of each batch size)",
    )
    assert run(3).step == "compiled"  # the third step is a replay
    with ag.detect_anomaly():  # ag.compile runs fn itself then
        anomaly = run(3)
    assert (anomaly.step, anomaly.step_reason) == (
        "define-by-run",
        "ag.compile ran every step define-by-run (under detect_anomaly() or no_grad())",
    )


def test_a_compiled_run_that_blows_up_stops_where_and_as_define_by_run_does():
    outcomes = []
    for compile in ("auto", False):
        model = nn.MLP([2, 16, 2], seed=0)
        opt = nn.optim.SGD(model.parameters(), lr=1e150)  # overflows within a few steps
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # numpy's overflow warnings on the way
            with pytest.raises(FloatingPointError) as caught:
                nn.fit(
                    model, F.cross_entropy, opt, X, y, epochs=3, progress=False, divergence_factor=None, compile=compile
                )
        outcomes.append((str(caught.value), model.state_dict(), caught.value.history))
    (message, weights, history), (eager_message, eager_weights, eager_history) = outcomes
    assert message == eager_message and "at epoch 1/3, step" in message  # the same step, the same words
    assert history.step == "compiled" and eager_history.step == "define-by-run"
    for name in weights:
        np.testing.assert_array_equal(weights[name], eager_weights[name], err_msg=name)  # the last good step's


def test_batches_that_repeat_without_shuffling_are_replayed(compiled_functions):
    # full-batch gradient descent: the same rows every step, sliced afresh; ag.compile keeps its plan for
    # a new array with the bytes of the one pinned between its two traces
    full = train("mlp", "auto", batch_size=len(X), shuffle=False)
    assert full[1].step == "compiled"
    assert [(c.trace_count, c.replay_count) for c in compiled_functions] == [(2, 2)]
    assert_same_training(full, train("mlp", False, batch_size=len(X), shuffle=False))
    compiled_functions.clear()
    unshuffled = train("mlp", "auto", shuffle=False)  # four batches of 32, then the same 22 rows every epoch
    assert [(c.trace_count, c.replay_count) for c in compiled_functions] == [(2, 14), (2, 2)]
    assert_same_training(unshuffled, train("mlp", False, shuffle=False))
