"""Grokking Deep Learning, chapter 14, "Learning to write like Shakespeare": the book's ``LSTMCell`` (eight
Linears, gates f i o sigmoid and g tanh, the output Linear zeroed at the start) ported onto ``nn.LSTMCell``
(PyTorch's packed gates i f g o; tests/grokking_helpers.py packs the book's weights into it), its
truncated-BPTT loop (the per-step cross-entropies added up over ``bptt`` steps, the hidden state carried
across batches as fresh leaves) and its perplexity ``exp(loss / bptt)``, on a synthetic text (Shakespeare is
a download).

Ported: one step's gradients equal the book's to 1e-12; the first perplexity is the vocabulary's size,
as the notebook prints (62.000000000000064 for its 62 characters), because the zeroed output layer
predicts uniformly; our LSTM learns the text (perplexity 1.0x, greedy generation reproducing it).

The finding: over several steps the book's gradients are not the loss's. Its backward passes a
``grad_origin`` only from add, sub and mul, so the hidden and cell states, each read by several ops,
propagate partial gradients early, and chapter 14's notebook ``return``s (where chapter 13 raised) when a
later share arrives through a counted op: shares are dropped or counted twice (test_grokking_ports_rnn.py
isolates both). Measured here over 3 steps: the recurrent weights' gradient is off by 99% of its norm; the
output layer's, read once per step, is exact. Ours equals central differences and, where installed,
torch's ``nn.LSTMCell``. What the port needed: nothing beyond test_grokking_ports_framework.py's fix.
"""

import string

import numpy as np
import pytest
from grokking_helpers import (
    CrossEntropyLoss,
    Embedding,
    LSTMCell,
    Tensor,
    book_lstm_grads,
    our_embedding,
    our_lstm_cell,
)

import autograd_core as ag
import nn
import nn.functional as F

VOCAB = string.ascii_letters + string.digits  # 62 characters, as the notebook's Shakespeare


@pytest.fixture(autouse=True)
def chapter_14_engine(monkeypatch):
    monkeypatch.setattr(Tensor, "repeat", "return")  # the notebook's backward
    monkeypatch.setattr(Tensor, "id_high", 1000000000)


def book_model(vocab_size, dim, zero_output=False):
    np.random.seed(0)
    embed = Embedding(vocab_size, dim)
    model = LSTMCell(dim, dim, vocab_size)
    if zero_output:
        model.w_ho.weight.data *= 0  # the notebook's "model.w_ho.weight.data *= 0"
    return embed, model


def book_losses(embed, model, inputs, targets):
    """The notebook's inner loop for one batch: cumulative loss over the steps; backward; per-step losses."""
    hidden = model.init_hidden(batch_size=inputs.shape[1])
    losses = []
    for t in range(len(inputs)):
        output, hidden = model.forward(embed.forward(Tensor(inputs[t], autograd=True)), hidden)
        batch_loss = CrossEntropyLoss().forward(output, Tensor(targets[t], autograd=True))
        losses.append(batch_loss if t == 0 else batch_loss + losses[-1])
    losses[-1].backward()
    return float(losses[-1].data)


def init_hidden(cell, batch_size):
    """The book's starting state: h and c zeros but column 0, set to 1."""
    state = np.zeros((batch_size, cell.hidden_size))
    state[:, 0] = 1.0
    return ag.tensor(state), ag.tensor(state.copy())


def our_losses(table, cell, head, inputs, targets, reduction="sum", state=None, final=None):
    """The same steps with ours, the per-step losses added up; ``final`` (a list) receives the last (h, c)."""
    h, c = init_hidden(cell, inputs.shape[1]) if state is None else state
    total = 0.0
    for t in range(len(inputs)):
        h, c = cell(table(inputs[t]), (h, c))
        total = total + F.cross_entropy(head(h), targets[t], reduction=reduction)
    if final is not None:
        final[:] = [h, c]
    return total


def data(steps, batch=4, seed=0):
    ids = np.random.default_rng(seed).integers(0, 12, (steps + 1, batch))
    return ids[:-1], ids[1:]


def ours_from_book(embed, model):
    cell, head = our_lstm_cell(model)
    return our_embedding(embed), cell, head


