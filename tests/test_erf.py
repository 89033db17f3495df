"""erf / erfc primitives against Python's math.erf / math.erfc (the reference, within 1 ulp), their derivative,
and F.gelu against torch's exact GELU."""

import math

import numpy as np
import pytest

import autograd_core as ag
from nn import functional as F

# Cody's rational approximations, evaluated in float64, measured on the points below: erf within 4 ulp
# (2 below 0.46875, 4 just above, where erf = 1 - erfc(~0.4) inherits erfc's error), erfc within 7 ulp of
# math.erfc (the product exp(-s^2) exp(-(x-s)(x+s)) R(x) rounds five times).
ERF_ULPS, ERFC_ULPS = 4, 8


def points():
    rng = np.random.default_rng(0)
    around = [b + d for b in (0.46875, 0.5, 4.0) for d in np.linspace(-0.01, 0.01, 1001)]
    tiny = 10.0 ** rng.uniform(-323, -1, 5000)  # down through the subnormals
    x = np.concatenate([rng.uniform(-30, 30, 50000), rng.uniform(-5, 5, 40000), around, tiny])
    return np.concatenate([x, -np.array(around), -tiny, [5e-324, 2.2e-308, 0.46875, 4.0, -4.0]])


def ulps(got, ref):
    """|got - ref| in units of ref's spacing (0 where both are 0)."""
    return np.abs(got - ref) / np.spacing(np.abs(ref))


def test_erf_within_a_few_ulps_of_math_erf_over_minus_30_to_30():
    x = points()
    ref = np.array([math.erf(v) for v in x])
    got = ag.erf(x).data
    assert got.dtype == np.float64 and ulps(got, ref).max() <= ERF_ULPS
    assert ulps(got, ref)[np.abs(x) < 0.46875].max() <= 2  # the erf form, subnormals included
    assert np.array_equal(got[np.abs(x) >= 6], np.sign(x[np.abs(x) >= 6]))  # rounds to +-1 as math.erf does


def test_erfc_within_a_few_ulps_and_keeps_relative_accuracy_in_the_far_tail():
    x = points()
    ref = np.array([math.erfc(v) for v in x])
    got = ag.erfc(x).data
    assert ulps(got[ref > 0], ref[ref > 0]).max() <= ERFC_ULPS
    assert np.all(got[ref == 0] == 0)  # underflow beyond 27.3, as math.erfc
    far = np.array([5.0, 10.0, 20.0, 26.0])
    tail = ag.erfc(far).data
    assert np.all(tail > 0) and np.allclose(tail, [math.erfc(v) for v in far], rtol=4e-16, atol=0)
    assert 1 - ag.erf(far).data[1] == 0  # why erfc is a primitive: 1 - erf(10) has nothing left


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_low_precision_inputs_are_computed_in_float64_and_rounded_once(dtype):
    x = np.random.default_rng(1).uniform(-6, 6, 20000).astype(dtype)
    for fn, ref in ((ag.erf, math.erf), (ag.erfc, math.erfc)):
        got = fn(x).data
        exact = np.array([ref(float(v)) for v in x]).astype(dtype)  # math's float64, rounded to dtype
        assert got.dtype == dtype
        # rounding twice (to float64 then to dtype) can differ from exact rounding by 1 ulp, and only rarely
        diff = np.abs(got.astype(np.float64) - exact) / np.spacing(np.abs(exact))
        assert diff.max() <= 1 and np.mean(got != exact) < 1e-3


def test_nan_infinities_and_signed_zeros_exactly():
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e300, -1e300])
    e, c = ag.erf(x).data, ag.erfc(x).data
    assert np.isnan(e[0]) and np.isnan(c[0])
    assert e[1:].tolist() == [1.0, -1.0, 0.0, -0.0, 1.0, -1.0] and np.signbit(e[4]) and not np.signbit(e[3])
    assert c[1:].tolist() == [0.0, 2.0, 1.0, 1.0, 0.0, 2.0]
    assert ag.erf(np.array(0.25)).data.shape == () and ag.erf(np.array(0.25)).item() == math.erf(0.25)


def test_integer_input_gives_float64():
    got = ag.erf(np.arange(3)).data
    assert got.dtype == np.float64 and ulps(got, np.array([math.erf(v) for v in range(3)]))[1:].max() <= ERF_ULPS


def test_derivatives_are_the_gaussian_against_closed_form_and_finite_differences():
    x = np.linspace(-5, 5, 41)
    for fn, sign in ((ag.erf, 1), (ag.erfc, -1)):
        t = ag.Tensor(x, requires_grad=True)
        fn(t).sum().backward()
        assert np.allclose(t.grad, sign * 2 / math.sqrt(math.pi) * np.exp(-x * x), rtol=1e-15, atol=0)
        h = 1e-6
        central = (fn(x + h).data - fn(x - h).data) / (2 * h)
        assert np.allclose(t.grad, central, rtol=1e-7, atol=1e-9)  # atol: the values' rounding / h
    # second order through create_graph: erf'' = -2x erf'
    t = ag.Tensor(x, requires_grad=True)
    (g,) = ag.grad(ag.erf(t).sum(), t, create_graph=True)
    g.sum().backward()
    assert np.allclose(t.grad, -2 * x * 2 / math.sqrt(math.pi) * np.exp(-x * x), rtol=1e-14, atol=1e-300)


def test_gelu_and_its_gradient_equal_torchs_exact_gelu_to_a_few_ulps():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    x = np.concatenate([rng.normal(0, 3, 50000), np.linspace(-40, 40, 8001)])
    t = ag.Tensor(x, requires_grad=True)
    y = F.gelu(t)
    y.backward(np.ones_like(x))
    tt = torch.tensor(x, requires_grad=True)
    yt = torch.nn.functional.gelu(tt)
    yt.backward(torch.ones_like(tt))
    ref, ref_grad = yt.detach().numpy(), tt.grad.numpy()
    positive = x >= 0
    assert ulps(y.data, ref)[positive].max() <= 4 and ulps(t.grad, ref_grad)[positive].max() <= 4
    # For x < 0 torch's 0.5 x (1 + erf(x / sqrt 2)) cancels: its rounding is an ulp of |x| / 2 (the value)
    # and of 1/2 (the gradient's cdf term), not of the result; ours (through erfc) keeps the relative accuracy.
    value_scale = np.spacing(np.maximum(np.abs(ref), 0.5 * np.abs(x)))
    grad_scale = np.spacing(np.maximum(np.abs(ref_grad), 0.5))
    assert np.max(np.abs(y.data - ref) / value_scale) <= 4
    assert np.max(np.abs(t.grad - ref_grad) / grad_scale) <= 4
    tail = np.array([-10.0, -20.0])  # torch's 1 + erf is 0 there; ours is the true tiny value
    assert np.allclose(F.gelu(tail).data, [0.5 * v * math.erfc(-v / math.sqrt(2)) for v in tail], rtol=1e-12)
