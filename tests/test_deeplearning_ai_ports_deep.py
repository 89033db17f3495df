"""deeplearning.ai's Deep Learning Specialization, course 1 week 4, ported step by step: "Building your
Deep Neural Network: Step by Step" (linear_forward, linear_activation_forward, L_model_forward,
compute_cost, linear_backward, linear_activation_backward, L_model_backward, update_parameters, each
with the values its test case prints) and "Deep Neural Network - Application" (two_layer_model and
L_layer_model trained by gradient descent). The assignment's hand-written backward functions
(tests/deeplearning_ai_helpers.py) are the ORACLE for the engine's chain rule, in the course's layout
(a column per example) and as nn layers (``relu_net``: nn.Linear + nn.ReLU, a final nn.Sigmoid).
Course 1 weeks 1-3 are in test_deeplearning_ai_ports.py.

Where the port differs from the notebooks:
- the course's dA and dZ are m times the gradient of the cost J (they are the gradients of the
  *summed* per-example losses), while its dW = dZ A_prev^T / m and db = sum(dZ) / m are gradients of J.
  So ``linear_backward(dZ)`` is ``Z.backward(dZ)`` on the engine with W.grad / m, b.grad / m as dW, db and
  A_prev.grad as dA_prev, and the full network's dW, db are the engine's gradients of the mean cost.
- ``relu_backward`` sets dZ = 0 where Z <= 0; the engine's relu'(0) is 1/2 (the project's kink
  convention), which no test here reaches: a float Z of random data is never exactly 0.
- the cat / non-cat pictures (209 + 50, a download) are the bundled digits, "3 or 8?" (250 + 107).

What the port needed: nothing here (the notebooks' spellings ran as written); see _course2.py and _optim.py.
"""

import itertools

import numpy as np
import pytest
from deeplearning_ai_helpers import (
    L_model_backward,
    L_model_forward,
    engine_cost,
    engine_L_model_forward,
    engine_parameters,
    initialize_parameters_deep,
    linear_activation_backward,
    relu_net,
)

import autograd_core as ag
import nn
import nn.functional as F


def random_parameters(rng, dims):
    return {
        name: rng.randn(n_out, n_in if name[0] == "W" else 1)
        for number, (n_in, n_out) in enumerate(itertools.pairwise(dims), 1)
        for name in (f"W{number}", f"b{number}")
    }


# ---------------------------------------------------------------- forward
def test_linear_forward_prints_z():
    rng = np.random.RandomState(1)
    A, W, b = ag.tensor(rng.randn(3, 2)), ag.tensor(rng.randn(1, 3)), ag.tensor(rng.randn(1, 1))
    np.testing.assert_allclose((W @ A + b).data, [[3.26295337, -1.23429987]], atol=5e-9)
    np.testing.assert_allclose(F.linear(A.T, W, b[:, 0]).data.T, (W @ A + b).data, rtol=1e-15)


def test_linear_activation_forward_prints_the_sigmoid_and_relu_outputs():
    rng = np.random.RandomState(2)
    A_prev, W, b = (ag.tensor(rng.randn(*shape)) for shape in ((3, 2), (1, 3), (1, 1)))
    Z = W @ A_prev + b
    np.testing.assert_allclose(ag.sigmoid(Z).data, [[0.96890023, 0.11013289]], atol=5e-9)
    np.testing.assert_allclose(Z.relu().data, [[3.43896131, 0.0]], atol=5e-9)


def test_l_model_forward_with_two_hidden_layers_prints_al_in_both_spellings():
    rng = np.random.RandomState(6)
    X = rng.randn(5, 4)
    parameters = random_parameters(rng, [5, 4, 3, 1])
    want = [[0.03921668, 0.70498921, 0.19734387, 0.04728177]]
    np.testing.assert_allclose(engine_L_model_forward(X, engine_parameters(parameters)).data, want, atol=5e-9)
    np.testing.assert_allclose(relu_net([5, 4, 3, 1], parameters)(X.T).data.T, want, atol=5e-9)


def test_compute_cost_prints_0_2797765635793422():
    Y, AL = np.array([[1, 1, 0]]), ag.tensor([[0.8, 0.9, 0.4]])
    assert engine_cost(AL, Y).item() == pytest.approx(0.2797765635793422, rel=1e-14)
    assert F.binary_cross_entropy(AL, Y.astype(float)).item() == pytest.approx(0.2797765635793422, rel=1e-14)


