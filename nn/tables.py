"""Read a user's own data: a .csv with a header row, a .npz with arrays X and y, or a pair of .npy files.

``load_table`` returns a ``Table``: float features, targets, and what they mean (the
column names, the task, the class names). Anything a model could not learn from — a
non-numeric feature, a missing value, a single class, a target column that does not
exist — is a ``ValueError`` naming the file, the column and the row.
"""

from __future__ import annotations

import contextlib
import csv
import math
import os
import zipfile
import zlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .datasets import Standardizer

#: A file name: a str or a ``pathlib.Path``.
StrPath = str | os.PathLike[str]
#: Inputs and targets of one split.
XY = tuple[np.ndarray, np.ndarray]

TASKS = ("classification", "regression")
_MISSING = {"", "na", "nan", "n/a", "null", "none", "?"}


class Table:
    """Features ``X`` (float64, one row per sample), targets ``y`` and their meaning.

    - ``task``: "classification" (``y`` holds class indices 0..k-1 into ``class_names``) or
      "regression" (``y`` holds float64 values, one column per target);
    - ``feature_names``: one name per column of ``X``; ``target_name``;
    - ``class_names``: the labels as they were written in the file (strings), or None.
    """

    def __init__(
        self,
        X: np.ndarray,
        y: np.ndarray,
        feature_names: list[str],
        target_name: str,
        task: str,
        class_names: list[str] | None = None,
    ) -> None:
        self.X, self.y, self.task = X, y, task
        self.feature_names, self.target_name, self.class_names = feature_names, target_name, class_names

    def __repr__(self) -> str:
        kind = f"{len(self.class_names)} classes" if self.class_names else "regression"
        return f"Table({self.X.shape[0]} rows, {self.X.shape[1]} features, target {self.target_name!r}: {kind})"


def load_table(
    path: StrPath, target: str | None = None, task: str | None = None, labels: StrPath | None = None
) -> Table:
    """Read ``path`` (.csv, .npz or .npy) into a ``Table``.

    - .csv: a header row; ``target`` names the target column (default: the last one);
    - .npz: arrays ``X`` (2-d) and ``y``;
    - .npy: the features; ``labels`` is the .npy file of the targets.

    The task is inferred from the targets (integers or strings: classification, with the
    class names kept; other numbers: regression); ``task`` overrides it.

    >>> with open("iris.csv", "w") as f:
    ...     _ = f.write("petal,sepal,species\\n1.4,5.1,setosa\\n4.7,7.0,versicolor\\n6.0,6.3,virginica\\n")
    >>> table = nn.tables.load_table("iris.csv", target="species")
    >>> table.X.shape, table.y
    ((3, 2), array([0, 1, 2]))
    >>> table.class_names
    ['setosa', 'versicolor', 'virginica']
    """
    if task is not None and task not in TASKS:
        raise ValueError(f"load_table: task must be one of {TASKS}, got {task!r}")
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"load_table: path must be a file name, got {type(path).__name__}")
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ValueError(f"load_table: {path}: no such file")
    suffix = os.path.splitext(path)[1].lower()
    if suffix == ".csv":
        if labels is not None:
            raise ValueError(f"load_table: {path}: a .csv holds its own targets; name the column with target=")
        raw_y: list[str] | np.ndarray
        X, raw_y, names, target_name = _read_csv(path, target)
    elif suffix in (".npz", ".npy"):
        if target is not None:
            raise ValueError(f"load_table: {path}: target= names a .csv column; a {suffix} file has no columns")
        X, raw_y = _read_arrays(path, labels)
        names, target_name = [f"x{j}" for j in range(X.shape[1])], "y"
    else:
        raise ValueError(
            f"load_table: {path}: unknown file type {suffix or '(none)'}; give a .csv (header row), "
            "a .npz with arrays X and y, or a .npy of features with labels= (--labels) a .npy of targets"
        )
    if len(X) < 2:
        raise ValueError(f"load_table: {path}: needs at least 2 rows, found {len(X)}")
    y, task, class_names = _targets(path, raw_y, target_name, task)
    return Table(X, y, names, target_name, task, class_names)


