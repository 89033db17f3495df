"""Resampling as functions, as ``torch.nn.functional`` spells them: ``interpolate`` (nearest, nearest-exact,
linear, bilinear, bicubic, area; and its deprecated names ``upsample``, ``upsample_nearest``,
``upsample_bilinear``), ``pixel_shuffle`` / ``pixel_unshuffle``, ``channel_shuffle``, ``max_unpool2d``
(the 1-d pools are in pool1d.py). Their layers are in resample_layers.py.

All are indexing, reshapes and weighted sums of Tensors: an upsampled pixel is a gather of its source pixels
(nearest) or a blend of its two neighbours per axis, weights (1 - λ, λ) (linear), so the gradient scatters back
to the sources by indexing's vjp; bicubic blends four neighbours per axis with Keys' cubic-convolution weights
(a = -0.75, torch's), the taps past an edge reading the edge pixel; area is adaptive average pooling. Source
positions follow torch's formulas (``area_pixel_compute_scale`` and ``nearest_idx``, the latter in float32 as
torch's), so outputs equal torch's.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.types import TensorLike
from autograd_core.windows import IntPair

from .conv_more import _single, adaptive_avg_pool2d
from .pool_nd import max_unpool

_MODES = {"nearest": (3, 4), "nearest-exact": (3, 4), "linear": (3,), "bilinear": (4,), "bicubic": (4,), "area": (3, 4)}
_CUBIC_A = -0.75  # torch's (and OpenCV's) cubic-convolution parameter; Keys' paper has -0.5


def _per_axis(op: str, name: str, value: object, axes: int) -> tuple[float, ...]:
    values: tuple[object, ...] = tuple(value) if isinstance(value, (tuple, list)) else (value,) * axes
    numbers_given = [float(v) for v in values if isinstance(v, numbers.Real) and not isinstance(v, bool)]
    if len(values) != axes or len(numbers_given) != axes:
        raise ValueError(f"{op}: {name} must be a number or {axes} of them (one per spatial axis), got {value!r}")
    if not all(math.isfinite(v) and v > 0 for v in numbers_given):
        raise ValueError(f"{op}: {name} must be positive, got {value!r}")
    return tuple(numbers_given)


def _sources_nearest(size_in: int, size_out: int, scale: float | None, exact: bool) -> np.ndarray:
    """torch's nearest_idx: floor(dst * s) (``exact``: floor((dst + 0.5) * s)), s in float32 as torch's."""
    s = np.float32(1.0 / scale) if scale else np.float32(size_in) / np.float32(size_out)
    dst = np.arange(size_out, dtype=np.float32) + (np.float32(0.5) if exact else np.float32(0))
    return np.minimum(np.floor(dst * s).astype(np.int64), size_in - 1)


def _source_positions(size_in: int, size_out: int, scale: float | None, align_corners: bool) -> np.ndarray:
    """torch's area_pixel_compute_source_index before its clamp: where each output pixel reads the input."""
    dst = np.arange(size_out, dtype=np.float64)
    if align_corners:
        return dst * ((size_in - 1) / (size_out - 1) if size_out > 1 else 0.0)
    s = 1.0 / scale if scale else size_in / size_out
    return s * (dst + 0.5) - 0.5


def _sources_linear(size_in: int, size_out: int, scale: float | None, align_corners: bool):
    """torch's area_pixel_compute_source_index: the left neighbour, the right one, and the right one's weight."""
    src = np.maximum(_source_positions(size_in, size_out, scale, align_corners), 0.0)
    left = src.astype(np.int64)  # src >= 0: truncation is floor
    right = np.minimum(left + 1, size_in - 1)
    return left, right, src - left


