"""Reading an animation page (``viz.animate_backward``'s player) in tests."""

import json
import re


def page_frames(page):
    """The frames (captions and changes) an animation page's script plays, from its JSON."""
    found = re.findall(r'<script type="application/json" class="frames">(.*?)</script>', page, re.S)
    assert len(found) == 1
    return json.loads(found[0])["frames"]
