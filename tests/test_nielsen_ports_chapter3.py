"""Nielsen's "Neural Networks and Deep Learning", the rest of chapter 3 and chapter 5, ported step by step: the
softmax output layer with the log-likelihood cost, L1 regularisation, dropout, and the vanishing (and
exploding) gradient measurements. The book's hand-derived backprop (tests/nielsen_helpers.py, and the
softmax and dropout variants written out below) is the ORACLE; the engine's gradients of the same
networks in this repo's ``nn`` must equal it to ~1e-12 in float64 (and torch's, where it is installed).

Ported: softmax + log-likelihood C = -ln a^L_y, whose output error is delta^L = a^L - y (the engine's
dC/dz through ``F.cross_entropy`` and through ``nn.LogSoftmax`` + ``nn.NLLLoss``), softmax's outputs
summing to 1 and rising z_j raising a_j only; L1's step w -> w - (eta lmbda / n) sgn(w) - eta dC0/dw with
sgn(0) = 0 (``loss + lmbda / n * F.l1_penalty(weights)``); dropout of half the hidden neurons (its
backprop with the mask, and a dropout net trained on the digits: measured 0.98); momentum-based gradient
descent v -> mu v - eta grad C, w -> w + v (``SGD(momentum=mu)``: its v is the book's over -eta); chapter 5's
speed of learning ||delta^l|| = ||dC/db^l|| of the hidden layers at initialisation, over the 1,000
training digits: measured 0.0017, 0.0107, 0.050, 0.24 for [64, 30, 30, 30, 30, 10] (the book, on MNIST:
0.003, 0.017, 0.070, 0.285), each layer slower than the next; and the chain of single neurons where
dC/db_1 = sigma'(z_1) w_2 sigma'(z_2) w_3 sigma'(z_3) w_4 sigma'(z_4) dC/da_4: each |w sigma'(z)| < 1/4
for |w| < 1 (vanishing), and w = 100 with z = 0 multiplies the gradient by 25 a layer (exploding); the
variable learning rate (halve eta when the validation accuracy stops rising) as ``nn.fit(...,
scheduler=ReduceLROnPlateau(optimizer, mode="max", factor=0.5))``: fit stepped every plateau scheduler on
the loss, so ``mode="max"`` cut the rate while the model learned; it now steps it on the accuracy (and
refuses ``mode="max"`` when it measures none).

Where the book's spelling differs here: the book's ``SoftmaxLayer`` + log-likelihood is ``nn.Linear``
followed by ``F.cross_entropy`` on the raw scores z (it takes log-softmax itself; or ``nn.LogSoftmax`` +
``nn.NLLLoss``); the book's dropout deletes hidden neurons without rescaling during training and halves
the outgoing weights to evaluate, where ``nn.Dropout`` scales the kept activations by 1/(1 - p) while
training and is the identity in ``eval()``: the same networks, with the book's outgoing weights twice
``nn``'s (asserted below).
"""

import numpy as np
import pytest
from nielsen_helpers import (
    Network2,
    as_numpy,
    batch_arrays,
    book_data,
    copy_into,
    digits_data,
    sigmoid,
    sigmoid_net,
    sigmoid_prime,
)

import autograd_core as ag
import nn
import nn.functional as F


def softmax(z):
    e = np.exp(z - z.max(axis=0))
    return e / e.sum(axis=0)


def softmax_backprop(net, x, y, mask=None, p=0.0):
    """(nabla_b, nabla_w) by hand of a net with sigmoid hidden layers and a softmax output layer under the
    log-likelihood cost: delta^L = a^L - y, then BP2 to BP4. ``mask`` (0/1, the shape of the first hidden
    layer) drops hidden neurons as inverted dropout does: their outputs times mask / (1 - p)."""
    activations, zs = [x], []
    for layer, (b, w) in enumerate(zip(net.biases, net.weights)):
        z = w @ activations[-1] + b
        zs.append(z)
        a = softmax(z) if layer == len(net.weights) - 1 else sigmoid(z)
        activations.append(a * mask / (1 - p) if layer == 0 and mask is not None else a)
    delta = activations[-1] - y  # the log-likelihood's output error
    nabla_b, nabla_w = [delta], [delta @ activations[-2].T]
    for layer in range(2, net.num_layers):
        delta = (net.weights[-layer + 1].T @ delta) * sigmoid_prime(zs[-layer])
        if layer == net.num_layers - 1 and mask is not None:
            delta = delta * mask / (1 - p)  # a dropped neuron passes no error back
        nabla_b.insert(0, delta)
        nabla_w.insert(0, delta @ activations[-layer - 1].T)
    return nabla_b, nabla_w


