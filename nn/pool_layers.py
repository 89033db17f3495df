"""The pooling layers as PyTorch names them, one class per kind over 1-3 spatial axes: ``MaxPool2d`` /
``MaxPool3d``, ``AvgPool2d`` / ``AvgPool3d``, ``LPPool1d`` .. ``LPPool3d`` and ``MaxUnpool1d`` .. ``MaxUnpool3d``.
Each calls ``pool_nd.py``'s function with its axes fixed (composed, no backward of its own); ``config()``
gives the constructor's arguments, so ``nn.save`` / ``nn.load`` rebuild a model holding them.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

from autograd_core import Tensor
from autograd_core.types import TensorLike

from .module import Module
from .pool_nd import avg_pool, lp_pool, max_pool, max_unpool
from .windows_nd import no_stride, sizes


def _given(size: Any) -> Any:
    """A pool's size as the user gave it, for its repr and config: an int, or a tuple (JSON gives lists)."""
    return tuple(int(n) for n in size) if isinstance(size, (list, tuple)) else int(size)


class MaxPoolNd(Module):
    """The max of each window over ``nd`` spatial axes: ``max_pool`` (stride defaults to the kernel;
    ``ceil_mode`` keeps a last window that overhangs; tied maxima share the gradient evenly; ``return_indices``
    also gives where each max sits)."""

    nd = 2

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        dilation: Any = 1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        name, nd = type(self).__name__, self.nd
        self._shown = (kernel_size, kernel_size if stride is None else stride, padding, dilation)  # torch's repr
        self.kernel_size = sizes(name, "kernel_size", kernel_size, nd, 1)
        self.stride = self.kernel_size if no_stride(stride) else sizes(name, "stride", stride, nd, 1)
        self.padding = sizes(name, "padding", padding, nd, 0)
        self.dilation = sizes(name, "dilation", dilation, nd, 1)
        self.return_indices = bool(return_indices)
        self.ceil_mode = bool(ceil_mode)

    def forward(self, x: TensorLike) -> Tensor | tuple[Tensor, Tensor]:
        return max_pool(
            f"max_pool{self.nd}d",
            self.nd,
            x,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            self.ceil_mode,
            self.return_indices,
        )

    def extra_repr(self) -> str:
        """PyTorch's line, the sizes as given: ``kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False``."""
        kernel, stride, padding, dilation = (_given(v) for v in self._shown)
        return (
            f"kernel_size={kernel}, stride={stride}, padding={padding}, dilation={dilation}, ceil_mode={self.ceil_mode}"
        )

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        return {
            "kernel_size": _given(self._shown[0]),  # as given (2, not [2, 2]): the rebuilt layer prints the same
            "stride": _given(self._shown[1]),
            "padding": _given(self._shown[2]),
            "dilation": _given(self._shown[3]),
            "return_indices": self.return_indices,
            "ceil_mode": self.ceil_mode,
        }


class MaxPool2d(MaxPoolNd):
    """The max of each window: ``F.max_pool2d`` (stride defaults to the kernel; ``ceil_mode`` keeps a last
    window that overhangs; tied maxima share the gradient evenly; ``return_indices`` also gives where each
    max sits).

    >>> MaxPool2d(2)(np.arange(16.0).reshape(1, 1, 4, 4))
    Tensor([[[[ 5.,  7.],
              [13., 15.]]]])
    """

    nd = 2


class MaxPool3d(MaxPoolNd):
    """The max of each kd x kh x kw window of (N, C, D, H, W) volumes: ``F.max_pool3d``.

    >>> MaxPool3d(2, stride=1)(np.ones((1, 2, 3, 4, 5))).shape
    (1, 2, 2, 3, 4)
    """

    nd = 3


class AvgPoolNd(Module):
    """The mean of each window over ``nd`` spatial axes: ``avg_pool`` (stride defaults to the kernel; padding
    counts as 0; ``ceil_mode`` keeps a last window that overhangs)."""

    nd = 2

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> None:
        super().__init__()
        name, nd = type(self).__name__, self.nd
        self._shown = (kernel_size, kernel_size if stride is None else stride, padding)  # torch's repr
        self.kernel_size = sizes(name, "kernel_size", kernel_size, nd, 1)
        self.stride = self.kernel_size if no_stride(stride) else sizes(name, "stride", stride, nd, 1)
        self.padding = sizes(name, "padding", padding, nd, 0)
        self.count_include_pad = bool(count_include_pad)
        self.ceil_mode = bool(ceil_mode)
        if divisor_override is not None and (
            not isinstance(divisor_override, numbers.Integral)
            or isinstance(divisor_override, bool)
            or divisor_override < 1
        ):
            raise ValueError(f"{name}: divisor_override must be a positive int or None, got {divisor_override!r}")
        self.divisor_override = None if divisor_override is None else int(divisor_override)

    def forward(self, x: TensorLike) -> Tensor:
        return avg_pool(
            f"avg_pool{self.nd}d",
            self.nd,
            x,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
        )

    def extra_repr(self) -> str:
        """PyTorch's line, the sizes as given: ``AvgPool2d(kernel_size=2, stride=2, padding=0)``."""
        kernel, stride, padding = (_given(v) for v in self._shown)
        ceil = ", ceil_mode=True" if self.ceil_mode else ""  # (torch shows none; a saved model's check reads it)
        return f"kernel_size={kernel}, stride={stride}, padding={padding}{ceil}"

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        return {
            "kernel_size": _given(self._shown[0]),  # as given (2, not [2, 2]): the rebuilt layer prints the same
            "stride": _given(self._shown[1]),
            "padding": _given(self._shown[2]),
            "ceil_mode": self.ceil_mode,
            "count_include_pad": self.count_include_pad,
            "divisor_override": self.divisor_override,
        }


