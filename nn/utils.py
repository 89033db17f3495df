"""Gradient clipping (from clipping.py) and resumable checkpoints (``torch.nn.utils`` and ``torch.save`` habits).

>>> model = nn.MLP([2, 8, 2], seed=0)
>>> opt = nn.optim.Adam(model.parameters(), lr=0.01)
>>> scheduler = nn.optim.StepLR(opt, step_size=10)
>>> loss = F.cross_entropy(model(np.ones((4, 2))), np.array([0, 1, 1, 0]))
>>> loss.backward()
>>> total = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)   # the norm before clipping
>>> opt.step()
>>> nn.utils.save_checkpoint("run.npz", model, opt, scheduler)          # later: load_checkpoint(...)
'run.npz'
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Iterable
from typing import Any, Protocol

import numpy as np

import autograd_core as ag
from autograd_core import Tensor

from . import func as stateless  # torch.nn.utils.stateless.functional_call: torch.func's older home
from . import parametrizations as parametrizations
from . import parametrize as parametrize
from . import rnn_utils as rnn
from .clipping import (  # noqa: F401 (nn.utils.clip_grad_norm_, ...: torch's home for them)
    clip_grad_norm_,
    clip_grad_value_,
    clip_grads_with_norm_,
    get_total_norm,
    squared_norm,
)
from .clipping import tensor_list as _tensors
from .init import write_in_place
from .module import Module
from .parametrizations import old_spectral_norm as spectral_norm  # noqa: F401  (torch's nn.utils.spectral_norm)
from .parametrizations import old_weight_norm as weight_norm  # noqa: F401  (torch's nn.utils.weight_norm)
from .parametrizations import remove_spectral_norm as remove_spectral_norm
from .parametrizations import remove_weight_norm as remove_weight_norm
from .serialization import StrPath, atomic_write, read_arrays, write_npz

# torch's nn.utils.rnn lives in nn/rnn_utils.py; registering it (as os registers os.path) lets
# `import nn.utils.rnn` work too, not only `from nn.utils import rnn`
sys.modules[f"{__name__}.rnn"] = rnn
sys.modules[f"{__name__}.stateless"] = stateless
sys.modules[f"{__name__}.parametrize"] = parametrize
sys.modules[f"{__name__}.parametrizations"] = parametrizations


class Stateful(Protocol):
    """What a checkpoint saves and restores: an optimizer, a scheduler, a DataLoader, fit's state."""

    def state_dict(self) -> dict[str, Any]: ...
    def load_state_dict(self, state_dict: dict[str, Any]) -> object: ...  # a Module answers with its keys


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """Every parameter flattened into one vector, in order, as ``torch.nn.utils.parameters_to_vector``;
    recorded, so a loss of it sends each parameter its gradient.

    >>> nn.utils.parameters_to_vector(nn.Linear(2, 1).parameters()).shape
    (3,)
    """
    tensors = _tensors("parameters_to_vector", parameters)
    if not tensors:
        raise ValueError("parameters_to_vector: no parameters given (a generator can only be used once)")
    return ag.cat([p.reshape(-1) for p in tensors])


def vector_to_parameters(vec: Tensor | np.ndarray, parameters: Iterable[Tensor]) -> None:
    """Write ``vec``'s values into the parameters, in order and in their shapes, as
    ``torch.nn.utils.vector_to_parameters``: values only, in place (a graph that saved one then refuses to
    backward), the inverse of ``parameters_to_vector``.

    >>> layer = nn.Linear(2, 1)
    >>> nn.utils.vector_to_parameters(np.arange(3.0), layer.parameters())
    >>> layer.weight.data.tolist(), layer.bias.data.tolist()
    ([[0.0, 1.0]], [2.0])
    """
    tensors = _tensors("vector_to_parameters", parameters)
    values = np.asarray(vec.data if isinstance(vec, Tensor) else vec)
    total = sum(p.size for p in tensors)
    if values.ndim != 1 or len(values) != total or values.dtype.kind not in "biuf":
        raise ValueError(
            f"vector_to_parameters: expected a 1-d vector of {total} numbers (the parameters' sizes summed), "
            f"got shape {values.shape} of {values.dtype}"
        )
    start = 0
    for p in tensors:
        write_in_place(p, values[start : start + p.size])  # (as nn.init and load_state_dict write)
        start += p.size


