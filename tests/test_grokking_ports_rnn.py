"""Grokking Deep Learning's recurrent nets, ported: chapter 13's ``RNNCell`` (Embedding, three Linears, a
sigmoid, cross-entropy on the last step, as the chapter's bAbI model) re-run with autograd_core and nn from
the same weights, and Trask's blog post "Anyone Can Learn To Code an LSTM-RNN in Python (Part 1: RNNs)":
the binary-addition RNN, whose hand-written backpropagation through time is the gradient the engine gives,
printing the blog's ten errors and adding every pair of 7-bit numbers right, the held-out ones included.
Chapter 14's LSTM is in test_grokking_ports_lstm.py.

The finding (the book's engine against ours, for a tensor used twice): only the book's add, sub and mul
pass a ``grad_origin`` (and so are counted); ``mm``, ``tanh``, ``sigmoid``, ``sum``, ``expand`` and the rest
call backward with none, which makes the receiver pass its gradient on at once, every time. A tensor
feeding two matrix products (an RNN's hidden state: the output layer and the next step, as soon as a loss
reads more than the last step) so passes on its first share, then both shares again: through uncounted ops
the first share is counted twice; at the first add, sub or mul below, chapter 13's code raises "cannot
backprop more than once" and chapter 14's notebook (which replaced the raise by ``return``) silently drops
the second share. The engine here runs each node's vjp once, after all its consumers' (a reverse
topological order), so both shares arrive, once: the closed forms and finite differences agree.

Where the spelling differs here: the chapter's bAbI stories are a download, so a synthetic story stands
in (a name, three filler words, a question mark; the answer is the name's home, carried over four steps);
the book's sigmoid ``RNNCell`` is composed from ``nn.Linear`` and ``.sigmoid()`` (``nn.RNNCell`` is
PyTorch's, tanh or relu, with no output layer); its cross-entropy gradient is the batch SUM's
(``reduction="sum"`` here). What the port needed: the book's ``RNNCell(n_inputs, n_hidden, n_output)``
given to ``nn.RNNCell`` put the output size in torch's ``bias`` and built a biased cell, silently (and
LSTMCell, GRUCell likewise): ``bias`` must now be True or False, and the error names the missing output
layer (``nn.Linear(hidden_size, n_output)``).
"""

import numpy as np
import pytest
from grokking_helpers import (
    SGD,
    CrossEntropyLoss,
    Embedding,
    RNNCell,
    Tanh,
    Tensor,
    blog_binary_addition_updates,
    our_embedding,
    our_linear,
)

import autograd_core as ag
import nn
import nn.functional as F


# ---------------------------------------------------------------- the book's rule for a tensor feeding two mm's
@pytest.fixture
def chapter_14_engine(monkeypatch):
    monkeypatch.setattr(Tensor, "repeat", "return")
    monkeypatch.setattr(Tensor, "id_high", 1000000000)


def two_products(x, w1, w2, shift=None):
    """tanh(x) (or tanh(x + shift)) feeding two matrix products, summed: an RNN hidden state's two uses."""
    h = (x if shift is None else x + shift).tanh()
    return h.mm(w1) + h.mm(w2)


def book_and_ours(shift):
    rng = np.random.default_rng(0)
    x0, w1, w2 = rng.normal(size=(2, 3)), rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    c0 = None if shift is None else rng.normal(size=(2, 3))
    x = Tensor(x0, autograd=True)
    book_shift = None if c0 is None else Tensor(c0, autograd=True)
    book = two_products(x, Tensor(w1, autograd=True), Tensor(w2, autograd=True), book_shift)
    ours = ag.tensor(x0, requires_grad=True)
    two_products(ours, ag.tensor(w1), ag.tensor(w2), c0).sum().backward()
    fresh = ag.tensor(x0, requires_grad=True)
    assert ag.gradcheck(lambda v: two_products(v, ag.tensor(w1), ag.tensor(w2), c0).sum(), (fresh,))
    derivative = 1 - np.tanh(x0 if c0 is None else x0 + c0) ** 2  # closed form: d/dx sum(tanh(.) (w1 + w2))
    np.testing.assert_allclose(ours.grad, derivative * (w1 + w2).sum(1), rtol=1e-13)
    return book, x, derivative * w1.sum(1), derivative * w2.sum(1)


@pytest.mark.parametrize("engine", ["chapter 13", "chapter 14"])
def test_through_uncounted_ops_the_book_passes_the_first_share_on_twice(engine, monkeypatch):
    if engine == "chapter 14":
        monkeypatch.setattr(Tensor, "repeat", "return")
    book, x, share_1, share_2 = book_and_ours(shift=None)
    book.sum(0).sum(0).backward()
    # tanh's backward passes no origin either: the first share goes on, then both again
    np.testing.assert_allclose(x.grad.data, 2 * share_1 + share_2, rtol=1e-13)


