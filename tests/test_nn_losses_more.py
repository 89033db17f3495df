"""The losses torch users reach for beyond the README (poisson/gaussian NLL, cosine/hinge embedding, soft
margin, multi-margin, multilabel margin and soft margin): against torch (values and gradients, every reduction),
closed forms computed by hand, finite differences (gradcheck), and their bad-input errors."""

import math

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core import Tensor

REDUCTIONS = ["mean", "sum", "none"]
rng = np.random.default_rng(0)


def both(ours, theirs, arrays, torch, grad_of=(0,)):
    """Run ``ours`` on Tensors and ``theirs`` on torch tensors of ``arrays``; compare values and the gradients
    of the inputs listed in ``grad_of`` (a random weighting of an unreduced output)."""
    mine = [Tensor(a.copy(), requires_grad=i in grad_of) if a.dtype.kind == "f" else a for i, a in enumerate(arrays)]
    th = [torch.tensor(a.copy(), requires_grad=i in grad_of and a.dtype.kind == "f") for i, a in enumerate(arrays)]
    out, out_q = ours(*mine), theirs(*th)
    np.testing.assert_allclose(out.data, out_q.detach().numpy(), rtol=1e-10, atol=1e-12)
    r = np.random.default_rng(1).normal(size=out.shape)
    (out * r).sum().backward()
    (out_q * torch.from_numpy(r)).sum().backward()
    for i in grad_of:
        np.testing.assert_allclose(mine[i].grad, th[i].grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("log_input, full", [(True, False), (True, True), (False, False), (False, True)])
def test_poisson_nll_loss_equals_torch(log_input, full, reduction):
    torch = pytest.importorskip("torch")
    x = rng.normal(size=(4, 3)) if log_input else rng.random((4, 3)) + 0.1
    counts = rng.integers(0, 5, size=(4, 3)).astype(float)
    both(
        nn.PoissonNLLLoss(log_input, full, reduction=reduction),
        torch.nn.PoissonNLLLoss(log_input, full, reduction=reduction),
        [x, counts],
        torch,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("var_shape", [(5, 3), (5, 1), (5,)])
def test_gaussian_nll_loss_equals_torch_for_every_variance_shape(var_shape, reduction):
    torch = pytest.importorskip("torch")
    mean, target = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    var = rng.random(var_shape) + 0.05
    var.flat[0] = 1e-9  # below eps: clamped for the value, the gradient passed through as torch's
    both(
        nn.GaussianNLLLoss(full=True, reduction=reduction),
        torch.nn.GaussianNLLLoss(full=True, reduction=reduction),
        [mean, target, var],
        torch,
        grad_of=(0, 2),
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_embedding_and_margin_losses_equal_torch(reduction):
    torch = pytest.importorskip("torch")
    x1, x2 = rng.normal(size=(6, 4)), rng.normal(size=(6, 4))
    y = np.array([1.0, -1.0, 1.0, -1.0, -1.0, 1.0])
    both(
        nn.CosineEmbeddingLoss(margin=-0.2, reduction=reduction),
        torch.nn.CosineEmbeddingLoss(margin=-0.2, reduction=reduction),
        [x1, x2, y],
        torch,
        grad_of=(0, 1),
    )
    d, signs = rng.random((6, 3)) * 2, np.sign(rng.normal(size=(6, 3)))
    both(
        nn.HingeEmbeddingLoss(margin=1.5, reduction=reduction),
        torch.nn.HingeEmbeddingLoss(margin=1.5, reduction=reduction),
        [d, signs],
        torch,
    )
    both(
        nn.SoftMarginLoss(reduction=reduction),
        torch.nn.SoftMarginLoss(reduction=reduction),
        [x1 * 3, 0 * x1 + np.sign(x2)],
        torch,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p", [1, 2])
def test_multi_margin_loss_equals_torch_with_weights(p, reduction):
    torch = pytest.importorskip("torch")
    x, y, w = rng.normal(size=(7, 4)), rng.integers(0, 4, 7), rng.random(4) + 0.5
    both(
        nn.MultiMarginLoss(p=p, margin=0.7, weight=w, reduction=reduction),
        torch.nn.MultiMarginLoss(p=p, margin=0.7, weight=torch.from_numpy(w), reduction=reduction),
        [x, y],
        torch,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_losses_equal_torch(reduction):
    torch = pytest.importorskip("torch")
    x = rng.normal(size=(4, 5))
    listed = np.array([[3, 0, -1, 1, 2], [1, 1, 4, -1, -1], [-1, 0, 0, 0, 0], [0, 1, 2, 3, 4]])  # a repeat, none, all
    both(
        nn.MultiLabelMarginLoss(reduction=reduction),
        torch.nn.MultiLabelMarginLoss(reduction=reduction),
        [x, listed],
        torch,
    )
    t, w = (rng.random((4, 5)) > 0.5).astype(float), rng.random(5) + 0.5
    both(
        nn.MultiLabelSoftMarginLoss(weight=w, reduction=reduction),
        torch.nn.MultiLabelSoftMarginLoss(weight=torch.from_numpy(w), reduction=reduction),
        [x * 4, t],
        torch,
    )


def test_one_example_forms_equal_torch():
    torch = pytest.importorskip("torch")
    x = rng.normal(size=4)
    both(F.multi_margin_loss, torch.nn.functional.multi_margin_loss, [x, np.array(2)], torch)
    both(F.multilabel_margin_loss, torch.nn.functional.multilabel_margin_loss, [x, np.array([2, 0, -1, 3])], torch)
    both(F.cosine_embedding_loss, torch.nn.functional.cosine_embedding_loss, [x, x[::-1].copy(), np.array(-1.0)], torch)


# ------------------------------------------------------------------ without torch: closed forms and finite differences
def test_closed_forms_by_hand():
    # Poisson: exp(log 3) - 2 log 3, plus Stirling's 2 log 2 - 2 + ½ log(4π) for the count 2
    value = F.poisson_nll_loss(Tensor([math.log(3.0)]), [2.0], full=True).item()
    assert value == pytest.approx(3 - 2 * math.log(3) + 2 * math.log(2) - 2 + 0.5 * math.log(4 * math.pi), rel=1e-12)
    # a count of 1 or 0 has no Stirling term
    assert F.poisson_nll_loss(Tensor([0.0]), [1.0], full=True).item() == pytest.approx(1.0, rel=1e-12)
    # log_input=False: rate 2, count 3 -> 2 - 3 log(2 + eps)
    assert F.poisson_nll_loss(Tensor([2.0]), [3.0], log_input=False, eps=0.0).item() == pytest.approx(
        2 - 3 * math.log(2)
    )
    # Gaussian, one variance per row (var shape (1,) for a (1, 2) input): ½ (log 4 + (1 + 9) / 4) for each element
    g = F.gaussian_nll_loss(Tensor([[1.0, 3.0]]), [[0.0, 0.0]], Tensor([4.0]), reduction="sum").item()
    assert g == pytest.approx(0.5 * (log4 := math.log(4)) + 0.5 / 4 + 0.5 * log4 + 0.5 * 9 / 4, rel=1e-12)
    # cosine: orthogonal similar pair costs 1; a dissimilar pair at 60 degrees with margin 0.25 costs 0.25
    c = F.cosine_embedding_loss(
        Tensor([[1.0, 0.0]] * 2), Tensor([[0.0, 2.0], [1.0, math.sqrt(3)]]), [1.0, -1.0], 0.25, "none"
    )
    np.testing.assert_allclose(c.data, [1.0, 0.25], rtol=1e-10)
    # multi margin, the torch documentation's example: (0.3 + 0.4 + 0.6) / 4 and its squared form
    x = Tensor([[0.1, 0.2, 0.4, 0.8]])
    assert F.multi_margin_loss(x, np.array([3])).item() == pytest.approx(0.325)
    assert F.multi_margin_loss(x, np.array([3]), p=2).item() == pytest.approx((0.09 + 0.16 + 0.36) / 4)
    assert F.multilabel_margin_loss(x, np.array([[3, 0, -1, 1]])).item() == pytest.approx(0.85)
    # soft margin never overflows: -1000 * 1 -> log(1 + e^1000) = 1000
    assert F.soft_margin_loss(Tensor([-1000.0]), [1.0]).item() == pytest.approx(1000.0)


def test_gradients_match_finite_differences():
    x = Tensor(rng.normal(size=(3, 4)), requires_grad=True)
    x2 = Tensor(rng.normal(size=(3, 4)), requires_grad=True)
    var = Tensor(rng.random((3, 4)) + 0.5, requires_grad=True)
    labels, signs = np.array([0, 3, 1]), np.array([1.0, -1.0, -1.0])
    listed = np.array([[1, 2, -1, 0], [0, -1, 0, 0], [3, 2, 1, -1]])
    ag.gradcheck(lambda a: F.poisson_nll_loss(a, np.arange(12.0).reshape(3, 4), full=True), x)
    ag.gradcheck(lambda a, v: F.gaussian_nll_loss(a, np.zeros((3, 4)), v, full=True), [x, var])
    ag.gradcheck(lambda a, b: F.cosine_embedding_loss(a, b, signs, margin=-0.5, reduction="none"), [x, x2])
    ag.gradcheck(lambda a: F.multi_margin_loss(a, labels, p=2, margin=3.0, weight=np.array([1.0, 2, 3, 4])), x)
    ag.gradcheck(lambda a: F.multilabel_margin_loss(a * 0.1, listed), x)
    ag.gradcheck(lambda a: F.multilabel_soft_margin_loss(a, (np.arange(12).reshape(3, 4) % 2).astype(float)), x)
    ag.gradcheck(lambda a: F.soft_margin_loss(a, np.sign(np.arange(12.0).reshape(3, 4) - 5.5)), x)


def test_gaussian_clamp_passes_the_gradient_of_var_itself():
    # below eps the value uses eps, the gradient is d/dv of ½ (log v + d² / v) at v = eps, as torch's no_grad clamp
    v = Tensor([1e-9], requires_grad=True)
    F.gaussian_nll_loss(Tensor([1.0]), [0.0], v, eps=1e-3).backward()
    assert v.grad[0] == pytest.approx(0.5 * (1 / 1e-3 - 1 / 1e-3**2), rel=1e-12)


def test_bad_inputs_name_the_function_and_the_fix():
    x = Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"gaussian_nll_loss: var of shape \(3,\) does not fit the input's \(2, 3\)"):
        F.gaussian_nll_loss(x, np.zeros((2, 3)), np.ones(3))
    with pytest.raises(ValueError, match=r"gaussian_nll_loss: var must be >= 0 .* softplus"):
        F.gaussian_nll_loss(x, np.zeros((2, 3)), -np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"poisson_nll_loss: with log_input=False the input is the rate .* >= 0"):
        F.poisson_nll_loss(Tensor([-1.0]), [1.0], log_input=False)
    with pytest.raises(ValueError, match=r"cosine_embedding_loss: target must hold 1 or -1 .* 2 \* y - 1"):
        F.cosine_embedding_loss(x, x, np.array([0.0, 1.0]))
    with pytest.raises(
        ValueError, match=r"cosine_embedding_loss: inputs of shape \(2, 3\) with a target of shape \(3,\)"
    ):
        F.cosine_embedding_loss(x, x, np.ones(3))
    with pytest.raises(ValueError, match=r"hinge_embedding_loss: target must hold 1 or -1"):
        F.hinge_embedding_loss(x, np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"MultiMarginLoss: p must be 1 or 2"):
        nn.MultiMarginLoss(p=3)
    with pytest.raises(ValueError, match=r"multi_margin_loss: target indices must be in 0..2 for 3 classes"):
        F.multi_margin_loss(x, np.array([0, 3]))
    with pytest.raises(
        TypeError,
        match=r"multi_margin_loss: target must hold integer class indices, got dtype float64; convert with y.astype",
    ):
        F.multi_margin_loss(x, np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"multi_margin_loss: weight must have one value per class, shape \(3,\)"):
        F.multi_margin_loss(x, np.array([0, 1]), weight=np.ones(2))
    with pytest.raises(ValueError, match=r"multilabel_margin_loss: row 0 of target lists \[5, -1, 0\]"):
        F.multilabel_margin_loss(x, np.array([[5, -1, 0], [0, 1, 2]]))
    with pytest.raises(ValueError, match=r"multilabel_soft_margin_loss: weight of shape \(2,\) does not broadcast"):
        F.multilabel_soft_margin_loss(x, np.zeros((2, 3)), weight=np.ones(2))
    with pytest.raises(ValueError, match=r"soft_margin_loss: input has shape \(2, 3\) but target has shape \(3,\)"):
        F.soft_margin_loss(x, np.ones(3))


def test_modules_are_exported_and_repr_their_reduction():
    for name in ["PoissonNLLLoss", "GaussianNLLLoss", "CosineEmbeddingLoss", "HingeEmbeddingLoss", "SoftMarginLoss",
                 "MultiMarginLoss", "MultiLabelMarginLoss", "MultiLabelSoftMarginLoss"]:  # fmt: skip
        assert name in nn.__all__ and repr(getattr(nn, name)(reduction="sum")) == f"{name}(reduction='sum')"
    functions = ["poisson_nll_loss", "gaussian_nll_loss", "cosine_embedding_loss", "hinge_embedding_loss"]
    functions += ["soft_margin_loss", "multi_margin_loss", "multilabel_margin_loss", "multilabel_soft_margin_loss"]
    for name in functions:
        assert name in F.__all__ and callable(getattr(F, name))
