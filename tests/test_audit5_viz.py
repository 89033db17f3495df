"""Fifth everyday-use audit of viz: what a teacher or a student meets outside the README's lines."""

import numpy as np
import pytest

import autograd_core as ag
import viz
from viz.explain import SAME_ROUTE


def test_explain_of_a_square_does_not_claim_modules_it_has_not():
    # b * b reaches b through both arguments: the paths say [arg 0] / [arg 1], no module is involved
    b = ag.Tensor([1.0, 2.0], requires_grad=True, label="b")
    text = viz.explain((b * b).sum(), b).text()
    assert "[arg 0]" in text and "[arg 1]" in text
    assert SAME_ROUTE not in text
    assert text.endswith("∂sum/∂b = [2, 4]")


def test_explain_keeps_a_matrix_gradient_inside_its_equation():
    # a (2, 3) gradient: numpy's second row started at column 0 of the text, and the repr spanned lines
    a = ag.Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, label="a")
    explanation = viz.explain((a * a).sum(), a)
    lines = explanation.text().splitlines()
    total = lines[-2:]
    assert total == ["sum over the 2 paths: ∂sum/∂a = [[0, 2, 4],", " " * 33 + "[6, 8, 10]]"]  # under [0
    contribution = next(k for k, line in enumerate(lines) if line.strip() == "= [[0, 1, 2],")
    assert lines[contribution + 1] == " " * (lines[contribution].index("[") + 1) + "[3, 4, 5]]"
    assert repr(explanation) == "Explanation(∂sum/∂a = [[0, 2, 4], [6, 8, 10]] over 2 paths)"
    assert "[[0, 2, 4], [6, 8, 10]]" in explanation._repr_markdown_()


def test_explain_of_a_vector_offers_only_what_explain_accepts():
    # the message offered "pass grad= of its shape", and explain(y, w, grad=...) is a TypeError
    w = ag.Tensor([1.0, 2.0], requires_grad=True, label="w")
    y = w * 3.0
    with pytest.raises(ValueError) as caught:
        viz.explain(y, w)
    message = str(caught.value)
    assert message == (
        "explain: root has shape (2,); the chain rule starts from a one-element tensor (a loss). "
        "Reduce it first, explain(root.sum(), param), or pick one element, explain(root[0], param)"
    )
    assert viz.explain(y.sum(), w).total.tolist() == [3.0, 3.0]
    assert viz.explain(y[0], w).total.tolist() == [3.0, 0.0]


def _legend(axes):
    return [text.get_text() for text in axes.get_legend().get_texts()]


def _ticks_shown(axes):
    low, high = axes.get_xlim()
    return [tick for tick in axes.get_xticks() if low <= tick <= high]


def test_plot_history_marks_the_epochs_whose_loss_is_nan_or_inf():
    pytest.importorskip("matplotlib")
    # a line skips a NaN epoch silently: the picture showed two dots and no hint of epoch 2
    axes = viz.plot_history([0.5, float("nan"), 0.3, float("inf")]).axes[0]
    assert _legend(axes) == ["train loss", "train loss NaN/inf (epochs 2, 4)"]
    marks = axes.get_lines()[1]
    assert marks.get_xdata().tolist() == [2, 4] and marks.get_marker() == "x"
    # a run NaN from its first epoch drew an empty panel with made-up y ticks -0.04 ... 0.04
    axes = viz.plot_history({"train_loss": [float("nan")] * 3, "val_loss": [None] * 3}).axes[0]
    assert _legend(axes)[-1] == "validation loss NaN/inf (epochs 1, 2, 3)"
    assert list(axes.get_yticks()) == []
    assert _ticks_shown(axes) == [1.0, 2.0, 3.0]


def test_plot_history_of_one_epoch_numbers_the_epoch_axis_in_whole_epochs():
    pytest.importorskip("matplotlib")
    axes = viz.plot_history({"train_loss": [0.5], "val_loss": [0.6]}).axes[0]
    assert _ticks_shown(axes) == [1.0]  # was 0.945, 0.96, ... 1.05
    figure = viz.plot_history({"train_loss": [0.5], "grad_norm": [float("nan")]}, diagnostics=True)
    assert _ticks_shown(figure.axes[1]) == [1.0]
    assert _legend(figure.axes[1])[-1] == "gradient norm (mean per epoch) NaN/inf (epoch 1)"


