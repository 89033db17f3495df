"""CELU, Threshold, Softmax2d, F's in-place activations (relu_, elu_, ...), F.gumbel_softmax, ChannelShuffle and
the deprecated F.upsample names: values and gradients against torch (float64) and without it against closed forms,
central differences and the sampling distribution; the in-place forms' refusals."""

import math
import warnings

import numpy as np
import pytest
from norm_pad_helpers import assert_agrees_with_torch, assert_gradcheck, rng

import autograd_core as ag
import nn
import nn.functional as F

AWAY_FROM_KINKS = np.array([-3.0, -1.2, -0.4, 0.3, 0.9, 2.5])


@pytest.mark.parametrize("alpha", [0.5, 1.0, 2.5])
def test_celu_by_its_formula_and_central_differences(alpha):
    x = AWAY_FROM_KINKS
    want = np.maximum(x, 0) + np.minimum(0, alpha * (np.exp(x / alpha) - 1))
    np.testing.assert_allclose(nn.CELU(alpha)(x).data, want, rtol=1e-14)
    assert_gradcheck(lambda t: F.celu(t, alpha), x)
    assert F.celu(ag.tensor([-1000.0]), alpha).item() == -alpha  # exp(min(x, 0) / alpha): never overflows


def test_celu_s_gradient_is_exp_x_over_alpha_below_zero():
    x = ag.tensor(AWAY_FROM_KINKS, requires_grad=True)
    F.celu(x, 0.7).sum().backward()
    np.testing.assert_allclose(x.grad, np.where(AWAY_FROM_KINKS > 0, 1.0, np.exp(AWAY_FROM_KINKS / 0.7)), rtol=1e-15)


def test_threshold_replaces_what_is_not_above_it():
    x = ag.tensor(AWAY_FROM_KINKS, requires_grad=True)
    out = nn.Threshold(0.5, -7.0)(x)
    assert out.data.tolist() == [-7.0, -7.0, -7.0, -7.0, 0.9, 2.5]
    out.sum().backward()
    assert x.grad.tolist() == [0, 0, 0, 0, 1, 1]
    y = ag.tensor([0.0, 1.0], requires_grad=True)
    F.threshold(y, 0.0, 0.0).sum().backward()  # value == threshold: relu, its kink split evenly
    assert y.grad.tolist() == [0.5, 1.0]


def test_the_activations_equal_torch_s():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    x = AWAY_FROM_KINKS
    # alpha 0.5: torch's float64 celu gradient for alpha = 0.7 is off exp(x / alpha) by ~1e-8 (relative), ours is
    # exp(x / alpha) to rounding (test_celu_s_gradient_is_exp_x_over_alpha_below_zero)
    assert_agrees_with_torch(torch, lambda t: F.celu(t, 0.5), lambda t: tf.celu(t, 0.5), x)
    assert_agrees_with_torch(torch, lambda t: F.threshold(t, 0.1, 20.0), lambda t: tf.threshold(t, 0.1, 20.0), x)
    images = rng.normal(size=(2, 3, 2, 2))
    assert_agrees_with_torch(torch, nn.Softmax2d(), torch.nn.Softmax2d(), images)
    assert_agrees_with_torch(torch, nn.Softmax2d(), torch.nn.Softmax2d(), images[0])  # (C, H, W)
    for ours, theirs in [(nn.CELU(0.5), torch.nn.CELU(0.5)), (nn.Threshold(0.1, 20), torch.nn.Threshold(0.1, 20))]:
        assert repr(ours) == repr(theirs)
    assert repr(nn.Softmax2d()) == repr(torch.nn.Softmax2d())


def test_softmax2d_sums_to_one_over_the_channels_at_every_pixel_and_refuses_other_shapes():
    out = nn.Softmax2d()(rng.normal(size=(2, 3, 4, 5))).data
    np.testing.assert_allclose(out.sum(axis=1), np.ones((2, 4, 5)), rtol=1e-14)
    with pytest.raises(
        ValueError, match=r"Softmax2d: expected an \(N, C, H, W\) or \(C, H, W\) input, got shape \(2, 3\)"
    ):
        nn.Softmax2d()(np.ones((2, 3)))
    with pytest.raises(ValueError, match="celu: alpha must be a finite nonzero number"):
        nn.CELU(0.0)


IN_PLACE = [
    ("relu_", "relu", ()),
    ("elu_", "elu", (0.7,)),
    ("leaky_relu_", "leaky_relu", (0.2,)),
    ("hardtanh_", "hardtanh", (-0.5, 1.0)),
    ("rrelu_", "rrelu", (0.1, 0.3)),
    ("selu_", "selu", ()),
    ("celu_", "celu", (0.5,)),
    ("threshold_", "threshold", (0.1, 5.0)),
]


