"""fast.ai's course22p2 ("from the foundations"), notebook 03_backprop ported step by step (see
``test_fastai_ports.py`` for the conventions; ``autograd_core as ag`` for ``torch``, the digits for MNIST).

The MLP forward (``lin``, ``relu`` as ``clamp_min``, ``mse``; the (N, N) broadcast trap of ``res - y``), the
hand-derived backward (``lin_grad``, relu's mask, mse's gradient, stored in ``.g``) as the oracle that the
engine's ``.backward()`` must equal, and torch's (by hand and by autograd) where installed; the refactors into
``Relu``/``Lin``/``Mse`` classes with ``__call__`` and ``backward``, then on a ``Module`` base with
``forward``/``bwd``, then ``nn.Module`` with autograd. The notebook's 50,000-row ``lin_grad`` broadcast is
(50000, 784, 50); here 300 rows make it (300, 64, 50).

Where the notebook's spelling differs here: none in these steps (``t.g = ...`` on a Tensor, ``clamp_min``,
``.t()``, ``squeeze``/``unsqueeze(-1)``, ``clone().requires_grad_(True)`` run as written); the notebook's
``Relu``, ``Lin`` and ``Mse`` redefined on ``Module`` are named ``ModRelu``, ``ModLin``, ``ModMse`` to keep both.
"""

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F

torch = ag  # the notebook's own spelling, kept so each step reads as the notebook does


def _digits():
    """The notebook's x_train, y_train, x_valid, y_valid: the digits' first 1,500 rows and the other 297."""
    X, y = nn.datasets.load_digits()
    X = X / 16.0
    return X[:1500], y[:1500], X[1500:], y[1500:]


# ---------------------------------------------------------------- 03_backprop: the forward pass
def lin(x, w, b):
    return x @ w + b


def relu(x):
    return x.clamp_min(0.0)


def mse(output, targ):
    return (output[:, 0] - targ).pow(2).mean()


def _weights(lib, m, nh, seed=0):
    """The notebook's w1 = torch.randn(m, nh), b1 = zeros(nh), w2 = randn(nh, 1), b2 = zeros(1), from one seed."""
    rng = np.random.default_rng(seed)
    w1, w2 = rng.standard_normal((m, nh)), rng.standard_normal((nh, 1))
    return [lib.tensor(v, dtype=lib.float64) for v in (w1, np.zeros(nh), w2, np.zeros(1))]


def test_03_forward_lin_relu_mse_and_the_broadcast_trap():
    x_train, y_train, x_valid, y_valid = map(torch.tensor, _digits())
    n, m = x_train.shape
    c = y_train.max() + 1
    assert (n, m, c.item()) == (1500, 64, 10)
    w1, b1, w2, b2 = _weights(ag, m, 50)

    def model(xb):
        l1 = lin(xb, w1, b1)
        l2 = relu(l1)
        return lin(l2, w2, b2)

    t = lin(x_valid, w1, b1)
    assert t.shape == (297, 50) and t.mean().item() == pytest.approx(t.data.mean())
    assert relu(t).min().item() == 0.0 and (relu(t) == t * (t > 0)).all()
    res = model(x_valid)
    assert res.shape == (297, 1)
    assert (res - y_valid).shape == (297, 297)  # the trap: (297, 1) - (297,) broadcasts to every pair
    assert res[:, 0].shape == res.squeeze().shape == (297,)
    y_train, y_valid = y_train.float(), y_valid.float()
    preds = model(x_train)
    want = np.mean((preds.data[:, 0] - y_train.data) ** 2)
    assert mse(preds, y_train).item() == pytest.approx(want, rel=1e-6) and preds.shape == (1500, 1)


# ---------------------------------------------------------------- 03_backprop: gradients by hand, the oracle
def lin_grad(inp, out, w, b):
    # grad of matmul with respect to input
    inp.g = out.g @ w.t()
    w.g = (inp.unsqueeze(-1) * out.g.unsqueeze(1)).sum(0)
    b.g = out.g.sum(0)


def forward_and_backward(inp, targ, w1, b1, w2, b2):
    # forward pass:
    l1 = lin(inp, w1, b1)
    l2 = relu(l1)
    out = lin(l2, w2, b2)
    diff = out[:, 0] - targ
    loss = diff.pow(2).mean()
    # backward pass:
    out.g = 2.0 * diff[:, None] / inp.shape[0]
    lin_grad(l2, out, w2, b2)
    l1.g = (l1 > 0).float() * l2.g
    lin_grad(inp, l1, w1, b1)
    return loss


