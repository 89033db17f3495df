"""``ag.where(condition, a, b)`` of two Python numbers takes their own type, as torch's: ``where(c, 1, 0)`` is an
integer mask (it was float64), ``where(c, True, False)`` boolean; a tensor operand keeps deciding the type."""

import numpy as np
import pytest

import autograd_core as ag

Y = np.array([[-1.0, 2.0], [3.0, -4.0]])


@pytest.mark.parametrize(
    ("a", "b", "dtype"), [(1, 0, np.int64), (2, -1, np.int64), (True, False, np.bool_), (1, 0.5, np.float64)]
)
def test_two_numbers_keep_their_own_type(a, b, dtype):
    out = ag.where(ag.tensor(Y) > 0, a, b)
    assert out.dtype == dtype and out.tolist() == np.where(Y > 0, a, b).tolist()


def test_a_tensor_operand_decides_and_the_gradient_still_follows_the_pick():
    y = ag.tensor(Y, requires_grad=True)
    out = ag.where(y > 0, y, 0)
    assert out.dtype == np.float64 and ag.where(y > 0, 1, y.float()).dtype == np.float32
    out.sum().backward()
    np.testing.assert_array_equal(y.grad, Y > 0)


def test_the_same_dtypes_as_torch():
    torch = pytest.importorskip("torch")
    for a, b in ((1, 0), (True, False), (5, -5)):
        ours, theirs = ag.where(ag.tensor(Y) > 0, a, b), torch.where(torch.tensor(Y) > 0, a, b)
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.") and ours.tolist() == theirs.tolist()
