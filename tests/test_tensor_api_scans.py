"""Scans, order statistics and reductions a torch user reaches for beyond the README (tensor_scans.py and
``ag.cumprod``...): each against a closed form or numpy, finite differences, torch where installed, and its
errors. Before, every name here raised AttributeError (``sum(dtype=)``/``mean(dtype=)``: TypeError)."""

import numpy as np
import pytest
from tensor_api_helpers import against_torch, gradcheck

import autograd_core as ag
from autograd_core import Tensor

RNG = np.random.default_rng(7)
X = RNG.standard_normal((3, 5))


def test_cumprod_values_and_its_gradient_through_zeros_is_the_product_of_the_others():
    x = Tensor([2.0, 0.0, 3.0, -1.5], requires_grad=True)
    assert x.cumprod(0).tolist() == np.cumprod(x.data).tolist()
    x.cumprod(0).sum().backward()
    # d/dx_k sum_i prod_{j<=i} x_j = sum_{i>=k} prod_{j<=i, j!=k} x_j: at x_1 = 0 only x_0's factor survives
    assert x.grad.tolist() == [1.0, 2.0 * (1 + 3.0 + 3.0 * -1.5), 0.0, 0.0]
    assert gradcheck(lambda t: t.cumprod(1), X) and gradcheck(lambda t: ag.cumprod(t, 0), X)
    assert gradcheck(lambda t: t.cumprod(0), [0.0, 1.5, -2.0, 0.0, 0.7])  # zeros: no division anywhere
    assert ag.tensor([True, True, False]).cumprod(0).dtype == np.int64  # as torch


def test_logcumsumexp_does_not_overflow_and_its_gradient_is_a_running_softmax():
    x = Tensor([1000.0, 1000.0, -1000.0, 0.0], requires_grad=True)
    np.testing.assert_allclose(
        x.logcumsumexp(0).data, [1000.0, 1000.0 + np.log(2), 1000.0 + np.log(2), 1000.0 + np.log(2)]
    )
    y = RNG.standard_normal(6)
    np.testing.assert_allclose(ag.logcumsumexp(Tensor(y), 0).data, np.logaddexp.accumulate(y), rtol=1e-14)
    assert gradcheck(lambda t: t.logcumsumexp(1), X)
    with pytest.raises(TypeError, match="logcumsumexp: needs a floating-point tensor, got int64"):
        ag.tensor([1, 2]).logcumsumexp(0)


def test_cummax_and_cummin_index_the_latest_tie_carry_nan_and_route_the_gradient_there():
    values, indices = Tensor([1.0, 3.0, 2.0, 3.0, 5.0]).cummax(0)
    assert values.tolist() == [1.0, 3.0, 3.0, 3.0, 5.0] and indices.tolist() == [0, 1, 1, 3, 4]
    assert Tensor([2.0, 1.0, 1.0, 4.0]).cummin(0).indices.tolist() == [0, 1, 2, 2]
    nan = Tensor([1.0, float("nan"), 5.0]).cummax(0)
    assert np.isnan(nan.values.data[1:]).all() and nan.indices.tolist() == [0, 1, 1]
    x = Tensor([[1.0, 3.0, 2.0]], requires_grad=True)
    x.cummax(1).values.sum().backward()
    assert x.grad.tolist() == [[1.0, 2.0, 0.0]]  # index 1 holds the max for two places
    assert gradcheck(lambda t: ag.cummin(t, 0).values, X)


def test_diff_is_the_forward_difference_with_prepend_append_and_order_n():
    x = Tensor([1.0, 4.0, 9.0, 16.0])
    assert x.diff().tolist() == [3.0, 5.0, 7.0] and x.diff(n=2).tolist() == [2.0, 2.0]
    assert x.diff(prepend=Tensor([0.0]), append=Tensor([25.0])).tolist() == [1.0, 3.0, 5.0, 7.0, 9.0]
    np.testing.assert_array_equal(ag.diff(Tensor(X), dim=0).data, np.diff(X, axis=0))
    assert ag.tensor([True, True, False]).diff().tolist() == [False, True]
    assert gradcheck(lambda t: t.diff(n=2, dim=1), X)
    with pytest.raises(ValueError, match="diff: n must be a non-negative int, got -1"):
        x.diff(n=-1)