def test_one_step_gives_the_book_s_gradients():
    embed, model = book_model(12, 8)
    inputs, targets = data(steps=1)
    book_losses(embed, model, inputs, targets)
    table, cell, head = ours_from_book(embed, model)
    our_losses(table, cell, head, inputs, targets).backward()  # the book's cross-entropy gradient: the sum's
    book = book_lstm_grads(model)
    for name in ("weight_ih", "bias_ih", "weight_hh"):
        np.testing.assert_allclose(getattr(cell, name).grad, book[name], rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(head.weight.grad, book["w_ho"], rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(table.weight.grad, embed.weight.grad.data, rtol=1e-10, atol=1e-14)


def central_difference(loss_of, weight, index, eps=1e-6):
    saved = weight.data[index]
    weight.data[index] = saved + eps
    up = loss_of().item()
    weight.data[index] = saved - eps
    down = loss_of().item()
    weight.data[index] = saved
    return (up - down) / (2 * eps)


def test_over_three_steps_ours_is_the_loss_s_gradient_and_the_book_s_recurrent_one_is_not():
    embed, model = book_model(12, 8)
    inputs, targets = data(steps=3)
    book_losses(embed, model, inputs, targets)
    table, cell, head = ours_from_book(embed, model)
    our_losses(table, cell, head, inputs, targets).backward()
    with ag.no_grad():
        for index in [(0, 0), (5, 3), (17, 7), (30, 1)]:  # one entry in each gate block (i, f, g, o)
            numeric = central_difference(lambda: our_losses(table, cell, head, inputs, targets), cell.weight_hh, index)
            assert cell.weight_hh.grad[index] == pytest.approx(numeric, rel=1e-5, abs=1e-8)
    book = book_lstm_grads(model)
    np.testing.assert_allclose(head.weight.grad, book["w_ho"], rtol=1e-10, atol=1e-14)  # read once a step: exact
    off = np.linalg.norm(book["weight_hh"] - cell.weight_hh.grad) / np.linalg.norm(cell.weight_hh.grad)
    assert off > 0.5  # measured: 0.99 of the gradient's norm


def test_the_true_gradient_is_torch_s():
    torch = pytest.importorskip("torch")
    embed, model = book_model(12, 8)
    inputs, targets = data(steps=3)
    table, cell, head = ours_from_book(embed, model)
    our_losses(table, cell, head, inputs, targets).backward()
    theirs = torch.nn.LSTMCell(8, 8, dtype=torch.float64)
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(theirs, name).copy_(torch.from_numpy(getattr(cell, name).data))
    table_t = torch.tensor(table.weight.data, requires_grad=True)
    head_t = torch.tensor(head.weight.data, requires_grad=True)
    state = torch.zeros(4, 8, dtype=torch.float64)
    state[:, 0] = 1.0
    h, c, total = state, state.clone(), 0.0
    for t in range(3):
        h, c = theirs(table_t[torch.from_numpy(inputs[t])], (h, c))
        total = total + torch.nn.functional.cross_entropy(h @ head_t.T, torch.from_numpy(targets[t]), reduction="sum")
    total.backward()
    np.testing.assert_allclose(cell.weight_hh.grad, theirs.weight_hh.grad.numpy(), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(table.weight.grad, table_t.grad.numpy(), rtol=1e-10, atol=1e-13)


def test_the_first_perplexity_is_the_vocabulary_size():
    bptt = 5
    embed, model = book_model(len(VOCAB), 16, zero_output=True)
    inputs, targets = (ids % len(VOCAB) for ids in data(steps=bptt, batch=16))
    book = np.exp(book_losses(embed, model, inputs, targets) / bptt)  # "Loss:62.000000000000064"
    table, cell, head = ours_from_book(embed, model)
    ours = np.exp(our_losses(table, cell, head, inputs, targets, reduction="mean").item() / bptt)
    assert book == pytest.approx(62, rel=1e-13) and ours == pytest.approx(62, rel=1e-13)


EPOCHS = 30


def test_our_lstm_learns_a_text_and_writes_it_back():
    text = "the quick brown fox jumps over the lazy dog. " * 24
    chars = sorted(set(text))
    ids = np.array([chars.index(ch) for ch in text])
    batch_size, bptt = 8, 15
    n = len(ids) // batch_size
    batched = ids[: n * batch_size].reshape(batch_size, n).T  # the notebook's batching: a column per stream
    embed, model = book_model(len(chars), 32, zero_output=True)
    table, cell, head = ours_from_book(embed, model)
    parameters = [*table.parameters(), *cell.parameters(), *head.parameters()]
    optimizer = nn.optim.Adam(parameters, lr=0.03)  # the notebook: SGD, alpha 0.05, decayed, for hours
    perplexities = []
    for _ in range(EPOCHS):
        state = init_hidden(cell, batch_size)
        for start in range(0, n - bptt - 1, bptt):
            optimizer.zero_grad()
            inputs, targets, final = batched[start : start + bptt], batched[start + 1 : start + bptt + 1], []
            loss = our_losses(table, cell, head, inputs, targets, "mean", state, final)
            state = tuple(t.detach() for t in final)  # carried to the next batch as fresh leaves, as the notebook
            (loss / bptt).backward()
            optimizer.step()
            perplexities.append(np.exp(loss.item() / bptt))
    assert perplexities[0] == pytest.approx(len(chars), rel=1e-12)  # the zeroed output layer: uniform
    assert perplexities[-1] < 1.02  # measured: 1.003
    with ag.no_grad():  # the notebook's generate_sample: greedy, from one character
        (h, c), current, written = init_hidden(cell, 1), chars.index("t"), "t"
        for _ in range(44):
            h, c = cell(table(np.array([current])), (h, c))
            current = int(head(h).data.argmax())
            written += chars[current]
    assert written == text[:45]
