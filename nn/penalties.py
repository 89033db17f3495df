"""Weight penalties added to a loss: ``loss + lam * F.l2_penalty(model)`` (also spelled ``F.l1_penalty``).

Composed from Tensor ops like every loss, so their gradients (sign(w) for L1, 2w for L2) come
from the engine.
"""

from __future__ import annotations

from collections.abc import Iterable

from autograd_core import Tensor

from .module import Module


def _parameter_list(function: str, params: Tensor | Module | Iterable[Tensor]) -> list[Tensor]:
    items: list[object]
    parameters = getattr(params, "parameters", None)  # a Module, or anything shaped like one
    if isinstance(params, Tensor):
        items = [params]
    elif isinstance(params, Module):
        items = list(params.parameters())
    elif callable(parameters):
        items = list(parameters())
    else:
        items = list(params)
    tensors = [p for p in items if isinstance(p, Tensor)]
    if not items or len(tensors) != len(items):
        raise TypeError(
            f"{function}: expected a non-empty iterable of Tensors (e.g. model.parameters()), "
            f"got {[type(p).__name__ for p in items] or 'nothing'}"
        )
    return tensors


def l1_penalty(params: Tensor | Module | Iterable[Tensor]) -> Tensor:
    """sum |w| over every element of every tensor in ``params`` (a Module works too).
    Its gradient is sign(w) (0 at w = 0).

    >>> l1_penalty([Tensor([1.0, -2.0])])
    Tensor(3.)
    """
    params = _parameter_list("l1_penalty", params)
    total = params[0].abs().sum()
    for p in params[1:]:
        total = total + p.abs().sum()
    return total


def l2_penalty(params: Tensor | Module | Iterable[Tensor]) -> Tensor:
    """sum w**2 over every element of every tensor in ``params`` (a Module works too).
    Its gradient is 2w (weight decay: add ``lam * l2_penalty(model)`` to the loss).

    >>> l2_penalty([Tensor([1.0, -2.0])])
    Tensor(5.)
    """
    params = _parameter_list("l2_penalty", params)
    total = (params[0] * params[0]).sum()
    for p in params[1:]:
        total = total + (p * p).sum()
    return total
