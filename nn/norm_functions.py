"""``F.batch_norm``, ``F.layer_norm``, ``F.group_norm``, ``F.instance_norm``, ``F.rms_norm`` and
``F.local_response_norm``, PyTorch's functional forms of the normalisation layers, composed from Tensor ops (the
engine derives their backward). The layers of normalization.py and normalization_more.py call them: the formula
lives here once. Most standardise x to (x - mean) / sqrt(var + eps), the variance biased (divide by n), over their
own axes, then scale and shift it (``weight``, ``bias``) per channel or element; rms_norm divides by the root mean
square alone, local_response_norm by a power of the neighbouring channels' energy.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.types import TensorLike


def standardize(x: Tensor, axes: tuple[int, ...], eps: float) -> tuple[Tensor, Tensor, Tensor]:
    """(x - mean) / sqrt(var + eps) over ``axes``, with the biased variance (divide by n);
    returns (x_hat, mean, var), the statistics keeping their axes: ``standardize(x, (0,), 1e-5)``."""
    mean = x.mean(axis=axes, keepdims=True)
    centered = x - mean
    var = (centered * centered).mean(axis=axes, keepdims=True)
    return centered / (var + eps).sqrt(), mean, var


def _affine(x_hat: Tensor, weight: TensorLike | None, bias: TensorLike | None, shape: tuple[int, ...]) -> Tensor:
    """x_hat * weight + bias, each reshaped to ``shape`` (None: left out)."""
    for k, value in enumerate((weight, bias)):
        if value is not None:
            value = ag.as_tensor(value)
            value = value if value.shape == shape else value.reshape(shape)  # (no reshape node for LayerNorm's)
            x_hat = x_hat * value if k == 0 else x_hat + value
    return x_hat


def _checked_shapes(name: str, shape: tuple[int, ...], **given: Any) -> None:
    """Refuse a weight, bias or running statistic (None: none given) whose shape is not ``shape``."""
    for what, value in given.items():
        if value is not None and np.shape(value.data if isinstance(value, Tensor) else value) != shape:
            raise ValueError(f"{name}: {what} must have shape {shape}, got {np.shape(value)}")


def batch_norm(
    input: TensorLike,
    running_mean: np.ndarray | None,
    running_var: np.ndarray | None,
    weight: TensorLike | None = None,
    bias: TensorLike | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """PyTorch's ``F.batch_norm``: (N, C, ...) normalised per channel C, over every other axis. In training, with
    the batch's statistics, and ``running_mean`` / ``running_var`` (numpy arrays, or None) updated in place by
    ``momentum`` (the variance unbiased, as PyTorch's); else with those running statistics.

    >>> mean, var = np.zeros(2), np.ones(2)
    >>> F.batch_norm(np.array([[1.0, 10.0], [3.0, 30.0]]), mean, var, training=True)
    Tensor([[-1., -1.],
            [ 1.,  1.]])
    >>> mean, var                                       # 0.9 * old + 0.1 * the batch's (var unbiased)
    (array([0.2, 2. ]), array([ 1.1, 20.9]))
    """
    x = ag.as_tensor(input)
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected an input of shape (N, C, ...), got {x.shape}")
    channels = x.shape[1]
    stats = {"running_mean": running_mean, "running_var": running_var}
    _checked_shapes("batch_norm", (channels,), **stats, weight=weight, bias=bias)
    for what, value in stats.items():
        if value is not None and not (isinstance(value, np.ndarray) and value.dtype.kind == "f"):
            raise TypeError(f"batch_norm: {what} must be a float numpy array (updated in place) or None")
    # plain views of a module's buffers (nn/buffers.py's BufferArray): the same memory, numpy's speed
    running_mean, running_var = (None if a is None else np.asarray(a) for a in (running_mean, running_var))
    if not isinstance(momentum, numbers.Real) or isinstance(momentum, bool) or not 0 < momentum <= 1:
        raise ValueError(
            f"batch_norm: momentum must be a number in (0, 1], got {momentum!r} (None, PyTorch's cumulative average, "
            "is not kept here)"
        )
    if not training and (running_mean is None or running_var is None):
        raise ValueError(
            "batch_norm: with training=False it normalises with running_mean and running_var; give both, or "
            "training=True to use the batch's statistics"
        )
    axes = (0,) + tuple(range(2, x.ndim))  # every axis but the channels'
    shape = (1, channels) + (1,) * (x.ndim - 2)  # broadcasts per channel
    if training:
        count = x.size // max(channels, 1)
        if count < 2:
            raise ValueError(
                f"batch_norm: training needs more than 1 value per channel (input shape {x.shape}); use a batch of "
                ">= 2 rows, or the running statistics (training=False)"
            )
        x_hat, mean, var = standardize(x, axes, eps)
        if running_mean is not None and running_var is not None:
            running_mean *= 1 - momentum
            running_mean += momentum * np.asarray(mean.data).reshape(-1)
            running_var *= 1 - momentum
            running_var += momentum * np.asarray(var.data).reshape(-1) * (count / (count - 1))
    else:
        mean = running_mean.reshape(shape).astype(x.dtype, copy=False)
        std = np.sqrt(running_var.reshape(shape) + eps).astype(x.dtype, copy=False)
        x_hat = (x - mean) / std
    return _affine(x_hat, weight, bias, shape)


def layer_norm(
    input: TensorLike,
    normalized_shape: int | tuple[int, ...] | list[int],
    weight: TensorLike | None = None,
    bias: TensorLike | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """PyTorch's ``F.layer_norm``: each example normalised over its last axes ``normalized_shape``, then
    ``weight`` and ``bias`` (of that shape) elementwise.

    >>> F.layer_norm(np.array([[1.0, 3.0], [10.0, 30.0]]), (2,))
    Tensor([[-1.,  1.],
            [-1.,  1.]])
    """
    x = ag.as_tensor(input)
    shape = (int(normalized_shape),) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
    k = len(shape)
    if not k or x.ndim < k or x.shape[x.ndim - k :] != shape:
        raise ValueError(
            f"layer_norm: the input's last axes must be normalized_shape {shape}, got an input of shape {x.shape}"
        )
    _checked_shapes("layer_norm", shape, weight=weight, bias=bias)
    x_hat, _, _ = standardize(x, tuple(range(x.ndim - k, x.ndim)), eps)
    return _affine(x_hat, weight, bias, shape)


def group_norm(
    input: TensorLike,
    num_groups: int,
    weight: TensorLike | None = None,
    bias: TensorLike | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """PyTorch's ``F.group_norm``: the C channels of (N, C, ...) split into ``num_groups`` groups, each example's
    group normalised over its channels and positions, then ``weight`` and ``bias`` per channel.

    >>> F.group_norm(np.array([[1.0, 3.0, 10.0, 30.0]]), 2)
    Tensor([[-1.,  1., -1.,  1.]])
    """
    x = ag.as_tensor(input)
    if x.ndim < 2:
        raise ValueError(f"group_norm: expected an input of shape (N, C, ...), got {x.shape}")
    channels = x.shape[1]
    if isinstance(num_groups, bool) or not isinstance(num_groups, numbers.Integral) or num_groups < 1:
        raise ValueError(f"group_norm: num_groups must be a positive int, got {num_groups!r}")
    if channels % num_groups:
        raise ValueError(
            f"group_norm: the input's {channels} channels must split into num_groups ({num_groups}) equal groups"
        )
    _checked_shapes("group_norm", (channels,), weight=weight, bias=bias)
    per_group = channels // int(num_groups) * math.prod(x.shape[2:])  # sizes spelled out: N may be 0
    grouped = x.reshape(x.shape[0], int(num_groups), per_group)
    x_hat = standardize(grouped, (2,), eps)[0].reshape(x.shape)
    return _affine(x_hat, weight, bias, (1, channels) + (1,) * (x.ndim - 2))


def _spatial_size(name: str, x: Tensor) -> int:
    """The number of positions each (n, c) instance has (every axis after the channels'); refuses fewer than 2."""
    positions = math.prod(x.shape[2:])
    if positions < 2:
        raise ValueError(
            f"{name}: expected more than 1 spatial element per channel to take an instance's statistics, got an input "
            f"of shape {x.shape}; give (N, C, L) or (N, C, H, W) with L, H * W > 1 (a (C, L) input needs its batch "
            "axis: x[None]), or use the running statistics (use_input_stats=False)"
        )
    return positions


def instance_norm(
    input: TensorLike,
    running_mean: np.ndarray | None = None,
    running_var: np.ndarray | None = None,
    weight: TensorLike | None = None,
    bias: TensorLike | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """PyTorch's ``F.instance_norm``: each example's channel of (N, C, ...) normalised over its own positions (the
    style-transfer normalisation), then ``weight`` and ``bias`` per channel. ``use_input_stats`` (the default):
    with those statistics, and ``running_mean`` / ``running_var`` (numpy arrays, or None) moved by ``momentum``
    towards their mean over the batch (the variance unbiased, as torch's); else with the running statistics.

    >>> F.instance_norm(np.array([[[1.0, 3.0], [10.0, 30.0]]]))
    Tensor([[[-1.,  1.],
             [-1.,  1.]]])
    """
    x = ag.as_tensor(input)
    if x.ndim < 2:
        raise ValueError(f"instance_norm: expected an input of shape (N, C, ...), got {x.shape}")
    channels = x.shape[1]
    stats = {"running_mean": running_mean, "running_var": running_var}
    _checked_shapes("instance_norm", (channels,), **stats, weight=weight, bias=bias)
    for what, value in stats.items():
        if value is not None and not (isinstance(value, np.ndarray) and value.dtype.kind == "f"):
            raise TypeError(f"instance_norm: {what} must be a float numpy array (updated in place) or None")
    running_mean, running_var = (None if a is None else np.asarray(a) for a in (running_mean, running_var))
    if isinstance(momentum, bool) or not isinstance(momentum, numbers.Real) or not 0 <= momentum <= 1:
        raise ValueError(f"instance_norm: momentum must be a number in [0, 1], got {momentum!r}")
    shape = (1, channels) + (1,) * (x.ndim - 2)
    if use_input_stats:
        positions = _spatial_size("instance_norm", x)
        x_hat, mean, var = standardize(x, tuple(range(2, x.ndim)), eps)
        if running_mean is not None:  # torch's: the batch's mean of each instance's statistics
            running_mean *= 1 - momentum
            running_mean += momentum * np.asarray(mean.data).reshape(x.shape[0], channels).mean(axis=0)
        if running_var is not None:
            unbiased = np.asarray(var.data).reshape(x.shape[0], channels).mean(axis=0) * positions / (positions - 1)
            running_var *= 1 - momentum
            running_var += momentum * unbiased
    else:
        if running_mean is None or running_var is None:
            raise ValueError(
                "instance_norm: with use_input_stats=False it normalises with running_mean and running_var; give "
                "both, or use_input_stats=True to use each instance's statistics"
            )
        mean = running_mean.reshape(shape).astype(x.dtype, copy=False)
        x_hat = (x - mean) / np.sqrt(running_var.reshape(shape) + eps).astype(x.dtype, copy=False)
    return _affine(x_hat, weight, bias, shape)


def _normalized_shape(name: str, x: Tensor, normalized_shape: int | tuple[int, ...] | list[int]) -> tuple[int, ...]:
    shape = (int(normalized_shape),) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
    k = len(shape)
    if not k or x.ndim < k or x.shape[x.ndim - k :] != shape:
        raise ValueError(
            f"{name}: the input's last axes must be normalized_shape {shape}, got an input of shape {x.shape}; "
            f"give normalized_shape=x.shape[-k:] for the k last axes"
        )
    return shape


def rms_norm(
    input: TensorLike,
    normalized_shape: int | tuple[int, ...] | list[int],
    weight: TensorLike | None = None,
    eps: float | None = None,
) -> Tensor:
    """PyTorch's ``F.rms_norm`` (Zhang & Sennrich): x / sqrt(mean(x**2) + eps) over the last axes
    ``normalized_shape``, times ``weight`` (of that shape) elementwise: LayerNorm without the centring (LLaMA's
    normalisation). ``eps`` None: the machine epsilon of x's dtype, as torch's.

    >>> F.rms_norm(np.array([[3.0, -3.0], [1.0, 7.0]]), (2,), eps=0.0)
    Tensor([[ 1. , -1. ],
            [ 0.2,  1.4]])
    """
    x = ag.as_tensor(input)
    x = x if x.dtype.kind == "f" else x.astype(np.float64)
    shape = _normalized_shape("rms_norm", x, normalized_shape)
    _checked_shapes("rms_norm", shape, weight=weight)
    if eps is None:
        eps = float(np.finfo(x.dtype).eps)
    elif isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not eps >= 0:
        raise ValueError(f"rms_norm: eps must be a number >= 0 (or None: the dtype's machine epsilon), got {eps!r}")
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    x_hat = x / ((x * x).mean(axis=axes, keepdims=True) + eps).sqrt()
    return _affine(x_hat, weight, None, shape)


def local_response_norm(
    input: TensorLike, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0
) -> Tensor:
    """PyTorch's ``F.local_response_norm`` (AlexNet's LRN): each channel c of (N, C, ...) divided by
    (k + alpha / size * sum of x**2 over the ``size`` channels c - size//2 .. c + (size-1)//2) ** beta, the
    channels beyond the edges counting as zeros.

    >>> F.local_response_norm(np.array([[[3.0], [4.0]]]), 2, alpha=2.0, beta=1.0, k=0.0)   # [3 / 9, 4 / 25]
    Tensor([[[0.3333],
             [0.16  ]]])
    """
    x = ag.as_tensor(input)
    if x.ndim < 3:
        raise ValueError(
            f"local_response_norm: expected an input of 3 or more axes (N, C, ...), got shape {x.shape}; give a "
            "(N, C) input a length axis (x[..., None])"
        )
    if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
        raise ValueError(f"local_response_norm: size must be a positive int (channels in a window), got {size!r}")
    for name, value in (("alpha", alpha), ("beta", beta), ("k", k)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
            raise ValueError(f"local_response_norm: {name} must be a finite number, got {value!r}")
    if x.size == 0:
        return x
    channels, size = x.shape[1], int(size)
    squares = x * x
    before, after = [list(x.shape), list(x.shape)]
    before[1], after[1] = size // 2, (size - 1) // 2
    padded = ag.cat([Tensor(np.zeros(before, x.dtype)), squares, Tensor(np.zeros(after, x.dtype))], 1)
    window = padded[:, :channels]
    for offset in range(1, size):  # the window's sum, one shifted slice at a time
        window = window + padded[:, offset : offset + channels]
    return x / (window * (alpha / size) + k) ** beta
