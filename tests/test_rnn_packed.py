"""nn.utils.rnn (pad_sequence, pack_padded_sequence, pad_packed_sequence, pack_sequence, ...) and
nn.RNN / LSTM / GRU over a PackedSequence. Torch-free oracles first (closed forms, each sequence run
alone, finite differences), then PyTorch's results where torch is installed."""

import numpy as np
import pytest

import autograd_core as ag
import nn
from autograd_core import Tensor
from nn.utils import rnn

KINDS = ["RNN", "LSTM", "GRU"]


def run(layer, input, hx=None):
    """(output, [h_n] or [h_n, c_n]) for any of the three layers."""
    output, state = layer(input, hx)
    return output, list(state) if isinstance(state, tuple) else [state]


def initial_state(kind, rng, states, batch, size, dtype=np.float64):
    """hx's arrays: [h_0], or [h_0, c_0] for an LSTM."""
    return [rng.standard_normal((states, batch, size)).astype(dtype) for _ in range(2 if kind == "LSTM" else 1)]


def as_hx(kind, tensors):
    return tuple(tensors) if kind == "LSTM" else tensors[0]


# ------------------------------------------------------------------ torch-free
def test_nn_utils_rnn_is_importable_every_way():
    import nn.utils.rnn as module

    assert module is rnn is nn.utils.rnn
    assert nn.utils.rnn.pack_padded_sequence is rnn.pack_padded_sequence


def test_pad_sequence_pads_right_or_left_and_sends_each_sequence_its_gradient():
    a, b = Tensor([[1.0], [2.0], [3.0]], requires_grad=True), Tensor([[4.0]], requires_grad=True)
    right = rnn.pad_sequence([a, b], padding_value=-1.0)
    assert right.shape == (3, 2, 1) and right.data[:, :, 0].tolist() == [[1, 4], [2, -1], [3, -1]]
    left = rnn.pad_sequence([a, b], batch_first=True, padding_side="left")
    assert left.data[:, :, 0].tolist() == [[1, 2, 3], [0, 0, 4]]
    (left * Tensor(np.arange(6.0).reshape(2, 3, 1))).sum().backward()
    assert a.grad[:, 0].tolist() == [0, 1, 2] and b.grad[:, 0].tolist() == [5]  # the weights at their places


def test_pack_padded_sequence_stores_the_real_steps_time_major_longest_first():
    x = Tensor(np.arange(12.0).reshape(4, 3), requires_grad=True)  # (L=4, B=3), x[t, b] = 3 t + b
    packed = rnn.pack_padded_sequence(x, [2, 4, 1], enforce_sorted=False)
    assert packed.batch_sizes.tolist() == [3, 2, 1, 1] and packed.batch_sizes.dtype == np.int64
    assert packed.sorted_indices.tolist() == [1, 0, 2] and packed.unsorted_indices.tolist() == [1, 0, 2]
    assert packed.data.tolist() == [1, 0, 2, 4, 3, 7, 10]  # step 0 of b=1, 0, 2; step 1 of b=1, 0; ...
    packed.data.sum().backward()
    assert x.grad.tolist() == [[1, 1, 1], [1, 1, 0], [0, 1, 0], [0, 1, 0]]  # the padding gets none
    assert rnn.pack_padded_sequence(x, [4, 2, 1]).sorted_indices is None


@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_then_pad_round_trips(batch_first):
    rng = np.random.default_rng(0)
    seqs = [Tensor(rng.standard_normal((n, 2))) for n in (2, 5, 3)]
    packed = rnn.pack_sequence(seqs, enforce_sorted=False)
    padded, lengths = rnn.pad_packed_sequence(packed, batch_first, padding_value=9.0, total_length=6)
    assert lengths.tolist() == [2, 5, 3] and lengths.dtype == np.int64
    expected = rnn.pad_sequence(seqs, batch_first, padding_value=9.0).data
    assert padded.shape == ((3, 6, 2) if batch_first else (6, 3, 2))
    cut = padded.data[:, :5] if batch_first else padded.data[:5]
    np.testing.assert_array_equal(cut, expected)
    assert np.all((padded.data[:, 5] if batch_first else padded.data[5]) == 9.0)
    again = rnn.pack_padded_sequence(padded, lengths, batch_first, enforce_sorted=False)
    np.testing.assert_array_equal(again.data.data, packed.data.data)
    for got, want in zip(rnn.unpack_sequence(packed), seqs):
        np.testing.assert_array_equal(got.data, want.data)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("given_hx", [False, True])
