""" "Dive into Deep Learning" (d2l.ai, PyTorch edition), its from-scratch chapters ported step by step
(``autograd_core as ag`` for ``torch``, ``nn`` for ``torch.nn``, ``nn.data`` for ``torch.utils.data``), each
step asserting the book's own outcome; where torch is installed the same code runs in both and the values
must agree. The d2l helper library is not ours: the few helpers a chapter needs (``synthetic_data``,
``sgd``, ``Accumulator``, ``train_epoch_ch3`` ...) are written here as the book defines them. The bundled
8x8 digits stand in for Fashion-MNIST (no download).

2.5 Automatic differentiation; 3.4/3.5 linear regression from scratch and concise; 3.7 weight decay;
4.4 softmax regression from scratch; 5.2 MLP from scratch; 5.4 numerical stability; 5.6 dropout;
6.x builders' guide (modules, parameters, initialisation, tied parameters, custom layers, file I/O).

Where the book's spelling fails here, by design: ``.grad`` and ``.data`` are numpy arrays, so
``p.grad.zero_()`` is ``p.grad.fill(0)`` (or ``p.grad = None``), ``x.grad.numpy()`` is ``x.grad``,
``param.data.normal_()`` is ``param.normal_()`` under ``no_grad`` and ``w.data.abs()`` is ``np.abs(w.data)``;
``X /= 2`` on a recorded tensor is ``X = X / 2``.
"""

import contextlib
import os
import random

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from nn import data

torch = ag  # the book's own spelling, kept so each step reads as the book does


@contextlib.contextmanager
def _book_run_by(lib):
    """Run the book's helpers (``sgd``, ``softmax`` ..., which read the module-level ``torch``) with ``lib``."""
    global torch
    torch = lib
    try:
        yield
    finally:
        torch = ag


# ---------------------------------------------------------------- 2.5 Automatic differentiation
def _as_numpy(grad):
    """A copy of a gradient: a numpy array here, a Tensor in torch."""
    return grad.copy() if isinstance(grad, np.ndarray) else grad.detach().numpy().copy()


def _autograd_chapter(lib):
    """The chapter's steps for ``lib`` = torch or ag; returns each step's gradient as numpy."""
    grads = []

    def zero(g):  # the book: x.grad.zero_(); .grad is a numpy array here (README), so fill(0)
        g.zero_() if lib is not ag else g.fill(0)

    x = lib.arange(4.0, dtype=lib.float64)
    x.requires_grad_(True)
    assert x.grad is None
    y = 2 * lib.dot(x, x)
    assert y.item() == 28.0
    y.backward()
    grads.append(_as_numpy(x.grad))
    assert bool((x.grad == 4 * x).all())
    zero(x.grad)
    y = x.sum()
    y.backward()
    grads.append(_as_numpy(x.grad))
    zero(x.grad)
    y = x * x
    y.backward(gradient=lib.ones(len(y), dtype=lib.float64))  # faster: y.sum().backward()
    grads.append(_as_numpy(x.grad))
    zero(x.grad)
    y = x * x
    u = y.detach()
    z = u * x
    z.sum().backward()
    assert bool((x.grad == u).all())
    grads.append(_as_numpy(x.grad))
    zero(x.grad)
    y.sum().backward()
    assert bool((x.grad == 2 * x).all())
    grads.append(_as_numpy(x.grad))
    return grads


def test_2_5_autograd_gradients_detach_and_non_scalar_backward():
    grads = _autograd_chapter(ag)
    x = np.arange(4.0)
    for got, want in zip(grads, [4 * x, np.ones(4), 2 * x, x * x, 2 * x]):
        np.testing.assert_array_equal(got, want)
    real = pytest.importorskip("torch")
    for got, want in zip(grads, _autograd_chapter(real)):
        np.testing.assert_array_equal(got, want)


def test_2_5_grad_zero_underscore_is_numpy_s_error_and_fill_is_the_spelling():
    x = torch.arange(4.0)
    x.requires_grad_(True)
    (2 * torch.dot(x, x)).backward()
    assert isinstance(x.grad, np.ndarray)  # by design (README): a numpy array, like x.data
    with pytest.raises(AttributeError, match="zero_"):
        x.grad.zero_()
    x.grad.fill(0)
    x.sum().backward()
    np.testing.assert_array_equal(x.grad, np.ones(4))  # accumulated onto the zeros, as torch after zero_()


def f(a):
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    if b.sum() > 0:  # noqa: SIM108 (the book's spelling)
        c = b
    else:
        c = 100 * b
    return c


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_2_5_gradient_through_python_control_flow_is_d_over_a(seed):
    torch.manual_seed(seed)
    a = torch.randn(size=(), requires_grad=True)
    d = f(a)
    d.backward()
    assert bool(a.grad == d / a)  # f is piecewise linear: f(a) = k a
    assert abs(d.item()) >= 1000 and a.grad != 0


# ---------------------------------------------------------------- 3.4 Linear regression from scratch
def synthetic_data(w, b, num_examples):
    """Generate y = Xw + b + noise."""
    X = torch.normal(0, 1, (num_examples, len(w)))
    y = torch.matmul(X, w) + b
    y += torch.normal(0, 0.01, y.shape)
    return X, y.reshape((-1, 1))


def data_iter(batch_size, features, labels):
    num_examples = len(features)
    indices = list(range(num_examples))
    random.shuffle(indices)  # the examples are read at random, in no particular order
    for i in range(0, num_examples, batch_size):
        batch_indices = torch.tensor(indices[i : min(i + batch_size, num_examples)])
        yield features[batch_indices], labels[batch_indices]


def linreg(X, w, b):
    return torch.matmul(X, w) + b


