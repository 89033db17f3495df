"""The chain rule, spelled out: ``explain(loss, w)``.

A gradient is a sum over paths: for every path from the loss L back to w, multiply
the local derivatives along it (∂L/∂ŷ · ∂ŷ/∂a · … · ∂z/∂w), then add the paths.
``explain`` computes each factor from the recorded graph, prints the products and
their sum, and highlights the paths in the picture.

For tensors the local derivative of an edge is a Jacobian. ``explain`` does not
build Jacobians: it carries the gradient along each path by vector-Jacobian
products (what backward itself does), so each path's *contribution* to ∂L/∂w is
exact and the contributions still add up to ``w.grad``. Edges between one-element
tensors show their local derivative as a number; other edges show ``J[op]``.
"""

from __future__ import annotations

import os
import pathlib
from itertools import pairwise
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import numpy.typing as npt

import autograd_core as ag
from autograd_core import Tensor

from .format import NUMBER_FORMAT, check_number_format, format_array, format_number, format_sum, loss_name, tensor_names
from .gradients import edge_vjp, local_derivative, refuse_changed, refuse_unrecorded, seed_for
from .layout import GraphPlan, module_kind
from .paths import Edge, list_paths, reaching

if TYPE_CHECKING:
    import graphviz

MAX_FACTORS_SHOWN = 12  # a longer path prints its first and last 6 factors
SAME_ROUTE = "the same modules as an earlier path, through other ops inside them: group_modules=False shows which"

Array: TypeAlias = npt.NDArray[Any]
Factor: TypeAlias = tuple[str, str, "int | None", str]  # (child name, parent name, argument position, value text)


class ChainPath:
    """One path from the root back to the parameter.

    ``tensors`` runs root -> param; ``positions[k]`` is which input of ``tensors[k]``
    the path enters; ``local_derivatives[k]`` is d tensors[k] / d tensors[k+1] (None
    for a Jacobian); ``contribution`` is this path's share of dL/dparam.

    >>> w = ag.Tensor(2.0, requires_grad=True, label="w")
    >>> explanation = viz.explain((w * 3.0).sigmoid(), w)
    >>> explanation
    Explanation(∂sigmoid/∂w = 0.0074 over 1 path)
    >>> path = explanation.paths[0]
    >>> [explanation.name(t) for t in path.tensors], path.local_derivatives, path.contribution
    (['sigmoid', 'mul', 'w'], [0.002467, 3.0], array(0.0074))
    """

    def __init__(
        self, tensors: list[Tensor], positions: list[int], local_derivatives: list[float | None], contribution: Array
    ) -> None:
        self.tensors, self.positions = tensors, positions
        self.local_derivatives, self.contribution = local_derivatives, contribution

    def edges(self) -> list[tuple[Tensor, int]]:
        """(child tensor, input position) for each edge of the path."""
        return list(zip(self.tensors[:-1], self.positions))


