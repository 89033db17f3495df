"""The distributions torch.distributions had and ag.distributions lacked, without torch: densities that integrate
to 1 and to their means, variances, entropies and cdfs; Monte-Carlo sample means; rsample gradients against
finite differences with common random numbers; identities with the distributions they generalise (a 1 x 1
Wishart is a Gamma, a LowRankMultivariateNormal a MultivariateNormal); the LKJ marginals; Multinomial.entropy by
enumeration; errors. torch's numbers are in test_distributions3_torch.py."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import distributions as D

N = 40_000
# name: (distribution, integration grid holding all but ~1e-9 of the mass)
SCALAR: dict[str, tuple[Callable[[], D.Distribution], np.ndarray]] = {
    "Pareto": (lambda: D.Pareto(2.0, 6.0), np.geomspace(2.0, 2e4, 400_001)),
    "Weibull": (lambda: D.Weibull(1.5, 2.0), np.linspace(1e-12, 12.0, 400_001)),
    "Kumaraswamy": (lambda: D.Kumaraswamy(2.0, 3.0), np.linspace(1e-12, 1 - 1e-12, 400_001)),
    "GeneralizedPareto": (lambda: D.GeneralizedPareto(0.1, 2.0, 0.1), np.geomspace(1e-9, 1e6, 800_001) + 0.1),
    "GeneralizedPareto-bounded": (lambda: D.GeneralizedPareto(0.1, 2.0, -0.4), np.linspace(0.1, 5.1, 400_001)),
    "InverseGamma": (lambda: D.InverseGamma(6.5, 2.0), np.geomspace(1e-3, 1e3, 400_001)),
    "FisherSnedecor": (lambda: D.FisherSnedecor(5.0, 14.0), np.geomspace(1e-8, 1e4, 800_001)),
    "ContinuousBernoulli": (lambda: D.ContinuousBernoulli(probs=0.2), np.linspace(0.0, 1.0, 400_001)),
    "ContinuousBernoulli-near-half": (lambda: D.ContinuousBernoulli(probs=0.4995), np.linspace(0.0, 1.0, 400_001)),
    "VonMises": (lambda: D.VonMises(0.5, 3.0), np.linspace(-math.pi + 0.5, math.pi + 0.5, 400_001)),
}


def _integral(f: np.ndarray, x: np.ndarray) -> float:
    return float(np.sum((f[1:] + f[:-1]) * np.diff(x)) / 2)


@pytest.mark.parametrize("name", list(SCALAR))
def test_density_integrates_to_one_and_to_the_mean_variance_entropy(name: str) -> None:
    make, x = SCALAR[name]
    d = make()
    log_p = d.log_prob(ag.Tensor(x)).numpy()
    p = np.exp(log_p)
    assert _integral(p, x) == pytest.approx(1.0, abs=2e-6)
    mean = _integral(x * p, x)
    if name == "VonMises":  # the circular mean and variance: arg E[e^ix] and 1 - |E[e^ix]|
        resultant = _integral(np.cos(x) * p, x) + 1j * _integral(np.sin(x) * p, x)
        assert np.angle(resultant) == pytest.approx(d.mean.item(), abs=1e-6)
        assert 1 - abs(resultant) == pytest.approx(d.variance.item(), abs=1e-6)
    else:
        assert mean == pytest.approx(d.mean.item(), rel=1e-5)
        assert _integral((x - mean) ** 2 * p, x) == pytest.approx(d.variance.item(), rel=1e-4)
    if name != "FisherSnedecor":  # (no closed-form entropy, as torch's)
        assert _integral(-np.where(p > 0, log_p, 0.0) * p, x) == pytest.approx(d.entropy().item(), abs=1e-4)
    # (InverseGamma and FisherSnedecor have no cdf, as torch's; a ContinuousBernoulli within lims of ½ takes
    # torch's uniform cdf, off by ~(p - ½) there)
    if name not in ("VonMises", "InverseGamma", "FisherSnedecor", "ContinuousBernoulli-near-half"):
        c = x[len(x) // 3]
        assert _integral(p[: len(x) // 3 + 1], x[: len(x) // 3 + 1]) == pytest.approx(d.cdf(c).item(), abs=1e-6)
        q = d.cdf(c)
        assert d.icdf(q).item() == pytest.approx(c, rel=1e-7) if hasattr(d, "icdf") else True


@pytest.mark.parametrize("name", list(SCALAR))
def test_sample_mean_within_five_standard_errors(name: str) -> None:
    d = SCALAR[name][0]()
    s = d.sample((N,), generator=ag.Generator(2)).numpy()
    if name == "VonMises":
        assert np.angle(np.mean(np.exp(1j * s))) == pytest.approx(0.5, abs=0.02)
        assert np.all((s >= -math.pi) & (s < math.pi))
        return
    assert abs(s.mean() - d.mean.item()) < 5 * math.sqrt(d.variance.item() / N)
    assert np.all(np.asarray(d.support.check(s)))


@pytest.mark.parametrize(
    ("name", "make", "values"),
    [
        ("Pareto", lambda a, b: D.Pareto(a, b), (1.5, 3.0)),
        ("Weibull", lambda a, b: D.Weibull(a, b), (1.5, 0.8)),
        ("Kumaraswamy", lambda a, b: D.Kumaraswamy(a, b), (2.0, 0.7)),
        ("GeneralizedPareto", lambda a, b: D.GeneralizedPareto(0.2, a, b), (1.5, 0.3)),
        ("ContinuousBernoulli", lambda a, b: D.ContinuousBernoulli(logits=a * b), (0.8, -1.5)),
    ],
)
def test_rsample_gradient_equals_finite_differences_of_the_same_draws(name, make, values) -> None:
    leaves = [ag.Tensor(v, requires_grad=True) for v in values]
    make(*leaves).rsample((5,), generator=ag.Generator(4)).sum().backward()
    h = 1e-6
    for i, leaf in enumerate(leaves):
        up, down = list(values), list(values)
        up[i] += h
        down[i] -= h
        fd = (
            make(*up).rsample((5,), generator=ag.Generator(4)).sum().item()
            - make(*down).rsample((5,), generator=ag.Generator(4)).sum().item()
        ) / (2 * h)
        assert leaf.grad.item() == pytest.approx(fd, rel=1e-6), (name, i)


def test_kumaraswamy_mode_is_the_densitys_maximum() -> None:
    """((a-1)/(ab-1))^(1/a); torch's formula gives NaN for b > 1."""
    d = D.Kumaraswamy(2.0, 3.0)
    x = np.linspace(1e-6, 1 - 1e-6, 200_001)
    assert d.mode.item() == pytest.approx(x[np.argmax(d.log_prob(ag.Tensor(x)).numpy())], abs=1e-5)
    assert math.isnan(D.Kumaraswamy(0.5, 3.0).mode.item())


