"""nn.fit, nn.evaluate, nn.grid_search and History: learning, stopping, NaN handling, input checks."""

import io
import json
import math

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from nn import datasets, optim
from nn.evaluation import dead_unit_fraction


@pytest.fixture(autouse=True, scope="module")
def one_blas_thread():
    """These tiny matrices gain nothing from BLAS threads, and OpenBLAS's spin-waiting threads slow
    down tenfold when the cores are shared (as with pytest -n or other jobs): use one."""
    from nn.train import blas_threads

    with blas_threads(1):
        yield


class EpochSpy:
    """Passed as ``scheduler``: fit calls ``step()`` after each epoch, so it sees each epoch's weights."""

    def __init__(self, model):
        self.model, self.states = model, []

    def step(self):
        self.states.append(self.model.state_dict())


def moons(seed=0, n=400):
    return datasets.make_moons(n, noise=0.1, seed=seed)


def adam(model, lr=0.01):
    return optim.Adam(model.parameters(), lr=lr)


# ---------------------------------------------------------------------------------- learning
def test_fit_on_moons_reaches_95_percent_validation_accuracy():
    X, y = moons(0)
    X_val, y_val = moons(1, 200)
    model = nn.MLP([2, 16, 16, 2], seed=0)
    history = nn.fit(
        model, F.cross_entropy, adam(model), X, y, epochs=40, batch_size=32, validation=(X_val, y_val), progress=False
    )
    assert history.val_acc[-1] >= 0.95
    assert history.train_loss[-1] < history.train_loss[0] / 3
    assert history.stopped_reason == "completed" and history.epochs_run == 40
    assert nn.evaluate(model, F.cross_entropy, X_val, y_val)[1] == pytest.approx(history.val_acc[-1])


def test_digits_mlp_64_64_10_reaches_95_percent_test_accuracy():
    X, y = datasets.load_digits()
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, test_size=0.2, seed=0)
    X_train, X_test = datasets.standardize(X_train, X_test)
    model = nn.MLP([64, 64, 10], seed=0)
    nn.fit(
        model,
        F.cross_entropy,
        optim.Adam(model.parameters(), lr=3e-3),
        X_train,
        y_train,
        epochs=12,
        batch_size=32,
        progress=False,
    )
    _test_loss, test_acc = nn.evaluate(model, F.cross_entropy, X_test, y_test)
    assert test_acc >= 0.95


def test_binary_logits_regression_and_one_hot_accuracy_rules():
    X, y = moons(2, 200)
    model = nn.MLP([2, 16, 1], seed=0)
    history = nn.fit(
        model,
        F.binary_cross_entropy_with_logits,
        adam(model, 0.03),
        X,
        y[:, None].astype(float),
        epochs=30,
        progress=False,
    )
    assert history.train_acc[-1] >= 0.9
    probs = nn.MLP([2, 16, 1], output_activation="sigmoid", seed=0)
    history = nn.fit(
        probs, F.binary_cross_entropy, adam(probs, 0.03), X, y[:, None].astype(float), epochs=30, progress=False
    )
    assert history.train_acc[-1] >= 0.9
    one_hot = nn.MLP([2, 16, 2], seed=0)
    history = nn.fit(one_hot, F.cross_entropy, adam(one_hot, 0.03), X, np.eye(2)[y], epochs=30, progress=False)
    assert history.train_acc[-1] >= 0.9
    regression = nn.MLP([2, 8, 1], seed=0)
    history = nn.fit(regression, F.mse_loss, adam(regression), X, X[:, :1] ** 2, epochs=3, progress=False)
    assert history.train_acc == [] and history.val_acc == [] and len(history.train_loss) == 3


def test_float32_models_train_in_float32():
    X, y = moons(0, 200)
    model = nn.MLP([2, 16, 2], seed=0, dtype=np.float32)
    history = nn.fit(
        model, F.cross_entropy, adam(model, 0.03), X, y, epochs=20, validation=moons(1, 100), progress=False
    )
    assert all(p.dtype == np.float32 and p.grad.dtype == np.float32 for p in model.parameters())
    assert history.val_acc[-1] >= 0.9


