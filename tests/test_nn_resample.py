"""interpolate / Upsample, pixel_(un)shuffle, max_unpool2d, the 1-d pools, glu and the shrinks, F.embedding and
EmbeddingBag: against torch (values and gradients), hand computations on tiny inputs, finite differences, and the
errors that name the function, the shapes and the fix."""

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core import Tensor

rng = np.random.default_rng(0)


def against_torch(ours, theirs, x, torch):
    """Values and the input's gradient (under a random weighting of the output) of ours and torch's."""
    xt, xq = Tensor(x.copy(), requires_grad=True), torch.tensor(x.copy(), requires_grad=True)
    out, out_q = ours(xt), theirs(xq)
    np.testing.assert_allclose(out.data, out_q.detach().numpy(), rtol=1e-12, atol=1e-12)
    r = rng.normal(size=out.shape)
    (out * r).sum().backward()
    (out_q * torch.from_numpy(r)).sum().backward()
    np.testing.assert_allclose(xt.grad, xq.grad.numpy(), rtol=1e-10, atol=1e-12)


CASES = [  # (input shape, keyword arguments)
    ((2, 3, 5), dict(scale_factor=2, mode="nearest")),
    ((2, 3, 5), dict(size=7, mode="nearest")),
    ((2, 3, 7), dict(size=3, mode="nearest-exact")),
    ((2, 3, 5), dict(scale_factor=1.7, mode="linear")),
    ((2, 3, 5), dict(size=8, mode="linear", align_corners=True)),
    ((2, 3, 5), dict(size=1, mode="linear", align_corners=True)),
    ((1, 2, 4, 5), dict(scale_factor=(2, 3), mode="nearest")),
    ((1, 2, 4, 5), dict(size=(3, 7), mode="nearest")),
    ((1, 2, 4, 5), dict(scale_factor=2, mode="bilinear")),
    ((1, 2, 4, 5), dict(scale_factor=2.5, mode="bilinear", recompute_scale_factor=True)),
    ((1, 2, 4, 5), dict(size=(7, 3), mode="bilinear", align_corners=True)),
    ((1, 2, 4, 5), dict(size=(6, 9), mode="bilinear", align_corners=False)),
    ((1, 2, 6, 6), dict(scale_factor=0.5, mode="bilinear")),
]


@pytest.mark.parametrize("shape, kwargs", CASES)
def test_interpolate_equals_torch(shape, kwargs):
    torch = pytest.importorskip("torch")
    x = rng.normal(size=shape)
    against_torch(
        lambda t: F.interpolate(t, **kwargs), lambda t: torch.nn.functional.interpolate(t, **kwargs), x, torch
    )
    against_torch(nn.Upsample(**kwargs), torch.nn.Upsample(**kwargs), x, torch)


def test_interpolate_by_hand():
    # linear, align_corners=False, 2 -> 4: source positions -0.25 (clamped to 0), 0.25, 0.75, 1.25 (-> 1)
    out = F.interpolate(Tensor([[[0.0, 4.0]]]), scale_factor=2, mode="linear", align_corners=False)
    np.testing.assert_allclose(out.data[0, 0], [0.0, 1.0, 3.0, 4.0])
    # bilinear with corners aligned, 2x2 -> 3x3: the centre is the mean of the four corners
    out = F.interpolate(Tensor([[[[0.0, 2.0], [4.0, 6.0]]]]), size=3, mode="bilinear", align_corners=True)
    np.testing.assert_allclose(out.data[0, 0], [[0, 1, 2], [2, 3, 4], [4, 5, 6]])
    # nearest's gradient: each input pixel collects the gradients of its copies (2 x 3 of them)
    x = Tensor(np.ones((1, 1, 2, 2)), requires_grad=True)
    F.interpolate(x, scale_factor=(2, 3)).sum().backward()
    np.testing.assert_array_equal(x.grad, np.full((1, 1, 2, 2), 6.0))
    ag.gradcheck(
        lambda t: F.interpolate(t, size=(3, 5), mode="bilinear"),
        Tensor(rng.normal(size=(1, 2, 2, 3)), requires_grad=True),
    )


def test_interpolate_errors_name_the_problem():
    x4 = ag.ones(1, 1, 2, 2)
    with pytest.raises(ValueError, match=r"interpolate: mode='bilinear' needs a 4-d input .* got shape \(1, 2, 2\)"):
        F.interpolate(ag.ones(1, 2, 2), scale_factor=2, mode="bilinear")
    with pytest.raises(ValueError, match=r"interpolate: give exactly one of size and scale_factor"):
        F.interpolate(x4, size=3, scale_factor=2)
    with pytest.raises(
        ValueError, match=r"interpolate: align_corners can only be set with .* linear, bilinear and bicubic"
    ):
        F.interpolate(x4, scale_factor=2, align_corners=True)
    with pytest.raises(ValueError, match=r"interpolate: mode must be one of .* got 'cubic'"):
        F.interpolate(x4, scale_factor=2, mode="cubic")
    with pytest.raises(ValueError, match=r"interpolate: scale_factor must be a number or 2 of them"):
        F.interpolate(x4, scale_factor=(2, 2, 2))


