"""Fifth everyday-use audit: python -m nn.predict, python -m nn.search and nn.grid_search / nn.random_search
as a practitioner runs them on their own files (each test fails on the code before its fix)."""

import csv
import os
import subprocess
import sys

import numpy as np
import pytest

import nn
import autograd_core as ag
import nn.functional as F

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
