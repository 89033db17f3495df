"""Grokking Deep Learning, chapter 13, "Introducing automatic optimization: let's build a deep learning
framework": the book's Tensor (tests/grokking_helpers.py, the oracle) and every result the chapter prints,
re-run with autograd_core and nn from the same initial weights: the same losses step for step and the same
gradients, each gradient also proved without the book (finite differences, closed forms).

The two engines' rules for a tensor used more than once: the book counts, per tensor, the gradients still
owed by each child (``children``) and passes its gradient on once all have arrived; autograd_core walks the
graph once in a reverse topological order (Kahn's algorithm with dependency counts), so every node's vjp
runs once, after all its consumers'. On the chapter's graphs both give the same gradient. They part where
the book's ``mm`` (and tanh, sigmoid, sum, ...) calls its inputs' backward with no origin (uncounted): an
intermediate feeding two matrix products (an RNN's hidden state: the output layer and the next step)
passes its gradient on at each arrival, so the first share is counted twice, until a counted add, sub or
mul below raises "cannot backprop more than once" (chapter 13's code) or silently drops it (chapter 14's
notebook replaced the raise by ``return``): see test_grokking_ports_rnn.py.

Where the spelling differs here: the book's ``x.expand(dim, copies)`` (a NEW axis at dim) is
``x.unsqueeze(dim).expand(...)``; ``x.sum(dim)`` is the same; ``x.mm(w)`` the same; ``w.index_select(idx)``
with a 2-d ``idx`` (a batch of word ids) is ``w[idx]`` or ``nn.Embedding`` (``index_select`` is PyTorch's,
a 1-d index along a dim); ``nn.Linear`` stores its weight as (out, in), the transpose of the book's; the
book's ``cross_entropy`` reports the MEAN over the batch but backpropagates ``softmax - target`` per row,
the gradient of the SUM (N times the mean's): its trajectories are ``F.cross_entropy(...,
reduction="sum")``'s.

What the port needed: ``index_select`` with a 2-d index (the book's embedding lookup) said only that the
index must be 1-d; it now names the lookup to write instead (``x[index]`` or ``nn.Embedding``).
``x.expand(dim, copies)`` (the book's, in every ``Linear``: ``bias.expand(0, n)``) failed with the generic
broadcasting hint ("keep the reduced axis with keepdims=True"); the error now says that only a size-1 or
new leading axis grows and names ``x.unsqueeze(d).expand(...)``. (``bias.expand(0, 3)`` of a 3-vector is
torch's empty (0, 3), kept.) ``nn.Sequential([...])`` (the book's and Keras's list) named the list as a
bad item and said to wrap functions in a Module; it now says to unpack it, ``nn.Sequential(*layers)``.
The book's ``w_.grad.data *= 0`` and ``w_.data -= w_.grad.data * 0.1`` are ``w_.grad`` here: ``.grad``
is a numpy array (its ``.data`` is numpy's raw buffer), by design.
"""

import numpy as np
import pytest
from grokking_helpers import (
    SGD,
    CrossEntropyLoss,
    Embedding,
    Linear,
    MSELoss,
    Sequential,
    Sigmoid,
    Tanh,
    Tensor,
    our_embedding,
    our_linear,
)

import autograd_core as ag
import nn
import nn.functional as F

XOR_DATA = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
XOR_TARGET = np.array([[0], [1], [0], [1]])


# ---------------------------------------------------------------- multiple uses of a tensor
@pytest.mark.parametrize("negate, want", [(False, 2.0), (True, -2.0)])
def test_b_used_twice_gets_both_gradients_in_both_engines(negate, want):
    # a + b and b + c, summed: "print(b.grad.data == np.array([2,2,2,2,2]))" -> [ True True True True True]
    a, b, c = (Tensor(v, autograd=True) for v in ([1, 2, 3, 4, 5], [2, 2, 2, 2, 2], [5, 4, 3, 2, 1]))
    nb = -b if negate else b
    ((a + nb) + (nb + c)).backward(Tensor(np.ones(5)))
    x, y, z = (ag.tensor(v.data, dtype=float, requires_grad=True) for v in (a, b, c))
    ny = -y if negate else y
    ((x + ny) + (ny + z)).backward(ag.ones(5))
    np.testing.assert_array_equal(b.grad.data, np.full(5, want))
    np.testing.assert_array_equal(y.grad, b.grad.data)
    np.testing.assert_array_equal(x.grad, a.grad.data)