def squared_loss(y_hat, y):
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def sgd(params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad = None  # the book: param.grad.zero_(); .grad is a numpy array here (fill(0) works too)


def test_3_4_synthetic_data_is_linear_plus_small_noise():
    torch.manual_seed(0)
    true_w = torch.tensor([2, -3.4])
    true_b = 4.2
    features, labels = synthetic_data(true_w, true_b, 1000)
    assert features.shape == (1000, 2) and labels.shape == (1000, 1)
    noise = labels.data[:, 0] - features.data @ true_w.data - true_b
    assert abs(noise.std() - 0.01) < 0.001 and abs(noise.mean()) < 0.002
    assert abs(features.data.mean()) < 0.1 and abs(features.data.std() - 1) < 0.05
    X, y = next(data_iter(10, features, labels))
    assert X.shape == (10, 2) and y.shape == (10, 1)
    assert sorted(len(X) for X, _ in data_iter(300, features, labels)) == [100, 300, 300, 300]


def _linreg_from_scratch(lib, features, labels, w0, seed):
    """The chapter's training loop for ``lib`` = torch or ag, the same shuffles (random.seed)."""
    w = lib.tensor(w0, requires_grad=True)
    b = lib.zeros(1, dtype=lib.float64, requires_grad=True)
    lr, num_epochs, batch_size = 0.03, 3, 10
    net, loss = linreg, squared_loss
    random.seed(seed)
    epoch_losses = []
    for _epoch in range(num_epochs):
        for X, y in data_iter(batch_size, features, labels):
            l = loss(net(X, w, b), y)  # noqa: E741 (the book's name)
            l.sum().backward()
            sgd([w, b], lr, batch_size)
        with lib.no_grad():
            train_l = loss(net(features, w, b), labels)
            epoch_losses.append(float(train_l.mean()))
    return epoch_losses, _as_numpy(w), _as_numpy(b)


def test_3_4_linear_regression_from_scratch_recovers_w_and_b():
    torch.manual_seed(0)
    true_w, true_b = torch.tensor([2, -3.4]), 4.2
    features, labels = synthetic_data(true_w, true_b, 1000)
    w0 = torch.normal(0, 0.01, size=(2, 1)).data
    losses, w, b = _linreg_from_scratch(ag, features, labels, w0, seed=0)
    assert losses[0] < 0.1 and losses[-1] < 1e-4 < losses[0]  # the book: 0.04, 0.00015, 0.00005
    assert np.abs(true_w.data - w.reshape(true_w.shape)).max() < 2e-3  # the book's errors: ~1e-4 .. 1e-3
    assert abs(true_b - b.item()) < 2e-3
    real = pytest.importorskip("torch")
    with _book_run_by(real):  # the same code, run by torch
        t_losses, t_w, t_b = _linreg_from_scratch(
            real, real.from_numpy(features.data), real.from_numpy(labels.data), w0, seed=0
        )
    np.testing.assert_allclose(losses, t_losses, rtol=1e-9)
    np.testing.assert_allclose(w, t_w, rtol=1e-10)
    np.testing.assert_allclose(b, t_b, rtol=1e-10)


# ---------------------------------------------------------------- 3.5 Linear regression, concise
def load_array(data_arrays, batch_size, is_train=True):
    """Construct a data iterator (torch.utils.data's, seeded here so the test is repeatable)."""
    dataset = data.TensorDataset(*data_arrays)
    return data.DataLoader(dataset, batch_size, shuffle=is_train, seed=0)


def test_3_5_concise_linear_regression_with_nn_linear_mse_and_sgd():
    torch.manual_seed(1)
    true_w, true_b = torch.tensor([2, -3.4]), 4.2
    features, labels = synthetic_data(true_w, true_b, 1000)
    batch_size = 10
    data_iter = load_array((features, labels), batch_size)
    X, y = next(iter(data_iter))
    assert isinstance(X, ag.Tensor) and X.shape == (10, 2) and y.shape == (10, 1)
    net = nn.Sequential(nn.Linear(2, 1))
    with pytest.raises(AttributeError, match="normal_"):  # .data is a numpy array here
        net[0].weight.data.normal_(0, 0.01)
    with torch.no_grad():  # the book: net[0].weight.data.normal_(0, 0.01); net[0].bias.data.fill_(0)
        net[0].weight.normal_(0, 0.01)
        net[0].bias.fill_(0)
    assert abs(net[0].weight.data).max() < 0.05 and net[0].bias.item() == 0 and net[0].weight.requires_grad
    loss = nn.MSELoss()
    trainer = nn.optim.SGD(net.parameters(), lr=0.03)
    num_epochs = 3
    for _epoch in range(num_epochs):
        for X, y in data_iter:
            l = loss(net(X), y)  # noqa: E741
            trainer.zero_grad()
            l.backward()
            trainer.step()
        l = loss(net(features), labels)  # noqa: E741
    assert l.item() < 2e-4  # the book: 0.000103
    w = net[0].weight.data
    assert np.abs((true_w - w.reshape(true_w.shape)).data).max() < 2e-3
    b = net[0].bias.data
    assert abs((true_b - b).item()) < 2e-3


# ---------------------------------------------------------------- 3.7 Weight decay
def _weight_decay_data():
    n_train, n_test, num_inputs, batch_size = 20, 100, 200, 5
    true_w, true_b = torch.ones((num_inputs, 1)) * 0.01, 0.05
    torch.manual_seed(0)
    train_data = synthetic_data(true_w, true_b, n_train)
    test_data = synthetic_data(true_w, true_b, n_test)
    return num_inputs, batch_size, train_data, test_data


def init_params(num_inputs):
    w = torch.normal(0, 1, size=(num_inputs, 1), requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    return [w, b]


def l2_penalty(w):
    return torch.sum(w.pow(2)) / 2


def evaluate_loss(net, data_arrays, loss):
    with torch.no_grad():
        X, y = data_arrays
        return loss(net(X), y).mean().item()


def _train_weight_decay(lambd):
    num_inputs, batch_size, train_data, test_data = _weight_decay_data()
    torch.manual_seed(1)
    w, b = init_params(num_inputs)
    net, loss = lambda X: linreg(X, w, b), squared_loss
    num_epochs, lr = 100, 0.003
    train_iter = load_array(train_data, batch_size)
    for _epoch in range(num_epochs):
        for X, y in train_iter:
            l = loss(net(X), y) + lambd * l2_penalty(w)  # noqa: E741
            l.sum().backward()
            sgd([w, b], lr, batch_size)
    return torch.norm(w).item(), evaluate_loss(net, train_data, loss), evaluate_loss(net, test_data, loss)


def test_3_7_weight_decay_from_scratch_shrinks_w_and_the_test_loss():
    assert l2_penalty(torch.tensor([3.0, 4.0])).item() == 12.5
    norm0, train0, test0 = _train_weight_decay(lambd=0)
    norm3, train3, test3 = _train_weight_decay(lambd=3)
    # the book: without decay, ||w|| ~ 13 and the model overfits (train loss ~0, test loss large);
    # with lambda = 3, ||w|| ~ 0.4 and the test loss falls by orders of magnitude
    assert norm0 > 10 and train0 < test0 / 100
    assert norm3 < 1 and test3 < test0 / 10 and norm3 < norm0 / 10 and train3 > train0  # fits less, generalises


def test_3_7_weight_decay_concise_per_group_decay_on_the_weight_only():
    num_inputs, batch_size, train_data, test_data = _weight_decay_data()
    norms, tests = [], []
    for wd in (0, 3):
        torch.manual_seed(1)
        net = nn.Sequential(nn.Linear(num_inputs, 1))
        with torch.no_grad():
            for param in net.parameters():
                param.normal_()  # the book: param.data.normal_()
        loss = nn.MSELoss(reduction="none")
        num_epochs, lr = 100, 0.003
        trainer = nn.optim.SGD([{"params": net[0].weight, "weight_decay": wd}, {"params": net[0].bias}], lr=lr)
        for _epoch in range(num_epochs):
            for X, y in load_array(train_data, batch_size):
                trainer.zero_grad()
                l = loss(net(X), y)  # noqa: E741
                l.mean().backward()
                trainer.step()
        norms.append(net[0].weight.norm().item())
        tests.append(evaluate_loss(net, test_data, loss))
    assert norms[0] > 10 and norms[1] < 1 and tests[1] < tests[0] / 10


def _l2_penalised_grads(lib, X, y, w0):
    with _book_run_by(lib):
        w, b = lib.tensor(w0, requires_grad=True), lib.zeros(1, dtype=lib.float64, requires_grad=True)
        l = squared_loss(linreg(lib.tensor(X), w, b), lib.tensor(y)) + 3 * l2_penalty(w)  # noqa: E741
        l.sum().backward()
    return _as_numpy(w.grad), _as_numpy(b.grad)


def test_3_7_l2_penalised_gradient_is_the_closed_form_and_torch_s():
    rng = np.random.default_rng(0)
    X, y, w0 = rng.standard_normal((5, 200)), rng.standard_normal((5, 1)), rng.standard_normal((200, 1))
    ours = _l2_penalised_grads(ag, X, y, w0)
    residual = X @ w0 - y  # closed form: X^T r + lambda * 5 w (the penalty is added to each of the 5 losses)
    np.testing.assert_allclose(ours[0], X.T @ residual + 3 * 5 * w0, rtol=1e-12)
    np.testing.assert_allclose(ours[1], residual.sum(0), rtol=1e-12)
    theirs = _l2_penalised_grads(pytest.importorskip("torch"), X, y, w0)
    for mine, torch_s in zip(ours, theirs):
        np.testing.assert_allclose(mine, torch_s, rtol=1e-12)


# ---------------------------------------------------------------- 4.4 Softmax regression from scratch
def load_data_digits(batch_size):
    """The bundled 8x8 digits in place of d2l.load_data_fashion_mnist: (train_iter, test_iter), pixels / 16."""
    X, y = nn.datasets.load_digits()
    X_train, X_test, y_train, y_test = nn.datasets.train_test_split(X / 16, y, test_size=0.25, seed=0)
    train = data.TensorDataset(torch.tensor(X_train), torch.tensor(y_train))
    test = data.TensorDataset(torch.tensor(X_test), torch.tensor(y_test))
    return data.DataLoader(train, batch_size, shuffle=True, seed=0), data.DataLoader(test, batch_size)


def softmax(X):
    X_exp = torch.exp(X)
    partition = X_exp.sum(1, keepdim=True)
    return X_exp / partition  # the broadcasting mechanism is applied here


def cross_entropy(y_hat, y):
    return -torch.log(y_hat[range(len(y_hat)), y])


def accuracy(y_hat, y):
    """Compute the number of correct predictions."""
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    cmp = y_hat.type(y.dtype) == y
    return float(cmp.type(y.dtype).sum())


class Accumulator:
    """For accumulating sums over n variables."""

    def __init__(self, n):
        self.data = [0.0] * n

    def add(self, *args):
        self.data = [a + float(b) for a, b in zip(self.data, args)]

    def reset(self):
        self.data = [0.0] * len(self.data)

    def __getitem__(self, idx):
        return self.data[idx]


def evaluate_accuracy(net, data_iter):
    """Compute the accuracy for a model on a dataset."""
    if isinstance(net, nn.Module):  # the book: torch.nn.Module
        net.eval()
    metric = Accumulator(2)  # no. of correct predictions, no. of predictions
    with torch.no_grad():
        for X, y in data_iter:
            metric.add(accuracy(net(X), y), y.numel())
    return metric[0] / metric[1]


def train_epoch_ch3(net, train_iter, loss, updater):
    if isinstance(net, nn.Module):
        net.train()
    metric = Accumulator(3)  # sum of training loss, sum of training accuracy, no. of examples
    for X, y in train_iter:
        y_hat = net(X)
        l = loss(y_hat, y)  # noqa: E741
        if isinstance(updater, nn.optim.Optimizer):  # the book: torch.optim.Optimizer
            updater.zero_grad()
            l.mean().backward()
            updater.step()
        else:
            l.sum().backward()
            updater(X.shape[0])
        metric.add(float(l.sum()), accuracy(y_hat, y), y.numel())
    return metric[0] / metric[2], metric[1] / metric[2]


def train_ch3(net, train_iter, test_iter, loss, num_epochs, updater):
    """d2l's train_ch3 without its Animator: the (train loss, train acc, test acc) of every epoch."""
    history = []
    for _epoch in range(num_epochs):
        train_metrics = train_epoch_ch3(net, train_iter, loss, updater)
        history.append((*train_metrics, evaluate_accuracy(net, test_iter)))
    return history


def test_4_4_softmax_cross_entropy_and_accuracy_on_the_book_s_examples():
    X = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert X.sum(0, keepdim=True).tolist() == [[5.0, 7.0, 9.0]] and X.sum(1, keepdim=True).tolist() == [[6.0], [15.0]]
    torch.manual_seed(0)
    X = torch.normal(0, 1, (2, 5))
    X_prob = softmax(X)
    assert (X_prob.data > 0).all()
    np.testing.assert_allclose(X_prob.sum(1).data, [1.0, 1.0], rtol=1e-15)
    y = torch.tensor([0, 2])
    y_hat = torch.tensor([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])
    assert y_hat[[0, 1], y].tolist() == [0.1, 0.5]
    np.testing.assert_allclose(cross_entropy(y_hat, y).data, [2.3026, 0.6931], atol=1e-4)
    assert accuracy(y_hat, y) / len(y) == 0.5


def test_4_4_softmax_regression_from_scratch_trains_on_digits():
    batch_size = 32  # the book: 256 of 60,000 images; the digits have 1,347 training rows, so 42 steps an epoch
    train_iter, test_iter = load_data_digits(batch_size)
    num_inputs, num_outputs = 64, 10  # 8x8 pixels, 10 classes (Fashion-MNIST: 784, 10)
    torch.manual_seed(0)
    W = torch.normal(0, 0.01, size=(num_inputs, num_outputs), requires_grad=True)
    b = torch.zeros(num_outputs, requires_grad=True)

    def net(X):
        return softmax(torch.matmul(X.reshape((-1, W.shape[0])), W) + b)

    assert 0.02 < evaluate_accuracy(net, test_iter) < 0.25  # untrained: about chance, 0.1
    lr = 0.1

    def updater(batch_size):
        return sgd([W, b], lr, batch_size)

    history = train_ch3(net, train_iter, test_iter, cross_entropy, 10, updater)
    losses = [h[0] for h in history]
    assert losses[-1] < losses[0] < 2.31  # a first epoch starts at ln 10 = 2.30
    assert history[-1][1] > 0.85 and history[-1][2] > 0.85  # the book, on Fashion-MNIST: ~0.83
    X, y = next(iter(test_iter))
    preds = net(X).argmax(axis=1)
    assert (preds == y).float().mean().item() > 0.85


def _softmax_regression_steps(lib, X, y, W0):
    """Two passes of the chapter's loop over ``X`` in batches of 32, with ``lib``'s tensors."""
    W = lib.tensor(W0, requires_grad=True)
    b = lib.zeros(10, dtype=lib.float64, requires_grad=True)

    def net(X):
        return softmax(torch.matmul(X.reshape((-1, W.shape[0])), W) + b)

    for _epoch in range(2):
        for i in range(0, len(X), 32):
            Xb, yb = lib.tensor(X[i : i + 32]), lib.tensor(y[i : i + 32])
            l = cross_entropy(net(Xb), yb)  # noqa: E741
            l.sum().backward()
            sgd([W, b], 0.1, Xb.shape[0])
    return accuracy(net(lib.tensor(X)), lib.tensor(y)), _as_numpy(W), _as_numpy(b)


def test_4_4_softmax_regression_steps_equal_torch():
    X, y = nn.datasets.load_digits()
    X, y = X[:320] / 16, y[:320]
    W0 = np.random.default_rng(0).normal(0, 0.01, (64, 10))
    ours = _softmax_regression_steps(ag, X, y, W0)
    assert ours[0] / len(y) > 0.8  # 20 steps on 320 digits already classify most of them
    real = pytest.importorskip("torch")
    with _book_run_by(real):
        theirs = _softmax_regression_steps(real, X, y, W0)
    assert ours[0] == theirs[0]
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-10, atol=1e-14)


# ---------------------------------------------------------------- 5.2 MLP from scratch
def relu(X):
    a = torch.zeros_like(X)
    return torch.max(X, a)


def test_5_2_relu_as_torch_max_of_x_and_zeros():
    X = torch.tensor([[-1.5, 0.5], [2.0, -3.0]], requires_grad=True)
    out = relu(X)
    assert out.tolist() == [[0.0, 0.5], [2.0, 0.0]]
    out.sum().backward()
    np.testing.assert_array_equal(X.grad, [[0.0, 1.0], [1.0, 0.0]])
    assert torch.min(X, torch.zeros_like(X)).tolist() == [[-1.5, 0.0], [0.0, -3.0]]


def _mlp_params(lib, num_inputs, num_hiddens, num_outputs, seed):
    rng = np.random.default_rng(seed)
    Parameter = nn.Parameter if lib is ag else lib.nn.Parameter
    W1 = Parameter(lib.tensor(rng.standard_normal((num_inputs, num_hiddens)), requires_grad=True) * 0.01)
    b1 = Parameter(lib.zeros(num_hiddens, dtype=lib.float64, requires_grad=True))
    W2 = Parameter(lib.tensor(rng.standard_normal((num_hiddens, num_outputs)), requires_grad=True) * 0.01)
    b2 = Parameter(lib.zeros(num_outputs, dtype=lib.float64, requires_grad=True))
    return [W1, b1, W2, b2]


def test_5_2_mlp_from_scratch_trains_on_digits():
    num_inputs, num_outputs, num_hiddens = 64, 10, 256
    torch.manual_seed(0)
    W1 = nn.Parameter(torch.randn(num_inputs, num_hiddens, requires_grad=True) * 0.01)
    b1 = nn.Parameter(torch.zeros(num_hiddens, requires_grad=True))
    W2 = nn.Parameter(torch.randn(num_hiddens, num_outputs, requires_grad=True) * 0.01)
    b2 = nn.Parameter(torch.zeros(num_outputs, requires_grad=True))
    params = [W1, b1, W2, b2]
    assert all(p.requires_grad and p.is_leaf for p in params) and abs(W1.data.std() - 0.01) < 0.001

    def net(X):
        X = X.reshape((-1, num_inputs))
        H = relu(X @ W1 + b1)  # Here '@' stands for matrix multiplication
        return H @ W2 + b2

    num_epochs, lr = 10, 0.1
    loss = nn.CrossEntropyLoss(reduction="none")
    updater = nn.optim.SGD(params, lr=lr)
    train_iter, test_iter = load_data_digits(32)
    history = train_ch3(net, train_iter, test_iter, loss, num_epochs, updater)
    assert history[-1][0] < history[0][0] and history[-1][2] > 0.85  # the book, on Fashion-MNIST: ~0.85


def _mlp_step(lib, X, y):
    W1, b1, W2, b2 = params = _mlp_params(lib, 64, 32, 10, seed=0)
    H = lib.max(lib.tensor(X) @ W1 + b1, lib.zeros(32, dtype=lib.float64))
    out = H @ W2 + b2
    loss = (nn if lib is ag else lib.nn).CrossEntropyLoss(reduction="none")(out, lib.tensor(y))
    loss.mean().backward()
    return [_as_numpy(loss)] + [_as_numpy(p.grad) for p in params]


def test_5_2_mlp_from_scratch_step_is_the_delta_rule_and_torch_s():
    X, y = nn.datasets.load_digits()
    X, y = X[:64] / 16, y[:64]
    loss, *grads = ours = _mlp_step(ag, X, y)
    W1, b1, W2, b2 = (p.data for p in _mlp_params(ag, 64, 32, 10, seed=0))
    pre = X @ W1 + b1  # the delta rule by hand: delta3 = (softmax - onehot) / N, back through relu's 0/1 mask
    logits = np.maximum(pre, 0) @ W2 + b2
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    delta3 = (p - np.eye(10)[y]) / len(y)
    delta2 = delta3 @ W2.T * (pre > 0)
    np.testing.assert_allclose(loss, -np.log(p[range(len(y)), y]), rtol=1e-12)
    for got, want in zip(grads, [X.T @ delta2, delta2.sum(0), np.maximum(pre, 0).T @ delta3, delta3.sum(0)]):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-15)
    for mine, torch_s in zip(ours, _mlp_step(pytest.importorskip("torch"), X, y)):
        np.testing.assert_allclose(mine, torch_s, rtol=1e-10, atol=1e-14)


