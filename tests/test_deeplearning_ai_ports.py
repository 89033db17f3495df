"""deeplearning.ai's Deep Learning Specialization, course 1 weeks 1-3, ported step by step: "Python Basics
with Numpy" (sigmoid, sigmoid_derivative, image2vector, normalizeRows, softmax, L1/L2 with the values
the notebook prints), "Logistic Regression with a Neural Network mindset" (initialize_with_zeros,
propagate, optimize, predict: the engine's gradients against the assignment's hand-derived
dw = X (A - Y)^T / m, db = sum(A - Y) / m, and the printed dw, db, cost) and "Planar data classification
with one hidden layer" (the flower data set, generated here as planar_utils does; logistic regression
stuck near 47%, a tanh hidden layer of n_h = 4 reaching ~90%, the hidden-size comparison). The
assignments' numpy code (tests/deeplearning_ai_helpers.py) is the ORACLE; the same steps run on the
engine in the course's own layout (a column per example, W of shape (n_l, n_{l-1})).
Courses 1 week 4 and 2 are in test_deeplearning_ai_ports_deep.py, _course2.py and _optim.py.

Where the port differs from the notebooks: the cat / non-cat pictures (a download) are the bundled
8x8 digits, "is it a zero?"; numpy calls on Tensors (np.exp, np.sum(..., keepdims=True),
np.linalg.norm, np.dot, np.abs) are recorded, so the notebook's own spellings are differentiated as
written.

What the port needed: nothing here (course 1's numpy spellings all ran on Tensors); see _course2.py and _optim.py.
"""

import math

import numpy as np
import pytest
from deeplearning_ai_helpers import load_planar_dataset, optimize, predict, propagate, sigmoid

import autograd_core as ag
import nn
import nn.functional as F


# ---------------------------------------------------------------- Python Basics with Numpy
def test_basic_sigmoid_of_3_and_the_vectorised_sigmoid_print_the_notebook_values():
    assert ag.sigmoid(ag.tensor(3.0)).item() == pytest.approx(1 / (1 + math.exp(-3)), rel=1e-15)  # 0.9525741268224334
    x = ag.tensor([1.0, 2.0, 3.0])
    np.testing.assert_allclose(ag.sigmoid(x).data, [0.73105858, 0.88079708, 0.95257413], atol=5e-9)
    np.testing.assert_allclose((1 / (1 + np.exp(-x))).data, ag.sigmoid(x).data, rtol=1e-15)  # np.exp on a Tensor


def test_sigmoid_derivative_is_the_engine_s_gradient_of_the_sigmoid():
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    ag.sigmoid(x).sum().backward()  # each output depends on its own input only: the sum's gradient is s'(x)
    np.testing.assert_allclose(x.grad, [0.19661193, 0.10499359, 0.04517666], atol=5e-9)
    s = sigmoid(x.data)
    np.testing.assert_allclose(x.grad, s * (1 - s), rtol=1e-14)  # the notebook's ds = s (1 - s)


def test_image2vector_is_a_reshape_whose_gradient_goes_back_to_the_image():
    image = np.random.default_rng(0).random((3, 3, 2))  # the notebook's (length, height, depth)
    t = ag.tensor(image, requires_grad=True)
    v = t.reshape(image.shape[0] * image.shape[1] * image.shape[2], 1)
    assert v.shape == (18, 1)
    np.testing.assert_array_equal(v.data, image.reshape(18, 1))
    (v * ag.tensor(np.arange(18.0).reshape(18, 1))).sum().backward()
    np.testing.assert_array_equal(t.grad, np.arange(18.0).reshape(3, 3, 2))


def test_normalize_rows_prints_the_notebook_values_in_its_spelling_and_as_f_normalize():
    x = ag.tensor([[0.0, 3.0, 4.0], [1.0, 6.0, 4.0]], requires_grad=True)
    notebook = x / np.linalg.norm(x, axis=1, keepdims=True)  # the notebook's x_norm, recorded
    want = [[0.0, 0.6, 0.8], [0.13736056, 0.82416338, 0.54944226]]
    np.testing.assert_allclose(notebook.data, want, atol=5e-9)
    np.testing.assert_allclose(F.normalize(x, p=2, dim=1).data, notebook.data, rtol=1e-15)
    weights = ag.tensor(np.random.default_rng(1).normal(size=(2, 3)))
    (notebook * weights).sum().backward()
    got = x.grad.copy()
    x.grad = None
    (F.normalize(x, p=2, dim=1) * weights).sum().backward()
    np.testing.assert_allclose(got, x.grad, rtol=1e-12)
    # the closed form: d(x/|x|) = (I - u u^T) / |x| applied to the weights, row by row
    for row, w in zip(range(2), weights.data):
        u = x.data[row] / np.linalg.norm(x.data[row])
        np.testing.assert_allclose(got[row], (w - u * (u @ w)) / np.linalg.norm(x.data[row]), atol=1e-15)


