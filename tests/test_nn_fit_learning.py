"""nn.fit learns: moons and digits to 95%, binary, one-hot and regression targets, float32, seeds."""

import numpy as np
import pytest
from fit_helpers import adam, moons

import nn
import nn.functional as F
from nn import datasets, optim

# tiny matrices: one BLAS thread (the fixture in conftest.py says why)
pytestmark = pytest.mark.usefixtures("one_blas_thread")


def test_fit_on_moons_reaches_95_percent_validation_accuracy():
    X, y = moons(0)
    X_val, y_val = moons(1, 200)
    model = nn.MLP([2, 16, 16, 2], seed=0)
    history = nn.fit(
        model, F.cross_entropy, adam(model), X, y, epochs=40, batch_size=32, validation=(X_val, y_val), progress=False
    )
    assert history.val_acc[-1] >= 0.95
    assert history.train_loss[-1] < history.train_loss[0] / 3
    assert history.stopped_reason == "completed" and history.epochs_run == 40
    assert nn.evaluate(model, F.cross_entropy, X_val, y_val)[1] == pytest.approx(history.val_acc[-1])


def test_digits_mlp_64_64_10_reaches_95_percent_test_accuracy():
    X, y = datasets.load_digits()
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, test_size=0.2, seed=0)
    X_train, X_test = datasets.standardize(X_train, X_test)
    model = nn.MLP([64, 64, 10], seed=0)
    nn.fit(
        model,
        F.cross_entropy,
        optim.Adam(model.parameters(), lr=3e-3),
        X_train,
        y_train,
        epochs=12,
        batch_size=32,
        progress=False,
    )
    _test_loss, test_acc = nn.evaluate(model, F.cross_entropy, X_test, y_test)
    assert test_acc >= 0.95


def test_binary_logits_regression_and_one_hot_accuracy_rules():
    X, y = moons(2, 200)
    model = nn.MLP([2, 16, 1], seed=0)
    history = nn.fit(
        model,
        F.binary_cross_entropy_with_logits,
        adam(model, 0.03),
        X,
        y[:, None].astype(float),
        epochs=30,
        progress=False,
    )
    assert history.train_acc[-1] >= 0.9
    probs = nn.MLP([2, 16, 1], output_activation="sigmoid", seed=0)
    history = nn.fit(
        probs, F.binary_cross_entropy, adam(probs, 0.03), X, y[:, None].astype(float), epochs=30, progress=False
    )
    assert history.train_acc[-1] >= 0.9
    one_hot = nn.MLP([2, 16, 2], seed=0)
    history = nn.fit(one_hot, F.cross_entropy, adam(one_hot, 0.03), X, np.eye(2)[y], epochs=30, progress=False)
    assert history.train_acc[-1] >= 0.9
    regression = nn.MLP([2, 8, 1], seed=0)
    history = nn.fit(regression, F.mse_loss, adam(regression), X, X[:, :1] ** 2, epochs=3, progress=False)
    assert history.train_acc == [] and history.val_acc == [] and len(history.train_loss) == 3


def test_float32_models_train_in_float32():
    X, y = moons(0, 200)
    model = nn.MLP([2, 16, 2], seed=0, dtype=np.float32)
    history = nn.fit(
        model, F.cross_entropy, adam(model, 0.03), X, y, epochs=20, validation=moons(1, 100), progress=False
    )
    assert all(p.dtype == np.float32 and p.grad.dtype == np.float32 for p in model.parameters())
    assert history.val_acc[-1] >= 0.9


def test_same_seed_same_history_other_seed_other_order():
    X, y = moons(0, 100)
    runs = []
    for seed in (0, 0, 1):
        model = nn.MLP([2, 8, 2], seed=0)
        runs.append(nn.fit(model, F.cross_entropy, adam(model), X, y, epochs=3, seed=seed, progress=False).train_loss)
    assert runs[0] == runs[1] and runs[0] != runs[2]
    assert all(type(v) is float for v in runs[0])
