"""The backward pass as a sequence of pictures: gradients flowing back one op at a time.

Frame 0 is the forward pass (every wire has its value, only the output has its
gradient, 1). Each following frame is one backward step: one op receives its
complete gradient and passes a share to each input (the orange edges, labelled
with the share). A gradient still waiting for shares from other consumers is
marked "+…". The last frame shows every gradient, equal to what ``backward()``
computes.

The HTML page (and the inline Jupyter player) draws the graph once and stores each
frame as the changes it makes to that picture (``FrameChange``), so its size is the
graph's plus a few hundred bytes a step: a 90-op chain's page is 166 KB (it was 12 MB
when every frame was a whole SVG). The folder of ``frame_NNN.svg`` keeps one picture a frame.
"""

from __future__ import annotations

import dataclasses
import hashlib
import html
import json
import os
import pathlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, overload

import graphviz
import numpy.typing as npt

from autograd_core import Tensor, walk
from autograd_core.files import atomic_write
from autograd_core.types import ArrayLike

from .drawing import DrawOptions, ResolvedHighlight, build_digraph
from .format import NUMBER_FORMAT, check_number_format, format_array, loss_name
from .gradients import FLOW_PATTERNS, BackwardStep, backward_steps, flow_pattern, refuse_changed, refuse_unrecorded
from .layout import GraphPlan, check_rankdir
from .player import FrameChange, player_fragment, player_page
from .render import GraphvizNotFoundError, pipe_dot, source_beside


@dataclass
class Frame:
    """One picture of the animation: its caption, its ``graphviz.Digraph`` (caption as its
    title, for a frame on its own) and ``picture``, the same without the title (the HTML
    player writes the caption above it, once)."""

    caption: str
    digraph: graphviz.Digraph
    picture: graphviz.Digraph | None = None


class BackwardAnimation(list[Frame]):
    """``animate_backward``'s frames (a list of ``Frame``) that play inline in Jupyter.

    The inline player, like the ``.html`` file, draws the graph once and replays each
    frame as the few changes it makes (``picture`` and ``changes``).

    >>> w = ag.Tensor(2.0, requires_grad=True, label="w")
    >>> f = (w * -1.0).sigmoid()
    >>> frames = viz.animate_backward(f)   # as a cell's last line: a player with buttons and a slider
    >>> len(frames), frames[1].caption
    (3, 'step 1 of 2: sigmoid has its full gradient ∂sigmoid/∂sigmoid = 1 and passes back ∂sigmoid/∂mul += 0.105')
    """

    def __init__(self, frames: Sequence[Frame], picture: graphviz.Digraph, changes: Sequence[FrameChange]) -> None:
        super().__init__(frames)
        self.picture, self.changes = picture, list(changes)

    def __repr__(self) -> str:  # a terminal's echo: the list's repr printed every frame's DOT objects
        return (
            f"<BackwardAnimation: {len(self)} frames, the start and {len(self) - 1} backward steps; it plays in "
            "Jupyter, animate_backward(root, 'backward.html') writes it as a page>"
        )

    def _repr_html_(self) -> str:
        try:
            svg = pipe_dot(self.picture, "svg", "animate_backward").decode("utf-8")
        except GraphvizNotFoundError as error:  # a notebook shows the fix, not a formatter traceback
            return f"<pre>{html.escape(str(error))}</pre>"
        return player_fragment(svg, self.changes)


@dataclass
class _Replay:
    """The backward pass replayed for pictures: what to draw, how, and each frame's caption."""

    plan: GraphPlan
    options: DrawOptions
    initial: dict[int, npt.NDArray[Any]]
    steps: list[BackwardStep]
    captions: list[str]

    def number(self, array: ArrayLike | None) -> str:
        return format_array(array, self.options.number_format)


