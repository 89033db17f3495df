"""The benchmark suite's report: targets judged from the rows, the table, JSON written atomically,
the markdown tables, the digits accuracy parser and the command line."""

import json
import os

import benchmark_helpers  # noqa: F401  (puts the repository root on sys.path, for benchmarks/)
import pytest

from benchmarks import digits, report, run


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
