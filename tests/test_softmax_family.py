"""The softmax family: its max shift is a recorded, detached op (max_shift); empty axes answer as PyTorch."""

import warnings

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.primitives import MaxShift
from autograd_core.primitives.lowering import NAMESPACE, as_code  # what lowered code may call, how it is written

EMPTY_CASES = [((3, 0), -1), ((0, 3), -1), ((0, 3), 0), ((2, 0, 4), (1, 2)), ((0,), 0), ((2, 0), None)]


def test_the_shift_is_recorded_detached_with_its_recipe():
    x = Tensor([[1.0, 5.0, 3.0], [-2.0, 0.0, 2.0]], requires_grad=True)
    y = x.log_softmax(axis=1)
    shifts = [t for t in ag.walk(y) if t.op == "max_shift"]
    assert len(shifts) == 1
    (shift,) = shifts
    assert shift.prim is MaxShift and shift.parents == (x,) and dict(shift.params) == {"axes": (1,)}
    assert not shift.requires_grad  # a constant for backward
    np.testing.assert_array_equal(shift.data, [[5.0], [2.0]])
    y.sum().backward()
    assert ag.gradcheck(lambda t: t.log_softmax(axis=1), x)


def test_the_shift_is_a_stop_gradient_and_keeps_non_finite_slices_finite():
    x = np.array([[-np.inf, -np.inf], [1.0, np.inf], [np.nan, 0.0]])
    np.testing.assert_array_equal(MaxShift.forward(x, axes=(1,)), [[0.0], [0.0], [0.0]])
    np.testing.assert_array_equal(MaxShift.vjp(0, np.ones((3, 1)), None, x, axes=(1,)), np.zeros((3, 2)))
    t = Tensor([[-np.inf, -np.inf]], requires_grad=True)
    np.testing.assert_array_equal(t.logsumexp(axis=1).data, [-np.inf])  # not nan


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
@pytest.mark.parametrize("repeat", [1, 32])  # 32: enough rows of 2 for the short-row path (_has_short_rows)
def test_the_shift_keeps_finite_maxima_and_zeroes_the_others_without_a_warning(dtype, repeat):
    big = np.finfo(dtype).max  # finite maxima whose squares overflow: they must stay
    rows = [[big, 0.0], [1.0, big], [-big, -big], [-0.0, -1.0], [np.inf, 1.0], [np.nan, 2.0], [-np.inf, -np.inf]]
    rows.append([3.0, -2.0])
    for x in (np.array(rows * repeat, dtype), np.array(rows[-1:] * repeat, dtype), np.zeros((0, 2), dtype)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            shift = MaxShift.forward(x, axes=(1,))
        row_max = x.max(axis=1, keepdims=True, initial=-np.inf)
        expected = np.where(np.isfinite(row_max), row_max, 0).astype(dtype)
        assert shift.shape == (len(x), 1) and shift.dtype == dtype
        np.testing.assert_array_equal(shift, expected)
        # its lowering (ag.compile's code for these shapes) gives the same bits, the sign of zero included
        names = dict(NAMESPACE, x=x)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            exec(as_code(MaxShift.lowered_forward(x, axes=(1,)), "y", dict(x0="x", axes=(1,), dest="None")), names)  # noqa: S102
        assert (np.signbit(names["y"]) == np.signbit(shift)).all() and names["y"].dtype == dtype
        np.testing.assert_array_equal(names["y"], shift)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape,axes", [((128, 10), (1,)), ((4, 40, 3), (2,)), ((40, 16), (1,)), ((128, 17), (1,))])
def test_the_short_row_path_gives_the_max_of_every_row(dtype, shape, axes):
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    x[3, ...] = 7.0  # a row of ties
    np.testing.assert_array_equal(MaxShift.forward(x, axes=axes), np.max(x, axis=axes, keepdims=True))
    np.testing.assert_array_equal(MaxShift.forward(x.T.copy().T, axes=axes), np.max(x, axis=axes, keepdims=True))


def test_a_compiled_softmax_shifts_exactly_as_eager():
    x = np.random.default_rng(1).standard_normal((64, 10))
    x[::7] = 0.0  # rows of +-0 ties, where the two reductions may pick different signs of zero
    x[1::7] = -0.0
    w = Tensor(np.eye(10), requires_grad=True)
    step = ag.compile(lambda X: (X @ w).log_softmax(axis=1).sum())
    for _ in range(3):  # trace, adopt the plan, replay
        w.grad = None
        compiled = step(Tensor(x)).data
    assert step.replay_count
    compiled_grad, w.grad = w.grad, None
    eager = (Tensor(x) @ w).log_softmax(axis=1).sum()
    eager.backward()
    assert compiled.tobytes() == eager.data.tobytes() and compiled_grad.tobytes() == w.grad.tobytes()


def test_without_grad_nothing_is_recorded():
    assert Tensor([[1.0, 2.0]]).softmax().is_leaf
    with ag.no_grad():
        assert Tensor([[1.0, 2.0]], requires_grad=True).softmax().is_leaf


@pytest.mark.parametrize("shape,axis", EMPTY_CASES)
def test_an_empty_axis_gives_empty_or_minus_infinity_without_a_warning(shape, axis):
    x = Tensor(np.zeros(shape), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        softmax, log_softmax = x.softmax(axis), x.log_softmax(axis)
        assert softmax.shape == log_softmax.shape == shape
        lse = x.logsumexp(axis)
        kept = x.logsumexp(axis, keepdims=True)
        expected_shape = np.zeros(shape).sum(axis=axis).shape
        assert lse.shape == expected_shape and kept.shape == np.zeros(shape).sum(axis=axis, keepdims=True).shape
        assert np.all(lse.data == -np.inf)  # true for an empty result too
        (softmax.sum() + log_softmax.sum()).backward()
        assert x.grad.shape == shape
        x.grad = None
        lse.sum().backward()
        assert x.grad.shape == shape


@pytest.mark.parametrize("shape,axis", EMPTY_CASES)
def test_an_empty_axis_matches_pytorch(shape, axis):
    torch = pytest.importorskip("torch")
    data = np.zeros(shape)
    dim = tuple(range(len(shape))) if axis is None else axis
    ours = Tensor(data, requires_grad=True)
    theirs = torch.tensor(data, requires_grad=True)
    for name in ("softmax", "log_softmax"):
        if isinstance(dim, tuple):
            continue  # torch's softmax takes one dim
        np.testing.assert_array_equal(
            getattr(ours, name)(axis).data, getattr(torch, name)(theirs, dim).detach().numpy()
        )
    for keepdims in (False, True):
        got = ours.logsumexp(axis, keepdims=keepdims)
        want = torch.logsumexp(theirs, dim, keepdim=keepdims)
        assert got.shape == tuple(want.shape)
        np.testing.assert_array_equal(got.data, want.detach().numpy())
        got.sum().backward()
        want.sum().backward()
        np.testing.assert_array_equal(ours.grad, theirs.grad.numpy())
