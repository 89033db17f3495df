"""``biject_to(constraint)`` and ``transform_to(constraint)``, as torch.distributions': the transform from
unconstrained reals onto a constraint's set, the way to optimise a constrained parameter (keep a raw tensor,
use ``transform_to(c)(raw)``). ``biject_to`` gives a bijection (a StickBreakingTransform onto the simplex),
``transform_to`` may give a cheaper map that is not one (a SoftmaxTransform). ``register`` adds a constraint.

>>> import autograd_core as ag
>>> from autograd_core.distributions import constraints
>>> transform_to(constraints.positive)(ag.Tensor(0.0)).item()
1.0
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import constraints
from .transforms import AffineTransform, ComposeTransform, ExpTransform, SigmoidTransform, Transform
from .transforms import identity_transform as _identity
from .transforms_structured import (
    CorrCholeskyTransform,
    IndependentTransform,
    LowerCholeskyTransform,
    PositiveDefiniteTransform,
    SoftmaxTransform,
    StickBreakingTransform,
)

__all__ = ["ConstraintRegistry", "biject_to", "transform_to"]

Factory = Callable[[Any], Transform]


class ConstraintRegistry:
    """Constraint (an instance, or a constraint class) -> a factory ``f(constraint) -> Transform``."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._by_instance: dict[int, Factory] = {}
        self._by_class: dict[type, Factory] = {}

    def register(self, constraint: Any, factory: Factory | None = None) -> Any:
        """Register ``factory`` for ``constraint`` (usable as a decorator, as torch's)."""
        if factory is None:
            return lambda f: self.register(constraint, f)
        if isinstance(constraint, type):
            self._by_class[constraint] = factory
        else:
            self._by_instance[id(constraint)] = factory
        return factory

    def __call__(self, constraint: constraints.Constraint) -> Transform:
        factory = self._by_instance.get(id(constraint)) or self._by_class.get(type(constraint))
        if factory is None:
            raise NotImplementedError(
                f"{self.name}: no transform registered for {constraint!r}; add one with "
                f"{self.name}.register(constraint, factory)"
            )
        return factory(constraint)


biject_to = ConstraintRegistry("biject_to")
transform_to = ConstraintRegistry("transform_to")


def _greater_than(c: Any) -> Transform:
    return ComposeTransform([ExpTransform(), AffineTransform(c.lower_bound, 1.0)])


def _interval(c: Any) -> Transform:
    return ComposeTransform([SigmoidTransform(), AffineTransform(c.lower_bound, c.upper_bound - c.lower_bound)])


def _independent(registry: ConstraintRegistry) -> Factory:
    return lambda c: IndependentTransform(registry(c.base_constraint), c.reinterpreted_batch_ndims)


for _registry in (biject_to, transform_to):
    _registry.register(constraints.real, lambda c: _identity)
    _registry.register(constraints.real_vector, lambda c: IndependentTransform(_identity, 1))
    _registry.register(constraints.positive, lambda c: ExpTransform())
    _registry.register(constraints.nonnegative, lambda c: ExpTransform())
    _registry.register(constraints.greater_than, _greater_than)
    _registry.register(constraints.unit_interval, lambda c: SigmoidTransform())
    _registry.register(constraints.interval, _interval)
    _registry.register(constraints.half_open_interval, _interval)
    _registry.register(constraints.independent, _independent(_registry))
    _registry.register(constraints.lower_cholesky, lambda c: LowerCholeskyTransform())
    _registry.register(constraints.positive_definite, lambda c: PositiveDefiniteTransform())
    _registry.register(constraints.corr_cholesky, lambda c: CorrCholeskyTransform())
biject_to.register(constraints.simplex, lambda c: StickBreakingTransform())
transform_to.register(constraints.simplex, lambda c: SoftmaxTransform())
