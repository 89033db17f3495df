"""Saving and loading models as ``.npz`` (never pickle).

The file holds one array per parameter under its dotted name (``layers.0.weight``),
and one more, ``__model__``: UTF-8 JSON (as a uint8 array) saying what the weights mean —
the architecture (``nn.architecture``), the preprocessing, the task and class names, the
library version — so ``nn.load(path)`` rebuilds the model and ``np.load(path,
allow_pickle=False)`` still reads every part anywhere. Saving writes a temporary
file in the same folder and renames it over the target (``os.replace`` is atomic),
so a crash never leaves half a file. Loading treats the file as untrusted: every .npy
header is read and checked (names, shapes, dtypes) before any array data, each array
is read only up to the size its header declares, then values are checked (finiteness),
all before touching the model.
"""

from __future__ import annotations

import math
import os
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable, Collection, Sequence
from typing import IO, TYPE_CHECKING, Any, TypeAlias, TypeVar, cast, overload

import numpy as np

from autograd_core.files import atomic_write  # the one atomic writer (nn.train imports it from here too)
from autograd_core.saving import write_npz  # the one .npz writer (ag.save's too; nn.utils imports it from here)

from .model_info import INFO_MEMBER, MAX_INFO_BYTES, ModelInfo, refuse_checkpoint
from .module import Module

if TYPE_CHECKING:
    from .datasets import Standardizer

#: A file name: a str or a ``pathlib.Path``.
StrPath: TypeAlias = str | os.PathLike[str]
#: Each member's shape and dtype, read from the .npy headers alone: ``{"layers.0.weight": ((16, 64), float64)}``.
Headers: TypeAlias = dict[str, tuple[tuple[int, ...], np.dtype[Any]]]
#: A member's zip entry, shape, Fortran order, dtype and the offset of its data.
_Member: TypeAlias = tuple[zipfile.ZipInfo, tuple[int, ...], bool, np.dtype[Any], int]
_M = TypeVar("_M", bound=Module)
_R = TypeVar("_R")


def save(
    model: Module,
    path: StrPath,
    preprocessing: Standardizer | None = None,
    task: str | None = None,
    class_names: Sequence[str] | None = None,
    feature_names: Sequence[str] | None = None,
) -> str:
    """Write ``model.state_dict()`` and what rebuilds it to ``path`` (exactly that name), an uncompressed .npz.

    - ``preprocessing``: the ``nn.datasets.Standardizer`` fitted on the training rows, applied
      to raw inputs before the model (``python -m nn.predict`` does);
    - ``task``: "classification" or "regression"; ``class_names``: the label of each output
      unit; ``feature_names``: the input columns' names.

    The architecture is stored when every layer is one of ``nn``'s (else ``nn.load(path)``
    says to load into a model you build: ``nn.load(model, path)``).

    >>> model = nn.MLP([4, 8, 2], seed=0)
    >>> nn.save(model, "model.npz", class_names=["cat", "dog"])
    'model.npz'
    """
    if not hasattr(model, "state_dict") or hasattr(model, "param_groups"):  # a dict, a path, an optimizer
        raise TypeError(f"nn.save: expected a Module, got {type(model).__name__}; {_SAVE_HINT}")
    state = model.state_dict()
    if not state:
        raise ValueError(f"nn.save: {type(model).__name__} has no parameters to save")
    if INFO_MEMBER in state:
        raise ValueError(f"nn.save: a parameter is named {INFO_MEMBER!r}, the name the file keeps for its description")
    info = ModelInfo.of(model, preprocessing, task, class_names, feature_names).to_json().encode("utf-8")
    arrays = dict(state, **{INFO_MEMBER: np.frombuffer(info, dtype=np.uint8)})
    written: str = os.fspath(atomic_write(path, lambda f: write_npz(f, arrays)))
    return written


class _UnreadableMember(ValueError):
    """One member of the archive cannot be read (``read_arrays`` adds the file and member names)."""


try:  # the errors a hostile or damaged archive can raise from zipfile and its decompressors
    import lzma

    _LZMA_ERROR: type[Exception] = lzma.LZMAError
except ImportError:  # Python built without lzma: zipfile then cannot open such members anyway
    _LZMA_ERROR = OSError
