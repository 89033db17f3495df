"""``python -m nn.search``: a hyper-parameter search over MLPs, here, in processes or on a Dask cluster.

    python -m nn.search --dataset digits --grid lr=0.1,0.01,0.001 hidden=32,64,128:64 weight_decay=0,1e-4
    python -m nn.search --data mine.csv --target label --grid lr=0.01,0.001 --jobs 2
    python -m nn.search --data X.npy --labels y.npy --grid lr=0.01,0.001
    python -m nn.search --dataset digits --samples 12 --grid lr=log:1e-4:1e-1 hidden=int:16:128
    python -m nn.search --dataset digits --grid lr=0.1,0.01 --scheduler tcp://10.0.0.5:8786
    python -m nn.search --dataset digits --samples 27 --grid lr=log:1e-4:1e-1 --halving 3 --min-epochs 1 --epochs 27

``--grid`` takes NAME=VALUES: a comma-separated list (``hidden`` lists layer sizes joined by
``:``, so ``128:64`` is two layers); with ``--samples K`` also ranges to draw from: ``log:LO:HI``
and ``range:LO:HI`` for lr and weight_decay, ``int:LO:HI`` for hidden (one layer) and batch_size.
Names: lr, hidden, weight_decay, activation, optimizer, batch_size. ``--halving ETA`` is successive halving:
every setting trains ``--min-epochs``, the best 1/ETA go on with ETA times as many, up to ``--epochs``.
Writes into ``--out``: ``results.csv`` (one row per trial, best first), ``search.png`` and
``best/`` (the best trial's model, saved as ``python -m nn.train`` saves one: with the data's
standardizer and class and feature names, so ``python -m nn.predict best/model.npz`` reads raw rows).
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from .. import functional as F
from ..containers import MLP
from ..evaluation import LossFn
from ..module import Module
from ..optim import Optimizer
from ..runs import Interrupted, OneLineWarnings, StopSignals
from ..serialization import atomic_write, save
from ..tables import Splits, load_splits
from ..train import OPTIMIZERS, new_run_folder
from ..train_flags import memory_estimate, physical_memory
from . import GridSearchResult, grid_search, log_uniform, randint, random_search, table_rows, uniform
from .halving import successive_halving
from .space import _Distribution

PARAMETERS: dict[str, Callable[[str], Any] | str] = {  # how to read each parameter's values
    "lr": float,
    "weight_decay": float,
    "hidden": "layers",
    "activation": str,
    "optimizer": str,
    "batch_size": int,
}
CHOICES = {"activation": ("relu", "tanh", "sigmoid"), "optimizer": tuple(sorted(OPTIMIZERS))}
DISTRIBUTIONS: dict[str, Callable[[Any, Any], _Distribution]] = {"log": log_uniform, "range": uniform, "int": randint}
RANGES = {"lr": ("log", "range"), "weight_decay": ("log", "range"), "hidden": ("int",), "batch_size": ("int",)}


def parse_value(name: str, text: str) -> Any:
    """One grid value of parameter ``name`` from its text (``128:64`` is a list of layer sizes)."""
    kind = PARAMETERS[name]
    try:
        if isinstance(kind, str):  # "layers"
            value = [int(part) for part in text.split(":")] if text else []
            if any(n < 1 or n > 100_000 for n in value):
                raise ValueError
            return value
        value = kind(text)
    except ValueError:
        raise ValueError(f"--grid {name}: {text!r} is not a valid value") from None
    if name in CHOICES and value not in CHOICES[name]:
        raise ValueError(f"--grid {name}: {text!r} is not one of {', '.join(CHOICES[name])}")
    if kind is float and (not math.isfinite(value) or value < 0 or (name == "lr" and value == 0)):
        raise ValueError(f"--grid {name}: {text!r} must be a finite number {'> 0' if name == 'lr' else '>= 0'}")
    if name == "batch_size" and value < 1:
        raise ValueError(f"--grid batch_size: {text!r} must be >= 1")
    return value


def parse_range(name: str, text: str, sampling: bool) -> _Distribution:
    """The distribution of ``--grid NAME=KIND:LO:HI``; each bound must be a valid value of ``name``
    (a draw is one: a negative lr, a 0-unit layer or a fractional batch size failed inside a trial)."""
    kind, _, bounds = text.partition(":")
    allowed = RANGES.get(name, ())
    if kind not in allowed:
        takes = " or ".join(f"{k}:LO:HI" for k in allowed) if allowed else "only a list of values"
        raise ValueError(f"--grid {name}: {text!r}: {name} takes {takes}")
    if not sampling:
        raise ValueError(f"--grid {name}: {text!r} is a range to draw from; add --samples K")
    parts = bounds.split(":")
    if len(parts) != 2:
        raise ValueError(f"--grid {name}: {text!r}: expected {kind}:LO:HI")
    lo, hi = (parse_value(name, part) for part in parts)
    if name == "hidden":  # one layer's size
        lo, hi = lo[0] if len(lo) == 1 else None, hi[0] if len(hi) == 1 else None
    try:
        return DISTRIBUTIONS[kind](lo, hi)
    except ValueError as error:
        raise ValueError(f"--grid {name}: {text!r}: {error}") from None


def parse_grid(items: Sequence[str], sampling: bool) -> dict[str, Any]:
    """``{name: [values] or distribution}`` from the ``NAME=VALUES`` words of ``--grid``."""
    space: dict[str, Any] = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or name not in PARAMETERS:
            raise ValueError(f"--grid: expected NAME=VALUES with NAME one of {', '.join(PARAMETERS)}, got {item!r}")
        if name in space:
            raise ValueError(f"--grid: {name} is given twice")
        if text.partition(":")[0] in DISTRIBUTIONS:
            space[name] = parse_range(name, text, sampling)
        else:
            space[name] = [parse_value(name, part) for part in text.split(",")]
    return space


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line's flags (see ``python -m nn.search --help``)."""
    parser = argparse.ArgumentParser(
        prog="python -m nn.search",
        description=__doc__.split("\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.split("\n")[2:]),
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--dataset", choices=("digits", "moons"), default=None)
    source.add_argument("--data", default=None, help="a .csv (header row), .npz (X, y) or .npy of features")
    parser.add_argument("--target", default=None, help="the .csv column to predict (default: the last)")
    parser.add_argument("--labels", default=None, metavar="FILE", help="the .npy of targets for a .npy --data")
    parser.add_argument("--grid", nargs="+", required=True, metavar="NAME=VALUES")
    parser.add_argument("--samples", type=int, default=None, help="random search: draw this many settings")
    parser.add_argument("--epochs", type=int, default=20, help="each trial's epochs (with --halving: the last rung's)")
    parser.add_argument("--halving", type=int, default=None, metavar="ETA", help="successive halving, keeping 1/ETA")
    parser.add_argument("--min-epochs", type=int, default=1, help="with --halving: the first rung's epochs")
    parser.add_argument("--patience", type=int, default=5, help="early stopping in each trial (0: off)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=1, help="parallel worker processes (-1: every core)")
    parser.add_argument(
        "--scheduler", default=None, metavar="tcp://HOST:PORT", help="run the trials on this Dask scheduler's workers"
    )
    parser.add_argument("--out", default=None, help="output folder (default: runs/search-<timestamp>)")
    args = parser.parse_args(argv)
    try:
        args.space = parse_grid(args.grid, args.samples is not None)
    except ValueError as error:
        parser.error(str(error))
    checks = [
        ("--epochs", args.epochs >= 1, ">= 1"),
        ("--patience", args.patience >= 0, ">= 0"),
        ("--seed", 0 <= args.seed < 2**32, "in 0..2**32-1"),
        ("--jobs", args.jobs == -1 or 1 <= args.jobs <= 256, "-1 or 1..256"),
        ("--samples", args.samples is None or 1 <= args.samples <= 10_000, "in 1..10000"),
        ("--halving", args.halving is None or 2 <= args.halving <= 100, "in 2..100"),
        ("--min-epochs", 1 <= args.min_epochs <= args.epochs, "in 1..--epochs"),
    ]
    for flag, ok, rule in checks:
        if not ok:
            parser.error(f"{flag} must be {rule}, got {getattr(args, flag[2:].replace('-', '_'))}")
    if args.scheduler and args.jobs != 1:
        parser.error("--jobs and --scheduler exclude each other: the cluster's workers are the parallelism")
    if args.min_epochs != 1 and args.halving is None:
        parser.error("--min-epochs is the first rung's epochs of --halving ETA; add --halving (or drop it)")
    if args.target and not args.data:
        parser.error("--target names a column of --data FILE")
    if args.labels and not args.data:
        parser.error("--labels gives the targets of a .npy --data FILE")
    problem = out_problem(args.out or os.path.join("runs", "search"))
    if problem:
        parser.error(f"--out {args.out}: {problem}" if args.out else f"the default --out runs/search/...: {problem}")
    return args


def out_problem(out: str) -> str | None:
    """Why the folder ``out`` cannot be made and written to, or None: said before the search runs,
    not after it (a file on the way was a NotADirectoryError traceback once every trial had run)."""
    if out.startswith("~"):
        return f"'~' is not expanded here (unquoted, the shell does it): give {os.path.expanduser(out)}"
    if os.path.exists(out) and not os.path.isdir(out):
        return "exists and is not a folder"
    existing = os.path.abspath(out)
    while not os.path.exists(existing):  # the nearest folder that exists: the rest is made
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        return f"{existing} is a file, so no folder can be made under it"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"cannot write in {existing}"
    return None


def memory_problem(space: dict[str, Any], rows: int, features: int, outputs: int) -> str | None:
    """Why the largest layers of ``space`` do not fit in this machine's memory, or None (checked as
    ``python -m nn.train`` checks its --hidden: a layer of 100,000 x 100,000 was numpy's MemoryError,
    or the machine swapping, inside a trial)."""
    hidden = space.get("hidden", [[64]])
    layers = [[hidden.hi]] if isinstance(hidden, randint) else [h if isinstance(h, list) else [h] for h in hidden]
    batch = space.get("batch_size", [32])
    largest_batch = batch.hi if isinstance(batch, randint) else max(batch)

    def estimate(sizes: list[int]) -> int:
        return memory_estimate(argparse.Namespace(hidden=sizes, batch_size=largest_batch), rows, features, outputs)

    worst = max(layers, key=estimate)
    needed, available = estimate(worst), physical_memory()
    if available and needed > available:
        return (
            f"--grid hidden={':'.join(map(str, worst))} needs about {needed / 2**30:.1f} GiB (weights, gradients, "
            f"optimizer state, activations) and this machine has {available / 2**30:.1f} GiB; choose smaller layers"
        )
    return None


class Builder:
    """``build(**setting) -> (model, loss, optimizer)`` for MLPs of the data's sizes (picklable)."""

    def __init__(self, n_in: int, n_out: int, seed: int) -> None:
        self.n_in, self.n_out, self.seed = n_in, n_out, seed

    def __call__(
        self,
        lr: float | None = None,
        hidden: int | Sequence[int] = (64,),
        weight_decay: float = 0.0,
        activation: str = "relu",
        optimizer: str = "adam",
    ) -> tuple[Module, LossFn, Optimizer]:
        hidden = [hidden] if isinstance(hidden, int) else hidden  # int:LO:HI draws one layer's size
        model = MLP([self.n_in, *hidden, self.n_out], activation=activation, seed=self.seed)
        lr = lr if lr is not None else (1e-3 if optimizer == "adam" else 0.05)
        return model, F.cross_entropy, OPTIMIZERS[optimizer](model.parameters(), lr=lr, weight_decay=weight_decay)


def write_results(rows: list[dict[str, Any]], path: str) -> None:
    """``results.csv``: the trials, best first (layer lists as ``128:64``)."""
    columns = list(rows[0])
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for row in rows:
        writer.writerow(
            [
                ":".join(map(str, v)) if isinstance(v, list) else "" if v is None else v
                for v in (row[c] for c in columns)
            ]
        )
    atomic_write(path, lambda f: f.write(buffer.getvalue().encode("utf-8")))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the search and write its folder; returns the exit code (130/143 after Ctrl-C / kill)."""
    args = parse_args(argv)
    with StopSignals() as signals, OneLineWarnings():  # SIGTERM stops a search as Ctrl-C does
        try:
            return run(args, signals)
        except Interrupted as stop:
            print(f"interrupted by {stop} before any trial finished with a score; nothing was written", file=sys.stderr)
            return stop.exit_code


def run(args: argparse.Namespace, signals: StopSignals) -> int:
    """The body of ``main``: search, then write the folder, also from the trials an interruption leaves."""
    try:
        splits = load_splits(
            dataset=None if args.data else args.dataset or "digits",
            data=args.data,
            target=args.target,
            labels=args.labels,
            seed=args.seed,
        )
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if splits.task != "classification":
        print(
            "error: python -m nn.search trains classifiers; the target of --data holds fractional numbers",
            file=sys.stderr,
        )
        return 2
    (X_train, y_train), validation = splits.train, splits.validation
    builder = Builder(X_train.shape[1], splits.n_outputs, args.seed)
    problem = memory_problem(args.space, len(X_train), X_train.shape[1], splits.n_outputs)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    backend = None
    if args.scheduler:
        try:
            from distributed import Client
        except ImportError:
            print("error: --scheduler needs dask.distributed: pip install -e '.[distributed]'", file=sys.stderr)
            return 2
        try:
            backend = Client(args.scheduler, timeout=10)
        except (OSError, ValueError, TypeError) as error:  # unreachable, refused, timed out, a malformed address
            print(f"error: --scheduler {args.scheduler}: cannot connect to a Dask scheduler ({error})", file=sys.stderr)
            return 2
        if not backend.scheduler_info().get("workers"):  # the trials would wait for one, silently
            print(
                f"note: the scheduler at {args.scheduler} has no workers yet; waiting for one "
                f"(start one with: dask worker {args.scheduler}; Ctrl-C stops)",
                file=sys.stderr,
                flush=True,
            )
    options = dict(
        X=X_train,
        y=y_train,
        validation=validation,
        epochs=args.epochs,
        seed=args.seed,
        n_jobs=args.jobs,
        backend=backend,
        early_stopping=args.patience or None,
    )
    start = time.perf_counter()
    try:
        if args.halving is not None:
            rungs = dict(n_trials=args.samples, eta=args.halving, min_epochs=args.min_epochs)
            result = successive_halving(builder, args.space, max_epochs=options.pop("epochs"), **rungs, **options)
        elif args.samples is None:
            result = grid_search(builder, args.space, **options)
        else:
            result = random_search(builder, args.space, n_samples=args.samples, **options)
    except Interrupted as stop:  # the trials that finished are kept and said to be all there is
        partial = getattr(stop, "result", None)
        if partial is None:
            raise
        signals.armed = False  # a second Ctrl-C does not cut the writing short
        out = write_folder(args, partial, splits)
        print(
            f"interrupted by {stop} after {len(partial.results)} of {stop.trials} trials; wrote results.csv "  # type: ignore[attr-defined]
            f"(the finished trials only), search.png, best/ to {out}",
            file=sys.stderr,
        )
        return stop.exit_code
    except FloatingPointError as error:  # every trial diverged: the table says how each did
        signals.armed = False
        out = args.out or new_run_folder(os.path.join("runs", "search"))
        os.makedirs(out, exist_ok=True)
        write_results(table_rows(getattr(error, "results", [])), os.path.join(out, "results.csv"))
        print(f"error: {error}; wrote results.csv (each trial with its error) to {out}", file=sys.stderr)
        return 1
    finally:
        if backend is not None:
            backend.close()
    seconds = time.perf_counter() - start
    signals.armed = False
    out = write_folder(args, result, splits)
    print(
        f"{len(result.results)} trial{'s' * (len(result.results) != 1)} in {seconds:.1f} s; best {result.best_params} "
        f"(validation score {result.best_score:.4f}); wrote results.csv, search.png, best/ to {out}"
    )
    return 0


def write_folder(args: argparse.Namespace, result: GridSearchResult, splits: Splits) -> str:
    """``results.csv``, ``search.png`` and ``best/`` into ``--out`` (default: a new ``runs/search/<time>``)."""
    out = args.out or new_run_folder(os.path.join("runs", "search"))
    os.makedirs(out, exist_ok=True)
    rows = result.table()
    write_results(rows, os.path.join(out, "results.csv"))
    import viz  # lazily: nn never imports viz at load

    viz.plot_search(rows, os.path.join(out, "search.png"))
    best = os.path.join(out, "best")
    os.makedirs(best, exist_ok=True)
    save(  # self-describing, as nn.train's: nn.predict standardises raw rows and names the classes
        result.best_model,
        os.path.join(best, "model.npz"),
        preprocessing=splits.standardizer,
        task=splits.task,
        class_names=splits.class_names,
        feature_names=splits.feature_names,
    )
    result.best_history.to_json(os.path.join(best, "history.json"))
    viz.plot_history(result.best_history, os.path.join(best, "curves.png"))
    return out


if __name__ == "__main__":
    sys.exit(main())
