"""viz.draw_graph: the DOT source of recorded graphs (content, determinism, grouping, size limits).

Expected numbers come from closed forms (the cs231n neuron: f = σ(z), ∂f/∂input = f(1-f)·other),
never from viz itself.
"""

import re
import shutil

import numpy as np
import pytest

import autograd_core as ag
import viz
from viz.circuit import neuron

W, X = (2.0, -3.0, -3.0), (-1.0, -2.0)


def closed_form():
    z = W[0] * X[0] + W[1] * X[1] + W[2]
    f = 1 / (1 + np.exp(-z))
    local = f * (1 - f)
    grads = {"w0": local * X[0], "x0": local * W[0], "w1": local * X[1], "x1": local * W[1], "w2": local}
    return f, z, grads


def node_ids(source):
    """Graphviz node statements of the drawing, legend excluded."""
    ids = re.findall(r"^\t+([\w.]+) \[", source, flags=re.M)
    return [i for i in ids if i not in ("graph", "node", "edge") and not i.startswith("legend_")]


def cluster_body(source, name):
    """The text of ``subgraph cluster_<name> { ... }`` (brace-matched)."""
    start = source.index(f'subgraph "cluster_{name}"' if "." in name else f"subgraph cluster_{name}")
    depth, i = 0, source.index("{", start)
    for j in range(i, len(source)):
        depth += {"{": 1, "}": -1}.get(source[j], 0)
        if depth == 0:
            return source[i:j]
    raise AssertionError("unbalanced braces")


@pytest.mark.parametrize(
    "style, ops",
    [
        ("record", ["mul", "add", "neg", "exp", "div"]),
        ("circuit", ["*", "+", "*\u22121", "exp", "/"]),
    ],
)
def test_cs231n_circuit_shows_every_op_value_and_gradient(style, ops):
    f, leaves = neuron()
    source = viz.draw_graph(f, style=style).source
    expected_f, _z, grads = closed_form()
    op_labels = re.findall(r"^\top\d+ \[label=\"?([^\"\s\\]+)", source, flags=re.M)
    assert sorted(set(op_labels)) == sorted(ops)
    assert len(op_labels) == 8  # 2 mul, 3 add (with the +1), neg, exp, div
    assert f"{expected_f:.4g}" in source  # 0.7311
    for name, value in grads.items():
        assert f"{value:.4g}" in source, name
    assert f"{expected_f * (1 - expected_f):.4g}" in source  # the gradient on the wire into the sigmoid part
    for name in leaves:
        assert f"<b>{name}</b>" in source


def test_numbers_as_the_notes_print_them():
    f, _ = neuron()
    source = viz.draw_graph(f, style="circuit", number_format="%.2f").source
    for text in ("0.73", "-0.20", "0.39", "-0.39", "-0.59", "0.20", "1.37", "-0.53"):
        assert f">{text}<" in source, text


def test_gradients_show_a_dash_before_backward_not_zero():
    f, _leaves = neuron(backward=False)
    source = viz.draw_graph(f).source
    requires_grad = [t for t in ag.walk(f) if t.requires_grad]
    assert source.count("grad \u2014") == len(requires_grad) == 13
    assert "grad 0<" not in source


def test_plain_backward_fills_leaves_only_and_backward_all_fills_every_wire():
    f, _leaves = neuron(backward=False)
    f.backward(retain_graph=True)
    source = viz.draw_graph(f).source
    assert source.count("grad \u2014") == 8  # the 8 op outputs keep no gradient after a plain backward
    f2, leaves2 = neuron(backward=True)
    _expected_f, z, grads = closed_form()
    for t in ag.walk(f2):
        assert (t.grad is not None) == t.requires_grad
    assert f2.grad == 1.0
    for name, value in grads.items():
        assert leaves2[name].grad == pytest.approx(value, rel=1e-12)  # retain_grad changes no leaf gradient
    exp_node = f2.parents[1].parents[1]  # f = 1 / (1 + e), e = exp(-z)
    assert exp_node.op == "exp"
    assert exp_node.grad == pytest.approx(-1 / (1 + np.exp(-z)) ** 2, rel=1e-12)  # d(1/(1+e))/de
    assert "grad \u2014" not in viz.draw_graph(f2).source


def test_backward_all_rejects_lists_and_non_tensors():
    with pytest.raises(TypeError, match="one Tensor"):
        viz.backward_all([ag.Tensor(1.0, requires_grad=True)])
    with pytest.raises(TypeError, match="float"):
        viz.backward_all(1.0)


