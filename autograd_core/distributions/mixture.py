"""``MixtureSameFamily``: a weighted mixture of K distributions of one family (a mixture density network's
output, a Gaussian mixture model), as ``torch.distributions.MixtureSameFamily``. The density is
logsumexp_k(log w_k + log p_k(x)), composed from Tensor ops, so it differentiates in the weights' logits and
every component's parameters; draws pick a component by its weight, then draw from it (no ``rsample``).

>>> import autograd_core as ag
>>> from autograd_core.distributions import Categorical, Normal
>>> gmm = MixtureSameFamily(Categorical(probs=ag.Tensor([0.5, 0.5])), Normal(ag.Tensor([-1.0, 1.0]), 1.0))
>>> gmm.mean.item(), gmm.variance.item()  # the law of total variance: 1 + 1
(0.0, 2.0)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..sampling import Generator
from ..tensor import Tensor
from . import constraints
from .discrete import Categorical
from .distribution import Distribution, Shape

__all__ = ["MixtureSameFamily"]


class MixtureSameFamily(Distribution):
    """``mixture_distribution`` (a Categorical over K) weighting the K members of ``component_distribution``'s
    last batch axis; batch_shape is the components' without that axis, event_shape theirs.

    >>> from autograd_core.distributions import Categorical, Normal
    >>> d = MixtureSameFamily(Categorical(logits=ag.zeros(3)), Normal(ag.Tensor([-2.0, 0.0, 2.0]), 0.5))
    >>> d.sample((4,)).shape, round(d.cdf(0.0).item(), 6)
    ((4,), 0.5)
    """

    def __init__(
        self, mixture_distribution: Categorical, component_distribution: Distribution, validate_args: bool | None = None
    ) -> None:
        if not isinstance(mixture_distribution, Categorical):
            raise TypeError(
                "MixtureSameFamily: mixture_distribution must be a Categorical (the weights), got "
                f"{type(mixture_distribution).__name__}"
            )
        if not isinstance(component_distribution, Distribution):
            raise TypeError(
                "MixtureSameFamily: component_distribution must be a Distribution, got "
                f"{type(component_distribution).__name__}"
            )
        components = component_distribution.batch_shape
        k = mixture_distribution.param_shape[-1]
        if not components or components[-1] != k:
            raise ValueError(
                f"MixtureSameFamily: component_distribution's batch_shape {components} must end in the {k} "
                f"components of mixture_distribution (wrap a multivariate component in Independent so that its "
                "last batch axis counts the components)"
            )
        try:
            batch = np.broadcast_shapes(mixture_distribution.batch_shape, components[:-1])
        except ValueError:
            raise ValueError(
                f"MixtureSameFamily: mixture batch_shape {mixture_distribution.batch_shape} does not broadcast with "
                f"the components' {components[:-1]}"
            ) from None
        self.mixture_distribution, self.component_distribution = mixture_distribution, component_distribution
        self._event_ndims = len(component_distribution.event_shape)
        super().__init__(batch, component_distribution.event_shape, validate_args=validate_args)

    def _given_params(self) -> dict[str, Any]:
        return {}

    @property
    def support(self) -> constraints.Constraint:
        return self.component_distribution.support

    def expand(self, batch_shape: Shape | list[int], _instance: Any = None) -> Distribution:
        batch = tuple(batch_shape)
        k = self.mixture_distribution.param_shape[-1]
        mixture: Any = self.mixture_distribution.expand(batch)  # (a Categorical again)
        return type(self)(
            mixture,
            self.component_distribution.expand(batch + (k,)),
            validate_args=False,
        )

    def _pad(self, x: Tensor) -> Tensor:
        """The mixture axis moved before the event axes: x of shape B + (K,) -> B + (K,) + (1,) * event_ndims."""
        return x.reshape(x.shape + (1,) * self._event_ndims)

    @property
    def _mixture_axis(self) -> int:
        return -1 - self._event_ndims

    @property
    def mean(self) -> Tensor:
        probs = self._pad(self.mixture_distribution.probs)
        return (probs * self.component_distribution.mean).sum(self._mixture_axis)

    @property
    def variance(self) -> Tensor:
        """E[Var(X | k)] + Var(E[X | k]), the law of total variance."""
        probs = self._pad(self.mixture_distribution.probs)
        means = self.component_distribution.mean
        within = (probs * self.component_distribution.variance).sum(self._mixture_axis)
        between = (probs * (means - self.mean.unsqueeze(self._mixture_axis)) ** 2).sum(self._mixture_axis)
        return within + between

    def log_prob(self, value: Any) -> Tensor:
        value = self._validate_sample(value)
        per_component = self.component_distribution.log_prob(value.unsqueeze(self._mixture_axis))
        log_weights = self.mixture_distribution.logits.log_softmax(-1)
        return (per_component + log_weights).logsumexp(-1)

    def cdf(self, value: Any) -> Tensor:
        value = self._validate_sample(value, "cdf")
        per_component = self.component_distribution.cdf(value.unsqueeze(self._mixture_axis))
        return (per_component * self.mixture_distribution.probs).sum(-1)

    def sample(self, sample_shape: Shape | list[int] = (), *, generator: Generator | None = None) -> Tensor:
        shape = self._extended_shape(sample_shape)
        sample_ndims = len(shape) - len(self.batch_shape) - self._event_ndims
        which = self.mixture_distribution.sample(shape[:sample_ndims], generator=generator).numpy()
        drawn = self.component_distribution.sample(shape[:sample_ndims], generator=generator).numpy()
        drawn = np.broadcast_to(drawn, shape[: len(shape) - self._event_ndims] + drawn.shape[-1 - self._event_ndims :])
        index = np.broadcast_to(which, shape[: len(shape) - self._event_ndims]).reshape(
            shape[: len(shape) - self._event_ndims] + (1,) * (1 + self._event_ndims)
        )
        picked = np.take_along_axis(drawn, index, axis=self._mixture_axis)
        return Tensor(picked.squeeze(self._mixture_axis))

    def __repr__(self) -> str:
        return f"MixtureSameFamily({self.mixture_distribution!r}, {self.component_distribution!r})"
