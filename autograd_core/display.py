"""A Tensor's display: its text repr's print options (``set_printoptions``, torch's), and its rich display in
Jupyter: shape, dtype, op and values, compactly.

``Tensor._repr_html_ = display.tensor_html`` makes a notebook cell ending in a tensor
show a small card instead of the text repr: label, shape and dtype, the op that made
it (or "leaf, requires grad"), its values (numpy's summarised print for big arrays,
plus mean/min/max) and its gradient when it has one. Only numpy and the Tensor's
public attributes are used.
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .tensor import Tensor
    from .types import ArrayLike

VALUE_LINES = 8  # a matrix taller than this shows numpy's summary with "..."

# What repr(tensor) prints with; None leaves numpy's own setting (so "default" is this library's print, numpy's
# 75-character lines; "short" and "full" are torch's).
_DEFAULTS: dict[str, Any] = {"precision": 4, "threshold": None, "edgeitems": None, "linewidth": None, "sci_mode": None}
_PROFILES: dict[str, dict[str, Any]] = {
    "default": {"precision": 4, "threshold": None, "edgeitems": None, "linewidth": None},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}
print_options: dict[str, Any] = dict(_DEFAULTS)


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """How ``repr(tensor)`` prints, as ``torch.set_printoptions``: ``precision`` digits after the point,
    ``threshold`` elements before a summary with ``edgeitems`` at each end, ``linewidth`` characters a line,
    ``sci_mode`` True/False forces scientific notation on or off (None, as when not given: numpy decides);
    ``profile`` "default" (back to the start), "short" or "full" sets the first four first. The others keep their
    value; numpy arrays' own print is unchanged.

    >>> set_printoptions(precision=2, sci_mode=False)
    >>> Tensor([1.23456, 0.00001])
    Tensor([1.23, 0.  ])
    >>> set_printoptions(profile="default")
    """
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"set_printoptions: profile must be one of {sorted(_PROFILES)}, got {profile!r}")
        print_options.update(_PROFILES[profile])
    given = {"precision": precision, "threshold": threshold, "edgeitems": edgeitems, "linewidth": linewidth}
    for name, value in given.items():
        if value is None:
            continue
        whole = isinstance(value, (int, np.integer)) or (name == "threshold" and value == math.inf)
        if isinstance(value, bool) or not whole or value < 0:
            raise ValueError(f"set_printoptions: {name} must be an int >= 0 (threshold: or math.inf), got {value!r}")
        print_options[name] = value
    if sci_mode is not None and not isinstance(sci_mode, bool):
        raise ValueError(f"set_printoptions: sci_mode must be True, False or None, got {sci_mode!r}")
    print_options["sci_mode"] = sci_mode


def tensor_repr(t: Tensor) -> str:
    """``repr(t)``: its values, then what is not the default: dtype, the op that made it or requires_grad, label."""
    extras = [] if t.dtype == np.float64 else [f"dtype={t.dtype}"]
    if t.op is not None:
        extras.append(f"op={t.op}")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    if t.label:
        extras.append(f"label={t.label!r}")
    return "Tensor(" + ", ".join([values_text(np.asarray(t.data), prefix="Tensor(")] + extras) + ")"


def values_text(array: np.ndarray, prefix: str) -> str:
    """``array`` printed for a Tensor's repr, with ``set_printoptions``'s options."""
    options = {k: v for k, v in print_options.items() if k != "sci_mode" and v is not None}
    if options.get("threshold") == math.inf:
        options["threshold"] = np.iinfo(np.intp).max  # numpy wants an int: never summarise
    precision = options.get("precision", 4)
    sci_mode = print_options["sci_mode"]
    if sci_mode is True:
        options["formatter"] = {"float_kind": lambda v: f"{v:.{precision}e}"}
    elif sci_mode is False:
        options["suppress"] = True
    with np.printoptions(**options):
        return np.array2string(array, separator=", ", prefix=prefix)


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
