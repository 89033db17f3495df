"""The README's quick tour runs as written, in order, and prints what the README says it prints."""

import contextlib
import io
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def tour_blocks():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        text = f.read()
    tour = text[text.index("## A quick tour") : text.index("## Learn backprop with this")]
    return re.findall(r"^```python\n(.*?)^```", tour, re.S | re.M)


def test_the_quick_tour_runs_and_prints_its_stated_outputs(tmp_path, monkeypatch):
    blocks = tour_blocks()
    assert len(blocks) >= 4
    monkeypatch.chdir(tmp_path)
    namespace, printed = {}, io.StringIO()
    with contextlib.redirect_stdout(printed):
        for number, block in enumerate(blocks, 1):
            exec(compile(block, f"README tour block {number}", "exec"), namespace)
    output = printed.getvalue()
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    for shown in STATED_OUTPUTS:  # what the README claims the tour prints, and the run printed
        assert shown in readme, shown
        assert shown in output, (shown, output)
    assert (tmp_path / "moons.npz").exists() and (tmp_path / "graph.svg").exists()
    assert (tmp_path / "run.npz").exists()


STATED_OUTPUTS = [
    "Tensor(10., op=add) 7.0",
    "[2, 32, 32, 2]",
    "Tensor(-0.1331, op=sum)",
    "(3, 2)",
    "Tensor(27., op=mul) Tensor(18.)",
    "(Tensor(9.), Tensor([ 3., 12.]))",
    "[[6.0, 0.0], [0.0, 12.0]]",
    "[[2.0, 0.0], [0.0, 6.0]]",
    "(Tensor([1., 9.]), Tensor([2., 6.]))",
    "(Tensor(9.), Tensor([6., 0.]))",
    "(Tensor([ 2., 60.]),)",
    "Tensor([12., 34.])",
    "validation accuracy 0.967, best epoch 13",
    "validation accuracy 0.973",
    "['layers.0.weight', 'layers.0.bias', 'layers.2.weight', 'layers.2.bias', 'layers.4.weight', 'layers.4.bias']",
]


def test_the_compile_reference_example_runs_and_prints_its_stated_output():
    """docs/compile.md (what ag.compile guards) opens with an example: it runs, traced twice then replayed."""
    with open(os.path.join(ROOT, "docs", "compile.md"), encoding="utf-8") as f:
        (block,) = re.findall(r"^```python\n(.*?)^```", f.read(), re.S | re.M)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(block, "docs/compile.md", "exec"), {})
    assert printed.getvalue() == "2 2\n" and "# 2 2: traced twice, then replayed" in block
