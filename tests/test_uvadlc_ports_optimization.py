"""The UvA Deep Learning Course, tutorial 4 (optimization and initialization), ported: the initialisations by
hand over ``named_parameters()`` and what they do to the activations' variance (closed forms: a linear layer of
fan-in d with weights of variance s^2 multiplies it by d s^2), and the hand-written ``SGD``, ``SGDMomentum`` and
``Adam`` over ``p.grad`` (tests/uvadlc_helpers.py), checked against ``nn.optim``, torch's, and numpy replays of
the tutorial's two surfaces, the pathological ravine and the steep optima.

Where the spelling differs here: ``param.data.fill_(v)`` / ``.normal_`` / ``.uniform_`` are ``param.fill_(v)``
... inside ``no_grad`` (``.data`` is a numpy array), and the template's ``zero_grad`` sets ``p.grad = None``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.data as data
import nn.functional as F
from tests.uvadlc_helpers import (
    SGD,
    Adam,
    BaseNetwork,
    SGDMomentum,
    comb_func,
    digits_set,
    kaiming_init,
    pathological_curve_loss,
    train_curve,
)


class Identity(nn.Module):  # the tutorial's linear network: no nonlinearity between the layers
    def forward(self, x: ag.Tensor) -> ag.Tensor:
        return x


@ag.no_grad()
def const_init(model: nn.Module, fill: float = 0.0) -> None:
    for _, param in model.named_parameters():
        param.fill_(fill)


@ag.no_grad()
def constant_variance_init(model: nn.Module, std: float = 0.01) -> None:
    for _, param in model.named_parameters():
        param.normal_(mean=0.0, std=std)


@ag.no_grad()
def xavier_init(model: nn.Module) -> None:
    for name, param in model.named_parameters():
        if name.endswith(".bias"):
            param.fill_(0)
        else:
            bound = math.sqrt(6) / math.sqrt(param.shape[0] + param.shape[1])
            param.uniform_(-bound, bound)


def activation_variances(model: BaseNetwork, inputs: ag.Tensor) -> list[float]:
    """visualize_activations' numbers: the variance of each Linear layer's output."""
    activations = []
    with ag.no_grad():
        feats = inputs.view(inputs.shape[0], -1)
        for layer in model.layers:
            feats = layer(feats)
            if isinstance(layer, nn.Linear):
                activations.append(float(np.var(feats.view(-1).detach().cpu().numpy())))
    return activations


WIDE = [256, 256, 256, 256]


def test_4_constant_init_keeps_every_neuron_of_a_layer_identical_through_training():
    ag.manual_seed(0)
    model = BaseNetwork(act_fn=nn.Tanh(), hidden_sizes=[32, 32])
    const_init(model, fill=0.005)
    imgs, labels = next(iter(data.DataLoader(digits_set(), batch_size=256, shuffle=False)))
    optimizer = nn.optim.SGD(model.parameters(), lr=0.5)
    for _ in range(5):
        optimizer.zero_grad()
        F.cross_entropy(model(imgs), labels).backward()
        optimizer.step()
    for name, param in model.named_parameters():
        if name != "layers.4.weight" and name != "layers.4.bias":  # the hidden units: one neuron, copied
            rows = param.numpy().reshape(param.shape[0], -1)
            np.testing.assert_allclose(rows, np.broadcast_to(rows[:1], rows.shape), rtol=1e-12, atol=1e-15)
    assert np.ptp(model.layers[0].weight.numpy()[0]) > 0  # (trained: the weights moved, all in step)


def test_4_a_constant_variance_scales_each_layers_variance_by_fan_in_times_its_variance():
    ag.manual_seed(1)
    inputs = ag.randn(2048, 256)
    model = BaseNetwork(act_fn=Identity(), input_size=256, hidden_sizes=WIDE)
    for std in (0.01, 0.1):
        constant_variance_init(model, std=std)
        variances = activation_variances(model, inputs)
        expected = [1.0]
        for _ in WIDE:  # Var(W x + b) = fan_in std^2 Var(x) + std^2 (the bias is drawn alike)
            expected.append(256 * std**2 * expected[-1] + std**2)
        np.testing.assert_allclose(variances[:-1], expected[1:], rtol=0.25)  # x0.0256 vanishes, x2.56 explodes


def test_4_xavier_keeps_a_linear_networks_variance_and_kaiming_a_relu_networks_second_moment():
    ag.manual_seed(2)
    inputs = ag.randn(2048, 256)
    model = BaseNetwork(act_fn=Identity(), input_size=256, hidden_sizes=WIDE)
    xavier_init(model)
    np.testing.assert_allclose(activation_variances(model, inputs)[:-1], 1.0, rtol=0.2)

    model = BaseNetwork(act_fn=nn.ReLU(), input_size=256, hidden_sizes=WIDE)
    kaiming_init(model)
    weights = {  # visualize_weight_distribution's: the std of each layer, sqrt(2 / fan_in) after the first
        f"Layer {name.split('.')[1]}": param.detach().view(-1).cpu().numpy()
        for name, param in model.named_parameters()
        if not name.endswith(".bias")
    }
    assert np.std(weights["Layer 0"]) == pytest.approx(1 / 16, rel=0.02)
    assert np.std(weights["Layer 2"]) == pytest.approx(math.sqrt(2) / 16, rel=0.02)
    second_moments = []
    with ag.no_grad():
        feats = inputs
        for layer in model.layers:
            feats = layer(feats)
            if isinstance(layer, nn.Linear):
                second_moments.append(float((feats.numpy() ** 2).mean()))
    np.testing.assert_allclose(second_moments[:-1], 1.0, rtol=0.25)  # E[y^2] = 2 Var(w) fan_in E[x^2] / 2 = E[x^2]


def _replay(curve_grad, update, init, num_updates=100):
    """The tutorial's train_curve in numpy, with the gradient in closed form: the oracle for the engine's."""
    w, points, state = np.array(init, dtype=np.float32), [], {}
    for _ in range(num_updates):
        points.append(w.copy())
        w = update(w, curve_grad(w).astype(np.float32), state)
    return np.array(points)


def _pathological_grad(w: np.ndarray) -> np.ndarray:
    t = np.tanh(w[0])
    return np.array([2 * t * (1 - t**2) + 0.01 * np.sign(w[0]), (s := 1 / (1 + np.exp(-w[1]))) * (1 - s)])


def _momentum(lr: float, beta: float):
    def update(w, g, state):
        state["m"] = (1 - beta) * g + beta * state.get("m", 0.0)
        return w - lr * state["m"]

    return update


def _adam(lr: float, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
    def update(w, g, state):
        t = state["t"] = state.get("t", 0) + 1
        state["m"] = (1 - beta1) * g + beta1 * state.get("m", 0.0)
        state["v"] = (1 - beta2) * g**2 + beta2 * state.get("v", 0.0)
        return w - lr / (np.sqrt(state["v"] / (1 - beta2**t)) + eps) * (state["m"] / (1 - beta1**t))

    return update


def test_4_the_hand_written_optimizers_on_the_ravine_replay_in_numpy():
    runs = {
        "sgd": (lambda params: SGD(params, lr=10), _momentum(10, 0.0)),
        "momentum": (lambda params: SGDMomentum(params, lr=10, momentum=0.9), _momentum(10, 0.9)),
        "adam": (lambda params: Adam(params, lr=1), _adam(1)),
    }
    points = {}
    for name, (optimizer_func, update) in runs.items():
        points[name] = train_curve(optimizer_func)
        np.testing.assert_allclose(points[name][:, :2], _replay(_pathological_grad, update, [5, 5]), atol=2e-4)
        losses = pathological_curve_loss(ag.tensor(points[name][:, 0]), ag.tensor(points[name][:, 1])).numpy()
        np.testing.assert_allclose(points[name][:, 2], losses, rtol=1e-6)  # the third column: the loss at (w1, w2)
    sign_flips = {name: int((np.diff(np.sign(p[:, 0])) != 0).sum()) for name, p in points.items()}
    assert sign_flips["sgd"] >= 5 and abs(points["sgd"][-1, 0]) > 1  # lr=10 bounces across the steep w1 ravine
    assert abs(points["adam"][-1, 0]) < 0.05 and abs(points["momentum"][-1, 0]) < 0.05  # ... they settle in it


def test_4_only_adam_finds_the_steep_optimum():
    SGD_points = train_curve(lambda params: SGD(params, lr=0.5), comb_func, init=[0, 0])
    SGDMom_points = train_curve(lambda params: SGDMomentum(params, lr=1, momentum=0.9), comb_func, init=[0, 0])
    Adam_points = train_curve(lambda params: Adam(params, lr=0.2), comb_func, init=[0, 0])
    deepest = -1 / (2 * np.pi * 0.2 * 0.2)  # a well's depth: its Gaussian's peak, 1 / (2 pi sigma^2) = 3.979
    np.testing.assert_allclose(Adam_points[-1, :2], [-0.5, -0.8], atol=5e-3)
    assert Adam_points[-1, 2] == pytest.approx(deepest, rel=1e-3)
    assert SGD_points[-1, 2] > -0.1 and SGDMom_points[-1, 2] > -0.1  # the flat plane: no well found


def test_4_sgd_momentum_is_nn_optims_sgd_with_the_learning_rate_times_one_minus_beta_and_adam_is_adams():
    loader = data.DataLoader(digits_set(), batch_size=128, shuffle=False)
    for hand_written, library in (
        (lambda ps: SGDMomentum(ps, lr=0.1, momentum=0.9), lambda ps: nn.optim.SGD(ps, lr=0.1 * 0.1, momentum=0.9)),
        (lambda ps: Adam(ps, lr=1e-3), lambda ps: nn.optim.Adam(ps, lr=1e-3)),
    ):
        models = []
        for make_optimizer in (hand_written, library):
            ag.manual_seed(3)
            model = BaseNetwork(act_fn=nn.ReLU(), hidden_sizes=[32, 32])
            optimizer = make_optimizer(list(model.parameters()))
            for imgs, labels in loader:  # one epoch, 15 steps
                loss = F.cross_entropy(model(imgs), labels)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            models.append(model)
        for (name, ours), theirs in zip(models[0].named_parameters(), models[1].parameters()):
            np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-9, atol=1e-12, err_msg=name)


def test_4_the_hand_written_adam_trains_the_kaiming_relu_network():
    ag.manual_seed(4)
    model = BaseNetwork(act_fn=nn.ReLU())
    kaiming_init(model)
    optimizer = Adam(model.parameters(), lr=2e-3)
    loader = data.DataLoader(digits_set(), batch_size=128, shuffle=True)
    for _ in range(4):
        model.train()
        for imgs, labels in loader:
            loss = F.cross_entropy(model(imgs), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    imgs, labels = next(iter(data.DataLoader(digits_set(), batch_size=2000)))
    with ag.no_grad():
        accuracy = (model(imgs).argmax(dim=-1) == labels).float().mean().item()
    assert accuracy > 0.95


def test_4_the_hand_written_adam_equals_torchs_on_the_ravine():
    torch = pytest.importorskip("torch")
    weights = torch.tensor([5.0, 5.0], requires_grad=True)
    optimizer = torch.optim.Adam([weights], lr=1)
    theirs = []
    for _ in range(100):
        loss = torch.tanh(weights[0]) ** 2 + 0.01 * torch.abs(weights[0]) + torch.sigmoid(weights[1])
        theirs.append(weights.detach().numpy().copy())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    np.testing.assert_allclose(train_curve(lambda params: Adam(params, lr=1))[:, :2], theirs, atol=1e-4)
