"""np.linalg's functions on Tensors run ag.linalg's (numpy_linalg.py): HIPS autograd's way of writing linear
algebra, which was refused by name before (``np.linalg.inv(t)``). Each call's value equals numpy's on the
arrays and is recorded; HIPS's examples/gaussian_process.py (its log marginal likelihood through
``np.linalg.solve`` and ``slogdet``) runs as written, its gradient checked by finite differences and, where
installed, against scipy's density and HIPS autograd's own gradient."""

import math

import numpy as np
import pytest
from linalg_helpers import gradchecks, rng, well_conditioned

from autograd_core import Tensor

A = well_conditioned(rng(1), 3, 3)
SPD = A @ A.T + np.eye(3)
TALL = rng(2).standard_normal((5, 3))


@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("inv", lambda a: np.linalg.inv(a)),
        ("det", lambda a: np.linalg.det(a)),
        ("slogdet", lambda a: np.linalg.slogdet(a).logabsdet),
        ("solve", lambda a: np.linalg.solve(a, np.arange(3.0))),
        ("pinv", lambda a: np.linalg.pinv(a)),
        ("matrix_power", lambda a: np.linalg.matrix_power(a, 3)),
        ("norm_2", lambda a: np.linalg.norm(a, 2)),
        ("norm_nuc_axes", lambda a: np.linalg.norm(a, "nuc", axis=(1, 0))),
        ("norm_rows", lambda a: np.linalg.norm(a, -math.inf, axis=1, keepdims=True)),
        ("matrix_norm", lambda a: np.linalg.matrix_norm(a, ord=1)),
        ("vector_norm", lambda a: np.linalg.vector_norm(a, ord=3, axis=0)),
        ("cond", lambda a: np.linalg.cond(a, "fro")),
        ("multi_dot", lambda a: np.linalg.multi_dot([a, a.T, a])),
        ("svdvals", lambda a: np.linalg.svd(a, compute_uv=False)),
        ("qr_r", lambda a: np.abs(np.linalg.qr(a, mode="r"))),
        ("eigvalsh", lambda a: np.linalg.eigvalsh(a @ a.T)),
        ("cholesky", lambda a: np.linalg.cholesky(a @ a.T + np.eye(3))),
        ("diagonal", lambda a: np.linalg.diagonal(a, offset=1)),
    ],
)
def test_np_linalg_on_a_tensor_is_recorded_and_equals_numpys_value(name, call):
    t = Tensor(A, requires_grad=True)
    out = call(t)
    assert isinstance(out, Tensor) and out.requires_grad, name
    np.testing.assert_allclose(out.data, call(A), rtol=1e-12, atol=1e-14)
    gradchecks(call, [A], second_order=False)


def test_np_linalg_lstsq_and_rank_keep_numpys_result_shapes():
    b = rng(3).standard_normal(5)
    ours = np.linalg.lstsq(Tensor(TALL, requires_grad=True), Tensor(b))
    theirs = np.linalg.lstsq(TALL, b)
    for got, want in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(np.asarray(got.data if isinstance(got, Tensor) else got), want, rtol=1e-12)
    assert ours[2] == 3 and isinstance(ours[2], int)
    assert np.linalg.matrix_rank(Tensor(np.ones((3, 3)))).item() == np.linalg.matrix_rank(np.ones((3, 3))) == 1


def test_integer_input_is_made_float64_as_numpy_does():
    m = Tensor(np.array([[2, 0], [0, 4]]))
    assert np.linalg.det(m).item() == pytest.approx(8.0) and np.linalg.norm(m).dtype == np.float64


def test_np_linalg_eig_stays_refused_naming_what_to_write():
    with pytest.raises(TypeError, match=r"np.linalg.eig is not implemented for Tensors.*ag.linalg.eigh\(A\)"):
        np.linalg.eig(Tensor(SPD))
    with pytest.raises(TypeError, match=r"np.linalg.eigvals is not implemented.*ag.linalg.eigvalsh\(A\)"):
        np.linalg.eigvals(Tensor(SPD))


