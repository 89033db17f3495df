"""Fractional max pooling (Graham 2014), as torch's ``F.fractional_max_pool2d/3d`` and ``nn.FractionalMaxPool2d/3d``:
the max over windows of ``kernel_size`` whose starts step by a non-integer ratio (input - kernel)/(output - 1),
rounded at a random offset per (sample, channel), so the output can be any size, not the input's over an integer.

The windows are torch's exactly: along an axis with a random u in [0, 1), window i < out - 1 starts at
int((i + u) alpha) - int(u alpha) with alpha = (in - kernel)/(out - 1), and the last starts at in - kernel.
``_random_samples`` (N, C, axes) gives the u's, as torch's argument does (a 2-d pool reads u[..., 0] for the width
and u[..., 1] for the height, a 3-d one u[..., 0], [1], [2] for depth, height, width, as torch's kernels); None draws
them from nn.init's generator (``ag.manual_seed`` governs it). The max is the engine's: gathered windows, then
``max``, so the gradient needs no code here (tied maxima share it, this engine's rule; torch gives it to the first).
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.types import TensorLike

from . import init as nn_init
from .module import Module

_SAMPLE_AXIS = {2: (1, 0), 3: (0, 1, 2)}  # spatial axis -> which random sample torch's kernel reads for it
_AXES = {2: "(H, W)", 3: "(D, H, W)"}


def _sizes(op: str, name: str, value: Any, nd: int, kind: type = int) -> tuple[Any, ...]:
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * nd
    if len(values) != nd or not all(isinstance(v, kind) and not isinstance(v, bool) for v in values):
        raise ValueError(f"{op}: {name} must be one {kind.__name__} or {nd} of them {_AXES[nd]}, got {value!r}")
    return values


def fractional_windows(sample: np.ndarray, size: int, out: int, kernel: int) -> np.ndarray:
    """The window starts along one axis for each random ``sample`` (any shape): shape sample.shape + (out,),
    computed in the sample's dtype as torch's kernel does (in the input's dtype).

    >>> fractional_windows(np.array(0.5), 10, 4, 2)   # alpha = 8/3: starts 0, 3, 5 and the last, 10 - 2
    array([0, 3, 5, 8])
    """
    starts = np.empty(sample.shape + (out,), np.int64)
    if out > 1:
        alpha = sample.dtype.type(size - kernel) / sample.dtype.type(out - 1)
        steps = np.arange(out - 1, dtype=sample.dtype)
        offset = np.asarray(sample * alpha).astype(np.int64)[..., None]
        starts[..., :-1] = ((steps + sample[..., None]) * alpha).astype(np.int64) - offset
    starts[..., -1] = size - kernel
    return starts


def fractional_max_pool(
    op: str,
    nd: int,
    input: TensorLike,
    kernel_size: Any,
    output_size: Any = None,
    output_ratio: Any = None,
    return_indices: bool = False,
    _random_samples: Any = None,
) -> Any:
    """The fractional max pool over the last ``nd`` axes of (N, C, *spatial) or (C, *spatial): see the module's note."""
    x = input if isinstance(input, Tensor) else ag.as_tensor(input)
    if x.ndim not in (nd + 1, nd + 2) or x.dtype.kind != "f":
        raise ValueError(
            f"{op}: expected a floating-point input (N, C, {_AXES[nd][1:-1]}) or (C, {_AXES[nd][1:-1]}), got shape "
            f"{x.shape} and dtype {x.dtype}"
        )
    batched = x.ndim == nd + 2
    x = x if batched else x.reshape(1, *x.shape)
    batch, channels, spatial = x.shape[0], x.shape[1], x.shape[2:]
    kernel = _sizes(op, "kernel_size", kernel_size, nd)
    if (output_size is None) == (output_ratio is None):
        raise ValueError(
            f"{op}: give either output_size or output_ratio (exactly one), got {output_size=}, {output_ratio=}"
        )
    if output_size is not None:
        out = _sizes(op, "output_size", output_size, nd)
    else:
        ratios = _sizes(op, "output_ratio", output_ratio, nd, numbers.Real)
        out = tuple(int(size * ratio) for size, ratio in zip(spatial, ratios))
    for axis, (size, k, o) in enumerate(zip(spatial, kernel, out)):
        if k < 1 or o < 1 or o + k - 1 > size:
            raise ValueError(
                f"{op}: kernel {k} and output {o} along spatial axis {axis} do not fit an input of {size}: need "
                f"kernel >= 1, output >= 1 and output + kernel - 1 <= {size}; input shape {tuple(x.shape)}"
            )
    if _random_samples is None:
        samples = nn_init.as_generator(None).random((batch, channels, nd)).astype(x.dtype)
    else:
        samples = np.asarray(_random_samples.data if isinstance(_random_samples, Tensor) else _random_samples)
        if samples.shape != (batch, channels, nd) or not ((samples >= 0) & (samples < 1)).all():
            raise ValueError(
                f"{op}: _random_samples must be numbers in [0, 1) of shape (N, C, {nd}) = {(batch, channels, nd)}, "
                f"got shape {samples.shape}"
            )
        samples = samples.astype(x.dtype)
    # flat positions (in the spatial block) of every window's cells: (N, C, *out, *kernel) summed over the axes
    strides = [math.prod(spatial[axis + 1 :]) for axis in range(nd)]
    flat = np.zeros((batch, channels) + out + kernel, np.int64)
    for axis in range(nd):
        starts = fractional_windows(samples[..., _SAMPLE_AXIS[nd][axis]], spatial[axis], out[axis], kernel[axis])
        cells = starts[..., None] + np.arange(kernel[axis])  # (N, C, out_a, k_a)
        shape = [batch, channels] + [1] * (2 * nd)
        shape[2 + axis], shape[2 + nd + axis] = out[axis], kernel[axis]
        flat += (cells * strides[axis]).reshape(shape)
    flat = flat.reshape(batch, channels, -1)  # type: ignore[assignment]  # (its shape changes: numpy's stubs)
    rows, columns = np.arange(batch)[:, None, None], np.arange(channels)[None, :, None]
    windows = x.reshape(batch, channels, -1)[rows, columns, flat].reshape(batch, channels, *out, math.prod(kernel))
    pooled = windows.max(axis=-1)
    if not batched:
        pooled = pooled.reshape(*pooled.shape[1:])
    if not return_indices:
        return pooled
    first = np.argmax(windows.data, axis=-1)[..., None]  # torch's: the first maximum in the window's order
    indices = np.take_along_axis(flat.reshape(batch, channels, *out, -1), first, axis=-1)[..., 0]
    return pooled, Tensor(indices if batched else indices[0])


def fractional_max_pool2d(
    input: TensorLike,
    kernel_size: Any,
    output_size: Any = None,
    output_ratio: Any = None,
    return_indices: bool = False,
    _random_samples: Any = None,
) -> Any:
    """torch's ``F.fractional_max_pool2d``: the max over (kh, kw) windows placed at fractional strides so the output
    is ``output_size`` (or input * ``output_ratio``); ``return_indices`` also gives each max's h * W + w.

    >>> x = ag.arange(16.0).reshape(1, 1, 4, 4)
    >>> fractional_max_pool2d(x, 2, output_size=3, _random_samples=np.full((1, 1, 2), 0.5))
    Tensor([[[[ 5.,  6.,  7.],
              [ 9., 10., 11.],
              [13., 14., 15.]]]])
    """
    return fractional_max_pool(
        "fractional_max_pool2d", 2, input, kernel_size, output_size, output_ratio, return_indices, _random_samples
    )


def fractional_max_pool3d(
    input: TensorLike,
    kernel_size: Any,
    output_size: Any = None,
    output_ratio: Any = None,
    return_indices: bool = False,
    _random_samples: Any = None,
) -> Any:
    """torch's ``F.fractional_max_pool3d``: as ``fractional_max_pool2d`` over (D, H, W); indices d * H * W + h * W + w.

    >>> x = ag.arange(8.0).reshape(1, 1, 2, 2, 2)
    >>> fractional_max_pool3d(x, 1, output_size=1, return_indices=True, _random_samples=np.zeros((1, 1, 3)))
    (Tensor([[[[[7.]]]]]), Tensor([[[[[7]]]]], dtype=int64))
    """
    return fractional_max_pool(
        "fractional_max_pool3d", 3, input, kernel_size, output_size, output_ratio, return_indices, _random_samples
    )


def fractional_max_pool2d_with_indices(
    input: TensorLike, kernel_size: Any, output_size: Any = None, output_ratio: Any = None,
    return_indices: bool = True, _random_samples: Any = None,
) -> Any:  # fmt: skip
    """``fractional_max_pool2d(..., return_indices=True)``, torch's spelling.

    >>> fractional_max_pool2d_with_indices(ag.arange(4.0).reshape(1, 1, 2, 2), 2, 1, _random_samples=[[[0, 0]]])[1]
    Tensor([[[[3]]]], dtype=int64)
    """
    return fractional_max_pool2d(input, kernel_size, output_size, output_ratio, return_indices, _random_samples)


def fractional_max_pool3d_with_indices(
    input: TensorLike, kernel_size: Any, output_size: Any = None, output_ratio: Any = None,
    return_indices: bool = True, _random_samples: Any = None,
) -> Any:  # fmt: skip
    """``fractional_max_pool3d(..., return_indices=True)``, torch's spelling.

    >>> x = ag.arange(8.0).reshape(1, 1, 2, 2, 2)
    >>> fractional_max_pool3d_with_indices(x, 2, 1, _random_samples=[[[0.5, 0.5, 0.5]]])[1]
    Tensor([[[[[7]]]]], dtype=int64)
    """
    return fractional_max_pool3d(input, kernel_size, output_size, output_ratio, return_indices, _random_samples)


class _FractionalMaxPoolNd(Module):
    nd = 2

    def __init__(
        self,
        kernel_size: Any,
        output_size: Any = None,
        output_ratio: Any = None,
        return_indices: bool = False,
        _random_samples: Any = None,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        if output_size is None and output_ratio is None:
            raise ValueError(f"{name} requires specifying either an output size, or a pooling ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError(f"{name}: only one of output_size and output_ratio may be specified")
        self.kernel_size = _sizes(name, "kernel_size", kernel_size, self.nd)
        self.output_size = None if output_size is None else _sizes(name, "output_size", output_size, self.nd)
        self.output_ratio = None
        if output_ratio is not None:
            self.output_ratio = tuple(map(float, _sizes(name, "output_ratio", output_ratio, self.nd, numbers.Real)))
            if not all(0 < ratio < 1 for ratio in self.output_ratio):
                raise ValueError(f"{name}: output_ratio must be between 0 and 1 (got {output_ratio})")
        self.return_indices = bool(return_indices)
        self._random_samples = _random_samples

    def config(self) -> dict[str, Any]:
        """The constructor's arguments but ``_random_samples`` (nn.architecture rebuilds the layer from them)."""
        return {
            "kernel_size": list(self.kernel_size),
            "output_size": None if self.output_size is None else list(self.output_size),
            "output_ratio": None if self.output_ratio is None else list(self.output_ratio),
            "return_indices": self.return_indices,
        }

    def forward(self, x: TensorLike) -> Any:
        return fractional_max_pool(
            type(self).__name__, self.nd, x, self.kernel_size, self.output_size, self.output_ratio,
            self.return_indices, self._random_samples,
        )  # fmt: skip

    def extra_repr(self) -> str:
        size = f"output_size={self.output_size}" if self.output_size else f"output_ratio={self.output_ratio}"
        return f"kernel_size={self.kernel_size}, {size}" + (", return_indices=True" if self.return_indices else "")


class FractionalMaxPool2d(_FractionalMaxPoolNd):
    """torch's ``nn.FractionalMaxPool2d(kernel_size, output_size=None, output_ratio=None, return_indices=False,
    _random_samples=None)`` over (N, C, H, W) or (C, H, W): ``F.fractional_max_pool2d`` with these settings
    (fresh random offsets each call unless ``_random_samples`` fixes them).

    >>> FractionalMaxPool2d(3, output_ratio=0.5)(np.ones((2, 4, 10, 12))).shape
    (2, 4, 5, 6)
    """

    nd = 2


class FractionalMaxPool3d(_FractionalMaxPoolNd):
    """torch's ``nn.FractionalMaxPool3d`` over (N, C, D, H, W) or (C, D, H, W): ``F.fractional_max_pool3d``.

    >>> FractionalMaxPool3d(2, output_size=(2, 3, 3))(np.ones((1, 2, 4, 5, 5))).shape
    (1, 2, 2, 3, 3)
    """

    nd = 3
