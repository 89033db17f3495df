"""Géron, *Hands-On Machine Learning* (the PyTorch edition's chapter 11, and the Keras 3rd edition's in torch
spellings): the vanishing/exploding gradients part. Glorot/He/LeCun initialisation (Table 11-1: sigma^2 =
1/fan_avg, 2/fan_in, 1/fan_in; uniform with r = sqrt(3 sigma^2)) measured on drawn weights; torch's
``kaiming_uniform_(w, a)`` defaults to the leaky ReLU of slope a; the non-saturating activations (LeakyReLU,
PReLU, RReLU, ELU, SELU, GELU, SiLU/Swish, Mish) against the book's formulas, their minima and SELU's alpha and
scale from the notebook's closed form; a 100-layer SELU net that self-normalises; batch normalisation's
parameters, momentum and train/eval rules.
"""

import copy
import math

import numpy as np
import pytest
from geron_helpers import deep_activations, lambert_w

import autograd_core as torch
import nn
import nn.functional as F

FANS = (300, 200)  # a Linear(200, 300): weight (out, in), fan_in 200, fan_out 300


def weight_variance(init, *args, **kwargs):
    w = torch.empty(*FANS)
    init(w, *args, generator=0, **kwargs)
    return float(w.data.var()), float(np.abs(w.data).max())


@pytest.mark.parametrize(
    "name, init, kwargs, sigma2, uniform",
    [
        ("Glorot normal (fan_avg)", nn.init.xavier_normal_, {}, 1 / 250, False),
        ("Glorot uniform", nn.init.xavier_uniform_, {}, 1 / 250, True),
        ("He normal (fan_in)", nn.init.kaiming_normal_, {}, 2 / 200, False),
        ("He uniform", nn.init.kaiming_uniform_, {}, 2 / 200, True),
        ("He with fan_out", nn.init.kaiming_normal_, {"mode": "fan_out"}, 2 / 300, False),
        ("LeCun normal", nn.init.kaiming_normal_, {"nonlinearity": "linear"}, 1 / 200, False),
        (
            "He on fan_avg (Keras VarianceScaling(2, 'fan_avg'))",
            nn.init.xavier_uniform_,
            {"gain": 2**0.5},
            2 / 250,
            True,
        ),
    ],
)
def test_table_11_1_the_variances_of_glorot_he_and_lecun_initialisation(name, init, kwargs, sigma2, uniform):
    variance, largest = weight_variance(init, **kwargs)
    assert variance == pytest.approx(sigma2, rel=0.02), name  # 60,000 draws: the sample variance within 2%
    if uniform:  # U(-r, r), r = sqrt(3 sigma^2): the largest draw just under r
        r = math.sqrt(3 * sigma2)
        assert 0.999 * r < largest <= r


def layer_gradient_norms(activation, init, depth=10, width=100, seed=0):
    """The norm of the loss's gradient for each layer's weight, first layer first (the book's Figure 11-1 story)."""
    torch.manual_seed(seed)
    layers = []
    for _ in range(depth):
        linear = nn.Linear(width, width)
        init(linear.weight)
        nn.init.zeros_(linear.bias)
        layers += [linear, activation]
    model = nn.Sequential(*layers)
    x = torch.tensor(np.random.default_rng(seed).standard_normal((256, width)))
    model(x).square().mean().backward()
    return [float(np.linalg.norm(model[i].weight.grad)) for i in range(0, 2 * depth, 2)]


def test_sigmoid_with_standard_normal_weights_vanishes_glorot_with_tanh_does_not():
    # N(0, 1) weights on 100 inputs give pre-activations of std ~5: the sigmoids saturate (slope near 0), and
    # ten layers back the gradient is an order of magnitude smaller; Glorot's variance keeps it of one scale
    torch.manual_seed(0)
    saturated = torch.sigmoid(nn.init.normal_(torch.empty(100, 100), 0.0, 1.0) @ torch.rand(100, 256)).data
    assert (np.abs(saturated - 0.5) > 0.45).mean() > 0.5
    vanishing = layer_gradient_norms(nn.Sigmoid(), lambda w: nn.init.normal_(w, 0.0, 1.0))
    assert vanishing[0] < 0.2 * vanishing[-1]
    glorot = layer_gradient_norms(nn.Tanh(), lambda w: nn.init.xavier_normal_(w, gain=5 / 3))
    assert 0.5 < glorot[0] / glorot[-1] < 2


