"""The recurrent layers' errors, shapes, dtypes, dropout between layers, init, save/load and repr."""

import numpy as np
import pytest

import autograd_core as ag
import nn
from nn.architecture import build, describe

LAYERS = [nn.RNN, nn.LSTM, nn.GRU]
CELLS = [nn.RNNCell, nn.LSTMCell, nn.GRUCell]


@pytest.mark.parametrize("layer", LAYERS)
def test_input_with_the_wrong_number_of_axes_names_the_layer_and_the_layouts(layer):
    with pytest.raises(
        ValueError,
        match=rf"{layer.__name__}\(3, 4\): input of shape \(2, 3, 4, 3\) is 4-d.*"
        r"\(L, N, input_size\) or an unbatched \(L, input_size\)",
    ):
        layer(3, 4, seed=0)(np.zeros((2, 3, 4, 3)))
    with pytest.raises(ValueError, match=r"\(N, L, input_size\)"):
        layer(3, 4, batch_first=True, seed=0)(np.zeros(3))


@pytest.mark.parametrize("layer", LAYERS)
def test_input_with_the_wrong_feature_size_says_which_is_expected(layer):
    with pytest.raises(ValueError, match=r"input of shape \(5, 2, 7\) has 7 features.*expected input_size=3"):
        layer(3, 4, seed=0)(np.zeros((5, 2, 7)))
    with pytest.raises(ValueError, match="no time steps"):
        layer(3, 4, seed=0)(np.zeros((0, 2, 3)))


@pytest.mark.parametrize("layer", [nn.RNN, nn.GRU])
def test_hx_of_the_wrong_shape_says_the_expected_shape(layer):
    model = layer(3, 4, num_layers=2, bidirectional=True, seed=0)
    with pytest.raises(ValueError, match=r"hx of shape \(2, 5, 4\), expected \(4, 5, 4\) \(num_layers \* 2 directions"):
        model(np.zeros((6, 5, 3)), np.zeros((2, 5, 4)))
    with pytest.raises(ValueError, match=r"hx of shape \(4, 1, 4\), expected \(4, 4\)"):
        model(np.zeros((6, 3)), np.zeros((4, 1, 4)))  # unbatched input, batched hx


def test_lstm_hx_must_be_a_pair_of_the_right_shapes():
    lstm = nn.LSTM(3, 4, seed=0)
    with pytest.raises(ValueError, match=r"LSTM\(3, 4\): hx must be a pair \(h_0, c_0\)"):
        lstm(np.zeros((6, 2, 3)), np.zeros((1, 2, 4)))
    with pytest.raises(ValueError, match=r"c_0 of shape \(1, 3, 4\), expected \(1, 2, 4\)"):
        lstm(np.zeros((6, 2, 3)), (np.zeros((1, 2, 4)), np.zeros((1, 3, 4))))
    with pytest.raises(ValueError, match=r"LSTMCell\(3, 4\): hx must be a pair \(h, c\)"):
        nn.LSTMCell(3, 4, seed=0)(np.zeros((2, 3)), np.zeros((2, 4)))


@pytest.mark.parametrize("cell", CELLS)
def test_cell_errors_name_the_cell_and_the_shapes(cell):
    with pytest.raises(ValueError, match=rf"{cell.__name__}\(3, 4\): input of shape \(2, 5\), expected \(N, 3\)"):
        cell(3, 4, seed=0)(np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"for a sequence use nn\."):
        cell(3, 4, seed=0)(np.zeros((6, 2, 3)))
    hx = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"of shape \(3, 4\) for an input of shape \(2, 3\), expected \(2, 4\)"):
        cell(3, 4, seed=0)(np.zeros((2, 3)), (hx, hx) if cell is nn.LSTMCell else hx)


@pytest.mark.parametrize("make", [nn.RNN, nn.RNNCell])
def test_a_bad_nonlinearity_is_refused(make):
    with pytest.raises(ValueError, match=rf"{make.__name__}: nonlinearity must be 'tanh' or 'relu', got 'sigmoid'"):
        make(3, 4, nonlinearity="sigmoid")


@pytest.mark.parametrize("layer", LAYERS)
@pytest.mark.parametrize("dropout", [-0.1, 1.0, 1.5, "0.2", True])
def test_dropout_outside_zero_to_one_is_refused(layer, dropout):
    with pytest.raises(ValueError, match=rf"{layer.__name__}: dropout must be a probability in \[0, 1\)"):
        layer(3, 4, num_layers=2, dropout=dropout)


