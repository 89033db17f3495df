"""Saving and loading models as ``.npz`` (never pickle).

The file holds one array per parameter under its dotted name (``layers.0.weight``),
and one more, ``__model__``: UTF-8 JSON (as a uint8 array) saying what the weights mean —
the architecture (``nn.architecture``), the preprocessing, the task and class names, the
library version — so ``nn.load(path)`` rebuilds the model and ``np.load(path,
allow_pickle=False)`` still reads every part anywhere. Saving writes a temporary
file in the same folder and renames it over the target (``os.replace`` is atomic),
so a crash never leaves half a file. Loading treats the file as untrusted: every .npy
header is read and checked (names, shapes, dtypes) before any array data, each array
is read only up to the size its header declares, then values are checked (finiteness),
all before touching the model.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING, TypeVar, cast, overload

import numpy as np

from autograd_core import npz
from autograd_core.files import atomic_write  # the one atomic writer (nn.train imports it from here too)
from autograd_core.npz import Headers, StrPath, write_npz  # the one .npz reader and writer (nn.utils imports these)

from .model_info import INFO_MEMBER, MAX_INFO_BYTES, ModelInfo, refuse_checkpoint
from .module import Module
from .module_state import _is_counter
from .parameter import is_lazy

if TYPE_CHECKING:
    from .datasets import Standardizer

_M = TypeVar("_M", bound=Module)
# the reader an error names -> (it, what it reads, what writes that)
_READS = {
    "nn.load": ("nn.load", "a saved model", "nn.save"),
    "load_checkpoint": ("load_checkpoint", "a checkpoint", "nn.utils.save_checkpoint"),
}


def save(
    model: Module,
    path: StrPath,
    preprocessing: Standardizer | None = None,
    task: str | None = None,
    class_names: Sequence[str] | None = None,
    feature_names: Sequence[str] | None = None,
) -> str:
    """Write ``model.state_dict()`` and what rebuilds it to ``path`` (exactly that name), an uncompressed .npz.

    - ``preprocessing``: the ``nn.datasets.Standardizer`` fitted on the training rows, applied
      to raw inputs before the model (``python -m nn.predict`` does);
    - ``task``: "classification" or "regression"; ``class_names``: the label of each output
      unit; ``feature_names``: the input columns' names.

    The architecture is stored when every layer is one of ``nn``'s (else ``nn.load(path)``
    says to load into a model you build: ``nn.load(model, path)``).

    >>> model = nn.MLP([4, 8, 2], seed=0)
    >>> nn.save(model, "model.npz", class_names=["cat", "dog"])
    'model.npz'
    """
    if not hasattr(model, "state_dict") or hasattr(model, "param_groups"):  # a dict, a path, an optimizer
        raise TypeError(f"nn.save: expected a Module, got {type(model).__name__}; {_SAVE_HINT}")
    lazy = [name for name, p in model.named_parameters() if is_lazy(p)]
    if lazy:
        raise ValueError(
            f"nn.save: {', '.join(lazy)} belong to lazy layers not built yet (their input size comes from the first "
            "call): call the model once on a batch, then save"
        )
    state = model.state_dict()
    if not state:
        raise ValueError(f"nn.save: {type(model).__name__} has no parameters to save")
    if INFO_MEMBER in state:
        raise ValueError(f"nn.save: a parameter is named {INFO_MEMBER!r}, the name the file keeps for its description")
    info = ModelInfo.of(model, preprocessing, task, class_names, feature_names).to_json().encode("utf-8")
    arrays = dict(state, **{INFO_MEMBER: np.frombuffer(info, dtype=np.uint8)})
    written: str = os.fspath(atomic_write(path, lambda f: write_npz(f, arrays)))
    return written


_SAVE_HINT = (  # what nn.save(a state_dict / a path / an optimizer, ...) was meant as
    "give the model itself, first: nn.save(model, path) (PyTorch's torch.save(model.state_dict(), path)); "
    "an optimizer's state goes in a checkpoint: nn.utils.save_checkpoint(path, model, optimizer)"
)


def read_info(path: StrPath) -> ModelInfo:
    """What a file written by ``nn.save`` says about its weights: a ``ModelInfo`` (architecture,
    preprocessing, task, class names, version). Reads only that part of the file.

    >>> path = nn.save(nn.MLP([64, 16, 10], seed=0), "model.npz", class_names=[str(d) for d in range(10)])
    >>> nn.read_info("model.npz").class_names
    ['0', '1', ..., '9']
    """
    path = os.fspath(path)

    def check(headers: Headers) -> None:
        refuse_checkpoint(path, list(headers))
        if INFO_MEMBER not in headers:
            raise ValueError(
                f"nn.load: {path!r} holds weights only (saved by an older version, or by np.savez): "
                "build the model and load them with nn.load(model, path)"
            )
        shape, dtype = headers[INFO_MEMBER]
        if dtype != np.uint8 or len(shape) != 1 or shape[0] > MAX_INFO_BYTES:
            raise ValueError(
                f"nn.load: {path!r}: member {INFO_MEMBER!r} is not a description "
                f"(shape {shape}, dtype {dtype}; expected up to {MAX_INFO_BYTES} bytes of uint8)"
            )

    raw = read_arrays(path, check, only=(INFO_MEMBER,))[INFO_MEMBER]
    try:
        text = raw.tobytes().decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"nn.load: {path!r}: its description is not UTF-8 text") from None
    return ModelInfo.from_json(text, f"nn.load: {path!r}")


def read_arrays(
    path: StrPath,
    check: Callable[[Headers], object] | None = None,
    only: Collection[str] | None = None,
    caller: str = "nn.load",
) -> dict[str, np.ndarray]:
    """The arrays of an .npz file, validated before any array data is read (``autograd_core.npz.read_arrays``),
    its errors naming ``caller``: ``"nn.load"`` or ``"load_checkpoint"``.

    >>> path = nn.save(nn.MLP([64, 16, 10], seed=0), "model.npz")
    >>> arrays = read_arrays("model.npz")
    >>> sorted(arrays)[:3]             # __model__: what nn.read_info reads
    ['__model__', 'layers.0.bias', 'layers.0.weight']
    """
    return npz.read_arrays(path, check, only, _READS[caller])


def read_headers(path: StrPath) -> Headers:
    """``{name: (shape, dtype)}`` of a saved model's arrays from their headers alone (no array data is read).

    >>> path = nn.save(nn.MLP([64, 16, 10], seed=0), "model.npz")
    >>> read_headers("model.npz")["layers.0.weight"]
    ((16, 64), dtype('float64'))
    """
    return npz.read_headers(path, _READS["nn.load"])


@overload
def load(model_or_path: StrPath, path: None = None) -> Module: ...
@overload
def load(model_or_path: _M, path: StrPath) -> _M: ...
def load(model_or_path: Module | StrPath, path: StrPath | None = None) -> Module:
    """``nn.load(path)``: the model saved there, rebuilt; ``nn.load(model, path)``: the saved
    parameters loaded into ``model``. Returns the model.

    Every name, shape and dtype is checked from the file's headers before any array is
    read, then every value: on any problem a ``ValueError`` names the file and the
    mismatch, and the model is left exactly as it was.

    >>> path = nn.save(nn.MLP([64, 16, 10], seed=0), "model.npz")
    >>> model = nn.load("model.npz")                          # as saved
    >>> model = nn.load(nn.MLP([64, 16, 10]), "model.npz")    # into a model of your own
    >>> model.layers[0]
    Linear(in_features=64, out_features=16, bias=True)
    """
    if path is None:
        if not isinstance(model_or_path, (str, os.PathLike)):
            raise TypeError(
                f"nn.load: expected nn.load(path) or nn.load(model, path), got a {type(model_or_path).__name__} alone"
            )
        info = read_info(model_or_path)
        if info.architecture is None:
            raise ValueError(
                f"nn.load: {os.fspath(model_or_path)!r} holds weights without an architecture (saved "
                "from a model with layers of your own): build the model and nn.load(model, path)"
            )
        from .architecture import build

        return load(build(info.architecture), model_or_path)
    if not hasattr(model_or_path, "load_state_dict"):
        raise TypeError(f"nn.load: expected a Module, got {type(model_or_path).__name__}; write nn.load(model, path)")
    model = cast(Module, model_or_path)  # a Module, or anything with its state_dict methods
    path = os.fspath(path)
    params = dict(model.state_dict(keep_vars=True))
    aliases: dict[int, list[str]] = {}  # a tied tensor's names: a file listing any one of them is complete
    for name, value in params.items():
        aliases.setdefault(id(value), []).append(name)

    def does_not_fit(problems: list[str]) -> ValueError:
        return ValueError(f"nn.load: {path!r} does not fit this {type(model).__name__}: " + "; ".join(problems))

    def check(
        headers: Headers,
    ) -> None:  # the same names, shapes and dtypes load_state_dict demands, before reading data
        refuse_checkpoint(path, list(headers))
        problems: list[str] = []
        missing = [names[0] for names in aliases.values() if not any(n in headers for n in names)]
        unexpected = [n for n in headers if n not in params and n != INFO_MEMBER]
        if missing:
            problems.append(f"missing names: {', '.join(missing)}")
        if unexpected:
            problems.append(f"unexpected names: {', '.join(unexpected)}")
        for name, (shape, dtype) in headers.items():
            if name in params and shape != params[name].shape:
                problems.append(f"'{name}': shape {shape}, the parameter has shape {params[name].shape}")
            elif name in params and dtype.kind != "f" and not (dtype.kind in "iu" and _is_counter(params[name])):
                problems.append(f"'{name}': dtype {dtype} is not floating-point")  # (a counter's integers load)
        if problems:
            raise does_not_fit(problems)

    arrays = read_arrays(path, check)
    arrays.pop(INFO_MEMBER, None)
    try:
        model.load_state_dict(arrays)
    except ValueError as error:
        raise does_not_fit([str(error)]) from error
    return model