def test_same_seed_same_history_other_seed_other_order():
    X, y = moons(0, 100)
    runs = []
    for seed in (0, 0, 1):
        model = nn.MLP([2, 8, 2], seed=0)
        runs.append(nn.fit(model, F.cross_entropy, adam(model), X, y, epochs=3, seed=seed, progress=False).train_loss)
    assert runs[0] == runs[1] and runs[0] != runs[2]
    assert all(type(v) is float for v in runs[0])


def test_history_records_gradient_norm_and_learning_rate():
    """One full batch, no shuffle: the first epoch's gradient norm is that of the initial weights."""
    X, y = moons(0, 64)
    model = nn.MLP([2, 8, 2], seed=0)
    reference = nn.MLP([2, 8, 2], seed=0)
    F.cross_entropy(reference(X), y).backward()
    expected = math.sqrt(sum((p.grad**2).sum() for p in reference.parameters()))
    opt = optim.SGD(model.parameters(), lr=0.5)
    history = nn.fit(
        model,
        F.cross_entropy,
        opt,
        X,
        y,
        epochs=3,
        batch_size=64,
        shuffle=False,
        progress=False,
        scheduler=optim.StepDecay(opt, step_size=1, gamma=0.5),
    )
    assert history.grad_norm[0] == pytest.approx(expected, rel=1e-12)
    assert history.lr == [0.5, 0.25, 0.125]


def test_dead_relu_units_are_reported():
    X, y = moons(0, 100)
    model = nn.MLP([2, 8, 8, 2], seed=0)
    assert dead_unit_fraction(model, X) < 0.5
    model.layers[0].bias.data[:] = -1e3  # every first-layer unit is off for every input...
    assert dead_unit_fraction(model, X) == 1.0  # ...and the second layer sees only zeros: relu(0 + 0) = 0
    shallow = nn.MLP([2, 8, 2], seed=0)
    shallow.layers[0].bias.data[:4] = -1e3  # half the units dead: no gradient reaches them, they stay dead
    history = nn.fit(shallow, F.cross_entropy, adam(shallow), X, y, epochs=2, progress=False)
    assert history.dead_fraction == [0.5, 0.5]
    assert dead_unit_fraction(nn.MLP([2, 4, 2], activation="tanh"), X) is None


# ---------------------------------------------------------------------------------- stopping
def overfitting_setup():
    """Training pulls w towards 1 while the validation target wants 0: validation worsens every epoch."""
    model = nn.Sequential(nn.Linear(1, 1, bias=False, seed=0))
    model[0].weight.data[:] = 0.0
    X = np.ones((8, 1))
    return model, X, np.ones((8, 1)), (X, np.zeros((8, 1)))


def test_early_stopping_stops_and_restores_the_best_epochs_weights():
    model, X, y, validation = overfitting_setup()
    spy = EpochSpy(model)
    history = nn.fit(
        model,
        F.mse_loss,
        optim.SGD(model.parameters(), lr=0.05),
        X,
        y,
        epochs=50,
        batch_size=8,
        validation=validation,
        early_stopping=3,
        progress=False,
        scheduler=spy,
    )
    assert history.best_epoch == 0 == int(np.argmin(history.val_loss))
    assert history.stopped_reason == "early_stopping" and history.epochs_run == 4
    np.testing.assert_array_equal(model[0].weight.data, spy.states[0]["0.weight"])
    assert not np.array_equal(spy.states[-1]["0.weight"], spy.states[0]["0.weight"])


def test_early_stopping_restores_the_best_weights_when_training_completes():
    model, X, y, validation = overfitting_setup()
    spy = EpochSpy(model)
    history = nn.fit(
        model,
        F.mse_loss,
        optim.SGD(model.parameters(), lr=0.05),
        X,
        y,
        epochs=5,
        batch_size=8,
        validation=validation,
        early_stopping=100,
        progress=False,
        scheduler=spy,
    )
    assert history.stopped_reason == "completed" and history.best_epoch == 0
    np.testing.assert_array_equal(model[0].weight.data, spy.states[0]["0.weight"])


