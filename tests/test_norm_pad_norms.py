"""InstanceNorm1d/2d/3d (F.instance_norm), RMSNorm (F.rms_norm) and LocalResponseNorm (F.local_response_norm):
values and gradients against torch (float64, 1e-10) and against closed forms and central differences without it;
InstanceNorm's running statistics in training and eval; state dicts that load across; reprs; refusals."""

import warnings

import numpy as np
import pytest
from norm_pad_helpers import assert_agrees_with_torch, assert_gradcheck, rng

import autograd_core as ag
import nn
import nn.functional as F

X = rng.normal(1.5, 2.0, size=(3, 4, 5))


def _instance_standardised(x, eps=1e-5):
    axes = tuple(range(2, x.ndim))
    return (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + eps)


def test_instance_norm_standardises_each_example_s_channel_and_moves_the_running_statistics():
    mean, var = np.zeros(4), np.ones(4)
    out = F.instance_norm(X, mean, var, momentum=0.25)
    np.testing.assert_allclose(out.data, _instance_standardised(X), rtol=1e-12)
    # torch's rule: the batch's mean of each instance's mean and of each instance's unbiased variance
    np.testing.assert_allclose(mean, 0.25 * X.mean(axis=2).mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(var, 0.75 + 0.25 * X.var(axis=2, ddof=1).mean(axis=0), rtol=1e-12)


def test_instance_norm_with_the_running_statistics_uses_them_and_leaves_them():
    mean, var, w, b = np.arange(4.0), np.arange(1.0, 5.0), np.linspace(0.5, 2, 4), np.linspace(-1, 1, 4)
    out = F.instance_norm(X, mean, var, w, b, use_input_stats=False, eps=1e-3)
    s = (1, 4, 1)
    want = (X - mean.reshape(s)) / np.sqrt(var.reshape(s) + 1e-3) * w.reshape(s) + b.reshape(s)
    np.testing.assert_allclose(out.data, want, rtol=1e-12)
    assert mean.tolist() == [0.0, 1.0, 2.0, 3.0]


@pytest.mark.parametrize("shape", [(3, 4, 5), (2, 4, 3, 2), (2, 4, 2, 2, 3)])
@pytest.mark.parametrize("use_input_stats", [True, False])
def test_instance_norm_equals_torch_in_value_gradient_and_running_statistics(shape, use_input_stats):
    torch = pytest.importorskip("torch")
    x, w, b = rng.normal(2.0, 3.0, size=shape), rng.normal(size=4), rng.normal(size=4)
    ours_stats, theirs_stats = (np.full(4, 0.5), np.full(4, 2.0)), (torch.full((4,), 0.5), torch.full((4,), 2.0))
    theirs_stats = tuple(s.double() for s in theirs_stats)
    assert_agrees_with_torch(
        torch,
        lambda x, w, b: F.instance_norm(x, *ours_stats, w, b, use_input_stats, 0.3),
        lambda x, w, b: torch.nn.functional.instance_norm(x, *theirs_stats, w, b, use_input_stats, 0.3),
        x,
        w,
        b,
    )
    for ours, theirs in zip(ours_stats, theirs_stats):
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-12)


def test_instance_norm_gradients_by_central_differences():
    assert_gradcheck(lambda x, w, b: F.instance_norm(x, None, None, w, b), X[:2, :, :4], rng.normal(size=4), X[0, :, 0])
    assert_gradcheck(lambda x: nn.InstanceNorm2d(4)(x) ** 3, rng.normal(size=(2, 4, 2, 3)))


def test_instance_norm_layers_train_on_the_instances_and_evaluate_on_the_running_statistics():
    norm = nn.InstanceNorm1d(4, momentum=0.5, affine=True, track_running_stats=True)
    out = norm(X)
    np.testing.assert_allclose(out.data, _instance_standardised(X), rtol=1e-12)  # weight 1, bias 0
    np.testing.assert_allclose(norm.running_mean, 0.5 * X.mean(axis=(0, 2)), rtol=1e-12)
    np.testing.assert_allclose(norm.running_var, 0.5 + 0.5 * X.var(axis=2, ddof=1).mean(axis=0), rtol=1e-12)
    assert int(norm.num_batches_tracked) == 0  # as torch's: its instance norm never counts
    before = norm.running_mean.copy()
    norm.eval()
    s = (1, 4, 1)
    want = (X - norm.running_mean.reshape(s)) / np.sqrt(norm.running_var.reshape(s) + 1e-5)
    np.testing.assert_allclose(norm(X).data, want, rtol=1e-12)
    np.testing.assert_array_equal(norm.running_mean, before)  # eval moves nothing
    plain = nn.InstanceNorm1d(4).eval()  # no running statistics: the instance's own, in eval too
    np.testing.assert_allclose(plain(X).data, _instance_standardised(X), rtol=1e-12)
    np.testing.assert_allclose(nn.InstanceNorm1d(4)(X[0]).data, _instance_standardised(X)[0], rtol=1e-12)  # (C, L)


