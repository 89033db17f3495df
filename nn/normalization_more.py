"""More normalisation layers, as PyTorch names them: ``InstanceNorm1d``, ``InstanceNorm2d``, ``InstanceNorm3d``
(each example's channel standardised over its own positions: style transfer's normalisation; and their ``Lazy``
forms, ``num_features`` read from the first input), ``RMSNorm`` (divide
by the root mean square: LayerNorm without the centring, LLaMA's) and ``LocalResponseNorm`` (AlexNet's
neighbouring-channel normalisation). Each calls its ``nn.functional`` form in norm_functions.py, composed from
Tensor ops: no backward here. Parameters and buffers are named and shaped as torch's, so state dicts load.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any, ClassVar

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.types import DTypeLike, TensorLike

from .checks import positive_int
from .lazy import LazyLayer
from .module import Module
from .norm_functions import instance_norm, local_response_norm, rms_norm
from .normalization import _float_dtype, _positive_number


class _InstanceNorm(Module):
    """What ``InstanceNorm1d/2d/3d`` share; a subclass names its spatial axes (``_spatial``)."""

    running_mean: np.ndarray  # buffers (register_buffer), with track_running_stats
    running_var: np.ndarray
    num_batches_tracked: np.ndarray  # 0-d int64, as torch's (its instance norm never counts: it stays 0)
    _spatial: ClassVar[str]  # "L", "H, W" or "D, H, W"

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = False,
        track_running_stats: bool = False,
        dtype: DTypeLike = np.float64,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        owner = type(self).__name__
        self.num_features = positive_int(owner, "num_features", num_features)
        self.eps = _positive_number(owner, "eps", eps)
        # None: torch's instance norm then never moves the running statistics (momentum 0), kept as it is
        self.momentum = None if momentum is None else _positive_number(owner, "momentum", momentum, high=1.0)
        self.affine, self.track_running_stats = bool(affine), bool(track_running_stats)
        self.bias_enabled = self.affine and bool(bias)
        dtype = _float_dtype(owner, dtype)
        if self.affine:
            self.weight = Tensor(np.ones(self.num_features, dtype), requires_grad=True)
        if self.bias_enabled:
            self.bias = Tensor(np.zeros(self.num_features, dtype), requires_grad=True)
        if self.track_running_stats:
            self.register_buffer("running_mean", np.zeros(self.num_features, dtype))
            self.register_buffer("running_var", np.ones(self.num_features, dtype))
            self.register_buffer("num_batches_tracked", np.zeros((), np.int64))

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        dtype = self.weight if self.affine else self.running_mean if self.track_running_stats else None
        return {
            "num_features": self.num_features,
            "eps": self.eps,
            "momentum": self.momentum,
            "affine": self.affine,
            "track_running_stats": self.track_running_stats,
            "bias": self.bias_enabled or not self.affine,
            **({"dtype": dtype.dtype.name} if dtype is not None else {}),
        }

    def forward(self, x: TensorLike) -> Tensor:
        x = ag.as_tensor(x)
        name, spatial = type(self).__name__, self._spatial
        batched = spatial.count(",") + 3
        if x.ndim not in (batched - 1, batched):
            raise ValueError(
                f"{name}({self.num_features}): expected an input of shape (N, C, {spatial}) or (C, {spatial}), got "
                f"{x.shape}; reshape it to (N, {self.num_features}, {spatial})"
            )
        channels = x.shape[x.ndim - batched + 1]
        if channels != self.num_features:
            message = (
                f"{name}({self.num_features}): the input's {channels} channels (shape {x.shape}) do not match "
                f"num_features {self.num_features}"
            )
            if self.affine or self.track_running_stats:  # a weight or running statistic per channel: cannot apply
                raise ValueError(f"{message}; build the layer with num_features={channels}")
            warnings.warn(f"{message} (unused: it has no per-channel weights or statistics)", stacklevel=2)
        tracked = self.track_running_stats
        out = instance_norm(
            x if x.ndim == batched else x[None],
            self.running_mean if tracked else None,
            self.running_var if tracked else None,
            self.weight if self.affine else None,
            self.bias if self.bias_enabled else None,
            use_input_stats=self.training or not tracked,  # without running statistics, the input's in eval too
            momentum=0.0 if self.momentum is None else self.momentum,
            eps=self.eps,
        )
        return out if x.ndim == batched else out[0]

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"bias={self.bias_enabled}, track_running_stats={self.track_running_stats}"
        )


class InstanceNorm1d(_InstanceNorm):
    """Instance normalisation (Ulyanov et al.) of (N, C, L) sequences (or one (C, L)): each example's channel
    standardised over its L positions (biased variance), as PyTorch's ``nn.InstanceNorm1d``. ``affine=True``
    adds a per-channel ``weight`` (ones) and ``bias`` (zeros); ``track_running_stats=True`` keeps running
    averages of the instances' statistics (the variance unbiased, moved by ``momentum`` in training) and
    normalises with them in ``eval()``. Defaults as torch's: neither.

    >>> out = InstanceNorm1d(2)(np.random.default_rng(0).normal(5, 2, size=(3, 2, 8)))
    >>> out.data.mean(axis=2).round(12) + 0.0                    # each (example, channel): mean 0
    array([[0., 0.],
           [0., 0.],
           [0., 0.]])
    """

    _spatial = "L"


class InstanceNorm2d(_InstanceNorm):
    """Instance normalisation of (N, C, H, W) images (or one (C, H, W)): each example's channel standardised
    over its H * W pixels, as PyTorch's ``nn.InstanceNorm2d`` (style transfer's: the image's contrast goes,
    its content stays). ``affine`` and ``track_running_stats`` as ``InstanceNorm1d``'s.

    >>> norm = InstanceNorm2d(3, affine=True, track_running_stats=True)
    >>> sorted(norm.state_dict())
    ['bias', 'num_batches_tracked', 'running_mean', 'running_var', 'weight']
    """

    _spatial = "H, W"


class InstanceNorm3d(_InstanceNorm):
    """Instance normalisation of (N, C, D, H, W) volumes (or one (C, D, H, W)), as PyTorch's
    ``nn.InstanceNorm3d``; ``affine`` and ``track_running_stats`` as ``InstanceNorm1d``'s.

    >>> InstanceNorm3d(1)(np.arange(8.0).reshape(1, 1, 2, 2, 2)).data.std().round(4)
    np.float64(1.0)
    """

    _spatial = "D, H, W"


class _LazyInstanceNorm(LazyLayer):
    """An InstanceNorm whose ``num_features`` is the first input's channel count: axis 1 of a batch, 0 of one
    unbatched example, as torch's lazy instance norms."""

    axis, sized_by = 1, (("running_mean", 0), ("weight", 0))

    def materialize(self, x: Any) -> None:
        shape = np.shape(x.data if isinstance(x, Tensor) else x)
        batched = self.becomes._spatial.count(",") + 3  # type: ignore[attr-defined]
        if len(shape) == batched - 1:  # one (C, ...) example
            self.become(self._build(shape[0]))
        else:
            super().materialize(x)  # (a shape of neither kind: the real layer's forward names it)


