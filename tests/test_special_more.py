"""torch.special's Bessel and Airy functions (bessel_j0 j1 y0 y1, modified_bessel_i0 i1 k0 k1, the scaled k0 k1,
spherical_bessel_j0, airy_ai): values against independent oracles (the integral representation of J_n, Wronskians,
published zeros and values, asymptotic series), their edges, derivatives and second derivatives, dtypes, and
torch and scipy where installed. The gradcheck and float32 cases of every primitive are in special_more_cases.py."""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor, special
from autograd_core.primitives import AiryAiPrime

WIDE = np.concatenate([-np.geomspace(1e-6, 1e4, 300), np.geomspace(1e-6, 1e4, 300), np.linspace(-40, 40, 801)])
POSITIVE = np.concatenate([np.geomspace(1e-8, 1e5, 600), np.linspace(0.01, 40, 800)])
UNARY = ["airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_i0", "modified_bessel_i1",
         "modified_bessel_k0", "modified_bessel_k1", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1",
         "spherical_bessel_j0"]  # fmt: skip


def f(name, x):
    return getattr(special, name)(Tensor(np.asarray(x, dtype=float))).data


def leaf(values):
    return Tensor(np.asarray(values, dtype=float), requires_grad=True)


def bessel_j_by_quadrature(n, x, points=4096):
    """J_n(x) = (1/2pi) integral over a period of cos(n t - x sin t): the trapezoidal rule is spectrally accurate
    on a periodic analytic integrand once points >> |x|."""
    t = np.linspace(-np.pi, np.pi, points, endpoint=False)
    return np.cos(n * t - np.multiply.outer(x, np.sin(t))).mean(axis=-1)


# ------------------------------------------------------------------ J and Y
def test_j0_j1_match_their_integral_representation():
    # (the oracle's own x sin(t) rounds to ~x * 1e-16 in phase: beyond |x| ~ 50 it is the less accurate one)
    x = np.concatenate([np.linspace(-50, 50, 1001), np.geomspace(1e-4, 50, 200)])
    for n, name in [(0, "bessel_j0"), (1, "bessel_j1")]:
        np.testing.assert_allclose(f(name, x), bessel_j_by_quadrature(n, x), rtol=0, atol=1e-15)


def test_the_wronskian_j1_y0_minus_j0_y1_is_2_over_pi_x_from_1e_minus_8_to_1e5():
    x = POSITIVE
    wronskian = f("bessel_j1", x) * f("bessel_y0", x) - f("bessel_j0", x) * f("bessel_y1", x)
    np.testing.assert_allclose(wronskian * x * np.pi / 2, 1.0, rtol=2e-14)


def test_published_values_and_zeros():
    # A&S table 9.1 and DLMF 10.21 (zeros j_0,k, j_1,1, y_0,k)
    np.testing.assert_allclose(
        [f(name, 1.0) for name in ["bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1"]],
        [0.7651976865579666, 0.4400505857449335, 0.08825696421567696, -0.7812128213002887],
        rtol=1e-15,
    )
    assert (
        np.abs(f("bessel_j0", [2.404825557695773, 5.520078110286311, 8.653727912911013, 30.634606468431975])).max()
        < 1e-15
    )
    assert np.abs(f("bessel_j1", [3.8317059702075125, 7.015586669815619])).max() < 1e-15
    assert np.abs(f("bessel_y0", [0.8935769662791675, 3.957678419314858])).max() < 1e-15


def test_small_arguments_follow_the_leading_terms():
    x = np.array([1e-300, 1e-100, 1e-12, 9.99e-4, 1.001e-3])
    gamma = 0.5772156649015329
    s = x * x / 4  # the series' variable; its next terms are below 1e-18 relative here
    j0 = 1 - s + s * s / 4
    np.testing.assert_allclose(f("bessel_j0", x), j0, rtol=1e-15)
    np.testing.assert_allclose(f("bessel_j1", x), x / 2 * (1 - s / 2 + s * s / 12), rtol=1e-15)
    y0 = 2 / np.pi * ((np.log(x / 2) + gamma) * j0 + s - 3 / 8 * s * s)
    np.testing.assert_allclose(f("bessel_y0", x), y0, rtol=1e-14)
    np.testing.assert_allclose(f("bessel_y1", x[:3]), -2 / (np.pi * x[:3]), rtol=1e-15)


