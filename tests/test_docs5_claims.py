"""Claims the documentation makes that no other test measured: each test reads the doc's own
text (so an edit that breaks the claim fails here) and measures what the text says."""

import contextlib
import io
import os
import re
import warnings

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
