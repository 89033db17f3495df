"""What a model *is*, as plain JSON: ``describe(model)`` and ``build(description)``.

Each layer says how it was made through ``config()`` (its constructor's arguments, JSON
values only), next to its ``__init__``; a layer whose constructor takes no arguments
(``ReLU``, ``Tanh``, ...) needs nothing. A description is a nested dict::

    {"type": "MLP", "config": {"sizes": [64, 32, 10], "activation": "tanh", ...}}
    {"type": "Sequential", "modules": [{"type": "Linear", "config": {...}}, {"type": "ReLU"}]}

``nn.save`` stores it inside the .npz beside the weights (never a pickle), so ``nn.load(path)``
rebuilds the model and ``viz model`` draws the architecture that was saved.
"""

from __future__ import annotations

import inspect
from typing import Any, cast

from .module import Module

DESCRIPTION_VERSION = 1


# described by their children, not by a config()
_CONTAINERS = ("Sequential", "ModuleList", "ModuleDict", "Container")


def layer_types() -> dict[str, type[Module]]:
    """Every ``Module`` subclass defined in ``nn``, by class name (what ``build`` can make); not the lazy layers,
    which a file holds as the layers they became, nor ``optim.swa_utils.AveragedModel``, a copy of a model it is
    given (describe ``swa.module``), nor ``parallel.DataParallel``, a wrapper of one (describe ``dp.module``), nor a
    parametrized layer's class (made per layer)."""
    from .lazy import LazyLayer  # (it imports the layers: read at call time)

    found: dict[str, type[Module]] = {}
    stack: list[type[Module]] = [Module]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if (
            cls.__module__.split(".")[0] == "nn"
            and cls.__module__ not in ("nn.lazy", "nn.optim.swa_utils", "nn.parametrize", "nn.parallel")
            and cls is not Module
            and not issubclass(cls, LazyLayer)  # (also those beside their layers: LazyInstanceNorm1d, ...)
            and not cls.__name__.startswith("_")
        ):
            found.setdefault(cls.__name__, cls)
    return found


def config_of(module: Module) -> dict[str, Any]:
    """``module``'s constructor arguments: its ``config()``, or {} when its constructor takes none."""
    config = getattr(module, "config", None)
    if callable(config):
        described: dict[str, Any] = config()
        return described
    # Any argument, even one with a default, may have been given: only a constructor without
    # arguments (ReLU, Tanh, ...) can be described without a config().
    parameters = [
        p
        for p in inspect.signature(type(module).__init__).parameters.values()
        if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    if parameters:
        raise TypeError(
            f"describe: {type(module).__name__} cannot describe itself (its constructor takes "
            f"{', '.join(p.name for p in parameters)}); give it a config() method returning them"
        )
    return {}


def describe(model: Module) -> dict[str, Any]:
    """A JSON-ready dict that ``build`` turns back into a model like ``model`` (fresh weights).

    >>> describe(nn.MLP([2, 8, 2], activation="tanh"))["config"]["activation"]
    'tanh'
    """
    if not isinstance(model, Module):
        raise TypeError(f"describe: expected an nn.Module, got {type(model).__name__}")
    if type(model).__name__ not in layer_types() or layer_types()[type(model).__name__] is not type(model):
        raise TypeError(
            f"describe: {type(model).__qualname__} is not an nn layer, so a file cannot rebuild it; "
            "save its weights with nn.save and load them with nn.load(model, path)"
        )
    if type(model).__name__ in _CONTAINERS:
        named = list(model.named_children())
        described = {"type": type(model).__name__, "modules": [describe(m) for _, m in named]}
        numbered = [name for name, _ in named] == [str(i) for i in range(len(named))]
        if not numbered or type(model).__name__ == "ModuleDict":  # named: Sequential(OrderedDict), ModuleDict
            described["names"] = [name for name, _ in named]
        return described
    config = config_of(model)
    return {"type": type(model).__name__, "config": config} if config else {"type": type(model).__name__}


def build(description: dict[str, Any]) -> Module:
    """The model a ``describe`` dict stands for, with freshly initialised weights.

    >>> build({"type": "MLP", "config": {"sizes": [2, 8, 2]}})
    MLP(
      (layers): Sequential(
        (0): Linear(in_features=2, out_features=8, bias=True)
        (1): ReLU()
        (2): Linear(in_features=8, out_features=2, bias=True)
      )
    )
    """
    if not isinstance(description, dict) or not isinstance(description.get("type"), str):
        raise ValueError(f"build: expected a dict with a 'type', got {description!r:.80}")
    types = layer_types()
    name = description["type"]
    if name not in types:
        raise ValueError(f"build: unknown layer type {name!r}; known: {', '.join(sorted(types))}")
    if name in _CONTAINERS:
        modules = description.get("modules")
        if not isinstance(modules, list):
            raise ValueError(f"build: a {name} needs a 'modules' list")
        built = [build(m) for m in modules]
        names = description.get("names")
        container: Any = types[name]  # Sequential(*modules), ModuleList(modules): Module's signature fits neither
        if names is not None:
            if name == "ModuleList" or not isinstance(names, list) or len(names) != len(built):
                raise ValueError(f"build: 'names' must list one name per module of a {name}, got {names!r:.80}")
            if len(set(map(str, names))) != len(names):  # a dict of them would silently keep the last one
                raise ValueError(f"build: the {name}'s 'names' repeat a name: {names!r:.80}")
            if name == "Container":  # (torch's deprecated one: its modules by keyword)
                return cast(Module, container(**dict(zip(names, built))))
            return cast(Module, container(dict(zip(names, built))))
        made: Module = container(*built) if name in ("Sequential", "Container") else container(built)
        return made
    config = description.get("config", {})
    if not isinstance(config, dict):
        raise ValueError(f"build: {name}'s config must be a dict, got {config!r:.80}")
    try:
        return types[name](**config)
    except (TypeError, ValueError) as error:
        raise ValueError(f"build: cannot make {name} from {config}: {error}") from None
