"""Writing files atomically: the one writer that ``nn`` (models, histories) and ``viz`` (pictures) share.

``atomic_write`` writes a temporary file beside the target, fsyncs it, renames it over the
target (``os.replace`` is atomic) and fsyncs the folder, so a crash or a power cut leaves
either the old file or the new one, never half a file. The temporary file is named
``.<name>.<8 hex digits>.tmp``:

- an exception (Ctrl-C included) removes it;
- SIGTERM (the default ``kill``) removes it too: while a write is running in the main thread
  and SIGTERM has its default action, a handler turns it into an exception, the temporary
  file is removed, and the signal is then delivered again so the process still dies of it;
- ``kill -9`` cannot be caught: the next write of the same target removes temporary files of
  that target older than this process (exactly this name pattern, nothing else).

It lives in ``autograd_core`` because both upper layers need it and neither may import the other.
"""

from __future__ import annotations

import contextlib
import errno
import os
import pathlib
import re
import secrets
import signal
import stat
import threading
import time
from collections.abc import Callable, Iterator
from types import FrameType, TracebackType
from typing import BinaryIO, Literal, TypeAlias, overload

#: What ``atomic_write`` writes: bytes, a str (as UTF-8), or a function that writes into the open binary file.
Content: TypeAlias = "bytes | bytearray | memoryview | str | Callable[[BinaryIO], object]"

_STARTED = time.time()  # temporary files older than this belong to earlier (killed) processes


@overload
def atomic_write(  # type: ignore[overload-overlap]  # a PurePath is also a PathLike: the first match wins
    path: pathlib.PurePath, content: Content, *, make_folders: bool = False
) -> pathlib.Path: ...
@overload
def atomic_write(path: str | os.PathLike[str], content: Content, *, make_folders: bool = False) -> str: ...
def atomic_write(path: str | os.PathLike[str], content: Content, *, make_folders: bool = False) -> str | pathlib.Path:
    """Write ``content`` to ``path`` all at once: the old file or the new one, never half of one.

    ``content``: bytes, a str (written as UTF-8) or a function ``write(binary_file)``.
    ``make_folders=True`` first creates the missing folders of the *normalised* path
    (``a/b/../c/f.svg`` creates only ``c``, resolved as the OS resolves ``..``).
    Replacing a file keeps its permissions; a new file gets the umask's, as ``open`` gives.
    Returns the path written (``..`` resolved when folders were made): a ``pathlib.Path``
    when given one, else a str.

    >>> atomic_write("notes.txt", "hello")
    'notes.txt'
    >>> atomic_write("weights.bin", lambda f: f.write(b"\\x00" * 8))
    'weights.bin'
    """
    if not (callable(content) or isinstance(content, (str, bytes, bytearray, memoryview))):
        raise TypeError(
            f"atomic_write: content must be bytes, a str or a function write(file), got {type(content).__name__}"
        )
    target = os.fspath(path)
    _refuse_unexpanded_home(target)
    if make_folders:
        target = _normalised(target)
        _make_folders(target)
    data = content.encode("utf-8") if isinstance(content, str) else content
    write = data if callable(data) else (lambda file: file.write(data))
    folder, name = os.path.split(os.path.abspath(target))
    _check_destination(target, folder)
    remove_stale_temporaries(folder, name)
    with _sigterm_as_exception():
        temporary = None
        try:
            # A handler that raises (nn.train's, on Ctrl-C or kill) could otherwise run after the file is made
            # and before `temporary` names it for the cleanup below: the signal waits those few steps.
            with _signals_held():
                handle, temporary = _create_temporary(folder, name)
                file = os.fdopen(handle, "wb")
            with file:
                write(file)
                file.flush()
                os.fsync(file.fileno())
            with contextlib.suppress(FileNotFoundError):  # replacing keeps the permissions, as writing in place would
                os.chmod(temporary, stat.S_IMODE(os.stat(target).st_mode))
            os.replace(temporary, target)
        except BaseException:
            if temporary is not None and os.path.lexists(temporary):
                os.unlink(temporary)
            raise
    _fsync_folder(folder)  # the rename itself is durable only once the folder's entry is on disk
    return pathlib.Path(target) if isinstance(path, pathlib.PurePath) else target


def remove_stale_temporaries(folder: str | os.PathLike[str], name: str) -> list[str]:
    """Remove ``.<name>.<8 hex>.tmp`` files in ``folder`` left by writes that were killed (``kill -9``).

    Only regular files matching exactly that pattern and last modified before this process
    started are removed: a write still running in another process is left alone.
    Returns the names removed.

    >>> remove_stale_temporaries(".", "model.npz")
    []
    """
    pattern = re.compile(rf"\.{re.escape(name)}\.[0-9a-f]{{8}}\.tmp")
    removed: list[str] = []
    try:
        entries = os.scandir(folder)
    except OSError:
        return removed  # a missing folder: the write itself will say so
    with entries:
        for entry in entries:
            if not pattern.fullmatch(entry.name):
                continue
            try:
                info = entry.stat(follow_symlinks=False)
                if stat.S_ISREG(info.st_mode) and info.st_mtime < _STARTED:
                    os.unlink(entry.path)
                    removed.append(entry.name)
            except OSError:  # removed meanwhile by another process, or not ours to remove
                continue
    return removed


