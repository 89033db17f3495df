"""viz.plot_history: nn.fit's curves on one figure, the best epoch marked, clear errors otherwise."""

import os
import types
import xml.etree.ElementTree as ElementTree

import pytest

import viz

HISTORY = {
    "train_loss": [1.2, 0.8, 0.5, 0.4, 0.35],
    "val_loss": [1.3, 0.9, 0.7, 0.72, 0.8],
    "train_acc": [0.5, 0.7, 0.85, 0.9, 0.93],
    "val_acc": [0.45, 0.66, 0.8, 0.79, 0.78],
    "best_epoch": 2,
}


def test_writes_a_png_and_nothing_else(tmp_path):
    written = viz.plot_history(HISTORY, tmp_path / "curves.png")
    assert written == tmp_path / "curves.png"
    assert written.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert os.listdir(tmp_path) == ["curves.png"]


def test_svg_output_parses_as_xml(tmp_path):
    root = ElementTree.parse(viz.plot_history(HISTORY, tmp_path / "curves.svg")).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"


def test_loss_and_accuracy_panels_with_the_best_epoch_marked():
    figure = viz.plot_history(HISTORY)
    loss_axes, acc_axes = figure.axes
    for axes, train, val in ((loss_axes, "train_loss", "val_loss"), (acc_axes, "train_acc", "val_acc")):
        curves = {line.get_label(): list(line.get_ydata()) for line in axes.lines}
        assert curves[f"train {axes.get_title()}"] == HISTORY[train]
        assert curves[f"validation {axes.get_title()}"] == HISTORY[val]
        best = curves["best epoch (3)"]  # the 0-based best_epoch 2 is epoch 3 on the axis
        assert [list(line.get_xdata()) for line in axes.lines if line.get_label() == "best epoch (3)"] == [[3, 3]]
        assert len(best) == 2
    assert [t.get_text() for t in loss_axes.get_legend().get_texts()][:2] == ["train loss", "validation loss"]


def test_a_diverged_loss_gets_a_log_axis_so_the_earlier_epochs_stay_readable():
    # SGD at lr=1e3 (the README's divergence example): on a linear axis the 1e232 epoch put every
    # earlier loss on the zero line, all within 1e-229 of the axis' height.
    diverged = viz.plot_history({"train_loss": [2.3, 1.0, 1e232], "val_loss": [2.2, 1.1, 1e200]})
    assert diverged.axes[0].get_yscale() == "log"
    for converged in (HISTORY, {"train_loss": [2.3, 0.01, 0.001]}, {"train_loss": [0.5, -1.0, 300.0]}):
        assert viz.plot_history(converged).axes[0].get_yscale() == "linear"  # falling, or not all positive


def test_accepts_an_object_with_history_attributes_and_skips_missing_series():
    history = types.SimpleNamespace(train_loss=[0.9, 0.5, 0.3], val_loss=[], train_acc=[], val_acc=[], best_epoch=None)
    figure = viz.plot_history(history)
    assert len(figure.axes) == 1  # a regression run: loss only
    assert [line.get_label() for line in figure.axes[0].lines] == ["train loss"]


def test_nn_history_json_nulls_are_gaps_not_errors():
    data = dict(HISTORY, val_loss=[1.3, None, 0.7, 0.72, 0.8])
    figure = viz.plot_history(data)
    assert any(line.get_label() == "validation loss" for line in figure.axes[0].lines)


def test_best_epoch_may_be_a_numpy_int():
    """np.argmin(val_loss) is a numpy integer: it was refused as 'not an epoch index in 0..4'."""
    import numpy as np

    figure = viz.plot_history(dict(HISTORY, best_epoch=np.argmin(HISTORY["val_loss"])))
    assert any(line.get_label() == "best epoch (3)" for line in figure.axes[0].lines)
    with pytest.raises(ValueError, match=r"best_epoch=True is not an epoch index"):
        viz.plot_history(dict(HISTORY, best_epoch=True))


@pytest.mark.parametrize(
    "bad, error, message",
    [
        ("history.json", TypeError, "got builtins.str"),  # (a list of numbers is your own loop's losses)
        ("history.json", TypeError, "got builtins.str"),
        ({"train_loss": []}, ValueError, "no train_loss"),
        (
            {"status": "completed", "settings": {}},
            ValueError,
            r"no 'train_loss' .*\['settings', 'status'\].*history.json",
        ),
        ({"train_loss": [1.0, 0.5], "val_loss": [1.0]}, ValueError, "val_loss has 1 values but train_loss has 2"),
        ({"train_loss": [1.0, 0.5], "best_epoch": 2}, ValueError, r"best_epoch=2 .* 0\.\.1"),
        ({"train_loss": [1.0, "x"]}, TypeError, r"train_loss\[1\] is 'x'"),
    ],
)
def test_bad_histories_get_clear_errors(bad, error, message):
    with pytest.raises(error, match=message):
        viz.plot_history(bad)


def test_unknown_suffix_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"\.png"):
        viz.plot_history(HISTORY, tmp_path / "curves.txt")
    assert os.listdir(tmp_path) == []


def test_accepts_nn_history(tmp_path):
    nn = pytest.importorskip("nn")
    history = nn.History()
    history.train_loss, history.val_loss = [0.9, 0.6, 0.5], [1.0, 0.7, 0.75]
    history.train_acc, history.val_acc, history.best_epoch = [0.6, 0.8, 0.85], [0.55, 0.75, 0.7], 1
    figure = viz.plot_history(history)
    assert len(figure.axes) == 2
    assert any(line.get_label() == "best epoch (2)" for line in figure.axes[1].lines)
    assert viz.plot_history(history, tmp_path / "h.png").read_bytes().startswith(b"\x89PNG")
