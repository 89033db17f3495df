"""Tensor's torch names added last, against torch itself: the queries' answers, is_set_to's, the fills' accepted
arguments and distributions, and igamma/prelu/hardshrink/geqrf/orgqr/ormqr values and gradients."""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor

torch = pytest.importorskip("torch")

QUERIES = "is_cpu is_sparse is_sparse_csr is_quantized is_meta is_nested is_mkldnn is_xla is_xpu is_mps is_ipu"
QUERIES += " is_vulkan is_maia is_mtia output_nr"


def _grad(fn, *arrays):
    """(value, gradients of value.sum()) through torch, float64."""
    leaves = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    out = fn(*leaves)
    out.sum().backward()
    return out.detach().numpy(), [leaf.grad.numpy() for leaf in leaves]


def _ag_grad(fn, *arrays):
    leaves = [Tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in arrays]
    out = fn(*leaves)
    out.sum().backward()
    return out.numpy(), [leaf.grad for leaf in leaves]


def test_queries_answer_as_torch_answers_for_a_dense_cpu_tensor():
    ours, theirs = Tensor([[1.0, 2.0]], requires_grad=True), torch.tensor([[1.0, 2.0]], requires_grad=True)
    for a, b in [(ours, theirs), (ours * 2, theirs * 2)]:
        assert [getattr(a, q) for q in QUERIES.split()] == [getattr(b, q) for q in QUERIES.split()]
        assert repr(a.layout) == repr(b.layout) == repr(ag.strided) and a.is_shared() == b.is_shared()


def test_is_set_to_agrees_with_torch():
    x, y = ag.zeros(6), torch.zeros(6)
    pairs = [
        (lambda t: t, lambda t: t),
        (lambda t: t, lambda t: t[:]),
        (lambda t: t[2:], lambda t: t[2:]),
        (lambda t: t, lambda t: t.reshape(2, 3)),
        (lambda t: t[::2], lambda t: t[::2]),
        (lambda t: t[1:], lambda t: t[:-1]),
        (lambda t: t, lambda t: t[::2]),
    ]
    assert [f(x).is_set_to(g(x)) for f, g in pairs] == [f(y).is_set_to(g(y)) for f, g in pairs]
    assert x.is_set_to(ag.zeros(6)) == y.is_set_to(torch.zeros(6)) is False


@pytest.mark.parametrize(
    "fill, args",
    [
        ("log_normal_", (1.0, 0.0)),
        ("log_normal_", (1.0, -1.0)),
        ("log_normal_", (0.0, 0.5)),
        ("cauchy_", (0.0, 0.0)),
        ("cauchy_", (0.0, -1.0)),
        ("cauchy_", (2.0, 3.0)),
        ("geometric_", (0.0,)),
        ("geometric_", (1.0,)),
        ("geometric_", (1.5,)),
        ("geometric_", (-0.1,)),
        ("geometric_", (0.5,)),
    ],
)
def test_fills_accept_and_refuse_the_arguments_torch_does(fill, args):
    def refused(call):
        try:
            call()
        except (ValueError, RuntimeError):
            return True
        return False

    assert refused(lambda: getattr(ag.zeros(3), fill)(*args)) == refused(lambda: getattr(torch.zeros(3), fill)(*args))


@pytest.mark.parametrize("fill, args", [("log_normal_", (0.2, 0.5)), ("cauchy_", (1.0, 2.0)), ("geometric_", (0.3,))])
def test_fills_draw_the_distribution_torch_draws(fill, args):
    ag.manual_seed(0)
    torch.manual_seed(0)
    ours = getattr(ag.zeros(60000), fill)(*args).numpy()
    theirs = getattr(torch.zeros(60000, dtype=torch.float64), fill)(*args).numpy()
    levels = [0.1, 0.25, 0.5, 0.75, 0.9]
    spread = np.quantile(theirs, 0.75) - np.quantile(theirs, 0.25)
    np.testing.assert_allclose(np.quantile(ours, levels), np.quantile(theirs, levels), atol=0.05 * spread)
    assert (ours.min() > 0) == (theirs.min() > 0) and (ours.min() == 1) == (theirs.min() == 1)  # the same support


