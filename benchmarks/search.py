"""Workload (h): a 24-trial ``python -m nn.search`` on digits, one process vs ``--jobs 2`` vs a 2-worker Dask cluster.

Each way runs the same command line in a fresh process (start-up, every trial, writing the
folder), interleaved over rounds; the figure is the median wall time and the ratio is the
speed-up over the sequential run of the same round set. The three ways must write the same
results table (checked), so the speed-up is for identical work. The Dask cluster is a real
``LocalCluster`` (2 worker processes, 1 thread each) started once in this process; without
dask.distributed or joblib the rows say missing.
"""

import csv
import os
import statistics
import subprocess
import sys
import tempfile
import time

from .workers import worker_environment

GRID = ["lr=0.03,0.01,0.003", "hidden=32,64,64:32,128", "weight_decay=0,1e-4"]  # 3 x 4 x 2 = 24 trials
TIMEOUT_SECONDS = 900


def _run(extra, folder, epochs):
    env = worker_environment()
    out = os.path.join(folder, "out")
    command = [
        sys.executable,
        "-m",
        "nn.search",
        "--dataset",
        "digits",
        "--grid",
        *GRID,
        "--epochs",
        str(epochs),
        "--out",
        out,
        *extra,
    ]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=folder, env=env, timeout=TIMEOUT_SECONDS)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError((done.stderr.strip().splitlines() or ["no output"])[-1])
    with open(os.path.join(out, "results.csv"), newline="") as f:
        return seconds, list(csv.DictReader(f))


def run(settings):
    """Three rows: sequential, --jobs 2, a 2-worker LocalCluster; medians of interleaved rounds."""
    base = {"workload": "h", "unit": "s wall", "ratio_to": "sequential"}
    try:
        import joblib  # noqa: F401
        from distributed import LocalCluster
    except ImportError:
        return [
            dict(
                base,
                case="24-trial search",
                engine="nn.search",
                status="missing",
                detail="missing: pip install -e '.[distributed]'",
            )
        ]
    rounds = 1 if settings.rounds <= 3 else 3
    epochs = 5 if settings.rounds <= 3 else 10
    times = {"sequential": [], "--jobs 2": [], "Dask LocalCluster, 2 workers": []}
    tables = {}
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        ways = {
            "sequential": [],
            "--jobs 2": ["--jobs", "2"],
            "Dask LocalCluster, 2 workers": ["--scheduler", cluster.scheduler_address],
        }
        for _ in range(rounds):
            for name, extra in ways.items():
                with tempfile.TemporaryDirectory() as folder:
                    seconds, rows = _run(extra, folder, epochs)
                times[name].append(seconds)
                tables.setdefault(name, rows)
    reference = statistics.median(times["sequential"])
    rows = []
    for name, samples in times.items():
        median = statistics.median(samples)
        same = tables[name] == tables["sequential"]
        rows.append(
            dict(
                base,
                case=f"24-trial search on digits, {epochs} epochs",
                engine=name,
                value=median,
                median_s=median,
                samples=samples,
                spread=[min(samples), max(samples)],
                ratio=reference / median,
                status="ok" if same else "FAIL",
                detail="same results table" if same else "results differ from the sequential run",
            )
        )
    return rows