# ---------------------------------------------------------------- backward
def test_linear_backward_is_z_backward_dz_with_dw_and_db_divided_by_m():
    rng = np.random.RandomState(1)
    dZ = rng.randn(3, 4)
    A, W, b = (ag.tensor(rng.randn(*shape), requires_grad=True) for shape in ((5, 4), (3, 5), (3, 1)))
    (W @ A + b).backward(dZ)
    m = 4
    np.testing.assert_allclose(
        A.grad,
        [
            [-1.15171336, 0.06718465, -0.3204696, 2.09812712],
            [0.60345879, -3.72508701, 5.81700741, -3.84326836],
            [-0.4319552, -1.30987417, 1.72354705, 0.05070578],
            [-0.38981415, 0.60811244, -1.25938424, 1.47191593],
            [-2.52214926, 2.67882552, -0.67947465, 1.48119548],
        ],
        atol=5e-9,
    )
    np.testing.assert_allclose(
        W.grad / m,
        [
            [0.07313866, -0.0976715, -0.87585828, 0.73763362, 0.00785716],
            [0.85508818, 0.37530413, -0.59912655, 0.71278189, -0.58931808],
            [0.97913304, -0.24376494, -0.08839671, 0.55151192, -0.10290907],
        ],
        atol=5e-9,
    )
    np.testing.assert_allclose(b.grad / m, [[-0.14713786], [-0.11313155], [-0.13209101]], atol=5e-9)