@pytest.mark.parametrize("layer", ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"])
def test_instance_norm_layers_equal_torch_s_and_load_their_state_dict(layer):
    torch = pytest.importorskip("torch")
    dims = {"InstanceNorm1d": 1, "InstanceNorm2d": 2, "InstanceNorm3d": 3}[layer]
    theirs = getattr(torch.nn, layer)(4, momentum=0.2, affine=True, track_running_stats=True).double()
    with torch.no_grad():
        theirs.weight.uniform_(0.5, 1.5)
        theirs.bias.uniform_(-1, 1)
    ours = getattr(nn, layer)(4, momentum=0.2, affine=True, track_running_stats=True)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert repr(ours) == repr(theirs)
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    x = rng.normal(1.0, 2.0, size=(2, 4) + (3,) * dims)
    for training in (True, False):
        ours.train(training), theirs.train(training)
        np.testing.assert_allclose(ours(x).data, theirs(torch.tensor(x)).detach().numpy(), rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), rtol=1e-12)
    assert repr(nn.InstanceNorm2d(3, affine=True, bias=False)) == repr(
        torch.nn.InstanceNorm2d(3, affine=True, bias=False)
    )
    assert "bias" not in nn.InstanceNorm2d(3, affine=True, bias=False).state_dict()


def test_instance_norm_refuses_what_it_cannot_normalise():
    with pytest.raises(ValueError, match=r"instance_norm: expected more than 1 spatial element.*shape \(2, 4, 1\)"):
        F.instance_norm(np.ones((2, 4, 1)))
    with pytest.raises(
        ValueError, match=r"InstanceNorm2d\(4\): expected an input of shape \(N, C, H, W\) or \(C, H, W\)"
    ):
        nn.InstanceNorm2d(4)(np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"the input's 3 channels .* build the layer with num_features=3"):
        nn.InstanceNorm1d(4, affine=True)(np.ones((2, 3, 5)))
    with warnings.catch_warnings(record=True) as caught:  # no per-channel state: it works, and says so (torch's)
        warnings.simplefilter("always")
        nn.InstanceNorm1d(4)(rng.normal(size=(2, 3, 5)))
    assert "do not match num_features 4" in str(caught[0].message)
    with pytest.raises(ValueError, match="use_input_stats=False it normalises with running_mean and running_var"):
        F.instance_norm(X, use_input_stats=False)


def test_rms_norm_divides_by_the_root_mean_square_over_the_last_axes():
    x, w = rng.normal(size=(3, 2, 4)), rng.normal(size=(2, 4))
    out = F.rms_norm(x, (2, 4), w, eps=1e-6)
    want = x / np.sqrt((x**2).mean(axis=(1, 2), keepdims=True) + 1e-6) * w
    np.testing.assert_allclose(out.data, want, rtol=1e-12)
    tiny = F.rms_norm(np.zeros((1, 3)), 3)  # eps None: float64's machine epsilon keeps 0 / sqrt(0 + eps) finite
    assert tiny.data.tolist() == [[0.0, 0.0, 0.0]]
    assert_gradcheck(lambda x, w: F.rms_norm(x, (4,), w) ** 2, rng.normal(size=(3, 4)), rng.normal(size=4))


def test_rms_norm_equals_torch_s_and_the_layer_loads_its_state_dict():
    torch = pytest.importorskip("torch")
    x, w = rng.normal(size=(3, 2, 4)), rng.normal(size=4)
    for eps in (None, 1e-3):
        assert_agrees_with_torch(
            torch,
            lambda x, w, eps=eps: F.rms_norm(x, (4,), w, eps),
            lambda x, w, eps=eps: torch.nn.functional.rms_norm(x, (4,), w, eps),
            x,
            w,
        )
    theirs = torch.nn.RMSNorm((2, 4), eps=1e-4).double()
    with torch.no_grad():
        theirs.weight.uniform_(0.5, 1.5)
    ours = nn.RMSNorm((2, 4), eps=1e-4)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    np.testing.assert_allclose(ours(x).data, theirs(torch.tensor(x)).detach().numpy(), rtol=1e-12)
    assert repr(ours) == repr(theirs) and repr(nn.RMSNorm(4)) == repr(torch.nn.RMSNorm(4))
    assert repr(nn.RMSNorm(3, elementwise_affine=False)) == repr(torch.nn.RMSNorm(3, elementwise_affine=False))


def test_rms_norm_refuses_a_shape_that_does_not_end_in_normalized_shape():
    with pytest.raises(ValueError, match=r"RMSNorm\(\(4,\)\): the input's last axes must be \(4,\), got an input of"):
        nn.RMSNorm(4)(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"rms_norm: the input's last axes must be normalized_shape \(3,\)"):
        F.rms_norm(np.ones((2, 4)), 3)


