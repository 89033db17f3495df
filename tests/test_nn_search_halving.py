"""nn.successive_halving: the book's rung schedule, promotions recomputed from the rows, the epochs spent,
each trial a standalone nn.fit of its setting and epochs, the same table in processes, bad input refused.
(The book's own scheduler against it: tests/test_d2l_ports_hpo.py.)"""

import math
import sys

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from nn import optim

pytestmark = pytest.mark.usefixtures("one_blas_thread")  # tiny matrices: the fixture in conftest.py says why

X, y = nn.datasets.make_moons(120, noise=0.2, seed=0)
VALIDATION = nn.datasets.make_moons(60, noise=0.2, seed=1)
SPACE = {"lr": nn.search.log_uniform(1e-3, 1.0), "hidden": nn.search.randint(2, 8)}

try:  # worker processes cannot import this test file by name: send its functions by value
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
except ImportError:
    pass


def build(lr, hidden):
    model = nn.MLP([2, hidden, 2])  # unseeded: ag's default generator, seeded per trial by the search
    for p in model.parameters():  # and numpy's global one, also seeded per trial
        p.data += 0.01 * np.random.standard_normal(p.shape)
    return model, F.cross_entropy, optim.SGD(model.parameters(), lr=lr)


def standalone(setting, epochs, seed):
    """One nn.fit of ``setting`` for ``epochs``, seeded as the search seeds a trial: (score, model)."""
    np.random.seed(seed % 2**32)
    ag.manual_seed(seed % 2**32)
    model, loss_fn, optimizer = build(**setting)
    nn.fit(model, loss_fn, optimizer, X, y, epochs=epochs, batch_size=32, progress=False)
    return nn.evaluate(model, loss_fn, *VALIDATION)[1], model


def book_schedule(n, r_min, r_max, eta):
    """d2l 19.3's rung levels (r_min eta^k, r_max added) and sizes, as its SuccessiveHalvingScheduler computes them."""
    K = int(np.log(r_max / r_min) / np.log(eta))
    levels = [r_min * eta**k for k in range(K + 1)]
    if r_max not in levels:
        levels.append(r_max)
    sizes = [n]
    for _ in levels[1:]:
        sizes.append(math.ceil(sizes[-1] / eta))
    return list(zip(sizes, levels))


def test_the_schedule_is_the_book_s_rungs():
    assert nn.search.halving_schedule(8, 2, 10, eta=2) == [(8, 2), (4, 4), (2, 8), (1, 10)]  # d2l 19.3
    assert sum(n * e for n, e in nn.search.halving_schedule(8, 2, 10, eta=2)) == 58 < 8 * 10
    assert nn.search.halving_schedule(27, 1, 27, eta=3) == [(27, 1), (9, 3), (3, 9), (1, 27)]
    assert nn.search.halving_schedule(5, 7, 7, eta=2) == [(5, 7)]  # one rung: a random search at max_epochs
    for n in (1, 5, 8, 30):
        for r_min in (1, 2, 3, 5):
            for r_max in range(r_min, 40):
                for eta in (2, 3, 4):
                    assert nn.search.halving_schedule(n, r_min, r_max, eta) == book_schedule(n, r_min, r_max, eta)


@pytest.fixture(scope="module")
def halving():
    return nn.successive_halving(
        build, SPACE, X, y, validation=VALIDATION, n_trials=8, min_epochs=1, max_epochs=5, eta=2, seed=3
    )


def test_every_rung_trains_its_schedule(halving):
    rungs = [[r for r in halving.results if r["rung"] == k] for k in range(4)]
    assert [(len(rows), rows[0]["epochs"]) for rows in rungs] == [(8, 1), (4, 2), (2, 4), (1, 5)]
    assert len(halving.results) == 15 and all(r["error"] is None for r in halving.results)
    assert [r["history"].epochs_run for r in halving.results] == [r["epochs"] for r in halving.results]
    assert sum(r["history"].epochs_run for r in halving.results) == 8 + 8 + 8 + 5 < 8 * 5  # the epochs spent
    assert sorted(r["trial"] for r in rungs[0]) == list(range(8))
    assert len({r["score"] for r in rungs[0]}) > 3  # the settings really differ