def test_pixel_shuffle_and_unshuffle_equal_torch_and_invert_each_other():
    torch = pytest.importorskip("torch")
    x = rng.normal(size=(2, 12, 3, 4))
    against_torch(nn.PixelShuffle(2), torch.nn.PixelShuffle(2), x, torch)
    against_torch(nn.PixelUnshuffle(3), torch.nn.PixelUnshuffle(3), rng.normal(size=(5, 2, 6, 9)), torch)


def test_pixel_shuffle_by_hand():
    # the four channels of one pixel become its 2 x 2 block, channel 2 i + j at (i, j)
    out = F.pixel_shuffle(ag.arange(8.0).reshape(2, 4, 1, 1), 2)
    np.testing.assert_array_equal(out.data[1, 0], [[4, 5], [6, 7]])
    x = ag.arange(72.0).reshape(2, 4, 3, 3)
    np.testing.assert_array_equal(F.pixel_unshuffle(F.pixel_shuffle(x, 2), 2).data, x.data)
    with pytest.raises(
        ValueError, match=r"pixel_shuffle: input of shape \(1, 3, 2, 2\) .* divisible by upscale_factor\*\*2 = 4"
    ):
        F.pixel_shuffle(ag.ones(1, 3, 2, 2), 2)
    with pytest.raises(ValueError, match=r"pixel_unshuffle: .* H and W divisible by downscale_factor = 2"):
        F.pixel_unshuffle(ag.ones(1, 1, 3, 2), 2)


def test_max_unpool2d_equals_torch_and_inverts_max_pool():
    torch = pytest.importorskip("torch")
    x = rng.normal(size=(2, 3, 5, 6))
    y, i = F.max_pool2d(x, 2, stride=2, return_indices=True)
    _, iq = torch.nn.functional.max_pool2d(torch.from_numpy(x), 2, stride=2, return_indices=True)
    np.testing.assert_array_equal(i.data, iq.numpy())
    for size in (None, (5, 6)):
        against_torch(
            lambda t, size=size: nn.MaxUnpool2d(2)(t, i, output_size=size),
            lambda t, size=size: torch.nn.MaxUnpool2d(2)(t, iq, output_size=size),
            y.data,
            torch,
        )


def test_max_unpool2d_by_hand_and_its_errors():
    y, i = F.max_pool2d(Tensor([[[[1.0, 4.0], [3.0, 2.0]]]]), 2, return_indices=True)
    v = Tensor(y.data, requires_grad=True)
    out = F.max_unpool2d(v, i, 2)
    np.testing.assert_array_equal(out.data[0, 0], [[0, 4], [0, 0]])
    (out * Tensor([[[[1.0, 7.0], [1.0, 1.0]]]])).sum().backward()
    assert v.grad.item() == 7.0  # the gradient at the index it was put
    with pytest.raises(
        ValueError,
        match=r"max_unpool2d: indices must be in 0..3 for an output of 2x2, found 9..9; give the output_size",
    ):
        F.max_unpool2d(v, np.array([[[[9]]]]), 2)
    with pytest.raises(ValueError, match=r"max_unpool2d: input .* and indices of the same shape"):
        F.max_unpool2d(v, np.zeros((1, 1, 2, 2), np.int64), 2)


@pytest.mark.parametrize(
    "kwargs", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=2, ceil_mode=True)]
)
def test_pool1d_equals_torch(kwargs):
    torch = pytest.importorskip("torch")
    x = rng.normal(size=(2, 3, 7))
    against_torch(nn.MaxPool1d(**kwargs), torch.nn.MaxPool1d(**kwargs), x, torch)
    against_torch(nn.AvgPool1d(**kwargs), torch.nn.AvgPool1d(**kwargs), x, torch)
    against_torch(nn.MaxPool1d(2, dilation=2), torch.nn.MaxPool1d(2, dilation=2), x[0], torch)  # unbatched (C, L)
    _, i = F.max_pool1d(x, 3, return_indices=True)
    np.testing.assert_array_equal(
        i.data, torch.nn.functional.max_pool1d(torch.from_numpy(x), 3, return_indices=True)[1]
    )


