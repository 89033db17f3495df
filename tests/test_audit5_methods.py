"""The PyTorch calls the fifth everyday-use audit found missing (einsum, prod, log1p/expm1, the matrix and
picking helpers, x.new_*): values and gradients against closed forms, numpy, gradcheck, and torch 2 where
it is installed. The defects in the engine itself: test_audit5_engine.py."""

import numpy as np
import pytest
from audit5_helpers import torch_grad

import autograd_core as ag
from autograd_core import Tensor

EINSUM_CASES = [  # equation, operand shapes: contractions, batches, broadcasting ellipses, diagonals, implicit output
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("ij,jk", [(3, 4), (4, 5)]),
    ("i,i->", [(3,), (3,)]),
    ("i,j->ij", [(3,), (4,)]),
    ("ij->ji", [(3, 4)]),
    ("ii->", [(3, 3)]),
    ("ii->i", [(3, 3)]),
    ("iij->j", [(3, 3, 2)]),
    ("...ij,...jk->...ik", [(1, 3, 4), (2, 4, 5)]),
    ("bij,bjk->bik", [(1, 2, 3), (4, 3, 2)]),
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
    ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),
    (",i->i", [(), (3,)]),
    ("i...->...", [(3, 2, 4)]),
]


@pytest.mark.parametrize("equation, shapes", EINSUM_CASES)
def test_einsum_equals_numpys_values_and_passes_gradcheck_to_second_order(equation, shapes):
    rs = np.random.RandomState(len(equation))
    arrays = [rs.randn(*s) for s in shapes]
    out = ag.einsum(equation, *[Tensor(a, requires_grad=True) for a in arrays])
    np.testing.assert_allclose(out.data, np.einsum(equation, *arrays), atol=1e-12)
    assert ag.gradcheck(lambda *xs: ag.einsum(equation, *xs), tuple(Tensor(a, requires_grad=True) for a in arrays))
    first = Tensor(arrays[0], requires_grad=True)  # d/dx of the gradient of a contraction of x with itself
    assert ag.gradcheck(
        lambda x: ag.grad((ag.einsum(equation, x, *arrays[1:]) ** 2).sum(), x, create_graph=True)[0], first
    )


def test_einsum_gradients_are_the_closed_forms_of_matmul_trace_and_attention_scores():
    rs = np.random.RandomState(0)
    a, b = Tensor(rs.randn(3, 4), requires_grad=True), Tensor(rs.randn(4, 5), requires_grad=True)
    ag.einsum("ij,jk->ik", a, b).sum().backward()  # d sum(AB)/dA = 1 B^T, dB = A^T 1
    np.testing.assert_allclose(a.grad, np.ones((3, 5)) @ b.data.T)
    np.testing.assert_allclose(b.grad, a.data.T @ np.ones((3, 5)))
    m = Tensor(rs.randn(3, 3), requires_grad=True)
    trace = ag.einsum("ii", m)  # implicit output: no letter appears once, so a scalar (numpy's rule)
    trace.backward()
    assert trace.shape == () and trace.item() == pytest.approx(np.trace(m.data))
    np.testing.assert_array_equal(m.grad, np.eye(3))
    q = Tensor(rs.randn(2, 3, 4).astype(np.float32), requires_grad=True)
    scores = ag.einsum("bqd,bkd->bqk", q, q)  # float32 stays float32, value and gradient
    assert scores.dtype == np.float32 and scores.shape == (2, 3, 3)
    scores.sum().backward()
    assert q.grad.dtype == np.float32
    np.testing.assert_allclose(q.grad, 2 * q.data.sum(1, keepdims=True).repeat(3, 1), rtol=1e-5)


def test_einsum_takes_a_list_and_numpys_spelling_records_it():
    x = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    assert ag.einsum("ij,j->i", [x, np.array([1.0, 1.0])]).tolist() == [3.0, 7.0]
    y = np.einsum("ij,ij->", x, x)  # was a TypeError: "np.einsum is not implemented for Tensors"
    assert isinstance(y, Tensor) and y.item() == 30.0
    y.backward()
    np.testing.assert_array_equal(x.grad, 2 * x.data)
    with pytest.raises(TypeError, match=r"np.einsum\(..., out=\) on a Tensor is not supported"):
        np.einsum("ij->", x, out=np.zeros(()))


