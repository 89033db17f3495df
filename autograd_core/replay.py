"""The plan behind ``ag.compile``: an agreed Tape turned into generated straight-line numpy code.

``Plan`` generates ``run(args)``: guards, forward, backward (numpy calls on local variables, no
Tensor made per op, no graph walked) and the gradients' delivery into ``.grad`` (the engine's rule).
Each op is written by its own primitive's lowering (``forward_code`` / ``vjp_code``: numpy calls
into buffers, shared by ops whose results are never live at once: buffers.py); an op without one
calls the primitive's ``forward`` / ``vjp``.
``Plan.source`` shows the code.
"""

import builtins
import collections
import functools
import inspect
import linecache
import re
import string
import weakref

import numpy as np

from .buffers import lifetimes, share
from .engine import accumulate_grad
from .primitives import sum_to, sum_to_axes
from .tape import ARG, Unsupported, arg_array
from .tensor import Tensor

MISS = object()  # what run() returns when a guard fails: nothing was computed
# A buffer this large is allocated by each call (as define-by-run does) rather than kept between calls:
# allocating costs ~1 us, under 1% of an op that fills 16k floats; kept, such buffers are a step's
# activations held while the optimizer runs. Smaller ones are kept (writing into one saves ~0.4 us).
PER_CALL_BYTES = 1 << 16

# What lowered code may call: numpy's names (add, matmul, maximum.reduce, inf...), and the engine's rule.
_NAMESPACE = {name: value for name, value in vars(np).items() if not name.startswith("_")}
_NAMESPACE["accumulate_grad"] = accumulate_grad
_EDGES = np.array([-np.inf, -2.5, -1.0, -0.0, 0.0, 0.5, 1.0, 3.0, np.inf, np.nan])


def _fields(template):
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def faithful(prim, i=None):
    """Does prim's lowered forward (i None) or vjp for input i give exactly what the primitive gives?"""
    return _faithful(prim, i, prim.forward, prim.vjp, prim.forward_code, prim.vjp_code)  # re-checked on a change


@functools.cache
def _faithful(prim, i, *code):
    """faithful(): exactly what prim.forward / prim.vjp give, NaN, +-0 and +-inf included (and without
    zeros, where a kink's fast path applies)? Checked once per version of the code, for lowerings without
    params, so a primitive whose code changed and whose lowering did not is replayed through its own code.
    Lowerings with params (reductions, views) spell the primitive's own numpy call; the adoption check
    compares every plan anyway."""
    arity, code = len(inspect.signature(prim.forward).parameters), prim.forward_code
    if code is None or not _fields(code) <= {"into", "dest", *(f"x{k}" for k in range(arity))}:
        return code is not None
    for edges in (_EDGES, _EDGES[_EDGES != 0]):
        xs, g = [np.roll(edges, 3 * k) for k in range(arity)], np.roll(edges, 5)
        with np.errstate(all="ignore"):
            out = prim.forward(*xs)
            template = code if i is None else prim.lowered_vjp(i, out, *xs)
            if template is None:
                return True  # nothing lowered for these inputs: nothing to check
            text = template.format(
                g="g",
                out="out",
                into="",
                dest="None",
                y="y",
                vjp="vjp(g, out, *xs)",
                **{f"x{k}": f"xs[{k}]" for k in range(arity)},
            )
            names = dict(_NAMESPACE, g=g, out=out, xs=xs, vjp=functools.partial(prim.vjp, i))
            exec(builtins.compile(text if "{y}" in template else "y = " + text, "<lowering>", "exec"), names)  # noqa: S102
            got, expected = names["y"], out if i is None else prim.vjp(i, g, out, *xs)
        if not (np.array_equal(got, expected, equal_nan=True) and (np.signbit(got) == np.signbit(expected)).all()):
            return False
    return True


# A gradient during code generation: its variable, whether the array is ours alone (fresh: it may
# become a leaf's .grad without a copy), whether it is a baked constant (static), and its value in the
# traced call (the engine's own result: it plans sum_to, casts and folding).
_Grad = collections.namedtuple("_Grad", "name fresh static value")


