"""Redraw the README's viz pictures (make docs runs it):

* ``mlp-graph.png``: a 6-layer MLP with cross-entropy, drawn with the readable defaults;
* ``explore.html``: the interactive page for a small network (open it in a browser);
* ``explore.png``: a screenshot of that page (headless Chromium) with a weight clicked,
  the backward pass stepped to the end and its chain-rule paths highlighted.
"""

import pathlib
import shutil
import subprocess
import sys
import tempfile

import numpy as np

import autograd_core as ag
import nn
import nn.functional as F
import viz

HERE = pathlib.Path(__file__).resolve().parent


def deep_mlp():
    model = nn.MLP([2, 32, 32, 32, 32, 32, 2], seed=0)
    X = np.random.default_rng(0).standard_normal((16, 2))
    loss = F.cross_entropy(model(ag.Tensor(X, label="X")), np.arange(16) % 2)
    loss.label = "loss"
    viz.backward_all(loss)
    return loss


def small_network():
    model = nn.MLP([3, 4, 2], seed=0)
    X = np.random.default_rng(1).standard_normal((5, 3))
    loss = F.cross_entropy(model(ag.Tensor(X, label="X")), np.array([0, 1, 1, 0, 1]))
    loss.label = "loss"
    return loss


def screenshot(page, png, state):
    chromium = shutil.which("chromium")
    if chromium is None:
        print("chromium not found (make chromium installs it): explore.png not redrawn", file=sys.stderr)
        return
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                f"--user-data-dir={profile}",
                "--hide-scrollbars",
                "--window-size=1400,860",
                f"--screenshot={png}",
                page.resolve().as_uri() + "#" + state,
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    print(f"wrote {png}")


if __name__ == "__main__":
    print(f"wrote {viz.render_graph(deep_mlp(), HERE / 'mlp-graph.png')}")
    page = viz.explore(small_network(), HERE / "explore.html", title="viz.explore: a 3-4-2 MLP's cross-entropy")
    print(f"wrote {page}")
    screenshot(page, HERE / "explore.png", "node=layers.2.weight&param=layers.2.weight&backward=end&zoom=2.2")