# ---------------------------------------------------------------- 5.4 Numerical stability
def test_5_4_sigmoid_gradient_vanishes_at_both_ends():
    x = torch.arange(-8.0, 8.0, 0.1, requires_grad=True)
    y = torch.sigmoid(x)
    y.backward(torch.ones_like(x))
    grad = x.grad  # the book: x.grad.numpy(); .grad is already a numpy array here
    np.testing.assert_allclose(grad, y.data * (1 - y.data), rtol=1e-12)  # sigma' = sigma (1 - sigma)
    assert grad.max() == pytest.approx(0.25, abs=1e-4) and abs(x.data[grad.argmax()]) < 0.1
    assert grad[0] < 4e-4 and grad[-1] < 4e-4  # at |x| = 8: vanished
    real = pytest.importorskip("torch")
    tx = real.arange(-8.0, 8.0, 0.1, dtype=real.float64, requires_grad=True)
    real.sigmoid(tx).backward(real.ones_like(tx))
    np.testing.assert_allclose(grad, tx.grad.numpy(), rtol=1e-12, atol=1e-300)


def test_5_4_a_product_of_100_random_matrices_explodes():
    torch.manual_seed(0)
    M = torch.normal(0, 1, size=(4, 4))
    first = np.abs(M.data).max()
    for _i in range(100):
        M = M @ torch.normal(0, 1, size=(4, 4))
    assert first < 10 and np.abs(M.data).max() > 1e15  # the book's: entries ~1e23 after 100 multiplications


