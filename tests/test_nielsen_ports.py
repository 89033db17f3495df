"""Michael Nielsen's "Neural Networks and Deep Learning" (neuralnetworksanddeeplearning.com), chapters 1
and 2 ported step by step: ``network.py`` (in tests/nielsen_helpers.py, the book's numpy code with its
hand-derived ``backprop``) is the ORACLE; the same network written with autograd_core ops (the book's
column-vector layout, ``W @ a + b``) and with this repo's ``nn`` (``nn.Linear`` + ``nn.Sigmoid``,
``F.mse_loss``, ``nn.optim.SGD``, ``nn.fit``) is differentiated and trained by the engine, and must agree
with it to ~1e-12 (float64). Where torch is installed the same Tensor code runs in both libraries.
Chapter 3 (network2.py), chapter 5 (vanishing gradients) and dropout are in test_nielsen_ports_network2.py.

Ported: chapter 1's sigmoid neuron turning into a perceptron as w and b grow, its gradient descent step
(Delta C ~ -eta ||grad C||^2) and ``network.py`` (the one-hot
``vectorized_result``, ``SGD`` / ``update_mini_batch`` / ``evaluate``, training [64, 30, 10] with eta =
3.0 and mini-batches of 10 to a real accuracy: measured 0.99 on the 400 test digits); chapter 2's four
equations BP1-BP4, each against the engine's gradient of the same cost (the deltas read with
``retain_grad`` on the weighted inputs z^l), the summed mini-batch gradient of ``update_mini_batch``, and
the "naive" one-weight-at-a-time finite differences the chapter contrasts backprop with.

Where the book's spelling differs here: the bundled 8x8 digits (64 inputs, tests/nielsen_helpers.py)
stand in for MNIST; the book's (n, 1) column vectors are the rows of a batch for ``nn`` (``nn.Linear``
computes x @ W.T + b with W (out, in) as the book's w, and b of shape (out,)); the book's cost
sum_x ||y - a||^2 / (2m) over a mini-batch is ``F.mse_loss(output, Y, reduction="sum") / (2 * m)``
(``reduction="mean"`` also divides by the 10 outputs); ``nn.Linear`` starts its bias at zero, so the
book's N(0, 1) biases are copied in (or drawn with ``nn.init.normal_``).
"""

import random

import numpy as np
import pytest
from nielsen_helpers import (
    Network,
    as_numpy,
    batch_arrays,
    book_data,
    copy_into,
    digits_data,
    sigmoid_net,
    vectorized_result,
)

import autograd_core as ag
import nn
import nn.functional as F


def book_batch(size, seed=0):
    X_train, y_train, *_ = digits_data()
    rows = np.random.default_rng(seed).choice(len(y_train), size, replace=False)
    return book_data(X_train[rows], y_train[rows], vectorize=True)


def engine_backprop(lib, net, mini_batch):
    """The summed gradients (nabla_b, nabla_w) and the deltas dC/dz^l of the book's cost over a mini-batch,
    by ``lib``'s backward (ag: the engine under test; or torch): the book's layout, a column per example."""
    X, Y = (lib.tensor(a.T.copy()) for a in batch_arrays(mini_batch))
    weights = [lib.tensor(w, requires_grad=True) for w in net.weights]
    biases = [lib.tensor(b, requires_grad=True) for b in net.biases]
    a, zs = X, []
    for w, b in zip(weights, biases):
        z = w @ a + b  # b (n, 1) is broadcast over the columns, one per example
        z.retain_grad()
        zs.append(z)
        a = lib.sigmoid(z)
    cost = 0.5 * ((a - Y) ** 2).sum()  # sum over the batch of C_x = ||y - a||^2 / 2
    cost.backward()
    grads = ([as_numpy(b.grad) for b in biases], [as_numpy(w.grad) for w in weights])
    return grads, [as_numpy(z.grad) for z in zs]


# ---------------------------------------------------------------- chapter 1
def test_vectorized_result_is_nn_one_hot():
    labels = np.array([3, 0, 9, 3])
    book = np.hstack([vectorized_result(j) for j in labels]).T
    np.testing.assert_array_equal(F.one_hot(labels, 10).data, book)
    assert book.sum() == 4 and all(book[i, j] == 1.0 for i, j in enumerate(labels))