def test_kaiming_uniform_with_a_slope_is_the_leaky_relu_gain_as_torchs_default():
    # torch's nonlinearity defaults to "leaky_relu", so a = sqrt(5) (what nn.Linear's reset_parameters passes)
    # gives gain sqrt(2 / 6) and bound 1/sqrt(fan_in); nn's defaulted to "relu" and ignored a: 2.45x too wide
    _, largest = weight_variance(nn.init.kaiming_uniform_, a=math.sqrt(5))
    assert 0.999 / math.sqrt(200) < largest <= 1 / math.sqrt(200)
    alpha = 0.2  # the book's LeakyReLU(negative_slope=0.2) with its He init
    variance, _ = weight_variance(nn.init.kaiming_normal_, alpha)
    assert variance == pytest.approx(2 / (1 + alpha**2) / 200, rel=0.02)
    assert weight_variance(nn.init.kaiming_normal_, 0.7, nonlinearity="relu")[0] == pytest.approx(2 / 200, rel=0.02)


def test_kaiming_bounds_equal_torchs_for_every_slope_and_mode():
    torch_ = pytest.importorskip("torch")
    for a, mode, nonlinearity in [(math.sqrt(5), "fan_in", None), (0.2, "fan_out", None), (0.3, "fan_in", "relu")]:
        kwargs = {"a": a, "mode": mode} | ({"nonlinearity": nonlinearity} if nonlinearity else {})
        theirs = torch_.nn.init.kaiming_uniform_(torch_.empty(*FANS, dtype=torch_.float64), **kwargs)
        ours = nn.init.kaiming_uniform_(torch.empty(*FANS), generator=0, **kwargs)
        assert np.abs(ours.data).max() == pytest.approx(theirs.abs().max().item(), rel=2e-3)


def test_calculate_gain_knows_torchs_layer_names_and_refuses_a_bad_slope():
    torch_ = pytest.importorskip("torch")
    for name in ("conv1d", "conv2d", "conv3d", "conv_transpose2d", "linear", "sigmoid", "tanh", "relu", "selu"):
        assert nn.init.calculate_gain(name) == torch_.nn.init.calculate_gain(name), name
    assert nn.init.calculate_gain("leaky_relu", 0.2) == torch_.nn.init.calculate_gain("leaky_relu", 0.2)
    with pytest.raises(ValueError, match=r"calculate_gain: the leaky_relu slope \(param\) must be a number, got True"):
        nn.init.calculate_gain("leaky_relu", True)


def test_the_books_use_he_init_applied_to_every_linear_layer():
    def use_he_init(module):
        if isinstance(module, nn.Linear):
            nn.init.kaiming_uniform_(module.weight)
            nn.init.zeros_(module.bias)

    torch.manual_seed(42)
    model = nn.Sequential(nn.Linear(50, 40), nn.ReLU(), nn.Linear(40, 1), nn.ReLU())
    model.apply(use_he_init)
    for layer, fan_in in ((model[0], 50), (model[2], 40)):
        assert np.abs(layer.weight.data).max() <= math.sqrt(6 / fan_in) and not layer.bias.data.any()


# ------------------------------------------------------------------------------- activations
def test_leaky_relu_elu_and_selu_follow_the_books_equations():
    z = np.linspace(-4, 4, 81)
    assert np.allclose(F.leaky_relu(z, 0.2).data, np.maximum(0.2 * z, z), rtol=0, atol=1e-15)
    assert np.allclose(nn.ELU(alpha=1.0)(z).data, np.where(z < 0, np.exp(z) - 1, z), rtol=1e-14, atol=1e-15)
    # the notebook's closed form of SELU's alpha and scale (mean 0 and variance 1 as fixed point), by math.erfc
    e, erfc = math.e, math.erfc
    alpha = -math.sqrt(2 / math.pi) / (erfc(1 / math.sqrt(2)) * math.exp(1 / 2) - 1)
    scale = (
        (1 - erfc(1 / math.sqrt(2)) * math.sqrt(e))
        * math.sqrt(2 * math.pi)
        * (
            2 * erfc(math.sqrt(2)) * e**2
            + math.pi * erfc(1 / math.sqrt(2)) ** 2 * e
            - 2 * (2 + math.pi) * erfc(1 / math.sqrt(2)) * math.sqrt(e)
            + math.pi
            + 2
        )
        ** (-1 / 2)
    )
    expected = scale * np.where(z < 0, alpha * (np.exp(z) - 1), z)
    assert np.allclose(nn.SELU()(z).data, expected, rtol=1e-14, atol=1e-15)


