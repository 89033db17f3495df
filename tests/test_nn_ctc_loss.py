"""F.ctc_loss and nn.CTCLoss: torch as the oracle (values, and the gradient of the logits under log_softmax,
1e-10 in float64) in every layout torch accepts, and without torch: a one-frame case by hand, a brute-force sum
over every alignment of tiny sequences, finite differences of the true derivative, impossible alignments, the
"mean" rule, a small model that learns to emit a label sequence, and the errors."""

import itertools

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core import Tensor

rng = np.random.default_rng(0)
T, N, C, S = 12, 4, 6, 5
TARGETS = np.array([[1, 2, 2, 3, 5], [4, 4, 4, 0, 0], [5, 1, 0, 0, 0], [0, 0, 0, 0, 0]])  # repeats; padded with 0
TARGET_LENGTHS, INPUT_LENGTHS = np.array([5, 3, 2, 0]), np.array([12, 9, 2, 4])


def _against_torch(logits, targets, input_lengths, target_lengths, torch, **kwargs):
    """Loss and the logits' gradient (log_probs = log_softmax(logits)), ours and torch's, under a random weighting."""
    lt, lq = Tensor(logits, requires_grad=True), torch.tensor(logits, requires_grad=True)
    ours = F.ctc_loss(F.log_softmax(lt, dim=-1), targets, input_lengths, target_lengths, **kwargs)
    as_torch = [torch.as_tensor(np.asarray(v)) for v in (targets, input_lengths, target_lengths)]
    theirs = torch.nn.functional.ctc_loss(torch.log_softmax(lq, -1), *as_torch, **kwargs)
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-12)
    r = rng.normal(size=ours.shape)
    (ours * r).sum().backward()
    (theirs * torch.from_numpy(r)).sum().backward()
    np.testing.assert_allclose(lt.grad, lq.grad.numpy(), rtol=1e-10, atol=1e-12)
    return ours


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("zero_infinity", [False, True])
def test_padded_targets_equal_torch(reduction, zero_infinity):
    torch = pytest.importorskip("torch")
    logits = rng.normal(size=(T, N, C))
    kwargs = dict(reduction=reduction, zero_infinity=zero_infinity)
    _against_torch(logits, TARGETS, INPUT_LENGTHS, TARGET_LENGTHS, torch, **kwargs)


def test_concatenated_targets_unbatched_input_and_another_blank_equal_torch():
    torch = pytest.importorskip("torch")
    logits = rng.normal(size=(T, N, C))
    concatenated = np.concatenate([row[:n] for row, n in zip(TARGETS, TARGET_LENGTHS)])
    _against_torch(logits, concatenated, INPUT_LENGTHS, TARGET_LENGTHS, torch, reduction="none")
    _against_torch(logits[:, 0], TARGETS[0], np.array(T), np.array(5), torch, reduction="none")  # (T, C)
    _against_torch(logits, np.where(TARGETS == 3, 0, TARGETS), INPUT_LENGTHS, TARGET_LENGTHS, torch, blank=3)


def test_a_speech_sized_batch_equals_torch():
    torch = pytest.importorskip("torch")
    logits = rng.normal(size=(50, 4, 20))
    targets = rng.integers(1, 20, size=(4, 12))
    _against_torch(logits, targets, np.array([50, 47, 30, 25]), np.array([12, 9, 12, 1]), torch)


def test_one_frame_one_label_by_hand():
    p = np.array([0.2, 0.5, 0.3])
    loss = F.ctc_loss(Tensor(np.log(p))[None, None], [[1]], [1], [1], reduction="sum")
    assert loss.item() == pytest.approx(-np.log(0.5), rel=1e-14)  # the one alignment: label 1 in the frame
    empty = F.ctc_loss(Tensor(np.log(p))[None, None], [[1]], [1], [0], reduction="sum")
    assert empty.item() == pytest.approx(-np.log(0.2), rel=1e-14)  # the empty sequence: one blank


def _collapse(path: tuple[int, ...], blank: int) -> tuple[int, ...]:
    merged = [k for i, k in enumerate(path) if i == 0 or k != path[i - 1]]
    return tuple(k for k in merged if k != blank)


