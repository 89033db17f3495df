"""Smoke tests of the benchmark suite's correctness machinery (never of speed).

The suite's references (the hand-written delta rule, the hand-written chain and scalar
adjoints) are checked against finite differences and the cs231n figures, and the
checks are shown to catch a wrong engine. Timing runs here use one tiny round.
"""

import json
import math
import os
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:  # benchmarks/ is not an installed package: run from the repo root
    sys.path.insert(0, ROOT)

from benchmarks import (  # noqa: E402
    chain,
    depth,
    digits,
    environment,
    memory,
    mlp,
    peers,
    report,
    run,
    scalar,
    timing,
    train_loop,
    width,
    workers,
)
from benchmarks.mlp_engines import (  # noqa: E402
    AutogradCore,
    HandWritten,
    JaxGrad,
    JaxJit,
    NNCompiled,
    NNLibrary,
    make_batch,
    make_params,
)
from benchmarks.timing import CheckFailed, Settings, check_arrays, compare, interleaved, ratio_spread, relative_error  # noqa: E402
from benchmarks.workers import blas_environment, run_worker  # noqa: E402

TINY = Settings(rounds=1, block_seconds=0.001, quick=True)


def numeric_gradient(f, x, eps=1e-6):
    """Central differences of scalar f at every element of the float64 array x (changed in place, restored)."""
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + eps
        up = f()
        x[index] = saved - eps
        down = f()
        x[index] = saved
        grad[index] = (up - down) / (2 * eps)
    return grad


# ------------------------------------------------------------------ the references are right
def test_hand_written_delta_rule_matches_finite_differences():
    sizes = (5, 4, 3, 3)
    engine = HandWritten(make_params(sizes, np.float64), lr=0)
    batch = make_batch(sizes[0], sizes[-1], 6, np.float64)
    _, grads = engine.gradients(batch)
    for param, grad in zip(engine.params, grads):
        numeric = numeric_gradient(lambda: engine.gradients(batch)[0], param)
        assert relative_error(grad, numeric) < 1e-6


def test_hand_written_chain_matches_finite_differences():
    x, a, b = chain.constants()
    analytic = chain.hand_written(x, a, b)

    def value():
        y = x
        for k in range(chain.LENGTH):
            step = k % 4
            y = np.tanh(y) if step == 0 else y * a if step == 1 else y + b if step == 2 else np.exp(y)
        return y.sum()

    assert relative_error(analytic, numeric_gradient(value, x)) < 1e-6


def test_neuron_by_hand_gives_the_cs231n_figures():
    f, grads = scalar.neuron_by_hand(*scalar.NEURON_INPUTS)  # w0, x0, w1, x1, w2
    assert round(f, 2) == 0.73
    assert [round(g, 2) for g in grads] == [-0.2, 0.39, -0.39, -0.59, 0.2]


def test_expression_by_hand_matches_finite_differences_and_stays_bounded():
    leaves, program = scalar.make_program()
    assert len(program) == scalar.EXPRESSION_NODES
    assert {op for op, _, _ in program} == {"add", "mul", "relu", "scale", "shift"}
    value, grads = scalar.expression_by_hand(leaves, program)
    x = np.array(leaves)
    numeric = numeric_gradient(lambda: scalar.expression_by_hand(list(x), program)[0], x)
    assert relative_error(grads, numeric) < 1e-6
    assert abs(value) < 1.5 and np.all(np.isfinite(grads)) and np.count_nonzero(grads) >= 5
    values = list(leaves)
    for op, j, c in program:
        x = values[-1]
        values.append(scalar._apply_float(op, x, values[j], c))
    relu_inputs = [values[len(leaves) + k - 1] for k, (op, _, _) in enumerate(program) if op == "relu"]
    assert min(relu_inputs) < 0 < max(relu_inputs) and 0.0 not in relu_inputs  # relu really cuts


# ------------------------------------------------------------------ the checks catch wrong engines
class OffByABit(AutogradCore):
    """Our engine with one gradient wrong by 1e-4 relative: fast and wrong."""

    name = "off-by-a-bit"

    def gradients(self, batch):
        loss, grads = super().gradients(batch)
        return loss, [grads[0] * (1 + 1e-4)] + grads[1:]


