"""PyTorch's canonical tutorials, ported step by step (``autograd_core as ag`` for ``torch``, ``nn`` for
``torch.nn``, ``F`` for ``torch.nn.functional``, ``nn.optim``, ``nn.data`` for ``torch.utils.data``),
each asserting the tutorial's own outcome; where torch is installed the same code runs in both and
the values and gradients must agree.

a. Learning PyTorch with Examples (pytorch.org/tutorials/beginner/pytorch_with_examples)
b. What is torch.nn really? (the bundled 8x8 digits in place of MNIST)
c. The 60-minute blitz: Neural Networks and Autograd
d. Saving and loading models; the Tensors page
"""

import math
import random

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F

torch = ag  # the tutorials' own spelling, kept so each step reads as the tutorial does


# ---------------------------------------------------------------- a. Learning PyTorch with Examples
def _sine_data(dtype=ag.float):
    x = torch.linspace(-math.pi, math.pi, 2000, device=torch.device("cpu"), dtype=dtype)
    return x, torch.sin(x)


def test_a_polynomial_with_tensors_and_manual_gradients_fits_sin():
    dtype = torch.float
    device = torch.device("cpu")
    x, y = _sine_data(dtype)
    torch.manual_seed(0)
    a, b, c, d = (torch.randn((), device=device, dtype=dtype) for _ in range(4))
    learning_rate = 1e-6
    losses = []
    for t in range(2000):
        y_pred = a + b * x + c * x**2 + d * x**3
        loss = (y_pred - y).pow(2).sum().item()
        losses.append(loss)
        grad_y_pred = 2.0 * (y_pred - y)
        grad_a = grad_y_pred.sum()
        grad_b = (grad_y_pred * x).sum()
        grad_c = (grad_y_pred * x**2).sum()
        grad_d = (grad_y_pred * x**3).sum()
        a -= learning_rate * grad_a
        b -= learning_rate * grad_b
        c -= learning_rate * grad_c
        d -= learning_rate * grad_d
    assert isinstance(losses[-1], float) and a.dtype == np.float32
    assert losses[-1] < 50 < losses[0] and losses[-1] < losses[0] / 10  # the tutorial ends near 9
    assert 0.7 < b.item() < 1.0 and -0.12 < d.item() < -0.06  # sin x ~ 0.85 x - 0.09 x^3 on [-pi, pi]


def _autograd_polynomial(lib, x, y, start, steps):
    """The tutorial's autograd loop, the same code for ``lib`` = torch or ag."""
    a, b, c, d = (lib.tensor(v, dtype=lib.float64, requires_grad=True) for v in start)
    learning_rate = 1e-6
    for _ in range(steps):
        y_pred = a + b * x + c * x**2 + d * x**3
        loss = (y_pred - y).pow(2).sum()
        loss.backward()
        with lib.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    return loss.item(), [p.item() for p in (a, b, c, d)]


def test_a_polynomial_with_autograd_falls_and_equals_torch():
    x, y = _sine_data(torch.float64)
    start = [0.5, -0.3, 0.2, 0.1]
    loss, params = _autograd_polynomial(ag, x, y, start, 2000)
    assert loss < 20 and 0.8 < params[1] < 0.9
    real = pytest.importorskip("torch")
    tx = real.linspace(-math.pi, math.pi, 2000, dtype=real.float64)
    torch_loss, torch_params = _autograd_polynomial(real, tx, real.sin(tx), start, 2000)
    np.testing.assert_allclose(params, torch_params, rtol=1e-9, atol=1e-12)
    assert loss == pytest.approx(torch_loss, rel=1e-9)


def test_a_polynomial_with_nn_sequential_and_the_sum_mse():
    x, y = _sine_data(torch.float32)
    p = torch.tensor([1, 2, 3])
    xx = x.unsqueeze(-1).pow(p)
    assert xx.shape == (2000, 3)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 1), nn.Flatten(0, 1))
    loss_fn = nn.MSELoss(reduction="sum")
    learning_rate = 1e-6
    for t in range(2000):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        if t == 0:
            first = loss.item()
            assert y_pred.shape == (2000,)
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for param in model.parameters():
                param -= learning_rate * param.grad
    linear_layer = model[0]
    result = (
        f"Result: y = {linear_layer.bias.item()} + {linear_layer.weight[:, 0].item()} x "
        f"+ {linear_layer.weight[:, 1].item()} x^2 + {linear_layer.weight[:, 2].item()} x^3"
    )
    assert result.startswith("Result: y = ") and loss.item() < 50 < first
    assert 0.7 < linear_layer.weight[:, 0].item() < 1.0