# ---------------------------------------------------------------------------------- checkpoints
def save_checkpoint(
    path: StrPath,
    model: Module,
    optimizer: Stateful | None = None,
    scheduler: Stateful | None = None,
    loader: Stateful | None = None,
    training: Stateful | None = None,
) -> StrPath:
    """Write the model's, optimizer's, scheduler's and data loader's state (those given) to one
    .npz file, atomically, without pickle; ``load_checkpoint`` resumes the run exactly (bit for bit).

    >>> model = nn.MLP([2, 8, 2], seed=0)
    >>> opt = nn.optim.Adam(model.parameters(), lr=0.01)
    >>> nn.utils.save_checkpoint("run.npz", model, opt)
    'run.npz'
    """
    _check_order("save_checkpoint", path, model)
    arrays = {f"model/{name}": value for name, value in model.state_dict().items()}
    meta = {}
    if optimizer is not None:
        state = optimizer.state_dict()
        for index, entries in state["state"].items():
            for name, value in entries.items():
                arrays[f"optimizer/{index}/{name}"] = np.asarray(value)
        meta["optimizer"] = {k: v for k, v in state.items() if k != "state"}
    if scheduler is not None:
        meta["scheduler"] = scheduler.state_dict()
    if loader is not None:
        meta["loader"] = loader.state_dict()
    if training is not None:  # nn.fit's own state: JSON, and its arrays (the best epoch's weights) apart
        state = dict(training.state_dict())
        arrays.update({f"training/{name}": np.asarray(value) for name, value in state.pop("arrays").items()})
        meta["training"] = state
    # JSON as UTF-8 bytes (a uint8 array): plain numbers, so nn.load's hardened reader accepts it
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    written: StrPath = atomic_write(path, lambda f: write_npz(f, arrays))
    return written


def _check_order(function: str, path: object, model: object) -> None:
    """The path first, then the model, as ``save_checkpoint(path, model, optimizer)`` (not nn.save's order)."""
    if not isinstance(path, (str, os.PathLike)) or not isinstance(model, Module):
        raise TypeError(
            f"{function}: expected {function}(path, model, optimizer, scheduler, loader), got a "
            f"{type(path).__name__} and a {type(model).__name__} first"
            + (
                "; the path comes first (nn.save's order is the other way round)"
                if isinstance(model, (str, os.PathLike))
                else ""
            )
        )


MAX_META_BYTES = 16 << 20  # a checkpoint's JSON (settings, history, the loader's random state): kilobytes


def _check_sizes(
    path: StrPath, headers: dict[str, tuple[tuple[int, ...], np.dtype[Any]]], model: Module, optimizer: object
) -> None:
    """Refuse, before any data is read, a member larger than this model's checkpoint can hold: every
    array is a parameter, a buffer or an optimizer's per-parameter state, so none has more elements
    than the model's largest array (a deflated header can declare gigabytes in a few kilobytes), but an
    optimizer's that says it keeps larger ones (``largest_state()``: L-BFGS's history)."""
    if "meta" not in headers:
        raise ValueError(
            f"load_checkpoint: {os.fspath(path)!r} is not a checkpoint written by save_checkpoint "
            "(no 'meta' entry); for a file written by nn.save use nn.load(model, path)"
        )
    largest = max((value.size for value in model.state_dict().values()), default=0)
    state_bound = getattr(optimizer, "largest_state", None)
    optimizer_largest = max(largest, state_bound()) if callable(state_bound) else largest
    for name, (shape, dtype) in headers.items():
        most = optimizer_largest if name.startswith("optimizer/") else largest
        size, limit = math.prod(shape), (MAX_META_BYTES if name == "meta" else max(most, 64))
        if size > limit:
            raise ValueError(
                f"load_checkpoint: {os.fspath(path)!r} does not fit this {type(model).__name__}: member {name!r} "
                f"declares shape {shape} of {dtype} ({size:,} values), more than its checkpoint can hold "
                f"({limit:,}); saved from another model, or corrupt. Nothing was read or changed"
            )


