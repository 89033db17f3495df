"""Top-level torch functions a second probe of everyday idioms (/work/wt/probe2_idioms.py: 558 one-line idioms,
each run on ag and on torch and compared) found missing or refusing torch's spelling: the stacking family
(``hstack vstack dstack column_stack row_stack atleast_Nd``), the axis moves (``movedim moveaxis swapaxes
swapdims fliplr flipud ravel tile``), ``take_along_dim``, ``tril_indices triu_indices``, module-level forms of
methods (``amax amin argsort msort isinf isposinf isneginf numel is_floating_point argwhere inner clamp_min
rsqrt sgn nanmean``), ``fmax fmin deg2rad trapezoid cumulative_trapezoid``, ``where(condition)`` alone,
``tensordot(dims=)``, ``var_mean(unbiased=)``, ``sort(stable=)``. Each was an AttributeError or TypeError before.
Every check holds without torch (numpy's function of the same name, a closed form, finite differences); torch,
where installed, is a second oracle.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag

RNG = np.random.default_rng(0)
A = RNG.standard_normal((3, 4))
B = RNG.standard_normal((3, 4))
V = RNG.standard_normal(4)


def _np(t: object) -> object:
    if isinstance(t, ag.Tensor):
        return t.numpy()
    if isinstance(t, (tuple, list)):
        return [_np(e) for e in t]
    return t


# name: (ag/torch call taking the module as `m`, numpy's own answer or None)
CASES = {
    "hstack vectors": (lambda m: m.hstack([m.tensor(V), m.tensor(V)]), np.hstack([V, V])),
    "hstack matrices": (lambda m: m.hstack([m.tensor(A), m.tensor(B)]), np.hstack([A, B])),
    "vstack row + matrix": (lambda m: m.vstack([m.tensor(A), m.tensor(V)]), np.vstack([A, V])),
    "row_stack": (lambda m: m.row_stack([m.tensor(V), m.tensor(V)]), np.vstack([V, V])),
    "dstack": (lambda m: m.dstack([m.tensor(A), m.tensor(B)]), np.dstack([A, B])),
    "column_stack": (lambda m: m.column_stack([m.tensor(A.T), m.tensor(V)]), np.column_stack([A.T, V])),
    "atleast_1d": (lambda m: m.atleast_1d(m.tensor(2.0)), np.atleast_1d(2.0)),
    "atleast_2d": (lambda m: m.atleast_2d(m.tensor(V)), np.atleast_2d(V)),
    "atleast_3d vector": (lambda m: m.atleast_3d(m.tensor(V)), np.atleast_3d(V)),
    "atleast_3d matrix": (lambda m: m.atleast_3d(m.tensor(A)), np.atleast_3d(A)),
    "movedim": (lambda m: m.movedim(m.tensor(A[None]), 0, -1), np.moveaxis(A[None], 0, -1)),
    "moveaxis tuples": (lambda m: m.moveaxis(m.tensor(A[None]), (0, 1), (2, 0)), np.moveaxis(A[None], (0, 1), (2, 0))),
    "swapaxes": (lambda m: m.swapaxes(m.tensor(A), 0, 1), A.T),
    "swapdims": (lambda m: m.swapdims(m.tensor(A), 1, 0), A.T),
    "fliplr": (lambda m: m.fliplr(m.tensor(A)), np.fliplr(A)),
    "flipud": (lambda m: m.flipud(m.tensor(A)), np.flipud(A)),
    "ravel": (lambda m: m.ravel(m.tensor(A)), A.ravel()),
    "tile": (lambda m: m.tile(m.tensor(V), (2,)), np.tile(V, 2)),
    "take_along_dim argmax": (
        lambda m: m.take_along_dim(m.tensor(A), m.tensor(A.argmax(1)[:, None]), dim=1),
        A.max(1, keepdims=True),
    ),
    "take_along_dim broadcast": (
        lambda m: m.take_along_dim(m.tensor(A), m.tensor(np.array([[0, 3]])), dim=1),
        np.take_along_axis(A, np.broadcast_to([[0, 3]], (3, 2)), 1),
    ),
    "take_along_dim flat": (lambda m: m.take_along_dim(m.tensor(A), m.tensor(np.array([0, 11]))), A.ravel()[[0, 11]]),
    "tril_indices": (lambda m: m.tril_indices(3, 4), np.stack(np.tril_indices(3, 0, 4))),
    "triu_indices offset": (lambda m: m.triu_indices(4, 3, 1), np.stack(np.triu_indices(4, 1, 3))),
    "tril_indices below": (lambda m: m.tril_indices(4, 4, offset=-1), np.stack(np.tril_indices(4, -1))),
    "amax": (lambda m: m.amax(m.tensor(A), dim=1), A.max(1)),
    "amin tuple": (lambda m: m.amin(m.tensor(A), dim=(0, 1)), A.min()),
    "argsort descending": (lambda m: m.argsort(m.tensor([3, 1, 2]), descending=True), np.array([0, 2, 1])),
    "msort": (lambda m: m.msort(m.tensor(A)), np.sort(A, 0)),
    "isinf": (lambda m: m.isinf(m.tensor([1.0, np.inf, -np.inf])), np.array([False, True, True])),
    "isposinf": (lambda m: m.isposinf(m.tensor([1.0, np.inf, -np.inf])), np.array([False, True, False])),
    "isneginf": (lambda m: m.isneginf(m.tensor([1.0, np.inf, -np.inf])), np.array([False, False, True])),
    "argwhere": (lambda m: m.argwhere(m.tensor(A > 0)), np.argwhere(A > 0)),
    "inner vectors": (lambda m: m.inner(m.tensor(V), m.tensor(V)), np.inner(V, V)),
    "inner matrices": (lambda m: m.inner(m.tensor(A), m.tensor(B)), np.inner(A, B)),
    "fmax": (lambda m: m.fmax(m.tensor([1.0, np.nan, np.nan]), m.tensor([np.nan, 2.0, np.nan])), [1.0, 2.0, np.nan]),
    "fmin": (lambda m: m.fmin(m.tensor([1.0, np.nan, 3.0]), m.tensor([np.nan, 2.0, 0.0])), [1.0, 2.0, 0.0]),
    "clamp_min": (lambda m: m.clamp_min(m.tensor(A), 0), np.maximum(A, 0)),
    "clamp_max": (lambda m: m.clamp_max(m.tensor(A), 0), np.minimum(A, 0)),
    "rsqrt": (lambda m: m.rsqrt(m.tensor(np.abs(A) + 1)), 1 / np.sqrt(np.abs(A) + 1)),
    "sgn": (lambda m: m.sgn(m.tensor([-2.0, 0.0, 3.0])), [-1.0, 0.0, 1.0]),
    "deg2rad": (lambda m: m.deg2rad(m.tensor([180.0, 90.0])), np.deg2rad([180.0, 90.0])),
    "rad2deg": (lambda m: m.rad2deg(m.tensor([np.pi])), [180.0]),
    "nanmean": (lambda m: m.nanmean(m.tensor([1.0, np.nan, 2.0])), 1.5),
    "nanmean dim": (lambda m: m.tensor([[1.0, np.nan], [2.0, 3.0]]).nanmean(dim=1), [1.0, 2.5]),
    "nansum method": (lambda m: m.tensor([[1.0, np.nan], [2.0, 3.0]]).nansum(1), [1.0, 5.0]),
    "trapezoid": (lambda m: m.trapezoid(m.tensor([1.0, 2.0, 3.0])), np.trapezoid([1.0, 2.0, 3.0])),
    "trapezoid x": (
        lambda m: m.trapezoid(m.tensor([1.0, 4.0, 9.0]), m.tensor([0.0, 1.0, 3.0])),
        np.trapezoid([1.0, 4.0, 9.0], [0.0, 1.0, 3.0]),
    ),
    "trapezoid dim": (lambda m: m.trapezoid(m.tensor(A), dim=0), np.trapezoid(A, axis=0)),
    "cumulative_trapezoid": (lambda m: m.cumulative_trapezoid(m.tensor([1.0, 2.0, 3.0])), [1.5, 4.0]),
    "where(condition)": (lambda m: m.where(m.tensor(A > 0)), list(np.nonzero(A > 0))),
    "tensordot dims pairs": (
        lambda m: m.tensordot(m.tensor(A), m.tensor(B), dims=([1], [1])),
        np.tensordot(A, B, ([1], [1])),
    ),
    "tensordot dims int": (lambda m: m.tensordot(m.tensor(A), m.tensor(B.T), dims=1), A @ B.T),
    "var_mean unbiased": (lambda m: m.var_mean(m.tensor(A), dim=1, unbiased=False), [A.var(1), A.mean(1)]),
    "std_mean unbiased": (lambda m: m.std_mean(m.tensor(A), 0, True), [A.std(0, ddof=1), A.mean(0)]),
    "sort stable": (lambda m: m.sort(m.tensor([2.0, 1.0, 2.0]), stable=True).indices, [1, 0, 2]),
    "signbit": (lambda m: m.signbit(m.tensor([-1.0, 0.0, -0.0, 2.0])), np.signbit([-1.0, 0.0, -0.0, 2.0])),
    "copysign": (lambda m: m.copysign(m.tensor(A), m.tensor(B)), np.copysign(A, B)),
    "kthvalue": (lambda m: m.kthvalue(m.tensor(A), 2, 1), [np.sort(A, 1)[:, 1], np.argsort(A, 1)[:, 1]]),
    "kthvalue keepdim": (
        lambda m: m.kthvalue(m.tensor(A), 3, dim=0, keepdim=True),
        [np.sort(A, 0)[2:3], np.argsort(A, 0)[2:3]],
    ),
    "kthvalue method": (lambda m: m.tensor(V).kthvalue(1), [V.min(), V.argmin()]),
    "unique_consecutive counts": (
        lambda m: m.unique_consecutive(m.tensor([1, 1, 2, 2, 1]), return_counts=True),
        [[1, 2, 1], [2, 2, 1]],
    ),
    "unique_consecutive inverse": (
        lambda m: m.unique_consecutive(m.tensor([[1, 1], [3, 1]]), return_inverse=True),
        [[1, 3, 1], [[0, 0], [1, 2]]],
    ),
    "DoubleTensor": (lambda m: m.DoubleTensor([1, 2]), np.array([1.0, 2.0])),
    "IntTensor": (lambda m: m.IntTensor([1.0, 2.0]), np.array([1, 2])),
    "BoolTensor": (lambda m: m.BoolTensor([True, False]), np.array([True, False])),
}


@pytest.mark.parametrize("name", CASES)
def test_against_numpy(name: str) -> None:
    """The engine's answer is numpy's (or the closed form's), as the torch function's is."""
    call, expected = CASES[name]
    got = _np(call(ag))
    if isinstance(expected, list) and isinstance(got, list):
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12)
    else:
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", CASES)
def test_against_torch(name: str) -> None:
    """The same spelling gives torch's value (torch as the oracle)."""
    torch = pytest.importorskip("torch")
    call, _ = CASES[name]
    ours, theirs = _np(call(ag)), call(torch)
    theirs = [t.numpy() for t in theirs] if isinstance(theirs, tuple) else theirs.numpy()
    if isinstance(ours, list):
        for o, t in zip(ours, theirs, strict=True):
            np.testing.assert_allclose(o, t, rtol=1e-6)  # (torch reads a list as float32)
    else:
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)
        assert np.asarray(ours).dtype.kind == np.asarray(theirs).dtype.kind


