"""torch.special's orthogonal polynomials, gammainc, gammaincc, zeta and round: values against closed forms and
numpy.polynomial's own evaluators, torch's conventions (n truncated, p_n = 0 for n < 0, broadcasting n), the
derivatives (d/dx true, d/dn and gammainc's d/da and zeta's d/dx raising, as torch) and the error messages."""

import math

import numpy as np
import pytest
from numpy.polynomial import chebyshev, hermite, hermite_e, laguerre, legendre

import autograd_core as ag
from autograd_core import Tensor, special

POLYNOMIALS = ["chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w",
               "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
               "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he",
               "laguerre_polynomial_l", "legendre_polynomial_p"]  # fmt: skip
NEW_NAMES = [*POLYNOMIALS, "airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_i0",
             "modified_bessel_i1", "modified_bessel_k0", "modified_bessel_k1", "scaled_modified_bessel_k0",
             "scaled_modified_bessel_k1", "spherical_bessel_j0", "gammainc", "gammaincc", "zeta", "round"]  # fmt: skip


def leaf(values):
    return Tensor(np.asarray(values, dtype=float), requires_grad=True)


def p(name, x, n):
    return getattr(special, name)(Tensor(np.asarray(x, dtype=float)), n).data


def test_every_torch_special_function_is_in_the_namespace():
    assert set(NEW_NAMES) <= set(special.__all__)
    assert all(callable(getattr(special, name)) for name in NEW_NAMES)
    assert special.round is ag.round


# ------------------------------------------------------------------ the polynomials
def test_chebyshev_polynomials_are_their_trigonometric_closed_forms():
    theta = np.linspace(0.05, 3.1, 60)
    x = np.cos(theta)
    for n in [0, 1, 2, 5, 17, 40]:
        np.testing.assert_allclose(p("chebyshev_polynomial_t", x, n), np.cos(n * theta), atol=1e-13)
        np.testing.assert_allclose(
            p("chebyshev_polynomial_u", x, n), np.sin((n + 1) * theta) / np.sin(theta), atol=1e-12
        )
        v = np.cos((n + 0.5) * theta) / np.cos(theta / 2)
        w = np.sin((n + 0.5) * theta) / np.sin(theta / 2)
        np.testing.assert_allclose(p("chebyshev_polynomial_v", x, n), v, atol=1e-12)
        np.testing.assert_allclose(p("chebyshev_polynomial_w", x, n), w, atol=1e-12)
        for kind in "tuvw":  # the shifted ones are the same at (x + 1) / 2
            shifted = p(f"shifted_chebyshev_polynomial_{kind}", (x + 1) / 2, n)
            np.testing.assert_allclose(shifted, p(f"chebyshev_polynomial_{kind}", x, n), atol=1e-12)


@pytest.mark.parametrize(
    ("name", "evaluate"),
    [
        ("chebyshev_polynomial_t", chebyshev.chebval),
        ("hermite_polynomial_h", hermite.hermval),
        ("hermite_polynomial_he", hermite_e.hermeval),
        ("laguerre_polynomial_l", laguerre.lagval),
        ("legendre_polynomial_p", legendre.legval),
    ],
)
def test_polynomials_match_numpy_polynomials_evaluators(name, evaluate):
    x = np.linspace(-3, 3, 61)
    for n in range(12):
        expected = evaluate(x, np.eye(n + 1)[n])
        np.testing.assert_allclose(p(name, x, n), expected, rtol=1e-12, atol=1e-12 * np.abs(expected).max())


def test_n_broadcasts_is_truncated_and_negative_n_gives_zero_as_torch():
    out = special.legendre_polynomial_p(Tensor([[0.5], [2.0]]), Tensor([0.0, 1.0, 2.0, 2.9, -1.0, -0.5]))
    assert out.shape == (2, 6)
    assert out.data[0].tolist() == [1.0, 0.5, -0.125, -0.125, 0.0, 1.0]  # 2.9 -> 2, -0.5 -> 0
    assert p("hermite_polynomial_h", 2.0, np.array([np.nan, np.inf, -np.inf])).tolist() == [0.0] * 3  # as torch
    assert p("chebyshev_polynomial_t", [-1.0, 1.0, np.nan], 0).tolist() == [1.0, 1.0, 1.0]  # p_0 = 1, even at NaN


