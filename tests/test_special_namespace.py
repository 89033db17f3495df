"""ag.special (torch.special's names) and the composed special functions: xlogy, xlog1py, entr, logit, sinc, ndtr,
log_ndtr, exp2: values at their special points, gradients by finite differences, and torch where installed."""

import math

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor, special

RNG = np.random.default_rng(5)
TORCH_SPECIAL_NAMES = [  # torch.special's common functions: each is here under the same name
    "expit", "logit", "erf", "erfc", "erfinv", "gammaln", "digamma", "psi", "polygamma", "xlogy", "xlog1py", "entr",
    "logsumexp", "softmax", "log_softmax", "sinc", "ndtr", "log_ndtr", "exp2", "expm1", "log1p",
]  # fmt: skip


def leaf(values):
    return Tensor(np.array(values, dtype=float), requires_grad=True)


def test_the_namespace_has_torch_specials_names_and_maps_them_to_the_engines_ops():
    assert set(TORCH_SPECIAL_NAMES) <= set(special.__all__)
    assert special.expit is ag.sigmoid and special.erf is ag.erf and special.gammaln is ag.lgamma
    assert special.psi is ag.digamma and special.logsumexp is ag.logsumexp
    for name in ["lgamma", "digamma", "polygamma", "erfinv", "xlogy", "xlog1py", "logit", "special"]:
        assert name in ag.__all__ and hasattr(ag, name)


def test_xlogy_is_zero_where_x_is_zero_even_at_log_zero_and_keeps_nan():
    x, y = Tensor([0.0, 0.0, 0.0, 2.0, 0.0]), Tensor([0.0, np.inf, 3.0, np.e, np.nan])
    out = ag.xlogy(x, y).data
    assert out[:3].tolist() == [0.0, 0.0, 0.0] and out[3] == pytest.approx(2.0) and np.isnan(out[4])
    assert ag.xlogy(0.0, Tensor([0.0])).item() == 0.0  # a number operand, as torch
    assert ag.xlogy(Tensor([2.0]), 1.0).item() == 0.0


def test_xlogy_gradients_are_finite_at_x_zero_and_match_finite_differences():
    x, y = leaf([0.0, 0.0, 1.5, -2.0]), leaf([0.0, 2.0, 0.7, 3.0])
    ag.xlogy(x, y).sum().backward()
    # d/dx = log y (finite wherever y > 0, also at x = 0); d/dy = x / y (0 at x = 0)
    np.testing.assert_allclose(x.grad, [0.0, math.log(2.0), math.log(0.7), math.log(3.0)])
    np.testing.assert_allclose(y.grad, [0.0, 0.0, 1.5 / 0.7, -2.0 / 3.0])
    assert ag.gradcheck(ag.xlogy, [leaf(RNG.normal(size=(2, 3))), leaf(RNG.uniform(0.5, 2, (3,)))])


def test_xlog1py_is_accurate_for_tiny_y_and_zero_at_x_zero():
    assert ag.xlog1py(Tensor([3.0]), Tensor([1e-30])).item() == pytest.approx(3e-30, rel=1e-15)
    assert ag.xlog1py(Tensor([0.0, 0.0]), Tensor([-1.0, np.inf])).tolist() == [0.0, 0.0]
    assert ag.gradcheck(ag.xlog1py, [leaf(RNG.normal(size=4)), leaf(RNG.uniform(-0.5, 2, 4))])


def test_entr_logit_sinc_exp2_closed_forms():
    assert special.entr(Tensor([0.0, 1.0, 0.5, -1.0])).tolist() == [0.0, 0.0, 0.5 * math.log(2), -np.inf]
    p = np.array([0.1, 0.5, 0.8])
    np.testing.assert_allclose(ag.logit(ag.sigmoid(Tensor(np.log(p / (1 - p))))).data, np.log(p / (1 - p)))
    assert ag.logit(Tensor([0.0, 1.0]), eps=0.25).tolist() == pytest.approx([-math.log(3), math.log(3)])
    assert special.sinc(Tensor([0.0, 1.0, 0.5, -2.5])).data == pytest.approx(
        [1.0, 0.0, 2 / math.pi, 1 / (2.5 * math.pi)]
    )
    assert special.exp2(Tensor([10.0])).item() == pytest.approx(1024.0, rel=1e-15)


def test_sinc_gradient_at_zero_is_zero_and_elsewhere_matches_finite_differences():
    x = leaf([0.0, 0.3])
    special.sinc(x).sum().backward()
    assert x.grad[0] == 0.0
    assert ag.gradcheck(special.sinc, [leaf(RNG.uniform(0.1, 3, 5))])