def test_chapter_1_gradient_descent_step_lowers_the_cost_by_eta_times_the_squared_gradient():
    # Delta C ~ grad C . Delta v, and Delta v = -eta grad C gives Delta C ~ -eta ||grad C||^2 <= 0.
    X_train, y_train, *_ = digits_data()
    model = sigmoid_net([64, 30, 10])
    net = Network([64, 30, 10], np.random.default_rng(0))
    copy_into(model, net.weights, net.biases)
    X, Y = X_train[:100], F.one_hot(y_train[:100], 10).data.astype(float)
    cost = F.mse_loss(model(X), Y, reduction="sum") / 200
    cost.backward()
    squared = sum(float((p.grad**2).sum()) for p in model.parameters())
    eta = 1e-4
    with ag.no_grad():
        for p in model.parameters():
            p -= eta * p.grad
        after = F.mse_loss(model(X), Y, reduction="sum") / 200
    change = after.item() - cost.item()
    assert change < 0 and change == pytest.approx(-eta * squared, rel=1e-3)


def test_chapter_1_a_sigmoid_neuron_with_w_and_b_scaled_up_becomes_a_perceptron():
    w, b = np.array([0.7, -1.2, 0.4]), 0.3
    X = np.random.default_rng(6).normal(size=(200, 3))
    perceptron = (X @ w + b > 0).astype(float)  # output 1 if w.x + b > 0, else 0
    gaps, slopes = {}, {}
    for c in (1.0, 1e6):
        weights = ag.tensor(c * w, requires_grad=True)
        outputs = ag.sigmoid(ag.tensor(X) @ weights + c * b)
        outputs.sum().backward()
        gaps[c], slopes[c] = np.abs(outputs.data - perceptron).max(), np.abs(weights.grad).max()
    assert gaps[1.0] > 0.3 and gaps[1e6] < 1e-12  # measured: 0.49, and 0 (every |w.x + b| > 0.04 here)
    assert slopes[1.0] > 1 and slopes[1e6] < 1e-12  # saturated: no gradient, as a step function has none


# ---------------------------------------------------------------- chapter 2: the four equations
@pytest.mark.parametrize("sizes", [[64, 30, 10], [64, 20, 15, 10]])
def test_backprop_bp1_to_bp4_equal_the_engine_s_gradients_and_deltas(sizes):
    net = Network(sizes, np.random.default_rng(1))
    mini_batch = book_batch(10)
    (grad_b, grad_w), deltas = engine_backprop(ag, net, mini_batch)
    want_b, want_w = net.summed_gradient(mini_batch)
    for got, want in zip(grad_b + grad_w, want_b + want_w):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    for column, (x, y) in enumerate(mini_batch):  # BP1 and BP2: each example's delta^l = dC_x/dz^l
        book_deltas, _ = net.backprop(x, y)  # BP3: the book's nabla_b^l is delta^l
        for delta, book_delta in zip(deltas, book_deltas):
            np.testing.assert_allclose(delta[:, [column]], book_delta, rtol=1e-12, atol=1e-15)
    assert np.abs(want_w[0]).max() > 1e-3  # a gradient that can be wrong
    torch = pytest.importorskip("torch")
    (torch_b, torch_w), torch_deltas = engine_backprop(torch, net, mini_batch)
    for got, want in zip(grad_b + grad_w + deltas, torch_b + torch_w + torch_deltas):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_bp4_is_the_outer_product_delta_times_the_incoming_activation():
    net = Network([64, 30, 10], np.random.default_rng(2))
    (x, y), *_ = book_batch(1, seed=3)
    (grad_b, grad_w), _ = engine_backprop(ag, net, [(x, y)])
    hidden = 1.0 / (1.0 + np.exp(-(net.weights[0] @ x + net.biases[0])))
    np.testing.assert_allclose(grad_w[1], grad_b[1] @ hidden.T, rtol=1e-12, atol=1e-15)  # BP3 into BP4
    np.testing.assert_allclose(grad_w[0], grad_b[0] @ x.T, rtol=1e-12, atol=1e-15)
    assert np.linalg.matrix_rank(grad_w[0]) == 1


def test_backprop_against_the_naive_one_weight_at_a_time_finite_differences():
    # The book's "naive" alternative: (C(w + eps e_j) - C(w)) / eps, one forward pass per weight.
    net = Network([64, 30, 10], np.random.default_rng(8))
    mini_batch = book_batch(10, seed=9)
    (_, grad_w), _ = engine_backprop(ag, net, mini_batch)

    def cost():
        return sum(0.5 * np.linalg.norm(net.feedforward(x) - y) ** 2 for x, y in mini_batch)

    eps, base = 1e-6, cost()
    for layer, j, k in [(0, 3, 20), (0, 29, 40), (1, 0, 0), (1, 9, 29)]:
        net.weights[layer][j, k] += eps
        naive = (cost() - base) / eps
        net.weights[layer][j, k] -= eps
        assert naive == pytest.approx(grad_w[layer][j, k], rel=1e-4, abs=1e-7)