def test_values_at_plus_minus_one_are_exact():
    n = np.arange(0, 30)
    assert np.array_equal(p("chebyshev_polynomial_t", -1.0, n), (-1.0) ** n)
    assert np.array_equal(p("chebyshev_polynomial_u", -1.0, n), (-1.0) ** n * (n + 1))
    assert np.array_equal(p("chebyshev_polynomial_v", -1.0, n), (-1.0) ** n * (2 * n + 1))
    assert np.array_equal(p("chebyshev_polynomial_w", 1.0, n), 2 * n + 1.0)
    assert np.array_equal(p("legendre_polynomial_p", -1.0, n), (-1.0) ** n)
    assert np.array_equal(p("laguerre_polynomial_l", 0.0, n), np.ones(30))


def test_x_derivatives_are_the_known_ones_to_any_order():
    x = leaf(np.linspace(-0.95, 0.95, 21))
    for n in [1, 4, 9]:
        (grad,) = ag.grad(special.chebyshev_polynomial_t(x, n).sum(), x)  # T_n' = n U_(n-1)
        np.testing.assert_allclose(grad.data, n * p("chebyshev_polynomial_u", x.data, n - 1), rtol=1e-13, atol=1e-13)
        (grad,) = ag.grad(special.hermite_polynomial_h(x, n).sum(), x)  # H_n' = 2n H_(n-1)
        np.testing.assert_allclose(grad.data, 2 * n * p("hermite_polynomial_h", x.data, n - 1), rtol=1e-13, atol=1e-12)
        y = special.legendre_polynomial_p(x, n)  # (1 - x^2) P'' - 2x P' + n(n+1) P = 0
        (first,) = ag.grad(y.sum(), x, create_graph=True)
        (second,) = ag.grad(first.sum(), x)
        xs = x.data
        residual = (1 - xs * xs) * second.data - 2 * xs * first.data + n * (n + 1) * y.data
        assert np.abs(residual).max() < 1e-11
    for name in POLYNOMIALS:
        points = leaf([0.3, 0.8, 1.7] if name.startswith("shifted") else [-1.3, 0.2, 0.9])
        assert ag.gradcheck(lambda t, name=name: getattr(special, name)(t, 6), [points])
        assert ag.gradgradcheck(lambda t, name=name: getattr(special, name)(t, 5), [points])


def test_derivative_in_n_raises_naming_the_function_and_argument():
    x, n = leaf([0.5]), leaf([3.0])
    out = special.laguerre_polynomial_l(x, n)
    with pytest.raises(NotImplementedError, match=r"laguerre_polynomial_l: the derivative with respect to n"):
        out.backward()


def test_polynomial_dtypes_and_bad_inputs():
    x32 = Tensor(np.array([0.25, 0.5], dtype=np.float32))
    assert special.legendre_polynomial_p(x32, 3).dtype == np.float32
    assert special.legendre_polynomial_p(x32, Tensor(np.array([3]))).dtype == np.float32  # integer n keeps x's
    assert special.legendre_polynomial_p(x32, 3.0).dtype == np.float32  # a number takes x's dtype
    assert special.legendre_polynomial_p(Tensor(np.array([1, 2])), 2).dtype == np.float64
    assert special.hermite_polynomial_h(Tensor(np.array([True])), 2).tolist() == [2.0]  # bool: 1.0, as torch
    with pytest.raises(ValueError, match=r"hermite_polynomial_h: the shapes \(2,\) and \(3,\) do not broadcast"):
        special.hermite_polynomial_h(Tensor([1.0, 2.0]), Tensor([1.0, 2.0, 3.0]))


