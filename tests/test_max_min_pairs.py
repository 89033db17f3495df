"""``max``/``min`` read their arguments as their library does: one int ``dim`` (PyTorch's, positional or ``dim=``)
gives ``(values, indices)``; numpy's ``axis=``/``keepdims=``, several axes or none give the values alone."""

import numpy as np
import pytest

import autograd_core as ag
import nn.functional as F

RNG = np.random.default_rng(7)
LOGITS = RNG.standard_normal((5, 4))  # continuous: no ties


@pytest.mark.parametrize("batch", [1, 2, 3, 5])
def test_the_tutorials_unpacking_gives_the_predicted_classes(batch):
    # the CIFAR-10 tutorial's `_, predicted = torch.max(outputs, 1)`; at a batch of two it used to unpack the two
    # rows of maxima silently
    outputs = ag.tensor(LOGITS[:batch])
    _, predicted = ag.max(outputs, 1)
    assert predicted.tolist() == LOGITS[:batch].argmax(1).tolist()
    values, indices = outputs.max(dim=1)
    assert values.tolist() == LOGITS[:batch].max(1).tolist() and indices.dtype == np.int64
    assert (outputs.max(1).indices == outputs.argmax(1)).all()


@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_the_pair_matches_numpy_and_carries_the_gradient(op, dim, keepdim):
    x = ag.tensor(LOGITS, requires_grad=True)
    values, indices = getattr(x, op)(dim, keepdim)
    expected = getattr(np, op)(LOGITS, axis=dim, keepdims=keepdim)
    np.testing.assert_array_equal(values.data, expected)
    np.testing.assert_array_equal(indices.data, getattr(np, "arg" + op)(LOGITS, axis=dim, keepdims=keepdim))
    weights = RNG.standard_normal(expected.shape)
    (values * ag.tensor(weights)).sum().backward()
    # d/dx of the chosen element is its weight, every other element's 0 (no ties in LOGITS)
    chosen = np.zeros_like(LOGITS)
    np.put_along_axis(chosen, getattr(np, "arg" + op)(LOGITS, axis=dim, keepdims=True), 1.0, axis=dim)
    want = chosen * (weights if keepdim else np.expand_dims(weights, dim))
    np.testing.assert_array_equal(x.grad, want)


def test_ties_split_the_gradient_and_the_index_is_the_first():
    x = ag.tensor([[2.0, 2.0, 1.0]], requires_grad=True)
    values, indices = x.max(1)
    values.sum().backward()
    assert indices.tolist() == [0] and x.grad.tolist() == [[0.5, 0.5, 0.0]]


def test_numpy_keywords_several_axes_or_none_give_the_values_alone():
    x = ag.tensor(LOGITS)
    for values in (x.max(axis=1), x.max(1, keepdims=True), x.max((0, 1)), x.max(), ag.max(x, axis=1), x.amax(1)):
        assert isinstance(values, ag.Tensor)
    assert x.max(axis=1).tolist() == LOGITS.max(1).tolist() == x.amax(1).tolist()
    assert x.min(1, keepdims=True).shape == (5, 1) and x.min(axis=0).tolist() == LOGITS.min(0).tolist()
    assert np.max(x, axis=1).tolist() == LOGITS.max(1).tolist()  # numpy's function, numpy's reading
    assert np.min(x, 0).tolist() == LOGITS.min(0).tolist()
    assert ag.max(x, ag.zeros(4)).tolist() == np.maximum(LOGITS, 0).tolist()  # torch.max(input, other)


def test_a_zero_d_tensor_over_dim_zero_is_itself_at_index_zero():
    values, indices = ag.tensor(3.0).max(0)
    assert values.item() == 3.0 and indices.item() == 0 and indices.shape == ()


def test_the_values_alone_say_where_values_and_indices_are():
    with pytest.raises(AttributeError, match=r"t.max\(dim\) and t.min\(dim\) return \(values, indices\)"):
        ag.tensor(LOGITS).amax(1).values  # noqa: B018
    with pytest.raises(AttributeError, match=r"write t.max\(dim\).indices .* or t.argmax\(dim\)"):
        ag.tensor(LOGITS).max(axis=1).indices  # noqa: B018
    with pytest.raises(TypeError, match=r"give axis= or dim="):
        ag.tensor(LOGITS).max((0, 1), axis=1)


def test_accuracy_from_the_pair_and_a_compiled_step_through_its_values():
    W = ag.tensor(RNG.standard_normal((4, 3)), requires_grad=True)
    X, y = ag.tensor(LOGITS), np.array([0, 1, 2, 1, 0])
    _, predicted = ag.max(X @ W, 1)
    assert (predicted.data == y).mean() == ((LOGITS @ W.data).argmax(1) == y).mean()
    step = ag.compile(lambda X: (X @ W).max(1).values.sum() + F.cross_entropy(X @ W, y))
    grads = []
    for _ in range(3):
        W.grad = None
        step(X)
        grads.append(W.grad.copy())
    assert step.replay_count == 1
    np.testing.assert_allclose(grads[2], grads[0], rtol=1e-12)


def test_the_pair_equals_torchs():
    torch = pytest.importorskip("torch")
    for op in ("max", "min"):
        mine = getattr(ag.tensor(LOGITS), op)(1, True)
        theirs = getattr(torch.tensor(LOGITS), op)(1, True)
        assert mine.values.tolist() == theirs.values.tolist() and mine.indices.tolist() == theirs.indices.tolist()
        assert (
            getattr(ag, op)(ag.tensor(LOGITS), dim=0).indices.tolist()
            == getattr(torch, op)(torch.tensor(LOGITS), dim=0).indices.tolist()
        )
