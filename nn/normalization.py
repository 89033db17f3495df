"""Normalisation layers: ``BatchNorm1d``, ``BatchNorm2d``, ``BatchNorm3d``, ``LayerNorm`` and ``GroupNorm``, composed
from Tensor ops.

Both standardise x to x_hat = (x - mean) / sqrt(var + eps) and then scale and shift it
(gamma * x_hat + beta). BatchNorm takes the statistics over the batch (and keeps running
averages for evaluation); LayerNorm over each example's features. The engine derives
their backward; tutorial 09 derives BatchNorm's by hand and checks the two agree.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, ClassVar

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.types import DTypeLike, TensorLike

from .checks import positive_int
from .module import Module
from .norm_functions import batch_norm, group_norm, layer_norm


def _positive_number(owner: str, name: str, value: object, high: float | None = None) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(value)
        or float(value) <= 0
        or (high is not None and float(value) > high)
    ):
        bound = f" and <= {high}" if high is not None else ""
        raise ValueError(f"{owner}: {name} must be a number > 0{bound}, got {value!r}")
    return float(value)


def _float_dtype(owner: str, dtype: DTypeLike) -> np.dtype[Any]:
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"{owner}: dtype must be floating-point (float64 or float32), got {dtype}")
    return dtype


class _BatchNorm(Module):
    """What ``BatchNorm1d`` and ``BatchNorm2d`` share: per-channel (axis 1) statistics over every other
    axis. A subclass names the input shapes it takes (``_shapes``: ndim -> how to write it)."""

    running_mean: np.ndarray  # buffers (register_buffer), with track_running_stats
    running_var: np.ndarray
    num_batches_tracked: np.ndarray  # 0-d int64: the training batches seen, as PyTorch's (with track_running_stats)
    _shapes: ClassVar[dict[int, str]]  # ndim -> the shape in the error message, "C" standing for num_features
    _hint: ClassVar[str] = ""  # what to do with an input of another shape

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__()
        owner = type(self).__name__
        self.num_features = positive_int(owner, "num_features", num_features)
        self.eps = _positive_number(owner, "eps", eps)
        # None: PyTorch's cumulative moving average, the running statistics the plain mean over every batch so far
        # (momentum 1 / num_batches_tracked at each); a number: the exponential one (Keras's momentum m is 1 - m here)
        self.momentum = None if momentum is None else _positive_number(owner, "momentum", momentum, high=1.0)
        self.affine, self.track_running_stats = bool(affine), bool(track_running_stats)
        dtype = _float_dtype(owner, dtype)
        if self.affine:
            self.weight = Tensor(np.ones(self.num_features, dtype), requires_grad=True)
            self.bias = Tensor(np.zeros(self.num_features, dtype), requires_grad=True)
        if self.track_running_stats:
            self.register_buffer("running_mean", np.zeros(self.num_features, dtype))
            self.register_buffer("running_var", np.ones(self.num_features, dtype))
            # a buffer (saved, loaded) with momentum=None only, the one rule that reads it; else a plain counter, so
            # a default BatchNorm's buffers and state_dict keep the names they always had (models saved before load)
            counter = np.zeros((), np.int64)
            if momentum is None:
                self.register_buffer("num_batches_tracked", counter)
            else:
                self.num_batches_tracked = counter

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        dtype = self.weight if self.affine else self.running_mean if self.track_running_stats else None
        return {
            "num_features": self.num_features,
            "eps": self.eps,
            "momentum": self.momentum,
            "affine": self.affine,
            "track_running_stats": self.track_running_stats,
            **({"dtype": dtype.dtype.name} if dtype is not None else {}),
        }

    def forward(self, x: TensorLike) -> Tensor:
        x = ag.as_tensor(x)
        name = type(self).__name__
        if x.ndim not in self._shapes or x.shape[1] != self.num_features:
            shapes = " or ".join(shape.replace("C", str(self.num_features)) for shape in self._shapes.values())
            raise ValueError(
                f"{name}({self.num_features}): expected an input of shape {shapes}, got {x.shape}{self._hint}"
            )
        if self.training and x.size < 2 * self.num_features:
            raise ValueError(
                f"{name}: training needs more than 1 value per channel (input shape "
                f"{x.shape}); use a batch of >= 2 rows, or call model.eval() first"
            )
        tracked, momentum = self.track_running_stats, self.momentum
        if self.training and tracked:
            self.num_batches_tracked[...] += 1
            if momentum is None:  # the cumulative average: batch n weighs 1/n
                momentum = 1.0 / float(self.num_batches_tracked)
        return batch_norm(
            x,
            self.running_mean if tracked else None,
            self.running_var if tracked else None,
            self.weight if self.affine else None,
            self.bias if self.affine else None,
            training=self.training or not tracked,  # without running statistics, the batch's in eval too
            momentum=1.0 if momentum is None else momentum,  # (None: nothing is updated here)
            eps=self.eps,
        )

    def extra_repr(self) -> str:
        momentum = "None" if self.momentum is None else f"{self.momentum:g}"
        return (
            f"{self.num_features}, eps={self.eps:g}, momentum={momentum}, affine={self.affine}, "
            f"track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalisation (Ioffe & Szegedy) of inputs (N, C) or (N, C, L), per channel C.

    Training: normalise with the batch's mean and biased variance, and update the running
    statistics ``running = (1 - momentum) * running + momentum * batch`` (the running
    variance takes the unbiased batch variance, n/(n-1), as PyTorch; ``momentum=None``: the mean
    over every batch so far, counted in ``num_batches_tracked``). Evaluation (``eval()``):
    normalise with the running statistics (with ``track_running_stats=False`` there are none:
    always the batch's).
    ``affine`` adds the learnable scale ``weight`` (gamma, ones) and shift ``bias`` (beta, zeros).
    The running statistics are updated in Python, beside the graph, so ``ag.compile``'s replays
    skip them: train a BatchNorm model define-by-run.

    >>> bn = BatchNorm1d(3)
    >>> out = bn(np.random.default_rng(0).normal(5, 2, size=(64, 3)))   # columns: mean 0, std 1
    >>> bn.running_mean                                                 # moved 10% towards 5
    array([0.46435326, 0.50785912, 0.53532148])
    """

    _shapes: ClassVar[dict[int, str]] = {2: "(N, C)", 3: "(N, C, L)"}


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of images (N, C, H, W), per channel C: BatchNorm1d's rules (batch statistics
    and running averages in training, the running ones in ``eval()``), the statistics taken over N, H
    and W, as PyTorch's ``nn.BatchNorm2d`` (the usual layer after a ``Conv2d``).

    >>> bn = BatchNorm2d(2)
    >>> out = bn(np.random.default_rng(0).normal(5, 2, size=(8, 2, 4, 4)))   # each channel: mean 0, std 1
    >>> out.data.mean(axis=(0, 2, 3)).round(12) + 0.0, out.data.std(axis=(0, 2, 3)).round(4)
    (array([0., 0.]), array([1., 1.]))
    """

    _shapes: ClassVar[dict[int, str]] = {4: "(N, C, H, W)"}
    _hint = "; give one (C, H, W) image its batch axis (x[None]); for (N, C) or (N, C, L) use BatchNorm1d"


class BatchNorm3d(_BatchNorm):
    """Batch normalisation of volumes (N, C, D, H, W), per channel C: BatchNorm1d's rules, the statistics taken
    over N, D, H and W, as PyTorch's ``nn.BatchNorm3d`` (after a 3-d convolution).

    >>> bn = BatchNorm3d(2, momentum=None)      # the running statistics: the mean over every batch
    >>> for batch in (np.zeros((2, 2, 1, 2, 2)), np.ones((2, 2, 1, 2, 2))):
    ...     _ = bn(batch)
    >>> bn.running_mean, int(bn.num_batches_tracked)
    (array([0.5, 0.5]), 2)
    """

    _shapes: ClassVar[dict[int, str]] = {5: "(N, C, D, H, W)"}
    _hint = "; give one (C, D, H, W) volume its batch axis (x[None])"


class LayerNorm(Module):
    """Normalise each example over its last axes ``normalized_shape`` (an int or a tuple), then
    scale and shift elementwise (``weight`` ones, ``bias`` zeros): the same in training and eval.

    >>> LayerNorm(4)(np.arange(8.0).reshape(2, 4))      # each row: mean 0, std 1
    Tensor([[-1.3416, -0.4472,  0.4472,  1.3416],
            [-1.3416, -0.4472,  0.4472,  1.3416]], op=add)
    """

    def __init__(
        self,
        normalized_shape: int | tuple[int, ...],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__()
        owner = "LayerNorm"
        shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
        if not shape or any(isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1 for n in shape):
            raise ValueError(
                f"{owner}: normalized_shape must be a positive int or a tuple of them, got {normalized_shape!r}"
            )
        self.normalized_shape = tuple(int(n) for n in shape)
        self.eps = _positive_number(owner, "eps", eps)
        self.elementwise_affine = bool(elementwise_affine)
        dtype = _float_dtype(owner, dtype)
        if self.elementwise_affine:
            self.weight = Tensor(np.ones(self.normalized_shape, dtype), requires_grad=True)
            self.bias = Tensor(np.zeros(self.normalized_shape, dtype), requires_grad=True)

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
        if x.shape[x.ndim - k :] != self.normalized_shape or x.ndim < k:
            raise ValueError(
                f"LayerNorm{self.normalized_shape}: the input's last axes must be "
                f"{self.normalized_shape}, got an input of shape {x.shape}"
            )
        affine = self.elementwise_affine
        return layer_norm(
            x, self.normalized_shape, self.weight if affine else None, self.bias if affine else None, self.eps
        )

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps:g}, elementwise_affine={self.elementwise_affine}"


class GroupNorm(Module):
    """Group normalisation (Wu & He), as PyTorch's ``nn.GroupNorm``: the C channels of an (N, C, *) input
    split into ``num_groups`` groups of C / num_groups channels, each example's group standardised over its
    channels and positions (biased variance), then scaled and shifted per channel (``weight`` ones,
    ``bias`` zeros); the same in training and eval, and independent of the batch size. One group is
    LayerNorm over (C, H, W) with a per-channel scale; C groups is instance normalisation.

    >>> gn = GroupNorm(2, 4)
    >>> groups = gn(np.random.default_rng(0).normal(5, 2, size=(3, 4, 2, 2))).data.reshape(3, 2, 8)
    >>> groups.mean(axis=2).round(12) + 0.0, groups.std(axis=2).round(4)    # each group: mean 0, std 1
    (array([[0., 0.],
           [0., 0.],
           [0., 0.]]), array([[1., 1.],
           [1., 1.],
           [1., 1.]]))
    """

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__()
        owner = "GroupNorm"
        self.num_groups = positive_int(owner, "num_groups", num_groups)
        self.num_channels = positive_int(owner, "num_channels", num_channels)
        if self.num_channels % self.num_groups:
            raise ValueError(
                f"GroupNorm: num_channels ({self.num_channels}) must be divisible by num_groups "
                f"({self.num_groups}); choose a num_groups that divides it"
            )
        self.eps = _positive_number(owner, "eps", eps)
        self.affine = bool(affine)
        dtype = _float_dtype(owner, dtype)
        if self.affine:
            self.weight = Tensor(np.ones(self.num_channels, dtype), requires_grad=True)
            self.bias = Tensor(np.zeros(self.num_channels, dtype), requires_grad=True)

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        config = {"num_groups": self.num_groups, "num_channels": self.num_channels, "eps": self.eps}
        return dict(config, affine=True, dtype=self.weight.dtype.name) if self.affine else dict(config, affine=False)

    def forward(self, x: TensorLike) -> Tensor:
        x = ag.as_tensor(x)
        channels = self.num_channels
        if x.ndim < 2 or x.shape[1] != channels:
            raise ValueError(
                f"GroupNorm({self.num_groups}, {channels}): expected an input of shape (N, {channels}, ...), "
                f"got {x.shape}; give one (C, H, W) image its batch axis (x[None])"
            )
        affine = self.affine
        return group_norm(x, self.num_groups, self.weight if affine else None, self.bias if affine else None, self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps:g}, affine={self.affine}"
