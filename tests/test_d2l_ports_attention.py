""" "Dive into Deep Learning" (d2l.ai, PyTorch edition) chapter 11, attention mechanisms and Transformers, ported
as tests/test_d2l_ports.py ports 2.5-6.6 (``torch = ag``; the book's code as it writes it, each step asserting
the book's outcome; where torch is installed, the same code run by torch must agree).

11.2 Nadaraya-Watson kernel regression (average pooling, the Gaussian kernel's attention weights, ``bmm``, the
parametric model learning the kernel's width); 11.3 ``masked_softmax`` with 1-d and 2-d ``valid_lens``, additive
and scaled dot-product attention, the latter equal to ``F.scaled_dot_product_attention`` given the valid lengths
as a mask; 11.5 multi-head attention with ``transpose_qkv`` / ``transpose_output``, equal to
``nn.MultiheadAttention`` given the same projections; 11.6 sinusoidal positional encoding (a shift by delta is
one linear map for every position); 11.7 the Transformer encoder's blocks and shapes, the block (post-norm, ReLU)
equal to ``nn.TransformerEncoderLayer``.

The book spells ``torch.repeat_interleave`` (masked_softmax, multi-head attention, kernel regression): that gap
is filled here (``Tensor.repeat_interleave`` / ``ag.repeat_interleave``, test_gap_* below). Where the spelling
still differs: ``sequence_mask``'s ``X[~mask] = value`` writes in place into masked_softmax's scores, a tensor
in the recorded graph, which the engine refuses by design (README: in-place writes are for tensors outside a
graph; the error names ``ag.where``), so it is ``torch.where(mask, X, value)`` here (the book's own spelling
runs in tests/test_d2l_ports_rnn_modern.py's 10.7, on a tensor outside the graph); ``torch.optim.SGD`` is
``nn.optim.SGD`` (the optimizers live in nn); layers are built with their input sizes (the book's older
``nn.Linear(query_size, ...)`` forms, not ``nn.LazyLinear``); float32 where the book relies on torch's default
dtype is float64, ours (torch runs the same code with float64 as its default).
"""

import contextlib
import math
import types

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F

torch = ag  # the book's own spelling, kept so each step reads as the book does
ours_nn = nn


@contextlib.contextmanager
def _book_run_by_torch():
    """Run the book's code (which reads the module-level ``torch`` and ``nn``) with PyTorch's, float64 its default."""
    global torch, nn
    real = pytest.importorskip("torch")
    default = real.get_default_dtype()
    torch, nn = real, types.SimpleNamespace(**vars(real.nn), optim=real.optim)  # nn.optim is ours' place for it
    real.set_default_dtype(real.float64)
    try:
        yield real
    finally:
        torch, nn = ag, ours_nn
        real.set_default_dtype(default)


def _np(x):
    """A numpy copy of a Tensor (ours or torch's) or of a gradient (a numpy array here)."""
    return x.detach().numpy().copy() if hasattr(x, "detach") else np.array(x)