def test_without_early_stopping_the_last_weights_stay_and_best_epoch_is_recorded():
    model, X, y, validation = overfitting_setup()
    spy = EpochSpy(model)
    history = nn.fit(
        model,
        F.mse_loss,
        optim.SGD(model.parameters(), lr=0.05),
        X,
        y,
        epochs=5,
        batch_size=8,
        validation=validation,
        progress=False,
        scheduler=spy,
    )
    assert history.best_epoch == 0
    np.testing.assert_array_equal(model[0].weight.data, spy.states[-1]["0.weight"])


def test_tol_stops_when_the_loss_settles():
    X, y = moons(0, 100)
    model = nn.MLP([2, 8, 2], seed=0)
    history = nn.fit(model, F.cross_entropy, adam(model), X, y, epochs=500, tol=1e-3, progress=False)
    assert history.stopped_reason == "tol" and history.epochs_run < 500
    changes = np.abs(np.diff(history.train_loss))
    assert changes[-1] < 1e-3 and (changes[:-1] >= 1e-3).all()


# ---------------------------------------------------------------------------------- NaN / Inf
class PoisonedLoss:
    """Cross-entropy that turns NaN (or gives an infinite gradient) at one training call."""

    def __init__(self, model, bad_call, kind="loss"):
        self.model, self.bad_call, self.kind, self.calls, self.weights = model, bad_call, kind, 0, None

    def __call__(self, output, target):
        loss = F.cross_entropy(output, target)
        if not ag.is_grad_enabled():  # fit's checks and evaluation: leave alone
            return loss
        self.calls += 1
        if self.calls == self.bad_call:
            self.weights = self.model.state_dict()  # the weights this step started from
            if self.kind == "loss":
                return loss * float("nan")
            poisoned = output if self.kind == "grad" else self.model.layers[2].bias
            return loss + ((poisoned - poisoned.data) ** 0.5).sum()  # value unchanged, gradient inf at 0
        return loss


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy's own warnings about the poisoned step
@pytest.mark.parametrize(
    "kind, message",
    [
        (
            "loss",
            r"fit: the loss became nan at epoch 2/3, step 2/4; training stopped before this step's update and "
            r"the weights of the last good step are kept.*detect_anomaly",
        ),
        (
            "grad",
            r"fit: the gradients of 'layers.0.weight', 'layers.0.bias', 'layers.2.weight', 'layers.2.bias' have "
            r"NaN/Inf values at epoch 2/3, step 2/4",
        ),
        ("bias", r"fit: the gradient of 'layers.2.bias' has NaN/Inf values at epoch 2/3, step 2/4"),
    ],
)
def test_nan_stops_training_naming_epoch_and_step_and_keeps_the_last_good_weights(kind, message):
    X, y = moons(0, 64)
    model = nn.MLP([2, 8, 2], seed=0)
    loss_fn = PoisonedLoss(model, bad_call=6, kind=kind)  # 4 steps per epoch: epoch 2, step 2
    with pytest.raises(FloatingPointError, match=message) as caught:
        nn.fit(model, loss_fn, adam(model), X, y, epochs=3, batch_size=16, progress=False)
    for name, p in model.named_parameters():
        np.testing.assert_array_equal(p.data, loss_fn.weights[name])
        assert np.isfinite(p.data).all()
    history = caught.value.history
    assert history.epochs_run == 1 and history.stopped_reason.startswith("error: ")


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_diverging_sigmoid_model_with_bce_stops_at_its_epoch_and_step():
    """NaN probabilities from a diverged model must reach fit's NaN check, not be refused by
    binary_cross_entropy as 'not probabilities: apply sigmoid first' (they came out of a sigmoid)."""
    X, y = moons(0, 64)
    model = nn.MLP([2, 8, 1], output_activation="sigmoid", seed=0)
    with pytest.raises(FloatingPointError, match=r"fit: the loss became nan at epoch 1/3, step \d+/4"):
        nn.fit(
            model,
            F.binary_cross_entropy,
            optim.SGD(model.parameters(), lr=1e300),
            X,
            y[:, None].astype(float),
            epochs=3,
            batch_size=16,
            progress=False,
        )
    assert all(np.isfinite(p.data).all() for p in model.parameters())


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_parameters_outside_the_model_are_trained_and_checked_too():
    X, y = moons(0, 64)
    model = nn.MLP([2, 8, 2], seed=0)
    temperature = ag.Tensor(1.0, requires_grad=True, label="temperature")
    opt = optim.Adam([*model.parameters(), temperature], lr=0.01)
    nn.fit(model, lambda out, target: F.cross_entropy(out * temperature, target), opt, X, y, epochs=2, progress=False)
    assert temperature.item() != 1.0

    def poisoned(out, target):
        return F.cross_entropy(out, target) + ((temperature - temperature.data) ** 0.5)

    with pytest.raises(
        FloatingPointError, match=r"the gradient of 'temperature' has NaN/Inf values at epoch 1/2, step 1/2"
    ):
        nn.fit(model, poisoned, opt, X, y, epochs=2, progress=False)


