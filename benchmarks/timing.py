"""Measuring: interleaved repeats, per-round ratios with their spread, and the gradient checks.

Shared machines are noisy, so engines are never timed one after the other: each
round times a block of calls of every engine, in an order rotated round by round,
and the figure kept is the median over rounds. A ratio between two engines is
computed *within* each round (the two blocks ran seconds apart, under the same
load) and reported as the median of those per-round ratios with their min-max
spread. The clock is wall time (``time.perf_counter``) or, for a loaded machine,
the process's CPU time (``time.process_time``: every thread of this process, so
BLAS or XLA helper threads count, while time spent waiting for a core does not).
"""

import gc
import resource
import statistics
import time

import numpy as np

CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


class Settings:
    """How hard to measure: ``rounds`` blocks per engine of about ``block_seconds`` each, on
    ``clock`` ("wall" or "cpu", see ``CLOCKS``).

    >>> Settings.quick().rounds, Settings(clock="cpu").timer is time.process_time
    (3, True)
    """

    def __init__(self, rounds=7, block_seconds=0.15, quick=False, clock="wall"):
        if clock not in CLOCKS:
            raise ValueError(f"Settings: clock must be one of {sorted(CLOCKS)}, got {clock!r}")
        self.rounds, self.block_seconds, self.quick, self.clock = rounds, block_seconds, quick, clock

    @property
    def timer(self):
        """The clock's function: seconds as a float, differences meaningful."""
        return CLOCKS[self.clock]

    @classmethod
    def quick(cls, clock="wall"):
        return cls(rounds=3, block_seconds=0.04, quick=True, clock=clock)


def ratio_spread(reference_samples, samples):
    """Per-round speed ratios ``reference[i] / samples[i]`` (seconds per call, round by round):
    their median, min and max. A ratio above 1 means faster than the reference.

    >>> ratio_spread([2.0, 2.0, 3.0], [4.0, 2.0, 2.0])
    {'median': 1.0, 'min': 0.5, 'max': 1.5, 'per_round': [0.5, 1.0, 1.5]}
    """
    if len(reference_samples) != len(samples) or not samples:
        raise ValueError(
            f"ratio_spread: need one sample per round on both sides, got {len(reference_samples)} and {len(samples)}"
        )
    if min(samples) <= 0:
        raise ValueError(f"ratio_spread: a sample of {min(samples)!r} s cannot be divided by; time longer blocks")
    ratios = [ref / own for ref, own in zip(reference_samples, samples)]
    return {"median": statistics.median(ratios), "min": min(ratios), "max": max(ratios), "per_round": ratios}


def interleaved(calls, settings, gc_during_timing=True):
    """Median seconds per call of each zero-argument callable in ``calls`` (a dict name -> fn).

    Each callable is first run once (warm-up, and to size its block so one block lasts
    about ``settings.block_seconds``); then ``settings.rounds`` rounds time one block of
    every callable, starting each round at a different callable.

    The garbage collector treats every engine alike. With ``gc_during_timing=True`` the
    heap is frozen (``gc.freeze``) before each block, so a collection triggered inside it
    walks only that engine's new objects, and a final ``gc.collect()`` inside the timed
    span charges the engine for the garbage it left. With ``False`` the collector is
    paused inside each block (garbage is collected between blocks, untimed): the cost of
    an engine's reference cycles then disappears from its figure.

    >>> medians = interleaved({"sum": lambda: sum(range(100))}, Settings.quick())
    >>> medians["sum"]["median_s"] > 0
    True
    """
    names, clock = list(calls), settings.timer
    block = {}
    for name in names:
        start = clock()
        calls[name]()
        elapsed = clock() - start
        block[name] = max(1, int(settings.block_seconds / max(elapsed, 1e-9)))
    samples, faults = {name: [] for name in names}, {name: [] for name in names}
    for round_index in range(settings.rounds):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            fn, count = calls[name], block[name]
            gc.collect()  # the previous engine's garbage is not ours
            gc.freeze()
            if not gc_during_timing:
                gc.disable()
            try:
                touched, start = _minor_faults(), clock()
                for _ in range(count):
                    fn()
                if gc_during_timing:
                    gc.collect()  # this engine's garbage, charged to it
                samples[name].append((clock() - start) / count)
                faults[name].append((_minor_faults() - touched) / count)
            finally:
                gc.enable()
                gc.unfreeze()
    return {
        name: {
            "median_s": statistics.median(samples[name]),
            "samples_s": samples[name],
            "calls_per_block": block[name],
            "page_faults_per_call": statistics.median(faults[name]),  # memory the kernel had to map afresh
        }
        for name in names
    }


def _minor_faults():
    """Page faults of this process so far that needed no disk: first touches of fresh memory."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def relative_error(got, expected):
    """max |got - expected| / max |expected| (a normwise relative error; 0 when both are 0).

    >>> round(relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.000002])), 9)
    1e-06
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
            raise CheckFailed(
                f"{engine}: gradient {index} (shape {np.shape(g)}) is off by a relative "
                f"{error:.2e} (> {tolerance:g}) from the reference"
            )
        worst = max(worst, error)
    return worst


def compare(calls, reference, settings, unit_count=1, gc_during_timing=True):
    """Time ``calls`` interleaved and express each against ``calls[reference]``.

    Returns name -> {median_s, samples_s, per_unit_s, speed_ratio, ratio_spread}:
    ``speed_ratio`` is the median over rounds of the engine's speed as a fraction of the
    reference's in the same round (0.5 = twice as slow), ``ratio_spread`` their (min, max),
    and ``per_unit_s`` the median time divided by ``unit_count`` (ops, nodes, ...). Without
    the reference among ``calls`` both ratio fields are None.
    """
    timed = interleaved(calls, settings, gc_during_timing)
    ref = timed[reference]["samples_s"] if reference in timed else None
    for entry in timed.values():
        entry["per_unit_s"] = entry["median_s"] / unit_count
        entry["speed_ratio"] = entry["ratio_spread"] = None
        if ref:
            spread = ratio_spread(ref, entry["samples_s"])
            entry["speed_ratio"], entry["ratio_spread"] = spread["median"], (spread["min"], spread["max"])
    return timed


def timed_fields(entry):
    """The fields a report row takes from one ``compare`` entry (figures, samples, ratio, spread)."""
    return {
        "median_s": entry["median_s"],
        "samples_s": entry["samples_s"],
        "ratio": entry["speed_ratio"],
        "ratio_spread": entry["ratio_spread"],
        "page_faults_per_call": entry["page_faults_per_call"],
    }
