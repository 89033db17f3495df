"""The relaxed (Concrete / Gumbel-softmax) distributions, as torch.distributions': ``RelaxedBernoulli`` on (0, 1)
and ``RelaxedOneHotCategorical`` on the simplex, continuous stand-ins for a Bernoulli and a one-hot draw whose
``rsample`` differentiates in the logits (Maddison et al. 2017, Jang et al. 2017); ``temperature`` -> 0 recovers
the discrete draw. Each is torch's composition: a logistic (Gumbel) draw through a sigmoid (softmax), the density
by the change of variables (``TransformedDistribution``).

>>> import autograd_core as ag
>>> logits = ag.Tensor([0.0, 1.0, -1.0], requires_grad=True)
>>> y = RelaxedOneHotCategorical(0.5, logits=logits).rsample(generator=ag.Generator(0))
>>> round(y.sum().item(), 12), y[0].backward() is None and logits.grad is not None
(1.0, True)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..functions import as_tensor
from ..sampling import Generator
from ..special import lgamma
from ..tensor import Tensor
from . import constraints
from .discrete import Bernoulli, Categorical, _softplus
from .distribution import Distribution, Shape
from .transformed import TransformedDistribution
from .transforms import ExpTransform, SigmoidTransform

__all__ = ["ExpRelaxedCategorical", "LogitRelaxedBernoulli", "RelaxedBernoulli", "RelaxedOneHotCategorical"]


def _temperature(owner: str, temperature: Any, dtype: Any) -> Tensor:
    t = temperature if isinstance(temperature, Tensor) else as_tensor(np.asarray(temperature, dtype=dtype))
    if not bool((t.detach().numpy() > 0).all()):
        raise ValueError(f"{owner}: temperature must be > 0, got {t.detach().numpy().tolist()}")
    return t


def _open_uniform(rng: np.random.Generator, shape: Shape, dtype: Any) -> np.ndarray[Any, Any]:
    eps = np.finfo(dtype).eps  # torch's clamp_probs: u in [eps, 1 - eps], so log u and log(1 - u) stay finite
    return rng.random(shape).astype(dtype).clip(eps, 1 - eps)


class LogitRelaxedBernoulli(Distribution):
    """The logit of a RelaxedBernoulli draw: (logits + log u - log(1 - u)) / temperature, as torch's."""

    arg_constraints = Bernoulli.arg_constraints
    support = constraints.real
    has_rsample = True

    def __init__(
        self, temperature: Any, probs: Any = None, logits: Any = None, validate_args: bool | None = None
    ) -> None:
        self._bernoulli = Bernoulli(probs, logits, validate_args=validate_args)
        self.temperature = _temperature(type(self).__name__, temperature, self._bernoulli._param.dtype)
        super().__init__(self._bernoulli.batch_shape, validate_args=validate_args)

    def _given_params(self) -> dict[str, Tensor]:
        return self._bernoulli._given_params()

    def expand(self, batch_shape: Shape | list[int], _instance: Any = None) -> Distribution:
        bernoulli = self._bernoulli.expand(batch_shape)
        return type(self)(self.temperature, **bernoulli._given_params(), validate_args=False)

    @property
    def logits(self) -> Tensor:
        return self._bernoulli.logits

    @property
    def probs(self) -> Tensor:
        return self._bernoulli.probs

    def rsample(self, sample_shape: Shape | list[int] = (), *, generator: Generator | None = None) -> Tensor:
        u = _open_uniform(self._draw(generator), self._extended_shape(sample_shape), self.logits.dtype)
        return (self.logits + (np.log(u) - np.log1p(-u))) / self.temperature

    def log_prob(self, value: Any) -> Tensor:
        value = self._validate_sample(value)
        diff = self.logits - value * self.temperature
        return self.temperature.log() + diff - 2 * _softplus(diff)


