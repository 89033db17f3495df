"""torch.Tensor's in-place forms ``ag.Tensor`` lacked (``eq_ lt_ tril_ cumsum_ clamp_min_ square_ nan_to_num_
sin_ erf_ bitwise_and_ ...``: each an AttributeError before), the comparison and arithmetic aliases (``greater
less_equal not_equal absolute negative multiply subtract divide true_divide floor_divide ger``), the integer
``gcd lcm``, ``nextafter`` and ``apply_ map_ map2_`` (autograd_core/tensor_inplace_forms.py). An in-place form
must write what its out-of-place method computes, refuse what ``add_`` refuses, and refuse a value its dtype
would truncate, as torch does.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor

RNG = np.random.default_rng(3)
U = RNG.uniform(0.1, 0.9, (3, 4))  # in (0, 1): every function below is defined there
W = RNG.uniform(0.1, 0.9, (3, 4))
INTS = np.array([[12, -18, 7], [0, 5, 30]])

# name: (arguments, the input); each in-place form against its out-of-place method, and against torch's
IN_PLACE = {
    "eq_": ((W,), U.round(1)),
    "ne_": ((0.5,), U.round(1)),
    "lt_": ((W,), U),
    "le_": ((W,), U),
    "gt_": ((0.5,), U),
    "ge_": ((W,), U),
    "greater_": ((W,), U),
    "greater_equal_": ((W,), U),
    "less_": ((W,), U),
    "less_equal_": ((W,), U),
    "not_equal_": ((W,), U),
    "tril_": ((-1,), U),
    "triu_": ((1,), U),
    "cumsum_": ((1,), U),
    "cumprod_": ((0,), U),
    "clamp_min_": ((0.5,), U),
    "clamp_max_": ((0.5,), U),
    "clip_": ((0.2, 0.6), U),
    "floor_divide_": ((0.3,), U),
    "remainder_": ((-0.3,), U),
    "fmod_": ((-0.3,), U),
    "square_": ((), U),
    "absolute_": ((), U - 0.5),
    "negative_": ((), U),
    "multiply_": ((W,), U),
    "subtract_": ((W,), U),
    "divide_": ((W,), U),
    "true_divide_": ((W,), U),
    "xlogy_": ((W,), U),
    "logit_": ((), U),
    "hypot_": ((W,), U),
    "atan2_": ((W,), U - 0.5),
    "copysign_": ((W - 0.5,), U),
    "heaviside_": ((W,), np.round(U - 0.5, 1)),
    "deg2rad_": ((), U),
    "rad2deg_": ((), U),
    "sgn_": ((), U - 0.5),
    "trunc_": ((), 10 * U - 5),
    "fix_": ((), 10 * U - 5),
    "frac_": ((), 10 * U - 5),
    "sin_": ((), U),
    "cos_": ((), U),
    "rsqrt_": ((), U),
    "erf_": ((), U),
    "erfc_": ((), U),
    "erfinv_": ((), U),
    "expm1_": ((), U),
    "log1p_": ((), U),
    "log2_": ((), U),
    "log10_": ((), U),
    "lgamma_": ((), U),
    "digamma_": ((), U),
    "polygamma_": ((1,), U),
    "sinc_": ((), U),
    "logical_and_": ((W > 0.5,), U > 0.5),
    "logical_or_": ((W > 0.5,), U > 0.5),
    "logical_xor_": ((W > 0.5,), U > 0.5),
    "logical_not_": ((), U > 0.5),
    "bitwise_and_": ((INTS + 3,), INTS),
    "bitwise_or_": ((INTS + 3,), INTS),
    "bitwise_xor_": ((INTS + 3,), INTS),
    "bitwise_not_": ((), INTS),
    "bitwise_left_shift_": ((INTS % 5,), INTS),
    "bitwise_right_shift_": ((INTS % 3,), INTS),
    "gcd_": ((INTS + 4,), INTS),
    "lcm_": ((INTS + 4,), INTS),
    "nextafter_": ((W,), U),
    "float_power_": ((W,), U),
    "nan_to_num_": ((), np.array([np.nan, np.inf, -np.inf, 1.0])),
}


def _operand(module, a):
    return module.tensor(a) if isinstance(a, np.ndarray) else a


@pytest.mark.parametrize("name", IN_PLACE)
def test_an_in_place_form_writes_its_methods_value_into_the_same_tensor(name):
    args, x = IN_PLACE[name]
    t = Tensor(x.copy())
    expected = getattr(Tensor(x.copy()), name[:-1])(*(_operand(ag, a) for a in args))
    out = getattr(t, name)(*(_operand(ag, a) for a in args))
    assert out is t and t.dtype == x.dtype
    np.testing.assert_array_equal(t.data, expected.data.astype(x.dtype))


@pytest.mark.parametrize("name", IN_PLACE)
def test_an_in_place_form_agrees_with_torch(name):
    torch = pytest.importorskip("torch")
    args, x = IN_PLACE[name]
    ours = getattr(Tensor(x.copy()), name)(*(_operand(ag, a) for a in args))
    theirs = getattr(torch.tensor(x.copy()), name)(*(_operand(torch, a) for a in args))
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-9, atol=1e-12)  # (polygamma: series, to 4e-10)


def test_a_comparison_in_place_writes_ones_and_zeros_in_the_tensors_dtype():
    t = Tensor(np.array([1.0, 5.0, 3.0], np.float32))
    assert t.gt_(2.0).tolist() == [0.0, 1.0, 1.0] and t.dtype == np.float32
    assert ag.tensor([1, 5]).less_equal_(ag.tensor([1, 4])).tolist() == [1, 0]


def test_in_place_forms_refuse_what_add_refuses():
    w = Tensor(U.copy(), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"cumsum_\(\).*requires grad"):
        w.cumsum_(0)
    with ag.no_grad():
        w.clamp_min_(0.5)  # an optimizer step's spelling: allowed under no_grad
    assert (w.data >= 0.5).all()
    y = Tensor(U.copy(), requires_grad=True) * 1.0
    with pytest.raises(RuntimeError, match=r"sin_\(\) on a tensor that is part of a recorded graph; make a new"):
        y.sin_()


def test_a_result_the_dtype_cannot_hold_is_refused_naming_the_cast():
    with pytest.raises(TypeError, match=r"sin_: the result is float64, which this int64 tensor cannot hold; cast"):
        ag.tensor([1, 2]).sin_()
    with pytest.raises(TypeError, match=r"true_divide_: the result is float64, which this int64 tensor cannot hold"):
        ag.tensor([1, 2]).true_divide_(2)
    with pytest.raises(TypeError, match=r"float_power_: computes in float64, and this tensor is float32"):
        Tensor(np.ones(2, np.float32)).float_power_(2.0)
    assert ag.tensor([7, -7]).floor_divide_(2).tolist() == [3, -4]  # an int result stays


def test_the_torch_refusals_of_the_same_casts():
    torch = pytest.importorskip("torch")
    for call in [lambda m: m.tensor([1, 2]).sin_(), lambda m: m.tensor([1, 2]).true_divide_(2)]:
        with pytest.raises(RuntimeError, match="can't be cast"):
            call(torch)
        with pytest.raises(TypeError):
            call(ag)


# ------------------------------------------------------------------------------- aliases
def test_the_aliases_compute_what_their_originals_do_and_keep_the_gradient():
    a, b = Tensor(U, requires_grad=True), Tensor(W, requires_grad=True)
    assert (a.greater(b).data == (U > W)).all() and (a.greater_equal(b).data == (U >= W)).all()
    assert (a.less(b).data == (U < W)).all() and (a.less_equal(b).data == (U <= W)).all()
    assert np.array_equal(a.not_equal(U[0]).data, np.not_equal(U, U[0]))
    assert (ag.less_equal(a, 0.5).data == (U <= 0.5)).all()
    np.testing.assert_array_equal(ag.floor_divide(ag.tensor([7, -7, 6]), 4).data, [1, -2, 1])
    np.testing.assert_array_equal(a.detach().divide(b.detach(), rounding_mode="trunc").data, np.trunc(U / W))
    np.testing.assert_array_equal(Tensor([-7.0]).divide(2.0, rounding_mode="floor").data, [-4.0])
    np.testing.assert_array_equal(a[0].ger(Tensor([1.0, 2.0])).data, np.outer(U[0], [1.0, 2.0]))
    out = a.absolute() + a.negative() * 2 + a.multiply(b) + a.subtract(b, alpha=3) + a.true_divide(b)
    out.sum().backward()
    np.testing.assert_allclose(a.grad, 1 - 2 + W + 1 + 1 / W)  # d/da of |a| - 2a + ab + (a - 3b) + a/b, a > 0
    np.testing.assert_allclose(b.grad, U - 3 - U / W**2)
    np.testing.assert_array_equal(ag.absolute(Tensor([-2.0, 3.0])).data, [2.0, 3.0])


# ------------------------------------------------------------------------------- integers and floats
def test_gcd_and_lcm_are_euclids_elementwise_with_torchs_zero_and_sign_rules():
    a, b = INTS, np.array([[8, 27, 0], [0, -15, 4]])
    assert ag.tensor(a).gcd(ag.tensor(b)).tolist() == [[math.gcd(x, y) for x, y in zip(r, s)] for r, s in zip(a, b)]
    assert ag.lcm(ag.tensor(a), ag.tensor(b)).tolist() == [[math.lcm(x, y) for x, y in zip(r, s)] for r, s in zip(a, b)]
    assert ag.gcd(ag.tensor([12, 18]), ag.tensor(6)).tolist() == [6, 6]  # broadcast
    with pytest.raises(TypeError, match=r"gcd: needs integer tensors, got float64; cast first \(x.long\(\)\)"):
        Tensor([1.0]).gcd(ag.tensor([2]))


def test_gcd_lcm_agree_with_torch():
    torch = pytest.importorskip("torch")
    a, b = INTS, np.array([[8, 27, 0], [0, -15, 4]])
    for name in ["gcd", "lcm"]:
        ours = getattr(ag, name)(ag.tensor(a), ag.tensor(b)).tolist()
        assert ours == getattr(torch, name)(torch.tensor(a), torch.tensor(b)).tolist()


def test_shifts_multiply_and_floor_divide_by_powers_of_two():
    a, b = INTS, np.abs(INTS) % 5
    np.testing.assert_array_equal((ag.tensor(a) << ag.tensor(b)).data, a * 2**b)
    np.testing.assert_array_equal(ag.bitwise_right_shift(ag.tensor(a), ag.tensor(b)).data, a // 2**b)
    assert (3 << ag.tensor([1, 2])).tolist() == [6, 12] and (ag.tensor([-8]) >> 1).tolist() == [-4]
    with pytest.raises(TypeError, match=r"bitwise_left_shift: needs integer tensors, got float64"):
        Tensor([1.0]) << 1


def test_nextafter_steps_one_ulp_toward_the_other():
    x = Tensor(np.array([1.0, 1.0, 0.0], np.float32))
    out = x.nextafter(Tensor(np.array([2.0, 0.0, -1.0], np.float32)))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.data, np.nextafter(x.data, np.array([2.0, 0.0, -1.0], np.float32)))
    assert out.data[0] - 1 == np.finfo(np.float32).eps and out.data[2] < 0
    with pytest.raises(TypeError, match=r"nextafter: needs a float tensor, got int64"):
        ag.nextafter(ag.tensor([1]), ag.tensor([2]))


def test_apply_map_and_map2_call_python_per_element_in_place():
    t = Tensor([1.0, 2.0, 3.0])
    assert t.apply_(lambda v: v * v).tolist() == [1.0, 4.0, 9.0]
    assert t.map_(Tensor([1.0, 0.0, 1.0]), lambda v, w: v - w).tolist() == [0.0, 4.0, 8.0]
    assert t.map2_(Tensor([1.0]), Tensor([2.0, 2.0, 2.0]), lambda v, x, y: v + x * y).tolist() == [2.0, 6.0, 10.0]
    with pytest.raises(RuntimeError, match=r"apply_\(\)"):
        Tensor([1.0], requires_grad=True).apply_(abs)
