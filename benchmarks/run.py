"""Run the benchmark suite: ``python -m benchmarks.run [--quick] [--only a,b] [--json PATH]``.

Workloads (see benchmarks/README.md): a = MLP training step, b = per-op overhead,
c = scalar graphs, d = depth, e = memory over training, f = python -m nn.train (the
command, and its epoch against a hand-written numpy loop),
g = width (backward of one node with 10^5 inputs),
h = a 24-trial hyper-parameter search (sequential, 2 processes, a 2-worker Dask cluster).
Prints a table (ratios between engines measured in this process) and the issue's
targets, and writes every figure and sample to JSON.
"""

# Threads must be pinned before numpy or torch is imported anywhere; only when run as a
# program, so that importing this module (tests do) changes nothing in the importer.
from benchmarks.environment import pin_threads

if __name__ == "__main__":
    pin_threads(1)

import argparse
import datetime
import os
import sys
import time

from benchmarks import chain, depth, digits, memory, mlp, report, scalar, search, train_loop, width
from benchmarks.environment import describe, describe_load, pin_allocator, summary_lines
from benchmarks.timing import CLOCKS, Settings


def nn_train(settings):
    """Workload (f): the whole command's wall time, then its epoch against a hand-written numpy loop."""
    return digits.run(settings) + train_loop.run(settings)


WORKLOADS = {
    "a": mlp.run,
    "b": chain.run,
    "c": scalar.run,
    "d": depth.run,
    "e": memory.run,
    "f": nn_train,
    "g": width.run,
    "h": search.run,
}
DEFAULT_JSON = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "latest.json")


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="fewer rounds, shorter blocks, no 10^6 chain, 200 memory steps (about a minute)",
    )
    parser.add_argument(
        "--only",
        default=",".join(WORKLOADS),
        help="comma-separated workloads to run, from a,b,c,d,e,f,g,h (default: all)",
    )
    parser.add_argument("--json", default=DEFAULT_JSON, help="where to write the results (default: %(default)s)")
    parser.add_argument("--rounds", type=int, default=None, help="timed rounds per engine (default 7, quick 3)")
    parser.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="wall",
        help="wall: time.perf_counter; cpu: time.process_time, this process's CPU time "
        "(for a loaded machine: time spent waiting for a core is not counted)",
    )
    parser.add_argument(
        "--malloc",
        choices=("pinned", "default"),
        default="pinned",
        help="pinned: fix glibc's trim/mmap thresholds for this process, every engine alike, so a step's page "
        "faults do not depend on the engine timed before it (see environment.py); default: glibc's moving ones",
    )
    args = parser.parse_args(argv)
    args.only = [w.strip() for w in args.only.split(",") if w.strip()]
    unknown = [w for w in args.only if w not in WORKLOADS]
    if unknown or not args.only:
        parser.error(f"--only: unknown workload(s) {unknown or args.only}; choose from {','.join(WORKLOADS)}")
    return args


def main(argv=None):
    args = parse_args(argv)
    settings = Settings.quick(args.clock) if args.quick else Settings(clock=args.clock)
    if args.rounds:
        settings.rounds = args.rounds
    started = time.perf_counter()
    if args.malloc == "pinned":
        pin_allocator()
    environment = describe()
    print("\n".join(summary_lines(environment)), flush=True)
    print(
        f"clock: {args.clock} ({'CPU time of this process' if args.clock == 'cpu' else 'wall time'}); "
        f"{settings.rounds} interleaved rounds; ratios are medians of per-round ratios (min-max)",
        flush=True,
    )
    rows = []
    for workload in args.only:
        print(f"running ({workload}) ...", file=sys.stderr, flush=True)
        rows += WORKLOADS[workload](settings)
    verdicts = report.targets(rows)
    print("\n".join(report.table(rows) + report.target_lines(verdicts)))
    seconds = time.perf_counter() - started
    environment["load_average_at_end"] = describe_load()
    report.write_json(
        args.json,
        {
            "date": datetime.datetime.now().isoformat(timespec="seconds"),
            "command": "python -m benchmarks.run " + " ".join(sys.argv[1:] if argv is None else argv),
            "settings": vars(settings),
            "environment": environment,
            "rows": rows,
            "targets": verdicts,
            "duration_s": seconds,
        },
    )
    print(f"\n{seconds:.0f} s; results written to {args.json}")
    failures = [r for r in rows if r.get("status") == "FAIL" and r["engine"] in (report.OURS, "hand-written")]
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
