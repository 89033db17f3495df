"""NLLLoss2d, CrossMapLRN2d, FractionalMaxPool2d/3d (and F.fractional_max_pool2d/3d), AdaptiveLogSoftmaxWithLoss.
Oracles: torch in float64 (the same inputs, torch's ``_random_samples`` for the pools, weights copied for the adaptive
softmax): values, indices and gradients; finite differences (gradcheck) of the composed forwards; closed forms
(the pools' window starts, the adaptive softmax's probabilities summing to one); every error message."""

import warnings

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core import Tensor

RNG = np.random.default_rng(0)


def test_nll_loss2d_is_nll_loss_with_torch_s_warning_and_values():
    torch = pytest.importorskip("torch")
    logits = RNG.standard_normal((2, 3, 4, 5))
    target = RNG.integers(0, 3, size=(2, 4, 5))
    target[0, 0, 0] = 1
    log_probs = Tensor(logits - np.log(np.exp(logits).sum(axis=1, keepdims=True)), requires_grad=True)
    weight = np.array([1.0, 2.0, 0.5])
    with pytest.warns(FutureWarning, match=r"`NLLLoss2d` has been deprecated. Please use `NLLLoss` instead"):
        ours = nn.NLLLoss2d(weight=weight, ignore_index=1)
    loss = ours(log_probs, target)
    loss.backward()
    with pytest.warns(FutureWarning):
        theirs_fn = torch.nn.NLLLoss2d(weight=torch.tensor(weight), ignore_index=1)
    theirs_input = torch.tensor(log_probs.data, requires_grad=True)
    theirs = theirs_fn(theirs_input, torch.tensor(target))
    theirs.backward()
    assert loss.item() == pytest.approx(theirs.item(), rel=1e-13)
    np.testing.assert_allclose(log_probs.grad, theirs_input.grad.numpy(), rtol=1e-12, atol=1e-15)
    assert isinstance(ours, nn.NLLLoss) and repr(ours) == "NLLLoss2d()"


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5])
def test_cross_map_lrn2d_equals_torch_s_forward_and_its_derivative(size):
    """Values against torch's forward; the gradient against central differences of torch's forward, because
    torch's hand-written legacy backward disagrees with its own forward (and fails for a batch of one)."""
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((2, 7, 2, 2))
    weights = RNG.standard_normal(x.shape)
    ours_x = Tensor(x, requires_grad=True)
    out = nn.CrossMapLRN2d(size, alpha=0.5, beta=0.75, k=2.0)(ours_x)
    (out * weights).sum().backward()
    theirs = torch.nn.CrossMapLRN2d(size, alpha=0.5, beta=0.75, k=2.0)

    def torch_loss(values):
        return float((theirs(torch.tensor(values)) * torch.tensor(weights)).sum())

    np.testing.assert_allclose(out.data, theirs(torch.tensor(x)).numpy(), rtol=1e-13, atol=1e-15)
    numeric = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = 1e-6
        numeric[index] = (torch_loss(x + step) - torch_loss(x - step)) / 2e-6
    np.testing.assert_allclose(ours_x.grad, numeric, rtol=1e-6, atol=1e-8)
    if size > 1:  # (with size 1 torch's backward raises: its padding is one channel short)
        their_x = torch.tensor(x, requires_grad=True)
        (theirs(their_x) * torch.tensor(weights)).sum().backward()
        assert np.abs(their_x.grad.numpy() - numeric).max() > 1e-3  # torch's backward: not its forward's derivative


def test_cross_map_lrn2d_gradient_by_finite_differences_and_the_window_by_hand():
    x = RNG.standard_normal((1, 5, 2, 2))
    assert ag.gradcheck(lambda t: nn.CrossMapLRN2d(3, alpha=0.3, k=1.5)(t), [Tensor(x, requires_grad=True)])
    ones = np.ones((1, 6, 1, 1))
    scale = nn.CrossMapLRN2d(5, alpha=5.0, beta=1.0, k=0.0)(ones).data.ravel() ** -1
    # p = 3: channels 0..2, 0..3, 0..4, then 1..5 with channel 0 kept, 2..5 with 0, 3..5 with 0
    np.testing.assert_allclose(scale, [3, 4, 5, 6, 5, 4])


def test_cross_map_lrn2d_refuses_other_shapes_and_bad_numbers():
    with pytest.raises(ValueError, match=r"CrossMapLRN2d: expected a 4-d input \(N, C, H, W\), got shape \(3, 4\).*"):
        nn.CrossMapLRN2d(3)(np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"CrossMapLRN2d: beta must be a finite number, got nan"):
        nn.CrossMapLRN2d(3, beta=float("nan"))
    with pytest.raises(ValueError, match=r"CrossMapLRN2d: size must be"):
        nn.CrossMapLRN2d(0)


