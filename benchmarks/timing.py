"""Measuring: interleaved repeats and medians, and the gradient checks every workload runs first.

Shared machines are noisy, so engines are never timed one after the other: each
round times a block of calls of every engine, in an order rotated round by round,
and the figure kept is the median over rounds. Headlines are ratios between
engines measured this way in the same process.
"""
import gc
import statistics
import time

import numpy as np


class Settings:
    """How hard to measure: ``rounds`` blocks per engine of about ``block_seconds`` each.

    >>> Settings.quick().rounds
    3
    """

    def __init__(self, rounds=7, block_seconds=0.15, quick=False):
        self.rounds, self.block_seconds, self.quick = rounds, block_seconds, quick

    @classmethod
    def quick(cls):
        return cls(rounds=3, block_seconds=0.04, quick=True)


def interleaved(calls, settings, gc_during_timing=True):
    """Median seconds per call of each zero-argument callable in ``calls`` (a dict name -> fn).

    Each callable is first run once (warm-up, and to size its block so one block lasts
    about ``settings.block_seconds``); then ``settings.rounds`` rounds time one block of
    every callable, starting each round at a different callable. With
    ``gc_during_timing=False`` the cyclic garbage collector is paused inside each block
    (garbage is still collected between blocks, untimed): the cost of an engine's
    reference cycles then disappears from its figure.

    >>> medians = interleaved({"sum": lambda: sum(range(100))}, Settings.quick())
    >>> medians["sum"]["median_s"] > 0
    True
    """
    names = list(calls)
    block = {}
    for name in names:
        start = time.perf_counter()
        calls[name]()
        elapsed = time.perf_counter() - start
        block[name] = max(1, int(settings.block_seconds / max(elapsed, 1e-9)))
    samples = {name: [] for name in names}
    for round_index in range(settings.rounds):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            fn, count = calls[name], block[name]
            gc.collect()  # a collection triggered by the previous engine's garbage is not ours
            if not gc_during_timing:
                gc.disable()
            try:
                start = time.perf_counter()
                for _ in range(count):
                    fn()
                samples[name].append((time.perf_counter() - start) / count)
            finally:
                gc.enable()
    return {name: {"median_s": statistics.median(samples[name]), "samples_s": samples[name],
                   "calls_per_block": block[name]} for name in names}


def relative_error(got, expected):
    """max |got - expected| / max |expected| (a normwise relative error; 0 when both are 0).

    >>> relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.000002]))  # doctest: +ELLIPSIS
    1.0000...e-06
    """
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if got.shape != expected.shape:
        return float("inf")
    scale = float(np.max(np.abs(expected))) if expected.size else 0.0
    error = float(np.max(np.abs(got - expected))) if expected.size else 0.0
    if not np.isfinite(error):
        return float("inf")
    return error / scale if scale > 0 else error


class CheckFailed(Exception):
    """An engine computed a gradient that differs from the reference: it is not timed."""


def check_arrays(engine, got, expected, tolerance, dtype=None):
    """Raise ``CheckFailed`` naming the first array whose relative error exceeds ``tolerance``
    (or whose dtype is not ``dtype``); return the largest relative error otherwise.

    >>> check_arrays("mine", [np.ones(2)], [np.ones(2)], 1e-6)
    0.0
    """
    if len(got) != len(expected):
        raise CheckFailed(f"{engine}: {len(got)} gradients, expected {len(expected)}")
    worst = 0.0
    for index, (g, e) in enumerate(zip(got, expected)):
        g = np.asarray(g)
        if dtype is not None and g.dtype != dtype:
            raise CheckFailed(f"{engine}: gradient {index} has dtype {g.dtype}, expected {np.dtype(dtype)}")
        error = relative_error(g, e)
        if not error <= tolerance:
            raise CheckFailed(f"{engine}: gradient {index} (shape {np.shape(g)}) is off by a relative "
                              f"{error:.2e} (> {tolerance:g}) from the reference")
        worst = max(worst, error)
    return worst


def compare(calls, reference, settings, unit_count=1, gc_during_timing=True):
    """Time ``calls`` interleaved and express each against ``calls[reference]``.

    Returns name -> {median_s, per_unit_s, speed_ratio}: ``speed_ratio`` is the
    engine's speed as a fraction of the reference's (0.5 = twice as slow), and
    ``per_unit_s`` the median divided by ``unit_count`` (ops, nodes, ...).
    """
    timed = interleaved(calls, settings, gc_during_timing)
    ref = timed[reference]["median_s"] if reference in timed else None
    for entry in timed.values():
        entry["per_unit_s"] = entry["median_s"] / unit_count
        entry["speed_ratio"] = ref / entry["median_s"] if ref else None
    return timed
