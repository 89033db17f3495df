"""viz.animate_backward's HTML page: its size grows with the graph plus the steps (the graph is drawn once,
each frame is the changes it makes), and stepping it in a real browser shows backward's gradients."""

import shutil
from xml.etree import ElementTree

import numpy as np
import pytest
from browser import browser_or_skip
from player_helpers import page_frames

import autograd_core as ag
import viz
from viz.format import GRAD_COLOUR, HIGHLIGHT_COLOUR, NO_VALUE

SVG = "{http://www.w3.org/2000/svg}"
needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz `dot` is not installed (make graphviz installs it)"
)


def _chain(ops):
    """A chain of ``ops`` operations: add a constant, tanh, add, tanh, ..."""
    t = ag.Tensor(1.0, requires_grad=True, label="x")
    for i in range(ops):
        t = t.tanh() if i % 2 else t + 0.1
    return t


@needs_dot
def test_the_page_grows_with_the_graph_not_with_graph_times_frames(tmp_path):
    # Each frame used to be a whole SVG: a 90-op chain's page was 18 MB (10 ops: 0.49 MB), 37x for 9x the ops.
    sizes, tensors, frames = {}, {}, {}
    for ops in (10, 90):
        root = _chain(ops)
        page = viz.animate_backward(root, tmp_path / f"chain{ops}.html").read_text(encoding="utf-8")
        sizes[ops], tensors[ops], frames[ops] = len(page.encode()), len(ag.walk(root)), len(page_frames(page))
        assert frames[ops] == ops + 1  # one frame per op, plus the forward pass
    graph_growth = tensors[90] / tensors[10]  # ~9x the tensors, so ~9x the picture; 81x would be graph x frames
    assert sizes[90] / sizes[10] < 1.25 * graph_growth, (sizes, tensors)


@needs_dot
def test_each_frame_costs_the_same_few_bytes_in_a_small_and_a_large_graph(tmp_path):
    """What a frame adds to the page is the changes it makes: it does not grow with the graph."""
    per_frame = {}
    for ops in (10, 90):
        page = viz.animate_backward(_chain(ops), tmp_path / f"chain{ops}.html").read_text(encoding="utf-8")
        frames = page_frames(page)[1:]  # frame 0 lists every gradient label once: that one is O(graph)
        assert all(len(frame["grads"]) <= 2 for frame in frames)  # an op's turn changes its input's label (or two)
        per_frame[ops] = sum(len(str(frame)) for frame in frames) / len(frames)
    assert per_frame[90] < 1.3 * per_frame[10], per_frame


def _loss_with_a_hook_and_a_shared_input():
    """A graph where one tensor feeds two ops (its gradient arrives in two shares) and a hook scales one."""
    w = ag.Tensor(0.7, requires_grad=True, label="w")
    x = ag.Tensor(-1.3, requires_grad=True, label="x")
    z = w * x
    h = z.tanh()
    h.register_hook(lambda g: g * 3)  # the page must show the scaled gradient, as backward uses it
    loss = h * z + (z * 0.5).exp()
    loss.label = "loss"
    return loss, (w, x), z


@needs_dot
@pytest.mark.parametrize("style", ["circuit", "record"])
def test_stepping_in_a_real_browser_shows_each_ops_gradient_as_backward_computes_it(tmp_path, style):
    Browser = browser_or_skip()

    loss, leaves, shared = _loss_with_a_hook_and_a_shared_input()
    tensors = ag.walk(loss)
    index = {id(t): i for i, t in enumerate(tensors)}
    page = viz.animate_backward(loss, tmp_path / "backward.html", style=style, number_format="%.9g")
    reached = []  # the engine's own record: each op's complete gradient (after its hooks), in its order
    for t in tensors:
        if not t.is_leaf:
            t.register_hook(lambda g, t=t: reached.append((index[id(t)], np.array(g.data))))
    loss.backward()
    prefix = "" if style == "circuit" else "grad "

    with Browser(page.resolve().as_uri(), tmp_path / "profile", width=1400, height=900) as browser:
        browser.wait_for("document.readyState === 'complete' && document.querySelector('.viz-player .next') !== null")
        shown_js = (
            "(function () { var out = {}; document.querySelectorAll('.viz-player svg g.node[id^=\"t\"]')"
            f".forEach(function (g) {{ var t = g.querySelector('text[fill=\"{GRAD_COLOUR}\"]');"
            " if (t) out[g.id.slice(1)] = t.textContent; }); return out; })()"
        )

        def shown():
            return {int(i): text.removeprefix(prefix) for i, text in browser.evaluate(shown_js).items()}

        def number(text):
            assert not text.endswith("+\u2026"), text  # a complete gradient, not one awaiting shares
            return float(text)

        seen = [shown()]  # frame 0: the output's gradient is 1, nothing else has arrived
        start = dict(seen[0])
        assert number(start.pop(index[id(loss)])) == 1 and set(start.values()) == {NO_VALUE}
        for k, (i, gradient) in enumerate(reached, 1):
            browser.click(".viz-player .next")  # a real click on the player's button
            browser.wait_for(f"document.querySelector('.viz-player .counter').textContent.startsWith('frame {k} of')")
            seen.append(shown())
            assert number(seen[k][i]) == pytest.approx(float(gradient), rel=1e-8), (k, tensors[i].op)
            assert browser.evaluate(f"document.getElementById('op{i}').classList.contains('glow')")  # its op glows
        assert len(seen) == len(page_frames(page.read_text(encoding="utf-8")))  # the page's last frame reached
        for leaf in leaves:
            assert number(seen[-1][index[id(leaf)]]) == pytest.approx(float(leaf.grad), rel=1e-8)
        z = index[id(shared)]  # it feeds three ops, so its gradient arrives in shares: "+…" until the last
        assert any(frame[z].endswith("+\u2026") for frame in seen) and not seen[-1][z].endswith("+\u2026")
        browser.click(".viz-player .prev")  # stepping back restores the earlier frame's labels
        browser.wait_for(f"document.querySelector('.viz-player .counter').textContent.startsWith('frame {k - 1} of')")
        assert shown() == seen[k - 1]
        browser.evaluate("var s = document.querySelector('.viz-player .slider'); s.value = 0; s.oninput()")
        assert shown() == seen[0]
        assert browser.errors == []


