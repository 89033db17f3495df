"""BatchNorm gaps a torch user meets: ``momentum=None`` (PyTorch's cumulative moving average: the running statistics
are the plain mean over every training batch so far, counted in ``num_batches_tracked``; refused before),
``BatchNorm3d`` (missing before), and ``track_running_stats=False`` / ``affine=False`` as torch's."""

import numpy as np
import pytest

import nn

SHAPES = {nn.BatchNorm1d: (8, 3), nn.BatchNorm2d: (4, 3, 2, 3), nn.BatchNorm3d: (2, 3, 2, 2, 3)}


def _batches(shape, n=5, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(i, 1.0 + i, size=shape) for i in range(n)]


def _channel_axes(x):
    return (0,) + tuple(range(2, x.ndim))


@pytest.mark.parametrize("layer", list(SHAPES))
def test_momentum_none_keeps_the_mean_of_every_batch_s_statistics(layer):
    bn = layer(3, momentum=None)
    batches = _batches(SHAPES[layer])
    for x in batches:
        bn(x)
    axes = _channel_axes(batches[0])
    means = np.mean([x.mean(axis=axes) for x in batches], axis=0)
    variances = np.mean([x.var(axis=axes, ddof=1) for x in batches], axis=0)  # unbiased, as every BatchNorm's
    np.testing.assert_allclose(bn.running_mean, means, rtol=1e-13)
    np.testing.assert_allclose(bn.running_var, variances, rtol=1e-13)
    assert int(bn.num_batches_tracked) == 5 and bn.num_batches_tracked.dtype == np.int64
    bn.eval()
    x = batches[0]
    shape = (1, 3) + (1,) * (x.ndim - 2)
    expected = (x - means.reshape(shape)) / np.sqrt(variances.reshape(shape) + 1e-5)
    np.testing.assert_allclose(bn(x).data, expected, rtol=1e-12)
    assert int(bn.num_batches_tracked) == 5  # evaluation counts no batch
    assert "momentum=None" in repr(bn)


def test_momentum_none_saves_its_counter_and_resumes_the_same_average():
    batches = _batches((8, 3), n=6)
    whole = nn.BatchNorm1d(3, momentum=None)
    for x in batches:
        whole(x)
    first = nn.BatchNorm1d(3, momentum=None)
    for x in batches[:3]:
        first(x)
    state = first.state_dict()
    assert sorted(state) == ["bias", "num_batches_tracked", "running_mean", "running_var", "weight"]
    resumed = nn.BatchNorm1d(3, momentum=None)
    resumed.load_state_dict(state)  # strict: the integer counter loads as the floats do
    assert int(resumed.num_batches_tracked) == 3
    for x in batches[3:]:
        resumed(x)
    np.testing.assert_allclose(resumed.running_mean, whole.running_mean, rtol=1e-14)
    np.testing.assert_allclose(resumed.running_var, whole.running_var, rtol=1e-14)


def test_a_default_momentum_counts_batches_but_keeps_its_state_dict_names():
    bn = nn.BatchNorm2d(3)
    for x in _batches(SHAPES[nn.BatchNorm2d], n=2):
        bn(x)
    assert int(bn.num_batches_tracked) == 2 and sorted(bn.state_dict()) == [
        "bias",
        "running_mean",
        "running_var",
        "weight",
    ]
    untracked = nn.BatchNorm1d(3, track_running_stats=False, momentum=None)
    assert not hasattr(untracked, "num_batches_tracked") and sorted(untracked.state_dict()) == ["bias", "weight"]
    x = _batches((8, 3))[1]
    out = untracked.eval()(x).data  # no running statistics: the batch's own, in eval too
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-12)
    assert sorted(nn.BatchNorm1d(3, affine=False).state_dict()) == ["running_mean", "running_var"]


def test_bad_momentum_and_shapes_are_refused_naming_the_layer():
    with pytest.raises(ValueError, match=r"BatchNorm3d: momentum must be a number > 0 and <= 1.0, got 1.5"):
        nn.BatchNorm3d(3, momentum=1.5)
    with pytest.raises(
        ValueError, match=r"BatchNorm3d\(3\): expected an input of shape \(N, 3, D, H, W\), got \(3, 2, 2, 2\)"
    ):
        nn.BatchNorm3d(3)(np.ones((3, 2, 2, 2)))


@pytest.mark.parametrize("layer", list(SHAPES))
@pytest.mark.parametrize(
    "options",
    [{"momentum": None}, {"track_running_stats": False}, {"affine": False}, {"momentum": None, "affine": False}],
)
def test_batch_norm_options_match_pytorch(layer, options):
    torch = pytest.importorskip("torch")
    ours, theirs = layer(3, **options), getattr(torch.nn, layer.__name__)(3, **options).double()
    for x in _batches(SHAPES[layer], n=4, seed=1):
        xt = torch.tensor(x, requires_grad=True)
        out, expected = ours(x), theirs(xt)
        np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    if ours.track_running_stats:
        np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), rtol=1e-12)
        np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), rtol=1e-12)
        assert int(ours.num_batches_tracked) == int(theirs.num_batches_tracked) == 4
    ours.eval(), theirs.eval()
    x = _batches(SHAPES[layer], n=1, seed=2)[0]
    np.testing.assert_allclose(ours(x).data, theirs(torch.tensor(x)).detach().numpy(), rtol=1e-10, atol=1e-12)
    saved = set(theirs.state_dict())
    assert set(ours.state_dict()) == (
        saved if options.get("momentum", 0.1) is None else saved - {"num_batches_tracked"}
    )


def test_a_pytorch_momentum_none_state_dict_loads_strictly():
    torch = pytest.importorskip("torch")
    theirs = torch.nn.BatchNorm1d(3, momentum=None).double()
    for x in _batches((8, 3), n=3):
        theirs(torch.tensor(x))
    ours = nn.BatchNorm1d(3, momentum=None)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert int(ours.num_batches_tracked) == 3
    x = _batches((8, 3), n=1, seed=5)[0]
    ours(x), theirs(torch.tensor(x))  # one more batch: weighs 1/4 on both
    np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), rtol=1e-13)
