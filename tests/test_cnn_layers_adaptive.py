"""AdaptiveAvgPool2d / AdaptiveMaxPool2d and their F forms: values and gradients equal torch's over even and
uneven windows, None entries, float32; finite differences; PyTorch's window rule by hand; errors; saving."""

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core import Tensor

CASES = [  # (input shape, output_size, dtype): even (plain pooling), uneven (slices), mixed, None, larger
    ((2, 3, 8, 8), 1, np.float64),
    ((2, 3, 8, 6), (4, 3), np.float64),
    ((2, 2, 7, 5), (3, 2), np.float64),
    ((1, 2, 6, 5), (3, 4), np.float32),
    ((2, 1, 5, 9), (None, 4), np.float64),
    ((2, 2, 3, 4), (5, 6), np.float64),  # more outputs than inputs: overlapping windows, as torch
    ((3, 5, 7), 2, np.float64),  # one unbatched (C, H, W) image
]


@pytest.mark.parametrize("shape, output_size, dtype", CASES)
@pytest.mark.parametrize("kind", ["avg", "max"])
def test_values_and_gradients_equal_torch(kind, shape, output_size, dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape).astype(dtype)
    ours = getattr(F, f"adaptive_{kind}_pool2d")
    theirs = getattr(torch.nn.functional, f"adaptive_{kind}_pool2d")
    xt, xq = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, out_q = ours(xt, output_size), theirs(xq, output_size)
    assert out.shape == tuple(out_q.shape) and out.dtype == dtype
    upstream = rng.normal(size=out.shape).astype(dtype)
    (out * upstream).sum().backward()
    (out_q * torch.tensor(upstream)).sum().backward()
    tol = dict(rtol=1e-12, atol=1e-14) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out.data, out_q.detach().numpy(), **tol)
    np.testing.assert_allclose(xt.grad, xq.grad.numpy(), **tol)
    assert xt.grad.dtype == dtype
    layer = getattr(nn, f"Adaptive{kind.capitalize()}Pool2d")(output_size)
    np.testing.assert_array_equal(layer(x).data, out.data)


def test_pytorchs_window_rule_by_hand():
    """Row i of the output covers input rows floor(i H / out) .. ceil((i + 1) H / out) - 1."""
    x = np.random.default_rng(1).normal(size=(1, 1, 7, 10))
    out = F.adaptive_avg_pool2d(x, (3, 4)).data[0, 0]
    peak = F.adaptive_max_pool2d(x, (3, 4)).data[0, 0]
    for i in range(3):
        for j in range(4):
            rows = slice(i * 7 // 3, -(-(i + 1) * 7 // 3))
            cols = slice(j * 10 // 4, -(-(j + 1) * 10 // 4))
            assert out[i, j] == pytest.approx(x[0, 0, rows, cols].mean(), rel=1e-12)
            assert peak[i, j] == x[0, 0, rows, cols].max()


@pytest.mark.parametrize("output_size", [(2, 3), 1, (3, None)])
def test_gradcheck(output_size):
    x = Tensor(np.random.default_rng(2).normal(size=(2, 2, 5, 4)), requires_grad=True)
    assert ag.gradcheck(lambda t: F.adaptive_avg_pool2d(t, output_size) ** 2, x)
    assert ag.gradcheck(lambda t: F.adaptive_max_pool2d(t, output_size) ** 2, x)


def test_global_pooling_is_the_mean_and_max_per_channel():
    x = np.random.default_rng(3).normal(size=(4, 3, 5, 7))
    np.testing.assert_allclose(nn.AdaptiveAvgPool2d(1)(x).data[:, :, 0, 0], x.mean(axis=(2, 3)), rtol=1e-12)
    assert np.array_equal(nn.AdaptiveMaxPool2d((1, 1))(x).data[:, :, 0, 0], x.max(axis=(2, 3)))


def test_errors_name_the_layer_the_shapes_and_the_fix():
    with pytest.raises(ValueError, match=r"AdaptiveAvgPool2d: output_size must be a positive int .* got 0"):
        nn.AdaptiveAvgPool2d(0)
    with pytest.raises(ValueError, match=r"AdaptiveMaxPool2d: output_size .* got \(1, 2, 3\)"):
        nn.AdaptiveMaxPool2d((1, 2, 3))
    with pytest.raises(ValueError, match=r"adaptive_avg_pool2d: output_size .* got 1.5"):
        F.adaptive_avg_pool2d(np.ones((1, 1, 4, 4)), 1.5)
    with pytest.raises(
        ValueError,
        match=r"AdaptiveAvgPool2d: expected a 4-d \(N, C, H, W\) input .* got shape \(4, 4\); x\[None, None\]",
    ):
        nn.AdaptiveAvgPool2d(1)(np.ones((4, 4)))


def test_return_indices_give_each_windows_first_maximum():
    """(return_indices=True was refused before the 1-d / 3-d pools shared one implementation.)"""
    x = np.random.default_rng(4).normal(size=(2, 3, 5, 7))
    values, indices = nn.AdaptiveMaxPool2d(1, return_indices=True)(x)
    assert np.array_equal(indices.data[:, :, 0, 0], x.reshape(2, 3, -1).argmax(axis=2))
    assert np.array_equal(values.data[:, :, 0, 0], x.max(axis=(2, 3)))
    _, indices = F.adaptive_max_pool2d(np.array([[[[1.0, 3.0], [3.0, 0.0]]]]), 1, return_indices=True)
    assert indices.data.item() == 1  # tied maxima: the first, as PyTorch's


def test_saved_and_rebuilt(tmp_path):
    pools = [nn.AdaptiveAvgPool2d((2, None)), nn.AdaptiveMaxPool2d(1)]
    model = nn.Sequential(nn.Conv2d(3, 2, 1, seed=0), *pools, nn.Flatten())  # nn.save needs a weight
    assert repr(model[1]) == "AdaptiveAvgPool2d(output_size=(2, None))"
    nn.save(model, tmp_path / "pools.npz")
    loaded = nn.load(tmp_path / "pools.npz")
    assert [type(m) for m in loaded] == [nn.Conv2d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d, nn.Flatten]
    assert loaded[1].output_size == (2, None) and loaded[2].output_size == (1, 1)
    x = np.random.default_rng(4).normal(size=(2, 3, 5, 6))
    assert np.array_equal(loaded(x).data, model(x).data)
