"""``nn``'s 1-d and 3-d members of the convolution, pooling and dropout families (and their lazy forms),
gathered for one star import in ``nn/__init__.py``: each is one class over 1-3 spatial axes (``ConvNd``,
``ConvTransposeNd``, ``MaxPoolNd``, ...) with its axes fixed.

>>> Conv3d(1, 2, 3, seed=0).weight.shape
(2, 1, 3, 3, 3)
"""

from __future__ import annotations

from .conv_layers import Conv3d
from .conv_transpose import ConvTranspose1d, ConvTranspose3d
from .dropout_nd import Dropout1d, Dropout3d
from .lazy import LazyBatchNorm3d, LazyConv3d, LazyConvTranspose1d, LazyConvTranspose3d
from .pool_adaptive import AdaptiveAvgPool1d, AdaptiveAvgPool3d, AdaptiveMaxPool1d, AdaptiveMaxPool3d
from .pool_layers import AvgPool3d, LPPool1d, LPPool2d, LPPool3d, MaxPool3d, MaxUnpool1d, MaxUnpool3d

__all__ = [
    "Conv3d",
    "ConvTranspose1d",
    "ConvTranspose3d",
    "MaxPool3d",
    "AvgPool3d",
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool3d",
    "AdaptiveMaxPool1d",
    "AdaptiveMaxPool3d",
    "LPPool1d",
    "LPPool2d",
    "LPPool3d",
    "MaxUnpool1d",
    "MaxUnpool3d",
    "Dropout1d",
    "Dropout3d",
    "LazyBatchNorm3d",
    "LazyConv3d",
    "LazyConvTranspose1d",
    "LazyConvTranspose3d",
]