def _replay(
    root: Tensor,
    grad: ArrayLike | None = None,
    style: str = "circuit",
    max_frames: int = 200,
    number_format: str = NUMBER_FORMAT,
    show_data: bool = True,
    rankdir: str = "auto",
    legend: bool = True,
    max_nodes: int | None = 200,
) -> _Replay:
    """Checks the request, replays backward (``backward_steps``) and writes each frame's caption."""
    check_number_format(number_format, "animate_backward")
    check_rankdir(rankdir, "animate_backward")
    refuse_unrecorded(root, "animate_backward")
    refuse_changed(walk(root), "animate_backward")
    tensors, initial, steps = backward_steps(root, grad)
    if len(steps) + 1 > max_frames:
        raise ValueError(
            f"animate_backward: the backward pass has {len(steps)} steps, more than "
            f"max_frames={max_frames} frames; animate a smaller graph or raise max_frames"
        )
    plan = GraphPlan([root], style, max_nodes, group_modules=True, collapse_modules=False)
    rankdir = plan.direction(rankdir)
    options = DrawOptions(
        show_data=show_data, show_grad=True, rankdir=rankdir, style=style, legend=legend, number_format=number_format
    )
    replay = _Replay(plan, options, initial, steps, captions=[])
    number, name = replay.number, plan.names  # the names the picture shows
    L = loss_name(root, name[len(tensors) - 1])  # ∂cross_entropy/∂..., as explain says it
    replay.captions.append(
        f"forward pass done: every wire has its value. Backward starts at the output with "
        f"∂{L}/∂{L} = {number(initial[len(tensors) - 1])}."
    )
    for k, step in enumerate(steps, 1):
        shares = "; ".join(f"∂{L}/∂{name[j]} += {number(share)}" for _, j, share in step.deliveries) or "nothing"
        op = tensors[step.node].op
        pattern = flow_pattern(tensors[step.node], step.grad, [share for *_, share in step.deliveries])
        replay.captions.append(  # cs231n's patterns named: "(add distributes: every input gets the same gradient)"
            f"step {k} of {len(steps)}: {op} has its full gradient ∂{L}/∂{name[step.node]} = {number(step.grad)} "
            f"and passes back {shares}" + (f" ({op} {pattern}: {FLOW_PATTERNS[pattern]})" if pattern else "")
        )
    return replay


def backward_frames(
    root: Tensor,
    grad: ArrayLike | None = None,
    style: str = "circuit",
    max_frames: int = 200,
    number_format: str = NUMBER_FORMAT,
    show_data: bool = True,
    rankdir: str = "auto",
    legend: bool = True,
    max_nodes: int | None = 200,
) -> list[Frame]:
    """The frames of ``animate_backward`` as ``Frame`` objects, each a whole picture (nothing is written).

    ``rankdir="auto"``, as ``draw_graph``'s: top to bottom past ``DEEP_RANKS`` ops on the longest
    path, so a deep graph's frames stay narrow enough to read when the player fits them to the page.
    """
    replay = _replay(root, grad, style, max_frames, number_format, show_data, rankdir, legend, max_nodes)
    return _frames(replay)


def _frames(replay: _Replay) -> list[Frame]:
    plan, options = replay.plan, replay.options
    frames = [_frame(plan, options, replay.captions[0], replay.initial, set(), {}, None)]
    for caption, step in zip(replay.captions[1:], replay.steps):
        highlight: ResolvedHighlight = {(step.node, pos): replay.number(share) for pos, _, share in step.deliveries}
        frames.append(_frame(plan, options, caption, step.grads, step.partial, highlight, step.node))
    return frames


def _frame(
    plan: GraphPlan,
    options: DrawOptions,
    caption: str,
    grads: dict[int, npt.NDArray[Any]],
    partial: set[int],
    highlight: ResolvedHighlight,
    focus: int | None,
) -> Frame:
    def grad_of(i: int, t: Tensor) -> tuple[npt.NDArray[Any] | None, bool]:
        return grads.get(i), i in partial

    picture = build_digraph(plan, options, highlight, grad_of, focus)
    options = dataclasses.replace(options, title=caption)
    return Frame(caption, build_digraph(plan, options, highlight, grad_of, focus), picture)


