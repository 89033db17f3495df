"""Embedding gaps a torch user meets: ``scale_grad_by_freq`` in ``F.embedding_bag`` / ``nn.EmbeddingBag`` (refused
before), ``F.embedding``'s exact forward value with it, ``sparse=True`` (accepted with a warning: the gradient is the
same dense array), torch's repr lines and ``from_pretrained``.

torch 2.13's CPU ``embedding_bag`` backward divides by the wrong count when indices of different counts are mixed
(pytorch/pytorch#190063: ``counts[indices_data[i]]``, ``i`` the unique-group counter); its ``F.embedding`` path and
the documented rule ("the gradient of each row divided by its count in the mini-batch") are right, so the oracle
for mixed counts is torch's ``F.embedding`` reduced per bag, and torch's ``embedding_bag`` only where all counts are
equal (there the bug cannot show).
"""

import warnings

import numpy as np
import pytest

import nn
from autograd_core import Tensor
from nn import functional as F

INDICES = np.array([1, 2, 1, 4, 1, 5, 0, 2])  # row 1 three times, row 2 twice, rows 0, 4, 5 once
OFFSETS = np.array([0, 3, 5])  # bags [1, 2, 1], [4, 1], [5, 0, 2]
BAGS = [INDICES[0:3], INDICES[3:5], INDICES[5:8]]


def _weight(rows=6, dim=3, seed=0):
    return Tensor(np.random.default_rng(seed).normal(size=(rows, dim)), requires_grad=True)


def _upstream(bags=3, dim=3):
    return np.arange(1.0, bags * dim + 1).reshape(bags, dim)


def _by_hand(mode, rows=6):
    """Each row's gradient: the sum, over the lookups of it, of its bag's upstream (over the bag's size for
    "mean"), divided by the row's count in the whole input."""
    g, grad = _upstream(), np.zeros((rows, 3))
    counts = np.bincount(INDICES, minlength=rows)
    for b, bag in enumerate(BAGS):
        for k in bag:
            grad[k] += g[b] / (len(bag) if mode == "mean" else 1) / counts[k]
    return grad


@pytest.mark.parametrize("mode", ["sum", "mean"])
def test_embedding_bag_scale_grad_by_freq_divides_each_row_s_gradient_by_its_count(mode):
    w = _weight()
    out = F.embedding_bag(INDICES, w, OFFSETS, mode=mode, scale_grad_by_freq=True)
    plain = F.embedding_bag(INDICES, w.detach(), OFFSETS, mode=mode)
    np.testing.assert_array_equal(out.data, plain.data)  # the forward value is untouched
    (out * _upstream()).sum().backward()
    np.testing.assert_allclose(w.grad, _by_hand(mode), rtol=1e-14)


def test_embedding_bag_scale_grad_by_freq_with_per_sample_weights_and_padding():
    w = _weight()
    weights = np.linspace(0.5, 2.0, INDICES.size)
    out = F.embedding_bag(
        INDICES, w, OFFSETS, mode="sum", scale_grad_by_freq=True, per_sample_weights=weights, padding_idx=1
    )
    (out * _upstream()).sum().backward()
    counts, g, expected = np.bincount(INDICES, minlength=6), _upstream(), np.zeros((6, 3))
    for b, (start, stop) in enumerate(zip(OFFSETS, [3, 5, 8])):
        for position in range(start, stop):
            k = INDICES[position]
            if k != 1:  # the padding row: out of every bag, no gradient
                expected[k] += weights[position] * g[b] / counts[k]
    np.testing.assert_allclose(w.grad, expected, rtol=1e-14)


def test_embedding_bag_layer_takes_scale_grad_by_freq_and_refuses_it_with_max_as_torch():
    bag = nn.EmbeddingBag(6, 3, mode="mean", scale_grad_by_freq=True, seed=0)
    (bag(INDICES, OFFSETS) * _upstream()).sum().backward()
    np.testing.assert_allclose(bag.weight.grad, _by_hand("mean"), rtol=1e-14)
    assert nn.architecture.build(nn.architecture.describe(bag)).scale_grad_by_freq  # a saved model keeps it
    for make in (
        lambda: nn.EmbeddingBag(6, 3, mode="max", scale_grad_by_freq=True),
        lambda: F.embedding_bag(INDICES, _weight(), OFFSETS, mode="max", scale_grad_by_freq=True),
    ):
        with pytest.raises(ValueError, match=r"mode='max' does not scale the gradient by frequency.*'sum' or"):
            make()


def test_embedding_scale_grad_by_freq_keeps_the_rows_exact_value_and_scales_the_gradient():
    w = _weight(seed=3)
    idx = np.array([[1, 1, 1], [2, 0, 1]])
    out = F.embedding(idx, w, scale_grad_by_freq=True)
    np.testing.assert_array_equal(out.data, w.data[idx])  # bit for bit: the rows themselves
    out.sum().backward()
    np.testing.assert_array_equal(w.grad[:, 0], [1.0, 1.0, 1.0, 0.0, 0.0, 0.0])  # 4 uses / 4, 1 / 1, 1 / 1
    layer = nn.Embedding(6, 3, scale_grad_by_freq=True, seed=0)
    np.testing.assert_array_equal(layer(idx).data, layer.weight.data[idx])