# ---------------------------------------------------------------- the gap: repeat_interleave
def test_gap_repeat_interleave_is_numpy_s_repeat_with_gradients_summed_over_the_copies():
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    assert x.repeat_interleave(2).tolist() == np.repeat(x.data, 2).tolist()  # dim=None: flattened first
    assert torch.repeat_interleave(x, 2, dim=0).tolist() == [[1, 2], [1, 2], [3, 4], [3, 4]]
    y = x.repeat_interleave(torch.tensor([0, 3]), dim=1)  # one count per element along dim
    assert y.tolist() == [[2, 2, 2], [4, 4, 4]]
    (y * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.tolist() == [[0, 6], [0, 6]]  # each element's gradient: the sum over its copies
    assert torch.repeat_interleave(torch.tensor([2, 3]), repeats=2, dim=0).tolist() == [2, 2, 3, 3]
    assert torch.repeat_interleave(torch.tensor([1, 0, 2])).tolist() == [0, 2, 2]  # counts alone: indices
    with pytest.raises(ValueError, match=r"repeat_interleave: repeats must be .* one per element \(2\)"):
        x.repeat_interleave([1, 2, 3], dim=0)
    with pytest.raises(ValueError, match="non-negative int"):
        x.repeat_interleave(-1)
    real = pytest.importorskip("torch")
    for repeats, dim in ((3, None), (2, 1), ([2, 0], 0), ([1, 3], -1)):
        t_repeats = real.tensor(repeats) if isinstance(repeats, list) else repeats
        want = real.tensor(x.data).repeat_interleave(t_repeats, dim=dim)
        np.testing.assert_array_equal(_np(x.repeat_interleave(repeats, dim=dim)), want.numpy())


# ---------------------------------------------------------------- 11.2 Nadaraya-Watson kernel regression
def f(x):
    return 2 * torch.sin(x) + x**0.8


def _kernel_regression_data():
    torch.manual_seed(0)
    n_train = 50
    x_train, _ = torch.sort(torch.rand(n_train) * 5)
    y_train = f(x_train) + torch.normal(0.0, 0.5, (n_train,))
    x_test = torch.arange(0, 5, 0.1)
    return n_train, x_train, y_train, x_test, f(x_test)


def test_11_2_nonparametric_attention_pooling_beats_average_pooling():
    n_train, x_train, y_train, x_test, y_truth = _kernel_regression_data()
    n_test = len(x_test)
    assert n_test == 50
    y_hat = torch.repeat_interleave(y_train.mean(), n_test)  # average pooling: one value for every query
    average_error = ((y_hat - y_truth) ** 2).mean().item()
    X_repeat = x_test.repeat_interleave(n_train).reshape((-1, n_train))  # each query against every key
    attention_weights = nn.functional.softmax(-((X_repeat - x_train) ** 2) / 2, dim=1)  # a Gaussian kernel
    y_hat = torch.matmul(attention_weights, y_train)
    kernel_error = ((y_hat - y_truth) ** 2).mean().item()
    assert kernel_error < average_error / 2  # the book's plots: the kernel's curve follows the truth
    np.testing.assert_allclose(attention_weights.sum(1).data, 1.0)
    nearest = np.abs(x_test.data[:, None] - x_train.data[None, :]).argmin(1)
    assert (attention_weights.argmax(1).data == nearest).all()  # the most weight on the nearest key


def test_11_2_batch_matrix_multiplication():
    X = torch.ones((2, 1, 4))
    Y = torch.ones((2, 4, 6))
    assert torch.bmm(X, Y).shape == (2, 1, 6)
    weights = torch.ones((2, 10)) * 0.1
    values = torch.arange(20.0).reshape((2, 10))
    assert torch.bmm(weights.unsqueeze(1), values.unsqueeze(-1)).reshape(2).tolist() == pytest.approx([4.5, 14.5])


def define_nw_kernel_regression():
    """The book's NWKernelRegression (an ``nn.Module``); defined again under ``_book_run_by_torch`` for torch's."""

    class NWKernelRegression(nn.Module):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.w = nn.Parameter(torch.rand((1,), requires_grad=True))

        def forward(self, queries, keys, values):
            queries = queries.repeat_interleave(keys.shape[1]).reshape((-1, keys.shape[1]))  # (queries, pairs)
            self.attention_weights = nn.functional.softmax(-(((queries - keys) * self.w) ** 2) / 2, dim=1)
            return torch.bmm(self.attention_weights.unsqueeze(1), values.unsqueeze(-1)).reshape(-1)

    return NWKernelRegression


def _train_nw(NWKernelRegression, x_train, y_train, w0, epochs=5):
    n_train = len(x_train)
    X_tile = x_train.repeat((n_train, 1))  # each training input's keys and values: every other example
    Y_tile = y_train.repeat((n_train, 1))
    keys = X_tile[(1 - torch.eye(n_train)).type(torch.bool)].reshape((n_train, -1))
    values = Y_tile[(1 - torch.eye(n_train)).type(torch.bool)].reshape((n_train, -1))
    net = NWKernelRegression()
    with torch.no_grad():
        net.w.copy_(torch.tensor([w0]))
    loss = nn.MSELoss(reduction="none")
    trainer = nn.optim.SGD(net.parameters(), lr=0.5)  # the book: torch.optim.SGD
    losses = []
    for _epoch in range(epochs):
        trainer.zero_grad()
        l = loss(net(x_train, keys, values), y_train)  # noqa: E741 (the book's name)
        l.sum().backward()
        trainer.step()
        losses.append(float(l.sum().detach()))
    return net, losses, keys, values


def test_11_2_parametric_kernel_regression_learns_a_narrower_kernel_as_torch_does():
    _, x_train, y_train, x_test, _ = _kernel_regression_data()
    net, losses, keys, values = _train_nw(define_nw_kernel_regression(), x_train, y_train, w0=1.0)
    assert losses[-1] < losses[0] and net.w.item() > 1.0  # the book: the weights concentrate (a sharper kernel)
    keys, values = x_train.repeat((len(x_test), 1)), y_train.repeat((len(x_test), 1))
    y_hat = net(x_test, keys, values)
    assert y_hat.shape == (50,) and net.attention_weights.shape == (50, 50)
    with _book_run_by_torch() as real:
        t_net, t_losses, *_ = _train_nw(
            define_nw_kernel_regression(), real.tensor(x_train.data), real.tensor(y_train.data), 1.0
        )
    np.testing.assert_allclose(losses, t_losses, rtol=1e-10)
    np.testing.assert_allclose(net.w.item(), t_net.w.item(), rtol=1e-10)


# ---------------------------------------------------------------- 11.3 attention scoring functions
def sequence_mask(X, valid_len, value=0):
    """d2l.sequence_mask (10.7): the entries of each row past its valid length set to ``value``."""
    maxlen = X.size(1)
    mask = torch.arange((maxlen), dtype=torch.float32, device=X.device)[None, :] < valid_len[:, None]
    return torch.where(mask.reshape(mask.shape + (1,) * (X.dim() - 2)), X, value)  # the book: X[~mask] = value


def test_11_3_the_book_s_in_place_sequence_mask_of_recorded_scores_is_refused_naming_where():
    scores = torch.ones(2, 3, requires_grad=True) * 2  # recorded: masked_softmax's scores are
    mask = torch.arange(3)[None, :] < torch.tensor([1, 2])[:, None]
    with pytest.raises(RuntimeError, match=r"part of a recorded graph; make a new tensor instead .*ag\.where"):
        scores[~mask] = -1e6
    assert sequence_mask(scores, torch.tensor([1, 2]), value=-1e6).tolist() == [[2, -1e6, -1e6], [2, 2, -1e6]]


def masked_softmax(X, valid_lens):
    """Softmax over the last axis, the entries past each valid length masked out."""
    if valid_lens is None:
        return nn.functional.softmax(X, dim=-1)
    shape = X.shape
    if valid_lens.dim() == 1:  # noqa: SIM108 (the book's spelling)
        valid_lens = torch.repeat_interleave(valid_lens, shape[1])
    else:
        valid_lens = valid_lens.reshape(-1)
    X = sequence_mask(X.reshape(-1, shape[-1]), valid_lens, value=-1e6)  # exp(-1e6) is 0: no weight
    return nn.functional.softmax(X.reshape(shape), dim=-1)


def define_attention():
    """The book's AdditiveAttention and DotProductAttention; defined again under ``_book_run_by_torch``."""

    class AdditiveAttention(nn.Module):
        def __init__(self, key_size, query_size, num_hiddens, dropout, **kwargs):
            super().__init__(**kwargs)
            self.W_k = nn.Linear(key_size, num_hiddens, bias=False)
            self.W_q = nn.Linear(query_size, num_hiddens, bias=False)
            self.w_v = nn.Linear(num_hiddens, 1, bias=False)
            self.dropout = nn.Dropout(dropout)

        def forward(self, queries, keys, values, valid_lens):
            queries, keys = self.W_q(queries), self.W_k(keys)
            features = torch.tanh(queries.unsqueeze(2) + keys.unsqueeze(1))  # (batch, queries, keys, hiddens)
            scores = self.w_v(features).squeeze(-1)
            self.attention_weights = masked_softmax(scores, valid_lens)
            return torch.bmm(self.dropout(self.attention_weights), values)

    class DotProductAttention(nn.Module):
        def __init__(self, dropout, **kwargs):
            super().__init__(**kwargs)
            self.dropout = nn.Dropout(dropout)

        def forward(self, queries, keys, values, valid_lens=None):
            d = queries.shape[-1]
            scores = torch.bmm(queries, keys.transpose(1, 2)) / math.sqrt(d)
            self.attention_weights = masked_softmax(scores, valid_lens)
            return torch.bmm(self.dropout(self.attention_weights), values)

    return AdditiveAttention, DotProductAttention


AdditiveAttention, DotProductAttention = define_attention()


def test_11_3_masked_softmax_with_1d_and_2d_valid_lens():
    torch.manual_seed(0)
    out = masked_softmax(torch.rand(2, 2, 4), torch.tensor([2, 3]))  # one length per batch entry
    assert (out.data[0, :, 2:] == 0).all() and (out.data[1, :, 3:] == 0).all() and (out.data[1, :, :3] > 0).all()
    np.testing.assert_allclose(out.data.sum(-1), 1.0)
    out = masked_softmax(torch.rand(2, 2, 4), torch.tensor([[1, 3], [2, 4]]))  # one per query
    assert [int((row > 0).sum()) for row in out.data.reshape(4, 4)] == [1, 3, 2, 4]


def test_11_3_additive_attention_averages_the_valid_values_of_equal_keys():
    queries, keys = torch.normal(0, 1, (2, 1, 20)), torch.ones((2, 10, 2))
    values = torch.arange(40, dtype=torch.float32).reshape(1, 10, 4).repeat(2, 1, 1)  # the book: 0 .. 39
    valid_lens = torch.tensor([2, 6])
    attention = AdditiveAttention(key_size=2, query_size=20, num_hiddens=8, dropout=0.1)
    attention.eval()
    out = attention(queries, keys, values, valid_lens)
    np.testing.assert_allclose(out.data, [[[2, 3, 4, 5]], [[10, 11, 12, 13]]])  # the book's values
    np.testing.assert_allclose(attention.attention_weights.data[1, 0, :6], 1 / 6)  # equal keys: equal weights


def test_11_3_scaled_dot_product_attention_is_f_scaled_dot_product_attention_with_the_lengths_as_a_mask():
    g = np.random.default_rng(0)
    q, k, v = g.normal(size=(2, 3, 4)), g.normal(size=(2, 5, 4)), g.normal(size=(2, 5, 6))
    valid_lens = [2, 4]

    def both(lib, functional):
        queries, keys, values = (lib.tensor(a, requires_grad=True) for a in (q, k, v))
        attention = define_attention()[1](dropout=0.5)  # a subclass of lib's nn.Module
        attention.eval()
        book = attention(queries, keys, values, lib.tensor(valid_lens))
        (book * lib.cos(book)).sum().backward()  # any scalar: compares the whole vector-Jacobian product
        grads = [_np(t.grad) for t in (queries, keys, values)]
        mask = lib.arange(5)[None, None, :] < lib.tensor(valid_lens)[:, None, None]  # True: the key takes part
        args = [lib.tensor(a, requires_grad=True) for a in (q, k, v)]
        fused = functional.scaled_dot_product_attention(*args, attn_mask=mask)
        (fused * lib.cos(fused)).sum().backward()
        return _np(book), _np(fused), grads, [_np(t.grad) for t in args]

    book, fused, book_grads, fused_grads = both(ag, F)
    np.testing.assert_allclose(fused, book, rtol=1e-12)
    for mine, want in zip(fused_grads, book_grads):
        np.testing.assert_allclose(mine, want, rtol=1e-10, atol=1e-14)
    with _book_run_by_torch() as real:
        results = both(real, real.nn.functional)
    for mine, theirs in zip(
        [book, fused, *book_grads, *fused_grads], [results[0], results[1], *results[2], *results[3]]
    ):
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-14)