def load_checkpoint(
    path: StrPath,
    model: Module,
    optimizer: Stateful | None = None,
    scheduler: Stateful | None = None,
    loader: Stateful | None = None,
    training: Stateful | None = None,
) -> Module:
    """Restore what ``save_checkpoint`` wrote into ``model`` (and ``optimizer``, ``scheduler``, ``loader``).
    All of it is checked before anything changes: on a problem a ``ValueError`` names the file
    and the objects are left as they were.

    >>> model = nn.MLP([2, 8, 2], seed=0)
    >>> opt = nn.optim.Adam(model.parameters(), lr=0.01)
    >>> path = nn.utils.save_checkpoint("run.npz", model, opt)
    >>> fresh = nn.MLP([2, 8, 2], seed=1)
    >>> fresh_opt = nn.optim.Adam(fresh.parameters(), lr=0.01)
    >>> restored = nn.utils.load_checkpoint("run.npz", fresh, fresh_opt)   # returns the model
    >>> np.array_equal(fresh.layers[0].weight.data, model.layers[0].weight.data)
    True
    """
    _check_order("load_checkpoint", path, model)
    arrays = read_arrays(path, lambda headers: _check_sizes(path, headers, model, optimizer), caller="load_checkpoint")
    try:
        meta = json.loads(arrays["meta"].tobytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ValueError(f"load_checkpoint: {os.fspath(path)!r}: its 'meta' entry is not JSON text") from None
    if not isinstance(meta, dict):
        raise ValueError(f"load_checkpoint: {os.fspath(path)!r}: its 'meta' entry is not a JSON object")
    for name, wanted in (
        ("optimizer", optimizer),
        ("scheduler", scheduler),
        ("loader", loader),
        ("training", training),
    ):
        if wanted is not None and name not in meta:
            raise ValueError(f"load_checkpoint: {os.fspath(path)!r} holds no {name} state")
        if wanted is not None and not isinstance(meta[name], dict):
            raise ValueError(
                f"load_checkpoint: {os.fspath(path)!r}: its {name} state is a {type(meta[name]).__name__}, "
                "not the dict state_dict() returns"
            )
    model_state = {k[len("model/") :]: v for k, v in arrays.items() if k.startswith("model/")}
    parts: list[tuple[Stateful, dict[str, Any]]] = [(model, model_state)]
    if optimizer is not None:
        buffers: dict[int, dict[str, np.ndarray]] = {}
        for key, value in arrays.items():
            if key.startswith("optimizer/"):
                _, index, name = (key.split("/", 2) + ["", ""])[:3]
                if not index.isdigit() or not name:
                    raise ValueError(f"load_checkpoint: {os.fspath(path)!r}: unexpected entry {key!r}")
                buffers.setdefault(int(index), {})[name] = value
        parts.append((optimizer, {**meta["optimizer"], "state": buffers}))
    if scheduler is not None:
        parts.append((scheduler, meta["scheduler"]))
    if loader is not None:
        parts.append((loader, meta["loader"]))
    if training is not None:
        parts.append(
            (
                training,
                dict(
                    meta["training"],
                    arrays={k[len("training/") :]: v for k, v in arrays.items() if k.startswith("training/")},
                ),
            )
        )
    backups = [owner.state_dict() for owner, _ in parts]
    done: list[Stateful] = []
    try:
        for owner, state in parts:
            owner.load_state_dict(state)
            done.append(owner)
    except (ValueError, TypeError) as error:
        for owner, backup in zip(done, backups):
            owner.load_state_dict(backup)
        raise ValueError(f"load_checkpoint: {os.fspath(path)!r} does not fit: {error}") from error
    return model
