"""nn idioms a second probe of everyday torch code (/work/wt/probe2_idioms.py) found missing: ``nn.init.eye_`` and
``nn.init.dirac_`` (identity initialisations of a linear and a conv layer), ``nn.init.sparse_`` and
``DataLoader(batch_size=None)`` (torch's unbatched loading: the examples one by one). Each was an AttributeError
or ValueError before.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F


def test_eye_makes_a_linear_layer_the_identity() -> None:
    layer = nn.Linear(3, 3)
    nn.init.eye_(layer.weight)
    nn.init.zeros_(layer.bias)
    x = np.random.default_rng(0).standard_normal((2, 3))
    np.testing.assert_array_equal(layer(ag.tensor(x)).numpy(), x)
    np.testing.assert_array_equal(nn.init.eye_(ag.empty(2, 4)).numpy(), np.eye(2, 4))
    with pytest.raises(ValueError, match=r"nn.init.eye_: needs a 2-d tensor .* use dirac_ for a conv"):
        nn.init.eye_(ag.empty(2, 2, 3))


@pytest.mark.parametrize("shape, groups", [((4, 4, 3, 3), 1), ((4, 2, 3), 2), ((6, 3, 3, 3, 3), 2), ((2, 3, 5), 1)])
def test_dirac_makes_a_convolution_the_identity(shape: tuple[int, ...], groups: int) -> None:
    """A Dirac-initialised conv (padding k // 2) copies each of its first min(out, in) channels (per group)."""
    w = nn.init.dirac_(ag.empty(*shape), groups=groups)
    if len(shape) == 4 and groups == 1:
        x = np.random.default_rng(1).standard_normal((1, 4, 5, 5))
        np.testing.assert_allclose(F.conv2d(ag.tensor(x), w, padding=1).numpy(), x, atol=1e-12)
    out_per_group, n_in = shape[0] // groups, shape[1]
    centre = tuple(k // 2 for k in shape[2:])
    assert w.numpy().sum() == groups * min(out_per_group, n_in)
    for g in range(groups):
        for d in range(min(out_per_group, n_in)):
            assert w.numpy()[(g * out_per_group + d, d) + centre] == 1.0


@pytest.mark.parametrize("shape, groups", [((4, 4, 3, 3), 1), ((4, 2, 3), 2), ((6, 3, 3, 3, 3), 2), ((2, 3, 5), 1)])
def test_dirac_matches_torch(shape: tuple[int, ...], groups: int) -> None:
    torch = pytest.importorskip("torch")
    ours = nn.init.dirac_(ag.empty(*shape), groups=groups).numpy()
    np.testing.assert_array_equal(ours, torch.nn.init.dirac_(torch.empty(*shape), groups=groups).numpy())


def test_dirac_error() -> None:
    with pytest.raises(ValueError, match=r"nn.init.dirac_: needs a 3-, 4- or 5-d conv weight .* use eye_"):
        nn.init.dirac_(ag.empty(3, 3))
    with pytest.raises(ValueError, match="divide by groups=2"):
        nn.init.dirac_(ag.empty(3, 3, 3), groups=2)


def test_dataloader_batch_size_none_yields_examples() -> None:
    """As torch's: no batching, each example as dataset[i] gives it, shuffled or sampled as asked."""
    assert list(nn.data.DataLoader(list(range(5)), batch_size=None)) == [0, 1, 2, 3, 4]
    x, y = np.arange(6.0).reshape(3, 2), np.array([0, 1, 2])
    examples = list(nn.data.DataLoader(nn.data.TensorDataset(ag.tensor(x), ag.tensor(y)), batch_size=None))
    assert len(examples) == 3 and examples[1][0].tolist() == [2.0, 3.0] and int(examples[1][1]) == 1
    rows = list(nn.data.DataLoader(ag.tensor(x), batch_size=None))
    assert [r.tolist() for r in rows] == x.tolist()
    shuffled = list(nn.data.DataLoader(list(range(10)), batch_size=None, shuffle=True, seed=0))
    assert sorted(shuffled) == list(range(10)) and shuffled != list(range(10))
    loader = nn.data.DataLoader(list(range(10)), batch_size=None, sampler=[7, 2])
    assert list(loader) == [7, 2] and len(loader) == 2
    assert list(nn.data.DataLoader([1, 2], batch_size=None, collate_fn=lambda e: e * 10)) == [10, 20]
    assert len(nn.data.DataLoader(list(range(5)), batch_size=None)) == 5


def test_dataloader_batch_size_none_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    data = [np.array([1.0, 2.0]), np.array([3.0, 4.0])]
    ours = list(nn.data.DataLoader(data, batch_size=None))
    theirs = list(torch.utils.data.DataLoader(data, batch_size=None))
    for o, t in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(np.asarray(o), t.numpy())


def test_sparse_zeroes_a_fraction_of_each_column() -> None:
    w = nn.init.sparse_(ag.empty(10, 6), sparsity=0.3, std=0.5, generator=0)
    assert ((w.numpy() == 0).sum(axis=0) == 3).all()  # ceil(0.3 * 10) per column
    assert 0.2 < w.numpy()[w.numpy() != 0].std() < 0.8
    with pytest.raises(ValueError, match=r"nn.init.sparse_: needs a 2-d tensor and a sparsity in \[0, 1\]"):
        nn.init.sparse_(ag.empty(3), 0.5)


def test_sparse_matches_torch_counts() -> None:
    torch = pytest.importorskip("torch")
    theirs = torch.nn.init.sparse_(torch.empty(7, 4), sparsity=0.4).numpy()
    ours = nn.init.sparse_(ag.empty(7, 4), sparsity=0.4).numpy()
    np.testing.assert_array_equal((ours == 0).sum(axis=0), (theirs == 0).sum(axis=0))
