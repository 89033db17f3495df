"""The Deep Learning Specialization's (deeplearning.ai, courses 1 and 2) numpy code as its assignments
define it, for tests/test_deeplearning_ai_ports*.py: the hand-derived backward passes (``propagate``'s
dw = X (A - Y)^T / m, ``linear_activation_backward``, ``backward_propagation_n`` with and without the
planted bug), ``gradient_check_n``'s relative difference, ``random_mini_batches`` and the momentum /
Adam updates, and the data generators (the planar "flower", sklearn's ``make_circles``). This numpy
code is the ORACLE the engine is checked against; it is written from the assignments' formulas.

Where it differs from the assignments: the global ``np.random.seed(k)`` followed by ``np.random.randn``
is a ``np.random.RandomState(k)`` (the same stream, without touching numpy's global state); the layout
is the course's: a column per example, W of shape (n_l, n_{l-1}), b of shape (n_l, 1).
"""

import itertools

import numpy as np

import autograd_core as ag
import nn


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def relu(z):
    return np.maximum(0, z)


# ---------------------------------------------------------------- data
def load_planar_dataset(m=400):
    """Course 1 week 3's "flower": two classes of m/2 points on the petals of r = 4 sin(4t), with
    noise, X of shape (2, m), Y of shape (1, m) (planar_utils.load_planar_dataset, seed 1)."""
    rng = np.random.RandomState(1)
    N, a = m // 2, 4  # points per class, the maximum ray of the flower
    X, Y = np.zeros((m, 2)), np.zeros((m, 1), dtype="uint8")
    for j in range(2):
        ix = range(N * j, N * (j + 1))
        t = np.linspace(j * 3.12, (j + 1) * 3.12, N) + rng.randn(N) * 0.2  # theta
        r = a * np.sin(4 * t) + rng.randn(N) * 0.2  # radius
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        Y[ix] = j
    return X.T, Y.T


def make_circles(n, noise, seed, factor=0.8):
    """sklearn.datasets.make_circles as course 2's Initialization uses it (noise .05): a big circle
    (label 0) around a small one (label 1); X (2, n), Y (1, n) in the course's layout."""
    rng = np.random.RandomState(seed)
    n_out = n // 2
    t_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, n - n_out, endpoint=False)
    X = np.r_[np.c_[np.cos(t_out), np.sin(t_out)], factor * np.c_[np.cos(t_in), np.sin(t_in)]]
    y = np.r_[np.zeros(n_out), np.ones(n - n_out)]
    order = rng.permutation(n)
    X = X[order] + rng.normal(scale=noise, size=X.shape)
    return X.T, y[order].reshape(1, n)


# ---------------------------------------------------------------- course 1: logistic regression
def propagate(w, b, X, Y):
    """The cost J = -1/m sum(y log a + (1-y) log(1-a)) and its hand-derived gradients."""
    m = X.shape[1]
    A = sigmoid(w.T @ X + b)
    cost = -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m
    return {"dw": X @ (A - Y).T / m, "db": np.sum(A - Y) / m}, cost


def optimize(w, b, X, Y, num_iterations, learning_rate):
    costs = []
    for i in range(num_iterations):
        grads, cost = propagate(w, b, X, Y)
        w = w - learning_rate * grads["dw"]
        b = b - learning_rate * grads["db"]
        if i % 100 == 0:
            costs.append(cost)
    return {"w": w, "b": b}, grads, costs


def predict(w, b, X):
    return (sigmoid(w.T @ X + b) > 0.5).astype(float)


# ---------------------------------------------------------------- course 1: the L-layer network
def linear_activation_forward(A_prev, W, b, activation):
    Z = W @ A_prev + b
    A = sigmoid(Z) if activation == "sigmoid" else relu(Z)
    return A, ((A_prev, W, b), Z)


def L_model_forward(X, parameters):
    """[LINEAR -> RELU] * (L-1) -> LINEAR -> SIGMOID; the caches for the backward pass."""
    caches, A, L = [], X, len(parameters) // 2
    for layer in range(1, L + 1):
        activation = "sigmoid" if layer == L else "relu"
        A, cache = linear_activation_forward(A, parameters[f"W{layer}"], parameters[f"b{layer}"], activation)
        caches.append(cache)
    return A, caches


def compute_cost(AL, Y):
    m = Y.shape[1]
    return float(-np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)) / m)


