"""Stanford cs231n, assignment 2's convolutional network (see test_cs231n_ports_nets.py): the
``conv_relu_pool`` sandwich and ``ThreeLayerConvNet`` (conv - relu - 2x2 max pool - affine - relu - affine -
softmax, L2 ``0.5 * reg * sum |W|^2``), written from the assignment's naive layers with their hand-derived
backward passes (tests/cs231n_layers.py) as the ORACLE for an nn.Sequential of ``Conv2d``, ``ReLU``,
``MaxPool2d``, ``Flatten`` and ``Linear`` holding the same weights; then the notebook's sanity checks (the
initial loss ~ log 10, rising with reg) and "overfit small data" with the nn model on 8x8 digits (one
channel) for CIFAR's 32x32 colour images.

The layouts convert as in the other ports: cs231n's conv weights (F, C, HH, WW) are nn.Conv2d's; its affine
weights (in, out) are nn.Linear's transposed; its flattening of the pooled (N, F, H/2, W/2) maps is
``x.reshape(N, -1)``, as ``nn.Flatten``.
"""

import numpy as np
import pytest
from cs231n_helpers import eval_numerical_gradient, rel_error
from cs231n_layers import (
    affine_backward,
    affine_forward,
    conv_backward_naive,
    conv_forward_naive,
    max_pool_backward_naive,
    max_pool_forward_naive,
    relu_backward,
    relu_forward,
    softmax_loss,
)

import autograd_core as ag
import nn
import nn.functional as F


def conv_relu_pool_forward(x, w, b, conv_param, pool_param):
    a, conv_cache = conv_forward_naive(x, w, b, conv_param)
    s, relu_cache = relu_forward(a)
    out, pool_cache = max_pool_forward_naive(s, pool_param)
    return out, (conv_cache, relu_cache, pool_cache)


def conv_relu_pool_backward(dout, cache):
    conv_cache, relu_cache, pool_cache = cache
    return conv_backward_naive(relu_backward(max_pool_backward_naive(dout, pool_cache), relu_cache), conv_cache)


