"""Shape, indexing and index-write names a torch user reaches for beyond the README (tensor_layout.py,
``ag.block_diag``...): values against numpy, gradients by finite differences, torch where installed, and the
errors. Before, each raised AttributeError."""

import itertools

import numpy as np
import pytest
from tensor_api_helpers import against_torch, gradcheck

import autograd_core as ag
from autograd_core import Tensor

RNG = np.random.default_rng(3)
M = RNG.standard_normal((3, 4))


def test_unflatten_view_as_take_narrow():
    x = Tensor(np.arange(24.0).reshape(2, 12))
    assert x.unflatten(1, (3, -1)).shape == (2, 3, 4) and ag.unflatten(x, -1, (2, 2, 3)).shape == (2, 2, 2, 3)
    assert x.view_as(np.zeros((4, 6))).shape == (4, 6)
    assert x.take(ag.tensor([[0, 23], [-1, 12]])).tolist() == [[0.0, 23.0], [23.0, 12.0]]
    assert ag.narrow(x, 1, -3, 2).tolist() == [[9.0, 10.0], [21.0, 22.0]]
    assert gradcheck(lambda t: t.unflatten(1, (2, 2)).narrow(2, 1, 1) * t.take(ag.tensor([0, 0, 5])).sum(), M)
    with pytest.raises(ValueError, match=r"unflatten: sizes \(5, -1\) do not multiply to 12"):
        x.unflatten(1, (5, -1))
    with pytest.raises(IndexError, match="narrow: start 10 and length 3 do not fit dim 1 of size 12"):
        x.narrow(1, 10, 3)
    with pytest.raises(IndexError, match=r"take: index out of range for a tensor of 24 elements"):
        x.take(ag.tensor([24]))


def test_tensor_split_by_sections_and_by_indices_as_numpy_array_split():
    x = Tensor(np.arange(7.0))
    for parts in (1, 2, 3, 7, 9):
        ours = [p.tolist() for p in x.tensor_split(parts)]
        assert ours == [p.tolist() for p in np.array_split(np.arange(7.0), parts)]
    assert [p.tolist() for p in ag.tensor_split(x, [2, 5])] == [[0.0, 1.0], [2.0, 3.0, 4.0], [5.0, 6.0]]
    assert [p.shape for p in Tensor(M).tensor_split(2, dim=1)] == [(3, 2), (3, 2)]
    with pytest.raises(ValueError, match="tensor_split: the number of sections must be at least 1, got 0"):
        x.tensor_split(0)


def test_diag_embed_puts_vectors_on_diagonals_of_any_two_dims():
    v = RNG.standard_normal((2, 3))
    out = Tensor(v).diag_embed()
    assert out.shape == (2, 3, 3) and np.array_equal(out.data, np.stack([np.diag(r) for r in v]))
    np.testing.assert_array_equal(ag.diag_embed(Tensor(v), offset=-1).data[1], np.diag(v[1], -1))
    moved = Tensor(v).diag_embed(dim1=0, dim2=2)  # the matrices in dims 0 and 2, the batch in 1
    assert moved.shape == (3, 2, 3) and np.array_equal(moved.data[:, 1, :], np.diag(v[1]))
    assert gradcheck(lambda t: t.diag_embed(offset=1) * 2, v)


def test_kron_cross_rot90_against_numpy():
    a, b = RNG.standard_normal((2, 3)), RNG.standard_normal((3, 2))
    np.testing.assert_allclose(Tensor(a).kron(Tensor(b)).data, np.kron(a, b), rtol=1e-15)
    np.testing.assert_allclose(ag.kron(Tensor(a[0]), Tensor(b)).data, np.kron(a[0], b), rtol=1e-15)
    u, w = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3))
    np.testing.assert_allclose(ag.cross(Tensor(u), Tensor(w)).data, np.cross(u, w), rtol=1e-14)
    np.testing.assert_allclose(Tensor(u.T).cross(Tensor(w.T), dim=0).data, np.cross(u, w).T, rtol=1e-14)
    for k in range(-1, 5):
        np.testing.assert_array_equal(Tensor(M).rot90(k).data, np.rot90(M, k))
    cube = RNG.standard_normal((2, 3, 4))
    np.testing.assert_array_equal(ag.rot90(Tensor(cube), 1, (2, 0)).data, np.rot90(cube, 1, (2, 0)))
    assert gradcheck(lambda p, q: p.kron(q), a, b) and gradcheck(lambda p, q: p.cross(q, dim=1), u, w)
    assert gradcheck(lambda t: t.rot90(3) * np.arange(12.0).reshape(4, 3), M)
    with pytest.raises(ValueError, match=r"cross: no dimension of size 3 in shapes \(2, 4\) and \(2, 4\); give dim="):
        Tensor(M[:2]).cross(Tensor(M[:2]))
    with pytest.raises(ValueError, match=r"cross: shapes \(4, 3\) and \(3, 4\) do not broadcast"):
        Tensor(u).cross(Tensor(M))


