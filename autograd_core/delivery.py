"""Where a complete gradient goes once backward has it: the leaves' ``.grad``, hooks, ``retain_grad()``.

The engine (engine.py) computes every node's gradient; this module delivers it to whoever waits for it:
``accumulate_grad`` adds it into a tensor's ``.grad`` (backward's leaves, retained non-leaves, and
``ag.compile``'s replays), ``_given_before`` tells whether a leaf may keep the array without a copy,
``_run_hooks`` calls ``register_hook``'s functions and ``_visit_watched`` handles an operation someone
watches (its hooks, ``retain_grad()``, the tensors ``backward(inputs=...)`` or ``grad()`` asks for);
``_listed_inputs`` checks what ``backward(inputs=...)`` was given.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, cast

import numpy as np

from .graph_state import structure_changed
from .tensor_base import Hook, TensorBase

if TYPE_CHECKING:
    from .engine import Grad
    from .tensor import Tensor
    from .types import Array


def _given_before(g: Grad, owners: set[int]) -> bool:
    """Whether the memory of array ``g`` already went to another leaf in this backward (numpy points
    every view's ``base`` at the array that owns the memory); remembers it for the next leaves."""
    owner = id(g if g.base is None else g.base)
    if owner in owners:
        return True
    owners.add(owner)
    return False


def _sole(a: object) -> bool:
    """Is ``a`` an array that only the engine holds (its dict of gradients and the local it was just read into),
    owning its memory? Then a vjp may add into it in place (``Primitive.vjp_add``): no one else sees it change.
    CPython counts an object's references; the count to expect is measured once, by the same steps (``_SOLE``)."""
    return type(a) is np.ndarray and a.base is None and a.flags.writeable and sys.getrefcount(a) == _SOLE


def _sole_count() -> int:
    """The references a sole array has when asked, measured as the engine asks; -1 (never sole: adds out of place)
    outside CPython or when the count is not one CPython gives (4; 3 where locals are borrowed): a debugger that
    copied this frame's locals would inflate the count, and a shared array could then pass for a sole one."""
    if sys.implementation.name != "cpython":
        return -1
    held = {0: np.empty(1)}
    count = _count(previous := held.get(0))  # as the engine: read into a local, then ask
    del previous
    return count if count in (3, 4) else -1


def _count(a: object) -> int:
    return sys.getrefcount(a)


_SOLE = _sole_count()


def _visit_watched(node: Tensor, g: Grad, create_graph: bool, into_grad: bool, capture: dict[Tensor, Grad]) -> Grad:
    """An operation's complete gradient ``g`` where someone waits for it: its hooks (which may replace
    it), then its ``.grad`` after ``retain_grad()`` (grad()'s runs too, as PyTorch's) or when
    ``backward(inputs=...)`` lists it (once, if both), and ``grad()``'s result for it."""
    if node._hooks:
        g = _run_hooks(node, g, create_graph)
    listed = node in capture
    if node._retains_grad or (into_grad and listed):
        accumulate_grad(node, g)
    if listed and not into_grad:
        capture[node] = g
    return g


class HookHandle:
    """What ``register_hook`` returns: ``handle.remove()`` unregisters the hook."""

    def __init__(self, hooks: list[Hook], hook: Hook) -> None:
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        """Unregister the hook (a second call does nothing)."""
        for i, h in enumerate(self._hooks):
            if h is self._hook:
                del self._hooks[i]
                structure_changed()  # a compiled step may replay again
                return


class PostAccumulateGradHook:
    """A ``register_post_accumulate_grad_hook`` function, kept in the leaf's hook list (so its handle and the
    engine's one check for hooks serve it too) but called after ``.grad`` is updated, with the leaf."""

    __slots__ = ("hook",)

    def __init__(self, hook: Callable[[Tensor], None]) -> None:
        self.hook = hook

    def __call__(self, grad: Tensor) -> None:
        """As a gradient hook it changes nothing (returns None): ``_run_hooks`` passes it by."""


def _post_hooks(leaf: Tensor) -> None:
    """The leaf's post-accumulate-grad hooks, in the order registered, once its ``.grad`` holds the sum."""
    for hook in list(leaf._hooks or ()):
        if isinstance(hook, PostAccumulateGradHook) and hook.hook(leaf) is not None:
            raise TypeError(
                f"post-accumulate-grad hook {getattr(hook.hook, '__name__', hook.hook)!r} returned a value; it is "
                "called with the tensor after .grad is updated and must return None (change p.grad in place, or "
                "use register_hook to replace the gradient)"
            )


def _run_hooks(node: Tensor, g: Grad, create_graph: bool) -> Grad:
    """Tensor.register_hook: each hook sees the gradient as a Tensor; a returned value replaces it."""
    for hook in list(node._hooks or ()):
        if isinstance(hook, PostAccumulateGradHook):
            continue  # runs after accumulation (_post_hooks)
        result = hook(g if create_graph else type(node)(g))
        if result is None:
            continue
        if create_graph:
            result = result if isinstance(result, type(node)) else type(node)(result)
        else:
            result = np.asarray(result.data if isinstance(result, type(node)) else result)
        if result.shape != node.shape:
            raise RuntimeError(
                f"hook {getattr(hook, '__name__', hook)!r} on a tensor of shape {node.shape} returned "
                f"a gradient of shape {result.shape}; a hook must return the shape it was given"
            )
        g = result if result.dtype == node.dtype else result.astype(node.dtype)
    return g


def apply_hooks(t: Tensor, g: Array) -> Array:
    """``g`` after ``t``'s ``register_hook`` functions, as backward applies them when ``t``'s gradient is
    complete (each may replace it); for a tool replaying backward (``viz.animate_backward``).

    >>> from autograd_core import Tensor
    >>> h = Tensor([1.0, 2.0], requires_grad=True) * 2
    >>> _ = h.register_hook(lambda g: g * 10)
    >>> apply_hooks(h, np.ones(2))
    array([10., 10.])
    """
    return _run_hooks(t, np.asarray(g, dtype=t.dtype), False) if t._hooks else g


def accumulate_grad(t: Tensor, g: Array | np.generic | Tensor, shared: bool = False) -> None:
    """Add gradient ``g`` into ``t.grad`` as backward does: a first gradient is kept as it is when
    nobody else holds it (``shared`` False) and it is a plain writable array, else copied; later
    ones are added in place (``+=``). ag.compile delivers its gradients through here too.

    >>> from autograd_core import Tensor
    >>> w = Tensor([1.0, 2.0], requires_grad=True)
    >>> accumulate_grad(w, np.ones(2)); accumulate_grad(w, np.ones(2)); w.grad
    array([2., 2.])
    """
    if isinstance(g, np.ndarray):
        if t.grad is None:
            # Kept without a copy only if nobody else holds it and it is a plain writable buffer
            # (a broadcast view is read-only); a retained non-leaf's gradient still flows on.
            keep = not shared and t._prim is None and g.flags.writeable
            t.grad = g if keep else g.copy()
        else:
            t.grad += g
    else:  # a numpy scalar (a 0-d value in the engine), or a Tensor with create_graph: .grad gets a new
        # array of its values (0-d too), never the node's buffer
        value = g if isinstance(g, np.generic) else g._data
        if t.grad is None:
            t.grad = np.array(value)
        else:
            t.grad += value


def _listed_inputs(inputs: Tensor | Iterable[Tensor]) -> tuple[Tensor, ...]:
    """backward(inputs=...)'s tensors (PyTorch's: a Tensor or any iterable of them), each once, checked."""
    if isinstance(inputs, (str, bytes)) or not isinstance(inputs, (TensorBase, Iterable)):
        raise TypeError(f"backward: inputs must be a Tensor or a list of Tensors, got {type(inputs).__name__}")
    ins = cast("tuple[Tensor, ...]", (inputs,) if isinstance(inputs, TensorBase) else tuple(inputs))
    if not ins:
        raise RuntimeError("backward: inputs is empty; pass the tensors whose .grad to accumulate, or inputs=None")
    for i, t in enumerate(ins):
        if not isinstance(t, TensorBase):
            raise TypeError(f"backward: inputs[{i}] is a {type(t).__name__}, not a Tensor; pass e.g. inputs=[w, b]")
        if not t.requires_grad:
            raise RuntimeError(
                f"backward: inputs[{i}] (shape {t.shape}) does not require grad, so no gradient can reach it; "
                "pass tensors made with requires_grad=True, or computed from them"
            )
    return tuple(dict.fromkeys(ins))
