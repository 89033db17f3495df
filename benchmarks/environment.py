"""Thread and allocator pinning and a description of the machine, BLAS libraries and versions.

Every engine gets one thread: numpy's BLAS, torch's intra-op pool and MKL, XLA's
(JAX's) Eigen pool. The environment variables only work before numpy/torch/jax are
imported, so ``pin_threads`` runs first in every entry point; ``threadpoolctl`` then
confirms (and enforces) it. Every engine runs with the same environment: nothing
here sets an OpenBLAS kernel override (``OPENBLAS_CORETYPE``, ``OPENBLAS_L2_SIZE``);
whatever the machine's environment holds is recorded, with the kernel numpy runs.

``pin_allocator`` fixes glibc malloc's two thresholds for the whole process, so for every engine
alike: by default glibc gives the free memory at the top of its heap back to the kernel (and maps
large arrays afresh) by thresholds that move with the sizes it has seen, so whether a step's large
arrays cost hundreds of page faults (~2 ms of a 3 ms float64 MLP step here) depended on what the
engine timed before it had left on the heap: the same step measured 3.1 or 4.6 ms in one process.
"""

import ctypes
import ctypes.util
import os
import platform
import sys

THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)
# Set on some processors because older OpenBLAS builds misbehave there; they also make a
# current numpy pick an older kernel, so the report shows them (we never change them).
OPENBLAS_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
# XLA's CPU backend: one thread for its Eigen pool, as for every other engine.
XLA_ONE_THREAD = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


def pin_threads(threads=1):
    """Ask every BLAS/OpenMP pool for ``threads`` threads; call before importing numpy.

    >>> pin_threads(1)    # then: import numpy, torch
    """
    for name in THREAD_VARIABLES:
        os.environ[name] = str(threads)
    if threads == 1 and XLA_ONE_THREAD not in os.environ.get("XLA_FLAGS", ""):
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " " + XLA_ONE_THREAD).strip()
    if sys.modules.get("numpy") is not None or sys.modules.get("torch") is not None:
        _limit_loaded_pools(threads)


def _limit_loaded_pools(threads):
    """For pools already loaded: threadpoolctl for BLAS/OpenMP, torch's own setter."""
    try:
        import threadpoolctl

        threadpoolctl.threadpool_limits(threads)
    except ImportError:  # only a confirmation: the variables above already did the work
        pass
    if sys.modules.get("torch") is not None:
        sys.modules["torch"].set_num_threads(threads)


# glibc's mallopt parameters and the values pinned: keep up to 1 GiB free at the heap's top (no trimming
# between steps), and serve arrays up to 32 MiB (glibc's own ceiling for this threshold) from the heap.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
PINNED_THRESHOLDS = {"trim_threshold": 1 << 30, "mmap_threshold": 32 << 20}
allocator = {"malloc": "default"}  # what describe() reports: pin_allocator() changes it


def pin_allocator():
    """Fix glibc's trim and mmap thresholds for this process (no effect elsewhere); returns what
    the report records. Call before timing; memory workloads run in fresh processes without it.

    >>> pin_allocator()["malloc"]            # doctest: +SKIP
    'glibc, thresholds pinned'
    """
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):  # not glibc (macOS, musl): its allocator's defaults stand
        allocator.update(malloc="default (no glibc mallopt)")
        return allocator
    ok = mallopt(M_TRIM_THRESHOLD, PINNED_THRESHOLDS["trim_threshold"])
    ok = ok and mallopt(M_MMAP_THRESHOLD, PINNED_THRESHOLDS["mmap_threshold"])
    allocator.update(malloc="glibc, thresholds pinned" if ok else "default (mallopt refused)")
    allocator.update(PINNED_THRESHOLDS if ok else {})
    return allocator


