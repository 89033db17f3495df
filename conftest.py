"""pytest settings shared by the test suite and the docstring examples (doctests).

- A doctest sees the names the examples assume (``np``, ``ag``, ``Tensor``, ``nn``, ``F``,
  ``viz``) and runs in a fresh temporary folder, so an example that writes ``moons.npz``
  leaves nothing behind.
- A run leaves the checkout as it found it: a file that a test writes into the repository
  (or deletes there) fails the run, found by ``git status`` before and after. Edits to
  tracked files are not counted: that is what a developer does while the tests run.
"""

import os
import subprocess

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.abspath(__file__))
_STATUS_BEFORE = pytest.StashKey[frozenset]()


@pytest.fixture(autouse=True)
def _doctest_names_and_folder(request):
    """For docstring examples only (tests import what they use and choose their own folders)."""
    if type(request.node).__name__ != "DoctestItem":
        return
    import autograd_core as ag  # imported here: a test may check what importing viz alone pulls in
    import nn
    import nn.functional as F
    import viz

    request.getfixturevalue("doctest_namespace").update(np=np, ag=ag, Tensor=ag.Tensor, nn=nn, F=F, viz=viz)
    request.getfixturevalue("monkeypatch").chdir(request.getfixturevalue("tmp_path"))


def _git_status():
    """The checkout's untracked and deleted files, or None outside a git checkout."""
    try:
        result = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=all"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if result.returncode != 0:
        return None
    return frozenset(line for line in result.stdout.splitlines() if line[:2] in ("??", " D", "D "))


def _is_xdist_worker(config):
    return hasattr(config, "workerinput")  # the controller checks once for all workers


def pytest_sessionstart(session):
    if not _is_xdist_worker(session.config):
        before = _git_status()
        if before is not None:
            session.config.stash[_STATUS_BEFORE] = before


def pytest_sessionfinish(session, exitstatus):
    before = session.config.stash.get(_STATUS_BEFORE, None)
    after = _git_status() if before is not None else None
    if after is None:
        return
    left = sorted(after - before)
    if left:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_sep("=", "the tests left files in the checkout", red=True)
            for line in left:
                reporter.write_line(f"  {line}")
            reporter.write_line("Write into tmp_path (or chdir there with monkeypatch.chdir), not the repository.")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
