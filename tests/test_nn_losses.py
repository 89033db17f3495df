"""Loss modules against torch.nn (values and gradients, every reduction) and closed forms;
nn.utils.clip_grad_norm_ / clip_grad_value_ against torch.nn.utils."""

import math

import numpy as np
import pytest

import nn
import nn.functional as F
from autograd_core import Tensor

TIGHT = dict(rtol=1e-10, atol=1e-12)
REDUCTIONS = ["mean", "sum", "none"]


def compare(ours_loss, torch_loss, x, target, torch, torch_target=None):
    """Value and input gradient of both losses (a weighted sum for reduction='none')."""
    xt = Tensor(x.copy(), requires_grad=True)
    xq = torch.tensor(x.copy(), requires_grad=True)
    out = ours_loss(xt, target)
    out_q = torch_loss(xq, torch.from_numpy(target) if torch_target is None else torch_target)
    np.testing.assert_allclose(out.data, out_q.detach().numpy(), **TIGHT)
    r = np.random.default_rng(1).normal(size=out.shape)
    (out * r).sum().backward()
    (out_q * torch.from_numpy(r)).sum().backward()
    np.testing.assert_allclose(xt.grad, xq.grad.numpy(), rtol=1e-9, atol=1e-12)
    return out


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "name, kwargs", [("MSELoss", {}), ("L1Loss", {}), ("HuberLoss", {}), ("HuberLoss", {"delta": 0.3})]
)
def test_regression_losses_equal_torch(name, kwargs, reduction):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, t = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    compare(
        getattr(nn, name)(reduction=reduction, **kwargs),
        getattr(torch.nn, name)(reduction=reduction, **kwargs),
        x,
        t,
        torch,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_losses_equal_torch(reduction):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    logits, t = rng.normal(size=(5, 3)) * 3, (rng.random((5, 3)) > 0.5).astype(float)
    w, pw = rng.random((5, 3)) + 0.5, np.array([0.5, 2.0, 3.0])
    compare(
        nn.BCEWithLogitsLoss(reduction=reduction), torch.nn.BCEWithLogitsLoss(reduction=reduction), logits, t, torch
    )
    compare(
        nn.BCEWithLogitsLoss(weight=w, pos_weight=pw, reduction=reduction),
        torch.nn.BCEWithLogitsLoss(weight=torch.from_numpy(w), pos_weight=torch.from_numpy(pw), reduction=reduction),
        logits,
        t,
        torch,
    )
    probs = 1 / (1 + np.exp(-logits))
    compare(
        nn.BCELoss(weight=w, reduction=reduction),
        torch.nn.BCELoss(weight=torch.from_numpy(w), reduction=reduction),
        probs,
        t,
        torch,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"weight": [0.2, 1.0, 3.0, 0.5]},
        {"ignore_index": 2},
        {"label_smoothing": 0.2},
        {"weight": [0.2, 1.0, 3.0, 0.5], "ignore_index": 1, "label_smoothing": 0.1},
    ],
)
def test_cross_entropy_and_nll_equal_torch(kwargs, reduction):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    logits, labels = rng.normal(size=(7, 4)) * 2, np.array([0, 1, 2, 3, 1, 2, 2])
    torch_kwargs = {k: (torch.tensor(v, dtype=torch.float64) if k == "weight" else v) for k, v in kwargs.items()}
    ours_kwargs = {k: (np.array(v) if k == "weight" else v) for k, v in kwargs.items()}
    compare(
        nn.CrossEntropyLoss(reduction=reduction, **ours_kwargs),
        torch.nn.CrossEntropyLoss(reduction=reduction, **torch_kwargs),
        logits,
        labels,
        torch,
    )
    if "label_smoothing" not in kwargs:
        log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        compare(
            nn.NLLLoss(reduction=reduction, **ours_kwargs),
            torch.nn.NLLLoss(reduction=reduction, **torch_kwargs),
            log_probs,
            labels,
            torch,
        )
    if "ignore_index" not in kwargs:  # probability targets
        probs = rng.dirichlet(np.ones(4), size=7)
        compare(
            nn.CrossEntropyLoss(reduction=reduction, **ours_kwargs),
            torch.nn.CrossEntropyLoss(reduction=reduction, **torch_kwargs),
            logits,
            probs,
            torch,
        )


