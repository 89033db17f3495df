"""Andrej Karpathy's "Neural Networks: Zero to Hero", ported step by step (``autograd_core as ag`` for
``torch``, ``nn.functional`` for ``torch.nn.functional``), each step asserting the lecture's own outcome;
where torch is installed the same code runs in both and the values and gradients must agree.

1. The spelled-out intro to backpropagation: building micrograd
2. makemore part 1: the bigram model, by counting and as a one-layer network
3. makemore part 2: the MLP of Bengio et al. (2003)
(4 and 5, makemore parts 3 and 4: test_zero_to_hero_makemore.py and test_zero_to_hero_ninja.py; the PyTorch
spellings added for these ports: test_zero_to_hero_spellings.py.) The lectures' names.txt is replaced by
made-up names (zero_to_hero_helpers.py).
"""

import itertools
import math
import random

import numpy as np
import pytest
from zero_to_hero_helpers import block_size, make_words, splits, vocabulary

import autograd_core as ag
import nn.functional as F
import viz

torch = ag  # the lectures' own spelling, kept so each step reads as the lecture does


# ---------------------------------------------------------------- 1. micrograd
def Value(data, label=""):
    """micrograd's ``Value(data, label=...)``: a 0-d tensor that records the ops applied to it."""
    return torch.Tensor(data, requires_grad=True, label=label)


def test_1_derivative_of_a_function_by_its_definition_and_by_backward():
    def f(x):
        return 3 * x**2 - 4 * x + 5

    assert f(3.0) == 20.0
    h = 0.000001
    assert (f(3.0 + h) - f(3.0)) / h == pytest.approx(14.0, abs=1e-4)  # 6x - 4 at x = 3
    assert (f(2 / 3 + h) - f(2 / 3)) / h == pytest.approx(0.0, abs=1e-4)  # the minimum
    x = Value(3.0)
    y = f(x)  # the same Python function, now on a tensor: it records the expression
    y.backward()
    assert y.item() == 20.0 and x.grad == 14.0


def _expression():
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = Value(10.0, label="c")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    f = Value(-2.0, label="f")
    L = d * f
    L.label = "L"
    return a, b, c, d, e, f, L


def test_1_the_lectures_expression_its_gradients_and_the_numerical_check_with_h():
    a, b, c, d, e, f, L = _expression()
    assert L.data == -8.0 and L.op == "mul" and [p.label for p in L.parents] == ["d", "f"]
    for t in (d, e):
        t.retain_grad()  # micrograd keeps every node's grad; here leaves do, others on request
    L.backward()
    grads = {t.label: float(t.grad) for t in (a, b, c, d, e, f)}
    assert grads == {"a": 6.0, "b": -4.0, "c": -2.0, "d": -2.0, "e": -2.0, "f": 4.0}  # the lecture's by hand

    def lol(nudged):  # the lecture's check: nudge one input by h and watch L
        h = 0.0001
        L1 = _expression()[-1].data
        inputs = dict(zip("abcf", (2.0, -3.0, 10.0, -2.0)))
        inputs[nudged] += h
        a, b, c, f = (Value(inputs[k]) for k in "abcf")
        L2 = ((a * b + c) * f).data
        return (L2 - L1) / h

    for name in "abcf":
        assert lol(name) == pytest.approx(grads[name], rel=1e-6)
    before = L.data.item()
    for leaf in (a, b, c, f):  # one step along the gradient raises L
        leaf.data += 0.01 * leaf.grad
    a, b, c, f = (Value(leaf.data.item()) for leaf in (a, b, c, f))
    assert ((a * b + c) * f).data > before


def _neuron(lib, tanh_spelled_out=False):
    """The lecture's neuron, o = tanh(x1 w1 + x2 w2 + b), the same code for lib = torch or ag."""
    x1, x2, w1, w2 = (lib.tensor([v], dtype=lib.double, requires_grad=True) for v in (2.0, 0.0, -3.0, 1.0))
    b = lib.tensor([6.8813735870195432], dtype=lib.double, requires_grad=True)
    n = x1 * w1 + x2 * w2 + b
    if tanh_spelled_out:
        e = (2 * n).exp()
        o = (e - 1) / (e + 1)
    else:
        o = lib.tanh(n)
    o.backward()
    return o, [x1, x2, w1, w2]


