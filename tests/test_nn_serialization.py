"""nn.save / nn.load: exact .npz round trips, atomic writes, and loads that validate before changing anything."""

import os
import re
import threading
import tracemalloc
import warnings
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
    for (_, p), (_, q) in zip(model.named_parameters(), other.named_parameters()):
        np.testing.assert_array_equal(p.data, q.data)
        assert p.dtype == q.dtype


def test_file_is_plain_npz_readable_without_pickle(tmp_path):
    model = nn.MLP([2, 3, 1], seed=0, dtype=np.float32)
    path = tmp_path / "weights.bin"  # exactly this name: no ".npz" appended
    nn.save(model, path)
    assert os.listdir(tmp_path) == ["weights.bin"]  # and no temporary file left behind
    with np.load(path, allow_pickle=False) as archive:
        assert sorted(archive.files) == sorted([n for n, _ in model.named_parameters()] + ["__model__"])
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


@pytest.mark.parametrize(
    "other, message",
    [
        (lambda: nn.MLP([5, 8, 3], seed=0), r"'layers.0.weight': shape \(8, 5\), the parameter has shape \(7, 5\)"),
        (lambda: nn.MLP([5, 7, 7, 3], seed=0), r"unexpected names: layers.4.weight, layers.4.bias"),
        (lambda: nn.MLP([5, 3], seed=0), r"missing names: layers.2.weight, layers.2.bias"),
    ],
)
def test_mismatched_files_raise_and_leave_the_model_untouched(tmp_path, other, message):
    path = tmp_path / "other.npz"
    nn.save(other(), path)
    model = nn.MLP([5, 7, 3], seed=0)
    before = snapshot(model)
    with pytest.raises(ValueError, match=r"nn.load: '.*other.npz' does not fit this MLP: .*" + message):
        nn.load(model, path)
    assert_unchanged(model, before)


@pytest.mark.parametrize(
    "bad_value, message",
    [
        (np.full((3,), np.nan), r"'layers.2.bias': 3 NaN/Inf values"),
        (np.arange(3), r"'layers.2.bias': dtype int64 is not floating-point"),
    ],
)
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
        assert sorted(archive.files) == ["__model__", "allow_pickle", "file"]
        assert archive["allow_pickle"].dtype == np.float32
    loaded = nn.load(Odd(1), path)
    for (_, p), (_, q) in zip(Odd(0).named_parameters(), loaded.named_parameters()):
        np.testing.assert_array_equal(p.data, q.data)


# ------------------------------------------------------------------ untrusted files: headers first, bounded memory
def npz_member(archive, name, shape, data_bytes, descr="<f8", version=(1, 0)):
    """Write a member whose .npy header declares ``shape`` and which then holds ``data_bytes`` zero bytes."""
    with archive.open(name, "w", force_zip64=True) as entry:
        header = {"descr": descr, "fortran_order": False, "shape": shape}
        write_header = {(1, 0): np.lib.format.write_array_header_1_0, (2, 0): np.lib.format.write_array_header_2_0}[
            version
        ]
        write_header(entry, header)
        zeros = bytes(1 << 20)
        while data_bytes > 0:
            entry.write(zeros[:data_bytes])
            data_bytes -= len(zeros)


def good_state_archive(path, model, compression=zipfile.ZIP_STORED):
    archive = zipfile.ZipFile(path, "w", compression, compresslevel=1 if compression else None)
    for name, value in model.state_dict().items():
        with archive.open(name + ".npy", "w") as entry:
            np.lib.format.write_array(entry, value)
    return archive


BOMB_BYTES = 160 << 20  # 160 MB of zeros: deflated to ~160 KB; the old reader held all of it in memory


