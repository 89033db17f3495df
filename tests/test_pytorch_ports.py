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
    for _t in range(2000):
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
    for _ in range(2000):  # torch.optim.SGD's step, p.add_(p.grad, alpha=-lr), written out (importing torch.optim
        tloss = real.nn.MSELoss(reduction="sum")(Polynomial3.forward(tmodel, tx), real.sin(tx))  # takes seconds)
        tmodel.zero_grad()
        tloss.backward()
        with real.no_grad():
            for p in tmodel.parameters():
                p.add_(p.grad, alpha=-1e-6)
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


# ---------------------------------------------------------------- c. 60-minute blitz: Neural Networks, Autograd
class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()  # noqa: UP008 (the tutorial's spelling)
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, input):
        c1 = F.relu(self.conv1(input))
        s2 = F.max_pool2d(c1, (2, 2))
        c3 = F.relu(self.conv2(s2))
        s4 = F.max_pool2d(c3, 2)
        s4 = torch.flatten(s4, 1)
        f5 = F.relu(self.fc1(s4))
        f6 = F.relu(self.fc2(f5))
        return self.fc3(f6)


def test_c_blitz_neural_networks_lenet_forward_backward_graph_and_sgd():
    torch.manual_seed(0)
    net = Net()
    assert "(conv1): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))" in repr(net)
    params = list(net.parameters())
    assert len(params) == 10 and params[0].size() == (6, 1, 5, 5)  # conv1's .weight
    input = torch.randn(1, 1, 32, 32)
    out = net(input)
    assert out.size() == (1, 10)
    net.zero_grad()
    out.backward(torch.randn(1, 10))
    assert all(p.grad is not None and p.grad.shape == p.shape for p in params)

    output = net(input)
    target = torch.randn(10)
    target = target.view(1, -1)
    criterion = nn.MSELoss()
    loss = criterion(output, target)
    np.testing.assert_allclose(loss.item(), ((output.data - target.data) ** 2).mean())
    # torch's walk: loss.grad_fn (MseLossBackward0) -> next_functions[0][0] (AddmmBackward0) -> ... (ReluBackward0).
    # mse is composed (the mean of a square) here, so the walk passes its primitives before fc3's linear
    assert loss.grad_fn.name() == "DivBackward0" and loss.grad_fn.prim.name == loss.op
    node, path = loss.grad_fn, []
    while node.name() != "LinearBackward0":  # back through the loss to fc3
        node = next(fn for fn, _ in node.next_functions if isinstance(fn, type(loss.grad_fn)))
        path.append(node.name())
    assert path == ["SumBackward0", "PowBackward0", "SubBackward0", "LinearBackward0"]  # mean = sum / n of (out - t)**2
    relu = node.next_functions[0][0]
    assert relu.name() == "ReluBackward0" and relu.next_functions[0][0].name() == "LinearBackward0"  # f6, fc2
    weight = node.next_functions[1][0]  # fc3's weight: the walk ends in its accumulator, as torch's
    assert weight.name() == "torch::autograd::AccumulateGrad" and weight.variable is net.fc3.weight

    net.zero_grad()
    assert net.conv1.bias.grad is None  # as torch 2's zero_grad (set_to_none)
    loss.backward()
    assert net.conv1.bias.grad.shape == (6,) and np.abs(net.conv1.bias.grad).sum() > 0
    learning_rate = 0.01
    before = criterion(net(input), target).item()
    with torch.no_grad():
        for f in net.parameters():
            f.data -= f.grad * learning_rate  # torch: f.data.sub_(f.grad.data * learning_rate); .data is numpy here
    assert criterion(net(input), target).item() < before

    optimizer = nn.optim.SGD(net.parameters(), lr=0.01)
    losses = []
    for _ in range(20):
        optimizer.zero_grad()
        output = net(input)
        loss = criterion(output, target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] / 2


