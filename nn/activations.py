"""Activations, the softmax family and ``linear`` as functions, as ``nn.functional`` spells them.

``F.softmax``, ``F.relu``, ``F.linear``, ... are these (``nn.functional`` re-exports them next to the
losses): thin wrappers over the Tensor's own ops, with PyTorch's argument names (``dim=`` for ``axis=``),
so that a PyTorch user's ``F.softmax(logits, dim=1)`` reads the same here.
"""

from __future__ import annotations

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.types import TensorLike


def _axis(axis: int, dim: int | None) -> int:
    return axis if dim is None else dim


def softmax(input: TensorLike, axis: int = -1, dim: int | None = None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``axis`` (``dim`` is accepted as PyTorch's spelling):
    ``F.softmax(logits, dim=1)``."""
    return ag.as_tensor(input).softmax(_axis(axis, dim))


def log_softmax(input: TensorLike, axis: int = -1, dim: int | None = None) -> Tensor:
    """log(softmax(x)) along ``axis``, stable for inputs of +-1000: ``F.log_softmax(logits, axis=1)``."""
    return ag.as_tensor(input).log_softmax(_axis(axis, dim))


def relu(input: TensorLike) -> Tensor:
    """max(x, 0): ``F.relu(x)``."""
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
