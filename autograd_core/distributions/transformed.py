"""``TransformedDistribution``: a base distribution pushed through bijections (``transforms.py``), as
``torch.distributions.TransformedDistribution``. A draw is t(x) for x from the base (``rsample`` when the base
has one); the density is the change of variables, log p(y) = log p_base(x) - log |dy/dx| at x = t⁻¹(y), every
step a Tensor op, so it differentiates in the base's parameters and the transforms'.

>>> import autograd_core as ag
>>> from autograd_core.distributions import Normal
>>> from autograd_core.distributions.transforms import ExpTransform
>>> d = TransformedDistribution(Normal(0.0, 1.0), [ExpTransform()])  # a LogNormal
>>> round(d.log_prob(1.0).item(), 6), round(d.cdf(1.0).item(), 6)
(-0.918939, 0.5)
"""

from __future__ import annotations

from typing import Any

from ..sampling import Generator
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution, Shape
from .multivariate import Independent
from .transforms import ComposeTransform, Transform, sum_rightmost

__all__ = ["TransformedDistribution"]


class TransformedDistribution(Distribution):
    """``base_distribution`` through ``transforms`` (one Transform or a list, applied in order).

    >>> from autograd_core.distributions import Uniform
    >>> from autograd_core.distributions.transforms import AffineTransform
    >>> d = TransformedDistribution(Uniform(0.0, 1.0), AffineTransform(2.0, 3.0))  # Uniform(2, 5)
    >>> round(d.log_prob(3.0).exp().item(), 6), d.sample((4,)).shape
    (0.333333, (4,))
    """

    def __init__(
        self,
        base_distribution: Distribution,
        transforms: Transform | list[Transform],
        validate_args: bool | None = None,
    ) -> None:
        if not isinstance(base_distribution, Distribution):
            raise TypeError(
                f"TransformedDistribution: base_distribution must be a Distribution, got {base_distribution!r}"
            )
        self.transforms = [transforms] if isinstance(transforms, Transform) else list(transforms)
        for t in self.transforms:
            if not isinstance(t, Transform):
                raise TypeError(f"TransformedDistribution: transforms must be Transforms, got {t!r}")
        # torch's shapes: the composed map's domain may span more axes than the base's event (a vector map of a
        # batch of scalars): those batch axes become event axes; the event grows by what the map adds
        chain = ComposeTransform(self.transforms)
        base_shape = base_distribution.batch_shape + base_distribution.event_shape
        domain_event_dim = chain.domain.event_dim
        if len(base_shape) < domain_event_dim:
            raise ValueError(
                f"TransformedDistribution: the transforms act on events of {domain_event_dim} axes, but the base "
                f"distribution's draws have shape {base_shape}"
            )
        extra = domain_event_dim - len(base_distribution.event_shape)
        if extra > 0:
            base_distribution = Independent(base_distribution, extra)
        self.base_dist = base_distribution
        shape = chain.forward_shape(base_shape)
        event_dim = chain.codomain.event_dim + max(len(self.base_dist.event_shape) - domain_event_dim, 0)
        cut = len(shape) - event_dim
        super().__init__(shape[:cut], shape[cut:], validate_args=validate_args)

    @property
    def has_rsample(self) -> bool:  # type: ignore[override]
        return self.base_dist.has_rsample

    @property
    def support(self) -> constraints.Constraint:
        return self.transforms[-1].codomain if self.transforms else self.base_dist.support

    def expand(self, batch_shape: Shape | list[int], _instance: Any = None) -> Distribution:
        return type(self)(self.base_dist.expand(batch_shape), self.transforms, validate_args=False)

    def sample(self, sample_shape: Shape | list[int] = (), *, generator: Generator | None = None) -> Tensor:
        x = self.base_dist.sample(sample_shape, generator=generator)
        for t in self.transforms:
            x = t(x)
        return x.detach()

    def rsample(self, sample_shape: Shape | list[int] = (), *, generator: Generator | None = None) -> Tensor:
        x = self.base_dist.rsample(sample_shape, generator=generator)
        for t in self.transforms:
            x = t(x)
        return x

    def log_prob(self, value: Any) -> Tensor:
        y = self._validate_sample(value)
        log_jacobians: Tensor | float = 0.0
        event_dim = len(self.event_shape)
        for t in reversed(self.transforms):
            x = t.inv(y)
            event_dim += t.domain.event_dim - t.codomain.event_dim
            # an elementwise map of a vector event: its axes add up to one number per event
            log_jacobians = log_jacobians + sum_rightmost(t.log_abs_det_jacobian(x, y), event_dim - t.domain.event_dim)
            y = x
        return self.base_dist.log_prob(y) - log_jacobians

    def _monotone_sign(self) -> int:
        sign = 1
        for t in self.transforms:
            sign *= t.sign
        return sign

    def cdf(self, value: Any) -> Tensor:
        """The base's cdf at t⁻¹(value) (1 minus it through a decreasing map)."""
        y = self._validate_sample(value, "cdf")
        for t in reversed(self.transforms):
            y = t.inv(y)
        base = self.base_dist.cdf(y)
        return base if self._monotone_sign() == 1 else 1 - base

    def icdf(self, value: Any) -> Tensor:
        """t(the base's icdf), at 1 - value through a decreasing map."""
        p = self._validate_probability(value)
        x = self.base_dist.icdf(p if self._monotone_sign() == 1 else 1 - p)
        for t in self.transforms:
            x = t(x)
        return x

    def __repr__(self) -> str:
        return f"TransformedDistribution({self.base_dist!r}, {self.transforms!r})"
