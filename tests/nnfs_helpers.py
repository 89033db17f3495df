"""Kinsley & Kukieła's "Neural Networks from Scratch in Python" (nnfs.io) code as the book writes it, for
tests/test_nnfs_ports*.py: the ``nnfs`` package's seeded data generators (``spiral_data``, ``vertical_data``,
``sine_data``) and the book's numpy layers, activations, losses and optimizers with their HAND-WRITTEN backward
passes. This numpy code is the ORACLE the engine's chain rule is checked against; it is never library code.

Where it differs from the book: ``nnfs.init()`` seeds numpy's global generator with 0, makes ``randn`` and
``zeros`` float32 and computes ``np.dot`` in float64 cast back to float32; here a ``BookRandom`` (a legacy
``RandomState(0)``, the same stream) is passed explicitly instead of patching numpy, and ``book_dot`` is that
dot. Layers take their generator as an argument (the book's draw from the global one, in the same order).
"""

import numpy as np


class BookRandom:
    """The stream after ``nnfs.init()``: np.random.seed(0), with ``randn`` returning float32."""

    def __init__(self, seed=0, dtype=np.float32):
        self.state, self.dtype = np.random.RandomState(seed), dtype  # float64 for exact comparisons

    def randn(self, *shape):
        return self.state.randn(*shape).astype(self.dtype)

    def binomial(self, n, p, size):
        return self.state.binomial(n, p, size=size)


def book_dot(a, b):
    """nnfs.init()'s dot: float64 products cast back to float32 (the same result on every BLAS)."""
    return np.dot(np.asarray(a, np.float64), np.asarray(b, np.float64)).astype(np.float32)


def spiral_data(samples, classes, rng):
    """nnfs.datasets.spiral_data: ``classes`` arms of ``samples`` points each, radius 0..1, angle noise 0.2."""
    X = np.zeros((samples * classes, 2), np.float32)
    y = np.zeros(samples * classes, dtype="uint8")
    for class_number in range(classes):
        ix = range(samples * class_number, samples * (class_number + 1))
        r = np.linspace(0.0, 1, samples)
        t = np.linspace(class_number * 4, (class_number + 1) * 4, samples) + rng.randn(samples) * 0.2
        X[ix] = np.c_[r * np.sin(t * 2.5), r * np.cos(t * 2.5)]
        y[ix] = class_number
    return X, y


def vertical_data(samples, classes, rng):
    """nnfs.datasets.vertical_data: class k is a blob at x = k/3, y = 0.5 with spread 0.1."""
    X = np.zeros((samples * classes, 2), np.float32)
    y = np.zeros(samples * classes, dtype="uint8")
    for class_number in range(classes):
        ix = range(samples * class_number, samples * (class_number + 1))
        X[ix] = np.c_[rng.randn(samples) * 0.1 + class_number / 3, rng.randn(samples) * 0.1 + 0.5]
        y[ix] = class_number
    return X, y


def sine_data(samples=1000):
    """nnfs.datasets.sine_data: x = 0, 1/n, ..., (n-1)/n and y = sin(2 pi x), both (n, 1)."""
    X = np.arange(samples).reshape(-1, 1) / samples
    y = np.sin(2 * np.pi * X).reshape(-1, 1)
    return X, y


# ---------------------------------------------------------------- the book's layers (chapters 3-17)
class LayerDense:
    """Layer_Dense: weights (n_inputs, n_neurons) = 0.01 randn, zero biases (1, n_neurons), L1/L2 terms."""

    def __init__(self, n_inputs, n_neurons, rng, scale=0.01, l1=0.0, l2=0.0, bias_l1=0.0, bias_l2=0.0):
        self.weights = scale * rng.randn(n_inputs, n_neurons)
        self.biases = np.zeros((1, n_neurons), self.weights.dtype)
        self.l1, self.l2, self.bias_l1, self.bias_l2 = l1, l2, bias_l1, bias_l2

    def forward(self, inputs):
        self.inputs = inputs
        self.output = np.dot(inputs, self.weights) + self.biases
        return self.output

    def backward(self, dvalues):
        self.dweights = np.dot(self.inputs.T, dvalues)
        self.dbiases = np.sum(dvalues, axis=0, keepdims=True)
        for name, l1, l2 in (("weights", self.l1, self.l2), ("biases", self.bias_l1, self.bias_l2)):
            values, grad = getattr(self, name), getattr(self, "d" + name)
            if l1 > 0:
                dL1 = np.ones_like(values)
                dL1[values < 0] = -1  # the book's sign(w), with sign(0) = 1
                grad += l1 * dL1
            if l2 > 0:
                grad += 2 * l2 * values
        self.dinputs = np.dot(dvalues, self.weights.T)
        return self.dinputs

    def regularization_loss(self):
        return (
            self.l1 * np.sum(np.abs(self.weights))
            + self.l2 * np.sum(self.weights * self.weights)
            + self.bias_l1 * np.sum(np.abs(self.biases))
            + self.bias_l2 * np.sum(self.biases * self.biases)
        )