def _one_picture(replay: _Replay) -> tuple[graphviz.Digraph, list[FrameChange]]:
    """The graph drawn once, and each frame as the changes it makes to it: O(graph + steps x shares).

    Every gradient label is laid out at its widest text of the whole animation and every share
    label is drawn (the page hides all but the current step's), so no frame moves the picture.
    """
    plan, steps = replay.plan, replay.steps
    drawn = {i for i in plan.visible if isinstance(i, int) and plan.tensors[i].requires_grad}
    grads: dict[int, npt.NDArray[Any]] = dict(replay.initial)
    partial: set[int] = set()
    widest: dict[int, tuple[str, npt.NDArray[Any] | None, bool]] = {}

    before_number = "" if replay.options.style == "circuit" else "grad "  # as drawing's record box writes it

    def text(i: int) -> str:  # one line, as the picture's label shows it
        shown = before_number + " ".join(replay.number(grads.get(i)).split())
        shown += " +\u2026" if i in partial and i in grads else ""
        if len(shown) > len(widest.get(i, ("",))[0]):
            widest[i] = (shown, grads.get(i), i in partial)
        return shown

    changes = [FrameChange(replay.captions[0], {i: text(i) for i in sorted(drawn)})]
    notes: ResolvedHighlight = {}
    for caption, step in zip(replay.captions[1:], steps):
        before = {i: text(i) for i in [step.node, *(j for _, j, _ in step.deliveries)] if i in drawn}
        grads, partial = step.grads, step.partial
        after = {i: text(i) for i in before}
        # one line each (a matrix prints on several): the page shows and hides an edge's last label line
        notes.update({(step.node, pos): " ".join(replay.number(share).split()) for pos, _, share in step.deliveries})
        glowing = [step.node, *(plan.unit(j) for _, j, _ in step.deliveries)]
        changes.append(
            FrameChange(
                caption,
                {i: shown for i, shown in after.items() if shown != before[i]},
                op=step.node,
                edges=[pos for pos, _, _ in step.deliveries],
                values=list(dict.fromkeys(u for u in glowing if isinstance(u, int))),
            )
        )

    def widest_grad(i: int, t: Tensor) -> tuple[npt.NDArray[Any] | None, bool]:
        _, array, is_partial = widest.get(i, ("", None, False))
        return array, is_partial

    options = dataclasses.replace(replay.options, element_ids=True)
    return build_digraph(plan, options, grad_of=widest_grad, notes=notes), changes


@overload
def animate_backward(
    root: Tensor,
    path: None = None,
    grad: ArrayLike | None = ...,
    style: str = ...,
    max_frames: int = ...,
    **draw_options: Any,
) -> BackwardAnimation: ...
@overload
def animate_backward(
    root: Tensor,
    path: str | os.PathLike[str],
    grad: ArrayLike | None = ...,
    style: str = ...,
    max_frames: int = ...,
    **draw_options: Any,
) -> pathlib.Path: ...
def animate_backward(
    root: Tensor,
    path: str | os.PathLike[str] | None = None,
    grad: ArrayLike | None = None,
    style: str = "circuit",
    max_frames: int = 200,
    **draw_options: Any,
) -> BackwardAnimation | pathlib.Path:
    """Show the backward pass of ``root`` step by step: one frame per op, plus the start.

    ``path`` ending in ``.html``: one self-contained HTML file (the graph as one inline SVG,
    each frame the changes it makes; buttons, a slider and the arrow keys; no network needed).
    Any other ``path``: a folder of ``frame_000.svg``, ``frame_001.svg``, … (one whole picture
    each) and ``.animate_backward.json``, the list of what was written: rerunning into the folder
    removes the frames of an earlier, longer animation that are listed there and unchanged,
    never any other file.
    Without ``path``: a ``BackwardAnimation``, the list of ``Frame``s, which plays inline
    as a Jupyter cell's last line.
    ``root`` must be a one-element tensor (or pass ``grad=``). Needs Graphviz's ``dot``
    to write files; without it the frames' DOT source is saved and a
    ``GraphvizNotFoundError`` says how to install Graphviz. Returns the path written.

    >>> w = ag.Tensor(2.0, requires_grad=True, label="w")
    >>> f = (w * -1.0).sigmoid()
    >>> viz.animate_backward(f, "backward.html")
    PosixPath('backward.html')
    >>> sorted(p.name for p in viz.animate_backward(f, "frames").iterdir())
    ['.animate_backward.json', 'frame_000.svg', 'frame_001.svg', 'frame_002.svg']
    """
    from .layout import as_roots

    if isinstance(root, (list, tuple)):
        raise TypeError("animate_backward: pass one Tensor (the loss), not a list")
    (root,) = as_roots(root, "animate_backward")
    replay = _replay(root, grad, style, max_frames, **draw_options)
    if path is None:
        return BackwardAnimation(_frames(replay), *_one_picture(replay))
    target = pathlib.Path(path)
    if target.suffix.lower() == ".html":
        return _write_html(replay, target, root)
    if target.suffix:
        raise ValueError(f"animate_backward: write to a .html file or to a folder (no suffix), got {str(target)!r}")
    return _write_svg_folder(_frames(replay), target)