def test_c_blitz_lenet_output_and_gradients_equal_torch():
    real = pytest.importorskip("torch")
    torch.manual_seed(1)
    net = Net()
    tnet = real.nn.Module()
    for name in ("conv1", "conv2", "fc1", "fc2", "fc3"):
        ours = getattr(net, name)
        kind = real.nn.Conv2d if name.startswith("conv") else real.nn.Linear
        setattr(tnet, name, kind(*reversed(ours.weight.shape[:2]), *ours.weight.shape[2:3]).double())
    tnet.load_state_dict({k: real.from_numpy(v) for k, v in net.state_dict().items()})
    input = torch.randn(1, 1, 32, 32)
    target = torch.randn(1, 10)
    loss = nn.MSELoss()(net(input), target)
    loss.backward()

    tF = real.nn.functional
    x = real.from_numpy(input.data)
    c1 = tF.max_pool2d(tF.relu(tnet.conv1(x)), (2, 2))
    s4 = real.flatten(tF.max_pool2d(tF.relu(tnet.conv2(c1)), 2), 1)
    tout = tnet.fc3(tF.relu(tnet.fc2(tF.relu(tnet.fc1(s4)))))
    tloss = real.nn.MSELoss()(tout, real.from_numpy(target.data))
    tloss.backward()
    assert loss.item() == pytest.approx(tloss.item(), rel=1e-12)
    for name, p in net.named_parameters():
        np.testing.assert_allclose(p.grad, tnet.get_parameter(name).grad.numpy(), rtol=1e-9, atol=1e-12)


def test_c_blitz_autograd_external_gradient_and_the_dag():
    a = torch.tensor([2.0, 3.0], requires_grad=True)
    b = torch.tensor([6.0, 4.0], requires_grad=True)
    Q = 3 * a**3 - b**2
    external_grad = torch.tensor([1.0, 1.0])
    Q.backward(gradient=external_grad)
    assert (9 * a**2 == a.grad).tolist() == [True, True]
    assert (-2 * b == b.grad).tolist() == [True, True]

    x = torch.rand(5, 5)
    y = torch.rand(5, 5)
    z = torch.rand((5, 5), requires_grad=True)
    a = x + y
    assert f"Does `a` require gradients?: {a.requires_grad}" == "Does `a` require gradients?: False"
    b = x + z
    assert f"Does `b` require gradients?: {b.requires_grad}" == "Does `b` require gradients?: True"


def test_c_blitz_autograd_frozen_model_trains_only_the_new_classifier_head():
    torch.manual_seed(0)
    model = Net()  # the tutorial's resnet18, in small
    for param in model.parameters():
        param.requires_grad = False
    frozen = {name: p.data.copy() for name, p in model.named_parameters()}
    model.fc3 = nn.Linear(84, 10)  # the new, unfrozen classifier
    optimizer = nn.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
    input, target = torch.randn(4, 1, 32, 32), torch.randn(4, 10)
    for _ in range(3):
        optimizer.zero_grad()
        nn.MSELoss()(model(input), target).backward()
        optimizer.step()
    for name, p in model.named_parameters():
        if name.startswith("fc3"):
            assert p.grad is not None and not np.array_equal(p.data, frozen[name])
        else:
            assert p.grad is None and np.array_equal(p.data, frozen[name])


# ---------------------------------------------------------------- PyTorch spellings added for these ports
def test_size_is_numpys_element_count_and_torchs_call_and_says_which_dims_exist():
    t = torch.zeros(2, 3, 4)
    assert t.size == 24 and t.size + 1 == 25 and t.size() == (2, 3, 4)
    assert t.size(0) == 2 and t.size(-1) == 4 and t.size(dim=1) == 3 and t.numel() == 24
    assert torch.tensor(5.0).size() == () and torch.tensor(5.0).size == 1
    with pytest.raises(IndexError, match=r"size: dim 3 is out of range for a tensor of shape \(2, 3, 4\); give -3..2$"):
        t.size(3)
    with pytest.raises(IndexError, match="a 0-d tensor has no axis 0"):
        torch.tensor(5.0).size(0)
    import pickle

    assert type(pickle.loads(pickle.dumps(t.size))) is int  # saved as the plain count
    # with a Tensor it is a Python number, as an int is: float32 and int32 tensors keep their dtype
    x = torch.ones(3, 2, dtype=torch.float32, requires_grad=True)
    mean = x.sum() / x.size
    mean.backward()
    assert mean.dtype == x.grad.dtype == np.float32 and np.allclose(x.grad, 1 / 6)
    counts = torch.ones(4, dtype=torch.int32)
    assert (counts + counts.size).dtype == np.int32 and (counts + counts.size).tolist() == [5, 5, 5, 5]


