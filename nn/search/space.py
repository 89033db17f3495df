"""Distributions for ``nn.random_search``: each draws one value from a numpy Generator."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np


class _Distribution:
    def sample(self, rng: np.random.Generator) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define sample(rng): one value drawn from rng")

    def _args(self) -> tuple[Any, ...]:
        return ()

    def __repr__(self) -> str:
        return f"{type(self).__name__.lstrip('_').lower()}{self._args()}"


class uniform(_Distribution):
    """A float drawn uniformly from [lo, hi]: ``uniform(0, 1e-3)``."""

    def __init__(self, lo: float, hi: float) -> None:
        self.lo, self.hi = _bounds("uniform", lo, hi)

    def sample(self, rng: np.random.Generator) -> float:
        return float(rng.uniform(self.lo, self.hi))

    def _args(self) -> tuple[Any, ...]:
        return (self.lo, self.hi)


class log_uniform(_Distribution):
    """A float whose log is uniform in [log lo, log hi]: learning rates, ``log_uniform(1e-4, 1e-1)``."""

    def __init__(self, lo: float, hi: float) -> None:
        self.lo, self.hi = _bounds("log_uniform", lo, hi)
        if not self.lo > 0:
            raise ValueError(f"log_uniform: bounds must be > 0, got {lo!r}, {hi!r}")

    def sample(self, rng: np.random.Generator) -> float:
        return float(math.exp(rng.uniform(math.log(self.lo), math.log(self.hi))))

    def _args(self) -> tuple[Any, ...]:
        return (self.lo, self.hi)


class randint(_Distribution):
    """An int drawn uniformly from lo..hi, both included: ``randint(16, 128)``."""

    def __init__(self, lo: int, hi: int) -> None:
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (lo, hi)) or lo > hi:
            raise ValueError(f"randint: bounds must be ints with lo <= hi, got {lo!r}, {hi!r}")
        self.lo, self.hi = lo, hi

    def sample(self, rng: np.random.Generator) -> int:
        return int(rng.integers(self.lo, self.hi + 1))

    def _args(self) -> tuple[Any, ...]:
        return (self.lo, self.hi)


class choice(_Distribution):
    """One of ``values``, each equally likely: ``choice([32, 64, 128])``."""

    def __init__(self, values: Iterable[Any]) -> None:
        self.values = list(values)
        if not self.values:
            raise ValueError("choice: needs at least one value")

    def sample(self, rng: np.random.Generator) -> Any:
        return self.values[int(rng.integers(len(self.values)))]

    def _args(self) -> tuple[Any, ...]:
        return (self.values,)


def _bounds(name: str, lo: float, hi: float) -> tuple[float, float]:
    try:
        lo, hi = float(lo), float(hi)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: bounds must be numbers, got {lo!r}, {hi!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi:
        raise ValueError(f"{name}: bounds must be finite with lo <= hi, got {lo!r}, {hi!r}")
    return lo, hi
