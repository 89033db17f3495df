"""Hyper-parameter search: ``nn.grid_search``, ``nn.random_search`` and ``nn.successive_halving``, run here or
scaled out.

Each setting is one *trial*: build a model, ``nn.fit`` it, score it on the validation
data. Trials are independent and seeded, so they can run one after the other
(``n_jobs=1``), in parallel processes (``n_jobs=N``, through joblib) or on a Dask cluster
(``backend=client``), and give the same table every way.
"""

from __future__ import annotations

import contextlib
import inspect
import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeAlias

import numpy as np

import autograd_core as ag
from autograd_core.types import ArrayLike

from ..evaluation import LossFn
from ..module import Module
from ..optim import Optimizer
from ..training import evaluate, fit
from .parallel import Outcome, Outcomes, run_trials
from .space import _Distribution, choice, log_uniform, randint, uniform

#: ``build_fn(**setting)`` returns what one trial trains: ``(model, loss_fn, optimizer)``.
BuildFn: TypeAlias = Callable[..., tuple[Module, LossFn, Optimizer]]

_FIT_OPTIONS = set(inspect.signature(fit).parameters) - {"model", "loss_fn", "optimizer", "X", "y"}


class GridSearchResult:
    """What a search found.

    - ``results``: one dict per trial, in the order tried, with ``params``, ``score``,
      ``val_loss``, ``val_acc`` (None without accuracy), ``history`` and ``error`` (None, or
      why that trial has no score: fit's message when it diverged, or the worker that died;
      its score is then -inf). No trial is ever dropped. Successive halving's also have ``rung``,
      ``epochs`` and ``trial`` (the index of the setting, which may run at several rungs);
    - ``best_params``, ``best_score``, ``best_model`` (trained), ``best_history``.
    """

    def __init__(self, results: list[dict[str, Any]], best_index: int, best_model: Module) -> None:
        self.results = results
        best = results[best_index]
        self.best_params, self.best_score = best["params"], best["score"]
        self.best_history, self.best_model = best["history"], best_model

    def table(self) -> list[dict[str, Any]]:
        """The trials as rows (params, then score, val_loss, val_acc, error), best score first;
        ties keep the order tried."""
        return table_rows(self.results)

    def __repr__(self) -> str:
        return (
            f"GridSearchResult({len(self.results)} trials, best_params={self.best_params}, "
            f"best_score={self.best_score:.4g})"
        )


