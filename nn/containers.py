"""Containers: ``Sequential`` (modules called in order), ``ModuleList`` (modules registered, called
by your forward) and ``MLP`` (Linear layers with activations between them), built from the layers
of ``nn/layers.py``."""

from __future__ import annotations

import warnings
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, cast, overload

import numpy as np

from autograd_core import Tensor
from autograd_core.types import DTypeLike, TensorLike

from . import init as nn_init
from .checks import positive_int
from .init import GeneratorLike
from .layers import Identity, Linear, ReLU, Sigmoid, Tanh
from .module import Module


def _add_by_name(owner: Module, name: object, module: object) -> None:
    """Register ``module`` as ``owner``'s child ``name`` (a Sequential of a dict, a ModuleDict's key): a non-empty
    string without dots that no attribute has (``forward``, ``training``); a child of that name is replaced in place."""
    kind = type(owner).__name__
    if not isinstance(name, str) or not name or "." in name:
        raise ValueError(f"{kind}: module names (keys) must be non-empty strings without dots, got {name!r}")
    if name not in owner._modules and hasattr(owner, name):
        raise ValueError(f"{kind}: the name {name!r} is taken by an attribute of {kind}")
    if not isinstance(module, Module):
        raise TypeError(f"{kind}: {name!r} must be a Module, got {type(module).__name__}")
    owner.add_module(name, module)


class Sequential(Module):
    """Calls its modules in order, each on the previous one's output; they are named "0", "1", ...,
    or by the keys of one ``OrderedDict`` (a dict) of modules, as in PyTorch.

    >>> model = Sequential(Linear(4, 8), ReLU(), Linear(8, 3))
    >>> model[0]
    Linear(in_features=4, out_features=8, bias=True)
    >>> named = Sequential(OrderedDict([("hidden", Linear(4, 8)), ("act", ReLU())]))
    >>> named.hidden.weight.shape, [name for name, _ in named.named_parameters()]
    ((8, 4), ['hidden.weight', 'hidden.bias'])
    """

    def __init__(self, *modules: Module | Mapping[str, Module]) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], Mapping):
            for name, module in modules[0].items():
                _add_by_name(self, name, module)
            return
        if len(modules) == 1 and isinstance(modules[0], (list, tuple)):  # Keras's and Grokking's Sequential([...])
            raise TypeError(
                f"Sequential: takes the modules as arguments, got one {type(modules[0]).__name__} of "
                f"{len(modules[0])}; unpack it: nn.Sequential(*layers)"
            )
        for module in modules:
            self.append(cast(Module, module))  # (append names the type of anything else)

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end; returns self: ``model.append(nn.ReLU())``."""
        if not isinstance(module, Module):
            raise TypeError(
                f"Sequential: every item must be a Module, got {type(module).__name__} "
                f"at position {len(self)}; wrap functions in a Module subclass"
            )
        self.add_module(str(len(self)), module)
        return self

    def insert(self, index: int, module: Module) -> Sequential:
        """Put ``module`` at ``index``; the modules are renumbered "0", "1", ... as PyTorch does."""
        if not isinstance(module, Module):
            raise TypeError(f"Sequential.insert: expected a Module, got {type(module).__name__}")
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._renumber(modules)
        return self

    def extend(self, modules: Iterable[Module]) -> Sequential:
        """Append each of ``modules`` (another Sequential, a list ...); returns self, as PyTorch's."""
        for module in list(modules):  # (a list first: extending a Sequential by itself ends)
            self.append(module)
        return self

    def pop(self, index: int | slice = -1) -> Module:
        """Remove the module at ``index`` and return it; the rest are renumbered, as PyTorch's ``pop``."""
        popped = self[index]
        del self[index]
        return popped

    def _of(self, modules: list[Module]) -> Sequential:
        """A new container of this kind holding ``modules`` (``+`` and ``*``)."""
        return Sequential(*modules)

    def __add__(self, other: Sequential) -> Sequential:
        """A new container of both's modules (the same module objects), as PyTorch's ``seq + other``."""
        if not isinstance(other, Sequential):
            raise TypeError(f"{type(self).__name__} + {type(other).__name__}: add another {type(self).__name__}")
        return self._of([*self, *other])

    def __iadd__(self, other: Sequential) -> Sequential:
        if not isinstance(other, Sequential):
            raise TypeError(f"{type(self).__name__} += {type(other).__name__}: add another {type(self).__name__}")
        return self.extend(other)

    def __mul__(self, times: int) -> Sequential:
        """The modules repeated ``times`` times (the same objects, so shared weights), as PyTorch's ``seq * 2``."""
        if isinstance(times, bool) or not isinstance(times, int) or times < 1:
            raise ValueError(f"{type(self).__name__} * {times!r}: the count must be an int >= 1")
        return self._of(list(self) * times)

    def __setitem__(self, index: int, module: Module) -> None:
        """Replace the module at ``index``, which keeps its name and place: ``model[-1] = nn.Linear(64, 10)``."""
        if not isinstance(module, Module):
            raise TypeError(f"Sequential: item {index!r} must be a Module, got {type(module).__name__}")
        setattr(self, self._name_at(index), module)

    def __delitem__(self, index: int | slice) -> None:
        """Remove the module(s) at ``index``; the rest are renumbered "0", "1", ... as PyTorch does."""
        try:
            chosen = range(len(self))[index]
        except (IndexError, TypeError):
            raise IndexError(f"Sequential: index {index!r} out of range for {len(self)} modules") from None
        doomed = set(chosen) if isinstance(chosen, range) else {chosen}  # positions: one module may sit twice
        self._renumber([m for i, m in enumerate(self._modules.values()) if i not in doomed])

    def _name_at(self, index: int) -> str:
        names = list(self._modules)
        try:
            return names[index]
        except (IndexError, TypeError):
            raise IndexError(f"Sequential: index {index!r} out of range for {len(names)} modules") from None

    def _renumber(self, modules: list[Module]) -> None:
        for name in list(self._modules):
            delattr(self, name)
        for i, module in enumerate(modules):
            self.add_module(str(i), module)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(list(self._modules.values()))

    @overload
    def __getitem__(self, index: int) -> Module: ...
    @overload
    def __getitem__(self, index: slice) -> Sequential: ...
    def __getitem__(self, index: int | slice) -> Module | Sequential:
        modules = list(self._modules.values())
        if isinstance(index, slice):  # the modules keep their names, as in PyTorch
            return Sequential(OrderedDict(list(self._modules.items())[index]))
        try:
            return modules[index]
        except (IndexError, TypeError):
            raise IndexError(f"Sequential: index {index!r} out of range for {len(modules)} modules") from None

    def forward(self, x: Any) -> Any:  # each module's output is the next one's input: any type they agree on
        for module in self._modules.values():
            x = module(x)
        return x