def test_softmax_of_the_notebook_rows_prints_its_values():
    x = ag.tensor([[9.0, 2.0, 5.0, 0.0, 0.0], [7.0, 5.0, 0.0, 0.0, 0.0]], requires_grad=True)
    x_exp = np.exp(x)
    notebook = x_exp / np.sum(x_exp, axis=1, keepdims=True)  # the notebook's spelling, on a Tensor
    want = [
        [9.80897665e-01, 8.94462891e-04, 1.79657674e-02, 1.21052389e-04, 1.21052389e-04],
        [8.78679856e-01, 1.18916387e-01, 8.01252314e-04, 8.01252314e-04, 8.01252314e-04],
    ]
    np.testing.assert_allclose(notebook.data, want, rtol=5e-8)
    np.testing.assert_allclose(F.softmax(x, dim=1).data, notebook.data, rtol=1e-14)
    assert ag.gradcheck(lambda t: np.exp(t) / np.sum(np.exp(t), axis=1, keepdims=True), x)


def test_l1_and_l2_losses_are_1_1_and_0_43():
    yhat, y = np.array([0.9, 0.2, 0.1, 0.4, 0.9]), np.array([1, 0, 0, 1, 1])
    t = ag.tensor(yhat, requires_grad=True)
    l1 = np.sum(np.abs(y - t))
    l2 = np.dot(y - t, y - t)
    assert l1.item() == pytest.approx(1.1, abs=1e-12) and l2.item() == pytest.approx(0.43, abs=1e-12)
    assert F.l1_loss(t, y, reduction="sum").item() == pytest.approx(1.1, abs=1e-12)
    assert F.mse_loss(t, y, reduction="sum").item() == pytest.approx(0.43, abs=1e-12)
    l2.backward()
    np.testing.assert_allclose(t.grad, 2 * (yhat - y), rtol=1e-14)  # d sum (y - yhat)^2 / d yhat


# ---------------------------------------------------------------- Logistic Regression as a Neural Network
W0, B0 = np.array([[1.0], [2.0]]), 1.5
X0, Y0 = np.array([[1.0, -2.0, -1.0], [3.0, 0.5, -3.2]]), np.array([[1, 1, 0]])


def engine_propagate(w, b, X, Y):
    """The assignment's forward pass (A = sigma(w^T X + b), the mean cross-entropy) on the engine;
    its gradients come from backward(), not from the derived formulas."""
    w, b = ag.tensor(w, requires_grad=True), ag.tensor(float(b), requires_grad=True)
    A = ag.sigmoid(w.T @ X + b)
    m = X.shape[1]
    cost = -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m
    cost.backward()
    return {"dw": w.grad, "db": float(b.grad)}, cost.item()


def test_initialize_with_zeros_gives_a_zero_column_and_a_zero_bias():
    w, b = nn.init.zeros_(ag.empty(2, 1)), ag.zeros(())
    assert w.shape == (2, 1) and not w.data.any() and b.shape == () and b.item() == 0.0


def test_propagate_prints_dw_db_and_cost_and_the_engine_agrees_with_the_derived_formulas():
    grads, cost = engine_propagate(W0, B0, X0, Y0)
    np.testing.assert_allclose(grads["dw"], [[0.25071532], [-0.06604096]], atol=5e-9)
    assert grads["db"] == pytest.approx(-0.1250040450043965, rel=1e-13)
    assert cost == pytest.approx(0.15900537707692405, rel=1e-13)
    want, want_cost = propagate(W0, B0, X0, Y0)  # dw = X (A - Y)^T / m, db = sum(A - Y) / m
    np.testing.assert_allclose(grads["dw"], want["dw"], rtol=1e-13)
    assert grads["db"] == pytest.approx(want["db"], rel=1e-13) and cost == pytest.approx(want_cost, rel=1e-14)


