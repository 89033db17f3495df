"""Muon (Jordan et al. 2024), as ``torch.optim.Muon``: SGD with momentum for the 2-d weights of hidden layers whose
step is the momentum *orthogonalised* (its singular values pushed towards 1 by a Newton-Schulz iteration), so
every direction of the matrix moves by about the same amount.

torch runs the iteration in bfloat16 (fast on GPUs); numpy has no bfloat16, so here it runs in the parameter's
own dtype: the same polynomial, more digits (``tests/test_nn_more_optim_muon.py`` measures the difference).
"""

from __future__ import annotations

import math
import numbers
from typing import Any, ClassVar

import numpy as np

from autograd_core import Tensor

from .optimizer import Check, Optimizer, ParamGroup, Params, _flag, _number

#: Keller Jordan's quintic coefficients (a, b, c), torch's defaults: the steepest slope at 0 that still converges.
NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)


def zeropower_via_newtonschulz(
    matrix: np.ndarray,
    ns_coefficients: tuple[float, float, float] = NS_COEFFICIENTS,
    ns_steps: int = 5,
    eps: float = 1e-7,
) -> np.ndarray:
    """About U V^T for the SVD U S V^T of ``matrix``: scaled to Frobenius norm 1 (so every singular value is <= 1),
    then ``ns_steps`` times X <- a X + (b A + c A^2) X with A = X X^T, on the wide orientation (fewer rows).
    Each step maps a singular value s to a s + b s^3 + c s^5, which pulls all of them into about [0.7, 1.2].

    >>> q = zeropower_via_newtonschulz(np.array([[3.0, 0.0], [0.0, 0.1]]), ns_steps=10)
    >>> np.round(np.diag(q), 1)
    array([1.1, 0.8])
    """
    a, b, c = ns_coefficients
    tall = matrix.shape[0] > matrix.shape[1]
    x = matrix.T if tall else matrix
    x = x / max(float(np.linalg.norm(x)), eps)
    for _ in range(ns_steps):
        gram = x @ x.T
        x = a * x + (b * gram + c * (gram @ gram)) @ x
    return x.T if tall else x


def adjusted_lr(lr: float, adjust_lr_fn: str | None, shape: tuple[int, ...]) -> float:
    """torch's learning-rate scaling for a (rows, columns) matrix: ``"original"`` (or None) sqrt(max(1, rows/cols)),
    Keller Jordan's; ``"match_rms_adamw"`` 0.2 sqrt(max(rows, cols)), Moonshot's, to reuse AdamW's lr.

    >>> adjusted_lr(0.1, None, (8, 2)), adjusted_lr(0.1, "match_rms_adamw", (4, 25))
    (0.2, 0.1)
    """
    rows, columns = shape[:2]
    if adjust_lr_fn == "match_rms_adamw":
        return lr * 0.2 * math.sqrt(max(rows, columns))
    return lr * math.sqrt(max(1, rows / columns))


def _coefficients(owner: str, name: str, value: object) -> tuple[float, float, float]:
    if not isinstance(value, (tuple, list)) or len(value) != 3:
        raise ValueError(f"{owner}: {name} must be three numbers (a, b, c), got {value!r}")
    a, b, c = (_number(owner, f"{name}[{i}]", v, low=-math.inf) for i, v in enumerate(value))
    return a, b, c


def _ns_steps(owner: str, name: str, value: object) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or not 0 <= int(value) < 100:
        raise ValueError(f"{owner}: {name} must be a whole number from 0 to 99 (torch's limit), got {value!r}")
    return int(value)


def _adjust_lr_fn(owner: str, name: str, value: object) -> str | None:
    if value not in (None, "original", "match_rms_adamw"):
        raise ValueError(f"{owner}: {name} must be None, 'original' or 'match_rms_adamw', got {value!r}")
    return None if value is None else str(value)


class Muon(Optimizer):
    """torch's Muon, for 2-d parameters only (the hidden layers' weights; give biases, embeddings and the output
    layer to AdamW). With g the gradient and mu the momentum: B = mu B + (1 - mu) g; the direction is
    (1 - mu) g + mu B with ``nesterov=True`` (the default), else B; O = zeropower_via_newtonschulz(direction);
    p *= 1 - lr * weight_decay; p -= adjusted_lr(lr, adjust_lr_fn, p.shape) * O. State: ``momentum_buffer``.

    >>> w = Tensor(np.diag([3.0, 0.5]), requires_grad=True)
    >>> opt = nn.optim.Muon([w], lr=0.1, weight_decay=0.0)
    >>> (w**2).sum().backward(); opt.step()
    >>> np.round(np.diag(w.data), 2)   # both axes move by about lr, though their gradients are 6 and 1
    array([2.93, 0.4 ])
    """

    state_names = ("momentum_buffer",)

    hyperparameters: ClassVar[dict[str, Check]] = {
        "lr": _number,
        "weight_decay": _number,
        "momentum": _number,
        "nesterov": _flag,
        "ns_coefficients": _coefficients,
        "eps": _number,
        "ns_steps": _ns_steps,
        "adjust_lr_fn": _adjust_lr_fn,
    }

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        weight_decay: float = 0.1,
        momentum: float = 0.95,
        nesterov: bool = True,
        ns_coefficients: tuple[float, float, float] = NS_COEFFICIENTS,
        eps: float = 1e-7,
        ns_steps: int = 5,
        adjust_lr_fn: str | None = None,
    ) -> None:
        defaults = dict(lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov)
        more = dict(ns_coefficients=ns_coefficients, eps=eps, ns_steps=ns_steps, adjust_lr_fn=adjust_lr_fn)
        super().__init__(params, dict(defaults, **more))

    def add_param_group(self, group: ParamGroup) -> None:
        """``Optimizer.add_param_group``, refusing a parameter that is not a matrix (torch checks at construction)."""
        super().add_param_group(group)
        added = self.param_groups[-1]["params"]
        for i, p in enumerate(added):
            if p.ndim != 2:
                del self.param_groups[-1], self.state[len(self.state) - len(added) :]
                raise ValueError(
                    f"Muon: parameter {i} of group {len(self.param_groups)} has shape {p.shape}; Muon updates 2-d "
                    "weights only: give biases, norms' scales and embeddings to another optimizer "
                    "(e.g. nn.optim.AdamW([p for p in model.parameters() if p.ndim != 2]))"
                )

    def _update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any], group: ParamGroup) -> None:
        momentum = group["momentum"]
        buffer = state.get("momentum_buffer")
        if buffer is None:
            buffer = state["momentum_buffer"] = np.zeros_like(p.data)
        buffer += (1 - momentum) * (grad - buffer)
        direction = grad + momentum * (buffer - grad) if group["nesterov"] else buffer
        update = zeropower_via_newtonschulz(direction, group["ns_coefficients"], group["ns_steps"], group["eps"])
        p.data *= 1 - group["lr"] * group["weight_decay"]
        p.data -= adjusted_lr(group["lr"], group["adjust_lr_fn"], p.shape) * update.astype(p.dtype, copy=False)
