"""nn.data.ConcatDataset and WeightedRandomSampler, as torch.utils.data's: indexing by hand, torch's
cumulative sizes, the sampler's frequencies (a chi-square bound, reproducible through ag.manual_seed and
generator=), replacement, a DataLoader reading both, and the errors."""

import numpy as np
import pytest

import autograd_core as ag
import nn
from nn.data import ConcatDataset, DataLoader, SubsetRandomSampler, TensorDataset, WeightedRandomSampler


def test_concat_dataset_reads_each_part_in_turn():
    a, b = TensorDataset(np.arange(3.0), np.zeros(3)), TensorDataset(np.arange(10.0, 12.0), np.ones(2))
    both = ConcatDataset([a, b])
    assert len(both) == 5 and both.cumulative_sizes == [3, 5]
    assert [float(both[i][0]) for i in range(5)] == [0.0, 1.0, 2.0, 10.0, 11.0]
    assert float(both[-1][0]) == 11.0 and float(both[-5][0]) == 0.0
    assert len(both + a) == 8
    batches = [xb.tolist() for xb, _ in DataLoader(both, batch_size=2)]
    assert batches == [[0.0, 1.0], [2.0, 10.0], [11.0]]


def test_concat_dataset_equals_torchs_indexing():
    torch = pytest.importorskip("torch")
    parts = [list(range(4)), list(range(100, 102)), [], list(range(7, 10))]
    ours, theirs = ConcatDataset(parts), torch.utils.data.ConcatDataset(parts)
    assert ours.cumulative_sizes == theirs.cumulative_sizes
    assert [ours[i] for i in range(-len(ours), len(ours))] == [theirs[i] for i in range(-len(theirs), len(theirs))]


def test_concat_dataset_errors():
    with pytest.raises(ValueError, match=r"ConcatDataset: datasets should not be an empty iterable"):
        ConcatDataset([])
    with pytest.raises(TypeError, match=r"ConcatDataset: dataset 1 \(int\) has no len\(\) and \[index\]"):
        ConcatDataset([[1, 2], 5])
    with pytest.raises(IndexError, match=r"ConcatDataset: index 4 is out of range for 4 rows"):
        ConcatDataset([[1, 2], [3, 4]])[4]


def test_weighted_sampler_draws_in_proportion_to_the_weights():
    weights = np.array([1.0, 2.0, 0.0, 5.0])
    counts = np.bincount(list(WeightedRandomSampler(weights, 8000, generator=0)), minlength=4)
    expected = 8000 * weights / weights.sum()
    assert counts[2] == 0
    chi2 = (((counts - expected) ** 2)[[0, 1, 3]] / expected[[0, 1, 3]]).sum()
    assert chi2 < 13.8  # the 0.999 quantile of chi-square with 2 degrees of freedom


def test_weighted_sampler_without_replacement_draws_each_row_once():
    drawn = list(WeightedRandomSampler([1.0, 1.0, 1.0, 1.0, 0.0], 4, replacement=False, generator=3))
    assert sorted(drawn) == [0, 1, 2, 3] and len(WeightedRandomSampler([1.0], 7)) == 7


def test_weighted_sampler_is_reproducible_through_the_engines_generator():
    ag.manual_seed(0)
    first = list(WeightedRandomSampler([0.2, 0.3, 0.5], 10))
    ag.manual_seed(0)
    assert list(WeightedRandomSampler([0.2, 0.3, 0.5], 10)) == first
    g1, g2 = ag.Generator().manual_seed(5), ag.Generator().manual_seed(5)
    assert list(WeightedRandomSampler([0.2, 0.8], 10, generator=g1)) == list(
        WeightedRandomSampler([0.2, 0.8], 10, generator=g2)
    )


def test_weighted_sampler_balances_classes_in_a_dataloader():
    y = np.array([0] * 90 + [1] * 10)
    per_row = 1.0 / np.bincount(y)[y]  # each class drawn equally often
    loader = DataLoader(
        TensorDataset(np.arange(100.0), y), batch_size=50, sampler=WeightedRandomSampler(per_row, 4000, generator=1)
    )
    labels = np.concatenate([yb for _, yb in loader])
    assert len(labels) == 4000 and abs(labels.mean() - 0.5) < 0.05
    assert "WeightedRandomSampler" in nn.data.__all__ and "ConcatDataset" in nn.data.__all__
    assert sorted(SubsetRandomSampler([4, 8, 15], generator=0)) == [4, 8, 15]


def test_weighted_sampler_errors():
    with pytest.raises(
        ValueError, match=r"WeightedRandomSampler: weights must be a 1-d sequence of finite numbers >= 0"
    ):
        WeightedRandomSampler([1.0, -1.0], 3)
    with pytest.raises(ValueError, match=r"WeightedRandomSampler: the weights sum to 0"):
        WeightedRandomSampler([0.0, 0.0], 3)
    with pytest.raises(ValueError, match=r"WeightedRandomSampler: num_samples must be a positive int, got 0"):
        WeightedRandomSampler([1.0], 0)
    with pytest.raises(
        ValueError, match=r"without replacement num_samples=3 cannot exceed the 2 rows of nonzero weight"
    ):
        WeightedRandomSampler([1.0, 0.0, 1.0], 3, replacement=False)
