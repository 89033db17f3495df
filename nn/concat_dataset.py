"""``ConcatDataset``, as ``torch.utils.data``'s: several datasets read as one, row after row (re-exported by
``nn.data``)."""

from __future__ import annotations

import bisect
import numbers
from collections.abc import Iterable, Sized
from typing import Any


class ConcatDataset:
    """The rows of each dataset in ``datasets``, one dataset after another, as PyTorch's ``ConcatDataset``:
    ``len`` is the sum of theirs, ``ds[i]`` the row of the dataset that holds position i (negative positions count
    from the end); ``cumulative_sizes`` the running totals. ``a + b`` of two of them concatenates too.

    >>> ds = nn.data.TensorDataset
    >>> both = ConcatDataset([ds(np.arange(3.0)), ds(np.arange(10.0, 12.0))])
    >>> len(both), both[3], both.cumulative_sizes
    (5, (np.float64(10.0),), [3, 5])
    """

    def __init__(self, datasets: Iterable[Any]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable; give at least one dataset")
        for k, dataset in enumerate(self.datasets):
            if not isinstance(dataset, Sized) or not hasattr(dataset, "__getitem__"):
                raise TypeError(
                    f"ConcatDataset: dataset {k} ({type(dataset).__name__}) has no len() and [index]; give map-style "
                    "datasets (TensorDataset, Subset, a class with __len__ and __getitem__)"
                )
        self.cumulative_sizes: list[int] = []
        total = 0
        for dataset in self.datasets:
            total += len(dataset)
            self.cumulative_sizes.append(total)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int) -> Any:
        if isinstance(index, bool) or not isinstance(index, numbers.Integral):
            raise TypeError(f"ConcatDataset: index must be an int, got {type(index).__name__}")
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"ConcatDataset: index {index} is out of range for {n} rows")
        position = int(index) % n
        which = bisect.bisect_right(self.cumulative_sizes, position)
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][position - start]

    def __add__(self, other: Any) -> ConcatDataset:
        return ConcatDataset([self, other])
