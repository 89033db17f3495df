"""DOT for a ``GraphPlan`` (``draw_graph`` decides what to show; this writes it): a record box or
cs231n wire per tensor, an ellipse or gate per op, a box per collapsed module, edges labelled with
shapes and operand order, the highlighted paths (the legend: legend.py)."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

import graphviz
import numpy.typing as npt

from autograd_core import Tensor

from .format import (
    FILL,
    GRAD_COLOUR,
    HIGHLIGHT_COLOUR,
    MUTED_COLOUR,
    NUMBER_FORMAT,
    OP_SYMBOL,
    VALUE_COLOUR,
    escape,
    format_array,
    format_shape,
    is_constant,
    leaf_kind,
    op_description,
)
from .gradients import NOT_RECORDED
from .layout import GraphPlan, Unit, format_dims, module_kind
from .legend import add_legend
from .render import PNG_DPI, DrawnGraph

# Past this many drawn boxes (full=True on a big graph), dot's x placement is bounded: its network simplex runs
# over a virtual node per rank each long edge crosses (a 6th derivative of tanh: 23,404 of them, 47 s of 60 s).
BOUNDED_PLACEMENT_UNITS = 300

# Ops whose inputs do not commute: their edges say which operand is which (a − b, a / b, a @ b, a ** b;
# linear, nn.Linear's x @ W.T + b: a @ bᵀ + c), by the op and its number of inputs.
OPERAND_ORDER: dict[tuple[str | None, int], str] = {
    ("sub", 2): "a \u2212 b",
    ("div", 2): "a / b",
    ("matmul", 2): "a @ b",
    ("linear", 2): "a @ b\u1d40",
    ("linear", 3): "a @ b\u1d40 + c",
    ("pow", 2): "a ** b",
}

NOTE_STYLE = {"style": "filled,dashed", "fillcolor": FILL["hidden"], "fontcolor": MUTED_COLOUR}  # what is not drawn

# Orange edges: (child tensor, input position) pairs, or a mapping from them to a label (explain's derivatives).
Highlight: TypeAlias = "Iterable[tuple[Tensor, int]] | Mapping[tuple[Tensor, int], str | None]"
ResolvedHighlight: TypeAlias = "dict[tuple[int, int], str | None]"  # the same, the child by its walk index
# grad_of(i, t) -> (gradient or None, partial): the gradient a picture shows for tensor i
GradOf: TypeAlias = "Callable[[int, Tensor], tuple[npt.NDArray[Any] | None, bool]]"
Tree: TypeAlias = "dict[tuple[str, ...], list[Unit]]"  # cluster path ("layers", "layers.0") -> its units


@dataclass
class DrawOptions:
    """How ``build_digraph`` draws a plan (``draw_graph``'s arguments, resolved)."""

    show_data: bool = True
    show_grad: bool = True
    rankdir: str = "LR"
    style: str = "record"
    legend: bool = True
    number_format: str = NUMBER_FORMAT
    title: str | None = None
    max_size: float | None = None  # pixels on either side; None: unbounded
    element_ids: bool = False  # SVG ids (t<i>, op<i>, edges e<op>_<position>, wires w<i>) for scripts to find


def build_digraph(
    plan: GraphPlan,
    options: DrawOptions,
    highlight: ResolvedHighlight | None = None,
    grad_of: GradOf | None = None,
    focus: int | None = None,
    notes: ResolvedHighlight | None = None,
) -> graphviz.Digraph:
    """DOT for a plan. ``grad_of(i, t) -> (array or None, partial)`` overrides ``t.grad``
    (the backward animation shows gradients as they arrive); ``focus`` is a tensor index
    drawn highlighted; ``notes`` are edge label lines drawn in plain colours (the animation's
    page lays its shares out once and shows each in its own frame)."""
    return _Drawer(plan, options, highlight or {}, grad_of, focus, notes or {}).digraph()


class _Drawer:
    def __init__(
        self,
        plan: GraphPlan,
        options: DrawOptions,
        highlight: ResolvedHighlight,
        grad_of: GradOf | None,
        focus: int | None,
        notes: ResolvedHighlight,
    ) -> None:
        self.plan, self.o, self.highlight, self.notes = plan, options, highlight, notes
        self.grad_of: GradOf = grad_of or (lambda i, t: (t.grad, False))
        self.focus = focus
        self.circuit = options.style == "circuit"
        # Wires are met at the ends of their line (LR/RL), or through value and gradient (TB/BT).
        self.wire_in, self.wire_out = {
            "LR": (":v:sw", ":v:se"),
            "RL": (":v:se", ":v:sw"),
            "TB": (":v:n", ":g:s"),
            "BT": (":g:s", ":v:n"),
        }[options.rankdir]
        self.roots = set(plan.root_indices)
        self.visible = set(plan.visible)
        # Ops that send a highlighted gradient glow; values glow at both ends of a highlighted edge.
        self.hot_ops = {c for c, _ in highlight} | ({focus} if focus is not None else set())
        self.hot: set[Unit] = set(self.hot_ops)
        self.hot.update(plan.unit(plan.index[id(plan.tensors[c].parents[p])]) for c, p in highlight)

    # ------------------------------------------------------------ assembly
    def digraph(self) -> graphviz.Digraph:
        g = DrawnGraph(
            "computation_graph",
            node_attr={"fontname": "Helvetica", "fontsize": "11"},
            edge_attr={"arrowsize": "0.6", "fontname": "Helvetica", "fontsize": "10"},
        )
        g.attr(
            rankdir=self.o.rankdir,
            fontname="Helvetica",
            nodesep="0.25",
            ranksep="0.3" if self.circuit else "0.35",
            ordering="in",
        )  # inputs drawn in argument order
        if len(self.plan.visible) > BOUNDED_PLACEMENT_UNITS:
            g.attr(nslimit="2")  # at most 2 x (nodes) simplex iterations: a little wider, minutes sooner
        if self.o.title:
            g.attr(label=graphviz.nohtml(self.o.title), labelloc="t", fontsize="14")  # "<loss>" as written
        if self.o.max_size:
            inches = self.o.max_size / float(PNG_DPI)  # a PNG renders at PNG_DPI; an SVG (96 px/in) is smaller
            g.attr(size=f"{inches:.2f},{inches:.2f}")
        tree: Tree = {}
        for unit in self.plan.visible:
            tree.setdefault(self.plan.cluster_path(unit), []).append(unit)
        self._emit_cluster(g, (), tree)
        summary = self.plan.hidden_summary()
        if summary:
            g.node("hidden", "\\n".join(escape(line) for line in summary.split("\n")), shape="note", **NOTE_STYLE)
        roots = [self.plan.tensors[i] for i in self.plan.root_indices]
        if all(t.is_leaf and not t.requires_grad for t in roots):  # the forgotten requires_grad=True
            text = NOT_RECORDED.format(name=", ".join(self.plan.names[i] for i in self.plan.root_indices))
            g.node("unrecorded", "\\n".join(map(escape, textwrap.wrap(text, 48))), shape="note", **NOTE_STYLE)
        for unit in self.plan.visible:
            self._edges_into(g, unit)
        if self.o.legend:
            add_legend(g, self.circuit, bool(self.highlight or self.notes), self.o.rankdir)
        return g

    def _emit_cluster(self, container: graphviz.Digraph, path: tuple[str, ...], tree: Tree) -> None:
        for unit in tree.get(path, ()):
            self._unit(container, unit)
        children = sorted({p[: len(path) + 1] for p in tree if len(p) > len(path) and p[: len(path)] == path})
        for child in children:
            name = child[-1]
            with container.subgraph(name="cluster_" + name) as sub:
                kind = module_kind(self.plan, name)
                sub.attr(
                    label=f"{name}: {kind}" if kind else name,
                    style="rounded,dashed",
                    color=MUTED_COLOUR,
                    fontcolor=MUTED_COLOUR,
                    fontsize="11",
                )
                self._emit_cluster(sub, child, tree)

    # ------------------------------------------------------------ nodes
    def _unit(self, g: graphviz.Digraph, unit: Unit) -> None:
        if not isinstance(unit, int):
            return self._module_box(g, unit)
        t = self.plan.tensors[unit]
        if not t.is_leaf:
            self._op_node(g, unit, t)
        if self.circuit:
            self._wire(g, unit, t)
        else:
            self._record(g, unit, t)

    def _values(self, i: int, t: Tensor) -> tuple[str | None, str | None]:
        """(value text, grad text or None) for tensor i, as options ask."""
        value = format_array(t.data, self.o.number_format) if self.o.show_data else None
        grad = None
        if self.o.show_grad and t.requires_grad:
            array, partial = self.grad_of(i, t)
            grad = format_array(array, self.o.number_format) + (" +\u2026" if partial and array is not None else "")
        return value, grad

    def _record(self, g: graphviz.Digraph, i: int, t: Tensor) -> None:
        kind = "output" if i in self.roots else leaf_kind(t)
        value, grad = self._values(i, t)
        border = f' color="{HIGHLIGHT_COLOUR}" border="3"' if i in self.hot else ' border="1"'
        rows = [
            f"<tr><td><b>{escape(self.plan.names[i])}</b></td></tr>",
            f'<tr><td><font point-size="9" color="{MUTED_COLOUR}">{escape(format_shape(t))}</font></td></tr>',
        ]
        if value is not None:
            rows.append(f'<tr><td align="left"><font color="{VALUE_COLOUR}">data {escape(value)}</font></td></tr>')
        if grad is not None:
            rows.append(f'<tr><td align="left"><font color="{GRAD_COLOUR}">grad {escape(grad)}</font></td></tr>')
        label = (
            f'<<table{border} cellborder="0" cellspacing="0" cellpadding="3" bgcolor="{FILL[kind]}">'
            + "".join(rows)
            + "</table>>"
        )
        g.node(f"t{i}", label, shape="plaintext", margin="0", **self._id(f"t{i}"))

    def _op_node(self, g: graphviz.Digraph, i: int, t: Tensor) -> None:
        hot = {"color": HIGHLIGHT_COLOUR, "penwidth": "2.5"} if i in self.hot_ops else {}
        if self.circuit:
            op = t.op or ""
            symbol = OP_SYMBOL.get(op, op)
            g.node(
                f"op{i}",
                escape(symbol),
                shape="circle",
                style="filled",
                fillcolor=FILL["op"],
                width="0.45",
                height="0.45",
                fixedsize="shape",
                tooltip=escape(op_description(t)),
                **hot,
                **self._id(f"op{i}"),
            )
        else:
            lines = [op_description(t)]
            order = OPERAND_ORDER.get((t.op, len(t.parents)))
            if order:
                lines.append(order)
            for position, p in enumerate(t.parents):  # constants are written here, not drawn as boxes
                if self._is_inlined(p):
                    operand = f"{'abc'[position]} = " if order else "with "
                    lines.append(operand + format_array(p.data, self.o.number_format))
            label = "\\n".join(escape(line) for line in lines)  # DOT's \n: the next line
            g.node(f"op{i}", label, shape="ellipse", style="filled", fillcolor=FILL["op"], **hot, **self._id(f"op{i}"))

    def _wire(self, g: graphviz.Digraph, i: int, t: Tensor) -> None:
        """cs231n: the value above the line, the gradient below it; edges meet the line."""
        name = self.plan.names[i]
        value, grad = self._values(i, t)
        if is_constant(t):
            g.node(f"t{i}", escape(value if value is not None else name), shape="plaintext", fontcolor=MUTED_COLOUR)
            return
        line = HIGHLIGHT_COLOUR if i in self.hot else "black"
        width = "3" if i in self.hot else "1"
        top = f'<font color="{VALUE_COLOUR}">{escape(value)}</font>' if value is not None else " "
        rows = [f'<tr><td port="v" sides="b" border="{width}" color="{line}" width="64">{top}</td></tr>']
        if not t.is_leaf and i not in self.roots:  # the name captions and explain use, small above the value
            rows.insert(0, f'<tr><td><font point-size="8" color="{MUTED_COLOUR}">{escape(name)}</font></td></tr>')
        if grad is not None:
            rows.append(f'<tr><td port="g"><font color="{GRAD_COLOUR}">{escape(grad)}</font></td></tr>')
        else:
            rows.append('<tr><td port="g"> </td></tr>')  # keeps the line in the middle of the node
        label = '<<table border="0" cellborder="0" cellspacing="0" cellpadding="2">' + "".join(rows) + "</table>>"
        tooltip = escape(f"{name}: {format_shape(t)}")
        g.node(f"t{i}", label, shape="plaintext", margin="0", tooltip=tooltip, **self._id(f"t{i}"))
        wire = {"arrowhead": "none", "color": line, "penwidth": width}
        if t.is_leaf:
            self._name_box(g, i, name, leaf_kind(t))
            g.edge(f"n{i}", f"t{i}{self.wire_in}", **wire, **self._id(f"w{i}"))
        else:
            g.edge(f"op{i}", f"t{i}{self.wire_in}", **wire, **self._id(f"w{i}"))
        if i in self.roots and not t.is_leaf:
            self._name_box(g, i, name, "output")
            g.edge(f"t{i}{self.wire_out}", f"n{i}", **wire, **self._id(f"w{i}_out"))

    def _id(self, name: str) -> dict[str, str]:
        """An SVG id for a script to find the element by (``element_ids``), else nothing."""
        return {"id": name} if self.o.element_ids else {}

    def _name_box(self, g: graphviz.Digraph, i: int, name: str, kind: str) -> None:
        g.node(
            f"n{i}",
            f"<<b>{escape(name)}</b>>",
            shape="box",
            style="filled,rounded",
            fillcolor=FILL[kind],
            color=FILL[kind],
            height="0.3",
            margin="0.06,0.03",
        )

    def _module_box(self, g: graphviz.Digraph, unit: str) -> None:
        scope = unit[len("module:") :]
        members = [self.plan.tensors[i] for i in self.plan.members[unit]]
        kind = module_kind(self.plan, scope)
        lines = [f"<b>{escape(scope)}</b>" + (escape(f": {kind}") if kind else "")]
        if not kind or kind[0].isdigit():  # not a layer we can name: say what is inside
            listed = ", ".join(sorted({t.op for t in members if t.op})) or "none"
            inside = f"{len(members)} tensor{'s' if len(members) != 1 else ''}"
            # the ops once: the kind lists the module's own, which are often all of them
            lines.append(escape(inside if kind.endswith(f": {listed}") else f"{inside}; ops: {listed}"))
        for t in members:
            if t.is_leaf and t.requires_grad:
                name = str(t.label or "param").removeprefix(scope + ".")
                grad = "" if t.grad is None else f", |grad| max {format_array(abs(t.grad).max(), self.o.number_format)}"
                lines.append(escape(f"{name} {format_dims(t.shape) or 'scalar'}{grad}"))
        g.node(
            f"m{self.plan.members[unit][0]}",
            "<" + "<br/>".join(lines) + ">",
            shape="box",
            style="filled,rounded",
            fillcolor=FILL["module"],
        )

    # ------------------------------------------------------------ edges
    def _node_id(self, unit: Unit, as_source: bool) -> str:
        """Graphviz id of a unit as an edge end (a tensor's value node when it is the source)."""
        if unit not in self.visible:
            return "hidden"
        if not isinstance(unit, int):
            return f"m{self.plan.members[unit][0]}"
        t = self.plan.tensors[unit]
        if as_source:
            return f"t{unit}{self.wire_out}" if self.circuit and not is_constant(t) else f"t{unit}"
        return f"op{unit}" if not t.is_leaf else f"t{unit}"

    def _edges_into(self, g: graphviz.Digraph, unit: Unit) -> None:
        plan = self.plan
        if not isinstance(unit, int):
            entering: dict[Unit, int] = {}  # parent unit -> the first tensor it sends into the module
            for i in plan.members[unit]:
                for p in plan.tensors[i].parents:
                    j = plan.index[id(p)]
                    entering.setdefault(plan.unit(j), j)
            entering.pop(unit, None)
            drawn = set()
            for parent_unit, j in entering.items():
                source = self._node_id(parent_unit, True)
                if source not in drawn:  # several hidden parents: one arrow
                    drawn.add(source)
                    label = format_dims(plan.tensors[j].shape) if source != "hidden" else ""
                    g.edge(source, self._node_id(unit, False), **({"label": label} if label else {}))
            return
        t = plan.tensors[unit]
        if t.is_leaf:
            return
        if not self.circuit:
            hot = {"color": HIGHLIGHT_COLOUR, "penwidth": "2.5"} if unit in self.hot_ops else {}
            g.edge(f"op{unit}", f"t{unit}", **hot, **self._id(f"o{unit}"))
        shared = set()
        for position, parent in enumerate(t.parents):
            if not self.circuit and self._is_inlined(parent):
                continue  # written in the op's label
            j = plan.index[id(parent)]
            parent_unit = plan.unit(j)
            source = self._node_id(parent_unit, True)
            if not isinstance(parent_unit, int) or parent_unit not in self.visible:
                if source in shared:
                    continue  # one arrow from a module box or from the hidden part is enough
                shared.add(source)
            attrs = {"weight": "0"} if is_constant(parent) else {}  # a constant never pulls a chain sideways
            label = self._edge_label(t, position, j) if source != "hidden" else ""
            if (unit, position) in self.highlight:
                attrs |= {"color": HIGHLIGHT_COLOUR, "penwidth": "2.5", "fontcolor": HIGHLIGHT_COLOUR}
                derivative = self.highlight[(unit, position)]
                if derivative:
                    label = f"{label}\\n{escape(derivative)}" if label else escape(derivative)
            elif note := self.notes.get((unit, position)):
                label = f"{label}\\n{escape(note)}" if label else escape(note)
            if label:
                attrs["label"] = label
            g.edge(source, f"op{unit}", **attrs, **self._id(f"e{unit}_{position}"))

    def _is_inlined(self, p: Tensor) -> bool:
        j = self.plan.index[id(p)]
        return j in self.plan.folded and is_constant(p)

    def _edge_label(self, t: Tensor, position: int, j: int) -> str:
        """What flows along an edge: operand a/b of a non-commutative op, the shape, a folded ᵀ."""
        parts = []
        if (t.op, len(t.parents)) in OPERAND_ORDER:
            parts.append("abc"[position])
        dims = format_dims(self.plan.tensors[j].shape)
        if dims:
            parts.append(dims + (" (transposed)" if j in self.plan.folded and self.plan.tensors[j].op else ""))
        return escape(": ".join(parts))
