"""nn.functional: losses and activations against closed forms and torch.nn.functional (float64)."""

import numpy as np
import pytest

import nn.functional as F
from autograd_core import Tensor

REL = dict(rtol=1e-6, atol=1e-12)


def rng(seed=0):
    return np.random.default_rng(seed)


# ---------------------------------------------------------------------------------- closed forms
def test_mse_loss_reductions():
    y, t = Tensor([1.0, 2.0, 4.0]), np.array([1.0, 4.0, 1.0])
    assert F.mse_loss(y, t).item() == pytest.approx(13 / 3)
    assert F.mse_loss(y, t, reduction="sum").item() == pytest.approx(13.0)
    np.testing.assert_array_equal(F.mse_loss(y, t, reduction="none").data, [0.0, 4.0, 9.0])


def test_binary_cross_entropy_closed_form_and_floor():
    p, t = np.array([0.2, 0.9, 0.5]), np.array([0.0, 1.0, 1.0])
    expected = -(t * np.log(p) + (1 - t) * np.log(1 - p)).mean()
    assert F.binary_cross_entropy(Tensor(p), t).item() == pytest.approx(expected, rel=1e-12)
    # p = 0 against t = 1: log floored at -100 as in PyTorch; the gradient is finite (0), not NaN.
    p0 = Tensor([0.0, 1.0], requires_grad=True)
    loss = F.binary_cross_entropy(p0, [1.0, 0.0], reduction="sum")
    assert loss.item() == pytest.approx(200.0)
    loss.backward()
    assert np.isfinite(p0.grad).all()


def test_bce_with_logits_is_finite_and_exact_at_plus_minus_1000():
    logits = Tensor([1000.0, -1000.0, 1000.0, -1000.0, 0.0], requires_grad=True)
    target = np.array([1.0, 0.0, 0.0, 1.0, 1.0])
    loss = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    np.testing.assert_allclose(loss.data, [0.0, 0.0, 1000.0, 1000.0, np.log(2)], rtol=1e-12)
    loss.sum().backward()
    # d/dx = sigmoid(x) - t, exactly (at 0 too, despite the kinks of relu and abs there).
    np.testing.assert_allclose(logits.grad, [0.0, 0.0, 1.0, -1.0, -0.5], atol=1e-15)


def test_bce_with_logits_matches_bce_of_sigmoid():
    x = rng(1).normal(size=(4, 3)) * 3
    t = rng(2).uniform(size=(4, 3))
    a = F.binary_cross_entropy_with_logits(Tensor(x), t).item()
    b = F.binary_cross_entropy(Tensor(1 / (1 + np.exp(-x))), t).item()
    assert a == pytest.approx(b, rel=1e-10)


