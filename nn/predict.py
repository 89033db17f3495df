"""``python -m nn.predict MODEL --data FILE --out predictions.csv``: apply a saved model to new raw data.

The model file (written by ``nn.save``, e.g. by ``python -m nn.train``) says how to read
the data: its preprocessing (the training rows' standardizer) is applied first, and the
columns of a .csv are matched by the feature names it was trained on. The output has one
row per input row: for a classifier the predicted class name and one probability column
per class (``p_<name>``, a softmax of the outputs); for regression the predicted values.

    python -m nn.train --data flowers.csv --target species --out runs/flowers
    python -m nn.predict runs/flowers/model.npz --data new_flowers.csv --out predictions.csv
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import os
import sys
from collections.abc import Iterator, Sequence
from typing import BinaryIO

import numpy as np

import autograd_core as ag

from .model_info import ModelInfo
from .module import Module
from .runs import Interrupted, OneLineWarnings, StopSignals
from .serialization import atomic_write, load, read_info
from .tables import StrPath, header_problem, open_numpy, read_member


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m nn.predict", description=__doc__.split("\n")[0])
    parser.add_argument("model", help="a model file written by nn.save (python -m nn.train's model.npz)")
    parser.add_argument("--data", required=True, help="a .csv with the feature columns, a .npz with X, or a .npy")
    parser.add_argument("--out", default="predictions.csv", help="the .csv to write (default: %(default)s)")
    args = parser.parse_args(argv)
    parent = os.path.dirname(os.path.abspath(args.out))
    if not os.path.isdir(parent):
        parser.error(f"--out {args.out}: the folder {parent} does not exist")
    if os.path.isdir(args.out):
        parser.error(f"--out {args.out} is a folder; give a file name such as predictions.csv")
    for name, path in (("--data", args.data), ("model", args.model)):
        if os.path.isfile(args.out) and os.path.isfile(path) and os.path.samefile(args.out, path):
            parser.error(f"--out {args.out} is the {name} file: the predictions would replace it; give another name")
    return args


#: Rows read, predicted and written at a time: memory stays the same for a file of any length.
BLOCK_ROWS = 4096


def load_features(path: StrPath, feature_names: Sequence[str] | None = None) -> np.ndarray:
    """The feature matrix of a file to predict on (float64). A .csv is matched by column name
    when ``feature_names`` is given (extra columns, e.g. the target, are ignored); a .npz gives
    its array ``X``; a .npy is the matrix itself.

    >>> with open("new.csv", "w") as f:
    ...     _ = f.write("sepal,petal\\n5.1,1.4\\n7.0,4.7\\n")
    >>> nn.predict.load_features("new.csv", feature_names=["petal", "sepal"])   # in the model's order
    array([[1.4, 5.1],
           [4.7, 7. ]])
    """
    return np.concatenate(list(feature_blocks(path, feature_names)))


def feature_blocks(
    path: StrPath, feature_names: Sequence[str] | None = None, rows: int = BLOCK_ROWS
) -> Iterator[np.ndarray]:
    """``load_features``, ``rows`` rows at a time: a file of any length is read in bounded memory.
    A file without a data row raises before anything is yielded.

    >>> with open("new.csv", "w") as f:
    ...     _ = f.write("sepal,petal\\n5.1,1.4\\n7.0,4.7\\n6.3,6.0\\n")
    >>> [block.shape for block in nn.predict.feature_blocks("new.csv", rows=2)]
    [(2, 2), (1, 2)]
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise ValueError(f"load_features: {path}: no such file")
    if not os.path.isfile(path):
        raise ValueError(f"load_features: {path} is a folder (or a device), not a data file")
    suffix = os.path.splitext(path)[1].lower()
    if suffix == ".csv":
        yield from _csv_blocks(path, feature_names, rows)
        return
    if suffix not in (".npz", ".npy"):
        raise ValueError(f"load_features: {path}: unknown file type {suffix or '(none)'}; give a .csv, .npz or .npy")
    with open_numpy(path) as loaded:
        if suffix == ".npz":
            if "X" not in loaded.files:
                raise ValueError(f"load_features: {path}: expected an array X (found {loaded.files})")
            X = read_member(path, loaded, "X")
        else:
            X = loaded  # memory-mapped: read a block at a time
        if X.ndim != 2 or X.dtype.kind not in "biuf" or len(X) == 0:
            raise ValueError(
                f"load_features: {path}: X must be a 2-d array of finite numbers with at least one row, "
                f"got shape {X.shape} dtype {X.dtype}"
            )
        for start in range(0, len(X), rows):
            block = np.asarray(X[start : start + rows], dtype=np.float64)
            if not np.isfinite(block).all():
                row = start + int(np.argwhere(~np.isfinite(block))[0][0])
                raise ValueError(f"load_features: {path}: X[{row}] holds a missing or non-finite value")
            yield block


