"""Kinsley & Kukieła, "Neural Networks from Scratch in Python" (nnfs.io, code at Sentdex/nnfs_book), chapters
2-6 and 9 ported step by step: the single neuron and the layer of neurons with their printed outputs, the
Dense layer, ReLU and softmax on ``spiral_data`` (the printed first rows, to float32), categorical cross-entropy
and accuracy of the untrained net (loss 1.0986), chapter 6's random-search "optimisation", and chapter 9's
backpropagation: the single neuron's printed gradients, the batch's dweights/dbiases/dinputs, ReLU's mask,
softmax's Jacobian and the combined softmax + cross-entropy backward (equal to the separate one, and faster:
measured as a ratio in one run). The book's numpy code with its hand-written backward passes
(tests/nnfs_helpers.py) is the ORACLE; the engine (``ag``) and ``nn`` must reproduce it, and torch too where
installed. Chapters 10-15 are in test_nnfs_ports_optim.py, 16-22 in test_nnfs_ports_model.py.

What the port needed: nothing for these chapters (every printed value came back as it is; the one gap the book
showed, a learning-rate decay per update in ``nn.fit``, is in test_nnfs_ports_model.py).

Where our spelling differs from the book's: ``nn.Linear`` keeps its weight as (out, in) and computes
x @ W.T + b (the book's ``weights`` is (in, out), ``inputs @ weights``), so the book's weights are the
transpose; the book's ReLU backward zeroes the gradient at z <= 0, while the engine's relu'(0) = 1/2 (the
subgradient midpoint, a deliberate design), so the printed examples have no exact zeros; the book clips
softmax outputs to [1e-7, 1 - 1e-7] before the log, ``F.cross_entropy`` works on the raw scores with
log-softmax (no clipping needed, exact when a probability underflows).
"""

import time

import numpy as np
import pytest
from nnfs_helpers import (
    ActivationReLU,
    ActivationSoftmax,
    BookRandom,
    LayerDense,
    LossCategoricalCrossentropy,
    SoftmaxCategoricalCrossentropy,
    book_dot,
    spiral_data,
    vertical_data,
)

import autograd_core as ag
import nn
import nn.functional as F

INPUTS = [[1.0, 2.0, 3.0, 2.5], [2.0, 5.0, -1.0, 2.0], [-1.5, 2.7, 3.3, -0.8]]
WEIGHTS = [[0.2, 0.8, -0.5, 1.0], [0.5, -0.91, 0.26, -0.5], [-0.26, -0.27, 0.17, 0.87]]
BIASES = [2.0, 3.0, 0.5]
WEIGHTS2 = [[0.1, -0.14, 0.5], [-0.5, 0.12, -0.33], [-0.44, 0.73, -0.13]]
BIASES2 = [-1.0, 2.0, -0.5]


# ---------------------------------------------------------------- chapters 2-3: neurons and layers
def test_chapter_2_single_neuron_and_layer_print_the_books_outputs():
    neuron = ag.tensor(INPUTS[0]) @ ag.tensor(WEIGHTS[0]) + 2.0
    assert neuron.item() == pytest.approx(4.8)
    layer = ag.tensor(WEIGHTS) @ ag.tensor(INPUTS[0]) + ag.tensor(BIASES)  # np.dot(weights, inputs) + biases
    np.testing.assert_allclose(layer.data, [4.8, 1.21, 2.385])


def test_chapter_2_layer_as_nn_linear_and_chapter_3_two_layers_on_a_batch():
    layer1, layer2 = nn.Linear(4, 3), nn.Linear(3, 3)
    for linear, w, b in ((layer1, WEIGHTS, BIASES), (layer2, WEIGHTS2, BIASES2)):
        linear.weight.data[...], linear.bias.data[...] = w, b  # the book's rows are nn's (out, in) rows
    out1 = layer1(ag.tensor(INPUTS))
    np.testing.assert_allclose(out1.data, [[4.8, 1.21, 2.385], [8.9, -1.81, 0.2], [1.41, 1.051, 0.026]], atol=1e-12)
    printed = [[0.5031, -1.04185, -2.03875], [0.2434, -2.7332, -5.7633], [-0.99314, 1.41254, -0.35655]]
    np.testing.assert_allclose(layer2(out1).data, printed, atol=1e-12)


