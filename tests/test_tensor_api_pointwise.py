"""Elementwise names a torch user reaches for beyond the README (tensor_pointwise.py, ``ag.lerp``...): values
against numpy or closed forms, gradients by finite differences (and torch's rules where they are conventions:
remainder's 1 for the dividend, rounding's 0), torch where installed, and the errors. Before, each raised
AttributeError (``round(t)``: TypeError)."""

import math

import numpy as np
import pytest
from tensor_api_helpers import against_torch, gradcheck

import autograd_core as ag
from autograd_core import Tensor

RNG = np.random.default_rng(11)
A, B = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))


def test_nan_to_num_replaces_and_passes_the_gradient_only_where_finite():
    x = Tensor([np.nan, np.inf, -np.inf, 2.0], requires_grad=True)
    out = x.nan_to_num(nan=-1.0)
    assert out.tolist() == [-1.0, np.finfo(np.float64).max, np.finfo(np.float64).min, 2.0]
    out.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0, 1.0]
    assert ag.nan_to_num(Tensor([np.inf], dtype=np.float32), posinf=5.0).dtype == np.float32
    assert ag.tensor([1, 2]).nan_to_num().tolist() == [1, 2]


def test_lerp_is_exact_at_its_ends_and_differentiable_in_all_three():
    start, end = Tensor([1e-20, 3.0]), Tensor([1.0, 7.0])
    assert start.lerp(end, 1.0).tolist() == [1.0, 7.0] and start.lerp(end, 0.0).tolist() == [1e-20, 3.0]
    assert ag.lerp(Tensor([0.0]), Tensor([8.0]), Tensor([0.25])).tolist() == [2.0]
    weights = RNG.uniform(0, 1, (3, 4))
    assert gradcheck(lambda a, b, w: a.lerp(b, w), A, B, weights)
    assert gradcheck(lambda a, b: ag.lerp(a, b, 0.7), A, B)


def test_hypot_does_not_overflow_and_its_gradient_is_x_over_r():
    big, other = np.array([3e200, 3.0, 1e-310]), np.array([4e200, 4.0, 0.0])
    with np.errstate(over="ignore"):
        assert np.isinf(np.sqrt(big**2 + other**2)[0])  # what the textbook formula gives
    np.testing.assert_allclose(Tensor(big).hypot(Tensor(other)).data, np.hypot(big, other), rtol=2.3e-16)
    np.testing.assert_allclose(ag.hypot(Tensor(A), Tensor(B)).data, np.hypot(A, B), rtol=2.3e-16)
    x, y = Tensor([3.0], requires_grad=True), Tensor([4.0], requires_grad=True)
    x.hypot(y).backward()
    np.testing.assert_allclose([x.grad[0], y.grad[0]], [0.6, 0.8], rtol=1e-15)
    assert gradcheck(lambda a, b: a.hypot(b), A, B)


def test_atan2_covers_all_four_quadrants_and_arctan2_is_its_name_in_numpy():
    y, x = Tensor([1.0, 1.0, -1.0, -1.0]), Tensor([1.0, -1.0, -1.0, 1.0])
    np.testing.assert_allclose((y.atan2(x) / math.pi).data, [0.25, 0.75, -0.75, -0.25], rtol=1e-15)
    assert ag.arctan2(Tensor([0.0]), -1.0).item() == math.pi and Tensor([2.0]).arctan2(0.0).item() == math.pi / 2
    assert gradcheck(lambda a, b: ag.atan2(a, b), A, B)


def test_logaddexp_and_logaddexp2_stay_finite_and_accurate():
    a, b = Tensor([1000.0, -1000.0, 0.0, np.inf, -np.inf]), Tensor([1000.0, -1000.0, -40.0, np.inf, -np.inf])
    np.testing.assert_allclose(a.logaddexp(b).data, np.logaddexp(a.data, b.data), rtol=1e-15)
    assert a.logaddexp(b).data[2] > 0  # log1p: 4.2e-18, where log(1 + e**-40) gives 0
    np.testing.assert_allclose(ag.logaddexp2(a, b).data, np.logaddexp2(a.data, b.data), rtol=1e-15)
    x, y = Tensor([2.0], requires_grad=True), Tensor([2.0], requires_grad=True)
    x.logaddexp(y).backward()  # at a tie each side gets half (max's halves; abs'(0) = 0)
    assert x.grad.tolist() == [0.5] and y.grad.tolist() == [0.5]
    assert gradcheck(lambda p, q: p.logaddexp(q) + p.logaddexp2(q), A, B)


