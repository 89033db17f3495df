"""Conv1d / F.conv1d (conv2d on rows one pixel high): values and gradients equal torch's over stride,
padding ('same', 'valid'), dilation, groups and float32; PyTorch's init bounds and state_dict shapes;
finite differences; errors; saving."""

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core import Tensor

CASES = [  # (x shape, weight shape, keyword arguments, dtype)
    ((2, 3, 11), (4, 3, 3), {}, np.float64),
    ((2, 3, 11), (4, 3, 3), {"stride": 2, "padding": 1}, np.float64),
    ((1, 2, 9), (2, 2, 4), {"padding": "same", "dilation": 2}, np.float64),
    ((2, 4, 8), (6, 2, 3), {"groups": 2, "padding": "valid"}, np.float64),
    ((3, 2, 10), (5, 2, 5), {"stride": 3, "dilation": 2, "padding": 2}, np.float32),
    ((3, 7), (2, 3, 2), {}, np.float64),  # one unbatched (C, L) signal
]


@pytest.mark.parametrize("x_shape, w_shape, kwargs, dtype", CASES)
def test_values_and_gradients_equal_torch(x_shape, w_shape, kwargs, dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, w, b = (rng.normal(size=s).astype(dtype) for s in (x_shape, w_shape, w_shape[:1]))
    leaves = [Tensor(a, requires_grad=True) for a in (x, w, b)]
    twins = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    out, out_q = F.conv1d(*leaves, **kwargs), torch.nn.functional.conv1d(*twins, **kwargs)
    assert out.shape == tuple(out_q.shape) and out.dtype == dtype
    upstream = rng.normal(size=out.shape).astype(dtype)
    (out * upstream).sum().backward()
    (out_q * torch.tensor(upstream)).sum().backward()
    tol = dict(rtol=1e-10, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(out.data, out_q.detach().numpy(), **tol)
    for ours, theirs in zip(leaves, twins):
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), **tol)
        assert ours.grad.dtype == dtype


def test_layer_equals_torchs_with_its_weights_and_has_its_init_and_state_dict():
    torch = pytest.importorskip("torch")
    ours = nn.Conv1d(4, 6, 3, stride=2, padding=1, groups=2, seed=0)
    theirs = torch.nn.Conv1d(4, 6, 3, stride=2, padding=1, groups=2).double()
    assert {k: tuple(v.shape) for k, v in theirs.state_dict().items()} == {
        k: v.shape for k, v in ours.state_dict().items()
    }
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(1).normal(size=(2, 4, 9))
    np.testing.assert_allclose(ours(x).data, theirs(torch.tensor(x)).detach().numpy(), rtol=1e-12)
    assert repr(ours) == repr(theirs)
    # PyTorch's bounds: weight and bias within 1/sqrt(fan_in), fan_in = 4 / 2 * 3, and spread to them
    big = nn.Conv1d(8, 64, 5, seed=0)
    bound = 1 / np.sqrt(8 * 5)
    for values in (big.weight.data, big.bias.data):
        assert np.abs(values).max() <= bound and np.abs(values).max() > 0.9 * bound
    assert nn.Conv1d(2, 3, 2, bias=False, dtype=np.float32).weight.dtype == np.float32


def test_gradcheck():
    rng = np.random.default_rng(2)
    x, w, b = (Tensor(rng.normal(size=s), requires_grad=True) for s in ((2, 2, 7), (3, 2, 3), (3,)))
    assert ag.gradcheck(lambda *t: F.conv1d(*t, stride=2, padding=1, dilation=2) ** 2, [x, w, b])
    assert ag.gradcheck(lambda *t: F.conv1d(*t, padding="same") ** 2, [x, w, b])


def test_errors_name_the_layer_the_shapes_and_the_fix():
    layer = nn.Conv1d(3, 2, 3)
    with pytest.raises(ValueError, match=r"Conv1d\(3, 2, kernel_size=\(3,\).*expects 3 input channels.*has 4"):
        layer(np.ones((2, 4, 9)))
    with pytest.raises(ValueError, match=r"Conv1d\(3, 2.*expected a 3-d \(N, C, L\) input .* got shape \(2, 3, 4, 4\)"):
        layer(np.ones((2, 3, 4, 4)))
    with pytest.raises(ValueError, match=r"conv1d: .*got shape \(8,\); an \(N, L\) batch .* x\[:, None\]"):
        F.conv1d(np.ones(8), np.ones((1, 1, 2)))
    with pytest.raises(ValueError, match=r"conv1d: the weight must be 3-d .* got shape \(1, 1, 2, 2\)"):
        F.conv1d(np.ones((1, 1, 8)), np.ones((1, 1, 2, 2)))
    with pytest.raises(ValueError, match=r"conv1d: the kernel of size 5 .* spans 5, longer than the padded input"):
        F.conv1d(np.ones((1, 1, 3)), np.ones((1, 1, 5)))
    with pytest.raises(ValueError, match=r"conv1d: the bias must have shape \(2,\), got \(3,\)"):
        F.conv1d(np.ones((1, 1, 8)), np.ones((2, 1, 2)), np.ones(3))
    with pytest.raises(ValueError, match=r"conv1d: padding must be .*'same' \(with stride 1\), got 'same'"):
        F.conv1d(np.ones((1, 1, 8)), np.ones((2, 1, 2)), stride=2, padding="same")
    with pytest.raises(ValueError, match=r"Conv1d: in_channels \(3\) and out_channels \(4\) must both be divisible"):
        nn.Conv1d(3, 4, 2, groups=2)
    with pytest.raises(ValueError, match=r"Conv1d: kernel_size must be an int >= 1"):
        nn.Conv1d(3, 4, (2, 2))
    with pytest.raises(TypeError, match=r"Conv1d: dtype must be floating-point"):
        nn.Conv1d(3, 4, 2, dtype=np.int32)


def test_saved_and_loaded(tmp_path):
    model = nn.Sequential(nn.Conv1d(2, 3, 3, padding="same", dilation=2, seed=0), nn.ReLU(), nn.Conv1d(3, 1, 2))
    nn.save(model, tmp_path / "conv1d.npz")
    loaded = nn.load(tmp_path / "conv1d.npz")
    assert loaded[0].config() == model[0].config() and loaded[0].padding == "same"
    x = np.random.default_rng(3).normal(size=(2, 2, 10))
    assert np.array_equal(loaded(x).data, model(x).data)