def test_cross_entropy_closed_form():
    logits = np.array([[2.0, 0.0, 0.0], [0.0, 1.0, 3.0]])
    labels = np.array([0, 1])
    log_softmax = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    expected = -log_softmax[[0, 1], labels]
    np.testing.assert_allclose(F.cross_entropy(Tensor(logits), labels, reduction="none").data, expected, rtol=1e-12)
    assert F.cross_entropy(Tensor(logits), labels).item() == pytest.approx(expected.mean(), rel=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_is_bit_for_bit_the_log_softmax_formula_one_op_shorter(dtype):
    """The common case is written logsumexp - x[label] (one recorded op fewer): the loss and the
    gradient must be the very floats of -log_softmax(x)[label].mean(), not just close to them."""
    import autograd_core as ag

    g = rng(3)
    x = (g.standard_normal((37, 7)) * 30).astype(dtype)
    labels = g.integers(0, 7, 37)
    fast = Tensor(x, requires_grad=True)
    loss = F.cross_entropy(fast, labels)
    loss.backward()
    reference = Tensor(x, requires_grad=True)
    expected = -reference.log_softmax(axis=1)[np.arange(37), labels].mean()
    expected.backward()
    assert loss.data.tobytes() == expected.data.tobytes() and loss.dtype == dtype
    assert fast.grad.tobytes() == reference.grad.tobytes()
    ops = [t.op for t in ag.walk(loss) if t.op is not None]
    assert len(ops) == len([t for t in ag.walk(expected) if t.op is not None]) - 1 and "neg" not in ops
    with pytest.raises(ValueError, match=r"labels must be in 0\.\.6"):
        F.cross_entropy(fast, np.r_[labels[:-1], 7])


def test_cross_entropy_is_stable_for_huge_logits():
    logits = Tensor([[1000.0, -1000.0], [-1000.0, 1000.0]], requires_grad=True)
    loss = F.cross_entropy(logits, np.array([1, 1]))
    assert loss.item() == pytest.approx(1000.0)
    loss.backward()
    np.testing.assert_allclose(logits.grad, [[0.5, -0.5], [0.0, 0.0]], atol=1e-15)


def test_softmax_and_log_softmax_accept_dim_as_pytorch():
    x = rng(3).normal(size=(2, 3, 4))
    np.testing.assert_allclose(F.softmax(x, dim=1).data.sum(axis=1), np.ones((2, 4)), rtol=1e-12)
    np.testing.assert_allclose(F.log_softmax(x, axis=0).data, np.log(F.softmax(x, axis=0).data), rtol=1e-10)


def test_penalties_values():
    params = [Tensor([[1.0, -2.0]], requires_grad=True), Tensor([3.0], requires_grad=True)]
    assert F.l1_penalty(params).item() == 6.0
    assert F.l2_penalty(iter(params)).item() == 14.0


# ---------------------------------------------------------------------------------- errors
@pytest.mark.parametrize("loss", [F.mse_loss, F.binary_cross_entropy, F.binary_cross_entropy_with_logits])
def test_n_against_n_by_1_raises_instead_of_broadcasting(loss):
    with pytest.raises(
        ValueError,
        match=r"input has shape \(4,\) but target has shape \(4, 1\).*"
        r"reshape one of them",
    ):
        loss(Tensor(np.full(4, 0.5)), np.full((4, 1), 0.5))


@pytest.mark.parametrize(
    "loss", [F.mse_loss, F.binary_cross_entropy, F.binary_cross_entropy_with_logits, F.cross_entropy]
)
def test_unknown_reduction_raises(loss):
    with pytest.raises(ValueError, match=r"reduction must be one of \('mean', 'sum', 'none'\), got 'avg'"):
        loss(Tensor([[0.5, 0.5]]), np.array([[0.0, 1.0]]), reduction="avg")


def test_binary_cross_entropy_rejects_values_outside_0_1():
    with pytest.raises(ValueError, match=r"every input value must be in \[0, 1\], found 1.5 at index \(1,\).*sigmoid"):
        F.binary_cross_entropy(Tensor([0.5, 1.5]), [0.0, 1.0])
    with pytest.raises(ValueError, match=r"every target value must be in \[0, 1\], found -1.0 at index \(0,\)"):
        F.binary_cross_entropy(Tensor([0.5, 0.5]), [-1.0, 1.0])


def test_binary_cross_entropy_of_a_nan_probability_is_nan_but_a_nan_target_is_refused():
    assert np.isnan(F.binary_cross_entropy(Tensor([np.nan, 0.5]), [1.0, 0.0]).item())
    with pytest.raises(ValueError, match=r"every target value must be in \[0, 1\], found nan at index \(1,\)"):
        F.binary_cross_entropy(Tensor([0.5, 0.5]), [1.0, np.nan])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_binary_cross_entropy_with_logits_refuses_a_non_finite_target_but_not_a_nan_logit(bad):
    assert np.isnan(F.binary_cross_entropy_with_logits(Tensor([np.nan, 0.5]), [1.0, 0.0]).item())
    with pytest.raises(
        ValueError,
        match=rf"binary_cross_entropy_with_logits: every target value must be "
        rf"finite, found {bad} at index \(1, 0\)",
    ):
        F.binary_cross_entropy_with_logits(Tensor(np.zeros((2, 2))), [[1.0, 0.0], [bad, 1.0]])


def test_cross_entropy_label_errors_name_k_min_max_and_first_bad_index():
    logits = Tensor(np.zeros((4, 3)))
    with pytest.raises(
        ValueError,
        match=r"labels must be in 0\.\.2 for K=3 classes; found min -1, max 3, "
        r"first bad label 3 at index 1",
    ):
        F.cross_entropy(logits, np.array([0, 3, -1, 2]))
    # one reduction over the labels read as unsigned checks both bounds, in every integer dtype
    for dtype in (np.int8, np.int32, np.int64):
        with pytest.raises(ValueError, match=r"found min -1, max 2, first bad label -1 at index 3"):
            F.cross_entropy(logits, np.array([0, 1, 2, -1], dtype))
    for labels in (np.array([0, 1, 2**63 + 1, 0], np.uint64), np.array([2, 2, 0, 255], np.uint8)):
        with pytest.raises(ValueError, match=rf"first bad label {labels[labels > 2][0]} at index"):
            F.cross_entropy(logits, labels)
    uint8 = np.array([2, 0, 1], np.uint8)
    assert F.class_indices("f", uint8, 3, 3) is uint8  # as given: a compiled step reads the argument afresh
    with pytest.raises(TypeError, match=r"class indices must be integers, got dtype bool"):
        F.cross_entropy(logits, np.array([True, False, True, False]))
    with pytest.raises(ValueError, match=r"class indices must have shape \(4,\).*got shape \(4, 1\).*reshape\(-1\)"):
        F.cross_entropy(logits, np.zeros((4, 1), dtype=int))
    with pytest.raises(ValueError, match=r"probability targets must have the logits' shape \(4, 3\), got \(4,\)"):
        F.cross_entropy(logits, np.array([0.0, 1.0, 2.0, 1.0]))
    with pytest.raises(ValueError, match=r"input must be logits of shape \(N, K\), got shape \(\); one example's"):
        F.cross_entropy(Tensor(0.0), np.array(1))  # (3,) is one example, as PyTorch's unbatched input


def test_label_check_remembered_by_value_still_catches_every_change():
    from nn import labels as nn_labels

    logits = Tensor(np.zeros((4, 3)))
    y = np.array([0, 1, 2, 1])
    F.cross_entropy(logits, y)
    assert nn_labels._last_in_bounds == (y.dtype, 3, y.tobytes())  # a repeat of these values skips the reduction
    y[2] = -1  # changed in place: numpy keeps no version, so the cache compares the values themselves
    with pytest.raises(ValueError, match=r"first bad label -1 at index 2"):
        F.cross_entropy(logits, y)
    y[2] = 2
    F.cross_entropy(logits, y)
    with pytest.raises(ValueError, match=r"labels must be in 0\.\.1 for K=2"):  # the same bytes, fewer classes
        F.cross_entropy(Tensor(np.zeros((4, 2))), y)
    # the same bytes in another dtype are other labels: uint8 150 is in 0..199, int8 -106 is not
    wide = np.array([150, 3], np.uint8)
    F.class_indices("f", wide, 2, 200)
    with pytest.raises(ValueError, match=r"first bad label -106 at index 0"):
        F.class_indices("f", wide.view(np.int8), 2, 200)


def test_penalty_errors():
    with pytest.raises(TypeError, match=r"l1_penalty: expected a non-empty iterable of Tensors"):
        F.l1_penalty([])
    with pytest.raises(TypeError, match=r"l2_penalty: expected a non-empty iterable of Tensors.*ndarray"):
        F.l2_penalty([np.ones(3)])


# ---------------------------------------------------------------------------------- torch oracle
def torch_pair(array):
    torch = pytest.importorskip("torch")
    return Tensor(array, requires_grad=True), torch.tensor(array, dtype=torch.float64, requires_grad=True)


def compare(ours_fn, torch_fn, inputs, targets):
    """Value and gradient, through the non-uniform loss ((out + 1)**2).mean() for 'none'."""
    torch = pytest.importorskip("torch")
    ours_in, torch_in = torch_pair(inputs)
    torch_target = torch.tensor(targets)
    out, ref = ours_fn(ours_in, targets), torch_fn(torch_in, torch_target)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), **REL)
    ((out + 1) ** 2).mean().backward()
    ((ref + 1) ** 2).mean().backward()
    np.testing.assert_allclose(ours_in.grad, torch_in.grad.numpy(), **REL)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_losses_match_torch(reduction):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    r = rng(7)
    x, t = r.normal(size=(5, 3)), r.normal(size=(5, 3))
    compare(lambda a, b: F.mse_loss(a, b, reduction), lambda a, b: tf.mse_loss(a, b, reduction=reduction), x, t)
    p, soft = r.uniform(0.05, 0.95, size=(5, 3)), r.uniform(size=(5, 3))
    compare(
        lambda a, b: F.binary_cross_entropy(a, b, reduction),
        lambda a, b: tf.binary_cross_entropy(a, b, reduction=reduction),
        p,
        soft,
    )
    logits = r.normal(size=(5, 3)) * 4
    compare(
        lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction),
        lambda a, b: tf.binary_cross_entropy_with_logits(a, b, reduction=reduction),
        logits,
        soft,
    )
    labels = r.integers(0, 3, size=5)
    compare(
        lambda a, b: F.cross_entropy(a, b, reduction),
        lambda a, b: tf.cross_entropy(a, b, reduction=reduction),
        logits,
        labels,
    )
    probs = r.dirichlet(np.ones(3), size=5)
    compare(
        lambda a, b: F.cross_entropy(a, b, reduction),
        lambda a, b: tf.cross_entropy(a, b, reduction=reduction),
        logits,
        probs,
    )


