"""Tensor.backward(inputs=...), PyTorch's: gradients accumulate into the given tensors' .grad only (only the ops
on a path to them run, as for grad()), the others untouched; an unused input is left alone; bad inputs are refused
by name."""

import numpy as np
import pytest

import autograd_core as ag
import nn
from autograd_core import Tensor

VALUES = {"W": np.array([[0.5, -1.0], [2.0, 0.3], [-0.7, 1.1]]), "b": np.array([0.1, -0.2]), "v": np.array([1.5, -2.0])}
X = np.array([[1.0, 2.0, -1.0], [0.5, -0.3, 2.0]])


def ours():
    p = {k: Tensor(v.copy(), requires_grad=True) for k, v in VALUES.items()}
    return p, ((Tensor(X) @ p["W"] + p["b"]).tanh() @ p["v"]).sum()


def theirs(torch):
    p = {k: torch.tensor(v.copy(), requires_grad=True) for k, v in VALUES.items()}
    return p, ((torch.tensor(X) @ p["W"] + p["b"]).tanh() @ p["v"]).sum()


@pytest.mark.parametrize("names", [["W"], ["b", "v"], ["v", "W", "b"]])
def test_only_the_inputs_get_gradients_equal_to_torch_and_they_accumulate(names):
    torch = pytest.importorskip("torch")
    (p, loss), (q, tloss) = ours(), theirs(torch)
    loss.backward(retain_graph=True, inputs=[p[n] for n in names])
    tloss.backward(retain_graph=True, inputs=[q[n] for n in names])
    for name in VALUES:
        if name in names:
            np.testing.assert_allclose(p[name].grad, q[name].grad.numpy(), rtol=1e-12)
        else:
            assert p[name].grad is None and q[name].grad is None
    loss.backward(inputs=[p[n] for n in names])  # a second call adds, as torch's
    tloss.backward(inputs=[q[n] for n in names])
    for name in names:
        np.testing.assert_allclose(p[name].grad, q[name].grad.numpy(), rtol=1e-12)


def test_the_others_grad_stays_the_very_array_it_was():
    p, loss = ours()
    before = np.full((3, 2), 7.0)
    p["W"].grad = before
    loss.backward(inputs=p["v"])  # a single tensor, as torch
    assert p["W"].grad is before and (before == 7.0).all() and p["b"].grad is None
    full, full_loss = ours()
    full_loss.backward()
    np.testing.assert_array_equal(p["v"].grad, full["v"].grad)  # the same floats as a plain backward's


def test_any_iterable_of_tensors_and_a_tensor_listed_twice_counts_once():
    model = nn.Linear(3, 2)
    loss = model(Tensor(X)).sum()
    loss.backward(retain_graph=True, inputs=model.parameters())  # a generator, as torch takes
    once = {name: p.grad.copy() for name, p in model.named_parameters()}
    model.zero_grad()
    loss.backward(inputs=(model.weight, model.weight, model.bias))
    for name, p in model.named_parameters():
        np.testing.assert_array_equal(p.grad, once[name])
    np.testing.assert_array_equal(once["bias"], [2.0, 2.0])  # closed form: d sum(xW^T + b)/db = number of rows


def test_a_non_leaf_input_gets_its_gradient_and_the_leaf_none_as_torch():
    torch = pytest.importorskip("torch")
    x, tx = Tensor([1.0, -2.0], requires_grad=True), torch.tensor([1.0, -2.0], requires_grad=True)
    h, th = x * 2, tx * 2
    (h * h).sum().backward(inputs=[h])
    (th * th).sum().backward(inputs=[th])
    np.testing.assert_array_equal(h.grad, th.grad.numpy())
    np.testing.assert_array_equal(h.grad, [4.0, -8.0])  # 2h
    assert x.grad is None and tx.grad is None