def test_saving_under_a_file_names_the_file_in_the_way(tmp_path):
    # "graph.svg/more/g.svg": makedirs said "[Errno 17] File exists: '.../graph.svg'", as if the target existed
    w = ag.Tensor(2.0, requires_grad=True, label="w")
    (tmp_path / "graph.svg").write_text("<svg/>")
    target = tmp_path / "graph.svg" / "more" / "g.svg"
    for save in (
        lambda: viz.render_graph(w * 3.0, target.with_suffix(".dot")),
        lambda: viz.explore(w * 3.0, target.with_suffix(".html")),
    ):
        with pytest.raises(NotADirectoryError) as caught:
            save()
        assert str(caught.value).endswith(f"{str(tmp_path / 'graph.svg')!r} is a file, not a folder")
    assert (tmp_path / "graph.svg").read_text() == "<svg/>"


def test_an_index_is_drawn_as_the_user_wrote_it():
    # the op's box read "getitem index=(slice(None, None, None), 2)" for a[:, 2]
    a = ag.Tensor(np.arange(12.0).reshape(3, 4), requires_grad=True, label="a")
    parts = [a[:, 2], a[1:3, ::-1], a[np.int64(1)], a[..., None], a[[0, 2]], a[a.data > 4], a[np.arange(10) % 3]]
    source = viz.draw_graph([p.sum() for p in parts], full=True).source
    for text in ("[:, 2]", "[1:3, ::-1]", "[1]", "[..., None]", "[[0, 2]]", "[mask(3, 4)]", "[array(10,)]"):
        assert f'label="getitem {text}"' in source
    assert "slice(" not in source and "index=" not in source


def test_explain_names_a_sequentials_layers_by_their_kind_not_as_bare_numbers():
    nn = pytest.importorskip("nn")
    import nn.functional as F

    # nn.Sequential names its children 0, 1, 2: the path read "cross_entropy ← 2 ← 1 ← 0", the factors ∂2/∂1
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2), nn.LayerNorm(2))
    loss = F.cross_entropy(model(ag.randn(5, 3)), ag.tensor([0, 1, 1, 0, 1]))
    explanation = viz.explain(loss, model[0].weight)
    text = explanation.text()
    assert "path 1 of 12: cross_entropy ← 3:module ← 2:Linear ← 1:ReLU ← 0:Linear ← 0.weight" in text
    assert "∂3:module/∂2:Linear · ∂2:Linear/∂1:ReLU · ∂1:ReLU/∂0:Linear · ∂0:Linear/∂0.weight" in text
    loss.backward()
    np.testing.assert_allclose(explanation.total, model[0].weight.grad, rtol=1e-12)


def test_the_markdown_escapes_what_tex_would_read_as_commands():
    # a label "loss & acc %" made `\mathrm{loss & acc %}`: MathJax's "Misplaced &", and % ate the rest of the line
    w = ag.Tensor(2.0, requires_grad=True, label="w_{1}")
    y = w * 3.0
    y.label = "50% of a&b $x^2 ~ \\"
    first = viz.explain(y, w)._repr_markdown_().splitlines()[0]
    assert first == (
        r"$$\frac{\partial \mathrm{50\%\ of\ a\&b\ \$x\hat{}2\ \sim \ \backslash }}{\partial \mathrm{w\_\{1\}}}"
        r" = \text{3}\quad\text{over 1 path}$$"
    )
    x = ag.Tensor(0.5, requires_grad=True, label="x")
    h = x
    for _ in range(20):  # a long path elides its middle factors as \dots
        h = h.tanh()
    assert r"\frac{\partial \mathrm{\dots }}{\partial \mathrm{\dots }}" in viz.explain(h, x)._repr_markdown_()


def test_an_unfinished_expression_says_its_end_is_missing_not_column_0(capsys):
    from viz.__main__ import main

    # Python's SyntaxError puts the problem of "w*" at offset 0: the message said "(column 0)"
    assert main(["expr", "w*x+", "--set", "w=1", "x=2"]) == 2
    assert (
        capsys.readouterr().err
        == "error: expression 'w*x+' is not valid: invalid syntax (at its end: an operand is missing)\n"
    )
    assert main(["expr", "1 +* 2"]) == 2
    assert capsys.readouterr().err.endswith("is not valid: invalid syntax (column 4)\n")