def test_numel_is_floating_point() -> None:
    assert ag.numel(ag.zeros(2, 3)) == 6
    assert ag.is_floating_point(ag.zeros(2)) and not ag.is_floating_point(ag.tensor([1, 2]))
    assert ag.tensor([1.0]).is_floating_point() and not ag.tensor([True]).is_floating_point()


def test_stacking_gradients_route_back() -> None:
    """hstack / column_stack / take_along_dim are composed, so the gradient reaches each input: d sum(w * out)."""
    a, v = ag.tensor(A, requires_grad=True), ag.tensor(V[:3], requires_grad=True)
    out = ag.column_stack([a, v])
    weights = RNG.standard_normal(out.shape)
    (out * weights).sum().backward()
    np.testing.assert_allclose(a.grad, weights[:, :4])
    np.testing.assert_allclose(v.grad, weights[:, 4])
    b = ag.tensor(A, requires_grad=True)
    ag.take_along_dim(b, ag.tensor(A.argmax(1)[:, None]), dim=1).sum().backward()
    np.testing.assert_allclose(b.grad, A.max(1, keepdims=True) == A)


def test_fmax_gradient_goes_to_the_kept_side() -> None:
    """Where one side is NaN the other is the value, so it takes the whole gradient (finite differences agree)."""
    a = ag.tensor([1.0, np.nan, 3.0], requires_grad=True)
    b = ag.tensor([np.nan, 2.0, 1.0], requires_grad=True)
    ag.fmax(a, b).sum().backward()
    np.testing.assert_array_equal(np.nan_to_num(a.grad), [1.0, 0.0, 1.0])
    np.testing.assert_array_equal(np.nan_to_num(b.grad), [0.0, 1.0, 0.0])


