""" "Dive into Deep Learning" (d2l.ai, PyTorch edition) chapter 10, modern recurrent networks, ported as
tests/test_d2l_ports_rnn.py ports chapter 9 (``torch = ag``; the book's code as it writes it; where torch is
installed, the same code run by torch must agree).

10.1 LSTM and 10.2 GRU from scratch: the book's gate equations are the oracles for ``nn.LSTM`` / ``nn.GRU``
given the same weights, values and gradients (of the parameters and the input); 10.3 deep RNNs (stacked
layers are layers fed one another's outputs); 10.4 bidirectional RNNs (the backward direction is the layer run
on the reversed sequence); 10.7 sequence to sequence: the encoder/decoder shapes, ``sequence_mask`` and the
masked softmax cross-entropy loss, with the book's values.

Where the book's spelling differs here: the book's GRU candidate state is tanh(X W_xh + (R * H) W_hh + b_h)
(Cho et al.); PyTorch's ``nn.GRU``, and so ours, takes tanh(X W_xh + b_h + R * (H W_hh + b_hh)) (cuDNN's): the
two agree where W_hh is diagonal, which is the oracle below (the general case is asserted to differ, as it
does in torch). The book's cells return the output layer's Y; here they return H, which the layers return.
"""

import contextlib
import math

import numpy as np
import pytest

import autograd_core as ag
import nn

torch = ag  # the book's own spelling, kept so each step reads as the book does


@contextlib.contextmanager
def _book_run_by_torch():
    """Run the book's cells (which read the module-level ``torch``) with PyTorch's, float64 its default."""
    global torch
    real = pytest.importorskip("torch")
    default = real.get_default_dtype()
    torch = real
    real.set_default_dtype(real.float64)
    try:
        yield real
    finally:
        torch = ag
        real.set_default_dtype(default)


def init_rnn_state(batch_size, num_hiddens, device=None):
    return (torch.zeros((batch_size, num_hiddens), device=device),)


# ---------------------------------------------------------------- 10.1 LSTM and 10.2 GRU from scratch
def init_lstm_state(batch_size, num_hiddens, device=None):
    return (torch.zeros((batch_size, num_hiddens)), torch.zeros((batch_size, num_hiddens)))


def lstm(inputs, state, params):
    [W_xi, W_hi, b_i, W_xf, W_hf, b_f, W_xo, W_ho, b_o, W_xc, W_hc, b_c] = params
    (H, C) = state
    outputs = []
    for X in inputs:
        I = torch.sigmoid((X @ W_xi) + (H @ W_hi) + b_i)  # noqa: E741 (the book's names)
        F = torch.sigmoid((X @ W_xf) + (H @ W_hf) + b_f)
        O = torch.sigmoid((X @ W_xo) + (H @ W_ho) + b_o)  # noqa: E741
        C_tilda = torch.tanh((X @ W_xc) + (H @ W_hc) + b_c)
        C = F * C + I * C_tilda
        H = O * torch.tanh(C)
        outputs.append(H)
    return torch.stack(outputs), (H, C)  # the book adds the output layer H @ W_hq + b_q here


def gru(inputs, state, params):
    W_xz, W_hz, b_z, W_xr, W_hr, b_r, W_xh, W_hh, b_h = params
    (H,) = state
    outputs = []
    for X in inputs:
        Z = torch.sigmoid((X @ W_xz) + (H @ W_hz) + b_z)
        R = torch.sigmoid((X @ W_xr) + (H @ W_hr) + b_r)
        H_tilda = torch.tanh((X @ W_xh) + ((R * H) @ W_hh) + b_h)
        H = Z * H + (1 - Z) * H_tilda
        outputs.append(H)
    return torch.stack(outputs), (H,)


def _np(x):
    """A numpy copy of a Tensor (ours or torch's) or of a gradient (a numpy array here)."""
    return x.detach().numpy().copy() if hasattr(x, "detach") else np.array(x)


def _as_torch_layer(layer, params, order):
    """Load the book's W_x*, W_h*, b_* into an nn.LSTM / nn.GRU (torch's gate order; b_hh = 0)."""
    W_x, W_h, b = ([params[3 * g + k] for g in order] for k in range(3))
    with torch.no_grad():
        layer.weight_ih_l0.copy_(torch.cat([w.T for w in W_x]))
        layer.weight_hh_l0.copy_(torch.cat([w.T for w in W_h]))
        layer.bias_ih_l0.copy_(torch.cat(b))
        layer.bias_hh_l0.zero_()


