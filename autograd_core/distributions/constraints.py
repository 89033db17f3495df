"""The sets a parameter or a value must lie in, as ``torch.distributions.constraints`` (a light version):
each constraint says what it is (``str(c)``, used in the error messages) and ``check(value)`` returns a numpy
bool array, one entry per element (per event for ``simplex`` and the matrix constraints).

>>> from autograd_core.distributions import constraints
>>> constraints.positive.check(np.array([1.0, 0.0, -1.0])).tolist()
[True, False, False]
>>> str(constraints.unit_interval)
'in [0, 1]'
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "Constraint",
    "boolean",
    "corr_cholesky",
    "independent",
    "greater_than",
    "greater_than_eq",
    "integer_interval",
    "interval",
    "half_open_interval",
    "lower_cholesky",
    "nonnegative",
    "nonnegative_integer",
    "one_hot",
    "positive",
    "positive_definite",
    "real",
    "real_vector",
    "simplex",
    "unit_interval",
]

Array = np.ndarray[Any, Any]


class Constraint:
    """A set of values: ``check(value)`` (a numpy array) says which elements lie in it; ``event_dim`` is how many
    trailing axes one checked item spans (1 for a simplex, 2 for a matrix)."""

    event_dim = 0
    is_discrete = False

    def check(self, value: Array) -> Array:
        raise NotImplementedError(f"{type(self).__name__}.check: a Constraint subclass defines which values lie in it")

    def __repr__(self) -> str:
        return f"constraints.{type(self).__name__.lstrip('_')}({self})"


class _Real(Constraint):
    def check(self, value: Array) -> Array:
        return np.asarray(~np.isnan(value))  # infinities are real numbers' limits, as torch's real

    def __str__(self) -> str:
        return "a real number (not NaN)"


class _RealVector(_Real):
    event_dim = 1

    def check(self, value: Array) -> Array:
        return np.asarray(super().check(value).all(axis=-1))


class greater_than(Constraint):
    """Values > ``lower_bound`` (``positive`` is ``greater_than(0)``)."""

    def __init__(self, lower_bound: Any) -> None:
        self.lower_bound = lower_bound

    def check(self, value: Array) -> Array:
        return value > self.lower_bound

    def _bound(self) -> str:
        """The bound as a number when it is one, else by name (a batch of bounds: a Pareto's scales)."""
        return f"{float(self.lower_bound):g}" if np.size(self.lower_bound) == 1 else "lower_bound"

    def __str__(self) -> str:
        return f"> {self._bound()}"


class _GreaterThanEq(greater_than):
    def check(self, value: Array) -> Array:
        return value >= self.lower_bound

    def __str__(self) -> str:
        return f">= {self._bound()}"


class interval(Constraint):
    """Values in the closed interval [``lower_bound``, ``upper_bound``] (bounds may be arrays)."""

    def __init__(self, lower_bound: Any, upper_bound: Any, names: tuple[str, str] = ("low", "high")) -> None:
        self.lower_bound, self.upper_bound, self.names = lower_bound, upper_bound, names

    def check(self, value: Array) -> Array:
        return (value >= self.lower_bound) & (value <= self.upper_bound)

    def __str__(self) -> str:
        return f"in [{self._bounds()}]"

    def _bounds(self) -> str:
        """The bounds as numbers when they are one number each, else by name (a batch of bounds)."""
        bounds = (self.lower_bound, self.upper_bound)
        return ", ".join(f"{float(b):g}" if np.size(b) == 1 else n for b, n in zip(bounds, self.names, strict=True))


class half_open_interval(interval):
    """Values in [``lower_bound``, ``upper_bound``), as a Uniform's support."""

    def check(self, value: Array) -> Array:
        return (value >= self.lower_bound) & (value < self.upper_bound)

    def __str__(self) -> str:
        return f"in [{self._bounds()})"


class integer_interval(interval):
    """Integers in [``lower_bound``, ``upper_bound``] (a Categorical's category indices)."""

    is_discrete = True

    def check(self, value: Array) -> Array:
        return (value % 1 == 0) & super().check(value)

    def __str__(self) -> str:
        return f"an integer in [{self._bounds()}]"


class _Boolean(Constraint):
    is_discrete = True

    def check(self, value: Array) -> Array:
        return (value == 0) | (value == 1)

    def __str__(self) -> str:
        return "0 or 1"


class _NonnegativeInteger(Constraint):
    is_discrete = True

    def check(self, value: Array) -> Array:
        return (value % 1 == 0) & (value >= 0)

    def __str__(self) -> str:
        return "an integer >= 0"


class _Simplex(Constraint):
    event_dim = 1

    def check(self, value: Array) -> Array:
        return (value >= 0).all(axis=-1) & (np.abs(value.sum(axis=-1) - 1) < 1e-6)

    def __str__(self) -> str:
        return "a probability vector (entries >= 0 summing to 1 along the last axis)"


class _OneHot(Constraint):
    event_dim = 1
    is_discrete = True

    def check(self, value: Array) -> Array:
        return ((value == 0) | (value == 1)).all(axis=-1) & (value.sum(axis=-1) == 1)

    def __str__(self) -> str:
        return "a one-hot vector (0s and a single 1 along the last axis)"


class _LowerCholesky(Constraint):
    event_dim = 2

    def check(self, value: Array) -> Array:
        lower = (np.triu(value, 1) == 0).all(axis=(-2, -1))
        return lower & (np.diagonal(value, axis1=-2, axis2=-1) > 0).all(axis=-1)

    def __str__(self) -> str:
        return "lower triangular with a positive diagonal (a Cholesky factor)"


class _PositiveDefinite(Constraint):
    event_dim = 2

    def check(self, value: Array) -> Array:
        symmetric = np.isclose(value, np.swapaxes(value, -1, -2), rtol=1e-6, atol=1e-8).all(axis=(-2, -1))
        # eigvalsh reads one triangle only, so the symmetry check comes first
        return np.asarray(symmetric & (np.linalg.eigvalsh(value) > 0).all(axis=-1))

    def __str__(self) -> str:
        return "symmetric positive-definite"


class independent(Constraint):
    """``base_constraint`` over events of ``reinterpreted_batch_ndims`` more trailing axes (every element in it).

    >>> independent(positive, 1).check(np.array([[1.0, 2.0], [1.0, -1.0]])).tolist()
    [True, False]
    """

    def __init__(self, base_constraint: Constraint, reinterpreted_batch_ndims: int) -> None:
        self.base_constraint, self.reinterpreted_batch_ndims = base_constraint, reinterpreted_batch_ndims
        self.event_dim = base_constraint.event_dim + reinterpreted_batch_ndims
        self.is_discrete = base_constraint.is_discrete

    def check(self, value: Array) -> Array:
        ok = np.asarray(self.base_constraint.check(value))
        n = self.reinterpreted_batch_ndims
        return np.asarray(ok.all(axis=tuple(range(-n, 0)))) if n and ok.ndim >= n else ok

    def __str__(self) -> str:
        return f"{self.base_constraint} (every element of an event of {self.event_dim} axes)"


class _CorrCholesky(Constraint):
    event_dim = 2

    def check(self, value: Array) -> Array:
        rows = np.sqrt((value**2).sum(axis=-1))
        return np.asarray(_LowerCholesky().check(value) & (np.abs(rows - 1) < 1e-6).all(axis=-1))

    def __str__(self) -> str:
        return "the Cholesky factor of a correlation matrix (lower triangular, positive diagonal, unit rows)"


real = _Real()
real_vector = _RealVector()
positive = greater_than(0.0)
nonnegative = _GreaterThanEq(0.0)
unit_interval = interval(0.0, 1.0)
boolean = _Boolean()
nonnegative_integer = _NonnegativeInteger()
simplex = _Simplex()
one_hot = _OneHot()
lower_cholesky = _LowerCholesky()
positive_definite = _PositiveDefinite()
corr_cholesky = _CorrCholesky()
greater_than_eq = _GreaterThanEq  # torch's name: values >= lower_bound
