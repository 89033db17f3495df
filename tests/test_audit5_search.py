"""Fifth everyday-use audit, searches: python -m nn.search and nn.grid_search / nn.random_search as a
practitioner runs them (each test fails on the code before its fix; predict's in test_audit5_cli.py)."""

import csv
import os
import subprocess
import sys

import numpy as np
import pytest

import nn
import nn.functional as F

ENV = dict(os.environ, PYTHONPATH=os.pathsep.join([os.getcwd(), os.environ.get("PYTHONPATH", "")]))


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize(
    "grid, message",
    [
        ("lr=range:-1:-0.5", r"--grid lr: '-1' must be a finite number > 0"),  # was Adam's traceback in a trial
        ("weight_decay=range:-1:1", r"--grid weight_decay: '-1' must be a finite number >= 0"),
        ("hidden=int:0:4", r"--grid hidden: '0' is not a valid value"),  # was MLP's traceback
        ("hidden=int:1:1000000000", r"--grid hidden: '1000000000' is not a valid value"),  # a 1e9-unit layer
        ("batch_size=int:0:5", r"--grid batch_size: '0' must be >= 1"),  # was fit's traceback
        ("batch_size=log:8:64", r"--grid batch_size: 'log:8:64': batch_size takes int:LO:HI"),  # 30.08 rows
        ("activation=int:1:2", r"--grid activation: 'int:1:2': activation takes only a list of values"),
        ("lr=int:1:5", r"--grid lr: 'int:1:5': lr takes log:LO:HI or range:LO:HI"),
        ("hidden=log:8:64", r"--grid hidden: 'log:8:64': hidden takes int:LO:HI"),
        ("lr=log:1e-4:1e-2:1", r"--grid lr: 'log:1e-4:1e-2:1': expected log:LO:HI"),
        ("hidden=int:9:3", r"--grid hidden: 'int:9:3': randint: bounds must be ints with lo <= hi"),
    ],
)
def test_a_range_to_draw_from_is_checked_as_its_values_are(tmp_path, capsys, grid, message):
    import re

    from nn.search.__main__ import main

    with pytest.raises(SystemExit) as exit_:
        main(["--dataset", "moons", "--samples", "2", "--grid", grid, "--epochs", "1", "--out", str(tmp_path / "x")])
    stderr = capsys.readouterr().err
    assert exit_.value.code == 2 and re.search(message, stderr), stderr
    assert stderr.count("error:") == 1 and not (tmp_path / "x").exists()


def test_valid_ranges_still_draw(tmp_path):
    from nn.search.__main__ import parse_args

    space = parse_args(["--samples", "2", "--grid", "lr=range:0.01:0.1", "batch_size=int:8:16", "hidden=int:2:4"]).space
    assert repr(space) == "{'lr': uniform(0.01, 0.1), 'batch_size': randint(8, 16), 'hidden': randint(2, 4)}"


def test_a_scheduler_that_cannot_be_reached_is_one_line(tmp_path, capsys):
    pytest.importorskip("distributed")
    from nn.search.__main__ import main

    for address in ("nonsense", "tcp://127.0.0.1"):  # (a refused port is the same line, after the 10 s timeout)
        assert main(["--dataset", "moons", "--grid", "lr=0.1", "--scheduler", address, "--out", str(tmp_path)]) == 2
        stderr = capsys.readouterr().err
        assert stderr.startswith(f"error: --scheduler {address}: cannot connect to a Dask scheduler (")
        assert stderr.count("\n") == 1 and "Traceback" not in stderr


