"""``python -m nn.train``: train an MLP on the 8x8 digits (or two moons) and save the run.

Writes into ``--out`` (default ``runs/<timestamp>``): ``model.npz`` (nn.save),
``history.json`` (per-epoch losses, accuracies, gradient norms; plus the run's
settings and test accuracy under "run"), and ``curves.png`` (through
``viz.plot_history`` when viz provides it, else matplotlib directly).

    python -m nn.train                          # defaults: >= 97% test accuracy on digits
    python -m nn.train --hidden 128 64 --optimizer sgd --lr 0.1 --epochs 40
    python -m nn.train --dataset moons --hidden 16 16 --no-progress
"""
import argparse
import contextlib
import datetime
import json
import os
import sys
import time

import numpy as np

from . import datasets, optim
from . import functional as F
from .layers import MLP
from .serialization import atomic_write, save
from .training import evaluate, fit

OPTIMIZERS = {"adam": optim.Adam, "sgd": optim.SGD, "adagrad": optim.AdaGrad}


def parse_args(argv=None):
    """The command line's flags (see ``python -m nn.train --help``)."""
    parser = argparse.ArgumentParser(prog="python -m nn.train", description=__doc__.split("\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--dataset", choices=("digits", "moons"), default="digits")
    parser.add_argument("--hidden", type=int, nargs="*", default=[256, 128], metavar="N",
                        help="hidden layer sizes (none: a linear model)")
    parser.add_argument("--activation", choices=("relu", "tanh", "sigmoid"), default="relu")
    parser.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default="adam")
    parser.add_argument("--lr", type=float, default=None,
                        help="learning rate (default: 0.001 for adam, 0.05 for sgd and adagrad)")
    parser.add_argument("--weight-decay", type=float, default=1e-3, help="L2 weight decay (PyTorch's form)")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--patience", type=int, default=10,
                        help="early stopping: epochs without a better validation loss (0: off)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS threads for numpy (0: numpy's default); small matrices run best on one")
    parser.add_argument("--out", default=None, help="output folder (default: runs/<timestamp>)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    for name in ("epochs", "batch_size"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    if any(n < 1 for n in args.hidden):
        parser.error(f"--hidden sizes must be >= 1, got {args.hidden}")
    if args.lr is not None and not args.lr > 0:
        parser.error(f"--lr must be > 0, got {args.lr}")
    if not args.weight_decay >= 0:
        parser.error(f"--weight-decay must be >= 0, got {args.weight_decay}")
    if args.threads < 0:
        parser.error(f"--threads must be >= 0, got {args.threads}")
    if args.patience < 0:
        parser.error(f"--patience must be >= 0, got {args.patience}")
    return args


def load_data(name, seed):
    """(train, validation, test) pairs, standardised with the training rows' statistics."""
    if name == "digits":
        X, y = datasets.load_digits()
    else:
        X, y = datasets.make_moons(1000, noise=0.2, seed=seed)
    X_rest, X_test, y_rest, y_test = datasets.train_test_split(X, y, test_size=0.2, seed=seed, stratify=True)
    X_train, X_val, y_train, y_val = datasets.train_test_split(X_rest, y_rest, test_size=0.1, seed=seed,
                                                               stratify=True)
    X_train, X_val, X_test = datasets.standardize(X_train, X_val, X_test)
    return (X_train, y_train), (X_val, y_val), (X_test, y_test)


def plot_curves(history, path):
    """Draw the loss/accuracy curves to ``path``: viz.plot_history if available, else matplotlib."""
    try:
        import viz  # lazily: nn never depends on viz at import time

        plot_history = getattr(viz, "plot_history", None)
    except ImportError:
        plot_history = None
    if plot_history is not None:
        return plot_history(history, path)
    import matplotlib

    matplotlib.use("Agg")  # no display needed
    import matplotlib.pyplot as plt

    figure, (loss_axes, acc_axes) = plt.subplots(1, 2, figsize=(10, 4))
    epochs = np.arange(1, history.epochs_run + 1)
    for axes, names, title in ((loss_axes, ("train_loss", "val_loss"), "loss"),
                               (acc_axes, ("train_acc", "val_acc"), "accuracy")):
        for name in names:
            values = getattr(history, name)
            if values:
                axes.plot(epochs[:len(values)], values, label=name.replace("_", " "))
        if history.best_epoch is not None:
            axes.axvline(history.best_epoch + 1, color="grey", linestyle=":", label="best epoch")
        axes.set_xlabel("epoch")
        axes.set_title(title)
        axes.legend()
    figure.tight_layout()
    atomic_write(path, lambda f: figure.savefig(f, format="png", dpi=100))
    plt.close(figure)
    return path


def blas_threads(threads):
    """Limit numpy's BLAS to ``threads`` threads inside the block (0: leave it alone).

    Why: these matrices are small, so extra BLAS threads only add synchronisation, and
    OpenBLAS threads that spin-wait collapse when the cores are shared with other work
    (measured here: the default run took 46 s with 2 threads beside two busy processes,
    1.5 s with one thread).
    """
    if not threads:
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits
    return threadpool_limits(limits=threads, user_api="blas")


def main(argv=None):
    """Train, evaluate on the held-out test rows, write the run folder; returns the exit code."""
    args = parse_args(argv)
    with blas_threads(args.threads):
        return run(args)


def new_run_folder(parent):
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


def run(args):
    """The body of ``main`` for parsed ``args``."""
    out = args.out or new_run_folder("runs")
    os.makedirs(out, exist_ok=True)
    (X_train, y_train), validation, (X_test, y_test) = load_data(args.dataset, args.seed)
    sizes = [X_train.shape[1], *args.hidden, int(y_train.max()) + 1]
    model = MLP(sizes, activation=args.activation, seed=args.seed)
    lr = args.lr if args.lr is not None else (1e-3 if args.optimizer == "adam" else 0.05)
    optimizer = OPTIMIZERS[args.optimizer](model.parameters(), lr=lr, weight_decay=args.weight_decay)
    print(f"training {model.sizes} {args.activation} MLP on {args.dataset} ({len(X_train)} train, "
          f"{len(validation[0])} validation, {len(X_test)} test rows) with {args.optimizer}, lr={lr:g}")
    start = time.perf_counter()
    try:
        history = fit(model, F.cross_entropy, optimizer, X_train, y_train, epochs=args.epochs,
                      batch_size=args.batch_size, validation=validation, seed=args.seed,
                      early_stopping=args.patience or None, progress=not args.no_progress)
    except FloatingPointError as error:  # a diverging run: fit's message says where and what to try
        print(f"error: {error}", file=sys.stderr)
        return 1
    seconds = time.perf_counter() - start
    test_loss, test_acc = evaluate(model, F.cross_entropy, X_test, y_test)
    record = history.to_dict()
    record["run"] = dict(vars(args), out=out, lr=lr, sizes=model.sizes, train_seconds=seconds,
                         test_loss=test_loss, test_accuracy=test_acc)
    save(model, os.path.join(out, "model.npz"))
    text = json.dumps(record, indent=2, allow_nan=False)
    atomic_write(os.path.join(out, "history.json"), lambda f: f.write(text.encode("utf-8")))
    plot_curves(history, os.path.join(out, "curves.png"))
    print(f"{history.epochs_run} epochs in {seconds:.1f} s ({history.stopped_reason}; best epoch "
          f"{history.best_epoch + 1}); wrote model.npz, history.json, curves.png to {out}")
    print(f"test accuracy: {test_acc:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
