"""F.pad's modes (reflect, replicate, circular, constant) and torch's padding layers ConstantPad/ZeroPad/
ReflectionPad/ReplicationPad/CircularPad 1d/2d/3d: values and gradients against torch (float64, to 1e-10), against
hand-written index formulas and central differences without torch; the layers' reprs, configs and refusals."""

import numpy as np
import pytest
from norm_pad_helpers import assert_agrees_with_torch, assert_gradcheck, rng

import nn
import nn.functional as F

CASES = [  # (input shape, pad)
    ((2, 3, 5), (2, 1)),
    ((3, 5), (1, 3)),  # unbatched (C, L)
    ((2, 5), (-1, 2)),  # a crop on one side, a pad on the other
    ((1, 2, 4, 5), (1, 2, 3, 0)),
    ((2, 4, 5), (0, -2, 1, 2)),
    ((1, 2, 3, 4, 5), (1, 1, 2, 0, 0, 2)),
    ((2, 3, 4, 5), (2, 1, 0, 1, 1, 0)),
]


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular", "constant"])
@pytest.mark.parametrize(("shape", "amounts"), CASES)
def test_pad_equals_torch_in_value_and_gradient(mode, shape, amounts):
    torch = pytest.importorskip("torch")
    x = rng.normal(size=shape)
    value = {"value": 1.5} if mode == "constant" else {}
    assert_agrees_with_torch(
        torch,
        lambda t: F.pad(t, amounts, mode, **value),
        lambda t: torch.nn.functional.pad(t, amounts, mode, **value),
        x,
    )


def test_each_mode_copies_the_element_its_formula_names():
    x = np.arange(4.0).reshape(1, 1, 4)  # [0, 1, 2, 3]
    assert F.pad(x, (3, 2), "reflect").data.ravel().tolist() == [3, 2, 1, 0, 1, 2, 3, 2, 1]
    assert F.pad(x, (2, 3), "replicate").data.ravel().tolist() == [0, 0, 0, 1, 2, 3, 3, 3, 3]
    assert F.pad(x, (4, 2), "circular").data.ravel().tolist() == [0, 1, 2, 3, 0, 1, 2, 3, 0, 1]
    # torch's circular crops first and wraps what is left; reflect reflects the whole axis, then crops
    assert F.pad(x, (-1, 2), "circular").data.ravel().tolist() == [1, 2, 3, 1, 2]
    assert F.pad(x, (-1, 2), "reflect").data.ravel().tolist() == [1, 2, 3, 2, 1]


def test_a_copied_element_receives_the_gradients_of_all_its_copies():
    x = nn.Parameter(np.arange(3.0).reshape(1, 1, 3))
    F.pad(x, (2, 2), "reflect").sum().backward()  # [2, 1 | 0, 1, 2 | 1, 0]: 0 and 2 twice, 1 three times
    assert x.grad.ravel().tolist() == [2.0, 3.0, 2.0]
    x.grad = None
    F.pad(x, (2, 0), "replicate").sum().backward()
    assert x.grad.ravel().tolist() == [3.0, 1.0, 1.0]


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_pad_gradients_by_central_differences(mode):
    assert_gradcheck(lambda t: F.pad(t, (1, 2, 2, 1), mode) ** 2, rng.normal(size=(1, 2, 3, 4)))
    assert_gradcheck(lambda t: F.pad(t, (1, 1, 0, 1, 1, 0), mode) ** 2, rng.normal(size=(1, 1, 2, 3, 2)))


LAYERS = [
    (nn.ReflectionPad1d, "reflect", 1),
    (nn.ReflectionPad2d, "reflect", 2),
    (nn.ReflectionPad3d, "reflect", 3),
    (nn.ReplicationPad1d, "replicate", 1),
    (nn.ReplicationPad2d, "replicate", 2),
    (nn.ReplicationPad3d, "replicate", 3),
    (nn.CircularPad1d, "circular", 1),
    (nn.CircularPad2d, "circular", 2),
    (nn.CircularPad3d, "circular", 3),
    (nn.ZeroPad1d, "constant", 1),
    (nn.ZeroPad2d, "constant", 2),
    (nn.ZeroPad3d, "constant", 3),
]


