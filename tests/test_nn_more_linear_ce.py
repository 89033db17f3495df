"""nn.LinearCrossEntropyLoss, F.linear_cross_entropy and nn.LinearCrossEntropyOptions (torch 2.13). Oracles: torch with
the weights copied (class indices and probabilities, K-dimensional logits, bias, class weights, ignore_index,
label smoothing, options given): losses and every gradient; the definition (cross_entropy of the linear layer's
logits); every error message."""

import numpy as np
import pytest

import nn
import nn.functional as F
from autograd_core import Tensor

RNG = np.random.default_rng(3)

CASES = {
    "indices": dict(kwargs=dict(), out=(), probabilities=False),
    "k-dim, bias, ignore_index": dict(kwargs=dict(bias=True, ignore_index=2), out=(4, 3), probabilities=False),
    "weights, smoothing, sum": dict(
        kwargs=dict(weight=np.linspace(0.5, 2, 6), label_smoothing=0.2, reduction="sum"), out=(), probabilities=False
    ),
    "probabilities, none": dict(kwargs=dict(reduction="none", bias=True), out=(2,), probabilities=True),
}


@pytest.mark.parametrize("case", list(CASES))
def test_equal_to_torch_with_copied_weights(case):
    torch = pytest.importorskip("torch")
    kwargs, out, probabilities = CASES[case]["kwargs"], CASES[case]["out"], CASES[case]["probabilities"]
    torch_kwargs = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    ours = nn.LinearCrossEntropyLoss(5, 6, out_features=out, **kwargs)
    theirs = torch.nn.LinearCrossEntropyLoss(5, 6, out_features=out, dtype=torch.float64, **torch_kwargs)
    for name, p in ours.linear.named_parameters():
        p.data[...] = getattr(theirs.linear, name).detach().numpy()
    x = RNG.standard_normal((7, 5))
    if probabilities:
        logits = RNG.standard_normal((7, 6, *out))
        target = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    else:
        target = RNG.integers(0, 6, size=(7, *out))
    ours_x, theirs_x = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    loss, their_loss = ours(ours_x, target), theirs(theirs_x, torch.tensor(target))
    np.testing.assert_allclose(loss.data, their_loss.detach().numpy(), rtol=1e-12)
    scale = RNG.standard_normal(loss.shape)
    (loss * scale).sum().backward()
    (their_loss * torch.tensor(scale)).sum().backward()
    np.testing.assert_allclose(ours_x.grad, theirs_x.grad.numpy(), rtol=1e-11, atol=1e-14)
    for name, p in ours.linear.named_parameters():
        np.testing.assert_allclose(p.grad, getattr(theirs.linear, name).grad.numpy(), rtol=1e-11, atol=1e-14)


def test_options_change_nothing_but_are_checked_and_kept():
    torch = pytest.importorskip("torch")
    x, target = RNG.standard_normal((9, 4)), RNG.integers(0, 8, size=9)
    weights = RNG.standard_normal((8, 4))
    options = nn.LinearCrossEntropyOptions(batch_chunk_size=2, chunking_method=None)
    ours = F.linear_cross_entropy(x, weights, target, options=options)
    theirs = torch.nn.functional.linear_cross_entropy(
        torch.tensor(x), torch.tensor(weights), torch.tensor(target),
        options=torch.nn.LinearCrossEntropyOptions(batch_chunk_size=2, chunking_method=None),
    )  # fmt: skip
    assert ours.item() == pytest.approx(theirs.item(), rel=1e-12)
    assert ours.item() == pytest.approx(F.cross_entropy(x @ weights.T, target).item(), rel=1e-15)
    assert nn.LinearCrossEntropyLoss(4, 8, options=options).options is options


def test_describes_itself_and_rebuilds():
    from nn.architecture import build, describe

    layer = nn.LinearCrossEntropyLoss(
        5,
        6,
        out_features=(2,),
        bias=True,
        weight=np.ones(6),
        options=nn.LinearCrossEntropyOptions(acc_policy="compact"),
    )
    rebuilt = build(describe(layer))
    assert repr(rebuilt) == repr(layer) and rebuilt.options == layer.options


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: nn.LinearCrossEntropyOptions(acc_policy="fast"), ValueError, r"invalid acc_policy: 'fast'"),
        (lambda: nn.LinearCrossEntropyOptions(chunking_method="rows:2"), ValueError, r"invalid chunking_method: 'ro"),
        (lambda: nn.LinearCrossEntropyOptions(batch_chunk_size=0), ValueError, r"batch_chunk_size must be positive"),
        (lambda: nn.LinearCrossEntropyOptions(acc_dtype="int8"), ValueError, r"acc_dtype must be one of None, float16"),
        (
            lambda: nn.LinearCrossEntropyLoss(4, 3, weight=np.ones(4)),
            ValueError,
            r"LinearCrossEntropyLoss: expected weight shape to be \(3,\), got \(4,\)",
        ),
        (lambda: nn.LinearCrossEntropyLoss(4, 3, label_smoothing=1.5), ValueError, r"in range \[0, 1\], got 1.5"),
        (
            lambda: F.linear_cross_entropy(np.ones(4), np.ones((3, 2, 4)), np.zeros(2, int)),
            ValueError,
            r"linear_cross_entropy: input of shape \(4,\) and linear_weight of shape \(3, 2, 4\) do not fit",
        ),
        (
            lambda: F.linear_cross_entropy(np.ones((2, 4)), np.ones((3, 4)), np.zeros(2, int), linear_bias=np.ones(4)),
            ValueError,
            r"linear_bias of shape \(4,\), expected linear_weight's shape without its last axis, \(3,\)",
        ),
        (
            lambda: F.linear_cross_entropy(np.ones((2, 4)), np.ones((3, 4)), np.zeros(2, int), options={}),
            TypeError,
            r"options must be an nn.LinearCrossEntropyOptions or None, got dict",
        ),
    ],
)
def test_errors(make, error, message):
    with pytest.raises(error, match=message):
        make()