def test_sizes_and_dtype_are_checked():
    with pytest.raises(ValueError, match="LSTM: hidden_size must be a positive int, got 0"):
        nn.LSTM(3, 0)
    with pytest.raises(ValueError, match="GRU: num_layers must be a positive int"):
        nn.GRU(3, 4, num_layers=0)
    with pytest.raises(TypeError, match="GRUCell: dtype must be floating-point"):
        nn.GRUCell(3, 4, dtype=np.int64)


def test_dropout_between_layers_acts_in_training_only_and_follows_manual_seed():
    lstm = nn.LSTM(3, 4, num_layers=2, dropout=0.5, seed=0)
    x = np.random.default_rng(0).standard_normal((5, 2, 3))
    ag.manual_seed(1)
    first = lstm(x)[0].data
    ag.manual_seed(1)
    np.testing.assert_array_equal(lstm(x)[0].data, first)  # the same masks from the same seed
    assert not np.array_equal(lstm(x)[0].data, first)  # new masks on the next call
    lstm.eval()
    evaluated = lstm(x)[0].data
    np.testing.assert_array_equal(lstm(x)[0].data, evaluated)
    no_dropout = nn.LSTM(3, 4, num_layers=2, seed=0)
    np.testing.assert_array_equal(no_dropout(x)[0].data, evaluated)  # eval: no dropout at all


@pytest.mark.parametrize("layer", LAYERS)
def test_init_is_uniform_within_one_over_sqrt_hidden_and_seeded(layer):
    model = layer(3, 16, num_layers=2, bidirectional=True, seed=0)
    values = np.concatenate([p.data.ravel() for p in model.parameters()])
    assert 0.245 < np.abs(values).max() <= 0.25  # U(-1/4, 1/4): std 1/(4 sqrt 3) = 0.144
    assert abs(values.std() - 0.25 / np.sqrt(3)) < 0.01 and abs(values.mean()) < 0.01
    again = layer(3, 16, num_layers=2, bidirectional=True, seed=0)
    for a, b in zip(model.parameters(), again.parameters()):
        np.testing.assert_array_equal(a.data, b.data)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept_through_outputs_states_and_gradients(dtype):
    lstm = nn.LSTM(3, 4, dtype=dtype, seed=0)
    x = ag.Tensor(np.ones((5, 2, 3), dtype), requires_grad=True)
    output, (h_n, c_n) = lstm(x)
    assert output.dtype == h_n.dtype == c_n.dtype == dtype
    output.sum().backward()
    assert x.grad.dtype == dtype and all(p.grad.dtype == dtype for p in lstm.parameters())


@pytest.mark.parametrize(
    "model",
    [
        nn.RNN(3, 4, num_layers=2, nonlinearity="relu", batch_first=True, seed=0),
        nn.LSTM(3, 4, bidirectional=True, dropout=0.25, num_layers=2, dtype=np.float32, seed=0),
        nn.GRU(3, 4, bias=False, seed=0),
        nn.Sequential(nn.GRUCell(3, 4, seed=0)),
        nn.LSTMCell(3, 4, bias=False, seed=0),
        nn.RNNCell(3, 4, nonlinearity="relu", dtype=np.float32, seed=0),
    ],
)
def test_save_and_load_round_trip(model, tmp_path):
    path = nn.save(model, tmp_path / "model.npz")
    loaded = nn.load(path)
    assert describe(loaded) == describe(model) and repr(loaded) == repr(model)
    for (name, p), (other, q) in zip(model.named_parameters(), loaded.named_parameters()):
        assert name == other and q.dtype == p.dtype
        np.testing.assert_array_equal(q.data, p.data)
    fresh = build(describe(model))  # rebuilt from the description: same shapes, new weights
    assert [p.shape for p in fresh.parameters()] == [p.shape for p in model.parameters()]


def test_repr_lists_the_options_that_differ_from_the_defaults():
    assert repr(nn.LSTM(3, 4, seed=0)) == "LSTM(3, 4)"
    assert repr(nn.GRU(3, 4, num_layers=2, batch_first=True, bidirectional=True, seed=0)) == (
        "GRU(3, 4, num_layers=2, batch_first=True, bidirectional=True)"
    )
    assert repr(nn.RNNCell(3, 4, nonlinearity="relu", seed=0)) == "RNNCell(3, 4, nonlinearity=relu)"