_ARCHIVE_ERRORS = (
    OSError,
    EOFError,
    zipfile.BadZipFile,
    zlib.error,
    _LZMA_ERROR,
    NotImplementedError,
    RuntimeError,
    KeyError,
    OverflowError,
    MemoryError,
    struct.error,
    ValueError,
)
_MAX_HEADER = 10_000  # numpy's own limit on a .npy header's length (our headers are ~128 bytes)
_CHUNK = 1 << 20
_SAVE_HINT = (  # what nn.save(a state_dict / a path / an optimizer, ...) was meant as
    "give the model itself, first: nn.save(model, path) (PyTorch's torch.save(model.state_dict(), path)); "
    "an optimizer's state goes in a checkpoint: nn.utils.save_checkpoint(path, model, optimizer)"
)


def read_info(path: StrPath) -> ModelInfo:
    """What a file written by ``nn.save`` says about its weights: a ``ModelInfo`` (architecture,
    preprocessing, task, class names, version). Reads only that part of the file.

    >>> path = nn.save(nn.MLP([64, 16, 10], seed=0), "model.npz", class_names=[str(d) for d in range(10)])
    >>> nn.read_info("model.npz").class_names
    ['0', '1', ..., '9']
    """
    path = os.fspath(path)

    def check(headers: Headers) -> None:
        refuse_checkpoint(path, list(headers))
        if INFO_MEMBER not in headers:
            raise ValueError(
                f"nn.load: {path!r} holds weights only (saved by an older version, or by np.savez): "
                "build the model and load them with nn.load(model, path)"
            )
        shape, dtype = headers[INFO_MEMBER]
        if dtype != np.uint8 or len(shape) != 1 or shape[0] > MAX_INFO_BYTES:
            raise ValueError(
                f"nn.load: {path!r}: member {INFO_MEMBER!r} is not a description "
                f"(shape {shape}, dtype {dtype}; expected up to {MAX_INFO_BYTES} bytes of uint8)"
            )

    raw = read_arrays(path, check, only=(INFO_MEMBER,))[INFO_MEMBER]
    try:
        text = raw.tobytes().decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"nn.load: {path!r}: its description is not UTF-8 text") from None
    return ModelInfo.from_json(text, f"nn.load: {path!r}")


def read_arrays(
    path: StrPath,
    check: Callable[[Headers], object] | None = None,
    only: Collection[str] | None = None,
    caller: str = "nn.load",
) -> dict[str, np.ndarray]:
    """The arrays of an .npz file as a dict, validated before any array data is read.

    First every member's .npy header is read (nothing else is decompressed): a member that
    is not ``<name>.npy``, a duplicate name, an object dtype (pickle) or anything but plain
    numbers, a shape that disagrees with the member's size are refused. Then
    ``check({name: (shape, dtype)})`` may refuse the file (``nn.load`` compares it with the
    model). Only then is each array read: at most the bytes its header declares, into an
    array of that shape (``only``: just these members). Any failure is a ``ValueError`` naming
    ``caller`` (``"nn.load"`` or ``"load_checkpoint"``), the file and the member; a path that is
    not a regular file (a folder, a FIFO) is refused without opening it.

    >>> path = nn.save(nn.MLP([64, 16, 10], seed=0), "model.npz")
    >>> arrays = read_arrays("model.npz")
    >>> sorted(arrays)[:3]             # __model__: what nn.read_info reads
    ['__model__', 'layers.0.bias', 'layers.0.weight']
    """

    def read(archive: zipfile.ZipFile, headers: dict[str, _Member]) -> dict[str, np.ndarray]:
        if check is not None:
            check(_described(headers))
        arrays: dict[str, np.ndarray] = {}
        for name, header in headers.items():
            if only is not None and name not in only:
                continue
            try:
                arrays[name] = _read_data(archive, *header)
            except _ARCHIVE_ERRORS as error:
                raise _UnreadableMember(f"member {header[0].filename!r}: {type(error).__name__}: {error}") from None
        return arrays

    return _with_archive(path, read, caller)


def read_headers(path: StrPath) -> Headers:
    """``{name: (shape, dtype)}`` of an .npz file's arrays from their headers alone (no array data is
    read, so a file declaring gigabytes costs nothing); refused as ``read_arrays`` refuses.

    >>> path = nn.save(nn.MLP([64, 16, 10], seed=0), "model.npz")
    >>> read_headers("model.npz")["layers.0.weight"]
    ((16, 64), dtype('float64'))
    """
    return _with_archive(path, lambda archive, headers: _described(headers), "nn.load")


