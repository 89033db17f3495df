"""Andrej Karpathy's "Neural Networks: Zero to Hero", ported step by step (``autograd_core as ag`` for
``torch``, ``nn.functional`` for ``torch.nn.functional``), each step asserting the lecture's own outcome;
where torch is installed the same code runs in both and the values and gradients must agree.

1. The spelled-out intro to backpropagation: building micrograd
2. makemore part 1: the bigram model, by counting and as a one-layer network
3. makemore part 2: the MLP of Bengio et al. (2003)
4. makemore part 3: activations, gradients and BatchNorm
5. makemore part 4: becoming a backprop ninja (every intermediate's gradient by hand, against the engine's)

The lectures read names.txt (32,033 names); offline, a deterministic list of 300 made-up names stands in
(every letter of the alphabet in it, so the vocabulary is the lectures' 27 characters).
"""

import math
import random

import numpy as np
import pytest

import autograd_core as ag
import nn.functional as F
import viz

torch = ag  # the lectures' own spelling, kept so each step reads as the lecture does


def _words(count=300, seed=0):
    """Made-up names of one to three syllables: structure a bigram model can learn, all 26 letters."""
    rng = random.Random(seed)
    onsets = "b c d f g h j k l m n p qu r s t v w x z br ch sh th".split()
    vowels = "a e i o u y ia ee".split()
    endings = ["", "", "", "n", "h", "lyn", "s", "x"]
    words = []
    for _ in range(count):
        syllables = [rng.choice(onsets) + rng.choice(vowels) for _ in range(rng.randint(1, 3))]
        words.append("".join(syllables) + rng.choice(endings))
    return words


def _vocabulary(words):
    chars = sorted(list(set("".join(words))))
    stoi = {s: i + 1 for i, s in enumerate(chars)}
    stoi["."] = 0
    itos = {i: s for s, i in stoi.items()}
    return chars, stoi, itos


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
    assert losses[-1] < 0.05 < losses[0] and all(b <= a + 1e-9 for a, b in zip(losses[5:], losses[6:]))
    assert [math.copysign(1, n(x).item()) for x in xs] == ys


# ---------------------------------------------------------------- 2. makemore part 1: bigrams
def _bigram_counts(words, stoi):
    N = torch.zeros((27, 27), dtype=torch.int32)
    for w in words:
        chs = ["."] + list(w) + ["."]
        for ch1, ch2 in zip(chs, chs[1:]):
            ix1 = stoi[ch1]
            ix2 = stoi[ch2]
            N[ix1, ix2] += 1
    return N


def test_2_bigram_counts_normalised_rows_sampling_and_the_negative_log_likelihood():
    words = _words()
    chars, stoi, itos = _vocabulary(words)
    assert len(chars) == 26 and len(itos) == 27
    b = {}  # the lecture's first count, in a dict
    for w in words:
        chs = ["<S>"] + list(w) + ["<E>"]
        for bigram in zip(chs, chs[1:]):
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
        for ch1, ch2 in zip(chs, chs[1:]):
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
        for ch1, ch2 in zip(chs, chs[1:]):
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
    words = _words()
    _, stoi, _ = _vocabulary(words)
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
    words = _words(60)
    _, stoi, _ = _vocabulary(_words())
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
block_size = 3  # context length: how many characters do we take to predict the next one?


def build_dataset(words, stoi):
    X, Y = [], []
    for w in words:
        context = [0] * block_size
        for ch in w + ".":
            ix = stoi[ch]
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]  # crop and append
    X = torch.tensor(X)
    Y = torch.tensor(Y)
    return X, Y


def _splits():
    words = _words(1000)
    _, stoi, itos = _vocabulary(words)
    random.seed(42)
    random.shuffle(words)
    n1 = int(0.8 * len(words))
    n2 = int(0.9 * len(words))
    return stoi, itos, build_dataset(words[:n1], stoi), build_dataset(words[n1:n2], stoi), build_dataset(words[n2:], stoi)