def _backprop_data(lib, rows=300):
    x_train, y_train, _, _ = _digits()  # the first 300 rows keep (300, 64, 50) of lin_grad's broadcast small
    return lib.tensor(x_train[:rows]), lib.tensor(y_train[:rows], dtype=lib.float64)


def _hand_grads(lib):
    x, y = _backprop_data(lib)
    w1, b1, w2, b2 = chks = _weights(lib, 64, 50)
    loss = forward_and_backward(x, y, w1, b1, w2, b2)
    return loss.item(), [t.g.clone() for t in (*chks, x)]


def _engine_grads(lib, forward):
    """The notebook's check: fresh copies that require grad, the loss by ``forward``, ``.backward()``."""
    x, y = _backprop_data(lib)
    ptgrads = [t.clone().requires_grad_(True) for t in (*_weights(lib, 64, 50), x)]
    w12, b12, w22, b22, xt2 = ptgrads
    loss = forward(xt2, y, w12, b12, w22, b22)
    loss.backward()
    return loss.item(), [_numpy(t.grad) for t in ptgrads]


def _numpy(v):
    return v if isinstance(v, np.ndarray) else (v.data if isinstance(v, ag.Tensor) else v.detach().numpy())


def _forward(inp, targ, w1, b1, w2, b2):
    l1 = lin(inp, w1, b1)
    l2 = relu(l1)
    out = lin(l2, w2, b2)
    return mse(out, targ)


def test_03_hand_derived_gradients_equal_the_engine_s_backward():
    loss, grads = _hand_grads(ag)
    w1g, b1g, w2g, _b2g, ig = grads
    assert w1g.shape == (64, 50) and b1g.shape == (50,) and w2g.shape == (50, 1) and ig.shape == (300, 64)
    engine_loss, engine = _engine_grads(ag, _forward)
    assert engine_loss == loss
    for name, mine, theirs in zip(["w1", "b1", "w2", "b2", "x"], grads, engine):
        np.testing.assert_allclose(theirs, mine.data, rtol=1e-10, atol=1e-12, err_msg=name)
    inp, out_g = ag.randn(5, 4, dtype=ag.float64), ag.randn(5, 3, dtype=ag.float64)
    outer_sum = (inp.unsqueeze(-1) * out_g.unsqueeze(1)).sum(0)  # the notebook's later lin_grad: inp.t() @ out.g
    np.testing.assert_allclose(outer_sum.data, (inp.t() @ out_g).data, rtol=1e-12)
    real = pytest.importorskip("torch")
    torch_loss, torch_hand = _hand_grads(real)
    torch_engine_loss, torch_engine = _engine_grads(real, _forward)
    assert loss == pytest.approx(torch_loss, rel=1e-12) and engine_loss == pytest.approx(torch_engine_loss, rel=1e-12)
    for name, mine, by_hand, by_autograd in zip(["w1", "b1", "w2", "b2", "x"], grads, torch_hand, torch_engine):
        np.testing.assert_allclose(mine.data, by_hand.numpy(), rtol=1e-10, atol=1e-12, err_msg=name)
        np.testing.assert_allclose(mine.data, by_autograd, rtol=1e-10, atol=1e-12, err_msg=name)


# ---------------------------------------------------------------- 03_backprop: refactored into classes
class Relu:
    def __call__(self, inp):
        self.inp = inp
        self.out = inp.clamp_min(0.0)
        return self.out

    def backward(self):
        self.inp.g = (self.inp > 0).float() * self.out.g


class Lin:
    def __init__(self, w, b):
        self.w, self.b = w, b

    def __call__(self, inp):
        self.inp = inp
        self.out = lin(inp, self.w, self.b)
        return self.out

    def backward(self):
        self.inp.g = self.out.g @ self.w.t()
        self.w.g = self.inp.t() @ self.out.g
        self.b.g = self.out.g.sum(0)


class Mse:
    def __call__(self, inp, targ):
        self.inp, self.targ = inp, targ
        self.out = mse(inp, targ)
        return self.out

    def backward(self):
        self.inp.g = 2.0 * (self.inp.squeeze() - self.targ).unsqueeze(-1) / self.targ.shape[0]


