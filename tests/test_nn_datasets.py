"""nn.datasets: digits, moons, splitting, standardising, and MNIST IDX files written by the tests."""

import gzip
import os
import pathlib
import re
import struct
import subprocess
import sys
import threading
import tracemalloc

import numpy as np
import pytest

from nn import datasets

ROOT = pathlib.Path(__file__).resolve().parents[1]


# sha256 of scikit-learn 1.9.1's load_digits() arrays (X as float64, y as int64, C order), recorded while it was
# still installed: the digits shipped in nn/data must give exactly the same samples.
SKLEARN_DIGITS_SHA256 = (
    "20def7f70a702f0af9732fbba4375e147a7d54fe70d8c45569b8e7c1c7010c10",
    "a3c91c262eddcf7ba8f0e37507c30284493c9b20412ffe4af30d536401f7ba21",
)


def test_load_digits_returns_scikit_learns_arrays_without_scikit_learn():
    code = (
        "import hashlib, sys; from nn import datasets; X, y = datasets.load_digits(); "
        "print(hashlib.sha256(X.tobytes()).hexdigest(), hashlib.sha256(y.tobytes()).hexdigest(), "
        "any(m.split('.')[0] in ('sklearn', 'scipy') for m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [*SKLEARN_DIGITS_SHA256, "False"]


def test_the_digits_file_is_package_data_and_scikit_learn_is_no_dependency():
    tomllib = pytest.importorskip("tomllib" if sys.version_info >= (3, 11) else "tomli")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["nn"]
    shipped = {p.relative_to(ROOT / "nn").as_posix() for pattern in patterns for p in (ROOT / "nn").glob(pattern)}
    assert {"bundled/digits.csv.gz", "bundled/README.md"} <= shipped
    assert "CC BY 4.0" in (ROOT / "nn" / "bundled" / "README.md").read_text()
    dependencies = " ".join(config["project"]["dependencies"])
    assert "scikit-learn" not in dependencies and "scipy" not in dependencies


def test_load_digits_is_the_real_8x8_data():
    X, y = datasets.load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0 and X.max() == 16 and set(np.unique(X)) <= set(range(17))
    assert np.bincount(y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    assert X[0].reshape(8, 8)[:, 0].sum() == 0  # the first column of a '0' is blank


def test_make_moons_geometry_labels_and_seed():
    X, y = datasets.make_moons(101, noise=0.0, seed=0)
    assert X.shape == (101, 2) and np.bincount(y).tolist() == [50, 51]
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose((upper**2).sum(1), 1.0)  # unit circle
    np.testing.assert_allclose(((lower - [1.0, 0.5]) ** 2).sum(1), 1.0)  # shifted circle
    assert (upper[:, 1] >= -1e-12).all() and (lower[:, 1] <= 0.5 + 1e-12).all()
    a, b, c = (datasets.make_moons(50, noise=0.1, seed=s) for s in (1, 1, 2))
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], c[0])
    noisy = datasets.make_moons(4000, noise=0.1, seed=3)[0]
    clean = datasets.make_moons(4000, noise=0.0, seed=3)[0]
    assert (noisy - clean).std() == pytest.approx(0.1, rel=0.05)


def test_make_moons_errors():
    with pytest.raises(ValueError, match=r"make_moons: n must be an int >= 2, got 1"):
        datasets.make_moons(1)
    with pytest.raises(ValueError, match=r"make_moons: noise must be a finite number >= 0, got -0.1"):
        datasets.make_moons(10, noise=-0.1)
    for bad in (float("nan"), float("inf")):  # NaN noise made every point NaN without a word
        with pytest.raises(ValueError, match=r"make_moons: noise must be a finite number >= 0, got (nan|inf)"):
            datasets.make_moons(10, noise=bad)