def test_the_minima_of_swish_gelu_and_mish_found_by_gradient_descent():
    # Swish/SiLU z sigma(z) has its minimum at z* = -1 - W(1/e) with value -W(1/e) (W: Lambert's), where
    # d/dz = sigma(z)(1 + z(1 - sigma(z))) = 0; GELU's is at z with Phi(z) + z phi(z) = 0; Mish's near -1.19, -0.3088
    w = lambert_w(1 / math.e)
    for activation, z_star, value in (
        (F.silu, -1 - w, -w),
        (F.gelu, None, None),
        (F.mish, None, -0.30884),
    ):
        z = torch.tensor([-1.0], requires_grad=True)
        optimizer = nn.optim.SGD([z], lr=0.5)
        for _ in range(200):
            optimizer.zero_grad()
            activation(z).sum().backward()
            optimizer.step()
        assert abs(z.grad[0]) < 1e-10
        if z_star is not None:
            assert z.item() == pytest.approx(z_star, abs=1e-8)
        if activation is F.gelu:  # Phi(z) + z phi(z) = 0 at the minimum
            zz = z.item()
            phi, big_phi = math.exp(-zz * zz / 2) / math.sqrt(2 * math.pi), 0.5 * math.erfc(-zz / math.sqrt(2))
            assert big_phi + zz * phi == pytest.approx(0, abs=1e-10) and -0.76 < zz < -0.74
        elif value is not None:
            assert activation(z).item() == pytest.approx(value, abs=1e-5)


def test_gelu_is_close_to_z_sigmoid_1_702_z_and_swish_beta_1_is_silu():
    z = np.linspace(-5, 5, 201)
    assert np.abs(F.gelu(z).data - z / (1 + np.exp(-1.702 * z))).max() < 0.021  # the book's approximation
    assert np.allclose(nn.SiLU()(z).data, z / (1 + np.exp(-z)), rtol=1e-14, atol=1e-16)


def test_the_chapters_activation_layers_take_torchs_inplace_argument():
    z = torch.tensor([-1.0, 0.5])
    torch_ = pytest.importorskip("torch")
    for name, args in [("ELU", (1.0,)), ("SiLU", ()), ("LeakyReLU", (0.2,)), ("ReLU", ()), ("SELU", ()), ("Mish", ())]:
        ours = getattr(nn, name)(*args, inplace=True)
        theirs = getattr(torch_.nn, name)(*args, inplace=True)
        assert ours(z).tolist() == pytest.approx(theirs(torch_.tensor(z.data)).tolist(), rel=1e-15), name
        assert ours.inplace and z.tolist() == [-1.0, 0.5]  # a new tensor: the input kept
    for name, args in [("relu", ()), ("leaky_relu", (0.2,)), ("elu", (1.0,)), ("silu", ())]:
        ours = getattr(F, name)(z, *args, inplace=True)
        assert ours.tolist() == pytest.approx(
            getattr(torch_.nn.functional, name)(torch_.tensor(z.data), *args).tolist()
        )


def test_prelu_learns_its_slope_and_its_gradient_is_the_sum_of_negative_inputs():
    prelu = nn.PReLU()
    x = torch.tensor([[-2.0, 3.0], [-0.5, 1.0]])
    prelu(x).sum().backward()
    assert prelu.weight.grad.tolist() == [-2.5]  # d/da of a*z for z < 0: z
    assert prelu(x).tolist() == [[-0.5, 3.0], [-0.125, 1.0]]


