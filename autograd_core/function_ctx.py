"""The ``ctx`` of an ``ag.Function`` (function.py): what its forward leaves for its backward, as PyTorch's."""

from __future__ import annotations

from typing import Any

from .graph_state import MutationClock, _written_since
from .tensor import Tensor


class FunctionCtx:
    """The ``ctx`` a Function's forward and backward share: ``save_for_backward`` / ``saved_tensors``,
    ``needs_input_grad``, ``mark_non_differentiable``, ``set_materialize_grads``, and any attribute you set
    (``mark_dirty`` and ``save_for_forward`` raise, saying what to write instead).

    >>> import autograd_core as ag
    >>> class Square(ag.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x * x
    ...     @staticmethod
    ...     def backward(ctx, g):
    ...         (x,) = ctx.saved_tensors
    ...         return 2 * x * g
    >>> x = Tensor([3.0], requires_grad=True)
    >>> Square.apply(x).sum().backward(); x.grad
    array([6.])
    """

    def __init__(self, name: str, needs_input_grad: tuple[bool, ...]) -> None:
        self.needs_input_grad = needs_input_grad  # one per argument of forward: a Tensor that requires grad?
        self._name = name
        self._saved: tuple[Tensor | None, ...] = ()
        self._inputs: tuple[Tensor, ...] = ()  # the Tensors forward got
        self._saved_at = 0  # MutationClock's count when saved: a later write means the values changed
        self._non_differentiable: list[Tensor] = []
        self._materialize = True
        self._unpack: dict[int, Tensor] = {}  # with create_graph: forward's tensors -> their recorded versions
        self._pending: tuple[Any, dict[int, Any]] | None = None  # (g, the gradients not yet handed out)

    def save_for_backward(self, *tensors: Tensor | None) -> None:
        """Keep ``tensors`` (inputs, outputs or None) for backward; a later in-place change is refused there."""
        for k, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(
                    f"{self._name}: save_for_backward takes Tensors (or None), argument {k} is a "
                    f"{type(t).__name__}; keep other values as attributes: ctx.value = ..."
                )
        self._saved, self._saved_at = tensors, MutationClock.now

    @property
    def saved_tensors(self) -> tuple[Tensor | None, ...]:
        """What forward saved (under ``create_graph=True``, the inputs and outputs as recorded in the graph)."""
        for k, t in enumerate(self._saved):
            if t is not None and (t._version > self._saved_at or _written_since(t._data, self._saved_at)):
                raise RuntimeError(
                    f"{self._name}: saved tensor {k} (shape {t.shape}) was modified in place after forward saved it, "
                    "so backward would compute with other values; change a copy, or run backward first"
                )
        return tuple(None if t is None else self._unpack.get(id(t), t) for t in self._saved)

    def mark_non_differentiable(self, *outputs: Tensor) -> None:
        """These outputs get no gradient: returned as constants (an index, a mask); backward gets zeros for them."""
        self._non_differentiable += outputs

    def set_materialize_grads(self, value: bool) -> None:
        """False: an output no gradient reaches (or only zeros) comes to backward as None, not a zero tensor."""
        self._materialize = bool(value)

    def mark_dirty(self, *tensors: Tensor) -> None:
        """PyTorch's for a Function that changes its inputs in place: not supported here (the graph records values)."""
        raise NotImplementedError(
            f"{self._name}: mark_dirty (an input changed in place) is not supported by ag.Function; return a new "
            "Tensor from forward instead (compute into x.clone())"
        )

    def save_for_forward(self, *tensors: Tensor | None) -> None:
        """PyTorch's, for a Function's own ``jvp`` staticmethod: not used here, forward mode comes from backward."""
        raise NotImplementedError(
            f"{self._name}: save_for_forward (for a jvp staticmethod) is not supported by ag.Function: ag.jvp "
            "computes forward mode from backward (the double-vjp trick), so write backward with Tensor ops and "
            "drop the jvp staticmethod and this call"
        )