def test_continuous_bernoulli_entropy_by_bregman_equals_the_closed_form_with_its_gradient() -> None:
    for p in (0.1, 0.3, 0.4995, 0.5, 0.8):
        d = D.ContinuousBernoulli(probs=p)
        assert D.ExponentialFamily.entropy(d).item() == pytest.approx(d.entropy().item(), abs=1e-6)
    logits = ag.Tensor(0.9, requires_grad=True)
    D.ExponentialFamily.entropy(D.ContinuousBernoulli(logits=logits)).backward()
    h = 1e-6
    fd = D.ContinuousBernoulli(logits=0.9 + h).entropy().item() - D.ContinuousBernoulli(logits=0.9 - h).entropy().item()
    assert logits.grad.item() == pytest.approx(fd / (2 * h), rel=1e-6)


def test_von_mises_log_prob_gradient_in_concentration() -> None:
    """d/dk log p(x) = cos(x - loc) - I1(k) / I0(k)."""
    k = ag.Tensor(2.5, requires_grad=True)
    D.VonMises(0.3, k).log_prob(1.1).backward()
    ratio = 1 - D.VonMises(0.3, 2.5).variance.item()
    assert k.grad.item() == pytest.approx(math.cos(0.8) - ratio, rel=1e-12)


def test_one_hot_straight_through_is_a_one_hot_value_with_the_probs_gradient() -> None:
    logits = ag.Tensor([0.2, -0.5, 1.0], requires_grad=True)
    d = D.OneHotCategoricalStraightThrough(logits=logits)
    y = d.rsample((7,), generator=ag.Generator(3))
    assert set(y.detach().numpy().sum(-1).tolist()) == {1.0} and set(np.unique(y.detach().numpy())) <= {0.0, 1.0}
    (y[:, 2]).sum().backward()  # d/dlogits of 7 p_2 = 7 p_2 (e_2 - p)
    p = np.exp([0.2, -0.5, 1.0]) / np.exp([0.2, -0.5, 1.0]).sum()
    np.testing.assert_allclose(np.asarray(logits.grad), 7 * p[2] * (np.eye(3)[2] - p), rtol=1e-12)


