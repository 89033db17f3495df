"""Where a search's trials run: here, in a process pool (joblib), or on a Dask cluster.

Every way calls the same ``trial(index, setting)`` with BLAS on one thread, so the results
are the same; only the place differs. A trial whose process dies is tried once more (Dask:
as often as its scheduler allows, then as often again alone) and then reported as a failed trial,
never dropped.
"""

from __future__ import annotations

import math
import os
import pickle
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, wait
from typing import Any, TypeAlias

from threadpoolctl import threadpool_limits

#: One trial's outcome: its result dict (params, score, ...) and the trained model, or None.
Outcome: TypeAlias = tuple[dict[str, Any], Any]
#: A trial: ``trial(index, setting)`` builds, trains and scores one setting.
Trial: TypeAlias = Callable[[int, dict[str, Any]], Outcome]


class Outcomes(dict[int, Outcome]):
    """Trial index -> outcome, filled (``keep``) as trials finish. Only the best trial so far keeps its
    trained model, the one a search returns: a search of many trials never holds every model at once.

    >>> done = Outcomes()
    >>> done.keep(0, (dict(score=0.5), "model 0")); done.keep(1, (dict(score=0.9), "model 1"))
    >>> done.keep(2, (dict(score=0.9), "model 2"))                  # a tie: the first tried stays best
    >>> done.best, [model for _, model in done.values()]
    (1, [None, 'model 1', None])
    """

    best: int | None = None

    def keep(self, k: int, outcome: Outcome) -> None:
        result, model = outcome
        if model is not None and result["score"] > -math.inf:
            held = self.best
            if held is None or (result["score"], -k) > (self[held][0]["score"], -held):
                if held is not None:
                    self[held] = (self[held][0], None)
                self.best = k
                self[k] = outcome
                return
        self[k] = (result, None)


def run_trials(
    trial: Trial,
    settings: Sequence[dict[str, Any]],
    n_jobs: int = 1,
    backend: object = None,
    done: Outcomes | None = None,
    caller: str = "grid_search",
) -> list[Outcome]:
    """``[(result, model), ...]`` for ``trial(k, settings[k])``, in the order of ``settings``; the model
    is None except for the best trial's (see ``Outcomes``). ``done[k]`` is filled as trial k
    finishes: what an interrupted search keeps."""
    done = Outcomes() if done is None else done
    if backend is not None:
        client = _dask_client(caller, backend)
        _check_picklable(caller, trial, "backend= runs trials on Dask workers", "backend=None")
        return _on_dask(trial, settings, client, done)
    jobs = _job_count(caller, n_jobs)
    if jobs == 1 or len(settings) == 1:
        for k, setting in enumerate(settings):
            done.keep(k, _run_one(trial, k, setting))
        return [done[k] for k in range(len(settings))]
    _check_picklable(caller, trial, f"n_jobs={n_jobs} runs trials in worker processes", "n_jobs=1")
    return _in_processes(caller, trial, settings, min(jobs, len(settings)), done)


def _check_picklable(caller: str, trial: Trial, where: str, instead: str) -> None:
    """A build_fn that cannot travel to a worker (a lock, an open file, a generator in it) is named here:
    joblib said only "Could not pickle the task", Dask logged a traceback. The data are arrays, which
    always travel: only the code and options are pickled for the check (no copy of the data)."""
    try:
        import cloudpickle  # type: ignore[import-untyped]  # joblib and Dask both pickle with it
    except ImportError:
        return  # without it neither joblib nor Dask runs: they say what to install
    parts = [getattr(trial, name) for name in ("build_fn", "fit_options") if hasattr(trial, name)] or [trial]
    try:
        cloudpickle.dumps(parts)
    except (TypeError, AttributeError, ValueError, pickle.PicklingError) as error:  # what pickling an object raises
        raise TypeError(
            f"{caller}: {where}, which must pickle build_fn and the fit options, and cannot "
            f"({type(error).__name__}: {error}); keep locks, open files and generators out of build_fn "
            f"(create them inside it), or pass {instead}"
        ) from None


def _run_one(trial: Trial, index: int, setting: dict[str, Any]) -> Outcome:
    # One BLAS thread: trials are the parallelism, and results must not depend on the thread count.
    with threadpool_limits(limits=1, user_api="blas"):
        return trial(index, setting)


def _failed(setting: dict[str, Any], why: str) -> Outcome:
    return dict(params=setting, score=-math.inf, val_loss=None, val_acc=None, history=None, error=why), None


def _job_count(caller: str, n_jobs: int) -> int:
    if not isinstance(n_jobs, int) or isinstance(n_jobs, bool) or n_jobs == 0 or n_jobs < -1:
        raise ValueError(f"{caller}: n_jobs must be a positive int or -1 (every core), got {n_jobs!r}")
    return os.cpu_count() or 1 if n_jobs == -1 else n_jobs


