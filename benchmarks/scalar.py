"""Workload (c): scalar graphs — nodes/s for the cs231n neuron and a 1,000-node expression.

Scalars are 0-d Tensors here, Python floats in micrograd's ``Value``, 0-d float64
tensors in torch and boxed floats in HIPS autograd. A node is one gate of the
expression as written (the neuron has 8: two *, two +, negation, exp, +1, 1/x),
counted the same for every engine whatever it builds internally; nodes/s =
nodes / (forward + backward time). Each case is timed twice, with the same
garbage-collector treatment for every engine: with the cyclic collector paused
inside the timed blocks (pure compute; micrograd's best case), and "gc on" — the
heap frozen (``gc.freeze``) before each block so no engine pays for another's
objects, the collector running as in any program, and a final ``gc.collect()``
charged to the engine that made the garbage (micrograd's ``_backward`` closures
make a reference cycle per node, which only the collector frees). The reference is the chain rule by hand on
Python floats (also the speed limit), itself checked against the cs231n figures
and finite differences in tests/test_benchmarks_references.py.
"""

import math
import random

import numpy as np

from . import peers
from .timing import CheckFailed, check_arrays, compare, timed_fields

NEURON_NODES = 8
NEURON_INPUTS = (2.0, -1.0, -3.0, -2.0, -3.0)  # w0, x0, w1, x1, w2: f = 0.73 in the cs231n notes
EXPRESSION_NODES = 1000
TOLERANCE = 1e-6


# ------------------------------------------------------------------ the cs231n neuron
def neuron(w0, x0, w1, x1, w2, exp):
    """f = 1 / (1 + exp(-(w0*x0 + w1*x1 + w2))), gate by gate, in any engine."""
    return 1 / (1 + exp(-(w0 * x0 + w1 * x1 + w2)))


def neuron_by_hand(w0, x0, w1, x1, w2):
    """Value and gradients (w0, x0, w1, x1, w2) by the chain rule: df/dz = f(1-f)."""
    f = 1 / (1 + math.exp(-(w0 * x0 + w1 * x1 + w2)))
    local = f * (1 - f)
    return f, [local * x0, local * w0, local * x1, local * w1, local]


# ------------------------------------------------------------------ the 1,000-node expression
def make_program(nodes=EXPRESSION_NODES, leaves=10, seed=3):
    """Leaf values and a list of (op, j, c): node k applies op to node k-1 (so every node
    reaches the output) and, for add/mul, to a random earlier node j (fan-out, so gradients
    from several paths must add). Ops other than relu whose result would leave 0.05 < |v| < 1.5
    are replaced by a shift, keeping values and gradients bounded; relu cuts negative values
    to 0 but never sees an exact 0 (its kink, where engines' conventions differ)."""
    rng = random.Random(seed)
    values = [rng.uniform(-1, 1) for _ in range(leaves)]
    program = []
    for k in range(nodes):
        x, j = values[-1], rng.randrange(len(values)) if k >= leaves else k  # every leaf is used
        op, c = (
            rng.choice(("add", "mul", "mul", "relu", "scale", "shift") if k >= leaves else ("add", "mul")),
            rng.uniform(-1, 1),
        )
        value = _apply_float(op, x, values[j], c)
        in_range = x != 0 if op == "relu" else 0.05 < abs(value) < 1.5  # relu may cut to 0 (its point)
        if not in_range:
            op, c = "shift", (0.5 if x < 0.5 else -0.5)
            value = x + c
        program.append((op, j, c))
        values.append(value)
    return values[:leaves], program


def _apply_float(op, x, y, c):
    return {"add": x + y, "mul": x * y, "relu": max(x, 0.0), "scale": x * c, "shift": x + c}[op]


def evaluate(program, leaves, relu):
    """Run the program on any scalar type (Tensor, Value, torch tensor, box, float)."""
    values = list(leaves)
    for op, j, c in program:
        x = values[-1]
        if op == "add":
            values.append(x + values[j])
        elif op == "mul":
            values.append(x * values[j])
        elif op == "relu":
            values.append(relu(x))
        elif op == "scale":
            values.append(x * c)
        else:
            values.append(x + c)
    return values[-1]


