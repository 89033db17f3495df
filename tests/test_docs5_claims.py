"""Claims the documentation makes that no other test measured: each test reads the doc's own
text (so an edit that breaks the claim fails here) and measures what the text says."""

import contextlib
import io
import os
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest

import autograd_core as ag
from autograd_core.compile import MAX_SIGNATURES

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _read(*parts):
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as f:
        return f.read()


def _python_blocks(text):
    return re.findall(r"^```python\n(.*?)^```", text, re.S | re.M)


def test_every_readme_python_block_runs_in_order_and_the_compile_sketch_replays(tmp_path, monkeypatch):
    # tests/test_readme.py runs the quick tour; this runs every block, so the ag.compile snippet of
    # the Performance section runs as written after it, without a CompileWarning, and replays.
    blocks = _python_blocks(_read("README.md"))
    (compile_block,) = [b for b in blocks if "step = ag.compile(" in b]
    monkeypatch.chdir(tmp_path)
    namespace = {}
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("error")  # a fallback to define-by-run would warn
        for number, block in enumerate(blocks, 1):
            exec(compile(block, f"README block {number}", "exec"), namespace)
    step = namespace["step"]
    assert "step.replay_count" in compile_block and step.replay_count > 0, step.replay_count


def test_the_readme_states_the_size_of_the_mlp_picture_it_ships():
    # "A 6-layer MLP with cross-entropy: ... now W × H px as PNG ([picture](docs/images/mlp-graph.png))"
    stated = re.search(
        r"now ([\d,]+) × ([\d,]+) px as PNG[^(]*\(\[picture\]\(docs/images/mlp-graph\.png\)", _read("README.md")
    )
    assert stated, "the README no longer states the MLP picture's size next to its link"
    with open(os.path.join(ROOT, "docs", "images", "mlp-graph.png"), "rb") as f:
        header = f.read(24)
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")
    assert (width, height) == tuple(int(v.replace(",", "")) for v in stated.groups())
    assert max(width, height) <= 4000  # "no picture exceeds 4,000 px on either side"


def test_compile_keeps_eight_signatures_and_forgets_the_oldest_first():
    # docs/compile.md: "up to 8 signatures per compiled function (`MAX_SIGNATURES` ...; the oldest is
    # forgotten first)".
    assert f"up to {MAX_SIGNATURES} signatures per compiled function" in _read("docs", "compile.md")
    w = ag.Tensor(np.ones(3), requires_grad=True)
    step = ag.compile(lambda X: (X @ w).tanh().sum())

    def call(rows):
        step(ag.Tensor(np.full((rows, 3), 0.1)))
        return step.trace_count, step.replay_count

    for rows in range(1, MAX_SIGNATURES + 1):
        call(rows)
        call(rows)  # the second trace makes the plan
    with pytest.warns(ag.CompileWarning, match=f"more than {MAX_SIGNATURES} signatures, so the oldest is forgotten"):
        call(MAX_SIGNATURES + 1)  # one signature more than are kept: rows=1 is dropped, said once
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        call(MAX_SIGNATURES + 1)
    traces, replays = call(2)  # still kept: replayed, no new trace
    assert (traces, replays) == (2 * (MAX_SIGNATURES + 1), 1)
    traces, replays = call(1)  # the oldest was forgotten: traced afresh
    assert (traces, replays) == (2 * (MAX_SIGNATURES + 1) + 1, 1)


def test_the_demo_prints_the_lines_the_readme_shows(tmp_path):
    # "The demo prints ...": the same three lines, only the measured numbers (and the folder) may differ.
    readme = _read("README.md")
    shown = re.search(r"The demo prints[^\n]*\n\n```\n(.*?)```", readme, re.S).group(1).splitlines()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run(
        [sys.executable, "-m", "nn.train", "--epochs", "2", "--out", str(tmp_path / "run"), "--no-progress"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    printed = result.stdout.splitlines()
    assert len(printed) == len(shown) == 3, (printed, shown)
    assert printed[0] == shown[0]  # the model, the data split, the optimizer: nothing measured
    for line, template in zip(printed[1:], shown[1:]):
        pattern = re.escape(template.rsplit(" to ", 1)[0] if " to runs/" in template else template)
        pattern = re.sub(r"\d+(\\\.\d+)?", r"\\d+(?:\\.\\d+)?", pattern)  # any measured number
        assert re.match(pattern, line), (line, template)


def test_a_new_leaf_every_call_is_said_once_instead_of_tracing_silently_forever():
    # a tensor requiring grad is part of the signature by identity: made afresh each call, every call traces
    step = ag.compile(lambda w: (w * 2).sum())
    with pytest.warns(ag.CompileWarning, match="which tensors requiring grad are passed, change between calls") as seen:
        for _ in range(MAX_SIGNATURES + 3):
            step(ag.Tensor(np.ones(3), requires_grad=True))
    assert len([w for w in seen if issubclass(w.category, ag.CompileWarning)]) == 1
    assert step.replay_count == 0 and step.trace_count == MAX_SIGNATURES + 3