class AvgPool2d(AvgPoolNd):
    """The mean of each window: ``F.avg_pool2d`` (stride defaults to the kernel; padding counts as 0;
    ``ceil_mode`` keeps a last window that overhangs).

    >>> AvgPool2d(2)(np.arange(16.0).reshape(1, 1, 4, 4))
    Tensor([[[[ 2.5,  4.5],
              [10.5, 12.5]]]])
    """

    nd = 2


class AvgPool3d(AvgPoolNd):
    """The mean of each kd x kh x kw window of (N, C, D, H, W) volumes: ``F.avg_pool3d``.

    >>> AvgPool3d(2)(np.arange(8.0).reshape(1, 1, 2, 2, 2))
    Tensor([[[[[3.5]]]]])
    """

    nd = 3


class LPPoolNd(Module):
    """The p-norm of each window, (sum x^p)^(1/p), over ``nd`` spatial axes: ``lp_pool``."""

    nd = 2

    def __init__(self, norm_type: float, kernel_size: Any, stride: Any = None, ceil_mode: bool = False) -> None:
        super().__init__()
        name = type(self).__name__
        if isinstance(norm_type, bool) or not isinstance(norm_type, numbers.Real) or not 0 < norm_type < float("inf"):
            raise ValueError(f"{name}: norm_type must be a positive finite number (p of the p-norm), got {norm_type!r}")
        sizes(name, "kernel_size", kernel_size, self.nd, 1)  # checked now, not at the first call
        if not no_stride(stride):
            sizes(name, "stride", stride, self.nd, 1)
        self.norm_type: float = norm_type
        self.kernel_size: int | tuple[int, ...] = _given(kernel_size)
        self.stride: int | tuple[int, ...] | None = None if no_stride(stride) else _given(stride)
        self.ceil_mode: bool = bool(ceil_mode)

    def forward(self, x: TensorLike) -> Tensor:
        nd = self.nd
        return lp_pool(f"lp_pool{nd}d", nd, x, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self) -> str:
        """PyTorch's line: ``norm_type=2, kernel_size=3, stride=None, ceil_mode=False``."""
        return (
            f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, stride={self.stride}, "
            f"ceil_mode={self.ceil_mode}"
        )

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        return {
            "norm_type": self.norm_type,
            "kernel_size": list(self.kernel_size) if isinstance(self.kernel_size, tuple) else self.kernel_size,
            "stride": list(self.stride) if isinstance(self.stride, tuple) else self.stride,
            "ceil_mode": self.ceil_mode,
        }


class LPPool1d(LPPoolNd):
    """The p-norm of each window along the last axis of (N, C, L) signals: ``F.lp_pool1d``.

    >>> LPPool1d(2, 2)(Tensor([[[3.0, 4.0]]]))
    Tensor([[[5.]]])
    """

    nd = 1


class LPPool2d(LPPoolNd):
    """The p-norm of each kh x kw window of images: ``F.lp_pool2d``.

    >>> LPPool2d(1, 2)(np.ones((1, 1, 4, 4)))[0, 0]
    Tensor([[4., 4.],
            [4., 4.]])
    """

    nd = 2


class LPPool3d(LPPoolNd):
    """The p-norm of each kd x kh x kw window of volumes: ``F.lp_pool3d``.

    >>> LPPool3d(2, 2)(np.ones((1, 1, 2, 2, 2)))
    Tensor([[[[[2.8284]]]]])
    """

    nd = 3


class MaxUnpoolNd(Module):
    """max pooling's partial inverse over ``nd`` spatial axes: ``max_unpool``; ``forward(input, indices,
    output_size=None)``."""

    nd = 2

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        name, nd = type(self).__name__, self.nd
        self.kernel_size = sizes(name, "kernel_size", kernel_size, nd, 1)
        self.stride = self.kernel_size if stride is None else sizes(name, "stride", stride, nd, 1)
        self.padding = sizes(name, "padding", padding, nd, 0)

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        return {"kernel_size": list(self.kernel_size), "stride": list(self.stride), "padding": list(self.padding)}

    def forward(self, input: TensorLike, indices: TensorLike, output_size: Sequence[int] | None = None) -> Tensor:
        op = f"max_unpool{self.nd}d"
        return max_unpool(op, self.nd, input, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(MaxUnpoolNd):
    """MaxPool1d's partial inverse: ``F.max_unpool1d``; ``forward(input, indices, output_size=None)``.

    >>> y, i = nn.MaxPool1d(2, return_indices=True)(Tensor([[[1.0, 5.0, 2.0, 0.0]]]))
    >>> MaxUnpool1d(2)(y, i)
    Tensor([[[0., 5., 2., 0.]]])
    """

    nd = 1


class MaxUnpool2d(MaxUnpoolNd):
    """MaxPool2d's partial inverse: ``F.max_unpool2d``; ``forward(input, indices, output_size=None)``.

    >>> pool, unpool = nn.MaxPool2d(2, return_indices=True), MaxUnpool2d(2)
    >>> y, i = pool(ag.arange(16.0).reshape(1, 1, 4, 4))
    >>> unpool(y, i).shape
    (1, 1, 4, 4)
    """

    nd = 2


class MaxUnpool3d(MaxUnpoolNd):
    """MaxPool3d's partial inverse: ``F.max_unpool3d``; ``forward(input, indices, output_size=None)``.

    >>> y, i = nn.MaxPool3d(2, return_indices=True)(np.arange(16.0).reshape(1, 1, 2, 2, 4))
    >>> MaxUnpool3d(2)(y, i).shape
    (1, 1, 2, 2, 4)
    """

    nd = 3
