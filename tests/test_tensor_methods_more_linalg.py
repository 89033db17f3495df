"""torch.Tensor's linear-algebra methods and questions ``ag.Tensor`` lacked (each an AttributeError before):
``cholesky cholesky_inverse cholesky_solve qr svd lu lu_solve triangular_solve inner dist addr addbmm`` (composed
from ``ag.linalg``, autograd_core/tensor_linalg_methods.py), ``is_signed is_complex is_nonzero is_same_size nbytes
itemsize ndimension dim_order new_empty_strided H mH conj ...`` (tensor_queries.py), and ``t.type()``, which said
numpy's ``'float64'`` where a torch user reads ``'torch.DoubleTensor'``. Proved by closed forms (A X = B, A A^-1
= I), numpy, finite differences and, where installed, torch.

Where ours differs from torch 2.13: ``cholesky_solve`` and ``cholesky_inverse`` give the factor's gradient on the
triangle they read (torch also fills the other triangle, as if the factor were dense; the read triangle agrees).
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor

RNG = np.random.default_rng(11)
S = RNG.standard_normal((3, 3))
SPD = S @ S.T + 3 * np.eye(3)
L = np.linalg.cholesky(SPD)
B = RNG.standard_normal((3, 2))
M = RNG.standard_normal((4, 3))


def _leaf(a: np.ndarray) -> Tensor:
    return Tensor(a.copy(), requires_grad=True)


# ------------------------------------------------------------------------------- type() and the questions
TORCH_NAMES = {
    "float32": "torch.FloatTensor",
    "float64": "torch.DoubleTensor",
    "float16": "torch.HalfTensor",
    "int64": "torch.LongTensor",
    "int32": "torch.IntTensor",
    "int16": "torch.ShortTensor",
    "int8": "torch.CharTensor",
    "uint8": "torch.ByteTensor",
    "bool": "torch.BoolTensor",
}


@pytest.mark.parametrize("dtype", TORCH_NAMES)
def test_type_names_the_tensor_type_as_torch_and_casts_back_from_the_name(dtype):
    t = Tensor(np.zeros(2, dtype))
    assert t.type() == TORCH_NAMES[dtype]
    assert Tensor(np.ones(2)).type(t.type()).dtype == np.dtype(dtype)


def test_type_spelling_agrees_with_torch():
    torch = pytest.importorskip("torch")
    for dtype in [*TORCH_NAMES, "uint16", "uint32", "uint64"]:
        assert Tensor(np.zeros(1, dtype)).type() == torch.from_numpy(np.zeros(1, dtype)).type()


def test_predicates_follow_the_dtype_and_the_shape():
    cases = {"float32": True, "int8": True, "uint8": False, "bool": False}
    assert {d: Tensor(np.zeros(1, d)).is_signed() for d in cases} == cases
    assert not Tensor([1.0]).is_complex() and not ag.is_complex(ag.tensor([1]))
    assert Tensor([[2.0]]).is_nonzero() and not ag.is_nonzero(Tensor([0.0]))
    assert Tensor(M).is_same_size(np.zeros((4, 3))) and not ag.is_same_size(Tensor(M), Tensor(M.T))
    assert not Tensor(M).is_neg() and not Tensor(M).is_conj() and not Tensor(M).is_inference()
    with pytest.raises(RuntimeError, match=r"is_nonzero: needs exactly one element, got shape \(2,\) \(2 elements\)"):
        Tensor([1.0, 2.0]).is_nonzero()


def test_predicates_agree_with_torch():
    torch = pytest.importorskip("torch")
    for dtype in TORCH_NAMES:
        ours, theirs = Tensor(np.ones((2, 1), dtype)), torch.from_numpy(np.ones((2, 1), dtype))
        assert (ours.is_signed(), ours.is_complex(), ours.nbytes, ours.itemsize, ours.ndimension()) == (
            theirs.is_signed(),
            theirs.is_complex(),
            theirs.nbytes,
            theirs.itemsize,
            theirs.ndimension(),
        )
    with pytest.raises(RuntimeError):
        torch.tensor([1.0, 2.0]).is_nonzero()


def test_sizes_and_layout():
    t = Tensor(np.zeros((2, 3, 4), np.float32))
    assert (t.nbytes, t.itemsize, t.ndimension()) == (96, 4, 3)
    assert t[:, 0].nbytes == 32  # a view counts its own elements
    assert t.permute(2, 0, 1).dim_order() == (1, 2, 0) and t.dim_order() == (0, 1, 2)
    e = Tensor(np.ones(1, np.float32)).new_empty_strided((2, 3), (1, 2))
    assert e.shape == (2, 3) and e.stride() == (1, 2) and e.dtype == np.float32 and not e.data.any()
    with pytest.raises(ValueError, match=r"new_empty_strided: size \(2, 3\) and stride \(1,\) need one"):
        t.new_empty_strided((2, 3), (1,))


def test_resize_keeps_the_elements_in_order_and_nonzero_static_pads():
    t = Tensor(np.arange(6.0))
    assert t.resize_(2, 2).tolist() == [[0.0, 1.0], [2.0, 3.0]]
    assert t.resize_((3, 2)).tolist() == [[0.0, 1.0], [2.0, 3.0], [0.0, 0.0]]  # beyond the kept ones: zeros
    assert t.resize_as_(np.zeros(4)).tolist() == [0.0, 1.0, 2.0, 3.0]
    with pytest.raises(RuntimeError, match=r"resize_: changes the shape of a tensor that requires grad"):
        _leaf(np.zeros(2)).resize_(1)
    found = ag.tensor([[0, 1], [1, 1]]).nonzero_static(size=4, fill_value=-5)
    assert found.tolist() == [[0, 1], [1, 0], [1, 1], [-5, -5]]
    assert ag.tensor([[0, 1], [1, 1]]).nonzero_static(size=1).tolist() == [[0, 1]]
    with pytest.raises(RuntimeError, match=r"imag: a real tensor \(float64\) has no imaginary part"):
        _ = Tensor([1.0]).imag


def test_layout_agrees_with_torch():
    torch = pytest.importorskip("torch")
    x = np.zeros((2, 3, 4))
    assert Tensor(x).permute(2, 0, 1).dim_order() == torch.tensor(x).permute(2, 0, 1).dim_order()
    theirs = torch.zeros(1).new_empty_strided((2, 3), (1, 2))
    ours = Tensor(np.zeros(1)).new_empty_strided((2, 3), (1, 2))
    assert (ours.shape, ours.stride()) == (tuple(theirs.shape), theirs.stride())
    grid = np.array([[0, 2, 0], [3, 0, 4]])
    for size in [1, 3, 5]:
        assert (
            ag.tensor(grid).nonzero_static(size=size).tolist() == torch.tensor(grid).nonzero_static(size=size).tolist()
        )
    assert Tensor(np.arange(6.0)).resize_(2, 2).tolist() == torch.arange(6.0).resize_(2, 2).tolist()


def test_the_complex_no_ops_of_a_real_tensor_and_the_transposes():
    t = Tensor(M, requires_grad=True)
    assert t.conj() is t and t.resolve_conj() is t and t.resolve_neg() is t and t.real is t
    assert t.positive() is t and ag.positive(t) is t
    copy = t.conj_physical()
    assert copy is not t and np.array_equal(copy.data, M)
    np.testing.assert_array_equal(t.H.data, M.T)
    np.testing.assert_array_equal(Tensor(np.stack([M, M])).mH.data, np.stack([M.T, M.T]))
    np.testing.assert_array_equal(Tensor(np.stack([M, M])).adjoint().data, np.stack([M.T, M.T]))
    assert Tensor([1.5, 3.7]).byte().dtype == np.uint8 and Tensor([-3.0]).char().tolist() == [-3]
    with pytest.raises(ValueError, match=r"H: needs a matrix \(a 2-d tensor\), got shape \(2, 4, 3\); use x.mH"):
        _ = Tensor(np.stack([M, M])).H
    with pytest.raises(TypeError, match=r"positive: a bool tensor has no \+"):
        ag.tensor([True]).positive()


def test_method_spellings_of_ag_functions_compute_what_the_functions_do():
    x, y = Tensor([1.0, np.nan, -2.0, 0.0]), Tensor([np.nan, 1.0, 3.0, -1.0])
    for name in ["fmax", "fmin", "copysign"]:
        np.testing.assert_array_equal(getattr(x, name)(y).data, getattr(ag, name)(x, y).data)
    for name in ["deg2rad", "rad2deg", "signbit", "isposinf", "isneginf", "sgn"]:
        np.testing.assert_array_equal(getattr(x, name)().data, getattr(ag, name)(x).data)
    assert x.heaviside(Tensor([0.5])).data.tolist()[2:] == [0.0, 0.5] and x.isreal().data.all()
    assert ag.tensor([0, 2, 2]).bincount(minlength=4).tolist() == [1, 0, 2, 0]
    assert Tensor([0.0, 1.0, 1.0]).histogram(2).hist.tolist() == [1.0, 2.0]
    assert Tensor([[0.0, 1.0]]).argwhere().tolist() == [[0, 1]]
    assert Tensor([1.0, 2.0]).vdot(Tensor([3.0, 4.0])).item() == 11.0
    np.testing.assert_array_equal(Tensor(M).fliplr().data, np.fliplr(M))
    np.testing.assert_array_equal(Tensor(M).flipud().data, np.flipud(M))
    assert Tensor([0.0, 1.0]).multinomial(3, replacement=True).tolist() == [1, 1, 1]


# ------------------------------------------------------------------------------- linear algebra, closed forms
def test_cholesky_solve_and_inverse_solve_the_system_from_the_factor():
    for factor, upper in [(L, False), (L.T, True)]:
        x = Tensor(B).cholesky_solve(Tensor(factor), upper)
        np.testing.assert_allclose(SPD @ x.data, B, atol=1e-12)
        np.testing.assert_allclose(Tensor(factor).cholesky_inverse(upper).data @ SPD, np.eye(3), atol=1e-12)
    np.testing.assert_allclose(Tensor(SPD).cholesky().data, L)
    np.testing.assert_allclose(ag.cholesky(Tensor(SPD), upper=True).data, L.T)
    assert ag.gradcheck(lambda b, f: b.cholesky_solve(f), [_leaf(B), _leaf(L)])
    assert ag.gradcheck(lambda f: f.cholesky_inverse(upper=True), [_leaf(L.T)])


def test_triangular_solve_takes_b_first_and_upper_by_default():
    upper = np.triu(S) + 3 * np.eye(3)
    result = Tensor(B).triangular_solve(Tensor(upper))
    np.testing.assert_allclose(upper @ result.solution.data, B, atol=1e-12)
    np.testing.assert_array_equal(result.cloned_coefficient.data, upper)
    transposed = ag.triangular_solve(Tensor(B), Tensor(upper), transpose=True).solution
    np.testing.assert_allclose(upper.T @ transposed.data, B, atol=1e-12)
    unit = Tensor(B).triangular_solve(Tensor(np.tril(S)), upper=False, unitriangular=True).solution
    np.testing.assert_allclose((np.tril(S, -1) + np.eye(3)) @ unit.data, B, atol=1e-12)
    assert ag.gradcheck(lambda b, a: b.triangular_solve(a, transpose=True).solution, [_leaf(B), _leaf(upper)])


def test_svd_returns_v_not_vh_and_qr_lu_reconstruct():
    U, s, V = Tensor(M).svd()
    assert (U.shape, s.shape, V.shape) == ((4, 3), (3,), (3, 3))
    np.testing.assert_allclose((U.data * s.data) @ V.data.T, M, atol=1e-12)
    assert Tensor(M).svd(some=False).U.shape == (4, 4)
    zero_u, values, zero_v = ag.svd(Tensor(M), compute_uv=False)
    assert (zero_u.shape, zero_v.shape) == ((4, 4), (3, 3)) and not zero_u.data.any()
    np.testing.assert_allclose(values.data, np.linalg.svd(M, compute_uv=False))
    Q, R = Tensor(M).qr()
    np.testing.assert_allclose(Q.data @ R.data, M, atol=1e-12)
    assert ag.qr(Tensor(M), some=False).Q.shape == (4, 4)
    packed, pivots = Tensor(SPD).lu()
    np.testing.assert_allclose(Tensor(B).lu_solve(packed, pivots).data, np.linalg.solve(SPD, B))
    assert ag.lu(Tensor([[1.0, 2.0], [2.0, 4.0]]), get_infos=True)[2].item() == 2  # U[1, 1] = 0: singular
    assert Tensor(SPD).lu(get_infos=True)[2].item() == 0
    assert ag.gradcheck(lambda a: a.svd()[1], [_leaf(M)])


def test_lu_unpack_rebuilds_the_matrix_from_the_packed_factor():
    batch = RNG.standard_normal((2, 4, 3))
    P, lower, upper = ag.lu_unpack(*Tensor(batch).lu())
    np.testing.assert_allclose((P @ lower @ upper).data, batch, atol=1e-12)
    assert np.array_equal(np.triu(lower.data[0], 1), np.zeros((4, 3))) and (np.diagonal(lower.data, 0, 1, 2) == 1).all()
    assert ag.gradcheck(lambda packed: ag.lu_unpack(packed, ag.tensor([2, 2]))[1:], [_leaf(S[:2, :2])])
    with pytest.raises(
        ValueError, match=r"lu_unpack: pivots of shape \(3,\) \(int64\) do not fit LU of shape \(2, 2\)"
    ):
        ag.lu_unpack(Tensor(S[:2, :2]), ag.tensor([1, 2, 3]))


def test_lu_unpack_agrees_with_torch():
    torch = pytest.importorskip("torch")
    batch = RNG.standard_normal((2, 3, 4))
    ours = ag.lu_unpack(*ag.linalg.lu_factor(Tensor(batch)))
    theirs = torch.lu_unpack(*torch.linalg.lu_factor(torch.tensor(batch)))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.data, b.numpy(), atol=1e-12)


def test_the_methods_torch_removed_raise_naming_the_linalg_function():
    for name, replacement in [
        ("solve", r"ag.linalg.solve\(A, B\)"),
        ("lstsq", r"ag.linalg.lstsq\(A, B\)"),
        ("eig", r"ag.linalg.eigh\(A\)"),
        ("symeig", r"ag.linalg.eigh\(A\)"),
    ]:
        with pytest.raises(RuntimeError, match=rf"{name}: removed from PyTorch in 1.9 .*; use {replacement}"):
            getattr(Tensor(SPD), name)(Tensor(B))


def test_inner_dist_addr_addbmm_match_numpy_and_finite_differences():
    a, b = RNG.standard_normal((2, 3)), RNG.standard_normal((4, 3))
    np.testing.assert_allclose(Tensor(a).inner(Tensor(b)).data, np.inner(a, b))
    np.testing.assert_allclose(Tensor(a).inner(2.0).data, 2 * a)
    for p in [1, 2, 3.5, np.inf]:
        assert Tensor(a).dist(Tensor(b[0]), p).item() == pytest.approx(np.linalg.norm((a - b[0]).ravel(), p))
    v, w = RNG.standard_normal(2), RNG.standard_normal(3)
    np.testing.assert_allclose(
        Tensor(a).addr(Tensor(v), Tensor(w), beta=0.5, alpha=2).data, 0.5 * a + 2 * np.outer(v, w)
    )
    b1, b2 = RNG.standard_normal((5, 2, 4)), RNG.standard_normal((5, 4, 3))
    np.testing.assert_allclose(ag.addbmm(Tensor(a), Tensor(b1), Tensor(b2)).data, a + np.einsum("bij,bjk->ik", b1, b2))
    for fn, inputs in [
        (lambda x, y: x.inner(y), [a, b]),
        (lambda x, y: x.dist(y, 3), [a, b[:2]]),
        (lambda x, y: x.addr(y[0, :2], y[1], alpha=-1), [a, b]),
        (lambda x, y, z: x.addbmm(y, z, beta=2), [a, b1, b2]),
    ]:
        assert ag.gradcheck(fn, [_leaf(i) for i in inputs])
    with pytest.raises(ValueError, match=r"inner: the last dims must match, got shapes \(2, 3\) and \(3, 4\)"):
        Tensor(a).inner(Tensor(b.T))


def test_in_place_products_write_their_value_and_refuse_a_parameter():
    t = Tensor(np.zeros((2, 2)))
    t.addr_(Tensor([1.0, 2.0]), Tensor([1.0, 1.0])).addmm_(Tensor(np.eye(2)), Tensor(np.ones((2, 2))), beta=2)
    assert t.tolist() == [[3.0, 3.0], [5.0, 5.0]]
    assert Tensor([1.0]).addmv_(Tensor([[2.0]]), Tensor([3.0])).tolist() == [7.0]
    assert Tensor([[1.0]]).addbmm_(Tensor(np.ones((2, 1, 1))), Tensor(np.ones((2, 1, 1)))).tolist() == [[3.0]]
    assert Tensor(np.ones((1, 1, 1))).baddbmm_(Tensor([[[2.0]]]), Tensor([[[2.0]]])).tolist() == [[[5.0]]]
    with pytest.raises(RuntimeError, match=r"addr_\(\)"):
        _leaf(np.zeros((1, 1))).addr_(Tensor([1.0]), Tensor([1.0]))


# ------------------------------------------------------------------------------- torch as a second oracle
TORCH_CASES = {
    "cholesky": (lambda a, b: a.cholesky(), [SPD, B]),
    "cholesky_inverse": (lambda a, b: a.cholesky_inverse(), [L, B]),
    "cholesky_solve": (lambda a, b: b.cholesky_solve(a), [L, B]),
    "triangular_solve": (lambda a, b: b.triangular_solve(a, upper=False).solution, [L, B]),
    "qr": (lambda a, b: a.qr()[1], [M, B]),
    "svd S": (lambda a, b: a.svd()[1], [M, B]),
    "lu_solve": (lambda a, b: b.lu_solve(*a.lu()), [SPD, B]),
    "inner": (lambda a, b: a.inner(b), [M, RNG.standard_normal((2, 3))]),
    "dist": (lambda a, b: a.dist(b, 1.5), [M, B[:, 0].copy()]),
    "addr": (lambda a, b: a.addr(b[:, 0], b[:, 1], beta=0.5), [S, B]),
    "addbmm": (lambda a, b: a.addbmm(b.unsqueeze(0), b.mT.unsqueeze(0)), [S, B]),
}


@pytest.mark.filterwarnings("ignore::UserWarning")  # torch's deprecation notes on cholesky, lu, qr, ...
@pytest.mark.parametrize("name", TORCH_CASES)
def test_values_and_gradients_agree_with_torch(name):
    torch = pytest.importorskip("torch")
    fn, arrays = TORCH_CASES[name]
    ours, theirs = [_leaf(a) for a in arrays], [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    out, expected = fn(*ours), fn(*theirs)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    weights = RNG.standard_normal(out.shape)
    (out * Tensor(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    for a, b, x in zip(ours, theirs, arrays):
        grad = b.grad.numpy() if b.grad is not None else np.zeros_like(x)
        if name.startswith("cholesky_") and x is L:  # the triangle read (see the module docstring)
            grad = np.tril(grad)
        np.testing.assert_allclose(0 if a.grad is None else a.grad, grad, rtol=1e-9, atol=1e-10)
