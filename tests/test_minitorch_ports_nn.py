"""minitorch (Sasha Rush's Cornell course library, minitorch.github.io), module 4, ported: its task tests for
convolution and pooling, re-done with ``nn.functional`` the way a reader of the course writes them in torch's
spellings, and its MNIST network trained on the bundled 8x8 digits.

4.1  conv1d: the course's output keeps the input's width, the kernel anchored at each position and zeros past
     the end, which is ``F.conv1d(F.pad(x, (0, K - 1)), w)``; its known values; its gradient against central
     differences; and the course's ``reverse`` convolution is the input gradient.
4.2  conv2d the same way (its test_conv2's known values), with channels and a batch.
4.3  avgpool2d: the mean of each window (kernels (2, 2), (2, 1), (1, 2)) and its gradient; the course's ``tile``
     is ``F.unfold`` with the kernel as stride.
4.4  max over a dim with its argmax gradient (ties split evenly here, the kink rule); softmax and logsoftmax
     along any dim; maxpool2d's window maxima; dropout at rate 0 (the identity), rate 1 (all zeros, a zero
     gradient, no NaN) and off in eval mode (the course's ``ignore=True``).
4.5  The course's LeNet-like network (two convolutions, a pool, two linear layers, dropout, logsoftmax).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core import Tensor
from tests.minitorch_helpers import leaf

values = st.floats(-3, 3)


def course_conv1d(x: Tensor, w: Tensor) -> Tensor:
    """minitorch's conv1d: out[b, o, t] = sum_{c, k} x[b, c, t + k] w[o, c, k], x zero past its end."""
    return F.conv1d(F.pad(x, (0, w.shape[-1] - 1)), w)


def course_conv2d(x: Tensor, w: Tensor) -> Tensor:
    """minitorch's conv2d: the kernel anchored at its top-left corner, zeros past the bottom and right."""
    return F.conv2d(F.pad(x, (0, w.shape[-1] - 1, 0, w.shape[-2] - 1)), w)