def header_problem(caller: str, path: str, header: list[str]) -> None:
    """Refuse a header whose columns cannot be told apart by name: a model is matched to its columns by name.

    >>> header_problem("load_table", "flowers.csv", ["petal", "sepal", "species"])   # fine: nothing raised
    """
    separator = next((sep for sep in (";", "\t") if len(header) == 1 and sep in header[0]), None)
    if separator:
        raise ValueError(
            f"{caller}: {path}: one column named {header[0]!r}: separate the columns with commas, not {separator!r}"
        )
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise ValueError(
            f"{caller}: {path}: the columns {repeated} appear more than once; give each column its own name"
        )
    if "" in header:
        raise ValueError(
            f"{caller}: {path}: column {header.index('') + 1} has no name (an unnamed first column is usually "
            "the index pandas' to_csv writes: save with index=False, or name or drop it)"
        )


def _read_csv(path: str, target: str | None) -> tuple[np.ndarray, list[str], list[str], str]:
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if len(rows) < 2:
        raise ValueError(f"load_table: {path}: expected a header row and at least one data row")
    header = [h.strip() for h in rows[0]]
    header_problem("load_table", path, header)
    if target is None:
        target = header[-1]
    if target not in header:
        raise ValueError(f"load_table: {path}: no column named {target!r}; the columns are {header}")
    t = header.index(target)
    features: list[list[float]] = []
    labels: list[str] = []
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise ValueError(f"load_table: {path}: row {line} has {len(row)} fields, the header has {len(header)}")
        values: list[float] = []
        for j, cell in enumerate(row):
            cell = cell.strip()
            if cell.lower() in _MISSING:
                raise ValueError(
                    f"load_table: {path}: missing value in column {header[j]!r}, row {line}; fill it in or drop the row"
                )
            if j == t:
                labels.append(cell)
                continue
            try:
                value = float(cell)
            except ValueError:
                raise ValueError(
                    f"load_table: {path}: column {header[j]!r} is not numeric (row {line}: {cell!r}); "
                    "encode it as numbers or drop the column"
                ) from None
            if not math.isfinite(value):
                raise ValueError(f"load_table: {path}: column {header[j]!r}, row {line}: {cell!r} is not finite")
            values.append(value)
        features.append(values)
    names = [h for j, h in enumerate(header) if j != t]
    if not names:
        raise ValueError(f"load_table: {path}: no feature columns besides the target {target!r}")
    return np.array(features, dtype=np.float64), labels, names, target


def _read_arrays(path: str, labels: StrPath | None) -> XY:
    if path.lower().endswith(".npz"):
        if labels is not None:
            raise ValueError(f"load_table: {path}: a .npz holds its own targets (array y); drop labels= (--labels)")
        with open_numpy(path) as archive:
            if not hasattr(archive, "files"):
                raise ValueError(f"load_table: {path}: not a .npz archive")
            missing = {"X", "y"} - set(archive.files)
            if missing:
                raise ValueError(
                    f"load_table: {path}: expected arrays X and y, missing {sorted(missing)} (found {archive.files})"
                )
            X, y = read_member(path, archive, "X"), read_member(path, archive, "y")
    else:
        if labels is None:
            raise ValueError(
                f"load_table: {path}: a .npy holds only the features; pass labels= (--labels on the command line) "
                "the .npy file of the targets"
            )
        with open_numpy(path) as X, open_numpy(labels) as y:
            pass
    if X.ndim != 2 or X.dtype.kind not in "biuf":
        raise ValueError(f"load_table: {path}: X must be a 2-d numeric array, got shape {X.shape} dtype {X.dtype}")
    if len(y) != len(X):
        raise ValueError(f"load_table: {path}: X has {len(X)} rows but y has {len(y)}")
    X = X.astype(np.float64)
    bad = np.argwhere(~np.isfinite(X))
    if len(bad):
        row, column = bad[0]
        raise ValueError(f"load_table: {path}: X has a missing or non-finite value at row {row}, column {column}")
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise ValueError(
            f"load_table: {path}: y has a missing or non-finite value at row {int(np.argwhere(~np.isfinite(y))[0][0])}"
        )
    return X, y


