"""F.conv2d, F.max_pool2d, F.avg_pool2d: values and gradients against torch over a table of cases, in
float64 and float32 (the dtype kept); finite differences and second order without torch; the kink
rule for tied maxima; every error message."""

import numpy as np
import pytest

import autograd_core as ag
import nn.functional as F
from autograd_core import Tensor

CONV_CASES = [  # (input shape, weight shape, keywords)
    ((2, 3, 7, 6), (4, 3, 3, 2), dict(stride=(2, 1), padding=(1, 0), dilation=(1, 2))),
    ((1, 2, 5, 5), (3, 2, 3, 3), dict(padding="same")),
    ((2, 2, 6, 5), (3, 2, 2, 2), dict(padding="same")),  # an even kernel: the odd padding goes after
    ((2, 2, 6, 5), (2, 2, 2, 3), dict(padding="same", dilation=(3, 2))),
    ((1, 3, 6, 6), (2, 3, 3, 3), dict(padding="valid", stride=3)),
    ((2, 4, 6, 6), (6, 2, 3, 3), dict(groups=2, padding=1)),
    ((2, 4, 6, 6), (4, 1, 2, 3), dict(groups=4, stride=(1, 2))),
    ((1, 1, 4, 4), (1, 1, 4, 4), {}),  # the kernel as large as the image: one output
    ((3, 5, 5), (2, 3, 3, 3), dict(padding=1)),  # one unbatched (C, H, W) image
]
POOL_CASES = [  # (input shape, kernel_size, keywords shared by both pools)
    ((2, 3, 7, 6), 3, dict(stride=2, padding=1)),
    ((1, 1, 5, 5), 2, {}),
    ((2, 2, 6, 7), (2, 3), dict(stride=(1, 2), padding=(1, 1))),
    ((1, 2, 4, 4), 1, {}),
    ((3, 6, 6), 2, dict(stride=1)),
]
MAX_ONLY = [((2, 2, 7, 7), (3, 2), dict(stride=(2, 1), padding=(1, 1), dilation=(2, 3)))]


def distinct_values(rng, shape):
    """A shuffled grid of values 0.1 apart: no two elements of a pooling window tie."""
    return (rng.permutation(int(np.prod(shape))).reshape(shape) - np.prod(shape) / 2) * 0.1


def check_against_torch(fn, torch_fn, arrays, dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    ours = [Tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    out, expected = fn(*ours), torch_fn(*theirs)
    assert out.shape == tuple(expected.shape) and out.dtype == dtype
    g = rng.standard_normal(out.shape).astype(dtype)
    out.backward(g)
    expected.backward(torch.tensor(g))
    tight = dtype == np.float64
    tolerances = dict(rtol=1e-10, atol=1e-12) if tight else dict(rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **tolerances)
    for mine, reference in zip(ours, theirs):
        assert mine.grad.dtype == dtype
        np.testing.assert_allclose(mine.grad, reference.grad.numpy(), **tolerances)


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")  # torch's note on its own speed
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("x_shape, w_shape, keywords", CONV_CASES)
def test_conv2d_values_and_gradients_equal_torchs(x_shape, w_shape, keywords, dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])]
    check_against_torch(
        lambda x, w, b: F.conv2d(x, w, b, **keywords),
        lambda x, w, b: torch.nn.functional.conv2d(x, w, b, **keywords),
        arrays,
        dtype,
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("x_shape, kernel, keywords", POOL_CASES + MAX_ONLY)
def test_max_pool2d_values_and_gradients_equal_torchs(x_shape, kernel, keywords, dtype):
    torch = pytest.importorskip("torch")
    arrays = [distinct_values(np.random.default_rng(1), x_shape)]
    check_against_torch(
        lambda x: F.max_pool2d(x, kernel, **keywords),
        lambda x: torch.nn.functional.max_pool2d(x, kernel, **keywords),
        arrays,
        dtype,
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("options", [{}, dict(count_include_pad=False), dict(divisor_override=5)])
@pytest.mark.parametrize("x_shape, kernel, keywords", POOL_CASES)
def test_avg_pool2d_values_and_gradients_equal_torchs(x_shape, kernel, keywords, options, dtype):
    torch = pytest.importorskip("torch")
    arrays = [np.random.default_rng(2).standard_normal(x_shape)]
    check_against_torch(
        lambda x: F.avg_pool2d(x, kernel, **keywords, **options),
        lambda x: torch.nn.functional.avg_pool2d(x, kernel, **keywords, **options),
        arrays,
        dtype,
    )


# ------------------------------------------------------------------ torch-free oracles
GRADCHECKED = [
    (
        "conv2d",
        lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2)),
        [(2, 2, 5, 6), (3, 2, 2, 2), (3,)],
    ),
    ("conv2d_same_groups", lambda x, w: F.conv2d(x, w, padding="same", groups=2), [(1, 4, 4, 5), (2, 2, 2, 3)]),
    ("max_pool2d", lambda x: F.max_pool2d(x, 2, stride=1, padding=1), [(1, 2, 4, 3)]),
    ("avg_pool2d", lambda x: F.avg_pool2d(x, (2, 3), stride=1, padding=1, count_include_pad=False), [(2, 1, 4, 5)]),
]


