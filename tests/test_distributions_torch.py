"""``ag.distributions`` against ``torch.distributions`` (the oracle, float64, to 1e-10): every distribution's
log_prob, entropy, mean, variance, stddev, mode, cdf and icdf, their gradients in the parameters (and the value),
rsample-based losses given the same noise, and every registered KL pair with its gradients in both sides.
The properties without torch are in test_distributions.py."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import distributions as D

torch = pytest.importorskip("torch")
td = torch.distributions

SPD = np.array([[2.0, 0.6, -0.3], [0.6, 1.5, 0.2], [-0.3, 0.2, 1.1]])
TRIL = np.linalg.cholesky(np.array([[1.2, -0.4, 0.1], [-0.4, 0.9, 0.3], [0.1, 0.3, 0.8]]))

# name: (constructor keywords, values for log_prob/cdf, probabilities for icdf or None)
CASES: dict[str, tuple[dict[str, Any], Any, Any]] = {
    "Normal": ({"loc": [0.3, -1.2, 2.0], "scale": [0.5, 1.5, 2.5]}, [0.1, -2.0, 3.3], [0.1, 0.5, 0.97]),
    "Uniform": ({"low": [0.0, -1.0, 2.0], "high": [1.0, 3.0, 2.5]}, [0.4, 2.9, 2.1], [0.1, 0.5, 0.97]),
    "Exponential": ({"rate": [0.5, 1.0, 3.0]}, [0.2, 1.7, 0.05], [0.1, 0.5, 0.97]),
    "Laplace": ({"loc": [0.0, 1.0, -2.0], "scale": [1.0, 0.3, 2.0]}, [0.5, 0.7, -4.0], [0.1, 0.5, 0.97]),
    "Gamma": ({"concentration": [0.7, 2.0, 5.5], "rate": [1.0, 0.4, 3.0]}, [0.3, 4.0, 1.6], None),
    "Beta": ({"concentration1": [0.6, 2.0, 5.0], "concentration0": [1.5, 2.5, 0.8]}, [0.2, 0.5, 0.9], None),
    "Bernoulli": ({"probs": [0.2, 0.7, 0.95]}, [1.0, 0.0, 1.0], None),
    "Bernoulli-logits": ({"logits": [-1.5, 0.3, 2.5]}, [0.0, 1.0, 1.0], None),
    "Categorical": ({"probs": [[0.1, 0.6, 0.3], [0.5, 0.25, 0.25]]}, [[2, 0], [1, 1]], None),
    "Categorical-logits": ({"logits": [[0.1, -1.6, 2.3, 0.0], [1.0, 1.0, -3.0, 0.5]]}, [3, 2], None),
    "OneHotCategorical": ({"logits": [[0.4, -0.6, 1.3]]}, [[[0.0, 0.0, 1.0]], [[1.0, 0.0, 0.0]]], None),
    "MultivariateNormal": (
        {"loc": [0.5, -1.0, 0.2], "covariance_matrix": SPD},
        [[0.0, 0.1, 0.4], [1.0, -2.0, 0.0]],
        None,
    ),
    "MultivariateNormal-tril": (
        {"loc": [[0.5, -1.0, 0.2], [0.0, 0.0, 1.0]], "scale_tril": TRIL},
        [0.3, 0.3, 0.3],
        None,
    ),
}
# Where a gradient needs trigamma (digamma's derivative): torch's is accurate to ~1e-9 relative only (measured
# against mpmath: 1.2e-9 at 0.7), the engine's to 1e-15 (test_distributions.py checks it against mpmath)
TRIGAMMA_RTOL = 5e-9
TRIGAMMA = {"Gamma", "Beta"}
CONTINUOUS_VALUES = {"Normal", "Laplace", "Gamma", "Beta", "Exponential", "MultivariateNormal"}


def _build(name: str, module: Any, params: dict[str, Any], values: Any) -> tuple[Any, dict[str, Any], Any]:
    """The distribution from ``module`` (ag's or torch's) with leaf parameters that require grad, and a value."""
    make = (
        (lambda a: ag.Tensor(np.array(a, dtype=float), requires_grad=True))
        if module is D
        else (lambda a: torch.tensor(np.array(a, dtype=float), requires_grad=True))
    )
    leaves = {k: make(v) for k, v in params.items()}
    cls = getattr(module, name.split("-")[0])
    discrete = name.startswith("Categorical")
    value = (ag.tensor(values) if module is D else torch.tensor(values)) if discrete else make(values)
    return cls(**leaves), leaves, value


def _np(t: Any) -> np.ndarray:
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def _grads(out_ag: Any, out_t: Any, leaves_ag: dict[str, Any], leaves_t: dict[str, Any], rtol: float = 1e-10) -> None:
    """The gradients of out.sum() in every leaf, ag against torch."""
    names = [k for k in leaves_ag]
    g_ag = ag.autograd.grad(out_ag.sum(), [leaves_ag[k] for k in names], allow_unused=True)
    g_t = torch.autograd.grad(out_t.sum(), [leaves_t[k] for k in names], allow_unused=True)
    for k, a, t in zip(names, g_ag, g_t, strict=True):
        a = np.zeros(leaves_ag[k].shape) if a is None else _np(a)
        t = np.zeros(leaves_ag[k].shape) if t is None else t.numpy()
        if k == "covariance_matrix":  # a symmetric input: only the symmetric part of its gradient is defined
            a, t = (a + a.T) / 2, (t + t.T) / 2
        np.testing.assert_allclose(a, t, rtol=rtol, atol=rtol, err_msg=k)


@pytest.mark.parametrize("name", list(CASES))
def test_log_prob_and_its_gradient_equal_torch(name: str) -> None:
    params, values, _ = CASES[name]
    d, leaves, value = _build(name, D, params, values)
    dt, leaves_t, value_t = _build(name, td, params, values)
    lp, lp_t = d.log_prob(value), dt.log_prob(value_t)
    assert lp.shape == tuple(lp_t.shape)
    np.testing.assert_allclose(_np(lp), _np(lp_t), rtol=1e-10, atol=1e-12)
    if name.split("-")[0] in CONTINUOUS_VALUES:  # d log p / d x too
        leaves, leaves_t = {**leaves, "value": value}, {**leaves_t, "value": value_t}
    _grads(lp, lp_t, leaves, leaves_t)


@pytest.mark.parametrize("name", list(CASES))
def test_entropy_and_its_gradient_equal_torch(name: str) -> None:
    params, values, _ = CASES[name]
    (d, leaves, _), (dt, leaves_t, _) = _build(name, D, params, values), _build(name, td, params, values)
    h, h_t = d.entropy(), dt.entropy()
    np.testing.assert_allclose(_np(h), _np(h_t), rtol=1e-10, atol=1e-12)
    _grads(h, h_t, leaves, leaves_t, TRIGAMMA_RTOL if name in TRIGAMMA else 1e-10)


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("stat", ["mean", "variance", "stddev", "mode"])
def test_moments_and_mode_equal_torch(name: str, stat: str) -> None:
    params, values, _ = CASES[name]
    d, dt = _build(name, D, params, values)[0], _build(name, td, params, values)[0]
    if name == "Uniform" and stat == "mode":
        assert np.isnan(_np(d.mode)).all() and np.isnan(_np(dt.mode)).all()
        return
    np.testing.assert_allclose(_np(getattr(d, stat)), _np(getattr(dt, stat)), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", [n for n, case in CASES.items() if case[2] is not None])
def test_cdf_icdf_and_their_gradients_equal_torch(name: str) -> None:
    params, values, probs = CASES[name]
    (d, leaves, value), (dt, leaves_t, value_t) = _build(name, D, params, values), _build(name, td, params, values)
    c, c_t = d.cdf(value), dt.cdf(value_t)
    np.testing.assert_allclose(_np(c), _np(c_t), rtol=1e-10, atol=1e-12)
    _grads(c, c_t, {**leaves, "value": value}, {**leaves_t, "value": value_t})
    q, q_t = d.icdf(ag.Tensor(probs)), dt.icdf(torch.tensor(probs, dtype=torch.float64))
    np.testing.assert_allclose(_np(q), _np(q_t), rtol=1e-10, atol=1e-12)
    _grads(q, q_t, leaves, leaves_t)


def _noise_of(name: str, d: Any, z: np.ndarray) -> np.ndarray:
    """The parameter-free noise behind ag's draw z, read back (so torch can redo the same draw)."""
    if name == "Normal":
        return (z - _np(d.loc)) / _np(d.scale)
    if name == "Uniform":
        return (z - _np(d.low)) / (_np(d.high) - _np(d.low))
    if name == "Exponential":
        return z * _np(d.rate)
    return np.linalg.solve(_np(d.scale_tril), (z - _np(d.loc))[..., None])[..., 0]  # MultivariateNormal


