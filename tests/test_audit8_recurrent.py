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
    for name, options in [
        ("RNNCell", {"nonlinearity": "relu"}),
        ("RNNCell", {"bias": False}),
        ("LSTMCell", {}),
        ("GRUCell", {"bias": False}),
    ]:
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


@pytest.mark.parametrize(
    ("bidirectional", "batch_first", "unbatched"), [(False, False, False), (True, True, False), (True, False, True)]
)
def test_lstm_proj_size_equals_torch_values_states_and_gradients(bidirectional, batch_first, unbatched):
    torch = pytest.importorskip("torch")
    options = {"num_layers": 2, "bidirectional": bidirectional, "batch_first": batch_first, "proj_size": 2}
    theirs = torch.nn.LSTM(3, 5, **options).double()
    ours = nn.LSTM(3, 5, **options, seed=0)
    assert list(ours.state_dict()) == list(theirs.state_dict())  # weight_hr_l{k} after the biases, as torch's
    assert repr(ours) == repr(theirs)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    rng, states = np.random.default_rng(0), 2 * (2 if bidirectional else 1)
    shape = (4, 3) if unbatched else ((2, 4, 3) if batch_first else (4, 2, 3))
    arrays = [rng.standard_normal(shape)]
    arrays += [rng.standard_normal((states, size) if unbatched else (states, 2, size)) for size in (2, 5)]
    x, h0, c0 = (ag.Tensor(a, requires_grad=True) for a in arrays)
    tx, th0, tc0 = (torch.tensor(a, requires_grad=True) for a in arrays)
    output, (h_n, c_n) = ours(x, (h0, c0))
    expected, (th_n, tc_n) = theirs(tx, (th0, tc0))
    for a, b in [(output, expected), (h_n, th_n), (c_n, tc_n)]:
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), atol=1e-12)
    (output.sum() + (h_n * h_n).sum() + c_n.sum()).backward()
    (expected.sum() + (th_n * th_n).sum() + tc_n.sum()).backward()
    for a, b in [(x, tx), (h0, th0), (c0, tc0)]:
        np.testing.assert_allclose(a.grad, b.grad.numpy(), atol=1e-12)
    named = dict(ours.named_parameters())
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(named[name].grad, p.grad.numpy(), atol=1e-12, err_msg=name)


def test_lstm_proj_size_checks_and_round_trips(tmp_path):
    for bad in (-1, 2.0, True):
        with pytest.raises(ValueError, match=r"LSTM: proj_size must be an int >= 0 \(0: no projection\)"):
            nn.LSTM(3, 5, proj_size=bad)
    with pytest.raises(ValueError, match="LSTM: proj_size=5 must be smaller than hidden_size=5"):
        nn.LSTM(3, 5, proj_size=5)
    lstm = nn.LSTM(3, 5, proj_size=2, seed=0)
    with pytest.raises(ValueError, match=r"h_0 of shape \(1, 2, 5\), expected \(1, 2, 2\) .*proj_size\)"):
        lstm(np.ones((4, 2, 3)), (np.zeros((1, 2, 5)), np.zeros((1, 2, 5))))
    x = np.ones((4, 2, 3))
    nn.save(lstm, tmp_path / "lstm.npz")
    loaded = nn.load(tmp_path / "lstm.npz")
    assert loaded.proj_size == 2 and [w.shape for w in loaded.all_weights[0]][-1] == (2, 5)
    np.testing.assert_array_equal(loaded(x)[0].numpy(), lstm(x)[0].numpy())


@pytest.mark.parametrize("kind", [nn.RNN, nn.LSTM, nn.GRU])
def test_dropout_with_one_layer_warns_that_it_does_nothing(kind, recwarn):
    with pytest.warns(UserWarning, match=rf"{kind.__name__}: dropout=0.5 acts between stacked layers only"):
        kind(3, 4, dropout=0.5)
    kind(3, 4, num_layers=2, dropout=0.5)
    kind(3, 4)
    assert not [w for w in recwarn if "dropout" in str(w.message)]


def test_a_recurrent_layer_in_sequential_before_linear_is_explained_in_one_line():
    # Sequential hands LSTM's (output, (h, c)) to Linear whole: the error said "cannot read tuple data as numbers"
    model = nn.Sequential(nn.LSTM(3, 4, seed=0), nn.Linear(4, 2, seed=0))
    with pytest.raises(TypeError, match=r"Linear\(in_features=4, .*got a tuple of 2 items.*lstm\(x\)\[0\]"):
        model(np.ones((5, 2, 3)))