@contextlib.contextmanager
def open_numpy(path: StrPath) -> Iterator[Any]:
    """np.load without pickles, any failure a ValueError naming the file; an archive is closed after.
    Yields an array (.npy, memory-mapped: a header declaring more than the file holds is refused, never
    allocated) or an NpzFile (.npz: ``read_member`` checks each member's header the same way)."""
    try:
        value: Any = np.load(path, allow_pickle=False, mmap_mode="r")
    except (OSError, EOFError, ValueError, MemoryError, zipfile.BadZipFile) as error:
        raise ValueError(f"load_table: {path}: not a readable numpy file ({error})") from None
    try:
        yield value
    finally:
        if hasattr(value, "close"):
            value.close()


def read_member(path: str, archive: Any, name: str) -> np.ndarray:
    """Member ``name`` of an open .npz, once its header's shape fits the bytes the member holds (a few bytes
    declaring terabytes would otherwise be allocated first): any failure a ValueError naming it."""
    try:
        info = archive.zip.getinfo(name + ".npy")
        with archive.zip.open(info) as member_file:
            version = np.lib.format.read_magic(member_file)
            header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, _, dtype = header(member_file)
        declared = math.prod(shape) * dtype.itemsize
        if declared > info.file_size:
            raise ValueError(f"its header declares shape {shape} of {dtype} ({declared:,} bytes) in {info.file_size:,}")
        member: np.ndarray = archive[name]
        return member
    except (OSError, EOFError, ValueError, MemoryError, KeyError, zipfile.BadZipFile, zlib.error) as error:
        raise ValueError(f"load_table: {path}: member {name} is not a readable array ({error})") from None


def _is_integer_text(cell: str) -> bool:
    try:
        return float(cell) == int(float(cell))
    except (ValueError, OverflowError):
        return False


def _targets(
    path: str, raw: list[str] | np.ndarray, name: str, task: str | None
) -> tuple[np.ndarray, str, list[str] | None]:
    """(y, task, class_names): class indices for classification, float values for regression."""
    if isinstance(raw, list):  # .csv cells
        numeric = all(_is_number(c) for c in raw)
        integral = numeric and all(_is_integer_text(c) for c in raw)
        values = np.array([float(c) for c in raw]) if numeric else None
    else:
        numeric = raw.dtype.kind in "biuf"
        integral = raw.dtype.kind in "biu" or (numeric and bool(np.all(raw == np.round(raw))))
        values = raw.astype(np.float64) if numeric else None
    inferred = "classification" if integral or not numeric else "regression"
    task = task or inferred
    if task == "regression":
        if values is None:  # not numeric
            raise ValueError(
                f"load_table: {path}: target {name!r} is not numeric; regression needs numbers "
                "(pass task='classification' for labels)"
            )
        return values.reshape(len(values), -1) if values.ndim == 1 else values, task, None
    if numeric and not integral:
        raise ValueError(
            f"load_table: {path}: target {name!r} holds fractional numbers; classification needs "
            "labels (integers or strings): pass task='regression' to predict the numbers"
        )
    if values is not None:  # numeric labels
        keys = values.astype(np.int64)
        classes = np.unique(keys)
        names = [str(int(c)) for c in classes]
    else:
        keys = np.array([str(c) for c in raw])
        classes = np.unique(keys)
        names = [str(c) for c in classes]
    if len(classes) < 2:
        raise ValueError(
            f"load_table: {path}: target {name!r} has a single class ({names[0]!r}); classification needs at least two"
        )
    return np.searchsorted(classes, keys).astype(np.int64), task, names