def linear_activation_backward(dA, cache, activation):
    """dZ = dA * g'(Z) (relu_backward zeroes dZ where Z <= 0), then the linear layer's
    dW = dZ A_prev^T / m, db = sum(dZ) / m, dA_prev = W^T dZ."""
    (A_prev, W, _b), Z = cache
    if activation == "sigmoid":
        s = sigmoid(Z)
        dZ = dA * s * (1 - s)
    else:
        dZ = np.where(Z <= 0, 0.0, dA)
    m = A_prev.shape[1]
    return W.T @ dZ, dZ @ A_prev.T / m, np.sum(dZ, axis=1, keepdims=True) / m


def L_model_backward(AL, Y, caches):
    grads, L = {}, len(caches)
    dA = -(Y / AL - (1 - Y) / (1 - AL))  # the derivative of the cross-entropy cost with respect to AL
    for layer in range(L, 0, -1):
        activation = "sigmoid" if layer == L else "relu"
        dA, grads[f"dW{layer}"], grads[f"db{layer}"] = linear_activation_backward(dA, caches[layer - 1], activation)
    return grads


def initialize_parameters_deep(layer_dims, seed=1):
    """W_l ~ N(0, 1) / sqrt(n_{l-1}) (the "Application" notebook's scaling), b_l = 0."""
    rng = np.random.RandomState(seed)
    parameters = {}
    for layer in range(1, len(layer_dims)):
        n_in = layer_dims[layer - 1]
        parameters[f"W{layer}"] = rng.randn(layer_dims[layer], n_in) / np.sqrt(n_in)
        parameters[f"b{layer}"] = np.zeros((layer_dims[layer], 1))
    return parameters


def engine_parameters(parameters):
    """The course's dict of numpy W1, b1, ... as leaf Tensors that require grad."""
    return {k: ag.tensor(v, requires_grad=True) for k, v in parameters.items()}


def engine_L_model_forward(X, params):
    """L_model_forward on the engine, in the course's layout: A = g(W A_prev + b), relu then sigmoid."""
    A, L = ag.as_tensor(X), len(params) // 2
    for layer in range(1, L + 1):
        Z = params[f"W{layer}"] @ A + params[f"b{layer}"]
        A = ag.sigmoid(Z) if layer == L else Z.relu()
    return A


def engine_cost(AL, Y):
    """compute_cost's -1/m sum(y log a + (1-y) log(1-a)), as the notebook writes it, on Tensors."""
    return -np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)) / Y.shape[1]


def relu_net(layer_dims, parameters=None):
    """[LINEAR -> RELU] * (L-1) -> LINEAR -> SIGMOID as nn layers (rows are examples: model(X.T).T),
    with the course's W_l (n_l, n_{l-1}) and b_l (n_l, 1) copied in when given."""
    layers = []
    for n_in, n_out in itertools.pairwise(layer_dims):
        layers += [nn.Linear(n_in, n_out), nn.ReLU()]
    model = nn.Sequential(*layers[:-1], nn.Sigmoid())
    if parameters is not None:
        linears = [layer for layer in model if isinstance(layer, nn.Linear)]
        with ag.no_grad():
            for number, layer in enumerate(linears, 1):
                layer.weight.data[...] = parameters[f"W{number}"]
                layer.bias.data[...] = parameters[f"b{number}"][:, 0]
    return model


# ---------------------------------------------------------------- course 2: gradient checking
def gradient_check_n_test_case():
    rng = np.random.RandomState(1)
    x = rng.randn(4, 3)
    y = np.array([1, 1, 0])
    shapes = {"W1": (5, 4), "b1": (5, 1), "W2": (3, 5), "b2": (3, 1), "W3": (1, 3), "b3": (1, 1)}
    return x, y, {name: rng.randn(*shape) for name, shape in shapes.items()}


def forward_propagation_n(X, Y, parameters):
    """LINEAR -> RELU -> LINEAR -> RELU -> LINEAR -> SIGMOID and the mean cross-entropy cost."""
    p = parameters
    A1 = relu(p["W1"] @ X + p["b1"])
    A2 = relu(p["W2"] @ A1 + p["b2"])
    A3 = sigmoid(p["W3"] @ A2 + p["b3"])
    cost = np.sum(-np.log(A3) * Y - np.log(1 - A3) * (1 - Y)) / X.shape[1]
    return cost, (A1, A2, A3)


