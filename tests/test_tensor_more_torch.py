"""Tensor's torch names added last (tensor_more_torch.py, tensor_random.py, functions_more_torch.py), checked without
torch: the CPU/dense queries, is_set_to, the log-normal/Cauchy/geometric fills against their distributions, igamma
against closed forms, prelu/hardshrink/orgqr/ormqr by finite differences, and every error message."""

import math

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.gradcheck import gradcheck
from nn import functional as F

FALSE_QUERIES = "is_sparse is_sparse_csr is_quantized is_meta is_nested is_mkldnn is_xla is_xpu is_mps is_ipu"
FALSE_QUERIES += " is_vulkan is_maia is_mtia"


# ------------------------------------------------------------------ queries
@pytest.mark.parametrize("t", [Tensor([[1.0, 2.0]]), ag.arange(3), Tensor(2.0, requires_grad=True) * 3])
def test_a_dense_cpu_tensor_answers_the_device_and_layout_queries(t):
    assert t.is_cpu is True and t.is_shared() is False
    assert [getattr(t, name) for name in FALSE_QUERIES.split()] == [False] * 13
    assert t.layout is ag.strided and repr(t.layout) == "torch.strided"


def test_output_nr_is_zero_for_leaves_and_op_outputs():
    x = Tensor([1.0, 2.0], requires_grad=True)
    values, indices = (x * 2).reshape(1, 2).max(0)
    assert [x.output_nr, (x * 2).output_nr, values.output_nr, indices.output_nr] == [0, 0, 0, 0]


def test_is_set_to_needs_the_same_memory_start_shape_and_strides():
    x = ag.zeros(6)
    assert x.is_set_to(x) and x.is_set_to(x[:]) and x[2:].is_set_to(x[2:])
    assert not x.is_set_to(ag.zeros(6))  # equal values, other memory
    assert not x.is_set_to(x.reshape(2, 3))  # same memory, other shape
    assert not x.is_set_to(x[::2]) and not x[1:].is_set_to(x[:-1])  # other strides; other start
    s = Tensor([1.0, 2.0]).sum()  # may be a numpy scalar: only itself is set to it
    assert s.is_set_to(s) and not s.is_set_to(Tensor(3.0))


def test_is_set_to_refuses_a_non_tensor():
    with pytest.raises(TypeError, match="is_set_to: compares two tensors, got ndarray; pass a Tensor"):
        ag.zeros(2).is_set_to(np.zeros(2))


# ------------------------------------------------------------------ random fills
def test_log_normal_fills_with_exp_of_normal_samples():
    ag.manual_seed(0)
    t = ag.zeros(40000).log_normal_(0.5, 0.25)
    logs = np.log(t.numpy())
    assert abs(logs.mean() - 0.5) < 0.01 and abs(logs.std() - 0.25) < 0.01
    default = np.log(ag.zeros(40000, dtype=ag.float32).log_normal_().numpy())  # torch's mean=1, std=2
    assert abs(default.mean() - 1) < 0.05 and abs(default.std() - 2) < 0.05


def test_cauchy_fills_with_median_and_quartiles_median_plus_minus_sigma():
    ag.manual_seed(1)
    samples = ag.zeros(40000).cauchy_(3.0, 0.5).numpy()
    np.testing.assert_allclose(np.quantile(samples, [0.25, 0.5, 0.75]), [2.5, 3.0, 3.5], atol=0.03)


@pytest.mark.parametrize("dtype", [ag.float64, ag.long])
def test_geometric_counts_trials_from_one_with_mean_one_over_p(dtype):
    ag.manual_seed(2)
    samples = ag.zeros(40000, dtype=dtype).geometric_(0.25).numpy()
    assert samples.dtype == np.dtype(dtype) and samples.min() == 1 and np.all(samples == np.round(samples))
    assert abs(samples.mean() - 4) < 0.08 and abs((samples == 1).mean() - 0.25) < 0.01


