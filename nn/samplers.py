"""Which rows a ``DataLoader`` reads, and in which batches, as ``torch.utils.data``'s samplers:
``SequentialSampler`` and ``RandomSampler`` yield row indices, ``SubsetRandomSampler`` a shuffled given
subset, ``BatchSampler`` groups any sampler's indices into lists. ``DataLoader(ds, batch_size,
sampler=...)`` or ``DataLoader(ds, batch_sampler=...)`` reads them (``nn.data``).

>>> list(BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False))
[[0, 1], [2, 3], [4]]
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import Any

import numpy as np

from autograd_core import Generator

from . import init as nn_init
from .checks import positive_int

#: What ``generator=`` accepts: an ``ag.Generator``, a numpy Generator, an int seed, or None (the default
#: stream, reseeded by ``ag.manual_seed``: each epoch then draws a new order, reproducibly).
SamplerGenerator = Generator | nn_init.GeneratorLike


def _rng(owner: str, generator: SamplerGenerator) -> np.random.Generator | None:
    """The numpy generator a sampler draws from (None: the default one, read at each epoch so that a later
    ``ag.manual_seed`` takes effect, as in torch). An int seed is made into one generator here, once, so
    successive epochs differ."""
    if generator is None:
        return None
    if isinstance(generator, Generator):
        return generator.rng
    try:
        return nn_init.as_generator(generator)
    except TypeError:
        raise TypeError(
            f"{owner}: generator must be an ag.Generator, a numpy Generator, an int seed or None, "
            f"got {type(generator).__name__}"
        ) from None


def _length(owner: str, data_source: Any) -> int:
    if not isinstance(data_source, Sized):
        raise TypeError(f"{owner}: data_source must have len() (a dataset), got {type(data_source).__name__}")
    return len(data_source)


class Sampler:
    """The base of a sampler: an iterable of indices (or of index lists, for a batch sampler), with ``len``.
    Subclass it and define ``__iter__`` (``__len__`` too, for ``len(loader)``), as torch's ``Sampler``.

    >>> class Evens(Sampler):
    ...     def __iter__(self): return iter(range(0, 6, 2))
    >>> list(Evens())
    [0, 2, 4]
    """

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError(f"{type(self).__name__}: a Sampler subclass must define __iter__")


class SequentialSampler(Sampler):
    """The indices ``0 .. len(data_source) - 1`` in order (what a loader without shuffling reads).

    >>> list(SequentialSampler([7, 8, 9]))
    [0, 1, 2]
    """

    def __init__(self, data_source: Sized) -> None:
        _length("SequentialSampler", data_source)
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """The indices of ``data_source`` in a new random order each epoch (a permutation; with ``replacement``,
    ``num_samples`` independent draws), from ``generator`` (see ``SamplerGenerator``).

    >>> order = list(RandomSampler(range(5), generator=0))
    >>> sorted(order)
    [0, 1, 2, 3, 4]
    """

    def __init__(
        self,
        data_source: Sized,
        replacement: bool = False,
        num_samples: int | None = None,
        generator: SamplerGenerator = None,
    ) -> None:
        self.data_source, self.replacement = data_source, bool(replacement)
        n = _length("RandomSampler", data_source)
        self.num_samples = n if num_samples is None else positive_int("RandomSampler", "num_samples", num_samples)
        if n == 0:
            raise ValueError("RandomSampler: data_source is empty: there are no indices to draw")
        self.generator = _rng("RandomSampler", generator)

    def __iter__(self) -> Iterator[int]:
        rng, n = self.generator or nn_init.as_generator(None), len(self.data_source)
        if self.replacement:
            return iter(rng.integers(n, size=self.num_samples).tolist())
        # more samples than rows (torch allows it): whole permutations, one after another
        rounds = -(-self.num_samples // n)
        return iter(np.concatenate([rng.permutation(n) for _ in range(rounds)])[: self.num_samples].tolist())

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices``, in a new random order each epoch (a validation split's rows, say).

    >>> sorted(SubsetRandomSampler([3, 9, 4], generator=0))
    [3, 4, 9]
    """

    def __init__(self, indices: Sequence[int] | np.ndarray, generator: SamplerGenerator = None) -> None:
        self.indices = [int(i) for i in np.asarray(indices, dtype=np.int64).reshape(-1)]
        self.generator = _rng("SubsetRandomSampler", generator)

    def __iter__(self) -> Iterator[int]:
        rng = self.generator or nn_init.as_generator(None)
        return iter([self.indices[k] for k in rng.permutation(len(self.indices))])

    def __len__(self) -> int:
        return len(self.indices)


