"""``python -m viz``: draw an expression, a saved model or a training history from the shell.

    python -m viz expr "sigmoid(w*x + b)" --set w=2 x=-1 b=0.5 --out f.png
    python -m viz expr "(w*x).sum()" --set "w=[1,2,3]" --input "x=[0.5,-1,2]" --explain w
    python -m viz model runs/digits/model.npz --out model.svg          # an nn.MLP saved by nn.save
    python -m viz history runs/digits/history.json --out curves.png   # nn.fit's History as JSON

``expr`` evaluates a safe expression (numbers, variables, + - * / ** @ and autograd
functions such as exp, log, sigmoid, tanh, relu, sum, mean), runs backward keeping
every wire's gradient, prints the value and each variable's gradient, and renders the
graph. ``--set`` variables require grad; ``--input`` variables are data. For the
cs231n neuron see ``python -m viz.circuit``.
"""
import argparse
import ast
import json
import re
import sys

import numpy as np

import autograd_core as ag

from . import cli_args, expression
from .gradients import backward_all
from .render import GraphvizNotFoundError, render_graph


class CommandError(Exception):
    """A problem with the command line's input, shown as one line without a traceback."""


def _assignments(items, requires_grad, flag):
    tensors = {}
    for item in items or ():
        name, sep, text = item.partition("=")
        if not sep or not name.strip().isidentifier():
            raise CommandError(f"{flag} {item!r}: expected NAME=VALUE, e.g. {flag} w=2 or {flag} \"w=[1,2,3]\"")
        try:
            value = ast.literal_eval(text.strip())
            tensors[name.strip()] = ag.Tensor(value, requires_grad=requires_grad, label=name.strip())
        except (ValueError, SyntaxError, TypeError) as error:
            raise CommandError(f"{flag} {item!r}: the value must be a number or a nested list of numbers "
                               f"({error})") from None
    return tensors


def run_expression(args):
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
    options = {"style": args.style, "number_format": args.number_format}
    print(f"{args.name} = {np.array2string(result.data, precision=4)}")
    if args.no_backward or not result.requires_grad:
        written = render_graph(result, args.out, **options)
    else:
        if result.size != 1:
            print(f"({args.name} has shape {result.shape}: backward seeds d{args.name} with ones, "
                  f"the gradient of {args.name}.sum())")
        backward_all(result, grad=None if result.size == 1 else np.ones(result.shape))
        for name, t in variables.items():
            if t.requires_grad and t.grad is not None:
                print(f"  ∂{args.name}/∂{name} = {np.array2string(t.grad, precision=4)}")
        if args.explain:
            if args.explain not in variables:
                raise CommandError(f"--explain {args.explain}: not a variable of the expression "
                                   f"({', '.join(variables)})")
            written = cli_args.write_picture(result if result.size == 1 else result.sum(), args.out,
                                    variables[args.explain], **options)
        else:
            written = cli_args.write_picture(result, args.out, **options)
    print(f"wrote {written}")
    if args.animate:
        from .animate import animate_backward
        fresh = expression.evaluate(args.expression, {n: ag.Tensor(t.data, requires_grad=t.requires_grad, label=n)
                                                      for n, t in variables.items()})
        if fresh.size != 1:
            fresh = fresh.sum()
        print(f"wrote {animate_backward(fresh, args.animate, style=args.style, number_format=args.number_format)}")


def infer_mlp_sizes(arrays):
    """[in, h1, ..., out] from an MLP's saved weights (``layers.K.weight``, shape (out, in))."""
    weights = sorted(((int(m.group(1)), a) for key, a in arrays.items()
                      if (m := re.fullmatch(r"layers\.(\d+)\.weight", key))), key=lambda pair: pair[0])
    if not weights or any(a.ndim != 2 for _, a in weights):
        raise CommandError(f"cannot tell the layer sizes from the arrays {sorted(arrays)}: "
                           "expected an nn.MLP's layers.K.weight; give them with --sizes 64,32,10")
    return [weights[0][1].shape[1]] + [a.shape[0] for _, a in weights]


def _has_architecture(nn, path):
    try:
        return nn.read_info(path).architecture is not None
    except ValueError:  # weights only (an older file, or custom layers)
        return False


