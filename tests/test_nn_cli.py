"""`python -m nn.train`: the README's demo command, run as a real subprocess."""

import json
import os
import subprocess
import sys
import types

import numpy as np
import pytest

import nn
from nn import train

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run(*args, cwd=REPO):
    return subprocess.run(
        [sys.executable, "-m", "nn.train", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_two_epochs_write_model_history_and_curves(tmp_path):
    out = tmp_path / "run"
    result = run("--epochs", "2", "--out", str(out), "--no-progress")
    assert result.returncode == 0, result.stderr
    assert sorted(os.listdir(out)) == [
        "checkpoint.npz",
        "curves.png",
        "graph.svg",
        "history.json",
        "model.npz",
        "run.json",
    ]
    history = json.loads((out / "history.json").read_text())
    assert history["epochs_run"] == 2 and len(history["train_loss"]) == 2 and len(history["val_acc"]) == 2
    record = json.loads((out / "run.json").read_text())
    assert record["status"] == "completed" and record["files"] == [
        "model.npz",
        "history.json",
        "curves.png",
        "graph.svg",
        "checkpoint.npz",
        "run.json",
    ]
    assert record["command"] == ["python", "-m", "nn.train", "--epochs", "2", "--out", str(out), "--no-progress"]
    assert record["settings"]["epochs"] == 2 and record["settings"]["lr"] == 0.001 and record["seed"] == 0
    assert record["metrics"]["epochs_run"] == 2 and record["metrics"]["val_loss"] == history["val_loss"][-1]
    test_accuracy = record["metrics"]["test_accuracy"]
    assert f"test accuracy: {test_accuracy:.4f}" in result.stdout
    assert test_accuracy > 0.8  # two epochs already learn most digits
    model = nn.load(nn.MLP(record["settings"]["sizes"]), out / "model.npz")
    assert [p.shape[0] for p in model.parameters()][::2] == [256, 128, 10]
    assert (out / "curves.png").read_bytes()[:8] == PNG_SIGNATURE
    assert result.stderr == ""  # no progress bar, no warnings


def test_moons_run_and_default_out_folder(tmp_path):
    result = run(
        "--dataset", "moons", "--hidden", "8", "--epochs", "3", "--optimizer", "sgd", "--no-progress", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    (run_folder,) = os.listdir(tmp_path / "runs")  # runs/<timestamp>
    assert sorted(os.listdir(tmp_path / "runs" / run_folder)) == [
        "checkpoint.npz",
        "curves.png",
        "graph.svg",
        "history.json",
        "model.npz",
        "run.json",
    ]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--epochs", "0"], "--epochs must be >= 1, got 0"),
        (["--hidden", "64", "0"], "--hidden sizes must be >= 1, got [64, 0]"),
        (["--lr", "-1"], "--lr must be a finite number > 0, got -1.0"),
        (["--dataset", "cifar"], "invalid choice: 'cifar'"),
        (["--threads", "-1"], "--threads must be >= 0, got -1"),
    ],
)
def test_bad_flags_exit_with_a_usage_error(args, message, capsys):
    with pytest.raises(SystemExit) as caught:
        train.parse_args(args)
    assert caught.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    "args, message",
    [
        (["--lr", "inf"], "--lr must be a finite number > 0, got inf"),
        (["--lr", "nan"], "--lr must be a finite number > 0, got nan"),
        (["--weight-decay", "inf"], "--weight-decay must be a finite number >= 0, got inf"),
        (["--seed", "-1"], "--seed must be >= 0, got -1"),
        (["--patience", "-3"], "--patience must be >= 0, got -3"),
        (["--threads", "1" + "0" * 30], "--threads must be at most 4096 (0: numpy's default), got 1" + "0" * 30),
        (
            ["--hidden", "2000000000"],
            "--hidden 2000000000 with --batch-size 32 needs about 8.05 TB (weights, gradients, "
            "optimizer state, activations) and this machine has",
        ),
        (["--out", "missing/run"], "--out 'missing/run': its parent '{tmp}/missing' does not exist"),
        (["--out", "a_file"], "--out 'a_file' is an existing file, not a folder"),
        (["--out", "a_file/run"], "--out 'a_file/run': its parent '{tmp}/a_file' is not a folder"),
        (["--out", "/proc/run"], "--out '/proc/run': cannot create it"),  # even root cannot create these
        (["--out", "/proc"], "--out '/proc': cannot write there"),
        (["--out", "old_run"], "--out 'old_run' already holds a run (run.json); choose a new folder"),
    ],
)
def test_impossible_settings_and_out_folders_are_usage_errors_that_write_nothing(
    args, message, tmp_path, capsys, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a_file").write_text("mine")
    (tmp_path / "old_run").mkdir()
    (tmp_path / "old_run" / "run.json").write_text("{}")
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    with pytest.raises(SystemExit) as caught:
        train.parse_args(args)
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert f"python -m nn.train: error: {message.format(tmp=tmp_path)}" in err and err.count("\n") == 2  # usage + error
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before
    assert (tmp_path / "a_file").read_text() == "mine" and (tmp_path / "old_run" / "run.json").read_text() == "{}"


def test_an_existing_empty_folder_or_a_new_child_of_one_is_a_fine_out(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty").mkdir()
    for out in ("empty", "new", str(tmp_path / "empty" / "new")):
        assert train.parse_args(["--out", out]).out == out
    assert sorted(os.listdir(tmp_path)) == ["empty"] and os.listdir(tmp_path / "empty") == []  # probes left nothing


def test_curves_go_through_viz_plot_history_when_it_exists(tmp_path, monkeypatch):
    calls = []
    fake = types.ModuleType("viz")
    fake.plot_history = lambda history, path: calls.append((history, path)) or path
    monkeypatch.setitem(sys.modules, "viz", fake)
    history = nn.History.from_dict({"train_loss": [1.0]})
    assert train.plot_curves(history, tmp_path / "c.png") == tmp_path / "c.png"
    assert calls == [(history, tmp_path / "c.png")]


def test_nn_does_not_import_viz_at_load():
    code = "import sys, nn, nn.train; print('viz' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "False", result.stderr


def test_load_data_standardises_with_training_statistics_only():
    (X_train, _y_train), (X_val, _y_val), (X_test, _y_test) = train.load_data("digits", seed=0)
    assert len(X_train) + len(X_val) + len(X_test) == 1797
    np.testing.assert_allclose(X_train.mean(0), 0, atol=1e-12)
    assert abs(X_test.mean()) > 1e-6  # the test rows were not used to fit the scaling


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy's overflow warnings on the way to the NaN
def test_a_diverging_run_is_a_one_line_error_not_a_traceback(tmp_path, capsys):
    code = train.main(
        [
            "--dataset",
            "moons",
            "--hidden",
            "8",
            "--optimizer",
            "sgd",
            "--lr",
            "1e300",
            "--epochs",
            "2",
            "--out",
            str(tmp_path / "run"),
            "--no-progress",
        ]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("error: fit: the loss became nan at epoch 1/2, step ") and "lower learning rate" in err
    assert err.endswith(f"wrote model.npz, history.json, run.json to {tmp_path / 'run'} (status failed)\n")
    assert err.count("\n") == 1
    # A failed run leaves no empty folder: it says how it failed, with the last good step's model.
    record = json.loads((tmp_path / "run" / "run.json").read_text())
    assert record["status"] == "failed" and record["error"].startswith("fit: the loss became nan")
    assert record["metrics"]["epochs_run"] == 0 and sorted(os.listdir(tmp_path / "run")) == [
        "history.json",
        "model.npz",
        "run.json",
    ]


def test_a_warning_during_a_command_is_one_line_and_python_s_display_comes_back(tmp_path, capsys):
    import warnings

    shown = warnings.showwarning
    args = ["--dataset", "moons", "--hidden", "8", "--lr", "1000", "--epochs", "3", "--no-progress"]
    assert train.main([*args, "--out", str(tmp_path / "run")]) == 0
    err = capsys.readouterr().err
    # fit's divergence warning, as a line: not Python's "path/train.py:262: RuntimeWarning:" and source line
    assert err.startswith("warning: fit: training diverged at epoch 1/3") and err.count("\n") == 1
    assert ".py:" not in err and "history = fit(" not in err and "encountered in" not in err  # numpy's: left out
    assert warnings.showwarning is shown


def test_runs_in_the_same_second_get_their_own_folders(tmp_path, monkeypatch):
    """The default runs/<timestamp> was shared by two runs of one second: the second overwrote the first."""

    class FrozenClock(train.datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return cls(2026, 1, 2, 3, 4, 5)

    monkeypatch.setattr(train.datetime, "datetime", FrozenClock)
    monkeypatch.chdir(tmp_path)
    for seed in ("0", "1"):
        assert (
            train.main(["--dataset", "moons", "--hidden", "4", "--epochs", "1", "--seed", seed, "--no-progress"]) == 0
        )
    assert sorted(os.listdir(tmp_path / "runs")) == ["20260102-030405", "20260102-030405-2"]
    seeds = [
        json.loads((tmp_path / "runs" / f / "run.json").read_text())["seed"]
        for f in ("20260102-030405", "20260102-030405-2")
    ]
    assert seeds == [0, 1]