def _is_number(cell: str) -> bool:
    try:
        return math.isfinite(float(cell))
    except ValueError:
        return False


class Splits:
    """Train / validation / test pairs, standardised with the training rows' statistics only,
    and what a saved model needs to apply to new raw data: the ``standardizer``, the ``task``,
    ``feature_names`` and ``class_names``."""

    def __init__(
        self,
        train: XY,
        validation: XY,
        test: XY,
        standardizer: Standardizer,
        task: str,
        feature_names: list[str],
        class_names: list[str] | None,
        name: str,
    ) -> None:
        self.train, self.validation, self.test = train, validation, test
        self.standardizer, self.task, self.name = standardizer, task, name
        self.feature_names, self.class_names = feature_names, class_names

    @property
    def n_outputs(self) -> int:
        """Output units a model needs: one per class, or one per regression target."""
        if self.task == "classification" and self.class_names is not None:
            return len(self.class_names)
        return int(self.train[1].shape[1])


def load_splits(
    dataset: str | None = None,
    data: StrPath | None = None,
    target: str | None = None,
    task: str | None = None,
    labels: StrPath | None = None,
    seed: int = 0,
    test_size: float = 0.2,
    validation_size: float = 0.1,
) -> Splits:
    """A built-in ``dataset`` ("digits" or "moons") or a user's ``data`` file, split and standardised.

    The test rows are ``test_size`` of all; the validation rows ``validation_size`` of the
    rest; classification splits keep each class's share (stratified).

    >>> X, y = nn.datasets.make_moons(50, seed=0)
    >>> np.savez("mine.npz", X=X, y=y)
    >>> splits = nn.tables.load_splits(data="mine.npz", seed=0)
    >>> X_train, y_train = splits.train
    >>> X_train.shape, splits.validation[0].shape, splits.test[0].shape
    ((36, 2), (4, 2), (10, 2))
    """
    from .datasets import Standardizer, load_digits, make_moons, train_test_split

    if (dataset is None) == (data is None):
        raise ValueError("load_splits: give exactly one of dataset= (digits, moons) or data= (a file)")
    if dataset is not None:
        if dataset not in ("digits", "moons"):
            raise ValueError(f"load_splits: unknown dataset {dataset!r}; use digits or moons, or data= a file")
        X, y = load_digits() if dataset == "digits" else make_moons(1000, noise=0.2, seed=seed)
        table = Table(
            X, y, [f"x{j}" for j in range(X.shape[1])], "y", "classification", [str(c) for c in range(int(y.max()) + 1)]
        )
        name = dataset
    elif data is not None:  # exactly one of the two, checked above
        table = load_table(data, target=target, task=task, labels=labels)
        name = os.path.basename(os.fspath(data))
    stratify = table.task == "classification"
    if stratify:
        counts = np.bincount(table.y)
        if counts.min() < 3:
            rare = table.class_names[int(np.argmin(counts))] if table.class_names else int(np.argmin(counts))
            raise ValueError(
                f"load_splits: class {rare!r} has {counts.min()} row(s); every class needs at least 3 "
                "to appear in the training, validation and test splits"
            )
    X_rest, X_test, y_rest, y_test = train_test_split(
        table.X, table.y, test_size=test_size, seed=seed, stratify=stratify
    )
    X_train, X_val, y_train, y_val = train_test_split(
        X_rest, y_rest, test_size=validation_size, seed=seed, stratify=stratify
    )
    scaler = Standardizer().fit(X_train)
    return Splits(
        (scaler.transform(X_train), y_train),
        (scaler.transform(X_val), y_val),
        (scaler.transform(X_test), y_test),
        scaler,
        table.task,
        table.feature_names,
        table.class_names,
        name,
    )
