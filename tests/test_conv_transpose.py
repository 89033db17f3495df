"""F.conv_transpose2d and nn.ConvTranspose2d: torch's values and gradients over fuzzed settings, the adjoint
identity with conv2d (no oracle needed), gradcheck, output_size, errors, save / load and ag.compile's replay."""

import math

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core import Tensor


def random_case(rng):
    """One fuzzed geometry: groups, channels, kernel, stride, padding, output_padding, dilation, input size."""
    groups = int(rng.integers(1, 4))
    case = dict(
        groups=groups,
        cin=groups * int(rng.integers(1, 3)),
        cout=groups * int(rng.integers(1, 3)),
        kernel=tuple(int(k) for k in rng.integers(1, 4, 2)),
        stride=tuple(int(s) for s in rng.integers(1, 4, 2)),
        padding=tuple(int(p) for p in rng.integers(0, 3, 2)),
        dilation=tuple(int(d) for d in rng.integers(1, 3, 2)),
        size=tuple(int(s) for s in rng.integers(1, 5, 2)),
    )
    case["output_padding"] = tuple(int(rng.integers(0, max(s, d))) for s, d in zip(case["stride"], case["dilation"]))
    return case


def output_height(h, c, a):
    k, s, p, d, op = c["kernel"][a], c["stride"][a], c["padding"][a], c["dilation"][a], c["output_padding"][a]
    return (h - 1) * s - 2 * p + d * (k - 1) + op + 1


def fits(c):
    return all(output_height(c["size"][a], c, a) >= 1 for a in (0, 1))


