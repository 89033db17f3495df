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