def test_chapter_3_dense_layer_on_spiral_data_prints_the_books_first_rows():
    rng = BookRandom(0)  # nnfs.init()
    X, y = spiral_data(100, 3, rng)
    assert X.shape == (300, 2) and X.dtype == np.float32 and np.bincount(y).tolist() == [100, 100, 100]
    dense1 = LayerDense(2, 3, rng)
    book = book_dot(X, dense1.weights) + dense1.biases
    printed = [
        [0.0, 0.0, 0.0],
        [-1.0475188e-04, 1.1395361e-04, -4.7983500e-05],
        [-2.7414842e-04, 3.1729150e-04, -8.6921798e-05],
        [-4.2188365e-04, 5.2666257e-04, -5.5912682e-05],
        [-5.7707680e-04, 7.1401405e-04, -8.9430439e-05],
    ]
    np.testing.assert_allclose(book[:5], printed, rtol=1e-6, atol=1e-12)
    linear = nn.Linear(2, 3, dtype=np.float32)
    linear.weight.data[...] = dense1.weights.T
    np.testing.assert_allclose(linear(ag.tensor(X)).data[:5], printed, rtol=1e-5, atol=1e-10)


# ---------------------------------------------------------------- chapters 4-5: activations, loss, accuracy
def untrained_spiral_net():
    rng = BookRandom(0)
    X, y = spiral_data(100, 3, rng)
    dense1, dense2 = LayerDense(2, 3, rng), LayerDense(3, 3, rng)
    model = nn.Sequential(nn.Linear(2, 3, dtype=np.float32), nn.ReLU(), nn.Linear(3, 3, dtype=np.float32))
    model[0].weight.data[...], model[2].weight.data[...] = dense1.weights.T, dense2.weights.T
    return X, y, dense1, dense2, model


def test_chapter_4_relu_and_softmax_print_the_books_rows():
    X, _y, dense1, dense2, model = untrained_spiral_net()
    relu = ActivationReLU().forward(book_dot(X, dense1.weights) + dense1.biases)
    book = ActivationSoftmax().forward(book_dot(relu, dense2.weights) + dense2.biases)
    printed = [
        [0.33333334, 0.33333334, 0.33333334],
        [0.33333316, 0.3333332, 0.33333364],
        [0.33333287, 0.3333329, 0.33333418],
        [0.3333326, 0.33333263, 0.33333477],
        [0.33333233, 0.3333324, 0.33333528],
    ]
    np.testing.assert_allclose(book[:5], printed, atol=2e-8)
    ours = F.softmax(model(ag.tensor(X)), axis=1)
    np.testing.assert_allclose(ours.data[:5], printed, atol=1e-7)
    np.testing.assert_allclose(ours.data.sum(axis=1), 1.0, atol=1e-6)


def test_chapter_5_untrained_loss_is_log_3_and_accuracy_is_the_books():
    X, y, dense1, dense2, model = untrained_spiral_net()
    relu = ActivationReLU().forward(book_dot(X, dense1.weights) + dense1.biases)
    softmax = ActivationSoftmax().forward(book_dot(relu, dense2.weights) + dense2.biases)
    book_loss = LossCategoricalCrossentropy().calculate(softmax, y)
    book_acc = np.mean(np.argmax(softmax, axis=1) == y)
    assert book_loss == pytest.approx(1.0986104, abs=1e-6) and book_acc == pytest.approx(0.34)
    loss, acc = nn.evaluate(model, F.cross_entropy, X, y.astype(np.int64))
    assert loss == pytest.approx(1.0986104, abs=1e-6) and loss == pytest.approx(np.log(3), abs=1e-4)
    assert acc == pytest.approx(0.34)
    # The book's one-hot targets give the same loss; so does F.cross_entropy's probability-target form.
    one_hot = np.eye(3, dtype=np.float32)[y]
    assert LossCategoricalCrossentropy().calculate(softmax, one_hot) == pytest.approx(book_loss)
    assert F.cross_entropy(model(ag.tensor(X)), one_hot).item() == pytest.approx(book_loss, abs=1e-6)


