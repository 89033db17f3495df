"""``torch.autograd``'s spellings, so torch code reads unchanged with ``torch = ag``: ``ag.autograd.grad``
(``ag.grad`` in torch's argument order, plus its ``only_inputs``, ``is_grads_batched`` and ``materialize_grads``,
inputs from any iterable such as ``model.parameters()``), the legacy ``Variable``,
``ag.autograd.backward(tensors, grad_tensors)``, ``ag.autograd.Function``, ``gradcheck``, ``gradgradcheck``,
``ag.autograd.forward_ad`` (dual tensors: forward mode), the grad-mode switches (``no_grad``, ``enable_grad``,
``set_grad_enabled``, ``inference_mode``, ``detect_anomaly``, ``set_detect_anomaly``) and
``ag.autograd.functional`` (``jacobian(func, inputs)``, ``hessian``, ``vjp``, ``jvp``, ``hvp``, ``vhp``:
torch.autograd.functional's, which take the point at once where ``ag.jacobian(f)(x)`` returns a function).

>>> x = Tensor([1.0, 2.0], requires_grad=True)
>>> backward([(x * x).sum()])
>>> x.grad
array([2., 4.])
>>> functional.jacobian(lambda t: t * 3, Tensor([1.0, 2.0]))
Tensor([[3., 0.],
        [0., 3.]])
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from typing import Any, cast

import numpy as np

from .. import engine, grad_mode
from ..function import Function, FunctionCtx, once_differentiable
from ..functions import stack
from ..grad_mode import (
    detect_anomaly,
    enable_grad,
    inference_mode,
    is_anomaly_enabled,
    no_grad,
    set_detect_anomaly,
    set_grad_enabled,
)
from ..gradcheck import gradcheck, gradgradcheck
from ..tensor import Tensor
from ..types import TensorLike
from . import forward_ad, functional

__all__ = [
    "Function",
    "FunctionCtx",
    "Variable",
    "backward",
    "detect_anomaly",
    "enable_grad",
    "forward_ad",
    "functional",
    "grad",
    "grad_mode",
    "gradcheck",
    "gradgradcheck",
    "inference_mode",
    "is_anomaly_enabled",
    "no_grad",
    "set_detect_anomaly",
    "set_grad_enabled",
    "once_differentiable",
]


class _VariableMeta(type):
    def __instancecheck__(cls, instance: object) -> bool:  # torch's: every tensor is a Variable
        return isinstance(instance, Tensor)


class Variable(metaclass=_VariableMeta):
    """torch.autograd.Variable, merged into Tensor since torch 0.4 but still in older tutorials' code
    (``Variable(torch.from_numpy(x), requires_grad=True)``): a new leaf Tensor sharing ``data``'s memory, as
    torch's; ``isinstance(t, Variable)`` holds for every Tensor. ``volatile`` is torch's retired flag, ignored.

    >>> x = Variable(Tensor([1.0, 2.0]), requires_grad=True)
    >>> x.requires_grad, x.is_leaf, isinstance(x * 2, Variable)
    (True, True, True)
    """

    def __new__(cls, data: TensorLike, requires_grad: bool = False, volatile: bool = False) -> Tensor:  # type: ignore[misc]
        leaf = data.detach() if isinstance(data, Tensor) else Tensor(data)
        return leaf.requires_grad_(requires_grad)


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
    outputs: Tensor | Iterable[Tensor],
    inputs: Tensor | Iterable[Tensor] | None = None,
    grad_outputs: TensorLike | Sequence[TensorLike | None] | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    only_inputs: bool = True,
    allow_unused: bool | None = None,
    is_grads_batched: bool = False,
    materialize_grads: bool = False,
) -> tuple[Any, ...]:
    """torch.autograd.grad, its arguments in torch's order: ``ag.grad``'s gradients of ``outputs`` with respect
    to ``inputs`` (a Tensor, a list, or any iterable such as ``model.parameters()``); with
    ``materialize_grads=True`` (which allows unused inputs, as torch's) an input the outputs do not depend on
    gets zeros of its shape instead of None. ``only_inputs`` is torch's deprecated flag, accepted and ignored
    (a warning if False). With ``is_grads_batched=True`` the first axis of each ``grad_outputs`` entry is a
    batch of seeds and each gradient gets that axis in front: one vector-Jacobian product per seed, so the
    identity as seeds gives the whole Jacobian.

    >>> x, unused = Tensor(2.0, requires_grad=True), Tensor([1.0, 1.0], requires_grad=True)
    >>> grad(x * x, (x, unused), materialize_grads=True)
    (Tensor(4.), Tensor([0., 0.]))
    >>> v = Tensor([1.0, 2.0], requires_grad=True)
    >>> grad(v * v, v, Tensor(np.eye(2)), is_grads_batched=True)    # the Jacobian diag(2v), row by row
    (Tensor([[2., 0.],
            [0., 4.]]),)
    """
    if not only_inputs:  # torch's words: the flag has done nothing since torch 0.4
        warnings.warn(
            "ag.autograd.grad: only_inputs is deprecated and ignored (the gradients of the inputs are returned, "
            "no .grad is written); to accumulate into other leaves' .grad use ag.autograd.backward",
            FutureWarning,
            stacklevel=2,
        )
    outs, ins = _tensors(outputs), None if inputs is None else _tensors(inputs)
    if is_grads_batched:
        return _batched_grad(outs, ins, grad_outputs, retain_graph, create_graph, allow_unused, materialize_grads)
    grads = engine.grad(outs, ins, grad_outputs, retain_graph, create_graph, bool(allow_unused or materialize_grads))
    if not materialize_grads:
        return grads
    given = (ins,) if isinstance(ins, Tensor) else cast(tuple[Tensor, ...], ins)
    return tuple(t.new_zeros(t.shape) if g is None else g for g, t in zip(grads, given))


def _tensors(tensors: Tensor | Iterable[Tensor]) -> Tensor | tuple[Tensor, ...]:
    """A Tensor as is, any other iterable (a list, ``model.parameters()``'s generator) as a tuple."""
    return tensors if isinstance(tensors, Tensor) else tuple(tensors)


def _batched_grad(
    outs: Tensor | tuple[Tensor, ...],
    ins: Tensor | tuple[Tensor, ...] | None,
    grad_outputs: TensorLike | Sequence[TensorLike | None] | None,
    retain_graph: bool | None,
    create_graph: bool,
    allow_unused: bool | None,
    materialize_grads: bool,
) -> tuple[Any, ...]:
    """is_grads_batched: one ``grad`` per seed along the first axis of every ``grad_outputs`` entry (a loop of
    vector-Jacobian products, torch's result), each input's gradients stacked on a new first axis."""
    one_output = isinstance(outs, Tensor)
    seeds = [grad_outputs] if one_output or isinstance(grad_outputs, Tensor) else grad_outputs
    if grad_outputs is None or not isinstance(seeds, (list, tuple)) or any(s is None for s in seeds):
        raise ValueError(
            "ag.autograd.grad: is_grads_batched=True needs grad_outputs, one batch of seeds per output (the batch "
            "on the first axis), e.g. grad(y, x, torch.eye(y.numel()).reshape(-1, *y.shape), is_grads_batched=True)"
        )
    batches = [s if isinstance(s, Tensor) else np.asarray(s) for s in seeds]  # (a Tensor keeps its graph)
    sizes = {b.shape[0] if b.ndim else 0 for b in batches}
    if len(sizes) != 1 or not next(iter(sizes)):
        raise ValueError(
            "ag.autograd.grad: is_grads_batched=True needs every grad_outputs entry to have the same batch size "
            f"on its first axis, got shapes {[b.shape for b in batches]}"
        )
    size: int = next(iter(sizes))
    per_seed = [
        grad(
            outs,
            ins,
            batches[0][i] if one_output else [b[i] for b in batches],
            retain_graph=True if i < size - 1 else retain_graph,
            create_graph=create_graph,
            allow_unused=allow_unused,
            materialize_grads=materialize_grads,
        )
        for i in range(size)
    ]
    return tuple(None if col[0] is None else stack(col) for col in zip(*per_seed))