def test_an_intermediate_used_twice_passes_its_gradient_on_once_in_both_engines():
    # b = x * w feeds two sums: the book waits for both children; the engine runs b's vjp once, after both
    x0, w0 = np.array([1.0, -2.0, 3.0]), np.array([0.5, 4.0, -1.0])
    x, w = Tensor(x0, autograd=True), Tensor(w0, autograd=True)
    b = x * w
    f = (b + Tensor(np.ones(3), autograd=True)) + (b + b)  # three uses
    f.backward(Tensor(np.ones(3)))
    ours_x = ag.tensor(x0, requires_grad=True)
    ours_b = ours_x * w0
    calls = []
    ours_b.register_hook(lambda g: calls.append(g.data.copy()))
    ((ours_b + 1) + (ours_b + ours_b)).sum().backward()
    assert len(calls) == 1 and np.array_equal(calls[0], np.full(3, 3.0))  # one vjp, with all three shares
    np.testing.assert_array_equal(ours_x.grad, 3 * w0)  # closed form: d(3 x w)/dx
    np.testing.assert_array_equal(x.grad.data, ours_x.grad)
    assert b.all_children_grads_accounted_for()


def test_the_book_refuses_a_second_gradient_from_the_same_child_and_ours_backward_twice_says_what_to_do():
    a = Tensor([1.0, 2.0], autograd=True)
    s = a + a
    s.backward(Tensor(np.ones(2)))
    np.testing.assert_array_equal(a.grad.data, [2.0, 2.0])
    with pytest.raises(Exception, match="cannot backprop more than once"):
        s.creators[0].backward(Tensor(np.ones(2)), s)
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


# ---------------------------------------------------------------- the ops, one by one
OPS = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "neg": (lambda a, b: -a, lambda a, b: -a),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "sum0": (lambda a, b: a.sum(0), lambda a, b: a.sum(0)),
    "sum1": (lambda a, b: a.sum(1), lambda a, b: a.sum(1)),
    "expand0": (lambda a, b: a.expand(0, 4), lambda a, b: a.unsqueeze(0).expand(4, 2, 3)),
    "expand2": (lambda a, b: a.expand(2, 4), lambda a, b: a.unsqueeze(2).expand(2, 3, 4)),
    "transpose": (lambda a, b: a.transpose(), lambda a, b: a.transpose()),
    "mm": (lambda a, b: a.mm(b.transpose()), lambda a, b: a.mm(b.transpose())),
    "sigmoid": (lambda a, b: a.sigmoid(), lambda a, b: a.sigmoid()),
    "tanh": (lambda a, b: a.tanh(), lambda a, b: a.tanh()),
}


