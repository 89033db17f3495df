"""Zero to Hero, makemore part 3: activations, gradients and BatchNorm, ported step by step (see
test_zero_to_hero_ports.py): the init's fixes, BatchNorm by hand and the lecture's torch.nn-like layers with
their activation, gradient and update statistics.
"""

import math

import numpy as np
import pytest
from zero_to_hero_helpers import block_size, splits

import autograd_core as ag
import nn.functional as F

torch = ag  # the lectures' own spelling, kept so each step reads as the lecture does


# ---------------------------------------------------------------- 4. makemore part 3: activations, gradients, BatchNorm
vocab_size, n_embd = 27, 10


def test_4_initial_loss_and_tanh_saturation_are_fixed_by_the_init():
    _, _, (Xtr, Ytr), _, _ = splits()
    g = torch.Generator().manual_seed(2147483647)
    Xb, Yb = Xtr[:256], Ytr[:256]
    C = torch.randn((vocab_size, n_embd), generator=g)
    embcat = C[Xb].view(Xb.shape[0], -1)
    W1 = torch.randn((n_embd * block_size, 200), generator=g)
    b1 = torch.randn(200, generator=g)
    W2 = torch.randn((200, vocab_size), generator=g)
    b2 = torch.randn(vocab_size, generator=g)
    expected = -torch.tensor(1 / 27.0).log()  # every character equally likely: 3.2958
    h = torch.tanh(embcat @ W1 + b1)
    naive = F.cross_entropy(h @ W2 + b2, Yb).item()
    fixed = F.cross_entropy(h @ (W2 * 0.01) + b2 * 0, Yb).item()  # near-zero logits at init
    assert naive > 3 * expected.item() and fixed == pytest.approx(expected.item(), abs=0.05)

    naive_saturated = (h.abs() > 0.99).float().mean().item()
    hpreact = embcat @ (W1 * (5 / 3) / ((n_embd * block_size) ** 0.5)) + b1 * 0.01  # Kaiming: gain 5/3 for tanh
    assert hpreact.std().item() == pytest.approx(5 / 3 * C.std().item(), rel=0.15)
    saturated = (torch.tanh(hpreact).abs() > 0.99).float().mean().item()
    assert naive_saturated > 0.6 and saturated < naive_saturated / 4