class RelaxedBernoulli(TransformedDistribution):
    """A Bernoulli relaxed to (0, 1): sigmoid of a LogitRelaxedBernoulli draw, as
    ``torch.distributions.RelaxedBernoulli``.

    >>> d = RelaxedBernoulli(0.1, probs=ag.Tensor([0.999, 0.001]))
    >>> d.sample(generator=ag.Generator(1)).round(2).tolist()  # a cold temperature: nearly 1 and 0
    [1.0, 0.0]
    """

    arg_constraints = Bernoulli.arg_constraints

    def __init__(
        self, temperature: Any, probs: Any = None, logits: Any = None, validate_args: bool | None = None
    ) -> None:
        base = LogitRelaxedBernoulli(temperature, probs, logits, validate_args=validate_args)
        super().__init__(base, SigmoidTransform(), validate_args=validate_args)

    def expand(self, batch_shape: Shape | list[int], _instance: Any = None) -> Distribution:
        base: Any = self.base_dist.expand(batch_shape)
        return type(self)(base.temperature, **base._given_params(), validate_args=False)

    @property
    def support(self) -> constraints.Constraint:
        return constraints.unit_interval

    @property
    def temperature(self) -> Tensor:
        return self.base_dist.temperature  # type: ignore[attr-defined]

    @property
    def logits(self) -> Tensor:
        return self.base_dist.logits  # type: ignore[attr-defined]

    @property
    def probs(self) -> Tensor:
        return self.base_dist.probs  # type: ignore[attr-defined]


class ExpRelaxedCategorical(Distribution):
    """The log of a RelaxedOneHotCategorical draw: log_softmax((logits + Gumbel noise) / temperature), as torch's."""

    arg_constraints = Categorical.arg_constraints
    support = constraints.real_vector
    has_rsample = True

    def __init__(
        self, temperature: Any, probs: Any = None, logits: Any = None, validate_args: bool | None = None
    ) -> None:
        self._categorical = Categorical(probs, logits, validate_args=validate_args)
        self.temperature = _temperature(type(self).__name__, temperature, self._categorical._param.dtype)
        k = self._categorical._num_events
        super().__init__(self._categorical.batch_shape, (k,), validate_args=validate_args)

    def _given_params(self) -> dict[str, Tensor]:
        return self._categorical._given_params()

    def expand(self, batch_shape: Shape | list[int], _instance: Any = None) -> Distribution:
        categorical = self._categorical.expand(batch_shape)
        return type(self)(self.temperature, **categorical._given_params(), validate_args=False)

    @property
    def logits(self) -> Tensor:
        return self._categorical.logits

    @property
    def probs(self) -> Tensor:
        return self._categorical.probs

    def rsample(self, sample_shape: Shape | list[int] = (), *, generator: Generator | None = None) -> Tensor:
        u = _open_uniform(self._draw(generator), self._extended_shape(sample_shape), self.logits.dtype)
        scores = (self.logits - np.log(-np.log(u))) / self.temperature
        return scores - scores.logsumexp(-1, keepdim=True)

    def log_prob(self, value: Any) -> Tensor:
        value = self._validate_sample(value)
        k = self._categorical._num_events
        log_scale = (
            lgamma(  # the normaliser (K-1)! t^(K-1)
                self.temperature * 0 + k
            )
            + (k - 1) * self.temperature.log()
        )
        score = self.logits - value * self.temperature
        return (score - score.logsumexp(-1, keepdim=True)).sum(-1) + log_scale


class RelaxedOneHotCategorical(TransformedDistribution):
    """A one-hot draw relaxed to the simplex (the Gumbel-softmax): exp of an ExpRelaxedCategorical draw, as
    ``torch.distributions.RelaxedOneHotCategorical``.

    >>> d = RelaxedOneHotCategorical(0.05, probs=ag.Tensor([0.001, 0.998, 0.001]))
    >>> d.sample(generator=ag.Generator(1)).round(2).tolist()  # a cold temperature: nearly one-hot
    [0.0, 1.0, 0.0]
    """

    arg_constraints = Categorical.arg_constraints

    def __init__(
        self, temperature: Any, probs: Any = None, logits: Any = None, validate_args: bool | None = None
    ) -> None:
        base = ExpRelaxedCategorical(temperature, probs, logits, validate_args=validate_args)
        super().__init__(base, ExpTransform(), validate_args=validate_args)

    def expand(self, batch_shape: Shape | list[int], _instance: Any = None) -> Distribution:
        base: Any = self.base_dist.expand(batch_shape)
        return type(self)(base.temperature, **base._given_params(), validate_args=False)

    @property
    def support(self) -> constraints.Constraint:
        return constraints.simplex

    @property
    def temperature(self) -> Tensor:
        return self.base_dist.temperature  # type: ignore[attr-defined]

    @property
    def logits(self) -> Tensor:
        return self.base_dist.logits  # type: ignore[attr-defined]

    @property
    def probs(self) -> Tensor:
        return self.base_dist.probs  # type: ignore[attr-defined]
