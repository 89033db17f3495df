"""The plan behind ``ag.compile``: an agreed Tape turned into generated straight-line numpy code.

``Plan`` generates two Python functions: ``run(args)`` (guards, forward, backward:
numpy calls on local variables, no Tensor made, no graph walked) and ``deliver(grads)``
(``.grad`` accumulation with the engine's rules). ``Plan.source`` shows the code.
"""
import builtins
import functools
import linecache
import math
import weakref

import numpy as np

from .primitives import (
    Add,
    Div,
    Exp,
    Log,
    Matmul,
    Max,
    Mul,
    Neg,
    Relu,
    Reshape,
    Sub,
    Sum,
    Tanh,
    Transpose,
)
from .tape import ARG, Unsupported, arg_array
from .tensor import Tensor

MISS = object()  # what run() returns when a guard fails: nothing was computed


# Forward ops replayed as the numpy call their primitive makes, writing into a buffer kept
# between calls (out=): bitwise the same values, no allocation. Other ops call prim.forward.
_FORWARD = {
    Add: "add({x0}, {x1}, {out})", Sub: "subtract({x0}, {x1}, {out})", Mul: "multiply({x0}, {x1}, {out})",
    Div: "true_divide({x0}, {x1}, {out})", Neg: "negative({x0}, {out})", Exp: "exp({x0}, {out})",
    Log: "log({x0}, {out})", Tanh: "tanh({x0}, {out})", Relu: "maximum({x0}, 0, out={out})",
    Matmul: "matmul({x0}, {x1}, {out})", Sum: "add.reduce({x0}, {axes}, None, {out}, {keepdims})",
    Max: "maximum.reduce({x0}, {axes}, None, {out}, {keepdims})",
    Reshape: "{x0}.reshape({shape})", Transpose: "{x0}.transpose({axes})",
}
# Smooth vjps spelled as the numpy calls of the primitive's own formula (the adoption check compares
# them with prim.vjp); a result starting with {g} aliases g. Kinks (relu, max...) call prim.vjp.
_VJP = {
    (Add, 0): "{g}", (Add, 1): "{g}", (Sub, 0): "{g}", (Sub, 1): "negative({g}{o})",
    (Mul, 0): "multiply({g}, {x1}{o})", (Mul, 1): "multiply({g}, {x0}{o})", (Div, 0): "true_divide({g}, {x1}{o})",
    (Neg, 0): "negative({g}{o})", (Exp, 0): "multiply({g}, {out}{o})", (Log, 0): "true_divide({g}, {x0}{o})",
    (Sum, 0): "{g}",  # broadcast back: materialized into a buffer (np.broadcast_to costs 1.7 us)
}
_MATMUL_2D_VJP = ("matmul({g}, {x1}.T{o})", "matmul({x0}.T, {g}{o})")
_OPERANDS = ("g", "out", "x0", "x1")
_NUMPY = {name: getattr(np, name) for name in (
    "add", "subtract", "multiply", "true_divide", "negative", "exp", "log", "tanh", "maximum", "matmul",
    "greater", "equal", "logical_or", "count_nonzero", "array", "asarray", "isfinite")}
_NUMPY["finite"] = math.isfinite


_EDGES = np.array([-np.inf, -2.5, -1.0, -0.0, 0.0, 0.5, 1.0, 3.0, np.inf, np.nan])
_ELEMENTWISE = {Add: 2, Sub: 2, Mul: 2, Div: 2, Neg: 1, Exp: 1, Log: 1, Tanh: 1, Relu: 1}


@functools.cache
def faithful(prim, i=None):
    """Does the lowered spelling of prim's forward (i None) or vjp for input i give exactly what the
    primitive gives, NaN, +-0 and +-inf included? Checked once per process, so that a primitive
    changed in primitives.py is replayed through its own code until these tables follow."""
    if prim not in _ELEMENTWISE:
        return True  # matmul, reductions, views: the primitive's own numpy call, with out=
    template = _FORWARD[prim] if i is None else "multiply({g}, greater({x0}, 0){o})" if prim is Relu \
        else _VJP.get((prim, i))
    if template is None:
        return False
    edges = _EDGES[_EDGES != 0] if prim is Relu and i is not None else _EDGES  # relu's fast path: no 0
    xs, g = [edges, np.roll(edges, 3)][:_ELEMENTWISE[prim]], np.roll(edges, 5)
    with np.errstate(all="ignore"):
        out = prim.forward(*xs)
        expected = out if i is None else prim.vjp(i, g, out, *xs)
        names = dict(_NUMPY, g=g, out=out, **{f"x{k}": x for k, x in enumerate(xs)})
        got = eval(template.format(g="g", out="None" if i is None else "out", x0="x0", x1="x1", o=""), names)
    return bool(np.array_equal(got, expected, equal_nan=True) and (np.signbit(got) == np.signbit(expected)).all())