class Float64Only(HandWritten):
    """Right values, wrong dtype: a float32 workload computed in float64."""

    name = "float64-only"

    def gradients(self, batch):
        loss, grads = super().gradients(batch)
        return loss, [g.astype(np.float64) for g in grads]


def test_mlp_check_passes_our_engine_and_fails_wrong_ones():
    outcome = mlp.check_engines((6, 5, 3), 4, np.float32, (HandWritten, AutogradCore, OffByABit, Float64Only))
    assert outcome["hand-written"] == 0.0
    assert 0.0 <= outcome["autograd_core"] < 1e-6
    assert outcome["off-by-a-bit"].startswith("FAIL") and "gradient 0" in outcome["off-by-a-bit"]
    assert outcome["float64-only"].startswith("FAIL") and "dtype float64" in outcome["float64-only"]


def test_mlp_run_shows_a_wrong_engine_as_fail_and_does_not_time_it():
    cases = (("tiny", (6, 5, 3), 4, np.float64),)
    rows = {r["engine"]: r for r in mlp.run(TINY, (HandWritten, AutogradCore, OffByABit), cases)}
    assert rows["off-by-a-bit"]["status"] == "FAIL" and "value" not in rows["off-by-a-bit"]
    assert rows["autograd_core"]["status"] == "ok" and rows["autograd_core"]["value"] > 0
    assert rows["hand-written"]["ratio"] == 1.0


def test_chain_and_scalar_runs_flag_a_wrong_engine():
    def wrong_chain(x, a, b):
        return lambda: chain.hand_written(x, a, b) * 1.001

    rows = {
        r["engine"]: r
        for r in chain.run(
            TINY,
            {
                "hand-written": chain.ENGINES["hand-written"],
                "wrong": wrong_chain,
                "autograd_core": chain.autograd_core_grad,
            },
        )
    }
    assert rows["wrong"]["status"] == "FAIL" and rows["autograd_core"]["status"] == "ok"

    def wrong_relu(graph, inputs):  # relu'(x) = 1 everywhere: a classic bug
        import autograd_core as ag

        def run():
            leaves = [ag.Tensor(v, requires_grad=True) for v in inputs]
            graph(leaves, ag.Tensor.exp, lambda t: t).backward()
            return [float(t.grad) for t in leaves]

        return run

    rows = scalar.run(TINY, {"wrong relu": wrong_relu, "autograd_core": scalar.ENGINES["autograd_core"]})
    by_case = {(r["case"], r["engine"]): r for r in rows}
    assert by_case[("1000-node expression (gc on)", "wrong relu")]["status"] == "FAIL"
    assert by_case[("1000-node expression (gc on)", "autograd_core")]["status"] == "ok"


def test_width_run_checks_every_gradient_and_flags_a_wrong_engine():
    def drops_the_last_input(n):  # a backward that forgets one of a node's inputs
        backward, gradients = width.ENGINES["autograd_core"](n)
        return backward, lambda: np.append(gradients()[:-1], 0.0)

    rows = width.run(
        TINY, {"autograd_core": width.ENGINES["autograd_core"], "wrong": drops_the_last_input}, sizes=(50, 200)
    )
    by_engine = {(r["case"], r["engine"]): r for r in rows}
    assert by_engine[("stack of 200", "wrong")]["status"] == "FAIL"
    assert "x_199" in by_engine[("stack of 200", "wrong")]["detail"]
    assert by_engine[("stack of 200", "autograd_core")]["status"] == "ok"
    verdict = next(v for v in report.targets(rows) if v["target"].startswith("(g)"))
    assert verdict["verdict"] in ("met", "missed") and "per input" in verdict["measured"]


def test_check_arrays_rejects_nan_shape_and_dtype():
    good = np.ones(3)
    assert relative_error(np.array([1.0, np.nan, 1.0]), good) == float("inf")
    assert relative_error(np.ones(4), good) == float("inf")
    with pytest.raises(CheckFailed, match="dtype"):
        check_arrays("e", [good.astype(np.float32)], [good], 1e-6, dtype=np.float64)
    with pytest.raises(CheckFailed, match="relative"):
        check_arrays("e", [good * 1.01], [good], 1e-6)


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


