""" "Dive into Deep Learning" (d2l.ai, PyTorch edition) chapter 19, hyperparameter optimization, ported as
tests/test_d2l_ports.py ports 2.5-6.6 (``nn.fit`` trains, the book's HPO classes as it writes them; each step
asserting the book's outcome). The objective is the book's ``hpo_objective``: train for ``max_epochs`` from
scratch with ``learning_rate`` and ``batch_size``, return the validation error; softmax regression on the
bundled 8x8 digits (1,347 train / 450 validation) stands in for LeNet on Fashion-MNIST (no download).

19.1-19.2: the book's search space (learning rate log-uniform on [0.01, 1], batch size uniform on 32..256), its
``RandomSearcher`` + ``BasicScheduler`` + ``HPOTuner`` loop, and ``nn.random_search`` on the same space: every
trial ``nn.random_search`` reports is the objective's error for that setting (to the last bit: both train with
``nn.fit`` from the same seed), the incumbent trajectory never rises, and the best setting found has a
learning rate in the upper part of the range, as the book's figure shows. 19.3: the book's
``SuccessiveHalvingScheduler`` (r_min = 2, r_max = 10, eta = 2: rungs 2, 4, 8, 10 epochs with 8, 4, 2, 1
configurations), its promotions checked against the errors it observed, its budget (58 epochs against 80 for
the 8 configurations trained fully) and its winner against those 8 trained fully.

What the port needed: a trial of ``nn.search`` seeded numpy's global generator only, but layers built without
``seed=`` (the book's ``nn.Linear(64, 10)``) draw from ag's default generator (``ag.manual_seed``, as
``torch.manual_seed``): the same search twice gave different scores (0.231 then 0.104 for one setting), and a
trial's result hung on whatever ran before it. Each trial now seeds both from ``seed`` and its index.
``nn.search`` had grid and random search but no successive halving: the book's scheduler ran here as the
book writes it, on our objective, with nothing of the library's to compare it with. ``nn.successive_halving``
(rungs of ``nn.search`` trials with ``epochs`` raised, the top 1/eta promoted) now runs the book's setting:
given the same sampled settings and each setting's seed, it trains the same configurations at every rung as
the book's ``SuccessiveHalvingScheduler``, with the same errors, the same winner and the same 58 epochs.
19.4 (asynchronous successive halving) runs on Syne Tune's workers in the book, with no code of its own:
not ported.
"""

import math
from collections import defaultdict

import numpy as np
import pytest
from scipy import stats

import autograd_core as ag
import nn
import nn.functional as F


def _digits():
    X, y = nn.datasets.load_digits()
    X = X / 16.0
    return (X[:1347], y[:1347]), (X[1347:], y[1347:])


(TRAIN, VALID) = _digits()


def build(learning_rate):
    """Softmax regression and its SGD, for nn.search's build_fn and the book's objective alike."""
    model = nn.Linear(64, 10)
    return model, F.cross_entropy, nn.optim.SGD(model.parameters(), lr=learning_rate)


def hpo_objective(learning_rate, batch_size, max_epochs=4, seed=0):
    """The book's objective: train from scratch, return the validation error."""
    np.random.seed(seed)  # nn.search seeds every trial this way: the same weights here
    ag.manual_seed(seed)
    model, loss_fn, optimizer = build(learning_rate)
    nn.fit(model, loss_fn, optimizer, *TRAIN, epochs=max_epochs, batch_size=batch_size, progress=False)
    _, accuracy = nn.evaluate(model, loss_fn, *VALID)
    return 1 - accuracy


# ---------------------------------------------------------------- 19.1-19.2 the book's API: searcher, scheduler, tuner
config_space = {"learning_rate": stats.loguniform(1e-2, 1), "batch_size": stats.randint(32, 256)}


class HPOSearcher:  # the book's abstract base: RandomSearcher below defines sample_configuration
    def sample_configuration(self) -> dict:
        raise NotImplementedError

    def update(self, config: dict, error: float, additional_info=None):
        pass


