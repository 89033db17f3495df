"""Workload (f): the full ``python -m nn.train`` run on digits — wall time, and whether it reaches 97%.

Runs the command exactly as a user would (its defaults), in a fresh process from a
temporary folder so its run folder lands there, with the progress bar off when the
command offers ``--no-progress``. The figure is the wall time of the whole command
(start-up, training, evaluation, writing the run folder); the check is the test
accuracy it prints (``test accuracy: 0.97..`` or a percentage), which must be >= 97%.
Without an ``nn/train.py`` the row says missing.
"""

import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import time

from .workers import REPO_ROOT, worker_environment

TARGET_ACCURACY = 0.97
TIMEOUT_SECONDS = 600
_ACCURACY = re.compile(r"test accuracy\s*[:=]\s*([0-9.]+)\s*(%?)", re.IGNORECASE)


def parse_accuracy(output):
    """The last 'test accuracy: x' in ``output`` as a fraction, or None.

    >>> parse_accuracy("epoch 3\\ntest accuracy: 97.5%")
    0.975
    """
    found = _ACCURACY.findall(output)
    if not found:
        return None
    value, percent = found[-1]
    return float(value) / 100 if percent or float(value) > 1 else float(value)


def run_epoch_seconds(folder):
    """{"epoch_s_wall": ..., "epochs": ...} from the run.json the command wrote under ``folder``
    (its own wall-clock training time over its epochs), or {} when there is none."""
    for path in sorted(glob.glob(os.path.join(folder, "runs", "*", "run.json"))):
        try:
            with open(path) as f:
                metrics = json.load(f).get("metrics") or {}
            return {"epoch_s_wall": metrics["train_seconds"] / metrics["epochs_run"], "epochs": metrics["epochs_run"]}
        except (OSError, ValueError, KeyError, TypeError, ZeroDivisionError):
            continue
    return {}


def run(settings):
    """One row: wall seconds of ``python -m nn.train`` and the accuracy it reached."""
    row = {
        "workload": "f",
        "case": "python -m nn.train (digits)",
        "engine": "autograd_core.nn",
        "unit": "s wall",
        "ratio_to": None,
    }
    if not os.path.exists(os.path.join(REPO_ROOT, "nn", "train.py")):
        return [dict(row, status="missing", detail="missing: nn/train.py does not exist yet")]
    env = worker_environment()
    command = [sys.executable, "-m", "nn.train"]
    with tempfile.TemporaryDirectory() as folder:
        help_text = subprocess.run(
            command + ["--help"], capture_output=True, text=True, cwd=folder, env=env, timeout=TIMEOUT_SECONDS
        ).stdout
        if "--no-progress" in help_text:
            command.append("--no-progress")
        start = time.perf_counter()
        try:
            done = subprocess.run(command, capture_output=True, text=True, cwd=folder, env=env, timeout=TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            return [dict(row, status="FAIL", detail=f"did not finish within {TIMEOUT_SECONDS} s")]
        seconds = time.perf_counter() - start
        row.update(run_epoch_seconds(folder))
    accuracy = parse_accuracy(done.stdout)
    row.update(command=" ".join(["python"] + command[1:]), median_s=seconds, value=seconds, accuracy=accuracy)
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        row.update(status="FAIL", detail=f"exit code {done.returncode}: {tail}")
    elif accuracy is None:
        row.update(status="FAIL", detail="no 'test accuracy: ...' line in its output")
    elif accuracy < TARGET_ACCURACY:
        row.update(status="FAIL", detail=f"test accuracy {accuracy:.2%} < {TARGET_ACCURACY:.0%}")
    else:
        row.update(status="ok", detail=f"test accuracy {accuracy:.2%}")
    return [row]