def test_quantile_matches_numpy_for_every_interpolation_and_is_differentiable():
    for how in ("linear", "lower", "higher", "midpoint", "nearest"):
        np.testing.assert_allclose(
            Tensor(X).quantile(Tensor([0.1, 0.5, 0.9]), dim=1, interpolation=how).data,
            np.quantile(X, [0.1, 0.5, 0.9], axis=1, method=how),
            rtol=1e-14,
        )
    assert Tensor(X).quantile(0.3).shape == () and Tensor(X).quantile([0.3, 0.6], dim=0, keepdim=True).shape == (
        2,
        1,
        5,
    )
    np.testing.assert_allclose(ag.quantile(Tensor(X), 0.25).data, np.quantile(X, 0.25), rtol=1e-14)
    assert gradcheck(lambda t: t.quantile(Tensor([0.2, 0.7]), dim=1), X)
    assert Tensor([1.0, 2.0], dtype=np.float32).quantile(0.5).dtype == np.float32


def test_nanquantile_skips_nan_and_quantile_propagates_it():
    x = Tensor([[1.0, np.nan, 3.0, 4.0], [np.nan, np.nan, np.nan, np.nan]])
    np.testing.assert_allclose(x.nanquantile(0.5, dim=1).data[0], 3.0)
    assert np.isnan(x.nanquantile(0.5, dim=1).data[1]) and np.isnan(x.quantile(0.5, dim=1).data).all()
    np.testing.assert_allclose(
        ag.nanquantile(x[0], Tensor([0.0, 0.4, 1.0])).data, np.nanquantile(x.data[0], [0.0, 0.4, 1.0])
    )


def test_quantile_refuses_what_torch_refuses_with_the_reason():
    with pytest.raises(
        ValueError, match=r"quantile: q must be a number or a 1-d tensor of values in \[0, 1\], got 1.5"
    ):
        Tensor(X).quantile(1.5)
    with pytest.raises(ValueError, match="interpolation must be one of linear, lower"):
        Tensor(X).quantile(0.5, interpolation="cubic")
    with pytest.raises(TypeError, match="quantile: needs a floating-point tensor, got int64"):
        ag.tensor([1, 2]).quantile(0.5)


def test_median_is_the_lower_median_with_its_index_and_gradient_and_nanmedian_skips_nan():
    assert Tensor([4.0, 1.0, 3.0, 2.0]).median().item() == 2.0  # lower median, a value of the tensor
    values, indices = Tensor([[3.0, 1.0, 2.0], [9.0, 7.0, 8.0]]).median(dim=1)
    assert values.tolist() == [2.0, 8.0] and indices.tolist() == [2, 2]
    assert Tensor(X).median(0, keepdim=True).values.shape == (1, 5)
    x = Tensor([5.0, 1.0, 3.0], requires_grad=True)
    ag.median(x).backward()
    assert x.grad.tolist() == [0.0, 0.0, 1.0]
    assert np.isnan(Tensor([1.0, np.nan, 2.0]).median().item())
    assert Tensor([1.0, np.nan, 2.0, 7.0]).nanmedian().item() == 2.0
    assert gradcheck(lambda t: t.median(1).values, X)
    with pytest.raises(ValueError, match=r"median: dim 0 of shape \(0,\) is empty"):
        Tensor(np.zeros(0)).median(0)


def test_mode_finds_the_most_frequent_smallest_value_and_its_last_index():
    values, indices = Tensor([[1.0, 2.0, 2.0, 3.0, 3.0, 1.0], [5.0, 5.0, 4.0, 4.0, 0.0, 0.0]]).mode(1)
    assert values.tolist() == [1.0, 0.0] and indices.tolist() == [5, 5]
    x = Tensor([7.0, 2.0, 7.0], requires_grad=True)
    x.mode().values.backward()
    assert x.grad.tolist() == [0.0, 0.0, 1.0]
    assert ag.mode(Tensor([[1.0, 1.0], [2.0, 3.0]]), 0, keepdim=True).values.shape == (1, 2)


