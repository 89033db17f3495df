"""Fifth everyday-use audit: python -m nn.predict, python -m nn.search and nn.grid_search / nn.random_search
as a practitioner runs them on their own files (each test fails on the code before its fix)."""

import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F

ENV = dict(os.environ, PYTHONPATH=os.pathsep.join([os.getcwd(), os.environ.get("PYTHONPATH", "")]))


def run(module, *args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", module, *map(str, args)], capture_output=True, text=True, env=ENV, cwd=cwd, timeout=300
    )


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def moons_csv(path, n=120, seed=2):
    X, y = nn.datasets.make_moons(n, noise=0.2, seed=seed)
    X = X * [10.0, 0.1] + [50.0, -3.0]  # far from standardised: a model applied without its standardizer errs
    lines = ["a,b,kind"] + [f"{u},{v},{'round' if k else 'flat'}" for (u, v), k in zip(X, y)]
    path.write_text("\n".join(lines) + "\n")
    return X, y


def test_the_search_best_model_predicts_raw_rows_with_its_standardizer_and_class_names(tmp_path):
    X, _ = moons_csv(tmp_path / "mine.csv")
    done = run("nn.search", "--data", tmp_path / "mine.csv", "--target", "kind", "--grid", "lr=0.03", "hidden=8",
               "--epochs", "3", "--out", tmp_path / "s")  # fmt: skip
    assert done.returncode == 0, done.stderr
    path = str(tmp_path / "s" / "best" / "model.npz")
    info = nn.read_info(path)  # it had no standardizer, task, class or feature names: predict read raw rows as scaled
    assert info.task == "classification" and info.class_names == ["flat", "round"]
    assert info.feature_names == ["a", "b"] and info.preprocessing is not None
    splits = nn.tables.load_splits(data=str(tmp_path / "mine.csv"), target="kind", seed=0)
    np.testing.assert_allclose(info.preprocessing.mean, splits.standardizer.mean)
    (tmp_path / "new.csv").write_text("b,a\n" + "".join(f"{v},{u}\n" for u, v in X[:20]))
    from nn.predict import main

    assert main([path, "--data", str(tmp_path / "new.csv"), "--out", str(tmp_path / "p.csv")]) == 0
    rows = read_csv(tmp_path / "p.csv")
    model = nn.load(path)
    expected = model(ag.Tensor(splits.standardizer.transform(X[:20]))).data.argmax(1)
    assert [r["prediction"] for r in rows] == [["flat", "round"][k] for k in expected]


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


@pytest.fixture
def saved_model(tmp_path):
    X, _ = nn.datasets.make_moons(50, seed=0)
    path = str(tmp_path / "model.npz")
    nn.save(nn.MLP([2, 64, 2], seed=0), path, preprocessing=nn.datasets.Standardizer().fit(X * 10 + 5),
            task="classification", class_names=["flat", "round"], feature_names=["a", "b"])  # fmt: skip
    return path


def big_csv(path, n, bad_row=None):
    rng = np.random.default_rng(0)
    lines = ["b,a,kind"] + [f"{u:.5f},{v:.5f},x" for u, v in rng.normal(5, 10, size=(n, 2))]
    if bad_row is not None:
        lines[bad_row] = "1.0,oops,x"
    path.write_text("\n".join(lines) + "\n")


def test_predict_streams_a_long_file_in_bounded_memory_and_never_half_writes(tmp_path, saved_model, capsys):
    import tracemalloc

    from nn.predict import BLOCK_ROWS, load_features, main, predict

    peaks = []
    for n in (BLOCK_ROWS, 4 * BLOCK_ROWS):  # the whole file was held as Python strings, then as hidden activations
        big_csv(tmp_path / f"{n}.csv", n)
        tracemalloc.start()
        assert main([saved_model, "--data", str(tmp_path / f"{n}.csv"), "--out", str(tmp_path / f"{n}.out.csv")]) == 0
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < 1.3 * peaks[0], peaks  # was 4x: memory grew with the file
    columns, rows = predict(nn.load(saved_model), nn.read_info(saved_model),
                            load_features(tmp_path / f"{4 * BLOCK_ROWS}.csv", ["a", "b"]))  # fmt: skip
    with open(tmp_path / f"{4 * BLOCK_ROWS}.out.csv", newline="") as f:
        assert list(csv.reader(f)) == [columns, *rows]  # block by block, the same table as all at once
    # A bad cell in the third block: one line, and the existing --out is left as it was (not half rewritten).
    big_csv(tmp_path / "bad.csv", 3 * BLOCK_ROWS, bad_row=2 * BLOCK_ROWS + 5)
    (tmp_path / "old.csv").write_text("old predictions\n")
    capsys.readouterr()
    assert main([saved_model, "--data", str(tmp_path / "bad.csv"), "--out", str(tmp_path / "old.csv")]) == 2
    assert capsys.readouterr().err == (
        f"error: load_features: {tmp_path / 'bad.csv'}: column 'a', row {2 * BLOCK_ROWS + 6}: 'oops' is not a number\n"
    )
    assert (tmp_path / "old.csv").read_text() == "old predictions\n" and os.listdir(tmp_path).count("old.csv") == 1
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]


