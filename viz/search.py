"""``plot_search``: a hyper-parameter search's validation score over its grid.

Two varied parameters give a heatmap (one cell per pair, the number written in it);
one, or more than two, give lines: the score against the first varied parameter, one
line per setting of the others. Like ``plot_history``, matplotlib is used without pyplot.
"""

import io
import math
import pathlib

from autograd_core.files import atomic_write

from .plots import PLOT_FORMATS


def _rows(result):
    rows = result.table() if hasattr(result, "table") else list(result)
    if not rows or not all(isinstance(r, dict) and "score" in r for r in rows):
        raise TypeError(
            "plot_search: expected a search result (nn.grid_search / nn.random_search) or a list of rows with a 'score'"
        )
    return rows


def _label(value):
    if isinstance(value, (list, tuple)):
        return ":".join(str(v) for v in value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def plot_search(result, path=None, score_name="validation score", title="Hyper-parameter search"):
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
        _heatmap(figure, axes, rows, *varied, score_name)
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
    return atomic_write(pathlib.Path(path), buffer.getvalue(), make_folders=True)


def _ordered(values):
    unique = {_label(v): v for v in values}
    try:
        return sorted(unique, key=lambda k: float(unique[k]))
    except (TypeError, ValueError):
        return sorted(unique)


def _heatmap(figure, axes, rows, row_name, column_name, score_name):
    row_keys, column_keys = _ordered(r[row_name] for r in rows), _ordered(r[column_name] for r in rows)
    grid = [[math.nan] * len(column_keys) for _ in row_keys]
    for r in rows:  # rows come best first: a repeated pair keeps its best score
        i, j = row_keys.index(_label(r[row_name])), column_keys.index(_label(r[column_name]))
        if math.isnan(grid[i][j]) and r["score"] > -math.inf:
            grid[i][j] = r["score"]
    image = axes.imshow(grid, cmap="viridis", aspect="auto")
    figure.colorbar(image, ax=axes, label=score_name)
    axes.set_xticks(range(len(column_keys)), column_keys)
    axes.set_yticks(range(len(row_keys)), row_keys)
    axes.set_xlabel(column_name)
    axes.set_ylabel(row_name)
    for i, row in enumerate(grid):
        for j, value in enumerate(row):
            axes.text(
                j,
                i,
                "failed" if math.isnan(value) else f"{value:.3g}",
                ha="center",
                va="center",
                color="white",
                fontsize=9,
            )


def _lines(axes, rows, varied, score_name):
    x_name, others = varied[0], varied[1:]
    x_keys = _ordered(r[x_name] for r in rows)
    groups = {}
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
