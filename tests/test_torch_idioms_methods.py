"""Tensor methods a second probe of everyday torch idioms (/work/wt/probe2_idioms.py) found missing: the in-place
pointwise methods (``abs_ neg_ exp_ log_ sqrt_ pow_ relu_ sigmoid_ tanh_ floor_ ceil_ round_ sign_ reciprocal_
addcmul_ addcdiv_ lerp_ index_fill_``), the random fills ``exponential_ bernoulli_ random_``, ``take_along_dim
reshape_as unfold nanmean new_empty get_device is_floating_point``, ``x.device.type``, and the seeding functions
of ``ag.random`` (``seed initial_seed get_rng_state set_rng_state``). Each was an AttributeError before. Checked
against numpy and closed forms, and against torch where installed.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag

RNG = np.random.default_rng(1)
A = RNG.standard_normal((3, 4))
POS = np.abs(A) + 0.5

# name: (the in-place call on a tensor `t`, numpy's answer, the input)
IN_PLACE = {
    "abs_": (lambda t: t.abs_(), np.abs(A), A),
    "neg_": (lambda t: t.neg_(), -A, A),
    "exp_": (lambda t: t.exp_(), np.exp(A), A),
    "log_": (lambda t: t.log_(), np.log(POS), POS),
    "sqrt_": (lambda t: t.sqrt_(), np.sqrt(POS), POS),
    "pow_": (lambda t: t.pow_(3), A**3, A),
    "relu_": (lambda t: t.relu_(), np.maximum(A, 0), A),
    "sigmoid_": (lambda t: t.sigmoid_(), 1 / (1 + np.exp(-A)), A),
    "tanh_": (lambda t: t.tanh_(), np.tanh(A), A),
    "floor_": (lambda t: t.floor_(), np.floor(A), A),
    "ceil_": (lambda t: t.ceil_(), np.ceil(A), A),
    "round_": (lambda t: t.round_(decimals=1), np.round(A, 1), A),
    "sign_": (lambda t: t.sign_(), np.sign(A), A),
    "reciprocal_": (lambda t: t.reciprocal_(), 1 / POS, POS),
    "addcmul_": (lambda t: t.addcmul_(t.new_tensor(A), t.new_tensor(POS), value=0.5), A + 0.5 * A * POS, A),
    "addcdiv_": (lambda t: t.addcdiv_(t.new_tensor(A), t.new_tensor(POS), value=2), A + 2 * A / POS, A),
    "lerp_": (lambda t: t.lerp_(t.new_zeros(3, 4), 0.25), 0.75 * A, A),
    "index_fill_": (lambda t: t.index_fill_(1, t.new_tensor([0, 2]).long(), -1.0), np.where([1, 0, 1, 0], -1.0, A), A),
}


@pytest.mark.parametrize("name", IN_PLACE)
def test_in_place_writes_the_value_into_the_same_tensor(name: str) -> None:
    """The result is the tensor itself, holding numpy's value of the out-of-place op."""
    call, expected, start = IN_PLACE[name]
    t = ag.tensor(start.copy())
    out = call(t)
    assert out is t
    np.testing.assert_allclose(t.numpy(), expected, rtol=1e-12)


@pytest.mark.parametrize("name", IN_PLACE)
def test_in_place_matches_torch(name: str) -> None:
    torch = pytest.importorskip("torch")
    call, _, start = IN_PLACE[name]
    ours, theirs = ag.tensor(start.copy()), torch.tensor(start.copy())
    call(ours), call(theirs)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


