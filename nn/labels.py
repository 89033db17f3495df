"""Class-index targets: the one check every classification loss and ``nn.fit`` apply to labels, and
``one_hot``."""

from __future__ import annotations

import numpy as np

from autograd_core import Tensor
from autograd_core.types import TensorLike

# Labels up to this many bytes (2,048 int64 labels) remember their bounds check: a training step
# that reuses its batch's labels (full-batch training, a benchmark's fixed batch) compares 256
# bytes (0.1 us) instead of reducing them (1.5 us); beyond it, copying the bytes costs as much as
# the check saves. A larger or different array is checked in full, as always.
_REMEMBERED_BYTES = 16384
#: (dtype, k, the labels' bytes) of the last small label array that passed the bounds check. The
#: check is a function of exactly these (the values and the class count), so equal bytes of the same
#: dtype pass again whichever array holds them and however it was changed in between. One tuple,
#: swapped in whole, so threads never see a mixed entry.
_last_in_bounds: tuple[np.dtype, int, bytes] | None = None
_INT64 = np.dtype(np.int64)


def class_indices(function: str, target: TensorLike, n: int, k: int) -> np.ndarray:
    """Check that ``target`` holds n integer class labels in 0..k-1; returns them as an integer array, an
    array given as it is (a compiled step reads it afresh, where an int64 copy would be a new constant each
    call): ``class_indices("my_loss", y, len(y), 10)``."""
    global _last_in_bounds
    labels = target if type(target) is np.ndarray else np.asarray(target.data if isinstance(target, Tensor) else target)
    dtype = labels.dtype
    if dtype.kind not in "iu":
        raise TypeError(f"{function}: class indices must be integers, got dtype {dtype}; " + convert_hint(labels, n, k))
    if labels.shape != (n,):
        one_hot_rows = labels.shape == (n, k) and np.isin(labels, (0, 1)).all()
        raise ValueError(
            f"{function}: class indices must have shape ({n},) to match the logits' {n} rows, got shape "
            f"{labels.shape}"
            + ("; flatten them with y.reshape(-1)" if labels.size == n else "")
            + (
                "; these look like one-hot rows: give y.argmax(axis=1), or y.astype(float) as probabilities"
                if one_hot_rows
                else ""
            )
        )
    indices = labels if dtype is _INT64 else labels.astype(np.int64)
    remembered = labels.nbytes <= _REMEMBERED_BYTES
    if remembered:
        values = labels.tobytes()
        last = _last_in_bounds
        if last is not None and last[2] == values and last[1] == k and last[0] == dtype:
            return labels
    # One reduction checks both bounds: read as unsigned, a negative label is larger than any k.
    if n and np.maximum.reduce(indices.view(np.uint64)) >= k:
        first = int(np.argmax((indices < 0) | (indices >= k)))
        low, high = labels.min(), labels.max()
        raise ValueError(
            f"{function}: labels must be in 0..{k - 1} for K={k} classes; found min "
            f"{low}, max {high}, first bad label {labels[first]} at index {first}"
            + (
                f"; labels counted from 1 (1..{k}) start at 0 here, as in PyTorch: give y - 1"
                if low == 1 and high == k
                else ""
            )
        )
    if remembered:
        _last_in_bounds = (dtype, k, values)
    return labels


def convert_hint(labels: np.ndarray, n: int, k: int) -> str:
    """How to turn non-integer labels into class indices: ``convert_hint(np.array(["cat", "dog"]), 2, 2)``."""
    if labels.dtype.kind in "USO":  # class names: number them
        return "number class names with classes, y = np.unique(y, return_inverse=True) (classes[i] names class i)"
    whole = (
        labels.dtype.kind == "f" and labels.size and np.isfinite(labels).all() and (labels == np.round(labels)).all()
    )
    return (
        "they are whole numbers: convert with y.astype(np.int64)"
        if whole
        else f"convert with y.astype(np.int64), or give probabilities of shape ({n}, {k})"
    )


def one_hot(tensor: TensorLike, num_classes: int = -1) -> Tensor:
    """Class indices of any shape as one-hot rows, int64 with a new last axis of ``num_classes``
    (-1: the largest label + 1), as PyTorch's ``F.one_hot``: e.g. MSE targets for a classifier.

    >>> one_hot(np.array([2, 0]), 3)
    Tensor([[0, 0, 1],
            [1, 0, 0]], dtype=int64)
    """
    labels = np.asarray(tensor.data if isinstance(tensor, Tensor) else tensor)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"one_hot: class indices must be integers, got dtype {labels.dtype}; use y.astype(np.int64)")
    if isinstance(num_classes, Tensor) and num_classes.size == 1:  # num_classes=labels.max() + 1, as PyTorch takes
        num_classes = num_classes.item()
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < -1:
        raise ValueError(f"one_hot: num_classes must be a positive int or -1 (from the labels), got {num_classes!r}")
    if num_classes == -1:
        if not labels.size:
            raise ValueError("one_hot: cannot infer num_classes from empty labels; pass num_classes=")
        num_classes = int(labels.max()) + 1
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"one_hot: labels must be in 0..{num_classes - 1} for num_classes={num_classes}; "
            f"found min {labels.min()}, max {labels.max()}"
        )
    return Tensor(np.eye(num_classes, dtype=np.int64)[labels])
