"""``nn.fit``'s progress bar: tqdm's (a terminal's text bar or a notebook's widget), or none when
turned off or when the output is not a terminal (a log file stays free of bar redraws)."""

from __future__ import annotations

import sys
from typing import Protocol

from .history import History


class Bar(Protocol):
    """What fit uses of a tqdm bar."""

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None: ...
    def update(self, n: float | None = 1) -> bool | None: ...
    def close(self) -> None: ...


class _NoBar:
    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        pass

    def update(self, n: float | None = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _in_notebook() -> bool:
    return type(sys.stderr).__module__.startswith("ipykernel")


def progress_bar(progress: bool, epochs: int) -> Bar:
    """tqdm's bar (terminal or notebook widget), unless turned off or the output is redirected."""
    interactive = _in_notebook() or (_isatty(sys.stdout) and _isatty(sys.stderr))
    if not progress or not interactive:
        return _NoBar()
    # Imported only when a bar will show. In a notebook: a widget with the `notebook` extra
    # (ipywidgets), else a text bar, never tqdm.auto's "IProgress not found" warning.
    if _in_notebook():
        try:
            import ipywidgets  # noqa: F401
            from tqdm.notebook import tqdm
        except ImportError:
            from tqdm.std import tqdm
    else:
        from tqdm.std import tqdm
    bar: Bar = tqdm(total=epochs, desc="fit", unit="epoch", leave=True)
    return bar


def _isatty(stream: object) -> bool:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]  # a replaced stream may lack it: caught
    except (AttributeError, ValueError):  # closed or replaced streams
        return False


def summary(history: History) -> str:
    """The bar's note after an epoch: ``loss=0.3412 acc=0.912 val_loss=0.3520 val_acc=0.905``."""
    parts = [f"loss={history.train_loss[-1]:.4f}"]
    if history.train_acc:
        parts.append(f"acc={history.train_acc[-1]:.3f}")
    if history.val_loss:
        parts.append(f"val_loss={history.val_loss[-1]:.4f}")
    if history.val_acc:
        parts.append(f"val_acc={history.val_acc[-1]:.3f}")
    return " ".join(parts)
