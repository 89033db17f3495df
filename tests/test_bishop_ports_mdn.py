"""Bishop, "Pattern Recognition and Machine Learning" (2006), section 5.6 "Mixture Density Networks", ported: the
network's outputs become the mixing coefficients (softmax (5.150)), the widths (exp (5.151)) and the means
(5.152) of a Gaussian mixture; the error is its negative log-likelihood (5.153). The engine's gradients with
respect to the output activations equal the book's (5.155)-(5.157), through the posterior responsibilities
gamma_nk (5.154); the whole network passes finite differences; and, trained on the book's inverse problem (x = t
+ 0.3 sin(2 pi t) + U(-0.1, 0.1), predicting t from x: Figures 5.19-5.21), it finds the three branches where x
has three inverses, which a least-squares network cannot (it averages them).

Where the spelling differs: the book's log-likelihood is a log of a sum of exponentials; here it is written with
``logsumexp`` over log_softmax + the log-density (the same number, stable when a component's density
underflows). The network is ``nn.MLP([1, 5, 3L], activation="tanh")`` (the book's 5 tanh hidden units, L = 3
components), trained with Adam (the book: BFGS).
"""

import itertools
import math

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core import Tensor

L = 3  # components


def mdn_nll(out, t):
    """(5.153): E = -sum_n ln sum_k pi_k(x_n) N(t_n | mu_k(x_n), sigma_k^2(x_n)), the activations in blocks
    [a^pi | a^sigma | a^mu]: pi = softmax(a^pi) (5.150), sigma = exp(a^sigma) (5.151), mu = a^mu (5.152)."""
    a_pi, a_sigma, mu = out[:, :L], out[:, L : 2 * L], out[:, 2 * L :]
    log_normal = -0.5 * math.log(2 * math.pi) - a_sigma - (t - mu) ** 2 / (2 * (2 * a_sigma).exp())
    return -(a_pi.log_softmax(axis=1) + log_normal).logsumexp(axis=1).sum()


def book_gradients(out, t):
    """(5.154)-(5.157): gamma_nk = pi_k N_nk / sum_l pi_l N_nl, dE/da^pi = pi - gamma, dE/da^mu = gamma (mu - t) /
    sigma^2, dE/da^sigma = -gamma ((t - mu)^2 / sigma^2 - 1) (one-dimensional targets)."""
    a_pi, a_sigma, mu = out[:, :L], out[:, L : 2 * L], out[:, 2 * L :]
    pi = np.exp(a_pi) / np.exp(a_pi).sum(axis=1, keepdims=True)
    sigma = np.exp(a_sigma)
    density = np.exp(-((t - mu) ** 2) / (2 * sigma**2)) / (np.sqrt(2 * np.pi) * sigma)
    gamma = pi * density / (pi * density).sum(axis=1, keepdims=True)
    return np.hstack([pi - gamma, -gamma * ((t - mu) ** 2 / sigma**2 - 1), gamma * (mu - t) / sigma**2])


