"""Dropout2d / F.dropout2d: whole channels dropped, the kept fraction near 1 - p, inverted scaling, the
identity in eval, seeded as Dropout (ag.manual_seed), its gradient, errors and saving."""

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core import Tensor
from nn.fit_step import compile_obstacle


@pytest.mark.parametrize("p, dtype", [(0.3, np.float64), (0.5, np.float32), (0.8, np.float64)])
def test_whole_channels_zeroed_or_scaled_and_the_kept_fraction_is_near_one_minus_p(p, dtype):
    x = np.random.default_rng(0).uniform(1.0, 2.0, size=(400, 25, 3, 2)).astype(dtype)  # 10,000 channels
    out = nn.Dropout2d(p, seed=1)(x)
    assert out.dtype == dtype and out.shape == x.shape
    dropped = (out.data == 0).reshape(400, 25, -1)
    assert np.all(dropped == dropped[:, :, :1])  # one decision per (n, c): the whole map
    kept = ~dropped[:, :, 0]
    np.testing.assert_allclose(out.data[kept], x[kept] / (1 - p), rtol=1e-6)  # inverted scaling
    assert abs(kept.mean() - (1 - p)) < 4 * np.sqrt(p * (1 - p) / kept.size)  # 4 standard errors


def test_eval_is_the_identity_and_p_zero_or_one():
    x = np.random.default_rng(0).normal(size=(2, 3, 4, 4))
    layer = nn.Dropout2d(0.5).eval()
    assert np.array_equal(layer(x).data, x)
    assert np.array_equal(F.dropout2d(x, 0.5, training=False).data, x)
    assert np.array_equal(F.dropout2d(x, 0.0).data, x)
    assert np.array_equal(F.dropout2d(x, 1.0).data, np.zeros_like(x))


def test_ag_manual_seed_governs_it_as_it_governs_dropout():
    x = np.ones((8, 16, 2, 2))
    ag.manual_seed(0)
    first, second = nn.Dropout2d(0.5)(x).data, nn.Dropout2d(0.5)(x).data
    assert not np.array_equal(first, second)  # the default stream moves on
    ag.manual_seed(0)
    assert np.array_equal(nn.Dropout2d(0.5)(x).data, first)
    nn.init.manual_seed(0)
    assert np.array_equal(F.dropout2d(x, 0.5).data, first)
    ag.manual_seed(0)  # and it draws as Dropout does, one uniform per (n, c)
    assert np.array_equal(nn.Dropout(0.5)(np.ones((8, 16, 1, 1))).data, first[:, :, :1, :1])
    seeded = nn.Dropout2d(0.5, seed=3)
    again = nn.Dropout2d(0.5, seed=3)
    assert np.array_equal(seeded(x).data, again(x).data)


def test_gradient_is_the_mask_scaled_and_gradcheck():
    x = Tensor(np.random.default_rng(1).normal(size=(3, 6, 2, 3)), requires_grad=True)
    out = F.dropout2d(x, 0.25, generator=4)
    upstream = np.random.default_rng(2).normal(size=x.shape)
    (out * upstream).sum().backward()
    np.testing.assert_allclose(x.grad, upstream * (out.data / x.data), rtol=1e-12)
    assert ag.gradcheck(lambda t: F.dropout2d(t, 0.25, generator=4) ** 2, x)  # an int seed: one mask


def test_errors_name_the_layer_the_shapes_and_the_fix():
    with pytest.raises(ValueError, match=r"Dropout2d: p must be a probability in \[0, 1\], got 1.5"):
        nn.Dropout2d(1.5)
    with pytest.raises(ValueError, match=r"Dropout2d: p must be a finite number"):
        nn.Dropout2d("0.5")
    with pytest.raises(
        ValueError, match=r"Dropout2d\(p=0.5\): expected an \(N, C, H, W\) input, got shape \(3, 4, 4\).*x\[None\]"
    ):
        nn.Dropout2d()(np.ones((3, 4, 4)))
    with pytest.raises(
        ValueError, match=r"dropout2d: expected an \(N, C, H, W\) input, got shape \(4, 5\).*use dropout"
    ):
        F.dropout2d(np.ones((4, 5)))
    with pytest.raises(ValueError, match=r"dropout2d: p must be a probability in \[0, 1\], got -0.1"):
        F.dropout2d(np.ones((1, 1, 2, 2)), -0.1)
    with pytest.raises(ValueError, match=r"Dropout: p must be a probability"):  # Dropout's own words kept
        nn.Dropout(2.0)


def test_saved_and_rebuilt_and_fit_runs_it_define_by_run(tmp_path):
    model = nn.Sequential(nn.Conv2d(1, 2, 3, seed=0), nn.Dropout2d(0.25), nn.Flatten())
    assert repr(model[1]) == "Dropout2d(p=0.25, inplace=False)"  # torch's line
    nn.save(model, tmp_path / "drop.npz")
    loaded = nn.load(tmp_path / "drop.npz")
    assert type(loaded[1]) is nn.Dropout2d and loaded[1].p == 0.25
    assert compile_obstacle(model, F.cross_entropy) == "layer '1' (Dropout2d) draws a fresh random mask every step"


@pytest.mark.parametrize(
    "layer",
    [
        lambda p: nn.LSTM(4, 8, num_layers=2, dropout=p),
        lambda p: nn.GRU(4, 8, num_layers=2, dropout=p),
        lambda p: nn.MultiheadAttention(8, 2, dropout=p),
    ],
)
def test_layers_with_dropout_inside_are_a_compile_obstacle_for_fit(layer):
    # their forward draws a fresh mask each step (F.dropout), which a replay would freeze: fit runs define-by-run
    model = nn.Sequential(nn.Linear(4, 4), layer(0.25))
    assert compile_obstacle(model, F.cross_entropy) == (
        f"layer '1' ({type(model[1]).__name__}) draws a fresh random mask every step"
    )
    assert compile_obstacle(nn.Sequential(nn.Linear(4, 4), layer(0.0)), F.cross_entropy) is None


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_a_single_layer_recurrent_dropout_draws_nothing_so_fit_may_compile_it(kind):
    # dropout acts between stacked layers: with num_layers=1 the layer warns that it does nothing (as torch),
    # and its forward draws no mask, so it is no reason to run define-by-run
    with pytest.warns(UserWarning, match="num_layers=1"):
        layer = getattr(nn, kind)(4, 8, dropout=0.25)
    assert compile_obstacle(nn.Sequential(nn.Linear(4, 4), layer), F.cross_entropy) is None
    from autograd_core.sampling import default_generator

    before = default_generator.rng.bit_generator.state  # what F.dropout draws its masks from
    layer.train()(ag.Tensor(np.ones((3, 2, 4))))
    assert default_generator.rng.bit_generator.state == before
    nn.LSTM(4, 8, num_layers=2, dropout=0.25).train()(ag.Tensor(np.ones((3, 2, 4))))
    assert default_generator.rng.bit_generator.state != before  # (two layers do draw: the check can fail)
