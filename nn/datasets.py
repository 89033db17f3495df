"""Data: the 8x8 UCI digits (shipped in nn/bundled), two moons, MNIST IDX files, splitting and scaling.

Features come back as float64 arrays of shape (N, D) and class labels as int64 arrays
of shape (N,), ready for ``nn.fit`` with ``F.cross_entropy``.
"""

from __future__ import annotations

import gzip
import math
import numbers
import os
import stat
import zlib
from typing import IO

import numpy as np

from autograd_core.types import ArrayLike

_DIGITS = os.path.join(os.path.dirname(__file__), "bundled", "digits.csv.gz")  # origin and licence: bundled/README.md


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 1,797 handwritten 8x8 digits of the UCI optical digits test set (shipped with nn, no download).

    Returns ``(X, y)``: X of shape (1797, 64), pixel intensities 0..16 as float64;
    y of shape (1797,), the digit 0..9 as int64: the same arrays scikit-learn's
    ``load_digits`` returns (it ships the same file; origin and licence, CC BY 4.0,
    in ``nn/bundled/README.md``).

    >>> X, y = load_digits()
    >>> X.shape, y[:5]
    ((1797, 64), array([0, 1, 2, 3, 4]))
    """
    with gzip.open(_DIGITS, "rt", encoding="ascii") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.int64)
    return table[:, :-1].astype(np.float64), table[:, -1].copy()


def _generator(seed: int | np.random.Generator | None) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def make_moons(
    n: int = 100, noise: float = 0.0, seed: int | np.random.Generator | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles in 2-d: a classic non-linearly-separable toy problem.

    The upper moon (label 0) is (cos t, sin t) and the lower one (label 1) is
    (1 - cos t, 1/2 - sin t) for t in [0, pi]; Gaussian noise of standard deviation
    ``noise`` is added and the points are shuffled (reproducible from ``seed``).

    >>> X, y = make_moons(200, noise=0.1, seed=0)
    >>> X.shape, np.bincount(y)
    ((200, 2), array([100, 100]))
    """
    if not isinstance(n, numbers.Integral) or isinstance(n, bool) or n < 2:
        raise ValueError(f"make_moons: n must be an int >= 2, got {n!r}")
    if not isinstance(noise, numbers.Real) or not 0 <= noise < math.inf:  # NaN fails too
        raise ValueError(f"make_moons: noise must be a finite number >= 0, got {noise!r}")
    rng = _generator(seed)
    n_upper = n // 2
    n_lower = n - n_upper
    t_upper = np.linspace(0, np.pi, n_upper)
    t_lower = np.linspace(0, np.pi, n_lower)
    upper = np.stack([np.cos(t_upper), np.sin(t_upper)], axis=1)
    lower = np.stack([1 - np.cos(t_lower), 0.5 - np.sin(t_lower)], axis=1)
    X = np.concatenate([upper, lower])
    y = np.concatenate([np.zeros(n_upper, np.int64), np.ones(n_lower, np.int64)])
    order = rng.permutation(n)
    X, y = X[order], y[order]
    if noise:
        X = X + rng.normal(0.0, noise, X.shape)
    return X, y