def test_bce_with_logits_matches_torch_at_plus_minus_1000():
    torch = pytest.importorskip("torch")
    logits = np.array([1000.0, -1000.0, 1000.0, -1000.0, 30.0, -30.0])
    target = np.array([1.0, 0.0, 0.0, 1.0, 0.25, 0.75])
    compare(F.binary_cross_entropy_with_logits, torch.nn.functional.binary_cross_entropy_with_logits, logits, target)


def test_softmax_and_log_softmax_match_torch():
    torch = pytest.importorskip("torch")
    x = rng(8).normal(size=(4, 5)) * 10
    for axis in (0, 1):
        compare(
            lambda a, _, axis=axis: F.softmax(a, axis),
            lambda a, _, axis=axis: torch.softmax(a, dim=axis),
            x,
            np.zeros(1),
        )
        compare(
            lambda a, _, axis=axis: F.log_softmax(a, axis),
            lambda a, _, axis=axis: torch.log_softmax(a, dim=axis),
            x,
            np.zeros(1),
        )


# ---------------------------------------------------------------------------------- F.gelu, F.leaky_relu, F.dropout
@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_functional_gelu_and_leaky_relu_equal_torch_and_their_layers(approximate):
    import nn

    x = rng(3).normal(size=(4, 5)) * 3
    x[np.abs(x) < 1e-3] = 0.5  # away from leaky_relu's kink
    for ours, layer, theirs in [
        (lambda t: F.gelu(t, approximate), nn.GELU(approximate), "gelu"),
        (lambda t: F.leaky_relu(t, 0.2), nn.LeakyReLU(0.2), "leaky_relu"),
    ]:
        t = Tensor(x, requires_grad=True)
        out = ours(t)
        np.testing.assert_array_equal(out.data, layer(x).data)  # the layer is the function
        (out * x).sum().backward()
        torch = pytest.importorskip("torch")
        tt = torch.tensor(x, requires_grad=True)
        kwargs = {"approximate": approximate} if theirs == "gelu" else {"negative_slope": 0.2}
        expected = getattr(torch.nn.functional, theirs)(tt, **kwargs)
        (expected * torch.tensor(x)).sum().backward()
        np.testing.assert_allclose(out.data, expected.detach().numpy(), **REL)
        np.testing.assert_allclose(t.grad, tt.grad.numpy(), **REL)