@pytest.mark.parametrize(
    "equation, shapes, message",
    [
        ("ij,jk->ik", [(3, 4), (5, 6)], "'j' stands for sizes 4 and 5"),
        ("ij,jk", [(3, 4)], "the equation names 2 operands, 1 were given"),
        ("ijk", [(3, 4)], "operand 0 (2-d) does not fit 'ijk'"),
        ("ij->ik", [(3, 4)], "the output 'ik' must name each letter once"),
        ("ij->ii", [(3, 3)], "the output 'ii' must name each letter once"),
        ("...ij,...jk", [(2, 3, 4), (3, 4, 5)], "an axis under ... stands for sizes 2 and 3"),
    ],
)
def test_einsum_names_the_equation_and_the_fix_on_bad_input(equation, shapes, message):
    with pytest.raises(ValueError) as info:
        ag.einsum(equation, *[Tensor(np.ones(s)) for s in shapes])
    assert f"einsum {equation!r}" in str(info.value) and message in str(info.value)


def test_einsum_equals_torch_in_value_and_gradient():
    torch = pytest.importorskip("torch")
    rs = np.random.RandomState(2)
    for equation, shapes in EINSUM_CASES:
        arrays = [rs.randn(*s) for s in shapes]
        weights = rs.randn(*np.einsum(equation, *arrays).shape)
        tensors = [Tensor(a, requires_grad=True) for a in arrays]
        out = ag.einsum(equation, *tensors)
        (out * weights).sum().backward()
        weighted = lambda *ts, e=equation, w=weights: torch.einsum(e, *ts) * torch.tensor(w)  # noqa: E731
        value, grads = torch_grad(torch, weighted, *arrays)
        np.testing.assert_allclose(out.data * weights, value, atol=1e-12)
        for t, g in zip(tensors, grads):
            np.testing.assert_allclose(t.grad, g, atol=1e-12)


def test_prod_gradient_is_the_product_of_the_others_also_at_zeros():
    x = np.array([[2.0, 0.0, 3.0, 5.0, -1.0], [1.5, 2.0, -2.0, 0.5, 4.0], [0.0, 1.0, 0.0, 2.0, 3.0]])
    t = Tensor(x, requires_grad=True)
    out = t.prod(1)  # was an AttributeError: torch.prod / np.prod had no spelling here
    np.testing.assert_allclose(out.data, x.prod(1))
    out.sum().backward()
    others = np.array([[np.prod(np.delete(row, j)) for j in range(5)] for row in x])  # closed form, no division
    np.testing.assert_allclose(t.grad, others)
    assert t.grad[0].tolist() == [0.0, -30.0, 0.0, 0.0, 0.0] and not t.grad[2].any()  # one zero, two zeros
    assert ag.prod(t, -1, keepdim=True).shape == (3, 1) and ag.prod(t).shape == ()
    assert Tensor(x).prod((0, 1)).item() == 0.0 and Tensor(np.ones((2, 0))).prod(1).tolist() == [1.0, 1.0]
    assert Tensor(3.0).prod(0).item() == 3.0 and Tensor(np.ones(3, np.float32)).prod().dtype == np.float32
    assert isinstance(np.prod(t, axis=0), Tensor)
    y = Tensor(np.random.RandomState(0).randn(3, 7), requires_grad=True)
    assert ag.gradcheck(lambda a: a.prod(1), y) and ag.gradcheck(lambda a: a.prod(), y)
    assert ag.gradcheck(lambda a: ag.grad(a.prod(), a, create_graph=True)[0], Tensor(x[0], requires_grad=True))


def test_prod_equals_torch_in_value_and_gradient():
    torch = pytest.importorskip("torch")
    x = np.random.RandomState(3).randn(2, 3, 5)
    x[0, 1, 2] = x[1, 2, 0] = x[1, 2, 3] = 0.0
    for kwargs in ({}, {"dim": 1}, {"dim": -1, "keepdim": True}, {"dim": 0}):
        t = Tensor(x, requires_grad=True)
        out = t.prod(**kwargs)
        out.sum().backward()
        value, (grad,) = torch_grad(torch, lambda a, k=kwargs: a.prod(**k), x)
        np.testing.assert_allclose(out.data, value)
        np.testing.assert_allclose(t.grad, grad)


