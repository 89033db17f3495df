"""python -m nn.train compiles its step by default and says so in run.json and history.json; --no-compile
trains define-by-run to the same weights; a compiled run resumed with --no-compile ends the same too."""

import json

import numpy as np
import pytest

from nn import train

BASE = ["--dataset", "moons", "--hidden", "8", "--epochs", "3", "--no-progress", "--seed", "2"]


def weights(folder):
    with np.load(folder / "model.npz") as arrays:
        return {name: arrays[name] for name in arrays.files if name != "__model__"}


def step_of(folder):
    record = json.loads((folder / "run.json").read_text())
    history = json.loads((folder / "history.json").read_text())
    assert (history["step"], history["step_reason"]) == (record["metrics"]["step"], record["metrics"]["step_reason"])
    return record["metrics"]["step"], record["metrics"]["step_reason"], record["settings"]["no_compile"]


def test_compiled_by_default_and_no_compile_trains_the_same_weights(tmp_path, capsys):
    assert train.main([*BASE, "--out", str(tmp_path / "compiled")]) == 0
    assert "compiled steps" in capsys.readouterr().out
    assert train.main([*BASE, "--no-compile", "--out", str(tmp_path / "eager")]) == 0
    assert "define-by-run steps" in capsys.readouterr().out
    assert step_of(tmp_path / "compiled") == ("compiled", None, False)
    assert step_of(tmp_path / "eager") == ("define-by-run", "compile=False", True)
    compiled, eager = weights(tmp_path / "compiled"), weights(tmp_path / "eager")
    assert sorted(compiled) == sorted(eager)
    for name in compiled:
        np.testing.assert_array_equal(compiled[name], eager[name], err_msg=name)


def test_a_compiled_run_resumed_with_no_compile_ends_as_the_whole_run(tmp_path):
    assert train.main([*BASE, "--out", str(tmp_path / "whole")]) == 0
    part = tmp_path / "part"
    assert train.main([*[a if a != "3" else "1" for a in BASE], "--out", str(part)]) == 0
    assert train.main(["--resume", str(part), "--epochs", "3", "--no-compile", "--no-progress"]) == 0
    assert step_of(part)[:2] == ("define-by-run", "compile=False")  # the resumed call's own choice
    whole = weights(tmp_path / "whole")
    for name, value in weights(part).items():
        np.testing.assert_array_equal(value, whole[name], err_msg=name)


def test_help_documents_no_compile(capsys):
    with pytest.raises(SystemExit):
        train.parse_args(["--help"])
    assert "--no-compile" in capsys.readouterr().out