def test_in_place_refuses_a_leaf_that_requires_grad_and_runs_under_no_grad() -> None:
    """As add_: outside no_grad a trainable leaf is refused with the fix named; under no_grad it is updated."""
    w = ag.tensor([1.0, -2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"relu_\(\)"):
        w.relu_()
    with ag.no_grad():
        w.relu_()
    assert w.tolist() == [1.0, 0.0] and w.requires_grad


def test_random_fills() -> None:
    """exponential_ has mean 1 / rate, bernoulli_ a frequency near p, random_ integers in [low, high)."""
    ag.manual_seed(0)
    e = ag.zeros(20000).exponential_(4.0)
    assert (e.numpy() >= 0).all() and abs(e.numpy().mean() - 0.25) < 0.01
    b = ag.zeros(20000).bernoulli_(0.3)
    assert set(np.unique(b.numpy())) == {0.0, 1.0} and abs(b.numpy().mean() - 0.3) < 0.015
    r = ag.zeros(1000, dtype=ag.long).random_(3, 7)
    assert r.dtype == np.int64 and set(np.unique(r.numpy())) == {3, 4, 5, 6}
    assert set(np.unique(ag.zeros(500).random_(2).numpy())) == {0.0, 1.0}
    g = ag.Generator().manual_seed(5)
    first = ag.zeros(4).exponential_(generator=g).numpy()
    np.testing.assert_array_equal(first, ag.zeros(4).exponential_(generator=g.manual_seed(5)).numpy())
    with pytest.raises(ValueError, match="exponential_: the rate lambd must be > 0"):
        ag.zeros(2).exponential_(0.0)
    with pytest.raises(ValueError, match=r"bernoulli_: p must be a probability in \[0, 1\], got 1.5"):
        ag.zeros(2).bernoulli_(1.5)
    with pytest.raises(ValueError, match="random_: needs integers low < high"):
        ag.zeros(2).random_(5, 5)


def test_take_along_dim_method_and_its_gradient() -> None:
    """Each row's largest value; the gradient is 1 at the argmax (closed form) and matches torch's."""
    x = ag.tensor(A, requires_grad=True)
    picked = x.take_along_dim(x.argmax(1, keepdim=True), 1)
    np.testing.assert_array_equal(picked.numpy(), A.max(1, keepdims=True))
    picked.sum().backward()
    np.testing.assert_array_equal(x.grad, A.max(1, keepdims=True) == A)
    order = x.take_along_dim(x.argsort(1), 1)
    np.testing.assert_array_equal(order.numpy(), np.sort(A, 1))


def test_unfold_windows() -> None:
    """Sliding windows as a new last axis: numpy's sliding_window_view, stepped; torch agrees."""
    x = ag.tensor(A)
    for dim, size, step in [(1, 2, 1), (1, 3, 2), (0, 2, 1), (-1, 4, 1)]:
        expected = np.moveaxis(np.lib.stride_tricks.sliding_window_view(A, size, axis=dim), dim, dim)
        expected = np.take(expected, np.arange(0, expected.shape[dim], step), axis=dim)
        np.testing.assert_array_equal(x.unfold(dim, size, step).numpy(), expected)
    t = ag.tensor([1.0, 2.0, 3.0, 4.0, 5.0], requires_grad=True)
    t.unfold(0, 3, 1).sum().backward()
    assert t.grad.tolist() == [1.0, 2.0, 3.0, 2.0, 1.0]  # how many windows hold each element
    with pytest.raises(ValueError, match=r"unfold: needs 0 <= size <= 4 \(dimension 1 of shape \(3, 4\)\)"):
        x.unfold(1, 5, 1)


def test_unfold_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    np.testing.assert_array_equal(ag.tensor(A).unfold(1, 2, 2).numpy(), torch.tensor(A).unfold(1, 2, 2).numpy())
    np.testing.assert_array_equal(ag.tensor(A).unfold(0, 2, 1).numpy(), torch.tensor(A).unfold(0, 2, 1).numpy())


def test_small_methods() -> None:
    y = ag.tensor(A)
    assert y.reshape_as(ag.zeros(4, 3)).shape == (4, 3)
    assert y.new_empty(2, 5).shape == (2, 5) and y.new_empty((2,)).dtype == y.dtype
    assert y.get_device() == -1
    assert y.device.type == "cpu" and y.device == "cpu" and y.to(y.device) is not None
    nan = ag.tensor([[1.0, np.nan], [np.nan, np.nan]])
    np.testing.assert_array_equal(nan.nanmean(1).numpy(), [1.0, np.nan])


def test_rng_state_round_trip_and_seeds() -> None:
    """get/set_rng_state replays the same draws; seed() reseeds and initial_seed reports it."""
    state = ag.get_rng_state()
    a = ag.randn(3).numpy()
    ag.set_rng_state(state)
    np.testing.assert_array_equal(ag.randn(3).numpy(), a)
    assert ag.random.get_rng_state is ag.get_rng_state
    ag.random.manual_seed(11)
    assert ag.initial_seed() == 11
    s = ag.seed()
    assert ag.initial_seed() == s
    with pytest.raises(TypeError, match=r"set_rng_state: expects the dict ag\.get_rng_state"):
        ag.set_rng_state(np.zeros(3))
