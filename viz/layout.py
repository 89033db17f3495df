"""Which tensors a picture shows, how they are grouped, and what it hides.

A ``GraphPlan`` walks the recorded graph once (``ag.walk``: iterative, deterministic)
and decides the drawing's *units*: one per tensor, or one per ``nn`` module when
modules are collapsed. Past ``max_nodes`` it keeps the units nearest the roots
(breadth-first) and counts the rest, so a 10^6-node graph gives a small picture
that says what it left out — never a hairball, never a hang.
"""
from collections import deque

import autograd_core as ag

from .format import is_constant


def as_roots(root, caller):
    """``root`` as a non-empty list of Tensors, or a TypeError naming what was given."""
    roots = list(root) if isinstance(root, (list, tuple)) else [root]
    if not roots:
        raise ValueError(f"{caller}: got an empty list of roots; pass a Tensor or a list of Tensors")
    for r in roots:
        if not isinstance(r, ag.Tensor):
            what = type(r).__module__ + "." + type(r).__qualname__
            raise TypeError(f"{caller}: root must be a Tensor or a list of Tensors, got {what}"
                            + (" inside the list" if r is not root else "")
                            + "; wrap arrays with autograd_core.Tensor(...)")
    return roots


def drawn_node_count(t, is_root, style):
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

    def __init__(self, roots, style, max_nodes=200, group_modules=True, collapse_modules=None):
        if max_nodes is not None and (not isinstance(max_nodes, int) or isinstance(max_nodes, bool)
                                      or max_nodes < 1):
            raise ValueError(f"draw_graph: max_nodes must be a positive int or None, got {max_nodes!r}")
        self.roots, self.style, self.max_nodes = roots, style, max_nodes
        self.tensors = ag.walk(roots)
        self.index = {id(t): i for i, t in enumerate(self.tensors)}
        self.root_indices = list(dict.fromkeys(self.index[id(r)] for r in roots))
        self.group_modules = group_modules
        self.scopes = {t.scope for t in self.tensors if t.scope}
        self._parameter_scope_cache = {}
        roots_set = set(self.root_indices)
        ops = sum(1 for t in self.tensors if not t.is_leaf)
        full_cost = sum(drawn_node_count(t, i in roots_set, style) for i, t in enumerate(self.tensors))
        if collapse_modules is None:  # auto: collapse modules only when the full picture is too big
            collapse_modules = bool(self.scopes) and max_nodes is not None and full_cost > max_nodes
        self.collapse_depth = self._collapse_depth(collapse_modules)
        self.unit_of, self.members = self._assign_units()  # unit_of None: every tensor is its own unit
        self.visible = self._select(max_nodes, full_cost)
        shown = [i for u in self.visible for i in self.members_of(u)]
        self.hidden_tensors = len(self.tensors) - len(shown)
        self.hidden_ops = ops - sum(1 for i in shown if not self.tensors[i].is_leaf)

    def unit(self, i):
        """The unit that shows tensor ``i``: ``i`` itself, or its collapsed module."""
        return i if self.unit_of is None else self.unit_of[i]

    def members_of(self, unit):
        return [unit] if isinstance(unit, int) else self.members[unit]

    def cost(self, unit):
        """Graphviz nodes a unit takes (a module box: one)."""
        if not isinstance(unit, int):
            return 1
        return drawn_node_count(self.tensors[unit], unit in self.root_indices, self.style)

    # ------------------------------------------------------------ modules
    def scope_of(self, i):
        """The module scope tensor ``i`` belongs to (None outside modules).

        Parameters are made outside ``Module.__call__`` so they carry no scope; nn labels
        them with dotted names ("layers.0.weight"), which places them in "layers.0".
        """
        t = self.tensors[i]
        if t.scope:
            return t.scope
        if t.is_leaf and t.label and "." in str(t.label):
            module = str(t.label).rsplit(".", 1)[0]
            if module not in self._parameter_scope_cache:
                matches = sorted(s for s in self.scopes if s == module or s.endswith("." + module))
                self._parameter_scope_cache[module] = matches[0] if matches else None
            return self._parameter_scope_cache[module]
        return None

    @staticmethod
    def _collapse_depth(collapse_modules):
        if collapse_modules is True:
            return 0  # 0: each module at its own (deepest) level
        if collapse_modules is False or collapse_modules is None:
            return None
        if isinstance(collapse_modules, int) and collapse_modules >= 1:
            return collapse_modules
        raise ValueError("draw_graph: collapse_modules must be True, False, None (auto) or a depth >= 1, "
                         f"got {collapse_modules!r}")

    def _assign_units(self):
        if self.collapse_depth is None:
            return None, {}
        units, members = list(range(len(self.tensors))), {}
        for i in range(len(self.tensors)):
            scope = self.scope_of(i)
            if scope:
                if self.collapse_depth:
                    scope = ".".join(scope.split(".")[:self.collapse_depth])
                units[i] = "module:" + scope
                members.setdefault(units[i], []).append(i)
        return units, members

    def cluster_path(self, unit):
        """Nested cluster names for a unit: "layers.0" -> ("layers", "layers.0")."""
        if not self.group_modules:
            return ()
        # A module box sits in its parent.
        scope = self.scope_of(unit) if isinstance(unit, int) else unit[len("module:"):].rpartition(".")[0]
        if not scope:
            return ()
        parts = scope.split(".")
        return tuple(".".join(parts[:k]) for k in range(1, len(parts) + 1))

    # ------------------------------------------------------------ structure
    def parent_units(self, unit):
        """Units feeding ``unit``, in order, without repeats (for modules: from outside it)."""
        if isinstance(unit, int):
            return list(dict.fromkeys(self.unit(self.index[id(p)]) for p in self.tensors[unit].parents))
        found = {}
        for i in self.members[unit]:
            for p in self.tensors[i].parents:
                pu = self.unit(self.index[id(p)])
                if pu != unit:
                    found[pu] = None
        return list(found)

    def _all_units(self):
        if self.unit_of is None:
            return list(range(len(self.tensors)))
        return list(dict.fromkeys(self.unit_of))  # in walk order of each unit's first tensor

    def _select(self, max_nodes, full_cost):
        units = self._all_units()
        if self.unit_of is not None:
            full_cost = sum(self.cost(u) for u in units)
        if max_nodes is None or full_cost <= max_nodes:
            return units
        root_units = list(dict.fromkeys(self.unit(i) for i in self.root_indices))
        budget = max_nodes - 1  # one node says what was hidden
        needed = sum(self.cost(u) for u in root_units)
        if needed > budget:
            raise ValueError(f"draw_graph: max_nodes={max_nodes} cannot show even the roots "
                             f"({needed} nodes + 1 for the hidden part); use max_nodes >= {needed + 1}")
        chosen, queue, seen = set(), deque(root_units), set(root_units)
        while queue:  # breadth-first from the roots: the picture keeps what is nearest the output
            unit = queue.popleft()
            if self.cost(unit) > budget:
                break
            budget -= self.cost(unit)
            chosen.add(unit)
            for parent in self.parent_units(unit):
                if parent not in seen:
                    seen.add(parent)
                    queue.append(parent)
        first = {u: min(self.members_of(u)) for u in chosen}
        return sorted(chosen, key=first.__getitem__)  # drawn in walk order: stable DOT

    def hidden_summary(self):
        """The text of the node that stands for what was left out (None if nothing was)."""
        if not self.hidden_tensors:
            return None
        leaves = self.hidden_tensors - self.hidden_ops
        return (f"\u2026 {self.hidden_tensors:,} more tensors hidden ({self.hidden_ops:,} ops, {leaves:,} leaves)"
                f" to stay within max_nodes={self.max_nodes}; pass a larger max_nodes to see them")
