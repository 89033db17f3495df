"""The evaluation trace of a recorded graph as a table, the way the AD literature writes it (Baydin et al.,
"Automatic Differentiation in Machine Learning: a Survey", Tables 2 and 3): the forward primal trace
(v₋₁ = x1, v₁ = log(v₋₁), ...), the forward tangent trace for chosen input tangents (v̇ᵢ, each op's jvp), and
the reverse adjoint trace (v̄ᵢ, each edge's share added as the engine's backward adds it).

Inputs (leaves) are numbered v₋ₙ₊₁ ... v₀ in the order they were met, ops v₁ ... vₗ in the order they ran;
a one-element unnamed constant is written as its number. Nothing is changed: the adjoints are replayed
(``backward_steps``), not stored in ``.grad``; the tangents come from ``ag.jvp`` of each op on its inputs.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.types import ArrayLike

from .format import NUMBER_FORMAT, check_number_format, format_array, format_number, is_constant, op_description
from .gradients import backward_steps, local_derivative, refuse_changed, refuse_unrecorded
from .layout import as_roots

INFIX = {"add": "+", "sub": "−", "mul": "×", "div": "/", "matmul": "@", "pow": "**"}
SUBSCRIPT = str.maketrans("-0123456789", "\u208b\u2080\u2081\u2082\u2083\u2084\u2085\u2086\u2087\u2088\u2089")
BAR, DOT = "\u0304", "\u0307"  # combining macron and dot above: v̄ (adjoint), v̇ (tangent)


@dataclass
class TraceLine:
    """One line of a trace: ``name = expression = value`` (``expression`` may be empty)."""

    name: str
    expression: str
    value: npt.NDArray[Any]

    def text(self, number_format: str = NUMBER_FORMAT) -> str:
        middle = f" = {self.expression}" if self.expression else ""
        value = " ".join(format_array(self.value, number_format).split())  # a (5, 1) array on one line
        return f"{self.name}{middle} = {value}"


class EvaluationTrace:
    """What ``evaluation_trace`` found: ``primal``, ``tangent`` (None without tangents) and ``adjoint``, each a
    list of ``TraceLine``; ``name(t)`` is tensor t's v-name. ``print`` it for the tables (Jupyter shows them)."""

    def __init__(
        self,
        primal: list[TraceLine],
        tangent: list[TraceLine] | None,
        adjoint: list[TraceLine],
        names: dict[int, str],
        number_format: str,
    ) -> None:
        self.primal, self.tangent, self.adjoint, self._names = primal, tangent, adjoint, names
        self._format = number_format

    def name(self, t: Tensor) -> str:
        """The v-name of tensor ``t`` in this trace (``v₋₁``, ``v₃``)."""
        if id(t) not in self._names:
            what = repr(t.label) if isinstance(t, Tensor) and t.label else f"this {type(t).__name__}"
            raise KeyError(f"{what} has no line in this trace: it is not in the graph, or a constant written inline")
        return self._names[id(t)]

    def text(self) -> str:
        parts = [("Forward primal trace", self.primal)]
        if self.tangent is not None:
            parts.append(("Forward tangent trace", self.tangent))
        parts.append(("Reverse adjoint trace (in the order backward adds each share)", self.adjoint))
        return "\n\n".join(
            title + "\n" + "\n".join(line.text(self._format) for line in lines) for title, lines in parts
        )

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return f"EvaluationTrace({len(self.primal)} primal, {len(self.adjoint)} adjoint lines)"

    def _repr_html_(self) -> str:  # Jupyter shows the tables, not the repr
        return f"<pre>{html.escape(self.text())}</pre>"


