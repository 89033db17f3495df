"""Audit of the APIs added with ag.Function, fold, nn.utils.rnn, the fused linear, out= and devices: each test a
finding that was silently wrong (or a traceback from inside numpy) before its fix. Oracle: torch where installed,
else the value PyTorch documents."""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor

# --- ag.add / sub / mul / div (out=): a Python number first ---------------------------------------------


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
def test_number_first_keeps_the_tensors_dtype(op):
    """torch.add(2, x) is x's dtype, as 2 + x: the number is weak (it was made a float64 tensor first)."""
    x = Tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    y = getattr(ag, op)(2, x)
    assert y.dtype == np.float32
    expected = {"add": [3.0, 4.0], "sub": [1.0, 0.0], "mul": [2.0, 4.0], "div": [2.0, 1.0]}[op]
    np.testing.assert_array_equal(y.data, expected)
    y.sum().backward()
    assert x.grad.dtype == np.float32


@pytest.mark.parametrize("op", ["add", "sub", "mul"])
def test_number_first_keeps_an_integer_tensor_integer(op):
    """torch.mul(3, counts) stays int32, as 3 * counts (it was float64)."""
    counts = Tensor(np.array([1, 2], np.int32))
    y = getattr(ag, op)(3, counts)
    assert y.dtype == np.int32
    np.testing.assert_array_equal(y.data, {"add": [4, 5], "sub": [2, 1], "mul": [3, 6]}[op])
    assert ag.add(3, counts, alpha=2).dtype == np.int32
