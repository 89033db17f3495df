"""What ``python -m viz`` and ``python -m viz.circuit`` share: flag checks and writing the picture.

Each check is an argparse ``type=``: a bad value is a usage error (exit 2, one line) before
anything is computed or written, never a traceback after the first picture was saved.
"""

from __future__ import annotations

import argparse
import pathlib
import tempfile
from collections.abc import Callable, Sequence
from typing import Any

from autograd_core import Tensor

from .explain import explain
from .format import check_number_format
from .plots import PLOT_FORMATS
from .render import IMAGE_FORMATS, SOURCE_SUFFIXES, render_graph


class CommandError(Exception):
    """A problem with the command line's input, shown as one line without a traceback."""


def write_picture(
    root: Tensor, out: str, param: Tensor | None = None, number_format: str = "%.4g", **options: Any
) -> pathlib.Path:
    """Render ``root``'s graph to ``out``; with ``param``, print ``explain(root, param)`` first and
    highlight its paths. Returns the path written."""
    if param is None:
        return render_graph(root, out, number_format=number_format, **options)
    explanation = explain(root, param, number_format=number_format)
    print()
    print(explanation)
    return explanation.render(out, number_format=number_format, **options)


def _suffix_check(text: str, known: Sequence[str], what: str) -> str:
    suffix = pathlib.Path(text).suffix.lower()
    if suffix not in known:
        raise argparse.ArgumentTypeError(
            f"cannot tell the format of {text!r} from its suffix "
            f"{suffix or '(none)'}; {what} must end in one of {', '.join(known)}"
        )
    return text


def _writable_place(text: str, folder_too: bool = False) -> str:
    """Check, before anything is computed, that ``text`` can be written: its folder exists and takes
    a file, tried for real (root ignores permission bits; /proc or a path under a file refuse anyway).
    ``folder_too``: ``text`` itself is a folder that may exist (it must then take a file) or not yet."""
    path = pathlib.Path(text)
    if path.exists() and (path.is_dir() != folder_too):
        kind = "a folder" if path.is_dir() else "an existing file"
        raise argparse.ArgumentTypeError(f"{text!r} is {kind}; give a {'folder' if folder_too else 'file'} name")
    probe = path if folder_too and path.is_dir() else path.parent
    if not probe.is_dir():
        what = "is a file, not a folder" if probe.exists() else "does not exist"
        raise argparse.ArgumentTypeError(f"cannot write {text!r}: {str(probe)!r} {what}")
    try:
        with tempfile.NamedTemporaryFile(dir=probe, prefix=".viz-probe-"):
            pass
    except OSError as error:
        raise argparse.ArgumentTypeError(
            f"cannot write {text!r}: the folder {str(probe)!r} does not take new files ({error.strerror})"
        ) from None
    return text


def graph_path(text: str) -> str:
    """An image or DOT file for a graph, in a writable folder: ``--out graph.svg``."""
    return _writable_place(_suffix_check(text, list(IMAGE_FORMATS) + list(SOURCE_SUFFIXES), "a graph picture"))


def plot_path(text: str) -> str:
    """An image file for training curves, in a writable folder: ``--out curves.png``."""
    return _writable_place(_suffix_check(text, list(PLOT_FORMATS), "a plot"))


def html_path(text: str) -> str:
    """An .html page: ``--out graph.html``."""
    return _suffix_check(text, [".html"], "the page")


def animation_path(text: str) -> str:
    """A .html file or a folder (no suffix) for the backward animation: ``--animate steps.html``."""
    suffix = pathlib.Path(text).suffix.lower()
    if suffix and suffix != ".html":
        raise argparse.ArgumentTypeError(
            f"{text!r}: the animation is written to a .html file or to a folder "
            f"(a name without suffix), not to a {suffix} file"
        )
    return _writable_place(text, folder_too=not suffix)


def number_format(text: str) -> str:
    """A printf format for one number, at most 40 characters wide or precise: ``--number-format %.2f``."""
    try:
        return check_number_format(text, name="--number-format")
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def bounded_int(low: int, high: int) -> Callable[[str], int]:
    """An argparse type for an int in ``low..high``: ``type=bounded_int(1, 10_000)``."""

    def check(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected an int from {low} to {high:,}, got {text[:40]!r}")
        return value

    return check


def positive_int(text: str) -> int:
    """An int >= 1: ``--rows 4``."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an int >= 1, got {text!r}")
    return value


def layer_sizes(text: str) -> list[int]:
    """Comma-separated layer sizes: ``--sizes 64,32,10``."""
    try:
        sizes = [int(s) for s in text.split(",")]
    except ValueError:
        sizes = []
    if len(sizes) < 2 or min(sizes) < 1:
        raise argparse.ArgumentTypeError(
            f"expected at least two comma-separated ints >= 1 (in,...,out), e.g. 64,32,10; got {text!r}"
        )
    return sizes
