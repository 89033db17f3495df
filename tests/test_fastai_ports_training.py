"""fast.ai's course22p2 ("from the foundations"), notebook 04_minibatch_training ported step by step (see
``test_fastai_ports.py`` for the conventions; ``autograd_core as ag`` for ``torch``, ``nn`` for ``torch.nn``,
``nn.optim`` for ``torch.optim``, ``nn.data`` for ``torch.utils.data``; the digits for MNIST).

The model's ``log_softmax`` written three ways (softmax then log, ``x - log sum exp x``, the max-shifted
``logsumexp``) and ``x.logsumexp``, ``nll`` by fancy indexing, equal to ``F.nll_loss``/``F.cross_entropy`` and
to torch's values and gradients; ``accuracy``; the basic training loop with updates by hand under ``no_grad``;
``named_children``/``parameters()``, a module registry by hand (``__setattr__``), ``add_module`` with
``reduce``, ``nn.ModuleList``, ``nn.Sequential``; an ``Optimizer`` by hand equal to ``optim.SGD`` and to
torch's. The Dataset, DataLoader and samplers half is in ``test_fastai_ports_data.py``.

Where the notebook's spelling differs here: ``.grad`` is a numpy array, so ``l.weight.grad.zero_()`` and
``p.grad.data.zero_()`` are ``.fill(0)``; the notebook's models all draw their own weights, here the ones
compared start from the same.
"""

from functools import reduce

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from nn import optim

torch = ag  # the notebook's own spelling, kept so each step reads as the notebook does
m, nh, bs, lr = 64, 50, 50, 0.5  # the notebook: 784 pixels, 50 hidden, batches of 50, lr 0.5


def _digits(lib=ag):
    """x_train, y_train, x_valid, y_valid: 1,500 and 297 rows of the digits, shuffled once (the file's last
    rows come from other writers than its first)."""
    X, y = nn.datasets.load_digits()
    order = np.random.default_rng(0).permutation(len(X))
    X, y = X[order] / 16.0, y[order]
    return lib.tensor(X[:1500]), lib.tensor(y[:1500]), lib.tensor(X[1500:]), lib.tensor(y[1500:])


x_train, y_train, x_valid, y_valid = _digits()
n = x_train.shape[0]


# ---------------------------------------------------------------- log_softmax, nll, cross entropy
class Model(nn.Module):
    def __init__(self, n_in, nh, n_out):
        super().__init__()
        self.layers = [nn.Linear(n_in, nh), nn.ReLU(), nn.Linear(nh, n_out)]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


def log_softmax_naive(x):
    return (x.exp() / (x.exp().sum(-1, keepdim=True))).log()


def log_softmax_log_of_sum(x):
    return x - x.exp().sum(-1, keepdim=True).log()


def logsumexp(x):
    m = x.max(-1)[0]  # the notebook's: torch's (values, indices) pair, here too
    return m + (x - m[:, None]).exp().sum(-1).log()


def log_softmax(x):
    return x - x.logsumexp(-1, keepdim=True)


def nll(input, target):
    return -input[range(target.shape[0]), target].mean()


def accuracy(out, yb):
    return (out.argmax(dim=1) == yb).float().mean()


def _losses_and_grads(lib, logits0, y0):
    """Each way's loss and its gradient with respect to the logits."""
    out, F_ = {}, (F if lib is ag else lib.nn.functional)
    for name, fn in [
        ("naive", lambda x, y: nll(log_softmax_naive(x), y)),
        ("log of sum", lambda x, y: nll(log_softmax_log_of_sum(x), y)),
        ("logsumexp fn", lambda x, y: nll(x - logsumexp(x)[:, None], y)),
        ("logsumexp", lambda x, y: nll(log_softmax(x), y)),
        ("F.nll_loss", lambda x, y: F_.nll_loss(F_.log_softmax(x, -1), y)),
        ("F.cross_entropy", lambda x, y: F_.cross_entropy(x, y)),
    ]:
        x = lib.tensor(logits0, requires_grad=True)
        loss = fn(x, lib.tensor(y0))
        loss.backward()
        out[name] = (loss.item(), np.asarray(x.grad if lib is ag else x.grad.numpy()))
    return out


