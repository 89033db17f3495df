"""The command lines: `python -m viz.circuit` and `python -m viz expr|model|history`."""

import json
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
from player_helpers import page_frames

import autograd_core as ag
from viz import expression

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz `dot` is not installed (make graphviz installs it)"
)
PNG = b"\x89PNG\r\n\x1a\n"


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, timeout=120, cwd=cwd)


@needs_dot
def test_circuit_writes_its_image_and_prints_the_notes_numbers(tmp_path):
    out = tmp_path / "neuron.png"
    result = run("viz.circuit", "--out", str(out), "--number-format", "%.2f")
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(PNG)
    for line in ("f = 0.73", "∂f/∂w0 = -0.20", "∂f/∂x0 = 0.39", "∂f/∂w1 = -0.39", "∂f/∂x1 = -0.59", "∂f/∂w2 = 0.20"):
        assert line in result.stdout


@needs_dot
def test_circuit_default_output_explain_and_animation(tmp_path):
    result = run("viz.circuit", "--explain", "x1", "--animate", "steps.html", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "cs231n_neuron.png").read_bytes().startswith(PNG)
    assert len(page_frames((tmp_path / "steps.html").read_text(encoding="utf-8"))) == 9
    assert "sum over the 1 path: ∂f/∂x1 = -0.5898" in result.stdout


def test_circuit_rejects_bad_numbers():
    result = run("viz.circuit", "--w", "1,2")
    assert result.returncode == 2 and "--w: expected 3 comma-separated numbers" in result.stderr


@needs_dot
def test_expr_renders_and_prints_value_and_gradients(tmp_path):
    out = tmp_path / "f.svg"
    result = run("viz", "expr", "sigmoid(w*x + b)", "--set", "w=2", "x=-1", "b=0.5", "--out", str(out))
    assert result.returncode == 0, result.stderr
    s = 1 / (1 + np.exp(-(2 * -1 + 0.5)))
    assert f"f = {s:.4f}" in result.stdout
    assert f"∂f/∂w = {s * (1 - s) * -1:.4f}" in result.stdout
    assert f"∂f/∂b = {s * (1 - s):.4f}" in result.stdout
    assert "%.4g" % (s * (1 - s) * 2) in out.read_text(encoding="utf-8")  # x's gradient on its wire


@needs_dot
def test_expr_with_vectors_inputs_and_explain(tmp_path):
    result = run(
        "viz",
        "expr",
        "(w*x).sum() + (w*w).mean()",
        "--set",
        "w=[1,2,3]",
        "--input",
        "x=[0.5,-1,2]",
        "--explain",
        "w",
        "--style",
        "record",
        "--out",
        str(tmp_path / "g.png"),
    )
    assert result.returncode == 0, result.stderr
    assert "3 paths" in result.stdout and "∂f/∂x" not in result.stdout  # x is data: no gradient printed
    assert "sum over the 3 paths: ∂f/∂w = [1.167, 0.3333, 4]" in result.stdout  # x + 2w/3


