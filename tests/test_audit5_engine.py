"""Found by the fifth everyday-use audit, the engine's public API used as PyTorch's autograd, JAX or
micrograd users write it: each defect's test checks values and gradients against a closed form or
finite differences (the project's gradcheck), and against torch 2 where it is installed."""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor


def _torch_grad(torch, f, *arrays):
    """torch's value and gradients of ``f(*tensors).sum()`` in float64."""
    ts = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    out = f(*ts)
    out.sum().backward()
    return out.detach().numpy(), [t.grad.numpy() for t in ts]


def test_logsumexp_keeps_the_reduced_axis_when_keepdim_is_passed_with_a_positional_dim():
    x = np.random.RandomState(0).randn(2, 3, 4)
    t = Tensor(x, requires_grad=True)
    out = t.logsumexp(1, keepdim=True)  # keepdim was dropped unless dim was also a keyword: shape (2, 4)
    assert out.shape == (2, 1, 4)
    np.testing.assert_allclose(out.data, np.log(np.exp(x).sum(1, keepdims=True)))
    assert ag.logsumexp(t, 1, keepdim=True).shape == (2, 1, 4)
    (out * Tensor(np.arange(8.0).reshape(2, 1, 4))).sum().backward()
    softmax = np.exp(x) / np.exp(x).sum(1, keepdims=True)
    np.testing.assert_allclose(t.grad, softmax * np.arange(8.0).reshape(2, 1, 4))
    assert ag.gradcheck(lambda a: a.logsumexp(-1, keepdim=True), Tensor(x, requires_grad=True))


def test_logsumexp_keepdim_equals_torch():
    torch = pytest.importorskip("torch")
    x = np.random.RandomState(1).randn(2, 3, 4)
    t = Tensor(x, requires_grad=True)
    out = t.logsumexp(-1, keepdim=True)
    out.sum().backward()
    value, (grad,) = _torch_grad(torch, lambda a: a.logsumexp(-1, keepdim=True), x)
    np.testing.assert_allclose(out.data, value)
    np.testing.assert_allclose(t.grad, grad)


def test_an_integer_tensor_made_to_require_grad_by_assignment_is_refused_not_truncated():
    counts = Tensor(np.array([1, 2]))
    counts.requires_grad = True  # PyTorch refuses this assignment; here it skipped the constructor's check
    loss = (counts * 2.5).sum()
    assert loss.item() == 7.5
    with pytest.raises(RuntimeError) as info:
        loss.backward()  # the gradient 2.5 was silently stored as int64 2
    message = str(info.value)
    assert "mul: input 0 is a int64 tensor that requires grad" in message
    assert "truncated" in message and "dtype=ag.float64" in message
    assert counts.grad is None
    x = counts.detach().double().requires_grad_()  # the fix the message names: the gradient is the closed form
    (x * 2.5).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.5, 2.5])
    assert ag.gradcheck(lambda a: a * 2.5, Tensor([1.0, 2.0], requires_grad=True))


def test_the_float_copy_of_an_integer_tensor_gets_torchs_gradient():
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError):  # torch refuses the assignment itself
        torch.tensor([1, 2]).requires_grad = True
    x = Tensor(np.array([1, 2])).double().requires_grad_()
    (x * 2.5).sum().backward()
    _, (grad,) = _torch_grad(torch, lambda a: a * 2.5, np.array([1.0, 2.0]))
    np.testing.assert_array_equal(x.grad, grad)


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
        value, grads = _torch_grad(torch, weighted, *arrays)
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
        value, (grad,) = _torch_grad(torch, lambda a, k=kwargs: a.prod(**k), x)
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
        value, (grad,) = _torch_grad(torch, f, x)
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
        value, grads = _torch_grad(torch, f, p, q)
        np.testing.assert_allclose(out.data, value, err_msg=name)
        for t, g in zip(ts, grads):
            np.testing.assert_allclose(t.grad, g, err_msg=name)


def test_grad_names_a_non_tensor_output_or_input_and_its_own_seed_argument():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"grad: output 0 is a float, not a Tensor"):
        ag.grad(3.0, x)  # was AttributeError: 'float' object has no attribute 'requires_grad'
    with pytest.raises(TypeError, match=r"grad: input 1 is a ndarray, not a Tensor"):
        ag.grad((x * 2).sum(), [x, np.ones(2)])
    with pytest.raises(RuntimeError) as info:
        ag.grad(x * 2, x)  # the hint named backward's grad= and y.sum().backward()
    message = str(info.value)
    assert "ag.grad(y.sum(), inputs)" in message and "pass grad_outputs= an array of shape (2,)" in message
    with pytest.raises(RuntimeError, match=r"grad: grad_outputs has shape \(1,\) but the tensor has shape \(2,\)"):
        ag.grad(x * 2, x, grad_outputs=Tensor([1.0]))
    with pytest.raises(RuntimeError, match=r"backward: .* pass grad= an array of shape \(2,\)"):
        (x * 2).backward()
    (g,) = ag.grad(x * x, x, grad_outputs=Tensor([1.0, 10.0]))  # the seed it names: dL/dy, so 2x * seed
    assert g.tolist() == [2.0, 40.0]
    assert ag.gradcheck(lambda a: a * a, Tensor([1.0, 2.0], requires_grad=True))