def test_a_polynomial_with_optim_rmsprop():
    x, y = _sine_data()
    xx = x.unsqueeze(-1).pow(torch.tensor([1, 2, 3]))
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 1), nn.Flatten(0, 1))
    loss_fn = nn.MSELoss(reduction="sum")
    optimizer = nn.optim.RMSprop(model.parameters(), lr=1e-3)
    for t in range(2000):
        loss = loss_fn(model(xx), y)
        if t == 0:
            first = loss.item()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < 15 < first  # the tutorial's run ends near 9


class Polynomial3(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Parameter(torch.randn(()))
        self.b = nn.Parameter(torch.randn(()))
        self.c = nn.Parameter(torch.randn(()))
        self.d = nn.Parameter(torch.randn(()))

    def forward(self, x):
        return self.a + self.b * x + self.c * x**2 + self.d * x**3

    def string(self):
        return f"y = {self.a.item()} + {self.b.item()} x + {self.c.item()} x^2 + {self.d.item()} x^3"


def test_a_custom_module_polynomial3_trains_with_sgd_and_equals_torch():
    x, y = _sine_data(torch.float64)
    torch.manual_seed(0)
    model = Polynomial3()
    assert [p.shape for p in model.parameters()] == [()] * 4
    start = [p.item() for p in model.parameters()]
    criterion = nn.MSELoss(reduction="sum")
    optimizer = nn.optim.SGD(model.parameters(), lr=1e-6)
    for t in range(2000):
        loss = criterion(model(x), y)
        if t == 0:
            first = loss.item()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < 20 < first and model.string().startswith("y = ")
    real = pytest.importorskip("torch")
    tmodel = real.nn.Module()
    for name, value in zip("abcd", start):
        setattr(tmodel, name, real.nn.Parameter(real.tensor(value, dtype=real.float64)))
    tx = real.linspace(-math.pi, math.pi, 2000, dtype=real.float64)
    topt = real.optim.SGD(tmodel.parameters(), lr=1e-6)
    for _ in range(2000):
        tloss = real.nn.MSELoss(reduction="sum")(Polynomial3.forward(tmodel, tx), real.sin(tx))
        topt.zero_grad()
        tloss.backward()
        topt.step()
    np.testing.assert_allclose([p.item() for p in model.parameters()], [p.item() for p in tmodel.parameters()], 1e-9)


class DynamicNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Parameter(torch.randn(()))
        self.b = nn.Parameter(torch.randn(()))
        self.c = nn.Parameter(torch.randn(()))
        self.d = nn.Parameter(torch.randn(()))
        self.e = nn.Parameter(torch.randn(()))

    def forward(self, x):
        y = self.a + self.b * x + self.c * x**2 + self.d * x**3
        for exp in range(4, random.randint(4, 6)):  # 0, 1 or 2 more terms, each reusing the parameter e
            y = y + self.e * x**exp
        return y


def test_a_dynamic_net_with_random_control_flow_and_weight_sharing(monkeypatch):
    x, y = _sine_data(torch.float64)
    random.seed(0)
    torch.manual_seed(0)
    model = DynamicNet()
    criterion = nn.MSELoss(reduction="sum")
    optimizer = nn.optim.SGD(model.parameters(), lr=1e-8, momentum=0.9)
    first = criterion(model(x), y).item()
    for _ in range(3000):  # the tutorial's 30,000 steps, cut to keep the test fast
        loss = criterion(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    random.seed(1)
    settled = np.mean([criterion(model(x), y).item() for _ in range(6)])
    assert settled < first / 20
    # weight sharing: with both extra terms drawn, e's gradient sums its two uses
    monkeypatch.setattr(random, "randint", lambda low, high: 6)
    model.zero_grad()
    out = model(x)
    criterion(out, y).backward()
    r = 2 * (out.data - y.data)
    np.testing.assert_allclose(model.e.grad, (r * (x.data**4 + x.data**5)).sum(), rtol=1e-10)
