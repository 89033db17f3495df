"""nn.tables.load_table: a user's .csv / .npz / .npy, the task inferred, and one-line errors naming column and row."""

import numpy as np
import pytest

from nn.tables import load_table


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_csv_with_string_labels_keeps_the_class_names(tmp_path):
    path = write(tmp_path, "flowers.csv", "petal,sepal,species\n1.0,2,setosa\n3,4.5,virginica\n5,6,setosa\n")
    table = load_table(path)
    assert table.task == "classification" and table.target_name == "species"
    assert table.feature_names == ["petal", "sepal"] and table.class_names == ["setosa", "virginica"]
    np.testing.assert_array_equal(table.X, [[1, 2], [3, 4.5], [5, 6]])
    np.testing.assert_array_equal(table.y, [0, 1, 0])
    assert table.X.dtype == np.float64 and table.y.dtype == np.int64


def test_csv_target_column_by_name_and_integer_labels(tmp_path):
    path = write(tmp_path, "d.csv", "label,a,b\n7,0.5,1\n3,0.25,2\n7,1,3\n")
    table = load_table(path, target="label")
    assert table.feature_names == ["a", "b"] and table.class_names == ["3", "7"]
    np.testing.assert_array_equal(table.y, [1, 0, 1])


def test_float_targets_mean_regression_and_task_overrides(tmp_path):
    path = write(tmp_path, "r.csv", "x,y\n1,0.5\n2,1.25\n3,2\n")
    table = load_table(path)
    assert table.task == "regression" and table.class_names is None
    np.testing.assert_array_equal(table.y, [[0.5], [1.25], [2.0]])
    ints = write(tmp_path, "i.csv", "x,y\n1,1\n2,2\n3,3\n")
    assert load_table(ints).task == "classification"
    assert load_table(ints, task="regression").task == "regression"


def test_npz_and_npy_pairs(tmp_path):
    X = np.arange(12.0).reshape(6, 2)
    y = np.array([0, 1, 2, 0, 1, 2])
    np.savez(tmp_path / "d.npz", X=X, y=y)
    table = load_table(str(tmp_path / "d.npz"))
    np.testing.assert_array_equal(table.X, X)
    np.testing.assert_array_equal(table.y, y)
    assert table.class_names == ["0", "1", "2"] and table.feature_names == ["x0", "x1"]
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y * 0.5)
    pair = load_table(str(tmp_path / "X.npy"), labels=str(tmp_path / "y.npy"))
    assert pair.task == "regression"
    np.testing.assert_array_equal(pair.y[:, 0], y * 0.5)


@pytest.mark.parametrize(
    "text, target, message",
    [
        ("a,b,c\n1,x,0\n2,3,1\n", None, r"column 'b' is not numeric \(row 2: 'x'\)"),
        ("a,b,c\n1,2,0\n2,,1\n", None, r"missing value in column 'b', row 3"),
        ("a,b,c\n1,2,NA\n2,3,1\n", None, r"missing value in column 'c', row 2"),
        ("a,b,c\n1,2,0\n2,3,0\n", None, r"target 'c' has a single class \('0'\)"),
        ("a,b,c\n1,2,0\n2,3,1\n", "label", r"no column named 'label'; the columns are \['a', 'b', 'c'\]"),
        ("a,b,c\n1,2,0\n2,3\n", None, r"row 3 has 2 fields, the header has 3"),
        ("a,b,c\n1,inf,0\n2,3,1\n", None, r"column 'b', row 2: 'inf' is not finite"),
        ("c\n0\n1\n", None, r"no feature columns besides the target 'c'"),
        # both were read as features: a second 'a' (nn.predict then fed the first 'a' twice), pandas' index
        ("a,a,c\n1,2,0\n2,3,1\n", None, r"the columns \['a'\] appear more than once"),
        (",a,c\n0,2,0\n1,3,1\n", None, r"column 1 has no name \(.*pandas' to_csv .*index=False"),
        ("a;b;c\n1,5;2;0\n2;3;1\n", None, r"one column named 'a;b;c': separate the columns with commas, not ';'"),
    ],
)
def test_csv_errors_name_the_column_and_row(tmp_path, text, target, message):
    path = write(tmp_path, "bad.csv", text)
    with pytest.raises(ValueError, match=r"load_table: .*bad.csv: " + message):
        load_table(path, target=target)


def test_other_errors(tmp_path):
    with pytest.raises(ValueError, match=r"no such file"):
        load_table(str(tmp_path / "missing.csv"))
    with pytest.raises(ValueError, match=r"unknown file type .txt"):
        load_table(write(tmp_path, "d.txt", "1,2"))
    with pytest.raises(ValueError, match=r"task must be one of"):
        load_table(write(tmp_path, "d.csv", "a,b\n1,0\n2,1\n"), task="clustering")
    with pytest.raises(ValueError, match=r"holds fractional numbers; classification needs labels"):
        load_table(write(tmp_path, "f.csv", "a,b\n1,0.5\n2,1\n"), task="classification")
    np.savez(tmp_path / "n.npz", X=np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"expected arrays X and y, missing \['y'\]"):
        load_table(str(tmp_path / "n.npz"))
    np.savez(tmp_path / "nan.npz", X=np.array([[1.0, np.nan], [2, 3]]), y=np.array([0, 1]))
    with pytest.raises(ValueError, match=r"X has a missing or non-finite value at row 0, column 1"):
        load_table(str(tmp_path / "nan.npz"))
    np.save(tmp_path / "X.npy", np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"pass labels= \(--labels on the command line\) the .npy file of the targets"):
        load_table(str(tmp_path / "X.npy"))
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match=r"junk.npz"):
        load_table(str(tmp_path / "junk.npz"))