class Explanation:
    """What ``explain`` found. ``print(it)`` for the text, ``.draw()`` for the picture.

    ``paths``: the ChainPaths listed (at most ``max_paths``); ``path_count``: all of
    them; ``total``: dL/dparam summed over every path (the chain rule's answer, equal
    to ``param.grad`` after ``loss.backward()``); ``unlisted``: the summed contribution
    of the paths past ``max_paths`` (zero when all are listed).
    """

    def __init__(
        self,
        root: Tensor,
        param: Tensor,
        names: dict[int, str],
        paths: list[ChainPath],
        path_count: int,
        total: Array,
        number_format: str,
        group_modules: bool = True,
    ) -> None:
        self._group_modules = group_modules
        self.root, self.param, self.paths, self.path_count = root, param, paths, path_count
        self.total = total
        self.unlisted = total - sum((p.contribution for p in paths), np.zeros_like(total))
        self._names, self._format = names, number_format
        self._plan: GraphPlan | None = None  # built when a module needs its kind read

    def name(self, t: Tensor) -> str:
        """The name this explanation (and ``draw_graph(root)``) uses for tensor ``t``; an unlabelled root
        made inside a scope (``F.cross_entropy``, an ``nn`` module) is named by it, not by its last op."""
        return self._names[id(t)]

    def _module_name(self, scope: str) -> str:
        """A module's name on a path; a Sequential's child (scope ``4``) with its kind, ``4:Linear``,
        as the picture's box says ``4: Linear(128→10)``: a bare number read as one (∂4/∂3)."""
        if not scope.isdigit():
            return scope
        if self._plan is None:
            self._plan = GraphPlan([self.root], "record", max_nodes=None, collapse_modules=False)
        kind = module_kind(self._plan, scope).split("(")[0]  # Linear(128→10): Linear
        return f"{scope}:{kind if kind[:1].isalpha() else 'module'}"

    def _number(self, array: Array, indent: int | None = None) -> str:
        """The values on one line, or numpy's rows under each other ``indent`` columns in (the text's equations)."""
        text = format_array(array, self._format)
        return "".join(text.split("\n")) if indent is None else text.replace("\n", "\n" + " " * indent)

    def text(self) -> str:
        """The chain rule for every listed path, its product and the sum over paths."""
        L, w = self.name(self.root), self.name(self.param)
        plural = "path" if self.path_count == 1 else "paths"
        lines = [
            f"∂{L}/∂{w} by the chain rule: {self.path_count:,} {plural} from {L} back to {w}",
            "(multiply the local derivatives along each path, then add up the paths)",
            "",
        ]
        repeated = self._repeated_routes()
        for k, path in enumerate(self.paths, 1):
            lines += self._path_lines(k, path) + ([f"  ({SAME_ROUTE})"] if k - 1 in repeated else []) + [""]
        if len(self.paths) < self.path_count:
            rest = self.path_count - len(self.paths)
            lines += [
                f"… and {rest:,} more paths (max_paths={len(self.paths)}), contributing "
                f"{self._number(self.unlisted)} together",
                "",
            ]
        last = f"sum over the {self.path_count:,} {plural}: ∂{L}/∂{w} = "
        if 1 < len(self.paths) == self.path_count and self.total.size == 1:  # the terms added: ∂e/∂b = 2 + 3 = 5
            last += format_sum([p.contribution.item() for p in self.paths], self._format) + " = "
        lines.append(last + self._number(self.total, len(last)))
        return "\n".join(lines)

    def _factors(self, path: ChainPath) -> tuple[list[str], list[Factor]]:
        """(names root -> param, [(child, parent, argument position or None, value text)]) of a path.

        A factor between one-element tensors is its number; otherwise the Jacobian is named
        with its shape, J(out ← in), e.g. J(16×2 ← 2×32): applied as a vector-Jacobian product.
        Consecutive tensors made inside one module (``t.scope``, e.g. ``layers.3``) are shown as
        that module, one factor for its whole map, so a deep net reads layer by layer.
        """
        steps: list[list[Any]] = []  # [name, first tensor, last tensor, number or None] per shown stop on the path
        modules: list[int] = []  # steps named by their module
        for k, t in enumerate(path.tensors):
            scope = t.scope if self._group_modules and k > 0 else None
            if scope and steps and steps[-1][0] == scope:
                steps[-1][2] = t
                d = path.local_derivatives[k - 1]
                steps[-1][3] = None if d is None or steps[-1][3] is None else steps[-1][3] * d
            else:
                modules += [len(steps)] if scope else []
                steps.append([scope or self.name(t), t, t, 1.0])
        for m in modules:
            steps[m][0] = self._module_name(steps[m][0])
        names: list[str] = [step[0] for step in steps]
        factors: list[Factor] = []
        k = 0
        for (child, first, last, inner), (parent, entry, _, _) in pairwise(steps):
            while path.tensors[k] is not last:
                k += 1
            d = path.local_derivatives[k]
            d = None if d is None or inner is None else inner * d
            position = path.positions[k] if sum(p is entry for p in last.parents) > 1 else None
            # a*a uses a twice: say which argument, or paths through each look the same
            value = (
                f"({format_number(d, self._format)})" if d is not None else f"J({_dims(first)} \u2190 {_dims(entry)})"
            )
            factors.append((child, parent, position, value))
        return names, factors

    def _repeated_routes(self) -> set[int]:
        """Indices of listed paths that read as an earlier one: they differ only inside a module.
        A factor's argument position is part of its route: ``b * b``'s two paths read ``[arg 0]``/``[arg 1]``."""
        routes = [tuple((c, p, position) for c, p, position, _ in self._factors(path)[1]) for path in self.paths]
        return {k for k, route in enumerate(routes) if route in routes[:k]}

    def _path_lines(self, k: int, path: ChainPath) -> list[str]:
        names, factors = self._factors(path)
        header = f"path {k} of {self.path_count:,}: " + " ← ".join(_elide(names, " ← "))
        if len(names) == 1:
            return [header, f"  ∂{names[0]}/∂{names[0]} = 1"]
        symbols = [
            f"∂{child}/∂{parent}" + (f"[arg {position}]" if position is not None else "")
            for child, parent, position, _ in factors
        ]
        values = [value for *_, value in factors]
        lead = f"  ∂{names[0]}/∂{names[-1]} = "
        pad = " " * (len(lead) - 2) + "= "
        lines = [
            header,
            lead + " · ".join(_elide(symbols, "·")),
            pad + " · ".join(_elide(values, "·")),
            pad + self._number(path.contribution, len(pad)),
        ]
        if any(value.startswith("J(") for *_, value in factors):
            lines.append(" " * len(lead) + "(J(out ← in): a Jacobian, applied as a vector-Jacobian product)")
        return lines

    def _repr_html_(self) -> str:
        """Jupyter: the paths with their numbers, and the graph with the paths highlighted."""
        from html import escape

        L, w = escape(self.name(self.root)), escape(self.name(self.param))
        items = []
        repeated = self._repeated_routes()
        for k, path in enumerate(self.paths):
            names, factors = self._factors(path)
            chain = " ← ".join(escape(n) for n in _elide(names, " ← ")) + (f" ({SAME_ROUTE})" if k in repeated else "")
            symbols = " · ".join(_elide([f"∂{escape(c)}/∂{escape(p)}" for c, p, _, _ in factors], "·")) or "1"
            values = " · ".join(_elide([escape(v) for *_, v in factors], "·")) or "1"
            items.append(
                f"<li><div>{chain}</div><div>∂{L}/∂{w} = {symbols}</div>"
                f"<div>= {values} = <b>{escape(self._number(path.contribution))}</b></div></li>"
            )
        rest = ""
        if len(self.paths) < self.path_count:
            rest = (
                f"<p>… and {self.path_count - len(self.paths):,} more paths, contributing "
                f"{escape(self._number(self.unlisted))} together</p>"
            )
        return (
            f'<div class="viz-explain"><p><b>∂{L}/∂{w} = {escape(self._number(self.total))}</b>: '
            f"the chain rule over {self.path_count:,} path{'s' if self.path_count != 1 else ''} "
            f"(multiply the local derivatives along each path, then add up the paths)</p>"
            f'<ol style="font-family: monospace">{"".join(items)}</ol>{rest}{self._picture_svg()}</div>'
        )

    def _picture_svg(self) -> str:
        from .render import GraphvizNotFoundError, pipe_dot

        try:
            svg = pipe_dot(self.draw(), "svg", "explain").decode("utf-8")
        except GraphvizNotFoundError:
            return "<p>(install Graphviz to see the highlighted graph)</p>"
        return '<svg style="max-width: 100%; height: auto"' + svg[svg.index("<svg") + 4 :]

    def _repr_markdown_(self) -> str:
        """The chain rule as LaTeX math (Markdown renderers that prefer it, e.g. GitHub)."""
        from .explain_tex import markdown

        return markdown(self)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return (
            f"Explanation(∂{self.name(self.root)}/∂{self.name(self.param)} = "
            f"{self._number(self.total)} over {self.path_count:,} path{'s' if self.path_count != 1 else ''})"
        )

    def highlight(self) -> dict[tuple[Tensor, int], str]:
        """{(child, input position): label} for every edge on a listed path (``draw_graph`` uses it)."""
        edges: dict[tuple[Tensor, int], str] = {}
        for path in self.paths:
            for (child, position), d in zip(path.edges(), path.local_derivatives):
                edges[(child, position)] = "×J" if d is None else f"×({format_number(d, self._format)})"
        return edges

    def draw(self, **draw_options: Any) -> graphviz.Digraph:
        """The graph with the listed paths in orange, each edge labelled by its local derivative.

        >>> w0 = ag.Tensor(2.0, requires_grad=True, label="w0")
        >>> f = (w0 * -1.0).sigmoid()
        >>> explanation = viz.explain(f, w0)
        >>> graph = explanation.draw(style="circuit")   # a graphviz.Digraph: inline in Jupyter
        >>> explanation.render("paths.svg", style="circuit")
        PosixPath('paths.svg')
        """
        from .graph import draw_graph

        draw_options.setdefault(
            "title",
            f"∂{self.name(self.root)}/∂{self.name(self.param)} = {self._number(self.total)}: the highlighted paths",
        )
        return draw_graph(self.root, highlight=self.highlight(), **draw_options)

    def render(self, path: str | os.PathLike[str], **draw_options: Any) -> pathlib.Path:
        """Save ``draw()``'s picture (suffix picks the format, as ``render_graph``)."""
        from .render import render_graph

        return render_graph(self.draw(**draw_options), path)