def test_04_log_softmax_three_ways_nll_by_indexing_and_cross_entropy_agree():
    model = Model(m, nh, 10)
    pred = model(x_train)
    assert pred.shape == (1500, 10)
    np.testing.assert_allclose(logsumexp(pred).data, pred.logsumexp(-1).data, rtol=1e-12)
    sm_pred = log_softmax(pred)
    picks = [sm_pred[0, y_train[0]], sm_pred[1, y_train[1]], sm_pred[2, y_train[2]]]
    assert sm_pred[[0, 1, 2], y_train[:3]].tolist() == [p.item() for p in picks]
    loss = nll(sm_pred, y_train)
    np.testing.assert_allclose(F.nll_loss(F.log_softmax(pred, -1), y_train).item(), loss.item(), rtol=1e-12)
    np.testing.assert_allclose(F.cross_entropy(pred, y_train).item(), loss.item(), rtol=1e-12)
    assert 0.0 <= accuracy(pred, y_train).item() <= 1.0
    logits = np.random.default_rng(0).normal(0, 3, (8, 10))
    y = np.arange(8) % 10
    ours = _losses_and_grads(ag, logits, y)
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)  # the closed form: mean of -log p_y, gradient (softmax - onehot) / N
    for name, (value, grad) in ours.items():
        assert value == pytest.approx(-np.log(p[range(8), y]).mean(), rel=1e-12), name
        np.testing.assert_allclose(grad, (p - np.eye(10)[y]) / 8, rtol=1e-10, atol=1e-15, err_msg=name)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # why logsumexp: e^1000 overflows
        assert np.isnan(log_softmax_naive(ag.tensor([[1000.0, 0.0]])).data).any()
    assert log_softmax(ag.tensor([[1000.0, 0.0]])).tolist() == [[0.0, -1000.0]]
    real = pytest.importorskip("torch")
    for name, (value, grad) in _losses_and_grads(real, logits, y).items():
        assert ours[name][0] == pytest.approx(value, rel=1e-12), name
        np.testing.assert_allclose(ours[name][1], grad, rtol=1e-10, atol=1e-15, err_msg=name)


# ---------------------------------------------------------------- the basic training loop
def _same_start(model, seed=0, lib=ag):
    """Every model of a test from the same weights (the notebook's runs each draw their own)."""
    rng = np.random.default_rng(seed)
    with lib.no_grad():
        for p in model.parameters():
            p.copy_(lib.tensor(rng.uniform(-0.1, 0.1, tuple(p.shape)), dtype=p.dtype))
    return model


def test_04_basic_training_loop_with_updates_by_hand():
    loss_func = F.cross_entropy
    model = Model(m, nh, 10)
    _same_start(nn.Sequential(*model.layers))
    xb, yb = x_train[0:bs], y_train[0:bs]
    preds = model(xb)
    assert preds.shape == (bs, 10) and preds.argmax(dim=1).shape == (bs,)
    first = loss_func(preds, yb).item()
    assert first == pytest.approx(np.log(10), abs=0.1)  # small weights: about chance
    for _epoch in range(5):
        for i in range(0, n, bs):
            s = slice(i, min(n, i + bs))
            xb, yb = x_train[s], y_train[s]
            preds = model(xb)
            loss = loss_func(preds, yb)
            loss.backward()
            with torch.no_grad():
                for layer in model.layers:
                    if hasattr(layer, "weight"):
                        layer.weight -= layer.weight.grad * lr
                        layer.bias -= layer.bias.grad * lr
                        layer.weight.grad.fill(0)  # the notebook: l.weight.grad.zero_()
                        layer.bias.grad.fill(0)
    report = f"{loss:.2f}, {accuracy(preds, yb):.2f}"  # the notebook's report(loss, preds, yb)
    assert float(report.split(", ")[0]) < first / 5 and float(report.split(", ")[1]) >= 0.9
    assert accuracy(model(x_valid), y_valid).item() > 0.93


# ---------------------------------------------------------------- parameters, registries, containers
class MLP(nn.Module):
    def __init__(self, n_in, nh, n_out):
        super().__init__()
        self.l1 = nn.Linear(n_in, nh)
        self.l2 = nn.Linear(nh, n_out)
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.l2(self.relu(self.l1(x)))


class MyModule:
    def __init__(self, n_in, nh, n_out):
        self._modules = {}
        self.l1 = nn.Linear(n_in, nh)
        self.l2 = nn.Linear(nh, n_out)

    def __setattr__(self, k, v):
        if not k.startswith("_"):
            self._modules[k] = v
        super().__setattr__(k, v)

    def __repr__(self):
        return f"{self._modules}"

    def parameters(self):
        for layer in self._modules.values():
            yield from layer.parameters()