# ---------------------------------------------------------------- 5.6 Dropout
def dropout_layer(X, dropout):
    assert 0 <= dropout <= 1
    if dropout == 1:  # in this case, all elements are dropped
        return torch.zeros_like(X)
    mask = (torch.rand(X.shape) > dropout).float()
    return mask * X / (1.0 - dropout)


def test_5_6_dropout_layer_keeps_scales_or_drops():
    X = torch.arange(16, dtype=torch.float32).reshape((2, 8))
    assert (dropout_layer(X, 0.0) == X).all()
    torch.manual_seed(0)
    half = dropout_layer(X, 0.5)
    assert half.dtype == np.float32 and set(np.unique(half.data / np.maximum(X.data, 1))) <= {0.0, 2.0}
    assert (dropout_layer(X, 1.0) == 0).all()
    big = dropout_layer(torch.ones(100_000), 0.3)  # inverted dropout: the expectation stays the input
    assert abs((big.data == 0).mean() - 0.3) < 0.01 and abs(big.data.mean() - 1) < 0.02


class DropoutNet(nn.Module):
    def __init__(self, num_inputs, num_outputs, num_hiddens1, num_hiddens2, dropout1, dropout2, is_training=True):
        super().__init__()
        self.num_inputs = num_inputs
        self.training = is_training
        self.lin1 = nn.Linear(num_inputs, num_hiddens1)
        self.lin2 = nn.Linear(num_hiddens1, num_hiddens2)
        self.lin3 = nn.Linear(num_hiddens2, num_outputs)
        self.relu = nn.ReLU()
        self.dropout1, self.dropout2 = dropout1, dropout2

    def forward(self, X):
        H1 = self.relu(self.lin1(X.reshape((-1, self.num_inputs))))
        if self.training:  # use dropout only when training the model
            H1 = dropout_layer(H1, self.dropout1)
        H2 = self.relu(self.lin2(H1))
        if self.training:
            H2 = dropout_layer(H2, self.dropout2)
        return self.lin3(H2)


