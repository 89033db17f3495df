"""nn.save / nn.load: exact .npz round trips, atomic writes, and loads that validate before changing anything."""
import os
import zipfile

import numpy as np
import pytest

import nn
from autograd_core import Tensor


def snapshot(model):
    return {name: p.data.copy() for name, p in model.named_parameters()}


def assert_unchanged(model, before):
    for name, p in model.named_parameters():
        np.testing.assert_array_equal(p.data, before[name])


def test_round_trip_is_exact(tmp_path):
    model = nn.MLP([5, 7, 3], seed=0)
    path = tmp_path / "model.npz"
    assert nn.save(model, path) == os.fspath(path)
    other = nn.MLP([5, 7, 3], seed=1)
    assert nn.load(other, path) is other
    for (name, p), (_, q) in zip(model.named_parameters(), other.named_parameters()):
        np.testing.assert_array_equal(p.data, q.data)
        assert p.dtype == q.dtype


def test_file_is_plain_npz_readable_without_pickle(tmp_path):
    model = nn.MLP([2, 3, 1], seed=0, dtype=np.float32)
    path = tmp_path / "weights.bin"  # exactly this name: no ".npz" appended
    nn.save(model, path)
    assert os.listdir(tmp_path) == ["weights.bin"]  # and no temporary file left behind
    with np.load(path, allow_pickle=False) as archive:
        assert sorted(archive.files) == sorted(n for n, _ in model.named_parameters())
        assert archive["layers.0.weight"].dtype == np.float32
        np.testing.assert_array_equal(archive["layers.2.bias"], model.layers[2].bias.data)


def test_a_failed_write_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    nn.save(nn.MLP([2, 3, 1], seed=0), path)
    old = path.read_bytes()

    def exploding_write(file, arrays):
        file.write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(nn.serialization, "write_npz", exploding_write)
    with pytest.raises(OSError, match="disk full"):
        nn.save(nn.MLP([2, 3, 1], seed=1), path)
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ["model.npz"]


def corrupt_files(tmp_path, good):
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(np.random.default_rng(0).bytes(300))
    text = tmp_path / "text.npz"
    text.write_text("layers.0.weight = 1")
    single = tmp_path / "single.npy"
    np.save(single, np.ones(3))
    flipped = tmp_path / "flipped.npz"
    data = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as archive:
        info = archive.getinfo("layers.0.weight.npy")
    data[info.header_offset + 30 + len(info.filename) + 200] ^= 0xFF  # a bit flip inside the array data
    flipped.write_bytes(bytes(data))
    return [truncated, garbage, text, single, flipped]


def test_corrupt_files_raise_and_leave_the_model_untouched(tmp_path):
    good = tmp_path / "good.npz"
    nn.save(nn.MLP([5, 7, 3], seed=1), good)
    model = nn.MLP([5, 7, 3], seed=0)
    before = snapshot(model)
    for path in corrupt_files(tmp_path, good):
        with pytest.raises(ValueError, match=r"nn.load: (cannot read '.*' as a saved model|'.*' is not an \.npz)"):
            nn.load(model, path)
        assert_unchanged(model, before)


@pytest.mark.parametrize("other, message", [
    (lambda: nn.MLP([5, 8, 3], seed=0), r"'layers.0.weight': shape \(8, 5\), the parameter has shape \(7, 5\)"),
    (lambda: nn.MLP([5, 7, 7, 3], seed=0), r"unexpected names: layers.4.weight, layers.4.bias"),
    (lambda: nn.MLP([5, 3], seed=0), r"missing names: layers.2.weight, layers.2.bias"),
])
def test_mismatched_files_raise_and_leave_the_model_untouched(tmp_path, other, message):
    path = tmp_path / "other.npz"
    nn.save(other(), path)
    model = nn.MLP([5, 7, 3], seed=0)
    before = snapshot(model)
    with pytest.raises(ValueError, match=r"nn.load: '.*other.npz' does not fit this MLP: .*" + message):
        nn.load(model, path)
    assert_unchanged(model, before)


@pytest.mark.parametrize("bad_value, message", [
    (np.full((3,), np.nan), r"'layers.2.bias': 3 NaN/Inf values"),
    (np.arange(3), r"'layers.2.bias': dtype int64 is not floating-point"),
])
def test_non_finite_or_integer_values_are_rejected(tmp_path, bad_value, message):
    model = nn.MLP([5, 7, 3], seed=0)
    state = model.state_dict()
    state["layers.2.bias"] = bad_value
    state["layers.0.weight"] = state["layers.0.weight"] + 1  # a valid change that must not be applied either
    path = tmp_path / "bad.npz"
    np.savez(path, **state)
    before = snapshot(model)
    with pytest.raises(ValueError, match=message):
        nn.load(model, path)
    assert_unchanged(model, before)


def test_load_and_save_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nn.load: no such file: '.*missing.npz'"):
        nn.load(nn.MLP([2, 1]), tmp_path / "missing.npz")
    with pytest.raises(TypeError, match=r"nn.save: expected a Module, got dict"):
        nn.save({}, tmp_path / "x.npz")
    with pytest.raises(ValueError, match=r"nn.save: Sequential has no parameters to save"):
        nn.save(nn.Sequential(nn.ReLU()), tmp_path / "x.npz")
    with pytest.raises(TypeError, match=r"nn.load: expected a Module, got str"):
        nn.load("model", tmp_path / "x.npz")


def test_saved_files_get_the_umask_permissions_like_any_new_file(tmp_path):
    """An atomic write must not make the file private (mkstemp's 0600): others read models and pictures."""
    old_umask = os.umask(0o022)
    try:
        nn.save(nn.MLP([2, 3, 1], seed=0), tmp_path / "model.npz")
        with open(tmp_path / "plain.bin", "wb"):
            pass
    finally:
        os.umask(old_umask)
    assert (tmp_path / "model.npz").stat().st_mode & 0o777 == (tmp_path / "plain.bin").stat().st_mode & 0o777 == 0o644


def test_replacing_a_file_keeps_its_permissions(tmp_path):
    path = tmp_path / "model.npz"
    nn.save(nn.MLP([2, 3, 1], seed=0), path)
    os.chmod(path, 0o640)
    nn.save(nn.MLP([2, 3, 1], seed=1), path)
    assert path.stat().st_mode & 0o777 == 0o640
    assert os.listdir(tmp_path) == ["model.npz"]


def test_parameters_named_like_savez_arguments_round_trip(tmp_path):
    """np.savez(f, **state) raised 'got multiple values for argument file' for such a model."""
    class Odd(nn.Module):
        def __init__(self, seed):
            super().__init__()
            rng = np.random.default_rng(seed)
            self.file = Tensor(rng.normal(size=(2, 3)), requires_grad=True)
            self.allow_pickle = Tensor(rng.normal(size=4).astype(np.float32), requires_grad=True)

    path = tmp_path / "odd.npz"
    nn.save(Odd(0), path)
    with np.load(path, allow_pickle=False) as archive:
        assert sorted(archive.files) == ["allow_pickle", "file"]
        assert archive["allow_pickle"].dtype == np.float32
    loaded = nn.load(Odd(1), path)
    for (_, p), (_, q) in zip(Odd(0).named_parameters(), loaded.named_parameters()):
        np.testing.assert_array_equal(p.data, q.data)
