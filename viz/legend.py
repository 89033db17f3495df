"""The legend drawn beside a computation graph (drawing.py): what each colour and place means."""

from __future__ import annotations

from itertools import pairwise

import graphviz

from .format import FILL, GRAD_COLOUR, HIGHLIGHT_COLOUR, KIND_DESCRIPTION, MUTED_COLOUR, NO_VALUE, VALUE_COLOUR


def add_legend(g: graphviz.Digraph, circuit: bool, highlighted: bool, rankdir: str) -> None:
    """The legend cluster: the colours of each kind of node, where values and gradients are written, and
    (``highlighted``) the highlight's colour; a row above a top-to-bottom picture, a column beside it."""
    with g.subgraph(name="cluster_viz_legend") as legend:  # not "cluster_legend": a module may be "legend"
        legend.attr(label="legend", style="rounded", color=MUTED_COLOUR, fontcolor=MUTED_COLOUR, fontsize="10")
        for kind in ("parameter", "input", "op", "output"):
            legend.node(
                f"legend_{kind}",
                KIND_DESCRIPTION[kind],
                shape="ellipse" if kind == "op" else "box",
                style="filled",
                fillcolor=FILL[kind],
                fontsize="9",
                height="0.3",
                margin="0.08,0.03",
            )
        where = ("above the wire", "below it") if circuit else ("data", "grad")
        legend.node(
            "legend_values",
            f'<<font color="{VALUE_COLOUR}">value ({where[0]})</font><br/>'
            f'<font color="{GRAD_COLOUR}">gradient ({where[1]})</font><br/>'
            f'<font color="{MUTED_COLOUR}">{NO_VALUE} : no gradient yet</font>>',
            shape="plaintext",
            fontsize="9",
        )
        names = ["legend_parameter", "legend_input", "legend_op", "legend_output", "legend_values"]
        if highlighted:
            names.append("legend_highlight")
            legend.node(names[-1], "highlighted", shape="plaintext", fontcolor=HIGHLIGHT_COLOUR, fontsize="9")
        if rankdir in ("TB", "BT"):  # a row above a tall picture, not a column beside it
            with legend.subgraph() as row:
                row.attr(rank="same")
                for a, b in pairwise(names):
                    row.edge(a, b, style="invis")
        else:
            for a, b in pairwise(names):
                legend.edge(a, b, style="invis")
