"""LogNormal, HalfNormal, Cauchy, Gumbel, Poisson, Binomial, Geometric, Chi2, StudentT, Dirichlet without torch:
pmfs that sum to 1 and pdfs that integrate to 1 (and to their means, variances and entropies), textbook values,
cdf(icdf(p)) = p, Monte-Carlo moments within 5 standard errors (20,000 seeded draws), rsample's gradients against
finite differences, KL(p ‖ p) = 0 and KL as a sum over the support, and validation errors. torch's numbers are in
test_distributions_more_torch.py."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import distributions as D

N = 20_000
CONTINUOUS: dict[str, tuple[Callable[[], D.Distribution], float, float]] = {
    # name: (distribution, lower, upper end of an integration grid holding all but ~1e-9 of the mass)
    "LogNormal": (lambda: D.LogNormal(0.3, 0.4), 1e-6, 40.0),
    "HalfNormal": (lambda: D.HalfNormal(1.7), 0.0, 15.0),
    "Gumbel": (lambda: D.Gumbel(0.5, 1.3), -8.0, 40.0),
    "Chi2": (lambda: D.Chi2(3.0), 1e-12, 80.0),
    "StudentT": (lambda: D.StudentT(30.0, 0.5, 1.5), -40.0, 40.0),
}
DISCRETE: dict[str, Callable[[], D.Distribution]] = {
    "Poisson": lambda: D.Poisson(3.5),
    "Binomial": lambda: D.Binomial(7, probs=0.35),
    "Binomial-logits": lambda: D.Binomial(5, logits=-0.8),
    "Geometric": lambda: D.Geometric(probs=0.3),
    "Geometric-logits": lambda: D.Geometric(logits=0.4),
    "NegativeBinomial": lambda: D.NegativeBinomial(3.5, probs=0.4),
    "NegativeBinomial-logits": lambda: D.NegativeBinomial(2.0, logits=0.5),
}


def _grid_integral(f: np.ndarray, x: np.ndarray) -> float:
    return float(np.sum((f[1:] + f[:-1]) / 2 * np.diff(x)))  # the trapezoid rule


@pytest.mark.parametrize("name", CONTINUOUS)
def test_density_integrates_to_one_and_to_the_mean_variance_entropy_and_cdf(name: str) -> None:
    make, lo, hi = CONTINUOUS[name]
    d = make()
    x = np.concatenate([np.linspace(lo, lo + 5, 200_001)[:-1], np.linspace(lo + 5, hi, 200_001)])
    log_p = d.log_prob(ag.Tensor(x)).numpy()
    p = np.exp(log_p)
    mean = _grid_integral(x * p, x)
    assert _grid_integral(p, x) == pytest.approx(1.0, abs=1e-6)
    assert mean == pytest.approx(d.mean.item(), rel=1e-6)
    assert _grid_integral((x - mean) ** 2 * p, x) == pytest.approx(d.variance.item(), rel=1e-5)
    assert _grid_integral(-log_p * p, x) == pytest.approx(d.entropy().item(), abs=1e-5)
    c = float(x[150_000])
    assert _grid_integral(p[:150_001], x[:150_001]) == pytest.approx(d.cdf(c).item(), abs=1e-6)


def test_cauchy_density_integrates_to_its_cdf_and_has_no_mean() -> None:
    d = D.Cauchy(0.5, 2.0)
    x = np.linspace(-30.0, 30.0, 600_001)
    p = np.exp(d.log_prob(ag.Tensor(x)).numpy())
    assert _grid_integral(p, x) == pytest.approx(d.cdf(30.0).item() - d.cdf(-30.0).item(), abs=1e-8)
    # the entropy log(4 pi scale) as -E[log p], the tails beyond ±2e4 adding < 1e-3
    far = np.geomspace(50.0, 2e4, 200_001)
    wide = np.concatenate([-far[::-1], np.linspace(-50.0, 50.0, 100_001)[1:-1], far])
    log_p = d.log_prob(ag.Tensor(wide)).numpy()
    assert _grid_integral(-log_p * np.exp(log_p), wide) == pytest.approx(d.entropy().item(), abs=2e-3)
    assert math.isnan(d.mean.item()) and d.variance.item() == math.inf and d.mode.item() == 0.5
    # the half-Cauchy folds it at 0: twice the density, the median at scale
    half = D.HalfCauchy(2.0)
    assert half.log_prob(1.3).item() == pytest.approx(D.Cauchy(0.0, 2.0).log_prob(1.3).item() + math.log(2))
    assert half.icdf(0.5).item() == pytest.approx(2.0, rel=1e-14) and half.mean.item() == math.inf
    draws = half.sample((N,), generator=ag.Generator(8)).numpy()
    assert draws.min() >= 0 and abs((draws <= 2.0).mean() - 0.5) <= 5 * math.sqrt(0.25 / N)


@pytest.mark.parametrize("name", DISCRETE)
def test_pmf_sums_to_one_and_to_the_mean_variance_entropy(name: str) -> None:
    d = DISCRETE[name]()
    k = np.arange(0.0, 200.0) if not name.startswith("Binomial") else d.enumerate_support().numpy()
    log_p = d.log_prob(ag.Tensor(k)).numpy()
    p = np.exp(log_p)
    assert p.sum() == pytest.approx(1.0, abs=1e-12)
    assert (k * p).sum() == pytest.approx(d.mean.item(), rel=1e-12)
    assert ((k - d.mean.item()) ** 2 * p).sum() == pytest.approx(d.variance.item(), rel=1e-10)
    assert k[np.argmax(p)] == d.mode.item()
    if not name.startswith(("Poisson", "NegativeBinomial")):  # (torch's have no entropy)
        assert -(p * log_p).sum() == pytest.approx(d.entropy().item(), rel=1e-10)


def test_textbook_values() -> None:
    assert D.Poisson(2.0).log_prob(3.0).exp().item() == pytest.approx(8 * math.exp(-2) / 6, rel=1e-14)
    assert D.Poisson(0.0).log_prob(0.0).item() == 0.0  # 0^0 / 0! e^0: a rate-0 process never fires
    assert D.Binomial(10, probs=0.3).log_prob(4.0).exp().item() == pytest.approx(
        math.comb(10, 4) * 0.3**4 * 0.7**6, rel=1e-13
    )
    assert D.Geometric(probs=1.0).log_prob(0.0).item() == 0.0  # certain success: 0 failures surely
    assert D.Geometric(probs=0.2).log_prob(3.0).exp().item() == pytest.approx(0.8**3 * 0.2, rel=1e-14)
    assert D.LogNormal(0.0, 1.0).mode.item() == pytest.approx(math.exp(-1))
    assert D.HalfNormal(2.0).icdf(0.5).item() == pytest.approx(2 * 0.6744897501960817, rel=1e-12)
    assert D.Gumbel(1.0, 2.0).icdf(math.exp(-1)).item() == pytest.approx(1.0, abs=1e-14)  # cdf(loc) = 1/e
    assert D.Cauchy(1.0, 3.0).icdf(0.75).item() == pytest.approx(4.0, rel=1e-14)  # the quartiles: loc ± scale


@pytest.mark.parametrize("name", ["LogNormal", "HalfNormal", "Cauchy", "HalfCauchy", "Gumbel"])
def test_cdf_inverts_icdf(name: str) -> None:
    more = {"Cauchy": lambda: D.Cauchy(0.2, 0.7), "HalfCauchy": lambda: D.HalfCauchy(0.7)}
    d = {**more, **{k: v[0] for k, v in CONTINUOUS.items()}}[name]()
    p = ag.Tensor([0.01, 0.3, 0.5, 0.9, 0.999])
    np.testing.assert_allclose(d.cdf(d.icdf(p)).numpy(), p.numpy(), rtol=1e-12)


SAMPLED: dict[str, Callable[[], D.Distribution]] = {
    "LogNormal": lambda: D.LogNormal(ag.Tensor([0.3, -1.0]), ag.Tensor([0.4, 0.8])),
    "HalfNormal": lambda: D.HalfNormal(ag.Tensor([0.5, 3.0])),
    "Gumbel": lambda: D.Gumbel(ag.Tensor([0.5, -2.0]), ag.Tensor([1.3, 0.2])),
    "Poisson": lambda: D.Poisson(ag.Tensor([0.3, 12.0])),
    "Binomial": lambda: D.Binomial(ag.Tensor([3.0, 20.0]), probs=ag.Tensor([0.1, 0.6])),
    "Geometric": lambda: D.Geometric(probs=ag.Tensor([0.9, 0.15])),
    "Chi2": lambda: D.Chi2(ag.Tensor([0.8, 6.0])),
    "StudentT": lambda: D.StudentT(ag.Tensor([9.0, 25.0]), ag.Tensor([0.3, -2.0]), ag.Tensor([0.5, 2.0])),
    "Dirichlet": lambda: D.Dirichlet(ag.Tensor([0.6, 2.0])),
    "NegativeBinomial": lambda: D.NegativeBinomial(ag.Tensor([0.7, 12.0]), probs=ag.Tensor([0.8, 0.3])),
    "Multinomial": lambda: D.Multinomial(9, probs=ag.Tensor([0.7, 0.3])),
}


@pytest.mark.parametrize("name", SAMPLED)
def test_samples_match_the_mean_variance_and_support_within_5_standard_errors(name: str) -> None:
    d = SAMPLED[name]()
    x = d.sample((N,), generator=ag.Generator(7)).numpy()
    assert x.shape == (N, 2) and d.support.check(x).all()
    for values, expected in [(x, d.mean), ((x - d.mean.numpy()) ** 2, d.variance)]:
        mean, se = values.mean(0), values.std(0, ddof=1) / math.sqrt(N)
        assert np.all(np.abs(mean - expected.numpy()) <= 5 * se), (name, mean, expected)


def test_cauchy_samples_have_its_quartiles() -> None:
    x = D.Cauchy(1.0, 3.0).sample((N,), generator=ag.Generator(3)).numpy()
    below = (x <= 4.0).mean()  # P(X <= loc + scale) = 3/4, a binomial proportion
    assert abs(below - 0.75) <= 5 * math.sqrt(0.75 * 0.25 / N)


@pytest.mark.parametrize("name", ["LogNormal", "HalfNormal", "Cauchy", "Gumbel"])
def test_rsample_gradients_equal_finite_differences_with_the_same_noise(name: str) -> None:
    params = {"LogNormal": [0.3, 0.6], "HalfNormal": [1.4], "Cauchy": [0.3, 0.6], "Gumbel": [0.3, 0.6]}[name]
    leaves = [ag.Tensor(v, requires_grad=True) for v in params]
    cls = getattr(D, name)
    cls(*leaves).rsample((5,), generator=ag.Generator(11)).sum().backward()
    for i, v in enumerate(params):
        h = 1e-6
        up = [*params[:i], v + h, *params[i + 1 :]]
        down = [*params[:i], v - h, *params[i + 1 :]]
        draws = [cls(*p).rsample((5,), generator=ag.Generator(11)).sum().item() for p in (up, down)]
        assert leaves[i].grad.item() == pytest.approx((draws[0] - draws[1]) / (2 * h), rel=1e-6)


def test_kl_of_a_distribution_with_itself_is_zero_and_discrete_kl_is_the_sum_over_the_support() -> None:
    for p in [D.LogNormal(0.2, 0.5), D.HalfNormal(2.0), D.Cauchy(1.0, 2.0), D.Gumbel(1.0, 2.0), D.Poisson(3.0)]:
        assert D.kl_divergence(p, p).item() == pytest.approx(0.0, abs=1e-14), type(p).__name__
    pairs = [
        (D.Poisson(3.0), D.Poisson(1.5), np.arange(0.0, 120.0)),
        (D.Geometric(probs=0.3), D.Geometric(probs=0.6), np.arange(0.0, 200.0)),
        (D.Binomial(6, probs=0.3), D.Binomial(6, probs=0.8), np.arange(0.0, 7.0)),
    ]
    for p, q, k in pairs:
        log_p, log_q = p.log_prob(ag.Tensor(k)).numpy(), q.log_prob(ag.Tensor(k)).numpy()
        assert D.kl_divergence(p, q).item() == pytest.approx((np.exp(log_p) * (log_p - log_q)).sum(), rel=1e-10)


def test_bad_parameters_and_values_are_refused_clearly() -> None:
    with pytest.raises(ValueError, match=r"LogNormal: parameter scale must be > 0, got \[-1\.\]"):
        D.LogNormal(0.0, -1.0)
    with pytest.raises(ValueError, match=r"LogNormal.log_prob: value must be > 0 \(the support\), got \[-2\.\]"):
        D.LogNormal(0.0, 1.0).log_prob(-2.0)
    with pytest.raises(ValueError, match=r"HalfNormal.log_prob: value must be >= 0 \(the support\)"):
        D.HalfNormal(1.0).log_prob(-0.5)
    with pytest.raises(ValueError, match=r"Poisson.log_prob: value must be .*\(the support\), got \[1\.5\]"):
        D.Poisson(2.0).log_prob(1.5)
    with pytest.raises(ValueError, match=r"Poisson: parameter rate must be >= 0"):
        D.Poisson(-1.0)
    with pytest.raises(ValueError, match=r"Binomial.log_prob: value must be an integer in \[0, 4\]"):
        D.Binomial(4, probs=0.5).log_prob(5.0)
    with pytest.raises(ValueError, match=r"Binomial: parameter total_count must be"):
        D.Binomial(2.5, probs=0.5)
    with pytest.raises(ValueError, match=r"Binomial: give exactly one of probs= or logits=, got both"):
        D.Binomial(3, probs=0.5, logits=0.0)
    with pytest.raises(ValueError, match=r"Geometric: parameter probs must be in \(0, 1\], got 0\.0"):
        D.Geometric(probs=0.0)
    with pytest.raises(ValueError, match=r"Gumbel.icdf: value must be in \[0, 1\], got \[1\.5\]"):
        D.Gumbel(0.0, 1.0).icdf(1.5)
    with pytest.raises(NotImplementedError, match=r"Binomial.entropy: needs one total_count"):
        D.Binomial(ag.Tensor([2.0, 3.0]), probs=0.5).entropy()
    with pytest.raises(NotImplementedError, match=r"Poisson.rsample: .*has_rsample is False"):
        D.Poisson(1.0).rsample()
    assert D.Poisson(2.0, validate_args=False).log_prob(1.5).item() == pytest.approx(
        1.5 * math.log(2) - 2 - math.lgamma(2.5)
    )


def test_shapes_expand_and_torch_module_paths() -> None:
    d = D.Binomial(ag.Tensor([3.0, 5.0]), logits=ag.zeros(4, 1))
    assert d.batch_shape == (4, 2) and d.sample((3,)).shape == (3, 4, 2)
    assert D.Gumbel(0.0, 1.0).expand((2, 3)).sample().shape == (2, 3)
    assert D.Geometric(logits=ag.zeros(2)).expand((3, 2)).batch_shape == (3, 2)
    from autograd_core.distributions.log_normal import LogNormal
    from autograd_core.distributions.poisson import Poisson

    assert LogNormal is D.LogNormal and Poisson is D.Poisson


def test_studentt_heavy_tails_chi2_as_gamma_and_dirichlet_as_beta() -> None:
    # t with 1 degree of freedom is the Cauchy; its mean is undefined, with 2 the variance infinite
    x = ag.Tensor([-3.0, 0.2, 7.0])
    np.testing.assert_allclose(
        D.StudentT(1.0, 0.5, 2.0).log_prob(x).numpy(), D.Cauchy(0.5, 2.0).log_prob(x).numpy(), rtol=1e-13
    )
    assert D.StudentT(1.0, 0.5, 2.0).entropy().item() == pytest.approx(D.Cauchy(0.5, 2.0).entropy().item(), rel=1e-13)
    assert math.isnan(D.StudentT(1.0).mean.item()) and D.StudentT(2.0).variance.item() == math.inf
    assert math.isnan(D.StudentT(0.5).variance.item()) and D.StudentT(4.0, scale=2.0).variance.item() == 8.0
    assert D.Chi2(5.0).log_prob(2.5).item() == pytest.approx(D.Gamma(2.5, 0.5).log_prob(2.5).item(), rel=1e-14)
    assert D.kl_divergence(D.Chi2(3.0), D.Chi2(3.0)).item() == pytest.approx(0.0, abs=1e-14)  # (Gamma's pair)
    beta, dirichlet = D.Beta(0.7, 2.5), D.Dirichlet(ag.Tensor([0.7, 2.5]))
    assert dirichlet.log_prob(ag.Tensor([0.3, 0.7])).item() == pytest.approx(beta.log_prob(0.3).item(), rel=1e-13)
    assert dirichlet.entropy().item() == pytest.approx(beta.entropy().item(), rel=1e-13)
    assert D.Dirichlet(ag.Tensor([3.0, 2.0, 1.0])).mode.tolist() == [2 / 3, 1 / 3, 0.0]
    assert D.Dirichlet(ag.Tensor([0.5, 0.9, 0.2])).mode.tolist() == [0.0, 1.0, 0.0]


def test_dirichlet_samples_lie_on_the_simplex_with_its_moments_and_entropy_within_5_standard_errors() -> None:
    d = D.Dirichlet(ag.Tensor([[0.8, 2.0, 3.5], [5.0, 1.0, 1.0]]))
    x = d.sample((N,), generator=ag.Generator(5))
    assert x.shape == (N, 2, 3) and d.support.check(x.numpy()).all()
    for values, expected in [
        (x.numpy(), d.mean),
        ((x.numpy() - d.mean.numpy()) ** 2, d.variance),
        (-d.log_prob(x).numpy(), d.entropy()),
    ]:
        mean, se = values.mean(0), values.std(0, ddof=1) / math.sqrt(N)
        assert np.all(np.abs(mean - expected.numpy()) <= 5 * se), (mean, expected)
    q = D.Dirichlet(ag.Tensor([1.0, 1.0, 2.0]))
    kl_draws = (d.log_prob(x) - q.log_prob(x)).numpy()
    gap = np.abs(kl_draws.mean(0) - D.kl_divergence(d, q).numpy())
    assert np.all(gap <= 5 * kl_draws.std(0, ddof=1) / math.sqrt(N))


def test_bad_parameters_of_studentt_chi2_dirichlet_are_refused_clearly() -> None:
    with pytest.raises(ValueError, match=r"StudentT: parameter df must be > 0, got \[0\.\]"):
        D.StudentT(0.0)
    with pytest.raises(ValueError, match=r"Chi2: parameter df must be > 0"):
        D.Chi2(-1.0)
    with pytest.raises(ValueError, match=r"Dirichlet: parameter concentration must be > 0"):
        D.Dirichlet(ag.Tensor([1.0, 0.0]))
    with pytest.raises(ValueError, match=r"Dirichlet: concentration needs at least one axis"):
        D.Dirichlet(2.0)
    with pytest.raises(ValueError, match=r"Dirichlet.log_prob: value must be a probability vector"):
        D.Dirichlet(ag.Tensor([1.0, 2.0])).log_prob(ag.Tensor([0.5, 0.7]))
    assert D.Chi2(ag.Tensor([1.0, 2.0])).expand((3, 2)).batch_shape == (3, 2)
    assert D.Dirichlet(ag.ones(3)).expand((4,)).sample().shape == (4, 3)


def test_transformed_distribution_is_the_change_of_variables() -> None:
    T = D.transforms
    # a Uniform(0, 1) through x -> 2 + 3x is Uniform(2, 5); through a decreasing map the cdf flips
    d = D.TransformedDistribution(D.Uniform(0.0, 1.0), T.AffineTransform(2.0, 3.0))
    assert d.log_prob(3.0).item() == pytest.approx(-math.log(3), rel=1e-14) and d.cdf(3.5).item() == 0.5
    flipped = D.TransformedDistribution(D.Exponential(1.0), [T.AffineTransform(0.0, -1.0)])
    assert flipped.cdf(-1.0).item() == pytest.approx(math.exp(-1), rel=1e-14)
    assert flipped.icdf(math.exp(-1)).item() == pytest.approx(-1.0, rel=1e-14)
    # a Normal through exp then x -> 1 + 2x: its density integrates to 1 and to E[1 + 2 e^Z] = 1 + 2 e^(1/2)
    d = D.TransformedDistribution(D.Normal(0.0, 1.0), [T.ExpTransform(), T.AffineTransform(1.0, 2.0)])
    x = np.concatenate([np.linspace(1 + 1e-9, 6.0, 200_001)[:-1], np.linspace(6.0, 400.0, 200_001)])
    p = np.exp(d.log_prob(ag.Tensor(x)).numpy())
    assert _grid_integral(p, x) == pytest.approx(1.0, abs=1e-6)
    assert _grid_integral(x * p, x) == pytest.approx(1 + 2 * math.exp(0.5), rel=1e-5)
    assert d.has_rsample and not D.TransformedDistribution(D.Poisson(1.0), T.ExpTransform()).has_rsample
    assert d.expand((2, 3)).sample().shape == (2, 3)
    with pytest.raises(TypeError, match="TransformedDistribution: base_distribution must be a Distribution"):
        D.TransformedDistribution(1.0, T.ExpTransform())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="TransformedDistribution: transforms must be Transforms"):
        D.TransformedDistribution(D.Normal(0.0, 1.0), [abs])  # type: ignore[list-item]


def test_mixture_same_family_density_moments_and_samples() -> None:
    weights = ag.Tensor([0.2, 0.5, 0.3])
    d = D.MixtureSameFamily(
        D.Categorical(probs=weights), D.Normal(ag.Tensor([-3.0, 0.0, 4.0]), ag.Tensor([0.5, 1.0, 2.0]))
    )
    x = np.linspace(-15.0, 20.0, 400_001)
    p = np.exp(d.log_prob(ag.Tensor(x)).numpy())
    by_hand = sum(
        w * np.exp(-((x - m) ** 2) / (2 * s**2)) / (s * math.sqrt(2 * math.pi))
        for w, m, s in zip([0.2, 0.5, 0.3], [-3.0, 0.0, 4.0], [0.5, 1.0, 2.0], strict=True)
    )
    np.testing.assert_allclose(p, by_hand, rtol=1e-12, atol=1e-300)
    assert _grid_integral(p, x) == pytest.approx(1.0, abs=1e-8)
    assert d.mean.item() == pytest.approx(_grid_integral(x * p, x), rel=1e-7)
    assert d.variance.item() == pytest.approx(_grid_integral((x - d.mean.item()) ** 2 * p, x), rel=1e-7)
    draws = d.sample((N,), generator=ag.Generator(9)).numpy()
    for values, expected in [(draws, d.mean.item()), ((draws - d.mean.item()) ** 2, d.variance.item())]:
        assert abs(values.mean() - expected) <= 5 * values.std(ddof=1) / math.sqrt(N)
    # an MDN's output: a batch of 2 mixtures of 3 diagonal Gaussians over R^2
    mdn = D.MixtureSameFamily(D.Categorical(logits=ag.zeros(2, 3)), D.Independent(D.Normal(ag.zeros(2, 3, 2), 1.0), 1))
    assert mdn.sample((4,)).shape == (4, 2, 2) and mdn.log_prob(ag.zeros(2)).shape == (2,)
    assert mdn.log_prob(ag.zeros(2)).numpy() == pytest.approx(-math.log(2 * math.pi))  # all components at 0
    assert mdn.expand((5, 2)).batch_shape == (5, 2)


def test_mixture_same_family_refuses_mismatched_parts_clearly() -> None:
    with pytest.raises(TypeError, match="MixtureSameFamily: mixture_distribution must be a Categorical"):
        D.MixtureSameFamily(D.Normal(0.0, 1.0), D.Normal(ag.zeros(3), 1.0))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"batch_shape \(2,\) must end in the 3 components.*Independent"):
        D.MixtureSameFamily(D.Categorical(logits=ag.zeros(3)), D.Normal(ag.zeros(2), 1.0))


def test_multinomial_pmf_sums_to_one_over_all_compositions_and_binomial_is_its_two_category_case() -> None:
    d = D.Multinomial(4, logits=ag.Tensor([0.3, -1.0, 1.2]))
    counts = ag.Tensor([[a, b, 4.0 - a - b] for a in range(5) for b in range(5 - a)])
    p = d.log_prob(counts).exp().numpy()
    assert p.sum() == pytest.approx(1.0, rel=1e-13)
    np.testing.assert_allclose((p[:, None] * counts.numpy()).sum(0), d.mean.numpy(), rtol=1e-12)
    two = D.Multinomial(6, probs=ag.Tensor([0.3, 0.7])).log_prob(ag.Tensor([2.0, 4.0])).item()
    assert two == pytest.approx(D.Binomial(6, probs=0.3).log_prob(2.0).item(), rel=1e-13)
    assert D.Multinomial(3, probs=ag.Tensor([0.0, 1.0])).log_prob(ag.Tensor([0.0, 3.0])).item() == pytest.approx(
        0, abs=1e-14
    )  # 0 log 0
    assert D.Multinomial(3, probs=ag.ones(2, 4)).sample((5,)).sum(-1).numpy().tolist() == [[3.0, 3.0]] * 5


def test_bad_negative_binomial_and_multinomial_arguments_are_refused_clearly() -> None:
    with pytest.raises(ValueError, match=r"NegativeBinomial: parameter probs must be in \[0, 1\)"):
        D.NegativeBinomial(2.0, probs=1.0)
    with pytest.raises(ValueError, match=r"NegativeBinomial: parameter total_count must be >= 0"):
        D.NegativeBinomial(-2.0, probs=0.5)
    with pytest.raises(TypeError, match=r"Multinomial: total_count must be an int >= 0"):
        D.Multinomial(2.5, probs=ag.Tensor([0.5, 0.5]))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"Multinomial.log_prob: the counts must sum to total_count 4"):
        D.Multinomial(4, probs=ag.Tensor([0.5, 0.5])).log_prob(ag.Tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match=r"Multinomial.log_prob: value must be an integer in \[0, 4\]"):
        D.Multinomial(4, probs=ag.Tensor([0.5, 0.5])).log_prob(ag.Tensor([5.0, -1.0]))
    with pytest.raises(ValueError, match=r"Categorical: parameter probs must be a probability vector"):
        D.Multinomial(4, probs=ag.Tensor([0.5, -0.25]))
    assert D.Multinomial(4, logits=ag.zeros(3)).expand((2,)).sample().shape == (2, 3)


def test_relaxed_distributions_keep_the_discrete_law_of_their_rounding_and_integrate_to_one() -> None:
    # P(Y > 1/2) = p exactly for the relaxed Bernoulli, and argmax of a relaxed one-hot draw is Categorical(probs)
    # (the Gumbel-max trick), at any temperature
    y = D.RelaxedBernoulli(0.7, probs=ag.Tensor([0.2, 0.85])).sample((N,), generator=ag.Generator(4)).numpy()
    share = (y > 0.5).mean(0)
    assert np.all(np.abs(share - [0.2, 0.85]) <= 5 * np.sqrt(np.array([0.2 * 0.8, 0.85 * 0.15]) / N))
    probs = np.array([0.1, 0.6, 0.3])
    d = D.RelaxedOneHotCategorical(2.0, probs=ag.Tensor(probs))
    z = d.sample((N,), generator=ag.Generator(6)).numpy()
    assert d.support.check(z).all()
    share = np.bincount(z.argmax(-1), minlength=3) / N
    assert np.all(np.abs(share - probs) <= 5 * np.sqrt(probs * (1 - probs) / N))
    # the relaxed Bernoulli's density on (0, 1) integrates to 1
    x = np.linspace(1e-9, 1 - 1e-9, 400_001)
    p = np.exp(D.RelaxedBernoulli(1.5, logits=0.4).log_prob(ag.Tensor(x)).numpy())
    assert _grid_integral(p, x) == pytest.approx(1.0, abs=1e-6)
    # rsample differentiates in the logits and the temperature
    logits, t = ag.Tensor([0.5, -0.5], requires_grad=True), ag.Tensor(0.8, requires_grad=True)
    D.RelaxedOneHotCategorical(t, logits=logits).rsample((3,), generator=ag.Generator(2))[:, 0].sum().backward()
    assert np.all(np.isfinite(logits.grad)) and np.abs(logits.grad).sum() > 0 and t.grad != 0
    with pytest.raises(ValueError, match=r"LogitRelaxedBernoulli: temperature must be > 0, got 0.0"):
        D.RelaxedBernoulli(0.0, probs=0.5)
    assert D.RelaxedOneHotCategorical(1.0, logits=ag.zeros(3)).expand((2,)).sample().shape == (2, 3)
