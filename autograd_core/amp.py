"""``torch.amp`` (``torch.cuda.amp``): the loss scaler and the autocast context of mixed-precision training loops.

nanoGPT's train.py builds ``scaler = torch.cuda.amp.GradScaler(enabled=(dtype == 'float16'))`` on every machine and
steps through it (``scaler.scale(loss).backward(); scaler.unscale_(optimizer); scaler.step(optimizer);
scaler.update()``), so those loops need it even in float32. As PyTorch's on a machine without CUDA, a scaler or
autocast for ``"cuda"`` warns and steps aside; a CPU scaler really scales (it guards float16 gradients against
underflow: the loss times the scale, the gradients divided back, a step skipped and the scale halved on inf/NaN).
Autocast on the CPU is refused: numpy has no bfloat16 and this engine no per-op precision policy.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .tensor import Tensor

__all__ = ["GradScaler", "autocast"]


def _cuda_requested(owner: str, device: str, enabled: bool) -> bool:
    """True when ``device`` asks for CUDA: as PyTorch's without it, the object warns and is disabled."""
    if enabled and str(device).split(":")[0] == "cuda":
        message = f"{owner} is enabled for 'cuda', but CUDA is not available (numpy computes on the CPU): disabling"
        warnings.warn(message, stacklevel=3)
        return True
    return False


class GradScaler:
    """PyTorch's loss scaler: ``scale(loss)`` multiplies by the scale (2**16 at first), ``unscale_(optimizer)``
    divides that optimizer's gradients back, ``step(optimizer)`` steps only if they are all finite, ``update()``
    halves the scale after inf/NaN and doubles it after ``growth_interval`` clean steps. Disabled (``enabled=False``,
    or asked for ``"cuda"``: none here) every call passes straight through, so one loop serves both.

    >>> w = ag.tensor([1.0, 2.0], requires_grad=True)
    >>> optimizer = nn.optim.SGD([w], lr=0.1)
    >>> scaler = ag.amp.GradScaler("cpu", init_scale=1024.0)
    >>> scaler.scale((w * w).sum()).backward()
    >>> w.grad                                        # 2w, times the scale
    array([2048., 4096.])
    >>> scaler.step(optimizer); scaler.update()       # unscaled first: w - 0.1 * 2w
    >>> w
    Tensor([0.8, 1.6], requires_grad=True)
    """

    def __init__(
        self,
        device: str = "cuda",
        init_scale: float = 2.0**16,
        growth_factor: float = 2.0,
        backoff_factor: float = 0.5,
        growth_interval: int = 2000,
        enabled: bool = True,
    ) -> None:
        if not (growth_factor > 1.0 and 0.0 < backoff_factor < 1.0 and init_scale > 0 and growth_interval >= 1):
            raise ValueError(
                f"GradScaler: need growth_factor > 1, 0 < backoff_factor < 1, init_scale > 0 and growth_interval "
                f">= 1; got {growth_factor}, {backoff_factor}, {init_scale}, {growth_interval}"
            )
        self._enabled = bool(enabled) and not _cuda_requested("GradScaler", device, bool(enabled))
        self._scale = float(init_scale)
        self._growth_factor, self._backoff_factor = float(growth_factor), float(backoff_factor)
        self._growth_interval, self._growth_tracker = int(growth_interval), 0
        self._found_inf: dict[int, bool] = {}  # per optimizer (id) this step: unscaled, and did it see inf/NaN

    def is_enabled(self) -> bool:
        """Whether the scaler scales (False after ``enabled=False`` or a request for CUDA)."""
        return self._enabled

    def get_scale(self) -> float:
        """The current scale (1.0 when disabled, as PyTorch's)."""
        return self._scale if self._enabled else 1.0

    def scale(self, outputs: Any) -> Any:
        """``outputs`` (a Tensor, or a list/tuple of them) times the scale; unchanged when disabled."""
        if not self._enabled:
            return outputs
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(o) for o in outputs)
        if not isinstance(outputs, Tensor):
            raise TypeError(f"GradScaler.scale: expected a Tensor (the loss), got {type(outputs).__name__}")
        return outputs * self._scale

    def unscale_(self, optimizer: Any) -> None:
        """Divide ``optimizer``'s gradients by the scale, in place (before ``clip_grad_norm_``), once per step."""
        if not self._enabled:
            return
        if id(optimizer) in self._found_inf:
            raise RuntimeError("GradScaler.unscale_: already called for this optimizer since the last update()")
        found_inf = False
        for group in optimizer.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = np.asarray(p.grad)
                p.grad = (g * (1.0 / self._scale)).astype(g.dtype, copy=False)
                found_inf = found_inf or not bool(np.isfinite(p.grad).all())
        self._found_inf[id(optimizer)] = found_inf

    def step(self, optimizer: Any, *args: Any, **kwargs: Any) -> Any:
        """``optimizer.step()`` unless its unscaled gradients hold inf/NaN (then skipped; ``update`` backs off)."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if id(optimizer) not in self._found_inf:
            self.unscale_(optimizer)
        return None if self._found_inf[id(optimizer)] else optimizer.step(*args, **kwargs)

    def update(self, new_scale: float | None = None) -> None:
        """The next step's scale: ``new_scale`` if given, else backed off after inf/NaN, grown after a clean run."""
        if not self._enabled:
            return
        if new_scale is not None:
            self._scale = float(new_scale)
        elif any(self._found_inf.values()):
            self._scale *= self._backoff_factor
            self._growth_tracker = 0
        else:
            self._growth_tracker += 1
            if self._growth_tracker == self._growth_interval:
                self._scale *= self._growth_factor
                self._growth_tracker = 0
        self._found_inf.clear()

    def state_dict(self) -> dict[str, Any]:
        """The scale and its growth counter, for a checkpoint (empty when disabled, as PyTorch's)."""
        if not self._enabled:
            return {}
        return {
            "scale": self._scale,
            "growth_factor": self._growth_factor,
            "backoff_factor": self._backoff_factor,
            "growth_interval": self._growth_interval,
            "_growth_tracker": self._growth_tracker,
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore ``state_dict()``'s scale and counters."""
        if not state_dict:
            raise RuntimeError("GradScaler.load_state_dict: the state dict is empty (saved from a disabled scaler)")
        self._scale = float(state_dict["scale"])
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._growth_tracker = int(state_dict["_growth_tracker"])


class autocast:  # (PyTorch's lower-case name)
    """PyTorch's ``torch.autocast(device_type, dtype=None, enabled=True)``, as a context manager or decorator: for
    ``"cuda"`` it warns and does nothing (as PyTorch's without CUDA), ``enabled=False`` does nothing; autocast on the
    CPU is refused: pass ``enabled=False`` or use ``contextlib.nullcontext()`` (nanoGPT's choice on the CPU).

    >>> with ag.autocast("cpu", enabled=False):
    ...     (ag.ones(2) * 2).dtype
    dtype('float64')
    """

    def __init__(
        self, device_type: str = "cuda", dtype: Any = None, enabled: bool = True, cache_enabled: Any = None
    ) -> None:
        if enabled and not _cuda_requested("autocast", device_type, True):
            raise ValueError(
                f"autocast(device_type={device_type!r}, dtype={dtype!r}): mixed precision is not available on numpy "
                "(no bfloat16, no per-op precision); compute in float32: pass enabled=False, or use "
                "contextlib.nullcontext() as nanoGPT does on the CPU"
            )

    def __enter__(self) -> autocast:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def __call__(self, function: Any) -> Any:
        """As a decorator: ``function`` unchanged (autocast here never changes a computation)."""
        return function
