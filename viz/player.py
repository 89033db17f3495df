"""A self-contained HTML player for the backward animation: one picture, and each frame's changes to it.

One fragment serves both the ``.html`` file ``animate_backward`` writes and the
inline display of its result in Jupyter. The graph is one inline SVG, drawn once;
each frame is a caption and the few things it changes (the gradient labels that
moved, the op whose turn it is, the edges it sends shares along and the wires
that glow), so the page grows with the graph plus the steps, not with their product.
The script replays the changes up to the frame shown. The caption is HTML text above
the picture (16 px, readable at any picture size), shown once; buttons, a slider and
the arrow keys step through the frames. No network: the SVG, the frames (JSON) and the
few lines of script are inline. Element ids carry a per-player prefix, and the script
looks inside its own player only, so several players can share one notebook page.
"""

from __future__ import annotations

import hashlib
import html
import json
from dataclasses import asdict, dataclass, field

from .format import GRAD_COLOUR, HIGHLIGHT_COLOUR

CAPTION_PX = 16  # the caption is HTML beside the picture, so it never shrinks with the SVG


@dataclass
class FrameChange:
    """What one frame changes in the picture: its caption, the gradient labels that now read
    differently (tensor index -> text), the op whose turn it is (``op``), the input positions
    it sends shares along (``edges``: their share labels show) and the tensors whose wires glow."""

    caption: str
    grads: dict[int, str]
    op: int | None = None
    edges: list[int] = field(default_factory=list)
    values: list[int] = field(default_factory=list)


