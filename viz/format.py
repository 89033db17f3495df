"""How a tensor is written in a picture: numbers, summaries, names, kinds and colours.

Shared by every drawing in viz so that the graph, the chain-rule text and the
animation call the same tensor by the same name and print it the same way.
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from autograd_core import Tensor
    from autograd_core.types import ArrayLike

NUMBER_FORMAT = "%.4g"  # %.4g keeps small gradients readable (1.2e-07, never 0.0000)
NO_VALUE = "\u2014"  # "—": no gradient yet (backward has not reached it), which is not 0
SMALL_TENSOR = 6  # up to this many elements the values are printed, past it a summary

# cs231n colours: forward values in green above the wire, gradients in red below it.
VALUE_COLOUR = "#1a7f37"
GRAD_COLOUR = "#c62828"
HIGHLIGHT_COLOUR = "#e8590c"
MUTED_COLOUR = "#6c757d"
FILL = {
    "parameter": "#cfe2ff",  # leaf with requires_grad: what training changes
    "input": "#fff3cd",  # leaf without requires_grad: data and constants
    "op": "#e9ecef",
    "output": "#d3f9d8",  # a root of the drawing (the loss)
    "module": "#f3f0ff",
    "hidden": "#f8f9fa",
}
KIND_DESCRIPTION = {
    "parameter": "leaf, requires_grad (parameter)",
    "input": "leaf, no grad (input / constant)",
    "op": "operation",
    "output": "output (root)",
}

# Symbols for the circuit picture (cs231n draws gates as small circles with a sign).
OP_SYMBOL = {
    "add": "+",
    "sub": "\u2212",
    "mul": "*",
    "div": "/",
    "neg": "*\u22121",
    "pow": "**",
    "matmul": "@",
    "linear": "@\u1d40",  # x @ W.T
    "sigmoid": "\u03c3",
    "maximum": "max",
    "getitem": "[ ]",
}


MAX_FORMAT_WIDTH = 40  # digits of width or precision: a wider number is no longer a readable label
_CONVERSION = re.compile(r"%[-+ #0]*(\d*)(?:\.(\d*))?[a-zA-Z%]")


def check_number_format(number_format: object, caller: str | None = None, name: str = "number_format") -> str:
    """``number_format`` if it is a printf format for one number at most 40 wide and precise, else a
    ValueError (a TypeError for a non-string) beginning with ``caller: name``.

    >>> check_number_format("%.2f", "draw_graph")
    '%.2f'
    """
    where = f"{caller}: {name} " if caller else ""
    if not isinstance(number_format, str):
        raise TypeError(f"{where}must be a printf format string such as '%.4g', got {type(number_format).__name__}")
    for match in _CONVERSION.finditer(number_format):  # first: "%.100000000f" % 1.0 alone builds a 100 MB string
        if any(len(digits) > 2 or int(digits) > MAX_FORMAT_WIDTH for digits in match.groups() if digits):
            raise ValueError(
                f"{where}{match.group()[:40]!r}: width and precision of {name} must "
                f"be at most {MAX_FORMAT_WIDTH}, e.g. %.4g or %.2f"
            )
    try:
        number_format % 1.0
    except (TypeError, ValueError, OverflowError) as error:
        raise ValueError(
            f"{where}{number_format[:40]!r} is not a printf format for one number ({error}); e.g. %.4g or %.2f"
        ) from None
    return number_format


def format_number(x: object, number_format: str = NUMBER_FORMAT) -> str:
    """One number (Python's or numpy's), e.g. ``format_number(0.731058)`` -> ``'0.7311'``."""
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    return number_format % x


def format_array(array: ArrayLike | None, number_format: str = NUMBER_FORMAT) -> str:
    """Values of a small array, or a summary of a large one; ``None`` -> "—".

    >>> format_array(np.array([1.0, -0.25]))
    '[1, -0.25]'
    >>> format_array(np.arange(100.0))
    'mean 49.5 min 0 max 99'
    >>> format_array(np.r_[np.arange(9.0), np.nan])
    'mean 4 min 0 max 8, 1 NaN'
    """
    if array is None:
        return NO_VALUE
    array = np.asarray(array)
    if array.size <= SMALL_TENSOR:
        if array.ndim == 0:
            return format_number(array.item(), number_format)
        return np.array2string(array, separator=", ", formatter={"all": lambda v: format_number(v, number_format)})
    values = array.astype(np.float64) if array.dtype.kind in "biu" else array
    nans = int(np.count_nonzero(np.isnan(values))) if values.dtype.kind in "fc" else 0
    if nans == values.size:
        return f"all {nans:,} NaN"
    if nans:  # one NaN made every statistic NaN ("mean nan min nan max nan"): summarise the rest, count it
        values = values[~np.isnan(values)]
    with np.errstate(all="ignore"):  # an Inf in the data is shown, not raised
        stats = (np.mean(values), np.min(values), np.max(values))
    text = "mean {} min {} max {}".format(*(format_number(v, number_format) for v in stats))
    return text + (f", {nans:,} NaN" if nans else "")


def format_sum(terms: list[float], number_format: str = NUMBER_FORMAT) -> str:
    """Numbers written as the sum they make (a minus sign for a negative term), e.g. a gradient's
    contributions path by path, Olah's ∂e/∂b = 2 + 3.

    >>> format_sum([2.0, 3.0]), format_sum([0.5, -0.25, 1.0])
    ('2 + 3', '0.5 - 0.25 + 1')
    """
    text = [format_number(t, number_format) for t in terms]
    return text[0] + "".join(f" - {t[1:]}" if t.startswith("-") else f" + {t}" for t in text[1:])


def format_shape(t: Tensor) -> str:
    """``'scalar float64'`` or ``'(3, 4) float32'``."""
    return f"{'scalar' if t.ndim == 0 else t.shape} {t.dtype}"


def leaf_kind(t: Tensor) -> str:
    """'parameter' for a leaf that requires grad, 'input' for data and constants, else 'op'."""
    if not t.is_leaf:
        return "op"
    return "parameter" if t.requires_grad else "input"


def is_constant(t: Tensor) -> bool:
    """An unnamed one-element leaf without grad: the ``1`` in ``1 + x.exp()``."""
    return t.is_leaf and not t.requires_grad and t.label is None and t.size == 1


MAX_NAME = 40  # characters of a label shown; the rest is "…"
SUBSCRIPT = str.maketrans("0123456789", "\u2080\u2081\u2082\u2083\u2084\u2085\u2086\u2087\u2088\u2089")


def tensor_names(tensors: list[Tensor]) -> list[str]:
    """The name viz uses for each tensor of a walk (``ag.walk`` order), one list for the
    graph, the chain-rule text and the animation alike.

    A tensor's label if it has one (control characters as spaces, cut to ``MAX_NAME`` characters
    with "…": a 300-character label shrank the whole picture, a NUL broke ``dot``); else its op's
    name ("relu", "matmul"), or for leaves "param", "input" or "const" — numbered by occurrence
    (``add₁``, ``add₂``) only when the graph has several of them, never by a global counter.

    >>> a = ag.Tensor(2.0, requires_grad=True, label="a")
    >>> tensor_names(ag.walk((a * a + a).exp()))
    ['a', 'mul', 'add', 'exp']
    """
    bases: list[str] = []
    for t in tensors:
        if t.label:
            label = re.sub(r"[\x00-\x1f\x7f]", " ", str(t.label))
            bases.append(label if len(label) <= MAX_NAME else label[: MAX_NAME - 1] + "\u2026")
        elif t.is_leaf:
            bases.append("param" if t.requires_grad else "const" if is_constant(t) else "input")
        else:
            bases.append(t.op or "op")  # a non-leaf always has its op
    totals: dict[str, int] = {}
    seen: dict[str, int] = {}
    names: list[str] = []
    for base, t in zip(bases, tensors):
        if not t.label:
            totals[base] = totals.get(base, 0) + 1
    for base, t in zip(bases, tensors):
        if t.label or totals[base] == 1:
            names.append(base)
            continue
        seen[base] = seen.get(base, 0) + 1
        names.append(base + str(seen[base]).translate(SUBSCRIPT))
    return names


def loss_name(root: Tensor, name: str) -> str:
    """How the text of a picture names the tensor differentiated: an unlabelled one made inside a scope by
    that scope (``F.cross_entropy``'s result is a div: ∂cross_entropy/∂w, not ∂div/∂w), else ``name``."""
    return str(root.scope) if not root.label and root.scope else name


def op_description(t: Tensor, limit: int = 40) -> str:
    """The op and its non-tensor arguments, e.g. ``'sum axes=(1,)'``."""
    parts = [t.op or ""]
    for key, value in t.params.items():
        if value is False or value is None:
            continue  # defaults such as keepdims=False only add noise
        if t.op == "getitem" and key == "index":  # as the user wrote it: [:, 2], not (slice(None, None, None), 2)
            parts.append(index_text(value)[:limit])
            continue
        if isinstance(value, np.ndarray):
            text = f"array{value.shape}"
        elif isinstance(value, np.dtype):
            text = str(value)
        else:
            text = repr(value)
        if len(text) > limit:
            text = text[: limit - 1] + "\u2026"
        parts.append(f"{key}={text}")
    return " ".join(parts)


def index_text(index: object) -> str:
    """An index as Python writes it: ``index_text((slice(None), 2))`` -> ``'[:, 2]'``; ``'[1:3, ::-1]'``."""

    def part(p: object) -> str:
        if isinstance(p, slice):
            bounds = ["" if b is None else str(b) for b in (p.start, p.stop)]
            return ":".join(bounds + ([] if p.step is None else [str(p.step)]))
        if p is Ellipsis:
            return "..."
        if isinstance(p, np.ndarray):
            if p.dtype == np.bool_ or p.ndim != 1 or p.size > 6:
                return f"{'mask' if p.dtype == np.bool_ else 'array'}{p.shape}"
            return str(p.tolist())  # a[[0, 2]] reads [[0, 2]]
        if isinstance(p, np.integer):
            return str(int(p))  # numpy 2's repr says np.int64(2)
        return repr(p)  # ints, None (a new axis)

    return "[" + ", ".join(map(part, index if isinstance(index, tuple) else (index,))) + "]"


def escape(text: object) -> str:
    """Text made safe for a Graphviz HTML-like label."""
    return html.escape(str(text), quote=True)