class _Grad:
    """A gradient during code generation: its variable, whether the array is ours alone (``fresh``:
    it may become a leaf's .grad without a copy), whether it is a baked constant (``static``), and
    its value in the traced call (the engine's own result: it plans sum_to, casts and folding)."""

    def __init__(self, name, fresh, static, value):
        self.name, self.fresh, self.static, self.value = name, fresh, static, value


class Plan:
    """Generated code replaying one tape: ``run(args)`` -> (loss array, leaf gradients) or MISS,
    and ``deliver(grads)``. ``externals[j]``: constant j is a tensor whose values are read each call."""

    def __init__(self, tape, args, externals, title="fn"):
        self.leaves, self.constants, self.externals, self.title = tape.leaves, tape.constants, externals, title
        self.namespace = dict(_NUMPY, MISS=MISS)
        self._frozen, self._body, self._count = set(), [], 0
        # tracebacks show the generated code while the plan lives; then its lines go (flat over retraces)
        self._filename = f"<ag.compile {title} {id(self):x}>"
        weakref.finalize(self, linecache.cache.pop, self._filename, None)
        self._head, self._checks = self._prologue(args)
        names = self._forward(tape)
        self._deliver_lines = self._backward(tape, names)
        self.pin({})

    def pin(self, pins):
        """(Re)generate the code, with a guard for each pinned value source: ('arg', k) -> the array
        object (a one-element one by value: fresh 0-d values are new objects), ('leaf' or 'constant',
        j) -> the tensor's version counter."""
        self.pins = dict(pins)
        checks = list(self._checks)
        for (kind, j), value in self.pins.items():
            by_value = kind == "arg" and np.size(value) == 1
            self.namespace[f"P{kind}{j}"] = np.array(value) if by_value else value
            checks.append(f"a{j} != Parg{j}" if by_value else f"a{j} is not Parg{j}" if kind == "arg" else
                          f"{'L' if kind == 'leaf' else 'E'}{j}._version != P{kind}{j}")
        guard = [f"    if {' or '.join(checks)}: return MISS"] if checks else []
        self.source = "\n".join(["def run(args):"] + self._head + guard + self._body + ["", "def deliver(grads):"]
                                + (self._deliver_lines or ["    pass"])) + "\n"
        filename = self._filename
        linecache.cache[filename] = (len(self.source), None, self.source.splitlines(True), filename)
        exec(builtins.compile(self.source, filename, "exec"), self.namespace)  # noqa: S102 (our own code)
        self.run, self.deliver = self.namespace["run"], self.namespace["deliver"]

    # -------------------------------------------------------------------- helpers
    def _const(self, value, frozen=False):
        name = f"K{len(self.namespace)}"
        self.namespace[name] = value
        if frozen:
            self._frozen.add(name)
        return name

    def _literal(self, value):
        plain = (int, bool, type(None))
        if type(value) in plain or (type(value) is tuple and all(type(v) in plain for v in value)):
            return repr(value)
        return self._const(value)

    def _param(self, value, key):
        """A param as code: an argument's array by its variable, tuples element-wise, else a constant."""
        if type(key) is tuple and len(key) == 2 and key[0] is ARG:
            return f"a{key[1]}"
        if type(value) is tuple:
            return "(" + "".join(self._param(v, k) + ", " for v, k in zip(value, key)) + ")"
        return self._literal(value)

    def _emit(self, line):
        self._body.append("    " + line)

    def _temp(self):
        self._count += 1
        return f"t{self._count}"

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
            reads.append(f"a{k} = A{k}._data" if isinstance(a, Tensor) else f"a{k} = A{k}")
            checks += [f"a{k}.shape != {array.shape!r}", f"a{k}.dtype != {self._const(array.dtype)}"]
            checks += [f"a{k} is not a{j}" for j in range(k) if arg_array(args[j]) is array][:1]  # bound once
            if isinstance(a, Tensor):
                checks.append(f"A{k} is not {self._const(a)}" if a.requires_grad else f"A{k}.requires_grad")
        for j, t in enumerate(self.leaves):
            self.namespace[f"L{j}"] = t
            reads.append(f"l{j} = L{j}._data")
            checks += [f"l{j}.shape != {t.shape!r}", f"l{j}.dtype != {self._const(t.dtype)}",
                       f"not L{j}.requires_grad"]
        for j, t in enumerate(self.constants):
            if self.externals[j]:  # a tensor from outside fn: its values are read each call
                self.namespace[f"E{j}"] = t
                reads.append(f"e{j} = E{j}._data")
                checks += [f"e{j}.shape != {t.shape!r}", f"e{j}.dtype != {self._const(t.dtype)}"]
        if kinds:
            head.append(f"    if {' or '.join(kinds)}: return MISS")
        return head + ["    " + line for line in reads], checks

    def _forward(self, tape):
        names, shifts = [], {}
        for i, (entry, t) in enumerate(zip(tape.structure, tape.order)):
            kind = entry[0]
            if kind == "input":
                names.append(f"a{entry[1]}")
            elif kind == "leaf":
                names.append(f"l{entry[1]}")
            elif kind == "constant":
                names.append(f"e{entry[1]}" if self.externals[entry[1]] else self._const(t._data, frozen=True))
            elif kind == "shift":
                names.append(f"s{i}")
                shifts[i] = entry
            else:
                for p in entry[2]:
                    if p in shifts:  # computed from x's values, right before its first use (as _shifted does)
                        x, axes = names[shifts[p][1]], shifts.pop(p)[2]
                        buffer = self._const(np.empty_like(tape.order[p]._data))
                        self._emit(f"s{p} = maximum.reduce({x}, {axes!r}, None, {buffer}, True)")
                        # a sum is finite when every entry is (an overflow only costs the fix, a no-op)
                        self._emit(f"if not finite(add.reduce(s{p}, None)): s{p}[~isfinite(s{p})] = 0")
                self._emit(f"v{i} = {self._forward_call(entry, t, names)}")
                names.append(f"v{i}")
        return names

    def _forward_call(self, entry, t, names):
        prim, parents, keys, shape, dtype = entry[1:]
        fields = {f"x{j}": names[p] for j, p in enumerate(parents)}
        template = _FORWARD.get(prim) if faithful(prim) else None
        if template is not None:
            if "{out}" in template:
                fields["out"] = self._const(np.empty(shape, dtype))
            fields.update({name: self._literal(value) for name, value in t._params.items()})
            return template.format(**fields)
        arguments = list(fields.values()) + [f"{name}={self._param(value, key)}"
                                             for (name, value), (_, key) in zip(t._params.items(), keys)]
        call = f"{self._const(prim.forward)}({', '.join(arguments)})"
        return f"asarray({call})" if shape == () else call  # numpy returns scalars from 0-d ops

    def _backward(self, tape, names):
        """Gradients in reverse topological order, then the code that delivers the leaves' ones."""
        needs = tape.needs_grad()
        uses = [0] * len(tape.order)  # how many gradient contributions each position receives
        for i, entry in enumerate(tape.structure):
            if entry[0] == "op" and needs[i]:
                for p in entry[2]:
                    uses[p] += needs[p]
        parts = [[] for _ in tape.order]
        seed = np.ones(tape.order[-1].shape, tape.order[-1].dtype)
        parts[-1].append(_Grad(self._const(seed), False, True, seed))
        for i in reversed(range(len(tape.order))):
            entry = tape.structure[i]
            if entry[0] == "op" and needs[i]:
                g = self._combine(parts[i], handed=False)
                for j, p in enumerate(entry[2]):
                    if needs[p]:  # a leaf's only contribution becomes its .grad: a fresh array, not a buffer
                        handed = tape.structure[p][0] == "leaf" and uses[p] == 1
                        parts[p].append(self._vjp(tape, i, j, g, names, handed))
        position = {entry[1]: i for i, entry in enumerate(tape.structure) if entry[0] == "leaf"}
        grads = [self._combine(parts[position[j]], handed=True) for j in range(len(self.leaves))]
        self._emit(f"return array({names[-1]}), ({''.join(g.name + ', ' for g in grads)})")
        lines = ["    " + "".join(f"g{j}, " for j in range(len(grads))) + "= grads"]
        for j, g in enumerate(grads):  # the engine's rules: keep an array nobody else holds, else copy
            owned = (f"g{j}" if self.leaves[j].ndim else f"asarray(g{j})") if g.fresh else f"array(g{j})"
            lines += [f"    if L{j}.grad is None: L{j}.grad = {owned}", f"    else: L{j}.grad += g{j}"]
        return lines

    def _out(self, value, handed):
        """The out= argument for a result: none when it is handed to a leaf, else a buffer of its own
        (writing into one costs ~0.4 us less than allocating, on small arrays)."""
        return "" if handed else f", {self._const(np.empty(np.shape(value), np.result_type(value)))}"

    def _combine(self, parts, handed):
        """The sum of a tensor's gradient contributions (the last add fresh when it is handed to a leaf)."""
        g = parts[0]
        for k, other in enumerate(parts[1:], 2):
            value = g.value + other.value  # out of place, in arrival order, as the engine adds them
            if g.static and other.static:
                g = _Grad(self._const(value, frozen=True), False, True, value)
            else:
                fresh = handed and k == len(parts)
                name = self._temp()
                self._emit(f"{name} = add({g.name}, {other.name}{self._out(value, fresh)})")
                g = _Grad(name, fresh, False, value)
        return g

    def _vjp(self, tape, i, j, g, names, handed):
        """The gradient node i sends to its input j: folded, lowered to numpy calls, or prim.vjp."""
        node, (_, prim, parents, _, _, _) = tape.order[i], tape.structure[i]
        inputs = [p._data for p in node._parents]
        raw = prim.vjp(j, g.value, node._data, *inputs, **node._params)  # the engine's own result
        value, steps = _fit(raw, inputs[j], prim, j)
        fields = dict(g=g.name, out=names[i], **{f"x{k}": names[p] for k, p in enumerate(parents)})
        template = _VJP.get((prim, j)) if faithful(prim, j) else None
        if prim is Matmul and inputs[0].ndim == inputs[1].ndim == 2:
            template = _MATMUL_2D_VJP[j]
        if prim is Relu and inputs[0].size and faithful(Relu, 0):
            # away from the kink relu' is x > 0; with an exact 0 in x the engine's own rule applies
            x, size = names[parents[0]], inputs[0].size
            no_tie = (f"count_nonzero({x}) == {size}" if size < 2048  # fewer calls on small arrays
                      else f"not logical_or.reduce(equal({x}, 0), None)")  # vectorised: 5x faster on 32k
            template = (f"multiply({{g}}, greater({x}, 0){{o}}) if {no_tie} "
                        f"else {self._generic(tape, i, j, g, names)}")
        if template is not None and prim is not Relu and all(
                g.static if name == "g" else fields[name] in self._frozen for name in _OPERANDS
                if "{" + name + "}" in template):
            return _Grad(self._const(value, frozen=True), False, True, value)  # constants only: bake it
        if prim is Sum:  # broadcast back, written into a buffer (np.broadcast_to costs 1.7 us)
            x = inputs[0]
            kept = tuple(1 if a in node._params["axes"] else n for a, n in enumerate(x.shape))
            name, fresh = self._const(np.empty(x.shape, np.result_type(g.value))), False
            self._emit(f"{name}[...] = {g.name if np.shape(g.value) == kept else f'{g.name}.reshape({kept!r})'}")
        elif template is not None and template.startswith("{g}"):  # an alias of g: add, sub
            name, fresh = g.name, False
        else:
            fresh = handed and not steps and template is not None and prim is not Relu
            expression = (self._generic(tape, i, j, g, names) if template is None else
                          template.format(o=self._out(raw, handed and not steps), **fields))
            name = self._temp()
            self._emit(f"{name} = {expression}")
        for k, (axes, keepdims, shape, dtype) in enumerate(steps, 1):  # sum_to and cast, as the engine
            fresh = handed and k == len(steps)
            target = self._temp()
            if axes is None:
                self._emit(f"{target} = {name}.astype({dtype.str!r})")
            else:
                out = "None" if fresh else self._const(np.empty(shape, dtype))
                self._emit(f"{target} = add.reduce({name}, {axes!r}, None, {out}, {keepdims})")
            name = target
        return _Grad(name, fresh, False, value)

    def _generic(self, tape, i, j, g, names):
        """A call of the primitive's own vjp (node i, input j), with its params."""
        node, (_, prim, parents, keys, _, _) = tape.order[i], tape.structure[i]
        arguments = [str(j), g.name, names[i]] + [names[p] for p in parents] + [
            f"{key}={self._param(v, k)}" for (key, v), (_, k) in zip(node._params.items(), keys)]
        return f"{self._const(prim.vjp)}({', '.join(arguments)})"


def _fit(g, target, prim, i):
    """The engine's sum_to and cast of one gradient: the fitted value, and the steps taken as
    (axes, keepdims, result shape, dtype) for a sum, (None, None, shape, dtype) for a cast."""
    steps = []
    if g.shape != target.shape:
        lead = g.ndim - target.ndim
        if lead > 0:
            g = g.sum(axis=tuple(range(lead)))
            steps.append((tuple(range(lead)), False, g.shape, g.dtype))
        ones = tuple(a for a, n in enumerate(target.shape) if n == 1 and a < g.ndim and g.shape[a] != 1)
        if ones:
            g = g.sum(axis=ones, keepdims=True)
            steps.append((ones, True, g.shape, g.dtype))
        if g.shape != target.shape:
            raise Unsupported(f"{prim.name}: grad for input {i} has shape {g.shape}, expected {target.shape}")
    if g.dtype != target.dtype:
        g = g.astype(target.dtype)
        steps.append((None, None, g.shape, g.dtype))
    return g, steps
