"""``optimizer.state``: one dict per parameter (its buffers and step counts), in parameter order, found by position
(``state[0]``) or, as PyTorch's ``optimizer.state[p]``, by the parameter itself.

>>> import nn
>>> w = Tensor([1.0, -2.0], requires_grad=True)
>>> opt = nn.optim.Adam([w], lr=0.1)
>>> (w**2).sum().backward(); opt.step()
>>> opt.state[w]["step"], opt.state[w] is opt.state[0], w in opt.state
(1, True, True)
>>> [sorted(s) for s in opt.state.values()]
[['exp_avg', 'exp_avg_sq', 'step']]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from autograd_core import Tensor

ParamState = dict[str, Any]


class ParameterStates(list[ParamState]):
    """A list of the parameters' state dicts that a parameter also indexes; ``keys() values() items()`` and ``in``
    are over the states begun (after the first ``step()`` that updated them), as PyTorch's dict of states."""

    def __init__(self, param_groups: Sequence[dict[str, Any]], states: Iterable[ParamState] = ()) -> None:
        super().__init__(states)
        self._groups = param_groups  # the optimizer's own list: groups added later are seen

    def _position(self, p: Tensor) -> int:
        for i, q in enumerate(q for group in self._groups for q in group["params"]):
            if q is p:
                return i
        raise KeyError(
            f"optimizer.state[p]: this tensor (shape {p.shape}) is not one of the optimizer's parameters; "
            "index with a tensor passed to the optimizer (or add it with add_param_group), or with its position"
        )

    def __getitem__(self, key: Any) -> Any:
        return super().__getitem__(self._position(key) if isinstance(key, Tensor) else key)

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(self._position(key) if isinstance(key, Tensor) else key, value)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, Tensor):  # (a list's `in` would compare the tensor elementwise)
            return any(key is p for p in self.keys())
        return any(key is state for state in self)

    def keys(self) -> list[Tensor]:
        """The parameters whose state has begun, in parameter order."""
        params = [p for group in self._groups for p in group["params"]]
        return [p for p, state in zip(params, self) if state]

    def values(self) -> list[ParamState]:
        """The states begun, in parameter order: ``for state in optimizer.state.values(): ...``."""
        return [state for state in self if state]

    def items(self) -> list[tuple[Tensor, ParamState]]:
        """``(parameter, its state)`` for the states begun."""
        return list(zip(self.keys(), self.values()))