def _saved_frames(error: GraphvizNotFoundError, where: pathlib.Path) -> GraphvizNotFoundError:
    return GraphvizNotFoundError(f"{error}\nThe frames' DOT source was saved to {str(where)!r}.")


MANIFEST = ".animate_backward.json"  # the files animate_backward wrote in a folder: the only ones it may delete
_OUR_NAMES = re.compile(r"frame_\d{3,}\.(svg|dot)")


def _write_svg_folder(frames: Sequence[Frame], folder: pathlib.Path) -> pathlib.Path:
    try:
        svgs = [pipe_dot(frame.digraph, "svg", "animate_backward").decode("utf-8") for frame in frames]
    except GraphvizNotFoundError as error:
        _write_files(folder, {f"frame_{k:03d}.dot": frame.digraph.source for k, frame in enumerate(frames)})
        raise _saved_frames(error, folder) from None
    _write_files(folder, {f"frame_{k:03d}.svg": svg for k, svg in enumerate(svgs)})
    return folder


def _write_files(folder: pathlib.Path, texts: dict[str, str]) -> None:
    """Write ``{name: text}`` into ``folder``; then remove what an earlier animation wrote there and this one
    did not rewrite (frames past the new last one), but only files the manifest lists with the content we
    wrote: a user's own ``frame_012.svg``, or one of ours the user has since edited, is never deleted."""
    earlier = _read_manifest(folder)
    written: dict[str, str] = {}
    for name, text in texts.items():
        data = text.encode("utf-8")
        atomic_write(folder / name, data, make_folders=True)
        written[name] = hashlib.sha256(data).hexdigest()
    for name, digest in earlier.items():
        path = folder / name
        if name not in written and path.is_file() and not path.is_symlink() and _digest(path) == digest:
            path.unlink()
    atomic_write(folder / MANIFEST, json.dumps(written, indent=0, sort_keys=True))


def _read_manifest(folder: pathlib.Path) -> dict[str, str]:
    """{file name: sha256} from the folder's manifest; anything unexpected in it is ignored (never deleted)."""
    try:
        listed = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(listed, dict):
        return {}
    return {
        name: digest
        for name, digest in listed.items()
        if isinstance(name, str) and _OUR_NAMES.fullmatch(name) and isinstance(digest, str)
    }


def _digest(path: pathlib.Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _write_html(replay: _Replay, path: pathlib.Path, root: Tensor) -> pathlib.Path:
    picture, changes = _one_picture(replay)
    try:
        svg = pipe_dot(picture, "svg", "animate_backward").decode("utf-8")
    except GraphvizNotFoundError as error:  # each frame's DOT: what the page would have shown, one by one
        where = atomic_write(
            source_beside(path), "\n".join(f.digraph.source for f in _frames(replay)), make_folders=True
        )
        raise _saved_frames(error, pathlib.Path(where)) from None
    title = f"The backward pass of {root.label or 'the output'}, one op at a time"
    return pathlib.Path(atomic_write(path, player_page(svg, changes, title), make_folders=True))
