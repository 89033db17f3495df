"""Datasets and mini-batches, as ``torch.utils.data`` (``TensorDataset``, ``DataLoader``),
on numpy: a loader yields tuples of numpy arrays, which models and losses accept, or of Tensors for
columns given as Tensors (so PyTorch code's ``xb.to(device)``, ``yb.float()`` run as written).

The shuffled order is reproducible: a loader made with ``seed`` draws epoch k's order
from ``numpy.random.default_rng(seed)`` after k-1 earlier epochs, the same stream
``nn.fit(..., seed=seed)`` uses, so the two give the same batches.

>>> X, y = nn.datasets.make_moons(40, seed=0)
>>> model, loss_fn = nn.MLP([2, 8, 2]), nn.CrossEntropyLoss()
>>> opt = nn.optim.SGD(model.parameters(), lr=0.1)
>>> loader = DataLoader(TensorDataset(X, y), batch_size=16, shuffle=True, seed=0)
>>> for epoch in range(3):
...     for xb, yb in loader:
...         opt.zero_grad(); loss_fn(model(xb), yb).backward(); opt.step()
>>> [len(xb) for xb, yb in loader]       # the last batch is short
[16, 16, 8]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Sized
from typing import Any, Protocol, TypeAlias, cast

import numpy as np

from autograd_core import Generator, Tensor
from autograd_core.types import TensorLike

from . import init as nn_init
from .checks import positive_int
from .samplers import BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler

# isort: split
from .concat_dataset import ConcatDataset  # torch's further torch.utils.data names
from .samplers import WeightedRandomSampler


class Dataset(Protocol):
    """What a DataLoader reads: a length and examples by integer index (PyTorch's map-style dataset); subclass
    it as ``torch.utils.data.Dataset``, defining both (one left out says so).

    >>> class Squares(Dataset):
    ...     def __len__(self): return 3
    ...     def __getitem__(self, i): return i * i
    >>> next(iter(DataLoader(Squares(), batch_size=3)))
    array([0, 1, 4])
    """

    def __len__(self) -> int:
        raise NotImplementedError(
            f"{type(self).__name__}: a Dataset subclass must define __len__ (its number of examples)"
        )

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__}: a Dataset subclass must define __getitem__(self, index)")


#: A mini-batch: one array per dataset array (``(xb, yb)``), one array for a dataset of arrays (or one
#: array ``X``), a dict of batches for a dataset of dicts; Tensors where the dataset gave Tensors.
Batch: TypeAlias = tuple[Any, ...] | dict[Any, Any] | list[Any] | np.ndarray | Tensor


def _array(value: TensorLike) -> np.ndarray:
    return np.asarray(value.data if isinstance(value, Tensor) else value)


class TensorDataset:
    """Rows of equally long arrays, taken together: ``TensorDataset(X, y)[3] == (X[3], y[3])``.

    >>> len(TensorDataset(np.zeros((10, 2)), np.arange(10)))
    10
    """

    def __init__(self, *arrays: TensorLike) -> None:
        if not arrays:
            raise ValueError("TensorDataset: give at least one array, e.g. TensorDataset(X, y)")
        self.arrays = tuple(_array(a) for a in arrays)
        # a column given as a Tensor comes back as Tensors (PyTorch code calls .to(device), .float() on its
        # batches), one given as an array as arrays
        self.as_tensors = tuple(isinstance(a, Tensor) for a in arrays)
        lengths = [len(a) if a.ndim else None for a in self.arrays]
        if None in lengths or len(set(lengths)) != 1:
            shapes = ", ".join(str(a.shape) for a in self.arrays)
            raise ValueError(
                f"TensorDataset: every array needs the same number of rows (first axis), got shapes {shapes}"
            )

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index: int) -> tuple[Any, ...]:
        return self.rows(index)

    def rows(self, index: Any) -> tuple[Any, ...]:
        """Row(s) ``index`` of every column: Tensors for a column given as a Tensor, else arrays."""
        return tuple(Tensor(a[index]) if tensor else a[index] for a, tensor in zip(self.arrays, self.as_tensors))


def _holds_tensor(item: Any) -> bool:
    if isinstance(item, Mapping):
        return any(_holds_tensor(value) for value in item.values())
    if isinstance(item, (tuple, list)):
        return any(_holds_tensor(value) for value in item)
    return isinstance(item, Tensor)


def default_collate(batch: Sequence[Any]) -> Batch:
    """A list of examples as one batch, what a ``DataLoader`` does without ``collate_fn`` (torch's
    ``default_collate``): arrays and numbers stacked on a new first axis, tuples and dicts field by field.

    >>> default_collate([{"x": np.zeros(2), "y": 1}, {"x": np.ones(2), "y": 0}])
    {'x': array([[0., 0.], [1., 1.]]), 'y': array([1, 0])}
    """
    if isinstance(batch, (np.ndarray, Tensor, str, bytes)) or not isinstance(batch, Sequence) or not batch:
        raise TypeError(f"default_collate: expects a non-empty list of examples, got {batch!r:.60}")
    return _collate(batch)


def _collate(items: Sequence[Any], tensors: bool | None = None) -> Batch:
    """Stack a list of examples into one batch, as PyTorch's default collate: arrays and numbers are
    stacked along a new first axis, tuples and dicts are batched field by field, strings kept in a list.
    An example holding a Tensor (``(image_tensor, label)``) gives Tensors for all its fields, its labels too
    (``y.to(device)`` runs as in PyTorch); one of numpy arrays and numbers gives numpy arrays."""
    first = items[0]
    tensors = _holds_tensor(first) if tensors is None else tensors
    if isinstance(first, Mapping):
        return {key: _collate([item[key] for item in items], tensors) for key in first}
    if isinstance(first, (tuple, list)):
        fields = tuple(_collate([item[i] for item in items], tensors) for i in range(len(first)))
        return type(first)(*fields) if hasattr(first, "_fields") else fields  # a namedtuple keeps its type
    if isinstance(first, (str, bytes)):
        return list(items)
    arrays = [_array(item) for item in items]
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        raise ValueError(
            f"DataLoader: the examples of a batch must have one shape to be stacked, got {sorted(shapes)}; "
            "to batch the rows of several arrays together pass a tuple (X, y) or TensorDataset(X, y)"
        )
    stacked = np.stack(arrays)
    return Tensor(stacked) if tensors else stacked


class DataLoader:
    """Iterate over ``dataset`` in mini-batches of ``batch_size`` rows, reshuffled every epoch
    when ``shuffle`` (reproducibly from ``seed``, else from the default generator: ``ag.manual_seed``);
    ``drop_last`` skips a final short batch; ``batch_size=None`` gives the examples one by one, unbatched.
    ``dataset`` is a ``TensorDataset``, anything with ``len`` and integer indexing (a list of
    examples too), a tuple of arrays ``(X, y)`` (batches ``(xb, yb)``) or one array ``X``
    (batches ``xb``), as PyTorch. ``collate_fn(examples)`` makes a batch from a list of examples
    (default: ``default_collate``). ``sampler`` (indices, e.g. ``RandomSampler(ds)``) replaces
    ``shuffle``; ``batch_sampler`` (lists of indices, e.g. ``BatchSampler(sampler, 64, False)``)
    replaces ``batch_size``, ``shuffle``, ``sampler`` and ``drop_last``, as PyTorch's (``nn.samplers``).
    ``num_workers`` and ``pin_memory`` are accepted for PyTorch code and change nothing: batches
    are made in this process; so ``worker_init_fn(worker_id)`` (None or a function) is kept and, as
    PyTorch's with ``num_workers=0``, never called: there is no worker process to start.

    >>> X, y = np.zeros((100, 2)), np.arange(100)
    >>> loader = DataLoader((X, y), batch_size=64, shuffle=True, seed=0)
    >>> xb, yb = next(iter(loader))
    >>> xb.shape, yb.shape
    ((64, 2), (64,))
    >>> len(loader)             # batches per epoch
    2
    >>> DataLoader((X, y), batch_size=10, shuffle=True, worker_init_fn=lambda worker_id: None).batch_size
    10
    """

    def __init__(
        self,
        dataset: Dataset | TensorLike | Sequence[TensorLike],
        batch_size: int | None = 1,
        shuffle: bool = False,
        seed: int | np.random.Generator | None = None,
        drop_last: bool = False,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        *,
        sampler: Iterable[Any] | None = None,
        batch_sampler: Iterable[Any] | None = None,
        num_workers: int = 0,
        pin_memory: bool = False,
        worker_init_fn: Callable[[int], None] | None = None,
    ) -> None:
        # A tuple of arrays is columns (X, y); a list is examples, as PyTorch reads a list (a list of
        # ten (2,) arrays is ten rows, not two rows of ten columns); one array yields bare batches.
        self._one_array = isinstance(dataset, (np.ndarray, Tensor))
        if isinstance(dataset, tuple) and dataset and all(isinstance(a, (np.ndarray, Tensor)) for a in dataset):
            dataset = TensorDataset(*dataset)
        elif self._one_array:
            dataset = TensorDataset(cast(TensorLike, dataset))
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise TypeError(
                f"DataLoader: dataset must have len() and [index] (e.g. TensorDataset(X, y)) or be "
                f"a tuple of arrays (X, y), got {type(dataset).__name__}"
            )
        self.auto_batch = batch_size is not None  # torch's batch_size=None: the examples one by one, unbatched
        self.batch_size = positive_int("DataLoader", "batch_size", 1 if batch_size is None else batch_size)
        # PyTorch's num_workers / pin_memory are accepted and change nothing: batches are made here, in this
        # process (slicing numpy rows costs less than starting a worker), and there is no GPU memory to pin
        if not isinstance(num_workers, int) or isinstance(num_workers, bool) or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers must be an int >= 0, got {num_workers!r}")
        if worker_init_fn is not None and not callable(worker_init_fn):
            raise TypeError(
                f"DataLoader: worker_init_fn must be None or a function of the worker id, got {worker_init_fn!r:.60}"
            )
        self.worker_init_fn = worker_init_fn
        self.dataset = cast(Dataset, dataset)  # it has len() and [index]: checked above
        if len(self.dataset) == 0:
            raise ValueError("DataLoader: the dataset is empty")
        self.shuffle, self.drop_last, self.seed = bool(shuffle), bool(drop_last), seed
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"DataLoader: collate_fn must be a function of a list of examples, got {collate_fn!r:.60}")
        self.collate_fn = collate_fn
        self.sampler, self.batch_sampler = sampler, batch_sampler
        if batch_sampler is not None and (batch_size != 1 or shuffle or sampler is not None or drop_last):
            raise ValueError(
                "DataLoader: batch_sampler gives the batches itself, so it is mutually exclusive with "
                "batch_size, shuffle, sampler and drop_last; give those to its BatchSampler instead"
            )
        if sampler is not None and shuffle:
            raise ValueError(
                "DataLoader: sampler decides the order, so it is mutually exclusive with shuffle; "
                "pass sampler=RandomSampler(dataset) for a shuffled order"
            )
        for name, given in (("sampler", sampler), ("batch_sampler", batch_sampler)):
            if given is not None and not isinstance(given, Iterable):
                raise TypeError(f"DataLoader: {name} must be an iterable of indices, got {type(given).__name__}")
        if (
            sampler is not None and self.auto_batch
        ):  # torch's auto-batching: the sampler's indices in lists of batch_size
            self.batch_sampler = BatchSampler(sampler, self.batch_size, self.drop_last)
        if seed is None and self.shuffle:  # from the default stream, as PyTorch's: ag.manual_seed(0) fixes the order
            seed = int(nn_init.as_generator(None).integers(2**63))
        self.generator = np.random.default_rng(seed)

    def __len__(self) -> int:
        if not self.auto_batch and isinstance(self.sampler, Sized):
            return len(self.sampler)
        if self.batch_sampler is not None:
            if not isinstance(self.batch_sampler, Sized):
                raise TypeError(f"DataLoader: its batch_sampler ({type(self.batch_sampler).__name__}) has no len()")
            return len(self.batch_sampler)
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def epoch_order(self) -> np.ndarray:
        """The rows of the next epoch, in order (what iterating draws; ``drop_last`` applied):
        ``nn.fit`` slices its arrays with it."""
        if self.batch_sampler is not None:
            raise TypeError("DataLoader.epoch_order: this loader's sampler draws its own batches; iterate over it")
        n = len(self.dataset)
        order = self.generator.permutation(n) if self.shuffle else np.arange(n)
        return order[: len(self) * self.batch_size]

    def __iter__(self) -> Iterator[Batch]:
        if not self.auto_batch and self.batch_sampler is None:
            yield from self._unbatched()
            return
        if self.batch_sampler is not None:
            yield from self._sampled_batches()
            return
        order, dataset = self.epoch_order(), self.dataset
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            if self.collate_fn is not None:  # the caller's batching, of the examples as indexing gives them
                one = cast(TensorDataset, dataset).arrays[0] if self._one_array else None
                yield self.collate_fn([dataset[int(i)] if one is None else one[i] for i in rows])
            elif self._one_array:
                yield cast(TensorDataset, dataset).rows(rows)[0]
            elif isinstance(dataset, TensorDataset):  # slice the arrays at once, not row by row
                yield dataset.rows(rows)
            else:
                yield _collate([dataset[int(i)] for i in rows])

    def _unbatched(self) -> Iterator[Any]:
        """torch's ``batch_size=None``: each example as indexing gives it (``collate_fn``, if given, of each)."""
        for i in self.sampler if self.sampler is not None else self.epoch_order():
            one = cast(TensorDataset, self.dataset).arrays[0][int(i)] if self._one_array else None
            example = self.dataset[int(i)] if one is None else one
            yield example if self.collate_fn is None else self.collate_fn(example)

    def _sampled_batches(self) -> Iterator[Batch]:
        """The batches of ``batch_sampler``'s index lists; an index may be a list itself (a dataset that
        takes several rows at once gives a batch of batches, as in torch)."""
        dataset = cast(TensorDataset, self.dataset)
        collate = self.collate_fn or default_collate
        for indices in cast(Iterable[Any], self.batch_sampler):
            if self._one_array:  # its rows as given: Tensors for a Tensor
                yield collate([dataset.rows(i)[0] for i in indices])
            else:
                yield collate([dataset[int(i) if isinstance(i, np.integer) else i] for i in indices])

    def state_dict(self) -> dict[str, Any]:
        """The shuffling generator's state, so a resumed run draws the same next epochs:
        ``saved = loader.state_dict(); ...; loader.load_state_dict(saved)``."""
        return {"generator": self.generator.bit_generator.state}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore ``state_dict()``; checked by numpy before anything changes."""
        if not isinstance(state_dict, dict) or set(state_dict) != {"generator"}:
            raise ValueError(
                f"DataLoader.load_state_dict: expected the dict returned by state_dict() "
                f"(key 'generator'), got {state_dict!r:.80}"
            )
        generator = np.random.default_rng()
        try:
            generator.bit_generator.state = state_dict["generator"]
        except (TypeError, ValueError, KeyError) as error:
            raise ValueError(f"DataLoader.load_state_dict: not a numpy PCG64 generator state: {error}") from error
        self.generator = generator

    def __repr__(self) -> str:
        return (
            f"DataLoader({len(self.dataset)} rows, batch_size={self.batch_size}, shuffle={self.shuffle}, "
            f"drop_last={self.drop_last})"
        )


class Subset:
    """The rows ``indices`` of ``dataset``, in that order (what ``random_split`` returns), as PyTorch's.

    >>> part = Subset(TensorDataset(np.arange(10.0)), [7, 2])
    >>> len(part), part[0]
    (2, (np.float64(7.0),))
    """

    def __init__(self, dataset: Dataset, indices: Sequence[int] | np.ndarray) -> None:
        self.dataset, self.indices = dataset, np.asarray(indices, dtype=np.int64).reshape(-1)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: Any) -> Any:
        """Row ``index`` of the subset; a slice or list of positions gives those rows together (as PyTorch's)."""
        rows = self.indices[index]
        return self.dataset[int(rows) if np.ndim(rows) == 0 else rows]


def random_split(
    dataset: Dataset | Sequence[TensorLike],
    lengths: Sequence[float],
    seed: int | np.random.Generator | None = None,
    *,
    generator: Generator | np.random.Generator | None = None,
) -> list[Subset]:
    """Split ``dataset`` at random into subsets of ``lengths`` rows (counts summing to its length, or
    fractions summing to 1: the rows left by rounding down go one each to the first subsets, as PyTorch);
    ``seed`` (or PyTorch's ``generator=``, an ``ag.Generator``) makes it reproducible. A tuple ``(X, y)`` is a
    ``TensorDataset``.

    >>> train, val = random_split(TensorDataset(np.zeros((10, 2)), np.arange(10)), [0.8, 0.2], seed=0)
    >>> len(train), len(val), sorted(int(val[i][1]) for i in range(2))
    (8, 2, [1, 8])
    """
    if isinstance(dataset, tuple) and dataset and all(isinstance(a, (np.ndarray, Tensor)) for a in dataset):
        dataset = TensorDataset(*dataset)
    if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
        raise TypeError(f"random_split: dataset must have len() and [index], got {type(dataset).__name__}")
    n, lengths = len(dataset), list(lengths)
    if not lengths or not all(isinstance(k, (int, float, np.integer, np.floating)) and k >= 0 for k in lengths):
        raise ValueError(f"random_split: lengths must be non-negative counts or fractions, got {lengths}")
    counted = all(float(k).is_integer() for k in lengths) and sum(lengths) == n  # [1, 0] of one row: counts
    if all(0 <= k <= 1 for k in lengths) and abs(sum(lengths) - 1) < 1e-6 and not counted:
        counts = [int(np.floor(n * k)) for k in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
    elif counted:
        counts = [int(k) for k in lengths]
    else:
        raise ValueError(
            f"random_split: lengths {lengths} must be counts summing to the dataset's {n} rows "
            "or fractions summing to 1 (e.g. [0.8, 0.2])"
        )
    if seed is not None and generator is not None:
        raise ValueError("random_split: give seed or generator, not both")
    source = generator if generator is not None else seed
    order = (source.rng if isinstance(source, Generator) else np.random.default_rng(source)).permutation(n)
    ends = np.cumsum(counts)
    return [Subset(cast(Dataset, dataset), order[end - k : end]) for k, end in zip(counts, ends)]


__all__ = [
    "Dataset",
    "TensorDataset",
    "DataLoader",
    "Subset",
    "random_split",
    "default_collate",
    "Sampler",
    "SequentialSampler",
    "RandomSampler",
    "SubsetRandomSampler",
    "BatchSampler",
]
__all__ += ["ConcatDataset", "WeightedRandomSampler"]
