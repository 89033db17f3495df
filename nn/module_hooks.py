"""A module's hooks, PyTorch's: ``register_forward_hook`` (after forward, may replace the output; ``with_kwargs``
also sees the keyword arguments, ``always_call`` runs even when forward raises), ``register_forward_pre_hook``
(before it, may replace the arguments) and ``register_full_backward_hook`` (once the gradients with respect to the
module's inputs are known, may replace them). ``Module.__call__`` (module.py) runs them.

The backward hook is built as torch's own (``torch.utils.hooks.BackwardHook``): the module's Tensor inputs and its
outputs each pass through one identity ``ag.Function`` node; the outputs' node records grad_output on its way back,
the inputs' node hands the hook every grad_input at once and passes on what the hook returns. Identity nodes: the
gradient itself is still the chain rule's, through the module's Tensor ops.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np

import autograd_core as ag
from autograd_core import Tensor, structure_changed

if TYPE_CHECKING:
    from .module import Module

#: ``hook(module, inputs, output)`` (``hook(module, inputs, kwargs, output)`` with ``with_kwargs=True``); a result
#: other than None replaces the output.
ForwardHook: TypeAlias = Callable[..., Any]
#: ``hook(module, grad_input, grad_output)``; a result other than None replaces grad_input.
BackwardHook: TypeAlias = Callable[["Module", tuple[Any, ...], tuple[Any, ...]], Any]
Grads: TypeAlias = tuple[Tensor | None, ...]


class HookHandle:
    """Returned by the ``register_*_hook`` methods; ``remove()`` unregisters the hook."""

    def __init__(self, hooks: dict[int, Any], key: int, seen: bool) -> None:
        self._hooks, self._key, self._seen = hooks, key, seen

    def remove(self) -> None:
        if self._hooks.pop(self._key, None) is not None and self._seen:
            structure_changed()  # a compiled step replayed with the hook is traced again


def add_hook(hooks: dict[int, Any], hook: Any, prepend: bool = False, seen: bool = True) -> HookHandle:
    """Put ``hook`` in ``hooks`` (last, or first with ``prepend``), keyed by a number its handle removes."""
    if not callable(hook if not isinstance(hook, tuple) else hook[0]):
        raise TypeError(f"register hook: the hook must be callable, got {hook!r}")
    key = max(hooks, default=-1) + 1
    if prepend:
        later = list(hooks.items())
        hooks.clear()
        hooks[key] = hook
        hooks.update(later)
    else:
        hooks[key] = hook
    return HookHandle(hooks, key, seen)


def run_pre_hooks(module: Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[tuple[Any, ...], dict]:
    """Call each forward pre-hook; one that returns something replaces the arguments (as torch's)."""
    for hook, with_kwargs in list(module._forward_pre_hooks.values()):
        if with_kwargs:
            result = hook(module, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(
                        f"forward pre-hook of {type(module).__name__} registered with with_kwargs=True must return "
                        f"None or (args, kwargs), got {type(result).__name__}"
                    )
                args, kwargs = result
        else:
            result = hook(module, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
    return args, kwargs


def run_forward_hooks(module: Module, args: tuple[Any, ...], kwargs: dict[str, Any], output: Any) -> Any:
    """Call each forward hook in order; one that returns something replaces the output (as torch's). If one
    raises, the ``always_call`` hooks not yet called are called before the error goes on."""
    called: set[int] = set()
    try:
        for key, (hook, with_kwargs, _) in list(module._forward_hooks.items()):
            called.add(key)
            replaced = hook(module, args, kwargs, output) if with_kwargs else hook(module, args, output)
            if replaced is not None:
                output = replaced
    except Exception:
        run_always_called_hooks(module, args, kwargs, output, called)
        raise
    return output


def run_always_called_hooks(
    module: Module,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    output: Any,
    called: set[int] | frozenset = frozenset(),
) -> None:
    """After forward (or a hook) raised: the ``always_call`` hooks not in ``called``, as torch's (given the output,
    or None if forward never returned); an exception of theirs becomes a warning, so the first error is the one
    raised."""
    for key, (hook, with_kwargs, always_call) in list(module._forward_hooks.items()):
        if always_call and key not in called:
            try:
                hook(module, args, kwargs, output) if with_kwargs else hook(module, args, output)
            except Exception as error:  # noqa: BLE001 (any error: the one forward raised must be the one seen)
                warnings.warn(
                    f"forward hook {getattr(hook, '__name__', hook)!r} of {type(module).__name__} (always_call=True) "
                    f"raised {type(error).__name__}: {error}; silenced, as another error was raised in forward",
                    stacklevel=3,
                )


class _Identity(ag.Function):
    """The tensors as they are; backward hands their gradients to ``on_backward`` and passes on what it returns."""

    @staticmethod
    def forward(ctx: ag.FunctionCtx, on_backward: Callable[[Grads], Grads], *tensors: Tensor) -> tuple[Tensor, ...]:
        ctx.on_backward = on_backward  # type: ignore[attr-defined]
        return tuple(Tensor(t.data) for t in tensors)

    @staticmethod
    def backward(ctx: ag.FunctionCtx, *grads: Tensor) -> tuple[Any, ...]:
        return (None, *ctx.on_backward(grads))  # type: ignore[attr-defined]


def call_with_backward_hooks(module: Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Run ``module.forward`` with its Tensor inputs and outputs wrapped so that every full backward hook is
    called once, with grad_input (one per Tensor argument, None where none flows) and grad_output."""
    if not ag.is_grad_enabled():
        return module.forward(*args, **kwargs)
    hooks = list(module._backward_hooks.values())
    positions = [i for i, a in enumerate(args) if isinstance(a, (Tensor, np.ndarray))]  # (an array: a constant input)
    tracked = [i for i in positions if isinstance(args[i], Tensor) and args[i].requires_grad]
    seen: dict[str, Grads] = {}

    def call_hooks(grad_input: Grads) -> Grads:
        for hook in hooks:
            result = hook(module, grad_input, seen["grad_output"])
            if result is not None:
                result = tuple(result) if isinstance(result, (tuple, list)) else (result,)
                if len(result) != len(grad_input):
                    raise RuntimeError(
                        f"backward hook of {type(module).__name__} returned {len(result)} gradients, expected "
                        f"{len(grad_input)} (one per Tensor input, None where there is none)"
                    )
                grad_input = result
        return grad_input

    def on_inputs(grads: Grads) -> Grads:
        by_position = dict(zip(tracked, grads))
        # an input that takes no gradient beside one that does: zeros, as torch's (its hook node materialises them)
        dtype = next((g.dtype for g in grads if g is not None), np.float64)
        zeros = {i: Tensor(np.zeros(np.shape(args[i]), dtype)) for i in positions if i not in by_position}
        grad_input = call_hooks(tuple(by_position.get(i, zeros.get(i)) for i in positions))
        replaced = dict(zip(positions, grad_input))
        return tuple(replaced[i] for i in tracked)

    def on_outputs(grads: Grads) -> Grads:
        seen["grad_output"] = grads
        if not tracked:  # no input takes a gradient: torch calls the hook here, grad_input all None
            call_hooks((None,) * len(positions))
        return grads

    if tracked:
        wrapped = _Identity.apply(on_inputs, *(args[i] for i in tracked))
        args = tuple(wrapped[tracked.index(i)] if i in tracked else a for i, a in enumerate(args))
    output = module.forward(*args, **kwargs)
    outputs = output if isinstance(output, tuple) else (output,)
    differentiable = [k for k, o in enumerate(outputs) if isinstance(o, Tensor) and o.requires_grad]
    if not differentiable:
        return output
    passed = _Identity.apply(on_outputs, *(outputs[k] for k in differentiable))
    new = tuple(passed[differentiable.index(k)] if k in differentiable else o for k, o in enumerate(outputs))
    return new if isinstance(output, tuple) else new[0]


class ModuleHooks:
    """The ``register_*_hook`` methods of ``Module``."""

    _forward_hooks: dict[int, tuple[ForwardHook, bool, bool]]  # (hook, with_kwargs, always_call)
    _forward_pre_hooks: dict[int, tuple[Callable[..., Any], bool]]
    _backward_hooks: dict[int, BackwardHook]

    def register_forward_hook(
        self, hook: ForwardHook, *, prepend: bool = False, with_kwargs: bool = False, always_call: bool = False
    ) -> HookHandle:
        """Call ``hook(module, inputs, output)`` after every forward (``hook(module, inputs, kwargs, output)`` with
        ``with_kwargs=True``), first with ``prepend=True``; returns a handle with ``remove()``. A hook that returns
        something other than None replaces the output. ``always_call=True`` calls it even when forward (or a hook
        before it) raises, with the output None if there is none, as torch's (then the error goes on up).

        >>> model = nn.MLP([2, 3, 1])
        >>> handle = model.layers[1].register_forward_hook(lambda m, i, out: print(out.shape))
        >>> _ = model(np.ones((4, 2)))
        (4, 3)
        >>> handle.remove()
        """
        structure_changed()  # a compiled step is traced again, with the hook (which may change outputs)
        if not callable(hook):
            raise TypeError(f"register_forward_hook: the hook must be callable, got {hook!r}")
        return add_hook(self._forward_hooks, (hook, bool(with_kwargs), bool(always_call)), prepend)

    def _probe(self, hook: ForwardHook, seen: bool = False) -> HookHandle:
        """register_forward_hook unseen by ag.compile, for nn's probes that run under no_grad and are removed
        before they return (dead_unit_fraction's, after every epoch of nn.fit: no compiled step replays then)."""
        return add_hook(self._forward_hooks, (hook, False, False), seen=seen)

    def register_forward_pre_hook(
        self, hook: Callable[..., Any], *, prepend: bool = False, with_kwargs: bool = False
    ) -> HookHandle:
        """Call ``hook(module, args)`` before every forward (``hook(module, args, kwargs)`` with
        ``with_kwargs=True``), as PyTorch's; a result other than None replaces the positional arguments (a
        single value is wrapped in a tuple), or with ``with_kwargs`` is the pair ``(args, kwargs)``.

        >>> layer = nn.Linear(2, 1)
        >>> handle = layer.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
        >>> layer(np.ones((1, 2))).data == layer.bias.data
        array([[ True]])
        """
        structure_changed()
        return add_hook(self._forward_pre_hooks, (hook, bool(with_kwargs)), prepend)

    def register_full_backward_hook(self, hook: BackwardHook, prepend: bool = False) -> HookHandle:
        """Call ``hook(module, grad_input, grad_output)`` during backward, once the gradients with respect to the
        module's Tensor inputs are known, as PyTorch's: grad_input has one entry per Tensor (or array) argument of the
        call (None where none flows: an input that requires no grad), grad_output one per output. A result other
        than None replaces grad_input (what flows on to the layers before).

        >>> layer = nn.Linear(2, 1)
        >>> handle = layer.register_full_backward_hook(lambda m, gi, go: print(go[0].shape, gi))
        >>> layer(np.ones((3, 2))).sum().backward()
        (3, 1) (None,)
        """
        structure_changed()
        return add_hook(self._backward_hooks, hook, prepend)
