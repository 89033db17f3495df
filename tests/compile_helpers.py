"""Shared by the ag.compile tests: the engine-as-oracle comparison and a small MLP training step.

The oracle is always the engine itself: the same function run define-by-run on twin
parameters (or on the same ones, one call later). Values change between calls (SGD
steps, new batches), so a replay that froze something it should not is caught.
"""

import itertools

import numpy as np

from autograd_core import Tensor


def assert_same(got, want):
    """Same dtype and shape; equal up to the order 3+ gradient paths are summed in."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape
    tolerance = 1e-12 if want.dtype == np.float64 else 1e-6
    assert np.max(np.abs(got - want), initial=0) <= tolerance * np.max(np.abs(want), initial=0)


def mlp_params(dtype, sizes=(6, 8, 5, 3), seed=0):
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in itertools.pairwise(sizes):
        params.append(Tensor(rng.standard_normal((fan_in, fan_out)).astype(dtype), requires_grad=True))
        params.append(Tensor(0.1 * rng.standard_normal(fan_out).astype(dtype), requires_grad=True))  # broadcast
    return params


def mlp_logits(params, X):
    h = X
    for k in range(0, len(params), 2):
        h = h @ params[k] + params[k + 1]
        if k < len(params) - 2:
            h = h.relu()
    return h


def one_hot_loss(params, X, Y):
    return -(mlp_logits(params, X).log_softmax(axis=-1) * Y).sum() / X.shape[0]


def label_loss(params, X, labels):
    """Integer labels index the log-probabilities (a getitem whose index is an argument)."""
    return -mlp_logits(params, X).log_softmax()[np.arange(len(labels)), labels].mean()


def batch(rng, dtype, n=7, features=6, classes=3):
    labels = rng.integers(0, classes, n)
    return rng.standard_normal((n, features)).astype(dtype), np.eye(classes, dtype=dtype)[labels], labels


def sgd(params):
    for p in params:
        p.data -= 0.1 * p.grad
        p.grad = None
