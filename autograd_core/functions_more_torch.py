"""torch's top-level ``igamma igammac prelu hardshrink`` and ``strided``, which ``Tensor``'s methods of the same
names (tensor_more_torch.py) call. ``igamma``/``igammac`` are ``special.gammainc``/``gammaincc`` under torch's older
names; ``prelu`` and ``hardshrink`` are composed from Tensor ops (relu, where), so their gradients need no rule, and
``nn.functional``'s ``F.prelu``/``F.hardshrink`` are these very functions (nn imports them, never the reverse).
``ag``'s star import of functions_order.py carries ``__all__`` here.

>>> ag.hardshrink(Tensor([-1.0, 0.2, 0.7])).tolist()
[-1.0, 0.0, 0.7]
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .functions import as_tensor, where
from .special_gamma import gammainc, gammaincc
from .tensor import Tensor
from .tensor_more_torch import strided
from .types import TensorLike

__all__ = ["igamma", "igammac", "prelu", "hardshrink", "strided"]


def igamma(input: TensorLike, other: TensorLike) -> Tensor:
    """``special.gammainc`` (the regularised lower incomplete gamma P(a, x), a = input, x = other) under torch's
    name ``torch.igamma``; differentiable in x.

    >>> round(ag.igamma(Tensor([1.0]), Tensor([2.0])).item(), 12)  # 1 - e^-2
    0.864664716763
    """
    return gammainc(input, other)


def igammac(input: TensorLike, other: TensorLike) -> Tensor:
    """``special.gammaincc`` (Q(a, x) = 1 - P(a, x)) under torch's name ``torch.igammac``.

    >>> round(ag.igammac(Tensor([1.0]), Tensor([2.0])).item(), 12)  # e^-2
    0.135335283237
    """
    return gammaincc(input, other)


def prelu(input: TensorLike, weight: TensorLike) -> Tensor:
    """x for x > 0, weight * x otherwise, with a learnable ``weight`` of 1 element (shared) or one per
    channel (dim 1 of the input), as ``torch.prelu`` and ``F.prelu``; composed as relu(x) - weight * relu(-x).

    >>> ag.prelu(Tensor([[-2.0, -2.0], [1.0, 1.0]]), Tensor([0.1, 0.5]))
    Tensor([[-0.2, -1. ],
            [ 1. ,  1. ]])
    """
    x = as_tensor(input)
    # a weight given as numbers takes the input's float dtype (a float32 model stays float32), a Tensor its own
    w = weight if isinstance(weight, Tensor) else as_tensor(weight, dtype=x.dtype if x.dtype.kind == "f" else None)
    channels = x.shape[1] if x.ndim >= 2 else 1  # (a 1-d input is one channel, as PyTorch's)
    if w.ndim > 1 or w.size not in (1, channels):
        raise ValueError(
            f"prelu: weight of shape {w.shape} does not fit an input of shape {x.shape} with {channels} "
            f"channel(s) in dim 1; pass a 1-D weight of {'1 element' if channels == 1 else f'1 or {channels} elements'}"
        )
    # one slope is 0-d (a 0-d input stays 0-d); one per channel is (C, 1, ..., 1), broadcast over dim 1
    w = w.reshape(()) if w.size == 1 else w.reshape((channels,) + (1,) * (x.ndim - 2))
    return x.relu() - w * (-x).relu()


def hardshrink(input: TensorLike, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, else 0, as ``torch.hardshrink`` and ``F.hardshrink`` (gradient 1 outside, 0 inside).
    A negative lambd, which torch takes as "no dead zone", is refused here as the slip it most likely is.

    >>> ag.hardshrink(Tensor([-2.0, 0.3, 1.5]), 1.0)
    Tensor([-2. ,  0. ,  1.5])
    """
    if isinstance(lambd, bool) or not isinstance(lambd, numbers.Real) or not math.isfinite(lambd) or lambd < 0:
        raise ValueError(f"hardshrink: lambd must be a finite number >= 0 (the width of the dead zone), got {lambd!r}")
    x = as_tensor(input)
    return where(np.abs(x.data) > float(lambd), x, 0.0)
