"""The one reader and writer of ``.npz`` files (numpy's format, never pickle): ``ag.save``/``ag.load``,
``nn.save``/``nn.load`` and ``nn.utils``' checkpoints all go through it.

Reading treats the file as untrusted: every member's .npy header is read and checked (names, shapes,
dtypes) before any array data, and each array is read only up to the size its header declares, so a
small hostile file cannot declare gigabytes, unpickle code, or make numpy decompress a bomb.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable, Collection, Mapping
from typing import IO, Any, TypeAlias, TypeVar, cast

import numpy as np

from .types import ArrayLike

#: A file name: a str or a ``pathlib.Path``.
StrPath: TypeAlias = str | os.PathLike[str]
#: Each member's shape and dtype, read from the .npy headers alone: ``{"layers.0.weight": ((16, 64), float64)}``.
Headers: TypeAlias = dict[str, tuple[tuple[int, ...], np.dtype[Any]]]
#: Who reads a file, what it reads and what writes that, as its errors say: ``("nn.load", "a saved model", "nn.save")``.
Reader: TypeAlias = tuple[str, str, str]
AG_LOAD: Reader = ("ag.load", "a file of arrays", "ag.save")
#: A member's zip entry, shape, Fortran order, dtype and the offset of its data.
_Member: TypeAlias = tuple[zipfile.ZipInfo, tuple[int, ...], bool, np.dtype[Any], int]
_R = TypeVar("_R")


def write_npz(file: IO[bytes], arrays: Mapping[str, ArrayLike]) -> None:
    """``np.savez``'s format (one uncompressed ``<name>.npy`` per array), written here because
    ``np.savez(file, **arrays)`` fails for a parameter called ``file`` (or takes ``allow_pickle``).

    >>> with open("weights.npz", "wb") as f:
    ...     write_npz(f, {"w": np.ones(3)})
    >>> np.load("weights.npz")["w"]
    array([1., 1., 1.])
    """
    archive = zipfile.ZipFile(file, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True)
    try:
        for name, array in arrays.items():
            with archive.open(name + ".npy", mode="w", force_zip64=True) as entry:
                np.lib.format.write_array(entry, np.asanyarray(array), allow_pickle=False)
    except BaseException:  # an error, or a Ctrl-C (nn.train's checkpoint): the half-written file is abandoned
        archive.fp = None  # (atomic_write removes it); closing it, now or when collected, would raise in its place
        raise
    archive.close()


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


def read_arrays(
    path: StrPath | IO[bytes],
    check: Callable[[Headers], object] | None = None,
    only: Collection[str] | None = None,
    reader: Reader = AG_LOAD,
) -> dict[str, np.ndarray]:
    """The arrays of an .npz file as a dict, validated before any array data is read.

    First every member's .npy header is read (nothing else is decompressed): a member that
    is not ``<name>.npy``, a duplicate name, an object dtype (pickle) or anything but plain
    numbers, a shape that disagrees with the member's size are refused. Then
    ``check({name: (shape, dtype)})`` may refuse the file (``nn.load`` compares it with the
    model). Only then is each array read: at most the bytes its header declares, into an
    array of that shape (``only``: just these members). Any failure is a ``ValueError`` naming
    the reader (``reader``: who reads, what, and what writes it: ``ag.load``, ``nn.load``...), the
    file and the member; a path that is not a regular file (a folder, a FIFO) is refused without opening it.

    >>> with open("arrays.npz", "wb") as f:
    ...     write_npz(f, {"w": np.ones((2, 3)), "b": np.zeros(3)})
    >>> sorted(read_arrays("arrays.npz"))
    ['b', 'w']
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

    return _with_archive(path, read, reader)


def read_headers(path: StrPath, reader: Reader = AG_LOAD) -> Headers:
    """``{name: (shape, dtype)}`` of an .npz file's arrays from their headers alone (no array data is
    read, so a file declaring gigabytes costs nothing); refused as ``read_arrays`` refuses.

    >>> with open("arrays.npz", "wb") as f:
    ...     write_npz(f, {"w": np.ones((2, 3))})
    >>> read_headers("arrays.npz")["w"]
    ((2, 3), dtype('float64'))
    """
    return _with_archive(path, lambda archive, headers: _described(headers), reader)


def _described(headers: dict[str, _Member]) -> Headers:
    return {name: (shape, dtype) for name, (_, shape, _, dtype, _) in headers.items()}


def _with_archive(
    source: StrPath | IO[bytes], use: Callable[[zipfile.ZipFile, dict[str, _Member]], _R], reader: Reader
) -> _R:
    """``use(archive, headers)`` on the .npz at ``source`` (a path, or a binary file open for reading, which is
    read from where it stands and left open), every failure a ValueError naming file and member."""
    caller, what, writer = reader
    if isinstance(source, io.TextIOBase):
        raise TypeError(f"{caller}: the file {source.name!r} is open as text; open it in binary mode, 'rb'")
    named = isinstance(source, (str, os.PathLike))
    path = repr(os.fspath(cast(StrPath, source)) if named else getattr(source, "name", type(source).__name__))
    try:
        # the caller's open file is read from where it stands, and left open (as ZipFile leaves a file it is given)
        opened = (
            _open_regular_file(os.fspath(cast(StrPath, source)), caller, writer)
            if named
            else contextlib.nullcontext(cast(IO[bytes], source))
        )
        with opened as file, zipfile.ZipFile(file) as archive:
            return use(archive, _read_headers(archive))
    except _UnreadableMember as error:
        reason = str(error)
    except _ARCHIVE_ERRORS as error:
        if isinstance(error, FileNotFoundError):
            raise FileNotFoundError(f"{caller}: no such file: {path}") from None
        if isinstance(error, ValueError) and str(error).startswith(f"{caller}:"):
            raise  # already says which file and why (from check, or a path that is not a file)
        reason = f"{type(error).__name__}: {error}"
    raise ValueError(
        f"{caller}: cannot read {path} as {what} (.npz written by {writer}): {reason}; "
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
