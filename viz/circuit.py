"""``python -m viz.circuit``: the cs231n sigmoid neuron, every wire's value and gradient.

    f(w, x) = 1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))   with w = (2, -3, -3), x = (-1, -2)

The CS231n notes ("Backpropagation, Intuitions") draw this circuit with each wire's
forward value above it (f = 0.73) and its gradient below (w0: -0.20, x0: 0.39,
w1: -0.39, x1: -0.59, w2: 0.20). This module builds it from scalar Tensors, runs
``viz.backward_all`` and renders the same picture::

    python -m viz.circuit                          # writes cs231n_neuron.png
    python -m viz.circuit --out neuron.svg --explain w0 --animate backward.html
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import autograd_core as ag
from autograd_core import Tensor

from . import cli_args
from .gradients import backward_all
from .render import GraphvizNotFoundError

W = (2.0, -3.0, -3.0)
X = (-1.0, -2.0)


def neuron(
    w: Sequence[float] = W, x: Sequence[float] = X, sigmoid_gate: bool = False, backward: bool = True
) -> tuple[Tensor, dict[str, Tensor]]:
    """The cs231n neuron as a graph of scalar Tensors: returns (f, {name: leaf}).

    ``sigmoid_gate=True`` uses the sigmoid primitive (the notes' second picture)
    instead of the gates -, exp, +1 and 1/x. With ``backward`` every wire gets
    its gradient (``viz.backward_all``).

    >>> f, leaves = neuron()
    >>> round(f.item(), 2), round(float(leaves["w0"].grad), 2)
    (0.73, -0.2)
    """
    if len(w) != 3 or len(x) != 2:
        raise ValueError(f"neuron: need 3 weights and 2 inputs, got w={tuple(w)} and x={tuple(x)}")
    leaves = {f"w{i}": ag.Tensor(float(v), requires_grad=True, label=f"w{i}") for i, v in enumerate(w)}
    leaves.update({f"x{i}": ag.Tensor(float(v), requires_grad=True, label=f"x{i}") for i, v in enumerate(x)})
    z = leaves["w0"] * leaves["x0"] + leaves["w1"] * leaves["x1"] + leaves["w2"]
    f = z.sigmoid() if sigmoid_gate else 1 / (1 + (-z).exp())
    f.label = "f"
    if backward:
        backward_all(f)
    return f, leaves


def _floats(text: str, count: int, flag: str) -> tuple[float, ...]:
    # argparse names the flag ("argument --w: ..."); the message shows the form, "--w 1 2 3" being the usual slip
    example = {"--w": ",".join(f"{w:g}" for w in W), "--x": ",".join(f"{x:g}" for x in X)}[flag]
    problem = f"expected {count} comma-separated numbers, e.g. {flag} {example}, got {text!r}"
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(problem) from None
    if len(values) != count:
        raise argparse.ArgumentTypeError(problem)
    return values


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``python -m viz.circuit``: ``build_parser().parse_args(["--x", "1,2"]).x``."""
    parser = argparse.ArgumentParser(
        prog="python -m viz.circuit",
        description="Render the cs231n sigmoid neuron f = 1/(1+exp(-(w0*x0+w1*x1+w2))) with every wire's "
        "forward value (green, above) and gradient (red, below).",
    )
    parser.add_argument(
        "--out",
        default="cs231n_neuron.png",
        type=cli_args.graph_path,
        help="image to write; the suffix picks the format: .png .svg .pdf .dot (default: %(default)s)",
    )
    parser.add_argument(
        "--style",
        choices=("circuit", "record"),
        default="circuit",
        help="circuit: the notes' gates and wires; record: a box per tensor (default: %(default)s)",
    )
    parser.add_argument(
        "--w", type=lambda s: _floats(s, 3, "--w"), default=W, metavar="W0,W1,W2", help="weights (default: 2,-3,-3)"
    )
    parser.add_argument(
        "--x", type=lambda s: _floats(s, 2, "--x"), default=X, metavar="X0,X1", help="inputs (default: -1,-2)"
    )
    parser.add_argument(
        "--sigmoid-gate", action="store_true", help="one sigmoid gate instead of the gates -, exp, +1, 1/x"
    )
    parser.add_argument(
        "--explain",
        metavar="NAME",
        choices=("w0", "w1", "w2", "x0", "x1"),
        help="print the chain rule for one input and highlight its path in the picture",
    )
    parser.add_argument(
        "--animate",
        metavar="PATH",
        type=cli_args.animation_path,
        help="also write the backward pass step by step (.html file, or a folder of SVGs)",
    )
    parser.add_argument(
        "--number-format",
        default="%.4g",
        type=cli_args.number_format,
        help="printf format of values and gradients, e.g. %%.2f as in the notes (default: %%.4g)",
    )
    parser.add_argument("--no-legend", action="store_true", help="leave out the colour legend")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m viz.circuit``; returns the exit status."""
    args = build_parser().parse_args(argv)
    f, leaves = neuron(args.w, args.x, args.sigmoid_gate)
    options = {"style": args.style, "number_format": args.number_format, "legend": not args.no_legend}
    print(f"f = {args.number_format % f.item()}")
    for name, leaf in leaves.items():
        assert leaf.grad is not None, "neuron() runs backward_all: every leaf has its gradient"
        print(f"  ∂f/∂{name} = {args.number_format % float(leaf.grad)}")
    try:
        written = cli_args.write_picture(f, args.out, leaves[args.explain] if args.explain else None, **options)
        print(f"wrote {written}")
        if args.animate:
            from .animate import animate_backward

            fresh, _ = neuron(args.w, args.x, args.sigmoid_gate, backward=False)
            print(f"wrote {animate_backward(fresh, args.animate, style=args.style, number_format=args.number_format)}")
    except GraphvizNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
