"""``ag.distributions``' samplers and closed forms checked against each other by Monte Carlo, without torch:
200,000 draws with a fixed seed; each expectation E[f(X)] (the mean, the variance, the entropy as E[-log p(X)],
the cdf as P(X <= c), every KL pair as E_p[log p(X) - log q(X)]) must lie within 5 standard errors of its
sample mean, the standard error estimated from the same draws (a wrong formula or sampler is off by hundreds)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import distributions as D

N = 200_000
COV = np.array([[2.0, 0.6, -0.3], [0.6, 1.5, 0.2], [-0.3, 0.2, 1.1]])


def assert_within_5_se(values: np.ndarray, expected: Any, what: str) -> None:
    """The sample mean of ``values`` (draws along axis 0) within 5 standard errors of ``expected``."""
    mean, se = values.mean(axis=0), values.std(axis=0, ddof=1) / np.sqrt(len(values))
    expected = np.asarray(expected.detach().numpy() if isinstance(expected, ag.Tensor) else expected)
    gap = np.abs(mean - expected)
    assert np.all(
        gap <= 5 * se + 1e-9 * (1 + np.abs(expected))
    )  # (+ the rounding of a sum of N), f"{what}: sample mean {mean} vs {expected}, {gap / (se + 1e-300)} SE off"


SCALAR: dict[str, Callable[[], D.Distribution]] = {
    "Normal": lambda: D.Normal(ag.Tensor([0.3, -2.0]), ag.Tensor([0.5, 3.0])),
    "Uniform": lambda: D.Uniform(ag.Tensor([0.0, -1.0]), ag.Tensor([1.0, 4.0])),
    "Exponential": lambda: D.Exponential(ag.Tensor([0.5, 4.0])),
    "Laplace": lambda: D.Laplace(ag.Tensor([1.0, -1.0]), ag.Tensor([0.3, 2.0])),
    "Gamma": lambda: D.Gamma(ag.Tensor([0.6, 4.5]), ag.Tensor([1.0, 2.0])),
    "Beta": lambda: D.Beta(ag.Tensor([0.7, 3.0]), ag.Tensor([2.0, 1.5])),
    "Bernoulli": lambda: D.Bernoulli(probs=ag.Tensor([0.1, 0.65])),
    "Bernoulli-logits": lambda: D.Bernoulli(logits=ag.Tensor([-2.0, 1.0])),
}


@pytest.mark.parametrize("name", list(SCALAR))
def test_samples_have_the_closed_form_mean_variance_and_entropy(name: str) -> None:
    d = SCALAR[name]()
    x = d.sample((N,), generator=ag.Generator(1))
    assert x.shape == (N, 2) and not x.requires_grad
    xs = x.numpy()
    assert_within_5_se(xs, d.mean, f"{name} mean")
    assert_within_5_se((xs - d.mean.numpy()) ** 2, d.variance, f"{name} variance")
    assert_within_5_se(-d.log_prob(x).numpy(), d.entropy(), f"{name} entropy")


@pytest.mark.parametrize("name", ["Normal", "Uniform", "Exponential", "Laplace"])
def test_the_cdf_is_the_fraction_of_samples_below(name: str) -> None:
    d = SCALAR[name]()
    x = d.sample((N,), generator=ag.Generator(2)).numpy()
    for c in (d.icdf(ag.Tensor([0.2, 0.2])), d.mean, d.icdf(ag.Tensor([0.9, 0.9]))):
        assert_within_5_se((x <= c.numpy()).astype(float), d.cdf(c), f"{name} cdf")
    np.testing.assert_allclose(d.cdf(d.icdf(ag.Tensor([0.2, 0.7]))).numpy(), [0.2, 0.7], atol=1e-12)


def test_categorical_frequencies_are_the_normalised_probs() -> None:
    weights = np.array([[1.0, 3.0, 0.0, 6.0], [2.0, 2.0, 2.0, 2.0]])  # weights, not probabilities
    d = D.Categorical(probs=ag.Tensor(weights))
    a = d.sample((N,), generator=ag.Generator(3)).numpy()
    assert a.dtype == np.int64 and a.shape == (N, 2) and not (a[:, 0] == 2).any()  # p = 0 is never drawn
    one_hot = np.eye(4)[a]
    assert_within_5_se(one_hot, weights / weights.sum(-1, keepdims=True), "Categorical frequencies")
    assert_within_5_se(-d.log_prob(ag.tensor(a)).numpy(), d.entropy(), "Categorical entropy")


def test_one_hot_categorical_samples_are_one_hot_with_mean_probs_and_variance() -> None:
    d = D.OneHotCategorical(logits=ag.Tensor([0.5, -1.0, 2.0]))
    x = d.sample((N,), generator=ag.Generator(4)).numpy()
    assert x.shape == (N, 3) and (x.sum(-1) == 1).all() and set(np.unique(x)) == {0.0, 1.0}
    assert_within_5_se(x, d.mean, "OneHotCategorical mean")
    assert_within_5_se((x - d.mean.numpy()) ** 2, d.variance, "OneHotCategorical variance")
    assert_within_5_se(-d.log_prob(ag.Tensor(x)).numpy(), d.entropy(), "OneHotCategorical entropy")


@pytest.mark.parametrize("form", ["covariance_matrix", "scale_tril", "precision_matrix"])
def test_multivariate_normal_samples_have_its_mean_covariance_and_entropy(form: str) -> None:
    matrix = {"covariance_matrix": COV, "scale_tril": np.linalg.cholesky(COV), "precision_matrix": np.linalg.inv(COV)}
    loc = np.array([1.0, -0.5, 0.0])
    d = D.MultivariateNormal(ag.Tensor(loc), **{form: ag.Tensor(matrix[form])})
    np.testing.assert_allclose(d.covariance_matrix.numpy(), COV, atol=1e-12)
    x = d.rsample((N,), generator=ag.Generator(5)).numpy()
    assert_within_5_se(x, loc, "MVN mean")
    centred = x - loc
    assert_within_5_se((centred[:, :, None] * centred[:, None, :]).reshape(N, 9), COV.ravel(), "MVN covariance")
    assert_within_5_se(-d.log_prob(ag.Tensor(x)).numpy(), d.entropy(), "MVN entropy")


# p, q: every registered formula (and a subclass pair, OneHotCategorical, through its own entry)
KL_PAIRS: dict[str, Callable[[], tuple[D.Distribution, D.Distribution]]] = {
    "Normal-Normal": lambda: (D.Normal(ag.Tensor([0.0, 1.0]), 1.5), D.Normal(ag.Tensor([0.5, -1.0]), 0.8)),
    "Bernoulli-Bernoulli": lambda: (D.Bernoulli(ag.Tensor([0.3, 0.9])), D.Bernoulli(logits=ag.Tensor([0.2, -0.4]))),
    "Categorical-Categorical": lambda: (
        D.Categorical(logits=ag.Tensor([0.0, 1.0, -1.0])),
        D.Categorical(probs=ag.Tensor([0.2, 0.2, 0.6])),
    ),
    "OneHot-OneHot": lambda: (
        D.OneHotCategorical(ag.Tensor([0.5, 0.5, 0.0])),
        D.OneHotCategorical(ag.Tensor([0.1, 0.6, 0.3])),
    ),
    "Uniform-Uniform": lambda: (D.Uniform(ag.Tensor([-1.0, 0.0]), 2.0), D.Uniform(-1.0, ag.Tensor([2.5, 3.0]))),
    "Uniform-Normal": lambda: (D.Uniform(ag.Tensor([-1.0, 0.0]), 2.0), D.Normal(0.3, ag.Tensor([1.0, 2.0]))),
    "Exponential-Exponential": lambda: (D.Exponential(ag.Tensor([1.0, 3.0])), D.Exponential(0.7)),
    "Laplace-Laplace": lambda: (D.Laplace(0.0, ag.Tensor([1.0, 0.5])), D.Laplace(ag.Tensor([1.0, -0.5]), 1.5)),
    "Gamma-Gamma": lambda: (D.Gamma(ag.Tensor([2.0, 0.8]), 1.0), D.Gamma(1.5, ag.Tensor([0.5, 2.0]))),
    "Beta-Beta": lambda: (D.Beta(ag.Tensor([2.0, 0.9]), 3.0), D.Beta(1.2, ag.Tensor([1.0, 2.5]))),
    "MVN-MVN": lambda: (
        D.MultivariateNormal(ag.Tensor([0.0, 1.0, 0.0]), COV),
        D.MultivariateNormal(ag.zeros(3), scale_tril=ag.Tensor(np.diag([1.0, 2.0, 0.5]))),
    ),
    "Independent-Independent": lambda: (
        D.Independent(D.Normal(ag.Tensor([[0.0, 1.0], [2.0, 0.5]]), 1.0), 1),
        D.Independent(D.Normal(0.0, ag.Tensor([[2.0, 1.0], [1.0, 3.0]])), 1),
    ),
}


@pytest.mark.parametrize("pair", list(KL_PAIRS))
def test_kl_divergence_is_the_expected_log_ratio(pair: str) -> None:
    p, q = KL_PAIRS[pair]()
    x = p.sample((N,), generator=ag.Generator(6))
    log_ratio = (p.log_prob(x) - q.log_prob(x)).numpy()
    kl = D.kl_divergence(p, q)
    assert kl.shape == log_ratio.shape[1:] and (kl.numpy() >= 0).all()
    assert_within_5_se(log_ratio, kl, f"KL {pair}")


def test_kl_of_a_distribution_with_itself_is_zero() -> None:
    for p, _ in (make() for make in KL_PAIRS.values()):
        np.testing.assert_allclose(D.kl_divergence(p, p).numpy(), 0.0, atol=1e-12)


def test_a_seed_reproduces_the_draws_and_generators_are_independent_streams() -> None:
    d = D.Normal(ag.zeros(3), ag.ones(3))
    ag.manual_seed(11)
    first = d.sample((2,)).numpy()
    ag.manual_seed(11)
    np.testing.assert_array_equal(d.sample((2,)).numpy(), first)
    categorical = D.Categorical(logits=ag.zeros(5))
    a, b = (categorical.sample((50,), generator=ag.Generator(7)).numpy() for _ in range(2))
    np.testing.assert_array_equal(a, b)
    g = ag.Generator(7)
    assert not np.array_equal(
        categorical.sample((50,), generator=g).numpy(), categorical.sample((50,), generator=g).numpy()
    )
    # the default stream is untouched by an explicit generator
    ag.manual_seed(11)
    D.Bernoulli(0.5).sample((10,), generator=ag.Generator(0))
    np.testing.assert_array_equal(d.sample((2,)).numpy(), first)
