"""viz.explore: the page in a real headless Chromium (Debian's package), driven through its own
controls with real mouse events; the gradient it displays is checked against the engine's."""

import json
import re
import shutil

import numpy as np
import pytest
from browser import browser_or_skip

import autograd_core as ag
import viz

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


def small_net():
    rng = np.random.default_rng(3)
    x = ag.Tensor(rng.standard_normal((4, 3)), label="x")
    w = ag.Tensor(rng.standard_normal((2, 3)), requires_grad=True, label="w")
    b = ag.Tensor(0.5, requires_grad=True, label="b")
    loss = ((x @ w.T + b).tanh() ** 2).mean()  # W.T: drawn folded into w's edge, as in nn.Linear
    loss.label = "loss"
    return loss, w, b


@needs_dot
def test_the_page_is_one_self_contained_file(tmp_path):
    loss, w, b = small_net()
    written = viz.explore(loss, tmp_path / "graph.html")
    page = written.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.html"]
    assert "<svg" in page and "const DATA" in page and "src=" not in page and 'href="http' not in page
    assert "https://" not in page and "cdn" not in page.lower()
    assert w.grad is None and b.grad is None  # the user's graph is not spent and no .grad changed
    loss.backward()  # still possible
    with pytest.raises(ValueError, match=r"ending in \.html"):
        viz.explore(loss, tmp_path / "graph.svg")
    inline = viz.explore(loss)  # no path: a page for Jupyter, nothing written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.html"]
    assert inline._repr_html_().startswith("<iframe srcdoc=") and "const DATA" in inline.html
    assert inline.save(tmp_path / "again.html").read_text(encoding="utf-8") == inline.html
    with pytest.raises(ValueError, match="one-element"):
        viz.explore(w * 2, tmp_path / "g.html")


@needs_dot
def test_clicking_and_stepping_backward_in_chromium_shows_the_engines_gradient(tmp_path):
    Browser = browser_or_skip()

    loss, w, _b = small_net()
    page = viz.explore(loss, tmp_path / "graph.html")
    loss.backward()  # the engine's own gradients, the oracle
    with Browser(page.resolve().as_uri(), tmp_path / "profile") as browser:
        # Input events are delivered asynchronously: each action waits until the page shows its
        # effect (with a timeout) before the test reads the page.
        browser.wait_for(
            "document.readyState === 'complete' && typeof DATA === 'object'"
            " && document.querySelector('g.node[data-tensor]') !== null"
        )
        index = browser.evaluate("Object.keys(DATA.nodes).find(function (i) { return DATA.nodes[i].name === 'w'; })")
        browser.click(f'g.node[data-tensor="{index}"]')
        browser.wait_for("(document.querySelector('#details h2') || {}).textContent === 'w'")
        assert "not yet" in browser.evaluate("document.querySelector('#details .grad').textContent")

        steps = browser.evaluate("DATA.backward.length")
        for k in range(1, steps + 1):  # the page's ▶ button, clicked with the mouse
            browser.click("#backward-next")
            browser.wait_for(f"document.getElementById('status').textContent.startsWith('backward: {k} of')")
        assert browser.evaluate("document.getElementById('status').textContent").startswith(
            f"backward: {steps} of {steps}"
        )
        shown = browser.evaluate("document.querySelector('#details .grad .values').textContent")
        numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?", shown)]
        np.testing.assert_allclose(numbers, w.grad.reshape(-1), rtol=1e-5)

        browser.click("#forward-prev")  # forward pass, one op back from the start: everything pending
        browser.wait_for("document.getElementById('status').textContent.startsWith('forward: 0 of')")
        browser.click("#forward-next")
        browser.wait_for("document.getElementById('status').textContent.startsWith('forward: 1 of')")
        assert browser.evaluate("document.querySelectorAll('g.node.pending').length") > 0
        assert browser.evaluate("document.getElementById('status').textContent").startswith("forward: 1 of")

        browser.evaluate(
            f"var s = document.getElementById('param'); s.value = '{index}'; s.dispatchEvent(new Event('change'));"
        )
        assert browser.evaluate("document.querySelectorAll('g.edge.on-path').length") >= 2
        assert browser.evaluate("document.querySelectorAll('text.derivative').length") >= 2
        assert "contribution" in browser.evaluate("document.getElementById('paths').textContent")

        before = browser.evaluate("document.querySelector('#canvas svg').getAttribute('viewBox')")
        x, y = browser.center("#canvas")
        browser.wheel(x, y, -300)
        view = "document.querySelector('#canvas svg').getAttribute('viewBox')"
        browser.wait_for(f"{view} !== {json.dumps(before)}")
        zoomed = browser.evaluate(view)
        browser.drag(x, y, 80, 40)
        browser.wait_for(f"{view} !== {json.dumps(zoomed)}")
        panned = browser.evaluate("document.querySelector('#canvas svg').getAttribute('viewBox')")
        before, zoomed, panned = ([float(v) for v in box.split()] for box in (before, zoomed, panned))
        assert zoomed[2] < 0.9 * before[2]  # a narrower view: zoomed in
        assert abs(panned[0] - zoomed[0]) > 1 and panned[2:] == pytest.approx(zoomed[2:])  # moved, same zoom
        assert browser.errors == []


@needs_dot
def test_an_empty_tensor_is_explored_and_its_panel_lists_no_statistics(tmp_path, recwarn):
    empty = ag.Tensor(np.zeros((0, 3)), requires_grad=True, label="empty")
    loss = empty.sum()  # numpy's min of nothing raised ("zero-size array to reduction operation")
    page = viz.explore(loss, tmp_path / "empty.html")
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]  # no "Mean of empty slice"
    Browser = browser_or_skip()

    with Browser(page.resolve().as_uri(), tmp_path / "profile") as browser:
        browser.wait_for("document.readyState === 'complete' && document.querySelector('g.node[data-tensor]') !== null")
        index = browser.evaluate(
            "Object.keys(DATA.nodes).find(function (i) { return DATA.nodes[i].name === 'empty'; })"
        )
        browser.click(f'g.node[data-tensor="{index}"]')
        browser.wait_for("(document.querySelector('#details h2') || {}).textContent === 'empty'")
        shown = browser.evaluate("document.querySelector('#details .value').textContent")
        assert "[]" in shown and "undefined" not in shown and "mean" not in shown
        assert browser.errors == []
