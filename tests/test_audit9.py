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


@pytest.mark.parametrize("mode", ["floor", "trunc"])
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.float32, np.float64])
def test_div_rounding_mode_as_torch(mode, dtype):
    """torch.div(a, b, rounding_mode=...) is index arithmetic's spelling (it was a TypeError)."""
    torch = pytest.importorskip("torch")
    a = np.array([-7, 7, -6, 5, 0, -1], dtype)
    b = np.array([2, -2, 3, 3, -4, 5], dtype)
    got = ag.div(Tensor(a), Tensor(b), rounding_mode=mode)
    want = torch.div(torch.from_numpy(a), torch.from_numpy(b), rounding_mode=mode).numpy()
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got.data, want)
    if np.dtype(dtype).kind == "f":  # Python's 1 // 0.1 is 9: floor divides exactly, not floor(1 / 0.1) = 10
        np.testing.assert_array_equal(
            ag.div(Tensor(np.ones(1, dtype)), 0.1, rounding_mode=mode).data, [9.0, 10.0][mode == "trunc"] * np.ones(1)
        )


def test_div_rounding_mode_refusals():
    with pytest.raises(ValueError, match=r"div: rounding_mode must be None, 'trunc' or 'floor', got 'round'"):
        ag.div(Tensor([1.0]), 2, rounding_mode="round")
    with pytest.raises(TypeError, match=r"div\(rounding_mode='floor'\).*requires grad.*no gradient"):
        ag.div(Tensor([1.0], requires_grad=True), 2, rounding_mode="floor")
    with pytest.raises(ZeroDivisionError, match="integer"):
        ag.div(Tensor(np.array([1, 2])), 0, rounding_mode="trunc")
    z = Tensor(np.zeros(2, np.int64))
    assert ag.div(Tensor(np.array([7, -7])), 2, rounding_mode="trunc", out=z) is z
    np.testing.assert_array_equal(z.data, [3, -3])


# --- nn.utils.rnn ------------------------------------------------------------------------------------------


def test_packed_sequence_casts_as_torch():
    """packed.float() / .double() / .to(dtype) / .cpu(): torch's PackedSequence casts its data, keeps the rest."""
    from nn.utils import rnn

    packed = rnn.pack_sequence([Tensor([1.0, 2.0, 3.0]), Tensor([4.0])], enforce_sorted=False)
    for cast, dtype in [
        (packed.float(), np.float32),
        (packed.to(np.float32), np.float32),
        (packed.double(), np.float64),
    ]:
        assert isinstance(cast, rnn.PackedSequence) and cast.data.dtype == dtype
        np.testing.assert_array_equal(cast.data.data, packed.data.data)
        np.testing.assert_array_equal(cast.batch_sizes, packed.batch_sizes)
        np.testing.assert_array_equal(cast.unsorted_indices, packed.unsorted_indices)
    assert packed.cpu() is packed and packed.to("cpu") is packed and packed.double() is packed
    leaf = Tensor([1.0, 2.0], requires_grad=True)
    rnn.pack_sequence([leaf]).float().data.sum().backward()  # the cast is recorded: the gradient reaches the leaf
    np.testing.assert_array_equal(leaf.grad, [1.0, 1.0])


# --- F.linear's bias -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("bias_shape", [(5,), (3, 4), (2, 3, 4)])
def test_linear_bias_that_does_not_fit_names_linear(bias_shape):
    """A bias that does not broadcast to the output was refused by the 'add' after linear, a name not in the call."""
    import nn.functional as F

    x, w = Tensor(np.ones((2, 3))), Tensor(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"linear: the bias of shape .* does not fit the output of shape \(2, 4\)"):
        F.linear(x, w, Tensor(np.ones(bias_shape)))


# --- ag.compile over a column-major weight (nn.Linear's) ---------------------------------------------------


@pytest.mark.parametrize("rows", [20, 100])  # a buffer kept between calls; one of 80 KB, allocated per call
@pytest.mark.parametrize("op", ["scale", "tanh", "transposed"])
def test_compile_replays_elementwise_ops_on_a_column_major_weight(op, rows):
    """(W * 2).sum() on nn.Linear's column-major W: the replay wrote W * 2 into a row-major buffer, so the sum
    added in another order, differed in the last bit, and compile gave up with 'a bug in compile: please report'."""
    rng = np.random.default_rng(0)
    w = Tensor(np.asfortranarray(rng.standard_normal((rows, 100))), requires_grad=True)
    x = Tensor(rng.standard_normal((rows, 100)), requires_grad=True)  # row-major: x.T is column-major
    fn = {
        "scale": lambda: (w * 2.0).sum(),
        "tanh": lambda: w.tanh().sum() + (w * 3.0).mean(),
        "transposed": lambda: (x.T * 1.5).sum(),
    }[op]
    step = ag.compile(fn)
    want = fn()
    for _ in range(3):
        got = step()
        np.testing.assert_array_equal(got.data, want.data)
    assert step.fallback_reason is None and step.replay_count >= 1


# --- ag.device ----------------------------------------------------------------------------------------------


def test_device_index_as_torch():
    """device.index was str.index (a bound method: `device.index is None` was False), torch's is None or 0."""
    assert ag.device("cpu").index is None
    assert (
        ag.device("cpu:0").index == 0 and ag.device("cpu", 0).index == 0 and ag.device(type="cpu", index=0).index == 0
    )
    assert repr(ag.device("cpu", 0)) == "device(type='cpu', index=0)" and repr(ag.device("cpu")) == "device(type='cpu')"
    assert ag.device(ag.device("cpu:0")).index == 0
    torch = pytest.importorskip("torch")
    for spelling in [("cpu",), ("cpu:0",), ("cpu", 0)]:
        assert ag.device(*spelling).index == torch.device(*spelling).index
        assert repr(ag.device(*spelling)) == repr(torch.device(*spelling))
