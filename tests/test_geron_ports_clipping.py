"""Géron, *Hands-On Machine Learning*, chapter 11's gradient clipping, as a PyTorch reader writes it: by value vs by
norm on the book's [0.9, 100.0], the norm's inf/NaN/zero edge cases against torch (and no numpy warning for them),
torch 2.6's ``get_total_norm`` + ``clip_grads_with_norm_`` over two models' gradients, and ``nn.fit``'s
``clip_grad_norm=`` / ``clip_grad_value=`` (Keras's ``clipnorm`` / ``clipvalue``) against the hand-written loop.
"""

import copy
import math

import numpy as np
import pytest

import autograd_core as torch
import nn
import nn.functional as F


def parameter_with_grad(values):
    w = torch.zeros(len(values), requires_grad=True)
    w.grad = np.array(values, dtype=float)
    return w


# ------------------------------------------------------------------------------- gradient clipping
def test_clipping_by_value_turns_the_books_gradient_clipping_by_norm_keeps_its_direction():
    w = parameter_with_grad([0.9, 100.0])
    nn.utils.clip_grad_value_([w], clip_value=1.0)
    assert w.grad.tolist() == [0.9, 1.0]  # the book: "[0.9, 1.0], pointing almost diagonally"
    w = parameter_with_grad([0.9, 100.0])
    total = nn.utils.clip_grad_norm_([w], max_norm=1.0)
    assert total.item() == pytest.approx(math.hypot(0.9, 100.0), rel=1e-15)
    assert w.grad == pytest.approx([0.00899964, 0.9999595], abs=5e-8)  # the book's printed vector


@pytest.mark.parametrize(
    "grads",
    [[[3.0, np.inf]], [[3.0, np.nan]], [[3.0, 4.0], [np.nan]], [[1e200, 1e200]], [[0.0, 0.0]]],
    ids=["inf", "nan", "nan-elsewhere", "overflow", "zero"],
)
def test_clip_grad_norm_of_a_non_finite_or_zero_norm_does_as_torchs(grads, recwarn):
    torch_ = pytest.importorskip("torch")
    ours = [parameter_with_grad(g) for g in grads]
    theirs = [torch_.zeros(len(g), dtype=torch_.float64, requires_grad=True) for g in grads]
    for t, g in zip(theirs, grads):
        t.grad = torch_.tensor(g, dtype=torch_.float64)
    total = nn.utils.clip_grad_norm_(ours, 1.0).item()
    total_t = torch_.nn.utils.clip_grad_norm_(theirs, 1.0).item()
    assert total == total_t or (math.isnan(total) and math.isnan(total_t))
    for p, t in zip(ours, theirs):
        np.testing.assert_array_equal(p.grad, t.grad.numpy())  # NaN where torch's are NaN: all of them for a NaN norm
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]  # no numpy warning for the answer


def test_clip_grad_norm_refuses_a_non_finite_norm_before_changing_anything():
    w = parameter_with_grad([3.0, np.nan])
    with pytest.raises(FloatingPointError, match=r"clip_grad_norm_: the total gradient norm is nan"):
        nn.utils.clip_grad_norm_([w], 1.0, error_if_nonfinite=True)
    assert w.grad[0] == 3.0


def test_torch_2_6s_two_halves_of_clip_grad_norm_over_two_models_gradients():
    torch_ = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    grads = [rng.normal(size=(3, 2)) * 5, rng.normal(size=4), rng.normal(size=(2, 2)) * 3]
    ours = [parameter_with_grad(g.reshape(-1)) for g in grads]
    theirs = [torch_.zeros(g.size, dtype=torch_.float64, requires_grad=True) for g in grads]
    for t, g in zip(theirs, grads):
        t.grad = torch_.tensor(g.reshape(-1))
    for norm_type in (2.0, 1.0, math.inf, 3):
        total = nn.utils.get_total_norm([p.grad for p in ours] + [None], norm_type)
        total_t = torch_.nn.utils.get_total_norm([t.grad for t in theirs], norm_type)
        assert total.item() == pytest.approx(total_t.item(), rel=1e-14)
    total = nn.utils.get_total_norm([p.grad for p in ours])
    nn.utils.clip_grads_with_norm_(ours[:2], 1.0, total)  # the first "model" clipped by the joint norm
    torch_.nn.utils.clip_grads_with_norm_(theirs[:2], 1.0, torch_.nn.utils.get_total_norm([t.grad for t in theirs]))
    for p, t in zip(ours, theirs):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-14)
    # torch's foreach= (its choice of kernel) is accepted by all four
    assert nn.utils.clip_grad_norm_(ours, 10.0, foreach=True).item() > 0
    nn.utils.clip_grad_value_(ours, 10.0, foreach=False)
    assert nn.utils.get_total_norm([], foreach=None).item() == 0.0
    with pytest.raises(ValueError, match=r"clip_grads_with_norm_: total_norm must be one number"):
        nn.utils.clip_grads_with_norm_(ours, 1.0, np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match=r"get_total_norm: expected gradients .* pass \[p.grad for p in model"):
        nn.utils.get_total_norm([np.array(["a"])])


@pytest.mark.parametrize("clip", [{"clip_grad_norm": 0.5}, {"clip_grad_value": 0.05}])
def test_fit_clips_gradients_before_each_update_as_the_hand_written_loop(clip):
    # Keras's SGD(clipnorm=1.0) / clipvalue, for a reader of the book training with nn.fit
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(64, 3)) * 5, rng.integers(0, 2, 64)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2))
    twin = copy.deepcopy(model)
    history = nn.fit(
        model, F.cross_entropy, nn.optim.SGD(model.parameters(), lr=0.5), X, y, epochs=3, batch_size=16,
        shuffle=False, progress=False, **clip,
    )  # fmt: skip
    optimizer = nn.optim.SGD(twin.parameters(), lr=0.5)
    norms = []
    for _ in range(3):
        for start in range(0, 64, 16):
            optimizer.zero_grad()
            F.cross_entropy(twin(X[start : start + 16]), y[start : start + 16]).backward()
            if "clip_grad_norm" in clip:
                norms.append(nn.utils.clip_grad_norm_(twin.parameters(), clip["clip_grad_norm"]).item())
            else:
                nn.utils.clip_grad_value_(twin.parameters(), clip["clip_grad_value"])
            optimizer.step()
    for a, b in zip(model.parameters(), twin.parameters()):
        np.testing.assert_allclose(a.data, b.data, rtol=1e-10, atol=1e-12)
    if norms:  # fit's grad_norm is the norm before clipping, as clip_grad_norm_ returns it
        np.testing.assert_allclose(history.grad_norm, np.mean(np.reshape(norms, (3, 4)), axis=1), rtol=1e-10)
        assert max(norms) > 0.5  # the clipping did something


def test_fit_refuses_a_bad_clipping_setting_before_training():
    model = nn.Linear(2, 2)
    X, y = np.ones((4, 2)), np.array([0, 1, 0, 1])
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"fit: give clip_grad_norm or clip_grad_value, not both"):
        nn.fit(model, F.cross_entropy, optimizer, X, y, epochs=1, clip_grad_norm=1.0, clip_grad_value=1.0)
    with pytest.raises(ValueError, match=r"fit: clip_grad_norm must be a number >= 0, got -1"):
        nn.fit(model, F.cross_entropy, optimizer, X, y, epochs=1, clip_grad_norm=-1)
    with pytest.raises(ValueError, match=r"fit: clip_grad_value must be a number >= 0, got 'big'"):
        nn.fit(model, F.cross_entropy, optimizer, X, y, epochs=1, clip_grad_value="big")