def test_a_packed_layer_equals_each_sequence_run_alone(kind, given_hx):
    """No oracle needed: a sequence's results must not depend on the others in its batch, nor on padding."""
    layer = getattr(nn, kind)(3, 4, num_layers=2, bidirectional=True, batch_first=True, seed=1)
    rng = np.random.default_rng(2)
    lengths = [3, 6, 1, 4]
    seqs = [rng.standard_normal((n, 3)) for n in lengths]
    hx = initial_state(kind, rng, 4, len(lengths), 4) if given_hx else None
    padded = rnn.pad_sequence([Tensor(s) for s in seqs], batch_first=True, padding_value=5.0)
    output, states = run(layer, rnn.pack_padded_sequence(padded, lengths, True, False), hx and as_hx(kind, hx))
    unpacked, _ = rnn.pad_packed_sequence(output, batch_first=True)
    for b, seq in enumerate(seqs):
        alone_hx = None if hx is None else as_hx(kind, [Tensor(h[:, b : b + 1]) for h in hx])
        alone_output, alone_states = run(layer, Tensor(seq[None]), alone_hx)
        np.testing.assert_allclose(unpacked.data[b, : len(seq)], alone_output.data[0], rtol=1e-12, atol=1e-12)
        assert np.all(unpacked.data[b, len(seq) :] == 0)
        for state, alone in zip(states, alone_states):
            np.testing.assert_allclose(state.data[:, b], alone.data[:, 0], rtol=1e-12, atol=1e-12)


def with_parameters(model, names, values):
    for name, value in zip(names, values):
        setattr(model, name, value)
    return model


@pytest.mark.parametrize(("kind", "num_layers", "with_params"), [("LSTM", 1, True), ("GRU", 2, False)])
def test_gradcheck_through_a_packed_bidirectional_layer(kind, num_layers, with_params):
    model = getattr(nn, kind)(2, 2, num_layers=num_layers, bidirectional=True, seed=0)
    names = [name for name, _ in model.named_parameters()]
    rng = np.random.default_rng(3)
    x = Tensor(rng.standard_normal((3, 3, 2)), requires_grad=True)  # (L, B, input); lengths 1, 3, 2
    h0 = Tensor(rng.standard_normal((2 * num_layers, 3, 2)), requires_grad=True)
    params = [Tensor(p.data.copy(), requires_grad=with_params) for p in model.parameters()]

    def packed_run(x, h0, *params):
        layer = with_parameters(model, names, params)
        packed = rnn.pack_padded_sequence(x, [1, 3, 2], enforce_sorted=False)
        output, states = run(layer, packed, (h0, h0 * 0.5) if kind == "LSTM" else h0)
        return output.data, *states

    assert ag.gradcheck(packed_run, [x, h0, *params])


def error_of(call):
    with pytest.raises((ValueError, TypeError)) as caught:
        call()
    return str(caught.value)


