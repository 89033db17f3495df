"""When nn.fit stops: early stopping (and which weights it restores), completion, and tol."""

import numpy as np
import pytest
from fit_helpers import EpochSpy, adam, moons

import nn
import nn.functional as F
from nn import optim

# tiny matrices: one BLAS thread (the fixture in conftest.py says why)
pytestmark = pytest.mark.usefixtures("one_blas_thread")


def overfitting_setup():
    """Training pulls w towards 1 while the validation target wants 0: validation worsens every epoch."""
    model = nn.Sequential(nn.Linear(1, 1, bias=False, seed=0))
    model[0].weight.data[:] = 0.0
    X = np.ones((8, 1))
    return model, X, np.ones((8, 1)), (X, np.zeros((8, 1)))


def test_early_stopping_stops_and_restores_the_best_epochs_weights():
    model, X, y, validation = overfitting_setup()
    spy = EpochSpy(model)
    history = nn.fit(
        model,
        F.mse_loss,
        optim.SGD(model.parameters(), lr=0.05),
        X,
        y,
        epochs=50,
        batch_size=8,
        validation=validation,
        early_stopping=3,
        progress=False,
        scheduler=spy,
    )
    assert history.best_epoch == 0 == int(np.argmin(history.val_loss))
    assert history.stopped_reason == "early_stopping" and history.epochs_run == 4
    np.testing.assert_array_equal(model[0].weight.data, spy.states[0]["0.weight"])
    assert not np.array_equal(spy.states[-1]["0.weight"], spy.states[0]["0.weight"])


def test_early_stopping_restores_the_best_weights_when_training_completes():
    model, X, y, validation = overfitting_setup()
    spy = EpochSpy(model)
    history = nn.fit(
        model,
        F.mse_loss,
        optim.SGD(model.parameters(), lr=0.05),
        X,
        y,
        epochs=5,
        batch_size=8,
        validation=validation,
        early_stopping=100,
        progress=False,
        scheduler=spy,
    )
    assert history.stopped_reason == "completed" and history.best_epoch == 0
    np.testing.assert_array_equal(model[0].weight.data, spy.states[0]["0.weight"])


def test_without_early_stopping_the_last_weights_stay_and_best_epoch_is_recorded():
    model, X, y, validation = overfitting_setup()
    spy = EpochSpy(model)
    history = nn.fit(
        model,
        F.mse_loss,
        optim.SGD(model.parameters(), lr=0.05),
        X,
        y,
        epochs=5,
        batch_size=8,
        validation=validation,
        progress=False,
        scheduler=spy,
    )
    assert history.best_epoch == 0
    np.testing.assert_array_equal(model[0].weight.data, spy.states[-1]["0.weight"])


def test_tol_stops_when_the_loss_settles():
    X, y = moons(0, 100)
    model = nn.MLP([2, 8, 2], seed=0)
    history = nn.fit(model, F.cross_entropy, adam(model), X, y, epochs=500, tol=1e-3, progress=False)
    assert history.stopped_reason == "tol" and history.epochs_run < 500
    changes = np.abs(np.diff(history.train_loss))
    assert changes[-1] < 1e-3 and (changes[:-1] >= 1e-3).all()