def test_an_input_the_output_does_not_reach_is_left_alone_as_torch():
    torch = pytest.importorskip("torch")
    a, unused = Tensor([1.0, 2.0], requires_grad=True), Tensor([5.0], requires_grad=True)
    ta, tunused = torch.tensor([1.0, 2.0], requires_grad=True), torch.tensor([5.0], requires_grad=True)
    (a * 3).sum().backward(inputs=[a, unused])
    (ta * 3).sum().backward(inputs=[ta, tunused])
    assert unused.grad is None and tunused.grad is None
    np.testing.assert_array_equal(a.grad, ta.grad.numpy())
    (a * 3).sum().backward(inputs=[unused])  # no input reached at all: no error either
    assert unused.grad is None and a.grad.tolist() == [3.0, 3.0]


def test_hooks_of_the_inputs_run_and_those_of_other_leaves_do_not_as_torch():
    torch = pytest.importorskip("torch")
    fired = []
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    ta, tb = torch.tensor([1.0, 2.0], requires_grad=True), torch.tensor([3.0, 4.0], requires_grad=True)
    for t, tag in ((a, "a"), (b, "b"), (ta, "ta"), (tb, "tb")):
        t.register_hook(lambda g, tag=tag: fired.append(tag) or g * 10)
    (a * b).sum().backward(inputs=[a])
    (ta * tb).sum().backward(inputs=[ta])
    np.testing.assert_array_equal(a.grad, ta.grad.numpy())  # the hook's gradient, accumulated
    np.testing.assert_array_equal(a.grad, [30.0, 40.0])
    (ga,) = ag.grad((a * b).sum(), [a])  # grad() alike: b's hook does not run (it did before)
    (tga,) = torch.autograd.grad((ta * tb).sum(), [ta])
    np.testing.assert_array_equal(ga.data, tga.numpy())
    assert fired == ["a", "ta", "a", "ta"]


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")  # torch's, about its own .grad
def test_retain_graph_seed_and_create_graph_as_a_plain_backward():
    torch = pytest.importorskip("torch")
    x, tx = Tensor([1.0, 2.0], requires_grad=True), torch.tensor([1.0, 2.0], requires_grad=True)
    y, ty = x**3, tx**3
    seed = np.array([1.0, -0.5])
    y.backward(gradient=seed, inputs=[x], create_graph=True)
    ty.backward(gradient=torch.from_numpy(seed), inputs=[tx], create_graph=True)
    np.testing.assert_allclose(x.grad, tx.grad.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad, 3 * np.array([1.0, 4.0]) * seed)  # closed form: 3x^2 g
    z = (x * 2).sum()
    z.backward(inputs=[x])
    with pytest.raises(RuntimeError, match="a second time"):  # without retain_graph the graph is spent
        z.backward(inputs=[x])


def test_a_scalar_graph():
    w, b = Tensor(2.0, requires_grad=True), Tensor(3.0, requires_grad=True)
    (w * w * b).backward(inputs=[w, b])
    assert (w.grad, b.grad) == (12.0, 4.0) and w.grad.shape == () and isinstance(w.grad, np.ndarray)


def test_bad_inputs_are_refused_before_anything_changes():
    a = Tensor([1.0, 2.0], requires_grad=True)
    loss = (a * 3).sum()
    with pytest.raises(RuntimeError, match=r"^backward: inputs is empty; pass the tensors .* or inputs=None"):
        loss.backward(inputs=[])
    with pytest.raises(TypeError, match=r"^backward: inputs\[1\] is a float, not a Tensor; pass e\.g\. inputs="):
        loss.backward(inputs=[a, 1.0])
    with pytest.raises(RuntimeError, match=r"^backward: inputs\[0\] \(shape \(3,\)\) does not require grad.*"):
        loss.backward(inputs=[Tensor([1.0, 2.0, 3.0])])
    with pytest.raises(TypeError, match=r"^backward: inputs must be a Tensor or a list of Tensors, got int"):
        loss.backward(inputs=3)
    with pytest.raises(RuntimeError, match=r"^backward: grad has shape \(3,\) but the tensor has shape \(\)"):
        loss.backward(np.ones(3), inputs=[a])
    assert a.grad is None
    loss.backward(inputs=[a])  # nothing was spent by the refusals
    np.testing.assert_array_equal(a.grad, [3.0, 3.0])