def test_count_nonzero_aminmax_std_mean_var_mean():
    t = Tensor([[0.0, 1.0, 2.0], [0.0, 0.0, 3.0]])
    assert t.count_nonzero().item() == 3 and ag.count_nonzero(t, dim=0).tolist() == [0, 1, 2]
    assert t.count_nonzero((0, 1)).dtype == np.int64
    low, high = ag.aminmax(t, dim=1)
    assert low.tolist() == [0.0, 0.0] and high.tolist() == [2.0, 3.0] and t.aminmax().max.item() == 3.0
    std, mean = ag.std_mean(Tensor(X), dim=1)
    np.testing.assert_allclose(std.data, X.std(axis=1, ddof=1), rtol=1e-14)
    np.testing.assert_allclose(mean.data, X.mean(axis=1), rtol=1e-14)
    var, mean = ag.var_mean(Tensor(X), 0, correction=0, keepdim=True)
    np.testing.assert_allclose(var.data, X.var(axis=0, keepdims=True), rtol=1e-14)
    assert mean.shape == (1, 5) and gradcheck(lambda t: sum(ag.var_mean(t, 1)), X)


def test_sum_and_mean_take_torch_s_dtype_argument():
    mask = ag.tensor([True, False, True])
    assert mask.sum(dtype=ag.float32).dtype == np.float32 and mask.sum(dtype=ag.float32).item() == 2.0
    assert ag.tensor([1, 2]).mean(dtype=ag.float64).item() == 1.5
    x = Tensor([1.0, 2.0], requires_grad=True)
    x.mean(dtype=np.float32).backward()  # the cast is recorded: the gradient comes back in x's dtype
    assert x.grad.dtype == np.float64 and x.grad.tolist() == [0.5, 0.5]
    assert Tensor(X).sum(dim=1, keepdim=True, dtype=np.float32).shape == (3, 1)


def test_scans_and_order_statistics_against_torch():
    torch = pytest.importorskip("torch")
    y = RNG.standard_normal((4, 6))
    y[1, 2] = 0.0
    against_torch(torch, lambda t: t.cumprod(1), lambda t: t.cumprod(1), y)
    against_torch(torch, lambda t: t.logcumsumexp(0), lambda t: t.logcumsumexp(0), y)
    against_torch(torch, lambda t: t.cummax(1).values, lambda t: t.cummax(1).values, y)
    against_torch(torch, lambda t: t.cummin(0).values, lambda t: t.cummin(0).values, y)
    against_torch(torch, lambda t: t.diff(dim=0), lambda t: t.diff(dim=0), y)
    q = [0.0, 0.25, 0.5, 0.9, 1.0]
    for how in ("linear", "lower", "higher", "midpoint", "nearest"):
        against_torch(
            torch,
            lambda t, h=how: t.quantile(Tensor(q), dim=1, interpolation=h),
            lambda t, h=how: t.quantile(torch.tensor(q, dtype=torch.float64), dim=1, interpolation=h),
            y,
        )
    against_torch(torch, lambda t: t.median(1).values, lambda t: t.median(1).values, y)
    assert Tensor(y).median(0).indices.tolist() == torch.tensor(y).median(0).indices.tolist()
    against_torch(torch, lambda t: t.median(), lambda t: t.median(), y)
    with_nan = np.where(RNG.uniform(size=(4, 6)) < 0.3, np.nan, y)
    np.testing.assert_allclose(
        Tensor(with_nan).nanquantile(0.3, dim=1).data, torch.tensor(with_nan).nanquantile(0.3, dim=1).numpy()
    )
    np.testing.assert_array_equal(
        Tensor(with_nan).nanmedian(1).values.data, torch.tensor(with_nan).nanmedian(1).values.numpy()
    )
    ints = RNG.integers(0, 3, (5, 9)).astype(np.float64)
    ours, theirs = Tensor(ints).mode(1), torch.tensor(ints).mode(1)
    assert ours.values.tolist() == theirs.values.tolist() and ours.indices.tolist() == theirs.indices.tolist()
    std, mean = ag.std_mean(Tensor(y), dim=0)
    tstd, tmean = torch.std_mean(torch.tensor(y), dim=0)
    np.testing.assert_allclose(std.data, tstd.numpy(), rtol=1e-14)
    np.testing.assert_allclose(mean.data, tmean.numpy(), rtol=1e-14)
