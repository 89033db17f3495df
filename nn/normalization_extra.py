"""Two more of torch's normalisation layers: ``SyncBatchNorm`` (batch statistics shared across processes in
torch's distributed training; this engine runs in one process, where torch's is a plain BatchNorm too) and
``CrossMapLRN2d`` (torch's legacy local response normalisation across channels, with its window exactly).
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
from .normalization import _BatchNorm


class SyncBatchNorm(_BatchNorm):
    """torch's ``nn.SyncBatchNorm(num_features, eps, momentum, affine, track_running_stats, process_group)``: batch
    normalisation of (N, C, ...) inputs per channel C. torch shares the statistics among the processes of
    ``torch.distributed``; without a process group initialised (always here: one process, CPU) torch's forward is
    plain ``F.batch_norm``, and so is this one, with BatchNorm1d's rules. ``process_group`` is kept, unused.
    ``SyncBatchNorm.convert_sync_batchnorm(model)`` swaps every BatchNorm*d for one, sharing its parameters and
    buffers, as torch's.

    >>> model = SyncBatchNorm.convert_sync_batchnorm(nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)))
    >>> model[1], model(np.ones((2, 3))).shape
    (SyncBatchNorm(4, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True), (2, 4))
    """

    _shapes: ClassVar[dict[int, str]] = {
        2: "(N, C)",
        3: "(N, C, L)",
        4: "(N, C, H, W)",
        5: "(N, C, D, H, W)",
        6: "(N, C, *4 axes)",
    }

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        process_group: Any = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, dtype)
        self.process_group = process_group

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, process_group: Any = None) -> Module:
        """``module`` with every BatchNorm1d/2d/3d inside it (or itself) replaced by a SyncBatchNorm holding the same
        parameter objects, running statistics and train/eval mode (an optimizer made before still updates them)."""
        if not isinstance(module, Module):
            raise TypeError(f"SyncBatchNorm.convert_sync_batchnorm: expected an nn.Module, got {type(module).__name__}")
        converted = module
        if isinstance(module, _BatchNorm):
            dtype = next((p.dtype for p in module.parameters()), None)
            converted = cls(
                module.num_features, module.eps, module.momentum, module.affine, module.track_running_stats,
                process_group, **({"dtype": dtype} if dtype is not None else {}),
            )  # fmt: skip
            if module.affine:
                converted.weight, converted.bias = module.weight, module.bias
            for name, buffer in module.named_buffers(recurse=False):
                converted.register_buffer(name, buffer, persistent=name not in module._non_persistent_buffers_set)
            if module.track_running_stats:
                converted.num_batches_tracked = module.num_batches_tracked  # (a buffer, or the plain counter)
            converted.train(module.training)
        for name, child in module.named_children():
            setattr(converted, name, cls.convert_sync_batchnorm(child, process_group))
        return converted


def cross_map_lrn2d(input: TensorLike, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> Tensor:
    """torch's legacy cross-channel LRN of an (N, C, H, W) input: x / (k + alpha/size * s) ** beta, s the sum of x**2
    over a window of channels. torch's window (its running sum, kept here as it computes it): with
    p = int((size - 1)/2 + 1), channel c sums channels max(0, c-p+1) .. min(C-1, c+p-1), and channel 0 too once
    c >= p (its running sum never subtracts channel 0).

    >>> x = np.ones((1, 4, 1, 1))
    >>> cross_map_lrn2d(x, 3, alpha=3.0, beta=1.0, k=0.0).data.ravel()   # windows of 2, 3, 4 and 3 channels of 1s
    array([0.5       , 0.33333333, 0.25      , 0.33333333])
    """
    x = input if isinstance(input, Tensor) else ag.as_tensor(input)
    if x.ndim != 4:
        raise ValueError(
            f"CrossMapLRN2d: expected a 4-d input (N, C, H, W), got shape {x.shape}; give one image its batch axis "
            "(x[None]), or use nn.LocalResponseNorm for other shapes"
        )
    channels = x.shape[1]
    reach = int((size - 1) / 2 + 1)
    c = np.arange(channels)
    window = (np.abs(c[:, None] - c[None, :]) < reach) | ((c[:, None] >= reach) & (c[None, :] == 0))
    summed = (x * x).swapaxes(1, 3) @ window.T.astype(x.dtype)  # (N, W, H, C): sums over the window's channels
    scale = summed.swapaxes(1, 3) * (alpha / size) + k
    return x * scale ** (-beta)


class CrossMapLRN2d(Module):
    """torch's ``nn.CrossMapLRN2d(size, alpha=1e-4, beta=0.75, k=1)``: local response normalisation across the
    channels of an (N, C, H, W) input with torch's legacy window (``cross_map_lrn2d``; ``nn.LocalResponseNorm`` is
    the current layer and takes any shape). Composed from Tensor ops: its gradient is the engine's.

    >>> CrossMapLRN2d(5, alpha=1e-3)
    CrossMapLRN2d(5, alpha=0.001, beta=0.75, k=1.0)
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> None:
        super().__init__()
        self.size = positive_int("CrossMapLRN2d", "size", size)
        for name, value in (("alpha", alpha), ("beta", beta), ("k", k)):
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
                raise ValueError(f"CrossMapLRN2d: {name} must be a finite number, got {value!r}")
        self.alpha, self.beta, self.k = float(alpha), float(beta), float(k)

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        return {"size": self.size, "alpha": self.alpha, "beta": self.beta, "k": self.k}

    def forward(self, x: TensorLike) -> Tensor:
        return cross_map_lrn2d(x, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