def expression_by_hand(leaves, program):
    """Forward on floats, then adjoints in reverse: the reference and the speed limit."""
    values = list(leaves)
    for op, j, c in program:
        values.append(_apply_float(op, values[-1], values[j], c))
    adjoint = [0.0] * len(values)
    adjoint[-1] = 1.0
    first = len(leaves)
    for k in range(len(program) - 1, -1, -1):
        op, j, c = program[k]
        node = first + k
        g, i = adjoint[node], node - 1
        if op == "add":
            adjoint[i] += g
            adjoint[j] += g
        elif op == "mul":
            adjoint[i] += g * values[j]
            adjoint[j] += g * values[i]
        elif op == "relu":
            adjoint[i] += g if values[i] > 0 else 0.0
        elif op == "scale":
            adjoint[i] += g * c
        else:
            adjoint[i] += g
    return values[-1], adjoint[:first]


# ------------------------------------------------------------------ engines
def _ours(graph, inputs):
    import autograd_core as ag

    def run():
        leaves = [ag.Tensor(v, requires_grad=True) for v in inputs]
        graph(leaves, ag.Tensor.exp, ag.Tensor.relu).backward()
        return [0.0 if t.grad is None else float(t.grad) for t in leaves]  # None: not reached

    return run


def _micrograd(graph, inputs):
    Value = peers.micrograd_value()
    if not Value:
        raise ImportError(Value.reason)

    def exp(v):
        """micrograd 0.1.0 has no exp: this adds it in micrograd's own style (its lecture version's)."""
        out = Value(math.exp(v.data), (v,), "exp")

        def _backward():
            v.grad += out.data * out.grad

        out._backward = _backward
        return out

    def run():
        leaves = [Value(v) for v in inputs]
        graph(leaves, exp, Value.relu).backward()
        return [v.grad for v in leaves]

    return run


def _torch(graph, inputs):
    torch = peers.torch()
    if not torch:
        raise ImportError(torch.reason)

    def run():
        leaves = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in inputs]
        graph(leaves, torch.exp, torch.relu).backward()
        return [0.0 if t.grad is None else t.grad.item() for t in leaves]  # None: not reached

    return run


def _hips(graph, inputs):
    found = peers.hips_autograd()
    if not found:
        raise ImportError(found.reason)
    autograd, anp, _ = found
    gradient = autograd.grad(lambda leaves: graph(leaves, anp.exp, lambda x: anp.maximum(x, 0.0)))
    return lambda: [float(g) for g in gradient(list(inputs))]


ENGINES = {"micrograd": _micrograd, "autograd_core": _ours, "torch": _torch, "HIPS autograd": _hips}


def cases():
    """(case name, nodes, graph(leaves, exp, relu), inputs, by-hand function returning grads)."""
    leaves, program = make_program()
    return [
        (
            "cs231n neuron",
            NEURON_NODES,
            lambda ls, exp, relu: neuron(*ls, exp=exp),
            NEURON_INPUTS,
            lambda: neuron_by_hand(*NEURON_INPUTS)[1],
        ),
        (
            f"{EXPRESSION_NODES}-node expression",
            EXPRESSION_NODES,
            lambda ls, exp, relu: evaluate(program, ls, relu),
            leaves,
            lambda: expression_by_hand(leaves, program)[1],
        ),
    ]


def run(settings, engines=ENGINES):
    """Rows for the report: nodes/s, as a ratio to micrograd's."""
    rows = []
    for case, nodes, graph, inputs, by_hand in cases():
        reference = by_hand()
        calls, case_rows = {"hand-written": by_hand}, {}
        case_rows["hand-written"] = {"check": 0.0}
        for name, make in engines.items():
            row = case_rows[name] = {}
            try:
                fn = make(graph, inputs)
            except ImportError as error:
                row.update(status="missing", detail=str(error))
                continue
            try:
                row["check"] = check_arrays(name, [np.array(fn())], [np.array(reference)], TOLERANCE)
                calls[name] = fn
            except CheckFailed as error:
                row.update(status="FAIL", detail=str(error))
            except Exception as error:  # noqa: BLE001 (micrograd's recursion limit, a crash: a failure)
                row.update(status="FAIL", detail=f"{type(error).__name__}: {error}")
        reference_engine = "micrograd" if "micrograd" in calls else None
        for gc_during_timing, mode in ((False, "gc paused"), (True, "gc on")):
            timed = compare(calls, reference_engine, settings, nodes, gc_during_timing)
            for name, checked in case_rows.items():
                row = dict(
                    checked, workload="c", case=f"{case} ({mode})", engine=name, unit="nodes/s", ratio_to="micrograd"
                )
                if name in timed:
                    entry = timed[name]
                    row.update(status="ok", value=1.0 / entry["per_unit_s"], **timed_fields(entry))
                rows.append(row)
    return rows
