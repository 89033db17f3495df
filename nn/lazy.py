"""PyTorch's lazy layers: ``nn.LazyLinear(256)`` is a ``Linear`` whose input size is read from its first
input, as d2l's models are written. Until then its parameters are empty placeholders (``is_lazy(p)``);
the first call builds the real layer, moves its values into those same parameter objects (so an optimizer
made before the first call updates them) and the module becomes that layer (``type(layer) is nn.Linear``).

>>> model = nn.Sequential(LazyLinear(8, seed=0), nn.ReLU(), LazyLinear(2, seed=1))
>>> opt = nn.optim.SGD(model.parameters(), lr=0.1)      # made before the sizes are known, as in PyTorch
>>> model(np.ones((4, 5))).shape, model[0]
((4, 2), Linear(in_features=5, out_features=8, bias=True))
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import numpy as np

from autograd_core import Tensor

from .conv_layers import Conv2d, Conv3d
from .conv_more import Conv1d
from .conv_transpose import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .layers import Linear
from .module import Module, _TreeClock
from .normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d
from .parameter import Parameter, is_lazy, mark_lazy

__all__ = [
    "LazyLinear",
    "LazyConv1d",
    "LazyConv2d",
    "LazyConvTranspose2d",
    "LazyConv3d",
    "LazyConvTranspose1d",
    "LazyConvTranspose3d",
    "LazyBatchNorm1d",
    "LazyBatchNorm2d",
    "is_lazy",
]


class LazyLayer(Module):
    """A layer ``becomes`` builds at its first call, with the size of the input's ``axis`` as its first argument
    (``in_features``, ``in_channels``, ``num_features``) and the arguments given here as the rest. The arguments
    are checked now, on a layer built aside with the smallest input size (and a generator of its own: the seed's
    draws stay for the real layer)."""

    becomes: ClassVar[Callable[..., Module]]  # the layer's class
    axis: ClassVar[int]  # the input's axis whose size is the first argument
    sized_by: ClassVar[tuple[tuple[str, int], ...]] = (("weight", 1),)  # a saved state's (name, axis) giving it
    _AXIS_NAME: ClassVar[dict[int, str]] = {-1: "last axis (features)", 1: "axis 1 (channels)"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()
        name = type(self).__name__
        try:
            groups = inspect.signature(self.becomes).bind(1, *args, **kwargs).arguments.get("groups", 1)
            self._groups = groups if isinstance(groups, int) and groups > 0 else 1  # (else the probe says why)
            aside = {**kwargs, "seed": np.random.default_rng(0)} if "seed" in kwargs else kwargs
            probe = self.becomes(self._groups, *args, **aside)
        except (TypeError, ValueError) as error:
            raise type(error)(f"nn.{name}: {error}") from None
        self._arguments = (args, kwargs)
        for key, p in probe.named_parameters():  # the same names, dtypes and requires_grad, no values yet
            setattr(self, key, mark_lazy(Parameter(np.empty(0, p.dtype), requires_grad=p.requires_grad)))
        for key, value in vars(probe).items():
            if value is None and key not in vars(self):  # an absent bias (bias=False): None, as the real layer's
                object.__setattr__(self, key, None)

    def extra_repr(self) -> str:
        args, kwargs = self._arguments
        return ", ".join([*map(repr, args), *(f"{k}={v!r}" for k, v in kwargs.items())])

    def forward(self, x: Any, *args: Any, **kwargs: Any) -> Any:
        self.materialize(x)
        return self.forward(x, *args, **kwargs)  # now the real layer's

    def materialize(self, x: Any) -> None:
        """Build the real layer for input ``x`` and become it (``become``)."""
        shape = np.shape(x.data if isinstance(x, Tensor) else x)
        if len(shape) < (2 if self.axis == 1 else 1):
            raise ValueError(
                f"nn.{type(self).__name__}: its input size is the input's {self._AXIS_NAME[self.axis]}, but the "
                f"first input has shape {shape}; call it on a batch of the shape {self.becomes.__name__} takes"
            )
        self.become(self._build(shape[self.axis]))

    def built_for(self, state: Mapping[str, Any], prefix: str) -> Module | None:
        """The real layer the shapes of a saved ``state`` call for (``load_state_dict``: built aside, loaded, then
        become), or None when the state has no entry that sizes it."""
        for key, axis in self.sized_by:
            shape = np.shape(state.get(f"{prefix}.{key}" if prefix else key, ()))
            if len(shape) > axis:
                return self._build(shape[axis] * (self._groups if key == "weight" and axis == 1 else 1))
        return None

    def _build(self, size: int) -> Module:
        args, kwargs = self._arguments
        dtypes = [p.dtype for p in self._parameters.values()]  # a cast before the first call (model.float()) holds
        return self.becomes(size, *args, **({**kwargs, "dtype": dtypes[0]} if dtypes else kwargs))

    def become(self, real: Module) -> None:
        """Become ``real``: its values move into this layer's parameter objects (the model's and any optimizer's),
        its buffers and settings come along; hooks and train/eval mode stay."""
        for key, p in real._parameters.items():
            held = self._parameters[key]
            held.data = p.data  # the same object: an optimizer made before the first call updates it
            real._parameters[key] = held
            vars(real)[key] = held  # (a module keeps its parameters in __dict__ too: fast lookup)
        kept = {
            key: vars(self)[key]
            for key in (
                "_forward_hooks",
                "_forward_pre_hooks",
                "_backward_hooks",
                "_attached",
                "_labelled_at",
                "training",
            )
        }
        vars(self).clear()
        vars(self).update(vars(real), **kept)
        object.__setattr__(self, "__class__", type(real))
        _TreeClock.tick()  # a compiled step reads new parameters: traced again


class LazyLinear(LazyLayer):
    """``nn.Linear`` with ``in_features`` read from the first input's last axis: ``LazyLinear(out_features, ...)``.

    >>> layer = LazyLinear(3, seed=0)
    >>> layer(np.ones((2, 4))).shape, layer.weight.shape
    ((2, 3), (3, 4))
    """

    becomes, axis = Linear, -1


class LazyConv1d(LazyLayer):
    """``nn.Conv1d`` with ``in_channels`` read from the first input's axis 1: ``LazyConv1d(out_channels, kernel_size,
    ...)``.

    >>> LazyConv1d(4, 3)(np.ones((2, 5, 10))).shape
    (2, 4, 8)
    """

    becomes, axis = Conv1d, 1


class LazyConv2d(LazyLayer):
    """``nn.Conv2d`` with ``in_channels`` read from the first input's axis 1: ``LazyConv2d(out_channels, kernel_size,
    ...)``, as d2l's LeNet and ResNet write it.

    >>> LazyConv2d(6, kernel_size=5, padding=2)(np.ones((1, 1, 28, 28))).shape
    (1, 6, 28, 28)
    """

    becomes, axis = Conv2d, 1


class LazyConvTranspose2d(LazyLayer):
    """``nn.ConvTranspose2d`` with ``in_channels`` read from the first input's axis 1.

    >>> LazyConvTranspose2d(2, kernel_size=2, stride=2)(np.ones((1, 3, 4, 4))).shape
    (1, 2, 8, 8)
    """

    becomes, axis, sized_by = ConvTranspose2d, 1, (("weight", 0),)


class LazyConv3d(LazyLayer):
    """``nn.Conv3d`` with ``in_channels`` read from the first input's axis 1: ``LazyConv3d(out_channels, kernel_size,
    ...)``.

    >>> LazyConv3d(4, 3, padding=1)(np.ones((1, 2, 3, 4, 5))).shape
    (1, 4, 3, 4, 5)
    """

    becomes, axis = Conv3d, 1


class LazyConvTranspose1d(LazyLayer):
    """``nn.ConvTranspose1d`` with ``in_channels`` read from the first input's axis 1.

    >>> LazyConvTranspose1d(2, kernel_size=2, stride=2)(np.ones((1, 3, 4))).shape
    (1, 2, 8)
    """

    becomes, axis, sized_by = ConvTranspose1d, 1, (("weight", 0),)


class LazyConvTranspose3d(LazyLayer):
    """``nn.ConvTranspose3d`` with ``in_channels`` read from the first input's axis 1.

    >>> LazyConvTranspose3d(2, kernel_size=2, stride=2)(np.ones((1, 3, 1, 2, 2))).shape
    (1, 2, 2, 4, 4)
    """

    becomes, axis, sized_by = ConvTranspose3d, 1, (("weight", 0),)


class LazyBatchNorm1d(LazyLayer):
    """``nn.BatchNorm1d`` with ``num_features`` read from the first input's axis 1.

    >>> LazyBatchNorm1d()(np.arange(6.0).reshape(3, 2)).shape
    (3, 2)
    """

    becomes, axis, sized_by = BatchNorm1d, 1, (("running_mean", 0), ("weight", 0))


class LazyBatchNorm2d(LazyLayer):
    """``nn.BatchNorm2d`` with ``num_features`` read from the first input's axis 1, as d2l's modern CNNs.

    >>> layer = LazyBatchNorm2d()
    >>> _ = layer(np.ones((2, 3, 4, 4))); layer.running_mean.shape
    (3,)
    """

    becomes, axis, sized_by = BatchNorm2d, 1, (("running_mean", 0), ("weight", 0))


class LazyBatchNorm3d(LazyLayer):
    """``nn.BatchNorm3d`` with ``num_features`` read from the first input's axis 1 (volumes, as LazyConv3d's).

    >>> layer = LazyBatchNorm3d()
    >>> _ = layer(np.ones((2, 3, 2, 2, 2))); layer.weight.shape
    (3,)
    """

    becomes, axis, sized_by = BatchNorm3d, 1, (("running_mean", 0), ("weight", 0))
