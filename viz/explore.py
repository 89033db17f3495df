"""An interactive graph explorer in one self-contained HTML file: ``viz.explore(loss, "graph.html")``.

The page shows the graph Graphviz laid out (its SVG, embedded) and lets you

* pan (drag) and zoom (wheel, or the + / − buttons) the picture;
* click a node: its value and its gradient, summarised (shape, mean, std, min, max,
  norm, the values themselves when there are few) with a heatmap for matrices;
* step the forward pass op by op (ops not yet computed are dimmed), then the
  backward pass op by op (the op whose gradient is complete glows, the edges it
  sends shares along are orange; a node's gradient appears in its panel once it
  is complete);
* pick a parameter: the chain-rule paths from the loss to it are highlighted, each
  edge labelled with its local derivative and each path listed with its factors and
  its contribution (what ``viz.explain`` computes).

Nothing is fetched from the network: the SVG, the data (JSON) and the script
(``viz/static/explore.js``, shipped in the package) are all inside the file. The
gradients are replayed op by op from the recorded graph (``viz.gradients``); the
graph itself is not spent and no ``.grad`` is changed.
"""

from __future__ import annotations

import html
import json
import os
import pathlib
from importlib import resources
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from autograd_core import Tensor, walk
from autograd_core.files import atomic_write
from autograd_core.types import ArrayLike

from .drawing import DrawOptions, build_digraph
from .explain import explain
from .format import NUMBER_FORMAT, check_number_format, format_number
from .gradients import backward_steps, refuse_changed, refuse_unrecorded
from .layout import GraphPlan, as_roots
from .render import pipe_dot, source_beside

MAX_LISTED_VALUES = 36  # a tensor with at most this many elements lists its values
HEATMAP_SIDE = 48  # a larger matrix is averaged down to at most 48 x 48 cells
MAX_EXPLAINED_PARAMS = 64  # chain-rule paths are precomputed for at most this many parameters

JSON = dict[str, Any]  # what the page's script reads: plain JSON-able values


class ExplorePage:
    """``viz.explore(loss)`` without a path: the page, shown inline in Jupyter (an iframe).

    ``.html`` is the whole page; ``.save(path)`` writes it atomically.
    """

    def __init__(self, html_text: str, height: int = 720) -> None:
        self.html, self.height = html_text, height

    def __repr__(self) -> str:
        size = f"{len(self.html) / 1024:,.0f} KB"
        return f"<ExplorePage: {size} of HTML; it shows in Jupyter, .save('graph.html') writes it>"

    def save(self, path: str | os.PathLike[str]) -> pathlib.Path:
        """Write the page to ``path`` (.html); returns the path."""
        return pathlib.Path(atomic_write(_html_path(path), self.html, make_folders=True))

    def _repr_html_(self) -> str:
        return (
            f'<iframe srcdoc="{html.escape(self.html, quote=True)}" style="width: 100%; '
            f'height: {self.height}px; border: 1px solid #dee2e6" sandbox="allow-scripts"></iframe>'
        )


def _html_path(path: str | os.PathLike[str]) -> pathlib.Path:
    page = pathlib.Path(path)
    if page.suffix.lower() != ".html":
        raise ValueError(f"explore: the page is HTML; give a path ending in .html, got {str(page)!r}")
    return page


