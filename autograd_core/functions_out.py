"""PyTorch's module-level arithmetic, ``ag.add(a, b, alpha=)``, ``ag.sub``, ``ag.mul``, ``ag.div``, and the
``out=`` argument they and ``ag.matmul`` take: the result written into an existing tensor, as
``torch.mul(x, y, out=z)`` (values only: PyTorch's ``out=`` records no gradient either).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .grad_mode import current_switches
from .tensor import Tensor, _lift
from .types import TensorLike


def write_out(op: str, result: Tensor, out: Any) -> Tensor:
    """``result`` written into ``out`` (a Tensor of its shape, of a dtype it casts to), which is returned;
    ``out=None`` returns ``result``. Refused, as in PyTorch, where a gradient would be lost.

    >>> z = Tensor([0.0, 0.0])
    >>> write_out("mul", Tensor([2.0, 6.0]), z) is z, z
    (True, Tensor([2., 6.]))
    """
    if out is None:
        return result
    if not isinstance(out, Tensor):
        raise TypeError(f"{op}: out= takes a Tensor to write into, got {type(out).__name__}; or leave it out")
    if result.requires_grad and current_switches().grad_enabled:
        raise RuntimeError(
            f"{op}(out=...): out= records no gradient, but an input requires grad; write y = ag.{op}(...) "
            "instead (or call it under ag.no_grad())"
        )
    if out.shape != result.shape:
        raise ValueError(
            f"{op}(out=...): out has shape {out.shape}, the result {result.shape}; give an out of shape "
            f"{result.shape}, or write y = ag.{op}(...)"
        )
    if not np.can_cast(result.dtype, out.dtype, casting="same_kind"):
        raise TypeError(
            f"{op}(out=...): the result is {result.dtype}, which out's {out.dtype} cannot hold; "
            f"give a {result.dtype} out"
        )
    return out.copy_(result)


def _first(input: TensorLike, other: TensorLike) -> Tensor:
    """``input`` as a Tensor; a number meeting a Tensor ``other`` is weak, as in ``2 + x`` (x's dtype, not float64)."""
    if isinstance(input, Tensor):
        return input
    return _lift(input, other) if isinstance(other, Tensor) else Tensor(input)


def add(input: TensorLike, other: TensorLike, *, alpha: float = 1, out: Tensor | None = None) -> Tensor:
    """``input + alpha * other``, as ``torch.add`` (``out=``: written into that tensor).

    >>> add(Tensor([1.0, 2.0]), Tensor([1.0, 1.0]), alpha=10)
    Tensor([11., 12.])
    """
    return write_out("add", _first(input, other).add(other, alpha=alpha), out)


def sub(input: TensorLike, other: TensorLike, *, alpha: float = 1, out: Tensor | None = None) -> Tensor:
    """``input - alpha * other``, as ``torch.sub``.

    >>> sub(Tensor([1.0, 2.0]), 1)
    Tensor([0., 1.])
    """
    return write_out("sub", _first(input, other).sub(other, alpha=alpha), out)


def mul(input: TensorLike, other: TensorLike, *, out: Tensor | None = None) -> Tensor:
    """``input * other`` elementwise, as ``torch.mul`` (``out=``: written into that tensor).

    >>> mul(Tensor([1.0, 2.0]), Tensor([3.0, 4.0]))
    Tensor([3., 8.])
    """
    return write_out("mul", _first(input, other) * other, out)


def div(input: TensorLike, other: TensorLike, *, out: Tensor | None = None) -> Tensor:
    """``input / other`` elementwise (true division), as ``torch.div``.

    >>> div(Tensor([1.0, 3.0]), 2)
    Tensor([0.5, 1.5])
    """
    return write_out("div", _first(input, other) / other, out)
