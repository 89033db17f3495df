"""``torch.autograd.functional``'s spellings: ``jacobian(func, inputs)``, ``hessian``, ``vjp(func, inputs, v)``,
``jvp``, ``hvp`` and ``vhp`` take the point at once (``ag.jacobian(f)(x)``, JAX's, returns a function first)
and return what torch's return: ``inputs`` is a Tensor or a tuple of them, and each result comes back shaped
the same way (a tuple of inputs gives a tuple; a tuple of outputs and a tuple of inputs, a tuple of tuples).

Results are detached, unless ``create_graph=True``: then they are differentiable with respect to the inputs
(and to the tensors those were computed from). ``strict=True`` raises when an output does not depend on an
input (torch's check); otherwise such a block is zeros. Built on ``ag.grad`` (one backward per row, forward
mode by the double-vjp trick), so ``vectorize`` and the strategies are accepted and give the same values.

>>> from autograd_core.autograd.functional import jacobian, vjp
>>> jacobian(lambda x: x ** 2, Tensor([1.0, 2.0]))
Tensor([[2., 0.],
        [0., 4.]])
>>> vjp(lambda x: x ** 2, Tensor([1.0, 2.0]), Tensor([1.0, 10.0]))
(Tensor([1., 4.]), Tensor([ 2., 40.]))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..engine import grad
from ..functions import stack
from ..grad_mode import enable_grad
from ..tensor import Tensor

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]

_STRATEGIES = ("reverse-mode", "forward-mode")


def vjp(
    func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple[Any, Any]:
    """``(func(*inputs), v^T J)``: the vector-Jacobian product, shaped like ``inputs``; ``v`` is shaped like
    func's output (None only when that is one number).

    >>> vjp(lambda x: x.sum(), Tensor([1.0, 2.0]))
    (Tensor(3.), Tensor([1., 1.]))
    """
    xs, tuple_in = _as_tuple("vjp", "inputs", inputs)
    args = _prepared(xs, create_graph)
    with enable_grad():
        outs, tuple_out = _as_tuple("vjp", "outputs of func", func(*args))
        vs = _vectors("vjp", v, outs, "func's output", tuple_out)
        found = _vjp("vjp", outs, args, vs, create_graph, strict)
    return _shaped(_keep(outs, create_graph), tuple_out), _shaped(found, tuple_in)


def jvp(
    func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple[Any, Any]:
    """``(func(*inputs), J v)``: the Jacobian-vector product, shaped like func's output; ``v`` is shaped like
    ``inputs`` (None only when that is one number). Forward mode by two backward passes (double vjp).

    >>> jvp(lambda x: x ** 2, Tensor([1.0, 3.0]), Tensor([1.0, 1.0]))
    (Tensor([1., 9.]), Tensor([2., 6.]))
    """
    xs, tuple_in = _as_tuple("jvp", "inputs", inputs)
    vs = _vectors("jvp", v, xs, "inputs", tuple_in)
    args = _prepared(xs, create_graph)
    with enable_grad():
        outs, tuple_out = _as_tuple("jvp", "outputs of func", func(*args))
        found = _double_vjp("jvp", outs, args, vs, create_graph, strict)
    return _shaped(_keep(outs, create_graph), tuple_out), _shaped(found, tuple_out)


def jacobian(
    func: Callable[..., Any],
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    strategy: str = "reverse-mode",
) -> Any:
    """The Jacobian of ``func`` at ``inputs``: a Tensor ``out.shape + x.shape`` for one input and one output,
    a tuple over inputs, over outputs, or (both tuples) outputs outside and inputs inside, as torch's.

    >>> jacobian(lambda x, y: x * y, (Tensor([1.0, 2.0]), Tensor(3.0)))[1]
    Tensor([1., 2.])
    """
    _check_strategy("jacobian", "strategy", strategy, vectorize)
    xs, tuple_in = _as_tuple("jacobian", "inputs", inputs)
    args = _prepared(xs, create_graph)
    with enable_grad():
        outs, tuple_out = _as_tuple("jacobian", "outputs of func", func(*args))
        blocks = _jacobian("jacobian", outs, args, create_graph, strict)
    rows = [_shaped(row, tuple_in) for row in blocks]
    return _shaped(rows, tuple_out)


def hessian(
    func: Callable[..., Any],
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    outer_jacobian_strategy: str = "reverse-mode",
) -> Any:
    """The Hessian of ``func`` (returning one number) at ``inputs``: ``x.shape + x.shape`` for one input,
    a tuple of tuples ``H[i][j] = d2f / dx_i dx_j`` for a tuple of them.

    >>> hessian(lambda x: (x ** 3).sum(), Tensor([1.0, 2.0]))
    Tensor([[ 6.,  0.],
            [ 0., 12.]])
    """
    _check_strategy("hessian", "outer_jacobian_strategy", outer_jacobian_strategy, vectorize)
    xs, tuple_in = _as_tuple("hessian", "inputs", inputs)
    args = _prepared(xs, create_graph)
    with enable_grad():
        gradient = _vjp("hessian", (_one_number("hessian", func(*args)),), args, (None,), True, strict)
        blocks = _jacobian("hessian", tuple(gradient), args, create_graph, strict)
    rows = [_shaped(row, tuple_in) for row in blocks]
    return _shaped(rows, tuple_in)


def vhp(
    func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple[Any, Any]:
    """``(func(*inputs), v^T H)``: func returns one number; ``v`` and the result are shaped like ``inputs``.
    Reverse over reverse (the gradient's vjp with v).

    >>> vhp(lambda x: (x ** 3).sum(), Tensor([1.0, 2.0]), Tensor([1.0, 1.0]))
    (Tensor(9.), Tensor([ 6., 12.]))
    """
    return _hessian_product("vhp", func, inputs, v, create_graph, strict)


def hvp(
    func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple[Any, Any]:
    """``(func(*inputs), H v)``: as ``vhp`` with the Hessian on the other side (the gradient's jvp, by double
    vjp); the two agree wherever the Hessian is symmetric (f twice continuously differentiable).

    >>> hvp(lambda x: (x ** 3).sum(), Tensor([1.0, 2.0]), Tensor([1.0, 0.0]))
    (Tensor(9.), Tensor([6., 0.]))
    """
    return _hessian_product("hvp", func, inputs, v, create_graph, strict)


# ---------------------------------------------------------------------------------- internals
def _hessian_product(name: str, func: Callable[..., Any], inputs: Any, v: Any, create: bool, strict: bool) -> Any:
    xs, tuple_in = _as_tuple(name, "inputs", inputs)
    vs = _vectors(name, v, xs, "inputs", tuple_in)
    args = _prepared(xs, create)
    with enable_grad():
        value = _one_number(name, func(*args))
        gradient = tuple(_vjp(name, (value,), args, (None,), True, strict))
        product = _vjp if name == "vhp" else _double_vjp
        found = product(name, gradient, args, vs, create, strict)
    return _keep((value,), create)[0], _shaped(found, tuple_in)


def _as_tuple(name: str, what: str, value: Any) -> tuple[tuple[Tensor, ...], bool]:
    """``value`` as a tuple of Tensors and whether it was one (torch's ``_as_tuple``), or a TypeError."""
    is_tuple = isinstance(value, (tuple, list))
    values = tuple(value) if is_tuple else (value,)
    for i, x in enumerate(values):
        if not isinstance(x, Tensor):
            raise TypeError(
                f"ag.autograd.functional.{name}: the {what} must be a Tensor or a tuple of Tensors, but "
                f"{'the value at index ' + str(i) if is_tuple else 'it'} is a {type(x).__name__}; wrap numbers "
                "with ag.tensor(...)"
            )
    return values, is_tuple


def _prepared(xs: tuple[Tensor, ...], create_graph: bool) -> tuple[Tensor, ...]:
    """Fresh leaves to differentiate at; with create_graph an input that requires grad stays in its graph."""
    return tuple(x if create_graph and x.requires_grad else x.detach().requires_grad_() for x in xs)


def _vectors(name: str, v: Any, like: tuple[Tensor, ...], what: str, is_tuple: bool) -> tuple[Any, ...]:
    """``v`` checked against the tensors it multiplies (None: only for one tensor of one element)."""
    if v is None:
        if len(like) != 1 or like[0].size != 1:
            raise ValueError(
                f"ag.autograd.functional.{name}: v can be None only when {what} is a single Tensor with a single "
                f"element; give v shaped like {what} ({[tuple(t.shape) for t in like]})"
            )
        return (None,)
    vs, v_tuple = _as_tuple(name, "v", v)
    if v_tuple != is_tuple or len(vs) != len(like) or any(a.shape != b.shape for a, b in zip(vs, like)):
        raise ValueError(
            f"ag.autograd.functional.{name}: v must be shaped like {what}: {[tuple(t.shape) for t in like]}, "
            f"got {[tuple(t.shape) for t in vs]}{' (a tuple)' if v_tuple else ''}"
        )
    return vs


def _vjp(
    name: str, outs: tuple[Tensor, ...], args: tuple[Tensor, ...], vs: Any, create: bool, strict: bool
) -> list[Tensor]:
    """``sum_k v_k^T d out_k / d args``, zeros for an input no output depends on (an error if ``strict``)."""
    live = [(o, v) for o, v in zip(outs, vs) if o.requires_grad]
    if strict and len(live) < len(outs):
        raise RuntimeError(f"ag.autograd.functional.{name}: an output of func does not require gradients (strict=True)")
    found = grad([o for o, _ in live], args, [v for _, v in live], True, create, True) if live else (None,) * len(args)
    for i, g in enumerate(found):
        if g is None and strict:
            raise RuntimeError(
                f"ag.autograd.functional.{name}: the output of func is independent of input {i} (strict=True); "
                "pass strict=False to get zeros for it"
            )
    return [_zeros(x) if g is None else (g if create else g.detach()) for g, x in zip(found, args)]


def _double_vjp(
    name: str, outs: tuple[Tensor, ...], args: tuple[Tensor, ...], vs: Any, create: bool, strict: bool
) -> list[Tensor]:
    """``J v`` with J the Jacobian of ``outs`` in ``args``: u -> J^T u is linear, its vjp along v is J v."""
    us = [Tensor(np.zeros(o.shape, o.dtype), requires_grad=True) for o in outs]
    with enable_grad():
        back = _vjp(name, outs, args, us, True, strict)
        live = [(b, v) for b, v in zip(back, vs) if b.requires_grad]
        found = grad([b for b, _ in live], us, [v for _, v in live], True, create, True) if live else [None] * len(us)
    return [_zeros(o) if g is None else (g if create else g.detach()) for g, o in zip(found, outs)]


def _jacobian(
    name: str, outs: tuple[Tensor, ...], args: tuple[Tensor, ...], create: bool, strict: bool
) -> list[list[Tensor]]:
    """One row of blocks per output: block (k, i) is ``out_k.shape + args[i].shape``, one vjp per element."""
    blocks = []
    for out in outs:
        rows: list[list[Tensor]] = [[] for _ in args]
        for j in range(out.size):
            unit = Tensor(np.eye(1, out.size, j, dtype=out.dtype).reshape(out.shape))
            for i, g in enumerate(_vjp(name, (out,), args, (unit,), create, strict)):
                rows[i].append(g)
        blocks.append(
            [
                stack(r).reshape(out.shape + x.shape) if r else Tensor(np.zeros(out.shape + x.shape, x.dtype))
                for r, x in zip(rows, args)
            ]
        )
    return blocks


def _one_number(name: str, out: Any) -> Tensor:
    if not isinstance(out, Tensor) or out.size != 1:
        what = f"shape {out.shape}" if isinstance(out, Tensor) else type(out).__name__
        raise ValueError(f"ag.autograd.functional.{name}: func must return a Tensor of one element, got {what}")
    return out


def _zeros(x: Tensor) -> Tensor:
    return Tensor(np.zeros(x.shape, x.dtype))


def _keep(outs: tuple[Tensor, ...], create: bool) -> list[Tensor]:
    return [o if create else o.detach() for o in outs]


def _shaped(values: list[Any], is_tuple: bool) -> Any:
    return tuple(values) if is_tuple else values[0]


def _check_strategy(name: str, argument: str, strategy: str, vectorize: bool) -> None:
    if strategy not in _STRATEGIES:
        raise ValueError(f"ag.autograd.functional.{name}: {argument} must be 'reverse-mode' or 'forward-mode'")
    if strategy == "forward-mode" and not vectorize:
        raise ValueError(f"ag.autograd.functional.{name}: {argument}='forward-mode' needs vectorize=True (as torch)")