def test_each_rung_promotes_exactly_the_best_of_the_rung_below(halving):
    for k in (1, 2, 3):
        below = [r for r in halving.results if r["rung"] == k - 1]
        here = [r for r in halving.results if r["rung"] == k]
        ranked = sorted(below, key=lambda r: (-r["score"], r["trial"]))  # ties: the setting run first
        assert sorted(r["trial"] for r in here) == sorted(r["trial"] for r in ranked[: math.ceil(len(below) / 2)])
        for r in here:  # a promoted setting is the same setting
            assert r["params"] == next(b["params"] for b in below if b["trial"] == r["trial"])
    last = [r for r in halving.results if r["rung"] == 3]
    assert halving.best_params == last[0]["params"] and halving.best_score == last[0]["score"]
    top = dict(rung=3, epochs=5, score=halving.best_score, val_loss=last[0]["val_loss"], val_acc=halving.best_score)
    assert halving.table()[0] == {**halving.best_params, **top, "error": None}
    assert [row["rung"] for row in halving.table()] == [3, 2, 2] + [1] * 4 + [0] * 8


def test_a_trial_is_a_standalone_fit_of_its_setting_and_the_winner_a_fit_for_max_epochs(halving):
    for r in halving.results:
        if r["rung"] > 0:  # the first rung is checked against random_search below
            assert r["score"] == standalone(r["params"], r["epochs"], 3 + r["trial"])[0]
    winner = next(r for r in halving.results if r["rung"] == 3)
    score, model = standalone(halving.best_params, 5, 3 + winner["trial"])
    assert score == halving.best_score
    for mine, theirs in zip(halving.best_model.parameters(), model.parameters()):
        np.testing.assert_array_equal(mine.data, theirs.data)


def test_the_first_rung_is_random_search_s_trials_and_the_same_seed_the_same_table(halving):
    drawn = nn.random_search(build, SPACE, X, y, validation=VALIDATION, n_samples=8, epochs=1, seed=3)
    first = [r for r in halving.results if r["rung"] == 0]
    assert [(r["params"], r["score"]) for r in first] == [(r["params"], r["score"]) for r in drawn.results]
    again = nn.successive_halving(
        build, SPACE, X, y, validation=VALIDATION, n_trials=8, min_epochs=1, max_epochs=5, eta=2, seed=3
    )
    assert again.table() == halving.table()


def test_processes_give_the_sequential_table(halving):
    pytest.importorskip("joblib")
    parallel = nn.successive_halving(
        build, SPACE, X, y, validation=VALIDATION, n_trials=8, min_epochs=1, max_epochs=5, eta=2, seed=3, n_jobs=2
    )
    assert parallel.table() == halving.table()
    for a, b in zip(parallel.best_model.parameters(), halving.best_model.parameters()):
        np.testing.assert_array_equal(a.data, b.data)


def grid_build(lr):
    model = nn.MLP([2, 4, 2], seed=0)
    return model, F.cross_entropy, optim.SGD(model.parameters(), lr=lr)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_without_n_trials_every_grid_point_and_a_diverging_one_never_promoted():
    grid = {"lr": [1e300, 1e301, 0.5, 1e302]}
    result = nn.successive_halving(grid_build, grid, X, y, validation=VALIDATION, min_epochs=1, max_epochs=2, eta=2)
    assert [(r["params"]["lr"], r["rung"]) for r in result.results[:4]] == [(lr, 0) for lr in grid["lr"]]
    assert [r["score"] == -math.inf for r in result.results[:4]] == [True, True, False, True]
    assert result.results[0]["error"].startswith("fit: the loss became")
    promoted = [(r["params"]["lr"], r["rung"], r["epochs"]) for r in result.results[4:]]
    assert promoted == [(0.5, 1, 2)]  # the one scored setting, never a diverged one, though 2 of 4 were due
    assert result.best_params == {"lr": 0.5}
    with pytest.raises(FloatingPointError, match=r"successive_halving: training diverged for every setting of rung 0"):
        nn.successive_halving(grid_build, {"lr": [1e300, 1e301]}, X, y, validation=VALIDATION, max_epochs=2, eta=2)


def test_ctrl_c_keeps_the_finished_trials_of_every_rung():
    calls = []

    def build_then_stop(lr):
        calls.append(lr)
        if len(calls) == 4 + 2:  # the second trial of rung 1
            raise KeyboardInterrupt
        return grid_build(lr)

    with pytest.raises(KeyboardInterrupt) as stop:
        nn.successive_halving(build_then_stop, {"lr": [0.5, 0.2, 0.05, 0.01]}, X, y, validation=VALIDATION,
                              min_epochs=1, max_epochs=4, eta=2)  # fmt: skip
    rows, result = stop.value.results, stop.value.result
    assert [r["rung"] for r in rows] == [0, 0, 0, 0, 1] and stop.value.trials == 4 + 2 + 1
    assert result.best_params == rows[4]["params"] and result.best_model is not None  # the rung it reached


