"""When a recorded graph can still be run backward, and the checks that refuse it before anything is touched.

A node remembers in ``_epoch`` the count of in-place changes (``MutationClock``) when it was made, or ``SPENT``
once a backward without retain_graph went through it; a tensor remembers in ``_version`` the count of its
last change, and ``written`` the count of the last write into each array's memory (tensors may share one:
``x.detach()``). So "spent, or something changed since it was made?" is one comparison, ``node._epoch < now``;
only then are its saved tensors' versions and memory read. ``op_numbers`` numbers the operations as they are made
(``_seq``): the order backward runs them in (engine.py). ``on_paths``: the operations a backward given inputs runs.
"""

from __future__ import annotations

import itertools
import operator
import weakref
from collections.abc import Collection, Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .tensor import Tensor
    from .tensor_base import TensorBase

#: Numbers the operations as they are recorded (``Tensor._seq``; a leaf's is 0). A node made later never feeds one
#: made earlier, so backward, running the waiting operation numbered highest first, runs each after its consumers.
op_numbers = itertools.count(1)


def on_paths(roots: Sequence[Tensor], targets: Collection[Tensor]) -> dict[Tensor, tuple[Any, ...]] | None:
    """The ``targets`` and every operation on a path from ``roots`` down to one of them (what ``backward(inputs=)``
    and ``grad(roots, targets)`` run, as PyTorch's), each with its inputs as that backward sees them: an input off
    every such path is a ``Constant`` (its array, no gradient wanted), so no vjp computes a gradient for it. None
    when every leaf the roots reach that requires grad is a target: then every operation is on such a path.

    >>> w, v = Tensor(2.0, requires_grad=True), Tensor(3.0, requires_grad=True)
    >>> a, b = w * 2, v.exp()
    >>> loss = a * b
    >>> path = on_paths([loss], [w])
    >>> len(path), a in path, b in path, path[loss][1] is b, on_paths([loss], [w, v])
    (3, True, False, False, None)
    """
    # The operations the roots reach (a stack: no recursion), then each after its inputs, in the order they were
    # made (``op_numbers``): an operation is on a path once one of its inputs is. O(edges), and a sort (in C).
    stack = [t for t in roots if t._prim is not None and t.requires_grad]
    reached = set(stack)
    other_leaf = any(t._prim is None and t.requires_grad and t not in targets for t in roots)
    while stack:
        for parent in stack.pop()._parents:
            if parent._prim is None:
                other_leaf = other_leaf or (parent.requires_grad and parent not in targets)
            elif parent.requires_grad and parent not in reached:
                reached.add(parent)
                stack.append(parent)
    if not other_leaf:  # (each operation that requires grad has a leaf that does below it)
        return None
    path: dict[Tensor, tuple[Any, ...]] = {t: t._parents for t in targets}
    for node in sorted(reached, key=_BY_NUMBER):
        parents = node._parents
        on = off = False
        for parent in parents:
            if parent in path:
                on = True
            elif parent.requires_grad:
                off = True
        if off and (on or node in path):
            path[node] = tuple([p if p in path or not p.requires_grad else Constant(p._data) for p in parents])
        elif on:
            path[node] = parents
    return path


class Constant:
    """An input a pruned backward passes by: what the engine reads of an input that needs no gradient (lighter
    than a ``detach()``ed Tensor: one per input cut off)."""

    __slots__ = ("_data",)
    requires_grad = False

    def __init__(self, data: Any) -> None:
        self._data = data


_BY_NUMBER = operator.attrgetter("_seq")

#: The operations someone watches (a hook, ``retain_grad()``) by id, held weakly: while none is alive, backward does
#: not ask each node whether it is watched (~25 ns a node of a chain). (Not a WeakSet: that compares tensors with ==.)
watched: weakref.WeakValueDictionary[int, TensorBase] = weakref.WeakValueDictionary()


def watch(t: TensorBase) -> None:
    """Make backward stop at ``t`` to hand its gradient to a hook or its ``.grad`` (``_visit_watched``)."""
    t._watched = True
    if t._prim is not None:  # (a leaf's gradient is delivered at the end in any case)
        watched[id(t)] = t


#: A node's ``_epoch`` once a backward without retain_graph has spent its graph: below every count of the clock.
SPENT = -1


class MutationClock:
    """Counts in-place changes. A tensor remembers the tick of its last change and a
    node the tick it was made at, so 'changed after being saved' is one comparison."""

    now = 0

    @classmethod
    def tick(cls) -> int:
        """Count one in-place change; returns the new count."""
        cls.now += 1
        return cls.now


class StructureClock:
    """Counts changes to what a function reads besides tensor values (``structure_changed``). ``ag.compile``
    checks its plans by a trace after one."""

    now = 0


def structure_changed() -> None:
    """Tell ``ag.compile`` that something compiled functions read besides tensor values changed: a model's
    layers, train/eval mode, attributes or hooks (``nn``'s modules say so themselves). Each compiled function
    then checks its plan with one fresh trace at its next call, and keeps it if the graph is the same.

    >>> structure_changed()
    """
    StructureClock.now += 1