def test_block_diag_meshgrid_cartesian_prod_combinations():
    out = ag.block_diag(Tensor([[1.0, 2.0]]), Tensor([3.0, 4.0]), Tensor(5.0))
    assert out.tolist() == [[1.0, 2.0, 0.0, 0.0, 0.0], [0.0, 0.0, 3.0, 4.0, 0.0], [0.0, 0.0, 0.0, 0.0, 5.0]]
    assert gradcheck(lambda p, q: ag.block_diag(p, q) * 3, M, M[:2])
    xs, ys = RNG.standard_normal(3), RNG.standard_normal(2)
    for indexing in ("ij", "xy"):
        ours = ag.meshgrid(Tensor(xs), Tensor(ys), indexing=indexing)
        for mine, theirs in zip(ours, np.meshgrid(xs, ys, indexing=indexing)):
            np.testing.assert_array_equal(mine.data, theirs)
    assert [g.shape for g in ag.meshgrid([Tensor(xs), Tensor(ys), Tensor(xs)])] == [(3, 2, 3)] * 3
    rows = ag.cartesian_prod(Tensor(xs), Tensor(ys))
    assert rows.tolist() == [list(p) for p in itertools.product(xs, ys)]
    pairs = ag.combinations(Tensor(xs), r=2, with_replacement=True)
    assert pairs.tolist() == [list(c) for c in itertools.combinations_with_replacement(xs, 2)]
    assert ag.combinations(Tensor(ys), r=3).shape == (0, 3)
    assert gradcheck(lambda p, q: ag.cartesian_prod(p, q).prod(dim=1) + ag.combinations(p).sum(), xs, ys)
    with pytest.raises(ValueError, match="meshgrid: indexing must be 'ij' or 'xy', got 'yx'"):
        ag.meshgrid(Tensor(xs), indexing="yx")


def test_cdist_is_every_pairwise_distance_with_a_zero_gradient_at_zero_distance():
    p, q = RNG.standard_normal((4, 3)), RNG.standard_normal((5, 3))
    for order in (1.0, 2.0, 3.0, np.inf):
        expected = np.linalg.norm(p[:, None, :] - q[None, :, :], ord=order, axis=-1)
        np.testing.assert_allclose(ag.cdist(Tensor(p), Tensor(q), p=order).data, expected, rtol=1e-14)
    assert gradcheck(lambda a, b: ag.cdist(a, b), p, q) and gradcheck(lambda a, b: ag.cdist(a, b, p=1.0), p, q)
    a = Tensor(p, requires_grad=True)
    ag.cdist(a, a).sum().backward()
    assert np.isfinite(a.grad).all()
    assert ag.cdist(Tensor(RNG.standard_normal((2, 4, 3))), Tensor(RNG.standard_normal((2, 5, 3)))).shape == (2, 4, 5)
    with pytest.raises(ValueError, match=r"cdist: needs x1 \(\.\.\., P, M\) and x2 \(\.\.\., R, M\) with one M"):
        ag.cdist(Tensor(p), Tensor(q[:, :2]))


def test_searchsorted_shares_bucketize_and_searches_rows():
    edges, values = Tensor([1.0, 3.0, 5.0]), Tensor([[0.0, 3.0], [5.0, 6.0]])
    assert ag.searchsorted(edges, values).tolist() == [[0, 1], [2, 3]]
    assert ag.searchsorted(edges, values, right=True).tolist() == ag.bucketize(values, edges, right=True).tolist()
    assert ag.searchsorted(edges, values, side="right").tolist() == [[0, 2], [3, 3]]
    assert ag.searchsorted(edges, 4.0, out_int32=True).dtype == np.int32
    rows = Tensor([[1.0, 2.0, 3.0], [10.0, 20.0, 30.0]])
    assert ag.searchsorted(rows, Tensor([[2.5], [2.5]])).tolist() == [[2], [0]]
    with pytest.raises(ValueError, match=r"searchsorted: an n-d sorted_sequence \(shape \(2, 3\)\) needs input"):
        ag.searchsorted(rows, Tensor([1.0]))


def test_unique_with_inverse_and_counts_and_histc():
    x = ag.tensor([[3, 1], [3, 2]])
    values, inverse, counts = x.unique(return_inverse=True, return_counts=True)
    assert values.tolist() == [1, 2, 3] and inverse.tolist() == [[2, 0], [2, 1]] and counts.tolist() == [1, 1, 2]
    assert ag.unique(Tensor([[1.0, 2.0], [1.0, 2.0], [0.0, 5.0]]), dim=0).tolist() == [[0.0, 5.0], [1.0, 2.0]]
    data = RNG.standard_normal(200)
    np.testing.assert_array_equal(
        Tensor(data).histc(bins=7, min=-1, max=1).data, np.histogram(data[np.abs(data) <= 1], 7, (-1, 1))[0]
    )
    assert Tensor(data).histc(10).sum().item() == 200 and Tensor([2.0, 2.0]).histc(4).tolist() == [0.0, 0.0, 2.0, 0.0]
    with pytest.raises(ValueError, match="histc: needs a floating-point tensor, bins >= 1 and min <= max"):
        Tensor(data).histc(bins=3, min=2, max=1)


