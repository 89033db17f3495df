"""The layers that keep SELU self-normalising or randomise a slope: ``F.alpha_dropout`` / ``nn.AlphaDropout``,
``F.feature_alpha_dropout`` / ``nn.FeatureAlphaDropout`` and ``F.rrelu`` / ``nn.RReLU``, as PyTorch spells them
(Géron's chapter 11 lists all three), and ``F.gumbel_softmax`` (a differentiable draw of a category). Like
``Dropout``, each of the layers draws its noise only in training and is deterministic in ``eval()``; each is
composed from Tensor ops (no backward of its own).

Why alpha dropout: plain dropout's zeros and 1/(1-p) scaling move a SELU layer's mean and variance off the
fixed point (0, 1) that makes the network self-normalising. Alpha dropout (Klambauer et al. 2017) sets a
dropped unit to SELU's negative saturation value alpha' = -scale * alpha instead of 0, then applies the affine
map a x + b that brings mean 0 and variance 1 back: a = ((1 - p)(1 + p alpha'^2))^(-1/2), b = -a alpha' p.

>>> drop = nn.AlphaDropout(0.2, seed=0)
>>> x = np.random.default_rng(0).standard_normal(100_000)
>>> y = drop(x).data
>>> round(float(y.mean()), 2) + 0.0, round(float(y.std()), 2)              # still mean 0 and std 1
(0.0, 1.0)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.types import TensorLike

from . import init as nn_init
from .activations import SELU_ALPHA, SELU_SCALE, inplace_flag, leaky_relu
from .init import GeneratorLike
from .module import Module

#: alpha' = -scale * alpha, SELU's limit at -infinity: where alpha dropout puts a dropped unit
SELU_NEGATIVE_SATURATION = -SELU_SCALE * SELU_ALPHA


def _probability(owner: str, p: object) -> float:
    if isinstance(p, bool) or not isinstance(p, (int, float, np.floating)) or not 0 <= p <= 1:
        raise ValueError(f"{owner}: p must be a probability in [0, 1], got {p!r}")
    return float(p)


def _alpha_masked(x: Tensor, mask_shape: tuple[int, ...], p: float, training: bool, generator: GeneratorLike) -> Tensor:
    """Alpha dropout with one draw per element of ``mask_shape`` (broadcast over the rest of ``x``)."""
    if not training or p == 0:
        return x
    if p == 1:
        return x * 0  # torch's: nothing kept, zeros (the affine map is undefined at p = 1)
    dtype = x.dtype if x.dtype.kind == "f" else np.float64
    keep = (nn_init.as_generator(generator).random(mask_shape) >= p).astype(dtype)
    a = 1 / math.sqrt((1 - p) * (1 + p * SELU_NEGATIVE_SATURATION**2))
    b = -a * SELU_NEGATIVE_SATURATION * p
    # kept: a x + b; dropped: a alpha' + b (a constant, so its gradient is 0)
    return x * (a * keep) + (a * SELU_NEGATIVE_SATURATION * (1 - keep) + b).astype(dtype)


def alpha_dropout(
    input: TensorLike, p: float = 0.5, training: bool = False, inplace: bool = False, generator: GeneratorLike = None
) -> Tensor:
    """Alpha dropout (for SELU networks) when ``training``: each element dropped with probability ``p`` to
    SELU's saturation value, then all rescaled so a standard-normal input keeps mean 0 and variance 1, as
    PyTorch's ``F.alpha_dropout`` (whose ``training`` is False by default: pass ``self.training``); the identity
    otherwise. ``inplace=True`` is accepted and changes nothing (a new tensor). ``generator`` as ``F.dropout``'s.

    >>> alpha_dropout(np.zeros(4), 0.5, training=True, generator=0).round(4)      # kept: b, dropped: a alpha' + b
    Tensor([ 0.7792, -0.7792, -0.7792, -0.7792])
    """
    inplace_flag("F.alpha_dropout", inplace, "4th", "generator")
    x = ag.as_tensor(input)
    return _alpha_masked(x, x.shape, _probability("alpha_dropout", p), training, generator)


def feature_alpha_dropout(
    input: TensorLike, p: float = 0.5, training: bool = False, inplace: bool = False, generator: GeneratorLike = None
) -> Tensor:
    """Alpha dropout of whole channels: one draw per (n, c) of an (N, C, ...) input, shared by the rest of the
    channel's values, as PyTorch's ``F.feature_alpha_dropout`` (``training`` False by default, as there).

    >>> feature_alpha_dropout(np.zeros((1, 2, 3)), 0.5, training=True, generator=0).round(4)[0]
    Tensor([[ 0.7792,  0.7792,  0.7792],
            [-0.7792, -0.7792, -0.7792]])
    """
    inplace_flag("F.feature_alpha_dropout", inplace, "4th", "generator")
    x = ag.as_tensor(input)
    if x.ndim < 2:
        raise ValueError(
            f"feature_alpha_dropout: expected an input of shape (N, C, ...), got {x.shape}; for single values use "
            "alpha_dropout"
        )
    p = _probability("feature_alpha_dropout", p)
    return _alpha_masked(x, x.shape[:2] + (1,) * (x.ndim - 2), p, training, generator)


def _slopes(owner: str, lower: object, upper: object) -> tuple[float, float]:
    for name, value in (("lower", lower), ("upper", upper)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) or not math.isfinite(value):
            raise ValueError(f"{owner}: {name} must be a finite number (a slope), got {value!r}")
    if lower > upper:  # type: ignore[operator]
        raise ValueError(
            f"{owner}: lower ({lower!r}) must be <= upper ({upper!r}): the slopes are drawn from U(lower, upper)"
        )
    return float(lower), float(upper)  # type: ignore[arg-type]


def rrelu(
    input: TensorLike,
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    inplace: bool = False,
    generator: GeneratorLike = None,
) -> Tensor:
    """Randomised leaky ReLU: x for x >= 0, a x otherwise, with a drawn from U(lower, upper) for every element
    when ``training``, and the mean slope (lower + upper) / 2 otherwise (a plain leaky ReLU), as PyTorch's
    ``F.rrelu`` (``training`` False by default there too). ``inplace`` is accepted and changes nothing.

    >>> rrelu(Tensor([-2.0, 3.0]), 0.1, 0.3)                           # eval: the slope 0.2
    Tensor([-0.4,  3. ])
    """
    lower, upper = _slopes("rrelu", lower, upper)
    inplace_flag("F.rrelu", inplace, "5th", "generator")
    x = ag.as_tensor(input)
    if not training:
        return leaky_relu(x, (lower + upper) / 2)
    dtype = x.dtype if x.dtype.kind == "f" else np.float64
    slopes = nn_init.as_generator(generator).uniform(lower, upper, x.shape).astype(dtype)
    return x.relu() - slopes * (-x).relu()  # leaky_relu's composition, a slope per element


def gumbel_softmax(
    logits: TensorLike,
    tau: float = 1.0,
    hard: bool = False,
    eps: float = 1e-10,
    dim: int = -1,
    generator: GeneratorLike = None,
) -> Tensor:
    """A relaxed draw from the categorical distribution softmax(logits) along ``dim`` (Jang et al.; Maddison et
    al.), as PyTorch's ``F.gumbel_softmax``: softmax((logits + g) / tau), g standard Gumbel noise (-log of an
    Exponential(1) draw), so its argmax is an exact sample. ``hard=True``: the one-hot of that argmax going forward,
    the soft sample's gradient going back (straight-through: y_hard - y_soft.detach() + y_soft). ``eps`` is
    torch's unused argument. ``generator`` as ``dropout``'s (an int seed: the same draw every call).

    >>> F.gumbel_softmax(Tensor([[1.0, 2.0, 3.0]]), hard=True, generator=0)
    Tensor([[0., 0., 1.]])
    """
    if isinstance(tau, bool) or not isinstance(tau, (int, float, np.floating)) or not 0 < tau < math.inf:
        raise ValueError(f"gumbel_softmax: tau must be a finite number > 0 (the temperature), got {tau!r}")
    x = ag.as_tensor(logits)
    x = x if x.dtype.kind == "f" else x.astype(np.float64)
    if x.ndim == 0 or not -x.ndim <= dim < x.ndim:
        raise ValueError(
            f"gumbel_softmax: dim {dim!r} is not an axis of logits of shape {x.shape}; give dim in "
            f"[{-x.ndim}, {x.ndim})"
        )
    gumbels = -np.log(nn_init.as_generator(generator).exponential(1.0, x.shape)).astype(x.dtype)
    soft = ((x + gumbels) / tau).softmax(dim)
    if not hard:
        return soft
    hot = np.zeros(x.shape, x.dtype)
    np.put_along_axis(hot, np.expand_dims(np.asarray(soft.data).argmax(axis=dim), dim), 1.0, axis=dim)
    return (Tensor(hot) - soft.detach()) + soft


class AlphaDropout(Module):
    """Alpha dropout in training (``F.alpha_dropout``: mean 0 and variance 1 kept for SELU networks), the
    identity in ``eval()``, as PyTorch's ``nn.AlphaDropout``. ``seed`` as ``Dropout``'s; ``inplace`` is
    accepted and changes nothing.

    >>> nn.AlphaDropout(0.5, seed=0)(np.zeros(4)).round(4)
    Tensor([ 0.7792, -0.7792, -0.7792, -0.7792])
    """

    def __init__(self, p: float = 0.5, inplace: bool = False, seed: GeneratorLike = None) -> None:
        super().__init__()
        self.p = _probability(type(self).__name__, p)
        inplace_flag(type(self).__name__, inplace, "second", "seed")
        self.inplace = bool(inplace)
        self.generator = None if seed is None else nn_init.as_generator(seed)

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        return {"p": self.p}

    def forward(self, x: TensorLike) -> Tensor:
        return alpha_dropout(x, self.p, self.training, generator=self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p:g}, inplace={self.inplace}"


class FeatureAlphaDropout(AlphaDropout):
    """Alpha dropout of whole channels of an (N, C, ...) input in training (``F.feature_alpha_dropout``), the
    identity in ``eval()``, as PyTorch's ``nn.FeatureAlphaDropout``.

    >>> nn.FeatureAlphaDropout(0.5, seed=0)(np.zeros((1, 2, 3))).round(4)[0, :, 0]
    Tensor([ 0.7792, -0.7792])
    """

    def forward(self, x: TensorLike) -> Tensor:
        return feature_alpha_dropout(x, self.p, self.training, generator=self.generator)


class RReLU(Module):
    """Randomised leaky ReLU (``F.rrelu``): in training a slope drawn from U(lower, upper) for every negative
    element, in ``eval()`` the mean slope (lower + upper) / 2, as PyTorch's ``nn.RReLU``. ``seed`` as
    ``Dropout``'s; ``inplace`` is accepted and changes nothing.

    >>> nn.RReLU(0.1, 0.3).eval()(Tensor([-2.0, 3.0]))
    Tensor([-0.4,  3. ])
    """

    def __init__(
        self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False, seed: GeneratorLike = None
    ) -> None:
        super().__init__()
        self.lower, self.upper = _slopes(type(self).__name__, lower, upper)
        inplace_flag(type(self).__name__, inplace, "third", "seed")
        self.inplace = bool(inplace)
        self.generator = None if seed is None else nn_init.as_generator(seed)

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        return {"lower": self.lower, "upper": self.upper}

    def forward(self, x: TensorLike) -> Tensor:
        return rrelu(x, self.lower, self.upper, self.training, generator=self.generator)

    def extra_repr(self) -> str:
        return f"lower={self.lower:g}, upper={self.upper:g}"
