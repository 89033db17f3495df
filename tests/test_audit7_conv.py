"""The seventh audit's findings on convolution and pooling, each checked against torch: empty batches and
weights, PyTorch's other spellings of the window arguments, ceil_mode, padding_mode and return_indices."""

import numpy as np
import pytest

import nn
import nn.functional as F
from autograd_core import Tensor

EMPTY_BATCH_CALLS = [  # (ours, torch's): the same call
    ("conv2d", dict(weight=np.ones((4, 3, 3, 3)), padding=1)),
    ("conv2d", dict(weight=np.ones((3, 1, 3, 3)), groups=3)),
    ("max_pool2d", dict(kernel_size=2)),
    ("avg_pool2d", dict(kernel_size=3, padding=1, count_include_pad=False)),
]


@pytest.mark.parametrize("name, keywords", EMPTY_BATCH_CALLS)
def test_an_empty_batch_goes_through_forward_and_backward_as_in_torch(name, keywords):
    torch = pytest.importorskip("torch")
    theirs = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in keywords.items()}
    expected = getattr(torch.nn.functional, name)(torch.ones(0, 3, 6, 6, dtype=torch.float64), **theirs)
    x = Tensor(np.ones((0, 3, 6, 6)), requires_grad=True)
    y = getattr(F, name)(x, **keywords)
    assert y.shape == tuple(expected.shape)
    y.sum().backward()
    assert x.grad.shape == (0, 3, 6, 6)


def test_a_weight_with_no_filters_gives_no_output_channels():
    y = F.conv2d(np.ones((2, 3, 5, 5)), np.ones((0, 3, 3, 3)))
    assert y.shape == (2, 0, 3, 3)


SPELLINGS = [  # PyTorch's other spellings of the window arguments: (function name, positional, keywords)
    ("conv2d", (np.ones((4, 3, 3, 3)),), dict(stride=(2,), padding=[1], dilation=(2,))),
    ("max_pool2d", ((2,),), dict(stride=(1,), padding=(1,))),
    ("max_pool2d", (2,), dict(stride=())),
    ("avg_pool2d", ((3,),), dict(stride=[], padding=(1,))),
]


@pytest.mark.parametrize("name, args, keywords", SPELLINGS)
def test_one_tuples_and_an_empty_stride_mean_what_torch_reads(name, args, keywords):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((2, 3, 8, 7))
    theirs = [torch.tensor(a) if isinstance(a, np.ndarray) else a for a in args]
    expected = getattr(torch.nn.functional, name)(torch.tensor(x), *theirs, **keywords)
    np.testing.assert_allclose(getattr(F, name)(x, *args, **keywords).data, expected.numpy(), rtol=1e-12)


@pytest.mark.parametrize("layer", [nn.MaxPool2d, nn.AvgPool2d])
def test_a_pool_layer_with_an_empty_stride_steps_by_its_kernel(layer):
    assert layer(3, stride=()).stride == (3, 3) and layer((2,), stride=[]).stride == (2, 2)


CEIL_CASES = [  # (input shape, kernel, keywords): the last window overhangs the input (and its padding)
    ((2, 3, 7, 6), 2, {}),
    ((1, 2, 8, 9), 3, dict(stride=2, padding=1)),
    ((2, 1, 5, 7), (3, 2), dict(stride=(2, 3), padding=(1, 0))),
    ((1, 1, 6, 6), 3, dict(stride=2, padding=1)),  # the last window would start in the padding: dropped
    ((1, 1, 1, 2), 2, {}),  # one window, mostly overhang
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("x_shape, kernel, keywords", CEIL_CASES)
@pytest.mark.parametrize(
    "name, extra",
    [
        ("max_pool2d", {}),
        ("max_pool2d", dict(dilation=(1, 2))),
        ("avg_pool2d", {}),
        ("avg_pool2d", dict(count_include_pad=False)),
        ("avg_pool2d", dict(divisor_override=2)),
    ],
)
def test_ceil_mode_gives_torchs_values_and_gradients(name, extra, x_shape, kernel, keywords, dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    x = rng.permutation(int(np.prod(x_shape))).reshape(x_shape).astype(dtype)  # distinct: no tied maxima
    keywords = dict(keywords, ceil_mode=True, **extra)
    expected_input = torch.tensor(x, requires_grad=True)
    expected = getattr(torch.nn.functional, name)(expected_input, kernel, **keywords)
    ours = Tensor(x, requires_grad=True)
    out = getattr(F, name)(ours, kernel, **keywords)
    assert out.shape == tuple(expected.shape) and out.dtype == dtype
    g = rng.standard_normal(out.shape).astype(dtype)
    out.backward(g)
    expected.backward(torch.tensor(g))
    tolerance = dict(rtol=1e-12) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **tolerance)
    np.testing.assert_allclose(ours.grad, expected_input.grad.numpy(), **tolerance)


def test_the_pool_layers_keep_ceil_mode_through_save_and_load(tmp_path):
    model = nn.Sequential(nn.Conv2d(1, 1, 1, seed=0), nn.MaxPool2d(2, ceil_mode=True), nn.AvgPool2d(2, ceil_mode=True))
    assert "ceil_mode=True" in repr(model[1]) and "ceil_mode=True" in repr(model[2])
    nn.save(model, tmp_path / "pools.npz")
    loaded = nn.load(tmp_path / "pools.npz")
    x = np.arange(49.0).reshape(1, 1, 7, 7)
    assert loaded(x).shape == (1, 1, 2, 2)  # 7 -> 4 -> 2, each rounding up
    np.testing.assert_array_equal(loaded(x).data, model(x).data)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize(
    "x_shape, keywords",
    [
        ((2, 4, 6, 5), dict(kernel_size=3, padding=(2, 1), stride=(2, 1))),
        ((2, 4, 5, 6), dict(kernel_size=(2, 4), padding="same", dilation=(2, 1), groups=2)),
        ((4, 3, 3), dict(kernel_size=2, padding=1, bias=False)),  # one unbatched image
    ],
)
def test_conv2d_padding_modes_give_torchs_values_and_gradients(mode, x_shape, keywords):
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Conv2d(4, 4, padding_mode=mode, **keywords).double()
    ours = nn.Conv2d(4, 4, padding_mode=mode, **keywords)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal(x_shape)
    x_ours, x_theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = ours(x_ours), theirs(x_theirs)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12, atol=1e-12)
    (out**2).sum().backward()
    (expected**2).sum().backward()
    np.testing.assert_allclose(x_ours.grad, x_theirs.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), rtol=1e-10)
    assert f"padding_mode={mode}" in repr(ours) and ours.config()["padding_mode"] == mode