def test_through_an_add_chapter_13_refuses_the_second_share():
    book, *_ = book_and_ours(shift=True)
    with pytest.raises(Exception, match="cannot backprop more than once"):
        book.sum(0).sum(0).backward()


def test_through_an_add_chapter_14_drops_the_second_share(chapter_14_engine):
    book, x, share_1, _ = book_and_ours(shift=True)
    book.sum(0).sum(0).backward()
    np.testing.assert_allclose(x.grad.data, share_1, rtol=1e-13)  # the second product's share is lost


# ---------------------------------------------------------------- chapter 13's RNNCell on a synthetic story
def stories(n, seed):
    """Rows of six word ids: a name (0-3), three fillers (8-12), "?" (13), then the name's home (4-7)."""
    rng = np.random.default_rng(seed)
    who = rng.integers(0, 4, n)
    fillers = rng.integers(8, 13, (n, 3))
    return np.column_stack([who, fillers, np.full(n, 13), who + 4])


def test_chapter_13_rnn_cell_trains_to_the_same_losses_and_answers_held_out_stories():
    data, held_out = stories(100, seed=0), stories(200, seed=1)
    np.random.seed(0)
    embed, model = Embedding(14, 16), RNNCell(16, 16, 14)
    book_optim = SGD(model.get_parameters() + embed.get_parameters(), alpha=0.01)
    table = our_embedding(embed)
    w_ih, w_hh, w_ho = (our_linear(layer) for layer in (model.w_ih, model.w_hh, model.w_ho))
    parameters = [*table.parameters(), *w_ih.parameters(), *w_hh.parameters(), *w_ho.parameters()]
    optimizer = nn.optim.SGD(parameters, lr=0.01)

    def ours(rows):
        hidden = ag.zeros(len(rows), 16)
        for t in range(5):
            hidden = (w_ih(table(rows[:, t])) + w_hh(hidden)).sigmoid()
        return w_ho(hidden)

    book_losses, our_losses = [], []
    for _ in range(400):
        hidden = model.init_hidden(batch_size=100)
        for t in range(5):  # the chapter's loop: only the last step's output meets the loss
            output, hidden = model.forward(embed.forward(Tensor(data[:, t], autograd=True)), hidden)
        loss = CrossEntropyLoss().forward(output, Tensor(data[:, 5], autograd=True))
        loss.backward()
        book_optim.step()
        book_losses.append(float(loss.data))
        logits = ours(data)
        our_losses.append(F.cross_entropy(logits, data[:, 5]).item())
        optimizer.zero_grad()
        F.cross_entropy(logits, data[:, 5], reduction="sum").backward()  # the book's gradient: the sum's
        optimizer.step()
    np.testing.assert_allclose(our_losses, book_losses, rtol=1e-9)  # measured: 4e-13 after 400 steps
    assert book_losses[0] == pytest.approx(np.log(14), abs=0.3) and our_losses[-1] < 0.05  # measured 0.016
    with ag.no_grad():
        assert (ours(held_out).data.argmax(1) == held_out[:, 5]).mean() == 1.0


def test_the_book_s_rnn_cell_is_nn_rnn_cell_and_a_linear():
    np.random.seed(0)
    book = RNNCell(5, 7, 3)
    book.activation = Tanh()  # PyTorch's nn.RNNCell is tanh (or relu); the book's default is sigmoid
    with pytest.raises(TypeError, match=r"RNNCell: bias must be True or False, got 3 \(an output size\?"):
        nn.RNNCell(5, 7, 3)  # the book's RNNCell(n_inputs, n_hidden, n_output): the third is torch's bias
    cell, head = nn.RNNCell(5, 7), our_linear(book.w_ho)
    for ours, theirs in ((cell.weight_ih, book.w_ih), (cell.weight_hh, book.w_hh)):
        ours.data[...] = theirs.weight.data.T
    cell.bias_ih.data[...], cell.bias_hh.data[...] = book.w_ih.bias.data, book.w_hh.bias.data
    x0, h0 = np.random.default_rng(0).normal(size=(2, 4, 5)), np.random.default_rng(1).normal(size=(4, 7))
    output, hidden = book.forward(Tensor(x0[0], autograd=True), Tensor(h0, autograd=True))
    output, hidden = book.forward(Tensor(x0[1], autograd=True), hidden)  # (its hidden feeds one product only)
    output.backward(Tensor(np.ones((4, 3))))
    h = cell(x0[1], cell(x0[0], ag.tensor(h0)))
    head(h).sum().backward()
    np.testing.assert_allclose(h.data, hidden.data, rtol=1e-13)
    np.testing.assert_allclose(cell.weight_hh.grad, book.w_hh.weight.grad.data.T, rtol=1e-12)
    np.testing.assert_allclose(cell.bias_ih.grad, book.w_ih.bias.grad.data, rtol=1e-12)


