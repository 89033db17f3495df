"""Fuzzing the command lines: random, huge, negative, non-numeric and non-finite flag values, unwritable
paths. Every case runs `python -m nn.train` or `python -m viz` in a real subprocess and must end in one
of the ways a user can read: exit 0 (done), 2 (a one-line error) or, for nn.train only, 1 with a run
folder marked "failed" (a run that reached NaN); never a traceback, never a half-written file.

Seeded (the same 40 cases every run; FUZZ_SEED=<n> in the environment tries others), run 4 at a time.
"""

import concurrent.futures
import json
import os
import random
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEED = int(os.environ.get("FUZZ_SEED", "20261129"))
CASES = 40
HUGE = "1" + "0" * 30
NUMBERS = [
    "0",
    "-1",
    "-0",
    "1",
    "3",
    "2.5",
    "1e308",
    "-1e308",
    "inf",
    "-inf",
    "nan",
    "1e-320",
    "abc",
    "",
    " ",
    "0x10",
    "1_000",
    "\u0663",
    HUGE,
    "-" + "9" * 40,
    "1e400",
]
SMALL_COUNTS = ["0", "-1", "2.5", "abc", "", "inf", "nan", "1", "2", "-" + "9" * 40, "\u0663"]  # never a long run
PATHS = [
    "/proc/fuzz",
    "/proc",
    "/sys/fuzz",
    "missing/child",
    "a_file",
    "a_file/child",
    "old_run",
    "",
    "/etc/hostname/x",
]


def train_case(rng):
    """nn.train on moons, one tiny epoch, with one to three flags replaced by random values."""
    flags = {"--dataset": ["moons"], "--hidden": ["4"], "--epochs": ["1"], "--out": ["run"]}
    choices = {
        "--lr": lambda: [rng.choice(NUMBERS)],
        "--weight-decay": lambda: [rng.choice(NUMBERS)],
        "--epochs": lambda: [rng.choice(SMALL_COUNTS)],
        "--batch-size": lambda: [rng.choice(NUMBERS)],
        "--patience": lambda: [rng.choice(NUMBERS)],
        "--seed": lambda: [rng.choice(NUMBERS)],
        "--threads": lambda: [rng.choice(["0", "1", "2", "-1", HUGE, "abc", "100000"])],
        "--hidden": lambda: rng.choice([["4"], ["0"], ["-3"], ["2000000000"], [HUGE], ["4", "abc"], [], ["3"] * 3]),
        "--activation": lambda: [rng.choice(["relu", "tanh", "sigmoid", "bogus", ""])],
        "--optimizer": lambda: [rng.choice(["adam", "sgd", "adagrad", "lbfgs"])],
        "--dataset": lambda: [rng.choice(["moons", "digits", "cifar", ""])],
        "--out": lambda: [rng.choice(PATHS + ["run"] * 3)],
    }
    for name in rng.sample(sorted(choices), rng.randint(1, 3)):
        flags[name] = choices[name]()
    if flags["--dataset"] == ["digits"]:
        flags["--hidden"] = ["4"]  # keeps a digits case fast too
    args = ["nn.train", "--no-progress"]
    for name, values in flags.items():
        args += [name, *values]
    return args


DEEP_LIST = "x=" + "[" * 500 + "]" * 500
EXPRESSIONS = [
    "x*2",
    "x+",
    "exp(x)",
    "x@x",
    "+".join(["x"] * 900),
    "x" + ".exp()" * 3000,
    "__import__('os')",
    "x**-1",
    "log(x)",
    "sum(x, 5)",
    "x.reshape(7)",
    "max(x)",
    "x/0",
    "",
    "((((",
    "1+1",
    "y",
    "x.mean()",
]
SETS = ["x=1", "x=[1,2,3]", "x=[[1],[2,3]]", "x=1e400", "x=nan", "x=abc", "x=", "x=[]", "=1", DEEP_LIST, "x=-2"]
FORMATS = ["%.4g", "%q", "%.100000000f", "%d", "%s", "%%", "%.2f%%", "%5.3e", "%*d", "%(a)s", "%99999g", "%c"]
HISTORIES = [
    '{"train_loss": [1.0, 0.5], "val_loss": [1.1, 0.6], "best_epoch": 1}',
    "[" * 100000 + "]" * 100000,
    "[1, 2]",
    "{}",
    '{"train_loss": "abc"}',
    '{"train_loss": [NaN, Infinity]}',
    '{"train_loss": [1, 2], "best_epoch": 1e10}',
    '{"train_loss": [1e400, -1e400]}',
    "\xff\xfe",
]


