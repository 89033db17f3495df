"""nn.data: TensorDataset and DataLoader (batches, shuffling reproducible per epoch, drop_last)."""

import numpy as np
import pytest

import nn
import nn.functional as F
from autograd_core import Tensor
from nn.data import DataLoader, TensorDataset


def data(n=10):
    return np.arange(n * 2, dtype=float).reshape(n, 2), np.arange(n)


def test_batches_cover_every_row_once_in_order_without_shuffle():
    X, y = data()
    batches = list(DataLoader(TensorDataset(X, y), batch_size=4))
    assert [len(yb) for _, yb in batches] == [4, 4, 2] and len(DataLoader((X, y), batch_size=4)) == 3
    assert np.array_equal(np.concatenate([yb for _, yb in batches]), y)
    assert np.array_equal(np.concatenate([xb for xb, _ in batches]), X)
    dropped = DataLoader((X, y), batch_size=4, drop_last=True)
    assert [len(yb) for _, yb in dropped] == [4, 4] and len(dropped) == 2


def test_shuffle_is_a_new_permutation_each_epoch_and_reproducible_from_the_seed():
    X, y = data(50)
    first, second = DataLoader((X, y), 8, shuffle=True, seed=3), DataLoader((X, y), 8, shuffle=True, seed=3)
    epochs = [np.concatenate([yb for _, yb in first]) for _ in range(3)]
    again = [np.concatenate([yb for _, yb in second]) for _ in range(3)]
    assert all(np.array_equal(a, b) for a, b in zip(epochs, again))
    assert all(sorted(e) == list(range(50)) for e in epochs)
    assert not np.array_equal(epochs[0], epochs[1])
    for xb, yb in DataLoader((X, y), 8, shuffle=True, seed=3):
        assert np.array_equal(xb[:, 0], 2 * yb)  # rows stay paired


def test_same_batches_as_nn_fit_for_the_same_seed():
    """fit draws rng.permutation(n) per epoch from default_rng(seed): the loader's stream."""
    X, y = data(30)
    rng = np.random.default_rng(0)
    loader = DataLoader((X, y), batch_size=7, shuffle=True, seed=0)
    for _ in range(2):
        order = rng.permutation(30)
        for step, (_, yb) in enumerate(loader):
            assert np.array_equal(yb, y[order[step * 7 : (step + 1) * 7]])


def test_any_indexable_dataset_is_collated():
    class Squares:
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return np.array([i, i * i], dtype=float), i % 2

    xb, yb = next(iter(DataLoader(Squares(), batch_size=3)))
    assert xb.tolist() == [[0, 0], [1, 1], [2, 4]] and yb.tolist() == [0, 1, 0]


def test_a_training_loop_over_the_loader_learns():
    X, y = nn.datasets.make_moons(200, noise=0.1, seed=0)
    model = nn.MLP([2, 16, 2], seed=0)
    opt = nn.optim.Adam(model.parameters(), lr=0.02)
    loader = DataLoader((X, y), batch_size=32, shuffle=True, seed=0)
    before = F.cross_entropy(model(X), y).item()
    for _ in range(30):
        for xb, yb in loader:
            opt.zero_grad()
            F.cross_entropy(model(Tensor(xb)), yb).backward()
            opt.step()
    assert F.cross_entropy(model(X), y).item() < before / 3


def test_errors():
    X, y = data()
    with pytest.raises(
        ValueError, match=r"TensorDataset: every array needs the same number of rows.*\(10, 2\), \(9,\)"
    ):
        TensorDataset(X, y[:9])
    with pytest.raises(ValueError, match=r"DataLoader: batch_size must be a positive int, got 0"):
        DataLoader((X, y), batch_size=0)
    with pytest.raises(TypeError, match=r"DataLoader: dataset must have len\(\) and \[index\]"):
        DataLoader(42)


def test_loader_state_resumes_the_shuffle_stream(tmp_path):
    X, y = data(20)
    straight = DataLoader((X, y), 6, shuffle=True, seed=4)
    orders = [np.concatenate([yb for _, yb in straight]) for _ in range(4)]
    first = DataLoader((X, y), 6, shuffle=True, seed=4)
    for _ in range(2):
        list(first)
    model = nn.Linear(2, 2, seed=0)
    nn.utils.save_checkpoint(tmp_path / "run.npz", model, loader=first)
    resumed = DataLoader((X, y), 6, shuffle=True, seed=99)
    nn.utils.load_checkpoint(tmp_path / "run.npz", model, loader=resumed)
    assert all(np.array_equal(np.concatenate([yb for _, yb in resumed]), orders[k]) for k in (2, 3))
    with pytest.raises(ValueError, match=r"DataLoader.load_state_dict: expected the dict returned by state_dict"):
        resumed.load_state_dict({"seed": 1})