def test_3_embedding_lookup_three_concatenations_and_the_stable_cross_entropy():
    stoi, _, (X, Y), _, _ = _splits()
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
    _, itos, (Xtr, Ytr), (Xdev, Ydev), (Xte, Yte) = _splits()
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
        assert ix.shape == (32,) and 0 <= ix.min().item() and ix.max().item() < len(Xtr)
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


# ---------------------------------------------------------------- 4. makemore part 3: activations, gradients, BatchNorm
vocab_size, n_embd = 27, 10


def test_4_initial_loss_and_tanh_saturation_are_fixed_by_the_init():
    _, _, (Xtr, Ytr), _, _ = _splits()
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
    _, _, (Xtr, Ytr), (Xdev, Ydev), _ = _splits()
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
    assert np.mean(lossi[-50:]) < np.mean(lossi[:10]) - 0.1 and lossi[0] == pytest.approx(math.log10(math.log(27)), abs=0.02)

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
    _, _, (Xtr, Ytr), _, _ = _splits()
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
    for i in range(300):
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
        line = "mean %+.2f, std %.2f, saturated: %.2f%%" % (t.mean(), t.std(), (t.abs() > 0.97).float().mean() * 100)
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


# ---------------------------------------------------------------- 5. makemore part 4: becoming a backprop ninja
def cmp(s, dt, t):
    """The lecture's comparison of a gradient by hand, ``dt``, with the engine's ``t.grad``."""
    ex = torch.all(dt == t.grad).item()
    app = torch.allclose(dt, t.grad)
    maxdiff = (dt - t.grad).abs().max().item()
    shape_ok = dt.shape == t.shape
    print(f"{s:15s} | exact: {str(ex):5s} | approximate: {str(app):5s} | maxdiff: {maxdiff} | shape is correct: {shape_ok}")
    return ex, app, maxdiff, shape_ok


def _ninja_parameters(n_hidden=64):
    g = torch.Generator().manual_seed(2147483647)
    C = torch.randn((vocab_size, n_embd), generator=g)
    W1 = torch.randn((n_embd * block_size, n_hidden), generator=g) * (5 / 3) / ((n_embd * block_size) ** 0.5)
    b1 = torch.randn(n_hidden, generator=g) * 0.1  # using b1 just for fun, it's useless because of BN
    W2 = torch.randn((n_hidden, vocab_size), generator=g) * 0.1
    b2 = torch.randn(vocab_size, generator=g) * 0.1
    bngain = torch.randn((1, n_hidden), generator=g) * 0.1 + 1.0  # not ones and zeros, which could hide a bug
    bnbias = torch.randn((1, n_hidden), generator=g) * 0.1
    return [C, W1, b1, W2, b2, bngain, bnbias], g


def _ninja_forward(lib, parameters, Xb, Yb):
    """The lecture's forward pass "chunkated" into steps that are possible to backward one at a time."""
    C, W1, b1, W2, b2, bngain, bnbias = parameters
    n = Xb.shape[0]
    emb = C[Xb]  # embed the characters into vectors
    embcat = emb.view(emb.shape[0], -1)  # concatenate the vectors
    hprebn = embcat @ W1 + b1  # hidden layer pre-activation
    bnmeani = 1 / n * hprebn.sum(0, keepdim=True)
    bndiff = hprebn - bnmeani
    bndiff2 = bndiff**2
    bnvar = 1 / (n - 1) * (bndiff2).sum(0, keepdim=True)  # note: Bessel's correction (dividing by n-1, not n)
    bnvar_inv = (bnvar + 1e-5) ** -0.5
    bnraw = bndiff * bnvar_inv
    hpreact = bngain * bnraw + bnbias
    h = lib.tanh(hpreact)  # hidden layer
    logits = h @ W2 + b2  # output layer
    logit_maxes = logits.amax(1, keepdim=True)  # the lecture's logits.max(1, keepdim=True).values (torch's pair)
    norm_logits = logits - logit_maxes  # subtract max for numerical stability
    counts = norm_logits.exp()
    counts_sum = counts.sum(1, keepdims=True)
    counts_sum_inv = counts_sum**-1  # (1.0 / counts_sum) would not be bit exact in the lecture
    probs = counts * counts_sum_inv
    logprobs = probs.log()
    loss = -logprobs[range(n), Yb].mean()
    steps = dict(
        logprobs=logprobs, probs=probs, counts=counts, counts_sum=counts_sum, counts_sum_inv=counts_sum_inv,
        norm_logits=norm_logits, logit_maxes=logit_maxes, logits=logits, h=h, hpreact=hpreact, bnraw=bnraw,
        bnvar_inv=bnvar_inv, bnvar=bnvar, bndiff2=bndiff2, bndiff=bndiff, hprebn=hprebn, bnmeani=bnmeani,
        embcat=embcat, emb=emb,
    )  # fmt: skip
    for p in parameters:
        p.grad = None
    for t in steps.values():
        t.retain_grad()
    loss.backward()
    return loss, steps