@pytest.mark.parametrize(
    "args, message",
    [
        (["expr", "foo(w)", "--set", "w=1"], "calling foo is not allowed"),
        (["expr", "w*y", "--set", "w=1"], "no value for y"),
        (["expr", "w*", "--set", "w=1"], "is not valid"),
        (["expr", "w", "--set", "w=abc"], "must be a number or a nested list of numbers (got 'abc')"),
        (["expr", "w@v", "--set", "w=[1,2]", "v=[1,2,3]"], "matmul"),
        (["model", "missing.npz"], "no such file"),
    ],
)
def test_command_errors_are_one_line_without_traceback(args, message, tmp_path):
    result = run("viz", *args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert "<ast." not in result.stderr  # Python's internals are no help to the user


def test_expression_language_refuses_anything_but_math():
    w = ag.Tensor(2.0, requires_grad=True)
    for text in ("__import__('os').system('true')", "w.__class__", "[w]", "w if w else w", "lambda: w"):
        with pytest.raises(expression.ExpressionError):
            expression.evaluate(text, {"w": w})
    v = ag.Tensor([1.0, 2.0])
    assert expression.evaluate(
        "w.exp() * exp(w) + sum(v, axis=0) - v.mean()", {"w": w, "v": v}
    ).item() == pytest.approx(np.exp(4.0) + 3.0 - 1.5)
    assert expression.variable_names("sigmoid(w*x) + w") == ["w", "x"]


@needs_dot
def test_model_renders_a_saved_mlp_grouped_by_module(tmp_path):
    nn = pytest.importorskip("nn")
    model = nn.MLP([4, 3, 2], seed=0)
    nn.save(model, tmp_path / "model.npz")
    out = tmp_path / "model.dot"
    result = run("viz", "model", str(tmp_path / "model.npz"), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "MLP [4, 3, 2]" in result.stdout
    source = out.read_text(encoding="utf-8")
    assert "layers.0.weight" in source and "layers.2.bias" in source and "cluster_layers" in source
    boxes = run("viz", "model", str(tmp_path / "model.npz"), "--collapse", "yes", "--out", str(tmp_path / "m.svg"))
    assert boxes.returncode == 0, boxes.stderr
    assert "layers.1" in (tmp_path / "m.svg").read_text(encoding="utf-8")


def test_model_of_a_runs_checkpoint_says_it_is_a_checkpoint(tmp_path):
    # It listed the checkpoint's 20 member names and asked for --sizes.
    nn = pytest.importorskip("nn")
    model = nn.MLP([4, 3, 2], seed=0)
    nn.utils.save_checkpoint(tmp_path / "checkpoint.npz", model, nn.optim.Adam(model.parameters(), lr=0.01))
    for command, out in (("model", "m.svg"), ("explore", "m.html")):
        result = run("viz", command, str(tmp_path / "checkpoint.npz"), "--out", str(tmp_path / out))
        assert result.returncode == 2 and "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1
        assert "is a training checkpoint" in result.stderr and "model.npz" in result.stderr
        assert "optimizer/" not in result.stderr


def test_model_with_the_wrong_sizes_is_a_clear_error(tmp_path):
    nn = pytest.importorskip("nn")
    nn.save(nn.MLP([4, 3, 2], seed=0), tmp_path / "model.npz")
    result = run("viz", "model", str(tmp_path / "model.npz"), "--sizes", "4,5,2", "--out", str(tmp_path / "m.dot"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert (
        result.stderr == f"error: --sizes 4,5,2 does not match the weights saved in {tmp_path / 'model.npz'} "
        "(layer sizes 4,3,2)\n"
    )
    huge = run(
        "viz", "model", str(tmp_path / "model.npz"), "--sizes", "1000000000,10", "--out", str(tmp_path / "m.dot")
    )
    assert huge.returncode == 2 and "does not match" in huge.stderr  # refused before building a 10**10-weight MLP


def test_history_json_becomes_a_png(tmp_path):
    path = tmp_path / "history.json"
    path.write_text(
        json.dumps(
            {
                "train_loss": [1.0, 0.6, 0.5],
                "val_loss": [1.1, 0.7, None],
                "train_acc": [0.5, 0.7, 0.8],
                "val_acc": [0.4, 0.6, 0.7],
                "best_epoch": 1,
            }
        )
    )
    result = run("viz", "history", str(path), "--out", str(tmp_path / "curves.png"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "curves.png").read_bytes().startswith(PNG)


@pytest.mark.parametrize(
    "module, args, message",
    [
        ("viz.circuit", ["--out", "x.txt"], "argument --out: cannot tell the format of 'x.txt' from its suffix .txt"),
        (
            "viz.circuit",
            ["--animate", "x.gif"],
            "argument --animate: 'x.gif': the animation is written to a .html file",
        ),
        ("viz.circuit", ["--number-format", "%q"], "argument --number-format: '%q' is not a printf format"),
        ("viz", ["expr", "w", "--set", "w=1", "--out", "f.bmp"], "argument --out: cannot tell the format of 'f.bmp'"),
        ("viz", ["expr", "w", "--set", "w=1", "--animate", "a.svg"], "argument --animate: 'a.svg'"),
        ("viz", ["model", "m.npz", "--rows", "0"], "argument --rows: expected an int from 1 to 10,000, got '0'"),
        ("viz", ["model", "m.npz", "--rows", "1000000000"], "argument --rows: expected an int from 1 to 10,000, got "),
        (
            "viz",
            ["expr", "w", "--set", "w=1", "--number-format", "%.100000000f"],
            "argument --number-format: '%.100000000f': width and precision of --number-format must be at most 40",
        ),
        ("viz", ["expr", "w", "--set", "w=1", "--number-format", "%99999g"], "must be at most 40"),
        (
            "viz",
            ["expr", "w", "--set", "w=1", "--out", "missing/f.svg"],
            "argument --out: cannot write 'missing/f.svg': 'missing' does not exist",
        ),
        (
            "viz",
            ["expr", "w", "--set", "w=1", "--out", "a_file/f.svg"],
            "argument --out: cannot write 'a_file/f.svg': 'a_file' is a file, not a folder",
        ),
        (
            "viz",
            ["expr", "w", "--set", "w=1", "--out", "/proc/f.svg"],  # even root cannot write there
            "argument --out: cannot write '/proc/f.svg': the folder '/proc' does not take new files",
        ),
        (
            "viz",
            ["expr", "w", "--set", "w=1", "--animate", "missing/steps"],
            "argument --animate: cannot write 'missing/steps': 'missing' does not exist",
        ),
        (
            "viz",
            ["expr", "w", "--set", "w=1", "--animate", "/proc/steps.html"],
            "argument --animate: cannot write '/proc/steps.html': the folder '/proc' does not take new files",
        ),
        (
            "viz",
            ["expr", "w", "--set", "w=1", "--animate", "a_file"],
            "argument --animate: 'a_file' is an existing file",
        ),
        ("viz", ["history", "h.json", "--out", "/sys/c.png"], "argument --out: cannot write '/sys/c.png'"),
        ("viz", ["model", "m.npz", "--sizes", "64,a"], "argument --sizes: expected at least two comma-separated ints"),
        ("viz", ["history", "h.json", "--out", "c.txt"], "argument --out: cannot tell the format of 'c.txt'"),
    ],
)
def test_bad_flags_are_usage_errors_before_anything_is_written(module, args, message, capsys, tmp_path, monkeypatch):
    """Checked at parse time: before, --animate x.gif failed with a traceback after the picture was written."""
    import importlib

    monkeypatch.chdir(tmp_path)
    (tmp_path / "a_file").write_text("mine")
    parser = importlib.import_module("viz.circuit" if module == "viz.circuit" else "viz.__main__").build_parser()
    with pytest.raises(SystemExit) as caught:
        parser.parse_args(args)
    assert caught.value.code == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == [tmp_path / "a_file"] and (tmp_path / "a_file").read_text() == "mine"


@pytest.mark.parametrize(
    "content, message",
    [
        (b"\x89PNG\r\n\x1a\n\xff\xfe", "cannot read '.*h.json' as a history JSON: 'utf-8' codec can't decode"),
        (b'"losses"', "'.*h.json': plot_history: expected nn.fit's History"),  # ([1, 2] is a list of losses: drawn)
        (b'{"train_loss": []}', "'.*h.json': plot_history: the history has no train_loss values"),
    ],
)
def test_history_files_that_are_not_histories_are_one_line_errors(content, message, tmp_path, capsys):
    import re

    from viz.__main__ import main

    (tmp_path / "h.json").write_bytes(content)
    assert main(["history", str(tmp_path / "h.json"), "--out", str(tmp_path / "c.png")]) == 2
    err = capsys.readouterr().err
    assert re.match("error: " + message, err) and not (tmp_path / "c.png").exists()


def test_deeply_nested_history_json_is_a_one_line_error(tmp_path):
    (tmp_path / "h.json").write_text("[" * 100_000 + "]" * 100_000)
    result = run("viz", "history", str(tmp_path / "h.json"), "--out", str(tmp_path / "c.png"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr == (
        f"error: cannot read {str(tmp_path / 'h.json')!r} as a history JSON: it nests lists or "
        "objects thousands of levels deep (a history is one level of lists)\n"
    )
    assert not (tmp_path / "c.png").exists()


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "+".join(["x"] * 900),
            r"expression 'x\+x\+.*\.\.\.' \(1799 characters\) nests 899 operations deep; python -m "
            r"viz draws at most 200: build deeper graphs in Python",
        ),
        (
            "x" + ".exp()" * 3000,
            r"expression 'x\.exp\(\)\.exp.*' \(18001 characters\) nests too deeply for Python's "
            r"parser; python -m viz draws at most 200 nested operations",
        ),
        ("-" * 300 + "x", r"nests 300 operations deep"),
        ("exp(" * 250 + "x" + ")" * 250, r"is not valid: too many nested parentheses"),
    ],
)
def test_deep_expressions_are_refused_with_a_message_not_a_recursion_error(text, message):
    with pytest.raises(expression.ExpressionError, match=message):
        expression.evaluate(text, {"x": ag.Tensor(1.0, requires_grad=True)})


def test_expressions_up_to_the_depth_limit_evaluate_and_backward():
    x = ag.Tensor(0.5, requires_grad=True)
    chained = expression.evaluate("+".join(["x"] * 201), {"x": x})  # 200 additions
    chained.backward()
    assert chained.item() == 201 * 0.5 and x.grad == 201
    assert expression.nesting_depth(__import__("ast").parse("x.exp().exp() + 1", mode="eval").body) == 3


def test_a_deep_expression_on_the_command_line_is_one_line(tmp_path):
    result = run("viz", "expr", "+".join(["x"] * 900), "--set", "x=1", "--out", str(tmp_path / "f.svg"))
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "nests 899 operations deep" in result.stderr and list(tmp_path.iterdir()) == []


def test_number_arithmetic_in_an_expression_is_float_and_cannot_hang():
    # Python ints would compute 9**9**9 exactly (hours); as float64 it overflows to inf at once.
    with np.errstate(over="ignore"):
        result = expression.evaluate("9**9**9", {})
    assert np.isinf(result.item())


def test_model_backward_draws_gradients_from_one_random_batch(tmp_path):
    nn = pytest.importorskip("nn")
    nn.save(nn.MLP([4, 3, 2], seed=0), tmp_path / "model.npz")
    out = tmp_path / "model.dot"
    result = run("viz", "model", str(tmp_path / "model.npz"), "--backward", "--collapse", "no", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "ran backward on the cross-entropy" in result.stdout
    source = out.read_text(encoding="utf-8")
    assert "grad —<" not in source and len(re.findall(r'#c62828">grad [-\[\dm]', source)) >= 10


@needs_dot
def test_explore_writes_a_page_from_an_expression_or_a_saved_model(tmp_path):
    page = tmp_path / "graph.html"
    result = run("viz", "explore", "tanh(w*x + b)", "--set", "w=2", "b=0.5", "--input", "x=-1", "--out", str(page))
    assert result.returncode == 0, result.stderr
    text = page.read_text(encoding="utf-8")
    assert "const DATA" in text and '"name":"w"' in text
    nn = pytest.importorskip("nn")
    nn.save(nn.MLP([4, 3, 2], seed=0), tmp_path / "model.npz")
    result = run("viz", "explore", str(tmp_path / "model.npz"), "--rows", "3", "--out", str(tmp_path / "m.html"))
    assert result.returncode == 0, result.stderr
    assert '"name":"layers.0.weight"' in (tmp_path / "m.html").read_text(encoding="utf-8")
    bad = run("viz", "explore", "w", "--set", "w=1", "--out", str(tmp_path / "x.svg"))
    assert bad.returncode == 2 and "must end in one of .html" in bad.stderr


def test_model_data_is_the_batch_backward_runs_and_a_bad_file_is_one_line(tmp_path):
    nn = pytest.importorskip("nn")
    nn.save(nn.MLP([4, 3, 2], seed=0), tmp_path / "model.npz")
    X = np.arange(12.0).reshape(3, 4) / 10
    np.savez(tmp_path / "batch.npz", X=X, y=np.array([0, 1, 1]))
    out = tmp_path / "model.dot"
    result = run(
        "viz",
        "model",
        str(tmp_path / "model.npz"),
        "--data",
        str(tmp_path / "batch.npz"),
        "--rows",
        "3",
        "--collapse",
        "no",
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    assert "against its labels" in result.stdout and "(3, 4)" in result.stdout
    assert "data mean 0.55 min 0 max 1.1" in out.read_text(encoding="utf-8")  # the rows of X, not random ones
    np.savez(tmp_path / "bad.npz", X=np.ones((3, 5)), y=np.zeros(3))
    bad = run("viz", "model", str(tmp_path / "model.npz"), "--data", str(tmp_path / "bad.npz"), "--out", str(out))
    assert bad.returncode == 2 and "model takes rows of 4 features" in bad.stderr and "Traceback" not in bad.stderr