def _lrn_by_loops(x, size, alpha, beta, k):
    out = np.empty_like(x)
    channels = x.shape[1]
    for c in range(channels):
        window = range(max(c - size // 2, 0), min(c + (size - 1) // 2, channels - 1) + 1)
        energy = sum(x[:, j] ** 2 for j in window)
        out[:, c] = x[:, c] / (k + alpha / size * energy) ** beta
    return out


@pytest.mark.parametrize("size", [1, 2, 3, 4, 7])
def test_local_response_norm_by_its_definition_and_central_differences(size):
    x = rng.normal(size=(2, 5, 3))
    np.testing.assert_allclose(
        F.local_response_norm(x, size, 0.1, 0.75, 2.0).data, _lrn_by_loops(x, size, 0.1, 0.75, 2.0)
    )
    assert_gradcheck(lambda t: F.local_response_norm(t, size, 0.5, 0.75, 1.0), rng.normal(size=(1, 4, 2, 2)))


@pytest.mark.parametrize("shape", [(2, 5, 3), (2, 6, 3, 2), (1, 4, 2, 2, 3)])
def test_local_response_norm_equals_torch_s(shape):
    torch = pytest.importorskip("torch")
    x = rng.normal(size=shape)
    for size in (2, 3):
        assert_agrees_with_torch(
            torch,
            lambda t, size=size: nn.LocalResponseNorm(size, alpha=0.3, beta=0.6, k=1.5)(t),
            lambda t, size=size: torch.nn.LocalResponseNorm(size, alpha=0.3, beta=0.6, k=1.5)(t),
            x,
        )
    assert repr(nn.LocalResponseNorm(3, 1e-3)) == repr(torch.nn.LocalResponseNorm(3, 1e-3))


def test_local_response_norm_needs_a_channel_and_a_position_axis():
    with pytest.raises(ValueError, match=r"local_response_norm: expected an input of 3 or more axes .* \(2, 3\); give"):
        nn.LocalResponseNorm(2)(np.ones((2, 3)))
    with pytest.raises(ValueError, match="LocalResponseNorm: size must be a positive int"):
        nn.LocalResponseNorm(0)
    assert isinstance(nn.LocalResponseNorm(2)(ag.ones(1, 2, 3)), ag.Tensor)


def test_a_model_with_an_integer_counter_buffer_saves_and_loads(tmp_path):
    # nn.load refused the int64 num_batches_tracked of BatchNorm(momentum=None) ("dtype int64 is not floating-point"),
    # and so every InstanceNorm with running statistics (torch's buffers: the counter too)
    model = nn.Sequential(
        nn.InstanceNorm1d(2, affine=True, track_running_stats=True), nn.RMSNorm(3), nn.BatchNorm1d(2, momentum=None)
    )
    x = rng.normal(size=(4, 2, 3))
    model(x)
    loaded = nn.load(nn.save(model, tmp_path / "norms.npz"))
    assert int(loaded[2].num_batches_tracked) == 1
    np.testing.assert_array_equal(loaded[0].running_var, model[0].running_var)
    model.eval(), loaded.eval()
    np.testing.assert_array_equal(loaded(x).data, model(x).data)
    assert repr(loaded) == repr(model)


@pytest.mark.parametrize(
    ("lazy", "plain", "shape"),
    [
        ("LazyInstanceNorm1d", "InstanceNorm1d", (2, 3, 4)),
        ("LazyInstanceNorm2d", "InstanceNorm2d", (3, 2, 2)),
        ("LazyInstanceNorm3d", "InstanceNorm3d", (1, 3, 2, 2, 2)),
    ],
)
def test_lazy_instance_norms_read_num_features_from_the_first_input(lazy, plain, shape):
    layer = getattr(nn, lazy)(affine=True, track_running_stats=True)
    optimizer = nn.optim.SGD(layer.parameters(), lr=0.1)  # made before the size is known
    x = rng.normal(size=shape)
    out = layer(x)
    channels = shape[0] if len(shape) == 3 and plain == "InstanceNorm2d" else shape[1]  # (C, H, W): unbatched
    assert type(layer) is getattr(nn, plain) and layer.num_features == channels
    np.testing.assert_array_equal(out.data, getattr(nn, plain)(channels, affine=True, track_running_stats=True)(x).data)
    (out * rng.normal(size=shape)).sum().backward()
    optimizer.step()
    assert not np.array_equal(layer.bias.data, np.zeros(channels))  # the optimizer holds the built parameters
    fresh = getattr(nn, lazy)(affine=True, track_running_stats=True)
    fresh.load_state_dict(layer.state_dict())  # sized by the saved state
    np.testing.assert_array_equal(fresh.bias.data, layer.bias.data)
    torch = pytest.importorskip("torch")
    assert repr(layer) == repr(getattr(torch.nn, plain)(channels, affine=True, track_running_stats=True))