def test_update_mini_batch_equals_nn_linear_sigmoid_mse_sum_and_sgd():
    net = Network([64, 30, 10], np.random.default_rng(4))
    model = sigmoid_net([64, 30, 10])
    linears = copy_into(model, net.weights, net.biases)
    mini_batch, eta = book_batch(10, seed=5), 3.0
    X, Y = batch_arrays(mini_batch)
    optimizer = nn.optim.SGD(model.parameters(), lr=eta)
    loss = F.mse_loss(model(X), Y, reduction="sum") / (2 * len(X))  # the book's cost on the mini-batch
    book_cost = sum(0.5 * np.linalg.norm(net.feedforward(x) - y) ** 2 for x, y in mini_batch) / len(X)
    assert loss.item() == pytest.approx(book_cost, rel=1e-13)
    loss.backward()
    optimizer.step()
    net.update_mini_batch(mini_batch, eta)
    for layer, w, b in zip(linears, net.weights, net.biases):
        np.testing.assert_allclose(layer.weight.data, w, rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(layer.bias.data, b[:, 0], rtol=1e-12, atol=1e-13)


# ---------------------------------------------------------------- network.py trained on the digits
def _nn_sgd_like_the_book(model, training_data, epochs, mini_batch_size, eta):
    """The book's SGD loop (its shuffles, its mini-batches) with nn's layers, loss and optimizer."""
    optimizer = nn.optim.SGD(model.parameters(), lr=eta)
    training_data = list(training_data)
    for _ in range(epochs):
        random.shuffle(training_data)
        for k in range(0, len(training_data), mini_batch_size):
            X, Y = batch_arrays(training_data[k : k + mini_batch_size])
            optimizer.zero_grad()
            (F.mse_loss(model(X), Y, reduction="sum") / (2 * len(X))).backward()
            optimizer.step()


def test_network_py_trains_on_the_digits_and_nn_follows_it_step_for_step():
    X_train, y_train, _, _, X_test, y_test = digits_data()
    training_data = book_data(X_train, y_train, vectorize=True)
    test_data = book_data(X_test, y_test, vectorize=False)
    net = Network([64, 30, 10], np.random.default_rng(0))
    model = sigmoid_net([64, 30, 10])
    linears = copy_into(model, net.weights, net.biases)
    random.seed(7)
    _nn_sgd_like_the_book(model, training_data, 2, 10, 3.0)
    random.seed(7)
    correct = net.SGD(training_data, 2, 10, 3.0, test_data=test_data)  # 200 steps, the same shuffles
    for layer, w, b in zip(linears, net.weights, net.biases):
        np.testing.assert_allclose(layer.weight.data, w, rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(layer.bias.data, b[:, 0], rtol=1e-10, atol=1e-10)
    predicted = model.eval()(X_test).data.argmax(axis=1)
    assert int((predicted == y_test).sum()) == correct[-1]  # nn's argmax = the book's evaluate
    correct += net.SGD(training_data, 28, 10, 3.0, test_data=test_data)  # the book's 30 epochs
    assert correct[-1] / len(test_data) > 0.9  # measured: 0.99 (chance: 0.1)
    assert correct[-1] > correct[0]


def test_nn_fit_trains_the_book_s_quadratic_cost_sigmoid_network():
    X_train, y_train, _, _, X_test, y_test = digits_data()
    model = sigmoid_net([64, 30, 10])
    for layer in model:
        if isinstance(layer, nn.Linear):  # the book's N(0, 1) weights and biases
            nn.init.normal_(layer.weight, generator=0)
            nn.init.normal_(layer.bias, generator=1)

    def quadratic_cost(output, Y):
        return F.mse_loss(output, Y, reduction="sum") / (2 * len(Y))

    Y = F.one_hot(y_train, 10).data.astype(np.float64)
    history = nn.fit(model, quadratic_cost, nn.optim.SGD(model.parameters(), lr=3.0), X_train, Y, epochs=30,
                     batch_size=10, progress=False)  # fmt: skip
    assert history.train_loss[-1] < history.train_loss[0] / 3
    accuracy = float((model.eval()(X_test).data.argmax(axis=1) == y_test).mean())
    assert accuracy > 0.9  # measured: 0.97
