"""The benchmark suite's worker processes: depth and memory workers measure in a fresh process, and
every engine's process gets the same BLAS and thread variables."""

import os

import pytest
from benchmark_helpers import ROOT

from benchmarks import depth, environment, memory, workers
from benchmarks.mlp_engines import AutogradCore, HandWritten
from benchmarks.timing import Settings
from benchmarks.workers import blas_environment, run_worker


def test_depth_worker_checks_the_closed_form_and_measures_memory(monkeypatch):
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")  # whatever the machine sets reaches the worker unchanged
    # in a fresh process, as the suite runs it: here, freed memory would be reused unseen
    result = run_worker("benchmarks.depth", ["autograd_core", 20_000, 1, "cpu"], timeout=300)
    assert result["status"] == "ok" and result["check"] < 1e-12
    assert 100 < result["peak_bytes"] / 20_000 < 100_000  # bytes per node: some, not absurd
    overrides = {name: result["blas_environment"][name] for name in environment.OPENBLAS_OVERRIDES}
    assert overrides == {name: blas_environment()[name] for name in environment.OPENBLAS_OVERRIDES}
    assert overrides["OPENBLAS_CORETYPE"] == "Haswell" and result["blas_environment"]["OMP_NUM_THREADS"] == "1"


def test_no_engine_process_differs_in_blas_or_thread_variables(monkeypatch):
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    monkeypatch.setenv("OPENBLAS_L2_SIZE", "512")
    seen = []

    def fake_run(command, env=None, **kwargs):
        seen.append((command[3], env))  # python -m MODULE ENGINE ...
        return workers.subprocess.CompletedProcess(command, 0, '{"status": "missing", "detail": "not run"}', "")

    monkeypatch.setattr(workers.subprocess, "run", fake_run)
    depth.run(Settings.quick())
    memory.run(Settings.quick(), engines=(HandWritten, AutogradCore))  # the memory workload's own launcher
    variables = environment.OPENBLAS_OVERRIDES + environment.THREAD_VARIABLES + ("XLA_FLAGS",)
    engines = {engine for engine, _ in seen}
    assert {"autograd_core", "torch", "HIPS autograd", "micrograd", "hand-written"} <= engines
    expected = {name: os.environ.get(name) for name in variables}
    for engine, env in seen:
        assert {name: env.get(name) for name in variables} == expected, engine
    # and nothing in the suite sets a kernel override for one side
    folder = os.path.join(ROOT, "benchmarks")
    for name in os.listdir(folder):
        if name.endswith(".py") and name != "environment.py":
            with open(os.path.join(folder, name)) as f:
                assert "OPENBLAS_CORETYPE" not in f.read() and "OPENBLAS_L2_SIZE" not in f.read(), name


def test_depth_worker_reports_micrograds_recursion_error():
    pytest.importorskip("micrograd")
    result = depth.worker("micrograd", 5000, 1)
    assert result["status"] == "FAIL" and "RecursionError" in result["detail"]


def test_memory_worker_is_flat_for_the_hand_written_network():
    result = memory.worker("hand-written", 20)
    assert result["status"] == "ok" and result["flat"] and result["peak_bytes"] > 900_000  # weights alone