def test_sinc_is_one_at_zero_with_a_zero_slope_there():
    x = Tensor([0.0, 0.5, -1.5, 2.0], requires_grad=True)
    np.testing.assert_allclose(x.sinc().data, np.sinc(x.data), rtol=1e-15, atol=1e-16)
    x.sinc().sum().backward()
    assert x.grad[0] == 0.0 and np.isfinite(x.grad).all()
    assert gradcheck(lambda t: ag.sinc(t), A)


def test_float_power_frac_and_rounding():
    assert ag.tensor([2, 3]).float_power(2).tolist() == [4.0, 9.0]
    assert Tensor([2.0], dtype=np.float32).float_power(Tensor([0.5], dtype=np.float32)).dtype == np.float64
    assert gradcheck(lambda b, e: b.float_power(e), np.abs(A) + 0.5, B)
    assert Tensor([2.75, -2.75]).frac().tolist() == [0.75, -0.75]
    assert ag.trunc(Tensor([-2.5, 2.5])).tolist() == [-2.0, 2.0] and ag.fix(Tensor([-0.5])).tolist() == [-0.0]
    assert ag.floor(Tensor([-0.5])).tolist() == [-1.0] and ag.ceil(Tensor([-0.5])).tolist() == [-0.0]
    x = Tensor([1.25, -3.75], requires_grad=True)
    (x.frac() + x.trunc() + x.floor() + x.ceil() + x.round()).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]  # frac's 1; the rounding family's 0


def test_round_builtin_gives_a_tensor_with_ndigits_and_half_to_even():
    assert round(Tensor([0.5, 1.5, 2.5])).tolist() == [0.0, 2.0, 2.0]
    assert round(Tensor([1.2345, -2.5551]), 2).tolist() == [1.23, -2.56]
    assert Tensor([1.25]).round(decimals=1).tolist() == [1.2]
    with pytest.raises(TypeError, match=r"round: decimals must be an int, got 1\.5"):
        round(Tensor([1.0]), 1.5)


def test_fmod_and_remainder_match_numpy_bit_for_bit_with_torch_s_gradients():
    a, b = A * 7, np.where(np.abs(B) < 0.3, 0.3, B)
    assert np.array_equal(Tensor(a).fmod(Tensor(b)).data, np.fmod(a, b))
    assert np.array_equal(ag.remainder(Tensor(a), Tensor(b)).data, np.remainder(a, b))
    x, y = Tensor([7.5, -7.5], requires_grad=True), Tensor([2.0, 2.0], requires_grad=True)
    x.fmod(y).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0] and y.grad.tolist() == [-3.0, 3.0]  # -trunc(x / y)
    x.grad = y.grad = None
    x.remainder(y).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0] and y.grad.tolist() == [-3.0, 4.0]  # -floor(x / y)
    assert ag.tensor([7, -7]).fmod(3).tolist() == [1, -1] and ag.tensor([7, -7]).remainder(3).tolist() == [1, 2]
    assert np.isnan(Tensor([1.0]).fmod(0.0).item())  # IEEE's, unwarned, as torch
    with pytest.raises(TypeError, match=r"no gradient here; .* torch's differentiable x % n is x\.remainder\(n\) here"):
        x % 2.0  # the operator keeps its refusal, naming the method that has torch's gradient
    with pytest.raises(ZeroDivisionError, match="fmod: integer division by zero"):
        ag.tensor([1]).fmod(0)


def test_addcmul_addcdiv_addmm_baddbmm_addmv_equal_their_expansions():
    t1, t2 = RNG.standard_normal(4), RNG.uniform(0.5, 2, 4)
    np.testing.assert_allclose(Tensor(A).addcmul(t1, Tensor(t2), value=0.5).data, A + 0.5 * t1 * t2, rtol=1e-15)
    np.testing.assert_allclose(ag.addcdiv(Tensor(A), Tensor(t1), t2, value=-2).data, A - 2 * t1 / t2, rtol=1e-15)
    m1, m2, v = RNG.standard_normal((3, 2)), RNG.standard_normal((2, 4)), RNG.standard_normal(4)
    np.testing.assert_allclose(ag.addmm(Tensor(A), m1, m2, beta=0.5, alpha=2).data, 0.5 * A + 2 * m1 @ m2)
    np.testing.assert_allclose(ag.addmv(Tensor(np.ones(3)), Tensor(A), v).data, 1 + A @ v)
    b1, b2 = RNG.standard_normal((2, 3, 2)), RNG.standard_normal((2, 2, 4))
    np.testing.assert_allclose(Tensor(A).baddbmm(b1, b2, alpha=3).data, A + 3 * b1 @ b2)
    assert Tensor([np.nan]).addmm(m1, m2, beta=0).tolist() == (m1 @ m2).tolist()  # beta=0: self ignored, as torch
    assert gradcheck(lambda s, x, w: s.addmm(x, w, beta=0.3, alpha=-1.5), A, m1, m2)
    assert gradcheck(lambda s, p, q: s.addcdiv(p, q, value=0.7), A, B, np.abs(B) + 1)
    with pytest.raises(ValueError, match="mm: needs two 2-d tensors"):
        Tensor(A).addmm(v, m2)


