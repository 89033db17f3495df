"""F.conv3d, F.conv_transpose1d / 3d and their layers (Conv3d, ConvTranspose1d / 3d, the lazy forms): torch's
values and gradients over fuzzed settings, and without torch a naive loop, the adjoint identity, finite
differences; errors name the op, the shapes and the fix; torch's state_dicts load as they are."""

import itertools

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core import Tensor


def conv_case(rng, nd):
    """One fuzzed convolution geometry over ``nd`` axes (padding an int, a tuple, 'same' or 'valid')."""
    groups = int(rng.integers(1, 3))
    kernel = tuple(int(k) for k in rng.integers(1, 4, nd))
    dilation = tuple(int(d) for d in rng.integers(1, 3, nd))
    stride = tuple(int(s) for s in rng.integers(1, 3, nd))
    size = tuple(d * (k - 1) + 1 + int(rng.integers(0, 3)) for k, d in zip(kernel, dilation))
    padding = [tuple(int(p) for p in rng.integers(0, 3, nd)), int(rng.integers(0, 2)), "valid", "same"][seed_pick(rng)]
    if padding == "same":
        stride = (1,) * nd
    return dict(groups=groups, cin=groups * int(rng.integers(1, 3)), cout=groups * int(rng.integers(1, 3)),
                kernel=kernel, stride=stride, padding=padding, dilation=dilation, size=size)  # fmt: skip


def seed_pick(rng):
    return int(rng.integers(0, 4))


def transposed_case(rng, nd):
    """One fuzzed transposed geometry (output_padding below the stride or the dilation, as torch requires)."""
    c = conv_case(rng, nd)
    c["padding"] = tuple(int(p) for p in rng.integers(0, 2, nd))
    c["stride"] = tuple(int(s) for s in rng.integers(1, 4, nd))
    c["size"] = tuple(int(s) for s in rng.integers(1, 4, nd))
    c["output_padding"] = tuple(int(rng.integers(0, max(s, d))) for s, d in zip(c["stride"], c["dilation"]))
    sizes = [(n - 1) * s - 2 * p + d * (k - 1) + o + 1 for n, s, p, d, k, o in
             zip(c["size"], c["stride"], c["padding"], c["dilation"], c["kernel"], c["output_padding"])]  # fmt: skip
    return c if min(sizes) >= 1 else None


