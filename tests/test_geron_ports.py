"""Géron, *Hands-On Machine Learning*, the chapters on artificial neural networks (the Keras edition's 10, the PyTorch
edition's 9-10), as a PyTorch reader writes them (``import autograd_core as torch``): the perceptron's learning rule
(Equation 10-3) within Novikoff's mistake bound; Figure 10-6's hand-wired XOR network of step units, and an MLP that
learns XOR; regression and classification MLPs trained with the book's loop; the wide & deep model with
``torch.concat``, two inputs (as a tuple and as named inputs) and two outputs under a 0.8/0.2 weighted loss;
saving and restoring weights and checkpoints; early stopping that restores the best epoch's weights.
Chapter 11: test_geron_ports_init.py, _optim.py and _regularization.py.
"""

import copy
import math

import numpy as np
import pytest
from geron_helpers import train

import autograd_core as torch
import nn
from nn.data import DataLoader, TensorDataset

XOR_X = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = [0.0, 1.0, 1.0, 0.0]


def test_equation_10_3_perceptron_rule_converges_within_novikoffs_mistake_bound():
    # w <- w + eta (y - y_hat) x on separable data: at most (R / gamma)^2 mistakes, R = max ||x||, gamma the margin
    rng = np.random.default_rng(42)
    w_true = np.array([1.0, -2.0, 0.5])  # the last column is the bias input 1
    X = np.c_[rng.uniform(-1, 1, size=(400, 2)), np.ones(400)]
    X = X[np.abs(X @ w_true) / np.linalg.norm(w_true) > 0.1]  # keep a margin of 0.1
    y = (X @ w_true > 0).astype(float)
    w, eta, mistakes = torch.zeros(3), 1.0, 0
    for _ in range(100):  # epochs
        errors = 0
        for x_i, y_i in zip(torch.tensor(X), y):
            y_hat = torch.heaviside(w @ x_i, torch.tensor(0.0)).item()  # the step function
            if y_hat != y_i:
                w = w + eta * (y_i - y_hat) * x_i
                errors += 1
        mistakes += errors
        if errors == 0:
            break
    gamma = (np.abs(X @ w_true) / np.linalg.norm(w_true)).min()
    R = np.linalg.norm(X, axis=1).max()
    assert errors == 0 and 0 < mistakes <= (R / gamma) ** 2
    assert ((X @ w.data > 0) == y.astype(bool)).all()


def test_figure_10_6_the_hand_wired_xor_network_of_step_units():
    step = lambda z: torch.heaviside(z, torch.tensor(0.0))  # noqa: E731
    hidden = nn.Linear(2, 2)
    output = nn.Linear(2, 1)
    with torch.no_grad():  # hidden: OR-like (bias -0.5) and AND-like (bias -1.5); output: OR and not AND
        hidden.weight.copy_(torch.tensor([[1.0, 1.0], [1.0, 1.0]]))
        hidden.bias.copy_(torch.tensor([-0.5, -1.5]))
        output.weight.copy_(torch.tensor([[1.0, -1.0]]))
        output.bias.copy_(torch.tensor([-0.5]))
    assert step(output(step(hidden(XOR_X)))).reshape(-1).tolist() == XOR_Y
    # a single step unit cannot: no w, b give the four outputs (Minsky & Papert), checked on a grid of weights
    grid = np.linspace(-2, 2, 41)
    for w1 in grid:
        for w2 in grid:
            outputs = (XOR_X.data @ np.array([w1, w2])[:, None] + grid[None, :] > 0).astype(float)
            assert not (outputs == np.array(XOR_Y)[:, None]).all(axis=0).any()


