"""Michael Nielsen's "Neural Networks and Deep Learning" code as the book defines it, for
tests/test_nielsen_ports*.py: ``network.py``'s sigmoid network with its hand-derived ``backprop`` (the
four equations BP1-BP4) and ``update_mini_batch``; ``network2.py``'s costs (``QuadraticCost`` and
``CrossEntropyCost`` with their ``delta``), L2 regularisation, the two weight initialisers, monitoring,
early stopping and JSON save/load; and the data in the book's shape (column vectors, one-hot
``vectorized_result`` targets). This numpy code is the ORACLE the engine is checked against.

Where it differs from the book: the weights are drawn from a seeded ``numpy.random.Generator`` (the
book calls ``np.random.randn``); network2's ``SGD`` takes ``shuffle=False`` (to follow ``nn.fit(...,
shuffle=False)`` batch for batch); ``Network2`` reuses network.py's ``backprop`` with the cost's delta;
the bundled 8x8 digits (64 pixels, scaled to 0..1 as MNIST's are) stand in for MNIST (a download):
1,000 training, 397 validation and 400 test images.
"""

import functools
import itertools
import json
import random

import numpy as np

import autograd_core as ag
import nn


@functools.cache
def digits_data():
    """(X_train, y_train, X_val, y_val, X_test, y_test): rows of 64 pixels in 0..1, labels 0..9."""
    X, y = nn.datasets.load_digits()
    order = np.random.default_rng(0).permutation(len(y))
    X, y = X[order] / 16.0, y[order]
    return X[:1000], y[:1000], X[1000:1397], y[1000:1397], X[1397:], y[1397:]


def vectorized_result(j):
    """A (10, 1) column with 1.0 at index j: the desired output of the network for digit j."""
    e = np.zeros((10, 1))
    e[j] = 1.0
    return e


def book_data(X, y, vectorize):
    """The book's list of (x, y) pairs: x a (64, 1) column; y one-hot (training) or the digit (test)."""
    return [(x.reshape(-1, 1), vectorized_result(t) if vectorize else int(t)) for x, t in zip(X, y)]


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z):
    """The derivative of the sigmoid function: sigma(z) (1 - sigma(z))."""
    return sigmoid(z) * (1 - sigmoid(z))


class Network:
    """network.py: layers of sigmoid neurons, the quadratic cost C = 1/(2n) sum ||y - a||^2,
    mini-batch stochastic gradient descent, and backpropagation by hand."""

    def __init__(self, sizes, rng):
        self.num_layers = len(sizes)
        self.sizes = sizes
        self.biases = [rng.standard_normal((n, 1)) for n in sizes[1:]]
        self.weights = [rng.standard_normal((n, m)) for m, n in itertools.pairwise(sizes)]

    def feedforward(self, a):
        for b, w in zip(self.biases, self.weights):
            a = sigmoid(w @ a + b)
        return a

    def SGD(self, training_data, epochs, mini_batch_size, eta, test_data=None):
        """Shuffle (``random.shuffle``), cut into mini-batches, take a step on each; returns the number
        of test images right after each epoch (the book prints "Epoch j: k / n")."""
        training_data, correct = list(training_data), []
        for _ in range(epochs):
            random.shuffle(training_data)
            for k in range(0, len(training_data), mini_batch_size):
                self.update_mini_batch(training_data[k : k + mini_batch_size], eta)
            if test_data:
                correct.append(self.evaluate(test_data))
        return correct

    def update_mini_batch(self, mini_batch, eta):
        """w -> w - (eta/m) sum_x dC_x/dw, the same for b: one gradient descent step on one mini-batch."""
        nabla_b, nabla_w = self.summed_gradient(mini_batch)
        self.weights = [w - (eta / len(mini_batch)) * nw for w, nw in zip(self.weights, nabla_w)]
        self.biases = [b - (eta / len(mini_batch)) * nb for b, nb in zip(self.biases, nabla_b)]

    def summed_gradient(self, mini_batch):
        """sum over the mini-batch of ``backprop(x, y)`` (the first half of update_mini_batch)."""
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in mini_batch:
            delta_nabla_b, delta_nabla_w = self.backprop(x, y)
            nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_nabla_b)]
            nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w)]
        return nabla_b, nabla_w

    def backprop(self, x, y):
        """(nabla_b, nabla_w) of C_x = ||y - a^L||^2 / 2, layer by layer, by the four equations:
        BP1 delta^L = (a^L - y) * sigma'(z^L); BP2 delta^l = (w^{l+1}.T delta^{l+1}) * sigma'(z^l);
        BP3 dC/db^l = delta^l; BP4 dC/dw^l = delta^l (a^{l-1}).T."""
        activation, activations, zs = x, [x], []
        for b, w in zip(self.biases, self.weights):
            z = w @ activation + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        delta = self.output_delta(zs[-1], activations[-1], y)  # BP1
        nabla_b[-1], nabla_w[-1] = delta, delta @ activations[-2].T  # BP3, BP4
        for layer in range(2, self.num_layers):
            delta = (self.weights[-layer + 1].T @ delta) * sigmoid_prime(zs[-layer])  # BP2
            nabla_b[-layer], nabla_w[-layer] = delta, delta @ activations[-layer - 1].T
        return nabla_b, nabla_w

    def evaluate(self, test_data):
        """How many test inputs the network gets right: the output neuron with the highest activation."""
        return sum(int(np.argmax(self.feedforward(x)) == y) for x, y in test_data)

    def cost_derivative(self, output_activations, y):
        """dC_x/da for the quadratic cost."""
        return output_activations - y

    def output_delta(self, z, a, y):
        """BP1 (network2.py asks its cost for this instead)."""
        return self.cost_derivative(a, y) * sigmoid_prime(z)


