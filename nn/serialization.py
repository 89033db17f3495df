"""Saving and loading a model's parameters as ``.npz`` (never pickle).

The file holds one array per parameter under its dotted name (``layers.0.weight``),
so ``np.load(path, allow_pickle=False)`` reads it anywhere. Saving writes a temporary
file in the same folder and renames it over the target (``os.replace`` is atomic),
so a crash never leaves half a file. Loading reads and checks everything (names,
shapes, dtypes, finiteness) before touching the model.
"""
import os
import zipfile

import numpy as np

from autograd_core.files import atomic_write  # the one atomic writer (nn.train imports it from here too)


def save(model, path):
    """Write ``model.state_dict()`` to ``path`` (exactly that name) as an uncompressed .npz.

    >>> nn.save(model, "model.npz")
    'model.npz'
    """
    if not hasattr(model, "state_dict"):
        raise TypeError(f"nn.save: expected a Module, got {type(model).__name__}")
    state = model.state_dict()
    if not state:
        raise ValueError(f"nn.save: {type(model).__name__} has no parameters to save")
    return os.fspath(atomic_write(path, lambda f: write_npz(f, state)))


def write_npz(file, arrays):
    """``np.savez``'s format (one uncompressed ``<name>.npy`` per array), written here because
    ``np.savez(file, **arrays)`` fails for a parameter called ``file`` (or takes ``allow_pickle``).

    >>> write_npz(open("weights.npz", "wb"), {"w": np.ones(3)})
    """
    with zipfile.ZipFile(file, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in arrays.items():
            with archive.open(name + ".npy", mode="w", force_zip64=True) as entry:
                np.lib.format.write_array(entry, np.asanyarray(array), allow_pickle=False)


def read_arrays(path):
    """All arrays of an .npz file as a dict, or a ``ValueError`` naming the file and the problem."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"nn.load: no such file: {path!r}")
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise ValueError("it holds a single array, not an .npz archive of named arrays")
        with archive:
            return {name: archive[name] for name in archive.files}  # reading each checks its CRC
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as error:
        raise ValueError(f"nn.load: cannot read {path!r} as a saved model (.npz written by nn.save): {error}; "
                         "the file is corrupt or not a model file") from error


def load(model, path):
    """Load parameters saved by ``nn.save`` into ``model``; returns the model.

    Every name, shape, dtype and value is checked first: on any problem a ``ValueError``
    names the file and the mismatch, and the model is left exactly as it was.

    >>> model = nn.load(nn.MLP([64, 64, 10]), "model.npz")
    """
    if not hasattr(model, "load_state_dict"):
        raise TypeError(f"nn.load: expected a Module, got {type(model).__name__}")
    arrays = read_arrays(path)
    try:
        model.load_state_dict(arrays)
    except ValueError as error:
        raise ValueError(f"nn.load: {os.fspath(path)!r} does not fit this {type(model).__name__}: {error}") from error
    return model
