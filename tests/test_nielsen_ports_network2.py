"""Nielsen's "Neural Networks and Deep Learning", chapter 3's ``network2.py`` ported step by step: the book's
numpy code (tests/nielsen_helpers.py: ``QuadraticCost`` / ``CrossEntropyCost`` and their ``delta``, L2
regularisation's ``update_mini_batch``, the two weight initialisers, ``SGD``'s monitoring lists and early
stopping, JSON ``save`` / ``load``) is the ORACLE; the same networks in this repo's ``nn`` (``nn.Linear`` +
``nn.Sigmoid``, ``F.binary_cross_entropy`` and ``F.mse_loss``, ``F.l2_penalty``, ``nn.optim.SGD``'s
``weight_decay``, ``nn.init``, ``nn.fit`` / ``nn.evaluate``, ``nn.save`` / ``nn.load``) must agree with it
to ~1e-12 in float64. Where torch is installed the cost deltas are also torch's. Chapter 3's softmax, L1
and dropout and chapter 5 are in test_nielsen_ports_chapter3.py; chapters 1-2 in test_nielsen_ports.py.

Ported: the cost deltas (quadratic (a - y) sigma'(z), cross-entropy a - y) as the engine's dC/dz; the
saturated neuron of the chapter's opening (w = b = 2, x = 1, y = 0, eta = 0.15): with the quadratic cost
it still outputs 0.93 after 150 epochs and 0.20 after 300, with the cross-entropy 0.10 after 50 (the
book's plots); the L2 step w -> (1 - eta lmbda / n) w - (eta / m) sum nabla_w both as a penalty
(``loss + lmbda / (2n) * F.l2_penalty(weights)``) and as ``SGD(weight_decay=lmbda / n)`` on the weights'
group only (the book does not decay biases); the default initialiser N(0, 1/sqrt(n_in)) against the large
N(0, 1) one (the book's z over 1,000 inputs, 500 of them on: standard deviation sqrt(3/2) ~ 1.22 instead
of sqrt(501) ~ 22.4); the monitoring lists against ``nn.fit``'s history; early stopping; save / load.

Where the book's spelling differs here: N(0, 1/sqrt(n_in)) is ``nn.init.kaiming_normal_(w,
nonlinearity="sigmoid")`` (gain 1: std 1/sqrt(fan_in)), or ``nn.init.normal_(w, std=n_in ** -0.5)``; the
book's ``CrossEntropyCost.fn`` summed over a mini-batch of m is ``F.binary_cross_entropy(a, Y,
reduction="sum") / m`` (its logs floored at -100 where the book's ``nan_to_num`` zeroes 0 * log 0);
``nn.fit``'s ``train_loss`` is the mean of the epoch's mini-batch losses as they were computed, where the
book's ``training_cost`` is measured after the epoch (``nn.evaluate`` after ``fit`` gives it); the book's
evaluation cost adds (lmbda / 2 n_eval) sum ||w||^2, ``val_loss`` has only the loss given to ``fit``;
``fit(early_stopping=n)`` waits ``n`` epochs for a lower validation LOSS and restores the best weights,
where the book waits ``early_stopping_n`` epochs for a higher evaluation ACCURACY and keeps the last;
the book's JSON file is not ``nn.save``'s format (an .npz with the architecture), so its weights are
copied into Linear layers to go from one to the other.
"""

import random

import numpy as np
import pytest
from nielsen_helpers import (
    COSTS,
    CrossEntropyCost,
    Network2,
    QuadraticCost,
    as_numpy,
    batch_arrays,
    book_data,
    copy_into,
    digits_data,
    load,
    sigmoid_net,
)

import autograd_core as ag
import nn
import nn.functional as F

N_TRAIN = 1000  # the n of the book's lmbda / n


def digits_book_data():
    X_train, y_train, X_val, y_val, *_ = digits_data()
    return book_data(X_train, y_train, vectorize=True), book_data(X_val, y_val, vectorize=False)


def engine_cost(lib, cost, a, Y):
    """The book's ``cost.fn`` summed over a batch, in ``lib``'s Tensor ops (F for ag)."""
    if cost is QuadraticCost:
        return 0.5 * ((a - Y) ** 2).sum()
    if lib is ag:
        return F.binary_cross_entropy(a, Y, reduction="sum")
    return lib.nn.functional.binary_cross_entropy(a, Y, reduction="sum")