def test_log1p_and_expm1_are_accurate_near_zero_with_their_closed_form_gradients():
    x = np.array([1e-20, 1e-10, 0.5, 3.0])
    t = Tensor(x, requires_grad=True)
    y = t.log1p()  # was an AttributeError; ag.log(1 + t), the old hint, gives 0 at 1e-20
    assert y.data[0] == 1e-20 and (1 + t).log().data[0] == 0.0
    y.sum().backward()
    np.testing.assert_allclose(t.grad, 1 / (1 + x))
    u = Tensor(x, requires_grad=True)
    z = ag.expm1(u)
    assert z.data[0] == 1e-20
    z.sum().backward()
    np.testing.assert_allclose(u.grad, np.exp(x))
    w = Tensor(np.array([0.3, 1.7], dtype=np.float32), requires_grad=True)
    np.log1p(w).sum().backward()  # numpy's spelling is the recorded op
    assert w.grad.dtype == np.float32 and np.allclose(w.grad, 1 / np.array([1.3, 2.7]))
    for f in (lambda a: a.log1p(), lambda a: a.expm1(), lambda a: np.expm1(a)):
        assert ag.gradcheck(f, Tensor(x[1:], requires_grad=True))
        assert ag.gradcheck(
            lambda a, f=f: ag.grad(f(a).sum(), a, create_graph=True)[0], Tensor(x[1:], requires_grad=True)
        )


def test_pytorchs_reciprocal_rsqrt_sign_clamp_min_max_and_where_methods():
    x = np.array([0.5, 2.0, 4.0])
    t = Tensor(x, requires_grad=True)
    t.reciprocal().sum().backward()
    np.testing.assert_allclose(t.grad, -1 / x**2)
    t.grad = None
    t.rsqrt().sum().backward()
    np.testing.assert_allclose(t.grad, -0.5 * x**-1.5)
    s = Tensor([-2.0, 0.0, 3.0], requires_grad=True).sign()
    assert s.tolist() == [-1.0, 0.0, 1.0] and not s.requires_grad  # a constant: its gradient is zero
    assert t.clamp_min(1.0).tolist() == [1.0, 2.0, 4.0] and t.clamp_max(1.0).tolist() == [0.5, 1.0, 1.0]
    t.grad = None
    t.where(Tensor(x) > 1, 0.0).sum().backward()  # x.where(cond, y): x where cond holds
    assert t.grad.tolist() == [0.0, 1.0, 1.0]
    for f in (lambda a: a.reciprocal(), lambda a: a.rsqrt(), lambda a: a.clamp_min(1.0) * a.clamp_max(3.0)):
        assert ag.gradcheck(f, Tensor(x + 0.1, requires_grad=True))