def test_1_the_neuron_backward_by_hand_and_with_tanh_spelled_out():
    for spelled_out in (False, True):
        o, (x1, x2, w1, w2) = _neuron(ag, spelled_out)
        assert o.item() == pytest.approx(0.7071, abs=1e-4)  # tanh(0.8814) = 1/sqrt(2)
        do_dn = 1 - o.item() ** 2  # 0.5: the lecture's local derivative of tanh
        expected = [w1.item() * do_dn, w2.item() * do_dn, x1.item() * do_dn, x2.item() * do_dn]
        np.testing.assert_allclose([float(t.grad[0]) for t in (x1, x2, w1, w2)], expected, atol=1e-12)
        assert expected == pytest.approx([-1.5, 0.5, 1.0, 0.0])


def test_1_the_neuron_equals_torch():
    real = pytest.importorskip("torch")
    o, ours = _neuron(ag)
    to, theirs = _neuron(real)
    assert o.item() == pytest.approx(to.data.item(), rel=1e-15)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-14)


def test_1_topological_sort_from_the_public_graph_api_and_the_drawn_graph():
    x1, x2, w1, w2 = Value(2.0, "x1"), Value(0.0, "x2"), Value(-3.0, "w1"), Value(1.0, "w2")
    b = Value(6.8813735870195432, "b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    n = x1w1 + x2w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"

    topo, visited = [], set()

    def build_topo(v):  # the lecture's recursive sort, over t.parents (micrograd's v._prev)
        if v not in visited:
            visited.add(v)
            for child in v.parents:
                build_topo(child)
            topo.append(v)

    build_topo(o)
    assert [t.label for t in ag.walk(o)] == [t.label for t in topo]  # the engine's iterative walk: the same order
    position = {id(t): i for i, t in enumerate(topo)}
    assert all(position[id(p)] < position[id(t)] for t in topo for p in t.parents)
    assert [t.op for t in topo if t.op] == ["mul", "mul", "add", "add", "tanh"]

    viz.backward_all(o)  # every wire's gradient, as micrograd's draw_dot shows them
    assert n.grad == pytest.approx(0.5) and x1w1.grad == pytest.approx(0.5)
    dot = viz.draw_graph(o)  # draw_dot(o): a graphviz.Digraph
    source = dot.source
    for name in ("x1", "w1", "x1*w1", "n", "o", "label=mul", "label=add", "label=tanh", "grad -1.5", "data 0.7071"):
        assert name in source, name


def test_1_a_variable_used_twice_accumulates_its_gradient():
    a = Value(3.0, label="a")
    b = a + a  # the lecture's bug: overwriting instead of accumulating gives 1
    b.backward()
    assert a.grad == 2.0
    a, b = Value(-2.0, "a"), Value(3.0, "b")
    d = a * b
    e = a + b
    f = d * e
    f.backward()
    assert (a.grad, b.grad) == (-3.0, -8.0)
    a = Value(2.0)
    assert (a + 1).item() == 3.0 and (2 * a).item() == 4.0 and (a / Value(4.0)).item() == 0.5 and (a - 1).item() == 1
    assert (a**2).item() == 4.0 and (a.exp() / a.exp()).item() == 1.0


class Neuron:
    def __init__(self, nin):
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(random.uniform(-1, 1))

    def __call__(self, x):
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.tanh()

    def parameters(self):
        return self.w + [self.b]


class Layer:
    def __init__(self, nin, nout):
        self.neurons = [Neuron(nin) for _ in range(nout)]

    def __call__(self, x):
        outs = [n(x) for n in self.neurons]
        return outs[0] if len(outs) == 1 else outs

    def parameters(self):
        return [p for neuron in self.neurons for p in neuron.parameters()]


class MLP:
    def __init__(self, nin, nouts):
        sz = [nin] + nouts
        self.layers = [Layer(sz[i], sz[i + 1]) for i in range(len(nouts))]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]


def test_1_the_lectures_mlp_on_its_four_examples_trained_by_hand_written_sgd():
    random.seed(1337)
    n = MLP(3, [4, 4, 1])
    assert len(n.parameters()) == 41
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]  # desired targets
    losses = []
    for _k in range(50):
        ypred = [n(x) for x in xs]  # forward pass
        loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred))
        for p in n.parameters():  # backward pass
            p.grad = 0.0
        loss.backward()
        for p in n.parameters():  # update
            p.data += -0.05 * p.grad
        losses.append(loss.item())
    assert losses[-1] < 0.05 < losses[0] and all(b <= a + 1e-9 for a, b in itertools.pairwise(losses[5:]))
    assert [math.copysign(1, n(x).item()) for x in xs] == ys


