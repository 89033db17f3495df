"""The distributions, transforms, rsample gradients and cdfs added for torch.distributions' remaining names against
``torch.distributions`` (the oracle, float64): log_prob, mean, variance, mode, entropy, cdf and icdf with their
gradients in the parameters; each transform's value, inverse and log-Jacobian; biject_to/transform_to; the
implicit gamma gradient against torch's ``_standard_gamma_grad``. The properties without torch are in
test_distributions3_new.py, _rsample.py and _transforms.py."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import distributions as D
from autograd_core.distributions import transforms as T

torch = pytest.importorskip("torch")
td = torch.distributions
tt = torch.distributions.transforms

# name: (class name, constructor keywords (all differentiable), values, methods to compare)
BASIC = ("log_prob", "mean", "variance", "entropy")
CASES: dict[str, tuple[str, dict[str, Any], Any, tuple[str, ...]]] = {
    "Pareto": ("Pareto", {"scale": [1.0, 2.0], "alpha": [3.5, 0.8]}, [2.5, 7.0], (*BASIC, "cdf", "icdf", "mode")),
    "Weibull": ("Weibull", {"scale": [1.5, 0.7], "concentration": [2.0, 0.6]}, [0.4, 2.0], (*BASIC, "cdf", "icdf")),
    "Kumaraswamy": (
        "Kumaraswamy",
        {"concentration1": [2.0, 0.7], "concentration0": [3.0, 1.5]},
        [0.3, 0.9],
        (*BASIC, "cdf", "icdf"),
    ),
    "GeneralizedPareto": (
        "GeneralizedPareto",
        {"loc": [0.1, -1.0], "scale": [2.0, 0.5], "concentration": [0.3, -0.2]},
        [1.0, 0.2],
        (*BASIC, "cdf", "icdf", "mode"),
    ),
    "InverseGamma": ("InverseGamma", {"concentration": [3.5, 1.5], "rate": [2.0, 0.4]}, [0.7, 3.0], (*BASIC, "mode")),
    "FisherSnedecor": (
        "FisherSnedecor",
        {"df1": [5.0, 3.0], "df2": [9.0, 12.0]},
        [1.3, 0.2],
        ("log_prob", "mean", "variance", "mode"),
    ),
    "ContinuousBernoulli": (
        "ContinuousBernoulli",
        {"probs": [0.2, 0.9]},
        [0.3, 0.95],
        (*BASIC, "cdf", "icdf"),
    ),
    "ContinuousBernoulli-logits": ("ContinuousBernoulli", {"logits": [-1.5, 2.0]}, [0.3, 0.95], (*BASIC, "cdf")),
    "VonMises": ("VonMises", {"loc": [0.5, -2.0], "concentration": [3.0, 0.4]}, [1.0, 3.0], ("log_prob", "variance")),
    "Gamma-cdf": ("Gamma", {"concentration": [0.7, 3.0], "rate": [0.5, 2.0]}, [0.4, 2.0], ("cdf",)),
    "Chi2-cdf": ("Chi2", {"df": [0.7, 10.0]}, [0.4, 9.0], ("cdf",)),
}
# torch's VonMises normaliser is a polynomial approximation of log I0 good to ~1e-8; torch's gammainc has no
# gradient in the concentration (ours does: test_distributions3_rsample.py checks it)
RTOL = {"VonMises": 2e-6}
NO_GRAD_IN = {"Gamma-cdf": {"concentration"}, "Chi2-cdf": {"df"}}


def _build(case: str, module: Any) -> tuple[Any, dict[str, Any]]:
    cls, params, _, _ = CASES[case]
    leaves = {}
    for k, v in params.items():
        array = np.array(v, dtype=float)
        differentiable = module is D or k not in NO_GRAD_IN.get(case, set())  # (torch's would raise)
        leaves[k] = (
            ag.Tensor(array, requires_grad=True) if module is D else torch.tensor(array, requires_grad=differentiable)
        )
    return getattr(module, cls)(**leaves), leaves


@pytest.fixture(autouse=True)
def _torch_in_float64() -> Any:
    """torch's own constants (GeneralizedPareto's zero, LKJCholesky's offsets) follow its default dtype."""
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(default)