@pytest.mark.parametrize(("layer", "mode", "axes"), LAYERS)
def test_the_layers_pad_their_axes_as_f_pad_and_repr_as_torch(layer, mode, axes):
    amounts = (2, 1, 1, 0, 0, 1)[: 2 * axes]
    x = rng.normal(size=(2, 3) + (3,) * axes)
    pad = layer(amounts)
    np.testing.assert_array_equal(pad(x).data, F.pad(x, amounts, mode).data)
    np.testing.assert_array_equal(pad(x[0]).data, F.pad(x, amounts, mode).data[0])  # unbatched (C, ...)
    assert repr(pad) == f"{layer.__name__}({amounts})"
    assert layer(1).padding == (1,) * (2 * axes)
    assert type(pad)(**pad.config()).padding == pad.padding
    torch = pytest.importorskip("torch")
    theirs = getattr(torch.nn, layer.__name__)(amounts)
    assert repr(pad) == repr(theirs)
    np.testing.assert_allclose(pad(x).data, theirs(torch.tensor(x)).numpy(), rtol=0, atol=0)


@pytest.mark.parametrize(("layer", "axes"), [(nn.ConstantPad1d, 1), (nn.ConstantPad2d, 2), (nn.ConstantPad3d, 3)])
def test_the_constant_pads_fill_with_their_value_and_repr_as_torch(layer, axes):
    amounts = (1, 0, 0, 2, 1, 1)[: 2 * axes]
    pad = layer(amounts, 3.5)
    out = pad(np.zeros((1, 1) + (2,) * axes)).data
    assert out.shape == (1, 1) + tuple(2 + amounts[2 * k] + amounts[2 * k + 1] for k in reversed(range(axes)))
    assert out.sum() == 3.5 * (out.size - 2**axes)
    assert repr(pad) == f"{layer.__name__}(padding={amounts}, value=3.5)"
    assert repr(layer(1, 0)).endswith("value=0)")  # the value as given, as torch's repr
    torch = pytest.importorskip("torch")
    assert repr(pad) == repr(getattr(torch.nn, layer.__name__)(amounts, 3.5))


def test_the_2d_pads_still_come_from_nn_and_take_their_old_arguments():
    assert nn.ZeroPad2d(1)(np.ones((1, 1, 1, 1))).data.sum() == 1.0
    assert nn.ConstantPad2d((1, 0, 0, 1), 9.0).config() == {"padding": [1, 0, 0, 1], "value": 9.0}


def test_reflect_refuses_an_amount_not_less_than_the_axis_size():
    with pytest.raises(
        ValueError, match=r"pad: mode='reflect' pads axis 2 of an input of shape \(1, 1, 3\) by \(3, 0\);"
    ):
        F.pad(np.ones((1, 1, 3)), (3, 0), "reflect")
    with pytest.raises(ValueError, match="use mode='replicate' or 'circular', or pad less"):
        nn.ReflectionPad1d(3)(np.ones((1, 1, 3)))


def test_circular_refuses_to_wrap_twice_and_every_mode_refuses_an_empty_output():
    with pytest.raises(ValueError, match=r"more than its 3 elements \(it would wrap around more than once\)"):
        F.pad(np.ones((1, 1, 3)), (4, 0), "circular")
    with pytest.raises(ValueError, match=r"leaves no element of axis 2 \(size 3\).*crop less"):
        F.pad(np.ones((1, 1, 3)), (-2, -1), "replicate")


def test_the_non_constant_modes_name_the_shapes_they_take():
    with pytest.raises(ValueError, match=r"4 amounts need a 3-d or 4-d input, got shape \(2, 3\)"):
        F.pad(np.ones((2, 3)), (1, 1, 1, 1), "reflect")
    with pytest.raises(ValueError, match="mode='reflect' takes no value"):
        F.pad(np.ones((1, 2, 3)), (1, 1), "reflect", value=2.0)
    with pytest.raises(ValueError, match="pad: mode must be one of 'constant', 'reflect', 'replicate', 'circular'"):
        F.pad(np.ones((1, 2, 3)), (1, 1), "wrap")


def test_the_layers_name_the_input_shape_they_need_and_refuse_a_bad_padding():
    with pytest.raises(
        ValueError, match=r"ReflectionPad2d\(\(1, 1, 1, 1\)\): expected an \(N, C, H, W\) or \(C, H, W\)"
    ):
        nn.ReflectionPad2d(1)(np.ones((3, 3)))
    with pytest.raises(ValueError, match=r"CircularPad3d: padding must be an int or 6 ints \(left, right, top, bottom"):
        nn.CircularPad3d((1, 1))
    with pytest.raises(ValueError, match="ConstantPad1d: value must be a number"):
        nn.ConstantPad1d(1, "0")
