"""The count distributions: ``Poisson``, ``Binomial``, ``Geometric``, ``NegativeBinomial``, ``Multinomial``, as
torch.distributions'. Their samples are numpy's draws (values, no ``rsample``); ``log_prob``, ``entropy`` and
their KL divergences are composed from Tensor ops (lgamma for the factorials), so gradients reach the parameters
by the score function.

>>> import autograd_core as ag
>>> rate = ag.Tensor(2.0, requires_grad=True)
>>> Poisson(rate).log_prob(3.0).backward()  # d/d rate [3 log rate - rate - log 3!] = 3 / rate - 1
>>> rate.grad.item()
0.5
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from ..functions import where
from ..functions_torch import log1p
from ..sampling import Generator
from ..special import lgamma, xlogy
from ..tensor import Tensor
from . import constraints
from .discrete import Categorical, _clamp_probs, _one_of, _softplus
from .distribution import Distribution, Shape, broadcast_all

__all__ = ["Binomial", "Geometric", "Multinomial", "NegativeBinomial", "Poisson"]


class Poisson(Distribution):
    """The number of events of a Poisson process of mean ``rate``, as ``torch.distributions.Poisson``.

    >>> d = Poisson(4.0)
    >>> round(d.log_prob(2.0).exp().item(), 6), d.mean.item(), d.variance.item(), d.mode.item()
    (0.146525, 4.0, 4.0, 4.0)
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate: Any, validate_args: bool | None = None) -> None:
        (self.rate,) = broadcast_all("Poisson", rate=rate)
        super().__init__(self.rate.shape, validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return self.rate

    @property
    def mode(self) -> Tensor:
        return self.rate.floor()

    @property
    def variance(self) -> Tensor:
        return self.rate

    def sample(self, sample_shape: Shape | list[int] = (), *, generator: Generator | None = None) -> Tensor:
        shape = self._extended_shape(sample_shape)
        rate = np.broadcast_to(self.rate.detach().numpy(), shape)
        return Tensor(self._draw(generator).poisson(rate).astype(rate.dtype))

    def log_prob(self, value: Any) -> Tensor:
        value = self._validate_sample(value)
        return xlogy(value, self.rate) - self.rate - lgamma(value + 1)  # xlogy: 0 log 0 = 0 at rate 0


def _probs_and_logits(owner: str, probs: Any, logits: Any) -> tuple[str, Tensor]:
    name, given = _one_of(owner, probs, logits)
    (param,) = broadcast_all(owner, **{name: given})
    return name, param


class _BinaryParam(Distribution):
    """A success probability given as ``probs=`` or ``logits=`` (exactly one), as Bernoulli's."""

    _name: str
    _param: Tensor

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


class Geometric(_BinaryParam):
    """The number of failures before the first success of trials of success probability ``probs``, as
    ``torch.distributions.Geometric`` (support 0, 1, 2, ...; mean 1/p - 1).

    >>> d = Geometric(probs=0.25)
    >>> d.log_prob(2.0).exp().item(), d.mean.item(), d.variance.item()
    (0.140625, 3.0, 12.0)
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "probs": constraints.interval(0.0, 1.0),
        "logits": constraints.real,
    }
    support = constraints.nonnegative_integer

    def __init__(self, probs: Any = None, logits: Any = None, validate_args: bool | None = None) -> None:
        self._name, self._param = _probs_and_logits("Geometric", probs, logits)
        super().__init__(self._param.shape, validate_args=validate_args)
        if self._validate_args and self._name == "probs" and not bool((self._param.data > 0).all()):
            raise ValueError(
                f"Geometric: parameter probs must be in (0, 1], got {self._param.data.tolist()} (with no chance "
                "of success the count never ends); pass validate_args=False to skip this check"
            )

    @property
    def mean(self) -> Tensor:
        return 1 / self.probs - 1

    @property
    def mode(self) -> Tensor:
        return self.probs * 0

    @property
    def variance(self) -> Tensor:
        return (1 / self.probs - 1) / self.probs

    def sample(self, sample_shape: Shape | list[int] = (), *, generator: Generator | None = None) -> Tensor:
        probs = self.probs.detach().numpy()
        tiny = np.finfo(probs.dtype).tiny
        u = self._draw(generator).uniform(tiny, 1, self._extended_shape(sample_shape))
        with np.errstate(divide="ignore"):  # probs 1: log1p(-1) = -inf, every draw 0
            return Tensor(np.floor(np.log(u) / np.log1p(-probs)).astype(probs.dtype))

    def log_prob(self, value: Any) -> Tensor:
        value = self._validate_sample(value)
        probs = self.probs
        # k log(1 - p) + log p; at p = 1 and k = 0 the first term is 0 log 0 = 0, as torch's
        certain = (probs.detach() == 1) & (value.detach() == 0)
        return value * log1p(-where(certain, 0.0, probs)) + probs.log()

    def entropy(self) -> Tensor:
        logits = self.logits
        return (_softplus(logits) - logits * self.probs) / self.probs  # a Bernoulli's entropy per success


class Binomial(_BinaryParam):
    """The number of successes in ``total_count`` trials of success probability ``probs`` (or sigmoid
    ``logits``), as ``torch.distributions.Binomial``.

    >>> d = Binomial(4, probs=0.5)
    >>> d.log_prob(2.0).exp().item(), d.mean.item(), d.variance.item(), d.mode.item()
    (0.375, 2.0, 1.0, 2.0)
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "total_count": constraints.nonnegative_integer,
        "probs": constraints.unit_interval,
        "logits": constraints.real,
    }
    has_enumerate_support = True

    def __init__(
        self, total_count: Any = 1, probs: Any = None, logits: Any = None, validate_args: bool | None = None
    ) -> None:
        self._name, given = _one_of("Binomial", probs, logits)
        self.total_count, self._param = broadcast_all("Binomial", total_count=total_count, **{self._name: given})
        super().__init__(self._param.shape, validate_args=validate_args)

    def _given_params(self) -> dict[str, Tensor]:
        return {"total_count": self.total_count, self._name: self._param}

    @property
    def support(self) -> constraints.Constraint:
        return constraints.integer_interval(0, self.total_count.data, names=("0", "total_count"))

    @property
    def mean(self) -> Tensor:
        return self.total_count * self.probs

    @property
    def mode(self) -> Tensor:
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count.detach())

    @property
    def variance(self) -> Tensor:
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape: Shape | list[int] = (), *, generator: Generator | None = None) -> Tensor:
        shape = self._extended_shape(sample_shape)
        n = np.broadcast_to(self.total_count.detach().numpy(), shape).astype(np.int64)
        probs = np.broadcast_to(self.probs.detach().numpy(), shape)
        return Tensor(self._draw(generator).binomial(n, probs).astype(probs.dtype))

    def log_prob(self, value: Any) -> Tensor:
        value = self._validate_sample(value)
        n, logits = self.total_count, self.logits
        log_choose = lgamma(n + 1) - lgamma(value + 1) - lgamma(n - value + 1)
        # log C(n, k) + k log p + (n - k) log(1 - p) = log C(n, k) + k logit - n softplus(logit), stable in logits
        return log_choose + value * logits - n * _softplus(logits)

    def entropy(self) -> Tensor:
        """-sum_k p(k) log p(k) over k = 0..total_count (torch's enumeration: one total_count for the batch)."""
        counts = np.unique(self.total_count.detach().numpy())
        if counts.size > 1:
            raise NotImplementedError(
                f"Binomial.entropy: needs one total_count for the whole batch, got {counts.tolist()}"
            )
        log_pmf = self.log_prob(self.enumerate_support())
        return -(log_pmf.exp() * log_pmf).sum(0)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """The counts 0..total_count along a new first axis (one total_count for the batch).

        >>> Binomial(2, probs=ag.Tensor([0.1, 0.9])).enumerate_support().tolist()
        [[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]
        """
        counts = np.unique(self.total_count.detach().numpy())
        if counts.size > 1:
            raise NotImplementedError(
                f"Binomial.enumerate_support: needs one total_count for the whole batch, got {counts.tolist()}"
            )
        n = int(counts[0]) if counts.size else 0
        values = Tensor(np.arange(n + 1, dtype=self._param.dtype)).reshape((-1,) + (1,) * len(self.batch_shape))
        return values.expand(-1, *self.batch_shape) if expand else values


