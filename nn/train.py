"""``python -m nn.train``: train an MLP on the 8x8 digits (or two moons) and save the run.

Writes into ``--out`` (default ``runs/<timestamp>``): ``model.npz`` (nn.save), ``history.json``
(per-epoch losses, accuracies, gradient norms: ``nn.History.to_json``), ``curves.png``
(``viz.plot_history``) and ``run.json``: the command, every setting and the seed, the
versions, the status ("running" while it trains, then "completed", "interrupted" or
"failed") and the final metrics. Ctrl-C (SIGINT) or ``kill`` (SIGTERM) saves what there is
(the best model with early stopping, else the last), marks the run "interrupted" and exits
with 130 / 143. Training steps run through ``ag.compile`` where that trains exactly as
define-by-run (``nn.fit``'s default); ``metrics.step`` in run.json says which ran.

    python -m nn.train                          # defaults: >= 97% test accuracy on digits
    python -m nn.train --hidden 128 64 --optimizer sgd --lr 0.1 --epochs 40
    python -m nn.train --dataset moons --hidden 16 16 --no-progress
    python -m nn.train --no-compile             # every step define-by-run (the same weights, slower)
    python -m nn.train --data flowers.csv --target species      # your own data (.csv, .npz, .npy)
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import shutil
import sys
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import functional as F
from . import optim
from .containers import MLP
from .data import DataLoader
from .evaluation import LossFn
from .fit_checks import TrainingStateCheck
from .history import History
from .module import Module
from .runs import RUN_FILE, Interrupted, OneLineWarnings, RunRecord, StopSignals, utc_now
from .serialization import save
from .tables import TASKS, Splits, load_splits
from .train_flags import (
    CHECKPOINT_FILE,
    DefaultsHelp,
    data_fingerprint,
    flag_problem,
    memory_problem,
    out_folder_problem,
    resume_settings,
)
from .training import evaluate, fit
from .utils import load_checkpoint

OPTIMIZERS = {"adam": optim.Adam, "sgd": optim.SGD, "adagrad": optim.AdaGrad}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line's flags (see ``python -m nn.train --help``)."""
    parser = argparse.ArgumentParser(
        prog="python -m nn.train",
        description=__doc__.split("\n")[0],
        usage="%(prog)s [options]   (see --help)",  # errors stay two short lines
        formatter_class=DefaultsHelp,
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--dataset",
        choices=("digits", "moons"),
        default=None,
        help="a built-in dataset (default: digits, unless --data is given)",
    )
    source.add_argument(
        "--data",
        default=None,
        metavar="FILE",
        help="your own data: a .csv with a header row, a .npz with arrays X and y, or a .npy of "
        "features (with --labels)",
    )
    parser.add_argument("--target", default=None, metavar="COLUMN", help="the .csv column to predict (default: last)")
    parser.add_argument("--labels", default=None, metavar="FILE", help="the .npy of targets for a .npy --data")
    parser.add_argument(
        "--task",
        choices=TASKS,
        default=None,
        help="override the task inferred from the targets (integers or strings: classification)",
    )
    parser.add_argument(
        "--hidden",
        type=int,
        nargs="*",
        default=[256, 128],
        metavar="N",
        help="hidden layer sizes (none: a linear model)",
    )
    parser.add_argument(
        "--activation", choices=("relu", "tanh", "sigmoid"), default="relu", help="the hidden layers' activation"
    )
    parser.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default="adam", help="the update rule")
    parser.add_argument(
        "--lr", type=float, default=None, help="learning rate (default: 0.001 for adam, 0.05 for sgd and adagrad)"
    )
    parser.add_argument("--weight-decay", type=float, default=1e-3, help="L2 weight decay (PyTorch's form)")
    parser.add_argument(
        "--epochs", type=int, default=None, help="epochs in all (default: 40; with --resume: the run's own)"
    )
    parser.add_argument("--batch-size", type=int, default=32, help="rows per training step")
    parser.add_argument(
        "--patience", type=int, default=10, help="early stopping: epochs without a better validation loss (0: off)"
    )
    parser.add_argument("--seed", type=int, default=0, help="initial weights, split and shuffling")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="BLAS threads for numpy (0: numpy's default); small matrices run best on one",
    )
    parser.add_argument("--out", default=None, help="output folder (default: runs/<timestamp>)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument(
        "--no-compile",
        action="store_true",
        help="run every training step define-by-run (default: through ag.compile where that trains the same, "
        "which run.json's metrics.step records; the weights are the same either way)",
    )
    parser.add_argument(
        "--resume",
        default=None,
        metavar="RUN_FOLDER",
        help="continue a run from its last checkpoint, with its own settings (--epochs N: N in all)",
    )
    args = parser.parse_args(argv)
    if args.resume is not None:
        problem = resume_settings(args, argv if argv is not None else sys.argv[1:])
        if problem:
            parser.error(problem)
        return args
    args.epochs = 40 if args.epochs is None else args.epochs
    if args.data is None:
        args.dataset = args.dataset or "digits"
        for flag in ("target", "labels", "task"):
            if getattr(args, flag) is not None:
                parser.error(f"--{flag} describes --data FILE; the built-in datasets need none")
    problem = flag_problem(args) or out_folder_problem(args.out)
    if problem:
        parser.error(problem)  # one line, exit 2, nothing written
    return args


