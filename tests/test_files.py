"""autograd_core.files.atomic_write: the one atomic writer, and what it leaves behind when killed."""

import os
import pathlib
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import autograd_core.files as files
from autograd_core.files import atomic_write, remove_stale_temporaries

ROOT = pathlib.Path(__file__).resolve().parents[1]


def run_python(code, **kwargs):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def test_import_viz_does_not_import_nn():
    process = run_python("import viz, sys; assert 'nn' not in sys.modules, sorted(sys.modules)")
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err


def test_nn_and_viz_share_the_one_writer():
    import nn.history
    import nn.serialization
    import viz.animate
    import viz.plots
    import viz.render

    for module in (nn.serialization, nn.history, viz.render, viz.animate, viz.plots):
        assert module.atomic_write is atomic_write, module.__name__
    assert not hasattr(viz.render, "write_atomically")


def test_writes_bytes_text_or_a_writer_function(tmp_path):
    assert atomic_write(str(tmp_path / "a.bin"), b"\x00\x01") == str(tmp_path / "a.bin")
    assert atomic_write(tmp_path / "b.txt", "π") == tmp_path / "b.txt"
    atomic_write(tmp_path / "c.bin", lambda f: f.write(b"abc"))
    assert [(tmp_path / n).read_bytes() for n in ("a.bin", "b.txt", "c.bin")] == [b"\x00\x01", "π".encode(), b"abc"]
    assert sorted(os.listdir(tmp_path)) == ["a.bin", "b.txt", "c.bin"]
    with pytest.raises(
        TypeError,
        match=r"atomic_write: content must be bytes, a str or a function "
        r"write\(file\), got int",
    ):
        atomic_write(tmp_path / "d.bin", 3)
    assert not (tmp_path / "d.bin").exists()


def test_a_bad_destination_is_named_not_the_temporary_file(tmp_path):
    # nn.save into a missing folder used to fail on '.x.npz.<hex>.tmp', a name the user never gave
    (tmp_path / "file.txt").write_text("keep")
    cases = [
        (tmp_path / "missing" / "x.npz", FileNotFoundError, r"its folder '.*missing' does not exist; create it first"),
        (tmp_path, IsADirectoryError, r"it is a folder; give a file path"),
        (tmp_path / "file.txt" / "x.npz", NotADirectoryError, r"'.*file.txt' is a file, not a folder"),
    ]
    for path, kind, message in cases:
        with pytest.raises(kind, match=r"cannot write '.*': " + message) as caught:
            atomic_write(str(path), b"data")
        assert ".tmp" not in str(caught.value)
    assert sorted(os.listdir(tmp_path)) == ["file.txt"] and (tmp_path / "file.txt").read_text() == "keep"


def test_nn_save_into_a_missing_folder_names_the_folder(tmp_path):
    import nn

    with pytest.raises(FileNotFoundError, match=r"cannot write .*'.*nowhere' does not exist"):
        nn.save(nn.MLP([2, 3, 2], seed=0), tmp_path / "nowhere" / "model.npz")
    assert os.listdir(tmp_path) == []


def test_make_folders_creates_only_the_folders_of_the_normalised_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    written = atomic_write(pathlib.Path("a/b/../../c/g.txt"), "x", make_folders=True)
    assert sorted(os.listdir(tmp_path)) == ["c"]  # no a/ and no a/b/
    assert written.resolve() == (tmp_path / "c" / "g.txt").resolve()
    assert (tmp_path / "c" / "g.txt").read_text() == "x"
    with pytest.raises(FileNotFoundError):  # without make_folders a missing folder is an error, as with open()
        atomic_write("missing/g.txt", "x")


def test_a_tilde_path_says_it_is_not_expanded_instead_of_making_a_folder_named_tilde(tmp_path, monkeypatch):
    import autograd_core as ag
    import viz

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # never write into the real home
    with pytest.raises(FileNotFoundError, match=r"'~' is not expanded here .*expanduser"):
        viz.render_graph(ag.Tensor(2.0, requires_grad=True) * 3.0, "~/pictures/g.dot")
    with pytest.raises(FileNotFoundError, match=r"'~' is not expanded here"):
        atomic_write(pathlib.Path("~/notes.txt"), "x")
    assert os.listdir(tmp_path) == []  # no ./~ folder made (as open() and torch.save, nothing is expanded)
    (tmp_path / "~").mkdir()  # a folder really named ~ is written into as asked
    atomic_write("~/notes.txt", "x")
    assert (tmp_path / "~" / "notes.txt").read_text() == "x"


