"""Bijections for ``TransformedDistribution``, as ``torch.distributions.transforms``: a transform maps x to
y = t(x), inverts (``t.inv(y)``; ``t.inv`` is itself a Transform, as torch's) and gives log |dy/dx|
(``log_abs_det_jacobian(x, y)``), each composed from Tensor ops so a transformed density differentiates in the
parameters. ``domain`` and ``codomain`` are the sets x and y lie in; their ``event_dim`` says how many trailing
axes one x (one y) spans, so a vector map's log-Jacobian is one number per vector. This file holds the base,
the inverse and the composition with the first elementwise maps; ``transforms_elementwise.py`` the others,
``transforms_structured.py`` the ones that act on vectors and matrices. All are importable from here, as torch's.

>>> import autograd_core as ag
>>> t = AffineTransform(1.0, 2.0)
>>> t(ag.Tensor(3.0)).item(), t.inv(ag.Tensor(7.0)).item(), round(t.log_abs_det_jacobian(0.0, 1.0).item(), 6)
(7.0, 3.0, 0.693147)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..functions import as_tensor
from ..tensor import Tensor
from . import constraints
from .discrete import _softplus

__all__ = [
    "AffineTransform",
    "ComposeTransform",
    "ExpTransform",
    "SigmoidTransform",
    "Transform",
    "identity_transform",
]

Shape = tuple[int, ...]


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else as_tensor(x, dtype=float)


def sum_rightmost(value: Tensor, dims: int) -> Tensor:
    """``value`` summed over its last ``dims`` axes (none for dims <= 0), as torch's ``_sum_rightmost``."""
    return value.sum(tuple(range(-dims, 0))) if dims > 0 else value


class Transform:
    """y = t(x), invertible: subclasses define ``_call``, ``_inverse`` and ``log_abs_det_jacobian``;
    ``domain``/``codomain`` are the sets x and y lie in; ``sign`` is +1 for an increasing map, -1 decreasing."""

    domain: constraints.Constraint = constraints.real
    codomain: constraints.Constraint = constraints.real
    bijective = True

    def __call__(self, x: Any) -> Tensor:
        return self._call(_tensor(x))

    @property
    def inv(self) -> Transform:
        """The inverse map t⁻¹, a Transform: ``t.inv(y)`` is x."""
        return _InverseTransform(self)

    @property
    def event_dim(self) -> int:
        """The event axes of x and y when they agree (torch's older attribute)."""
        return max(self.domain.event_dim, self.codomain.event_dim)

    @property
    def sign(self) -> int:
        return 1

    def forward_shape(self, shape: Shape) -> Shape:
        """The shape of t(x) for an x of ``shape``."""
        return tuple(shape)

    def inverse_shape(self, shape: Shape) -> Shape:
        """The shape of t⁻¹(y) for a y of ``shape``."""
        return tuple(shape)

    def _call(self, x: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} is not implemented")

    def _inverse(self, y: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}.inv is not implemented")

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Tensor:
        """log |dy/dx| at x (y = t(x) given too, as torch's signature, to spare recomputing it)."""
        raise NotImplementedError(f"{type(self).__name__}.log_abs_det_jacobian is not implemented")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class _InverseTransform(Transform):
    """t⁻¹ as a Transform of its own (``t.inv``): the domain and codomain swap, the log-Jacobian changes sign."""

    def __init__(self, forward: Transform) -> None:
        self._forward = forward
        self.bijective = forward.bijective

    @property
    def inv(self) -> Transform:
        return self._forward

    @property
    def domain(self) -> constraints.Constraint:  # type: ignore[override]
        return self._forward.codomain

    @property
    def codomain(self) -> constraints.Constraint:  # type: ignore[override]
        return self._forward.domain

    @property
    def sign(self) -> int:
        return self._forward.sign

    def forward_shape(self, shape: Shape) -> Shape:
        return self._forward.inverse_shape(shape)

    def inverse_shape(self, shape: Shape) -> Shape:
        return self._forward.forward_shape(shape)

    def _call(self, x: Tensor) -> Tensor:
        return self._forward._inverse(x)

    def _inverse(self, y: Tensor) -> Tensor:
        return self._forward._call(y)

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Tensor:
        return -self._forward.log_abs_det_jacobian(y, x)

    def __repr__(self) -> str:
        return f"{self._forward!r}.inv"