def test_ndtr_is_the_normal_cdf_and_log_ndtr_stays_finite_far_in_the_tail():
    assert special.ndtr(Tensor([0.0])).item() == 0.5
    assert special.ndtr(Tensor([1.959963984540054])).item() == pytest.approx(0.975, rel=1e-14)
    assert special.ndtr(Tensor([-10.0])).item() == pytest.approx(7.6198530241605260659733e-24, rel=1e-14)
    # log Phi(x) = -x^2/2 - log(-x) - log(2 pi)/2 + log(1 - r + 3 r^2 - ...), r = 1/x^2, where Phi underflows to 0
    x = np.array([-100.0, -1e3, -1e5])
    r = 1 / x**2
    expected = -(x**2) / 2 - np.log(-x) - 0.5 * math.log(2 * math.pi) - r + 2.5 * r**2 - 37 / 3 * r**3
    np.testing.assert_allclose(special.log_ndtr(Tensor(x)).data, expected, rtol=1e-14)
    grid = np.linspace(-30, 12, 300)  # continuous across the branches at -10 and 0 (right side: log1p)
    assert np.all(np.diff(special.log_ndtr(Tensor(grid)).data) > 0)
    assert special.log_ndtr(Tensor([8.0])).item() == pytest.approx(-6.220960574271785e-16, rel=1e-12)


def test_composed_gradients_match_finite_differences():
    for fn, make in [
        (special.entr, lambda: RNG.uniform(0.1, 3, 5)),
        (lambda t: ag.logit(t), lambda: RNG.uniform(0.05, 0.95, 5)),
        (lambda t: ag.logit(t, eps=0.2), lambda: np.array([0.3, 0.5, 0.7])),
        (special.ndtr, lambda: RNG.normal(size=5)),
        (special.log_ndtr, lambda: np.array([-50.0, -10.5, -9.5, -2.0, 0.5, 3.0])),
        (special.exp2, lambda: RNG.normal(size=4)),
        (lambda t: special.softmax(t, 0), lambda: RNG.normal(size=4)),
        (lambda t: special.log_softmax(t, -1, dtype=np.float64), lambda: RNG.normal(size=(2, 3))),
    ]:
        assert ag.gradcheck(fn, [leaf(make())])


# ------------------------------------------------------------------ torch as an oracle
@pytest.mark.parametrize(
    "name, make",
    [
        ("xlogy", lambda: (np.array([0.0, 0.0, 1.5, -2.0, 0.3]), np.array([0.0, 2.0, 0.7, 3.0, 1e-300]))),
        ("xlog1py", lambda: (np.array([0.0, 1.5, -2.0]), np.array([-1.0, 1e-12, 3.0]))),
        ("entr", lambda: (np.array([0.0, 0.2, 1.0, 4.0, -1.0]),)),
        ("logit", lambda: (np.array([0.01, 0.5, 0.9]),)),
        ("sinc", lambda: (np.array([0.0, 0.25, -1.3, 4.0]),)),
        ("ndtr", lambda: (np.array([-1.0, 0.0, 2.0, 9.0]),)),  # (torch's ndtr loses the left tail: 0 at -10)
        ("log_ndtr", lambda: (np.array([-1e3, -60.0, -10.0001, -9.999, -3.0, 0.0, 1e-3, 5.0, 30.0]),)),
        ("exp2", lambda: (np.array([-3.0, 0.5, 10.0]),)),
    ],
)
def test_values_and_gradients_match_torch_special(name, make):
    torch = pytest.importorskip("torch")
    arrays = make()
    ours = [Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, torch_out = getattr(special, name)(*ours), getattr(torch.special, name)(*theirs)
    np.testing.assert_allclose(out.data, torch_out.detach().numpy(), rtol=1e-13, atol=0)
    finite = np.isfinite(out.data)
    ag.where(finite, out, 0.0).sum().backward()  # (entr's -inf left out)
    torch.where(torch.tensor(finite), torch_out, 0.0).sum().backward()
    for a, ta in zip(ours, theirs):
        torch_grad = ta.grad.numpy()
        where = np.isfinite(torch_grad) & (np.asarray(arrays[0]) != 0 if name in ("xlogy", "entr") else True)
        # torch's log_ndtr gradient at -1000 is 1000.00100003 where phi/Phi = 1000 + 1e-3 - 2e-9 + ... (ours)
        rtol = 1e-10 if name == "log_ndtr" else 1e-12
        np.testing.assert_allclose(a.grad[where], torch_grad[where], rtol=rtol, atol=1e-300)
