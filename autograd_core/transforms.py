"""Function transforms, as in HIPS autograd, JAX and torch.func: ``value_and_grad``, ``jacobian``,
``hessian``, ``hvp`` and forward mode ``jvp``, all derived from the primitives' vjps.

Forward mode needs no second rule per primitive (the *double-vjp* or transpose trick): the vjp
``u -> J^T u`` is linear in ``u``, so its own vjp, taken along a tangent ``v``, is ``(J^T)^T v = J v``,
the jvp. Backward through the recorded vjp graph (``create_graph=True``) computes it.

A transform works on any function of Tensors and nests: when an argument already requires a
gradient (an outer transform's input), the result stays differentiable with respect to it, so
``hessian(f)`` is simply ``jacobian`` of the gradient of ``f``; so it does when f closes over a tensor that
requires grad (a weight, as in tangent propagation's regulariser ``jvp(lambda x: net(w, x), x, t)``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Literal, overload

import numpy as np

from .engine import grad
from .functions import stack
from .functions_jax import stop_gradient
from .grad_mode import current_switches, enable_grad
from .tensor import Tensor
from .types import Array, TensorLike

#: Which arguments a transform differentiates: one index, or several (then one result per index).
Argnums = int | Sequence[int]

#: How ``jacobian`` builds the matrix: from vjps (rows), jvps (columns), or the fewer of the two.
JacobianMode = Literal["auto", "reverse", "forward"]

#: A transform's results: one Tensor for an int ``argnums``, a tuple of them for several.
Results = Tensor | tuple[Tensor, ...]


@overload
def value_and_grad(
    f: Callable[..., Tensor], argnums: int = 0, has_aux: Literal[False] = False
) -> Callable[..., tuple[Tensor, Tensor]]: ...
@overload
def value_and_grad(
    f: Callable[..., Tensor], argnums: Sequence[int], has_aux: Literal[False] = False
) -> Callable[..., tuple[Tensor, tuple[Tensor, ...]]]: ...
@overload
def value_and_grad(
    f: Callable[..., tuple[Tensor, Any]], argnums: Argnums = 0, *, has_aux: Literal[True]
) -> Callable[..., tuple[tuple[Tensor, Any], Results]]: ...
def value_and_grad(f: Callable[..., Any], argnums: Argnums = 0, has_aux: bool = False) -> Callable[..., Any]:
    """``f`` -> a function returning ``(f(*args), df/d(args[argnums]))``; f must return one number.
    With ``has_aux=True`` (JAX's), f returns ``(loss, aux)`` and the result is ``((loss, aux), grad)``:
    aux (predictions, metrics) comes back as f returned it, without a gradient.

    >>> value, dx = value_and_grad(lambda x: (x ** 3).sum())(Tensor([1.0, 2.0]))
    >>> value, dx
    (Tensor(9.), Tensor([ 3., 12.]))
    >>> (loss, squares), dx = value_and_grad(lambda x: ((x ** 2).sum(), x ** 2), has_aux=True)(Tensor([3.0]))
    >>> loss, dx
    (Tensor(9.), Tensor([6.]))
    """

    argnums = _check_argnums("value_and_grad", argnums)

    def value_and_grad_f(*given: Any) -> tuple[Any, Results]:
        trees: list[Any] = []
        args, inputs, nested = _prepare("value_and_grad", given, argnums, trees)
        recording = current_switches().grad_enabled
        with enable_grad():
            out = f(*args)
            if has_aux:
                if not (isinstance(out, tuple) and len(out) == 2):
                    raise TypeError(
                        f"value_and_grad: with has_aux=True, f must return a pair (loss, aux), got "
                        f"{type(out).__name__}{f' of length {len(out)}' if isinstance(out, tuple) else ''}"
                    )
                out, aux = out
            elif isinstance(out, tuple):
                raise TypeError(
                    f"value_and_grad: f returned a tuple of {len(out)}; for (loss, aux) pass has_aux=True, "
                    "else return the loss alone"
                )
            value = _scalar_output("value_and_grad", out)
            nested = nested or _closes_over((value,), inputs, recording)
            grads = _grads(value, inputs, None, nested)
        if not nested:  # (inside an outer transform both keep their graphs: it differentiates through them)
            value, aux = value.detach(), stop_gradient(aux) if has_aux else None
        return ((value, aux) if has_aux else value), _pick(argnums, grads, trees)

    return value_and_grad_f


@overload
def jacobian(f: Callable[..., Tensor], argnums: int = 0, mode: JacobianMode = "auto") -> Callable[..., Tensor]: ...
@overload
def jacobian(
    f: Callable[..., Tensor], argnums: Sequence[int], mode: JacobianMode = "auto"
) -> Callable[..., tuple[Tensor, ...]]: ...
def jacobian(f: Callable[..., Tensor], argnums: Argnums = 0, mode: JacobianMode = "auto") -> Callable[..., Results]:
    """``f: R^n -> R^m`` -> a function returning its Jacobian, of shape ``out.shape + x.shape``.

    ``mode="reverse"`` builds it row by row from m vjps (backward passes), ``"forward"`` column by
    column from n jvps; ``"auto"`` picks the fewer (reverse when m <= n). With a tuple
    ``argnums`` it returns one Jacobian per argument.

    >>> jacobian(lambda x: x * x)(Tensor([1.0, 3.0]))
    Tensor([[2., 0.],
            [0., 6.]])
    """
    argnums = _check_argnums("jacobian", argnums)
    if mode not in ("auto", "reverse", "forward"):
        raise ValueError(f"jacobian: mode must be 'auto', 'reverse' or 'forward', got {mode!r}")

    def jacobian_f(*given: Any) -> Results:
        args, inputs, nested = _prepare("jacobian", given, argnums)
        recording = current_switches().grad_enabled
        with enable_grad():
            out = _output("jacobian", f(*args))
            nested = nested or _closes_over((out,), inputs, recording)
            n = sum(x.size for x in inputs)
            reverse = mode == "reverse" or (mode == "auto" and out.size <= n)
            blocks = (_reverse_jacobian if reverse else _forward_jacobian)(out, inputs, nested)
        return _pick(argnums, blocks)

    return jacobian_f


def hvp(
    f: Callable[..., Tensor], primals: TensorLike | Sequence[TensorLike], tangents: TensorLike | Sequence[TensorLike]
) -> tuple[Tensor, Tensor | list[Tensor]]:
    """``(f(*primals), H v)``: the Hessian of a scalar ``f`` times ``tangents``, by one double backward
    (no n x n Hessian is formed). ``primals``/``tangents``: a Tensor each, or tuples of them.

    >>> hvp(lambda x: (x ** 3).sum(), Tensor([1.0, 2.0]), Tensor([1.0, 0.0]))
    (Tensor(9.), Tensor([6., 0.]))
    """
    single = not isinstance(primals, (tuple, list))
    primals, tangents = _pairs("hvp", primals, tangents)
    args, inputs, nested = _prepare("hvp", primals, tuple(range(len(primals))))
    recording = current_switches().grad_enabled
    with enable_grad():
        value = _scalar_output("hvp", f(*args))
        nested = nested or _closes_over((value,), inputs, recording)
        grads = grad(value, inputs, create_graph=True, allow_unused=True)
        products = _grads(grads, inputs, tangents, nested)
    value = value if nested else value.detach()
    return value, (products[0] if single else products)


def jvp(
    f: Callable[..., Tensor], primals: TensorLike | Sequence[TensorLike], tangents: TensorLike | Sequence[TensorLike]
) -> tuple[Tensor, Tensor]:
    """Forward mode: ``(f(*primals), J v)``, the directional derivative of ``f`` along ``tangents``, in
    one pass whatever the size of the output (the double-vjp trick, see the module docstring).

    >>> jvp(lambda x: x * x, (Tensor([1.0, 3.0]),), (Tensor([1.0, 1.0]),))
    (Tensor([1., 9.]), Tensor([2., 6.]))
    >>> w = Tensor(2.0, requires_grad=True)  # closed over: the tangent 2 w x is differentiable in w
    >>> jvp(lambda x: w * x * x, Tensor(3.0), Tensor(1.0))[1].backward(); float(w.grad)
    6.0
    """
    primals, tangents = _pairs("jvp", primals, tangents)
    args, inputs, nested = _prepare("jvp", primals, tuple(range(len(primals))))
    recording = current_switches().grad_enabled
    with enable_grad():
        out = _output("jvp", f(*args))
        nested = nested or _closes_over((out,), inputs, recording)
        u = Tensor(np.zeros(out.shape, out.dtype), requires_grad=True)  # any u: J^T u is linear in it
        vjps = (
            grad(out, inputs, grad_outputs=u, create_graph=True, allow_unused=True)
            if out.requires_grad
            else (None,) * len(inputs)
        )
        (tangent_out,) = _grads(vjps, (u,), tangents, nested)
    return (out if nested else out.detach()), tangent_out


# ---------------------------------------------------------------------------------- internals
def _reverse_jacobian(out: Tensor, inputs: tuple[Tensor, ...], nested: bool) -> list[Tensor]:
    """Row i of every block is the vjp with the i-th unit vector of the output."""
    rows = []
    for i in range(out.size):
        seed = np.zeros(out.size, out.dtype)
        seed[i] = 1
        rows.append(_grads(out, inputs, (seed.reshape(out.shape),), nested, retain=True))
    return [
        stack([row[k] for row in rows]).reshape(out.shape + x.shape)
        if rows
        else Tensor(np.zeros(out.shape + x.shape, x.dtype))
        for k, x in enumerate(inputs)
    ]


def _forward_jacobian(out: Tensor, inputs: tuple[Tensor, ...], nested: bool) -> list[Tensor]:
    """Column j of block k is the jvp with the j-th unit vector of input k (double vjp, built once)."""
    u = Tensor(np.zeros(out.shape, out.dtype), requires_grad=True)
    vjps = (
        grad(out, inputs, grad_outputs=u, create_graph=True, allow_unused=True)
        if out.requires_grad
        else (None,) * len(inputs)
    )
    blocks = []
    for g, x in zip(vjps, inputs):
        columns = []
        for j in range(x.size):
            tangent = np.zeros(x.size, x.dtype)
            tangent[j] = 1
            columns.append(_grads((g,), (u,), (tangent.reshape(x.shape),), nested, retain=True)[0])
        blocks.append(
            stack(columns, axis=-1).reshape(out.shape + x.shape)
            if columns
            else Tensor(np.zeros(out.shape + x.shape, x.dtype))
        )
    return blocks


def _grads(
    outputs: Tensor | Sequence[Tensor | None],
    inputs: Sequence[Tensor],
    seeds: Sequence[TensorLike | None] | None,
    nested: bool,
    retain: bool = False,
) -> list[Tensor]:
    """``grad`` that tolerates outputs without a graph and inputs they do not reach (zeros, as JAX)."""
    outputs = outputs if isinstance(outputs, (tuple, list)) else (outputs,)
    seeds = (None,) * len(outputs) if seeds is None else seeds
    live = [(o, s) for o, s in zip(outputs, seeds) if o is not None and o.requires_grad]
    found = (
        grad(
            [o for o, _ in live],
            inputs,
            grad_outputs=[s for _, s in live],
            allow_unused=True,
            retain_graph=retain or nested,
            create_graph=nested,
        )
        if live
        else (None,) * len(inputs)
    )
    return [Tensor(np.zeros(x.shape, x.dtype)) if g is None else g for g, x in zip(found, inputs)]


def _prepare(
    name: str, given: Sequence[Any], argnums: Argnums, trees: list[Any] | None = None
) -> tuple[list[Any], tuple[Tensor, ...], bool]:
    """The arguments with the differentiated ones as Tensors that require grad, those Tensors, and
    whether an outer graph goes through them (then results are recorded, to nest transforms). With a
    ``trees`` list (value_and_grad's), an argument may be a dict or list of Tensors (JAX's pytree): its
    leaves are inputs in order, and ``trees`` gets each argument's tree (None for one Tensor)."""
    args = list(given)
    indices = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    if not indices or any(not isinstance(i, int) or not -len(args) <= i < len(args) for i in indices):
        raise ValueError(f"{name}: argnums {argnums!r} does not pick arguments of the {len(args)} given")
    inputs: list[Tensor] = []
    for i in indices:
        x = args[i]
        if not _is_tree(x):
            args[i] = _input(name, i, x)
            inputs.append(args[i])
        elif trees is None:
            raise TypeError(
                f"{name}: argument {i} is a {type(x).__name__} of Tensors; pass Tensors (value_and_grad takes "
                "dicts and lists of them, as JAX's pytrees)"
            )
        else:
            leaves = [_input(name, i, leaf) for leaf in _leaves(x)]
            args[i] = _rebuild(x, iter(leaves))
            inputs += leaves
        if trees is not None:
            trees.append(x if _is_tree(x) else None)
    nested = any(x is given_x for x, given_x in zip(inputs, _given_leaves(given, indices)))
    return args, tuple(inputs), nested


def _closes_over(outputs: Sequence[Tensor], inputs: Sequence[Tensor], recording: bool) -> bool:
    """Whether f's outputs reach a tensor that requires grad besides the transform's inputs: one f closes over
    (an outer transform's argument, a model's weight). Then, grad mode on, the results are recorded so that its
    gradient flows through them, as JAX's and torch.func's (tangent propagation, gradient penalties, MAML)."""
    seen, stack = {id(x) for x in inputs}, [o for o in outputs if o.requires_grad] if recording else []
    while stack:  # (the private fields: this walk runs on every call of a transform, vmap's per example)
        node = stack.pop()
        if id(node) not in seen:
            seen.add(id(node))
            if node._prim is None:
                return True  # a leaf that requires grad (only those are stacked)
            stack += [p for p in node._parents if p.requires_grad]
    return False


def _input(name: str, i: int, x: Any) -> Tensor:
    """One differentiated value as a Tensor that requires grad (itself, when an outer graph goes through it)."""
    if isinstance(x, Tensor) and x.requires_grad and current_switches().grad_enabled:
        return x
    values = np.asarray(x.data if isinstance(x, Tensor) else x)
    if values.dtype.kind == "c":  # (HIPS autograd differentiates complex functions; this engine is real-valued)
        raise TypeError(
            f"{name}: argument {i} is complex ({values.dtype}); this engine differentiates real numbers only: pass "
            "the real and imaginary parts as two real arguments"
        )
    if values.dtype.kind not in "fiub":
        raise TypeError(f"{name}: argument {i} must be a Tensor or numbers, got {type(x).__name__}")
    if values.dtype.kind != "f":
        raise TypeError(
            f"{name}: argument {i} has dtype {values.dtype}; differentiate with respect to "
            "floating-point data (e.g. Tensor([1.0, 2.0]))"
        )
    return Tensor(values, requires_grad=True)


def _given_leaves(given: Sequence[Any], indices: Sequence[int]) -> list[Any]:
    return [leaf for i in indices for leaf in (_leaves(given[i]) if _is_tree(given[i]) else [given[i]])]


def _is_tree(x: Any) -> bool:
    """A dict, or a list/tuple holding Tensors, numpy arrays or containers (not numbers only): a pytree of
    parameters. Arrays are leaves as in JAX and HIPS: HIPS's examples pass ``[(W, b), ...]`` of numpy arrays."""
    return isinstance(x, dict) or (
        isinstance(x, (list, tuple)) and any(isinstance(v, (Tensor, np.ndarray)) or _is_tree(v) for v in x)
    )


def _leaves(tree: Any) -> list[Any]:
    parts = tree.values() if isinstance(tree, dict) else tree if _is_tree(tree) else None
    return [tree] if parts is None else [leaf for part in parts for leaf in _leaves(part)]


def _rebuild(tree: Any, leaves: Iterator[Any]) -> Any:
    """``tree``'s containers around the next of ``leaves`` in order (a namedtuple and a dict keep their type)."""
    if isinstance(tree, dict):
        return type(tree)((key, _rebuild(value, leaves)) for key, value in tree.items())
    if not _is_tree(tree):
        return next(leaves)
    parts = [_rebuild(part, leaves) for part in tree]
    return type(tree)(*parts) if hasattr(tree, "_fields") else type(tree)(parts)


def _check_argnums(name: str, argnums: Any) -> Any:
    """``argnums`` as ints: it picks arguments by position. A Tensor or numbers there is the call
    ``torch.autograd.functional.jacobian(f, x)``, which gave back a function instead of the Jacobian."""
    picks = list(argnums) if isinstance(argnums, (list, tuple)) else [argnums]
    if not all(isinstance(i, (int, np.integer)) for i in picks):
        torch_call = (  # torch's call, which ag.autograd.functional spells as torch does
            f" (torch.autograd.functional.{name}(f, x) is ag.autograd.functional.{name}(f, x))"
            if name in ("jacobian", "hessian")
            else ""
        )
        raise TypeError(
            f"{name}(f, x): {name} takes the function alone and returns a function to call on x, as JAX's: "
            f"write ag.{name}(f)(x){torch_call}; its second argument, argnums, picks arguments by position, "
            f"got {type(argnums).__name__}"
        )
    picks = [int(i) for i in picks]
    return tuple(picks) if isinstance(argnums, (list, tuple)) else picks[0]


def _pick(argnums: Argnums, results: Sequence[Tensor], trees: Sequence[Any] = ()) -> Results:
    if trees:  # each argument's gradients in the shape of its tree
        found, grouped = iter(results), []
        for tree in trees:
            grouped.append(next(found) if tree is None else _rebuild(tree, found))
        results = grouped
    return results[0] if isinstance(argnums, int) else tuple(results)


def _pairs(
    name: str, primals: TensorLike | Sequence[TensorLike], tangents: TensorLike | Sequence[TensorLike]
) -> tuple[tuple[TensorLike, ...], tuple[Array, ...]]:
    primals = tuple(primals) if isinstance(primals, (tuple, list)) else (primals,)
    tangents = tuple(tangents) if isinstance(tangents, (tuple, list)) else (tangents,)
    if len(primals) != len(tangents):
        raise ValueError(f"{name}: {len(primals)} primals but {len(tangents)} tangents; give one tangent per primal")
    tangents = tuple(t.data if isinstance(t, Tensor) else np.asarray(t) for t in tangents)
    for i, (p, t) in enumerate(zip(primals, tangents)):
        if np.shape(p.data if isinstance(p, Tensor) else p) != t.shape:
            raise ValueError(
                f"{name}: tangent {i} has shape {t.shape} but its primal has shape "
                f"{np.shape(p.data if isinstance(p, Tensor) else p)}; they must match"
            )
    return primals, tangents


def _output(name: str, out: object) -> Tensor:
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}: f must return a Tensor, got {type(out).__name__}")
    return out


def _scalar_output(name: str, out: object) -> Tensor:
    tensor = _output(name, out)
    if tensor.size != 1:
        raise ValueError(
            f"{name}: f must return one number (a loss), got shape {tensor.shape}; "
            "reduce it (.sum(), .mean()) or use jacobian for a vector output"
        )
    return tensor
