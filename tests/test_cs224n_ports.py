"""Stanford CS224n (Winter 2019-2023), assignment 2, "word2vec", redone with ``torch = ag``: the naive-softmax and
negative-sampling losses of the skip-gram model are written as Tensor expressions and differentiated by the
engine (the chain rule), where the assignment's students derive and code the gradients by hand; the hand-derived
formulas of the written part are the test ORACLES here, with the assignment's own printed results, its gradient
check and its SGD loop. The assignment's harness (dummy dataset, seeds, skip-gram, SGD wrapper) is in
tests/cs224n_helpers.py; its neural dependency parser (assignment 3) in test_cs224n_ports_parser.py.

a. The written part: the naive-softmax loss is the cross-entropy of y and y_hat; its gradients U^T (y_hat - y)
   and (y_hat - y) v_c^T; sigma' = sigma (1 - sigma); the negative-sampling gradients, a repeated sample counted
   each time it is drawn
b. The coding part: ``python word2vec.py``'s printed results (loss 11.16610900153398 and 16.15119285363322, the
   gradients' rows) reproduced to every printed digit, the second after the harness's two gradient checks have
   drawn from the same random stream; the assignment's ``gradcheck_naive`` (h = 1e-4, relative error 1e-5)
c. ``sgd.py``: the sanity checks (x^2 from 0.5, 0, -1.5 to within 1e-6), and word2vec trained by that loop on the
   dummy dataset; ``nn.optim.SGD`` on the same loss takes the same steps; torch's gradients equal ours
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as torch
import nn
import nn.functional as F
from tests import cs224n_helpers as a2
from tests.cs224n_helpers import TOKENS, DummyDataset, dummy_vectors, skipgram

RNG = np.random.default_rng(224)


def random_point(words: int = 6, dim: int = 4) -> tuple[np.ndarray, np.ndarray]:
    return RNG.normal(size=dim), RNG.normal(size=(words, dim))


# ---------------------------------------------------------------- a. the written part
def test_a_the_naive_softmax_loss_is_the_cross_entropy_of_y_and_y_hat():
    v_c, u = random_point()
    loss, _, _ = a2.naive_softmax_loss_and_gradient(v_c, 3, u, None)
    scores = torch.tensor(u @ v_c)
    assert loss == pytest.approx(F.cross_entropy(scores, torch.tensor(3)).item(), rel=1e-12)
    y = np.eye(6)[3]
    assert loss == pytest.approx(-(y * F.log_softmax(scores, dim=0).data).sum(), rel=1e-12)  # -sum_w y_w log y_hat_w


@pytest.mark.parametrize("outside", [0, 2, 5])
def test_a_the_engine_s_naive_softmax_gradients_are_the_hand_derived_ones(outside):
    v_c, u = random_point()
    loss, grad_center, grad_outside = a2.naive_softmax_loss_and_gradient(v_c, outside, u, None)
    hand_loss, hand_center, hand_outside = a2.hand_naive_softmax(v_c, outside, u)
    assert loss == pytest.approx(hand_loss, rel=1e-12)
    np.testing.assert_allclose(grad_center, hand_center, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(grad_outside, hand_outside, rtol=1e-12, atol=1e-15)


def test_a_the_sigmoid_derivative_is_sigma_times_one_minus_sigma_and_stays_finite_far_out():
    z = torch.tensor([-800.0, -3.0, 0.0, 2.5, 800.0], requires_grad=True)
    s = torch.sigmoid(z)
    s.sum().backward()
    np.testing.assert_allclose(z.grad, s.data * (1 - s.data), atol=1e-300)
    assert np.all(np.isfinite(s.data)) and s.data[0] == 0.0 and s.data[-1] == 1.0
    logs = F.logsigmoid(z)  # the negative-sampling loss's log sigma, finite where log(sigmoid) is -inf
    assert logs.data[0] == pytest.approx(-800.0) and np.all(np.isfinite(logs.data))


class _Fixed:
    """A dataset whose samples are given: the negative words drawn, in order."""

    def __init__(self, samples):
        self.samples = list(samples)

    def sampleTokenIdx(self):
        return self.samples.pop(0)


@pytest.mark.parametrize(
    ("draws", "negatives"),
    [([1, 2, 4, 5], [1, 2, 4, 5]), ([3, 3, 3, 1], [3, 3, 3, 1]), ([2, 0, 2, 0, 0, 5, 1], [2, 2, 5, 1])],
)
def test_a_the_engine_s_negative_sampling_gradients_are_the_hand_derived_ones(draws, negatives):
    v_c, u = random_point()  # the outside word is 0: a draw of 0 is redrawn
    loss, grad_center, grad_outside = a2.neg_sampling_loss_and_gradient(v_c, 0, u, _Fixed(draws), K=4)
    hand_loss, hand_center, hand_outside = a2.hand_neg_sampling(v_c, 0, u, negatives)
    assert loss == pytest.approx(hand_loss, rel=1e-12)
    np.testing.assert_allclose(grad_center, hand_center, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(grad_outside, hand_outside, rtol=1e-12, atol=1e-15)


def test_a_a_word_sampled_three_times_gets_three_times_its_gradient():
    v_c, u = random_point()
    _, _, once = a2.neg_sampling_loss_and_gradient(v_c, 0, u, _Fixed([3, 1, 2]), K=3)
    _, _, thrice = a2.neg_sampling_loss_and_gradient(v_c, 0, u, _Fixed([3, 3, 3]), K=3)
    np.testing.assert_allclose(thrice[3], 3 * once[3], rtol=1e-12)
    assert np.all(thrice[[1, 2, 4, 5]] == 0)


# ---------------------------------------------------------------- b. the coding part's printed results
def test_b_skipgram_with_naive_softmax_prints_the_assignment_s_expected_result():
    vectors = dummy_vectors()
    loss, grad_center, grad_outside = skipgram(
        "c", 3, ["a", "b", "e", "d", "b", "c"], TOKENS, vectors[:5], vectors[5:], DummyDataset(),
        a2.naive_softmax_loss_and_gradient,
    )  # fmt: skip
    assert loss == pytest.approx(a2.NAIVE_LOSS, rel=1e-14)
    np.testing.assert_allclose(grad_center[2], a2.NAIVE_GRAD_CENTER_ROW_C, atol=5e-9)  # printed to 8 decimals
    assert np.all(np.delete(grad_center, 2, axis=0) == 0)
    np.testing.assert_allclose(grad_outside, a2.NAIVE_GRAD_OUTSIDE, atol=5e-9)


def test_b_skipgram_with_negative_sampling_prints_the_expected_result_after_the_harness_s_draws():
    vectors, dataset = dummy_vectors(), DummyDataset()
    # word2vec.py's two gradient checks each leave the stream where one call of the SGD wrapper leaves it
    a2.sgd_wrapper(vectors, dataset, a2.naive_softmax_loss_and_gradient)
    a2.sgd_wrapper(vectors, dataset, a2.neg_sampling_loss_and_gradient)
    loss, grad_center, grad_outside = skipgram(
        "c", 1, ["a", "b"], TOKENS, vectors[:5], vectors[5:], dataset, a2.neg_sampling_loss_and_gradient
    )
    assert loss == pytest.approx(a2.NEG_LOSS, rel=1e-14)
    np.testing.assert_allclose(grad_center[2], a2.NEG_GRAD_CENTER_ROW_C, atol=5e-9)
    np.testing.assert_allclose(grad_outside, a2.NEG_GRAD_OUTSIDE, atol=5e-9)


def gradcheck_naive(f, x, entries, h=1e-4):
    """The assignment's gradcheck_naive over ``entries``: the random stream reset before every evaluation,
    centred differences, relative error max(1, |numeric|, |analytic|)-scaled; returns the worst error."""
    state = f.dataset.random.getstate()
    _, grad = f(x)
    worst = 0.0
    for ix in entries:
        x[ix] += h
        f.dataset.random.setstate(state)
        plus, _ = f(x)
        x[ix] -= 2 * h
        f.dataset.random.setstate(state)
        minus, _ = f(x)
        x[ix] += h
        numeric = (plus - minus) / (2 * h)
        worst = max(worst, abs(numeric - grad[ix]) / max(1, abs(numeric), abs(grad[ix])))
    return worst


@pytest.mark.parametrize(
    "loss_fn", [a2.naive_softmax_loss_and_gradient, a2.neg_sampling_loss_and_gradient], ids=["naive", "negative"]
)
def test_b_the_assignment_s_gradient_check_passes(loss_fn):
    dataset = DummyDataset()

    def f(vectors):
        return a2.sgd_wrapper(vectors, dataset, loss_fn, batch=20)  # (the assignment's 50 contexts take seconds)

    f.dataset = dataset  # type: ignore[attr-defined]
    entries = [(2, 0), (4, 2), (6, 1), (9, 0)]  # centre rows and outside rows
    assert gradcheck_naive(f, dummy_vectors(), entries) < 1e-5  # the assignment's threshold
    wrong = a2.naive_softmax_loss_and_gradient

    def halved(*args):  # a wrong gradient fails the same check
        loss, g_c, g_u = wrong(*args)
        return loss, g_c / 2, g_u

    def f_wrong(vectors):
        return a2.sgd_wrapper(vectors, dataset, halved, batch=20)

    f_wrong.dataset = dataset  # type: ignore[attr-defined]
    assert gradcheck_naive(f_wrong, dummy_vectors(), entries[:1]) > 1e-3


def test_b_the_whole_skipgram_loss_passes_ag_gradcheck_in_both_matrices():
    context = ["a", "b", "e", "d", "b", "c"]

    def loss(center_vectors, outside_vectors):
        v_c = center_vectors[TOKENS["c"]]
        log_probs = F.log_softmax(outside_vectors @ v_c, dim=0)
        return -sum(log_probs[TOKENS[w]] for w in context)

    vectors = dummy_vectors()
    assert torch.autograd.gradcheck(loss, (torch.tensor(vectors[:5], requires_grad=True),
                                           torch.tensor(vectors[5:], requires_grad=True)))  # fmt: skip


# ---------------------------------------------------------------- c. sgd.py
@pytest.mark.parametrize("start", [0.5, 0.0, -1.5])
def test_c_sgd_sanity_checks_reach_zero(start):
    def quad(x):
        value, grad = torch.value_and_grad(lambda t: (t**2).sum())(torch.tensor(x))
        return value.item(), grad.data

    x, _ = a2.sgd(quad, start, 0.01, 1000)
    assert abs(x) <= 1e-6


class _Bigrams(DummyDataset):
    """A corpus with structure (the dummy one's contexts are uniform noise, nothing to learn): each word's
    context is the next word of a..e, cyclically."""

    def getRandomContext(self, window):
        names = list(TOKENS)
        i = self.random.randint(0, 4)
        return names[i], [names[(i + 1) % 5]] * (2 * window)


def test_c_word2vec_trained_by_the_sgd_loop_learns_the_contexts_and_nn_optim_sgd_takes_the_same_steps():
    dataset = _Bigrams(seed=0)

    def f(vectors):
        return a2.sgd_wrapper(vectors, dataset, a2.naive_softmax_loss_and_gradient, window=2, batch=10)

    x, losses = a2.sgd(f, dummy_vectors(), 0.3, 60)
    assert np.mean(losses[-5:]) < 0.5 * np.mean(losses[:5])
    scores = x[:5] @ x[5:].T  # centre rows against outside rows: each word's best context is the next word
    assert scores.argmax(axis=1).tolist() == [1, 2, 3, 4, 0]
    # one step of nn.optim.SGD on the whole matrix is the loop's x - step * grad
    _loss, grad = f(x.copy())
    weights = nn.Parameter(torch.tensor(x))
    optimizer = nn.optim.SGD([weights], lr=0.3)
    weights.grad = grad
    optimizer.step()
    np.testing.assert_allclose(weights.data, x - 0.3 * grad, rtol=1e-15)


def test_c_the_losses_gradients_equal_torch():
    real_torch = pytest.importorskip("torch")
    v_c, u = random_point()
    negatives = [2, 2, 5, 1]
    ours_naive = a2.naive_softmax_loss_and_gradient(v_c, 4, u, None)
    ours_neg = a2.neg_sampling_loss_and_gradient(v_c, 4, u, _Fixed(negatives), K=4)
    for ours, loss_of in [
        (ours_naive, lambda tv, tu: -real_torch.log_softmax(tu @ tv, dim=0)[4]),
        (ours_neg, lambda tv, tu: -real_torch.nn.functional.logsigmoid(tu[4] @ tv)
         - real_torch.nn.functional.logsigmoid(-(tu[negatives] @ tv)).sum()),
    ]:  # fmt: skip
        tv = real_torch.tensor(v_c, requires_grad=True)
        tu = real_torch.tensor(u, requires_grad=True)
        loss = loss_of(tv, tu)
        loss.backward()
        assert ours[0] == pytest.approx(loss.item(), rel=1e-12)
        np.testing.assert_allclose(ours[1], tv.grad.numpy(), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(ours[2], tu.grad.numpy(), rtol=1e-12, atol=1e-15)