class ActivationReLU:
    def forward(self, inputs):
        self.inputs = inputs
        self.output = np.maximum(0, inputs)
        return self.output

    def backward(self, dvalues):
        self.dinputs = dvalues.copy()
        self.dinputs[self.inputs <= 0] = 0  # the book's relu'(0) = 0
        return self.dinputs


class ActivationSoftmax:
    def forward(self, inputs):
        exp_values = np.exp(inputs - np.max(inputs, axis=1, keepdims=True))
        self.output = exp_values / np.sum(exp_values, axis=1, keepdims=True)
        return self.output

    def backward(self, dvalues):
        """The per-sample Jacobian diagflat(s) - s s^T times the incoming gradient (chapter 9's loop)."""
        self.dinputs = np.empty_like(dvalues)
        for index, (single_output, single_dvalues) in enumerate(zip(self.output, dvalues)):
            single_output = single_output.reshape(-1, 1)
            jacobian_matrix = np.diagflat(single_output) - np.dot(single_output, single_output.T)
            self.dinputs[index] = np.dot(jacobian_matrix, single_dvalues)
        return self.dinputs


class ActivationSigmoid:
    def forward(self, inputs):
        self.output = 1 / (1 + np.exp(-inputs))
        return self.output

    def backward(self, dvalues):
        self.dinputs = dvalues * (1 - self.output) * self.output
        return self.dinputs


class LossCategoricalCrossentropy:
    def calculate(self, y_pred, y_true):
        y_pred_clipped = np.clip(y_pred, 1e-7, 1 - 1e-7)
        if len(y_true.shape) == 1:
            correct_confidences = y_pred_clipped[range(len(y_pred)), y_true]
        else:
            correct_confidences = np.sum(y_pred_clipped * y_true, axis=1)
        return np.mean(-np.log(correct_confidences))

    def backward(self, dvalues, y_true):
        samples, labels = len(dvalues), len(dvalues[0])
        if len(y_true.shape) == 1:
            y_true = np.eye(labels)[y_true]
        self.dinputs = -y_true / dvalues / samples
        return self.dinputs


class SoftmaxCategoricalCrossentropy:
    """Activation_Softmax_Loss_CategoricalCrossentropy: backward is (y_hat - y) / samples."""

    def __init__(self):
        self.activation, self.loss = ActivationSoftmax(), LossCategoricalCrossentropy()

    def forward(self, inputs, y_true):
        self.output = self.activation.forward(inputs)
        return self.loss.calculate(self.output, y_true)

    def backward(self, dvalues, y_true):
        samples = len(dvalues)
        if len(y_true.shape) == 2:
            y_true = np.argmax(y_true, axis=1)
        self.dinputs = dvalues.copy()
        self.dinputs[range(samples), y_true] -= 1
        self.dinputs = self.dinputs / samples
        return self.dinputs


class LayerDropout:
    """Layer_Dropout: a Bernoulli(1 - rate) mask divided by (1 - rate); backward multiplies by the same mask."""

    def __init__(self, rate, rng):
        self.rate, self.rng = 1 - rate, rng  # the book stores the keep probability

    def forward(self, inputs):
        self.binary_mask = self.rng.binomial(1, self.rate, size=inputs.shape) / self.rate
        self.output = inputs * self.binary_mask
        return self.output

    def backward(self, dvalues):
        self.dinputs = dvalues * self.binary_mask
        return self.dinputs


def binary_crossentropy(y_pred, y_true):
    """Loss_BinaryCrossentropy.forward, then calculate's mean: clipped to [1e-7, 1 - 1e-7]."""
    y_pred_clipped = np.clip(y_pred, 1e-7, 1 - 1e-7)
    sample_losses = -(y_true * np.log(y_pred_clipped) + (1 - y_true) * np.log(1 - y_pred_clipped))
    return np.mean(np.mean(sample_losses, axis=-1))


def binary_crossentropy_backward(dvalues, y_true):
    samples, outputs = len(dvalues), len(dvalues[0])
    clipped = np.clip(dvalues, 1e-7, 1 - 1e-7)
    return -(y_true / clipped - (1 - y_true) / (1 - clipped)) / outputs / samples


def mean_squared_error_backward(dvalues, y_true):
    samples, outputs = len(dvalues), len(dvalues[0])
    return -2 * (y_true - dvalues) / outputs / samples


def mean_absolute_error_backward(dvalues, y_true):
    samples, outputs = len(dvalues), len(dvalues[0])
    return np.sign(y_true - dvalues) / outputs / samples


