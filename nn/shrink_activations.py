"""The gated, shrinking and thresholding activations, as PyTorch spells them: ``F.glu``, ``F.softsign``,
``F.tanhshrink``, ``F.softshrink``, ``F.hardshrink``, ``F.threshold`` and their layers ``nn.GLU``, ``nn.Softsign``,
``nn.Tanhshrink``, ``nn.Softshrink``, ``nn.Hardshrink``, ``nn.Threshold``.

Each is a Tensor expression (a split and a sigmoid, an abs and a division, relu's differences), so the engine
derives its gradient. The shrinks have kinks at ±lambd: there the ties-split rule gives softshrink the
derivative ½ (relu'(0) = ½), where PyTorch gives 0; away from ±lambd they agree.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.functions_more_torch import hardshrink as hardshrink  # F.hardshrink is torch.hardshrink
from autograd_core.types import TensorLike

from .module import Module


def _lambd(function: str, lambd: object) -> float:
    if isinstance(lambd, bool) or not isinstance(lambd, numbers.Real) or not math.isfinite(lambd) or lambd < 0:
        raise ValueError(f"{function}: lambd must be a finite number >= 0 (the width of the dead zone), got {lambd!r}")
    return float(lambd)


def glu(input: TensorLike, dim: int = -1) -> Tensor:
    """The gated linear unit, as PyTorch's ``F.glu``: ``input`` split in halves a, b along ``dim``,
    then a * sigmoid(b) (the gate b decides how much of a passes).

    >>> glu(Tensor([1.0, 2.0, 0.0, 100.0]))     # [1 * sigmoid(0), 2 * sigmoid(100)]
    Tensor([0.5, 2. ])
    """
    x = ag.as_tensor(input)
    if x.ndim == 0:
        raise ValueError("glu: input is 0-d; glu halves an axis, give it at least one axis of even length")
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral) or not -x.ndim <= dim < x.ndim:
        raise ValueError(
            f"glu: dim must be an int in [{-x.ndim}, {x.ndim}) for an input of shape {x.shape}, got {dim!r}"
        )
    axis = int(dim) % x.ndim
    if x.shape[axis] % 2:
        raise ValueError(
            f"glu: the halved axis dim={dim} of the input's shape {x.shape} has odd length {x.shape[axis]}; "
            "it must be even (the first half is the value, the second the gate)"
        )
    half = x.shape[axis] // 2
    before = (slice(None),) * axis
    return x[before + (slice(0, half),)] * x[before + (slice(half, None),)].sigmoid()


def softsign(input: TensorLike) -> Tensor:
    """x / (1 + |x|), a slow-saturating tanh, as PyTorch's ``F.softsign``.

    >>> softsign(Tensor([-3.0, 0.0, 1.0]))
    Tensor([-0.75,  0.  ,  0.5 ])
    """
    x = ag.as_tensor(input)
    return x / (1 + x.abs())


def tanhshrink(input: TensorLike) -> Tensor:
    """x - tanh(x), as PyTorch's ``F.tanhshrink``.

    >>> tanhshrink(Tensor([0.0, 100.0]))
    Tensor([ 0., 99.])
    """
    x = ag.as_tensor(input)
    return x - x.tanh()


def softshrink(input: TensorLike, lambd: float = 0.5) -> Tensor:
    """x - lambd above lambd, x + lambd below -lambd, 0 between (the proximal map of lambd |x|), as
    PyTorch's ``F.softshrink``: relu(x - lambd) - relu(-x - lambd).

    >>> softshrink(Tensor([-2.0, 0.3, 1.5]), 1.0)
    Tensor([-1. ,  0. ,  0.5])
    """
    lam = _lambd("softshrink", lambd)
    x = ag.as_tensor(input)
    return (x - lam).relu() - (-x - lam).relu()


def _finite(function: str, name: str, value: object) -> float | int:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{function}: {name} must be a finite number, got {value!r}")
    return value if isinstance(value, (int, float)) else float(value)


def threshold(input: TensorLike, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > threshold, else ``value``, as PyTorch's ``F.threshold`` (gradient 1 above, 0 below). With
    value == threshold it is continuous, threshold + relu(x - threshold), and at the kink the gradient is ½ (the
    ties-split rule; torch's 0). ``inplace`` is accepted (a new tensor all the same).

    >>> threshold(Tensor([-1.0, 0.5, 2.0]), 1.0, 20.0)
    Tensor([20., 20.,  2.])
    """
    limit, fill = _finite("threshold", "threshold", threshold), _finite("threshold", "value", value)
    x = ag.as_tensor(input)
    if fill == limit:
        return (x - limit).relu() + limit
    return ag.where(np.asarray(x.data) > limit, x, float(fill))


class GLU(Module):
    """The gated linear unit along ``dim``: ``F.glu``.

    >>> GLU()(Tensor([[1.0, 2.0, 0.0, 100.0]]))
    Tensor([[0.5, 2. ]])
    """

    dim: int

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
            raise ValueError(f"GLU: dim must be an int, got {dim!r}")
        self.dim = int(dim)

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        return {"dim": self.dim}

    def forward(self, x: TensorLike) -> Tensor:
        return glu(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softsign(Module):
    """x / (1 + |x|): ``F.softsign``.

    >>> Softsign()(Tensor([1.0]))
    Tensor([0.5])
    """

    def forward(self, x: TensorLike) -> Tensor:
        return softsign(x)


class Tanhshrink(Module):
    """x - tanh(x): ``F.tanhshrink``.

    >>> Tanhshrink()(Tensor([0.0]))
    Tensor([0.])
    """

    def forward(self, x: TensorLike) -> Tensor:
        return tanhshrink(x)


class Softshrink(Module):
    """Shrink towards 0 by ``lambd``: ``F.softshrink``.

    >>> Softshrink(1.0)(Tensor([3.0]))
    Tensor([2.])
    """

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = _lambd(type(self).__name__, lambd)

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        return {"lambd": self.lambd}

    def forward(self, x: TensorLike) -> Tensor:
        return softshrink(x, self.lambd)

    def extra_repr(self) -> str:
        return f"{self.lambd:g}"


class Hardshrink(Softshrink):
    """Zero within ``lambd`` of 0, x beyond: ``F.hardshrink``.

    >>> Hardshrink(1.0)(Tensor([0.5, 3.0]))
    Tensor([0., 3.])
    """

    def forward(self, x: TensorLike) -> Tensor:
        return hardshrink(x, self.lambd)


class Threshold(Module):
    """``value`` where x <= ``threshold``, x above: ``F.threshold``, as PyTorch's ``nn.Threshold``.

    >>> Threshold(0.1, 20.0)(Tensor([0.0, 1.0]))
    Tensor([20.,  1.])
    """

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        self.threshold = _finite("Threshold", "threshold", threshold)
        self.value, self.inplace = _finite("Threshold", "value", value), bool(inplace)

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        return {"threshold": self.threshold, "value": self.value}

    def forward(self, x: TensorLike) -> Tensor:
        return threshold(x, self.threshold, self.value)

    def extra_repr(self) -> str:
        return f"threshold={self.threshold}, value={self.value}"


__all__ = ["glu", "softsign", "tanhshrink", "softshrink", "hardshrink", "threshold"]
__all__ += ["GLU", "Softsign", "Tanhshrink", "Softshrink", "Hardshrink", "Threshold"]