# ------------------------------------------------------------------ incomplete gamma
def test_gammainc_closed_forms():
    x = np.geomspace(1e-6, 300, 200)
    np.testing.assert_allclose(special.gammainc(1.0, Tensor(x)).data, -np.expm1(-x), rtol=1e-14)
    np.testing.assert_allclose(special.gammaincc(1.0, Tensor(x)).data, np.exp(-x), rtol=1e-13)
    np.testing.assert_allclose(special.gammainc(0.5, Tensor(x)).data, ag.erf(Tensor(np.sqrt(x))).data, rtol=1e-14)
    for n in [2, 5, 30]:  # Q(n, x) = e^-x sum_{k < n} x^k / k!
        q = np.exp(-x) * sum(x**k / math.factorial(k) for k in range(n))
        np.testing.assert_allclose(special.gammaincc(float(n), Tensor(x)).data, q, rtol=1e-12, atol=1e-300)


def test_gammainc_and_gammaincc_sum_to_one_also_for_large_a():
    a = np.array([1e-3, 0.7, 12.0, 150.0, 1e4, 1e4, 1e5])
    x = np.array([1e-3, 3.0, 11.0, 170.0, 1e4, 1.01e4, 1e5 - 300])
    total = special.gammainc(Tensor(a), Tensor(x)).data + special.gammaincc(Tensor(a), Tensor(x)).data
    np.testing.assert_allclose(total, 1.0, rtol=1e-13)
    # near x = a the lower tail is about 1/2 + 1/(3 sqrt(2 pi a)) (the gamma's median is a - 1/3)
    assert special.gammainc(1e4, Tensor(1e4)).item() == pytest.approx(
        0.5 + 1 / (3 * math.sqrt(2 * math.pi * 1e4)), rel=1e-5
    )


def test_gammainc_for_huge_a_far_in_its_tail():
    # 7.3699310668969939e-24: x^a e^-x / Gamma(a + 1) times its series, in mpmath at 40 digits (torch's and
    # scipy's Temme expansions give 6.41e-24 here); the Wilson-Hilferty approximation Phi(-10.003) agrees to ~1%
    assert special.gammainc(1e8, Tensor(0.999e8)).item() == pytest.approx(7.3699310668969939e-24, rel=1e-10)


def test_gammainc_refuses_two_integer_tensors_as_torch():
    integers = Tensor(np.array([1, 2]))
    for name in ["gammainc", "gammaincc"]:
        with pytest.raises(TypeError, match=rf"{name}: a and x are both int64/int64 tensors .* make one of them float"):
            getattr(special, name)(integers, integers)
        assert getattr(special, name)(integers, Tensor([1.0, 2.0])).dtype == np.float64  # one float is enough


