"""Walk a recorded graph without touching the engine's private fields (what ``viz`` uses)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from .tensor_base import TensorBase

if TYPE_CHECKING:
    from .tensor import Tensor


def walk(roots: Tensor | list[Tensor] | tuple[Tensor, ...]) -> list[Tensor]:
    """Every tensor reachable from ``roots`` through ``.parents``, parents before children.

    Iterative (a 10^6-deep graph is fine) and deterministic: the same graph always
    gives the same order, so pictures drawn from it can be diffed.

    >>> w = Tensor([[1.0], [2.0]], requires_grad=True)
    >>> loss = (Tensor([[3.0, 4.0]]) @ w).sigmoid().sum()
    >>> [t.op for t in walk(loss)]
    [None, None, 'matmul', 'sigmoid', 'sum']
    """
    starts = list(roots) if isinstance(roots, (list, tuple)) else [roots]
    order: list[Tensor] = []
    done: set[int] = set()
    for root in starts:
        stack: list[tuple[Tensor, bool]] = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            if id(node) in done:
                continue
            if expanded:
                done.add(id(node))
                order.append(node)
                continue
            stack.append((node, True))
            stack.extend((p, False) for p in reversed(node.parents) if id(p) not in done)
    return order


def on_paths(roots: Tensor | Sequence[Tensor], targets: Iterable[Tensor]) -> set[Tensor]:
    """The tensors on a path from ``roots`` down to ``targets`` (targets reached included): what
    ``backward(inputs=targets)`` and ``grad(roots, targets)`` run, as PyTorch; an op off every such path runs
    no vjp and fires no hook. Only tensors that require grad count. O(edges), iterative.

    >>> w, v = Tensor(2.0, requires_grad=True), Tensor(3.0, requires_grad=True)
    >>> a, b = w * 2, v.exp()
    >>> loss = a * b
    >>> path = on_paths(loss, [w])
    >>> len(path), a in path, b in path
    (3, True, False)
    """
    wanted = set(targets)
    reaches: dict[Tensor, bool] = {}  # done: does a target lie at or below it?
    for root in [roots] if isinstance(roots, TensorBase) else roots:
        if root in reaches or not root.requires_grad:
            continue
        # Depth first, each tensor left once all its parents are done (a stack of (tensor, its parents to visit):
        # no recursion, and each edge is looked at twice: O(edges)).
        stack: list[tuple[Tensor, Iterator[Tensor]]] = [(root, iter(root.parents))]
        while stack:
            node, rest = stack[-1]
            for parent in rest:
                if parent.requires_grad and parent not in reaches:
                    stack.append((parent, iter(parent.parents)))
                    break
            else:
                stack.pop()
                reaches[node] = node in wanted or any(reaches.get(p, False) for p in node.parents)
    return {t for t, reached in reaches.items() if reached}