def _oracle(cell, layer_class, order, num_inputs=5, num_hiddens=4, diagonal=None):
    """The book's cell and the layer given its weights, on one input: (book's H, layer's H, book's gradients
    of a weighted sum of H for the params and input, the layer, the layer's input gradient)."""
    g = np.random.default_rng(3)
    shapes = [(num_inputs, num_hiddens), (num_hiddens, num_hiddens), (num_hiddens,)] * len(order)
    arrays = [g.normal(0, 0.3, shape) for shape in shapes]  # the book: normal(shape) * 0.01 and zero biases
    if diagonal is not None:
        arrays[diagonal] *= np.eye(num_hiddens)
    params = [torch.tensor(a, requires_grad=True) for a in arrays]
    inputs = torch.tensor(g.normal(size=(6, 3, num_inputs)), requires_grad=True)
    state = init_lstm_state(3, num_hiddens) if cell is lstm else init_rnn_state(3, num_hiddens)
    layer = layer_class(num_inputs, num_hiddens)
    _as_torch_layer(layer, params, order)
    weights = torch.tensor(g.normal(size=(6, 3, num_hiddens)))
    book, _ = cell(inputs, state, params)
    (book * weights).sum().backward()
    book_grads = [_np(p.grad) for p in params] + [_np(inputs.grad)]
    inputs.grad = None
    out, _ = layer(inputs, tuple(s[None] for s in state) if cell is lstm else state[0][None])
    (out * weights).sum().backward()
    return _np(book), _np(out), book_grads, layer, _np(inputs.grad)


def _stacked_grads(layer, order, num_hiddens):
    """The layer's gradients cut back into the book's per-gate W_x, W_h, b (each in the book's orientation)."""
    w_ih, w_hh, b_ih = (_np(p.grad) for p in (layer.weight_ih_l0, layer.weight_hh_l0, layer.bias_ih_l0))
    rows = {g: slice(num_hiddens * i, num_hiddens * (i + 1)) for i, g in enumerate(order)}
    return [m for g in range(len(order)) for m in (w_ih[rows[g]].T, w_hh[rows[g]].T, b_ih[rows[g]])]


def _check_oracle(cell, layer_class, order, diagonal=None):
    book, ours, book_grads, layer, x_grad = _oracle(cell, layer_class, order, diagonal=diagonal)
    np.testing.assert_allclose(ours, book, rtol=1e-12)
    got = _stacked_grads(layer, order, 4)
    if diagonal is not None:  # the layer's W_hh has off-diagonal entries of its own: their gradients differ
        got[diagonal], book_grads[diagonal] = np.diag(got[diagonal]), np.diag(book_grads[diagonal])
    for mine, want in zip(got + [x_grad], book_grads):
        np.testing.assert_allclose(mine, want, rtol=1e-10, atol=1e-14)
    if cell is lstm:  # two biases, one sum (a GRU's b_hn is inside R * (...))
        np.testing.assert_allclose(_np(layer.bias_hh_l0.grad), _np(layer.bias_ih_l0.grad))
    return book, book_grads


def test_10_1_lstm_from_scratch_is_nn_lstm_values_and_gradients():
    order = [0, 1, 3, 2]  # torch's gates i, f, g, o are the book's I, F, C_tilda, O (its params: I, F, O, C)
    book, grads = _check_oracle(lstm, nn.LSTM, order)
    with _book_run_by_torch() as real:
        torch_book, torch_grads = _check_oracle(lstm, real.nn.LSTM, order)
    np.testing.assert_allclose(book, torch_book, rtol=1e-12)
    for mine, theirs in zip(grads, torch_grads):
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-14)


def test_10_2_gru_from_scratch_is_nn_gru_where_the_reset_gate_commutes():
    order = [1, 0, 2]  # torch's gates r, z, n are the book's R, Z, H_tilda (its params: Z, R, H)
    book, ours, *_ = _oracle(gru, nn.GRU, order)
    assert np.abs(ours - book).max() > 1e-3  # torch's R * (H W_hh), not the book's (R * H) W_hh (docstring)
    book, grads = _check_oracle(gru, nn.GRU, order, diagonal=7)  # a diagonal W_hh: the two are one
    with _book_run_by_torch() as real:
        torch_book, torch_grads = _check_oracle(gru, real.nn.GRU, order, diagonal=7)
    np.testing.assert_allclose(book, torch_book, rtol=1e-12)
    for mine, theirs in zip(grads, torch_grads):
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-14)


