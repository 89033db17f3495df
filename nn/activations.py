"""Activations, the softmax family, ``dropout`` and ``linear`` as functions, as ``nn.functional``
spells them (the layers ``nn.GELU``, ``nn.LeakyReLU``, ``nn.Dropout`` call them).

``F.softmax``, ``F.relu``, ``F.gelu``, ``F.linear``, ... are these (``nn.functional`` re-exports them next to the
losses): thin wrappers over the Tensor's own ops, with PyTorch's argument names (``dim=`` for ``axis=``),
so that a PyTorch user's ``F.softmax(logits, dim=1)`` reads the same here.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.functions_more_torch import prelu as prelu  # F.prelu is torch.prelu: one implementation
from autograd_core.types import TensorLike

from . import init as nn_init
from .init import GeneratorLike
from .padding import pad as pad  # F.pad lives in padding.py; re-exported for the modules that import it here


def _axis(axis: int, dim: int | None) -> int:
    return axis if dim is None else dim


def softmax(input: TensorLike, axis: int = -1, dim: int | None = None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``axis`` (``dim`` is accepted as PyTorch's spelling):
    ``F.softmax(logits, dim=1)``."""
    return ag.as_tensor(input).softmax(_axis(axis, dim))


def log_softmax(input: TensorLike, axis: int = -1, dim: int | None = None) -> Tensor:
    """log(softmax(x)) along ``axis``, stable for inputs of +-1000: ``F.log_softmax(logits, axis=1)``."""
    return ag.as_tensor(input).log_softmax(_axis(axis, dim))