def test_rrelu_draws_slopes_in_training_and_uses_their_mean_in_eval():
    rrelu = nn.RReLU(lower=0.1, upper=0.3, seed=0)
    z = -np.ones((1000,))
    slopes = -rrelu(z).data
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3 and len(np.unique(slopes)) == 1000
    assert slopes.mean() == pytest.approx(0.2, abs=0.01) and slopes.var() == pytest.approx(0.2**2 / 12, rel=0.1)
    assert rrelu(np.array([2.0])).tolist() == [2.0]
    rrelu.eval()
    assert rrelu(torch.tensor([-2.0, 3.0])).tolist() == pytest.approx([-0.4, 3.0], rel=1e-15)
    x = torch.tensor(-np.ones(5), requires_grad=True)  # in training, each element's gradient is its own slope
    out = F.rrelu(x, 0.1, 0.3, training=True, generator=1)
    out.sum().backward()
    assert np.array_equal(x.grad, -out.data)
    assert repr(nn.RReLU(0.1, 0.3)) == "RReLU(lower=0.1, upper=0.3)"
    with pytest.raises(ValueError, match=r"RReLU: lower \(0.5\) must be <= upper \(0.1\)"):
        nn.RReLU(0.5, 0.1)


def test_rrelu_in_eval_equals_torchs():
    torch_ = pytest.importorskip("torch")
    z = np.linspace(-3, 3, 13)
    theirs = torch_.nn.RReLU(0.1, 0.3).eval()(torch_.tensor(z)).numpy()
    assert np.allclose(nn.RReLU(0.1, 0.3).eval()(z).data, theirs, rtol=1e-15, atol=0)
    assert np.allclose(F.rrelu(z).data, torch_.nn.functional.rrelu(torch_.tensor(z)).numpy(), rtol=1e-15, atol=0)


def test_a_100_layer_selu_net_with_lecun_init_self_normalises_where_relu_fades():
    # the book's experiment: 100 dense layers of 100 units, LeCun normal init, standardised inputs
    selu_means, selu_stds = deep_activations(torch, nn, nn.SELU(), depth=100)
    assert max(abs(m) for m in selu_means) < 0.15 and all(0.85 < s < 1.15 for s in selu_stds)
    _, relu_stds = deep_activations(torch, nn, nn.ReLU(), depth=100)
    assert relu_stds[-1] < 1e-10  # each ReLU layer halves the second moment under LeCun init: 2^-50 in std
    _, he_stds = deep_activations(torch, nn, nn.ReLU(), depth=100, gain=2**0.5)
    assert 0.1 < he_stds[-1] < 10  # He's factor 2 keeps it


# ------------------------------------------------------------------------------- batch normalisation
def test_batch_norm_has_two_trainable_and_two_running_vectors_per_input():
    bn = nn.BatchNorm1d(784)  # the book's first BN layer, on the flattened 28x28 image
    trainable = sum(p.size for p in bn.parameters())
    running = sum(np.size(b) for _, b in bn.named_buffers())
    assert (trainable, running) == (2 * 784, 2 * 784)  # gamma, beta; mu, sigma^2: 4 x 784 = 3,136 in all
    assert [n for n, _ in bn.named_parameters()] == ["weight", "bias"]
    assert [n for n, _ in bn.named_buffers()] == ["running_mean", "running_var"]


def test_the_books_batch_norm_model_has_its_printed_parameter_counts():
    # Keras's summary: 271,346 parameters, 268,978 trainable, 2,368 not (the moving means and variances); with BN
    # before the activations and the hidden layers' biases dropped: 270,946 and 268,578
    def counts(bias):
        model = nn.Sequential(
            nn.Flatten(),
            nn.BatchNorm1d(28 * 28),
            nn.Linear(28 * 28, 300, bias=bias),
            nn.BatchNorm1d(300),
            nn.ReLU(),
            nn.Linear(300, 100, bias=bias),
            nn.BatchNorm1d(100),
            nn.ReLU(),
            nn.Linear(100, 10),
        )
        trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
        running = sum(np.size(b) for _, b in model.named_buffers())
        assert model(torch.randn(4, 28, 28)).shape == (4, 10)
        return trainable + running, trainable, running

    assert counts(bias=True) == (271_346, 268_978, 2_368)
    assert counts(bias=False) == (270_946, 268_578, 2_368)


