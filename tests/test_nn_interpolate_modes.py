"""F.interpolate's modes "bicubic" (torch's a = -0.75, both align_corners) and "area" (adaptive average pooling),
and nn.Upsample with them: torch as the oracle (values and gradients, 1e-10 in float64), and without torch the
cubic-convolution weights by hand, constants kept, same size = identity, block means, finite differences,
and the errors."""

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core import Tensor

rng = np.random.default_rng(0)

CASES = [  # (input shape, keyword arguments)
    ((2, 3, 4, 5), dict(scale_factor=2, mode="bicubic")),
    ((2, 3, 4, 5), dict(scale_factor=2, mode="bicubic", align_corners=True)),
    ((1, 2, 6, 7), dict(size=(3, 4), mode="bicubic")),
    ((1, 2, 6, 7), dict(size=(9, 2), mode="bicubic", align_corners=True)),
    ((1, 2, 4, 5), dict(scale_factor=1.7, mode="bicubic")),
    ((1, 2, 4, 5), dict(scale_factor=(1.7, 0.6), mode="bicubic", recompute_scale_factor=True)),
    ((1, 2, 1, 5), dict(size=(3, 1), mode="bicubic", align_corners=True)),
    ((1, 1, 2, 2), dict(size=(5, 6), mode="bicubic", align_corners=False)),
    ((2, 3, 7, 9), dict(size=(3, 4), mode="area")),
    ((2, 3, 8, 6), dict(scale_factor=0.5, mode="area")),
    ((2, 3, 4, 5), dict(size=(6, 7), mode="area")),
    ((2, 3, 11), dict(size=4, mode="area")),
    ((2, 3, 11), dict(scale_factor=0.4, mode="area")),
]


@pytest.mark.parametrize("shape, kwargs", CASES)
def test_bicubic_and_area_equal_torch_as_function_and_layer(shape, kwargs):
    torch = pytest.importorskip("torch")
    x = rng.normal(size=shape)
    for ours, theirs in [
        (lambda t: F.interpolate(t, **kwargs), lambda t: torch.nn.functional.interpolate(t, **kwargs)),
        (nn.Upsample(**kwargs), torch.nn.Upsample(**kwargs)),
    ]:
        xt, xq = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out, out_q = ours(xt), theirs(xq)
        np.testing.assert_allclose(out.data, out_q.detach().numpy(), rtol=1e-12, atol=1e-13)
        r = rng.normal(size=out.shape)
        (out * r).sum().backward()
        (out_q * torch.from_numpy(r)).sum().backward()
        np.testing.assert_allclose(xt.grad, xq.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_bicubic_half_way_uses_the_cubic_convolution_weights_by_hand():
    # a = -0.75, t = 0.5: the outer taps W(1.5) = -0.09375, the inner ones W(0.5) = 0.59375
    a = -0.75
    outer, inner = ((a * 1.5 - 5 * a) * 1.5 + 8 * a) * 1.5 - 4 * a, ((a + 2) * 0.5 - (a + 3)) * 0.25 + 1
    assert (outer, inner) == (-0.09375, 0.59375)
    row = np.array([1.0, 4.0, -2.0, 3.0])
    out = F.interpolate(Tensor(row[None, None, None]), size=(1, 7), mode="bicubic", align_corners=True).data.ravel()
    np.testing.assert_allclose(out[::2], row, atol=1e-15)  # the source pixels themselves
    np.testing.assert_allclose(out[3], outer * (row[0] + row[3]) + inner * (row[1] + row[2]), rtol=1e-14)
    # at the edge the missing tap reads the edge pixel: positions -1, 0, 1, 2 -> pixels 0, 0, 1, 2
    np.testing.assert_allclose(out[1], outer * row[0] + inner * row[0] + inner * row[1] + outer * row[2], rtol=1e-14)


def test_bicubic_keeps_constants_and_is_the_identity_at_the_same_size():
    flat = F.interpolate(ag.full((1, 2, 3, 4), 2.5), size=(7, 5), mode="bicubic").data
    np.testing.assert_allclose(flat, 2.5, rtol=1e-14)  # the weights sum to 1, edges included
    x = rng.normal(size=(1, 2, 4, 5))
    for align in (False, True):
        same = F.interpolate(Tensor(x), size=(4, 5), mode="bicubic", align_corners=align).data
        np.testing.assert_allclose(same, x, atol=1e-15)
    # unlike bilinear, the cubic overshoots a step (the a = -0.75 kernel's negative lobes)
    step = F.interpolate(Tensor([[[[0.0, 0.0, 1.0, 1.0]]]]), size=(1, 8), mode="bicubic").data
    assert step.min() < 0 and step.max() > 1


def test_area_is_the_mean_of_each_block_and_adaptive_average_pooling():
    x = rng.normal(size=(2, 3, 6, 8))
    blocks = x.reshape(2, 3, 3, 2, 4, 2).mean(axis=(3, 5))
    np.testing.assert_allclose(F.interpolate(Tensor(x), scale_factor=0.5, mode="area").data, blocks, rtol=1e-14)
    uneven = F.interpolate(Tensor(x), size=(4, 3), mode="area").data
    np.testing.assert_allclose(uneven, F.adaptive_avg_pool2d(Tensor(x), (4, 3)).data, rtol=1e-14)
    signal = rng.normal(size=(1, 2, 6))
    pairs = F.interpolate(Tensor(signal), size=3, mode="area").data
    np.testing.assert_allclose(pairs, signal.reshape(1, 2, 3, 2).mean(-1), rtol=1e-14)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(size=(5, 3), mode="bicubic"),
        dict(size=(6, 7), mode="bicubic", align_corners=True),
        dict(size=(2, 3), mode="area"),
    ],
)
def test_gradients_match_finite_differences(kwargs):
    x = Tensor(rng.normal(size=(1, 2, 4, 5)), requires_grad=True)
    assert ag.gradcheck(lambda t: F.interpolate(t, **kwargs), [x], atol=1e-7, rtol=1e-6)


