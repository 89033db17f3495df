"""viz.animate_backward: one frame per backward step, ending at the engine's gradients."""

import hashlib
import json
import os
import re
import shutil
import xml.etree.ElementTree as ElementTree

import numpy as np
import pytest
from browser import browser_or_skip
from player_helpers import page_frames

import autograd_core as ag
import viz
from viz.animate import MANIFEST, backward_frames
from viz.circuit import neuron
from viz.gradients import backward_steps

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz `dot` is not installed (make graphviz installs it)"
)


def test_one_frame_per_backward_step_plus_the_forward_picture():
    f, _leaves = neuron(backward=False)
    frames = backward_frames(f)
    ops = [t for t in ag.walk(f) if not t.is_leaf]
    assert len(ops) == 8
    assert len(frames) == 1 + len(ops)
    assert frames[0].caption.startswith("forward pass done")
    for k, frame in enumerate(frames[1:], 1):
        assert frame.caption.startswith(f"step {k} of 8: ")
    assert "step 1 of 8: div has its full gradient ∂f/∂f = 1" in frames[1].caption


def test_gradients_appear_as_the_steps_reach_them_and_end_at_the_engines():
    f, leaves = neuron(backward=False)
    frames = backward_frames(f, number_format="%.2f")
    first, last = frames[0].digraph.source, frames[-1].digraph.source
    assert first.count(">\u2014<") == 12  # every requires-grad wire but the output's waits for its gradient
    assert "\u2014" not in last.split("legend")[0].replace(">\u2014 : no gradient yet", "")
    for text in ("-0.20", "0.39", "-0.39", "-0.59", "0.20"):
        assert f">{text}<" in last
    tensors, _initial, steps = backward_steps(f)
    f.backward()
    for name, leaf in leaves.items():
        assert steps[-1].grads[_position(tensors, leaf)] == pytest.approx(leaf.grad, rel=1e-12), name


def test_a_gradient_still_waiting_for_shares_is_marked_partial():
    x = ag.Tensor(0.5, requires_grad=True, label="x")
    z = x * 3.0
    f = z.sigmoid() * z  # z feeds two ops: after the first share its gradient is partial
    f.label = "f"
    frames = backward_frames(f)
    assert any("+\u2026" in frame.digraph.source for frame in frames[1:-1])
    assert "+\u2026" not in frames[-1].digraph.source
    tensors, _initial, steps = backward_steps(f)
    f.backward()
    s = 1 / (1 + np.exp(-1.5))
    assert steps[-1].grads[_position(tensors, x)] == pytest.approx(x.grad, rel=1e-12)
    assert x.grad == pytest.approx(3 * (s * (1 - s) * 1.5 + s), rel=1e-12)  # closed form of d(z σ(z))/dx


def test_the_current_step_is_highlighted_with_the_shares_it_sends():
    f, _leaves = neuron(backward=False)
    frames = backward_frames(f, number_format="%.2f")
    source = frames[1].digraph.source  # div sends -0.53 to 1+exp(-z) (its constant input gets nothing)
    edge = re.search(r'-> (op\d+) \[label="b\\n-0.53" color="#e8590c"', source)  # b: the divisor
    assert edge
    assert re.search(rf'\t{edge.group(1)} \[label="?/"?[^\n]*color="#e8590c"', source)  # the div gate glows
    assert len(re.findall(r'-> op\d+ \[label="[^"]*" color="#e8590c"', source)) == 1  # one share sent in this step


@needs_dot
def test_html_animation_is_one_self_contained_file_with_every_frame(tmp_path):
    f, _leaves = neuron(backward=False)
    written = viz.animate_backward(f, tmp_path / "backward.html")
    assert written == tmp_path / "backward.html" and os.listdir(tmp_path) == ["backward.html"]
    page = written.read_text(encoding="utf-8")
    assert page.count("<svg") == 1  # the graph is drawn once; each frame is the changes it makes
    assert [frame["caption"] for frame in page_frames(page)] == [frame.caption for frame in backward_frames(f)]
    assert "<?xml" not in page and "src=" not in page and "http" not in page.replace("http://www.w3.org", "")


@needs_dot
def test_svg_frames_in_a_folder(tmp_path):
    f, _leaves = neuron(backward=False)
    folder = viz.animate_backward(f, tmp_path / "frames", style="record")
    names = sorted(os.listdir(folder))
    assert names == [MANIFEST] + [f"frame_{k:03d}.svg" for k in range(9)]
    for name in names[1:]:
        ElementTree.parse(folder / name)