def output_deltas(lib, cost, z, Y):
    """(cost value, dC/dz) by ``lib``'s backward for outputs a = sigmoid(z)."""
    z = lib.tensor(z, requires_grad=True)
    value = engine_cost(lib, cost, lib.sigmoid(z), lib.tensor(Y))
    value.backward()
    return value.item(), as_numpy(z.grad)


@pytest.mark.parametrize("cost", COSTS, ids=lambda c: c.__name__)
def test_cost_delta_is_the_engine_s_dC_dz(cost):
    rng = np.random.default_rng(0)
    z, Y = rng.normal(0, 3, (10, 5)), np.eye(5)[rng.integers(0, 5, 10)]
    a = 1 / (1 + np.exp(-z))
    value, grad = output_deltas(ag, cost, z, Y)
    np.testing.assert_allclose(grad, cost.delta(z, a, Y), rtol=1e-12, atol=1e-15)
    assert value == pytest.approx(cost.fn(a, Y), rel=1e-13)
    torch = pytest.importorskip("torch")
    torch_value, torch_grad = output_deltas(torch, cost, z, Y)
    np.testing.assert_allclose(grad, torch_grad, rtol=1e-12, atol=1e-15)
    assert value == pytest.approx(torch_value, rel=1e-13)


def test_cross_entropy_delta_is_exact_from_logits_too():
    z, Y = np.array([[-30.0, 0.0, 30.0]]), np.array([[1.0, 0.0, 1.0]])
    logits = ag.tensor(z, requires_grad=True)
    F.binary_cross_entropy_with_logits(logits, Y, reduction="sum").backward()
    exact = np.where(Y == 1, -1 / (1 + np.exp(z)), 1 / (1 + np.exp(-z)))  # a - y, with sigma(z) - 1 = -sigma(-z)
    np.testing.assert_allclose(logits.grad, exact, rtol=1e-15)
    book = CrossEntropyCost.delta(z, 1 / (1 + np.exp(-z)), Y)  # a - 1 at z = 30 loses 3 of its 16 digits
    assert abs(book[0, 2] / exact[0, 2] - 1) > 1e-4 and np.allclose(book, exact, rtol=0, atol=1e-15)


@pytest.mark.parametrize(("cost", "outputs"), [(QuadraticCost, (0.93, 0.20)), (CrossEntropyCost, (0.10, 0.012))])
def test_saturated_neuron_learns_slowly_with_the_quadratic_cost_only(cost, outputs):
    book = Network2([1, 1], np.random.default_rng(0), cost=cost)
    book.weights, book.biases = [np.array([[2.0]])], [np.array([[2.0]])]
    model = sigmoid_net([1, 1])
    linear, *_ = copy_into(model, book.weights, book.biases)
    optimizer = nn.optim.SGD(model.parameters(), lr=0.15)
    x, y = np.ones((1, 1)), np.zeros((1, 1))
    seen = []
    for epoch in range(300):
        optimizer.zero_grad()
        a = model(x)
        seen.append(a.item())
        assert seen[-1] == pytest.approx(book.feedforward(x)[0, 0], rel=1e-12)  # epoch by epoch
        engine_cost(ag, cost, a, y).backward()
        if epoch == 0:  # dC/db = delta: (a - y) sigma'(z) = 0.98 * 0.018 against a - y = 0.98
            assert linear.bias.grad[0] == pytest.approx(float(cost.delta(4.0, seen[0], 0.0)), rel=1e-13)
        optimizer.step()
        book.update_mini_batch([(x, y)], 0.15, 0.0, 1)
    np.testing.assert_allclose(linear.weight.data, book.weights[0], rtol=1e-12)
    assert seen[0] == pytest.approx(0.982, abs=1e-3)
    early, last = (seen[150], seen[-1]) if cost is QuadraticCost else (seen[50], seen[-1])
    assert early == pytest.approx(outputs[0], abs=0.01) and last == pytest.approx(outputs[1], abs=0.01)


def _book_and_nn_pair(seed=0, sizes=(64, 30, 10)):
    book = Network2(list(sizes), np.random.default_rng(seed))
    model = sigmoid_net(list(sizes))
    return book, model, copy_into(model, book.weights, book.biases)