def test_identical_graphs_give_identical_dot_and_different_values_do_not():
    sources = [viz.draw_graph(neuron()[0]).source for _ in range(2)]
    assert sources[0] == sources[1]
    circuit = [viz.draw_graph(neuron()[0], style="circuit").source for _ in range(2)]
    assert circuit[0] == circuit[1]
    other = viz.draw_graph(neuron(w=(2.0, -3.0, -2.0))[0]).source
    assert other != sources[0]
    assert not re.search(r"\b(0x[0-9a-f]+|\d{9,})\b", sources[0])  # no id()-like numbers


@pytest.mark.parametrize(
    "bad, name", [(np.ones(3), "numpy.ndarray"), (3.0, "float"), ("loss", "str"), ([ag.Tensor(1.0), 2], "int")]
)
def test_root_must_be_a_tensor_or_a_list_of_tensors(bad, name):
    with pytest.raises(TypeError, match=name):
        viz.draw_graph(bad)


def test_empty_root_list_and_bad_options_are_refused():
    t = ag.Tensor(1.0, requires_grad=True) * 2.0
    with pytest.raises(ValueError, match="empty"):
        viz.draw_graph([])
    with pytest.raises(ValueError, match="style"):
        viz.draw_graph(t, style="fancy")
    with pytest.raises(ValueError, match="rankdir"):
        viz.draw_graph(t, rankdir="up")
    with pytest.raises(ValueError, match="max_nodes"):
        viz.draw_graph(t, max_nodes=0)
    with pytest.raises(ValueError, match="collapse_modules"):
        viz.draw_graph(t, collapse_modules="yes")
    with pytest.raises(ValueError, match="not part of the drawn graph"):
        viz.draw_graph(t, highlight=[(ag.Tensor(1.0) * 1.0, 0)])


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
@pytest.mark.parametrize("style", ["record", "circuit"])
def test_a_long_or_control_character_label_is_shown_cut_and_cleaned(style):
    from viz.render import pipe_dot

    def width(label):
        w = ag.Tensor(2.0, requires_grad=True, label=label)
        svg = pipe_dot(viz.draw_graph((w * 3.0).sigmoid(), style=style), "svg", "test").decode("utf-8")
        return float(re.search(r'<svg width="([0-9.]+)pt"', svg).group(1))

    # 300 characters drew a 2,000 pt wide picture scaled down to max_size; a NUL was dot's syntax error
    assert width("w" * 300) < 1.6 * width("w")  # 40 characters: 1.37x (it was 2.9x, scaled down)
    assert width("a\x00b\x1b[31m") > 0
    w = ag.Tensor(2.0, requires_grad=True, label="w" * 300)
    text = str(viz.explain(w * 3.0, w))
    assert "w" * 39 + "\u2026" in text and "w" * 41 not in text  # the same name in explain


def test_several_roots_share_their_common_part():
    w = ag.Tensor([1.0, 2.0], requires_grad=True, label="w")
    a, b = (w * 2.0).sum(), (w * 3.0).sum()
    a.label, b.label = "a", "b"
    source = viz.draw_graph([a, b]).source
    assert source.count("<b>w</b>") == 1
    assert source.count("#d3f9d8") == 2 + 1  # two output boxes, plus the legend's sample


def test_large_tensors_show_a_summary_and_small_ones_their_values():
    big = ag.Tensor(np.arange(100.0), requires_grad=True, label="big")
    small = ag.Tensor(np.array([1.5, -2.0, 3.0], dtype=np.float32), requires_grad=True, label="small")
    loss = big.sum() + small.sum()
    loss.backward()
    source = viz.draw_graph(loss).source
    assert "data mean 49.5 min 0 max 99" in source
    assert "grad mean 1 min 1 max 1" in source
    assert "data [1.5, -2, 3]" in source
    assert "(3,) float32" in source and "(100,) float64" in source
    assert "sum axes=(0,)" in source


def test_small_gradients_keep_their_digits():
    w = ag.Tensor(1.0, requires_grad=True, label="w")
    loss = w * 1.234e-7
    loss.backward()
    assert "grad 1.234e-07" in viz.draw_graph(loss).source