class RandomSearcher(HPOSearcher):
    def __init__(self, config_space: dict, initial_config=None):
        self.config_space, self.initial_config = config_space, initial_config

    def sample_configuration(self) -> dict:
        if self.initial_config is not None:
            result = self.initial_config
            self.initial_config = None
        else:
            result = {name: domain.rvs() for name, domain in self.config_space.items()}
        return result


class BasicScheduler:
    def __init__(self, searcher: HPOSearcher):
        self.searcher = searcher

    def suggest(self) -> dict:
        return self.searcher.sample_configuration()

    def update(self, config: dict, error: float, info=None):
        self.searcher.update(config, error, additional_info=info)


class HPOTuner:
    def __init__(self, scheduler, objective):
        self.scheduler, self.objective = scheduler, objective
        self.incumbent, self.incumbent_error = None, None
        self.incumbent_trajectory, self.cumulative_runtime, self.records = [], [], []

    def run(self, number_of_trials):
        for _ in range(number_of_trials):
            config = self.scheduler.suggest()
            error = self.objective(**config)
            self.scheduler.update(config, error)
            self.records.append((config, error))
            self.bookkeeping(config, error)

    def bookkeeping(self, config: dict, error: float):
        if self.incumbent is None or self.incumbent_error > error:
            self.incumbent, self.incumbent_error = config, error
        self.incumbent_trajectory.append(self.incumbent_error)


def test_19_2_the_book_s_random_search_tuner_tracks_its_incumbent():
    np.random.seed(0)  # scipy's rvs draw from numpy's global generator
    searcher = RandomSearcher(config_space, initial_config={"learning_rate": 0.1, "batch_size": 128})
    tuner = HPOTuner(BasicScheduler(searcher), lambda **config: hpo_objective(**config, seed=1))
    draws = []
    tuner.objective = lambda **config: (draws.append(dict(config)), hpo_objective(**config, seed=1))[1]
    tuner.run(number_of_trials=8)
    errors = [error for _, error in tuner.records]
    assert draws[0] == {"learning_rate": 0.1, "batch_size": 128}  # the initial configuration first
    assert all(0.01 <= c["learning_rate"] <= 1 and 32 <= c["batch_size"] < 256 for c in draws)
    assert tuner.incumbent_trajectory == list(np.minimum.accumulate(errors))  # never rises
    assert tuner.incumbent_error == min(errors) < max(errors)
    assert tuner.incumbent == draws[int(np.argmin(errors))]


def test_19_1_nn_random_search_on_the_book_s_space_scores_each_trial_as_the_objective():
    space = {"learning_rate": nn.search.log_uniform(1e-2, 1), "batch_size": nn.search.randint(32, 256)}
    result = nn.random_search(build, space, *TRAIN, validation=VALID, n_samples=8, epochs=4, seed=3)
    again = nn.random_search(build, space, *TRAIN, validation=VALID, n_samples=8, epochs=4, seed=3)
    assert [r["score"] for r in again.results] == [r["score"] for r in result.results]  # repeatable
    for k, trial in enumerate(result.results):  # each trial is the book's objective for its setting
        p = trial["params"]
        error = hpo_objective(p["learning_rate"], p["batch_size"], max_epochs=4, seed=(3 + k) % 2**32)
        assert 1 - trial["score"] == pytest.approx(error, abs=1e-12)
    lrs = np.array([r["params"]["learning_rate"] for r in result.results])
    scores = np.array([r["score"] for r in result.results])
    assert result.best_score == scores.max() and result.best_params["learning_rate"] > 0.1
    assert stats.spearmanr(lrs, scores).statistic > 0.5  # at 4 epochs, larger steps do better on this range