def _described(headers: dict[str, _Member]) -> Headers:
    return {name: (shape, dtype) for name, (_, shape, _, dtype, _) in headers.items()}


# the reader an error names -> what it reads, and what writes it
_READS = {"nn.load": ("a saved model", "nn.save"), "load_checkpoint": ("a checkpoint", "nn.utils.save_checkpoint")}


def _with_archive(path: StrPath, use: Callable[[zipfile.ZipFile, dict[str, _Member]], _R], caller: str) -> _R:
    """``use(archive, headers)`` on the .npz at ``path``, every failure a ValueError naming file and member."""
    path, (what, writer) = os.fspath(path), _READS[caller]
    try:
        with _open_regular_file(path, caller, writer) as file, zipfile.ZipFile(file) as archive:
            return use(archive, _read_headers(archive))
    except _UnreadableMember as error:
        reason = str(error)
    except _ARCHIVE_ERRORS as error:
        if isinstance(error, FileNotFoundError):
            raise FileNotFoundError(f"{caller}: no such file: {path!r}") from None
        if isinstance(error, ValueError) and str(error).startswith(f"{caller}:"):
            raise  # already says which file and why (from check, or a path that is not a file)
        reason = f"{type(error).__name__}: {error}"
    raise ValueError(
        f"{caller}: cannot read {path!r} as {what} (.npz written by {writer}): {reason}; "
        f"the file is corrupt or not {what}"
    ) from None


def _open_regular_file(path: str, caller: str, writer: str) -> IO[bytes]:
    """Open ``path`` for reading only if it is a regular file: a FIFO would block, a device never end."""
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise ValueError(
            f"{caller}: {path!r} is not a regular file (a folder, a FIFO or a device); "
            f"give the path of a .npz written by {writer}"
        )
    handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    if not stat.S_ISREG(os.fstat(handle).st_mode):  # replaced between stat and open
        os.close(handle)
        raise ValueError(f"{caller}: {path!r} is not a regular file")
    return os.fdopen(handle, "rb")


class _Capped:
    """A read-only view of a stream that hands out at most ``limit`` bytes, so a header
    declaring a 4 GB header length cannot make numpy decompress 4 GB to read it."""

    def __init__(self, stream: IO[bytes], limit: int) -> None:
        self.stream, self.left, self.consumed = stream, limit, 0

    def read(self, size: int | None = -1) -> bytes:
        size = self.left if size is None or size < 0 else min(size, self.left)
        data = self.stream.read(size)
        self.left -= len(data)
        self.consumed += len(data)
        return data


def _read_headers(archive: zipfile.ZipFile) -> dict[str, _Member]:
    """{name: (info, shape, fortran_order, dtype, data_offset)} from each member's .npy header."""
    headers: dict[str, _Member] = {}
    for info in archive.infolist():
        name = info.filename
        if not name.endswith(".npy") or info.is_dir():
            raise _UnreadableMember(f"member {name!r} is not an .npy array")
        if name[:-4] in headers:
            raise _UnreadableMember(f"member {name!r} appears twice")
        try:
            headers[name[:-4]] = (info, *_read_header(archive, info))
        except _ARCHIVE_ERRORS as error:
            raise _UnreadableMember(f"member {name!r}: {error}") from None
    return headers