class ModuleList(Sequential):
    """A list of modules that registers them, so their parameters are the owner's (those in a plain
    Python list are not: an optimizer would never see them). PyTorch's ``nn.ModuleList``: index it,
    iterate over it, ``append``, ``extend``; it has no forward of its own.

    >>> blocks = ModuleList([Linear(4, 4) for _ in range(3)])
    >>> len(blocks), [name for name, _ in blocks.named_parameters()][:3]
    (3, ['0.weight', '0.bias', '1.weight'])
    """

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        super().__init__(*modules)

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        """Append each of ``modules``; returns self."""
        super().extend(modules)
        return self

    def _of(self, modules: list[Module]) -> ModuleList:
        return ModuleList(modules)

    @overload
    def __getitem__(self, index: int) -> Module: ...
    @overload
    def __getitem__(self, index: slice) -> ModuleList: ...
    def __getitem__(self, index: int | slice) -> Module | ModuleList:
        if isinstance(index, slice):
            return ModuleList(list(self)[index])
        return super().__getitem__(index)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            "ModuleList has no forward(): call its modules in your own forward, "
            "e.g. for block in self.blocks: x = block(x) (or use nn.Sequential)"
        )


class ModuleDict(Module):
    """Modules registered by name (PyTorch's ``nn.ModuleDict``): index by key, ``keys items values``,
    ``update``, ``pop``, ``clear``, ``in``, ``len``; no forward of its own. Their parameters are the owner's.

    >>> heads = ModuleDict({"mean": Linear(4, 1), "scale": Linear(4, 1)})
    >>> [name for name, _ in heads.named_parameters()][:2], "mean" in heads
    (['mean.weight', 'mean.bias'], True)
    """

    def __init__(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]] = ()) -> None:
        super().__init__()
        self.update(modules)

    def update(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]]) -> None:
        """Add (or replace, in place) each ``name: module``."""
        for name, module in modules.items() if isinstance(modules, Mapping) else modules:
            self[name] = module

    def __setitem__(self, name: str, module: Module) -> None:
        _add_by_name(self, name, module)

    def __getitem__(self, name: str) -> Module:
        try:
            return self._modules[name]
        except KeyError:
            raise KeyError(f"ModuleDict: no module {name!r}; keys: {list(self._modules)}") from None

    def __delitem__(self, name: str) -> None:
        self[name]  # (the KeyError that names the keys)
        delattr(self, name)

    def pop(self, name: str) -> Module:
        """Remove the module called ``name`` and return it, as PyTorch's."""
        module = self[name]
        del self[name]
        return module

    def clear(self) -> None:
        """Remove every module, as PyTorch's."""
        for name in list(self._modules):
            delattr(self, name)

    def __contains__(self, name: object) -> bool:
        return name in self._modules

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._modules))

    def keys(self) -> list[str]:
        """The keys, in the order they were added."""
        return list(self._modules)

    def items(self) -> list[tuple[str, Module]]:
        """``(key, module)`` pairs, in order."""
        return list(self._modules.items())

    def values(self) -> list[Module]:
        """The modules, in order."""
        return list(self._modules.values())

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            "ModuleDict has no forward(): call its modules in your own, e.g. self.heads['mean'](x)"
        )


