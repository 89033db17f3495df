"""The plan behind ``ag.compile``: an agreed Tape turned into straight-line numpy code (guards, forward,
backward, the gradients' delivery into ``.grad``), each op written by its primitive's lowering, else a
call of its own ``forward`` / ``vjp``, into buffers shared by results never live at once (buffers.py).
"""

import collections
import linecache
import weakref

import numpy as np

from .buffers import allocate
from .engine import accumulate_grad
from .primitives import Transpose, Varying, sum_to, sum_to_axes
from .primitives.lowering import NAMESPACE, as_code, faithful, template_fields
from .tape import ARG, arg_array, arg_guards, fingerprint, spec
from .tensor import Tensor

MISS = object()  # what run() returns when a guard fails: nothing was computed

# What lowered code may call: numpy's names (lowering.py), and the engine's rule.
_NAMESPACE = dict(NAMESPACE, accumulate_grad=accumulate_grad)

# A gradient during code generation: its variable, whether the array is ours alone (fresh: it may become
# a leaf's .grad uncopied), and its value in the traced call (it plans sum_to, casts and folding).
_Grad = collections.namedtuple("_Grad", "name fresh value")


class Plan:
    """Generated code replaying one tape: ``run(args)`` -> the output arrays (loss, then aux: copies,
    never a kept buffer), the leaves' gradients delivered, or MISS; ``run(args, trial=True)`` ->
    (outputs, leaf gradients), nothing delivered, or MISS."""

    def __init__(self, tape, args, title="fn"):
        self.leaves, self.form = tape.leaves, tape.form  # form: how fn returned aux (None: the loss alone)
        self.namespace = dict(_NAMESPACE, MISS=MISS, **{name: t for name, _, t in tape.sources(())})
        self._frozen, self._body, self._count, self._buffers = set(), [], 0, {}
        self._owned = set()  # gradients only this plan's code holds (a sum, a scatter): added into in place
        # tracebacks show the generated code while the plan lives; then its lines go (flat over retraces)
        self._filename = f"<ag.compile {title} {id(self):x}>"
        weakref.finalize(self, linecache.cache.pop, self._filename, None)
        self._head, self._guards = self._prologue(args, tape)
        self._backward(tape, self._forward(tape))
        # one array per slot of buffers never live at once, large slots allocated by each call
        self._body, kept = allocate(self._body, self._buffers, self.namespace)
        self.namespace.update(kept)
        self.pin({})

    def pin(self, pins):
        """(Re)generate the code, guarding each pinned source (name -> its fingerprint and what Tape.sources holds):
        an array by identity or bytes (then it becomes the pinned one), a one-element one by value, a tensor by
        version or, once that moved, by its fingerprint (so that an update by a zero gradient keeps the plan)."""
        prints, pinned = [digest for digest, _ in pins.values()], [held for _, held in pins.values()]
        versions = [getattr(held, "version", None) for held in pinned]
        guards = list(self._guards)

        def same_values(tensor, k):  # written in place since: the values a step by a zero gradient left alone?
            same = fingerprint(tensor.data) == prints[k]
            versions[k] = tensor.version if same else versions[k]
            return same

        def same_bytes(array, k):  # array is an argument's ndarray (its type is guarded first)
            held, view = pinned[k], lambda a: np.ascontiguousarray(a).view(np.uint8)
            same = (array.shape, array.dtype) == (held.shape, held.dtype) and np.array_equal(view(array), view(held))
            pinned[k] = array if same else held
            return same

        self.namespace.update(PINNED=pinned, VERSIONS=versions, SAME_BYTES=same_bytes, SAME_VALUES=same_values)
        for k, (name, held) in enumerate(zip(pins, pinned)):
            if isinstance(held, Tensor):
                guards.append((f"({name}.version == VERSIONS[{k}] or SAME_VALUES({name}, {k}))", True))
            elif held.size == 1:  # (tobytes: ~0.2 us; the general path below: ~3 us)
                guards.append((f"{name}.tobytes()", held.tobytes()))
            else:
                guards.append((f"({name} is PINNED[{k}] or SAME_BYTES({name}, {k}))", True))
        self.namespace["GUARDS"] = tuple(value for _, value in guards)
        check = [f"if ({''.join(code + ', ' for code, _ in guards)}) != GUARDS: return MISS"] if guards else []
        lines = ["def run(args, trial=False):"] + ["    " + line for line in self._head + check + self._body]
        if getattr(self, "source", None) == "\n".join(lines) + "\n":
            return  # the same guards (their values are GUARDS): run stands (a re-pin after a retrace: ~0.5 ms)
        self.source = "\n".join(lines) + "\n"
        linecache.cache[self._filename] = (len(self.source), None, self.source.splitlines(True), self._filename)
        exec(compile(self.source, self._filename, "exec"), self.namespace)  # noqa: S102 (our own code)
        self.run = self.namespace["run"]

    def _const(self, value, frozen=False):
        name = f"K{len(self.namespace)}"
        self.namespace[name] = value
        if frozen:  # a value baked in: the same every call
            self._frozen.add(name)
        return name

    def _operands(self, entry, t, names, *call):
        """An op's lowering fields (inputs x0, x1..., params as code; given call = (field, function, *head), that field:
        code calling function, its primitive's own forward or vjp, with head, the inputs and the params), its params
        as a lowering may rely on them (an argument's array, read each call, as Varying), and whether one is."""
        varying = []

        def param(value, key):
            if type(key) is tuple and len(key) == 2 and key[0] is ARG:
                varying.append(key[1])
                return f"a{key[1]}", Varying
            if type(value) is tuple:
                parts = [param(v, k) for v, k in zip(value, key)]
                return "(" + "".join(code + ", " for code, _ in parts) + ")", tuple(seen for _, seen in parts)
            return repr(value) if type(value) in (int, bool, type(None)) else self._const(value), value

        params = {name: param(value, key) for (name, value), (_, key) in zip(t.params.items(), entry[3])}
        inputs = [names[p] for p in entry[2]]
        fields = {**{name: code for name, (code, _) in params.items()}, **{f"x{k}": x for k, x in enumerate(inputs)}}
        if call:
            field, function, *head = call
            arguments = [*head, *inputs] + [f"{name}={code}" for name, (code, _) in params.items()]
            fields[field] = f"{self._const(function)}({', '.join(arguments)})"
        return fields, {name: seen for name, (_, seen) in params.items()}, bool(varying)

    def _emit(self, template, fields, shape=None, dtype=None, fresh=False, like=None):
        """Assign a lowering to a new variable and return its name; its {into} / {dest} are a buffer of that
        shape and dtype (~0.4 us faster than allocating, on small arrays), or none for a fresh array; column-major
        where ``like`` (the traced value) is: numpy's result there, whose sum adds in that memory order."""
        if {"into", "dest"} & template_fields(template):
            buffer = "None" if fresh else f"buf_{len(self._buffers)}"  # a placeholder until allocate()
            if not fresh:
                column_major = getattr(like, "ndim", 0) > 1 and like.flags.f_contiguous and not like.flags.c_contiguous
                self._buffers[buffer] = (tuple(shape), np.dtype(dtype), *("F" * column_major))
            fields.update(into="" if fresh else f", {buffer}", dest=buffer)
        self._count += 1
        self._body += as_code(template, f"t{self._count}", fields).split("\n")
        return f"t{self._count}"

    def _prologue(self, args, tape):
        """The lines reading the arguments' and tensors' arrays, and the guards: (expression, value) pairs."""
        # the count, then each argument's type by identity (~0.14 us less than comparing a tuple of types)
        head = [f"if len(args) != {len(args)}: return MISS"]
        if args:
            head.append("".join(f"A{k}, " for k in range(len(args))) + "= args")
            types = " or ".join(f"type(A{k}) is not {self._const(type(a))}" for k, a in enumerate(args))
            head.append(f"if {types}: return MISS")
        for k, a in enumerate(args):
            if arg_array(a) is not None:
                head.append(f"a{k} = A{k}.data" if isinstance(a, Tensor) else f"a{k} = A{k}")
        guards = arg_guards(args)  # they check a grad argument's id: held here, the id stays its own
        self.namespace["HELD"] = [a for a in args if isinstance(a, Tensor) and a.requires_grad]
        for name, _, t in tape.sources(()):  # the leaves and the tensors from outside fn: values read each call
            head.append(f"{name.lower()} = {name}.data")
            guards += zip((f"{name.lower()}.shape", f"{name.lower()}.dtype", f"{name}.requires_grad"), spec(t))
        return head, guards

    def _forward(self, tape):
        """Each node's variable: an argument's or a leaf's array, a constant, or an op's lowered result."""
        names = []
        for entry, t in zip(tape.structure, tape.order):
            kind, j = entry[:2]
            if kind == "constant" and not tape.externals[j]:
                names.append(self._const(t.data, frozen=True))
            elif kind != "op":
                names.append({"input": "a", "leaf": "l", "constant": "e"}[kind] + str(j))
            else:
                fields, known, _ = self._operands(entry, t, names, "call", t.prim.forward)
                template = t.prim.lowered_forward(*(p.data for p in t.parents), **known) if faithful(t.prim) else None
                template = template or ("asarray({call})" if t.shape == () else "{call}")  # the primitive's own
                names.append(self._emit(template, fields, t.shape, t.dtype, like=t.data))
        return names

    def _backward(self, tape, names):
        """Gradients in reverse topological order, then the code that delivers the leaves' ones."""
        needs = tape.needs
        ops = [i for i, entry in enumerate(tape.structure) if entry[0] == "op" and needs[i]]
        ops.sort(key=lambda i: tape.order[i].op_number)  # run as the engine runs them: the one made last first
        uses = collections.Counter(p for i in ops for p in tape.structure[i][2] if needs[p])  # contributions
        # handed: p's gradient becomes a leaf's .grad as it is (a leaf's only one, or the only one of a transpose
        # of such a leaf: x @ W.T's vjp is a view of it), so it must be a fresh array (inputs come first)
        handed = [False] * len(tape.order)
        for p, entry in enumerate(tape.structure):
            handed[p] = uses[p] == 1 and (entry[0] == "leaf" or (entry[1] is Transpose and handed[entry[2][0]]))
        parts = [[] for _ in tape.order]
        loss = tape.order[tape.outputs[0]]
        parts[tape.outputs[0]].append(self._bake(np.ones(loss.shape, loss.dtype)))  # the seed
        for i in reversed(ops):
            if not parts[i]:  # only a Function's None reached it: nothing flows on from it, as in the engine
                continue
            g, parts[i] = self._combine(parts[i], handed=False), None  # (frees the traced values early)
            prim, parents = tape.structure[i][1:3]
            if prim.vjp_add_code is not None and parts[parents[0]] and self._add_into(tape, i, g, parts, names):
                continue
            # written last input first: the weight's gradient in h @ W (h.T @ g) reads h for the last
            # time, so h's buffer is free for g @ W.T (buffers.py); added in input order, as the engine
            order = [j for j in reversed(range(len(parents))) if needs[parents[j]]]
            sent = {j: self._vjp(tape, i, j, g, names, handed[parents[j]]) for j in order}
            for j in sorted(sent):
                parts[parents[j]] += [sent[j]] if sent[j] is not None else []
        leaves = [i for i, e in enumerate(tape.structure) if e[0] == "leaf"]
        grads = [self._combine(parts[i], handed=True) if parts[i] else None for i in leaves]
        out = "".join(f"array({names[i]}), " for i in tape.outputs)  # copies: not a buffer, a leaf's or an arg's
        self._body.append(f"if trial: return ({out}), ({''.join(f'{None if g is None else g.name}, ' for g in grads)})")
        for j, g in enumerate(grads):  # the engine's rule, its first case inlined for a fresh array
            if g is not None and g.fresh and self.leaves[j].ndim:
                self._body += [f"if L{j}.grad is None: L{j}.grad = {g.name}", f"else: accumulate_grad(L{j}, {g.name})"]
            elif g is not None:
                self._body.append(f"accumulate_grad(L{j}, {g.name}, {not g.fresh})")
        self._body.append(f"return {out}")

    def _add_into(self, tape, i, g, parts, names):
        """Node i's gradient (x[index]'s) added in place into its input's so far when that is one array of our own
        (a sum, a scatter), as the engine's vjp_add: O(g), not O(x). False where it is not: sent as usual."""
        node, entry = tape.order[i], tape.structure[i]
        x = entry[2][0]
        parts[x] = [acc := self._combine(parts[x], handed=False)]  # the parts so far, added as the engine adds them
        if acc.name not in self._owned:
            return False
        fields, known, _ = self._operands(entry, node, names)
        template = node.prim.vjp_add_code(node.data, *(p.data for p in node.parents), **known)
        self._body += template.format(acc=acc.name, g=g.name, **fields).split("\n")
        if acc.value.flags.writeable:  # (a leaf's gradient values are never read: read-only zeros)
            node.prim.vjp_add(acc.value, g.value, **node.params)
        return True

    def _bake(self, value):
        return _Grad(self._const(value, frozen=True), False, value)

    def _combine(self, parts, handed):
        """The sum of a tensor's gradient contributions (the last add fresh when it is handed to a leaf)."""
        g = parts[0]
        for k, other in enumerate(parts[1:], 2):
            value = g.value + other.value  # out of place, in arrival order, as the engine adds them
            if {g.name, other.name} <= self._frozen:
                g = self._bake(value)
            else:
                fresh = handed and k == len(parts)
                fields = {"a": g.name, "b": other.name}
                g = _Grad(self._emit("add({a}, {b}{into})", fields, np.shape(value), value.dtype, fresh), fresh, value)
                self._owned.add(g.name)
        return g

    def _vjp(self, tape, i, j, g, names, handed):
        """The gradient node i sends to its input j: folded, lowered to numpy calls, or prim.vjp."""
        node, entry = tape.order[i], tape.structure[i]
        prim, parents = entry[1:3]
        inputs = [p.data for p in node.parents]
        raw = prim.vjp(j, g.value, node.data, *inputs, **node.params)  # the engine's own result
        if raw is None:  # no gradient (a Function's backward said None): none is sent
            return None
        value, steps = _fitted(raw, inputs[j])
        fields, known, varying = self._operands(entry, node, names, "vjp", prim.vjp, str(j), g.name, names[i])
        template = (prim.lowered_vjp(j, node.data, *inputs, **known) if faithful(prim, j) else None) or "{vjp}"
        fields.update(g=g.name, out=names[i])
        used = template_fields(template)
        reads = [f for f in ("g", "out", *(f"x{k}" for k in range(len(parents)))) if f in used or "vjp" in used]
        if all(fields[f] in self._frozen for f in reads) and not varying:
            return self._bake(value)  # constants only (no argument's array in its params: a label): bake it
        # fresh: a new array per call (into omitted), or a view of a fresh g that only it reads
        unbuffered = handed and not steps and not used & {"y", "vjp"}
        fresh = unbuffered and ("into" in used or (g.fresh and len(parents) == 1 and "dest" not in used))
        # a lowering ending in .T computes the transpose: its buffer has that shape; g itself (add's) is g's variable
        shape = raw.T.shape if template.endswith(").T") else raw.shape
        name = g.name if template == "{g}" else self._emit(template, fields, shape, raw.dtype, unbuffered)
        for k, (code, shape, dtype) in enumerate(steps, 1):  # sum_to and cast, as the engine
            fresh = handed and k == len(steps)
            name = self._emit(code, {"g": name}, shape, dtype, fresh)
        if prim.vjp_add_code is not None and name != g.name:  # a scatter: a new array, later slices add into it
            self._owned.add(name)
        if tape.structure[parents[j]][0] == "leaf":  # a leaf's gradient values are never read again
            value = np.broadcast_to(np.zeros((), value.dtype), value.shape)
        return _Grad(name, fresh, value)


def _fitted(g, target):
    """The engine's sum_to and cast of g: the fitted value, and each step's (template, shape, dtype)."""
    lead, ones = sum_to_axes(g.shape, target.shape)
    sums = ((lead, False, g.shape[len(lead) :]), (ones, True, target.shape))
    steps = [(f"add.reduce({{g}}, {a!r}, None, {{dest}}, {keep})", shape, g.dtype) for a, keep, shape in sums if a]
    steps += [(f"{{g}}.astype({target.dtype.str!r})", None, None)] if g.dtype != target.dtype else []
    return sum_to(g, target.shape).astype(target.dtype, copy=False), steps