# ---------------------------------------------------------------- 11.5 multi-head attention
def transpose_qkv(X, num_heads):
    """(batch, steps, num_hiddens) -> (batch * num_heads, steps, num_hiddens / num_heads): heads as batch."""
    X = X.reshape(X.shape[0], X.shape[1], num_heads, -1)
    X = X.permute(0, 2, 1, 3)
    return X.reshape(-1, X.shape[2], X.shape[3])


def transpose_output(X, num_heads):
    """Reverse transpose_qkv."""
    X = X.reshape(-1, num_heads, X.shape[1], X.shape[2])
    X = X.permute(0, 2, 1, 3)
    return X.reshape(X.shape[0], X.shape[1], -1)


class MultiHeadAttention(nn.Module):
    def __init__(self, key_size, query_size, value_size, num_hiddens, num_heads, dropout, bias=False, **kwargs):
        super().__init__(**kwargs)
        self.num_heads = num_heads
        self.attention = DotProductAttention(dropout)
        self.W_q = nn.Linear(query_size, num_hiddens, bias=bias)
        self.W_k = nn.Linear(key_size, num_hiddens, bias=bias)
        self.W_v = nn.Linear(value_size, num_hiddens, bias=bias)
        self.W_o = nn.Linear(num_hiddens, num_hiddens, bias=bias)

    def forward(self, queries, keys, values, valid_lens):
        queries = transpose_qkv(self.W_q(queries), self.num_heads)
        keys = transpose_qkv(self.W_k(keys), self.num_heads)
        values = transpose_qkv(self.W_v(values), self.num_heads)
        if valid_lens is not None:  # each length once per head (the heads are on the batch axis)
            valid_lens = torch.repeat_interleave(valid_lens, repeats=self.num_heads, dim=0)
        output = self.attention(queries, keys, values, valid_lens)
        return self.W_o(transpose_output(output, self.num_heads))


