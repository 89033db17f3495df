"""Fifth everyday-use audit: python -m nn.predict and model files as a practitioner uses them with their own
files (each test fails on the code before its fix; the searches' tests are in test_audit5_search.py)."""

import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import autograd_core as ag
import nn

ENV = dict(os.environ, PYTHONPATH=os.pathsep.join([os.getcwd(), os.environ.get("PYTHONPATH", "")]))


def run(module, *args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", module, *map(str, args)], capture_output=True, text=True, env=ENV, cwd=cwd, timeout=300
    )


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def moons_csv(path, n=120, seed=2):
    X, y = nn.datasets.make_moons(n, noise=0.2, seed=seed)
    X = X * [10.0, 0.1] + [50.0, -3.0]  # far from standardised: a model applied without its standardizer errs
    lines = ["a,b,kind"] + [f"{u},{v},{'round' if k else 'flat'}" for (u, v), k in zip(X, y)]
    path.write_text("\n".join(lines) + "\n")
    return X, y


def test_the_search_best_model_predicts_raw_rows_with_its_standardizer_and_class_names(tmp_path):
    X, _ = moons_csv(tmp_path / "mine.csv")
    done = run("nn.search", "--data", tmp_path / "mine.csv", "--target", "kind", "--grid", "lr=0.03", "hidden=8",
               "--epochs", "3", "--out", tmp_path / "s")  # fmt: skip
    assert done.returncode == 0, done.stderr
    path = str(tmp_path / "s" / "best" / "model.npz")
    info = nn.read_info(path)  # it had no standardizer, task, class or feature names: predict read raw rows as scaled
    assert info.task == "classification" and info.class_names == ["flat", "round"]
    assert info.feature_names == ["a", "b"] and info.preprocessing is not None
    splits = nn.tables.load_splits(data=str(tmp_path / "mine.csv"), target="kind", seed=0)
    np.testing.assert_allclose(info.preprocessing.mean, splits.standardizer.mean)
    (tmp_path / "new.csv").write_text("b,a\n" + "".join(f"{v},{u}\n" for u, v in X[:20]))
    from nn.predict import main

    assert main([path, "--data", str(tmp_path / "new.csv"), "--out", str(tmp_path / "p.csv")]) == 0
    rows = read_csv(tmp_path / "p.csv")
    model = nn.load(path)
    expected = model(ag.Tensor(splits.standardizer.transform(X[:20]))).data.argmax(1)
    assert [r["prediction"] for r in rows] == [["flat", "round"][k] for k in expected]


@pytest.fixture
def saved_model(tmp_path):
    X, _ = nn.datasets.make_moons(50, seed=0)
    path = str(tmp_path / "model.npz")
    nn.save(nn.MLP([2, 64, 2], seed=0), path, preprocessing=nn.datasets.Standardizer().fit(X * 10 + 5),
            task="classification", class_names=["flat", "round"], feature_names=["a", "b"])  # fmt: skip
    return path


def big_csv(path, n, bad_row=None):
    rng = np.random.default_rng(0)
    lines = ["b,a,kind"] + [f"{u:.5f},{v:.5f},x" for u, v in rng.normal(5, 10, size=(n, 2))]
    if bad_row is not None:
        lines[bad_row] = "1.0,oops,x"
    path.write_text("\n".join(lines) + "\n")


def test_predict_streams_a_long_file_in_bounded_memory_and_never_half_writes(tmp_path, saved_model, capsys):
    import tracemalloc

    from nn.predict import BLOCK_ROWS, load_features, main, predict

    peaks = []
    for n in (BLOCK_ROWS, 4 * BLOCK_ROWS):  # the whole file was held as Python strings, then as hidden activations
        big_csv(tmp_path / f"{n}.csv", n)
        tracemalloc.start()
        assert main([saved_model, "--data", str(tmp_path / f"{n}.csv"), "--out", str(tmp_path / f"{n}.out.csv")]) == 0
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < 1.3 * peaks[0], peaks  # was 4x: memory grew with the file
    columns, rows = predict(nn.load(saved_model), nn.read_info(saved_model),
                            load_features(tmp_path / f"{4 * BLOCK_ROWS}.csv", ["a", "b"]))  # fmt: skip
    with open(tmp_path / f"{4 * BLOCK_ROWS}.out.csv", newline="") as f:
        assert list(csv.reader(f)) == [columns, *rows]  # block by block, the same table as all at once
    # A bad cell in the third block: one line, and the existing --out is left as it was (not half rewritten).
    big_csv(tmp_path / "bad.csv", 3 * BLOCK_ROWS, bad_row=2 * BLOCK_ROWS + 5)
    (tmp_path / "old.csv").write_text("old predictions\n")
    capsys.readouterr()
    assert main([saved_model, "--data", str(tmp_path / "bad.csv"), "--out", str(tmp_path / "old.csv")]) == 2
    assert capsys.readouterr().err == (
        f"error: load_features: {tmp_path / 'bad.csv'}: column 'a', row {2 * BLOCK_ROWS + 6}: 'oops' is not a number\n"
    )
    assert (tmp_path / "old.csv").read_text() == "old predictions\n" and os.listdir(tmp_path).count("old.csv") == 1
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]


