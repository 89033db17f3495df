"""A tiny CNN (cs231n's conv - relu - pool - affine) learns the bundled 8x8 digits with nn.fit, its
steps replayed by ag.compile exactly as define-by-run would train it."""

import numpy as np
import pytest

import nn
import nn.functional as F


def digits_images():
    X, y = nn.datasets.load_digits()
    X_train, X_test, y_train, y_test = nn.datasets.train_test_split(X, y, test_size=0.2, seed=0)
    return (X_train / 16.0).reshape(-1, 1, 8, 8), (X_test / 16.0).reshape(-1, 1, 8, 8), y_train, y_test


def tiny_cnn(dtype):
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, seed=0, dtype=dtype),  # (N, 4, 6, 6)
        nn.ReLU(),
        nn.MaxPool2d(2),  # (N, 4, 3, 3)
        nn.Flatten(),
        nn.Linear(36, 10, seed=0, dtype=dtype),
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_tiny_cnn_learns_the_digits_well_above_chance(dtype):
    X_train, X_test, y_train, y_test = digits_images()
    model = tiny_cnn(dtype)
    optimizer = nn.optim.Adam(model.parameters(), lr=1e-2)
    history = nn.fit(model, F.cross_entropy, optimizer, X_train.astype(dtype), y_train, epochs=5, progress=False)
    assert history.step == "compiled", history.step_reason
    _loss, accuracy = nn.evaluate(model, F.cross_entropy, X_test.astype(dtype), y_test)
    assert accuracy > 0.9  # chance is 0.1; 0.94 measured
    assert model[0].weight.dtype == dtype


def test_compiled_training_equals_define_by_run_training():
    X_train, _, y_train, _ = digits_images()
    trained = []
    for compile_mode in ("auto", False):
        model = tiny_cnn(np.float64)
        optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
        history = nn.fit(
            model,
            F.cross_entropy,
            optimizer,
            X_train[:256],
            y_train[:256],
            epochs=2,
            progress=False,
            compile=compile_mode,
        )
        trained.append((history.step, history.train_loss, [p.data.copy() for p in model.parameters()]))
    (compiled, losses, weights), (plain, plain_losses, plain_weights) = trained
    assert (compiled, plain) == ("compiled", "define-by-run")
    np.testing.assert_allclose(losses, plain_losses, rtol=1e-12)
    for w, v in zip(weights, plain_weights):
        np.testing.assert_allclose(w, v, rtol=1e-10, atol=1e-13)