def test_low_rank_normal_equals_the_full_multivariate_normal_with_gradients() -> None:
    rng = np.random.default_rng(0)
    loc, w, diag = rng.normal(size=(2, 4)), rng.normal(size=(4, 2)), rng.uniform(0.5, 2.0, 4)
    x = rng.normal(size=(3, 2, 4))
    leaves = [ag.Tensor(v, requires_grad=True) for v in (loc, w, diag)]
    low = D.LowRankMultivariateNormal(*leaves)
    (low.log_prob(ag.Tensor(x)).sum() + low.entropy().sum()).backward()
    full_leaves = [ag.Tensor(v, requires_grad=True) for v in (loc, w, diag)]
    cov = full_leaves[1] @ full_leaves[1].mT + full_leaves[2].diag_embed()
    full = D.MultivariateNormal(full_leaves[0], covariance_matrix=cov)
    (full.log_prob(ag.Tensor(x)).sum() + full.entropy().sum()).backward()
    np.testing.assert_allclose(low.log_prob(ag.Tensor(x)).numpy(), full.log_prob(ag.Tensor(x)).numpy(), rtol=1e-12)
    for a, b in zip(leaves, full_leaves, strict=True):
        np.testing.assert_allclose(np.asarray(a.grad), np.asarray(b.grad), rtol=1e-10, atol=1e-12)
    inverse = np.broadcast_to(np.linalg.inv(cov.numpy()), (2, 4, 4))
    np.testing.assert_allclose(low.precision_matrix.numpy(), inverse, rtol=1e-10, atol=1e-12)
    s = low.sample((N,), generator=ag.Generator(1)).numpy()
    np.testing.assert_allclose(np.cov(s[:, 0].T), cov.numpy(), atol=0.2)


def test_logistic_normal_of_two_categories_is_a_logit_normal() -> None:
    """K = 2: x0 = sigmoid(y), density N(logit x0) / (x0 (1 - x0)) for the first coordinate."""
    d = D.LogisticNormal(ag.Tensor([0.4]), ag.Tensor([1.3]))
    x0 = np.array([0.1, 0.5, 0.77])
    logit = np.log(x0 / (1 - x0))
    expected = -((logit - 0.4) ** 2) / (2 * 1.3**2) - math.log(1.3 * math.sqrt(2 * math.pi)) - np.log(x0 * (1 - x0))
    value = ag.Tensor(np.stack([x0, 1 - x0], -1))
    np.testing.assert_allclose(d.log_prob(value).numpy(), expected, rtol=1e-12)
    assert d.event_shape == (2,) and d.batch_shape == ()


def test_multinomial_entropy_equals_the_sum_over_every_count_vector() -> None:
    probs = ag.Tensor([0.2, 0.5, 0.3], requires_grad=True)
    d = D.Multinomial(4, probs=probs)
    counts = np.array([c for c in itertools.product(range(5), repeat=3) if sum(c) == 4], dtype=float)
    log_p = d.log_prob(ag.Tensor(counts))
    brute = -(log_p.exp() * log_p).sum()
    assert d.entropy().item() == pytest.approx(brute.item(), rel=1e-12)
    d.entropy().backward(retain_graph=True)  # (brute shares the normalisation of probs)
    grad = np.asarray(probs.grad).copy()
    probs.grad = None
    brute.backward()
    np.testing.assert_allclose(grad, np.asarray(probs.grad), rtol=1e-10)


def test_a_one_by_one_wishart_is_a_gamma() -> None:
    """Wishart(nu, sigma²) on 1 x 1 matrices is Gamma(nu / 2, rate 1 / (2 sigma²))."""
    w = D.Wishart(ag.Tensor(5.0), covariance_matrix=ag.Tensor([[1.7]]))
    g = D.Gamma(2.5, 1 / (2 * 1.7))
    for v in (0.3, 2.0, 9.0):
        assert w.log_prob(ag.Tensor([[v]])).item() == pytest.approx(g.log_prob(v).item(), rel=1e-12)
    assert w.entropy().item() == pytest.approx(g.entropy().item(), rel=1e-12)
    assert w.mean.item() == pytest.approx(g.mean.item()) and w.variance.item() == pytest.approx(g.variance.item())
    assert D.ExponentialFamily.entropy(w).item() == pytest.approx(g.entropy().item(), rel=1e-10)


