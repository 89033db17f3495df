"""What ``ag.compile`` learns from one traced call: a Tape, the recorded graph in topological order with
the origin of every leaf (an argument, a tensor that requires grad, or a constant). Two tapes of one
function are compared to tell real constants from values that only looked constant once.
"""

import hashlib
import itertools
import operator
import threading
import weakref

import numpy as np

from .graph_state import MutationClock, detached_since
from .tensor import Tensor
from .walk import walk

ARG, ARRAY = object(), object()  # inside a params key: (ARG, index) an argument's array; ARRAY a frozen one


class Keywords(tuple):
    """The last of compile's flat arguments after keywords: their names, sorted (their values before it)."""


STATIC = (bool, int, float, str, type(None), Keywords)  # argument types taken by value, part of the signature
spec = operator.attrgetter("shape", "dtype", "requires_grad")  # what a tape assumes of a tensor it read (a plan guards)


class Unsupported(Exception):
    """fn does something a replay cannot reproduce; the message says what and what to do."""


_WHY = {  # why a call cannot be replayed (Unsupported), or why two tapes disagree (Tape.require_agreement)
    "in place": "fn changed tensor values in place (.data or an in-place operator); a replay would skip that: "
    "keep updates outside the compiled function",
    "detach_": "fn detaches a tensor in place (detach_()); a replay cannot reproduce that (the tensor's values would "
    "be a constant of the trace): detach outside the compiled function, or call fn directly",
    "grad": "fn sets a gradient (.grad: zero_grad() inside fn?); a replay would skip that, so gradients would "
    "add up over calls: zero them outside the compiled function, before each call",
    "made outside": "argument {k} requires grad but is the output of '{op}' (a graph built outside fn); pass a "
    "leaf, detach() it, or compute it inside fn",
    "retain_grad": "retain_grad() on a tensor inside fn: a replay makes no tensors to keep a gradient on; "
    "return what you need from fn or call fn directly",
    "hooks": "a tensor fn reads or makes has a hook (register_hook, register_post_accumulate_grad_hook): a replay "
    "calls no hooks, so it would skip them; to compile, remove the hook (handle.remove()): the next call traces again",
    "mask": "{op} with boolean mask argument {k}: its output shape depends on the mask's values; use integer "
    "indices (np.nonzero(mask)) of a fixed count, or call fn directly",
    "graph": "the recorded graph differs between two calls at node {i} ({mine} vs {theirs}): fn's control "
    "flow or the tensors it reads depend on values",
    "outputs": "fn returns different tensors (or aux in another form) in two calls: its control flow depends on values",
    "leaves": "fn uses different tensors that require grad in two calls (made inside fn with requires_grad=True?); "
    "the leaves must be the same tensors",
    "outside": "fn uses a tensor computed outside it, with its graph; compute it inside fn or detach() it",
    "constant": "{what} of shape {shape} (used by {user}) changed between two calls: it was computed from tensor "
    "values (.data, .item(), numpy) or from state outside fn's arguments (random numbers?); pass it as an "
    "argument, or build it with tensor ops",
    "numpy argument": " (a numpy argument's values are recorded only by ops that meet a tensor requiring grad, so "
    "here, e.g. before a convolution's unfold, they were a constant: pass the batch as Tensor(X))",
}


def arg_array(a):
    """The array an argument contributes (None for a static Python value)."""
    return a.data if isinstance(a, Tensor) else a if isinstance(a, np.ndarray) else None


running = threading.local()  # .title: the compiled function whose fn runs in this thread (call_flat), if any


def call_flat(fn, args, title):
    """fn called with compile's flat arguments: positional ones, keyword values, their names (Keywords)."""
    names = args[-1] if args and type(args[-1]) is Keywords else ()
    outer, running.title = getattr(running, "title", None), title
    try:
        return fn(*args[: len(args) - len(names) - bool(names)], **dict(zip(names, args[-1 - len(names) : -1])))
    finally:
        running.title = outer