def test_nan_with_early_stopping_restores_the_best_epoch():
    X, y = moons(0, 64)
    model = nn.MLP([2, 8, 2], seed=0)
    spy = EpochSpy(model)
    loss_fn = PoisonedLoss(model, bad_call=10)  # epoch 3, step 2: two epochs completed
    with pytest.raises(FloatingPointError, match=r"the best epoch's weights are restored") as caught:
        nn.fit(
            model,
            loss_fn,
            adam(model),
            X,
            y,
            epochs=5,
            batch_size=16,
            validation=moons(1, 32),
            early_stopping=5,
            progress=False,
            scheduler=spy,
        )
    history = caught.value.history
    assert history.epochs_run == 2 and history.best_epoch == int(np.argmin(history.val_loss))
    for name, p in model.named_parameters():
        np.testing.assert_array_equal(p.data, spy.states[history.best_epoch][name])
    # Not merely the last good step's weights (one step into epoch 3): the best epoch's were restored.
    assert not np.array_equal(model.layers[0].weight.data, loss_fn.weights["layers.0.weight"])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_nan_in_the_first_epoch_with_early_stopping_says_no_best_epoch_was_restored():
    """No epoch has finished, so there is no best epoch to restore: the message must not claim one."""
    X, y = moons(0, 64)
    model = nn.MLP([2, 8, 2], seed=0)
    loss_fn = PoisonedLoss(model, bad_call=2)  # epoch 1, step 2
    with pytest.raises(
        FloatingPointError,
        match=r"at epoch 1/5, step 2/4; .*the weights of the last good step are "
        r"kept",
    ) as caught:
        nn.fit(
            model,
            loss_fn,
            adam(model),
            X,
            y,
            epochs=5,
            batch_size=16,
            validation=moons(1, 32),
            early_stopping=2,
            progress=False,
        )
    assert "best epoch" not in str(caught.value) and caught.value.history.best_epoch is None
    for name, p in model.named_parameters():
        np.testing.assert_array_equal(p.data, loss_fn.weights[name])