def viz_case(rng):
    """python -m viz expr (mostly), model or history with random arguments."""
    out = rng.choice(["out.dot"] * 4 + ["out.svg"] + [p + ".dot" for p in PATHS if p])
    kind = rng.choice(["expr"] * 3 + ["model", "history"])
    if kind == "expr":
        args = ["viz", "expr", rng.choice(EXPRESSIONS), "--set", rng.choice(SETS), "--out", out]
        if rng.random() < 0.5:
            args += ["--number-format", rng.choice(FORMATS)]
        if rng.random() < 0.3:
            args += ["--animate", rng.choice(["steps", "steps.html", "a_file", "missing/steps", "/proc/steps"])]
        if rng.random() < 0.3:
            args += ["--style", rng.choice(["record", "circuit", "bogus"])]
        return args
    if kind == "model":
        args = [
            "viz",
            "model",
            rng.choice(["model.npz", "missing.npz", "a_file", "old_run", "history.json"]),
            "--out",
            out,
            "--rows",
            rng.choice(NUMBERS),
        ]
        if rng.random() < 0.5:
            args += ["--sizes", rng.choice(["2,4,2", "4,3,2", "1000000000,10", "a,b", "4", HUGE + ",2"])]
        if rng.random() < 0.5:
            args += ["--activation", rng.choice(["relu", "tanh", "bogus"])]
        return args
    return [
        "viz",
        "history",
        "history.json",
        "--out",
        rng.choice(["curves.png", "/proc/c.png", "missing/c.png"]),
    ], rng.choice(HISTORIES)


def prepare(folder, history_text=None):
    """The case's working folder: a file, a finished run, a saved model, a history file."""
    import nn

    os.makedirs(folder / "old_run")
    (folder / "old_run" / "run.json").write_text('{"status": "completed"}')
    (folder / "a_file").write_text("mine")
    nn.save(nn.MLP([2, 4, 2], seed=0), folder / "model.npz")
    (folder / "history.json").write_text(history_text or HISTORIES[0], encoding="utf-8", errors="surrogateescape")


def snapshot(folder):
    return {str(p.relative_to(folder)): (p.stat().st_size if p.is_file() else None) for p in folder.rglob("*")}


def run_case(folder, args):
    before = snapshot(folder)
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run(
        [sys.executable, "-m", *args], cwd=folder, capture_output=True, text=True, timeout=120, env=env
    )
    return problems(folder, args, before, result), result


def problems(folder, args, before, result):
    """What is wrong with how the case ended (empty: nothing)."""
    found = []
    allowed = (0, 1, 2) if args[0] == "nn.train" else (0, 2)
    if result.returncode not in allowed:
        found.append(f"exit code {result.returncode}")
    if "Traceback" in result.stderr:
        found.append("a traceback")
    after = snapshot(folder)
    half = [p for p in after if p.endswith(".tmp") or "/." in "/" + p]
    if half:
        found.append(f"temporary files left: {half}")
    if result.returncode == 2:
        if after != before:
            found.append(f"exit 2 but files changed: {sorted(set(after) ^ set(before))}")
        if len(result.stderr.strip().splitlines()) > 2:  # argparse's usage line + the error, or the error alone
            found.append("a usage error longer than two lines")
    for run_json in (folder / p for p in after if p.endswith("run.json") and p not in before):
        record = json.loads(run_json.read_text())
        expected = {0: "completed", 1: "failed"}.get(result.returncode)
        if record["status"] != expected:
            found.append(f"{run_json} says {record['status']!r} after exit {result.returncode}")
        missing = [f for f in record["files"] if not (run_json.parent / f).exists()]
        if missing:
            found.append(f"run.json lists missing files {missing}")
    if args[0] == "nn.train" and result.returncode == 1 and not result.stderr.startswith("error: fit: "):
        found.append("exit 1 without fit's one-line error")
    return found


def all_cases():
    rng = random.Random(SEED)
    cases = []
    for k in range(CASES):
        case = train_case(rng) if k % 2 == 0 else viz_case(rng)
        args, history = case if isinstance(case, tuple) else (case, None)
        cases.append((args, history))
    return cases


def test_random_flags_end_in_exit_0_1_or_2_without_traceback_or_half_written_files(tmp_path):
    cases = all_cases()
    folders = []
    for k, (_, history) in enumerate(cases):
        folder = tmp_path / f"case{k:02d}"
        prepare(folder, history)
        folders.append(folder)
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(run_case, folders, [args for args, _ in cases]))
    report = []
    for (args, _), (found, result) in zip(cases, outcomes):
        if found:
            shown = [a if len(a) < 60 else a[:40] + f"...({len(a)} chars)" for a in args]
            report.append(f"{' '.join(shown)}: {'; '.join(found)}\n    stderr: {result.stderr[-600:]!r}")
    codes = sorted(result.returncode for _, result in outcomes)
    assert not report, f"{len(report)} of {len(cases)} cases (seed {SEED}):\n" + "\n".join(report)
    assert codes.count(0) >= 2 and codes.count(2) >= 10, codes  # the cases cover both outcomes


if __name__ == "__main__":  # python tests/test_cli_fuzz.py prints the cases
    for case in all_cases():
        print(case[0][:12])
    pytest.main([__file__, "-q"])
