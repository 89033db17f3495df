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
from collections.abc import Sequence

import numpy as np

import autograd_core as ag

from .model_info import ModelInfo
from .module import Module
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
    return args


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
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ValueError(f"load_features: {path}: no such file")
    suffix = os.path.splitext(path)[1].lower()
    if suffix == ".csv":
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = [r for r in csv.reader(f) if any(cell.strip() for cell in r)]
        if len(rows) < 2:
            raise ValueError(f"load_features: {path}: expected a header row and at least one data row")
        header = [h.strip() for h in rows[0]]
        names = feature_names if feature_names is not None else header
        header_problem("load_features", path, [h for h in header if h in names])  # extra columns may be anything
        missing = [n for n in names if n not in header]
        if missing:
            raise ValueError(
                f"load_features: {path}: the model needs the columns {missing}, which the file "
                f"lacks (its columns: {header})"
            )
        columns = [header.index(n) for n in names]
        X = np.empty((len(rows) - 1, len(columns)))
        for i, row in enumerate(rows[1:]):
            if len(row) != len(header):
                raise ValueError(
                    f"load_features: {path}: row {i + 2} has {len(row)} fields, the header has {len(header)}"
                )
            for k, j in enumerate(columns):
                cell = row[j].strip()
                try:
                    X[i, k] = float(cell)
                except ValueError:
                    raise ValueError(
                        f"load_features: {path}: column {header[j]!r}, row {i + 2}: {cell!r} is not a number"
                    ) from None
                if not math.isfinite(X[i, k]):
                    raise ValueError(
                        f"load_features: {path}: column {header[j]!r}, row {i + 2}: {cell!r} is a "
                        "missing or non-finite value"
                    )
        return X
    if suffix not in (".npz", ".npy"):
        raise ValueError(f"load_features: {path}: unknown file type {suffix or '(none)'}; give a .csv, .npz or .npy")
    with open_numpy(path) as loaded:
        if suffix == ".npz":
            if "X" not in loaded.files:
                raise ValueError(f"load_features: {path}: expected an array X (found {loaded.files})")
            X = read_member(path, loaded, "X")
        else:
            X = loaded
    if X.ndim != 2 or X.dtype.kind not in "biuf" or not np.isfinite(X).all():
        raise ValueError(
            f"load_features: {path}: X must be a 2-d array of finite numbers, got shape {X.shape} dtype {X.dtype}"
        )
    return X.astype(np.float64)


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
    try:
        info = read_info(args.model)
        model = load(args.model)
        X = load_features(args.data, info.feature_names)
        trained_on = None if info.preprocessing is None else info.preprocessing.mean  # a loaded scaler is fitted
        if trained_on is not None and X.shape[1] != trained_on.shape[0]:
            raise ValueError(f"{args.data} has {X.shape[1]} features, the model was trained on {trained_on.shape[0]}")
        columns, rows = predict(model, info, X)
    except (ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    writer.writerows(rows)
    atomic_write(args.out, buffer.getvalue().encode("utf-8"))
    print(f"wrote {len(rows)} prediction{'' if len(rows) == 1 else 's'} to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