def test_make_folders_resolves_dotdot_through_a_symlink_as_the_os_does(tmp_path, monkeypatch):
    (tmp_path / "real" / "inner").mkdir(parents=True)
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "link").symlink_to(tmp_path / "real" / "inner")
    monkeypatch.chdir(tmp_path / "work")
    atomic_write("link/../out/g.txt", "x", make_folders=True)  # the OS reads link/.. as real/
    assert (tmp_path / "real" / "out" / "g.txt").read_text() == "x"
    assert sorted(os.listdir(tmp_path / "work")) == ["link"]


def test_the_folder_is_fsynced_after_the_rename(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync

    def recording_fsync(fd):
        synced.append(
            (
                os.path.exists(tmp_path / "f.bin"),
                os.path.isdir(f"/proc/self/fd/{fd}") if os.path.exists("/proc/self/fd") else True,
            )
        )
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    atomic_write(tmp_path / "f.bin", b"1")
    assert synced[0] == (False, False)  # the file's data, before the rename
    assert synced[-1] == (True, True)  # then the folder, after the rename


def make_temporary(folder, name, age):
    path = folder / f".{name}.{os.urandom(4).hex()}.tmp"
    path.write_bytes(b"half a file")
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))
    return path


def test_a_later_write_removes_stale_temporaries_of_its_target_only(tmp_path):
    stale = make_temporary(tmp_path, "model.npz", age=3600)  # a killed process's, from before ours
    recent = make_temporary(tmp_path, "model.npz", age=-60)  # another process writing right now
    other_target = make_temporary(tmp_path, "other.npz", age=3600)
    old_user_files = [
        tmp_path / ".model.npz.notours.tmp",
        tmp_path / ".model.npz.0123abcd.tmp.keep",
        tmp_path / "x.model.npz.0123abcd.tmp",
    ]
    for path in old_user_files:
        path.write_text("mine")
        os.utime(path, (0, 0))
    (tmp_path / f".model.npz.{'ab' * 4}.tmp").mkdir()  # a folder is never removed
    os.utime(tmp_path / f".model.npz.{'ab' * 4}.tmp", (0, 0))
    atomic_write(tmp_path / "model.npz", b"new")
    assert not stale.exists()
    assert recent.exists() and other_target.exists() and all(p.exists() for p in old_user_files)
    assert (tmp_path / f".model.npz.{'ab' * 4}.tmp").is_dir()
    assert remove_stale_temporaries(tmp_path, "other.npz") == [other_target.name]