def check_against_torch(torch, ours_fn, theirs_fn, arrays, settings):
    """Values and the gradients of every array to 1e-10 (float64), the same settings after the arrays."""
    ours = [Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    y, expected = ours_fn(*ours, *settings), theirs_fn(*theirs, *settings)
    np.testing.assert_allclose(y.data, expected.detach().numpy(), rtol=1e-10, atol=1e-10)
    seed = np.random.default_rng(0).standard_normal(y.shape)
    (y * Tensor(seed)).sum().backward()
    (expected * torch.tensor(seed)).sum().backward()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("unbatched", [False, True])
def test_conv3d_values_and_gradients_equal_torchs_over_fuzzed_settings(unbatched):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    for _ in range(25):
        c = conv_case(rng, 3)
        x = rng.standard_normal(((), (2,))[not unbatched] + (c["cin"],) + c["size"])
        w = rng.standard_normal((c["cout"], c["cin"] // c["groups"]) + c["kernel"])
        b = rng.standard_normal(c["cout"])
        settings = (c["stride"], c["padding"], c["dilation"], c["groups"])
        check_against_torch(torch, F.conv3d, torch.nn.functional.conv3d, (x, w, b), settings)


@pytest.mark.parametrize("nd", [1, 3])
def test_conv_transpose_values_and_gradients_equal_torchs_over_fuzzed_settings(nd):
    torch = pytest.importorskip("torch")
    ours_fn, theirs_fn = {1: (F.conv_transpose1d, torch.nn.functional.conv_transpose1d),
                          3: (F.conv_transpose3d, torch.nn.functional.conv_transpose3d)}[nd]  # fmt: skip
    rng = np.random.default_rng(nd)
    cases = [c for c in (transposed_case(rng, nd) for _ in range(50)) if c is not None][:25]
    assert len(cases) >= 15
    for c in cases:
        x = rng.standard_normal((2, c["cin"]) + c["size"])
        w = rng.standard_normal((c["cin"], c["cout"] // c["groups"]) + c["kernel"])
        b = rng.standard_normal(c["cout"])
        settings = (c["stride"], c["padding"], c["output_padding"], c["groups"], c["dilation"])
        check_against_torch(torch, ours_fn, theirs_fn, (x, w, b), settings)


def naive_conv3d(x, w, stride, padding, dilation):
    """The definition, one output element at a time: out[n, o, z, y, x] = sum w[o, c, i, j, k] x[n, c, ...]."""
    x = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in padding])
    n, _, *size = x.shape
    kernel = w.shape[2:]
    out = [(s - d * (k - 1) - 1) // st + 1 for s, k, d, st in zip(size, kernel, dilation, stride)]
    y = np.zeros((n, w.shape[0], *out))
    for z, r, q in itertools.product(*(range(o) for o in out)):
        for i, j, k in itertools.product(*(range(kk) for kk in kernel)):
            at = [z * stride[0] + i * dilation[0], r * stride[1] + j * dilation[1], q * stride[2] + k * dilation[2]]
            y[:, :, z, r, q] += x[:, :, at[0], at[1], at[2]] @ w[:, :, i, j, k].T
    return y


def test_conv3d_equals_the_definition_without_torch():
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal((2, 3, 5, 6, 4)), rng.standard_normal((4, 3, 2, 3, 2))
    for stride, padding, dilation in [
        ((1, 1, 1), (0, 0, 0), (1, 1, 1)),
        ((2, 1, 2), (1, 0, 1), (1, 1, 1)),
        ((1, 2, 1), (0, 1, 2), (2, 1, 1)),
    ]:
        expected = naive_conv3d(x, w, stride, padding, dilation)
        np.testing.assert_allclose(F.conv3d(x, w, None, stride, padding, dilation).data, expected, rtol=1e-12)


@pytest.mark.parametrize("nd", [1, 3])
def test_conv_transpose_is_the_adjoint_of_conv(nd):
    """<conv(x, w), y> = <x, conv_transpose(y, w)> for every stride, padding, dilation and groups: no oracle."""
    conv = {1: F.conv1d, 3: F.conv3d}[nd]
    transpose = {1: F.conv_transpose1d, 3: F.conv_transpose3d}[nd]
    rng = np.random.default_rng(7)
    for stride, padding, dilation, groups in [(1, 0, 1, 1), (2, 1, 1, 2), (3, 1, 2, 1), (2, 0, 2, 2)]:
        x = rng.standard_normal((2, 4) + (7,) * nd)
        w = rng.standard_normal((6, 4 // groups) + (3,) * nd)
        y = conv(x, w, None, stride, padding, dilation, groups)
        g = rng.standard_normal(y.shape)
        extra = [(7 + 2 * padding - dilation * 2 - 1) % stride] * nd  # the rows conv's floor dropped
        back = transpose(g, w, None, stride, padding, tuple(extra), groups, dilation)
        assert back.shape == x.shape
        np.testing.assert_allclose((y.data * g).sum(), (x * back.data).sum(), rtol=1e-11)


def test_gradients_equal_central_differences_without_torch():
    rng = np.random.default_rng(11)

    def leaves(*shapes):
        return [Tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]

    x, w, b = leaves((1, 2, 4, 3, 4), (4, 1, 2, 2, 3), (4,))
    assert ag.gradcheck(lambda *t: F.conv3d(*t, stride=(2, 1, 1), padding=(1, 0, 1), groups=2), [x, w, b], atol=1e-6)
    x, w, b = leaves((1, 4, 3), (4, 1, 3), (2,))
    assert ag.gradcheck(lambda *t: F.conv_transpose1d(*t, 2, 1, 1, groups=2, dilation=2), [x, w, b], atol=1e-6)
    x, w, b = leaves((1, 2, 2, 3, 2), (2, 2, 2, 1, 2), (2,))
    assert ag.gradcheck(lambda *t: F.conv_transpose3d(*t, stride=(2, 1, 2), output_padding=(1, 0, 0)), [x, w, b])


def test_second_derivatives_flow_through_conv3d():
    """create_graph: the 3-d im2col is composed of primitives whose vjps record, so grad of grad works."""
    rng = np.random.default_rng(2)
    x = Tensor(rng.standard_normal((1, 1, 3, 3, 3)), requires_grad=True)
    w = Tensor(rng.standard_normal((1, 1, 2, 2, 2)), requires_grad=True)
    (gx,) = ag.grad((F.conv3d(x, w) ** 2).sum(), [x], create_graph=True)
    assert ag.gradcheck(lambda w_: ag.grad((F.conv3d(x, w_) ** 2).sum(), [x], create_graph=True)[0].sum(), [w])
    assert gx.shape == x.shape


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
def test_conv3d_layer_loads_torchs_state_dict_and_matches_it(mode):
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Conv3d(4, 6, (3, 2, 3), stride=(1, 2, 1), padding=(1, 1, 2), groups=2, padding_mode=mode)
    ours = nn.Conv3d(4, 6, (3, 2, 3), stride=(1, 2, 1), padding=(1, 1, 2), groups=2, padding_mode=mode, seed=0)
    state = {k: v.detach().double().numpy() for k, v in theirs.state_dict().items()}
    assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in state.items()}
    ours.load_state_dict(state)
    x = np.random.default_rng(0).standard_normal((2, 4, 5, 4, 6))
    np.testing.assert_allclose(ours(x).data, theirs.double()(torch.tensor(x)).detach().numpy(), rtol=1e-10, atol=1e-12)
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("nd", [1, 3])
def test_conv_transpose_layers_load_torchs_state_dict_and_take_output_size(nd):
    torch = pytest.importorskip("torch")
    theirs = getattr(torch.nn, f"ConvTranspose{nd}d")(4, 2, 3, stride=2, padding=1, dilation=1, groups=2)
    ours = getattr(nn, f"ConvTranspose{nd}d")(4, 2, 3, stride=2, padding=1, groups=2, seed=0)
    state = {k: v.detach().double().numpy() for k, v in theirs.state_dict().items()}
    assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in state.items()}
    ours.load_state_dict(state)
    x = np.random.default_rng(1).standard_normal((2, 4) + (3,) * nd)
    want = (6,) * nd  # (3 - 1) 2 - 2 + 3 = 5, so output_size 6 needs output_padding 1
    expected = theirs.double()(torch.tensor(x), output_size=want).detach().numpy()
    np.testing.assert_allclose(ours(x, output_size=want).data, expected, rtol=1e-10, atol=1e-12)
    assert repr(ours) == repr(theirs)
    with pytest.raises(ValueError, match=rf"ConvTranspose{nd}d\(.*\): output_size .* can be 5 to 6"):
        ours(x, output_size=(8,) * nd)


def test_layers_are_rebuilt_by_save_and_load(tmp_path):
    model = nn.Sequential(
        nn.Conv3d(1, 2, 3, padding="same", padding_mode="circular", seed=0),
        nn.ConvTranspose3d(2, 2, 2, stride=2, seed=1),
        nn.Conv3d(2, 1, (1, 2, 2), stride=(1, 2, 2), seed=2),
    )
    x = np.random.default_rng(0).standard_normal((1, 1, 3, 4, 4))
    nn.save(model, tmp_path / "m.npz")
    again = nn.load(tmp_path / "m.npz")
    assert repr(again) == repr(model)
    np.testing.assert_array_equal(again(x).data, model(x).data)
    one = nn.Sequential(nn.ConvTranspose1d(3, 2, 4, stride=2, padding=1, seed=0))
    nn.save(one, tmp_path / "one.npz")
    np.testing.assert_array_equal(nn.load(tmp_path / "one.npz")(np.ones((1, 3, 5))).data, one(np.ones((1, 3, 5))).data)


@pytest.mark.parametrize(
    ("lazy", "real", "shape"),
    [
        (lambda: nn.LazyConv3d(4, 3, seed=0), lambda c: nn.Conv3d(c, 4, 3, seed=0), (2, 3, 4, 4, 4)),
        (lambda: nn.LazyConvTranspose1d(4, 3, seed=0), lambda c: nn.ConvTranspose1d(c, 4, 3, seed=0), (2, 3, 5)),
        (lambda: nn.LazyConvTranspose3d(2, 2, seed=0), lambda c: nn.ConvTranspose3d(c, 2, 2, seed=0), (1, 3, 2, 2, 2)),
    ],
)
def test_lazy_forms_become_the_layer_their_first_input_sizes(lazy, real, shape):
    layer, x = lazy(), np.random.default_rng(0).standard_normal(shape)
    opt = nn.optim.SGD(layer.parameters(), lr=0.1)  # made before the sizes are known
    y = layer(x)
    expected = real(shape[1])
    assert type(layer) is type(expected) and repr(layer) == repr(expected)
    np.testing.assert_array_equal(y.data, expected(x).data)  # the same seed draws the same weights
    y.sum().backward()
    before = layer.weight.data.copy()
    opt.step()
    assert not np.array_equal(layer.weight.data, before)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: F.conv3d(np.ones((3, 4, 4)), np.ones((1, 1, 2, 2, 2))),
         r"conv3d: expected a 5-d \(N, C, D, H, W\) input or a 4-d \(C, D, H, W\) one, got shape \(3, 4, 4\); "
         r"x\[None, None\] for one \(D, H, W\) volume"),
        (lambda: F.conv3d(np.ones((1, 2, 4, 4, 4)), np.ones((1, 3, 2, 2, 2))),
         r"conv3d: a weight of shape \(1, 3, 2, 2, 2\) with groups=1 expects 3 input channels .* has 2"),
        (lambda: F.conv3d(np.ones((1, 1, 4, 4, 1)), np.ones((1, 1, 2, 2, 2))),
         r"conv3d: the kernel 2x2x2 \(dilation 1x1x1\) spans 2x2x2, larger than the padded input's 4x4x1 .*"
         r"use a smaller kernel"),
        (lambda: F.conv3d(np.ones((1, 1, 4, 4, 4)), np.ones((1, 1, 2, 2))),
         r"conv3d: the weight must be 5-d \(out_channels, in_channels / groups, kd, kh, kw\), got shape"),
        (lambda: F.conv3d(np.ones((1, 1, 4, 4, 4)), np.ones((1, 1, 2, 2, 2)), stride=(1, 2)),
         r"conv3d: stride must be an int or a tuple of 3 ints \(D, H, W\), got \(1, 2\)"),
        (lambda: F.conv3d(np.ones((1, 1, 4, 4, 4)), np.ones((1, 1, 2, 2, 2)), padding="same", stride=2),
         r"conv3d: padding='same' needs stride 1"),
        (lambda: F.conv_transpose1d(np.ones((1, 2, 4)), np.ones((3, 1, 2))),
         r"conv_transpose1d: a weight of shape \(3, 1, 2\) expects 3 input channels .* give \(N, 3, L\)"),
        (lambda: F.conv_transpose3d(np.ones((1, 1, 2, 2, 2)), np.ones((1, 1, 2, 2, 2)), stride=2, output_padding=2),
         r"conv_transpose3d: output_padding \(2, 2, 2\) must be smaller than the stride"),
        (lambda: nn.Conv3d(2, 4, 3, seed=0)(np.ones((1, 3, 4, 4, 4))),
         r"Conv3d\(2, 4, kernel_size=\(3, 3, 3\), .*\): input of shape \(1, 3, 4, 4, 4\) has 3 channels \(axis -4\), "
         r"expected 2; give \(N, 2, D, H, W\)"),
        (lambda: nn.ConvTranspose1d(2, 4, 3, seed=0)(np.ones((1, 3, 4))),
         r"ConvTranspose1d\(.*\): input of shape \(1, 3, 4\) has 3 channels \(axis -2\), expected 2"),
        (lambda: nn.Conv3d(2, 4, 3, padding_mode="mirror"), r"Conv3d: padding_mode must be one of"),
    ],
)  # fmt: skip
def test_errors_name_the_op_the_shapes_and_the_fix(call, message):
    with pytest.raises(ValueError, match=message):
        call()