#: Memory written in place: the clock's count at the last write, by id of the array owning it (``.base``, else
#: the array). Tensors that share memory (a ``detach()``ed copy, a slice made without recording) so share its
#: changes, as PyTorch's shared version counter. An id names one object only while it lives, but every array a
#: node saved has lived at its id since before the node was made, so no later write under that id is another's
#: (``unwritten`` clears the id of an array that takes a saved tensor's place without a version: .data's 0-d).
written: dict[int, int] = {}
_MAX_WRITTEN = 4096  # then the older half goes (one pass per two thousand writes; an optimizer's stay recent)


def count_writes(tensors: Iterable[TensorBase]) -> None:
    """These tensors' values were written in place (``t += 1``, ``t.data -= ...``, an optimizer's step): the clock
    ticks once, each one's version and its memory's take the count, so a node that saved any tensor sharing that
    memory refuses to backward. (One call for a step's parameters: ~0.3 us a parameter less than one each.)"""
    now = MutationClock.now = MutationClock.now + 1
    for t in tensors:
        t._version = now
        data = t._data
        base = data.base
        written[id(data if base is None else base)] = now
    if len(written) > _MAX_WRITTEN:
        middle = sorted(written.values())[_MAX_WRITTEN // 2]
        for key in [key for key, count in written.items() if count < middle]:
            del written[key]


def unwritten(array: Any) -> Any:
    """``array``, new and now a tensor's values: no write counted under its id is its own."""
    written.pop(id(array), None)
    return array


def spent(t: TensorBase) -> bool:
    """Has a backward without retain_graph freed ``t``'s graph (so that backward through it again refuses)?"""
    return t._epoch == SPENT


def detached_since(t: TensorBase, tick: int) -> bool:
    """Was ``t`` taken out of its graph in place (``detach_()``) after MutationClock's ``tick``?"""
    return t._detached_at > tick


def _written_since(array: Any, epoch: int) -> bool:
    """Was ``array``'s memory written in place after the clock's count ``epoch``?"""
    base = array.base
    return written.get(id(array if base is None else base), epoch) > epoch


def check_usable(node: Tensor) -> None:
    """Raise, saying what to do, if ``node`` was spent or a tensor it saved was changed (or detached) in place since."""
    if node._epoch == SPENT:
        raise RuntimeError(
            f"backward through '{node.op}' a second time: its graph was freed by the first backward. "
            "Pass retain_graph=True to the first backward() if you need to go through it again, "
            "or recompute the forward pass."
        )
    if MutationClock.now > node._epoch:  # something changed somewhere since the node was made
        for t in (node,) + node._parents:
            if t._detached_at > node._epoch:
                raise RuntimeError(
                    f"{node.op}: its input of shape {t.shape} was detached in place (detach_()) after the op used "
                    "it, so no gradient can reach what that input was computed from. Call detach_() after "
                    "backward(), or use detach() (a new tensor) and leave the original in the graph"
                )
            if t._version > node._epoch:
                how = "through .data or an in-place operator"
            elif _written_since(t._data, node._epoch):
                how = "through another tensor sharing its memory: x.detach(), a slice made without recording"
            else:
                continue
            name = f"'{t.label}'" if t.label else f"of shape {t.shape}"
            raise RuntimeError(
                f"{node.op}: a tensor {name} that it saved for backward was modified in place after "
                f"the op ran ({how}), so its gradient would be wrong. "
                "Run backward before changing values (optimizers do: backward, then step), or "
                "change a copy."
            )


def check_rest(
    roots: Sequence[Tensor],
    node: Tensor,
    waiting: list[tuple[int, Tensor]],
    now: int,
    retain: bool,
    path: dict[Tensor, tuple[Any, ...]] | None = None,
) -> None:
    """Refuse, before any gradient is delivered or hook called, a graph that was spent or whose saved
    tensors were changed in place: walk what is left to run (``node`` and the operations waiting, all
    made before the ones run so far; only those on ``path`` when a pruned backward runs only them).
    On refusal, the nodes this backward ran are unspent first."""
    stack = [node] + [t for _, t in waiting]
    seen = set(stack)
    try:
        while stack:
            t = stack.pop()
            if t._epoch < now:
                check_usable(t)
            for parent in t._parents if path is None else [p for p in t._parents if p in path]:
                if parent._prim is not None and parent.requires_grad and parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
    except RuntimeError:
        # Unspent: the nodes run so far, the operations made after `node`. Each was made at `now` (an older one
        # would have been checked when it came up), and each is reached from a root through others of them.
        if not retain:
            stack = [t for t in roots if t._seq > node._seq]
            while stack:
                t = stack.pop()
                t._epoch = now
                stack += [p for p in t._parents if p._seq > node._seq and p.requires_grad and p._epoch == SPENT]
        raise
