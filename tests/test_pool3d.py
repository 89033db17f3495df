"""The 1-d / 3-d pools (max_pool3d, avg_pool3d, lp_pool1d-3d, the adaptive pools, the *_with_indices forms and
max_unpool1d / 3d) and channel dropout (dropout1d / 3d): torch's values, gradients and indices over fuzzed
settings, and without torch the definitions, closed forms and finite differences; errors; torch's reprs."""

import itertools

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core import Tensor


def pool_case(rng, nd):
    """One fuzzed pool geometry: kernel, stride (or None), padding <= kernel / 2, dilation, ceil_mode, size."""
    kernel = tuple(int(k) for k in rng.integers(1, 4, nd))
    dilation = tuple(int(d) for d in rng.integers(1, 3, nd))
    padding = tuple(int(rng.integers(0, k // 2 + 1)) for k in kernel)
    stride = None if rng.random() < 0.3 else tuple(int(s) for s in rng.integers(1, 4, nd))
    size = tuple(d * (k - 1) + 1 + int(rng.integers(0, 4)) for k, d in zip(kernel, dilation))
    return dict(
        kernel=kernel, stride=stride, padding=padding, dilation=dilation, ceil=bool(rng.random() < 0.5), size=size
    )


def compare(torch, y, expected, ours, theirs, rng):
    """y's values and every input's gradient (through a random cotangent) equal torch's to 1e-10."""
    np.testing.assert_allclose(y.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    seed = rng.standard_normal(y.shape)
    (y * Tensor(seed)).sum().backward()
    (expected * torch.tensor(seed)).sum().backward()
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_max_pool_values_gradients_and_indices_equal_torchs(nd):
    """Distinct random values (no ties, where the kink rule and torch differ by design)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(nd)
    ours_fn = getattr(F, f"max_pool{nd}d_with_indices")
    theirs_fn = getattr(torch.nn.functional, f"max_pool{nd}d_with_indices")
    for _ in range(20):
        c = pool_case(rng, nd)
        x = rng.standard_normal((2, 3) + c["size"])
        ours, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        settings = (c["kernel"], c["stride"], c["padding"], c["dilation"], c["ceil"])
        (y, i), (expected, j) = ours_fn(ours, *settings), theirs_fn(theirs, *settings, True)
        np.testing.assert_array_equal(i.data, j.numpy())
        compare(torch, y, expected, ours, theirs, rng)
        again = getattr(F, f"max_pool{nd}d")(x, *settings, return_indices=True)  # the same, spelled as a flag
        np.testing.assert_array_equal(again[1].data, j.numpy())


def test_max_pool3d_layer_with_return_indices_and_unpool_equal_torchs():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 6, 5))
    pool, unpool = nn.MaxPool3d(2, stride=2, return_indices=True), nn.MaxUnpool3d(2, stride=2)
    tpool, tunpool = torch.nn.MaxPool3d(2, stride=2, return_indices=True), torch.nn.MaxUnpool3d(2, stride=2)
    (y, i), (ty, ti) = pool(x), tpool(torch.tensor(x))
    np.testing.assert_array_equal(i.data, ti.numpy())
    back, tback = unpool(y, i, output_size=x.shape), tunpool(ty, ti, output_size=x.shape)
    np.testing.assert_array_equal(back.data, tback.numpy())
    for ours, theirs in [(pool, tpool), (unpool, tunpool), (nn.AvgPool3d((1, 2, 2), padding=(0, 1, 1)), None)]:
        if theirs is not None:
            assert repr(ours) == repr(theirs)
    assert repr(nn.MaxUnpool1d(3)) == repr(torch.nn.MaxUnpool1d(3))


def test_max_unpool1d_equals_torchs_and_scatters_the_gradient_back():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(1).standard_normal((2, 3, 9))
    y, i = F.max_pool1d_with_indices(x, 3, 3, 1)  # windows that do not overlap: each index once
    ty, ti = torch.nn.functional.max_pool1d_with_indices(torch.tensor(x), 3, 3, 1)
    values = Tensor(y.data, requires_grad=True)
    back = F.max_unpool1d(values, i, 3, 3, 1, output_size=(9,))
    tback = torch.nn.functional.max_unpool1d(ty, ti, 3, 3, 1, output_size=(9,))
    np.testing.assert_array_equal(back.data, tback.numpy())
    g = np.random.default_rng(2).standard_normal(back.shape)
    (back * Tensor(g)).sum().backward()
    np.testing.assert_array_equal(values.grad, np.take_along_axis(g, i.data, axis=-1))


@pytest.mark.parametrize("options", [(True, None), (False, None), (True, 3)])
def test_avg_pool3d_values_and_gradients_equal_torchs(options):
    torch = pytest.importorskip("torch")
    count_include_pad, divisor = options
    rng = np.random.default_rng(4)
    for _ in range(15):
        c = pool_case(rng, 3)
        x = rng.standard_normal((2, 2) + c["size"])
        ours, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        settings = (c["kernel"], c["stride"], c["padding"], c["ceil"], count_include_pad, divisor)
        y, expected = F.avg_pool3d(ours, *settings), torch.nn.functional.avg_pool3d(theirs, *settings)
        compare(torch, y, expected, ours, theirs, rng)


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_lp_pool_values_and_gradients_equal_torchs(nd):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(10 + nd)
    ours_fn, theirs_fn = getattr(F, f"lp_pool{nd}d"), getattr(torch.nn.functional, f"lp_pool{nd}d")
    for p in (1, 2, 3.5):
        c = pool_case(rng, nd)
        x = rng.uniform(0.1, 2.0, (2, 3) + c["size"])  # positive: x ** p is real, as lp pooling is used
        ours, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        settings = (p, c["kernel"], c["stride"], c["ceil"])
        if nd == 1:  # torch's lp_pool1d takes ints only
            settings = (p, c["kernel"][0], None if c["stride"] is None else c["stride"][0], c["ceil"])
        compare(torch, ours_fn(ours, *settings), theirs_fn(theirs, *settings), ours, theirs, rng)
        layer, tlayer = getattr(nn, f"LPPool{nd}d")(*settings), getattr(torch.nn, f"LPPool{nd}d")(*settings)
        assert repr(layer) == repr(tlayer)


@pytest.mark.parametrize("nd", [1, 3])
def test_adaptive_pools_values_gradients_and_indices_equal_torchs(nd):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(20 + nd)
    tf = torch.nn.functional
    for _ in range(8):
        size = tuple(int(s) for s in rng.integers(1, 8, nd))
        out = tuple(int(rng.integers(1, s + 2)) for s in size)  # larger than the input too: windows repeat
        x = rng.standard_normal((2, 3) + size)
        ours, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        y, expected = (
            getattr(F, f"adaptive_avg_pool{nd}d")(ours, out),
            getattr(tf, f"adaptive_avg_pool{nd}d")(theirs, out),
        )
        compare(torch, y, expected, ours, theirs, rng)
        ours, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        (y, i) = getattr(F, f"adaptive_max_pool{nd}d_with_indices")(ours, out)
        expected, j = getattr(tf, f"adaptive_max_pool{nd}d_with_indices")(theirs, out)
        np.testing.assert_array_equal(i.data, j.numpy())
        compare(torch, y, expected, ours, theirs, rng)
    layer = getattr(nn, f"AdaptiveMaxPool{nd}d")(2, return_indices=True)
    x = rng.standard_normal((1, 2) + (5,) * nd)
    np.testing.assert_array_equal(layer(x)[1].data, getattr(tf, f"adaptive_max_pool{nd}d")(torch.tensor(x), 2, True)[1])


def naive_max_pool3d(x, k):
    """The definition: each k x k x k block's max (stride k), one block at a time."""
    n, c, *size = x.shape
    out = [s // k for s in size]
    y = np.empty((n, c, *out))
    for a, b, d in itertools.product(*(range(o) for o in out)):
        y[:, :, a, b, d] = x[:, :, a * k : a * k + k, b * k : b * k + k, d * k : d * k + k].max(axis=(2, 3, 4))
    return y


def test_pools_equal_their_definitions_without_torch():
    rng = np.random.default_rng(30)
    x = rng.standard_normal((2, 3, 4, 6, 8))
    np.testing.assert_array_equal(F.max_pool3d(x, 2).data, naive_max_pool3d(x, 2))
    blocks = x.reshape(2, 3, 2, 2, 3, 2, 4, 2)
    np.testing.assert_allclose(F.avg_pool3d(x, 2).data, blocks.mean(axis=(3, 5, 7)), rtol=1e-12)
    np.testing.assert_allclose(F.lp_pool3d(x, 1, 2).data, blocks.sum(axis=(3, 5, 7)), rtol=1e-12)  # p = 1: sums
    squares = np.sqrt((blocks**2).sum(axis=(3, 5, 7)))
    np.testing.assert_allclose(F.lp_pool3d(x, 2, 2).data, squares, rtol=1e-12)  # p = 2: each block's 2-norm
    np.testing.assert_allclose(F.adaptive_avg_pool3d(x, 1).data[..., 0, 0, 0], x.mean(axis=(2, 3, 4)), rtol=1e-12)
    # adaptive windows of 5 into 3: [0, 2), [1, 4), [3, 5), PyTorch's rule
    signal = np.arange(5.0).reshape(1, 1, 5)
    np.testing.assert_allclose(F.adaptive_avg_pool1d(signal, 3).data[0, 0], [0.5, 2.0, 3.5])
    np.testing.assert_array_equal(F.adaptive_max_pool1d(signal, 3).data[0, 0], [1.0, 3.0, 4.0])
    # a padded, ceil_mode average that does not count the padding: the corner window holds one real value
    corner = F.avg_pool3d(np.ones((1, 1, 3, 3, 3)), 2, padding=1, count_include_pad=False, ceil_mode=True)
    np.testing.assert_array_equal(corner.data, np.ones((1, 1, 2, 2, 2)))


def test_pool_gradients_equal_central_differences_without_torch():
    rng = np.random.default_rng(31)
    x = Tensor(rng.permutation(60).reshape(1, 2, 3, 5, 2) / 7.0, requires_grad=True)  # distinct: away from kinks
    assert ag.gradcheck(lambda t: F.max_pool3d(t, (2, 2, 1), stride=(1, 2, 1), padding=(1, 1, 0), ceil_mode=True), x)
    assert ag.gradcheck(lambda t: F.avg_pool3d(t, 2, 1, 1, count_include_pad=False), x)
    assert ag.gradcheck(lambda t: F.lp_pool3d(t + 1, 3, (2, 3, 1)), x)
    assert ag.gradcheck(lambda t: F.adaptive_max_pool3d(t, (2, 3, 2)), x)
    assert ag.gradcheck(lambda t: F.adaptive_avg_pool1d(t.reshape(2, 3, 10), 4), x)


def test_tied_maxima_share_the_gradient_evenly_the_kink_rule():
    x = Tensor(np.ones((1, 1, 2, 2, 2)), requires_grad=True)
    F.max_pool3d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad, np.full((1, 1, 2, 2, 2), 1 / 8))


@pytest.mark.parametrize("nd", [1, 3])
def test_channel_dropout_zeroes_whole_channels_and_keeps_the_mean(nd):
    x = np.ones((50, 40) + (3,) * nd)
    y = getattr(F, f"dropout{nd}d")(x, 0.25, generator=0).data
    per_channel = y.reshape(50, 40, -1)
    assert np.all(per_channel.min(axis=2) == per_channel.max(axis=2))  # each channel all dropped or all kept
    assert set(np.unique(per_channel)) == {0.0, 1 / 0.75}
    assert abs((per_channel[:, :, 0] == 0).mean() - 0.25) < 0.03  # 2,000 channels: within 4 standard errors
    layer = getattr(nn, f"Dropout{nd}d")(0.25, seed=0)
    layer.eval()
    np.testing.assert_array_equal(layer(x).data, x)
    unbatched = getattr(F, f"dropout{nd}d")(np.ones((40,) + (3,) * nd), 0.5, generator=1).data.reshape(40, -1)
    assert np.all(unbatched.min(axis=1) == unbatched.max(axis=1))  # (C, ...): one draw per channel, as torch


def test_reprs_equal_torchs():
    torch = pytest.importorskip("torch")
    pairs = [
        ("MaxPool3d", (3,), dict(stride=2, padding=1)),
        ("AvgPool3d", ((2, 1, 2),), {}),
        ("AdaptiveAvgPool3d", ((1, 2, 3),), {}),
        ("AdaptiveMaxPool3d", ((2, 2, 2),), {}),
        ("Dropout1d", (0.3,), {}),
        ("Dropout3d", (0.3,), {}),
        ("LPPool2d", (2, 3), dict(stride=2)),
        ("MaxUnpool3d", (2,), {}),
    ]
    for name, args, kwargs in pairs:
        assert repr(getattr(nn, name)(*args, **kwargs)) == repr(getattr(torch.nn, name)(*args, **kwargs)), name


def test_layers_are_rebuilt_by_save_and_load(tmp_path):
    model = nn.Sequential(
        nn.Conv3d(1, 2, 3, padding=1, seed=0),
        nn.MaxPool3d(2, ceil_mode=True),
        nn.LPPool3d(2, (1, 2, 2)),
        nn.AvgPool3d(1, divisor_override=2),
        nn.Dropout3d(0.2),
        nn.AdaptiveAvgPool3d((1, None, 1)),
    )
    model.eval()
    x = np.random.default_rng(0).standard_normal((2, 1, 5, 8, 7))
    nn.save(model, tmp_path / "m.npz")
    again = nn.load(tmp_path / "m.npz")
    again.eval()
    assert repr(again) == repr(model)
    np.testing.assert_array_equal(again(x).data, model(x).data)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: F.max_pool3d(np.ones((4, 4)), 2),
         r"max_pool3d: expected a 5-d \(N, C, D, H, W\) input or a 4-d \(C, D, H, W\) one, got shape \(4, 4\)"),
        (lambda: F.avg_pool3d(np.ones((1, 1, 4, 4, 1)), 2),
         r"avg_pool3d: the kernel 2x2x2 \(dilation 1x1x1\) spans 2x2x2, larger than the padded input's 4x4x1"),
        (lambda: F.max_pool3d(np.ones((1, 1, 4, 4, 4)), 2, padding=2),
         r"max_pool3d: padding must be at most half the kernel size"),
        (lambda: F.lp_pool1d(np.ones((1, 1, 4)), 0, 2), r"lp_pool1d: norm_type must be a positive finite number"),
        (lambda: F.adaptive_avg_pool3d(np.ones((1, 1, 4, 4, 4)), (1, 2)),
         r"adaptive_avg_pool3d: output_size must be a positive int or a \(depth, height, width\) triple"),
        (lambda: F.max_unpool3d(np.ones((1, 1, 1, 1, 1)), np.array([[[[[9]]]]]), 2),
         r"max_unpool3d: indices must be in 0..7 for an output of 2x2x2, found 9..9; give the output_size"),
        (lambda: F.max_unpool1d(np.ones((1, 1, 2)), np.zeros((1, 1, 3), np.int64), 2),
         r"max_unpool1d: input \(N, C, L\) or \(C, L\) and indices of the same shape"),
        (lambda: F.dropout3d(np.ones((2, 3)), 0.5), r"dropout3d: expected an \(N, C, D, H, W\) input .* got shape"),
        (lambda: nn.Dropout1d(0.5)(np.ones((2, 3, 4, 5))), r"Dropout1d\(p=0.5\): expected an \(N, C, L\) input"),
        (lambda: nn.MaxPool3d((2, 2)), r"MaxPool3d: kernel_size must be an int or a tuple of 3 ints \(D, H, W\)"),
    ],
)  # fmt: skip
def test_errors_name_the_op_the_shapes_and_the_fix(call, message):
    with pytest.raises(ValueError, match=message):
        call()
