"""Found by the fourth everyday-use audit: PyTorch idioms from common tutorials, each checked
against what PyTorch does (with torch itself where it is installed)."""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor

# ---- grad mode ----------------------------------------------------------------------------------


def test_set_grad_enabled_called_on_its_own_line_switches_recording_until_switched_back():
    w = Tensor([1.0, 2.0], requires_grad=True)
    ag.set_grad_enabled(False)  # PyTorch's plain-call form: was a no-op, so y silently recorded
    try:
        assert not ag.is_grad_enabled()
        assert not (w * 2).requires_grad
    finally:
        ag.set_grad_enabled(True)
    assert ag.is_grad_enabled() and (w * 2).requires_grad


def test_set_grad_enabled_as_a_block_or_decorator_still_restores_what_came_before():
    w = Tensor([1.0], requires_grad=True)
    with ag.no_grad():
        with ag.set_grad_enabled(True):
            assert (w * 2).requires_grad
        assert not ag.is_grad_enabled()

    @ag.set_grad_enabled(False)
    def double(x):
        return x * 2

    assert ag.is_grad_enabled()  # making the decorator changed nothing yet
    assert not double(w).requires_grad and ag.is_grad_enabled()
    block = ag.set_grad_enabled(False)
    assert not ag.is_grad_enabled()
    with block:
        assert not ag.is_grad_enabled()
    assert ag.is_grad_enabled()  # the block gives back what the call replaced


# ---- nn containers ------------------------------------------------------------------------------


def test_sequential_of_an_ordered_dict_names_its_modules_by_the_keys(tmp_path):
    from collections import OrderedDict

    import nn

    model = nn.Sequential(OrderedDict([("fc1", nn.Linear(4, 8, seed=0)), ("act", nn.ReLU()), ("fc2", nn.Linear(8, 3))]))
    assert [name for name, _ in model.named_parameters()] == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert model.fc1 is model[0] and len(model) == 3
    assert [name for name, _ in model[1:].named_children()] == ["act", "fc2"]  # a slice keeps the names
    x = np.ones((2, 4))
    assert np.array_equal(model(x).data, model.fc2(model.act(model.fc1(x))).data)
    nn.save(model, tmp_path / "named.npz")  # the file rebuilds the same names, so the weights load back
    again = nn.load(tmp_path / "named.npz")
    assert list(again.state_dict()) == list(model.state_dict())
    assert np.array_equal(again(x).data, model(x).data)


@pytest.mark.parametrize(
    ("modules", "words"),
    [({"a.b": "Linear"}, "without dots"), ({"train": "ReLU"}, "taken"), ({"x": "not a module"}, "must be a Module")],
)
def test_sequential_of_a_dict_refuses_names_and_items_it_cannot_register(modules, words):
    import nn

    made = {k: (getattr(nn, v)(2, 2) if v == "Linear" else nn.ReLU() if v == "ReLU" else v) for k, v in modules.items()}
    with pytest.raises((ValueError, TypeError), match=words):
        nn.Sequential(made)


# ---- data ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "lengths"), [(10, [0.8, 0.2]), (10, [0.33, 0.33, 0.34]), (7, [0.5, 0.5]), (5, [3, 2])])
def test_random_split_partitions_every_row_once_in_pytorchs_sizes(n, lengths):
    from nn.data import DataLoader, TensorDataset, random_split

    dataset = TensorDataset(np.arange(n * 2.0).reshape(n, 2), np.arange(n))
    parts = random_split(dataset, lengths, seed=0)
    rows = [int(part[i][1]) for part in parts for i in range(len(part))]
    assert sorted(rows) == list(range(n))
    assert rows == [int(p[i][1]) for p in random_split(dataset, lengths, seed=0) for i in range(len(p))]
    assert rows != list(range(n))  # shuffled
    assert sum(len(xb) for xb, _ in DataLoader(parts[0], batch_size=3)) == len(parts[0])
    pytest.importorskip("torch")
    from torch.utils.data import random_split as torch_split

    assert [len(p) for p in parts] == [len(p) for p in torch_split(range(n), lengths)]


@pytest.mark.parametrize("lengths", [[0.5, 0.4], [4, 4], [-1, 11], [0.5, "half"]])
def test_random_split_refuses_lengths_that_do_not_cover_the_dataset(lengths):
    from nn.data import random_split

    with pytest.raises(ValueError, match="random_split: lengths"):
        random_split((np.zeros((10, 2)), np.arange(10)), lengths)
