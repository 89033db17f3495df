"""SparseAdam, as ``torch.optim.SparseAdam``: Adam for an embedding table whose gradient touches a few rows, updating
the running means and the weights of those rows only (the others keep their moments: "lazy" Adam).

torch accepts only sparse gradients (``nn.Embedding(sparse=True)``'s) and refuses dense ones. This engine's
gradients are always dense numpy arrays, so the rule here: the gradient of an ``nn.Embedding(sparse=True)`` or
``nn.EmbeddingBag(sparse=True)`` weight stands for torch's sparse one, its rows looked up being its nonzero rows
(a row looked up whose gradient is exactly zero is left alone, where torch would decay its moments); any other
gradient is refused with torch's message, which says to use Adam.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from autograd_core import Tensor

from ..parameter import has_sparse_grad
from .optimizer import Check, Optimizer, ParamGroup, Params, _betas, _flag, _number


def _positive(owner: str, name: str, value: object) -> float:
    number = _number(owner, name, value)
    if number == 0:
        raise ValueError(f"{owner}: {name} must be > 0 (torch's check), got {value!r}")
    return number


def rows_used(grad: np.ndarray) -> np.ndarray:
    """The indices along the first axis where ``grad`` has a nonzero entry: the rows of torch's sparse gradient.

    >>> rows_used(np.array([[0.0, 0.0], [0.0, 2.0], [0.0, 0.0], [1.0, 1.0]]))
    array([1, 3])
    """
    if grad.ndim == 0:
        return np.flatnonzero(grad.reshape(1))
    return np.flatnonzero(grad.reshape(grad.shape[0], -1).any(axis=1))


class SparseAdam(Optimizer):
    """Adam on the rows a sparse gradient touches. At step t (the parameter's count of steps), for the rows r used:
    m[r] = b1 m[r] + (1-b1) g[r];  v[r] = b2 v[r] + (1-b2) g[r]**2;
    p[r] -= lr sqrt(1 - b2**t) / (1 - b1**t) * m[r] / (sqrt(v[r]) + eps); other rows keep p, m and v.
    Only an ``nn.Embedding(sparse=True)`` weight's gradient is taken as sparse (see the module's note); state:
    ``step``, ``exp_avg``, ``exp_avg_sq``, torch's names.

    >>> import warnings
    >>> with warnings.catch_warnings():   # (its warning: the gradient is a dense array here)
    ...     warnings.simplefilter("ignore"); table = nn.Embedding(4, 2, sparse=True, seed=0)
    >>> before = table.weight.data.copy()
    >>> opt = nn.optim.SparseAdam(table.parameters(), lr=0.1)
    >>> table(np.array([1, 3])).sum().backward(); opt.step()
    >>> np.round(table.weight.data - before, 6)   # rows 1 and 3 move by -lr (the first step: g/|g|); 0 and 2 stay
    array([[ 0. ,  0. ],
           [-0.1, -0.1],
           [ 0. ,  0. ],
           [-0.1, -0.1]])
    """

    state_names = ("step", "exp_avg", "exp_avg_sq")
    whole_state = True

    hyperparameters: ClassVar[dict[str, Check]] = {
        "lr": _positive,
        "betas": _betas,
        "eps": _positive,
        "maximize": _flag,
    }

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, maximize=maximize))

    def _update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any], group: ParamGroup) -> None:
        if not has_sparse_grad(p):
            index = next(i for i, q in enumerate(self.params) if q is p)
            raise RuntimeError(
                f"SparseAdam does not support dense gradients, please consider Adam instead: parameter {index} "
                f"(shape {p.shape}) has a dense gradient. This engine's gradients are dense arrays; only an "
                "nn.Embedding(sparse=True) or nn.EmbeddingBag(sparse=True) weight's counts as sparse (its nonzero "
                "rows): use nn.optim.Adam for the other parameters"
            )
        if "step" not in state:
            state.update(step=0, exp_avg=np.zeros_like(p.data), exp_avg_sq=np.zeros_like(p.data))
        state["step"] += 1  # counted even when no row is used, as torch's
        rows = rows_used(grad)
        if rows.size == 0:
            return
        beta1, beta2 = group["betas"]
        step = state["step"]
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        if p.ndim == 0:  # (a 0-d table: its one entry is its one row)
            exp_avg, exp_avg_sq, grad, weights = exp_avg[None], exp_avg_sq[None], grad[None], p.data[None]
        else:
            weights = p.data
        exp_avg[rows] += (1 - beta1) * (grad[rows] - exp_avg[rows])
        exp_avg_sq[rows] += (1 - beta2) * (grad[rows] * grad[rows] - exp_avg_sq[rows])
        step_size = group["lr"] * math.sqrt(1 - beta2**step) / (1 - beta1**step)
        weights[rows] -= step_size * exp_avg[rows] / (np.sqrt(exp_avg_sq[rows]) + group["eps"])
