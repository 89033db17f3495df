"""Successive halving (Jamieson & Talwalkar 2016; d2l 19.3): every setting trained a few epochs, the best
1/eta of them trained eta times longer, rung after rung up to ``max_epochs``: the epochs go to the settings
that look good early, not to all of them alike.

A rung is a ``grid_search`` over the settings it promotes, with ``epochs`` raised: its trials run
sequentially, in processes or on Dask through the same ``run_trials``, seeded as those settings' trials.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping, Sequence
from typing import Any

from autograd_core.types import ArrayLike

from . import BuildFn, GridSearchResult, _Trial, check_search, grid_settings, sampled_settings
from .parallel import Outcome, Outcomes, run_trials
from .space import _Distribution

CALLER = "successive_halving"


def halving_schedule(n_trials: int, min_epochs: int, max_epochs: int, eta: int) -> list[tuple[int, int]]:
    """``(settings, epochs)`` of each rung: ``n_trials`` settings at ``min_epochs``, then ceil(settings / eta)
    of them at eta times the epochs, while below ``max_epochs``; the last rung trains exactly ``max_epochs``
    (the book's rung levels r_min eta^k with r_max added). Its budget is the sum of settings x epochs.

    >>> halving_schedule(8, 2, 10, eta=2)  # d2l 19.3: 16 + 16 + 16 + 10 = 58 epochs, not 8 x 10 = 80
    [(8, 2), (4, 4), (2, 8), (1, 10)]
    >>> halving_schedule(10, 1, 9, eta=3)
    [(10, 1), (4, 3), (2, 9)]
    """
    _check_count(n_trials, "n_trials", "settings in the first rung")
    _check_count(min_epochs, "min_epochs", "epochs of the first rung")
    _check_count(max_epochs, "max_epochs", "epochs of the last rung")
    if not isinstance(eta, int) or isinstance(eta, bool) or eta < 2:
        raise ValueError(
            f"{CALLER}: eta must be an int >= 2 (each rung keeps the best 1/eta of the one below and trains "
            f"them eta times longer), got {eta!r}"
        )
    if min_epochs > max_epochs:
        raise ValueError(
            f"{CALLER}: min_epochs={min_epochs} is more than max_epochs={max_epochs}; the first rung trains "
            "min_epochs and the last max_epochs: lower min_epochs or raise max_epochs"
        )
    schedule, size, epochs = [], n_trials, min_epochs
    while epochs < max_epochs:
        schedule.append((size, epochs))
        size, epochs = math.ceil(size / eta), epochs * eta
    return [*schedule, (size, max_epochs)]


def _check_count(value: object, name: str, what: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{CALLER}: {name} (the {what}) must be a positive int, got {value!r}")


class _RungTrial:
    """A rung's trials (picklable, for workers): the rung's k-th runs setting ``indices[k]`` with that
    setting's seed, so a setting trains at every rung as a standalone ``nn.fit`` of those epochs would."""

    def __init__(self, trial: _Trial, indices: Sequence[int]) -> None:
        self.trial, self.indices = trial, list(indices)
        self.build_fn, self.fit_options = trial.build_fn, trial.fit_options  # what run_trials checks pickle

    def __call__(self, k: int, setting: dict[str, Any]) -> Outcome:
        return self.trial(self.indices[k], setting)


def successive_halving(
    build_fn: BuildFn,
    param_space: Mapping[str, _Distribution | Sequence[Any]],
    X: ArrayLike,
    y: ArrayLike,
    validation: tuple[ArrayLike, ArrayLike],
    n_trials: int | None = None,
    min_epochs: int = 1,
    max_epochs: int = 20,
    eta: int = 3,
    batch_size: int = 32,
    progress: bool = False,
    n_jobs: int = 1,
    backend: object = None,
    seed: int = 0,
    **fit_options: Any,
) -> GridSearchResult:
    """Successive halving over ``param_space``: train every setting ``min_epochs``, keep the best
    ceil(n / eta) by validation score, train those eta times as many epochs, and so on until a rung of
    exactly ``max_epochs`` (``halving_schedule`` gives the rungs); the best is the best of that last rung.

    ``n_trials=K`` draws K settings as ``random_search(n_samples=K, seed=seed)`` draws them (lists and
    distributions); without it every combination of ``param_space``'s lists is tried, as ``grid_search``.
    ``build_fn``, the score, ``n_jobs``, ``backend``, ``seed`` and fit's options are as in ``grid_search``.
    Each rung trains its settings from scratch, as d2l's objective does (simple and deterministic, at the
    cost of retraining the epochs of the rung below): setting k is seeded from ``seed + k`` at every rung,
    so its score at a rung is that of a standalone ``nn.fit`` of those epochs. A diverging setting (score
    -inf) is never promoted. ``eta=3`` is Jamieson & Talwalkar's and scikit-learn's default; d2l uses 2.

    ``results`` holds every trial of every rung, in the order run, each with its ``rung`` (0 first),
    ``epochs`` and ``trial`` (its setting's index); ``table()`` shows the last rung first. A Ctrl-C keeps
    the finished trials as ``grid_search``'s does.

    >>> X, y = nn.datasets.make_moons(60, noise=0.1, seed=0)
    >>> X_val, y_val = nn.datasets.make_moons(40, noise=0.1, seed=1)
    >>> def build(hidden, lr):
    ...     model = nn.MLP([2, hidden, 2], seed=0)
    ...     return model, F.cross_entropy, nn.optim.Adam(model.parameters(), lr=lr)
    >>> result = nn.successive_halving(build, {"hidden": [4, 16], "lr": [1e-3, 1e-1]}, X, y,
    ...                                validation=(X_val, y_val), min_epochs=1, max_epochs=4, eta=2)
    >>> [(r["rung"], r["epochs"], r["params"]) for r in result.results[4:]]   # after the 4 at 1 epoch
    [(1, 2, {'hidden': 4, 'lr': 0.001}), (1, 2, {'hidden': 4, 'lr': 0.1}), (2, 4, {'hidden': 4, 'lr': 0.1})]
    >>> result.best_params
    {'hidden': 4, 'lr': 0.1}
    """
    if (isinstance(param_space, Mapping) and "epochs" in param_space) or "epochs" in fit_options:
        raise ValueError(
            f"{CALLER}: epochs cannot be given or searched: the rungs set them; pass min_epochs= and max_epochs="
        )
    check_search(CALLER, build_fn, validation, fit_options)
    settings = _settings(param_space, n_trials, seed)
    schedule = halving_schedule(len(settings), min_epochs, max_epochs, eta)
    options = dict(fit_options, batch_size=batch_size, progress=progress)
    results: list[dict[str, Any]] = []
    alive = list(range(len(settings)))  # the settings of this rung, by index
    kept: tuple[int, Any] | None = None  # the best of the last finished rung: its index in results, its model
    for rung, (size, epochs) in enumerate(schedule):
        if rung:
            alive = _promoted(results[-len(alive) :], size)
        trial = _RungTrial(_Trial(build_fn, X, y, validation, dict(options, epochs=epochs), seed, CALLER), alive)
        done = Outcomes()  # by position in this rung, filled as trials finish
        try:
            outcomes = run_trials(
                trial, [settings[k] for k in alive], n_jobs=n_jobs, backend=backend, done=done, caller=CALLER
            )
        except KeyboardInterrupt as error:  # the finished trials survive, with the best model held
            _keep_interrupted(error, results, done, alive, rung, epochs, kept, sum(n for n, _ in schedule))
            raise
        rows = [dict(result, trial=k, rung=rung, epochs=epochs) for (result, _), k in zip(outcomes, alive)]
        results.extend(rows)
        if done.best is None:
            diverged = FloatingPointError(
                f"{CALLER}: training diverged for every setting of rung {rung} ({epochs} epochs); "
                f"the first error: {rows[0]['error']}"
            )
            diverged.results = results  # type: ignore[attr-defined]  # each trial with its error
            raise diverged
        kept = (len(results) - len(rows) + done.best, outcomes[done.best][1])
    assert kept is not None  # a schedule has at least one rung
    return GridSearchResult(results, *kept)


def _settings(param_space: Any, n_trials: int | None, seed: int) -> list[dict[str, Any]]:
    if n_trials is not None:
        _check_count(n_trials, "n_trials", "settings drawn from param_space")
        return sampled_settings(CALLER, param_space, n_trials, seed)
    for name, values in dict(param_space).items() if isinstance(param_space, Mapping) else ():
        if hasattr(values, "sample"):
            raise ValueError(
                f"{CALLER}: param_space[{name!r}] is a distribution ({values!r}); pass n_trials=K to draw "
                "K settings from param_space, or give lists of values to try every combination"
            )
    return grid_settings(CALLER, param_space, "param_space")


def _promoted(rows: Sequence[dict[str, Any]], size: int) -> list[int]:
    """The setting indices of the best ``size`` scored ``rows`` (ties: the first run), in index order."""
    scored = [row for row in rows if row["score"] > -math.inf]
    ranked = sorted(scored, key=lambda row: -row["score"])  # stable: ties keep the order run
    return sorted(row["trial"] for row in ranked[:size])


def _keep_interrupted(
    error: KeyboardInterrupt,
    results: list[dict[str, Any]],
    done: Outcomes,
    alive: list[int],
    rung: int,
    epochs: int,
    kept: tuple[int, Any] | None,
    trials: int,
) -> None:
    """Hang the finished trials on ``error`` as ``_search`` does: ``results``, ``result`` (the best of this
    rung's finished trials, else of the last finished rung; None without any) and ``trials`` (planned)."""
    finished = sorted(done)
    rows = results + [dict(done[k][0], trial=alive[k], rung=rung, epochs=epochs) for k in finished]
    if done.best is not None:
        kept = (len(results) + finished.index(done.best), done[done.best][1])
    with contextlib.suppress(AttributeError):  # exceptions with __slots__ cannot carry them
        error.results = rows  # type: ignore[attr-defined]
        error.result = None if kept is None else GridSearchResult(rows, *kept)  # type: ignore[attr-defined]
        error.trials = trials  # type: ignore[attr-defined]


__all__ = ["successive_halving", "halving_schedule"]
