"""What the minitorch ports share: the course's function tables (its ``MathTest``: one-argument, two-argument
and reduction functions, each with the inputs where a central difference is fair), index-to-position, and its
2-d datasets and small networks, re-written with the engine (``nn``), not copied."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

import autograd_core as ag
from autograd_core import Tensor


def leaf(values: object) -> Tensor:
    """A float64 tensor that requires grad (the course's ``tensor(..., requires_grad=True)``)."""
    return Tensor(np.array(values, dtype=np.float64), requires_grad=True)


def position(index: Sequence[int], strides: Sequence[int]) -> int:
    """minitorch's ``index_to_position``: where ``index`` lies in the storage, ``sum(index * strides)``."""
    return int(sum(i * s for i, s in zip(index, strides)))


def _everywhere(*arrays: np.ndarray) -> bool:
    return True


def _away_from(kink: float) -> Callable[[np.ndarray], bool]:
    return lambda x: bool(np.all(np.abs(x - kink) > 1e-3))


# name -> (function, where a central difference may be taken), as the course's MathTest: constants folded in
ONE_ARG: dict[str, tuple[Callable[[Tensor], Tensor], Callable[..., bool]]] = {
    "neg": (lambda x: -x, _everywhere),
    "add_constant": (lambda x: x + 5.0, _everywhere),
    "sub_constant": (lambda x: x - 5.0, _everywhere),
    "mult_constant": (lambda x: 5.0 * x, _everywhere),
    "div_constant": (lambda x: x / 5.0, _everywhere),
    "square": (lambda x: x * x, _everywhere),
    "cube": (lambda x: x * x * x, _everywhere),
    "inv": (lambda x: ag.reciprocal(x + 3.5), _everywhere),
    "sig": (ag.sigmoid, _everywhere),
    "log": (lambda x: ag.log(x + 100000.0), _everywhere),
    "relu": (lambda x: ag.relu(x + 0.5), _away_from(-0.5)),
    "exp": (lambda x: ag.exp(x - 2.0), _everywhere),
    "explog": (lambda x: ag.exp(ag.log(x + 100000.0)) - 100000.0, _everywhere),
}

TWO_ARG: dict[str, tuple[Callable[[Tensor, Tensor], Tensor], Callable[..., bool]]] = {
    "add": (lambda a, b: a + b, _everywhere),
    "mul": (lambda a, b: a * b, _everywhere),
    "div": (lambda a, b: a / (b + 5.5), _everywhere),
    "max": (ag.maximum, lambda a, b: bool(np.all(np.abs(a - b) > 1e-3))),
}

REDUCE: dict[str, Callable[[Tensor], Tensor]] = {
    "sum": lambda x: x.sum(),
    "sum_dim0": lambda x: x.sum(0),
    "sum_dim1_keepdim": lambda x: x.sum(1, keepdim=True),
    "mean": lambda x: x.mean(),
    "mean_dim1": lambda x: x.mean(1),
    "mean_full_reduction": lambda x: x.mean(0).mean(0),
}