faithful.cache_clear = _faithful.cache_clear  # type: ignore[attr-defined]  # tests reset the check


class Plan:
    """Generated code replaying one tape: ``run(args)`` -> the loss array, the leaves' gradients
    delivered, or MISS; ``trial(args)`` -> (loss array, leaf gradients), nothing delivered, or MISS.
    ``externals[j]``: constant j is a tensor whose values are read each call."""

    def __init__(self, tape, args, externals, title="fn"):
        self.leaves, self.constants, self.externals, self.title = tape.leaves, tape.constants, externals, title
        self.namespace = dict(_NAMESPACE, MISS=MISS, TRIAL=False)
        self._frozen, self._body, self._count, self._buffers = set(), [], 0, {}
        # tracebacks show the generated code while the plan lives; then its lines go (flat over retraces)
        self._filename = f"<ag.compile {title} {id(self):x}>"
        weakref.finalize(self, linecache.cache.pop, self._filename, None)
        self._head, self._checks = self._prologue(args)
        names = self._forward(tape)
        self._backward(tape, names)
        self._share_buffers()
        self.pin({})

    def pin(self, pins):
        """(Re)generate the code, with a guard for each pinned value source: ('arg', k) -> the array
        object (a one-element one by value: fresh 0-d values are new objects), ('leaf' or 'constant',
        j) -> the tensor's version counter."""
        for kind, j in getattr(self, "pins", ()):
            del self.namespace[f"P{kind}{j}"]  # an array no longer pinned is not kept alive by the plan
        self.pins = dict(pins)
        checks = list(self._checks)
        for (kind, j), value in self.pins.items():
            by_value = kind == "arg" and np.size(value) == 1
            self.namespace[f"P{kind}{j}"] = np.array(value) if by_value else value
            checks.append(
                f"a{j} != Parg{j}"
                if by_value
                else f"a{j} is not Parg{j}"
                if kind == "arg"
                else f"{'L' if kind == 'leaf' else 'E'}{j}.version != P{kind}{j}"
            )
        guard = [f"    if {' or '.join(checks)}: return MISS"] if checks else []
        self.source = "\n".join(["def run(args):"] + self._head + guard + self._body) + "\n"
        filename = self._filename
        linecache.cache[filename] = (len(self.source), None, self.source.splitlines(True), filename)
        exec(builtins.compile(self.source, filename, "exec"), self.namespace)  # noqa: S102 (our own code)
        self.run = self.namespace["run"]

    def trial(self, args):
        """What run(args) computes, returned as (loss, leaf gradients) instead of delivered."""
        self.namespace["TRIAL"] = True
        try:
            return self.run(args)
        finally:
            self.namespace["TRIAL"] = False

    # -------------------------------------------------------------------- helpers
    def _const(self, value, frozen=False):
        name = f"K{len(self.namespace)}"
        self.namespace[name] = value
        if frozen:
            self._frozen.add(name)
        return name

    def _param(self, value, key):
        """A param as code: an argument's array by its variable, plain values as literals, else a constant."""
        if type(key) is tuple and len(key) == 2 and key[0] is ARG:
            return f"a{key[1]}"
        if type(value) is tuple:
            return "(" + "".join(self._param(v, k) + ", " for v, k in zip(value, key)) + ")"
        return repr(value) if type(value) in (int, bool, type(None)) else self._const(value)

    def _emit(self, template, fields):
        """Assign a lowering (an expression, or lines that set {y}) to a new variable; return its name."""
        self._count += 1
        name = f"t{self._count}"
        code = template.format(y=name, **fields)
        self._body.extend("    " + line for line in (code if "{y}" in template else f"{name} = {code}").split("\n"))
        return name

    def _buffer(self, shape, dtype):
        """A placeholder for a buffer kept between calls; _share_buffers gives it an array."""
        name = f"buf_{len(self._buffers)}"
        self._buffers[name] = (tuple(shape), np.dtype(dtype))
        return name

    def _share_buffers(self):
        """One array per slot (buf0, buf1...): buffers of one shape and dtype whose lifetimes in the
        code do not overlap share it (see buffers.py), so a call holds ~the activations live at once.
        Slots of PER_CALL_BYTES or more are allocated at the start of each call, the others kept."""
        slots, allocations = share(lifetimes(self._body, self._buffers, self.namespace)), []
        specs = {slot: self._buffers[name] for name, slot in slots.items()}  # one key per slot
        for slot, (shape, dtype) in sorted(specs.items()):
            variable = f"buf{slot}"
            if np.prod(shape) * dtype.itemsize < PER_CALL_BYTES:
                self.namespace[variable] = np.empty(shape, dtype)
            else:
                kind = repr(dtype.name) if np.dtype(dtype.name) == dtype else self._const(dtype)
                allocations.append(f"    {variable} = empty({shape!r}, {kind})")
        self._body = allocations + [
            re.sub(r"\bbuf_\d+\b", lambda m: f"buf{slots[m.group()]}", line) for line in self._body
        ]
        self._buffers = None  # only the arrays are needed now

    # -------------------------------------------------------------------- code
    def _prologue(self, args):
        """Unpack the arguments and read the leaves, and the guards that make the plan valid."""
        head = [f"    if len(args) != {len(args)}: return MISS"]
        if args:
            head.append("    " + "".join(f"A{k}, " for k in range(len(args))) + "= args")
        kinds, reads, checks = [], [], []
        for k, a in enumerate(args):
            kinds.append(f"A{k}.__class__ is not {self._const(type(a))}")
            array = arg_array(a)
            if array is None:
                kinds.append(f"A{k} != {self._const(a)}")  # a static value: part of the signature
                continue
            reads.append(f"a{k} = A{k}.data" if isinstance(a, Tensor) else f"a{k} = A{k}")
            checks += [f"a{k}.shape != {array.shape!r}", f"a{k}.dtype != {self._const(array.dtype)}"]
            checks += [f"a{k} is not a{j}" for j in range(k) if arg_array(args[j]) is array][:1]  # bound once
            if isinstance(a, Tensor):
                checks.append(f"A{k} is not {self._const(a)}" if a.requires_grad else f"A{k}.requires_grad")
        tensors = [("l", j, t) for j, t in enumerate(self.leaves)]  # and tensors from outside fn:
        tensors += [("e", j, t) for j, t in enumerate(self.constants) if self.externals[j]]  # values read each call
        for kind, j, t in tensors:
            self.namespace[f"{kind.upper()}{j}"] = t
            reads.append(f"{kind}{j} = {kind.upper()}{j}.data")
            checks += [f"{kind}{j}.shape != {t.shape!r}", f"{kind}{j}.dtype != {self._const(t.dtype)}"]
            checks += [f"not L{j}.requires_grad"] if kind == "l" else []
        if kinds:
            head.append(f"    if {' or '.join(kinds)}: return MISS")
        return head + ["    " + line for line in reads], checks

    def _forward(self, tape):
        names, self._fresh_loss = [], False
        for entry, t in zip(tape.structure, tape.order):
            kind = entry[0]
            if kind in ("input", "leaf"):
                names.append(f"{'a' if kind == 'input' else 'l'}{entry[1]}")
            elif kind == "constant":
                names.append(f"e{entry[1]}" if self.externals[entry[1]] else self._const(t.data, frozen=True))
            else:
                names.append(self._forward_op(entry, t, names, tape.order[-1]))
        return names

    def _forward_op(self, entry, t, names, last):
        prim, parents, keys, shape, dtype, _ = entry[1:]
        inputs = [names[p] for p in parents]
        params = {name: self._param(value, key) for (name, value), (_, key) in zip(t.params.items(), keys)}
        template = prim.forward_code if faithful(prim) else None
        if template is None:
            call = f"{self._const(prim.forward)}({', '.join(inputs + [f'{k}={v}' for k, v in params.items()])})"
            template = (f"asarray({call})" if shape == () else call).replace("{", "{{").replace("}", "}}")
        used = _fields(template)
        # the loss (the last op) gets a fresh array: returned as it is, it needs no copy
        self._fresh_loss = (
            t is last and prim.forward_code == template and "y" not in used and bool({"into", "dest"} & used)
        )
        buffer = "None" if self._fresh_loss else self._buffer(shape, dtype) if {"into", "dest"} & used else None
        return self._emit(
            template,
            dict(
                params,
                into="" if self._fresh_loss else f", {buffer}",
                dest=buffer,
                **{f"x{k}": name for k, name in enumerate(inputs)},
            ),
        )

    def _backward(self, tape, names):
        """Gradients in reverse topological order, then the code that delivers the leaves' ones."""
        needs = tape.needs_grad()
        ops = [i for i, entry in enumerate(tape.structure) if entry[0] == "op" and needs[i]]
        uses = collections.Counter(p for i in ops for p in tape.structure[i][2] if needs[p])  # contributions
        parts = [[] for _ in tape.order]
        seed = np.ones(tape.order[-1].shape, tape.order[-1].dtype)
        parts[-1].append(_Grad(self._const(seed), False, True, seed))
        for i in reversed(ops):
            g, parts[i] = self._combine(parts[i], handed=False), None  # (frees the traced values early)
            parents = tape.structure[i][2]
            # written last input first: the weight's gradient in h @ W (h.T @ g) reads h for the last
            # time, so h's buffer is free for g @ W.T (buffers.py); added in input order, as the engine
            sent = {
                j: self._vjp(tape, i, j, g, names, _handed(tape.structure, p, uses))  # handed: a fresh array
                for j, p in reversed(list(enumerate(parents)))
                if needs[p]
            }
            for j in sorted(sent):
                g, p = sent[j], parents[j]
                if tape.structure[p][0] == "leaf" and not g.static:  # its values are never read: its
                    g = g._replace(value=np.broadcast_to(np.zeros((), g.value.dtype), g.value.shape))  # shape
                parts[p].append(g)
        position = {entry[1]: i for i, entry in enumerate(tape.structure) if entry[0] == "leaf"}
        grads = [self._combine(parts[position[j]], handed=True) for j in range(len(self.leaves))]
        loss = names[-1] if self._fresh_loss else f"array({names[-1]})"  # a copy: not a buffer or a leaf
        self._body.append(f"    if TRIAL: return {loss}, ({''.join(g.name + ', ' for g in grads)})")
        for j, g in enumerate(grads):  # the engine's rule, its first case inlined for a fresh array
            if g.fresh and self.leaves[j].ndim:
                self._body += [
                    f"    if L{j}.grad is None: L{j}.grad = {g.name}",
                    f"    else: accumulate_grad(L{j}, {g.name})",
                ]
            else:
                self._body.append(f"    accumulate_grad(L{j}, {g.name}, {not g.fresh})")
        self._body.append(f"    return {loss}")

    def _into(self, value, fresh):
        """The out= of a result: none when it is handed to a leaf fresh, else a buffer of its own
        (writing into one costs ~0.4 us less than allocating, on small arrays)."""
        return "" if fresh else f", {self._buffer(np.shape(value), np.result_type(value))}"

    def _combine(self, parts, handed):
        """The sum of a tensor's gradient contributions (the last add fresh when it is handed to a leaf)."""
        g = parts[0]
        for k, other in enumerate(parts[1:], 2):
            value = g.value + other.value  # out of place, in arrival order, as the engine adds them
            if g.static and other.static:
                g = _Grad(self._const(value, frozen=True), False, True, value)
            else:
                fresh = handed and k == len(parts)
                name = self._emit(
                    "add({a}, {b}{into})", {"a": g.name, "b": other.name, "into": self._into(value, fresh)}
                )
                g = _Grad(name, fresh, False, value)
        return g

    def _vjp(self, tape, i, j, g, names, handed):
        """The gradient node i sends to its input j: folded, lowered to numpy calls, or prim.vjp."""
        node, (_, prim, parents, keys) = tape.order[i], tape.structure[i][:4]
        inputs, params = [p.data for p in node.parents], node.params
        raw = prim.vjp(j, g.value, node.data, *inputs, **params)  # the engine's own result
        value, steps = _fitted(raw, inputs[j], prim, j)
        template = prim.lowered_vjp(j, node.data, *inputs, **params) if faithful(prim, j) else None
        fields = dict(g=g.name, out=names[i], **{f"x{k}": names[p] for k, p in enumerate(parents)})
        fields.update({name: self._param(v, key) for (name, v), (_, key) in zip(params.items(), keys)})
        used = _fields(template or "{vjp}")
        operands = {"g", "out"} | {f"x{k}" for k in range(len(parents))}
        if template is not None and all(
            g.static if f == "g" else fields[f] in self._frozen
            for f in (operands if "vjp" in used else used & operands)
        ):
            return _Grad(self._const(value, frozen=True), False, True, value)  # constants only: bake it
        if template == "{g}":  # an alias of g: add, sub
            name, fresh = g.name, False
        else:  # fresh: a new array per call (into omitted), or a view of a fresh g that only it reads
            fresh = handed and not steps and used & {"into", "vjp"} == {"into"}
            fresh |= handed and not steps and g.fresh and len(parents) == 1 and not used & {"into", "vjp", "dest"}
            generic = [str(j), g.name, names[i]] + [names[p] for p in parents] + [f"{k}={fields[k]}" for k in params]
            if "into" in used:  # a lowering ending in .T computes the transpose: its buffer has that shape
                fields["into"] = self._into(raw.T if template.endswith(").T") else raw, handed and not steps)
            if "dest" in used:
                fields["dest"] = self._buffer(np.shape(raw), raw.dtype)
            if "vjp" in used:
                fields["vjp"] = f"{self._const(prim.vjp)}({', '.join(generic)})"
            name = self._emit(template or "{vjp}", fields)
        for k, (axes, keepdims, shape, dtype) in enumerate(steps, 1):  # sum_to and cast, as the engine
            fresh = handed and k == len(steps)
            if axes is None:
                name = self._emit(f"{{g}}.astype({dtype.str!r})", {"g": name})
            else:
                out = "None" if fresh else self._buffer(shape, dtype)
                name = self._emit(f"add.reduce({{g}}, {axes!r}, None, {out}, {keepdims})", {"g": name})
        return _Grad(name, fresh, False, value)