class Model:
    def __init__(self, w1, b1, w2, b2):
        self.layers = [Lin(w1, b1), Relu(), Lin(w2, b2)]
        self.loss = Mse()

    def __call__(self, x, targ):
        for layer in self.layers:
            x = layer(x)
        return self.loss(x, targ)

    def backward(self):
        self.loss.backward()
        for layer in reversed(self.layers):
            layer.backward()


class Module:
    """The notebook's base: ``__call__`` keeps the arguments and the output for ``backward``."""

    def __call__(self, *args):
        self.args = args
        self.out = self.forward(*args)
        return self.out

    def forward(self):
        raise Exception("not implemented")

    def backward(self):
        self.bwd(self.out, *self.args)

    def bwd(self):
        raise Exception("not implemented")


class ModRelu(Module):  # the notebook redefines Relu, Lin and Mse on Module; renamed here to keep both
    def forward(self, inp):
        return inp.clamp_min(0.0)

    def bwd(self, out, inp):
        inp.g = (inp > 0).float() * out.g


class ModLin(Module):
    def __init__(self, w, b):
        self.w, self.b = w, b

    def forward(self, inp):
        return inp @ self.w + self.b

    def bwd(self, out, inp):
        inp.g = self.out.g @ self.w.t()
        self.w.g = inp.t() @ self.out.g
        self.b.g = self.out.g.sum(0)


class ModMse(Module):
    def forward(self, inp, targ):
        return (inp.squeeze() - targ).pow(2).mean()

    def bwd(self, out, inp, targ):
        inp.g = 2 * (inp.squeeze() - targ).unsqueeze(-1) / targ.shape[0]


def _refactored_grads(lib, layers_and_loss):
    x, y = _backprop_data(lib)
    w1, b1, w2, b2 = params = _weights(lib, 64, 50)
    model = Model(w1, b1, w2, b2)
    if layers_and_loss is not None:
        model.layers, model.loss = [ModLin(w1, b1), ModRelu(), ModLin(w2, b2)], ModMse()
    loss = model(x, y)
    model.backward()
    return loss.item(), [t.g for t in (*params, x)]


@pytest.mark.parametrize("classes", ["Relu/Lin/Mse", "Module subclasses"])
def test_03_layer_classes_with_call_and_backward_give_the_oracle_s_gradients(classes):
    oracle_loss, oracle = _hand_grads(ag)
    loss, grads = _refactored_grads(ag, None if classes == "Relu/Lin/Mse" else "module")
    assert loss == pytest.approx(oracle_loss, rel=1e-14)
    for name, got, want in zip(["w1", "b1", "w2", "b2", "x"], grads, oracle):
        np.testing.assert_allclose(got.data, want.data, rtol=1e-10, atol=1e-12, err_msg=name)
    with pytest.raises(Exception, match="not implemented"):
        Module()()


# ---------------------------------------------------------------- 03_backprop: nn.Module and autograd
class Linear(nn.Module):
    def __init__(self, n_in, n_out, w=None, b=None):
        super().__init__()
        self.w = (torch.randn(n_in, n_out) if w is None else w).requires_grad_()
        self.b = (torch.zeros(n_out) if b is None else b).requires_grad_()

    def forward(self, inp):
        return inp @ self.w + self.b


class AutogradModel(nn.Module):
    def __init__(self, n_in, nh, n_out, weights=None):
        super().__init__()
        w1, b1, w2, b2 = weights or (None,) * 4
        self.layers = [Linear(n_in, nh, w1, b1), nn.ReLU(), Linear(nh, n_out, w2, b2)]

    def __call__(self, x, targ):
        for layer in self.layers:
            x = layer(x)
        return F.mse_loss(x, targ[:, None])


def test_03_nn_module_with_autograd_gives_the_oracle_s_gradients():
    model = AutogradModel(64, 50, 1)  # the notebook's own init: torch.randn
    assert model.layers[0].w.shape == (64, 50) and model.layers[0].w.requires_grad
    x, y = _backprop_data(ag)
    model = AutogradModel(64, 50, 1, _weights(ag, 64, 50))
    loss = model(x, y)
    loss.backward()
    l0 = model.layers[0]
    oracle_loss, (w1g, b1g, w2g, b2g, _) = _hand_grads(ag)
    assert loss.item() == pytest.approx(oracle_loss, rel=1e-14)
    for got, want in zip([l0.w.grad, l0.b.grad, model.layers[2].w.grad, model.layers[2].b.grad], [w1g, b1g, w2g, b2g]):
        np.testing.assert_allclose(got, want.data, rtol=1e-10, atol=1e-12)
