"""torch.special's everyday functions that were missing (i0 i0e i1 i1e erfcx ndtri multigammaln), ``ldexp`` and
``cov``/``corrcoef``: values against power series, asymptotic expansions, round trips, numpy and (optionally)
mpmath and torch; gradients against the calculus, central differences and torch; their bad inputs."""

import math

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor, special

X = np.linspace(-10.0, 10.0, 81)  # both sides of 8, where the Chebyshev expansions change


def _bessel_series(x, order, terms=60):
    """I_order(x) = sum_k (x/2)^(2k + order) / (k! (k + order)!), summed in float64 (positive terms for x > 0)."""
    return sum((x / 2) ** (2 * k + order) / (math.factorial(k) * math.factorial(k + order)) for k in range(terms))


def test_i0_is_numpys_to_the_bit_by_every_spelling():
    for dtype in (np.float64, np.float32):
        x = np.concatenate([X, [0.0, -0.0, 80.0, np.nan]]).astype(dtype)  # (80: past the expansions' switch)
        for got in (ag.i0(Tensor(x)), Tensor(x).i0(), special.i0(Tensor(x)), np.i0(Tensor(x))):
            assert isinstance(got, Tensor) and got.dtype == dtype
            np.testing.assert_array_equal(got.data, np.i0(x))


def test_the_bessel_family_against_its_power_series():
    np.testing.assert_allclose(special.i1(Tensor(X)).data, _bessel_series(X, 1), rtol=2e-15, atol=1e-300)
    scale = np.exp(-np.abs(X))
    np.testing.assert_allclose(special.i0e(Tensor(X)).data, _bessel_series(X, 0) * scale, rtol=3e-15)
    np.testing.assert_allclose(special.i1e(Tensor(X)).data, _bessel_series(X, 1) * scale, rtol=3e-15, atol=1e-300)


def _asymptotic(order, x, terms=6):
    """I_v(x) e^-x ~ (1 + sum_k (-1)^k (mu - 1)(mu - 9)...(mu - (2k-1)^2) / (k! (8x)^k)) / sqrt(2 pi x), mu = 4v^2."""
    mu, total, term = 4 * order**2, 1.0, 1.0
    for k in range(1, terms):
        term = term * -(mu - (2 * k - 1) ** 2) / (k * 8 * x)
        total = total + term
    return total / np.sqrt(2 * np.pi * x)


def test_the_scaled_forms_follow_the_asymptotic_expansion_where_i0_overflows():
    x = np.array([1e3, 1e4, 1e6])
    np.testing.assert_allclose(special.i0e(Tensor(x)).data, _asymptotic(0, x), rtol=1e-15)
    np.testing.assert_allclose(special.i1e(Tensor(x)).data, _asymptotic(1, x), rtol=1e-15)
    assert special.i0e(Tensor([np.inf, -np.inf])).tolist() == [0.0, 0.0]
    assert special.i1(Tensor([np.inf, -np.inf, 0.0])).tolist() == [np.inf, -np.inf, 0.0]
    assert np.isnan(special.i1e(Tensor([np.nan])).item())


def test_symmetry_odd_i1_even_i0e():
    np.testing.assert_array_equal(special.i1(Tensor(-X)).data, -special.i1(Tensor(X)).data)
    np.testing.assert_array_equal(special.i1e(Tensor(-X)).data, -special.i1e(Tensor(X)).data)
    np.testing.assert_array_equal(special.i0e(Tensor(-X)).data, special.i0e(Tensor(X)).data)


def test_bessel_gradients_close_on_the_family():
    x = Tensor(X, requires_grad=True)
    ag.i0(x).sum().backward()
    np.testing.assert_array_equal(x.grad, special.i1(Tensor(X)).data)  # I0' = I1, the primitive itself
    for fn in (special.i1, special.i0e, special.i1e, ag.i0):
        assert ag.gradcheck(fn, [Tensor(np.array([-9.0, -2.5, -0.3, 0.4, 3.0, 8.5]), requires_grad=True)])
    at_zero = Tensor([0.0], requires_grad=True)
    slopes = [ag.grad(fn(at_zero).sum(), [at_zero])[0].item() for fn in (special.i1, special.i1e, special.i0e)]
    assert slopes == [0.5, 0.5, 0.0]  # i0e's kink at 0: slopes -1 and 1 split evenly


