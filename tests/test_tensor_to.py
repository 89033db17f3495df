"""Tensor.to in PyTorch's forms: (dtype), (device), (device, dtype), (other), keywords; the CPU only."""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor


def test_to_takes_pytorchs_forms():
    t = Tensor([1.5, 2.0], requires_grad=True)
    assert t.to("cpu") is t and t.to(device="cpu") is t and t.to(np.float64) is t
    assert t.to("cpu", np.float32).dtype == np.float32
    assert t.to(np.float32).dtype == np.float32
    assert t.to(device="cpu", dtype="float16").dtype == np.float16
    assert t.to(Tensor([1], dtype=np.float32)).dtype == np.float32  # other's dtype
    assert t.to(dtype=np.float64, non_blocking=True) is t


def test_to_with_copy_gives_a_new_tensor_that_still_carries_the_gradient():
    t = Tensor([1.5, 2.0], requires_grad=True)
    copied = t.to("cpu", copy=True)
    assert copied is not t and not np.shares_memory(copied.data, t.data)
    (copied * 3).sum().backward()
    assert t.grad.tolist() == [3.0, 3.0]


def test_a_dtype_change_is_differentiable():
    t = Tensor([1.5, 2.0], requires_grad=True)
    (t.to("cpu", np.float32) ** 2).sum().backward()
    assert t.grad.dtype == np.float64 and t.grad.tolist() == [3.0, 4.0]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda t: t.to("cuda", np.float32), ValueError, r"to: this engine runs on numpy \(the CPU\) only"),
        (lambda t: t.to("cpu", np.float32, 1), TypeError, r"to: takes \(dtype\), \(device\)"),
        (lambda t: t.to(memory=1), TypeError, r"to: takes .*\['memory'\]"),
        (lambda t: t.to("nope"), TypeError, r"to: 'nope' is neither a device \('cpu'\) nor a dtype"),
    ],
)
def test_to_refuses_what_it_cannot_do_by_name(call, error, message):
    with pytest.raises(error, match=message):
        call(ag.Tensor([1.0]))