def test_grad_with_grad_outputs_equals_torch():
    torch = pytest.importorskip("torch")
    t = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    (expected,) = torch.autograd.grad(t * t, t, grad_outputs=torch.tensor([1.0, 10.0], dtype=torch.float64))
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        torch.autograd.grad(t * 2, t)  # torch refuses the same call
    x = Tensor([1.0, 2.0], requires_grad=True)
    (g,) = ag.grad(x * x, x, grad_outputs=Tensor([1.0, 10.0]))
    np.testing.assert_array_equal(g.data, expected.numpy())


def test_a_one_element_integer_tensor_indexes_python_sequences_as_in_the_cifar_tutorial():
    classes = ("plane", "car", "bird", "cat")
    outputs = Tensor(np.array([[0.1, 2.0, 0.3, 0.0], [0.0, 0.1, 0.2, 3.0]]))
    predicted = outputs.argmax(1)
    # PyTorch's tutorial prints classes[predicted[j]]: was "tuple indices must be integers or slices, not Tensor"
    assert [classes[predicted[j]] for j in range(2)] == ["car", "cat"]
    assert list(range(ag.tensor(3))) == [0, 1, 2] and classes[: ag.tensor(2)] == ("plane", "car")
    assert classes[Tensor(np.array([3]))] == "cat"
    with pytest.raises(TypeError, match=r"only a one-element integer tensor can be used as an index, .* float64"):
        classes[Tensor(1.0)]
    with pytest.raises(TypeError, match=r"this one is int64 of shape \(2,\)"):
        classes[predicted]
    values = np.arange(10.0)  # numpy still reads an integer tensor as an index array, as before
    assert values[ag.tensor([1, 2])].tolist() == [1.0, 2.0] and values[ag.tensor(3)] == 3.0


def test_an_integer_tensor_indexes_as_a_torch_tensor_does():
    torch = pytest.importorskip("torch")
    classes = ["plane", "car", "bird"]
    assert classes[ag.tensor(2)] == classes[torch.tensor(2)]
    assert list(range(ag.tensor(3))) == list(range(torch.tensor(3)))


def test_inference_mode_records_nothing_as_pytorchs_evaluation_loops_expect():
    w = Tensor([1.0, 2.0], requires_grad=True)
    with ag.inference_mode():  # was an AttributeError: modern PyTorch evaluation code spells no_grad so
        y = (w * 2).sum()
        assert not ag.is_grad_enabled()
    assert not y.requires_grad and ag.is_grad_enabled() and y.item() == 6.0
    with ag.inference_mode(False):  # leaves grad mode as it was: on here, off under no_grad
        assert (w * 2).requires_grad
    with ag.no_grad(), ag.inference_mode(False):
        assert not (w * 2).requires_grad

    @ag.inference_mode
    def bare(x):
        return x * 3

    @ag.inference_mode()
    def called(x):
        return x * 3

    assert not bare(w).requires_grad and not called(w).requires_grad and bare.__name__ == "bare"
    z = (w * w).sum()  # recording is back on after the blocks: the gradient is the closed form 2w
    z.backward()
    assert w.grad.tolist() == [2.0, 4.0]


def test_inference_mode_agrees_with_torch():
    torch = pytest.importorskip("torch")
    t = torch.ones(2, requires_grad=True)
    w = Tensor([1.0, 1.0], requires_grad=True)
    with torch.inference_mode(), ag.inference_mode():
        assert (t * 2).requires_grad == (w * 2).requires_grad
    with torch.inference_mode(False), ag.inference_mode(False):
        assert (t * 2).requires_grad == (w * 2).requires_grad


def _wrong_square(x):
    """x * x with backward told that one factor is a constant: half the true gradient."""
    return x * x.detach()


