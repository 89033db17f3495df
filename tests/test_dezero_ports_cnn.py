"""DeZero ("Deep Learning from Scratch 3"), steps 55-60 ported: the conv output size (55), im2col and the
convolution and pooling built on it (56-57), a small CNN trained on the bundled digits (58's idea, without
VGG16's downloaded weights), and the RNN on the noisy sin wave with truncated backprop (59) and the LSTM with
a batched time-series loader (60). Steps 1-54: test_dezero_ports.py and its _higher, _nn and _data siblings.

The book's numbers, asserted: get_conv_outsize(4, 3, 1, 1) = 4; im2col of a (1, 3, 7, 7) input with a 5x5
kernel is (9, 75), of (10, 3, 7, 7) is (90, 75); conv2d_simple on (1, 5, 15, 15) with 8 3x3 filters and pad 1
gives (1, 8, 15, 15). The book's im2col (written here in numpy with loops) is the oracle for ``F.unfold``,
its conv2d_simple and pooling_simple for ``F.conv2d`` and ``F.max_pool2d``; gradients by ``ag.gradcheck``.

Where the book's spelling differs here: ``im2col(x, kernel_size, to_matrix=True)`` is ``F.unfold`` (PyTorch's
(N, C*KH*KW, OH*OW) layout: the book's matrix is its transpose, rows stacked over the batch, columns in the same
C, KH, KW order); ``F.conv2d(x, W, b, stride, pad)`` is ``F.conv2d(x, W, b, stride=, padding=)``; the book's
stateful ``L.RNN(hidden)`` (it keeps h between calls, ``reset_state()`` clears it) is ``nn.RNNCell`` with h
passed by hand; ``loss.unchain_backward()`` is ``h = h.detach()``.

What the port needed: nothing in steps 55-60.
"""

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F


def get_conv_outsize(input_size, kernel_size, stride, pad):
    return (input_size + pad * 2 - kernel_size) // stride + 1


def im2col_by_hand(x, kernel, stride=1, pad=0):
    """The book's im2col with to_matrix=True: one row per output position, C * KH * KW columns."""
    N, _, H, W = x.shape
    OH, OW = get_conv_outsize(H, kernel, stride, pad), get_conv_outsize(W, kernel, stride, pad)
    padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    rows = [
        padded[n, :, i * stride : i * stride + kernel, j * stride : j * stride + kernel].ravel()
        for n in range(N)
        for i in range(OH)
        for j in range(OW)
    ]
    return np.array(rows)


def test_step_55_conv_output_size():
    assert get_conv_outsize(4, 3, 1, 1) == 4
    x = ag.Tensor(np.zeros((1, 1, 4, 4)))
    assert F.conv2d(x, np.zeros((1, 1, 3, 3)), stride=1, padding=1).shape == (1, 1, 4, 4)
    assert F.conv2d(ag.Tensor(np.zeros((1, 1, 7, 7))), np.zeros((1, 1, 3, 3)), stride=2, padding=1).shape[-1] == 4


def test_step_57_im2col_shapes_and_values_are_the_book_s():
    rng = np.random.default_rng(57)
    for n, rows in [(1, 9), (10, 90)]:
        x = rng.random((n, 3, 7, 7))
        col = F.unfold(x, kernel_size=5)  # (N, 75, 9)
        matrix = col.data.transpose(0, 2, 1).reshape(-1, 75)
        assert matrix.shape == (rows, 75)
        np.testing.assert_array_equal(matrix, im2col_by_hand(x, 5))
    x = ag.Tensor(rng.random((2, 2, 5, 5)), requires_grad=True)
    assert ag.gradcheck(lambda t: F.unfold(t, 3, padding=1, stride=2) ** 2, x)


