"""``F.batch_norm``, ``F.layer_norm``, ``F.group_norm``: PyTorch's functional forms, the formulas the layers call.
Values and gradients against closed forms and ``ag.gradcheck`` (and torch where installed), the running statistics'
update, the layers' equality with them, and the refusals."""

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F

rng = np.random.default_rng(0)
X4 = rng.normal(2.0, 3.0, size=(4, 6, 3, 2))


def test_batch_norm_in_training_standardises_each_channel_and_updates_the_running_statistics():
    mean, var = np.zeros(6), np.ones(6)
    out = F.batch_norm(X4, mean, var, training=True, momentum=0.25)
    axes = (0, 2, 3)
    want = (X4 - X4.mean(axes, keepdims=True)) / np.sqrt(X4.var(axes, keepdims=True) + 1e-5)
    np.testing.assert_allclose(out.data, want, rtol=1e-12)
    np.testing.assert_allclose(mean, 0.25 * X4.mean(axes), rtol=1e-12)
    np.testing.assert_allclose(var, 0.75 + 0.25 * X4.var(axes, ddof=1), rtol=1e-12)  # unbiased, as torch's


def test_batch_norm_in_eval_uses_the_running_statistics_and_leaves_them():
    mean, var = np.arange(6.0), np.arange(1.0, 7.0)
    w, b = np.linspace(0.5, 1.5, 6), np.linspace(-1, 1, 6)
    out = F.batch_norm(X4, mean, var, w, b, eps=1e-3)
    shape = (1, 6, 1, 1)
    want = (X4 - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + 1e-3) * w.reshape(shape) + b.reshape(shape)
    np.testing.assert_allclose(out.data, want, rtol=1e-12)
    assert mean.tolist() == list(range(6))


def test_the_functions_gradients_by_finite_differences():
    x = ag.tensor(rng.normal(size=(3, 4, 2)), requires_grad=True)
    w, b = (ag.tensor(rng.normal(size=4), requires_grad=True) for _ in range(2))
    assert ag.gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), (x, w, b))
    assert ag.gradcheck(lambda x, w, b: F.group_norm(x, 2, w, b), (x, w, b))
    v, c = (ag.tensor(rng.normal(size=(4, 2)), requires_grad=True) for _ in range(2))
    assert ag.gradcheck(lambda x, v, c: F.layer_norm(x, (4, 2), v, c), (x, v, c))


def test_layer_norm_and_group_norm_standardise_their_axes():
    out = F.layer_norm(X4, (3, 2))
    flat = X4.reshape(4, 6, 6)
    want = (flat - flat.mean(-1, keepdims=True)) / np.sqrt(flat.var(-1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(out.data, want.reshape(X4.shape), rtol=1e-12)
    grouped = X4.reshape(4, 3, 12)
    want = (grouped - grouped.mean(-1, keepdims=True)) / np.sqrt(grouped.var(-1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(F.group_norm(X4, 3).data, want.reshape(X4.shape), rtol=1e-12)


@pytest.mark.parametrize("training", [True, False])
def test_the_layers_are_the_functions(training):
    layer = nn.BatchNorm2d(6, momentum=0.3)
    layer.running_mean[:] = np.arange(6.0)
    layer.train(training)
    mean, var = layer.running_mean.copy(), layer.running_var.copy()
    out = layer(X4)
    np.testing.assert_array_equal(out.data, F.batch_norm(X4, mean, var, training=training, momentum=0.3).data)
    np.testing.assert_array_equal(layer.running_mean, mean)
    np.testing.assert_array_equal(nn.LayerNorm((3, 2))(X4).data, F.layer_norm(X4, (3, 2)).data)
    np.testing.assert_array_equal(nn.GroupNorm(2, 6)(X4).data, F.group_norm(X4, 2).data)


def test_the_functions_equal_torch_s():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    t = torch.tensor(X4)
    w, b = rng.normal(size=6), rng.normal(size=6)
    for training in (True, False):
        ours_stats, theirs_stats = (
            (np.ones(6), np.full(6, 2.0)),
            (torch.ones(6, dtype=torch.float64), torch.full((6,), 2.0, dtype=torch.float64)),
        )
        ours = F.batch_norm(X4, *ours_stats, w, b, training=training, momentum=0.2)
        theirs = tf.batch_norm(t, *theirs_stats, torch.tensor(w), torch.tensor(b), training=training, momentum=0.2)
        np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-12, atol=1e-12)
        for mine, their in zip(ours_stats, theirs_stats):
            np.testing.assert_allclose(mine, their.numpy(), rtol=1e-12)
    np.testing.assert_allclose(F.layer_norm(X4, (2,)).data, tf.layer_norm(t, (2,)).numpy(), rtol=1e-12, atol=1e-12)
    ours = F.group_norm(X4, 3, w, b).data
    np.testing.assert_allclose(
        ours, tf.group_norm(t, 3, torch.tensor(w), torch.tensor(b)).numpy(), rtol=1e-12, atol=1e-12
    )


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: F.batch_norm(X4, None, None), ValueError, r"training=False it normalises with running_mean"),
        (lambda: F.batch_norm(X4, np.zeros(5), np.ones(6)), ValueError, r"running_mean must have shape \(6,\)"),
        (lambda: F.batch_norm(X4, [0.0] * 6, np.ones(6)), TypeError, r"running_mean must be a float numpy array"),
        (lambda: F.batch_norm(X4, None, None, training=True, momentum=None), ValueError, r"momentum must be.*None"),
        (lambda: F.batch_norm(X4[:1, :, :1, :1], None, None, training=True), ValueError, r"more than 1 value"),
        (lambda: F.batch_norm(np.ones(3), None, None, training=True), ValueError, r"\(N, C, \.\.\.\), got \(3,\)"),
        (
            lambda: F.layer_norm(X4, (3,)),
            ValueError,
            r"last axes must be normalized_shape \(3,\), got .*\(4, 6, 3, 2\)",
        ),
        (lambda: F.layer_norm(X4, 2, np.ones(3)), ValueError, r"layer_norm: weight must have shape \(2,\)"),
        (lambda: F.group_norm(X4, 4), ValueError, r"6 channels must split into num_groups \(4\)"),
        (lambda: F.group_norm(X4, 0), ValueError, r"num_groups must be a positive int"),
        (lambda: F.group_norm(X4, 2, bias=np.ones(2)), ValueError, r"group_norm: bias must have shape \(6,\)"),
    ],
)
def test_bad_input_is_refused_naming_the_function(call, error, message):
    with pytest.raises(error, match=message):
        call()
