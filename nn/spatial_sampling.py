"""The spatial transformer's two functions, as ``torch.nn.functional`` spells them: ``affine_grid`` (where each
output pixel reads from, for a batch of affine maps) and ``grid_sample`` (read the input there).

Both are composed from Tensor ops, so the engine derives the gradient with respect to the input AND the grid:
``affine_grid`` is a matmul of a constant grid of normalised coordinates with theta; ``grid_sample``'s bilinear
output is a sum over the 2^d corners around each source point of (the corner's value, a gather of the input)
times (its weight, a product of (1 - frac) or frac per axis, frac a Tensor of the grid). Coordinates are
torch's: -1 and +1 are the centres (``align_corners=True``: the centres) of the edge pixels (``align_corners=
False``: the outer edges of the edge pixels). Padding follows torch's ``grid_sampler_compute_source_index``:
"border" clamps a coordinate (gradient 0 at and beyond the edge, as torch's), "reflection" mirrors it at the
edges (gradient ±1), "zeros" reads 0 outside.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import product

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.types import TensorLike

_MODES, _PADDINGS = ("bilinear", "nearest"), ("zeros", "border", "reflection")


def _linspace_from_neg_one(steps: int, align_corners: bool) -> np.ndarray:
    """torch's: -1 .. 1 over ``steps`` points, shrunk by (steps - 1) / steps to the pixel centres unless aligned."""
    if steps <= 1:
        return np.zeros(steps)
    r = np.linspace(-1.0, 1.0, steps)
    return r if align_corners else r * ((steps - 1) / steps)


def affine_grid(theta: TensorLike, size: Sequence[int], align_corners: bool = False) -> Tensor:
    """The sampling grid (N, H, W, 2) of the affine maps ``theta`` (N, 2, 3) for an output of ``size`` (N, C, H, W),
    as PyTorch's ``F.affine_grid`` (or (N, D, H, W, 3) from (N, 3, 4) and (N, C, D, H, W)): grid[n, i, j] =
    theta[n] @ (x_j, y_i, 1), x and y the normalised pixel coordinates in [-1, 1]; ``grid_sample`` reads there.

    >>> affine_grid(Tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]]), (1, 1, 1, 2))      # identity: the pixel centres
    Tensor([[[[-0.5,  0. ],
              [ 0.5,  0. ]]]])
    """
    op = "affine_grid"
    t = ag.as_tensor(theta)
    size = tuple(int(s) for s in size)
    if len(size) not in (4, 5):
        raise ValueError(f"{op}: size must be (N, C, H, W) or (N, C, D, H, W), got {size}")
    d = len(size) - 2
    if t.shape != (size[0], d, d + 1):
        raise ValueError(
            f"{op}: theta of shape {t.shape} does not fit size {size}: a {d + 2}-d size needs theta (N, {d}, {d + 1}) "
            f"= {(size[0], d, d + 1)}, one {d} x {d + 1} affine matrix per example"
        )
    if t.dtype.kind != "f":
        raise TypeError(f"{op}: theta must be floating point, got {t.dtype}; convert it with theta.float()")
    if min(size) < 1:
        raise ValueError(f"{op}: size {size} must be positive")
    spatial = size[2:]
    # the last coordinate reads along the last axis (x along W, y along H, z along D), then a column of ones
    axes = [_linspace_from_neg_one(n, align_corners) for n in spatial]
    mesh = np.meshgrid(*axes, indexing="ij")
    base = np.stack([*mesh[::-1], np.ones(spatial)], axis=-1).reshape(-1, d + 1).astype(t.dtype)
    grid = Tensor(base) @ t.transpose(1, 2)  # (H W, d + 1) @ (N, d + 1, d) -> (N, H W, d)
    return grid.reshape(size[0], *spatial, d)


def _unnormalize(coord: Tensor, size: int, align_corners: bool) -> Tensor:
    if align_corners:
        return (coord + 1) * ((size - 1) / 2)
    return ((coord + 1) * size - 1) / 2


def _with_slope(coord: Tensor, value: np.ndarray, slope: np.ndarray) -> Tensor:
    """``value`` (a piecewise-linear function of coord, computed on the data) with the derivative ``slope``."""
    return (coord - coord.detach()) * slope.astype(coord.dtype) + value.astype(coord.dtype)


def _clip(coord: Tensor, size: int) -> Tensor:
    c = coord.data
    return _with_slope(coord, np.clip(c, 0, size - 1), (c > 0) & (c < size - 1))


def _reflect(coord: Tensor, twice_low: int, twice_high: int) -> Tensor:
    """torch's reflect_coordinates: mirror coord into [low, high] at both ends, as often as needed."""
    if twice_low == twice_high:
        return _with_slope(coord, np.zeros(coord.shape), np.zeros(coord.shape))
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    c = coord.data
    distance = np.abs(c - low)
    extra, flips = np.fmod(distance, span), np.floor(distance / span)
    even = flips % 2 == 0
    value = np.where(even, extra + low, span - extra + low)
    slope = np.where(c < low, -1.0, 1.0) * np.where(even, 1.0, -1.0)
    return _with_slope(coord, value, slope)


