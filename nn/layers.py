"""Layers: ``Linear``, the activations, ``Dropout``, ``Dropout2d`` and ``Flatten`` — all composed from Tensor ops
(``Sequential`` and ``MLP`` are in ``nn/containers.py``, normalisation layers in ``nn/normalization.py``,
``Embedding`` in ``nn/embedding.py``).

No layer has a backward of its own: ``Linear`` is ``F.linear(x, W, b)`` = ``x @ W.T + b``, the
engine's ``linear`` op (one node for x @ W.T, no transpose recorded) then an ``add``, and the engine
differentiates that (giving the delta rule's dL/dW = delta^T h and dL/db = sum(delta)).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias, TypeVar

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.types import DTypeLike, TensorLike

from . import functional as F
from . import init as nn_init
from .activations import inplace_flag
from .checks import non_negative_real, positive_int
from .init import GeneratorLike
from .module import Module

#: A weight initialisation: ``f(weight, generator)`` fills ``weight`` in place.
Initializer: TypeAlias = Callable[[Tensor, np.random.Generator], object]
_T = TypeVar("_T")

_WEIGHT_INITS = {
    "xavier_uniform": lambda w, g: nn_init.xavier_uniform_(w, generator=g),
    "xavier_uniform_tanh": lambda w, g: nn_init.xavier_uniform_(w, gain=nn_init.calculate_gain("tanh"), generator=g),
    "kaiming_uniform": lambda w, g: nn_init.kaiming_uniform_(w, nonlinearity="relu", generator=g),
    "xavier_normal": lambda w, g: nn_init.xavier_normal_(w, generator=g),
    "kaiming_normal": lambda w, g: nn_init.kaiming_normal_(w, nonlinearity="relu", generator=g),
}


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

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        init: str | Initializer = "xavier_uniform",
        seed: GeneratorLike = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__()
        self.in_features = positive_int("Linear", "in_features", in_features)
        self.out_features = positive_int("Linear", "out_features", out_features)
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"Linear: dtype must be floating-point (float64 or float32), got {dtype}")
        initialise = _WEIGHT_INITS.get(init) if isinstance(init, str) else init
        if not callable(initialise):
            raise ValueError(
                f"Linear: unknown init {init!r}; choose one of {sorted(_WEIGHT_INITS)} "
                "or pass a function f(weight, generator)"
            )
        self.weight = Tensor(np.zeros((self.out_features, self.in_features), dtype), requires_grad=True)
        initialise(self.weight, nn_init.as_generator(seed))
        # Kept column-major (its shape stays PyTorch's (out, in)): weight.T is then a row-major
        # (in, out) matrix, the layout of OpenBLAS's fastest gemm kernel. Measured, float32
        # (128, 784) @ (784, 256): 517 us instead of 585 us, the largest cost of a forward pass.
        self.weight.data = np.asfortranarray(self.weight.data)
        self.bias = Tensor(np.zeros(self.out_features, dtype), requires_grad=True) if bias else None

    def forward(self, x: TensorLike) -> Tensor:
        if not isinstance(x, Tensor):
            if isinstance(x, tuple) and any(isinstance(item, (Tensor, tuple)) for item in x):
                raise TypeError(
                    f"Linear({self.extra_repr()}): got a tuple of {len(x)} items, not a tensor: a recurrent layer or "
                    "MultiheadAttention returns (output, state) and nn.Sequential passes it on whole; take the "
                    "output first (a Module whose forward returns lstm(x)[0], as in PyTorch)"
                )
            x = Tensor(x)  # ag.as_tensor, without its call: a layer runs every step
        shape = x.shape
        if not shape or shape[-1] != self.in_features:
            raise ValueError(
                f"Linear(in_features={self.in_features}, out_features={self.out_features}): input "
                f"of shape {x.shape} has {x.shape[-1] if x.ndim else 'no'} features in its last "
                f"axis, expected {self.in_features}; give an input of shape (N, {self.in_features})"
            )
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        return {
            "in_features": self.in_features,
            "out_features": self.out_features,
            "bias": self.bias is not None,
            "dtype": self.weight.dtype.name,
        }


class ReLU(Module):
    """max(x, 0), elementwise. (The kink convention: relu'(0) = 1/2.) ``inplace=True`` is accepted for
    PyTorch code and changes nothing: the result is always a new tensor (the input stays as it was)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = bool(inplace)

    def config(self) -> dict[str, Any]:
        """No arguments that matter (``inplace`` changes nothing here, but shows in the repr, as torch's)."""
        return {"inplace": True} if self.inplace else {}

    def forward(self, x: TensorLike) -> Tensor:
        return x.relu() if isinstance(x, Tensor) else ag.relu(x)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""  # (PyTorch's line)


class Sigmoid(Module):
    """1 / (1 + exp(-x)), elementwise; finite for any input."""

    def forward(self, x: TensorLike) -> Tensor:
        return x.sigmoid() if isinstance(x, Tensor) else ag.sigmoid(x)


class Tanh(Module):
    """tanh(x), elementwise."""

    def forward(self, x: TensorLike) -> Tensor:
        return x.tanh() if isinstance(x, Tensor) else ag.tanh(x)


class Identity(Module):
    """Returns its input unchanged (a placeholder, e.g. for 'no output activation'); any arguments are ignored,
    as PyTorch's (``nn.Identity(54, unused_argument=0.1)`` stands in for a layer of that signature).

    >>> Identity(54, unused_argument=0.1)(Tensor([1.0, 2.0]))
    Tensor([1., 2.])
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def config(self) -> dict[str, Any]:
        """None of the arguments matter: rebuilt as ``Identity()`` (nn.architecture)."""
        return {}

    def forward(self, x: _T) -> _T:
        return x


class LeakyReLU(Module):
    """x for x > 0, negative_slope * x otherwise, composed as relu(x) - negative_slope * relu(-x).
    (The kink convention: at exactly 0 the gradient is (1 + negative_slope) / 2, torch's is negative_slope.)

    >>> LeakyReLU(0.1)(Tensor([-2.0, 3.0]))
    Tensor([-0.2,  3. ])
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:  # inplace: as ReLU's
        super().__init__()
        self.negative_slope = non_negative_real("LeakyReLU", "negative_slope", negative_slope)
        self.inplace = bool(inplace)

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        return {"negative_slope": self.negative_slope}

    def forward(self, x: TensorLike) -> Tensor:
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope:g}"


class SiLU(Module):
    """x * sigmoid(x) (swish), elementwise: ``F.silu``.

    >>> SiLU()(Tensor([0.0, 2.0]))
    Tensor([0.    , 1.7616])
    """

    def __init__(self, inplace: bool = False) -> None:  # inplace: as ReLU's
        super().__init__()
        self.inplace = bool(inplace)

    def config(self) -> dict[str, Any]:
        """No arguments that matter (``inplace`` changes nothing here)."""
        return {}

    def forward(self, x: TensorLike) -> Tensor:
        return F.silu(x)


class Softplus(Module):
    """log(1 + exp(beta x)) / beta, a smooth relu (x itself where beta x > threshold): ``F.softplus``.

    >>> Softplus()(Tensor([0.0])).item()
    0.6931...
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = non_negative_real("Softplus", "beta", beta)
        self.threshold = non_negative_real("Softplus", "threshold", threshold)
        if self.beta <= 0:
            raise ValueError(f"Softplus: beta must be > 0, got {beta!r}")

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        return {"beta": self.beta, "threshold": self.threshold}

    def forward(self, x: TensorLike) -> Tensor:
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta:g}, threshold={self.threshold:g}"


class ELU(Module):
    """x for x > 0, alpha (exp(x) - 1) otherwise: ``F.elu``.

    >>> ELU()(Tensor([-1.0, 2.0]))
    Tensor([-0.6321,  2.    ])
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:  # inplace: as ReLU's
        super().__init__()
        self.alpha = non_negative_real("ELU", "alpha", alpha)
        self.inplace = bool(inplace)

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        return {"alpha": self.alpha}

    def forward(self, x: TensorLike) -> Tensor:
        return F.elu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha:g}"