def test_5_6_dropout_net_from_scratch_and_concise_train_on_digits():
    torch.manual_seed(0)
    net = DropoutNet(64, 10, 128, 64, 0.2, 0.5)
    X = torch.rand(4, 64)
    assert not (net(X) == net(X)).all()  # training: a fresh mask each call
    net.eval()
    assert (net(X) == net(X)).all()  # eval: no dropout, deterministic
    loss = nn.CrossEntropyLoss(reduction="none")
    train_iter, test_iter = load_data_digits(32)
    history = train_ch3(
        net, train_iter, test_iter, loss, 10, nn.optim.SGD(net.parameters(), lr=0.1)
    )  # the book: 0.5 on batches of 256
    assert history[-1][2] > 0.85

    concise = nn.Sequential(
        nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 64), nn.ReLU(),
        nn.Dropout(0.5), nn.Linear(64, 10),
    )  # fmt: skip
    history = train_ch3(concise, train_iter, test_iter, loss, 10, nn.optim.SGD(concise.parameters(), lr=0.1))
    assert history[-1][2] > 0.85 and not concise.training  # evaluate_accuracy left it in eval mode


# ---------------------------------------------------------------- 6.1 Layers and modules
class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.LazyLinear(256)  # its input size (20) read from the first call
        self.output = nn.LazyLinear(10)

    def forward(self, X):
        return self.output(F.relu(self.hidden(X)))