def _source(coord: Tensor, size: int, padding_mode: str, align_corners: bool) -> Tensor:
    """torch's grid_sampler_compute_source_index: the pixel coordinate, padded."""
    coord = _unnormalize(coord, size, align_corners)
    if padding_mode == "border":
        return _clip(coord, size)
    if padding_mode == "reflection":
        coord = _reflect(coord, 0, 2 * (size - 1)) if align_corners else _reflect(coord, -1, 2 * size - 1)
        return _clip(coord, size)
    return coord


def _check(input: Tensor, grid: Tensor, mode: str, padding_mode: str) -> None:
    op = "grid_sample"
    if mode not in _MODES:
        raise ValueError(f"{op}: mode must be one of {list(_MODES)}, got {mode!r} (bicubic is not available)")
    if padding_mode not in _PADDINGS:
        raise ValueError(f"{op}: padding_mode must be one of {list(_PADDINGS)}, got {padding_mode!r}")
    if input.ndim not in (4, 5):
        raise ValueError(
            f"{op}: input must be (N, C, H, W) or (N, C, D, H, W), got shape {input.shape}; "
            "add the batch axis with x[None] for one image"
        )
    d = input.ndim - 2
    if grid.ndim != input.ndim or grid.shape[0] != input.shape[0] or grid.shape[-1] != d:
        raise ValueError(
            f"{op}: grid of shape {grid.shape} does not fit input {input.shape}: it must be (N, *out, {d}) with "
            f"{d} output axes and N = {input.shape[0]}, e.g. affine_grid(theta, size) for theta (N, {d}, {d + 1})"
        )
    if input.dtype.kind != "f" or grid.dtype.kind != "f":
        raise TypeError(f"{op}: input and grid must be floating point, got {input.dtype} and {grid.dtype}")


def grid_sample(
    input: TensorLike,
    grid: TensorLike,
    mode: str = "bilinear",
    padding_mode: str = "zeros",
    align_corners: bool = False,
) -> Tensor:
    """Read ``input`` (N, C, H, W) at the points ``grid`` (N, H_out, W_out, 2) holds, as PyTorch's
    ``F.grid_sample``: grid[n, i, j] = (x, y) in [-1, 1] (x along W), ``mode`` "bilinear" (the gradient reaches
    the input and the grid) or "nearest" (half-way rounds to even, as torch; the grid's gradient is 0),
    ``padding_mode`` "zeros", "border" or "reflection" for points outside. 5-d input (N, C, D, H, W) with a grid
    (N, D_out, H_out, W_out, 3) is sampled trilinearly, as torch's "bilinear" there.

    >>> image = ag.arange(4.0).reshape(1, 1, 2, 2)
    >>> grid_sample(image, Tensor([[[[0.0, 0.0]]]]))                 # the centre: the mean of the four pixels
    Tensor([[[[1.5]]]])
    >>> grid_sample(image, Tensor([[[[1.0, 1.0]]]]), align_corners=True)   # the bottom-right pixel's centre
    Tensor([[[[3.]]]])
    """
    x, g = ag.as_tensor(input), ag.as_tensor(grid)
    _check(x, g, mode, padding_mode)
    n, c, *spatial = x.shape
    d = len(spatial)
    out_shape = g.shape[1:-1]
    # the grid's last axis lists x (along W) first: source axis k reads grid[..., d - 1 - k]
    sources = [_source(g[..., d - 1 - k], spatial[k], padding_mode, align_corners) for k in range(d)]
    # one flat gather of channel vectors: the input as (N * H * W, C), indexed by n H W + h W + w
    table = x.permute(0, *range(2, d + 2), 1).reshape(-1, c)
    batch = np.arange(n).reshape((n,) + (1,) * len(out_shape))
    strides = [int(np.prod(spatial[k + 1 :])) for k in range(d)]

    def read(indices: list[np.ndarray]) -> tuple[Tensor, np.ndarray]:
        inside = np.logical_and.reduce([(i >= 0) & (i < m) for i, m in zip(indices, spatial)])
        flat = batch * int(np.prod(spatial)) + sum(
            np.clip(i, 0, m - 1) * s for i, m, s in zip(indices, spatial, strides)
        )
        return table[flat.reshape(-1)].reshape(*g.shape[:-1], c), inside

    if mode == "nearest":
        values, inside = read([np.rint(s.data).astype(np.int64) for s in sources])
        out = values * inside[..., None].astype(x.dtype)
    else:
        lows = [np.floor(s.data) for s in sources]
        fracs = [s - low.astype(s.dtype) for s, low in zip(sources, lows)]
        out = None
        for corner in product((0, 1), repeat=d):
            values, inside = read([low.astype(np.int64) + k for low, k in zip(lows, corner)])
            weight = Tensor(inside.astype(x.dtype))
            for frac, k in zip(fracs, corner):
                weight = weight * (frac if k else 1 - frac)
            term = values * weight[..., None]
            out = term if out is None else out + term
    assert out is not None
    return out.permute(0, d + 1, *range(1, d + 1))


__all__ = ["affine_grid", "grid_sample"]
