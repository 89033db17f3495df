"""The other elementwise transforms, as torch.distributions': ``TanhTransform`` (a squashed Gaussian policy),
``SoftplusTransform``, ``AbsTransform`` (not a bijection), ``PowerTransform`` and
``CumulativeDistributionTransform`` (a distribution's cdf as a map onto [0, 1]). Each log-Jacobian is torch's
stable form, composed from Tensor ops.

>>> import autograd_core as ag
>>> round(TanhTransform()(ag.Tensor(100.0)).item(), 6), TanhTransform().log_abs_det_jacobian(100.0, 1.0).item() < -190
(1.0, True)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..tensor import Tensor
from . import constraints
from .discrete import _softplus
from .transforms import Transform, _tensor

__all__ = ["AbsTransform", "CumulativeDistributionTransform", "PowerTransform", "SoftplusTransform", "TanhTransform"]


class TanhTransform(Transform):
    """y = tanh(x), onto (-1, 1) (a squashed Gaussian policy's last step).

    >>> t = TanhTransform()
    >>> round(t.inv(ag.Tensor(0.5)).item(), 6), round(t.log_abs_det_jacobian(0.0, 0.0).item(), 6)
    (0.549306, 0.0)
    """

    codomain = constraints.interval(-1.0, 1.0)

    def _call(self, x: Tensor) -> Tensor:
        return x.tanh()

    def _inverse(self, y: Tensor) -> Tensor:
        return 0.5 * (y.log1p() - (-y).log1p())  # atanh, through log1p as torch's

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Tensor:
        x = _tensor(x)
        return 2.0 * (math.log(2.0) - x - _softplus(-2.0 * x))  # log(1 - tanh²x), stable for large |x|


class SoftplusTransform(Transform):
    """y = log(1 + e^x), onto (0, inf).

    >>> t = SoftplusTransform()
    >>> round(t(ag.Tensor(0.0)).item(), 6), round(t.inv(ag.Tensor(math.log(2.0))).item(), 12)
    (0.693147, 0.0)
    """

    codomain = constraints.positive

    def _call(self, x: Tensor) -> Tensor:
        return _softplus(x)

    def _inverse(self, y: Tensor) -> Tensor:
        return y + (-(-y).expm1()).log()  # log(e^y - 1), without overflow

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Tensor:
        return -_softplus(-_tensor(x))  # log sigmoid(x)


class AbsTransform(Transform):
    """y = |x|: not a bijection (``inv`` returns the non-negative root), as torch's.

    >>> AbsTransform()(ag.Tensor(-2.0)).item(), AbsTransform().bijective
    (2.0, False)
    """

    codomain = constraints.nonnegative
    bijective = False

    def _call(self, x: Tensor) -> Tensor:
        return x.abs()

    def _inverse(self, y: Tensor) -> Tensor:
        return y


class PowerTransform(Transform):
    """y = x ** exponent on (0, inf).

    >>> t = PowerTransform(2.0)
    >>> t(ag.Tensor(3.0)).item(), t.inv(ag.Tensor(9.0)).item(), round(t.log_abs_det_jacobian(3.0, 9.0).item(), 6)
    (9.0, 3.0, 1.791759)
    """

    domain = constraints.positive
    codomain = constraints.positive

    def __init__(self, exponent: Any) -> None:
        self.exponent = _tensor(exponent)

    @property
    def sign(self) -> int:
        signs = set(np.sign(self.exponent.detach().numpy()).ravel().tolist())
        if len(signs) != 1:
            raise NotImplementedError("PowerTransform.sign: the exponents have mixed signs")
        return int(signs.pop())

    def _call(self, x: Tensor) -> Tensor:
        return x**self.exponent

    def _inverse(self, y: Tensor) -> Tensor:
        return y ** (1 / self.exponent)

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Tensor:
        return (self.exponent * _tensor(y) / _tensor(x)).abs().log()  # |e x^(e-1)|

    def __repr__(self) -> str:
        return f"PowerTransform(exponent={self.exponent.tolist()})"


class CumulativeDistributionTransform(Transform):
    """y = distribution.cdf(x), onto [0, 1]: log |dy/dx| is the log density (a copula's building block).

    >>> from autograd_core.distributions import Normal
    >>> t = CumulativeDistributionTransform(Normal(0.0, 1.0))
    >>> t(ag.Tensor(0.0)).item(), round(t.inv(ag.Tensor(0.975)).item(), 4)
    (0.5, 1.96)
    """

    codomain = constraints.unit_interval

    def __init__(self, distribution: Any) -> None:
        self.distribution = distribution

    @property
    def domain(self) -> constraints.Constraint:  # type: ignore[override]
        return self.distribution.support

    def _call(self, x: Tensor) -> Tensor:
        return self.distribution.cdf(x)

    def _inverse(self, y: Tensor) -> Tensor:
        return self.distribution.icdf(y)

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Tensor:
        return self.distribution.log_prob(x)
