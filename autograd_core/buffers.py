"""Which of ``ag.compile``'s buffers can be one array: liveness in the generated code, then interval colouring.

A plan writes each op's result into a buffer. A buffer is live from the statement that first names it
(which writes all of it) to the last statement that names it or a value that may live in it (a view
such as ``x.T``). Buffers of one key (shape and dtype) whose lifetimes do not overlap get one slot, as
a register allocator colours an interval graph: a replay holds about the arrays live at one statement,
not one per op.

A slot of ``PER_CALL_BYTES`` or more is allocated by each call (as define-by-run does: ~1 us, under 1%
of an op that fills 16k floats); kept between calls, such slots would be a step's activations held
while the optimizer runs. Such a buffer may also be written over an operand read for the last time
there (``add(t1, b, buf0)`` into ``t1``'s own ``buf0``): numpy gives a ufunc's result as if its output
overlapped none of its inputs. Smaller slots are kept between calls (writing into one saves ~0.4 us of
allocation) and never written over an operand: that saves little memory and scatters the arrays a
replay touches (a 1,500-op chain on 4 floats replayed 16% slower).
"""

from __future__ import annotations

import ast
import heapq
import keyword
import re
import textwrap
from collections.abc import Hashable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

PER_CALL_BYTES = 1 << 16
_IDENTIFIER = re.compile(r"\b[A-Za-z_]\w*")
_VARIABLE = re.compile(r"(?<![.\w])([A-Za-z_]\w*)(\s*=(?!=))?")  # not an attribute; then "=" if any


class Lifetime(NamedTuple):
    """When a buffer is live: statements ``first`` to ``last`` (both included)."""

    key: Hashable  # buffers share a slot only within one key: (shape, dtype[, "F"])
    first: int
    last: int
    in_place: bool  # its first statement may write it over an operand that statement reads last


def allocate(
    lines: Sequence[str], buffers: Mapping[str, tuple[Any, ...]], namespace: Mapping[str, object]
) -> tuple[list[str], dict[str, np.ndarray]]:
    """The code with each buffer (a name in ``buffers``, mapped to its shape, dtype and maybe "F") renamed to its
    slot, ``buf0``, ``buf1``..., the large slots allocated at its start; and the small slots' arrays.

    >>> spec = ((2,), np.dtype("f8"))
    >>> allocate(["y = exp(a, B1)", "z = negative(y)", "w = exp(z, B2)"], {"B1": spec, "B2": spec}, vars(np))
    (['y = exp(a, buf0)', 'z = negative(y)', 'w = exp(z, buf0)'], {'buf0': array([...])})
    """
    large = {name for name, (shape, dtype, *_) in buffers.items() if np.prod(shape) * dtype.itemsize >= PER_CALL_BYTES}
    lives = lifetimes(lines, buffers, namespace)
    slots = share({k: life._replace(in_place=life.in_place and k in large) for k, life in lives.items()})
    kept, code = {}, []
    for slot, name in sorted({slot: name for name, slot in slots.items()}.items()):
        shape, dtype, *order = buffers[name]  # (a third item "F": column-major)
        if name in large:
            layout = ", order='F'" if order else ""
            code.append(
                f"buf{slot} = empty({shape!r}, {dtype.name if np.dtype(dtype.name) == dtype else dtype.str!r}{layout})"
            )
        else:
            kept[f"buf{slot}"] = np.empty(shape, dtype, order="F" if order else "C")
    renamed = {name: f"buf{slot}" for name, slot in slots.items()}
    return code + [_IDENTIFIER.sub(lambda m: renamed.get(m[0], m[0]), line) for line in lines], kept


def share(lifetimes: Mapping[str, Lifetime]) -> dict[str, int]:
    """A slot for each buffer: buffers of one key and disjoint lifetimes share one (greedy in order of
    first use, which needs the fewest slots for intervals); an ``in_place`` buffer may also take the
    slot of a buffer whose last use is its first statement (as long as that one began earlier).

    >>> share({"a": Lifetime("f4", 0, 1, False), "b": Lifetime("f4", 1, 2, True), "c": Lifetime("f4", 2, 3, False)})
    {'a': 0, 'b': 0, 'c': 1}
    """
    slots: dict[str, int] = {}
    latest: list[tuple[Lifetime, int]] = []  # per slot: its latest buffer, and that buffer's number
    busy: dict[Hashable, list[tuple[int, int, int]]] = {}  # per key: a heap of (last, slot, number)
    free: dict[Hashable, list[int]] = {}  # per key: slots free, the one freed last on top (warmest in cache)
    ending: dict[tuple[Hashable, int], list[int]] = {}  # (key, statement) -> slots whose buffer ends there
    for number, (name, life) in enumerate(sorted(lifetimes.items(), key=lambda item: item[1][1:3])):
        heap, stack = busy.setdefault(life.key, []), free.setdefault(life.key, [])
        while heap and heap[0][0] < life.first:
            _, slot, occupant = heapq.heappop(heap)
            if latest[slot][1] == occupant:  # else the slot was taken over in place since
                stack.append(slot)
        over = [k for k in ending.get((life.key, life.first), ()) if latest[k][0][2] == life.first > latest[k][0][1]]
        if life.in_place and over:  # write over the operand's own buffer
            slot = over[0]
        elif stack:
            slot = stack.pop()
        else:
            slot = len(latest)
            latest.append((life, number))
        latest[slot] = life, number
        heapq.heappush(heap, (life.last, slot, number))
        ending.setdefault((life.key, life.last), []).append(slot)
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
    sources: dict[str, set[str]] = {}  # variable -> the names its value may be (a view of)
    first: dict[str, int] = {}  # buffer -> the statement that first names it (and writes it)
    in_place: dict[str, bool] = {}
    last: dict[str, int] = {}  # name -> the last statement that names it
    order: list[str] = []  # the variables in order of assignment
    shapes: dict[str, _Shape] = {}
    for time, statement in enumerate(_statements(lines)):
        names, (assigned, over) = _shape(statement, namespace, shapes)
        for written, read in assigned:
            sources[names[written]] = sources.get(names[written], set()).union(names[k] for k in read)
            order.append(names[written])
        for k, name in enumerate(names):
            last[name] = time
            if name in keys and name not in first:
                first[name], in_place[name] = time, k in over
    changed = True
    while changed:  # a value read later keeps what it may be a view of alive: once, unless names are reassigned
        changed = False
        for target in reversed(order):
            for source in sources[target]:
                if last[source] < last[target]:
                    last[source], changed = last[target], True
    return {name: Lifetime(keys[name], time, last[name], in_place[name]) for name, time in first.items()}