def test_an_mlp_learns_xor_with_backpropagation():
    torch.manual_seed(42)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
    optimizer = nn.optim.Adam(model.parameters(), lr=0.05)
    loss_fn = nn.BCEWithLogitsLoss()
    y = torch.tensor(XOR_Y).reshape(4, 1)
    for _ in range(300):
        loss = loss_fn(model(XOR_X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert (torch.sigmoid(model(XOR_X)) > 0.5).float().reshape(-1).tolist() == XOR_Y and loss.item() < 0.05


def synthetic_housing(n=1500, seed=42):
    """A stand-in for California housing: 8 standardised features, a smooth nonlinear target, noise 0.1."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 8))
    y = np.sin(X[:, 0]) + 0.5 * X[:, 1] * X[:, 2] + 0.3 * X[:, 3] ** 2 - X[:, 4] + 0.1 * rng.normal(size=n)
    return X, y[:, None]


def rmse(model, X, y):
    model.eval()
    with torch.no_grad():
        return math.sqrt(nn.functional.mse_loss(model(torch.tensor(X)), torch.tensor(y)).item())


def test_regression_mlp_reaches_near_the_noise_floor_where_linear_regression_cannot():
    X, y = synthetic_housing()
    X_train, y_train, X_valid, y_valid = X[:1200], y[:1200], X[1200:], y[1200:]
    torch.manual_seed(42)
    n_features = X.shape[1]
    model = nn.Sequential(nn.Linear(n_features, 50), nn.ReLU(), nn.Linear(50, 40), nn.ReLU(), nn.Linear(40, 1))
    optimizer = nn.optim.SGD(model.parameters(), lr=0.02)
    train(torch, model, optimizer, nn.MSELoss(), X_train, y_train, n_epochs=30)
    with_bias = np.c_[X_train, np.ones(len(X_train))]
    beta = np.linalg.lstsq(with_bias, y_train, rcond=None)[0]  # the best a linear model can do
    linear_rmse = math.sqrt(np.mean((np.c_[X_valid, np.ones(len(X_valid))] @ beta - y_valid) ** 2))
    assert rmse(model, X_valid, y_valid) < 0.5 * linear_rmse


def test_classification_mlp_on_the_digits_with_softmax_probabilities():
    X, y = nn.datasets.load_digits()
    X = X / 16.0
    torch.manual_seed(42)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 100), nn.ReLU(), nn.Linear(100, 10))
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    train(torch, model, optimizer, nn.CrossEntropyLoss(), X[:1500], y[:1500], n_epochs=10)
    model.eval()
    with torch.no_grad():
        y_logits = model(torch.tensor(X[1500:]))
    y_proba = torch.softmax(y_logits, dim=1)
    assert np.allclose(y_proba.sum(dim=1).data, 1.0, rtol=1e-14)
    accuracy = (y_logits.argmax(dim=1) == torch.tensor(y[1500:])).float().mean().item()
    assert accuracy > 0.9


class WideAndDeep(nn.Module):
    """The book's two-input, two-output model: X_wide straight to the output, X_deep through two hidden layers,
    an auxiliary output on the deep path alone (a regulariser: the deep part must be useful on its own)."""

    def __init__(self, n_wide, n_deep):
        super().__init__()
        self.deep_stack = nn.Sequential(nn.Linear(n_deep, 50), nn.ReLU(), nn.Linear(50, 40), nn.ReLU())
        self.output_layer = nn.Linear(40 + n_wide, 1)
        self.aux_output_layer = nn.Linear(40, 1)

    def forward(self, X_wide, X_deep):
        deep_output = self.deep_stack(X_deep)
        wide_and_deep = torch.concat([X_wide, deep_output], dim=1)
        return self.output_layer(wide_and_deep), self.aux_output_layer(deep_output)


def test_wide_and_deep_weighted_losses_give_the_weighted_gradients():
    X, y = synthetic_housing(n=64)
    torch.manual_seed(42)
    model = WideAndDeep(n_wide=5, n_deep=6)
    X_wide, X_deep, y = torch.tensor(X[:, :5]), torch.tensor(X[:, 2:]), torch.tensor(y)
    y_pred, y_pred_aux = model(X_wide, X_deep)
    main_loss, aux_loss = nn.functional.mse_loss(y_pred, y), nn.functional.mse_loss(y_pred_aux, y)
    params = list(model.parameters())
    grads = [torch.autograd.grad(loss, params, retain_graph=True, allow_unused=True) for loss in (main_loss, aux_loss)]
    weighted = 0.8 * main_loss + 0.2 * aux_loss
    weighted.backward()
    for p, g_main, g_aux in zip(model.parameters(), *grads):
        g_main, g_aux = (0 if g is None else np.asarray(g) for g in (g_main, g_aux))
        expected = 0.8 * g_main + 0.2 * g_aux
        np.testing.assert_allclose(p.grad, expected, rtol=1e-12, atol=1e-15)
    assert grads[1][list(dict(model.named_parameters())).index("output_layer.weight")] is None  # aux skips it


def test_wide_and_deep_trains_on_a_loader_of_tuples_and_of_named_inputs():
    X, y = synthetic_housing(n=600)
    X_wide, X_deep = X[:, :5], X[:, 2:]

    class NamedDataset:  # the book's dataset of dicts: model(**X_batch)
        def __len__(self):
            return len(y)

        def __getitem__(self, idx):
            return {"X_wide": X_wide[idx], "X_deep": X_deep[idx]}, y[idx]

    losses = {}
    for style in ("tuple", "named"):
        torch.manual_seed(42)
        model = WideAndDeep(n_wide=5, n_deep=6)
        optimizer = nn.optim.Adam(model.parameters(), lr=0.01)
        if style == "tuple":
            dataset = TensorDataset(torch.tensor(X_wide), torch.tensor(X_deep), torch.tensor(y))
        else:
            dataset = NamedDataset()
        loader = DataLoader(dataset, batch_size=32, shuffle=False)
        for _ in range(5):
            for *inputs, y_batch in loader:
                outputs = model(**inputs[0]) if style == "named" else model(*inputs)
                y_pred, y_pred_aux = outputs
                loss = 0.8 * nn.functional.mse_loss(y_pred, y_batch) + 0.2 * nn.functional.mse_loss(y_pred_aux, y_batch)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        losses[style] = loss.item()
    assert losses["tuple"] == pytest.approx(losses["named"], rel=1e-12) and losses["tuple"] < 0.5


def test_saving_and_restoring_weights_and_a_checkpoint(tmp_path):
    torch.manual_seed(42)
    model = nn.Sequential(nn.Linear(8, 20), nn.ReLU(), nn.Linear(20, 1))
    optimizer = nn.optim.Adam(model.parameters(), lr=0.01)
    X, y = synthetic_housing(n=64)
    train(torch, model, optimizer, nn.MSELoss(), X, y, n_epochs=2)
    torch.save(model.state_dict(), tmp_path / "my_model_weights.pt")
    new_model = nn.Sequential(nn.Linear(8, 20), nn.ReLU(), nn.Linear(20, 1))
    new_model.load_state_dict(torch.load(tmp_path / "my_model_weights.pt", weights_only=True))
    assert rmse(new_model, X, y) == rmse(model, X, y)
    with pytest.raises(TypeError, match=r"ag.save: a whole model \(Sequential\) is not pickled here"):
        torch.save(model, tmp_path / "my_model.pt")  # the book's whole-model pickle: refused, saying what to do
    # a checkpoint: model and optimizer state, so training resumes exactly
    nn.utils.save_checkpoint(tmp_path / "checkpoint.npz", model, optimizer)
    twin = nn.Sequential(nn.Linear(8, 20), nn.ReLU(), nn.Linear(20, 1))
    twin_optimizer = nn.optim.Adam(twin.parameters(), lr=0.01)
    nn.utils.load_checkpoint(tmp_path / "checkpoint.npz", twin, twin_optimizer)
    train(torch, model, optimizer, nn.MSELoss(), X, y, n_epochs=1, seed=1)
    train(torch, twin, twin_optimizer, nn.MSELoss(), X, y, n_epochs=1, seed=1)
    for a, b in zip(model.parameters(), twin.parameters()):
        np.testing.assert_array_equal(a.data, b.data)


def test_early_stopping_by_hand_restores_the_best_epochs_weights():
    X, y = synthetic_housing(n=300)
    X_train, y_train, X_valid, y_valid = X[:40], y[:40], X[200:], y[200:]  # few examples: it overfits
    torch.manual_seed(42)
    model = nn.Sequential(nn.Linear(8, 200), nn.ReLU(), nn.Linear(200, 1))
    optimizer = nn.optim.Adam(model.parameters(), lr=0.01)
    best_rmse, best_state, patience, bad_epochs, history = math.inf, None, 5, 0, []
    for _ in range(300):
        train(torch, model, optimizer, nn.MSELoss(), X_train, y_train, n_epochs=1)
        valid_rmse = rmse(model, X_valid, y_valid)
        history.append(valid_rmse)
        if valid_rmse < best_rmse:
            best_rmse, bad_epochs = valid_rmse, 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            bad_epochs += 1
            if bad_epochs >= patience:
                break
    assert len(history) < 300 and history[-patience - 1] == min(history)  # stopped patience epochs after the best
    model.load_state_dict(best_state)
    assert rmse(model, X_valid, y_valid) == min(history)
