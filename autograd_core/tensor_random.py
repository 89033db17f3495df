"""PyTorch's in-place random fills, ``normal_ uniform_ exponential_ bernoulli_ random_ log_normal_ cauchy_
geometric_``: ``param.normal_(0, 0.01)`` under ``no_grad`` (d2l writes ``param.data.normal_(0, 0.01)``, but
``.data`` is a numpy array here). They draw from the generator ``ag.manual_seed`` seeds (or ``generator=``) and
refuse what ``fill_`` refuses: a leaf that requires grad outside ``no_grad``, a tensor a recorded op still needs.
``Tensor`` inherits them through ``TensorInPlace``.

>>> w = ag.zeros(2, 3, requires_grad=True)
>>> with ag.no_grad():
...     _ = w.uniform_(-1, 1)
>>> bool((w.data >= -1).all() and (w.data < 1).all() and w.requires_grad)
True
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from .tensor_base import TensorBase

if TYPE_CHECKING:
    from .sampling import Generator
    from .tensor import Tensor


class TensorRandomFill(TensorBase):
    """``normal_ uniform_ exponential_ bernoulli_ random_ log_normal_ cauchy_ geometric_`` (the module docstring)."""

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator: Generator | None = None) -> Tensor:
        """Fill in place with samples of N(mean, std²), in this tensor's (float) dtype, as PyTorch's.

        >>> _ = ag.manual_seed(0)
        >>> ag.zeros(3).normal_(10.0, 0.0).tolist()
        [10.0, 10.0, 10.0]
        """
        mean, std = _number("normal_", "mean", mean), _number("normal_", "std", std)
        if not std >= 0:
            raise ValueError(f"normal_: std must be >= 0, got {std}")
        return self._fill_random("normal_", generator, lambda rng, shape: rng.normal(mean, std, shape))

    def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator: Generator | None = None) -> Tensor:
        """Fill in place with samples uniform in [a, b), in this tensor's (float) dtype (PyTorch's
        ``uniform_(from=0, to=1)``; its names are Python keywords, so here they are positional ``a, b``).

        >>> t = ag.zeros(100).uniform_(2, 3)
        >>> bool((t.data >= 2).all() and (t.data < 3).all())
        True
        """
        a, b = _number("uniform_", "a", a), _number("uniform_", "b", b)
        if not a <= b:
            raise ValueError(f"uniform_: expects a <= b (the interval [a, b)), got a={a}, b={b}")
        return self._fill_random("uniform_", generator, lambda rng, shape: rng.uniform(a, b, shape))

    def exponential_(self, lambd: float = 1.0, *, generator: Generator | None = None) -> Tensor:
        """Fill in place with samples of the exponential distribution of rate ``lambd`` (mean 1 / lambd).

        >>> bool((ag.zeros(100).exponential_(2.0).data >= 0).all())
        True
        """
        rate = _number("exponential_", "lambd", lambd)
        if not rate > 0:
            raise ValueError(f"exponential_: the rate lambd must be > 0, got {rate}")
        return self._fill_random("exponential_", generator, lambda rng, shape: rng.exponential(1 / rate, shape))

    def bernoulli_(self, p: float = 0.5, *, generator: Generator | None = None) -> Tensor:
        """Fill in place with 0/1 samples, 1 with probability ``p`` (a number), as PyTorch's.

        >>> sorted(set(ag.zeros(50).bernoulli_(0.5).tolist()))
        [0.0, 1.0]
        """
        prob = _number("bernoulli_", "p", p)
        if not 0 <= prob <= 1:
            raise ValueError(f"bernoulli_: p must be a probability in [0, 1], got {prob}")
        return self._fill_random("bernoulli_", generator, lambda rng, shape: rng.random(shape) < prob, any_dtype=True)

    def random_(self, low: int = 0, high: int | None = None, *, generator: Generator | None = None) -> Tensor:
        """Fill in place with integers uniform in [low, high) (``random_(high)``: [0, high)), as PyTorch's
        ``random_(from, to)`` (whose names are Python keywords); any dtype.

        >>> t = ag.zeros(20, dtype=ag.long).random_(3, 5)
        >>> sorted(set(t.tolist())) <= [3, 4]
        True
        """
        low, high = (0, low) if high is None else (low, high)
        if not (isinstance(low, (int, np.integer)) and isinstance(high, (int, np.integer)) and low < high):
            raise ValueError(f"random_: needs integers low < high (the range [low, high)), got {low!r}, {high!r}")
        draw = lambda rng, shape: rng.integers(low, high, shape)  # noqa: E731
        return self._fill_random("random_", generator, draw, any_dtype=True)

    def log_normal_(self, mean: float = 1.0, std: float = 2.0, *, generator: Generator | None = None) -> Tensor:
        """Fill in place with exp(N(mean, std²)) samples (the log-normal whose log has mean and std), as PyTorch's.

        >>> bool((ag.zeros(100).log_normal_().data > 0).all())
        True
        """
        mean, std = _number("log_normal_", "mean", mean), _number("log_normal_", "std", std)
        if not std > 0:
            raise ValueError(f"log_normal_: std must be > 0 (the spread of the log), got {std}")
        return self._fill_random("log_normal_", generator, lambda rng, shape: rng.lognormal(mean, std, shape))

    def cauchy_(self, median: float = 0.0, sigma: float = 1.0, *, generator: Generator | None = None) -> Tensor:
        """Fill in place with samples of the Cauchy distribution of ``median`` and scale ``sigma``, as PyTorch's.

        >>> t = ag.zeros(1001).cauchy_(5.0, 0.5)
        >>> 4 < float(np.median(t.data)) < 6
        True
        """
        median, sigma = _number("cauchy_", "median", median), _number("cauchy_", "sigma", sigma)
        if not sigma > 0:
            raise ValueError(f"cauchy_: the scale sigma must be > 0, got {sigma}")
        draw = lambda rng, shape: median + sigma * rng.standard_cauchy(shape)  # noqa: E731
        return self._fill_random("cauchy_", generator, draw)

    def geometric_(self, p: float, *, generator: Generator | None = None) -> Tensor:
        """Fill in place with the number of Bernoulli(p) trials up to the first success (1, 2, ...), as PyTorch's;
        any dtype.

        >>> bool((ag.zeros(50, dtype=ag.long).geometric_(0.5).data >= 1).all())
        True
        """
        prob = _number("geometric_", "p", p)
        if not 0 < prob < 1:
            raise ValueError(f"geometric_: p must be a probability in (0, 1) (of success per trial), got {prob}")
        return self._fill_random("geometric_", generator, lambda rng, shape: rng.geometric(prob, shape), any_dtype=True)

    def _fill_random(
        self,
        method: str,
        generator: Generator | None,
        draw: Callable[[np.random.Generator, Any], np.ndarray],
        any_dtype: bool = False,
    ) -> Tensor:
        from .sampling import _rng  # (sampling imports Tensor, which inherits this class)

        t = cast("Tensor", self)
        if t.dtype.kind != "f" and not any_dtype:
            raise TypeError(f"{method}: fills a floating-point tensor, got {t.dtype}; make it with dtype=ag.float32")
        samples = draw(_rng(method, generator), t.shape)
        t._in_place(method)[...] = samples.astype(t.dtype, copy=False)
        return t


def _number(method: str, name: str, value: object) -> float:
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not np.isfinite(float(value)):
        raise TypeError(f"{method}: {name} must be a finite number, got {value!r}")
    return float(value)
