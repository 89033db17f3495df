"""Workload (b): per-op overhead — forward and backward of a 200-op elementwise chain on 16 numbers.

The chain repeats (tanh, * a, + b, exp) fifty times, with constant vectors ``a``
and ``b`` (values stay in (0.1, 7), so nothing overflows), then sums. On 16
elements numpy's work is negligible: the time per op is the engine's bookkeeping.
Constants are made once in each engine's own type (Tensor, torch tensor, ndarray),
as a user would. µs/op = (forward + sum + backward) / 200.
"""

import numpy as np

from . import peers
from .timing import CheckFailed, check_arrays, compare, timed_fields

LENGTH = 200
SIZE = 16
TOLERANCE = 1e-6


def constants(seed=2):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, SIZE), rng.uniform(0.5, 1.5, SIZE), rng.uniform(-0.5, 0.5, SIZE)


def hand_written(x, a, b):
    """Forward values kept by hand, then the chain rule by hand: the limit for numpy."""
    outputs = []
    y = x
    for k in range(LENGTH):
        step = k % 4
        y = np.tanh(y) if step == 0 else y * a if step == 1 else y + b if step == 2 else np.exp(y)
        outputs.append(y)
    g = np.ones_like(x)
    # 1 as a 0-d array of x's dtype: numpy subtracts from it ~280 ns faster than from the Python 1 (whose
    # dtype it first works out, NEP 50), as the engine's tanh' does; the reference keeps the best numpy form
    one = np.ones((), x.dtype)
    for k in reversed(range(LENGTH)):
        step = k % 4
        if step == 0:
            g = g * (one - outputs[k] * outputs[k])
        elif step == 1:
            g = g * a
        elif step == 3:
            g = g * outputs[k]
    return g


def _chain(y, a, b, tanh, exp):
    for k in range(LENGTH):
        step = k % 4
        y = tanh(y) if step == 0 else y * a if step == 1 else y + b if step == 2 else exp(y)
    return y.sum()


def autograd_core_grad(x0, a0, b0):
    import autograd_core as ag

    a, b = ag.Tensor(a0), ag.Tensor(b0)

    def run():
        x = ag.Tensor(x0, requires_grad=True)
        _chain(x, a, b, ag.Tensor.tanh, ag.Tensor.exp).backward()
        return x.grad

    return run


def torch_grad(x0, a0, b0):
    torch = peers.torch()
    if not torch:
        raise ImportError(torch.reason)
    a, b = torch.from_numpy(a0), torch.from_numpy(b0)

    def run():
        x = torch.tensor(x0, requires_grad=True)
        _chain(x, a, b, torch.tanh, torch.exp).backward()
        return x.grad.numpy()

    return run


def hips_grad(x0, a0, b0):
    found = peers.hips_autograd()
    if not found:
        raise ImportError(found.reason)
    autograd, anp, _ = found
    gradient = autograd.grad(lambda x: _chain(x, a0, b0, anp.tanh, anp.exp))
    return lambda: gradient(x0)


ENGINES = {
    "hand-written": lambda x, a, b: lambda: hand_written(x, a, b),
    "autograd_core": autograd_core_grad,
    "torch": torch_grad,
    "HIPS autograd": hips_grad,
}


def run(settings, engines=ENGINES):
    """Rows for the report: µs per op and the speed ratio to the hand-written chain."""
    x, a, b = constants()
    reference = hand_written(x, a, b)
    calls, rows = {}, {}
    for name, make in engines.items():
        row = {
            "workload": "b",
            "case": f"{LENGTH}-op chain, {SIZE} elements",
            "engine": name,
            "unit": "µs/op",
            "ratio_to": "hand-written",
        }
        rows[name] = row
        try:
            fn = make(x, a, b)
        except ImportError as error:
            row.update(status="missing", detail=str(error))
            continue
        try:
            row["check"] = check_arrays(name, [fn()], [reference], TOLERANCE, dtype=np.float64)
            calls[name] = fn
        except CheckFailed as error:
            row.update(status="FAIL", detail=str(error))
        except Exception as error:  # noqa: BLE001 (a crash is a failure too, with its message)
            row.update(status="FAIL", detail=f"{type(error).__name__}: {error}")
    timed = compare(calls, "hand-written", settings, unit_count=LENGTH)
    for name, entry in timed.items():
        rows[name].update(status="ok", value=entry["per_unit_s"] * 1e6, **timed_fields(entry))
    return list(rows.values())
