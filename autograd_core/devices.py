"""PyTorch's device spellings, for code written for it: ``torch.device("cpu")``, ``torch.cuda.is_available()``,
``torch.accelerator.is_available()``, ``torch.backends.mps.is_available()``, ``torch.set_default_device``.
numpy computes on the CPU, so the CPU is the one device there is.

>>> import autograd_core as ag
>>> device = ag.device("cuda" if ag.cuda.is_available() else "cpu")
>>> device, ag.zeros(2, device=device).device == device
(device(type='cpu'), True)
"""

from __future__ import annotations

from typing import Any

import numpy as np


class device(str):  # (PyTorch's lower-case name)
    _index: int | None
    """``torch.device``: ``"cpu"`` (or ``"cpu:0"``), equal to the string ``"cpu"``, so it goes wherever
    ``device=`` or ``.to(...)`` is accepted; another device type is a ValueError that says so.

    >>> ag.device("cpu").type, str(ag.device("cpu", 0))
    ('cpu', 'cpu')
    """

    def __new__(cls, type: Any = "cpu", index: int | None = None) -> device:  # (type: torch's argument name)
        name = str(type)
        kind, _, number = name.partition(":")
        if kind != "cpu":
            raise ValueError(
                f"device: this engine runs on numpy (the CPU) only, not on {name!r}; write ag.device('cpu') "
                "(ag.cuda.is_available() is False)"
            )
        if (number and number != "0") or index not in (None, 0):
            raise ValueError(f"device: the CPU is device 0 only, got {name!r} with index {index!r}")
        made = super().__new__(cls, "cpu")
        made._index = 0 if number or index == 0 or getattr(type, "index", None) == 0 else None
        return made

    @property
    def type(self) -> str:
        """``"cpu"``, as ``torch.device("cpu").type``."""
        return "cpu"

    @property
    def index(self) -> int | None:  # type: ignore[override]  # (str.index otherwise: a method)
        """None for ``"cpu"``, 0 for ``"cpu:0"`` or ``device("cpu", 0)``, as ``torch.device(...).index``."""
        return self._index

    def __repr__(self) -> str:
        return "device(type='cpu')" if self._index is None else "device(type='cpu', index=0)"


def set_default_device(device_: Any) -> None:
    """PyTorch's ``torch.set_default_device(device)``: the CPU (or None) is already the default, so this checks
    ``device`` and changes nothing; another device is a ValueError, as ``ag.device`` says.

    >>> ag.set_default_device("cuda" if ag.cuda.is_available() else "cpu")
    >>> ag.get_default_device()
    device(type='cpu')
    """
    if device_ is not None:
        device(device_)


def get_default_device() -> device:
    """``device("cpu")``: where new tensors live (numpy's memory), as ``torch.get_default_device()``."""
    return device("cpu")


class _NoAccelerator:
    """``torch.cuda`` / ``torch.accelerator`` seen from numpy: none is available, so code that asks first
    (``device = "cuda" if torch.cuda.is_available() else "cpu"``) picks the CPU."""

    def __init__(self, name: str) -> None:
        self._name = name

    def is_available(self) -> bool:
        """False: numpy computes on the CPU only.

        >>> ag.cuda.is_available()
        False
        """
        return False

    def is_built(self) -> bool:
        """False: this engine is built on numpy, with no accelerator backend (``torch.backends.mps.is_built()``)."""
        return False

    def device_count(self) -> int:
        """0 devices, as ``torch.cuda.device_count()`` on a machine without one."""
        return 0

    def current_accelerator(self) -> None:
        """None, as ``torch.accelerator.current_accelerator()`` where none is available."""
        return None

    def __repr__(self) -> str:
        return f"<ag.{self._name}: not available (numpy computes on the CPU)>"


class _NoCuda(_NoAccelerator):
    """``torch.cuda`` without CUDA: the calls training scripts make unconditionally work as PyTorch's do on such a
    machine (seeding and emptying the cache do nothing, ``is_bf16_supported()`` is False), and ``torch.cuda.amp``
    is ``ag.amp`` (nanoGPT builds ``torch.cuda.amp.GradScaler(enabled=...)`` on every machine).

    >>> ag.cuda.manual_seed_all(0), ag.cuda.is_bf16_supported(), ag.cuda.amp.GradScaler(enabled=False).get_scale()
    (None, False, 1.0)
    """

    def manual_seed(self, seed: int) -> None:
        """Nothing to seed (no CUDA generator): ``torch.manual_seed`` seeds the CPU's, which is all there is.
        The seed is checked: a whole number."""
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"{self._name}.manual_seed: the seed must be an int, got {seed!r}")

    def manual_seed_all(self, seed: int) -> None:
        """Nothing to seed, as ``manual_seed``."""
        self.manual_seed(seed)

    def empty_cache(self) -> None:
        """Nothing to free (no CUDA memory cache)."""

    def is_bf16_supported(self, including_emulation: bool = True) -> bool:
        """False: no CUDA device, so nanoGPT's ``'bfloat16' if ... else 'float16'`` picks float16."""
        return False

    @property
    def amp(self) -> Any:
        """``torch.cuda.amp``: ``ag.amp`` (its GradScaler and autocast, for ``"cuda"``: warn and step aside)."""
        from . import amp  # (late: amp needs the Tensor, which needs this module)

        return amp


class _Settings:
    """A ``torch.backends`` flag holder (``torch.backends.cudnn.benchmark = True``): flags are kept and read back;
    numpy's results do not depend on them (no TF32, no cuDNN algorithm choice: always deterministic)."""

    def __init__(self, name: str, **flags: Any) -> None:
        self._name = name
        self.__dict__.update(flags)

    def is_available(self) -> bool:
        """False: no such backend with numpy."""
        return False

    def __repr__(self) -> str:
        flags = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"<ag.{self._name}: {flags} (no effect: numpy computes on the CPU)>"


class _BackendsCuda(_NoAccelerator):
    """``torch.backends.cuda``: unavailable, with the ``matmul`` flags nanoGPT sets (``allow_tf32 = True``)."""

    def __init__(self) -> None:
        super().__init__("backends.cuda")
        self.matmul = _Settings(
            "backends.cuda.matmul",
            allow_tf32=False,
            allow_fp16_reduced_precision_reduction=True,
            allow_bf16_reduced_precision_reduction=True,
        )


cuda = _NoCuda("cuda")
accelerator = _NoAccelerator("accelerator")


class _Backends:
    """``torch.backends``' availability checks: ``torch.backends.mps.is_available()`` (False), so the
    quickstart's ``"cuda" if ... else "mps" if torch.backends.mps.is_available() else "cpu"`` picks the CPU.

    >>> ag.backends.mps.is_available(), ag.backends.cuda.is_built()
    (False, False)

    and the flags scripts set (kept, without effect): ``torch.backends.cuda.matmul.allow_tf32 = True``,
    ``torch.backends.cudnn.allow_tf32 / benchmark / deterministic / enabled``.

    >>> ag.backends.cudnn.benchmark = False; ag.backends.cuda.matmul.allow_tf32 = True
    >>> ag.backends.cudnn.benchmark, ag.backends.cuda.matmul.allow_tf32
    (False, True)
    """

    def __init__(self) -> None:
        self.mps = _NoAccelerator("backends.mps")
        self.cuda = _BackendsCuda()
        self.cudnn = _Settings("backends.cudnn", enabled=True, benchmark=False, deterministic=False, allow_tf32=True)


backends = _Backends()