def test_chapter_5_cross_entropy_of_the_books_three_samples():
    softmax_outputs = np.array([[0.7, 0.1, 0.2], [0.1, 0.5, 0.4], [0.02, 0.9, 0.08]])
    class_targets = np.array([0, 1, 1])
    book = LossCategoricalCrossentropy().calculate(softmax_outputs, class_targets)
    assert book == pytest.approx(0.38506088005216804)  # the book's printed mean of [0.357, 0.693, 0.105]
    ours = F.nll_loss(ag.tensor(softmax_outputs).log(), class_targets)
    assert ours.item() == pytest.approx(book, abs=1e-15)
    # The accuracy example's outputs (the second row now favours class 0): the book prints 0.6666...
    accuracy_outputs = np.array([[0.7, 0.2, 0.1], [0.5, 0.1, 0.4], [0.02, 0.9, 0.08]])
    assert np.mean(np.argmax(accuracy_outputs, axis=1) == class_targets) == pytest.approx(2 / 3)
    model = nn.Sequential(nn.Identity())  # nn.evaluate's argmax accuracy on the same outputs
    assert nn.evaluate(model, F.nll_loss, np.log(accuracy_outputs), class_targets)[1] == pytest.approx(2 / 3)


# ---------------------------------------------------------------- chapter 6: random search
def random_search(X, y, iterations, rng, adjust):
    """Chapter 6: keep the best of random weights (adjust=False) or of random tweaks to the best (True)."""
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 3))
    params = [model[0].weight, model[0].bias, model[2].weight, model[2].bias]
    best = [p.data.copy() for p in params]
    lowest = float("inf")
    for _ in range(iterations):
        for p, b in zip(params, best):
            p.data[...] = b + 0.05 * rng.randn(*b.shape) if adjust else 0.05 * rng.randn(*b.shape)
        loss, _acc = nn.evaluate(model, F.cross_entropy, X, y)
        if loss < lowest:
            lowest, best = loss, [p.data.copy() for p in params]
    for p, b in zip(params, best):
        p.data[...] = b
    return model, lowest


def test_chapter_6_random_search_solves_vertical_data_but_not_spirals():
    rng = BookRandom(0, np.float64)
    X, y = vertical_data(100, 3, rng)
    y = y.astype(np.int64)
    _, first_loss = random_search(X, y, 1, rng, adjust=False)
    model, loss = random_search(X, y, 1000, rng, adjust=True)
    acc = nn.evaluate(model, F.cross_entropy, X, y)[1]
    # The book: loss ~1.0986 at iteration 0, ~0.18 with accuracy ~0.93 after 10,000 tweaks.
    assert first_loss == pytest.approx(np.log(3), abs=0.01) and loss < 0.4 and acc > 0.85
    Xs, ys = spiral_data(100, 3, rng)
    model, spiral_loss = random_search(Xs.astype(np.float64), ys.astype(np.int64), 1000, rng, adjust=True)
    spiral_acc = nn.evaluate(model, F.cross_entropy, Xs.astype(np.float64), ys.astype(np.int64))[1]
    assert spiral_loss > 0.7 and spiral_acc < 0.65  # the book: "barely learned anything" (loss ~1.0, acc ~0.4)


# ---------------------------------------------------------------- chapter 9: backpropagation
def test_chapter_9_single_neuron_gradients_and_one_step():
    x = ag.tensor([1.0, -2.0, 3.0])
    w = ag.tensor([-3.0, -1.0, 2.0], requires_grad=True)
    b = ag.tensor(1.0, requires_grad=True)
    x.requires_grad = True
    z = (x * w).sum() + b
    out = z.relu()
    assert out.item() == 6.0
    out.backward()  # the book's dvalue = 1.0 from the next layer
    # printed: dx = [-3.0, -1.0, 2.0], dw = [1.0, -2.0, 3.0], db = 1.0
    assert x.grad.tolist() == [-3.0, -1.0, 2.0] and w.grad.tolist() == [1.0, -2.0, 3.0] and b.grad.item() == 1.0
    with ag.no_grad():
        w2, b2 = w - 0.001 * w.grad, b - 0.001 * b.grad
        after = ((x * w2).sum() + b2).relu()
    np.testing.assert_allclose(w2.data, [-3.001, -0.998, 1.997])
    np.testing.assert_allclose(b2.data, 0.999)
    assert after.item() == pytest.approx(5.985)  # the book: "6.0 -> 5.985", the output went down