def _ninja_batch():
    _, _, (Xtr, Ytr), _, _ = _splits()
    parameters, g = _ninja_parameters()
    for p in parameters:
        p.requires_grad = True
    ix = torch.randint(0, Xtr.shape[0], (32,), generator=g)
    return parameters, Xtr[ix], Ytr[ix]


def test_5_every_intermediate_gradient_by_hand_equals_the_engines():
    parameters, Xb, Yb = _ninja_batch()
    C, W1, b1, W2, b2, bngain, bnbias = parameters
    assert sum(p.nelement() for p in parameters) == 270 + 1920 + 64 + 1728 + 27 + 128
    n = batch_size = Xb.shape[0]
    loss, steps = _ninja_forward(torch, parameters, Xb, Yb)
    globals().update(steps)  # logprobs, probs, ...: the lecture's names, for the lines below
    assert loss.item() == pytest.approx(math.log(27), abs=0.3)
    assert logits.max(1, keepdim=True).tolist() == logit_maxes.tolist()  # max(dim) here is the values
    with pytest.raises(AttributeError, match=r"t.max\(dim\) .* return the values themselves .* drop '.values'"):
        logits.max(1, keepdim=True).values  # noqa: B018
    with pytest.raises(AttributeError, match=r"t.max\(dim\).indices write t.argmax\(dim\)"):
        logits.max(1).indices  # noqa: B018

    # Exercise 1: backprop through the whole thing manually, one variable at a time. In torch these lines
    # record a graph of their own (unused); here an in-place += on a recorded tensor is refused, so no_grad
    with pytest.raises(RuntimeError, match=r"part of a recorded graph; .* inside `with ag.no_grad\(\):`"):
        dcounts = counts_sum_inv * (1.0 / probs)
        dcounts += torch.ones_like(counts)
    with torch.no_grad():
        dlogprobs = torch.zeros_like(logprobs)
        dlogprobs[range(n), Yb] = -1.0 / n
        dprobs = (1.0 / probs) * dlogprobs
        dcounts_sum_inv = (counts * dprobs).sum(1, keepdim=True)
        dcounts = counts_sum_inv * dprobs
        dcounts_sum = (-(counts_sum**-2)) * dcounts_sum_inv
        dcounts += torch.ones_like(counts) * dcounts_sum
        dnorm_logits = counts * dcounts
        dlogits = dnorm_logits.clone()
        dlogit_maxes = (-dnorm_logits).sum(1, keepdim=True)
        dlogits += F.one_hot(logits.argmax(1), num_classes=logits.shape[1]) * dlogit_maxes  # torch: .max(1).indices
        dh = dlogits @ W2.T
        dW2 = h.T @ dlogits
        db2 = dlogits.sum(0)
        dhpreact = (1.0 - h**2) * dh
        dbngain = (bnraw * dhpreact).sum(0, keepdim=True)
        dbnraw = bngain * dhpreact
        dbnbias = dhpreact.sum(0, keepdim=True)
        dbndiff = bnvar_inv * dbnraw
        dbnvar_inv = (bndiff * dbnraw).sum(0, keepdim=True)
        dbnvar = (-0.5 * (bnvar + 1e-5) ** -1.5) * dbnvar_inv
        dbndiff2 = (1.0 / (n - 1)) * torch.ones_like(bndiff2) * dbnvar
        dbndiff += (2 * bndiff) * dbndiff2
        dhprebn = dbndiff.clone()
        dbnmeani = (-dbndiff).sum(0, keepdim=True)
        dhprebn += 1.0 / n * (torch.ones_like(hprebn) * dbnmeani)
        dembcat = dhprebn @ W1.T
        dW1 = embcat.T @ dhprebn
        db1 = dhprebn.sum(0)
        demb = dembcat.view(emb.shape)
        dC = torch.zeros_like(C)
        for k in range(Xb.shape[0]):
            for j in range(Xb.shape[1]):
                ix = Xb[k, j]
                dC[ix] += demb[k, j]
    by_hand = dict(
        logprobs=dlogprobs, probs=dprobs, counts_sum_inv=dcounts_sum_inv, counts_sum=dcounts_sum, counts=dcounts,
        norm_logits=dnorm_logits, logit_maxes=dlogit_maxes, logits=dlogits, h=dh, W2=dW2, b2=db2, hpreact=dhpreact,
        bngain=dbngain, bnbias=dbnbias, bnraw=dbnraw, bnvar_inv=dbnvar_inv, bnvar=dbnvar, bndiff2=dbndiff2,
        bndiff=dbndiff, bnmeani=dbnmeani, hprebn=dhprebn, embcat=dembcat, W1=dW1, b1=db1, emb=demb, C=dC,
    )  # fmt: skip
    tensors = dict(steps, C=C, W1=W1, b1=b1, W2=W2, b2=b2, bngain=bngain, bnbias=bnbias)
    results = {name: cmp(name, dt, tensors[name]) for name, dt in by_hand.items()}
    assert len(results) == 26
    for name, (exact, approximate, maxdiff, shape_ok) in results.items():
        assert approximate and shape_ok and maxdiff < 1e-15, (name, maxdiff)
    # and bit for bit, as in the lecture's torch: each vjp is the formula written above, the same float operations
    # in the same order (a sum of two contributions is the same either way round)
    assert [name for name, r in results.items() if not r[0]] == []

    # Exercise 2: the cross entropy's backward in one go: softmax minus the one-hot label, over n
    loss_fast = F.cross_entropy(logits, Yb)
    assert abs((loss_fast - loss).item()) < 1e-14
    with pytest.raises(RuntimeError, match="part of a recorded graph"):
        F.softmax(logits, 1)[range(n), Yb] -= 1
    with torch.no_grad():
        dlogits = F.softmax(logits, 1)
        dlogits[range(n), Yb] -= 1
        dlogits /= n
    ex, app, maxdiff, _ = cmp("logits", dlogits, logits)
    assert app and maxdiff < 1e-16 and abs(dlogits[0].sum().item()) < 1e-16  # each row's pull sums to zero

    # Exercise 3: the batchnorm's backward in one go
    hpreact_fast = (
        bngain
        * (hprebn - hprebn.mean(0, keepdim=True))
        / torch.sqrt(hprebn.var(0, keepdim=True, unbiased=True) + 1e-5)
        + bnbias
    )
    assert (hpreact_fast - hpreact).abs().max().item() < 1e-14
    with torch.no_grad():
        dhprebn = bngain * bnvar_inv / n * (n * dhpreact - dhpreact.sum(0) - n / (n - 1) * bnraw * (dhpreact * bnraw).sum(0))
    ex, app, maxdiff, shape_ok = cmp("hprebn", dhprebn, hprebn)
    assert app and shape_ok and maxdiff < 1e-15
    assert batch_size == 32