@pytest.mark.parametrize("name", ["igamma", "igammac"])
def test_igamma_igammac_values_and_gradients_match_torch(name):
    rng = np.random.default_rng(0)
    a, x = rng.uniform(0.1, 8, 50), rng.uniform(0.01, 12, 50)
    want, want_grads = _grad(lambda v: getattr(torch.tensor(a), name)(v), x)  # (differentiable in x alone)
    got, got_grads = _ag_grad(lambda v: getattr(Tensor(a), name)(v), x)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(got_grads[0], want_grads[0], rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(getattr(ag, name)(a, x).numpy(), getattr(torch, name)(torch.tensor(a), torch.tensor(x)))


@pytest.mark.parametrize("weight", [[0.25], [0.1, -0.2, 0.3]])
def test_prelu_values_and_gradients_match_torch(weight):
    x = np.random.default_rng(1).normal(size=(4, 3, 2))
    want, want_grads = _grad(lambda u, w: u.prelu(w), x, np.array(weight))
    got, got_grads = _ag_grad(lambda u, w: u.prelu(w), x, np.array(weight))
    np.testing.assert_allclose(got, want, rtol=1e-15)
    for g, w in zip(got_grads, want_grads):
        np.testing.assert_allclose(g, w, rtol=1e-13)
    np.testing.assert_array_equal(
        ag.prelu(x, np.array(weight)).numpy(), torch.prelu(torch.tensor(x), torch.tensor(weight, dtype=torch.float64))
    )


@pytest.mark.parametrize("lambd", [0.5, 0.0, 1.3])
def test_hardshrink_values_and_gradients_match_torch(lambd):
    x = np.random.default_rng(2).normal(size=40)
    want, want_grads = _grad(lambda u: u.hardshrink(lambd), x)
    got, got_grads = _ag_grad(lambda u: u.hardshrink(lambd), x)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got_grads[0], want_grads[0])
    assert ag.hardshrink(x, lambd).tolist() == torch.hardshrink(torch.tensor(x), lambd).tolist()


@pytest.mark.parametrize("shape", [(5, 3), (3, 3), (2, 4), (2, 4, 2)])
def test_geqrf_matches_torch_signs_included(shape):
    A = np.random.default_rng(3).normal(size=shape)
    a, tau = Tensor(A).geqrf()
    want = torch.tensor(A).geqrf()
    np.testing.assert_allclose(a.numpy(), want.a.numpy(), atol=1e-13)
    np.testing.assert_allclose(tau.numpy(), want.tau.numpy(), atol=1e-13)
    assert not want.a.requires_grad  # not differentiable in torch either


@pytest.mark.parametrize("left, transpose", [(True, False), (True, True), (False, False), (False, True)])
def test_orgqr_ormqr_values_and_gradients_match_torch(left, transpose):
    rng = np.random.default_rng(4)
    a, tau = (t.numpy() for t in torch.tensor(rng.normal(size=(2, 4, 3))).geqrf())
    other = rng.normal(size=(2, 4, 5) if left else (2, 5, 4))
    want, want_grads = _grad(lambda h, t, c: h.ormqr(t, c, left=left, transpose=transpose), a, tau, other)
    got, got_grads = _ag_grad(lambda h, t, c: h.ormqr(t, c, left=left, transpose=transpose), a, tau, other)
    np.testing.assert_allclose(got, want, atol=1e-13)
    for g, w in zip(got_grads, want_grads):
        np.testing.assert_allclose(g, w, atol=1e-12)
    want_q, want_q_grads = _grad(lambda h, t: h.orgqr(t), a, tau)
    got_q, got_q_grads = _ag_grad(lambda h, t: h.orgqr(t), a, tau)
    np.testing.assert_allclose(got_q, want_q, atol=1e-13)
    for g, w in zip(got_q_grads, want_q_grads):
        np.testing.assert_allclose(g, w, atol=1e-12)
