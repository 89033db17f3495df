"""``python -m viz``: draw an expression, a saved model or a training history from the shell.

    python -m viz expr "sigmoid(w*x + b)" --set w=2 x=-1 b=0.5 --out f.png
    python -m viz expr "(w*x).sum()" --set "w=[1,2,3]" --input "x=[0.5,-1,2]" --explain w
    python -m viz model runs/digits/model.npz --out model.svg          # an nn.MLP saved by nn.save
    python -m viz history runs/digits/history.json --out curves.png   # nn.fit's History as JSON
    python -m viz explore "tanh(w*x + b)" --set w=2 b=0.5 --input x=-1 --out graph.html
    python -m viz explore runs/digits/model.npz --out model.html      # one random batch, cross-entropy

``expr`` evaluates a safe expression (numbers, variables, + - * / ** @ and autograd
functions such as exp, log, sigmoid, tanh, relu, sum, mean), runs backward keeping
every wire's gradient, prints the value and each variable's gradient, and renders the
graph. ``--set`` variables require grad; ``--input`` variables are data. For the
cs231n neuron see ``python -m viz.circuit``.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from collections.abc import Iterable, Sequence

import numpy as np

import autograd_core as ag
from autograd_core import Tensor

from . import cli_args, expression
from .cli_args import CommandError
from .cli_models import describe, model_and_batch
from .gradients import backward_all
from .render import GraphvizNotFoundError, render_graph


def _assignments(items: Iterable[str] | None, requires_grad: bool, flag: str) -> dict[str, Tensor]:
    tensors = {}
    for item in items or ():
        name, sep, text = item.partition("=")
        if not sep or not name.strip().isidentifier():
            raise CommandError(f'{flag} {item!r}: expected NAME=VALUE, e.g. {flag} w=2 or {flag} "w=[1,2,3]"')
        try:  # literal_eval's own message names an AST node ("<ast.Name object at 0x...>"): useless here
            value = ast.literal_eval(text.strip())
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            value = None
        try:
            if value is None:
                raise ValueError(f"got {text.strip()!r}")
            tensors[name.strip()] = ag.Tensor(value, requires_grad=requires_grad, label=name.strip())
        except (ValueError, TypeError) as error:
            raise CommandError(
                f"{flag} {item!r}: the value must be a number or a nested list of numbers ({error})"
            ) from None
    return tensors


def _nothing_to_differentiate(source: str) -> CommandError:
    return CommandError(
        f"expression {source!r} has nothing to differentiate: give the values you want gradients "
        "for with --set (--input values get none), e.g. --set w=2"
    )


def run_expression(args: argparse.Namespace) -> None:
    variables = _assignments(args.set, True, "--set")
    for name, t in _assignments(args.input, False, "--input").items():
        if name in variables:
            raise CommandError(f"{name} is given by both --set and --input")
        variables[name] = t
    try:
        result = expression.evaluate(args.expression, variables)
    except (ValueError, TypeError, IndexError) as error:  # ExpressionError, and shape errors from the engine
        raise CommandError(str(error)) from None
    result.label = args.name
    if not result.requires_grad and (args.explain or args.animate):
        raise _nothing_to_differentiate(args.expression)
    options = {"style": args.style, "number_format": args.number_format}
    print(f"{args.name} = {np.array2string(result.data, precision=4)}")
    if args.no_backward or not result.requires_grad:
        written = render_graph(result, args.out, **options)
    else:
        if result.size != 1:
            print(
                f"({args.name} has shape {result.shape}: backward seeds d{args.name} with ones, "
                f"the gradient of {args.name}.sum())"
            )
        backward_all(result, grad=None if result.size == 1 else np.ones(result.shape))
        for name, t in variables.items():
            if t.requires_grad and t.grad is not None:
                print(f"  ∂{args.name}/∂{name} = {np.array2string(t.grad, precision=4)}")
        if args.explain:
            if args.explain not in variables:
                raise CommandError(
                    f"--explain {args.explain}: not a variable of the expression ({', '.join(variables)})"
                )
            written = cli_args.write_picture(
                result if result.size == 1 else result.sum(), args.out, variables[args.explain], **options
            )
        else:
            written = cli_args.write_picture(result, args.out, **options)
    print(f"wrote {written}")
    if args.animate:
        from .animate import animate_backward

        fresh = expression.evaluate(
            args.expression,
            {n: ag.Tensor(t.data, requires_grad=t.requires_grad, label=n) for n, t in variables.items()},
        )
        if fresh.size != 1:
            fresh = fresh.sum()
        print(f"wrote {animate_backward(fresh, args.animate, style=args.style, number_format=args.number_format)}")


def run_model(args: argparse.Namespace) -> None:
    model, _sizes, rows, labels = model_and_batch(
        args.model, args.sizes, args.activation, args.output_activation, args.rows, args.data
    )
    x = ag.Tensor(rows, label="x")
    output = model(x)
    output.label = "output"
    print(
        f"{args.model}: {describe(model)}; drawing the graph of model(x) for x of shape "
        f"{x.shape} ({'rows of ' + args.data if args.data else 'random normal rows'})"
    )
    root = output
    if args.backward or args.data:  # one batch through backward, so every row of the picture has its gradient
        import nn.functional as F

        root = F.cross_entropy(output, labels)
        root.label = "loss"
        backward_all(root)
        print(
            f"ran backward on the cross-entropy against {'its labels' if args.data else 'random labels'}: "
            f"loss {root.item():.4g}"
        )
    collapse = {"auto": None, "yes": True, "no": False}[args.collapse]
    print(f"wrote {render_graph(root, args.out, style='record', collapse_modules=collapse)}")


def run_explore(args: argparse.Namespace) -> None:
    from .explore import explore

    if args.source.lower().endswith(".npz"):
        import nn.functional as F

        model, _sizes, rows, labels = model_and_batch(
            args.source, args.sizes, args.activation, args.output_activation, args.rows, args.data
        )
        loss = F.cross_entropy(model(ag.Tensor(rows, label="x")), labels)
        loss.label = "loss"
        print(
            f"{args.source}: {describe(model)}; exploring the cross-entropy of one "
            f"{'batch of ' + args.data if args.data else 'random batch'} ({len(rows)} rows)"
        )
    else:
        variables = _assignments(args.set, True, "--set")
        variables.update(_assignments(args.input, False, "--input"))
        try:
            loss = expression.evaluate(args.source, variables)
        except (ValueError, TypeError, IndexError) as error:
            raise CommandError(str(error)) from None
        loss.label = args.name
        if not loss.requires_grad:  # only numbers and --input values: no graph was recorded
            raise _nothing_to_differentiate(args.source)
        if loss.size != 1:
            print(f"({args.name} has shape {loss.shape}: exploring {args.name}.sum())")
            loss = loss.sum()
    print(f"wrote {explore(loss, args.out)}")


def run_history(args: argparse.Namespace) -> None:
    from .plots import plot_history

    try:
        with open(args.history, encoding="utf-8") as file:
            data = json.load(file)
    except (OSError, ValueError) as error:  # ValueError: bad JSON, or bytes that are not UTF-8 at all
        raise CommandError(f"cannot read {args.history!r} as a history JSON: {error}") from None
    except RecursionError:  # json's parser recurses once per nested [ or {
        raise CommandError(
            f"cannot read {args.history!r} as a history JSON: it nests lists or objects "
            "thousands of levels deep (a history is one level of lists)"
        ) from None
    try:
        written = plot_history(data, args.out)
    except (TypeError, ValueError) as error:  # JSON, but not a history: plot_history's message says why
        raise CommandError(f"{args.history!r}: {error}") from None
    print(f"wrote {written}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m viz", description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    # Short usage lines: an error is then two lines, not a screenful of every flag (--help lists them).
    expr = commands.add_parser(
        "expr",
        help="render an expression's graph with values and gradients",
        usage="%(prog)s EXPRESSION [options]   (see --help)",
    )
    expr.add_argument("expression", help='e.g. "sigmoid(w*x + b)"')
    expr.add_argument(
        "--set",
        nargs="+",
        action="extend",
        metavar="NAME=VALUE",
        help='variables that require grad: w=2 or "w=[1,2,3]"',
    )
    expr.add_argument("--input", nargs="+", action="extend", metavar="NAME=VALUE", help="variables without grad (data)")
    expr.add_argument("--name", default="f", help="label of the result (default: %(default)s)")
    expr.add_argument(
        "--out",
        default="expression.png",
        type=cli_args.graph_path,
        help="image to write, .png .svg .pdf .dot (default: %(default)s)",
    )
    expr.add_argument("--style", choices=("circuit", "record"), default="circuit")
    expr.add_argument("--explain", metavar="NAME", help="print the chain rule for one variable and highlight its paths")
    expr.add_argument(
        "--animate",
        metavar="PATH",
        type=cli_args.animation_path,
        help="also write the backward pass step by step (.html or folder)",
    )
    expr.add_argument("--no-backward", action="store_true", help="draw values only")
    expr.add_argument(
        "--number-format", default="%.4g", type=cli_args.number_format, help="printf format of numbers (default: %%.4g)"
    )
    expr.set_defaults(run=run_expression)

    model = commands.add_parser(
        "model",
        help="render the graph of an nn.MLP saved with nn.save",
        usage="%(prog)s MODEL.npz [options]   (see --help)",
    )
    model.add_argument("model", help="the .npz file")
    model.add_argument(
        "--sizes", type=cli_args.layer_sizes, help="layer sizes, e.g. 64,32,10 (default: read from the weights)"
    )
    model.add_argument("--activation", default="relu", help="hidden activation (default: %(default)s)")
    model.add_argument("--output-activation", default=None, help="output activation (default: none)")
    model.add_argument(
        "--rows",
        type=cli_args.bounded_int(1, 10_000),
        default=1,
        help="rows of the example input, 1 to 10,000 (default: %(default)s)",
    )
    model.add_argument(
        "--backward",
        action="store_true",
        help="run one random batch through a cross-entropy loss and backward, so the picture shows gradients",
    )
    model.add_argument(
        "--data",
        metavar="NPZ",
        help="the batch for --backward: the first --rows rows of arrays X and y in this .npz (implies --backward)",
    )
    model.add_argument(
        "--collapse",
        choices=("auto", "yes", "no"),
        default="auto",
        help="one box per module (default: auto, when the graph is large)",
    )
    model.add_argument(
        "--out", default="model.svg", type=cli_args.graph_path, help="image to write (default: %(default)s)"
    )
    model.set_defaults(run=run_model)

    explore = commands.add_parser(
        "explore",
        help="write an interactive HTML page of a graph: pan, zoom, click for values and gradients, step the passes",
    )
    explore.add_argument("source", help='an expression such as "tanh(w*x + b)", or an nn.MLP saved as .npz')
    explore.add_argument(
        "--set", nargs="+", action="extend", metavar="NAME=VALUE", help="expression variables that require grad"
    )
    explore.add_argument(
        "--input", nargs="+", action="extend", metavar="NAME=VALUE", help="expression variables without grad (data)"
    )
    explore.add_argument("--name", default="f", help="label of the expression's result (default: %(default)s)")
    explore.add_argument(
        "--sizes", type=cli_args.layer_sizes, help="a model's layer sizes (default: read from the weights)"
    )
    explore.add_argument("--activation", default="relu", help="a model's hidden activation (default: relu)")
    explore.add_argument("--output-activation", default=None, help="a model's output activation")
    explore.add_argument(
        "--data", metavar="NPZ", help="a model's batch: arrays X and y in this .npz (default: random rows and labels)"
    )
    explore.add_argument(
        "--rows",
        type=cli_args.bounded_int(1, 10_000),
        default=8,
        help="rows of a model's random batch (default: %(default)s)",
    )
    explore.add_argument(
        "--out", default="graph.html", type=cli_args.html_path, help="the page to write (default: %(default)s)"
    )
    explore.set_defaults(run=run_explore)

    history = commands.add_parser(
        "history",
        help="plot a training history saved as JSON (History.to_json)",
        usage="%(prog)s HISTORY.json [options]   (see --help)",
    )
    history.add_argument("history", help="the history.json file")
    history.add_argument(
        "--out", default="curves.png", type=cli_args.plot_path, help="image to write (default: %(default)s)"
    )
    history.set_defaults(run=run_history)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m viz``; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except (CommandError, GraphvizNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