def train_test_split(
    X: ArrayLike,
    y: ArrayLike,
    test_size: float = 0.2,
    seed: int | np.random.Generator | None = 0,
    stratify: bool | ArrayLike | None = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle and split into ``X_train, X_test, y_train, y_test`` (scikit-learn's order).

    ``test_size`` is a fraction in (0, 1) or a number of rows. ``stratify=True`` keeps
    each class's share equal in both parts; ``stratify=labels`` (scikit-learn's ``stratify=y``)
    keeps each label's share of those N labels.

    >>> X, y = make_moons(40, seed=0)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, seed=0)
    >>> X_train.shape, X_test.shape
    ((30, 2), (10, 2))
    """
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"train_test_split: X has {len(X)} rows but y has {len(y)}; they must match")
    n = len(X)
    if isinstance(test_size, numbers.Integral) and not isinstance(test_size, bool):
        n_test = int(test_size)
    elif isinstance(test_size, numbers.Real) and 0 < test_size < 1:
        n_test = int(np.ceil(test_size * n))
    else:
        raise ValueError(
            f"train_test_split: test_size must be a fraction in (0, 1) or a number of rows, got {test_size!r}"
        )
    if not 0 < n_test < n:
        raise ValueError(
            f"train_test_split: test_size={test_size!r} gives {n_test} test rows out of {n}; "
            "both parts must be non-empty"
        )
    rng = _generator(seed)
    if isinstance(stratify, (bool, np.bool_)) or stratify is None:
        strata = y if stratify else None
    else:  # scikit-learn's stratify=y: the labels themselves
        strata = np.asarray(stratify)
    if strata is not None:
        if strata.shape != (n,):
            raise ValueError(
                f"train_test_split: stratify needs class labels of shape (N,), got shape {strata.shape}; N = {n} rows"
            )
        labels, counts = np.unique(strata, return_counts=True)
        # Each class's exact share is counts * n_test / n test rows: round the shares down, then give the
        # rows still missing to the largest remainders, so the parts add up to exactly n_test.
        per_class, remainders = np.divmod(counts * n_test, n)
        per_class[np.argsort(-remainders, kind="stable")[: n_test - per_class.sum()]] += 1
        test_parts = []
        for label, k in zip(labels, per_class):
            members = rng.permutation(np.flatnonzero(strata == label))
            test_parts.append(members[:k])
        test_index = np.concatenate(test_parts)
    else:
        test_index = rng.permutation(n)[:n_test]
    is_test = np.zeros(n, bool)
    is_test[test_index] = True
    train_index = rng.permutation(np.flatnonzero(~is_test))
    test_index = rng.permutation(np.flatnonzero(is_test))
    return X[train_index], X[test_index], y[train_index], y[test_index]


class Standardizer:
    """Per-feature (x - mean) / std, with mean and std learnt from training data only.

    Features that are constant in the training data (std 0, e.g. the always-blank
    corner pixels of the digits) are only centred, never divided by 0.

    >>> X_train, X_test = np.array([[1.0, 5.0], [3.0, 5.0]]), np.array([[2.0, 6.0]])
    >>> scaler = Standardizer().fit(X_train)
    >>> scaler.transform(X_train), scaler.transform(X_test)   # column 2 is constant: only centred
    (array([[-1.,  0.], [ 1.,  0.]]), array([[0., 1.]]))
    """

    def __init__(self) -> None:
        self.mean: np.ndarray | None = None  # per column, once fit
        self.std: np.ndarray | None = None

    def fit(self, X: ArrayLike) -> Standardizer:
        """Learn each column's mean and standard deviation from ``X`` (N, D); returns self:
        ``scaler = Standardizer().fit(X_train)``."""
        X = _float_matrix("Standardizer.fit", X)
        self.mean = X.mean(axis=0)
        std = X.std(axis=0)
        self.std = np.where(std > 0, std, 1.0)
        return self

    def transform(self, X: ArrayLike) -> np.ndarray:
        """Apply the learnt scaling to ``X`` (same number of columns): ``scaler.transform(X_test)``."""
        mean, std = self.mean, self.std
        if mean is None or std is None:
            raise RuntimeError("Standardizer.transform: call fit(X_train) first")
        X = _float_matrix("Standardizer.transform", X)
        if X.shape[1] != mean.shape[0]:
            raise ValueError(
                f"Standardizer.transform: X has {X.shape[1]} columns, the scaler was fit on {mean.shape[0]}"
            )
        scaled: np.ndarray = (X - mean) / std
        return scaled


def _float_matrix(function: str, X: ArrayLike) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or len(X) == 0:
        raise ValueError(f"{function}: expected a non-empty 2-d array (N, D), got shape {X.shape}")
    return X


def standardize(train: ArrayLike, *others: ArrayLike) -> tuple[np.ndarray, ...]:
    """Standardise ``train`` with its own per-feature mean/std and apply the same scaling to
    ``others`` (test data must never leak into the statistics). Returns a tuple of arrays.

    >>> X_train, X_test = standardize(np.array([[1.0], [3.0]]), np.array([[5.0]]))
    >>> X_train.ravel(), X_test.ravel()
    (array([-1.,  1.]), array([3.]))
    """
    scaler = Standardizer().fit(train)
    return tuple(scaler.transform(X) for X in (train, *others))


# ---------------------------------------------------------------------------------- MNIST IDX
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_IDX_CHUNK = 1 << 20
_DEFLATE_MAX_RATIO = 1032  # deflate cannot expand more than this: a bound on any .gz's content


def load_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read one IDX file (MNIST's format; ``.gz`` is unpacked) into a numpy array.

    Format: two zero bytes, a dtype code, the number of axes, each axis length as a
    big-endian uint32, then the values. The header is read and checked first, then
    exactly the bytes it declares (in chunks, so a gzip bomb or a lying header costs no
    more memory than the data actually there). Anything else raises a ``ValueError``
    that names the file and what is wrong.

    >>> header = bytes([0, 0, 0x08, 1]) + (3).to_bytes(4, "big")   # uint8, 1 axis of length 3
    >>> with open("labels-idx1-ubyte", "wb") as f:
    ...     _ = f.write(header + bytes([7, 2, 1]))
    >>> load_idx("labels-idx1-ubyte")
    array([7, 2, 1], dtype=uint8)
    """
    path = os.fspath(path)
    compressed = path.endswith(".gz")
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):  # opening a FIFO would wait forever for a writer
            raise ValueError(f"load_idx: {path!r} is not a regular file (a folder, a FIFO or a device)")
        with (gzip.open if compressed else open)(path, "rb") as f:
            return _read_idx(f, path, compressed, info.st_size)
    except (OSError, EOFError, zlib.error) as error:
        if isinstance(error, FileNotFoundError):
            raise FileNotFoundError(f"load_idx: no such file: {path!r}") from error
        raise ValueError(f"load_idx: cannot read {path!r}: {error}") from error


