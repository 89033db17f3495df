"""python -m nn.train --resume: a run stopped after some epochs (or by SIGTERM) and resumed ends with exactly
the weights and history of an uninterrupted run."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

ENV = dict(os.environ, PYTHONPATH=os.pathsep.join([os.getcwd(), os.environ.get("PYTHONPATH", "")]))
BASE = ["--dataset", "moons", "--hidden", "8", "--lr", "0.01", "--patience", "3", "--no-progress", "--seed", "3"]


def train(*args):
    return subprocess.run(
        [sys.executable, "-m", "nn.train", *args], capture_output=True, text=True, env=ENV, timeout=300
    )


def same_run(a, b):
    with np.load(a / "model.npz") as x, np.load(b / "model.npz") as y:
        assert sorted(x.files) == sorted(y.files)
        for name in x.files:
            if name != "__model__":
                np.testing.assert_array_equal(x[name], y[name], err_msg=name)
    history_a, history_b = (json.loads((f / "history.json").read_text()) for f in (a, b))
    for key in ("train_loss", "val_loss", "val_acc", "best_epoch"):
        assert history_a[key] == history_b[key], key


@pytest.fixture(scope="module")
def whole(tmp_path_factory):
    folder = tmp_path_factory.mktemp("whole") / "run"
    done = train(*BASE, "--epochs", "8", "--out", str(folder))
    assert done.returncode == 0, done.stderr
    return folder


def test_three_epochs_then_resumed_to_eight_equal_eight(whole, tmp_path):
    part = tmp_path / "run"
    assert train(*BASE, "--epochs", "3", "--out", str(part)).returncode == 0
    done = train("--resume", str(part), "--epochs", "8", "--no-progress")
    assert done.returncode == 0, done.stderr
    same_run(whole, part)
    record = json.loads((part / "run.json").read_text())
    assert record["status"] == "completed" and record["resumed"] and record["settings"]["epochs"] == 8


def test_a_run_stopped_by_sigterm_resumes_to_the_same_weights(whole, tmp_path):
    part = tmp_path / "run"
    slow = [*BASE, "--epochs", "8", "--batch-size", "1", "--out", str(part)]  # ~0.3 s an epoch
    reference = tmp_path / "reference"
    assert train(*[a if a != str(part) else str(reference) for a in slow]).returncode == 0
    process = subprocess.Popen(
        [sys.executable, "-m", "nn.train", *slow], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV
    )
    deadline = time.monotonic() + 120
    while not (part / "checkpoint.npz").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 143, stderr
    record = json.loads((part / "run.json").read_text())
    assert record["status"] == "interrupted" and record["metrics"]["epochs_run"] < 8
    done = train("--resume", str(part), "--no-progress")
    assert done.returncode == 0, done.stderr
    same_run(reference, part)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--resume", "{missing}"], "no readable run.json of a run"),
        (["--resume", "{run}", "--lr", "0.1"], "--resume continues a run with its own settings; drop --lr"),
        (["--resume", "{run}", "--epochs", "0"], "--epochs must be >= 1"),
    ],
)
def test_resume_usage_errors(whole, tmp_path, args, message):
    args = [a.format(missing=tmp_path / "nothing", run=whole) for a in args]
    done = train(*args)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("damage", ["not a zip file", "cut short"])
def test_a_damaged_checkpoint_is_one_line_and_leaves_the_run_record_alone(whole, tmp_path, damage):
    run = tmp_path / "run"
    run.mkdir()
    for name in ("run.json", "checkpoint.npz"):
        (run / name).write_bytes((whole / name).read_bytes())
    checkpoint = run / "checkpoint.npz"
    checkpoint.write_bytes(b"junk" if damage == "not a zip file" else checkpoint.read_bytes()[:3000])
    record = (run / "run.json").read_text()
    done = train("--resume", str(run), "--epochs", "9")
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "checkpoint.npz is damaged" in done.stderr and "start the run again" in done.stderr
    assert (run / "run.json").read_text() == record  # still "completed", not rewritten as "failed"


def test_a_checkpoint_that_does_not_fit_the_runs_settings_is_one_line(whole, tmp_path):
    # run.json edited (or a checkpoint.npz copied from another run): fit raised a traceback and the
    # run was rewritten as "failed".
    run = tmp_path / "run"
    run.mkdir()
    (run / "checkpoint.npz").write_bytes((whole / "checkpoint.npz").read_bytes())
    record = json.loads((whole / "run.json").read_text())
    record["settings"]["hidden"] = [5]
    (run / "run.json").write_text(json.dumps(record))
    before = (run / "run.json").read_text()
    done = train("--resume", str(run), "--epochs", "9")
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "does not fit" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert (run / "run.json").read_text() == before


def _edit_checkpoint(path, edit):
    with np.load(path) as saved:
        arrays = dict(saved)
    meta = json.loads(arrays["meta"].tobytes())
    edit(arrays, meta)
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(path, **arrays)


def _rename_adam_buffers(arrays, meta):  # as if saved by SGD with momentum, under Adam's settings
    for key in [k for k in arrays if k.endswith("/exp_avg")]:
        arrays[key.replace("/exp_avg", "/momentum_buffer")] = arrays.pop(key)


@pytest.mark.parametrize(
    "edit, message",
    [
        (
            _rename_adam_buffers,
            "holds ['exp_avg_sq', 'momentum_buffer', 'step'], expected ['exp_avg', 'exp_avg_sq', 'step']",
        ),
        (lambda a, meta: meta["optimizer"].update(step_count=-3), "step_count must be a whole number >= 0"),
        (lambda a, meta: meta.update(optimizer=[1]), "its optimizer state is a list"),
        (lambda a, meta: meta["training"].update(epochs_done=99), "epochs, its counter 99"),
        (lambda a, meta: meta.update(loader={"generator": 5}), "not a numpy PCG64 generator state"),
        (lambda a, meta: a.update({"training/layers.0.bias": np.ones(3)}), "layers.0.bias: (3,) saved, (8,) here"),
    ],
)
def test_a_training_state_that_does_not_fit_is_one_line_before_anything_changes(whole, tmp_path, edit, message):
    # Each loaded in the pre-check (or was not checked there) and then raised a traceback from nn.fit,
    # after run.json had been rewritten as "failed".
    run = tmp_path / "run"
    run.mkdir()
    for name in ("run.json", "checkpoint.npz"):
        (run / name).write_bytes((whole / name).read_bytes())
    _edit_checkpoint(run / "checkpoint.npz", edit)
    before = (run / "run.json").read_text()
    done = train("--resume", str(run), "--epochs", "9")
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and message in done.stderr, done.stderr
    assert "start a new run" in done.stderr.lower()
    assert (run / "run.json").read_text() == before


def test_resuming_after_the_data_file_changed_is_refused(tmp_path):
    # It resumed silently on the new rows, with another split: not the run run.json describes.
    import nn

    X, y = nn.datasets.make_moons(60, noise=0.1, seed=0)
    data = tmp_path / "moons.csv"
    data.write_text("a,b,y\n" + "".join(f"{a},{b},{c}\n" for (a, b), c in zip(X, y)))
    run = tmp_path / "run"
    flags = ["--hidden", "4", "--no-progress", "--out", str(run)]
    assert train("--data", str(data), "--target", "y", "--epochs", "2", *flags).returncode == 0
    assert json.loads((run / "run.json").read_text())["data_sha256"]
    assert train("--resume", str(run), "--epochs", "3", "--no-progress").returncode == 0  # unchanged: resumes
    with data.open("a") as f:
        f.write("0.5,0.5,1\n")
    before = (run / "run.json").read_text()
    done = train("--resume", str(run), "--epochs", "4", "--no-progress")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "moons.csv has changed since the run started" in done.stderr
    assert (run / "run.json").read_text() == before
