"""Run the tutorials: every ```python block of each Markdown file, in order, in one namespace.

    python docs/tutorials/run.py                 # all of them; images land in docs/tutorials/images/
    python docs/tutorials/run.py 02 --out /tmp/t # one tutorial, images under /tmp/t/images/

A tutorial's assertions (autodiff == the hand-derived formula) are ordinary ``assert``
statements, so a tutorial that drifts from the engine fails here and in the test suite.
Its pictures are written by running it, into ``images/`` under the output folder, and
every image the text links to must have been written by the run.
"""

import argparse
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CODE_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
IMAGE_LINK = re.compile(r"!\[[^\]]*\]\((images/[^)]+)\)")


def tutorials(selection=()):
    """Paths of the tutorial files, in order, filtered by name prefixes."""
    names = sorted(n for n in os.listdir(HERE) if re.match(r"\d\d-.*\.md$", n))
    if selection:
        names = [n for n in names if any(n.startswith(s) for s in selection)]
    return [os.path.join(HERE, n) for n in names]


def run_tutorial(path, out_dir):
    """Execute one tutorial with ``out_dir`` as the working directory; return the images it links."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    blocks = CODE_BLOCK.findall(text)
    if not blocks:
        raise ValueError(f"{path}: no ```python blocks")
    os.makedirs(os.path.join(out_dir, "images"), exist_ok=True)
    cwd = os.getcwd()
    namespace = {"__name__": "__tutorial__"}
    os.chdir(out_dir)
    try:
        for number, block in enumerate(blocks, 1):
            exec(compile(block, f"{os.path.basename(path)}[block {number}]", "exec"), namespace)
    finally:
        os.chdir(cwd)
    images = IMAGE_LINK.findall(text)
    missing = [i for i in images if not os.path.exists(os.path.join(out_dir, i))]
    if missing:
        raise AssertionError(f"{path}: the text shows images the run did not write: {missing}")
    return images


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("only", nargs="*", help="tutorial name prefixes, e.g. 01 02")
    parser.add_argument("--out", default=HERE, help="output folder (images/ is made inside)")
    args = parser.parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")
    paths = tutorials(args.only)
    if not paths:
        parser.error(f"no tutorial matches {args.only}")
    for path in paths:
        start = time.perf_counter()
        images = run_tutorial(path, os.path.abspath(args.out))
        print(f"ok  {os.path.basename(path)}  ({time.perf_counter() - start:.1f} s, {len(images)} images)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
