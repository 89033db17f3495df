"""``ag.distributions`` without torch: closed forms worked by hand, gradients against central finite differences
(``ag.gradcheck``, float64) and the reparameterisation's own derivatives, shapes (sample, batch, event; expand;
Independent), and every refusal: a bad parameter or value is a ValueError naming the distribution, the value and
the set it must lie in."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import distributions as D
from autograd_core.distributions import constraints


def test_closed_forms_worked_by_hand() -> None:
    x, mu, sigma = 1.3, 0.4, 1.7
    normal = D.Normal(mu, sigma)
    density = math.exp(-((x - mu) ** 2) / (2 * sigma**2)) / (sigma * math.sqrt(2 * math.pi))
    assert normal.log_prob(x).item() == pytest.approx(math.log(density), rel=1e-14)
    assert normal.cdf(x).item() == pytest.approx(0.5 * (1 + math.erf((x - mu) / (sigma * math.sqrt(2)))), rel=1e-14)
    assert normal.entropy().item() == pytest.approx(0.5 * math.log(2 * math.pi * math.e * sigma**2), rel=1e-14)
    assert D.Bernoulli(0.3).log_prob(ag.Tensor([1.0, 0.0])).exp().tolist() == pytest.approx([0.3, 0.7], rel=1e-14)
    categorical = D.Categorical(probs=ag.Tensor([2.0, 1.0, 1.0]))
    assert categorical.log_prob(ag.tensor([0, 2])).exp().tolist() == pytest.approx([0.5, 0.25], rel=1e-14)
    assert categorical.entropy().item() == pytest.approx(1.5 * math.log(2), rel=1e-14)
    assert D.Exponential(2.0).log_prob(0.5).item() == pytest.approx(math.log(2) - 1, rel=1e-14)
    assert D.Laplace(1.0, 0.5).log_prob(2.0).item() == pytest.approx(-2.0, rel=1e-14)  # log(1/(2*0.5)) - 1/0.5
    assert D.Gamma(3.0, 2.0).log_prob(1.5).exp().item() == pytest.approx(8 * 1.5**2 * math.exp(-3) / 2, rel=1e-13)
    assert D.Beta(2.0, 3.0).log_prob(0.25).exp().item() == pytest.approx(12 * 0.25 * 0.75**2, rel=1e-13)
    assert D.Uniform(-1.0, 3.0).log_prob(ag.Tensor([0.0, 3.0])).exp().tolist() == [0.25, 0.0]  # [low, high)
    cov = np.array([[2.0, 0.5], [0.5, 1.0]])
    mvn, v = D.MultivariateNormal(ag.Tensor([1.0, 0.0]), ag.Tensor(cov)), np.array([0.5, 0.8])
    d = v - [1.0, 0.0]
    expected = -0.5 * d @ np.linalg.solve(cov, d) - 0.5 * math.log(np.linalg.det(2 * math.pi * cov))
    assert mvn.log_prob(ag.Tensor(v)).item() == pytest.approx(expected, rel=1e-14)
    assert mvn.entropy().item() == pytest.approx(0.5 * math.log(np.linalg.det(2 * math.pi * math.e * cov)), rel=1e-14)


def test_kl_closed_forms_worked_by_hand() -> None:
    # KL(N(m1, s1²) ‖ N(m2, s2²)) = log(s2/s1) + (s1² + (m1 - m2)²) / (2 s2²) - 1/2
    kl = D.kl_divergence(D.Normal(1.0, 0.5), D.Normal(-1.0, 2.0)).item()
    assert kl == pytest.approx(math.log(4) + (0.25 + 4) / 8 - 0.5, rel=1e-14)
    p, q = np.array([0.5, 0.3, 0.2]), np.array([0.1, 0.1, 0.8])
    assert D.kl_divergence(D.Categorical(ag.Tensor(p)), D.Categorical(ag.Tensor(q))).item() == pytest.approx(
        float((p * np.log(p / q)).sum()), rel=1e-13
    )
    assert D.kl_divergence(D.Categorical(ag.Tensor([0.5, 0.5])), D.Categorical(ag.Tensor([1.0, 0.0]))).item() == np.inf
    assert D.kl_divergence(D.Categorical(ag.Tensor([1.0, 0.0])), D.Categorical(ag.Tensor([0.5, 0.5]))).item() == (
        pytest.approx(math.log(2), rel=1e-14)  # 0 log 0 = 0
    )


PARAMETRISED = {  # name: (a function of the parameters to a Tensor, the parameter values)
    "Normal.log_prob": (lambda m, s: D.Normal(m, s).log_prob(ag.Tensor([0.3, -1.0])), ([0.1, 0.5], [0.8, 2.0])),
    "Normal.rsample": (lambda m, s: D.Normal(m, s).rsample((3,), generator=ag.Generator(0)), ([0.1, 0.5], [0.8, 2.0])),
    "Normal.icdf": (lambda m, s: D.Normal(m, s).icdf(ag.Tensor([0.1, 0.8])), ([0.1, 0.5], [0.8, 2.0])),
    "Uniform.rsample": (
        lambda a, b: D.Uniform(a, b).rsample((3,), generator=ag.Generator(0)),
        ([0.0, 1.0], [2.0, 1.5]),
    ),
    "Laplace.log_prob": (lambda m, s: D.Laplace(m, s).log_prob(ag.Tensor([0.3, -1.0])), ([0.1, 0.5], [0.8, 2.0])),
    "Laplace.rsample": (
        lambda m, s: D.Laplace(m, s).rsample((3,), generator=ag.Generator(0)),
        ([0.1, 0.5], [0.8, 2.0]),
    ),
    "Exponential.rsample": (lambda r: D.Exponential(r).rsample((3,), generator=ag.Generator(0)), ([0.5, 3.0],)),
    "Gamma.entropy": (lambda a, b: D.Gamma(a, b).entropy(), ([0.7, 3.0], [1.0, 0.2])),
    "Beta.log_prob": (lambda a, b: D.Beta(a, b).log_prob(ag.Tensor([0.2, 0.7])), ([0.7, 3.0], [1.5, 0.9])),
    "Bernoulli.log_prob": (lambda p: D.Bernoulli(p).log_prob(ag.Tensor([1.0, 0.0])), ([0.2, 0.6],)),
    "Bernoulli.entropy": (lambda logits: D.Bernoulli(logits=logits).entropy(), ([-0.7, 0.0],)),
    "Categorical.log_prob": (
        lambda logits: D.Categorical(logits=logits).log_prob(ag.tensor([2, 0])),
        ([[0.1, 1.2, -0.4], [0.0, 0.3, 0.3]],),
    ),
    "Categorical.entropy": (lambda p: D.Categorical(probs=p).entropy(), ([[0.2, 0.3, 0.5], [1.0, 2.0, 3.0]],)),
    "MVN.log_prob": (
        lambda m, L: D.MultivariateNormal(m, scale_tril=L.tril()).log_prob(ag.Tensor([0.2, 0.2])),
        ([0.5, -0.3], [[1.2, 0.0], [0.4, 0.7]]),
    ),
    "MVN.rsample": (
        lambda m, c: D.MultivariateNormal(m, (c + c.mT) / 2).rsample((2,), generator=ag.Generator(0)),
        ([0.5, -0.3], [[1.2, 0.3], [0.3, 0.7]]),
    ),
    "KL(MVN ‖ MVN)": (
        lambda m, c: D.kl_divergence(
            D.MultivariateNormal(m, (c + c.mT) / 2), D.MultivariateNormal(ag.zeros(2), ag.eye(2))
        ),
        ([0.5, -0.3], [[1.2, 0.3], [0.3, 0.7]]),
    ),
    "KL(Bernoulli ‖ Bernoulli)": (
        lambda p, q: D.kl_divergence(D.Bernoulli(p), D.Bernoulli(q)),
        ([0.2, 0.7], [0.5, 0.4]),
    ),
}


@pytest.mark.parametrize("name", list(PARAMETRISED))
def test_gradients_equal_central_finite_differences(name: str) -> None:
    fn, values = PARAMETRISED[name]
    inputs = [ag.Tensor(np.array(v), requires_grad=True) for v in values]
    assert ag.gradcheck(fn, inputs, eps=1e-6, atol=1e-8, rtol=1e-6)


def test_gamma_entropy_gradient_is_its_closed_form_to_full_precision() -> None:
    """dH/da = 1 + (1 - a) trigamma(a), trigamma from mpmath: the engine's is exact where torch's is ~1e-9."""
    mpmath = pytest.importorskip("mpmath")
    a = ag.Tensor([0.7, 2.0, 5.5], requires_grad=True)
    D.Gamma(a, 1.3).entropy().sum().backward()
    expected = [1 + (1 - v) * float(mpmath.polygamma(1, v)) for v in (0.7, 2.0, 5.5)]
    np.testing.assert_allclose(a.grad, expected, rtol=1e-14)


def test_rsample_is_loc_plus_scale_times_noise_so_its_gradients_are_one_and_the_noise() -> None:
    mu, sigma = ag.Tensor([0.5, -1.0], requires_grad=True), ag.Tensor([2.0, 0.1], requires_grad=True)
    z = D.Normal(mu, sigma).rsample((4,), generator=ag.Generator(9))
    eps = ag.Generator(9).rng.standard_normal((4, 2))  # the same stream: the noise behind z
    np.testing.assert_allclose(z.numpy(), mu.numpy() + sigma.numpy() * eps, rtol=1e-15)
    z.sum().backward()
    np.testing.assert_allclose(mu.grad, [4.0, 4.0])
    np.testing.assert_allclose(sigma.grad, eps.sum(0), rtol=1e-14)


def test_sample_carries_no_gradient_and_a_distribution_without_rsample_says_so() -> None:
    mu = ag.Tensor([0.0], requires_grad=True)
    assert not D.Normal(mu, 1.0).sample().requires_grad and D.Normal(mu, 1.0).rsample().requires_grad
    poisson = D.Poisson(ag.Tensor([2.0], requires_grad=True))  # (Gamma's rsample and cdf: test_distributions3)
    assert not poisson.has_rsample and poisson.sample((3,)).shape == (3, 1)
    with pytest.raises(NotImplementedError, match=r"Poisson.rsample: .*has_rsample is False.*log_prob"):
        poisson.rsample()
    with pytest.raises(NotImplementedError, match=r"Poisson\.cdf has no closed form"):
        poisson.cdf(1.0)
    with pytest.raises(NotImplementedError, match=r"Categorical.rsample"):
        D.Categorical(logits=ag.zeros(3)).rsample()


def test_shapes_sample_batch_event_expand_and_independent() -> None:
    d = D.Normal(ag.zeros(2, 1), ag.ones(3))  # parameters broadcast: batch (2, 3)
    assert d.batch_shape == (2, 3) and d.event_shape == () and d.sample((5, 4)).shape == (5, 4, 2, 3)
    assert d.log_prob(ag.zeros(3)).shape == (2, 3) and d.sample(7).shape == (7, 2, 3)
    big = D.Normal(0.0, 1.0).expand((4, 2))
    assert big.batch_shape == (4, 2) and big.log_prob(ag.zeros(4, 2)).shape == (4, 2)
    loc = ag.Tensor([1.0, 2.0], requires_grad=True)
    D.Normal(loc, 1.0).expand((3, 2)).mean.sum().backward()  # expand broadcasts, gradients reach the original
    assert loc.grad.tolist() == [3.0, 3.0]
    cat = D.Categorical(logits=ag.zeros(2, 5))
    assert cat.batch_shape == (2,) and cat.expand((6, 2)).sample((3,)).shape == (3, 6, 2)
    assert cat.enumerate_support().shape == (5, 2)
    mvn = D.MultivariateNormal(ag.zeros(4, 3), scale_tril=ag.eye(3))
    assert (mvn.batch_shape, mvn.event_shape, mvn.sample((2,)).shape) == ((4,), (3,), (2, 4, 3))
    assert mvn.log_prob(ag.zeros(2, 1, 3)).shape == (2, 4) and mvn.expand((5, 4)).batch_shape == (5, 4)
    ind = D.Independent(D.Normal(ag.zeros(4, 3, 2), 1.0), 2)
    assert (ind.batch_shape, ind.event_shape, ind.log_prob(ag.zeros(4, 3, 2)).shape) == ((4,), (3, 2), (4,))
    np.testing.assert_allclose(ind.entropy().numpy(), 6 * D.Normal(0.0, 1.0).entropy().item())
    assert ind.expand((7, 4)).batch_shape == (7, 4) and ind.has_rsample
    one_hot = D.OneHotCategorical(probs=ag.Tensor([[0.5, 0.5], [0.1, 0.9]]))
    assert (one_hot.batch_shape, one_hot.event_shape, one_hot.sample((3,)).shape) == ((2,), (2,), (3, 2, 2))


def test_float32_parameters_keep_float32() -> None:
    d = D.Normal(ag.zeros(2, dtype=np.float32), 1.0)
    assert d.rsample().dtype == np.float32 and d.log_prob(ag.zeros(2, dtype=np.float32)).dtype == np.float32
    assert D.Bernoulli(logits=ag.zeros(2, dtype=np.float32)).sample().dtype == np.float32


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: D.Normal(0.0, ag.Tensor([1.0, -0.5])), r"Normal: parameter scale must be > 0, got \[-0.5\].*softplus"),
        (lambda: D.Normal(0.0, 0.0), r"Normal: parameter scale must be > 0, got \[0\.\]"),
        (lambda: D.Bernoulli(probs=ag.Tensor([0.5, 1.2])), r"Bernoulli: parameter probs must be in \[0, 1\].*logits="),
        (lambda: D.Bernoulli(probs=0.5, logits=0.0), "Bernoulli: give exactly one of probs= or logits=, got both"),
        (lambda: D.Categorical(), "Categorical: give exactly one of probs= or logits=, got neither"),
        (
            lambda: D.Categorical(probs=ag.Tensor([0.5, -0.1, 0.6])),
            r"Categorical: parameter probs must be a probability",
        ),
        (lambda: D.Categorical(logits=ag.Tensor(1.0)), "Categorical: logits needs at least one axis"),
        (lambda: D.Uniform(2.0, 1.0), r"Uniform: needs low < high everywhere, got low=2.0, high=1.0"),
        (lambda: D.Gamma(-1.0, 1.0), "Gamma: parameter concentration must be > 0"),
        (lambda: D.Beta(1.0, ag.Tensor([np.nan])), "Beta: parameter concentration0 must be > 0"),
        (lambda: D.Normal(ag.zeros(2), ag.ones(3)), r"Normal: the parameters do not broadcast: loc of shape \(2,\)"),
        (
            lambda: D.MultivariateNormal(ag.zeros(2), ag.Tensor([[1.0, 2.0], [2.0, 1.0]])),
            "MultivariateNormal: parameter covariance_matrix must be symmetric positive-definite",
        ),
        (
            lambda: D.MultivariateNormal(ag.zeros(2), scale_tril=ag.Tensor([[1.0, 1.0], [0.0, 1.0]])),
            "MultivariateNormal: parameter scale_tril must be lower triangular",
        ),
        (lambda: D.MultivariateNormal(ag.zeros(2)), "give exactly one of covariance_matrix=, .* got none"),
        (lambda: D.MultivariateNormal(ag.zeros(3), ag.eye(2)), r"loc must be \(..., n\) .*loc of shape \(3,\)"),
        (lambda: D.Independent(D.Normal(ag.zeros(2), 1.0), 2), r"reinterpreted_batch_ndims must be an int in \[0, 1\]"),
    ],
)
def test_bad_parameters_are_refused_clearly(make: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()  # type: ignore[operator]


def test_a_parameter_that_is_not_a_number_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="Normal: loc must be a number or a float Tensor, got 'a'"):
        D.Normal("a", 1.0)


def test_bad_values_are_refused_clearly_and_validate_args_false_skips_the_checks() -> None:
    with pytest.raises(ValueError, match=r"Bernoulli.log_prob: value must be 0 or 1 \(the support\), got \[0.5\]"):
        D.Bernoulli(0.3).log_prob(ag.Tensor([1.0, 0.5]))
    with pytest.raises(ValueError, match=r"Categorical.log_prob: value must be an integer in \[0, 2\] .*got \[3\]"):
        D.Categorical(logits=ag.zeros(3)).log_prob(ag.tensor(3))
    with pytest.raises(ValueError, match=r"Exponential.log_prob: value must be >= 0 \(the support\), got \[-1\.\]"):
        D.Exponential(1.0).log_prob(-1.0)
    with pytest.raises(ValueError, match=r"Normal.icdf: value must be in \[0, 1\], got \[1.5\]"):
        D.Normal(0.0, 1.0).icdf(1.5)
    with pytest.raises(ValueError, match=r"value of shape \(3,\) does not broadcast with batch_shape \(2,\)"):
        D.Normal(ag.zeros(2), 1.0).log_prob(ag.zeros(3))
    with pytest.raises(ValueError, match=r"MultivariateNormal.log_prob: value of shape \(2,\) must end in .* \(3,\)"):
        D.MultivariateNormal(ag.zeros(3), ag.eye(3)).log_prob(ag.zeros(2))
    with pytest.raises(ValueError, match=r"OneHotCategorical\.log_prob: value must be a one-hot vector"):
        D.OneHotCategorical(logits=ag.zeros(3)).log_prob(ag.Tensor([1.0, 1.0, 0.0]))
    with pytest.raises(TypeError, match=r"Normal\.log_prob: value must be a number or a numeric Tensor"):
        D.Normal(0.0, 1.0).log_prob("x")
    # validate_args=False: no checks (torch's escape hatch), the formula evaluated as is
    assert D.Bernoulli(0.3, validate_args=False).log_prob(0.5).item() == pytest.approx(0.5 * math.log(0.3 * 0.7))
    with np.errstate(invalid="ignore"):  # log of the negative scale: NaN, as the unchecked formula gives
        assert math.isnan(D.Normal(0.0, -1.0, validate_args=False).log_prob(0.0).item())
    try:
        D.Distribution.set_default_validate_args(False)
        D.Normal(0.0, -1.0)
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(TypeError, match="set_default_validate_args: expects True or False"):
        D.Distribution.set_default_validate_args("yes")  # type: ignore[arg-type]


def test_kl_registry_dispatch_and_the_missing_pair_error() -> None:
    with pytest.raises(NotImplementedError, match=r"kl_divergence: no formula for KL\(Gamma ‖ Normal\).*register_kl"):
        D.kl_divergence(D.Gamma(1.0, 1.0), D.Normal(0.0, 1.0))
    with pytest.raises(TypeError, match="register_kl: expects two Distribution subclasses"):
        D.register_kl(int, D.Normal)

    class Shifted(D.Normal):  # a subclass uses its base's formula until it registers its own
        pass

    p, q = Shifted(1.0, 1.0), D.Normal(0.0, 1.0)
    assert D.kl_divergence(p, q).item() == pytest.approx(0.5)

    @D.register_kl(Shifted, D.Normal)
    def _kl_shifted(p: D.Distribution, q: D.Distribution) -> ag.Tensor:
        return ag.tensor(42.0)

    assert D.kl_divergence(p, q).item() == 42.0 and D.kl_divergence(q, p).item() == pytest.approx(0.5)


def test_constraints_describe_themselves() -> None:
    assert str(constraints.positive) == "> 0" and constraints.boolean.is_discrete
    assert constraints.simplex.check(np.array([[0.2, 0.8], [0.5, 0.6]])).tolist() == [True, False]
    assert repr(D.Normal(0.0, ag.ones(2))) == "Normal(loc: Tensor of shape (2,), scale: Tensor of shape (2,))"
    assert repr(D.Bernoulli(logits=0.5)) == "Bernoulli(logits: 0.5)"


def test_enumerate_support_sums_a_discrete_variable_out_exactly() -> None:
    p = ag.Tensor([0.2, 0.9], requires_grad=True)
    bern = D.Bernoulli(p)
    values = bern.enumerate_support()
    assert values.shape == (2, 2) and values[:, 0].tolist() == [0.0, 1.0]
    f = lambda v: (v - 0.3) ** 2  # noqa: E731
    expectation = (bern.log_prob(values).exp() * f(values)).sum(0)  # E[f(X)], no sampling
    expectation.sum().backward()
    np.testing.assert_allclose(expectation.numpy(), [0.8 * 0.09 + 0.2 * 0.49, 0.1 * 0.09 + 0.9 * 0.49])
    np.testing.assert_allclose(p.grad, [0.49 - 0.09] * 2)  # dE/dp = f(1) - f(0)
    cat = D.Categorical(probs=ag.Tensor([[0.2, 0.8, 0.0], [0.3, 0.3, 0.4]]))
    support = cat.enumerate_support()
    assert support.shape == (3, 2) and support.dtype == np.int64
    np.testing.assert_allclose(cat.log_prob(support).exp().sum(0).numpy(), [1.0, 1.0])
    assert D.Bernoulli(0.5).enumerate_support(expand=False).tolist() == [0.0, 1.0]
