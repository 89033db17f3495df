"""What nn.fit records and shows: gradient norms, learning rates, dead units, the progress bar, and
History's JSON round trip."""

import io
import json
import math

import numpy as np
import pytest
from fit_helpers import adam, moons

import nn
import nn.functional as F
from nn import optim
from nn.evaluation import dead_unit_fraction

# tiny matrices: one BLAS thread (the fixture in conftest.py says why)
pytestmark = pytest.mark.usefixtures("one_blas_thread")


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


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", ["C", "F", "strided", "0-d"])
def test_squared_norm_reads_any_layout_in_float64(dtype, layout):
    # fit's gradient norm and clip_grad_norm_ read nn.Linear's column-major gradients without a copy
    values = np.random.default_rng(0).normal(size=(7, 5)).astype(dtype)
    array = {
        "C": values,
        "F": np.asfortranarray(values),
        "strided": values[::2, 1::2],
        "0-d": values[0, 0].reshape(()),
    }[layout]
    expected = float(np.sum(array.astype(np.float64) ** 2))
    assert nn.utils.squared_norm(array) == pytest.approx(expected, rel=1e-14)
