"""``torch.autograd``'s spellings, so torch code reads unchanged with ``torch = ag``: ``ag.autograd.grad``
(``ag.grad``, plus torch's ``materialize_grads``), ``ag.autograd.backward(tensors, grad_tensors)``,
``ag.autograd.Function``, ``gradcheck``, ``gradgradcheck`` and ``ag.autograd.functional`` (``jacobian(func,
inputs)``, ``hessian``, ``vjp``, ``jvp``, ``hvp``, ``vhp``: torch.autograd.functional's, which take the point at
once where ``ag.jacobian(f)(x)`` returns a function).

>>> x = Tensor([1.0, 2.0], requires_grad=True)
>>> backward([(x * x).sum()])
>>> x.grad
array([2., 4.])
>>> functional.jacobian(lambda t: t * 3, Tensor([1.0, 2.0]))
Tensor([[3., 0.],
        [0., 3.]])
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

from .. import engine
from ..function import Function, FunctionCtx, once_differentiable
from ..gradcheck import gradcheck, gradgradcheck
from ..tensor import Tensor
from ..types import TensorLike
from . import functional

__all__ = [
    "Function",
    "FunctionCtx",
    "backward",
    "functional",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "once_differentiable",
]


def backward(
    tensors: Tensor | Sequence[Tensor],
    grad_tensors: TensorLike | Sequence[TensorLike | None] | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Tensor | Iterable[Tensor] | None = None,
) -> None:
    """torch.autograd.backward: ``t.backward(g)`` for several roots at once, their gradients summed into the
    leaves' ``.grad`` (or only ``inputs``'). ``grad_tensors`` has one entry per root (None for a scalar root).

    >>> a = Tensor(3.0, requires_grad=True)
    >>> backward([a * 2, a * a], [None, Tensor(10.0)])
    >>> a.grad
    array(62.)
    """
    roots = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    if grad_tensors is None:
        seeds: list[TensorLike | None] = [None] * len(roots)
    elif isinstance(grad_tensors, (list, tuple)):
        seeds = list(grad_tensors)
    else:
        seeds = [cast(TensorLike, grad_tensors)]  # one seed for the one root
    if len(seeds) != len(roots):
        raise ValueError(
            f"ag.autograd.backward: {len(roots)} tensors but {len(seeds)} grad_tensors; give one per tensor "
            "(None for a tensor of one element)"
        )
    engine.backward(roots, seeds, bool(retain_graph), create_graph, inputs)


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor] | None = None,
    grad_outputs: TensorLike | Sequence[TensorLike | None] | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool | None = None,
    *,
    materialize_grads: bool = False,
) -> tuple[Any, ...]:
    """torch.autograd.grad: ``ag.grad``'s gradients of ``outputs`` with respect to ``inputs``; with
    ``materialize_grads=True`` (which allows unused inputs, as torch's) an input the outputs do not depend on
    gets zeros of its shape instead of None.

    >>> x, unused = Tensor(2.0, requires_grad=True), Tensor([1.0, 1.0], requires_grad=True)
    >>> grad(x * x, (x, unused), materialize_grads=True)
    (Tensor(4.), Tensor([0., 0.]))
    """
    grads = engine.grad(
        outputs, inputs, grad_outputs, retain_graph, create_graph, bool(allow_unused or materialize_grads)
    )
    if not materialize_grads:
        return grads
    given = (inputs,) if isinstance(inputs, Tensor) else tuple(cast(Sequence[Tensor], inputs))
    return tuple(t.new_zeros(t.shape) if g is None else g for g, t in zip(grads, given))
