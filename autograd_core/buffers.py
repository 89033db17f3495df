"""Which of ``ag.compile``'s buffers can be one array: liveness in the generated code, then interval colouring.

A plan writes each op's result into a buffer kept between calls. A buffer is live from the statement
that first names it (which writes all of it) to the last statement that names it or a value that may
live in it (a view such as ``x.T``). Buffers of one key (shape and dtype) whose lifetimes do not overlap
get one slot, as a register allocator colours an interval graph; so the replay keeps about the largest
set of arrays live at one statement, not one array per op. A ``y = ufunc(..., out=buf)`` may also take
over the buffer of an operand read for the last time there (``add(t1, b, buf0)`` into ``t1``'s own
``buf0``): numpy gives a ufunc's result as if its output overlapped none of its inputs.
A slot of ``PER_CALL_BYTES`` or more is allocated by each call (as define-by-run does: ~1 us, under 1%
of an op that fills 16k floats); kept between calls, such slots would be a step's activations held
while the optimizer runs. Smaller ones are kept (writing into one saves ~0.4 us of allocation).
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Hashable, Mapping, Sequence
from typing import NamedTuple

import numpy as np

PER_CALL_BYTES = 1 << 16


class Lifetime(NamedTuple):
    """When a buffer is live: statements ``first`` to ``last`` (both included)."""

    key: Hashable  # buffers share a slot only within one key: (shape, dtype)
    first: int
    last: int
    in_place: bool  # its first statement may write it over an operand that statement reads last


def allocate(
    lines: Sequence[str], buffers: Mapping[str, tuple[tuple[int, ...], np.dtype]], namespace: Mapping[str, object]
) -> tuple[list[str], dict[str, np.ndarray]]:
    """The code with each buffer (a name in ``buffers``, mapped to its shape and dtype) renamed to its
    slot, ``buf0``, ``buf1``..., the large slots allocated at its start; and the small slots' arrays.

    >>> spec = ((2,), np.dtype("f8"))
    >>> allocate(["y = exp(a, B1)", "z = negative(y, B2)"], {"B1": spec, "B2": spec}, vars(np))
    (['y = exp(a, buf0)', 'z = negative(y, buf0)'], {'buf0': array([...])})
    """
    slots, kept, code = share(lifetimes(lines, buffers, namespace)), {}, []
    for slot, (shape, dtype) in sorted({slot: buffers[name] for name, slot in slots.items()}.items()):
        if np.prod(shape) * dtype.itemsize < PER_CALL_BYTES:
            kept[f"buf{slot}"] = np.empty(shape, dtype)
        else:
            code.append(f"buf{slot} = empty({shape!r}, {dtype.name if np.dtype(dtype.name) == dtype else dtype.str!r})")
    named = re.compile(r"\b(" + "|".join(map(re.escape, slots)) + r")\b")
    return code + [named.sub(lambda m: f"buf{slots[m[1]]}", line) if slots else line for line in lines], kept


def share(lifetimes: Mapping[str, Lifetime]) -> dict[str, int]:
    """A slot for each buffer: buffers of one key and disjoint lifetimes share one (greedy in order of
    first use, which needs the fewest slots for intervals); an ``in_place`` buffer may also take the
    slot of a buffer whose last use is its first statement (as long as that one began earlier).

    >>> share({"a": Lifetime("f4", 0, 1, False), "b": Lifetime("f4", 1, 2, True), "c": Lifetime("f4", 2, 3, False)})
    {'a': 0, 'b': 0, 'c': 1}
    """
    slots: dict[str, int] = {}
    occupants: list[tuple[Hashable, int, int]] = []  # per slot: (key, first, last) of its latest buffer
    for name, life in sorted(lifetimes.items(), key=lambda item: (item[1].first, item[1].last)):
        free = [
            k
            for k, (key, first, last) in enumerate(occupants)
            if key == life.key and (last < life.first or (life.in_place and last == life.first > first))
        ]
        # the slot freed last: the operand's own buffer when writing in place, else the warmest in cache
        slot = max(free, key=lambda k: occupants[k][2], default=len(occupants))
        if slot == len(occupants):
            occupants.append((life.key, life.first, life.last))
        occupants[slot] = (life.key, life.first, life.last)
        slots[name] = slot
    return slots


def lifetimes(
    lines: Sequence[str], keys: Mapping[str, Hashable], namespace: Mapping[str, object]
) -> dict[str, Lifetime]:
    """The Lifetime of each buffer named in ``lines`` (straight-line code; its statements are the clock);
    ``keys`` maps each buffer's variable to its key, ``namespace`` resolves the functions it calls.

    >>> life = lifetimes(["t1 = negative(a0, b1)", "t2 = add(t1, 1.0, b2)", "t3 = t2.T"], {"b1": 8, "b2": 8}, vars(np))
    >>> life["b1"], life["b2"]
    (Lifetime(key=8, first=0, last=1, in_place=True), Lifetime(key=8, first=1, last=2, in_place=True))
    """
    storage = {name: {name} for name in keys}  # variable -> the buffers its value may live in
    found: dict[str, Lifetime] = {}
    for time, statement in enumerate(ast.parse(textwrap.dedent("\n".join(lines))).body):
        for node in ast.walk(statement):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                target = node.targets[0].id
                storage[target] = storage.get(target, set()) | _result(node.value, storage, namespace)
        for name in {node.id for node in ast.walk(statement) if isinstance(node, ast.Name)}:
            for buffer in storage.get(name, ()):
                if buffer in found:
                    found[buffer] = found[buffer]._replace(last=time)
                else:
                    found[buffer] = Lifetime(keys[buffer], time, time, _in_place(statement, buffer, namespace))
    return found


def _result(node: ast.expr, storage: dict[str, set[str]], namespace: Mapping[str, object]) -> set[str]:
    """The buffers the value of an expression may live in."""
    if isinstance(node, ast.Name):
        return storage.get(node.id, set())
    if isinstance(node, (ast.Attribute, ast.Subscript)):  # x.T, x[...]: a view of x
        return _result(node.value, storage, namespace)
    if isinstance(node, ast.IfExp):
        return _result(node.body, storage, namespace) | _result(node.orelse, storage, namespace)
    outs = _outs(node, namespace) if isinstance(node, ast.Call) else None
    if outs is not None:  # a ufunc returns its out= or a fresh array, never a view of an input
        return set().union(*(_result(out, storage, namespace) for out in outs))
    # anything else (a primitive's own vjp, a method) may return a view of any operand
    return set().union(*(storage.get(n.id, set()) for n in ast.walk(node) if isinstance(n, ast.Name)))


def _outs(call: ast.Call, namespace: Mapping[str, object]) -> list[ast.expr] | None:
    """The out= arguments of a numpy ufunc call (``add(x, y, out)``, ``add.reduce(x, axes, None, out)``),
    or None when the call is not one."""
    func, positional = call.func, None
    if isinstance(func, ast.Name) and isinstance(namespace.get(func.id), np.ufunc):
        positional = call.args[namespace[func.id].nin :]  # type: ignore[attr-defined]
    elif isinstance(func, ast.Attribute) and func.attr == "reduce" and isinstance(func.value, ast.Name):
        positional = call.args[3:4] if isinstance(namespace.get(func.value.id), np.ufunc) else None
    if positional is None or any(isinstance(a, ast.Starred) for a in call.args):
        return None
    return positional + [keyword.value for keyword in call.keywords if keyword.arg == "out"]


def _in_place(statement: ast.stmt, buffer: str, namespace: Mapping[str, object]) -> bool:
    """Is the statement ``y = ufunc(..., out=buffer)`` (perhaps ``.T`` of it, or such calls as the
    branches of an ``if`` expression)? Then every operand is read by that ufunc or before it runs, so
    the buffer may be one the statement reads for the last time."""
    return isinstance(statement, ast.Assign) and _writes_last(statement.value, buffer, namespace)


def _writes_last(node: ast.expr, buffer: str, namespace: Mapping[str, object]) -> bool:
    """Does evaluating node write the buffer only as the out= of its outermost ufunc call(s)?"""
    if isinstance(node, ast.Attribute):
        return _writes_last(node.value, buffer, namespace)
    if isinstance(node, ast.IfExp):
        return not _named(node.test, buffer) and all(
            not _named(branch, buffer) or _writes_last(branch, buffer, namespace) for branch in (node.body, node.orelse)
        )
    outs = _outs(node, namespace) if isinstance(node, ast.Call) else None
    named = _named(node, buffer)
    return outs is not None and len(named) == 1 and any(out is named[0] for out in outs)


def _named(node: ast.AST, name: str) -> list[ast.Name]:
    return [n for n in ast.walk(node) if isinstance(n, ast.Name) and n.id == name]
