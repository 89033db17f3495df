"""Data files (.npy / .npz for `nn.train --data`, `nn.predict`, `viz model --data`) whose header declares
far more than the file holds: refused in one line before anything is allocated (they were numpy's
MemoryError traceback, or an allocation of the declared size)."""

import io
import subprocess
import sys
import tracemalloc
import zipfile

import numpy as np
import pytest

import nn
from nn.tables import load_table

HUGE = (10**11, 8)  # 6.4 TB of float64 declared, 64 bytes present


def lying_npy() -> bytes:
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": HUGE})
    return header.getvalue() + b"\0" * 64


@pytest.fixture
def bombs(tmp_path):
    (tmp_path / "X.npy").write_bytes(lying_npy())
    np.save(tmp_path / "y.npy", np.arange(10) % 2)
    with zipfile.ZipFile(tmp_path / "data.npz", "w") as archive:
        archive.writestr("X.npy", lying_npy())
        archive.writestr("y.npy", (tmp_path / "y.npy").read_bytes())
    return tmp_path


def test_load_table_refuses_a_lying_header_in_bounded_memory(bombs):
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"load_table: .*X.npy: not a readable numpy file \(mmap length"):
            load_table(bombs / "X.npy", labels=bombs / "y.npy")
        with pytest.raises(
            ValueError, match=r"member X is not a readable array \(its header declares shape \(100000000000, 8\)"
        ):
            load_table(bombs / "data.npz")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10 * 2**20, f"{peak:,} bytes traced to refuse a 6.4 TB header"


def test_honest_files_still_load(tmp_path):
    X, y = np.random.default_rng(0).standard_normal((12, 3)), np.array(["a", "b", "c"] * 4)
    np.savez_compressed(tmp_path / "c.npz", X=X, y=y)  # compressed: the member's size is its uncompressed size
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    for table in (load_table(tmp_path / "c.npz"), load_table(tmp_path / "X.npy", labels=tmp_path / "y.npy")):
        assert np.array_equal(table.X, X) and table.class_names == ["a", "b", "c"]


def run(*args, cwd):
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, timeout=120, cwd=cwd)


def test_the_commands_say_one_line(bombs):
    model = nn.save(nn.MLP([8, 4, 2], seed=0), bombs / "model.npz")
    commands = [
        ("nn.train", "--data", "X.npy", "--labels", "y.npy", "--epochs", "1", "--out", "run"),
        ("nn.train", "--data", "data.npz", "--epochs", "1", "--out", "run"),
        ("nn.predict", str(model), "--data", "X.npy"),
        ("viz", "model", str(model), "--data", "data.npz", "--out", "g.svg"),
        ("viz", "model", str(model), "--data", "y.npy", "--out", "g.svg"),  # a .npy, not an .npz: it was a TypeError
    ]
    for command in commands:
        result = run(*command, cwd=bombs)
        assert result.returncode != 0 and "Traceback" not in result.stderr, (command, result.stderr[-600:])
        assert len(result.stderr.strip().splitlines()) <= 2, result.stderr
    assert "found one array (a .npy)" in run(*commands[-1], cwd=bombs).stderr
