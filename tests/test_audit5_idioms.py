"""PyTorch tensor idioms the fifth everyday-use audit found failing: an integer tensor as an index
(``classes[predicted[j]]``), ``dtype=ag.long`` and friends, ``x in t``, weight clipping with ``clamp_``;
each checked by value (and gradient where one flows) and against torch 2 where it is installed."""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor


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


def test_pytorchs_dtype_names_is_tensor_and_empty_like():
    labels = ag.tensor([0, 2, 1], dtype=ag.long)  # torch.long, the labels' dtype in every tutorial: was AttributeError
    assert labels.dtype == np.int64 and ag.zeros(2, dtype=ag.float).dtype == np.float32
    assert ag.ones(2, dtype=ag.half).dtype == np.float16 and ag.tensor([1.0], dtype=ag.double).dtype == np.float64
    assert ag.zeros(1, dtype=ag.int).dtype == np.int32 and ag.tensor([255], dtype=ag.uint8).dtype == np.uint8
    namespace: dict[str, object] = {}
    exec("from autograd_core import *", namespace)  # a star import must not shadow Python's float and int
    assert "long" in namespace and "float" not in namespace and "int" not in namespace
    assert ag.is_tensor(Tensor([1.0])) and not ag.is_tensor(np.ones(1))
    like = ag.empty_like(Tensor(np.ones((2, 3), np.float32)), requires_grad=True)
    assert like.shape == (2, 3) and like.dtype == np.float32 and like.requires_grad
    (like * 2).sum().backward()  # a leaf like any other: the closed-form gradient 2
    assert like.grad.tolist() == [[2.0] * 3] * 2


def test_the_dtype_names_mean_what_torchs_mean():
    torch = pytest.importorskip("torch")
    for name in ("long", "float", "double", "half", "int", "uint8", "int8", "int16", "float16"):
        assert str(getattr(torch, name)) == f"torch.{np.dtype(getattr(ag, name))}", name
    assert ag.empty_like(Tensor(np.ones(2))).shape == tuple(torch.empty_like(torch.ones(2)).shape)


def test_clamp_in_place_clips_weights_as_wgan_does_and_in_tests_any_element():
    w = Tensor([-2.0, 0.5, 3.0], requires_grad=True)
    saved = (w * w).sum()  # a graph that saved w's old values
    with ag.no_grad():
        assert w.clamp_(-1, 1) is w  # was an AttributeError
    assert w.tolist() == [-1.0, 0.5, 1.0] and w.requires_grad and w.is_leaf
    with pytest.raises(RuntimeError, match="modified in place"):
        saved.backward()  # the write is seen by the in-place check, as any other
    (w * w).sum().backward()  # the gradient at the clipped values: 2w
    assert w.grad.tolist() == [-2.0, 1.0, 2.0]
    with pytest.raises(RuntimeError, match=r"clamp_\(\) on a leaf tensor that requires grad"):
        w.clamp_(0, 1)  # outside no_grad, refused in its own name
    labels = ag.tensor([[0, 2], [1, 2]])
    assert 1 in labels and 3 not in labels and Tensor(2.0) in labels  # was "the truth value ... is ambiguous"


def test_clamp_in_place_and_in_agree_with_torch():
    torch = pytest.importorskip("torch")
    t, x = torch.tensor([-2.0, 0.5, 3.0]), Tensor([-2.0, 0.5, 3.0])
    assert t.clamp_(min=0.0).tolist() == x.clamp_(min=0.0).tolist()
    assert (0.5 in t) == (0.5 in x) and (7.0 in t) == (7.0 in x)


def test_assigning_a_value_that_requires_grad_into_a_tensor_is_refused_not_cut_from_the_graph():
    w = Tensor([1.0, 2.0], requires_grad=True)
    x = Tensor([3.0, 4.0, 5.0], requires_grad=True)
    out = ag.zeros(3)
    with pytest.raises(RuntimeError, match=r"item assignment t\[...\] = v: v \(shape \(\)\) requires grad, .*ag.stack"):
        out[0] = w[0] * 2  # was written as a value: (out * x).sum() then gave w no gradient, silently
    built = ag.cat([(w[0] * 2).reshape(1), w])  # what the message says to write instead
    (built * x).sum().backward()
    assert w.grad.tolist() == [2 * 3.0 + 4.0, 5.0] and x.grad.tolist() == [2.0, 1.0, 2.0]  # closed form
    out[0] = w[0].detach()  # values alone, and under no_grad, as before
    with ag.no_grad():
        out[1:] = w
    assert out.tolist() == [1.0, 1.0, 2.0]
    assert ag.gradcheck(lambda a: ag.cat([(a[0] * 2).reshape(1), a]) * 3, Tensor([1.0, 2.0], requires_grad=True))


def test_the_built_tensor_gets_torchs_gradient_for_the_item_assignment_torch_records():
    torch = pytest.importorskip("torch")
    w = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    x = torch.tensor([3.0, 4.0, 5.0], dtype=torch.float64)
    out = torch.zeros(3, dtype=torch.float64)
    out[0], out[1:] = w[0] * 2, w
    (out * x).sum().backward()
    v = Tensor([1.0, 2.0], requires_grad=True)
    (ag.cat([(v[0] * 2).reshape(1), v]) * x.numpy()).sum().backward()
    np.testing.assert_array_equal(v.grad, w.grad.numpy())