POOLS = [
    (2, (1, 2, 9, 11), dict(kernel_size=2, output_size=(4, 5))),
    (2, (2, 3, 10, 7), dict(kernel_size=(3, 2), output_ratio=(0.5, 0.7))),
    (2, (3, 8, 8), dict(kernel_size=3, output_size=6)),  # unbatched
    (2, (1, 1, 5, 5), dict(kernel_size=2, output_size=(1, 4))),
    (3, (1, 2, 6, 7, 8), dict(kernel_size=2, output_size=(3, 4, 5))),
    (3, (2, 5, 6, 7), dict(kernel_size=(2, 3, 2), output_ratio=0.6)),  # unbatched
]


@pytest.mark.parametrize("nd, shape, kwargs", POOLS)
def test_fractional_max_pool_equals_torch_with_the_same_random_samples(nd, shape, kwargs):
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal(shape)
    batch, channels = (shape[0], shape[1]) if len(shape) == nd + 2 else (1, shape[0])
    samples = RNG.random((batch, channels, nd))
    weights = None
    ours_x = Tensor(x, requires_grad=True)
    layer = (nn.FractionalMaxPool2d if nd == 2 else nn.FractionalMaxPool3d)(
        return_indices=True, _random_samples=samples, **kwargs
    )
    out, indices = layer(ours_x)
    weights = RNG.standard_normal(out.shape)
    (out * weights).sum().backward()
    theirs_x = torch.tensor(x, requires_grad=True)
    theirs_layer = (torch.nn.FractionalMaxPool2d if nd == 2 else torch.nn.FractionalMaxPool3d)(
        return_indices=True, _random_samples=torch.tensor(samples), **kwargs
    )
    theirs, their_indices = theirs_layer(theirs_x)
    (theirs * torch.tensor(weights)).sum().backward()
    np.testing.assert_array_equal(out.data, theirs.detach().numpy())
    np.testing.assert_array_equal(indices.data, their_indices.numpy())
    np.testing.assert_array_equal(ours_x.grad, theirs_x.grad.numpy())  # random values: no ties in a window
    functional = F.fractional_max_pool2d if nd == 2 else F.fractional_max_pool3d
    np.testing.assert_array_equal(functional(x, _random_samples=samples, **kwargs).data, out.data)


def test_fractional_max_pool_windows_by_hand_and_its_gradient_by_finite_differences():
    from nn.pool_fractional import fractional_windows

    u = np.array([0.0, 0.3, 0.99])
    alpha = (11 - 3) / (4 - 1)  # input 11, kernel 3, output 4
    expected = [[int((i + s) * alpha) - int(s * alpha) for i in range(3)] + [8] for s in u]
    np.testing.assert_array_equal(fractional_windows(u, 11, 4, 3), expected)
    assert all(np.all(np.diff(row) >= 1) and np.all(np.diff(row) <= 3) for row in fractional_windows(u, 11, 4, 3))
    x = Tensor(RNG.standard_normal((1, 2, 6, 6)), requires_grad=True)
    samples = RNG.random((1, 2, 2))
    assert ag.gradcheck(lambda t: F.fractional_max_pool2d(t, 2, output_size=4, _random_samples=samples), [x])


