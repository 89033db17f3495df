"""nn.grid_search / nn.random_search: the same table sequentially, in processes and on a real Dask cluster;
dying workers retried or reported; distributions; the command line."""

import math
import os
import sys

import numpy as np
import pytest

import nn
import nn.functional as F
from nn import optim

X, y = nn.datasets.make_moons(160, noise=0.2, seed=0)
VALIDATION = nn.datasets.make_moons(80, noise=0.2, seed=1)
GRID = {"hidden": [4, 16], "lr": [0.3, 0.03]}

try:  # worker processes cannot import this test file by name: send its functions by value
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
except ImportError:
    pass


def build(hidden, lr):
    model = nn.MLP([2, hidden, 2], seed=0)
    # numpy's global generator perturbs the start: seeded per trial, so every backend draws the same
    for p in model.parameters():
        p.data += 0.01 * np.random.standard_normal(p.shape)
    return model, F.cross_entropy, optim.SGD(model.parameters(), lr=lr)


def table(result):
    return [
        (tuple(sorted(r["params"].items())), r["score"], r["val_loss"], r["val_acc"], r["error"])
        for r in result.results
    ]


def weights(model):
    return [p.data.copy() for p in model.parameters()]


@pytest.fixture(scope="module")
def sequential():
    return nn.grid_search(build, GRID, X, y, validation=VALIDATION, epochs=4)


def test_processes_give_the_sequential_table(sequential):
    pytest.importorskip("joblib")
    parallel = nn.grid_search(build, GRID, X, y, validation=VALIDATION, epochs=4, n_jobs=2)
    assert table(parallel) == table(sequential)
    assert parallel.best_params == sequential.best_params
    for a, b in zip(weights(parallel.best_model), weights(sequential.best_model)):
        np.testing.assert_array_equal(a, b)
    assert len({r["score"] for r in sequential.results}) > 1  # the settings really differ


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    import dask

    # Fail a trial after its second dead worker (the default, 3, only makes the test slower).
    # LocalCluster closes a nanny for good when no worker of its name is back 15 s after one was
    # lost; these tests kill workers again and again, and on a loaded machine one was often
    # mid-restart then: searches in a row ran out of workers and waited forever.
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 1, "distributed.deploy.lost-worker-timeout": "1h"}),
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def test_a_dask_cluster_gives_the_sequential_table(sequential, dask_client):
    on_dask = nn.grid_search(build, GRID, X, y, validation=VALIDATION, epochs=4, backend=dask_client)
    assert table(on_dask) == table(sequential)
    for a, b in zip(weights(on_dask.best_model), weights(sequential.best_model)):
        np.testing.assert_array_equal(a, b)
    assert table(nn.grid_search(build, GRID, X, y, validation=VALIDATION, epochs=4, backend="dask")) == table(
        sequential
    )  # the current client


def build_dying_once(marker):
    """A build function whose first call for hidden=16 kills its own worker process."""

    def build_or_die(hidden, lr):
        if hidden == 16 and not os.path.exists(marker):
            open(marker, "w").close()
            os._exit(1)
        return build(hidden, lr)

    return build_or_die


def test_a_worker_killed_mid_trial_is_retried_on_dask(sequential, dask_client, tmp_path):
    result = nn.grid_search(
        build_dying_once(str(tmp_path / "died")), GRID, X, y, validation=VALIDATION, epochs=4, backend=dask_client
    )
    assert (tmp_path / "died").exists()  # a worker really died
    assert table(result) == table(sequential)


def test_a_worker_killed_mid_trial_is_retried_in_processes(sequential, tmp_path):
    pytest.importorskip("joblib")
    result = nn.grid_search(
        build_dying_once(str(tmp_path / "died")), GRID, X, y, validation=VALIDATION, epochs=4, n_jobs=2
    )
    assert (tmp_path / "died").exists()
    assert table(result) == table(sequential)


def build_always_dying(hidden, lr):
    if hidden == 16:
        os._exit(1)
    return build(hidden, lr)


def test_a_trial_that_keeps_killing_workers_is_reported_not_dropped(sequential, dask_client):
    result = nn.grid_search(build_always_dying, GRID, X, y, validation=VALIDATION, epochs=4, backend=dask_client)
    assert len(result.results) == 4
    for row, expected in zip(result.results, sequential.results):
        assert row["params"] == expected["params"]
        if row["params"]["hidden"] == 16:
            assert row["score"] == -math.inf and row["error"].startswith("Dask workers died running this trial")
        else:
            assert row["score"] == expected["score"] and row["error"] is None
    assert not dask_client.futures  # nothing of the search is left on the cluster (to recompute at the next death)


