"""``torch.autograd.forward_ad``'s spellings: forward-mode derivatives through "dual tensors" (a primal and its
tangent), ``with dual_level(): y = f(make_dual(x, v)); unpack_dual(y).tangent`` is J v, the Jacobian of f at x
times v, in one pass of f for any number of outputs.

How, here: the engine is reverse mode, so a dual tensor is a recorded tensor whose tangent the level remembers,
f runs as usual (recording), and ``unpack_dual`` gets J v by the double-vjp trick (``ag.jvp``'s): u -> J^T u is
linear in u, so differentiating <J^T u, v> with respect to u gives J v. The result is torch's; the cost is a
backward pass per unpacked output rather than torch's extra forward arithmetic.

>>> x = Tensor([1.0, 2.0])
>>> with dual_level():
...     y = make_dual(x, Tensor([1.0, 0.0])) ** 2
...     unpack_dual(y).tangent            # d(x^2) along e_1: 2 x_1 e_1
Tensor([2., 0.])
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NamedTuple

from .. import engine
from ..tensor import Tensor
from ..types import TensorLike

__all__ = ["UnpackedDualTensor", "dual_level", "enter_dual_level", "exit_dual_level", "make_dual", "unpack_dual"]

# The open level's dual tensors and their tangents, in creation order (torch allows one level at a time)
_levels: list[list[tuple[Tensor, Tensor]]] = []


class UnpackedDualTensor(NamedTuple):
    """What ``unpack_dual`` returns: the primal and its tangent (None for a tensor that is not dual)."""

    primal: Tensor
    tangent: Tensor | None


def enter_dual_level() -> int:
    """Open a dual level (what ``with dual_level():`` does); returns its index, 0 (torch supports one)."""
    if _levels:
        raise RuntimeError(
            "forward_ad.enter_dual_level: a dual level is already open and nested levels are not supported (nor by "
            "torch); make every dual tensor inside the one `with dual_level():` block"
        )
    _levels.append([])
    return 0


def exit_dual_level(*, level: int | None = None) -> None:
    """Close the open dual level: its dual tensors forget their tangents."""
    if not _levels:
        raise RuntimeError("forward_ad.exit_dual_level: no dual level is open")
    _levels.pop()


@contextmanager
def dual_level() -> Iterator[int]:
    """The block in which dual tensors exist, as ``torch.autograd.forward_ad.dual_level``."""
    level = enter_dual_level()
    try:
        yield level
    finally:
        exit_dual_level(level=level)


def make_dual(tensor: TensorLike, tangent: TensorLike, *, level: int | None = None) -> Tensor:
    """A dual tensor: ``tensor``'s values carrying ``tangent`` (of the same shape), the direction along which
    every result computed from it gets its derivative.

    >>> with dual_level():
    ...     unpack_dual(make_dual(Tensor(3.0), Tensor(1.0)).sin()).tangent.item() == float(np.cos(3.0))
    True
    """
    if not _levels:
        raise RuntimeError(
            "forward_ad.make_dual: no dual level is open; make dual tensors inside `with forward_ad.dual_level():`"
        )
    primal = tensor if isinstance(tensor, Tensor) else Tensor(tensor)
    direction = tangent if isinstance(tangent, Tensor) else Tensor(tangent)
    if direction.shape != primal.shape:
        raise ValueError(
            f"forward_ad.make_dual: the tangent's shape {direction.shape} must be the primal's {primal.shape}; give "
            "one direction entry per entry of the tensor"
        )
    # a recorded copy of the primal: what the tangents are taken with respect to (the primal's own graph kept)
    dual = primal * 1 if primal.requires_grad else Tensor(primal.data, requires_grad=True)
    _levels[-1].append((dual, direction))
    return dual


def unpack_dual(tensor: Tensor, *, level: int | None = None) -> UnpackedDualTensor:
    """``(primal, tangent)`` of a tensor computed in the open level: the tangent J v collects every dual
    tensor's direction through the chain rule, None when the tensor does not depend on any dual tensor."""
    duals = _levels[-1] if _levels else []
    for dual, direction in duals:
        if tensor is dual:
            return UnpackedDualTensor(_primal(tensor, duals), direction)
    if not isinstance(tensor, Tensor) or not tensor.requires_grad or not duals:
        return UnpackedDualTensor(tensor, None)
    cotangent = Tensor(tensor.data * 0, requires_grad=True)  # u: any value (J^T u is linear in u)
    inputs = [dual for dual, _ in duals]
    pulled = engine.grad(tensor, inputs, cotangent, retain_graph=True, create_graph=True, allow_unused=True)
    paired = [(g * d).sum() for g, (_, d) in zip(pulled, duals) if g is not None]
    if not paired:
        return UnpackedDualTensor(_primal(tensor, duals), None)
    keep_graph = any(d.requires_grad for _, d in duals) or any(dual.op is not None for dual, _ in duals)
    total = sum(paired[1:], paired[0])
    (tangent,) = engine.grad(total, cotangent, retain_graph=True, create_graph=keep_graph, allow_unused=True)
    return UnpackedDualTensor(
        _primal(tensor, duals), tangent if tangent is not None else tensor.new_zeros(tensor.shape)
    )


def _primal(tensor: Tensor, duals: list[tuple[Tensor, Tensor]]) -> Tensor:
    """The values without the tangent: detached unless a dual tensor's primal is itself part of a graph."""
    return tensor if any(dual.op is not None for dual, _ in duals) else tensor.detach()
