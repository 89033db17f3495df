"""Everyday PyTorch calls added late in the fifth audit: ag.mm / isclose / allclose / equal, Tensor.type,
nn.utils.parameters_to_vector / vector_to_parameters: values and gradients against closed forms, then torch."""

import numpy as np
import pytest

import autograd_core as ag
import nn
from autograd_core import Tensor


def test_mm_is_the_matrix_product_of_two_matrices_with_its_gradients_and_refuses_others():
    a = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    b = Tensor([[5.0], [6.0]], requires_grad=True)
    out = ag.mm(a, b)
    np.testing.assert_array_equal(out.data, [[17.0], [39.0]])
    out.sum().backward()
    np.testing.assert_array_equal(a.grad, [[5.0, 6.0], [5.0, 6.0]])  # d/da sum(a b) = 1 b^T
    np.testing.assert_array_equal(b.grad, [[4.0], [6.0]])  # a^T 1
    with pytest.raises(ValueError, match=r"mm: needs two 2-d tensors, got shapes \(2,\) and \(2, 1\)"):
        ag.mm(Tensor([1.0, 2.0]), b)


def test_isclose_allclose_and_equal_compare_values_as_torch_does():
    x = Tensor([1.0, 2.0, np.nan])
    close = ag.isclose(x, Tensor([1.0 + 1e-9, 2.1, np.nan]))
    assert close.dtype == np.bool_ and close.tolist() == [True, False, False]
    assert ag.isclose(x, [1.0, 2.0, np.nan], equal_nan=True).tolist() == [True, True, True]
    assert ag.isclose(Tensor([100.0]), Tensor([100.5]), rtol=1e-2).tolist() == [True]  # |d| <= atol + rtol |b|
    assert ag.allclose(Tensor([1.0, 2.0]), np.array([1.0, 2.0 + 1e-9])) is True
    assert ag.allclose(Tensor([1.0, 2.0]), Tensor([1.0, 2.5])) is False
    assert ag.equal(Tensor([1.0, 2.0]), Tensor([1.0, 2.0])) is True
    assert ag.equal(Tensor([1.0]), Tensor([1.0, 1.0])) is False  # shapes differ: not broadcast
    assert ag.equal(Tensor([np.nan]), Tensor([np.nan])) is False
    with pytest.raises(TypeError, match="expected numbers"):
        ag.isclose(Tensor([1.0]), ["a"])


def test_type_casts_like_to_and_names_the_dtype_without_an_argument():
    w = Tensor([1.5, -2.0], requires_grad=True)
    y = w.type(ag.float32)
    assert y.dtype == np.float32 and y.requires_grad
    (y * y).sum().backward()
    np.testing.assert_array_equal(w.grad, [3.0, -4.0])
    assert w.grad.dtype == np.float64  # the leaf's own dtype
    assert w.type() == "torch.DoubleTensor" and w.type(np.float64) is w  # PyTorch's spelling, not numpy's


def test_parameters_to_vector_and_back_round_trip_in_order_and_carry_gradients():
    model = nn.MLP([3, 4, 2], seed=0)
    params = list(model.parameters())
    vector = nn.utils.parameters_to_vector(params)
    assert vector.shape == (sum(p.size for p in params),)
    np.testing.assert_array_equal(vector.data, np.concatenate([p.data.ravel() for p in params]))
    (vector * vector).sum().backward()  # recorded: each parameter gets 2 p
    for p in params:
        np.testing.assert_array_equal(p.grad, 2 * p.data)
    stale = (params[0] * 1.0).sum()  # a graph that saved the first parameter
    arrays = [p.data for p in params]
    nn.utils.vector_to_parameters(np.arange(vector.size, dtype=np.float64), params)
    np.testing.assert_array_equal(nn.utils.parameters_to_vector(params).data, np.arange(vector.size))
    assert all(p.data is array for p, array in zip(params, arrays))  # written in place: optimizers keep theirs
    with pytest.raises(RuntimeError, match="modified in place"):
        stale.backward()
    with pytest.raises(
        ValueError, match=r"vector_to_parameters: expected a 1-d vector of 26 numbers .* got shape \(3,\)"
    ):
        nn.utils.vector_to_parameters(np.zeros(3), params)
    with pytest.raises(ValueError, match="parameters_to_vector: no parameters given"):
        nn.utils.parameters_to_vector([])


