"""What the Géron ports (tests/test_geron_ports*.py) share: the book's deep-net experiment, its training loop,
and Lambert's W for the Swish minimum, written as a PyTorch reader writes them (``torch`` is autograd_core)."""

import math

import numpy as np


def lambert_w(y, iterations=50):
    """W(y), the w with w e^w = y (y >= 0), by Newton's method: the oracle of Swish's minimum."""
    w = math.log1p(y)
    for _ in range(iterations):
        w -= (w * math.exp(w) - y) / (math.exp(w) * (w + 1))
    return w


def deep_activations(torch, nn, activation, depth=100, width=100, gain=1.0, batch=400, seed=42):
    """The means and standard deviations of each layer's output in a ``depth``-layer net of ``width`` units,
    weights N(0, gain^2 / fan_in) (LeCun's at gain 1, He's at sqrt 2), zero biases, standard-normal inputs."""
    torch.manual_seed(seed)
    layers = []
    for _ in range(depth):
        linear = nn.Linear(width, width)
        nn.init.normal_(linear.weight, std=gain / math.sqrt(width))
        nn.init.zeros_(linear.bias)
        layers += [linear, activation]
    model = nn.Sequential(*layers)
    x = torch.tensor(np.random.default_rng(seed).standard_normal((batch, width)))
    means, stds = [], []
    with torch.no_grad():
        for index in range(0, len(model), 2):
            x = model[index + 1](model[index](x))
            means.append(float(x.mean()))
            stds.append(float(x.std()))
    return means, stds


def train(torch, model, optimizer, loss_fn, X, y, n_epochs, batch_size=32, scheduler=None, seed=0):
    """The book's training loop (its ``train()``): shuffled mini-batches, ``zero_grad``/``backward``/``step``,
    the scheduler stepped per epoch; returns the mean training loss of each epoch."""
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(n_epochs):
        model.train()
        order = rng.permutation(len(X))
        total = 0.0
        for start in range(0, len(X), batch_size):
            index = order[start : start + batch_size]
            X_batch, y_batch = torch.tensor(X[index]), torch.tensor(y[index])
            loss = loss_fn(model(X_batch), y_batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(index)
        losses.append(total / len(X))
        if scheduler is not None:
            scheduler.step()
    return losses
