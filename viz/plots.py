"""Training curves: ``plot_history`` draws nn.fit's loss and accuracy per epoch.

matplotlib is imported when a plot is made (``import viz`` stays fast) and only
through ``matplotlib.figure.Figure`` with the Agg canvas: no pyplot, no global
backend switch, so it works headless and never disturbs a notebook's backend.
"""

from __future__ import annotations

import io
import math
import numbers
import os
import pathlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, cast, overload

from autograd_core.files import atomic_write

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

HISTORY_KEYS = ("train_loss", "val_loss", "train_acc", "val_acc", "grad_norm", "dead_fraction", "best_epoch")
SERIES_KEYS = HISTORY_KEYS[:-1]
LOG_SCALE_RATIO = 100  # a loss this many times its first value (nn.fit's divergence factor) gets a log axis
PLOT_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf", ".jpg": "jpg", ".jpeg": "jpg"}


class HistoryLike(Protocol):
    """What plot_history reads from ``nn.fit``'s History (viz does not import nn)."""

    @property
    def train_loss(self) -> Sequence[float]: ...
    @property
    def val_loss(self) -> Sequence[float]: ...


#: nn.fit's History, a dict of its series (history.json), or the losses of your own loop
HistoryInput: TypeAlias = "HistoryLike | Mapping[str, Any] | Sequence[float]"


def _read_history(history: HistoryInput) -> tuple[dict[str, list[float]], int | None]:
    """The history's series as a dict of lists (missing ones empty) plus best_epoch."""
    if isinstance(history, (list, tuple)) or getattr(history, "ndim", None) == 1:
        history = {"train_loss": list(cast(Sequence[float], history))}  # the losses of your own loop
    if not isinstance(history, Mapping) and not all(hasattr(history, key) for key in ("train_loss", "val_loss")):
        raise TypeError(
            f"plot_history: expected nn.fit's History (attributes {', '.join(HISTORY_KEYS)}) "
            f"or a dict with those keys, or a list of losses, got "
            f"{type(history).__module__}.{type(history).__qualname__}"
        )

    if isinstance(history, Mapping) and "train_loss" not in history:  # e.g. a run's run.json, not history.json
        raise ValueError(
            f"plot_history: the dict has no 'train_loss' (its keys: {sorted(map(str, history))[:8]}); expected "
            "nn.fit's History, History.to_json's JSON (a run folder's history.json) or a dict of its series"
        )

    def get(key: str) -> Any:
        return history.get(key) if isinstance(history, Mapping) else getattr(history, key, None)

    series = {}
    for key in SERIES_KEYS:
        values = get(key)
        values = [] if values is None else list(values)
        for epoch, v in enumerate(values):
            if v is None:  # History.to_json writes NaN/Inf as null
                v = math.nan
            if not isinstance(v, (int, float)) or isinstance(v, bool):
                try:
                    v = float(v)  # numpy scalars
                except (TypeError, ValueError):
                    raise TypeError(f"plot_history: {key}[{epoch}] is {v!r}, not a number") from None
            values[epoch] = float(v)
        series[key] = values
    if not series["train_loss"]:
        raise ValueError("plot_history: the history has no train_loss values (nothing was trained?)")
    epochs = len(series["train_loss"])
    for key, values in series.items():
        if values and len(values) != epochs:
            raise ValueError(
                f"plot_history: {key} has {len(values)} values but train_loss has {epochs}; "
                "every series needs one value per epoch"
            )
    best = get("best_epoch")
    # numbers.Integral: np.argmin(val_loss) gives a numpy int, which is not a Python int
    if best is not None and not (
        isinstance(best, numbers.Integral) and not isinstance(best, bool) and 0 <= int(best) < epochs
    ):
        raise ValueError(f"plot_history: best_epoch={best!r} is not an epoch index in 0..{epochs - 1}")
    return series, (None if best is None else int(best))