# ------------------------------------------------------------------ workers, memory, report, CLI
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


def test_missing_peers_say_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "jax", None)  # as if JAX were not installed
    monkeypatch.setitem(sys.modules, "autograd", None)
    cases = (("tiny", (6, 5, 3), 4, np.float64),)
    rows = {r["engine"]: r for r in mlp.run(TINY, (HandWritten, JaxGrad, JaxJit, mlp.ENGINES[-1]), cases)}
    for engine in ("jax.grad", "jax.jit", "HIPS autograd"):
        assert rows[engine]["status"] == "missing" and "value" not in rows[engine]
    assert "no module 'jax'" in rows["jax.jit"]["detail"] and "no module 'autograd'" in rows["HIPS autograd"]["detail"]
    text = "\n".join(report.table(list(rows.values())))
    assert text.count("missing: no module") == 3


def test_the_readme_idioms_and_jax_pass_the_gradient_check():
    engines = (HandWritten, NNLibrary, NNCompiled)
    if peers.jax():  # JAX is optional (the bench extra): its rows are checked where it is installed
        engines += (JaxGrad, JaxJit)
    outcome = mlp.check_engines((6, 5, 3), 4, np.float32, engines)
    assert set(outcome) == {cls.name for cls in engines}
    assert all(isinstance(error, float) and error < 1e-6 for error in outcome.values()), outcome


def test_hand_written_adam_loop_matches_nn_optim_and_nn_train():
    import autograd_core as ag
    import nn

    args = train_loop.train_defaults()
    assert (args.optimizer, args.batch_size, args.hidden) == ("adam", 32, [256, 128])  # nn.train's defaults
    rng = np.random.default_rng(0)
    params = make_params((4, 3, 2), np.float64)
    tensors = [ag.Tensor(p.copy(), requires_grad=True) for p in params]
    optimizer = nn.optim.Adam(tensors, lr=0.01, weight_decay=0.1)
    args.lr, args.weight_decay = 0.01, 0.1
    loop = train_loop.HandWrittenAdamLoop(params, args, 2)
    for _ in range(3):
        grads = [rng.standard_normal(p.shape) for p in params]
        for t, g in zip(tensors, grads):
            t.grad = g.copy()
        optimizer.step()
        loop.adam_step(grads)
    for t, p in zip(tensors, loop.network.params):
        assert relative_error(p, t.data) < 1e-12
    from nn.train import load_data

    splits = load_data("digits", 0)
    assert train_loop.check_gradients(train_loop.train_defaults(), splits) < 1e-6


def test_depth_worker_reports_micrograds_recursion_error():
    pytest.importorskip("micrograd")
    result = depth.worker("micrograd", 5000, 1)
    assert result["status"] == "FAIL" and "RecursionError" in result["detail"]


def test_memory_worker_is_flat_for_the_hand_written_network():
    result = memory.worker("hand-written", 20)
    assert result["status"] == "ok" and result["flat"] and result["peak_bytes"] > 900_000  # weights alone


def test_parse_accuracy_reads_fractions_and_percentages():
    assert digits.parse_accuracy("epoch 1\ntest accuracy: 0.9666\n") == pytest.approx(0.9666)
    assert digits.parse_accuracy("Test accuracy = 97.5 %") == pytest.approx(0.975)
    assert digits.parse_accuracy("no figure here") is None