def test_a_forgotten_requires_grad_is_named_not_drawn_as_a_one_box_graph(tmp_path):
    # the beginner's mistake: nothing requires grad, so nothing was recorded. explain said "root was not
    # computed from it" (it was), animate_backward and explore wrote pages with nothing to step through
    x, w = ag.Tensor([1.0, 2.0], label="x"), ag.Tensor([0.5, -1.0], label="w")
    loss = (x * w).sum()
    loss.label = "L"
    diagnosis = (
        "'L' does not require grad, so the ops that made it were not recorded: it was built under no_grad(), "
        "from detached tensors, or from leaves made without requires_grad=True. Create the tensors you want "
        "gradients for with Tensor(..., requires_grad=True) and compute it again"
    )
    for name, call in (
        ("explain", lambda: viz.explain(loss, w)),
        ("animate_backward", lambda: viz.animate_backward(loss, tmp_path / "b.html")),
        ("explore", lambda: viz.explore(loss, tmp_path / "e.html")),
    ):
        with pytest.raises(ValueError) as caught:
            call()
        assert str(caught.value) == f"{name}: {diagnosis}"
    assert list(tmp_path.iterdir()) == []
    source = viz.draw_graph(loss).source
    assert 'unrecorded [label="L does not require grad, so the ops that made it\\nwere not recorded' in source
    w.requires_grad = True
    recorded = (x * w).sum()
    assert "unrecorded" not in viz.draw_graph(recorded).source
    assert viz.explain(recorded, w).total.tolist() == [1.0, 2.0]


def test_exploring_an_expression_without_variables_is_one_line(tmp_path, capsys):
    from viz.__main__ import main

    for command, source, extra in (
        ("explore", "2*3", []),
        ("explore", "x*2", ["--input", "x=3"]),
        ("expr", "2*3", ["--animate", str(tmp_path / "b.html")]),
        ("expr", "x*2", ["--input", "x=3", "--explain", "x"]),
    ):
        out = str(tmp_path / ("e.html" if command == "explore" else "g.svg"))
        assert main([command, source, *extra, "--out", out]) == 2
        assert capsys.readouterr().err.endswith(
            f"error: expression {source!r} has nothing to differentiate: give the values you want gradients "
            "for with --set (--input values get none), e.g. --set w=2\n"
        )
    assert list(tmp_path.iterdir()) == []


def test_without_dot_the_saved_source_never_replaces_the_users_own_dot_file(tmp_path, monkeypatch):
    # render_graph(y, "graph.svg") without Graphviz saved the source over graph.dot: the user's own file, lost
    monkeypatch.setenv("PATH", str(tmp_path / "no-graphviz-here"))
    w = ag.Tensor(2.0, requires_grad=True, label="w")
    y = (w * 3.0).sigmoid()
    mine = "digraph mine { a -> b }\n"
    for name, save in (
        ("graph", lambda: viz.render_graph(y, tmp_path / "graph.svg")),
        ("page", lambda: viz.explore(y, tmp_path / "page.html")),
        ("steps", lambda: viz.animate_backward(y, tmp_path / "steps.html")),
    ):
        (tmp_path / f"{name}.dot").write_text(mine)
        with pytest.raises(viz.GraphvizNotFoundError) as caught:
            save()
        assert (tmp_path / f"{name}.dot").read_text() == mine
        saved = next(tmp_path.glob(f"{name}.*.dot"))
        assert saved.name == f"{name}.{'svg' if name == 'graph' else 'html'}.dot"
        assert str(saved) in str(caught.value)
        assert saved.read_text().startswith("digraph computation_graph {")
    (tmp_path / "graph.dot").unlink()
    viz.render_graph(y, tmp_path / "graph.dot")  # viz's own source beside the picture is still replaced
    other = (w * 4.0).exp()
    with pytest.raises(viz.GraphvizNotFoundError):
        viz.render_graph(other, tmp_path / "graph.svg")
    assert (tmp_path / "graph.dot").read_text() == viz.draw_graph(other).source