def _history_figure_class() -> type[Figure]:
    """A matplotlib Figure that Jupyter displays by itself (no pyplot, no %matplotlib needed)."""
    from matplotlib.figure import Figure

    class HistoryFigure(Figure):
        """``plot_history``'s figure: as a notebook cell's last line it shows as a PNG."""

        def _repr_png_(self) -> bytes:
            buffer = io.BytesIO()
            self.savefig(buffer, format="png", dpi=100)
            return buffer.getvalue()

    return HistoryFigure


@overload
def plot_history(history: HistoryInput, path: None = None, title: str = ..., diagnostics: bool = ...) -> Figure: ...
@overload
def plot_history(
    history: HistoryInput, path: str | os.PathLike[str], title: str = ..., diagnostics: bool = ...
) -> pathlib.Path: ...
def plot_history(
    history: HistoryInput,
    path: str | os.PathLike[str] | None = None,
    title: str = "Training history",
    diagnostics: bool = False,
) -> Figure | pathlib.Path:
    """Loss (left) and accuracy (right) per epoch, train and validation, on one figure.

    ``history``: ``nn.fit``'s History (``train_loss``, ``val_loss``, ``train_acc``,
    ``val_acc``: one value per epoch; ``best_epoch``: the 0-based index of the epoch
    whose weights were kept) or a dict with those keys; missing series are skipped. A plain
    list (or 1-d array) of numbers is the training loss of your own loop, one value per epoch.
    A dotted line marks the best (early-stopping) epoch. Epochs are numbered from 1
    on the axis. With ``path`` the figure is saved atomically (suffix: .png, .svg,
    .pdf, .jpg) and the path returned; without it the matplotlib Figure is returned,
    which a Jupyter cell displays inline by itself (no pyplot import needed).
    A loss that rose to more than ``LOG_SCALE_RATIO`` (100x) its first epoch's value (a run
    that diverged) is drawn on a log scale, so the epochs before it stay readable; an epoch whose
    value is NaN or inf (a line would skip it) is marked × along the top and named in the legend.
    ``diagnostics=True`` adds what ``nn.fit`` records per epoch: the mean gradient norm
    (log scale) and the fraction of dead ReLU units, when the history has them.

    >>> viz.plot_history({"train_loss": [0.9, 0.5, 0.4], "val_loss": [1.0, 0.6, 0.7],
    ...                   "best_epoch": 1}, "curves.png").name
    'curves.png'
    """
    series, best = _read_history(history)
    fmt = None
    if path is not None:
        fmt = PLOT_FORMATS.get(pathlib.Path(path).suffix.lower())
        if fmt is None:
            raise ValueError(
                f"plot_history: cannot tell the format of {str(path)!r} from its suffix; "
                f"use one of {', '.join(PLOT_FORMATS)}"
            )
    from matplotlib.ticker import MaxNLocator

    has_acc = bool(series["train_acc"] or series["val_acc"])
    extra = [key for key in ("grad_norm", "dead_fraction") if diagnostics and series[key]]
    count = 1 + has_acc + len(extra)
    rows, columns = (1, count) if count <= 2 else (2, 2)  # diagnostics go on a second row
    figure = _history_figure_class()(figsize=(11 if columns == 2 else 6.5, 4.2 * rows), layout="constrained")
    axes = list(figure.subplots(rows, columns, squeeze=False).reshape(-1))
    for unused in axes[count:]:
        figure.delaxes(unused)
    axes = axes[:count]
    panels = [(axes[0], "loss", "train_loss", "val_loss")]
    if has_acc:
        panels.append((axes[1], "accuracy", "train_acc", "val_acc"))
    epochs = range(1, len(series["train_loss"]) + 1)
    for ax, key in zip(axes[1 + has_acc :], extra):
        _diagnostic_panel(ax, key, series[key], epochs, best)
    for ax, quantity, train_key, val_key in panels:
        for key, colour, name in ((train_key, "#1f77b4", "train"), (val_key, "#ff7f0e", "validation")):
            if series[key]:
                ax.plot(
                    epochs,
                    series[key],
                    color=colour,
                    marker="o" if len(epochs) <= 30 else None,
                    markersize=3,
                    label=f"{name} {quantity}",
                )
                _mark_not_finite(ax, series[key], colour, f"{name} {quantity}")
        if best is not None:
            ax.axvline(best + 1, color="#555555", linestyle=":", linewidth=1.5, label=f"best epoch ({best + 1})")
            best_values = [series[k][best] for k in (val_key, train_key) if series[k]]
            if best_values and math.isfinite(best_values[0]):
                ax.plot([best + 1], [best_values[0]], marker="*", markersize=12, color="#d62728", zorder=5)
        if quantity == "loss" and _blew_up(series[train_key], series[val_key]):
            ax.set_yscale("log")  # a diverged run's 1e232 would flatten every earlier epoch onto zero
        ax.set_xlabel("epoch")
        ax.set_ylabel(quantity)
        ax.set_title(quantity)
        ax.grid(True, alpha=0.3)
        ax.legend(frameon=False)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))  # epochs are whole numbers
        ax.set_xlim(0.5, len(epochs) + 0.5)  # one epoch alone got ticks 0.945 ... 1.05
        if not any(math.isfinite(v) for v in series[train_key] + series[val_key]):
            ax.set_yticks([])  # nothing finite to read: matplotlib's default -0.04 ... 0.04 would be made up
    if has_acc and max(series["train_acc"] + series["val_acc"]) <= 1:  # fractions read best as percent
        axes[1].yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    if "dead_fraction" in extra:
        axes[-1].yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    figure.suptitle(title)
    if path is None:
        return figure
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt, dpi=130)
    written: pathlib.Path = atomic_write(pathlib.Path(path), buffer.getvalue(), make_folders=True)
    return written


