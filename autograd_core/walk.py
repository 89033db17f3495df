"""Walk a recorded graph without touching the engine's private fields (what ``viz`` uses)."""


def walk(roots):
    """Every tensor reachable from ``roots`` through ``.parents``, parents before children.

    Iterative (a 10^6-deep graph is fine) and deterministic: the same graph always
    gives the same order, so pictures drawn from it can be diffed.

    >>> [t.op for t in walk(loss)]          # e.g. [None, None, 'matmul', 'sigmoid', 'sum']
    """
    roots = list(roots) if isinstance(roots, (list, tuple)) else [roots]
    order, done = [], set()
    for root in roots:
        stack = [(root, False)]
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