# ---------------------------------------------------------------- 2. makemore part 1: bigrams
def _bigram_counts(words, stoi):
    N = torch.zeros((27, 27), dtype=torch.int32)
    for w in words:
        chs = ["."] + list(w) + ["."]
        for ch1, ch2 in zip(chs, chs[1:]):  # noqa: RUF007 (the lecture's spelling)
            ix1 = stoi[ch1]
            ix2 = stoi[ch2]
            N[ix1, ix2] += 1
    return N


def test_2_bigram_counts_normalised_rows_sampling_and_the_negative_log_likelihood():
    words = make_words()
    chars, stoi, itos = vocabulary(words)
    assert len(chars) == 26 and len(itos) == 27
    b = {}  # the lecture's first count, in a dict
    for w in words:
        chs = ["<S>"] + list(w) + ["<E>"]
        for bigram in zip(chs, chs[1:]):  # noqa: RUF007
            b[bigram] = b.get(bigram, 0) + 1
    N = _bigram_counts(words, stoi)
    assert N.dtype == np.int32 and N.sum().item() == sum(b.values()) == sum(len(w) + 1 for w in words)
    assert N[stoi["q"], stoi["u"]].item() == b[("q", "u")] and N[0, 0].item() == 0

    g = torch.Generator().manual_seed(2147483647)
    p = torch.rand(3, generator=g)
    p = p / p.sum()
    draws = torch.multinomial(p, num_samples=1000, replacement=True, generator=g)
    np.testing.assert_allclose(np.bincount(draws.data, minlength=3) / 1000, p.data, atol=0.05)

    P = (N + 1).float()  # add-one smoothing
    P /= P.sum(1, keepdims=True)  # (27, 27) / (27, 1): each row divided by its own sum
    assert P.dtype == np.float32 and np.allclose(P.sum(1).data, 1.0, atol=1e-6)
    wrong = (N + 1).float() / (N + 1).float().sum(1)  # the lecture's bug: (27,) broadcasts as a row (1, 27)
    assert not np.allclose(wrong.sum(1).data, 1.0)
    np.testing.assert_allclose(wrong.data, (N.data + 1) / (N.data + 1).sum(1)[None, :], rtol=1e-6)

    def sample(seed):
        g = torch.Generator().manual_seed(seed)
        out, ix = [], 0
        while True:
            p = P[ix]
            ix = torch.multinomial(p, num_samples=1, replacement=True, generator=g).item()
            out.append(itos[ix])
            if ix == 0:
                return "".join(out)

    names = [sample(2147483647 + i) for i in range(20)]
    assert names == [sample(2147483647 + i) for i in range(20)]  # the generator's seed fixes the samples
    assert all(s.endswith(".") and set(s[:-1]) <= set(chars) for s in names) and len(set(names)) > 10

    log_likelihood = 0.0
    n = 0
    for w in words:
        chs = ["."] + list(w) + ["."]
        for ch1, ch2 in zip(chs, chs[1:]):  # noqa: RUF007 (the lecture's spelling)
            prob = P[stoi[ch1], stoi[ch2]]
            logprob = torch.log(prob)
            log_likelihood += logprob
            n += 1
    nll = -log_likelihood
    assert n == N.sum().item() and nll.item() / n < math.log(27) - 0.5  # the uniform model's loss is log 27
    uniform = -torch.tensor(1 / 27.0).log()
    assert uniform.item() == pytest.approx(math.log(27))


def _bigram_xs_ys(words, stoi):
    xs, ys = [], []
    for w in words:
        chs = ["."] + list(w) + ["."]
        for ch1, ch2 in zip(chs, chs[1:]):  # noqa: RUF007 (the lecture's spelling)
            xs.append(stoi[ch1])
            ys.append(stoi[ch2])
    return torch.tensor(xs), torch.tensor(ys)


def _neural_bigram_loss(lib, functional, W, xs, ys):
    num = xs.nelement()
    xenc = functional.one_hot(xs, num_classes=27).double()
    logits = xenc @ W  # log-counts
    counts = logits.exp()  # equivalent to N
    probs = counts / counts.sum(1, keepdims=True)  # probabilities for the next character
    return -probs[lib.arange(num), ys].log().mean() + 0.01 * (W**2).mean()