def _csv_blocks(path: str, feature_names: Sequence[str] | None, rows: int) -> Iterator[np.ndarray]:
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        lines = (r for r in reader if any(cell.strip() for cell in r))
        first = next(lines, None)
        if first is None:
            raise ValueError(f"load_features: {path}: expected a header row and at least one data row")
        header = [h.strip() for h in first]
        if len(header) == 1:  # a ';'- or tab-separated file reads as one column
            header_problem("load_features", path, header)
        names = feature_names if feature_names is not None else header
        header_problem("load_features", path, [h for h in header if h in names])  # extra columns may be anything
        missing = [n for n in names if n not in header]
        if missing:
            raise ValueError(
                f"load_features: {path}: the model needs the columns {missing}, which the file "
                f"lacks (its columns: {header})"
            )
        columns = [header.index(n) for n in names]
        block, n, total = np.empty((rows, len(columns))), 0, 0
        for row in lines:
            if len(row) != len(header):
                raise ValueError(
                    f"load_features: {path}: row {reader.line_num} has {len(row)} fields, the header has {len(header)}"
                )
            for k, j in enumerate(columns):
                block[n, k] = _number(path, header[j], reader.line_num, row[j])
            n, total = n + 1, total + 1
            if n == rows:
                yield block
                block, n = np.empty((rows, len(columns))), 0
        if total == 0:
            raise ValueError(f"load_features: {path}: expected a header row and at least one data row")
        if n:
            yield block[:n]


def _number(path: str, column: str, line: int, text: str) -> float:
    cell = text.strip()
    try:
        value = float(cell)
    except ValueError:
        raise ValueError(f"load_features: {path}: column {column!r}, row {line}: {cell!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(
            f"load_features: {path}: column {column!r}, row {line}: {cell!r} is a missing or non-finite value"
        )
    return value


def predict(model: Module, info: ModelInfo, X: np.ndarray) -> tuple[list[str], list[list[str]]]:
    """(columns, rows) of the prediction table for raw features ``X``."""
    if info.preprocessing is not None:
        X = info.preprocessing.transform(X)
    dtype = next(iter(model.parameters())).dtype
    model.eval()
    with ag.no_grad():
        outputs = np.asarray(model(ag.Tensor(X.astype(dtype))).data, dtype=np.float64)
    if info.task == "classification":
        names = info.class_names or [str(k) for k in range(outputs.shape[1])]
        if len(names) != outputs.shape[1]:  # an edited file, or nn.save given another model's names
            plural = "s" * (len(names) != 1)
            raise ValueError(
                f"nn.predict: the model file lists {len(names)} class name{plural} {names!r:.80} and its model "
                f"gives {outputs.shape[1]} outputs a row: save it again with one class name per output"
            )
        shifted = np.exp(outputs - outputs.max(axis=1, keepdims=True))
        probabilities = shifted / shifted.sum(axis=1, keepdims=True)
        labels = [names[k] for k in probabilities.argmax(axis=1)]
        columns = ["prediction"] + [f"p_{name}" for name in names]
        return columns, [[label, *(f"{p:.6g}" for p in row)] for label, row in zip(labels, probabilities)]
    outputs = outputs.reshape(len(outputs), -1)
    columns = ["prediction"] if outputs.shape[1] == 1 else [f"prediction_{k}" for k in range(outputs.shape[1])]
    return columns, [[f"{v:.10g}" for v in row] for row in outputs]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    written = 0

    def write(file: BinaryIO) -> None:  # block by block into the temporary file atomic_write renames at the end
        nonlocal written
        text = io.TextIOWrapper(file, encoding="utf-8", newline="")
        writer = csv.writer(text)
        trained_on = None if info.preprocessing is None else info.preprocessing.mean  # a loaded scaler is fitted
        for X in feature_blocks(args.data, info.feature_names):
            if trained_on is not None and X.shape[1] != trained_on.shape[0]:
                raise ValueError(
                    f"{args.data} has {X.shape[1]} features, the model was trained on {trained_on.shape[0]}"
                )
            columns, rows = predict(model, info, X)
            if not written:
                writer.writerow(columns)
            writer.writerows(rows)
            written += len(rows)
        text.flush()
        text.detach()  # atomic_write closes the file itself

    existed = os.path.exists(args.out)
    with StopSignals(), OneLineWarnings():  # Ctrl-C or kill: a line (--out left as it was)
        try:
            info = read_info(args.model)
            model = load(args.model)
            atomic_write(args.out, write)
        except (ValueError, FileNotFoundError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        except Interrupted as stop:
            kept = "left as it was" if existed else "not written"
            print(f"interrupted by {stop}; {args.out} {kept}", file=sys.stderr)
            return stop.exit_code
    print(f"wrote {written} prediction{'' if written == 1 else 's'} to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
