"""Rich displays for Jupyter, checked on the objects themselves (the notebook test runs them
in a real kernel): plot_history's figure is a PNG, an Explanation is HTML and LaTeX with its
numbers, an animation is an inline player, a Tensor is a compact card."""

import html
import re
import shutil

import numpy as np
import pytest
from player_helpers import page_frames

import autograd_core as ag
import viz
from autograd_core.display import tensor_html
from viz.circuit import neuron

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
HISTORY = {
    "train_loss": [0.9, 0.5, 0.4],
    "val_loss": [1.0, 0.6, 0.7],
    "train_acc": [0.5, 0.7, 0.8],
    "val_acc": [0.4, 0.6, 0.6],
    "grad_norm": [2.0, 0.5, 0.1],
    "dead_fraction": [0.0, 0.1, 0.25],
    "best_epoch": 1,
}


def test_plot_history_figure_displays_itself_as_png_without_pyplot():
    figure = viz.plot_history(HISTORY)
    png = figure._repr_png_()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    assert len(figure.axes) == 2
    assert len(viz.plot_history(HISTORY, diagnostics=True).axes) == 4
    titles = [ax.get_title() for ax in viz.plot_history(HISTORY, diagnostics=True).axes]
    assert titles[2:] == ["gradient norm (mean per epoch)", "dead ReLU units"]
    assert viz.plot_history(HISTORY, diagnostics=True).axes[2].get_yscale() == "log"


@needs_dot
def test_explanation_renders_its_paths_with_numbers_as_html_and_latex():
    f, leaves = neuron()
    explanation = viz.explain(f, leaves["w0"])
    page = explanation._repr_html_()
    assert "∂f/∂w0 = -0.1966" in page and "(-0.5344) · (1) · (0.3679)" in page and "<svg" in page
    latex = explanation._repr_markdown_()
    assert r"\frac{\partial \mathrm{f}}{\partial \mathrm{w0}} = \text{-0.1966}" in latex
    assert r"\mathrm{add}_{3}" in latex


def test_explain_on_matrices_names_each_jacobian_by_its_shapes():
    w = ag.Tensor(np.ones((3, 2)), requires_grad=True, label="w")
    loss = (ag.Tensor(np.ones((4, 3)), label="x") @ w).tanh().sum()
    text = str(viz.explain(loss, w))
    assert "J(1 ← 4×2) · J(4×2 ← 4×2) · J(4×2 ← 3×2)" in text and "J·J" not in text


@needs_dot
def test_animation_without_a_path_plays_inline_with_each_caption_once():
    f, _leaves = neuron(backward=False)
    animation = viz.animate_backward(f)
    assert len(animation) == 9  # still the list of frames
    page = animation._repr_html_()
    assert page.count("<svg") == 1 and "<script>" in page  # one picture, and the changes each frame makes
    assert "http" not in page.replace("http://www.w3.org", "")
    assert [frame["caption"] for frame in page_frames(page)] == [frame.caption for frame in animation]
    picture = page[page.index("<svg") : page.index("</svg>")]
    for frame in animation:  # the caption is HTML text above the picture, not also the SVG's title
        assert frame.caption not in picture and html.escape(frame.caption) not in picture
    assert "∂f/∂exp" in page  # named as the picture names the wire
    assert int(re.search(r"\.caption \{ font-size: (\d+)px", page).group(1)) >= 14


def test_a_tensor_card_shows_shape_dtype_op_values_and_grad():
    w = ag.Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, label="w")
    (w * 2).sum().backward()
    card = tensor_html(w)
    assert "<b>w</b>" in card and "2×3 float64" in card and "leaf, requires grad" in card
    assert "mean 2.5" in card and "grad" in card
    assert "op <b>sum</b>" in tensor_html((w * 2).sum())
    big = tensor_html(ag.Tensor(np.zeros((100, 100))))
    assert "..." in big and len(big) < 2000


def test_an_animation_without_graphviz_shows_how_to_install_it(monkeypatch):
    f, _leaves = neuron(backward=False)
    animation = viz.animate_backward(f)
    monkeypatch.setenv("PATH", "/nonexistent")  # no `dot` on PATH
    page = animation._repr_html_()
    assert page.startswith("<pre>") and "apt-get install graphviz" in page


def test_a_graph_without_graphviz_shows_how_to_install_it_not_a_traceback(monkeypatch):
    # graphviz.Digraph's own _repr_mimebundle_ raised ExecutableNotFound, which IPython shows as a traceback.
    f, _leaves = neuron(backward=False)
    for graph in (viz.draw_graph(f), viz.explain(f, _leaves["w0"]).draw()):
        assert "image/svg+xml" in graph._repr_mimebundle_()  # with dot: the picture, as before
        with monkeypatch.context() as without_dot:
            without_dot.setenv("PATH", "/nonexistent")
            bundle = graph._repr_mimebundle_()
        assert bundle["text/html"].startswith("<pre>") and "apt-get install graphviz" in bundle["text/html"]
        assert "apt-get install graphviz" in bundle["text/plain"]
        assert isinstance(graph.copy(), type(graph))  # copies (a PNG's dpi) keep the behaviour