def test_predict_names_a_tab_separated_csv_and_a_folder(tmp_path, saved_model, capsys):
    from nn.predict import main

    (tmp_path / "tabs.csv").write_text("a\tb\n1\t2\n")
    (tmp_path / "data").mkdir()
    expected = {
        "tabs.csv": "one column named 'a\\tb': separate the columns with commas, not '\\t'",  # was "lacks the columns"
        "data": "is a folder (or a device), not a data file",  # was "no such file"
    }
    for name, message in expected.items():
        assert main([saved_model, "--data", str(tmp_path / name), "--out", str(tmp_path / "p.csv")]) == 2
        stderr = capsys.readouterr().err
        assert message in stderr and stderr.count("\n") == 1, stderr
    assert not (tmp_path / "p.csv").exists()


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


def test_predict_interrupted_by_ctrl_c_or_kill_is_one_line_and_keeps_the_old_file(
    tmp_path, saved_model, capsys, monkeypatch
):
    import signal

    import nn.predict as predict_cli

    big_csv(tmp_path / "in.csv", 3 * predict_cli.BLOCK_ROWS)
    blocks = []

    def predict_then_signal(signum):
        def predict(model, info, X):
            blocks.append(len(X))
            if len(blocks) == 2:
                os.kill(os.getpid(), signum)  # mid-file, as Ctrl-C / kill would
            return real_predict(model, info, X)

        return predict

    real_predict = predict_cli.predict
    for signum, code, existing in ((signal.SIGINT, 130, True), (signal.SIGTERM, 143, False)):
        blocks.clear()
        out = tmp_path / f"out{code}.csv"
        if existing:
            out.write_text("old predictions\n")
        monkeypatch.setattr(predict_cli, "predict", predict_then_signal(signum))
        try:
            assert predict_cli.main([saved_model, "--data", str(tmp_path / "in.csv"), "--out", str(out)]) == code
        except KeyboardInterrupt:
            pytest.fail("nn.predict let Ctrl-C out as a KeyboardInterrupt traceback")
        kept = "left as it was" if existing else "not written"  # was a KeyboardInterrupt traceback
        assert capsys.readouterr().err == f"interrupted by {signal.Signals(signum).name}; {out} {kept}\n"
        assert (out.read_text() == "old predictions\n") if existing else not out.exists()
    assert sorted(os.listdir(tmp_path)) == ["in.csv", "model.npz", "out130.csv"]  # no temporary file left
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def edited_model(saved_model, folder, **changes):
    """A copy of ``saved_model`` whose JSON description has ``changes`` (a file from elsewhere)."""
    import json

    with np.load(saved_model) as archive:
        arrays = {name: archive[name] for name in archive.files}
    description = json.loads(arrays["__model__"].tobytes())
    description.update(changes)
    arrays["__model__"] = np.frombuffer(json.dumps(description).encode(), dtype=np.uint8)
    path = str(folder / f"edited{len(os.listdir(folder))}.npz")
    np.savez(path, **arrays)
    return path


def test_model_files_that_would_predict_wrongly_are_refused(tmp_path, saved_model, capsys):
    from nn.predict import main

    (tmp_path / "new.csv").write_text("a,b\n1,2\n3,4\n")
    cases = [  # each was read: a newer layout as version 1, wrong names silently
        (dict(format_version=2), "its description has format_version 2, written by autograd_core"),
        (
            dict(class_names=["x", "y", "z"]),
            "the model file lists 3 class names ['x', 'y', 'z'] and its model gives 2 outputs",
        ),
        (
            dict(class_names=["x"]),
            "the model file lists 1 class name ['x'] and its model gives 2 outputs",
        ),  # IndexError
        (dict(class_names=["x", "x"]), "class_names names ['x'] more than once"),  # p_x, p_x
        (dict(feature_names=["a", "a"]), "feature_names names ['a'] more than once"),  # column a read twice, b never
        (dict(feature_names=["a", "b", "c"]), "it names 3 features and standardises 2"),
    ]
    for changes, message in cases:
        path = edited_model(saved_model, tmp_path, **changes)
        assert main([path, "--data", str(tmp_path / "new.csv"), "--out", str(tmp_path / "p.csv")]) == 2, changes
        stderr = capsys.readouterr().err
        assert message in stderr and stderr.count("\n") == 1, stderr
    assert not (tmp_path / "p.csv").exists()
    assert nn.read_info(edited_model(saved_model, tmp_path, format_version=1)).class_names == ["flat", "round"]
    with pytest.raises(ValueError, match=r"nn.save: feature_names names \['a'\] more than once"):
        nn.save(nn.MLP([2, 2]), str(tmp_path / "m.npz"), feature_names=["a", "a"])


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


def test_predict_never_writes_over_its_own_data_or_model(tmp_path, saved_model, capsys):
    from nn.predict import main

    data = tmp_path / "new.csv"
    data.write_text("a,b\n1,2\n")
    for out, name in ((data, "--data"), (Path(saved_model), "model")):  # the data was replaced by its predictions
        before = out.read_bytes()
        with pytest.raises(SystemExit) as exit_:
            main([saved_model, "--data", str(data), "--out", str(out)])
        stderr = capsys.readouterr().err
        assert exit_.value.code == 2 and f"--out {out} is the {name} file" in stderr
        assert out.read_bytes() == before


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
