"""A Tensor's rich display in Jupyter: shape, dtype, op and values, compactly.

``Tensor._repr_html_ = display.tensor_html`` makes a notebook cell ending in a tensor
show a small card instead of the text repr: label, shape and dtype, the op that made
it (or "leaf, requires grad"), its values (numpy's summarised print for big arrays,
plus mean/min/max) and its gradient when it has one. Only numpy and the Tensor's
public attributes are used.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .tensor import Tensor
    from .types import ArrayLike

VALUE_LINES = 8  # a matrix taller than this shows numpy's summary with "..."


def _values(values: ArrayLike) -> str:
    array = np.asarray(values)
    with np.printoptions(precision=4, threshold=64, edgeitems=3, linewidth=72):
        text = np.array2string(array, separator=", ")
    lines = text.splitlines()
    if len(lines) > VALUE_LINES:
        lines = lines[: VALUE_LINES // 2] + [" ..."] + lines[-VALUE_LINES // 2 :]
    text = "\n".join(lines)
    if array.size > 1 and array.dtype.kind in "fiu":
        with np.errstate(all="ignore"):
            text += f"\nmean {np.mean(array):.4g}  min {np.min(array):.4g}  max {np.max(array):.4g}"
    return html.escape(text)


def tensor_html(t: Tensor) -> str:
    """The HTML card Jupyter shows for Tensor ``t``.

    >>> print(tensor_html(Tensor([1.0, 2.0], requires_grad=True, label="w"))[:60])
    <div class="ag-tensor" ...
    """
    shape = "scalar" if t.ndim == 0 else "\u00d7".join(map(str, t.shape))
    origin = f"op <b>{html.escape(t.op)}</b>" if t.op else ("leaf, requires grad" if t.requires_grad else "leaf")
    title = f"<b>{html.escape(str(t.label))}</b> " if t.label else ""
    rows = [
        f'<div>{title}Tensor <span style="color:#6c757d">{shape} {t.dtype}</span> · {origin}</div>',
        f'<pre style="margin:.2em 0;color:#1a7f37">{_values(t.data)}</pre>',
    ]
    if t.grad is not None:
        rows.append(
            f'<div style="color:#c62828">grad</div><pre style="margin:.2em 0;color:#c62828">{_values(t.grad)}</pre>'
        )
    return (
        '<div class="ag-tensor" style="font-family:monospace;border-left:3px solid #cfe2ff;'
        'padding-left:.5em">' + "".join(rows) + "</div>"
    )