def evaluation_trace(
    root: Tensor,
    tangents: Mapping[Tensor, ArrayLike] | None = None,
    grad: ArrayLike | None = None,
    number_format: str = NUMBER_FORMAT,
) -> EvaluationTrace:
    """The primal, tangent and adjoint traces of the graph that made ``root``, line by line.

    ``tangents`` maps inputs (leaves) to their tangents ẋ (the others' are 0): each op's v̇ is its jvp along
    its inputs' v̇ (forward mode). The adjoint trace starts from ``grad`` (ones for a one-element root) and
    lists each op's shares in backward's order: a second share to the same v̄ reads ``v̄ = v̄ + ...``.

    >>> x1 = ag.Tensor(2.0, requires_grad=True, label="x1")
    >>> x2 = ag.Tensor(5.0, requires_grad=True, label="x2")
    >>> print(viz.evaluation_trace(x1 * x2 + x1, tangents={x1: 1.0}))
    Forward primal trace
    v₋₁ = x1 = 2
    v₀ = x2 = 5
    v₁ = v₋₁ × v₀ = 10
    v₂ = v₁ + v₋₁ = 12
    y = v₂ = 12
    <BLANKLINE>
    Forward tangent trace
    v̇₋₁ = 1
    v̇₀ = 0
    v̇₁ = ∂v₁/∂v₋₁ · v̇₋₁ + ∂v₁/∂v₀ · v̇₀ = 5 · 1 + 2 · 0 = 5
    v̇₂ = ∂v₂/∂v₁ · v̇₁ + ∂v₂/∂v₋₁ · v̇₋₁ = 1 · 5 + 1 · 1 = 6
    <BLANKLINE>
    Reverse adjoint trace (in the order backward adds each share)
    v̄₂ = ȳ = 1
    v̄₁ = v̄₂ · ∂v₂/∂v₁ = 1 · 1 = 1
    v̄₋₁ = v̄₂ · ∂v₂/∂v₋₁ = 1 · 1 = 1
    v̄₋₁ = v̄₋₁ + v̄₁ · ∂v₁/∂v₋₁ = 1 + 1 · 5 = 6
    v̄₀ = v̄₁ · ∂v₁/∂v₀ = 1 · 2 = 2
    x̄1 = v̄₋₁ = 6
    x̄2 = v̄₀ = 2
    """
    if isinstance(root, (list, tuple)):
        raise TypeError("evaluation_trace: pass one Tensor (the function's output y; sum several into one first)")
    (root,) = as_roots(root, "evaluation_trace")
    check_number_format(number_format, "evaluation_trace")
    refuse_unrecorded(root, "evaluation_trace")
    tensors = ag.walk(root)
    refuse_changed(tensors, "evaluation_trace")
    names = _v_names(tensors)
    number = lambda x: format_number(x, number_format)  # noqa: E731 (one line's numbers)
    primal = [_primal_line(t, names) for t in _in_order(tensors) if id(t) in names]
    primal.append(TraceLine(root.label or "y", names[id(root)], root.data))
    tangent = None if tangents is None else _tangent_lines(tensors, names, _seeds(tensors, tangents), number)
    return EvaluationTrace(primal, tangent, _adjoint_lines(root, tensors, names, grad, number), names, number_format)


def _v_names(tensors: list[Tensor]) -> dict[int, str]:
    leaves = [t for t in tensors if t.is_leaf and not is_constant(t)]
    names = {id(t): "v" + str(k - len(leaves) + 1).translate(SUBSCRIPT) for k, t in enumerate(leaves)}
    ops = sorted((t for t in tensors if not t.is_leaf), key=lambda t: t.op_number)  # the order they ran
    names.update({id(t): "v" + str(k + 1).translate(SUBSCRIPT) for k, t in enumerate(ops)})
    return names


def _marked(name: str, mark: str) -> str:
    """v₃ with a bar or a dot over its letter: v̄₃, v̇₃ (x1 -> x̄1). A label that does not start with a letter
    (an nn parameter's "0.weight") has no letter to mark: its adjoint is written ∂y/∂0.weight."""
    if name[:1].isalpha():
        return name[:1] + mark + name[1:]
    return f"∂y/∂{name}" if mark == BAR else f"d{name}"


def _in_order(tensors: list[Tensor]) -> list[Tensor]:
    """The survey's order: the inputs as met, then the ops as they ran."""
    return [t for t in tensors if t.is_leaf] + sorted((t for t in tensors if not t.is_leaf), key=lambda t: t.op_number)


def _operand(t: Tensor, names: dict[int, str]) -> str:
    return names.get(id(t)) or format_array(t.data)  # an inline constant: its number


def _primal_line(t: Tensor, names: dict[int, str]) -> TraceLine:
    if t.is_leaf:
        return TraceLine(names[id(t)], t.label or "", t.data)
    operands = [_operand(p, names) for p in t.parents]
    params = op_description(t)[len(t.op or "") :].strip()  # as the graph writes them: "axes=(1,)", "[:, 2]"
    if t.op == "getitem":
        return TraceLine(names[id(t)], operands[0] + params, t.data)
    if t.op in INFIX and len(operands) == 2 and not params:
        return TraceLine(names[id(t)], f" {INFIX[t.op]} ".join(operands), t.data)
    return TraceLine(names[id(t)], f"{t.op}({', '.join(operands)}) {params}".rstrip(), t.data)