def run_model(args):
    import nn  # only this command needs nn (viz itself never does)
    from nn.serialization import read_arrays
    try:
        described = args.sizes is None and _has_architecture(nn, args.model)
        if described:  # the file says what it is: draw exactly that (a tanh model as tanh)
            model = nn.load(args.model)
            sizes = [p.shape[1] for name, p in model.named_parameters() if name.endswith("weight")][:1]
        else:  # weights only: an MLP of the sizes the weights have, activations from the flags
            arrays = read_arrays(args.model)
            sizes = args.sizes or infer_mlp_sizes(arrays)
            model = nn.MLP(sizes, activation=args.activation, output_activation=args.output_activation)
            nn.load(model, args.model)
    except (ValueError, FileNotFoundError) as error:
        raise CommandError(str(error)) from None
    rows = np.random.default_rng(0).standard_normal((args.rows, sizes[0]))
    x = ag.Tensor(rows, label="x")
    output = model(x)
    output.label = "output"
    if isinstance(model, nn.MLP):
        what = f"MLP {model.sizes} ({model.activation}{', as saved' if described else ''})"
    else:
        what = f"{type(model).__name__}, as saved"
    print(f"{args.model}: {what}; drawing the graph of model(x) for x of shape {x.shape} (random normal rows)")
    collapse = {"auto": None, "yes": True, "no": False}[args.collapse]
    print(f"wrote {render_graph(output, args.out, style='record', collapse_modules=collapse)}")


def run_history(args):
    from .plots import plot_history
    try:
        with open(args.history, encoding="utf-8") as file:
            data = json.load(file)
    except (OSError, ValueError) as error:  # ValueError: bad JSON, or bytes that are not UTF-8 at all
        raise CommandError(f"cannot read {args.history!r} as a history JSON: {error}") from None
    try:
        written = plot_history(data, args.out)
    except (TypeError, ValueError) as error:  # JSON, but not a history: plot_history's message says why
        raise CommandError(f"{args.history!r}: {error}") from None
    print(f"wrote {written}")


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m viz", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    expr = commands.add_parser("expr", help="render an expression's graph with values and gradients")
    expr.add_argument("expression", help='e.g. "sigmoid(w*x + b)"')
    expr.add_argument("--set", nargs="+", action="extend", metavar="NAME=VALUE",
                      help="variables that require grad: w=2 or \"w=[1,2,3]\"")
    expr.add_argument("--input", nargs="+", action="extend", metavar="NAME=VALUE",
                      help="variables without grad (data)")
    expr.add_argument("--name", default="f", help="label of the result (default: %(default)s)")
    expr.add_argument("--out", default="expression.png", type=cli_args.graph_path,
                      help="image to write, .png .svg .pdf .dot (default: %(default)s)")
    expr.add_argument("--style", choices=("circuit", "record"), default="circuit")
    expr.add_argument("--explain", metavar="NAME", help="print the chain rule for one variable and "
                                                        "highlight its paths")
    expr.add_argument("--animate", metavar="PATH", type=cli_args.animation_path,
                      help="also write the backward pass step by step (.html or folder)")
    expr.add_argument("--no-backward", action="store_true", help="draw values only")
    expr.add_argument("--number-format", default="%.4g", type=cli_args.number_format,
                      help="printf format of numbers (default: %%.4g)")
    expr.set_defaults(run=run_expression)

    model = commands.add_parser("model", help="render the graph of an nn.MLP saved with nn.save")
    model.add_argument("model", help="the .npz file")
    model.add_argument("--sizes", type=cli_args.layer_sizes,
                       help="layer sizes, e.g. 64,32,10 (default: read from the weights)")
    model.add_argument("--activation", default="relu", help="hidden activation (default: %(default)s)")
    model.add_argument("--output-activation", default=None, help="output activation (default: none)")
    model.add_argument("--rows", type=cli_args.positive_int, default=1,
                       help="rows of the example input (default: %(default)s)")
    model.add_argument("--collapse", choices=("auto", "yes", "no"), default="auto",
                       help="one box per module (default: auto, when the graph is large)")
    model.add_argument("--out", default="model.svg", type=cli_args.graph_path,
                       help="image to write (default: %(default)s)")
    model.set_defaults(run=run_model)

    history = commands.add_parser("history", help="plot a training history saved as JSON (History.to_json)")
    history.add_argument("history", help="the history.json file")
    history.add_argument("--out", default="curves.png", type=cli_args.plot_path,
                         help="image to write (default: %(default)s)")
    history.set_defaults(run=run_history)
    return parser


def main(argv=None):
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