def _read_header(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[tuple[int, ...], bool, np.dtype[Any], int]:
    with archive.open(info) as stream:
        capped = _Capped(stream, 12 + _MAX_HEADER)
        version = np.lib.format.read_magic(capped)
        if version == (1, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(capped, _MAX_HEADER)
        elif version == (2, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(capped, _MAX_HEADER)
        else:
            raise ValueError(f".npy format version {version} is not supported (1.0 and 2.0 are)")
    if dtype.hasobject:
        raise ValueError(f"dtype {dtype} holds Python objects (a pickle): refused, never unpickled")
    if dtype.kind not in "biufc" or dtype.shape:
        raise ValueError(f"dtype {dtype} is not a plain number type")
    if any(length < 0 for length in shape):
        raise ValueError(f"shape {shape} has a negative length")
    size = math.prod(shape) * dtype.itemsize  # Python ints: a hostile shape cannot overflow
    if info.file_size != capped.consumed + size:
        raise ValueError(
            f"its header declares shape {shape} of {dtype} ({size} bytes) but the member holds "
            f"{info.file_size - capped.consumed} bytes of data"
        )
    return shape, fortran_order, dtype, capped.consumed


def _read_data(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    shape: tuple[int, ...],
    fortran_order: bool,
    dtype: np.dtype[Any],
    offset: int,
) -> np.ndarray:
    """Exactly the bytes the (checked) header declares, into an array of its shape."""
    array = np.empty(shape[::-1] if fortran_order else shape, dtype)
    buffer = array.reshape(-1).view(np.uint8).data
    with archive.open(info) as stream:
        stream.read(offset)
        filled = 0
        while filled < len(buffer):
            chunk = stream.read(min(_CHUNK, len(buffer) - filled))
            if not chunk:
                raise EOFError(f"the data ends after {filled} of {len(buffer)} bytes")
            buffer[filled : filled + len(chunk)] = chunk
            filled += len(chunk)
        if stream.read(1):  # reading to the end also makes zipfile check the CRC
            raise ValueError(f"more data than its header declares ({len(buffer)} bytes)")
    return array.T if fortran_order else array


@overload
def load(model_or_path: StrPath, path: None = None) -> Module: ...
@overload
def load(model_or_path: _M, path: StrPath) -> _M: ...
def load(model_or_path: Module | StrPath, path: StrPath | None = None) -> Module:
    """``nn.load(path)``: the model saved there, rebuilt; ``nn.load(model, path)``: the saved
    parameters loaded into ``model``. Returns the model.

    Every name, shape and dtype is checked from the file's headers before any array is
    read, then every value: on any problem a ``ValueError`` names the file and the
    mismatch, and the model is left exactly as it was.

    >>> path = nn.save(nn.MLP([64, 16, 10], seed=0), "model.npz")
    >>> model = nn.load("model.npz")                          # as saved
    >>> model = nn.load(nn.MLP([64, 16, 10]), "model.npz")    # into a model of your own
    >>> model.layers[0]
    Linear(in_features=64, out_features=16, bias=True)
    """
    if path is None:
        if not isinstance(model_or_path, (str, os.PathLike)):
            raise TypeError(
                f"nn.load: expected nn.load(path) or nn.load(model, path), got a {type(model_or_path).__name__} alone"
            )
        info = read_info(model_or_path)
        if info.architecture is None:
            raise ValueError(
                f"nn.load: {os.fspath(model_or_path)!r} holds weights without an architecture (saved "
                "from a model with layers of your own): build the model and nn.load(model, path)"
            )
        from .architecture import build

        return load(build(info.architecture), model_or_path)
    if not hasattr(model_or_path, "load_state_dict"):
        raise TypeError(f"nn.load: expected a Module, got {type(model_or_path).__name__}; write nn.load(model, path)")
    model = cast(Module, model_or_path)  # a Module, or anything with its state_dict methods
    path = os.fspath(path)
    params = dict(model.state_dict())

    def does_not_fit(problems: list[str]) -> ValueError:
        return ValueError(f"nn.load: {path!r} does not fit this {type(model).__name__}: " + "; ".join(problems))

    def check(
        headers: Headers,
    ) -> None:  # the same names, shapes and dtypes load_state_dict demands, before reading data
        refuse_checkpoint(path, list(headers))
        problems: list[str] = []
        missing = [n for n in params if n not in headers]
        unexpected = [n for n in headers if n not in params and n != INFO_MEMBER]
        if missing:
            problems.append(f"missing names: {', '.join(missing)}")
        if unexpected:
            problems.append(f"unexpected names: {', '.join(unexpected)}")
        for name, (shape, dtype) in headers.items():
            if name in params and shape != params[name].shape:
                problems.append(f"'{name}': shape {shape}, the parameter has shape {params[name].shape}")
            elif name in params and dtype.kind != "f":
                problems.append(f"'{name}': dtype {dtype} is not floating-point")
        if problems:
            raise does_not_fit(problems)

    arrays = read_arrays(path, check)
    arrays.pop(INFO_MEMBER, None)
    try:
        model.load_state_dict(arrays)
    except ValueError as error:
        raise does_not_fit([str(error)]) from error
    return model