def test_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    np.testing.assert_allclose(ag.mm(Tensor(a), Tensor(b)).data, torch.mm(torch.tensor(a), torch.tensor(b)).numpy())
    x, y = rng.standard_normal(6), rng.standard_normal(6) * 1e-6
    y = x + y
    for rtol, atol in ((1e-5, 1e-8), (1e-9, 0.0), (0.0, 1e-7)):
        mine = ag.isclose(Tensor(x), Tensor(y), rtol=rtol, atol=atol).tolist()
        assert mine == torch.isclose(torch.tensor(x), torch.tensor(y), rtol=rtol, atol=atol).tolist()
        assert ag.allclose(Tensor(x), Tensor(y), rtol, atol) == torch.allclose(
            torch.tensor(x), torch.tensor(y), rtol, atol
        )
    layer = torch.nn.Linear(3, 2)
    mine = nn.Linear(3, 2)
    mine.load_state_dict({k: v.detach().numpy().copy() for k, v in layer.state_dict().items()})
    np.testing.assert_array_equal(
        nn.utils.parameters_to_vector(mine.parameters()).data,
        torch.nn.utils.parameters_to_vector(layer.parameters()).detach().numpy(),
    )


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 4), (2, 3, 2)])
def test_orthogonal_gives_orthonormal_rows_or_columns_times_the_gain(shape):
    w = Tensor(np.zeros(shape), requires_grad=True)
    assert nn.init.orthogonal_(w, gain=2.0, generator=0) is w
    flat = w.data.reshape(shape[0], -1)
    small = min(flat.shape)
    product = flat @ flat.T if flat.shape[0] <= flat.shape[1] else flat.T @ flat
    np.testing.assert_allclose(product, 4.0 * np.eye(small), atol=1e-12)  # gain**2 on the diagonal
    again = Tensor(np.zeros(shape))
    nn.init.orthogonal_(again, gain=2.0, generator=0)
    np.testing.assert_array_equal(again.data, w.data)  # a seed repeats it
    assert not np.allclose(nn.init.orthogonal_(Tensor(np.zeros(shape)), generator=1).data, w.data / 2)


def test_orthogonal_refuses_a_vector():
    with pytest.raises(ValueError, match=r"orthogonal_: needs a weight with at least 2 axes, got shape \(3,\)"):
        nn.init.orthogonal_(Tensor(np.zeros(3)))


def test_cosine_annealing_warm_restarts_restarts_at_each_period_and_resumes_from_its_state():
    opt = nn.optim.SGD([Tensor([0.0], requires_grad=True)], lr=1.0)
    scheduler = nn.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2, eta_min=0.1)
    lrs = [opt.param_groups[0]["lr"]] + [scheduler.step() for _ in range(14)]
    restarts = [t for t, lr in enumerate(lrs) if lr == 1.0]
    assert restarts == [0, 2, 6, 14]  # periods 2, 4, 8: T_0 (T_mult^n - 1) / (T_mult - 1)
    # inside a period, half a cosine from 1 to eta_min: at T_cur = T_i / 2 the middle, 0.55
    assert lrs[4] == pytest.approx(0.55) and lrs[10] == pytest.approx(0.55)
    assert min(lrs) > 0.1
    saved = scheduler.state_dict()
    fresh_opt = nn.optim.SGD([Tensor([0.0], requires_grad=True)], lr=1.0)
    fresh = nn.optim.lr_scheduler.CosineAnnealingWarmRestarts(fresh_opt, T_0=2, T_mult=2, eta_min=0.1)
    fresh.load_state_dict(saved)
    assert fresh.step() == scheduler.step()
    with pytest.raises(ValueError, match="T_0"):
        nn.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=0)


