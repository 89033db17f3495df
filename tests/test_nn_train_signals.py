"""`python -m nn.train` stopped by real signals (SIGINT, SIGTERM, SIGKILL) in real subprocesses."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import nn

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LONG_RUN = ["--dataset", "moons", "--hidden", "16", "--epochs", "100000", "--patience", "0", "--no-progress"]


def start_training(out, *extra):
    return subprocess.Popen(
        [sys.executable, "-m", "nn.train", *LONG_RUN, *extra, "--out", str(out)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONFAULTHANDLER="1"),  # SIGABRT then prints where each thread was
    )


def finish(process, timeout=120):
    """The run's (stdout, stderr) once it exits; if it has not within ``timeout`` s of the signal, the
    test fails with every thread's Python stack (faulthandler, on SIGABRT), to show where it stood."""
    try:
        return process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGABRT)
        _, stderr = process.communicate(timeout=60)
        pytest.fail(f"nn.train did not exit within {timeout} s of the signal; where it stood:\n{stderr[-6000:]}")


def wait_until_training(process, out, epochs_wanted=0.5):
    """Until run.json says "running" and the first epoch's checkpoint is written (so at least one epoch
    is done, however loaded the machine), then a little longer so more complete (moons: ~20 ms each)."""
    deadline = time.monotonic() + 120
    while not (out / "checkpoint.npz").exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "training never finished an epoch"
        time.sleep(0.05)
    assert json.loads((out / "run.json").read_text())["status"] == "running"
    time.sleep(epochs_wanted)


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_saves_the_run_marks_it_interrupted_and_exits_128_plus_the_signal(tmp_path, signum, code):
    out = tmp_path / "run"
    process = start_training(out)
    wait_until_training(process, out, epochs_wanted=1.0)
    process.send_signal(signum)
    _stdout, stderr = finish(process)
    assert process.returncode == code, stderr
    name = signal.Signals(signum).name
    assert "Traceback" not in stderr and stderr.count("\n") == 1, stderr
    assert stderr.startswith(f"interrupted by {name} after ") and stderr.endswith(
        f"wrote model.npz, history.json, curves.png, graph.svg, checkpoint.npz, run.json to {out} "
        "(status interrupted)\n"
    )
    record = json.loads((out / "run.json").read_text())
    history = nn.History.from_json(out / "history.json")
    assert record["status"] == "interrupted" and record["finished"] is not None
    assert history.stopped_reason == "interrupted" and history.epochs_run >= 1
    assert record["metrics"]["epochs_run"] == history.epochs_run and f"after {history.epochs_run} epochs" in stderr
    assert sorted(os.listdir(out)) == [
        "checkpoint.npz",
        "curves.png",
        "graph.svg",
        "history.json",
        "model.npz",
        "run.json",
    ]  # no temp files
    model = nn.load(nn.MLP(record["settings"]["sizes"]), out / "model.npz")
    assert all(np.isfinite(p.data).all() for p in model.parameters())


def test_an_interrupted_run_with_early_stopping_saves_the_best_epochs_model(tmp_path):
    out = tmp_path / "run"
    process = start_training(out, "--patience", "100000", "--lr", "0.05")
    wait_until_training(process, out, epochs_wanted=1.5)
    process.send_signal(signal.SIGINT)
    _, stderr = finish(process)
    assert process.returncode == 130, stderr
    history = nn.History.from_json(out / "history.json")
    record = json.loads((out / "run.json").read_text())
    # The saved model is the best epoch's: its validation loss is the best one recorded.
    from nn.train import load_data

    _, (X_val, y_val), _ = load_data("moons", 0)
    model = nn.load(nn.MLP(record["settings"]["sizes"]), out / "model.npz")
    val_loss, _ = nn.evaluate(model, nn.functional.cross_entropy, X_val, y_val)
    assert val_loss == pytest.approx(min(history.val_loss), rel=1e-9)


def test_a_run_killed_with_sigkill_is_recognisably_incomplete(tmp_path):
    out = tmp_path / "run"
    process = start_training(out)
    wait_until_training(process, out)
    process.kill()
    process.communicate(timeout=60)
    record = json.loads((out / "run.json").read_text())
    assert record["status"] == "running" and record["finished"] is None and record["pid"] == process.pid
    assert record["metrics"] is None


def test_an_interrupt_before_fit_has_a_history_still_saves_an_interrupted_run(tmp_path, monkeypatch, capsys):
    from nn import train
    from nn.runs import Interrupted

    def interrupted_fit(*args, **kwargs):  # as if Ctrl-C came while fit was still checking its input
        raise Interrupted(signal.SIGINT)

    monkeypatch.setattr(train, "fit", interrupted_fit)
    out = tmp_path / "run"
    assert train.main(["--dataset", "moons", "--hidden", "4", "--out", str(out), "--no-progress"]) == 130
    assert capsys.readouterr().err == (
        f"interrupted by SIGINT after 0 epochs; wrote model.npz, history.json, run.json to {out} (status interrupted)\n"
    )
    record = json.loads((out / "run.json").read_text())
    assert record["status"] == "interrupted" and record["metrics"]["epochs_run"] == 0
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # main put the handlers back


def test_an_unexpected_error_marks_the_run_failed_and_is_not_hidden(tmp_path, monkeypatch):
    from nn import train

    def broken_fit(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(train, "fit", broken_fit)
    out = tmp_path / "run"
    with pytest.raises(RuntimeError, match="a bug"):
        train.main(["--dataset", "moons", "--hidden", "4", "--out", str(out), "--no-progress"])
    record = json.loads((out / "run.json").read_text())
    assert record["status"] == "failed" and record["error"] == "RuntimeError: a bug" and record["finished"]