def test_chapter_9_batch_gradients_of_a_dense_layer_are_the_books():
    dvalues = np.array([[1.0, 1.0, 1.0], [2.0, 2.0, 2.0], [3.0, 3.0, 3.0]])
    layer = LayerDense(4, 3, BookRandom(0, np.float64))
    layer.weights, layer.biases = np.array(WEIGHTS).T.copy(), np.array([BIASES])
    layer.forward(np.array(INPUTS))
    layer.backward(dvalues)
    np.testing.assert_allclose(
        layer.dinputs, [[0.44, -0.38, -0.07, 1.37], [0.88, -0.76, -0.14, 2.74], [1.32, -1.14, -0.21, 4.11]]
    )
    np.testing.assert_allclose(layer.dweights, [[0.5] * 3, [20.1] * 3, [10.9] * 3, [4.1] * 3])
    np.testing.assert_allclose(layer.dbiases, [[6.0, 6.0, 6.0]])
    linear = nn.Linear(4, 3)
    linear.weight.data[...], linear.bias.data[...] = WEIGHTS, BIASES
    inputs = ag.tensor(INPUTS, requires_grad=True)
    linear(inputs).backward(dvalues)  # the upstream gradient the book feeds in
    np.testing.assert_allclose(inputs.grad, layer.dinputs, atol=1e-14)
    np.testing.assert_allclose(linear.weight.grad, layer.dweights.T, atol=1e-14)
    np.testing.assert_allclose(linear.bias.grad, layer.dbiases[0], atol=1e-14)


def test_chapter_9_relu_backward_is_the_books_mask_away_from_zero():
    z = np.array([[1.0, 2.0, -3.0, -4.0], [2.0, -7.0, -1.0, 3.0], [-1.0, 2.0, 5.0, -1.0]])
    dvalues = np.arange(1.0, 13.0).reshape(3, 4)
    book = ActivationReLU()
    book.forward(z)
    np.testing.assert_array_equal(book.backward(dvalues), [[1, 2, 0, 0], [5, 0, 0, 8], [0, 10, 11, 0]])
    zt = ag.tensor(z, requires_grad=True)
    zt.relu().backward(dvalues)
    np.testing.assert_array_equal(zt.grad, book.dinputs)
    # At exactly 0 the book's mask gives 0, the engine 1/2 (our kink convention).
    at_zero = ag.tensor([0.0], requires_grad=True)
    at_zero.relu().backward(np.ones(1))
    assert at_zero.grad.tolist() == [0.5]


def test_chapter_9_softmax_jacobian_backward_equals_the_engine():
    rng = np.random.default_rng(0)
    logits, dvalues = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    book = ActivationSoftmax()
    book.forward(logits)
    book.backward(dvalues)
    x = ag.tensor(logits, requires_grad=True)
    F.softmax(x, axis=1).backward(dvalues)
    np.testing.assert_allclose(x.grad, book.dinputs, atol=1e-15)
    assert ag.gradcheck(lambda t: F.softmax(t, axis=1), (ag.tensor(logits, requires_grad=True),))


