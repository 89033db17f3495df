"""Zero to Hero, makemore part 5: building a WaveNet, ported step by step (see test_zero_to_hero_ports.py):
the lecture's torch.nn-like layers (Linear, BatchNorm1d, Tanh, Embedding, FlattenConsecutive, Sequential) as
it writes them, matmul over extra batch dimensions, the hierarchical fusion of consecutive characters
(8 -> 4 -> 2 -> 1), the BatchNorm1d bug on 3-d inputs and its fix (statistics over dims (0, 1)), the loss
curve averaged with ``torch.tensor(lossi).view(-1, k).mean(1)``, training, eval mode and sampling; and the
GPT lecture's LayerNorm1d, the same BatchNorm1d over dim 1 (test_zero_to_hero_gpt.py has the rest). Where torch
is installed the same layer code, given the same weights, gives torch's logits, loss and gradients.

Spellings that differ: Linear's ``self.out += self.bias`` is ``self.out = self.out + self.bias``: this engine
refuses an in-place op on a tensor recorded in a graph (torch allows it where the op's backward does not read
the overwritten value; see test_zero_to_hero_makemore.py), and the sizes are small (300 steps, not 200,000),
on the made-up names of zero_to_hero_helpers.py. The layers are written once in ``lecture_layers(torch)``
so either library runs them.
"""

import math
import types

import numpy as np
import pytest
from zero_to_hero_helpers import splits as shared_splits

import autograd_core as ag
import nn
import nn.functional as F

torch = ag  # the lectures' own spelling, kept so each step reads as the lecture does
block_size = 8  # context length: how many characters do we take to predict the next one?
vocab_size = 27


def splits():
    """The makemore splits (zero_to_hero_helpers.splits) with this lecture's context of 8: train and dev."""
    stoi, itos, train, dev, _ = shared_splits(block_size)
    return stoi, itos, train, dev


