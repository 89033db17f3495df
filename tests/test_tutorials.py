"""Every tutorial runs (so it can never rot): its assertions compare autodiff with the
hand-derived formulas, and every image its text shows must be written by the run."""

import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TUTORIALS = os.path.join(ROOT, "docs", "tutorials")
NAMES = sorted(n for n in os.listdir(TUTORIALS) if re.match(r"\d\d-.*\.md$", n))


def test_there_are_tutorials():
    assert len(NAMES) >= 8, NAMES


@pytest.mark.parametrize("name", NAMES)
def test_tutorial_runs_and_writes_its_images(name, tmp_path):
    # A fresh process per tutorial: a tutorial that registers a primitive must not leak it.
    result = subprocess.run(
        [sys.executable, os.path.join(TUTORIALS, "run.py"), name[:2], "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert f"ok  {name}" in result.stdout
    with open(os.path.join(TUTORIALS, name), encoding="utf-8") as f:
        text = f.read()
    for image in re.findall(r"!\[[^\]]*\]\((images/[^)]+)\)", text):
        path = tmp_path / image
        assert path.stat().st_size > 1000, f"{image} is missing or empty"
    for quote in QUOTED.get(name[:2], ()):  # figures the prose quotes from a seeded (deterministic) run
        assert quote(result.stdout) in " ".join(text.split()), (
            f"{name}'s prose no longer quotes {quote(result.stdout)!r}"
        )


def _constant_rate_run(stdout):
    """Tutorial 6's per-sample SGD at a constant rate: its prose quotes the five training losses."""
    loss, losses = re.search(
        r"constant η = 0.05 .*validation loss ([\d.]+).*\n.*training loss per epoch: (.*)", stdout
    ).groups()
    return f"({', '.join(losses.split())} over five epochs) and the validation loss ends at {float(loss):.1f}."


QUOTED = {"06": [_constant_rate_run]}