def _check_destination(target: str, folder: str) -> None:
    """Say what is wrong with the path itself, before a temporary file's name shows up in the error."""
    if os.path.isfile(folder):
        raise NotADirectoryError(errno.ENOTDIR, f"cannot write {target!r}: {folder!r} is a file, not a folder")
    if not os.path.isdir(folder):
        raise FileNotFoundError(
            errno.ENOENT,
            f"cannot write {target!r}: its folder {folder!r} does not exist; create it first "
            "(os.makedirs(folder, exist_ok=True)) or choose another path",
        )
    if os.path.isdir(target):
        raise IsADirectoryError(
            errno.EISDIR, f"cannot write {target!r}: it is a folder; give a file path (a name inside that folder)"
        )


def _make_folders(target: str) -> None:
    """``target``'s missing folders; a file standing where one must go is named (makedirs said only
    "[Errno 17] File exists: 'g.svg'", as though the picture itself were in the way)."""
    folder = os.path.dirname(os.path.abspath(target))
    try:
        os.makedirs(folder, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocking = folder
        while not os.path.lexists(blocking):
            blocking = os.path.dirname(blocking)
        if os.path.isdir(blocking):
            raise
        raise NotADirectoryError(
            errno.ENOTDIR, f"cannot write {target!r}: {blocking!r} is a file, not a folder"
        ) from None


def _refuse_unexpanded_home(target: str) -> None:
    """``~/g.svg``: as ``open`` (and numpy, torch, matplotlib) do not expand ``~``, say so, rather than
    write into (or, with ``make_folders``, create) a folder literally named ``~`` under the current one."""
    first, separator, _ = target.replace("\\", "/").partition("/")
    if separator and first.startswith("~") and not os.path.isdir(first) and os.path.expanduser(first) != first:
        raise FileNotFoundError(
            errno.ENOENT,
            f"cannot write {target!r}: '~' is not expanded here (as in open()); "
            f"write os.path.expanduser({target!r}), that is {os.path.expanduser(target)!r}",
        )


def _normalised(path: str) -> str:
    """``path`` with ``..`` resolved the way the OS would where folders exist, lexically beyond."""
    if ".." not in path.replace("\\", "/").split("/"):
        return path
    folder, name = os.path.split(path)
    resolved = os.path.realpath(folder or ".")
    relative = os.path.relpath(resolved)
    return os.path.join(resolved if os.path.isabs(path) or relative.startswith("..") else relative, name)


def _create_temporary(folder: str, name: str) -> tuple[int, str]:
    """A new, uniquely named file in ``folder``, opened for writing: (fd, path).

    Why not ``tempfile.mkstemp``: it creates mode 0600, so every saved model and picture
    would end up private. Mode 0666 here lets the umask decide, as ``open(path, "w")`` does.
    """
    for _ in range(100):
        temporary = os.path.join(folder, f".{name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(
                temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666
            ), temporary
        except FileExistsError:
            continue
    raise FileExistsError(f"atomic_write: could not create a temporary file in {folder!r}")


def _fsync_folder(folder: str) -> None:
    if not hasattr(os, "O_DIRECTORY"):  # Windows cannot open a folder; NTFS journals the rename
        return
    try:
        handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:  # a folder we may write into but not read: the rename stands, unsynced
        return
    try:
        os.fsync(handle)
    except OSError:  # some file systems refuse to fsync a folder: nothing more to do
        pass
    finally:
        os.close(handle)


class _Terminated(BaseException):
    """SIGTERM arrived during a write: unwinds it (removing the temporary file), then the signal is re-sent."""


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM are noted, not handled; on leaving it they are raised again for
    the handlers in charge. (Python runs handlers in the main thread only; a signal mask would not do:
    another thread of the process could take the signal, and Python would still run the handler here.)"""
    held = (signal.SIGINT, signal.SIGTERM)
    # (None: a handler installed outside Python, which signal.signal could not put back)
    if threading.current_thread() is not threading.main_thread() or None in map(signal.getsignal, held):
        yield
        return
    noted: list[int] = []
    previous = [signal.signal(kind, lambda signum, frame: noted.append(signum)) for kind in held]
    try:
        yield
    finally:
        for kind, handler in zip(held, previous):
            signal.signal(kind, handler)
        for signum in noted:
            signal.raise_signal(signum)


class _sigterm_as_exception:
    """Within the block, SIGTERM with its default action (die) raises ``_Terminated`` instead;
    on leaving, the old action is restored and a SIGTERM that arrived is delivered again."""

    def __enter__(self) -> _sigterm_as_exception:
        self.active = (
            threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
        )
        if self.active:
            signal.signal(signal.SIGTERM, self._raise)
        return self

    @staticmethod
    def _raise(signum: int, frame: FrameType | None) -> None:
        raise _Terminated()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> Literal[False]:
        if self.active:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            if kind is _Terminated:
                os.kill(os.getpid(), signal.SIGTERM)  # die of the signal, as if we had never caught it
        return False