def test_hankel_range_joins_miller_range_at_25():
    below, above = np.nextafter(25.0, 0.0), 25.0
    for name in ["bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1"]:
        assert f(name, below) == pytest.approx(f(name, above), rel=1e-14, abs=1e-16)


def test_edges_parity_zero_infinity_nan_and_the_second_kinds_domain():
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -3.0])
    assert f("bessel_j0", x)[:4].tolist() == [1.0, 1.0, 0.0, 0.0]
    assert f("bessel_j1", x)[:4].tolist() == [0.0, 0.0, 0.0, 0.0]
    assert np.isnan(f("bessel_j0", x)[4]) and np.isnan(f("bessel_j1", x)[4])
    assert f("bessel_j0", -3.0) == f("bessel_j0", 3.0) and f("bessel_j1", -3.0) == -f("bessel_j1", 3.0)
    for name in ["bessel_y0", "bessel_y1"]:
        out = f(name, x)
        assert out[:3].tolist() == [-np.inf, -np.inf, 0.0] and np.isnan(out[3:]).all()


def test_derivatives_close_on_the_family_and_satisfy_bessels_equation():
    x = leaf(np.linspace(0.05, 60, 40))
    for name, other, sign in [("bessel_j0", "bessel_j1", -1), ("bessel_y0", "bessel_y1", -1)]:
        (grad,) = ag.grad(getattr(special, name)(x).sum(), x)
        np.testing.assert_allclose(grad.data, sign * f(other, x.data), rtol=1e-14, atol=1e-16)
    for name in ["bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1"]:  # x^2 y'' + x y' + (x^2 - nu^2) y = 0
        nu = 1.0 if name.endswith("1") else 0.0
        y = getattr(special, name)(x)
        (first,) = ag.grad(y.sum(), x, create_graph=True)
        (second,) = ag.grad(first.sum(), x)
        xs = x.data
        residual = xs * xs * second.data + xs * first.data + (xs * xs - nu * nu) * y.data
        assert np.abs(residual).max() < 1e-11 * max(1.0, np.abs(xs * xs * y.data).max())


def test_j1_gradient_at_zero_is_one_half_and_gradchecks_across_the_switches():
    x = leaf([0.0])
    special.bessel_j1(x).backward()
    assert x.grad.tolist() == [0.5]
    for name in ["bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1"]:
        xs = leaf([9.9e-4, 1.1e-3, 2.0, 24.9, 25.1, 80.0])
        assert ag.gradcheck(getattr(special, name), [xs], eps=1e-7, atol=1e-7, rtol=1e-6)
        assert ag.gradgradcheck(getattr(special, name), [leaf([0.5, 3.0, 30.0])])


# ------------------------------------------------------------------ K
def test_k0_k1_satisfy_the_wronskian_with_i0_i1():
    x = np.geomspace(1e-6, 700, 500)
    i0, i1 = f("modified_bessel_i0", x), f("modified_bessel_i1", x)
    wronskian = i0 * f("modified_bessel_k1", x) + i1 * f("modified_bessel_k0", x)
    np.testing.assert_allclose(wronskian * x, 1.0, rtol=1e-14)


