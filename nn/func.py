"""torch.func's module helpers: ``functional_call`` (a module run with other tensors in place of its
parameters and buffers, so gradients go to those tensors) and ``stack_module_state`` (several models'
parameters stacked for ``ag.func.vmap``, the model-ensembling recipe). The transforms themselves are
``ag.func``'s (``from autograd_core.func import grad, vmap``).

The substitution is ``substituted(module, tensors)``, a context manager: it swaps the given tensors into
the module's registries (``_parameters``/``_buffers`` and the attribute itself, keeping their order) and
swaps the originals back when the block ends, even on an exception: the same objects in the same order,
labels untouched. Both swaps tell ``ag.compile`` (``structure_changed``): a compiled step that read the
module's own tensors checks its plan by one trace at its next call, so one called inside the block computes
with the swapped tensors; a compiled step that calls ``functional_call`` itself replays as usual. The module
is changed for the duration: another thread calling it meanwhile sees the swapped tensors (as torch's).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from autograd_core import Tensor, structure_changed

from .module import Module

__all__ = ["functional_call", "stack_module_state", "substituted"]


def functional_call(
    module: Module,
    parameter_and_buffer_dicts: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    args: Any = None,
    kwargs: dict[str, Any] | None = None,
    *,
    tie_weights: bool = True,
    strict: bool = False,
) -> Any:
    """torch.func's ``functional_call``: ``module(*args, **kwargs)`` computed with the tensors of
    ``parameter_and_buffer_dicts`` (a dict by dotted name, or a tuple of dicts: ``(params, buffers)``) in
    place of the module's own, which are back in place afterwards. Gradients flow to the given tensors,
    not to the module's parameters. ``args``: a tuple, or one argument. ``tie_weights``: a parameter shared
    under two names takes the given tensor under both. ``strict``: every parameter and buffer must be given.
    A name the module lacks is always an error (torch's strict=False would set it as a new attribute).

    >>> model = nn.Linear(2, 1)
    >>> params = {"weight": ag.ones(1, 2, requires_grad=True), "bias": ag.zeros(1)}
    >>> functional_call(model, params, (ag.tensor([[1.0, 2.0]]),))
    Tensor([[3.]], op=linear)
    """
    given_dicts = parameter_and_buffer_dicts
    dicts = tuple(given_dicts) if isinstance(given_dicts, (tuple, list)) else (given_dicts,)
    given: dict[str, Any] = {}
    for i, d in enumerate(dicts):
        if not isinstance(d, Mapping):
            raise TypeError(
                f"functional_call: parameter_and_buffer_dicts[{i}] is a {type(d).__name__}; give dicts of "
                "dotted name -> Tensor, e.g. dict(model.named_parameters())"
            )
        repeated = sorted(set(given) & set(d))
        if repeated:
            raise ValueError(f"functional_call: {repeated} given in more than one dict; give each name once")
        given.update(d)
    args = args if isinstance(args, tuple) else () if args is None else (args,)
    with substituted(module, given, tie_weights=tie_weights, strict=strict):
        return module(*args, **(kwargs or {}))


@contextmanager
def substituted(
    module: Module, tensors: Mapping[str, Any], *, tie_weights: bool = True, strict: bool = False
) -> Iterator[Module]:
    """Inside the block, ``module``'s parameters and buffers named in ``tensors`` (dotted names, as
    ``named_parameters``) are the given tensors; the originals are back after it, even on an exception.
    Parameters take Tensors (gradients flow to them) or arrays; buffers arrays or Tensors; shapes must match.

    >>> model = nn.Linear(2, 1)
    >>> with substituted(model, {"bias": ag.tensor([5.0])}):
    ...     float(model.bias.item())
    5.0
    >>> float(model.bias.item()) != 5.0
    True
    """
    if not isinstance(module, Module):
        raise TypeError(f"functional_call: module must be an nn.Module, got {type(module).__name__}")
    slots = _slots(module)
    ties: dict[int, list[str]] = {}
    for name, (_, _, _, original) in slots.items():
        ties.setdefault(id(original), []).append(name)
    chosen: dict[str, Any] = {}
    for name, value in tensors.items():
        if name not in slots:
            close = difflib.get_close_matches(str(name), list(slots), n=1)
            raise ValueError(
                f"functional_call: {type(module).__name__} has no parameter or buffer {name!r}"
                + (f" (did you mean {close[0]!r}?)" if close else "")
                + f"; its names are those of named_parameters() and named_buffers(): {', '.join(list(slots)[:8])}"
                + (", ..." if len(slots) > 8 else "")
            )
        kind, original = slots[name][2], slots[name][3]
        value = _checked(name, kind, original, value)
        for other in ties[id(original)] if tie_weights else [name]:
            if other in chosen and chosen[other] is not value:
                raise ValueError(
                    f"functional_call: {name!r} and {other!r} are one tied parameter of {type(module).__name__}, "
                    "given different tensors; give one of them (or the same tensor), or pass tie_weights=False"
                )
            chosen[other] = value
    if strict:
        missing = [name for name in slots if name not in chosen]
        if missing:
            raise ValueError(
                f"functional_call(strict=True): no tensor given for {', '.join(missing)}; give every parameter "
                "and buffer, or pass strict=False to keep the module's own for the rest"
            )
    swapped: list[tuple[Module, str, str, Any]] = []
    try:
        for name, value in chosen.items():
            owner, attribute, kind, original = slots[name]
            _put(owner, attribute, kind, value)
            swapped.append((owner, attribute, kind, original))
        if swapped:  # a compiled step called inside reads other tensors than its plan holds: it checks by a trace
            structure_changed()
        yield module
    finally:
        for owner, attribute, kind, original in reversed(swapped):
            _put(owner, attribute, kind, original)
        if swapped:  # and once more after: its originals are back
            structure_changed()


def stack_module_state(models: Sequence[Module]) -> tuple[dict[str, Tensor], dict[str, np.ndarray]]:
    """torch.func's ``stack_module_state``: ``(params, buffers)``, each name's values of every model stacked
    on a new axis 0 (params new leaf Tensors that require grad as the models' do, buffers arrays), for
    ``ag.func.vmap(fmodel, in_dims=(0, 0, None))(params, buffers, x)`` over an ensemble of one architecture.

    >>> params, buffers = stack_module_state([nn.Linear(3, 2) for _ in range(4)])
    >>> params["weight"].shape, params["weight"].requires_grad
    ((4, 2, 3), True)
    """
    models = list(models) if isinstance(models, (list, tuple)) else models
    if not isinstance(models, list) or not models or not all(isinstance(m, Module) for m in models):
        raise TypeError("stack_module_state(models): give a non-empty list of nn.Modules of one architecture")
    first = models[0]
    if any(m.training != first.training for m in models):
        raise ValueError(
            "stack_module_state: the models are not all in the same mode (some train(), some eval()); "
            "set one mode on every model first"
        )
    params = [dict(m.named_parameters()) for m in models]
    buffers = [dict(m.named_buffers()) for m in models]
    for i, (p, b) in enumerate(zip(params, buffers)):
        for kind, mine, theirs in (("parameters", p, params[0]), ("buffers", b, buffers[0])):
            shapes = {n: tuple(v.shape) for n, v in mine.items()}
            expected = {n: tuple(v.shape) for n, v in theirs.items()}
            if shapes != expected:
                differ = sorted(set(shapes.items()) ^ set(expected.items()))[:4]
                raise ValueError(
                    f"stack_module_state: model {i}'s {kind} differ from model 0's ({differ}); every model must "
                    "have the same architecture (names and shapes)"
                )
    stacked_params = {}
    for name, p in params[0].items():
        needs = {m[name].requires_grad for m in params}
        if len(needs) > 1:
            raise ValueError(
                f"stack_module_state: parameter {name!r} requires grad in some models but not in others; "
                "freeze or unfreeze it in every model"
            )
        stacked_params[name] = Tensor(np.stack([m[name].data for m in params]), requires_grad=p.requires_grad)
    stacked_buffers = {name: np.stack([b[name] for b in buffers]) for name in buffers[0]}
    return stacked_params, stacked_buffers


# ---------------------------------------------------------------------------------- internals
def _slots(module: Module) -> dict[str, tuple[Module, str, str, Any]]:
    """``{dotted name: (owner, attribute, "parameter" | "buffer", value)}`` by every path (a shared
    sub-module or tied parameter under each of its names, as torch's remove_duplicate=False)."""
    found: dict[str, tuple[Module, str, str, Any]] = {}
    stack: list[tuple[str, Module, frozenset[int]]] = [("", module, frozenset())]
    while stack:
        prefix, owner, above = stack.pop()
        for kind, registry in (("parameter", owner._parameters), ("buffer", owner._buffers)):
            for attribute, value in registry.items():
                found[prefix + attribute] = (owner, attribute, kind, value)
        for child_name, child in reversed(owner._modules.items()):
            if id(child) not in above:  # (a module that contains itself is walked once)
                stack.append((f"{prefix}{child_name}.", child, above | {id(owner)}))
    return found


def _checked(name: str, kind: str, original: Any, value: Any) -> Any:
    """The value to put in place of ``original``: a Tensor (parameter) or a Tensor/array (buffer) of its shape."""
    if isinstance(value, np.ndarray) and kind == "parameter":
        value = Tensor(value)
    if not isinstance(value, (Tensor, np.ndarray)):
        raise TypeError(
            f"functional_call: the value for {kind} {name!r} is a {type(value).__name__}; give a Tensor (or a "
            "numpy array)"
        )
    if tuple(value.shape) != tuple(original.shape):
        raise ValueError(
            f"functional_call: the value for {kind} {name!r} has shape {tuple(value.shape)} but the module's has "
            f"shape {tuple(original.shape)}; give one of that shape (under vmap, one example's slice)"
        )
    return value


def _put(owner: Module, attribute: str, kind: str, value: Any) -> None:
    """Set a registered parameter or buffer in place (its registry entry keeps its order), without
    Module.__setattr__: that would unregister a parameter replaced by a non-leaf Tensor."""
    registry: dict[str, Any] = owner._parameters if kind == "parameter" else owner._buffers
    registry[attribute] = value
    object.__setattr__(owner, attribute, value)