def by_loops(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The course's definition, written out over every index (an oracle that shares no code with F.conv1d)."""
    batch, _, width = x.shape
    out = np.zeros((batch, w.shape[0], width))
    for b, o, t, c, k in np.ndindex(batch, w.shape[0], width, w.shape[1], w.shape[2]):
        if t + k < width:
            out[b, o, t] += x[b, c, t + k] * w[o, c, k]
    return out


# ----------------------------------------------------------------------------- 4.1 conv1d
def test_4_1_conv1d_simple_known_values():
    t = leaf([0.0, 1.0, 2.0, 3.0]).view(1, 1, 4)
    out = course_conv1d(t, Tensor([[[1.0, 2.0, 3.0]]]))
    assert out.shape == (1, 1, 4)
    assert out.data.ravel().tolist() == [0 * 1 + 1 * 2 + 2 * 3, 1 * 1 + 2 * 2 + 3 * 3, 2 * 1 + 3 * 2, 3 * 1]


@pytest.mark.parametrize(("x_shape", "w_shape"), [((1, 1, 6), (1, 1, 4)), ((2, 2, 6), (3, 2, 2))])
@given(data=st.data())
def test_4_1_conv1d_equals_the_loops_and_central_differences(x_shape, w_shape, data):
    x = data.draw(arrays(np.float64, x_shape, elements=values), label="x")
    w = data.draw(arrays(np.float64, w_shape, elements=values), label="w")
    np.testing.assert_allclose(course_conv1d(Tensor(x), Tensor(w)).data, by_loops(x, w), atol=1e-12)
    assert ag.gradcheck(course_conv1d, (leaf(x), leaf(w)))


def test_4_1_the_input_gradient_is_the_course_s_reverse_convolution():
    rng = np.random.default_rng(0)
    x, w, g = (
        leaf(rng.standard_normal((2, 2, 7))),
        Tensor(rng.standard_normal((3, 2, 3))),
        rng.standard_normal((2, 3, 7)),
    )
    course_conv1d(x, w).backward(g)
    # reverse=True in the course: out[b, c, t] = sum_{o, k} g[b, o, t - k] w[o, c, k], zeros before the start
    reverse = F.conv1d(F.pad(Tensor(g), (w.shape[-1] - 1, 0)), w.permute(1, 0, 2).flip(-1))
    np.testing.assert_allclose(x.grad, reverse.data, atol=1e-12)


# ----------------------------------------------------------------------------- 4.2 conv2d
def test_4_2_conv2d_known_values_and_gradient():
    t = leaf(np.tile([0.0, 1.0, 2.0, 3.0], (1, 1, 4, 1)))
    w = leaf(np.ones((1, 1, 2, 2)))
    out = course_conv2d(t, w)
    # each output sums the 2x2 block whose top-left it is: rows 0-2 see two rows, the last row one
    expected = np.array([[2.0, 6.0, 10.0, 6.0]] * 3 + [[1.0, 3.0, 5.0, 3.0]])
    np.testing.assert_array_equal(out.data[0, 0], expected)
    out.sum().backward()
    # d sum / d x[i, j] = how many windows hold x[i, j]: 1 on the top-left corner, 4 inside
    np.testing.assert_array_equal(t.grad[0, 0], [[1, 2, 2, 2], [2, 4, 4, 4], [2, 4, 4, 4], [2, 4, 4, 4]])
    # d sum / d w[a, b] sums x over rows a.. and columns b..: 24 for both columns (column 0 holds zeros), 18 below
    assert w.grad.ravel().tolist() == [24.0, 24.0, 18.0, 18.0]


@pytest.mark.parametrize(
    ("x_shape", "w_shape"), [((1, 1, 6, 6), (1, 1, 2, 4)), ((2, 1, 6, 6), (1, 1, 2, 4)), ((2, 2, 6, 6), (3, 2, 2, 4))]
)
def test_4_2_conv2d_with_batch_and_channels_passes_central_differences(x_shape, w_shape):
    rng = np.random.default_rng(sum(x_shape + w_shape))
    assert ag.gradcheck(course_conv2d, (leaf(rng.standard_normal(x_shape)), leaf(rng.standard_normal(w_shape))))


# ----------------------------------------------------------------------------- 4.3 pooling by tiles
@given(t=arrays(np.float64, (1, 1, 4, 4), elements=values))
def test_4_3_avgpool2d_is_each_window_s_mean_and_passes_central_differences(t):
    for kh, kw in [(2, 2), (2, 1), (1, 2)]:
        out = F.avg_pool2d(Tensor(t), (kh, kw))
        assert out.data[0, 0, 0, 0] == pytest.approx(t[0, 0, :kh, :kw].sum() / (kh * kw), abs=1e-12)
        np.testing.assert_allclose(out.data[0, 0], t[0, 0].reshape(4 // kh, kh, 4 // kw, kw).mean(axis=(1, 3)))
    assert ag.gradcheck(lambda a: F.avg_pool2d(a, (2, 2)), leaf(t))


def test_4_3_the_course_s_tile_is_unfold_with_the_kernel_as_stride():
    t = Tensor(np.arange(2 * 3 * 4 * 6.0).reshape(2, 3, 4, 6))
    kh, kw = 2, 3
    # tile(t, (kh, kw)): (batch, channel, H / kh, W / kw, kh * kw), by reshape and permute as the course does
    tiled = t.view(2, 3, 4 // kh, kh, 6 // kw, kw).permute(0, 1, 2, 4, 3, 5).contiguous().view(2, 3, 2, 2, kh * kw)
    columns = F.unfold(t, (kh, kw), stride=(kh, kw)).view(2, 3, kh * kw, 2, 2).permute(0, 1, 3, 4, 2)
    np.testing.assert_array_equal(tiled.data, columns.data)
    np.testing.assert_array_equal(tiled.mean(4).data, F.avg_pool2d(t, (kh, kw)).data)


# ----------------------------------------------------------------------------- 4.4 max, softmax, dropout
@given(t=arrays(np.float64, (2, 3, 4), elements=values))
def test_4_4_max_over_a_dim_and_its_argmax_gradient(t):
    for dim in range(3):
        x = leaf(t)
        out = ag.max(x, dim).values  # minitorch's max(input, dim) is the values: torch's pair's first
        np.testing.assert_array_equal(out.data, t.max(axis=dim))
        out.sum().backward()
        winners = t == t.max(axis=dim, keepdims=True)
        np.testing.assert_array_equal(x.grad, winners / winners.sum(axis=dim, keepdims=True))  # ties: 1/k each
        ordered = np.sort(t, axis=dim)
        if np.all(ordered.take(-1, axis=dim) - ordered.take(-2, axis=dim) > 1e-3):  # no (near) ties: argmax's one-hot
            one_hot = np.arange(t.shape[dim]).reshape([-1 if d == dim else 1 for d in range(3)]) == np.expand_dims(
                t.argmax(axis=dim), dim
            )
            np.testing.assert_array_equal(x.grad, one_hot)
            assert ag.gradcheck(lambda a, d=dim: ag.max(a, d).values, leaf(t))


def test_4_4_a_tie_shares_the_max_s_gradient_evenly():
    # the course's argmax mask gives each tied element the whole gradient (2 in all for a pair); here each gets
    # 1/k, so the gradient sums to 1 as the max's own does, and matches both one-sided derivatives' average
    x = leaf([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    x.max(dim=1).values.sum().backward()
    np.testing.assert_allclose(x.grad, [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    pooled = leaf(np.ones((1, 1, 2, 2)))
    F.max_pool2d(pooled, 2).sum().backward()
    assert pooled.grad.ravel().tolist() == [0.25] * 4


@given(t=arrays(np.float64, (1, 1, 4, 4), elements=values))
def test_4_4_maxpool2d_takes_each_window_s_max(t):
    for kh, kw in [(2, 2), (2, 1), (1, 2)]:
        out = F.max_pool2d(Tensor(t), (kh, kw))
        assert out.data[0, 0, 0, 0] == t[0, 0, :kh, :kw].max()
        np.testing.assert_array_equal(out.data[0, 0], t[0, 0].reshape(4 // kh, kh, 4 // kw, kw).max(axis=(1, 3)))


@given(t=arrays(np.float64, (1, 1, 4, 4), elements=st.floats(-50, 50)))
def test_4_4_softmax_sums_to_one_and_logsoftmax_is_its_log(t):
    for dim in (3, 1):
        assert np.allclose(F.softmax(Tensor(t), dim=dim).sum(dim).data, 1.0, atol=1e-12)
    np.testing.assert_allclose(F.log_softmax(Tensor(t), dim=3).exp().data, F.softmax(Tensor(t), dim=3).data, rtol=1e-12)
    assert ag.gradcheck(lambda a: F.softmax(a, dim=2), leaf(t / 10))
    assert ag.gradcheck(lambda a: F.log_softmax(a, dim=2), leaf(t / 10))


@given(t=arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 5)), elements=values))
def test_4_4_dropout_at_rate_0_rate_1_and_off(t):
    assume(np.all(np.isfinite(t)))
    assert F.dropout(Tensor(t), 0.0).tolist() == t.tolist()  # rate 0: the identity
    x = leaf(t)
    dropped = F.dropout(x, 1.0)  # rate 1: all zeros (1 / (1 - p) is never taken)
    assert not dropped.data.any()
    dropped.sum().backward()
    assert x.grad.tolist() == np.zeros_like(t).tolist()  # a zero gradient, no NaN
    assert F.dropout(Tensor(t), 1.0, training=False).tolist() == t.tolist()  # the course's ignore=True
    layer = nn.Dropout(1.0)
    assert not layer(Tensor(t)).data.any() and layer.eval()(Tensor(t)).tolist() == t.tolist()


def test_4_4_dropout_keeps_the_expected_value_and_refuses_a_rate_outside_0_1():
    kept = F.dropout(Tensor(np.ones(200_000)), 0.25, generator=0).data
    assert set(np.unique(kept)) == {0.0, 4 / 3} and abs(kept.mean() - 1.0) < 0.01  # 1/(1 - p) scales the kept
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError, match=r"dropout: p must be a probability in \[0, 1\]"):
            F.dropout(Tensor([1.0]), p)


# ----------------------------------------------------------------------------- 4.5 the network
class LeNet(nn.Module):
    """The course's MNIST network scaled to 8x8 digits: two 3x3 convolutions (the course's keep the size),
    relu, a 2x2 pool, view, linear, relu, dropout, linear, logsoftmax."""

    def __init__(self, classes: int = 10, seed: int = 0) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding="same", seed=seed)
        self.conv2 = nn.Conv2d(4, 8, 3, padding="same", seed=seed + 1)
        self.linear1 = nn.Linear(8 * 4 * 4, 64, seed=seed + 2)
        self.linear2 = nn.Linear(64, classes, seed=seed + 3)
        self.dropout = nn.Dropout(0.25)

    def forward(self, x: Tensor) -> Tensor:
        h = self.conv2(self.conv1(x).relu()).relu()
        h = F.avg_pool2d(h, 2).view(x.shape[0], 8 * 4 * 4)
        h = self.dropout(self.linear1(h).relu())
        return F.log_softmax(self.linear2(h), dim=1)


def test_4_5_the_lenet_like_network_learns_the_digits_and_dropout_is_off_in_eval():
    X, y = nn.datasets.load_digits()
    X = (X / 16.0).reshape(-1, 1, 8, 8)
    ag.manual_seed(0)
    model = LeNet()
    optimizer = nn.optim.Adam(model.parameters(), lr=0.01)
    train_idx, test_idx = np.arange(0, 1000), np.arange(1000, 1400)
    for _ in range(8):
        for batch in np.array_split(train_idx, 20):
            optimizer.zero_grad()
            F.nll_loss(model(Tensor(X[batch])), y[batch]).backward()  # logsoftmax + nll: the course's loss
            optimizer.step()
    model.eval()
    with ag.no_grad():
        first, second = model(Tensor(X[test_idx])), model(Tensor(X[test_idx]))
    np.testing.assert_array_equal(first.data, second.data)  # no dropout in eval: deterministic
    assert np.allclose(np.exp(first.data).sum(axis=1), 1.0)  # log-probabilities
    assert (first.data.argmax(axis=1) == y[test_idx]).mean() > 0.9
    model.train()
    with ag.no_grad():
        assert not np.array_equal(model(Tensor(X[:50])).data, model(Tensor(X[:50])).data)  # dropout back on