@pytest.mark.parametrize("target", [(1,), (1, 2), (2, 2), (1, 2, 1), (2, 2, 2), (), (1, 1, 1, 1)])
@pytest.mark.parametrize("blank", [0, 2])
def test_the_loss_is_minus_log_the_sum_over_every_alignment(target, blank):
    frames, classes = 5, 3
    target = tuple(0 if k == blank else k for k in target)  # blank=2: the labels are 0 and 1
    log_probs = np.log(rng.dirichlet(np.ones(classes), size=frames))
    total = sum(
        np.exp(log_probs[np.arange(frames), list(path)].sum())
        for path in itertools.product(range(classes), repeat=frames)
        if _collapse(path, blank) == target
    )
    padded = [list(target) + [1] * (4 - len(target))]
    loss = F.ctc_loss(Tensor(log_probs)[:, None], padded, [frames], [len(target)], blank=blank, reduction="sum")
    expected = -np.log(total) if total > 0 else np.inf  # (1, 1, 1, 1) needs 7 frames: no alignment
    assert loss.item() == pytest.approx(expected, rel=1e-12)
    assert np.isinf(expected) == (len(target) == 4)


def test_the_gradient_is_the_true_derivative_of_unnormalised_log_probs():
    # finite differences of log_probs that are NOT a log_softmax: our gradient is the derivative itself
    x = Tensor(rng.normal(size=(6, 2, 4)), requires_grad=True)

    def loss(log_probs: Tensor) -> Tensor:
        return F.ctc_loss(log_probs, [[1, 3, 3], [2, 0, 0]], [6, 4], [3, 1], reduction="none")

    assert ag.gradcheck(loss, [x], atol=1e-7, rtol=1e-6)


def test_second_derivatives_match_finite_differences_of_the_first():
    logits = Tensor(rng.normal(size=(5, 2, 4)), requires_grad=True)

    def loss(z: Tensor) -> Tensor:
        return F.ctc_loss(F.log_softmax(z, -1), [[1, 2], [3, 3]], [5, 5], [2, 2], reduction="none")

    assert ag.gradgradcheck(loss, [logits], atol=1e-6)


def test_torchs_gradient_of_unnormalised_log_probs_adds_exp_log_probs():
    # torch's kernel returns the derivative plus exp(log_probs) * upstream (equal once behind a log_softmax)
    torch = pytest.importorskip("torch")
    x = rng.normal(size=(6, 2, 4))
    ours, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    args = ([[1, 3, 3], [2, 0, 0]], [6, 4], [3, 1])
    F.ctc_loss(ours, *args, reduction="sum").backward()
    torch.nn.functional.ctc_loss(theirs, *(torch.tensor(a) for a in args), reduction="sum").backward()
    inside = (np.arange(6)[:, None] < np.array([6, 4]))[..., None]
    np.testing.assert_allclose(theirs.grad.numpy() - ours.grad, np.exp(x) * inside, rtol=1e-10, atol=1e-12)


def test_impossible_alignments_are_inf_or_zero_with_zero_gradient():
    x = Tensor(rng.normal(size=(2, 2, 3)), requires_grad=True)
    targets, lengths = [[1, 1], [2, 0]], [2, 1]  # "1 1" needs 3 frames (a blank between the repeats)
    losses = F.ctc_loss(F.log_softmax(x, -1), targets, [2, 2], lengths, reduction="none")
    assert np.isinf(losses.data[0]) and np.isfinite(losses.data[1])
    assert np.isinf(F.ctc_loss(F.log_softmax(x, -1), targets, [2, 2], lengths).item())
    loss = F.ctc_loss(F.log_softmax(x, -1), targets, [2, 2], lengths, reduction="sum", zero_infinity=True)
    loss.backward()
    assert loss.item() == pytest.approx(losses.data[1], rel=1e-14)
    assert not x.grad[:, 0].any() and x.grad[:, 1].any()  # the impossible sequence gets no gradient


