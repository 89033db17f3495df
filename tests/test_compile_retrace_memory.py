"""ag.compile keeps its generated code in linecache (tracebacks show it) only while the plan lives:
memory stays flat however often a step is retraced."""

import gc
import linecache
import sys

import numpy as np

import autograd_core as ag
from autograd_core import Tensor


def compiled_entries():
    return {name: entry for name, entry in linecache.cache.items() if str(name).startswith("<ag.compile")}


def test_retracing_keeps_linecache_and_memory_flat():
    W = Tensor(np.random.default_rng(0).normal(size=(4, 3)), requires_grad=True)
    step = ag.compile(lambda X: (X @ W).relu().sum())
    X = Tensor(np.ones((2, 4)))
    done, seen = 0, {}
    for count in (50, 300):
        while done < count:
            step.retrace()
            step(X)
            step(X)  # the second agreeing trace generates and adopts a plan
            done += 1
        gc.collect()
        entries = compiled_entries()
        # sys.getallocatedblocks, not tracemalloc: tracemalloc itself keeps every filename
        # that appeared in a traced frame, which would look like a leak of the plans' names
        seen[count] = (len(entries), sum(len("".join(e[2])) for e in entries.values()), sys.getallocatedblocks())
    assert step.trace_count == 600
    (entries_before, chars_before, blocks_before), (entries_after, chars_after, blocks_after) = seen[50], seen[300]
    assert entries_before == entries_after == 1 and chars_before == chars_after
    # before: ~4.6 KiB of source lines (~25 blocks) per retrace, 6,000 blocks over these 250
    assert blocks_after - blocks_before < 1_000, seen


def test_a_live_plan_keeps_its_code_in_linecache_for_tracebacks_and_takes_it_along():
    W = Tensor(np.ones((3, 2)), requires_grad=True)
    step = ag.compile(lambda X: (X @ W).sum())
    X = Tensor(np.ones((2, 3)))
    step(X)
    step(X)
    plan_files = list(compiled_entries())
    assert len(plan_files) == 1
    lines = linecache.getlines(plan_files[0])
    assert lines[0] == "def run(args, trial=False):\n" and "".join(lines) == step.source
    del step
    gc.collect()
    assert not compiled_entries()  # gone with the plan
