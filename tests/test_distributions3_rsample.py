"""Gamma, Chi2, Beta, Dirichlet, StudentT, InverseGamma and FisherSnedecor ``rsample`` (the implicit
reparameterisation) and Gamma/Chi2/StudentT ``cdf``, without torch: the incomplete gamma and beta functions
against closed forms and an independent quadrature, each draw's dx/da against the finite difference of that
quadrature, Monte-Carlo gradients of E[f(x)] against the gradients of its closed form, cdfs against closed forms
and their gradients against finite differences. torch's numbers are in test_distributions3_torch.py."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import distributions as D
from autograd_core.distributions.incomplete import betainc_and_grad, gammainc_and_grad, standard_gamma_grad

NODES, WEIGHTS = np.polynomial.legendre.leggauss(100)


def gammainc_by_quadrature(a: float, x: float, singular: bool | None = None) -> float:
    """P(a, x) by composite Gauss-Legendre (16 panels of 100 nodes): for a >= 1 of t^(a-1) e^-t / Gamma(a) on
    [0, x]; for a < 1, where that integrand is singular at 0, of exp(-x s^(1/a)) on [0, 1] after t = x s^(1/a)
    (times x^a / Gamma(a + 1)). ``singular`` picks the form (a finite difference keeps one across a = 1)."""
    edges = np.linspace(0.0, 1.0, 17)
    s = ((edges[:-1, None] + edges[1:, None]) + (edges[1:, None] - edges[:-1, None]) * NODES) / 2
    w = (edges[1:, None] - edges[:-1, None]) / 2 * WEIGHTS
    if a < 1 if singular is None else singular:
        integral = np.sum(w * np.exp(-x * s ** (1 / a)))
        return float(np.exp(a * np.log(x) - math.lgamma(a + 1)) * integral)
    t = x * s
    return float(x * np.sum(w * np.exp((a - 1) * np.log(t) - t - math.lgamma(a))))


def test_incomplete_gamma_meets_its_closed_forms() -> None:
    x = np.array([0.1, 0.9, 2.0, 7.5, 30.0])
    p1, _ = gammainc_and_grad(np.ones(5), x)
    np.testing.assert_allclose(p1, -np.expm1(-x), rtol=1e-14)  # P(1, x) = 1 - e^-x
    p3, _ = gammainc_and_grad(np.full(5, 3.0), x)
    np.testing.assert_allclose(p3, 1 - np.exp(-x) * (1 + x + x**2 / 2), rtol=1e-13, atol=1e-16)
    half, _ = gammainc_and_grad(np.full(5, 0.5), x)
    np.testing.assert_allclose(half, [math.erf(math.sqrt(v)) for v in x], rtol=1e-14)
    zero, dzero = gammainc_and_grad(np.array([2.0, 2.0]), np.array([0.0, np.inf]))
    assert zero.tolist() == [0.0, 1.0] and dzero.tolist() == [0.0, 0.0]


@pytest.mark.parametrize("a", [0.05, 0.7, 1.0, 2.5, 12.0, 150.0])
def test_incomplete_gamma_derivative_in_a_equals_quadratures_finite_difference(a: float) -> None:
    for x in (0.3 * a, a, 1.1 * a + 0.5, 2.5 * a + 2):
        p, dp = gammainc_and_grad(np.array(a), np.array(x))
        assert float(p) == pytest.approx(gammainc_by_quadrature(a, x), rel=1e-11)
        h = 1e-4 * a
        fd = (gammainc_by_quadrature(a + h, x, a <= 1) - gammainc_by_quadrature(a - h, x, a <= 1)) / (2 * h)
        assert float(dp) == pytest.approx(fd, rel=1e-6, abs=1e-10)


def test_incomplete_beta_meets_its_closed_forms_and_finite_differences() -> None:
    x = np.array([0.05, 0.3, 0.6, 0.97])
    i, _, db = betainc_and_grad(np.ones(4), np.full(4, 3.0), x)
    np.testing.assert_allclose(i, 1 - (1 - x) ** 3, rtol=1e-13)  # I_x(1, b) = 1 - (1-x)^b
    np.testing.assert_allclose(db, -((1 - x) ** 3) * np.log1p(-x), rtol=1e-11)
    i, da, _ = betainc_and_grad(np.full(4, 2.5), np.ones(4), x)
    np.testing.assert_allclose(i, x**2.5, rtol=1e-13)  # I_x(a, 1) = x^a
    np.testing.assert_allclose(da, x**2.5 * np.log(x), rtol=1e-11)
    # a symmetric case both branches of the fraction meet: I_½(a, a) = ½
    half, _, _ = betainc_and_grad(np.array([0.3, 4.0, 50.0]), np.array([0.3, 4.0, 50.0]), np.full(3, 0.5))
    np.testing.assert_allclose(half, 0.5, rtol=1e-13)


@pytest.mark.parametrize("a", [0.1, 1.0, 3.0, 40.0])
def test_each_gamma_draws_gradient_keeps_its_cdf_fixed(a: float) -> None:
    """dx/da = -(dP/da) / p(x; a): the quadrature's finite difference in a over the density at the draw."""
    alpha = ag.Tensor(np.full(6, a), requires_grad=True)
    x = D.Gamma(alpha, 1.0).rsample(generator=ag.Generator(3))
    x.sum().backward()
    for xi, gi in zip(x.detach().numpy(), np.asarray(alpha.grad), strict=True):
        h = 1e-4 * a
        dp = (gammainc_by_quadrature(a + h, xi, a <= 1) - gammainc_by_quadrature(a - h, xi, a <= 1)) / (2 * h)
        density = math.exp((a - 1) * math.log(xi) - xi - math.lgamma(a))
        assert gi == pytest.approx(-dp / density, rel=1e-5)