def _statements(lines: Sequence[str]) -> list[str]:
    """The code's statements, each as one string (an ``else:`` or an indented line continues one)."""
    statements: list[str] = []
    for row in textwrap.dedent("\n".join(lines)).split("\n"):
        if statements and (row[:1].isspace() or re.match(r"(else|elif)\b", row)):
            statements[-1] += "\n" + row
        elif row.strip():
            statements.append(row)
    return statements


class _Shape(NamedTuple):
    """What a statement does with its variables (by number, ``_v0``, ``_v1``... in its shape)."""

    assigned: tuple[tuple[int, tuple[int, ...]], ...]  # (variable, the variables its value may be a view of)
    over: frozenset[int]  # buffers it may write over an operand read last there (see _in_place)


def _shape(statement: str, namespace: Mapping[str, object], shapes: dict[str, _Shape]) -> tuple[list[str], _Shape]:
    """The statement's variables (its identifiers but attributes, keywords and numpy ufuncs: a superset)
    and its _Shape, analysed once per shape (``t5 = add(t4, l3, buf_2)`` is ``_v0 = add(_v1, _v2, _v3)``):
    generated code repeats a few shapes many times."""
    names: list[str] = []

    def variable(match: re.Match) -> str:
        name, before = match[1], statement[: match.start()]
        if match[2] and before.count("(") > before.count(")"):  # f(x, out=y): a keyword argument
            return match[0]
        if keyword.iskeyword(name) or isinstance(namespace.get(name), np.ufunc):
            return match[0]
        if name not in names:
            names.append(name)
        return f"_v{names.index(name)}{match[2] or ''}"

    code = _VARIABLE.sub(variable, statement)
    if code not in shapes:
        parsed = ast.parse(code).body
        number = {f"_v{k}": k for k in range(len(names))}
        assigned = tuple(
            (number[target], tuple(number[name] for name in _sources(value, namespace) if name in number))
            for one in parsed
            for target, value in _assignments(one)
        )
        over = {k for k in range(len(names)) if len(parsed) == 1 and _in_place(parsed[0], f"_v{k}", namespace)}
        shapes[code] = _Shape(assigned, frozenset(over))
    return names, shapes[code]


def _assignments(statement: ast.stmt) -> Iterator[tuple[str, ast.expr]]:
    """(variable, value) of each assignment to a variable in a statement (inside an ``if`` too)."""
    if isinstance(statement, ast.If):
        for inner in statement.body + statement.orelse:
            yield from _assignments(inner)
    elif isinstance(statement, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and statement.value is not None:
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        for target in targets:  # a, b = f(x): each may be (a view of) anything f(x) reads
            for node in ast.walk(target):
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                    yield node.id, statement.value
    elif any(isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) for node in ast.walk(statement)):
        raise ValueError(f"buffers: cannot follow the assignments in {ast.unparse(statement)!r}")


def _sources(node: ast.expr, namespace: Mapping[str, object]) -> set[str]:
    """The names whose arrays the value of an expression may be, or be a view of."""
    if isinstance(node, ast.Name):
        return {node.id}
    if isinstance(node, (ast.Attribute, ast.Subscript)):  # x.T, x[...]: a view of x
        return _sources(node.value, namespace)
    if isinstance(node, ast.IfExp):
        return _sources(node.body, namespace) | _sources(node.orelse, namespace)
    outs = _outs(node, namespace) if isinstance(node, ast.Call) else None
    if outs is not None:  # a ufunc returns its out= or a fresh array, never a view of an input
        return set().union(*(_sources(out, namespace) for out in outs))
    # anything else (a primitive's own vjp, a method) may return a view of any operand
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


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