def summed(backprop, mini_batch, **kwargs):
    grads = [backprop(x, y, **{k: v[:, [i]] if k == "mask" else v for k, v in kwargs.items()})
             for i, (x, y) in enumerate(mini_batch)]  # fmt: skip
    return [sum(g[0][i] for g in grads) for i in range(len(grads[0][0]))], [
        sum(g[1][i] for g in grads) for i in range(len(grads[0][1]))
    ]


def training_batch(size, start=0):
    X_train, y_train, *_ = digits_data()
    return book_data(X_train[start : start + size], y_train[start : start + size], vectorize=True)


def linear_layers(model):
    return [layer for layer in model if isinstance(layer, nn.Linear)]


def assert_grads_equal(linears, nabla_b, nabla_w, rtol=1e-12):
    for layer, nb, nw in zip(linears, nabla_b, nabla_w, strict=True):
        np.testing.assert_allclose(layer.weight.grad, nw, rtol=rtol, atol=1e-14)
        np.testing.assert_allclose(layer.bias.grad, nb[:, 0], rtol=rtol, atol=1e-14)


# ---------------------------------------------------------------- softmax and the log-likelihood
def _softmax_net(net):
    model = nn.Sequential(nn.Linear(64, 30), nn.Sigmoid(), nn.Linear(30, 10))  # scores z^L, no sigmoid
    copy_into(model, net.weights, net.biases)
    return model


@pytest.mark.parametrize("spelling", ["cross_entropy", "LogSoftmax+NLLLoss"])
def test_softmax_log_likelihood_output_error_is_a_minus_y(spelling):
    net = Network2([64, 30, 10], np.random.default_rng(0))
    model = _softmax_net(net)
    mini_batch = training_batch(10)
    X, Y = batch_arrays(mini_batch)
    labels = Y.argmax(axis=1)
    z = model(X)
    z.retain_grad()
    if spelling == "cross_entropy":
        cost = F.cross_entropy(z, labels, reduction="sum")
    else:
        cost = nn.NLLLoss(reduction="sum")(nn.LogSoftmax(dim=1)(z), labels)
    a = softmax(z.data.T)
    assert cost.item() == pytest.approx(-np.log(a[labels, np.arange(10)]).sum(), rel=1e-13)  # C = -ln a_y
    cost.backward()
    np.testing.assert_allclose(z.grad, (a - Y.T).T, rtol=1e-12, atol=1e-15)  # delta^L = a^L - y
    assert_grads_equal(linear_layers(model), *summed(lambda x, y: softmax_backprop(net, x, y), mini_batch))
    torch = pytest.importorskip("torch")
    scores = torch.tensor(z.data, requires_grad=True)
    torch.nn.functional.cross_entropy(scores, torch.tensor(labels), reduction="sum").backward()
    np.testing.assert_allclose(z.grad, as_numpy(scores.grad), rtol=1e-12, atol=1e-15)


def test_softmax_outputs_are_a_distribution_and_z_j_raises_a_j_only():
    z = ag.tensor(np.random.default_rng(1).normal(0, 2, 6), requires_grad=True)
    a = F.softmax(z, dim=0)
    assert np.all(a.data > 0) and a.data.sum() == pytest.approx(1.0, abs=1e-15)
    a[2].backward()  # d a_2 / d z_k: a_2 (1 - a_2) for k = 2, -a_2 a_k otherwise
    want = -a.data[2] * a.data
    want[2] = a.data[2] * (1 - a.data[2])
    np.testing.assert_allclose(z.grad, want, rtol=1e-12)
    assert z.grad[2] > 0 and np.all(np.delete(z.grad, 2) < 0)