@pytest.mark.parametrize("name", OPS)
def test_each_op_gives_the_book_s_value_and_gradients(name):
    book_op, our_op = OPS[name]
    rng = np.random.default_rng(3)
    a0, b0 = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    a, b = Tensor(a0, autograd=True), Tensor(b0, autograd=True)
    out = book_op(a, b)
    seed = rng.normal(size=out.data.shape)
    out.backward(Tensor(seed))
    x, y = ag.tensor(a0, requires_grad=True), ag.tensor(b0, requires_grad=True)
    ours = our_op(x, y)
    ours.backward(ag.tensor(seed))
    np.testing.assert_allclose(ours.data, out.data, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(x.grad, a.grad.data, rtol=1e-13, atol=1e-15)
    if b.grad is not None:  # ops that use b
        np.testing.assert_allclose(y.grad, b.grad.data, rtol=1e-13, atol=1e-15)
    assert ag.gradcheck(
        lambda p, q: (our_op(p, q) * seed).sum(), (x.detach().requires_grad_(), y.detach().requires_grad_())
    )


def test_expand_is_a_new_axis_as_the_book_prints():
    x = np.array([[1, 2, 3], [4, 5, 6]])
    assert Tensor(x).expand(0, 4).data.shape == (4, 2, 3)
    np.testing.assert_array_equal(Tensor(x).expand(2, 4).data[1], [[4] * 4, [5] * 4, [6] * 4])
    np.testing.assert_array_equal(ag.tensor(x).unsqueeze(2).expand(2, 3, 4).data, Tensor(x).expand(2, 4).data)
    np.testing.assert_array_equal(Tensor(x).sum(0).data, [5, 7, 9])  # x.sum(0) -> array([5, 7, 9])
    np.testing.assert_array_equal(ag.tensor(x).sum(1).data, [6, 15])  # x.sum(1) -> array([ 6, 15])
    bias = ag.tensor(np.zeros(3))
    with pytest.raises(ValueError, match=r"write x\.unsqueeze\(d\)\.expand\(\.\.\.\)"):
        bias.expand(0, 4)  # the book's Linear: bias.expand(0, len(input.data)); here (4, 3) = bias.expand(4, 3)
    assert bias.expand(4, 3).shape == (4, 3) and bias.expand(0, 3).shape == (0, 3)  # torch's meaning: sizes


def test_index_select_rows_used_twice_get_two():
    picks = np.array([[1, 2, 3], [2, 3, 4]])
    book = Tensor(np.eye(5), autograd=True)
    book.index_select(Tensor(picks)).backward()
    ours = ag.tensor(np.eye(5), requires_grad=True)
    ours[picks].backward(ag.ones(2, 3, 5))  # the book's 2-d index_select is indexing (an embedding lookup)
    np.testing.assert_array_equal(book.grad.data[:, 0], [0, 1, 2, 2, 1])  # the printed gradient's rows
    np.testing.assert_array_equal(ours.grad, book.grad.data)
    with pytest.raises(ValueError, match=r"x\[index\] or nn.Embedding"):
        ours.index_select(0, picks)


def test_cross_entropy_loss_is_the_mean_but_its_gradient_is_the_sum_s():
    rng = np.random.default_rng(0)
    logits, target = rng.normal(size=(4, 3)), np.array([0, 2, 1, 2])
    book = Tensor(logits, autograd=True)
    loss = book.cross_entropy(Tensor(target))
    loss.backward()
    ours = ag.tensor(logits, requires_grad=True)
    mean = F.cross_entropy(ours, target)
    mean.backward()
    assert float(mean) == pytest.approx(float(loss.data), rel=1e-14)
    np.testing.assert_allclose(book.grad.data, 4 * ours.grad, rtol=1e-13)  # N x the mean's gradient
    fresh = ag.tensor(logits, requires_grad=True)
    assert ag.gradcheck(lambda z: F.cross_entropy(z, target), (fresh,))  # ours is the mean's, by differences
    F.cross_entropy(fresh, target, reduction="sum").backward()
    np.testing.assert_allclose(fresh.grad, book.grad.data, rtol=1e-13)


# ---------------------------------------------------------------- the chapter's printed training runs
def test_two_weight_matrices_trained_by_autograd_print_the_book_s_losses():
    np.random.seed(0)
    data, target = Tensor(XOR_DATA, autograd=True), Tensor(XOR_TARGET, autograd=True)  # two ids drawn first
    w = [Tensor(np.random.rand(2, 3), autograd=True), Tensor(np.random.rand(3, 1), autograd=True)]
    ours = [ag.tensor(w_.data.copy(), requires_grad=True) for w_ in w]
    optimizer = nn.optim.SGD(ours, lr=0.1)
    book_losses, our_losses = [], []
    for _ in range(10):
        pred = data.mm(w[0]).mm(w[1])
        loss = ((pred - target) * (pred - target)).sum(0)
        loss.backward(Tensor(np.ones_like(loss.data)))
        for w_ in w:
            w_.data -= w_.grad.data * 0.1
            w_.grad.data *= 0
        book_losses.append(loss.data.item())
        optimizer.zero_grad()
        our_loss = ((ag.tensor(XOR_DATA, dtype=float).mm(ours[0]).mm(ours[1]) - XOR_TARGET) ** 2).sum(0)
        our_loss.sum().backward()
        optimizer.step()
        our_losses.append(our_loss.item())
    printed = [0.58128304, 0.48988149, 0.41375111, 0.34489412, 0.28210124]
    printed += [0.2254484, 0.17538853, 0.1324231, 0.09682769, 0.06849361]
    np.testing.assert_allclose(book_losses, printed, atol=5e-9)
    np.testing.assert_allclose(our_losses, book_losses, rtol=1e-13)


def test_the_hand_written_backprop_is_the_gradient_of_half_the_loss():
    # the chapter's numpy version first: it updates with diff, not 2 diff. (Its printed losses, 0.452... first,
    # come from another random state than seed 0's weights; the book's code re-run from seed 0 is the oracle.)
    np.random.seed(0)
    weights_0_1, weights_1_2 = np.random.rand(2, 3), np.random.rand(3, 1)
    weights = [ag.tensor(weights_0_1, requires_grad=True), ag.tensor(weights_1_2, requires_grad=True)]
    optimizer = nn.optim.SGD(weights, lr=0.1)
    book_losses, our_losses = [], []
    for _ in range(10):
        layer_1 = XOR_DATA.dot(weights_0_1)
        diff = layer_1.dot(weights_1_2) - XOR_TARGET
        book_losses.append((diff * diff).sum(0)[0])
        layer_1_grad = diff.dot(weights_1_2.transpose())
        weights_1_2 = weights_1_2 - layer_1.transpose().dot(diff) * 0.1
        weights_0_1 = weights_0_1 - XOR_DATA.transpose().dot(layer_1_grad) * 0.1
        ours = ag.tensor(XOR_DATA, dtype=float) @ weights[0] @ weights[1] - XOR_TARGET
        loss = (ours * ours).sum()
        our_losses.append(loss.item())
        optimizer.zero_grad()
        (loss / 2).backward()
        optimizer.step()
    np.testing.assert_allclose(our_losses, book_losses, rtol=1e-13)
    assert book_losses[-1] < book_losses[0] / 10


def run_book_and_ours(make_book, make_ours, data, target, book_loss, our_loss, alpha, steps=10):
    """Train the book's model and ours (the same initial weights) side by side; both loss lists."""
    book_model = make_book()
    ours = make_ours(book_model)
    book_optim, our_optim = SGD(book_model.get_parameters(), alpha=alpha), nn.optim.SGD(ours.parameters(), lr=alpha)
    book_losses, our_losses = [], []
    for _ in range(steps):
        loss = book_loss.forward(book_model.forward(Tensor(data, autograd=True)), Tensor(target, autograd=True))
        loss.backward(Tensor(np.ones_like(loss.data)))
        book_optim.step()
        book_losses.append(float(np.asarray(loss.data).ravel()[0]))
        our_optim.zero_grad()
        value, to_differentiate = our_loss(ours(data), target)
        to_differentiate.backward()
        our_optim.step()
        our_losses.append(float(value))
    return book_losses, our_losses


def mse_sum(pred, target):
    loss = F.mse_loss(pred, target.astype(float), reduction="sum")  # the book's ((pred - target) ** 2).sum(0)
    return loss, loss


@pytest.mark.parametrize(
    "layers, alpha, printed",
    [
        ("linear", 0.05, {0: 2.33428272, 1: 0.06743796, 8: 0.01153118, 9: 0.00889602}),
        ("tanh_sigmoid", 1.0, {0: 1.06372865, 1: 0.75148144, 5: 0.15515294, 9: 0.04700013}),
    ],
)
def test_sequential_linear_layers_with_mse_loss_print_the_book_s_losses(layers, alpha, printed):
    def make_book():
        if layers == "linear":
            return Sequential([Linear(2, 3), Linear(3, 1)])
        return Sequential([Linear(2, 3), Tanh(), Linear(3, 1), Sigmoid()])

    def make_ours(book):
        first, second = (our_linear(layer) for layer in book.layers if isinstance(layer, Linear))
        if layers == "linear":
            return nn.Sequential(first, second)
        return nn.Sequential(first, nn.Tanh(), second, nn.Sigmoid())

    np.random.seed(0)
    Tensor(XOR_DATA), Tensor(XOR_TARGET)  # the book makes data and target first: two ids drawn
    book_losses, our_losses = run_book_and_ours(make_book, make_ours, XOR_DATA, XOR_TARGET, MSELoss(), mse_sum, alpha)
    np.testing.assert_allclose([book_losses[i] for i in printed], list(printed.values()), atol=5e-9)
    np.testing.assert_allclose(our_losses, book_losses, rtol=1e-12)


def test_the_book_s_sequential_of_a_list_is_unpacked_here():
    with pytest.raises(TypeError, match=r"got one list of 2; unpack it: nn.Sequential\(\*layers\)"):
        nn.Sequential([nn.Linear(2, 3), nn.Linear(3, 1)])  # the book's Sequential([Linear(2,3), Linear(3,1)])
    assert len(nn.Sequential(*[nn.Linear(2, 3), nn.Linear(3, 1)])) == 2


def test_an_embedding_layer_prints_the_book_s_losses():
    def make_book():
        return Sequential([Embedding(5, 3), Tanh(), Linear(3, 1), Sigmoid()])

    def make_ours(book):
        return nn.Sequential(our_embedding(book.layers[0]), nn.Tanh(), our_linear(book.layers[2]), nn.Sigmoid())

    np.random.seed(0)
    Tensor([1, 2, 1, 2]), Tensor(XOR_TARGET)
    ids = np.array([1, 2, 1, 2])
    book_losses, our_losses = run_book_and_ours(make_book, make_ours, ids, XOR_TARGET, MSELoss(), mse_sum, 0.5)
    np.testing.assert_allclose(
        book_losses[:3] + book_losses[-2:], [0.98874126, 0.6658868, 0.45639889, 0.08731868, 0.07387834], atol=5e-9
    )
    np.testing.assert_allclose(our_losses, book_losses, rtol=1e-12)


def test_the_cross_entropy_layer_prints_the_book_s_losses():
    def make_book():
        return Sequential([Embedding(3, 3), Tanh(), Linear(3, 4)])

    def make_ours(book):
        return nn.Sequential(our_embedding(book.layers[0]), nn.Tanh(), our_linear(book.layers[2]))

    def book_cross_entropy(logits, target):  # the mean, reported; the sum, differentiated (as the book's backward)
        return F.cross_entropy(logits, target), F.cross_entropy(logits, target, reduction="sum")

    np.random.seed(0)
    ids, target = np.array([1, 2, 1, 2]), np.array([0, 1, 0, 1])
    Tensor(ids), Tensor(target)
    book_losses, our_losses = run_book_and_ours(
        make_book, make_ours, ids, target, CrossEntropyLoss(), book_cross_entropy, 0.1
    )
    printed = [1.3885032434928422, 0.9558181509266037, 0.6823083585795604, 0.5095259967493119, 0.39574491472895856]
    printed += [0.31752527285348264, 0.2617222861964216, 0.22061283923954234, 0.18946427334830068, 0.16527389263866668]
    np.testing.assert_allclose(book_losses, printed, rtol=1e-13)
    np.testing.assert_allclose(our_losses, book_losses, rtol=1e-12)


def test_the_tanh_sigmoid_run_is_torch_s_too():
    torch = pytest.importorskip("torch")
    np.random.seed(0)
    Tensor(XOR_DATA), Tensor(XOR_TARGET)
    book = Sequential([Linear(2, 3), Tanh(), Linear(3, 1), Sigmoid()])
    first, second = (layer for layer in book.layers if isinstance(layer, Linear))
    params = [torch.tensor(p.data, requires_grad=True) for p in (first.weight, first.bias, second.weight, second.bias)]
    optimizer = torch.optim.SGD(params, lr=1.0)
    data, target = torch.tensor(XOR_DATA, dtype=torch.float64), torch.tensor(XOR_TARGET, dtype=torch.float64)
    losses = []
    for _ in range(10):
        pred = torch.sigmoid(torch.tanh(data @ params[0] + params[1]) @ params[2] + params[3])
        loss = ((pred - target) ** 2).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    printed = [1.06372865, 0.75148144, 0.57384259, 0.39574294, 0.2482279]
    printed += [0.15515294, 0.10423398, 0.07571169, 0.05837623, 0.04700013]
    np.testing.assert_allclose(losses, printed, atol=5e-9)
