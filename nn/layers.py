"""Layers: ``Linear``, the activations, ``Sequential`` and ``MLP`` — all composed from Tensor ops.

No layer has a backward of its own: ``Linear`` is ``x @ W.T + b``, and the engine
differentiates that (giving the delta rule's dL/dW = delta^T h and dL/db = sum(delta)).
"""
import numbers

import numpy as np

import autograd_core as ag
from autograd_core import Tensor

from . import init as nn_init
from .module import Module

_WEIGHT_INITS = {
    "xavier_uniform": lambda w, g: nn_init.xavier_uniform_(w, generator=g),
    "xavier_uniform_tanh": lambda w, g: nn_init.xavier_uniform_(w, gain=nn_init.calculate_gain("tanh"), generator=g),
    "kaiming_uniform": lambda w, g: nn_init.kaiming_uniform_(w, nonlinearity="relu", generator=g),
    "xavier_normal": lambda w, g: nn_init.xavier_normal_(w, generator=g),
    "kaiming_normal": lambda w, g: nn_init.kaiming_normal_(w, nonlinearity="relu", generator=g),
}


def _positive_int(owner, name, value):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{owner}: {name} must be a positive int, got {value!r}")
    return int(value)


class Linear(Module):
    """y = x @ weight.T + bias, with ``weight`` of shape (out_features, in_features) as PyTorch.

    ``init`` names the weight initialisation ("xavier_uniform" by default, "kaiming_uniform"
    for a layer feeding a ReLU, ...) or is a function ``f(weight, generator)``; the bias
    starts at zero. ``seed`` is an int, a ``numpy.random.Generator`` or None (nn.init's
    default generator).

    >>> layer = Linear(3, 2, seed=0)
    >>> layer(np.ones((5, 3))).shape
    (5, 2)
    """

    def __init__(self, in_features, out_features, bias=True, init="xavier_uniform", seed=None,
                 dtype=np.float64):
        super().__init__()
        self.in_features = _positive_int("Linear", "in_features", in_features)
        self.out_features = _positive_int("Linear", "out_features", out_features)
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"Linear: dtype must be floating-point (float64 or float32), got {dtype}")
        initialise = _WEIGHT_INITS.get(init) if isinstance(init, str) else init
        if not callable(initialise):
            raise ValueError(f"Linear: unknown init {init!r}; choose one of {sorted(_WEIGHT_INITS)} "
                             "or pass a function f(weight, generator)")
        self.weight = Tensor(np.zeros((self.out_features, self.in_features), dtype), requires_grad=True)
        initialise(self.weight, nn_init.as_generator(seed))
        self.bias = Tensor(np.zeros(self.out_features, dtype), requires_grad=True) if bias else None

    def forward(self, x):
        x = ag.as_tensor(x)
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(f"Linear(in_features={self.in_features}, out_features={self.out_features}): input "
                             f"of shape {x.shape} has {x.shape[-1] if x.ndim else 'no'} features in its last "
                             f"axis, expected {self.in_features}; give an input of shape (N, {self.in_features})")
        out = x @ self.weight.T
        return out if self.bias is None else out + self.bias

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"

    def config(self):
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        return {"in_features": self.in_features, "out_features": self.out_features,
                "bias": self.bias is not None, "dtype": self.weight.dtype.name}


class ReLU(Module):
    """max(x, 0), elementwise. (The kink convention: relu'(0) = 1/2.)"""

    def forward(self, x):
        return ag.relu(x)


class Sigmoid(Module):
    """1 / (1 + exp(-x)), elementwise; finite for any input."""

    def forward(self, x):
        return ag.sigmoid(x)


class Tanh(Module):
    """tanh(x), elementwise."""

    def forward(self, x):
        return ag.tanh(x)


class Identity(Module):
    """Returns its input unchanged (a placeholder, e.g. for 'no output activation')."""

    def forward(self, x):
        return x


class Sequential(Module):
    """Calls its modules in order, each on the previous one's output; they are named "0", "1", ...

    >>> model = Sequential(Linear(4, 8), ReLU(), Linear(8, 3))
    >>> model[0]
    Linear(in_features=4, out_features=8, bias=True)
    """

    def __init__(self, *modules):
        super().__init__()
        for module in modules:
            self.append(module)

    def append(self, module):
        """Add ``module`` at the end; returns self: ``model.append(nn.ReLU())``."""
        if not isinstance(module, Module):
            raise TypeError(f"Sequential: every item must be a Module, got {type(module).__name__} "
                            f"at position {len(self)}; wrap functions in a Module subclass")
        self.add_module(str(len(self)), module)
        return self

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(list(self._modules.values()))

    def __getitem__(self, index):
        modules = list(self._modules.values())
        if isinstance(index, slice):
            return Sequential(*modules[index])
        try:
            return modules[index]
        except (IndexError, TypeError):
            raise IndexError(f"Sequential: index {index!r} out of range for {len(modules)} modules") from None

    def forward(self, x):
        for module in self._modules.values():
            x = module(x)
        return x


_ACTIVATIONS = {"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh, "identity": Identity}
# The initialisation that keeps signal variance steady through each activation.
_INIT_FOR = {"relu": "kaiming_uniform", "tanh": "xavier_uniform_tanh", "sigmoid": "xavier_uniform",
             "identity": "xavier_uniform"}


def _activation_name(owner, activation, allow_none):
    if activation is None and allow_none:
        return None
    if isinstance(activation, str) and activation.lower() in _ACTIVATIONS:
        return activation.lower()
    raise ValueError(f"{owner}: unknown activation {activation!r}; choose one of {sorted(_ACTIVATIONS)}"
                     + (" or None" if allow_none else ""))


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

    def __init__(self, sizes, activation="relu", output_activation=None, bias=True, seed=None,
                 dtype=np.float64):
        super().__init__()
        if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__") or len(sizes) < 2:
            raise ValueError(f"MLP: sizes must be a list [in, hidden..., out] of at least 2 ints, got {sizes!r}")
        self.sizes = [_positive_int("MLP", f"sizes[{i}]", n) for i, n in enumerate(sizes)]
        self.activation = _activation_name("MLP", activation, allow_none=False)
        self.output_activation = _activation_name("MLP (output_activation)", output_activation, allow_none=True)
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

    def forward(self, x):
        return self.layers(x)

    def config(self):
        """The constructor's arguments (nn.architecture rebuilds the model from them)."""
        first = self.layers[0]
        return {"sizes": list(self.sizes), "activation": self.activation,
                "output_activation": self.output_activation, "bias": first.bias is not None,
                "dtype": first.weight.dtype.name}