def table_rows(results: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """``results`` (as ``GridSearchResult.results``) as table rows, best score first; ties keep their order.
    Successive halving's results (with a ``rung``) show their rung and epochs, the last rung first: the
    search's best is the best of its last rung.

    >>> table_rows([dict(params={"lr": 0.1}, score=0.5, val_loss=0.7, val_acc=0.5, error=None, history=None),
    ...             dict(params={"lr": 1.0}, score=0.9, val_loss=0.2, val_acc=0.9, error=None, history=None)])
    [{'lr': 1.0, 'score': 0.9, ...}, {'lr': 0.1, 'score': 0.5, ...}]
    """
    order = sorted(range(len(results)), key=lambda k: (-results[k].get("rung", 0), -results[k]["score"]))
    return [
        dict(
            results[k]["params"],
            **({"rung": results[k]["rung"], "epochs": results[k]["epochs"]} if "rung" in results[k] else {}),
            score=results[k]["score"],
            val_loss=results[k]["val_loss"],
            val_acc=results[k]["val_acc"],
            error=results[k]["error"],
        )
        for k in order
    ]


class _Trial:
    """One setting's build-fit-score, as a picklable callable (sent to worker processes)."""

    def __init__(
        self,
        build_fn: BuildFn,
        X: ArrayLike,
        y: ArrayLike,
        validation: tuple[ArrayLike, ArrayLike],
        fit_options: dict[str, Any],
        seed: int,
        caller: str = "grid_search",
    ) -> None:
        self.build_fn, self.X, self.y, self.validation = build_fn, X, y, validation
        self.fit_options, self.seed, self.caller = fit_options, seed, caller

    def __call__(self, index: int, setting: dict[str, Any]) -> Outcome:
        # The same seed for a trial wherever it runs: a build_fn drawing from numpy's global
        # generator, or layers built without seed= (ag's default generator, as torch.manual_seed's),
        # get the same draws sequentially, in a process pool or on a Dask worker.
        np.random.seed((self.seed + index) % 2**32)
        ag.manual_seed((self.seed + index) % 2**32)
        options = dict(self.fit_options, validation=self.validation)
        options.update({k: v for k, v in setting.items() if k in _FIT_OPTIONS})
        built = self.build_fn(**{k: v for k, v in setting.items() if k not in _FIT_OPTIONS})
        if not isinstance(built, tuple) or len(built) != 3:
            raise TypeError(
                f"{self.caller}: build_fn({setting}) must return (model, loss_fn, optimizer), "
                f"got {type(built).__name__}"
            )
        model, loss_fn, optimizer = built
        try:
            history = fit(model, loss_fn, optimizer, self.X, self.y, **options)
        except FloatingPointError as error:
            return dict(
                params=setting,
                score=-math.inf,
                val_loss=None,
                val_acc=None,
                history=getattr(error, "history", None),
                error=str(error),
            ), None
        val_loss, val_acc = evaluate(model, loss_fn, *self.validation, accuracy=options.get("accuracy", "auto"))
        score = val_acc if val_acc is not None else -val_loss
        if math.isnan(score):
            score = -math.inf  # NaN compares False with everything: it would stay "best" if first
        return dict(params=setting, score=score, val_loss=val_loss, val_acc=val_acc, history=history, error=None), model


def grid_search(
    build_fn: BuildFn,
    param_grid: Mapping[str, Sequence[Any]],
    X: ArrayLike,
    y: ArrayLike,
    validation: tuple[ArrayLike, ArrayLike],
    epochs: int = 20,
    batch_size: int = 32,
    progress: bool = False,
    n_jobs: int = 1,
    backend: object = None,
    seed: int = 0,
    **fit_options: Any,
) -> GridSearchResult:
    """Train one model per combination in ``param_grid`` and score each on ``validation``.

    ``param_grid`` maps names to lists of values. Names that are options of ``nn.fit``
    (``epochs``, ``batch_size``, ``early_stopping``, ``tol``, ...) go to ``fit``; the others
    go to ``build_fn(**those)``, which returns ``(model, loss_fn, optimizer)``. The score
    is the validation accuracy for classification, else minus the validation loss,
    of the trained model (higher is better; ties keep the first setting). A setting whose
    training diverges (NaN/Inf loss) is recorded with its error and score -inf, and the
    search goes on: a too-large learning rate is a normal point of a grid.

    Where trials run: ``n_jobs=1`` here, one after the other; ``n_jobs=N`` (or -1: every
    core) in N processes through joblib; ``backend=client`` (a ``dask.distributed.Client``)
    or ``backend="dask"`` (the current client) on a Dask cluster. Each trial seeds numpy's
    global generator and ag's default one (layers built without ``seed=``) from ``seed`` and
    its index, and BLAS runs one thread per trial, so
    every way gives the same results. A trial whose worker dies is retried by Dask; one
    that cannot be completed is reported with its error, never dropped. A Ctrl-C stops the
    search: its ``KeyboardInterrupt`` carries the finished trials, ``error.results``, their
    ``error.result`` (a ``GridSearchResult``, None if none has a score) and ``error.trials``
    (how many settings there were).

    >>> X, y = nn.datasets.make_moons(60, noise=0.1, seed=0)
    >>> X_val, y_val = nn.datasets.make_moons(40, noise=0.1, seed=1)
    >>> def build(hidden, lr):
    ...     model = nn.MLP([2, hidden, 2], seed=0)
    ...     return model, F.cross_entropy, nn.optim.Adam(model.parameters(), lr=lr)
    >>> result = nn.grid_search(build, {"hidden": [4, 16], "lr": [1e-3, 1e-1]}, X, y,
    ...                         validation=(X_val, y_val), epochs=5)
    >>> result.best_params
    {'hidden': 4, 'lr': 0.1}
    """
    return _search(
        "grid_search",
        build_fn,
        grid_settings("grid_search", param_grid),
        X,
        y,
        validation,
        epochs,
        batch_size,
        progress,
        n_jobs,
        backend,
        seed,
        fit_options,
    )


def random_search(
    build_fn: BuildFn,
    param_space: Mapping[str, _Distribution | Sequence[Any]],
    X: ArrayLike,
    y: ArrayLike,
    validation: tuple[ArrayLike, ArrayLike],
    n_samples: int,
    epochs: int = 20,
    batch_size: int = 32,
    progress: bool = False,
    n_jobs: int = 1,
    backend: object = None,
    seed: int = 0,
    **fit_options: Any,
) -> GridSearchResult:
    """Like ``grid_search``, but ``n_samples`` settings drawn at random from ``param_space``.

    ``param_space`` maps names to a list of values (drawn uniformly) or a distribution:
    ``nn.search.uniform(lo, hi)``, ``log_uniform(lo, hi)`` (learning rates, penalties) or
    ``randint(lo, hi)`` (layer sizes, both ends included). The draws come from ``seed``, so
    a search is repeatable.

    >>> X, y = nn.datasets.make_moons(60, noise=0.1, seed=0)
    >>> X_val, y_val = nn.datasets.make_moons(40, noise=0.1, seed=1)
    >>> def build(hidden, lr):
    ...     model = nn.MLP([2, hidden, 2], seed=0)
    ...     return model, F.cross_entropy, nn.optim.Adam(model.parameters(), lr=lr)
    >>> space = {"lr": nn.search.log_uniform(1e-4, 1e-1), "hidden": [4, 8, 16]}
    >>> result = nn.random_search(build, space, X, y, validation=(X_val, y_val), n_samples=3, epochs=5)
    >>> result.best_params
    {'lr': 0.00013..., 'hidden': 4}
    """
    return _search(
        "random_search",
        build_fn,
        sampled_settings("random_search", param_space, n_samples, seed),
        X,
        y,
        validation,
        epochs,
        batch_size,
        progress,
        n_jobs,
        backend,
        seed,
        fit_options,
    )


def grid_settings(
    caller: str, param_grid: Mapping[str, Sequence[Any]], argument: str = "param_grid"
) -> list[dict[str, Any]]:
    """Every combination of ``param_grid``'s values, the last name varying fastest (``grid_search``'s trials).

    >>> grid_settings("grid_search", {"hidden": [4, 16], "lr": [0.1, 0.01]})
    [{'hidden': 4, 'lr': 0.1}, {'hidden': 4, 'lr': 0.01}, {'hidden': 16, 'lr': 0.1}, {'hidden': 16, 'lr': 0.01}]
    """
    grid = {
        name: _values(caller, f"{argument}[{name!r}]", values, "")
        for name, values in _check_space(caller, param_grid).items()
    }
    return [dict(zip(grid, values)) for values in itertools.product(*grid.values())]


def sampled_settings(
    caller: str, param_space: Mapping[str, _Distribution | Sequence[Any]], n_samples: int, seed: int
) -> list[dict[str, Any]]:
    """``n_samples`` settings drawn from ``param_space`` by a generator seeded with ``seed``, one name after
    the other in each (``random_search``'s trials: the same seed draws the same settings).

    >>> sampled_settings("random_search", {"hidden": [4, 16], "lr": nn.search.log_uniform(1e-3, 1)}, 2, seed=0)
    [{'hidden': 16, 'lr': 0.0064...}, {'hidden': 16, 'lr': 0.0013...}]
    """
    space = _check_space(caller, param_space)
    for name, value in space.items():
        if not hasattr(value, "sample"):
            or_else = " or a distribution (nn.search.uniform, log_uniform, randint)"
            space[name] = choice(_values(caller, f"param_space[{name!r}]", value, or_else))
    if not isinstance(n_samples, (int, np.integer)) or isinstance(n_samples, bool) or n_samples < 1:
        raise ValueError(f"{caller}: n_samples must be a positive int, got {n_samples!r}")
    rng = np.random.default_rng(seed)
    return [{name: dist.sample(rng) for name, dist in space.items()} for _ in range(int(n_samples))]


def _values(caller: str, where: str, values: object, or_else: str) -> list[Any]:
    """``values`` as a list, or the ValueError saying it must be a non-empty list (``or_else``)."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable) or not (listed := list(values)):
        raise ValueError(f"{caller}: {where} must be a non-empty list of values{or_else}, got {values!r}")
    return listed


def _check_space(caller: str, space: object) -> dict[str, Any]:
    if not isinstance(space, dict) or not space:
        raise ValueError(f"{caller}: the search space must be a non-empty dict of name -> values")
    return dict(space)


def _search(
    caller: str,
    build_fn: BuildFn,
    settings: list[dict[str, Any]],
    X: ArrayLike,
    y: ArrayLike,
    validation: tuple[ArrayLike, ArrayLike] | None,
    epochs: int,
    batch_size: int,
    progress: bool,
    n_jobs: int,
    backend: object,
    seed: int,
    fit_options: dict[str, Any],
) -> GridSearchResult:
    validation = check_search(caller, build_fn, validation, fit_options)
    options = dict(fit_options, epochs=epochs, batch_size=batch_size, progress=progress)
    trial = _Trial(build_fn, X, y, validation, options, seed, caller)
    done = Outcomes()  # by trial index, filled as trials finish
    try:
        outcomes = run_trials(trial, settings, n_jobs=n_jobs, backend=backend, done=done, caller=caller)
    except KeyboardInterrupt as error:  # Ctrl-C (or nn.runs.StopSignals' SIGTERM): the finished trials survive
        finished = [done[k] for k in sorted(done)]
        with contextlib.suppress(AttributeError):  # exceptions with __slots__ cannot carry them
            error.results = [result for result, _ in finished]  # type: ignore[attr-defined]
            error.result = _best_of(finished)  # type: ignore[attr-defined]  # None when none has a score
            error.trials = len(settings)  # type: ignore[attr-defined]
        raise
    best = _best_of(outcomes)
    if best is None:
        diverged = FloatingPointError(
            f"{caller}: training diverged for every setting; the first error: {outcomes[0][0]['error']}"
        )
        diverged.results = [result for result, _ in outcomes]  # type: ignore[attr-defined]  # each with its error
        raise diverged
    return best


def check_search(
    caller: str, build_fn: object, validation: tuple[ArrayLike, ArrayLike] | None, fit_options: Mapping[str, Any]
) -> tuple[ArrayLike, ArrayLike]:
    """``validation``, or the TypeError or ValueError for a search's build_fn, validation data or fit options."""
    if not callable(build_fn):
        raise TypeError(
            f"{caller}: build_fn must be a function returning (model, loss_fn, optimizer), "
            f"got {type(build_fn).__name__}"
        )
    if validation is None:
        raise ValueError(f"{caller}: validation=(X_val, y_val) is required: settings are compared on it")
    unknown = set(fit_options) - _FIT_OPTIONS
    if unknown:
        raise TypeError(f"{caller}: unknown fit options {sorted(unknown)}; valid ones are {sorted(_FIT_OPTIONS)}")
    return validation


def _best_of(outcomes: Sequence[Outcome]) -> GridSearchResult | None:
    """The result of these trials, or None when none has a score (every one diverged or died)."""
    results = [result for result, _ in outcomes]
    scored = [k for k, r in enumerate(results) if r["score"] > -math.inf]
    if not scored:
        return None
    best_index = max(scored, key=lambda k: (results[k]["score"], -k))  # ties: the first tried
    return GridSearchResult(results, best_index, outcomes[best_index][1])


# After the names it builds on: halving.py imports them from here.
from .halving import halving_schedule, successive_halving  # noqa: E402

__all__ = [
    "grid_search",
    "random_search",
    "successive_halving",
    "halving_schedule",
    "GridSearchResult",
    "table_rows",
    "uniform",
    "log_uniform",
    "randint",
    "choice",
]