def test_random_search_is_repeatable_and_stays_in_its_space():
    space = {
        "lr": nn.search.log_uniform(1e-3, 1e-1),
        "hidden": nn.search.randint(2, 6),
        "weight_decay": nn.search.uniform(0, 1e-3),
        "activation": ["relu", "tanh"],
    }

    def build_any(lr, hidden, weight_decay, activation):
        model = nn.MLP([2, hidden, 2], activation=activation, seed=0)
        return model, F.cross_entropy, optim.SGD(model.parameters(), lr=lr, weight_decay=weight_decay)

    first = nn.random_search(build_any, space, X, y, validation=VALIDATION, n_samples=5, epochs=2, seed=3)
    again = nn.random_search(build_any, space, X, y, validation=VALIDATION, n_samples=5, epochs=2, seed=3)
    other = nn.random_search(build_any, space, X, y, validation=VALIDATION, n_samples=5, epochs=2, seed=4)
    assert table(first) == table(again) and table(first) != table(other)
    for row in first.results:
        p = row["params"]
        assert 1e-3 <= p["lr"] <= 1e-1 and 2 <= p["hidden"] <= 6 and isinstance(p["hidden"], int)
        assert 0 <= p["weight_decay"] <= 1e-3 and p["activation"] in ("relu", "tanh")
    assert first.table()[0]["score"] == first.best_score == max(r["score"] for r in first.results)


def test_search_errors_say_what_to_do(monkeypatch):
    with pytest.raises(ValueError, match=r"grid_search: n_jobs must be a positive int or -1"):
        nn.grid_search(build, GRID, X, y, validation=VALIDATION, n_jobs=0)
    with pytest.raises(ValueError, match=r"random_search: n_samples must be a positive int"):
        nn.random_search(build, GRID, X, y, validation=VALIDATION, n_samples=0)
    with pytest.raises(ValueError, match=r"random_search: param_space\['lr'\] must be a non-empty list"):
        nn.random_search(build, {"lr": "fast"}, X, y, validation=VALIDATION, n_samples=2)
    with pytest.raises(ValueError, match=r"log_uniform: bounds must be > 0"):
        nn.search.log_uniform(0, 1)
    with pytest.raises(ValueError, match=r"uniform: bounds must be finite with lo <= hi"):
        nn.search.uniform(1, 0)
    with pytest.raises(ValueError, match=r"randint: bounds must be ints"):
        nn.search.randint(1.5, 3)
    with pytest.raises(ValueError, match=r"backend must be None, 'dask' or a dask.distributed.Client"):
        nn.grid_search(build, GRID, X, y, validation=VALIDATION, backend="spark")
    monkeypatch.setitem(sys.modules, "joblib.externals.loky", None)
    with pytest.raises(ImportError, match=r"pip install -e '.\[distributed\]'"):
        nn.grid_search(build, GRID, X, y, validation=VALIDATION, n_jobs=2)


def test_each_search_names_itself_in_the_trials_errors():
    # the trial runner is shared; its errors once said "grid_search:" whichever search ran it
    def bad_build(lr):
        return nn.MLP([2, 4, 2], seed=0)  # the model alone, not (model, loss_fn, optimizer)

    space = {"lr": [0.1]}
    for name, search, extra in [
        ("grid_search", nn.grid_search, {}),
        ("random_search", nn.random_search, {"n_samples": 1}),
        ("successive_halving", nn.successive_halving, {"min_epochs": 1, "max_epochs": 2, "eta": 2}),
    ]:
        with pytest.raises(ValueError, match=rf"^{name}: n_jobs must be a positive int or -1"):
            search(bad_build, space, X, y, validation=VALIDATION, n_jobs=0, **extra)
        with pytest.raises(TypeError, match=rf"^{name}: build_fn\(\{{'lr': 0.1\}}\) must return \(model, loss_fn"):
            search(bad_build, space, X, y, validation=VALIDATION, **extra)


