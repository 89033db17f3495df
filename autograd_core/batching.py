"""``vmap``, JAX's vectorising map, for a define-by-run engine: f is called once per example.

JAX traces f once and rewrites every primitive to work on a batch; an engine that runs Python as it
goes has no trace to rewrite, so ``vmap`` here slices the mapped arguments, calls f on each example
and stacks the results with ``ag.stack``. The semantics are JAX's exactly (f only ever sees one
example, whatever it does), the gradients flow (slicing and stacking are recorded ops), and it
nests with the other transforms; the cost is one Python call of f per example, and a backward to
a mapped input that requires grad scatters each example's gradient into it.

The arguments and results may be pytrees: dicts, lists and tuples of arrays (a list of plain numbers
is one array, as everywhere in autograd_core). ``in_axes``/``out_axes`` are an int, None, or a
matching container prefix of them, as in JAX.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from numbers import Number
from typing import Any

import numpy as np

from .functions import stack
from .tensor import Tensor


def vmap(
    f: Callable[..., Any], in_axes: Any = 0, out_axes: Any = 0, *, axis_size: int | None = None
) -> Callable[..., Any]:
    """JAX's ``vmap``: a function mapping ``f`` over an axis of its arguments, stacking its results.

    ``in_axes`` says which axis of each positional argument is the batch: an int for every argument,
    None for an argument every example shares, or a tuple/list with one entry per argument (each an
    int, None, or a dict/list/tuple prefix of that argument's own containers). Keyword arguments are
    mapped over their axis 0, as in JAX. ``out_axes`` places the batch axis in the results (None:
    a result every example shares, checked equal). ``axis_size`` is the batch size when no argument
    is mapped. Works on Tensors, numpy arrays and numbers, composes with ``value_and_grad``,
    ``jacobian`` and ``vmap`` itself, and gradients flow through it.

    Honest cost: f runs once per example (a Python call each; JAX's traced vmap makes one batched
    call), so a function that already handles batches is faster called on the batch directly.

    >>> xs, w = Tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), Tensor([10.0, 1.0])
    >>> vmap(lambda x, w: (x * w).sum(), in_axes=(0, None))(xs, w)
    Tensor([12., 34., 56.])
    >>> vmap(lambda x: x * 2, in_axes=1, out_axes=1)(xs).shape
    (3, 2)
    """
    if not callable(f):
        raise TypeError(f"vmap(f, in_axes, out_axes): f must be a function, got {type(f).__name__}")
    if isinstance(in_axes, dict):
        raise TypeError(
            "vmap: in_axes is a dict; at the top level it must be an int, None, or a tuple/list with one entry "
            "per positional argument (wrap it: in_axes=({...},) for a function of one dict)"
        )
    _check_spec("in_axes", in_axes)
    _check_spec("out_axes", out_axes)
    if axis_size is not None and (not isinstance(axis_size, (int, np.integer)) or axis_size < 0):
        raise ValueError(f"vmap: axis_size must be an int >= 0, got {axis_size!r}")

    def vmapped(*args: Any, **kwargs: Any) -> Any:
        if isinstance(in_axes, (list, tuple)):
            if len(in_axes) != len(args):
                raise ValueError(
                    f"vmap: in_axes has {len(in_axes)} entries but f was called with {len(args)} positional "
                    "arguments; give one entry (an int or None) per argument"
                )
            axes: list[Any] = list(in_axes)
        else:
            axes = [in_axes] * len(args)
        named = [(f"argument {i}", arg, axis) for i, (arg, axis) in enumerate(zip(args, axes))]
        named += [(f"keyword argument {key!r}", value, 0) for key, value in kwargs.items()]
        plans = [_plan(name, arg, axis) for name, arg, axis in named]
        size = _batch_size([m for plan in plans for m in plan if isinstance(m, _Mapped)], axis_size)
        outputs = []
        for i in range(size):
            given = [_example(arg, plan, i) for (_, arg, _), plan in zip(named, plans)]
            outputs.append(f(*given[: len(args)], **dict(zip(kwargs, given[len(args) :]))))
        return _stack_outputs(outputs, out_axes)

    vmapped.__name__ = f"vmap({getattr(f, '__name__', type(f).__name__)})"
    vmapped.__doc__ = f.__doc__
    return vmapped


# ---------------------------------------------------------------------------------- pytrees
def _is_container(x: Any) -> bool:
    """A dict, or a list/tuple that is not plain numbers (``[1.0, 2.0]`` is one array, as in Tensor(...))."""
    return isinstance(x, dict) or (isinstance(x, (list, tuple)) and not _is_numbers(x))


def _is_numbers(x: Any) -> bool:
    if isinstance(x, (list, tuple)):
        return bool(x) and all(_is_numbers(v) for v in x)
    return isinstance(x, (Number, np.generic)) and not isinstance(x, str)


def _children(x: Any) -> list[Any]:
    return list(x.values()) if isinstance(x, dict) else list(x)


def _rebuild(like: Any, children: list[Any]) -> Any:
    if isinstance(like, dict):
        return type(like)(zip(like.keys(), children))
    return type(like)(*children) if hasattr(like, "_fields") else type(like)(children)


def _leaves(x: Any) -> list[Any]:
    """The leaves in order, None left out (an empty pytree, as in JAX)."""
    if _is_container(x):
        return [leaf for child in _children(x) for leaf in _leaves(child)]
    return [] if x is None else [x]


def _check_spec(name: str, spec: Any) -> None:
    """in_axes / out_axes hold ints, None and containers of them only."""
    if isinstance(spec, (dict, list, tuple)):
        for child in _children(spec):
            _check_spec(name, child)
    elif spec is not None and (isinstance(spec, bool) or not isinstance(spec, (int, np.integer))):
        raise TypeError(f"vmap: {name} must hold ints (axes) and None (not mapped), got {spec!r}")


def _match(name: str, x: Any, spec: Any, where: str) -> Iterator[tuple[str, Any, Any]]:
    """(path, leaf, axis) for each leaf of ``x``, its axis from the prefix ``spec`` (JAX's tree prefix)."""
    if not isinstance(spec, (dict, list, tuple)):  # (a spec's tuple of ints is a container, not an array)
        if _is_container(x):
            for key, child in _items(x):
                yield from _match(name, child, spec, f"{where}{key}")
        elif x is not None:  # None is an empty pytree, as in JAX
            yield where, x, spec
        return
    same = (isinstance(spec, dict) and isinstance(x, dict) and spec.keys() == x.keys()) or (
        isinstance(spec, (list, tuple)) and isinstance(x, (list, tuple)) and len(spec) == len(x)
    )
    if not same:
        raise ValueError(
            f"vmap: {name} {spec!r} does not match the structure of {where} ({_describe(x)}); give an int or None, "
            "or a container with the argument's own keys/length"
        )
    for (key, child), child_spec in zip(_items(x), _children(spec)):
        yield from _match(name, child, child_spec, f"{where}{key}")


def _items(x: Any) -> list[tuple[str, Any]]:
    return [(f"[{k!r}]", v) for k, v in x.items()] if isinstance(x, dict) else [(f"[{i}]", v) for i, v in enumerate(x)]


def _describe(x: Any) -> str:
    if isinstance(x, (Tensor, np.ndarray)):
        return f"{type(x).__name__} of shape {x.shape}"
    return type(x).__name__ + (f" of length {len(x)}" if isinstance(x, (list, tuple, dict)) else "")


# ---------------------------------------------------------------------------------- inputs
class _Mapped:
    """One mapped leaf: its value (a Tensor or array), its batch axis (non-negative) and its name."""

    def __init__(self, where: str, value: Any, axis: int) -> None:
        self.where, self.axis = where, axis
        self.value = value if isinstance(value, (Tensor, np.ndarray)) else np.asarray(value)
        self.size = self.value.shape[axis]

    def example(self, i: int) -> Any:
        """Example i: a recorded getitem of a Tensor (gradients flow back), a numpy view of an array."""
        return self.value[(slice(None),) * self.axis + (i,)]


def _plan(name: str, arg: Any, axis: Any) -> list[Any]:
    """Each leaf of ``arg`` in order: a ``_Mapped`` where its axis is an int, else the leaf itself."""
    plan: list[Any] = []
    unmap = (
        "pass it positionally with in_axes None, or bind it with functools.partial (keyword arguments are mapped "
        "over axis 0, as in JAX)"
        if name.startswith("keyword")
        else "give it in_axes None (shared by every example)"
    )
    for where, leaf, leaf_axis in _match("in_axes", arg, axis, name):
        if leaf_axis is None:
            plan.append(leaf)
            continue
        if not isinstance(leaf, (Tensor, np.ndarray)) and not _is_numbers(leaf):
            raise TypeError(
                f"vmap: {where} is a {type(leaf).__name__}, which has no axis to map; {unmap}, or pass an array"
            )
        shape = np.shape(leaf.data if isinstance(leaf, Tensor) else leaf)
        ndim = len(shape)
        if not ndim or not -ndim <= leaf_axis < ndim:
            raise ValueError(
                f"vmap: in_axes {leaf_axis} for {where} of shape {shape} is out of range: a {ndim}-d array has "
                + (f"axes -{ndim}..{ndim - 1}" if ndim else f"no axis to map: {unmap}")
            )
        plan.append(_Mapped(where, leaf, int(leaf_axis) % ndim))
    return plan


def _batch_size(mapped: list[_Mapped], axis_size: int | None) -> int:
    sizes = {leaf.size for leaf in mapped} | ({int(axis_size)} if axis_size is not None else set())
    if not sizes:
        raise ValueError(
            "vmap: in_axes maps no argument (all None), so the batch size is unknown; map one argument "
            "or pass axis_size"
        )
    if len(sizes) > 1:
        found = ", ".join(
            f"{leaf.where} of shape {leaf.value.shape} has size {leaf.size} on axis {leaf.axis}" for leaf in mapped
        )
        given = f", axis_size={axis_size}" if axis_size is not None else ""
        raise ValueError(f"vmap got inconsistent sizes for the mapped axis: {found}{given}; they must be equal")
    (size,) = sizes
    if size == 0:
        raise ValueError(
            "vmap: the mapped axis has size 0; vmap here calls f once per example, so with none it cannot "
            "find the shape of f's result (JAX traces f instead)"
        )
    return size


def _example(arg: Any, plan: list[Any], i: int) -> Any:
    """``arg`` with each mapped leaf replaced by its i-th slice (itself when nothing in it is mapped)."""
    if not any(isinstance(m, _Mapped) for m in plan):
        return arg
    return _fill(arg, iter(m.example(i) if isinstance(m, _Mapped) else m for m in plan))


# ---------------------------------------------------------------------------------- outputs
def _stack_outputs(outputs: list[Any], out_axes: Any) -> Any:
    first = outputs[0]
    for i, out in enumerate(outputs[1:], 1):
        if _structure(out) != _structure(first):
            raise ValueError(
                f"vmap: f returned {_structure(first)} for example 0 but {_structure(out)} for example {i}; "
                "every example must give results of one structure"
            )
    specs = list(_match("out_axes", first, out_axes, "result"))
    per_leaf = zip(*[_leaves(out) for out in outputs])
    stacked = [_stack_leaf(where, list(values), axis) for (where, _, axis), values in zip(specs, per_leaf)]
    return _fill(first, iter(stacked))


def _structure(x: Any) -> str:
    """The containers of ``x`` with ``*`` for each array: ``{'loss': *, 'grads': (*, *)}``."""
    if isinstance(x, dict):
        return "{" + ", ".join(f"{key!r}: {_structure(value)}" for key, value in x.items()) + "}"
    if _is_container(x):
        inner = ", ".join(_structure(child) for child in x) + ("," if len(x) == 1 and isinstance(x, tuple) else "")
        return f"[{inner}]" if isinstance(x, list) else f"{type(x).__name__ if hasattr(x, '_fields') else ''}({inner})"
    return "None" if x is None else "*"


def _fill(like: Any, leaves: Iterator[Any]) -> Any:
    if _is_container(like):
        return _rebuild(like, [_fill(child, leaves) for child in _children(like)])
    return like if like is None else next(leaves)


def _stack_leaf(where: str, values: list[Any], axis: int | None) -> Any:
    arrays = [np.asarray(v.data if isinstance(v, Tensor) else v) for v in values]
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        raise ValueError(
            f"vmap: {where} has shapes {sorted(shapes)} across examples; to stack them every example's must match"
        )
    if axis is None:  # a result every example shares (JAX: unmapped); refuse one that depends on the example
        if any(not np.array_equal(arrays[0], a, equal_nan=a.dtype.kind in "fc") for a in arrays[1:]):
            raise ValueError(
                f"vmap: out_axes None for {where}, but its values differ between examples; map it (an int) "
                "or return something every example shares"
            )
        return values[0]
    ndim = arrays[0].ndim + 1
    if not -ndim <= axis < ndim:
        raise ValueError(
            f"vmap: out_axes {axis} for {where} of shape {arrays[0].shape} is out of range: the stacked result "
            f"has {ndim} axes, -{ndim}..{ndim - 1}"
        )
    if any(isinstance(v, Tensor) for v in values):
        return stack(values, axis=int(axis))  # recorded: gradients flow to every example
    return np.stack(arrays, axis=int(axis))