def test_i0s_second_derivative_is_i0_minus_i1_over_x():
    x = Tensor(np.array([-7.0, -0.5, 1.5, 9.0]), requires_grad=True)
    (g,) = ag.grad(ag.i0(x).sum(), [x], create_graph=True)
    (gg,) = ag.grad(g.sum(), [x])
    np.testing.assert_allclose(gg.data, np.i0(x.data) - _bessel_series(x.data, 1) / x.data, rtol=1e-14)


def test_the_bessel_family_against_mpmath_and_torch():
    x = np.linspace(-30.0, 30.0, 241)
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 30
    for fn, ref in [
        (special.i1, lambda v: mpmath.besseli(1, v)),
        (special.i0e, lambda v: mpmath.exp(-abs(v)) * mpmath.besseli(0, v)),
        (special.i1e, lambda v: mpmath.exp(-abs(v)) * mpmath.besseli(1, v)),
    ]:
        want = np.array([float(ref(mpmath.mpf(v))) for v in x])
        np.testing.assert_allclose(fn(Tensor(x)).data, want, rtol=2e-15, atol=1e-300)
    torch = pytest.importorskip("torch")
    for name in ("i0", "i0e", "i1", "i1e"):
        t, tt = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        y, ty = getattr(special, name)(t), getattr(torch.special, name)(tt)
        np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=5e-15)
        y.sum().backward()
        ty.sum().backward()
        np.testing.assert_allclose(t.grad, tt.grad.numpy(), rtol=1e-12, atol=1e-300)


# ------------------------------------------------------------------ erfcx
def test_erfcx_is_exp_x2_erfc_and_finite_where_erfc_underflows():
    x = np.linspace(-5.0, 5.0, 101)
    want = np.array([math.exp(v * v) * math.erfc(v) for v in x])  # exp(x^2) magnifies x^2's rounding: ~3e-15
    np.testing.assert_allclose(special.erfcx(Tensor(x)).data, want, rtol=5e-15)
    big = np.array([30.0, 1e3, 1e5, 1e150])
    z = 1 / (2 * big * big)  # erfcx(x) ~ sum_k (-1)^k (2k - 1)!! z^k / (x sqrt(pi))
    series = sum((-1) ** k * math.prod(range(1, 2 * k, 2)) * z**k for k in range(10))
    np.testing.assert_allclose(special.erfcx(Tensor(big)).data, series / (big * math.sqrt(math.pi)), rtol=1e-15)
    assert special.erfcx(Tensor([0.0, np.inf, -np.inf, -30.0])).tolist() == [1.0, 0.0, np.inf, np.inf]


def test_erfcx_gradient_and_torch():
    x = np.linspace(-4.0, 8.0, 25)
    t = Tensor(x, requires_grad=True)
    y = special.erfcx(t)
    y.sum().backward()
    np.testing.assert_allclose(t.grad, 2 * x * y.data - 2 / math.sqrt(math.pi), rtol=1e-13, atol=1e-15)
    assert ag.gradcheck(special.erfcx, [Tensor(x[::4], requires_grad=True)])
    torch = pytest.importorskip("torch")
    tt = torch.tensor(x, requires_grad=True)
    torch.special.erfcx(tt).sum().backward()
    np.testing.assert_allclose(y.data, torch.special.erfcx(torch.tensor(x)).numpy(), rtol=1e-13)
    np.testing.assert_allclose(t.grad, tt.grad.numpy(), rtol=1e-12, atol=1e-14)


# ------------------------------------------------------------------ ndtri
def test_ndtri_inverts_ndtr_deep_into_the_left_tail():
    p = np.concatenate([10.0 ** -np.arange(1.0, 301.0, 3.7), np.linspace(0.05, 0.95, 19)])
    x = special.ndtri(Tensor(p))
    assert np.isfinite(x.data).all()
    # ndtr keeps its relative accuracy in that tail, but its condition number there is ~x^2 (x = -37 at 1e-300):
    # the round trip is within a few ulp of that
    assert (np.abs(special.ndtr(x).data - p) / p <= 1e-15 * (1 + x.data**2)).all()
    # the composition it replaces: sqrt(2) erfinv(2p - 1) rounds 2p - 1 to -1 below p ~ 1e-17
    assert ag.erfinv(Tensor([2 * 1e-20 - 1])).item() == -np.inf
    np.testing.assert_allclose(special.ndtri(Tensor([1e-20])).item(), -9.262340089798408, rtol=1e-15)


