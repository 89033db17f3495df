"""Two versions of autograd_core side by side in ONE process: ``python -m benchmarks.versus OLD_CHECKOUT``.

For a change that should not cost speed, on a shared (noisy) machine. The checkout at
OLD_CHECKOUT (e.g. ``git worktree add /tmp/before <commit>``) and this one are imported
under two names; every round times a short block of each engine's step, in an order
rotated round by round, in **CPU time of this thread** (``time.thread_time``: time the
machine gives to other work does not count, which wall-clock medians do not escape when
the cores are shared). Printed: the median and interquartile range over rounds of each
version's speed ratio to the hand-written network, and of new/old speed.
"""

from benchmarks.environment import pin_allocator, pin_threads

if __name__ == "__main__":
    pin_threads(1)

import argparse
import gc
import importlib.util
import os
import statistics
import sys
import time

from benchmarks import chain
from benchmarks.mlp import CASES, LEARNING_RATE
from benchmarks.mlp_engines import HandWritten, make_batch, make_params

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load(alias, checkout):
    """Import ``checkout``/autograd_core as the package ``alias`` (its own modules use relative imports)."""
    package = os.path.join(checkout, "autograd_core")
    spec = importlib.util.spec_from_file_location(
        alias, os.path.join(package, "__init__.py"), submodule_search_locations=[package]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[alias] = module
    spec.loader.exec_module(module)
    return module


def mlp_loss(params, X, Y):
    """The benchmark's MLP loss (as mlp_engines.AutogradCore), for any version's Tensors."""
    h = X
    for k in range(0, len(params), 2):
        h = h @ params[k] + params[k + 1]
        if k < len(params) - 2:
            h = h.relu()
    return -(h.log_softmax(axis=-1) * Y).sum() / X.shape[0]


def training_step(ag, initial, batch, compiled):
    """One SGD step of ``ag``'s MLP (define-by-run, or through ag.compile once it replays)."""
    params = [ag.Tensor(p.copy(), requires_grad=True) for p in initial]
    X, Y = ag.Tensor(batch.X), ag.Tensor(batch.Y)
    run = ag.compile(lambda X, Y: mlp_loss(params, X, Y)) if compiled else None

    def step():
        if run is None:
            mlp_loss(params, X, Y).backward()
        else:
            run(X, Y)
        for p in params:
            p.data -= LEARNING_RATE * p.grad
            p.grad = None

    for _ in range(3):
        step()
    if run is not None and not run.replay_count:
        raise RuntimeError(f"ag.compile did not replay: {run.fallback_reason}")
    return step


def chain_step(ag):
    x0, a0, b0 = chain.constants()
    a, b = ag.Tensor(a0), ag.Tensor(b0)

    def step():
        x = ag.Tensor(x0, requires_grad=True)
        chain._chain(x, a, b, ag.Tensor.tanh, ag.Tensor.exp).backward()

    return step


def cpu_time_rounds(calls, rounds, block_seconds=0.005):
    """name -> CPU seconds per call, one sample per round (interleaved, rotated)."""
    count = {}
    for name, fn in calls.items():
        start = time.thread_time()
        fn()
        count[name] = max(1, int(block_seconds / max(time.thread_time() - start, 1e-6)))
    samples, names = {name: [] for name in calls}, list(calls)
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            fn, n = calls[name], count[name]
            gc.collect()
            start = time.thread_time()
            for _ in range(n):
                fn()
            samples[name].append((time.thread_time() - start) / n)
    return samples


def spread(values):
    """'median [IQR low-high]' of a list of ratios.

    >>> spread([1.0, 2.0, 3.0, 4.0])
    '2.500 [IQR 2.000-4.000]'
    """
    values = sorted(values)
    return f"{statistics.median(values):.3f} [IQR {values[len(values) // 4]:.3f}-{values[3 * len(values) // 4]:.3f}]"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.versus", description=__doc__.split("\n")[0])
    parser.add_argument("old", help="a checkout of the version to compare with (e.g. a git worktree)")
    parser.add_argument("--rounds", type=int, default=60, help="interleaved rounds (default %(default)s)")
    args = parser.parse_args(argv)
    pin_allocator()  # both versions alike: page faults independent of which ran before (environment.py)
    if not os.path.isfile(os.path.join(args.old, "autograd_core", "__init__.py")):
        parser.error(
            f"{args.old}: not a checkout (no autograd_core/__init__.py); make one with "
            "git worktree add /tmp/before <commit>"
        )
    versions = {"old": load("autograd_core_old", args.old), "new": load("autograd_core_new", HERE)}
    for name, sizes, batch_size, dtype in CASES:
        initial, batch = make_params(sizes, dtype), make_batch(sizes[0], sizes[-1], batch_size, dtype)
        calls = {"hand-written": HandWritten(initial, LEARNING_RATE).step_fn(batch)}
        for version, ag in versions.items():
            calls[f"eager {version}"] = training_step(ag, initial, batch, compiled=False)
            calls[f"compile {version}"] = training_step(ag, initial, batch, compiled=True)
        s = cpu_time_rounds(calls, args.rounds)
        for kind in ("eager", "compile"):
            ratio = {v: [h / t for h, t in zip(s["hand-written"], s[f"{kind} {v}"])] for v in versions}
            print(
                f"{name} {kind}: vs hand-written old {spread(ratio['old'])}, new {spread(ratio['new'])}; "
                f"new/old speed {spread([o / n for n, o in zip(s[f'{kind} new'], s[f'{kind} old'])])}",
                flush=True,
            )
    s = cpu_time_rounds({f"per-op {v}": chain_step(ag) for v, ag in versions.items()}, args.rounds)
    print(
        f"per-op overhead (us/op): old {spread([t / chain.LENGTH * 1e6 for t in s['per-op old']])}, "
        f"new {spread([t / chain.LENGTH * 1e6 for t in s['per-op new']])}; new/old time "
        f"{spread([n / o for n, o in zip(s['per-op new'], s['per-op old'])])}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
