"""The ``Optimizer`` base class: parameter groups, per-parameter state, and a resumable state_dict.

An optimizer changes each parameter's values in place (``p.data -= ...``; the parameter
object itself is never replaced, so the model keeps it) from the gradients that
``backward()`` accumulated in ``p.grad``. Parameters whose ``.grad`` is None are skipped (frozen
ones, ``requires_grad_(False)``, get none), weight decay included, as in PyTorch.

Parameter groups are PyTorch's: pass dicts to give some parameters their own
hyper-parameters, the rest come from the keyword arguments:

>>> model = nn.MLP([2, 8, 2])
>>> opt = nn.optim.SGD([{"params": model.layers[0].parameters(), "lr": 0.01},
...            {"params": model.layers[2].parameters()}], lr=0.1, momentum=0.9)
>>> [g["lr"] for g in opt.param_groups]
[0.01, 0.1]
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, TypeAlias

import numpy as np

import autograd_core as ag
from autograd_core import Tensor

from ..module_state import CastClock
from .arguments import _betas as _betas  # (the hyper-parameters' checks, where the optimizers import them)
from .arguments import _flag as _flag
from .arguments import _number as _number
from .arguments import _parameter_list
from .parameter_states import ParameterStates

#: A parameter group: ``"params"`` (a list of Tensors) and each hyper-parameter's value.
ParamGroup: TypeAlias = dict[str, Any]
#: What an optimizer accepts: parameters (``model.parameters()``), or parameter groups as dicts.
Params: TypeAlias = Iterable[Tensor] | Iterable[ParamGroup]
#: A hyper-parameter's check: ``check(owner, name, value)`` returns the value as stored, or raises.
Check: TypeAlias = Callable[[str, str, Any], Any]


def weight_decayed(grad: np.ndarray, p: Tensor, group: ParamGroup) -> np.ndarray:
    """The gradient with weight decay as L2 (g + wd p), or p shrunk by 1 - lr wd first when it is decoupled."""
    weight_decay = group["weight_decay"]
    if weight_decay and group.get("decoupled_weight_decay"):
        p.data *= 1 - group["lr"] * weight_decay
    elif weight_decay:
        grad = grad + weight_decay * p.data
    return grad


def checked_grad(optimizer: Optimizer, p: Tensor, grad: Any) -> np.ndarray:
    """``p.grad`` as an array of ``p``'s dtype, refused (one line) unless it is real numbers of ``p``'s shape:
    a ``.grad`` set by hand would otherwise fail in numpy or broadcast silently. The steps' hot paths
    call it only for a grad that is not already an array of p's dtype, and compare the shapes themselves.

    >>> w = Tensor(np.zeros(2), requires_grad=True)
    >>> checked_grad(nn.optim.SGD([w], lr=0.1), w, [1, 2])
    array([1., 2.])
    """
    array = np.asarray(grad)
    if array.dtype.kind not in "biuf" or array.shape != p.data.shape:
        raise wrong_grad(optimizer, p, array)
    return array.astype(p.dtype, copy=False)


def wrong_grad(optimizer: Optimizer, p: Tensor, grad: np.ndarray) -> ValueError:
    """The error for a gradient that does not fit its parameter, naming the optimizer, the parameter's index,
    both shapes (or the dtype) and what to do: ``raise wrong_grad(opt, p, np.ones(3))``."""
    index = next((i for i, q in enumerate(optimizer.params) if q is p), "?")
    found, wanted = (
        (f"dtype {grad.dtype}", "a real dtype (it is cast to the parameter's)")
        if grad.dtype.kind not in "biuf"
        else (f"shape {grad.shape}", f"its parameter's shape {p.data.shape}")
    )
    return ValueError(
        f"{type(optimizer).__name__}.step: parameter {index} (shape {p.data.shape}, dtype {p.dtype}) has a .grad of "
        f"{found}; a gradient must have {wanted}: set p.grad to such an array (or None), as backward() does"
    )


#: PyTorch's step closure: zeroes the gradients, computes the loss, backpropagates it, returns the loss.
Closure: TypeAlias = Callable[[], Any]


def run_closure(optimizer: Optimizer, closure: Closure | None) -> Any:
    """``closure()`` with gradients recorded (its loss), or None without one: what ``step(closure)`` runs first."""
    if closure is None:
        return None
    if not callable(closure):
        raise TypeError(
            f"{type(optimizer).__name__}.step: closure must be a function (zero_grad, loss, backward, return loss), "
            f"got {type(closure).__name__}"
        )
    with ag.enable_grad():
        return closure()


class Optimizer:
    """Base class. A subclass lists its hyper-parameters and their checks in ``hyperparameters``
    and defines ``_update(p, grad, state, group)``, the update of one parameter.

    ``param_groups`` is a list of dicts (``"params"`` plus every hyper-parameter); ``state`` holds one dict per
    parameter (momentum buffers, running averages), in parameter order; ``state[p]`` finds one by its parameter.
    """

    hyperparameters: ClassVar[dict[str, Check]] = {"lr": _number}
    #: Hyper-parameters added after states were saved without them, and the value such a state had.
    later_hyperparameters: ClassVar[dict[str, Any]] = {"maximize": False}
    #: The names a parameter's state may hold (None: any); with ``whole_state`` a non-empty state holds them all.
    state_names: ClassVar[tuple[str, ...] | None] = None
    whole_state: ClassVar[bool] = False
    #: The names in a parameter's state that hold a number (a float), not an array of the parameter's shape.
    number_state: ClassVar[tuple[str, ...]] = ()
    #: State names as saved before they became torch's (old: new): load_state_dict reads such files too.
    renamed_state: ClassVar[dict[str, str]] = {}

    def __init__(self, params: Params, defaults: dict[str, Any] | float) -> None:
        owner = type(self).__name__
        if not isinstance(defaults, dict):  # the seeds' Optimizer(params, lr)
            defaults = {"lr": defaults}
        self.defaults = {name: self.hyperparameters[name](owner, name, value) for name, value in defaults.items()}
        params = _parameter_list(owner, params)
        if not params:
            raise ValueError(
                f"{owner}: got an empty parameter list; pass model.parameters() (a generator can only be used once)"
            )
        self.param_groups: list[ParamGroup] = []
        self.state = ParameterStates(self.param_groups)  # per parameter: its buffers and step counts; state[p] too
        self.step_count = 0
        self._casts_seen = CastClock.now
        groups = params if all(isinstance(g, dict) for g in params) else [{"params": params}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: ParamGroup) -> None:
        """Add a dict ``{"params": [...], "lr": ...}``; missing hyper-parameters take the defaults:
        ``opt.add_param_group({"params": head.parameters(), "lr": 1e-4})``."""
        owner = type(self).__name__
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError(f"{owner}: a parameter group must be a dict with a 'params' entry, got {group!r}")
        unknown = sorted(set(group) - set(self.hyperparameters) - {"params", "initial_lr"})
        if unknown:
            raise ValueError(
                f"{owner}: unknown hyper-parameter(s) {unknown} in a parameter group; "
                f"known: {sorted(self.hyperparameters)}"
            )
        given = group["params"]  # one Tensor is a group of one inside a dict, as in PyTorch (not as `params`)
        params = [given] if isinstance(given, Tensor) else _parameter_list(owner, given)
        seen = {id(p) for p in self.params}
        first = len(self.params)
        for i, p in enumerate(params, start=first):
            # a frozen parameter (requires_grad=False) is welcome, as in PyTorch: no .grad, so skipped
            if isinstance(p, tuple) and len(p) == 2 and isinstance(p[1], Tensor):
                raise TypeError(
                    f"{owner}: parameter {i} is a (name, tensor) pair, as model.named_parameters() gives; "
                    "pass model.parameters() (or [p for name, p in model.named_parameters() if ...])"
                )
            if not isinstance(p, Tensor) or not p.is_leaf or p.dtype.kind != "f":
                raise TypeError(
                    f"{owner}: parameter {i} must be a floating-point leaf Tensor (one made with "
                    "requires_grad=True, not computed from one), got "
                    + (repr(p) if isinstance(p, Tensor) else type(p).__name__)
                )
            if id(p) in seen:
                raise ValueError(f"{owner}: parameter {i} appears twice in the list")
            seen.add(id(p))
        checked = {
            name: (self.hyperparameters[name](owner, name, group[name]) if name in group else value)
            for name, value in self.defaults.items()
        }
        checked = self._check_group(checked)
        if "initial_lr" in group:
            checked["initial_lr"] = group["initial_lr"]
        self.param_groups.append({"params": params, **checked})
        self.state.extend(dict() for _ in params)

    def _check_group(self, group: dict[str, Any]) -> dict[str, Any]:
        """Checks that involve several hyper-parameters (e.g. nesterov needs momentum)."""
        return group

    @property
    def params(self) -> list[Tensor]:
        """Every parameter, in group order (the order of ``state``)."""
        return [p for group in self.param_groups for p in group["params"]]

    @property
    def lr(self) -> float:
        """The first group's learning rate; assigning sets every group's: ``opt.lr = 0.01``."""
        return float(self.param_groups[0]["lr"])

    @lr.setter
    def lr(self, value: float) -> None:
        value = _number(type(self).__name__, "lr", value)
        for group in self.param_groups:
            group["lr"] = value

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the parameters' gradients (``.grad = None``; zeros of their shape with
        ``set_to_none=False``, as PyTorch), before the next backward: ``opt.zero_grad()``."""
        for group in self.param_groups:  # not self.params: that property builds a list each call
            if set_to_none:  # the loop every training step runs: nothing else in it
                for p in group["params"]:
                    p.grad = None
            else:
                for p in group["params"]:
                    p.grad = None if p.grad is None else np.zeros_like(p.grad)

    def step(self, closure: Closure | None = None) -> Any:
        """Update every parameter that has a gradient, in place: ``loss.backward(); opt.step()``. As in
        PyTorch, ``opt.step(closure)`` first runs ``closure`` (zero_grad, loss, backward) and returns its loss."""
        loss = None if closure is None else run_closure(self, closure)  # (a call less for the usual step())
        self._step()
        return loss

    def _step(self) -> None:
        if self._casts_seen != CastClock.now:
            self._follow_casts()
        self.step_count += 1
        start = 0
        with ag.no_grad():
            for group in self.param_groups:
                count = len(group["params"])
                self._update_group(group, self.state[start : start + count])
                start += count

    def _update_group(self, group: ParamGroup, states: list[dict[str, Any]]) -> None:
        """``_update`` of each parameter of ``group`` that has a gradient, with its state: the one place the
        gradient is read, checked and, with ``maximize=True``, negated (gradient ascent, as torch: before weight
        decay and everything else, so each step is the one that minimizes -loss)."""
        maximize = group.get("maximize", False)  # (a subclass's own hyper-parameters may not have it)
        for p, state in zip(group["params"], states):
            grad = p.grad
            if grad is not None:
                if type(grad) is not np.ndarray or grad.dtype is not p.dtype:
                    grad = checked_grad(self, p, grad)
                elif grad.shape != p.data.shape:
                    raise wrong_grad(self, p, grad)
                if maximize:
                    grad = -grad
                self._update(p, grad, state, group)

    _casts_seen = 0  # CastClock.now when the state last matched its parameters' dtypes

    def _follow_casts(self) -> None:
        """After a model's cast (``model.float()``), the state arrays made before take their
        parameter's new dtype, as ``load_state_dict`` gives them: an update never mixes float64
        state into float32 weights (Adam's pack, whose views they were, is rebuilt from them)."""
        for p, state in zip(self.params, self.state):
            for name, value in state.items():
                if isinstance(value, np.ndarray) and value.dtype != p.dtype:
                    state[name] = value.astype(p.dtype)  # astype keeps the layout, as the state's views do
        self._casts_seen = CastClock.now

    def _update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any], group: ParamGroup) -> None:
        raise NotImplementedError(
            f"{type(self).__name__} must define _update(p, grad, state, group): the update of one parameter (see SGD)"
        )

    # ------------------------------------------------------------ saving and resuming
    def state_dict(self) -> dict[str, Any]:
        """A copy of everything needed to resume: ``{"state": {index: {name: array or int}},
        "param_groups": [hyper-parameters with "params" as indices], "step_count": n}``
        (PyTorch's layout). Arrays are copies, so the snapshot never changes.

        >>> w = Tensor([1.0], requires_grad=True)
        >>> opt = nn.optim.SGD([w], lr=0.1, momentum=0.9)
        >>> (w**2).sum().backward(); opt.step()
        >>> opt.state_dict()
        {'state': {0: {'momentum_buffer': array([2.])}},
         'param_groups': [{'lr': 0.1, 'momentum': 0.9, 'dampening': 0.0, 'weight_decay': 0.0, 'nesterov': False,
                           'maximize': False, 'params': [0]}],
         'step_count': 1}
        """
        groups, start = [], 0
        for group in self.param_groups:
            count = len(group["params"])
            groups.append(
                {**{k: v for k, v in group.items() if k != "params"}, "params": list(range(start, start + count))}
            )
            start += count
        state = {
            i: {k: np.array(v, copy=True) if isinstance(v, np.ndarray) else v for k, v in s.items()}
            for i, s in enumerate(self.state)
            if s
        }
        return {"state": state, "param_groups": groups, "step_count": self.step_count}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a ``state_dict()``: hyper-parameters, step counts and buffers. Everything
        is checked first (group sizes, names, shapes, finiteness); on a problem a
        ``ValueError`` lists it and the optimizer is unchanged.

        >>> w = Tensor([1.0], requires_grad=True)
        >>> opt = nn.optim.Adam([w], lr=0.1)
        >>> (w**2).sum().backward(); opt.step()
        >>> saved = opt.state_dict()
        >>> fresh = nn.optim.Adam([w], lr=0.1)
        >>> fresh.load_state_dict(saved)
        >>> fresh.step_count, fresh.state[0]["step"]
        (1, 1)
        """
        owner = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= set(state_dict):
            raise TypeError(
                f"{owner}: expected the dict returned by optimizer.state_dict() "
                f"(with 'state' and 'param_groups'), got {type(state_dict).__name__}"
            )
        saved_groups = list(state_dict["param_groups"])
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{owner}: the saved optimizer has {len(saved_groups)} parameter groups, "
                f"this one {len(self.param_groups)}; build it with the same groups"
            )
        params = self.params
        new_groups = []
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved.get("params", ())) != len(group["params"]):
                raise ValueError(
                    f"{owner}: group {i} holds {len(saved.get('params', ()))} parameters in the "
                    f"saved state, {len(group['params'])} here; build the optimizer from the same model"
                )
            hyper = {k: v for k, v in saved.items() if k not in ("params", "initial_lr")}
            for name, value in self.later_hyperparameters.items():  # a state saved before it existed
                if name in self.defaults:
                    hyper.setdefault(name, value)
            if set(hyper) != set(self.defaults):
                raise ValueError(
                    f"{owner}: group {i} has hyper-parameters {sorted(hyper)}, expected "
                    f"{sorted(self.defaults)}; was it saved from another optimizer type?"
                )
            checked = self._check_group({k: self.hyperparameters[k](owner, k, v) for k, v in hyper.items()})
            if "initial_lr" in saved:
                checked["initial_lr"] = float(saved["initial_lr"])
            new_groups.append(checked)
        step_count = state_dict.get("step_count", 0)
        if isinstance(step_count, bool) or not isinstance(step_count, numbers.Integral) or step_count < 0:
            raise ValueError(f"{owner}: step_count must be a whole number >= 0, got {step_count!r}")
        step_count = int(step_count)
        new_state: list[dict[str, Any]] = [{} for _ in params]
        group_of = [checked for checked, group in zip(new_groups, self.param_groups) for _ in group["params"]]
        for key, entries in dict(state_dict["state"]).items():
            index = int(key)
            if not 0 <= index < len(params):
                raise ValueError(f"{owner}: state for parameter {index}, but there are {len(params)} parameters")
            entries = {self.renamed_state.get(name, name): value for name, value in dict(entries).items()}
            self._check_state_names(owner, index, set(entries), group_of[index])
            for name, value in entries.items():
                if name in self.number_state:  # a number, not an array (ASGD's step size and averaging weight)
                    number = np.asarray(value)
                    if number.shape != () or number.dtype.kind not in "iuf" or not np.isfinite(number):
                        raise ValueError(
                            f"{owner}: state '{name}' of parameter {index} must be a finite number, got {value!r}"
                        )
                    new_state[index][name] = float(number)
                    continue
                if np.ndim(value) == 0 and np.asarray(value).dtype.kind in "iu":
                    if not 0 <= int(value) <= step_count:  # a parameter steps at most once per step()
                        raise ValueError(
                            f"{owner}: state '{name}' of parameter {index} is {int(value)}, not between 0 and the "
                            f"optimizer's step_count {step_count}: the state is inconsistent; start a new run"
                        )
                    new_state[index][name] = int(value)
                    continue
                value = np.asarray(value)
                p = params[index]
                if value.shape != p.shape or value.dtype.kind != "f" or not np.isfinite(value).all():
                    raise ValueError(
                        f"{owner}: state '{name}' of parameter {index} has shape {value.shape} and "
                        f"dtype {value.dtype}; expected finite values of shape {p.shape}"
                    )
                new_state[index][name] = np.array(value, dtype=p.dtype, copy=True)
        for group, checked in zip(self.param_groups, new_groups):
            group.update(checked)
        self.state = ParameterStates(self.param_groups, new_state)
        self.step_count = step_count

    def _check_state_names(self, owner: str, index: int, names: set[str], group: ParamGroup) -> None:
        """A saved parameter state holds this optimizer's buffers (those of its group): another's fails at step()."""
        known = self.state_names
        if known is None or not names:
            return
        if not names <= set(known) or (self.whole_state and names != set(known)):
            raise ValueError(
                f"{owner}: the state of parameter {index} holds {sorted(names)}, expected "
                f"{'' if self.whole_state else 'some of '}{sorted(known)}; was it saved by another optimizer? "
                "Start a new run, or load a state saved by the same optimizer"
            )

    def __repr__(self) -> str:
        groups = len(self.param_groups)
        return f"{type(self).__name__}(lr={self.lr:g}, {len(self.params)} parameters" + (
            f", {groups} groups)" if groups > 1 else ")"
        )