def _handed(structure, p, uses):
    """Does node p's gradient become a leaf's .grad as it is? p is a leaf with one contribution, or a
    transpose of one with one contribution (x @ W.T: its vjp is a view of p's gradient)."""
    entry = structure[p]
    if uses[p] != 1 or entry[0] not in ("leaf", "op"):
        return False
    return entry[0] == "leaf" or (entry[1].name == "transpose" and _handed(structure, entry[2][0], uses))


def _fitted(g, target, prim, i):
    """The engine's sum_to and cast of one gradient: the fitted value, and the steps taken as
    (axes, keepdims, result shape, dtype) for a sum, (None, None, shape, dtype) for a cast."""
    lead, ones = sum_to_axes(g.shape, target.shape) if g.shape != target.shape else ((), ())
    fitted = sum_to(g, target.shape)
    if fitted.shape != target.shape:
        raise Unsupported(f"{prim.name}: grad for input {i} has shape {g.shape}, expected {target.shape}")
    steps = [
        (axes, keep, shape, g.dtype)
        for axes, keep, shape in ((lead, False, g.shape[len(lead) :]), (ones, True, target.shape))
        if axes
    ]
    if fitted.dtype != target.dtype:
        fitted = fitted.astype(target.dtype)
        steps.append((None, None, fitted.shape, fitted.dtype))
    return fitted, steps