def test_cosine_annealing_warm_restarts_against_torch():
    torch = pytest.importorskip("torch")
    for T_0, T_mult, eta_min in ((3, 1, 0.0), (2, 2, 0.01), (1, 3, 0.0), (5, 2, 0.1)):
        w = torch.nn.Parameter(torch.zeros(1))
        opt = torch.optim.SGD([w], lr=1.0)
        theirs = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0, T_mult, eta_min)
        mine_opt = nn.optim.SGD([Tensor([0.0], requires_grad=True)], lr=1.0)
        mine = nn.optim.lr_scheduler.CosineAnnealingWarmRestarts(mine_opt, T_0, T_mult, eta_min)
        for _ in range(40):
            assert mine_opt.param_groups[0]["lr"] == pytest.approx(opt.param_groups[0]["lr"], rel=1e-12, abs=1e-15)
            opt.step()
            theirs.step()
            mine.step()


@pytest.mark.parametrize("amounts", [(1, 2), (0, 0, 2, 1), (1, 1, 1, 1), (-1, 2), (2, -1, 0, -1), (0, 0, 0, 0, 1, 0)])
def test_pad_matches_numpy_s_padding_and_cropping_and_sends_the_input_its_gradient(amounts):
    import nn.functional as F

    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    out = F.pad(x, amounts, value=7.0)
    expected = x.data
    for k in range(len(amounts) // 2):  # numpy's pad, with a negative amount as a crop
        axis, before, after = 2 - k, amounts[2 * k], amounts[2 * k + 1]
        index = [slice(None)] * 3
        index[axis] = slice(max(-before, 0), expected.shape[axis] - max(-after, 0))
        expected = expected[tuple(index)]
        widths = [(0, 0)] * 3
        widths[axis] = (max(before, 0), max(after, 0))
        expected = np.pad(expected, widths, constant_values=7.0)
    np.testing.assert_array_equal(out.data, expected)
    weights = rng.standard_normal(out.shape)
    (out * weights).sum().backward()
    ag.gradcheck(lambda t: (F.pad(t, amounts) * weights).sum(), [Tensor(x.data, requires_grad=True)])
    assert x.grad.shape == x.shape


def test_pad_refuses_what_it_cannot_do_by_name():
    import nn.functional as F

    x = Tensor(np.zeros((2, 3)))
    for bad, message in (
        ((1,), r"pad: expected \(before, after\) pairs of ints, at most 2 for a 2-d input, got \(1,\)"),
        ((1, 1, 1, 1, 1, 1), "at most 2"),
        ((1.5, 1), "pairs of ints"),
        ((-2, -2), r"crops more than axis 1's 3 elements"),
    ):
        with pytest.raises(ValueError, match=message):
            F.pad(x, bad)
    with pytest.raises(ValueError, match="pad: mode must be one of 'constant', 'reflect', 'replicate', 'circular'"):
        F.pad(x, (1, 1), mode="wrap")  # (reflect, once refused here, is a mode now: tests/test_norm_pad_padding.py)


def test_pad_against_torch():
    torch = pytest.importorskip("torch")
    import nn.functional as F

    rng = np.random.default_rng(1)
    data, weights = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 4, 5))
    x, tx = Tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    (F.pad(x, (2, -1, 0, 1), value=0.5) * weights).sum().backward()
    (torch.nn.functional.pad(tx, (2, -1, 0, 1), value=0.5) * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(
        F.pad(x, (2, -1, 0, 1), value=0.5).data,
        torch.nn.functional.pad(torch.tensor(data), (2, -1, 0, 1), value=0.5).numpy(),
    )
    np.testing.assert_allclose(x.grad, tx.grad.numpy())