class MySequential(nn.Module):
    def __init__(self, *args):
        super().__init__()
        for idx, module in enumerate(args):
            self.add_module(str(idx), module)

    def forward(self, X):
        for module in self.children():
            X = module(X)
        return X


class FixedHiddenMLP(nn.Module):
    def __init__(self):
        super().__init__()
        # random weight parameters that will not compute gradients and therefore keep constant during training
        self.rand_weight = torch.rand((20, 20))
        self.linear = nn.Linear(20, 20)

    def forward(self, X):
        X = self.linear(X)
        X = F.relu(X @ self.rand_weight + 1)
        X = self.linear(X)  # reuse the fully connected layer: its parameters are shared
        while X.abs().sum() > 1:  # control flow
            X = X / 2  # the book: X /= 2, refused here on a recorded tensor (see the test)
        return X.sum()


def test_6_1_modules_custom_sequential_and_control_flow():
    torch.manual_seed(0)
    X = torch.rand(2, 20)
    assert MLP()(X).shape == (2, 10)
    net = MySequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 10))
    assert net(X).shape == (2, 10) and len(list(net.parameters())) == 4
    fixed = FixedHiddenMLP()
    out = fixed(X)
    assert out.shape == () and abs(out.item()) <= 1
    out.backward()
    assert fixed.linear.weight.grad is not None and not fixed.rand_weight.requires_grad
    h = fixed.linear(X)
    with pytest.raises(RuntimeError, match=r"in-place '/=' on a tensor that is part of a recorded graph.*y = y \+"):
        h /= 2
    lazy = MLP()
    assert lazy.hidden.weight.shape == (0,) and lazy(X).shape == (2, 10)  # built by the first call
    assert lazy.hidden.weight.shape == (256, 20) and isinstance(lazy.hidden, nn.Linear)


# ---------------------------------------------------------------- 6.2/6.3 Parameter management and initialisation
def test_6_2_parameter_access_and_6_3_initialisation():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    X = torch.rand(size=(2, 4))
    assert net(X).shape == (2, 1)
    state = net[2].state_dict()
    assert list(state) == ["weight", "bias"] and state["weight"].shape == (1, 8)
    assert net[2].bias.requires_grad and net[2].bias.data.shape == (1,)
    assert net[2].weight.grad is None
    assert [(name, param.shape) for name, param in net.named_parameters()] == [
        ("0.weight", (8, 4)), ("0.bias", (8,)), ("2.weight", (1, 8)), ("2.bias", (1,)),
    ]  # fmt: skip

    def init_normal(module):
        if type(module) == nn.Linear:  # noqa: E721 (the book's test)
            nn.init.normal_(module.weight, mean=0, std=0.01)
            nn.init.zeros_(module.bias)

    net.apply(init_normal)
    assert np.abs(net[0].weight.data).max() < 0.05 and (net[0].bias.data == 0).all()

    def init_constant(module):
        if type(module) == nn.Linear:  # noqa: E721
            nn.init.constant_(module.weight, 1)
            nn.init.zeros_(module.bias)

    net.apply(init_constant)
    assert (net[0].weight.data == 1).all() and (net[2].weight.data == 1).all()

    def init_xavier(module):
        if type(module) == nn.Linear:  # noqa: E721
            nn.init.xavier_uniform_(module.weight)

    def init_42(module):
        if type(module) == nn.Linear:  # noqa: E721
            nn.init.constant_(module.weight, 42)

    net[0].apply(init_xavier)
    net[2].apply(init_42)
    bound = np.sqrt(6 / (4 + 8))
    assert np.abs(net[0].weight.data).max() <= bound and (net[2].weight.data == 42).all()

    def my_init(module):
        if type(module) == nn.Linear:  # noqa: E721
            nn.init.uniform_(module.weight, -10, 10)
            module.weight.data *= np.abs(module.weight.data) >= 5  # the book: .data.abs(); .data is numpy here

    net.apply(my_init)
    w = net[0].weight.data
    assert ((w == 0) | (np.abs(w) >= 5)).all() and (np.abs(w) <= 10).all() and (w != 0).any()
    net[0].weight.data[:] += 1
    net[0].weight.data[0, 0] = 42
    assert net[0].weight.data[0, 0] == 42 and net(X).shape == (2, 1)