def test_network2_backprop_with_cross_entropy_equals_nn_binary_cross_entropy():
    book, model, _ = _book_and_nn_pair(1)
    training_data, _ = digits_book_data()
    X, Y = batch_arrays(training_data[:10])
    F.binary_cross_entropy(model(X), Y, reduction="sum").backward()
    want_b, want_w = book.summed_gradient(training_data[:10])
    linears = [layer for layer in model if isinstance(layer, nn.Linear)]
    for layer, nb, nw in zip(linears, want_b, want_w):
        np.testing.assert_allclose(layer.weight.grad, nw, rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(layer.bias.grad, nb[:, 0], rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("spelling", ["l2_penalty", "weight_decay"])
def test_l2_step_decays_the_weights_by_one_minus_eta_lmbda_over_n(spelling):
    book, model, linears = _book_and_nn_pair(2)
    training_data, _ = digits_book_data()
    mini_batch, eta, lmbda = training_data[20:30], 0.5, 5.0
    weights = [layer.weight for layer in linears]
    biases = [layer.bias for layer in linears]
    if spelling == "weight_decay":  # decay the weights' group only, as the book does
        groups = [{"params": weights, "weight_decay": lmbda / N_TRAIN}, {"params": biases}]
        optimizer = nn.optim.SGD(groups, lr=eta)
    else:
        optimizer = nn.optim.SGD(model.parameters(), lr=eta)
    X, Y = batch_arrays(mini_batch)
    loss = F.binary_cross_entropy(model(X), Y, reduction="sum") / len(X)
    if spelling == "l2_penalty":
        loss = loss + lmbda / (2 * N_TRAIN) * F.l2_penalty(weights)
    loss.backward()
    optimizer.step()
    before = [w.copy() for w in book.weights]
    _, nabla_w = book.summed_gradient(mini_batch)
    book.update_mini_batch(mini_batch, eta, lmbda, N_TRAIN)
    for layer, w, b, w0, nw in zip(linears, book.weights, book.biases, before, nabla_w):
        np.testing.assert_allclose(layer.weight.data, w, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(layer.bias.data, b[:, 0], rtol=1e-12, atol=1e-14)
        decayed = (1 - eta * lmbda / N_TRAIN) * w0 - eta / len(X) * nw  # the book's formula, written out
        np.testing.assert_allclose(layer.weight.data, decayed, rtol=1e-12, atol=1e-14)
    assert not np.allclose(book.weights[0], before[0] - eta / len(X) * nabla_w[0], rtol=0, atol=1e-6)


def test_default_weight_initializer_keeps_z_narrow_and_the_neurons_unsaturated():
    x = np.r_[np.ones(500), np.zeros(500)]  # the book's 1,000 inputs, half of them on
    default = nn.Linear(1000, 4000, init=lambda w, g: nn.init.kaiming_normal_(w, nonlinearity="sigmoid", generator=g),
                        seed=0)  # fmt: skip
    large = nn.Linear(1000, 4000, init=lambda w, g: nn.init.normal_(w, generator=g), seed=0)
    for layer in (default, large):
        nn.init.normal_(layer.bias, generator=1)  # the book's biases N(0, 1)
    assert default.weight.data.std() == pytest.approx(1000**-0.5, rel=0.01)
    assert default(x).data.std() == pytest.approx(np.sqrt(3 / 2), rel=0.05)  # 4,000 neurons' z
    assert large(x).data.std() == pytest.approx(np.sqrt(501), rel=0.05)
    book = Network2([1000, 4000], np.random.default_rng(0))
    assert book.feedforward(x[:, None]).shape == (4000, 1)
    assert (book.weights[0] @ x + book.biases[0][:, 0]).std() == pytest.approx(np.sqrt(3 / 2), rel=0.05)
    # On the digits (64 inputs), the large weights saturate many more hidden neurons: sigma'(z) < 0.01.
    X_train, *_ = digits_data()
    saturated = {}
    for name in ("default", "large"):
        net = Network2([64, 30, 10], np.random.default_rng(0))
        if name == "large":
            net.large_weight_initializer()
        z = net.weights[0] @ X_train.T + net.biases[0]
        saturated[name] = float((np.abs(z) > 4.6).mean())
    assert saturated["large"] > 0.2 and saturated["default"] < 0.02  # measured: 0.31 against 0.00


def test_monitoring_lists_equal_nn_fit_history_and_nn_evaluate():
    book, model, linears = _book_and_nn_pair(3)
    training_data, evaluation_data = digits_book_data()
    X_train, y_train, X_val, y_val, *_ = digits_data()
    eta, lmbda, epochs = 0.5, 0.1, 4
    lists = book.SGD(training_data, epochs, 10, eta, lmbda, evaluation_data, True, True, True, True, shuffle=False)
    evaluation_cost, evaluation_accuracy, training_cost, training_accuracy = lists
    weights = [layer.weight for layer in linears]
    groups = [{"params": weights, "weight_decay": lmbda / N_TRAIN}, {"params": [layer.bias for layer in linears]}]

    def cross_entropy_cost(output, Y):
        return F.binary_cross_entropy(output, Y, reduction="sum") / len(Y)

    Y_train, Y_val = np.eye(10)[y_train], np.eye(10)[y_val]
    history = nn.fit(model, cross_entropy_cost, nn.optim.SGD(groups, lr=eta), X_train, Y_train, epochs=epochs,
                     batch_size=10, validation=(X_val, Y_val), shuffle=False, progress=False)  # fmt: skip
    for layer, w in zip(linears, book.weights):
        np.testing.assert_allclose(layer.weight.data, w, rtol=1e-10, atol=1e-12)
    assert [round(acc * len(y_val)) for acc in history.val_acc] == evaluation_accuracy
    penalty = 0.5 * lmbda * sum(float((w.data**2).sum()) for w in weights)
    assert history.val_loss[-1] + penalty / len(y_val) == pytest.approx(evaluation_cost[-1], rel=1e-11)
    train_loss, train_acc = nn.evaluate(model, cross_entropy_cost, X_train, Y_train)
    assert train_loss + penalty / N_TRAIN == pytest.approx(training_cost[-1], rel=1e-11)
    assert round(train_acc * N_TRAIN) == training_accuracy[-1]
    assert evaluation_accuracy[-1] > evaluation_accuracy[0] and training_cost[-1] < training_cost[0]


def test_early_stopping_the_book_s_on_accuracy_and_nn_fit_s_on_loss():
    book, model, _ = _book_and_nn_pair(0)
    training_data, evaluation_data = digits_book_data()
    random.seed(0)
    _, accuracy, _, _ = book.SGD(training_data, 100, 10, 0.5, 0.1, evaluation_data,
                                 monitor_evaluation_accuracy=True, early_stopping_n=5)  # fmt: skip
    assert len(accuracy) < 100  # measured: stops after 25 epochs
    assert max(accuracy[-5:]) <= max(accuracy[:-5]) and max(accuracy[:-6]) < accuracy[-6]
    X_train, y_train, X_val, y_val, *_ = digits_data()

    def cross_entropy_cost(output, Y):
        return F.binary_cross_entropy(output, Y, reduction="sum") / len(Y)

    history = nn.fit(model, cross_entropy_cost, nn.optim.SGD(model.parameters(), lr=0.5), X_train,
                     np.eye(10)[y_train], epochs=100, batch_size=10, validation=(X_val, np.eye(10)[y_val]),
                     early_stopping=5, progress=False)  # fmt: skip
    assert history.epochs_run < 100 and history.stopped_reason == "early_stopping"
    best, _ = nn.evaluate(model, cross_entropy_cost, X_val, np.eye(10)[y_val])
    assert best == pytest.approx(min(history.val_loss), rel=1e-12)  # the best epoch's weights, restored
    assert min(history.val_loss) < history.val_loss[-1]


def test_save_load_json_and_nn_save_load_give_the_same_network(tmp_path):
    book, _, _ = _book_and_nn_pair(4)
    training_data, evaluation_data = digits_book_data()
    random.seed(1)
    book.SGD(training_data[:200], 2, 10, 0.5)
    book.save(tmp_path / "net.json")
    again = load(tmp_path / "net.json")
    assert again.sizes == [64, 30, 10] and again.cost is CrossEntropyCost
    X = np.hstack([x for x, _ in evaluation_data])
    np.testing.assert_array_equal(again.feedforward(X), book.feedforward(X))  # JSON keeps float64 exactly
    model = sigmoid_net(again.sizes)
    copy_into(model, again.weights, again.biases)
    path = nn.save(model, tmp_path / "net.npz")
    loaded = nn.load(path).eval()
    np.testing.assert_allclose(loaded(X.T).data, book.feedforward(X).T, rtol=1e-12, atol=1e-15)
    with pytest.raises(ValueError, match=r"net\.json.*not a saved model"):
        nn.load(tmp_path / "net.json")