def test_errors_name_the_fix() -> None:
    with pytest.raises(TypeError, match="where: give both input and other"):
        ag.where(ag.tensor([True]), ag.tensor([1.0]))
    with pytest.raises(ValueError, match=r"take_along_dim: indices must have as many axes.*dim=None"):
        ag.take_along_dim(ag.tensor(A), ag.tensor([0, 1]), dim=1)
    with pytest.raises(ValueError, match="do not broadcast outside dim 1"):
        ag.take_along_dim(ag.tensor(A), ag.tensor(np.zeros((2, 1), np.int64)), dim=1)


def test_kthvalue_gradient_reaches_the_kth_element() -> None:
    x = ag.tensor(A, requires_grad=True)
    x.kthvalue(2, dim=1).values.sum().backward()
    expected = np.zeros_like(A)
    expected[np.arange(3), np.argsort(A, 1)[:, 1]] = 1.0
    np.testing.assert_array_equal(x.grad, expected)
    with pytest.raises(ValueError, match=r"kthvalue: k=5 must be an int in \[1, 4\]"):
        x.kthvalue(5)


def test_copysign_gradient_is_the_sign_times_abs_slope() -> None:
    """d copysign(x, s)/dx = sign(x) * sign(s), away from x = 0 (finite differences agree)."""
    x = ag.tensor(A, requires_grad=True)
    ag.copysign(x, ag.tensor(B)).sum().backward()
    np.testing.assert_array_equal(x.grad, np.sign(A) * np.where(np.signbit(B), -1.0, 1.0))


