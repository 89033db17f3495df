"""Workload (d): depth — a chain of 10^4, 10^5, 10^6 multiplications of a scalar, then backward.

``y = x * c * c * ... * c`` (N times, c = 1 + 1e-6, a Python float as a user would
write it) on a 0-d float64 value; the gradient has the closed form dy/dx = c^N,
checked to 1e-6 relative before any figure is kept. Each (engine, N) runs in a fresh
process (see workers.py): time per node (forward and backward separately where the
engine allows it; HIPS autograd builds and differentiates inside one ``grad`` call)
and peak RSS growth per node, measured over the first build and backward (plus the
RSS growth once the graph is built, before backward, where the engine allows it).

Worker:  python -m benchmarks.depth ENGINE N REPEATS [CLOCK]   (CLOCK: wall or cpu, see timing.CLOCKS)
"""

import statistics
import sys
import time

from . import peers
from .timing import CLOCKS, ratio_spread
from .workers import PeakMemory, blas_environment, emit, run_worker

_now = time.perf_counter  # the worker sets the run's clock
C = 1.0 + 1e-6
SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (10_000, 100_000)
TOLERANCE = 1e-6


def _ours(n, peak):
    import autograd_core as ag

    x = ag.Tensor(1.0, requires_grad=True)
    y = x
    start = _now()
    for _ in range(n):
        y = y * C
    middle = _now()
    peak.mark("graph_bytes")
    y.backward()
    return middle - start, _now() - middle, float(x.grad)


def _torch(n, peak):
    torch = peers.torch()
    if not torch:
        raise ImportError(torch.reason)
    x = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    y = x
    start = _now()
    for _ in range(n):
        y = y * C
    middle = _now()
    peak.mark("graph_bytes")
    y.backward()
    return middle - start, _now() - middle, x.grad.item()


def _hips(n, peak):
    found = peers.hips_autograd()
    if not found:
        raise ImportError(found.reason)
    autograd = found[0]

    def chain(x):
        for _ in range(n):
            x = x * C
        return x

    start = _now()
    gradient = autograd.grad(chain)(1.0)
    return None, _now() - start, float(gradient)  # one figure: build + backward


def _micrograd(n, peak):
    Value = peers.micrograd_value()
    if not Value:
        raise ImportError(Value.reason)
    x = Value(1.0)
    y = x
    start = _now()
    for _ in range(n):
        y = y * C
    middle = _now()
    peak.mark("graph_bytes")
    y.backward()  # recursive topological sort: RecursionError past ~1,000 deep
    return middle - start, _now() - middle, x.grad


ENGINES = {"autograd_core": _ours, "torch": _torch, "HIPS autograd": _hips, "micrograd": _micrograd}


class _NoMarks:
    def mark(self, name):
        pass


def worker(engine, n, repeats, clock="wall"):
    """Run in a fresh process: returns the dict that ``run`` turns into a row."""
    global _now
    _now = CLOCKS[clock]
    build = ENGINES[engine]
    expected = C**n
    try:
        build(100, _NoMarks())  # warm-up: imports and first-use set-up are not graph memory
        with PeakMemory() as peak:
            forward, backward, grad = build(n, peak)
    except ImportError as error:
        return {"status": "missing", "detail": str(error)}
    except RecursionError as error:
        return {"status": "FAIL", "detail": f"RecursionError: {error}"}
    error = abs(grad - expected) / expected
    if not error <= TOLERANCE:
        return {"status": "FAIL", "detail": f"gradient {grad!r}, closed form c^N = {expected!r}"}
    forwards, backwards = [forward], [backward]
    for _ in range(repeats - 1):
        forward, backward, _ = build(n, _NoMarks())
        forwards.append(forward)
        backwards.append(backward)
    forward = statistics.median(forwards) if forwards[0] is not None else None
    backward = statistics.median(backwards)
    totals = [(f or 0.0) + b for f, b in zip(forwards, backwards)]
    return {
        "status": "ok",
        "check": error,
        "forward_s": forward,
        "backward_s": backward,
        "samples_s": totals,
        "blas_environment": blas_environment(),
        "total_s": (forward or 0.0) + backward,
        "peak_bytes": peak.bytes,
        "graph_bytes": peak.marks.get("graph_bytes"),
        "memory_method": peak.method,
        "repeats": repeats,
    }


def run(settings, engines=tuple(ENGINES)):
    """Rows for the report: µs per node (forward + backward) and peak bytes per node."""
    rows = []
    failed = set()
    for n in QUICK_SIZES if settings.quick else SIZES:
        repeats = 1 if n >= 1_000_000 else 3 if n >= 100_000 else 5
        for engine in engines:
            row = {"workload": "d", "case": f"chain of {n:,}", "engine": engine, "unit": "µs/node", "ratio_to": "torch"}
            if engine in failed:  # micrograd fails at 10^4 already: deeper is pointless
                row.update(status="FAIL", detail="failed at a smaller depth (not run)")
            else:
                row.update(run_worker("benchmarks.depth", [engine, n, repeats, settings.clock], timeout=900))
            if row["status"] == "ok":
                row["value"] = row["total_s"] / n * 1e6
                row["bytes_per_node"] = row["peak_bytes"] / n
            elif row["status"] == "FAIL":
                failed.add(engine)
            rows.append(row)
        torch_row = next((r for r in rows[-len(engines) :] if r["engine"] == "torch" and r["status"] == "ok"), None)
        for row in rows[-len(engines) :]:
            if torch_row and row["status"] == "ok":
                row["ratio"] = torch_row["total_s"] / row["total_s"]
                # repeats are paired by order (each engine ran in its own process, not interleaved)
                spread = ratio_spread(torch_row["samples_s"], row["samples_s"])
                row["ratio_spread"] = (spread["min"], spread["max"])
                row["memory_ratio"] = row["peak_bytes"] / max(torch_row["peak_bytes"], 1)
    return rows


if __name__ == "__main__":
    from .environment import pin_threads

    pin_threads()
    emit(worker(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), *sys.argv[4:5]))