def test_explain_refuses_an_integer_tensor_instead_of_truncating_its_derivative():
    # ∂(w·i)/∂i = w = [0.5, 1.5, 2.5] was printed as [0, 1, 2]: the vjp cast to i's int64
    i = ag.Tensor(np.array([1, 2, 3]), label="i")
    w = ag.Tensor([0.5, 1.5, 2.5], requires_grad=True, label="w")
    loss = (w * i).sum()
    with pytest.raises(ValueError) as caught:
        viz.explain(loss, i)
    assert str(caught.value) == (
        "explain: param (i) has dtype int64: integer and boolean tensors have no gradient (only floating ones "
        "can require grad, as in PyTorch); make it floating (.float()) before the ops to see its derivative"
    )
    as_float = i.float()
    assert viz.explain((w * as_float).sum(), as_float).total.tolist() == [0.5, 1.5, 2.5]
    assert viz.explain(loss, w).total.tolist() == [1.0, 2.0, 3.0]


def test_one_nan_in_a_large_tensor_does_not_hide_its_statistics():
    # a weight with one NaN was drawn "data mean nan min nan max nan": where the rest lies, and how many NaN, lost
    big = ag.Tensor(np.r_[np.arange(20.0), np.nan, np.nan], requires_grad=True, label="big")
    loss = (big * 2).sum()
    viz.backward_all(loss)
    source = viz.draw_graph(loss).source
    assert "data mean 9.5 min 0 max 19, 2 NaN" in source and "grad mean 2 min 2 max 2" in source
    assert "data mean 19 min 0 max 38, 2 NaN" in source  # big * 2
    nothing = ag.Tensor(np.full((3, 4), np.nan), requires_grad=True, label="nothing")
    assert "data all 12 NaN" in viz.draw_graph(nothing.sum()).source


def test_a_highlight_edge_that_does_not_exist_is_named():
    # highlight=[(y, 5)] or an edge into a leaf raised "IndexError: tuple index out of range" from the drawing
    w = ag.Tensor(2.0, requires_grad=True, label="w")
    y = (w * 3.0).sigmoid()
    for edge, why in (((y, 5), "positions are 0..0"), ((w, 0), "w is a leaf, with no inputs"), ((y, "0"), "0..0")):
        with pytest.raises(ValueError) as caught:
            viz.draw_graph(y, highlight=[edge])
        name = "sigmoid" if edge[0] is y else "w"
        assert str(caught.value).startswith(f"draw_graph: highlight edge ({name}, {edge[1]!r}): ")
        assert why in str(caught.value)
    from viz.format import HIGHLIGHT_COLOUR

    assert HIGHLIGHT_COLOUR in viz.draw_graph(y, highlight=[(y, 0)]).source  # a real edge still glows
    assert HIGHLIGHT_COLOUR not in viz.draw_graph(y, legend=False).source


def test_a_title_in_angle_brackets_is_drawn_as_written():
    # title="<loss>" was read by Graphviz as an HTML-like label: the picture said "loss"
    w = ag.Tensor(2.0, requires_grad=True, label="w")
    assert '\tfontsize=14 label="<loss>" labelloc=t' in viz.draw_graph(w * 3.0, title="<loss>").source


def test_an_animation_or_page_echoed_in_a_terminal_is_one_line():
    # repr(animate_backward(y)) was the list of every Frame with its DOT objects: 61 frames, 14,671 characters
    x = ag.Tensor(0.5, requires_grad=True, label="x")
    y = x
    for _ in range(30):
        y = (y * 1.01).tanh()
    animation = viz.animate_backward(y)
    assert repr(animation) == (
        "<BackwardAnimation: 61 frames, the start and 60 backward steps; it plays in Jupyter, "
        "animate_backward(root, 'backward.html') writes it as a page>"
    )
    page = viz.explore(y)
    assert (
        repr(page)
        == f"<ExplorePage: {len(page.html) / 1024:,.0f} KB of HTML; it shows in Jupyter, .save('graph.html') writes it>"
    )