def gradcheck_inputs(name, shapes):
    rng = np.random.default_rng(3)
    if name == "max_pool2d":  # away from ties, even after a finite-difference step
        return [Tensor(distinct_values(rng, s), requires_grad=True) for s in shapes]
    return [Tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]


@pytest.mark.parametrize("name, fn, shapes", GRADCHECKED, ids=[c[0] for c in GRADCHECKED])
def test_gradients_match_finite_differences(name, fn, shapes):
    assert ag.gradcheck(fn, gradcheck_inputs(name, shapes), atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("name, fn, shapes", GRADCHECKED, ids=[c[0] for c in GRADCHECKED])
def test_second_derivatives_match_finite_differences(name, fn, shapes):
    """gradgradcheck: the recorded vjp (create_graph) differentiated again, against finite differences."""
    inputs = gradcheck_inputs(name, shapes)
    v = Tensor(np.random.default_rng(4).standard_normal(fn(*inputs).shape), requires_grad=True)

    def vjp(*args):
        *xs, seed = args
        grads = ag.grad(fn(*xs), xs, grad_outputs=seed, create_graph=True)
        return ag.concatenate([g.reshape(-1) for g in grads])

    assert ag.gradcheck(vjp, inputs + [v], atol=1e-6, rtol=1e-5)


def test_a_conv_is_the_sum_of_its_weighted_shifted_images():
    """The definition, written out as a loop: out[n, o, y, x] = b[o] + sum w[o, c, i, j] x[n, c, y + i, x + j]."""
    rng = np.random.default_rng(5)
    x, w, b = rng.standard_normal((2, 3, 5, 6)), rng.standard_normal((4, 3, 2, 3)), rng.standard_normal(4)
    expected = np.zeros((2, 4, 4, 4)) + b[:, None, None]
    for i in range(2):
        for j in range(3):
            expected += np.einsum("oc,nchw->nohw", w[:, :, i, j], x[:, :, i : i + 4, j : j + 4])
    np.testing.assert_allclose(F.conv2d(x, w, b).data, expected, rtol=1e-12)


def test_tied_maxima_in_a_window_share_its_gradient_evenly():
    x = Tensor(np.array([[[[1.0, 1.0, 0.0], [1.0, 1.0, 0.0]]]]), requires_grad=True)
    F.max_pool2d(x, 2, stride=1).sum().backward()  # windows [[1, 1], [1, 1]] and [[1, 0], [1, 0]]
    np.testing.assert_allclose(x.grad[0, 0], [[0.25, 0.75, 0.0], [0.25, 0.75, 0.0]])


def test_max_pool_padding_is_never_the_maximum():
    out = F.max_pool2d(-np.ones((1, 1, 2, 2)) - np.arange(4.0).reshape(1, 1, 2, 2), 2, stride=1, padding=1)
    assert np.isfinite(out.data).all() and out.data.max() == -1.0


@pytest.mark.parametrize(
    "call, kind, message",
    [
        (
            lambda: F.conv2d(np.ones((5, 8, 8)), np.ones((4, 1, 3, 3))),
            ValueError,
            "conv2d: a weight of shape (4, 1, 3, 3) with groups=1 expects 1 input channels (and out_channels divisible "
            "by groups), the input of shape (1, 5, 8, 8) has 5; an (N, H, W) batch of one-channel images needs its "
            "channel axis: x[:, None]",
        ),
        (
            lambda: F.conv2d(np.ones((8, 8)), np.ones((4, 1, 3, 3))),
            ValueError,
            "conv2d: expected a 4-d (N, C, H, W) input or a 3-d (C, H, W) one, got shape (8, 8); x[None, None] for one "
            "(H, W) image, x.reshape(N, C, H, W) for rows of flattened images",
        ),
        (
            lambda: F.conv2d(np.ones((1, 1, 2, 2)), np.ones((1, 1, 3, 3))),
            ValueError,
            "conv2d: the kernel 3x3 (dilation 1x1) spans 3x3, larger than the padded input's 2x2 (input shape (1, 1, "
            "2, 2)); use a smaller kernel or dilation, or more padding",
        ),
        (
            lambda: F.max_pool2d(np.ones((2, 1, 1, 4, 4)), 2),
            ValueError,
            "max_pool2d: expected a 4-d (N, C, H, W) input or a 3-d (C, H, W) one, got shape (2, 1, 1, 4, 4); merge "
            "the extra axes into the batch axis",
        ),
        (
            lambda: F.conv2d(np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3)), stride=0),
            ValueError,
            "conv2d: stride must be >= 1, got 0",
        ),
        (
            lambda: F.conv2d(np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3)), stride=2, padding="same"),
            ValueError,
            "conv2d: padding='same' needs stride 1 (as PyTorch), got stride=(2, 2)",
        ),
        (
            lambda: F.conv2d(np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3)), padding="full"),
            ValueError,
            "conv2d: padding must be an int, a pair, 'same' or 'valid', got 'full'",
        ),
        (
            lambda: F.conv2d(np.ones((1, 1, 4, 4)), np.ones((2, 3, 3))),
            ValueError,
            "conv2d: the weight must be 4-d (out_channels, in_channels / groups, kh, kw), got shape (2, 3, 3)",
        ),
        (
            lambda: F.conv2d(np.ones((1, 1, 4, 4)), np.ones((2, 1, 3, 3)), np.ones(3)),
            ValueError,
            "conv2d: the bias must have shape (2,) (one per output channel), got (3,)",
        ),
        (
            lambda: F.conv2d(np.ones((1, 4, 4, 4)), np.ones((2, 2, 3, 3)), groups=0),
            ValueError,
            "conv2d: groups must be a positive int, got 0",
        ),
        (
            lambda: F.conv2d(np.ones((1, 1, 4, 4), dtype=np.int64), np.ones((1, 1, 3, 3))),
            TypeError,
            "conv2d: expected a floating-point input, got int64; convert it with x.float()",
        ),
        (
            lambda: F.max_pool2d(np.ones((1, 1, 4, 4)), 2, padding=2),
            ValueError,
            "max_pool2d: padding must be at most half the kernel size (as PyTorch), got padding=2 for kernel_size=2",
        ),
        (
            lambda: F.max_pool2d(np.ones((1, 1, 2, 2)), 5, stride=1, padding=1, ceil_mode=True),
            ValueError,
            "max_pool2d: the kernel 5x5 (dilation 1x1) spans 5x5, larger than the padded input's 4x4",
        ),
        (
            lambda: F.avg_pool2d(np.ones((1, 1, 2, 2)), 3),
            ValueError,
            "avg_pool2d: the kernel 3x3 (dilation 1x1) spans 3x3, larger than the padded input's 2x2",
        ),
        (
            lambda: F.avg_pool2d(np.ones((1, 1, 4, 4)), 2, stride=-1),
            ValueError,
            "avg_pool2d: stride must be >= 1, got -1",
        ),
        (
            lambda: F.avg_pool2d(np.ones((1, 1, 4, 4)), 2, divisor_override=0),
            ValueError,
            "avg_pool2d: divisor_override must be a positive int or None, got 0",
        ),
    ],
)
def test_errors_name_the_op_the_shapes_and_the_fix(call, kind, message):
    with pytest.raises(kind) as caught:
        call()
    assert str(caught.value).startswith(message)
