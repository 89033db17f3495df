"""The argument checks every layer, loss, optimizer and scheduler shares: a bad hyperparameter is a
ValueError naming its owner, the argument and the value given, e.g. ``Linear: in_features must be a
positive int, got 0``. Bools are refused where an int is meant (``True`` is an int to Python).

>>> positive_int("Linear", "in_features", 3)
3
>>> non_negative_real("ELU", "alpha", 1)
1.0
>>> flag("RNNCell", "bias", False)
False
"""

from __future__ import annotations

import math
import numbers

import numpy as np


def positive_int(owner: str, name: str, value: object) -> int:
    """``value`` as an int >= 1, else a ValueError naming ``owner`` and ``name``."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{owner}: {name} must be a positive int, got {value!r}")
    return int(value)


def non_negative_int(owner: str, name: str, value: object) -> int:
    """``value`` as an int >= 0, else a ValueError naming ``owner`` and ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{owner}: {name} must be an int >= 0, got {value!r}")
    return int(value)


def flag(owner: str, name: str, value: object, hint: str = "") -> bool:
    """``value`` as a bool (Python's or numpy's), else a TypeError naming ``owner`` and ``name``: a number
    passed where a switch is meant is usually a size in the wrong place (``hint`` says whose)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{owner}: {name} must be True or False, got {value!r}{hint}")
    return bool(value)


def non_negative_real(owner: str, name: str, value: object) -> float:
    """``value`` as a finite float >= 0, else a ValueError naming ``owner`` and ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{owner}: {name} must be a finite number >= 0, got {value!r}")
    return float(value)