@overload
def explore(
    root: Tensor,
    path: None = None,
    title: str | None = ...,
    max_nodes: int | None = ...,
    max_paths: int = ...,
    number_format: str = ...,
) -> ExplorePage: ...
@overload
def explore(
    root: Tensor,
    path: str | os.PathLike[str],
    title: str | None = ...,
    max_nodes: int | None = ...,
    max_paths: int = ...,
    number_format: str = ...,
) -> pathlib.Path: ...
def explore(
    root: Tensor,
    path: str | os.PathLike[str] | None = None,
    title: str | None = None,
    max_nodes: int | None = 300,
    max_paths: int = 8,
    number_format: str = NUMBER_FORMAT,
) -> ExplorePage | pathlib.Path:
    """An interactive, self-contained HTML page for ``root``'s graph: written to ``path``
    (returns the path), or without a path an ``ExplorePage`` that Jupyter shows inline.

    ``root``: a one-element Tensor (the loss). ``max_nodes`` bounds the drawing as in
    ``draw_graph`` (the rest is summarised in one node); ``max_paths`` paths per
    parameter are listed (the others summed). Needs Graphviz's ``dot`` for the layout.

    >>> w = ag.Tensor([1.0, -2.0], requires_grad=True, label="w")
    >>> loss = (w * w).sum()
    >>> viz.explore(loss, "graph.html")
    PosixPath('graph.html')
    >>> page = viz.explore(loss)      # as a notebook cell's last line: the page, inline
    >>> page.html[:15], page.save("again.html")
    ('<!DOCTYPE html>', PosixPath('again.html'))
    """
    if isinstance(root, (list, tuple)):
        raise TypeError("explore: pass one Tensor (the loss), not a list")
    (root,) = as_roots(root, "explore")
    check_number_format(number_format, "explore")
    page_path = None if path is None else _html_path(path)
    refuse_unrecorded(root, "explore")
    refuse_changed(walk(root), "explore")
    if root.size != 1:
        raise ValueError(
            f"explore: root has shape {root.shape}; explore starts the backward pass from a "
            "one-element tensor (a loss). Reduce it first (root.sum())"
        )
    plan = GraphPlan([root], "record", max_nodes, group_modules=True, collapse_modules=False)
    options = DrawOptions(
        show_data=True,
        show_grad=False,
        rankdir=plan.direction(),
        legend=False,
        number_format=number_format,
        element_ids=True,
    )
    svg = pipe_dot(
        build_digraph(plan, options),
        "svg",
        "explore",
        source_path=None if page_path is None else source_beside(page_path),
    ).decode("utf-8")
    data = page_data(root, plan, max_paths, number_format)
    title = title or f"Computation graph of {plan.names[plan.root_indices[0]]}"
    page = _page(title, svg[svg.index("<svg") :], data)
    if page_path is None:
        return ExplorePage(page)
    return pathlib.Path(atomic_write(page_path, page, make_folders=True))


def page_data(root: Tensor, plan: GraphPlan, max_paths: int = 8, number_format: str = NUMBER_FORMAT) -> JSON:
    """Everything the page's script reads, as plain JSON-able values (tensors by walk index)."""
    tensors, _, steps = backward_steps(root)
    final = steps[-1].grads if steps else {len(tensors) - 1: np.ones(root.shape, root.dtype)}
    visible = set(plan.visible)
    # drawn tensors, and those drawn as part of another (a folded W.T, a constant in its op's label)
    shown = {u for u in plan.visible if isinstance(u, int)} | {i for i in plan.folded if plan.unit(i) in visible}
    grad_step = {plan.index[id(root)]: 0}  # backward step after which a tensor's gradient is complete
    for k, step in enumerate(steps, 1):
        for _, j, _ in step.deliveries:
            if j not in step.partial:
                grad_step[j] = k
    nodes: dict[int, JSON] = {}
    for i in sorted(shown):
        t = tensors[i]
        nodes[i] = {
            "name": plan.names[i],
            "op": t.op,
            "shape": list(t.shape),
            "dtype": str(t.dtype),
            "kind": "output"
            if i in plan.root_indices
            else ("op" if t.op else "parameter" if t.requires_grad else "input"),
            "value": summary(t.data),
            "grad": summary(final[i]) if i in final else None,
            "gradStep": grad_step.get(i),
        }
    backward = [
        {
            "node": step.node,
            "edges": [f"e{step.node}_{position}" for position, _, _ in step.deliveries],
            "to": [j for _, j, _ in step.deliveries],
        }
        for step in steps
    ]
    forward = [i for i in sorted(shown) if tensors[i].op]
    params = [i for i in sorted(shown) if tensors[i].is_leaf and tensors[i].requires_grad][:MAX_EXPLAINED_PARAMS]
    return {
        "nodes": nodes,
        "forward": forward,
        "backward": backward,
        "root": plan.root_indices[0],
        "paths": {i: _paths(root, tensors[i], plan, max_paths, number_format) for i in params},
    }


