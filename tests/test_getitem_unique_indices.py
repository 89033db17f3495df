"""Getitem's ``unique_indices`` promise (JAX's flag): the vjp assigns instead of np.add.at, with the same
gradient wherever the promise holds; F.cross_entropy makes it for its (arange(n), labels) gather."""

import numpy as np
import pytest

import autograd_core as ag
import nn.functional as F
from autograd_core import Tensor
from autograd_core.primitives import Getitem, ScatterAdd


def gather_grad(x0, index, **hint):
    x = Tensor(x0, requires_grad=True)
    picked = Tensor.apply(Getitem, x, index=index, **hint)
    (picked * np.arange(1.0, picked.size + 1, dtype=x0.dtype)).sum().backward()
    return picked.data, x.grad


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_promised_unique_gather_has_the_unpromised_values_and_gradient_bit_for_bit(dtype):
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal((32, 10)).astype(dtype)
    index = (np.arange(32), rng.integers(0, 10, 32))
    plain_out, plain_grad = gather_grad(x0, index)
    promised_out, promised_grad = gather_grad(x0, index, unique_indices=True)
    np.testing.assert_array_equal(promised_out, x0[index])
    np.testing.assert_array_equal(promised_out, plain_out)
    assert promised_grad.dtype == dtype
    np.testing.assert_array_equal(promised_grad, plain_grad)


def test_the_promise_is_what_makes_the_scatter_assign():
    # repeats broken on purpose: without the promise they add up, with it the last one is kept
    # (the documented cost of a false promise), which shows that the hinted path assigns
    index, g = (np.array([0, 0]), np.array([1, 1])), np.array([2.0, 3.0])
    np.testing.assert_array_equal(ScatterAdd.forward(g, (2, 2), index), [[0.0, 5.0], [0.0, 0.0]])
    np.testing.assert_array_equal(ScatterAdd.forward(g, (2, 2), index, unique_indices=True), [[0.0, 3.0], [0.0, 0.0]])


def test_a_promised_gather_differentiates_twice_and_compiles_to_the_same_gradient():
    x = Tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    rows, cols = np.array([1, 0, 2]), np.array([3, 0, 2])

    def loss(x, rows, cols, **hint):
        return (Tensor.apply(Getitem, x, index=(rows, cols), **hint) ** 3).sum()

    assert ag.gradcheck(lambda x: loss(x, rows, cols, unique_indices=True), x)
    (g,) = ag.grad(loss(x, rows, cols, unique_indices=True), [x], create_graph=True)
    (gg,) = ag.grad(g.sum(), [x])  # d/dx of 3 x^2 at the picked elements: 6 x
    expected = np.zeros((3, 4))
    expected[rows, cols] = 6 * x.data[rows, cols]
    np.testing.assert_array_equal(gg, expected)
    eager = ag.grad(loss(x, rows, cols), [x])[0]
    for hint, adds in (({}, True), ({"unique_indices": True}, False)):  # both index parts are arguments
        step = ag.compile(lambda x, rows, cols, hint=hint: loss(x, rows, cols, **hint), strict=True)
        for _ in range(3):
            x.grad = None
            step(x, rows, cols)
        assert step.replay_count == 1
        assert ("add.at(" in step.source) == adds  # only the promise rules out repeats of the arguments
        np.testing.assert_array_equal(x.grad, eager)


def test_cross_entropy_promises_its_label_gather_and_its_gradient_matches_the_closed_form():
    rng = np.random.default_rng(1)
    logits = Tensor(rng.standard_normal((16, 5)), requires_grad=True)
    labels = rng.integers(0, 5, 16)
    labels[:4] = 2  # repeated labels: the rows still differ, so no element is picked twice
    loss = F.cross_entropy(logits, labels)
    (gather,) = [t for t in ag.walk(loss) if t.op == "getitem"]
    assert gather.params["unique_indices"] is True
    loss.backward()
    softmax = np.exp(logits.data - logits.data.max(axis=1, keepdims=True))
    softmax /= softmax.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(logits.grad, (softmax - np.eye(5)[labels]) / 16, rtol=1e-12, atol=1e-15)
