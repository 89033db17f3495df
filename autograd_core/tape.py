"""What ``ag.compile`` learns from one traced call: a Tape.

A ``Tape`` is the recorded graph of one call in topological order (read through the public
graph API), with the origin of every leaf: an argument, a tensor that requires grad, or a
constant. Two tapes of the same function are compared to tell real constants from values
that only looked constant once (replay.py turns an agreed tape into code).
"""

import hashlib
import weakref

import numpy as np

from .tensor import Tensor
from .walk import walk

ARG, ARRAY = object(), object()  # markers inside a params key: (marker, index)


class Unsupported(Exception):
    """fn does something a replay cannot reproduce; the message says what and what to do."""


def arg_array(a):
    """The array an argument contributes (None for a static Python value)."""
    return a.data if isinstance(a, Tensor) else a if isinstance(a, np.ndarray) else None


def fingerprint(array):
    """A digest of an array's shape, dtype and bytes: equal values give equal fingerprints (a
    collision could only make a changed value look unchanged, which keeps it pinned: safe)."""
    array = np.ascontiguousarray(array)
    return array.shape, array.dtype.str, hashlib.blake2b(array, digest_size=16).digest()


class Tape:
    """One traced call. ``structure`` (ops, wiring, params, shapes, dtypes) must be equal between
    two calls for their tapes to agree; ``leaves`` (tensors that require grad) must be the same
    objects; ``constants`` and ``arrays`` (in op params) the same objects or equal values."""

    def __init__(self, loss, args, call_args):
        self.order = walk([loss])
        self.arg_arrays = [arg_array(a) for a in args]
        self.grad_args = {k for k, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad}
        self.leaves, self.constants, self.arrays, self.structure = [], [], [], []
        inputs = {}  # id of a tracing argument or of an argument's array -> argument index
        for k, a in enumerate(call_args):
            if isinstance(a, Tensor) and not (a.requires_grad and a is args[k]):
                inputs.setdefault(id(a), k)  # a stand-in for a tensor that needs no gradient
        for k, array in enumerate(self.arg_arrays):
            if array is not None:
                inputs.setdefault(id(array), k)
        position = {id(t): i for i, t in enumerate(self.order)}
        for t in self.order:
            if t.prim is not None:
                if t.retains_grad:
                    raise Unsupported(
                        "retain_grad() on a tensor inside fn: a replay makes no tensors to keep "
                        "a gradient on; return what you need from fn or call fn directly"
                    )
                params = tuple((name, self._key(value, t.prim, name, inputs)) for name, value in t.params.items())
                entry = (
                    "op",
                    t.prim,
                    tuple(position[id(p)] for p in t.parents),
                    params,
                    t.shape,
                    t.dtype,
                    t.requires_grad,
                )
            elif id(t) in inputs:
                entry = ("input", inputs[id(t)])
            elif t.requires_grad:
                entry = ("leaf", len(self.leaves))
                self.leaves.append(t)
            elif id(t.data) in inputs:
                entry = ("input", inputs[id(t.data)])  # e.g. Tensor(X) made inside fn from an argument X
            else:
                entry = ("constant", len(self.constants))
                self.constants.append(t)
            self.structure.append(entry)
        self.loss_needs_grad = bool(self.leaves) and self.needs_grad()[-1]
        self.specs = [(t, t.shape, t.dtype, t.requires_grad) for t in self.leaves + self.constants]
        self.nodes = [weakref.ref(t) for t in self.order if t.prim is not None]  # not their arrays

    def still_holds(self):
        """False when a tensor this tape read has since changed shape, dtype or requires_grad."""
        return all(
            t.shape == shape and t.dtype == dtype and t.requires_grad == needs for t, shape, dtype, needs in self.specs
        )

    def _key(self, value, prim, name, inputs):
        """A params value with arrays replaced by markers: an argument's array, or a frozen array."""
        if isinstance(value, np.ndarray):
            k = inputs.get(id(value))
            if k is not None:
                if value.dtype == np.bool_ and name in prim.mask_params:
                    raise Unsupported(
                        f"{prim.name} with boolean mask argument {k}: its output shape depends "
                        "on the mask's values; use integer indices (np.nonzero(mask)) of a fixed "
                        "count, or call fn directly"
                    )
                return (ARG, k)
            self.arrays.append(value)
            return (ARRAY, len(self.arrays) - 1)
        if isinstance(value, tuple):
            return tuple(self._key(v, prim, name, inputs) for v in value)
        return value

    def needs_grad(self):
        """Per position: does a gradient have to reach it (a leaf, or an op above one)?"""
        needs = []
        for entry in self.structure:
            needs.append(entry[0] == "leaf" or (entry[0] == "op" and entry[6] and any(needs[p] for p in entry[2])))
        return needs

    def mismatch(self, reference, check_nodes=True):
        """None when this tape agrees with ``reference`` (an earlier call's), else why not."""
        for i, (mine, theirs) in enumerate(zip(self.structure, reference.structure)):
            if mine != theirs:
                return (
                    f"the recorded graph differs between two calls at node {i} ({_describe(mine)} vs "
                    f"{_describe(theirs)}): fn's control flow or the tensors it reads depend on values"
                )
        if len(self.structure) != len(reference.structure):
            return (
                f"the recorded graph has {len(self.structure)} nodes in one call and "
                f"{len(reference.structure)} in another: fn's control flow depends on values"
            )
        if any(a is not b for a, b in zip(self.leaves, reference.leaves)):
            return (
                "fn uses different tensors that require grad in two calls (made inside fn with "
                "requires_grad=True?); the leaves must be the same tensors"
            )
        if check_nodes and any(t() is u() for t, u in zip(self.nodes, reference.nodes)):
            return "fn uses a tensor computed outside it, with its graph; compute it inside fn or detach() it"
        pairs = [("a constant", a, a.data, b.data) for a, b in zip(self.constants, reference.constants) if a is not b]
        pairs += [("an array in op params", a, a, b) for a, b in zip(self.arrays, reference.arrays) if a is not b]
        for what, value, mine, theirs in pairs:
            if (
                mine.shape != theirs.shape
                or mine.dtype != theirs.dtype
                or not np.array_equal(mine, theirs, equal_nan=mine.dtype.kind in "fc")
            ):
                return (
                    f"{what} of shape {mine.shape} (used by {self._user_of(value)}) changed between two "
                    "calls: it was computed from tensor values (.data, .item(), numpy) or from state outside "
                    "fn's arguments (random numbers?); pass it as an argument, or build it with tensor ops"
                )
        return None

    def _user_of(self, value):
        for t in self.order:  # value is a parent, a param, or an array in a param's tuple (an index)
            if any(p is value for p in t.parents) or any(
                v is value or (type(v) is tuple and any(w is value for w in v)) for v in t.params.values()
            ):
                return t.prim.name
        return "an op"

    def sources(self, reference=None):
        """What a replay reads that may change between calls, mapped to its current array: ('arg', k)
        for arguments that need no gradient, ('leaf', j), and ('constant', j) for tensors from outside
        fn (the same object in ``reference``: its values are read each call)."""
        found = {("arg", k): a for k, a in enumerate(self.arg_arrays) if a is not None and k not in self.grad_args}
        found.update({("leaf", j): t.data for j, t in enumerate(self.leaves)})
        found.update(
            {
                ("constant", j): t.data
                for j, t in enumerate(self.constants)
                if reference is None or t is reference.constants[j]
            }
        )
        return found

    def drop_graph(self):
        """Drop the recorded graph (its activations): nothing reads it once a plan is generated."""
        self.order = None

    def strip(self):
        """Drop the graph and the arguments (kept: structure, leaves, constants, arrays, weak nodes)."""
        self.order = self.arg_arrays = None


def _describe(entry):
    if entry[0] == "op":
        return f"{entry[1].name} of shape {entry[4]} {entry[5]}"
    return " ".join(str(e) for e in entry[:2])
