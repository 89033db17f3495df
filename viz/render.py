"""Saving pictures: the suffix picks the format, exactly the requested path is written.

Files are written atomically (a temporary file in the same folder, then
``os.replace``), so an interrupted save never leaves half a picture. Rendering
pipes DOT through Graphviz's ``dot`` program in memory: no stray ``.gv`` file
appears unless ``keep_source=True`` asks for the ``.dot`` beside the picture.
"""

from __future__ import annotations

import html
import os
import pathlib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import graphviz

from autograd_core.files import atomic_write  # the project's one atomic file writer

if TYPE_CHECKING:
    from autograd_core import Tensor

    from .explain import Explanation

IMAGE_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".jpg": "jpg", ".jpeg": "jpg"}
SOURCE_SUFFIXES = (".dot", ".gv")
PNG_DPI = "144"  # crisp on screens and slides; Graphviz's default 96 looks blurry

INSTALL_HELP = """Install Graphviz (the `dot` program), then run again:
  Debian/Ubuntu:  sudo apt-get install graphviz
  macOS:          brew install graphviz
  conda:          conda install -c conda-forge graphviz
  Windows:        winget install graphviz   (then add its bin folder to PATH)
(`pip install graphviz` installs only the Python wrapper, not the `dot` program.)"""


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's ``dot`` program is not on PATH; the message says how to install it."""


class DrawnGraph(graphviz.Digraph):
    """``draw_graph``'s ``graphviz.Digraph``: without Graphviz's ``dot``, a notebook cell shows how to
    install it instead of a formatter traceback ("failed to execute PosixPath('dot')")."""

    def _repr_mimebundle_(
        self, include: Iterable[str] | None = None, exclude: Iterable[str] | None = None, **kwargs: Any
    ) -> dict[str, bytes | str]:
        try:
            bundle: dict[str, bytes | str] = super()._repr_mimebundle_(include, exclude, **kwargs)
            return bundle
        except graphviz.ExecutableNotFound:
            text = f"Graphviz's `dot` program was not found on PATH, so the graph cannot be drawn.\n{INSTALL_HELP}"
            return {"text/html": f"<pre>{html.escape(text)}</pre>", "text/plain": text}


def image_format(path: str | os.PathLike[str], caller: str) -> str:
    """The Graphviz output format for ``path``'s suffix, "dot" for .dot/.gv, or a ValueError."""
    suffix = pathlib.Path(path).suffix.lower()
    if suffix in SOURCE_SUFFIXES:
        return "dot"
    if suffix not in IMAGE_FORMATS:
        known = ", ".join(list(IMAGE_FORMATS) + list(SOURCE_SUFFIXES))
        raise ValueError(
            f"{caller}: cannot tell the format of {str(path)!r} from its suffix "
            f"{suffix or '(none)'}; use one of {known}"
        )
    return IMAGE_FORMATS[suffix]


def source_beside(path: pathlib.Path) -> pathlib.Path:
    """Where to save the DOT source of a picture that could not be drawn: ``g.dot`` beside ``g.svg``, unless a
    ``g.dot`` that viz did not write is there (the user's own): then ``g.svg.dot``, never over their file."""
    beside = path.with_suffix(".dot")
    try:
        with open(beside, "rb") as file:
            ours = file.read(len(DOT_START)) == DOT_START
    except OSError:  # missing (or a folder: atomic_write will say so)
        return beside
    return beside if ours else path.with_name(path.name + ".dot")


DOT_START = b"digraph computation_graph {"  # how every graph viz draws begins


def pipe_dot(
    digraph: graphviz.Digraph | graphviz.Source, fmt: str, caller: str, source_path: pathlib.Path | None = None
) -> bytes:
    """Run ``dot -T<fmt>`` on the graph in memory and return the bytes.

    Without ``dot`` the DOT source is saved to ``source_path`` (if given) and a
    ``GraphvizNotFoundError`` with the install commands is raised instead of a bare
    ``ExecutableNotFound`` traceback.
    """
    drawn = digraph
    if fmt == "png" and isinstance(digraph, graphviz.Digraph):
        drawn = digraph.copy()
        drawn.attr(dpi=PNG_DPI)
    try:
        picture: bytes = drawn.pipe(format=fmt, quiet=True)
        return picture
    except graphviz.ExecutableNotFound:
        saved = ""
        if source_path is not None:
            atomic_write(source_path, digraph.source, make_folders=True)
            saved = f"\nNothing is lost: the graph's DOT source was saved to {str(source_path)!r}."
        raise GraphvizNotFoundError(
            f"{caller}: Graphviz's `dot` program was not found on PATH, so the "
            f"{fmt.upper()} could not be drawn.{saved}\n{INSTALL_HELP}"
        ) from None
    except graphviz.CalledProcessError as error:
        stderr = (error.stderr or b"").decode("utf-8", "replace").strip()
        raise RuntimeError(f"{caller}: Graphviz's `dot` failed to draw the graph: {stderr}") from None


def render_graph(
    root: Tensor | Sequence[Tensor] | Explanation | graphviz.Digraph | graphviz.Source,
    path: str | os.PathLike[str],
    keep_source: bool = False,
    **draw_options: Any,
) -> pathlib.Path:
    """Draw ``root``'s graph and save it to ``path``; the suffix picks the format.

    ``root``: a Tensor, a list of Tensors (drawn with ``draw_graph(root, **draw_options)``),
    a ``viz.explain`` result (its ``.draw(**draw_options)``) or a ``graphviz.Digraph`` already drawn.
    .svg, .png, .pdf, .jpg render with Graphviz; .dot/.gv save the DOT source (no Graphviz
    needed). Exactly ``path`` is written, atomically; ``keep_source=True`` also writes the
    source beside it as ``<name>.dot``. Returns the path as a ``pathlib.Path``. Without
    Graphviz's ``dot`` the source is saved beside the requested path (``g.dot``; ``g.svg.dot`` when
    a ``g.dot`` viz did not write is there) and a ``GraphvizNotFoundError`` says how to install Graphviz.

    >>> w = ag.Tensor(2.0, requires_grad=True, label="w")
    >>> loss = (w * 3.0).sigmoid()
    >>> viz.render_graph(loss, "graph.svg")
    PosixPath('graph.svg')
    >>> viz.render_graph(loss, "graph.dot", style="circuit")   # the DOT source: no Graphviz needed
    PosixPath('graph.dot')
    """
    from .explain import Explanation
    from .graph import draw_graph

    path = pathlib.Path(path)
    fmt = image_format(path, "render_graph")
    if isinstance(root, Explanation):  # its picture: the graph with the paths highlighted
        root = root.draw(**draw_options)
        draw_options = {}
    if isinstance(root, (graphviz.Digraph, graphviz.Source)):
        if draw_options:
            raise TypeError(
                f"render_graph: drawing options {sorted(draw_options)} apply to a Tensor root, "
                "not to an already drawn graph"
            )
        digraph = root
    else:
        digraph = draw_graph(root, **draw_options)
    source_path = path.with_suffix(".dot") if keep_source else source_beside(path)
    if fmt == "dot":
        return pathlib.Path(atomic_write(path, digraph.source, make_folders=True))
    data = pipe_dot(digraph, fmt, "render_graph", source_path)
    if keep_source:
        atomic_write(source_path, digraph.source, make_folders=True)
    return pathlib.Path(atomic_write(path, data, make_folders=True))
