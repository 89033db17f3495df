"""Reverse-mode backward: the chain rule applied over the recorded graph, in reverse topological order.

The engine owns every mechanic, so primitives stay a forward and a vjp: scheduling, accumulation of
gradients from several paths, undoing broadcasting (``sum_to``), checking each gradient's shape and dtype,
spending the graph, detecting tensors changed in place after they were saved, and calling anomaly mode's
checks (anomaly.py). Handing a complete gradient to whoever waits for it (a leaf's ``.grad``, hooks,
``retain_grad``) is delivery.py's.

The schedule is PyTorch's: every recorded operation is numbered as it is made (``op_numbers``), after its
inputs, so a node made later never feeds one made earlier. Backward keeps the operations that have part of
their gradient in a heap and runs the one made last: everything that consumes it was made after it and has
run, so its gradient is complete. No walk orders the graph first and nothing recurses (a 10^6-deep chain is
fine). An input made after every operation waiting (the next link of a chain: most of a scalar graph) runs
next without going through the heap. A gradient with several parts adds them in the order its consumers ran,
the order ag.compile's replay adds them in too. What must be refused before anything is touched (a spent
graph, a saved tensor changed in place) costs one comparison per node; only when a node is spent or older than
the last in-place change, or before the first hook runs, is the rest of the graph walked (``graph_state.check_rest``).
Given inputs (``backward(inputs=)``, ``grad()``), only the ops on a path down to them run (``graph_state.on_paths``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from heapq import heapify, heappop, heappush
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np

from .anomaly import check_backward

# The delivery of complete gradients (delivery.py), imported as module globals: _run calls them per leaf.
# (accumulate_grad stays importable from here: ag.compile and replay take it from the engine.)
from .delivery import _given_before, _listed_inputs, _post_hooks, _run_hooks, _sole, _visit_watched, accumulate_grad
from .grad_mode import current_switches, reset_switches, set_switches
from .graph_state import SPENT, MutationClock, check_rest, on_paths, watched
from .primitives import sum_to
from .tensor_base import TensorBase

if TYPE_CHECKING:
    from .primitives import Primitive
    from .tensor import Tensor
    from .types import Array, TensorLike

#: A gradient in flight: an ndarray in a plain backward, a Tensor with create_graph (the vjps use only the
#: operations both share, so the engine treats them alike).
Grad: TypeAlias = Any

_ARRAY_TYPES = (np.ndarray, np.generic)
_NOTHING_CAPTURED: dict[Any, Any] = {}  # backward()'s: only ever read (a write needs the key already in it)
_FLOAT_SCALARS = frozenset((np.float16, np.float32, np.float64, np.longdouble))  # a 0-d value in the engine
_SCALAR_ONES = {kind: kind(1) for kind in _FLOAT_SCALARS}  # the seed of a 0-d root
# The seed's argument and the reduced call, as each caller spells them, for its errors
_SEED_NAME = {"backward": "grad", "grad": "grad_outputs"}
_REDUCED = {"backward": "y.sum().backward() or y.mean().backward()", "grad": "ag.grad(y.sum(), inputs)"}


def backward(
    roots: Sequence[Tensor],
    grads: Sequence[TensorLike | None],
    retain_graph: bool = False,
    create_graph: bool = False,
    inputs: Tensor | Iterable[Tensor] | None = None,
) -> None:
    """Accumulate the gradients of ``roots`` (seeded with ``grads``) into the leaves' ``.grad``, or with
    ``inputs`` into those tensors' ``.grad`` only, running only the ops on a path to them (PyTorch's)."""
    targets = None if inputs is None else dict.fromkeys(_listed_inputs(inputs))  # (a tensor listed twice: once)
    if len(roots) == 1:  # Tensor.backward's case: no list built, no loop (~0.1 us of a scalar neuron's 18)
        seeds: Sequence[Grad] = (_seed("backward", roots[0], grads[0], create_graph),)
    else:
        seeds = []
        for root, grad in zip(roots, grads):  # (a loop: CPython 3.11 runs a comprehension as a function call)
            seeds.append(_seed("backward", root, grad, create_graph))
    _run(roots, seeds, retain_graph or create_graph, create_graph, targets, True)


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor] | None = None,
    grad_outputs: TensorLike | Sequence[TensorLike | None] | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Tensor | None, ...]:
    """Gradients of ``outputs`` with respect to ``inputs``, returned (not stored in ``.grad``).

    With ``create_graph=True`` the results are recorded Tensors, so they can be
    differentiated again (Hessian-vector products, gradient penalties).

    >>> x = Tensor(3.0, requires_grad=True)
    >>> (dx,) = grad(x ** 3, x, create_graph=True)    # 3x^2 = 27
    >>> grad(dx, x)                                     # 6x = 18
    (Tensor(18.),)
    """
    if inputs is None:  # (a default only to say this: JAX's grad(f) takes a function)
        raise TypeError(
            "grad(outputs, inputs) takes tensors, as torch.autograd.grad: grad(loss, [w, b]); for JAX's "
            "grad(f)(x), a function's gradient, use ag.value_and_grad(f)(x)[1]"
        )
    outs: tuple[Tensor, ...] = _as_tuple(outputs, iterable=True)
    ins: tuple[Tensor, ...] = _as_tuple(inputs, iterable=True)
    seeds_given = (None,) * len(outs) if grad_outputs is None else _as_tuple(grad_outputs)
    if len(seeds_given) != len(outs):
        raise ValueError(f"grad: {len(outs)} outputs but {len(seeds_given)} grad_outputs")
    for kind, tensors in (("output", outs), ("input", ins)):
        for i, t in enumerate(tensors):
            if not isinstance(t, TensorBase):
                raise TypeError(
                    f"grad: {kind} {i} is a {type(t).__name__}, not a Tensor: both the outputs and the inputs must be "
                    "Tensors of one recorded graph, e.g. grad(loss, [w, b]) with w = Tensor(..., requires_grad=True)"
                )
    for i, t in enumerate(ins):
        if not t.requires_grad:
            raise RuntimeError(
                f"grad: input {i} (shape {t.shape}) does not require grad; create it with requires_grad=True"
            )
    seeds = [_seed("grad", out, g, create_graph) for out, g in zip(outs, seeds_given)]
    captured = dict.fromkeys(ins)
    _run(outs, seeds, create_graph if retain_graph is None else retain_graph, create_graph, captured, False)
    results = []
    for i, t in enumerate(ins):
        g = captured[t]
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad: input {i} (shape {t.shape}) got no gradient: it is not part of the graph of the outputs "
                "(or a Function's backward returned None for it); pass allow_unused=True to get None for it"
            )
        if g is not None and isinstance(g, _ARRAY_TYPES):
            g = type(t)(np.array(g, dtype=t.dtype))
        results.append(g)
    return tuple(results)


# ---------------------------------------------------------------------------------- internals
def _as_tuple(x: Any, iterable: bool = False) -> tuple[Any, ...]:  # iterable: any (model.parameters()), as torch's
    many = isinstance(x, (tuple, list)) or (iterable and isinstance(x, Iterable) and not isinstance(x, TensorBase))
    return tuple(x) if many else (x,)


def _seed(caller: str, root: Tensor, grad: TensorLike | None, create_graph: bool) -> Grad:
    if not root.requires_grad:
        raise RuntimeError(
            f"{caller}: this tensor (shape {root.shape}) does not require grad, so there is nothing to "
            "differentiate: it was built under no_grad(), from detached tensors, from leaves made "
            "without requires_grad=True, or through an op constant in its input (sign, heaviside, round, a "
            "comparison, argmax: zero derivative wherever it has one; a sigmoid is the smooth step). Create "
            "the inputs you want gradients for with Tensor(..., requires_grad=True)."
        )
    if grad is None:
        data = root._data
        # A 0-d seed is a numpy scalar, as 0-d values are inside the engine: 10x cheaper to make
        # than np.ones(()), and every vjp after it computes on scalars (4x cheaper than 0-d arrays).
        if type(data) is not np.ndarray:  # a 0-d value held as a numpy scalar: the 1 of its own type
            one = _SCALAR_ONES.get(type(data)) or type(data)(1)  # (immutable, so one is shared: ~80 ns less)
        elif data.size != 1:
            raise RuntimeError(
                f"{caller}: the gradient can only be implied for a one-element tensor, this one has "
                f"shape {root.shape}. Reduce it first ({_REDUCED[caller]}) or pass "
                f"{_SEED_NAME[caller]}= an array of shape {root.shape} (dL/dy)."
            )
        else:
            one = data.dtype.type(1) if data.ndim == 0 else np.ones(data.shape, data.dtype)
        return type(root)(one) if create_graph else one
    if create_graph and not isinstance(grad, _ARRAY_TYPES) and hasattr(grad, "_prim"):
        seed: Grad = grad  # a Tensor seed may itself carry a graph (double backward through it)
    else:
        try:
            seed = np.array(grad, dtype=root.dtype)  # a copy: it may end up as a leaf's .grad
        except (TypeError, ValueError) as error:
            raise TypeError(
                f"{caller}: {_SEED_NAME[caller]} must be numbers of the tensor's shape {root.shape} (a Tensor, array "
                f"or nested list: dL/dy), got {type(grad).__name__} {grad!r:.60} ({error})"
            ) from None
    if seed.shape != root.shape:
        raise RuntimeError(
            f"{caller}: {_SEED_NAME[caller]} has shape {seed.shape} but the tensor has shape {root.shape}; "
            "the seed gradient must have the tensor's own shape"
        )
    return type(root)(seed) if create_graph and isinstance(seed, _ARRAY_TYPES) else seed


def _run(
    roots: Sequence[Tensor],
    seeds: Sequence[Grad],
    retain_graph: bool,
    create_graph: bool,
    targets: dict[Tensor, Grad] | None,
    into_grad: bool,
) -> None:
    # targets None: every leaf's .grad. Else only the ops on a path down to a target run (PyTorch's), and each
    # target's gradient goes into its .grad (into_grad: backward(inputs=)) or into `targets` (grad()).
    path = None if targets is None else on_paths(roots, targets)
    # The gradients received so far: an operation's until it runs, a leaf's until the end (delivered in this order).
    grads: dict[Tensor, Grad] = {}
    waiting: list[tuple[int, Tensor]] = []  # a heap of (-number, operation): the one made last on top
    for root, seed in zip(roots, seeds):
        if path is not None and root not in path:
            continue  # no target below it
        previous = grads.get(root)
        grads[root] = seed if previous is None else previous + seed
        if previous is None and root._prim is not None:
            heappush(waiting, (-root._seq, root))  # (numbers are unique: a Tensor is never compared)
    pop, get = grads.pop, grads.get  # bound once: two lookups less per node
    capture = _NOTHING_CAPTURED if targets is None else targets
    watching = targets is not None or bool(watched)  # any node to stop at: else none is asked (graph_state.watched)
    switches = current_switches()
    anomaly = switches.anomaly
    ndarray = np.ndarray  # (a local: read for every gradient)
    now = MutationClock.now
    link: Tensor | None
    link_g: Grad

    # `with set_grad_enabled(create_graph):`, written out: the context manager costs as much as
    # a few nodes' backward, which a small graph (a scalar neuron) notices.
    token = set_switches(switches.with_grad(create_graph))
    try:
        while waiting:
            node = heappop(waiting)[1]
            g = pop(node)
            while True:  # runs `node`, then the next link of a chain without going through the heap
                parents, prim = node._parents, node._prim
                if node._epoch < now:  # spent, or something was changed in place since it was made (rare)
                    check_rest(roots, node, waiting, now, retain_graph, path)
                    now = SPENT  # all that is left is checked (and no node is below SPENT)
                if watching:
                    if node._watched or node in capture:
                        if now != SPENT:  # its hooks and .grad are seen from outside: check all that is left first
                            check_rest(roots, node, waiting, now, retain_graph, path)
                            now = SPENT
                        g = _visit_watched(node, g, create_graph, into_grad, capture)
                    if path is not None:
                        parents = path[node]  # (an input off every path to the targets: a constant)
                if not retain_graph:
                    node._epoch = SPENT
                vjp = prim.vjp  # type: ignore[union-attr]
                # `link`: an input made after every operation waiting, so none of them feeds it and all of its
                # consumers have run (this node is its last): it runs next, its gradient held here, not in grads.
                link = link_g = None
                # The vjp's arguments: the output's and inputs' arrays, or with create_graph the Tensors. One or
                # two inputs without params (every operator, exp, tanh: nearly every node of a scalar graph) are
                # passed by name: CPython makes that call ~80 ns cheaper than one unpacking *inputs, **params.
                # When only one input needs a gradient (exp, tanh; y * a with a constant a: nearly every node of
                # a chain; sum, reshape, W.T: one input and params), the loop below is written out for it (`single`,
                # ~80 ns a node less, ~0.5 us with params: no counter, no loop, no arity to dispatch on, no list of
                # inputs). The same steps, in the same order.
                single = None
                plain = not (create_graph or node._params)
                if len(parents) == 1 and not create_graph:
                    if parents[0].requires_grad:
                        i, parent = 0, parents[0]
                        if plain:
                            single = vjp(0, g, node._data, parent._data)
                        elif prim.vjp_add is None or anomaly or not _sole(previous := get(parent)):  # type: ignore[union-attr]
                            single = vjp(0, g, node._data, parent._data, **node._params)
                        else:  # x[k] of many k: g added into x's gradient so far in place, O(g) rather than O(x)
                            prim.vjp_add(previous, g, **node._params)  # type: ignore[union-attr]
                elif plain and len(parents) == 2 and parents[0].requires_grad != parents[1].requires_grad:
                    i = 0 if parents[0].requires_grad else 1
                    parent = parents[i]
                    single = vjp(i, g, node._data, parents[0]._data, parents[1]._data)
                else:
                    if not plain or len(parents) > 2:
                        (out, inputs), arity = _vjp_arguments(node, create_graph), 0
                        fresh: list[tuple[int, Tensor]] = []  # the inputs that start waiting (heap below)
                    else:  # (one assignment each: four targets at once would build a tuple per node)
                        out = node._data
                        x0, x1 = parents[0]._data, parents[1]._data
                        arity = 2
                    i = -1  # (a counter, not enumerate(): one object less per node)
                    for parent in parents:
                        i += 1
                        if not parent.requires_grad:
                            continue
                        gi = vjp(i, g, out, x0, x1) if arity == 2 else vjp(i, g, out, *inputs, **node._params)
                        data = parent._data
                        # A numpy scalar of its input's own type has the input's shape and dtype (the type fixes
                        # both: a scalar graph's case), so one comparison. Else compare both (numpy shares dtypes).
                        # (An array gradient is the common case, so it is asked first: one comparison less.)
                        if (kind := type(gi)) is ndarray:
                            if gi.shape != data.shape or gi.dtype is not data.dtype:
                                gi = _fit(gi, data, node._prim, i)  # type: ignore[arg-type]
                        elif kind is not type(data):
                            if gi is None:  # the vjp's "no gradient" (a Function's backward returned None for it)
                                continue
                            if gi.shape != data.shape or gi.dtype is not data.dtype:
                                gi = _fit(gi, data, node._prim, i)  # type: ignore[arg-type]
                        if anomaly:
                            check_backward(node, g, gi, i)
                        if parent is link:  # x * x: the parts added in input order, as below
                            link_g = link_g + gi
                            continue
                        if parent._prim is not None and (not waiting or parent._seq > -waiting[0][0]):
                            if link is None:
                                link, link_g = parent, gi
                                continue
                            if parent._seq > link._seq:  # two links: the one made last runs next, the other waits
                                link, link_g, parent, gi = parent, gi, link, link_g
                        previous = get(parent)
                        # Out of place: a gradient may be held by several nodes (add hands g itself to both).
                        grads[parent] = gi if previous is None else previous + gi
                        if previous is None and parent._prim is not None:
                            if arity:
                                heappush(waiting, (-parent._seq, parent))
                            else:  # many inputs (a stack's): joined below at once, not sifted up one by one
                                fresh.append((-parent._seq, parent))
                    if not arity and fresh:
                        if len(fresh) > len(waiting) >> 4:  # many beside those waiting: one O(n) heapify
                            waiting += fresh
                            heapify(waiting)
                        else:
                            for entry in fresh:
                                heappush(waiting, entry)
                    if link is not None:
                        g = link_g
                if single is not None:  # (None: the vjp's "no gradient", as in the loop)
                    data = parent._data
                    # (An array from a primitive that declares vjp_fits_input needs no check: exp, tanh...)
                    if (kind := type(single)) is not type(data) or (
                        kind is ndarray
                        and not prim.vjp_fits_input  # type: ignore[union-attr]
                        and (single.shape != data.shape or single.dtype is not data.dtype)
                    ):
                        single = _fit(single, data, node._prim, i)  # type: ignore[arg-type]
                    if anomaly:
                        check_backward(node, g, single, i)
                    if parent._prim is not None and (not waiting or parent._seq > -waiting[0][0]):
                        link, g = parent, single
                    else:
                        previous = get(parent)
                        grads[parent] = single if previous is None else previous + single
                        if previous is None and parent._prim is not None:
                            heappush(waiting, (-parent._seq, parent))
                if link is None:
                    break
                node = link
        _deliver(grads, into_grad, capture, create_graph)
    finally:
        reset_switches(token)


def _deliver(grads: dict[Tensor, Grad], into_grad: bool, captured: dict[Tensor, Grad], create_graph: bool) -> None:
    """Hand the leaves' complete gradients (what is left in ``grads``, in the order the leaves were first
    reached: after a pruned run, the targets' only) to their ``.grad`` or to grad()."""
    # Which arrays a leaf's .grad may keep as they are: one that no other leaf got. A vjp may hand g's own
    # memory on (add gives g to both inputs, reshape a view of it); the first leaf keeps it, the others copy.
    # (A numpy scalar, a scalar graph's gradient, is immutable: nothing to check.)
    owners: set[int] = set()
    float_scalars, array, ndarray = _FLOAT_SCALARS, np.array, np.ndarray  # (locals: read for every leaf)
    for leaf, g in grads.items():
        hooked = leaf._hooks
        if into_grad:
            if hooked:
                g = _run_hooks(leaf, g, create_graph)
            if type(g) in float_scalars and leaf.grad is None:
                leaf.grad = array(g)  # a scalar graph's leaf: accumulate_grad's first case, inlined
            else:
                accumulate_grad(leaf, g, bool(hooked) or (type(g) is ndarray and _given_before(g, owners)))
            if hooked:
                _post_hooks(leaf)
        else:
            captured[leaf] = _run_hooks(leaf, g, create_graph) if hooked else g