@needs_dot
def test_a_shorter_animation_into_the_same_folder_leaves_no_stale_frames(tmp_path):
    f, _ = neuron(backward=False)
    viz.animate_backward(f, tmp_path / "frames", style="record")  # 9 frames
    (tmp_path / "frames" / "notes.txt").write_text("mine")
    w = ag.Tensor(2.0, requires_grad=True, label="w")
    folder = viz.animate_backward((w * 3.0).sigmoid(), tmp_path / "frames")  # 3 frames
    assert sorted(os.listdir(folder)) == [MANIFEST, "frame_000.svg", "frame_001.svg", "frame_002.svg", "notes.txt"]


@needs_dot
def test_only_frames_it_wrote_itself_are_ever_deleted(tmp_path):
    """A user's own frame_NNN.svg, or one of ours the user has since edited, survives a shorter rerun."""
    folder = tmp_path / "frames"
    folder.mkdir()
    (folder / "frame_012.svg").write_text("the user's own picture")  # named like a frame, never written by us
    f, _ = neuron(backward=False)
    viz.animate_backward(f, folder, style="record")  # 9 frames: 000..008
    (folder / "frame_007.svg").write_text("edited by the user")
    w = ag.Tensor(2.0, requires_grad=True, label="w")
    viz.animate_backward((w * 3.0).sigmoid(), folder)  # 3 frames: 003..006 and 008 are ours and unchanged
    assert sorted(os.listdir(folder)) == [
        MANIFEST,
        "frame_000.svg",
        "frame_001.svg",
        "frame_002.svg",
        "frame_007.svg",
        "frame_012.svg",
    ]
    assert (folder / "frame_012.svg").read_text() == "the user's own picture"
    assert (folder / "frame_007.svg").read_text() == "edited by the user"
    assert sorted(json.loads((folder / MANIFEST).read_text())) == ["frame_000.svg", "frame_001.svg", "frame_002.svg"]


@needs_dot
def test_a_hostile_manifest_cannot_make_it_delete_anything_else(tmp_path):
    folder = tmp_path / "frames"
    folder.mkdir()
    (tmp_path / "precious.txt").write_text("keep")
    (folder / "frame_050.svg").write_text("keep")
    digest = hashlib.sha256(b"keep").hexdigest()
    (folder / MANIFEST).write_text(
        json.dumps({"../precious.txt": digest, "frame_050.svg": "0" * 64, "/etc/hostname": digest})
    )
    w = ag.Tensor(2.0, requires_grad=True, label="w")
    viz.animate_backward((w * 3.0).sigmoid(), folder)
    assert (tmp_path / "precious.txt").read_text() == "keep" and (folder / "frame_050.svg").read_text() == "keep"


