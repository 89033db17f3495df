"""L-BFGS (Nocedal 1980; Liu & Nocedal 1989), as ``torch.optim.LBFGS``: a quasi-Newton method that steps along
H g, H an approximation of the inverse Hessian built from the last ``history_size`` pairs (s, y) of parameter and
gradient changes. It needs the loss at several points per step, so ``step`` takes a closure.

The optimizer is not part of any graph: it works with numpy on all the parameters flattened into one vector (in
the parameters' order, each flattened row-major, as torch's ``view(-1)``), and writes the steps back into them.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

import autograd_core as ag
from autograd_core import increment_version

from ..checks import positive_int
from .line_search import strong_wolfe
from .optimizer import Check, Closure, Optimizer, ParamGroup, Params, _number, checked_grad, run_closure

LINE_SEARCHES = (None, "strong_wolfe")


def _line_search_name(owner: str, name: str, value: object) -> str | None:
    if value not in LINE_SEARCHES or isinstance(value, bool):
        raise ValueError(f"{owner}: {name} must be None (a fixed step of lr) or 'strong_wolfe', got {value!r}")
    return value


#: What ``state[0]`` holds once LBFGS has stepped (torch's names in brackets): the counts, then the curvature pairs.
HISTORY = ("step_differences", "gradient_differences", "inverse_curvatures")  # (old_stps, old_dirs, ro)
VECTORS = ("direction", "previous_grad")  # (d, prev_flat_grad): flat, one number per parameter entry
NUMBERS = ("step_size", "hessian_scale", "previous_loss")  # (t, H_diag, prev_loss)
COUNTS = ("func_evals", "n_iter")


class LBFGS(Optimizer):
    """L-BFGS with torch's arguments and algorithm. Each ``step(closure)`` runs up to ``max_iter`` iterations
    (at most ``max_eval`` evaluations of the closure): the direction d = -H g by the two-loop recursion, then a
    step of ``lr`` along it (the first iteration of all: ``min(1, 1/|g|_1) * lr``), or a strong Wolfe line search
    with ``line_search_fn="strong_wolfe"``. It stops early when max|g| <= ``tolerance_grad``, or when the step or
    the loss changes by less than ``tolerance_change``. Only one parameter group, as torch's.

    >>> w = Tensor([-1.5, 2.0], requires_grad=True)   # the Rosenbrock function, minimum 0 at (1, 1)
    >>> opt = nn.optim.LBFGS([w], line_search_fn="strong_wolfe", tolerance_change=1e-14)
    >>> def closure():
    ...     opt.zero_grad()
    ...     loss = (1 - w[0]) ** 2 + 100 * (w[1] - w[0] ** 2) ** 2
    ...     loss.backward()
    ...     return loss
    >>> for _ in range(3):
    ...     loss = opt.step(closure)
    >>> bool(np.abs(w.data - 1).max() < 1e-8), opt.state[0]["func_evals"]   # (1, 1) within 1e-8
    (True, 55)
    """

    hyperparameters: ClassVar[dict[str, Check]] = {
        "lr": _number,
        "max_iter": positive_int,
        "max_eval": positive_int,
        "tolerance_grad": _number,
        "tolerance_change": _number,
        "history_size": positive_int,
        "line_search_fn": _line_search_name,
    }

    def __init__(
        self,
        params: Params,
        lr: float = 1,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ) -> None:
        if max_eval is None:  # torch's default: a quarter more evaluations than iterations
            max_eval = positive_int("LBFGS", "max_iter", max_iter) * 5 // 4
        defaults = dict(
            lr=lr,
            max_iter=max_iter,
            max_eval=max_eval,
            tolerance_grad=tolerance_grad,
            tolerance_change=tolerance_change,
            history_size=history_size,
            line_search_fn=line_search_fn,
        )
        super().__init__(params, defaults)

    def add_param_group(self, group: ParamGroup) -> None:
        """As ``Optimizer.add_param_group``, but L-BFGS keeps one history for all its parameters: a second group
        is refused, as by torch."""
        if self.param_groups:
            raise ValueError(
                "LBFGS: takes one parameter group only (its curvature history spans all the parameters); "
                "pass all parameters in one group, e.g. LBFGS(model.parameters(), lr=...)"
            )
        super().add_param_group(group)

    # ------------------------------------------------------------ the flat vector's view of the parameters
    def _flat_grad(self) -> np.ndarray:
        """Every parameter's gradient in one vector (zeros for a parameter without one, as torch's)."""
        parts = [
            np.zeros(p.data.size, p.dtype) if p.grad is None else checked_grad(self, p, p.grad).reshape(-1)
            for p in self.params
        ]
        return np.concatenate(parts)

    def _move(self, step: float, direction: np.ndarray) -> None:
        """p += step * direction, each parameter by its slice of the flat vector."""
        start = 0
        for p in self.params:
            data = p.data
            data += step * direction[start : start + data.size].reshape(data.shape)
            start += data.size
        increment_version(self.params)

    def _put_back(self, values: list[np.ndarray]) -> None:
        for p, value in zip(self.params, values):
            p.data[...] = value
        increment_version(self.params)

    def _evaluate(self, closure: Closure) -> tuple[Any, float, np.ndarray]:
        """The closure's loss (as returned, and as a float) and the flat gradient it left."""
        loss = run_closure(self, closure)
        if loss is None:
            raise TypeError(
                "LBFGS.step: the closure returned None; it must return the loss (zero_grad, loss = ..., "
                "loss.backward(), return loss)"
            )
        return loss, float(loss), self._flat_grad()

    # ------------------------------------------------------------ the step
    def step(self, closure: Closure | None = None) -> Any:
        """Run up to ``max_iter`` L-BFGS iterations; returns the loss the closure gave first (before them).
        ``closure`` zeroes the gradients, computes the loss, backpropagates it and returns it; L-BFGS calls it
        several times per step."""
        if closure is None:
            raise TypeError(
                "LBFGS.step: needs a closure, as torch's: L-BFGS evaluates the loss several times per step. Write "
                "def closure(): opt.zero_grad(); loss = loss_fn(model(X), y); loss.backward(); return loss "
                "and call opt.step(closure)"
            )
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        state = self.state[0]  # the global state lives with the first parameter, as torch's
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        self.step_count += 1

        first_loss, loss, grad = self._evaluate(closure)
        evaluations = 1
        state["func_evals"] += 1
        if np.abs(grad).max() <= tolerance_grad:  # already at a stationary point
            return first_loss

        # the last step's direction, step size, gradient and loss (None before the first iteration sets them)
        direction: Any = state.get("direction")
        step: Any = state.get("step_size")
        previous_grad: Any = state.get("previous_grad")
        previous_loss: Any = state.get("previous_loss")
        iteration = 0
        with ag.no_grad():
            while iteration < max_iter:
                iteration += 1
                state["n_iter"] += 1
                if state["n_iter"] == 1:  # the very first iteration: steepest descent, an empty history
                    direction = -grad
                    state.update(step_differences=[], gradient_differences=[], inverse_curvatures=[])
                    state["hessian_scale"] = 1.0
                else:
                    self._remember(state, direction * step, grad - previous_grad, group["history_size"])
                    direction = _two_loop(grad, state)
                previous_grad, previous_loss = grad.copy(), loss
                step = min(1.0, 1.0 / float(np.abs(grad).sum())) * lr if state["n_iter"] == 1 else lr
                slope = float(grad.dot(direction))
                if slope > -tolerance_change:  # no descent left along d
                    break

                spent = 0
                if group["line_search_fn"] == "strong_wolfe":
                    start = [np.array(p.data, copy=True) for p in self.params]

                    def evaluate(
                        t: float, start: list[np.ndarray] = start, direction: np.ndarray = direction
                    ) -> tuple[float, np.ndarray]:
                        self._move(t, direction)
                        _, value, at = self._evaluate(closure)
                        self._put_back(start)
                        return value, at

                    loss, grad, step, spent = strong_wolfe(evaluate, step, direction, loss, grad, slope)
                    self._move(step, direction)
                    converged = np.abs(grad).max() <= tolerance_grad
                else:
                    self._move(step, direction)
                    converged = False
                    if iteration != max_iter:  # the last iteration's loss is the next step's first evaluation
                        _, loss, grad = self._evaluate(closure)
                        converged = np.abs(grad).max() <= tolerance_grad
                        spent = 1
                evaluations += spent
                state["func_evals"] += spent

                if iteration == max_iter or evaluations >= max_eval or converged:
                    break
                if np.abs(direction * step).max() <= tolerance_change or abs(loss - previous_loss) < tolerance_change:
                    break  # no progress left
        state.update(direction=direction, step_size=float(step), previous_grad=previous_grad)
        state["previous_loss"] = float(previous_loss)
        return first_loss

    @staticmethod
    def _remember(state: dict[str, Any], s: np.ndarray, y: np.ndarray, history_size: int) -> None:
        """Keep the pair (s, y) when it shows positive curvature (y·s > 1e-10), the oldest forgotten beyond
        ``history_size``; the initial inverse Hessian's scale becomes y·s / y·y (Nocedal & Wright, eq. 7.20)."""
        ys = float(y.dot(s))
        if ys <= 1e-10:  # skipped: the update would lose positive definiteness
            return
        steps, changes, inverse = state["step_differences"], state["gradient_differences"], state["inverse_curvatures"]
        if len(steps) == history_size:
            del steps[0], changes[0], inverse[0]
        steps.append(s)
        changes.append(y)
        inverse.append(1.0 / ys)
        state["hessian_scale"] = ys / float(y.dot(y))

    # ------------------------------------------------------------ saving and resuming
    def state_dict(self) -> dict[str, Any]:
        """``Optimizer.state_dict``, its ``state[0]`` holding L-BFGS's global state: the counts, the last
        direction and step, and the history as arrays (``step_differences``: one row a pair).

        >>> w = Tensor([1.0, 2.0], requires_grad=True)
        >>> opt = nn.optim.LBFGS([w], history_size=3)
        >>> def closure():
        ...     opt.zero_grad(); loss = (w**2).sum(); loss.backward(); return loss
        >>> loss = opt.step(closure)
        >>> saved = opt.state_dict()["state"][0]
        >>> saved["func_evals"], saved["step_differences"].shape
        (3, (1, 2))
        """
        saved = super().state_dict()
        saved["state"] = {}
        if self.state[0]:
            entries = {name: np.array(value, copy=True) for name, value in self.state[0].items() if name in VECTORS}
            entries.update({name: self.state[0][name] for name in COUNTS + NUMBERS if name in self.state[0]})
            for name in HISTORY:
                if name in self.state[0]:
                    rows = self.state[0][name]
                    entries[name] = np.array(rows, dtype=float if name == "inverse_curvatures" else None)
                    if not rows and name != "inverse_curvatures":
                        entries[name] = np.zeros((0, self._size()))
            saved["state"] = {0: entries}
        return saved

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a ``state_dict()``; L-BFGS's state is checked first (its names, the vectors' and history's
        shapes, finite numbers), so on a problem nothing changes."""
        owner = "LBFGS.load_state_dict"
        saved = state_dict.get("state") if isinstance(state_dict, dict) else None
        if not isinstance(saved, dict):
            return super().load_state_dict(state_dict)  # its own error for a malformed dict
        groups = state_dict.get("param_groups")
        history_size = groups[0].get("history_size") if isinstance(groups, list) and groups else None
        loaded = _checked_state(owner, dict(saved), self._size(), history_size)
        super().load_state_dict({**state_dict, "state": {}})
        self.state[0] = loaded

    def _size(self) -> int:
        return sum(p.data.size for p in self.params)

    def largest_state(self) -> int:
        """The most numbers one of its state arrays holds (the history: ``history_size`` rows of every parameter's
        numbers), for ``load_checkpoint``'s size check before it reads a file."""
        return self.param_groups[0]["history_size"] * self._size()