def as_numpy(value):
    """A copy of a gradient or a value: a numpy array here, a Tensor in torch."""
    return value.copy() if isinstance(value, np.ndarray) else value.detach().numpy().copy()


def sigmoid_net(sizes):
    """The book's network as this repo's layers: Linear + Sigmoid, layer after layer."""
    layers = []
    for m, n in itertools.pairwise(sizes):
        layers += [nn.Linear(m, n), nn.Sigmoid()]
    return nn.Sequential(*layers)


def copy_into(model, weights, biases):
    """Put the book's (n, m) weights and (n, 1) biases into the Linear layers of ``model``."""
    linears = [layer for layer in model if isinstance(layer, nn.Linear)]
    with ag.no_grad():
        for layer, w, b in zip(linears, weights, biases, strict=True):
            layer.weight.data[...] = w
            layer.bias.data[...] = b[:, 0]
    return linears


def batch_arrays(mini_batch):
    """A mini-batch of the book's (x, y) columns as rows: X (m, 64), Y (m, 10)."""
    return np.hstack([x for x, _ in mini_batch]).T, np.hstack([y for _, y in mini_batch]).T


# ---------------------------------------------------------------- network2.py
class QuadraticCost:
    @staticmethod
    def fn(a, y):
        return 0.5 * np.linalg.norm(a - y) ** 2

    @staticmethod
    def delta(z, a, y):
        """The output error delta^L: (a - y) sigma'(z), slow when the neuron saturates."""
        return (a - y) * sigmoid_prime(z)


class CrossEntropyCost:
    @staticmethod
    def fn(a, y):
        """-sum y ln a + (1 - y) ln(1 - a); nan_to_num turns 0 * log(0) into 0."""
        return np.sum(np.nan_to_num(-y * np.log(a) - (1 - y) * np.log(1 - a)))

    @staticmethod
    def delta(z, a, y):
        """The output error delta^L: a - y (sigma'(z) has cancelled)."""
        return a - y