def describe():
    """A dict for the report: CPU, Python, numpy/torch/jax versions and BLAS, the kernel numpy's
    BLAS runs, thread counts, the load average when measuring started.

    >>> describe()["numpy"]["blas"]          # e.g. 'scipy-openblas 0.3.31.dev'
    """
    import numpy as np

    _limit_loaded_pools(int(os.environ.get("OMP_NUM_THREADS", "1")))
    try:  # imported first, so that its OpenMP pool shows in the threadpool list
        import torch

        torch.set_num_threads(1)
        torch_info = {
            "version": torch.__version__,
            "threads": torch.get_num_threads(),
            "blas": _torch_blas(torch.__config__.show()),
        }
    except ImportError:
        torch_info = None
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "thread_variables": {name: os.environ.get(name) for name in THREAD_VARIABLES},
        "openblas_overrides": {name: os.environ.get(name) for name in OPENBLAS_OVERRIDES},
        "xla_flags": os.environ.get("XLA_FLAGS"),
        "allocator": dict(allocator),
        "numpy": {"version": np.__version__, "blas": _numpy_blas(), "kernel": numpy_kernel()},
        "threadpools": _threadpools(),
        "torch": torch_info,
        "jax": _jax_version(),
        "load_average": _load_average(),
        "engine_revision": _engine_revision(),
    }


def _engine_revision():
    """The last commit that changed autograd_core/, and whether the files differ from it."""
    import subprocess

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        commit = subprocess.run(
            ["git", "log", "-1", "--format=%h", "--", "autograd_core"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "autograd_core"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown (no git)"
    return f"{commit or 'unknown'}{' + uncommitted changes in autograd_core/' if dirty else ''}"


def numpy_kernel():
    """The BLAS kernel numpy runs, as threadpoolctl reads it: e.g. 'openblas SkylakeX'.

    >>> numpy_kernel()                       # doctest: +SKIP
    'openblas SkylakeX'
    """
    pools = _threadpools()
    if not isinstance(pools, list):
        return pools
    blas = [
        p
        for p in pools
        if p["internal_api"] in ("openblas", "mkl", "blis", "flexiblas")
        and "numpy" in (p.get("prefix") or "") + (p.get("filepath") or "")
    ]
    blas = blas or [p for p in pools if p["internal_api"] in ("openblas", "mkl", "blis", "flexiblas")]
    return ", ".join(f"{p['internal_api']} {p['architecture'] or '(architecture unknown)'}" for p in blas) or "none"


def _jax_version():
    """jax's version if it is installed (without importing it: that would start XLA)."""
    from importlib import metadata

    try:
        return metadata.version("jax")
    except metadata.PackageNotFoundError:
        return None


def describe_load():
    """The 1, 5 and 15-minute load averages (None where the system has none): [6.1, 8.9, 8.3]."""
    return _load_average()


def _load_average():
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _numpy_blas():
    import numpy as np

    try:
        config = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        return f"{blas.get('name')} {blas.get('version')}"
    except Exception as error:  # noqa: BLE001 (the config layout is not a stable API: say so, do not fail)
        return f"unknown ({type(error).__name__})"


def _threadpools():
    try:
        import threadpoolctl
    except ImportError:
        return "threadpoolctl not installed"
    return [
        {key: pool.get(key) for key in ("internal_api", "version", "num_threads", "architecture", "prefix", "filepath")}
        for pool in threadpoolctl.threadpool_info()
    ]


def _torch_blas(config_text):
    for line in config_text.splitlines():
        if "BLAS_INFO=" in line:
            return line.split("BLAS_INFO=", 1)[1].split(",", 1)[0]
    return "unknown"


def summary_lines(info):
    """Human-readable lines for the head of the printed table."""
    pools = info["threadpools"]
    pools = (
        ", ".join(
            f"{p['internal_api']} {p['version'] or ''} arch={p['architecture'] or '-'} threads={p['num_threads']}"
            for p in pools
        )
        if isinstance(pools, list)
        else pools
    )
    torch_info = info["torch"]
    torch_text = (
        f"torch {torch_info['version']} (BLAS {torch_info['blas']}, threads {torch_info['threads']})"
        if torch_info
        else "torch not installed"
    )
    overrides = ", ".join(f"{k}={v}" for k, v in info["openblas_overrides"].items())
    return [
        f"autograd_core at {info['engine_revision']}",
        f"machine: {info['cpu']}, {info['cores']} cores; Python {info['python']}",
        f"numpy {info['numpy']['version']} (BLAS {info['numpy']['blas']}); {torch_text}",
        f"thread pools: {pools}",
        f"numpy's BLAS kernel: {info['numpy']['kernel']}; OpenBLAS overrides in the environment (the same "
        f"for every engine, never set here): {overrides}",
        f"jax {info['jax'] or 'not installed'}; load average at the start: {info['load_average']}",
        f"malloc: {info.get('allocator', {}).get('malloc', 'default')} (this process, every engine alike)",
    ]