def test_gradcheck_takes_raise_exception_and_tuple_outputs_as_pytorchs():
    x = Tensor(np.random.RandomState(6).randn(3), requires_grad=True)
    assert ag.gradcheck(_wrong_square, x, raise_exception=False) is False  # was a TypeError (no such keyword)
    with pytest.raises(AssertionError, match="gradcheck: input 0 at index"):
        ag.gradcheck(_wrong_square, x)
    assert ag.gradcheck(lambda a: a * a, x, raise_exception=False) is True
    assert ag.gradcheck(lambda a: (a.exp(), a.sum() * 2), x)  # was "fn must return a Tensor, got tuple"
    assert ag.gradcheck(lambda a, b: (a * b, b.sin()), (x, Tensor([0.5, 1.0, 2.0], requires_grad=True)))
    assert ag.gradcheck(lambda a: (a * a, _wrong_square(a)), x, raise_exception=False) is False
    with pytest.raises(TypeError, match="fn must return a Tensor or a tuple of Tensors, got float"):
        ag.gradcheck(lambda a: 1.0, x)


def test_gradcheck_flags_the_same_functions_as_torchs():
    torch = pytest.importorskip("torch")

    def wrong(t):
        return t * t.detach()

    t = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64, requires_grad=True)
    x = Tensor([0.5, -1.0, 2.0], requires_grad=True)
    for f in (wrong, lambda a: (a.exp(), a * a)):
        expected = torch.autograd.gradcheck(f, (t,), raise_exception=False)
        assert ag.gradcheck(_wrong_square if f is wrong else f, x, raise_exception=False) is expected


def test_np_array_of_a_tensor_is_a_copy_and_np_asarray_the_same_memory():
    w = Tensor([1.0, 2.0], requires_grad=True)
    before = np.array(w)  # a snapshot before an update: numpy 2 asks __array__ for the copy, which ignored it
    with ag.no_grad():
        w -= 0.5 * np.ones(2)
    assert before.tolist() == [1.0, 2.0] and w.tolist() == [0.5, 1.5]
    assert np.shares_memory(np.asarray(w), w.data) and np.array(w, copy=False) is w.data  # views stay views
    assert np.array(w, dtype=np.float32).dtype == np.float32 and np.array(Tensor(3.0)).item() == 3.0


def test_a_tensor_seed_is_copied_so_accumulating_into_grad_leaves_it_alone():
    a = Tensor([1.0, 2.0], requires_grad=True)
    seed = Tensor([1.0, 10.0])
    (a + 1).backward(seed)  # add hands its gradient on as it is: a.grad was the seed's own memory
    (a + 1).backward(seed)  # so the second backward's += doubled the seed too
    assert seed.tolist() == [1.0, 10.0]
    np.testing.assert_array_equal(a.grad, 2 * seed.data)  # closed form: d((a + 1) . s)/da, twice
    assert ag.gradcheck(lambda x: x + 1, Tensor([1.0, 2.0], requires_grad=True))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # (torch's own __array__ predates numpy 2's copy=)
def test_np_array_copies_as_it_does_for_a_torch_tensor():
    torch = pytest.importorskip("torch")
    t, w = torch.tensor([1.0, 2.0], dtype=torch.float64), Tensor([1.0, 2.0])
    assert np.shares_memory(np.array(t), t.numpy()) == np.shares_memory(np.array(w), w.data) == False  # noqa: E712
    assert np.shares_memory(np.asarray(t), t.numpy()) == np.shares_memory(np.asarray(w), w.data) == True  # noqa: E712


def test_as_tensor_takes_pytorchs_dtype_and_keeps_the_gradient_through_a_cast():
    x = ag.as_tensor([1, 2], dtype=ag.float32)  # was a TypeError: unexpected keyword argument 'dtype'
    assert x.dtype == np.float32 and x.tolist() == [1.0, 2.0]
    array = np.arange(3.0)
    assert ag.as_tensor(array, dtype=np.float64).data is array  # no cast needed: the same memory, as torch's
    w = Tensor([1.0, 2.0], requires_grad=True)
    assert ag.as_tensor(w) is w and ag.as_tensor(w, dtype=ag.float64) is w
    y = ag.as_tensor(w, dtype=ag.float32)
    (y * y).sum().backward()  # the cast is recorded: d(sum w^2)/dw = 2w, back in float64
    assert w.grad.dtype == np.float64 and w.grad.tolist() == [2.0, 4.0]
    with pytest.raises(TypeError, match="as_tensor: unknown dtype 'floaty'"):
        ag.as_tensor([1.0], dtype="floaty")


def test_as_tensor_with_dtype_equals_torch():
    torch = pytest.importorskip("torch")
    t = torch.as_tensor([1, 2], dtype=torch.float32)
    x = ag.as_tensor([1, 2], dtype=ag.float32)
    assert str(t.dtype).split(".")[1] == str(x.dtype) and t.tolist() == x.tolist()


