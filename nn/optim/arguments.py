"""The checks of an optimizer's arguments: each hyper-parameter's (``check(owner, name, value)`` returns the value
as stored, or raises a ValueError naming the optimizer, the argument and the value), and the parameter list's,
with PyTorch users' usual slips caught by name."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from autograd_core import Tensor


def _number(
    owner: str, name: str, value: object, low: float = 0.0, high: float | None = None, high_open: bool = False
) -> float:
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not math.isfinite(value):
        raise ValueError(f"{owner}: {name} must be a finite number, got {value!r}")
    number = float(value)
    if number < low or (high is not None and (number >= high if high_open else number > high)):
        upper = "" if high is None else f" and {'<' if high_open else '<='} {high}"
        raise ValueError(f"{owner}: {name} must be >= {low}{upper}, got {value!r}")
    return number


def _flag(owner: str, name: str, value: object) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{owner}: {name} must be True or False, got {value!r}")
    return bool(value)


def _betas(owner: str, name: str, value: object) -> tuple[float, ...]:
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ValueError(f"{owner}: {name} must be a pair (beta1, beta2), got {value!r}")
    return tuple(_number(owner, f"{name}[{i}]", b, 0.0, 1.0, high_open=True) for i, b in enumerate(value))


def _parameter_list(owner: str, params: object) -> list[Any]:
    """The parameters as a list, with PyTorch users' usual slips caught by name."""
    if isinstance(params, Tensor):
        raise TypeError(
            f"{owner}: params must be an iterable of Tensors (e.g. model.parameters()), "
            "got a single Tensor; wrap it in a list"
        )
    if hasattr(params, "parameters") and hasattr(params, "forward"):
        raise TypeError(f"{owner}: got the model ({type(params).__name__}) itself; pass model.parameters()")
    if callable(params):
        raise TypeError(
            f"{owner}: got the method {getattr(params, '__name__', params)!r} without calling it; "
            "pass model.parameters() (with the parentheses)"
        )
    if not hasattr(params, "__iter__"):
        raise TypeError(
            f"{owner}: params must be an iterable of Tensors (e.g. model.parameters()), got {type(params).__name__}"
        )
    return list(params)