def test_pytorchs_expand_as_unbind_dot_outer_bmm_and_mt():
    rs = np.random.RandomState(4)
    a, b = rs.randn(3), rs.randn(3)
    u, v = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    u.dot(v).backward()
    np.testing.assert_allclose(u.grad, b)
    u.grad = None
    u.outer(v).sum().backward()  # d sum(u v^T)/du = sum(v)
    np.testing.assert_allclose(u.grad, np.full(3, b.sum()))
    m = rs.randn(2, 3, 4)
    t = Tensor(m, requires_grad=True)
    assert t.mT.shape == (2, 4, 3) and np.array_equal(t.mT.data, m.transpose(0, 2, 1))
    np.testing.assert_allclose(t.bmm(t.mT).data, m @ m.transpose(0, 2, 1))
    rows = t.unbind(1)
    assert len(rows) == 3 and all(r.shape == (2, 4) for r in rows)
    (rows[0] * 2 + rows[2]).sum().backward()
    assert t.grad[:, 0].tolist() == [[2.0] * 4] * 2 and not t.grad[:, 1].any() and (t.grad[:, 2] == 1).all()
    c = Tensor(rs.randn(3, 1), requires_grad=True)
    c.expand_as(t).sum().backward()
    assert c.grad.tolist() == [[8.0]] * 3  # broadcast over (2, ., 4): 8 copies of each
    assert ag.gradcheck(
        lambda p, q: p.bmm(q.mT), (Tensor(m, requires_grad=True), Tensor(rs.randn(2, 5, 4), requires_grad=True))
    )
    assert ag.gradcheck(
        lambda p, q: p.outer(q) + p.dot(q), (Tensor(a, requires_grad=True), Tensor(b, requires_grad=True))
    )


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: Tensor(np.ones(3)).dot(np.ones(4)),
            r"dot: needs two 1-d tensors of one length \(PyTorch's dot\), got shapes \(3,\) and \(4,\); use @ for",
        ),
        (lambda: Tensor(np.ones((2, 3))).outer(np.ones(3)), r"outer: needs two 1-d tensors, got shapes \(2, 3\)"),
        (lambda: Tensor(np.ones((2, 3, 4))).bmm(np.ones((3, 4, 5))), r"bmm: needs two 3-d tensors with one batch size"),
        (lambda: Tensor(np.ones(3)).mT, r"mT: needs a tensor of 2 or more dimensions, got shape \(3,\)"),
        (lambda: Tensor(1.0).unbind(), r"unbind: a 0-d tensor has no dimension to unbind"),
        (lambda: Tensor(np.ones((2, 3))).unbind(2), r"unbind: axis 2 is out of range"),
    ],
)
def test_the_new_methods_name_the_op_and_the_shapes_on_bad_input(call, message):
    with pytest.raises((ValueError, IndexError)) as info:
        call()
    assert info.match(message)


def test_the_new_methods_equal_torch_in_value_and_gradient():
    torch = pytest.importorskip("torch")
    rs = np.random.RandomState(5)
    x, y, m = rs.uniform(0.2, 3.0, 4), rs.randn(4), rs.randn(2, 3, 4)
    one = {
        "log1p": lambda a: a.log1p(),
        "expm1": lambda a: a.expm1(),
        "reciprocal": lambda a: a.reciprocal(),
        "rsqrt": lambda a: a.rsqrt(),
        "clamp_min": lambda a: a.clamp_min(1.0),
        "clamp_max": lambda a: a.clamp_max(1.0),
    }
    for name, f in one.items():
        t = Tensor(x, requires_grad=True)
        f(t).sum().backward()
        value, (grad,) = torch_grad(torch, f, x)
        np.testing.assert_allclose(f(Tensor(x)).data, value, err_msg=name)
        np.testing.assert_allclose(t.grad, grad, err_msg=name)
    two = {
        "dot": (lambda a, b: a.dot(b), x, y),
        "outer": (lambda a, b: a.outer(b), x, y),
        "bmm": (lambda a, b: a.bmm(b.mT), m, rs.randn(2, 5, 4)),
        "unbind": (lambda a, b: a.unbind(1)[2] * b.unbind(0)[1], m, rs.randn(2, 4)),
        "expand_as": (lambda a, b: a.expand_as(b) * b, rs.randn(3, 1), m),
        "where": (lambda a, b: a.where(a > 0, b), x - 1, y),
    }
    for name, (f, p, q) in two.items():
        ts = Tensor(p, requires_grad=True), Tensor(q, requires_grad=True)
        out = f(*ts)
        out.sum().backward()
        value, grads = torch_grad(torch, f, p, q)
        np.testing.assert_allclose(out.data, value, err_msg=name)
        for t, g in zip(ts, grads):
            np.testing.assert_allclose(t.grad, g, err_msg=name)