def test_2_the_neural_bigram_learns_the_counts_model_by_gradient_descent():
    words = make_words()
    _, stoi, _ = vocabulary(words)
    xs, ys = _bigram_xs_ys(words, stoi)
    num = xs.nelement()
    N = _bigram_counts(words, stoi)
    P = (N + 1).float().double()
    P /= P.sum(1, keepdims=True)
    counts_nll = -P[xs, ys].log().mean().item()

    xenc = F.one_hot(xs, num_classes=27).float()
    assert xenc.shape == (num, 27) and xenc.dtype == np.float32 and (xenc.sum(1) == 1).all().item()
    g = torch.Generator().manual_seed(2147483647)
    # float32 as torch's default (here float64 is): numpy's float32 @ float64 skips BLAS, 100x slower
    W = torch.randn((27, 27), generator=g, dtype=torch.float, requires_grad=True)
    losses = []
    for _k in range(100):
        xenc = F.one_hot(xs, num_classes=27).float()
        logits = xenc @ W
        counts = logits.exp()
        probs = counts / counts.sum(1, keepdims=True)
        loss = -probs[torch.arange(num), ys].log().mean() + 0.01 * (W**2).mean()
        W.grad = None
        loss.backward()
        W.data += -50 * W.grad
        losses.append(loss.item())
    # the counts model's add-one smoothing weighs more on 300 names than on 32,033: the net ends a little below it
    assert losses[0] > math.log(27) > losses[-1] and abs(losses[-1] - counts_nll) < 0.15

    # W = log(N + 1) is the counts model itself: its softmax rows are P's
    with torch.no_grad():
        logits = F.one_hot(xs, num_classes=27).double() @ torch.log((N + 1).double())
        probs = logits.exp() / logits.exp().sum(1, keepdims=True)
    np.testing.assert_allclose(probs[torch.arange(num), ys].data, P[xs, ys].data, rtol=1e-12)


def test_2_the_neural_bigrams_loss_and_gradient_equal_torch():
    real = pytest.importorskip("torch")
    words = make_words(60)
    _, stoi, _ = vocabulary(make_words())
    xs, ys = _bigram_xs_ys(words, stoi)
    W = torch.randn((27, 27), generator=torch.Generator().manual_seed(1), requires_grad=True)
    tW = real.tensor(W.data, requires_grad=True)
    loss = _neural_bigram_loss(ag, F, W, xs, ys)
    tloss = _neural_bigram_loss(real, real.nn.functional, tW, real.from_numpy(xs.data), real.from_numpy(ys.data))
    loss.backward()
    tloss.backward()
    assert loss.item() == pytest.approx(tloss.item(), rel=1e-13)
    np.testing.assert_allclose(W.grad, tW.grad.numpy(), rtol=1e-10, atol=1e-15)


# ---------------------------------------------------------------- 3. makemore part 2: the MLP
def test_3_embedding_lookup_three_concatenations_and_the_stable_cross_entropy():
    _stoi, _, (X, Y), _, _ = splits()
    assert X.shape == (len(Y), 3) and X.dtype == Y.dtype == np.int64 and (X[0] == 0).all().item()
    g = torch.Generator().manual_seed(2147483647)
    C = torch.randn((27, 2), generator=g)
    assert C[5].tolist() == (F.one_hot(torch.tensor(5), num_classes=27).float() @ C).tolist()  # indexing = one-hot @ C
    emb = C[X]
    assert emb.shape == (len(X), 3, 2) and emb[13, 2].tolist() == C[X[13, 2]].tolist()
    cat = torch.cat([emb[:, 0, :], emb[:, 1, :], emb[:, 2, :]], 1)
    assert cat.tolist() == torch.cat(torch.unbind(emb, 1), 1).tolist() == emb.view(-1, 6).tolist()
    W1 = torch.randn((6, 100), generator=g)
    b1 = torch.randn(100, generator=g)
    h = torch.tanh(emb.view(-1, 6) @ W1 + b1)  # (N, 100) + (100,): b1 broadcasts over the rows
    W2 = torch.randn((100, 27), generator=g)
    b2 = torch.randn(27, generator=g)
    logits = h @ W2 + b2
    counts = logits.exp()
    prob = counts / counts.sum(1, keepdims=True)
    loss = -prob[torch.arange(len(Y)), Y].log().mean()
    assert loss.item() == pytest.approx(F.cross_entropy(logits, Y).item(), rel=1e-12)
    logits = torch.tensor([-100.0, -3.0, 0.0, 100.0])  # the lecture's overflow: exp(1000) / exp(1000) ...
    with pytest.warns(RuntimeWarning, match="overflow"):
        assert math.isnan((logits * 10).exp()[3].item() / (logits * 10).exp().sum().item())
    assert F.cross_entropy((logits * 10).unsqueeze(0), torch.tensor([3])).item() == 0.0  # ... F subtracts the max


