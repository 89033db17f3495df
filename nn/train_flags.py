"""``python -m nn.train``'s checks of its flags, made before anything is loaded or written: the
values, the memory the layers need, the run folder, and what ``--resume`` may be combined with."""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import math
import os
import tempfile
from collections.abc import Sequence

from .runs import RUN_FILE
from .serialization import read_arrays

CHECKPOINT_FILE = "checkpoint.npz"  # model, optimizer, shuffling stream and fit's state after the last epoch
MAX_THREADS = 4096  # BLAS takes a C int; more threads than this is a typo
DATASET_SHAPES = {"digits": (1797, 64, 10), "moons": (1000, 2, 2)}  # rows, features, classes


# what --resume may be combined with: the settings that do not change the weights
RESUME_FLAGS = ("--resume", "--epochs", "--no-progress", "--threads", "--no-compile")


class DefaultsHelp(argparse.ArgumentDefaultsHelpFormatter):
    """argparse's "(default: ...)" after each flag's help, unless the help says its default itself or
    there is none (None): "--epochs ... (default: 40; ...) (default: None)" read as a contradiction."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or "(default:" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


def resume_settings(args: argparse.Namespace, argv: Sequence[str]) -> str | None:
    """Fill ``args`` from the run folder's run.json (``--epochs`` may raise the total); why not, or None."""
    given = [word.split("=")[0] for word in argv if word.startswith("--")]
    others = [flag for flag in given if flag not in RESUME_FLAGS]
    if others:
        return f"--resume continues a run with its own settings; drop {' '.join(others)}"
    folder = args.resume
    try:
        with open(os.path.join(folder, RUN_FILE), encoding="utf-8") as f:
            record = json.load(f)
        settings = record["settings"]
    except (OSError, ValueError, KeyError, TypeError, RecursionError) as error:
        return f"--resume {folder!r}: no readable {RUN_FILE} of a run ({type(error).__name__}: {error})"
    if not os.path.isfile(os.path.join(folder, CHECKPOINT_FILE)):
        return f"--resume {folder!r}: no {CHECKPOINT_FILE}: the run ended before its first epoch; start it again"
    try:  # read now: a damaged checkpoint found by fit would be a traceback, after run.json was rewritten
        read_arrays(os.path.join(folder, CHECKPOINT_FILE), caller="load_checkpoint")
    except (OSError, ValueError) as error:
        return f"--resume {folder!r}: its {CHECKPOINT_FILE} is damaged ({error}); start the run again"
    epochs = args.epochs
    for name, value in settings.items():
        if hasattr(args, name) and name not in ("resume", "no_progress", "threads", "out", "no_compile"):
            setattr(args, name, value)
    args.out = folder
    recorded = record.get("data_sha256")
    if (
        recorded
        and all(os.path.isfile(p) for p in (args.data, args.labels) if p)
        and data_fingerprint(args) != recorded
    ):
        return (
            f"--resume {folder!r}: {args.data} has changed since the run started (another SHA-256); resuming "
            "would train on other rows and another split: start a new run"
        )
    if epochs is not None:
        if epochs < 1:
            return f"--epochs must be >= 1, got {epochs}"
        args.epochs = epochs
    return flag_problem(args)


def data_fingerprint(args: argparse.Namespace) -> str | None:
    """The SHA-256 of the files a run trains on (``--data``, ``--labels``), recorded in run.json so that
    ``--resume`` can tell they changed; None for a bundled dataset."""
    if not args.data:
        return None
    digest = hashlib.sha256()
    for path in (args.data, args.labels):
        if path:
            with open(path, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()


def flag_problem(args: argparse.Namespace) -> str | None:
    """What is wrong with the parsed flags (None: nothing), checked before anything is loaded or written."""
    for name in ("epochs", "batch_size"):
        if getattr(args, name) < 1:
            return f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}"
    if any(n < 1 for n in args.hidden):
        return f"--hidden sizes must be >= 1, got {args.hidden}"
    if args.lr is not None and not (args.lr > 0 and math.isfinite(args.lr)):
        return f"--lr must be a finite number > 0, got {args.lr}"
    if not (args.weight_decay >= 0 and math.isfinite(args.weight_decay)):
        return f"--weight-decay must be a finite number >= 0, got {args.weight_decay}"
    for name in ("seed", "threads", "patience"):
        if getattr(args, name) < 0:
            return f"--{name} must be >= 0, got {getattr(args, name)}"
    if args.threads > MAX_THREADS:
        return f"--threads must be at most {MAX_THREADS} (0: numpy's default), got {args.threads}"
    return memory_problem(args, *DATASET_SHAPES[args.dataset]) if args.dataset else None


def memory_problem(args: argparse.Namespace, rows: int, features: int, outputs: int) -> str | None:
    """Why ``args``' layers do not fit in this machine's memory for data of this shape, or None."""
    needed, available = memory_estimate(args, rows, features, outputs), physical_memory()
    if available and needed > available:
        return (
            f"--hidden {' '.join(map(str, args.hidden))} with --batch-size {args.batch_size} needs about "
            f"{_bytes(needed)} (weights, gradients, optimizer state, activations) and this machine has "
            f"{_bytes(available)}; choose smaller layers"
        )
    return None


def memory_estimate(args: argparse.Namespace, rows: int, features: int, outputs: int) -> int:
    """Bytes a run of ``args`` needs at least: float64 parameters held ~5 times (weights, gradient,
    two Adam moments, the best epoch's copy), and a mini-batch's activations ~4 times.

    >>> memory_estimate(argparse.Namespace(hidden=[2_000_000_000], batch_size=32), *DATASET_SHAPES["digits"]) > 10**12
    True
    """
    sizes = [features, *args.hidden, outputs]
    parameters = sum((a + 1) * b for a, b in itertools.pairwise(sizes))
    batch = min(args.batch_size, rows)
    return int(8 * (5 * parameters + 4 * batch * sum(sizes)))


def physical_memory() -> int | None:
    """This machine's memory in bytes (None where the OS does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def _bytes(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if n < 1000:
            return f"{n:.3g} {unit}"
        n /= 1000
    return f"{n:.3g} PB"


def out_folder_problem(out: str | None) -> str | None:
    """Why the run folder ``out`` (None: ``runs/<timestamp>``) cannot be written, or None.

    Tried for real (root ignores permission bits, and /proc or a path under a file refuse
    anyway): a missing folder is created and removed again, an existing one gets a temporary
    file. Its parent must exist: a typo in a path should not grow a tree of folders.
    """
    flag = "--out" if out is not None else "the default run folder"
    folder = out if out is not None else "runs"
    if os.path.exists(folder) and not os.path.isdir(folder):
        return f"{flag} {folder!r} is an existing file, not a folder"
    if os.path.isdir(folder):
        if out is not None and os.path.exists(os.path.join(folder, RUN_FILE)):
            return f"--out {out!r} already holds a run ({RUN_FILE}); choose a new folder"
        try:
            with tempfile.NamedTemporaryFile(dir=folder, prefix=".nn-train-probe-"):
                pass
        except OSError as error:
            return f"{flag} {folder!r}: cannot write there ({error.strerror})"
        return None
    parent = os.path.dirname(os.path.abspath(folder))
    if not os.path.isdir(parent):
        what = "is not a folder" if os.path.exists(parent) else "does not exist"
        return f"{flag} {folder!r}: its parent {parent!r} {what}"
    try:
        os.mkdir(folder)
        os.rmdir(folder)
    except OSError as error:
        return f"{flag} {folder!r}: cannot create it ({error.strerror})"
    return None