def arg_name(args, k):
    """Flat argument k as an error names it: its position, or its keyword."""
    names = args[-1] if args and type(args[-1]) is Keywords else ()
    return repr(names[k - len(args) + 1]) if names and k >= len(args) - 1 - len(names) else str(k)


def arg_guards(args):
    """The argument guards (docs/compile.md) as (expression in the plan's code, value it must have) pairs,
    after a check of the arguments' types; with those types, a signature."""
    guards, first = [], {}
    for k, a in enumerate(args):
        array = arg_array(a)
        if array is None:
            if type(a) not in STATIC and not isinstance(a, np.generic):  # np.float32(0.5): a number too
                raise TypeError(
                    f"compile: argument {arg_name(args, k)} is a {type(a).__name__}; pass Tensors or numpy arrays "
                    "(read afresh each call) or numbers/strings (part of the signature)"
                )
            guards.append((f"A{k}", a))
            continue
        guards += [(f"a{k}.shape", array.shape), (f"a{k}.dtype", array.dtype)]
        j = first.setdefault(id(array), k)
        guards += [(f"a{k} is a{j}", True)] if j != k else []
        if isinstance(a, Tensor):
            guards.append((f"id(A{k})", id(a)) if a.requires_grad else (f"A{k}.requires_grad", False))
    return guards


def fingerprint(array):
    """A digest of an array's shape, dtype and bytes: equal values give equal fingerprints, other values
    other ones (but for a 128-bit collision); -0.0 is not 0.0."""
    return array.shape, array.dtype.str, hashlib.blake2b(np.ascontiguousarray(array), digest_size=16).digest()


