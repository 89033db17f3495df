"""Workload (a): one MLP training step, steps/s and the ratio to the hand-written network.

Before timing, every engine's gradients are checked against the hand-written
delta rule on the same weights and batch: in float64 to 1e-6 relative, and for a
float32 case also in float32 (gradients must stay float32, 1e-4 relative).
An engine that fails is shown as FAIL and not timed.
"""

import numpy as np

from .mlp_engines import ENGINES, HandWritten, make_batch, make_params
from .timing import CheckFailed, check_arrays, compare, timed_fields

LEARNING_RATE = 0.01
CASES = (  # (name, layer sizes, batch size, dtype)
    ("784-256-128-10 float32 b128", (784, 256, 128, 10), 128, np.float32),
    ("784-256-128-10 float64 b128", (784, 256, 128, 10), 128, np.float64),
    ("64-32-10 float64 b32", (64, 32, 10), 32, np.float64),
)
FLOAT64_TOLERANCE = 1e-6
FLOAT32_TOLERANCE = 1e-4


def build_engines(sizes, dtype, engine_classes=ENGINES, seed=0):
    """name -> engine instance (all from the same initial weights), and name -> reason for the
    engines that could not be built (a peer that is not installed)."""
    params = make_params(sizes, dtype, seed)
    engines, missing = {}, {}
    for cls in engine_classes:
        try:
            engines[cls.name] = cls(params, LEARNING_RATE)
        except ImportError as error:
            missing[cls.name] = str(error)
    return engines, missing


def check_engines(sizes, batch_size, dtype, engine_classes=ENGINES):
    """name -> largest relative error (float) or the CheckFailed/Exception message (str)."""
    outcome = {}
    dtypes = [np.float64] if dtype == np.float64 else [np.float64, dtype]
    for check_dtype in dtypes:
        engines, _ = build_engines(sizes, check_dtype, engine_classes)
        batch = make_batch(sizes[0], sizes[-1], batch_size, check_dtype)
        reference_loss, reference = HandWritten(make_params(sizes, check_dtype), 0).gradients(batch)
        tolerance = FLOAT64_TOLERANCE if check_dtype == np.float64 else FLOAT32_TOLERANCE
        for name, engine in engines.items():
            if isinstance(outcome.get(name), str):
                continue  # already failed in float64
            try:
                loss, grads = engine.gradients(batch)
                worst = check_arrays(name, grads, reference, tolerance, dtype=check_dtype)
                if not abs(loss - reference_loss) <= tolerance * abs(reference_loss):
                    raise CheckFailed(f"{name}: loss {loss!r} but the reference is {reference_loss!r}")
                outcome[name] = max(worst, outcome.get(name, 0.0))
            except CheckFailed as error:
                outcome[name] = f"FAIL: {error}"
            except Exception as error:  # noqa: BLE001 (a crash is a failure too, with its message)
                outcome[name] = f"FAIL: {type(error).__name__}: {error}"
    return outcome


def run(settings, engine_classes=ENGINES, cases=CASES):
    """Rows for the report: one per (case, engine)."""
    rows = []
    for case, sizes, batch_size, dtype in cases:
        checks = check_engines(sizes, batch_size, dtype, engine_classes)
        engines, missing = build_engines(sizes, dtype, engine_classes)
        batch = make_batch(sizes[0], sizes[-1], batch_size, dtype)
        calls = {
            name: engine.step_fn(batch) for name, engine in engines.items() if not isinstance(checks.get(name), str)
        }
        timed = compare(calls, HandWritten.name, settings)
        for cls in engine_classes:
            name = cls.name
            row = {"workload": "a", "case": case, "engine": name, "unit": "steps/s", "ratio_to": HandWritten.name}
            if name in missing:
                row.update(status="missing", detail=missing[name])
            elif isinstance(checks[name], str):
                row.update(status="FAIL", detail=checks[name])
            else:
                entry = timed[name]
                row.update(status="ok", check=checks[name], value=1.0 / entry["median_s"], **timed_fields(entry))
            rows.append(row)
    return rows