def _sources_cubic(size_in: int, size_out: int, scale: float | None, align_corners: bool):
    """torch's upsample_bicubic2d taps: the four neighbours floor(src) - 1 .. floor(src) + 2 of each source
    position (not clamped, as torch's cubic), clamped into the input, with their cubic-convolution weights."""
    src = _source_positions(size_in, size_out, scale, align_corners)
    base = np.floor(src)
    t, a = src - base, _CUBIC_A

    def near(d: np.ndarray) -> np.ndarray:  # the kernel at a distance |d| <= 1
        return ((a + 2) * d - (a + 3)) * d * d + 1

    def far(d: np.ndarray) -> np.ndarray:  # the kernel at 1 < |d| < 2
        return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a

    weights = (far(t + 1), near(t), near(1 - t), far(2 - t))
    taps = [np.clip(base.astype(np.int64) + k, 0, size_in - 1) for k in (-1, 0, 1, 2)]
    return taps, weights


def interpolate(
    input: TensorLike,
    size: int | Sequence[int] | None = None,
    scale_factor: float | Sequence[float] | None = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """Resize (N, C, L) signals or (N, C, H, W) images to ``size`` or by ``scale_factor``, as PyTorch's
    ``F.interpolate``: ``mode`` "nearest" or "nearest-exact" (3-d, 4-d), "linear" (3-d), "bilinear" or "bicubic"
    (4-d), the interpolating ones with ``align_corners`` (False: pixel centres, torch's default; True: the corner
    pixels map to each other), "area" (3-d, 4-d: adaptive average pooling to the output size). The output size
    is floor(size * scale_factor), and the source positions use 1 / scale_factor unless
    ``recompute_scale_factor=True`` (then size_in / size_out), as torch.

    >>> interpolate(Tensor([[[1.0, 2.0]]]), scale_factor=2)
    Tensor([[[1., 1., 2., 2.]]])
    >>> interpolate(Tensor([[[1.0, 2.0]]]), size=3, mode="linear", align_corners=True)
    Tensor([[[1. , 1.5, 2. ]]])
    >>> interpolate(Tensor([[[1.0, 2.0, 3.0, 4.0]]]), size=2, mode="area")
    Tensor([[[1.5, 3.5]]])
    """
    op = "interpolate"
    x = ag.as_tensor(input)
    if mode not in _MODES:
        raise ValueError(f"{op}: mode must be one of {list(_MODES)}, got {mode!r}")
    if x.ndim not in _MODES[mode]:
        wanted = " or ".join(f"{n}-d" for n in _MODES[mode])
        raise ValueError(
            f"{op}: mode={mode!r} needs a {wanted} input ((N, C, L) for linear, (N, C, H, W) for bilinear), "
            f"got shape {x.shape}; add the batch axis with x[None] for one example"
        )
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating-point input, got {x.dtype}; convert it with x.float()")
    if antialias:
        raise ValueError(f"{op}: antialias=True is not supported; resample without it")
    if align_corners is not None and mode not in ("linear", "bilinear", "bicubic"):
        raise ValueError(
            f"{op}: align_corners can only be set with the interpolating modes linear, bilinear and bicubic, "
            f"not mode={mode!r}; leave it None"
        )
    axes = x.ndim - 2
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{op}: give exactly one of size and scale_factor, got size={size!r}, scale={scale_factor!r}")
    sizes_in = x.shape[2:]
    scales: tuple[float | None, ...] = (None,) * axes
    if size is not None:
        sizes_out = tuple(int(s) for s in _per_axis(op, "size", size, axes))
        if any(s != int(s) for s in _per_axis(op, "size", size, axes)):
            raise ValueError(f"{op}: size must be ints, got {size!r}")
    else:
        factors = _per_axis(op, "scale_factor", scale_factor, axes)
        sizes_out = tuple(math.floor(n * f) for n, f in zip(sizes_in, factors))
        scales = (None,) * axes if recompute_scale_factor else factors
    if min(sizes_out) < 1 or min(sizes_in) < 1:
        raise ValueError(f"{op}: input spatial size {sizes_in} and output size {sizes_out} must all be >= 1")
    if mode == "area":  # torch's: adaptive average pooling, a 1-d signal as an image one row high
        if axes == 1:
            return adaptive_avg_pool2d(x[:, :, None], (1, sizes_out[0]))[:, :, 0]
        return adaptive_avg_pool2d(x, (sizes_out[0], sizes_out[1]))
    for axis, (n_in, n_out, scale) in enumerate(zip(sizes_in, sizes_out, scales)):
        before = (slice(None),) * (2 + axis)
        shape = (n_out,) + (1,) * (axes - 1 - axis)  # the weights broadcast along the later axes
        if mode == "bicubic":
            taps, weights = _sources_cubic(n_in, n_out, scale, bool(align_corners))
            blend = [x[before + (tap,)] * w.astype(x.dtype).reshape(shape) for tap, w in zip(taps, weights)]
            x = blend[0] + blend[1] + blend[2] + blend[3]
            continue
        if mode.startswith("nearest"):
            x = x[before + (_sources_nearest(n_in, n_out, scale, mode == "nearest-exact"),)]
            continue
        left, right, weight = _sources_linear(n_in, n_out, scale, bool(align_corners))
        weight = weight.astype(x.dtype).reshape(shape)
        x = x[before + (left,)] * (1 - weight) + x[before + (right,)] * weight
    return x


def pixel_shuffle(input: TensorLike, upscale_factor: int) -> Tensor:
    """(*, C r², H, W) -> (*, C, H r, W r), as PyTorch's ``F.pixel_shuffle`` (sub-pixel convolution's upsampling):
    channel c r² + i r + j becomes the pixel (i, j) of each r x r block. A reshape, a permute and a reshape.

    >>> pixel_shuffle(ag.arange(4.0).reshape(1, 4, 1, 1), 2)
    Tensor([[[[0., 1.],
              [2., 3.]]]])
    """
    x, r = ag.as_tensor(input), _single("pixel_shuffle", "upscale_factor", upscale_factor, 1)
    if x.ndim < 3 or x.shape[-3] % (r * r):
        raise ValueError(
            f"pixel_shuffle: input of shape {x.shape} must be (*, C * r**2, H, W) with its channels divisible by "
            f"upscale_factor**2 = {r * r}"
        )
    *lead, c, h, w = x.shape
    k = len(lead)
    blocks = x.reshape(*lead, c // (r * r), r, r, h, w)
    order = list(range(k)) + [k, k + 3, k + 1, k + 4, k + 2]
    return blocks.permute(order).reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input: TensorLike, downscale_factor: int) -> Tensor:
    """(*, C, H r, W r) -> (*, C r², H, W), as PyTorch's ``F.pixel_unshuffle``: pixel_shuffle's inverse.

    >>> pixel_unshuffle(ag.arange(4.0).reshape(1, 1, 2, 2), 2).reshape(-1)
    Tensor([0., 1., 2., 3.])
    """
    x, r = ag.as_tensor(input), _single("pixel_unshuffle", "downscale_factor", downscale_factor, 1)
    if x.ndim < 3 or x.shape[-1] % r or x.shape[-2] % r:
        raise ValueError(
            f"pixel_unshuffle: input of shape {x.shape} must be (*, C, H, W) with H and W divisible by "
            f"downscale_factor = {r}"
        )
    *lead, c, h, w = x.shape
    k = len(lead)
    blocks = x.reshape(*lead, c, h // r, r, w // r, r)
    order = list(range(k)) + [k, k + 2, k + 4, k + 1, k + 3]
    return blocks.permute(order).reshape(*lead, c * r * r, h // r, w // r)


def _deprecated(name: str) -> None:
    warnings.warn(f"`nn.functional.{name}` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=3)


def upsample(
    input: TensorLike,
    size: int | Sequence[int] | None = None,
    scale_factor: float | Sequence[float] | None = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
) -> Tensor:
    """``interpolate``'s old name, as PyTorch's deprecated ``F.upsample`` (it warns so too).

    >>> import warnings; warnings.simplefilter("ignore")
    >>> upsample(Tensor([[[1.0, 2.0]]]), scale_factor=2)
    Tensor([[[1., 1., 2., 2.]]])
    """
    _deprecated("upsample")
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(
    input: TensorLike, size: int | Sequence[int] | None = None, scale_factor: float | Sequence[float] | None = None
) -> Tensor:
    """``interpolate(..., mode="nearest")``, as PyTorch's deprecated ``F.upsample_nearest``."""
    _deprecated("upsample_nearest")
    return interpolate(input, size, scale_factor, "nearest")


def upsample_bilinear(
    input: TensorLike, size: int | Sequence[int] | None = None, scale_factor: float | Sequence[float] | None = None
) -> Tensor:
    """``interpolate(..., mode="bilinear", align_corners=True)`` (the corners map to each other), as PyTorch's
    deprecated ``F.upsample_bilinear``."""
    _deprecated("upsample_bilinear")
    return interpolate(input, size, scale_factor, "bilinear", align_corners=True)


def channel_shuffle(input: TensorLike, groups: int) -> Tensor:
    """(N, C, *) with its C channels, ``groups`` groups of C / groups, interleaved: channel g * (C / groups) + i
    goes to i * groups + g, as PyTorch's ``F.channel_shuffle`` (ShuffleNet's mixing between grouped
    convolutions). A reshape, a transpose and a reshape.

    >>> F.channel_shuffle(ag.arange(6.0).reshape(1, 6, 1), 2).reshape(-1)
    Tensor([0., 3., 1., 4., 2., 5.])
    """
    x, g = ag.as_tensor(input), _single("channel_shuffle", "groups", groups, 1)
    if x.ndim < 3 or x.shape[1] % g:
        raise ValueError(
            f"channel_shuffle: expected an input (N, C, *) of 3 or more axes whose C channels divide into groups = "
            f"{g}, got shape {x.shape}; choose groups dividing C"
        )
    n, c, *rest = x.shape
    return x.reshape(n, g, c // g, *rest).swapaxes(1, 2).reshape(x.shape)


def native_channel_shuffle(input: TensorLike, groups: int) -> Tensor:
    """``channel_shuffle`` (PyTorch's ``F.native_channel_shuffle``, its kernel's name: the same values here).

    >>> F.native_channel_shuffle(ag.arange(4.0).reshape(1, 4, 1), 2).reshape(-1)
    Tensor([0., 2., 1., 3.])
    """
    return channel_shuffle(input, groups)


def max_unpool2d(
    input: TensorLike,
    indices: TensorLike,
    kernel_size: IntPair,
    stride: IntPair | None = None,
    padding: IntPair = 0,
    output_size: Sequence[int] | None = None,
) -> Tensor:
    """max_pool2d's partial inverse, as PyTorch's ``F.max_unpool2d``: each value of ``input`` (N, C, H, W) put at
    its ``indices`` (h * W_out + w, from ``max_pool2d(..., return_indices=True)``) in zeros of (N, C, H_out,
    W_out), H_out = (H - 1) stride - 2 padding + kernel unless ``output_size`` says. A scatter: the gradient
    of each value is the output gradient at its index.

    >>> y, i = F.max_pool2d(Tensor([[[[1.0, 4.0], [3.0, 2.0]]]]), 2, return_indices=True)
    >>> max_unpool2d(y, i, 2)
    Tensor([[[[0., 4.],
              [0., 0.]]]])
    """
    return max_unpool("max_unpool2d", 2, input, indices, kernel_size, stride, padding, output_size)


__all__ = ["interpolate", "pixel_shuffle", "pixel_unshuffle", "max_unpool2d"]
__all__ += ["upsample", "upsample_nearest", "upsample_bilinear", "channel_shuffle", "native_channel_shuffle"]