class Tape:
    """One traced call: ``structure`` (ops, wiring, params, shapes, dtypes), ``leaves``, ``constants`` and
    ``frozen`` (arrays compared between tapes; ``externals[j]``: constant j is the same tensor in both, one
    from outside fn, read each call); ``order``, the graph, None once a plan no longer needs it."""

    def __init__(self, outputs, form, args, call_args, clock, grads=()):
        """``outputs``: the loss, then the aux tensors (``form``: how fn returned them, None: no aux);
        ``call_args``: what fn was called with (stand-ins); ``clock``: MutationClock before the call;
        ``grads``: (tensor, its .grad before the call) for the leaves of an earlier trace."""
        if MutationClock.now != clock:  # (a detach_() ticks the clock too, so that older consumers refuse backward)
            raise Unsupported(_WHY["detach_" if any(detached_since(t, clock) for t in walk(outputs)) else "in place"])
        if any(t.grad is not g for t, g in grads):
            raise Unsupported(_WHY["grad"])
        for k, a in enumerate(args):
            if isinstance(a, Tensor) and a.requires_grad and a.prim is not None:
                raise Unsupported(_WHY["made outside"].format(k=arg_name(args, k), op=a.op))
        self.order = walk(outputs)  # the loss first: what it reaches comes up to it, what only an aux reads after
        position = {id(t): i for i, t in enumerate(self.order)}
        loss_at = position[id(outputs[0])]  # (an aux may lie outside: no gradient reaches it)
        inputs = {id(arg_array(a)): k for k, a in enumerate(args)}  # (a static argument's None: no tensor's)
        inputs.update({id(c): k for k, (a, c) in enumerate(zip(args, call_args)) if c is not a})  # stand-ins
        self.leaves, self.constants, self.structure, self.needs = [], [], [], []
        self.frozen, users = [], {}  # (object, its values, the op using them) compared between tapes
        for i, t in enumerate(self.order):
            if t.has_hooks:
                raise Unsupported(_WHY["hooks"])
            if t.prim is not None:
                if t.retains_grad:
                    raise Unsupported(_WHY["retain_grad"])
                parents = tuple(position[id(p)] for p in t.parents)
                params = tuple((name, self._key(value, t.prim, name, inputs, args)) for name, value in t.params.items())
                entry = ("op", t.prim, parents, params, t.shape, t.dtype, t.requires_grad)
                users.update((id(p), t.prim.name) for p in t.parents if id(p) not in users)
            elif id(t) in inputs:
                entry = ("input", inputs[id(t)])
            elif t.requires_grad and i <= loss_at:  # one that only an aux reads is read like a constant
                entry = ("leaf", len(self.leaves))
                self.leaves.append(t)
            elif id(t.data) in inputs:
                entry = ("input", inputs[id(t.data)])  # e.g. Tensor(X) made inside fn from an argument X
            else:
                entry = ("constant", len(self.constants))
                self.constants.append(t)
            self.structure.append(entry)
            needs = entry[0] == "op" and t.requires_grad and any(self.needs[p] for p in entry[2])
            self.needs.append((needs or entry[0] == "leaf") and i <= loss_at)  # must a gradient reach it?
        self.frozen += [(t, t.data, "a constant", users.get(id(t), "fn's result")) for t in self.constants]
        self.externals = [True] * len(self.constants)  # until a second tape tells
        self.numpy_floats = any(type(a) is np.ndarray and a.dtype.kind == "f" for a in args)  # (for an error)
        self.outputs, self.form = [position[id(t)] for t in outputs], form
        self.specs = [(t, spec(t)) for t in self.leaves + self.constants]  # what a plan guards of them
        self.nodes = [weakref.ref(t) for t in self.order if t.prim is not None]  # not their arrays

    def _key(self, value, prim, name, inputs, args):
        """A params value with an argument's array replaced by (ARG, index); other arrays are frozen."""
        if isinstance(value, tuple):
            return tuple(self._key(v, prim, name, inputs, args) for v in value)
        if not isinstance(value, np.ndarray):
            return value
        k = inputs.get(id(value))
        if k is None:
            self.frozen.append((value, value, "an array in op params", prim.name))
            return ARRAY
        if value.dtype == np.bool_ and name in prim.mask_params:
            raise Unsupported(_WHY["mask"].format(op=prim.name, k=arg_name(args, k)))
        return (ARG, k)

    def require_agreement(self, reference):
        """Raise Unsupported, saying why, unless this tape agrees with ``reference`` (an earlier call's)."""
        for i, (mine, theirs) in enumerate(itertools.zip_longest(self.structure, reference.structure)):
            if mine != theirs:
                raise Unsupported(_WHY["graph"].format(i=i, mine=_describe(mine), theirs=_describe(theirs)))
        if (self.outputs, self.form) != (reference.outputs, reference.form):
            raise Unsupported(_WHY["outputs"])
        if any(a is not b for a, b in zip(self.leaves, reference.leaves)):
            raise Unsupported(_WHY["leaves"])
        if any(t() is u() for t, u in zip(self.nodes, reference.nodes)):  # alive in both: made outside fn
            raise Unsupported(_WHY["outside"])
        for (a, mine, what, user), (b, theirs, *_) in zip(self.frozen, reference.frozen):
            if a is not b and fingerprint(mine) != fingerprint(theirs):  # bytes, as the pins: -0.0 is not 0.0
                hint = _WHY["numpy argument"] if self.numpy_floats else ""
                raise Unsupported(_WHY["constant"].format(what=what, shape=mine.shape, user=user) + hint)
        self.externals = [a is b for a, b in zip(self.constants, reference.constants)]

    def sources(self, args):
        """(name in the plan's code, values, what a pin holds: the array, or the tensor by version) of the
        arguments, the leaves and the external constants."""
        found = [(f"a{k}", arg_array(a), arg_array(a)) for k, a in enumerate(args) if arg_array(a) is not None]
        found += [(f"L{j}", t.data, t) for j, t in enumerate(self.leaves)]
        return found + [(f"E{j}", t.data, t) for j, t in enumerate(self.constants) if self.externals[j]]


def _describe(entry):
    if entry is None:
        return "the graph's end"
    return f"{entry[1].name} of shape {entry[4]} {entry[5]}" if entry[0] == "op" else f"{entry[0]} {entry[1]}"