# ---------------------------------------------------------------- the binary-addition RNN
BINARY = np.unpackbits(np.arange(256, dtype=np.uint8)[:, None], axis=1)  # int2binary: most significant first
LOWEST_FIRST = BINARY[:, ::-1].astype(float)


def adder_weights():
    np.random.seed(0)  # the blog's seed and draws: synapse_0 (2, 16), synapse_1 (16, 1), synapse_h (16, 16)
    return [2 * np.random.random(shape) - 1 for shape in ((2, 16), (16, 1), (16, 16))]


def adder(s0, s1, sh, bits_a, bits_b):
    """The blog's RNN over rows of bits (lowest first, Tensors): h_t = sigmoid(x_t s0 + h_{t-1} sh), out_t =
    sigmoid(h_t s1)."""
    hidden, outputs = ag.zeros(len(bits_a), sh.shape[0]), []
    for t in range(8):
        x = ag.stack([bits_a[:, t], bits_b[:, t]], 1)
        hidden = (x @ s0 + hidden @ sh).sigmoid()
        outputs.append((hidden @ s1).sigmoid())
    return ag.cat(outputs, 1)


def test_one_pair_s_hand_written_backprop_through_time_is_minus_the_gradient():
    weights = adder_weights()
    a_int, b_int = 9, 60  # the blog's first pair
    *updates, error = blog_binary_addition_updates(BINARY[a_int], BINARY[b_int], BINARY[a_int + b_int], *weights)
    params = [ag.tensor(w, requires_grad=True) for w in weights]
    out = adder(*params, ag.tensor(LOWEST_FIRST[[a_int]]), ag.tensor(LOWEST_FIRST[[b_int]]))
    (((LOWEST_FIRST[[a_int + b_int]] - out) ** 2).sum() / 2).backward()
    for p, update in zip(params, updates):
        np.testing.assert_allclose(-p.grad, update, rtol=1e-12, atol=1e-15)  # the blog adds alpha * update
    assert error == pytest.approx(3.45638663, abs=5e-9)  # "Error:[ 3.45638663]"


def test_the_adder_prints_the_blog_s_errors_and_adds_held_out_pairs_exactly():
    params = [ag.tensor(w, requires_grad=True) for w in adder_weights()]  # then the pairs, from the same stream

    def half_squared_error(bits_a, bits_b, bits_c):
        out = adder(*params, bits_a, bits_b)
        return ((bits_c - out) ** 2).sum() / 2, out

    step = ag.compile(half_squared_error, has_aux=True)  # 10,000 steps: 2.4 s of CPU replayed
    errors, seen = [], set()
    for j in range(10000):
        a_int, b_int = np.random.randint(128), np.random.randint(128)
        seen.add((a_int, b_int))
        bits_a, bits_b, bits_c = (ag.tensor(LOWEST_FIRST[[n]]) for n in (a_int, b_int, a_int + b_int))
        _, out = step(bits_a, bits_b, bits_c)  # Tensors: a replay reads their values (numpy would be constants)
        if j % 1000 == 0:
            errors.append(np.abs(bits_c.data - out.data).sum())
        with ag.no_grad():
            for p in params:
                p -= -0.1 * -p.grad  # synapse += alpha * update, the update being minus the gradient
                p.grad = None
    printed = [3.45638663, 3.63389116, 3.91366595, 3.72191702, 3.5852713]
    printed += [2.53352328, 0.57691441, 1.42589952, 0.47477457, 0.21595037]
    np.testing.assert_allclose(errors, printed, atol=5e-9)
    a, b = (grid.ravel() for grid in np.meshgrid(np.arange(128), np.arange(128), indexing="ij"))
    held_out = np.array([(i, j) not in seen for i, j in zip(a, b)])
    assert held_out.sum() == 8928  # of the 16,384 pairs, 8,928 were never drawn
    with ag.no_grad():
        bits = (adder(*params, ag.tensor(LOWEST_FIRST[a]), ag.tensor(LOWEST_FIRST[b])).data > 0.5).astype(int)
    sums = bits @ (2 ** np.arange(8))
    assert (sums[held_out] == (a + b)[held_out]).all() and (sums == a + b).all()
