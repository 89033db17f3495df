"""PyTorch's mixed-precision names, for training scripts written for it: ``ag.amp`` (``GradScaler``, ``autocast``),
``ag.autocast`` and ``ag.bfloat16``, a name numpy has no dtype for: scripts list it (nanoGPT's
``{'float32': torch.float32, 'bfloat16': torch.bfloat16, 'float16': torch.float16}[dtype]``), and using it as a
dtype is refused with the fix in the message.

>>> ag.tensor([1.0], dtype=ag.bfloat16)
Traceback (most recent call last):
...
TypeError: tensor: unknown dtype ag.bfloat16 (numpy has no bfloat16: use ag.float32 or ag.float16); ...
"""

from __future__ import annotations

from . import amp
from .amp import autocast

__all__ = ["amp", "autocast", "bfloat16"]


class _NoNumpyDtype:
    """A dtype PyTorch has and numpy lacks: a name that can be listed and compared, refused as a dtype (numpy
    cannot interpret it, and its repr, which numpy's message quotes, says what to use)."""

    def __init__(self, name: str, instead: str) -> None:
        self._name, self._instead = name, instead

    def __repr__(self) -> str:
        return f"ag.{self._name} (numpy has no {self._name}: use {self._instead})"

    def __reduce__(self) -> str:
        return self._name  # pickled as the module-level name: one object, as torch's dtypes


bfloat16 = _NoNumpyDtype("bfloat16", "ag.float32 or ag.float16")
