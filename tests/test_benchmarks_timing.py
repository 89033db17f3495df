"""The benchmark suite's timing machinery (never speed itself): ratios to the reference as medians of
per-round ratios, the CPU clock, the same garbage-collector treatment for every engine, versus.py, the
page faults a call causes and the pinned allocator that makes them independent of the engine timed before."""

import sys

import pytest
from benchmark_helpers import TINY

from benchmarks import report, run, timing
from benchmarks.timing import Settings, compare, interleaved, ratio_spread


def test_compare_gives_speed_ratios_to_the_reference():
    timed = compare({"fast": lambda: None, "slow": lambda: sum(range(2000))}, "fast", TINY, unit_count=10)
    assert timed["fast"]["speed_ratio"] == 1.0 and timed["slow"]["speed_ratio"] < 1.0
    assert timed["slow"]["per_unit_s"] == pytest.approx(timed["slow"]["median_s"] / 10)


def test_ratios_are_medians_of_per_round_ratios_with_their_spread():
    # per round: 2/4, 2/2, 3/2 -> the median of the ratios (1.0), not the ratio of the medians (2/2)
    spread = ratio_spread([2.0, 2.0, 3.0], [4.0, 2.0, 2.0])
    assert (spread["median"], spread["min"], spread["max"]) == (1.0, 0.5, 1.5)
    assert ratio_spread([1.0, 5.0], [2.0, 5.0])["median"] == 0.75  # an even count: the mean of the middle two
    with pytest.raises(ValueError, match="one sample per round"):
        ratio_spread([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="cannot be divided by"):
        ratio_spread([1.0], [0.0])
    settings = Settings(rounds=3, block_seconds=0.001)
    timed = compare({"ref": lambda: sum(range(300)), "slow": lambda: sum(range(3000))}, "ref", settings)
    per_round = [r / s for r, s in zip(timed["ref"]["samples_s"], timed["slow"]["samples_s"])]
    assert len(per_round) == 3 and timed["slow"]["speed_ratio"] == pytest.approx(sorted(per_round)[1])
    assert timed["slow"]["ratio_spread"] == (pytest.approx(min(per_round)), pytest.approx(max(per_round)))
    row = {"workload": "a", "status": "ok", "ratio": 0.91, "ratio_to": "hand-written", "ratio_spread": (0.884, 0.93)}
    assert report.ratio_text(row) == "0.91x hand-written (0.88-0.93)"


def test_the_cpu_clock_does_not_count_waiting():
    import time

    assert Settings(clock="cpu").timer is time.process_time and Settings().timer is time.perf_counter
    with pytest.raises(ValueError, match="clock must be one of"):
        Settings(clock="sundial")
    assert run.parse_args(["--clock", "cpu"]).clock == "cpu" and run.parse_args([]).clock == "wall"
    sleeping = {"sleep": lambda: time.sleep(0.02)}
    wall = interleaved(sleeping, Settings(rounds=2, block_seconds=0.001))["sleep"]["median_s"]
    cpu = interleaved(sleeping, Settings(rounds=2, block_seconds=0.001, clock="cpu"))["sleep"]["median_s"]
    assert wall >= 0.019 and cpu < wall / 4  # a sleeping (or descheduled) process uses no CPU time


def test_every_engine_gets_the_same_garbage_collector_treatment(monkeypatch):
    events = []
    monkeypatch.setitem(timing.CLOCKS, "fake", lambda: events.append("clock") or float(len(events)))
    for name in ("collect", "freeze", "unfreeze"):
        monkeypatch.setattr(timing.gc, name, lambda name=name: events.append(name))
    settings = Settings(rounds=1, block_seconds=1e-9, clock="fake")
    interleaved({"a": lambda: events.append("a"), "b": lambda: events.append("b")}, settings, True)
    timed = events[events.index("freeze") :]
    # gc on: heap frozen before the clock starts; the final collection inside the timed span
    assert timed[:5] == ["freeze", "clock", "a", "collect", "clock"] or timed[:5] == [
        "freeze",
        "clock",
        "b",
        "collect",
        "clock",
    ]
    assert timed.count("freeze") == timed.count("unfreeze") == 2
    events.clear()
    interleaved({"a": lambda: events.append("a")}, settings, False)
    timed = events[events.index("freeze") :]
    assert timed[:4] == ["freeze", "clock", "a", "clock"]  # paused: nothing collected inside the span
    assert timing.gc.isenabled()


def test_versus_imports_a_second_checkout_under_its_own_name_and_times_in_cpu_time():
    import autograd_core as ag
    from benchmarks import versus

    try:
        other = versus.load("autograd_core_versus_test", versus.HERE)
        assert other is not ag and other.Tensor is not ag.Tensor
        (x := other.Tensor([1.0, 2.0], requires_grad=True)).relu().sum().backward()
        assert x.grad.tolist() == [1.0, 1.0] and type(x).__module__.startswith("autograd_core_versus_test")
    finally:
        for name in [m for m in sys.modules if m.startswith("autograd_core_versus_test")]:
            del sys.modules[name]
    samples = versus.cpu_time_rounds({"busy": lambda: sum(range(2000)), "idle": lambda: None}, rounds=3)
    assert all(len(v) == 3 for v in samples.values())
    assert sorted(samples["busy"])[1] > sorted(samples["idle"])[1]  # CPU time tells them apart
    assert versus.spread([4.0, 1.0, 3.0, 2.0]) == "2.500 [IQR 2.000-4.000]"


def test_page_faults_per_call_count_the_fresh_memory_a_call_touches():
    import resource

    # bytearray(64 MiB): above glibc's largest mmap threshold, so every call maps fresh pages and zeroes each
    timed = interleaved({"fresh": lambda: bytearray(64 << 20), "none": lambda: None}, TINY)
    pages = (64 << 20) / resource.getpagesize()
    assert 0.9 * pages < timed["fresh"]["page_faults_per_call"] < 1.1 * pages + 100
    assert timed["none"]["page_faults_per_call"] < 1


CHURN = """
import json, resource, sys
from benchmarks.environment import describe, pin_allocator
faults = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_minflt
def step():  # a training step's pattern: several large temporaries alive at once, then all freed
    arrays = [bytearray(3 << 20) for _ in range(4)]
    del arrays
state = pin_allocator() if sys.argv[1] == "pinned" else None
for _ in range(3):
    step()
start = faults()
for _ in range(20):
    step()
print(json.dumps({"faults": (faults() - start) / 20, "state": state, "recorded": describe()["allocator"]}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt: Linux only")
def test_the_pinned_allocator_keeps_freed_arrays_mapped_so_a_step_pays_no_page_faults():
    import json
    import subprocess

    def churn(mode):
        done = subprocess.run([sys.executable, "-c", CHURN, mode], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    default, pinned = churn("default"), churn("pinned")
    # glibc's default gives the 12 MiB back to the kernel after each step (its trim threshold follows the
    # 3 MiB arrays): the next step touches 3,072 fresh pages; pinned, the heap keeps them
    assert default["faults"] > 1000 and pinned["faults"] < 10
    assert pinned["state"]["malloc"] == "glibc, thresholds pinned" == pinned["recorded"]["malloc"]
    assert default["recorded"] == {"malloc": "default"}
    assert run.parse_args([]).malloc == "pinned" and run.parse_args(["--malloc", "default"]).malloc == "default"