class GELU(Module):
    """x * Phi(x), Phi the standard normal CDF (Hendrycks & Gimpel). ``approximate="none"`` uses the
    primitive ``ag.erfc`` (torch's exact GELU to a few float64 ulps); ``approximate="tanh"``
    is torch's 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), equal to torch to rounding.

    >>> GELU()(Tensor([1.0])).item()
    0.8413...
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        return {"approximate": self.approximate}

    def forward(self, x: TensorLike) -> Tensor:
        return F.gelu(x, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Softmax(Module):
    """softmax along ``dim``: ``Softmax(dim=1)(logits)`` gives rows that sum to 1. ``dim=None`` (PyTorch's
    deprecated implicit choice) is the last axis, as ``F.softmax``'s default, never the whole tensor."""

    def __init__(self, dim: int | None = -1) -> None:
        super().__init__()
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer, type(None))):  # (int(1.5) would take 1)
            raise TypeError(f"{type(self).__name__}: dim must be an int (the axis that sums to 1), got {dim!r}")
        self.dim = -1 if dim is None else int(dim)

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        return {"dim": self.dim}

    def forward(self, x: TensorLike) -> Tensor:
        return ag.as_tensor(x).softmax(self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """log(softmax(x)) along ``dim``, stable for +-1000: feed it to ``NLLLoss``."""

    def forward(self, x: TensorLike) -> Tensor:
        return ag.as_tensor(x).log_softmax(self.dim)


class Flatten(Module):
    """Merge axes ``start_dim``..``end_dim`` into one: (N, 2, 3) -> (N, 6) by default.

    >>> Flatten()(np.zeros((4, 2, 3))).shape
    (4, 6)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = int(start_dim), int(end_dim)

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        return {"start_dim": self.start_dim, "end_dim": self.end_dim}

    def forward(self, x: TensorLike) -> Tensor:
        x = ag.as_tensor(x)
        start, end = self.start_dim % max(x.ndim, 1), self.end_dim % max(x.ndim, 1)
        if x.ndim == 0 or start > end:
            raise ValueError(
                f"Flatten(start_dim={self.start_dim}, end_dim={self.end_dim}): cannot flatten an "
                f"input of shape {x.shape}"
            )
        merged = int(np.prod(x.shape[start : end + 1]))
        return x.reshape(x.shape[:start] + (merged,) + x.shape[end + 1 :])

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Dropout(Module):
    """In training, zero each element with probability ``p`` and scale the rest by 1/(1-p)
    ("inverted" dropout: the expected output equals the input, so evaluation needs no rescaling);
    in ``eval()`` mode, the identity. ``seed`` (int or Generator, by name) makes the masks reproducible;
    None draws from nn.init's default generator (``nn.init.manual_seed``). ``inplace`` (torch's second
    argument) is accepted and changes nothing.

    >>> drop = Dropout(0.5, seed=0)
    >>> drop(np.ones(6))                 # training: zeros and 2s
    Tensor([2., 0., 0., 0., 2., 2.])
    >>> drop.eval()(np.ones(6))          # evaluation: ones
    Tensor([1., 1., 1., 1., 1., 1.])
    """

    def __init__(self, p: float = 0.5, inplace: bool = False, seed: GeneratorLike = None) -> None:
        super().__init__()
        self.p = non_negative_real(type(self).__name__, "p", p)
        if self.p > 1:
            raise ValueError(f"{type(self).__name__}: p must be a probability in [0, 1], got {p!r}")
        inplace_flag(type(self).__name__, inplace, "second", "seed")
        self.inplace = bool(inplace)  # torch's; a new tensor all the same
        self.generator = None if seed is None else nn_init.as_generator(seed)

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        return {"p": self.p}

    def forward(self, x: TensorLike) -> Tensor:
        return F.dropout(x, self.p, self.training, generator=self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p:g}, inplace={self.inplace}"  # (PyTorch's line)


class Dropout2d(Dropout):
    """In training, zero whole channels of (N, C, H, W) images, each (n, c) with probability ``p``, and
    scale the rest by 1/(1-p): ``F.dropout2d``, as PyTorch's ``nn.Dropout2d``; in ``eval()`` mode, the
    identity. ``seed`` as Dropout's (None: nn.init's default generator, which ``ag.manual_seed`` sets).

    >>> Dropout2d(0.5, seed=0)(np.ones((1, 4, 1, 2)))[0, :, 0, 0]     # each channel all 0 or all 2
    Tensor([2., 0., 0., 0.])
    """

    def forward(self, x: TensorLike) -> Tensor:
        shape = np.shape(x.data if isinstance(x, Tensor) else x)
        if len(shape) != 4:
            raise ValueError(
                f"Dropout2d(p={self.p:g}): expected an (N, C, H, W) input, got shape {tuple(shape)}; give one "
                "(C, H, W) image its batch axis (x[None]); for (N, C) or (N, C, L) use nn.Dropout"
            )
        return F.dropout2d(x, self.p, self.training, generator=self.generator)