def test_weighted_mean_and_ignore_index_by_hand():
    logits = np.zeros((3, 2))  # every -log p = log 2
    loss = nn.CrossEntropyLoss(weight=np.array([1.0, 3.0]), ignore_index=-1)(Tensor(logits), np.array([0, 1, -1]))
    assert loss.item() == pytest.approx(math.log(2))  # (1 + 3) log 2 / (1 + 3)
    summed = nn.CrossEntropyLoss(weight=np.array([1.0, 3.0]), reduction="sum")(Tensor(logits), np.array([0, 1, 1]))
    assert summed.item() == pytest.approx(7 * math.log(2))
    smoothed = nn.CrossEntropyLoss(label_smoothing=1.0)(Tensor([[2.0, 0.0]]), np.array([0]))
    assert smoothed.item() == pytest.approx(-0.5 * sum(np.log([1 / (1 + math.e**-2), 1 / (1 + math.e**2)])))
    assert nn.HuberLoss(delta=1.0)(Tensor([0.5, 3.0]), np.zeros(2)).item() == pytest.approx((0.125 + 2.5) / 2)


def test_default_ignore_index_drops_rows_labelled_minus_100():
    """PyTorch's default ignore_index=-100 (padding labels): the unweighted fast path refused them."""
    logits = np.array([[2.0, 0.0], [0.0, 5.0], [1.0, 3.0]])
    x = Tensor(logits, requires_grad=True)
    loss = F.cross_entropy(x, np.array([0, -100, 1]))
    kept = F.cross_entropy(Tensor(logits[[0, 2]]), np.array([0, 1]))
    assert loss.item() == pytest.approx(kept.item())
    loss.backward()
    assert np.array_equal(x.grad[1], [0.0, 0.0])  # an ignored row gets no gradient
    assert nn.CrossEntropyLoss(reduction="sum")(Tensor(logits), np.array([-100, -100, 1])).item() == pytest.approx(
        math.log(1 + math.exp(-2))
    )
    with pytest.raises(ValueError, match=r"labels must be in 0..1 for K=2 classes.*first bad label 7 at index 2"):
        F.cross_entropy(Tensor(logits), np.array([0, -100, 7]))
    torch = pytest.importorskip("torch")
    expected = torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor([0, -100, 1]))
    assert loss.item() == pytest.approx(expected.item(), rel=1e-12)


def test_float32_losses_stay_float32():
    x = Tensor(np.ones((3, 2), np.float32), requires_grad=True)
    for loss in [
        nn.CrossEntropyLoss(weight=np.array([1.0, 2.0]), label_smoothing=0.1)(x, np.array([0, 1, 1])),
        nn.HuberLoss()(x, np.zeros((3, 2))),
        nn.L1Loss()(x, np.zeros((3, 2))),
    ]:
        loss.backward()
        assert loss.dtype == np.float32 and x.grad.dtype == np.float32
        x.grad = None


def test_loss_errors_name_the_fix():
    with pytest.raises(ValueError, match=r"MSELoss: reduction must be one of \('mean', 'sum', 'none'\), got 'avg'"):
        nn.MSELoss(reduction="avg")
    with pytest.raises(ValueError, match=r"huber_loss: delta must be a number > 0, got 0"):
        nn.HuberLoss(delta=0)
    with pytest.raises(ValueError, match=r"cross_entropy: weight must hold one finite number per class, shape \(3,\)"):
        nn.CrossEntropyLoss(weight=np.ones(2))(Tensor(np.zeros((2, 3))), np.array([0, 1]))
    with pytest.raises(ValueError, match=r"nll_loss: labels must be in 0..2 for K=3 classes"):
        nn.NLLLoss()(Tensor(np.zeros((2, 3))), np.array([0, 3]))
    with pytest.raises(ValueError, match=r"l1_loss: input has shape \(3,\) but target has shape \(3, 1\)"):
        nn.L1Loss()(Tensor(np.zeros(3)), np.zeros((3, 1)))


# ---------------------------------------------------------------------------------- gradient clipping
def grads_pair(torch, seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.normal(size=(3, 4)) * 3, rng.normal(size=(4,))]
    ours = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    for p, q, a in zip(ours, theirs, arrays):
        p.grad = np.sin(a) * 5
        q.grad = torch.from_numpy(np.sin(a) * 5)
    return ours, theirs