def _in_processes(
    caller: str, trial: Trial, settings: Sequence[dict[str, Any]], workers: int, outcomes: Outcomes
) -> list[Outcome]:
    try:
        from joblib.externals.loky import get_reusable_executor
    except ImportError:
        raise ImportError(
            f"{caller}: n_jobs > 1 runs trials in processes through joblib, which is not "
            "installed; pip install -e '.[distributed]' (or pass n_jobs=1)"
        ) from None
    pending = list(range(len(settings)))
    for attempt in (1, 2):  # a pool broken by a dying worker is replaced once
        executor = get_reusable_executor(max_workers=workers, reuse=attempt == 1)
        pending = _pool_round(executor, trial, settings, pending, workers, outcomes, last=attempt == 2)
        if not pending:
            break
    return [outcomes[k] for k in range(len(settings))]


def _pool_round(
    executor: Any,
    trial: Trial,
    settings: Sequence[dict[str, Any]],
    queued: list[int],
    workers: int,
    outcomes: Outcomes,
    last: bool,
) -> list[int]:
    """Run trials ``queued`` in a loky pool into ``outcomes``; return those a broken pool did not
    finish, to try again (on the ``last`` round they are reported as failed instead)."""
    from joblib.externals.loky.process_executor import BrokenProcessPool

    again: list[int] = []
    running: dict[Any, int] = {}  # future -> trial index
    broken: BaseException | None = None

    def settle(k: int, error: BaseException) -> None:  # a trial the broken pool did not finish
        if last:
            outcomes[k] = _failed(settings[k], f"the worker process died running this trial ({error})")
        else:
            again.append(k)

    try:
        while queued or running:
            # One trial per worker at a time: loky's pool, shut down (Ctrl-C) with trials still waiting
            # in it, fails in its own thread (a KeyError traceback) or waits for them.
            while queued and broken is None and len(running) < workers:
                try:
                    running[executor.submit(_run_one, trial, queued[0], settings[queued[0]])] = queued[0]
                    queued = queued[1:]
                except BrokenProcessPool as error:
                    broken = error
            if not running:  # the pool broke: what is still queued shares the fate of the trials it ran
                for k in queued:
                    settle(k, broken or RuntimeError("the pool broke"))
                break
            finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for future in finished:
                k = running.pop(future)
                try:
                    outcomes.keep(k, future.result())
                except BrokenProcessPool as error:
                    broken = error
                    settle(k, error)
    except KeyboardInterrupt:  # Ctrl-C: keep the trials already finished, stop the others in the workers
        for future, k in running.items():
            if future.done() and not future.cancelled() and future.exception() is None:
                outcomes.keep(k, future.result())
        executor.shutdown(wait=False, kill_workers=True)
        raise
    return again


def _dask_client(caller: str, backend: object) -> Any:  # a dask.distributed.Client
    try:
        from distributed import Client, get_client
    except ImportError:
        raise ImportError(
            f"{caller}: backend='dask' needs dask.distributed, which is not installed; pip install -e '.[distributed]'"
        ) from None
    if isinstance(backend, Client):
        return backend
    if backend == "dask":
        try:
            return get_client()
        except ValueError:
            raise ValueError(
                f"{caller}: backend='dask' found no Dask client; create one first "
                "(dask.distributed.Client('tcp://host:8786')) or pass it as backend="
            ) from None
    raise ValueError(f"{caller}: backend must be None, 'dask' or a dask.distributed.Client, got {backend!r}")


def _on_dask(trial: Trial, settings: Sequence[dict[str, Any]], client: Any, outcomes: Outcomes) -> list[Outcome]:
    # outcomes, by trial index: every one is filled, with a result or a failure
    suspects = _dask_round(trial, settings, range(len(settings)), client, outcomes)
    # Dask blames every task queued on a worker that dies, not only the one running (and a result
    # lost with a worker is computed again, maybe next to the killer), so a sound trial can come
    # back KilledWorker. Each suspect runs again alone: one that still kills its workers is to blame.
    for k in suspects:
        for error in _dask_round(trial, settings, [k], client, outcomes).values():
            outcomes[k] = _failed(settings[k], f"Dask workers died running this trial ({error})")
    return [outcomes[k] for k in range(len(settings))]


def _dask_round(
    trial: Trial, settings: Sequence[dict[str, Any]], indices: Iterable[int], client: Any, outcomes: Outcomes
) -> dict[int, BaseException]:
    """Run trials ``indices`` on Dask into ``outcomes``; return ``{index: KilledWorker}`` for each
    one whose workers kept dying (it has no outcome then)."""
    from distributed import KilledWorker, as_completed

    # The trial (with the data) travels inside each task, not scattered once: scattered data
    # lives on workers, and a dying worker would take it, and every trial waiting on it, along.
    indices = list(indices)
    futures = dict(
        zip(client.map(_run_one, [trial] * len(indices), indices, [settings[k] for k in indices], pure=False), indices)
    )
    killed: dict[int, BaseException] = {}
    try:
        for future in as_completed(futures):
            k = futures[future]
            try:
                outcomes.keep(k, future.result())
            except KilledWorker as error:  # the scheduler already retried it allowed-failures times
                # The client keeps this exception: with its traceback (this frame, holding every
                # future) it would keep all of them, and the cluster recomputing them, for good.
                killed[k] = error.with_traceback(None)
            # Its result is here: released now, a later worker death does not make Dask compute it again.
            future.release()
    finally:
        client.cancel(list(futures))  # nothing of this search stays on the cluster, even when a trial raised
    return killed
