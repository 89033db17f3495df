"""Which tensors a picture shows, how they are grouped, and what it hides.

A ``GraphPlan`` walks the recorded graph once (``ag.walk``: iterative, deterministic)
and decides the drawing's *units*: one per tensor, or one per ``nn`` module when
modules are collapsed. Past ``max_nodes`` it keeps the units nearest the roots
(breadth-first) and counts the rest, so a 10^6-node graph gives a small picture
that says what it left out — never a hairball, never a hang.

Defaults that keep any graph readable (``draw_graph``'s ``"auto"`` values):
modules collapse to one box each once the full picture would take more than
``AUTO_COLLAPSE_NODES`` Graphviz nodes; a graph more than ``DEEP_RANKS`` ops deep is
laid out top to bottom; a parameter's transpose (``x @ W.T`` written out; nn.Linear records
one ``linear`` op instead) is folded into the edge from the parameter (marked ᵀ) instead of drawn as an op.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import TypeAlias

import autograd_core as ag
from autograd_core import Tensor

from .format import is_constant, tensor_names

AUTO_COLLAPSE_NODES = 60  # past this many Graphviz nodes, modules collapse to one box each
DEEP_RANKS = 10  # past this many ops on the longest path, rankdir="auto" draws top to bottom
RANKDIRS = ("auto", "LR", "RL", "TB", "BT")  # Graphviz's directions, and "auto" (by depth)


def check_rankdir(rankdir: object, caller: str) -> None:
    """A ValueError, beginning with ``caller``, unless ``rankdir`` is one of ``RANKDIRS``."""
    if rankdir not in RANKDIRS:
        raise ValueError(f"{caller}: rankdir must be 'auto', 'LR', 'RL', 'TB' or 'BT', got {rankdir!r}")


MAX_DEPTH = 20  # draw_graph's default: ops farther than this from the roots are hidden

#: A unit of the drawing: a tensor's walk index, or ``"module:<scope>"`` for a collapsed module.
Unit: TypeAlias = int | str


def as_roots(root: Tensor | Sequence[Tensor], caller: str) -> list[Tensor]:
    """``root`` as a non-empty list of Tensors, or a TypeError naming what was given."""
    given: list[object] = list(root) if isinstance(root, (list, tuple)) else [root]
    if not given:
        raise ValueError(f"{caller}: got an empty list of roots; pass a Tensor or a list of Tensors")
    roots = []
    for r in given:
        if not isinstance(r, ag.Tensor):
            what = type(r).__module__ + "." + type(r).__qualname__
            # a model is drawn through what it computes (viz knows modules only by these two methods)
            model = callable(getattr(r, "parameters", None)) and callable(getattr(r, "forward", None))
            if model:
                hint = (
                    f"; draw what the model computes: {caller}(model(x)) or {caller}(loss_fn(model(x), y))"
                    " (python -m viz model FILE.npz draws a saved model)"
                )
            elif isinstance(getattr(r, "root", None), ag.Tensor):  # viz.explain's result: "wrap arrays" misled
                hint = "; it is drawn by its own .draw() / .render(path) (paths highlighted), or pass its .root"
            else:
                hint = "; wrap arrays with autograd_core.Tensor(...)"
            raise TypeError(
                f"{caller}: root must be a Tensor or a list of Tensors, got {what}"
                + (" inside the list" if r is not root else "")
                + hint
            )
        roots.append(r)
    return roots


def drawn_node_count(t: Tensor, is_root: bool, style: str) -> int:
    """Graphviz nodes one tensor costs: op or name node, plus its value node."""
    if style == "circuit":
        if is_constant(t):
            return 1
        return 2 + (1 if is_root and not t.is_leaf else 0)  # the root's wire ends at its name
    return 1 if t.is_leaf else 2


class GraphPlan:
    """The drawing's units (ints: walk indices of tensors; strings: collapsed modules).

    >>> w = Tensor([[1.0], [2.0]], requires_grad=True)
    >>> loss = (Tensor([[3.0, 4.0]]) @ w).sigmoid().sum()
    >>> plan = GraphPlan([loss], "record", max_nodes=200)
    >>> plan.visible[:3], plan.hidden_tensors          # all 5 tensors fit: none hidden
    ([0, 1, 2], 0)
    >>> GraphPlan([loss], "record", max_nodes=3).hidden_tensors
    4
    """

    def __init__(
        self,
        roots: list[Tensor],
        style: str,
        max_nodes: int | None = 200,
        group_modules: bool = True,
        collapse_modules: bool | int | str | None = None,
        fold_transposes: bool = True,
        max_depth: int | None = None,
    ) -> None:
        if max_nodes is not None and (not isinstance(max_nodes, int) or isinstance(max_nodes, bool) or max_nodes < 1):
            raise ValueError(f"draw_graph: max_nodes must be a positive int or None, got {max_nodes!r}")
        if max_depth is not None and (not isinstance(max_depth, int) or isinstance(max_depth, bool) or max_depth < 1):
            raise ValueError(f"draw_graph: max_depth must be a positive int or None, got {max_depth!r}")
        self.roots, self.style, self.max_nodes, self.max_depth = roots, style, max_nodes, max_depth
        self.tensors = ag.walk(roots)
        self.names = tensor_names(self.tensors)
        self.index = {id(t): i for i, t in enumerate(self.tensors)}
        self.root_indices = list(dict.fromkeys(self.index[id(r)] for r in roots))
        self.group_modules = group_modules
        self.scopes = {t.scope for t in self.tensors if t.scope}
        self._parameter_scope_cache: dict[str, str | None] = {}
        self.folded = self._riders(fold_transposes)
        roots_set = set(self.root_indices)
        ops = sum(1 for t in self.tensors if not t.is_leaf)
        full_cost = sum(
            drawn_node_count(t, i in roots_set, style) for i, t in enumerate(self.tensors) if i not in self.folded
        )
        if collapse_modules is None or collapse_modules == "auto":  # collapse only when the picture is big
            collapse_modules = bool(self.scopes) and full_cost > min(AUTO_COLLAPSE_NODES, max_nodes or full_cost)
        self.collapse_depth = self._collapse_depth(collapse_modules)
        self.unit_of, self.members = self._assign_units()
        self.visible = self._select(max_nodes, full_cost)
        visible = set(self.visible)
        shown = {i for u in self.visible for i in self.members_of(u)}
        shown |= {i for i in self.folded if self.unit_of[i] in visible}
        self.hidden_tensors = len(self.tensors) - len(shown)
        self.hidden_ops = ops - sum(1 for i in shown if not self.tensors[i].is_leaf)

    def _riders(self, fold_transposes: bool) -> dict[int, int]:
        """{i: host}: tensors drawn as part of another one instead of as nodes of their own.

        A transpose of a leaf (``x @ W.T`` written out) rides with the leaf: an edge marked
        "transposed". In the record style a constant (the ``1.01`` of ``y * 1.01``) rides with
        the op that uses it first, written into the op's label.
        """
        riders: dict[int, int] = {}
        roots = set(self.root_indices)
        for i, t in enumerate(self.tensors):
            if fold_transposes and t.op == "transpose" and t.parents[0].is_leaf and i not in roots:
                riders[i] = self.index[id(t.parents[0])]
            for p in t.parents:
                j = self.index[id(p)]
                if self.style == "record" and is_constant(p) and j not in roots:
                    riders.setdefault(j, i)
        return riders

    def unit(self, i: int) -> Unit:
        """The unit that shows tensor ``i``: ``i`` itself, its collapsed module, or for a folded
        transpose the unit of the leaf it transposes."""
        return self.unit_of[i]

    def members_of(self, unit: Unit) -> list[int]:
        """The walk indices of the tensors a unit shows."""
        return [unit] if isinstance(unit, int) else self.members[unit]

    def cost(self, unit: Unit) -> int:
        """Graphviz nodes a unit takes (a module box: one)."""
        if not isinstance(unit, int):
            return 1
        return drawn_node_count(self.tensors[unit], unit in self.root_indices, self.style)

    # ------------------------------------------------------------ modules
    def scope_of(self, i: int) -> str | None:
        """The module scope tensor ``i`` belongs to (None outside modules).

        Parameters are made outside ``Module.__call__`` so they carry no scope; nn labels
        them with dotted names ("layers.0.weight"), which places them in "layers.0".
        """
        t = self.tensors[i]
        if t.scope:
            return str(t.scope)
        if t.is_leaf and t.label and "." in str(t.label):
            module = str(t.label).rsplit(".", 1)[0]
            if module not in self._parameter_scope_cache:
                matches = sorted(s for s in self.scopes if s == module or s.endswith("." + module))
                self._parameter_scope_cache[module] = matches[0] if matches else None
            return self._parameter_scope_cache[module]
        return None

    @staticmethod
    def _collapse_depth(collapse_modules: bool | int | str | None) -> int | None:
        if collapse_modules is True:
            return 0  # 0: each module at its own (deepest) level
        if collapse_modules is False or collapse_modules is None:
            return None
        if isinstance(collapse_modules, int) and collapse_modules >= 1:
            return collapse_modules
        raise ValueError(
            f"draw_graph: collapse_modules must be True, False, None (auto) or a depth >= 1, got {collapse_modules!r}"
        )

    def _assign_units(self) -> tuple[list[Unit], dict[str, list[int]]]:
        units: list[Unit] = list(range(len(self.tensors)))
        members: dict[str, list[int]] = {}
        for i in range(len(self.tensors)):
            scope = self.scope_of(i) if self.collapse_depth is not None else None
            if scope:
                if self.collapse_depth:
                    scope = ".".join(scope.split(".")[: self.collapse_depth])
                units[i] = module = "module:" + scope
                members.setdefault(module, []).append(i)
        for i in range(len(self.tensors)):  # a rider's host may come later in walk order (a constant's op)
            if i in self.folded and not isinstance(units[i], str):
                host = self.folded[i]
                units[i] = units[self.folded[host]] if host in self.folded else units[host]
        return units, members

    def direction(self, rankdir: str = "auto") -> str:
        """``rankdir``, with "auto" resolved: top to bottom past ``DEEP_RANKS`` ops, else left to right."""
        if rankdir != "auto":
            return rankdir
        return "TB" if self.depth() > DEEP_RANKS else "LR"

    def depth(self) -> int:
        """Ops on the longest path through the visible units (rankdir="auto" reads it)."""
        visible = set(self.visible)
        depth: dict[Unit, int] = {}
        for unit in self.visible:  # walk order: parents first
            before = [depth[p] for p in self.parent_units(unit) if p in visible and p in depth]
            own = 0 if isinstance(unit, int) and self.tensors[unit].is_leaf else 1
            depth[unit] = own + max(before, default=0)
        return max(depth.values(), default=0)

    def cluster_path(self, unit: Unit) -> tuple[str, ...]:
        """Nested cluster names for a unit: "layers.0" -> ("layers", "layers.0")."""
        if not self.group_modules:
            return ()
        # A module box sits in its parent.
        scope = self.scope_of(unit) if isinstance(unit, int) else unit[len("module:") :].rpartition(".")[0]
        if not scope:
            return ()
        parts = scope.split(".")
        return tuple(".".join(parts[:k]) for k in range(1, len(parts) + 1))

    # ------------------------------------------------------------ structure
    def parent_units(self, unit: Unit) -> list[Unit]:
        """Units feeding ``unit``, in order, without repeats (for modules: from outside it)."""
        if isinstance(unit, int):
            return [
                u for u in dict.fromkeys(self.unit(self.index[id(p)]) for p in self.tensors[unit].parents) if u != unit
            ]
        found: dict[Unit, None] = {}
        for i in self.members[unit]:
            for p in self.tensors[i].parents:
                pu = self.unit(self.index[id(p)])
                if pu != unit:
                    found[pu] = None
        return list(found)

    def _all_units(self) -> list[Unit]:
        # in walk order of each unit's first tensor (a rider, such as a constant, does not place its host)
        return list(dict.fromkeys(u for i, u in enumerate(self.unit_of) if i not in self.folded or isinstance(u, str)))

    def _select(self, max_nodes: int | None, full_cost: int) -> list[Unit]:
        units = self._all_units()
        full_cost = sum(self.cost(u) for u in units)
        if (max_nodes is None or full_cost <= max_nodes) and self.max_depth is None:
            return units
        root_units = list(dict.fromkeys(self.unit(i) for i in self.root_indices))
        if max_nodes is None or full_cost <= max_nodes:
            chosen = self._nearest(root_units, full_cost)
            if len(chosen) == len(units):
                return units  # within max_depth too: nothing to hide
        budget = (full_cost + 1 if max_nodes is None else max_nodes) - 1  # one node says what was hidden
        needed = sum(self.cost(u) for u in root_units)
        if needed > budget:
            raise ValueError(
                f"draw_graph: max_nodes={max_nodes} cannot show even the roots "
                f"({needed} nodes + 1 for the hidden part); use max_nodes >= {needed + 1}"
            )
        chosen = self._nearest(root_units, budget)
        first = {u: min(self.members_of(u)) for u in chosen}
        return sorted(chosen, key=first.__getitem__)  # drawn in walk order: stable DOT

    def _nearest(self, root_units: list[Unit], budget: int) -> set[Unit]:
        """Units breadth-first from the roots within ``budget`` nodes and ``max_depth`` ops:
        the picture keeps what is nearest the output."""
        chosen: set[Unit] = set()
        queue, seen = deque((u, 1) for u in root_units), set(root_units)
        while queue:
            unit, depth = queue.popleft()
            if self.cost(unit) > budget:
                break
            budget -= self.cost(unit)
            chosen.add(unit)
            for parent in self.parent_units(unit):
                is_leaf = isinstance(parent, int) and self.tensors[parent].is_leaf
                parent_depth = depth + (0 if is_leaf else 1)  # a leaf sits beside the op that uses it
                if parent not in seen and (self.max_depth is None or parent_depth <= self.max_depth):
                    seen.add(parent)
                    queue.append((parent, parent_depth))
        return chosen

    def hidden_summary(self) -> str | None:
        """The text of the node that stands for what was left out (None if nothing was)."""
        if not self.hidden_tensors:
            return None
        leaves = self.hidden_tensors - self.hidden_ops
        depth = f", max_depth={self.max_depth}" if self.max_depth is not None else ""
        return (
            f"\u2026 {self.hidden_tensors:,} more tensors hidden ({self.hidden_ops:,} ops, {leaves:,} leaves)\n"
            f"to stay within max_nodes={self.max_nodes}{depth};\npass full=True (or larger limits) to see them"
        )


def format_dims(shape: tuple[int, ...]) -> str:
    """A shape as an edge shows it: ``(64, 32)`` -> ``'64×32'``; ``()`` -> ``''`` (scalars say nothing)."""
    return "\u00d7".join(str(n) for n in shape)


def module_kind(plan: GraphPlan, scope: str) -> str:
    """What a module scope computes, read from its ops (viz never imports nn): ``'Linear(2→32)'``,
    ``'ReLU'``, ``'Sigmoid'``, ``'Tanh'``, else ``'3 ops: exp, log, sum'`` (``''`` if it has no ops
    of its own, like a Sequential)."""
    own = [t for i, t in enumerate(plan.tensors) if t.scope == scope and not t.is_leaf and i not in plan.folded]
    ops = sorted(t.op or "" for t in own)  # own holds non-leaves: each has its op
    if not ops:
        return ""
    if len(ops) == 1 and ops[0] in SINGLE_OP_MODULES:
        return SINGLE_OP_MODULES[ops[0]]
    if ops in (["linear"], ["add", "linear"]):  # nn.Linear: x @ W.T + b (the linear op), or + b after it
        linear = next(t for t in own if t.op == "linear")
        weight, has_bias = linear.parents[1], len(ops) == 2 or len(linear.parents) == 3
        if weight.ndim == 2:
            return f"Linear({weight.shape[1]}\u2192{weight.shape[0]}{'' if has_bias else ', bias=False'})"
    if ops in (["matmul"], ["add", "matmul"]):  # x @ W (+ b), W a parameter or a folded W.T
        matmul = next(t for t in own if t.op == "matmul")
        weight = matmul.parents[1]
        if weight.ndim == 2 and (weight.requires_grad or plan.index[id(weight)] in plan.folded):
            bias = "" if len(ops) == 2 else ", bias=False"
            return f"Linear({weight.shape[0]}\u2192{weight.shape[1]}{bias})"
    distinct = sorted(set(ops))
    return f"{len(ops)} op{'s' if len(ops) != 1 else ''}: {', '.join(distinct)}"


SINGLE_OP_MODULES = {"relu": "ReLU", "sigmoid": "Sigmoid", "tanh": "Tanh"}