@pytest.mark.parametrize("max_norm, norm_type", [(1.0, 2.0), (100.0, 2.0), (0.5, 1.0), (0.3, math.inf)])
def test_clip_grad_norm_equals_torch(max_norm, norm_type):
    torch = pytest.importorskip("torch")
    ours, theirs = grads_pair(torch)
    total = nn.utils.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    total_q = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert float(total) == pytest.approx(float(total_q), rel=1e-12)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), **TIGHT)


def test_clip_grad_norm_closed_form_and_value_clipping():
    w = Tensor([0.0, 0.0], requires_grad=True)
    w.grad = np.array([3.0, 4.0])
    assert nn.utils.clip_grad_norm_([w], 1.0).item() == 5.0  # the norm before clipping
    np.testing.assert_allclose(w.grad, [0.6, 0.8], rtol=1e-6)  # now of norm 1 (up to the 1e-6 guard)
    w.grad = np.array([3.0, -0.2])
    nn.utils.clip_grad_value_([w], 0.5)
    assert w.grad.tolist() == [0.5, -0.2]
    w32 = Tensor(np.zeros(2, np.float32), requires_grad=True)
    w32.grad = np.array([30.0, 40.0], np.float32)
    assert nn.utils.clip_grad_norm_([w32], 1.0).dtype == np.float32 and w32.grad.dtype == np.float32
    with pytest.raises(TypeError, match=r"clip_grad_norm_: got the model itself; pass model.parameters\(\)"):
        nn.utils.clip_grad_norm_(nn.Linear(2, 2), 1.0)
    w.grad = np.array([np.nan, 1.0])
    with pytest.raises(FloatingPointError, match=r"clip_grad_norm_: the total gradient norm is nan"):
        nn.utils.clip_grad_norm_([w], 1.0, error_if_nonfinite=True)


def test_cross_entropy_and_nll_loss_of_sequence_logits_take_pytorchs_n_k_d_form():
    # PyTorch's (N, K, d) logits, the classes in dim 1, with (N, d) labels: each position one more row
    logits, labels = (
        np.random.default_rng(0).standard_normal((2, 3, 4)),
        np.random.default_rng(1).integers(0, 3, (2, 4)),
    )
    x = Tensor(logits, requires_grad=True)
    loss = F.cross_entropy(x, labels)
    flat = F.cross_entropy(Tensor(logits).permute(0, 2, 1).reshape(-1, 3), labels.reshape(-1))
    assert loss.item() == pytest.approx(flat.item(), rel=1e-15)
    unreduced = F.cross_entropy(Tensor(logits), labels, reduction="none")
    assert unreduced.shape == (2, 4) and unreduced.mean().item() == pytest.approx(loss.item(), rel=1e-15)
    nll = F.nll_loss(Tensor(logits).log_softmax(axis=1), labels, reduction="none")
    np.testing.assert_allclose(nll.numpy(), unreduced.numpy(), rtol=1e-13)
    probabilities = np.eye(3)[labels].transpose(0, 2, 1)  # one-hot, classes in dim 1 as the logits
    assert F.cross_entropy(Tensor(logits), probabilities).item() == pytest.approx(loss.item(), rel=1e-13)
    loss.backward()
    # a language model's (B, T, C) logits with (B, T) targets read as (N, K, d) would be wrong: refused
    with pytest.raises(
        ValueError,
        match=r"target must be class indices of shape \(2, 3\).*got \(2, 4\); for \(B, T, C\) "
        r"logits with the classes last.*flatten both: input.view\(-1, 3\) and target.view\(-1\)",
    ):
        F.cross_entropy(Tensor(logits.transpose(0, 2, 1)), labels)
    torch = pytest.importorskip("torch")
    t = torch.tensor(logits, requires_grad=True)
    expected = torch.nn.functional.cross_entropy(t, torch.tensor(labels))
    expected.backward()
    assert loss.item() == pytest.approx(expected.item(), rel=1e-12)
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-10, atol=1e-15)
    weight = np.array([0.5, 1.0, 2.0])  # class weights and ignore_index count over every position, as torch's
    labels[0, 1] = -100
    ours = F.cross_entropy(Tensor(logits), labels, weight=weight, label_smoothing=0.1)
    theirs = torch.nn.functional.cross_entropy(
        torch.tensor(logits), torch.tensor(labels), weight=torch.tensor(weight), label_smoothing=0.1
    )
    assert ours.item() == pytest.approx(theirs.item(), rel=1e-12)
