"""Class-index targets: the one check every classification loss and ``nn.fit`` apply to labels."""

from __future__ import annotations

import numpy as np

from autograd_core import Tensor
from autograd_core.types import TensorLike


def class_indices(function: str, target: TensorLike, n: int, k: int) -> np.ndarray:
    """Check that ``target`` holds n integer class labels in 0..k-1; returns them as an int64 array:
    ``class_indices("my_loss", y, len(y), 10)``."""
    labels = np.asarray(target.data if isinstance(target, Tensor) else target)
    if labels.dtype.kind not in "iu":
        raise TypeError(
            f"{function}: class indices must be integers, got dtype {labels.dtype}; "
            f"convert with y.astype(np.int64), or give probabilities of shape ({n}, {k})"
        )
    if labels.shape != (n,):
        raise ValueError(
            f"{function}: class indices must have shape ({n},) to match the logits' "
            f"{n} rows, got shape {labels.shape}" + ("; flatten them with y.reshape(-1)" if labels.size == n else "")
        )
    indices = labels.astype(np.int64, copy=False)
    # One reduction checks both bounds: read as unsigned, a negative label is larger than any k.
    if indices.size and indices.view(np.uint64).max() >= k:
        first = int(np.argmax((indices < 0) | (indices >= k)))
        raise ValueError(
            f"{function}: labels must be in 0..{k - 1} for K={k} classes; found min "
            f"{labels.min()}, max {labels.max()}, first bad label {labels[first]} at index {first}"
        )
    return indices
