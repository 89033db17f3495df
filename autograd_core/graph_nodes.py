"""``t.grad_fn`` as PyTorch shows it: the graph node that made ``t``, to walk and to call by hand.

PyTorch's tutorials teach the graph as ``loss.grad_fn.next_functions[0][0]`` and one step of the chain rule
as ``y.grad_fn(g)`` (the gradients y's op sends its inputs). Here the graph lives in the tensors (``t.prim``,
``t.parents``, ``t.params``), so a node is a view of its tensor: nothing is stored twice, and calling it runs
the primitive's own ``vjp``, the very function backward runs.

>>> from autograd_core import Tensor
>>> x = Tensor([1.0, 2.0], requires_grad=True)
>>> y = (x * 3).exp()
>>> y.grad_fn.name(), y.grad_fn.next_functions[0][0].name()
('ExpBackward0', 'MulBackward0')
>>> y.grad_fn.next_functions[0][0].next_functions  # x's accumulator, then the constant 3
((<AccumulateGrad object>, 0), (None, 0))
>>> (x * 3).grad_fn(Tensor([1.0, 1.0]))  # d(x*3)/dx and d(x*3)/d3, each times g = 1
(Tensor([3., 3.]), None)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .graph_state import spent

if TYPE_CHECKING:
    from .primitives import Primitive
    from .tensor import Tensor


class AccumulateGrad:
    """Where a leaf that requires grad collects its gradient (``.variable``: the leaf): torch's end of a walk."""

    __slots__ = ("variable",)

    def __init__(self, variable: Tensor) -> None:
        self.variable = variable

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    next_functions = ()

    def __eq__(self, other: object) -> bool:
        return type(other) is AccumulateGrad and other.variable is self.variable

    def __hash__(self) -> int:
        return id(self.variable)

    def __repr__(self) -> str:
        return "<AccumulateGrad object>"


class Node:
    """The op that made a tensor: ``name()`` (``MulBackward0``), ``prim`` (its primitive), ``next_functions``
    (per input: ``(its node, 0)``, a leaf requiring grad's ``AccumulateGrad``, else ``None``) and
    ``node(grad_output)``: the gradients the op sends its inputs (a tuple for two or more, None where an input
    needs none), by its primitive's ``vjp``. Two views of one tensor are equal."""

    __slots__ = ("_tensor",)

    def __init__(self, tensor: Tensor) -> None:
        self._tensor = tensor

    @property
    def prim(self) -> type[Primitive]:
        return self._tensor.prim  # type: ignore[return-value]  # (a Node is only made for a recorded tensor)

    def name(self) -> str:
        return f"{self.prim.__name__}Backward0"

    @property
    def next_functions(self) -> tuple[tuple[Node | AccumulateGrad | None, int], ...]:
        return tuple((grad_fn_of(p), 0) for p in self._tensor.parents)

    def __call__(self, grad_output: Any) -> Any:
        from .engine import _fit, _vjp_arguments  # (engine imports the tensor, which imports this module)
        from .tensor import Tensor as TensorClass

        t, name = self._tensor, self.name()
        if spent(t):
            raise RuntimeError(
                f"{name}: the graph was freed by a backward without retain_graph=True; call the node before that "
                "backward, or pass retain_graph=True to it"
            )
        g = np.asarray(grad_output.data if isinstance(grad_output, TensorClass) else grad_output)
        if g.shape != t.shape:
            raise ValueError(f"{name}: grad_output has shape {g.shape}, expected the output's shape {t.shape}")
        g = g.astype(t.dtype, copy=False)
        out, inputs = _vjp_arguments(t, create_graph=False)
        grads = []
        for i, parent in enumerate(t.parents):
            raw = self.prim.vjp(i, g, out, *inputs, **t.params) if parent.requires_grad else None
            grads.append(None if raw is None else TensorClass(_fit(raw, parent.data, self.prim, i)))
        return tuple(grads) if len(grads) != 1 else grads[0]

    def __eq__(self, other: object) -> bool:
        return type(other) is Node and other._tensor is self._tensor

    def __hash__(self) -> int:
        return id(self._tensor)

    def __repr__(self) -> str:
        return f"<{self.name()} object>"

    def __getattr__(self, attr: str) -> Any:  # torch's other node attributes (_saved_self, metadata, ...)
        raise AttributeError(
            f"{self.name()}.{attr}: a node here has name(), prim, next_functions and node(grad_output); what the op "
            "saved is its tensor's parents and params (t.parents[i], t.params)"
        )


def grad_fn_of(t: Tensor) -> Node | AccumulateGrad | None:
    """torch's ``t.grad_fn`` for a recorded tensor; for a leaf, what a walk reaching it finds (next_functions)."""
    if not t.requires_grad:  # a constant (a recorded one too: softmax's shift), as torch's detached tensors
        return None
    return AccumulateGrad(t) if t.prim is None else Node(t)