def test_randint_like_and_poisson() -> None:
    ag.manual_seed(0)
    r = ag.randint_like(ag.zeros(2000), 3, 6)
    assert r.dtype == np.float64 and set(np.unique(r.numpy())) == {3.0, 4.0, 5.0}
    assert ag.randint_like(ag.tensor([1, 2]), 4).dtype == np.int64
    p = ag.poisson(ag.full((20000,), 3.0))
    assert abs(p.numpy().mean() - 3.0) < 0.05 and abs(p.numpy().var() - 3.0) < 0.15  # mean = variance = rate
    assert (p.numpy() == np.round(p.numpy())).all()
    with pytest.raises(ValueError, match="poisson: rates must be finite and >= 0"):
        ag.poisson(ag.tensor([-1.0]))


def test_grad_materialize_grads() -> None:
    """An input the output does not use gets zeros (not None) with materialize_grads, as torch's."""
    x, unused = ag.tensor(A, requires_grad=True), ag.zeros(2, requires_grad=True)
    gx, gu = ag.autograd.grad((x * 3).sum(), (x, unused), materialize_grads=True)
    np.testing.assert_array_equal(gx.numpy(), np.full_like(A, 3.0))
    np.testing.assert_array_equal(gu.numpy(), [0.0, 0.0])
    assert ag.autograd.grad((x * 3).sum(), (x, unused), allow_unused=True)[1] is None
    with pytest.raises(RuntimeError):
        ag.autograd.grad((x * 3).sum(), (x, unused))