def test_chapter_9_combined_softmax_cross_entropy_backward_equals_the_separate_one():
    softmax_outputs = np.array([[0.7, 0.1, 0.2], [0.1, 0.5, 0.4], [0.02, 0.9, 0.08]])
    class_targets = np.array([0, 1, 1])
    combined = SoftmaxCategoricalCrossentropy()
    combined.backward(softmax_outputs, class_targets)
    activation, loss = ActivationSoftmax(), LossCategoricalCrossentropy()
    activation.output = softmax_outputs
    activation.backward(loss.backward(softmax_outputs, class_targets))
    printed = [
        [-0.1, 0.03333333, 0.06666667],
        [0.03333333, -0.16666667, 0.13333333],
        [0.00666667, -0.03333333, 0.02666667],
    ]
    np.testing.assert_allclose(combined.dinputs, printed, atol=5e-9)
    np.testing.assert_allclose(activation.dinputs, combined.dinputs, atol=1e-15)  # the book: "the same"
    # The engine, from logits whose softmax is those outputs (softmax is shift-invariant, so log works).
    logits = ag.tensor(np.log(softmax_outputs), requires_grad=True)
    F.cross_entropy(logits, class_targets).backward()
    np.testing.assert_allclose(logits.grad, printed, atol=5e-9)
    separate = ag.tensor(np.log(softmax_outputs), requires_grad=True)
    F.nll_loss(F.softmax(separate, axis=1).log(), class_targets).backward()
    np.testing.assert_allclose(separate.grad, logits.grad, atol=1e-15)


def test_chapter_9_combined_backward_is_faster_measured_as_a_ratio_in_one_run():
    # The book times 10,000 backward passes of each on its 3 samples and prints ~7x ("7 times faster").
    softmax_outputs = np.array([[0.7, 0.1, 0.2], [0.1, 0.5, 0.4], [0.02, 0.9, 0.08]])
    class_targets = np.array([0, 1, 1])
    combined, activation, loss = SoftmaxCategoricalCrossentropy(), ActivationSoftmax(), LossCategoricalCrossentropy()
    activation.output = softmax_outputs

    def run_combined():
        combined.backward(softmax_outputs, class_targets)

    def run_separate():
        activation.backward(loss.backward(softmax_outputs, class_targets))

    def cpu_time(fn, repeats=300):
        start = time.process_time()
        for _ in range(repeats):
            fn()
        return time.process_time() - start

    # The engine's two spellings of the same loss: F.cross_entropy (log-softmax, one fused expression) against
    # softmax, log and nll_loss recorded separately; the gradients are equal (the test above).
    logits = np.log(softmax_outputs)

    def engine_combined():
        x = ag.tensor(logits, requires_grad=True)
        F.cross_entropy(x, class_targets).backward()

    def engine_separate():
        x = ag.tensor(logits, requires_grad=True)
        F.nll_loss(F.softmax(x, axis=1).log(), class_targets).backward()

    book_ratios, engine_ratios = [], []
    for _ in range(5):  # interleaved, so a busy machine slows both alike
        separate, fast = cpu_time(run_separate), cpu_time(run_combined)
        book_ratios.append(separate / max(fast, 1e-9))
        separate, fast = cpu_time(engine_separate, 100), cpu_time(engine_combined, 100)
        engine_ratios.append(separate / max(fast, 1e-9))
    # Measured: the book's ~4x on these 3 samples (~70x on 300: its Jacobian loop is per sample); ours ~1.6x.
    assert np.median(book_ratios) > 2.0, book_ratios
    assert np.median(engine_ratios) > 1.2, engine_ratios


def test_chapter_9_gradients_equal_torchs():
    torch = pytest.importorskip("torch")
    dvalues = np.array([[1.0, 1.0, 1.0], [2.0, 2.0, 2.0], [3.0, 3.0, 3.0]])
    grads = {}
    for lib, cross_entropy in ((ag, F.cross_entropy), (torch, torch.nn.functional.cross_entropy)):
        inputs = lib.tensor(INPUTS, dtype=lib.float64, requires_grad=True)
        w = lib.tensor(WEIGHTS, dtype=lib.float64, requires_grad=True)
        b = lib.tensor(BIASES, dtype=lib.float64, requires_grad=True)
        logits = (inputs @ w.T + b).relu()
        out = logits * lib.tensor(dvalues, dtype=lib.float64)  # the book's upstream gradient, then the loss
        loss = out.sum() + cross_entropy(logits, lib.tensor([0, 1, 1]))
        loss.backward()
        grads[lib.__name__] = [np.asarray(t.grad) for t in (inputs, w, b)]
    for ours, theirs in zip(grads["autograd_core"], grads["torch"]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)
