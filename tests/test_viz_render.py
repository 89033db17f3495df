"""viz.render_graph: formats by suffix, exactly the requested file, atomic writes, and life without `dot`."""

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree

import graphviz
import pytest

import autograd_core as ag
import viz
from viz.circuit import neuron

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz `dot` is not installed (make graphviz installs it)"
)
INSTALL_COMMANDS = (
    "apt-get install graphviz",
    "brew install graphviz",
    "conda install -c conda-forge graphviz",
    "winget install graphviz",
)


@needs_dot
def test_svg_parses_as_xml_and_shows_the_values(tmp_path):
    f, _ = neuron()
    written = viz.render_graph(f, tmp_path / "neuron.svg", style="circuit")
    assert written == tmp_path / "neuron.svg"
    root = ElementTree.parse(written).getroot()
    assert root.tag.endswith("svg")
    texts = [t.text for t in root.iter() if t.tag.endswith("text")]
    assert "0.7311" in texts and "-0.1966" in texts and "0.3932" in texts
    assert os.listdir(tmp_path) == ["neuron.svg"]  # no stray .gv or temporary file


@needs_dot
@pytest.mark.parametrize(
    "suffix, signature", [(".png", b"\x89PNG\r\n\x1a\n"), (".pdf", b"%PDF-"), (".jpg", b"\xff\xd8\xff")]
)
def test_binary_formats_have_their_signature(tmp_path, suffix, signature):
    f, _ = neuron()
    written = viz.render_graph(f, tmp_path / f"graph{suffix}")
    assert written.read_bytes().startswith(signature)
    assert os.listdir(tmp_path) == [f"graph{suffix}"]


def test_dot_suffix_saves_the_source_without_graphviz(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    f, _ = neuron()
    written = viz.render_graph(f, tmp_path / "graph.dot", style="circuit")
    assert written.read_text(encoding="utf-8") == viz.draw_graph(f, style="circuit").source
    assert viz.render_graph(f, tmp_path / "graph.gv").read_text(encoding="utf-8") == viz.draw_graph(f).source


@needs_dot
def test_keep_source_writes_the_dot_beside_the_picture(tmp_path):
    f, _ = neuron()
    viz.render_graph(f, tmp_path / "g.svg", keep_source=True)
    assert sorted(os.listdir(tmp_path)) == ["g.dot", "g.svg"]
    assert (tmp_path / "g.dot").read_text(encoding="utf-8") == viz.draw_graph(f).source


@needs_dot
def test_an_already_drawn_graph_renders_and_missing_folders_are_made(tmp_path):
    f, leaves = neuron()
    digraph = viz.explain(f, leaves["w0"]).draw()
    written = viz.render_graph(digraph, tmp_path / "a" / "b" / "explained.svg")
    assert written.exists() and "∂f/∂w0" in written.read_text(encoding="utf-8")
    with pytest.raises(TypeError, match="already drawn"):
        viz.render_graph(digraph, tmp_path / "x.svg", style="circuit")


@needs_dot
def test_rendering_replaces_an_existing_file_atomically(tmp_path):
    target = tmp_path / "g.svg"
    target.write_text("old picture")
    viz.render_graph(neuron()[0], target)
    assert target.read_text(encoding="utf-8").lstrip().startswith("<?xml")
    assert os.listdir(tmp_path) == ["g.svg"]


def test_unknown_suffix_is_refused_before_anything_is_written(tmp_path):
    with pytest.raises(ValueError, match=r"\.svg, \.png, \.pdf"):
        viz.render_graph(neuron()[0], tmp_path / "graph.bmp")
    with pytest.raises(ValueError, match=r"no suffix|\(none\)"):
        viz.render_graph(neuron()[0], tmp_path / "graph")
    assert os.listdir(tmp_path) == []


def test_without_dot_the_source_is_saved_and_the_error_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "no-graphviz-here"))
    f, _ = neuron()
    digraph = viz.draw_graph(f)  # drawing needs no Graphviz program
    assert "0.7311" in digraph.source
    with pytest.raises(viz.GraphvizNotFoundError) as caught:
        viz.render_graph(f, tmp_path / "neuron.png")
    message = str(caught.value)
    for command in INSTALL_COMMANDS:
        assert command in message
    assert "neuron.dot" in message
    assert not isinstance(caught.value, graphviz.ExecutableNotFound)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__  # no chained traceback
    assert sorted(os.listdir(tmp_path)) == ["neuron.dot"]
    assert (tmp_path / "neuron.dot").read_text(encoding="utf-8") == digraph.source


def test_the_command_line_without_dot_prints_the_install_help_and_no_traceback(tmp_path):
    env = dict(os.environ, PATH=str(tmp_path / "no-graphviz-here"))
    result = subprocess.run(
        [sys.executable, "-m", "viz.circuit", "--out", str(tmp_path / "neuron.svg")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "ExecutableNotFound" not in result.stderr
    for command in INSTALL_COMMANDS:
        assert command in result.stderr
    assert (tmp_path / "neuron.dot").exists() and not (tmp_path / "neuron.svg").exists()


@needs_dot
def test_dot_failures_are_reported_with_graphviz_message(tmp_path):
    broken = graphviz.Source("digraph { a -> }")
    with pytest.raises(RuntimeError, match="failed to draw"):
        viz.render_graph(broken, tmp_path / "broken.svg")
    assert not (tmp_path / "broken.svg").exists()


@needs_dot
def test_a_20000_node_graph_renders_within_max_nodes(tmp_path):
    x = ag.Tensor([1.0, 2.0], requires_grad=True, label="x")
    y = x
    for _ in range(10_000):
        y = (y * 1.0001).tanh()
    written = viz.render_graph(y.sum(), tmp_path / "big.svg", max_nodes=120)
    text = written.read_text(encoding="utf-8")
    ElementTree.fromstring(text.encode("utf-8"))
    assert "more tensors hidden" in text and text.count('class="node"') <= 120 + 6  # + legend


def test_a_path_with_dotdot_creates_only_the_folders_it_needs(tmp_path, monkeypatch):
    """``a/b/../../c/g.svg`` is ``c/g.svg``: creating ``a/b`` on the way would litter the user's folder."""
    monkeypatch.chdir(tmp_path)
    f, _ = neuron()
    written = viz.render_graph(f, "a/b/../../c/g.dot")  # .dot: no Graphviz needed for this property
    assert os.listdir(tmp_path) == ["c"]
    assert os.listdir(tmp_path / "c") == ["g.dot"]
    assert written.resolve() == (tmp_path / "c" / "g.dot").resolve()
    assert written.read_text().startswith("digraph")