def _dims(t: Tensor) -> str:
    return "\u00d7".join(map(str, t.shape)) or "1"


def _elide(items: list[str], joiner: str) -> list[str]:
    if len(items) <= MAX_FACTORS_SHOWN:
        return items
    half = MAX_FACTORS_SHOWN // 2
    return items[:half] + [f"… {len(items) - 2 * half} more …"] + items[-half:]


def explain(
    root: Tensor, param: Tensor, max_paths: int = 32, number_format: str = NUMBER_FORMAT, group_modules: bool = True
) -> Explanation:
    """Every chain-rule path from ``root`` (a loss) back to ``param``, with its local derivatives.

    Returns an ``Explanation``: ``print`` it for the ∂L/∂w = ∂L/∂ŷ · ∂ŷ/∂a · … lines,
    ``.draw()`` for the picture with the paths highlighted. ``.total`` (the sum over
    paths) equals ``param.grad`` after ``root.backward()`` — the chain rule, checked.
    The number of paths can grow exponentially; the first ``max_paths`` are listed
    and the rest summed. Backward need not have run; a graph whose values were changed in
    place since its forward pass (an optimizer step) is refused, as backward refuses it.
    Ops made inside an ``nn`` module are shown as that module, one factor each (a Sequential's
    ``2`` as ``2:Linear``; ``group_modules=False``: op by op); an unlabelled loss is named by
    the function that made it (``cross_entropy``, not ``div``).

    >>> w0 = ag.Tensor(2.0, requires_grad=True, label="w0")
    >>> f = (w0 * -1.0).sigmoid()
    >>> print(viz.explain(f, w0))
    ∂sigmoid/∂w0 by the chain rule: 1 path from sigmoid back to w0
    (multiply the local derivatives along each path, then add up the paths)
    <BLANKLINE>
    path 1 of 1: sigmoid ← mul ← w0
      ∂sigmoid/∂w0 = ∂sigmoid/∂mul · ∂mul/∂w0
                   = (0.105) · (-1)
                   = -0.105
    <BLANKLINE>
    sum over the 1 path: ∂sigmoid/∂w0 = -0.105
    """
    if not isinstance(root, ag.Tensor):
        raise TypeError(
            f"explain: root must be a Tensor (the loss), got {type(root).__module__}.{type(root).__qualname__}"
        )
    if not isinstance(param, ag.Tensor):
        raise TypeError(f"explain: param must be a Tensor of root's graph, got {type(param).__name__}")
    check_number_format(number_format, "explain")
    if not isinstance(max_paths, int) or max_paths < 1:
        raise ValueError(f"explain: max_paths must be a positive int, got {max_paths!r}")
    if param.dtype.kind not in "fc":  # the vjp, cast to param's dtype, truncated: w = 0.5 read as 0
        raise ValueError(
            f"explain: param ({param.label or 'shape ' + str(param.shape)}) has dtype {param.dtype}: "
            "integer and boolean tensors have no gradient (only floating ones can require grad, as in PyTorch); "
            "make it floating (.float()) before the ops to see its derivative"
        )
    tensors = ag.walk(root)
    index = {id(t): i for i, t in enumerate(tensors)}
    if id(param) not in index:
        refuse_unrecorded(root, "explain")
        raise ValueError(
            f"explain: param ({param.label or 'shape ' + str(param.shape)}) is not in the graph of "
            "root: root was not computed from it (or from a detached copy of it)"
        )
    if root.size != 1:  # seed_for's hint, grad=, is animate_backward's: explain takes none
        raise ValueError(
            f"explain: root has shape {root.shape}; the chain rule starts from a one-element tensor (a loss). "
            "Reduce it first, explain(root.sum(), param), or pick one element, explain(root[0], param)"
        )
    refuse_changed(tensors, "explain")
    seed = seed_for(root, None, "explain")
    target = index[id(param)]
    names = {id(t): name for t, name in zip(tensors, tensor_names(tensors))}
    names[id(root)] = loss_name(root, names[id(root)])
    reaches, count = reaching(tensors, index, target)
    paths = [
        _chain_path(tensors, edges, seed)
        for edges in list_paths(tensors, index, reaches, target, len(tensors) - 1, max_paths)
    ]
    total = _total(tensors, index, reaches, target, seed)
    return Explanation(root, param, names, paths, count[len(tensors) - 1], total, number_format, group_modules)


def _chain_path(tensors: list[Tensor], edges: list[Edge], seed: Array) -> ChainPath:
    g = seed
    chain = [tensors[edges[0][0]]] if edges else [tensors[-1]]
    positions: list[int] = []
    derivatives: list[float | None] = []
    for child_index, position in edges:
        child = tensors[child_index]
        g = edge_vjp(child, position, g)
        positions.append(position)
        derivatives.append(local_derivative(child, position))
        chain.append(child.parents[position])
    return ChainPath(chain, positions, derivatives, np.asarray(g))


def _total(tensors: list[Tensor], index: dict[int, int], reaches: list[bool], target: int, seed: Array) -> Array:
    """dL/dparam over every path at once: reverse accumulation restricted to the paths' edges."""
    grads = {len(tensors) - 1: seed}
    for i in range(len(tensors) - 1, target, -1):
        if i not in grads or not reaches[i]:
            continue
        for position, parent in enumerate(tensors[i].parents):
            j = index[id(parent)]
            if reaches[j]:
                share = edge_vjp(tensors[i], position, grads[i])
                grads[j] = share if j not in grads else grads[j] + share
    return np.asarray(grads.get(target, np.zeros(tensors[target].shape)))
