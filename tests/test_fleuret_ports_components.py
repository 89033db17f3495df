"""François Fleuret, *The Little Book of Deep Learning* (2023), chapters 4 (model components) and 5 (architectures),
ported: what the book says each component does, measured with the engine's derivatives (a layer's Jacobian shows
what its output depends on). Chapter 3 (training) is in test_fleuret_ports.py; the activations are with Murphy's
table (test_murphy_ports.py).

4.2  A 1-d convolution is a linear map with weight sharing: its Jacobian is the banded matrix of its kernel, at
     the offsets stride, padding and dilation give, and its output has (D + 2p - d (K - 1) - 1) // s + 1 entries;
     the receptive field of a stack grows by (K - 1) times the product of the earlier strides (the input gradient
     of one output unit is non-zero exactly there).
4.6  Batch normalisation in training mixes the samples of the batch (its Jacobian has blocks between samples);
     layer normalisation, and batch normalisation in evaluation, treat each sample alone.
4.8  Self-attention is equivariant to a permutation of the tokens; 4.10's positional encoding breaks it, and the
     encoding of position t + k is a rotation of position t's, the same for every t.
5.2  ResNet's bottleneck block, and its downscaling form (stride 2, a 1x1 projection on the skip).
5.3  ViT's patch embedding is a convolution whose kernel and stride are the patch size; a small GPT learns a
     sequence, its loss falling as the causal factorisation of 3.2 predicts.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core import Tensor
from tests.fleuret_helpers import TinyGPT, positional_encoding


# ---------------------------------------------------------------------------------- 4.2 convolutions
@pytest.mark.parametrize(("stride", "padding", "dilation"), [(1, 0, 1), (2, 1, 1), (1, 2, 2), (3, 1, 2)])
def test_4_2_a_1d_convolution_is_the_banded_matrix_of_its_kernel(stride, padding, dilation):
    rng = np.random.default_rng(0)
    kernel, length = rng.standard_normal(3), 11
    width = (length + 2 * padding - dilation * (3 - 1) - 1) // stride + 1  # the book's output size

    def conv(x: Tensor) -> Tensor:
        return F.conv1d(x.reshape(1, 1, length), Tensor(kernel.reshape(1, 1, 3)), None, stride, padding, dilation)[0, 0]

    jac = ag.jacobian(conv)(Tensor(rng.standard_normal(length))).data
    banded = np.zeros((width, length))
    for o in range(width):
        for k in range(3):
            i = o * stride - padding + k * dilation  # cross-correlation: output o reads input o s - p + k d
            if 0 <= i < length:
                banded[o, i] = kernel[k]
    np.testing.assert_array_equal(jac, banded)


@pytest.mark.parametrize(("strides", "field"), [((1, 1, 1), 7), ((2, 1), 7), ((2, 2, 1), 15), ((1, 2, 1), 9)])
def test_4_2_the_receptive_field_grows_by_k_minus_1_times_the_strides_so_far(strides, field):
    layers = [nn.Conv2d(1, 1, 3, stride=s, seed=k) for k, s in enumerate(strides)]
    for layer in layers:  # positive weights: no cancellation can hide a dependency
        layer.weight.data[:] = np.abs(layer.weight.data) + 0.1
    grown = 1
    for k, _ in enumerate(strides):
        grown += 2 * int(np.prod(strides[:k]))
    assert grown == field  # r = 1 + sum_l (K - 1) prod_{i < l} s_i
    x = Tensor(np.zeros((1, 1, 33, 33)), requires_grad=True)
    out = nn.Sequential(*layers)(x)
    out[0, 0, out.shape[2] // 2, out.shape[3] // 2].backward()
    rows, cols = np.nonzero(x.grad[0, 0])
    assert rows.max() - rows.min() + 1 == field and cols.max() - cols.min() + 1 == field


# ---------------------------------------------------------------------------------- 4.6 normalising layers
def _sample_blocks(layer: nn.Module, x: np.ndarray) -> np.ndarray:
    """|d out[n] / d x[m]| summed per pair of samples (n, m)."""
    jac = ag.jacobian(layer)(Tensor(x)).data  # (N, D, N, D)
    return np.abs(jac).sum(axis=(1, 3))


def test_4_6_batch_norm_mixes_the_batch_in_training_layer_norm_never():
    x = np.random.default_rng(1).standard_normal((4, 3))
    batch_norm, layer_norm = nn.BatchNorm1d(3), nn.LayerNorm(3)
    mixing = _sample_blocks(batch_norm, x)
    assert (mixing[~np.eye(4, dtype=bool)] > 1e-3).all()  # each output moves with every other sample
    for per_sample in (_sample_blocks(layer_norm, x), _sample_blocks(batch_norm.eval(), x)):
        assert not per_sample[~np.eye(4, dtype=bool)].any() and (np.diag(per_sample) > 0).all()
    normalised = layer_norm(Tensor(x)).data  # LayerNorm: each sample's features mean 0, variance 1
    np.testing.assert_allclose(normalised.mean(axis=1), 0, atol=1e-15)
    np.testing.assert_allclose(normalised.var(axis=1), 1 / (1 + 1e-5 / x.var(axis=1)), rtol=1e-12)


# ---------------------------------------------------------------------------------- 4.8 attention, 4.10 positions
def test_4_8_self_attention_is_permutation_equivariant_until_positions_are_added():
    rng = np.random.default_rng(2)
    attention = nn.MultiheadAttention(8, 2, batch_first=True, seed=0)
    x, order = rng.standard_normal((1, 6, 8)), rng.permutation(6)

    def attend(tokens: np.ndarray) -> np.ndarray:
        return attention(Tensor(tokens), Tensor(tokens), Tensor(tokens))[0].data

    np.testing.assert_allclose(attend(x[:, order]), attend(x)[:, order], atol=1e-14)  # A(P x) = P A(x)
    encoded = x + positional_encoding(6, 8)
    shuffled = x[:, order] + positional_encoding(6, 8)  # the same tokens, now at other positions
    assert np.abs(attend(shuffled) - attend(encoded)[:, order]).max() > 0.01


def test_4_10_the_encoding_of_t_plus_k_is_a_rotation_of_t_s_the_same_for_every_t():
    dim, period = 8, 1e4
    encoding = positional_encoding(40, dim, period)
    assert encoding[0].tolist() == [0.0, 1.0] * (dim // 2)  # sin 0, cos 0
    for j in range(dim // 2):  # the pair (2j, 2j + 1) turns at the angular frequency T^(-2j / D)
        omega = period ** (-2 * j / dim)
        for k in (1, 5):
            turn = np.array([[np.cos(k * omega), -np.sin(k * omega)], [np.sin(k * omega), np.cos(k * omega)]])
            pairs = encoding[:, 2 * j : 2 * j + 2]
            np.testing.assert_allclose(pairs[:-k] @ turn, pairs[k:], atol=1e-12)


# ---------------------------------------------------------------------------------- 5.2 ResNet's bottleneck block
class Bottleneck(nn.Module):
    """Fleuret figure 5.5: 1x1 conv to C/4, 3x3 conv, 1x1 conv back (each with batch norm), added to the input;
    with ``stride=2`` the spatial size halves, the channels double, and the skip is a strided 1x1 conv."""

    def __init__(self, channels: int, stride: int = 1, seed: int = 0) -> None:
        super().__init__()
        out, mid = channels * stride, channels // 4
        self.branch = nn.Sequential(
            nn.Conv2d(channels, mid, 1, bias=False, seed=seed), nn.BatchNorm2d(mid), nn.ReLU(),
            nn.Conv2d(mid, mid, 3, stride=stride, padding=1, bias=False, seed=seed + 1), nn.BatchNorm2d(mid),
            nn.ReLU(), nn.Conv2d(mid, out, 1, bias=False, seed=seed + 2), nn.BatchNorm2d(out),
        )  # fmt: skip
        self.skip = nn.Identity() if stride == 1 else nn.Conv2d(channels, out, 1, stride=stride, seed=seed + 3)

    def forward(self, x: Tensor) -> Tensor:
        return (self.branch(x) + self.skip(x)).relu()


def test_5_2_the_bottleneck_blocks_keep_or_halve_the_size_and_pass_finite_differences():
    x = Tensor(np.random.default_rng(3).standard_normal((2, 8, 6, 6)), requires_grad=True)
    assert Bottleneck(8)(x).shape == (2, 8, 6, 6)
    assert Bottleneck(8, stride=2)(x).shape == (2, 16, 3, 3)
    block = Bottleneck(8, stride=2, seed=5)
    block.branch[-1].weight.data[:] = 0.0  # the last norm's scale at 0: the branch adds nothing ...
    np.testing.assert_allclose(block(x).data, block.skip(x).relu().data, atol=1e-15)  # ... only the skip remains
    small = Tensor(np.random.default_rng(4).standard_normal((2, 4, 4, 4)), requires_grad=True)
    assert ag.gradcheck(Bottleneck(4, seed=7), (small,))


# ---------------------------------------------------------------------------------- 5.3 attention models
def test_5_3_vits_patch_embedding_is_a_convolution_with_the_patch_as_kernel_and_stride():
    rng = np.random.default_rng(4)
    images = Tensor(rng.standard_normal((2, 3, 8, 8)), requires_grad=True)
    conv = nn.Conv2d(3, 5, 4, stride=4, seed=0)
    patches = images.reshape(2, 3, 2, 4, 2, 4).permute(0, 2, 4, 1, 3, 5).reshape(2, 4, 48)  # 2x2 patches, flat
    by_linear = F.linear(patches, conv.weight.reshape(5, 48), conv.bias)  # (N, patches, D): the book's tokens
    by_conv = conv(images).reshape(2, 5, 4).permute(0, 2, 1)
    np.testing.assert_allclose(by_conv.data, by_linear.data, atol=1e-14)
    direction = rng.standard_normal(by_conv.shape)
    grads = [ag.grad((t * direction).sum(), images)[0].data for t in (by_conv, by_linear)]
    np.testing.assert_allclose(grads[0], grads[1], atol=1e-14)


def test_5_3_a_small_gpt_learns_a_sequence_as_the_causal_factorisation_predicts():
    model = TinyGPT(vocabulary=4, dim=16, heads=2, seed=3)
    tokens = np.array([[0, 1, 2, 3, 0, 1, 2, 3, 0]])  # after the first token, each next one is determined
    optimizer = nn.optim.Adam(model.parameters(), lr=0.02)
    losses = []
    for _ in range(60):
        loss = F.cross_entropy(model(tokens[:, :-1])[0], tokens[0, 1:])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[0] > 1.0 and losses[-1] < 0.05
    with ag.no_grad():
        predicted = model(tokens[:, :-1])[0].data.argmax(axis=1)
    np.testing.assert_array_equal(predicted, tokens[0, 1:])