def test_pool1d_by_hand_and_errors():
    x = Tensor([[[1.0, 3.0, 2.0, 5.0, 4.0]]])
    np.testing.assert_array_equal(F.max_pool1d(x, 2, stride=1).data, [[[3, 3, 5, 5]]])
    np.testing.assert_allclose(F.avg_pool1d(x, 3, stride=2).data, [[[2.0, 11 / 3]]])
    with pytest.raises(ValueError, match=r"max_pool1d: expected a 3-d \(N, C, L\) input .* x\[:, None\]"):
        F.max_pool1d(ag.ones(4), 2)


def test_glu_and_the_shrinks_equal_torch():
    torch = pytest.importorskip("torch")
    x = rng.normal(size=(3, 4, 6)) * 2
    x[np.abs(np.abs(x) - 0.5) < 1e-3] = 2.0  # away from the kinks at +-lambd
    tf = torch.nn.functional
    against_torch(nn.GLU(1), torch.nn.GLU(1), x, torch)
    against_torch(F.glu, tf.glu, x, torch)
    pairs = [(F.softsign, tf.softsign), (F.tanhshrink, tf.tanhshrink), (nn.Softshrink(), torch.nn.Softshrink())]
    pairs += [(nn.Hardshrink(0.7), torch.nn.Hardshrink(0.7)), (nn.Softshrink(1.3), torch.nn.Softshrink(1.3))]
    for ours, theirs in pairs:
        against_torch(ours, theirs, x, torch)


def test_glu_and_shrinks_by_hand():
    np.testing.assert_allclose(F.glu(Tensor([[2.0, 4.0, 0.0, 0.0]])).data, [[1.0, 2.0]])  # sigmoid(0) = 1/2
    np.testing.assert_allclose(F.softshrink(Tensor([-3.0, 0.2, 3.0]), 1.0).data, [-2.0, 0.0, 2.0])
    np.testing.assert_allclose(F.hardshrink(Tensor([-3.0, 0.2, 3.0]), 1.0).data, [-3.0, 0.0, 3.0])
    np.testing.assert_allclose(F.softsign(Tensor([3.0])).data, [0.75])
    x = Tensor(rng.normal(size=(2, 6)), requires_grad=True)
    ag.gradcheck(lambda t: F.glu(t, dim=1) + F.softsign(t[:, :3]) + F.tanhshrink(t[:, 3:]), x)
    with pytest.raises(ValueError, match=r"glu: the halved axis dim=-1 of the input's shape \(2, 3\) has odd length 3"):
        F.glu(ag.ones(2, 3))
    with pytest.raises(ValueError, match=r"Softshrink: lambd must be a finite number >= 0"):
        nn.Softshrink(-1)


