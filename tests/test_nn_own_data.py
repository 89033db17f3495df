"""The main job on a user's own data: python -m nn.train --data FILE, python -m nn.predict, viz model."""

import csv
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import nn

ENV = dict(os.environ, PYTHONPATH=os.pathsep.join([os.getcwd(), os.environ.get("PYTHONPATH", "")]))


def run(*args, module="nn.train"):
    return subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True, env=ENV, timeout=300)


def flowers(path, n=240, seed=0, with_target=True):
    """Three well-separated 'species' in two raw (unstandardised) features."""
    rng = np.random.default_rng(seed)
    names = ["setosa", "versicolor", "virginica"]
    labels = rng.integers(0, 3, n)
    X = np.c_[labels * 4.0 + rng.normal(0, 0.5, n) + 100, labels * -2.0 + rng.normal(0, 0.3, n)]
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["species", "petal", "sepal"] if with_target else ["sepal", "petal"])
        for (a, b), k in zip(X, labels):
            writer.writerow([names[k], a, b] if with_target else [b, a])  # columns in another order
    return [names[k] for k in labels]


@pytest.fixture(scope="module")
def flower_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("flowers")
    flowers(folder / "flowers.csv")
    done = run(
        "--data",
        str(folder / "flowers.csv"),
        "--target",
        "species",
        "--hidden",
        "8",
        "--epochs",
        "20",
        "--lr",
        "0.05",
        "--no-progress",
        "--out",
        str(folder / "run"),
    )
    assert done.returncode == 0, done.stderr
    return folder, done


def test_train_on_a_csv_keeps_the_class_names_and_the_preprocessing(flower_run):
    folder, done = flower_run
    assert "3-class" in done.stdout and "test accuracy:" in done.stdout
    assert float(done.stdout.split("test accuracy:")[1]) > 0.9
    for name in ("model.npz", "history.json", "curves.png", "graph.svg", "run.json"):
        assert (folder / "run" / name).exists(), name
    assert (folder / "run" / "graph.svg").read_text().lstrip().startswith(("<?xml", "<svg"))
    info = nn.read_info(str(folder / "run" / "model.npz"))
    assert info.class_names == ["setosa", "versicolor", "virginica"] and info.task == "classification"
    assert info.feature_names == ["petal", "sepal"]
    assert info.preprocessing.mean[0] > 90  # fitted on the raw training rows
    record = json.loads((folder / "run" / "run.json").read_text())
    assert record["status"] == "completed"


def test_predict_applies_the_saved_preprocessing_to_raw_rows(flower_run, tmp_path):
    folder, _ = flower_run
    truth = flowers(tmp_path / "new.csv", n=60, seed=7, with_target=False)
    done = run(
        str(folder / "run" / "model.npz"),
        "--data",
        str(tmp_path / "new.csv"),
        "--out",
        str(tmp_path / "predictions.csv"),
        module="nn.predict",
    )
    assert done.returncode == 0, done.stderr
    with open(tmp_path / "predictions.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["prediction", "p_setosa", "p_versicolor", "p_virginica"]
    assert np.mean([r["prediction"] == t for r, t in zip(rows, truth)]) > 0.9
    for r in rows:
        assert sum(float(r[k]) for k in list(r)[1:]) == pytest.approx(1, abs=1e-5)


def test_regression_from_an_npz(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.3
    np.savez(tmp_path / "d.npz", X=X, y=y)
    done = run(
        "--data",
        str(tmp_path / "d.npz"),
        "--hidden",
        "16",
        "--epochs",
        "30",
        "--lr",
        "0.01",
        "--no-progress",
        "--out",
        str(tmp_path / "run"),
    )
    assert done.returncode == 0, done.stderr
    assert "regression" in done.stdout and float(done.stdout.split("test loss (MSE):")[1]) < 0.1
    np.save(tmp_path / "X.npy", X[:5])
    predicted = run(
        str(tmp_path / "run" / "model.npz"),
        "--data",
        str(tmp_path / "X.npy"),
        "--out",
        str(tmp_path / "p.csv"),
        module="nn.predict",
    )
    assert predicted.returncode == 0, predicted.stderr
    with open(tmp_path / "p.csv", newline="") as f:
        values = [float(r["prediction"]) for r in csv.DictReader(f)]
    np.testing.assert_allclose(values, y[:5], atol=0.5)


@pytest.mark.parametrize(
    "text, flags, message",
    [
        ("a,b,c\n1,x,0\n2,3,1\n", [], "column 'b' is not numeric (row 2: 'x')"),
        ("a,b,c\n1,2,0\n2,3,0\n", [], "target 'c' has a single class ('0')"),
        ("a,b,c\n1,2,0\n2,3,1\n", ["--target", "label"], "no column named 'label'"),
        ("a,b,c\n1,,0\n2,3,1\n", [], "missing value in column 'b', row 2"),
    ],
)
def test_unusable_data_is_one_line_and_writes_nothing(tmp_path, text, flags, message):
    (tmp_path / "bad.csv").write_text(text)
    done = run("--data", str(tmp_path / "bad.csv"), *flags, "--out", str(tmp_path / "run"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()


def test_predict_errors_are_one_line(flower_run, tmp_path):
    folder, _ = flower_run
    (tmp_path / "x.csv").write_text("sepal,width\n1,2\n")
    done = run(
        str(folder / "run" / "model.npz"),
        "--data",
        str(tmp_path / "x.csv"),
        "--out",
        str(tmp_path / "p.csv"),
        module="nn.predict",
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "the model needs the columns ['petal']" in done.stderr and not (tmp_path / "p.csv").exists()


def test_viz_model_draws_a_tanh_model_as_tanh(tmp_path):
    model = nn.MLP([3, 4, 2], activation="tanh", seed=0)
    nn.save(model, str(tmp_path / "m.npz"))
    done = run("model", str(tmp_path / "m.npz"), "--out", str(tmp_path / "m.dot"), module="viz")
    assert done.returncode == 0, done.stderr
    source = (tmp_path / "m.dot").read_text()
    assert "tanh" in source and "relu" not in source
