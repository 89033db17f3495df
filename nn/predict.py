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
import os
import sys
from collections.abc import Sequence

import numpy as np

import autograd_core as ag

from .model_info import ModelInfo
from .module import Module
from .serialization import atomic_write, load, read_info
from .tables import load_features


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
    print(f"wrote {len(rows)} predictions to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
