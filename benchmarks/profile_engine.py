"""Where autograd_core's time goes: cProfile over workloads (a), (b), (c), per recorded op.

    python -m benchmarks.profile_engine [--only a,b,c] [--top 15]

For each workload it runs our engine's step many times under cProfile, counts the
primitives recorded (calls of the engine's ``_record``, or ``Tensor.apply`` in older
versions), and prints the functions with the most own time, as µs per recorded op and
as a share of the total. cProfile adds its own cost to every Python call (numbers are
inflated about 1.5-2x, more for small functions), so read the shares, and compare with
the timed suite.
"""

from benchmarks.environment import pin_threads

if __name__ == "__main__":  # as a program: before numpy is imported (importing changes nothing)
    pin_threads(1)

import argparse
import cProfile
import functools
import os
import pstats

import numpy as np

from benchmarks import chain, mlp_engines, scalar


def _mlp_step(sizes, batch_size, dtype):
    engine = mlp_engines.AutogradCore(mlp_engines.make_params(sizes, dtype), 0.01)
    return engine.step_fn(mlp_engines.make_batch(sizes[0], sizes[-1], batch_size, dtype))


def _scalar_expression():
    leaves, program = scalar.make_program()
    return scalar._ours(lambda ls, exp, relu: scalar.evaluate(program, ls, relu), leaves)


def _neuron():
    return scalar._ours(lambda ls, exp, relu: scalar.neuron(*ls, exp=exp), scalar.NEURON_INPUTS)


WORKLOADS = {  # letter -> [(name, make step, repeats)]
    "a": [
        ("(a) MLP 784-256-128-10 float32 b128", lambda: _mlp_step((784, 256, 128, 10), 128, np.float32), 150),
        ("(a) MLP 64-32-10 float64 b32", lambda: _mlp_step((64, 32, 10), 32, np.float64), 2000),
    ],
    "b": [("(b) 200-op chain on 16 elements", lambda: chain.autograd_core_grad(*chain.constants()), 300)],
    "c": [("(c) 1000-node scalar expression", _scalar_expression, 60), ("(c) cs231n neuron", _neuron, 6000)],
}


def profile(make_step, repeats):
    """(pstats.Stats, number of recorded ops) for ``repeats`` calls of the step."""
    step = make_step()
    step()  # warm-up outside the profile
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeats):
        step()
    profiler.disable()
    stats = pstats.Stats(profiler)
    calls_of = {}
    for (path, _, function), (_, calls, *_rest) in stats.stats.items():
        if path.endswith(os.path.join("autograd_core", "tensor.py")):
            calls_of[function] = calls_of.get(function, 0) + calls
    # every op is recorded by one function: ``_record`` since a1e6ae8 (``Tensor.apply`` calls it), before: ``apply``
    ops = calls_of.get("_record") or calls_of.get("apply", 0)
    return stats, ops


@functools.cache
def _source_lines(path):
    try:
        with open(path) as f:
            return f.read().splitlines()
    except OSError:
        return []


def qualified(path, line, function):
    """``Class.method`` for a method (cProfile only knows the bare name: every primitive has a ``vjp``)."""
    for text in reversed(_source_lines(path)[:line]):
        if text.startswith("class "):
            return text[6:].split("(")[0].split(":")[0] + "." + function
        if text.startswith("def "):
            break
    return function


def report_lines(name, stats, ops, top):
    """Text lines: the top functions by own time, per recorded op."""
    total = stats.total_tt
    lines = [
        f"{name}: {ops:,} ops recorded, {total / max(ops, 1) * 1e6:.2f} µs per op under cProfile",
        f"  {'own µs/op':>9}  {'share':>6}  {'calls/op':>8}  function",
    ]
    rows = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)[:top]
    for (path, line, function), (_, calls, own, _cumulative, _) in rows:
        where = f"{os.path.relpath(path)}:{line}" if not path.startswith("~") else "builtin"
        lines.append(
            f"  {own / max(ops, 1) * 1e6:9.3f}  {own / total:6.1%}  {calls / max(ops, 1):8.2f}  "
            f"{qualified(path, line, function)}  ({where})"
        )
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile_engine", description=__doc__.split("\n")[0])
    parser.add_argument("--only", default="a,b,c", help="workloads to profile, from a,b,c")
    parser.add_argument("--top", type=int, default=15, help="functions to list per workload")
    args = parser.parse_args(argv)
    for letter in [w.strip() for w in args.only.split(",") if w.strip()]:
        if letter not in WORKLOADS:
            parser.error(f"--only: unknown workload {letter!r}; choose from a,b,c")
        for name, make_step, repeats in WORKLOADS[letter]:
            stats, ops = profile(make_step, repeats)
            print("\n".join(report_lines(name, stats, ops, args.top)) + "\n", flush=True)


if __name__ == "__main__":
    main()