@pytest.mark.parametrize(
    "options, error, message",
    [
        (dict(eta=1), ValueError, r"successive_halving: eta must be an int >= 2 .* got 1"),
        (dict(eta=2.5), ValueError, r"successive_halving: eta must be an int >= 2 .* got 2.5"),
        (dict(min_epochs=0), ValueError, r"successive_halving: min_epochs \(the epochs of the first rung\) must be"),
        (dict(min_epochs=6, max_epochs=5), ValueError, r"min_epochs=6 is more than max_epochs=5; .* lower min_epochs"),
        (dict(n_trials=0), ValueError, r"successive_halving: n_trials \(the settings drawn .*\) must be a positive"),
        (dict(epochs=5), ValueError, r"successive_halving: epochs cannot be given or searched: .* max_epochs="),
        (dict(validation=None), ValueError, r"successive_halving: validation=\(X_val, y_val\) is required"),
        (dict(patience=3), TypeError, r"successive_halving: unknown fit options \['patience'\]"),
    ],
)
def test_bad_input_says_what_to_do(options, error, message):
    kwargs = dict(validation=VALIDATION, n_trials=4, max_epochs=5)
    with pytest.raises(error, match=message):
        nn.successive_halving(build, SPACE, X, y, **{**kwargs, **options})


def test_a_space_the_rungs_or_a_grid_cannot_take_is_refused():
    with pytest.raises(ValueError, match=r"param_space\['lr'\] is a distribution \(log_uniform.*pass n_trials=K"):
        nn.successive_halving(build, SPACE, X, y, validation=VALIDATION)
    with pytest.raises(ValueError, match=r"successive_halving: param_space\['lr'\] must be a non-empty list of values"):
        nn.successive_halving(grid_build, {"lr": []}, X, y, validation=VALIDATION)
    with pytest.raises(ValueError, match=r"successive_halving: epochs cannot be given or searched"):
        nn.successive_halving(grid_build, {"lr": [0.1], "epochs": [1, 2]}, X, y, validation=VALIDATION)


# ---------------------------------------------------------------------------------- python -m nn.search --halving
def test_cli_halving_writes_every_rung_best_first_as_the_python_api(tmp_path, capsys):
    import csv

    from nn.search.__main__ import Builder, main

    out = tmp_path / "h"
    args = ["--dataset", "moons", "--grid", "lr=0.5,0.2,0.05,0.01", "--halving", "2", "--min-epochs", "1"]
    assert main([*args, "--epochs", "4", "--patience", "0", "--out", str(out)]) == 0
    assert "7 trials in" in capsys.readouterr().out  # 4 at 1 epoch, 2 at 2, 1 at 4
    with open(out / "results.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    splits = nn.tables.load_splits(dataset="moons", seed=0)
    api = nn.successive_halving(Builder(2, 2, 0), {"lr": [0.5, 0.2, 0.05, 0.01]}, *splits.train,
                                validation=splits.validation, min_epochs=1, max_epochs=4, eta=2)  # fmt: skip
    assert [(float(r["lr"]), int(r["rung"]), int(r["epochs"]), float(r["score"])) for r in rows] == [
        (r["lr"], r["rung"], r["epochs"], r["score"]) for r in api.table()
    ]
    assert [r["epochs"] for r in rows] == ["4", "2", "2", "1", "1", "1", "1"]
    best = nn.MLP([2, 64, 2], seed=0)
    nn.load(best, str(out / "best" / "model.npz"))
    assert nn.evaluate(best, F.cross_entropy, *splits.validation)[1] == float(rows[0]["score"]) == api.best_score
    assert (out / "search.png").read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--halving", "1"], r"--halving must be in 2..100, got 1"),
        (["--halving", "2", "--min-epochs", "30"], r"--min-epochs must be in 1..--epochs, got 30"),
        (["--min-epochs", "3"], r"--min-epochs is the first rung's epochs of --halving ETA; add --halving"),
    ],
)
def test_cli_halving_usage_errors_are_one_line(tmp_path, capsys, args, message):
    import re

    from nn.search.__main__ import main

    with pytest.raises(SystemExit) as exit_:
        main(["--dataset", "moons", "--grid", "lr=0.1", *args, "--out", str(tmp_path / "x")])
    stderr = capsys.readouterr().err
    assert exit_.value.code == 2 and re.search(message, stderr), stderr
    assert stderr.count("error:") == 1 and not (tmp_path / "x").exists()