class ComposeTransform(Transform):
    """The transforms ``parts`` applied in order (``ComposeTransform([])`` is the identity).

    >>> t = ComposeTransform([ExpTransform(), AffineTransform(1.0, 2.0)])  # 1 + 2 e^x
    >>> t(ag.Tensor(0.0)).item(), t.inv(ag.Tensor(3.0)).item(), round(t.log_abs_det_jacobian(0.0, 3.0).item(), 6)
    (3.0, 0.0, 0.693147)
    """

    def __init__(self, parts: list[Transform]) -> None:
        self.parts = list(parts)
        for p in self.parts:
            if not isinstance(p, Transform):
                raise TypeError(f"ComposeTransform: parts must be Transforms, got {p!r}")
        self.bijective = all(p.bijective for p in self.parts)

    @property
    def domain(self) -> constraints.Constraint:  # type: ignore[override]
        if not self.parts:
            return constraints.real
        event_dim = self.parts[-1].codomain.event_dim  # the event axes x needs, walking back from y's
        for part in reversed(self.parts):
            event_dim = max(event_dim - part.codomain.event_dim + part.domain.event_dim, part.domain.event_dim)
        first = self.parts[0].domain
        return constraints.independent(first, event_dim - first.event_dim) if event_dim > first.event_dim else first

    @property
    def codomain(self) -> constraints.Constraint:  # type: ignore[override]
        if not self.parts:
            return constraints.real
        event_dim = self.parts[0].domain.event_dim
        for part in self.parts:
            event_dim = max(event_dim - part.domain.event_dim + part.codomain.event_dim, part.codomain.event_dim)
        last = self.parts[-1].codomain
        return constraints.independent(last, event_dim - last.event_dim) if event_dim > last.event_dim else last

    @property
    def sign(self) -> int:
        sign = 1
        for p in self.parts:
            sign *= p.sign
        return sign

    def forward_shape(self, shape: Shape) -> Shape:
        for p in self.parts:
            shape = p.forward_shape(shape)
        return tuple(shape)

    def inverse_shape(self, shape: Shape) -> Shape:
        for p in reversed(self.parts):
            shape = p.inverse_shape(shape)
        return tuple(shape)

    def _call(self, x: Tensor) -> Tensor:
        for p in self.parts:
            x = p(x)
        return x

    def _inverse(self, y: Tensor) -> Tensor:
        for p in reversed(self.parts):
            y = p.inv(y)
        return y

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Tensor:
        x = _tensor(x)
        if not self.parts:
            return x * 0
        xs = [x]
        for p in self.parts[:-1]:
            xs.append(p(xs[-1]))
        xs.append(_tensor(y))
        total: Tensor | None = None
        event_dim = self.domain.event_dim  # each part's log-Jacobian summed over the event axes it does not span
        for p, x_in, y_out in zip(self.parts, xs[:-1], xs[1:], strict=True):
            term = sum_rightmost(p.log_abs_det_jacobian(x_in, y_out), event_dim - p.domain.event_dim)
            total = term if total is None else total + term
            event_dim += p.codomain.event_dim - p.domain.event_dim
        assert total is not None
        return total

    def __repr__(self) -> str:
        return f"ComposeTransform({self.parts!r})"


identity_transform = ComposeTransform([])


class ExpTransform(Transform):
    """y = exp(x) (a LogNormal is a Normal through it).

    >>> ExpTransform().inv(ag.Tensor(1.0)).item()
    0.0
    """

    codomain = constraints.positive

    def _call(self, x: Tensor) -> Tensor:
        return x.exp()

    def _inverse(self, y: Tensor) -> Tensor:
        return y.log()

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Tensor:
        return _tensor(x)


class SigmoidTransform(Transform):
    """y = sigmoid(x) = 1 / (1 + e^-x), onto (0, 1) (a RelaxedBernoulli is a logistic draw through it).

    >>> SigmoidTransform()(ag.Tensor(0.0)).item()
    0.5
    """

    codomain = constraints.unit_interval

    def _call(self, x: Tensor) -> Tensor:
        return x.sigmoid()

    def _inverse(self, y: Tensor) -> Tensor:
        return y.log() - (-y).log1p()  # logit(y)

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Tensor:
        x = _tensor(x)
        return -_softplus(-x) - _softplus(x)  # log sigmoid(x) + log sigmoid(-x), stable for large |x|


class AffineTransform(Transform):
    """y = loc + scale * x (``event_dim`` trailing axes count as one event: their log-Jacobians add up).

    >>> AffineTransform(0.0, -2.0).sign
    -1
    """

    def __init__(self, loc: Any, scale: Any, event_dim: int = 0) -> None:
        self.loc, self.scale, self._event_dim = _tensor(loc), _tensor(scale), event_dim

    @property
    def domain(self) -> constraints.Constraint:  # type: ignore[override]
        return constraints.independent(constraints.real, self._event_dim) if self._event_dim else constraints.real

    codomain = domain

    @property
    def sign(self) -> int:
        signs = set(self.scale.detach().numpy().ravel() > 0)
        if len(signs) != 1:
            raise NotImplementedError("AffineTransform.sign: the scales have mixed signs")
        return 1 if signs.pop() else -1

    def forward_shape(self, shape: Shape) -> Shape:
        return tuple(np.broadcast_shapes(tuple(shape), self.loc.shape, self.scale.shape))

    def _call(self, x: Tensor) -> Tensor:
        return self.loc + self.scale * x

    def _inverse(self, y: Tensor) -> Tensor:
        return (y - self.loc) / self.scale

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Tensor:
        shape = np.broadcast_shapes(_tensor(x).shape, self.scale.shape)
        log_scale = self.scale.abs().log()
        log_scale = log_scale if log_scale.shape == shape else log_scale.expand(*shape)
        return sum_rightmost(log_scale, self._event_dim)

    def __repr__(self) -> str:
        return f"AffineTransform(loc={self.loc.tolist()}, scale={self.scale.tolist()})"