def test_propagate_matches_torch():
    torch = pytest.importorskip("torch")
    w = torch.tensor(W0, requires_grad=True)
    b = torch.tensor(B0, requires_grad=True, dtype=torch.float64)
    A = torch.sigmoid(w.T @ torch.tensor(X0) + b)
    Y = torch.tensor(Y0, dtype=torch.float64)
    cost = -(Y * torch.log(A) + (1 - Y) * torch.log(1 - A)).sum() / 3
    cost.backward()
    grads, ours = engine_propagate(W0, B0, X0, Y0)
    np.testing.assert_allclose(grads["dw"], w.grad.numpy(), rtol=1e-13)
    assert grads["db"] == pytest.approx(b.grad.item(), rel=1e-13) and ours == pytest.approx(cost.item(), rel=1e-14)


def test_optimize_100_iterations_at_0_009_prints_the_notebook_parameters():
    w = ag.tensor(W0.copy(), requires_grad=True)
    b = ag.tensor(B0, requires_grad=True)
    opt = nn.optim.SGD([w, b], lr=0.009)  # theta = theta - alpha d theta
    for _ in range(100):
        opt.zero_grad()
        A = ag.sigmoid(w.T @ X0 + b)
        cost = F.binary_cross_entropy(A, Y0.astype(float))
        cost.backward()
        opt.step()
    np.testing.assert_allclose(w.data, [[0.80956046], [2.0508202]], atol=5e-9)
    assert b.item() == pytest.approx(1.5948713189708588, rel=1e-12)
    params, grads, costs = optimize(W0, B0, X0, Y0, 100, 0.009)
    np.testing.assert_allclose(w.data, params["w"], rtol=1e-12)
    # the gradients of the last iteration (taken before its step), as the notebook prints them
    np.testing.assert_allclose(grads["dw"], [[0.17860505], [-0.04840656]], atol=5e-9)
    assert grads["db"] == pytest.approx(-0.08888460336847771, rel=1e-12)
    assert costs[0] == pytest.approx(0.15900538, abs=5e-9)


def test_predict_thresholds_at_one_half():
    w, b = ag.tensor([[0.1124579], [0.23106775]]), -0.3
    X = np.array([[1.0, -1.1, -3.2], [1.2, 2.0, 0.1]])
    got = (ag.sigmoid(w.T @ X + b) > 0.5).data.astype(float)
    np.testing.assert_array_equal(got, [[1.0, 1.0, 0.0]])
    np.testing.assert_array_equal(got, predict(w.data, b, X))


def test_the_cat_classifier_stand_in_learns_zero_versus_rest_on_the_digits():
    X, y = nn.datasets.load_digits()
    X = X.T / 16.0  # the notebook's flatten + /255: a column of pixels in 0..1 per example
    Y = (y == 0).astype(float).reshape(1, -1)
    train, test = slice(0, 1200), slice(1200, None)
    w, b = ag.zeros(64, 1, requires_grad=True), ag.zeros((), requires_grad=True)  # initialize_with_zeros
    opt = nn.optim.SGD([w, b], lr=0.5)
    for _ in range(300):
        opt.zero_grad()
        F.binary_cross_entropy(ag.sigmoid(w.T @ X[:, train] + b), Y[:, train]).backward()
        opt.step()
    params, *_ = optimize(np.zeros((64, 1)), 0.0, X[:, train], Y[:, train], 300, 0.5)
    np.testing.assert_allclose(w.data, params["w"], rtol=1e-10, atol=1e-12)
    accuracy = lambda cols: np.mean(predict(w.data, b.item(), X[:, cols]) == Y[:, cols])  # noqa: E731
    assert accuracy(train) > 0.99 and accuracy(test) > 0.98  # measured: 0.999 and 0.993


# ---------------------------------------------------------------- Planar data classification
def test_the_flower_has_400_points_half_of_each_colour():
    X, Y = load_planar_dataset()
    assert X.shape == (2, 400) and Y.shape == (1, 400) and Y.sum() == 200
    assert np.abs(X).max() < 4.5  # the maximum ray of the flower is 4, plus noise


