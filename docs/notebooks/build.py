"""Write docs/notebooks/quickstart.ipynb and run it in a Jupyter kernel so it ships with outputs.

    python docs/notebooks/build.py          # (make docs runs it)

The cells are kept here, as text, so a change to them is a readable diff; the test
suite executes the written notebook again (tests/test_notebook.py).
"""

import pathlib
import re
import sys

import nbformat
from nbclient import NotebookClient

HERE = pathlib.Path(__file__).resolve().parent
NOTEBOOK = HERE / "quickstart.ipynb"

CELLS = [
    (
        "markdown",
        """# autograd_core in Jupyter: build, draw, explain, animate, train

Every object below displays itself as a cell's last line: a graph as SVG, the chain rule as
HTML with its numbers, the backward pass as an inline player, training curves as a PNG.""",
    ),
    (
        "code",
        """import numpy as np
import autograd_core as ag
import nn
import nn.functional as F
import viz""",
    ),
    ("markdown", "## The cs231n neuron, built from scalars"),
    (
        "code",
        """w0, x0 = ag.Tensor(2.0, requires_grad=True, label="w0"), ag.Tensor(-1.0, requires_grad=True, label="x0")
w1, x1 = ag.Tensor(-3.0, requires_grad=True, label="w1"), ag.Tensor(-2.0, requires_grad=True, label="x1")
w2 = ag.Tensor(-3.0, requires_grad=True, label="w2")
f = 1 / (1 + (-(w0 * x0 + w1 * x1 + w2)).exp())
f.label = "f"
viz.backward_all(f)          # backward, keeping every wire's gradient
viz.draw_graph(f, style="circuit")""",
    ),
    ("markdown", "## Why ∂f/∂w0 is what it is: the chain rule, path by path"),
    ("code", "viz.explain(f, w0)"),
    ("markdown", "## The backward pass, one op at a time (press ▶ play or use the slider)"),
    ("code", "viz.animate_backward(f)"),
    ("markdown", "## Train an MLP with `nn.fit` and plot its history"),
    (
        "code",
        """X, y = nn.datasets.make_moons(400, noise=0.15, seed=0)
X_train, X_val, y_train, y_val = nn.datasets.train_test_split(X, y, test_size=0.25, seed=0)
model = nn.MLP([2, 16, 16, 2], seed=0)
optimizer = nn.optim.Adam(model.parameters(), lr=0.02)
history = nn.fit(model, F.cross_entropy, optimizer, X_train, y_train, epochs=20, batch_size=32,
                 validation=(X_val, y_val), progress=False)
print(f"validation accuracy {history.val_acc[-1]:.3f}")""",
    ),
    ("code", "viz.plot_history(history, diagnostics=True)"),
    ("markdown", "## The model's graph: one box per layer, named by what it is"),
    (
        "code",
        """loss = F.cross_entropy(model(ag.Tensor(X_val[:8], label="X")), y_val[:8])
viz.draw_graph(loss)""",
    ),
    (
        "markdown",
        """## Explore it: pan, zoom, click a node, step the passes, pick a parameter
(`viz.explore(loss, "graph.html")` writes the same page to a file.)""",
    ),
    ("code", "viz.explore(loss)"),
]


def build():
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    make = {"markdown": nbformat.v4.new_markdown_cell, "code": nbformat.v4.new_code_cell}
    notebook.cells = [make[kind](source) for kind, source in CELLS]
    return notebook


def execute(notebook, cwd, timeout=60):
    """Run every cell in a fresh kernel (in ``cwd``); returns the notebook with outputs."""
    NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(cwd)}},
    ).execute()
    return notebook


if __name__ == "__main__":
    executed = execute(build(), HERE)
    for k, cell in enumerate(executed.cells):
        cell.id = f"cell-{k}"  # stable ids: a rebuild without changes gives the same file
        for output in cell.get("outputs", []):  # nor memory addresses in the plain-text fallbacks
            if "text/plain" in output.get("data", {}):
                output.data["text/plain"] = re.sub(r" at 0x[0-9a-f]+", "", output.data["text/plain"])
    NOTEBOOK.write_text(nbformat.writes(executed), encoding="utf-8")
    shown = NOTEBOOK.relative_to(pathlib.Path.cwd()) if NOTEBOOK.is_relative_to(pathlib.Path.cwd()) else NOTEBOOK
    print(f"wrote {shown}", file=sys.stderr)