def test_new_zeros_ones_full_and_tensor_take_this_tensors_dtype_as_pytorchs():
    x = Tensor(np.ones((2, 3), np.float32), requires_grad=True)
    z = x.new_zeros(2, 3)  # was an AttributeError; zeros(2, 3) would be float64 and upcast x's graph
    assert z.dtype == np.float32 and z.shape == (2, 3) and not z.any() and not z.requires_grad
    assert x.new_ones((4,)).dtype == np.float32 and x.new_ones([4]).tolist() == [1.0] * 4
    assert x.new_full((2,), 7).tolist() == [7.0, 7.0] and x.new_full((2,), 7).dtype == np.float32
    copy = x.new_tensor(x)  # a constant copy: not in x's graph, not x's memory
    assert copy.dtype == np.float32 and not copy.requires_grad and not np.shares_memory(copy.data, x.data)
    assert x.new_zeros(2, dtype=ag.float64).dtype == np.float64
    bias = x.new_zeros(3, requires_grad=True)
    (x * 2 + bias).sum().backward()  # float32 end to end: the gradients are the closed forms 2 and 2 rows of 1
    assert bias.grad.dtype == x.grad.dtype == np.float32
    assert bias.grad.tolist() == [2.0] * 3 and x.grad.tolist() == [[2.0] * 3] * 2


def test_new_factories_match_torchs_dtypes_and_values():
    torch = pytest.importorskip("torch")
    t, x = torch.ones(2, dtype=torch.float32), Tensor(np.ones(2, np.float32))
    calls = (("new_zeros", ((2, 3),)), ("new_ones", ((3,),)), ("new_full", ((2,), 7)), ("new_tensor", ([1, 2],)))
    for name, args in calls:
        ours, theirs = getattr(x, name)(*args), getattr(t, name)(*args)
        assert ours.tolist() == theirs.tolist() and str(ours.dtype) == str(theirs.dtype).split(".")[1], name


def test_tril_triu_diagonal_trace_and_diag_values_and_gradients():
    m = np.arange(1.0, 13.0).reshape(3, 4)
    x = Tensor(m, requires_grad=True)
    mask = np.tril(np.ones((4, 4)))  # nanoGPT's causal mask, torch.tril(torch.ones(T, T)): was an AttributeError
    assert ag.tril(ag.ones(4, 4)).tolist() == mask.tolist()
    assert np.array_equal(x.tril(-1).data, np.tril(m, -1)) and np.array_equal(ag.triu(x, 1).data, np.triu(m, 1))
    x.triu(1).sum().backward()  # the gradient passes through the kept entries only
    np.testing.assert_array_equal(x.grad, np.triu(np.ones((3, 4)), 1))
    inf = Tensor(np.full((2, 2), np.inf))
    assert inf.tril().tolist() == [[np.inf, 0.0], [np.inf, np.inf]]  # a fill, not a product: 0 where dropped
    assert np.array_equal(x.diagonal(1).data, np.diagonal(m, 1)) and np.array_equal(x.diagonal(-1).data, [5.0, 10.0])
    s = Tensor(m[:, :3], requires_grad=True)
    ag.trace(s).backward()  # d trace / dX = I
    np.testing.assert_array_equal(s.grad, np.eye(3))
    v = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    d = ag.diag(v, 1)
    assert np.array_equal(d.data, np.diag([1.0, 2.0, 3.0], 1)) and np.array_equal(ag.diag(d, 1).data, v.data)
    (d * Tensor(np.arange(16.0).reshape(4, 4))).sum().backward()  # each v[i] sits at (i, i+1): weights 1, 6, 11
    assert v.grad.tolist() == [1.0, 6.0, 11.0]
    b = Tensor(np.random.RandomState(7).randn(2, 3, 3), requires_grad=True)
    np.testing.assert_array_equal(b.diagonal(0, 1, 2).data, np.diagonal(b.data, 0, 1, 2))  # batched, as torch's
    for f in (lambda a: a.tril(), lambda a: a.triu(-1), lambda a: a.diagonal(1) * 2, lambda a: a[:, :3].trace()):
        assert ag.gradcheck(f, Tensor(m, requires_grad=True))
    assert ag.gradcheck(lambda a: a.diag(-1), Tensor([1.0, 2.0], requires_grad=True))