class BatchSampler(Sampler):
    """``sampler``'s indices in lists of ``batch_size`` (the last one shorter, or dropped with ``drop_last``).

    >>> list(BatchSampler(range(7), 3, drop_last=True))
    [[0, 1, 2], [3, 4, 5]]
    """

    def __init__(self, sampler: Iterable[Any], batch_size: int, drop_last: bool) -> None:
        if not isinstance(sampler, Iterable):
            raise TypeError(
                f"BatchSampler: sampler must be an iterable of indices (e.g. RandomSampler(ds)), "
                f"got {type(sampler).__name__}"
            )
        self.sampler, self.drop_last = sampler, bool(drop_last)
        self.batch_size = positive_int("BatchSampler", "batch_size", batch_size)

    def __iter__(self) -> Iterator[list[Any]]:
        batch: list[Any] = []
        for index in self.sampler:
            batch.append(int(index) if isinstance(index, np.integer) else index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        if not isinstance(self.sampler, Sized):
            raise TypeError(f"BatchSampler: its sampler ({type(self.sampler).__name__}) has no len()")
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


class WeightedRandomSampler(Sampler):
    """``num_samples`` row indices drawn with probability proportional to ``weights`` (one per row), with
    ``replacement`` (default) or without, as PyTorch's: rare classes drawn as often as common ones when each
    row's weight is 1 / (its class's count). Draws from ``generator`` (an ``ag.Generator``, a numpy Generator,
    an int seed), or nn.init's default stream (``ag.manual_seed``).

    >>> sorted(set(WeightedRandomSampler([0.0, 1.0, 0.0, 1.0], 20, generator=0)))
    [1, 3]
    """

    def __init__(
        self,
        weights: Sequence[float] | np.ndarray,
        num_samples: int,
        replacement: bool = True,
        generator: SamplerGenerator = None,
    ) -> None:
        owner = "WeightedRandomSampler"
        values = np.asarray(getattr(weights, "data", weights), dtype=np.float64)
        if values.ndim != 1 or not values.size or not np.isfinite(values).all() or (values < 0).any():
            raise ValueError(
                f"{owner}: weights must be a 1-d sequence of finite numbers >= 0, one per row, got shape "
                f"{values.shape}{' with a negative or non-finite value' if values.ndim == 1 and values.size else ''}"
            )
        if values.sum() == 0:
            raise ValueError(f"{owner}: the weights sum to 0: no row can be drawn; give some row a weight > 0")
        self.num_samples = positive_int(owner, "num_samples", num_samples)
        if not isinstance(replacement, (bool, np.bool_)):
            raise ValueError(f"{owner}: replacement must be True or False, got {replacement!r}")
        self.replacement = bool(replacement)
        if not self.replacement and self.num_samples > np.count_nonzero(values):
            raise ValueError(
                f"{owner}: without replacement num_samples={num_samples} cannot exceed the {np.count_nonzero(values)} "
                "rows of nonzero weight; lower num_samples or pass replacement=True"
            )
        self.weights = values
        self.generator = _rng(owner, generator)

    def __iter__(self) -> Iterator[int]:
        rng = self.generator or nn_init.as_generator(None)
        p = self.weights / self.weights.sum()
        return iter(rng.choice(len(p), size=self.num_samples, replace=self.replacement, p=p).tolist())

    def __len__(self) -> int:
        return self.num_samples


__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "BatchSampler"]
__all__ += ["WeightedRandomSampler"]
