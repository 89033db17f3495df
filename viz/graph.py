"""The computation graph as Graphviz DOT: ``draw_graph``.

Two pictures of the same recorded graph:

* ``style="record"`` (default; micrograd's picture with pytorchviz's legend): a box
  per tensor (name, shape and dtype, value, gradient) and an ellipse per op.
* ``style="circuit"`` (the cs231n notes' picture): gates as small circles, and on
  every wire its forward value above the line (green) and its gradient below (red).

Node ids follow ``ag.walk`` order (``t7`` is tensor 7, ``op7`` the op that made it),
never ``id()``, so the same graph always gives the same DOT source. Names shown are
labels and op names (``tensor_names``), never those ids.

Readable at any size by default (see ``layout``): modules collapse past
``AUTO_COLLAPSE_NODES`` nodes, deep graphs run top to bottom, and no picture exceeds
``MAX_PIXELS`` on either side (Graphviz scales it down, like torchviz's ``resize_graph``).
``full=True`` draws everything, unscaled.
"""

from __future__ import annotations

from collections.abc import Sequence

import graphviz

from autograd_core import Tensor

from .drawing import DrawOptions, Highlight, ResolvedHighlight, build_digraph
from .format import NUMBER_FORMAT, check_number_format
from .layout import MAX_DEPTH, GraphPlan, as_roots, check_rankdir

STYLES = ("record", "circuit")
MAX_PIXELS = 4000  # default bound on either side of a picture (PNG at PNG_DPI; an SVG is smaller)


def draw_graph(
    root: Tensor | Sequence[Tensor],
    show_data: bool = True,
    show_grad: bool = True,
    rankdir: str = "auto",
    max_nodes: int | None = 200,
    group_modules: bool = True,
    collapse_modules: bool | int | str | None = "auto",
    style: str = "record",
    legend: bool = True,
    highlight: Highlight | None = None,
    number_format: str = NUMBER_FORMAT,
    title: str | None = None,
    max_size: float | None = MAX_PIXELS,
    max_depth: int | None = MAX_DEPTH,
    full: bool = False,
) -> graphviz.Digraph:
    """The graph that ``root`` recorded, as a ``graphviz.Digraph`` (shows inline in Jupyter).

    ``root``: a Tensor or a list of Tensors (several outputs). Values and gradients of
    tensors with at most 6 elements are printed with ``number_format``; larger ones get
    mean/min/max. A gradient shows "—" until backward has produced it; after a plain
    ``backward()`` only leaves keep one, so use ``viz.backward_all(loss)`` to see every
    wire's gradient. Edges carry the shape that flows along them; inputs of sub, div,
    matmul, linear (``a @ bᵀ``) and pow are marked ``a``/``b`` (the op says ``a − b``).

    Readable by default at any size:

    - Ops run inside an ``nn`` module (``t.scope``) are grouped in a cluster labelled
      with what it is (``layers.0: Linear(2→32)``; ``group_modules``). With
      ``collapse_modules="auto"`` each module becomes one box once the full picture
      would need more than ``AUTO_COLLAPSE_NODES`` (60) Graphviz nodes; ``True`` /
      ``False`` force it, an int collapses to that depth of the dotted path.
    - ``rankdir="auto"``: left to right, or top to bottom when the longest path has
      more than ``DEEP_RANKS`` (10) ops.
    - Past ``max_nodes`` Graphviz nodes (the legend not counted), or more than
      ``max_depth`` (20) ops away from the roots, the tensors farthest from the roots are
      replaced by one node that says how many were hidden (``None``: no limit).
    - ``max_size`` (pixels, default 4000): Graphviz scales a larger picture down so that
      neither side exceeds it (``None``: no bound).
    - ``full=True``: everything, expanded and unscaled (the same as
      ``collapse_modules=False, max_nodes=None, max_depth=None, max_size=None``).

    ``highlight``: (tensor, input position) edges to draw in orange — an iterable, or a
    dict edge -> label (``viz.explain`` uses it).

    >>> import autograd_core as ag, viz
    >>> w = ag.Tensor(2.0, requires_grad=True, label="w")
    >>> loss = (w * 3.0).sigmoid()
    >>> viz.backward_all(loss)
    >>> print(viz.draw_graph(loss).source)      # DOT text; in Jupyter the picture
    digraph computation_graph {
    ...
        t0 [label=<...<b>w</b>...data 2...grad 0.0074...]
    ...
        op3 [label=sigmoid fillcolor="#e9ecef" shape=ellipse style=filled]
    ...
        t2 -> op3
    ...
    }
    <BLANKLINE>
    """
    roots = as_roots(root, "draw_graph")
    if style not in STYLES:
        raise ValueError(f"draw_graph: style must be one of {STYLES}, got {style!r}")
    check_rankdir(rankdir, "draw_graph")
    if max_size is not None and (
        not isinstance(max_size, (int, float)) or isinstance(max_size, bool) or max_size < 100
    ):
        raise ValueError(f"draw_graph: max_size must be a number of pixels >= 100 or None, got {max_size!r}")
    check_number_format(number_format, "draw_graph")
    if full:
        collapse_modules, max_nodes, max_depth, max_size = False, None, None, None
    plan = GraphPlan(roots, style, max_nodes, group_modules, collapse_modules, max_depth=max_depth)
    options = DrawOptions(show_data, show_grad, plan.direction(rankdir), style, legend, number_format, title, max_size)
    return build_digraph(plan, options, highlight=resolve_highlight(plan, highlight))


def resolve_highlight(plan: GraphPlan, highlight: Highlight | None) -> ResolvedHighlight:
    """{(child tensor, position): label} -> {(child walk index, position): label}."""
    if not highlight:
        return {}
    pairs = highlight.items() if isinstance(highlight, dict) else ((edge, None) for edge in highlight)
    resolved: ResolvedHighlight = {}
    for (child, position), label in pairs:
        if id(child) not in plan.index:
            raise ValueError("draw_graph: a highlighted tensor is not part of the drawn graph")
        i = plan.index[id(child)]
        inputs = len(child.parents)
        if not isinstance(position, int) or isinstance(position, bool) or not 0 <= position < inputs:
            raise ValueError(  # the edge into input `position` of child: it must have that input
                f"draw_graph: highlight edge ({plan.names[i]}, {position!r}): "
                + (f"{plan.names[i]} is a leaf, with no inputs" if not inputs else f"positions are 0..{inputs - 1}")
                + "; an edge is (tensor, which of its inputs), e.g. (loss, 0)"
            )
        if i in plan.folded:
            continue  # a folded transpose: its consumer's edge, marked ᵀ, is highlighted instead
        resolved[(i, position)] = label
    return resolved
