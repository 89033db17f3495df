"""``nn.ParameterList`` and ``nn.ParameterDict``, PyTorch's: parameters held by position or by name, registered
with the module that holds them (``named_parameters`` lists ``heads.0``, ``scales.gain``, ...), so an optimizer,
``state_dict`` and ``load_state_dict`` see them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from autograd_core import Tensor
from autograd_core.types import TensorLike

from .module import Module
from .parameter import Parameter, is_parameter_value


def _as_parameter(owner: str, key: object, value: object) -> Tensor:
    """A parameter as given (a leaf Tensor that requires grad, or a frozen nn.Parameter), or an array / Tensor
    made one, as torch wraps a plain tensor in nn.Parameter."""
    if isinstance(value, Tensor) and (isinstance(value, Parameter) or is_parameter_value(value)):
        return value
    if isinstance(value, Tensor) or hasattr(value, "__array__") or isinstance(value, (list, float, int)):
        return Parameter(value)
    raise TypeError(f"{owner}: {key!r} must be a Tensor, an array or an nn.Parameter, got {type(value).__name__}")


class ParameterDict(Module):
    """Parameters by name (PyTorch's ``nn.ParameterDict``): ``d["gain"] = nn.Parameter(...)``, ``keys items
    values``, ``update``, ``in``, ``len``, ``del``; an array or Tensor given becomes a parameter.

    >>> scales = ParameterDict({"gain": np.ones(3), "shift": np.zeros(3)})
    >>> [name for name, _ in scales.named_parameters()], "gain" in scales
    (['gain', 'shift'], True)
    """

    def __init__(self, parameters: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None) -> None:
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def update(self, parameters: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> None:
        """Add (or replace) each ``name: parameter``."""
        for name, value in parameters.items() if isinstance(parameters, Mapping) else parameters:
            self[name] = value

    def __setitem__(self, name: str, value: TensorLike) -> None:
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"ParameterDict: keys must be non-empty str without '.', got {name!r}")
        setattr(self, name, _as_parameter("ParameterDict", name, value))

    def __getitem__(self, name: str) -> Tensor:
        try:
            return self._parameters[name]
        except KeyError:
            raise KeyError(f"ParameterDict: no parameter {name!r}; keys: {list(self._parameters)}") from None

    def __delitem__(self, name: str) -> None:
        self[name]  # (the KeyError that names the keys)
        delattr(self, name)

    def __contains__(self, name: object) -> bool:
        return name in self._parameters

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._parameters))

    def keys(self) -> list[str]:
        """The keys, in the order they were added."""
        return list(self._parameters)

    def items(self) -> list[tuple[str, Tensor]]:
        """``(key, parameter)`` pairs, in order."""
        return list(self._parameters.items())

    def values(self) -> list[Tensor]:
        """The parameters, in order."""
        return list(self._parameters.values())

    def get(self, name: str, default: Any = None) -> Any:
        """The parameter called ``name``, or ``default``."""
        return self._parameters.get(name, default)

    def pop(self, name: str) -> Tensor:
        """Remove the parameter called ``name`` and return it."""
        value = self[name]
        del self[name]
        return value

    def extra_repr(self) -> str:
        return ", ".join(f"{k}: shape {tuple(v.shape)}" for k, v in self._parameters.items())

    def config(self) -> dict[str, Any]:
        """Zeros of each parameter's shape, by name (nn.load rebuilds the dict from them, then loads the values)."""
        return {"parameters": {k: np.zeros(v.shape).tolist() for k, v in self._parameters.items()}}

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("ParameterDict has no forward(): use its parameters in your own, e.g. self.p['gain']")


class ParameterList(Module):
    """Parameters by position (PyTorch's ``nn.ParameterList``): index, iterate, ``append``, ``extend``, ``len``;
    named ``0``, ``1``, ... in ``named_parameters``.

    >>> weights = ParameterList([np.ones(2), np.zeros(3)])
    >>> [name for name, _ in weights.named_parameters()], len(weights)
    (['0', '1'], 2)
    """

    def __init__(self, values: Iterable[Any] | None = None) -> None:
        super().__init__()
        if values is not None:
            self.extend(values)

    def append(self, value: Any) -> ParameterList:
        """Add a parameter at the end; returns self."""
        setattr(self, str(len(self)), _as_parameter("ParameterList", len(self), value))
        return self

    def extend(self, values: Iterable[Any]) -> ParameterList:
        """Add each parameter at the end; returns self."""
        for value in values:
            self.append(value)
        return self

    def __getitem__(self, index: int) -> Tensor:
        n = len(self)
        if not isinstance(index, int) or not -n <= index < n:
            raise IndexError(f"ParameterList: index {index!r} is out of range for {n} parameters")
        return self._parameters[str(index % n)]

    def __setitem__(self, index: int, value: Any) -> None:
        self[index]  # (the IndexError)
        setattr(self, str(index % len(self)), _as_parameter("ParameterList", index, value))

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[Tensor]:
        return iter(list(self._parameters.values()))

    def config(self) -> dict[str, Any]:
        """Zeros of each parameter's shape (nn.load rebuilds the list from them, then loads the values)."""
        return {"values": [np.zeros(v.shape).tolist() for v in self._parameters.values()]}

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("ParameterList has no forward(): use its parameters in your own, e.g. self.p[0]")
