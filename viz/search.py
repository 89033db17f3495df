"""``plot_search``: a hyper-parameter search's validation score over its grid.

Two varied parameters give a heatmap (one cell per pair, the number written in it);
one, or more than two, give lines: the score against the first varied parameter, one
line per setting of the others. Like ``plot_history``, matplotlib is used without pyplot.
"""

from __future__ import annotations

import io
import math
import os
import pathlib
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, overload, runtime_checkable

from autograd_core.files import atomic_write

from .plots import PLOT_FORMATS

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

Row = Mapping[str, Any]  # one trial: its parameters, "score" and what else the search recorded


@runtime_checkable
class SearchResultLike(Protocol):
    """What plot_search reads from nn.grid_search / nn.random_search's result (viz does not import nn)."""

    def table(self) -> Sequence[Row]: ...


def _rows(result: SearchResultLike | Iterable[Row]) -> list[Row]:
    rows = list(result.table() if isinstance(result, SearchResultLike) else result)
    if not rows or not all(isinstance(r, dict) and "score" in r for r in rows):
        raise TypeError(
            "plot_search: expected a search result (nn.grid_search / nn.random_search) or a list of rows with a 'score'"
        )
    return rows


def _label(value: object) -> str:
    if isinstance(value, (list, tuple)):
        return ":".join(str(v) for v in value)
    return f"{value:g}" if isinstance(value, float) else str(value)


@overload
def plot_search(
    result: SearchResultLike | Iterable[Row], path: None = None, score_name: str = ..., title: str = ...
) -> Figure: ...
@overload
def plot_search(
    result: SearchResultLike | Iterable[Row], path: str | os.PathLike[str], score_name: str = ..., title: str = ...
) -> pathlib.Path: ...
def plot_search(
    result: SearchResultLike | Iterable[Row],
    path: str | os.PathLike[str] | None = None,
    score_name: str = "validation score",
    title: str = "Hyper-parameter search",
) -> Figure | pathlib.Path:
    """Draw ``result`` (a search result or its ``table()`` rows) to ``path`` (.png/.svg/.pdf)
    and return the path, or return the matplotlib Figure when ``path`` is None.

    >>> rows = [{"lr": 0.1, "hidden": 32, "score": 0.91}, {"lr": 0.1, "hidden": 64, "score": 0.93},
    ...         {"lr": 0.01, "hidden": 32, "score": 0.88}, {"lr": 0.01, "hidden": 64, "score": 0.90}]
    >>> viz.plot_search(rows, "search.png")     # or nn.grid_search(...)'s result: a heatmap lr x hidden
    PosixPath('search.png')
    """
    from matplotlib.figure import Figure

    rows = _rows(result)
    params = [k for k in rows[0] if k not in ("score", "val_loss", "val_acc", "error")]
    varied = [k for k in params if len({_label(r[k]) for r in rows}) > 1] or params[:1]
    figure = Figure(figsize=(7, 4.8) if len(varied) == 2 else (8, 4.5))
    axes = figure.add_subplot()
    if len(varied) == 2:
        _heatmap(figure, axes, rows, varied[0], varied[1], score_name)
    else:
        _lines(axes, rows, varied, score_name)
    axes.set_title(title)
    figure.tight_layout()
    if path is None:
        return figure
    suffix = pathlib.Path(path).suffix.lower()
    if suffix not in PLOT_FORMATS:
        raise ValueError(
            f"plot_search: unknown picture type {suffix or '(none)'} for {path}; "
            f"use one of {', '.join(sorted(PLOT_FORMATS))}"
        )
    buffer = io.BytesIO()
    figure.savefig(buffer, format=PLOT_FORMATS[suffix], dpi=100)
    return pathlib.Path(atomic_write(pathlib.Path(path), buffer.getvalue(), make_folders=True))


FAILED_CELL = "#dee2e6"  # a trial that failed (score -inf: an error or a NaN loss)


def _ordered(values: Iterable[Any]) -> list[str]:
    unique = {_label(v): v for v in values}
    try:
        return sorted(unique, key=lambda k: float(unique[k]))
    except (TypeError, ValueError):
        return sorted(unique)


def _heatmap(figure: Figure, axes: Axes, rows: list[Row], row_name: str, column_name: str, score_name: str) -> None:
    from matplotlib.patches import Rectangle

    row_keys, column_keys = _ordered(r[row_name] for r in rows), _ordered(r[column_name] for r in rows)
    grid = [[math.nan] * len(column_keys) for _ in row_keys]
    tried: set[tuple[int, int]] = set()  # a random search leaves most pairs untried: blank, not "failed"
    for r in rows:  # rows come best first: a repeated pair keeps its best score
        i, j = row_keys.index(_label(r[row_name])), column_keys.index(_label(r[column_name]))
        tried.add((i, j))
        if math.isnan(grid[i][j]) and r["score"] > -math.inf:
            grid[i][j] = r["score"]
    image = axes.imshow(grid, cmap="viridis", aspect="auto")
    figure.colorbar(image, ax=axes, label=score_name)
    axes.set_xticks(range(len(column_keys)), column_keys)
    axes.set_yticks(range(len(row_keys)), row_keys)
    axes.set_xlabel(column_name)
    axes.set_ylabel(row_name)
    low, high = (float(v) for v in image.get_clim())
    for i, row in enumerate(grid):
        for j, value in enumerate(row):
            if math.isnan(value) and (i, j) not in tried:
                continue
            if math.isnan(value):  # a NaN cell is blank (white): "failed" was written on it in white
                axes.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, color=FAILED_CELL))
            # viridis' yellow end: white text vanished there too
            bright = math.isnan(value) or high == low or (value - low) / (high - low) > 0.6
            text = "failed" if math.isnan(value) else f"{value:.3g}"
            axes.text(j, i, text, ha="center", va="center", color="#212529" if bright else "white", fontsize=9)


def _lines(axes: Axes, rows: list[Row], varied: list[str], score_name: str) -> None:
    x_name, others = varied[0], varied[1:]
    x_keys = _ordered(r[x_name] for r in rows)
    groups: dict[tuple[str, ...], dict[str, float]] = {}
    for r in rows:
        groups.setdefault(tuple(_label(r[k]) for k in others), {})[_label(r[x_name])] = r["score"]
    for key, scores in sorted(groups.items()):
        xs = [k for k in x_keys if k in scores and scores[k] > -math.inf]
        label = ", ".join(f"{k}={v}" for k, v in zip(others, key)) or None
        axes.plot([x_keys.index(k) for k in xs], [scores[k] for k in xs], marker="o", label=label)
    axes.set_xticks(range(len(x_keys)), x_keys)
    axes.set_xlabel(x_name)
    axes.set_ylabel(score_name)
    if others:
        axes.legend(fontsize=8)
