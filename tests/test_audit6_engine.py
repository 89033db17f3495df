"""The sixth everyday-use audit, engine side: the fifth audit's Tensor math (tensor_math.py,
functions_torch.py, einsum.py) called as PyTorch code calls it. Oracles: torch where installed, numpy."""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor

M = np.arange(12.0).reshape(3, 4)


# ------------------------------------------------------------------ silently wrong before
def test_roll_refuses_a_fractional_shift():
    # int(1.5) rolled by 1, silently; torch raises a TypeError
    with pytest.raises(TypeError, match=r"roll: shifts must be ints \(or a tuple of them\), got 1\.5"):
        Tensor(M).roll(1.5, 0)
    with pytest.raises(TypeError, match=r"roll: shifts must be ints"):
        ag.roll(Tensor(M), (1, 0.5), (0, 1))


@pytest.mark.parametrize("tolerance", ["rtol", "atol"])
def test_isclose_refuses_a_negative_tolerance(tolerance):
    # numpy took it and answered False even for equal values
    with pytest.raises(ValueError, match=rf"isclose: {tolerance} must be a number >= 0, got -1"):
        ag.isclose(Tensor(M), Tensor(M), **{tolerance: -1})
    with pytest.raises(ValueError, match=rf"allclose: {tolerance} must be a number >= 0"):
        ag.allclose(Tensor(M), Tensor(M), **{tolerance: -1})


# ------------------------------------------------------------------ one-line errors naming the op
@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: Tensor(M).tril(0.5), TypeError, r"tril: diagonal must be an int, got 0\.5"),
        (lambda: Tensor(M).triu(diagonal="1"), TypeError, r"triu: diagonal must be an int, got '1'"),
        (lambda: Tensor(M[0]).diag(1.5), TypeError, r"diag: diagonal must be an int, got 1\.5"),
        (lambda: ag.diagonal(Tensor(M), 0.5), TypeError, r"diagonal: offset must be an int, got 0\.5"),
        (
            lambda: Tensor(M).index_select(0, np.array([0, 5])),
            IndexError,
            r"index_select: index 5 is out of range for dim 0 of size 3 \(shape \(3, 4\)\); give indices in \[-3, 3\)",
        ),
        (
            lambda: Tensor(M).masked_select(np.ones(3, bool)),
            ValueError,
            r"masked_select: a mask of shape \(3,\) does not broadcast with the tensor's \(3, 4\)",
        ),
        (
            lambda: ag.isclose(Tensor(M), Tensor(M.T)),
            ValueError,
            r"isclose: shapes \(3, 4\) and \(4, 3\) do not broadcast",
        ),
        (lambda: ag.allclose(Tensor(M), Tensor(M.T)), ValueError, r"allclose: shapes \(3, 4\) and \(4, 3\)"),
        (lambda: ag.isclose(Tensor(M), "a"), TypeError, r"isclose: expected numbers"),
        (lambda: ag.equal(Tensor(M), "a"), TypeError, r"equal: expected numbers"),
        (
            lambda: ag.mm(Tensor(M), Tensor(M)),
            ValueError,
            r"mm: needs two 2-d tensors, got shapes \(3, 4\) and \(3, 4\); they must be \(n, k\) and \(k, m\)",
        ),
        (
            lambda: ag.bmm(np.ones((2, 3, 4)), np.ones((2, 3, 4))),
            ValueError,
            r"bmm: .* got shapes \(2, 3, 4\) and \(2, 3, 4\); they must be \(b, n, k\) and \(b, k, m\)",
        ),
        (lambda: ag.einsum("i,i->", [1.0], ["a"]), TypeError, r"einsum 'i,i->': operand 1: Tensor: cannot read list"),
        (lambda: Tensor(M).type("torch.FooTensor"), TypeError, r"type: unknown type 'torch\.FooTensor'; use torch\."),
        (lambda: Tensor(M).new_zeros(2, device="cuda"), ValueError, r"not on 'cuda'; pass device='cpu'"),
        (lambda: Tensor(M).new_tensor([1.0], device="cuda"), ValueError, r"new_tensor: .* not on 'cuda'"),
        (lambda: ag.as_tensor([1.0], device="cuda:0"), ValueError, r"as_tensor: .* not on 'cuda:0'"),
    ],
)
def test_bad_input_gets_one_line_naming_the_op_and_the_values(call, error, message):
    with pytest.raises(error, match=message) as caught:
        call()
    assert "\n" not in str(caught.value)
    assert "numpy" not in str(caught.traceback[-1].path)  # raised by our check, not inside numpy


