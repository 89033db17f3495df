"""``detect_anomaly()``'s checks: where each op was made, and the first op that turned finite
values into NaN/Inf, forward (called by the record path) or backward (called by the engine)."""

from __future__ import annotations

import os
import traceback
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .tensor import Tensor

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def user_frame() -> str:
    """'file:line in function' of the innermost caller outside this package."""
    for frame in reversed(traceback.extract_stack()[:-1]):
        if not frame.filename.startswith(_PACKAGE_DIR):
            return f"{frame.filename}:{frame.lineno} in {frame.name}: {frame.line}"
    return "<unknown>"


def _all_finite(values: Any) -> bool:
    x = np.asarray(values)
    return x.dtype.kind != "f" or bool(np.isfinite(x).all())


def check_forward(out: Tensor) -> None:
    """Anomaly mode: remember where ``out`` was made; raise if its op turned finite into NaN/Inf."""
    out._origin = user_frame()
    if not _all_finite(out._data) and all(_all_finite(p._data) for p in out._parents):
        shapes = ", ".join(str(p.shape) for p in out._parents)
        raise FloatingPointError(
            f"{out.op}: forward produced NaN/Inf from finite inputs of shapes {shapes}, at {out._origin}"
        )


def check_backward(node: Tensor, g: Any, gi: Any, i: int) -> None:
    if not _all_finite(gi) and _all_finite(g):
        raise FloatingPointError(
            f"{node.op}: backward produced NaN/Inf in the gradient for input {i} "
            f"(shape {node._parents[i].shape}) from a finite incoming gradient; "
            f"the op was made at {node._origin or '<made outside detect_anomaly>'}"
        )