def test_k_values_scaling_and_large_x_asymptotics():
    np.testing.assert_allclose(
        [f("modified_bessel_k0", 1.0), f("modified_bessel_k1", 1.0), f("modified_bessel_k0", 0.1)],
        [0.42102443824070834, 0.6019072301972346, 2.427069024702017],
        rtol=1e-15,
    )
    x = np.geomspace(1e-3, 700, 200)
    for name in ["k0", "k1"]:
        scaled, plain = f(f"scaled_modified_bessel_{name}", x), f(f"modified_bessel_{name}", x)
        np.testing.assert_allclose(scaled, np.exp(x) * plain, rtol=2e-15)
    big = np.array([1e3, 1e6, 1e12, 1e300])
    for name, mu in [("scaled_modified_bessel_k0", 0.0), ("scaled_modified_bessel_k1", 4.0)]:
        r = 1 / (8 * big)  # e^x K_nu(x) sqrt(2x/pi) = sum_k (mu - 1)(mu - 9)...(mu - (2k-1)^2) r^k / k!
        term, series = np.ones_like(big), np.ones_like(big)
        for k in range(1, 12):
            term = term * (mu - (2 * k - 1) ** 2) * r / k
            series = series + term
        np.testing.assert_allclose(f(name, big) * np.sqrt(2 * big / np.pi), series, rtol=1e-15)


def test_k_edges():
    x = np.array([0.0, -1.0, np.inf, np.nan, 800.0])
    for name in ["modified_bessel_k0", "modified_bessel_k1"]:
        out = f(name, x)
        assert out[0] == np.inf and np.isnan(out[1]) and out[2] == 0.0 and np.isnan(out[3]) and out[4] == 0.0
    for name in ["scaled_modified_bessel_k0", "scaled_modified_bessel_k1"]:
        out = f(name, x)
        assert out[0] == np.inf and np.isnan(out[1]) and out[2] == 0.0 and np.isnan(out[3]) and 0 < out[4] < 0.05