CASES = [c for c in (random_case(np.random.default_rng(seed)) for seed in range(60)) if fits(c)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("unbatched", [False, True])
def test_values_and_gradients_equal_torchs_over_fuzzed_settings(dtype, unbatched):
    torch = pytest.importorskip("torch")
    tight = dict(rtol=1e-10, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-4, atol=1e-5)
    rng = np.random.default_rng(1)
    assert len(CASES) > 30
    for c in CASES:
        batch = () if unbatched else (2,)
        x = rng.standard_normal(batch + (c["cin"],) + c["size"]).astype(dtype)
        w = rng.standard_normal((c["cin"], c["cout"] // c["groups"]) + c["kernel"]).astype(dtype)
        b = rng.standard_normal(c["cout"]).astype(dtype)
        settings = (c["stride"], c["padding"], c["output_padding"], c["groups"], c["dilation"])
        ours = [Tensor(v, requires_grad=True) for v in (x, w, b)]
        theirs = [torch.tensor(v, requires_grad=True) for v in (x, w, b)]
        y = F.conv_transpose2d(*ours, *settings)
        expected = torch.nn.functional.conv_transpose2d(*theirs, *settings)
        assert y.shape == tuple(expected.shape) and y.dtype == dtype, c
        assert y.shape[-2:] == (output_height(c["size"][0], c, 0), output_height(c["size"][1], c, 1))
        np.testing.assert_allclose(y.data, expected.detach().numpy(), **tight, err_msg=str(c))
        upstream = rng.standard_normal(y.shape).astype(dtype)
        (y * upstream).sum().backward()
        (expected * torch.tensor(upstream)).sum().backward()
        for mine, theirs_ in zip(ours, theirs):
            assert mine.grad.dtype == dtype
            np.testing.assert_allclose(mine.grad, theirs_.grad.numpy(), **tight, err_msg=str(c))


def test_it_is_conv2ds_adjoint():
    """<conv2d(x, W), y> == <x, conv_transpose2d(y, W)>: the definition of the transpose, checked without torch."""
    rng, nonzero = np.random.default_rng(2), 0
    for c in CASES:
        # output_padding below the stride, so conv2d maps the output's size back to y's exactly
        extra = tuple(min(op, s - 1) for op, s in zip(c["output_padding"], c["stride"]))
        w = rng.standard_normal((c["cin"], c["cout"] // c["groups"]) + c["kernel"])
        y = rng.standard_normal((2, c["cin"]) + c["size"])
        out = F.conv_transpose2d(y, w, None, c["stride"], c["padding"], extra, c["groups"], c["dilation"])
        x = rng.standard_normal(out.shape)
        # conv2d's weight (out, in / groups, kh, kw) is the same array: its out channels are our input channels
        forward = F.conv2d(x, w, None, c["stride"], c["padding"], c["dilation"], c["groups"])
        assert forward.shape == y.shape, c
        left, right = float((forward.data * y).sum()), float((x * out.data).sum())
        assert left == pytest.approx(right, rel=1e-10, abs=1e-10), c
        nonzero += abs(left) > 1e-6  # (a wide stride with a large padding may crop every stamp: both 0)
    assert nonzero > 0.8 * len(CASES)


def test_gradcheck_on_a_small_strided_grouped_case():
    rng = np.random.default_rng(0)
    inputs = [
        Tensor(rng.standard_normal((1, 4, 3, 2)), requires_grad=True),
        Tensor(rng.standard_normal((4, 1, 2, 3)), requires_grad=True),
        Tensor(rng.standard_normal(2), requires_grad=True),
    ]

    def fn(x, w, b):
        return F.conv_transpose2d(x, w, b, stride=(2, 1), padding=(1, 0), output_padding=(1, 0), groups=2, dilation=2)

    assert ag.gradcheck(fn, inputs, atol=1e-6, rtol=1e-5)


def test_an_example_by_hand_and_no_backward_of_its_own():
    y = F.conv_transpose2d(ag.ones(1, 1, 2, 2), ag.ones(1, 1, 2, 2), stride=2)  # stamps side by side
    np.testing.assert_array_equal(y.data, np.ones((1, 1, 4, 4)))
    layer = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1, seed=0)
    ops = {t.op for t in ag.walk(layer(np.ones((1, 2, 4, 4))).sum())} - {None}
    assert ops <= set(ag.PRIMITIVES) and "fold" in ops


def test_the_layer_has_torchs_shapes_and_init_and_loads_a_torch_state_dict():
    layer = nn.ConvTranspose2d(6, 8, (3, 2), groups=2, seed=0, dtype=np.float32)
    assert layer.weight.shape == (6, 4, 3, 2) and layer.bias.shape == (8,) and layer.weight.dtype == np.float32
    bound = 1 / math.sqrt(4 * 3 * 2)  # fan_in from the weight's axis 1: out_channels / groups * kh * kw, as torch
    for values in (layer.weight.data, layer.bias.data):
        assert np.abs(values).max() <= bound and np.abs(values).max() > 0.8 * bound
    assert nn.ConvTranspose2d(2, 2, 1, bias=False).bias is None
    torch = pytest.importorskip("torch")
    theirs = torch.nn.ConvTranspose2d(6, 8, (3, 2), stride=2, padding=1, output_padding=1, groups=2).double()
    ours = nn.ConvTranspose2d(6, 8, (3, 2), stride=2, padding=1, output_padding=1, groups=2)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((2, 6, 4, 5))
    np.testing.assert_allclose(ours(x).data, theirs(torch.tensor(x)).detach().numpy(), rtol=1e-12, atol=1e-12)
    for size in [(7, 8), (8, 9), (2, 6, 8, 8)]:  # output_size picks output_padding, as torch's
        expected = theirs(torch.tensor(x), output_size=list(size)).detach().numpy()
        np.testing.assert_allclose(ours(x, output_size=size).data, expected, rtol=1e-12, atol=1e-12)


def test_output_size_doubles_an_encoders_odd_size_back():
    down = nn.Conv2d(1, 2, 3, stride=2, padding=1, seed=0)
    up = nn.ConvTranspose2d(2, 1, 3, stride=2, padding=1, seed=0)
    x = np.ones((1, 1, 7, 8))
    code = down(x)
    assert up(code).shape == (1, 1, 7, 7)
    assert up(code, output_size=x.shape[-2:]).shape == x.shape


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_decoder_saves_loads_and_prints_its_settings(tmp_path, dtype):
    model = nn.Sequential(
        nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1, seed=0, dtype=dtype),
        nn.ReLU(),
        nn.ConvTranspose2d(2, 2, (2, 3), dilation=(2, 1), groups=2, bias=False, seed=1, dtype=dtype),
    )
    assert (
        repr(model[0])
        == "ConvTranspose2d(4, 2, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), output_padding=(1, 1))"
    )
    loaded = nn.load(nn.save(model, tmp_path / "decoder.npz"))
    assert repr(loaded) == repr(model)
    x = np.random.default_rng(1).standard_normal((3, 4, 5, 5)).astype(dtype)
    np.testing.assert_array_equal(loaded(x).data, model(x).data)
    assert loaded(x).dtype == dtype and loaded(x).shape == (3, 2, 12, 12)


def test_compile_replays_a_decoder_step_as_define_by_run_computes_it():
    def decoder():
        return nn.Sequential(nn.ConvTranspose2d(3, 2, 4, stride=2, padding=1, seed=0), nn.Tanh())

    model, twin = decoder(), decoder()
    step = ag.compile(lambda X, Y: ((model(X) - Y) ** 2).mean())
    rng = np.random.default_rng(3)
    for _ in range(4):
        X, Y = Tensor(rng.standard_normal((2, 3, 4, 4))), Tensor(rng.standard_normal((2, 2, 8, 8)))
        loss = step(X, Y)
        expected = ((twin(X) - Y) ** 2).mean()
        expected.backward()
        np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-12)
        for p, q in zip(model.parameters(), twin.parameters()):
            np.testing.assert_allclose(p.grad, q.grad, rtol=1e-12, atol=1e-14)
            for t in (p, q):
                t.data -= 0.1 * t.grad
                t.grad = None
    assert step.replay_count >= 2, (step.trace_count, step.replay_count)


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: F.conv_transpose2d(np.ones((1, 2, 3, 3)), np.ones((2, 1, 2, 2)), stride=2, output_padding=2),
            r"conv_transpose2d: output_padding \(2, 2\) must be smaller than the stride \(2, 2\) or the dilation",
        ),
        (
            lambda: F.conv_transpose2d(np.ones((1, 3, 3, 3)), np.ones((2, 1, 2, 2))),
            r"conv_transpose2d: a weight of shape \(2, 1, 2, 2\) expects 2 input channels.*has 3",
        ),
        (lambda: F.conv_transpose2d(np.ones((1, 3, 3, 3)), np.ones((3, 1, 2, 2)), groups=2), r"divisible by groups=2"),
        (
            lambda: F.conv_transpose2d(np.ones((3, 3)), np.ones((1, 1, 2, 2))),
            r"conv_transpose2d: expected a 4-d \(N, C, H, W\) input or a 3-d \(C, H, W\) one, got shape \(3, 3\)",
        ),
        (lambda: F.conv_transpose2d(np.ones((1, 1, 3, 3)), np.ones((1, 2, 2))), r"the weight must be 4-d"),
        (
            lambda: F.conv_transpose2d(np.ones((1, 1, 3, 3)), np.ones((1, 2, 2, 2)), np.ones(3)),
            r"the bias must have shape \(2,\)",
        ),
        (
            lambda: F.conv_transpose2d(np.ones((1, 1, 1, 1)), np.ones((1, 1, 1, 1)), padding=1),
            r"the output would be -1x-1.*use a smaller padding",
        ),
        (lambda: nn.ConvTranspose2d(3, 4, 3, groups=2), r"ConvTranspose2d: in_channels \(3\).*divisible by groups"),
        (lambda: nn.ConvTranspose2d(2, 4, 3, padding_mode="reflect"), r"only padding_mode='zeros'"),
        (lambda: nn.ConvTranspose2d(2, 4, 3, seed=0)(np.ones((1, 3, 4, 4))), r"has 3 channels.*expected 2"),
        (
            lambda: nn.ConvTranspose2d(2, 4, 3, stride=2, seed=0)(np.ones((1, 2, 4, 4)), output_size=(12, 9)),
            r"output_size \(12, 9\) cannot come from an input of shape \(1, 2, 4, 4\): axis 0 can be 9 to 10",
        ),
    ],
)
def test_errors_name_the_op_the_shapes_and_the_fix(call, message):
    with pytest.raises(ValueError, match=message):
        call()
