"""torch.Tensor methods that pick, place and regroup elements, which ``ag.Tensor`` lacked (each an AttributeError
before; ``unique_consecutive(dim=)`` a NotImplementedError): ``select narrow_copy msort ravel swapdims hsplit
vsplit dsplit split_with_sizes sum_to_size diagflat put``, the ``*_scatter`` family, ``scatter_reduce`` and
``index_reduce`` (autograd_core/tensor_selection.py). Values are checked against numpy written out by hand,
gradients against finite differences (``ag.gradcheck``), and, where torch is installed, both against torch.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor

RNG = np.random.default_rng(7)
M = RNG.standard_normal((3, 4))
X = np.array([[1.0, 5.0, 2.0], [3.0, 3.0, 0.0]])
SRC = np.array([[4.0, 5.0, 5.0, 1.0], [0.0, 3.0, -1.0, 2.0]])
IDX = np.array([[0, 1, 1, 2], [2, 2, 0, 0]])


def _leaf(a: np.ndarray) -> Tensor:
    return Tensor(a.copy(), requires_grad=True)


def _numpy_scatter_reduce(x, idx, src, reduce, include_self):
    """The reference, one element at a time (dim 1)."""
    out, lists = x.copy(), {}
    for (i, j), k in np.ndenumerate(idx):
        lists.setdefault((i, k), [x[i, k]] if include_self else []).append(src[i, j])
    ops = {"sum": np.sum, "prod": np.prod, "mean": np.mean, "amax": np.max, "amin": np.min}
    for place, values in lists.items():
        out[place] = ops[reduce](values)
    return out


# ------------------------------------------------------------------------------- values, without torch
def test_select_and_narrow_copy_are_the_slices_numpy_reads():
    t = Tensor(M)
    np.testing.assert_array_equal(t.select(1, -1).data, M[:, -1])
    np.testing.assert_array_equal(ag.select(t, 0, 2).data, M[2])
    copy = t.narrow_copy(1, 1, 2)
    np.testing.assert_array_equal(copy.data, M[:, 1:3])
    assert not np.shares_memory(copy.data, t.data)  # a copy, where narrow is a view


def test_msort_ravel_swapdims_moveaxis_match_numpy():
    t = Tensor(M)
    np.testing.assert_array_equal(t.msort().data, np.sort(M, axis=0))
    np.testing.assert_array_equal(t.ravel().data, M.ravel())
    np.testing.assert_array_equal(t.swapdims(0, 1).data, M.T)
    np.testing.assert_array_equal(Tensor(M[None]).moveaxis(0, -1).data, np.moveaxis(M[None], 0, -1))


def test_swapdims_and_swapaxes_in_place_change_the_shape_and_refuse_a_parameter():
    t = Tensor(np.zeros((2, 3)))
    assert t.swapdims_(0, 1).shape == (3, 2) and t.swapaxes_(0, 1).shape == (2, 3)
    with pytest.raises(RuntimeError, match=r"transpose_: changes the shape of a tensor that requires grad"):
        _leaf(M).swapdims_(0, 1)


def test_hsplit_vsplit_dsplit_follow_numpy_and_refuse_an_uneven_count():
    cube = np.arange(24.0).reshape(2, 3, 4)
    for ours, theirs in [
        (Tensor(cube).hsplit(3), np.hsplit(cube, 3)),
        (Tensor(cube).vsplit([1]), np.vsplit(cube, [1])),
        (Tensor(cube).dsplit(2), np.dsplit(cube, 2)),
        (ag.hsplit(Tensor(np.arange(6.0)), [2, 5]), np.hsplit(np.arange(6.0), [2, 5])),
    ]:
        assert [p.tolist() for p in ours] == [p.tolist() for p in theirs]
    with pytest.raises(ValueError, match=r"hsplit: dim 1 of shape \(2, 3, 4\) \(size 3\) does not split into 2"):
        Tensor(cube).hsplit(2)
    with pytest.raises(ValueError, match=r"dsplit: needs a tensor of at least 3 dims, got shape \(3, 4\)"):
        Tensor(M).dsplit(2)


def test_split_with_sizes_needs_sizes_that_add_up():
    parts = Tensor(M).split_with_sizes([1, 3], dim=1)
    assert [p.shape for p in parts] == [(3, 1), (3, 3)]
    assert [p.shape for p in Tensor(M).unsafe_split_with_sizes([2, 1])] == [(2, 4), (1, 4)]
    with pytest.raises(ValueError, match=r"split_with_sizes: sizes \[1, 2\] must be >= 0 and add up to 4 \(dim 1"):
        Tensor(M).split_with_sizes([1, 2], dim=1)


def test_sum_to_size_is_the_gradient_of_a_broadcast():
    x = RNG.standard_normal((2, 3, 4))
    np.testing.assert_allclose(Tensor(x).sum_to_size(3, 1).data, x.sum(axis=(0, 2))[:, None])
    np.testing.assert_allclose(Tensor(x).sum_to_size((1, 3, 4)).data, x.sum(0, keepdims=True))
    # the reverse of expand: <expand(y), g> = <y, g.sum_to_size(y.shape)>, the adjoint identity
    y, g = RNG.standard_normal((3, 1)), RNG.standard_normal((2, 3, 4))
    lhs = (Tensor(y).expand(2, 3, 4) * Tensor(g)).sum().item()
    assert lhs == pytest.approx((Tensor(y) * Tensor(g).sum_to_size(3, 1)).sum().item())
    with pytest.raises(ValueError, match=r"sum_to_size: size \(2, 4\) does not broadcast to the shape \(2, 3, 4\)"):
        Tensor(x).sum_to_size(2, 4)


def test_diagflat_is_numpys():
    np.testing.assert_array_equal(Tensor(M[:2, :2]).diagflat(-1).data, np.diagflat(M[:2, :2], -1))


def test_put_writes_and_accumulates_at_flat_positions_as_numpy_put():
    expected = M.copy()
    np.put(expected, [0, -1, 5], [7.0, 8.0, 9.0])
    np.testing.assert_array_equal(Tensor(M).put(ag.tensor([0, -1, 5]), Tensor([7.0, 8.0, 9.0])).data, expected)
    added = M.copy()
    np.add.at(added.reshape(-1), [1, 1], [2.0, 3.0])
    np.testing.assert_allclose(Tensor(M).put(ag.tensor([1, 1]), Tensor([2.0, 3.0]), accumulate=True).data, added)
    with pytest.raises(IndexError, match=r"put: an index in \[12\] is out of range for 12 elements"):
        Tensor(M).put(ag.tensor([12]), Tensor([1.0]))


def test_the_scatter_family_writes_where_numpy_indexing_points():
    src = RNG.standard_normal(4)
    expected = M.copy()
    expected[1] = src
    np.testing.assert_array_equal(Tensor(M).select_scatter(Tensor(src), 0, 1).data, expected)
    expected = M.copy()
    expected[:, 0:4:2] = M[:, :2] * 10
    np.testing.assert_array_equal(Tensor(M).slice_scatter(Tensor(M[:, :2] * 10), 1, 0, None, 2).data, expected)
    expected = M.copy()
    expected[[1, 2], [0, 1]] = [5.0, 6.0]  # the diagonal below the main one
    np.testing.assert_array_equal(Tensor(M).diagonal_scatter(Tensor([5.0, 6.0]), -1).data, expected)
    mask = M > 0
    expected = M.copy()
    expected[mask] = np.arange(100.0)[: mask.sum()]
    np.testing.assert_array_equal(Tensor(M).masked_scatter(mask, Tensor(np.arange(100.0))).data, expected)


def test_the_scatter_family_names_the_shape_it_needs():
    with pytest.raises(ValueError, match=r"select_scatter: src has shape \(3,\), but the place it goes has shape \(4,"):
        Tensor(M).select_scatter(Tensor(np.zeros(3)), 0, 0)
    with pytest.raises(IndexError, match=r"select: index 5 is out of range for dim 1 of size 4 \(shape \(3, 4\)\)"):
        Tensor(M).select(1, 5)
    with pytest.raises(ValueError, match=r"masked_scatter: the mask holds at 2 places but source has 1 elements"):
        Tensor([0.0, 0.0]).masked_scatter(np.array([True, True]), Tensor([1.0]))
    with pytest.raises(TypeError, match=r"masked_scatter: mask must be boolean, got int64"):
        Tensor([0.0]).masked_scatter(np.array([1]), Tensor([1.0]))


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_matches_the_one_at_a_time_reference(reduce, include_self):
    out = Tensor(X).scatter_reduce(1, ag.tensor(IDX), Tensor(SRC), reduce, include_self=include_self)
    np.testing.assert_allclose(out.data, _numpy_scatter_reduce(X, IDX, SRC, reduce, include_self))


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
def test_scatter_reduce_gradients_match_finite_differences(reduce):
    # distinct values (no ties: the max is differentiable) and a zero in src for prod's product of the others
    x, src = RNG.standard_normal((2, 3)), np.array([[0.3, -1.2, 0.0, 2.1], [1.7, -0.4, 0.9, -2.2]])
    index = ag.tensor(IDX)
    assert ag.gradcheck(lambda a, s: a.scatter_reduce(1, index, s, reduce), [_leaf(x), _leaf(src)])
    assert ag.gradcheck(lambda a, s: a.scatter_reduce(1, index, s, reduce, include_self=False), [_leaf(x), _leaf(src)])


def test_scatter_reduce_amax_ties_share_the_gradient_evenly():
    """The kink rule: k tied contributors (self among them if included) get 1/k each, and the shares add up to 1."""
    x, src = _leaf(np.array([5.0, 0.0])), _leaf(np.array([5.0, 5.0, 1.0]))
    x.scatter_reduce(0, ag.tensor([0, 0, 1]), src, "amax").sum().backward()
    np.testing.assert_allclose(x.grad, [1 / 3, 0.0])  # position 1: src's 1.0 beats self's 0.0
    np.testing.assert_allclose(src.grad, [1 / 3, 1 / 3, 1.0])
    x, src = _leaf(np.array([5.0, 0.0])), _leaf(np.array([5.0, 5.0, 1.0]))
    x.scatter_reduce(0, ag.tensor([0, 0, 1]), src, "amax", include_self=False).sum().backward()
    np.testing.assert_allclose(src.grad, [0.5, 0.5, 1.0])  # self left out: two ties (torch 2.13 gives 1/3 each)
    np.testing.assert_allclose(x.grad, [0.0, 0.0])


def test_scatter_reduce_on_integers_and_its_errors():
    out = ag.tensor([-10, 10]).scatter_reduce(0, ag.tensor([0, 0, 1]), ag.tensor([1, 2, 7]), "mean")
    assert out.tolist() == [-3, 8] and out.dtype == np.int64  # (-10+1+2)//3, (10+7)//2: floor, as torch's
    assert ag.tensor([3, 3]).scatter_reduce(0, ag.tensor([1]), ag.tensor([-9]), "amin").tolist() == [3, -9]
    nothing = ag.tensor(np.zeros(0, np.int64))
    for reduce in ["sum", "amax"]:  # an empty index reduces nothing in (amax over no rows would raise)
        assert Tensor([1.0, 2.0]).scatter_reduce(0, nothing, Tensor([]), reduce, include_self=False).tolist() == [1, 2]
    with pytest.raises(ValueError, match=r"scatter_reduce: reduce must be one of sum, prod, mean, amax, amin"):
        Tensor(X).scatter_reduce(1, ag.tensor(IDX), Tensor(SRC), "max")
    with pytest.raises(IndexError, match=r"scatter_reduce: index 3 is out of range for dim 1 of size 3"):
        Tensor(X).scatter_reduce(1, ag.tensor(IDX + 1), Tensor(SRC), "sum")


def test_index_reduce_reduces_whole_slices_and_checks_their_shape():
    source = RNG.standard_normal((3, 4))
    out = Tensor(M).index_reduce(0, ag.tensor([2, 0, 2]), Tensor(source), "prod")
    expected = M.copy()
    expected[2] *= source[0] * source[2]
    expected[0] *= source[1]
    np.testing.assert_allclose(out.data, expected)
    assert ag.gradcheck(
        lambda a, s: a.index_reduce(1, ag.tensor([1, 0, 1]), s, "mean", include_self=False),
        [_leaf(M), _leaf(RNG.standard_normal((3, 3)))],
    )
    with pytest.raises(ValueError, match=r"index_reduce: source of shape \(2, 4\) must match self \(3, 4\) apart from"):
        Tensor(M).index_reduce(1, ag.tensor([0, 1, 2, 3]), Tensor(np.zeros((2, 4))), "amax")
    with pytest.raises(ValueError, match=r"index_reduce: reduce must be one of prod, mean, amax, amin, got 'sum'"):
        Tensor(M).index_reduce(0, ag.tensor([0]), Tensor(np.zeros((1, 4))), "sum")


def test_the_placing_methods_are_differentiable_in_both_inputs():
    for fn, inputs in [
        (lambda a, s: a.select_scatter(s, 1, 2), [M, RNG.standard_normal(3)]),
        (lambda a, s: a.slice_scatter(s, 0, 1, 3), [M, RNG.standard_normal((2, 4))]),
        (lambda a, s: a.diagonal_scatter(s, 1), [M, RNG.standard_normal(3)]),
        (lambda a, s: a.masked_scatter(M > 0, s), [M, RNG.standard_normal(12)]),
        (lambda a, s: a.put(ag.tensor([0, 0, 7]), s, accumulate=True), [M, RNG.standard_normal(3)]),
        (lambda a, s: a.put(ag.tensor([4, 7]), s), [M, RNG.standard_normal(2)]),
        (lambda a, s: a.sum_to_size(3, 1) * s, [M, RNG.standard_normal((3, 1))]),
        (lambda a, s: a.select(1, -1) * s + a.narrow_copy(0, 0, 1).diagflat().sum(), [M, RNG.standard_normal(3)]),
    ]:
        assert ag.gradcheck(fn, [_leaf(a) for a in inputs])


def test_in_place_placing_writes_values_and_refuses_a_parameter():
    t = Tensor(np.zeros(3))
    t.masked_scatter_(np.array([True, False, True]), Tensor([1.0, 2.0]))
    t.put_(ag.tensor([1]), Tensor([5.0]))
    t.index_copy_(0, ag.tensor([0]), Tensor([-1.0]))
    assert t.tolist() == [-1.0, 5.0, 2.0]
    t.scatter_reduce_(0, ag.tensor([2, 2]), Tensor([4.0, 3.0]), "amax").index_reduce_(0, ag.tensor([1]), t[:1], "amin")
    assert t.tolist() == [-1.0, -1.0, 4.0]
    with pytest.raises(RuntimeError, match=r"masked_scatter_\(\)"):
        _leaf(np.zeros(2)).masked_scatter_(np.array([True, True]), Tensor([1.0, 2.0]))


def test_unique_consecutive_takes_dim_as_torch():
    rows = ag.tensor([[1, 2], [1, 2], [3, 4], [1, 2]])
    values, inverse, counts = rows.unique_consecutive(return_inverse=True, return_counts=True, dim=0)
    assert values.tolist() == [[1, 2], [3, 4], [1, 2]] and inverse.tolist() == [0, 0, 1, 2]
    assert counts.tolist() == [2, 1, 1]
    assert ag.unique_consecutive(ag.tensor([[1, 1, 2], [3, 3, 4]]), dim=1).tolist() == [[1, 2], [3, 4]]
    assert ag.tensor([3, 3, 1]).unique_consecutive().tolist() == [3, 1]


# ------------------------------------------------------------------------------- torch as a second oracle
TORCH_CASES = {
    "select": (lambda m, a, b: a.select(1, -2), [M, SRC]),
    "narrow_copy": (lambda m, a, b: a.narrow_copy(1, 1, 2), [M, SRC]),
    "msort": (lambda m, a, b: a.msort(), [M, SRC]),
    "ravel": (lambda m, a, b: a.ravel(), [M, SRC]),
    "swapdims": (lambda m, a, b: a.swapdims(1, 0), [M, SRC]),
    "sum_to_size": (lambda m, a, b: a.sum_to_size(1, 4), [M, SRC]),
    "diagflat": (lambda m, a, b: a.diagflat(2), [M[:2, :2], SRC]),
    "select_scatter": (lambda m, a, b: a.select_scatter(b[0, :3], 1, 1), [M, SRC]),
    "slice_scatter": (lambda m, a, b: a.slice_scatter(b, 0, 1), [M, SRC]),
    "diagonal_scatter": (lambda m, a, b: a.diagonal_scatter(b[0, :2], -1, 1, 0), [M.T.copy(), SRC]),
    "masked_scatter": (lambda m, a, b: a.masked_scatter(a > 0, b), [M, RNG.standard_normal((3, 4))]),
    "put": (lambda m, a, b: a.put(m.tensor([3, 3, 0]), b[0, :3], accumulate=True), [M, SRC]),
    "index_reduce": (lambda m, a, b: a.index_reduce(1, m.tensor([0, 2, 0, 1]), b, "mean"), [X, SRC]),
    **{
        f"scatter_reduce {r}": (lambda m, a, b, r=r: a.scatter_reduce(1, m.tensor(IDX), b * 1.01, r), [X, SRC])
        for r in ["sum", "prod", "mean", "amax", "amin"]
    },
}


@pytest.mark.filterwarnings(r"ignore:index_reduce\(\) is in beta")
@pytest.mark.parametrize("name", TORCH_CASES)
def test_values_and_gradients_agree_with_torch(name):
    torch = pytest.importorskip("torch")
    fn, arrays = TORCH_CASES[name]
    ours = [_leaf(a) for a in arrays]
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    out, expected = fn(ag, *ours), fn(torch, *theirs)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12, atol=1e-12)
    weights = RNG.standard_normal(out.shape)
    (out * Tensor(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(0 if a.grad is None else a.grad, 0 if b.grad is None else b.grad.numpy(), atol=1e-12)


def test_splits_and_unique_consecutive_agree_with_torch():
    torch = pytest.importorskip("torch")
    cube = RNG.standard_normal((2, 4, 6))
    for name, arg in [("hsplit", 2), ("vsplit", [1]), ("dsplit", [1, 4]), ("split_with_sizes", [1, 1])]:
        ours, theirs = getattr(Tensor(cube), name)(arg), getattr(torch.tensor(cube), name)(arg)
        assert [p.tolist() for p in ours] == [p.tolist() for p in theirs]
    runs = np.array([[1, 1, 2, 2], [1, 1, 3, 2]])
    for dim in [None, 0, 1]:
        ours = ag.tensor(runs).unique_consecutive(True, True, dim)
        theirs = torch.tensor(runs).unique_consecutive(True, True, dim)
        assert [p.tolist() for p in ours] == [p.tolist() for p in theirs]