@pytest.mark.parametrize(("name", "out_of_place", "args"), IN_PLACE)
def test_the_in_place_forms_write_their_function_s_values_into_the_tensor(name, out_of_place, args):
    x = ag.tensor(AWAY_FROM_KINKS.copy())
    want = getattr(F, out_of_place)(AWAY_FROM_KINKS, *args).data
    result = getattr(F, name)(x, *args)
    assert result is x
    np.testing.assert_array_equal(x.data, want)
    torch = pytest.importorskip("torch")
    t = torch.tensor(AWAY_FROM_KINKS.copy())
    getattr(torch.nn.functional, name)(t, *args)
    np.testing.assert_allclose(x.data, t.numpy(), rtol=1e-14)


def test_the_in_place_forms_refuse_a_tensor_that_requires_grad_and_name_the_differentiable_form():
    w = ag.tensor([1.0, -1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"F.elu_: the input \(shape \(2,\)\) requires grad.*y = F.elu\(x\)"):
        F.elu_(w)
    with ag.no_grad():  # outside the graph it may change
        F.elu_(w)
    assert w.data[1] == pytest.approx(math.exp(-1) - 1)
    with pytest.raises(TypeError, match=r"F.relu_: changes a Tensor in place, got ndarray; .* F.relu\(x\)"):
        F.relu_(np.ones(2))


def test_gumbel_softmax_draws_the_softmax_s_categories():
    logits = np.log(np.array([0.1, 0.2, 0.7]))
    draws = F.gumbel_softmax(np.tile(logits, (20_000, 1)), tau=0.5, hard=True, generator=0).data
    assert set(draws.sum(axis=1).tolist()) == {1.0} and set(np.unique(draws).tolist()) == {0.0, 1.0}
    np.testing.assert_allclose(draws.mean(axis=0), [0.1, 0.2, 0.7], atol=0.01)  # the Gumbel-max trick: exact
    soft = F.gumbel_softmax(np.tile(logits, (5, 1)), tau=2.0, generator=1).data
    np.testing.assert_allclose(soft.sum(axis=1), np.ones(5), rtol=1e-14)
    assert (soft > 0).all() and (soft < 1).all()


def test_gumbel_softmax_hard_passes_the_soft_sample_s_gradient_straight_through():
    logits = rng.normal(size=(4, 3))
    x = ag.tensor(logits, requires_grad=True)
    weights = rng.normal(size=(4, 3))
    (F.gumbel_softmax(x, tau=0.7, hard=True, generator=3) * weights).sum().backward()
    y = ag.tensor(logits, requires_grad=True)
    (F.gumbel_softmax(y, tau=0.7, generator=3) * weights).sum().backward()  # the same noise (seed 3): the soft one
    np.testing.assert_allclose(x.grad, y.grad, rtol=1e-12)
    assert np.abs(x.grad).sum() > 0
    transposed = F.gumbel_softmax(np.zeros((3, 2)), hard=True, dim=0, generator=0).data
    assert transposed.sum(axis=0).tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match="gumbel_softmax: tau must be a finite number > 0"):
        F.gumbel_softmax(logits, tau=0.0)


def test_channel_shuffle_interleaves_the_groups_as_torch():
    x = np.arange(12.0).reshape(1, 6, 2)
    out = nn.ChannelShuffle(3)(x).data
    assert out[0, :, 0].tolist() == [0, 4, 8, 2, 6, 10]  # group g's channel i goes to i * groups + g
    np.testing.assert_array_equal(F.native_channel_shuffle(x, 3).data, out)  # torch's kernel's name
    assert_gradcheck(lambda t: F.channel_shuffle(t, 2) * np.arange(8.0).reshape(1, 4, 2), x[:, :4])
    with pytest.raises(
        ValueError, match=r"channel_shuffle: .* groups = 4, got shape \(1, 6, 2\); choose groups dividing"
    ):
        F.channel_shuffle(x, 4)
    torch = pytest.importorskip("torch")
    images = rng.normal(size=(2, 6, 2, 3))
    assert_agrees_with_torch(torch, nn.ChannelShuffle(2), torch.nn.ChannelShuffle(2), images)
    assert repr(nn.ChannelShuffle(2)) == repr(torch.nn.ChannelShuffle(2))


def test_the_deprecated_upsample_names_are_interpolate_and_warn_as_torch():
    x = rng.normal(size=(1, 2, 3, 3))
    with pytest.warns(UserWarning, match="`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional"):
        got = F.upsample_bilinear(x, scale_factor=2)
    np.testing.assert_array_equal(got.data, F.interpolate(x, None, 2, "bilinear", align_corners=True).data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_array_equal(F.upsample_nearest(x, size=5).data, F.interpolate(x, 5).data)
        np.testing.assert_array_equal(
            F.upsample(x, size=(4, 6), mode="bicubic").data, F.interpolate(x, (4, 6), None, "bicubic").data
        )
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.nn.functional.upsample_bilinear(torch.tensor(x), scale_factor=2).numpy()
    np.testing.assert_allclose(got.data, theirs, rtol=1e-12)