def test_bicubic_second_derivatives_match_finite_differences_of_the_first():
    x = Tensor(rng.normal(size=(1, 1, 3, 4)), requires_grad=True)
    assert ag.gradgradcheck(lambda t: F.interpolate(t, size=(5, 6), mode="bicubic") ** 2, [x], atol=1e-6)


def test_upsample_layer_takes_the_new_modes_and_its_config_rebuilds_it():
    layer = nn.Upsample(scale_factor=2, mode="bicubic", align_corners=True)
    x = rng.normal(size=(1, 1, 3, 3))
    rebuilt = nn.Upsample(**layer.config())
    np.testing.assert_array_equal(rebuilt(Tensor(x)).data, layer(Tensor(x)).data)
    assert "mode='bicubic'" in repr(layer)


def test_errors_name_the_mode_the_shape_and_the_fix():
    with pytest.raises(ValueError, match=r"interpolate: mode='bicubic' needs a 4-d input .* got shape \(1, 2, 5\)"):
        F.interpolate(ag.ones(1, 2, 5), scale_factor=2, mode="bicubic")
    with pytest.raises(ValueError, match=r"interpolate: mode='area' needs a 3-d or 4-d input .* got shape \(2, 5\)"):
        F.interpolate(ag.ones(2, 5), size=2, mode="area")
    with pytest.raises(
        ValueError, match=r"interpolate: align_corners can only be set .* not mode='area'; leave it None"
    ):
        F.interpolate(ag.ones(1, 1, 4, 4), size=2, mode="area", align_corners=False)
    with pytest.raises(ValueError, match=r"interpolate: mode must be one of .*'bicubic', 'area'\], got 'trilinear'"):
        nn.Upsample(scale_factor=2, mode="trilinear")(ag.ones(1, 1, 2, 2, 2))