def test_4_batchnorm_by_hand_with_running_statistics_under_no_grad():
    _, _, (Xtr, Ytr), (Xdev, Ydev), _ = splits()
    n_hidden = 200
    g = torch.Generator().manual_seed(2147483647)
    C = torch.randn((vocab_size, n_embd), generator=g)
    W1 = torch.randn((n_embd * block_size, n_hidden), generator=g) * (5 / 3) / ((n_embd * block_size) ** 0.5)
    W2 = torch.randn((n_hidden, vocab_size), generator=g) * 0.01
    b2 = torch.randn(vocab_size, generator=g) * 0
    bngain = torch.ones((1, n_hidden))
    bnbias = torch.zeros((1, n_hidden))
    bnmean_running = torch.zeros((1, n_hidden))
    bnstd_running = torch.ones((1, n_hidden))
    parameters = [C, W1, W2, b2, bngain, bnbias]
    assert sum(p.nelement() for p in parameters) == 12097  # the lecture's count
    for p in parameters:
        p.requires_grad = True
    lossi = []
    for i in range(500):
        ix = torch.randint(0, Xtr.shape[0], (32,), generator=g)
        Xb, Yb = Xtr[ix], Ytr[ix]
        emb = C[Xb]
        embcat = emb.view(emb.shape[0], -1)
        hpreact = embcat @ W1
        bnmeani = hpreact.mean(0, keepdim=True)
        bnstdi = hpreact.std(0, keepdim=True)
        hpreact = bngain * (hpreact - bnmeani) / bnstdi + bnbias
        with torch.no_grad():
            bnmean_running = 0.999 * bnmean_running + 0.001 * bnmeani
            bnstd_running = 0.999 * bnstd_running + 0.001 * bnstdi
        h = torch.tanh(hpreact)
        logits = h @ W2 + b2
        loss = F.cross_entropy(logits, Yb)
        for p in parameters:
            p.grad = None
        loss.backward()
        lr = 0.1 if i < 400 else 0.01
        for p in parameters:
            p.data += -lr * p.grad
        lossi.append(loss.log10().item())
    assert not bnmean_running.requires_grad and bnmean_running.grad_fn is None  # no_grad kept it out of the graph
    assert np.mean(lossi[-50:]) < np.mean(lossi[:10]) - 0.1 and lossi[0] == pytest.approx(
        math.log10(math.log(27)), abs=0.02
    )

    with torch.no_grad():  # calibrate the batch norm at the end of training
        hpreact = C[Xtr].view(Xtr.shape[0], -1) @ W1
        bnmean = hpreact.mean(0, keepdim=True)
        bnstd = hpreact.std(0, keepdim=True)
    # the running estimate, from 0 and 1, would cover 1 - 0.999**500 = 39% of the way to fixed statistics in 500
    # steps (the lecture's 200,000 go all the way); each step moves towards the statistics of the moment, so it lags
    assert (bnmean_running - bnmean).abs().mean().item() < 0.75 * bnmean.abs().mean().item()
    assert 0.15 < ((bnstd_running - 1) / (bnstd - 1)).mean().item() < 1 - 0.999**500

    @torch.no_grad()
    def split_loss(X, Y, mean, std):
        hpreact = C[X].view(X.shape[0], -1) @ W1
        hpreact = bngain * (hpreact - mean) / std + bnbias
        return F.cross_entropy(torch.tanh(hpreact) @ W2 + b2, Y).item()

    assert split_loss(Xdev, Ydev, bnmean, bnstd) < 2.6 < math.log(27)
    assert split_loss(Xtr, Ytr, bnmean, bnstd) < split_loss(Xtr, Ytr, bnmean_running, bnstd_running) + 0.5


class Linear:
    def __init__(self, fan_in, fan_out, bias=True):
        self.weight = torch.randn((fan_in, fan_out), generator=g) / fan_in**0.5
        self.bias = torch.zeros(fan_out) if bias else None

    def __call__(self, x):
        self.out = x @ self.weight
        if self.bias is not None:
            self.out += self.bias  # refused while recording (see below): torch records an in-place add here
        return self.out

    def parameters(self):
        return [self.weight] + ([] if self.bias is None else [self.bias])


class BatchNorm1d:
    def __init__(self, dim, eps=1e-5, momentum=0.1):
        self.eps = eps
        self.momentum = momentum
        self.training = True
        # parameters (trained with backprop)
        self.gamma = torch.ones(dim)
        self.beta = torch.zeros(dim)
        # buffers (trained with a running 'momentum update')
        self.running_mean = torch.zeros(dim)
        self.running_var = torch.ones(dim)

    def __call__(self, x):
        if self.training:
            xmean = x.mean(0, keepdim=True)  # batch mean
            xvar = x.var(0, keepdim=True)  # batch variance
        else:
            xmean = self.running_mean
            xvar = self.running_var
        xhat = (x - xmean) / torch.sqrt(xvar + self.eps)  # normalize to unit variance
        self.out = self.gamma * xhat + self.beta
        if self.training:
            with torch.no_grad():
                self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * xmean
                self.running_var = (1 - self.momentum) * self.running_var + self.momentum * xvar
        return self.out

    def parameters(self):
        return [self.gamma, self.beta]


class Tanh:
    def __call__(self, x):
        self.out = torch.tanh(x)
        return self.out

    def parameters(self):
        return []


g = torch.Generator().manual_seed(2147483647)  # the lecture's global generator, which Linear draws from


