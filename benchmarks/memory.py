"""Workload (e): memory over 1,000 training steps — peak, and whether it stays flat.

The large MLP of workload (a) (784-256-128-10, ReLU, softmax-CE, float32, batch 128),
four batches in turn, each engine in a fresh process (see workers.py), after one
warm-up step on a throwaway copy of the weights (lazily loaded kernels and library
pools are start-up, not training memory).

Peak is measured from just before the engine copies its weights to the end of the
last step, so it covers weights, gradients, activations and whatever the engine keeps.
The steady peak covers the training loop only, after each batch's step function was
made (for ag.compile: after its traces and the adoption of its plan).
For numpy engines it is tracemalloc's peak of traced bytes (numpy reports its buffers
to tracemalloc): exact, and blind to allocator pools that resident memory would hide
or include. torch allocates outside Python's allocators, so its row uses peak RSS
growth (workers.py), a different and coarser measure, marked as such.
Flatness: after every tenth of the steps a full garbage collection (which also
empties CPython's free lists, a bounded cache that otherwise looks like growth) is
followed by a sample of live memory; growth from the first sample to the last above
64 KiB (1 MiB for the RSS row) is reported as not flat.
Gradients are checked (workload (a)'s check) before any worker runs.

Worker:  python -m benchmarks.memory ENGINE STEPS
"""

import gc
import sys
import tracemalloc

import numpy as np

from .mlp import check_engines
from .mlp_engines import ENGINES, HandWritten, make_batch, make_params
from .workers import PeakMemory, emit, rss_bytes, run_worker

SIZES, BATCH, DTYPE = (784, 256, 128, 10), 128, np.float32
STEPS, QUICK_STEPS = 1000, 200
FLAT_LIMIT_BYTES = 64 << 10
RSS_FLAT_LIMIT_BYTES = 1 << 20  # RSS moves in pages and with the allocator's mood: a coarser limit
RSS_ENGINES = ("torch", "jax.jit")  # they allocate outside Python's allocators: tracemalloc cannot see them
# jax.grad run eagerly is the same memory as jax.jit at ~1/50 of its speed: 1,000 steps of it would dominate the run
MEMORY_ENGINES = tuple(cls for cls in ENGINES if cls.name != "jax.grad")


class TracedPeak:
    """tracemalloc's view of a block: ``bytes`` is the peak of traced memory above the start."""

    method = "tracemalloc peak of traced bytes"

    def __enter__(self):
        tracemalloc.start()
        self.start = tracemalloc.get_traced_memory()[0]
        self.earlier = self.start  # the peak before restart_peak()
        return self

    def current(self):
        return tracemalloc.get_traced_memory()[0] - self.start

    def restart_peak(self):
        """From here on, a second peak (``steady``); ``bytes`` stays the peak of the whole block."""
        self.earlier = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()

    def __exit__(self, *exc):
        peak = tracemalloc.get_traced_memory()[1]
        self.bytes, self.steady = max(peak, self.earlier) - self.start, peak - self.start
        tracemalloc.stop()
        return False


class RssPeak(PeakMemory):
    """Peak RSS growth. After the warm-up, memory freed by it is reused without growing RSS,
    so this is a lower bound on what the steps allocate."""

    method = "peak RSS growth after warm-up (a lower bound: freed warm-up memory is reused)"

    def __enter__(self):
        super().__enter__()
        self.method = RssPeak.method
        return self

    def current(self):
        return rss_bytes() - self.start


def worker(engine_name, steps):
    """Runs in a fresh process: train ``steps`` steps, sampling memory after every step."""
    cls = next(c for c in ENGINES if c.name == engine_name)
    params = make_params(SIZES, DTYPE)
    batches = [make_batch(SIZES[0], SIZES[-1], BATCH, DTYPE, seed=seed) for seed in range(4)]
    try:
        cls(params, 0.01).step_fn(batches[0])()  # warm-up on a throwaway copy: lazy kernels and pools
    except ImportError as error:
        return {"status": "missing", "detail": str(error)}
    tenth = max(1, steps // 10)
    trace = []
    with RssPeak() if engine_name in RSS_ENGINES else TracedPeak() as peak:
        engine = cls(params, 0.01)
        step_fns = [engine.step_fn(batch) for batch in batches]
        getattr(peak, "restart_peak", lambda: None)()  # RSS has no second peak: no steady figure
        for k in range(steps):
            step_fns[k % len(step_fns)]()
            if (k + 1) % tenth == 0:
                gc.collect()  # a full collection also empties CPython's free lists: count live memory only
                trace.append(peak.current())
    growth = trace[-1] - trace[0]
    flat_limit = RSS_FLAT_LIMIT_BYTES if engine_name in RSS_ENGINES else FLAT_LIMIT_BYTES
    return {
        "status": "ok",
        "peak_bytes": peak.bytes,
        "steady_peak_bytes": getattr(peak, "steady", None),
        "growth_bytes": growth,
        "flat": growth <= flat_limit,
        "trace_bytes": trace,
        "steps": steps,
        "memory_method": peak.method,
    }


def run(settings, engines=MEMORY_ENGINES):
    """Rows for the report: peak MiB and the ratio to the hand-written network's peak."""
    steps = QUICK_STEPS if settings.quick else STEPS
    checks = check_engines((64, 32, 10), 16, DTYPE, engines)
    rows = []
    for cls in engines:
        row = {
            "workload": "e",
            "case": f"{steps} steps 784-256-128-10 f32 b{BATCH}",
            "engine": cls.name,
            "unit": "peak MiB",
            "ratio_to": HandWritten.name,
        }
        if isinstance(checks.get(cls.name), str):
            row.update(status="FAIL", detail=checks[cls.name])
        else:
            row.update(run_worker("benchmarks.memory", [cls.name, steps], timeout=600))
            row.setdefault("check", checks.get(cls.name))
        if row["status"] == "ok":
            row["value"] = row["peak_bytes"] / 2**20
        rows.append(row)
    reference = next((r for r in rows if r["engine"] == HandWritten.name and r["status"] == "ok"), None)
    for row in rows:
        if reference and row["status"] == "ok":
            row["memory_ratio"] = row["peak_bytes"] / max(reference["peak_bytes"], 1)
            if row.get("steady_peak_bytes") is not None and reference.get("steady_peak_bytes"):
                row["steady_ratio"] = row["steady_peak_bytes"] / reference["steady_peak_bytes"]
    return rows


if __name__ == "__main__":
    from .environment import pin_threads

    pin_threads()
    emit(worker(sys.argv[1], int(sys.argv[2])))
