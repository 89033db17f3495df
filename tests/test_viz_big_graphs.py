"""Big graphs stay readable by default: bounded pictures (measured on the rendered SVG),
collapsed modules named by what they are, folded transposes, names without counters,
marked operands and shapes on edges; ``full=True`` draws everything."""

import re
import shutil

import numpy as np
import pytest

import autograd_core as ag
import viz
from viz.layout import AUTO_COLLAPSE_NODES

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


def svg_pixels(digraph):
    """(width, height) in CSS pixels of the SVG Graphviz draws (its sizes are in points: 96/72 px)."""
    svg = digraph.pipe(format="svg").decode("utf-8")
    width, height = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups()
    return float(width) * 96 / 72, float(height) * 96 / 72


def deep_mlp_loss():
    nn = pytest.importorskip("nn")
    F = pytest.importorskip("nn.functional")
    model = nn.MLP([2, 32, 32, 32, 32, 32, 32, 32, 2], seed=0)  # 8 Linear layers
    X = np.random.default_rng(0).standard_normal((16, 2))
    loss = F.cross_entropy(model(ag.Tensor(X, label="X")), np.arange(16) % 2)
    viz.backward_all(loss)
    return loss


def chain(steps):
    x = ag.Tensor(1.0, requires_grad=True, label="x")
    y = x
    for _ in range(steps):
        y = y * 1.01
    return y


@needs_dot
@pytest.mark.parametrize(
    "make", [deep_mlp_loss, lambda: chain(60)], ids=["6-layer MLP + cross-entropy", "60-step chain"]
)
def test_no_default_picture_exceeds_4000_pixels_and_full_is_one_argument_away(make):
    loss = make()
    width, height = svg_pixels(viz.draw_graph(loss))
    assert max(width, height) <= 4000
    full_width, full_height = svg_pixels(viz.draw_graph(loss, full=True))
    assert max(full_width, full_height) > 4000  # the bound did something: the full picture is larger
    assert "hidden" not in viz.draw_graph(loss, full=True).source


def test_a_deep_mlp_collapses_its_modules_named_by_what_they_are_and_runs_top_to_bottom():
    loss = deep_mlp_loss()
    source = viz.draw_graph(loss).source
    assert "rankdir=TB" in source
    boxes = re.findall(r"<b>(layers\.\d+)</b>: ([^<\n]+?)<br/>|<b>(layers\.\d+)</b>: (ReLU)>", source)
    kinds = [(a or c, b or d) for a, b, c, d in boxes]
    assert kinds[0] == ("layers.0", "Linear(2→32)") and kinds[1] == ("layers.1", "ReLU")
    assert kinds[-1] == ("layers.14", "Linear(32→2)") and len(kinds) == 15
    assert "transpose" not in source  # Linear's W.T is not an op of its own
    full = viz.draw_graph(loss, collapse_modules=False, max_depth=None).source
    assert "layers.0: Linear(2→32)" in full  # the cluster says what it is
    assert not re.search(r'\top\d+ \[label="?transpose', full) and "(transposed)" not in full  # one linear op
    assert re.search(r'label="?linear\\na @ bᵀ \+ c', full) and "b: 32×2" in full  # W enters as b, in its own shape


def test_modules_collapse_past_the_documented_node_count():
    x = ag.Tensor(np.ones((4, 3)), label="x")
    w = ag.Tensor(np.ones((3, 3)), requires_grad=True, label="w")
    h = x
    blocks = AUTO_COLLAPSE_NODES // 4  # each block: two ops, 4 nodes, plus w
    for k in range(blocks):
        with ag.scope(f"block{k}"):
            h = (h @ w).tanh()
    source = viz.draw_graph(h.sum()).source
    assert re.search(r"<b>block0</b>", source)  # past the count: one box per module
    few = x
    for k in range(2):
        with ag.scope(f"block{k}"):
            few = (few @ w).tanh()
    assert (
        "<b>block0</b>" not in viz.draw_graph(few.sum()).source and "cluster_block0" in viz.draw_graph(few.sum()).source
    )


def test_names_come_from_labels_and_ops_and_operands_and_shapes_are_marked():
    a = ag.Tensor(np.ones((2, 3)), requires_grad=True, label="a")
    b = ag.Tensor(np.ones((3, 4)), label="b")
    loss = ((a @ b) - (a @ b).exp()).sum()
    source = viz.draw_graph(loss).source
    names = re.findall(r"<td><b>([^<]+)</b></td>", source)
    assert names == ["a", "b", "matmul₁", "matmul₂", "exp", "sub", "sum"]
    assert re.search(r'-> op\d+ \[label="a: 2×3"\]', source) and re.search(r'-> op\d+ \[label="b: 3×4"\]', source)
    assert "sub\\na − b" in source and "matmul\\na @ b" in source
    assert re.search(r'-> op\d+ \[label="2×4"\]', source)  # into exp: a plain shape


def test_deep_chain_is_cut_at_max_depth_with_a_note_and_bad_limits_are_named():
    y = chain(60)
    source = viz.draw_graph(y).source
    hidden = int(re.search(r"([\d,]+) more tensors hidden", source).group(1))
    assert 0 < hidden < 122 and "max_depth=20" in source and "full=True" in source
    with pytest.raises(ValueError, match="max_depth must be a positive int"):
        viz.draw_graph(y, max_depth=0)
    with pytest.raises(ValueError, match="max_size must be a number of pixels"):
        viz.draw_graph(y, max_size=-5)


def test_a_loss_in_its_own_scope_is_one_expandable_node():
    x = ag.Tensor(np.random.default_rng(1).standard_normal((4, 3)), requires_grad=True, label="logits")
    with ag.scope("cross_entropy"):  # what nn.functional would stamp through the public API
        loss = -(x.log_softmax(axis=1)[np.arange(4), np.array([0, 1, 2, 0])]).mean()
    collapsed = viz.draw_graph(loss, collapse_modules=True).source
    assert "<b>cross_entropy</b>" in collapsed and "log" not in re.findall(r"\top\d+ \[label=\"?(\w+)", collapsed)
    assert "cluster_cross_entropy" in viz.draw_graph(loss, collapse_modules=False).source


def test_a_loss_from_nn_functional_is_one_node_named_after_it():
    import nn
    import nn.functional as F

    model = nn.MLP([3, 8, 3], seed=0)
    loss = F.cross_entropy(model(np.random.default_rng(0).standard_normal((4, 3))), np.array([0, 1, 2, 0]))
    assert loss.scope == "cross_entropy"  # stamped through ag.scope, the public API: viz imports no nn
    collapsed = viz.draw_graph(loss, collapse_modules=True).source
    assert "<b>cross_entropy</b>" in collapsed and "log_softmax" not in collapsed
    assert "cluster_cross_entropy" in viz.draw_graph(loss, collapse_modules=False).source  # expanded
