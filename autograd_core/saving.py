"""``ag.save`` and ``ag.load``, PyTorch's ``torch.save(model.state_dict(), path)`` / ``torch.load(path)`` for
tensors: a Tensor, an array, a list/tuple or a dict of them (a ``state_dict``) as an uncompressed ``.npz``
(numpy's format: one ``<name>.npy`` per array, readable by ``np.load`` anywhere), written atomically. Never pickle:
loading a file runs no code, so every load is "weights only"; a whole model is refused, saying what to write.

>>> w = Tensor([[1.0, 2.0]])
>>> ag.save({"weight": w}, "weights.pth")
'weights.pth'
>>> ag.load("weights.pth", weights_only=True)["weight"]
Tensor([[1., 2.]])
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Mapping, Sequence
from typing import IO, Any

import numpy as np

from .files import atomic_write
from .npz import read_arrays, write_npz
from .tensor import Tensor
from .tensor_inputs import require_cpu

#: The member that says what ``ag.save`` wrote (which entries were Tensors, and whether it was one tensor).
_MARK = "__ag_save__"
_ONE = "tensor"  # the member of a single saved tensor


def save(
    obj: Tensor | np.ndarray | Sequence[Tensor | np.ndarray] | Mapping[str, Tensor | np.ndarray],
    f: str | os.PathLike[str] | IO[bytes],
) -> str | None:
    """Write a Tensor, a numpy array, a list or tuple of them (``torch.save([x, y], f)``) or a dict of them
    with str keys (``model.state_dict()``) to ``f`` (exactly that name, ``.pth`` too), atomically, and return
    the name; or into ``f``, a file open for binary writing (``with open(path, "wb") as f: torch.save(x, f)``,
    an ``io.BytesIO``), from where it stands, returning None. ``ag.load(f)`` gives it back, Tensors as Tensors,
    a list as a list.

    >>> ag.save(ag.ones(2), "ones.pth")
    'ones.pth'
    >>> with open("points.t", "wb") as f:
    ...     ag.save(ag.ones(2), f)
    >>> with open("points.t", "rb") as f:
    ...     ag.load(f)
    Tensor([1., 1.])
    """
    if hasattr(obj, "param_groups"):
        raise TypeError(
            "ag.save: an optimizer's state holds more than arrays; save a training checkpoint with "
            "nn.utils.save_checkpoint(path, model, optimizer)"
        )
    if hasattr(obj, "state_dict"):  # a Module: PyTorch pickles it whole, with its class
        raise TypeError(
            f"ag.save: a whole model ({type(obj).__name__}) is not pickled here (a pickle runs code when loaded); "
            "save its weights, ag.save(model.state_dict(), path), and load them into a model you build: "
            "model.load_state_dict(ag.load(path)); or nn.save(model, path), which records the architecture "
            "too, and nn.load(path) rebuilds it"
        )
    if isinstance(f, io.TextIOBase):
        raise TypeError(f"ag.save: the file {getattr(f, 'name', '')!r} is open as text; open it with 'wb'")
    if not isinstance(f, (str, os.PathLike)) and not callable(getattr(f, "write", None)):
        raise TypeError(
            f"ag.save: f must be a file name (str or pathlib.Path) or a file open with 'wb', got {type(f).__name__}"
        )
    one = isinstance(obj, (Tensor, np.ndarray))
    sequence = type(obj).__name__ if type(obj) in (list, tuple) else None  # their members are "0", "1", ...
    entries = {_ONE: obj} if one else dict(zip(map(str, range(len(obj))), obj)) if sequence else obj
    if not isinstance(entries, Mapping):
        raise TypeError(
            f"ag.save: expected a Tensor, an array, a list/tuple or a dict of them (a state_dict), "
            f"got {type(obj).__name__}"
        )
    arrays: dict[str, np.ndarray] = {}
    for key, value in entries.items():
        if not isinstance(key, str) or not key or key == _MARK or "/" in key:
            raise ValueError(f"ag.save: a key must be a non-empty str without '/' (not {_MARK!r}), got {key!r}")
        if not isinstance(value, (Tensor, np.ndarray)) or np.asarray(value).dtype.hasobject:
            raise TypeError(
                f"ag.save: entry {key!r} is a {type(value).__name__}; only tensors and numeric arrays are saved "
                "(a state_dict); for a training checkpoint use nn.utils.save_checkpoint(path, model, optimizer)"
            )
        arrays[key] = value.data if isinstance(value, Tensor) else value
    mark = {"one": one, "sequence": sequence, "tensors": [k for k, v in entries.items() if isinstance(v, Tensor)]}
    arrays[_MARK] = np.frombuffer(json.dumps(mark).encode("utf-8"), dtype=np.uint8)
    if not isinstance(f, (str, os.PathLike)):
        write_npz(f, arrays)  # the caller's file: written where it stands, left open
        return None
    return os.fspath(atomic_write(f, lambda file: write_npz(file, arrays)))


def load(f: str | os.PathLike[str] | IO[bytes], map_location: object = None, weights_only: bool | None = None) -> Any:
    """What ``ag.save`` wrote to ``f`` (a file name, or a file open with ``"rb"``): a Tensor, an array, a
    list/tuple or a dict of them (Tensors where Tensors were saved); any other ``.npz`` as a dict of its arrays.
    No pickle is read, so ``weights_only`` (PyTorch's guard against unpickling code) holds either way;
    ``map_location`` may only be the CPU.

    >>> _ = ag.save({"w": np.zeros(2)}, "state.pth")
    >>> ag.load("state.pth", map_location="cpu")
    {'w': array([0., 0.])}
    """
    require_cpu("ag.load: map_location", map_location)
    if weights_only not in (None, True, False):
        raise TypeError(f"ag.load: weights_only must be True or False, got {weights_only!r}")
    name = os.fspath(f) if isinstance(f, (str, os.PathLike)) else getattr(f, "name", type(f).__name__)
    try:  # every header checked before any data is read: a small hostile file cannot declare gigabytes
        arrays = read_arrays(f)
    except ValueError as error:
        raise ValueError(
            f"{error}; a PyTorch .pth (a pickle) is read by torch: torch.load(path), then "
            "model.load_state_dict({k: v.numpy() ...})"
        ) from None
    if _MARK not in arrays:
        return arrays
    try:
        mark = json.loads(arrays.pop(_MARK).tobytes().decode("utf-8"))
        tensors, one, sequence = set(mark["tensors"]), mark["one"] is True, mark.get("sequence")
        if one and set(arrays) != {_ONE}:
            raise ValueError(f"one tensor was saved, but the file holds {sorted(arrays)}")
        if sequence not in (None, "list", "tuple") or (sequence and set(arrays) != set(map(str, range(len(arrays))))):
            raise ValueError(f"a {sequence} was saved, but the file holds {sorted(arrays)}")
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"ag.load: {name} is damaged: its {_MARK} member does not fit its arrays ({error})") from None
    loaded = {key: Tensor(value) if key in tensors else value for key, value in arrays.items()}
    if sequence:
        return (list if sequence == "list" else tuple)(loaded[str(i)] for i in range(len(loaded)))
    return loaded[_ONE] if one else loaded
