"""``VonMises``: the circular normal distribution on angles, as ``torch.distributions.VonMises``. Its normaliser
is 2 pi I0(kappa), taken as log i0e(kappa) + kappa so large concentrations do not overflow; draws are Best and
Fisher's (1979) rejection sampler, torch's, in float64 (no ``rsample``: the accept/reject step is not
differentiable).

>>> import autograd_core as ag
>>> k = ag.Tensor(2.0, requires_grad=True)
>>> VonMises(0.0, k).log_prob(0.0).backward()  # d/dk [k - log I0(k)] = 1 - I1(k) / I0(k)
>>> round(k.grad.item(), 6)
0.302225
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from ..functions_torch import cos
from ..sampling import Generator
from ..special import i0e, i1e
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution, Shape, broadcast_all

__all__ = ["VonMises"]


def _log_i0(kappa: Tensor) -> Tensor:
    return i0e(kappa).log() + kappa  # i0e(k) = e^-k I0(k)


class VonMises(Distribution):
    """Density exp(kappa cos(x - loc)) / (2 pi I0(kappa)) on angles (``loc`` and values any real number, read
    modulo 2 pi; draws in [-pi, pi)). ``mean`` and ``mode`` are loc; ``variance`` is the circular one,
    1 - I1(kappa) / I0(kappa); ``entropy`` (which torch lacks) is log(2 pi I0(kappa)) - kappa I1(kappa) / I0(kappa).

    >>> d = VonMises(0.0, 1e-8)  # nearly uniform on the circle
    >>> round(d.log_prob(1.0).exp().item() * 2 * math.pi, 6), round(d.entropy().item() - math.log(2 * math.pi), 6)
    (1.0, -0.0)
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "loc": constraints.real,
        "concentration": constraints.positive,
    }
    support = constraints.real

    def __init__(self, loc: Any, concentration: Any, validate_args: bool | None = None) -> None:
        self.loc, self.concentration = broadcast_all("VonMises", loc=loc, concentration=concentration)
        super().__init__(self.loc.shape, validate_args=validate_args)

    def log_prob(self, value: Any) -> Tensor:
        value = self._validate_sample(value)
        return self.concentration * cos(value - self.loc) - math.log(2 * math.pi) - _log_i0(self.concentration)

    def _mean_resultant_length(self) -> Tensor:
        """I1(kappa) / I0(kappa), the length of E[(cos x, sin x)]."""
        return i1e(self.concentration) / i0e(self.concentration)

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        return 1 - self._mean_resultant_length()

    def entropy(self) -> Tensor:
        return math.log(2 * math.pi) + _log_i0(self.concentration) - self.concentration * self._mean_resultant_length()

    def sample(self, sample_shape: Shape | list[int] = (), *, generator: Generator | None = None) -> Tensor:
        shape, rng = self._extended_shape(sample_shape), self._draw(generator)
        loc = np.broadcast_to(self.loc.detach().numpy().astype(np.float64), shape)
        kappa = np.broadcast_to(self.concentration.detach().numpy().astype(np.float64), shape)
        tau = 1 + np.sqrt(1 + 4 * kappa**2)
        with np.errstate(divide="ignore", invalid="ignore"):
            rho = (tau - np.sqrt(2 * tau)) / (2 * kappa)
            proposal_r = np.where(kappa < 1e-5, 1 / kappa + kappa, (1 + rho**2) / (2 * rho))
        x, done = np.zeros(shape), np.zeros(shape, dtype=bool)
        while not done.all():  # Best & Fisher: accept ~ 66% or more per round, whatever kappa
            u1, u2, u3 = rng.random((3,) + shape)
            z = np.cos(np.pi * u1)
            f = (1 + proposal_r * z) / (proposal_r + z)
            c = kappa * (proposal_r - f)
            with np.errstate(divide="ignore", invalid="ignore"):
                accept = ~done & (((c * (2 - c) - u2) > 0) | (np.log(c / u2) + 1 - c >= 0))
            x = np.where(accept, np.sign(u3 - 0.5) * np.arccos(np.clip(f, -1, 1)), x)
            done |= accept
        angles = (x + np.pi + loc) % (2 * np.pi) - np.pi
        return Tensor(angles.astype(self.loc.dtype))