# ---------------------------------------------------------------- 10.3 deep and 10.4 bidirectional RNNs
LSTM_ORDER = [0, 1, 3, 2]


def _book_params_of(layer, suffix, order=LSTM_ORDER):
    """The layer's weights for one layer and direction (``suffix``: 'l0', 'l1_reverse' ...) as the book's W_x*,
    W_h*, b_* (its orientation and gate order), sliced from the parameters so gradients flow back into them."""
    w_ih, w_hh = getattr(layer, f"weight_ih_{suffix}"), getattr(layer, f"weight_hh_{suffix}")
    b = getattr(layer, f"bias_ih_{suffix}") + getattr(layer, f"bias_hh_{suffix}")
    rows = {g: slice(layer.hidden_size * i, layer.hidden_size * (i + 1)) for i, g in enumerate(order)}
    return [m for g in range(len(order)) for m in (w_ih[rows[g]].T, w_hh[rows[g]].T, b[rows[g]])]


def _layer_vs_book(layer, X, book_run):
    """(layer's output, book's output, the parameter gradients of each, of one weighted sum of the output)."""
    results = []
    for run in (lambda: layer(X)[0], book_run):
        out = run()
        (out * torch.cos(torch.arange(out.numel() * 1.0).reshape(out.shape))).sum().backward()
        results.append((_np(out), [_np(p.grad) for p in layer.parameters()]))
        for p in layer.parameters():
            p.grad = None
    return results


def _deep_and_bidirectional(lib_nn, X):
    """nn.LSTM with two layers, and bidirectional, against the book's cell stacked / run on the reversed input."""
    torch.manual_seed(0)
    deep = lib_nn.LSTM(5, 4, num_layers=2)
    bi = lib_nn.LSTM(5, 4, bidirectional=True)
    state = init_lstm_state(3, 4)

    def stacked():  # 10.3: each layer's outputs are the next one's inputs
        H0, _ = lstm(X, state, _book_params_of(deep, "l0"))
        return lstm(H0, state, _book_params_of(deep, "l1"))[0]

    def both_ways():  # 10.4: a forward pass, and one over the reversed time steps, concatenated per step
        forward, _ = lstm(X, state, _book_params_of(bi, "l0"))
        backward, _ = lstm(X.flip(0), state, _book_params_of(bi, "l0_reverse"))
        return torch.cat((forward, backward.flip(0)), -1)

    return deep, bi, _layer_vs_book(deep, X, stacked), _layer_vs_book(bi, X, both_ways)


def test_10_3_deep_and_10_4_bidirectional_lstm_are_the_book_s_cells_stacked_and_reversed():
    X = torch.tensor(np.random.default_rng(4).normal(size=(6, 3, 5)))
    deep, bi, *results = _deep_and_bidirectional(nn, X)
    out, (H, C) = deep(X)
    assert out.shape == (6, 3, 4) and H.shape == C.shape == (2, 3, 4)  # (num_layers, batch, hiddens)
    out, (H, C) = bi(X)
    assert out.shape == (6, 3, 8) and H.shape == (2, 3, 4)  # both directions' outputs, side by side
    np.testing.assert_allclose(_np(out[0, :, 4:]), _np(H[1]), rtol=1e-12)  # backward's last step is t = 0
    for (layer_out, layer_grads), (book_out, book_grads) in results:
        np.testing.assert_allclose(layer_out, book_out, rtol=1e-12)
        for mine, want in zip(layer_grads, book_grads):
            np.testing.assert_allclose(mine, want, rtol=1e-10, atol=1e-14)
    with _book_run_by_torch() as real:
        *_, t_deep, t_bi = _deep_and_bidirectional(real.nn, real.tensor(_np(X)))  # the same checks, torch's
        for ours, layer in ((deep, real.nn.LSTM(5, 4, num_layers=2)), (bi, real.nn.LSTM(5, 4, bidirectional=True))):
            layer.load_state_dict({k: real.tensor(np.array(v)) for k, v in ours.state_dict().items()})
            np.testing.assert_allclose(_np(ours(X)[0]), _np(layer(real.tensor(_np(X)))[0]), rtol=1e-12)
    for (t_out, _), (t_book, _) in (t_deep, t_bi):
        np.testing.assert_allclose(t_out, t_book, rtol=1e-12)


