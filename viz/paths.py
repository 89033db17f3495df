"""The paths between two tensors of a recorded graph, for ``explain``: which tensors lie on one,
how many paths there are, and the first few listed. Iterative: a graph may be thousands of ops deep.

Tensors are named by their ``ag.walk`` index (parents come before the tensors made from them).
"""

from __future__ import annotations

from typing import TypeAlias

from autograd_core import Tensor

Edge: TypeAlias = tuple[int, int]  # (child walk index, input position)
_Trail: TypeAlias = "tuple[Edge, _Trail] | None"  # a path as linked cells: (last edge, the edges before)


def reaching(tensors: list[Tensor], index: dict[int, int], target: int) -> tuple[list[bool], list[int]]:
    """Which tensors lie on some path down to ``target``, and how many paths each has.

    Walk order puts parents first, so one forward sweep suffices (Python ints: no overflow).

    >>> x = ag.Tensor(2.0, requires_grad=True, label="x")
    >>> tensors = ag.walk(x * x + x)                      # x, mul, add
    >>> index = {id(t): i for i, t in enumerate(tensors)}
    >>> reaching(tensors, index, 0)                       # add reaches x by 3 paths
    ([True, True, True], [1, 2, 3])
    """
    reaches = [False] * len(tensors)
    count = [0] * len(tensors)
    reaches[target], count[target] = True, 1
    for i in range(target + 1, len(tensors)):
        if not tensors[i].requires_grad:  # a detached constant (softmax's max_shift): no gradient flows
            continue
        for p in tensors[i].parents:
            j = index[id(p)]
            if reaches[j]:
                reaches[i] = True
                count[i] += count[j]
    return reaches, count


def list_paths(
    tensors: list[Tensor], index: dict[int, int], reaches: list[bool], target: int, start: int, limit: int
) -> list[list[Edge]]:
    """Up to ``limit`` paths as lists of (child index, position), depth-first, in input order.

    Iterative, with paths kept as linked (edge, previous) cells so a deep path costs O(depth).

    >>> x = ag.Tensor(2.0, requires_grad=True, label="x")
    >>> tensors = ag.walk(x * x + x)                      # x, mul, add
    >>> index = {id(t): i for i, t in enumerate(tensors)}
    >>> list_paths(tensors, index, [True, True, True], target=0, start=2, limit=10)
    [[(2, 0), (1, 0)], [(2, 0), (1, 1)], [(2, 1)]]
    """
    found: list[list[Edge]] = []
    stack: list[tuple[int, _Trail]] = [(start, None)]
    while stack and len(found) < limit:
        node, trail = stack.pop()
        if node == target:
            edges: list[Edge] = []
            while trail is not None:
                edges.append(trail[0])
                trail = trail[1]
            found.append(edges[::-1])
            continue
        parents = tensors[node].parents
        for position in range(len(parents) - 1, -1, -1):
            j = index[id(parents[position])]
            if reaches[j]:
                stack.append((j, ((node, position), trail)))
    return found
