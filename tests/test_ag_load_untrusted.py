"""``ag.load`` reads a file as untrusted, through the one .npz reader nn.load uses (autograd_core/npz.py):
every header is checked before any array data is read, so a small hostile file can neither declare
gigabytes nor unpickle code."""

import tracemalloc
import zipfile

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import npz


def archive_with(path, name, header_array, data=b""):
    """A .npz whose member ``name`` has ``header_array``'s .npy header, then ``data`` (not what it declares)."""
    with zipfile.ZipFile(path, "w") as z, z.open(name, "w") as entry:
        np.lib.format.write_array_header_1_0(entry, np.lib.format.header_data_from_array_1_0(header_array))
        entry.write(data)
    return path


def test_a_header_declaring_gigabytes_is_refused_before_anything_is_allocated(tmp_path):
    huge = np.lib.stride_tricks.as_strided(np.zeros(1), shape=(400_000_000,), strides=(0,))  # a header, no memory
    path = archive_with(tmp_path / "bomb.pth", "huge.npy", huge, data=b"\0" * 16)
    tracemalloc.start()
    try:
        with pytest.raises(
            ValueError,
            match=r"ag.load: cannot read '.*bomb.pth' as a file of arrays \(.npz written by ag.save\): member "
            r"'huge.npy': its header declares shape \(400000000,\) of float64 \(3200000000 bytes\) but the member "
            r"holds 16 bytes.*a PyTorch .pth \(a pickle\) is read by torch",
        ):
            ag.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10 << 20, f"refusing the file peaked at {peak / 2**20:.0f} MB"  # the array would be 3.2 GB


def test_a_pickled_member_is_refused_never_unpickled(tmp_path):
    path = tmp_path / "pickle.pth"
    with zipfile.ZipFile(path, "w") as z, z.open("objects.npy", "w") as entry:
        np.lib.format.write_array(entry, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match=r"member 'objects.npy': dtype object holds Python objects \(a pickle\)"):
        ag.load(path)


def test_one_reader_names_its_caller_and_reads_what_the_writer_wrote(tmp_path):
    ag.save({"w": ag.ones(2, 3, dtype=np.float32), "n": np.arange(4)}, tmp_path / "state.pth")
    assert npz.read_headers(tmp_path / "state.pth")["w"] == ((2, 3), np.dtype(np.float32))
    loaded = ag.load(tmp_path / "state.pth")
    assert isinstance(loaded["w"], ag.Tensor) and loaded["n"].tolist() == [0, 1, 2, 3]
    (tmp_path / "folder.pth").mkdir()
    with pytest.raises(ValueError, match=r"nn.load: '.*folder.pth' is not a regular file .* written by nn.save"):
        npz.read_arrays(tmp_path / "folder.pth", reader=("nn.load", "a saved model", "nn.save"))
