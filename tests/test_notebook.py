"""docs/notebooks/quickstart.ipynb runs in a real Jupyter kernel (nbclient + ipykernel): every
display has its rich mime type and no cell prints a warning or a traceback."""

import os
import pathlib
import shutil
import time

import pytest

nbformat = pytest.importorskip("nbformat", reason="the `jupyter` test extra is not installed")
pytest.importorskip("nbclient", reason="the `jupyter` test extra is not installed")
pytest.importorskip("ipykernel", reason="the `jupyter` test extra is not installed")

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "docs" / "notebooks" / "quickstart.ipynb"
# The rich output each code cell must end with (None: a cell that only prints / imports).
EXPECTED = [None, "image/svg+xml", "text/html", "text/html", None, "image/png", "image/svg+xml", "text/html"]


def mime_types(cell):
    return [
        key
        for output in cell.outputs
        if output.output_type in ("execute_result", "display_data")
        for key in output.data
    ]


def problems(cell):
    """Anything a reader would see as a failure: tracebacks, stderr, warnings in any output."""
    found = []
    for output in cell.outputs:
        if output.output_type == "error":
            found.append(f"{output.ename}: {output.evalue}")
        elif output.output_type == "stream" and output.name == "stderr":
            found.append(output.text)
        text = output.get("text", "") + str(output.get("data", {}).get("text/plain", ""))
        if "Warning" in text or "Traceback" in text:
            found.append(text)
    return found


def check(notebook):
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert len(code) == len(EXPECTED)
    for k, (cell, expected) in enumerate(zip(code, EXPECTED)):
        assert problems(cell) == [], f"cell {k}: {problems(cell)}"
        if expected:
            assert expected in mime_types(cell), f"cell {k} shows {mime_types(cell)}, expected {expected}"


def test_the_shipped_notebook_has_its_outputs():
    check(nbformat.read(NOTEBOOK, as_version=4))


def test_the_notebook_runs_in_a_real_kernel_with_rich_outputs_and_no_warnings(tmp_path, monkeypatch):
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed")
    from nbclient import NotebookClient

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    # the kernel imports this checkout's packages, and runs in a scratch folder
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    start = time.perf_counter()
    NotebookClient(
        notebook, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    print(f"notebook ran in {time.perf_counter() - start:.1f} s")
    check(notebook)
    assert os.listdir(tmp_path) == []  # displays only: nothing written