def normalize(input: TensorLike, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """x / max(||x||_p, eps) along ``dim``: unit rows, as PyTorch's ``F.normalize(x, dim=1)``.

    >>> normalize(Tensor([[3.0, 4.0]]))
    Tensor([[0.6, 0.8]])
    """
    x = ag.as_tensor(input)
    return x / x.norm(p, dim, keepdim=True).maximum(eps)


def cosine_similarity(x1: TensorLike, x2: TensorLike, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """The cosine of the angle between ``x1`` and ``x2`` along ``dim`` (broadcast), each vector's
    norm floored at ``eps`` as PyTorch's ``F.cosine_similarity``.

    >>> cosine_similarity(Tensor([[1.0, 0.0]]), Tensor([[1.0, 1.0]]))
    Tensor([0.7071])
    """
    a, b = ag.as_tensor(x1), ag.as_tensor(x2)
    return (normalize(a, 2.0, dim, eps) * normalize(b, 2.0, dim, eps)).sum(dim=dim)


def pairwise_distance(
    x1: TensorLike, x2: TensorLike, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """||x1 - x2 + eps||_p over the last axis (broadcast), as PyTorch's ``F.pairwise_distance``: the distance the
    triplet loss compares (eps keeps the root's gradient finite where x1 = x2).

    >>> pairwise_distance(Tensor([[0.0, 0.0]]), Tensor([[3.0, 4.0]]), eps=0.0)
    Tensor([5.])
    """
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0 < p < math.inf:
        raise ValueError(f"pairwise_distance: p must be a finite number > 0 (the norm's order), got {p!r}")
    return (ag.as_tensor(x1) - ag.as_tensor(x2) + eps).norm(p, -1, keepdim=keepdim)


def relu(input: TensorLike, inplace: bool = False) -> Tensor:
    """max(x, 0): ``F.relu(x)``; ``inplace`` (torch's) accepted, a new tensor all the same."""
    return ag.relu(input)


def sigmoid(input: TensorLike) -> Tensor:
    """1 / (1 + exp(-x)): ``F.sigmoid(logits)``."""
    return ag.sigmoid(input)


def tanh(input: TensorLike) -> Tensor:
    """tanh(x): ``F.tanh(x)``."""
    return ag.tanh(input)


def linear(input: TensorLike, weight: TensorLike, bias: TensorLike | None = None) -> Tensor:
    """input @ weight.T + bias, weight (out_features, in_features) as PyTorch's (what nn.Linear does):
    one recorded op, ``linear``, then an ``add`` for the bias. ``F.linear(x, w, b)``; see ``ag.linear``.

    >>> linear(np.ones((2, 3)), ag.ones(4, 3), ag.zeros(4)).shape
    (2, 4)
    """
    return ag.linear(input, weight, bias)


def leaky_relu(input: TensorLike, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, negative_slope * x otherwise, composed as relu(x) - negative_slope * relu(-x):
    ``F.leaky_relu(x, 0.2)``, ``inplace`` accepted. (At 0 the gradient is (1 + negative_slope) / 2: ties split.)

    >>> leaky_relu(Tensor([-2.0, 3.0]), 0.1)
    Tensor([-0.2,  3. ])
    """
    x = ag.as_tensor(input)
    return x.relu() - negative_slope * (-x).relu()


def silu(input: TensorLike, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (SiLU, "swish"): ``F.silu(x)``; ``inplace`` accepted (a new tensor all the same).

    >>> silu(Tensor([0.0, 2.0]))
    Tensor([0.    , 1.7616])
    """
    x = ag.as_tensor(input)
    return x * x.sigmoid()


def softplus(input: TensorLike, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, a smooth relu, as PyTorch's ``F.softplus``: x itself where
    beta x > threshold. Composed as relu(x) + log(1 + exp(-beta |x|)) / beta, finite for any x.

    >>> softplus(Tensor([-1000.0, 0.0, 1000.0])).tolist()
    [0.0, 0.6931471805599453, 1000.0]
    """
    if not (isinstance(beta, (int, float)) and beta > 0 and isinstance(threshold, (int, float))):
        raise ValueError(f"softplus: beta must be a number > 0 and threshold a number, got {beta!r}, {threshold!r}")
    x = ag.as_tensor(input)
    smooth = x.relu() + (1 + (-beta * x.abs()).exp()).log() / beta
    return ag.where(x * beta > threshold, x, smooth)


def elu(input: TensorLike, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha (exp(x) - 1) otherwise, as PyTorch's ``F.elu``; composed as
    relu(x) + alpha (exp(min(x, 0)) - 1), so a large x never overflows exp. (At exactly 0 the
    gradient is (1 + alpha) / 2, the ties-split rule; torch's is alpha.) ``inplace`` is accepted.

    >>> elu(Tensor([-1.0, 2.0]))
    Tensor([-0.6321,  2.    ])
    """
    x = ag.as_tensor(input)
    return x.relu() + alpha * (ag.minimum(x, 0.0).exp() - 1)


def celu(input: TensorLike, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha (exp(x / alpha) - 1)) (Barron's continuously differentiable ELU), as PyTorch's
    ``F.celu``; composed as relu(x) + alpha (exp(min(x, 0) / alpha) - 1). ``inplace`` is accepted.

    >>> celu(Tensor([-1.0, 2.0]), alpha=2.0)
    Tensor([-0.7869,  2.    ])
    """
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not math.isfinite(alpha) or alpha == 0:
        raise ValueError(f"celu: alpha must be a finite nonzero number (it divides x), got {alpha!r}")
    x = ag.as_tensor(input)
    return x.relu() + alpha * ((ag.minimum(x, 0.0) / alpha).exp() - 1)


# Klambauer et al.'s constants (torch's, to the digit): with LeCun-normal weights, a SELU layer maps activations
# of mean 0 and variance 1 to mean 0 and variance 1 (the fixed point that makes the network self-normalising)
SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def selu(input: TensorLike, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with Klambauer et al.'s alpha = 1.6733, scale = 1.0507 (self-normalising), as
    PyTorch's ``F.selu``; ``inplace=True`` is accepted and changes nothing (a new tensor). At exactly 0 the
    gradient is scale (1 + alpha) / 2, the ties-split rule (torch's: scale alpha).

    >>> selu(Tensor([-1.0, 2.0]))
    Tensor([-1.1113,  2.1014])
    """
    return SELU_SCALE * elu(input, SELU_ALPHA)


def gelu(input: TensorLike, approximate: str = "none") -> Tensor:
    """x * Phi(x), Phi the standard normal CDF: ``F.gelu(x)``. ``approximate="none"`` uses the primitive
    ``ag.erfc`` (torch's exact GELU to a few float64 ulps); ``"tanh"`` is torch's
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), equal to torch to rounding.

    >>> gelu(Tensor([1.0])).item()
    0.8413...
    """
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    x = ag.as_tensor(input)
    if approximate == "tanh":
        return 0.5 * x * (1 + (math.sqrt(2 / math.pi) * (x + 0.044715 * x * x * x)).tanh())
    return 0.5 * x * erfc(x * (-1 / math.sqrt(2)))


def dropout(
    input: TensorLike, p: float = 0.5, training: bool = True, inplace: bool = False, generator: GeneratorLike = None
) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1/(1-p) when ``training``
    (inverted dropout), else return the input: ``F.dropout(x, 0.1, self.training)``, torch's signature
    (``inplace`` accepted, a new tensor all the same). ``generator``: None draws from nn.init's default
    (``nn.init.manual_seed``), a numpy Generator from its stream; an int seed gives the same mask at every call.

    >>> dropout(np.ones(4), 0.5, generator=0)
    Tensor([2., 0., 0., 0.])
    """
    _check_probability("dropout", p)
    inplace_flag("F.dropout", inplace, "4th", "generator")
    x = ag.as_tensor(input)
    return _masked(x, x.shape, p, training, generator)


def dropout2d(
    input: TensorLike, p: float = 0.5, training: bool = True, inplace: bool = False, generator: GeneratorLike = None
) -> Tensor:
    """Zero whole channels of (N, C, H, W) images, each (n, c) with probability ``p``, and scale the rest
    by 1/(1-p) when ``training``, as PyTorch's ``F.dropout2d`` (neighbouring pixels of a feature map are
    correlated, so dropping single pixels barely regularises a CNN); the identity otherwise.
    ``generator`` as ``dropout``'s.

    >>> dropout2d(np.ones((1, 4, 1, 2)), 0.5, generator=0)[0]     # channels 1-3 dropped
    Tensor([[[2., 2.]],
    <BLANKLINE>
            [[0., 0.]],
    <BLANKLINE>
            [[0., 0.]],
    <BLANKLINE>
            [[0., 0.]]])
    """
    _check_probability("dropout2d", p)
    inplace_flag("F.dropout2d", inplace, "4th", "generator")
    x = ag.as_tensor(input)
    if x.ndim != 4:
        raise ValueError(
            f"dropout2d: expected an (N, C, H, W) input, got shape {x.shape}; give one (C, H, W) image its "
            "batch axis (x[None]); for (N, C) or (N, C, L) use dropout"
        )
    return _masked(x, x.shape[:2] + (1, 1), p, training, generator)


def inplace_flag(owner: str, inplace: object, position: str, seed_name: str) -> None:
    """torch's ``inplace`` (accepted, changing nothing) must be a bool: a seed given where torch puts it is refused."""
    if not isinstance(inplace, (bool, np.bool_)):
        raise TypeError(
            f"{owner}: inplace (torch's {position} argument) must be True or False, got {inplace!r}; give the "
            f"seed by name: {seed_name}={inplace!r}"
        )


def _check_probability(op: str, p: float) -> None:
    if not 0 <= p <= 1:
        raise ValueError(f"{op}: p must be a probability in [0, 1], got {p!r}")


def _masked(x: Tensor, mask_shape: tuple[int, ...], p: float, training: bool, generator: GeneratorLike) -> Tensor:
    """Inverted dropout with one draw per element of ``mask_shape`` (broadcast over the rest of ``x``)."""
    if not training or p == 0:
        return x
    if p == 1:
        return x * 0
    keep = nn_init.as_generator(generator).random(mask_shape) >= p
    return x * (keep / (1 - p)).astype(x.dtype if x.dtype.kind == "f" else np.float64)


def erfc(x: TensorLike) -> Tensor:
    """The complementary error function 1 - erf(x): ``ag.erfc``, the primitive (a few float64 ulps, accurate
    in the right tail), kept here for ``nn.functional``'s callers.

    >>> erfc(Tensor([0.0])).item()
    1.0
    """
    return ag.erfc(x)


# ------------------------------------------------ the hard and log activations, composed from clamp/softplus
def _bound(function: str, name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{function}: {name} must be a finite number, got {value!r}")
    return float(value)


def hardtanh(input: TensorLike, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """x clamped to [min_val, max_val], as PyTorch's ``F.hardtanh`` (at a bound the gradient is halved,
    the clamp's ties-split rule). ``inplace=True``, here and in the functions below, is accepted and
    changes nothing (a new tensor, as ``F.relu``).

    >>> hardtanh(Tensor([-3.0, 0.5, 3.0]))
    Tensor([-1. ,  0.5,  1. ])
    """
    low, high = _bound("hardtanh", "min_val", min_val), _bound("hardtanh", "max_val", max_val)
    if low > high:
        raise ValueError(f"hardtanh: min_val must be <= max_val, got min_val={min_val!r} > max_val={max_val!r}")
    return ag.as_tensor(input).clamp(low, high)


def relu6(input: TensorLike, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6): ``F.relu6(x)`` (MobileNet's bounded relu).

    >>> relu6(Tensor([-1.0, 3.0, 7.0]))
    Tensor([0., 3., 6.])
    """
    return ag.as_tensor(input).clamp(0.0, 6.0)


def hardsigmoid(input: TensorLike, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6, a piecewise-linear sigmoid: 0 below -3, 1 above 3, ``F.hardsigmoid(x)``.

    >>> hardsigmoid(Tensor([-4.0, 0.0, 4.0]))
    Tensor([0. , 0.5, 1. ])
    """
    return relu6(ag.as_tensor(input) + 3) / 6


def hardswish(input: TensorLike, inplace: bool = False) -> Tensor:
    """x * relu6(x + 3) / 6 (MobileNetV3's cheap swish): ``F.hardswish(x)``.

    >>> hardswish(Tensor([-1.0, 1.0, 4.0]))
    Tensor([-0.3333,  0.6667,  4.    ])
    """
    x = ag.as_tensor(input)
    return x * relu6(x + 3) / 6


def logsigmoid(input: TensorLike) -> Tensor:
    """log(sigmoid(x)), composed as -softplus(-x): finite for any x (logsigmoid(-1000) = -1000), as
    PyTorch's ``F.logsigmoid``.

    >>> logsigmoid(Tensor([-1000.0, 0.0])).tolist()
    [-1000.0, -0.6931471805599453]
    """
    return -softplus(-ag.as_tensor(input), 1.0, math.inf)  # no threshold: the stable form is exact everywhere


def softmin(input: TensorLike, axis: int = -1, dim: int | None = None) -> Tensor:
    """softmax(-x) along ``axis`` (``dim`` is PyTorch's spelling): the smallest entry gets the most weight,
    ``F.softmin(distances, dim=1)``.

    >>> softmin(Tensor([0.0, 0.0])).tolist()
    [0.5, 0.5]
    """
    return (-ag.as_tensor(input)).softmax(_axis(axis, dim))


def mish(input: TensorLike, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x)) (Misra's Mish): ``F.mish(x)``.

    >>> mish(Tensor([0.0, 1.0]))
    Tensor([0.    , 0.8651])
    """
    x = ag.as_tensor(input)
    return x * softplus(x).tanh()
