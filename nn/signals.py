"""Signal-safe critical sections: an interrupt never lands in the middle of an optimizer step.

Python runs a signal handler between any two bytecodes, so Ctrl-C during ``optimizer.step()``
would raise ``KeyboardInterrupt`` after some parameters were updated and before others
(Adam's step counts would then differ across parameters). ``deferring_signals()`` installs,
for as long as it is open, a handler that holds SIGINT and SIGTERM while a critical section
runs and hands them to the previous handler as soon as it ends:

>>> w = Tensor([1.0], requires_grad=True)
>>> optimizer = nn.optim.SGD([w], lr=0.1)
>>> with deferring_signals() as critical:
...     for step in range(3):
...         optimizer.zero_grad(); (w**2).sum().backward()
...         with critical:          # a Ctrl-C here raises KeyboardInterrupt after the step
...             optimizer.step()
>>> w
Tensor([0.512], requires_grad=True)

Only handlers written in Python are wrapped (the default ``KeyboardInterrupt`` one, or a
program's own): a signal whose action is to kill the process (SIG_DFL) or to be ignored
stays as it is, and outside the main thread (where Python never runs handlers) nothing changes.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Literal, TypeAlias

#: A Python signal handler: ``handler(signum, frame)``.
Handler: TypeAlias = Callable[[int, FrameType | None], object]

HELD_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM") if hasattr(signal, name))


class CriticalSection:
    """``with critical:`` holds the wrapped signals until the block ends, then delivers them in order."""

    def __init__(self) -> None:
        self.previous: dict[int, Handler] = {}  # signal number -> the handler it had before
        self.held = False
        self.pending: list[tuple[int, FrameType | None]] = []

    def handle(self, signum: int, frame: FrameType | None) -> None:
        """The installed handler: hold the signal inside the section, pass it on outside."""
        if self.held:
            self.pending.append((signum, frame))
        else:
            self.previous[signum](signum, frame)

    def __enter__(self) -> CriticalSection:
        self.held = True
        return self

    def __exit__(self, *exc_info: object) -> Literal[False]:
        self.held = False
        while self.pending:
            signum, frame = self.pending.pop(0)
            self.previous[signum](signum, frame)  # e.g. raises KeyboardInterrupt, now that the step is whole
        return False


class deferring_signals:
    """Context manager: wrap SIGINT/SIGTERM's Python handlers; yields the ``CriticalSection`` to use."""

    def __enter__(self) -> CriticalSection:
        self.critical = CriticalSection()
        if threading.current_thread() is threading.main_thread():
            for signum in HELD_SIGNALS:
                handler = signal.getsignal(signum)
                if callable(handler):
                    self.critical.previous[signum] = handler
                    signal.signal(signum, self.critical.handle)
        return self.critical

    def __exit__(self, *exc_info: object) -> Literal[False]:
        for signum, handler in self.critical.previous.items():
            signal.signal(signum, handler)
        return False