@pytest.mark.parametrize(
    "activation, dA_prev, dW, db",
    [
        (
            "sigmoid",
            [[0.11017994, 0.01105339], [0.09466817, 0.00949723], [-0.05743092, -0.00576154]],
            [[0.10266786, 0.09778551, -0.01968084]],
            [[-0.05729622]],
        ),
        (
            "relu",
            [[0.44090989, 0.0], [0.37883606, 0.0], [-0.2298228, 0.0]],
            [[0.44513824, 0.37371418, -0.10478989]],
            [[-0.20837892]],
        ),
    ],
)
def test_linear_activation_backward_prints_its_values_as_two_chain_rule_steps(activation, dA_prev, dW, db):
    # The test case's cache is not one forward pass (its Z is drawn apart from W A + b), so the chain rule
    # runs in the notebook's two steps: the activation's backward gives dZ, the linear one takes dZ.
    rng = np.random.RandomState(2)
    dA = rng.randn(1, 2)
    A, W, b = (ag.tensor(rng.randn(*shape), requires_grad=True) for shape in ((3, 2), (1, 3), (1, 1)))
    Z = ag.tensor(rng.randn(1, 2), requires_grad=True)
    (ag.sigmoid(Z) if activation == "sigmoid" else Z.relu()).backward(dA)
    (W @ A + b).backward(Z.grad)
    np.testing.assert_allclose(A.grad, dA_prev, atol=5e-9)
    np.testing.assert_allclose(W.grad / 2, dW, atol=5e-9)
    np.testing.assert_allclose(b.grad / 2, db, atol=5e-9)
    want = linear_activation_backward(dA, ((A.data, W.data, b.data), Z.data), activation)
    for got, oracle in zip((A.grad, W.grad / 2, b.grad / 2), want):
        np.testing.assert_allclose(got, oracle, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("dims", [[5, 4, 3, 1], [8, 6, 6, 5, 4, 1]])
def test_l_model_backward_equals_the_engine_s_gradients_of_the_cost(dims):
    rng = np.random.RandomState(7)
    X, Y = rng.randn(dims[0], 10), (rng.rand(1, 10) > 0.5).astype(float)
    parameters = random_parameters(rng, dims)
    AL, caches = L_model_forward(X, parameters)
    want = L_model_backward(AL, Y, caches)
    params = engine_parameters(parameters)
    engine_cost(engine_L_model_forward(X, params), Y).backward()
    model = relu_net(dims, parameters)
    F.binary_cross_entropy(model(X.T), Y.T).backward()
    linears = [layer for layer in model if isinstance(layer, nn.Linear)]
    for number, layer in enumerate(linears, 1):
        np.testing.assert_allclose(params[f"W{number}"].grad, want[f"dW{number}"], rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(params[f"b{number}"].grad, want[f"db{number}"], rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(layer.weight.grad, want[f"dW{number}"], rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(layer.bias.grad, want[f"db{number}"][:, 0], rtol=1e-10, atol=1e-14)


def test_l_model_backward_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.RandomState(8)
    dims = [5, 4, 3, 1]
    X, Y = rng.randn(5, 6), (rng.rand(1, 6) > 0.5).astype(float)
    parameters = random_parameters(rng, dims)
    theirs = {k: torch.tensor(v, requires_grad=True) for k, v in parameters.items()}
    A = torch.tensor(X)
    for layer in (1, 2, 3):
        Z = theirs[f"W{layer}"] @ A + theirs[f"b{layer}"]
        A = torch.sigmoid(Z) if layer == 3 else torch.relu(Z)
    torch.nn.functional.binary_cross_entropy(A, torch.tensor(Y)).backward()
    ours = engine_parameters(parameters)
    engine_cost(engine_L_model_forward(X, ours), Y).backward()
    for k in parameters:
        np.testing.assert_allclose(ours[k].grad, theirs[k].grad.numpy(), rtol=1e-12, atol=1e-15)


def test_update_parameters_is_one_sgd_step():
    rng = np.random.RandomState(2)
    parameters = random_parameters(rng, [4, 3, 1])
    grads = {"d" + k: rng.randn(*v.shape) for k, v in parameters.items()}
    params = engine_parameters(parameters)
    for k, p in params.items():
        p.grad = grads["d" + k]
    nn.optim.SGD(params.values(), lr=0.1).step()
    for k, p in params.items():
        np.testing.assert_allclose(p.data, parameters[k] - 0.1 * grads["d" + k], rtol=1e-15)


# ---------------------------------------------------------------- Deep Neural Network - Application
def three_or_eight():
    X, y = nn.datasets.load_digits()
    keep = (y == 3) | (y == 8)
    X, Y = X[keep].T / 16.0, (y[keep] == 3).astype(float).reshape(1, -1)
    order = np.random.RandomState(0).permutation(X.shape[1])
    X, Y = X[:, order], Y[:, order]
    return X[:, :250], Y[:, :250], X[:, 250:], Y[:, 250:]


def train(dims, X, Y, iterations, learning_rate=0.0075, checked=200):
    """L_layer_model (two_layer_model for 3 sizes) on the engine; the notebook's numpy runs beside it for
    the first ``checked`` iterations. Returns the Tensors, the costs, and both parameter sets at ``checked``."""
    parameters = initialize_parameters_deep(dims)
    params = engine_parameters(parameters)
    opt = nn.optim.SGD(params.values(), lr=learning_rate)
    costs = []
    for i in range(iterations):
        opt.zero_grad()
        cost = engine_cost(engine_L_model_forward(X, params), Y)
        cost.backward()
        opt.step()
        costs.append(cost.item())
        if i < checked:
            AL, caches = L_model_forward(X, parameters)
            grads = L_model_backward(AL, Y, caches)
            parameters = {k: v - learning_rate * grads["d" + k] for k, v in parameters.items()}
        if i == checked - 1:
            snapshot = {k: p.data.copy() for k, p in params.items()}
    return params, costs, snapshot, parameters


def accuracy(params, X, Y):
    return np.mean((engine_L_model_forward(X, params).data > 0.5) == Y)


def test_two_layer_and_l_layer_models_train_as_the_notebook_s_numpy_does():
    X, Y, X_test, Y_test = three_or_eight()
    runs = {len(dims): train(dims, X, Y, 2500) for dims in ([64, 7, 1], [64, 20, 7, 5, 1])}
    for params, costs, ours, notebook in runs.values():
        assert costs[0] == pytest.approx(0.69, abs=0.01)  # the notebook's first cost: 0.693 (2-layer), 0.772 (deep)
        for k, v in notebook.items():
            np.testing.assert_allclose(ours[k], v, rtol=1e-10, atol=1e-13)
        assert all(b < a for a, b in zip(costs[::100], costs[100::100]))  # the cost goes down, print after print
        assert accuracy(params, X, Y) > 0.99 and accuracy(params, X_test, Y_test) > 0.98  # measured: >= 0.99 each
    # the notebook's point: the deeper net fits better in the same number of iterations (measured 0.0095, 0.060)
    assert runs[5][1][-1] < runs[3][1][-1] / 3