def test_embedding_function_equals_torch_with_padding_max_norm_and_frequencies():
    torch = pytest.importorskip("torch")
    w = rng.normal(size=(6, 3)) * 2
    idx = np.array([[0, 2, 2], [5, 1, 2]])
    options = [dict(padding_idx=2), dict(max_norm=1.0), dict(scale_grad_by_freq=True)]
    for kwargs in options + [dict(padding_idx=-1, max_norm=1.5, norm_type=1.0)]:
        wt, wq = Tensor(w.copy(), requires_grad=True), torch.tensor(w.copy(), requires_grad=True)
        out, out_q = F.embedding(idx, wt, **kwargs), torch.nn.functional.embedding(torch.from_numpy(idx), wq, **kwargs)
        np.testing.assert_allclose(out.data, out_q.detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(wt.data, wq.detach().numpy(), rtol=1e-12)  # max_norm renormalised both in place
        r = rng.normal(size=out.shape)
        (out * r).sum().backward()
        (out_q * torch.from_numpy(r)).sum().backward()
        np.testing.assert_allclose(wt.grad, wq.grad.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_equals_torch(mode):
    torch = pytest.importorskip("torch")
    bag, bag_q = (
        nn.EmbeddingBag(8, 3, mode=mode, padding_idx=4, seed=0),
        torch.nn.EmbeddingBag(8, 3, mode=mode, padding_idx=4),
    )
    bag_q.weight.data = torch.from_numpy(bag.weight.data.copy())
    idx, offsets = np.array([1, 2, 4, 7, 7, 4, 0, 3]), np.array([0, 3, 5, 5])  # a padding entry, an empty bag
    out, out_q = bag(idx, offsets), bag_q(torch.from_numpy(idx), torch.from_numpy(offsets))
    np.testing.assert_allclose(out.data, out_q.detach().numpy(), rtol=1e-12)
    r = rng.normal(size=out.shape)
    (out * r).sum().backward()
    (out_q * torch.from_numpy(r)).sum().backward()
    np.testing.assert_allclose(bag.weight.grad, bag_q.weight.grad.numpy(), rtol=1e-12, atol=1e-14)
    rows = np.array([[1, 2, 3], [7, 0, 0]])  # 2-d input: one bag per row
    np.testing.assert_allclose(bag(rows).data, bag_q(torch.from_numpy(rows)).detach().numpy(), rtol=1e-12)


def test_embedding_bag_per_sample_weights_and_last_offset_equal_torch():
    torch = pytest.importorskip("torch")
    w, idx, offsets, psw = rng.normal(size=(5, 2)), np.array([0, 1, 1, 3, 4]), np.array([0, 2, 5]), rng.random(5)
    p, pq = Tensor(psw.copy(), requires_grad=True), torch.tensor(psw.copy(), requires_grad=True)
    wt, wq = Tensor(w.copy(), requires_grad=True), torch.tensor(w.copy(), requires_grad=True)
    out = F.embedding_bag(idx, wt, offsets, mode="sum", per_sample_weights=p, include_last_offset=True)
    out_q = torch.nn.functional.embedding_bag(
        torch.from_numpy(idx),
        wq,
        torch.from_numpy(offsets),
        mode="sum",
        per_sample_weights=pq,
        include_last_offset=True,
    )
    np.testing.assert_allclose(out.data, out_q.detach().numpy(), rtol=1e-12)
    out.sum().backward()
    out_q.sum().backward()
    np.testing.assert_allclose(p.grad, pq.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(wt.grad, wq.grad.numpy(), rtol=1e-12)


def test_embedding_bag_by_hand_and_errors():
    w = Tensor([[1.0, 0.0], [0.0, 1.0], [2.0, 2.0]], requires_grad=True)
    out = F.embedding_bag(np.array([0, 1, 2, 2]), w, np.array([0, 2]), mode="mean")
    np.testing.assert_allclose(out.data, [[0.5, 0.5], [2.0, 2.0]])
    out.sum().backward()
    np.testing.assert_allclose(w.grad, [[0.5, 0.5], [0.5, 0.5], [1.0, 1.0]])  # each lookup's share of its bag's mean
    with pytest.raises(ValueError, match=r"embedding_bag: offsets must be a 1-d integer array, starting at 0"):
        F.embedding_bag(np.array([0, 1]), w, np.array([1]))
    with pytest.raises(
        ValueError, match=r"embedding_bag: input must be 2-d \(B, N\), one bag per row, or 1-d with 1-d offsets"
    ):
        F.embedding_bag(np.array([0, 1]), w)
    with pytest.raises(ValueError, match=r"embedding_bag: per_sample_weights are only for mode='sum'"):
        F.embedding_bag(np.array([[0, 1]]), w, per_sample_weights=np.ones((1, 2)))
    with pytest.raises(
        ValueError, match=r"embedding: indices must be in 0..2 \(the weight's 3 rows\), got min 0, max 3"
    ):
        F.embedding(np.array([0, 3]), w)
    with pytest.raises(TypeError, match=r"embedding: indices must be integers, got dtype float64"):
        F.embedding(np.array([0.0]), w)


def test_new_layers_are_exported_and_rebuild_from_their_config():
    from nn.architecture import build, describe

    for layer in [nn.Upsample(scale_factor=(2, 3), mode="bilinear", align_corners=True), nn.PixelShuffle(3),
                  nn.PixelUnshuffle(2), nn.MaxUnpool2d(3, 2, 1), nn.MaxPool1d(3, 2, 1), nn.AvgPool1d(2),
                  nn.GLU(1), nn.Softshrink(0.3), nn.Hardshrink(2.0), nn.EmbeddingBag(5, 2, mode="max", seed=0),
                  nn.UpsamplingBilinear2d(size=4), nn.UpsamplingNearest2d(scale_factor=2)]:  # fmt: skip
        assert type(layer).__name__ in nn.__all__
        rebuilt = build(describe(layer))
        assert type(rebuilt) is type(layer) and repr(rebuilt) == repr(layer)


def test_embedding_layer_takes_torchs_max_norm_and_rebuilds_with_it():
    torch = pytest.importorskip("torch")
    ours = nn.Embedding(6, 3, seed=0, padding_idx=1, max_norm=0.5, scale_grad_by_freq=True)
    theirs = torch.nn.Embedding(6, 3, padding_idx=1, max_norm=0.5, scale_grad_by_freq=True).double()
    theirs.weight.data = torch.from_numpy(ours.weight.data.copy())
    idx = np.array([[0, 1, 2, 2], [5, 0, 0, 3]])
    out, out_q = ours(idx), theirs(torch.from_numpy(idx))
    np.testing.assert_allclose(out.data, out_q.detach().numpy(), rtol=1e-12)
    (out * out).sum().backward()
    (out_q * out_q).sum().backward()
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), rtol=1e-12, atol=1e-14)
    from nn.architecture import build, describe

    assert build(describe(ours)).max_norm == 0.5
