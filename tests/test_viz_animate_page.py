"""viz.animate_backward's HTML page: its size grows with the graph plus the steps (the graph is drawn once,
each frame is the changes it makes), and stepping it in a real browser shows backward's gradients."""

import shutil

import numpy as np
import pytest
from player_helpers import page_frames

import autograd_core as ag
import viz
from viz.format import GRAD_COLOUR, NO_VALUE

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
    return loss, (w, x)


@needs_dot
@pytest.mark.parametrize("style", ["circuit", "record"])
def test_stepping_in_a_real_browser_shows_each_ops_gradient_as_backward_computes_it(tmp_path, style):
    if shutil.which("chromium") is None:
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    pytest.importorskip("websocket", reason="the `browser` test extra (websocket-client) is not installed")
    from browser import Browser

    loss, leaves = _loss_with_a_hook_and_a_shared_input()
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
        z = index[id(leaves[0])] + 2  # w * x, made after x: it feeds three ops, so its gradient arrives in shares
        assert tensors[z].op == "mul" and any(frame[z].endswith("+\u2026") for frame in seen)
        browser.click(".viz-player .prev")  # stepping back restores the earlier frame's labels
        browser.wait_for(f"document.querySelector('.viz-player .counter').textContent.startsWith('frame {k - 1} of')")
        assert shown() == seen[k - 1]
        browser.evaluate("var s = document.querySelector('.viz-player .slider'); s.value = 0; s.oninput()")
        assert shown() == seen[0]
        assert browser.errors == []
