"""viz.plot_search: a search's scores as a heatmap (two varied parameters) or lines, clear errors otherwise."""

import math
import os
import pathlib

import pytest

import viz

GRID = [  # best first, as nn.grid_search's table() gives them
    {"lr": 0.1, "hidden": 64, "score": 0.93},
    {"lr": 0.1, "hidden": 32, "score": 0.91},
    {"lr": 0.01, "hidden": 64, "score": 0.90},
    {"lr": 0.1, "hidden": 64, "score": 0.80},  # a repeated pair: the heatmap keeps its best score
    {"lr": 0.01, "hidden": 32, "score": -math.inf},  # a failed trial
]


def test_two_varied_parameters_give_a_heatmap_with_each_best_score_written_in_its_cell():
    figure = viz.plot_search(GRID)
    axes = figure.axes[0]
    assert [label.get_text() for label in axes.get_yticklabels()] == ["0.01", "0.1"]  # numeric order
    assert [label.get_text() for label in axes.get_xticklabels()] == ["32", "64"]
    cells = {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text() for t in axes.texts}
    assert cells == {(0, 0): "failed", (0, 1): "0.9", (1, 0): "0.91", (1, 1): "0.93"}
    assert axes.get_xlabel() == "hidden" and axes.get_ylabel() == "lr"


def test_one_varied_parameter_gives_one_line_in_the_parameters_order():
    rows = [{"lr": lr, "seed": 0, "score": s} for lr, s in ((0.1, 0.7), (0.001, 0.5), (0.01, 0.9))]
    axes = viz.plot_search(rows).axes[0]
    (line,) = axes.lines
    assert list(line.get_ydata()) == [0.5, 0.9, 0.7]  # lr 0.001, 0.01, 0.1
    assert [label.get_text() for label in axes.get_xticklabels()] == ["0.001", "0.01", "0.1"]


def test_three_varied_parameters_give_one_line_per_setting_of_the_others():
    rows = [
        {"lr": lr, "hidden": h, "act": a, "score": lr + h / 100 + (a == "relu")}
        for lr in (0.1, 0.01)
        for h in (8, 16)
        for a in ("relu", "tanh")
    ]
    axes = viz.plot_search(rows).axes[0]
    labels = sorted(line.get_label() for line in axes.lines)
    assert labels == ["hidden=16, act=relu", "hidden=16, act=tanh", "hidden=8, act=relu", "hidden=8, act=tanh"]


def test_a_search_result_with_a_table_is_read_through_it(tmp_path):
    class Result:
        def table(self):
            return GRID

    written = viz.plot_search(Result(), tmp_path / "search.png")
    assert written == tmp_path / "search.png" and isinstance(written, pathlib.Path)
    assert written.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert os.listdir(tmp_path) == ["search.png"]  # written atomically: no temporary left


@pytest.mark.parametrize("bad", [[], [{"lr": 0.1}], "not rows"])
def test_what_is_not_a_search_result_is_a_type_error_that_says_what_is_expected(bad):
    with pytest.raises(TypeError, match=r"plot_search: expected a search result .* 'score'"):
        viz.plot_search(bad)


def test_an_unknown_picture_suffix_is_refused_and_nothing_is_written(tmp_path):
    with pytest.raises(ValueError, match=r"plot_search: unknown picture type \.txt .* use one of \.jpeg, \.jpg"):
        viz.plot_search(GRID, tmp_path / "search.txt")
    assert os.listdir(tmp_path) == []