def test_one_array_yields_bare_batches_as_pytorch():
    """DataLoader(X) yielded 1-tuples (xb,): model(xb) then read the tuple as a (1, B, 2) array."""
    X, _ = data()
    batches = list(DataLoader(X, batch_size=4))
    assert all(isinstance(xb, np.ndarray) for xb in batches)
    assert [xb.shape for xb in batches] == [(4, 2), (4, 2), (2, 2)]
    assert nn.Linear(2, 3, seed=0)(batches[0]).shape == (4, 3)
    assert [xb.shape for xb in DataLoader(Tensor(X), batch_size=5)] == [(5, 2), (5, 2)]
    assert [len(b) for b in DataLoader(TensorDataset(X), batch_size=5)] == [1, 1]  # a dataset's items stay tuples


def test_a_list_is_examples_and_dicts_are_batched_field_by_field():
    X, y = data()
    rows = list(DataLoader([X[i] for i in range(10)], batch_size=4))  # ten (2,) rows, not two rows of ten
    assert [xb.shape for xb in rows] == [(4, 2), (4, 2), (2, 2)] and np.array_equal(np.concatenate(rows), X)

    class Records:
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return {"x": X[i], "y": int(y[i]), "name": f"row{i}"}

    batch = next(iter(DataLoader(Records(), batch_size=3)))
    assert batch["x"].shape == (3, 2) and batch["y"].tolist() == [0, 1, 2] and batch["name"] == ["row0", "row1", "row2"]
    with pytest.raises(ValueError, match=r"examples of a batch must have one shape.*pass a tuple \(X, y\)"):
        list(DataLoader([X, y], batch_size=2))


def test_batches_match_torch_dataloader():
    torch = pytest.importorskip("torch")
    X, y = data()
    for ours, theirs in zip(DataLoader(X, batch_size=4), torch.utils.data.DataLoader(torch.tensor(X), batch_size=4)):
        assert np.array_equal(ours, theirs.numpy())
    listed = [torch.tensor(X[i]) for i in range(10)]
    ours_list = [xb.shape for xb in DataLoader([X[i] for i in range(10)], batch_size=4)]
    assert ours_list == [tuple(b.shape) for b in torch.utils.data.DataLoader(listed, batch_size=4)]
    records = [{"x": torch.tensor(X[i]), "y": int(y[i])} for i in range(4)]
    theirs_dict = next(iter(torch.utils.data.DataLoader(records, batch_size=4)))
    ours_dict = next(iter(DataLoader([{"x": X[i], "y": int(y[i])} for i in range(4)], batch_size=4)))
    assert (
        np.array_equal(ours_dict["x"], theirs_dict["x"].numpy())
        and ours_dict["y"].tolist() == theirs_dict["y"].tolist()
    )


def test_collate_fn_makes_the_batches_as_pytorch():
    X, y = data()

    def padded(examples):  # a custom batch: features and labels, plus how many examples
        xs, ys = zip(*examples)
        return np.stack(xs), np.array(ys), len(examples)

    batches = list(DataLoader((X, y), batch_size=4, collate_fn=padded))
    assert [b[2] for b in batches] == [4, 4, 2] and np.array_equal(np.concatenate([b[0] for b in batches]), X)
    assert [len(b) for b in DataLoader(X, batch_size=3, collate_fn=lambda rows: rows)] == [3, 3, 3, 1]
    with pytest.raises(TypeError, match=r"fit: a DataLoader with a collate_fn makes its own batches"):
        nn.fit(
            nn.Linear(2, 2),
            F.cross_entropy,
            nn.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1),
            DataLoader((X, y), batch_size=4, collate_fn=padded),
            epochs=1,
            progress=False,
        )
    with pytest.raises(TypeError, match=r"DataLoader: collate_fn must be a function"):
        DataLoader(X, collate_fn=3)
    torch = pytest.importorskip("torch")
    theirs = torch.utils.data.DataLoader(torch.tensor(X), batch_size=3, collate_fn=lambda rows: len(rows))
    assert list(theirs) == [len(b) for b in DataLoader(X, batch_size=3, collate_fn=lambda rows: rows)]