def inverse_problem(n, seed=0):
    """Figure 5.19: t uniform on [0, 1], x = t + 0.3 sin(2 pi t) + U(-0.1, 0.1); the inverse maps x to t."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, 1, (n, 1))
    return t + 0.3 * np.sin(2 * np.pi * t) + rng.uniform(-0.1, 0.1, (n, 1)), t


def test_5_6_the_error_is_the_mixtures_negative_log_likelihood():
    rng = np.random.default_rng(30)
    out, t = rng.normal(size=(4, 3 * L)), rng.uniform(size=(4, 1))
    pi = np.exp(out[:, :L]) / np.exp(out[:, :L]).sum(axis=1, keepdims=True)
    sigma, mu = np.exp(out[:, L : 2 * L]), out[:, 2 * L :]
    density = np.exp(-((t - mu) ** 2) / (2 * sigma**2)) / np.sqrt(2 * np.pi * sigma**2)
    assert mdn_nll(Tensor(out), t).item() == pytest.approx(-np.log((pi * density).sum(axis=1)).sum(), rel=1e-13)
    far = out.copy()
    far[:, 2 * L :] += 60.0  # every density underflows to 0 in float64: the book's form is -ln 0 = inf
    assert np.isfinite(mdn_nll(Tensor(far), t).item())  # logsumexp keeps it finite


def test_5_6_the_output_gradients_are_the_books_responsibilities():
    rng = np.random.default_rng(31)
    out, t = Tensor(rng.normal(size=(6, 3 * L)), requires_grad=True), rng.uniform(size=(6, 1))
    mdn_nll(out, t).backward()
    np.testing.assert_allclose(out.grad, book_gradients(out.data, t), rtol=1e-11, atol=1e-13)
    gamma = book_gradients(out.data, t)[:, :L]  # pi - gamma sums to 0 over k: both are distributions
    np.testing.assert_allclose(gamma.sum(axis=1), 0, atol=1e-15)


def test_5_6_the_networks_gradient_passes_finite_differences_and_equals_torch():
    x, t = inverse_problem(5, seed=32)
    model = nn.MLP([1, 5, 3 * L], activation="tanh", seed=32)
    names, params = zip(*model.named_parameters())
    E = lambda *ps: mdn_nll(nn.func.functional_call(model, dict(zip(names, ps)), (x,)), t)  # noqa: E731
    assert ag.gradcheck(E, [Tensor(p.data, requires_grad=True) for p in params])
    torch = pytest.importorskip("torch")
    mdn_nll(model(x), t).backward()
    W1, b1, W2, b2 = (torch.tensor(p.data, requires_grad=True) for p in params)
    out = torch.tanh(torch.tensor(x) @ W1.T + b1) @ W2.T + b2
    a_pi, a_sigma, mu = out[:, :L], out[:, L : 2 * L], out[:, 2 * L :]
    log_normal = -0.5 * math.log(2 * math.pi) - a_sigma - (torch.tensor(t) - mu) ** 2 / (2 * torch.exp(2 * a_sigma))
    (-torch.logsumexp(torch.log_softmax(a_pi, dim=1) + log_normal, dim=1).sum()).backward()
    for ours, theirs in zip(params, (W1, b1, W2, b2)):
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-11, atol=1e-13)


def branches(x0):
    """The t with t + 0.3 sin(2 pi t) = x0 (the noise-free inverse), by bisection on a fine grid."""
    f = lambda t: t + 0.3 * np.sin(2 * np.pi * t) - x0  # noqa: E731
    grid = np.linspace(0, 1, 2001)
    roots = []
    for lo, hi in itertools.pairwise(grid):
        if f(lo) * f(hi) < 0 or f(lo) == 0:  # (a root on the grid counted once)
            for _ in range(60):
                mid = (lo + hi) / 2
                lo, hi = (mid, hi) if f(lo) * f(mid) > 0 else (lo, mid)
            roots.append((lo + hi) / 2)
    return np.array(roots)


@pytest.fixture(scope="module")
def trained():
    """The MDN and a least-squares network of the same size, trained on 300 points of the inverse problem."""
    x, t = inverse_problem(300)
    mdn, ls = nn.MLP([1, 5, 3 * L], activation="tanh", seed=0), nn.MLP([1, 5, 1], activation="tanh", seed=0)
    for model, loss in ((mdn, mdn_nll), (ls, lambda y, t: F.mse_loss(y, t, reduction="sum"))):
        opt = nn.optim.Adam(model.parameters(), lr=0.01)
        for _ in range(3000):
            opt.zero_grad()
            loss(model(x), t).backward()
            opt.step()
    return x, t, mdn, ls


def mixture_at(mdn, x0):
    out = mdn(np.array([[x0]])).data[0]
    pi = np.exp(out[:L] - out[:L].max())
    return pi / pi.sum(), np.exp(out[L : 2 * L]), out[2 * L :]


def test_5_6_the_trained_mdn_finds_the_three_branches(trained):
    x, t, mdn, ls = trained
    inverses = branches(0.5)
    assert len(inverses) == 3  # x = 0.5 has three inverses: t = 0.21, 0.5, 0.79
    pi, sigma, mu = mixture_at(mdn, 0.5)
    assert np.abs(np.sort(mu) - inverses).max() < 0.05 and pi.min() > 0.1  # one live component per branch
    assert sigma.max() < 0.1  # each narrow: the noise is U(-0.1, 0.1) in x
    pi, _, mu = mixture_at(mdn, 0.15)  # one inverse: one component takes (nearly) all the mass
    (only,) = branches(0.15)
    assert pi.max() > 0.9 and abs(mu[pi.argmax()] - only) < 0.05
    # Figure 5.19 (right): least squares fits one Gaussian per x; the mixture's likelihood is far higher
    var = F.mse_loss(ls(x), t).item()
    gaussian_nll = 0.5 * math.log(2 * math.pi * var) + 0.5  # per point: the best one Gaussian of that mean
    assert mdn_nll(mdn(x), t).item() / len(x) < gaussian_nll - 0.5  # measured: -1.19 against -0.21


def test_5_6_the_conditional_mean_and_variance_5_158_5_160(trained):
    _, _, mdn, ls = trained
    pi, sigma, mu = mixture_at(mdn, 0.5)
    mean = (pi * mu).sum()  # (5.158): the mean the least-squares network approximates
    variance = (pi * (sigma**2 + (mu - mean) ** 2)).sum()  # (5.160)
    assert abs(mean - ls(np.array([[0.5]])).data.item()) < 0.05
    assert variance > 4 * (pi * sigma**2).sum()  # most of it is the spread between branches, not their widths
