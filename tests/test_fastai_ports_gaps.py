"""The gaps fast.ai's course22p2 notebooks met (see ``test_fastai_ports*.py``), each test failing on the code
before its fix: ``nn.data``'s samplers (``SequentialSampler``, ``RandomSampler``, ``SubsetRandomSampler``,
``BatchSampler``, in ``nn/samplers.py``), ``DataLoader(sampler=, batch_sampler=)`` and ``default_collate``, as
torch's; ``Tensor.stride`` is tested with 01_matmul."""

import numpy as np
import pytest

import autograd_core as ag
import nn
from nn.data import (
    BatchSampler,
    DataLoader,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    TensorDataset,
    default_collate,
)


def test_gap_random_sampler_draws_a_permutation_per_epoch_reproducibly():
    ds = list(range(20))
    sampler = RandomSampler(ds, generator=0)
    first, second = list(sampler), list(sampler)
    assert sorted(first) == sorted(second) == ds and first != second  # a new order each epoch
    assert list(RandomSampler(ds, generator=0)) == first  # the same seed, the same epochs
    assert list(RandomSampler(ds, generator=ag.Generator().manual_seed(3))) == list(
        RandomSampler(ds, generator=ag.Generator().manual_seed(3))
    )
    ag.manual_seed(5)
    default = list(RandomSampler(ds))
    ag.manual_seed(5)
    assert list(RandomSampler(ds)) == default and len(RandomSampler(ds)) == 20
    with_replacement = list(RandomSampler(ds, replacement=True, num_samples=200, generator=1))
    assert len(with_replacement) == 200 and len(set(with_replacement)) < 20 + 1
    assert max(np.bincount(with_replacement)) > 1  # 200 draws of 20: some row comes twice
    longer = list(RandomSampler(range(3), num_samples=7, generator=0))
    assert sorted(longer[:3]) == sorted(longer[3:6]) == [0, 1, 2] and len(longer) == 7