def backward_propagation_n(X, Y, parameters, cache, planted_bug=False):
    """The hand-derived gradients; ``planted_bug`` puts in the assignment's two mistakes (dW2 twice
    too big, db1 four times too big) that gradient checking is there to catch."""
    p, (A1, A2, A3), m = parameters, cache, X.shape[1]
    dZ3 = A3 - Y
    dZ2 = (p["W3"].T @ dZ3) * (A2 > 0)
    dZ1 = (p["W2"].T @ dZ2) * (A1 > 0)
    return {
        "dW1": dZ1 @ X.T / m,
        "db1": np.sum(dZ1, axis=1, keepdims=True) * (4 if planted_bug else 1) / m,
        "dW2": dZ2 @ A1.T / m * (2 if planted_bug else 1),
        "db2": np.sum(dZ2, axis=1, keepdims=True) / m,
        "dW3": dZ3 @ A2.T / m,
        "db3": np.sum(dZ3, axis=1, keepdims=True) / m,
    }


ORDER = ("W1", "b1", "W2", "b2", "W3", "b3")


def dictionary_to_vector(parameters):
    return np.concatenate([parameters[k].reshape(-1) for k in ORDER])


def vector_to_dictionary(theta, like):
    out, start = {}, 0
    for k in ORDER:
        out[k] = theta[start : start + like[k].size].reshape(like[k].shape)
        start += like[k].size
    return out


def gradient_check_n(cost_of, parameters, gradients, epsilon=1e-7):
    """The relative difference ||grad - gradapprox||_2 / (||grad||_2 + ||gradapprox||_2) between the
    backward pass's gradients and two-sided differences of ``cost_of(parameters)``."""
    theta = dictionary_to_vector(parameters)
    grad = np.concatenate([gradients["d" + k].reshape(-1) for k in ORDER])
    gradapprox = np.zeros_like(theta)
    for i in range(theta.size):
        plus, minus = theta.copy(), theta.copy()
        plus[i] += epsilon
        minus[i] -= epsilon
        J_plus = cost_of(vector_to_dictionary(plus, parameters))
        J_minus = cost_of(vector_to_dictionary(minus, parameters))
        gradapprox[i] = (J_plus - J_minus) / (2 * epsilon)
    return np.linalg.norm(grad - gradapprox) / (np.linalg.norm(grad) + np.linalg.norm(gradapprox))


# ---------------------------------------------------------------- course 2: optimization methods
def random_mini_batches(X, Y, mini_batch_size=64, seed=0):
    """Shuffle the columns of (X, Y) together, then cut them into batches of ``mini_batch_size``;
    the last one holds the m - mini_batch_size * floor(m / mini_batch_size) left over."""
    m = X.shape[1]
    permutation = list(np.random.RandomState(seed).permutation(m))
    shuffled_X, shuffled_Y = X[:, permutation], Y[:, permutation].reshape((1, m))
    return [
        (shuffled_X[:, k : k + mini_batch_size], shuffled_Y[:, k : k + mini_batch_size])
        for k in range(0, m, mini_batch_size)
    ]


def update_parameters_with_momentum(parameters, grads, v, beta, learning_rate):
    """v = beta v + (1 - beta) dW (v starts at zero, no bias correction); W -= lr v."""
    for k in parameters:
        v[k] = beta * v[k] + (1 - beta) * grads[k]
        parameters[k] = parameters[k] - learning_rate * v[k]
    return parameters, v


def update_parameters_with_adam(parameters, grads, v, s, t, learning_rate, beta1=0.9, beta2=0.999, epsilon=1e-8):
    """v, s: running means of dW and dW**2, bias-corrected by 1 - beta**t; W -= lr v_c / (sqrt(s_c) + eps)."""
    for k in parameters:
        v[k] = beta1 * v[k] + (1 - beta1) * grads[k]
        s[k] = beta2 * s[k] + (1 - beta2) * grads[k] ** 2
        v_corrected = v[k] / (1 - beta1**t)
        s_corrected = s[k] / (1 - beta2**t)
        parameters[k] = parameters[k] - learning_rate * v_corrected / (np.sqrt(s_corrected) + epsilon)
    return parameters, v, s


def update_lr(learning_rate0, epoch_num, decay_rate):
    return learning_rate0 / (1 + decay_rate * epoch_num)


def schedule_lr_decay(learning_rate0, epoch_num, decay_rate, time_interval=1000):
    return learning_rate0 / (1 + decay_rate * np.floor(epoch_num / time_interval))
