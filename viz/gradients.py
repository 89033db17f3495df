"""Gradients for pictures: every wire's gradient, and the backward pass one edge at a time.

``backward_all`` runs the real engine, keeping each intermediate gradient. The other
helpers recompute the chain rule edge by edge from the public API — each op's vjp
(``t.prim``) applied to the recorded values — so ``explain`` can split a gradient
into paths and ``animate_backward`` can show it arriving node by node.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.types import ArrayLike

from .layout import as_roots

NOT_RECORDED = (
    "{name} does not require grad, so the ops that made it were not recorded: it was built under "
    "no_grad(), from detached tensors, or from leaves made without requires_grad=True"
)


def refuse_unrecorded(root: Tensor, caller: str) -> None:
    """A root with no graph (the forgotten ``requires_grad=True``) gets backward's diagnosis, not a
    one-node picture or "root was not computed from it"."""
    if root.is_leaf and not root.requires_grad:
        name = repr(root.label) if root.label else f"root (shape {root.shape})"
        raise ValueError(
            f"{caller}: {NOT_RECORDED.format(name=name)}. Create the tensors you want gradients for with "
            "Tensor(..., requires_grad=True) and compute it again"
        )


def refuse_changed(tensors: list[Tensor], caller: str) -> None:
    """Refuse a graph whose values were changed in place after its forward pass (an optimizer step, ``w.data =
    ...``, ``+=``): its gradients would be computed from values other than those it recorded, silently (backward
    refuses such a graph too). Each op's forward is run again on its inputs' current values and compared."""
    for t in tensors:
        if t.prim is None:
            continue
        with np.errstate(all="ignore"):  # the forward pass already said what it had to say
            again = t.prim.forward(*(p.data for p in t.parents), **t.params)
        if not np.allclose(again, t.data, rtol=1e-6, atol=1e-12, equal_nan=True):
            inputs = ", ".join(repr(p.label) if p.label else f"shape {p.shape}" for p in t.parents)
            raise ValueError(
                f"{caller}: the value of {t.op} (inputs {inputs}) no longer follows from its inputs: one was "
                "changed in place after the forward pass (an optimizer step, .data = ..., +=), so the gradients "
                f"shown would not be this graph's. Run the forward pass again and pass its result to {caller}"
            )


def backward_all(root: Tensor, grad: ArrayLike | None = None, retain_graph: bool = False) -> None:
    """``root.backward()`` that also keeps the gradient of every intermediate tensor.

    A plain backward stores gradients only in leaves (as PyTorch does); the cs231n
    picture needs one on every wire, so this calls ``retain_grad()`` on every non-leaf
    that ``ag.walk`` finds, then runs the engine's backward.

    >>> w = ag.Tensor(2.0, requires_grad=True, label="w")
    >>> f = (w * -1.0 + 0.5).sigmoid()
    >>> viz.backward_all(f)
    >>> f.parents[0].grad          # the gradient on the wire into the sigmoid
    array(0.14914645)
    """
    if isinstance(root, (list, tuple)):
        raise TypeError("backward_all: pass one Tensor (sum several outputs into one first, as backward needs)")
    (root,) = as_roots(root, "backward_all")
    for t in ag.walk(root):
        if not t.is_leaf:
            t.retain_grad()
    root.backward(grad, retain_graph=retain_graph)


def edge_vjp(child: Tensor, position: int, g: ArrayLike) -> npt.NDArray[Any]:
    """dL/d(input ``position`` of ``child``)'s share through this one edge, given g = dL/dchild."""
    prim = child.prim
    assert prim is not None, "a child in the graph was made by an op"
    inputs = [p.data for p in child.parents]
    g = np.asarray(g, dtype=child.dtype)
    result = prim.vjp(position, g, child.data, *inputs, **child.params)
    parent = child.parents[position]
    if result is None:  # an ag.Function's backward sent no gradient down this edge: it carries nothing
        return np.zeros(parent.shape, parent.dtype)
    return np.asarray(ag.sum_to(np.asarray(result), parent.shape), dtype=parent.dtype)


def local_derivative(child: Tensor, position: int) -> float | None:
    """d child / d parent as a number when both are one-element tensors, else None (a Jacobian)."""
    parent = child.parents[position]
    if child.size != 1 or parent.size != 1:
        return None
    return float(edge_vjp(child, position, np.ones(child.shape)).reshape(()))


def seed_for(root: Tensor, grad: ArrayLike | None, caller: str) -> npt.NDArray[Any]:
    """The starting gradient dL/droot: ones for a one-element root, else ``grad`` is required."""
    if grad is None:
        if root.size != 1:
            raise ValueError(
                f"{caller}: root has shape {root.shape}; the chain rule starts from a one-element "
                "tensor (a loss). Reduce it first (root.sum()) or pass grad= of its shape"
            )
        return np.ones(root.shape, dtype=root.dtype)
    seed = np.asarray(grad, dtype=root.dtype)
    if seed.shape != root.shape:
        raise ValueError(f"{caller}: grad has shape {seed.shape} but root has shape {root.shape}")
    return seed


