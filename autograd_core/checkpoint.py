"""``ag.checkpoint``: gradient checkpointing, as ``torch.utils.checkpoint.checkpoint``: trade compute for memory.

Back-propagation needs every activation of the forward pass, so a recorded graph holds memory in proportion to
its depth (Fleuret, *The Little Book of Deep Learning*, 3.4). ``checkpoint(f, x)`` runs ``f`` and keeps only its
inputs and its output: the graph gets one node for the whole of ``f`` (an ``ag.Function``), whose backward runs
``f`` again, with recording on, and back-propagates through that fresh copy. A network split into k checkpointed
segments holds k boundaries and, during backward, one segment's activations at a time, for one more forward pass.

The parameters ``f`` reads (a module's weights, any tensor it closes over) get their gradients through the node
like its inputs, so ``backward`` and ``ag.grad`` both see them. Random draws from the default generator (the
``dropout`` of a layer without ``generator=``) repeat in the recomputation, as torch's ``preserve_rng_state``; a
generator of its own does not, and a layer that updates a buffer (batch norm's running statistics) updates it
twice, as in torch. The node's backward cannot be differentiated again (``create_graph=True`` raises, naming
the fix), and ``ag.compile`` runs a step holding checkpoints define-by-run (each call's node is a new one: its
CompileWarning says the graph differs between calls).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .engine import grad
from .function import Function
from .grad_mode import enable_grad, is_grad_enabled
from .sampling import default_generator
from .tensor import Tensor


class _Segment:
    """What one checkpointed call shares with its node: the function, the output of the first run (so the
    forward is not run twice), the generator state before it, and the tensors it reads besides its arguments."""

    def __init__(self, function: Callable[..., Any], output: Tensor, rng_state: Any, leaves: list[Tensor]) -> None:
        self.function, self.rng_state, self.leaves = function, rng_state, leaves
        self.output: Tensor | None = output


class Checkpoint(Function):
    """The node of one ``checkpoint`` call: its inputs are the function's Tensor arguments, then the tensors
    the function reads (its parameters)."""

    @staticmethod
    def forward(ctx: Any, segment: _Segment, count: int, *args: Any) -> Any:  # (ctx: a FunctionCtx, any fields)
        ctx.segment = segment
        ctx.save_for_backward(*(a for a in args[:count] if isinstance(a, Tensor)))
        # (None for a Tensor's place, whether it needs a gradient) per argument of the function
        ctx.args_needing = tuple((None, a.requires_grad) if isinstance(a, Tensor) else (a, False) for a in args[:count])
        output = segment.output
        if output is None:  # a replay (ag.compile's): run on the arguments given
            return segment.function(*args[:count])
        segment.output = None  # the first run's output, computed by checkpoint() itself
        return output

    @staticmethod
    def backward(ctx: Any, grad_output: Any) -> Any:
        if is_grad_enabled():  # the engine records vjps only under create_graph=True
            raise RuntimeError(
                "checkpoint: a checkpointed segment's backward cannot be differentiated again (create_graph=True); "
                "call the function itself, without checkpoint, for higher derivatives"
            )
        segment, saved = ctx.segment, iter(ctx.saved_tensors)
        # fresh leaves of the saved values: the recomputed graph stops there (an integer tensor needs none)
        args = [next(saved).detach().requires_grad_(needs) if a is None else a for a, needs in ctx.args_needing]
        wanted = [a for a, (given, needs) in zip(args, ctx.args_needing) if given is None and needs]
        state = default_generator.rng.bit_generator.state
        if segment.rng_state is not None:
            default_generator.rng.bit_generator.state = segment.rng_state  # the first run's random draws again
        try:
            with enable_grad():
                output = segment.function(*args)
        finally:
            default_generator.rng.bit_generator.state = state
        found = iter(grad(output, [*wanted, *segment.leaves], grad_output, retain_graph=True, allow_unused=True))
        grads = [next(found) if given is None and needs else None for given, needs in ctx.args_needing] + list(found)
        return (None, None, *(None if g is None else g.data for g in grads))  # one per argument of forward


def checkpoint(
    function: Callable[..., Any], *args: Any, preserve_rng_state: bool = True, use_reentrant: bool | None = None
) -> Tensor:
    """``function(*args)``, recorded as one node that keeps only its inputs and output and runs ``function``
    again during backward (``torch.utils.checkpoint.checkpoint``; ``use_reentrant`` is accepted and changes
    nothing: this one works with ``backward`` and ``ag.grad`` alike). ``function`` returns one Tensor.

    >>> w = Tensor([[2.0]], requires_grad=True)
    >>> x = Tensor([[3.0]], requires_grad=True)
    >>> y = checkpoint(lambda x: (x @ w).tanh() * 4, x); y.op
    'Checkpoint'
    >>> y.sum().backward(); x.grad.round(6), w.grad.round(6)
    (array([[0.000197]]), array([[0.000295]]))
    """
    if not callable(function):
        raise TypeError(f"checkpoint: expected a function (or module) to run, got {type(function).__name__}")
    if not is_grad_enabled():  # nothing is recorded anyway: the plain call
        return function(*args)
    rng_state = default_generator.rng.bit_generator.state if preserve_rng_state else None
    with enable_grad():
        output = function(*args)
    if not isinstance(output, Tensor):
        raise TypeError(
            f"checkpoint: the function returned a {type(output).__name__}; it must return one Tensor (checkpoint "
            "each output's function separately, or return them stacked with ag.stack)"
        )
    # the tensors the function read besides its arguments: the leaves of its graph, not looking past the arguments
    given = {id(a) for a in args if isinstance(a, Tensor)}
    leaves: list[Tensor] = []
    stack, seen = [output], set(given)
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        if t.parents:
            stack.extend(t.parents)
        elif t.requires_grad:
            leaves.append(t)
    if not output.requires_grad:  # nothing to differentiate: the plain result, no node
        return output
    segment = _Segment(function, output.detach(), rng_state, leaves)
    del output  # the first run's graph goes now: only the arguments and the output's values stay
    return Checkpoint.apply(segment, len(args), *args, *leaves)


__all__ = ["checkpoint"]