def _evaluate(case: str, module: Any, method: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    d, leaves = _build(case, module)
    values = CASES[case][2]
    arg = np.array(values if method != "icdf" else [0.3, 0.8], dtype=float)
    if method in ("log_prob", "cdf", "icdf"):
        out = getattr(d, method)(ag.Tensor(arg) if module is D else torch.tensor(arg))
    elif method == "entropy":
        out = d.entropy()
    else:
        out = getattr(d, method)
    value = out.detach().numpy()
    grads: dict[str, np.ndarray] = {}
    finite = np.isfinite(value)
    if finite.any() and out.requires_grad:
        if module is D:
            masked = ag.where(ag.Tensor(finite), out, 0.0).sum()
        else:
            masked = torch.where(torch.tensor(finite), out, 0.0).sum()
        masked.backward()
        for k, leaf in leaves.items():
            g = leaf.grad
            grads[k] = np.zeros(leaf.shape) if g is None else np.asarray(g)
    return value, grads


@pytest.mark.parametrize(("case", "method"), [(c, m) for c, spec in CASES.items() for m in spec[3]])
def test_values_and_gradients_equal_torchs(case: str, method: str) -> None:
    ours, our_grads = _evaluate(case, D, method)
    theirs, their_grads = _evaluate(case, td, method)
    rtol = RTOL.get(case, 1e-10)
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=rtol)
    for k, g in their_grads.items():
        if k in NO_GRAD_IN.get(case, set()):
            continue
        # where torch's gradient is NaN (a Pareto's infinite mean: inf * 0 in its chain), ours is 0
        ours_k = np.where(np.isnan(g), 0.0, our_grads[k])
        assert np.all(our_grads[k][np.isnan(g)] == 0)
        np.testing.assert_allclose(
            ours_k, np.where(np.isnan(g), 0.0, g), rtol=max(rtol, 1e-8), atol=1e-9, err_msg=f"{case}.{method} d/d{k}"
        )


def test_kumaraswamy_mode_where_torchs_is_nan() -> None:
    ours = D.Kumaraswamy(2.0, 3.0).mode.item()
    theirs = td.Kumaraswamy(torch.tensor(2.0), torch.tensor(3.0)).mode.item()
    assert np.isnan(theirs) and ours == pytest.approx((1 / 5) ** 0.5, rel=1e-14)  # ((a-1)/(ab-1))^(1/a)