# ---------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "change, error, message",
    [
        (
            lambda a: a.update(y=a["y"][:-1]),
            ValueError,
            r"fit: X has 64 rows but y has 63 \(shape \(63,\)\); they must",
        ),
        (
            lambda a: a.update(X=np.ones((64, 3))),
            ValueError,
            r"fit: the model cannot take X of shape \(64, 3\): Linear\(in_features=2, out_features=8\): .* expected 2",
        ),
        (
            lambda a: a.update(y=np.where(np.arange(64) == 5, 7, a["y"])),
            ValueError,
            r"fit \(y; the model has 2 outputs\): labels must be in 0\.\.1 for K=2 classes; found min 0, max 7, "
            r"first bad label 7 at index 5",
        ),
        (
            lambda a: a.update(X=np.where(np.arange(128).reshape(64, 2) == 9, np.nan, a["X"])),
            ValueError,
            r"fit: X contains 1 NaN/Inf values \(the first at index \(4, 1\)\)",
        ),
        (
            lambda a: a.update(validation=(a["X"], a["y"] + 2)),
            ValueError,
            r"fit \(y_val; the model has 2 outputs\): labels must be in 0\.\.1 .* first bad label 2 at index 0",
        ),
        (lambda a: a.update(validation=(a["X"],)), ValueError, r"fit: validation must be a pair \(X_val, y_val\)"),
        (
            lambda a: a.update(early_stopping=3),
            ValueError,
            r"fit: early_stopping watches the validation loss; pass validation=\(X_val, y_val\)",
        ),
        (lambda a: a.update(epochs=0), ValueError, r"fit: epochs must be a positive int, got 0"),
        (lambda a: a.update(batch_size=2.5), ValueError, r"fit: batch_size must be a positive int, got 2.5"),
        (lambda a: a.update(tol=-1), ValueError, r"fit: tol must be a positive number, got -1"),
        (
            lambda a: a.update(loss_fn=lambda o, t: F.cross_entropy(o, t, reduction="none")),
            ValueError,
            r"fit: loss_fn must return a one-element Tensor, got \(2,\); use reduction='mean'",
        ),
        (
            lambda a: a.update(loss_fn=F.mse_loss, y=np.ones(64)),
            ValueError,
            r"fit: loss_fn rejects the model's output \(shape \(2, 2\)\) against y "
            r".* input has shape \(2, 2\) but target has shape \(2,\)",
        ),
        (lambda a: a.update(accuracy="top5"), ValueError, r"fit: accuracy must be 'auto', None or a function"),
        (lambda a: a.update(X=np.array([["a", "b"]] * 64)), TypeError, r"fit: X and y must be numeric arrays"),
        (
            lambda a: a.update(optimizer=adam(nn.MLP([2, 8, 2]))),
            ValueError,
            r"fit: the optimizer holds none of the model's parameters \(was it built for another model\?\)",
        ),
    ],
)
def test_bad_input_raises_before_any_training(change, error, message):
    X, y = moons(0, 64)
    model = nn.MLP([2, 8, 2], seed=0)
    before = model.state_dict()
    args = dict(loss_fn=F.cross_entropy, X=X, y=y, epochs=2, optimizer=adam(model))
    change(args)
    with pytest.raises(error, match=message):
        nn.fit(model, progress=False, **args)
    for name, p in model.named_parameters():
        np.testing.assert_array_equal(p.data, before[name])


def test_evaluate_refuses_an_unknown_accuracy_rule():
    """A typo such as accuracy='top1' silently gave accuracy None."""
    X, y = moons(0, 16)
    model = nn.MLP([2, 4, 2], seed=0)
    with pytest.raises(ValueError, match=r"evaluate: accuracy must be 'auto', None or a function .* got 'top1'"):
        nn.evaluate(model, F.cross_entropy, X, y, accuracy="top1")
    assert nn.evaluate(model, F.cross_entropy, X, y, accuracy=None)[1] is None


# ---------------------------------------------------------------------------------- progress
class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_shows_only_on_a_terminal_and_progress_false_wins(monkeypatch, capsys):
    X, y = moons(0, 64)
    model = nn.MLP([2, 8, 2], seed=0)
    nn.fit(model, F.cross_entropy, adam(model), X, y, epochs=2, progress=True)  # pytest captures: not a TTY
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""
    terminal_out, terminal_err = FakeTerminal(), FakeTerminal()
    monkeypatch.setattr("sys.stdout", terminal_out)
    monkeypatch.setattr("sys.stderr", terminal_err)
    nn.fit(model, F.cross_entropy, adam(model), X, y, epochs=2, progress=False)
    assert terminal_err.getvalue() == ""
    nn.fit(model, F.cross_entropy, adam(model), X, y, epochs=2, validation=(X, y), progress=True)
    shown = terminal_err.getvalue()
    assert "fit" in shown and "2/2" in shown and "val_acc=" in shown and "loss=" in shown


