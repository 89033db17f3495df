"""More activation layers, as PyTorch names them: ``ReLU6``, ``Hardtanh``, ``LogSigmoid``, ``Softmin``, ``Mish``,
``Hardswish``, ``Hardsigmoid``, ``SELU``, ``CELU``, ``Softmax2d``, ``PReLU`` (a learnable slope) and
``Unflatten``. Each calls its ``nn.functional`` form (composed from Tensor ops: no backward of its own);
``config()`` gives the constructor's arguments, so ``nn.save`` / ``nn.load`` rebuild a model holding them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.types import DTypeLike, TensorLike

from . import functional as F
from .layers import Softmax
from .module import Module


class _InplaceAccepted(Module):
    """An elementwise layer whose PyTorch form takes ``inplace=``: accepted, and it changes nothing (a new tensor)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = bool(inplace)

    def config(self) -> dict[str, Any]:
        """No arguments that matter (``inplace`` changes nothing here)."""
        return {}


class ReLU6(_InplaceAccepted):
    """min(max(x, 0), 6), elementwise: ``F.relu6``. ``inplace=True`` is accepted and changes nothing.

    >>> ReLU6()(Tensor([-1.0, 7.0]))
    Tensor([0., 6.])
    """

    def forward(self, x: TensorLike) -> Tensor:
        return F.relu6(x)


class SELU(_InplaceAccepted):
    """scale * elu(x, alpha), the self-normalising activation: ``F.selu``. ``inplace=True`` is accepted and
    changes nothing.

    >>> SELU()(Tensor([-1.0, 2.0]))
    Tensor([-1.1113,  2.1014])
    """

    def forward(self, x: TensorLike) -> Tensor:
        return F.selu(x)