def test_a_search_heatmap_shows_failed_trials_and_leaves_untried_pairs_blank():
    pytest.importorskip("matplotlib")
    from matplotlib.colors import to_hex

    # a failed trial (score -inf) was written "failed" in white on its white (NaN) cell: invisible; a pair a
    # random search never tried said "failed" too
    rows = [
        {"lr": 0.1, "hidden": 32, "score": 0.91},
        {"lr": 0.1, "hidden": 64, "score": -float("inf")},
        {"lr": 0.01, "hidden": 32, "score": 0.5},
        {"lr": 0.001, "hidden": 128, "score": 0.7},
    ]
    axes = viz.plot_search(rows).axes[0]
    cells = {(round(t.get_position()[1]), round(t.get_position()[0])): t for t in axes.texts}
    assert {cell: t.get_text() for cell, t in cells.items()} == {
        (2, 0): "0.91",  # rows: lr 0.001, 0.01, 0.1; columns: hidden 32, 64, 128
        (2, 1): "failed",
        (1, 0): "0.5",
        (0, 2): "0.7",
    }
    assert to_hex(cells[(2, 1)].get_color()) == "#212529"  # dark on the grey of a failed cell
    assert [to_hex(p.get_facecolor()) for p in axes.patches] == ["#dee2e6"]
    assert to_hex(cells[(2, 0)].get_color()) == "#212529"  # the best, viridis' yellow: dark text
    assert to_hex(cells[(1, 0)].get_color()) == "#ffffff"  # the worst, dark purple: white text


def test_the_circuit_command_names_each_flag_once_and_shows_its_form(capsys):
    from viz.circuit import main

    # "argument --w: --w: expected 3 comma-separated numbers, got '1'" for the usual slip, --w 1 2 3
    with pytest.raises(SystemExit) as caught:
        main(["--w", "1", "2", "3"])
    assert caught.value.code == 2
    last = capsys.readouterr().err.splitlines()[-1]
    assert last == (
        "python -m viz.circuit: error: argument --w: expected 3 comma-separated numbers, e.g. --w 2,-3,-3, got '1'"
    )


def test_a_graph_whose_weights_were_stepped_since_is_refused_not_explained_with_the_new_values(tmp_path):
    # loss.backward(); step; viz.explain(loss, w): the factors were computed from the stepped w, silently
    # (∂(w·w)/∂w printed 6 for a graph made at w = 2), while backward itself refuses such a graph
    w = ag.Tensor([2.0], requires_grad=True, label="w")
    loss = (w * w).sum()
    loss.backward()
    with ag.no_grad():
        w -= 0.5 * w.grad  # an SGD step: w = 0
    for name, call in (
        ("explain", lambda: viz.explain(loss, w)),
        ("animate_backward", lambda: viz.animate_backward(loss, tmp_path / "b.html")),
        ("explore", lambda: viz.explore(loss, tmp_path / "e.html")),
    ):
        with pytest.raises(ValueError) as caught:
            call()
        assert str(caught.value) == (
            f"{name}: the value of mul (inputs 'w', 'w') no longer follows from its inputs: one was changed in "
            "place after the forward pass (an optimizer step, .data = ..., +=), so the gradients shown would not "
            f"be this graph's. Run the forward pass again and pass its result to {name}"
        )
    assert list(tmp_path.iterdir()) == []
    assert viz.explain((w * w).sum(), w).total.tolist() == [0.0]  # the forward pass again: fine


def test_no_fresh_graph_of_any_primitive_is_taken_for_a_changed_one():
    from primitive_cases import CASES

    from viz.gradients import refuse_changed

    ops = set()
    for case in CASES:
        for dtype in (np.float64, np.float32):
            out = case.fn(*case.inputs(dtype))
            tensors = ag.walk(list(out) if isinstance(out, (list, tuple)) else out)
            refuse_changed(tensors, "explain")  # every op's forward, run again, gives its recorded value
            ops |= {t.op for t in tensors} - {None}
    assert ops == set(ag.PRIMITIVES)


def test_an_explanation_renders_by_render_graph_and_draw_graph_names_its_own_methods(tmp_path):
    # render_graph(viz.explain(y, w), "paths.svg") said "root must be a Tensor ...; wrap arrays with Tensor(...)"
    w = ag.Tensor(2.0, requires_grad=True, label="w")
    explanation = viz.explain((w * 3.0).sigmoid(), w)
    written = viz.render_graph(explanation, tmp_path / "paths.dot", style="circuit")
    assert written.read_text(encoding="utf-8") == explanation.draw(style="circuit").source
    with pytest.raises(TypeError) as caught:
        viz.draw_graph(explanation)
    assert str(caught.value) == (
        "draw_graph: root must be a Tensor or a list of Tensors, got viz.explain.Explanation; it is drawn by its "
        "own .draw() / .render(path) (paths highlighted), or pass its .root"
    )