def test_index_select_masked_select_nonzero_roll_swapaxes_and_movedim():
    m = np.arange(12.0).reshape(3, 4)
    x = Tensor(m, requires_grad=True)
    picked = x.index_select(1, ag.tensor([0, 0, 3]))  # repeated indices: their gradients add up
    assert np.array_equal(picked.data, m[:, [0, 0, 3]])
    picked.sum().backward()
    assert x.grad[0].tolist() == [2.0, 0.0, 0.0, 1.0]
    x.grad = None
    selected = x.masked_select(np.array([True, False, False, True]))  # the mask broadcasts over the rows
    assert selected.tolist() == [0.0, 3.0, 4.0, 7.0, 8.0, 11.0]
    selected.sum().backward()
    assert x.grad[:, 0].tolist() == [1.0] * 3 and not x.grad[:, 1:3].any()
    assert x.nonzero().tolist() == np.argwhere(m).tolist() and x.nonzero().dtype == np.int64
    assert np.array_equal(x.roll(1, 1).data, np.roll(m, 1, 1)) and np.array_equal(ag.roll(x, -5).data, np.roll(m, -5))
    assert np.array_equal(x.roll((1, 2), (0, 1)).data, np.roll(m, (1, 2), (0, 1)))
    cube = Tensor(np.zeros((2, 3, 4)))
    assert cube.swapaxes(0, 2).shape == (4, 3, 2) and cube.movedim(0, -1).shape == (3, 4, 2)
    assert cube.movedim(2, 0).shape == (4, 2, 3)
    for f in (lambda a: a.index_select(0, [2, 2]), lambda a: a.masked_select(m > 5), lambda a: a.roll(3) * a):
        assert ag.gradcheck(f, Tensor(m, requires_grad=True))


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: Tensor(np.ones(3)).tril(), ValueError, r"tril: needs a tensor of 2 or more dimensions"),
        (lambda: Tensor(np.ones(3)).diagonal(), ValueError, r"diagonal: needs a tensor of 2 or more dimensions"),
        (lambda: Tensor(np.ones((2, 2, 2))).trace(), ValueError, r"trace: needs a 2-d tensor, got shape \(2, 2, 2\)"),
        (lambda: Tensor(np.ones((2, 2, 2))).diag(), ValueError, r"diag: needs a 1-d or 2-d tensor"),
        (
            lambda: Tensor(np.ones((2, 2))).index_select(0, [0.5]),
            ValueError,
            r"index_select: index must be a 1-d integer",
        ),
        (lambda: Tensor(np.ones((2, 2))).masked_select(np.ones(2)), TypeError, r"masked_select: mask must be boolean"),
        (lambda: Tensor(np.ones((2, 2))).roll((1, 2), 0), ValueError, r"roll: 2 shifts for 1 dims"),
    ],
)
def test_the_matrix_and_picking_helpers_name_the_op_on_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_the_matrix_and_picking_helpers_equal_torch():
    torch = pytest.importorskip("torch")
    m, w = np.random.RandomState(8).randn(3, 4), np.random.RandomState(9).randn(5, 5)
    cases = {
        "tril": lambda a: a.tril(-1),
        "triu": lambda a: a.triu(1),
        "diagonal": lambda a: a.diagonal(1),
        "trace": lambda a: a[:, :3].trace(),
        "diag": lambda a: a[0].diag(1),
        "roll": lambda a: a.roll(2, 1),
        "swapaxes": lambda a: a.swapaxes(0, 1),
        "movedim": lambda a: a.movedim(0, 1),
        "masked_select": lambda a: a.masked_select(a > 0),
    }
    for name, f in cases.items():
        x = Tensor(m, requires_grad=True)
        out = f(x)
        weights = w.reshape(-1)[: out.size].reshape(out.shape)
        (out * weights).sum().backward()
        value, (grad,) = torch_grad(torch, lambda a, f=f, k=weights: f(a) * torch.tensor(k), m)
        np.testing.assert_allclose(out.data * weights, value, err_msg=name)
        np.testing.assert_allclose(x.grad, grad, err_msg=name)
    index = torch.tensor([0, 0, 3])
    t = torch.tensor(m, requires_grad=True)
    t.index_select(1, index).sum().backward()
    x = Tensor(m, requires_grad=True)
    x.index_select(1, ag.tensor([0, 0, 3])).sum().backward()
    np.testing.assert_array_equal(x.grad, t.grad.numpy())
    assert Tensor(m).nonzero().tolist() == torch.tensor(m).nonzero().tolist()