def lecture_layers(torch):
    """The lecture's layers, written once and run with either library."""

    class Linear:
        def __init__(self, fan_in, fan_out, bias=True):
            self.weight = torch.randn((fan_in, fan_out)) / fan_in**0.5  # note: kaiming init
            self.bias = torch.zeros(fan_out) if bias else None

        def __call__(self, x):
            self.out = x @ self.weight
            if self.bias is not None:
                self.out = self.out + self.bias  # the lecture's `self.out += self.bias` (see the docstring)
            return self.out

        def parameters(self):
            return [self.weight] + ([] if self.bias is None else [self.bias])

    class BatchNorm1d:
        def __init__(self, dim, eps=1e-5, momentum=0.1, dims_3d=(0, 1)):
            self.eps = eps
            self.momentum = momentum
            self.training = True
            self.dims_3d = dims_3d  # the lecture's bug first (0), then its fix ((0, 1))
            # parameters (trained with backprop)
            self.gamma = torch.ones(dim)
            self.beta = torch.zeros(dim)
            # buffers (trained with a running 'momentum update')
            self.running_mean = torch.zeros(dim)
            self.running_var = torch.ones(dim)

        def __call__(self, x):
            # calculate the forward pass
            if self.training:
                if x.ndim == 2:
                    dim = 0
                elif x.ndim == 3:
                    dim = self.dims_3d
                xmean = x.mean(dim, keepdim=True)  # batch mean
                xvar = x.var(dim, keepdim=True)  # batch variance
            else:
                xmean = self.running_mean
                xvar = self.running_var
            xhat = (x - xmean) / torch.sqrt(xvar + self.eps)  # normalize to unit variance
            self.out = self.gamma * xhat + self.beta
            # update the buffers
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

    class Embedding:
        def __init__(self, num_embeddings, embedding_dim):
            self.weight = torch.randn((num_embeddings, embedding_dim))

        def __call__(self, IX):
            self.out = self.weight[IX]
            return self.out

        def parameters(self):
            return [self.weight]

    class FlattenConsecutive:
        def __init__(self, n):
            self.n = n

        def __call__(self, x):
            B, T, C = x.shape
            x = x.view(B, T // self.n, C * self.n)
            if x.shape[1] == 1:
                x = x.squeeze(1)
            self.out = x
            return self.out

        def parameters(self):
            return []

    class Sequential:
        def __init__(self, layers):
            self.layers = layers

        def __call__(self, x):
            for layer in self.layers:
                x = layer(x)
            self.out = x
            return self.out

        def parameters(self):
            # get parameters of all layers and stretch them out into one list
            return [p for layer in self.layers for p in layer.parameters()]

    def wavenet(n_embd, n_hidden, dims_3d=(0, 1)):
        """The hierarchical network: two characters fused at a time, 8 -> 4 -> 2 -> 1."""
        model = Sequential(
            [
                Embedding(vocab_size, n_embd),
                FlattenConsecutive(2),
                Linear(n_embd * 2, n_hidden, bias=False),
                BatchNorm1d(n_hidden, dims_3d=dims_3d),
                Tanh(),
                FlattenConsecutive(2),
                Linear(n_hidden * 2, n_hidden, bias=False),
                BatchNorm1d(n_hidden, dims_3d=dims_3d),
                Tanh(),
                FlattenConsecutive(2),
                Linear(n_hidden * 2, n_hidden, bias=False),
                BatchNorm1d(n_hidden, dims_3d=dims_3d),
                Tanh(),
                Linear(n_hidden, vocab_size),
            ]
        )
        with torch.no_grad():
            model.layers[-1].weight *= 0.1  # last layer make less confident
        return model

    return types.SimpleNamespace(
        Linear=Linear, BatchNorm1d=BatchNorm1d, Tanh=Tanh, Embedding=Embedding,
        FlattenConsecutive=FlattenConsecutive, Sequential=Sequential, wavenet=wavenet,
    )  # fmt: skip


lecture = lecture_layers(torch)


def test_the_dataset_with_a_context_of_eight_and_the_lectures_parameter_counts():
    _, itos, (Xtr, Ytr), _ = splits()
    assert Xtr.shape == (Ytr.shape[0], 8) and Xtr.dtype == torch.long
    for x, y in zip(Xtr[:20], Ytr[:20]):  # the lecture prints ........ --> y, .......y --> u, ...
        context = "".join(itos[ix.item()] for ix in x)
        assert len(context) == 8 and (context[-1] != "." or y.item() != 0)
    torch.manual_seed(42)  # seed rng for reproducibility
    for (n_embd, n_hidden), count in (((10, 68), 22397), ((24, 128), 76579)):  # the lecture's two networks
        parameters = lecture.wavenet(n_embd, n_hidden).parameters()
        assert sum(p.nelement() for p in parameters) == count


def test_matmul_over_extra_batch_dimensions_and_flattening_consecutive_characters():
    torch.manual_seed(42)
    assert (torch.randn(4, 80) @ torch.randn(80, 200) + torch.randn(200)).shape == (4, 200)
    assert (torch.randn(4, 5, 80) @ torch.randn(80, 200) + torch.randn(200)).shape == (4, 5, 200)
    assert (torch.randn(4, 4, 20) @ torch.randn(20, 200) + torch.randn(200)).shape == (4, 4, 200)  # pairs fused
    e = torch.randn(4, 8, 10)  # goal: want this to be (4, 4, 20) where consecutive 10-d vectors get concatenated
    explicit = torch.cat([e[:, ::2, :], e[:, 1::2, :]], dim=2)
    assert explicit.shape == (4, 4, 20) and (e.view(4, 4, 20) == explicit).all().item()

    _, _, (Xtr, _), _ = splits()
    model = lecture.wavenet(10, 68)
    ix = torch.randint(0, Xtr.shape[0], (4,))  # let's look at a batch of just 4 examples
    Xb = Xtr[ix]
    logits = model(Xb)
    assert Xb.shape == (4, 8) and logits.shape == (4, 27)
    shapes = [(layer.__class__.__name__, tuple(layer.out.shape)) for layer in model.layers]
    assert shapes == [  # the lecture's printout, layer by layer
        ("Embedding", (4, 8, 10)),
        ("FlattenConsecutive", (4, 4, 20)), ("Linear", (4, 4, 68)), ("BatchNorm1d", (4, 4, 68)), ("Tanh", (4, 4, 68)),
        ("FlattenConsecutive", (4, 2, 136)), ("Linear", (4, 2, 68)), ("BatchNorm1d", (4, 2, 68)), ("Tanh", (4, 2, 68)),
        ("FlattenConsecutive", (4, 136)), ("Linear", (4, 68)), ("BatchNorm1d", (4, 68)), ("Tanh", (4, 68)),
        ("Linear", (4, 27)),
    ]  # fmt: skip
    # each output reads all 8 characters, through a tree: the first fused pair sees characters 0 and 1 only
    first_pair = model.layers[4].out[:, 0]
    changed = Xb.clone()
    changed[:, 2:] = (changed[:, 2:] + 1) % 27
    model(changed)
    assert (model.layers[4].out[:, 0] != first_pair).any().item()  # batch statistics mix the batch (training)
    for layer in model.layers:
        layer.training = False
    before = model(Xb)
    after_pair = model.layers[4].out[:, 0]
    model(changed)
    assert (model.layers[4].out[:, 0] == after_pair).all().item()  # in eval mode: a pair sees its own two
    assert (model(changed) - before).abs().max().item() > 1e-6


def test_batchnorm1d_over_3d_inputs_the_lectures_bug_and_its_fix():
    torch.manual_seed(42)
    x = torch.randn(32, 4, 68)
    buggy = lecture.BatchNorm1d(68, dims_3d=0)
    fixed = lecture.BatchNorm1d(68)
    buggy(x)
    fixed(x)
    # the bug: statistics per position as well as per channel, (1, 4, 68) running buffers for 68 channels
    assert buggy.running_mean.shape == (1, 4, 68) and fixed.running_mean.shape == (1, 1, 68)
    emean = x.mean((0, 1), keepdim=True)  # 1, 1, 68
    evar = x.var((0, 1), keepdim=True)  # 1, 1, 68
    assert emean.shape == evar.shape == (1, 1, 68)
    # the fix treats the 4 positions as more examples: the same as normalizing the flattened (128, 68) batch
    flat = lecture.BatchNorm1d(68)
    np.testing.assert_allclose(fixed.out.numpy(), flat(x.view(-1, 68)).view(32, 4, 68).numpy(), rtol=1e-13)
    np.testing.assert_allclose(fixed.running_var.numpy(), flat.running_var.view(1, 1, 68).numpy(), rtol=1e-14)
    out = fixed.out.view(-1, 68)
    assert out.mean(0).abs().max().item() < 1e-12 and (out.var(0) - 1).abs().max().item() < 1e-4


def test_the_wavenet_trains_evaluates_and_samples_names():
    stoi, itos, (Xtr, Ytr), (Xdev, Ydev) = splits()
    torch.manual_seed(42)
    model = lecture.wavenet(10, 68)
    parameters = model.parameters()
    for p in parameters:
        p.requires_grad = True
    max_steps, batch_size = 400, 32  # the lecture's 200,000 steps
    lossi = []
    for i in range(max_steps):
        # minibatch construct
        ix = torch.randint(0, Xtr.shape[0], (batch_size,))
        Xb, Yb = Xtr[ix], Ytr[ix]  # batch X,Y
        # forward pass
        logits = model(Xb)
        loss = F.cross_entropy(logits, Yb)  # loss function
        # backward pass
        for p in parameters:
            p.grad = None
        loss.backward()
        # update: simple SGD
        lr = 0.1 if i < 300 else 0.01  # step learning rate decay
        for p in parameters:
            p.data += -lr * p.grad
        lossi.append(loss.log10().item())
    # the lecture's smoother loss plot: the mean of each run of consecutive steps
    curve = torch.tensor(lossi).view(-1, 50).mean(1)
    assert curve.shape == (8,) and curve[-1].item() < curve[0].item() - 0.1 and curve[:4].argmin().item() >= 2
    assert lossi[0] == pytest.approx(math.log10(math.log(27)), abs=0.03)  # the last layer's 0.1: a fair start

    for layer in model.layers:  # put layers into eval mode (needed for batchnorm especially)
        layer.training = False

    @torch.no_grad()  # this decorator disables gradient tracking inside pytorch
    def split_loss(x, y):
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        return loss.item()

    train, val = split_loss(Xtr, Ytr), split_loss(Xdev, Ydev)  # measured 2.07 and 2.27 (the lecture's 1.77 / 1.99)
    assert train < 2.4 and val < 2.5 < math.log(27) and model.layers[-1].out.grad_fn is None

    g = torch.Generator().manual_seed(2147483647 + 10)
    names = []
    for _ in range(20):  # sample from the model
        out = []
        context = [0] * block_size  # initialize with all ...
        while True:
            # forward pass the neural net
            logits = model(torch.tensor([context]))
            probs = F.softmax(logits, dim=1)
            # sample from the distribution
            ix = torch.multinomial(probs, num_samples=1, generator=g).item()
            # shift the context window and track the samples
            context = context[1:] + [ix]
            out.append(ix)
            # if we sample the special '.' token, break
            if ix == 0:
                break
        names.append("".join(itos[i] for i in out))
    assert all(name.endswith(".") and set(name) <= set(stoi) for name in names)
    assert len(set(names)) > 15 and 3 < np.mean([len(name) for name in names]) < 12


def test_the_wavenet_gives_torchs_logits_loss_and_gradients():
    real = pytest.importorskip("torch")
    _, _, (Xtr, Ytr), _ = splits()
    torch.manual_seed(42)
    ours = lecture.wavenet(10, 68)
    theirs = lecture_layers(real).wavenet(10, 68)
    for p, q in zip(ours.parameters(), theirs.parameters()):
        q.data = real.from_numpy(p.numpy().copy())
    for a, b in zip(ours.layers, theirs.layers):  # torch's buffers too in float64, not its default float32
        if isinstance(a, lecture.BatchNorm1d):
            b.running_mean, b.running_var = (
                real.from_numpy(a.running_mean.numpy()),
                real.from_numpy(a.running_var.numpy()),
            )
    tparameters = theirs.parameters()
    for p, q in zip(ours.parameters(), tparameters):
        p.requires_grad = True
        q.requires_grad = True
    Xb, Yb = Xtr[:32], Ytr[:32]
    loss = F.cross_entropy(ours(Xb), Yb)
    tloss = real.nn.functional.cross_entropy(theirs(real.from_numpy(Xb.numpy())), real.from_numpy(Yb.numpy()))
    loss.backward()
    tloss.backward()
    np.testing.assert_allclose(ours.out.detach().numpy(), theirs.out.detach().numpy(), rtol=1e-12, atol=1e-14)
    assert loss.item() == pytest.approx(tloss.item(), rel=1e-13)
    for p, q in zip(ours.parameters(), tparameters):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-9, atol=1e-14)
    for a, b in zip(ours.layers, theirs.layers):  # and the running statistics the momentum update keeps
        if isinstance(a, lecture.BatchNorm1d):
            np.testing.assert_allclose(a.running_var.numpy(), b.running_var.numpy(), rtol=1e-13)