def test_gap_a_search_trial_seeds_ag_s_generator_so_unseeded_layers_repeat():
    space = {"learning_rate": nn.search.log_uniform(1e-2, 1), "batch_size": [64]}
    ag.manual_seed(123)  # whatever ran before the search must not matter
    first = nn.random_search(build, space, *TRAIN, validation=VALID, n_samples=3, epochs=1, seed=5)
    ag.manual_seed(999)
    second = nn.random_search(build, space, *TRAIN, validation=VALID, n_samples=3, epochs=1, seed=5)
    assert [r["score"] for r in first.results] == [r["score"] for r in second.results]
    np.testing.assert_array_equal(first.best_model.weight.data, second.best_model.weight.data)


# ---------------------------------------------------------------- 19.3 Successive halving
class SuccessiveHalvingScheduler:
    def __init__(self, searcher, eta, r_min, r_max, prefact=1):
        self.searcher, self.eta, self.r_min, self.r_max, self.prefact = searcher, eta, r_min, r_max, prefact
        # Compute K, which is later used to determine the number of configurations
        self.K = int(np.log(r_max / r_min) / np.log(eta))
        # Define the rungs
        self.rung_levels = [r_min * eta**k for k in range(self.K + 1)]
        if r_max not in self.rung_levels:
            # The final rung should be r_max
            self.rung_levels.append(r_max)
            self.K += 1
        # Bookkeeping
        self.observed_error_at_rungs = defaultdict(list)
        self.all_observed_error_at_rungs = defaultdict(list)
        # Our processing queue
        self.queue = []

    def suggest(self):
        if len(self.queue) == 0:
            # Start a new round of successive halving
            # Number of configurations for the first rung:
            n0 = int(self.prefact * self.eta**self.K)
            for _ in range(n0):
                config = self.searcher.sample_configuration()
                config["max_epochs"] = self.r_min  # Set r = r_min
                self.queue.append(config)
        # Return an element from the queue
        return self.queue.pop()

    def update(self, config: dict, error: float, info=None):
        ri = int(config["max_epochs"])  # Rung r_i
        # Update our searcher, e.g if we use Bayesian optimization later
        self.searcher.update(config, error, additional_info=info)
        self.all_observed_error_at_rungs[ri].append((config, error))
        if ri < self.r_max:
            # Bookkeeping
            self.observed_error_at_rungs[ri].append((config, error))
            # Determine how many configurations should be evaluated on this rung
            ki = self.K - self.rung_levels.index(ri)
            ni = int(self.prefact * self.eta**ki)
            # If we observed all configuration on this rung r_i, we estimate the
            # top 1 / eta configuration, add them to queue and promote them for
            # the next rung r_{i+1}
            if len(self.observed_error_at_rungs[ri]) >= ni:
                kiplus1 = ki - 1
                niplus1 = int(self.prefact * self.eta**kiplus1)
                best_performing_configurations = self.get_top_n_configurations(rung_level=ri, n=niplus1)
                riplus1 = self.rung_levels[self.K - kiplus1]  # r_{i+1}
                # Queue may not be empty: insert new entries at the beginning
                self.queue = [
                    dict(config, max_epochs=riplus1) for config in best_performing_configurations
                ] + self.queue
                self.observed_error_at_rungs[ri] = []  # Reset

    def get_top_n_configurations(self, rung_level, n):
        rung = self.observed_error_at_rungs[rung_level]
        if not rung:
            return []
        sorted_rung = sorted(rung, key=lambda x: x[1])
        return [x[0] for x in sorted_rung[:n]]