def test_wishart_sample_mean_and_rsample_gradient_in_df() -> None:
    cov = np.array([[2.0, 0.5, 0.0], [0.5, 1.0, 0.3], [0.0, 0.3, 1.5]])
    df = ag.Tensor(6.0, requires_grad=True)
    d = D.Wishart(df, covariance_matrix=ag.Tensor(cov))
    s = d.rsample((N,), generator=ag.Generator(8))
    np.testing.assert_allclose(s.detach().numpy().mean(0), 6.0 * cov, atol=0.1)
    assert np.all(np.linalg.eigvalsh(s.detach().numpy()) > 0)
    s.diagonal(dim1=-2, dim2=-1).sum(-1).mean().backward()  # E tr X = df tr(cov): d/d df = tr(cov)
    assert df.grad.item() == pytest.approx(np.trace(cov), rel=0.02)


@pytest.mark.parametrize("eta", [0.5, 1.0, 3.0])
def test_lkj_every_correlation_has_the_lkj_marginal(eta: float) -> None:
    """Each off-diagonal correlation of an LKJ(eta) d x d matrix is 2 Beta(b, b) - 1 with b = eta - 1 + d/2, of
    variance 1 / (2 eta + d - 1). torch's sampler (Beta(i - ½, ...) row lengths) fails this for rows 2 on."""
    d = 4
    L = D.LKJCholesky(d, eta).sample((N,), generator=ag.Generator(1)).numpy()
    corr = L @ np.swapaxes(L, -1, -2)
    np.testing.assert_allclose(np.diagonal(corr, axis1=-2, axis2=-1), 1.0, rtol=1e-12)
    assert np.all(np.asarray(D.constraints.corr_cholesky.check(L)))
    expected = 1 / (2 * eta + d - 1)
    for i, j in itertools.combinations(range(d), 2):
        var = corr[:, i, j].var()
        assert var == pytest.approx(expected, abs=5 * expected * math.sqrt(2 / N) * 1.5), (i, j)


@pytest.mark.parametrize("eta", [0.7, 2.0])
def test_lkj_two_by_two_density_integrates_to_one(eta: float) -> None:
    """L = [[1, 0], [r, sqrt(1 - r²)]]: the density in r integrates to 1 (r = sin t tames the ends for eta < 1)."""
    t = np.linspace(-math.pi / 2 + 1e-12, math.pi / 2 - 1e-12, 400_001)
    r = np.sin(t)
    L = np.zeros((r.size, 2, 2))
    L[:, 0, 0], L[:, 1, 0], L[:, 1, 1] = 1.0, r, np.cos(t)
    p = np.exp(D.LKJCholesky(2, eta).log_prob(ag.Tensor(L)).numpy())
    assert _integral(p * np.cos(t), t) == pytest.approx(1.0, abs=1e-6)


def test_errors_name_the_distribution_the_values_and_the_fix() -> None:
    with pytest.raises(ValueError, match=r"Wishart: give exactly one of .*got covariance_matrix, scale_tril"):
        D.Wishart(ag.Tensor(3.0), covariance_matrix=ag.eye(2), scale_tril=ag.eye(2))
    with pytest.raises(ValueError, match=r"Wishart: df must be > p - 1 = 2 .*validate_args=False"):
        D.Wishart(ag.Tensor(1.5), covariance_matrix=ag.eye(3))
    with pytest.raises(ValueError, match=r"LKJCholesky: dim must be an int >= 2"):
        D.LKJCholesky(1)
    with pytest.raises(ValueError, match=r"LowRankMultivariateNormal: cov_factor must be \(\.\.\., 3, m\)"):
        D.LowRankMultivariateNormal(ag.zeros(3), ag.ones(2, 1), ag.ones(3))
    with pytest.raises(ValueError, match=r"Pareto\.log_prob: value must be >= 2 \(the support\), got \[1\.\]"):
        D.Pareto(2.0, 3.0).log_prob(1.0)
    with pytest.raises(ValueError, match=r"GeneralizedPareto.log_prob: value must be in \[0, 5\]"):
        D.GeneralizedPareto(0.0, 1.0, -0.2).log_prob(6.0)
    with pytest.raises(ValueError, match=r"ContinuousBernoulli: give exactly one of probs= or logits="):
        D.ContinuousBernoulli()
