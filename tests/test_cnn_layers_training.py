"""A small CNN of the new layers (ZeroPad2d, BatchNorm2d, Dropout2d, AdaptiveAvgPool2d) learns the bundled
8x8 digits with nn.fit."""

import time

import nn
import nn.functional as F


def test_a_small_cnn_of_the_new_layers_learns_the_digits():
    """(Conv2d -> BatchNorm2d -> ReLU) x 2 -> Dropout2d -> AdaptiveAvgPool2d(1) -> Flatten -> Linear, by nn.fit."""
    X, y = nn.datasets.load_digits()
    X_train, X_test, y_train, y_test = nn.datasets.train_test_split(X, y, test_size=0.2, seed=0)
    X_train, X_test = (X_train / 16.0).reshape(-1, 1, 8, 8), (X_test / 16.0).reshape(-1, 1, 8, 8)
    model = nn.Sequential(
        nn.ZeroPad2d(1),  # keeps 8x8
        nn.Conv2d(1, 16, 3, seed=0),
        nn.BatchNorm2d(16),
        nn.ReLU(),
        nn.Conv2d(16, 32, 3, stride=2, padding=1, seed=1),  # (N, 32, 4, 4)
        nn.BatchNorm2d(32),
        nn.ReLU(),
        nn.Dropout2d(0.1, seed=0),
        nn.AdaptiveAvgPool2d(1),  # (N, 32, 1, 1): one average per channel
        nn.Flatten(),
        nn.Linear(32, 10, seed=0),
    )
    optimizer = nn.optim.Adam(model.parameters(), lr=2e-2)
    start = time.process_time()
    history = nn.fit(model, F.cross_entropy, optimizer, X_train, y_train, epochs=8, progress=False)
    seconds = time.process_time() - start
    _loss, accuracy = nn.evaluate(model, F.cross_entropy, X_test, y_test)
    print(f"digits test accuracy {accuracy:.3f} after {seconds:.1f} s CPU")
    assert accuracy > 0.85, accuracy  # chance is 0.1; 0.97 measured in about 1 s
    assert history.step == "define-by-run"  # BatchNorm's buffers and Dropout2d's masks: no compile
    assert model[2].running_var.min() != 1.0  # the running statistics moved
