"""``nn.utils.parametrize``, PyTorch's: a module's parameter replaced by a function of other parameters.

``register_parametrization(layer, "weight", P)`` moves ``layer.weight`` into
``layer.parametrizations.weight.original`` (``original0``, ``original1``, ... when ``P.right_inverse`` returns
several tensors) and makes ``layer.weight`` a property that computes ``P(original)`` at every access: a Tensor
expression, so the gradient reaches the originals through the chain rule. Assigning ``layer.weight = W`` stores
``P.right_inverse(W)``. The names are torch's, so a torch ``state_dict`` of a parametrized model loads.
"""

from __future__ import annotations

from typing import Any, cast

from autograd_core import Tensor

from .containers import ModuleDict, ModuleList
from .module import Module
from .parameter import Parameter


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor (``0``, ``1``, ... applied in order) and its originals; calling it
    gives the tensor's value."""

    def __init__(self, modules: list[Module], original: Tensor, unsafe: bool = False) -> None:
        super().__init__(modules)
        self.unsafe = bool(unsafe)
        new: Any = original.detach()
        for module in reversed(list(self)):
            if hasattr(module, "right_inverse"):
                new = module.right_inverse(new)
        self.is_tensor = isinstance(new, Tensor)
        self.ntensors = 1 if self.is_tensor else len(new)
        if self.is_tensor:
            original.data = new.data.astype(original.dtype, copy=False)  # the same parameter: an optimizer keeps it
            self.original = original
        else:
            for i, value in enumerate(new):
                setattr(self, f"original{i}", Parameter(value.data, requires_grad=original.requires_grad))

    def right_inverse(self, value: Tensor) -> None:
        """Store the originals that give ``value`` (what ``layer.weight = value`` does)."""
        new: Any = value.detach() if isinstance(value, Tensor) else Tensor(value)
        for module in reversed(list(self)):
            if not hasattr(module, "right_inverse"):
                raise RuntimeError(
                    f"parametrization {type(module).__name__} has no right_inverse, so its tensor cannot be assigned"
                )
            new = module.right_inverse(new)
        values = (new,) if self.is_tensor else tuple(new)
        names = ["original"] if self.is_tensor else [f"original{i}" for i in range(self.ntensors)]
        for name, v in zip(names, values):
            getattr(self, name).data = (v.data if isinstance(v, Tensor) else v).astype(getattr(self, name).dtype)

    def forward(self) -> Tensor:  # type: ignore[override]
        modules = list(self)
        if self.is_tensor:
            x = modules[0](self.original)
        else:
            x = modules[0](*(getattr(self, f"original{i}") for i in range(self.ntensors)))
        for module in modules[1:]:
            x = module(x)
        return x


def _plists(module: Module) -> ModuleDict:
    """``module.parametrizations``: each parametrized tensor's ParametrizationList, by name."""
    return cast(ModuleDict, module._modules["parametrizations"])


def _plist(module: Module, tensor_name: str) -> ParametrizationList:
    return cast(ParametrizationList, _plists(module)[tensor_name])


def _parametrized_class(module: Module) -> type:
    """The module's class, or (once) a subclass of it named Parametrized<Name> whose parametrized tensors are
    properties, as torch's."""
    cls = type(module)
    if getattr(cls, "_is_parametrized_class", False):
        return cls

    def __setattr__(self: Module, name: str, value: Any) -> None:
        if name in type(self)._parametrized_names:  # type: ignore[attr-defined]
            _plist(self, name).right_inverse(value)
        else:
            cls.__setattr__(self, name, value)

    namespace = {"_is_parametrized_class": True, "_parametrized_names": set(), "__setattr__": __setattr__}
    namespace["__module__"] = "nn.parametrize"
    new = type(f"Parametrized{cls.__name__}", (cls,), namespace)
    object.__setattr__(module, "__class__", new)
    return new


def register_parametrization(
    module: Module, tensor_name: str, parametrization: Module, *, unsafe: bool = False
) -> Module:
    """Make ``module.<tensor_name>`` the output of ``parametrization`` (a Module whose forward takes the original
    tensor, or with ``right_inverse`` returning several, those) as PyTorch's; registering again on the same name
    chains the new one after the others. Returns the module.

    >>> class Symmetric(nn.Module):
    ...     def forward(self, X):
    ...         return X.triu() + X.triu(1).T
    >>> layer = register_parametrization(nn.Linear(3, 3, seed=0), "weight", Symmetric())
    >>> bool((layer.weight.data == layer.weight.data.T).all()), type(layer).__name__
    (True, 'ParametrizedLinear')
    """
    if not isinstance(parametrization, Module):
        raise TypeError(
            f"register_parametrization: the parametrization must be an nn.Module (its forward computes the tensor), "
            f"got {type(parametrization).__name__}"
        )
    if is_parametrized(module, tensor_name):
        _plist(module, tensor_name).append(parametrization)
        return module
    original = module._parameters.get(tensor_name)
    if original is None:
        raise ValueError(
            f"register_parametrization: {type(module).__name__} has no parameter {tensor_name!r}; its parameters "
            f"are {list(module._parameters)}"
        )
    delattr(module, tensor_name)
    plist = ParametrizationList([parametrization], original, unsafe)
    if "parametrizations" not in module._modules:
        module.parametrizations = ModuleDict()
    _plists(module)[tensor_name] = plist
    cls = _parametrized_class(module)
    cls._parametrized_names.add(tensor_name)  # type: ignore[attr-defined]
    setattr(cls, tensor_name, property(lambda self: _plist(self, tensor_name)()))
    return module


def is_parametrized(module: Module, tensor_name: str | None = None) -> bool:
    """Has ``module`` any parametrization (on ``tensor_name``, if given)?

    >>> is_parametrized(nn.Linear(2, 2))
    False
    """
    plists = module._modules.get("parametrizations")
    if not isinstance(plists, ModuleDict) or not getattr(type(module), "_is_parametrized_class", False):
        return False
    return len(plists) > 0 if tensor_name is None else tensor_name in plists


def remove_parametrizations(module: Module, tensor_name: str, leave_parametrized: bool = True) -> Module:
    """Undo ``register_parametrization`` on ``tensor_name``: the tensor becomes a plain parameter again, holding
    its current parametrized value (``leave_parametrized=True``) or the original (a single one only).

    >>> layer = register_parametrization(nn.Linear(2, 2, seed=0), "weight", nn.Identity())
    >>> type(remove_parametrizations(layer, "weight")).__name__, [n for n, _ in layer.named_parameters()]
    ('Linear', ['bias', 'weight'])
    """
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"remove_parametrizations: {type(module).__name__} has no parametrization on {tensor_name!r}")
    plist = _plist(module, tensor_name)
    if leave_parametrized:
        value = Parameter(plist().data)
    elif plist.is_tensor:
        value = plist.original
    else:
        raise ValueError(
            "remove_parametrizations: leave_parametrized=False needs a single original tensor, this one has "
            f"{plist.ntensors}; pass leave_parametrized=True"
        )
    del _plists(module)[tensor_name]
    cls = type(module)
    cls._parametrized_names.discard(tensor_name)  # type: ignore[attr-defined]
    delattr(cls, tensor_name)
    if not cls._parametrized_names:  # type: ignore[attr-defined]
        delattr(module, "parametrizations")
        object.__setattr__(module, "__class__", cls.__bases__[0])
    setattr(module, tensor_name, value)
    return module


__all__ = ["register_parametrization", "remove_parametrizations", "is_parametrized", "ParametrizationList"]
