"""Bijections for ``TransformedDistribution``, as ``torch.distributions.transforms`` (a light version): a
transform maps x to y = t(x), inverts (``t.inv(y)``) and gives log |dy/dx| (``log_abs_det_jacobian(x, y)``), each
composed from Tensor ops so a transformed density differentiates in the parameters.

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

__all__ = ["AffineTransform", "ExpTransform", "SigmoidTransform", "Transform"]


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else as_tensor(x, dtype=float)


class Transform:
    """y = t(x), invertible: subclasses define ``_call``, ``_inverse`` and ``log_abs_det_jacobian``;
    ``domain``/``codomain`` are the sets x and y lie in; ``sign`` is +1 for an increasing map, -1 decreasing."""

    domain: constraints.Constraint = constraints.real
    codomain: constraints.Constraint = constraints.real
    bijective = True
    event_dim = 0

    def __call__(self, x: Any) -> Tensor:
        return self._call(_tensor(x))

    def inv(self, y: Any) -> Tensor:
        """The inverse map, x = t⁻¹(y)."""
        return self._inverse(_tensor(y))

    @property
    def sign(self) -> int:
        return 1

    def _call(self, x: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} is not implemented")

    def _inverse(self, y: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}.inv is not implemented")

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Tensor:
        """log |dy/dx| at x (y = t(x) given too, as torch's signature, to spare recomputing it)."""
        raise NotImplementedError(f"{type(self).__name__}.log_abs_det_jacobian is not implemented")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


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
        self.loc, self.scale, self.event_dim = _tensor(loc), _tensor(scale), event_dim

    @property
    def sign(self) -> int:
        signs = set(self.scale.detach().numpy().ravel() > 0)
        if len(signs) != 1:
            raise NotImplementedError("AffineTransform.sign: the scales have mixed signs")
        return 1 if signs.pop() else -1

    def _call(self, x: Tensor) -> Tensor:
        return self.loc + self.scale * x

    def _inverse(self, y: Tensor) -> Tensor:
        return (y - self.loc) / self.scale

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Tensor:
        shape = np.broadcast_shapes(_tensor(x).shape, self.scale.shape)
        log_scale = self.scale.abs().log()
        log_scale = log_scale if log_scale.shape == shape else log_scale.expand(*shape)
        return log_scale.sum(tuple(range(-self.event_dim, 0))) if self.event_dim else log_scale

    def __repr__(self) -> str:
        return f"AffineTransform(loc={self.loc.tolist()}, scale={self.scale.tolist()})"