def test_train_test_split_partitions_the_rows():
    X = np.arange(100).reshape(50, 2)
    y = np.arange(50)
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, test_size=0.2, seed=0)
    assert len(X_test) == 10 and len(X_train) == 40
    np.testing.assert_array_equal(X_train[:, 0] // 2, y_train)  # rows stay paired with their labels
    assert sorted(np.concatenate([y_train, y_test]).tolist()) == list(range(50))
    again = datasets.train_test_split(X, y, test_size=0.2, seed=0)
    np.testing.assert_array_equal(again[3], y_test)
    assert len(datasets.train_test_split(X, y, test_size=7)[1]) == 7


def test_stratified_split_keeps_class_shares():
    y = np.repeat([0, 1, 2], [60, 30, 10])
    _, _, y_train, y_test = datasets.train_test_split(np.zeros((100, 1)), y, test_size=0.2, seed=0, stratify=True)
    assert np.bincount(y_test).tolist() == [12, 6, 2]
    assert np.bincount(y_train).tolist() == [48, 24, 8]


@pytest.mark.parametrize("test_size, n_test", [(0.2, 360), (0.1, 180), (0.01, 18), (5, 5), (3, 3), (1796, 1796)])
def test_stratified_split_gives_exactly_the_requested_test_size(test_size, n_test):
    """Rounding each class's share on its own gave 359, 20 or even 0 test rows; the shares must add up."""
    y = datasets.load_digits()[1]
    X = np.arange(len(y))
    X_train, X_test, _y_train, y_test = datasets.train_test_split(X, y, test_size=test_size, seed=0, stratify=True)
    assert len(X_test) == n_test and len(X_train) == len(y) - n_test
    assert sorted(np.concatenate([X_train, X_test]).tolist()) == list(range(len(y)))
    exact = np.bincount(y) * n_test / len(y)
    assert (np.abs(np.bincount(y_test, minlength=10) - exact) < 1).all()


def test_stratified_split_of_three_classes_keeps_a_training_row():
    X_train, X_test, _, _ = datasets.train_test_split(np.arange(3), np.array([0, 1, 2]), test_size=0.5, stratify=True)
    assert len(X_test) == 2 and len(X_train) == 1
    with pytest.raises(ValueError, match=r"stratify needs class labels of shape \(N,\), got shape \(3, 2\)"):
        datasets.train_test_split(np.arange(3), np.eye(3)[:, :2], stratify=True)


def test_train_test_split_errors():
    with pytest.raises(ValueError, match=r"train_test_split: X has 3 rows but y has 2"):
        datasets.train_test_split(np.zeros((3, 1)), np.zeros(2))
    with pytest.raises(ValueError, match=r"test_size must be a fraction in \(0, 1\) or a number of rows, got 1.5"):
        datasets.train_test_split(np.zeros((3, 1)), np.zeros(3), test_size=1.5)
    with pytest.raises(ValueError, match=r"test_size=3 gives 3 test rows out of 3; both parts must be non-empty"):
        datasets.train_test_split(np.zeros((3, 1)), np.zeros(3), test_size=3)


def test_standardize_uses_training_statistics_only():
    rng = np.random.default_rng(0)
    train = rng.normal(5.0, 3.0, size=(200, 3))
    train[:, 2] = 4.0  # a constant column: centred, never divided by 0
    test = rng.normal(size=(10, 3))
    train_s, test_s = datasets.standardize(train, test)
    np.testing.assert_allclose(train_s[:, :2].mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(train_s[:, :2].std(0), 1, rtol=1e-12)
    assert not train_s[:, 2].any()
    mean, std = train.mean(0), train.std(0)
    np.testing.assert_allclose(test_s[:, :2], (test[:, :2] - mean[:2]) / std[:2], rtol=1e-12)
    np.testing.assert_allclose(test_s[:, 2], test[:, 2] - 4.0)


def test_standardizer_errors():
    with pytest.raises(RuntimeError, match=r"Standardizer.transform: call fit\(X_train\) first"):
        datasets.Standardizer().transform(np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"Standardizer.transform: X has 3 columns, the scaler was fit on 2"):
        datasets.Standardizer().fit(np.ones((2, 2))).transform(np.zeros((2, 3)))
    with pytest.raises(
        ValueError, match=r"Standardizer.fit: expected a non-empty 2-d array \(N, D\), got shape \(4,\)"
    ):
        datasets.standardize(np.zeros(4))


# ---------------------------------------------------------------------------------- IDX files
def idx_bytes(array, code=0x08):
    header = bytes([0, 0, code, array.ndim]) + struct.pack(">" + "I" * array.ndim, *array.shape)
    dtype = {0x08: ">u1", 0x0B: ">i2", 0x0E: ">f8"}[code]
    return header + array.astype(dtype).tobytes()


@pytest.fixture
def mnist_folder(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(5, 28, 28)).astype(np.uint8)
    labels = np.array([3, 1, 4, 1, 5], np.uint8)
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(idx_bytes(images))
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(labels)))
    return tmp_path, images, labels