def _matrix_loss():
    """Matrices (summarised labels), a (4, 1) share printed on several lines, a bias broadcast, a hook."""
    rng = np.random.default_rng(5)
    x = ag.Tensor(rng.standard_normal((4, 3)), label="x")
    w = ag.Tensor(rng.standard_normal((3, 2)), requires_grad=True, label="w")
    b = ag.Tensor(rng.standard_normal(2), requires_grad=True, label="b")
    h = (x @ w + b).tanh()
    h.register_hook(lambda g: g * 2)
    return ((h * h).sum(axis=1, keepdims=True) * ag.Tensor(rng.standard_normal((4, 1)), label="c")).sum()


def _what_shows(svg_groups):
    """{node or edge title: its label text, whitespace-normalised} and the titles drawn in the highlight colour."""
    texts = {
        title: " ".join(" ".join(lines).split()) for title, lines, _ in svg_groups if not title.startswith("legend")
    }
    return texts, {title for title, _, orange in svg_groups if orange and not title.startswith("legend")}


def _groups_of_picture(svg):
    """[(title, label lines, drawn in the highlight colour)] of each node and edge of a Graphviz SVG."""
    out = []
    for g in ElementTree.fromstring(svg).iter(f"{SVG}g"):
        if g.get("class") in ("node", "edge"):
            lines = [t.text or "" for t in g.iter(f"{SVG}text")]
            orange = any(e.get("stroke") == HIGHLIGHT_COLOUR for e in g.iter() if e.tag != f"{SVG}text")
            out.append((g.find(f"{SVG}title").text, lines, orange))
    return out


def _css_rgb(colour):
    """'#e8590c' as getComputedStyle writes it: 'rgb(232, 89, 12)'."""
    return "rgb({}, {}, {})".format(*(int(colour[k : k + 2], 16) for k in (1, 3, 5)))


_GROUPS_OF_PAGE = """(function () {
  return Array.from(document.querySelectorAll('.viz-player svg g.node, .viz-player svg g.edge')).map(function (g) {
    var texts = Array.from(g.querySelectorAll('text')).filter(function (t) {
      return getComputedStyle(t).visibility !== 'hidden'; }).map(function (t) { return t.textContent; });
    var orange = Array.from(g.querySelectorAll('path, ellipse, polyline, polygon')).some(function (e) {
      return getComputedStyle(e).stroke === '%s'; });
    return [g.querySelector('title').textContent, texts, orange];
  });
})()"""


@needs_dot
@pytest.mark.parametrize("style", ["circuit", "record"])
def test_every_frame_shows_what_its_whole_picture_showed(tmp_path, style):
    """The page's frame k, replayed from changes, shows the labels and the orange of frame k drawn on its own."""
    Browser = browser_or_skip()

    from viz.animate import backward_frames
    from viz.render import pipe_dot

    loss = _matrix_loss()
    page = viz.animate_backward(loss, tmp_path / "backward.html", style=style)
    pictures = [pipe_dot(frame.picture, "svg", "test").decode("utf-8") for frame in backward_frames(loss, style=style)]
    with Browser(page.resolve().as_uri(), tmp_path / "profile", width=1400, height=900) as browser:
        browser.wait_for("document.readyState === 'complete' && document.querySelector('.viz-player .next') !== null")
        for k, picture in enumerate(pictures):
            browser.evaluate(f"var s = document.querySelector('.viz-player .slider'); s.value = {k}; s.oninput()")
            shown_texts, shown_orange = _what_shows(browser.evaluate(_GROUPS_OF_PAGE % _css_rgb(HIGHLIGHT_COLOUR)))
            texts, orange = _what_shows(_groups_of_picture(picture))
            assert {t: shown_texts.get(t) for t in texts} == texts, k
            assert shown_orange == orange and (k == 0 or orange), k
        assert browser.errors == []