def test_kerass_momentum_0_99_is_torchs_momentum_0_01():
    rng = np.random.default_rng(0)
    batches = [rng.normal(3, 2, size=(32, 4)) for _ in range(5)]
    bn = nn.BatchNorm1d(4, momentum=0.01)
    mu, var = np.zeros(4), np.ones(4)
    for x in batches:
        bn(x)
        mu = mu * 0.99 + x.mean(axis=0) * (1 - 0.99)  # the book's v <- v * momentum + v_batch * (1 - momentum)
        var = var * 0.99 + x.var(axis=0, ddof=1) * (1 - 0.99)
    assert np.allclose(bn.running_mean, mu, rtol=1e-14) and np.allclose(bn.running_var, var, rtol=1e-14)
    cumulative = nn.BatchNorm1d(4, momentum=None)  # torch's cumulative average (refused before): the batches' mean
    for x in batches:
        cumulative(x)
    assert np.allclose(cumulative.running_mean, np.mean([x.mean(axis=0) for x in batches], axis=0), rtol=1e-14)
    bn.eval()  # at test time the running statistics, not the batch's
    x = batches[0]
    expected = (x - mu) / np.sqrt(var + 1e-5)
    assert np.allclose(bn(x).data, expected, rtol=1e-13)


def test_batch_norm_before_the_activation_makes_the_linear_bias_redundant():
    # Linear(bias=False) + BatchNorm1d: a bias would be subtracted away with the batch mean (BN's beta replaces it)
    torch.manual_seed(0)
    x = np.random.default_rng(0).normal(size=(16, 5))
    with_bias = nn.Sequential(nn.Linear(5, 3), nn.BatchNorm1d(3), nn.ReLU())
    without = nn.Sequential(nn.Linear(5, 3, bias=False), nn.BatchNorm1d(3), nn.ReLU())
    without[0].weight.data[...] = with_bias[0].weight.data
    with_bias[0].bias.data[...] = [10.0, -3.0, 0.5]
    assert np.allclose(with_bias(x).data, without(x).data, rtol=1e-12, atol=1e-12)
    assert sum(p.size for p in without.parameters()) == 15 + 6


# ------------------------------------------------------------------------------- reusing pretrained layers
def test_transfer_learning_frozen_layers_stay_put_until_unfrozen():
    torch.manual_seed(42)
    model_A = nn.Sequential(nn.Linear(4, 10), nn.ReLU(), nn.BatchNorm1d(10), nn.Linear(10, 3))
    model_B_on_A = copy.deepcopy(model_A)  # a copy: training B must not change A
    model_B_on_A[-1] = nn.Linear(10, 1)  # a new output layer for task B
    for layer in model_B_on_A[:-1]:
        layer.requires_grad_(False)
    assert [n for n, p in model_B_on_A.named_parameters() if p.requires_grad] == ["3.weight", "3.bias"]
    frozen = {n: p.data.copy() for n, p in model_B_on_A.named_parameters() if not p.requires_grad}
    running_mean = model_B_on_A[2].running_mean.copy()
    X, y = torch.randn(32, 4), torch.randn(32, 1)
    for optimizer in (  # weight decay and momentum must not move a frozen parameter either
        nn.optim.SGD(model_B_on_A.parameters(), lr=0.1, momentum=0.9, weight_decay=0.1),
        nn.optim.Adam(model_B_on_A.parameters(), lr=0.1, weight_decay=0.1),
    ):
        for _ in range(3):
            loss = nn.functional.mse_loss(model_B_on_A(X), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    assert all(np.array_equal(p.data, frozen[n]) for n, p in model_B_on_A.named_parameters() if n in frozen)
    assert not np.allclose(model_B_on_A[2].running_mean, running_mean)  # BN's statistics still move in train()
    assert np.array_equal(model_A[0].weight.data, frozen["0.weight"]) and model_A[0].weight.requires_grad
    for layer in model_B_on_A[:-1]:  # unfreeze, and fine-tune everything with a low learning rate
        layer.requires_grad_(True)
    optimizer = nn.optim.SGD(model_B_on_A.parameters(), lr=1e-3)
    nn.functional.mse_loss(model_B_on_A(X), y).backward()
    optimizer.step()
    assert not np.array_equal(model_B_on_A[0].weight.data, frozen["0.weight"])
