"""PyTorch's module-level arithmetic, ``ag.add(a, b, alpha=)``, ``ag.sub``, ``ag.mul``, ``ag.div`` (and torch's aliases
``ag.subtract``, ``ag.multiply``, ``ag.divide``, ``ag.true_divide``), and the
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


def div(input: TensorLike, other: TensorLike, *, rounding_mode: str | None = None, out: Tensor | None = None) -> Tensor:
    """``input / other`` elementwise (true division), as ``torch.div``; ``rounding_mode='floor'`` rounds the
    quotient down (``//``), ``'trunc'`` towards zero, both in the inputs' dtype and values only (no gradient).

    >>> div(Tensor([1.0, 3.0]), 2)
    Tensor([0.5, 1.5])
    >>> div(Tensor(np.array([-7, 7])), 2, rounding_mode="trunc")
    Tensor([-3,  3], dtype=int64)
    """
    a = _first(input, other)
    if rounding_mode is None:
        return write_out("div", a / other, out)
    if rounding_mode not in ("floor", "trunc"):
        raise ValueError(f"div: rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}")
    b = _lift(other, a)
    if (a.requires_grad or b.requires_grad) and current_switches().grad_enabled:
        raise TypeError(
            f"div(rounding_mode={rounding_mode!r}) of a tensor that requires grad: a rounded quotient has no "
            "gradient here; divide values (t.detach(), or under ag.no_grad()), or leave rounding_mode out"
        )
    if np.result_type(a.data, b.data).kind in "biu" and not np.all(b.data):  # numpy would give 0 and a warning
        raise ZeroDivisionError(f"div: integer division by zero (rounding_mode={rounding_mode!r}), as PyTorch refuses")
    with np.errstate(divide="ignore", invalid="ignore"):  # floats: IEEE's inf and nan, as PyTorch, unwarned
        quotient = np.asarray(np.floor_divide(a.data, b.data))
        if rounding_mode == "trunc" and quotient.dtype.kind == "f":
            quotient = np.trunc(np.true_divide(a.data, b.data), dtype=quotient.dtype)
        elif rounding_mode == "trunc":  # integers: floor's quotient one up where it rounded a negative one down
            quotient = quotient + ((np.remainder(a.data, b.data) != 0) & ((a.data < 0) != (b.data < 0)))
    return write_out("div", Tensor(quotient), out)


# torch's aliases of the four (torch.multiply, subtract, divide, true_divide): the same functions, so an
# error still names the op by its main spelling
multiply, subtract, divide, true_divide = mul, sub, div, div


def _one(input: TensorLike) -> Tensor:
    return input if isinstance(input, Tensor) else Tensor(input)


def neg(input: TensorLike, *, out: Tensor | None = None) -> Tensor:
    """``-input``, as ``torch.neg`` (``torch.negative``; minitorch's ``neg`` operator): derivative -1.

    >>> neg(Tensor([1.0, -2.0]))
    Tensor([-1.,  2.])
    """
    return write_out("neg", -_one(input), out)


def reciprocal(input: TensorLike, *, out: Tensor | None = None) -> Tensor:
    """``1 / input``, as ``torch.reciprocal`` (minitorch's ``inv``): derivative -1 / x².

    >>> reciprocal(Tensor([2.0, -4.0]))
    Tensor([ 0.5 , -0.25])
    """
    return write_out("reciprocal", _one(input).reciprocal(), out)


negative = neg
