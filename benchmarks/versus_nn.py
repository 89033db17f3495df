"""Two versions of ``nn`` side by side in ONE process: ``python -m benchmarks.versus_nn OLD_CHECKOUT``.

For a change to ``nn`` (losses, optimizers) that must make the README's idiom faster: the
``nn`` package of OLD_CHECKOUT is imported as ``nn_old`` next to this one (both on this
checkout's autograd_core), and every round times a ~5 ms block of each version's step,
alternating which goes first, in **CPU time of this thread** (as ``benchmarks.versus``).
The steps: ``nn.MLP`` + ``F.cross_entropy(model(X), y)`` + ``nn.optim.SGD`` / ``Adam``,
eager and through ``ag.compile``, float32, then the optimizers' ``step()`` alone. Printed:
each version's median µs per step and the median and interquartile range of new/old speed.
"""

from benchmarks.environment import pin_allocator, pin_threads

if __name__ == "__main__":
    pin_threads(1)

import argparse
import importlib.util
import os
import statistics
import sys
import time

import numpy as np

import autograd_core as ag
import nn

SIZES = ([784, 256, 128, 10], 128), ([64, 32, 10], 32)


def load_nn(alias, checkout):
    """Import ``checkout``/nn as the package ``alias`` (nn's own modules use relative imports)."""
    package = os.path.join(checkout, "nn")
    spec = importlib.util.spec_from_file_location(
        alias, os.path.join(package, "__init__.py"), submodule_search_locations=[package]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[alias] = module
    spec.loader.exec_module(module)
    return module


def optimizer(nn_module, model, name, lr):
    return getattr(nn_module.optim, name)(model.parameters(), lr=lr)


def training_step(nn_module, sizes, batch, name, compiled):
    """zero_grad, loss and gradients (eager or compiled), optimizer step: the README's loop."""
    rng = np.random.default_rng(0)
    model = nn_module.MLP(sizes, seed=0, dtype=np.float32)
    X = ag.Tensor(rng.standard_normal((batch, sizes[0])).astype(np.float32))
    y = rng.integers(0, sizes[-1], batch)
    F, opt = nn_module.functional, optimizer(nn_module, model, name, 1e-3)
    compiled_loss = ag.compile(lambda X, y: F.cross_entropy(model(X), y)) if compiled else None

    def step():
        opt.zero_grad()
        if compiled_loss is not None:
            compiled_loss(X, y)
        else:
            F.cross_entropy(model(X), y).backward()
        opt.step()

    for _ in range(3):  # trace, adopt the plan, replay
        step()
    return step


def optimizer_step(nn_module, sizes, name):
    model = nn_module.MLP(sizes, seed=0, dtype=np.float32)
    for p in model.parameters():
        p.grad = np.ones_like(p.data)
    return optimizer(nn_module, model, name, 1e-9).step


def seconds_per_call(call, block_seconds=0.005):
    calls, start = 0, time.thread_time()
    while True:
        call()
        calls += 1
        spent = time.thread_time() - start
        if spent >= block_seconds:
            return spent / calls


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", help="a checkout of this repository (e.g. a git worktree of the old commit)")
    parser.add_argument("--rounds", type=int, default=60, help="interleaved rounds (default %(default)s)")
    args = parser.parse_args(argv)
    pin_allocator()  # both versions alike: page faults independent of which ran before (environment.py)
    versions = {"old": load_nn("nn_old", os.path.abspath(args.old)), "new": nn}
    cases = {}
    for sizes, batch in SIZES:
        shape = "-".join(map(str, sizes))
        for name in ("SGD", "Adam"):
            for compiled in (False, True):
                label = f"{'compiled' if compiled else 'eager'} {shape} float32 {name}"
                cases[label] = {v: training_step(m, sizes, batch, name, compiled) for v, m in versions.items()}
    for sizes, _ in SIZES:
        for name in ("SGD", "Adam"):
            label = f"{name}.step() alone, {'-'.join(map(str, sizes))}"
            cases[label] = {v: optimizer_step(m, sizes, name) for v, m in versions.items()}
    times = {(label, v): [] for label in cases for v in versions}
    for r in range(args.rounds):
        for label, steps in cases.items():
            for v in list(steps)[:: 1 if r % 2 == 0 else -1]:
                times[(label, v)].append(seconds_per_call(steps[v]))
    print(f"{'step':42s} {'old µs':>8s} {'new µs':>8s}  new/old speed [IQR], {args.rounds} rounds")
    for label in cases:
        old, new = times[(label, "old")], times[(label, "new")]
        ratios = sorted(o / n for o, n in zip(old, new))
        quartile = len(ratios) // 4
        print(
            f"{label:42s} {statistics.median(old) * 1e6:8.1f} {statistics.median(new) * 1e6:8.1f}  "
            f"{statistics.median(ratios):.3f} [{ratios[quartile]:.3f}-{ratios[-1 - quartile]:.3f}]"
        )


if __name__ == "__main__":
    main()