# ---------------------------------------------------------------------------------- History
def test_history_json_round_trip(tmp_path):
    X, y = moons(0, 64)
    model = nn.MLP([2, 8, 2], seed=0)
    history = nn.fit(model, F.cross_entropy, adam(model), X, y, epochs=3, validation=moons(1, 32), progress=False)
    path = tmp_path / "history.json"
    text = history.to_json(path)
    data = json.loads(path.read_text())
    assert json.loads(text) == data == history.to_dict()
    assert data["epochs_run"] == 3 and len(data["val_acc"]) == 3 and data["stopped_reason"] == "completed"
    again = nn.History.from_json(path)
    assert again.train_loss == history.train_loss and again.best_epoch == history.best_epoch
    assert "epochs_run=3" in repr(again)
    history.val_loss[0] = float("nan")
    assert history.to_dict()["val_loss"][0] is None  # JSON has no NaN
    with pytest.raises(ValueError, match=r"History.from_dict: expected a dict with at least 'train_loss'"):
        nn.History.from_dict([1, 2])


# ---------------------------------------------------------------------------------- grid search
def test_grid_search_scores_every_setting_and_keeps_the_best():
    X, y = moons(0, 200)
    validation = moons(1, 100)

    def build(hidden, lr):
        model = nn.MLP([2, hidden, 2], seed=0)
        return model, F.cross_entropy, optim.Adam(model.parameters(), lr=lr)

    result = nn.grid_search(
        build, {"hidden": [1, 16], "lr": [0.03], "epochs": [2, 25]}, X, y, validation=validation, batch_size=32
    )
    assert [r["params"] for r in result.results] == [
        {"hidden": 1, "lr": 0.03, "epochs": 2},
        {"hidden": 1, "lr": 0.03, "epochs": 25},
        {"hidden": 16, "lr": 0.03, "epochs": 2},
        {"hidden": 16, "lr": 0.03, "epochs": 25},
    ]
    assert [r["history"].epochs_run for r in result.results] == [2, 25, 2, 25]  # "epochs" went to fit
    assert result.best_params == {"hidden": 16, "lr": 0.03, "epochs": 25}
    assert result.best_score == max(r["score"] for r in result.results) >= 0.95
    assert nn.evaluate(result.best_model, F.cross_entropy, *validation)[1] == result.best_score


def test_grid_search_errors():
    X, y = moons(0, 40)
    build = lambda hidden: (nn.MLP([2, hidden, 2]),)  # noqa: E731
    with pytest.raises(ValueError, match=r"grid_search: validation=\(X_val, y_val\) is required"):
        nn.grid_search(build, {"hidden": [2]}, X, y, validation=None)
    with pytest.raises(ValueError, match=r"grid_search: param_grid\['hidden'\] must be a non-empty list"):
        nn.grid_search(build, {"hidden": []}, X, y, validation=(X, y))
    with pytest.raises(
        TypeError,
        match=r"grid_search: build_fn\(\{'hidden': 2\}\) must return "
        r"\(model, loss_fn, optimizer\)",
    ):
        nn.grid_search(build, {"hidden": [2]}, X, y, validation=(X, y))
    with pytest.raises(TypeError, match=r"grid_search: unknown fit options \['patience'\]"):
        nn.grid_search(build, {"hidden": [2]}, X, y, validation=(X, y), patience=3)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_grid_search_goes_on_past_a_diverging_setting():
    """One learning rate too large must not throw away the other settings' training."""
    X, y = moons(0, 100)
    validation = moons(1, 50)

    def build(lr):
        model = nn.MLP([2, 8, 2], seed=0)
        return model, F.cross_entropy, optim.SGD(model.parameters(), lr=lr)

    result = nn.grid_search(build, {"lr": [1e300, 0.5]}, X, y, validation=validation, epochs=3)
    failed, trained = result.results
    assert failed["score"] == -math.inf and failed["error"].startswith("fit: the loss became nan at epoch 1/3")
    assert failed["history"].stopped_reason.startswith("error: ")
    assert trained["error"] is None and result.best_params == {"lr": 0.5}
    assert result.best_score == trained["score"] == nn.evaluate(result.best_model, F.cross_entropy, *validation)[1]
    with pytest.raises(
        FloatingPointError,
        match=r"grid_search: training diverged for every setting; the first "
        r"error: fit: the loss became nan",
    ):
        nn.grid_search(build, {"lr": [1e300, 1e301]}, X, y, validation=validation, epochs=2)