def _vjp_arguments(node: Tensor, create_graph: bool) -> tuple[Any, Sequence[Any]]:
    """(out, inputs) for a vjp called with ``*inputs, **params``: the arrays, or with create_graph the
    Tensors (the node and its parents), so that the vjp's formula records a graph."""
    parents = node._parents
    if create_graph:
        return node, parents
    if node._prim.vjp_reads_inputs:  # type: ignore[union-attr]
        return node._data, [p._data for p in parents]
    # n vjp calls each unpacking n inputs would cost O(n^2): a primitive whose vjp needs only g and its
    # params (concatenate slices g by precomputed bounds) declares vjp_reads_inputs = False.
    return node._data, ()


def _fit(g: Grad, data: Array | np.generic, prim: type[Primitive], i: int) -> Grad:
    """Sum a broadcast gradient back to its input's shape; check shape, match dtype."""
    shape = data.shape
    if g.shape != shape:
        try:
            fitted = sum_to(g, shape)
        except (ValueError, IndexError):
            fitted = g
        if fitted.shape != shape:
            raise RuntimeError(
                f"{prim.name}: grad for input {i} has shape {g.shape}, expected {shape} (a bug in this primitive's vjp)"
            )
        g = fitted
    if g.dtype != data.dtype:
        if data.dtype.kind not in "fc":  # `t.requires_grad = True` on integers skips __init__'s check
            raise RuntimeError(
                f"{prim.name}: input {i} is a {data.dtype} tensor that requires grad, so its {g.dtype} gradient "
                f"would be truncated to {data.dtype}; only floating-point tensors can require grad: "
                "make it with dtype=ag.float64 (or .double(), .float()) before setting requires_grad"
            )
        g = g.astype(data.dtype)  # float32 inputs get float32 gradients after a float64 mix
    return g