def test_matrix_distributions_equal_torchs() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(size=(2, 3, 3))
    cov = a @ np.swapaxes(a, -1, -2) + np.eye(3)
    df = np.array([4.5, 6.0])
    ours = D.Wishart(ag.Tensor(df), covariance_matrix=ag.Tensor(cov))
    theirs = td.Wishart(torch.tensor(df), covariance_matrix=torch.tensor(cov))
    x = theirs.sample((4,))
    np.testing.assert_allclose(ours.log_prob(ag.Tensor(x.numpy())).numpy(), theirs.log_prob(x).numpy(), rtol=1e-12)
    for name in ("mean", "variance", "mode", "precision_matrix"):
        np.testing.assert_allclose(getattr(ours, name).numpy(), getattr(theirs, name).numpy(), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(ours.entropy().numpy(), theirs.entropy().numpy(), rtol=1e-12)
    for eta in (0.5, 2.0):
        lkj, tlkj = D.LKJCholesky(4, eta), td.LKJCholesky(4, torch.tensor(eta))
        L = tlkj.sample((5,))
        np.testing.assert_allclose(lkj.log_prob(ag.Tensor(L.numpy())).numpy(), tlkj.log_prob(L).numpy(), rtol=1e-12)


def test_low_rank_and_logistic_normal_equal_torchs() -> None:
    rng = np.random.default_rng(1)
    loc, w, diag = rng.normal(size=(2, 4)), rng.normal(size=(4, 2)), rng.uniform(0.5, 2, 4)
    ours = D.LowRankMultivariateNormal(ag.Tensor(loc), ag.Tensor(w), ag.Tensor(diag))
    theirs = td.LowRankMultivariateNormal(torch.tensor(loc), torch.tensor(w), torch.tensor(diag))
    x = rng.normal(size=(3, 2, 4))
    np.testing.assert_allclose(
        ours.log_prob(ag.Tensor(x)).numpy(), theirs.log_prob(torch.tensor(x)).numpy(), rtol=1e-12
    )
    for name in ("variance", "covariance_matrix", "precision_matrix", "scale_tril"):
        np.testing.assert_allclose(getattr(ours, name).numpy(), getattr(theirs, name).numpy(), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(ours.entropy().numpy(), theirs.entropy().numpy(), rtol=1e-12)
    ln, tln = (
        D.LogisticNormal(ag.Tensor([0.3, -1.0, 2.0]), ag.Tensor([0.5, 1.5, 1.0])),
        td.LogisticNormal(
            torch.tensor([0.3, -1.0, 2.0], dtype=torch.float64), torch.tensor([0.5, 1.5, 1.0], dtype=torch.float64)
        ),
    )
    y = tln.sample((5,))
    np.testing.assert_allclose(ln.log_prob(ag.Tensor(y.numpy())).numpy(), tln.log_prob(y).numpy(), rtol=1e-12)
    assert (ln.batch_shape, ln.event_shape) == (tuple(tln.batch_shape), tuple(tln.event_shape))


def test_multinomial_entropy_equals_torchs() -> None:
    p = np.array([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]])
    ours = D.Multinomial(5, probs=ag.Tensor(p)).entropy().numpy()
    np.testing.assert_allclose(ours, td.Multinomial(5, probs=torch.tensor(p)).entropy().numpy(), rtol=1e-12)


def test_implicit_gamma_gradient_against_torchs_approximation() -> None:
    """torch's _standard_gamma_grad is an approximation (series, asymptotics, a rational fit): ours is exact
    (test_distributions3_rsample.py), so the two agree to torch's accuracy, ~1e-3 relative."""
    alpha = np.repeat([0.05, 0.5, 1.0, 3.0, 20.0, 400.0], 50)
    a = ag.Tensor(alpha, requires_grad=True)
    x = D.Gamma(a, 1.0).rsample(generator=ag.Generator(0))
    x.sum().backward()
    theirs = torch._standard_gamma_grad(torch.tensor(alpha), torch.tensor(x.detach().numpy())).numpy()
    np.testing.assert_allclose(np.asarray(a.grad), theirs, rtol=5e-3, atol=1e-12)


TRANSFORMS = {
    "Tanh": (lambda m: m.TanhTransform(), (3, 4)),
    "Softplus": (lambda m: m.SoftplusTransform(), (3, 4)),
    "Power": (lambda m: m.PowerTransform(2.5), (3, 4)),
    "StickBreaking": (lambda m: m.StickBreakingTransform(), (3, 4)),
    "CorrCholesky": (lambda m: m.CorrCholeskyTransform(), (3, 6)),
    "Compose": (lambda m: m.ComposeTransform([m.ExpTransform(), m.AffineTransform(1.0, 2.0)]), (3, 4)),
    "Independent": (lambda m: m.IndependentTransform(m.SigmoidTransform(), 1), (3, 4)),
    "Cat": (lambda m: m.CatTransform([m.ExpTransform(), m.TanhTransform()], dim=1, lengths=[1, 3]), (3, 4)),
    "Stack": (lambda m: m.StackTransform([m.ExpTransform(), m.TanhTransform()], dim=0), (2, 4)),
    "Reshape": (lambda m: m.ReshapeTransform((4,), (2, 2)), (3, 4)),
    "Inverse": (lambda m: m.TanhTransform().inv, (3, 4)),
}


@pytest.mark.parametrize("name", list(TRANSFORMS))
def test_transforms_equal_torchs(name: str) -> None:
    make, shape = TRANSFORMS[name]
    rng = np.random.default_rng(3)
    x = rng.uniform(0.2, 0.9, shape) if name in ("Power", "Inverse") else rng.normal(size=shape)
    ours, theirs = make(T), make(tt)
    y = theirs(torch.tensor(x))
    np.testing.assert_allclose(ours(ag.Tensor(x)).numpy(), y.numpy(), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(ours.inv(ag.Tensor(y.numpy())).numpy(), theirs.inv(y).numpy(), rtol=1e-12, atol=1e-14)
    ladj = ours.log_abs_det_jacobian(ag.Tensor(x), ag.Tensor(y.numpy())).numpy()
    np.testing.assert_allclose(ladj, theirs.log_abs_det_jacobian(torch.tensor(x), y).numpy(), rtol=1e-12, atol=1e-14)
    assert (ours.domain.event_dim, ours.codomain.event_dim) == (theirs.domain.event_dim, theirs.codomain.event_dim)
    assert ours.forward_shape(shape) == tuple(theirs.forward_shape(shape))


@pytest.mark.parametrize("name", ["positive", "simplex", "corr_cholesky", "lower_cholesky", "unit_interval"])
def test_biject_to_and_transform_to_equal_torchs(name: str) -> None:
    ours_c, theirs_c = getattr(D.constraints, name), getattr(td.constraints, name)
    x = np.random.default_rng(4).normal(size=(2, 3, 3) if name == "lower_cholesky" else (2, 3))
    pairs = [(D.transform_to, td.transform_to)]
    if name != "lower_cholesky":  # (torch registers it for transform_to only; ours for both)
        pairs.append((D.biject_to, td.biject_to))
    for ours_r, theirs_r in pairs:
        expected = theirs_r(theirs_c)(torch.tensor(x)).numpy()
        np.testing.assert_allclose(ours_r(ours_c)(ag.Tensor(x)).numpy(), expected, rtol=1e-13, atol=1e-15)