def test_ctrl_c_or_kill_keeps_the_finished_trials_and_says_so(tmp_path, capsys, monkeypatch):
    import signal

    import nn.search.__main__ as search_cli

    X, y = nn.datasets.make_moons(80, noise=0.2, seed=0)
    calls = []

    def build_then_signal(signum, at):
        def build(lr):
            calls.append(lr)
            if len(calls) == at:
                os.kill(os.getpid(), signum)  # as Ctrl-C / kill would, while trial `at` starts
            model = nn.MLP([2, 4, 2], seed=0)
            return model, F.cross_entropy, nn.optim.SGD(model.parameters(), lr=lr)

        return build

    # The Python API: the KeyboardInterrupt carries the finished trials and their result.
    with pytest.raises(KeyboardInterrupt) as stop:
        nn.grid_search(build_then_signal(signal.SIGINT, 3), {"lr": [0.3, 0.1, 0.03, 0.01]}, X, y,
                       validation=(X, y), epochs=2)  # fmt: skip
    assert [r["params"]["lr"] for r in stop.value.results] == [0.3, 0.1] and stop.value.trials == 4
    assert stop.value.result.best_params in ({"lr": 0.3}, {"lr": 0.1})
    # The command line: SIGINT and SIGTERM write what finished (was: a traceback and nothing written).
    for signum, code in ((signal.SIGINT, 130), (signal.SIGTERM, 143)):
        calls.clear()
        monkeypatch.setattr(search_cli.Builder, "__call__", lambda self, lr, s=signum: build_then_signal(s, 2)(lr))
        out = tmp_path / f"s{code}"
        assert (
            search_cli.main(["--dataset", "moons", "--grid", "lr=0.3,0.1,0.03", "--epochs", "1", "--out", str(out)])
            == code
        )
        stderr = capsys.readouterr().err
        name = signal.Signals(signum).name
        said = f"interrupted by {name} after 1 of 3 trials; wrote results.csv (the finished trials only), search.png"
        assert stderr == f"{said}, best/ to {out}\n"
        assert [r["lr"] for r in read_csv(out / "results.csv")] == ["0.3"]
        assert nn.read_info(str(out / "best" / "model.npz")).class_names == ["0", "1"]
    calls.clear()  # interrupted in the first trial: nothing to keep, nothing written
    monkeypatch.setattr(search_cli.Builder, "__call__", lambda self, lr: build_then_signal(signal.SIGINT, 1)(lr))
    assert search_cli.main(["--dataset", "moons", "--grid", "lr=0.3", "--out", str(tmp_path / "none")]) == 130
    assert (
        capsys.readouterr().err == "interrupted by SIGINT before any trial finished with a score; nothing was written\n"
    )
    assert not (tmp_path / "none").exists() and signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_search_where_every_trial_diverges_is_one_line_with_its_table(tmp_path, capsys):
    from nn.search.__main__ import main

    out = tmp_path / "s"
    assert (
        main(["--dataset", "moons", "--grid", "lr=1e8,1e9", "optimizer=sgd", "--epochs", "2", "--out", str(out)]) == 1
    )
    stderr = capsys.readouterr().err  # was FloatingPointError's traceback, nothing written
    assert stderr.startswith("error: grid_search: training diverged for every setting; the first error: fit: the loss")
    assert stderr.endswith(f"; wrote results.csv (each trial with its error) to {out}\n") and stderr.count("\n") == 1
    rows = read_csv(out / "results.csv")
    assert [r["lr"] for r in rows] == ["100000000.0", "1000000000.0"] and all(r["score"] == "-inf" for r in rows)
    assert all(r["error"].startswith("fit: the loss became") for r in rows)


def test_a_build_fn_that_cannot_reach_the_workers_is_named(tmp_path):
    import threading

    pytest.importorskip("joblib")
    X, y = nn.datasets.make_moons(40, noise=0.2, seed=0)
    lock = threading.Lock()

    def build(lr):  # holds a lock: cannot be pickled to a worker process
        with lock:
            model = nn.MLP([2, 4, 2], seed=0)
        return model, F.cross_entropy, nn.optim.SGD(model.parameters(), lr=lr)

    message = (  # was joblib's "Could not pickle the task to send it to the workers."
        r"grid_search: n_jobs=2 runs trials in worker processes, which must pickle build_fn and the fit options, "
        r"and cannot \(TypeError: cannot pickle '_thread.lock' object\); .* or pass n_jobs=1"
    )
    with pytest.raises(TypeError, match=message):
        nn.grid_search(build, {"lr": [0.1, 0.01]}, X, y, validation=(X, y), epochs=1, n_jobs=2)
    assert nn.grid_search(build, {"lr": [0.1, 0.01]}, X, y, validation=(X, y), epochs=1).best_params  # n_jobs=1 runs


def test_a_search_of_one_trial_says_one_trial(tmp_path, capsys):
    from nn.search.__main__ import main

    assert main(["--dataset", "moons", "--grid", "lr=0.1", "--epochs", "1", "--out", str(tmp_path / "s")]) == 0
    assert capsys.readouterr().out.startswith("1 trial in ")  # was "1 trials in"


def test_ctrl_c_stops_a_search_in_processes_keeping_what_finished(monkeypatch):
    import signal
    import threading
    import time

    pytest.importorskip("joblib")
    X, y = nn.datasets.make_moons(80, noise=0.2, seed=0)

    def build(lr):  # the third trial, in a worker, sends the Ctrl-C and then would run for a minute
        if lr == 0.03:
            os.kill(os.getppid(), signal.SIGINT)
            time.sleep(60)
        model = nn.MLP([2, 4, 2], seed=0)
        return model, F.cross_entropy, nn.optim.SGD(model.parameters(), lr=lr)

    grid = {"lr": [0.3, 0.1, 0.03, 0.01, 0.003, 0.001]}
    thread_errors = []  # loky's manager thread failed (KeyError) when trials were still queued in a pool shut down
    monkeypatch.setattr(threading, "excepthook", thread_errors.append)
    start = time.perf_counter()
    with pytest.raises(KeyboardInterrupt) as stop:
        nn.grid_search(build, grid, X, y, validation=(X, y), epochs=2, n_jobs=2)
    assert time.perf_counter() - start < 30  # the sleeping worker was stopped, not waited for
    finished = [r["params"]["lr"] for r in stop.value.results]
    assert 1 <= len(finished) <= 3 and 0.03 not in finished and stop.value.trials == 6
    time.sleep(0.5)
    assert not thread_errors  # (a race: seen in 1 of 6 Ctrl-C's before one trial per worker was submitted)
    assert nn.grid_search(build, {"lr": [0.3, 0.1]}, X, y, validation=(X, y), epochs=1, n_jobs=2).best_params