def test_functional_dropout_scales_what_it_keeps_and_is_the_identity_when_not_training():
    x = Tensor(np.ones((200, 50)), requires_grad=True)
    out = F.dropout(x, 0.3, generator=np.random.default_rng(0))
    kept = out.data != 0
    np.testing.assert_allclose(out.data[kept], 1 / 0.7)
    assert abs(kept.mean() - 0.7) < 0.02  # 10,000 draws: 5 standard deviations is 0.023
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, np.where(kept, 1 / 0.7, 0.0))  # the gradient takes the same mask
    assert F.dropout(x, 0.3, training=False) is x and not F.dropout(x, 1.0).data.any()
    same = [F.dropout(np.ones(8), 0.5, generator=np.random.default_rng(1)).data for _ in range(2)]
    np.testing.assert_array_equal(*same)


def test_functional_activations_name_a_bad_argument():
    with pytest.raises(ValueError, match=r"gelu: approximate must be 'none' or 'tanh', got 'erf'"):
        F.gelu(np.ones(2), "erf")
    with pytest.raises(ValueError, match=r"dropout: p must be a probability in \[0, 1\], got 1.5"):
        F.dropout(np.ones(2), 1.5)


# ---------------------------------------------------------------------------------- F.one_hot
@pytest.mark.parametrize(
    "labels, k", [(np.array([2, 0, 1, 2]), 3), (np.array([[1, 0], [3, 3]]), -1), (np.array([0]), 5)]
)
def test_one_hot_equals_torch(labels, k):
    got = F.one_hot(Tensor(labels) if labels.ndim == 1 else labels, k)
    width = labels.max() + 1 if k == -1 else k
    assert got.dtype == np.int64 and got.shape == labels.shape + (width,)
    np.testing.assert_array_equal(got.data.argmax(-1), labels)
    np.testing.assert_array_equal(got.data.sum(-1), 1)
    torch = pytest.importorskip("torch")
    assert got.tolist() == torch.nn.functional.one_hot(torch.tensor(labels), k).tolist()


@pytest.mark.parametrize(
    "labels, k, error, message",
    [
        (np.array([0.0, 1.0]), 2, TypeError, r"one_hot: class indices must be integers, got dtype float64"),
        (np.array([0, 3]), 3, ValueError, r"one_hot: labels must be in 0..2 for num_classes=3; found min 0, max 3"),
        (np.array([-1, 0]), -1, ValueError, r"labels must be in 0..0 .* found min -1"),
        (np.array([0]), 0.5, ValueError, r"num_classes must be a positive int or -1"),
        (np.zeros(0, np.int64), -1, ValueError, r"cannot infer num_classes from empty labels"),
    ],
)
def test_one_hot_says_what_is_wrong(labels, k, error, message):
    with pytest.raises(error, match=message):
        F.one_hot(labels, k)