def test_a_tiny_draw_has_a_finite_gradient() -> None:
    """a = 0.01 draws reach 1e-100 and below, where the pdf overflows: the slope is formed without it."""
    a = np.full(4, 0.01)
    x = np.array([1e-300, 1e-120, 1e-30, 0.5])
    grad = standard_gamma_grad(a, x)
    assert np.isfinite(grad).all()
    # for x -> 0, P ~ x^a / Gamma(a + 1), so dx/da -> -(x / a) (log x - digamma(a + 1))
    psi = float(ag.digamma(ag.Tensor(1.01)).item())
    np.testing.assert_allclose(grad[:2], -(x[:2] / a[:2]) * (np.log(x[:2]) - psi), rtol=1e-6)


N = 40_000


def _mc_gradient(loss: ag.Tensor, leaf: ag.Tensor) -> np.ndarray:
    loss.backward()
    return np.asarray(leaf.grad)


@pytest.mark.parametrize(
    ("name", "make", "moment", "exact_grad"),
    [
        # name, distribution of leaf, f(x) whose mean is differentiated, d E[f] / d leaf in closed form
        ("Gamma", lambda t: D.Gamma(t, 2.0), lambda x: x**2, lambda v: (2 * v + 1) / 4),  # E x² = a(a+1)/b²
        ("Gamma-rate", lambda t: D.Gamma(2.5, t), lambda x: x, lambda v: -2.5 / v**2),
        ("Chi2", lambda t: D.Chi2(t), lambda x: x**2, lambda v: 2 * v + 2),  # E x² = df² + 2 df
        ("Beta", lambda t: D.Beta(t, 3.0), lambda x: x, lambda v: 3.0 / (v + 3) ** 2),
        ("StudentT", lambda t: D.StudentT(t, 0.5, 2.0), lambda x: (x - 0.5) ** 2, lambda v: -8.0 / (v - 2) ** 2),
        ("InverseGamma", lambda t: D.InverseGamma(t, 2.0), lambda x: x, lambda v: -2.0 / (v - 1) ** 2),
        ("FisherSnedecor", lambda t: D.FisherSnedecor(3.0, t), lambda x: x, lambda v: -2.0 / (v - 2) ** 2),
    ],
)
def test_rsample_gradient_of_an_expectation_matches_its_closed_form(name, make, moment, exact_grad) -> None:
    value = {"Gamma": 1.7, "Gamma-rate": 1.5, "Chi2": 3.0, "Beta": 2.0, "StudentT": 9.0, "InverseGamma": 6.0,
             "FisherSnedecor": 14.0}[name]  # fmt: skip
    leaf = ag.Tensor(value, requires_grad=True)
    x = make(leaf).rsample((N,), generator=ag.Generator(11))
    per_draw = moment(x)
    grad = _mc_gradient(per_draw.mean(), leaf)
    # the standard error of the estimate, from the per-draw gradients of a second batch
    draws = []
    for seed in range(4):
        leaf2 = ag.Tensor(value, requires_grad=True)
        draws.append(
            _mc_gradient(moment(make(leaf2).rsample((N // 4,), generator=ag.Generator(100 + seed))).mean(), leaf2)
        )
    spread = float(np.std(draws)) / 2  # four quarter-size estimates: the full one's SE is their sd / 2
    assert float(grad) == pytest.approx(exact_grad(value), abs=5 * spread + 1e-12)


def test_dirichlet_rsample_gradient_matches_the_mean_formula() -> None:
    """E[x_0] = c_0 / sum c: d/dc = (sum c - c_0, -c_0, -c_0) / (sum c)²."""
    c = ag.Tensor([1.5, 2.0, 0.5], requires_grad=True)
    x = D.Dirichlet(c).rsample((N,), generator=ag.Generator(5))
    x[:, 0].mean().backward()
    total = 4.0
    exact = np.array([total - 1.5, -1.5, -1.5]) / total**2
    np.testing.assert_allclose(np.asarray(c.grad), exact, atol=4e-3)
    assert np.allclose(x.detach().numpy().sum(-1), 1.0)


@pytest.mark.parametrize("cls", ["Gamma", "Beta", "Dirichlet", "StudentT", "Chi2"])
def test_sample_moments_match_the_distribution(cls: str) -> None:
    d = {
        "Gamma": D.Gamma(2.0, 3.0),
        "Beta": D.Beta(0.7, 1.8),
        "Dirichlet": D.Dirichlet(ag.Tensor([0.4, 1.0, 2.5])),
        "StudentT": D.StudentT(7.0, -1.0, 0.5),
        "Chi2": D.Chi2(0.6),
    }[cls]
    s = d.sample((N,), generator=ag.Generator(9)).numpy()
    mean, var = d.mean.numpy(), d.variance.numpy()
    se = np.sqrt(var / N)
    assert np.all(np.abs(s.mean(0) - mean) < 5 * se)
    assert d.has_rsample and not d.sample((2,)).requires_grad


def test_gamma_and_chi2_cdf_closed_forms_and_gradients() -> None:
    x = np.array([0.1, 1.0, 4.0, 11.0])
    np.testing.assert_allclose(D.Chi2(2.0).cdf(ag.Tensor(x)).numpy(), -np.expm1(-x / 2), rtol=1e-14)
    np.testing.assert_allclose(D.Gamma(1.0, 3.0).cdf(ag.Tensor(x)).numpy(), -np.expm1(-3 * x), rtol=1e-14)
    a, b, v = (
        ag.Tensor(2.3, requires_grad=True),
        ag.Tensor(0.7, requires_grad=True),
        ag.Tensor(2.9, requires_grad=True),
    )
    D.Gamma(a, b).cdf(v).backward()
    h = 1e-6

    def cdf(aa: float, bb: float, vv: float) -> float:
        return D.Gamma(aa, bb).cdf(vv).item()

    fd = [(cdf(2.3 + h, 0.7, 2.9) - cdf(2.3 - h, 0.7, 2.9)) / (2 * h),
          (cdf(2.3, 0.7 + h, 2.9) - cdf(2.3, 0.7 - h, 2.9)) / (2 * h),
          (cdf(2.3, 0.7, 2.9 + h) - cdf(2.3, 0.7, 2.9 - h)) / (2 * h)]  # fmt: skip
    np.testing.assert_allclose([a.grad.item(), b.grad.item(), v.grad.item()], fd, rtol=1e-7)
    assert v.grad.item() == pytest.approx(D.Gamma(2.3, 0.7).log_prob(2.9).exp().item(), rel=1e-12)


def test_student_t_cdf_closed_forms_and_gradients() -> None:
    t = np.array([-30.0, -1.2, 0.0, 0.4, 3.0])
    cauchy = 0.5 + np.arctan(t) / np.pi  # df = 1
    np.testing.assert_allclose(D.StudentT(1.0).cdf(ag.Tensor(t)).numpy(), cauchy, rtol=1e-13)
    two = 0.5 + t / (2 * np.sqrt(2 + t**2))  # df = 2
    np.testing.assert_allclose(D.StudentT(2.0).cdf(ag.Tensor(t)).numpy(), two, rtol=1e-13)
    for value in (-2.0, 0.0, 1.3):
        df, loc, scale = (ag.Tensor(v, requires_grad=True) for v in (3.7, 0.4, 1.6))
        D.StudentT(df, loc, scale).cdf(value).backward()
        h = 1e-6

        def cdf(a: float, b: float, c: float, value: float = value) -> float:
            return D.StudentT(a, b, c).cdf(value).item()

        fd = [(cdf(3.7 + h, 0.4, 1.6) - cdf(3.7 - h, 0.4, 1.6)) / (2 * h),
              (cdf(3.7, 0.4 + h, 1.6) - cdf(3.7, 0.4 - h, 1.6)) / (2 * h),
              (cdf(3.7, 0.4, 1.6 + h) - cdf(3.7, 0.4, 1.6 - h)) / (2 * h)]  # fmt: skip
        np.testing.assert_allclose([df.grad.item(), loc.grad.item(), scale.grad.item()], fd, rtol=1e-6, atol=1e-10)


def test_a_loop_that_runs_out_of_steps_gives_nan_not_a_partial_sum(monkeypatch: pytest.MonkeyPatch) -> None:
    # With the step cap at 30, (a, x) = (500, 500) needs more steps in each loop (P's series near x = a, I_x's
    # fraction at a = b = 300): those elements become NaN; the ones that converged keep their bits.
    from autograd_core.distributions import incomplete

    a, x = np.array([2.0, 500.0, 3.0]), np.array([1.0, 500.0, 10.0])
    ba, bb, bx = np.array([2.0, 300.0]), np.array([3.0, 300.0]), np.array([0.3, 0.5])
    before = [*gammainc_and_grad(a, x), standard_gamma_grad(a, x), *betainc_and_grad(ba, bb, bx)]
    assert all(np.isfinite(v).all() for v in before)
    monkeypatch.setattr(incomplete, "_MAX_STEPS", 30)
    after = [*gammainc_and_grad(a, x), standard_gamma_grad(a, x), *betainc_and_grad(ba, bb, bx)]
    for old, new in zip(before, after):
        assert np.isnan(new[1]) and np.array_equal(np.delete(new, 1), np.delete(old, 1))
