"""ZeroPad2d / ConstantPad2d over F.pad: values and gradients equal torch's (crops too), float32,
finite differences, errors, saving."""

import numpy as np
import pytest

import autograd_core as ag
import nn
from autograd_core import Tensor

CASES = [  # (layer arguments, input shape, dtype)
    ((1,), (2, 3, 4, 5), np.float64),
    (((1, 0, 2, 3),), (2, 1, 3, 3), np.float32),
    (((2, -1, -1, 1),), (1, 2, 4, 4), np.float64),  # negative amounts crop, as torch
    (((0, 1, 1, 0),), (3, 4, 4), np.float64),  # one unbatched (C, H, W) image
]


@pytest.mark.parametrize("args, shape, dtype", CASES)
@pytest.mark.parametrize("value", [None, 0.0, -2.5])  # None: ZeroPad2d
def test_values_and_gradients_equal_torch(args, shape, dtype, value):
    torch = pytest.importorskip("torch")
    ours = nn.ZeroPad2d(*args) if value is None else nn.ConstantPad2d(*args, value)
    theirs = torch.nn.ZeroPad2d(*args) if value is None else torch.nn.ConstantPad2d(*args, value)
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape).astype(dtype)
    xt, xq = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, out_q = ours(xt), theirs(xq)
    assert out.dtype == dtype
    np.testing.assert_array_equal(out.data, out_q.detach().numpy())
    upstream = rng.normal(size=out.shape).astype(dtype)
    (out * upstream).sum().backward()
    (out_q * torch.tensor(upstream)).sum().backward()
    np.testing.assert_array_equal(xt.grad, xq.grad.numpy())
    assert repr(ours) == repr(theirs)


def test_gradcheck():
    x = Tensor(np.random.default_rng(1).normal(size=(1, 2, 3, 3)), requires_grad=True)
    assert ag.gradcheck(lambda t: nn.ConstantPad2d((1, 2, -1, 1), 0.5)(t) ** 2, x)


def test_errors_name_the_layer_the_shapes_and_the_fix():
    with pytest.raises(ValueError, match=r"ZeroPad2d: padding must be an int or 4 ints \(left, right, top, bottom\)"):
        nn.ZeroPad2d((1, 2))
    with pytest.raises(ValueError, match=r"ConstantPad2d: value must be a number"):
        nn.ConstantPad2d(1, "0")
    with pytest.raises(
        ValueError,
        match=r"ZeroPad2d\(\(1, 1, 1, 1\)\): expected an \(N, C, H, W\) or \(C, H, W\) input, got shape \(4, 4\)",
    ):
        nn.ZeroPad2d(1)(np.ones((4, 4)))


def test_saved_and_rebuilt(tmp_path):
    model = nn.Sequential(nn.ZeroPad2d((1, 0, 0, 1)), nn.ConstantPad2d(1, 3.5), nn.Conv2d(1, 1, 2, seed=0))
    nn.save(model, tmp_path / "pads.npz")
    loaded = nn.load(tmp_path / "pads.npz")
    assert type(loaded[0]) is nn.ZeroPad2d and loaded[0].padding == (1, 0, 0, 1)
    assert type(loaded[1]) is nn.ConstantPad2d and loaded[1].value == 3.5
    x = np.random.default_rng(2).normal(size=(2, 1, 3, 3))
    assert np.array_equal(loaded(x).data, model(x).data)