def test_frexp_splits_mantissa_and_exponent():
    mantissa, exponent = ag.frexp(Tensor([8.0, 0.3, -5.0, 0.0]))
    assert exponent.dtype == np.int32
    np.testing.assert_array_equal((mantissa * 2.0**exponent).data, [8.0, 0.3, -5.0, 0.0])
    assert ((mantissa.abs().data >= 0.5) | (mantissa.data == 0)).all() and (mantissa.abs().data < 1).all()
    with pytest.raises(TypeError, match="frexp: needs a floating-point tensor, got int64"):
        ag.tensor([1]).frexp()


def test_bitwise_and_logical_families():
    a, b = ag.tensor([12, 5]), ag.tensor([10, 3])
    assert a.bitwise_and(b).tolist() == [8, 1] and ag.bitwise_or(a, b).tolist() == [14, 7]
    assert a.bitwise_xor(b).tolist() == [6, 6] and ag.bitwise_not(ag.tensor([0, -1])).tolist() == [-1, 0]
    assert ag.tensor([True, False]).bitwise_not().tolist() == [False, True]
    x, y = Tensor([0.0, 2.0, -1.0]), Tensor([1.0, 0.0, 3.0])
    assert x.logical_and(y).tolist() == [False, False, True] and ag.logical_or(x, y).tolist() == [True, True, True]
    assert x.logical_xor(y).tolist() == [True, True, False] and ag.logical_not(x).tolist() == [True, False, False]
    with pytest.raises(
        TypeError, match=r"bitwise_and: needs integer or boolean tensors, got float64, float64; .*logical_and"
    ):
        x.bitwise_and(y)


def test_elementwise_against_torch():
    torch = pytest.importorskip("torch")
    pos = np.abs(B) + 0.5
    against_torch(torch, lambda a, b, w: a.lerp(b, w), lambda a, b, w: a.lerp(b, w), A, B, RNG.uniform(-1, 2, (3, 4)))
    against_torch(torch, lambda a, b: a.hypot(b), lambda a, b: a.hypot(b), A, B)
    against_torch(torch, lambda a, b: a.logaddexp(b), lambda a, b: a.logaddexp(b), A, B)
    against_torch(torch, lambda a, b: a.logaddexp2(b), lambda a, b: a.logaddexp2(b), A, B)
    against_torch(torch, lambda a: a.sinc(), lambda a: a.sinc(), A)
    against_torch(torch, lambda a, b: a.float_power(b), lambda a, b: a.float_power(b), pos, B)
    against_torch(torch, lambda a: a.frac() + a.trunc(), lambda a: a.frac() + a.trunc(), A * 3)
    against_torch(torch, lambda a, b: a.fmod(b) + a.remainder(b), lambda a, b: a.fmod(b) + a.remainder(b), A * 5, pos)
    against_torch(
        torch, lambda a, b, c: a.addcmul(b, c, value=-0.5), lambda a, b, c: a.addcmul(b, c, value=-0.5), A, B, pos
    )
    m1, m2 = RNG.standard_normal((3, 5)), RNG.standard_normal((5, 4))
    against_torch(
        torch,
        lambda s, x, w: s.addmm(x, w, beta=2, alpha=0.5),
        lambda s, x, w: s.addmm(x, w, beta=2, alpha=0.5),
        A,
        m1,
        m2,
    )
    special = np.array([np.nan, np.inf, -np.inf, 1.5])
    np.testing.assert_array_equal(Tensor(special).nan_to_num().data, torch.tensor(special).nan_to_num().numpy())
    mantissa, exponent = Tensor(A).frexp()
    theirs = torch.tensor(A).frexp()
    np.testing.assert_array_equal(mantissa.data, theirs.mantissa.numpy())
    np.testing.assert_array_equal(exponent.data, theirs.exponent.numpy())