@pytest.fixture(scope="module")
def bombs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bombs")
    model = nn.MLP([5, 7, 3], seed=1)
    with good_state_archive(folder / "unknown.npz", model, zipfile.ZIP_DEFLATED) as archive:  # 160 MB, unknown name
        npz_member(archive, "extra.npy", (BOMB_BYTES // 8,), BOMB_BYTES)
    with zipfile.ZipFile(folder / "wrong_shape.npz", "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, value in model.state_dict().items():
            if name == "layers.0.weight":  # the right name, a 160 MB shape
                npz_member(archive, name + ".npy", (BOMB_BYTES // 8,), BOMB_BYTES)
            else:
                with archive.open(name + ".npy", "w") as entry:
                    np.lib.format.write_array(entry, value)
    with good_state_archive(folder / "declares_gigabytes.npz", model) as archive:  # 3 GB declared, 16 bytes held
        npz_member(archive, "huge.npy", (400_000_000,), 16)
    with zipfile.ZipFile(folder / "known_gigabytes.npz", "w") as archive:
        for name, value in model.state_dict().items():
            if name == "layers.2.bias":
                npz_member(archive, name + ".npy", (3, 2**40), 24)  # right leading axis, 24 TB declared
            else:
                with archive.open(name + ".npy", "w") as entry:
                    np.lib.format.write_array(entry, value)
    with (
        zipfile.ZipFile(folder / "huge_header.npz", "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        archive.open("layers.0.weight.npy", "w", force_zip64=True) as entry,  # .npy 2.0: 4-byte header length
    ):
        entry.write(b"\x93NUMPY\x02\x00" + (BOMB_BYTES).to_bytes(4, "little") + bytes(BOMB_BYTES))
    return folder


@pytest.mark.parametrize(
    "name, message",
    [
        ("unknown.npz", r"does not fit this MLP: unexpected names: extra"),
        (
            "wrong_shape.npz",
            r"does not fit this MLP: 'layers.0.weight': shape \(20971520,\), "
            r"the parameter has shape \(7, 5\)",
        ),
        (
            "declares_gigabytes.npz",
            r"member 'huge.npy': its header declares shape \(400000000,\) of float64 \(3200000000 "
            r"bytes\) but the member holds 16 bytes",
        ),
        ("known_gigabytes.npz", r"member 'layers.2.bias.npy': its header declares shape \(3, 1099511627776\)"),
        ("huge_header.npz", r"member 'layers.0.weight.npy': .*array header"),
    ],
)
def test_bombs_are_refused_from_their_headers_in_bounded_memory(bombs, name, message):
    model = nn.MLP([5, 7, 3], seed=0)
    before = snapshot(model)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=rf"nn.load: .*{name}'.*{message}"):
            nn.load(model, bombs / name)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 100 << 20, f"reading {name} peaked at {peak / 2**20:.0f} MB"
    assert_unchanged(model, before)


def hostile_archives(tmp_path, model):
    """(file, the member the error must name, what it must say) for each way an archive can be hostile."""
    made = []

    def archive(name, compression=zipfile.ZIP_STORED):
        made.append(tmp_path / name)
        return good_state_archive(tmp_path / name, model, compression)

    with archive("not_npy.npz") as z:
        z.writestr("README.txt", "hello")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name, as it should
        with archive("duplicate.npz") as z, z.open("layers.0.bias.npy", "w") as entry:
            np.lib.format.write_array(entry, np.zeros(7))
    with archive("pickle.npz") as z, z.open("objects.npy", "w") as entry:
        np.lib.format.write_array(entry, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with archive("strings.npz") as z, z.open("names.npy", "w") as entry:
        np.lib.format.write_array(entry, np.array(["a", "b"]))
    with archive("version3.npz") as z, z.open("v3.npy", "w") as entry:
        np.lib.format.write_array(entry, np.zeros(2), version=(3, 0))
    with archive("folder.npz") as z:
        z.mkdir("layers")
    with archive("deflated.npz", zipfile.ZIP_DEFLATED):
        pass
    data = bytearray((tmp_path / "deflated.npz").read_bytes())
    with zipfile.ZipFile(tmp_path / "deflated.npz") as z:
        info = z.getinfo("layers.0.weight.npy")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start + 5 : start + 25] = bytes(range(20))  # the deflate stream itself is damaged: zlib.error
    (tmp_path / "zlib.npz").write_bytes(bytes(data))
    made.append(tmp_path / "zlib.npz")
    data = bytearray((tmp_path / "deflated.npz").read_bytes())
    for offset in (info.header_offset + 8, data.index(b"PK\x01\x02") + 10):  # its local and central headers
        data[offset : offset + 2] = (99).to_bytes(2, "little")  # an unknown compression method
    (tmp_path / "method.npz").write_bytes(bytes(data))
    made.append(tmp_path / "method.npz")
    return made


@pytest.mark.parametrize(
    "name, message",
    [
        ("not_npy.npz", r"member 'README.txt' is not an .npy array"),
        ("duplicate.npz", r"member 'layers.0.bias.npy' appears twice"),
        ("pickle.npz", r"member 'objects.npy': dtype object holds Python objects \(a pickle\): refused"),
        ("strings.npz", r"member 'names.npy': dtype <U1 is not a plain number type"),
        ("version3.npz", r"member 'v3.npy': .npy format version \(3, 0\) is not supported"),
        ("folder.npz", r"member 'layers/' is not an .npy array"),
        ("zlib.npz", r"member 'layers.0.weight.npy': .*(decompress|CRC)"),
        ("method.npz", r"member 'layers.0.weight.npy': .*compression method"),
    ],
)
def test_hostile_archives_are_a_value_error_naming_file_and_member(tmp_path, name, message):
    model = nn.MLP([5, 7, 3], seed=0)
    hostile_archives(tmp_path, nn.MLP([5, 7, 3], seed=1))
    before = snapshot(model)
    with pytest.raises(ValueError, match=rf"nn.load: cannot read '.*{name}' as a saved model .*{message}"):
        nn.load(model, tmp_path / name)
    assert_unchanged(model, before)


def test_a_fifo_or_a_folder_is_refused_without_blocking(tmp_path):
    model = nn.MLP([5, 7, 3], seed=0)
    before = snapshot(model)
    paths = [tmp_path]
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe.npz")  # opening it for reading would wait forever for a writer
        paths.append(tmp_path / "pipe.npz")
    for path in paths:
        outcome = []

        def load(path=path, outcome=outcome):
            with pytest.raises(ValueError) as caught:
                nn.load(model, path)
            outcome.append(caught)

        reader = threading.Thread(target=load, daemon=True)
        reader.start()
        reader.join(timeout=10)
        assert outcome, f"nn.load({str(path)!r}) blocked"
        assert re.search(r"nn.load: '.*' is not a regular file \(a folder, a FIFO or a device\)", str(outcome[0].value))
    assert_unchanged(model, before)


def test_fortran_order_and_deflated_members_still_load(tmp_path):
    """np.savez_compressed's files, and arrays stored column-major, are legitimate .npz files."""
    model = nn.MLP([5, 7, 3], seed=1)
    state = {name: np.asfortranarray(value) for name, value in model.state_dict().items()}
    np.savez_compressed(tmp_path / "compressed.npz", **state)
    loaded = nn.load(nn.MLP([5, 7, 3], seed=0), tmp_path / "compressed.npz")
    for (_, p), (_, q) in zip(model.named_parameters(), loaded.named_parameters()):
        np.testing.assert_array_equal(p.data, q.data)


def test_read_headers_reads_shapes_without_the_data(bombs):
    """What `python -m viz model` uses to guess an MLP's sizes: a 160 MB member costs only its header."""
    tracemalloc.start()
    try:
        headers = nn.serialization.read_headers(bombs / "unknown.npz")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert headers["extra"] == ((BOMB_BYTES // 8,), np.dtype(np.float64))
    assert headers["layers.0.weight"] == ((7, 5), np.dtype(np.float64))
    assert peak < 10 << 20