def test_6_2_tied_parameters_share_values_and_sum_gradients():
    torch.manual_seed(0)
    shared = nn.Linear(8, 8)  # the book: nn.LazyLinear(8), here given its input size
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), shared, nn.ReLU(), shared, nn.ReLU(), nn.Linear(8, 1))
    X = torch.rand(2, 4)
    net(X)
    assert (net[2].weight.data[0] == net[4].weight.data[0]).all()
    net[2].weight.data[0, 0] = 100
    assert (net[2].weight.data[0] == net[4].weight.data[0]).all()  # the same object, not just equal values
    assert len(list(net.parameters())) == 6  # shared's weight and bias counted once
    net.zero_grad()
    net(X).sum().backward()
    both = shared.weight.grad.copy()
    # the gradient is the sum of the two uses: each use's gradient, with the other use's weight held fixed
    uses = []
    for frozen in (2, 4):
        twin = nn.Linear(8, 8)
        twin.load_state_dict(shared.state_dict())
        twin.requires_grad_(False)
        layers = list(net)
        layers[frozen] = twin
        shared.zero_grad()
        nn.Sequential(*layers)(X).sum().backward()
        uses.append(shared.weight.grad.copy())
    np.testing.assert_allclose(both, uses[0] + uses[1], rtol=1e-12, atol=1e-14)


# ---------------------------------------------------------------- 6.5 Custom layers
class CenteredLayer(nn.Module):
    def forward(self, X):
        return X - X.mean()


class MyLinear(nn.Module):
    def __init__(self, in_units, units):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(in_units, units))
        self.bias = nn.Parameter(torch.randn(units))

    def forward(self, X):
        linear = torch.matmul(X, self.weight.data) + self.bias.data
        return F.relu(linear)


def test_6_5_custom_layers():
    layer = CenteredLayer()
    assert layer(torch.tensor([1.0, 2, 3, 4, 5])).tolist() == [-2.0, -1.0, 0.0, 1.0, 2.0]
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(8, 128), CenteredLayer())
    Y = net(torch.rand(4, 8))
    assert abs(Y.mean().item()) < 1e-12
    linear = MyLinear(5, 3)
    assert linear.weight.shape == (5, 3) and [n for n, _ in linear.named_parameters()] == ["weight", "bias"]
    X = torch.rand(2, 5)
    out = linear(X)
    assert (out.data >= 0).all() and out.shape == (2, 3)
    np.testing.assert_allclose(out.data, np.maximum(X.data @ linear.weight.data + linear.bias.data, 0))
    net = nn.Sequential(MyLinear(64, 8), MyLinear(8, 1))
    assert net(torch.rand(2, 64)).shape == (2, 1)


# ---------------------------------------------------------------- 6.6 File I/O
def test_6_6_save_and_load_tensors_lists_dicts_and_parameters(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the book writes 'x-file' ... in the working directory
    x = torch.arange(4)
    torch.save(x, "x-file")
    x2 = torch.load("x-file")
    assert (x2 == x).all() and x2.dtype == np.int64
    y = torch.zeros(4)
    torch.save([x, y], "x-files")
    x2, y2 = torch.load("x-files")
    assert (x2 == x).all() and (y2 == y).all() and isinstance(y2, ag.Tensor)
    mydict = {"x": x, "y": y}
    torch.save(mydict, "mydict")
    mydict2 = torch.load("mydict")
    assert list(mydict2) == ["x", "y"] and (mydict2["y"] == y).all()

    torch.manual_seed(0)
    net = MLP()
    X = torch.randn(size=(2, 20))
    Y = net(X)
    torch.save(net.state_dict(), "mlp.params")
    clone = MLP()
    clone.load_state_dict(torch.load("mlp.params"))
    assert not clone.eval().training
    Y_clone = clone(X)
    assert (Y_clone == Y).all()
    assert sorted(os.listdir(tmp_path)) == ["mlp.params", "mydict", "x-file", "x-files"]


# ---------------------------------------------------------------- the gaps these chapters met, filled
def test_gap_normal_numbers_and_a_size_draws_the_right_distribution():
    g = torch.Generator().manual_seed(0)
    samples = torch.normal(3.0, 0.5, size=(200_000,), generator=g)
    assert samples.dtype == np.float64 and samples.shape == (200_000,) and not samples.requires_grad
    assert abs(samples.data.mean() - 3.0) < 0.01 and abs(samples.data.std() - 0.5) < 0.005
    assert torch.normal(0, 1, (2, 3)).shape == (2, 3) and torch.normal(0, 1, size=5).shape == (5,)
    w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True, dtype=torch.float32)
    assert w.requires_grad and w.is_leaf and w.dtype == np.float32
    torch.manual_seed(4)
    a = torch.normal(0, 1, size=(3,))
    torch.manual_seed(4)
    assert (torch.normal(0, 1, size=(3,)) == a).all()  # the default generator, as randn's


def test_gap_normal_of_tensors_samples_elementwise_in_their_dtype():
    mean = torch.tensor([0.0, 100.0, -100.0], dtype=torch.float32)
    out = torch.normal(mean, 0.0)
    assert out.dtype == np.float32 and out.tolist() == [0.0, 100.0, -100.0]
    std = torch.tensor([[1e-3], [10.0]])
    many = torch.normal(torch.zeros(50_000), std[1])  # a 1-element std tensor broadcasts
    assert abs(many.data.std() - 10) < 0.2
    assert torch.normal(mean, std).shape == (2, 3)
    m = torch.tensor([1.0, 2.0], requires_grad=True)
    assert not torch.normal(m, 1.0).requires_grad  # values: no gradient reaches mean (torch's is zero)


def test_gap_normal_and_the_size_keyword_refuse_bad_input_clearly():
    with pytest.raises(ValueError, match=r"normal: std must be >= 0 everywhere, got -1"):
        torch.normal(0, -1, size=(2,))
    with pytest.raises(ValueError, match="normal: std must be >= 0"):
        torch.normal(0, float("nan"), size=(2,))
    with pytest.raises(TypeError, match=r"normal: with a number for both mean and std, give the size"):
        torch.normal(0, 1)
    with pytest.raises(ValueError, match=r"normal: size \(4,\) does not match the shape \(3,\)"):
        torch.normal(torch.zeros(3), 1.0, size=(4,))
    with pytest.raises(TypeError, match="normal: mean must be a number or a numeric Tensor"):
        torch.normal("0", 1, size=(2,))
    with pytest.raises(TypeError, match="normal: dtype must be float32 or float64"):
        torch.normal(0, 1, size=(2,), dtype=torch.int64)
    assert torch.randn(size=()).shape == () and torch.rand(size=(2, 3)).shape == (2, 3)
    assert torch.randn(size=[2]).shape == (2,) and torch.rand((2, 3)).shape == (2, 3)
    with pytest.raises(TypeError, match=r"randn: give the size once, positionally randn\(2, 3\) or as randn\(size="):
        torch.randn(2, size=(2,))
    with pytest.raises(TypeError, match=r"rand: sizes must be ints"):
        torch.rand(size=(2.5,))