def test_scatter_add_out_of_place_is_recorded_and_in_place_writes_refuse_a_graph():
    base, src = Tensor(np.zeros((2, 3))), Tensor(np.arange(6.0).reshape(2, 3))
    index = ag.tensor([[0, 0, 2], [1, 1, 1]])
    expected = np.zeros((2, 3))
    np.add.at(expected, (np.arange(2)[:, None], index.data), src.data)
    assert np.array_equal(base.scatter_add(1, index, src).data, expected)
    assert np.array_equal(ag.scatter_add(base, 1, index, src).data, expected) and not base.data.any()
    assert gradcheck(lambda b, s: b.scatter_add(1, index, s) ** 2, M[:2, :3], M[1:, 1:])
    assert base.scatter_add_(1, index, src) is base and np.array_equal(base.data, expected)
    w = Tensor([0.0, 0.0]).index_put_((ag.tensor([1, 1]),), Tensor(2.0), accumulate=True)
    assert w.tolist() == [0.0, 4.0]
    with pytest.raises(RuntimeError, match="scatter_add_: its values require grad"):
        Tensor(np.zeros(3)).scatter_add_(0, ag.tensor([0]), Tensor([1.0], requires_grad=True))
    with pytest.raises(RuntimeError, match="fill_diagonal_"):
        (Tensor(np.zeros((2, 2)), requires_grad=True) * 1).fill_diagonal_(1.0)


def test_fill_diagonal_as_numpy_with_wrap():
    tall = Tensor(np.zeros((7, 3))).fill_diagonal_(5.0, wrap=True)
    expected = np.zeros((7, 3))
    np.fill_diagonal(expected, 5.0, wrap=True)
    assert np.array_equal(tall.data, expected) and Tensor(np.zeros((2, 2, 2))).fill_diagonal_(1).sum().item() == 2
    with pytest.raises(ValueError, match=r"fill_diagonal_: needs 2 or more dims, all of one length beyond 2"):
        Tensor(np.zeros((2, 3, 2))).fill_diagonal_(1.0)


def test_layout_against_torch():
    torch = pytest.importorskip("torch")
    v, u = RNG.standard_normal((2, 4)), RNG.standard_normal((2, 4, 3))
    against_torch(torch, lambda t: t.diag_embed(1, 0, 2), lambda t: t.diag_embed(1, 0, 2), v)
    against_torch(torch, lambda a, b: a.kron(b), lambda a, b: a.kron(b), M, v)
    against_torch(torch, lambda a, b: a.cross(b, dim=2), lambda a, b: a.cross(b, dim=2), u, u[::-1].copy())
    against_torch(torch, lambda t: t.rot90(1, (1, 2)), lambda t: t.rot90(1, (1, 2)), u)
    against_torch(torch, lambda a, b: ag.cdist(a, b), lambda a, b: torch.cdist(a, b), M, M[:2] + 0.5)
    against_torch(torch, lambda a, b: ag.cdist(a, b, p=1.0), lambda a, b: torch.cdist(a, b, p=1.0), M, M[:2] + 0.5)
    against_torch(torch, lambda a, b: ag.block_diag(a, b), lambda a, b: torch.block_diag(a, b), M, v)
    index = RNG.integers(0, 4, (3, 4))
    against_torch(
        torch,
        lambda b, s: b.scatter_add(1, ag.tensor(index), s),
        lambda b, s: b.scatter_add(1, torch.tensor(index), s),
        M,
        M[::-1].copy(),
    )
    ints = RNG.integers(0, 5, 20)
    ours, theirs = (
        ag.tensor(ints).unique(return_inverse=True, return_counts=True),
        torch.tensor(ints).unique(return_inverse=True, return_counts=True),
    )
    assert all(a.tolist() == b.tolist() for a, b in zip(ours, theirs))
    data = RNG.standard_normal(100)
    np.testing.assert_array_equal(Tensor(data).histc(6).data, torch.tensor(data).histc(6).numpy())
    assert Tensor([2.0, 2.0]).histc(4).tolist() == torch.tensor([2.0, 2.0]).histc(4).tolist()  # a one-value range
    edges = np.sort(RNG.standard_normal((3, 5)), axis=1)
    look = RNG.standard_normal((3, 4))
    assert (
        ag.searchsorted(Tensor(edges), Tensor(look)).tolist()
        == torch.searchsorted(torch.tensor(edges), torch.tensor(look)).tolist()
    )
    assert [p.tolist() for p in Tensor(M).tensor_split([1, 3], dim=1)] == [
        p.tolist() for p in torch.tensor(M).tensor_split([1, 3], dim=1)
    ]