def test_device_cuda_and_accelerator_spell_the_cpu_and_refuse_another_device():
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    assert device == "cpu" and device.type == "cpu" and repr(device) == "device(type='cpu')"
    assert torch.device("cpu:0") == "cpu" and torch.device("cpu", 0) == "cpu"
    x = torch.ones(2, device=device).to(device)
    assert x.device == device and nn.Linear(2, 1).to(device)(x).shape == (1,)
    assert torch.cuda.device_count() == 0 and not torch.accelerator.is_available()
    assert torch.accelerator.current_accelerator() is None
    with pytest.raises(ValueError, match=r"device: this engine runs on numpy \(the CPU\) only, not on 'cuda'"):
        torch.device("cuda")
    with pytest.raises(ValueError, match="the CPU is device 0 only"):
        torch.device("cpu", 1)
    torch.set_default_device(device)  # the current "Learning PyTorch with Examples" starts so
    torch.set_default_device(None)
    assert torch.get_default_device() == "cpu" and torch.zeros(1).device == "cpu"
    with pytest.raises(ValueError, match="not on 'mps'"):
        torch.set_default_device("mps")


# ---------------------------------------------------------------- b. What is torch.nn really? (8x8 digits)
def _digits():
    X, Y = nn.datasets.load_digits()
    X = (X / 16).astype(np.float32)  # MNIST's pixels are in [0, 1] as float32 too
    x_train, y_train, x_valid, y_valid = map(torch.tensor, (X[:1500], Y[:1500], X[1500:], Y[1500:]))
    return x_train, y_train, x_valid, y_valid


def log_softmax(x):
    return x - x.exp().sum(-1).log().unsqueeze(-1)


def nll(input, target):
    return -input[range(target.shape[0]), target].mean()


def accuracy(out, yb):
    preds = torch.argmax(out, dim=1)
    return (preds == yb).float().mean()