def test_load_idx_reads_every_dtype(tmp_path):
    for code, array in [
        (0x08, np.arange(6, dtype=np.uint8).reshape(2, 3)),
        (0x0B, np.array([-300, 2, 40000 - 65536], np.int16)),
        (0x0E, np.array([[1.5, -2.25]])),
    ]:
        path = tmp_path / f"file{code}.idx"
        path.write_bytes(idx_bytes(array, code))
        loaded = datasets.load_idx(path)
        np.testing.assert_array_equal(loaded, array)
        assert loaded.dtype.isnative


def test_load_mnist_from_idx_files(mnist_folder):
    folder, images, labels = mnist_folder
    X, y = datasets.load_mnist(folder, kind="t10k")
    assert X.shape == (5, 784) and X.dtype == np.float64
    np.testing.assert_allclose(X, images.reshape(5, -1) / 255.0)
    np.testing.assert_array_equal(y, labels)


@pytest.mark.parametrize(
    "corrupt, message",
    [
        (lambda b: b[:-3], r"has 25 bytes but its header \(shape \(3, 2, 2\), uint8\) needs 28: the file is truncated"),
        (lambda b: b"\x01" + b[1:], r"is not an IDX file \(it must start with two zero bytes"),
        (lambda b: b[:2] + b"\x42" + b[3:], r"has unknown dtype code 0x42"),
        (lambda b: b[:6], r"is truncated or has 3 axes: the header is incomplete"),
        (lambda b: b + b"\x00", r"has 29 bytes but its header .* needs 28"),
        # Huge axis lengths in a corrupt header: the byte count must not overflow int64 into a negative number.
        (
            lambda b: b[:4] + struct.pack(">III", 2**32 - 1, 2**32 - 1, 2**32 - 1) + b[16:],
            r"has 28 bytes but its header .* needs 79228162458924105385300197391: the file is truncated",
        ),
    ],
)
def test_corrupt_idx_files_raise_clear_errors(tmp_path, corrupt, message):
    path = tmp_path / "bad-idx3-ubyte"
    path.write_bytes(corrupt(idx_bytes(np.zeros((3, 2, 2), np.uint8))))
    with pytest.raises(ValueError, match=r"load_idx: '.*bad-idx3-ubyte' " + message):
        datasets.load_idx(path)


def test_bad_gzip_and_missing_files(tmp_path, mnist_folder):
    bad = tmp_path / "x.gz"
    bad.write_bytes(b"not gzip at all")
    with pytest.raises(ValueError, match=r"load_idx: cannot read '.*x.gz'"):
        datasets.load_idx(bad)
    with pytest.raises(FileNotFoundError, match=r"load_idx: no such file"):
        datasets.load_idx(tmp_path / "nothing")
    folder, _, _ = mnist_folder
    with pytest.raises(FileNotFoundError, match=r"load_mnist: neither '.*train-images-idx3-ubyte' nor"):
        datasets.load_mnist(folder, kind="train")
    with pytest.raises(ValueError, match=r"load_mnist: kind must be 'train' or 't10k'"):
        datasets.load_mnist(folder, kind="test")


def test_load_mnist_checks_counts_and_label_range(mnist_folder):
    folder, _images, _ = mnist_folder
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(np.array([1, 2, 3], np.uint8))))
    with pytest.raises(
        ValueError, match=r"has shape \(5, 28, 28\) and .* has shape \(3,\); expected \(N, rows, cols\)"
    ):
        datasets.load_mnist(folder, kind="t10k")
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(np.array([1, 2, 3, 12, 0], np.uint8))))
    with pytest.raises(ValueError, match=r"labels in .* must be 0\.\.9, found 0\.\.12"):
        datasets.load_mnist(folder, kind="t10k")


def gzip_file(path, head, zero_bytes):
    """``head`` followed by ``zero_bytes`` zeros, gzipped in chunks (a 160 MB bomb is ~160 KB on disk)."""
    with gzip.open(path, "wb", compresslevel=1) as f:
        f.write(head)
        zeros = bytes(1 << 20)
        while zero_bytes > 0:
            f.write(zeros[:zero_bytes])
            zero_bytes -= len(zeros)
    return path


BOMB_BYTES = 160 << 20