def test_4_layers_written_as_torch_nn_with_activation_gradient_and_update_statistics():
    global g
    _, _, (Xtr, Ytr), _, _ = splits()
    n_hidden = 100
    g = torch.Generator().manual_seed(2147483647)
    C = torch.randn((vocab_size, n_embd), generator=g)
    layers = [Linear(n_embd * block_size, n_hidden, bias=False), BatchNorm1d(n_hidden), Tanh()]
    for _ in range(3):
        layers += [Linear(n_hidden, n_hidden, bias=False), BatchNorm1d(n_hidden), Tanh()]
    layers += [Linear(n_hidden, vocab_size, bias=False), BatchNorm1d(vocab_size)]
    with torch.no_grad():
        layers[-1].gamma *= 0.1  # last layer: make less confident
        for layer in layers[:-1]:
            if isinstance(layer, Linear):
                layer.weight *= 5 / 3  # the tanh gain (BatchNorm makes it matter less)
    parameters = [C] + [p for layer in layers for p in layer.parameters()]
    assert sum(p.nelement() for p in parameters) == 270 + 3000 + 3 * 10000 + 2700 + 2 * (4 * 100 + 27)
    for p in parameters:
        p.requires_grad = True

    lossi, ud = [], []
    for _i in range(300):
        ix = torch.randint(0, Xtr.shape[0], (32,), generator=g)
        Xb, Yb = Xtr[ix], Ytr[ix]
        emb = C[Xb]
        x = emb.view(emb.shape[0], -1)
        for layer in layers:
            x = layer(x)
        loss = F.cross_entropy(x, Yb)
        for layer in layers:
            layer.out.retain_grad()
        for p in parameters:
            p.grad = None
        loss.backward()
        lr = 0.1
        for p in parameters:
            p.data += -lr * p.grad
        lossi.append(loss.log10().item())
        with torch.no_grad():  # .grad and .data are numpy arrays here: their ratio is a numpy number, so torch.log10
            ud.append([torch.log10((lr * p.grad).std() / p.data.std()).item() for p in parameters])
    assert np.mean(lossi[-30:]) < np.mean(lossi[:5]) - 0.1

    tanhs = [layer for layer in layers[:-1] if isinstance(layer, Tanh)]
    for layer in tanhs:  # forward pass activation statistics
        t = layer.out
        line = "mean %+.2f, std %.2f, saturated: %.2f%%" % (t.mean(), t.std(), (t.abs() > 0.97).float().mean() * 100)  # noqa: UP031
        assert abs(t.mean().item()) < 0.1 and 0.55 < t.std().item() < 0.75, line  # the lecture: std ~0.65
        assert (t.abs() > 0.97).float().mean().item() < 0.06, line  # and ~2-3% saturated
        hy, hx = torch.histogram(t, density=True)
        assert hy.shape == (100,) and hx.shape == (101,) and ((hx[1:] - hx[:-1]) * hy).sum().item() == pytest.approx(1)
    grad_stds = [layer.out.grad.std() for layer in tanhs]  # backward pass: every layer's gradients alike
    assert max(grad_stds) < 1.6 * min(grad_stds) and all(np.isfinite(grad_stds))
    hy, hx = torch.histogram(tanhs[0].out.grad, density=True)  # .grad is a numpy array: histogram takes it
    assert ((hx[1:] - hx[:-1]) * hy).sum().item() == pytest.approx(1)
    weights = [i for i, p in enumerate(parameters) if p.ndim == 2]
    late = np.mean(ud[-50:], axis=0)
    assert all(-3.5 < late[i] < -1.8 for i in weights), late  # the lecture's guide: updates ~1e-3 of the data

    # the lecture's Linear with a bias, while recording: torch records the in-place add, this engine refuses it
    layer = Linear(n_embd * block_size, n_hidden)
    layer.weight.requires_grad = True
    with pytest.raises(RuntimeError, match=r"'\+=' on a tensor that is part of a recorded graph.*y = y \+"):
        layer(torch.randn(4, n_embd * block_size))
    with torch.no_grad():
        assert layer(torch.randn(4, n_embd * block_size)).shape == (4, n_hidden)  # outside a graph it adds in place