def test_a_search_holds_one_trained_model_at_a_time():
    import tracemalloc

    X, y = nn.datasets.make_moons(16, noise=0.2, seed=0)

    def build(lr):  # 0.5 MB of weights a model
        model = nn.MLP([2, 256, 256, 2], seed=0)
        return model, F.cross_entropy, nn.optim.SGD(model.parameters(), lr=lr)

    model_bytes = sum(p.data.nbytes for p in build(0.1)[0].parameters())
    peaks = []
    for n in (4, 16):
        tracemalloc.start()
        result = nn.grid_search(build, {"lr": list(np.linspace(0.01, 0.1, n))}, X, y, validation=(X, y), epochs=1)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert len(result.results) == n
    assert peaks[1] - peaks[0] < 3 * model_bytes, (peaks, model_bytes)  # was 12 models more: every one kept


def test_an_out_folder_that_cannot_be_made_is_said_before_the_search(tmp_path, capsys, monkeypatch):
    from nn.search.__main__ import main

    (tmp_path / "a_file").write_text("x")
    monkeypatch.chdir(tmp_path)
    cases = {  # a file on the way was a NotADirectoryError traceback after every trial had run; ~ made a folder '~'
        str(tmp_path / "a_file" / "sub"): "is a file, so no folder can be made under it",
        "~/searches/s1": f"'~' is not expanded here (unquoted, the shell does it): give {os.path.expanduser('~')}",
        str(tmp_path / "a_file"): "exists and is not a folder",
    }
    for out, message in cases.items():
        with pytest.raises(SystemExit) as exit_:
            main(["--dataset", "moons", "--grid", "lr=0.1", "--out", out])
        stderr = capsys.readouterr().err
        assert exit_.value.code == 2 and f"error: --out {out}: " in stderr and message in stderr, stderr
    assert sorted(os.listdir(tmp_path)) == ["a_file"]


def test_a_scheduler_without_workers_says_it_waits_and_ctrl_c_stops_it(tmp_path):
    import signal
    import time

    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(n_workers=0, processes=True, dashboard_address=None) as cluster,  # (tcp://)
        open(tmp_path / "err", "w") as err,
    ):
        search = subprocess.Popen(
            [sys.executable, "-m", "nn.search", "--dataset", "moons", "--grid", "lr=0.1", "--epochs", "1",
             "--scheduler", cluster.scheduler_address, "--out", str(tmp_path / "s")],
            stdout=subprocess.DEVNULL, stderr=err, env=ENV,
        )  # fmt: skip
        note = f"note: the scheduler at {cluster.scheduler_address} has no workers yet; waiting for one"
        deadline = time.monotonic() + 60
        while note not in (tmp_path / "err").read_text() and time.monotonic() < deadline and search.poll() is None:
            time.sleep(0.2)  # it waited silently, for ever
        search.send_signal(signal.SIGINT)
        assert search.wait(timeout=60) == 130
    stderr = (tmp_path / "err").read_text()
    assert stderr.startswith(note) and stderr.endswith("before any trial finished with a score; nothing was written\n")
    assert "Traceback" not in stderr and not (tmp_path / "s").exists()


def test_a_search_on_npy_features_takes_labels(tmp_path, capsys):
    from nn.search.__main__ import main

    X, y = nn.datasets.make_moons(90, noise=0.2, seed=0)
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    args = ["--data", str(tmp_path / "X.npy"), "--grid", "lr=0.1", "--epochs", "1", "--out", str(tmp_path / "s")]
    assert main([*args, "--labels", str(tmp_path / "y.npy")]) == 0  # --data X.npy could not be searched at all
    assert len(read_csv(tmp_path / "s" / "results.csv")) == 1
    assert main(args) == 2 and "a .npy holds only the features" in capsys.readouterr().err


def test_layers_too_big_for_this_machine_are_refused_before_a_trial(tmp_path, capsys, monkeypatch):
    import nn.search.__main__ as search_cli

    code = search_cli.main(["--dataset", "digits", "--grid", "hidden=8,100000:100000", "--out", str(tmp_path / "s")])
    stderr = capsys.readouterr().err  # 80 GB of weights: numpy's MemoryError (or the machine swapping) in the trial
    assert code == 2 and stderr.startswith("error: --grid hidden=100000:100000 needs about ")
    assert stderr.endswith("; choose smaller layers\n") and stderr.count("\n") == 1 and not (tmp_path / "s").exists()
    monkeypatch.setattr(search_cli, "physical_memory", lambda: 2**30)  # a 1 GiB machine: a range's top is checked
    space = search_cli.parse_args(["--samples", "2", "--grid", "hidden=int:2:100000", "batch_size=int:8:512"]).space
    assert search_cli.memory_problem(space, 1000, 64, 10).startswith("--grid hidden=100000 needs about 1.8 GiB")
    assert search_cli.memory_problem({"hidden": [[64]], "batch_size": [32]}, 1000, 64, 10) is None