# ---------------------------------------------------------------- L1 regularisation
def test_l1_step_shrinks_each_weight_by_a_constant_eta_lmbda_over_n_and_zero_not_at_all():
    net = Network2([64, 30, 10], np.random.default_rng(2))
    net.weights[1][0, :5] = 0.0  # sgn(0) = 0: these move by the data's gradient only
    model = sigmoid_net([64, 30, 10])
    linears = copy_into(model, net.weights, net.biases)
    mini_batch, eta, lmbda, n = training_batch(10, start=30), 0.5, 5.0, 1000
    X, Y = batch_arrays(mini_batch)
    weights = [layer.weight for layer in linears]
    loss = F.binary_cross_entropy(model(X), Y, reduction="sum") / len(X) + lmbda / n * F.l1_penalty(weights)
    loss.backward()
    nn.optim.SGD(model.parameters(), lr=eta).step()
    nabla_b, nabla_w = net.summed_gradient(mini_batch)
    for layer, w, b, nw, nb in zip(linears, net.weights, net.biases, nabla_w, nabla_b):
        stepped = w - eta * lmbda / n * np.sign(w) - eta / len(X) * nw  # the book's L1 update
        np.testing.assert_allclose(layer.weight.data, stepped, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(layer.bias.data, (b - eta / len(X) * nb)[:, 0], rtol=1e-12, atol=1e-14)
    zero_moved = linears[1].weight.data[0, :5]
    np.testing.assert_allclose(zero_moved, -eta / len(X) * nabla_w[1][0, :5], rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------- dropout
def test_dropout_of_half_the_hidden_neurons_matches_the_book_s_backprop_with_the_mask():
    net = Network2([64, 30, 10], np.random.default_rng(3))
    linear1, sigmoid1, dropout, linear2 = nn.Linear(64, 30), nn.Sigmoid(), nn.Dropout(0.5, seed=0), nn.Linear(30, 10)
    model = nn.Sequential(linear1, sigmoid1, dropout, linear2)
    copy_into(model, net.weights, net.biases)
    mini_batch = training_batch(200)
    X, Y = batch_arrays(mini_batch)
    hidden = sigmoid1(linear1(X))
    kept = dropout(hidden)
    mask = (kept.data != 0).astype(float)  # sigmoid outputs are never 0: the zeros are the dropped
    assert mask.mean() == pytest.approx(0.5, abs=0.02)
    np.testing.assert_allclose(kept.data, 2 * hidden.data * mask, rtol=1e-15)
    F.cross_entropy(linear2(kept), Y.argmax(axis=1), reduction="sum").backward()
    want = summed(lambda x, y, mask: softmax_backprop(net, x, y, mask, 0.5), mini_batch, mask=mask.T)
    assert_grads_equal([linear1, linear2], *want)
    # The book: no rescaling while training, outgoing weights halved to evaluate; its weights are twice nn's.
    book_w2 = 2 * linear2.weight.data
    np.testing.assert_allclose(linear2(kept).data, (hidden.data * mask) @ book_w2.T + linear2.bias.data, rtol=1e-13)
    model.eval()
    np.testing.assert_allclose(model(X).data, hidden.data @ (book_w2 / 2).T + linear2.bias.data, rtol=1e-13)


def test_dropout_network_trains_on_the_digits_and_evaluates_without_dropping():
    X_train, y_train, _, _, X_test, y_test = digits_data()
    model = nn.Sequential(nn.Linear(64, 100), nn.Sigmoid(), nn.Dropout(0.5, seed=0), nn.Linear(100, 10))
    history = nn.fit(model, F.cross_entropy, nn.optim.SGD(model.parameters(), lr=0.5), X_train, y_train, epochs=20,
                     batch_size=10, progress=False)  # fmt: skip
    assert history.step == "define-by-run"  # Dropout's fresh masks every step
    model.eval()
    np.testing.assert_array_equal(model(X_test).data, model(X_test).data)  # no mask in eval(): deterministic
    assert float((model(X_test).data.argmax(axis=1) == y_test).mean()) > 0.9  # measured: 0.98


# ---------------------------------------------------------------- chapter 3: momentum
def test_momentum_v_mu_v_minus_eta_grad_is_sgd_momentum():
    # The book: v -> mu v - eta grad C, w -> w + v; PyTorch's (and nn's): v -> mu v + grad C, w -> w - eta v.
    net = Network2([64, 30, 10], np.random.default_rng(6))
    model = sigmoid_net([64, 30, 10])
    linears = copy_into(model, net.weights, net.biases)
    optimizer = nn.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    velocities = [np.zeros_like(p) for p in net.weights + net.biases]
    training_data = training_batch(50)
    for k in range(0, 50, 10):
        mini_batch = training_data[k : k + 10]
        X, Y = batch_arrays(mini_batch)
        optimizer.zero_grad()
        (F.binary_cross_entropy(model(X), Y, reduction="sum") / 10).backward()
        optimizer.step()
        nabla_b, nabla_w = net.summed_gradient(mini_batch)
        velocities = [0.9 * v - 0.5 / 10 * g for v, g in zip(velocities, nabla_w + nabla_b)]
        net.weights = [w + v for w, v in zip(net.weights, velocities[:2])]
        net.biases = [b + v for b, v in zip(net.biases, velocities[2:])]
    for layer, w, b in zip(linears, net.weights, net.biases):
        np.testing.assert_allclose(layer.weight.data, w, rtol=1e-11, atol=1e-13)
        np.testing.assert_allclose(layer.bias.data, b[:, 0], rtol=1e-11, atol=1e-13)
    assert np.abs(velocities[0]).max() > 1e-3


# ---------------------------------------------------------------- chapter 5: vanishing and exploding gradients
@pytest.mark.parametrize("hidden", [2, 3, 4])
def test_hidden_layers_learn_slower_layer_by_layer_toward_the_input(hidden):
    sizes = [64] + [30] * hidden + [10]
    net = Network2(sizes, np.random.default_rng(0))  # the default initialiser, cross-entropy cost
    X_train, y_train, *_ = digits_data()
    nabla_b, _ = net.summed_gradient(book_data(X_train, y_train, vectorize=True))
    speeds = [np.linalg.norm(nb / len(y_train)) for nb in nabla_b[:-1]]  # ||delta^l||, hidden layers
    model = sigmoid_net(sizes)
    linears = copy_into(model, net.weights, net.biases)
    (F.binary_cross_entropy(model(X_train), np.eye(10)[y_train], reduction="sum") / len(y_train)).backward()
    engine_speeds = [np.linalg.norm(layer.bias.grad) for layer in linears[:-1]]
    np.testing.assert_allclose(engine_speeds, speeds, rtol=1e-11)
    assert speeds == sorted(speeds) and len(set(speeds)) == len(speeds)  # each layer slower than the next
    assert speeds[0] < speeds[-1] / 4 ** (hidden - 1)  # measured ratios: 5, 21, 140


def _chain(w, b, x=1.0):
    """Four single sigmoid neurons in a row, C = (a_4 - 0)^2 / 2: the engine's dC/db_j and each z_j."""
    ws = [ag.tensor(v) for v in w]
    bs = [ag.tensor(v, requires_grad=True) for v in b]
    a, zs = ag.tensor(x), []
    for wj, bj in zip(ws, bs):
        zs.append(wj * a + bj)
        a = ag.sigmoid(zs[-1])
    (0.5 * a**2).backward()
    return [float(bj.grad) for bj in bs], [float(z.data) for z in zs], float(a.data)


def test_the_chain_of_single_neurons_the_gradient_is_a_product_of_w_sigma_prime_terms():
    rng = np.random.default_rng(5)
    w, b = rng.uniform(-1, 1, 4), rng.normal(0, 1, 4)
    grads, zs, a4 = _chain(w, b)
    factors = [w[j + 1] * sigmoid_prime(zs[j]) for j in range(3)]  # w_{j+1} sigma'(z_j)
    assert grads[3] == pytest.approx(sigmoid_prime(zs[3]) * a4, rel=1e-13)  # sigma'(z_4) dC/da_4
    for j in range(3):
        assert grads[j] == pytest.approx(grads[j + 1] * factors[j], rel=1e-12)
    assert all(abs(f) < 0.25 for f in factors)  # |w| < 1 and sigma' <= 1/4: vanishing
    assert abs(grads[0]) < abs(grads[2]) / 16
    # Exploding: w = 100 and b = -100 a_{j-1} put every z_j at 0, so each factor is 100 * 1/4 = 25.
    w, b = [1.0, 100.0, 100.0, 100.0], [0.0, -50.0, -50.0, -50.0]
    grads, zs, _ = _chain(w, b, x=0.0)
    assert zs == [0.0, 0.0, 0.0, 0.0]
    assert [grads[j] / grads[j + 1] for j in range(3)] == pytest.approx([25.0] * 3, rel=1e-13)


# ---------------------------------------------------------------- chapter 3's variable learning rate
def _halvings_by_the_book(accuracies, eta, patience):
    """The rate of each epoch when eta is halved once the validation accuracy has not risen for more than
    ``patience`` epochs (the book's schedule, with PyTorch's patience count)."""
    rates, best, stale = [eta], -np.inf, 0
    for accuracy in accuracies[:-1]:
        best, stale = (accuracy, 0) if accuracy > best else (best, stale + 1)
        if stale > patience:
            eta, stale = eta / 2, 0
        rates.append(eta)
    return rates


def test_learning_rate_halved_when_the_validation_accuracy_stalls_reduce_lr_on_plateau_mode_max():
    X_train, y_train, X_val, y_val, *_ = digits_data()
    model = sigmoid_net([64, 30, 10])
    optimizer = nn.optim.SGD(model.parameters(), lr=2.0)
    halve = nn.optim.ReduceLROnPlateau(optimizer, mode="max", factor=0.5, patience=1, threshold=0.0)

    def cross_entropy_cost(output, Y):
        return F.binary_cross_entropy(output, Y, reduction="sum") / len(Y)

    history = nn.fit(model, cross_entropy_cost, optimizer, X_train, np.eye(10)[y_train], epochs=12, batch_size=10,
                     validation=(X_val, np.eye(10)[y_val]), scheduler=halve, progress=False)  # fmt: skip
    assert history.lr == _halvings_by_the_book(history.val_acc, 2.0, patience=1)
    assert history.lr[-1] < 2.0  # measured: halved once, after two epochs (9, 10) without a higher accuracy
    with pytest.raises(ValueError, match=r"mode='max'.*accuracy=f\(output, y\)"):
        nn.fit(model, cross_entropy_cost, optimizer, X_train, np.eye(10)[y_train], epochs=1, accuracy=None,
               scheduler=halve, progress=False)  # fmt: skip