def test_a_padding_mode_survives_save_and_load(tmp_path):
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1, padding_mode="circular", seed=0))
    nn.save(model, tmp_path / "conv.npz")
    x = np.random.default_rng(1).standard_normal((1, 1, 4, 4))
    np.testing.assert_array_equal(nn.load(tmp_path / "conv.npz")(x).data, model(x).data)


@pytest.mark.parametrize(
    "mode, x_shape, limit",
    [("reflect", (1, 1, 2, 5), 1), ("circular", (1, 1, 5, 1), 1), ("replicate", (1, 1, 0, 3), 0)],
)
def test_a_padding_mode_refuses_what_torch_refuses_in_one_line(mode, x_shape, limit):
    layer = nn.Conv2d(1, 1, 3, padding=2, padding_mode=mode)
    with pytest.raises(ValueError) as caught:
        layer(np.ones(x_shape))
    assert str(caught.value).startswith(
        f"Conv2d(1, 1, kernel_size=(3, 3), stride=(1, 1), padding=(2, 2), padding_mode={mode})"
    )
    assert f"it allows at most {limit}: use a smaller padding or padding_mode='zeros'" in str(caught.value)


@pytest.mark.parametrize(
    "x_shape, kernel, keywords",
    [
        ((2, 3, 7, 6), 3, dict(stride=2, padding=1)),
        ((1, 2, 5, 8), (2, 3), dict(stride=(1, 2), dilation=(2, 1), ceil_mode=True)),
        ((3, 6, 6), 2, {}),  # one unbatched image
    ],
)
def test_return_indices_gives_torchs_positions_of_the_maxima(x_shape, kernel, keywords):
    torch = pytest.importorskip("torch")
    x = np.round(np.random.default_rng(2).standard_normal(x_shape))  # many tied maxima: the first one is taken
    x[..., 0, :] = -np.inf  # a window of only -inf and padding: its first pixel
    expected, expected_indices = torch.nn.functional.max_pool2d(
        torch.tensor(x), kernel, return_indices=True, **keywords
    )
    out, indices = F.max_pool2d(x, kernel, return_indices=True, **keywords)
    np.testing.assert_array_equal(out.data, expected.numpy())
    np.testing.assert_array_equal(indices.data, expected_indices.numpy())
    assert indices.dtype == np.int64 and not indices.requires_grad
    layer_out, layer_indices = nn.MaxPool2d(kernel, return_indices=True, **keywords)(x)
    np.testing.assert_array_equal(layer_out.data, expected.numpy())
    np.testing.assert_array_equal(layer_indices.data, expected_indices.numpy())


def test_a_window_wholly_in_the_padding_points_nowhere():
    out, indices = F.max_pool2d(np.ones((1, 1, 2, 1)), (2, 1), dilation=(3, 1), padding=(1, 0), return_indices=True)
    assert out.shape == (1, 1, 1, 1)  # one window, reading rows -1 and 2: both padding
    assert np.isneginf(out.data).all() and (indices.data == -1).all()