def test_ndtri_edges_and_gradient():
    assert special.ndtri(Tensor([0.0, 1.0, 0.5])).tolist() == [-np.inf, np.inf, 0.0]
    assert np.isnan(special.ndtri(Tensor([-0.1, 1.1, np.nan])).data).all()
    p = Tensor(np.array([1e-10, 0.1, 0.5, 0.9, 0.999]), requires_grad=True)
    x = special.ndtri(p)
    x.sum().backward()
    np.testing.assert_allclose(p.grad, np.sqrt(2 * np.pi) * np.exp(x.data**2 / 2), rtol=1e-14)  # 1 / phi(x)
    assert ag.gradcheck(special.ndtri, [Tensor(np.array([0.05, 0.3, 0.8]), requires_grad=True)])


def test_ndtri_against_mpmath_and_torch():
    p = np.concatenate([10.0 ** -np.arange(2.0, 300.0, 11.0), np.linspace(0.02, 0.98, 25)])
    got = special.ndtri(Tensor(p)).data
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    want = [float(mpmath.findroot(lambda x, v=v: mpmath.ncdf(x) - mpmath.mpf(v), g)) for v, g in zip(p, got)]
    np.testing.assert_allclose(got, want, rtol=1e-15)
    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(got, torch.special.ndtri(torch.tensor(p)).numpy(), rtol=1e-13)


# ------------------------------------------------------------------ multigammaln
def test_multigammaln_is_a_sum_of_lgammas():
    x = np.array([2.5, 3.0, 7.25])
    want = [3 * math.log(math.pi) / 2 + sum(math.lgamma(v - j / 2) for j in range(3)) for v in x]
    np.testing.assert_allclose(special.multigammaln(Tensor(x), 3).data, want, rtol=1e-14)
    np.testing.assert_array_equal(special.multigammaln(Tensor(x), 1).data, ag.lgamma(Tensor(x)).data)
    np.testing.assert_array_equal(ag.mvlgamma(Tensor(x), 3).data, Tensor(x).mvlgamma(3).data)
    t = Tensor(x.copy())
    np.testing.assert_array_equal(t.mvlgamma_(2).data, special.multigammaln(Tensor(x), 2).data)


def test_multigammaln_gradients_and_torch():
    x = np.array([2.5, 3.0, 7.25])
    assert ag.gradcheck(lambda t: special.multigammaln(t, 4), [Tensor(x, requires_grad=True)])
    torch = pytest.importorskip("torch")
    t, tt = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    special.multigammaln(t, 3).sum().backward()
    torch.special.multigammaln(tt, 3).sum().backward()
    np.testing.assert_allclose(special.multigammaln(Tensor(x), 3).data, torch.mvlgamma(torch.tensor(x), 3), rtol=1e-14)
    np.testing.assert_allclose(t.grad, tt.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: special.multigammaln(Tensor([3.0]), 0), r"multigammaln: p must be an int >= 1 .* got 0"),
        (lambda: special.multigammaln(Tensor([3.0]), 1.5), r"p must be an int >= 1 .* got 1.5"),
        (
            lambda: ag.mvlgamma(Tensor([3.0, 1.0]), 3),
            r"every element must be greater than \(p - 1\) / 2 = 1.0 for p = 3, got the minimum 1.0",
        ),
    ],
)
def test_multigammaln_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ------------------------------------------------------------------ ldexp
def test_ldexp_is_numpys_for_integer_exponents():
    rng = np.random.default_rng(0)
    x, n = rng.standard_normal(200), rng.integers(-60, 61, 200)
    np.testing.assert_array_equal(ag.ldexp(Tensor(x), Tensor(n)).data, np.ldexp(x, n))
    np.testing.assert_array_equal(np.ldexp(Tensor(x), n).data, np.ldexp(x, n))
    x32 = Tensor(x.astype(np.float32))
    assert x32.ldexp(3).dtype == np.float32 and x32.ldexp(3).tolist() == (x.astype(np.float32) * 8).tolist()


def test_ldexp_is_differentiable_in_both_as_torchs():
    x, n = np.array([1.5, -0.25, 3.0]), np.array([2.0, -1.0, 0.5])
    t, e = Tensor(x, requires_grad=True), Tensor(n, requires_grad=True)
    y = ag.ldexp(t, e)
    y.sum().backward()
    np.testing.assert_allclose(t.grad, 2.0**n, rtol=1e-15)
    np.testing.assert_allclose(e.grad, y.data * math.log(2), rtol=1e-15)
    torch = pytest.importorskip("torch")
    tt, te = torch.tensor(x, requires_grad=True), torch.tensor(n, requires_grad=True)
    torch.ldexp(tt, te).sum().backward()
    np.testing.assert_allclose(t.grad, tt.grad.numpy(), rtol=1e-15)
    np.testing.assert_allclose(e.grad, te.grad.numpy(), rtol=1e-15)
