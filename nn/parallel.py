"""torch's ``nn.parallel``: ``DataParallel``, as it behaves on a machine without GPUs, the only kind this numpy engine
runs on. torch's ``DataParallel(module)`` then keeps no devices (``device_ids == []``) and its forward simply
calls the module; so does this one, so torch code that wraps its model runs unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .module import Module


class DataParallel(Module):
    """torch's ``nn.DataParallel(module, device_ids=None, output_device=None, dim=0)`` on CPU: the wrapped module is
    ``self.module`` (so a state_dict's keys start with ``module.``, as torch's), ``device_ids`` is ``[]`` whatever
    was given (torch ignores it without GPUs too) and ``forward`` calls the module with the same arguments.

    >>> model = DataParallel(nn.Linear(3, 2, seed=0))
    >>> model(np.ones((4, 3))).shape, list(model.state_dict()), model.device_ids
    ((4, 2), ['module.weight', 'module.bias'], [])
    """

    def __init__(
        self,
        module: Module,
        device_ids: Sequence[Any] | None = None,
        output_device: Any = None,
        dim: int = 0,
    ) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(
                f"DataParallel: module must be an nn.Module (the model to run), got {type(module).__name__}; "
                "wrap the model itself: nn.DataParallel(model)"
            )
        self.module = module
        self.device_ids: list[Any] = []  # no GPUs: torch keeps none either, and ignores device_ids, output_device, dim

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        return self.module(*inputs, **kwargs)