def test_logistic_regression_cannot_separate_the_flower():
    X, Y = load_planar_dataset()
    model = nn.Linear(2, 1)
    opt = nn.optim.SGD(model.parameters(), lr=1.0)
    for _ in range(300):
        opt.zero_grad()
        F.binary_cross_entropy_with_logits(model(X.T), Y.T.astype(float)).backward()
        opt.step()
    accuracy = np.mean((model(X.T).data > 0) == Y.T)
    assert 0.4 < accuracy < 0.55  # the notebook: 47% (a line through a flower)


def layer_sizes(X, Y, n_h):
    rng = np.random.RandomState(2)  # initialize_parameters: np.random.seed(2), randn * 0.01, zero biases
    return {
        "W1": rng.randn(n_h, X.shape[0]) * 0.01,
        "b1": np.zeros((n_h, 1)),
        "W2": rng.randn(Y.shape[0], n_h) * 0.01,
        "b2": np.zeros((Y.shape[0], 1)),
    }


def numpy_backward(parameters, X, Y):
    """The notebook's backward_propagation: dZ2 = A2 - Y, dZ1 = W2^T dZ2 * (1 - A1^2)."""
    p, m = parameters, X.shape[1]
    A1 = np.tanh(p["W1"] @ X + p["b1"])
    A2 = sigmoid(p["W2"] @ A1 + p["b2"])
    dZ2 = A2 - Y
    dZ1 = (p["W2"].T @ dZ2) * (1 - A1**2)
    return {
        "W1": dZ1 @ X.T / m,
        "b1": dZ1.sum(axis=1, keepdims=True) / m,
        "W2": dZ2 @ A1.T / m,
        "b2": dZ2.sum(axis=1, keepdims=True) / m,
    }


def nn_model(X, Y, n_h, num_iterations, learning_rate=1.2):
    """The notebook's nn_model on the engine: tanh hidden layer, sigmoid output, gradient descent."""
    params = {k: ag.tensor(v, requires_grad=True) for k, v in layer_sizes(X, Y, n_h).items()}
    opt = nn.optim.SGD(params.values(), lr=learning_rate)
    for _ in range(num_iterations):
        opt.zero_grad()
        A1 = ag.tanh(params["W1"] @ X + params["b1"])
        A2 = ag.sigmoid(params["W2"] @ A1 + params["b2"])
        cost = F.binary_cross_entropy(A2, Y.astype(float))
        cost.backward()
        opt.step()
    return params, cost.item()


def flower_accuracy(params, X, Y):
    A1 = np.tanh(params["W1"].data @ X + params["b1"].data)
    return np.mean((sigmoid(params["W2"].data @ A1 + params["b2"].data) > 0.5) == Y)


def test_the_hidden_layer_gradients_equal_the_notebook_s_backward_propagation():
    X, Y = load_planar_dataset()
    rng = np.random.RandomState(3)
    parameters = {k: v + rng.randn(*v.shape) for k, v in layer_sizes(X, Y, 4).items()}  # away from the start
    params = {k: ag.tensor(v, requires_grad=True) for k, v in parameters.items()}
    A1 = ag.tanh(params["W1"] @ X + params["b1"])
    F.binary_cross_entropy(ag.sigmoid(params["W2"] @ A1 + params["b2"]), Y.astype(float)).backward()
    for name, want in numpy_backward(parameters, X, Y).items():
        np.testing.assert_allclose(params[name].grad, want, rtol=1e-10, atol=1e-14)


def test_n_h_4_reaches_90_percent_and_the_hidden_sizes_print_the_notebook_s_accuracies():
    X, Y = load_planar_dataset()
    runs = {n_h: nn_model(X, Y, n_h, num_iterations=5000) for n_h in (1, 3, 4)}
    accuracy = {n_h: flower_accuracy(params, X, Y) for n_h, (params, _) in runs.items()}
    # "Accuracy for 1 hidden units: 67.5 %", "... 3 hidden units: 90.75 %", "... 4 hidden units: 90.5 %"
    assert accuracy == pytest.approx({1: 0.675, 3: 0.9075, 4: 0.905})
    assert runs[4][1] == pytest.approx(0.2226, abs=1e-3)  # the notebook: 0.2226 at 5,000 (0.2186 at 9,000)