# ---------------------------------------------------------------------------------- python -m nn.search
def run_cli(*args, cwd=None):
    import subprocess

    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.getcwd(), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run(
        [sys.executable, "-m", "nn.search", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300
    )


def read_results(folder):
    import csv

    with open(folder / "results.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_cli_grid_writes_the_table_the_picture_and_the_best_run(tmp_path):
    done = run_cli(
        "--dataset", "moons", "--grid", "lr=0.3,0.03", "hidden=4,8:8", "--epochs", "3", "--out", str(tmp_path / "s")
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "4 trials in" in done.stdout
    rows = read_results(tmp_path / "s")
    assert [r["hidden"] for r in rows].count("8:8") == 2 and len(rows) == 4
    scores = [float(r["score"]) for r in rows]
    assert scores == sorted(scores, reverse=True)
    assert (tmp_path / "s" / "search.png").read_bytes().startswith(b"\x89PNG")
    best = rows[0]
    sizes = [2, *map(int, best["hidden"].split(":")), 2]
    rebuilt = nn.MLP(sizes, seed=0)
    nn.load(rebuilt, str(tmp_path / "s" / "best" / "model.npz"))
    val = nn.tables.load_splits(dataset="moons", seed=0).validation
    assert nn.evaluate(rebuilt, F.cross_entropy, *val)[1] == pytest.approx(float(best["score"]))


def test_cli_random_search_and_a_user_csv(tmp_path):
    Xc, yc = nn.datasets.make_moons(120, noise=0.2, seed=2)
    lines = ["a,b,kind"] + [f"{u},{v},{'round' if k else 'flat'}" for (u, v), k in zip(Xc, yc)]
    (tmp_path / "mine.csv").write_text("\n".join(lines) + "\n")
    done = run_cli(
        "--data",
        str(tmp_path / "mine.csv"),
        "--target",
        "kind",
        "--samples",
        "3",
        "--grid",
        "lr=log:1e-3:1e-1",
        "hidden=int:2:8",
        "--epochs",
        "2",
        "--out",
        str(tmp_path / "r"),
    )
    assert done.returncode == 0, done.stderr
    rows = read_results(tmp_path / "r")
    assert len(rows) == 3 and all(1e-3 <= float(r["lr"]) <= 1e-1 and 2 <= int(r["hidden"]) <= 8 for r in rows)


def test_cli_on_a_dask_scheduler_gives_the_sequential_table(tmp_path, dask_client):
    args = ["--dataset", "moons", "--grid", "lr=0.3,0.03", "hidden=4,8", "--epochs", "3"]
    here = run_cli(*args, "--out", str(tmp_path / "here"))
    there = run_cli(*args, "--scheduler", dask_client.scheduler.address, "--out", str(tmp_path / "there"))
    assert here.returncode == 0 and there.returncode == 0, there.stderr
    assert read_results(tmp_path / "here") == read_results(tmp_path / "there")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--grid", "lr=fast"], r"--grid lr: 'fast' is not a valid value"),
        (["--grid", "lr=-1"], r"--grid lr: '-1' must be a finite number > 0"),
        (["--grid", "depth=3"], r"--grid: expected NAME=VALUES with NAME one of"),
        (["--grid", "lr=log:1e-4:1e-1"], r"is a range to draw from; add --samples K"),
        (["--grid", "hidden=0"], r"--grid hidden: '0' is not a valid value"),
        (["--grid", "lr=0.1", "--jobs", "0"], r"--jobs must be -1 or 1..256"),
        (["--grid", "lr=0.1", "--jobs", "2", "--scheduler", "tcp://127.0.0.1:1"], r"exclude each other"),
        (["--grid", "lr=0.1", "--samples", "0"], r"--samples must be in 1..10000"),
    ],
)
def test_cli_usage_errors_are_one_line(tmp_path, capsys, args, message):
    import re

    from nn.search.__main__ import main

    with pytest.raises(SystemExit) as exit_:
        main(["--dataset", "moons", *args, "--out", str(tmp_path / "x")])
    stderr = capsys.readouterr().err
    assert exit_.value.code == 2 and re.search(message, stderr), stderr
    assert stderr.count("error:") == 1 and not (tmp_path / "x").exists()


def test_cli_data_errors_name_the_column(tmp_path):
    (tmp_path / "bad.csv").write_text("a,b,c\n1,x,0\n2,3,1\n")
    done = run_cli("--data", str(tmp_path / "bad.csv"), "--grid", "lr=0.1", "--out", str(tmp_path / "x"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "column 'b' is not numeric (row 2: 'x')" in done.stderr and not (tmp_path / "x").exists()