def fit(model, epochs=5):
    """The notebook's fit(): mini-batches, ``p -= p.grad * lr`` under no_grad, ``model.zero_grad()``."""
    for _epoch in range(epochs):
        for i in range(0, n, bs):
            s = slice(i, min(n, i + bs))
            loss = F.cross_entropy(model(x_train[s]), y_train[s])
            loss.backward()
            with torch.no_grad():
                for p in model.parameters():
                    p -= p.grad * lr
                model.zero_grad()
    return F.cross_entropy(model(x_train), y_train).item(), accuracy(model(x_valid), y_valid).item()


def test_04_named_children_parameters_and_a_module_registry_by_hand():
    torch.manual_seed(0)
    model = MLP(m, nh, 10)
    assert repr(model.l1) == "Linear(in_features=64, out_features=50, bias=True)"
    assert [f"{name}: {layer}" for name, layer in model.named_children()] == [
        "l1: Linear(in_features=64, out_features=50, bias=True)",
        "l2: Linear(in_features=50, out_features=10, bias=True)",
        "relu: ReLU()",
    ]
    assert [p.shape for p in model.parameters()] == [(50, 64), (50,), (10, 50), (10,)]
    loss, acc = fit(model)
    assert loss < 0.25 and acc > 0.93
    mdl = MyModule(m, nh, 10)
    assert repr(mdl).startswith("{'l1': Linear(in_features=64, out_features=50, bias=True), 'l2': ")
    assert [p.shape for p in mdl.parameters()] == [(50, 64), (50,), (10, 50), (10,)]


class RegisteredModel(nn.Module):  # the notebook's second Model: layers registered with add_module
    def __init__(self, layers):
        super().__init__()
        self.layers = layers
        for i, layer in enumerate(self.layers):
            self.add_module(f"layer_{i}", layer)

    def forward(self, x):
        return reduce(lambda val, layer: layer(val), self.layers, x)


class SequentialModel(nn.Module):
    def __init__(self, layers):
        super().__init__()
        self.layers = nn.ModuleList(layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


def test_04_add_module_module_list_and_sequential_train_alike():
    def layers():
        return [nn.Linear(m, nh), nn.ReLU(), nn.Linear(nh, 10)]

    registered, listed, sequential = RegisteredModel(layers()), SequentialModel(layers()), nn.Sequential(*layers())
    assert "(layer_0): Linear(in_features=64, out_features=50, bias=True)" in repr(registered)
    assert "(layers): ModuleList(" in repr(listed) and "(2): Linear(in_features=50" in repr(sequential)
    assert registered(x_train).shape == (1500, 10) and len(list(registered.parameters())) == 4
    results = [fit(_same_start(model)) for model in (registered, listed, sequential)]
    assert results[0] == results[1] == results[2]  # one computation, three spellings
    assert results[0][0] < 0.25 and results[0][1] > 0.93
    for a, b in zip(registered.parameters(), sequential.parameters()):
        np.testing.assert_array_equal(a.data, b.data)


# ---------------------------------------------------------------- optim
class Optimizer:
    def __init__(self, params, lr=0.5):
        self.params, self.lr = list(params), lr

    def step(self):
        with torch.no_grad():
            for p in self.params:
                p -= p.grad * self.lr

    def zero_grad(self):
        for p in self.params:
            p.grad.fill(0)  # the notebook: p.grad.data.zero_()


def _train_with(make_opt, epochs=5, lib=ag):
    tnn = nn if lib is ag else lib.nn
    model = _same_start(tnn.Sequential(tnn.Linear(m, nh), tnn.ReLU(), tnn.Linear(nh, 10)).double(), lib=lib)
    opt = make_opt(model.parameters())
    xs, ys = (x_train, y_train) if lib is ag else (lib.tensor(x_train.data), lib.tensor(y_train.data))
    for _epoch in range(epochs):
        for i in range(0, n, bs):
            xb, yb = xs[i : i + bs], ys[i : i + bs]
            loss = (F if lib is ag else lib.nn.functional).cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            opt.zero_grad()
    return [p.data if lib is ag else p.detach().numpy() for p in model.parameters()], model


def test_04_an_optimizer_by_hand_is_optim_sgd_and_torch_s():
    by_hand, _ = _train_with(Optimizer)
    sgd, model = _train_with(lambda params: optim.SGD(params, lr=lr))
    for a, b in zip(by_hand, sgd):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)
    assert accuracy(model(x_valid), y_valid).item() > 0.93
    real = pytest.importorskip("torch")
    for a, b in zip(sgd, _train_with(lambda params: real.optim.SGD(params, lr=lr), lib=real)[0]):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
