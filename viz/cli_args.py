"""What ``python -m viz`` and ``python -m viz.circuit`` share: flag checks and writing the picture.

Each check is an argparse ``type=``: a bad value is a usage error (exit 2, one line) before
anything is computed or written, never a traceback after the first picture was saved.
"""
import argparse
import pathlib

from .explain import explain
from .plots import PLOT_FORMATS
from .render import IMAGE_FORMATS, SOURCE_SUFFIXES, render_graph


def write_picture(root, out, param=None, number_format="%.4g", **options):
    """Render ``root``'s graph to ``out``; with ``param``, print ``explain(root, param)`` first and
    highlight its paths. Returns the path written."""
    if param is None:
        return render_graph(root, out, number_format=number_format, **options)
    explanation = explain(root, param, number_format=number_format)
    print()
    print(explanation)
    return explanation.render(out, number_format=number_format, **options)


def _suffix_check(text, known, what):
    suffix = pathlib.Path(text).suffix.lower()
    if suffix not in known:
        raise argparse.ArgumentTypeError(f"cannot tell the format of {text!r} from its suffix "
                                         f"{suffix or '(none)'}; {what} must end in one of {', '.join(known)}")
    return text


def graph_path(text):
    """An image or DOT file for a graph: ``--out graph.svg``."""
    return _suffix_check(text, list(IMAGE_FORMATS) + list(SOURCE_SUFFIXES), "a graph picture")


def plot_path(text):
    """An image file for training curves: ``--out curves.png``."""
    return _suffix_check(text, list(PLOT_FORMATS), "a plot")


def html_path(text):
    """An .html page: ``--out graph.html``."""
    return _suffix_check(text, [".html"], "the page")


def animation_path(text):
    """A .html file or a folder (no suffix) for the backward animation: ``--animate steps.html``."""
    suffix = pathlib.Path(text).suffix.lower()
    if suffix and suffix != ".html":
        raise argparse.ArgumentTypeError(f"{text!r}: the animation is written to a .html file or to a folder "
                                         f"(a name without suffix), not to a {suffix} file")
    return text


def number_format(text):
    """A printf format for one number: ``--number-format %.2f``."""
    try:
        text % 1.0
    except (TypeError, ValueError) as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not a printf format for one number ({error}); "
                                         "e.g. %.4g or %.2f") from None
    return text


def positive_int(text):
    """An int >= 1: ``--rows 4``."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an int >= 1, got {text!r}")
    return value


def layer_sizes(text):
    """Comma-separated layer sizes: ``--sizes 64,32,10``."""
    try:
        sizes = [int(s) for s in text.split(",")]
    except ValueError:
        sizes = []
    if len(sizes) < 2 or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"expected at least two comma-separated ints >= 1 (in,...,out), "
                                         f"e.g. 64,32,10; got {text!r}")
    return sizes