def test_5_every_intermediate_gradient_equals_torchs():
    real = pytest.importorskip("torch")
    parameters, Xb, Yb = _ninja_batch()
    loss, steps = _ninja_forward(torch, parameters, Xb, Yb)
    theirs = [real.tensor(p.data, requires_grad=True) for p in parameters]
    tloss, tsteps = _ninja_forward(real, theirs, real.from_numpy(Xb.data), real.from_numpy(Yb.data))
    assert loss.item() == pytest.approx(tloss.item(), rel=1e-14)
    for name, t in steps.items():
        np.testing.assert_allclose(t.data, tsteps[name].detach().numpy(), rtol=1e-12, atol=1e-15, err_msg=name)
        # (logit_maxes' gradient is 0 in exact arithmetic: both engines leave a rounding residue, ~1e-17)
        np.testing.assert_allclose(t.grad, tsteps[name].grad.numpy(), rtol=1e-10, atol=1e-16, err_msg=name)
    for p, tp in zip(parameters, theirs):
        np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=1e-10, atol=1e-16)


def test_5_training_with_the_backward_pass_written_by_hand():
    _, _, (Xtr, Ytr), (Xdev, Ydev), _ = _splits()
    parameters, g = _ninja_parameters()
    C, W1, b1, W2, b2, bngain, bnbias = parameters
    for p in parameters:
        p.requires_grad = True
    n = batch_size = 32
    lossi = []
    with torch.no_grad():  # the whole loop: the backward pass is ours
        for i in range(200):
            ix = torch.randint(0, Xtr.shape[0], (batch_size,), generator=g)
            Xb, Yb = Xtr[ix], Ytr[ix]
            emb = C[Xb]
            embcat = emb.view(emb.shape[0], -1)
            hprebn = embcat @ W1 + b1
            bnmean = hprebn.mean(0, keepdim=True)
            bnvar = hprebn.var(0, keepdim=True, unbiased=True)
            bnvar_inv = (bnvar + 1e-5) ** -0.5
            bnraw = (hprebn - bnmean) * bnvar_inv
            hpreact = bngain * bnraw + bnbias
            h = torch.tanh(hpreact)
            logits = h @ W2 + b2
            loss = F.cross_entropy(logits, Yb)
            for p in parameters:
                p.grad = None
            dlogits = F.softmax(logits, 1)  # manual backprop! #swole_doge_meme
            dlogits[range(n), Yb] -= 1
            dlogits /= n
            dh = dlogits @ W2.T
            dW2 = h.T @ dlogits
            db2 = dlogits.sum(0)
            dhpreact = (1.0 - h**2) * dh
            dbngain = (bnraw * dhpreact).sum(0, keepdim=True)
            dbnbias = dhpreact.sum(0, keepdim=True)
            dhprebn = bngain * bnvar_inv / n * (n * dhpreact - dhpreact.sum(0) - n / (n - 1) * bnraw * (dhpreact * bnraw).sum(0))
            dembcat = dhprebn @ W1.T
            dW1 = embcat.T @ dhprebn
            db1 = dhprebn.sum(0)
            demb = dembcat.view(emb.shape)
            dC = torch.zeros_like(C)
            for k in range(Xb.shape[0]):
                for j in range(Xb.shape[1]):
                    ix = Xb[k, j]
                    dC[ix] += demb[k, j]
            grads = [dC, dW1, db1, dW2, db2, dbngain, dbnbias]
            if i == 0:  # loss.backward(): "use this for correctness comparisons"
                with torch.enable_grad():
                    _ninja_forward(torch, parameters, Xb, Yb)
                for p, grad in zip(parameters, grads):
                    np.testing.assert_allclose(grad.data, p.grad, rtol=1e-9, atol=1e-15)
            lr = 0.1 if i < 150 else 0.01
            for p, grad in zip(parameters, grads):
                p.data += -lr * grad  # a Tensor into the numpy array p.data
            lossi.append(loss.item())
        assert np.mean(lossi[-20:]) < np.mean(lossi[:5]) - 0.5
        emb = C[Xdev]
        hpreact = emb.view(emb.shape[0], -1) @ W1 + b1
        hpreact = bngain * (hpreact - hpreact.mean(0, keepdim=True)) * (hpreact.var(0, keepdim=True) + 1e-5) ** -0.5 + bnbias
        assert F.cross_entropy(torch.tanh(hpreact) @ W2 + b2, Ydev).item() < 2.7