def test_step_57_conv2d_equals_the_book_s_conv2d_simple_with_its_gradients():
    rng = np.random.default_rng(5)
    N, C, H, W, OC, K = 1, 5, 15, 15, 8, 3
    x = ag.Tensor(rng.normal(size=(N, C, H, W)), requires_grad=True)
    weight = ag.Tensor(rng.normal(size=(OC, C, K, K)), requires_grad=True)
    bias = ag.Tensor(rng.normal(size=OC), requires_grad=True)
    y = F.conv2d(x, weight, bias, stride=1, padding=1)
    y.sum().backward()
    assert y.shape == (1, 8, 15, 15) and x.grad.shape == (1, 5, 15, 15)
    col = im2col_by_hand(x.data, K, 1, 1)  # conv2d_simple: col @ W.reshape(OC, -1).T + b, then to NCHW
    book = (col @ weight.data.reshape(OC, -1).T + bias.data).reshape(N, H, W, OC).transpose(0, 3, 1, 2)
    np.testing.assert_allclose(y.data, book, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(bias.grad, np.full(OC, H * W))
    small = [ag.Tensor(rng.normal(size=s), requires_grad=True) for s in [(2, 2, 5, 5), (3, 2, 3, 3), (3,)]]
    assert ag.gradcheck(lambda a, w, b: F.conv2d(a, w, b, stride=2, padding=1), small)


def test_step_57_max_pooling_equals_the_book_s_pooling_simple():
    rng = np.random.default_rng(7)
    x = ag.Tensor(rng.normal(size=(2, 3, 6, 6)), requires_grad=True)
    y = F.max_pool2d(x, kernel_size=2, stride=2)
    col = im2col_by_hand(x.data, 2, 2, 0).reshape(-1, 3, 4)  # pooling_simple: per channel, max of each window
    book = col.max(axis=2).reshape(2, 3, 3, 3).transpose(0, 3, 1, 2)
    np.testing.assert_array_equal(y.data, book)
    y.sum().backward()
    assert x.grad.sum() == 2 * 3 * 3 * 3 and set(np.unique(x.grad).tolist()) == {0.0, 1.0}  # one winner each
    assert ag.gradcheck(lambda t: F.max_pool2d(t, 2, 2), ag.Tensor(rng.normal(size=(1, 2, 4, 4)), requires_grad=True))


def test_step_58_a_small_cnn_learns_the_bundled_digits():
    X, y = nn.datasets.load_digits()
    X = (X / 16.0).reshape(-1, 1, 8, 8)
    X_train, X_test, y_train, y_test = nn.datasets.train_test_split(X, y, test_size=0.25, seed=58)
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1, seed=0),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(8 * 4 * 4, 10, seed=0),
    )
    optimizer = nn.optim.Adam(model.parameters(), lr=1e-2)
    loader = nn.data.DataLoader((X_train, y_train), batch_size=64, shuffle=True, seed=58)
    for _ in range(10):
        for xb, yb in loader:
            loss = F.cross_entropy(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    loss, acc = nn.evaluate(model, F.cross_entropy, X_test, y_test)
    assert acc > 0.92  # measured: 0.944


# ---------------------------------------------------------------- steps 59-60: RNN on the sin wave
def sin_curve(train=True, num_data=400):
    """The book's SinCurve (with fewer points): a noisy sin to train on, cos to test; each step predicts the next."""
    x = np.linspace(0, 2 * np.pi, num_data)
    noise = np.random.default_rng(59).uniform(-0.05, 0.05, size=x.shape)
    y = np.sin(x) + noise if train else np.cos(x)
    return y[:-1, None], y[1:, None]


def test_step_59_rnn_with_truncated_backprop_learns_the_next_value_of_the_wave():
    data, label = sin_curve()
    cell, head = nn.RNNCell(1, 20, seed=0), nn.Linear(20, 1, seed=0)
    params = list(cell.parameters()) + list(head.parameters())
    optimizer = nn.optim.Adam(params, lr=0.003)
    bptt_length, epoch_losses = 30, []
    for _ in range(8):
        h, loss, total = None, 0, 0.0
        for count, (x, t) in enumerate(zip(data, label), start=1):
            h = cell(x[None, :], h)
            loss = loss + F.mse_loss(head(h), t[None, :])
            if count % bptt_length == 0 or count == len(data):
                optimizer.zero_grad()
                loss.backward()
                h = h.detach()  # the book's loss.unchain_backward(): the next window starts from h's value
                optimizer.step()
                total, loss = total + loss.item(), 0
        epoch_losses.append(total / len(data))
    # noisy at first, as in the book's plot, then down to the noise: next-step noise of +-0.05 twice is 0.0017
    # measured: the first 4 epochs >= 0.019, the last 0.0022
    assert epoch_losses[-1] < 0.005 and epoch_losses[-1] < min(epoch_losses[:4]) / 4
    xs, ts = sin_curve(train=False)  # the book's plot: the trained net follows cos, a curve it never saw
    h, predictions = None, []
    with ag.no_grad():
        for x in xs:
            h = cell(x[None, :], h)
            predictions.append(head(h).item())
    assert np.abs(np.array(predictions[5:]) - ts[5:, 0]).mean() < 0.05  # measured: 0.015


def test_step_59_bptt_window_s_gradient_stops_at_the_detached_state():
    cell = nn.RNNCell(1, 4, seed=1)
    x = np.array([[0.5]])
    h = cell(x, None).detach()
    h2 = cell(x, h)
    h2.sum().backward()
    before = cell.weight_ih.grad.copy()
    cell.zero_grad()
    h_full = cell(x, cell(x, None))  # the same two steps without the cut: more gradient reaches the weights
    h_full.sum().backward()
    assert not np.allclose(before, cell.weight_ih.grad)
    cell.zero_grad()
    cell(x, ag.Tensor(h.data)).sum().backward()  # the cut window is one step from a constant state
    np.testing.assert_array_equal(cell.weight_ih.grad, before)


def test_step_60_lstm_on_batched_windows_of_the_wave():
    data, label = sin_curve()
    starts = np.arange(0, len(data) - 30, 10)
    xs = np.stack([data[s : s + 30] for s in starts], axis=1)  # (time 30, batch, 1): the book's SeqDataLoader
    ts = np.stack([label[s : s + 30] for s in starts], axis=1)
    lstm, head = nn.LSTM(1, 20, seed=0), nn.Linear(20, 1, seed=0)
    optimizer = nn.optim.Adam(list(lstm.parameters()) + list(head.parameters()), lr=0.01)
    losses = []
    for _ in range(60):
        out, _ = lstm(xs)
        loss = F.mse_loss(head(out), ts)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] / 20  # measured: 0.32 then 0.0067
    torch = pytest.importorskip("torch")
    assert torch.nn.LSTM(1, 20).weight_ih_l0.shape == lstm.weight_ih_l0.shape  # PyTorch's layout of the 4 gates
