"""JAX's remaining transform names: ``vjp`` (reverse mode as a function of the cotangent), and
``jacfwd`` / ``jacrev``, ``jacobian``'s forward and reverse modes, which also take dicts and lists of
Tensors (JAX's pytrees) and give the Jacobians in their shape. Built on transforms.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .grad_mode import enable_grad
from .tensor import Tensor
from .transforms import (
    Argnums,
    _check_argnums,
    _grads,
    _is_tree,
    _leaves,
    _pick,
    _prepare,
    _rebuild,
    jacobian,
)


def vjp(f: Callable[..., Any], *primals: Any, has_aux: bool = False) -> tuple[Any, ...]:
    """JAX's ``vjp``: ``(f(*primals), vjp_fn)``, where ``vjp_fn(u)`` is the tuple of ``u^T df/d(primal)``,
    one per primal (in the primal's shape, a dict/list primal as a dict/list). f returns a Tensor or a
    tuple/list/dict of them, and u matches it. ``vjp_fn`` may be called many times (the graph is kept
    while it lives). ``has_aux=True``: f returns ``(out, aux)`` and this ``(out, vjp_fn, aux)``.

    >>> y, vjp_fn = vjp(lambda x: x * x, Tensor([1.0, 3.0]))
    >>> vjp_fn(Tensor([1.0, 10.0]))
    (Tensor([ 2., 60.]),)
    """
    if not primals:
        raise TypeError("vjp(f, *primals): give the point to differentiate at, e.g. vjp(f, x)")
    trees: list[Any] = []
    args, inputs, nested = _prepare("vjp", primals, tuple(range(len(primals))), trees)
    with enable_grad():
        out = f(*args)
    if has_aux:
        if not (isinstance(out, tuple) and len(out) == 2):
            raise TypeError(f"vjp: with has_aux=True, f must return a pair (out, aux), got {type(out).__name__}")
        out, aux = out
    outs = _leaves(out) if _is_tree(out) else [out]
    for i, o in enumerate(outs):
        if not isinstance(o, Tensor):
            raise TypeError(
                f"vjp: f must return Tensors (or a tuple/list/dict of them); result {i} is a {type(o).__name__}"
            )

    def vjp_fn(cotangent: Any) -> tuple[Any, ...]:
        cotangents = _leaves(cotangent) if _is_tree(cotangent) else [cotangent]
        if len(cotangents) != len(outs):
            raise ValueError(f"vjp_fn: f gave {len(outs)} results but the cotangent has {len(cotangents)} parts")
        for i, (o, u) in enumerate(zip(outs, cotangents)):
            if np.shape(u.data if isinstance(u, Tensor) else u) != o.shape:
                raise ValueError(
                    f"vjp_fn: cotangent {i} has shape {np.shape(u.data if isinstance(u, Tensor) else u)} but f's "
                    f"result {i} has shape {o.shape}; they must match"
                )
        # a cotangent that requires grad (vjp under another transform) keeps the result differentiable
        record = nested or any(isinstance(u, Tensor) and u.requires_grad for u in cotangents)
        with enable_grad():
            grads = _grads(outs, inputs, cotangents, record, retain=True)
        return tuple(_pick(tuple(range(len(primals))), grads, trees))

    value = out if nested else _detached(out)
    return (value, vjp_fn, aux) if has_aux else (value, vjp_fn)


def jacfwd(f: Callable[..., Tensor], argnums: Argnums = 0) -> Callable[..., Any]:
    """JAX's ``jacfwd``: ``jacobian(f, argnums, mode="forward")`` (column by column, from jvps: for tall
    Jacobians), also for a dict/list argument, whose Jacobians come back in its shape.

    >>> jacfwd(lambda x: x ** 2)(Tensor([1.0, 2.0]))
    Tensor([[2., 0.],
            [0., 4.]])
    """
    return _jacobian_of_trees("jacfwd", f, argnums, "forward")


def jacrev(f: Callable[..., Tensor], argnums: Argnums = 0) -> Callable[..., Any]:
    """JAX's ``jacrev``: ``jacobian(f, argnums, mode="reverse")`` (row by row, from vjps: for wide
    Jacobians), also for a dict/list argument, whose Jacobians come back in its shape.

    >>> jacrev(lambda p: p["w"] * p["b"])({"w": Tensor([1.0, 2.0]), "b": Tensor(3.0)})["b"]
    Tensor([1., 2.])
    """
    return _jacobian_of_trees("jacrev", f, argnums, "reverse")


def _jacobian_of_trees(name: str, f: Callable[..., Tensor], argnums: Argnums, mode: Any) -> Callable[..., Any]:
    """``jacobian`` with each dict/list argument's leaves passed as arguments of their own, then regrouped."""
    argnums = _check_argnums(name, argnums)

    def jacobian_f(*args: Any) -> Any:
        picks = (argnums,) if isinstance(argnums, int) else tuple(argnums)
        if not picks or any(not -len(args) <= i < len(args) for i in picks):
            raise ValueError(f"{name}: argnums {argnums!r} does not pick arguments of the {len(args)} given")
        picks = tuple(i % len(args) for i in picks)
        flat, positions, trees = list(args), [], []
        for i in picks:
            if _is_tree(args[i]):
                leaves = _leaves(args[i])
                positions.append(list(range(len(flat), len(flat) + len(leaves))))
                flat += leaves
                trees.append(args[i])
            else:
                positions.append([i])
                trees.append(None)

        def f_flat(*given: Any) -> Tensor:
            rebuilt = list(given[: len(args)])
            for i, where, tree in zip(picks, positions, trees):
                if tree is not None:
                    rebuilt[i] = _rebuild(tree, iter(given[k] for k in where))
            return f(*rebuilt)

        order = tuple(k for where in positions for k in where)
        found = jacobian(f_flat, order, mode)(*flat)
        return _pick(argnums, found, trees)

    return jacobian_f


def _detached(out: Any) -> Any:
    if isinstance(out, Tensor):
        return out.detach()
    return _rebuild(out, iter([o.detach() for o in _leaves(out)]))