def _two_loop(grad: np.ndarray, state: dict[str, Any]) -> np.ndarray:
    """-H g by the two-loop recursion (Nocedal & Wright, algorithm 7.4), H the inverse Hessian approximation
    built from the remembered pairs on top of ``hessian_scale`` times the identity."""
    steps, changes, inverse = state["step_differences"], state["gradient_differences"], state["inverse_curvatures"]
    alphas = [0.0] * len(steps)
    q = -grad
    for i in reversed(range(len(steps))):
        alphas[i] = float(steps[i].dot(q)) * inverse[i]
        q += -alphas[i] * changes[i]
    r = q * state["hessian_scale"]
    for i in range(len(steps)):
        beta = float(changes[i].dot(r)) * inverse[i]
        r += (alphas[i] - beta) * steps[i]
    return r


def _checked_state(owner: str, saved: dict[Any, Any], size: int, history_size: object) -> dict[str, Any]:
    """LBFGS's saved ``state[0]`` as it is kept (lists of rows), or a ValueError saying what does not fit."""
    if set(saved) - {0, "0"}:
        raise ValueError(f"{owner}: L-BFGS keeps its state with parameter 0 only, got state for {sorted(saved)}")
    entries = dict(saved.get(0, saved.get("0", {})))
    if not entries:
        return {}
    names, whole = set(entries), set(COUNTS + VECTORS + NUMBERS + HISTORY)
    if names != set(COUNTS) and names != whole:
        raise ValueError(
            f"{owner}: the state holds {sorted(names)}, expected {sorted(whole)} (or only {sorted(COUNTS)}); "
            "was it saved by another optimizer? Load a state saved by LBFGS"
        )
    state: dict[str, Any] = {}
    for name in COUNTS:
        value = entries[name]
        if np.ndim(value) != 0 or np.asarray(value).dtype.kind not in "iu" or int(value) < 0:
            raise ValueError(f"{owner}: state '{name}' must be a whole number >= 0, got {value!r}")
        state[name] = int(value)
    if names == set(COUNTS):
        return state
    for name in NUMBERS:
        value = np.asarray(entries[name])
        if value.shape != () or value.dtype.kind not in "iuf" or not np.isfinite(value):
            raise ValueError(f"{owner}: state '{name}' must be a finite number, got {entries[name]!r}")
        state[name] = float(value)
    for name in VECTORS:
        value = np.asarray(entries[name])
        if value.shape != (size,) or value.dtype.kind != "f" or not np.isfinite(value).all():
            raise ValueError(
                f"{owner}: state '{name}' has shape {value.shape} and dtype {value.dtype}; expected finite values "
                f"of shape ({size},), one per parameter entry; was it saved for another model?"
            )
        state[name] = np.array(value, copy=True)
    pairs = [np.asarray(entries[name]) for name in HISTORY]
    count = len(pairs[2]) if pairs[2].ndim == 1 else -1
    limit = history_size if isinstance(history_size, int) else count
    for name, rows in zip(HISTORY, pairs):
        wanted = (count,) if name == "inverse_curvatures" else (count, size)
        if count < 0 or count > limit or rows.shape != wanted or rows.dtype.kind != "f" or not np.isfinite(rows).all():
            raise ValueError(
                f"{owner}: state '{name}' has shape {rows.shape}; the history must hold the same number of pairs "
                f"(at most history_size={history_size}) of vectors of shape ({size},), finite"
            )
        state[name] = [float(x) for x in rows] if name == "inverse_curvatures" else [row.copy() for row in rows]
    return state