@pytest.mark.parametrize(
    "head, message",
    [
        (b"", r"has unknown dtype code 0x00"),  # gzipped zeros, as in the issue: refused after 4 bytes
        (
            idx_bytes(np.array([1, 2, 3], np.uint8)),
            r"holds more than the 11 bytes its header \(shape \(3,\), uint8\) declares",
        ),
        (
            bytes([0, 0, 8, 2]) + struct.pack(">II", 2**32 - 1, 2**32 - 1),  # 16 EB declared, 160 MB held
            r"declares 18446744065119617037 bytes \(shape \(4294967295, 4294967295\), uint8\), more than a gzip file "
            r"of \d+ bytes can hold",
        ),
    ],
)
def test_idx_bombs_are_refused_in_bounded_memory(tmp_path, head, message):
    path = gzip_file(tmp_path / "bomb-idx1-ubyte.gz", head, BOMB_BYTES)
    assert path.stat().st_size < 1 << 20
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"load_idx: '.*bomb-idx1-ubyte.gz' " + message):
            datasets.load_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 100 << 20, f"peak {peak / 2**20:.0f} MB"


def test_a_truncated_gzip_idx_file_is_refused_after_the_data_it_holds(tmp_path):
    path = gzip_file(tmp_path / "short-idx1-ubyte.gz", bytes([0, 0, 8, 1]) + struct.pack(">I", 100), 50)
    with pytest.raises(
        ValueError,
        match=r"has 58 bytes but its header \(shape \(100,\), uint8\) needs 108: the "
        r"file is truncated",
    ):
        datasets.load_idx(path)


def test_an_uncompressed_idx_file_is_checked_against_its_size_before_reading(tmp_path):
    path = tmp_path / "big-idx3-ubyte"
    path.write_bytes(bytes([0, 0, 8, 3]) + struct.pack(">III", 60000, 28, 28) + bytes(1000))
    tracemalloc.start()
    try:
        with pytest.raises(
            ValueError,
            match=r"has 1016 bytes but its header \(shape \(60000, 28, 28\), uint8\) "
            r"needs 47040016",
        ):
            datasets.load_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20  # nothing of the declared 47 MB was allocated


@pytest.mark.parametrize("labels, found", [([3.0, np.nan, 4.0, 1.0, 5.0], "nan"), ([3.0, 1.0, 2.5, 1.0, 5.0], "2.5")])
def test_label_files_with_nan_or_fractional_labels_are_refused(mnist_folder, labels, found):
    folder, _, _ = mnist_folder
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(np.array(labels), code=0x0E)))
    with pytest.raises(
        ValueError,
        match=rf"load_mnist: labels in '.*t10k-labels-idx1-ubyte.gz' must be whole numbers "
        rf"0\.\.9, found 1 that are not \(e\.g\. {found}\)",
    ):
        datasets.load_mnist(folder, kind="t10k")


def test_float_label_files_with_whole_numbers_still_load(mnist_folder):
    folder, _, labels = mnist_folder
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(labels.astype(float), code=0x0E)))
    _, y = datasets.load_mnist(folder, kind="t10k")
    assert y.dtype == np.int64 and y.tolist() == labels.tolist()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_load_idx_refuses_a_fifo_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "pipe-idx1-ubyte")
    outcome = []  # in a thread: before the fix open() waited for a writer forever

    def read():
        with pytest.raises(ValueError) as caught:
            datasets.load_idx(tmp_path / "pipe-idx1-ubyte")
        outcome.append(caught)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=10)
    assert outcome, "load_idx blocked on a FIFO"
    assert re.search(r"load_idx: '.*pipe-idx1-ubyte' is not a regular file", str(outcome[0].value))


def test_stratify_takes_the_labels_as_scikit_learn():
    # stratify=y (scikit-learn's spelling) raised numpy's "truth value of an array ... is ambiguous"
    X, y = np.arange(40.0).reshape(20, 2), np.arange(20) % 2
    by_flag = datasets.train_test_split(X, y, test_size=0.2, seed=3, stratify=True)
    by_labels = datasets.train_test_split(X, y, test_size=0.2, seed=3, stratify=y)
    assert all(np.array_equal(a, b) for a, b in zip(by_flag, by_labels))
    groups = np.array([0] * 16 + [1] * 4)  # another column than y: each group keeps its share
    _, X_test, _, _ = datasets.train_test_split(X, y, test_size=0.5, seed=0, stratify=groups)
    assert sorted(groups[(X_test[:, 0] // 2).astype(int)].tolist()) == [0] * 8 + [1] * 2
    assert len(datasets.train_test_split(X, y, stratify=None)[3]) == 4
    with pytest.raises(ValueError, match=r"stratify needs class labels of shape \(N,\), got shape \(5,\); N = 20 rows"):
        datasets.train_test_split(X, y, stratify=groups[:5])
