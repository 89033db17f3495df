"""``torch.func``'s spellings (functorch) over ag's own transforms: ``ag.func.grad``, ``grad_and_value``,
``vmap``, ``jacrev``, ``jacfwd``, ``hessian``, ``vjp``, ``jvp`` and ``linearize`` take torch.func's arguments and return
what torch.func returns; the work is ``value_and_grad``, ``jacobian`` and ``vmap``'s (transforms.py,
transforms_jax.py, batching.py), so they nest with each other and with ``ag``'s own names.

Where torch.func differs from ``ag``'s JAX-style names: ``grad(f)(x)`` is the gradient (``ag.grad`` is
``torch.autograd.grad``), ``grad_and_value`` returns ``(grad, value)`` (``ag.value_and_grad``: the other
order), ``vmap`` says ``in_dims``/``out_dims`` and passes keyword arguments unmapped, ``hessian`` is
``jacfwd(jacrev(f))`` (so f may return a vector: the result is ``out.shape + x.shape + x.shape``).

``functional_call`` and ``stack_module_state`` need ``nn.Module``, which ``autograd_core`` knows nothing of:
they live in ``nn.func`` (``from nn.func import functional_call, stack_module_state``; also torch's older
``nn.utils.stateless.functional_call``).

>>> from autograd_core.func import grad, vmap
>>> grad(lambda x: (x ** 3).sum())(Tensor([1.0, 2.0]))
Tensor([ 3., 12.])
>>> vmap(grad(lambda x: (x ** 3).sum()))(Tensor([[1.0], [2.0]]))
Tensor([[ 3.],
        [12.]])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import numpy as np

from .batching import vmap as _vmap
from .functions_jax import stop_gradient
from .sampling import default_generator
from .tensor import Tensor
from .transforms import _is_tree, _leaves, value_and_grad
from .transforms import jvp as _jvp
from .transforms_jax import jacfwd as _jacfwd
from .transforms_jax import jacrev as _jacrev
from .transforms_jax import vjp

__all__ = ["grad", "grad_and_value", "hessian", "jacfwd", "jacrev", "jvp", "linearize", "vjp", "vmap"]

_RANDOMNESS = ("error", "different", "same")
#: value_and_grad, whose overloads pick a result type by a literal has_aux; here has_aux is the caller's bool
_value_and_grad = cast(Callable[..., Any], value_and_grad)


def grad(func: Callable[..., Any], argnums: int | tuple[int, ...] = 0, has_aux: bool = False) -> Callable[..., Any]:
    """torch.func's ``grad``: a function returning the gradient of ``func`` (which returns one number) with
    respect to ``args[argnums]`` (a Tensor, or a dict/list of them: the gradients come back in its shape;
    a tuple ``argnums`` gives a tuple). ``has_aux=True``: func returns ``(loss, aux)``, this ``(grad, aux)``.
    Keyword arguments are passed to func and not differentiated.

    >>> grad(lambda x: (x ** 3).sum())(Tensor([1.0, 2.0]))
    Tensor([ 3., 12.])
    >>> grad(lambda x: ((x ** 2).sum(), x * 10), has_aux=True)(Tensor([3.0]))
    (Tensor([6.]), Tensor([30.]))
    """
    argnums = _check("grad", func, argnums)

    def gradient(*args: Any, **kwargs: Any) -> Any:
        value, found = _value_and_grad(_loss("grad", func, has_aux, kwargs), argnums, has_aux)(*args)
        return (found, value[1]) if has_aux else found

    gradient.__name__ = f"grad({getattr(func, '__name__', 'func')})"
    return gradient


def grad_and_value(
    func: Callable[..., Any], argnums: int | tuple[int, ...] = 0, has_aux: bool = False
) -> Callable[..., Any]:
    """torch.func's ``grad_and_value``: ``(grad, value)`` in one evaluation (``ag.value_and_grad``'s pair,
    the other way round); with ``has_aux=True``, ``(grad, (value, aux))``.

    >>> grad_and_value(lambda x: (x ** 2).sum())(Tensor([3.0]))
    (Tensor([6.]), Tensor(9.))
    """
    argnums = _check("grad_and_value", func, argnums)

    def gradient_and_value(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        value, found = _value_and_grad(_loss("grad_and_value", func, has_aux, kwargs), argnums, has_aux)(*args)
        return found, value

    return gradient_and_value


def vmap(
    func: Callable[..., Any],
    in_dims: Any = 0,
    out_dims: Any = 0,
    randomness: str = "error",
    *,
    chunk_size: int | None = None,
) -> Callable[..., Any]:
    """torch.func's ``vmap``: ``func`` mapped over ``in_dims`` of its positional arguments (an int, None for
    an argument every example shares, or a tuple with one entry per argument, nested like the argument),
    the results stacked along ``out_dims``. Keyword arguments are passed to every call unmapped, as torch's.
    It is ``ag.vmap``: func runs **once per example** (torch batches each op instead), with the same results.

    ``randomness`` is about the default generator (``ag.manual_seed``'s: ``ag.randn``, nn's dropout):
    ``"error"`` (torch's default) raises when func draws from it; ``"different"`` lets every example draw its
    own numbers (what per-example calls do naturally); ``"same"`` restores the generator before each example,
    so every example draws the numbers the first one did (the generator ends as after one example). Another
    generator passed as ``generator=`` or numpy's own is not watched. ``chunk_size`` (None or an int >= 1) is
    accepted for torch's code and changes nothing: examples already run one at a time.

    >>> vmap(lambda x, w: (x * w).sum(), in_dims=(0, None))(Tensor([[1.0, 2.0], [3.0, 4.0]]), Tensor([10.0, 1.0]))
    Tensor([12., 34.])
    """
    if not callable(func):
        raise TypeError(f"ag.func.vmap(func, in_dims, ...): func must be a function, got {type(func).__name__}")
    if randomness not in _RANDOMNESS:
        raise ValueError(
            f"ag.func.vmap: randomness must be 'error', 'different' or 'same', got {randomness!r} "
            "('different': each example draws its own numbers; 'same': every example draws the first one's)"
        )
    if chunk_size is not None and (isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1):
        raise ValueError(f"ag.func.vmap: chunk_size must be None or an int >= 1, got {chunk_size!r}")
    try:
        _vmap(func, in_dims, out_dims)  # checks in_dims / out_dims now, as torch's vmap does
    except (TypeError, ValueError) as error:
        raise type(error)(_torch_words(str(error))) from None

    def mapped(*args: Any, **kwargs: Any) -> Any:
        if isinstance(in_dims, tuple) and len(in_dims) != len(args):
            raise ValueError(
                f"ag.func.vmap: in_dims has {len(in_dims)} entries but func was called with {len(args)} positional "
                "arguments; give one entry (an int, None or a nested tuple/dict) per argument"
            )
        start = default_generator.rng.bit_generator.state
        raised_in_func = []

        def one_example(*example: Any) -> Any:
            if randomness == "same":
                default_generator.rng.bit_generator.state = start  # the first example's numbers again
            before = _generator_position()
            try:
                out = func(*example, **kwargs)
            except BaseException:
                raised_in_func.append(True)
                raise
            if randomness == "error" and _generator_position() != before:
                raise RuntimeError(
                    f"ag.func.vmap: {getattr(func, '__name__', 'func')} drew random numbers (ag.randn, dropout, ...) "
                    "with randomness='error'; pass randomness='different' (each example its own numbers) or "
                    "'same' (every example the first one's), or call model.eval() to switch dropout off"
                )
            return out

        try:
            return _vmap(one_example, in_dims, out_dims)(*args)
        except (TypeError, ValueError) as error:  # ag.vmap's own checks speak JAX (in_axes): say torch's names
            if raised_in_func or not str(error).startswith("vmap"):
                raise
            raise type(error)(_torch_words(str(error))) from None

    mapped.__name__ = f"vmap({getattr(func, '__name__', 'func')})"
    return mapped


def jacrev(
    func: Callable[..., Any],
    argnums: int | tuple[int, ...] = 0,
    *,
    has_aux: bool = False,
    chunk_size: int | None = None,
) -> Callable[..., Any]:
    """torch.func's ``jacrev``: the Jacobian of ``func`` with respect to ``args[argnums]``, row by row from
    vjps (``ag.jacrev``), shaped ``out.shape + x.shape``; a tuple ``argnums`` gives a tuple of them, a
    dict argument a dict. ``has_aux=True``: func returns ``(out, aux)``, this ``(jacobian, aux)``.
    ``chunk_size`` is accepted and changes nothing (the rows are one backward each already).

    >>> jacrev(lambda x: x.sin())(Tensor([0.0, 0.0]))
    Tensor([[1., 0.],
            [0., 1.]])
    """
    argnums = _check("jacrev", func, argnums)
    if chunk_size is not None and (isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1):
        raise ValueError(f"ag.func.jacrev: chunk_size must be None or an int >= 1, got {chunk_size!r}")
    return _with_aux("jacrev", func, has_aux, lambda f: _jacrev(f, argnums))


def jacfwd(
    func: Callable[..., Any], argnums: int | tuple[int, ...] = 0, has_aux: bool = False, *, randomness: str = "error"
) -> Callable[..., Any]:
    """torch.func's ``jacfwd``: the Jacobian column by column from jvps (``ag.jacfwd``), shaped
    ``out.shape + x.shape``; ``has_aux`` as ``jacrev``'s. ``randomness``: func runs once here, every
    column from one call, so ``"error"`` raises if it draws from the default generator and ``"same"``
    allows it; ``"different"`` (a draw per column, as torch's vmapped columns) is refused, saying so.

    >>> jacfwd(lambda x: x ** 2)(Tensor([1.0, 2.0]))
    Tensor([[2., 0.],
            [0., 4.]])
    """
    argnums = _check("jacfwd", func, argnums)
    if randomness not in _RANDOMNESS:
        raise ValueError(f"ag.func.jacfwd: randomness must be 'error', 'different' or 'same', got {randomness!r}")
    if randomness == "different":
        raise ValueError(
            "ag.func.jacfwd: randomness='different' would draw new numbers per column, but here func runs once and "
            "every column comes from that call; pass randomness='same'"
        )

    def watched(*args: Any) -> Any:
        before = _generator_position()
        out = func(*args)
        if randomness == "error" and _generator_position() != before:
            raise RuntimeError(
                "ag.func.jacfwd: func drew random numbers with randomness='error'; pass randomness='same' "
                "(every column from the one call's numbers), or call model.eval() to switch dropout off"
            )
        return out

    return _with_aux("jacfwd", watched, has_aux, lambda f: _jacfwd(f, argnums))


def hessian(func: Callable[..., Any], argnums: int | tuple[int, ...] = 0) -> Callable[..., Any]:
    """torch.func's ``hessian``: ``jacfwd(jacrev(func, argnums), argnums)``, forward over reverse, of shape
    ``out.shape + x.shape + x.shape`` (func may return a vector; ``ag.hessian`` wants one number). A tuple
    ``argnums`` gives torch's nested tuple ``((d2f/dx0dx0, d2f/dx0dx1), ...)``, a dict argument a dict of dicts.

    >>> hessian(lambda x: (x ** 3).sum())(Tensor([1.0, 2.0]))
    Tensor([[ 6.,  0.],
            [ 0., 12.]])
    """
    argnums = _check("hessian", func, argnums)
    return jacfwd(jacrev(func, argnums), argnums, randomness="same")


def jvp(
    func: Callable[..., Any],
    primals: tuple[Any, ...],
    tangents: tuple[Any, ...],
    *,
    strict: bool = False,
    has_aux: bool = False,
) -> tuple[Any, ...]:
    """torch.func's ``jvp``: ``(func(*primals), J @ tangents)``, forward mode (``ag.jvp``: the double-vjp
    trick); ``primals`` and ``tangents`` are tuples, one tangent per primal. ``has_aux=True``: func returns
    ``(out, aux)`` and this ``(out, jvp_out, aux)``. ``strict=True`` is refused, as by torch.func.

    >>> jvp(lambda x: x * x, (Tensor([1.0, 3.0]),), (Tensor([1.0, 1.0]),))
    (Tensor([1., 9.]), Tensor([2., 6.]))
    """
    if strict:
        raise NotImplementedError("ag.func.jvp: strict=True is not supported (nor by torch.func); leave it False")
    for name, given in (("primals", primals), ("tangents", tangents)):
        if not isinstance(given, (tuple, list)):
            raise TypeError(
                f"ag.func.jvp(func, primals, tangents): {name} must be a tuple, one entry per argument of func, "
                f"got {type(given).__name__}: write ({name[:-1]},)"
            )
    box: list[Any] = []
    out, tangent_out = _jvp(_storing_aux("jvp", func, box) if has_aux else func, tuple(primals), tuple(tangents))
    return (out, tangent_out, stop_gradient(box[-1])) if has_aux else (out, tangent_out)


def linearize(func: Callable[..., Any], *primals: Any) -> tuple[Any, Callable[..., Any]]:
    """torch.func's ``linearize``: ``(func(*primals), jvp_fn)`` with ``jvp_fn(*tangents)`` the Jacobian at the
    primals times the tangents, so f(x0 + dx) ~ f(x0) + jvp_fn(dx): the first-order Taylor polynomial (each
    call is one ``jvp`` at the same primals; torch's is the same function, its forward pass cached).

    >>> out, jvp_fn = linearize(lambda x: x**3, Tensor([1.0, 2.0]))
    >>> out, jvp_fn(Tensor([1.0, 0.5]))      # 3 x^2 dx
    (Tensor([1., 8.]), Tensor([3., 6.]))
    """
    out = stop_gradient(func(*primals))

    def jvp_fn(*tangents: Any) -> Any:
        if len(tangents) != len(primals):
            raise TypeError(
                f"ag.func.linearize: jvp_fn takes one tangent per primal ({len(primals)}), got {len(tangents)}"
            )
        return _jvp(func, primals, tangents)[1]

    return out, jvp_fn


# ---------------------------------------------------------------------------------- internals
def _generator_position() -> tuple[int, Any]:
    """Where the default generator is (its numpy Generator, which manual_seed replaces, and its state)."""
    rng = default_generator.rng
    return id(rng), rng.bit_generator.state


def _torch_words(message: str) -> str:
    """ag.vmap's message ("vmap: in_axes ...") in torch.func's words ("ag.func.vmap: in_dims ...")."""
    for jax_name, torch_name in (("in_axes", "in_dims"), ("out_axes", "out_dims")):
        message = message.replace(jax_name, torch_name)
    return "ag.func." + message if message.startswith("vmap") else message


def _check(name: str, func: Any, argnums: Any) -> int | tuple[int, ...]:
    """``argnums`` as torch.func takes it (an int or a tuple of ints), or an error naming the call."""
    if not callable(func):
        raise TypeError(f"ag.func.{name}(func, argnums): func must be a function, got {type(func).__name__}")
    picks = argnums if isinstance(argnums, tuple) else (argnums,)
    if not picks or not all(isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in picks):
        raise TypeError(
            f"ag.func.{name}(func, argnums): {name} takes the function and returns a function to call on the "
            f"arguments, as torch.func's: write ag.func.{name}(f)(x); argnums (an int or a tuple of ints) picks "
            f"arguments by position, got {type(argnums).__name__}"
        )
    return tuple(int(i) for i in picks) if isinstance(argnums, tuple) else int(argnums)


def _loss(name: str, func: Callable[..., Any], has_aux: bool, kwargs: dict[str, Any]) -> Callable[..., Any]:
    """func with ``kwargs`` bound, its result checked here so an error names ``ag.func.<name>``."""

    def loss(*args: Any) -> Any:
        out = func(*args, **kwargs)
        value = out[0] if has_aux and isinstance(out, tuple) and len(out) == 2 else out
        if has_aux and value is out:
            raise TypeError(f"ag.func.{name}: with has_aux=True, func must return a pair (loss, aux)")
        if not isinstance(value, Tensor) or value.size != 1:
            what = f"shape {value.shape}" if isinstance(value, Tensor) else type(value).__name__
            hint = "; for (loss, aux) pass has_aux=True" if isinstance(value, tuple) else ""
            raise ValueError(
                f"ag.func.{name}: func must return one number (a loss Tensor), got {what}{hint}; reduce it "
                "(.sum(), .mean()), or take ag.func.jacrev for a vector output"
            )
        return out

    return loss


def _storing_aux(name: str, func: Callable[..., Any], box: list[Any]) -> Callable[..., Any]:
    """func returning ``(out, aux)`` as a function returning out alone; each call's aux goes into ``box``."""

    def out_only(*args: Any) -> Any:
        result = func(*args)
        if not (isinstance(result, tuple) and len(result) == 2):
            raise TypeError(
                f"ag.func.{name}: with has_aux=True, func must return a pair (output, aux), got {type(result).__name__}"
            )
        box.append(result[1])
        return result[0]

    return out_only


def _with_aux(
    name: str, func: Callable[..., Any], has_aux: bool, transform: Callable[[Callable[..., Any]], Callable[..., Any]]
) -> Callable[..., Any]:
    """``transform(func)``, and with has_aux the pair (its result, the aux of func's call, without gradient)."""
    if not has_aux:
        return transform(_one_output(name, func))

    def with_aux(*args: Any) -> tuple[Any, Any]:
        box: list[Any] = []
        found = transform(_one_output(name, _storing_aux(name, func, box)))(*args)
        return found, stop_gradient(box[-1])

    return with_aux


def _one_output(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """func, its result checked to be a Tensor or a tuple/list/dict of them (one Jacobian per output)."""

    def checked(*args: Any) -> Any:
        out = func(*args)
        if not (isinstance(out, Tensor) or (_is_tree(out) and all(isinstance(o, Tensor) for o in _leaves(out)))):
            raise TypeError(
                f"ag.func.{name}: func returned a {type(out).__name__}, not a Tensor or a tuple/list/dict of Tensors; "
                "return its outputs as Tensors (ag.tensor(x) for a number), or pass has_aux=True for (output, aux)"
            )
        return out

    return checked


def __getattr__(name: str) -> Any:
    if name in ("functional_call", "stack_module_state"):
        raise AttributeError(
            f"ag.func.{name} needs nn.Module, which autograd_core does not import: use nn.func.{name} "
            f"(from nn.func import {name})"
        )
    raise AttributeError(f"module 'autograd_core.func' has no attribute {name!r}")
