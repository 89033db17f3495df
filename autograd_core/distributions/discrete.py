"""The discrete distributions: ``Bernoulli`` (a decoder's pixels), ``Categorical`` (REINFORCE's policy),
``OneHotCategorical``, each from ``probs=`` or ``logits=`` (exactly one), as torch.distributions'.

Their samples are values (no ``rsample``): gradients reach the parameters through ``log_prob`` (the score
function), ``entropy`` and ``kl_divergence``, all composed from Tensor ops. Given probs, the logits are
log(probs clamped to [eps, 1 - eps]), torch's ``probs_to_logits``, so a 0 or 1 probability stays finite.

>>> import autograd_core as ag
>>> p = ag.Tensor([0.2, 0.5, 0.3], requires_grad=True)
>>> d = Categorical(probs=p)
>>> d.log_prob(ag.tensor(2)).backward()  # d log(p_2 / sum p) / dp = onehot(2) / p_2 - 1 / sum p
>>> p.grad.round(6).tolist()
[-1.0, -1.0, 2.333333]
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ..creation import arange
from ..functions_torch import log1p
from ..sampling import Generator
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution, Shape, broadcast_all

__all__ = ["Bernoulli", "Categorical", "OneHotCategorical", "OneHotCategoricalStraightThrough"]


def _one_of(owner: str, probs: Any, logits: Any) -> tuple[str, Any]:
    if (probs is None) == (logits is None):
        got = "both" if probs is not None else "neither"
        raise ValueError(f"{owner}: give exactly one of probs= or logits=, got {got}")
    return ("probs", probs) if probs is not None else ("logits", logits)


def _clamp_probs(probs: Tensor) -> Tensor:
    eps = float(np.finfo(probs.dtype).eps)
    return probs.clamp(eps, 1 - eps)


def _softplus(x: Tensor) -> Tensor:
    """log(1 + e^x) without overflow: relu(x) + log1p(e^-|x|) (at 0 the kink rule gives ½ + 0 = sigmoid(0))."""
    return x.relu() + log1p((-x.abs()).exp())


class Bernoulli(Distribution):
    """1 with probability ``probs`` (or sigmoid(``logits``)), else 0, as ``torch.distributions.Bernoulli``.
    ``log_prob(x)`` is minus binary cross-entropy with logits, computed stably from the logits.

    >>> d = Bernoulli(logits=ag.Tensor([0.0, 2.0]))
    >>> d.log_prob(ag.Tensor([1.0, 0.0])).round(6).tolist(), d.mean.round(6).tolist()
    ([-0.693147, -2.126928], [0.5, 0.880797])
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "probs": constraints.unit_interval,
        "logits": constraints.real,
    }
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs: Any = None, logits: Any = None, validate_args: bool | None = None) -> None:
        self._name, given = _one_of("Bernoulli", probs, logits)
        (self._param,) = broadcast_all("Bernoulli", **{self._name: given})
        super().__init__(self._param.shape, validate_args=validate_args)

    def _given_params(self) -> dict[str, Tensor]:
        return {self._name: self._param}

    @property
    def probs(self) -> Tensor:
        return self._param if self._name == "probs" else self._param.sigmoid()

    @property
    def logits(self) -> Tensor:
        if self._name == "logits":
            return self._param
        p = _clamp_probs(self._param)
        return p.log() - log1p(-p)

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def mode(self) -> Tensor:
        p = self.probs.detach().numpy()
        return Tensor(np.where(p == 0.5, np.nan, p > 0.5).astype(p.dtype))  # a tie has no single mode

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape: Shape | list[int] = (), *, generator: Generator | None = None) -> Tensor:
        u = self._draw(generator).random(self._extended_shape(sample_shape))
        probs = self.probs.detach().numpy()
        return Tensor((u < probs).astype(probs.dtype))

    def log_prob(self, value: Any) -> Tensor:
        value = self._validate_sample(value)
        logits = self.logits
        return value * logits - _softplus(logits)

    def entropy(self) -> Tensor:
        logits = self.logits
        return _softplus(logits) - logits * self.probs

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """The values 0 and 1 along a new first axis (broadcast over the batch with ``expand``), to sum a
        discrete latent out exactly: ``sum(d.log_prob(v).exp() * f(v) for v in d.enumerate_support())``.

        >>> Bernoulli(ag.Tensor([0.2, 0.9])).enumerate_support().tolist()
        [[0.0, 0.0], [1.0, 1.0]]
        """
        values = Tensor(np.array([0.0, 1.0], dtype=self._param.dtype)).reshape((2,) + (1,) * len(self.batch_shape))
        return values.expand(-1, *self.batch_shape) if expand else values