def test_fractional_max_pool_draws_its_samples_from_the_seeded_generator():
    x = RNG.standard_normal((2, 3, 12, 12))
    layer = nn.FractionalMaxPool2d(2, output_size=7)
    ag.manual_seed(5)
    first = layer(x).data
    ag.manual_seed(5)
    np.testing.assert_array_equal(layer(x).data, first)
    assert not np.array_equal(layer(x).data, first)  # fresh offsets each call


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: nn.FractionalMaxPool2d(2), r"FractionalMaxPool2d requires specifying either an output size, or a"),
        (
            lambda: nn.FractionalMaxPool2d(2, output_size=3, output_ratio=0.5),
            r"FractionalMaxPool2d: only one of output_size and output_ratio may be specified",
        ),
        (lambda: nn.FractionalMaxPool3d(2, output_ratio=1.5), r"output_ratio must be between 0 and 1 \(got 1.5\)"),
        (
            lambda: nn.FractionalMaxPool2d((2, 2, 2), output_size=3),
            r"FractionalMaxPool2d: kernel_size must be one int or 2 of them \(H, W\), got \(2, 2, 2\)",
        ),
        (
            lambda: F.fractional_max_pool2d(np.ones((1, 1, 5, 5)), 3, output_size=4),
            r"fractional_max_pool2d: kernel 3 and output 4 along spatial axis 0 do not fit an input of 5: need .*"
            r"output \+ kernel - 1 <= 5; input shape \(1, 1, 5, 5\)",
        ),
        (
            lambda: F.fractional_max_pool2d(
                np.ones((1, 2, 5, 5)), 2, output_size=3, _random_samples=np.zeros((1, 1, 2))
            ),
            r"_random_samples must be numbers in \[0, 1\) of shape \(N, C, 2\) = \(1, 2, 2\), got shape \(1, 1, 2\)",
        ),
        (
            lambda: F.fractional_max_pool3d(np.ones((5, 5)), 2, output_size=3),
            r"fractional_max_pool3d: expected a floating-point input \(N, C, D, H, W\) or \(C, D, H, W\), got shape",
        ),
        (
            lambda: F.fractional_max_pool2d(np.ones((1, 1, 5, 5)), 2),
            r"give either output_size or output_ratio \(exactly one\)",
        ),
    ],
)
def test_fractional_max_pool_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def copied_adaptive_softmax(torch, **kwargs):
    theirs = torch.nn.AdaptiveLogSoftmaxWithLoss(**kwargs).double()
    ours = nn.AdaptiveLogSoftmaxWithLoss(**kwargs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
    return ours, theirs


@pytest.mark.parametrize("head_bias", [False, True])
def test_adaptive_log_softmax_equals_torch_with_copied_weights(head_bias):
    torch = pytest.importorskip("torch")
    ours, theirs = copied_adaptive_softmax(
        torch, in_features=16, n_classes=20, cutoffs=[5, 11, 17], div_value=2.0, head_bias=head_bias
    )
    x = RNG.standard_normal((9, 16))
    target = np.array([0, 4, 5, 10, 11, 19, 3, 16, 12])
    ours_x, theirs_x = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    output, loss = ours(ours_x, target)
    their_output, their_loss = theirs(theirs_x, torch.tensor(target))
    np.testing.assert_allclose(output.data, their_output.detach().numpy(), rtol=1e-12)
    (loss + (output * np.arange(9)).sum()).backward()
    (their_loss + (their_output * torch.arange(9)).sum()).backward()
    np.testing.assert_allclose(ours_x.grad, theirs_x.grad.numpy(), rtol=1e-11, atol=1e-14)
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-11, atol=1e-14, err_msg=name)
    np.testing.assert_allclose(ours.log_prob(x).data, theirs.log_prob(torch.tensor(x)).detach().numpy(), rtol=1e-12)
    np.testing.assert_array_equal(ours.predict(x).data, theirs.predict(torch.tensor(x)).numpy())
    one, one_loss = ours(x[2], np.array(7))
    assert one.shape == () and one.item() == pytest.approx(ours.log_prob(x).data[2, 7], rel=1e-13)
    assert one_loss.item() == pytest.approx(-one.item())


def test_adaptive_log_softmax_is_a_distribution_and_trains():
    asm = nn.AdaptiveLogSoftmaxWithLoss(6, 12, [3, 7], div_value=1.5, seed=0)
    x = RNG.standard_normal((40, 6))
    target = RNG.integers(0, 12, size=40)
    np.testing.assert_allclose(np.exp(asm.log_prob(x).data).sum(axis=1), 1.0, rtol=1e-13)
    output, _ = asm(x, target)
    np.testing.assert_allclose(output.data, asm.log_prob(x).data[np.arange(40), target], rtol=1e-13)
    opt = nn.optim.Adam(asm.parameters(), lr=0.05)
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = asm(x, target).loss
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(cutoffs=[]), r"cutoffs must be a non-empty sequence of ints"),
        (dict(cutoffs=[5, 3]), r"cutoffs should be a sequence of unique, positive integers sorted .* got \[5, 3\]"),
        (dict(cutoffs=[3, 10]), r"each value is between 1 and n_classes-1 = 9; got \[3, 10\]"),
        (dict(cutoffs=[3], div_value=0), r"div_value must be a number > 0, got 0"),
        (dict(cutoffs=[3, 5, 7], div_value=4.0), r"cluster 1's projection has in_features // div_value\*\*2 = 0 units"),
    ],
)
def test_adaptive_log_softmax_construction_errors(kwargs, message):
    with pytest.raises(ValueError, match=r"AdaptiveLogSoftmaxWithLoss: .*" + message):
        nn.AdaptiveLogSoftmaxWithLoss(4, 10, **kwargs)


def test_adaptive_log_softmax_call_errors():
    asm = nn.AdaptiveLogSoftmaxWithLoss(4, 10, [3], seed=0)
    with pytest.raises(ValueError, match=r"target values should be in \[0, 9\], but values in \[0, 12\] were found"):
        asm(np.ones((2, 4)), np.array([0, 12]))
    with pytest.raises(ValueError, match=r"input of shape \(3, 4\) does not go with a target of shape \(2,\)"):
        asm(np.ones((3, 4)), np.array([0, 1]))
    with pytest.raises(ValueError, match=r"target must be class indices \(ints\) of shape \(N,\) or \(\)"):
        asm(np.ones((2, 4)), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"AdaptiveLogSoftmaxWithLoss.log_prob: input of shape \(2, 5\), expected"):
        asm.log_prob(np.ones((2, 5)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        asm(np.ones((2, 4)), np.array([1, 2]))  # all in the shortlist: no cluster runs, no warning
