"""What the CS224n assignment-2 ports share: the assignment's test harness (its dummy five-word dataset, its
seeds, ``normalizeRows``, the skip-gram model and the SGD wrapper, re-written here with the same arguments and
the same use of Python's random stream), and the word2vec losses computed by autograd_core: each
``*LossAndGradient`` keeps the assignment's interface (loss, dJ/dv_c, dJ/dU) but its gradients come from
``backward()``, the chain rule, where the assignment's students write them by hand (``hand_*`` below, the test
oracles)."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import numpy as np

import autograd_core as torch
import nn.functional as F

TOKENS = {"a": 0, "b": 1, "c": 2, "d": 3, "e": 4}

# The assignment's expected results, printed in word2vec.py ("Value should approximate these")
NAIVE_LOSS = 11.16610900153398
NAIVE_GRAD_CENTER_ROW_C = [-1.26947339, -1.36873189, 2.45158957]
NAIVE_GRAD_OUTSIDE = [
    [-0.41045956, 0.18834851, 1.43272264],
    [0.38202831, -0.17530219, -1.33348241],
    [0.07009355, -0.03216399, -0.24466386],
    [0.09472154, -0.04346509, -0.33062865],
    [-0.13638384, 0.06258276, 0.47605228],
]
NEG_LOSS = 16.15119285363322
NEG_GRAD_CENTER_ROW_C = [-4.54650789, -1.85942252, 0.76397441]
NEG_GRAD_OUTSIDE = [
    [-0.69148188, 0.31730185, 2.41364029],
    [-0.22716495, 0.10423969, 0.79292674],
    [-0.45528438, 0.20891737, 1.58918512],
    [-0.31602611, 0.14501561, 1.10309954],
    [-0.80620296, 0.36994417, 2.81407799],
]


def normalize_rows(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)


class DummyDataset:
    """The assignment's dummy dataset: tokens a..e drawn uniformly from a seeded Python random stream (a private
    ``random.Random(31415)`` here, the same numbers as the assignment's ``random.seed(31415)``)."""

    def __init__(self, seed: int = 31415) -> None:
        self.random = random.Random(seed)

    def sampleTokenIdx(self) -> int:
        return self.random.randint(0, 4)

    def getRandomContext(self, window: int) -> tuple[str, list[str]]:
        names = list(TOKENS)
        centre = names[self.random.randint(0, 4)]
        return centre, [names[self.random.randint(0, 4)] for _ in range(2 * window)]


def dummy_vectors() -> np.ndarray:
    """``np.random.seed(9265); normalizeRows(np.random.randn(10, 3))``: five centre rows, then five outside rows."""
    return normalize_rows(np.random.RandomState(9265).randn(10, 3))


def negative_samples(outside_idx: int, dataset: Any, k: int) -> list[int]:
    """The assignment's getNegativeSamples: K draws, each redrawn while it is the outside word (repeats allowed)."""
    samples = []
    for _ in range(k):
        idx = dataset.sampleTokenIdx()
        while idx == outside_idx:
            idx = dataset.sampleTokenIdx()
        samples.append(idx)
    return samples


def _leaves(center_vec: np.ndarray, outside_vectors: np.ndarray) -> tuple[Any, Any]:
    return torch.tensor(center_vec, requires_grad=True), torch.tensor(outside_vectors, requires_grad=True)


def naive_softmax_loss_and_gradient(center_vec, outside_idx, outside_vectors, dataset):
    """J = -log softmax(U v_c)[o], differentiated by the engine."""
    v_c, u = _leaves(center_vec, outside_vectors)
    y_hat = torch.softmax(u @ v_c, dim=0)
    loss = -torch.log(y_hat[outside_idx])
    loss.backward()
    return loss.item(), v_c.grad, u.grad