FLOW_PATTERNS = {  # cs231n's patterns in backward flow, in words
    "distributes": "every input gets the same gradient",
    "routes": "each element's gradient goes to one input, none to the others",
    "swaps": "each input gets the gradient times the other input's value",
}


def flow_pattern(child: Tensor, grad: ArrayLike, shares: list[npt.NDArray[Any]]) -> str | None:
    """Which of cs231n's patterns the op ``child`` followed passing ``grad`` back as ``shares`` (one per
    input): "distributes" (add), "routes" (max), "swaps" (mul); read from the numbers, not the op's name.
    None when it has fewer than two inputs that take a gradient, no gradient, or none of the three.

    >>> x, y = ag.Tensor(3.0, requires_grad=True), ag.Tensor(-4.0, requires_grad=True)
    >>> g = np.array(2.0)
    >>> [flow_pattern(t, g, [edge_vjp(t, k, g) for k in (0, 1)]) for t in (x + y, x.maximum(y), x * y)]
    ['distributes', 'routes', 'swaps']
    """
    grad = np.asarray(grad)
    if len(shares) < 2 or len(shares) != len(child.parents) or not np.any(grad):
        return None
    if all(np.shape(s) == grad.shape for s in shares):
        if all(np.array_equal(s, grad) for s in shares):
            return "distributes"
        if np.all(np.count_nonzero(shares, axis=0) <= 1) and np.allclose(np.sum(shares, axis=0), grad):
            return "routes"
    if len(shares) == 2:
        a, b = (p.data for p in child.parents)
        swapped = (ag.sum_to(grad * b, np.shape(a)), ag.sum_to(grad * a, np.shape(b)))
        if all(np.allclose(s, w, rtol=1e-12, atol=0) for s, w in zip(shares, swapped)):
            return "swaps"
    return None


@dataclass
class BackwardStep:
    """One op's turn in the backward pass: it receives its full gradient and passes shares on."""

    node: int  # walk index of the op's output tensor
    grad: npt.NDArray[Any]  # dL/d(node), complete at this point
    deliveries: list[tuple[int, int, npt.NDArray[Any]]]  # (input position, parent walk index, gradient share)
    grads: dict[int, npt.NDArray[Any]] = field(repr=False)  # walk index -> gradient so far (after this step)
    partial: set[int] = field(repr=False)  # walk indices whose gradient still awaits more shares


def backward_steps(
    root: Tensor, grad: ArrayLike | None = None, caller: str = "animate_backward"
) -> tuple[list[Tensor], dict[int, npt.NDArray[Any]], list[BackwardStep]]:
    """The backward pass of ``root`` replayed op by op, as ``BackwardStep`` records.

    Ops run in the engine's order, the highest ``op_number`` first (one made later never feeds
    one made earlier, so each op has its complete gradient when its turn comes), and an op's
    hooks change its gradient as in backward (``ag.apply_hooks``: they are called). Returns
    (tensors in walk order, initial gradients, steps); ``caller`` names the function in a bad ``grad``'s error.
    """
    tensors = ag.walk(root)
    index = {id(t): i for i, t in enumerate(tensors)}
    consumers = [0] * len(tensors)
    for t in tensors:
        for p in t.parents:
            if p.requires_grad:
                consumers[index[id(p)]] += 1
    root_index = index[id(root)]
    grads = {root_index: seed_for(root, grad, caller)}
    initial = dict(grads)
    received = [0] * len(tensors)
    partial: set[int] = set()
    steps: list[BackwardStep] = []
    for i in sorted(range(len(tensors)), key=lambda k: -tensors[k].op_number):
        t = tensors[i]
        if t.is_leaf or i not in grads:
            continue
        grads[i] = np.asarray(ag.apply_hooks(t, grads[i]))
        deliveries: list[tuple[int, int, npt.NDArray[Any]]] = []
        for position, parent in enumerate(t.parents):
            if not parent.requires_grad:
                continue
            share = edge_vjp(t, position, grads[i])
            j = index[id(parent)]
            grads[j] = share if j not in grads else grads[j] + share  # out of place: snapshots stay valid
            received[j] += 1
            if received[j] < consumers[j]:
                partial.add(j)
            else:
                partial.discard(j)
            deliveries.append((position, j, share))
        steps.append(BackwardStep(i, grads[i], deliveries, dict(grads), set(partial)))
    return tensors, initial, steps
