"""Walk a recorded graph without touching the engine's private fields (what ``viz`` uses)."""

from __future__ import annotations

from typing import TYPE_CHECKING

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