def _seeds(tensors: list[Tensor], tangents: Mapping[Tensor, ArrayLike]) -> dict[int, npt.NDArray[Any]]:
    if not isinstance(tangents, Mapping):
        raise TypeError(f"evaluation_trace: tangents must be a dict {{input: tangent}}, got {type(tangents).__name__}")
    leaves = {id(t) for t in tensors if t.is_leaf}
    seeds = {}
    for x, v in tangents.items():
        if not isinstance(x, Tensor):
            raise TypeError(f"evaluation_trace: tangents' keys must be the input Tensors, got {type(x).__name__}")
        what = repr(x.label) if x.label else f"an input of shape {x.shape}"
        if id(x) not in leaves:
            raise ValueError(f"evaluation_trace: tangents names {what}, which is not an input (leaf) of root's graph")
        if not x.requires_grad:  # the ops on it alone were not recorded: a tangent could not reach root
            raise ValueError(
                f"evaluation_trace: {what} does not require grad, so its derivatives were not recorded; create it "
                "with requires_grad=True and compute root again"
            )
        seed = np.asarray(v, dtype=x.dtype)
        if seed.shape != x.shape:
            raise ValueError(
                f"evaluation_trace: the tangent of {what} has shape {seed.shape}; give it the input's shape {x.shape}"
            )
        seeds[id(x)] = seed
    return seeds


def _tangent_lines(tensors: list[Tensor], names: dict[int, str], seeds: dict[int, Any], number: Any) -> list[TraceLine]:
    dots = {id(t): seeds.get(id(t), np.zeros(t.shape, t.dtype)) for t in tensors if t.is_leaf}
    lines = [TraceLine(_marked(names[id(t)], DOT), "", dots[id(t)]) for t in tensors if t.is_leaf and id(t) in names]
    for t in _in_order(tensors):
        if t.is_leaf:
            continue
        moving = [k for k, p in enumerate(t.parents) if p.requires_grad]
        dots[id(t)] = _op_jvp(t, moving, [dots[id(t.parents[k])] for k in moving])
        v = names[id(t)]
        terms = [f"∂{v}/∂{names[id(t.parents[k])]} · {_marked(names[id(t.parents[k])], DOT)}" for k in moving]
        factors = [(local_derivative(t, k), dots[id(t.parents[k])]) for k in moving]
        if all(d is not None and np.size(g) == 1 for d, g in factors):  # scalars: the numbers, as the survey
            terms.append(" + ".join(f"{number(d)} · {number(np.asarray(g).item())}" for d, g in factors))
        lines.append(
            TraceLine(
                _marked(v, DOT), " = ".join([" + ".join(terms[: len(moving)])] + terms[len(moving) :]), dots[id(t)]
            )
        )
    return lines


def _op_jvp(t: Tensor, moving: list[int], dots: list[Any]) -> npt.NDArray[Any]:
    """J v̇ of the op that made ``t``, at its recorded inputs: the op run again on fresh copies, forward mode."""

    def op(*xs: Tensor) -> Tensor:
        given = dict(zip(moving, xs))
        args = [given[k] if k in given else Tensor(p.data) for k, p in enumerate(t.parents)]
        return Tensor.apply(t.prim, *args, **t.params)  # type: ignore[arg-type]

    primals = tuple(Tensor(t.parents[k].data) for k in moving)
    return np.asarray(ag.jvp(op, primals, tuple(Tensor(d) for d in dots))[1].data)


def _adjoint_lines(
    root: Tensor, tensors: list[Tensor], names: dict[int, str], grad: Any, number: Any
) -> list[TraceLine]:
    _, initial, steps = backward_steps(root, grad, "evaluation_trace")
    bar = {i: _marked(names[id(t)], BAR) for i, t in enumerate(tensors) if id(t) in names}
    root_index = len(tensors) - 1
    lines = [TraceLine(bar[root_index], "ȳ", initial[root_index])]
    running = dict(initial)  # v̄ so far, added up as backward_steps (and the engine) add the shares
    for step in steps:
        child = tensors[step.node]
        for position, j, share in step.deliveries:
            local = local_derivative(child, position)
            before = running.get(j)
            expression = f"{bar[step.node]} · ∂{names[id(child)]}/∂{names[id(child.parents[position])]}"
            if before is not None:
                expression = f"{bar[j]} + {expression}"
            if local is not None and step.grad.size == 1:  # scalars: the numbers, as the survey writes them
                expression += " = " + (f"{number(before.item())} + " if before is not None else "")
                expression += f"{number(step.grad.item())} · {number(local)}"
            running[j] = share if before is None else before + share
            lines.append(TraceLine(bar[j], expression, running[j]))
    for i, t in enumerate(tensors):  # the survey's x̄ᵢ = v̄ᵢ₋ₙ, for the inputs that have a name
        if t.is_leaf and t.requires_grad and t.label and i in running:
            lines.append(TraceLine(_marked(t.label, BAR), bar[i], running[i]))
    return lines