def test_without_dot_the_frames_source_is_saved(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    f, _leaves = neuron(backward=False)
    with pytest.raises(viz.GraphvizNotFoundError, match=r"(?s)brew install graphviz.*frames' DOT source was saved"):
        viz.animate_backward(f, tmp_path / "b.html")
    assert (tmp_path / "b.dot").read_text(encoding="utf-8").count("digraph computation_graph") == 9
    assert not (tmp_path / "b.html").exists()


def test_bad_requests_are_refused():
    v = ag.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        viz.animate_backward(v * 2.0)
    frames = viz.animate_backward(v * 2.0, grad=np.array([1.0, -1.0]))
    assert len(frames) == 2
    with pytest.raises(TypeError, match="not a list"):
        viz.animate_backward([v.sum()])
    with pytest.raises(ValueError, match="max_frames"):
        viz.animate_backward(neuron(backward=False)[0], max_frames=5)
    with pytest.raises(ValueError, match=r"\.html file or to a folder"):
        viz.animate_backward(v.sum(), "anim.png")


def _position(tensors, t):
    """Where ``t`` is in the walk, by identity (list.index would compare values: == is elementwise)."""
    return next(i for i, other in enumerate(tensors) if other is t)


@needs_dot
def test_captions_in_a_real_browser_are_readable_at_1400_px_and_shown_once(tmp_path):
    Browser = browser_or_skip()

    f, _leaves = neuron(backward=False)
    page = viz.animate_backward(f, tmp_path / "backward.html")
    with Browser(page.resolve().as_uri(), tmp_path / "profile", width=1400, height=900) as browser:
        # The player's buttons get their handlers from a script that runs after they are parsed:
        # wait for the whole page, then let each click land before the next (input is async).
        browser.wait_for("document.readyState === 'complete' && document.querySelector('.viz-player .next') !== null")
        for shown in ("frame 1 of", "frame 2 of"):
            browser.click(".viz-player .next")
            browser.wait_for(f"document.querySelector('.viz-player .counter').textContent.startsWith('{shown}')")
        assert browser.evaluate("document.querySelectorAll('.viz-player .caption, .viz-player svg').length") == 2
        caption = browser.evaluate("document.querySelector('.viz-player .caption').textContent")
        assert caption.startswith("step 2 of 8")
        size = browser.evaluate("parseFloat(getComputedStyle(document.querySelector('.viz-player .caption')).fontSize)")
        assert size >= 14
        svg_text = browser.evaluate("document.querySelector('.viz-player svg').textContent")
        assert caption[:40] not in svg_text  # the caption is not repeated inside the picture
        names = [n for n in ("add₃", "exp", "neg") if n in caption]
        assert names and all(n in svg_text for n in names)  # it uses names the picture shows
        assert browser.errors == []


def _chain(links):
    x = ag.Tensor(1.0, requires_grad=True, label="x")
    t = x
    for i in range(links):
        t = (t * 1.01).tanh() if i % 2 else t + 0.1
    return t


def _frame_widths(root):
    from viz.render import pipe_dot

    widths = []
    for frame in backward_frames(root)[::10]:
        svg = pipe_dot(frame.picture, "svg", "test").decode("utf-8")
        widths.append(float(re.search(r'<svg width="([0-9.]+)pt"', svg).group(1)))
    return max(widths)


@needs_dot
def test_a_deep_graphs_frames_run_top_to_bottom_and_stay_as_wide_as_a_short_ones():
    # The player fits a frame to the page's width: a 60-link chain drawn left to right was 11,304 pt
    # wide (1/15 scale, unreadable), and its constants pushed a top-to-bottom chain sideways step by step.
    assert "rankdir=TB" in backward_frames(_chain(60))[0].picture.source
    assert "rankdir=LR" in backward_frames(neuron(backward=False)[0])[0].picture.source  # 8 ops: as before
    short, long = _frame_widths(_chain(20)), _frame_widths(_chain(60))
    assert long < 1.5 * short, (short, long)
    with pytest.raises(ValueError, match="rankdir must be"):
        backward_frames(_chain(2), rankdir="up")


def _mlp_loss(hook=None):
    rng = np.random.default_rng(3)
    x = ag.Tensor(rng.standard_normal((4, 3)), label="x")
    w1 = ag.Tensor(rng.standard_normal((3, 5)), requires_grad=True, label="w1")
    w2 = ag.Tensor(rng.standard_normal((5, 3)), requires_grad=True, label="w2")
    h = (x @ w1).relu()
    if hook is not None:
        h.register_hook(hook)
    b = ag.Tensor(rng.standard_normal(3), requires_grad=True, label="b")
    logits = b + h @ w2  # the bias made before the matmul it is added to: walk order differs from the engine's
    return -(logits.log_softmax() * ag.Tensor(np.eye(3)[[0, 2, 1, 2]])).sum() / 4, (w1, w2, b)


def test_the_animation_runs_ops_in_the_engines_order():
    loss, _ = _mlp_loss()
    ran = []  # a hook fires when backward reaches its op: the engine's own order
    for t in ag.walk(loss):
        if not t.is_leaf and t.requires_grad:
            t.register_hook(lambda g, t=t: ran.append(t))
    tensors, _, steps = backward_steps(loss)  # which calls the hooks too, in its order
    replayed, ran[:] = ran[:], []
    loss.backward()
    assert [id(tensors[s.node]) for s in steps] == list(map(id, ran)) == list(map(id, replayed)) and len(ran) > 8


def test_an_ops_hook_changes_the_animated_gradients_as_in_backward():
    """A hook that scales h's gradient: the frames carry the scaled gradient on, as backward does."""
    loss, leaves = _mlp_loss(hook=lambda g: g * 10)
    tensors, _, steps = backward_steps(loss)
    final, index = steps[-1].grads, {id(t): i for i, t in enumerate(tensors)}
    loss.backward()
    for leaf in leaves:
        np.testing.assert_allclose(final[index[id(leaf)]], leaf.grad, rtol=1e-12)
    plain, plain_leaves = _mlp_loss()
    plain_tensors, _, plain_steps = backward_steps(plain)
    w1 = next(i for i, t in enumerate(plain_tensors) if t is plain_leaves[0])
    np.testing.assert_allclose(final[index[id(leaves[0])]], 10 * plain_steps[-1].grads[w1], rtol=1e-12)


def test_captions_name_a_loss_by_its_function_as_explain_does():
    import nn
    import nn.functional as F

    model = nn.MLP([2, 3, 2], seed=0)
    loss = F.cross_entropy(model(ag.Tensor(np.ones((2, 2)))), np.array([0, 1]))
    captions = [frame.caption for frame in viz.animate_backward(loss)]
    assert captions[0].endswith("Backward starts at the output with ∂cross_entropy/∂cross_entropy = 1.")
    assert "div has its full gradient ∂cross_entropy/∂div = 1" in captions[1]  # its ops keep their names
    assert all("∂div/" not in c for c in captions)
    assert "∂cross_entropy/∂layers.0.weight" in viz.explain(loss, model.layers[0].weight).text()
    loss.label = "L"  # a label the learner set wins, in both
    assert viz.animate_backward(loss)[0].caption.endswith("∂L/∂L = 1.")