X = np.zeros((4, 3, 2))
ERRORS = [
    (lambda: rnn.pack_padded_sequence(X, [2, 4, 1]), ["pack_padded_sequence", "[2, 4, 1]", "enforce_sorted=False"]),
    (lambda: rnn.pack_padded_sequence(X, [4, 0, 1]), ["pack_padded_sequence", "[4, 0, 1]", "at least 1"]),
    (lambda: rnn.pack_padded_sequence(X, [5, 2, 1]), ["pack_padded_sequence", "[5, 2, 1]", "4 time steps"]),
    (lambda: rnn.pack_padded_sequence(X, [4, 2]), ["pack_padded_sequence", "2 lengths", "batch of 3"]),
    (lambda: rnn.pack_padded_sequence(X, [4, 2.5, 1]), ["pack_padded_sequence", "whole numbers", "2.5"]),
    (lambda: rnn.pack_padded_sequence(np.zeros(3), [3]), ["pack_padded_sequence", "(3,)", "(L, B, *)"]),
    (lambda: rnn.pack_sequence([np.ones((2, 1)), np.ones((0, 1))]), ["pack_sequence", "[2, 0]", "at least one"]),
    (lambda: rnn.pack_sequence([np.ones(1), np.ones(2)]), ["pack_sequence", "not sorted", "enforce_sorted=False"]),
    (lambda: rnn.pad_sequence([]), ["pad_sequence", "no sequences"]),
    (lambda: rnn.pad_sequence([np.ones((2, 1)), np.ones((2, 3))]), ["pad_sequence", "(2, 1)", "(2, 3)", "trailing"]),
    (lambda: rnn.pad_sequence([np.ones(2)], padding_side="up"), ["pad_sequence", "'right' or 'left'", "'up'"]),
    (lambda: rnn.pad_packed_sequence(X), ["pad_packed_sequence", "PackedSequence", "ndarray"]),
    (
        lambda: rnn.pad_packed_sequence(rnn.pack_padded_sequence(X, [4, 2, 1]), total_length=3),
        ["pad_packed_sequence", "total_length=3", "4 steps", ">= 4"],
    ),
    (lambda: rnn.unpad_sequence(X, [4, 4]), ["unpad_sequence", "2 lengths", "batch of 3"]),
    (
        lambda: nn.GRU(5, 4)(rnn.pack_padded_sequence(X, [4, 2, 1])),
        ["GRU(5, 4)", "(7, 2)", "input_size=5", "pack_padded_sequence"],
    ),
    (
        lambda: nn.RNN(2, 4)(rnn.pack_padded_sequence(X, [4, 2, 1]), np.zeros((1, 2, 4))),
        ["RNN(2, 4)", "hx of shape (1, 2, 4)", "expected (1, 3, 4)"],
    ),
]


@pytest.mark.parametrize(("call", "fragments"), ERRORS)
def test_bad_input_gets_a_one_line_error_naming_the_function_and_the_fix(call, fragments):
    message = error_of(call)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message


# ------------------------------------------------------------------ against torch
DTYPES = [(np.float64, "float64", 1e-10), (np.float32, "float32", 2e-5)]