def _paths(root: Tensor, param: Tensor, plan: GraphPlan, max_paths: int, number_format: str) -> JSON:
    """The chain-rule paths to one parameter: edge ids to highlight, factors, contributions."""
    explanation = explain(root, param, max_paths=max_paths, number_format=number_format, group_modules=False)
    listed: list[JSON] = []
    for path in explanation.paths:
        names, factors = explanation._factors(path)
        edges: list[dict[str, str]] = []
        for (child, position), d in zip(path.edges(), path.local_derivatives):
            i = plan.index[id(child)]
            if i not in plan.folded:  # a folded transpose: its consumer's edge stands for it
                edges.append(
                    {"id": f"e{i}_{position}", "label": "×J" if d is None else "×" + format_number(d, number_format)}
                )
        listed.append(
            {
                "names": names,
                "factors": [f"∂{c}/∂{p} = {v}" for c, p, _, v in factors],
                "edges": edges,
                "contribution": summary(path.contribution),
            }
        )
    return {
        "name": explanation.name(param),
        "total": summary(explanation.total),
        "count": explanation.path_count,
        "paths": listed,
        "unlisted": summary(explanation.unlisted),
    }


def summary(array: ArrayLike) -> JSON:
    """Statistics of an array for the page: shape, mean/std/min/max/norm, values if few, a heatmap if 2-D."""
    values = np.asarray(array, dtype=np.float64)
    if values.size == 0:  # no statistics of nothing (numpy's min of an empty array raises)
        return {"shape": list(values.shape), "values": []}
    with np.errstate(all="ignore"):
        stats: JSON = {
            "shape": list(values.shape),
            "mean": float(np.mean(values)),
            "std": float(np.std(values)),
            "min": float(np.min(values)),
            "max": float(np.max(values)),
            "norm": float(np.linalg.norm(values)),
        }
    if values.size <= MAX_LISTED_VALUES:
        stats["values"] = [float(v) for v in values.reshape(-1)]
    if values.ndim == 2 and values.size > 1:
        stats["heatmap"] = _downsample(values).tolist()
    return stats


def _downsample(matrix: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Average blocks so neither side exceeds HEATMAP_SIDE (a 784x256 weight: 48x43 cells)."""
    rows, cols = matrix.shape
    r_step, c_step = -(-rows // HEATMAP_SIDE), -(-cols // HEATMAP_SIDE)
    if r_step == c_step == 1:
        return matrix
    padded = np.full((-(-rows // r_step) * r_step, -(-cols // c_step) * c_step), np.nan)
    padded[:rows, :cols] = matrix
    blocks = padded.reshape(padded.shape[0] // r_step, r_step, padded.shape[1] // c_step, c_step)
    with np.errstate(all="ignore"):
        averaged: npt.NDArray[np.float64] = np.nanmean(blocks, axis=(1, 3))
    return averaged


def _static(name: str) -> str:
    return (resources.files("viz") / "static" / name).read_text(encoding="utf-8")  # one name per step: Python 3.10


def _page(title: str, svg: str, data: JSON) -> str:
    # JSON is valid JavaScript; NaN/Infinity are JS literals too. "</" is escaped so a name
    # cannot close the <script> element.
    payload = json.dumps(data, allow_nan=True, separators=(",", ":")).replace("</", "<\\/")
    return _PAGE.format(
        title=html.escape(title), css=_static("explore.css"), svg=svg, data=payload, script=_static("explore.js")
    )


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
{css}
</style></head>
<body>
<header><h1>{title}</h1>
<span class="hint">drag to pan · wheel to zoom · click a node · step the passes · pick a parameter</span></header>
<main>
<section id="canvas">{svg}</section>
<aside id="panel">
<div class="controls">
  <div><button id="zoom-in" title="zoom in">+</button><button id="zoom-out" title="zoom out">−</button>
  <button id="fit" title="fit the graph">fit</button></div>
  <div><span class="label">forward</span><button id="forward-prev">◀</button><button id="forward-next">▶</button>
  <button id="forward-all" title="all">▶▶</button></div>
  <div><span class="label">backward</span><button id="backward-prev">◀</button><button id="backward-next">▶</button>
  <button id="backward-all" title="all">▶▶</button></div>
  <div id="status"></div>
  <div><label for="param">chain rule to</label>
  <select id="param"><option value="">(a parameter)</option></select></div>
</div>
<div id="details"><p class="empty">Click a node to see its value and gradient.</p></div>
<div id="paths"></div>
</aside>
</main>
<script>
const DATA = {data};
</script>
<script>
{script}
</script>
</body></html>
"""