# ---------------------------------------------------------------- the GPT lecture turns BatchNorm1d into LayerNorm1d
class LayerNorm1d:  # (used to be BatchNorm1d)
    def __init__(self, dim, eps=1e-5, momentum=0.1):
        self.eps = eps
        self.gamma = torch.ones(dim)
        self.beta = torch.zeros(dim)

    def __call__(self, x):
        # calculate the forward pass
        xmean = x.mean(1, keepdim=True)  # batch mean
        xvar = x.var(1, keepdim=True)  # batch variance
        xhat = (x - xmean) / torch.sqrt(xvar + self.eps)  # normalize to unit variance
        self.out = self.gamma * xhat + self.beta
        return self.out

    def parameters(self):
        return [self.gamma, self.beta]


def test_layernorm_normalizes_each_example_not_each_feature():
    torch.manual_seed(1337)
    module = LayerNorm1d(100)
    x = torch.randn(32, 100)
    x = module(x)
    assert x.shape == (32, 100)
    assert abs(x[:, 0].mean().item()) > 1e-3 and abs(x[:, 0].std().item() - 1) > 1e-3  # a feature: not normalized
    assert abs(x[0, :].mean().item()) < 1e-12 and x[0, :].std().item() == pytest.approx(1, abs=1e-4)  # an example
    # nn.LayerNorm divides by the biased variance (as torch's): the same up to sqrt(n / (n - 1)) at a tiny eps
    module.eps = 1e-300
    expected = nn.LayerNorm(100, eps=1e-300)(x).numpy()
    np.testing.assert_allclose(module(x).numpy() * (100 / 99) ** 0.5, expected, rtol=1e-12, atol=1e-14)
