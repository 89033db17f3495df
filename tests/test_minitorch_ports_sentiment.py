"""minitorch (Sasha Rush's course) task 4.5's sentiment CNN, ported: Kim's (2014) text CNN, 1-d convolutions of
widths 3, 4 and 5 over word embeddings, relu, a max over time, a linear layer with dropout and a sigmoid. A
reader writing it in torch's spelling takes the max over time with ``F.max_pool1d(x, x.size(2))``, which this
library lacked: the port added ``F.max_pool1d``, ``F.avg_pool1d``, ``nn.MaxPool1d`` and ``nn.AvgPool1d``
(composed on the 2-d pools, as ``conv1d`` is on ``conv2d``). Checked here against windows taken by hand, torch
where installed, and by training the network on a sentiment task whose answer is known.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core import Tensor
from tests.minitorch_helpers import leaf


def windows(x: np.ndarray, k: int, stride: int) -> np.ndarray:
    """(N, C, L) -> (N, C, count, k): the windows a 1-d pool reduces, taken by hand."""
    count = (x.shape[-1] - k) // stride + 1
    return np.stack([x[..., i * stride : i * stride + k] for i in range(count)], axis=-2)


@pytest.mark.parametrize(("k", "stride"), [(2, None), (3, 1), (4, 3), (11, None)])
def test_pool1d_reduces_each_window_and_its_gradient_passes_central_differences(k, stride):
    rng = np.random.default_rng(k)
    x = rng.standard_normal((2, 3, 11))
    taken = windows(x, k, stride or k)
    np.testing.assert_array_equal(F.max_pool1d(Tensor(x), k, stride).data, taken.max(axis=-1))
    np.testing.assert_allclose(F.avg_pool1d(Tensor(x), k, stride).data, taken.mean(axis=-1), rtol=1e-14)
    layer_max, layer_avg = nn.MaxPool1d(k, stride), nn.AvgPool1d(k, stride)
    np.testing.assert_array_equal(layer_max(Tensor(x)).data, taken.max(axis=-1))
    np.testing.assert_allclose(layer_avg(Tensor(x[0])).data, taken[0].mean(axis=-1), rtol=1e-14)  # one (C, L)
    assert ag.gradcheck(lambda a: F.max_pool1d(a, k, stride), leaf(x))
    assert ag.gradcheck(lambda a: F.avg_pool1d(a, k, stride), leaf(x))


def test_max_pool1d_over_the_whole_length_is_the_max_over_time_ties_split():
    x = leaf([[[1.0, 4.0, 4.0, 0.0], [2.0, -1.0, 0.5, 3.0]]])
    pooled = F.max_pool1d(x, x.size(2)).squeeze(2)  # Kim's spelling
    np.testing.assert_array_equal(pooled.data, ag.max(Tensor(x.data), 2).values.data)
    pooled.sum().backward()
    assert x.grad.tolist() == [[[0.0, 0.5, 0.5, 0.0], [0.0, 0.0, 0.0, 1.0]]]  # a tie shares the gradient


@pytest.mark.parametrize(
    ("kwargs", "pool"),
    [
        (dict(kernel_size=3, stride=2, padding=1), "max"),
        (dict(kernel_size=4, stride=3, padding=2, ceil_mode=True), "max"),
        (dict(kernel_size=3, stride=1, padding=1, dilation=2), "max"),
        (dict(kernel_size=3, stride=2, padding=1, count_include_pad=False), "avg"),
        (dict(kernel_size=4, stride=3, padding=2, ceil_mode=True), "avg"),
    ],
)
def test_pool1d_equals_torch_with_padding_dilation_and_ceil_mode(kwargs, pool):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(1).standard_normal((2, 3, 11))
    ours_fn, theirs_fn = getattr(F, f"{pool}_pool1d"), getattr(torch.nn.functional, f"{pool}_pool1d")
    ours, theirs = leaf(x), torch.tensor(x, requires_grad=True)
    out, expected = ours_fn(ours, **kwargs), theirs_fn(theirs, **kwargs)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-14)
    g = np.random.default_rng(2).standard_normal(out.shape)
    out.backward(g)
    expected.backward(torch.tensor(g))
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-14)  # random x: no ties
    if pool == "max":
        _, indices = F.max_pool1d(Tensor(x), **kwargs, return_indices=True)
        _, their_indices = theirs_fn(torch.tensor(x), **kwargs, return_indices=True)
        np.testing.assert_array_equal(indices.data, their_indices.numpy())


def test_pool1d_errors_name_the_1d_op_and_its_own_arguments():
    x = Tensor(np.zeros((2, 3, 5)))
    with pytest.raises(
        ValueError, match=r"^max_pool1d: expected a 3-d \(N, C, L\) input .*got shape \(5,\).*x\[:, None\]"
    ):
        F.max_pool1d(Tensor(np.zeros(5)), 2)
    with pytest.raises(ValueError, match=r"^max_pool1d: the kernel of size 6 .* spans 6, longer than the padded input"):
        F.max_pool1d(x, 6)
    with pytest.raises(ValueError, match=r"^avg_pool1d: padding must be at most half the kernel size"):
        F.avg_pool1d(x, 2, padding=2)
    with pytest.raises(ValueError, match=r"^MaxPool1d: kernel_size must be an int >= 1 \(or a 1-tuple of one\)"):
        nn.MaxPool1d((2, 2))
    assert repr(nn.MaxPool1d(2)) == "MaxPool1d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"


# ----------------------------------------------------------------------------- the sentiment network
class SentimentCNN(nn.Module):
    """Task 4.5's network: conv1d filters of widths 3, 4, 5 over (N, L, D) embeddings, relu, max over time,
    a linear layer over the concatenated features with dropout, a sigmoid."""

    def __init__(self, dim: int, filters: int = 4, seed: int = 0) -> None:
        super().__init__()
        self.convs = nn.ModuleList([nn.Conv1d(dim, filters, k, seed=seed + k) for k in (3, 4, 5)])
        self.linear = nn.Linear(3 * filters, 1, seed=seed)
        self.dropout = nn.Dropout(0.25)

    def forward(self, embeddings: Tensor) -> Tensor:
        x = embeddings.permute(0, 2, 1)  # (N, D, L): channels are the embedding's features
        features = [F.max_pool1d(conv(x).relu(), conv(x).size(2)).squeeze(2) for conv in self.convs]
        return self.linear(self.dropout(ag.cat(features, dim=1))).sigmoid().reshape(-1)


def sentences(n: int, rng: np.random.Generator, length: int = 12, vocabulary: int = 10) -> tuple[np.ndarray, ...]:
    """Neutral words (2..) with one marker at a random place: word 0 makes a sentence positive, word 1 negative."""
    words = rng.integers(2, vocabulary, size=(n, length))
    labels = rng.integers(0, 2, size=n)
    words[np.arange(n), rng.integers(0, length, size=n)] = 1 - labels
    return words, labels.astype(np.float64)


def test_the_sentiment_cnn_finds_the_marker_wherever_it_sits():
    rng = np.random.default_rng(0)
    table = rng.standard_normal((10, 8))  # frozen word vectors, as the course's GloVe embeddings
    words, labels = sentences(400, rng)
    test_words, test_labels = sentences(200, rng)
    ag.manual_seed(0)
    model = SentimentCNN(dim=8)
    optimizer = nn.optim.Adam(model.parameters(), lr=0.03)
    for _ in range(8):
        for batch in np.array_split(np.arange(400), 10):
            optimizer.zero_grad()
            F.binary_cross_entropy(model(Tensor(table[words[batch]])), labels[batch]).backward()
            optimizer.step()
    model.eval()
    with ag.no_grad():
        predicted = model(Tensor(table[test_words])).data > 0.5
    assert (predicted == test_labels).mean() >= 0.98  # a max over time sees the marker at any position (1.0 measured)
