"""``nn.functional``'s 1-d and 3-d members of the convolution, pooling and dropout families (and the
``_with_indices`` spellings), gathered for one star import there: each is the one implementation over 1-3
spatial axes in ``conv_nd.py`` / ``pool_nd.py`` with its axes fixed; and the fractional max pools and
``linear_cross_entropy``.

>>> sorted(__all__)[:3]
['adaptive_avg_pool1d', 'adaptive_avg_pool3d', 'adaptive_max_pool1d']
"""

from __future__ import annotations

from .conv import conv3d
from .conv_transpose import conv_transpose1d, conv_transpose3d
from .dropout_nd import dropout1d, dropout3d
from .linear_cross_entropy import linear_cross_entropy
from .pool3d import (
    avg_pool3d,
    lp_pool1d,
    lp_pool2d,
    lp_pool3d,
    max_pool1d_with_indices,
    max_pool2d_with_indices,
    max_pool3d,
    max_pool3d_with_indices,
    max_unpool1d,
    max_unpool3d,
)
from .pool_adaptive import (
    adaptive_avg_pool1d,
    adaptive_avg_pool3d,
    adaptive_max_pool1d,
    adaptive_max_pool1d_with_indices,
    adaptive_max_pool2d_with_indices,
    adaptive_max_pool3d,
    adaptive_max_pool3d_with_indices,
)
from .pool_fractional import (
    fractional_max_pool2d,
    fractional_max_pool2d_with_indices,
    fractional_max_pool3d,
    fractional_max_pool3d_with_indices,
)

__all__ = [
    "conv3d",
    "conv_transpose1d",
    "conv_transpose3d",
    "max_pool3d",
    "avg_pool3d",
    "max_pool1d_with_indices",
    "max_pool2d_with_indices",
    "max_pool3d_with_indices",
    "max_unpool1d",
    "max_unpool3d",
    "lp_pool1d",
    "lp_pool2d",
    "lp_pool3d",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool3d",
    "adaptive_max_pool1d",
    "adaptive_max_pool3d",
    "adaptive_max_pool1d_with_indices",
    "adaptive_max_pool2d_with_indices",
    "adaptive_max_pool3d_with_indices",
    "dropout1d",
    "dropout3d",
    "fractional_max_pool2d",
    "fractional_max_pool3d",
    "fractional_max_pool2d_with_indices",
    "fractional_max_pool3d_with_indices",
    "linear_cross_entropy",
]
