"""The second batch of ``ag.distributions`` (LogNormal, HalfNormal, Cauchy, Gumbel, Poisson, Binomial, Geometric,
Chi2, StudentT, Dirichlet)
against ``torch.distributions`` (the oracle, float64, to 1e-10): log_prob, entropy, mean, variance, stddev,
mode, cdf and icdf, their gradients in the parameters, and the registered KL pairs with their gradients.
The properties without torch are in test_distributions_more.py."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import distributions as D

torch = pytest.importorskip("torch")
td = torch.distributions

P3 = [0.1, 0.5, 0.97]
# name: (class name, constructor keywords (the first ones differentiable), values, probabilities for icdf or None)
CASES: dict[str, tuple[str, dict[str, Any], Any, Any]] = {
    "LogNormal": ("LogNormal", {"loc": [0.3, -1.2, 2.0], "scale": [0.5, 1.5, 0.8]}, [0.4, 2.0, 9.0], P3),
    "HalfNormal": ("HalfNormal", {"scale": [0.5, 1.5, 2.5]}, [0.1, 2.0, 3.3], P3),
    "Cauchy": ("Cauchy", {"loc": [0.0, 1.0, -2.0], "scale": [1.0, 0.3, 2.0]}, [0.5, 0.7, -4.0], P3),
    "Gumbel": ("Gumbel", {"loc": [0.0, 1.0, -2.0], "scale": [1.0, 0.3, 2.0]}, [0.5, 0.7, -4.0], P3),
    "HalfCauchy": ("HalfCauchy", {"scale": [0.5, 1.5, 2.5]}, [0.1, 2.0, 30.0], P3),
    "Poisson": ("Poisson", {"rate": [0.5, 2.0, 7.5]}, [0.0, 3.0, 6.0], None),
    "Geometric": ("Geometric", {"probs": [0.2, 0.5, 0.9]}, [0.0, 3.0, 1.0], None),
    "Geometric-logits": ("Geometric", {"logits": [-1.5, 0.3, 2.5]}, [4.0, 0.0, 2.0], None),
    "Binomial": ("Binomial", {"probs": [0.2, 0.5, 0.9], "total_count": 6.0}, [0.0, 3.0, 6.0], None),
    "Binomial-logits": ("Binomial", {"logits": [-1.5, 0.3, 2.5], "total_count": 4.0}, [1.0, 4.0, 2.0], None),
    "Chi2": ("Chi2", {"df": [0.7, 3.0, 10.0]}, [0.4, 2.0, 9.0], None),
    "StudentT": ("StudentT", {"df": [0.8, 1.5, 6.0], "loc": [0.3, -1.0, 2.0], "scale": [0.5, 1.5, 2.5]}, P3, None),
    "Dirichlet": ("Dirichlet", {"concentration": [[0.7, 2.0, 3.5], [1.5, 1.2, 4.0]]}, [[0.2, 0.3, 0.5]], None),
}
# Where a gradient needs trigamma (digamma's derivative): torch's is accurate to ~1e-9 relative only (see
# test_distributions_torch.py's TRIGAMMA_RTOL, measured against mpmath)
TRIGAMMA = {"Chi2", "StudentT", "Dirichlet"}
IS_COUNT = {"total_count"}.__contains__  # a count: a constant, no gradient


def _build(case: str, module: Any) -> tuple[Any, dict[str, Any]]:
    cls, params, _, _ = CASES[case]
    leaves: dict[str, Any] = {}
    for k, v in params.items():
        array = np.array(v, dtype=float)
        if IS_COUNT(k):
            leaves[k] = ag.Tensor(array) if module is D else torch.tensor(array)
        else:
            leaves[k] = ag.Tensor(array, requires_grad=True) if module is D else torch.tensor(array, requires_grad=True)
    return getattr(module, cls)(**leaves), leaves


def _value_and_grads(case: str, module: Any, f: Any) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    d, leaves = _build(case, module)
    out = f(d)
    grads: dict[str, np.ndarray] = {}
    finite = np.isfinite(out.detach().numpy())
    if finite.all() and out.requires_grad:  # (torch's constant modes have no graph)
        (
            out * ag.Tensor(np.arange(1.0, 1 + out.numel())).reshape(out.shape)
            if module is D
            else out * torch.arange(1.0, 1 + out.numel(), dtype=torch.float64).reshape(out.shape)
        ).sum().backward()
        for k, leaf in leaves.items():
            if leaf.requires_grad:
                g = leaf.grad
                grads[k] = np.zeros(leaf.shape) if g is None else _numpy(g)
    return out.detach().numpy(), grads


def _numpy(grad: Any) -> np.ndarray:
    return np.array(grad.detach().numpy() if hasattr(grad, "detach") else grad)


def _compare(case: str, f_ag: Any, f_torch: Any | None = None, grad_rtol: float = 1e-10) -> None:
    got, got_grads = _value_and_grads(case, D, f_ag)
    want, want_grads = _value_and_grads(case, td, f_torch or f_ag)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12, equal_nan=True)
    for k in got_grads.keys() - want_grads.keys():  # torch's is a constant: no dependence on the parameter
        np.testing.assert_array_equal(got_grads[k], 0.0)
    assert want_grads.keys() <= got_grads.keys()
    for k in want_grads:
        np.testing.assert_allclose(got_grads[k], want_grads[k], rtol=grad_rtol, atol=1e-12, err_msg=f"{case} d/d{k}")


def _tensor_of(module: Any, values: Any) -> Any:
    array = np.array(values, dtype=float)
    return ag.Tensor(array) if module is D else torch.tensor(array)


@pytest.mark.parametrize("case", CASES)
def test_log_prob_and_its_gradients_equal_torchs(case: str) -> None:
    values = CASES[case][2]
    _compare(case, lambda d: d.log_prob(_tensor_of(D, values)), lambda d: d.log_prob(_tensor_of(td, values)))


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("prop", ["mean", "variance", "stddev", "mode"])
def test_moments_and_mode_equal_torchs(case: str, prop: str) -> None:
    _compare(case, lambda d: getattr(d, prop))


@pytest.mark.parametrize("case", [c for c in CASES if not c.startswith("Poisson")])
def test_entropy_and_its_gradients_equal_torchs(case: str) -> None:
    _compare(case, lambda d: d.entropy(), grad_rtol=5e-9 if case in TRIGAMMA else 1e-10)


@pytest.mark.parametrize("case", [c for c, spec in CASES.items() if spec[3] is not None])
def test_cdf_icdf_and_their_gradients_equal_torchs(case: str) -> None:
    values, probs = CASES[case][2], CASES[case][3]
    _compare(case, lambda d: d.cdf(_tensor_of(D, values)), lambda d: d.cdf(_tensor_of(td, values)))
    _compare(case, lambda d: d.icdf(_tensor_of(D, probs)), lambda d: d.icdf(_tensor_of(td, probs)))


def test_gradient_through_the_value_equals_torchs() -> None:
    for cls, params in [("LogNormal", (0.3, 0.7)), ("Cauchy", (0.2, 1.3)), ("Gumbel", (0.2, 1.3))]:
        x_ag, x_t = ag.Tensor(1.7, requires_grad=True), torch.tensor(1.7, dtype=torch.float64, requires_grad=True)
        getattr(D, cls)(*params).log_prob(x_ag).backward()
        getattr(td, cls)(*(torch.tensor(p, dtype=torch.float64) for p in params)).log_prob(x_t).backward()
        assert x_ag.grad.item() == pytest.approx(x_t.grad.item(), rel=1e-12), cls


KL_PAIRS: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "LogNormal": ("LogNormal", {"loc": [0.3, -1.0], "scale": [0.5, 1.5]}, {"loc": [0.0, 0.5], "scale": [1.0, 0.7]}),
    "HalfNormal": ("HalfNormal", {"scale": [0.5, 1.5]}, {"scale": [1.0, 0.7]}),
    "Cauchy": ("Cauchy", {"loc": [0.3, -1.0], "scale": [0.5, 1.5]}, {"loc": [0.0, 0.5], "scale": [1.0, 0.7]}),
    "Gumbel": ("Gumbel", {"loc": [0.3, -1.0], "scale": [0.5, 1.5]}, {"loc": [0.0, 0.5], "scale": [1.0, 0.7]}),
    "Poisson": ("Poisson", {"rate": [0.5, 3.0]}, {"rate": [1.5, 2.0]}),
    "Geometric": ("Geometric", {"probs": [0.3, 0.8]}, {"probs": [0.6, 0.1]}),
    "Binomial": ("Binomial", {"probs": [0.3, 0.8], "total_count": 5.0}, {"probs": [0.6, 0.1], "total_count": 5.0}),
    "Chi2": ("Chi2", {"df": [0.5, 3.0]}, {"df": [2.0, 1.5]}),
    "Dirichlet": (
        "Dirichlet",
        {"concentration": [[0.7, 2.0, 3.5], [1.5, 1.2, 4.0]]},
        {"concentration": [2.0, 0.5, 1.0]},
    ),
}


@pytest.mark.parametrize("case", KL_PAIRS)
def test_kl_divergence_and_its_gradients_in_both_sides_equal_torchs(case: str) -> None:
    cls, kw_p, kw_q = KL_PAIRS[case]
    results = []
    for module in (D, td):
        leaves: list[Any] = []

        def make(kw: dict[str, Any], module: Any = module, leaves: list[Any] = leaves) -> Any:
            built = {}
            for k, v in kw.items():
                array = np.array(v, dtype=float)
                grad = not IS_COUNT(k)
                t = ag.Tensor(array, requires_grad=grad) if module is D else torch.tensor(array, requires_grad=grad)
                leaves.extend([t] if grad else [])
                built[k] = t
            return getattr(module, cls)(**built)

        kl = (D.kl_divergence if module is D else td.kl_divergence)(make(kw_p), make(kw_q))
        kl.sum().backward()
        results.append((kl.detach().numpy(), [_numpy(leaf.grad) for leaf in leaves]))
    (got, got_grads), (want, want_grads) = results
    np.testing.assert_allclose(got, want, rtol=1e-10)
    for g, w in zip(got_grads, want_grads, strict=True):
        np.testing.assert_allclose(g, w, rtol=5e-9 if case in TRIGAMMA else 1e-10, atol=1e-12)


def test_binomial_kl_with_more_trials_in_p_is_infinite_as_torchs() -> None:
    p, q = D.Binomial(6, probs=0.3), D.Binomial(5, probs=0.3)
    want = td.kl_divergence(td.Binomial(6, probs=torch.tensor(0.3)), td.Binomial(5, probs=torch.tensor(0.3)))
    assert D.kl_divergence(p, q).item() == want.item() == math.inf
    with pytest.raises(NotImplementedError, match="total_count below q's"):
        D.kl_divergence(q, p)


def _transformed(module: Any, leaves: list[Any]) -> Any:
    """A Normal through x -> loc + scale x, then exp, then sigmoid; each parameter a leaf."""
    loc, scale, a, b = leaves
    T = D.transforms if module is D else td.transforms
    transforms = [T.AffineTransform(a, b), T.ExpTransform(), T.AffineTransform(0.0, -1.0), T.SigmoidTransform()]
    return module.TransformedDistribution(module.Normal(loc, scale), transforms)


def test_transformed_distribution_log_prob_cdf_icdf_and_gradients_equal_torchs() -> None:
    results = []
    for module in (D, td):
        raw = [[0.3, -0.4], [0.7, 1.2], 0.5, [1.5, 0.8]]
        leaves = [
            ag.Tensor(np.array(v, dtype=float), requires_grad=True)
            if module is D
            else torch.tensor(np.array(v, dtype=float), requires_grad=True)
            for v in raw
        ]
        d = _transformed(module, leaves)
        y = _tensor_of(module, [0.2, 0.45])
        p = _tensor_of(module, [0.3, 0.8])
        outs = [d.log_prob(y), d.cdf(y), d.icdf(p)]
        sum(o.sum() * (i + 1) for i, o in enumerate(outs)).backward()
        results.append(([o.detach().numpy() for o in outs], [_numpy(leaf.grad) for leaf in leaves]))
    for got, want in zip(results[0][0] + results[0][1], results[1][0] + results[1][1], strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-13)


def test_transformed_rsample_is_the_transformed_base_draw_and_lognormal_is_normal_through_exp() -> None:
    d = _transformed(D, [ag.Tensor(v) for v in ([0.3, -0.4], [0.7, 1.2], 0.5, [1.5, 0.8])])
    base = d.base_dist.rsample((3,), generator=ag.Generator(2)).numpy()
    want = 1 / (1 + np.exp(np.exp(0.5 + np.array([1.5, 0.8]) * base)))
    np.testing.assert_allclose(d.rsample((3,), generator=ag.Generator(2)).numpy(), want, rtol=1e-14)
    lognormal = D.TransformedDistribution(D.Normal(0.3, 0.8), D.transforms.ExpTransform())
    t_lognormal = td.TransformedDistribution(td.Normal(*_tensor_of(td, [0.3, 0.8])), td.transforms.ExpTransform())
    x = [0.2, 1.0, 4.0]
    np.testing.assert_allclose(
        lognormal.log_prob(ag.Tensor(x)).numpy(), D.LogNormal(0.3, 0.8).log_prob(ag.Tensor(x)).numpy(), rtol=1e-14
    )
    np.testing.assert_allclose(
        lognormal.log_prob(ag.Tensor(x)).numpy(),
        t_lognormal.log_prob(torch.tensor(x, dtype=torch.float64)).numpy(),
        rtol=1e-12,
    )


def _mixture(module: Any, leaves: list[Any], multivariate: bool) -> Any:
    logits, loc, scale = leaves
    components = module.Normal(loc, scale)
    if multivariate:
        components = module.Independent(components, 1)
    return module.MixtureSameFamily(module.Categorical(logits=logits), components)


@pytest.mark.parametrize("multivariate", [False, True])
def test_mixture_same_family_log_prob_moments_cdf_and_gradients_equal_torchs(multivariate: bool) -> None:
    rng = np.random.default_rng(4)
    raw = [rng.normal(size=(2, 3)), rng.normal(size=(2, 3, 4) if multivariate else (2, 3))]
    raw.append(np.exp(rng.normal(size=raw[1].shape) / 2))
    x = rng.normal(size=(5, 2, 4) if multivariate else (5, 2))
    results = []
    for module in (D, td):
        leaves = [ag.Tensor(v, requires_grad=True) if module is D else torch.tensor(v, requires_grad=True) for v in raw]
        d = _mixture(module, leaves, multivariate)
        outs = [d.log_prob(_tensor_of(module, x)), d.mean, d.variance]
        if not multivariate:
            outs.append(d.cdf(_tensor_of(module, x)))
        sum(o.sum() * (i + 1) for i, o in enumerate(outs)).backward()
        results.append(([o.detach().numpy() for o in outs], [_numpy(leaf.grad) for leaf in leaves]))
    assert d.batch_shape == (2,) and tuple(d.event_shape) == ((4,) if multivariate else ())
    for got, want in zip(results[0][0] + results[0][1], results[1][0] + results[1][1], strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-13)


NB_AND_MULTINOMIAL: dict[str, tuple[str, dict[str, Any], Any]] = {
    "NegativeBinomial": ("NegativeBinomial", {"probs": [0.2, 0.5, 0.9], "total_count": [0.5, 3.0, 7.0]}, [0, 3, 12]),
    "NegativeBinomial-logits": ("NegativeBinomial", {"logits": [-1.5, 0.3, 2.5], "total_count": 4.0}, [1, 4, 2]),
    "Multinomial": ("Multinomial", {"probs": [[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]], "total_count": 5}, [[1, 4, 0]]),
    "Multinomial-logits": ("Multinomial", {"logits": [[0.3, -1.0, 2.0, 0.0]], "total_count": 6}, [[3, 0, 2, 1]]),
}


@pytest.mark.parametrize("case", NB_AND_MULTINOMIAL)
def test_negative_binomial_and_multinomial_equal_torchs_with_gradients(case: str) -> None:
    cls, params, values = NB_AND_MULTINOMIAL[case]
    results = []
    for module in (D, td):
        leaves, built = [], {}
        for k, v in params.items():
            if isinstance(v, int) or k == "total_count":
                built[k] = v if isinstance(v, int) else _tensor_of(module, v)
                continue
            array = np.array(v, dtype=float)
            leaf = ag.Tensor(array, requires_grad=True) if module is D else torch.tensor(array, requires_grad=True)
            leaves.append(leaf)
            built[k] = leaf
        d = getattr(module, cls)(**built)
        outs = [d.log_prob(_tensor_of(module, values)), d.mean, d.variance]
        outs += [d.mode] if cls == "NegativeBinomial" else []
        sum((o * (i + 1)).sum() for i, o in enumerate(outs[:3])).backward()
        results.append(([o.detach().numpy() for o in outs], [_numpy(leaf.grad) for leaf in leaves]))
    for got, want in zip(results[0][0] + results[0][1], results[1][0] + results[1][1], strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("cls", ["RelaxedBernoulli", "RelaxedOneHotCategorical"])
@pytest.mark.parametrize("kind", ["probs", "logits"])
def test_relaxed_log_prob_and_gradients_equal_torchs(cls: str, kind: str) -> None:
    if cls == "RelaxedBernoulli":
        raw = [0.2, 0.7, 0.95] if kind == "probs" else [-1.5, 0.3, 2.5]
        values = [0.1, 0.6, 0.99]
    else:
        raw = [[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]] if kind == "probs" else [[0.3, -1.0, 2.0], [0.0, 0.5, -0.5]]
        values = [[0.1, 0.6, 0.3], [0.05, 0.05, 0.9]]
    results = []
    for module in (D, td):
        make = (
            (lambda v: ag.Tensor(np.array(v, dtype=float), requires_grad=True))
            if module is D
            else (lambda v: torch.tensor(np.array(v, dtype=float), requires_grad=True))
        )
        leaves = [make(raw), make(0.6)]
        d = getattr(module, cls)(leaves[1], **{kind: leaves[0]})
        out = d.log_prob(_tensor_of(module, values))
        out.sum().backward()
        results.append([out.detach().numpy()] + [_numpy(leaf.grad) for leaf in leaves])
    for got, want in zip(*results, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
