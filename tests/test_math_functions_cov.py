"""``cov`` and ``corrcoef`` (torch.cov, torch.corrcoef; np.cov and np.corrcoef on a Tensor): numpy's values for
every weighting and correction, gradients against central differences and torch, and their bad inputs."""

import warnings

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor

RNG = np.random.default_rng(3)
DATA = RNG.standard_normal((3, 7))  # 3 variables, 7 observations
FW = np.array([1, 2, 1, 3, 1, 1, 2])
AW = RNG.uniform(0.2, 2.0, 7)


@pytest.mark.parametrize(
    "ours, numpys",
    [
        (dict(), dict()),
        (dict(correction=0), dict(bias=True)),
        (dict(correction=2), dict(ddof=2)),
        (dict(fweights=FW), dict(fweights=FW)),
        (dict(aweights=AW), dict(aweights=AW)),
        (dict(fweights=FW, aweights=AW, correction=0), dict(fweights=FW, aweights=AW, ddof=0)),
        (dict(fweights=FW, aweights=AW), dict(fweights=FW, aweights=AW)),
    ],
)
def test_cov_is_numpys(ours, numpys):
    np.testing.assert_allclose(ag.cov(Tensor(DATA), **ours).data, np.cov(DATA, **numpys), rtol=1e-13)
    np.testing.assert_allclose(Tensor(DATA).cov(**ours).data, np.cov(DATA, **numpys), rtol=1e-13)


def test_cov_of_one_variable_is_its_variance_and_corrcoef_its_bounds():
    x = Tensor([1.0, 2.0, 4.0, 7.0])
    assert ag.cov(x).shape == () and ag.cov(x).item() == pytest.approx(np.var(x.data, ddof=1), rel=1e-15)
    assert ag.corrcoef(x).item() == 1.0
    r = ag.corrcoef(Tensor(DATA)).data
    np.testing.assert_allclose(r, np.corrcoef(DATA), rtol=1e-13, atol=1e-15)
    assert (np.abs(r) <= 1).all() and np.allclose(np.diag(r), 1.0, rtol=0, atol=5e-16)


def test_numpys_signatures_on_a_tensor():
    x = Tensor(DATA.T, requires_grad=True)  # observations in rows: rowvar=False
    c = np.cov(x, rowvar=False, ddof=0)
    assert isinstance(c, Tensor) and c.requires_grad
    np.testing.assert_allclose(c.data, np.cov(DATA.T, rowvar=False, ddof=0), rtol=1e-13)
    np.testing.assert_allclose(np.corrcoef(x, rowvar=False).data, np.corrcoef(DATA.T, rowvar=False), rtol=1e-13)
    with pytest.raises(TypeError, match=r"np.cov\(..., y=, dtype=\) on a Tensor is not supported"):
        np.cov(x, y=x)


def test_gradients_against_central_differences():
    fw, aw = Tensor(FW), Tensor(AW)
    assert ag.gradcheck(lambda x: ag.cov(x, fweights=fw, aweights=aw), [Tensor(DATA, requires_grad=True)])
    assert ag.gradcheck(
        lambda x, w: ag.cov(x, aweights=w), [Tensor(DATA, requires_grad=True), Tensor(AW, requires_grad=True)]
    )
    assert ag.gradcheck(ag.corrcoef, [Tensor(DATA, requires_grad=True)])


@pytest.mark.parametrize("weighted", [False, True])
def test_values_and_gradients_match_torch(weighted):
    torch = pytest.importorskip("torch")
    x, tx = Tensor(DATA, requires_grad=True), torch.tensor(DATA, requires_grad=True)
    aw, taw = Tensor(AW, requires_grad=True), torch.tensor(AW, requires_grad=True)
    kwargs, tkwargs = (
        (dict(fweights=FW, aweights=aw), dict(fweights=torch.tensor(FW), aweights=taw)) if weighted else ({}, {})
    )
    weights = np.arange(9.0).reshape(3, 3)
    loss = (ag.cov(x, **kwargs) * weights).sum() + (ag.corrcoef(x) * weights).sum()
    tloss = (torch.cov(tx, **tkwargs) * torch.tensor(weights)).sum() + (
        torch.corrcoef(tx) * torch.tensor(weights)
    ).sum()
    np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-13)
    loss.backward()
    tloss.backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-11, atol=1e-13)
    if weighted:
        np.testing.assert_allclose(aw.grad, taw.grad.numpy(), rtol=1e-11, atol=1e-13)


def test_float32_stays_float32():
    x = Tensor(DATA.astype(np.float32), requires_grad=True)
    c = ag.corrcoef(x) + ag.cov(x, fweights=FW)
    c.sum().backward()
    assert c.dtype == np.float32 and x.grad.dtype == np.float32


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: ag.cov(Tensor(np.ones((2, 3, 4)))),
            ValueError,
            r"cov: input must have at most 2 dimensions.*\(2, 3, 4\)",
        ),
        (lambda: ag.cov(Tensor(DATA), fweights=AW), TypeError, r"cov: fweights must be integers .*float64"),
        (lambda: ag.cov(Tensor(DATA), aweights=FW), TypeError, r"cov: aweights must be floating-point .*int64"),
        (lambda: ag.cov(Tensor(DATA), aweights=-AW), ValueError, r"cov: aweights cannot be negative"),
        (lambda: ag.cov(Tensor(DATA), fweights=FW[:3]), ValueError, r"one weight per observation \(7.*shape \(3,\)"),
        (lambda: ag.cov(Tensor(DATA), correction=0.5), TypeError, r"cov: correction must be an int"),
    ],
)
def test_bad_input_is_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_no_degrees_of_freedom_warns_as_numpy_and_gives_inf_or_nan():
    message = r"cov: degrees of freedom <= 0 \(1 observations, correction=1\)"
    with pytest.warns(RuntimeWarning, match=message), np.errstate(all="ignore"):
        c = ag.cov(Tensor([[1.0], [2.0]]))
    assert not np.isfinite(c.data).any()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ag.cov(Tensor([[1.0], [2.0]]), correction=0)  # one observation, maximum likelihood: 0, no warning