def test_mean_divides_each_loss_by_its_target_length_then_averages():
    log_probs = F.log_softmax(Tensor(rng.normal(size=(T, N, C))), -1)
    per_sequence = F.ctc_loss(log_probs, TARGETS, INPUT_LENGTHS, TARGET_LENGTHS, reduction="none").data
    mean = F.ctc_loss(log_probs, TARGETS, INPUT_LENGTHS, TARGET_LENGTHS).item()
    assert mean == pytest.approx(np.mean(per_sequence / np.maximum(TARGET_LENGTHS, 1)), rel=1e-14)
    module = nn.CTCLoss(reduction="none")(log_probs, TARGETS, INPUT_LENGTHS, TARGET_LENGTHS)
    np.testing.assert_array_equal(module.data, per_sequence)
    assert repr(nn.CTCLoss(blank=3, reduction="sum")) == "CTCLoss(blank=3, reduction='sum')"


def test_a_small_model_learns_to_emit_the_label_sequence():
    # 10 frames of noise features; a linear layer trained with CTC must spell "3 1 1 2" (greedy decoding)
    features = Tensor(rng.normal(size=(10, 1, 8)))
    model = nn.Linear(8, 4, seed=0)
    optimizer = nn.optim.Adam(model.parameters(), lr=0.1)
    losses = []
    for _ in range(60):
        loss = nn.CTCLoss()(F.log_softmax(model(features), -1), [[3, 1, 1, 2]], [10], [4])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    best = model(features).data.argmax(-1)[:, 0]
    assert _collapse(tuple(best), blank=0) == (3, 1, 1, 2)
    assert losses[-1] < 0.1 * losses[0]


def test_errors_name_the_function_the_values_and_the_fix():
    lp = F.log_softmax(Tensor(rng.normal(size=(4, 2, 3))), -1)
    with pytest.raises(
        ValueError, match=r"ctc_loss: targets must be class indices in 0..2 other than blank=0, got \[0, 1\]"
    ):
        F.ctc_loss(lp, [[1, 0], [1, 1]], [4, 4], [2, 2])
    with pytest.raises(ValueError, match=r"ctc_loss: targets must be class indices in 0..2 .* got \[1, 3\]"):
        F.ctc_loss(lp, [[1, 3], [1, 1]], [4, 4], [2, 2])
    with pytest.raises(ValueError, match=r"ctc_loss: input_lengths and target_lengths need one entry per sequence"):
        F.ctc_loss(lp, [[1], [1]], [4], [1, 1])
    with pytest.raises(ValueError, match=r"ctc_loss: input_lengths \[4, 5\] must be in 1..T = 4"):
        F.ctc_loss(lp, [[1], [1]], [4, 5], [1, 1])
    with pytest.raises(ValueError, match=r"ctc_loss: 1-d targets .* length 3 must be sum\(target_lengths\) = 2"):
        F.ctc_loss(lp, [1, 2, 1], [4, 4], [1, 1])
    with pytest.raises(ValueError, match=r"ctc_loss: target_lengths \[3, 1\] exceed the padded targets' 2"):
        F.ctc_loss(lp, [[1, 2], [1, 1]], [4, 4], [3, 1])
    with pytest.raises(ValueError, match=r"ctc_loss: log_probs must be \(T, N, C\), or \(T, C\) .* got shape \(4,\)"):
        F.ctc_loss(Tensor(np.zeros(4)), [1], [4], [1])
    with pytest.raises(TypeError, match=r"ctc_loss: targets must be integers, got dtype float64"):
        F.ctc_loss(lp, [[1.0], [1.0]], [4, 4], [1, 1])
    with pytest.raises(ValueError, match=r"ctc_loss: blank=3 is not a class of log_probs with C = 3 classes"):
        F.ctc_loss(lp, [[1], [1]], [4, 4], [1, 1], blank=3)
    with pytest.raises(ValueError, match=r"ctc_loss: reduction must be one of"):
        F.ctc_loss(lp, [[1], [1]], [4, 4], [1, 1], reduction="avg")
    with pytest.raises(ValueError, match=r"CTCLoss: blank must be a class index >= 0, got -1"):
        nn.CTCLoss(blank=-1)