class CELU(Module):
    """max(0, x) + min(0, alpha (exp(x / alpha) - 1)), elementwise: ``F.celu``, as PyTorch's ``nn.CELU``.

    >>> CELU(2.0)(Tensor([-1.0, 2.0]))
    Tensor([-0.7869,  2.    ])
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        F.celu(0.0, alpha)  # checks alpha now, not at the first forward
        self.alpha, self.inplace = float(alpha), bool(inplace)

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        return {"alpha": self.alpha}

    def forward(self, x: TensorLike) -> Tensor:
        return F.celu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class Softmax2d(Module):
    """softmax over the channels at every pixel of (N, C, H, W) (or (C, H, W)) images, as PyTorch's
    ``nn.Softmax2d``: a segmentation net's per-pixel class probabilities.

    >>> Softmax2d()(np.zeros((1, 2, 1, 1))).data.ravel().tolist()
    [0.5, 0.5]
    """

    def forward(self, x: TensorLike) -> Tensor:
        x = ag.as_tensor(x)
        if x.ndim not in (3, 4):
            raise ValueError(
                f"Softmax2d: expected an (N, C, H, W) or (C, H, W) input, got shape {x.shape}; for another shape "
                "use Softmax(dim=...) on its channel axis"
            )
        return x.softmax(-3)


class Hardtanh(Module):
    """x clamped to [min_val, max_val]: ``F.hardtanh``.

    >>> Hardtanh(-2.0, 2.0)(Tensor([-3.0, 1.0, 3.0]))
    Tensor([-2.,  1.,  2.])
    """

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        F.hardtanh(0.0, min_val, max_val)  # checks the bounds now, not at the first forward
        self.min_val, self.max_val, self.inplace = float(min_val), float(max_val), bool(inplace)

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        return {"min_val": self.min_val, "max_val": self.max_val}

    def forward(self, x: TensorLike) -> Tensor:
        return F.hardtanh(x, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val:g}, max_val={self.max_val:g}"


class LogSigmoid(Module):
    """log(sigmoid(x)) = -softplus(-x), finite for any x: ``F.logsigmoid``.

    >>> LogSigmoid()(Tensor([-1000.0])).item()
    -1000.0
    """

    def forward(self, x: TensorLike) -> Tensor:
        return F.logsigmoid(x)


class Softmin(Softmax):
    """softmax(-x) along ``dim``: ``Softmin(dim=1)(distances)`` gives rows that sum to 1.

    >>> Softmin(dim=0)(Tensor([1.0, 1.0])).tolist()
    [0.5, 0.5]
    """

    def forward(self, x: TensorLike) -> Tensor:
        return F.softmin(x, dim=self.dim)


class Mish(_InplaceAccepted):
    """x * tanh(softplus(x)), elementwise: ``F.mish``.

    >>> Mish()(Tensor([1.0])).item()
    0.8650...
    """

    def forward(self, x: TensorLike) -> Tensor:
        return F.mish(x)


class Hardswish(_InplaceAccepted):
    """x * relu6(x + 3) / 6, elementwise: ``F.hardswish``.

    >>> Hardswish()(Tensor([3.0])).item()
    3.0
    """

    def forward(self, x: TensorLike) -> Tensor:
        return F.hardswish(x)


class Hardsigmoid(_InplaceAccepted):
    """relu6(x + 3) / 6, elementwise: ``F.hardsigmoid``.

    >>> Hardsigmoid()(Tensor([0.0])).item()
    0.5
    """

    def forward(self, x: TensorLike) -> Tensor:
        return F.hardsigmoid(x)


class PReLU(Module):
    """x for x > 0, weight * x otherwise, ``weight`` a learnable Parameter of ``num_parameters`` slopes
    (1, shared, or one per channel: dim 1 of the input), each starting at ``init``: ``F.prelu``.

    >>> PReLU(3)(np.full((2, 3), -1.0)).tolist()
    [[-0.25, -0.25, -0.25], [-0.25, -0.25, -0.25]]
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, dtype: DTypeLike = np.float64) -> None:
        super().__init__()
        if isinstance(num_parameters, bool) or not isinstance(num_parameters, (int, np.integer)) or num_parameters < 1:
            raise ValueError(
                f"PReLU: num_parameters must be an int >= 1 (1, or the number of channels), got {num_parameters!r}"
            )
        if isinstance(init, bool) or not isinstance(init, (int, float)) or not math.isfinite(init):
            raise ValueError(f"PReLU: init must be a finite number (the starting slope), got {init!r}")
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"PReLU: dtype must be floating-point (float64 or float32), got {dtype}")
        self.num_parameters, self.init = int(num_parameters), float(init)
        self.weight = Tensor(np.full(self.num_parameters, self.init, dtype), requires_grad=True)

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them; the weights load after)."""
        return {"num_parameters": self.num_parameters, "init": self.init, "dtype": self.weight.dtype.name}

    def forward(self, x: TensorLike) -> Tensor:
        return F.prelu(x, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


def _is_size(s: object) -> bool:
    return isinstance(s, (int, np.integer)) and not isinstance(s, bool) and bool(s > 0 or s == -1)


class Unflatten(Module):
    """Split axis ``dim`` into ``unflattened_size`` (one entry may be -1): (N, 6) -> (N, 2, 3), Flatten's inverse.

    >>> Unflatten(1, (2, 3))(np.zeros((4, 6))).shape
    (4, 2, 3)
    """

    def __init__(self, dim: int, unflattened_size: tuple[int, ...] | list[int]) -> None:
        super().__init__()
        sizes = tuple(unflattened_size) if isinstance(unflattened_size, (tuple, list)) else None
        if not sizes or not all(_is_size(s) for s in sizes) or sizes.count(-1) > 1:
            raise ValueError(
                f"Unflatten: unflattened_size must be a tuple of sizes > 0 (at most one -1), got {unflattened_size!r}"
            )
        self.dim, self.unflattened_size = int(dim), tuple(int(s) for s in sizes)

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        return {"dim": self.dim, "unflattened_size": list(self.unflattened_size)}

    def forward(self, x: TensorLike) -> Tensor:
        x = ag.as_tensor(x)
        known = math.prod(s for s in self.unflattened_size if s != -1)
        fits = x.ndim > 0 and -x.ndim <= self.dim < x.ndim
        length = x.shape[self.dim] if fits else 0
        if not fits or (length % known if -1 in self.unflattened_size else length != known):
            raise ValueError(
                f"Unflatten(dim={self.dim}, unflattened_size={self.unflattened_size}): cannot split axis {self.dim} "
                f"of an input of shape {x.shape}; give an input whose axis {self.dim} has {known} elements"
                + (" times any count" if -1 in self.unflattened_size else "")
            )
        dim = self.dim % x.ndim
        return x.reshape(x.shape[:dim] + self.unflattened_size + x.shape[dim + 1 :])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
