"""Workload (g): width — the backward of ``ag.stack`` of N scalars: one node with N inputs.

``loss = (stack([x_0, ..., x_{N-1}]) * w).sum()`` with w_i = 1 + i % 7 on 0-d float64
leaves (0-d tensors in torch), N = 10^3, 10^4, 10^5; the gradient has the closed form
dloss/dx_i = w_i, checked exactly before any figure is kept. Only the backward is timed
(the graph is rebuilt, untimed, before each repeat), with the cyclic garbage collector
paused: the figure is the engine's cost per input, which must stay flat as N grows
(backward is O(total edges): a node with N inputs costs O(N), not O(N^2)).
"""

import gc
import statistics
import time

import numpy as np

from . import peers
from .timing import ratio_spread

SIZES = (1_000, 10_000, 100_000)


def _ours(n):
    import autograd_core as ag

    xs = [ag.Tensor(float(i), requires_grad=True) for i in range(n)]
    loss = (ag.stack(xs) * _weights(n)).sum()
    return loss.backward, lambda: np.array([float(x.grad) for x in xs])


def _torch(n):
    torch = peers.torch()
    if not torch:
        raise ImportError(torch.reason)
    xs = [torch.tensor(float(i), dtype=torch.float64, requires_grad=True) for i in range(n)]
    loss = (torch.stack(xs) * torch.from_numpy(_weights(n))).sum()
    return loss.backward, lambda: np.array([x.grad.item() for x in xs])


def _weights(n):
    return 1.0 + np.arange(n) % 7


ENGINES = {"autograd_core": _ours, "torch": _torch}


def backward_seconds(build, n, repeats, clock=time.perf_counter):
    """Seconds of ``repeats`` backward passes (each on a freshly built graph) on ``clock``:
    {"backward_s": median, "samples_s": [...]}, or a FAIL dict."""
    times = []
    for _ in range(repeats):
        backward, gradients = build(n)
        gc.collect()
        gc.disable()
        try:
            start = clock()
            backward()
            times.append(clock() - start)
        finally:
            gc.enable()
        got = gradients()
        if not np.array_equal(got, _weights(n)):
            wrong = int(np.argmax(got != _weights(n)))
            return {
                "status": "FAIL",
                "detail": f"gradient of x_{wrong} is {got[wrong]!r}, expected {_weights(n)[wrong]!r}",
            }
    return {"backward_s": statistics.median(times), "samples_s": times}


def run(settings, engines=ENGINES, sizes=SIZES):
    """Rows for the report: µs per input of the backward, and the ratio to torch's.

    ``engines`` maps a name to a builder: n -> (backward, gradients as an array).
    """
    rows = []
    for n in sizes:
        repeats = 1 if settings.quick and n >= 100_000 else 3 if n >= 100_000 else 5
        for engine in engines:
            row = {
                "workload": "g",
                "case": f"stack of {n:,}",
                "engine": engine,
                "unit": "µs/input",
                "ratio_to": "torch",
            }
            try:
                timed = backward_seconds(engines[engine], n, repeats, settings.timer)
            except ImportError as error:
                row.update(status="missing", detail=str(error))
            else:
                if "status" in timed:
                    row.update(timed)
                else:
                    row.update(status="ok", check=0.0, value=timed["backward_s"] / n * 1e6, repeats=repeats, **timed)
            rows.append(row)
        torch_row = next((r for r in rows[-len(engines) :] if r["engine"] == "torch" and r["status"] == "ok"), None)
        for row in rows[-len(engines) :]:
            if torch_row and row["status"] == "ok":
                row["ratio"] = torch_row["backward_s"] / row["backward_s"]
                spread = ratio_spread(torch_row["samples_s"], row["samples_s"])  # repeats paired by order
                row["ratio_spread"] = (spread["min"], spread["max"])
    return rows