def test_retain_grad_on_a_tensor_without_gradient_says_so_and_grad_fn_is_the_primitive():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with ag.no_grad():
        frozen = x * 2
    with pytest.raises(RuntimeError, match=r"retain_grad: this tensor \(shape \(2,\)\) does not require grad"):
        frozen.retain_grad()  # was silent: frozen.grad stayed None after every backward
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0]).retain_grad()
    h = x * 3
    assert h.retain_grad() is h and x.retain_grad() is x  # a leaf that requires grad: allowed, as in PyTorch
    (h * h).sum().backward()
    assert h.grad.tolist() == [6.0, 12.0] and x.grad.tolist() == [18.0, 36.0]  # 2h, and 2h * 3 = 18x
    assert h.grad_fn is ag.PRIMITIVES["mul"] and x.grad_fn is None and frozen.grad_fn is None


def test_retain_grad_refusal_matches_torch():
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match="can't retain_grad on Tensor that has requires_grad=False"):
        torch.ones(2).retain_grad()
    t = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    h = t * 3
    h.retain_grad()
    (h * h).sum().backward()
    x = Tensor([1.0, 2.0], requires_grad=True)
    g = x * 3
    g.retain_grad()
    (g * g).sum().backward()
    np.testing.assert_array_equal(g.grad, h.grad.numpy())
    assert (g.grad_fn is None) == (h.grad_fn is None) == False  # noqa: E712


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


def test_a_seed_that_is_not_numbers_and_a_vector_hessian_are_named_in_their_callers_words():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(TypeError, match=r"backward: grad must be numbers of the tensor's shape \(2, 3\) .* str 'a'"):
        (x * 2).backward("a")  # was numpy's bare "could not convert string to float: 'a'"
    with pytest.raises(TypeError, match=r"grad: grad_outputs must be numbers .* got list \[\[1, 2, 3\], \[4\]\]"):
        ag.grad(x * 2, x, grad_outputs=[[[1, 2, 3], [4]]])
    with pytest.raises(ValueError, match=r"hessian: f must return one number \(a loss\), got shape \(2, 3\)"):
        ag.hessian(lambda a: a * 2)(x)  # the message named value_and_grad, which the user never called
    h = ag.hessian(lambda a: (a**3).sum())(Tensor([1.0, 2.0]))
    np.testing.assert_array_equal(h.data, np.diag([6.0, 12.0]))  # closed form: diag(6x)
    v = Tensor([0.3, -0.4])
    assert ag.gradcheck(lambda a: ag.grad((a**3).sum(), a, create_graph=True)[0], Tensor(v.data, requires_grad=True))


def test_the_hessian_equals_torchs():
    torch = pytest.importorskip("torch")
    x = np.array([0.3, -1.2, 2.0])
    expected = torch.autograd.functional.hessian(lambda t: (t.tanh() ** 3).sum(), torch.tensor(x))
    np.testing.assert_allclose(ag.hessian(lambda t: (t.tanh() ** 3).sum())(Tensor(x)).data, expected.numpy())


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
        value, (grad,) = _torch_grad(torch, lambda a, f=f, k=weights: f(a) * torch.tensor(k), m)
        np.testing.assert_allclose(out.data * weights, value, err_msg=name)
        np.testing.assert_allclose(x.grad, grad, err_msg=name)
    index = torch.tensor([0, 0, 3])
    t = torch.tensor(m, requires_grad=True)
    t.index_select(1, index).sum().backward()
    x = Tensor(m, requires_grad=True)
    x.index_select(1, ag.tensor([0, 0, 3])).sum().backward()
    np.testing.assert_array_equal(x.grad, t.grad.numpy())
    assert Tensor(m).nonzero().tolist() == torch.tensor(m).nonzero().tolist()


def test_grad_mode_switches_refuse_arguments_they_would_misread():
    w = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"set_grad_enabled: mode must be True or False, got str 'False'"):
        ag.set_grad_enabled("False")  # was bool("False"): recording switched ON
    assert ag.is_grad_enabled()
    with pytest.raises(TypeError, match=r"no_grad\(\) takes no arguments \(got False\); to switch, use set_grad"):
        ag.no_grad(False)  # was a "decorated" bool, then an AttributeError at `with`
    with ag.set_grad_enabled(False):
        assert not (w * 2).requires_grad
    (w * w).sum().backward()  # recording is back: the closed-form gradient 2w
    assert w.grad.tolist() == [2.0, 4.0]


def test_set_grad_enabled_refuses_non_bools_as_torch_does():
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError):
        torch.set_grad_enabled("False")
    with pytest.raises(TypeError):
        ag.set_grad_enabled("False")
    assert torch.is_grad_enabled() and ag.is_grad_enabled()