# ------------------------------------------------------------------ HIPS examples/gaussian_process.py, as written
def rbf_covariance(kernel_params, x, xp):
    output_scale = np.exp(kernel_params[0])
    lengthscales = np.exp(kernel_params[1:])
    diffs = np.expand_dims(x / lengthscales, 1) - np.expand_dims(xp / lengthscales, 0)
    return output_scale * np.exp(-0.5 * np.sum(diffs**2, axis=2))


def mvn_logpdf(y, mean, cov):
    """autograd.scipy.stats.multivariate_normal.logpdf, in np.linalg's terms."""
    residual = y - mean
    _, logabsdet = np.linalg.slogdet(cov)
    return -0.5 * (len(y) * np.log(2 * np.pi) + logabsdet + np.dot(residual, np.linalg.solve(cov, residual)))


def log_marginal_likelihood(params, x, y):
    mean, noise_scale, cov_params = params[0], np.exp(params[1]) + 0.0001, params[2:]
    cov_y_y = rbf_covariance(cov_params, x, x) + noise_scale * np.eye(len(y))
    return mvn_logpdf(y, mean * np.ones(len(y)), cov_y_y)


def gp_data():
    random = rng(4)
    x = np.concatenate([np.linspace(0, 3, 9), np.linspace(6, 8, 9)])[:, None]
    y = np.cos(x[:, 0]) + random.standard_normal(18) * 0.1
    return x, (y - y.mean()) / y.std()


def test_gaussian_process_log_marginal_likelihood_runs_as_hips_writes_it_and_its_gradient_is_right():
    x, y = gp_data()
    params = np.array([0.1, -1.0, 0.2, 0.3])  # mean, log noise, log output scale, log lengthscale
    value = log_marginal_likelihood(Tensor(params), x, y)
    assert isinstance(value, Tensor) and np.isfinite(value.item())
    gradchecks(lambda p: log_marginal_likelihood(p, x, y), [params])


def test_gaussian_process_fit_by_gradient_ascent_raises_the_likelihood():
    x, y = gp_data()
    params = Tensor(np.array([0.0, -1.0, 0.0, 0.0]), requires_grad=True)
    start = log_marginal_likelihood(params, x, y).item()
    for _ in range(60):
        params.grad = None
        log_marginal_likelihood(params, x, y).backward()
        params.data = params.data + 0.01 * params.grad
    assert log_marginal_likelihood(params, x, y).item() > start + 1.0


def test_gaussian_process_against_scipy_and_hips_autograd():
    scipy_stats = pytest.importorskip("scipy.stats")
    x, y = gp_data()
    params = np.array([0.1, -1.0, 0.2, 0.3])
    cov = rbf_covariance(params[2:], x, x) + (np.exp(params[1]) + 0.0001) * np.eye(len(y))
    expected = scipy_stats.multivariate_normal.logpdf(y, params[0] * np.ones(len(y)), cov)
    assert log_marginal_likelihood(Tensor(params), x, y).item() == pytest.approx(expected, rel=1e-12)
    hips = pytest.importorskip("autograd")
    import autograd.numpy as anp

    def hips_likelihood(p):
        lengthscales = anp.exp(p[3:])
        diffs = anp.expand_dims(x / lengthscales, 1) - anp.expand_dims(x / lengthscales, 0)
        k = anp.exp(p[2]) * anp.exp(-0.5 * anp.sum(diffs**2, axis=2)) + (anp.exp(p[1]) + 0.0001) * anp.eye(len(y))
        r = y - p[0]
        return -0.5 * (len(y) * anp.log(2 * anp.pi) + anp.linalg.slogdet(k)[1] + anp.dot(r, anp.linalg.solve(k, r)))

    t = Tensor(params, requires_grad=True)
    log_marginal_likelihood(t, x, y).backward()
    np.testing.assert_allclose(t.grad, hips.grad(hips_likelihood)(params), rtol=1e-10)