def test_predict_names_a_tab_separated_csv_and_a_folder(tmp_path, saved_model, capsys):
    from nn.predict import main

    (tmp_path / "tabs.csv").write_text("a\tb\n1\t2\n")
    (tmp_path / "data").mkdir()
    expected = {
        "tabs.csv": "one column named 'a\\tb': separate the columns with commas, not '\\t'",  # was "lacks the columns"
        "data": "is a folder (or a device), not a data file",  # was "no such file"
    }
    for name, message in expected.items():
        assert main([saved_model, "--data", str(tmp_path / name), "--out", str(tmp_path / "p.csv")]) == 2
        stderr = capsys.readouterr().err
        assert message in stderr and stderr.count("\n") == 1, stderr
    assert not (tmp_path / "p.csv").exists()


def test_predict_interrupted_by_ctrl_c_or_kill_is_one_line_and_keeps_the_old_file(
    tmp_path, saved_model, capsys, monkeypatch
):
    import signal

    import nn.predict as predict_cli

    big_csv(tmp_path / "in.csv", 3 * predict_cli.BLOCK_ROWS)
    blocks = []

    def predict_then_signal(signum):
        def predict(model, info, X):
            blocks.append(len(X))
            if len(blocks) == 2:
                os.kill(os.getpid(), signum)  # mid-file, as Ctrl-C / kill would
            return real_predict(model, info, X)

        return predict

    real_predict = predict_cli.predict
    for signum, code, existing in ((signal.SIGINT, 130, True), (signal.SIGTERM, 143, False)):
        blocks.clear()
        out = tmp_path / f"out{code}.csv"
        if existing:
            out.write_text("old predictions\n")
        monkeypatch.setattr(predict_cli, "predict", predict_then_signal(signum))
        try:
            assert predict_cli.main([saved_model, "--data", str(tmp_path / "in.csv"), "--out", str(out)]) == code
        except KeyboardInterrupt:
            pytest.fail("nn.predict let Ctrl-C out as a KeyboardInterrupt traceback")
        kept = "left as it was" if existing else "not written"  # was a KeyboardInterrupt traceback
        assert capsys.readouterr().err == f"interrupted by {signal.Signals(signum).name}; {out} {kept}\n"
        assert (out.read_text() == "old predictions\n") if existing else not out.exists()
    assert sorted(os.listdir(tmp_path)) == ["in.csv", "model.npz", "out130.csv"]  # no temporary file left
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def edited_model(saved_model, folder, **changes):
    """A copy of ``saved_model`` whose JSON description has ``changes`` (a file from elsewhere)."""
    import json

    with np.load(saved_model) as archive:
        arrays = {name: archive[name] for name in archive.files}
    description = json.loads(arrays["__model__"].tobytes())
    description.update(changes)
    arrays["__model__"] = np.frombuffer(json.dumps(description).encode(), dtype=np.uint8)
    path = str(folder / f"edited{len(os.listdir(folder))}.npz")
    np.savez(path, **arrays)
    return path


def test_model_files_that_would_predict_wrongly_are_refused(tmp_path, saved_model, capsys):
    from nn.predict import main

    (tmp_path / "new.csv").write_text("a,b\n1,2\n3,4\n")
    cases = [  # each was read: a newer layout as version 1, wrong names silently
        (dict(format_version=2), "its description has format_version 2, written by autograd_core"),
        (
            dict(class_names=["x", "y", "z"]),
            "the model file lists 3 class names ['x', 'y', 'z'] and its model gives 2 outputs",
        ),
        (
            dict(class_names=["x"]),
            "the model file lists 1 class name ['x'] and its model gives 2 outputs",
        ),  # IndexError
        (dict(class_names=["x", "x"]), "class_names names ['x'] more than once"),  # p_x, p_x
        (dict(feature_names=["a", "a"]), "feature_names names ['a'] more than once"),  # column a read twice, b never
        (dict(feature_names=["a", "b", "c"]), "it names 3 features and standardises 2"),
    ]
    for changes, message in cases:
        path = edited_model(saved_model, tmp_path, **changes)
        assert main([path, "--data", str(tmp_path / "new.csv"), "--out", str(tmp_path / "p.csv")]) == 2, changes
        stderr = capsys.readouterr().err
        assert message in stderr and stderr.count("\n") == 1, stderr
    assert not (tmp_path / "p.csv").exists()
    assert nn.read_info(edited_model(saved_model, tmp_path, format_version=1)).class_names == ["flat", "round"]
    with pytest.raises(ValueError, match=r"nn.save: feature_names names \['a'\] more than once"):
        nn.save(nn.MLP([2, 2]), str(tmp_path / "m.npz"), feature_names=["a", "a"])


def test_predict_never_writes_over_its_own_data_or_model(tmp_path, saved_model, capsys):
    from nn.predict import main

    data = tmp_path / "new.csv"
    data.write_text("a,b\n1,2\n")
    for out, name in ((data, "--data"), (Path(saved_model), "model")):  # the data was replaced by its predictions
        before = out.read_bytes()
        with pytest.raises(SystemExit) as exit_:
            main([saved_model, "--data", str(data), "--out", str(out)])
        stderr = capsys.readouterr().err
        assert exit_.value.code == 2 and f"--out {out} is the {name} file" in stderr
        assert out.read_bytes() == before