SLOW_SAVE = """
    import time
    import nn, nn.serialization

    real_write_npz = nn.serialization.write_npz

    def slow_write_npz(file, arrays):  # half the file is out, then the save stalls until killed
        real_write_npz(file, arrays)
        file.flush()
        print("writing", flush=True)
        time.sleep(60)

    nn.serialization.write_npz = slow_write_npz
    nn.save(nn.MLP([4, 8, 2], seed=0), {target!r})
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_killed_save_removes_its_own_temporary_file(tmp_path, signum):
    """The process still dies of the signal (as the caller expects), but without leaving its temporary file."""
    target = tmp_path / "model.npz"
    target.write_bytes(b"the old model")
    process = run_python(SLOW_SAVE.format(target=str(target)))
    try:
        assert process.stdout.readline() == "writing\n"
        assert len(list(tmp_path.glob(".model.npz.*.tmp"))) == 1  # mid-save: the temporary file exists
        process.send_signal(signum)
        process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == -signum
    assert os.listdir(tmp_path) == ["model.npz"]
    assert target.read_bytes() == b"the old model"


def test_sigterm_handling_is_only_borrowed_during_a_write(tmp_path):
    if signal.getsignal(signal.SIGTERM) != signal.SIG_DFL:  # a runner that traps SIGTERM itself
        pytest.skip("the test runner handles SIGTERM, so there is no default handler to borrow")
    seen = []
    atomic_write(tmp_path / "f.bin", lambda f: seen.append(signal.getsignal(signal.SIGTERM)))
    assert seen[0] not in (signal.SIG_DFL, None)
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


def test_a_handler_the_program_installed_is_left_in_charge(tmp_path):
    handler = lambda signum, frame: None  # noqa: E731
    previous = signal.signal(signal.SIGTERM, handler)
    try:
        seen = []
        atomic_write(tmp_path / "f.bin", lambda f: seen.append(signal.getsignal(signal.SIGTERM)))
        assert seen == [handler] and signal.getsignal(signal.SIGTERM) is handler
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_stale_means_older_than_this_process(monkeypatch, tmp_path):
    path = make_temporary(tmp_path, "m.npz", age=10)
    monkeypatch.setattr(files, "_STARTED", time.time() - 20)  # a process started before the file was made
    assert remove_stale_temporaries(tmp_path, "m.npz") == [] and path.exists()


def test_after_kill_9_the_next_save_of_the_same_file_removes_the_leftover(tmp_path):
    target = tmp_path / "model.npz"
    process = run_python(SLOW_SAVE.format(target=str(target)))
    try:
        assert process.stdout.readline() == "writing\n"
        process.kill()  # SIGKILL: nothing can clean up
        process.communicate(timeout=30)
    finally:
        process.kill()
    assert len(list(tmp_path.glob(".model.npz.*.tmp"))) == 1  # the killed save's leftover
    time.sleep(0.05)  # the next process starts strictly after the leftover's last write
    later = run_python(f"import nn; nn.save(nn.MLP([4, 8, 2], seed=1), {str(target)!r})")
    _, err = later.communicate(timeout=60)
    assert later.returncode == 0, err
    assert os.listdir(tmp_path) == ["model.npz"]


class _Stop(Exception):
    pass


def test_a_signal_right_after_the_temporary_file_is_made_still_removes_it(tmp_path, monkeypatch):
    """A program's handler that raises (nn.train's does, on Ctrl-C or kill) may run between the temporary
    file's creation and the code that cleans it up: the signal waits until that code is in charge."""

    def stop(signum, frame):
        raise _Stop

    made = files._create_temporary

    def made_then_signalled(folder, name):
        result = made(folder, name)
        os.kill(os.getpid(), signal.SIGINT)  # arrives in the narrowest window: the file exists, no cleanup yet
        return result

    monkeypatch.setattr(files, "_create_temporary", made_then_signalled)
    previous = signal.signal(signal.SIGINT, stop)
    try:
        with pytest.raises(_Stop):
            atomic_write(tmp_path / "model.npz", b"new")
    finally:
        signal.signal(signal.SIGINT, previous)
    assert os.listdir(tmp_path) == []  # no temporary file left, no half-written target


def test_a_ctrl_c_while_a_member_closes_is_the_error_an_npz_write_raises(tmp_path, monkeypatch):
    """A Ctrl-C (nn.train's checkpoint, mid-epoch) landing while an .npz member is being finished: closing the
    archive then raised zipfile's "Can't close the ZIP file while there is an open writing handle" in place of
    the KeyboardInterrupt, so nn.train exited 1 with a traceback instead of 130 with its run saved."""
    import io
    import zipfile

    import numpy as np

    from autograd_core.npz import write_npz

    target = tmp_path / "checkpoint.npz"
    atomic_write(target, lambda file: write_npz(file, {"w": np.ones(3)}))
    real_close = zipfile._ZipWriteFile.close

    def interrupted_close(self):  # as a Ctrl-C landing in close() after it marked the member closed
        monkeypatch.setattr(zipfile._ZipWriteFile, "close", real_close)
        io.BufferedIOBase.close(self)
        raise KeyboardInterrupt

    monkeypatch.setattr(zipfile._ZipWriteFile, "close", interrupted_close)
    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, lambda file: write_npz(file, {"w": np.zeros(3), "b": np.zeros(2)}))
    assert os.listdir(tmp_path) == ["checkpoint.npz"]  # the temporary file removed, the old file whole
    assert np.load(target)["w"].tolist() == [1.0, 1.0, 1.0]