def _mlp_step(parameters, X, Y, ix, lr):
    C, W1, b1, W2, b2 = parameters
    emb = C[X[ix]]  # (32, 3, 2)
    h = torch.tanh(emb.view(-1, 6) @ W1 + b1)  # (32, 100)
    logits = h @ W2 + b2  # (32, 27)
    loss = F.cross_entropy(logits, Y[ix])
    for p in parameters:
        p.grad = None
    loss.backward()
    for p in parameters:
        p.data += -lr * p.grad
    return loss


def test_3_learning_rate_search_minibatches_and_a_train_dev_test_split():
    _, itos, (Xtr, Ytr), (Xdev, Ydev), (Xte, Yte) = splits()
    assert len(Xtr) > 6 * len(Xdev) and len(Xdev) > 100 and len(Xte) > 100
    g = torch.Generator().manual_seed(2147483647)
    C = torch.randn((27, 2), generator=g)  # the lecture's first MLP (it then grows to 10-d and 200 units)
    W1 = torch.randn((6, 100), generator=g)
    b1 = torch.randn(100, generator=g)
    W2 = torch.randn((100, 27), generator=g)
    b2 = torch.randn(27, generator=g)
    parameters = [C, W1, b1, W2, b2]
    assert sum(p.nelement() for p in parameters) == 3481  # the lecture's count
    for p in parameters:
        p.requires_grad = True

    lre = torch.linspace(-3, 0, 300)
    lrs = 10**lre  # a tensor exponent: 0.001 ... 1
    assert lrs[0].item() == pytest.approx(1e-3) and lrs[-1].item() == pytest.approx(1.0)
    start = [p.data.copy() for p in parameters]
    lri, lossi = [], []
    for i in range(300):
        ix = torch.randint(0, Xtr.shape[0], (32,), generator=g)  # minibatch construct
        assert ix.shape == (32,) and ix.min().item() >= 0 and ix.max().item() < len(Xtr)
        loss = _mlp_step(parameters, Xtr, Ytr, ix, lrs[i])  # lr = lrs[i], a 0-d tensor
        lri.append(lre[i].item())
        lossi.append(loss.item())
    smoothed = np.convolve(lossi, np.ones(20) / 20, mode="valid")
    best = lri[int(np.argmin(smoothed)) + 10]
    assert -2.5 < best < 0 and min(smoothed) < smoothed[0] - 2  # a good rate lies between 0.003 and 1

    for p, value in zip(parameters, start):  # train at a rate from the search, then decay it
        p.data[...] = value
    for i in range(1500):
        ix = torch.randint(0, Xtr.shape[0], (32,), generator=g)
        _mlp_step(parameters, Xtr, Ytr, ix, 0.1 if i < 1000 else 0.01)

    @torch.no_grad()
    def split_loss(X, Y):
        emb = C[X]
        h = torch.tanh(emb.view(emb.shape[0], -1) @ W1 + b1)
        return F.cross_entropy(h @ W2 + b2, Y).item()

    train, dev = split_loss(Xtr, Ytr), split_loss(Xdev, Ydev)
    assert train < 2.5 and dev < 2.6 and split_loss(Xte, Yte) < 2.6 < math.log(27)  # 3,481 weights: no overfitting

    g = torch.Generator().manual_seed(2147483647 + 10)  # sample from the model
    for _ in range(10):
        out, context = [], [0] * block_size
        while len(out) < 50:
            emb = C[torch.tensor([context])]  # (1, block_size, d)
            h = torch.tanh(emb.view(1, -1) @ W1 + b1)
            probs = F.softmax(h @ W2 + b2, dim=1)
            ix = torch.multinomial(probs, num_samples=1, generator=g).item()
            context = context[1:] + [ix]
            out.append(ix)
            if ix == 0:
                break
        assert out[-1] == 0 and all(itos[i].isalpha() for i in out[:-1])