# ---------------------------------------------------------------- 10.7 sequence to sequence
class Seq2SeqEncoder(nn.Module):
    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers, dropout=0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = nn.GRU(embed_size, num_hiddens, num_layers, dropout=dropout)

    def forward(self, X, *args):
        X = self.embedding(X).permute(1, 0, 2)  # (num_steps, batch_size, embed_size): time first
        return self.rnn(X)  # output (num_steps, batch, hiddens), state (num_layers, batch, hiddens)


class Seq2SeqDecoder(nn.Module):
    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers, dropout=0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = nn.GRU(embed_size + num_hiddens, num_hiddens, num_layers, dropout=dropout)
        self.dense = nn.Linear(num_hiddens, vocab_size)

    def init_state(self, enc_outputs, *args):
        return enc_outputs[1]

    def forward(self, X, state):
        X = self.embedding(X).permute(1, 0, 2)
        context = state[-1].repeat(X.shape[0], 1, 1)  # the encoder's last layer's final state, every step
        output, state = self.rnn(torch.cat((X, context), 2), state)
        return self.dense(output).permute(1, 0, 2), state


def sequence_mask(X, valid_len, value=0):
    """Set the entries of each row past its valid length to ``value``."""
    maxlen = X.size(1)
    mask = torch.arange((maxlen), dtype=torch.float32, device=X.device)[None, :] < valid_len[:, None]
    X[~mask] = value
    return X


class MaskedSoftmaxCELoss(nn.CrossEntropyLoss):
    """The softmax cross-entropy loss with the padding (past valid_len) masked out."""

    def forward(self, pred, label, valid_len):
        weights = torch.ones_like(label)
        weights = sequence_mask(weights, valid_len)
        self.reduction = "none"
        unweighted_loss = super().forward(pred.permute(0, 2, 1), label)
        return (unweighted_loss * weights).mean(dim=1)


def test_10_7_seq2seq_encoder_decoder_shapes():
    encoder = Seq2SeqEncoder(vocab_size=10, embed_size=8, num_hiddens=16, num_layers=2)
    encoder.eval()
    X = torch.zeros((4, 7), dtype=torch.long)
    output, state = encoder(X)
    assert output.shape == (7, 4, 16) and state.shape == (2, 4, 16)
    decoder = Seq2SeqDecoder(vocab_size=10, embed_size=8, num_hiddens=16, num_layers=2)
    decoder.eval()
    state = decoder.init_state(encoder(X))
    output, state = decoder(X, state)
    assert output.shape == (4, 7, 10) and state.shape == (2, 4, 16)


def test_10_7_sequence_mask_and_masked_softmax_cross_entropy_are_the_book_s_values():
    X = torch.tensor([[1, 2, 3], [4, 5, 6]])
    assert sequence_mask(X, torch.tensor([1, 2])).tolist() == [[1, 0, 0], [4, 5, 0]]
    assert sequence_mask(torch.ones(2, 3, 4), torch.tensor([1, 2]), value=-1)[0, 1:].tolist() == [[-1] * 4] * 2
    loss = MaskedSoftmaxCELoss()
    got = loss(torch.ones(3, 4, 10), torch.ones((3, 4), dtype=torch.long), torch.tensor([4, 2, 0]))
    np.testing.assert_allclose(got.tolist(), [math.log(10), math.log(10) / 2, 0.0])  # the book: 2.3026, 1.1513, 0
    pred = torch.tensor(np.random.default_rng(5).normal(size=(3, 4, 10)), requires_grad=True)
    label = torch.tensor(np.random.default_rng(6).integers(0, 10, (3, 4)))
    loss(pred, label, torch.tensor([4, 2, 0])).sum().backward()
    assert not pred.grad[1, 2:].any() and not pred.grad[2].any() and pred.grad[1, :2].all()  # padding: no gradient
    real = pytest.importorskip("torch")  # torch's per-token losses, the padding's zeroed by hand
    want = real.nn.functional.cross_entropy(
        real.tensor(_np(pred)).permute(0, 2, 1), real.tensor(_np(label)), reduction="none"
    )
    want = (want * real.tensor([[1.0] * 4, [1, 1, 0, 0], [0] * 4])).mean(1)
    np.testing.assert_allclose(_np(loss(pred, label, torch.tensor([4, 2, 0]))), want.numpy(), rtol=1e-12)