def test_gammainc_and_zeta_broadcast_their_operands_and_name_a_mismatch():
    assert special.gammainc(Tensor([[1.0], [2.0]]), Tensor([0.5, 1.0, 3.0])).shape == (2, 3)
    assert special.zeta(Tensor([2.0, 3.0]), 1.0).shape == (2,)
    with pytest.raises(ValueError, match=r"zeta: the shapes \(2,\) and \(3,\) do not broadcast"):
        special.zeta(Tensor([2.0, 3.0]), Tensor([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match=r"gammaincc: the shapes \(3,\) and \(2,\) do not broadcast"):
        special.gammaincc(Tensor([2.0, 3.0, 4.0]), Tensor([1.0, 2.0]))


def test_gammainc_edges_as_torch():
    a = Tensor([0.0, 0.0, 1.0, -1.0, 1.0, np.inf, np.inf, 2.0, np.nan])
    x = Tensor([1.0, 0.0, 0.0, 1.0, -1.0, 1.0, np.inf, np.inf, 1.0])
    lower, upper = special.gammainc(a, x).data, special.gammaincc(a, x).data
    np.testing.assert_array_equal(lower, [1.0, np.nan, 0.0, np.nan, np.nan, 0.0, np.nan, 1.0, np.nan])
    np.testing.assert_array_equal(upper, [0.0, np.nan, 1.0, np.nan, np.nan, 1.0, np.nan, 0.0, np.nan])


def test_gammainc_derivative_in_x_is_the_gamma_density_and_in_a_raises():
    a, x = Tensor([0.5, 1.0, 3.0, 40.0]), leaf([0.7, 0.0, 2.0, 41.0])
    (grad,) = ag.grad(special.gammainc(a, x).sum(), x)
    density = np.exp((a.data - 1) * np.log(np.where(x.data == 0, 1.0, x.data)) - x.data - ag.lgamma(a).data)
    np.testing.assert_allclose(grad.data, density, rtol=1e-13)  # 1 at a = 1, x = 0 (e^-0 / Gamma(1))
    assert ag.gradcheck(lambda t: special.gammaincc(Tensor([0.5, 2.0, 7.0]), t), [leaf([0.3, 4.0, 6.5])])
    assert ag.gradgradcheck(lambda t: special.gammainc(2.5, t), [leaf([0.5, 3.0, 8.0])])
    for name in ["gammainc", "gammaincc"]:
        out = getattr(special, name)(leaf([2.0]), Tensor([1.0]))
        with pytest.raises(NotImplementedError, match=rf"{name}: the derivative with respect to a \(the first"):
            out.backward()


# ------------------------------------------------------------------ zeta
def test_zeta_closed_forms_recurrence_and_polygamma():
    assert special.zeta(Tensor([2.0, 4.0, 2.0]), Tensor([1.0, 1.0, 0.5])).data == pytest.approx(
        [math.pi**2 / 6, math.pi**4 / 90, math.pi**2 / 2], rel=1e-15
    )
    s, q = np.array([1.001, 1.5, 3.0, 7.5, 60.0, 400.0]), np.array([0.01, 0.5, 2.0, 13.0, 1.1, 1.0])
    difference = special.zeta(Tensor(s), Tensor(q)).data - special.zeta(Tensor(s), Tensor(q + 1)).data
    np.testing.assert_allclose(difference, q**-s, rtol=1e-12)
    x = np.geomspace(0.01, 100, 30)  # zeta(n + 1, x) = (-1)^(n+1) psi^(n)(x) / n!
    for n in [1, 3]:
        expected = (-1) ** (n + 1) * ag.polygamma(n, Tensor(x)).data / math.factorial(n)
        np.testing.assert_allclose(special.zeta(float(n + 1), Tensor(x)).data, expected, rtol=1e-14)


def test_zeta_edges_as_torch():
    out = special.zeta(Tensor([1.0, 0.5, 2.0, 2.0, 2.5, 2.0, np.nan]), Tensor([2.0, 2.0, 0.0, -2.0, -1.5, -1.5, 1.0]))
    assert out.data[[0, 2, 3]].tolist() == [np.inf] * 3 and np.isnan(out.data[[1, 4, 6]]).all()
    # a negative q with whole x: the same sum, its first terms (q + j)^-x included
    assert out.data[5] == pytest.approx(math.pi**2 / 2 + 1 / 1.5**2 + 1 / 0.5**2, rel=1e-14)


def test_zeta_derivative_in_q_and_the_error_in_x():
    q = leaf([0.3, 1.0, 5.0])
    (grad,) = ag.grad(special.zeta(3.0, q).sum(), q)
    np.testing.assert_allclose(grad.data, -3 * special.zeta(4.0, Tensor(q.data)).data, rtol=1e-15)
    assert ag.gradgradcheck(lambda t: special.zeta(2.5, t), [q])
    with pytest.raises(NotImplementedError, match=r"zeta: the derivative with respect to x \(the first argument\)"):
        special.zeta(leaf([2.0]), 1.0).backward()
