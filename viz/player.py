"""A self-contained HTML player for a sequence of SVG pictures (the backward animation).

One fragment serves both the ``.html`` file ``animate_backward`` writes and the
inline display of its result in Jupyter. The captions are HTML text above the
picture (16 px, readable at any picture size), shown once; buttons, a slider and
the arrow keys step through the frames. No network: the SVGs are inlined and the
script is the few lines below. Element ids carry a per-player prefix, so several
players can share one notebook page.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Sequence

CAPTION_PX = 16  # the caption is HTML beside the picture, so it never shrinks with the SVG


def player_fragment(svgs: Sequence[str], captions: Sequence[str]) -> str:
    """A <div> that plays ``svgs`` (SVG text) with their ``captions`` (plain text)."""
    if len(svgs) != len(captions) or not svgs:
        raise ValueError(
            f"player: need one caption per frame and at least one frame, got {len(svgs)} "
            f"pictures and {len(captions)} captions"
        )
    prefix = "viz" + hashlib.sha1("".join(captions).encode("utf-8")).hexdigest()[:10]
    frames = []
    for k, (svg, caption) in enumerate(zip(svgs, captions)):
        svg = svg[svg.index("<svg") :]  # drop the XML prolog: the SVG is inlined in HTML
        frames.append(
            f'<div class="frame" id="{prefix}-frame{k}"{"" if k == 0 else " hidden"}>'
            f'<p class="caption">{html.escape(caption)}</p>{svg}</div>'
        )
    return _FRAGMENT.format(prefix=prefix, last=len(svgs) - 1, frames="\n".join(frames), caption_px=CAPTION_PX)


def player_page(svgs: Sequence[str], captions: Sequence[str], title: str) -> str:
    """A whole HTML page around ``player_fragment``."""
    return _PAGE.format(title=html.escape(title), body=player_fragment(svgs, captions))


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

_FRAGMENT = """<div class="viz-player" id="{prefix}" tabindex="0">
<style>
#{prefix} .caption {{ font-size: {caption_px}px; min-height: 2.6em; font-family: Helvetica, Arial, sans-serif; }}
#{prefix} svg {{ max-width: 100%; height: auto; }}
#{prefix} button {{ font-size: 14px; margin-right: .4em; }}
</style>
<div class="controls"><button class="prev">◀ back</button><button class="play">▶ play</button>
<button class="next">next ▶</button><input class="slider" type="range" min="0" max="{last}" value="0">
<span class="counter">frame 0 of {last}</span></div>
{frames}
<script>
(function () {{
  var root = document.getElementById("{prefix}"), current = 0, last = {last}, timer = null;
  var slider = root.querySelector(".slider"), counter = root.querySelector(".counter");
  function show(k) {{
    current = Math.max(0, Math.min(last, k));
    for (var i = 0; i <= last; i++) document.getElementById("{prefix}-frame" + i).hidden = (i !== current);
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
