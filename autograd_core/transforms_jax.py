"""JAX's remaining transform names: ``vjp`` (reverse mode as a function of the cotangent), ``jacfwd`` /
``jacrev``, ``jacobian``'s forward and reverse modes, and ``hessian``, which also take dicts and lists of
Tensors (JAX's pytrees) as arguments and results and give the Jacobians in their shape. Built on transforms.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .functions import cat
from .grad_mode import current_switches, enable_grad
from .tensor import Tensor
from .transforms import (
    Argnums,
    _check_argnums,
    _closes_over,
    _grads,
    _is_tree,
    _leaves,
    _pick,
    _prepare,
    _rebuild,
    _scalar_output,
    jacobian,
    value_and_grad,
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
    recording = current_switches().grad_enabled
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
    nested = nested or _closes_over(outs, inputs, recording)

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


def jacfwd(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., Any]:
    """JAX's ``jacfwd``: ``jacobian(f, argnums, mode="forward")`` (column by column, from jvps: for tall
    Jacobians), also for a dict/list argument, whose Jacobians come back in its shape, and for f returning a
    tuple/list/dict of Tensors: then one Jacobian per output, in that shape (outputs outside, arguments inside).

    >>> jacfwd(lambda x: x ** 2)(Tensor([1.0, 2.0]))
    Tensor([[2., 0.],
            [0., 4.]])
    """
    return _jacobian_of_trees("jacfwd", f, argnums, "forward")


def jacrev(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., Any]:
    """JAX's ``jacrev``: ``jacobian(f, argnums, mode="reverse")`` (row by row, from vjps: for wide
    Jacobians), with dicts/lists as arguments and results as ``jacfwd``'s.

    >>> jacrev(lambda p: p["w"] * p["b"])({"w": Tensor([1.0, 2.0]), "b": Tensor(3.0)})["b"]
    Tensor([1., 2.])
    >>> jacrev(lambda x: (x * 2, x.sum()))(Tensor([1.0, 2.0]))[1]
    Tensor([1., 1.])
    """
    return _jacobian_of_trees("jacrev", f, argnums, "reverse")


def hessian(f: Callable[..., Tensor], argnums: Argnums = 0) -> Callable[..., Any]:
    """``f: R^n -> R`` -> a function returning its matrix of second derivatives, ``x.shape + x.shape``
    (the Jacobian of the gradient: reverse over reverse). As JAX's, a dict/list argument or a tuple
    ``argnums`` gives the blocks nested: ``hessian(f)(p)["w"]["b"]`` is d2f / dw db.

    >>> hessian(lambda x: (x ** 3).sum())(Tensor([1.0, 2.0]))
    Tensor([[ 6.,  0.],
            [ 0., 12.]])
    >>> hessian(lambda p: (p["w"] ** 2).sum() * p["b"])({"w": Tensor([1.0, 2.0]), "b": Tensor(3.0)})["w"]["b"]
    Tensor([2., 4.])
    """
    argnums = _check_argnums("hessian", argnums)

    def loss(*args: Any) -> Tensor:  # (checked here, so an error names hessian)
        return _scalar_output("hessian", f(*args))

    return _jacobian_of_trees("hessian", lambda *args: value_and_grad(loss, argnums)(*args)[1], argnums, "auto")


def _jacobian_of_trees(name: str, f: Callable[..., Any], argnums: Argnums, mode: Any) -> Callable[..., Any]:
    """``jacobian`` with each dict/list argument's leaves passed as arguments of their own, and a dict/list/tuple
    result's leaves raveled into one vector (one Jacobian, one set of passes), then both regrouped."""
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

        results: list[Any] = []  # f's result when it is a dict/list/tuple

        def f_flat(*given: Any) -> Tensor:
            rebuilt = list(given[: len(args)])
            for i, where, tree in zip(picks, positions, trees):
                if tree is not None:
                    rebuilt[i] = _rebuild(tree, iter(given[k] for k in where))
            out = f(*rebuilt)
            if isinstance(out, Tensor):
                return out
            if not _is_tree(out):
                kind = type(out).__name__
                raise TypeError(f"{name}: f must return a Tensor or a tuple/list/dict of them, got {kind}")
            results.append(out)
            outs = _leaves(out)
            if not all(isinstance(o, Tensor) for o in outs):
                kinds = ", ".join(sorted({type(o).__name__ for o in outs if not isinstance(o, Tensor)}))
                raise TypeError(
                    f"{name}: f returned a {type(out).__name__} holding {kinds}; its leaves must be Tensors"
                )
            return cat([o.reshape(-1) for o in outs])

        order = tuple(k for where in positions for k in where)
        found = jacobian(f_flat, order, mode)(*flat)  # a tuple: one Jacobian per flat argument
        if not results:
            return _pick(argnums, found, trees)
        start, per_output = 0, []
        for o in _leaves(results[-1]):  # each output's rows of every Jacobian, in the output's shape
            rows = [J[start : start + o.size].reshape(o.shape + J.shape[1:]) for J in found]
            per_output.append(_pick(argnums, rows, trees))
            start += o.size
        return _rebuild(results[-1], iter(per_output))

    return jacobian_f


def _detached(out: Any) -> Any:
    if isinstance(out, Tensor):
        return out.detach()
    return _rebuild(out, iter([o.detach() for o in _leaves(out)]))