def neg_sampling_loss_and_gradient(center_vec, outside_idx, outside_vectors, dataset, K=10):
    """J = -log sigma(u_o . v_c) - sum_k log sigma(-u_k . v_c), a word sampled twice counted twice (U[indices]
    gathers repeated rows, whose gradients the engine adds up)."""
    indices = negative_samples(outside_idx, dataset, K)
    v_c, u = _leaves(center_vec, outside_vectors)
    loss = -F.logsigmoid(u[outside_idx] @ v_c) - F.logsigmoid(-(u[indices] @ v_c)).sum()
    loss.backward()
    return loss.item(), v_c.grad, u.grad


def hand_naive_softmax(center_vec, outside_idx, outside_vectors):
    """The assignment's written answers (b), (c): dJ/dv_c = U^T (y_hat - y), dJ/dU = (y_hat - y) v_c^T."""
    scores = outside_vectors @ center_vec
    y_hat = np.exp(scores - scores.max()) / np.exp(scores - scores.max()).sum()
    delta = y_hat - np.eye(len(y_hat))[outside_idx]
    return -np.log(y_hat[outside_idx]), outside_vectors.T @ delta, np.outer(delta, center_vec)


def hand_neg_sampling(center_vec, outside_idx, outside_vectors, negatives):
    """Answer (e): dJ/dv_c = -(1 - s(u_o.v_c)) u_o + sum_k (1 - s(-u_k.v_c)) u_k; dJ/du_o = -(1 - s(u_o.v_c)) v_c;
    dJ/du_k = (1 - s(-u_k.v_c)) v_c, summed over the k that drew the same word."""

    def sigmoid(z):
        return 1 / (1 + np.exp(-z))

    u_o = outside_vectors[outside_idx]
    s_o = sigmoid(u_o @ center_vec)
    loss = -np.log(s_o)
    grad_center = -(1 - s_o) * u_o
    grad_outside = np.zeros_like(outside_vectors)
    grad_outside[outside_idx] -= (1 - s_o) * center_vec
    for k in negatives:
        s_k = sigmoid(-outside_vectors[k] @ center_vec)
        loss -= np.log(s_k)
        grad_center += (1 - s_k) * outside_vectors[k]
        grad_outside[k] += (1 - s_k) * center_vec
    return loss, grad_center, grad_outside


LossFn = Callable[..., tuple[float, Any, Any]]


def skipgram(center_word, window, outside_words, word2ind, center_vectors, outside_vectors, dataset, loss_fn):
    """The skip-gram model: the centre word's row against each outside word, losses and gradients summed."""
    loss, grad_center, grad_outside = 0.0, np.zeros(center_vectors.shape), np.zeros(outside_vectors.shape)
    c = word2ind[center_word]
    for word in outside_words:
        step_loss, g_c, g_u = loss_fn(center_vectors[c], word2ind[word], outside_vectors, dataset)
        loss += step_loss
        grad_center[c] += g_c
        grad_outside += g_u
    return loss, grad_center, grad_outside


def sgd_wrapper(word_vectors, dataset, loss_fn, window=5, batch=50):
    """The assignment's word2vec_sgd_wrapper: 50 random contexts, centre rows on top, outside rows below."""
    loss, grad = 0.0, np.zeros(word_vectors.shape)
    half = word_vectors.shape[0] // 2
    for _ in range(batch):
        size = dataset.random.randint(1, window)
        centre, context = dataset.getRandomContext(size)
        c, g_in, g_out = skipgram(
            centre, size, context, TOKENS, word_vectors[:half], word_vectors[half:], dataset, loss_fn
        )
        loss += c / batch
        grad[:half] += g_in / batch
        grad[half:] += g_out / batch
    return loss, grad


def sgd(f, x0, step, iterations, postprocessing=None):
    """The assignment's sgd.py loop: x <- x - step * grad, then postprocessing; the losses returned."""
    x, losses = x0, []
    for _ in range(iterations):
        loss, grad = f(x)
        x = x - step * grad
        x = postprocessing(x) if postprocessing else x
        losses.append(loss)
    return x, losses