def test_sparse_true_is_accepted_with_a_warning_and_gives_the_same_dense_gradient():
    for sparse_call in (
        lambda w: F.embedding(INDICES, w, sparse=True),
        lambda w: F.embedding_bag(INDICES, w, OFFSETS, mode="sum", sparse=True),
    ):
        w = _weight()
        with pytest.warns(UserWarning, match=r"sparse=True gives a dense gradient here.*pass sparse=False"):
            sparse_call(w).sum().backward()
        assert w.grad.shape == (6, 3) and (w.grad[3] == 0).all() and (w.grad[1] == 3).all()  # row 3 unused
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # sparse=False (the default): no warning
        F.embedding(INDICES, _weight(), sparse=False), F.embedding_bag(INDICES, _weight(), OFFSETS)
    with pytest.warns(UserWarning, match="Embedding: sparse=True"):
        layer = nn.Embedding(6, 3, sparse=True)
    assert layer.sparse and "sparse=True" in repr(layer)
    with pytest.warns(UserWarning, match="EmbeddingBag: sparse=True"):
        assert nn.EmbeddingBag(6, 3, sparse=True).sparse


def test_from_pretrained_copies_the_rows_and_freezes_them_by_default():
    rows = np.arange(12.0).reshape(4, 3)
    table = nn.Embedding.from_pretrained(rows)
    rows[0, 0] = 99.0  # a copy: the table keeps its own
    assert table.weight.data[0, 0] == 0.0 and not table.weight.requires_grad
    np.testing.assert_array_equal(table(np.array([3, 1])).data, [[9.0, 10.0, 11.0], [3.0, 4.0, 5.0]])
    trainable = nn.Embedding.from_pretrained(Tensor(np.ones((4, 2))), freeze=False, padding_idx=0)
    assert trainable.weight.requires_grad and trainable.padding_idx == 0 and trainable.weight.data[0, 0] == 1.0
    bag = nn.EmbeddingBag.from_pretrained(np.eye(3), mode="sum")
    np.testing.assert_array_equal(bag(np.array([[0, 2]])).data, [[1.0, 0.0, 1.0]])
    with pytest.raises(ValueError, match=r"Embedding.from_pretrained: embeddings must be a 2-d .* got shape \(3,\)"):
        nn.Embedding.from_pretrained(np.ones(3))


def test_scale_grad_by_freq_matches_pytorch():
    torch = pytest.importorskip("torch")
    tF = torch.nn.functional
    w = _weight()
    theirs = torch.tensor(w.data, requires_grad=True)
    idx = torch.tensor(INDICES)
    for mode in ("sum", "mean"):
        w.grad, theirs.grad = None, None
        (F.embedding_bag(INDICES, w, OFFSETS, mode=mode, scale_grad_by_freq=True) * _upstream()).sum().backward()
        rows = tF.embedding(idx, theirs, scale_grad_by_freq=True)  # torch's correct path, reduced per bag
        bags = torch.stack([getattr(rows[s:e], mode)(0) for s, e in zip(OFFSETS, [3, 5, 8])])
        (bags * torch.tensor(_upstream())).sum().backward()
        np.testing.assert_allclose(w.grad, theirs.grad.numpy(), rtol=1e-12)
    equal_counts = np.array([1, 1, 3, 3, 0, 0])  # every index twice: torch's embedding_bag is right here
    w.grad, theirs.grad = None, None
    F.embedding_bag(equal_counts, w, np.array([0, 3]), mode="sum", scale_grad_by_freq=True).sum().backward()
    tF.embedding_bag(
        torch.tensor(equal_counts), theirs, torch.tensor([0, 3]), mode="sum", scale_grad_by_freq=True
    ).sum().backward()
    np.testing.assert_allclose(w.grad, theirs.grad.numpy(), rtol=1e-12)


def test_sparse_gradient_matches_pytorch_s_sparse_one_densified():
    torch = pytest.importorskip("torch")
    w = _weight()
    theirs = torch.tensor(w.data, requires_grad=True)
    with pytest.warns(UserWarning):
        (F.embedding(INDICES, w, sparse=True) * 2.0).sum().backward()
    (torch.nn.functional.embedding(torch.tensor(INDICES), theirs, sparse=True) * 2.0).sum().backward()
    assert theirs.grad.is_sparse
    np.testing.assert_allclose(w.grad, theirs.grad.to_dense().numpy(), rtol=1e-14)


def test_embedding_reprs_are_pytorch_s_lines():
    torch = pytest.importorskip("torch")
    cases = [
        ((10, 3), {}),
        ((10, 3), {"padding_idx": 0, "max_norm": 1.0, "scale_grad_by_freq": True}),
        ((10, 3), {"norm_type": 1.0, "max_norm": 2.0}),
    ]
    for args, kwargs in cases:
        assert repr(nn.Embedding(*args, **kwargs)) == repr(torch.nn.Embedding(*args, **kwargs))
    bag_cases = [{}, {"mode": "sum", "padding_idx": 2}, {"scale_grad_by_freq": True, "max_norm": 1.0}]
    for kwargs in bag_cases:
        assert repr(nn.EmbeddingBag(10, 3, **kwargs)) == repr(torch.nn.EmbeddingBag(10, 3, **kwargs))