def test_k_derivatives_and_second_derivatives():
    x = leaf([0.2, 0.9, 1.1, 5.0, 40.0])
    (grad,) = ag.grad(special.modified_bessel_k0(x).sum(), x)
    np.testing.assert_allclose(grad.data, -f("modified_bessel_k1", x.data), rtol=1e-15)
    for name in ["modified_bessel_k0", "modified_bessel_k1", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1"]:
        assert ag.gradcheck(getattr(special, name), [x], eps=1e-7, atol=1e-8, rtol=1e-6)
        assert ag.gradgradcheck(getattr(special, name), [x])


# ------------------------------------------------------------------ Airy
def airy_zero(k):
    """The k-th zero of Ai by its asymptotic expansion (DLMF 9.9.6, 9.9.18): good to ~1e-15 for k >= 20."""
    t = 3 * np.pi * (4 * k - 1) / 8
    return -(t ** (2 / 3)) * (1 + 5 / 48 * t**-2 - 5 / 36 * t**-4 + 77125 / 82944 * t**-6 - 108056875 / 6967296 * t**-8)


def test_airy_at_zero_its_published_zeros_and_the_zeros_asymptotic_expansion():
    assert f("airy_ai", 0.0) == pytest.approx(0.3550280538878172, rel=1e-15)
    assert Tensor.apply(AiryAiPrime, Tensor(0.0)).item() == pytest.approx(-0.2588194037928068, rel=1e-15)
    zeros = [-2.338107410459767, -4.087949444130971, -5.520559828095552, -6.786708090071759, -12.828776752865757]
    assert np.abs(f("airy_ai", zeros)).max() < 2e-15
    assert Tensor.apply(AiryAiPrime, Tensor(zeros[0])).item() == pytest.approx(0.7012108227206913, rel=1e-14)
    far = airy_zero(np.concatenate([np.arange(20, 400), np.geomspace(400, 1e7, 300).round()]))  # |x| 20 to 1.3e5
    # the formula, evaluated in doubles, places the zeros within ~6 ulp (mpmath): Ai there is below |Ai'| that far
    slope = np.abs(far) ** 0.25 / np.sqrt(np.pi)
    assert (np.abs(f("airy_ai", far)) < 1e-15 + 10 * np.spacing(np.abs(far)) * slope).all()


def test_airy_right_tail_follows_its_asymptotic_series_and_underflows():
    x = np.array([12.0, 20.0, 50.0, 100.0])
    zeta = 2 / 3 * x**1.5
    u, total = 1.0, np.ones_like(x)
    for k in range(1, 12):  # DLMF 9.7.5: Ai(x) ~ e^-zeta / (2 sqrt(pi) x^(1/4)) sum (-1)^k u_k / zeta^k
        u *= (6 * k - 5) * (6 * k - 3) * (6 * k - 1) / (216 * k * (2 * k - 1))
        total += (-1) ** k * u / zeta**k
    expected = np.exp(-zeta) / (2 * np.sqrt(np.pi) * x**0.25) * total
    assert (np.abs(f("airy_ai", x) / expected - 1) < 1e-15 + 3e-16 * zeta).all()  # e^-zeta magnifies zeta's rounding
    assert f("airy_ai", [110.0, np.inf, -np.inf]).tolist() == [0.0, 0.0, 0.0]
    assert np.isnan(f("airy_ai", np.nan))


def test_airy_is_continuous_where_its_methods_meet():
    for edge in [-10.0, 1.5]:
        below, above = f("airy_ai", [np.nextafter(edge, -np.inf), np.nextafter(edge, np.inf)])
        assert below == pytest.approx(above, rel=1e-14)


def test_airy_derivatives_solve_airys_equation_to_any_order():
    x = leaf(np.linspace(-30, 8, 50))
    (first,) = ag.grad(special.airy_ai(x).sum(), x, create_graph=True)
    np.testing.assert_allclose(first.data, Tensor.apply(AiryAiPrime, x.detach()).data)
    (second,) = ag.grad(first.sum(), x)
    np.testing.assert_allclose(second.data, x.data * f("airy_ai", x.data), rtol=1e-15, atol=1e-300)
    assert ag.gradcheck(special.airy_ai, [leaf([-20.0, -10.1, -9.9, -3.3, 0.2, 1.4, 1.6, 6.0])], eps=1e-7)
    assert ag.gradgradcheck(special.airy_ai, [leaf([-11.0, -2.0, 2.0])])


# ------------------------------------------------------------------ spherical j0
def test_spherical_j0_is_sinc_with_accurate_gradients_near_zero():
    x = np.array([0.0, 1e-8, 0.3, -2.0, 50.0, np.inf])
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = np.where(x == 0, 1.0, np.sin(x) / x)
    expected[-1] = 0.0
    np.testing.assert_allclose(f("spherical_bessel_j0", x), expected, rtol=1e-15)
    small = leaf([1e-8, -1e-5, 0.0])
    (grad,) = ag.grad(special.spherical_bessel_j0(small).sum(), small, create_graph=True)
    np.testing.assert_allclose(grad.data, -small.data / 3, rtol=1e-9)  # -j1(x) ~ -x/3: no cancellation
    (second,) = ag.grad(grad.sum(), small)
    np.testing.assert_allclose(second.data, -1 / 3, rtol=1e-9)
    moderate = leaf([0.9, 1.1, 4.0, -7.0])
    (grad,) = ag.grad(special.spherical_bessel_j0(moderate).sum(), moderate)
    xs = moderate.data
    np.testing.assert_allclose(grad.data, (xs * np.cos(xs) - np.sin(xs)) / xs**2, rtol=1e-14)


# ------------------------------------------------------------------ dtypes and inputs
@pytest.mark.parametrize("name", UNARY)
def test_float32_stays_float32_and_integers_become_float64(name):
    x = np.array([0.5, 1.0, 3.0, 12.0])  # (Ai(30) ~ 3e-49 is 0 in float32)
    out32 = getattr(special, name)(Tensor(x.astype(np.float32)))
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32.data, f(name, x), rtol=2e-7)
    out = getattr(special, name)(Tensor(np.array([1, 2, 3])))
    assert out.dtype == np.float64 and np.array_equal(out.data, f(name, [1.0, 2.0, 3.0]))
    assert getattr(special, name)(2.0).shape == ()  # a number, as torch's overloads


def test_modified_bessel_i0_i1_are_i0_i1():
    x = np.linspace(-20, 20, 41)
    assert np.array_equal(f("modified_bessel_i0", x), ag.special.i0(Tensor(x)).data)
    assert np.array_equal(f("modified_bessel_i1", x), ag.special.i1(Tensor(x)).data)