def test_b_from_scratch_logistic_regression_learns_the_digits_and_equals_torch():
    x_train, y_train, x_valid, y_valid = _digits()
    n, c = x_train.shape
    assert (n, c) == (1500, 64) and (y_train.min().item(), y_train.max().item()) == (0, 9)
    torch.manual_seed(0)
    weights = torch.randn(64, 10) / math.sqrt(64)
    weights.requires_grad_()
    bias = torch.zeros(10, requires_grad=True)

    def model(xb):
        return log_softmax(xb @ weights + bias)

    bs = 64
    xb = x_train[0:bs]
    preds = model(xb)
    assert preds[0].shape == (10,) and preds.shape == (64, 10)
    loss_func = nll
    yb = y_train[0:bs]
    first_loss, first_accuracy = loss_func(preds, yb).item(), accuracy(preds, yb).item()
    assert first_loss > 1.5 and first_accuracy < 0.5

    start = weights.data.copy()
    lr = 0.5
    epochs = 5  # the tutorial's 2 epochs of MNIST are 1,564 steps; 5 of the digits, 120
    for _epoch in range(epochs):
        for i in range((n - 1) // bs + 1):
            start_i = i * bs
            end_i = start_i + bs
            xb = x_train[start_i:end_i]
            yb = y_train[start_i:end_i]
            pred = model(xb)
            loss = loss_func(pred, yb)
            loss.backward()
            with torch.no_grad():
                weights -= weights.grad * lr
                bias -= bias.grad * lr
                weights.grad = None  # torch: weights.grad.zero_() (.grad is a numpy array here)
                bias.grad = None
    assert loss_func(model(xb), yb).item() < 0.5 and accuracy(model(x_valid), y_valid).item() > 0.85

    # F.cross_entropy is log_softmax then nll; the first batch's loss and gradients are torch's
    weights.data[...] = start
    bias.data[...] = 0
    loss = F.cross_entropy(x_train[:bs] @ weights + bias, y_train[:bs])
    assert loss.item() == pytest.approx(nll(log_softmax(x_train[:bs] @ weights + bias), y_train[:bs]).item())
    loss.backward()
    real = pytest.importorskip("torch")
    tw = real.tensor(start, requires_grad=True)
    tb = real.zeros(10, dtype=real.float64, requires_grad=True)
    xt = real.from_numpy(x_train.data[:bs]).double()  # torch refuses float32 @ float64; numpy promotes
    tloss = nll(log_softmax(xt @ tw + tb), real.from_numpy(y_train.data[:bs]))
    tloss.backward()
    assert loss.item() == pytest.approx(tloss.item(), rel=1e-12)
    np.testing.assert_allclose(weights.grad, tw.grad.numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(bias.grad, tb.grad.numpy(), rtol=1e-10, atol=1e-14)


class Mnist_Logistic(nn.Module):
    def __init__(self):
        super().__init__()
        self.weights = nn.Parameter(torch.randn(64, 10) / math.sqrt(64))
        self.bias = nn.Parameter(torch.zeros(10))

    def forward(self, xb):
        return xb @ self.weights + self.bias


class Mnist_Linear(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(64, 10)

    def forward(self, xb):
        return self.lin(xb)


def test_b_refactored_with_module_parameter_linear_optim_dataset_and_loader():
    from nn.data import DataLoader, TensorDataset

    x_train, y_train, x_valid, y_valid = _digits()
    n, bs, lr, loss_func = len(x_train), 64, 0.5, F.cross_entropy
    torch.manual_seed(0)
    model = Mnist_Logistic()
    assert [name for name, _ in model.named_parameters()] == ["weights", "bias"]
    with torch.no_grad():  # fit() with the parameters by hand
        before = loss_func(model(x_train[:bs]), y_train[:bs]).item()
    for i in range((n - 1) // bs + 1):
        xb, yb = x_train[i * bs : i * bs + bs], y_train[i * bs : i * bs + bs]
        loss = loss_func(model(xb), yb)
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= p.grad * lr
            model.zero_grad()
    assert loss_func(model(x_train[:bs]), y_train[:bs]).item() < before / 2

    def get_model():
        model = Mnist_Linear()
        return model, nn.optim.SGD(model.parameters(), lr=lr)

    model, opt = get_model()
    train_ds = TensorDataset(x_train, y_train)
    xb, yb = train_ds[0:bs]  # a slice of the dataset is a batch of Tensors
    assert isinstance(xb, ag.Tensor) and xb.shape == (64, 64) and yb.shape == (64,)
    train_dl = DataLoader(train_ds, batch_size=bs, shuffle=True)
    valid_dl = DataLoader(TensorDataset(x_valid, y_valid), batch_size=bs * 2)
    assert (len(train_dl), len(valid_dl)) == (24, 3)
    valid_losses = []
    for _epoch in range(10):
        model.train()
        for xb, yb in train_dl:
            pred = model(xb)
            loss = loss_func(pred, yb)
            loss.backward()
            opt.step()
            opt.zero_grad()
        model.eval()
        with torch.no_grad():
            valid_loss = sum(loss_func(model(xb), yb) for xb, yb in valid_dl)
        assert not valid_loss.requires_grad
        valid_losses.append((valid_loss / len(valid_dl)).item())
    assert valid_losses[-1] < min(0.5, valid_losses[0] / 1.5) and accuracy(model(x_valid), y_valid).item() > 0.85


def loss_batch(model, loss_func, xb, yb, opt=None):
    loss = loss_func(model(xb), yb)
    if opt is not None:
        loss.backward()
        opt.step()
        opt.zero_grad()
    return loss.item(), len(xb)


def fit(epochs, model, loss_func, opt, train_dl, valid_dl):
    val_losses = []
    for _epoch in range(epochs):
        model.train()
        for xb, yb in train_dl:
            loss_batch(model, loss_func, xb, yb, opt)
        model.eval()
        with torch.no_grad():
            losses, nums = zip(*[loss_batch(model, loss_func, xb, yb) for xb, yb in valid_dl])
        val_loss = np.sum(np.multiply(losses, nums)) / np.sum(nums)
        val_losses.append(val_loss)
    return val_losses


def get_data(train_ds, valid_ds, bs):
    from nn.data import DataLoader

    return (DataLoader(train_ds, batch_size=bs, shuffle=True), DataLoader(valid_ds, batch_size=bs * 2))


class Mnist_CNN(nn.Module):
    # 8x8 digits, not 28x28: conv1 keeps the size (stride 1), so the map is 8 -> 8 -> 4 -> 2 and the pool is 2
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=3, stride=1, padding=1)
        self.conv2 = nn.Conv2d(16, 16, kernel_size=3, stride=2, padding=1)
        self.conv3 = nn.Conv2d(16, 10, kernel_size=3, stride=2, padding=1)

    def forward(self, xb):
        xb = xb.view(-1, 1, 8, 8)
        xb = F.relu(self.conv1(xb))
        xb = F.relu(self.conv2(xb))
        xb = F.relu(self.conv3(xb))
        xb = F.avg_pool2d(xb, 2)
        return xb.view(-1, xb.size(1))


class Lambda(nn.Module):
    def __init__(self, func):
        super().__init__()
        self.func = func

    def forward(self, x):
        return self.func(x)


class WrappedDataLoader:
    def __init__(self, dl, func):
        self.dl = dl
        self.func = func

    def __len__(self):
        return len(self.dl)

    def __iter__(self):
        for b in self.dl:
            yield (self.func(*b))


def _digit_loaders(bs=64):
    from nn.data import TensorDataset

    x_train, y_train, x_valid, y_valid = _digits()
    train_ds, valid_ds = TensorDataset(x_train, y_train), TensorDataset(x_valid, y_valid)
    return (x_valid, y_valid), train_ds, valid_ds, get_data(train_ds, valid_ds, bs)


# 5 epochs of the digits (120 steps) where the tutorial trains 2 of MNIST (1,564 steps)
def test_b_cnn_with_get_data_fit_and_loss_batch_learns_the_digits():
    (x_valid, y_valid), _, _, (train_dl, valid_dl) = _digit_loaders()
    lr, epochs, loss_func = 0.1, 5, F.cross_entropy
    torch.manual_seed(0)
    model = Mnist_CNN()
    opt = nn.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    assert model(x_valid[:5]).shape == (5, 10)
    val_losses = fit(epochs, model, loss_func, opt, train_dl, valid_dl)
    assert val_losses[-1] < min(0.9, val_losses[0] / 2) and accuracy(model(x_valid), y_valid).item() > 0.75


def test_b_cnn_as_sequential_with_a_lambda_module_learns_the_digits():
    (x_valid, y_valid), _, _, (train_dl, valid_dl) = _digit_loaders()

    def preprocess(x):
        return x.view(-1, 1, 8, 8)

    torch.manual_seed(0)
    model = nn.Sequential(
        Lambda(preprocess),
        nn.Conv2d(1, 16, kernel_size=3, stride=1, padding=1),
        nn.ReLU(),
        nn.Conv2d(16, 16, kernel_size=3, stride=2, padding=1),
        nn.ReLU(),
        nn.Conv2d(16, 10, kernel_size=3, stride=2, padding=1),
        nn.ReLU(),
        nn.AvgPool2d(2),
        Lambda(lambda x: x.view(x.size(0), -1)),
    )
    opt = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    val_losses = fit(5, model, F.cross_entropy, opt, train_dl, valid_dl)
    assert val_losses[-1] < min(0.9, val_losses[0] / 2) and accuracy(model(x_valid), y_valid).item() > 0.75


def test_b_cnn_with_a_wrapped_loader_device_and_adaptive_pool_learns_the_digits():
    (x_valid, y_valid), train_ds, valid_ds, _ = _digit_loaders()
    dev = torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")

    def preprocess(x, y):
        return x.view(-1, 1, 8, 8).to(dev), y.to(dev)

    train_dl, valid_dl = get_data(train_ds, valid_ds, 64)
    train_dl = WrappedDataLoader(train_dl, preprocess)
    valid_dl = WrappedDataLoader(valid_dl, preprocess)
    assert len(train_dl) == 24
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=3, stride=1, padding=1),
        nn.ReLU(),
        nn.Conv2d(16, 16, kernel_size=3, stride=2, padding=1),
        nn.ReLU(),
        nn.Conv2d(16, 10, kernel_size=3, stride=2, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        Lambda(lambda x: x.view(x.size(0), -1)),
    )
    model.to(dev)
    opt = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    val_losses = fit(5, model, F.cross_entropy, opt, train_dl, valid_dl)
    xb, yb = preprocess(x_valid, y_valid)
    assert val_losses[-1] < min(0.9, val_losses[0] / 2) and accuracy(model(xb), yb).item() > 0.75


def test_module_level_add_sub_mul_div_and_out_write_into_a_tensor_or_say_why_not():
    x, y = torch.tensor([1.0, 2.0], requires_grad=True), torch.tensor([3.0, 4.0])
    out = torch.add(x, y, alpha=2) * torch.sub(x, y) + torch.mul(x, y) - torch.div(x, 4)  # recorded, as the operators
    out.sum().backward()
    np.testing.assert_allclose(x.grad, 2 * x.data + 2 * y.data - 0.25)  # d/dx of (x+2y)(x-y) + xy - x/4
    z = torch.zeros(2)
    assert torch.mul(y, y, out=z) is z and z.tolist() == [9.0, 16.0]
    z3 = torch.zeros(2, 2)
    torch.matmul(torch.eye(2), torch.ones(2, 2), out=z3)
    assert z3.tolist() == [[1.0, 1.0], [1.0, 1.0]]
    with pytest.raises(RuntimeError, match=r"mul\(out=\.\.\.\): out= records no gradient, but an input requires grad"):
        torch.mul(x, y, out=z)
    with torch.no_grad():
        assert torch.add(x, y, out=z).tolist() == [4.0, 6.0]
    with pytest.raises(ValueError, match=r"matmul\(out=\.\.\.\): out has shape \(2,\), the result \(2, 2\)"):
        torch.matmul(torch.eye(2), torch.eye(2), out=z)
    with pytest.raises(TypeError, match="the result is float64, which out's int64 cannot hold"):
        torch.div(y, 2, out=torch.zeros(2, dtype=torch.long))
    with pytest.raises(TypeError, match="div: out= takes a Tensor to write into, got ndarray"):
        torch.div(y, 2, out=np.zeros(2))


# ---------------------------------------------------------------- d. Tensors; Saving and loading
def test_d_tensors_page_creation_attributes_indexing_joining_arithmetic_and_the_numpy_bridge():
    data = [[1, 2], [3, 4]]
    x_data = torch.tensor(data)
    np_array = np.array(data)
    x_np = torch.from_numpy(np_array)
    assert x_data.tolist() == x_np.tolist() == data and x_np.dtype == np.int64  # Python ints: int64, as torch
    x_ones = torch.ones_like(x_data)
    assert x_ones.tolist() == [[1, 1], [1, 1]] and x_ones.dtype == x_data.dtype
    x_rand = torch.rand_like(x_data, dtype=torch.float)
    assert x_rand.dtype == np.float32 and ((x_rand.data >= 0) & (x_rand.data < 1)).all()
    shape = (2, 3)
    rand_tensor, ones_tensor, zeros_tensor = torch.rand(shape), torch.ones(shape), torch.zeros(shape)
    assert rand_tensor.shape == ones_tensor.shape == zeros_tensor.shape == (2, 3)

    tensor = torch.rand(3, 4)
    assert f"Shape of tensor: {tensor.shape}" == "Shape of tensor: (3, 4)"  # torch: torch.Size([3, 4])
    assert f"Datatype of tensor: {tensor.dtype}" == "Datatype of tensor: float64"  # torch: torch.float32
    assert f"Device tensor is stored on: {tensor.device}" == "Device tensor is stored on: cpu"
    if torch.accelerator.is_available():
        tensor = tensor.to(torch.accelerator.current_accelerator())

    tensor = torch.ones(4, 4)
    assert tensor[0].tolist() == tensor[:, 0].tolist() == tensor[..., -1].tolist() == [1.0] * 4
    tensor[:, 1] = 0
    t1 = torch.cat([tensor, tensor, tensor], dim=1)
    assert t1.shape == (4, 12) and t1[0].tolist() == [1.0, 0.0, 1.0, 1.0] * 3

    y1 = tensor @ tensor.T
    y2 = tensor.matmul(tensor.T)
    y3 = torch.rand_like(y1)
    torch.matmul(tensor, tensor.T, out=y3)
    assert y1.tolist() == y2.tolist() == y3.tolist() == [[3.0] * 4] * 4
    z1 = tensor * tensor
    z2 = tensor.mul(tensor)
    z3 = torch.rand_like(tensor)
    torch.mul(tensor, tensor, out=z3)
    assert z1.tolist() == z2.tolist() == z3.tolist() == tensor.tolist()

    agg = tensor.sum()
    agg_item = agg.item()
    assert (agg_item, type(agg_item)) == (12.0, float)
    tensor.add_(5)
    assert tensor[0].tolist() == [6.0, 5.0, 6.0, 6.0]

    t = torch.ones(5)
    n = t.numpy()
    t.add_(1)
    assert n.tolist() == [2.0] * 5  # the same memory
    n = np.ones(5)
    t = torch.from_numpy(n)
    np.add(n, 1, out=n)
    assert t.tolist() == [2.0] * 5

    real = pytest.importorskip("torch")
    ours, theirs = torch.ones(4, 4), real.ones(4, 4, dtype=real.float64)
    ours[:, 1], theirs[:, 1] = 0, 0
    np.testing.assert_array_equal(
        torch.cat([ours, ours @ ours.T], dim=1).data, real.cat([theirs, theirs @ theirs.T], 1)
    )


class TheModelClass(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = x.view(-1, 16 * 5 * 5)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def test_d_saving_and_loading_a_state_dict_and_a_checkpoint_with_the_optimizer(tmp_path):
    torch.manual_seed(0)
    model = TheModelClass()
    optimizer = nn.optim.SGD(model.parameters(), lr=0.001, momentum=0.9)
    sizes = {name: tuple(value.shape) for name, value in model.state_dict().items()}
    assert sizes["conv1.weight"] == (6, 3, 5, 5) and sizes["fc3.bias"] == (10,) and len(sizes) == 10
    assert optimizer.state_dict()["param_groups"][0]["lr"] == 0.001
    x, target = torch.randn(2, 3, 32, 32), torch.randn(2, 10)
    for _ in range(2):  # a momentum buffer to save
        optimizer.zero_grad()
        loss = nn.MSELoss()(model(x), target)
        loss.backward()
        optimizer.step()

    PATH = str(tmp_path / "model.npz")
    with pytest.raises(
        TypeError, match=r"nn.save\(model, path\) \(PyTorch's torch.save\(model.state_dict\(\), path\)\)"
    ):
        nn.save(model.state_dict(), PATH)  # torch.save(model.state_dict(), PATH)
    nn.save(model, PATH)
    fresh = TheModelClass()
    fresh.load_state_dict(model.state_dict())  # in memory, as torch's
    nn.load(fresh, PATH).eval()  # model.load_state_dict(torch.load(PATH)); model.eval()
    np.testing.assert_array_equal(fresh(x).data, model(x).data)

    # the tutorial's checkpoint dict, as a dict (in memory; on disk below: save_checkpoint writes no pickle)
    checkpoint = {
        "epoch": 2,
        "model_state_dict": model.state_dict(),
        "optimizer_state_dict": optimizer.state_dict(),
        "loss": loss,
    }
    model2 = TheModelClass()
    optimizer2 = nn.optim.SGD(model2.parameters(), lr=0.001, momentum=0.9)
    model2.load_state_dict(checkpoint["model_state_dict"])
    optimizer2.load_state_dict(checkpoint["optimizer_state_dict"])
    epoch, loss = checkpoint["epoch"], checkpoint["loss"]
    model2.eval()
    np.testing.assert_array_equal(model2(x).data, model(x).data)
    momentum = optimizer2.state_dict()["state"]
    assert epoch == 2 and loss.item() > 0 and len(momentum) == 10  # one momentum buffer a parameter

    CHECKPOINT = str(tmp_path / "checkpoint.npz")
    nn.utils.save_checkpoint(CHECKPOINT, model, optimizer)  # torch.save({"model_state_dict": ..., ...}, PATH)
    resumed = TheModelClass()
    resumed_optimizer = nn.optim.SGD(resumed.parameters(), lr=0.001, momentum=0.9)
    nn.utils.load_checkpoint(CHECKPOINT, resumed, resumed_optimizer)
    resumed.train()
    for m, o in ((model, optimizer), (resumed, resumed_optimizer)):  # one more step each: the same weights
        o.zero_grad()
        nn.MSELoss()(m(x), target).backward()
        o.step()
    for (name, a), b in zip(model.state_dict().items(), resumed.state_dict().values()):
        np.testing.assert_array_equal(a, b, err_msg=name)


def test_cuda_checks_read_false_and_moving_to_cuda_says_the_engine_is_cpu_only():
    x, model = ag.Tensor([1.0, 2.0]), nn.Linear(2, 1)
    assert x.is_cuda is False and not ag.cuda.is_available()
    device = "cuda" if x.is_cuda else "cpu"  # the tutorials' guard runs as written
    assert x.to(device) is x
    with pytest.raises(ValueError, match=r"cuda\(\): this engine runs on numpy \(the CPU\) only"):
        x.cuda()
    with pytest.raises(ValueError, match=r"Linear.cuda\(\): this engine runs on numpy \(the CPU\) only"):
        model.cuda()
