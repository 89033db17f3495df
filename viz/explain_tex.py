"""``viz.explain`` as LaTeX: the Markdown a notebook or GitHub renders (``Explanation._repr_markdown_``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .explain import MAX_FACTORS_SHOWN, Factor

if TYPE_CHECKING:
    from .explain import Explanation


def markdown(explanation: Explanation) -> str:
    """The total as a display equation, then each listed path's product as a numbered line.

    >>> w = ag.Tensor(2.0, requires_grad=True, label="w")
    >>> print(markdown(viz.explain(w * 3.0, w)))
    $$\\frac{\\partial \\mathrm{mul}}{\\partial \\mathrm{w}} = \\text{3}\\quad\\text{over 1 path}$$
    <BLANKLINE>
    1. $\\frac{\\partial \\mathrm{mul}}{\\partial \\mathrm{w}} = ... = \\text{(3)} = \\text{3}$
    """
    e = explanation
    L, w = _tex(e.name(e.root)), _tex(e.name(e.param))
    lines = [
        f"$$\\frac{{\\partial {L}}}{{\\partial {w}}} = {_tex_number(e._number(e.total))}"
        f"\\quad\\text{{over {e.path_count:,} path{'s' if e.path_count != 1 else ''}}}$$",
        "",
    ]
    for k, path in enumerate(e.paths, 1):
        _names, factors = e._factors(path)
        symbols = " \\cdot ".join(
            f"\\frac{{\\partial {_tex(c)}}}{{\\partial {_tex(p)}}}" for c, p, _, _ in _elide_factors(factors)
        )
        values = " \\cdot ".join(_tex_number(v) for *_, v in _elide_factors(factors))
        lines.append(
            f"{k}. $\\frac{{\\partial {L}}}{{\\partial {w}}} = {symbols or '1'} = {values or '1'}"
            f" = {_tex_number(e._number(path.contribution))}$"
        )
    return "\n".join(lines)


TEX_ESCAPES = {c: "\\" + c for c in "_&%$#{}"} | {
    "\\": "\\backslash ",
    "^": "\\hat{}",
    "~": "\\sim ",
    " ": "\\ ",
    "\u2026": "\\dots ",
}


def _tex(name: str) -> str:
    """A tensor name as LaTeX: add₃ -> \\mathrm{add}_{3}; TeX's special characters escaped (a label's
    ``&`` or ``%`` was a MathJax error, a ``$`` ended the math), spaces kept, ``…`` as ``\\dots``."""
    digits = "".join(c for c in name if c in "\u2080\u2081\u2082\u2083\u2084\u2085\u2086\u2087\u2088\u2089")
    base = name[: len(name) - len(digits)] if digits else name
    base = "".join(TEX_ESCAPES.get(c, c) for c in base)
    sub = "".join(str(ord(c) - 0x2080) for c in digits)
    return f"\\mathrm{{{base}}}" + (f"_{{{sub}}}" if sub else "")


def _tex_number(text: str) -> str:
    return "\\text{" + text.replace("\u2190", "\u2190") + "}"


def _elide_factors(factors: list[Factor]) -> list[Factor]:
    if len(factors) <= MAX_FACTORS_SHOWN:
        return factors
    half = MAX_FACTORS_SHOWN // 2
    return factors[:half] + [("\u2026", "\u2026", None, "\u2026")] + factors[-half:]