def _torch_draw(name: str, leaves: dict[str, Any], noise: np.ndarray) -> Any:
    eps = torch.tensor(noise)
    if name == "Normal":
        return leaves["loc"] + leaves["scale"] * eps
    if name == "Uniform":
        return leaves["low"] + (leaves["high"] - leaves["low"]) * eps
    if name == "Exponential":
        return eps / leaves["rate"]
    scale_tril = torch.linalg.cholesky(leaves["covariance_matrix"])
    return leaves["loc"] + (scale_tril @ eps[..., None])[..., 0]


@pytest.mark.parametrize("name", ["Normal", "Uniform", "Exponential", "MultivariateNormal"])
def test_an_rsample_loss_has_torch_gradient_for_the_same_noise(name: str) -> None:
    """A VAE-style loss E[f(z)] estimated on rsample draws: its gradient in the parameters is torch's for the
    same draws (torch's reparameterisation applied to the noise ag used)."""
    params, values, _ = CASES[name]
    d, leaves, _ = _build(name, D, params, values)
    z = d.rsample((5,), generator=ag.Generator(3))
    loss = ((z - 0.3) ** 2 * z.sin()).mean()
    _, leaves_t, _ = _build(name, td, params, values)
    z_t = _torch_draw(name, leaves_t, _noise_of(name, d, _np(z)))
    np.testing.assert_allclose(_np(z), _np(z_t), rtol=1e-12, atol=1e-12)
    _grads(loss, ((z_t - 0.3) ** 2 * z_t.sin()).mean(), leaves, leaves_t)


