"""Resampling layers, as PyTorch names them: ``Upsample`` (and its fixed-mode forms ``UpsamplingNearest2d``,
``UpsamplingBilinear2d``), ``PixelShuffle``, ``PixelUnshuffle``, ``ChannelShuffle`` and ``MaxUnpool2d``.
Each calls its resample.py function (composed from Tensor ops); ``config()`` gives the constructor's arguments.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from autograd_core import Tensor
from autograd_core.types import TensorLike

from .conv_more import _single
from .module import Module
from .pool_layers import MaxUnpool2d  # noqa: F401  (re-exported: its home before MaxUnpool1d / 3d)
from .resample import channel_shuffle, interpolate, pixel_shuffle, pixel_unshuffle


def _listed(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


class Upsample(Module):
    """Resize to ``size`` or by ``scale_factor`` with ``mode`` (nearest, nearest-exact, linear, bilinear, bicubic,
    area) and ``align_corners``: ``F.interpolate``. Its arguments are checked at the first forward, as torch's.

    >>> Upsample(scale_factor=2, mode="bilinear", align_corners=True)(ag.ones(1, 1, 2, 2)).shape
    (1, 1, 4, 4)
    """

    def __init__(
        self,
        size: int | Sequence[int] | None = None,
        scale_factor: float | Sequence[float] | None = None,
        mode: str = "nearest",
        align_corners: bool | None = None,
        recompute_scale_factor: bool | None = None,
    ) -> None:
        super().__init__()
        self.size, self.scale_factor = _listed(size), _listed(scale_factor)
        self.mode, self.align_corners, self.recompute_scale_factor = mode, align_corners, recompute_scale_factor

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        return {
            "size": self.size,
            "scale_factor": self.scale_factor,
            "mode": self.mode,
            "align_corners": self.align_corners,
            "recompute_scale_factor": self.recompute_scale_factor,
        }

    def forward(self, x: TensorLike) -> Tensor:
        return interpolate(x, self.size, self.scale_factor, self.mode, self.align_corners, self.recompute_scale_factor)

    def extra_repr(self) -> str:
        what = f"size={self.size}" if self.size is not None else f"scale_factor={self.scale_factor}"
        return f"{what}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """``Upsample(size, scale_factor, mode="nearest")`` for images (torch's older name).

    >>> UpsamplingNearest2d(scale_factor=2)(ag.ones(1, 1, 2, 2)).shape
    (1, 1, 4, 4)
    """

    def __init__(self, size: int | Sequence[int] | None = None, scale_factor: float | None = None) -> None:
        super().__init__(size, scale_factor, "nearest")

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        return {"size": self.size, "scale_factor": self.scale_factor}


class UpsamplingBilinear2d(Upsample):
    """``Upsample(size, scale_factor, mode="bilinear", align_corners=True)`` (torch's older name: it aligns corners).

    >>> UpsamplingBilinear2d(size=3)(ag.ones(1, 1, 2, 2)).shape
    (1, 1, 3, 3)
    """

    def __init__(self, size: int | Sequence[int] | None = None, scale_factor: float | None = None) -> None:
        super().__init__(size, scale_factor, "bilinear", align_corners=True)

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        return {"size": self.size, "scale_factor": self.scale_factor}


class PixelShuffle(Module):
    """(*, C r², H, W) -> (*, C, H r, W r): ``F.pixel_shuffle``.

    >>> PixelShuffle(2)(ag.ones(1, 8, 3, 3)).shape
    (1, 2, 6, 6)
    """

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = _single(type(self).__name__, "upscale_factor", upscale_factor, 1)

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        return {"upscale_factor": self.upscale_factor}

    def forward(self, x: TensorLike) -> Tensor:
        return pixel_shuffle(x, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """(*, C, H r, W r) -> (*, C r², H, W): ``F.pixel_unshuffle``.

    >>> PixelUnshuffle(2)(ag.ones(1, 2, 6, 6)).shape
    (1, 8, 3, 3)
    """

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = _single("PixelUnshuffle", "downscale_factor", downscale_factor, 1)

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        return {"downscale_factor": self.downscale_factor}

    def forward(self, x: TensorLike) -> Tensor:
        return pixel_unshuffle(x, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"


class ChannelShuffle(Module):
    """Interleave the channels of ``groups`` groups: ``F.channel_shuffle``, as PyTorch's ``nn.ChannelShuffle``.

    >>> ChannelShuffle(2)(ag.arange(4.0).reshape(1, 4, 1)).reshape(-1)
    Tensor([0., 2., 1., 3.])
    """

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = _single("ChannelShuffle", "groups", groups, 1)

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        return {"groups": self.groups}

    def forward(self, x: TensorLike) -> Tensor:
        return channel_shuffle(x, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"