def test_leaves_are_marked_parameter_or_input_with_a_legend():
    w = ag.Tensor([1.0, 2.0], requires_grad=True, label="w")
    x = ag.Tensor([3.0, 4.0], label="x")
    source = viz.draw_graph((w * x).sum()).source
    w_node = re.search(r"\tt\d+ \[label=<<table[^\n]*<b>w</b>", source).group(0)
    x_node = re.search(r"\tt\d+ \[label=<<table[^\n]*<b>x</b>", source).group(0)
    assert 'bgcolor="#cfe2ff"' in w_node and 'bgcolor="#fff3cd"' in x_node
    assert "leaf, requires_grad (parameter)" in source and "leaf, no grad (input / constant)" in source
    assert "legend" not in viz.draw_graph((w * x).sum(), legend=False).source


def two_layer_graph():
    """Ops inside ag.scope(...) as nn.Module.__call__ makes them; parameters labelled as nn does."""
    rng = np.random.default_rng(0)
    params = {
        name: ag.Tensor(rng.standard_normal(shape), requires_grad=True, label=name)
        for name, shape in [
            ("layers.0.weight", (3, 4)),
            ("layers.0.bias", (4,)),
            ("layers.2.weight", (4, 2)),
            ("layers.2.bias", (2,)),
        ]
    }
    x = ag.Tensor(rng.standard_normal((5, 3)), label="x")
    with ag.scope("layers"):
        with ag.scope("0"):
            h = x @ params["layers.0.weight"] + params["layers.0.bias"]
        with ag.scope("1"):
            h = h.relu()
        with ag.scope("2"):
            out = h @ params["layers.2.weight"] + params["layers.2.bias"]
    return out.sum(), params


def test_modules_are_grouped_into_nested_labelled_clusters():
    loss, _params = two_layer_graph()
    source = viz.draw_graph(loss).source
    outer = cluster_body(source, "layers")
    first = cluster_body(source, "layers.0")
    assert first in outer
    assert "<b>layers.0.weight</b>" in first and "<b>layers.0.bias</b>" in first  # parameters join their module
    assert "matmul" in first and "relu" not in first
    assert "layers.2.weight" not in first
    assert "cluster_" not in viz.draw_graph(loss, group_modules=False, legend=False).source


def test_modules_collapse_to_one_box_each():
    loss, _params = two_layer_graph()
    source = viz.draw_graph(loss, collapse_modules=True).source
    boxes = re.findall(r"^\t+(m\d+) \[label=<<b>([\w.]+)</b>", source, flags=re.M)
    assert [name for _, name in boxes] == ["layers.0", "layers.1", "layers.2"]
    assert "<b>layers.0</b>: Linear(3→4)" in source and "<b>layers.1</b>: ReLU" in source
    assert "weight 3×4" in source and "bias 4" in source  # names relative to the module
    ops = [n for n in node_ids(source) if n.startswith("op")]
    assert len(ops) == 1 and re.search(rf'\t{ops[0]} \[label="?sum\b', source)  # only the loss's sum is outside
    ids = dict((name, node) for node, name in boxes)
    assert f"{ids['layers.0']} -> {ids['layers.1']}" in source
    assert f"{ids['layers.1']} -> {ids['layers.2']}" in source
    shallow = viz.draw_graph(loss, collapse_modules=1).source
    assert re.findall(r"<b>([\w.]+)</b>", shallow).count("layers") == 1


def test_modules_collapse_automatically_when_the_graph_is_too_big():
    loss, _params = two_layer_graph()
    assert "m0" not in "".join(node_ids(viz.draw_graph(loss).source))
    small = viz.draw_graph(loss, max_nodes=6).source
    assert len(node_ids(small)) <= 6
    assert "<b>layers.0</b>" in small and "hidden" not in node_ids(small)


