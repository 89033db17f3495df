"""A training run's folder: ``run.json`` says what ran and how it ended; Ctrl-C and ``kill`` stop it cleanly.

``run.json`` is written with status "running" before training starts and rewritten, last,
once the model, history and curves are saved: "completed", "interrupted" (SIGINT/SIGTERM)
or "failed". A run killed with ``kill -9`` (or a power cut) is the one whose run.json
still says "running" while its ``pid`` is gone.
"""

from __future__ import annotations

import datetime
import json
import math
import os
import platform
import signal
import socket
import sys
import threading
import warnings
from collections.abc import Sequence
from types import FrameType
from typing import Any, Literal

import numpy as np

import autograd_core as ag

from .serialization import atomic_write

RUN_FILE = "run.json"
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM") if hasattr(signal, name))


class Interrupted(KeyboardInterrupt):
    """SIGINT (Ctrl-C) or SIGTERM (``kill``) arrived; ``exit_code`` is the shell's 128 + signal number."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.exit_code = 128 + signum
        super().__init__(signal.Signals(signum).name)


class StopSignals:
    """While open, SIGINT and SIGTERM both raise ``Interrupted`` (so a ``kill`` stops a run the way
    Ctrl-C does, through ``nn.fit``'s own clean-up). Set ``armed = False`` while saving: a signal
    then only records itself in ``received``, so a second Ctrl-C cannot cut a save short.

    >>> X, y = nn.datasets.make_moons(40, seed=0)
    >>> model = nn.MLP([2, 8, 2], seed=0)
    >>> with StopSignals() as signals:
    ...     history = nn.fit(model, F.cross_entropy, nn.optim.Adam(model.parameters()), X, y,
    ...                      epochs=2, progress=False)   # Ctrl-C: Interrupted, with nn.fit's history attached
    ...     signals.armed = False                        # from here on, save in peace
    ...     path = nn.save(model, "model.npz")
    >>> signals.received is None                         # no signal came
    True
    """

    def __enter__(self) -> StopSignals:
        self.armed = True
        self.received: int | None = None  # the first signal that arrived
        self.previous: dict[int, Any] = {}  # signal number -> its handler before (a function, SIG_DFL, ...)
        if threading.current_thread() is threading.main_thread():  # Python delivers signals only there
            for signum in STOP_SIGNALS:
                self.previous[signum] = signal.signal(signum, self._handle)
        return self

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.received = self.received or signum
        if self.armed:
            raise Interrupted(signum)

    def __exit__(self, *exc_info: object) -> Literal[False]:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)
        return False


class OneLineWarnings(warnings.catch_warnings):
    """While open, a warning prints as one line on stderr, ``warning: <message>``: a command's user reads what
    went wrong (``fit: training diverged ...``), not the library's file, line number and source line. numpy's
    floating-point warnings (``overflow encountered in matmul``, one per line of code) are left out: fit
    reports what they lead to, a NaN or diverging loss, with what to do. Python's display comes back on exit."""

    def __enter__(self) -> None:
        super().__enter__()
        warnings.showwarning = _one_line
        warnings.filterwarnings("ignore", r".* encountered in ", RuntimeWarning)


def _one_line(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    print(f"warning: {message}", file=sys.stderr if file is None else file)


class RunRecord:
    """``run.json`` of one run: the command, every setting, the seed, versions, status and final metrics.

    >>> import json, os
    >>> os.makedirs("run")
    >>> record = RunRecord("run", ["python", "-m", "nn.train"], {"seed": 0, "lr": 0.001})
    >>> record.write()                                   # status "running"
    'run/run.json'
    >>> path = record.write(status="completed", metrics={"test_accuracy": 0.98})
    >>> with open(path) as f:
    ...     data = json.load(f)
    >>> data["status"], data["settings"], data["metrics"]
    ('completed', {'seed': 0, 'lr': 0.001}, {'test_accuracy': 0.98})
    """

    def __init__(self, folder: str | os.PathLike[str], command: Sequence[str], settings: dict[str, Any]) -> None:
        self.path = os.path.join(folder, RUN_FILE)
        self.data = dict(
            status="running",
            command=list(command),
            settings=dict(settings),
            seed=settings.get("seed"),
            versions=versions(),
            started=utc_now(),
            finished=None,
            pid=os.getpid(),
            host=socket.gethostname(),
            metrics=None,
            files=[],
        )

    def write(self, **changes: Any) -> str:
        """Update the record with ``changes`` and rewrite run.json atomically."""
        self.data.update(changes)
        text = json.dumps(_plain(self.data), indent=2, allow_nan=False)
        atomic_write(self.path, lambda f: f.write(text.encode("utf-8")))
        return self.path


def versions() -> dict[str, str | None]:
    """Versions that decide a run's numbers: python, numpy, autograd_core (its one version string)."""
    return {"python": platform.python_version(), "numpy": np.__version__, "autograd_core": ag.__version__}


def utc_now() -> str:
    """The current UTC time as ISO 8601 text: ``"2026-11-29T19:40:00+00:00"``."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def _plain(value: Any) -> Any:
    """JSON-ready: numpy scalars as Python numbers, NaN/Inf as None (JSON has neither)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