class LazyInstanceNorm1d(_LazyInstanceNorm):
    """``nn.InstanceNorm1d`` with ``num_features`` read from the first input, as PyTorch's ``nn.LazyInstanceNorm1d``.

    >>> layer = LazyInstanceNorm1d(affine=True)
    >>> layer(np.arange(12.0).reshape(2, 3, 2)).shape, layer
    ((2, 3, 2), InstanceNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=False))
    """

    becomes = InstanceNorm1d


class LazyInstanceNorm2d(_LazyInstanceNorm):
    """``nn.InstanceNorm2d`` with ``num_features`` read from the first input: ``nn.LazyInstanceNorm2d``'s.

    >>> LazyInstanceNorm2d(track_running_stats=True)(np.ones((3, 2, 2))).shape      # one (C, H, W) image
    (3, 2, 2)
    """

    becomes = InstanceNorm2d


class LazyInstanceNorm3d(_LazyInstanceNorm):
    """``nn.InstanceNorm3d`` with ``num_features`` read from the first input: ``nn.LazyInstanceNorm3d``'s.

    >>> LazyInstanceNorm3d()(np.ones((1, 2, 2, 2, 2))).shape
    (1, 2, 2, 2, 2)
    """

    becomes = InstanceNorm3d


class RMSNorm(Module):
    """Root-mean-square normalisation (Zhang & Sennrich), as PyTorch's ``nn.RMSNorm``: each example divided by
    sqrt(mean(x**2) + eps) over its last axes ``normalized_shape``, then scaled elementwise by ``weight``
    (ones; ``elementwise_affine=False``: none). No centring and no bias: LLaMA's normalisation. ``eps`` None:
    the input dtype's machine epsilon, as torch's.

    >>> RMSNorm(2)(np.array([[3.0, -3.0]]))
    Tensor([[ 1., -1.]], op=mul)
    """

    def __init__(
        self,
        normalized_shape: int | tuple[int, ...] | list[int],
        eps: float | None = None,
        elementwise_affine: bool = True,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__()
        owner = "RMSNorm"
        shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
        if not shape or any(isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1 for n in shape):
            raise ValueError(
                f"{owner}: normalized_shape must be a positive int or a tuple of them, got {normalized_shape!r}"
            )
        self.normalized_shape = tuple(int(n) for n in shape)
        self.eps = None if eps is None else _positive_number(owner, "eps", eps)
        self.elementwise_affine = bool(elementwise_affine)
        dtype = _float_dtype(owner, dtype)
        if self.elementwise_affine:
            self.weight = Tensor(np.ones(self.normalized_shape, dtype), requires_grad=True)

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        config = {
            "normalized_shape": list(self.normalized_shape),
            "eps": self.eps,
            "elementwise_affine": self.elementwise_affine,
        }
        return dict(config, dtype=self.weight.dtype.name) if self.elementwise_affine else config

    def forward(self, x: TensorLike) -> Tensor:
        x = ag.as_tensor(x)
        k = len(self.normalized_shape)
        if x.ndim < k or x.shape[x.ndim - k :] != self.normalized_shape:
            raise ValueError(
                f"RMSNorm({self.normalized_shape}): the input's last axes must be {self.normalized_shape}, got an "
                f"input of shape {x.shape}; build it with RMSNorm(x.shape[-{k}:])"
            )
        return rms_norm(x, self.normalized_shape, self.weight if self.elementwise_affine else None, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class LocalResponseNorm(Module):
    """Local response normalisation (AlexNet's), as PyTorch's ``nn.LocalResponseNorm``: each channel of (N, C, ...)
    divided by (k + alpha / size * the sum of squares over ``size`` neighbouring channels) ** beta.

    >>> LocalResponseNorm(2)
    LocalResponseNorm(2, alpha=0.0001, beta=0.75, k=1.0)
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> None:
        super().__init__()
        self.size = positive_int("LocalResponseNorm", "size", size)
        for name, value in (("alpha", alpha), ("beta", beta), ("k", k)):
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
                raise ValueError(f"LocalResponseNorm: {name} must be a finite number, got {value!r}")
        self.alpha, self.beta, self.k = float(alpha), float(beta), float(k)

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        return {"size": self.size, "alpha": self.alpha, "beta": self.beta, "k": self.k}

    def forward(self, x: TensorLike) -> Tensor:
        return local_response_norm(x, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