def _read_idx(f: IO[bytes] | gzip.GzipFile, path: str, compressed: bool, file_size: int) -> np.ndarray:
    """The array in the open IDX stream ``f``, its declared size checked against ``file_size`` first."""
    magic = f.read(4)
    if len(magic) < 4 or magic[0] != 0 or magic[1] != 0:
        raise ValueError(f"load_idx: {path!r} is not an IDX file (it must start with two zero bytes, got {magic!r})")
    code, ndim = magic[2], magic[3]
    if code not in _IDX_DTYPES:
        raise ValueError(
            f"load_idx: {path!r} has unknown dtype code 0x{code:02x}; "
            f"known codes: {', '.join(f'0x{c:02x}' for c in _IDX_DTYPES)}"
        )
    lengths = f.read(4 * ndim)
    if ndim == 0 or len(lengths) < 4 * ndim:
        raise ValueError(f"load_idx: {path!r} is truncated or has {ndim} axes: the header is incomplete")
    shape = tuple(int(v) for v in np.frombuffer(lengths, ">u4"))
    dtype = np.dtype(_IDX_DTYPES[code])
    header = 4 + 4 * ndim
    expected = header + math.prod(shape) * dtype.itemsize  # Python ints: a corrupt header cannot overflow

    def wrong_size(actual: int) -> ValueError:
        return ValueError(
            f"load_idx: {path!r} has {actual} bytes but its header (shape {shape}, "
            f"{dtype.name}) needs {expected}: the file is truncated or corrupt"
        )

    if not compressed and file_size != expected:
        raise wrong_size(file_size)
    if compressed and expected > _DEFLATE_MAX_RATIO * file_size:
        raise ValueError(
            f"load_idx: {path!r} declares {expected} bytes (shape {shape}, {dtype.name}), more than "
            f"a gzip file of {file_size} bytes can hold: the header is corrupt"
        )
    data = bytearray()  # grows only as data arrives: a header declaring gigabytes costs nothing by itself
    while len(data) < expected - header:
        chunk = f.read(min(_IDX_CHUNK, expected - header - len(data)))
        if not chunk:
            raise wrong_size(header + len(data))
        data += chunk
    if f.read(1):
        raise ValueError(
            f"load_idx: {path!r} holds more than the {expected} bytes its header (shape {shape}, "
            f"{dtype.name}) declares: the file is corrupt"
        )
    return np.frombuffer(data, dtype).reshape(shape).astype(dtype.newbyteorder("="), copy=False)


def load_mnist(folder: str | os.PathLike[str], kind: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """MNIST (or Fashion-MNIST) from the four IDX files in ``folder``, if you have them.

    ``kind`` is "train" or "t10k" (the test set). Files may be gzipped. Returns
    ``(X, y)``: X of shape (N, 784) scaled to [0, 1] as float64, y int64 labels.

    >>> import os
    >>> def write_idx(path, array):      # a stand-in for the downloaded files: 2 images of 28x28
    ...     header = bytes([0, 0, 0x08, array.ndim]) + b"".join(n.to_bytes(4, "big") for n in array.shape)
    ...     with open(path, "wb") as f:
    ...         _ = f.write(header + array.astype(np.uint8).tobytes())
    >>> os.makedirs("mnist")
    >>> write_idx("mnist/t10k-images-idx3-ubyte", np.full((2, 28, 28), 255))
    >>> write_idx("mnist/t10k-labels-idx1-ubyte", np.array([7, 2]))
    >>> X, y = load_mnist("mnist", kind="t10k")
    >>> X.shape, float(X.max()), y
    ((2, 784), 1.0, array([7, 2]))
    """
    if kind not in ("train", "t10k"):
        raise ValueError(f"load_mnist: kind must be 'train' or 't10k' (the test set), got {kind!r}")
    folder = os.path.expanduser(os.fspath(folder))
    arrays = []
    for part in ("images-idx3-ubyte", "labels-idx1-ubyte"):
        candidates = [os.path.join(folder, f"{kind}-{part}{ext}") for ext in ("", ".gz")]
        found = next((c for c in candidates if os.path.exists(c)), None)
        if found is None:
            raise FileNotFoundError(f"load_mnist: neither {candidates[0]!r} nor {candidates[1]!r} exists")
        arrays.append((found, load_idx(found)))
    (images_path, images), (labels_path, labels) = arrays
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(
            f"load_mnist: {images_path!r} has shape {images.shape} and {labels_path!r} has shape "
            f"{labels.shape}; expected (N, rows, cols) images and N labels"
        )
    if labels.dtype.kind == "f" and not (np.isfinite(labels).all() and (labels == np.round(labels)).all()):
        bad = labels[~(np.isfinite(labels) & (labels == np.round(labels)))]
        raise ValueError(
            f"load_mnist: labels in {labels_path!r} must be whole numbers 0..9, found "
            f"{bad.size} that are not (e.g. {bad[0]}); the file is not a label file"
        )
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise ValueError(f"load_mnist: labels in {labels_path!r} must be 0..9, found {labels.min()}..{labels.max()}")
    X = images.reshape(len(images), -1).astype(np.float64) / 255.0
    return X, labels.astype(np.int64)