def test_19_3_successive_halving_promotes_the_best_half_and_saves_budget():
    np.random.seed(0)
    scheduler = SuccessiveHalvingScheduler(RandomSearcher(config_space), eta=2, r_min=2, r_max=10)
    assert scheduler.rung_levels == [2, 4, 8, 10] and scheduler.K == 3
    tuner = HPOTuner(scheduler, hpo_objective)
    tuner.run(number_of_trials=8 + 4 + 2 + 1)  # one full round of successive halving
    rungs = scheduler.all_observed_error_at_rungs
    assert {r: len(rungs[r]) for r in (2, 4, 8, 10)} == {2: 8, 4: 4, 8: 2, 10: 1}
    for lower, upper in [(2, 4), (4, 8), (8, 10)]:  # promoted: the top 1/eta by error at the rung below
        best = sorted(rungs[lower], key=lambda ce: ce[1])[: len(rungs[upper])]
        assert sorted(_lr_bs(c) for c, _ in rungs[upper]) == sorted(_lr_bs(c) for c, _ in best)
    assert sum(c["max_epochs"] for c, _ in tuner.records) == 58 < 8 * 10
    # the winner against the 8 first-rung configurations each trained the full 10 epochs
    full = sorted(hpo_objective(c["learning_rate"], c["batch_size"], max_epochs=10) for c, _ in rungs[2])
    (winner, winner_error) = rungs[10][0]
    assert winner_error == hpo_objective(winner["learning_rate"], winner["batch_size"], max_epochs=10)
    assert winner_error <= full[1]  # among the two best of the 8, at 58/80 of the cost
    assert math.isclose(tuner.incumbent_error, min(e for _, e in tuner.records))


def _lr_bs(config):
    return (config["learning_rate"], config["batch_size"])


class _Drawn:
    """A book-style domain (``rvs()``) drawing an nn.search distribution from a shared generator: the book's
    RandomSearcher then samples exactly the settings ``nn.search`` draws from the same seed."""

    def __init__(self, distribution, rng):
        self.distribution, self.rng = distribution, rng

    def rvs(self):
        return self.distribution.sample(self.rng)


def test_19_3_nn_successive_halving_promotes_what_the_book_s_scheduler_promotes():
    seed = 7
    space = {"learning_rate": nn.search.log_uniform(1e-2, 1), "batch_size": nn.search.randint(32, 255)}
    rng = np.random.default_rng(seed)  # as nn.search draws its settings
    drawn = []

    class RecordingSearcher(RandomSearcher):
        def sample_configuration(self):
            drawn.append(super().sample_configuration())
            return dict(drawn[-1])

    def objective(learning_rate, batch_size, max_epochs):  # the book's, seeded as nn.search seeds setting k
        k = drawn.index({"learning_rate": learning_rate, "batch_size": batch_size})
        return hpo_objective(learning_rate, batch_size, max_epochs, seed=seed + k)

    searcher = RecordingSearcher({name: _Drawn(dist, rng) for name, dist in space.items()})
    scheduler = SuccessiveHalvingScheduler(searcher, eta=2, r_min=2, r_max=10)
    tuner = HPOTuner(scheduler, objective)
    tuner.run(number_of_trials=8 + 4 + 2 + 1)
    result = nn.successive_halving(
        build, space, *TRAIN, validation=VALID, n_trials=8, min_epochs=2, max_epochs=10, eta=2, seed=seed
    )
    assert [r["params"] for r in result.results if r["rung"] == 0] == drawn  # the same 8 settings
    book = scheduler.all_observed_error_at_rungs
    for rung, epochs in enumerate(scheduler.rung_levels):
        ours = {_lr_bs(r["params"]): 1 - r["score"] for r in result.results if r["rung"] == rung}
        assert all(r["epochs"] == epochs for r in result.results if r["rung"] == rung)
        assert ours.keys() == {_lr_bs(c) for c, _ in book[epochs]}  # the same configurations at every rung
        for config, error in book[epochs]:
            assert ours[_lr_bs(config)] == pytest.approx(error, abs=1e-12)
        if epochs < 10:  # no tie at the promotion boundary: the tie-breaks (arrival order) do not decide it
            errors = sorted(ours.values())
            assert errors[len(errors) // 2 - 1] < errors[len(errors) // 2]
    ((winner, winner_error),) = book[10]
    assert _lr_bs(result.best_params) == _lr_bs(winner) and 1 - result.best_score == pytest.approx(winner_error)
    assert sum(r["epochs"] for r in result.results) == sum(c["max_epochs"] for c, _ in tuner.records) == 58