# (p's class and keywords, q's class and keywords)
KL_PAIRS = [
    ("Normal", {"loc": [0.2, -1.0], "scale": [0.7, 1.8]}, "Normal", {"loc": [1.0, 0.5], "scale": [1.3, 0.4]}),
    ("Bernoulli", {"probs": [0.2, 0.9]}, "Bernoulli", {"logits": [0.4, -1.1]}),
    ("Categorical", {"probs": [[0.2, 0.5, 0.3]]}, "Categorical", {"logits": [[0.1, -0.4, 1.2], [0.0, 2.0, -1.0]]}),
    ("OneHotCategorical", {"logits": [0.3, 0.0, -0.5]}, "OneHotCategorical", {"probs": [0.6, 0.1, 0.3]}),
    ("Uniform", {"low": [-1.0, 0.5], "high": [2.0, 0.7]}, "Uniform", {"low": [-1.5, 0.6], "high": [2.0, 3.0]}),
    ("Uniform", {"low": [-1.0, 0.5], "high": [2.0, 0.7]}, "Normal", {"loc": [0.3, 1.0], "scale": [1.1, 0.6]}),
    ("Exponential", {"rate": [0.5, 2.0]}, "Exponential", {"rate": [1.5, 0.3]}),
    ("Laplace", {"loc": [0.0, 1.0], "scale": [1.0, 0.5]}, "Laplace", {"loc": [0.5, -1.0], "scale": [2.0, 0.7]}),
    (
        "Gamma",
        {"concentration": [0.8, 3.0], "rate": [1.0, 0.5]},
        "Gamma",
        {"concentration": [2.0, 1.5], "rate": [0.7, 2.0]},
    ),
    (
        "Beta",
        {"concentration1": [0.8, 3.0], "concentration0": [2.0, 1.2]},
        "Beta",
        {"concentration1": [1.5, 2.0], "concentration0": [0.9, 4.0]},
    ),
    (
        "MultivariateNormal",
        {"loc": [0.1, 0.2, -0.3], "scale_tril": TRIL},
        "MultivariateNormal",
        {"loc": [[1.0, 0.0, 0.0]], "covariance_matrix": SPD},
    ),
]


@pytest.mark.parametrize("pair", KL_PAIRS, ids=lambda pair: f"{pair[0]}-{pair[2]}")
def test_kl_divergence_and_its_gradients_equal_torch(pair: tuple[str, dict[str, Any], str, dict[str, Any]]) -> None:
    name_p, kw_p, name_q, kw_q = pair
    p, leaves_p, _ = _build(name_p, D, kw_p, 0.0)
    q, leaves_q, _ = _build(name_q, D, kw_q, 0.0)
    p_t, leaves_pt, _ = _build(name_p, td, kw_p, 0.0)
    q_t, leaves_qt, _ = _build(name_q, td, kw_q, 0.0)
    kl, kl_t = D.kl_divergence(p, q), td.kl_divergence(p_t, q_t)
    assert kl.shape == tuple(kl_t.shape)
    np.testing.assert_allclose(_np(kl), _np(kl_t), rtol=1e-10, atol=1e-12)
    prefixed = lambda leaves, s: {f"{s}{k}": v for k, v in leaves.items()}  # noqa: E731
    leaves = {**prefixed(leaves_p, "p."), **prefixed(leaves_q, "q.")}
    leaves_t = {**prefixed(leaves_pt, "p."), **prefixed(leaves_qt, "q.")}
    _grads(kl, kl_t, leaves, leaves_t, TRIGAMMA_RTOL if name_p in TRIGAMMA else 1e-10)


def test_kl_of_independent_normals_equals_torch() -> None:
    """A VAE's KL(q(z|x) ‖ N(0, I)) per example: Independent(Normal, 1) on both sides."""
    mu, log_sigma = np.array([[0.3, -0.2, 1.1], [0.0, 0.5, -0.7]]), np.array([[-0.5, 0.1, 0.3], [0.2, -1.0, 0.0]])
    mu_a, ls_a = ag.Tensor(mu, requires_grad=True), ag.Tensor(log_sigma, requires_grad=True)
    mu_t, ls_t = torch.tensor(mu, requires_grad=True), torch.tensor(log_sigma, requires_grad=True)
    kl = D.kl_divergence(
        D.Independent(D.Normal(mu_a, ls_a.exp()), 1), D.Independent(D.Normal(0.0, 1.0).expand((2, 3)), 1)
    )
    kl_t = td.kl_divergence(
        td.Independent(td.Normal(mu_t, ls_t.exp()), 1),
        td.Independent(td.Normal(torch.zeros(2, 3, dtype=torch.float64), 1.0), 1),
    )
    np.testing.assert_allclose(_np(kl), _np(kl_t), rtol=1e-12)
    _grads(kl, kl_t, {"mu": mu_a, "log_sigma": ls_a}, {"mu": mu_t, "log_sigma": ls_t})