def load_data(
    name: str, seed: int
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """(train, validation, test) pairs of a built-in dataset, standardised with the training rows' statistics."""
    splits = load_splits(dataset=name, seed=seed)
    return splits.train, splits.validation, splits.test


def plot_curves(history: History, path: str) -> Any:  # what viz.plot_history returns
    """Draw the loss/accuracy curves to ``path`` with ``viz.plot_history``."""
    from viz import plot_history  # lazily: nn never imports viz at module load

    return plot_history(history, path)


def blas_threads(threads: int) -> contextlib.AbstractContextManager[Any]:
    """Limit numpy's BLAS to ``threads`` threads inside the block (0: leave it alone).

    Why: these matrices are small, so extra BLAS threads only add synchronisation, and
    OpenBLAS threads that spin-wait collapse when the cores are shared with other work
    (measured here: the default run took 46 s with 2 threads beside two busy processes,
    1.5 s with one thread).
    """
    if not threads:
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits

    limits: contextlib.AbstractContextManager[Any] = threadpool_limits(limits=threads, user_api="blas")
    return limits


def main(argv: Sequence[str] | None = None) -> int:
    """Train, evaluate on the held-out test rows, write the run folder; returns the exit code."""
    args = parse_args(argv)
    command = ["python", "-m", "nn.train", *(sys.argv[1:] if argv is None else argv)]
    with blas_threads(args.threads), StopSignals() as signals, OneLineWarnings():
        try:
            return run(args, command, signals)
        except Interrupted as interrupt:  # before the run folder existed: nothing to save
            print(f"interrupted by {interrupt} before training started; nothing was written", file=sys.stderr)
            return interrupt.exit_code


def new_run_folder(parent: str) -> str:
    """``parent/<timestamp>``, created; ``-2``, ``-3``, ... appended when a run of the same second has it,
    so two quick runs never write into (and overwrite) one folder."""
    stamp = os.path.join(parent, datetime.datetime.now().strftime("%Y%m%d-%H%M%S"))
    for k in range(1, 1000):
        folder = stamp if k == 1 else f"{stamp}-{k}"
        try:
            os.makedirs(folder)
            return folder
        except FileExistsError:
            continue
    raise FileExistsError(f"python -m nn.train: {stamp} and 998 numbered variants exist; pass --out")


def run(
    args: argparse.Namespace, command: Sequence[str] = ("python", "-m", "nn.train"), signals: StopSignals | None = None
) -> int:
    """The body of ``main`` for parsed ``args``: train in a new run folder, however it ends save what there is."""
    try:
        splits = load_splits(
            dataset=args.dataset, data=args.data, target=args.target, task=args.task, labels=args.labels, seed=args.seed
        )
        problem = memory_problem(args, len(splits.train[0]), splits.train[0].shape[1], splits.n_outputs)
    except ValueError as error:
        problem = str(error)
    if problem:  # the data could not be used: one line, exit 2, nothing written
        print(f"python -m nn.train: error: {problem}", file=sys.stderr)
        return 2
    (X_train, y_train), validation, (X_test, y_test) = splits.train, splits.validation, splits.test
    model = MLP([X_train.shape[1], *args.hidden, splits.n_outputs], activation=args.activation, seed=args.seed)
    loss_fn = F.cross_entropy if splits.task == "classification" else F.mse_loss
    lr = args.lr if args.lr is not None else (1e-3 if args.optimizer == "adam" else 0.05)
    optimizer = OPTIMIZERS[args.optimizer](model.parameters(), lr=lr, weight_decay=args.weight_decay)
    what = f"{splits.n_outputs}-class" if splits.task == "classification" else "regression"
    print(
        f"training {model.sizes} {args.activation} MLP on {splits.name} ({what}; {len(X_train)} train, "
        f"{len(validation[0])} validation, {len(X_test)} test rows) with {args.optimizer}, lr={lr:g}"
    )
    out, created = make_run_folder(args.out)
    checkpoint = os.path.join(out, CHECKPOINT_FILE)
    if args.resume is not None:
        try:  # fit loads it again; what does not fit is one line, before run.json is rewritten
            loader = DataLoader((X_train, y_train), batch_size=args.batch_size, seed=args.seed)
            load_checkpoint(checkpoint, model, optimizer, loader=loader, training=TrainingStateCheck(model))
        except ValueError as error:
            advice = (
                ""
                if "start a new run" in str(error).lower()
                else "; start a new run, or resume with the run's own settings"
            )
            print(f"python -m nn.train: error: --resume {args.resume!r}: {error}{advice}", file=sys.stderr)
            return 2
    settings = {k: v for k, v in vars(args).items() if k != "resume"}
    record = RunRecord(out, command, dict(settings, out=out, lr=lr, sizes=model.sizes))
    if args.resume is not None:
        record.data["resumed"] = True
    if args.data:
        record.data["data_sha256"] = data_fingerprint(args)
    try:
        record.write()  # status "running": a run killed with -9 keeps it
    except BaseException:
        if created:
            shutil.rmtree(out, ignore_errors=True)  # a run that never started leaves no folder
        raise
    start = time.perf_counter()
    status, stopped_by = "completed", None
    try:
        try:
            history = fit(
                model,
                loss_fn,
                optimizer,
                X_train,
                y_train,
                epochs=args.epochs,
                batch_size=args.batch_size,
                validation=validation,
                seed=args.seed,
                early_stopping=args.patience or None,
                progress=not args.no_progress,
                checkpoint=checkpoint,
                resume=checkpoint if args.resume is not None else None,
                compile=False if args.no_compile else "auto",
            )
        finally:
            if signals is not None:
                signals.armed = False  # from here on a second Ctrl-C must not cut the saving short
    except (Interrupted, FloatingPointError) as stop:  # FloatingPointError: fit's message says where, what to try
        status, stopped_by = ("interrupted" if isinstance(stop, Interrupted) else "failed"), stop
        history = getattr(stop, "history", None) or History()  # none yet if fit was still checking its input
    except BaseException as failure:
        record.write(status="failed", finished=utc_now(), error=f"{type(failure).__name__}: {failure}")
        raise
    seconds = time.perf_counter() - start
    files = save_results(out, model, history, splits, loss_fn)
    test_loss, test_acc = evaluate(model, loss_fn, X_test, y_test)
    metrics = dict(
        epochs_run=history.epochs_run,
        best_epoch=history.best_epoch,
        stopped_reason=history.stopped_reason,
        step=history.step,
        step_reason=history.step_reason,
        train_seconds=seconds,
        test_loss=test_loss,
        test_accuracy=test_acc,
        **{
            name: getattr(history, name)[-1] if getattr(history, name) else None
            for name in ("train_loss", "val_loss", "train_acc", "val_acc")
        },
    )
    files += [CHECKPOINT_FILE] if os.path.isfile(checkpoint) else []
    record.write(
        status=status,
        finished=utc_now(),
        metrics=metrics,
        files=files + [RUN_FILE],
        **({"error": str(stopped_by)} if status == "failed" else {}),
    )
    saved = f"wrote {', '.join(files)}, {RUN_FILE} to {out}"
    if isinstance(stopped_by, Interrupted):  # status "interrupted"
        print(
            f"interrupted by {stopped_by} after {history.epochs_run} epochs; {saved} (status interrupted)",
            file=sys.stderr,
        )
        return stopped_by.exit_code
    if status == "failed":
        print(f"error: {stopped_by}; {saved} (status failed)", file=sys.stderr)
        return 1
    print(
        f"{history.epochs_run} epoch{'' if history.epochs_run == 1 else 's'} in {seconds:.1f} s "
        f"({history.stopped_reason}; best epoch "
        f"{'none' if history.best_epoch is None else history.best_epoch + 1}; {history.step} steps); {saved}"
    )
    print(f"test accuracy: {test_acc:.4f}" if test_acc is not None else f"test loss (MSE): {test_loss:.6g}")
    return 0


def save_results(out: str, model: Module, history: History, splits: Splits, loss_fn: LossFn) -> list[str]:
    """The model (with what it needs to be applied to raw data: the standardizer, the task, the
    class and feature names), the history, and after at least one epoch the curves and a picture
    of the model's computation graph on a few training rows; returns the file names written."""
    save(
        model,
        os.path.join(out, "model.npz"),
        preprocessing=splits.standardizer,
        task=splits.task,
        class_names=splits.class_names,
        feature_names=splits.feature_names,
    )
    history.to_json(os.path.join(out, "history.json"))
    files = ["model.npz", "history.json"]
    if history.epochs_run:
        plot_curves(history, os.path.join(out, "curves.png"))
        files.append("curves.png")
        if draw_graph(model, loss_fn, splits.train, os.path.join(out, "graph.svg")):
            files.append("graph.svg")
    return files


def draw_graph(model: Module, loss_fn: LossFn, train: tuple[np.ndarray, np.ndarray], path: str, rows: int = 4) -> bool:
    """``viz``'s picture of one small batch's loss through ``model``, gradients included; False
    (with a note) when Graphviz's ``dot`` is missing: the run is saved all the same."""
    import viz  # lazily: nn never imports viz at module load

    X, y = train
    loss = loss_fn(model(X[:rows]), y[:rows])
    viz.backward_all(loss)
    model.zero_grad()
    try:
        viz.render_graph(loss, path)
    except viz.GraphvizNotFoundError as error:
        print(f"note: graph.svg not drawn ({str(error).splitlines()[0]})", file=sys.stderr)
        return False
    return True


def make_run_folder(out: str | None) -> tuple[str, bool]:
    """``out`` (created if missing), or a new ``runs/<timestamp>``; returns (folder, whether it was created)."""
    if out is None:
        return new_run_folder("runs"), True
    created = not os.path.isdir(out)
    os.makedirs(out, exist_ok=True)
    return out, created


if __name__ == "__main__":
    sys.exit(main())
