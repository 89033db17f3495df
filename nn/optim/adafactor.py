"""Adafactor (Shazeer & Stern 2018), as ``torch.optim.Adafactor``: Adam's second moment kept as a row and a column
mean for a matrix (memory rows + columns, not rows x columns), steps relative to the parameter's scale, updates
clipped by their root mean square, and no first moment at all.

The update rule is torch 2.13's, which departs from the paper in three documented ways: ``lr`` caps the relative
step (rho_t = min(lr, 1/sqrt(t))) and scales the decoupled weight decay, and eps1 guards the final variance
estimate rather than each factor; the factor means are of g**2 (the paper's sums, divided by their count).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from autograd_core import Tensor

from .optimizer import Check, Optimizer, ParamGroup, Params, _flag, _number

#: The state that holds the factors of a matrix: its shape is the parameter's with the last (rows) or the
#: second-to-last (columns) axis reduced to 1, so load_state_dict checks it here, not as a parameter-shaped array.
FACTORED = ("row_var", "col_var")


def _decay_exponent(owner: str, name: str, value: object) -> float:
    number = _number(owner, name, value, low=-math.inf)
    if number > 0:
        raise ValueError(f"{owner}: {name} must be <= 0 (beta2_t = 1 - t**{name}), got {value!r}")
    return number


def _epsilons(owner: str, name: str, value: object) -> tuple[float | None, float]:
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ValueError(f"{owner}: {name} must be a pair (eps1 or None, eps2), got {value!r}")
    eps1 = None if value[0] is None else _number(owner, f"{name}[0]", value[0])
    return eps1, _number(owner, f"{name}[1]", value[1])


def _clipping_threshold(owner: str, name: str, value: object) -> float:
    return _number(owner, name, value, low=1.0)


def factored_shapes(shape: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The shapes of a matrix's row and column factors: the last axis, then the second-to-last, reduced to 1.

    >>> factored_shapes((4, 3, 5))
    ((4, 3, 1), (4, 1, 5))
    """
    return shape[:-1] + (1,), shape[:-2] + (1,) + shape[-1:]


class Adafactor(Optimizer):
    """torch's Adafactor. At step t, with beta2_t = 1 - t**beta2_decay and g the gradient:
    rho_t = min(lr, 1/sqrt(t)); alpha_t = max(eps2, RMS(p)) * rho_t; p *= 1 - lr * weight_decay;
    for a parameter of 2 or more axes, R = beta2_t R + (1-beta2_t) mean(g**2, last axis),
    C = beta2_t C + (1-beta2_t) mean(g**2, second-to-last axis), V = R C / max(mean(R), eps1);
    otherwise V = beta2_t V + (1-beta2_t) g**2. U = g / sqrt(max(V, eps1**2)); p -= alpha_t U / max(1, RMS(U)/d).
    eps1 None is the dtype's machine epsilon. State: ``step`` and ``row_var``/``col_var`` (a matrix) or
    ``variance``, torch's names. A vector's first step moves every entry by alpha_1 = max(eps2, RMS(p)) * min(lr, 1)
    times the sign of g (V = g**2 then, so RMS(U) = 1 <= d):

    >>> w = Tensor([3.0, -4.0], requires_grad=True)
    >>> opt = nn.optim.Adafactor([w], lr=0.1)
    >>> (w**2).sum().backward(); opt.step()
    >>> w   # RMS(w) = sqrt(12.5); the step is 0.1 * 3.5355 = 0.35355
    Tensor([ 2.646, -3.646], requires_grad=True)
    """

    state_names = ("step", "row_var", "col_var", "variance")

    hyperparameters: ClassVar[dict[str, Check]] = {
        "lr": _number,
        "beta2_decay": _decay_exponent,
        "eps": _epsilons,
        "d": _clipping_threshold,
        "weight_decay": _number,
        "maximize": _flag,
    }

    def __init__(
        self,
        params: Params,
        lr: float = 1e-2,
        beta2_decay: float = -0.8,
        eps: tuple[float | None, float] = (None, 1e-3),
        d: float = 1.0,
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d, weight_decay=weight_decay)
        super().__init__(params, dict(defaults, maximize=maximize))

    def _update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any], group: ParamGroup) -> None:
        eps1, eps2 = group["eps"]
        if eps1 is None:
            eps1 = float(np.finfo(p.dtype).eps)
        if "step" not in state:
            state["step"] = 0
            if grad.ndim > 1:
                rows, columns = factored_shapes(grad.shape)
                state.update(row_var=np.zeros(rows, p.dtype), col_var=np.zeros(columns, p.dtype))
            else:
                state["variance"] = np.zeros_like(p.data)
        state["step"] += 1
        step = state["step"]
        new_weight = step ** group["beta2_decay"]  # 1 - beta2_t: 1 at the first step, so V starts at g**2
        relative_step = min(group["lr"], 1 / math.sqrt(step))
        # the parameter's scale before weight decay shrinks it (torch's order)
        alpha = max(eps2, float(np.sqrt(np.mean(p.data * p.data)))) * relative_step
        if group["weight_decay"]:
            p.data *= 1 - group["lr"] * group["weight_decay"]
        squared = grad * grad
        if grad.ndim > 1:
            row_var, col_var = state["row_var"], state["col_var"]
            row_var += new_weight * (squared.mean(axis=-1, keepdims=True) - row_var)
            col_var += new_weight * (squared.mean(axis=-2, keepdims=True) - col_var)
            variance = row_var @ col_var / np.maximum(row_var.mean(axis=-2, keepdims=True), eps1)
        else:
            state["variance"] += new_weight * (squared - state["variance"])
            variance = state["variance"]
        update = grad / np.sqrt(np.maximum(variance, eps1 * eps1))  # eps1 squared: eps1's size after the root
        clipping = max(1.0, float(np.sqrt(np.mean(update * update))) / group["d"]) if update.size else 1.0
        p.data -= (alpha / clipping) * update

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """``Optimizer.load_state_dict``, with a matrix's ``row_var`` and ``col_var`` checked against the shapes
        of its factors (``factored_shapes``) first: ``opt.load_state_dict(saved)``."""
        owner = f"{type(self).__name__}.load_state_dict"
        saved = state_dict.get("state") if isinstance(state_dict, dict) else None
        if not isinstance(saved, dict):
            return super().load_state_dict(state_dict)  # its own error for a malformed dict
        params, rest = self.params, {}
        factors: dict[int, dict[str, np.ndarray]] = {}
        for key, entries in saved.items():
            entries = dict(entries)
            index = int(key)
            if 0 <= index < len(params) and any(name in entries for name in FACTORED):
                shape = params[index].shape
                if len(shape) < 2 or not all(name in entries for name in FACTORED):
                    raise ValueError(
                        f"{owner}: the state of parameter {index} (shape {shape}) holds {sorted(entries)}; a "
                        "parameter of 2 or more axes holds both 'row_var' and 'col_var', one of fewer 'variance'"
                    )
                factors[index] = {}
                for name, wanted in zip(FACTORED, factored_shapes(shape)):
                    value = np.asarray(entries.pop(name))
                    if value.shape != wanted or value.dtype.kind != "f" or not np.isfinite(value).all():
                        raise ValueError(
                            f"{owner}: state '{name}' of parameter {index} has shape {value.shape} and dtype "
                            f"{value.dtype}; expected finite values of shape {wanted} (parameter shape {shape})"
                        )
                    factors[index][name] = np.array(value, dtype=params[index].dtype, copy=True)
            rest[key] = entries
        super().load_state_dict({**state_dict, "state": rest})
        for index, arrays in factors.items():
            self.state[index].update(arrays)