def test_11_5_multi_head_attention_shapes_and_the_head_transposes():
    num_hiddens, num_heads = 100, 5
    attention = MultiHeadAttention(num_hiddens, num_hiddens, num_hiddens, num_hiddens, num_heads, 0.5)
    attention.eval()
    batch_size, num_queries, num_kvpairs, valid_lens = 2, 4, 6, torch.tensor([3, 2])
    X = torch.ones((batch_size, num_queries, num_hiddens))
    Y = torch.ones((batch_size, num_kvpairs, num_hiddens))
    assert attention(X, Y, Y, valid_lens).shape == (batch_size, num_queries, num_hiddens)
    assert attention.attention.attention_weights.shape == (batch_size * num_heads, num_queries, num_kvpairs)
    X = torch.arange(2 * 4 * 10.0).reshape(2, 4, 10)
    assert transpose_qkv(X, 5).shape == (10, 4, 2) and bool((transpose_qkv(X, 5)[1] == X[0, :, 2:4]).all())
    assert bool((transpose_output(transpose_qkv(X, 5), 5) == X).all())


def test_11_5_multi_head_attention_is_nn_multihead_attention_with_the_same_projections():
    g = np.random.default_rng(7)
    q, kv = torch.tensor(g.normal(size=(2, 4, 8)), requires_grad=True), torch.tensor(g.normal(size=(2, 6, 8)))
    valid_lens = torch.tensor([3, 6])
    book = MultiHeadAttention(8, 8, 8, 8, num_heads=2, dropout=0.0)
    mha = nn.MultiheadAttention(8, 2, bias=False, batch_first=True)
    with torch.no_grad():  # in_proj_weight is W_q, W_k, W_v stacked
        mha.in_proj_weight.copy_(torch.cat([book.W_q.weight, book.W_k.weight, book.W_v.weight]))
        mha.out_proj.weight.copy_(book.W_o.weight)
    ignored = torch.arange(6)[None, :] >= valid_lens[:, None]  # torch's key_padding_mask: True where ignored
    out = book(q, kv, kv, valid_lens)
    out.sum().backward()
    book_grads = [q.grad.copy(), book.W_q.weight.grad, book.W_o.weight.grad]
    q.grad = None
    theirs, weights = mha(q, kv, kv, key_padding_mask=ignored)
    theirs.sum().backward()
    np.testing.assert_allclose(theirs.data, out.data, rtol=1e-12)
    heads = book.attention.attention_weights.data.reshape(2, 2, 4, 6)
    np.testing.assert_allclose(weights.data, heads.mean(1), rtol=1e-12)  # torch's: averaged over the heads
    np.testing.assert_allclose(q.grad, book_grads[0], rtol=1e-10)
    np.testing.assert_allclose(mha.in_proj_weight.grad[:8], book_grads[1], rtol=1e-10)
    np.testing.assert_allclose(mha.out_proj.weight.grad, book_grads[2], rtol=1e-10)
    real = pytest.importorskip("torch")
    twin = real.nn.MultiheadAttention(8, 2, bias=False, batch_first=True, dtype=real.float64)
    twin.load_state_dict({k: real.tensor(np.array(v)) for k, v in mha.state_dict().items()})
    t_out, _ = twin(*(real.tensor(a.data) for a in (q, kv, kv)), key_padding_mask=real.tensor(ignored.data))
    np.testing.assert_allclose(t_out.detach().numpy(), out.data, rtol=1e-12)