def make_pair(torch, kind, dtype, **options):
    theirs = getattr(torch.nn, kind)(3, 4, **options).to(getattr(torch, np.dtype(dtype).name))
    ours = getattr(nn, kind)(3, 4, **options, seed=0, dtype=dtype)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def compare_packed_runs(torch, ours, theirs, kind, lengths, batch_first, enforce_sorted, dtype, tolerance, seed):
    """Run both layers on the same padded batch packed with ``lengths`` and the same hx; compare the packed
    outputs, the final states and every gradient (input, hx, parameters) of one weighted sum of them all."""
    from torch.nn.utils import rnn as trnn

    rng = np.random.default_rng(seed)
    steps, batch = max(lengths) + 1, len(lengths)  # one step of padding past the longest sequence too
    shape = (batch, steps, 3) if batch_first else (steps, batch, 3)
    states = ours.num_layers * ours.directions
    arrays = [rng.standard_normal(shape).astype(dtype)]
    arrays += initial_state(kind, rng, states, batch, 4, dtype)
    if kind == "LSTM" and ours.proj_size:
        arrays[1] = arrays[1][..., : ours.proj_size]
    x, *hx = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    tx, *thx = [torch.tensor(a, requires_grad=True) for a in arrays]
    packed = rnn.pack_padded_sequence(x, lengths, batch_first, enforce_sorted)
    output, results = run(ours, packed, as_hx(kind, hx))
    toutput, tresults = run(
        theirs, trnn.pack_padded_sequence(tx, lengths, batch_first, enforce_sorted), as_hx(kind, thx)
    )
    assert output.batch_sizes.tolist() == toutput.batch_sizes.tolist()
    if not enforce_sorted:
        assert output.sorted_indices.tolist() == toutput.sorted_indices.tolist()
    padded, padded_lengths = rnn.pad_packed_sequence(output, batch_first, padding_value=-2.0)
    tpadded, tlengths = trnn.pad_packed_sequence(toutput, batch_first, padding_value=-2.0)
    assert padded_lengths.tolist() == tlengths.tolist() == list(lengths)
    for got, want in zip([output.data, padded, *results], [toutput.data, tpadded, *tresults]):
        assert got.shape == tuple(want.shape) and got.dtype == dtype
        np.testing.assert_allclose(got.data, want.detach().numpy(), rtol=tolerance, atol=tolerance)
    weights = [rng.standard_normal(r.shape).astype(dtype) for r in [padded, *results]]
    sum((r * w).sum() for r, w in zip([padded, *results], weights)).backward()
    sum((r * torch.tensor(w)).sum() for r, w in zip([tpadded, *tresults], weights)).backward()
    grads = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, grads[name].grad.numpy(), rtol=10 * tolerance, atol=10 * tolerance)
    for leaf, tleaf in zip([x, *hx], [tx, *thx]):
        np.testing.assert_allclose(leaf.grad, tleaf.grad.numpy(), rtol=10 * tolerance, atol=10 * tolerance)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("dtype", "_", "tolerance"), DTYPES)
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_packed_layer_outputs_states_and_gradients_equal_torch(
    kind, dtype, _, tolerance, num_layers, bidirectional, batch_first, enforce_sorted
):
    torch = pytest.importorskip("torch")
    options = {"num_layers": num_layers, "bidirectional": bidirectional, "batch_first": batch_first}
    ours, theirs = make_pair(torch, kind, dtype, **options)
    lengths = [5, 3, 2] if enforce_sorted else [3, 5, 1, 2]
    compare_packed_runs(torch, ours, theirs, kind, lengths, batch_first, enforce_sorted, dtype, tolerance, num_layers)


@pytest.mark.parametrize(("kind", "options"), [("LSTM", {"proj_size": 2, "bidirectional": True}), ("GRU", {})])
def test_projections_and_tied_lengths_equal_torch(kind, options):
    torch = pytest.importorskip("torch")
    ours, theirs = make_pair(torch, kind, np.float64, num_layers=2, **options)
    lengths = [3, 4, 3, 1]  # a tie: results do not depend on how it is broken
    compare_packed_runs(torch, ours, theirs, kind, lengths, False, False, np.float64, 1e-10, 7)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_pad_sequence_and_pack_sequence_equal_torch(batch_first, padding_side):
    torch = pytest.importorskip("torch")
    from torch.nn.utils import rnn as trnn

    rng = np.random.default_rng(4)
    arrays = [rng.standard_normal((n, 2, 3)) for n in (2, 4, 1)]
    ours = [Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    padded = rnn.pad_sequence(ours, batch_first, 0.5, padding_side)
    tpadded = trnn.pad_sequence(theirs, batch_first, 0.5, padding_side)
    np.testing.assert_array_equal(padded.data, tpadded.detach().numpy())
    packed, tpacked = rnn.pack_sequence(ours, False), trnn.pack_sequence(theirs, False)
    np.testing.assert_array_equal(packed.data.data, tpacked.data.detach().numpy())
    assert packed.batch_sizes.tolist() == tpacked.batch_sizes.tolist()
    assert packed.unsorted_indices.tolist() == tpacked.unsorted_indices.tolist()
    weights = rng.standard_normal(padded.shape), rng.standard_normal(packed.data.shape)
    ((padded * weights[0]).sum() + (packed.data * weights[1]).sum()).backward()
    ((tpadded * torch.tensor(weights[0])).sum() + (tpacked.data * torch.tensor(weights[1])).sum()).backward()
    for got, want in zip(ours, theirs):
        np.testing.assert_allclose(got.grad, want.grad.numpy(), rtol=1e-12, atol=1e-12)