def test_targets_judge_ratios_and_show_failures():
    def row(case, engine, ratio):
        return {
            "workload": "a",
            "case": case,
            "engine": engine,
            "status": "ok",
            "ratio": ratio,
            "ratio_spread": (ratio - 0.02, ratio + 0.01),
            "ratio_to": "hand-written",
            "value": 500.0,
            "check": 1e-7,
        }

    rows = [
        row("784-256-128-10 float32 b128", "autograd_core.nn", 0.92),
        row("784-256-128-10 float64 b128", "autograd_core.nn", 0.85),
        row("784-256-128-10 float32 b128", "autograd_core", 0.80),
        row("784-256-128-10 float32 b128", "torch", 0.88),
        {"workload": "b", "case": "chain", "engine": "autograd_core", "status": "FAIL", "detail": "FAIL: wrong"},
    ]
    verdicts = {v["target"].split(":")[0]: v for v in report.targets(rows)}
    assert verdicts["(a) nn API eager, 784-256-128-10 float32"]["verdict"] == "met"
    assert verdicts["(a) nn API eager, 784-256-128-10 float32"]["measured"] == "0.92x (0.90-0.93)"
    assert verdicts["(a) nn API eager, 784-256-128-10 float64"]["verdict"] == "missed"
    assert verdicts["(a) nn API eager, 64-32-10"]["verdict"] == "not run"
    assert verdicts["(a) eager Tensor ops, 784-256-128-10 float32"]["verdict"] == "missed"  # 0.80 < torch's 0.88
    assert verdicts["(b) per-op overhead <= 2x hand-written (ratio >= 0.5)"]["verdict"] == "FAIL"
    text = "\n".join(report.table(rows))
    assert "0.92x hand-written (0.90-0.93)" in text and "FAIL: wrong" in text


def test_write_json_is_atomic_and_readable(tmp_path):
    path = tmp_path / "out" / "latest.json"
    report.write_json(str(path), {"rows": [1, 2]})
    assert path.read_text().startswith("{") and os.listdir(path.parent) == ["latest.json"]


def test_cli_rejects_an_unknown_workload(capsys):
    with pytest.raises(SystemExit):
        run.parse_args(["--only", "a,z"])
    assert "unknown workload" in capsys.readouterr().err
    assert run.parse_args(["--only", "b,c", "--quick"]).only == ["b", "c"]
    with pytest.raises(SystemExit):
        run.parse_args(["--clock", "sundial"])
    assert "invalid choice: 'sundial'" in capsys.readouterr().err


def test_cs231n_neuron_expression_has_eight_gates_in_our_engine():
    import autograd_core as ag

    leaves = [ag.Tensor(v, requires_grad=True) for v in scalar.NEURON_INPUTS]
    out = scalar.neuron(*leaves, exp=ag.Tensor.exp)
    assert sum(1 for t in ag.walk(out) if t.op is not None) == scalar.NEURON_NODES
    assert math.isclose(out.item(), scalar.neuron_by_hand(*scalar.NEURON_INPUTS)[0], rel_tol=1e-12)


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


def test_markdown_tables_come_from_the_recorded_rows(tmp_path, capsys):
    from benchmarks import tables

    rows = [
        {
            "workload": "a",
            "case": "tiny",
            "engine": engine,
            "status": "ok",
            "value": value,
            "ratio": ratio,
            "ratio_spread": spread,
            "ratio_to": "hand-written",
        }
        for engine, value, ratio, spread in (
            ("hand-written", 100.0, 1.0, (1.0, 1.0)),
            ("autograd_core.nn", 92.0, 0.92, (0.9, 0.93)),
        )
    ]
    rows.append({"workload": "a", "case": "tiny", "engine": "jax.jit", "status": "missing", "detail": "missing: jax"})
    environment_info = {
        "cpu": "cpu",
        "cores": 2,
        "python": "3.11",
        "numpy": {"version": "2", "blas": "b"},
        "engine_revision": "abc",
    }
    document = {
        "rows": rows,
        "environment": environment_info,
        "settings": {"rounds": 7, "clock": "cpu"},
        "command": "python -m benchmarks.run",
        "date": "today",
        "duration_s": 1.0,
        "targets": report.targets(rows),
    }
    path = tmp_path / "run.json"
    path.write_text(json.dumps(document))
    assert tables.main([str(path)]) == 0
    text = capsys.readouterr().out
    assert "| tiny | 100 1.00× (1.00-1.00) | 92 0.92× (0.90-0.93) | missing |".replace("-", tables.EN_DASH) in text
    assert "clock cpu, 7 interleaved rounds" in text
    assert tables.main([str(tmp_path / "absent.json")]) == 1 and "cannot read" in capsys.readouterr().err
