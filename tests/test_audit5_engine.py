"""Found by the fifth everyday-use audit, the engine's public API used as PyTorch's autograd, JAX or
micrograd users write it (gradients, grad modes, numpy interop, gradcheck): each defect's test checks values
and gradients against a closed form or finite differences (the project's gradcheck), and against torch 2
where it is installed. The missing PyTorch calls it added: test_audit5_methods.py."""

import numpy as np
import pytest
from audit5_helpers import torch_grad

import autograd_core as ag
from autograd_core import Tensor


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
    value, (grad,) = torch_grad(torch, lambda a: a.logsumexp(-1, keepdim=True), x)
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
    _, (grad,) = torch_grad(torch, lambda a: a * 2.5, np.array([1.0, 2.0]))
    np.testing.assert_array_equal(x.grad, grad)


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


def test_inference_mode_records_nothing_as_pytorchs_evaluation_loops_expect():
    w = Tensor([1.0, 2.0], requires_grad=True)
    with ag.inference_mode():  # was an AttributeError: modern PyTorch evaluation code spells no_grad so
        y = (w * 2).sum()
        assert not ag.is_grad_enabled()
    assert not y.requires_grad and ag.is_grad_enabled() and y.item() == 6.0
    with ag.inference_mode(False):  # records, as PyTorch's: its grad mode is `not mode` ...
        assert (w * 2).requires_grad
    with ag.no_grad(), ag.inference_mode(False):  # ... under no_grad too (audit 6: it stayed off)
        assert (w * 2).requires_grad

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
    for outer in ("no_grad", "inference_mode"):  # nested: PyTorch's inference_mode(False) records again
        with getattr(torch, outer)(), getattr(ag, outer)(), torch.inference_mode(False), ag.inference_mode(False):
            assert (t * 2).requires_grad == (w * 2).requires_grad == ag.is_grad_enabled() is True


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
    assert h.grad_fn.prim is ag.PRIMITIVES["mul"] and x.grad_fn is None and frozen.grad_fn is None


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


def test_value_and_grad_takes_a_dict_or_list_of_parameters_and_returns_gradients_in_that_shape():
    params = {"w": Tensor([1.0, 2.0]), "b": Tensor(0.5)}  # JAX's grad(loss)(params): was "must be a Tensor or numbers"
    value, grads = ag.value_and_grad(lambda p: ((p["w"] * 3).sum() + p["b"]) ** 2)(params)
    assert value.item() == 90.25 and set(grads) == {"w", "b"}  # (3 * (1 + 2) + 0.5)^2
    assert grads["w"].tolist() == [57.0, 57.0] and grads["b"].item() == 19.0  # 2 * 9.5 * 3, and 2 * 9.5
    layers = [{"w": Tensor(np.full((2, 2), 0.1)), "b": Tensor(np.zeros(2))}, {"w": Tensor(np.full((1, 2), 0.2))}]

    def mlp(ps, x):
        h = (x @ ps[0]["w"].T + ps[0]["b"]).tanh()
        return (h @ ps[1]["w"].T).sum()

    x = Tensor([[0.5, -0.2]])
    _, (g0, g1) = ag.value_and_grad(mlp)(layers, x)  # a list of dicts: the same shape back (was one stacked array)
    assert g0["w"].shape == (2, 2) and g0["b"].shape == (2,) and g1["w"].shape == (1, 2)
    flat = Tensor(np.full((2, 2), 0.1), requires_grad=True)  # the same gradient as with the Tensor itself
    ((x @ flat.T).tanh() @ Tensor(np.full((2, 1), 0.2))).sum().backward()
    np.testing.assert_allclose(g0["w"].data, flat.grad)
    _, (gp, gx) = ag.value_and_grad(lambda p, v: (p[0] * v).sum(), argnums=(0, 1))(
        [Tensor([1.0, 2.0])], Tensor([3.0, 4.0])
    )
    assert isinstance(gp, list) and gp[0].tolist() == [3.0, 4.0] and gx.tolist() == [1.0, 2.0]
    assert ag.value_and_grad(lambda p: (p[0] * p[1]).sum())([1.0, 2.0])[1].tolist() == [
        2.0,
        1.0,
    ]  # numbers stay one array
    with pytest.raises(TypeError, match=r"jacobian: argument 0 is a dict of Tensors; pass Tensors"):
        ag.jacobian(lambda p: p["w"])(params)
    assert ag.gradcheck(
        lambda w: ag.value_and_grad(lambda p: (p["w"] ** 3).sum())({"w": w})[1]["w"],
        Tensor([0.5, -1.0], requires_grad=True),
    )


def test_value_and_grad_of_a_dict_equals_torch_func():
    torch = pytest.importorskip("torch")
    rs = np.random.RandomState(10)
    w, b, x = rs.randn(3, 2), rs.randn(3), rs.randn(4, 2)
    expected = torch.func.grad(lambda p: torch.tanh(torch.tensor(x) @ p["w"].T + p["b"]).sum())(
        {"w": torch.tensor(w), "b": torch.tensor(b)}
    )
    _, grads = ag.value_and_grad(lambda p: (Tensor(x) @ p["w"].T + p["b"]).tanh().sum())(
        {"w": Tensor(w), "b": Tensor(b)}
    )
    for key in ("w", "b"):
        np.testing.assert_allclose(grads[key].data, expected[key].numpy())


def test_a_transform_given_the_input_as_torch_functional_takes_it_says_how_to_call_it():
    x = Tensor([1.0, 2.0])
    with pytest.raises(TypeError, match=r"jacobian\(f, x\): .* ag.jacobian\(f\)\(x\) \(torch.autograd.functional"):
        ag.jacobian(lambda v: v * v, x)  # torch.autograd.functional's call: silently gave back a function
    with pytest.raises(TypeError, match=r"value_and_grad\(f, x\): .* write ag.value_and_grad\(f\)\(x\); its second"):
        ag.value_and_grad(lambda v: (v**3).sum(), x)
    with pytest.raises(TypeError, match=r"hessian\(f, x\): .* got Tensor"):
        ag.hessian(lambda v: (v**3).sum(), x)
    jac = ag.jacobian(lambda v: v * v, np.int64(0))(x)  # a numpy int picks as an int does (was "not iterable")
    np.testing.assert_array_equal(jac.data, np.diag([2.0, 4.0]))  # closed form: diag(2x)
    assert ag.value_and_grad(lambda a, b: (a * b).sum(), [0, 1])(x, x)[1][0].tolist() == [1.0, 2.0]
    assert ag.gradcheck(lambda v: v * v, Tensor([1.0, 2.0], requires_grad=True))


def test_the_jacobian_called_as_jax_equals_torch_functionals():
    torch = pytest.importorskip("torch")
    x = np.array([0.3, -1.2])
    expected = torch.autograd.functional.jacobian(lambda t: t.tanh() * t.sum(), torch.tensor(x))
    np.testing.assert_allclose(ag.jacobian(lambda t: t.tanh() * t.sum())(Tensor(x)).data, expected.numpy())