@pytest.mark.parametrize("fill", ["log_normal_", "cauchy_", "geometric_"])
def test_fills_follow_the_generator_and_refuse_a_leaf_that_requires_grad(fill):
    args = (0.3,) if fill == "geometric_" else ()
    g = ag.Generator().manual_seed(7)
    first = getattr(ag.zeros(5), fill)(*args, generator=g).numpy()
    np.testing.assert_array_equal(first, getattr(ag.zeros(5), fill)(*args, generator=g.manual_seed(7)).numpy())
    ag.manual_seed(3)
    again = getattr(ag.zeros(5), fill)(*args).numpy()
    ag.manual_seed(3)
    np.testing.assert_array_equal(again, getattr(ag.zeros(5), fill)(*args).numpy())
    with pytest.raises(RuntimeError, match=rf"{fill}\(\)"):
        getattr(ag.zeros(2, requires_grad=True), fill)(*args)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda t: t.log_normal_(1.0, 0.0), r"log_normal_: std must be > 0 \(the spread of the log\), got 0.0"),
        (lambda t: t.log_normal_(1.0, -2), "log_normal_: std must be > 0 .*got -2.0"),
        (lambda t: t.log_normal_("1"), "log_normal_: mean must be a finite number, got '1'"),
        (lambda t: t.cauchy_(0.0, 0.0), "cauchy_: the scale sigma must be > 0, got 0.0"),
        (lambda t: t.cauchy_(math.inf), "cauchy_: median must be a finite number, got inf"),
        (lambda t: t.geometric_(0), r"geometric_: p must be a probability in \(0, 1\) .*got 0.0"),
        (lambda t: t.geometric_(1.0), r"geometric_: p must be a probability in \(0, 1\) .*got 1.0"),
        (lambda t: t.geometric_(1.5), r"geometric_: p must be .*got 1.5"),
        (lambda t: t.geometric_(None), "geometric_: p must be a finite number, got None"),
    ],
)
def test_fill_arguments_are_checked_as_torch_checks_them(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call(ag.zeros(2))


@pytest.mark.parametrize("fill", ["log_normal_", "cauchy_"])
def test_continuous_fills_refuse_an_integer_tensor(fill):
    with pytest.raises(TypeError, match=rf"{fill}: fills a floating-point tensor, got int64; make it with dtype="):
        getattr(ag.zeros(2, dtype=ag.long), fill)()


# ------------------------------------------------------------------ igamma, igammac
def test_igamma_and_igammac_are_gammainc_and_gammaincc_with_closed_forms():
    a, x = Tensor([1.0, 1.0, 0.5, 3.0]), Tensor([0.5, 2.0, 2.0, 1.5])
    np.testing.assert_array_equal(a.igamma(x).numpy(), ag.special.gammainc(a, x).numpy())
    np.testing.assert_array_equal(ag.igammac(a, x).numpy(), ag.special.gammaincc(a, x).numpy())
    closed_p = [1 - math.exp(-0.5), 1 - math.exp(-2), math.erf(math.sqrt(2)), 1 - math.exp(-1.5) * (1 + 1.5 + 1.125)]
    np.testing.assert_allclose(ag.igamma(a, x).numpy(), closed_p, rtol=1e-13)
    np.testing.assert_allclose((a.igamma(x) + a.igammac(x)).numpy(), 1.0, rtol=1e-14)


def test_igamma_in_place_writes_the_values_and_refuses_an_integer_tensor():
    a = Tensor([1.0, 2.0])
    expected = ag.igammac(a, 1.0).numpy()
    assert a.igammac_(1.0) is a and np.array_equal(a.numpy(), expected)
    b = Tensor([1.0, 2.0])
    np.testing.assert_array_equal(b.igamma_(Tensor([0.5, 0.5])).numpy(), ag.igamma(Tensor([1.0, 2.0]), 0.5).numpy())
    with pytest.raises(TypeError, match="igamma_: the result is float64, which this int64 tensor cannot hold; cast"):
        ag.arange(1, 3).igamma_(Tensor([1.0, 1.0]))


def test_igamma_and_igammac_gradients_in_x_pass_gradcheck():
    a = Tensor([0.7, 2.5])
    assert gradcheck(lambda x: x.new_tensor(a.numpy()).igamma(x), [Tensor([0.4, 3.0], requires_grad=True)])
    assert gradcheck(lambda x: ag.igammac(a, x), [Tensor([0.4, 3.0], requires_grad=True)])


# ------------------------------------------------------------------ prelu, hardshrink
def test_prelu_values_gradients_and_nn_sharing_one_implementation():
    x = Tensor([[-2.0, 1.0, -0.5], [3.0, -1.0, 0.25]])
    w = Tensor([0.1, 0.2, 0.3])
    expected = np.where(x.numpy() > 0, x.numpy(), w.numpy() * x.numpy())
    np.testing.assert_array_equal(x.prelu(w).numpy(), expected)
    np.testing.assert_array_equal(ag.prelu(x, 0.25).numpy(), np.where(x.numpy() > 0, x.numpy(), 0.25 * x.numpy()))
    leaves = [x.detach().requires_grad_(), w.detach().requires_grad_()]
    assert gradcheck(lambda a, b: a.prelu(b), leaves)
    assert F.prelu is ag.prelu


def test_prelu_refuses_a_weight_that_fits_no_channel_count():
    with pytest.raises(
        ValueError, match=r"prelu: weight of shape \(2,\) does not fit an input of shape \(4, 3\) with 3"
    ):
        ag.zeros(4, 3).prelu(Tensor([0.1, 0.2]))


def test_hardshrink_values_gradients_and_nn_sharing_one_implementation():
    x = Tensor([-2.0, -0.4, 0.1, 0.6, 3.0], requires_grad=True)
    y = x.hardshrink()
    np.testing.assert_array_equal(y.numpy(), [-2.0, 0.0, 0.0, 0.6, 3.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 0.0, 0.0, 1.0, 1.0])
    assert gradcheck(lambda t: ag.hardshrink(t, 1.0), [Tensor([-2.0, 0.5, 1.5], requires_grad=True)])
    assert F.hardshrink is ag.hardshrink and ag.hardshrink(Tensor([0.5]), 0).tolist() == [0.5]


@pytest.mark.parametrize("lambd", [-0.5, math.nan, "1", True])
def test_hardshrink_refuses_a_lambd_that_is_no_dead_zone_width(lambd):
    with pytest.raises(
        ValueError, match=r"hardshrink: lambd must be a finite number >= 0 \(the width of the dead zone\)"
    ):
        Tensor([1.0]).hardshrink(lambd)


# ------------------------------------------------------------------ geqrf, orgqr, ormqr
@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (2, 4, 2)])
def test_geqrf_orgqr_ormqr_rebuild_a_and_q_is_orthonormal(shape):
    A = Tensor(np.random.default_rng(0).normal(size=shape))
    a, tau = A.geqrf()
    m, n = shape[-2:]
    Q, R = a.orgqr(tau), a.triu()[..., :n, :]
    np.testing.assert_allclose((Q @ R).numpy(), A.numpy(), atol=1e-12)
    np.testing.assert_allclose((Q.mT @ Q).numpy(), np.broadcast_to(np.eye(n), Q.mT.shape[:-1] + (n,)), atol=1e-12)
    np.testing.assert_allclose(a.ormqr(tau, A, transpose=True).triu().numpy(), a.triu().numpy(), atol=1e-12)
    C = Tensor(np.random.default_rng(1).normal(size=shape[:-2] + (m, 2)))
    full_q = a.ormqr(tau, ag.eye(m).expand(*shape[:-2], m, m))
    np.testing.assert_allclose(a.ormqr(tau, C).numpy(), (full_q @ C).numpy(), atol=1e-12)
    np.testing.assert_allclose(a.ormqr(tau, C.mT, left=False).numpy(), (C.mT @ full_q).numpy(), atol=1e-12)


def test_orgqr_and_ormqr_pass_gradcheck_and_geqrf_refuses_a_graph():
    a, tau = Tensor(np.random.default_rng(2).normal(size=(4, 2))).geqrf()
    leaves = [a.detach().requires_grad_(), tau.detach().requires_grad_()]
    assert gradcheck(lambda h, t: h.orgqr(t), leaves)
    other = Tensor(np.random.default_rng(3).normal(size=(3, 4)), requires_grad=True)
    assert gradcheck(lambda h, t, c: h.ormqr(t, c, left=False, transpose=True), [*leaves, other])
    with pytest.raises(ValueError, match=r"geqrf: is not differentiable .*call it on x\.detach"):
        Tensor([[1.0]], requires_grad=True).geqrf()


def test_orgqr_and_ormqr_name_the_shapes_they_refuse():
    a, tau = Tensor(np.eye(3, 2)).geqrf()
    with pytest.raises(ValueError, match=r"householder_product: needs A .* got A \(3, 2\) and tau \(3,\)"):
        a.orgqr(Tensor([1.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match=r"ormqr: other must have 3 rows \(Q is 3x3\), got shape \(2, 2\)"):
        a.ormqr(tau, ag.zeros(2, 2))