class Network2(Network):
    """network2.py: a choice of cost, L2 regularisation, weights N(0, 1/sqrt(n_in)) by default."""

    def __init__(self, sizes, rng, cost=CrossEntropyCost):
        self.num_layers, self.sizes, self.cost, self.rng = len(sizes), sizes, cost, rng
        self.default_weight_initializer()

    def default_weight_initializer(self):
        """Biases N(0, 1); weights N(0, 1) / sqrt(number of inputs), so z = w.x + b rarely saturates."""
        self.biases = [self.rng.standard_normal((n, 1)) for n in self.sizes[1:]]
        self.weights = [self.rng.standard_normal((n, m)) / np.sqrt(m) for m, n in itertools.pairwise(self.sizes)]

    def large_weight_initializer(self):
        """network.py's N(0, 1) weights and biases (for comparison)."""
        self.biases = [self.rng.standard_normal((n, 1)) for n in self.sizes[1:]]
        self.weights = [self.rng.standard_normal((n, m)) for m, n in itertools.pairwise(self.sizes)]

    def output_delta(self, z, a, y):
        return self.cost.delta(z, a, y)

    def SGD(self, training_data, epochs, mini_batch_size, eta, lmbda=0.0, evaluation_data=None,
            monitor_evaluation_cost=False, monitor_evaluation_accuracy=False, monitor_training_cost=False,
            monitor_training_accuracy=False, early_stopping_n=0, shuffle=True):  # fmt: skip
        """Returns (evaluation_cost, evaluation_accuracy, training_cost, training_accuracy), one entry an
        epoch for each monitor switched on; with ``early_stopping_n`` > 0, stops once the evaluation
        accuracy has not beaten its best for that many epochs."""
        training_data, n = list(training_data), len(training_data)
        evaluation_cost, evaluation_accuracy, training_cost, training_accuracy = [], [], [], []
        best_accuracy, epochs_without_gain = 0, 0
        for _ in range(epochs):
            if shuffle:
                random.shuffle(training_data)
            for k in range(0, n, mini_batch_size):
                self.update_mini_batch(training_data[k : k + mini_batch_size], eta, lmbda, n)
            if monitor_training_cost:
                training_cost.append(self.total_cost(training_data, lmbda))
            if monitor_training_accuracy:
                training_accuracy.append(self.accuracy(training_data, convert=True))
            if monitor_evaluation_cost:
                evaluation_cost.append(self.total_cost(evaluation_data, lmbda, convert=True))
            if monitor_evaluation_accuracy:
                evaluation_accuracy.append(self.accuracy(evaluation_data))
            if early_stopping_n > 0:
                if evaluation_accuracy[-1] > best_accuracy:
                    best_accuracy, epochs_without_gain = evaluation_accuracy[-1], 0
                else:
                    epochs_without_gain += 1
                if epochs_without_gain == early_stopping_n:
                    break
        return evaluation_cost, evaluation_accuracy, training_cost, training_accuracy

    def update_mini_batch(self, mini_batch, eta, lmbda, n):
        """Weight decay then the step: w -> (1 - eta lmbda / n) w - (eta / m) sum nabla_w; b unregularised."""
        nabla_b, nabla_w = self.summed_gradient(mini_batch)
        m = len(mini_batch)
        self.weights = [(1 - eta * (lmbda / n)) * w - (eta / m) * nw for w, nw in zip(self.weights, nabla_w)]
        self.biases = [b - (eta / m) * nb for b, nb in zip(self.biases, nabla_b)]

    def total_cost(self, data, lmbda, convert=False):
        """The mean cost over ``data`` plus (lmbda / 2n) sum ||w||^2, n = len(data)."""
        cost = sum(self.cost.fn(self.feedforward(x), vectorized_result(y) if convert else y) for x, y in data)
        penalty = 0.5 * (lmbda / len(data)) * sum(np.linalg.norm(w) ** 2 for w in self.weights)
        return cost / len(data) + penalty

    def accuracy(self, data, convert=False):
        """How many of ``data`` are right; ``convert``: the targets are one-hot (training data)."""
        return sum(int(np.argmax(self.feedforward(x)) == (np.argmax(y) if convert else y)) for x, y in data)

    def save(self, filename):
        """The sizes, weights, biases and the cost's name, as JSON."""
        data = {
            "sizes": self.sizes,
            "weights": [w.tolist() for w in self.weights],
            "biases": [b.tolist() for b in self.biases],
            "cost": self.cost.__name__,
        }
        with open(filename, "w") as f:
            json.dump(data, f)


def load(filename):
    """A Network2 from a file ``save`` wrote."""
    with open(filename) as f:
        data = json.load(f)
    net = Network2(data["sizes"], np.random.default_rng(0), cost={c.__name__: c for c in COSTS}[data["cost"]])
    net.weights = [np.array(w) for w in data["weights"]]
    net.biases = [np.array(b) for b in data["biases"]]
    return net


COSTS = (QuadraticCost, CrossEntropyCost)