def player_fragment(svg: str, changes: list[FrameChange]) -> str:
    """A <div> that plays ``changes`` (frame 0 first: every gradient label's text) on ``svg``,
    the picture Graphviz drew with element ids (``t<i>``, ``op<i>``, ``e<op>_<position>``, ``w<i>``).

    >>> page = player_fragment("<svg></svg>", [FrameChange("start", {0: "1"})])
    >>> page.count("<svg"), "frame 0 of 0" in page
    (1, True)
    """
    if not changes:
        raise ValueError("player: need at least one frame (frame 0, the forward pass), got none")
    if "<svg" not in svg:
        raise ValueError(f"player: expected an SVG picture, got {svg[:40]!r}")
    frames = [asdict(change) for change in changes]
    payload = json.dumps({"frames": frames}, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    payload = payload.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")  # inert in <script>
    prefix = "viz" + hashlib.sha1(payload.encode("utf-8")).hexdigest()[:10]
    return _FRAGMENT.format(
        prefix=prefix,
        last=len(changes) - 1,
        caption=html.escape(changes[0].caption),
        svg=svg[svg.index("<svg") :],  # drop the XML prolog: the SVG is inlined in HTML
        frames=payload,
        caption_px=CAPTION_PX,
        grad=GRAD_COLOUR,
        hot=HIGHLIGHT_COLOUR,
    )


def player_page(svg: str, changes: list[FrameChange], title: str) -> str:
    """A whole HTML page around ``player_fragment``.

    >>> player_page("<svg></svg>", [FrameChange("start", {})], "a & b")[:15]
    '<!DOCTYPE html>'
    """
    return _PAGE.format(title=html.escape(title), body=player_fragment(svg, changes))


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body {{ font-family: Helvetica, Arial, sans-serif; margin: 1.5em; }}</style></head>
<body>
<h2>{title}</h2>
<p>Green: forward value (above the wire). Red: gradient (below). Orange: the edges the
current op sends its gradient along. "+…": more shares still to come. Keys: ← →.</p>
{body}
</body></html>
"""

# Glowing is the picture's highlight colour on the element's lines; a share label shows only on a glowing edge.
_FRAGMENT = """<div class="viz-player" id="{prefix}" tabindex="0">
<style>
#{prefix} .caption {{ font-size: {caption_px}px; min-height: 2.6em; font-family: Helvetica, Arial, sans-serif; }}
#{prefix} svg {{ max-width: 100%; height: auto; }}
#{prefix} button {{ font-size: 14px; margin-right: .4em; }}
#{prefix} .edge text.share {{ visibility: hidden; }}
#{prefix} .glow.edge text.share {{ visibility: visible; }}
#{prefix} .glow ellipse, #{prefix} .glow polyline, #{prefix} .glow polygon[fill="none"],
#{prefix} .glow.edge path, #{prefix} .glow.edge polygon {{ stroke: {hot}; stroke-width: 2.5px; }}
#{prefix} .glow polyline, #{prefix} .glow polygon[fill="none"] {{ stroke-width: 3px; }}
#{prefix} .glow.edge polygon {{ fill: {hot}; }}
#{prefix} .glow.edge text {{ fill: {hot}; }}
</style>
<div class="controls"><button class="prev">◀ back</button><button class="play">▶ play</button>
<button class="next">next ▶</button><input class="slider" type="range" min="0" max="{last}" value="0">
<span class="counter">frame 0 of {last}</span></div>
<p class="caption">{caption}</p>
<div class="picture">{svg}</div>
<script type="application/json" class="frames">{frames}</script>
<script>
(function () {{
  var root = document.getElementById("{prefix}"), current = 0, last = {last}, timer = null, glowing = [];
  var frames = JSON.parse(root.querySelector("script.frames").textContent).frames;
  var slider = root.querySelector(".slider"), counter = root.querySelector(".counter");
  var caption = root.querySelector(".caption"), svg = root.querySelector(".picture svg");
  function el(id) {{ return svg.querySelector('[id="' + id + '"]'); }}
  var label = {{}};  // tensor index -> the <text> of its gradient
  Object.keys(frames[0].grads).forEach(function (i) {{
    var node = el("t" + i), text = node && node.querySelector('text[fill="{grad}"]');
    if (!text) return;
    var line = node.querySelector("polyline");  // a circuit wire: its gradient sits centred below it
    if (line) {{
      var xs = line.getAttribute("points").trim().split(/\\s+/).map(function (p) {{ return parseFloat(p); }});
      text.setAttribute("x", (Math.min.apply(null, xs) + Math.max.apply(null, xs)) / 2);
      text.setAttribute("text-anchor", "middle");
    }}
    label[i] = text;
  }});
  frames.forEach(function (f) {{  // the last line of a share-carrying edge's label is its share
    f.edges.forEach(function (p) {{
      var edge = el("e" + f.op + "_" + p), texts = edge ? edge.querySelectorAll(":scope > text") : [];
      if (texts.length) texts[texts.length - 1].classList.add("share");
    }});
  }});
  function glowsIn(f) {{
    var ids = f.op === null ? [] : ["op" + f.op, "o" + f.op];
    f.values.forEach(function (i) {{ ids.push("t" + i, "w" + i, "w" + i + "_out"); }});
    f.edges.forEach(function (p) {{ ids.push("e" + f.op + "_" + p); }});
    return ids.map(el).filter(Boolean);
  }}
  function show(k) {{
    current = Math.max(0, Math.min(last, k));
    var grads = {{}};
    for (var j = 0; j <= current; j++) Object.assign(grads, frames[j].grads);
    Object.keys(label).forEach(function (i) {{ label[i].textContent = grads[i]; }});
    glowing.forEach(function (g) {{ g.classList.remove("glow"); }});
    glowing = glowsIn(frames[current]);
    glowing.forEach(function (g) {{ g.classList.add("glow"); }});
    caption.textContent = frames[current].caption;
    slider.value = current; counter.textContent = "frame " + current + " of " + last;
  }}
  function play() {{
    if (timer) {{ clearInterval(timer); timer = null; return; }}
    if (current === last) show(0);
    timer = setInterval(function () {{ if (current === last) play(); else show(current + 1); }}, 1200);
  }}
  root.querySelector(".prev").onclick = function () {{ show(current - 1); }};
  root.querySelector(".next").onclick = function () {{ show(current + 1); }};
  root.querySelector(".play").onclick = play;
  slider.oninput = function () {{ show(parseInt(slider.value, 10)); }};
  root.onkeydown = function (e) {{
    if (e.key === "ArrowLeft") show(current - 1);
    if (e.key === "ArrowRight") show(current + 1);
  }};
  show(0);
}})();
</script>
</div>
"""