class Categorical(Distribution):
    """One of K categories (the last axis of ``probs`` or ``logits``), as ``torch.distributions.Categorical``:
    ``probs`` are normalised to sum 1 (any non-negative weights), ``logits`` to log-probabilities. The
    samples are int64 indices; ``log_prob(a)`` differentiates in the parameters (REINFORCE's score).

    >>> d = Categorical(logits=ag.Tensor([0.0, 0.0, 0.0, 0.0]))
    >>> round(d.entropy().item(), 6), d.sample((3,), generator=ag.Generator(0)).dtype
    (1.386294, dtype('int64'))
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "probs": constraints.simplex,
        "logits": constraints.real_vector,
    }
    has_enumerate_support = True

    def __init__(self, probs: Any = None, logits: Any = None, validate_args: bool | None = None) -> None:
        self._name, given = _one_of(type(self).__name__, probs, logits)
        (param,) = broadcast_all(type(self).__name__, **{self._name: given})
        if param.ndim == 0:
            raise ValueError(
                f"{type(self).__name__}: {self._name} needs at least one axis (the categories, last), got a "
                f"0-d tensor; for two outcomes pass a pair, or use Bernoulli"
            )
        if self._name == "probs":
            self._param = param / param.sum(-1, keepdim=True)
        else:
            self._param = param - param.logsumexp(-1, keepdim=True)
        self._num_events = param.shape[-1]
        super().__init__(param.shape[:-1], validate_args=validate_args)

    def _given_params(self) -> dict[str, Tensor]:
        return {self._name: self._param}

    @property
    def param_shape(self) -> Shape:
        return self._param.shape

    @property
    def probs(self) -> Tensor:
        return self._param if self._name == "probs" else self._param.softmax(-1)

    @property
    def logits(self) -> Tensor:
        return self._param if self._name == "logits" else _clamp_probs(self._param).log()

    @property
    def support(self) -> constraints.Constraint:
        return constraints.integer_interval(0, self._num_events - 1)

    @property
    def mean(self) -> Tensor:
        return Tensor(np.full(self.batch_shape, np.nan, dtype=self._param.dtype))  # categories are not numbers

    @property
    def mode(self) -> Tensor:
        return self._param.argmax(-1)

    @property
    def variance(self) -> Tensor:
        return Tensor(np.full(self.batch_shape, np.nan, dtype=self._param.dtype))

    def sample(self, sample_shape: Shape | list[int] = (), *, generator: Generator | None = None) -> Tensor:
        shape = self._extended_shape(sample_shape)
        u = self._draw(generator).random(shape[: len(shape) - len(self.event_shape)])  # (a OneHot's event is K)
        cdf = np.cumsum(self.probs.detach().numpy(), axis=-1)
        # category k when cdf[k-1] <= u < cdf[k]; the clip guards a last cdf a rounding short of 1
        drawn = (u[..., None] >= cdf).sum(axis=-1).clip(0, self._num_events - 1)
        return Tensor(drawn.astype(np.int64))

    def log_prob(self, value: Any) -> Tensor:
        value = self._validate_sample(value)
        return self._log_prob_of(value.detach().numpy().astype(np.int64))

    def _log_prob_of(self, index: np.ndarray[Any, Any]) -> Tensor:
        """The log-probabilities of the category indices ``index`` (shape sample_shape + batch_shape)."""
        shape = np.broadcast_shapes(index.shape, self.batch_shape)
        log_pmf = self.logits.expand(*shape, self._num_events)
        return log_pmf.gather(-1, Tensor(np.broadcast_to(index, shape)[..., None]))[..., 0]

    def entropy(self) -> Tensor:
        logits = self.logits.clamp(min=float(np.finfo(self._param.dtype).min))  # 0 * -inf would be NaN
        return -(self.probs * logits).sum(-1)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """The categories 0..K-1 along a new first axis (broadcast over the batch with ``expand``).

        >>> Categorical(logits=ag.zeros(2, 3)).enumerate_support().tolist()
        [[0, 0], [1, 1], [2, 2]]
        """
        values = arange(self._num_events).reshape((-1,) + (1,) * len(self.batch_shape))
        return values.expand(-1, *self.batch_shape) if expand else values


class OneHotCategorical(Categorical):
    """A Categorical whose draws are one-hot vectors (event_shape ``(K,)``), as
    ``torch.distributions.OneHotCategorical``; ``log_prob`` takes one-hot vectors.

    >>> d = OneHotCategorical(probs=ag.Tensor([0.0, 1.0, 0.0]))
    >>> d.sample().tolist(), d.event_shape
    ([0.0, 1.0, 0.0], (3,))
    """

    has_enumerate_support = True

    def __init__(self, probs: Any = None, logits: Any = None, validate_args: bool | None = None) -> None:
        super().__init__(probs, logits, validate_args)
        self._event_shape = (self._num_events,)

    @property
    def support(self) -> constraints.Constraint:
        return constraints.one_hot

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def mode(self) -> Tensor:
        return self._one_hot(super().mode.numpy())

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)

    def _one_hot(self, index: np.ndarray[Any, Any]) -> Tensor:
        return Tensor(np.eye(self._num_events, dtype=self._param.dtype)[index])

    def sample(self, sample_shape: Shape | list[int] = (), *, generator: Generator | None = None) -> Tensor:
        return self._one_hot(super().sample(sample_shape, generator=generator).numpy())

    def log_prob(self, value: Any) -> Tensor:
        value = self._validate_sample(value)
        return self._log_prob_of(value.detach().numpy().argmax(-1))

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """The K one-hot vectors along a new first axis."""
        values = Tensor(np.eye(self._num_events, dtype=self._param.dtype)).reshape(
            (self._num_events,) + (1,) * len(self.batch_shape) + (self._num_events,)
        )
        return values.expand(-1, *self.batch_shape, -1) if expand else values


class OneHotCategoricalStraightThrough(OneHotCategorical):
    """A OneHotCategorical whose ``rsample`` passes gradients straight through (Bengio et al. 2013): the value
    is a one-hot draw, the gradient that of ``probs`` (draw + probs - probs.detach()), as
    ``torch.distributions.OneHotCategoricalStraightThrough``.

    >>> logits = ag.zeros(3, requires_grad=True)
    >>> y = OneHotCategoricalStraightThrough(logits=logits).rsample(generator=ag.Generator(0))
    >>> (y * ag.Tensor([1.0, 2.0, 3.0])).sum().backward()  # the gradient of sum(softmax * w)
    >>> y.sum().item(), [round(g, 6) + 0.0 for g in logits.grad.tolist()]  # p (w - p.w)
    (1.0, [-0.333333, 0.0, 0.333333])
    """

    has_rsample = True

    def rsample(self, sample_shape: Shape | list[int] = (), *, generator: Generator | None = None) -> Tensor:
        drawn = self.sample(sample_shape, generator=generator)
        probs = self.probs
        return drawn + (probs - probs.detach())