# ---------------------------------------------------------------- the book's optimizers (chapter 10)
class Optimizer:
    """The book's protocol: pre_update_params (decay), update_params(layer) per layer, post_update_params."""

    def __init__(self, learning_rate, decay=0.0):
        self.learning_rate = self.current_learning_rate = learning_rate
        self.decay, self.iterations = decay, 0

    def pre_update_params(self):
        if self.decay:
            self.current_learning_rate = self.learning_rate * (1.0 / (1.0 + self.decay * self.iterations))

    def post_update_params(self):
        self.iterations += 1

    def step(self, layers):
        self.pre_update_params()
        for layer in layers:
            self.update_params(layer)
        self.post_update_params()


class OptimizerSGD(Optimizer):
    def __init__(self, learning_rate=1.0, decay=0.0, momentum=0.0):
        super().__init__(learning_rate, decay)
        self.momentum = momentum

    def update_params(self, layer):
        for name in ("weights", "biases"):
            grad = getattr(layer, "d" + name)
            if self.momentum:
                velocity = getattr(layer, name[:-1] + "_momentums", np.zeros_like(grad))
                update = self.momentum * velocity - self.current_learning_rate * grad  # lr inside the velocity
                setattr(layer, name[:-1] + "_momentums", update)
            else:
                update = -self.current_learning_rate * grad
            setattr(layer, name, getattr(layer, name) + update)


class OptimizerAdagrad(Optimizer):
    def __init__(self, learning_rate=1.0, decay=0.0, epsilon=1e-7):
        super().__init__(learning_rate, decay)
        self.epsilon = epsilon

    def update_params(self, layer):
        for name in ("weights", "biases"):
            grad = getattr(layer, "d" + name)
            cache = getattr(layer, name[:-1] + "_cache", np.zeros_like(grad)) + grad**2
            setattr(layer, name[:-1] + "_cache", cache)
            update = -self.current_learning_rate * grad / (np.sqrt(cache) + self.epsilon)
            setattr(layer, name, getattr(layer, name) + update)


class OptimizerRMSprop(Optimizer):
    def __init__(self, learning_rate=0.001, decay=0.0, epsilon=1e-7, rho=0.9):
        super().__init__(learning_rate, decay)
        self.epsilon, self.rho = epsilon, rho

    def update_params(self, layer):
        for name in ("weights", "biases"):
            grad = getattr(layer, "d" + name)
            cache = getattr(layer, name[:-1] + "_cache", np.zeros_like(grad))
            cache = self.rho * cache + (1 - self.rho) * grad**2
            setattr(layer, name[:-1] + "_cache", cache)
            update = -self.current_learning_rate * grad / (np.sqrt(cache) + self.epsilon)
            setattr(layer, name, getattr(layer, name) + update)


class OptimizerAdam(Optimizer):
    def __init__(self, learning_rate=0.001, decay=0.0, epsilon=1e-7, beta_1=0.9, beta_2=0.999):
        super().__init__(learning_rate, decay)
        self.epsilon, self.beta_1, self.beta_2 = epsilon, beta_1, beta_2

    def update_params(self, layer):
        t = self.iterations + 1
        for name in ("weights", "biases"):
            grad = getattr(layer, "d" + name)
            momentum = getattr(layer, name[:-1] + "_momentums", np.zeros_like(grad))
            cache = getattr(layer, name[:-1] + "_cache", np.zeros_like(grad))
            momentum = self.beta_1 * momentum + (1 - self.beta_1) * grad
            cache = self.beta_2 * cache + (1 - self.beta_2) * grad**2
            setattr(layer, name[:-1] + "_momentums", momentum)
            setattr(layer, name[:-1] + "_cache", cache)
            momentum_corrected = momentum / (1 - self.beta_1**t)
            cache_corrected = cache / (1 - self.beta_2**t)
            update = -self.current_learning_rate * momentum_corrected / (np.sqrt(cache_corrected) + self.epsilon)
            setattr(layer, name, getattr(layer, name) + update)


def book_spiral_classifier(rng, hidden=64, classes=3, l2=0.0, inputs=2):
    """Chapter 10's network: Dense(inputs, hidden), ReLU, Dense(hidden, classes), softmax + cross-entropy."""
    return (
        LayerDense(inputs, hidden, rng, l2=l2, bias_l2=l2),
        ActivationReLU(),
        LayerDense(hidden, classes, rng),
        SoftmaxCategoricalCrossentropy(),
    )


def book_train_step(net, optimizer, X, y):
    """One full-batch epoch of chapter 10's loop; returns the data loss before the update."""
    dense1, relu, dense2, loss_activation = net
    loss = loss_activation.forward(dense2.forward(relu.forward(dense1.forward(X))), y)
    loss_activation.backward(loss_activation.output, y)
    dense1.backward(relu.backward(dense2.backward(loss_activation.dinputs)))
    optimizer.step([dense1, dense2])
    return loss


def nn_copy(layer):
    """An nn.Linear holding a book layer's values: nn's weight is the book's weights transposed."""
    import nn

    linear = nn.Linear(*layer.weights.shape, dtype=layer.weights.dtype)
    linear.weight.data[...] = layer.weights.T
    linear.bias.data[...] = layer.biases[0]
    return linear
