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

    def manual_seed(self, seed: int) -> None:
        """Nothing to seed, as ``torch.cuda.manual_seed(seed)`` without a GPU (silently ignored there too); the
        CPU's generator is ``ag.manual_seed``'s. The seed is checked: a number.

        >>> ag.cuda.manual_seed(42); ag.cuda.manual_seed_all(42)  # the tutorials' set_seed, beside ag.manual_seed(42)
        """
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"{self._name}.manual_seed: the seed must be an int, got {seed!r}")

    def manual_seed_all(self, seed: int) -> None:
        """``torch.cuda.manual_seed_all(seed)``: no device to seed, as ``manual_seed``."""
        self.manual_seed(seed)

    def current_accelerator(self) -> None:
        """None, as ``torch.accelerator.current_accelerator()`` where none is available."""
        return None

    def __repr__(self) -> str:
        return f"<ag.{self._name}: not available (numpy computes on the CPU)>"


cuda = _NoAccelerator("cuda")
accelerator = _NoAccelerator("accelerator")


class _Cudnn(_NoAccelerator):
    """``torch.backends.cudnn``: not available, with PyTorch's flags (``deterministic``, ``benchmark``, ``enabled``,
    ``allow_tf32``) to set and read, as seed-setting cells do; numpy's CPU results do not depend on them."""

    deterministic = False
    benchmark = False
    enabled = True
    allow_tf32 = True


class _Backends:
    """``torch.backends``' availability checks: ``torch.backends.mps.is_available()`` (False), so the
    quickstart's ``"cuda" if ... else "mps" if torch.backends.mps.is_available() else "cpu"`` picks the CPU;
    ``torch.backends.cudnn.deterministic = True`` (the UvA DL tutorials' reproducibility cell) is accepted.

    >>> ag.backends.mps.is_available(), ag.backends.cuda.is_built(), ag.backends.cudnn.is_available()
    (False, False, False)
    """

    def __init__(self) -> None:
        self.mps = _NoAccelerator("backends.mps")
        self.cuda = _NoAccelerator("backends.cuda")
        self.cudnn = _Cudnn("backends.cudnn")


backends = _Backends()