def _mark_not_finite(ax: Axes, values: list[float], colour: str, name: str) -> None:
    """An × along the top for each epoch whose value is NaN or ±inf: a line skips those epochs silently,
    and a run that was NaN from the start drew an empty panel."""
    bad = [epoch for epoch, v in enumerate(values, 1) if not math.isfinite(v)]
    if not bad:
        return
    listed = ", ".join(map(str, bad[:5])) + (f", … ({len(bad)} in all)" if len(bad) > 5 else "")
    ax.plot(
        bad,
        [0.97] * len(bad),
        transform=ax.get_xaxis_transform(),  # x in epochs, y in the panel's height: visible whatever the values
        linestyle="none",
        marker="x",
        color=colour,
        clip_on=False,
        label=f"{name} NaN/inf (epoch{'s' if len(bad) > 1 else ''} {listed})",
    )


def _blew_up(*series: list[float]) -> bool:
    """Every finite value positive (a log axis can show them) and one series rising to more than
    ``LOG_SCALE_RATIO`` times its first finite value."""
    finite = [[v for v in values if math.isfinite(v)] for values in series]
    if any(v <= 0 for values in finite for v in values):
        return False
    return any(values and max(values) > LOG_SCALE_RATIO * values[0] for values in finite)


def _diagnostic_panel(ax: Axes, key: str, values: list[float], epochs: range, best: int | None) -> None:
    """Gradient norm (log scale: it spans decades) or dead-unit fraction per epoch."""
    from matplotlib.ticker import MaxNLocator

    name = {"grad_norm": "gradient norm (mean per epoch)", "dead_fraction": "dead ReLU units"}[key]
    ax.plot(
        epochs,
        values,
        color="#2ca02c" if key == "grad_norm" else "#9467bd",
        marker="o" if len(epochs) <= 30 else None,
        markersize=3,
        label=name,
    )
    _mark_not_finite(ax, values, "#d62728", name)
    if key == "grad_norm" and all(v > 0 for v in values if math.isfinite(v)):
        ax.set_yscale("log")
    if key == "dead_fraction":
        ax.set_ylim(0, max(1e-9, max((v for v in values if math.isfinite(v)), default=0)) * 1.1 + 0.01)
    if best is not None:
        ax.axvline(best + 1, color="#555555", linestyle=":", linewidth=1.5, label=f"best epoch ({best + 1})")
    ax.set_xlabel("epoch")
    ax.set_title(name)
    ax.grid(True, alpha=0.3)
    ax.legend(frameon=False)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    ax.set_xlim(0.5, len(epochs) + 0.5)
