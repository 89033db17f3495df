"""The benchmark suite's gradient checks catch wrong engines (and pass the right ones): a wrong
engine's row says FAIL and is not timed; missing peers say missing."""

import sys

import numpy as np
import pytest
from benchmark_helpers import TINY

from benchmarks import chain, mlp, peers, report, scalar, width
from benchmarks.mlp_engines import AutogradCore, HandWritten, JaxGrad, JaxJit, NNCompiled, NNLibrary
from benchmarks.timing import CheckFailed, check_arrays, relative_error


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