def test_gap_sequential_subset_and_batch_samplers_as_torch_s():
    assert list(SequentialSampler("abc")) == [0, 1, 2] and len(SequentialSampler("abc")) == 3
    subset = list(SubsetRandomSampler([5, 9, 2, 7], generator=0))
    assert sorted(subset) == [2, 5, 7, 9] and len(SubsetRandomSampler([5, 9])) == 2
    assert list(BatchSampler(range(7), 3, drop_last=False)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(BatchSampler(range(7), 3, drop_last=True)) == [[0, 1, 2], [3, 4, 5]]
    assert len(BatchSampler(range(7), 3, False)) == 3 and len(BatchSampler(range(7), 3, True)) == 2
    assert all(type(i) is int for b in BatchSampler(np.arange(4), 2, False) for i in b)
    with pytest.raises(NotImplementedError, match="must define __iter__"):
        iter(Sampler())
    real = pytest.importorskip("torch")
    data = real.utils.data
    assert list(BatchSampler(range(7), 3, False)) == list(data.BatchSampler(range(7), 3, False))
    assert list(SequentialSampler("abc")) == list(data.SequentialSampler("abc"))


def test_gap_samplers_refuse_bad_input_clearly():
    with pytest.raises(ValueError, match="BatchSampler: batch_size must be a positive int, got 0"):
        BatchSampler(range(3), 0, False)
    with pytest.raises(TypeError, match="BatchSampler: sampler must be an iterable of indices"):
        BatchSampler(3, 2, False)
    with pytest.raises(TypeError, match="RandomSampler: data_source must have len"):
        RandomSampler(iter(range(3)))
    with pytest.raises(ValueError, match="RandomSampler: data_source is empty"):
        RandomSampler([])
    with pytest.raises(TypeError, match=r"RandomSampler: generator must be an ag\.Generator.*got str"):
        RandomSampler([1], generator="0")
    with pytest.raises(TypeError, match=r"BatchSampler: its sampler .* has no len"):
        len(BatchSampler(iter(range(3)), 2, False))


def test_gap_dataloader_takes_a_sampler_or_a_batch_sampler():
    X, y = ag.tensor(np.arange(20.0).reshape(10, 2)), ag.tensor(np.arange(10))
    ds = TensorDataset(X, y)
    batches = DataLoader(ds, batch_sampler=BatchSampler(SequentialSampler(ds), 4, drop_last=False))
    assert [yb.tolist() for _, yb in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]] and len(batches) == 3
    ordered = DataLoader(ds, 4, sampler=SubsetRandomSampler([9, 3, 5], generator=0), drop_last=False)
    assert sorted(i for _, yb in ordered for i in yb.tolist()) == [3, 5, 9] and len(ordered) == 1
    assert len(DataLoader(ds, 3, sampler=SequentialSampler(ds), drop_last=True)) == 3
    one = DataLoader(np.arange(6.0), 2, sampler=[5, 0, 3])  # one array: bare batches, in the sampler's order
    assert [b.tolist() for b in one] == [[5.0, 0.0], [3.0]]
    one_tensor = DataLoader(ag.tensor(np.arange(6.0)), 2, sampler=[5, 0, 3])
    assert [type(b) for b in one_tensor] == [ag.Tensor, ag.Tensor]  # as without a sampler
    dicts = DataLoader([{"x": np.ones(2), "y": k} for k in range(4)], 2, sampler=SequentialSampler(range(4)))
    assert [b["y"].tolist() for b in dicts] == [[0, 1], [2, 3]]
    with pytest.raises(ValueError, match=r"batch_sampler .* mutually exclusive with batch_size, shuffle"):
        DataLoader(ds, batch_size=4, batch_sampler=[[0, 1]])
    with pytest.raises(ValueError, match="sampler decides the order, so it is mutually exclusive with shuffle"):
        DataLoader(ds, 2, shuffle=True, sampler=SequentialSampler(ds))
    with pytest.raises(TypeError, match="DataLoader: batch_sampler must be an iterable of indices, got int"):
        DataLoader(ds, batch_sampler=3)
    with pytest.raises(TypeError, match="epoch_order: this loader's sampler draws its own batches"):
        DataLoader(ds, 2, sampler=SequentialSampler(ds)).epoch_order()
    model = nn.Linear(2, 10)
    with pytest.raises(TypeError, match="fit: a DataLoader with a sampler draws its own batches"):
        nn.fit(model, nn.CrossEntropyLoss(), nn.optim.SGD(model.parameters(), lr=0.1), batches, epochs=1)


def test_gap_default_collate_is_the_loader_s_batching_as_torch_s():
    batch = default_collate([(np.array([1.0, 2.0]), 1), (np.array([3.0, 4.0]), 0)])
    assert batch[0].tolist() == [[1.0, 2.0], [3.0, 4.0]] and batch[1].tolist() == [1, 0]
    tensors = default_collate([(ag.tensor([1.0, 2.0]), 1), (ag.tensor([3.0, 4.0]), 0)])
    assert all(isinstance(t, ag.Tensor) for t in tensors)  # an example holding a Tensor gives Tensors
    rows = default_collate([{"image": np.zeros((2, 2)), "label": 3}, {"image": np.ones((2, 2)), "label": 4}])
    assert rows["image"].shape == (2, 2, 2) and rows["label"].tolist() == [3, 4]
    for bad in ([], np.zeros(3), "ab"):
        with pytest.raises(TypeError, match="default_collate: expects a non-empty list of examples"):
            default_collate(bad)
    real = pytest.importorskip("torch")
    theirs = real.utils.data.default_collate(
        [{"image": np.zeros((2, 2)), "label": 3}, {"image": np.ones((2, 2)), "label": 4}]
    )
    np.testing.assert_array_equal(rows["image"], theirs["image"].numpy())
    np.testing.assert_array_equal(rows["label"], theirs["label"].numpy())
