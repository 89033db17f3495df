"""nn.RNN / LSTM / GRU and their cells against PyTorch's: torch's weights loaded through load_state_dict,
then the outputs, the final states, every parameter's gradient and the input's gradient compared."""

import numpy as np
import pytest

import autograd_core as ag
import nn

torch = pytest.importorskip("torch")

CASES = [  # (num_layers, bidirectional, batch_first, given hx, unbatched)
    (1, False, False, False, False),
    (2, False, False, True, False),
    (1, True, True, False, False),
    (2, True, False, True, False),
    (2, True, True, True, False),
    (1, False, False, True, True),
    (2, True, False, False, True),
]
DTYPES = [(np.float64, torch.float64, 1e-10), (np.float32, torch.float32, 2e-5)]
KINDS = {"RNN": {}, "RNN-relu": {"nonlinearity": "relu"}, "LSTM": {}, "GRU": {}}


def make_pair(kind, dtype, torch_dtype, **options):
    name = kind.split("-")[0]
    extra = KINDS[kind]
    theirs = getattr(torch.nn, name)(3, 4, **options, **extra).to(torch_dtype)
    ours = getattr(nn, name)(3, 4, **options, **extra, seed=0, dtype=dtype)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def leaves(arrays):
    """The same values as our leaves and as torch's."""
    ours = [ag.Tensor(a.copy(), requires_grad=True) for a in arrays]
    return ours, [torch.tensor(a, requires_grad=True) for a in arrays]


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize(("dtype", "torch_dtype", "tolerance"), DTYPES)
@pytest.mark.parametrize(("num_layers", "bidirectional", "batch_first", "given_hx", "unbatched"), CASES)
def test_layer_outputs_and_gradients_equal_torch(
    kind, dtype, torch_dtype, tolerance, num_layers, bidirectional, batch_first, given_hx, unbatched
):
    options = {"num_layers": num_layers, "bidirectional": bidirectional, "batch_first": batch_first}
    ours, theirs = make_pair(kind, dtype, torch_dtype, **options)
    rng = np.random.default_rng(num_layers + 2 * bidirectional)
    seq, batch, states = 5, 2, num_layers * (2 if bidirectional else 1)
    shape = (seq, 3) if unbatched else ((batch, seq, 3) if batch_first else (seq, batch, 3))
    hx_shape = (states, 4) if unbatched else (states, batch, 4)
    arrays = [rng.standard_normal(shape).astype(dtype)]
    if given_hx:
        arrays += [rng.standard_normal(hx_shape).astype(dtype) for _ in range(2 if kind == "LSTM" else 1)]
    (x, *hx), (tx, *thx) = leaves(arrays)
    if kind == "LSTM":
        out, (h_n, c_n) = ours(x, tuple(hx) if hx else None)
        tout, (th_n, tc_n) = theirs(tx, tuple(thx) if thx else None)
        results, torch_results = [out, h_n, c_n], [tout, th_n, tc_n]
    else:
        out, h_n = ours(x, hx[0] if hx else None)
        tout, th_n = theirs(tx, thx[0] if thx else None)
        results, torch_results = [out, h_n], [tout, th_n]
    weights = [rng.standard_normal(t.shape).astype(dtype) for t in torch_results]
    for got, want in zip(results, torch_results):
        assert got.shape == tuple(want.shape) and got.dtype == dtype
        np.testing.assert_allclose(got.data, want.detach().numpy(), rtol=tolerance, atol=tolerance)
    sum((r * w).sum() for r, w in zip(results, weights)).backward()
    sum((r * torch.tensor(w)).sum() for r, w in zip(torch_results, weights)).backward()
    grads = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        assert p.grad.dtype == dtype
        np.testing.assert_allclose(p.grad, grads[name].grad.numpy(), rtol=10 * tolerance, atol=10 * tolerance)
    for ours_leaf, torch_leaf in zip([x, *hx], [tx, *thx]):
        np.testing.assert_allclose(ours_leaf.grad, torch_leaf.grad.numpy(), rtol=10 * tolerance, atol=10 * tolerance)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_state_dict_keys_and_shapes_are_torchs(kind):
    options = {"num_layers": 2, "bidirectional": True}
    ours = getattr(nn, kind)(3, 4, **options, seed=0)
    theirs = getattr(torch.nn, kind)(3, 4, **options)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [v.shape for v in ours.state_dict().values()] == [tuple(v.shape) for v in theirs.state_dict().values()]
    ours_unbiased = getattr(nn, kind)(3, 4, bias=False, seed=0)
    assert list(ours_unbiased.state_dict()) == list(getattr(torch.nn, kind)(3, 4, bias=False).state_dict())


@pytest.mark.parametrize("kind", ["RNNCell", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("unbatched", [False, True])
@pytest.mark.parametrize("given_hx", [False, True])
def test_cells_equal_torchs(kind, unbatched, given_hx):
    theirs = getattr(torch.nn, kind)(3, 4).double()
    ours = getattr(nn, kind)(3, 4, seed=0)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(0)
    lead = () if unbatched else (2,)
    arrays = [rng.standard_normal((*lead, 3))]
    if given_hx:
        arrays += [rng.standard_normal((*lead, 4)) for _ in range(2 if kind == "LSTMCell" else 1)]
    (x, *hx), (tx, *thx) = leaves(arrays)
    hx_ours = tuple(hx) if kind == "LSTMCell" and hx else (hx[0] if hx else None)
    hx_torch = tuple(thx) if kind == "LSTMCell" and thx else (thx[0] if thx else None)
    got, want = ours(x, hx_ours), theirs(tx, hx_torch)
    got, want = (list(got), list(want)) if kind == "LSTMCell" else ([got], [want])
    weights = [rng.standard_normal(w.shape) for w in want]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.data, w.detach().numpy(), rtol=1e-12, atol=1e-12)
    sum((g * w).sum() for g, w in zip(got, weights)).backward()
    sum((w * torch.tensor(k)).sum() for w, k in zip(want, weights)).backward()
    grads = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, grads[name].grad.numpy(), rtol=1e-11, atol=1e-12)
    for a, b in zip([x, *hx], [tx, *thx]):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-11, atol=1e-12)


def test_a_cell_unrolled_by_hand_equals_the_layer():
    """The layer reuses the cell's step: an LSTMCell looped over the steps gives LSTM's output."""
    layer, cell = nn.LSTM(3, 4, seed=0), nn.LSTMCell(3, 4, seed=1)
    cell.load_state_dict({k.removesuffix("_l0"): v for k, v in layer.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((6, 2, 3))
    state = None
    for t in range(6):
        state = cell(x[t], state)
    output, (_h_n, c_n) = layer(x)
    np.testing.assert_allclose(output.data[-1], state[0].data, rtol=1e-14)
    np.testing.assert_allclose(c_n.data[0], state[1].data, rtol=1e-14)