# ------------------------------------------------------------------ PyTorch's spellings
def test_index_select_takes_a_0d_index_as_torch():
    torch = pytest.importorskip("torch")
    x = Tensor(M, requires_grad=True)
    out = x.index_select(1, Tensor(np.array(2)))
    expected = torch.tensor(M).index_select(1, torch.tensor(2))
    assert out.shape == tuple(expected.shape) == (3, 1)
    assert np.array_equal(out.data, expected.numpy())
    out.sum().backward()
    assert np.array_equal(x.grad, np.eye(4)[[2, 2, 2]])


def test_nonzero_as_tuple_indexes_as_torch():
    torch = pytest.importorskip("torch")
    x = np.array([[0.0, 2.0, 0.0], [3.0, 0.0, 4.0]])
    ours, theirs = Tensor(x).nonzero(as_tuple=True), torch.tensor(x).nonzero(as_tuple=True)
    assert len(ours) == len(theirs) == 2
    assert all(np.array_equal(a.data, b.numpy()) and a.dtype == np.int64 for a, b in zip(ours, theirs))
    assert Tensor(x)[ours].tolist() == [2.0, 3.0, 4.0]
    assert [t.tolist() for t in ag.nonzero(Tensor(np.array(5.0)), as_tuple=True)] == [[0]]  # 0-d: one axis, as torch


def test_module_level_spellings_equal_the_methods_and_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 4, 5))
    v, w = rng.standard_normal(4), rng.standard_normal(3)
    mask = M > 4
    cases = [
        (ag.bmm(a, b), torch.bmm(torch.tensor(a), torch.tensor(b))),
        (ag.outer(v, w), torch.outer(torch.tensor(v), torch.tensor(w))),
        (ag.dot(v, v), torch.dot(torch.tensor(v), torch.tensor(v))),
        (ag.index_select(M, 1, [3, 0]), torch.index_select(torch.tensor(M), 1, torch.tensor([3, 0]))),
        (ag.masked_select(M, mask), torch.masked_select(torch.tensor(M), torch.tensor(mask))),
        (ag.nonzero(M), torch.nonzero(torch.tensor(M))),
        (ag.unbind(M, dim=1)[2], torch.unbind(torch.tensor(M), dim=1)[2]),
    ]
    for ours, theirs in cases:
        assert isinstance(ours, Tensor) and np.allclose(ours.data, theirs.numpy()) and ours.shape == tuple(theirs.shape)
    x = Tensor(v, requires_grad=True)
    ag.dot(x, ag.outer(x, w).sum(1)).backward()  # d/dx (x . x * sum(w)) = 2 x sum(w)
    assert np.allclose(x.grad, 2 * v * w.sum())


def test_isclose_allclose_equal_are_tensor_methods_too():
    x = Tensor([1.0, 2.0, np.nan])
    assert x.isclose(Tensor([1.0 + 1e-9, 2.1, np.nan]), equal_nan=True).tolist() == [True, False, True]
    assert x.allclose(x, equal_nan=True) is True and x.allclose(x) is False
    assert x[:2].equal(Tensor([1.0, 2.0])) is True and x[:2].equal(Tensor([[1.0, 2.0]])) is False


@pytest.mark.parametrize(
    ("name", "dtype"),
    [("torch.FloatTensor", np.float32), ("torch.DoubleTensor", np.float64), ("torch.LongTensor", np.int64)]
    + [("torch.IntTensor", np.int32), ("torch.BoolTensor", np.bool_), ("torch.HalfTensor", np.float16)],
)
def test_type_takes_torchs_type_names(name, dtype):
    torch = pytest.importorskip("torch")
    out = Tensor(M - 5).type(name)
    assert out.dtype == dtype and np.array_equal(out.data, torch.tensor(M - 5).type(name).numpy())


def test_device_is_accepted_by_new_tensors_and_as_tensor():
    x = Tensor(np.ones(2, np.float32))
    made = [
        x.new_zeros(2, device="cpu"),
        x.new_ones((2,), device=x.device),
        x.new_full((2,), 3, device="cpu:0"),
        x.new_tensor([1.0, 2.0], device="cpu"),
        ag.as_tensor(x, device="cpu"),
    ]
    assert [t.dtype for t in made] == [np.float32] * 5
    assert made[-1] is x  # as_tensor gives a Tensor back as it is, as before