def chain_graph(n_ops):
    x = ag.Tensor(np.ones(3), requires_grad=True, label="x")
    y = x
    for _ in range(n_ops // 2):
        y = (y * 1.0001).tanh()
    return y.sum()


@pytest.mark.parametrize("style", ["record", "circuit"])
def test_a_20000_node_graph_stays_within_max_nodes_and_says_what_it_hid(style):
    loss = chain_graph(20_000)
    total = len(ag.walk(loss))
    assert total > 20_000
    source = viz.draw_graph(loss, max_nodes=150, style=style).source
    nodes = node_ids(source)
    assert len(nodes) <= 150
    shown = {int(n[1:]) for n in nodes if re.fullmatch(r"t\d+", n)}
    written_in_ops = source.count("\\nwith 1")  # the record style writes constants (1.0001) into their op
    hidden = re.search(r"([\d,]+) more tensors hidden", source).group(1)
    assert int(hidden.replace(",", "")) == total - len(shown) - written_in_ops
    assert "max_nodes=150" in source
    assert "hidden -> op" in source


def test_a_million_node_chain_draws_without_recursion():
    y = ag.Tensor(1.0, requires_grad=True, label="x")
    for _ in range(1_000_000):
        y = -y
    source = viz.draw_graph(y, max_nodes=50).source
    assert len(node_ids(source)) <= 50
    hidden = int(re.search(r"([\d,]+) more tensors hidden", source).group(1).replace(",", ""))
    assert hidden == 1_000_001 - sum(1 for n in node_ids(source) if n.startswith("t"))


def test_max_nodes_too_small_for_the_roots_says_the_minimum():
    y = -ag.Tensor(1.0, requires_grad=True)
    with pytest.raises(ValueError, match="max_nodes >= 3"):
        viz.draw_graph(-y, max_nodes=2)


@pytest.mark.parametrize("rankdir, into, out_of", [("LR", ":v:sw", ":v:se"), ("TB", ":v:n", ":g:s")])
def test_circuit_wires_are_met_where_the_flow_enters_and_leaves(rankdir, into, out_of):
    f, _ = neuron()
    source = viz.draw_graph(f, style="circuit", rankdir=rankdir).source
    assert re.search(rf"\top\d+ -> t\d+{into}", source)
    assert re.search(rf"\tt\d+{out_of} -> op\d+", source)
    assert f"rankdir={rankdir}" in source


def test_highlight_accepts_plain_edges():
    w = ag.Tensor(2.0, requires_grad=True, label="w")
    y = w * 3.0
    loss = y.exp()
    source = viz.draw_graph(loss, highlight=[(y, 0)]).source
    assert len(re.findall(r"-> op\d+ \[color=\"#e8590c\"", source)) == 1


def test_a_real_nn_model_is_clustered_by_its_modules():
    nn = pytest.importorskip("nn")
    model = nn.MLP([3, 4, 2], seed=0)
    out = model(ag.Tensor(np.ones((2, 3)), label="x"))
    source = viz.draw_graph(out.sum()).source
    first = cluster_body(source, "layers.0")
    assert "<b>layers.0.weight</b>" in first and "<b>layers.0.bias</b>" in first
    assert "<b>layers.2.weight</b>" in cluster_body(source, "layers.2")
    collapsed = viz.draw_graph(out.sum(), collapse_modules=True).source
    assert re.findall(r"<b>(layers\.\d)</b>", collapsed) == ["layers.0", "layers.1", "layers.2"]


def test_collapsed_modules_past_max_nodes_hide_the_farthest_boxes():
    x = ag.Tensor(np.ones(2), label="x")
    w = ag.Tensor(np.full(2, 0.5), requires_grad=True, label="w")
    h = x
    for k in range(30):  # 30 modules of 2 ops each
        with ag.scope(f"block{k}"):
            h = (h * w).tanh()
    loss = h.sum()
    source = viz.draw_graph(loss, max_nodes=10).source
    nodes = node_ids(source)
    assert len(nodes) <= 10 and "hidden" in nodes and "<b>w</b>" in source
    boxes = re.findall(r"<b>(block\d+)</b>", source)
    assert boxes and boxes[-1] == "block29"  # the boxes nearest the loss are kept
    hidden = int(re.search(r"([\d,]+) more tensors hidden", source).group(1))
    assert hidden == len(ag.walk(loss)) - 2 * len(boxes) - 2  # shown: the boxes' ops, the loss and w


@pytest.mark.parametrize("bad", ["%q", "%d %d", "{:.2f}", "%.100000000f", 4])
def test_a_bad_number_format_is_refused_by_every_drawer_naming_it(bad, tmp_path):
    # The library raised Python's bare "unsupported format character 'q'" or "not all arguments
    # converted" from deep inside, once per drawn number; only the command line checked.
    w = ag.Tensor(2.0, requires_grad=True, label="w")
    loss = (w * 3.0).sigmoid()
    calls = {
        "draw_graph": lambda: viz.draw_graph(loss, number_format=bad),
        "explain": lambda: viz.explain(loss, w, number_format=bad),
        "animate_backward": lambda: viz.animate_backward(loss, number_format=bad),
        "explore": lambda: viz.explore(loss, tmp_path / "g.html", number_format=bad),
    }
    for caller, call in calls.items():
        with pytest.raises((ValueError, TypeError), match=rf"^{caller}: number_format .*(printf format|at most 40)"):
            call()