_ACTIVATIONS = {"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh, "identity": Identity}
# The initialisation that keeps signal variance steady through each activation.
_INIT_FOR = {
    "relu": "kaiming_uniform",
    "tanh": "xavier_uniform_tanh",
    "sigmoid": "xavier_uniform",
    "identity": "xavier_uniform",
}


def _activation_name(owner: str, activation: object, allow_none: bool = False) -> str:
    if isinstance(activation, str) and activation.lower() in _ACTIVATIONS:
        return activation.lower()
    raise ValueError(
        f"{owner}: unknown activation {activation!r}; choose one of {sorted(_ACTIVATIONS)}"
        + (" or None" if allow_none else "")
    )


class MLP(Module):
    """A multi-layer perceptron: ``sizes = [in, h1, ..., out]`` gives Linear layers with
    ``activation`` between them and ``output_activation`` (None: raw outputs, e.g. logits
    for ``F.cross_entropy``) after the last. Weights use He initialisation before a ReLU and
    Xavier otherwise; biases start at zero.

    >>> model = MLP([64, 64, 10], seed=0)
    >>> model
    MLP(
      (layers): Sequential(
        (0): Linear(in_features=64, out_features=64, bias=True)
        (1): ReLU()
        (2): Linear(in_features=64, out_features=10, bias=True)
      )
    )
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str = "relu",
        output_activation: str | None = None,
        bias: bool = True,
        seed: GeneratorLike = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__()
        if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__") or len(sizes) < 2:
            raise ValueError(f"MLP: sizes must be a list [in, hidden..., out] of at least 2 ints, got {sizes!r}")
        self.sizes = [positive_int("MLP", f"sizes[{i}]", n) for i, n in enumerate(sizes)]
        self.activation = _activation_name("MLP", activation)
        self.output_activation = (
            None
            if output_activation is None
            else _activation_name("MLP (output_activation)", output_activation, allow_none=True)
        )
        generator = nn_init.as_generator(seed)  # one stream for all layers: reproducible from one seed
        layers = Sequential()
        pairs = list(zip(self.sizes[:-1], self.sizes[1:]))
        for i, (n_in, n_out) in enumerate(pairs):
            last = i == len(pairs) - 1
            follows = (self.output_activation or "identity") if last else self.activation
            layers.append(Linear(n_in, n_out, bias=bias, init=_INIT_FOR[follows], seed=generator, dtype=dtype))
            if not last:
                layers.append(_ACTIVATIONS[self.activation]())
        if self.output_activation is not None:
            layers.append(_ACTIVATIONS[self.output_activation]())
        self.layers = layers

    def forward(self, x: TensorLike) -> Tensor:
        layers = self.layers
        if type(layers) is Sequential and not (
            layers._forward_hooks or layers._forward_pre_hooks or layers._backward_hooks
        ):
            # Sequential's own call would only enter the scope "layers", which none of its ops carry
            # (it has none): each layer enters "layers.0", ... from this module's names just the same.
            # Skipping it saves a sixth of the small MLP's module calls (0.7 us a step).
            return cast(Tensor, layers.forward(x))
        out: Tensor = layers(x)  # every layer is one of ours: a Tensor comes out
        return out

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the model from them)."""
        first = cast(Linear, self.layers[0])  # an MLP starts with its first Linear layer
        return {
            "sizes": list(self.sizes),
            "activation": self.activation,
            "output_activation": self.output_activation,
            "bias": first.bias is not None,
            "dtype": first.weight.dtype.name,
        }


class Container(Module):
    """torch's deprecated ``nn.Container(**modules)``: a Module holding the modules given by keyword, with no
    forward of its own. It warns (FutureWarning, torch's text): subclass ``nn.Module`` instead.

    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore"); box = Container(encoder=Linear(2, 3), head=Linear(3, 1))
    >>> [name for name, _ in box.named_children()]
    ['encoder', 'head']
    """

    def __init__(self, **kwargs: Module) -> None:
        warnings.warn(
            "`nn.Container` is deprecated. All of its functionality is now implemented in `nn.Module`. "
            "Subclass that instead.",
            FutureWarning,
            stacklevel=2,
        )
        super().__init__()
        for name, module in kwargs.items():
            _add_by_name(self, name, module)