class ThreeLayerConvNet:
    """conv - relu - 2x2 max pool - affine - relu - affine - softmax, weights weight_scale * randn."""

    def __init__(self, input_dim, num_filters, filter_size, hidden_dim, num_classes=10, weight_scale=1e-3, reg=0.0):
        C, H, W = input_dim
        self.reg = reg
        self.params = {
            "W1": weight_scale * np.random.randn(num_filters, C, filter_size, filter_size),
            "b1": np.zeros(num_filters),
            "W2": weight_scale * np.random.randn(num_filters * (H // 2) * (W // 2), hidden_dim),
            "b2": np.zeros(hidden_dim),
            "W3": weight_scale * np.random.randn(hidden_dim, num_classes),
            "b3": np.zeros(num_classes),
        }
        self.conv_param = {"stride": 1, "pad": (filter_size - 1) // 2}  # keeps H and W
        self.pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}

    def loss(self, X, y):
        p = self.params
        pooled, cache1 = conv_relu_pool_forward(X, p["W1"], p["b1"], self.conv_param, self.pool_param)
        hidden, cache2 = affine_forward(pooled, p["W2"], p["b2"])
        hidden, relu_cache = relu_forward(hidden)
        scores, cache3 = affine_forward(hidden, p["W3"], p["b3"])
        loss, dscores = softmax_loss(scores, y)
        loss += 0.5 * self.reg * sum(np.sum(p[k] ** 2) for k in ("W1", "W2", "W3"))
        grads = {}
        dhidden, grads["W3"], grads["b3"] = affine_backward(dscores, cache3)
        dpooled, grads["W2"], grads["b2"] = affine_backward(relu_backward(dhidden, relu_cache), cache2)
        _, grads["W1"], grads["b1"] = conv_relu_pool_backward(dpooled, cache1)
        for k in ("W1", "W2", "W3"):
            grads[k] += self.reg * p[k]
        return loss, grads


def as_sequential(net, channels, filters, filter_size, hidden, classes):
    """The same network from nn's layers, holding the same numbers."""
    conv = nn.Conv2d(channels, filters, filter_size, padding=net.conv_param["pad"])
    fc1, fc2 = nn.Linear(net.params["W2"].shape[0], hidden), nn.Linear(hidden, classes)
    conv.weight.data, conv.bias.data = net.params["W1"].copy(), net.params["b1"].copy()
    fc1.weight.data, fc1.bias.data = net.params["W2"].T.copy(), net.params["b2"].copy()
    fc2.weight.data, fc2.bias.data = net.params["W3"].T.copy(), net.params["b3"].copy()
    model = nn.Sequential(conv, nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), fc1, nn.ReLU(), fc2)
    where = {"W1": (conv.weight, False), "b1": (conv.bias, False), "W2": (fc1.weight, True)}
    where.update({"b2": (fc1.bias, False), "W3": (fc2.weight, True), "b3": (fc2.bias, False)})
    return model, where


@pytest.mark.parametrize("reg", [0.0, 0.5])
def test_three_layer_convnet_engine_gradients_equal_the_naive_layers_backward(reg):
    np.random.seed(231)
    num_inputs, input_dim, filters, size, hidden = 2, (1, 8, 8), 3, 3, 7
    X, y = np.random.randn(num_inputs, *input_dim), np.random.randint(10, size=num_inputs)
    net = ThreeLayerConvNet(input_dim, filters, size, hidden, weight_scale=1e-1, reg=reg)
    loss, grads = net.loss(X, y)
    model, where = as_sequential(net, 1, filters, size, hidden, 10)
    weights = [where[k][0] for k in ("W1", "W2", "W3")]
    engine_loss = F.cross_entropy(model(X), ag.tensor(y)) + 0.5 * reg * sum((w**2).sum() for w in weights)
    engine_loss.backward()
    assert engine_loss.item() == pytest.approx(loss, rel=1e-13)
    for name, (tensor, transposed) in where.items():
        engine_grad = tensor.grad.T if transposed else tensor.grad
        np.testing.assert_allclose(engine_grad, grads[name], rtol=1e-11, atol=1e-14, err_msg=name)
    # the notebook's numerical check, on the conv layer's 30 parameters (the naive loops cost ~10 ms a loss)
    for name in ("W1", "b1"):
        numerical = eval_numerical_gradient(lambda _: net.loss(X, y)[0], net.params[name])
        assert rel_error(numerical, grads[name]) < 1e-6, name


def test_three_layer_convnet_sanity_loss_and_it_overfits_small_data():
    np.random.seed(231)
    X, y = np.random.randn(50, 1, 8, 8), np.random.randint(10, size=50)
    for reg, check in [(0.0, lambda loss: abs(loss - np.log(10)) < 0.01), (0.5, lambda loss: loss > np.log(10))]:
        net = ThreeLayerConvNet((1, 8, 8), 32, 7, 100, weight_scale=1e-3, reg=reg)
        model, _ = as_sequential(net, 1, 32, 7, 100, 10)
        weights = [m.weight for m in model if isinstance(m, (nn.Conv2d, nn.Linear))]
        with ag.no_grad():
            loss = F.cross_entropy(model(X), ag.tensor(y)) + 0.5 * reg * sum((w**2).sum() for w in weights)
        assert check(loss.item()), (reg, loss.item())  # ~2.3 at reg 0; reg adds its penalty
    digits, labels = nn.datasets.load_digits()
    order = np.random.default_rng(0).permutation(len(labels))
    images = ((digits - digits.mean(axis=0)) / 16.0).reshape(-1, 1, 8, 8)
    X_small, y_small = images[order[:50]], labels[order[:50]]
    X_val, y_val = images[order[50:550]], labels[order[50:550]]
    nn.init.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(8 * 4 * 4, 50), nn.ReLU(), nn.Linear(50, 10),
    )  # fmt: skip
    optimizer = nn.optim.Adam(model.parameters(), lr=1e-2)
    rng = np.random.default_rng(1)
    for _ in range(15):  # the notebook: 100 images, 15 epochs of batches of 50; here 50 digits, batches of 25
        for batch in np.split(rng.permutation(50), 2):
            loss = F.cross_entropy(model(X_small[batch]), y_small[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    with ag.no_grad():
        train_acc = float((model(X_small).argmax(1).data == y_small).mean())
        val_acc = float((model(X_val).argmax(1).data == y_val).mean())
    assert train_acc == 1.0  # (measured: 1.0 from the 13th epoch, validation 0.75)
    assert val_acc < train_acc - 0.1  # memorised the 50: the overfitting the check looks for