class NegativeBinomial(_BinaryParam):
    """The number of successes (probability ``probs`` each) before ``total_count`` failures, as
    ``torch.distributions.NegativeBinomial`` (over-dispersed counts: variance = mean / (1 - p)).

    >>> d = NegativeBinomial(3.0, probs=0.5)
    >>> d.log_prob(2.0).exp().item(), d.mean.item(), d.variance.item()  # C(4, 2) / 2^5
    (0.1875, 3.0, 6.0)
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "total_count": constraints.nonnegative,
        "probs": constraints.half_open_interval(0.0, 1.0),
        "logits": constraints.real,
    }
    support = constraints.nonnegative_integer

    def __init__(
        self, total_count: Any, probs: Any = None, logits: Any = None, validate_args: bool | None = None
    ) -> None:
        self._name, given = _one_of("NegativeBinomial", probs, logits)
        self.total_count, self._param = broadcast_all(
            "NegativeBinomial", total_count=total_count, **{self._name: given}
        )
        super().__init__(self._param.shape, validate_args=validate_args)

    def _given_params(self) -> dict[str, Tensor]:
        return {"total_count": self.total_count, self._name: self._param}

    @property
    def mean(self) -> Tensor:
        return self.total_count * self.logits.exp()  # r p / (1 - p)

    @property
    def mode(self) -> Tensor:
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0)

    @property
    def variance(self) -> Tensor:
        return self.mean / (-self.logits).sigmoid()

    def sample(self, sample_shape: Shape | list[int] = (), *, generator: Generator | None = None) -> Tensor:
        shape = self._extended_shape(sample_shape)
        r = np.broadcast_to(self.total_count.detach().numpy(), shape)
        probs = np.broadcast_to(self.probs.detach().numpy(), shape)
        # numpy counts failures before r successes: its success is our failure, of probability 1 - p
        return Tensor(self._draw(generator).negative_binomial(r, 1 - probs).astype(probs.dtype))

    def log_prob(self, value: Any) -> Tensor:
        value = self._validate_sample(value)
        r, logits = self.total_count, self.logits
        # r log(1 - p) + k log p + log C(k + r - 1, k), with log p = -softplus(-logit), log(1 - p) = -softplus(logit)
        log_unnormalised = -r * _softplus(logits) - value * _softplus(-logits)
        log_choose = lgamma(r + value) - lgamma(1 + value) - lgamma(r)
        nothing = (r.detach() + value.detach()) == 0  # r = 0 and k = 0: probability 1, as torch's
        return log_unnormalised + where(nothing, 0.0, log_choose)


class Multinomial(Distribution):
    """The counts of each of K categories (the last axis of ``probs`` or ``logits``) in ``total_count`` draws,
    as ``torch.distributions.Multinomial`` (event_shape ``(K,)``; ``total_count`` an int).

    >>> d = Multinomial(4, probs=ag.Tensor([0.5, 0.25, 0.25]))
    >>> round(d.log_prob(ag.Tensor([2.0, 1.0, 1.0])).exp().item(), 6), d.mean.tolist()  # 4!/(2!1!1!) / 2^2 4^2
    (0.1875, [2.0, 1.0, 1.0])
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "probs": constraints.simplex,
        "logits": constraints.real_vector,
    }

    def __init__(
        self, total_count: int = 1, probs: Any = None, logits: Any = None, validate_args: bool | None = None
    ) -> None:
        if isinstance(total_count, bool) or not isinstance(total_count, (int, np.integer)) or total_count < 0:
            raise TypeError(
                f"Multinomial: total_count must be an int >= 0 (one count for the whole batch, as torch's), got "
                f"{total_count!r}"
            )
        self.total_count = int(total_count)
        self._categorical = Categorical(probs, logits, validate_args=validate_args)
        self._name = self._categorical._name
        k = self._categorical._num_events
        super().__init__(self._categorical.batch_shape, (k,), validate_args=False)  # (checked by the Categorical)
        self._validate_args = self._categorical._validate_args

    def _given_params(self) -> dict[str, Tensor]:
        return self._categorical._given_params()

    def expand(self, batch_shape: Shape | list[int], _instance: Any = None) -> Distribution:
        categorical = self._categorical.expand(batch_shape)
        return type(self)(self.total_count, **categorical._given_params(), validate_args=False)

    @property
    def probs(self) -> Tensor:
        return self._categorical.probs

    @property
    def logits(self) -> Tensor:
        return self._categorical.logits

    @property
    def support(self) -> constraints.Constraint:
        return constraints.integer_interval(0, self.total_count, names=("0", "total_count"))

    @property
    def mean(self) -> Tensor:
        return self.probs * self.total_count

    @property
    def variance(self) -> Tensor:
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape: Shape | list[int] = (), *, generator: Generator | None = None) -> Tensor:
        shape = self._extended_shape(sample_shape)
        probs = np.broadcast_to(self.probs.detach().numpy(), shape)
        return Tensor(self._draw(generator).multinomial(self.total_count, probs).astype(probs.dtype))

    def log_prob(self, value: Any) -> Tensor:
        value = self._validate_sample(value)
        if self._validate_args:
            totals = value.detach().numpy().sum(-1)
            if not (totals == self.total_count).all():
                raise ValueError(
                    f"Multinomial.log_prob: the counts must sum to total_count {self.total_count} along the last "
                    f"axis, got sums {np.unique(totals)[:4].tolist()}; pass validate_args=False to skip this check"
                )
        logits = self.logits
        # 0 * log 0 = 0: a category of probability 0 observed 0 times costs nothing
        logits = where((value.detach() == 0) & (logits.detach() == -np.inf), 0.0, logits)
        log_factorials = lgamma(value.sum(-1) + 1) - lgamma(value + 1).sum(-1)
        return log_factorials + (logits * value).sum(-1)

    def entropy(self) -> Tensor:
        """-E[log p(x)] = n H(probs) - log n! + sum_k E[log x_k!], each count x_k a Binomial(n, p_k) (torch's).

        >>> round(Multinomial(2, probs=ag.Tensor([0.5, 0.5])).entropy().item(), 6)  # {2,0},{1,1},{0,2}: ¼ ½ ¼
        1.039721
        """
        n = self.total_count
        binomial = Binomial(n, probs=self.probs, validate_args=False)
        counts = binomial.enumerate_support(expand=False)[1:]  # 0! = 1: the zero count adds nothing
        expected_log_factorials = (binomial.log_prob(counts).exp() * lgamma(counts + 1)).sum((0, -1))
        return n * self._categorical.entropy() - math.lgamma(n + 1) + expected_log_factorials
