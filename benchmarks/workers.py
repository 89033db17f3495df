"""Fresh worker processes and their peak memory, for the memory workloads (d) and (e).

Peak memory is measured in a fresh process per (engine, size) because memory an
earlier workload freed stays in the allocators' pools and would hide new use. The
measure is resident memory (RSS), the one figure that covers numpy, Python objects
and torch's C++ allocator alike: Linux's peak-RSS mark (VmHWM) is reset through
/proc/self/clear_refs just before the measured code, and peak minus the RSS at
that moment is the figure reported. Where that reset is not available the
process-lifetime peak (``ru_maxrss``) is used and the method says so.
"""

import json
import os
import resource
import subprocess
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_PAGE = os.sysconf("SC_PAGE_SIZE")


class PeakMemory:
    """Peak RSS growth over a block of code.

    >>> with PeakMemory() as peak:
    ...     block = bytearray(50_000_000)
    >>> peak.bytes > 40_000_000
    True
    """

    def __enter__(self):
        self.method = "VmHWM reset via /proc/self/clear_refs"
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
        except OSError:
            self.method = "ru_maxrss (process-lifetime peak; an upper bound)"
        self.start = rss_bytes()
        self.marks = {}
        return self

    def __exit__(self, *exc):
        self.bytes = self.peak_so_far()
        return False

    def mark(self, name):
        """Record the current RSS growth under ``name`` (e.g. once a graph is built)."""
        self.marks[name] = rss_bytes() - self.start

    def peak_so_far(self):
        """Peak RSS minus the RSS at the start of the block."""
        return _peak_rss() - self.start


def rss_bytes():
    """Current resident set size of this process, in bytes."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * _PAGE


def _peak_rss():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def worker_environment():
    """The environment of every process the suite starts, whatever its engine: this process's
    own (threads pinned, OpenBLAS overrides as the machine has them) with the repository on
    PYTHONPATH. One function, so that no engine's process can differ from another's.

    >>> worker_environment()["PYTHONPATH"].startswith(REPO_ROOT)
    True
    """
    return dict(os.environ, PYTHONPATH=REPO_ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))


def blas_environment():
    """What decides the BLAS kernel and threads in this process: the variables, as seen here."""
    from .environment import OPENBLAS_OVERRIDES, THREAD_VARIABLES

    return {name: os.environ.get(name) for name in OPENBLAS_OVERRIDES + THREAD_VARIABLES}


def run_worker(module, args, timeout):
    """Run ``python -m module *args`` in a fresh process (threads pinned as here) and return
    the JSON object it prints last, or {"status": "FAIL", "detail": ...} if it died."""
    env = worker_environment()
    try:
        done = subprocess.run(
            [sys.executable, "-m", module, *map(str, args)],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=REPO_ROOT,
            env=env,
        )
    except subprocess.TimeoutExpired:
        return {"status": "FAIL", "detail": f"did not finish within {timeout} s"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"status": "FAIL", "detail": f"worker exited with code {done.returncode}: {tail}"}
    return json.loads(lines[-1])


def emit(result):
    """The worker side: print the result as the last JSON line."""
    print(json.dumps(result), flush=True)
