"""Kevin Murphy, *Probabilistic Machine Learning: An Introduction* (2022), chapter 13 (neural networks for tabular
data), ported: the book's constructions and derivations, each checked with the engine against the book's closed
form, finite differences or torch. Chapter 8's optimisers and 13.5's regularisers are in
test_murphy_ports_training.py. (Back-propagation of the cross-entropy and linear layers, 13.3.3, is already the
subject of test_matrix_calculus_ports_cs224n.py; forward against reverse mode's cost, 13.3.1, of
test_matrix_calculus_ports_ad_survey.py.)

13.2.1  XOR by two hidden Heaviside units (h1 = AND, h2 = OR, y = h2 AND NOT h1): exact, and unlearnable by
        gradients (the step is a constant in the weights); steep sigmoids compute it and have a gradient.
13.3.4  The computation graph of f(x1, x2) = x2 e^x1 sqrt(x1 + x2 e^x1): the adjoint of x4 = x2 e^x1 is the sum
        over its two children, each intermediate adjoint equal to the hand derivation and forward mode.
13.4.2  Vanishing and exploding gradients: through L layers a Q (Q orthogonal) the gradient scales by a^L exactly;
        through L sigmoids it is at most 4^-L.
13.4.3  The non-saturating activations of table 13.4 (leaky ReLU, ELU, SELU, swish, GELU) and their derivatives;
        SELU's constants make N(0, 1) a fixed point (quadrature), so a deep SELU net keeps its activations' scale.
13.4.4  A residual block passes the gradient through its identity: dL/dx_0 = dL/dx_L when the branches are off,
        and a deep residual tanh net keeps the input gradient a plain one loses.
13.4.5  Initialisation: Var(out) = n_in sigma^2 Var(in) forward and n_out sigma^2 backward, so LeCun (1 / n_in)
        keeps the forward pass, fan_out the backward, Glorot (2 / (n_in + n_out)) splits the difference.

What the port needed: ``ag.heaviside`` (torch's, and ``np.heaviside`` on a Tensor, refused before) and ``F.selu`` /
``nn.SELU`` (with ``calculate_gain("selu")``), missing here.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core import Tensor

XOR_INPUTS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])


# ---------------------------------------------------------------------------------- 13.2.1 XOR
def _xor_net(step) -> tuple[nn.Linear, nn.Linear, object]:
    hidden, out = nn.Linear(2, 2), nn.Linear(2, 1)
    hidden.weight.data[:] = [[1.0, 1.0], [1.0, 1.0]]
    hidden.bias.data[:] = [-1.5, -0.5]  # h1 = x1 AND x2, h2 = x1 OR x2
    out.weight.data[:] = [[-1.0, 1.0]]
    out.bias.data[:] = [-0.5]  # y = h2 AND NOT h1

    def net(x: np.ndarray) -> Tensor:
        return step(out(step(hidden(x))))[:, 0]

    return hidden, out, net


def test_13_2_1_two_heaviside_units_compute_xor_and_give_no_gradient_to_learn_from():
    hidden, out, net = _xor_net(lambda z: ag.heaviside(z, 0.0))
    y = net(XOR_INPUTS)
    assert y.tolist() == [0.0, 1.0, 1.0, 0.0]
    assert not y.requires_grad  # the step is flat: no gradient reaches any weight, and backward says why
    with pytest.raises(RuntimeError, match=r"does not require grad.*constant in its input \(sign, heaviside"):
        F.mse_loss(y, np.array([0.0, 1.0, 1.0, 0.0])).backward()
    assert np.heaviside(Tensor([-1.0, 0.0, 2.0]), 0.5).tolist() == [0.0, 0.5, 1.0]  # numpy's spelling too
    hidden, out, steep = _xor_net(lambda z: (20 * z).sigmoid())  # the smooth step of a sigmoid
    y = steep(XOR_INPUTS)
    np.testing.assert_allclose(y.data, [0.0, 1.0, 1.0, 0.0], atol=1e-4)
    F.binary_cross_entropy(y, np.array([0.0, 1.0, 1.0, 0.0])).backward()
    assert np.abs(hidden.weight.grad).sum() > 0 and np.abs(out.weight.grad).sum() > 0


def test_13_2_1_heaviside_is_torchs():
    torch = pytest.importorskip("torch")
    x, values = np.array([-2.0, 0.0, 3.0, 0.0, -0.0]), np.array([0.1, 0.2, 0.3, 0.4, 0.5])
    expected = torch.heaviside(torch.tensor(x), torch.tensor(values)).numpy()
    np.testing.assert_array_equal(ag.heaviside(x, values).data, expected)
    v = Tensor(values, requires_grad=True)
    ag.heaviside(x, v).sum().backward()
    np.testing.assert_array_equal(v.grad, x == 0)  # values is picked where x = 0, and only there


# ---------------------------------------------------------------------------------- 13.3.4 a computation graph
def test_13_3_4_the_adjoint_of_a_shared_node_sums_its_childrens():
    x1, x2 = Tensor(0.6, requires_grad=True), Tensor(1.3, requires_grad=True)
    x3 = x1.exp()
    x4 = x2 * x3
    x5 = x1 + x4
    x6 = x5.sqrt()
    x7 = x4 * x6
    for t in (x3, x4, x5, x6):
        t.retain_grad()
    x7.backward()
    a1, a2 = 0.6, 1.3
    v3, v4 = math.exp(a1), a2 * math.exp(a1)
    v5 = a1 + v4
    v6 = math.sqrt(v5)
    assert x7.item() == pytest.approx(v4 * v6, rel=1e-15)  # the forward trace: f = x2 e^x1 sqrt(x1 + x2 e^x1)
    bar6 = v4  # o = x4 x6
    bar5 = bar6 / (2 * v6)
    bar4 = v6 + bar5  # x4 feeds x7 directly and through x5
    bar3 = a2 * bar4
    expected = {x6: bar6, x5: bar5, x4: bar4, x3: bar3, x2: v3 * bar4, x1: bar5 + v3 * bar3}  # x1: via x5 and x3
    for t, value in expected.items():
        assert t.grad == pytest.approx(value, rel=1e-14)

    def f(x1: Tensor, x2: Tensor) -> Tensor:
        x4 = x2 * x1.exp()
        return x4 * (x1 + x4).sqrt()

    for tangent, value in (((1.0, 0.0), x1.grad), ((0.0, 1.0), x2.grad)):  # forward mode: one column each
        assert ag.jvp(f, (Tensor(a1), Tensor(a2)), tuple(map(Tensor, tangent)))[1].item() == pytest.approx(value)


# ---------------------------------------------------------------------------------- 13.4.2 vanishing, exploding
@pytest.mark.parametrize("scale", [0.5, 1.0, 1.5])
def test_13_4_2_the_gradient_through_l_layers_scales_by_the_product_of_their_jacobians(scale):
    rng = np.random.default_rng(0)
    depth = 12
    layers = [nn.Linear(6, 6, bias=False) for _ in range(depth)]
    for layer in layers:
        layer.weight.data[:] = scale * np.linalg.qr(rng.standard_normal((6, 6)))[0]  # singular values all `scale`
    x = Tensor(rng.standard_normal((1, 6)), requires_grad=True)
    upstream = rng.standard_normal((1, 6))
    (nn.Sequential(*layers)(x) * upstream).sum().backward()
    assert np.linalg.norm(x.grad) == pytest.approx(scale**depth * np.linalg.norm(upstream), rel=1e-12)


def test_13_4_2_through_l_sigmoids_the_gradient_is_at_most_4_to_the_minus_l():
    x = Tensor(np.linspace(-3, 3, 13), requires_grad=True)
    h = x
    for _ in range(6):
        h = h.sigmoid()
    h.sum().backward()
    assert (np.abs(x.grad) <= 0.25**6).all() and np.abs(x.grad).max() > 0.25**6 / 10


# ---------------------------------------------------------------------------------- 13.4.3 activations
SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
PHI = np.vectorize(lambda z: 0.5 * math.erfc(-z / math.sqrt(2)))
TABLE_13_4 = {  # name: (function, the book's derivative for a != 0)
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.1), lambda a: np.where(a > 0, 1.0, 0.1)),
    "elu": (F.elu, lambda a: np.where(a > 0, 1.0, np.exp(a))),
    "selu": (F.selu, lambda a: SELU_SCALE * np.where(a > 0, 1.0, SELU_ALPHA * np.exp(a))),
    "swish": (F.silu, lambda a: 1 / (1 + np.exp(-a)) * (1 + a * (1 - 1 / (1 + np.exp(-a))))),
    "gelu": (F.gelu, lambda a: PHI(a) + a * np.exp(-(a**2) / 2) / math.sqrt(2 * math.pi)),
    "softplus": (F.softplus, lambda a: 1 / (1 + np.exp(-a))),
}


@pytest.mark.parametrize("name", sorted(TABLE_13_4))
def test_13_4_3_each_activations_derivative_is_the_books(name):
    function, derivative = TABLE_13_4[name]
    a = np.concatenate([np.linspace(-4, -0.01, 9), np.linspace(0.01, 4, 9)])
    np.testing.assert_allclose(ag.elementwise_grad(function)(Tensor(a)).data, derivative(a), rtol=1e-12)


def test_13_4_3_selus_constants_make_the_standard_normal_a_fixed_point_and_a_deep_selu_net_keeps_its_scale():
    lam, alpha, tail = SELU_SCALE, SELU_ALPHA, lambda c: 0.5 * math.erfc(c / math.sqrt(2))  # tail(c) = P(z < -c)
    mean = lam * (1 / math.sqrt(2 * math.pi) + alpha * (math.exp(0.5) * tail(1) - 0.5))  # E[selu(z)], z ~ N(0, 1)
    second = lam**2 * (0.5 + alpha**2 * (math.exp(2) * tail(2) - 2 * math.exp(0.5) * tail(1) + 0.5))
    assert mean == pytest.approx(0.0, abs=1e-12) and second == pytest.approx(1.0, abs=1e-12)  # the fixed point
    z = np.linspace(-12, 12, 240001)  # F.selu itself, integrated (the kink at 0 a grid point)
    density = np.exp(-(z**2) / 2) / math.sqrt(2 * math.pi)
    values = F.selu(Tensor(z)).data
    assert np.trapezoid(values * density, z) == pytest.approx(0.0, abs=1e-8)
    assert np.trapezoid(values**2 * density, z) == pytest.approx(1.0, abs=1e-8)
    rng = np.random.default_rng(1)
    x = Tensor(rng.standard_normal((500, 100)))
    scales = {}
    for name, activation in (("selu", nn.SELU()), ("relu", nn.ReLU())):
        h = x
        for k in range(20):
            layer = nn.Linear(100, 100, bias=False)
            nn.init.kaiming_normal_(layer.weight, nonlinearity="linear", generator=k)  # LeCun: 1 / fan_in
            h = activation(layer(h))
        scales[name] = (h.data.mean(), h.data.var())
    assert abs(scales["selu"][0]) < 0.15 and 0.7 < scales["selu"][1] < 1.3  # still about N(0, 1)
    assert scales["relu"][1] < 1e-4  # each ReLU layer halves the second moment: 2^-20


def test_13_4_3_selu_equals_torchs_and_its_gain_is_torchs(tmp_path):
    torch = pytest.importorskip("torch")
    a = np.linspace(-5, 5, 41) + 0.013
    ours, theirs = Tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    nn.SELU()(ours).sum().backward()
    torch.nn.SELU()(theirs).sum().backward()
    np.testing.assert_allclose(F.selu(a).data, torch.selu(torch.tensor(a)).numpy(), rtol=1e-15)
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-15)
    assert nn.init.calculate_gain("selu") == torch.nn.init.calculate_gain("selu")
    assert repr(nn.SELU()) == "SELU()"
    saved = nn.save(nn.Sequential(nn.Linear(2, 2), nn.SELU()), tmp_path / "selu.npz")
    assert type(nn.load(saved)[1]) is nn.SELU  # a model holding it saves and loads


# ---------------------------------------------------------------------------------- 13.4.4 residual connections
def test_13_4_4_the_identity_path_carries_the_gradient_through_a_deep_net():
    rng = np.random.default_rng(2)
    branches = [nn.Sequential(nn.Linear(8, 8, seed=k), nn.Sigmoid(), nn.Linear(8, 8, seed=100 + k)) for k in range(20)]
    x, upstream = rng.standard_normal((1, 8)), rng.standard_normal((1, 8))

    def input_gradient(residual: bool) -> np.ndarray:
        inputs = Tensor(x, requires_grad=True)
        h = inputs
        for branch in branches:
            h = h + branch(h) if residual else branch(h)
        (h * upstream).sum().backward()
        return inputs.grad

    plain, residual = np.linalg.norm(input_gradient(False)), np.linalg.norm(input_gradient(True))
    # the plain chain of 20 saturating blocks has lost its gradient (sigmoid' <= 1/4), the residual one has not
    assert plain < 1e-10 * np.linalg.norm(upstream) and residual > 0.1 * np.linalg.norm(upstream)
    for branch in branches:
        branch[2].weight.data[:] = 0.0  # the branches silent: x_L = x_0 + const, so dL/dx_0 = dL/dx_L
    np.testing.assert_array_equal(input_gradient(True), upstream)


# ---------------------------------------------------------------------------------- 13.4.5 initialisation
@pytest.mark.parametrize(
    ("init", "variance"),
    [
        (lambda w, g: nn.init.kaiming_normal_(w, nonlinearity="linear", generator=g), 1 / 100),  # LeCun
        (lambda w, g: nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="linear", generator=g), 1 / 400),
        (lambda w, g: nn.init.xavier_normal_(w, generator=g), 2 / 500),  # Glorot
    ],
)
def test_13_4_5_forward_variance_grows_by_n_in_sigma2_backward_by_n_out_sigma2(init, variance):
    layer = nn.Linear(100, 400, bias=False)
    init(layer.weight, 0)
    assert layer.weight.data.var() == pytest.approx(variance, rel=0.02)
    rng = np.random.default_rng(3)
    x = Tensor(rng.standard_normal((2000, 100)), requires_grad=True)
    upstream = rng.standard_normal((2000, 400))
    out = layer(x)
    (out * upstream).sum().backward()
    sigma2 = layer.weight.data.var()
    assert out.data.var() == pytest.approx(100 * sigma2, rel=0.05)  # forward: n_in sigma^2
    assert x.grad.var() == pytest.approx(400 * sigma2, rel=0.05)  # backward: n_out sigma^2
