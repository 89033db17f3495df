"""nn.init: reproducible, activation-scaled initialisation; torch's gains; errors."""

import numpy as np
import pytest

import nn
from autograd_core import Tensor


def test_initialisation_is_reproducible_and_scaled_for_the_activation():
    a, b, c = (
        nn.MLP([400, 300, 200, 10], seed=5),
        nn.MLP([400, 300, 200, 10], seed=5),
        nn.MLP([400, 300, 200, 10], seed=6),
    )
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    assert not np.array_equal(a.layers[0].weight.data, c.layers[0].weight.data)
    assert not a.layers[0].bias.data.any()  # zero biases
    he_std = np.sqrt(2 / 400)  # before a ReLU
    assert a.layers[0].weight.data.std() == pytest.approx(he_std, rel=0.02)
    xavier_std = np.sqrt(2 / (200 + 10))  # the output layer
    assert a.layers[4].weight.data.std() == pytest.approx(xavier_std, rel=0.05)
    tanh = nn.MLP([400, 300, 2], activation="tanh", seed=0)
    assert tanh.layers[0].weight.data.std() == pytest.approx(5 / 3 * np.sqrt(2 / 700), rel=0.02)


def test_manual_seed_makes_default_initialisation_reproducible():
    nn.init.manual_seed(123)
    a = nn.Linear(4, 4)
    nn.init.manual_seed(123)
    b = nn.Linear(4, 4)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)


@pytest.mark.parametrize(
    "fill, check",
    [
        (lambda w: nn.init.uniform_(w, -0.5, 0.25, generator=0), lambda d: d.min() >= -0.5 and d.max() < 0.25),
        (
            lambda w: nn.init.normal_(w, 3.0, 0.5, generator=0),
            lambda d: abs(d.mean() - 3.0) < 0.01 and abs(d.std() - 0.5) < 0.01,
        ),
        (lambda w: nn.init.xavier_uniform_(w, generator=0), lambda d: np.abs(d).max() <= np.sqrt(6 / 600)),
        (lambda w: nn.init.xavier_normal_(w, generator=0), lambda d: abs(d.std() - np.sqrt(2 / 600)) < 0.002),
        (lambda w: nn.init.kaiming_uniform_(w, generator=0), lambda d: np.abs(d).max() <= np.sqrt(6 / 200)),
        (
            lambda w: nn.init.kaiming_normal_(w, mode="fan_out", generator=0),
            lambda d: abs(d.std() - np.sqrt(2 / 400)) < 0.002,
        ),
        (nn.init.zeros_, lambda d: not d.any()),
        (nn.init.ones_, lambda d: (d == 1).all()),
        (lambda w: nn.init.constant_(w, 0.3), lambda d: (d == 0.3).all()),
    ],
)
def test_init_functions(fill, check):
    w = Tensor(np.full((400, 200), np.nan), requires_grad=True)
    assert fill(w) is w
    assert w.shape == (400, 200) and check(w.data)


def test_init_gains_match_torch():
    torch = pytest.importorskip("torch")
    for name in ("linear", "sigmoid", "tanh", "relu"):
        assert nn.init.calculate_gain(name) == pytest.approx(torch.nn.init.calculate_gain(name))
    assert nn.init.calculate_gain("leaky_relu", 0.2) == pytest.approx(torch.nn.init.calculate_gain("leaky_relu", 0.2))


def test_init_errors():
    with pytest.raises(
        ValueError,
        match=r"xavier_uniform_: fan_in and fan_out need a weight with at least 2 axes, "
        r"got shape \(3,\); use zeros_ or uniform_ for a bias",
    ):
        nn.init.xavier_uniform_(Tensor(np.zeros(3), requires_grad=True))
    with pytest.raises(TypeError, match=r"nn.init.normal_: expected a Tensor \(or its .data array\), got list"):
        nn.init.normal_([0.0, 0.0])  # (a parameter's .data array is filled in place: test_pinn_ports.py)
    with pytest.raises(TypeError, match=r"zeros_: the tensor must be floating-point, got int64"):
        nn.init.zeros_(Tensor(np.zeros(3, int)))
    with pytest.raises(ValueError, match=r"kaiming_uniform_: mode must be 'fan_in' or 'fan_out', got 'fan'"):
        nn.init.kaiming_uniform_(Tensor(np.zeros((2, 2))), mode="fan")
    with pytest.raises(ValueError, match=r"calculate_gain: unknown nonlinearity 'swish'"):
        nn.init.calculate_gain("swish")
    with pytest.raises(
        TypeError, match=r"generator must be an ag.Generator, a numpy.random.Generator, an int seed or None, got str"
    ):
        nn.init.uniform_(Tensor(np.zeros(2)), generator="seed")