def test_gap_torch_max_and_min_of_two_tensors_are_elementwise():
    a = torch.tensor([[1.0, -2.0], [3.0, 0.5]], requires_grad=True)
    b = torch.tensor([0.0, 1.0])
    out = torch.max(a, b)
    assert out.tolist() == [[1.0, 1.0], [3.0, 1.0]]
    out.sum().backward()
    np.testing.assert_array_equal(a.grad, [[1.0, 0.0], [1.0, 0.0]])
    assert torch.min(a, np.zeros(2)).tolist() == [[0.0, -2.0], [0.0, 0.0]]  # a numpy array too
    assert torch.max(a, 1).values.tolist() == [1.0, 3.0] and torch.max(a, dim=0, keepdim=True).values.shape == (1, 2)
    with pytest.raises(ValueError):
        torch.max(a, torch.zeros(3))  # shapes that do not broadcast: maximum's own error
    real = pytest.importorskip("torch")
    ta = real.tensor(a.data, requires_grad=True)
    real.max(ta, real.tensor(b.data)).sum().backward()
    np.testing.assert_array_equal(a.grad, ta.grad.numpy())


def test_gap_save_and_load_of_a_list_or_tuple_and_damaged_files(tmp_path):
    x, y = torch.arange(3), np.ones(2)
    torch.save((x, y), tmp_path / "pair")
    loaded = torch.load(tmp_path / "pair")
    assert isinstance(loaded, tuple) and isinstance(loaded[0], ag.Tensor) and isinstance(loaded[1], np.ndarray)
    torch.save([], tmp_path / "empty")
    assert torch.load(tmp_path / "empty") == []
    with pytest.raises(TypeError, match=r"ag.save: entry '1' is a list; only tensors and numeric arrays"):
        torch.save([x, [y]], tmp_path / "nested")
    with pytest.raises(TypeError, match=r"expected a Tensor, an array, a list/tuple or a dict of them"):
        torch.save("x", tmp_path / "str")
    assert not (tmp_path / "nested").exists()
    # a file whose mark says list but whose members are not 0..n-1 is refused, not half-read
    from autograd_core.npz import read_arrays, write_npz

    arrays = read_arrays(str(tmp_path / "pair"))
    arrays["5"] = arrays.pop("1")
    with open(tmp_path / "damaged", "wb") as file:
        write_npz(file, arrays)
    with pytest.raises(ValueError, match=r"damaged: .*\(a tuple was saved, but the file holds"):
        torch.load(tmp_path / "damaged")


def test_gap_lazy_layers_read_the_input_size_from_the_first_call():
    net = nn.Sequential(nn.LazyConv2d(8, 3), nn.ReLU(), nn.Flatten(), nn.LazyLinear(10))
    assert net(torch.zeros((2, 3, 6, 6))).shape == (2, 10)
    assert net[0].weight.shape == (8, 3, 3, 3) and net[3].weight.shape == (10, 8 * 4 * 4)
    with pytest.raises(AttributeError, match=r"'LazyLayerNorm'.*LazyLinear.*nn.LayerNorm\(<input size>, ...\)"):
        nn.LazyLayerNorm  # noqa: B018
    with pytest.raises(AttributeError, match=r"^module 'nn' has no attribute 'NoSuchLayer'$"):
        nn.NoSuchLayer  # noqa: B018


def test_gap_normal_and_uniform_fill_a_tensor_in_place_and_refuse_what_fill_refuses():
    w = torch.zeros(20_000, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"normal_\(\) on a leaf tensor that requires grad .*`with no_grad"):
        w.normal_(0, 0.01)
    with torch.no_grad():
        assert w.normal_(1.0, 0.5) is w
    assert w.requires_grad and w.is_leaf and abs(w.data.mean() - 1) < 0.02 and abs(w.data.std() - 0.5) < 0.02
    u = torch.zeros(20_000, dtype=torch.float32).uniform_(-2, 3)
    assert u.dtype == np.float32 and u.data.min() >= -2 and u.data.max() < 3 and abs(u.data.mean() - 0.5) < 0.05
    g = torch.Generator().manual_seed(7)
    first = torch.zeros(4).normal_(generator=g).tolist()
    g.manual_seed(7)
    assert torch.zeros(4).normal_(generator=g).tolist() == first
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    c = torch.tensor([3.0, 4.0])
    y = (x * c).sum()
    c.uniform_()  # c was saved by mul: its backward must refuse, not use the new values
    with pytest.raises(RuntimeError, match=r"in place|in-place"):
        y.backward()
    with pytest.raises(TypeError, match=r"normal_: fills a floating-point tensor, got int64"):
        torch.zeros(3, dtype=torch.int64).normal_()
    with pytest.raises(ValueError, match=r"normal_: std must be >= 0, got -1.0"):
        torch.zeros(3).normal_(0, -1)
    with pytest.raises(ValueError, match=r"uniform_: expects a <= b \(the interval \[a, b\)\), got a=1.0, b=0.0"):
        torch.zeros(3).uniform_(1, 0)
    with pytest.raises(TypeError, match=r"normal_: mean must be a finite number, got nan"):
        torch.zeros(3).normal_(float("nan"))
    with pytest.raises(TypeError, match=r"normal_: generator must be an ag\.Generator"):
        torch.zeros(3).normal_(generator=np.random.default_rng(0))
